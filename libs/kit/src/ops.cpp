// SPDX-License-Identifier: Apache-2.0
// The wire's ops and results (see accord/kit/ops.hpp).
#include <accord/json/exact.hpp>
#include <accord/kit/ops.hpp>

#include <accord/status/names.hpp>

#include <new>

namespace json = boost::json;

namespace accord::kit {

const char* status_name(int32_t status) noexcept { return result_status_name(status); }

Result Result::ok(std::string id, std::string version) {
  Result r;
  r.id = std::move(id);
  r.version = std::move(version);
  return r;
}

Result Result::failed(const char* status, std::string message, std::string id) {
  Result r;
  r.status = status;
  r.message = std::move(message);
  r.id = std::move(id);
  return r;
}

Result Result::conflict(std::string message, std::string id, std::string version) {
  Result r = failed(accord::status_name(ACCORD_CONFLICT), std::move(message), std::move(id));
  r.version = std::move(version);
  return r;
}

Result& Result::with_data_text(std::string_view object_json) {
  json::value v = accord::json_exact::parse(object_json);
  if (!v.is_object()) throw std::invalid_argument("a result's data must be a JSON object");
  data = std::move(v.get_object());
  return *this;
}

json::object Result::to_json() const {
  json::object o{{"status", status}};
  if (!id.empty()) o["id"] = id;
  if (!version.empty()) o["version"] = version;
  if (!message.empty()) o["message"] = message;
  if (data) o["data"] = *data;
  if (retry_after_s >= 0) o["retry_after"] = retry_after_s;
  if (maybe_written) o["maybe_written"] = true;
  return o;
}

// How deep an op's text nests: a record the host reads nests up to 32 levels
// from its own object (docs/sdk.md), so its data up to 31, and an op carries
// data and was two levels down ([{"data": …}]). Parsed at Boost's default 32,
// one such record failed its whole batch's ops (review s18 F0).
constexpr std::size_t kOpsMaxDepth = 33;

std::vector<Op> parse_ops(std::string_view ops_json) {
  boost::system::error_code ec;
  json::parse_options opt;
  opt.max_depth = kOpsMaxDepth;
  json::value v = accord::json_exact::parse(ops_json, ec, {}, opt);
  if (ec || !v.is_array()) throw Error(ACCORD_ERROR, "ops must be a JSON array");
  std::vector<Op> out;
  out.reserve(v.get_array().size());
  size_t i = 0;
  for (auto& ov : v.get_array()) {
    std::string where = "op /" + std::to_string(i++) + ": ";
    if (!ov.is_object()) throw Error(ACCORD_ERROR, where + "must be an object");
    json::object& o = ov.get_object();
    Op op;
    auto str = [&](const char* k) -> std::optional<std::string> {
      auto* x = o.if_contains(k);
      if (!x || x->is_null()) return std::nullopt;
      if (!x->is_string()) throw Error(ACCORD_ERROR, where + "\"" + k + "\" must be a string");
      return std::string(x->get_string());
    };
    op.op = str("op").value_or("");
    if (op.op != "create" && op.op != "update" && op.op != "delete")
      throw Error(ACCORD_ERROR, where + "\"op\" must be create, update or delete");
    op.id = str("id").value_or("");
    op.expect_version = str("expect_version");
    op.idempotency_key = str("idempotency_key").value_or("");
    if (auto* r = o.if_contains("resend")) op.resend = r->is_bool() && r->get_bool();
    op.sent_at = str("sent_at");
    op.first_sent_at = str("first_sent_at");
    if (auto* f = o.if_contains("find_only")) op.find_only = f->is_bool() && f->get_bool();
    if (auto* d = o.if_contains("data"); d && !d->is_null()) {
      if (!d->is_object()) throw Error(ACCORD_ERROR, where + "\"data\" must be an object");
      op.data = std::move(d->get_object());
    } else if (op.op != "delete") {
      throw Error(ACCORD_ERROR, where + op.op + " needs \"data\"");
    }
    if (auto* w = o.if_contains("was"); w && !w->is_null()) {
      if (!w->is_object()) throw Error(ACCORD_ERROR, where + "\"was\" must be an object");
      if (op.op == "update") op.was = std::move(w->get_object());  // (an update's only)
    }
    if (op.op != "create" && op.id.empty()) throw Error(ACCORD_ERROR, where + op.op + " needs \"id\"");
    out.push_back(std::move(op));
  }
  return out;
}

std::vector<std::string> parse_ids(std::string_view ids_json) {
  boost::system::error_code ec;
  json::value v = json::parse(ids_json, ec);
  if (ec || !v.is_array()) throw Error(ACCORD_ERROR, "ids must be a JSON array of strings");
  std::vector<std::string> out;
  out.reserve(v.get_array().size());
  for (const auto& x : v.get_array()) {
    if (!x.is_string()) throw Error(ACCORD_ERROR, "ids must be a JSON array of strings");
    out.emplace_back(x.get_string());
  }
  return out;
}

// One result at a time into the text: the answer holds each record's data
// once beside the results, not a second time in a whole array (a call of
// thousands of moves, each answered with its record's data: issue 22).
std::string results_json(const std::vector<Result>& results) {
  std::string out = "[";
  for (size_t i = 0; i < results.size(); ++i) {
    if (i) out += ',';
    out += json::serialize(results[i].to_json());
  }
  out += ']';
  return out;
}

Result failure(const Op& op) {
  try {
    throw;
  } catch (const Error& e) {
    if (e.status() == ACCORD_CANCELLED || e.status() == ACCORD_AUTH_REQUIRED) throw;
    Result r = Result::failed(status_name(e.status()), e.what(), op.id);
    if (e.status() == ACCORD_RETRY) r.retry_after_s = (e.retry_after_ms() + 999) / 1000;
    r.maybe_written = dynamic_cast<const MaybeWritten*>(&e) != nullptr;
    return r;
  } catch (const std::bad_alloc&) {
    throw;  // the whole call fails: nothing more can be done
  } catch (const std::exception& e) {
    return Result::error(e.what(), op.id);
  }
}

}  // namespace accord::kit
