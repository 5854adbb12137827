// SPDX-License-Identifier: Apache-2.0
// Reading: one page of a listing (list, change search, tombstone feed, or a
// nested stream's parents and children) per call, the paging positions each
// style uses, and the cursor's watermark and overlap bookkeeping at a pass's end.
#include "crm_rest_p.hpp"

#include <accord/text/ascii.hpp>
#include <accord/text/content_hash.hpp>

#include <algorithm>
#include <set>

namespace crm {

namespace {

// Whether an error message names one of `codes` (a vendor's error code).
bool names_any(const std::string& what, const std::vector<std::string>& codes) {
  for (const auto& c : codes)
    if (what.find(c) != std::string::npos) return true;
  return false;
}

std::string next_link(const std::string& link_header) {
  // Link: <url>; rel="next", <url>; rel="last"
  size_t pos = 0;
  while ((pos = link_header.find('<', pos)) != std::string::npos) {
    size_t end = link_header.find('>', pos);
    if (end == std::string::npos) break;
    size_t stop = link_header.find('<', end);
    std::string params = link_header.substr(end + 1, stop == std::string::npos ? std::string::npos : stop - end - 1);
    if (params.find("rel=\"next\"") != std::string::npos || params.find("rel=next") != std::string::npos)
      return link_header.substr(pos + 1, end - pos - 1);
    pos = end;
  }
  return "";
}

}  // namespace

Record CrmRest::to_record(const StreamSpec& s, const json::value& native) {
  Record r;
  r.id = scalar_text(at_ptr(native, s.id));
  if (r.id.empty()) throw accord::Error(ACCORD_ERROR, "stream " + s.name + ": a record has no id at " + s.id +
                                                          " (check the stream's id pointer): " +
                                                          json::serialize(native).substr(0, 200));
  if (!s.modified.empty())
    if (auto* m = at_ptr(native, s.modified); m && !m->is_null())
      if (auto ms = parse_time_ms(*m)) {
        r.modified_ms = *ms;
        r.modified = format_time(*ms, "iso8601");
      }
  r.version = s.version.empty() ? "" : scalar_text(at_ptr(native, s.version));
  if (r.version.empty()) r.version = accord::hash::content_hash(json::serialize(native));
  r.native = native;
  return r;
}

// A listed record made by one of our creates carries its idempotency key
// (the external-id field) beside its id: the host relinks by it after its
// state was lost. Records made otherwise have none.
void CrmRest::give_key(const StreamSpec& s, const Record& rec, json::object& o) {
  if (s.external_id.empty()) return;
  if (std::string key = scalar_text(at_ptr(rec.native, s.external_id)); !key.empty()) o["idempotency_key"] = key;
}

// One page of `req` from paging position `next_in` (null: the first page):
// the position put into the request as its paging style wants, the call
// made, the record array found, and the next position worked out.
CrmRest::Page CrmRest::fetch_page(const StreamSpec& s, const Request& req, Vars vars, const json::value* next_in,
                                  const std::vector<long>& accept) {
  const Paging& pg = req.paging;
  std::string url;
  if (next_in && !next_in->is_null()) {
    if (pg.style == "link_header" || pg.style == "next_url") url = rest_.resolve(scalar_text(next_in));
    else if (pg.style == "cursor") vars["after"] = *next_in;
    else if (pg.style == "offset") vars["offset"] = *next_in;
    else if (pg.style == "page") vars["page"] = *next_in;
  } else {
    if (pg.style == "offset") vars["offset"] = json::value(0);
    if (pg.style == "page") vars["page"] = json::value(pg.first_page);
  }
  Request r = req;
  if (pg.style == "cursor" && !pg.param.empty()) r.query.emplace_back(pg.param, "{after}");
  if ((pg.style == "offset" || pg.style == "page") && !pg.param.empty())
    r.query.emplace_back(pg.param, pg.style == "offset" ? "{offset}" : "{page}");
  if (!pg.limit_param.empty()) r.query.emplace_back(pg.limit_param, "{limit}");
  if (r.body) {
    if (pg.style == "cursor" && !pg.body_pointer.empty() && vars.contains("after"))
      set_ptr(*r.body, pg.body_pointer, json::value("{after}"));
    if (!pg.limit_pointer.empty()) set_ptr(*r.body, pg.limit_pointer, json::value("{limit}"));
  }
  Page out;
  out.a = rest_.call(r, vars, accept, {}, url);
  if (out.a.status / 100 != 2) return out;
  out.recs = at_ptr(out.a.body, req.records);
  if (!out.recs || !out.recs->is_array())
    throw accord::Error(ACCORD_ERROR, "stream " + s.name + ": the answer of " + req.path + " has no record array at \"" +
                                          req.records + "\" (check the stream's records pointer)");
  const json::array& recs = out.recs->get_array();
  if (pg.total.starts_with("header:")) {  // json-server's X-Total-Count
    std::string h = out.a.raw.header(accord::ascii_lower(pg.total.substr(7)));
    if (!h.empty() && h.find_first_not_of("0123456789") == std::string::npos && h.size() < 19) listed_total_ = std::stoull(h);
  } else if (const json::value* t = pg.total.empty() ? nullptr : at_ptr(out.a.body, pg.total);
             t && (t->is_uint64() || (t->is_int64() && t->get_int64() >= 0))) {  // HubSpot's /total, Salesforce's /totalSize
    listed_total_ = t->to_number<uint64_t>();
  }
  size_t n = recs.size();
  bool full_page = static_cast<int64_t>(n) >= s.page_size;
  int64_t prev = next_in && !next_in->is_null() && next_in->is_number() ? next_in->to_number<int64_t>() : -1;
  if (pg.style == "link_header") {
    std::string l = next_link(out.a.raw.header("link"));
    if (!l.empty()) out.next = json::value(l);
  } else if (pg.style == "next_url" || pg.style == "cursor") {
    const json::value* in = &out.a.body;
    if (pg.next_in_last) in = n > 0 && full_page ? &recs.back() : nullptr;
    if (auto* nx = in ? at_ptr(*in, pg.next) : nullptr;
        nx && !nx->is_null() && !(nx->is_string() && nx->get_string().empty()))
      out.next = *nx;
    // newest first: the page that reaches a record older than {since} is the last
    if (auto sm = vars.find("since_ms"); !pg.stop_before_since.empty() && n > 0 && sm != vars.end())
      if (const json::value* t = at_ptr(recs.back(), pg.stop_before_since))
        if (auto ms = parse_time_ms(*t); ms && *ms < sm->second.to_number<int64_t>()) out.next = nullptr;
    // the answer says whether another page follows (HighLevel's nextPage)
    if (const json::value* more = pg.more.empty() ? nullptr : at_ptr(out.a.body, pg.more);
        !pg.more.empty() && !(more && more->is_bool() && more->get_bool()))
      out.next = nullptr;
  } else if (pg.style == "offset") {
    if (full_page) out.next = (prev < 0 ? 0 : prev) + static_cast<int64_t>(n);
  } else if (pg.style == "page") {
    if (full_page) out.next = (prev < 0 ? pg.first_page : prev) + 1;
  }
  return out;
}

// A stream nested under a parent (HighLevel's /contacts/{id}/notes): one
// page of the parent's listing per call, then every child of each parent on
// it. Always a full listing (such APIs have no change feed), so deletes are
// found by absence. Ids are "<parent id>/<child id>".
bool CrmRest::parent_page(const StreamSpec& s, json::object& cur, json::object& run, json::array& out) {
  const StreamSpec& ps = stream_spec(s.parent.stream);
  const json::value* pn = run.contains("pnext") ? &run.at("pnext") : nullptr;
  bool pass_start = !run.contains("seen_run");
  Page parents = fetch_page(ps, ps.list, base_vars(ps), pn);
  // One request per parent (and page) every pass: checked against what is
  // left today once the parents' first page has said, before the children
  if (pass_start) fits_budget(s, cur, run, 1);
  if (!run.contains("seen_run")) run["seen_run"] = json::array{};
  for (const auto& pv : parents.recs->get_array()) {
    throw_if_cancelled();
    std::string pid = scalar_text(at_ptr(pv, ps.id));
    if (pid.empty()) continue;
    Vars v = base_vars(s);
    v[s.parent.var] = json::value(pid);
    for (const auto& nv : children(s, v)) {
      if (s.canonical == "jmap-email" && email_copy(nv)) continue;  // (its record is the first contact's)
      Record rec = to_record(s, nv);
      json::object o{{"id", pid + "/" + rec.id}, {"version", rec.version}, {"data", to_data(s, rec.native)}};
      give_key(s, rec, o);
      out.push_back(std::move(o));
    }
  }
  if (!parents.next.is_null()) {
    run["pnext"] = parents.next;
    return true;
  }
  run.erase("pnext");
  finish_pass(s, cur, run);
  return false;
}

// Every record under one parent (vars holds its id): the listing's pages
// and, where the listing only names them (list.expand: HighLevel's thread
// of email ids in a conversation message), each one read through get.
std::vector<json::value> CrmRest::children(const StreamSpec& s, const Vars& vars) {
  std::vector<json::value> out;
  std::set<std::string> seen;
  json::value next = nullptr;
  do {
    Page kids = fetch_page(s, s.list, vars, &next);
    for (const auto& nv : kids.recs->get_array()) {
      if (s.list.expand.empty()) {
        out.push_back(nv);
        continue;
      }
      const json::value* ids = at_ptr(nv, s.list.expand);
      if (!ids || !ids->is_array()) continue;
      for (const auto& iv : ids->get_array()) {
        std::string id = scalar_text(&iv);
        if (id.empty() || !seen.insert(id).second) continue;
        Vars g = vars;
        g["id"] = json::value(id);
        Answer a = rest_.call(s.get, g, {404});
        if (a.status == 404) continue;  // gone between the listing and the read
        if (const json::value* rec = at_ptr(a.body, s.get.record); rec && rec->is_object()) out.push_back(*rec);
      }
    }
    next = kids.next;
  } while (!next.is_null());
  return out;
}

// Reads one page (or one tombstone page) into out. Returns whether more follow.
bool CrmRest::page(const StreamSpec& s, json::object& cur, json::object& run, json::array& out) {
  bool full = run.at("full").as_bool();
  std::string phase = scalar_text(run.if_contains("phase"));
  // a server that refused the change search's shape once is read through
  // the fallback from then on (cur["fallback"])
  bool fallback = !full && phase == "list" && s.changes_fallback.present && cur.contains("fallback");
  const Request& req = phase == "tomb"                      ? s.tombstones
                       : fallback                           ? s.changes_fallback
                       : (!full && s.changes.present) ? s.changes
                                                      : s.list;
  Vars vars = base_vars(s);
  int64_t tomb_floor = 0;
  if (phase == "tomb") {
    int64_t since = cur.contains("tomb") ? cur.at("tomb").to_number<int64_t>() : run.at("start").to_number<int64_t>();
    tomb_floor = since - s.overlap_s * 1000;
    // the feed refuses a window shorter than this (getDeleted: a minute)
    tomb_floor = std::min(tomb_floor, now_ms() - s.tombstone_min_window_s * 1000);
    vars["since"] = json::value(format_time(tomb_floor, s.since_format));
  } else if (auto* w = run.if_contains("window")) {
    // past a search's result cap: a new query from the newest time seen
    vars["since"] = json::value(format_time(w->to_number<int64_t>(), s.since_format));
  } else if (!full && s.change_mode == "sync_token") {
    vars["sync_token"] = cur.at("sync");
  } else if (!full && cur.contains("since")) {
    vars["since"] = json::value(format_time(cur.at("since").to_number<int64_t>() - s.overlap_s * 1000, s.since_format));
    vars["since_ms"] = cur.at("since").to_number<int64_t>() - s.overlap_s * 1000;
  }
  if (s.parent.present && phase == "list") return parent_page(s, cur, run, out);
  bool sync_changes = !full && phase == "list" && s.change_mode == "sync_token";
  const json::value* next_in = run.contains("next") ? &run.at("next") : nullptr;
  // (returned, not assigned: recs points into the answer it was read from)
  std::string gone, refused;
  auto fetch = [&]() -> Page {
    try {
      return fetch_page(s, req, vars, next_in, sync_changes ? std::vector<long>{410} : std::vector<long>{});
    } catch (const accord::Error& e) {
      if (e.status() == ACCORD_ERROR && &req == &s.changes && s.changes_fallback.present && !next_in) {
        refused = e.what();
        return Page{};
      }
      if (e.status() != ACCORD_ERROR || !names_any(e.what(), req.expired)) throw;
      gone = e.what();
      return Page{};
    }
  };
  Page pgr = fetch();
  if (!refused.empty()) {
    // the server does not take the change search as the profile writes it:
    // read newest first down to the watermark instead (cheap), from now on
    host().log(ACCORD_LOG_WARN, ("crm-rest: " + s.name + ": the change search was refused (" + refused +
                                 "); reading newest first down to the last run's time instead").c_str());
    cur["fallback"] = true;
    return page(s, cur, run, out);
  }
  if (!gone.empty()) {
    if (phase != "tomb" && next_in) {
      // a listing's next-page locator expired (Salesforce's live two days):
      // this listing starts again from its first page
      host().log(ACCORD_LOG_INFO, ("crm-rest: " + s.name + ": the server no longer knows the listing's next page (" +
                                   gone + "); listing again from the start").c_str());
      run.erase("next");
      return page(s, cur, run, out);
    }
    if (phase == "tomb" && full) {  // a full listing found every delete: the feed is not needed
      finish_pass(s, cur, run);
      return false;
    }
    // the server's window of changes or deletes is gone (getDeleted's log
    // purged: INVALID_REPLICATION_DATE): the host lists everything and diffs
    throw accord::Error(ACCORD_CURSOR_EXPIRED, "stream " + s.name + ": " + gone);
  }
  const Answer& a = pgr.a;
  if (phase == "tomb" && !s.tombstone_covered.empty())
    if (auto* c = at_ptr(a.body, s.tombstone_covered); c && !c->is_null())
      if (auto t = parse_time_ms(*c)) run["tomb_covered"] = *t;
  if (a.status == 410)  // the server no longer knows the token: the host lists everything and diffs
    throw accord::Error(ACCORD_CURSOR_EXPIRED, "stream " + s.name + ": the server's sync token expired (HTTP 410: " +
                                                   error_text(a.body, a.raw.body) + ")");
  if (s.change_mode == "sync_token" && phase == "list")
    if (auto* t = at_ptr(a.body, s.sync_token); t && t->is_string() && !t->get_string().empty()) run["sync"] = *t;
  if (!run.contains("server_start"))
    if (auto d = parse_http_date_ms(a.raw.header("date"))) run["server_start"] = *d;
  // HubSpot's email engagements: their contacts, which a search does not answer (hubspot_messages.cpp)
  if (s.canonical == "jmap-email" && s.email_api == "hubspot" && phase == "list") hubspot_email_contacts(s, pgr.a.body, req.records);
  const json::value* recs = pgr.recs;
  if (!run.contains("seen_run")) run["seen_run"] = json::array{};
  std::set<std::string> old_seen;
  if (auto* sv = cur.if_contains("seen"); sv && sv->is_array() && !full)
    for (const auto& e : sv->get_array()) old_seen.insert(scalar_text(&e.get_array().at(0)));
  json::array& seen_run = run["seen_run"].get_array();
  std::set<std::string> old_tombs;
  if (auto* tv = cur.if_contains("tomb_seen"); tv && tv->is_array() && !full)
    for (const auto& e : tv->get_array()) old_tombs.insert(scalar_text(&e.get_array().at(0)));
  int64_t max_ms = run.contains("max") ? run.at("max").to_number<int64_t>() : -1;
  std::set<std::string> this_run;  // a windowed search reads its boundary again
  if (run.contains("window"))
    for (const auto& e : seen_run) this_run.insert(scalar_text(&e.get_array().at(0)));

  for (const auto& nv : recs->get_array()) {
    if (phase == "tomb") {
      // Tombstones are read back over the overlap window too: the ones an
      // earlier pass saw (or that were gone before a full listing) are
      // remembered, and not reported twice.
      std::string id = scalar_text(at_ptr(nv, s.tombstone_id));
      if (id.empty()) continue;
      int64_t at = run.at("start").to_number<int64_t>();
      if (const json::value* d = s.tombstone_deleted_at.empty() ? nullptr : at_ptr(nv, s.tombstone_deleted_at))
        if (auto t = parse_time_ms(*d)) at = *t;
      // a feed the server does not filter by time (HubSpot's archived
      // listing) brings old tombstones too: those were reported before
      if (!full && at < tomb_floor) continue;
      if (!run.contains("tomb_seen")) run["tomb_seen"] = json::array{};
      run["tomb_seen"].get_array().push_back(json::array{id, at});
      if (full || old_tombs.contains(id)) continue;
      out.push_back(json::object{{"id", id}, {"deleted", true}});
      continue;
    }
    if (!s.deleted_flag.empty())
      if (auto* d = at_ptr(nv, s.deleted_flag); d && d->is_bool() && d->get_bool()) {
        std::string id = scalar_text(at_ptr(nv, s.id));
        if (!id.empty() && !full) out.push_back(json::object{{"id", id}, {"deleted", true}});
        continue;
      }
    Record rec = to_record(s, nv);
    std::string tag = accord::hash::content_hash(rec.id + '\x1f' + rec.version).substr(0, 12);
    if (rec.modified_ms >= 0) {
      max_ms = std::max(max_ms, rec.modified_ms);
      seen_run.push_back(json::array{tag, rec.modified_ms});
    }
    if (old_seen.contains(tag) || this_run.contains(tag)) continue;  // reported already, unchanged since
    json::object o{{"id", rec.id}, {"version", rec.version}, {"data", to_data(s, rec.native)}};
    if (!rec.modified.empty()) o["modified"] = rec.modified;
    give_key(s, rec, o);
    out.push_back(std::move(o));
  }
  // keep only what falls inside the overlap window of the newest seen
  if (max_ms >= 0) {
    run["max"] = max_ms;
    json::array kept;
    for (auto& e : seen_run)
      if (e.get_array().at(1).to_number<int64_t>() >= max_ms - s.overlap_s * 1000) kept.push_back(std::move(e));
    run["seen_run"] = std::move(kept);
  }

  json::value next = pgr.next;
  size_t n = recs->get_array().size();
  if (!next.is_null() && s.max_results > 0 && phase == "list" && !full) {
    int64_t count = (run.contains("wcount") ? run.at("wcount").to_number<int64_t>() : 0) + static_cast<int64_t>(n);
    run["wcount"] = count;
    if (count + s.page_size > s.max_results) {
      // The search answers at most max_results per query (HubSpot: 10,000):
      // start a new query from the newest modification time seen. Records
      // at that very time come again and are skipped (seen_run).
      if (run.contains("window") && run.at("window").to_number<int64_t>() >= max_ms)
        throw accord::Error(ACCORD_ERROR, "stream " + s.name + ": more than " + std::to_string(s.max_results) +
                                              " records share one modification time; the search cannot page past them "
                                              "(set changes.full_listing_hours to 0 to list them in full instead)");
      run["window"] = max_ms;
      run["wcount"] = 0;
      run.erase("next");
      return true;
    }
  }
  if (!next.is_null()) {
    run["next"] = next;
    return true;
  }
  run.erase("next");
  if (phase == "list" && s.tombstones.present) {
    run["phase"] = "tomb";
    return true;
  }
  finish_pass(s, cur, run);
  return false;
}

void CrmRest::finish_pass(const StreamSpec& s, json::object& cur, json::object& run) {
  bool full = run.at("full").as_bool();
  int64_t start = run.at("start").to_number<int64_t>();
  if (full) cur["full_at"] = start;
  if (auto* t = run.if_contains("sync")) cur["sync"] = *t;
  if (s.tombstones.present) {
    // the next window starts where the feed said this one's coverage ended
    // (getDeleted's latestDateCovered), else where this pass started
    cur["tomb"] = run.contains("tomb_covered") ? std::min(start, run.at("tomb_covered").to_number<int64_t>()) : start;
    json::array kept;
    auto keep = [&](const json::value& e) {
      if (e.get_array().at(1).to_number<int64_t>() >= start - 2 * s.overlap_s * 1000) kept.push_back(e);
    };
    if (!full)
      if (auto* old = cur.if_contains("tomb_seen"); old && old->is_array())
        for (const auto& e : old->get_array()) keep(e);
    if (auto* now = run.if_contains("tomb_seen"); now && now->is_array())
      for (const auto& e : now->get_array()) keep(e);
    cur["tomb_seen"] = std::move(kept);
  }
  if (run.contains("max")) {
    int64_t max_ms = run.at("max").to_number<int64_t>();
    int64_t since = cur.contains("since") && !full ? std::max(cur.at("since").to_number<int64_t>(), max_ms) : max_ms;
    // A full listing is not ordered by time: what changed while it ran may
    // sort before records it had already passed. Do not move past its start.
    if (full && run.contains("server_start")) since = std::min(since, run.at("server_start").to_number<int64_t>());
    json::array seen;
    if (!full)
      if (auto* old = cur.if_contains("seen"); old && old->is_array())
        for (const auto& e : old->get_array())
          if (e.get_array().at(1).to_number<int64_t>() >= since - s.overlap_s * 1000) seen.push_back(e);
    for (const auto& e : run.at("seen_run").get_array())
      if (e.get_array().at(1).to_number<int64_t>() >= since - s.overlap_s * 1000) seen.push_back(e);
    cur["since"] = since;
    cur["seen"] = std::move(seen);
  } else if (full && !cur.contains("since")) {
    // an empty store: changes start from when this listing began
    if (run.contains("server_start")) cur["since"] = run.at("server_start");
    else cur["since"] = start;
    cur["seen"] = json::array{};
  }
}

}  // namespace crm
