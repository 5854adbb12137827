// SPDX-License-Identifier: Apache-2.0
// The IMAP4rev1 response parser of the gmail-imap connector (RFC 3501, with
// the syntax of LITERAL+/LITERAL- (RFC 7888), BINARY's literal8 (RFC 3516),
// CONDSTORE/QRESYNC (RFC 7162), ESEARCH (RFC 4731), UIDPLUS (RFC 4315) and
// Gmail's X-GM-EXT-1). It owns no socket: bytes go in as they arrive, in any
// pieces (a literal may be split anywhere), and whole responses come out.
//
// Thread safety: none; one parser per connection.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace imap {

// A response the grammar does not allow. what() names what was expected and
// shows the start of the offending line (never a literal's content).
struct ParseError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One value of a response: an atom (FLAGS' \Seen, a sequence set 1:5,7, a
// FETCH item name such as BODY[HEADER.FIELDS (FROM)]<0>), a number, a string
// (quoted or literal; `literal` says which), NIL, or a parenthesised list.
struct Value {
  enum class Kind { kAtom, kNumber, kString, kNil, kList };
  Kind kind = Kind::kNil;
  std::string text;      // atom, string, and a number's digits
  uint64_t number = 0;   // kNumber
  bool literal = false;  // kString that came as {n} or ~{n}
  std::vector<Value> list;

  bool is_atom(std::string_view upper_name) const;  // an atom, compared case-insensitively
  bool is_nil() const { return kind == Kind::kNil; }
  // The value as text: atoms, numbers and strings; NIL → "".
  std::string str() const;
};

struct Response {
  enum class Kind { kTagged, kUntagged, kContinuation };
  Kind kind = Kind::kUntagged;
  std::string tag;     // kTagged
  std::string status;  // OK | NO | BAD | PREAUTH | BYE, upper case; "" for data responses
  std::string code;    // the response code's name, upper case: APPENDUID, MODIFIED, HIGHESTMODSEQ…
  std::vector<Value> code_args;
  std::string text;    // the human-readable text after the status and code (or a continuation's text)
  // data responses ("* 3 FETCH (…)", "* CAPABILITY …", "* VANISHED (EARLIER) 1:3")
  std::optional<uint64_t> number;  // the message number before EXISTS, EXPUNGE, FETCH, RECENT
  std::string name;                // FETCH, EXISTS, CAPABILITY, LIST, STATUS, ESEARCH, VANISHED…, upper case
  std::vector<Value> args;         // what follows the name
};

// ASCII upper case: IMAP's names, flags and capabilities compare without case.
std::string ascii_upper(std::string_view s);

// A FETCH response's items by name, upper case ("UID", "FLAGS", "BODY[]",
// "X-GM-LABELS"…). Throws ParseError when the response is not a FETCH.
std::map<std::string, Value> fetch_items(const Response& r);
// The same, taking the values out of r (a body is not copied).
std::map<std::string, Value> fetch_items(Response&& r);

class Parser {
 public:
  // Takes the next bytes from the server.
  void feed(std::string_view bytes);
  // The next whole response, or nullopt until more bytes come. Throws
  // ParseError on a malformed one (the connection is then beyond repair).
  std::optional<Response> next();
  // Bytes held that do not make a whole response yet.
  size_t pending() const { return buf_.size() - pos_; }

  // The longest literal accepted (a message is streamed in batches by the
  // connector, never asked for whole beyond this).
  static constexpr uint64_t kMaxLiteral = uint64_t(1) << 31;

 private:
  // The length of the whole response starting at pos_, or 0 when incomplete.
  size_t complete_length() const;

  std::string buf_;
  size_t pos_ = 0;
};

// Parses one whole response (as Parser::next does); for tests and the fuzzer.
Response parse_response(std::string_view whole);

}  // namespace imap
