// SPDX-License-Identifier: Apache-2.0
// The end of one page of a full listing that a change feed then follows
// (Drive: changes from the start page token; Gmail's first listing has
// phases of its own, gmail_stream.cpp): the cursor goes on to the next
// page, keeping where the changes start, or after the last page to them.
//
// Header-only; pure functions; any thread.
#pragma once

#include <accord/kit/batch.hpp>
#include <accord/kit/cursor.hpp>

#include <boost/json/object.hpp>

#include <string>

namespace gapi {

// `next`: the cursor body so far ({"stream"}); `start`: where the changes
// begin; `page`: the listing's next page token ("" after the last);
// `resume`: the member the changes' cursor keeps `start` under.
inline std::string listing_page(accord::kit::Batch batch, const accord::kit::CursorFormat& cursor,
                                boost::json::object next, const std::string& start, const std::string& page,
                                const char* resume) {
  if (!page.empty()) {
    next["start"] = start;
    next["page"] = page;
  } else {
    next[resume] = start;
  }
  batch.more = !page.empty();
  batch.cursor = cursor.write(next);
  return batch.serialize();
}

}  // namespace gapi
