#include "ops.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <limits>
#include <sstream>

namespace json = boost::json;

namespace local {

std::vector<Op> parse_ops(std::string_view ops_json) {
  boost::system::error_code ec;
  json::value v = json::parse(ops_json, ec);
  if (ec || !v.is_array()) throw accord::Error(ACCORD_ERROR, "ops must be a JSON array");
  std::vector<Op> out;
  size_t i = 0;
  for (const auto& ov : v.get_array()) {
    std::string where = "op /" + std::to_string(i++) + ": ";
    if (!ov.is_object()) throw accord::Error(ACCORD_ERROR, where + "must be an object");
    const json::object& o = ov.get_object();
    Op op;
    auto str = [&](const char* k) -> std::optional<std::string> {
      auto* x = o.if_contains(k);
      if (!x || x->is_null()) return std::nullopt;
      if (!x->is_string()) throw accord::Error(ACCORD_ERROR, where + "\"" + k + "\" must be a string");
      return std::string(x->get_string());
    };
    op.op = str("op").value_or("");
    if (op.op != "create" && op.op != "update" && op.op != "delete")
      throw accord::Error(ACCORD_ERROR, where + "\"op\" must be create, update or delete");
    op.id = str("id").value_or("");
    op.expect_version = str("expect_version");
    op.idempotency_key = str("idempotency_key").value_or("");
    if (auto* r = o.if_contains("resend")) op.resend = r->is_bool() && r->get_bool();
    if (auto* d = o.if_contains("data")) {
      if (!d->is_object()) throw accord::Error(ACCORD_ERROR, where + "\"data\" must be an object");
      op.data = d->get_object();
    } else if (op.op != "delete") {
      throw accord::Error(ACCORD_ERROR, where + op.op + " needs \"data\"");
    }
    if (op.op != "create" && op.id.empty()) throw accord::Error(ACCORD_ERROR, where + op.op + " needs \"id\"");
    out.push_back(std::move(op));
  }
  return out;
}

std::vector<std::string> parse_ids(std::string_view ids_json) {
  boost::system::error_code ec;
  json::value v = json::parse(ids_json, ec);
  if (ec || !v.is_array()) throw accord::Error(ACCORD_ERROR, "ids must be a JSON array of strings");
  std::vector<std::string> out;
  for (const auto& x : v.get_array()) {
    if (!x.is_string()) throw accord::Error(ACCORD_ERROR, "ids must be a JSON array of strings");
    out.emplace_back(x.get_string());
  }
  return out;
}

std::string results_json(const std::vector<OpResult>& results) {
  json::array a;
  for (const auto& r : results) a.push_back(r.to_json());
  return json::serialize(a);
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw accord::Error(ACCORD_ERROR, p.string() + ": cannot read: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Stat stat_of(const std::filesystem::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return {};
  return {static_cast<int64_t>(st.st_size), static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
          static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec};
}

namespace {
int64_t now_ns() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}
// When this plugin was loaded: every write of this process comes after it.
const int64_t kLoadedNs = now_ns();
}  // namespace

bool leftover_of_killed_write(int64_t pid, int64_t ctime_ns) {
  constexpr int64_t kSecond = 1000000000;
  if (ctime_ns < 0) return false;  // gone already
  if (ctime_ns < now_ns() - 36 * 3600 * kSecond) return true;
  if (pid <= 0 || pid > std::numeric_limits<pid_t>::max()) return false;
  if (pid == ::getpid()) return ctime_ns < kLoadedNs - 2 * kSecond;  // file times are coarser than the clock
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

bool is_disk_full_errno(int err) { return err == ENOSPC || err == EDQUOT; }

accord::Error disk_full(const std::filesystem::path& where, const std::string& detail, const std::string& outcome) {
  // the SQLite layer may have said so already, naming the file
  if (detail.find(": the disk is full") != std::string::npos) return accord::Error(ACCORD_ERROR, detail + " (" + outcome + ")");
  return accord::Error(ACCORD_ERROR, where.string() + ": the disk is full: free some space there and run again (" +
                                         outcome + "; " + detail + ")");
}

}  // namespace local
