// SPDX-License-Identifier: Apache-2.0
// Parsing JSON with every number read exactly (the double nearest its text,
// as std::from_chars and strtod give it), where Boost.JSON 1.81's parser
// approximates: "-122.41941550000001" reads one unit in the last place off,
// and "5e71" reads as 5.000000000000001E71, whose shortest text reads as
// ...002E71, and so on: a number stored and read back drifts a little on
// every round. Boost 1.83 has parse_options::numbers = precise; Debian 12
// ships 1.81, so this is the handler of boost::json::parser (the same value
// stack, the same options and errors) with on_double taking the number's
// own text to std::from_chars. Only doubles differ: integers Boost reads
// exactly already.
//
// Header-only, C++17, Boost.JSON (the host's library or a plugin's own
// header-only copy); any thread.
#pragma once

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_stack.hpp>

#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <system_error>

namespace accord::json_exact {

// The double nearest a number's text, for a handler's on_double(d, s):
// `number` holds the parts the parser handed before (on_number_part; it is
// cleared here), s the last. Where the text is out of range, Boost's own
// answer d (an infinity, or zero), which the callers judge as they always did.
inline double exact_double(std::string& number, double d, std::string_view s) {
  number.append(s.data(), s.size());
  double exact = 0;
  auto [end, err] = std::from_chars(number.data(), number.data() + number.size(), exact);
  if (err == std::errc() && end == number.data() + number.size()) d = exact;
  number.clear();
  return d;
}

namespace detail {

struct Handler {
  static constexpr std::size_t max_object_size = boost::json::object::max_size();
  static constexpr std::size_t max_array_size = boost::json::array::max_size();
  static constexpr std::size_t max_key_size = boost::json::string::max_size();
  static constexpr std::size_t max_string_size = boost::json::string::max_size();

  boost::json::value_stack st;
  std::string number;  // a number's text so far, when the parser hands it in parts

  explicit Handler(boost::json::storage_ptr sp) : st(std::move(sp)) {}

  using ec_t = boost::system::error_code;
  using sv = boost::json::string_view;
  bool on_document_begin(ec_t&) { return true; }
  bool on_document_end(ec_t&) { return true; }
  bool on_object_begin(ec_t&) { return true; }
  bool on_object_end(std::size_t n, ec_t&) { return st.push_object(n), true; }
  bool on_array_begin(ec_t&) { return true; }
  bool on_array_end(std::size_t n, ec_t&) { return st.push_array(n), true; }
  bool on_key_part(sv s, std::size_t, ec_t&) { return st.push_chars(s), true; }
  bool on_key(sv s, std::size_t, ec_t&) { return st.push_key(s), true; }
  bool on_string_part(sv s, std::size_t, ec_t&) { return st.push_chars(s), true; }
  bool on_string(sv s, std::size_t, ec_t&) { return st.push_string(s), true; }
  bool on_number_part(sv s, ec_t&) { return number.append(s.data(), s.size()), true; }
  bool on_int64(std::int64_t i, sv, ec_t&) { return number.clear(), st.push_int64(i), true; }
  bool on_uint64(std::uint64_t u, sv, ec_t&) { return number.clear(), st.push_uint64(u), true; }
  bool on_double(double d, sv s, ec_t&) { return st.push_double(exact_double(number, d, s)), true; }
  bool on_bool(bool b, ec_t&) { return st.push_bool(b), true; }
  bool on_null(ec_t&) { return st.push_null(), true; }
  bool on_comment_part(sv, ec_t&) { return true; }
  bool on_comment(sv, ec_t&) { return true; }
};

}  // namespace detail

// Reads a whole JSON text as boost::json::parse(text, ec, sp, opt) does,
// numbers exact. *consumed, when given, is where the parser stopped (the
// byte an error is at).
inline boost::json::value parse(std::string_view text, boost::system::error_code& ec,
                                boost::json::storage_ptr sp = {}, const boost::json::parse_options& opt = {},
                                std::size_t* consumed = nullptr) {
  boost::json::basic_parser<detail::Handler> p(opt, boost::json::storage_ptr());
  p.handler().st.reset(std::move(sp));
  std::size_t n = p.write_some(false, text.data(), text.size(), ec);
  if (consumed) *consumed = n;
  if (!ec && n < text.size()) ec = boost::json::error::extra_data;
  if (ec) return nullptr;
  return p.handler().st.release();
}

// The same, throwing boost::system::system_error as boost::json::parse does.
inline boost::json::value parse(std::string_view text, boost::json::storage_ptr sp = {},
                                const boost::json::parse_options& opt = {}) {
  boost::system::error_code ec;
  boost::json::value v = parse(text, ec, std::move(sp), opt);
  if (ec) throw boost::system::system_error(ec);
  return v;
}

}  // namespace accord::json_exact
