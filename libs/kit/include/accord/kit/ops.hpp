// SPDX-License-Identifier: Apache-2.0
// accord/kit/ops.hpp — apply() and fetch() input read into types, apply
// results written out: the one parser and the one serialiser of the wire's op
// and result shapes (sdk/include/accord/connector.h), and apply_each, which
// turns what one op throws into that op's status, once for every connector.
//
// Part of the connector kit (C++17, optional: connector.hpp needs none of
// it). Boost.JSON comes from whoever links the kit: -lboost_json, or
// <boost/json/src.hpp> in one source file of the plugin (header-only, as the
// plugins in this tree do). Thread safety: pure functions.
#ifndef ACCORD_KIT_OPS_HPP
#define ACCORD_KIT_OPS_HPP

#include <accord/connector.hpp>

#include <boost/json.hpp>

#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace accord::kit {

// One op of an apply() call.
struct Op {
  std::string op;  // "create", "update" or "delete"
  std::string id;  // "" for a create
  std::optional<std::string> expect_version;
  std::string idempotency_key;
  bool resend = false;  // a create the host sends again (it may have reached the store before a crash)
  // On a resend: when the latest try of this create that may have written
  // was sent ("YYYY-MM-DDTHH:MM:SSZ", RFC 3339 UTC; the host's, see
  // connector.h); absent from older hosts and on a first try. A connector
  // whose look-up may lag a write (a search index) can tell by it when a
  // look-up that finds nothing is to be believed.
  std::optional<std::string> sent_at;
  // On a resend: when the first try of this create that may have written
  // was sent (RFC 3339 UTC, rounded down: a lower bound of any try's write);
  // absent from older hosts and where the host does not know it. A store
  // that keeps no key and finds the record by its content takes only a
  // record made since then (accord/kit/lookalike.hpp).
  std::optional<std::string> first_sent_at;
  // A resend that only looks (to a connector declaring ACCORD_CAP_FIND_ONLY):
  // look the key up, write nothing; Result::ok(id, version) with data when
  // found, Result::failed("not_found", …) when surely absent, a plain retry
  // when the look-up failed or may lag.
  bool find_only = false;
  boost::json::object data;  // empty for a delete
  // On an update (older hosts, and an update without a base, leave it out;
  // ops.schema.json): for each top-level field of `data` the update
  // changes, the value it had on the side the change comes from when the
  // host last synced the pair, in this connector's form (null: it had none).
  // What the other side's change took away: a store holding more than that
  // side shows (Gmail's labels, Outlook's one folder) removes what is in
  // `was` and not in `data`, and keeps what neither names.
  std::optional<boost::json::object> was;

  bool is_create() const { return op == "create"; }
  bool is_update() const { return op == "update"; }
  bool is_delete() const { return op == "delete"; }
};

// One result of an apply() call. Members left empty are left out of the JSON.
struct Result {
  // ok, retry, error, auth_required, conflict, unsupported, cancelled,
  // not_found (a find_only create's key is absent) (the
  // names an apply result may carry: accord/status/names.hpp)
  std::string status = "ok";
  std::string id, version, message;
  // The record as the store now holds it, in the form a listing gives (an
  // "ok" create or update of a store that rewrites what it is sent).
  std::optional<boost::json::object> data;
  int64_t retry_after_s = -1;  // "retry": seconds to wait; < 0: not said
  // "retry" only: the write may have reached the store (its answer was lost
  // and the look-up that followed could not tell). The host then sends every
  // later try as a resend; a plain retry (a 429, a 503 before anything was
  // made) is just tried again. Written out only when true.
  bool maybe_written = false;

  static Result ok(std::string id, std::string version = "");
  static Result failed(const char* status, std::string message, std::string id = "");
  static Result error(std::string message, std::string id = "") { return failed("error", std::move(message), std::move(id)); }
  static Result conflict(std::string message, std::string id = "", std::string version = "");

  bool is_ok() const { return status == "ok"; }
  // Sets data from the JSON text of an object (as a record log stores it).
  Result& with_data_text(std::string_view object_json);
  boost::json::object to_json() const;
};

// What a connector throws for an op that may have been written although it
// cannot tell (its answer lost, the look-up by key failed or lags): the op's
// result is "retry" with maybe_written (see failure()).
class MaybeWritten : public Error {
 public:
  explicit MaybeWritten(const std::string& message, int64_t retry_after_ms = 0)
      : Error(ACCORD_RETRY, message, retry_after_ms) {}
};

// Runs fn (the look-up by key after a write's answer was lost) and returns
// what it returns; a RETRY it throws goes on as MaybeWritten (the lost
// write may have been made: the next try has to look first).
template <class Fn>
auto looking_after_loss(Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const MaybeWritten&) {
    throw;
  } catch (const Error& e) {
    if (e.status() != ACCORD_RETRY) throw;
    throw MaybeWritten(std::string("the write's answer was lost and looking for it failed: ") + e.what(), e.retry_after_ms());
  }
}

// The lower-case name of a status code, as results spell it ("error" for
// ACCORD_CURSOR_EXPIRED and an unknown code): accord::result_status_name
// (accord/status/names.hpp).
const char* status_name(int32_t status) noexcept;

// The ops of apply()'s input. Throws accord::Error(ACCORD_ERROR) naming the
// op ("op /3: …") for input that is not an array of well-formed ops: a
// create or update without an object "data", an update or delete without
// "id", a string member of another type.
std::vector<Op> parse_ops(std::string_view ops_json);
// The ids of fetch()'s input; throws accord::Error(ACCORD_ERROR) unless a
// JSON array of strings.
std::vector<std::string> parse_ids(std::string_view ids_json);
// apply()'s output: the results as a JSON array, in order.
std::string results_json(const std::vector<Result>& results);

// Inside a catch block around one op: that op's result for the exception in
// flight. accord::Error's status becomes the result's ("retry" with its
// retry_after in whole seconds, rounded up; a MaybeWritten's with
// maybe_written); any other std::exception is an
// "error" with its what(). ACCORD_CANCELLED and ACCORD_AUTH_REQUIRED end the
// whole call (credentials refused for one op are refused for the others), and
// so do std::bad_alloc and anything not a std::exception: those are rethrown.
Result failure(const Op& op);

namespace detail {
template <class... T>
struct Rethrow;
template <>
struct Rethrow<> {
  static void run() {}
};
template <class T, class... Rest>
struct Rethrow<T, Rest...> {
  static void run() {
    try {
      throw;
    } catch (const T&) {
      throw;
    } catch (...) {
      Rethrow<Rest...>::run();
    }
  }
};
}  // namespace detail

// Runs fn(op) -> Result for each op in order and collects the results; what
// an op throws becomes its result (see failure()), except the exception
// types named as PassThrough (a lost connection, say, that fails the whole
// call), which go on up, as do a cancel and refused credentials. Before each
// op, `cancelled` (when given) is asked, and a true answer ends the call with
// ACCORD_CANCELLED.
//
//   return kit::results_json(kit::apply_each<imap::SessionError>(ops, [&](const kit::Op& op) { … }, is_cancelled));
template <class... PassThrough, class Fn>
std::vector<Result> apply_each(const std::vector<Op>& ops, Fn&& fn, const std::function<bool()>& cancelled = {}) {
  std::vector<Result> out;
  out.reserve(ops.size());
  for (const Op& op : ops) {
    if (cancelled && cancelled()) throw Error(ACCORD_CANCELLED, "cancelled");
    try {
      out.push_back(fn(op));
    } catch (...) {
      detail::Rethrow<PassThrough...>::run();
      out.push_back(failure(op));
    }
  }
  return out;
}

// The same for a connector: its cancelled() is asked before each op.
template <class... PassThrough, class Fn>
std::vector<Result> apply_each(const Connector& c, const std::vector<Op>& ops, Fn&& fn) {
  return apply_each<PassThrough...>(ops, std::forward<Fn>(fn), [&c] { return c.cancelled(); });
}

}  // namespace accord::kit

#endif  // ACCORD_KIT_OPS_HPP
