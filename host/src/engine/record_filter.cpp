// SPDX-License-Identifier: Apache-2.0
#include "engine/record_filter.hpp"

#include "engine/pair_run.hpp"

#include <accord/json/exact.hpp>

#include <accord/text/ascii.hpp>
#include <accord/time/utc_time.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace json = boost::json;

namespace accord {

namespace {

bool has_category(const json::value* cats, const std::string& want) {
  if (!cats) return false;
  std::string w = ascii_lower(want);
  if (const json::object* o = cats->if_object()) {
    for (const auto& [k, v] : *o)
      if (ascii_lower(std::string(k)) == w && !(v.is_bool() && !v.get_bool())) return true;
  } else if (const json::array* a = cats->if_array()) {
    for (const auto& v : *a)
      if (v.is_string() && ascii_lower(std::string(v.get_string())) == w) return true;
  } else if (cats->is_string()) {
    return ascii_lower(std::string(cats->get_string())) == w;
  }
  return false;
}

// "2026-01-01", "2026-01-01T10:00:00Z", or "now", "now-30d", "now+12h"
std::string instant(const std::string& spec) {
  if (!spec.starts_with("now")) return spec.substr(0, 19);
  long amount = 0;
  char unit = 'd';
  if (spec.size() > 3) std::sscanf(spec.c_str() + 3, "%ld%c", &amount, &unit);
  long secs = amount * (unit == 'h' ? 3600 : unit == 'm' ? 60 : 86400);
  return utc::format(static_cast<int64_t>(std::time(nullptr)) + secs, utc::Form::kLocal);
}

bool holds(const Predicate& p, const json::value& root, const json::object& data) {
  const json::value* v = p.field ? p.field->get(root) : nullptr;
  if (p.kind == "any") return true;
  if (p.kind == "category-contains") return has_category(v, std::string(p.value.get_string()));
  if (p.kind == "category-lacks") return !has_category(v, std::string(p.value.get_string()));
  if (p.kind == "not-private") {
    for (const char* k : {"privacy", "sensitivity"})
      if (auto* x = data.if_contains(k); x && x->is_string()) {
        std::string s = ascii_lower(std::string(x->get_string()));
        if (s == "private" || s == "secret" || s == "confidential") return false;
      }
    if (auto* x = data.if_contains("private"); x && x->is_bool() && x->get_bool()) return false;
    return true;
  }
  if (p.kind == "equals") return v && *v == p.value;
  if (p.kind == "in") {
    if (!v) return false;
    for (const auto& x : p.value.get_array())
      if (x == *v) return true;
    return false;
  }
  if (p.kind == "exists") return (v != nullptr && !v->is_null()) == p.value.get_bool();
  if (p.kind == "date") {
    if (!v || !v->is_string()) return false;
    std::string t = std::string(v->get_string()).substr(0, 19);
    if (!p.after.empty() && t < instant(p.after)) return false;
    if (!p.before.empty() && t >= instant(p.before)) return false;
    return true;
  }
  if (p.kind == "max-size") return static_cast<int64_t>(json::serialize(data).size()) <= p.value.to_number<int64_t>();
  if (p.kind == "type") {
    auto* t = data.if_contains("@type");
    return t && *t == p.value;
  }
  return true;
}

}  // namespace

bool record_passes(const Filter& f, const json::object& data) {
  if (f.empty()) return true;
  json::value root(data);
  for (const auto& p : f.all)
    if (!holds(p, root, data)) return false;
  return true;
}

std::string filter_mark(const Filter& f) {
  json::array all;
  for (const auto& p : f.all)
    all.push_back(json::object{{"kind", p.kind}, {"field", p.field ? p.field->text() : std::string()},
                               {"value", p.value}, {"after", p.after}, {"before", p.before}});
  return json::serialize(all);
}

// A side's `included` flags were judged by the filter its reads had: when
// the pipeline's filter is another now (changed, widened, narrowed; not a
// state of schema 10, which has no mark: below), every live row of that side is judged again
// from its data, and the rows whose verdict flips are planned in this run:
// a linked pair out of the filter is parked, one back in resumes (its
// three-way merge from the bases it kept), a record never linked that now
// passes is an ordinary new record (matched first, then created). Inside
// the planning transaction: a kill or a refusal leaves the old mark, and
// the next run judges again. An email⇄CRM pair's verdict depends on other
// records too (PairLookups::admit): it is judged when a record is read.
void PairRun::rejudge_filter(Side s) {
  if (sp_.email_crm) return;
  const Filter& filter = s == Side::kLeft ? sp_.filter_left : sp_.filter_right;
  std::string mark = filter_mark(filter);
  std::optional<std::string> was = store_->filter_mark(sp_.name, s);
  if (was && *was == mark) return;
  // A first sync judged every record as it read it, by this filter. A state
  // with no mark yet (written before schema 11) holds the verdicts its runs
  // gave; judging them again here would change what the upgrade alone
  // decides: a record Accord copied into this side is written in the
  // filter (commit_item) whatever its data, and kept syncing; judged by its
  // data it would be parked (review s14 F2). Its mark is this filter's.
  if (first_sync_ || !was) {
    store_->set_filter_mark(sp_.name, s, mark);
    return;
  }
  std::function<std::optional<bool>(std::string_view)> passes;
  if (!filter.empty())
    passes = [&](std::string_view data) -> std::optional<bool> {
      boost::system::error_code ec;
      json::value v = accord::json_exact::parse(data, ec);
      if (ec || !v.is_object()) return std::nullopt;  // (keeps its verdict)
      return record_passes(filter, v.get_object());
    };
  StateStore::Rejudged r =
      store_->rejudge_included(sp_.name, s, passes, 2000, [] { failpoint("fold.rejudge_batch"); });
  store_->set_filter_mark(sp_.name, s, mark);
  if (was && (r.in || r.out))
    rep_.notes.push_back(std::string("the ") + side_name(s) + " filter changed since the last run: " +
                         std::to_string(r.judged) + " records judged again, " + std::to_string(r.in) +
                         " back in it, " + std::to_string(r.out) + " out of it (their pairs parked)");
}

}  // namespace accord
