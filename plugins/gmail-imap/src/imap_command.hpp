// SPDX-License-Identifier: Apache-2.0
// IMAP commands as the client sends them (RFC 3501 section 9, with LITERAL+
// and LITERAL- of RFC 7888). Every value goes in through a typed method that
// chooses its form: an atom when it is plainly one, a quoted string, or a
// literal. A CR or LF in a user's value can only ever travel inside a
// literal, so it can never end the command line and start another.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace imap {

// A piece of the command to write. A piece marked wait_for_continuation is
// sent only after the server's "+" (a synchronising literal).
struct Chunk {
  std::string bytes;
  bool wait_for_continuation = false;
  std::string_view after = {};  // sent right after bytes: a literal given by reference (literal_ref)
};

struct LiteralSupport {
  bool plus = false;   // LITERAL+: no literal waits
  bool minus = false;  // LITERAL-: literals up to 4096 bytes do not wait
};

class Command {
 public:
  // name: the command's words ("UID FETCH"); letters, digits, spaces, dots and hyphens.
  Command(std::string tag, std::string_view name);

  // A protocol token the connector writes itself: a sequence set (1:5,7),
  // a flag (\Seen), a FETCH item (BODY.PEEK[HEADER.FIELDS (FROM)]).
  // Throws std::invalid_argument for anything that is not one.
  Command& atom(std::string_view token);
  Command& number(uint64_t n);
  // A user's text: an atom when it plainly is one, else quoted, else a literal
  // (CR, LF, NUL or 8-bit bytes).
  Command& astring(std::string_view s);
  // Always quoted or literal (never an atom): search keys, header values.
  Command& string(std::string_view s);
  // A mailbox name in UTF-8: modified UTF-7, then as astring. "INBOX" in
  // any case is sent as INBOX. Throws std::invalid_argument for invalid UTF-8.
  Command& mailbox(std::string_view utf8);
  // Bytes that always go as a literal (APPEND's message).
  Command& literal(std::string_view bytes, bool binary = false);
  // The same without a copy: `bytes` must outlive the command's sending
  // (a large APPEND).
  Command& literal_ref(std::string_view bytes);
  Command& open();   // "("
  Command& close();  // ")"

  const std::string& tag() const { return tag_; }
  // The command as pieces to write, each but the last ending in a literal's
  // announcement, the last in CRLF.
  std::vector<Chunk> chunks(LiteralSupport lit) const;
  // The whole command as one string, for tests and logs with literals shown
  // as {n} only when `redact` (a logged command never shows a password).
  std::string text(bool redact) const;

 private:
  struct Part {
    std::string text;   // a token, or the literal's bytes
    std::string_view ref = {};  // the literal's bytes, borrowed (literal_ref): text is then empty
    bool literal = false;
    bool binary = false;
    bool open = false, close = false;
  };
  Command& add(Part p);

  std::string tag_;
  std::vector<Part> parts_;
};

}  // namespace imap
