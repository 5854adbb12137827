// SPDX-License-Identifier: Apache-2.0
// A run's planned writes to linked pairs, spilled (spill.hpp): an item's
// bytes are varint lengths and numbers, texts as they are, JSON values in a
// compact binary form of their own (a kind byte, then the value: a number's
// bits, a text's length and bytes, a container's size and members in order),
// read back into the same value, kind and bits, without a text to parse
// (issue 24) and without json_exact's limits (a number out of a double's
// range, a record nested past a parse's 32 levels inside a change).
#include "engine/spill.hpp"

#include <boost/json.hpp>

#include <bit>
#include <cerrno>
#include <cstring>
#include <utility>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

namespace json = boost::json;

namespace accord {

// Every member of an Item is written below: a member added to Item must be
// added there too (and to the round trip in engine_spill_test.cpp), or a
// spilled item would lose it. Its members are named here, every one: a
// structured binding names exactly as many as the struct has, so that a
// member added anywhere (a bool in padding too, which its size would not
// show: review s15 L1) stops the build here. Its size stands for a
// member's type changed.
[[maybe_unused]] static void item_members_spilled(const Item& it) {
  [[maybe_unused]] const auto& [id, row, link, op, pair, op_text, manual_fields, drop_link, forget, quarantine_side_id,
                                resumed_journal, resend_base, sent_at, first_sent_at, unlisted, shown] = it;
}
#if defined(__GLIBCXX__) && defined(__x86_64__) && _GLIBCXX_USE_CXX11_ABI
static_assert(sizeof(Item) == 1792, "Item changed: spill_item and unspill_item must write and read the new member");
#endif

namespace {

constexpr unsigned char kVersion = 1;  // (a spill lives one run: no older format is ever read)

// A JSON value's kind byte in the spill.
enum : char { kNull, kFalse, kTrue, kInt64, kUint64, kDouble, kString, kArray, kObject };
// Deeper than this is no value the spill wrote (a record is at most wire's
// 32 levels, a change or "was" one or two more): refused, not recursed into.
constexpr int kMaxDepth = 128;

struct Writer {
  std::string& out;
  void u(uint64_t v) {
    while (v >= 0x80) {
      out.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    out.push_back(static_cast<char>(v));
  }
  void i(int64_t v) { u(static_cast<uint64_t>(v)); }
  void b(bool v) { out.push_back(v ? 1 : 0); }
  void s(std::string_view v) {
    u(v.size());
    out.append(v.data(), v.size());
  }
  // a JSON value: its kind, then the value (kind() below)
  void js(const json::value& v) {
    switch (v.kind()) {
      case json::kind::null: out.push_back(kNull); break;
      case json::kind::bool_: out.push_back(v.get_bool() ? kTrue : kFalse); break;
      case json::kind::int64: {
        int64_t i = v.get_int64();
        out.push_back(kInt64);
        u((static_cast<uint64_t>(i) << 1) ^ static_cast<uint64_t>(i >> 63));  // (zigzag: small negatives stay short)
        break;
      }
      case json::kind::uint64: out.push_back(kUint64), u(v.get_uint64()); break;
      case json::kind::double_: {
        out.push_back(kDouble);
        auto bits = std::bit_cast<uint64_t>(v.get_double());  // (its bits: exact, -0 and all)
        for (int k = 0; k < 8; ++k) out.push_back(static_cast<char>(bits >> (8 * k)));
        break;
      }
      case json::kind::string: out.push_back(kString), s(v.get_string()); break;
      case json::kind::array:
        out.push_back(kArray);
        u(v.get_array().size());
        for (const auto& x : v.get_array()) js(x);
        break;
      case json::kind::object: js(v.get_object()); break;
    }
  }
  void js(const json::object& o) {
    out.push_back(kObject);
    u(o.size());
    for (const auto& kv : o) {
      s(kv.key());
      js(kv.value());
    }
  }
  void strings(const std::vector<std::string>& v) {
    u(v.size());
    for (const auto& x : v) s(x);
  }
  void changes(const Changes& c) {
    u(c.size());
    for (const auto& [k, v] : c) {
      s(k);
      b(v.has_value());
      if (v) js(*v);
    }
  }
};

struct Reader {
  std::string_view in;
  size_t at = 0;
  [[noreturn]] static void bad() {
    throw Failure{ACCORD_ERROR, "state: the run's spilled plan did not read back as it was written (nothing of it was written)", 0};
  }
  uint64_t u() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at >= in.size()) bad();
      auto c = static_cast<unsigned char>(in[at++]);
      v |= static_cast<uint64_t>(c & 0x7f) << shift;
      if (!(c & 0x80)) return v;
    }
    bad();
  }
  int64_t i() { return static_cast<int64_t>(u()); }
  bool b() {
    if (at >= in.size()) bad();
    return in[at++] != 0;
  }
  std::string s() {
    uint64_t n = u();
    if (n > in.size() - at) bad();
    std::string v(in.substr(at, n));
    at += n;
    return v;
  }
  std::string_view text() {
    uint64_t n = u();
    if (n > in.size() - at) bad();
    std::string_view v = in.substr(at, n);
    at += n;
    return v;
  }
  // a count of members, each at least one byte: no more than the bytes left
  size_t count() {
    uint64_t n = u();
    if (n > in.size() - at) bad();
    return static_cast<size_t>(n);
  }
  // A JSON value, built as Boost's parser builds one (its value stack:
  // each container made once, its members moved in).
  json::value js() {
    unsigned char temp[2048];
    json::value_stack st({}, temp, sizeof temp);
    st.reset();
    push(st, 0);
    return st.release();
  }
  void push(json::value_stack& st, int depth) {
    if (at >= in.size() || depth > kMaxDepth) bad();
    switch (in[at++]) {
      case kNull: st.push_null(); return;
      case kFalse: st.push_bool(false); return;
      case kTrue: st.push_bool(true); return;
      case kInt64: {
        uint64_t z = u();
        st.push_int64(static_cast<int64_t>((z >> 1) ^ (0 - (z & 1))));
        return;
      }
      case kUint64: st.push_uint64(u()); return;
      case kDouble: {
        if (in.size() - at < 8) bad();
        uint64_t bits = 0;
        for (int k = 0; k < 8; ++k) bits |= static_cast<uint64_t>(static_cast<unsigned char>(in[at + k])) << (8 * k);
        at += 8;
        st.push_double(std::bit_cast<double>(bits));
        return;
      }
      case kString: st.push_string(text()); return;
      case kArray: {
        size_t n = count();
        for (size_t k = 0; k < n; ++k) push(st, depth + 1);
        st.push_array(n);
        return;
      }
      case kObject: {
        size_t n = count();
        for (size_t k = 0; k < n; ++k) {
          st.push_key(text());
          push(st, depth + 1);
        }
        st.push_object(n);
        return;
      }
      default: bad();
    }
  }
  json::object obj() {
    if (at >= in.size() || in[at] != kObject) bad();
    json::value v = js();
    return std::move(v.get_object());
  }
  std::vector<std::string> strings() {
    std::vector<std::string> v(u());
    for (auto& x : v) x = s();
    return v;
  }
  Changes changes() {
    Changes c;
    for (uint64_t n = u(); n > 0; --n) {
      std::string k = s();
      std::optional<json::value> v;
      if (b()) v = js();
      c.emplace(std::move(k), std::move(v));
    }
    return c;
  }
  Side side() {
    uint64_t v = u();
    if (v > 1) bad();
    return v == 0 ? Side::kLeft : Side::kRight;
  }
};

}  // namespace

void spill_item(std::string& out, const Item& it, const std::vector<PlannedOp>& shown) {
  Writer w{out};
  w.u(kVersion);
  for (Side s : kSides) w.s(it.id[s]);
  for (Side s : kSides) {
    const auto& r = it.row[s];
    w.b(r.has_value());
    if (!r) continue;
    w.s(r->id), w.s(r->version), w.s(r->modified), w.s(r->data);
    w.b(r->included), w.b(r->dirty), w.b(r->deleted);
    w.s(r->keys);
    w.i(r->data_id);
  }
  w.b(it.link.has_value());
  if (it.link) {
    const LinkRow& l = *it.link;
    w.s(l.left_id), w.s(l.right_id), w.s(l.base_left), w.s(l.base_right);
    w.i(l.kept_left.id), w.s(l.kept_left.data), w.i(l.kept_right.id), w.s(l.kept_right.data);
  }
  for (Side s : kSides) {
    const auto& op = it.op[s];
    w.b(op.has_value());
    if (!op) continue;
    w.u(index_of(op->side));
    w.s(op->id), w.s(op->source_id);
    w.b(op->source_same_side);
    w.s(op->label), w.s(op->expect_version), w.s(op->idempotency_key);
    w.b(op->resend);
    w.changes(op->changes);
    w.js(op->data);
    w.strings(op->left_behind);
    w.u(static_cast<uint64_t>(op->kind));
    w.b(op->move);
    w.js(op->was);
  }
  for (Side s : kSides) {
    const auto& f = it.pair[s];
    w.b(f.has_value());
    if (!f) continue;
    w.u(f->size());
    for (const auto& [k, v] : *f) w.s(k), w.js(v);
  }
  for (Side s : kSides) w.s(it.op_text[s]);
  w.strings(it.manual_fields);
  w.b(it.drop_link);
  for (Side s : kSides) w.b(it.forget[s]);
  for (Side s : kSides) w.s(it.quarantine_side_id[s]);
  for (Side s : kSides) w.i(it.resumed_journal[s]);
  for (Side s : kSides) w.s(it.resend_base[s]);
  for (Side s : kSides) w.s(it.sent_at[s]);
  for (Side s : kSides) w.s(it.first_sent_at[s]);
  w.b(it.unlisted);
  for (Side s : kSides) w.u(it.shown[s]);
  // the report's ops: what is not the item's op already
  w.u(shown.size());
  for (const auto& op : shown) {
    w.u(index_of(op.side));
    w.changes(op.changes);
    w.strings(op.left_behind);
  }
}

Item unspill_item(std::string_view in, std::vector<PlannedOp>* shown) {
  Reader r{in};
  if (r.u() != kVersion) Reader::bad();
  Item it;
  for (Side s : kSides) it.id[s] = r.s();
  for (Side s : kSides) {
    if (!r.b()) continue;
    MirrorRow& m = it.row[s].emplace();
    m.id = r.s(), m.version = r.s(), m.modified = r.s(), m.data = r.s();
    m.included = r.b(), m.dirty = r.b(), m.deleted = r.b();
    m.keys = r.s();
    m.data_id = r.i();
  }
  if (r.b()) {
    LinkRow& l = it.link.emplace();
    l.left_id = r.s(), l.right_id = r.s(), l.base_left = r.s(), l.base_right = r.s();
    l.kept_left.id = r.i(), l.kept_left.data = r.s(), l.kept_right.id = r.i(), l.kept_right.data = r.s();
  }
  for (Side s : kSides) {
    if (!r.b()) continue;
    Action& op = it.op[s].emplace();
    op.side = r.side();
    op.id = r.s(), op.source_id = r.s();
    op.source_same_side = r.b();
    op.label = r.s(), op.expect_version = r.s(), op.idempotency_key = r.s();
    op.resend = r.b();
    op.changes = r.changes();
    op.data = r.obj();
    op.left_behind = r.strings();
    uint64_t kind = r.u();
    if (kind > static_cast<uint64_t>(OpKind::kDelete)) Reader::bad();
    op.kind = static_cast<OpKind>(kind);
    op.move = r.b();
    op.was = r.obj();
  }
  for (Side s : kSides) {
    if (!r.b()) continue;
    Fields& f = it.pair[s].emplace();
    for (uint64_t n = r.u(); n > 0; --n) {
      std::string k = r.s();
      f.emplace(std::move(k), r.js());
    }
  }
  for (Side s : kSides) it.op_text[s] = r.s();
  it.manual_fields = r.strings();
  it.drop_link = r.b();
  for (Side s : kSides) it.forget[s] = r.b();
  for (Side s : kSides) it.quarantine_side_id[s] = r.s();
  for (Side s : kSides) it.resumed_journal[s] = r.i();
  for (Side s : kSides) it.resend_base[s] = r.s();
  for (Side s : kSides) it.sent_at[s] = r.s();
  for (Side s : kSides) it.first_sent_at[s] = r.s();
  it.unlisted = r.b();
  for (Side s : kSides) it.shown[s] = static_cast<size_t>(r.u());
  uint64_t n = r.u();
  if (shown) shown->clear();
  for (; n > 0; --n) {
    Side s = r.side();
    Changes changes = r.changes();
    std::vector<std::string> behind = r.strings();
    if (!it.op[s]) Reader::bad();
    if (!shown) continue;
    PlannedOp op = it.op[s]->told();
    op.changes = std::move(changes);
    op.left_behind = std::move(behind);
    shown->push_back(std::move(op));
  }
  if (r.at != in.size()) Reader::bad();
  return it;
}

namespace {
constexpr size_t kBuffer = 256 * 1024;  // written out this much at a time, read ahead as much

uint32_t sum_of(std::string_view bytes) { return static_cast<uint32_t>(XXH3_64bits(bytes.data(), bytes.size())); }

[[noreturn]] void io_failed(const char* what, int err, const std::filesystem::path& prefix) {
  // A full disk says what to do, as the state's own writes do (sql::Db::fail)
  if (err == ENOSPC || err == EDQUOT)
    throw Failure{ACCORD_ERROR,
                  prefix.parent_path().string() +
                      ": the disk is full (the run's planned writes, kept in a temporary file beside the state): free "
                      "some space on it, then run again; nothing is lost, the next run goes on from where this one "
                      "stopped",
                  0};
  throw Failure{ACCORD_ERROR,
                std::string("state: could not ") + what + " the run's planned writes in a temporary file beside the state: " +
                    std::strerror(err) + " (nothing more was written; the next run plans what is left again)",
                0};
}
}  // namespace

PlanSpill::PlanSpill(std::filesystem::path prefix) : prefix_(std::move(prefix)) {}

PlanSpill::~PlanSpill() {
  if (fd_ >= 0) ::close(fd_);
}

void PlanSpill::open() {
#ifdef O_TMPFILE
  fd_ = ::open(prefix_.parent_path().c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#endif
  if (fd_ >= 0) return;
  // no nameless file there: a named one, unlinked at once (a kill in between
  // leaves it to the next run's remove_stale_lazy_spools: the spools' name)
  std::string t = prefix_.string() + "XXXXXX";
  fd_ = ::mkostemp(t.data(), O_CLOEXEC);
  if (fd_ < 0) io_failed("keep", errno, prefix_);
  ::unlink(t.c_str());
}

void PlanSpill::flush() {
  if (buf_.empty()) return;
  if (fd_ < 0) open();
  size_t done = 0;
  while (done < buf_.size()) {
    ssize_t n = ::pwrite(fd_, buf_.data() + done, buf_.size() - done, static_cast<off_t>(written_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) io_failed("write", n < 0 ? errno : ENOSPC, prefix_);
    done += static_cast<size_t>(n);
  }
  written_ += buf_.size();
  buf_.clear();
}

PlanSpill::At PlanSpill::put(const Item& it, const std::vector<PlannedOp>& shown) {
  size_t before = buf_.size();
  spill_item(buf_, it, shown);
  At at{end_, static_cast<uint32_t>(buf_.size() - before), 0};
  at.sum = sum_of(std::string_view(buf_).substr(before));
  end_ += at.size;
  if (buf_.size() >= kBuffer) flush();
  return at;
}

Item PlanSpill::get(At at, std::vector<PlannedOp>* shown) {
  if (at.offset + at.size > end_) Reader::bad();
  // its bytes, checked against their sum before they are read
  auto item = [&](std::string_view bytes) {
    if (sum_of(bytes) != at.sum) Reader::bad();
    return unspill_item(bytes, shown);
  };
  if (at.offset >= written_) return item(std::string_view(buf_).substr(at.offset - written_, at.size));  // (still in the buffer)
  if (at.offset < window_at_ || at.offset + at.size > window_at_ + window_.size()) {
    window_.resize(std::max<size_t>(kBuffer, at.size));
    size_t got = 0;
    while (got < window_.size()) {
      ssize_t n = ::pread(fd_, window_.data() + got, window_.size() - got, static_cast<off_t>(at.offset + got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) io_failed("read", errno, prefix_);
      if (n == 0) break;
      got += static_cast<size_t>(n);
    }
    window_.resize(got);
    window_at_ = at.offset;
    if (got < at.size) Reader::bad();
  }
  return item(std::string_view(window_).substr(at.offset - window_at_, at.size));
}

}  // namespace accord
