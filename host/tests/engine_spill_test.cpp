// SPDX-License-Identifier: Apache-2.0
// The run's spilled plan (engine/spill.cpp), alone: an item written and read
// back is the item, member by member (every member set to a value of its
// own, numbers that a loose parse would move among them), with its report
// ops; a spill of many items reads each back, in any order, across its
// write buffer and its read window; a spill that does not read back as
// written is refused, never half read.
#include "engine/spill.hpp"

#include <accord/json/exact.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <random>

#include <unistd.h>

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace accord;

namespace {

MirrorRow mirror_row(const std::string& p) {
  MirrorRow r;
  r.id = p + "-id";
  r.version = p + "-v";
  r.modified = "2026-12-07T10:00:00Z" + p;
  r.data = R"({"title":")" + p + R"("})";
  r.included = false;
  r.dirty = true;
  r.deleted = true;
  r.keys = p + "\x1e" + "k2";
  r.data_id = 9000000001 + static_cast<int64_t>(p.size());
  return r;
}

Action action(Side s, OpKind k, const std::string& p) {
  Action a;
  a.side = s;
  a.id = p + "-target";
  a.source_id = p + "-source";
  a.source_same_side = true;
  a.label = "Ann \"Lee\" " + p;
  a.expect_version = p + "-ev";
  a.idempotency_key = p + "-key";
  a.resend = true;
  a.changes = {{"/title", json::value("new " + p)}, {"/gone", std::nullopt}};
  a.data = json_exact::parse(R"({"title":"t","n":-122.41941550000001,"big":5e71,"i":18446744073709551615,"neg":-9223372036854775807,
                           "o":{"a":[1,null,true,"\u00e9\u0000"]}})")
               .as_object();
  a.left_behind = {"/x", "/y/" + p};
  a.kind = k;
  a.move = true;
  a.was = json::object{{"title", "was " + p}, {"d", 0.1}};
  return a;
}

Item full_item() {
  Item it;
  it.id = {"L1", "R1"};
  it.row.left = mirror_row("l");
  it.row.right = mirror_row("right");
  LinkRow l;
  l.left_id = "L1";
  l.right_id = "R1";
  l.base_left = R"({"title":"bl"})";
  l.base_right = R"({"title":"br"})";
  l.kept_left = {77, R"({"k":"l"})"};
  l.kept_right = {78, R"({"k":"r"})"};
  it.link = l;
  it.op.left = action(Side::kLeft, OpKind::kDelete, "a");
  it.op.right = action(Side::kRight, OpKind::kUpdate, "b");
  it.pair.left = Fields{{"/title", json::value("pl")}, {"/n", json::value(1.5)}};
  it.pair.right = Fields{};
  it.op_text = {"text-l", "text-r"};
  it.manual_fields = {"/a", "/b"};
  it.drop_link = true;
  it.forget = {true, false};
  it.quarantine_side_id = {"ql", "qr"};
  it.resumed_journal = {-3, 4000000000000};
  it.resend_base = {"rbl", "rbr"};
  it.sent_at = {"2026-12-07T10:00:01Z", "2026-12-07T10:00:02Z"};
  it.first_sent_at = {"2026-12-07T09:00:01Z", ""};
  it.unlisted = true;
  it.shown = {SIZE_MAX, 12};
  return it;
}

void expect_row(const std::optional<MirrorRow>& a, const std::optional<MirrorRow>& b) {
  ASSERT_EQ(a.has_value(), b.has_value());
  if (!a) return;
  EXPECT_EQ(a->id, b->id);
  EXPECT_EQ(a->version, b->version);
  EXPECT_EQ(a->modified, b->modified);
  EXPECT_EQ(a->data, b->data);
  EXPECT_EQ(a->included, b->included);
  EXPECT_EQ(a->dirty, b->dirty);
  EXPECT_EQ(a->deleted, b->deleted);
  EXPECT_EQ(a->keys, b->keys);
  EXPECT_EQ(a->data_id, b->data_id);
}

void expect_action(const std::optional<Action>& a, const std::optional<Action>& b) {
  ASSERT_EQ(a.has_value(), b.has_value());
  if (!a) return;
  EXPECT_EQ(a->side, b->side);
  EXPECT_EQ(a->id, b->id);
  EXPECT_EQ(a->source_id, b->source_id);
  EXPECT_EQ(a->source_same_side, b->source_same_side);
  EXPECT_EQ(a->label, b->label);
  EXPECT_EQ(a->expect_version, b->expect_version);
  EXPECT_EQ(a->idempotency_key, b->idempotency_key);
  EXPECT_EQ(a->resend, b->resend);
  EXPECT_EQ(a->changes, b->changes);
  EXPECT_EQ(a->data, b->data);
  EXPECT_EQ(json::serialize(a->data), json::serialize(b->data));  // (what is sent: the same text)
  EXPECT_EQ(a->left_behind, b->left_behind);
  EXPECT_EQ(a->kind, b->kind);
  EXPECT_EQ(a->move, b->move);
  EXPECT_EQ(a->was, b->was);
}

void expect_item(const Item& a, const Item& b) {
  for (Side s : kSides) {
    SCOPED_TRACE(side_name(s));
    EXPECT_EQ(a.id[s], b.id[s]);
    expect_row(a.row[s], b.row[s]);
    expect_action(a.op[s], b.op[s]);
    EXPECT_EQ(a.pair[s], b.pair[s]);
    EXPECT_EQ(a.op_text[s], b.op_text[s]);
    EXPECT_EQ(a.forget[s], b.forget[s]);
    EXPECT_EQ(a.quarantine_side_id[s], b.quarantine_side_id[s]);
    EXPECT_EQ(a.resumed_journal[s], b.resumed_journal[s]);
    EXPECT_EQ(a.resend_base[s], b.resend_base[s]);
    EXPECT_EQ(a.sent_at[s], b.sent_at[s]);
    EXPECT_EQ(a.first_sent_at[s], b.first_sent_at[s]);
    EXPECT_EQ(a.shown[s], b.shown[s]);
  }
  ASSERT_EQ(a.link.has_value(), b.link.has_value());
  if (a.link) {
    EXPECT_EQ(a.link->left_id, b.link->left_id);
    EXPECT_EQ(a.link->right_id, b.link->right_id);
    EXPECT_EQ(a.link->base_left, b.link->base_left);
    EXPECT_EQ(a.link->base_right, b.link->base_right);
    EXPECT_EQ(a.link->kept_left.id, b.link->kept_left.id);
    EXPECT_EQ(a.link->kept_left.data, b.link->kept_left.data);
    EXPECT_EQ(a.link->kept_right.id, b.link->kept_right.id);
    EXPECT_EQ(a.link->kept_right.data, b.link->kept_right.data);
  }
  EXPECT_EQ(a.manual_fields, b.manual_fields);
  EXPECT_EQ(a.drop_link, b.drop_link);
  EXPECT_EQ(a.unlisted, b.unlisted);
}

// A pair's item as stream_linked spills it: one update to the right.
Item update_item(int k) {
  Item it;
  std::string n = std::to_string(k);
  it.id = {"L" + n, "R" + n};
  MirrorRow l;
  l.id = it.id.left;
  l.version = "v" + n;
  it.row.left = l;
  MirrorRow r = l;
  r.id = it.id.right;
  it.row.right = r;
  it.link = LinkRow{it.id.left, it.id.right, "", ""};
  Action a;
  a.side = Side::kRight;
  a.kind = OpKind::kUpdate;
  a.id = it.id.right;
  a.source_id = it.id.left;
  a.expect_version = "v" + n;
  a.data = json::object{{"title", "note " + n}, {"body", std::string(static_cast<size_t>(k % 700), 'x')}};
  it.op.right = std::move(a);
  it.unlisted = true;
  return it;
}

}  // namespace

TEST(SpillTest, AnItemReadsBackAsItWasWrittenMemberByMember) {
  Item it = full_item();
  std::vector<PlannedOp> shown;
  for (Side s : kSides) {
    PlannedOp op = it.op[s]->told();
    op.changes = {{"/title", json::value("shown " + std::string(side_name(s)))}};
    op.left_behind = {"/behind"};
    shown.push_back(std::move(op));
  }
  std::string bytes;
  spill_item(bytes, it, shown);
  std::vector<PlannedOp> back_shown;
  Item back = unspill_item(bytes, &back_shown);
  expect_item(it, back);
  // exact numbers: the double read back is the one written, not one unit off
  EXPECT_EQ(back.op.right->data.at("n").as_double(), -122.41941550000001);
  EXPECT_EQ(back.op.right->data.at("big").as_double(), 5e71);
  EXPECT_EQ(back.op.right->data.at("i").as_uint64(), UINT64_MAX);
  ASSERT_EQ(back_shown.size(), 2u);
  for (size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(back_shown[k].side, shown[k].side);
    EXPECT_EQ(back_shown[k].op, shown[k].op);
    EXPECT_EQ(back_shown[k].id, shown[k].id);
    EXPECT_EQ(back_shown[k].source_id, shown[k].source_id);
    EXPECT_EQ(back_shown[k].label, shown[k].label);
    EXPECT_EQ(back_shown[k].changes, shown[k].changes);
    EXPECT_EQ(back_shown[k].left_behind, shown[k].left_behind);
  }
  // an item with nothing set reads back as nothing set
  std::string none;
  spill_item(none, Item{}, {});
  expect_item(Item{}, unspill_item(none));
}

TEST(SpillTest, ASpillThatDoesNotReadBackAsWrittenIsRefused) {
  std::string bytes;
  spill_item(bytes, full_item(), {});
  for (size_t cut : {size_t{0}, size_t{1}, bytes.size() / 2, bytes.size() - 1})
    EXPECT_THROW(unspill_item(std::string_view(bytes).substr(0, cut)), Failure) << cut;
  EXPECT_THROW(unspill_item(bytes + "x"), Failure);
  std::string other = bytes;
  other[0] = 2;  // (another format)
  EXPECT_THROW(unspill_item(other), Failure);
}

TEST(SpillTest, ManyItemsReadBackInAnyOrderAcrossItsBufferAndItsFile) {
  char t[] = "/tmp/accord-spill-test.XXXXXX";
  fs::path dir = ::mkdtemp(t);
  {
    PlanSpill spill(dir / ".accord-lazy-state.sqlite-");
    std::vector<PlanSpill::At> at;
    const int n = 3000;  // (about 1.2 MB: several buffers written out, a tail still in the buffer)
    for (int k = 0; k < n; ++k) at.push_back(spill.put(update_item(k), {}));
    EXPECT_GT(spill.bytes(), 1000000u);
    std::vector<int> order(n);
    for (int k = 0; k < n; ++k) order[k] = k;
    std::shuffle(order.begin(), order.end(), std::mt19937(24));
    // in order, then shuffled, then the last ones (the buffer's) first
    for (int k = 0; k < n; ++k) expect_item(update_item(k), spill.get(at[k]));
    for (int k : order) expect_item(update_item(k), spill.get(at[k]));
    for (int k = n - 1; k >= n - 10; --k) expect_item(update_item(k), spill.get(at[k]));
    // nothing with a name: the spill leaves no file beside the state, whatever ends the run
    EXPECT_TRUE(fs::is_empty(dir));
    EXPECT_THROW(spill.get({spill.bytes() - 1, 10}), Failure);  // (past its end)
  }
  fs::remove_all(dir);
}

// JSON values in the spill's own binary form (issue 24: not their text): each
// kind reads back as itself (an int64, a uint64 and a double that hold the
// same number stay three kinds; -0, a subnormal, the largest double; texts
// with NUL and non-ASCII bytes), members in their order, containers empty
// and nested; the data's text, as a store is sent it, is the same.
TEST(SpillTest, JsonValuesOfEveryKindReadBackAsTheSameKindAndBits) {
  json::object data;
  data["null"] = nullptr;
  data["t"] = true;
  data["f"] = false;
  data["i0"] = int64_t{0};
  data["i-1"] = int64_t{-1};
  data["imin"] = INT64_MIN;
  data["imax"] = INT64_MAX;
  data["u1"] = uint64_t{1};
  data["umax"] = UINT64_MAX;
  data["d1"] = 1.0;
  data["d-0"] = -0.0;
  data["dsub"] = 4.9406564584124654e-324;
  data["dmax"] = 1.7976931348623157e308;
  data["dinf"] = std::numeric_limits<double>::infinity();  // (Boost's answer to a number out of range)
  data["s"] = std::string("a\0b\xc3\xa9\"\\\n", 8);
  data["empty"] = "";
  data["z-before-a"] = json::array{json::array{}, json::object{}, json::array{1, -2, 3.5, "x", nullptr}};
  data["a"] = json::object{{"z", 1}, {"y", json::object{{"x", json::array{json::object{{"w", false}}}}}}};
  Item it;
  Action a;
  a.side = Side::kRight;
  a.kind = OpKind::kUpdate;
  a.data = data;
  a.was = json::object{{"n", -7}, {"m", 7u}};
  a.changes = {{"/n", json::value(-7)}, {"/m", json::value(7u)}, {"/d", json::value(7.0)}, {"/x", std::nullopt}};
  it.op.right = std::move(a);
  std::string bytes;
  spill_item(bytes, it, {});
  Item back = unspill_item(bytes);
  ASSERT_TRUE(back.op.right);
  const json::object& got = back.op.right->data;
  ASSERT_EQ(got.size(), data.size());
  auto g = got.begin();
  for (const auto& [k, v] : data) {  // (in order)
    SCOPED_TRACE(std::string(k));
    EXPECT_EQ(g->key(), k);
    EXPECT_EQ(g->value().kind(), v.kind());
    EXPECT_EQ(g->value(), v);
    if (v.is_double()) {
      EXPECT_EQ(std::signbit(g->value().get_double()), std::signbit(v.get_double()));
    }
    ++g;
  }
  EXPECT_EQ(json::serialize(got), json::serialize(data));
  EXPECT_EQ(back.op.right->was.at("n").kind(), json::kind::int64);
  EXPECT_EQ(back.op.right->was.at("m").kind(), json::kind::uint64);
  EXPECT_EQ(back.op.right->changes, it.op.right->changes);
  EXPECT_EQ(back.op.right->changes.at("/d")->kind(), json::kind::double_);
  EXPECT_EQ(back.op.right->changes.at("/m")->kind(), json::kind::uint64);
  // a value's bytes cut anywhere, or a kind byte no value has, is refused
  for (size_t cut = 0; cut < bytes.size(); ++cut)
    EXPECT_THROW(unspill_item(std::string_view(bytes).substr(0, cut)), Failure) << cut;
}

// A value deeper than any record (wire's 32 levels, and a few more for a
// change), or whose count of members is more than the bytes left, is
// refused before it is read into memory (a damaged file: no recursion
// without end, no allocation of the size it says).
TEST(SpillTest, ADamagedValueIsRefusedNotFollowed) {
  auto nested = [](int depth) {
    json::value v = json::array{1, 2, 3};
    for (int k = 0; k < depth; ++k) v = json::array{v};
    return v;
  };
  auto spilled = [](const json::value& v) {
    Item it;
    Action a;
    a.side = Side::kLeft;
    a.kind = OpKind::kUpdate;
    a.data = json::object{{"v", v}};
    it.op.left = std::move(a);
    std::string bytes;
    spill_item(bytes, it, {});
    return bytes;
  };
  json::value deep = nested(40);  // (deeper than a JSON parse's 32 levels by default: read back)
  EXPECT_EQ(unspill_item(spilled(deep)).op.left->data.at("v"), deep);
  EXPECT_THROW(unspill_item(spilled(nested(1000))), Failure);
  // [1,2,3]: its kind, its count, its members; the count made 2^62
  std::string bytes = spilled(json::value(json::array{1, 2, 3}));
  const std::string three("\x07\x03\x03\x02\x03\x04\x03\x06", 8);
  size_t at = bytes.find(three);
  ASSERT_NE(at, std::string::npos);
  std::string huge = bytes.substr(0, at + 1) + std::string(8, '\x80') + '\x40' + bytes.substr(at + 2);
  EXPECT_THROW(unspill_item(huge), Failure);
  bytes[at] = 9;  // (a kind no value has)
  EXPECT_THROW(unspill_item(bytes), Failure);
}

namespace {
// The spill's file, found among the process's descriptors: the one open on
// a file (nameless, or unlinked) in `dir`.
int spill_fd(const fs::path& dir) {
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    fs::path target = fs::read_symlink(e.path(), ec);
    if (!ec && target.string().starts_with(dir.string() + "/")) return std::stoi(e.path().filename().string());
  }
  return -1;
}
}  // namespace

// Each item's bytes are checked against a sum taken as they were written
// (PlanSpill::At::sum): a spilled item whose bytes changed in its file
// before they were read back (here, one letter of a record's title, a
// change that leaves every length and kind as it was, so that it reads
// back whole) is refused, not applied as another write than the one the
// run planned and reported. Before, it read back with the other title.
TEST(SpillTest, AnItemWhoseBytesChangedInItsFileIsRefused) {
  char t[] = "/tmp/accord-spill-test.XXXXXX";
  fs::path dir = ::mkdtemp(t);
  {
    PlanSpill spill(dir / ".accord-lazy-state.sqlite-");
    std::vector<PlanSpill::At> at;
    for (int k = 0; k < 1000; ++k) at.push_back(spill.put(update_item(k), {}));  // (several buffers, in the file)
    int fd = spill_fd(dir);
    ASSERT_GE(fd, 0);
    const int k = 10;
    std::string bytes(at[k].size, '\0');
    ASSERT_EQ(::pread(fd, bytes.data(), bytes.size(), static_cast<off_t>(at[k].offset)), static_cast<ssize_t>(bytes.size()));
    size_t title = bytes.find("note 10");
    ASSERT_NE(title, std::string::npos);
    expect_item(update_item(k), unspill_item(bytes));  // (its bytes in the file)
    bytes[title + 5] = '9';
    Item changed = unspill_item(bytes);  // (whole: only its title differs)
    EXPECT_EQ(changed.op.right->data.at("title"), json::value("note 90"));
    ASSERT_EQ(::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(at[k].offset)), static_cast<ssize_t>(bytes.size()));
    EXPECT_THROW(spill.get(at[k]), Failure);
    expect_item(update_item(k + 1), spill.get(at[k + 1]));  // (the others read back as they were)
    expect_item(update_item(999), spill.get(at[999]));
  }
  fs::remove_all(dir);
}
