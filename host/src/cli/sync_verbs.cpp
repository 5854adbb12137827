// SPDX-License-Identifier: Apache-2.0
// `accord validate|plan|apply|run|status|conflicts`: the verbs over pipelines.
#include "cli/error_fix.hpp"
#include "cli/exit_codes.hpp"
#include "cli/login.hpp"
#include "cli/options.hpp"
#include "cli/progress.hpp"
#include "cli/write_cost.hpp"
#include "daemon/view.hpp"
#include <accord/json/exact.hpp>
#include <accord/text/terminal_text.hpp>
#include "engine/email_crm_outbound.hpp"
#include "engine/email_crm_run.hpp"
#include "engine/record_filter.hpp"
#include "engine/sync_run.hpp"
#include "pipeline/pipeline.hpp"
#include "plugins/registry.hpp"
#include "plugins/wire.hpp"
#include "state/state_store.hpp"

#include <boost/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <memory>
#include <mutex>
#include <set>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

namespace json = boost::json;
namespace fs = std::filesystem;

namespace accord::cli {

namespace {

struct Args {
  std::vector<std::string> positional;
  std::optional<std::string> out, take, explain;
  std::set<std::string> force;  // guard names, or "all"
  bool all = false;
  std::optional<size_t> limit;  // --limit N: list at most N of each list (0: all)
};

std::optional<Args> parse_args(const std::vector<std::string>& in, const char* verb) {
  Args a;
  for (size_t i = 0; i < in.size(); ++i) {
    const std::string& s = in[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= in.size()) {
        std::cerr << "accord " << verb << ": " << s << " needs a value\n";
        return std::nullopt;
      }
      return in[++i];
    };
    if (s == "--out") {
      if (!(a.out = value())) return std::nullopt;
    } else if (s == "--take") {
      if (!(a.take = value())) return std::nullopt;
    } else if (s == "--explain") {
      if (!(a.explain = value())) return std::nullopt;
    } else if (s == "--force") {
      a.force.insert("all");
    } else if (s.starts_with("--force=")) {
      std::string_view names = std::string_view(s).substr(8);
      for (size_t at = 0; at <= names.size();) {
        size_t comma = std::min(names.find(',', at), names.size());
        std::string name(names.substr(at, comma - at));
        bool known = name == "all";
        for (const auto& [g, what] : kGuardNames) known = known || name == g;
        if (!known) {
          std::cerr << "accord " << verb << ": --force=" << name << ": no such guard; the guards are:";
          for (const auto& [g, what] : kGuardNames) std::cerr << "\n  " << g << ": " << what;
          std::cerr << "\n  all: every one of them\n";
          return std::nullopt;
        }
        a.force.insert(name);
        at = comma + 1;
      }
    } else if (s == "--all") {
      a.all = true;
    } else if (s == "--limit" || s.starts_with("--limit=")) {
      std::optional<std::string> v = s == "--limit" ? value() : std::optional<std::string>(s.substr(8));
      if (!v) return std::nullopt;
      size_t n = 0;
      auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
      if (ec != std::errc() || end != v->data() + v->size()) {
        std::cerr << "accord " << verb << ": --limit needs a number (0: no limit)\n";
        return std::nullopt;
      }
      a.limit = n;
    } else if (s.starts_with("--")) {
      std::cerr << "accord " << verb << ": unknown option " << s << " (see accord --help)\n";
      return std::nullopt;
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

void emit(const GlobalOptions& o, const json::object& obj) {
  if (o.json) json_line(obj);  // valid UTF-8, flushed
}

int invalid(const GlobalOptions& o, const Failure& f, int code) {
  if (o.json) emit(o, json::object{{"type", "error"}, {"message", f.message}, {"exit", code}});
  else std::cerr << "accord: " << cli::tty_lines(f.message) << "\n";
  return code;
}

// The installed connectors and a pipeline, loaded and checked.
struct Loaded {
  Registry reg;
  Pipeline p;
};

// Discovers the connectors and loads the pipeline; on failure reports it and
// leaves the exit code in `rc`.
std::optional<Loaded> load(const GlobalOptions& o, const std::string& file, int& rc) {
  // (only the connectors the pipeline names are loaded: the refusals said
  // are the folders' and those plugins')
  Loaded l{Registry::discover_lazily(o.plugin_dirs), {}};
  LoadOptions lo;
  lo.admin_file = o.admin_file;
  lo.secrets_file = o.secrets_file;
  lo.state_override = o.state_file;
  auto p = load_pipeline(file, l.reg, lo);
  for (const auto& r : l.reg.refusals())
    if (!o.json) std::cerr << "accord: refused " << r.line() << "\n";
  if (!p) {
    rc = invalid(o, p.error(), exit_code::kInvalidInput);
    return std::nullopt;
  }
  l.p = std::move(*p);
  return l;
}

std::string show(const std::optional<json::value>& v) {
  if (!v) return "(none)";
  std::string s = cli::tty(json::serialize(*v));
  return s.size() > 60 ? s.substr(0, 57) + "…" : s;
}

json::value changes_json(const Changes& c) {
  json::object o;
  for (const auto& [k, v] : c) o[k] = v ? *v : json::value(nullptr);
  return o;
}

// A record the host could not read, on one line: where it came from, its id
// (quoted, as JSON quotes it) where it has one, where in the connector's
// answer and why.
std::string unreadable_text(std::string_view side, const std::string& connector, const std::string& stream,
                            const std::string& id, const std::string& pointer, const std::string& reason) {
  return std::string(side) + " " + connector + " " + stream + " " +
         (id.empty() ? std::string("(no id)") : cli::tty(json::serialize(json::string(id)))) + " at " + pointer + ": " +
         cli::tty(reason);
}

// "1 record", "2 records".
std::string plural(long n, std::string_view one, std::string_view many = {}) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many.empty() ? std::string(one) + "s" : many);
}

// The end of a list cut at `limit` (0: none) of `total`: "… and 1,234 more;
// --limit 0 shows all", or nothing.
std::string more_text(size_t total, size_t limit) {
  if (limit == 0 || total <= limit) return "";
  return "… and " + grouped(total - limit) + " more; --limit 0 shows all";
}

// Records of a pair that are linked to nothing, with why (status): an
// ambiguous match key (several records share it), a create the pipeline
// does not allow toward the other side, a record held while a create
// toward its side answered retry is unsettled (it may be the record that
// create made: the engine holds those that could be, pair_run's
// held_for_retried), a record whose copy failed (quarantined), or a create
// the next run makes.
struct Unlinked {
  Side side;
  std::string id, label, why;
  bool ambiguous = false;
};

std::vector<Unlinked> unlinked_of(StateStore& s, const StreamPair& sp) {
  PairState state = s.pair(sp.name);
  std::vector<MirrorRef> pools[2] = {state.mirror(Side::kLeft).unlinked(), state.mirror(Side::kRight).unlinked()};
  std::map<std::string, std::vector<JournalRow>> kept;  // the creates answered retry, by target side
  for (auto& r : state.journal().retried_creates()) kept[r.side].push_back(std::move(r));
  // ambiguity, key by key, as planning finds it: records on both sides
  // share the key, and not exactly one on each
  std::map<std::pair<int, size_t>, std::string> ambiguous;  // (side, index) → why
  auto part = [](std::string_view keys, size_t k) {
    for (size_t i = 0; i < k; ++i) {
      size_t at = keys.find('\x1e');
      if (at == std::string_view::npos) return std::string_view();
      keys.remove_prefix(at + 1);
    }
    return keys.substr(0, keys.find('\x1e'));
  };
  for (size_t k = 0; k < sp.match.size(); ++k) {
    std::map<std::string_view, std::vector<std::pair<int, size_t>>> by_key;
    for (int side = 0; side < 2; ++side)
      for (size_t i = 0; i < pools[side].size(); ++i)
        if (std::string_view key = part(pools[side][i].keys(), k); !key.empty()) by_key[key].emplace_back(side, i);
    for (const auto& [key, who] : by_key) {
      long n[2] = {0, 0};
      for (const auto& w : who) ++n[w.first];
      if (!n[0] || !n[1] || (n[0] == 1 && n[1] == 1)) continue;
      for (const auto& w : who)
        ambiguous.try_emplace(w, "ambiguous: its match key " + sp.match[k].label + " is shared by " +
                                     plural(n[0], "record") + " on the left and " + std::to_string(n[1]) +
                                     " on the right; make it unique on one side");
    }
  }
  // records whose copy failed and waits its next try (quarantined: charged
  // to the source's side)
  std::set<std::string> held[2] = {state.quarantine().ids(Side::kLeft, false), state.quarantine().ids(Side::kRight, false)};
  std::vector<Unlinked> out;
  for (int side = 0; side < 2; ++side) {
    Side me = side == 0 ? Side::kLeft : Side::kRight, them = side == 0 ? Side::kRight : Side::kLeft;
    for (size_t i = 0; i < pools[side].size(); ++i) {
      Unlinked u{me, pools[side][i].id(), "", ""};
      if (auto a = ambiguous.find({side, i}); a != ambiguous.end()) u.why = a->second, u.ambiguous = true;
      else if (!sp.allowed(them, "create"))
        u.why = std::string("the pipeline creates nothing on the ") + side_name(them) + " side";
      else if (auto k = kept.find(side_name(me)); k != kept.end())
        u.why = "held if it may be the record a create answered retry made (" + std::string(side_name(them)) + " " +
                k->second.front().source_id + ", key " + k->second.front().idem_key +
                (k->second.size() > 1 ? ", and " + std::to_string(k->second.size() - 1) + " more" : "") +
                "); it is copied or linked once that create is settled";
      else if (held[side].contains(u.id))
        u.why = std::string("quarantined: its copy to the ") + side_name(them) +
                " side failed; \"quarantined records\" below says why and when it is tried again";
      else u.why = "waiting: the next run copies it";
      out.push_back(std::move(u));
    }
  }
  // the ambiguous first: they need a person
  std::stable_partition(out.begin(), out.end(), [](const Unlinked& u) { return u.ambiguous; });
  return out;
}

// "N failed", and what becomes of them: quarantined (listed by `accord
// status`), or planned again by the next run (a version conflict).
std::string failed_text(const PairReport& pr) {
  std::string out = std::to_string(pr.failed) + " failed (";
  if (pr.quarantined) out += std::to_string(pr.quarantined) + " quarantined; see accord status";
  if (pr.quarantined && pr.failed > pr.quarantined) out += "; ";
  if (pr.failed > pr.quarantined) out += std::to_string(pr.failed - pr.quarantined) + " planned again by the next run";
  return out + ")";
}

// "N skipped": creates whose source was gone when their bodies were
// fetched (not failed: the next run reads where the records went).
std::string gone_text(const PairReport& pr) {
  return std::to_string(pr.gone) +
         " skipped (gone from their source since it was read: renamed or deleted; the next run reads where they went)";
}

// A pair's events, when its planning (and applying) is over: its ops where
// they were not streamed as they were applied (a plan; a refused run),
// conflicts, notes, unreadable records, and its summary.
void pair_events(const PairReport& pr, bool ops_streamed) {
  if (!ops_streamed)
    for (const auto& op : pr.ops) {
      json::object o{{"type", "op"}, {"pair", pr.name}, {"side", side_name(op.side)}, {"op", op.op},
                     {"id", op.id}, {"source_id", op.source_id}, {"label", op.label},
                     {"fields", changes_json(op.changes)}, {"status", "planned"}};
      if (!op.left_behind.empty()) {  // what the target does not keep of this record
        json::array lb;
        for (const auto& f : op.left_behind) lb.emplace_back(f);
        o["left_behind"] = std::move(lb);
      }
      json_line(o);
    }
  for (const auto& c : pr.conflicts)
    json_line(json::object{{"type", "conflict"}, {"pair", pr.name}, {"left_id", c.left_id}, {"right_id", c.right_id},
                           {"field", c.field}, {"left", c.left ? *c.left : json::value(nullptr)},
                           {"right", c.right ? *c.right : json::value(nullptr)}, {"resolution", c.resolution},
                           {"listed", c.listed}});
  for (const auto& n : pr.notes) json_line(json::object{{"type", "note"}, {"pair", pr.name}, {"message", n}});
  for (const auto& u : pr.unreadable)
    json_line(json::object{{"type", "unreadable"}, {"pair", pr.name}, {"side", side_name(u.side)},
                           {"connector", u.connector}, {"stream", u.stream}, {"id", u.id}, {"pointer", u.pointer},
                           {"reason", u.reason}});
  json::object counts;
  for (Side s : {Side::kLeft, Side::kRight})
    for (const char* op : {"create", "update", "delete"}) counts[std::string(side_name(s)) + "_" + op] = pr.planned.of(s, op);
  for (const WriteCost& c : write_costs(pr)) {  // what the writes cost against the day's budget
    json::object o{{"type", "cost"}, {"pair", pr.name}, {"side", side_name(c.side)}, {"writes", c.writes},
                   {"read", c.read}, {"detail", c.words}};
    o["left"] = c.left ? json::value(*c.left) : json::value(nullptr);
    json_line(o);
  }
  json::array untravelled;
  for (const auto& u : pr.untravelled) untravelled.emplace_back(u);
  json::array forced;
  for (const auto& f : pr.forced) forced.emplace_back(f);
  json_line(json::object{{"type", "pair"}, {"pair", pr.name}, {"left", pr.left_stream}, {"right", pr.right_stream},
                         {"read_left", pr.read[0]}, {"read_right", pr.read[1]}, {"matched", pr.matched},
                         {"counts", counts}, {"conflicts", pr.conflicts.size()}, {"applied", pr.applied},
                         {"failed", pr.failed}, {"quarantined", pr.quarantined}, {"gone", pr.gone}, {"refused", pr.refused},
                         {"error", pr.error}, {"untravelled", untravelled}, {"forced", forced}});
}

// --json: the run's events on stdout as they happen, one object a line:
// `run` when it starts, `progress` (about ten a second a phase), `op` as
// each write is committed (a create with the id it got on the target),
// then the pair's conflicts, notes and summary when it is done.
class JsonEvents final : public RunEvents {
 public:
  JsonEvents(std::string pipeline, std::string kind) : pipeline_(std::move(pipeline)), kind_(std::move(kind)) {}
  const std::string& pipeline() const { return pipeline_; }
  const std::string& kind() const { return kind_; }
  void run_started(int64_t run_id) override {
    json::object o{{"type", "run"}, {"pipeline", pipeline_}, {"kind", kind_}, {"status", "started"},
                   {"started", now_rfc3339()}};
    if (run_id) o["id"] = run_id;
    json_line(o);
  }
  void progress(const PhaseProgress& p) override {
    json::object o{{"type", "progress"}, {"pair", p.pair}, {"phase", phase_name(p.phase)}, {"done", p.done},
                   {"seconds", std::round(p.seconds * 1000) / 1000}, {"finished", p.finished}};
    o["total"] = p.total ? json::value(p.total) : json::value(nullptr);
    json_line(o);
  }
  void applied(std::string_view pair, const PlannedOp& op, const std::string& id, bool ok, const std::string& status,
               const std::string& message) override {
    {
      std::lock_guard lock(mu_);
      streamed_.insert(std::string(pair));
    }
    json::object o{{"type", "op"},  {"pair", pair},     {"side", side_name(op.side)}, {"op", op.op},
                   {"id", id},      {"source_id", op.source_id}, {"label", op.label},  {"status", status}};
    if (!ok) o["message"] = message;
    json_line(o);
  }
  void pair_done(const PairReport& pr) override {
    bool streamed;
    {
      std::lock_guard lock(mu_);
      streamed = streamed_.contains(pr.name);
    }
    pair_events(pr, streamed);
  }

 private:
  std::string pipeline_, kind_;
  std::mutex mu_;
  std::set<std::string> streamed_;  // pairs whose ops were told as they were applied
};

// The writes a report shows in text, without --all (the rest are counted).
constexpr size_t kOpsShown = 25;

// Prints a run's plan or results, in text or one JSON object per line.
void print_report(const GlobalOptions& o, const Pipeline& p, const RunReport& r, bool all) {
  for (const auto& f : r.forced) {
    if (o.json) emit(o, json::object{{"type", "forced"}, {"message", f}});
    else std::cout << "forced past a guard: " << cli::tty(f) << "\n";
  }
  for (const auto& pr : r.pairs) {
    if (!pr.explain.empty()) print_explain(o, pr.name, pr.explain);
    if (o.json) continue;  // told as each pair was done (JsonEvents)
    std::cout << pr.name << ": " << p.left.connector << " " << pr.left_stream << " ⇄ " << p.right.connector << " "
              << pr.right_stream << "\n";
    if (!pr.error.empty()) {
      std::cout << "  error: " << cli::tty_lines(with_fix(pr.error, p.state_path)) << "\n";
      continue;
    }
    // a first sync reads every record, new to the state; later runs what changed
    if (pr.first_sync)
      std::cout << "  first sync: read " << plural(pr.read[0], "record") << " on the left, " << pr.read[1] << " on the right";
    else
      std::cout << "  read " << plural(pr.read[0], "change") << " on the left, " << pr.read[1] << " on the right";
    if (pr.matched) std::cout << "; linked " << pr.matched << " by match keys";
    if (pr.relinked) std::cout << "; relinked " << pr.relinked << " to their copies by idempotency key";
    std::cout << "\n";
    for (const auto& n : pr.notes) std::cout << "  note: " << cli::tty(n) << "\n";
    for (const auto& u : pr.unreadable)
      std::cout << "  skipped a record it cannot read: "
                << unreadable_text(side_name(u.side), u.connector, u.stream, u.id, u.pointer, u.reason) << "\n";
    for (const auto& f : pr.forced) std::cout << "  forced past a guard: " << f << "\n";
    if (!pr.refused.empty()) {
      std::cout << "  refused: " << cli::tty(pr.refused) << "\n";
      continue;
    }
    if (pr.planned.total() == 0 && pr.conflicts.empty()) {
      std::cout << "  nothing to do\n";
    } else {
      for (Side s : {Side::kLeft, Side::kRight}) {
        long c = pr.planned.of(s, "create"), u = pr.planned.of(s, "update"), d = pr.planned.of(s, "delete");
        if (c + u + d)
          std::cout << "  " << side_name(s) << ": " << c << " to create, " << u << " to update, " << d << " to delete\n";
      }
      if (!r.applied)  // a plan: what the writes cost in requests, against the day's budget
        for (const auto& l : cost_lines(pr, p.left.connector, p.right.connector)) std::cout << "  " << cli::tty(l) << "\n";
      size_t shown = 0;
      for (const auto& op : pr.ops) {
        if (!all && shown == kOpsShown) break;
        ++shown;
        char mark = op.op == "create" ? '+' : op.op == "update" ? '~' : '-';
        // record data, escaped: a line break in a name cannot forge a line
        std::cout << "    " << mark << " " << side_name(op.side) << " " << op.op << " " << cli::tty(op.label);
        if (!op.id.empty() && op.id != op.label) std::cout << " [" << cli::tty(op.id) << "]";
        std::cout << "\n";
        if (op.op == "update")
          for (const auto& [k, v] : op.changes) std::cout << "        " << cli::tty(k) << " → " << show(v) << "\n";
        if (!op.left_behind.empty()) {
          // this record's part of what cannot travel: it stays where it is
          std::string fields;
          for (size_t i = 0; i < op.left_behind.size() && i < 8; ++i) fields += (i ? ", " : "") + op.left_behind[i];
          if (op.left_behind.size() > 8) fields += ", … " + std::to_string(op.left_behind.size() - 8) + " more";
          std::cout << "        stays behind, the " << side_name(op.side) << " side does not keep it: " << cli::tty(fields)
                    << "\n";
        }
      }
      // (a run's report lists only the creates shown: RunOptions::list_creates)
      if (size_t total = std::max<size_t>(pr.ops.size(), pr.planned.total()); shown < total)
        std::cout << "    … and " << total - shown << " more (--all shows every one)\n";
      for (const auto& c : pr.conflicts)
        if (c.listed)
          std::cout << "    ! conflict " << cli::tty(c.label) << " " << cli::tty(c.field) << ": left " << show(c.left)
                    << ", right " << show(c.right) << ": " << cli::tty(c.resolution) << "\n";
        else  // (an undo's record not undone: one side's, no values to show)
          std::cout << "    ! conflict " << cli::tty(c.label) << " [" << cli::tty(c.left_id.empty() ? c.right_id : c.left_id)
                    << "]: " << cli::tty(c.resolution) << "\n";
      // (only where the conflicts table holds them: an undo's records not
      // undone are not there, each line says what to do instead)
      if (std::any_of(pr.conflicts.begin(), pr.conflicts.end(),
                      [](const ConflictReport& c) { return c.listed && c.resolution.starts_with("left for you"); }))
        std::cout << "  decide each: accord conflicts list " << cli::tty(p.file.string()) << ", then accord conflicts resolve "
                  << cli::tty(p.file.string()) << " ID --take left|right (the next run applies it)\n";
    }
    if (r.applied && (pr.applied || pr.failed || pr.gone))
      std::cout << "  applied " << plural(pr.applied, "write") << (pr.failed ? ", " + failed_text(pr) : "")
                << (pr.gone ? ", " + gone_text(pr) : "") << "\n";
    if (!pr.untravelled.empty() && !r.applied) {
      std::cout << "  fields that cannot travel between the sides:\n";
      for (const auto& u : pr.untravelled) std::cout << "    " << cli::tty(u) << "\n";
    }
  }
}

int exit_for(const RunReport& r) {
  if (!r.stale.empty()) return exit_code::kPlanStale;
  int code = exit_code::kOk;
  for (const auto& pr : r.pairs) {
    if (!pr.error.empty()) return exit_code::kFailure;
    if (!pr.refused.empty())
      code = pr.refused.find("plan again") != std::string::npos ? exit_code::kPlanStale : exit_code::kGuardRefused;
    else if ((pr.failed || !pr.unreadable.empty() || std::any_of(pr.conflicts.begin(), pr.conflicts.end(),
                                       [](const ConflictReport& c) { return c.resolution.starts_with("left for you"); })) &&
             code == exit_code::kOk)
      code = exit_code::kIncomplete;
  }
  return code;
}

RunOptions run_options(const GlobalOptions&, const std::set<std::string>& force) {
  RunOptions ro;
  ro.force = force;
  // writes that would not fit in a side's daily budget: refused before any is made
  if (!force.contains("all") && !force.contains("budget")) ro.check_plan = [](const PairReport& pr) { return budget_refusal(pr); };
  if (const char* t = std::getenv("ACCORD_TRACE"); t && *t) {
    // diagnostics: every phase on its own line, with the time since start
    // and where the applying phase's time went
    auto start = std::chrono::steady_clock::now();
    ro.progress = [start](const std::string& line) {
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::fprintf(stderr, "[%8.3f s] %s\n", s, line.c_str());
    };
  }
  return ro;
}

// What shows a run as it goes: with --json its events on stdout; on a
// terminal (stderr), a progress line, unless ACCORD_TRACE prints its lines;
// else nothing (and the engine then reports to no one).
struct RunDisplay {
  std::unique_ptr<TerminalProgress> terminal;
  std::unique_ptr<JsonEvents> json;
  const GlobalOptions* o = nullptr;

  // Sets the run's events and log once its options are tuned.
  void attach(const GlobalOptions& opts, const Pipeline& p, RunOptions& ro) {
    o = &opts;
    if (opts.json) {
      json = std::make_unique<JsonEvents>(p.name, ro.apply ? ro.kind : "plan");
      ro.events = json.get();
    } else if (::isatty(2) && !ro.progress) {
      terminal = std::make_unique<TerminalProgress>(2);
      ro.events = terminal.get();
    }
    ro.log = [this](int32_t level, const std::string& m) {
      if (level < ACCORD_LOG_WARN) return;
      if (o->json) json_line(json::object{{"type", "log"}, {"message", m}});
      else if (terminal) terminal->above("accord: " + cli::tty(m));
      else std::cerr << "accord: " << cli::tty(m) << "\n";
    };
  }
  // The run is over: the progress line goes (the report follows), and
  // --json says how the run ended and with what exit code.
  int end(const RunReport& report, int code) {
    const RunReport* r = &report;
    if (terminal) terminal->end();
    if (json && r) {
      json::object e{{"type", "run"}, {"pipeline", json->pipeline()}, {"kind", json->kind()},
                     {"status", r->applied ? r->status : "planned"}, {"finished", now_rfc3339()}, {"exit", code}};
      if (r->run_id) e["id"] = r->run_id;
      json_line(e);
    }
    return code;
  }
};

int lock_or_failure(const GlobalOptions& o, const Failure& f, const fs::path& state) {
  Failure with{f.status, with_fix(f.message, state), f.retry_after_ms};
  return invalid(o, with, f.message.find("is being synced by") != std::string::npos ? exit_code::kLocked : exit_code::kFailure);
}

// run_pipeline, with what the state's store throws (a file that cannot be
// written, say) as a failure instead of an abort.
Result<RunReport> run_guarded(const Pipeline& p, const Registry& reg, const RunOptions& ro) {
  try {
    return run_pipeline(p, reg, ro);
  } catch (const Failure& f) {
    return std::unexpected(f);
  } catch (const std::exception& e) {
    return std::unexpected(Failure{ACCORD_ERROR, e.what(), 0});
  }
}

}  // namespace

// validate_verb: validate_verb.cpp

// What every verb that plans (and maybe applies) does once its arguments
// are read: load the pipeline, let `tune` set the run's options (or stop with
// an exit code), run, print the report, let `after` use it (or stop).
using Tune = std::function<std::optional<int>(const std::vector<std::string>&, const Pipeline&, RunOptions&)>;
using After = std::function<std::optional<int>(const Pipeline&, const RunReport&)>;
int sync_verb(const GlobalOptions& o, const Args& a, bool apply, const Tune& tune, const After& after) {
  int rc = exit_code::kOk;
  auto loaded = load(o, a.positional[0], rc);
  if (!loaded) return rc;
  auto& [reg, pipeline] = *loaded;
  // A first run opens each side (read-only) before the state or a store is
  // touched: a folder that does not exist (a typing mistake in its path)
  // fails here, not after the state took that path for the side's store
  // (validate_verb.cpp). Later runs meet the same error where the pair
  // opens its side, and skip the cost of a second open (an index copied).
  if (std::error_code ec; !fs::exists(pipeline.state_path, ec))
    if (auto why = connector_problems(pipeline, reg, a.positional[0]))
      return invalid(o, Failure{ACCORD_ERROR, *why, 0}, exit_code::kInvalidInput);
  RunOptions ro = run_options(o, a.force);
  ro.apply = apply;
  // a run's report lists the creates it shows: --json tells each as it is
  // applied, the text its first few (all with --all), the rest are counted
  ro.list_creates = o.json ? 0 : a.all ? SIZE_MAX : kOpsShown;
  if (auto stop = tune(a.positional, pipeline, ro)) return *stop;
  RunDisplay show;
  show.attach(o, pipeline, ro);
  auto r = run_guarded(pipeline, reg, ro);
  if (show.terminal) show.terminal->end();
  if (!r) return lock_or_failure(o, r.error(), pipeline.state_path);
  print_report(o, pipeline, *r, a.all);
  if (auto stop = after(pipeline, *r)) return show.end(*r, *stop);
  return show.end(*r, exit_for(*r));
}

int plan_verb(const GlobalOptions& o, const std::vector<std::string>& args, bool apply) {
  const char* verb = apply ? "run" : "plan";
  auto a = parse_args(args, verb);
  if (!a || a->positional.size() != 1 || (apply && (a->out || a->explain))) {
    std::cerr << "accord: usage: accord " << verb << " PIPELINE"
              << (apply ? " [--force[=NAME,…]]" : " [--out PLAN] [--all] [--explain ID]") << "\n";
    return exit_code::kUsage;
  }
  auto tune = [&](const std::vector<std::string>&, const Pipeline&, RunOptions& ro) -> std::optional<int> {
    if (a->explain) ro.explain = *a->explain;
    return std::nullopt;
  };
  auto save = [&](const Pipeline& pipeline, const RunReport& r) -> std::optional<int> {
    if (!a->out) return std::nullopt;
    json::object pairs;
    for (const auto& pr : r.pairs) {
      json::array ops;
      for (const auto& op : pr.ops)
        ops.push_back(json::object{{"side", side_name(op.side)}, {"op", op.op}, {"id", op.id}, {"source_id", op.source_id},
                                   {"label", op.label}, {"fields", changes_json(op.changes)}});
      pairs[pr.name] = json::object{{"fingerprint", pr.fingerprint}, {"cursor_left", pr.cursor[0]},
                                    {"cursor_right", pr.cursor[1]}, {"ops", ops}};
    }
    json::object plan{{"accord_plan", 1}, {"pipeline", pipeline.name}, {"pipeline_file", fs::absolute(pipeline.file).string()},
                      {"generation", r.generation}, {"made", now_rfc3339()}, {"pairs", pairs}};
    // made readable by its owner only: a plan holds records' data
    if (int fd = ::open(a->out->c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600); fd >= 0) ::close(fd);
    std::ofstream out(*a->out);
    out << json::serialize(plan) << "\n";
    if (!out) return invalid(o, Failure{ACCORD_ERROR, *a->out + ": cannot write the plan: check that its folder exists and is writable, or give --out another file", 0}, exit_code::kFailure);
    if (!o.json) std::cout << "plan saved to " << *a->out << "; apply it with: accord apply " << *a->out << "\n";
    return std::nullopt;
  };
  return sync_verb(o, *a, apply, tune, save);
}

int tuned_sync_verb(const GlobalOptions& o, const std::vector<std::string>& args, const char* verb, bool apply,
                    const std::function<std::optional<int>(const std::vector<std::string>&, const Pipeline&, RunOptions&)>& tune) {
  auto a = parse_args(args, verb);
  if (!a || a->positional.empty() || a->out || a->explain) return exit_code::kUsage;
  return sync_verb(o, *a, apply, tune, [&](const Pipeline&, const RunReport& r) -> std::optional<int> {
    if (r.run_id && !o.json) std::cout << "this was run #" << r.run_id << "\n";
    return std::nullopt;
  });
}

// True when a saved pair's ops do not give its fingerprint (or cannot be read).
bool plan_edited(const json::object& pair) {
  const json::value* ops = pair.if_contains("ops");
  const json::value* want = pair.if_contains("fingerprint");
  if (!ops || !ops->is_array() || !want || !want->is_string()) return true;
  OpFingerprint fp;
  for (const auto& v : ops->get_array()) {
    const json::object* o = v.if_object();
    if (!o) return true;
    auto str = [&](const char* k) -> std::optional<std::string> {
      const json::value* x = o->if_contains(k);
      if (!x || !x->is_string()) return std::nullopt;
      return std::string(x->get_string());
    };
    auto side = str("side"), op = str("op"), id = str("id"), source = str("source_id");
    const json::value* fields = o->if_contains("fields");
    if (!side || !op || !id || !source || !fields || !fields->is_object() || (*side != "left" && *side != "right"))
      return true;
    PlannedOp p;
    p.side = *side == "left" ? Side::kLeft : Side::kRight;
    p.op = *op;
    p.id = *id;
    p.source_id = *source;
    for (const auto& [k, val] : fields->get_object())
      p.changes[std::string(k)] = val.is_null() ? std::nullopt : std::optional<json::value>(val);
    fp.add(p);
  }
  return fp.text() != want->get_string();
}

int apply_verb(const GlobalOptions& o, const std::vector<std::string>& args) {
  auto a = parse_args(args, "apply");
  if (!a || a->positional.size() != 1) {
    std::cerr << "accord: usage: accord apply PLAN [--force[=NAME,…]]\n";
    return exit_code::kUsage;
  }
  const std::string& file = a->positional[0];
  // a plan holds a field's value six levels down (/pairs/P/ops/N/fields/F),
  // and a value nests nearly as deep as a record the host reads
  auto doc = parse_json_file(file, wire::kMaxDepth + 16);
  if (!doc) return invalid(o, doc.error(), exit_code::kInvalidInput);
  const json::object* plan = doc->if_object();
  if (!plan || !plan->contains("accord_plan") || !plan->contains("pipeline_file") || !plan->contains("pairs") ||
      !plan->contains("generation"))
    return invalid(o, Failure{ACCORD_ERROR, file + ": /: not an Accord plan (make one with accord plan PIPELINE --out " + file + ")", 0},
                   exit_code::kInvalidInput);
  int rc = exit_code::kOk;
  auto loaded = load(o, std::string(plan->at("pipeline_file").as_string()), rc);
  if (!loaded) return rc;
  auto& [reg, pipeline] = *loaded;
  RunOptions ro = run_options(o, a->force);
  ro.kind = "apply";
  ro.expect_generation = plan->at("generation").to_number<int64_t>();
  for (const auto& [name, pv] : plan->at("pairs").as_object()) {
    const json::object& po = pv.as_object();
    // A plan is applied as it was made, or not at all: ops edited in the
    // file (one taken out, a field changed) no longer give its fingerprint.
    if (plan_edited(po))
      return invalid(o, Failure{ACCORD_ERROR, file + ": /pairs/" + std::string(name) +
                                                  "/ops: the plan's writes were edited after it was made; Accord applies "
                                                  "a plan only as it was made: make a new one with accord plan", 0},
                     exit_code::kInvalidInput);
    ro.expect_fingerprint[std::string(name)] = po.at("fingerprint").as_string();
    ro.expect_cursor[std::string(name)] = {std::string(po.at("cursor_left").as_string()),
                                           std::string(po.at("cursor_right").as_string())};
  }
  RunDisplay show;
  show.attach(o, pipeline, ro);
  auto r = run_guarded(pipeline, reg, ro);
  if (show.terminal) show.terminal->end();
  if (!r) return lock_or_failure(o, r.error(), pipeline.state_path);
  if (!r->stale.empty()) return invalid(o, Failure{ACCORD_ERROR, file + ": " + r->stale, 0}, exit_code::kPlanStale);
  print_report(o, pipeline, *r, a->all);
  return show.end(*r, exit_for(*r));
}

// What the user does about an unresolved message (docs/email-crm.md)
constexpr const char* kUnresolvedWhatToDo =
    "to log it, add the recipient as a contact in the CRM, then flag or move the message in the mailbox so that the next "
    "run reads it again (or send it again with the capture address in Bcc); to leave it out, nothing: the entry goes "
    "when the message is deleted";

// A side's filter in the pipeline is not the one its records were judged by
// in the last run (the next run judges them again: PairRun::rejudge_filter).
static bool filter_changed(StateStore& s, const StreamPair& sp) {
  if (sp.email_crm) return false;
  for (Side side : {Side::kLeft, Side::kRight})
    if (auto mark = s.filter_mark(sp.name, side);
        mark && *mark != filter_mark(side == Side::kLeft ? sp.filter_left : sp.filter_right))
      return true;
  return false;
}

int status_verb(const GlobalOptions& o, const std::vector<std::string>& args) {
  auto a = parse_args(args, "status");
  if (!a || a->positional.size() != 1) {
    std::cerr << "accord: usage: accord status PIPELINE [--limit N]\n";
    return exit_code::kUsage;
  }
  int rc = exit_code::kOk;
  auto loaded = load(o, a->positional[0], rc);
  if (!loaded) return rc;
  auto& [reg, pipeline] = *loaded;
  if (!fs::exists(pipeline.state_path)) {
    if (o.json) emit(o, json::object{{"type", "status"}, {"pipeline", pipeline.name}, {"runs", 0}});
    else std::cout << "pipeline \"" << pipeline.name << "\" has never run (state " << pipeline.state_path.string() << ")\n";
    return exit_code::kOk;
  }
  auto st = StateStore::open(pipeline.state_path);
  if (!st) return lock_or_failure(o, st.error(), pipeline.state_path);
  auto& s = **st;
  // long lists are cut at --limit (default 20 on a terminal, all with --json)
  size_t limit = a->limit.value_or(o.json ? 0 : 20);
  auto runs = s.runs(limit == 0 ? 1000000 : static_cast<int>(std::min<size_t>(limit, 1000000)));
  auto cut = [&](auto& list) {
    size_t total = list.size();
    if (limit && list.size() > limit) list.resize(limit);
    return total;
  };
  auto label_of = [&](const std::string& pair, Side side, const std::string& id) {
    auto row = s.pair(pair).mirror(side).find_data(id);
    boost::system::error_code ec;
    json::value v = row ? accord::json_exact::parse(row->data, ec) : json::value();
    return !ec && v.is_object() ? record_label(v.get_object(), id) : id;
  };
  // A run that never finished is under way only while the pipeline's lock
  // is held (then the newest such run is it); else it was interrupted.
  bool under_way = false;
  for (const auto& r : runs)
    if (r.finished.empty()) {
      under_way = !PipelineLock::acquire(pipeline.state_path, pipeline.name);
      break;
    }
  for (bool newest = true; auto& r : runs)
    if (r.finished.empty()) {
      r.status = under_way && newest ? "running" : "interrupted";
      newest = false;
    }
  // sync issues: what the newest finished run's writes left behind (fields
  // the target side does not keep), per pair, from the run's summary
  struct Behind {
    std::string pair;
    int64_t records = 0;
    std::vector<std::pair<std::string, int64_t>> fields;
  };
  std::vector<Behind> behind;
  int64_t behind_run = 0;
  for (const auto& r : runs) {
    if (r.finished.empty() || r.summary.empty()) continue;
    boost::system::error_code ec;
    json::value v = json::parse(r.summary, ec);
    if (!ec && v.is_object())
      for (const auto& [pair, x] : v.get_object())
        if (const json::value* lb = x.is_object() ? x.get_object().if_contains("left_behind") : nullptr;
            lb && lb->is_object()) {
          Behind b{std::string(pair), 0, {}};
          if (auto* n = lb->get_object().if_contains("records"); n && n->is_int64()) b.records = n->as_int64();
          if (auto* f = lb->get_object().if_contains("fields"); f && f->is_object())
            for (const auto& [name, count] : f->get_object())
              b.fields.emplace_back(std::string(name), count.is_int64() ? count.as_int64() : 0);
          behind.push_back(std::move(b));
        }
    behind_run = r.id;
    break;  // the newest finished run only
  }
  // each run's creates skipped as gone (their source renamed or deleted
  // since it was read), over its pairs, from its summary (0 before it kept them)
  auto gone_of = [](const StateStore::RunRow& r) {
    int64_t n = 0;
    boost::system::error_code ec;
    json::value v = r.summary.empty() ? json::value() : json::parse(r.summary, ec);
    if (!ec && v.is_object())
      for (const auto& [pair, x] : v.get_object())
        if (const json::value* g = x.is_object() ? x.get_object().if_contains("gone") : nullptr; g && g->is_int64())
          n += g->get_int64();
    return n;
  };
  // a refresh token refused in the newest run: that side needs `accord login` again
  auto sign_in = sign_in_needed(pipeline, runs);
  auto quarantine = s.quarantine_list();
  auto unreadable = s.unreadable_list();
  auto conflicts = s.conflicts(true);
  size_t quarantined = cut(quarantine), unreadables = cut(unreadable);
  struct UnlinkedList {
    std::vector<Unlinked> list;  // the first `limit`
    size_t total = 0, ambiguous = 0;
  };
  std::map<std::string, UnlinkedList> unlinked;  // per pair
  for (const auto& sp : pipeline.streams) {
    auto list = unlinked_of(s, sp);
    size_t ambiguous = std::count_if(list.begin(), list.end(), [](const Unlinked& u) { return u.ambiguous; });
    size_t total = cut(list);
    for (auto& u : list) u.label = label_of(sp.name, u.side, u.id);
    unlinked[sp.name] = {std::move(list), total, ambiguous};
  }
  // the creates answered retry that may have been made, looked for by
  // their keys before they are sent again (Journal::retried_creates)
  struct Retried {
    std::string pair, stream;
    Side target;
    JournalRow row;
    std::string label;  // the source's
  };
  std::vector<Retried> retried;
  for (const auto& sp : pipeline.streams)
    for (auto& r : s.pair(sp.name).journal().retried_creates()) {
      Side target = r.side == "left" ? Side::kLeft : Side::kRight;
      std::string label = label_of(sp.name, other(target), r.source_id);
      retried.push_back({sp.name, target == Side::kLeft ? sp.left : sp.right, target, std::move(r), std::move(label)});
    }
  size_t retried_total = cut(retried);
  if (o.json) {
    for (const auto& r : runs)
      emit(o, json::object{{"type", "run"}, {"id", r.id}, {"kind", r.kind}, {"started", r.started},
                           {"finished", r.finished}, {"status", r.status}, {"error", r.error}, {"gone", gone_of(r)}});
    for (const auto& sp : pipeline.streams) {
      const auto& [list, total, ambiguous] = unlinked[sp.name];
      for (const auto& u : list)
        emit(o, json::object{{"type", "unlinked"}, {"pair", sp.name}, {"side", side_name(u.side)}, {"id", u.id},
                             {"label", u.label}, {"ambiguous", u.ambiguous}, {"reason", u.why}});
      for (const auto& u : PairLookups::unresolved(s, sp))  // docs/email-crm.md
        emit(o, json::object{{"type", "unresolved"}, {"pair", sp.name}, {"id", u.id}, {"reason", u.why},
                             {"what_to_do", kUnresolvedWhatToDo}});
      PairState state = s.pair(sp.name);
      emit(o, json::object{{"type", "pair"}, {"pair", sp.name}, {"links", state.links().count()},
                           {"left_records", state.mirror(Side::kLeft).count_live()},
                           {"right_records", state.mirror(Side::kRight).count_live()}, {"unlinked", total},
                           {"ambiguous", ambiguous}, {"parked", s.parked(sp.name)},
                           {"filter_changed", filter_changed(s, sp)}});
    }
    for (const auto& q : quarantine)
      emit(o, json::object{{"type", "quarantine"}, {"pair", q.pair}, {"side", q.side}, {"id", q.id}, {"error", q.error},
                           {"attempts", q.attempts}, {"next_retry", q.next_retry}});
    for (const auto& u : unreadable)
      emit(o, json::object{{"type", "unreadable"}, {"pair", u.pair}, {"side", u.side}, {"connector", u.connector},
                           {"stream", u.stream}, {"id", u.id}, {"pointer", u.pointer}, {"reason", u.reason},
                           {"seen", u.seen}});
    for (const auto& r : retried)
      emit(o, json::object{{"type", "retried_create"}, {"pair", r.pair}, {"stream", r.stream}, {"side", side_name(r.target)},
                           {"source_id", r.row.source_id}, {"label", r.label}, {"key", r.row.idem_key},
                           {"since", r.row.created}, {"tries", r.row.tries}, {"last_answer", r.row.last_answer}});
    for (const auto& b : behind) {
      json::object fields;
      for (const auto& [f, n] : b.fields) fields[f] = n;
      emit(o, json::object{{"type", "left_behind"}, {"run", behind_run}, {"pair", b.pair}, {"records", b.records},
                           {"fields", std::move(fields)}});
    }
    if (auto view = daemon::read_view(pipeline.state_path)) {  // what accord daemon sees of it
      (*view)["type"] = "daemon";
      emit(o, *view);
    }
    for (const auto& n : sign_in)
      emit(o, json::object{{"type", "sign_in"}, {"side", n.side}, {"connector", n.connector}, {"command", n.command}});
    for (const auto& m : email_crm::outbound_to_list(pipeline.state_path))  // mail sent from HighLevel (docs/email-crm.md)
      emit(o, json::object{{"type", "provider_outbound"}, {"highlevel_message_id", m.hl_id}, {"message_id", m.message_id},
                           {"state", m.state}, {"to", m.rcpt}, {"error", m.error}, {"received", m.received},
                           {"updated", m.updated}, {"what_to_do", email_crm::outbound_what_to_do(m)}});
    emit(o, json::object{{"type", "status"}, {"pipeline", pipeline.name}, {"conflicts", conflicts.size()},
                         {"unreadable", unreadables},
                         {"journal", s.journal_size()}, {"retried_creates", s.retried_creates_size()},
                         {"quarantined", quarantined}});
    return exit_code::kOk;
  }
  std::cout << "pipeline \"" << pipeline.name << "\" (state " << pipeline.state_path.string() << ")\n";
  for (const auto& sp : pipeline.streams) {
    PairState state = s.pair(sp.name);
    std::cout << "  " << sp.name << ": " << plural(state.links().count(), "linked pair") << "; "
              << plural(state.mirror(Side::kLeft).count_live(), "record") << " on the left, "
              << state.mirror(Side::kRight).count_live() << " on the right\n";
    if (int64_t parked = s.parked(sp.name))
      std::cout << "    parked: " << plural(parked, "linked pair")
                << " whose record is out of its side's filter (nothing flows either way until it is back in)\n";
    if (filter_changed(s, sp))
      std::cout << "    the pipeline's filter changed since the last run: the next run judges every record again\n";
    if (auto un = PairLookups::unresolved(s, sp); !un.empty()) {  // docs/email-crm.md
      std::cout << "    unresolved: " << plural(static_cast<long>(un.size()), "message")
                << " sent to an unknown recipient without the capture address\n";
      for (const auto& u : un) std::cout << "      " << cli::tty(u.id) << ": " << cli::tty(u.why) << "\n";
      std::cout << "      what to do: " << kUnresolvedWhatToDo << "\n";
    }
    const auto& [list, total, ambiguous] = unlinked[sp.name];
    if (total == 0) continue;
    std::cout << "    linked to nothing: " << plural(static_cast<long>(total), "record")
              << (ambiguous ? " (" + std::to_string(ambiguous) + " of them ambiguous)" : "") << "\n";
    for (const auto& u : list)
      std::cout << "      " << side_name(u.side) << " " << cli::tty(u.label)
                << (u.label != u.id ? " [" + cli::tty(u.id) + "]" : "") << ": " << cli::tty(u.why) << "\n";
    if (auto more = more_text(total, limit); !more.empty()) std::cout << "      " << more << "\n";
  }
  if (auto out = email_crm::outbound_to_list(pipeline.state_path); !out.empty()) {  // docs/email-crm.md
    std::cout << "mail sent from HighLevel through the mailbox, to look at: " << plural(static_cast<long>(out.size()), "message")
              << "\n";
    for (const auto& m : out)
      std::cout << "  HighLevel message " << cli::tty(m.hl_id) << " to " << cli::tty(m.rcpt) << " (" << cli::tty(m.state)
                << (m.received.empty() ? "" : ", received " + m.received) << "): " << cli::tty(email_crm::outbound_what_to_do(m))
                << "\n";
  }
  std::cout << "last runs:\n";
  if (runs.empty()) std::cout << "  none\n";
  for (const auto& r : runs) {
    int64_t gone = gone_of(r);
    std::cout << "  #" << r.id << " " << r.kind << " " << r.started << " → "
              << (r.finished.empty() ? r.status == "running" ? "(under way)" : "(did not finish)" : r.finished) << " "
              << (r.status == "interrupted" ? "interrupted: the next run resumes it" : r.status)
              << (r.error.empty() ? "" : ": " + cli::tty(r.error))
              << (gone ? "; " + std::to_string(gone) + " skipped (gone from their source since it was read: renamed or deleted)"
                       : "")
              << "\n";
  }
  if (auto view = daemon::read_view(pipeline.state_path))
    for (const auto& line : daemon::view_lines(*view)) std::cout << cli::tty(line) << "\n";
  for (const auto& n : sign_in)
    std::cout << "needs sign-in: the " << n.side << " side (" << n.connector
              << ") was refused its refresh token; sign in again with:\n  " << cli::tty(n.command) << "\n";
  if (!behind.empty()) {
    std::cout << "sync issues of run #" << behind_run << " (fields the other side does not keep stayed behind):\n";
    for (const auto& b : behind) {
      std::string fields;
      for (const auto& [f, n] : b.fields) fields += (fields.empty() ? "" : ", ") + f + " (" + std::to_string(n) + ")";
      std::cout << "  " << b.pair << ": " << plural(b.records, "record") << ": " << cli::tty(fields) << "\n";
    }
  }
  std::cout << "open conflicts: " << conflicts.size()
            << (conflicts.empty() ? ""
                                  : " (accord conflicts list " + cli::tty(a->positional[0]) + ", then accord conflicts resolve " +
                                        cli::tty(a->positional[0]) + " ID --take left|right)")
            << "\n";
  std::cout << "quarantined records: " << quarantined << "\n";
  for (const auto& q : quarantine)
    std::cout << "  " << q.pair << " " << q.side << " " << cli::tty(q.id) << ": " << cli::tty(q.error) << " (attempt " << q.attempts
              << ", next retry " << q.next_retry << ")\n";
  if (auto more = more_text(quarantined, limit); !more.empty()) std::cout << "  " << more << "\n";
  std::cout << "unreadable records (skipped): " << unreadables << "\n";
  for (const auto& u : unreadable)
    std::cout << "  " << u.pair << " " << unreadable_text(u.side, u.connector, u.stream, u.id, u.pointer, u.reason)
              << " (seen " << u.seen << ")\n";
  if (auto more = more_text(unreadables, limit); !more.empty()) std::cout << "  " << more << "\n";
  if (auto j = s.journal_size()) std::cout << "interrupted writes waiting to be reconciled by the next run: " << j << "\n";
  if (retried_total) {
    std::cout << "creates answered retry, looked for by their keys before they are sent again: " << retried_total << "\n";
    for (const auto& r : retried)
      std::cout << "  " << r.pair << " " << cli::tty(r.stream) << " → " << side_name(r.target) << ": "
                << side_name(other(r.target)) << " " << cli::tty(r.label)
                << (r.label != r.row.source_id ? " [" + cli::tty(r.row.source_id) + "]" : "") << ", key "
                << cli::tty(r.row.idem_key) << ", since " << r.row.created << ", " << plural(r.row.tries, "try", "tries")
                << (r.row.last_answer.empty() ? "" : ", last answer: " + cli::tty(r.row.last_answer)) << "\n";
    if (auto more = more_text(retried_total, limit); !more.empty()) std::cout << "  " << more << "\n";
  }
  return exit_code::kOk;
}

int conflicts_verb(const GlobalOptions& o, const std::vector<std::string>& args) {
  auto a = parse_args(args, "conflicts");
  bool list = a && a->positional.size() == 2 && a->positional[0] == "list";
  bool resolve = a && a->positional.size() == 3 && a->positional[0] == "resolve" && a->take &&
                 (*a->take == "left" || *a->take == "right");
  if (!list && !resolve) {
    std::cerr << "accord: usage: accord conflicts list PIPELINE | accord conflicts resolve PIPELINE ID --take left|right\n";
    return exit_code::kUsage;
  }
  int rc = exit_code::kOk;
  auto loaded = load(o, a->positional[1], rc);
  if (!loaded) return rc;
  auto& [reg, pipeline] = *loaded;
  // listing creates nothing: no state yet, no conflicts yet
  if (std::error_code ec; list && !fs::exists(pipeline.state_path, ec)) {
    if (!o.json) std::cout << "no open conflicts (no run yet: " << pipeline.state_path.string() << " does not exist)\n";
    return exit_code::kOk;
  }
  auto st = StateStore::open(pipeline.state_path);
  if (!st) return lock_or_failure(o, st.error(), pipeline.state_path);
  if (list) {
    auto cs = (*st)->conflicts(true);
    for (const auto& c : cs) {
      if (o.json)
        emit(o, json::object{{"type", "conflict"}, {"id", c.id}, {"pair", c.pair}, {"left_id", c.left_id},
                             {"right_id", c.right_id}, {"field", c.field}, {"left", accord::json_exact::parse(c.left_value)},
                             {"right", accord::json_exact::parse(c.right_value)}, {"created", c.created}, {"decided", c.decided}});
      else
        std::cout << "#" << c.id << " " << c.pair << " " << cli::tty(c.left_id) << " ⇄ " << cli::tty(c.right_id) << " "
                  << cli::tty(c.field) << ": left " << cli::tty(c.left_value) << ", right " << cli::tty(c.right_value)
                  << (c.decided.empty() ? "" : " (decided: " + c.decided + " wins at the next run)") << "\n";
    }
    if (cs.empty() && !o.json) std::cout << "no open conflicts\n";
    if (!cs.empty() && !o.json)
      std::cout << "decide one: accord conflicts resolve " << cli::tty(a->positional[1])
                << " ID --take left|right (the next run applies it)\n";
    return exit_code::kOk;
  }
  int64_t id = 0;
  try {
    id = std::stoll(a->positional[2]);
  } catch (...) {
    std::cerr << "accord: conflict ID must be a number (see accord conflicts list)\n";
    return exit_code::kUsage;
  }
  auto r = (*st)->decide(id, *a->take == "left" ? Side::kLeft : Side::kRight);
  if (!r) return invalid(o, r.error(), exit_code::kInvalidInput);
  if (o.json) emit(o, json::object{{"type", "decided"}, {"id", id}, {"take", *a->take}});
  else std::cout << "conflict #" << id << ": the " << *a->take << " side wins at the next run\n";
  return exit_code::kOk;
}

}  // namespace accord::cli
