// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the host's reading of the connector wire
// (plugins/wire): any bytes as a read_changes batch, a fetch answer and apply
// results. Nothing may crash, leak or reach undefined behaviour (built with
// ASan and UBSan), and what is read must keep the module's promises: a
// readable record has an id in UTF-8 and an object for data, an unreadable
// one a pointer into the records, and every op a result.
#include "plugins/wire.hpp"

#include <accord/json/exact.hpp>

#include <boost/json/src.hpp>  // the fuzzer is built alone, by clang

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wire = accord::wire;

static void check(bool ok) {
  if (!ok) __builtin_trap();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  for (bool fetch : {false, true}) {
    boost::json::monotonic_resource arena;
    wire::Batch b = fetch ? wire::read_fetch(in, &arena) : wire::read_batch(in, &arena);
    // the fast path, where it answers, reads as the DOM path does
    if (std::optional<wire::Batch> f = wire::detail::read_fast(in, &arena, !fetch)) {
      wire::Batch d = wire::detail::read_dom(in, &arena, !fetch);
      check(f->error == d.error && f->cursor == d.cursor && f->more == d.more && f->full == d.full &&
            f->total == d.total && f->budget == d.budget && f->notes == d.notes && d.unreadable.empty() &&
            f->records.size() == d.records.size());
      for (std::size_t k = 0; k < f->records.size(); ++k) {
        const wire::Record &x = f->records[k], &y = d.records[k];
        check(x.id == y.id && x.version == y.version && x.modified == y.modified &&
              x.idempotency_key == y.idempotency_key && x.deleted == y.deleted && x.renumbered == y.renumbered &&
              boost::json::serialize(x.data) == boost::json::serialize(y.data));
      }
    }
    // the scanner of a first sync's answers in serialize's form, where it
    // answers, reads as the fast path does with the same texts, and each
    // live record's text is serialize's of the DOM path's data
    wire::Texts texts;
    texts.names = {"emails", "a"};
    texts.first = size % 2;
    if (std::optional<wire::Batch> c = wire::detail::read_canonical(in, &arena, !fetch, texts)) {
      std::optional<wire::Batch> f = wire::detail::read_fast(in, &arena, !fetch, &texts);
      wire::Batch d = wire::detail::read_dom(in, &arena, !fetch);
      check(f && c->error == f->error && c->cursor == f->cursor && c->more == f->more && c->full == f->full &&
            c->total == f->total && c->budget == f->budget && c->notes == f->notes && c->unreadable.empty() &&
            c->records.size() == f->records.size() && c->records.size() == d.records.size());
      for (std::size_t k = 0; k < c->records.size(); ++k) {
        const wire::Record &x = c->records[k], &y = f->records[k];
        check(x.id == y.id && x.version == y.version && x.modified == y.modified &&
              x.idempotency_key == y.idempotency_key && x.deleted == y.deleted && x.renumbered == y.renumbered &&
              x.text == y.text && x.members_n == y.members_n &&
              boost::json::serialize(x.data) == boost::json::serialize(y.data));
        check(x.deleted ? x.text.empty() : x.text == boost::json::serialize(d.records[k].data));
        for (std::size_t i = 0; i < x.members_n; ++i) {
          const wire::Member &m = c->members[x.members_at + i], &n = f->members[y.members_at + i];
          check(m.at == n.at && m.n == n.n &&
                c->member_keys.substr(m.key_at, m.key_n) == f->member_keys.substr(n.key_at, n.key_n));
        }
      }
    }
    if (!b.error.empty()) {
      check(b.records.empty() && b.unreadable.empty());
      continue;
    }
    for (const auto& r : b.records) {
      check(!r.id.empty() && wire::first_invalid_utf8(r.id) == std::string_view::npos);
      check(r.deleted ? r.data.is_null() : r.data.is_object());
      // what the state keeps reads back equal, as the engine reads it
      boost::system::error_code ec;
      boost::json::value back = accord::json_exact::parse(boost::json::serialize(r.data), ec);
      check(!ec && back == r.data);
    }
    for (const auto& p : b.unreadable) check(p.pointer.rfind("/records/", 0) == 0 && !p.reason.empty());
  }
  std::vector<std::string> ops(size % 7, size % 2 ? "create" : "update");
  wire::ApplyResults a = wire::read_results(in, ops);
  check(!a.error.empty() || a.results.size() == ops.size());
  for (const auto& r : a.results) check(!r.status.empty() && r.retry_after_s >= 0);
  return 0;
}
