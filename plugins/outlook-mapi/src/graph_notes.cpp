// SPDX-License-Identifier: Apache-2.0
// The graph backend's note stream (graph_backend.hpp): Outlook notes, the
// items of the mailbox's Notes folder, through Graph v1.0's /me/notes
// (resources/note.md; user-list-notes.md, note-delta.md, user-post-notes.md,
// note-update.md, note-delete.md, all dated 2026-08-07; permission
// ShortNotes.Read / ShortNotes.ReadWrite). One folder: a delta round over
// /me/notes/delta (read_delta). Writes with If-Match (the changeKey, 412 →
// CONFLICT).
//
// Idempotent creates: note.md's Relationships table lists
// singleValueExtendedProperties (and open extensions) for a note, but the
// create documents subject, body and categories only (user-post-notes.md),
// the extended-property pages (singlevaluelegacyextendedproperty-post-…,
// -get.md) list calendar, contact, contactFolder, event, mailFolder and
// message, not note, and a note listing filters on subject, createdDateTime,
// lastModifiedDateTime and hasAttachments only (user-list-notes.md): no
// documented way both marks a note with a key of ours and finds it by it.
// So a create whose answer was lost, and a resend, look for the note it may
// have made: with the subject, body and categories the try sent, listed
// from the try's start (`$filter=createdDateTime ge …`, which
// user-list-notes.md documents), and taken by the kit's rule for stores
// without keys (kit::made_by_try, shared with crm-rest): the one made in
// the try's time (from the first try that may have written, less
// kit::kLookAlikeSkewS for the clocks, to the latest's return plus that) is
// the create's (should it be another record's, the host refuses the
// answer: it never moves a link). More than one (two notes with the same
// words, "TODO", a copy: review s11 F1), or a try whose start the host did
// not tell while one exists: which one the try made is not known, none is
// taken, the create waits (retry) and says so. A note the
// user edited between the lost try and the look-up is not recognised (a
// second copy is made: docs/connectors/outlook-mapi.md says so). A note holding
// images (inline attachments) is never updated: its text would replace the
// HTML body that shows them.
#include "graph_backend.hpp"
#include "note_map.hpp"

#include <accord/json/lenient.hpp>
#include <accord/kit/lookalike.hpp>
#include <accord/net/http_client.hpp>
#include <accord/time/rest_time.hpp>
#include <accord/time/utc_time.hpp>

#include <chrono>
#include <cstdio>

namespace json = boost::json;
using accord::json_read::str;
using accord::kit::Op;
using accord::kit::Result;
using accord::net::url_encode;

namespace outlook::graph {

namespace {

constexpr const char* kNotes = "/me/notes";

// "YYYY-MM-DDTHH:MM:SSZ" `seconds` before `at` (that form; "" when `at` is not in it)
std::string before(const std::string& at, int64_t seconds) {
  int y, mo, d, h, mi, s;
  char z = 0;
  if (at.size() != 20 || std::sscanf(at.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &z) != 7 || z != 'Z')
    return "";
  return accord::utc::format(accord::utc::to_seconds(y, mo, d, h, mi, s) - seconds);
}

std::string now_utc() {
  return accord::utc::format(std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch()).count());
}

// The note's fields a write sets, as the canonical note has them: what a look-up compares.
json::object written(const json::object& note) {
  json::object n = notes::to_note(notes::to_graph(note));
  n.erase("created");
  n.erase("updated");
  return n;
}

}  // namespace

json::object Backend::note_record(const json::object& g) const {
  json::object rec{{"id", str(g, "id")}, {"version", etag_of(g)}, {"data", notes::to_note(g)}};
  if (std::string m = str(g, "lastModifiedDateTime"); !m.empty()) rec["modified"] = m;
  return rec;
}

Result Backend::note_result(const json::object& g) const {
  Result r = Result::ok(str(g, "id"), etag_of(g));
  r.data = notes::to_note(g);
  return r;
}

std::string Backend::read_notes(const json::object& c, bool fresh) {
  static const std::vector<Folder> notes_folder{Folder{"notes", std::string(kNotes) + "/delta"}};
  return read_delta("note", c, fresh, notes_folder, [&](const json::array& items, bool full) {
    json::array records;
    for (const auto& v : items) {
      if (!v.is_object()) continue;
      const json::object& g = v.get_object();
      std::string id = str(g, "id");
      if (id.empty()) continue;
      // note.md: isDeleted, "whether the note is soft-deleted": gone for the user
      bool soft_deleted = g.contains("isDeleted") && g.at("isDeleted").is_bool() && g.at("isDeleted").get_bool();
      if (g.contains("@removed") || soft_deleted) {
        if (!full) records.push_back(json::object{{"id", id}, {"deleted", true}});
        continue;
      }
      records.push_back(note_record(g));
    }
    return records;
  });
}

// The notes a try of this create may have made: created from `since` to
// `until` ("": no end; compared to the second), with the subject, body and
// categories the create sends.
std::vector<json::object> Backend::find_notes(const Op& op, const std::string& since, const std::string& until) {
  std::vector<json::object> found;
  if (since.empty()) return found;
  const json::object want = written(op.data);
  each_page(std::string(kNotes) + "?$filter=" + url_encode("createdDateTime ge " + since), [&](const json::array& v) {
    for (const auto& x : v) {
      if (!x.is_object()) continue;
      const json::object& g = x.get_object();
      if (g.contains("isDeleted") && g.at("isDeleted").is_bool() && g.at("isDeleted").get_bool()) continue;
      if (std::string at = str(g, "createdDateTime"); !until.empty() && at.substr(0, 19) > until.substr(0, 19)) continue;
      json::object have = notes::to_note(g);
      have.erase("created");
      have.erase("updated");
      if (have == want) found.push_back(g);
    }
    return false;
  });
  return found;
}

Result Backend::apply_note(const Op& op) {
  if (op.is_create()) {
    // The one note of `found` (alike) a try in `t` made, the kit's rule for a store without keys
    // (kit::made_by_try: several made then, or `t`'s start not known while any exists, take none).
    auto made_by_try = [&](const std::vector<json::object>& found, const accord::kit::TryTime& t, bool after_loss) {
      std::vector<std::optional<int64_t>> made;
      for (const auto& g : found) {
        const json::value* at = g.if_contains("createdDateTime");
        made.push_back(at ? accord::utc::parse_time_ms(*at) : std::nullopt);
      }
      return accord::kit::made_by_try(made, t, after_loss, "note \"" + str(op.data, "title") + "\"");
    };
    // a resend: the note an earlier try may have made, by what it sent, made from before the first
    // try that may have written (first_sent_at) to after the latest (sent_at); an older host tells
    // neither: the notes alike of the last day are listed, and any one found makes the create wait
    if (op.resend) {
      accord::kit::TryTime t = accord::kit::resend_time(op);
      std::string since = t.from_text();
      if (since.empty()) since = before(now_utc(), 86400);
      std::vector<json::object> found = find_notes(op, since, "");
      // (a plain retry when several: this try wrote nothing; the host keeps the first try's time)
      if (auto one = made_by_try(found, t, false)) return note_result(found[*one]);
    }
    const int64_t sent = accord::kit::now_ms();
    Answer a;
    try {
      a = client_.call("POST", kNotes, json::serialize(notes::to_graph(op.data)));
    } catch (const LostAnswer& e) {
      accord::kit::TryTime t = accord::kit::call_time(sent);
      std::vector<json::object> found = accord::kit::looking_after_loss([&] { return find_notes(op, t.from_text(), ""); });
      std::optional<size_t> one;
      try {
        one = made_by_try(found, t, true);
      } catch (const accord::kit::MaybeWritten& alike) {
        throw accord::kit::MaybeWritten(std::string(e.what()) + "; " + alike.what(), alike.retry_after_ms());
      }
      if (one) return note_result(found[*one]);
      throw accord::kit::MaybeWritten(std::string(e.what()) + "; no note made since then has what it sent yet: it is "
                                                              "looked for again before it is sent again", 5000);
    }
    if (!a.ok() || !a.body.is_object()) unusable("POST", kNotes, a);
    return note_result(a.body.get_object());
  }
  std::string path = std::string(kNotes) + "/" + url_encode(op.id);
  if (op.is_delete()) {
    Answer a = client_.call("DELETE", path, "", if_match(op), true);
    if (a.ok() || a.status == 404) return Result::ok(op.id);
    if (a.status == 412) return Result::conflict(failure(ACCORD_CONFLICT, "DELETE", path, a).what(), op.id);
    unusable("DELETE", path, a);
  }
  // A note with images (note.md: inline image attachments, referenced from its HTML body by cid:) is
  // not written: the text the other side has would replace that body and drop them.
  auto now = get_one(path + "?$select=hasAttachments");
  if (!now) throw accord::Error(ACCORD_ERROR, "note " + op.id + " is no longer in Outlook");
  if (const json::value* h = now->if_contains("hasAttachments"); h && h->is_bool() && h->get_bool())
    return Result::failed("unsupported",
                          "note " + op.id + " (\"" + str(op.data, "title") + "\") holds images in Outlook, which its text "
                          "cannot carry: writing the other side's text would drop them, so it is left as it is (edit "
                          "it in Outlook, or take its images out there)", op.id);
  Answer a = client_.call("PATCH", path, json::serialize(notes::to_graph(op.data)), if_match(op), true);
  if (a.status == 412)
    return Result::conflict(failure(ACCORD_CONFLICT, "PATCH", path, a, "the note changed in Outlook since it was read").what(), op.id);
  if (a.status == 404) throw accord::Error(ACCORD_ERROR, "note " + op.id + " is no longer in Outlook");
  if (!a.ok() || !a.body.is_object()) unusable("PATCH", path, a);
  return note_result(a.body.get_object());
}

}  // namespace outlook::graph
