// SPDX-License-Identifier: Apache-2.0
#include "imap_command.hpp"

#include "imap_parser.hpp"
#include "mutf7.hpp"

#include <cctype>

namespace imap {

namespace {

bool ctl(unsigned char c) { return c < 0x20 || c == 0x7f; }

// atom-char of RFC 3501: not ( ) { SP CTL % * " \ ]
bool plain_atom(std::string_view s) {
  if (s.empty()) return false;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c >= 0x80 || ctl(c) || c == ' ' || c == '(' || c == ')' || c == '{' || c == '%' || c == '*' || c == '"' ||
        c == '\\' || c == ']')
      return false;
  }
  return true;
}

bool quotable(std::string_view s) {
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c >= 0x80 || c == '\r' || c == '\n' || c == 0) return false;
  }
  return true;
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

Command::Command(std::string tag, std::string_view name) : tag_(std::move(tag)) {
  if (!plain_atom(tag_) || tag_.find('+') != std::string::npos) throw std::invalid_argument("an IMAP tag must be a plain atom without +");
  if (name.empty()) throw std::invalid_argument("an IMAP command needs a name");
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != ' ' && c != '.' && c != '-')
      throw std::invalid_argument("an IMAP command name holds letters, digits, spaces, dots and hyphens");
  parts_.push_back(Part{std::string(name)});
}

Command& Command::add(Part p) {
  parts_.push_back(std::move(p));
  return *this;
}

Command& Command::atom(std::string_view token) {
  if (token.empty()) throw std::invalid_argument("an empty IMAP token");
  int depth = 0;
  for (char ch : token) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (ctl(c) || c >= 0x80 || c == '"' || c == '{')
      throw std::invalid_argument("not an IMAP token (control, 8-bit, quote or brace): use astring or literal");
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if (depth == 0 && (c == ' ' || c == '(' || c == ')'))
      throw std::invalid_argument("not an IMAP token (a space or parenthesis outside [ ])");
  }
  if (depth != 0) throw std::invalid_argument("not an IMAP token (unbalanced [ ])");
  return add(Part{std::string(token)});
}

Command& Command::number(uint64_t n) { return add(Part{std::to_string(n)}); }

Command& Command::astring(std::string_view s) {
  if (plain_atom(s) && s != "NIL" && s != "nil") return add(Part{std::string(s)});
  return string(s);
}

Command& Command::string(std::string_view s) {
  if (quotable(s)) return add(Part{quote(s)});
  return literal(s);
}

Command& Command::mailbox(std::string_view utf8) {
  if (ascii_upper(utf8) == "INBOX") return add(Part{"INBOX"});
  auto m = mutf7_encode(utf8);
  if (!m) throw std::invalid_argument("a mailbox name that is not valid UTF-8");
  return astring(*m);
}

Command& Command::literal(std::string_view bytes, bool binary) {
  Part p{std::string(bytes)};
  p.literal = true;
  p.binary = binary;
  return add(std::move(p));
}

Command& Command::literal_ref(std::string_view bytes) {
  Part p;
  p.ref = bytes;
  p.literal = true;
  return add(std::move(p));
}

Command& Command::open() {
  Part p{"("};
  p.open = true;
  return add(std::move(p));
}

Command& Command::close() {
  Part p{")"};
  p.close = true;
  return add(std::move(p));
}

std::vector<Chunk> Command::chunks(LiteralSupport lit) const {
  std::vector<Chunk> out(1);
  out[0].bytes = tag_;
  bool after_open = false;
  for (const auto& p : parts_) {
    std::string& cur = out.back().bytes;
    // (an empty synchronising literal's chunk; not the chunk after a borrowed literal)
    bool at_chunk_start = cur.empty() && out.back().wait_for_continuation;
    if (!at_chunk_start && !after_open && !p.close) cur += ' ';
    after_open = p.open;
    if (!p.literal) {
      cur += p.text;
      continue;
    }
    std::string_view bytes = p.ref.data() ? p.ref : std::string_view(p.text);
    bool sync = !(lit.plus || (lit.minus && bytes.size() <= 4096));
    cur += std::string(p.binary ? "~{" : "{") + std::to_string(bytes.size()) + (sync ? "}\r\n" : "+}\r\n");
    if (sync) out.push_back(Chunk{"", true});
    if (p.ref.data()) {
      // borrowed: sent after the chunk's bytes, then the command goes on in a chunk of its own
      out.back().after = p.ref;
      out.push_back(Chunk{});
    } else {
      out.back().bytes += p.text;
    }
  }
  out.back().bytes += "\r\n";
  return out;
}

std::string Command::text(bool redact) const {
  std::string out = tag_;
  bool after_open = false;
  for (const auto& p : parts_) {
    if (!after_open && !p.close) out += ' ';
    after_open = p.open;
    if (!p.literal) out += p.text;
    else {
      std::string_view bytes = p.ref.data() ? p.ref : std::string_view(p.text);
      out += "{" + std::to_string(bytes.size()) + "}" + (redact ? std::string() : "\r\n" + std::string(bytes));
    }
  }
  return out;
}

}  // namespace imap
