// SPDX-License-Identifier: Apache-2.0
// The graph backend's event stream (graph_backend.hpp): the primary
// calendar. A full listing lists every event (/me/events: single events and
// series masters, user-list-events.md) after a silent first round of
// calendarView/delta over the window (event-delta.md,
// concepts/delta-query-events.md) has fixed where changes are followed
// from; changes then come from that delta. An occurrence or exception that
// changed stands for its series: the master is read again with its
// exceptions ($expand=exceptionOccurrences) and cancelled occurrences. An
// "@removed" event that still exists lies outside the window (or is an
// occurrence): it is read again, never taken as deleted; one that is gone
// is deleted. Creates carry transactionId (Graph's guard against a POST
// sent twice) and the idempotency key in an extended property.
#include "contact_map.hpp"
#include "event_map.hpp"
#include "graph_backend.hpp"

#include <accord/json/lenient.hpp>
#include <accord/kit/batch.hpp>
#include <accord/kit/check.hpp>
#include <accord/kit/cursor.hpp>
#include <accord/net/http_client.hpp>
#include <accord/text/content_hash.hpp>
#include <accord/time/rest_time.hpp>
#include <accord/time/utc_time.hpp>

#include <algorithm>
#include <set>

namespace json = boost::json;
using accord::json_read::arr;
using accord::json_read::str;
using accord::kit::Op;
using accord::kit::Result;
using accord::net::url_encode;

namespace outlook::graph {

namespace {

const accord::kit::CursorFormat kEventCursor{"outlook", 1};
// Times in UTC (the map turns them into the event's zone), bodies as text.
constexpr const char* kEventPrefer = "outlook.timezone=\"UTC\", outlook.body-content-type=\"text\"";

// A series' version: the master's etag, and its exceptions' when there are any.
std::string series_version(const json::object& master) {
  std::string v = str(master, "@odata.etag");
  if (v.empty()) v = "W/\"" + str(master, "changeKey") + "\"";
  std::string all;
  if (const json::array* x = arr(master, "exceptionOccurrences"))
    for (const auto& e : *x)
      if (e.is_object()) all += str(e.get_object(), "id") + "=" + str(e.get_object(), "changeKey") + ";";
  return all.empty() ? v : v + ";" + accord::hash::content_hash(all);
}

events::Series series_of(const json::object& master) {
  events::Series s{master, {}};
  if (const json::array* x = arr(master, "exceptionOccurrences"))
    for (const auto& e : *x)
      if (e.is_object()) s.exceptions.push_back(e.get_object());
  return s;
}

json::object event_record(const json::object& master) {
  json::object rec{{"id", str(master, "id")}, {"version", series_version(master)}};
  try {
    rec["data"] = events::to_event(series_of(master));
  } catch (const std::exception& e) {
    rec["data"] = "unreadable: " + std::string(e.what());  // the host reports it and goes on
  }
  if (std::string m = str(master, "lastModifiedDateTime"); !m.empty()) rec["modified"] = m;
  if (std::string k = extended_key(master); !k.empty()) rec["idempotency_key"] = k;
  return rec;
}

}  // namespace

std::optional<json::object> Backend::get_series(const std::string& id) {
  return get_one("/me/events/" + url_encode(id) + "?$expand=" + url_encode("exceptionOccurrences," + key_expand()),
                 kEventPrefer);
}

// The calendars the stream syncs (calendar_id): "primary" (the default
// calendar, calendar-get.md), a calendar's id or name, or "*": every calendar
// of the mailbox Outlook lets it edit (user-list-calendars.md: canEdit),
// the default one first. New events go to the first.
const std::vector<Backend::Calendar>& Backend::calendars() {
  if (calendars_) return *calendars_;
  std::vector<Calendar> out;
  std::vector<json::object> all;
  each_page("/me/calendars?$select=id,name,isDefaultCalendar,canEdit", [&](const json::array& v) {
    for (const auto& x : v)
      if (x.is_object()) all.push_back(x.get_object());
    return false;
  });
  auto is_default = [](const json::object& c) {
    return c.contains("isDefaultCalendar") && c.at("isDefaultCalendar").is_bool() && c.at("isDefaultCalendar").get_bool();
  };
  std::stable_partition(all.begin(), all.end(), is_default);
  const std::string& want = s_.calendar_id;
  for (const json::object& c : all) {
    bool primary = is_default(c);
    bool editable = !c.contains("canEdit") || !c.at("canEdit").is_bool() || c.at("canEdit").get_bool();
    bool pick = want == "*" ? editable : want == "primary" ? primary : (str(c, "id") == want || str(c, "name") == want);
    if (pick && !str(c, "id").empty()) out.push_back(Calendar{str(c, "id"), primary});
    if (pick && want != "*") break;
  }
  if (out.empty() && want == "primary")  // a mailbox whose list says no default: /me/calendar names it
    if (auto c = get_one("/me/calendar?$select=id"); c && !str(*c, "id").empty()) out.push_back(Calendar{str(*c, "id"), true});
  if (out.empty())
    throw accord::Error(ACCORD_ERROR, "calendar_id: Outlook has no calendar \"" + want + "\" (give \"primary\", a "
                                      "calendar's id or name, or \"*\" for every calendar it may edit)");
  calendars_ = std::move(out);
  return *calendars_;
}

// The cursor: {"stream", "cals": [ids], "at" (the calendar being read),
// "each": {id: that calendar's own}}; a calendar's own: {"phase":
// "base"|"list"|"delta"|"move", "win": [from, to], "next" (a page in
// progress), "link" (the window's deltaLink), "was" (while the window moves:
// the end it had)}. A cursor of one calendar (before calendar_id) is the
// primary's own.
std::string Backend::read_events(const json::object& c, bool fresh) {
  const std::vector<Calendar>& now = calendars();
  std::vector<std::string> cals;
  json::object each;
  size_t at = 0;
  if (!fresh) {
    if (const json::value* was = c.if_contains("cals")) {
      if (!was->is_array()) kEventCursor.expire("it names no calendars");
      for (const auto& v : was->get_array()) {
        if (!v.is_string() || std::none_of(now.begin(), now.end(), [&](const Calendar& k) { return k.id == v.get_string(); }))
          kEventCursor.expire("a calendar it followed is gone from Outlook or no longer configured");
        cals.emplace_back(v.get_string());
      }
      if (auto* e = c.if_contains("each"); e && e->is_object()) each = e->get_object();
      if (auto* v = c.if_contains("at"); v && v->is_int64() && v->get_int64() >= 0) at = static_cast<size_t>(v->get_int64());
    } else {
      // the one-calendar cursor: the primary calendar's
      auto primary = std::find_if(now.begin(), now.end(), [](const Calendar& k) { return k.primary; });
      if (primary == now.end()) kEventCursor.expire("it follows the primary calendar, which is no longer configured");
      cals.push_back(primary->id);
      json::object own = c;
      own.erase("stream");
      each[primary->id] = std::move(own);
    }
  }
  // calendars added since (made in Outlook, or newly configured): their first round lists them
  for (const Calendar& k : now)
    if (std::find(cals.begin(), cals.end(), k.id) == cals.end()) cals.push_back(k.id);
  if (at >= cals.size()) kEventCursor.expire("it names a calendar that is not configured");
  const Calendar& cal = *std::find_if(now.begin(), now.end(), [&](const Calendar& k) { return k.id == cals[at]; });
  const json::value* mine = each.if_contains(cal.id);
  bool first = !mine || !mine->is_object();
  auto [batch, own] = read_calendar(cal, first ? json::object{} : mine->get_object(), first);
  batch.full = fresh && at == 0 && first;
  each[cal.id] = std::move(own);
  if (!batch.more && at + 1 < cals.size()) {
    ++at;
    batch.more = true;
  } else if (!batch.more) {
    at = 0;
  }
  json::array ids;
  for (const std::string& id : cals) ids.push_back(json::value(id));
  batch.cursor = kEventCursor.write(json::object{{"stream", "event"}, {"cals", std::move(ids)}, {"at", at}, {"each", std::move(each)}});
  return batch.serialize();
}

// One page of one calendar: a silent first round of calendarView/delta over
// the window ("base"), then its events listed ("list": single events and
// series masters), then changes from the delta link ("delta").
//
// The window moves with time: when a round would begin and the window the
// settings give today (past_days back, future_days ahead) is not the one the
// delta link follows, a new calendarView/delta round over today's window
// ("move") replaces the link; of what it lists, the events that begin after
// the old end (newly in the window) are read as changes.
std::pair<accord::kit::Batch, json::object> Backend::read_calendar(const Calendar& cal, const json::object& c, bool fresh) {
  std::string phase = fresh ? "base" : str(c, "phase");
  std::string next = str(c, "next"), link = str(c, "link"), was = str(c, "was");
  json::array win;
  if (auto* w = c.if_contains("win"); w && w->is_array()) win = w->get_array();
  int64_t day = accord::utc::now_ms() / 86400000 * 86400;
  json::array today{json::value(s_.window_start.empty()
                                    ? accord::utc::format(day - s_.past_days * 86400, accord::utc::Form::kLocal)
                                    : s_.window_start + "T00:00:00"),
                    json::value(accord::utc::format(day + s_.future_days * 86400, accord::utc::Form::kLocal))};
  if (fresh) win = today;
  if (win.size() != 2 || !win[0].is_string() || !win[1].is_string() ||
      (phase != "base" && phase != "list" && phase != "delta" && phase != "move"))
    kEventCursor.expire("it is not an event cursor of this version");
  if (phase == "delta" && next.empty() && win != today) {
    phase = "move";
    was = std::string(win[1].get_string());
    win = today;
  }
  for (const std::string& u : {next, link})
    if (!u.empty() && u.rfind(client_.root() + "/", 0) != 0) kEventCursor.expire("its link is not on " + client_.root());
  // the primary calendar's view by its documented path (event-delta.md); another calendar's by
  // /me/calendars/{id}/calendarView/delta (the same page's earlier v1.0 text, and beta's)
  std::string view = cal.primary ? "/me/calendarView/delta" : "/me/calendars/" + url_encode(cal.id) + "/calendarView/delta";
  std::string url;
  if (!next.empty()) url = next;
  else if (phase == "base" || phase == "move") url = view + "?startDateTime=" + url_encode(std::string(win[0].get_string())) +
                                  "&endDateTime=" + url_encode(std::string(win[1].get_string()));
  else if (phase == "list") url = "/me/calendars/" + url_encode(cal.id) + "/events?$top=" + std::to_string(s_.page_size) +
                                  "&$expand=" + url_encode("exceptionOccurrences," + key_expand());
  else url = link;
  if (url.empty()) kEventCursor.expire("it holds no delta link");
  Answer a = client_.call("GET", url, "", {}, true, prefer_page() + ", " + kEventPrefer);
  if (a.status == 410 || a.code == "syncStateNotFound" || a.code == "resyncRequired" || a.code == "SyncStateNotFound")
    kEventCursor.expire("Outlook no longer holds the calendar's sync state (HTTP " + std::to_string(a.status) + " " + a.code + ")");
  if (!a.ok()) unusable("GET", url, a);
  const json::object& body = a.body.is_object() ? a.body.get_object() : empty_;
  const json::array* items = arr(body, "value");
  accord::kit::Batch batch;
  if (phase == "list" && items) {
    for (const auto& v : *items)
      if (v.is_object() && !str(v.get_object(), "id").empty()) batch.records.push_back(event_record(v.get_object()));
  } else if ((phase == "delta" || phase == "move") && items) {
    std::vector<std::string> touched;
    std::set<std::string> seen;
    auto touch = [&](const std::string& id) {
      if (!id.empty() && seen.insert(id).second) touched.push_back(id);
    };
    std::vector<std::string> gone;
    for (const auto& v : *items) {
      if (!v.is_object()) continue;
      const json::object& e = v.get_object();
      std::string id = str(e, "id"), master = str(e, "seriesMasterId");
      if (id.empty()) continue;
      if (phase == "move") {
        // a new window's first round lists what it holds: only what begins after the old end is new to the host
        const json::object* start = accord::json_read::obj(e, "start");
        std::string at = start ? str(*start, "dateTime") : "";
        if (!e.contains("@removed") && !at.empty() && at.substr(0, 19) >= was.substr(0, 19)) touch(master.empty() ? id : master);
        continue;
      }
      if (e.contains("@removed")) {
        // inside the window and deleted, or outside it (added, changed or deleted there): read it to know
        auto now = get_one("/me/events/" + url_encode(id) + "?$select=id,seriesMasterId,type", kEventPrefer);
        if (!now) gone.push_back(id);
        else touch(str(*now, "seriesMasterId").empty() ? id : str(*now, "seriesMasterId"));
        continue;
      }
      touch(master.empty() ? id : master);
    }
    for (const std::string& id : gone)
      if (!seen.count(id)) batch.records.push_back(json::object{{"id", id}, {"deleted", true}});
    for (const std::string& id : touched) {
      owner_.throw_if_cancelled();
      auto m = get_series(id);
      if (!m) batch.records.push_back(json::object{{"id", id}, {"deleted", true}});
      else batch.records.push_back(event_record(*m));
    }
  }
  json::object nc{{"win", win}, {"phase", phase}};
  if (!link.empty()) nc["link"] = link;
  if (phase == "move") nc["was"] = was;
  std::string nl = str(body, "@odata.nextLink"), dl = str(body, "@odata.deltaLink");
  if (!nl.empty()) {
    if (nl.rfind(client_.root() + "/", 0) != 0) throw failure(ACCORD_ERROR, "GET", url, a, "its next page is on another server");
    nc["next"] = nl;
    batch.more = true;
  } else if (phase == "base") {
    if (dl.empty()) throw failure(ACCORD_ERROR, "GET", url, a, "Graph gave neither a next page nor a delta link");
    nc["phase"] = "list";
    nc["link"] = dl;
    batch.more = true;
  } else if (phase == "list") {
    nc["phase"] = "delta";
    batch.more = true;
  } else if (phase == "move") {
    if (dl.empty()) throw failure(ACCORD_ERROR, "GET", url, a, "Graph gave neither a next page nor a delta link");
    nc["phase"] = "delta";
    nc.erase("was");
    nc["link"] = dl;
  } else {
    if (dl.empty()) throw failure(ACCORD_ERROR, "GET", url, a, "Graph gave neither a next page nor a delta link");
    nc["link"] = dl;
  }
  return {std::move(batch), std::move(nc)};
}

std::optional<json::object> Backend::find_event(const std::string& key) {
  if (key.empty()) return std::nullopt;
  std::optional<json::object> found;
  each_page("/me/calendars/" + url_encode(calendars().front().id) + "/events?$filter=" + url_encode(key_filter(key)) + "&$select=id", [&](const json::array& v) {
    for (const auto& x : v)
      if (x.is_object() && !str(x.get_object(), "id").empty()) {
        found = x.get_object();
        return true;
      }
    return false;
  });
  return found;
}

Result Backend::event_result(const std::string& id) {
  auto m = get_series(id);
  if (!m) throw accord::Error(ACCORD_RETRY, "event " + id + " was written but cannot be read back yet", 5000);
  Result r = Result::ok(id, series_version(*m));
  r.data = events::to_event(series_of(*m));
  return r;
}

namespace {

// The occurrence of a series whose original start is `rid` (local, in the series' zone).
std::string occurrence_path(const std::string& id) { return "/me/events/" + url_encode(id) + "/instances"; }

// A page of a series' instances into `by_rid`: recurrence id (the original
// start in the series' `zone`) → occurrence id.
std::function<bool(const json::array&)> by_original_start(const std::string& zone, std::map<std::string, std::string>& by_rid) {
  return [zone, &by_rid](const json::array& v) {
    for (const auto& x : v)
      if (x.is_object()) by_rid[events::recurrence_id(str(x.get_object(), "originalStart"), zone)] = str(x.get_object(), "id");
    return false;
  };
}

}  // namespace

// Updates of single events through $batch (Backend::send_batch): a record
// without a recurrence whose version is a bare etag (no exceptions in it),
// so that If-Match alone guards the write and Graph's answer to the PATCH
// (times in UTC, body as text: the entry's own Prefer) is the result. A
// series (a rule or overrides to write, exceptions to compare) goes one by
// one.
//
// Creates go through $batch too when they need no write after the POST (no
// overrides or cancelled occurrences): each entry carries transactionId and
// the key's extended property as a single create does, so a batch whose
// answer is lost is looked for by key before anything is sent again.
void Backend::batch_events(const std::vector<Op>& ops, std::vector<std::optional<Result>>& done) {
  std::vector<BatchRequest> reqs, creates;
  std::vector<std::pair<size_t, events::Written>> said;  // what Outlook cannot keep, logged for the ops a batch did
  for (size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    if (op.is_create()) {
      if (op.resend || op.data.contains("recurrenceOverrides")) continue;  // looked for first / occurrences written after
      events::Written w;
      try {
        w = events::from_event(op.data);
      } catch (const std::invalid_argument&) {
        continue;  // said by apply_event
      }
      json::object body = create_body(op, w);
      if (!w.notes.empty()) said.emplace_back(i, w);
      creates.push_back(BatchRequest{i, "POST", "/me/calendars/" + url_encode(calendars().front().id) + "/events",
                                     std::move(body), kEventPrefer});
      continue;
    }
    if (!op.is_update() || op.data.contains("recurrenceRules") || op.data.contains("recurrenceOverrides") ||
        (op.expect_version && op.expect_version->find(';') != std::string::npos))
      continue;
    events::Written w;
    try {
      w = events::from_event(op.data);
    } catch (const std::invalid_argument&) {
      continue;  // said by apply_event
    }
    if (!w.notes.empty()) said.emplace_back(i, w);
    if (s_.write_attendees) w.master["attendees"] = w.attendees;
    reqs.push_back(BatchRequest{i, "PATCH", "/me/events/" + url_encode(op.id), std::move(w.master), kEventPrefer});
  }
  auto result = [&](const Op& op, const Answer& e) {
    if (!e.body.is_object()) throw accord::Error(ACCORD_RETRY, "event " + op.id + " was written; Outlook's answer had no event", 5000);
    const json::object& m = e.body.get_object();
    std::string id = str(m, "id");
    if (id.empty()) throw accord::Error(ACCORD_RETRY, "an event was written; Outlook's answer had no id", 5000);
    if (m.contains("recurrence") && m.at("recurrence").is_object()) return event_result(id);  // a series: read with its exceptions
    Result r = Result::ok(id, series_version(m));
    r.data = events::to_event(series_of(m));
    return r;
  };
  send_batch(ops, reqs, done, "event", result);
  // transactionId makes a create sent twice one event (event.md): the batch may be sent again
  send_batch(ops, creates, done, "event", result, [&](const Op& op) -> std::optional<Result> {
    if (auto found = find_event(op.idempotency_key)) return event_result(str(*found, "id"));
    return std::nullopt;
  }, true);
  for (const auto& [i, w] : said)
    if (done[i]) say_losses(ops[i], w);  // the others go on their own: apply_event says it
}

// A new event's body: the master, transactionId ("a custom identifier
// specified by a client app for the server to avoid redundant POST
// operations in case of client retries", event.md: a create sent twice makes
// one event) and the key in the extended property, the attendees when
// written.
json::object Backend::create_body(const Op& op, const events::Written& w) const {
  json::object body = w.master;
  if (!op.idempotency_key.empty()) {
    body["transactionId"] = "accord-" + accord::hash::content_hash(op.idempotency_key) +
                            accord::hash::content_hash(op.idempotency_key + "#");
    body["singleValueExtendedProperties"] = json::array{json::object{{"id", kKeyProperty}, {"value", op.idempotency_key}}};
  }
  if (s_.write_attendees && !w.attendees.empty()) body["attendees"] = w.attendees;
  return body;
}

// What Outlook cannot keep of an event, in the log (the host reports the
// fields left behind from the result; this says why).
void Backend::say_losses(const Op& op, const events::Written& w) const {
  for (const std::string& n : w.notes)
    host_.log(ACCORD_LOG_WARN, "event " + (op.id.empty() ? op.idempotency_key : op.id) + ": " + n);
}

// Event deletes through $batch (Backend::send_batch); task deletes are batch_tasks'.
void Backend::batch_deletes(const std::vector<Op>& ops, std::vector<std::optional<Result>>& done) {
  std::vector<BatchRequest> reqs;
  for (size_t i = 0; i < ops.size(); ++i)
    if (ops[i].is_delete()) reqs.push_back(BatchRequest{i, "DELETE", "/me/events/" + url_encode(ops[i].id), std::nullopt});
  send_batch(ops, std::move(reqs), done, "event", [](const Op& op, const Answer&) { return Result::ok(op.id); });
}

// The instances of series `id` around its changed and cancelled occurrences'
// original starts (event-list-instances.md: startDateTime and endDateTime
// required), two days before the first to three after the last.
std::string Backend::instances_url(const std::string& id, const events::Written& w) const {
  std::string from = "9999", to = "0000";
  for (const auto& c : w.changed) from = std::min(from, c.recurrence_id), to = std::max(to, c.recurrence_id);
  for (const auto& x : w.excluded) from = std::min(from, x), to = std::max(to, x);
  auto day = [](const std::string& local, int64_t shift) {
    auto ms = accord::utc::parse_iso8601_ms(local.substr(0, 10) + "T00:00:00Z");
    return accord::utc::format((ms.value_or(0) / 1000) + shift * 86400, accord::utc::Form::kLocal);
  };
  return occurrence_path(id) + "?startDateTime=" + url_encode(day(from, -2)) + "&endDateTime=" + url_encode(day(to, 3)) +
         "&$select=id,originalStart,isAllDay";
}

// The writes of a series' changed occurrences (PATCH: an occurrence changed
// becomes an exception, with its own attendees when they are written,
// event-update.md) and cancelled ones (DELETE, event-delete.md), each found
// by its original start in `by_rid`; one that is not there is not an
// occurrence of the series (or is cancelled already).
std::vector<Backend::BatchRequest> Backend::occurrence_writes(size_t op, const events::Written& w,
                                                              const std::map<std::string, std::string>& by_rid) const {
  std::vector<BatchRequest> out;
  for (const auto& c : w.changed) {
    auto it = by_rid.find(c.recurrence_id);
    if (it == by_rid.end()) continue;
    json::object patch = c.patch;
    if (s_.write_attendees && c.attendees) patch["attendees"] = *c.attendees;
    out.push_back(BatchRequest{op, "PATCH", "/me/events/" + url_encode(it->second), std::move(patch), kEventPrefer});
  }
  for (const auto& rid : w.excluded)
    if (auto it = by_rid.find(rid); it != by_rid.end())
      out.push_back(BatchRequest{op, "DELETE", "/me/events/" + url_encode(it->second), std::nullopt});
  return out;
}

// A series read back (get_series' answer) as the op's result.
Result Backend::series_result(const Op& op, const Answer& a) const {
  if (a.status == 404 || !a.body.is_object() || str(a.body.get_object(), "id").empty())
    throw accord::Error(ACCORD_RETRY, "event " + op.id + " was written but cannot be read back yet", 5000);
  const json::object& m = a.body.get_object();
  Result r = Result::ok(str(m, "id"), series_version(m));
  r.data = events::to_event(series_of(m));
  return r;
}

// Updates of series (a rule or overrides to write, or a version that holds
// exceptions), all of an apply call together, step by step, each step one
// post_batches call over the ops still going: (1) each series read to
// compare its version, exceptions included (CONFLICT when it moved); (2) each
// master PATCHed with If-Match; (3) the instances around the changed and
// cancelled occurrences listed (after the PATCH: a new rule makes new
// occurrences); (4) each occurrence written; (5) each series read back as
// the result. A step's entries never depend on each other (post_batches), so
// one series' failure is that op's alone. A single series goes on its own
// (apply_event: the same steps, one request each, its occurrences batched).
void Backend::batch_series(const std::vector<Op>& ops, std::vector<std::optional<Result>>& done) {
  struct Step {
    size_t op;
    events::Written w;
    std::map<std::string, std::string> by_rid;
  };
  std::vector<Step> steps;
  for (size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    if (done[i] || !op.is_update()) continue;
    if (!op.data.contains("recurrenceRules") && !op.data.contains("recurrenceOverrides") &&
        !(op.expect_version && op.expect_version->find(';') != std::string::npos))
      continue;
    try {
      steps.push_back(Step{i, events::from_event(op.data), {}});
    } catch (const std::invalid_argument&) {
      continue;  // said by apply_event
    }
  }
  if (steps.size() < 2) return;
  for (const Step& st : steps) say_losses(ops[st.op], st.w);
  auto going = [&](auto&& make) {
    std::vector<BatchRequest> reqs;
    for (const Step& st : steps)
      if (!done[st.op]) make(st, reqs);
    return reqs;
  };
  auto step_of = [&](size_t op) -> Step& { return *std::find_if(steps.begin(), steps.end(), [&](const Step& s) { return s.op == op; }); };
  std::vector<BatchRequest> reqs;
  auto fail = [&](size_t k, Unanswered how) {
    if (!done[reqs[k].op]) done[reqs[k].op] = unanswered_result(ops[reqs[k].op], how);
  };
  auto series_get = [&](const Step& st, std::vector<BatchRequest>& out) {
    out.push_back(BatchRequest{st.op, "GET", "/me/events/" + url_encode(ops[st.op].id) + "?$expand=" +
                                                  url_encode("exceptionOccurrences," + key_expand()), std::nullopt, kEventPrefer});
  };
  // (1) the versions
  reqs = going([&](const Step& st, std::vector<BatchRequest>& out) {
    if (ops[st.op].expect_version && !ops[st.op].expect_version->empty()) series_get(st, out);
  });
  post_batches(reqs, true, [&](size_t k, const BatchAnswer& e) {
    const Op& op = ops[reqs[k].op];
    if (!e.a.ok() || !e.a.body.is_object()) done[reqs[k].op] = entry_failure(op, reqs[k], e, "event");
    else if (std::string now = series_version(e.a.body.get_object()); now != *op.expect_version)
      done[reqs[k].op] = Result::conflict("event " + op.id + " changed in Outlook since it was read", op.id, now);
  }, fail);
  // (2) the masters
  reqs = going([&](const Step& st, std::vector<BatchRequest>& out) {
    const Op& op = ops[st.op];
    json::object patch = st.w.master;
    if (s_.write_attendees) patch["attendees"] = st.w.attendees;
    std::string etag = op.expect_version ? op.expect_version->substr(0, op.expect_version->find(';')) : "";
    out.push_back(BatchRequest{st.op, "PATCH", "/me/events/" + url_encode(op.id), std::move(patch), kEventPrefer, etag});
  });
  post_batches(reqs, true, [&](size_t k, const BatchAnswer& e) {
    if (!e.a.ok()) done[reqs[k].op] = entry_failure(ops[reqs[k].op], reqs[k], e, "event");
  }, fail);
  // (3) the occurrences, by their original start
  reqs = going([&](const Step& st, std::vector<BatchRequest>& out) {
    if (!st.w.changed.empty() || !st.w.excluded.empty())
      out.push_back(BatchRequest{st.op, "GET", instances_url(ops[st.op].id, st.w), std::nullopt});
  });
  post_batches(reqs, true, [&](size_t k, const BatchAnswer& e) {
    const Op& op = ops[reqs[k].op];
    if (!e.a.ok() || !e.a.body.is_object()) {
      done[reqs[k].op] = entry_failure(op, reqs[k], e, "event");
      return;
    }
    try {
      each_page(reqs[k].url, by_original_start(str(op.data, "timeZone"), step_of(reqs[k].op).by_rid), &e.a.body.get_object());
    } catch (...) {
      done[reqs[k].op] = accord::kit::failure(op);
    }
  }, fail);
  // (4) the occurrences written; an op's first failure is its result
  reqs = going([&](const Step& st, std::vector<BatchRequest>& out) {
    for (BatchRequest& r : occurrence_writes(st.op, st.w, st.by_rid)) out.push_back(std::move(r));
  });
  post_batches(reqs, true, [&](size_t k, const BatchAnswer& e) {
    if (!e.a.ok() && !(reqs[k].method == "DELETE" && e.a.status == 404) && !done[reqs[k].op])
      done[reqs[k].op] = entry_failure(ops[reqs[k].op], reqs[k], e, "occurrence of event");
  }, fail);
  // (5) each series as Outlook now holds it
  reqs = going(series_get);
  post_batches(reqs, true, [&](size_t k, const BatchAnswer& e) {
    const Op& op = ops[reqs[k].op];
    try {
      done[reqs[k].op] = e.a.ok() || e.a.status == 404 ? series_result(op, e.a) : entry_failure(op, reqs[k], e, "event");
    } catch (...) {
      done[reqs[k].op] = accord::kit::failure(op);
    }
  }, fail);
}

std::string Backend::check_records(std::string_view stream, std::string_view records_json) const {
  check_stream(stream);
  if (stream != "event" && stream != "contact" && stream != "message")
    throw accord::Error(ACCORD_UNSUPPORTED, "outlook-mapi says what it keeps of the event, contact and message streams only");
  return accord::kit::check_each(
      records_json,
      [&](const json::object& r) -> json::value {
        if (stream == "contact") return contacts::as_kept(r);
        if (stream == "message") return mail::as_kept(r);
        return events::as_kept(r, s_.write_attendees, s_.account);
      },
      [&] { owner_.throw_if_cancelled(); });
}

Result Backend::apply_event(const Op& op) {
  std::string path = "/me/events/" + url_encode(op.id);
  std::vector<std::string> match;
  if (op.expect_version && !op.expect_version->empty())
    match.push_back("If-Match: " + op.expect_version->substr(0, op.expect_version->find(';')));
  if (op.is_delete()) {
    Answer a = client_.call("DELETE", path, "", match, true);
    if (a.ok() || a.status == 404) return Result::ok(op.id);
    if (a.status == 412) return Result::conflict(failure(ACCORD_CONFLICT, "DELETE", path, a).what(), op.id);
    unusable("DELETE", path, a);
  }
  events::Written w;
  try {
    w = events::from_event(op.data);
  } catch (const std::invalid_argument& e) {
    return Result::failed("unsupported", std::string("Outlook cannot keep this event: ") + e.what());
  }
  say_losses(op, w);
  std::string id = op.id;
  if (op.is_create()) {
    std::optional<json::object> found;
    if (op.resend) found = find_event(op.idempotency_key);
    if (found) {
      id = str(*found, "id");
    } else {
      json::object body = create_body(op, w);
      std::string to = "/me/calendars/" + url_encode(calendars().front().id) + "/events";
      Answer a = client_.call("POST", to, json::serialize(body), {}, !op.idempotency_key.empty(), kEventPrefer);
      if (!a.ok() || !a.body.is_object()) unusable("POST", to, a);
      id = str(a.body.get_object(), "id");
    }
  } else {
    // the version (exceptions included) compared first, then If-Match on the master
    if (op.expect_version && !op.expect_version->empty()) {
      auto cur = get_series(op.id);
      if (!cur) throw accord::Error(ACCORD_ERROR, "event " + op.id + " is no longer in the calendar");
      if (std::string now = series_version(*cur); now != *op.expect_version)
        return Result::conflict("event " + op.id + " changed in Outlook since it was read", op.id, now);
    }
    json::object patch = w.master;
    if (s_.write_attendees) patch["attendees"] = w.attendees;
    Answer a = client_.call("PATCH", path, json::serialize(patch), match, true, kEventPrefer);
    if (a.status == 412) return Result::conflict(failure(ACCORD_CONFLICT, "PATCH", path, a).what(), op.id);
    if (a.status == 404) throw accord::Error(ACCORD_ERROR, "event " + op.id + " is no longer in the calendar");
    if (!a.ok()) unusable("PATCH", path, a);
  }
  // the changed and cancelled occurrences, each found by its original start, written together
  if (!w.changed.empty() || !w.excluded.empty()) {
    std::map<std::string, std::string> by_rid;  // recurrence id → occurrence id
    each_page(instances_url(id, w), by_original_start(str(op.data, "timeZone"), by_rid));
    std::vector<BatchRequest> writes = occurrence_writes(0, w, by_rid);
    std::optional<Result> failed;
    post_batches(writes, true, [&](size_t k, const BatchAnswer& e) {
      if (!e.a.ok() && !(writes[k].method == "DELETE" && e.a.status == 404) && !failed)
        failed = entry_failure(op, writes[k], e, "occurrence of event");
    }, [&](size_t, Unanswered how) {
      if (!failed) failed = unanswered_result(op, how);
    });
    if (failed) return *failed;
  }
  return event_result(id);
}

}  // namespace outlook::graph
