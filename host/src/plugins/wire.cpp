// SPDX-License-Identifier: Apache-2.0
// The connector wire read into types: see wire.hpp. Must never throw on what
// a plugin sends, nor recurse on its depth (a scanner with an explicit stack
// finds the records of an answer the parser refuses).
#include "plugins/wire.hpp"

#include "plugins/wire_canonical.hpp"

#include <accord/json/exact.hpp>
#include <accord/json/handler.hpp>
#include <accord/json/pointer.hpp>
#include <accord/json/text.hpp>
#include <accord/net/redact.hpp>
#include <accord/status/names.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/locale/utf.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

namespace json = boost::json;

namespace accord::wire {

std::size_t first_invalid_utf8(std::string_view text) {
  using traits = boost::locale::utf::utf_traits<char>;
  const char* p = text.data();
  const char* e = p + text.size();
  while (p != e) {
    if (static_cast<unsigned char>(*p) < 0x80) {
      ++p;
      continue;
    }
    const char* at = p;
    boost::locale::utf::code_point c = traits::decode(p, e);
    if (c == boost::locale::utf::illegal || c == boost::locale::utf::incomplete)
      return static_cast<std::size_t>(at - text.data());
  }
  return std::string_view::npos;
}

namespace {

const char* kind_name(json::kind k) {
  switch (k) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "true or false";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "a number";
    case json::kind::string: return "a string";
    case json::kind::array: return "an array";
    case json::kind::object: return "an object";
  }
  return "something else";
}

json::parse_options options() {
  json::parse_options o;
  o.max_depth = kMaxDepth;
  return o;
}

// Where a parser stops in text, and why.
std::string not_json(std::string_view text) {
  json::stream_parser p({}, options());
  boost::system::error_code ec;
  std::size_t n = p.write_some(text.data(), text.size(), ec);
  if (!ec) p.finish(ec);
  if (!ec) return "not JSON";
  if (ec == json::error::too_deep) return "nested deeper than " + std::to_string(kMaxDepth) + " levels";
  if (std::size_t u = first_invalid_utf8(text); u != std::string_view::npos && u <= n) {
    char b[64];
    std::snprintf(b, sizeof b, "invalid UTF-8 (byte 0x%02X at byte %zu)", static_cast<unsigned char>(text[u]), u);
    return b;
  }
  return "not JSON (" + ec.message() + " at byte " + std::to_string(n) + ")";
}

// ---- a scanner that knows strings, brackets and commas ----------------------
// It takes each byte of a string as it comes, so invalid UTF-8 or a bad
// number inside one record leaves the bounds of the others where a parser
// would find them. Brackets must match by kind; anything else that breaks
// the frame fails the answer as a whole.
struct Scanner {
  std::string_view t;
  std::size_t i = 0;

  bool end() const { return i >= t.size(); }
  char peek() const { return end() ? '\0' : t[i]; }
  void ws() {
    while (!end() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) ++i;
  }
  bool eat(char c) {
    ws();
    if (peek() != c) return false;
    ++i;
    return true;
  }
  bool string() {  // at '"': past its closing quote
    if (peek() != '"') return false;
    for (++i; i < t.size(); ++i) {
      if (t[i] == '\\') ++i;
      else if (t[i] == '"') return ++i, true;
    }
    return false;
  }
  bool scalar() {
    std::size_t start = i;
    while (!end() && ((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z') ||
                      t[i] == '+' || t[i] == '-' || t[i] == '.'))
      ++i;
    return i > start;
  }
  bool value() {  // past one value
    ws();
    if (peek() == '"') return string();
    if (peek() != '{' && peek() != '[') return scalar();
    std::string closers;
    do {
      if (end()) return false;
      char c = t[i];
      if (c == '"') {
        if (!string()) return false;
        continue;
      }
      if (c == '{') closers.push_back('}');
      else if (c == '[') closers.push_back(']');
      else if (c == '}' || c == ']') {
        if (closers.back() != c) return false;
        closers.pop_back();
      }
      ++i;
    } while (!closers.empty());
    return true;
  }
};

struct Span {
  std::size_t begin, end;
};

// At '[': each element's bounds; past the ']'.
bool elements(Scanner& s, std::vector<Span>& out) {
  if (!s.eat('[')) return false;
  s.ws();
  if (s.peek() == ']') return ++s.i, true;
  for (;;) {
    s.ws();
    std::size_t b = s.i;
    if (!s.value()) return false;
    out.push_back({b, s.i});
    if (s.eat(',')) continue;
    return s.eat(']');
  }
}

// A quoted JSON string's text (invalid UTF-8 shown as '?'), or its raw bytes
// where even that does not parse; *sure: neither was needed.
std::string text_of(std::string_view quoted, bool* sure = nullptr) {
  if (sure) *sure = false;
  std::string fixed(quoted);
  for (std::size_t at = 0;;) {
    std::size_t u = first_invalid_utf8(std::string_view(fixed).substr(at));
    if (u == std::string_view::npos) break;
    fixed[at + u] = '?';
    at += u + 1;
  }
  boost::system::error_code ec;
  json::value v = json::parse(fixed, ec);
  if (!ec && v.is_string()) {
    if (sure) *sure = fixed == quoted;
    return std::string(v.get_string());
  }
  return quoted.size() >= 2 ? std::string(quoted.substr(1, quoted.size() - 2)) : std::string(quoted);
}

void add_step(std::string& ptr, std::string_view key) {  // RFC 6901
  ptr += '/';
  ptr += json_pointer::escape(key);
}

// Appends to ptr the steps, from the value at s, to the innermost value that
// holds byte `at` (at most 16 steps).
void locate(Scanner& s, std::size_t at, std::string& ptr) {
  for (int depth = 0; depth < 16; ++depth) {
    s.ws();
    bool object = s.peek() == '{';
    if (!object && s.peek() != '[') return;
    ++s.i;
    for (std::size_t n = 0;; ++n) {
      s.ws();
      if (s.end() || s.peek() == '}' || s.peek() == ']' || at < s.i) return;
      std::string step = std::to_string(n);
      if (object) {
        std::size_t kb = s.i;
        if (!s.string()) return;
        step = text_of(s.t.substr(kb, s.i - kb));
        if (!s.eat(':')) return;
        s.ws();
      }
      Scanner probe = s;
      bool whole = probe.value();
      if (!whole || at < probe.i) {
        add_step(ptr, step);
        break;  // into this member
      }
      s.i = probe.i;
      if (!s.eat(',')) return;
    }
  }
}

// The id of a record the parser refused, where it has one that is a string.
std::string id_of(std::string_view record, bool& sure) {
  Scanner s{record};
  if (!s.eat('{')) return "";
  for (;;) {
    s.ws();
    std::size_t kb = s.i;
    if (!s.string()) return "";
    std::string_view key = record.substr(kb, s.i - kb);
    if (!s.eat(':')) return "";
    s.ws();
    std::size_t vb = s.i;
    if (!s.value()) return "";
    if (key == "\"id\"" && record[vb] == '"') return text_of(record.substr(vb, s.i - vb), &sure);
    if (!s.eat(',')) return "";
  }
}

// Why the parser refused an element of an answer, and where.
Problem diagnose(std::string_view element, std::string base) {
  Problem p;
  p.id = id_of(element, p.id_sure);
  std::size_t at = element.size();
  if (std::size_t u = first_invalid_utf8(element); u != std::string_view::npos) {
    at = u;
    char b[48];
    std::snprintf(b, sizeof b, "invalid UTF-8 (byte 0x%02X)", static_cast<unsigned char>(element[u]));
    p.reason = b;
  } else {
    json::stream_parser parser({}, options());
    boost::system::error_code ec;
    at = parser.write_some(element.data(), element.size(), ec);
    if (!ec) parser.finish(ec);
    p.reason = ec == json::error::too_deep ? "nested deeper than " + std::to_string(kMaxDepth) + " levels"
                                           : "not JSON (" + ec.message() + ")";
  }
  Scanner s{element};
  p.pointer = std::move(base);
  locate(s, at, p.pointer);
  return p;
}

// Whether a value holds a double that is not finite anywhere: the same
// walk with no pointers built (every record of every batch is walked,
// nearly always in vain).
bool any_non_finite(const json::value& v) {
  std::vector<const json::value*> todo{&v};
  while (!todo.empty()) {
    const json::value* at = todo.back();
    todo.pop_back();
    if (at->is_double() && !std::isfinite(at->get_double())) return true;
    if (at->is_array())
      for (const auto& e : at->get_array()) todo.push_back(&e);
    else if (at->is_object())
      for (const auto& m : at->get_object()) todo.push_back(&m.value());
  }
  return false;
}

// Where a number in v is too large for a double (a connector's 7e731: the
// parser reads it as infinity, which JSON cannot write back, so the state
// and --json would hold text no reader takes): its pointer below `base`.
// An explicit stack: the parser bounds the depth, this keeps to no recursion.
std::optional<std::string> out_of_range_number(const json::value& v, std::string base) {
  if (!any_non_finite(v)) return std::nullopt;
  std::vector<std::pair<const json::value*, std::string>> todo{{&v, std::move(base)}};
  while (!todo.empty()) {
    auto [at, ptr] = std::move(todo.back());
    todo.pop_back();
    if (at->is_double() && !std::isfinite(at->get_double())) return ptr;
    if (at->is_array()) {
      const json::array& a = at->get_array();
      for (std::size_t k = 0; k < a.size(); ++k) todo.emplace_back(&a[k], ptr + "/" + std::to_string(k));
    } else if (at->is_object()) {
      for (const auto& m : at->get_object()) {
        std::string step = ptr;
        add_step(step, m.key());
        todo.emplace_back(&m.value(), std::move(step));
      }
    }
  }
  return std::nullopt;
}

// One parsed record, at /records/i, into b.records or b.unreadable.
void take_record(json::value& v, std::size_t i, Batch& b) {
  std::string base = "/records/" + std::to_string(i);
  Problem p;
  auto bad = [&](const std::string& field, std::string reason) {
    p.pointer = base + field;
    p.reason = std::move(reason);
    b.unreadable.push_back(std::move(p));
  };
  if (!v.is_object()) return bad("", std::string("a record must be a JSON object, not ") + kind_name(v.kind()));
  json::object& o = v.get_object();
  json::value* id = o.if_contains("id");
  if (!id || id->is_null()) return bad("", "no id");
  if (!id->is_string()) return bad("/id", std::string("\"id\" must be a string, not ") + kind_name(id->kind()));
  if (id->get_string().empty()) return bad("/id", "\"id\" must not be empty");
  p.id = id->get_string();
  p.id_sure = true;
  std::string text[3];
  const char* text_keys[3] = {"version", "modified", "idempotency_key"};
  for (int k = 0; k < 3; ++k) {
    json::value* f = o.if_contains(text_keys[k]);
    if (!f || f->is_null()) continue;
    if (!f->is_string())
      return bad(std::string("/") + text_keys[k],
                 std::string("\"") + text_keys[k] + "\" must be a string, not " + kind_name(f->kind()));
    text[k] = f->get_string();
  }
  bool flag[2] = {false, false};
  const char* flag_keys[2] = {"deleted", "renumbered"};
  for (int k = 0; k < 2; ++k) {
    json::value* f = o.if_contains(flag_keys[k]);
    if (!f || f->is_null()) continue;
    if (!f->is_bool())
      return bad(std::string("/") + flag_keys[k],
                 std::string("\"") + flag_keys[k] + "\" must be true or false, not " + kind_name(f->kind()));
    flag[k] = f->get_bool();
  }
  // A record its own connector cannot read (a file that does not parse, two
  // components with one UID): sent without data, with "problem" saying what,
  // where and the fix, in the connector's words; skipped and listed as the
  // host's own unreadable records are (an older host says "needs data").
  if (json::value* why = flag[0] ? nullptr : o.if_contains("problem"); why && !why->is_null()) {
    if (!why->is_string()) return bad("/problem", std::string("\"problem\" must be a string, not ") + kind_name(why->kind()));
    if (json::value* d = o.if_contains("data"); !d || d->is_null()) {
      std::string_view said = why->get_string();
      bool blank = said.find_first_not_of(" \t\r\n") == std::string_view::npos;
      return bad("", blank ? "its connector cannot read it and did not say why (\"problem\" is empty)" : std::string(said));
    }
  }
  json::value* d = flag[0] ? nullptr : o.if_contains("data");
  if (!flag[0] && (!d || d->is_null())) return bad("", "a live record needs \"data\"");
  if (d && !d->is_object()) return bad("/data", std::string("\"data\" must be an object, not ") + kind_name(d->kind()));
  if (d)
    if (auto big = out_of_range_number(*d, "/data"))
      return bad(*big, "a number too large for a double (JSON has no infinity); send it as a string");
  // the data is moved, not copied: it stays in the answer's storage
  b.records.push_back(Record{std::move(p.id), std::move(text[0]), std::move(text[1]), std::move(text[2]), flag[0],
                             flag[0] && flag[1], d ? json::value(std::move(*d)) : json::value(), {}, 0, 0});
}

// The answer's frame: "cursor", "more", "full". False (b.error set) when unreadable.
bool take_frame(const json::object& o, bool need_cursor, Batch& b) {
  if (need_cursor) {
    const json::value* c = o.if_contains("cursor");
    if (!c || !c->is_string()) {
      b.error = c ? std::string("unreadable: \"cursor\" must be a string, not ") + kind_name(c->kind())
                  : "without a \"cursor\"";
      return false;
    }
    b.cursor = c->get_string();
  }
  for (const char* key : {"more", "full"}) {
    const json::value* f = o.if_contains(key);
    if (!f || f->is_null()) continue;
    if (!f->is_bool()) {
      b.error = std::string("unreadable: \"") + key + "\" must be true or false, not " + kind_name(f->kind());
      return false;
    }
    (key[0] == 'm' ? b.more : b.full) = f->get_bool();
  }
  // "total" only feeds a progress bar: a value that is not a count is a
  // note, never a reason to refuse the batch.
  if (const json::value* t = o.if_contains("total"); t && !t->is_null()) {
    if (t->is_uint64()) b.total = t->get_uint64();
    else if (t->is_int64() && t->get_int64() >= 0) b.total = static_cast<uint64_t>(t->get_int64());
    else if (t->is_double() && t->get_double() >= 0 && t->get_double() < 0x1p63 && std::floor(t->get_double()) == t->get_double())
      b.total = static_cast<uint64_t>(t->get_double());  // 120.0 is an integer to JSON Schema too
    else
      b.notes.push_back(std::string("answered a batch with \"total\" ") +
                        (t->is_number() ? "a number that is not a whole count (0 or more)" : kind_name(t->kind())) +
                        ", not a count of records; taken as absent");
  }
  // "budget" (optional, read by the CLI's plan, sdk/schema/batch.schema.json):
  // kept as its text when it is an object, else a note.
  if (const json::value* g = o.if_contains("budget"); g && !g->is_null()) {
    if (g->is_object()) b.budget = json::serialize(*g);
    else b.notes.push_back(std::string("answered a batch with \"budget\" ") + kind_name(g->kind()) + ", not an object; taken as absent");
  }
  return true;
}

// ---- the fast path: an answer whose every record reads well -----------------
// A handler of boost::json::basic_parser that makes a value of each record's
// data only (through a value_stack, as the parser's own handler does) and
// reads a record's other members straight into its Record, and the frame's
// members (but "records") into a small object for take_frame: no DOM of the
// answer nor of its records is built, searched member by member, or walked
// again for numbers too large (each number is judged as it is read).
//
// It takes only what the DOM path (detail::read_dom) reads as a readable
// record. At anything else (a member of the wrong type or a null where a
// value must be, no id, a "problem", a second "data" or "records", a number
// too large for a double, or a text that does not parse) it stops, and the
// answer is read again by the DOM path, which says what is wrong and where.
// Wherever it does not stop, the two give the same Batch
// (WireTest.TheFastPathReadsEveryAnswerAsTheDomPathDoes).
class FastReader : public json_exact::HandlerBase {
 public:
  FastReader(json::storage_ptr sp, Batch& b, const Texts* texts = nullptr)
      : sp_(std::move(sp)), b_(b), texts_(texts) {
    frame_.reset(sp_);
  }

  // Once the parser took the whole text: the frame ("records" in it
  // empty), or none where the answer has no "records" array.
  std::optional<json::value> frame() {
    if (in_ != In::kDone || !records_seen_) return std::nullopt;
    return frame_.release();
  }


  bool on_object_begin(ec_t& ec) { return open(true, ec); }
  bool on_array_begin(ec_t& ec) { return open(false, ec); }
  bool on_object_end(std::size_t n, ec_t& ec) { return close(true, n, ec); }
  bool on_array_end(std::size_t n, ec_t& ec) { return close(false, n, ec); }

  bool on_key_part(sv s, std::size_t, ec_t&) {
    switch (in_) {
      case In::kTop: part_.append(s.data(), s.size()); [[fallthrough]];
      case In::kFrame: frame_.push_chars(s); break;
      case In::kData:
        if (texts_) part_.append(s.data(), s.size());
        else data_.push_chars(s);
        break;
      case In::kRecord: part_.append(s.data(), s.size()); break;
      default: break;  // kSkip (keys come only inside objects)
    }
    return true;
  }
  bool on_key(sv s, std::size_t, ec_t& ec) {
    switch (in_) {
      case In::kTop: {
        part_.append(s.data(), s.size());
        want_records_ = part_ == "records";
        part_.clear();
        if (want_records_ && records_seen_) return stop(ec);  // the DOM keeps the last: let it say
        records_seen_ = records_seen_ || want_records_;
        frame_.push_key(s);
        break;
      }
      case In::kFrame: frame_.push_key(s); break;
      case In::kData:
        if (texts_) text_key(s);
        else data_.push_key(s);
        break;
      case In::kRecord: {
        part_.append(s.data(), s.size());
        field_ = field_of(part_);
        part_.clear();
        break;
      }
      default: break;
    }
    return true;
  }
  bool on_string_part(sv s, std::size_t, ec_t& ec) {
    switch (in_) {
      case In::kTop:
        if (want_records_) return stop(ec);
        [[fallthrough]];
      case In::kFrame: frame_.push_chars(s); break;
      case In::kData:
        if (texts_) str_.append(s.data(), s.size());
        else data_.push_chars(s);
        break;
      case In::kRecord: part_.append(s.data(), s.size()); break;
      case In::kSkip: break;
      default: return stop(ec);
    }
    return true;
  }
  bool on_string(sv s, std::size_t, ec_t& ec) {
    switch (in_) {
      case In::kTop:
        if (want_records_) return stop(ec);
        [[fallthrough]];
      case In::kFrame: frame_.push_string(s); break;
      case In::kData:
        if (texts_) {
          std::string_view v(s.data(), s.size());
          if (!str_.empty()) v = str_.append(s.data(), s.size());
          before_value();
          w_->string(v);
          if (capturing_) data_.push_string(v);
          str_.clear();
          after_value(false);
        } else {
          data_.push_string(s);
        }
        break;
      case In::kSkip: break;
      case In::kRecord: {
        std::string* into = nullptr;
        switch (field_) {
          case kId: into = &rec_.id, has_id_ = true; break;
          case kVersion: into = &rec_.version; break;
          case kModified: into = &rec_.modified; break;
          case kIdempotencyKey: into = &rec_.idempotency_key; break;
          case kOther: break;
          default: return stop(ec);  // deleted, renumbered, data or problem as a string
        }
        if (into) {
          if (part_.empty()) into->assign(s.data(), s.size());
          else *into = std::move(part_.append(s.data(), s.size()));
        }
        part_.clear();
        break;
      }
      default: return stop(ec);
    }
    return true;
  }
  bool on_number_part(sv s, ec_t&) { return number_.append(s.data(), s.size()), true; }
  bool on_int64(std::int64_t i, sv, ec_t& ec) {
    number_.clear();
    return scalar(ec, [&](json::value_stack& st) { st.push_int64(i); }, json::value(i));
  }
  bool on_uint64(std::uint64_t u, sv, ec_t& ec) {
    number_.clear();
    return scalar(ec, [&](json::value_stack& st) { st.push_uint64(u); }, json::value(u));
  }
  bool on_double(double d, sv s, ec_t& ec) {
    d = json_exact::exact_double(number_, d, s);
    if (in_ == In::kData && !std::isfinite(d)) return stop(ec);  // out_of_range_number's case
    return scalar(ec, [&](json::value_stack& st) { st.push_double(d); }, json::value(d));
  }
  bool on_bool(bool v, ec_t& ec) {
    if (in_ == In::kRecord && (field_ == kDeleted || field_ == kRenumbered))
      return (field_ == kDeleted ? deleted_ : renumbered_) = v, true;
    return scalar(ec, [&](json::value_stack& st) { st.push_bool(v); }, json::value(v));
  }
  bool on_null(ec_t& ec) {
    if (in_ == In::kRecord) {  // a null member is an absent one (take_record)
      switch (field_) {
        case kId: rec_.id.clear(), has_id_ = false; break;
        case kVersion: rec_.version.clear(); break;
        case kModified: rec_.modified.clear(); break;
        case kIdempotencyKey: rec_.idempotency_key.clear(); break;
        case kDeleted: deleted_ = false; break;
        case kRenumbered: renumbered_ = false; break;
        case kData:
          if (data_value_) return stop(ec);
          break;
        default: break;  // problem, or a member the host does not read
      }
      return true;
    }
    return scalar(ec, [&](json::value_stack& st) { st.push_null(); }, json::value(nullptr));
  }

 private:
  // Where the parser is: before the answer; in its object (kTop), a frame
  // member's value (kFrame), the records array, a record, a record's data,
  // a record's member the host does not read (kSkip); past the answer.
  enum class In { kDoc, kTop, kFrame, kRecords, kRecord, kData, kSkip, kDone };
  enum Field { kId, kVersion, kModified, kIdempotencyKey, kDeleted, kRenumbered, kData, kProblem, kOther };

  static Field field_of(std::string_view key) {
    static constexpr std::pair<std::string_view, Field> kFields[] = {
        {"id", kId},           {"version", kVersion},       {"modified", kModified}, {"idempotency_key", kIdempotencyKey},
        {"deleted", kDeleted}, {"renumbered", kRenumbered}, {"data", kData},         {"problem", kProblem}};
    for (const auto& [name, f] : kFields)
      if (key == name) return f;
    return kOther;
  }

  bool stop(ec_t& ec) {
    ec = json::error::syntax;  // (any error: the caller reads the answer again, the DOM way)
    return false;
  }

  template <class Push>
  bool scalar(ec_t& ec, Push push, const json::value& v) {
    switch (in_) {
      case In::kTop:
        if (want_records_) return stop(ec);
        [[fallthrough]];
      case In::kFrame: push(frame_); return true;
      case In::kData:
        if (!texts_) {
          push(data_);
          return true;
        }
        before_value();
        w_->value(v);
        if (capturing_) push(data_);
        after_value(v.is_null());
        return true;
      case In::kSkip: return true;
      case In::kRecord: return field_ == kOther || stop(ec);  // a member the host does not read, else the wrong type
      default: return stop(ec);  // the answer, or a record, that is not an object
    }
  }

  bool open(bool object, ec_t& ec) {
    switch (in_) {
      case In::kDoc:
        if (!object) return stop(ec);
        in_ = In::kTop;
        depth_ = 1;
        return true;
      case In::kTop:
        if (want_records_) {
          if (object) return stop(ec);
          want_records_ = false;
          in_ = In::kRecords;
        } else {
          in_ = In::kFrame;
        }
        ++depth_;
        return true;
      case In::kRecords:
        if (!object) return stop(ec);
        rec_ = RecordTexts{};
        data_value_.reset();
        has_id_ = deleted_ = renumbered_ = false;
        field_ = kOther;
        in_ = In::kRecord;
        ++depth_;
        return true;
      case In::kRecord:
        if (field_ == kData && object && !data_value_) {
          data_.reset(sp_);  // (release() let go of it)
          in_ = In::kData;
          if (texts_) {
            text_.clear();
            text_.reserve(text_size_ + 64);  // (about the last one's: one allocation a record)
            members_at_ = b_.members.size();
            opens_.clear();
            key_spans_.clear();
            captured_ = 0;
            capturing_ = false;
            w_.emplace(text_);
            w_->raw('{');
            opens_.push_back({true, 0, 0});
          }
        } else if (field_ == kOther) {
          in_ = In::kSkip;
        } else {
          return stop(ec);
        }
        ++depth_;
        return true;
      case In::kData:
        if (texts_) {
          before_value();
          w_->raw(object ? '{' : '[');
          opens_.push_back({object, 0, key_spans_.size()});
        }
        ++depth_;
        return true;
      case In::kFrame:
      case In::kSkip: ++depth_; return true;
      default: return stop(ec);
    }
  }

  bool close(bool object, std::size_t n, ec_t& ec) {
    --depth_;
    switch (in_) {
      case In::kTop:
        frame_.push_object(n);
        in_ = In::kDone;
        return true;
      case In::kFrame:
        object ? frame_.push_object(n) : frame_.push_array(n);
        if (depth_ == 1) in_ = In::kTop;
        return true;
      case In::kRecords:
        frame_.push_array(0);  // the frame's "records", as read_answer_dom's frame has it
        in_ = In::kTop;
        return true;
      case In::kRecord:
        // take_record's readable record; anything else is the DOM path's to name
        if (!has_id_ || rec_.id.empty() || (!deleted_ && !data_value_)) return stop(ec);
        // (data_value_ moved by a constructor: an assignment would copy it out of sp_)
        b_.records.push_back(Record{std::move(rec_.id), std::move(rec_.version), std::move(rec_.modified),
                                    std::move(rec_.idempotency_key), deleted_, deleted_ && renumbered_,
                                    deleted_ ? json::value() : json::value(std::move(*data_value_)), {}, 0, 0});
        if (texts_ && !deleted_) {
          Record& r = b_.records.back();
          r.text = std::move(text_);
          r.members_at = members_at_;
          r.members_n = b_.members.size() - members_at_;
        }
        in_ = In::kRecords;
        return true;
      case In::kData:
        if (texts_) return close_text(object, n, ec);
        object ? data_.push_object(n) : data_.push_array(n);
        if (depth_ == 3) {
          data_value_.emplace(data_.release());
          field_ = kOther;  // (its value is read)
          in_ = In::kRecord;
        }
        return true;
      case In::kSkip:
        if (depth_ == 3) in_ = In::kRecord;
        return true;
      default: return stop(ec);
    }
  }

  // ---- a first sync's texts (texts_): the data written as it is read ----
  // A key of an object in the data: written; a member of the data itself
  // noted (where its value begins), and its value kept where asked.
  void text_key(sv s) {
    std::string_view key(s.data(), s.size());
    if (!part_.empty()) key = part_.append(s.data(), s.size());
    Open& o = opens_.back();
    if (o.count++) w_->raw(',');
    std::size_t kb = w_->size();
    w_->string(key);
    key_spans_.emplace_back(kb, w_->size() - kb);
    w_->raw(':');
    if (opens_.size() == 1) {
      top_key_at_ = b_.member_keys.size();
      b_.member_keys.append(key);
      top_key_n_ = key.size();
      top_at_ = w_->size();
      capturing_ = (texts_->first && o.count == 1) ||
                   std::find(texts_->names.begin(), texts_->names.end(), key) != texts_->names.end();
      if (capturing_) ++captured_;
    }
    if (capturing_) data_.push_key(key);
    part_.clear();
  }
  void before_value() {  // an element's comma
    if (Open& o = opens_.back(); !o.object && o.count++) w_->raw(',');
  }
  void after_value(bool null) {  // a member of the data has its whole value
    if (opens_.size() != 1) return;
    if (!null) b_.members.push_back({top_key_at_, top_key_n_, top_at_, w_->size() - top_at_});
    capturing_ = false;
  }
  // Whether the object just closed (its keys from key_spans_[from]) holds a key twice.
  bool twice(std::size_t from) const {
    std::size_t n = key_spans_.size() - from;
    if (n < 2) return false;
    auto key = [&](std::size_t i) { return std::string_view(text_.data() + key_spans_[i].first, key_spans_[i].second); };
    if (n <= 16) {
      for (std::size_t i = from + 1; i < key_spans_.size(); ++i)
        for (std::size_t j = from; j < i; ++j)
          if (key(i) == key(j)) return true;
      return false;
    }
    std::vector<std::string_view> keys;
    keys.reserve(n);
    for (std::size_t i = from; i < key_spans_.size(); ++i) keys.push_back(key(i));
    std::sort(keys.begin(), keys.end());
    return std::adjacent_find(keys.begin(), keys.end()) != keys.end();
  }
  bool close_text(bool object, std::size_t n, ec_t& ec) {
    Open o = opens_.back();
    opens_.pop_back();
    w_->raw(object ? '}' : ']');
    if (object && twice(o.keys_at)) return stop(ec);  // the DOM keeps one: it reads this answer
    key_spans_.resize(o.keys_at);
    if (depth_ == 3) {  // the data's end
      w_.reset();       // (the text's length set)
      text_size_ = text_.size();
      data_.push_object(captured_);
      data_value_.emplace(data_.release());
      field_ = kOther;  // (its value is read)
      in_ = In::kRecord;
      return true;
    }
    if (capturing_) object ? data_.push_object(n) : data_.push_array(n);
    after_value(false);
    return true;
  }

  json::storage_ptr sp_;
  Batch& b_;
  const Texts* texts_;
  struct Open {
    bool object;
    std::size_t count;    // members or elements so far
    std::size_t keys_at;  // its keys' first in key_spans_
  };
  std::string text_;                 // the record's data as written so far
  std::size_t text_size_ = 0;        // the last record's
  std::size_t members_at_ = 0;       // its first in b_.members
  std::vector<Open> opens_;          // the data's objects and arrays open, the data first
  std::vector<std::pair<std::size_t, std::size_t>> key_spans_;  // the keys of the objects open, as written in text_
  std::size_t top_key_at_ = 0, top_key_n_ = 0, top_at_ = 0;  // the member of the data being read: its key, where its value begins
  std::size_t captured_ = 0;   // members of the data kept as values
  bool capturing_ = false;     // the member being read is kept
  std::string str_;            // a string's text so far, when the parser hands it in parts
  std::optional<json_text::Writer> w_;  // into text_ (after it: gone first)
  json::value_stack frame_, data_;  // (their own stacks on the heap, their values from sp_)
  In in_ = In::kDoc;
  std::size_t depth_ = 0;  // containers open
  bool want_records_ = false, records_seen_ = false;
  struct RecordTexts {
    std::string id, version, modified, idempotency_key;
  } rec_;  // the record's, so far
  std::optional<json::value> data_value_;  // its data, once read
  Field field_ = kOther;
  bool has_id_ = false, deleted_ = false, renumbered_ = false;
  std::string part_;    // a key's or a record member's text so far, when the parser hands it in parts
  std::string number_;  // a number's text so far, likewise
};

// The fast path: the Batch, or none where the answer needs the DOM path.
std::optional<Batch> read_answer_fast(std::string_view text, const json::storage_ptr& sp, bool need_cursor,
                                     const Texts* texts = nullptr) {
  std::optional<Batch> b(std::in_place);
  json::basic_parser<FastReader> p(options(), sp, *b, texts);
  boost::system::error_code ec;
  std::size_t n = p.write_some(false, text.data(), text.size(), ec);
  if (ec || n < text.size()) return std::nullopt;
  std::optional<json::value> frame = p.handler().frame();
  if (!frame || !frame->is_object()) return std::nullopt;
  take_frame(frame->get_object(), need_cursor, *b);
  if (!b->error.empty()) b->records.clear();  // (as the DOM path, which reads no record then)
  return b;
}

}  // namespace

// The DOM path: the answer parsed whole, each record taken from it.
Batch detail::read_dom(std::string_view text, json::storage_ptr sp, bool need_cursor) {
  Batch b;
  boost::system::error_code ec;
  json::value v = json_exact::parse(text, ec, sp, options());
  if (!ec) {
    if (!v.is_object()) {
      b.error = std::string("not a JSON object (it is ") + kind_name(v.kind()) + ")";
      return b;
    }
    json::object& o = v.get_object();
    json::value* recs = o.if_contains("records");
    if (!recs || !recs->is_array()) {
      b.error = "without a \"records\" array";
      return b;
    }
    if (!take_frame(o, need_cursor, b)) return b;
    json::array& arr = recs->get_array();
    b.records.reserve(arr.size());
    for (std::size_t i = 0; i < arr.size(); ++i) take_record(arr[i], i, b);
    return b;
  }
  // The parser refused the answer: find its records and read each alone.
  Scanner s{text};
  std::vector<Span> records;
  std::string frame;
  bool framed = s.eat('{');
  bool found = false;
  std::size_t last = 0;
  s.ws();
  if (framed && s.peek() == '}') ++s.i;
  else
    while (framed) {
      s.ws();
      std::size_t kb = s.i;
      if (!(framed = s.string() && s.eat(':'))) break;
      bool is_records = text.substr(kb, s.i - kb).starts_with("\"records\"");
      s.ws();
      if (is_records && !found && s.peek() == '[') {
        std::size_t ab = s.i;
        if (!(framed = elements(s, records))) break;
        frame.append(text.substr(last, ab - last)).append("[]");
        last = s.i;
        found = true;
      } else if (!(framed = s.value())) {
        break;
      }
      if (s.eat(',')) continue;
      framed = s.eat('}');
      break;
    }
  s.ws();
  if (!framed || !found || !s.end()) {
    b.error = not_json(text);
    return b;
  }
  frame.append(text.substr(last));
  boost::system::error_code fec;
  json::value f = json_exact::parse(frame, fec, {}, options());
  if (fec || !f.is_object()) {
    b.error = not_json(frame);
    return b;
  }
  if (!take_frame(f.get_object(), need_cursor, b)) return b;
  b.records.reserve(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    std::string_view el = text.substr(records[i].begin, records[i].end - records[i].begin);
    boost::system::error_code rec;
    json::value rv = json_exact::parse(el, rec, sp, options());
    if (rec) b.unreadable.push_back(diagnose(el, "/records/" + std::to_string(i)));
    else take_record(rv, i, b);
  }
  return b;
}

std::optional<Batch> detail::read_fast(std::string_view text, const json::storage_ptr& sp, bool need_cursor,
                                       const Texts* texts) {
  return read_answer_fast(text, sp, need_cursor, texts);
}

// The scanner reads the records; the frame is the answer with its records
// array as [], parsed (as the DOM path parses it when it must read records
// alone): every member of it judged by the parser, as the fast path's are.
std::optional<Batch> detail::read_canonical(std::string_view text, const json::storage_ptr& sp, bool need_cursor,
                                            const Texts& texts) {
  std::optional<Batch> b(std::in_place);
  std::optional<canonical::RecordsAt> at = canonical::read_records(text, sp, texts, *b);
  if (!at) return std::nullopt;
  std::string frame;
  frame.reserve(text.size() - (at->end - at->begin) + 2);
  frame.append(text.substr(0, at->begin)).append("[]").append(text.substr(at->end));
  boost::system::error_code ec;
  json::value f = json_exact::parse(frame, ec, {}, options());
  if (ec || !f.is_object()) return std::nullopt;
  take_frame(f.get_object(), need_cursor, *b);
  if (!b->error.empty()) b->records.clear();  // (as the DOM path, which reads no record then)
  return b;
}

namespace {

Batch read_answer(std::string_view text, json::storage_ptr sp, bool need_cursor, const Texts* texts = nullptr) {
  if (texts)
    if (std::optional<Batch> b = detail::read_canonical(text, sp, need_cursor, *texts)) return std::move(*b);
  if (std::optional<Batch> b = read_answer_fast(text, sp, need_cursor, texts)) return std::move(*b);
  return detail::read_dom(text, std::move(sp), need_cursor);
}

// One parsed result, at /k, for an op of kind `op`.
ApplyResult take_result(const json::value& v, std::size_t k, const std::string& op, std::vector<std::string>& notes) {
  ApplyResult r;
  std::string base = "/" + std::to_string(k);
  auto unreadable = [&](const std::string& field, const std::string& why) {
    ApplyResult u;
    u.status = "error";
    u.unreadable = true;
    u.message = "answered an unreadable result (" + base + field + ": " + why + ")";
    return u;
  };
  if (!v.is_object()) return unreadable("", std::string("a result must be a JSON object, not ") + kind_name(v.kind()));
  const json::object& o = v.get_object();
  const json::value* st = o.if_contains("status");
  if (!st || st->is_null()) return unreadable("", "no \"status\"");
  if (!st->is_string()) return unreadable("/status", std::string("must be a string, not ") + kind_name(st->kind()));
  r.status = st->get_string();
  if (!is_result_status(r.status))
    return unreadable("/status", "unknown status \"" + r.status + "\"");
  const json::value* id = o.if_contains("id");
  if (id && !id->is_null() && !id->is_string()) {
    if (r.ok()) return unreadable("/id", std::string("must be a string, not ") + kind_name(id->kind()));
    notes.push_back("answered a result with " + base + "/id " + kind_name(id->kind()) + ", not a string; taken as absent");
  } else if (id && id->is_string()) {
    r.id = id->get_string();
  }
  for (auto [key, into] : {std::pair<const char*, std::string*>{"version", &r.version}, {"message", &r.message}}) {
    const json::value* f = o.if_contains(key);
    if (!f || f->is_null()) continue;
    if (f->is_string()) *into = key == std::string_view("message") ? net::redact(f->get_string()) : std::string(f->get_string());
    else
      notes.push_back("answered a result with " + base + "/" + key + " " + kind_name(f->kind()) +
                      ", not a string; taken as absent");
  }
  if (const json::value* d = o.if_contains("data"); d && !d->is_null()) {
    if (d->is_object() && out_of_range_number(*d, "").has_value())
      notes.push_back("answered a result with " + base + "/data holding a number too large for a double; taken as absent");
    else if (d->is_object()) r.data = json::serialize(*d);
    else
      notes.push_back("answered a result with " + base + "/data " + kind_name(d->kind()) +
                      ", not an object; taken as absent");
  }
  if (const json::value* ra = o.if_contains("retry_after"); ra && !ra->is_null()) {
    constexpr int64_t kWeek = 7 * 86400;
    if (ra->is_int64()) r.retry_after_s = std::clamp<int64_t>(ra->get_int64(), 0, kWeek);
    else if (ra->is_uint64()) r.retry_after_s = kWeek;  // past int64: far too long anyway
    else if (ra->is_double()) {
      double d = ra->get_double();
      r.retry_after_s = d > 0 ? static_cast<int64_t>(std::min<double>(d, kWeek)) : 0;  // NaN is not > 0
    } else {
      notes.push_back("answered a result with " + base + "/retry_after " + kind_name(ra->kind()) +
                      ", not a number of seconds; taken as absent");
    }
  }
  if (const json::value* mw = o.if_contains("maybe_written"); mw && !mw->is_null()) {
    if (mw->is_bool()) r.maybe_written = mw->get_bool() && r.status == "retry";
    else
      notes.push_back("answered a result with " + base + "/maybe_written " + kind_name(mw->kind()) +
                      ", not a boolean; taken as absent");
  }
  if (r.ok() && op == "create" && r.id.empty())
    return unreadable("/id", "a create answered \"ok\" must name the record it made");
  return r;
}

}  // namespace

Batch read_batch(std::string_view text, json::storage_ptr sp, const Texts* texts) {
  return read_answer(text, std::move(sp), true, texts);
}
Batch read_fetch(std::string_view text, json::storage_ptr sp) { return read_answer(text, std::move(sp), false); }

ApplyResults read_results(std::string_view text, const std::vector<std::string>& ops) {
  ApplyResults out;
  // The parsed answer lives for this call only (each result's parts are
  // copied out): its values taken from one growing block, freed at once,
  // not allocated and destroyed each alone (issue 22: a first pull's
  // creates are answered each with its record's data).
  json::monotonic_resource answer;
  boost::system::error_code ec;
  json::value v = json_exact::parse(text, ec, &answer, options());
  std::vector<json::value> parsed;       // the results, each parsed alone when the whole was refused
  std::vector<std::string> refused;      // their reason (parsed[k] is null then)
  const json::array* arr = nullptr;
  if (!ec) {
    if (!v.is_array()) {
      out.error = std::string("not a JSON array (it is ") + kind_name(v.kind()) + ")";
      return out;
    }
    arr = &v.get_array();
  } else {
    Scanner s{text};
    std::vector<Span> spans;
    bool framed = elements(s, spans);
    s.ws();
    if (!framed || !s.end()) {
      out.error = not_json(text);
      return out;
    }
    for (std::size_t k = 0; k < spans.size(); ++k) {
      std::string_view el = text.substr(spans[k].begin, spans[k].end - spans[k].begin);
      boost::system::error_code rec;
      parsed.push_back(json_exact::parse(el, rec, &answer, options()));
      refused.emplace_back();
      if (rec) {
        Problem p = diagnose(el, "/" + std::to_string(k));
        refused.back() = "answered an unreadable result (" + p.pointer + ": " + p.reason + ")";
      }
    }
  }
  std::size_t n = arr ? arr->size() : parsed.size();
  out.results.reserve(ops.size());
  for (std::size_t k = 0; k < ops.size(); ++k) {
    if (k >= n) {
      ApplyResult r;
      r.status = "error";
      r.unreadable = true;
      r.message = "answered " + std::to_string(n) + " results for " + std::to_string(ops.size()) +
                  " ops (none for this one)";
      out.results.push_back(std::move(r));
    } else if (!arr && !refused[k].empty()) {
      ApplyResult r;
      r.status = "error";
      r.unreadable = true;
      r.message = refused[k];
      out.results.push_back(std::move(r));
    } else {
      out.results.push_back(take_result(arr ? (*arr)[k] : parsed[k], k, ops[k], out.notes));
    }
  }
  if (n > ops.size())
    out.notes.push_back("answered " + std::to_string(n) + " results for " + std::to_string(ops.size()) +
                        " ops; the last " + std::to_string(n - ops.size()) + " are ignored");
  return out;
}

}  // namespace accord::wire
