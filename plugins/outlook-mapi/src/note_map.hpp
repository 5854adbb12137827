// SPDX-License-Identifier: Apache-2.0
// Outlook note (Graph v1.0 `note`, resources/note.md: an item of the
// mailbox's Notes folder, IPM.StickyNote) ⇄ canonical note
// (sdk/schema/note.schema.json): subject as title, body as plain text
// (Graph gives it as text or HTML: HTML is read as text, lines by \n),
// categories, createdDateTime and lastModifiedDateTime as created and
// updated (Outlook sets both: read-only).
//
// Pure functions; any thread.
#pragma once

#include <boost/json/object.hpp>

#include <string>
#include <vector>

namespace outlook::notes {

boost::json::object to_note(const boost::json::object& g);

// The note a create or PATCH sends (user-post-notes.md, note-update.md: subject, body, categories;
// the body as text).
boost::json::object to_graph(const boost::json::object& note);

// An itemBody's HTML as plain text: tags dropped, line breaks kept as \n, entities decoded.
std::string html_text(const std::string& html);

const std::vector<std::string>& fields();

}  // namespace outlook::notes
