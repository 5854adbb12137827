// SPDX-License-Identifier: Apache-2.0
// accord/kit/cursor.hpp — a connector's cursors, versioned: the text
// "<prefix><version>.<JSON body>" (e.g. imap1.{"v":1,…}). A cursor of another
// prefix or version, or whose body is not a JSON object, is not resumed from:
// reading it throws accord::Error(ACCORD_CURSOR_EXPIRED), and the host does a
// full listing and diffs it against its state (never a wipe). So a connector
// that changes what its cursors hold bumps the version and its old cursors
// expire in that orderly way; it never misreads one.
//
// Part of the connector kit (C++17). Thread safety: immutable after
// construction; read and write from any thread.
#ifndef ACCORD_KIT_CURSOR_HPP
#define ACCORD_KIT_CURSOR_HPP

#include <accord/connector.hpp>

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace accord::kit {

class CursorFormat {
 public:
  // prefix: [a-z][a-z0-9_-]* naming the connector (or its kind of cursor);
  // version: >= 1, bumped whenever the body's meaning changes.
  CursorFormat(std::string prefix, int version);

  // The cursor text for `body` (a JSON object).
  std::string write(const boost::json::object& body) const;
  // The body of a cursor this format wrote; nullopt for "" (a full listing).
  // Throws accord::Error(ACCORD_CURSOR_EXPIRED) saying why (another
  // connector's, an older or newer version, damaged) and that a full
  // listing follows.
  std::optional<boost::json::object> read(std::string_view text) const;
  // Throws the same CURSOR_EXPIRED error, for a cursor whose body this
  // format read but that cannot be resumed (another account, a token the
  // server forgot): `why` says which.
  [[noreturn]] void expire(const std::string& why) const;

  const std::string& tag() const { return tag_; }

 private:
  std::string prefix_;
  int version_;
  std::string tag_;  // prefix + version + "."
};

}  // namespace accord::kit

#endif  // ACCORD_KIT_CURSOR_HPP
