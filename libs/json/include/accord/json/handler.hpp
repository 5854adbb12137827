// SPDX-License-Identifier: Apache-2.0
// What every boost::json::basic_parser handler of ours says alike: Boost's
// own limits (those of its DOM, as boost::json::parser has them), the two
// type names the callbacks take, and nothing to do at a document's ends or
// at a comment (our parses allow none unless their options say so). A
// handler that reads the events its own way (a record's identity fields
// off its text, an answer straight into types, where each number was
// written) derives from it and says only what it does.
//
// Header-only, C++17, Boost.JSON; any thread.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/string_view.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>

namespace accord::json_exact {

struct HandlerBase {
  static constexpr std::size_t max_object_size = boost::json::object::max_size();
  static constexpr std::size_t max_array_size = boost::json::array::max_size();
  static constexpr std::size_t max_key_size = boost::json::string::max_size();
  static constexpr std::size_t max_string_size = boost::json::string::max_size();
  using ec_t = boost::system::error_code;
  using sv = boost::json::string_view;

  bool on_document_begin(ec_t&) { return true; }
  bool on_document_end(ec_t&) { return true; }
  bool on_comment_part(sv, ec_t&) { return true; }
  bool on_comment(sv, ec_t&) { return true; }
};

}  // namespace accord::json_exact
