// SPDX-License-Identifier: Apache-2.0
// `accord daemon` (daemon.hpp): pairs on their schedules, push waiters,
// file watches, clock and network events, signals, and the service manager.
#include "daemon/daemon.hpp"

#include "cli/exit_codes.hpp"
#include "cli/login.hpp"
#include "cli/write_cost.hpp"
#include "daemon/file_watch.hpp"
#include "daemon/http_status.hpp"
#include "daemon/provider_webhook.hpp"
#include "daemon/schedule.hpp"
#include "daemon/service.hpp"
#include "daemon/view.hpp"
#include "engine/sync_run.hpp"
#include "pipeline/pipeline.hpp"
#include "plugins/instance.hpp"
#include "plugins/registry.hpp"
#include "state/state_store.hpp"

#include <accord/push.h>

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace json = boost::json;
namespace fs = std::filesystem;

namespace accord::daemon {

namespace {

int64_t mono_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// A steady-clock time as the wall clock's RFC 3339, for people.
std::string wall_of(int64_t mono) {
  auto wall = std::chrono::system_clock::now() + std::chrono::milliseconds(mono - mono_ms());
  std::time_t t = std::chrono::system_clock::to_time_t(wall);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// ---- signals: a thread of their own, for the life of the process ----------
// SIGTERM, SIGINT and SIGHUP are blocked in every thread and taken here by
// sigwait, so no handler runs inside a run; the main loop learns of them
// through an eventfd.
std::atomic<int> g_stop{0};    // the signal that asked to stop (0: none)
std::atomic<bool> g_reload{false};
int g_wake = -1;               // eventfd: the main loop's poll wakes on it

void wake() {
  uint64_t one = 1;
  if (g_wake >= 0) (void)!::write(g_wake, &one, sizeof one);
}

void start_signal_thread() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    sigset_t set;
    ::sigemptyset(&set);
    for (int s : {SIGTERM, SIGINT, SIGHUP}) ::sigaddset(&set, s);
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::thread([set] {
      for (;;) {
        int sig = 0;
        if (::sigwait(&set, &sig) != 0) continue;
        if (sig == SIGHUP) {
          g_reload = true;
        } else if (g_stop.exchange(sig) != 0) {
          // a second stop: at once; the journal resumes what was in flight
          static const char msg[] = "accord daemon: stopped at once (the next start resumes the runs under way)\n";
          (void)!::write(2, msg, sizeof msg - 1);
          ::_exit(128 + sig);
        }
        wake();
      }
    }).detach();
  });
}

// A netlink socket told of addresses added (a network came up); -1 when
// the system offers none.
int open_netlink() {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return -1;
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Whether what the netlink socket holds says an address was added.
bool address_added(int fd) {
  bool added = false;
  alignas(nlmsghdr) char buf[8192];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, static_cast<unsigned>(n)); h = NLMSG_NEXT(h, n))
      if (h->nlmsg_type == RTM_NEWADDR) added = true;
  }
  return added;
}

struct Pair {
  size_t pipe = 0, index = 0;  // the pipeline and its stream pair
  std::string name;
  int64_t interval_ms = 0;
  int64_t next_due = 0;  // steady ms
  std::string next_reason = "start";
  int failures = 0;
  uint64_t runs = 0;
  bool running = false;
  int64_t pending = 0;  // a change seen during the run: run again by then (0: none)
  std::string pending_reason;
  std::string cursor[2];
  bool look = false;  // the last run looked again after files changed during the one before
  QuietLooks quiet;   // the looks in a row that wrote nothing (file_watch.hpp)
  long last_applied = 0;
  // the watched paths as the daemon last accounted for them (after a run
  // ended, or when an event was taken), and those changed while its
  // pipeline ran, judged when the run ends
  KnownFiles known;
  std::set<std::string> during;
  std::string last_status, last_error, last_error_status, last_finished;
  json::array push, watch;  // the sides ("left", "right") that start a run
};

struct Pipe {
  Pipeline p;
  std::vector<size_t> pairs;
  std::condition_variable cv;
  std::thread worker;
  std::string started;
  int running = 0;  // pairs of it in a run now
  // from its state after each run, for the status page
  int64_t conflicts = 0, quarantined = 0;
  json::array sign_in;  // {side, connector, command}: an account to sign in again
};

// A run's own writes (and an SQLite store's -wal coming and going as it is
// read) cannot be told from a person's edit made during the run: paths
// changed during a run and not as they were before it start one more run
// (after_run in file_watch.hpp says when a look that wrote nothing looks
// again). After a run, an event is a change only when its path is not as
// the run left it (its own writes reported late start nothing), so a
// person's edit made just after a run is carried at once.
constexpr const char* kDuringRun = "files changed during the last run";
constexpr const char* kLookAgain = "files changed during a look again: looked at once more";
// From a change to its run: soon, not at once, as an editor writes a file
// in a few steps (what comes later is seen during the run: one more run).
constexpr int64_t kSettleMs = 200;

// A connector instance of one side, with the host services it was made with.
struct SideInstance {
  std::unique_ptr<HostServices> host;
  std::optional<Instance> inst;
};

class Daemon {
 public:
  Daemon(const DaemonOptions& o, Log& log) : o_(o), log_(log), rng_(std::random_device{}()) {}
  // Reads the pipelines; false (each error logged, naming its file and
  // field) when one does not load.
  bool load();
  // Keeps the loaded pipelines until SIGTERM/SIGINT (an exit code) or a
  // SIGHUP whose pipelines load (-1: take_next() holds them, loaded).
  int serve();
  std::unique_ptr<Daemon> take_next() { return std::move(next_); }

 private:
  Result<SideInstance> open_side(const Pipeline& p, Side s, bool read_only);
  void watch_and_push();
  void worker(size_t pipe);
  void run_due(Pipe& pipe, std::vector<size_t> due, std::unique_lock<std::mutex>& lk);
  void push_loop(size_t pair, Side s, std::shared_ptr<std::atomic<Instance*>> live);
  void trigger(size_t pair, const std::string& reason, int64_t delay_ms);
  void trigger_all(const std::string& reason, int64_t delay_ms);
  void write_views();  // with m_ held
  void on_changes(const FileWatch::Changes& changes);  // with m_ held
  void after_run_changes(const Pipe& pipe, const std::vector<size_t>& ran);  // with m_ held
  json::object view_of(const Pipe& pipe) const;
  json::object health();  // the status page's snapshot (takes m_)
  void read_state(Pipe& pipe);

  const DaemonOptions& o_;
  Log& log_;
  std::mt19937_64 rng_;
  Registry reg_;
  std::vector<std::unique_ptr<Pipe>> pipes_;
  std::vector<Pair> pairs_;
  FileWatch watch_;
  std::mutex m_;
  std::condition_variable changed_;  // a pair's run ended, or stopping
  bool stopping_ = false;
  // Set on SIGTERM/SIGINT and on a reload: the runs under way stop at the
  // end of their batch (RunOptions::cancel), the next start continues them.
  std::atomic<bool> cancel_{false};
  std::vector<std::thread> pushers_;
  std::mutex live_m_;
  std::vector<std::shared_ptr<std::atomic<Instance*>>> live_;  // push instances, for cancel()
  std::string started_ = now_rfc3339();
  std::unique_ptr<Daemon> next_;  // the pipelines a SIGHUP loaded, to keep next
  std::vector<PipelineLock> daemon_locks_;  // one daemon per pipeline: <state>.daemon.lock, for serve()'s life
  // mail sent from HighLevel: --provider FILE, and each stream pair's
  // email_crm.provider; each its own Delivery URL (stopped before its Outbound)
  struct Provider {
    std::shared_ptr<email_crm::Outbound> out;
    std::unique_ptr<ProviderWebhook> http;
  };
  std::vector<Provider> providers_;
  std::unique_ptr<StatusServer> http_;  // last: stopped before what it shows
};

// What a person looks at after a run: open conflicts, quarantine, and the
// accounts whose refresh token was refused (the run's recorded status).
void Daemon::read_state(Pipe& pipe) {
  try {
    auto st = StateStore::open(pipe.p.state_path);
    if (!st) return;
    int64_t conflicts = static_cast<int64_t>((*st)->conflicts(true).size());
    int64_t quarantined = static_cast<int64_t>((*st)->quarantine_list().size());
    json::array sign_in;
    for (const auto& n : cli::sign_in_needed(pipe.p, (*st)->runs(5)))
      sign_in.push_back(json::object{{"side", n.side}, {"connector", n.connector}, {"command", n.command}});
    std::lock_guard<std::mutex> lk(m_);
    pipe.conflicts = conflicts, pipe.quarantined = quarantined, pipe.sign_in = std::move(sign_in);
  } catch (const std::exception& e) {
    log_.warn(pipe.p.name, std::string("reading its state for the status page: ") + e.what());
  }
}

json::object Daemon::health() {
  std::lock_guard<std::mutex> lk(m_);
  json::array pipes;
  bool attention = false;
  for (const auto& pipe : pipes_) {
    json::object v = view_of(*pipe);
    json::object p{{"name", pipe->p.name}, {"file", v["file"]}, {"conflicts", pipe->conflicts},
                   {"quarantined", pipe->quarantined}, {"sign_in", pipe->sign_in}, {"pairs", v["pairs"]}};
    attention = attention || !pipe->sign_in.empty() || pipe->conflicts > 0;
    pipes.push_back(std::move(p));
  }
  for (const auto& pr : pairs_) attention = attention || pr.failures > 0;
  return json::object{{"status", attention ? "attention" : "ok"}, {"pid", static_cast<int64_t>(::getpid())},
                      {"started", started_}, {"pipelines", std::move(pipes)}};
}

std::vector<fs::path> files_of(const DaemonOptions& o, std::string& error) { return pipeline_files(o.inputs, error); }

bool Daemon::load() {
  std::string error;
  auto files = files_of(o_, error);
  if (!error.empty()) {
    log_.error("", error);
    return false;
  }
  reg_ = Registry::discover(o_.plugin_dirs);
  for (const auto& r : reg_.refusals()) log_.warn("", "refused " + r.line());
  LoadOptions lo;
  lo.admin_file = o_.admin_file;
  lo.secrets_file = o_.secrets_file;
  bool ok = true;
  std::map<std::string, fs::path> states;  // one daemon pipeline per state
  for (const auto& f : files) {
    auto p = load_pipeline(f, reg_, lo);
    if (!p) {
      log_.error("", p.error().message);
      ok = false;
      continue;
    }
    std::string key = fs::weakly_canonical(p->state_path).string();
    if (auto [it, fresh] = states.emplace(key, f); !fresh) {
      log_.error("", f.string() + ": its state " + key + " is " + it->second.string() +
                         "'s too: give one of them its own \"state\"");
      ok = false;
      continue;
    }
    auto pipe = std::make_unique<Pipe>();
    pipe->p = std::move(*p);
    pipe->started = now_rfc3339();
    for (size_t i = 0; i < pipe->p.streams.size(); ++i) {
      const StreamPair& sp = pipe->p.streams[i];
      Pair pr;
      pr.pipe = pipes_.size(), pr.index = i, pr.name = sp.name;
      pr.interval_ms = interval_s(sp.every_s, sp.left_canonical) * 1000;
      pr.next_due = mono_ms();  // the first run at once: the state is checked against both sides
      pipe->pairs.push_back(pairs_.size());
      pairs_.push_back(std::move(pr));
    }
    pipes_.push_back(std::move(pipe));
  }
  if (ok && pipes_.empty()) {
    log_.error("", "no pipeline to keep: name pipeline files, or folders holding them (*.json)");
    ok = false;
  }
  return ok;
}

Result<SideInstance> Daemon::open_side(const Pipeline& p, Side s, bool read_only) {
  SideInstance si;
  si.host = std::make_unique<HostServices>();
  std::string pipeline = p.name;
  si.host->on_log([this, pipeline](int32_t level, const std::string& m) { log_.write(level, pipeline, m); });
  fs::path secrets = p.secrets_file;
  si.host->on_secret([secrets](const std::string& name) -> std::optional<std::string> {
    auto v = read_secret(secrets, name);
    if (!v) return std::nullopt;
    return *v;
  });
  si.host->on_store_secret([secrets](const std::string& name, const std::string& value) {
    return static_cast<bool>(store_secret(secrets, name, value));
  });
  if (read_only) si.host->set_open_flags(ACCORD_OPEN_READ_ONLY);
  const Endpoint& ep = p.endpoint(s);
  const LoadedPlugin* plugin = reg_.find(ep.connector);
  if (!plugin) return fail("no connector " + ep.connector);
  auto inst = Instance::create(*plugin, *si.host, json::serialize(ep.resolved_config));
  if (!inst) return std::unexpected(inst.error());
  si.inst.emplace(std::move(*inst));
  return si;
}

// What starts each pair besides its clock: a side's file watch
// (accord.watch.v1, asked of a read-only instance made for the question)
// and a side's push (accord.push.v1: a thread waits in the connector).
void Daemon::watch_and_push() {
  for (size_t k = 0; k < pairs_.size(); ++k) {
    Pair& pr = pairs_[k];
    const Pipeline& p = pipes_[pr.pipe]->p;
    const StreamPair& sp = p.streams[pr.index];
    for (Side s : {Side::kLeft, Side::kRight}) {
      const std::string& stream = s == Side::kLeft ? sp.left : sp.right;
      auto si = open_side(p, s, true);
      if (!si) {
        log_.warn(p.name, sp.name + ": " + side_name(s) + " side: " + si.error().message + " (its runs will say more)");
        continue;
      }
      if (sp.watch) {
        if (auto text = si->inst->watch_paths(stream)) {
          boost::system::error_code ec;
          json::value v = json::parse(*text, ec);
          std::vector<std::string> paths, ignore;
          auto strings = [&](const char* key, std::vector<std::string>& out) {
            if (ec || !v.is_object()) return;
            if (auto* a = v.get_object().if_contains(key); a && a->is_array())
              for (const auto& x : a->get_array())
                if (x.is_string()) out.emplace_back(x.get_string());
          };
          strings("paths", paths);
          strings("ignore", ignore);
          if (!paths.empty()) {
            std::string why = watch_.add(static_cast<int>(k), paths, ignore);
            if (!why.empty()) log_.warn(p.name, sp.name + ": cannot watch " + why + "; the schedule still runs it");
            pr.watch.emplace_back(side_name(s));
          }
        }
      }
      if (sp.push) {
        auto* push = si->inst->extension(ACCORD_PUSH_V1);
        if (push) {
          pr.push.emplace_back(side_name(s));
          auto live = std::make_shared<std::atomic<Instance*>>(nullptr);
          {
            std::lock_guard<std::mutex> lk(live_m_);
            live_.push_back(live);
          }
          pushers_.emplace_back(&Daemon::push_loop, this, k, s, live);
        }
      }
    }
  }
}

void Daemon::trigger(size_t k, const std::string& reason, int64_t delay_ms) {
  Pair& pr = pairs_[k];
  int64_t at = mono_ms() + delay_ms;
  if (pr.running) {  // a change during the run: the run may not have seen it
    if (!pr.pending || at < pr.pending) pr.pending = at, pr.pending_reason = reason;
    return;
  }
  if (pr.failures > 0) return;  // backing off: the side asked for it, or keeps failing
  if (at < pr.next_due) {
    pr.next_due = at, pr.next_reason = reason;
    pipes_[pr.pipe]->cv.notify_one();
    write_views();
  }
}

void Daemon::trigger_all(const std::string& reason, int64_t delay_ms) {
  for (size_t k = 0; k < pairs_.size(); ++k) {
    // a fresh start: what failed (a network down) may work now; a side's
    // Retry-After is still honoured by the engine's own wait
    if (pairs_[k].last_error_status != "auth_required") pairs_[k].failures = 0;
    trigger(k, reason, delay_ms);
  }
}

// One side's push: waits in the connector (its own instance) from the
// cursor the pair's last run left, starts a run when it answers "changed",
// then waits for that run before waiting again.
void Daemon::push_loop(size_t k, Side s, std::shared_ptr<std::atomic<Instance*>> live) {
  const Pipeline& p = pipes_[pairs_[k].pipe]->p;
  const StreamPair& sp = p.streams[pairs_[k].index];
  const std::string stream = s == Side::kLeft ? sp.left : sp.right;
  std::optional<SideInstance> si;
  std::mt19937_64 rng(std::random_device{}());
  int fails = 0;
  auto pause = [&](int64_t ms) {
    std::unique_lock<std::mutex> lk(m_);
    changed_.wait_for(lk, std::chrono::milliseconds(ms), [&] { return stopping_; });
  };
  for (;;) {
    std::string cursor;
    uint64_t seen = 0;
    {
      std::unique_lock<std::mutex> lk(m_);
      changed_.wait(lk, [&] { return stopping_ || (pairs_[k].runs > 0 && !pairs_[k].running); });
      if (stopping_) break;
      cursor = pairs_[k].cursor[static_cast<int>(s)];
      seen = pairs_[k].runs;
    }
    if (!si) {
      auto made = open_side(p, s, false);
      if (!made) {
        log_.warn(p.name, sp.name + ": push: " + made.error().message);
        pause(backoff_ms(++fails, made.error().retry_after_ms, pairs_[k].interval_ms, rng));
        continue;
      }
      si.emplace(std::move(*made));
      live->store(&*si->inst);
      if (stopping_) break;
    }
    auto r = si->inst->wait_for_changes(stream, cursor, 10 * 60 * 1000);
    if (stopping_) break;
    if (!r) {
      if (r.error().status == ACCORD_UNSUPPORTED) {
        log_.info(p.name, sp.name + ": " + side_name(s) + " side cannot wait for changes: " + r.error().message);
        break;
      }
      // a lost connection, the server gone: a new instance, after a pause
      log_.warn(p.name, sp.name + ": push (" + side_name(s) + "): " + r.error().message);
      {
        std::lock_guard<std::mutex> lk(live_m_);
        live->store(nullptr);
      }
      si.reset();
      pause(backoff_ms(++fails, r.error().retry_after_ms, pairs_[k].interval_ms, rng));
      continue;
    }
    fails = 0;
    if (!*r) continue;  // the time passed: wait again
    std::unique_lock<std::mutex> lk(m_);
    log_.write(ACCORD_LOG_DEBUG, p.name, sp.name + ": the " + side_name(s) + " side changed (push)");
    trigger(k, "push", 0);
    changed_.wait(lk, [&] { return stopping_ || (pairs_[k].runs > seen && !pairs_[k].running); });
    if (stopping_) break;
  }
  std::lock_guard<std::mutex> lk(live_m_);
  live->store(nullptr);
}

json::object Daemon::view_of(const Pipe& pipe) const {
  json::object pairs;
  for (size_t k : pipe.pairs) {
    const Pair& pr = pairs_[k];
    json::object o{{"state", pr.running ? "running" : pr.failures ? "backing off" : "waiting"},
                   {"next_run", wall_of(pr.next_due)},
                   {"next_reason", pr.next_reason},
                   {"every_s", pr.interval_ms / 1000},
                   {"failures", pr.failures},
                   {"runs", static_cast<int64_t>(pr.runs)},
                   {"push", pr.push},
                   {"watch", pr.watch}};
    if (!pr.last_status.empty()) {
      o["last_status"] = pr.last_status;
      o["last_finished"] = pr.last_finished;
      if (!pr.last_error.empty()) o["last_error"] = pr.last_error;
      if (!pr.last_error_status.empty()) o["last_error_status"] = pr.last_error_status;
    }
    pairs[pr.name] = std::move(o);
  }
  return json::object{{"pid", static_cast<int64_t>(::getpid())}, {"pipeline", pipe.p.name},
                      {"file", fs::absolute(pipe.p.file).string()}, {"started", pipe.started},
                      {"updated", now_rfc3339()}, {"pairs", std::move(pairs)}};
}

void Daemon::write_views() {
  for (const auto& pipe : pipes_)
    if (!write_view(pipe->p.state_path, view_of(*pipe)))
      log_.warn(pipe->p.name, "cannot write " + view_file(pipe->p.state_path).string() + " (accord status will not show the daemon)");
}

void Daemon::on_changes(const FileWatch::Changes& changes) {
  for (const auto& [key, paths] : changes) {
    size_t k = static_cast<size_t>(key);
    Pair& pr = pairs_[k];
    const Pipe& pipe = *pipes_[pr.pipe];
    if (pipe.running) {  // judged when the run ends (after_run_changes)
      pr.during.insert(paths.begin(), paths.end());
      continue;
    }
    bool changed = false;
    for (const auto& path : paths) changed = moved(pr.known, path) || changed;
    if (!changed) continue;  // as the last run left it: its own write, reported late
    log_.write(ACCORD_LOG_DEBUG, pipe.p.name, pr.name + ": files changed");
    trigger(k, "files changed", kSettleMs);
  }
}

// What changed while `pipe` ran: a pair that ran looks again when its paths
// are not as they were before (kDuringRun above); one that did not run
// takes it as any change.
void Daemon::after_run_changes(const Pipe& pipe, const std::vector<size_t>& ran) {
  for (size_t k : pipe.pairs) {
    Pair& pr = pairs_[k];
    if (pr.during.empty()) continue;
    bool did_run = std::find(ran.begin(), ran.end(), k) != ran.end();
    std::set<std::string> changed;  // not as before (made and removed within the run, a -wal: nothing to look at)
    for (const auto& path : pr.during)
      if (moved(pr.known, path)) changed.insert(path);
    pr.during.clear();
    switch (after_run(did_run, did_run && pr.look, pr.last_applied > 0, changed, pr.quiet)) {
      case AfterRun::kNone: break;
      case AfterRun::kChanged: trigger(k, "files changed", kSettleMs); break;
      case AfterRun::kDuringRun: trigger(k, kDuringRun, kSettleMs); break;
      case AfterRun::kLookAgain: trigger(k, kLookAgain, kSettleMs); break;
      case AfterRun::kLeave:
        log_.write(ACCORD_LOG_DEBUG, pipe.p.name,
                   pr.name + ": files that moved in two looks in a row that wrote nothing (its store's reads) are left to its schedule");
        break;
    }
  }
}

// A pipeline's runs, one at a time: its due pairs together in one engine
// run (each on its own thread there).
void Daemon::worker(size_t pi) {
  Pipe& pipe = *pipes_[pi];
  std::unique_lock<std::mutex> lk(m_);
  while (!stopping_) {
    int64_t now = mono_ms(), next = INT64_MAX;
    std::vector<size_t> due;
    for (size_t k : pipe.pairs) {
      if (pairs_[k].next_due <= now) due.push_back(k);
      else next = std::min(next, pairs_[k].next_due);
    }
    if (o_.once) {
      std::erase_if(due, [&](size_t k) { return pairs_[k].runs > 0; });
      if (due.empty()) break;
    }
    if (due.empty()) {
      pipe.cv.wait_for(lk, std::chrono::milliseconds(std::min<int64_t>(next - now, 60000)));
      continue;
    }
    run_due(pipe, std::move(due), lk);
  }
}

void Daemon::run_due(Pipe& pipe, std::vector<size_t> due, std::unique_lock<std::mutex>& lk) {
  Pipeline sub = pipe.p;
  sub.streams.clear();
  std::string names;
  ++pipe.running;
  for (size_t k : due) {
    pairs_[k].running = true;
    pairs_[k].look = pairs_[k].next_reason == kDuringRun || pairs_[k].next_reason == kLookAgain;
    pairs_[k].pending = 0;
    sub.streams.push_back(pipe.p.streams[pairs_[k].index]);
    names += (names.empty() ? "" : ", ") + pairs_[k].name + " (" + pairs_[k].next_reason + ")";
  }
  write_views();
  lk.unlock();
  log_.info(pipe.p.name, "running " + names);
  RunOptions ro;
  ro.apply = true;
  // short waits a side asks for are waited within the run; longer ones end
  // the pair with its Retry-After, which the schedule honours
  ro.max_retry_wait_ms = 5000;
  ro.cancel = &cancel_;
  // it prints no write, only counts (applied, failed): the run holds no
  // report entry per create (RunOptions::list_creates; issue 22)
  ro.list_creates = 0;
  ro.check_plan = [](const PairReport& pr) { return cli::budget_refusal(pr); };
  std::string pname = pipe.p.name;
  ro.log = [this, pname](int32_t level, const std::string& m) { log_.write(level, pname, m); };
  Result<RunReport> r = [&]() -> Result<RunReport> {
    try {
      return run_pipeline(sub, reg_, ro);
    } catch (const Failure& f) {
      return std::unexpected(f);
    } catch (const std::exception& e) {
      return std::unexpected(Failure{ACCORD_ERROR, e.what(), 0});
    }
  }();
  lk.lock();
  // the run's own writes are all queued by now: taken as changed during it
  on_changes(watch_.drain());
  int64_t now = mono_ms();
  --pipe.running;
  std::string finished = now_rfc3339();
  for (size_t k : due) {
    Pair& pr = pairs_[k];
    pr.running = false;
    ++pr.runs;
    pr.last_finished = finished;
    const PairReport* rep = nullptr;
    if (r)
      for (const auto& x : r->pairs)
        if (x.name == pr.name) rep = &x;
    std::string error = !r ? r.error().message : rep ? rep->error : "not run";
    int32_t status = !r ? r.error().status : rep ? rep->error_status : ACCORD_ERROR;
    int64_t retry_after = !r ? r.error().retry_after_ms : rep ? rep->retry_after_ms : 0;
    if (rep)
      for (int s = 0; s < 2; ++s)
        if (!rep->cursor[s].empty()) pr.cursor[s] = rep->cursor[s];
    pr.last_applied = rep ? rep->applied : 0;
    if (error.empty() && rep->stopped) {
      // asked to stop: what it wrote is committed, the rest waits for the
      // next start (the records stay dirty in the state); not a failure
      pr.last_status = "stopped";
      pr.next_due = now, pr.next_reason = "stopped before it finished";
      log_.info(pipe.p.name, pr.name + ": stopped at the end of a batch (" + std::to_string(rep->applied) +
                                 " written); the next start continues it");
    } else if (error.empty()) {
      pr.failures = 0;
      pr.last_status = rep->refused.empty() ? (rep->failed ? "partial" : "ok") : "refused";
      pr.last_error = rep->refused;
      pr.last_error_status.clear();
      if (!rep->refused.empty()) log_.warn(pipe.p.name, pr.name + ": refused: " + rep->refused);
      else log_.info(pipe.p.name, pr.name + ": " + std::to_string(rep->applied) + " written, " + std::to_string(rep->failed) + " failed");
      pr.next_due = now + jittered_interval_ms(pr.interval_ms, rng_), pr.next_reason = "schedule";
      if (pr.pending && rep->refused.empty() && pr.pending < pr.next_due) pr.next_due = pr.pending, pr.next_reason = pr.pending_reason;
    } else {
      ++pr.failures;
      pr.last_status = "failed";
      pr.last_error = error;
      pr.last_error_status = status_name(status);
      if (status == ACCORD_AUTH_REQUIRED) {
        // nothing will change until someone signs in: the pair's schedule
        // only, and accord status says what to run
        pr.next_due = now + pr.interval_ms, pr.next_reason = "needs sign-in";
      } else {
        int64_t wait = backoff_ms(pr.failures, retry_after, pr.interval_ms, rng_);
        pr.next_due = now + wait;
        pr.next_reason = retry_after ? "retry after the " + std::to_string((retry_after + 999) / 1000) + " s the side asked for"
                                     : "retry (failure " + std::to_string(pr.failures) + ")";
      }
      log_.error(pipe.p.name, pr.name + ": " + error + "; next try " + wall_of(pr.next_due));
    }
    pr.pending = 0;
  }
  if (!stopping_) after_run_changes(pipe, due);
  write_views();
  changed_.notify_all();
  lk.unlock();
  read_state(pipe);
  lk.lock();
}

int Daemon::serve() {
  // One daemon per pipeline (its runs' lock refuses a second run, not a
  // second daemon, which would run it as often again): taken here, not in
  // load(), so that a reload's new set takes what the old one let go.
  for (const auto& pipe : pipes_) {
    auto l = PipelineLock::acquire(fs::path(pipe->p.state_path.string() + ".daemon"), pipe->p.name);
    if (!l) {
      log_.error(pipe->p.name, "another accord daemon keeps this pipeline: " + l.error().message);
      notify("STATUS=another daemon keeps " + pipe->p.name);
      return exit_code::kLocked;
    }
    daemon_locks_.push_back(std::move(*l));
  }
  for (auto& pipe : pipes_) read_state(*pipe);
  if (!o_.http.empty()) {
    fs::path token_file = o_.token_file.empty() ? default_token_file() : o_.token_file;
    auto token = http_token(token_file);
    if (!token) {
      log_.error("", token.error().message);
      return exit_code::kFailure;
    }
    auto server = StatusServer::start(o_.http, *token, [this] { return health(); });
    if (!server) {
      log_.error("", server.error().message);
      return exit_code::kFailure;
    }
    http_ = std::move(*server);
    log_.info("", "status page: http://127.0.0.1:" + std::to_string(http_->port()) + "/ (the token is in " +
                      token_file.string() + ")");
  }
  // Mail sent from HighLevel (docs/email-crm.md): the --provider file's
  // settings, and those a stream pair's email_crm carries (its journal the
  // pipeline's state file, its mailbox email_crm.mailbox by default)
  struct ProviderSettings {
    email_crm::OutboundConfig c;
    std::string listen;
  };
  std::vector<ProviderSettings> wanted;
  if (!o_.provider_file.empty()) {
    std::string listen, error;
    auto pc = email_crm::load_outbound_config(o_.provider_file, o_.secrets_file, listen, error);
    if (!pc) {
      log_.error("", error);
      return exit_code::kFailure;
    }
    wanted.push_back({std::move(*pc), listen});
  }
  for (const auto& pipe : pipes_)
    for (const auto& sp : pipe->p.streams) {
      if (!sp.email_crm || !sp.email_crm->provider) continue;
      email_crm::OutboundSource from;
      from.where = pipe->p.file.string() + ": " + sp.email_crm->pointer + "/provider";
      from.journal = pipe->p.state_path;
      from.owner = sp.name;  // its rows in the journal: one pair's never finished with another's mailbox
      from.mailbox = sp.email_crm->mailbox;
      fs::path secrets = !pipe->p.secrets_file.empty() ? pipe->p.secrets_file
                         : !o_.secrets_file.empty()     ? o_.secrets_file
                                                        : default_secrets_file();
      from.secret = [secrets](const std::string& name, std::string& why) -> std::optional<std::string> {
        auto got = read_secret(secrets, name);
        if (!got) return why = got.error().message, std::nullopt;
        return *got;
      };
      std::string listen, error;
      auto pc = email_crm::outbound_config(*sp.email_crm->provider, from, listen, error);
      if (!pc) {
        log_.error(pipe->p.name, error);
        return exit_code::kFailure;
      }
      wanted.push_back({std::move(*pc), listen});
    }
  for (auto& w : wanted) {
    Provider pr;
    pr.out = std::make_shared<email_crm::Outbound>(w.c);
    pr.out->log = [this](const std::string& l) { log_.info("", l); };
    if (int n = pr.out->recover()) log_.info("", "email_crm provider: finished " + std::to_string(n) + " message(s) a stop left");
    auto h = ProviderWebhook::start(w.listen, pr.out);
    if (!h) {
      log_.error("", h.error().message);
      return exit_code::kFailure;
    }
    pr.http = std::move(*h);
    log_.info("", "HighLevel's Delivery URL: http://" +
                      (w.listen.find(':') == std::string::npos ? std::string("127.0.0.1") : w.listen.substr(0, w.listen.rfind(':'))) +
                      ":" + std::to_string(pr.http->port()) + "/highlevel/outbound (journal " + w.c.journal.string() + ")");
    providers_.push_back(std::move(pr));
  }
  watch_and_push();
  for (size_t i = 0; i < pipes_.size(); ++i) pipes_[i]->worker = std::thread(&Daemon::worker, this, i);
  {
    std::lock_guard<std::mutex> lk(m_);
    write_views();
  }
  int net = open_netlink();
  int64_t dog = watchdog_interval_ms(), last_dog = 0;
  std::string names;
  for (const auto& p : pipes_) names += (names.empty() ? "" : ", ") + p->p.name;
  notify("READY=1\nSTATUS=keeping " + names + " in accord");
  log_.info("", "keeping " + names + " in accord (" + std::to_string(pairs_.size()) + " stream pairs)");
  ClockSample clocks = sample_clocks();
  while (!g_stop && !next_) {
    if (g_reload.exchange(false)) {
      // the new set is loaded before the old one stops: a pipeline that no
      // longer loads (an edit half done, a typo) leaves the daemon keeping
      // what it kept, not stopped
      log_.info("", "SIGHUP: loading the pipelines again");
      auto next = std::make_unique<Daemon>(o_, log_);
      if (next->load()) {
        next_ = std::move(next);
        break;
      }
      log_.error("", "the pipelines were not reloaded (the error above names the file): still keeping " + names +
                         " as before; fix it and send SIGHUP again");
      notify("STATUS=reload refused (see the log); still keeping " + names + " in accord");
      continue;
    }
    int64_t now = mono_ms();
    if (dog && now - last_dog >= dog) notify("WATCHDOG=1"), last_dog = now;
    pollfd fds[3] = {{g_wake, POLLIN, 0}, {watch_.fd(), POLLIN, 0}, {net, POLLIN, 0}};
    int timeout = static_cast<int>(dog ? std::min<int64_t>(dog, 1000) : 1000);
    ::poll(fds, 3, timeout);
    if (fds[0].revents & POLLIN) {
      uint64_t n;
      (void)!::read(g_wake, &n, sizeof n);
    }
    std::lock_guard<std::mutex> lk(m_);
    if (fds[1].revents & POLLIN) on_changes(watch_.drain());
    if (net >= 0 && (fds[2].revents & POLLIN) && address_added(net)) {
      log_.info("", "a network came up: checking every pair");
      trigger_all("network", 2000);
    }
    ClockSample after = sample_clocks();
    if (ClockEvent e = clock_event(clocks, after); e != ClockEvent::kNone) {
      log_.info("", e == ClockEvent::kResumed ? "the machine woke from sleep: checking every pair"
                                              : "the clock jumped: checking every pair");
      trigger_all(e == ClockEvent::kResumed ? "resume" : "clock", 1000);
    }
    clocks = after;
    if (o_.once && std::all_of(pairs_.begin(), pairs_.end(), [](const Pair& p) { return p.runs > 0 && !p.running; })) break;
  }
  bool reload = next_ && !g_stop;
  notify(reload ? "RELOADING=1\nSTATUS=reloading the pipelines" : "STOPPING=1\nSTATUS=ending the runs under way");
  log_.info("", reload ? "reloading the pipelines (the runs under way stop after their batch)"
                      : "stopping (the runs under way stop after their batch; the next start continues them)");
  cancel_ = true;  // the runs under way end with their batch
  {
    std::lock_guard<std::mutex> lk(m_);
    stopping_ = true;
    for (auto& p : pipes_) p->cv.notify_all();
    changed_.notify_all();
  }
  {
    std::lock_guard<std::mutex> lk(live_m_);
    for (auto& l : live_)
      if (Instance* i = l->load()) i->cancel();
  }
  for (auto& p : pipes_) p->worker.join();
  for (auto& t : pushers_) t.join();
  for (auto& pr : providers_) pr.http.reset();
  http_.reset();
  if (net >= 0) ::close(net);
  {
    std::lock_guard<std::mutex> lk(m_);
    write_views();
  }
  return reload ? -1 : exit_code::kOk;
}

}  // namespace

std::vector<fs::path> pipeline_files(const std::vector<fs::path>& inputs, std::string& error) {
  std::vector<fs::path> out;
  for (const auto& in : inputs) {
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
      std::vector<fs::path> found;
      for (const auto& e : fs::directory_iterator(in, ec))
        if (e.is_regular_file() && e.path().extension() == ".json") found.push_back(e.path());
      std::sort(found.begin(), found.end());
      if (found.empty()) error += (error.empty() ? "" : "\n") + in.string() + ": a folder without pipelines (*.json)";
      out.insert(out.end(), found.begin(), found.end());
    } else if (fs::exists(in, ec)) {
      out.push_back(in);
    } else {
      error += (error.empty() ? "" : "\n") + in.string() + ": no such pipeline file or folder";
    }
  }
  return out;
}

int serve(const DaemonOptions& opts) {
  start_signal_thread();
  Log log;
  auto d = std::make_unique<Daemon>(opts, log);
  if (!d->load()) return exit_code::kInvalidInput;
  for (;;) {
    int rc = d->serve();
    if (rc != -1) return rc;
    auto next = d->take_next();
    d.reset();  // the old set's watches, threads and page gone before the new one starts
    d = std::move(next);
    notify("READY=1\nSTATUS=pipelines reloaded");
  }
}

}  // namespace accord::daemon
