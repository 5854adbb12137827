// SPDX-License-Identifier: Apache-2.0
// The message stream over the Gmail API (gmail_stream.hpp). Each route's
// shape is the discovery document's (tests/peers/schemas/google-gmail.json).
#include "gmail_stream.hpp"

#include "json_read.hpp"
#include "listing.hpp"

#include <accord/kit/batch.hpp>
#include <accord/mail/message.hpp>
#include <accord/net/url_rules.hpp>

#include <algorithm>
#include <map>

namespace json = boost::json;
using accord::kit::Op;
using accord::kit::Result;
using accord::net::url_encode;

namespace gapi {

namespace {

std::string metadata_query() {
  std::string q = "format=metadata";
  for (const std::string& h : gmail::metadata_headers()) q += "&metadataHeaders=" + url_encode(h);
  return q;
}

std::string version_of(const json::object& m) { return jr::str(m, "historyId"); }

// How many index pages one read_changes call walks before it answers an
// empty batch (so that a huge mailbox's index is resumable too).
constexpr int kIndexPagesPerCall = 20;

int64_t seconds_of(const json::object& m) {
  std::string ms = jr::str(m, "internalDate");
  if (ms.empty() || ms.find_first_not_of("0123456789") != std::string::npos) return 0;
  return static_cast<int64_t>(std::stoll(ms) / 1000);
}

std::vector<int64_t> int_list(const json::object& c, const char* k) {
  std::vector<int64_t> out;
  if (const json::array* a = jr::arr(c, k))
    for (const auto& v : *a)
      if (v.is_int64()) out.push_back(v.get_int64());
  return out;
}

std::vector<std::string> str_list(const json::object& c, const char* k) {
  std::vector<std::string> out;
  if (const json::array* a = jr::arr(c, k))
    for (const auto& v : *a)
      if (v.is_string()) out.emplace_back(v.get_string());
  return out;
}

}  // namespace

// The messages of `ids` (in Gmail's order: newest first) as records, oldest
// first: read from the end, then by internalDate; one gone meanwhile is
// left out (history says so).
void GmailStream::records_oldest_first(const std::vector<std::string>& ids, accord::kit::Batch& batch,
                                       std::vector<std::string>* edge, int64_t edge_second) {
  std::vector<std::pair<int64_t, json::object>> got;
  for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
    const std::string& id = *it;
    auto m = get(id, "metadata");
    if (!m || gmail::out_of_stream(*m)) continue;
    std::string ms = jr::str(*m, "internalDate");
    int64_t at = ms.empty() || ms.find_first_not_of("0123456789") != std::string::npos ? 0 : std::stoll(ms);
    got.emplace_back(at, std::move(*m));
  }
  std::stable_sort(got.begin(), got.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [at, m] : got) {
    if (edge && at / 1000 >= edge_second) edge->push_back(jr::str(m, "id"));
    batch.records.push_back(record(m));
  }
}

std::string GmailStream::read_listing(json::object& c, bool fresh, size_t size) {
  // the cursor: {"stream", "phase": "index"|"windows", "start" (the profile's
  // historyId), "total"; index: "page" (the next list page), "cuts"; windows:
  // "lo" (the next window's lower bound; none for the first), "cuts" (the
  // bounds still ahead, newest first), "edge" (the ids answered at lo's second)}
  accord::kit::Batch batch;
  batch.full = fresh;
  std::string start = jr::str(c, "start");
  int64_t total = -1;
  if (auto* t = c.if_contains("total"); t && t->is_int64()) total = t->get_int64();
  std::vector<int64_t> cuts = int_list(c, "cuts");
  json::object next{{"stream", "message"}, {"start", start}};
  auto answer = [&](bool more) {
    batch.with_total(total);
    if (total >= 0) next["total"] = total;
    if (!more) {  // the listing is done: history from where it began
      next = json::object{{"stream", "message"}, {"history", start}};
    }
    batch.more = more;
    batch.cursor = cursor_.write(next);
    return batch.serialize();
  };
  if (fresh) {
    std::string u = url("profile");
    Answer a = client_.call("GET", u);
    if (!a.ok() || !a.body.is_object()) unusable("GET", u, a);
    start = jr::str(a.body.get_object(), "historyId");
    if (start.empty()) unusable("GET", u, a, "Gmail gave no historyId");
    next["start"] = start;
  } else if (start.empty()) {
    cursor_.expire("its first listing holds no Gmail history id");
  }
  if (fresh || jr::str(c, "phase") == "index") {
    std::string page = jr::str(c, "page");
    for (int n = 0; n < kIndexPagesPerCall; ++n) {
      std::string u = url("messages?maxResults=" + std::to_string(size));
      if (!page.empty()) u += "&pageToken=" + url_encode(page);
      Answer a = client_.call("GET", u);
      if (!a.ok() || !a.body.is_object()) unusable("GET", u, a);
      const json::object& body = a.body.get_object();
      if (auto* t = body.if_contains("resultSizeEstimate"); t && t->is_int64() && total < 0) total = t->get_int64();
      std::vector<std::string> ids;
      for (const json::object* ref : jr::objects(body, "messages")) ids.push_back(jr::str(*ref, "id"));
      std::string following = jr::str(body, "nextPageToken");
      if (following.empty() && page.empty()) {  // one page: the whole mailbox is here
        records_oldest_first(ids, batch, nullptr, 0);
        return answer(false);
      }
      if (following.empty()) break;
      // the page's oldest message (its last) cuts the time between it and the next page
      for (auto id = ids.rbegin(); id != ids.rend(); ++id)
        if (auto m = get(*id, "minimal")) {
          cuts.push_back(seconds_of(*m));
          break;
        }
      page = following;
      if (n + 1 == kIndexPagesPerCall) {
        next["phase"] = "index";
        next["page"] = page;
        next["cuts"] = json::value_from(cuts);
        return answer(true);
      }
    }
    // newest first, each once: any set of cuts partitions time
    std::sort(cuts.begin(), cuts.end(), std::greater<>());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  } else if (jr::str(c, "phase") != "windows") {
    cursor_.expire("its first listing is in no phase this version knows");
  }
  // one window: after:lo (none: from the oldest) before:cut+1 (none: to the newest)
  std::optional<int64_t> lo;
  if (auto* v = c.if_contains("lo"); v && v->is_int64() && !fresh && jr::str(c, "phase") == "windows") lo = v->get_int64();
  std::vector<std::string> edge = jr::str(c, "phase") == "windows" ? str_list(c, "edge") : std::vector<std::string>{};
  std::optional<int64_t> hi;
  if (!cuts.empty()) hi = cuts.back();
  std::string q;
  if (lo) q += "after:" + std::to_string(*lo);
  if (hi) q += std::string(q.empty() ? "" : " ") + "before:" + std::to_string(*hi + 1);
  std::vector<std::string> ids;
  each_page(client_, url("messages?maxResults=" + std::to_string(size) + (q.empty() ? "" : "&q=" + url_encode(q))),
            [&](const json::object& body) {
              for (const json::object* ref : jr::objects(body, "messages"))
                if (std::string id = jr::str(*ref, "id"); std::find(edge.begin(), edge.end(), id) == edge.end())
                  ids.push_back(std::move(id));
              return false;
            });
  std::vector<std::string> new_edge;
  records_oldest_first(ids, batch, hi ? &new_edge : nullptr, hi.value_or(0));
  if (!hi) return answer(false);
  cuts.pop_back();
  next["phase"] = "windows";
  next["lo"] = *hi;
  next["cuts"] = json::value_from(cuts);
  if (!new_edge.empty()) next["edge"] = json::value_from(new_edge);
  return answer(true);
}

// users.labels.list: the user labels' names, once per instance.
const gmail::LabelNames& GmailStream::labels() {
  if (labels_loaded_) return names_;
  std::string u = url("labels");
  Answer a = client_.call("GET", u);
  if (!a.ok() || !a.body.is_object()) unusable("GET", u, a);
  names_.clear();
  for (const json::object* l : jr::objects(a.body.get_object(), "labels"))
    if (jr::str(*l, "type") == "user") names_[jr::str(*l, "id")] = jr::str(*l, "name");
  labels_loaded_ = true;
  return names_;
}

// The user label of that name, made when there is none (users.labels.create:
// name and both visibilities, as Gmail's own labels show).
std::string GmailStream::label_for(const std::string& name) {
  for (const auto& [id, n] : labels())
    if (n == name) return id;
  std::string u = url("labels");
  Answer a = client_.call("POST", u, json::serialize(json::object{{"name", name}, {"labelListVisibility", "labelShow"},
                                                                  {"messageListVisibility", "show"}}));
  if (a.status == 409) {  // made meanwhile (or the name differs in case only): read them again
    labels_loaded_ = false;
    for (const auto& [id, n] : labels())
      if (accord::mail::lower(n) == accord::mail::lower(name)) return id;
  }
  if (!a.ok() || !a.body.is_object()) unusable("POST", u, a, "making the label \"" + name + "\"");
  std::string id = jr::str(a.body.get_object(), "id");
  names_[id] = name;
  return id;
}

gmail::Wanted GmailStream::resolved(const gmail::Wanted& w) {
  gmail::Wanted out{w.system, {}};
  for (const auto& name : w.user) out.user.insert(label_for(name));
  return out;
}

std::optional<json::object> GmailStream::get(const std::string& id, const char* format) {
  return get_one(client_, url("messages/" + url_encode(id) + "?" + (std::string_view(format) == "metadata" ? metadata_query() : std::string("format=") + format)));
}

json::object GmailStream::record(const json::object& m) {
  json::object data = gmail::to_message(m, labels());
  json::object r{{"id", jr::str(m, "id")}, {"version", version_of(m)}};
  if (auto* t = data.if_contains("receivedAt")) r["modified"] = *t;
  r["data"] = std::move(data);
  return r;
}

// ---- reading ----------------------------------------------------------------

// A first listing goes oldest first (as GWSMO: a first pull cut short has
// the oldest mail), though messages.list answers newest first. It runs in
// two phases, each resumable from the cursor:
//  1. "index": messages.list pages of ids only (5 units a page of 500), and
//     of each page that has a next one, its oldest message's internalDate
//     (format=minimal): the cuts, seconds since the epoch, newest first.
//  2. windows between the cuts, oldest first: messages.list with
//     q=after:LO before:HI+1 (epoch seconds, as Gmail's search takes them),
//     each window's messages read and answered oldest first.
// The windows are defined by dates, not by page tokens: mail arriving,
// deleted or moved meanwhile cannot shift a message out of every window,
// and a cut that no longer falls on a page's edge only makes a window
// bigger or smaller. Windows meet at a cut's second, which both list; the
// messages of that second answered with the older window ("edge") are left
// out of the newer one. A mailbox of one page is answered from that page.
std::string GmailStream::read(json::object& c, bool fresh) {
  const size_t size = std::min<size_t>(s_.page_size, 500);
  if (fresh || c.contains("phase")) return read_listing(c, fresh, size);
  if (c.contains("start"))  // a listing begun by an older version (newest first): listed again
    cursor_.expire("it is mid-way through a first listing of an older google-api version");
  accord::kit::Batch batch;
  json::object next{{"stream", "message"}};
  // changes: history.list from the last historyId; page tokens go with the
  // startHistoryId they were given for
  std::string from = jr::str(c, "history");
  if (from.empty() || from.find_first_not_of("0123456789") != std::string::npos)
    cursor_.expire("it holds no Gmail history id");
  std::string u = url("history?startHistoryId=" + from + "&maxResults=" + std::to_string(size));
  if (std::string page = jr::str(c, "page"); !page.empty()) u += "&pageToken=" + url_encode(page);
  Answer a = client_.call("GET", u);
  if (a.status == 404)
    cursor_.expire("Gmail no longer keeps the history since " + from + " (history.list answered 404; it keeps about a week)");
  if (!a.ok() || !a.body.is_object()) unusable("GET", u, a);
  const json::object& body = a.body.get_object();
  // the messages the page touches, each once, where it was touched last
  std::vector<std::string> order;
  for (const json::object* h : jr::objects(body, "history"))
    for (const char* kind : {"messagesAdded", "messagesDeleted", "labelsAdded", "labelsRemoved"})
      for (const json::object* e : jr::objects(*h, kind))
        if (const json::object* m = jr::obj(*e, "message")) {
          std::string id = jr::str(*m, "id");
          if (id.empty()) continue;
          std::erase(order, id);
          order.push_back(id);
        }
  for (const std::string& id : order) {
    auto m = get(id, "metadata");
    if (!m || gmail::out_of_stream(*m)) batch.records.push_back(json::object{{"id", id}, {"deleted", true}});
    else batch.records.push_back(record(*m));
  }
  std::string page = jr::str(body, "nextPageToken");
  if (!page.empty()) {
    next["history"] = from;
    next["page"] = page;
  } else {
    std::string latest = jr::str(body, "historyId");
    next["history"] = latest.empty() ? from : latest;
  }
  batch.more = !page.empty();
  batch.cursor = cursor_.write(next);
  return batch.serialize();
}

std::string GmailStream::fetch(const std::vector<std::string>& ids) {
  json::array out;
  for (const std::string& id : ids) {
    auto m = get(id, "raw");
    if (!m) continue;  // gone: the host says so
    auto raw = gmail::from_base64url(jr::str(*m, "raw"));
    if (!raw) throw accord::Error(ACCORD_ERROR, "Gmail's raw form of message " + id + " is not base64url");
    std::string crlf = accord::mail::to_crlf(*raw);
    json::object data{{"raw", accord::mail::base64_encode(crlf)}, {"size", crlf.size()}};
    out.push_back(json::object{{"id", id}, {"data", std::move(data)}});
  }
  return json::serialize(json::object{{"records", std::move(out)}});
}

// ---- writing ----------------------------------------------------------------

Result GmailStream::result(const std::string& id) {
  auto m = get(id, "metadata");
  if (!m) throw accord::Error(ACCORD_ERROR, "message " + id + " is gone from Gmail just after it was written");
  Result r = Result::ok(id, version_of(*m));
  r.data = gmail::to_message(*m, labels());
  return r;
}

// The message of that Message-ID (users.messages.list with q=rfc822msgid:,
// trash and spam left out), the oldest when Gmail holds several.
std::optional<std::string> GmailStream::find_by_message_id(const std::string& message_id) {
  std::optional<std::string> found;
  each_page(client_, url("messages?maxResults=500&q=" + url_encode("rfc822msgid:" + message_id)),
            [&](const json::object& body) {
              for (const json::object* ref : jr::objects(body, "messages")) found = jr::str(*ref, "id");  // newest first
              return false;
            });
  return found;
}

void GmailStream::modify(const std::string& id, const gmail::LabelChange& ch) {
  if (ch.empty()) return;
  std::string u = url("messages/" + url_encode(id) + "/modify");
  Answer a = client_.call("POST", u, json::serialize(json::object{{"addLabelIds", json::value_from(ch.add)},
                                                                  {"removeLabelIds", json::value_from(ch.remove)}}),
                          {}, true);
  if (!a.ok()) unusable("POST", u, a);
}

Result GmailStream::create(const Op& op) {
  auto* raw_b64 = op.data.if_contains(accord::mail::kRawField);
  if (!raw_b64 || !raw_b64->is_string())
    return Result::error("a message create needs the message itself (/raw); the other side gave none");
  auto raw = accord::mail::base64_decode(raw_b64->get_string());
  if (!raw) return Result::error("/raw is not base64");
  gmail::Wanted want = resolved(gmail::wanted_labels(op.data));
  std::string message_id = accord::mail::header_value(accord::mail::header_block(*raw), "Message-ID");
  while (!message_id.empty() && (message_id.front() == '<' || message_id.front() == ' ')) message_id.erase(0, 1);
  while (!message_id.empty() && (message_id.back() == '>' || message_id.back() == ' ')) message_id.pop_back();
  // Gmail keeps no key of ours: the Message-ID finds a message an earlier
  // attempt (or another copy) put there; it gets the record's labels
  auto adopt = [&](const std::string& id) -> Result {
    auto m = get(id, "minimal");
    if (m) modify(id, gmail::label_change(gmail::label_ids(*m), want, labels()));
    return result(id);
  };
  if (!message_id.empty())
    if (auto id = find_by_message_id(message_id)) return adopt(*id);
  std::vector<std::string> ids(want.system.begin(), want.system.end());
  ids.insert(ids.end(), want.user.begin(), want.user.end());
  // import: "similar to receiving via SMTP", not marked spam (it would leave
  // the stream), dated by its Date header; insert: as IMAP APPEND
  std::string u = s_.insert ? url("messages?internalDateSource=dateHeader")
                            : url("messages/import?internalDateSource=dateHeader&neverMarkSpam=true");
  json::object body{{"raw", gmail::to_base64url(*raw)}};
  if (!ids.empty()) body["labelIds"] = json::value_from(ids);
  Answer a;
  try {
    a = client_.call("POST", u, json::serialize(body));
  } catch (const LostAnswer& e) {
    if (!message_id.empty())
      if (auto id = find_by_message_id(message_id)) return adopt(*id);
    throw accord::Error(ACCORD_RETRY, std::string(e.what()) +
                                          (message_id.empty() ? "; the message has no Message-ID to find it by"
                                                              : "; Gmail does not hold it yet: it is looked for again first"),
                        5000);
  }
  if (!a.ok() || !a.body.is_object()) unusable("POST", u, a);
  return result(jr::str(a.body.get_object(), "id"));
}

Result GmailStream::apply(const Op& op) {
  if (op.is_create()) return create(op);
  auto cur = get(op.id, "minimal");
  bool gone = !cur || gmail::out_of_stream(*cur);
  if (op.is_delete() && gone) return Result::ok(op.id);
  if (gone) throw accord::Error(ACCORD_ERROR, "message " + op.id + " is no longer in the mailbox (deleted or in the trash)");
  if (op.expect_version && !op.expect_version->empty() && version_of(*cur) != *op.expect_version)
    return Result::conflict("message " + op.id + " changed in Gmail since it was read", op.id, version_of(*cur));
  if (op.is_delete()) {
    std::string u = url("messages/" + url_encode(op.id) + (s_.delete_for_good ? "" : "/trash"));
    Answer a = client_.call(s_.delete_for_good ? "DELETE" : "POST", u, "", {}, true);
    if (a.ok() || a.status == 404) return Result::ok(op.id);
    unusable(s_.delete_for_good ? "DELETE" : "POST", u, a);
  }
  // a message's bytes cannot change in Gmail: an update sets its labels
  modify(op.id, gmail::label_change(gmail::label_ids(*cur), resolved(gmail::wanted_labels(op.data)), labels()));
  return result(op.id);
}

// Updates whose label change is the same (archiving, marking read) go
// through messages.batchModify, ≤ 1000 ids a request. Each is compared with
// its version first; a group of one is left to apply().
void GmailStream::batch_updates(const std::vector<Op>& ops, std::vector<std::optional<Result>>& done) {
  std::map<std::pair<std::vector<std::string>, std::vector<std::string>>, std::vector<size_t>> groups;
  std::map<size_t, json::object> read;  // each op's message as read (metadata: its record is answered)
  for (size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    if (!op.is_update()) continue;
    try {
      auto cur = get(op.id, "metadata");
      if (!cur || gmail::out_of_stream(*cur)) continue;  // apply() says so
      if (op.expect_version && !op.expect_version->empty() && version_of(*cur) != *op.expect_version) continue;
      gmail::LabelChange ch =
          gmail::label_change(gmail::label_ids(*cur), resolved(gmail::wanted_labels(op.data)), labels());
      if (ch.empty()) {
        done[i] = Result::ok(op.id, version_of(*cur));
        continue;
      }
      std::sort(ch.add.begin(), ch.add.end());
      std::sort(ch.remove.begin(), ch.remove.end());
      groups[{ch.add, ch.remove}].push_back(i);
      read[i] = std::move(*cur);
    } catch (const accord::Error& e) {
      if (e.status() == ACCORD_CANCELLED || e.status() == ACCORD_AUTH_REQUIRED) throw;
      // left to apply(), which answers it alone
    }
  }
  for (const auto& [change, idx] : groups) {
    if (idx.size() < 2) continue;
    for (size_t from = 0; from < idx.size(); from += 1000) {
      size_t to = std::min(idx.size(), from + 1000);
      json::array ids;
      for (size_t k = from; k < to; ++k) ids.emplace_back(ops[idx[k]].id);
      std::string u = url("messages/batchModify");
      Answer a = client_.call("POST", u, json::serialize(json::object{{"ids", std::move(ids)},
                                                                      {"addLabelIds", json::value_from(change.first)},
                                                                      {"removeLabelIds", json::value_from(change.second)}}),
                              {}, true);
      if (a.status >= 500) throw failure(ACCORD_RETRY, "POST", u, a);
      if (!a.ok()) continue;  // each is sent alone
      // the new historyIds are not in batchModify's answer (the next history
      // listing brings them); the record as Gmail now holds it is: the
      // labels as read with the change made. Without it the host would take
      // the sent record (with fields Gmail does not keep) for Gmail's.
      for (size_t k = from; k < to; ++k) {
        json::object& m = read[idx[k]];
        std::vector<std::string> ids = gmail::label_ids(m);
        std::erase_if(ids, [&](const std::string& l) {
          return std::find(change.second.begin(), change.second.end(), l) != change.second.end();
        });
        for (const auto& l : change.first)
          if (std::find(ids.begin(), ids.end(), l) == ids.end()) ids.push_back(l);
        m["labelIds"] = json::value_from(ids);
        Result r = Result::ok(ops[idx[k]].id);
        r.data = gmail::to_message(m, labels());
        done[idx[k]] = std::move(r);
      }
    }
  }
}

}  // namespace gapi
