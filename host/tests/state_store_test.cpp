// The state store's first-sync path: staged records fold into the mirror in
// one insert, and an id a listing gave twice counts once, its later copy.
#include "state/state_store.hpp"

#include <gtest/gtest.h>

using accord::Side;
using accord::StateStore;

namespace {

StateStore::Staged staged(const std::string& id, const std::string& data, const std::string& keys) {
  StateStore::Staged c;
  c.id = id;
  c.version = "v-" + data;
  c.modified = "2026-11-21T00:00:00Z";
  c.data = data;
  c.keys = keys;
  c.form[0] = c.form[1] = 7;
  return c;
}

}  // namespace

TEST(StateStoreTest, FirstSyncFoldKeepsTheLaterCopyOfARepeatedId) {
  auto st = StateStore::open(":memory:");
  ASSERT_TRUE(st) << st.error().message;
  StateStore& s = **st;
  s.stage_reset();
  s.stage(Side::kLeft, staged("a", "{\"n\":1}", "old@x"));
  s.stage(Side::kLeft, staged("b", "{\"n\":2}", "b@x"));
  s.stage(Side::kLeft, staged("a", "{\"n\":3}", "new@x"));
  auto gone = staged("c", "", "");
  gone.deleted = true;
  s.stage(Side::kLeft, gone);
  s.stage(Side::kRight, staged("a", "{\"n\":9}", "r@x"));
  EXPECT_EQ(s.fold_staged("p", Side::kLeft), 2);  // 3 live staged, 2 ids: the caller dedupes
  auto a = s.mirror("p", Side::kLeft, "a");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->data, "{\"n\":3}");
  EXPECT_FALSE(a->dirty);
  EXPECT_FALSE(s.mirror("p", Side::kLeft, "c"));
  EXPECT_FALSE(s.mirror("p", Side::kRight, "a"));  // the other side is folded on its own
  auto refs = s.staged_refs(Side::kLeft, true);
  ASSERT_EQ(refs.size(), 2u);
  for (const auto& r : refs) {
    if (r.id == "a") {
      EXPECT_EQ(r.keys, "new@x");
    }
    EXPECT_EQ(r.form[0], 7u);
  }
  EXPECT_EQ(s.staged_refs(Side::kLeft, false).size(), 3u);
  s.mark_dirty("p", Side::kLeft, {"b"});
  EXPECT_TRUE(s.mirror("p", Side::kLeft, "b")->dirty);
  EXPECT_FALSE(s.mirror("p", Side::kLeft, "a")->dirty);
}
