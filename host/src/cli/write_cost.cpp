// SPDX-License-Identifier: Apache-2.0
#include "cli/write_cost.hpp"

#include <boost/json.hpp>

namespace json = boost::json;

namespace accord::cli {

namespace {

// A count from the budget object, or nullopt where absent or not a count.
std::optional<int64_t> count_at(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_int64() && v->get_int64() >= 0) return v->get_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->get_uint64());
  return std::nullopt;
}

std::string plural_of(long n, const char* what) { return std::to_string(n) + " " + what + (n == 1 ? "" : "s"); }

}  // namespace

std::vector<WriteCost> write_costs(const PairReport& pr) {
  std::vector<WriteCost> out;
  for (Side s : {Side::kLeft, Side::kRight}) {
    const std::string& text = pr.budget[s == Side::kLeft ? 0 : 1];
    if (text.empty()) continue;
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    const json::object* b = ec ? nullptr : v.if_object();
    // a version this host does not know is not priced (a newer connector)
    if (!b || count_at(*b, "v").value_or(0) != 1) continue;
    WriteCost c;
    c.side = s;
    c.creates = pr.planned.of(s, "create"), c.updates = pr.planned.of(s, "update"), c.deletes = pr.planned.of(s, "delete");
    c.read = count_at(*b, "read").value_or(0);
    c.left = count_at(*b, "left");
    if (const json::object* r = b->contains("rate") ? b->at("rate").if_object() : nullptr) {
      c.rate_requests = count_at(*r, "requests");
      c.rate_ms = count_at(*r, "ms");
      if (c.rate_requests.value_or(0) < 1 || c.rate_ms.value_or(0) < 1) c.rate_requests = c.rate_ms = std::nullopt;
    }
    const json::object* w = b->contains("writes") ? b->at("writes").if_object() : nullptr;
    for (auto [kind, n] : {std::pair{"create", c.creates}, {"update", c.updates}, {"delete", c.deletes}}) {
      if (n == 0) continue;
      const json::object* k = w && w->contains(kind) ? w->at(kind).if_object() : nullptr;
      int64_t requests = k ? count_at(*k, "requests").value_or(1) : 1;
      int64_t per = std::max<int64_t>(1, k ? count_at(*k, "per").value_or(1) : 1);
      int64_t cost = (n + per - 1) / per * requests;
      c.writes += cost;
      if (!c.words.empty()) c.words += "; ";
      c.words += plural_of(n, kind) + ": " + plural_of(static_cast<long>(cost), "request");
      if (per > 1) c.words += " (batches of up to " + std::to_string(per) + ")";
    }
    if (c.creates + c.updates + c.deletes) out.push_back(std::move(c));
  }
  return out;
}

std::vector<std::string> cost_lines(const PairReport& pr, const std::string& connector_left,
                                    const std::string& connector_right) {
  std::vector<std::string> lines;
  for (const WriteCost& c : write_costs(pr)) {
    std::string who = std::string(side_name(c.side)) + " (" + (c.side == Side::kLeft ? connector_left : connector_right) + ")";
    std::string line = "cost on the " + who + ": the writes take about " + plural_of(static_cast<long>(c.writes), "request") +
                       " (" + c.words + "), the read about " + std::to_string(c.read);
    if (c.left) line += "; the service allows " + std::to_string(*c.left) + " more today";
    // a burst limit: every full window of requests past the first is waited out
    if (c.rate_requests && c.read + c.writes > *c.rate_requests) {
      int64_t windows = (c.read + c.writes + *c.rate_requests - 1) / *c.rate_requests - 1;
      auto secs = [](int64_t ms) {
        return std::to_string(ms / 1000) + (ms % 1000 ? "." + std::to_string(ms % 1000 / 100) : std::string());
      };
      line += "; at its limit of " + std::to_string(*c.rate_requests) + " requests per " + secs(*c.rate_ms) +
              " s, the read and the writes take at least " + secs(windows * *c.rate_ms) + " s";
    }
    lines.push_back(line);
    if (c.left && c.read + c.writes > *c.left)
      lines.push_back("warning: on the " + who + " the read and the writes (" + std::to_string(c.read + c.writes) +
                      " requests) exceed the " + std::to_string(*c.left) +
                      " the service allows for the rest of today: run would refuse it (the budget guard) and write "
                      "nothing; run after the service's daily limit resets, or with --force=budget to write what fits");
  }
  return lines;
}

std::string budget_refusal(const PairReport& pr) {
  for (const WriteCost& c : write_costs(pr))
    if (c.left && c.writes > *c.left)
      return "the writes on the " + std::string(side_name(c.side)) + " side take about " +
             plural_of(static_cast<long>(c.writes), "request") + " (" + c.words + ") and its service allows " +
             std::to_string(*c.left) + " more today; nothing was written: run again after the service's daily limit "
             "resets (accord plan says what it costs), or run with --force=budget to write what fits (the rest fails and is retried)";
  return "";
}

}  // namespace accord::cli
