// SPDX-License-Identifier: Apache-2.0
// `accord undo|log` and `plan --explain`'s output: what runs wrote (the
// state's history), written back on request. Never writes to a side except
// through the engine's apply path (its guards and journal).
#include "cli/error_fix.hpp"
#include "cli/exit_codes.hpp"
#include "cli/options.hpp"
#include <accord/text/terminal_text.hpp>
#include "engine/sync_run.hpp"
#include "pipeline/pipeline.hpp"
#include "plugins/registry.hpp"
#include "state/state_store.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <iostream>
#include <map>

namespace json = boost::json;
namespace fs = std::filesystem;

namespace accord::cli {

namespace {

void emit(const json::object& obj) { std::cout << json::serialize(json_safe(obj)) << "\n"; }  // valid UTF-8

int fail_with(const GlobalOptions& o, const std::string& message, int code) {
  if (o.json) emit(json::object{{"type", "error"}, {"message", message}, {"exit", code}});
  else std::cerr << "accord: " << tty_lines(message) << "\n";
  return code;
}

std::optional<int64_t> run_number(std::string_view text) {
  if (!text.empty() && text.front() == '#') text.remove_prefix(1);
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n <= 0) return std::nullopt;
  return n;
}

json::object object_of(const std::optional<std::string>& text) {
  if (!text) return {};
  boost::system::error_code ec;
  json::value v = json::parse(*text, ec);
  return !ec && v.is_object() ? std::move(v.get_object()) : json::object{};
}

// The top-level fields a write changed: field → {before, after} (absent: null).
json::object changed_fields(const HistoryRow& h) {
  json::object before = object_of(h.before), after = object_of(h.after), out;
  for (const auto& [k, v] : after)
    if (const json::value* was = before.if_contains(k); !was || *was != v)
      out[k] = json::object{{"before", was ? *was : json::value(nullptr)}, {"after", v}};
  for (const auto& [k, v] : before)
    if (!after.contains(k)) out[k] = json::object{{"before", v}, {"after", nullptr}};
  return out;
}

std::string shown(const json::value& v) {
  if (v.is_null()) return "(none)";
  std::string s = tty(json::serialize(v));  // record data: escaped (terminal_text.hpp)
  return s.size() > 70 ? s.substr(0, 67) + "…" : s;
}

}  // namespace

int undo_verb(const GlobalOptions& o, const std::vector<std::string>& in) {
  std::vector<std::string> args;
  bool dry_run = false;
  for (const auto& a : in) (a == "--dry-run" ? dry_run = true : (args.push_back(a), false));
  auto usage = [] {
    std::cerr << "accord: usage: accord undo PIPELINE RUN [--dry-run] [--force[=NAME,…]] [--all]"
                 " (RUN: a run's number, from accord log or accord status)\n";
    return exit_code::kUsage;
  };
  int rc = tuned_sync_verb(o, args, "undo", !dry_run,
                           [&](const std::vector<std::string>& pos, const Pipeline& p, RunOptions& ro) -> std::optional<int> {
                             std::optional<int64_t> run = pos.size() == 2 ? run_number(pos[1]) : std::nullopt;
                             if (!run) return usage();
                             std::error_code ec;
                             std::string missing = "run " + std::to_string(*run) + " of pipeline \"" + p.name + "\": ";
                             if (!fs::exists(p.state_path, ec))
                               return fail_with(o, missing + "the pipeline has never run (state " + p.state_path.string() + ")",
                                                exit_code::kInvalidInput);
                             auto st = StateStore::open(p.state_path);
                             if (!st) return fail_with(o, with_fix(st.error().message, p.state_path), exit_code::kFailure);
                             if (!(*st)->has_history(*run))
                               return fail_with(o, missing + "the state keeps no write of it (it wrote nothing, it is older than the "
                                                   "last " + std::to_string(p.history_keep_runs) + " runs that \"history\": "
                                                   "{\"keep_runs\"} keeps, or there is no such run); see accord log " +
                                                   p.file.string(), exit_code::kInvalidInput);
                             ro.undo_run = *run;
                             ro.kind = "undo";
                             return std::nullopt;
                           });
  return rc == exit_code::kUsage && args.size() != 2 ? usage() : rc;
}

int log_verb(const GlobalOptions& o, const std::vector<std::string>& args) {
  std::vector<std::string> pos;
  std::string record;
  std::optional<int64_t> run;
  auto usage = [] {
    std::cerr << "accord: usage: accord log PIPELINE [--record ID] [--run N]\n";
    return exit_code::kUsage;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    if ((args[i] == "--record" || args[i] == "--run") && i + 1 < args.size()) {
      if (args[i] == "--record") record = args[++i];
      else if (!(run = run_number(args[++i]))) return usage();
    } else if (args[i].starts_with("--")) {
      return usage();
    } else {
      pos.push_back(args[i]);
    }
  }
  if (pos.size() != 1) return usage();
  Registry reg = Registry::discover(o.plugin_dirs);
  LoadOptions lo;
  lo.admin_file = o.admin_file;
  lo.secrets_file = o.secrets_file;
  lo.state_override = o.state_file;
  auto p = load_pipeline(pos[0], reg, lo);
  if (!p) return fail_with(o, p.error().message, exit_code::kInvalidInput);
  std::error_code ec;
  if (!fs::exists(p->state_path, ec)) {
    if (!o.json) std::cout << "pipeline \"" << p->name << "\" has never run (state " << p->state_path.string() << ")\n";
    return exit_code::kOk;
  }
  auto st = StateStore::open(p->state_path);
  if (!st) return fail_with(o, with_fix(st.error().message, p->state_path), exit_code::kFailure);
  std::map<int64_t, StateStore::RunRow> runs;
  for (auto& r : (*st)->runs(1 << 30)) runs.emplace(r.id, std::move(r));
  auto rows = (*st)->history(run, "", record);
  int64_t shown_run = 0;
  for (const auto& h : rows) {
    json::object fields = changed_fields(h);
    const StateStore::RunRow* r = runs.contains(h.run) ? &runs.at(h.run) : nullptr;
    if (o.json) {
      emit(json::object{{"type", "write"}, {"run", h.run}, {"kind", r ? r->kind : ""}, {"started", r ? r->started : ""},
                        {"pair", h.pair}, {"side", h.side}, {"op", h.op}, {"id", h.record_id}, {"other_id", h.other_id},
                        {"version", h.version}, {"fields", fields}});
      continue;
    }
    if (h.run != shown_run) {
      shown_run = h.run;
      std::cout << "run #" << h.run;
      if (r) std::cout << " " << r->kind << " " << r->started << " " << r->status;
      std::cout << "\n";
    }
    std::cout << "  " << h.pair << ": " << h.side << " " << h.op << " " << tty(h.record_id);
    if (!h.other_id.empty()) std::cout << " (linked to " << tty(h.other_id) << ")";
    std::cout << "\n";
    for (const auto& [k, v] : fields)
      std::cout << "      " << tty(k) << ": " << shown(v.at("before")) << " → " << shown(v.at("after")) << "\n";
  }
  if (rows.empty() && !o.json)
    std::cout << "no writes kept" << (run ? " of run " + std::to_string(*run) : "")
              << (record.empty() ? "" : " of record " + record) << " (the last " << p->history_keep_runs
              << " runs are kept: \"history\": {\"keep_runs\"})\n";
  return exit_code::kOk;
}

void print_explain(const GlobalOptions& o, const std::string& pair, const json::object& e) {
  if (o.json) {
    json::object line = e;
    line["type"] = "explain";
    line["pair"] = pair;
    emit(line);
    return;
  }
  auto text = [](const json::value* v) { return v && v->is_string() ? tty(v->get_string()) : std::string(); };
  std::cout << pair << ": explain " << text(e.if_contains("id")) << "\n";
  if (auto* n = e.if_contains("note")) std::cout << "  " << text(n) << "\n";
  const json::value* records = e.if_contains("records");
  if (!records || !records->is_array()) return;
  for (const auto& rv : records->get_array()) {
    const json::object& r = rv.get_object();
    std::cout << "  " << text(r.if_contains("side")) << " record, version " << shown(r.at("version"))
              << (r.at("deleted").as_bool() ? ", deleted" : "")
              << (r.at("changed_since_last_run").as_bool() ? ", changed since the last run" : "") << "\n";
    std::cout << "    filter: " << text(r.if_contains("filter")) << "\n";
    const json::value& link = r.at("link");
    if (link.is_object())
      std::cout << "    link: left " << text(link.get_object().if_contains("left")) << " ⇄ right "
                << text(link.get_object().if_contains("right")) << "\n";
    else
      std::cout << "    link: none\n";
    std::cout << "    decision: " << text(r.if_contains("record")) << "\n";
    if (auto* fields = r.if_contains("fields"); fields && fields->is_array())
      for (const auto& fv : fields->get_array()) {
        const json::object& f = fv.get_object();
        std::cout << "      " << text(f.if_contains("field")) << ": base " << shown(f.at("base_left")) << " / "
                  << shown(f.at("base_right")) << ", left " << shown(f.at("left")) << ", right " << shown(f.at("right"))
                  << ": " << text(f.if_contains("decision")) << "\n";
      }
    for (const auto& kv : r.at("match_keys").as_array()) {
      const json::object& k = kv.get_object();
      std::cout << "    match key " << text(k.if_contains("key")) << ": " << shown(k.at("value"));
      for (const auto& [name, c] : k)
        if (name.starts_with("unlinked_candidates")) {
          std::cout << "; unlinked candidates on the other side: " << c.as_array().size();
          for (const auto& id : c.as_array()) std::cout << " " << shown(id);
        }
      std::cout << "\n";
    }
    if (auto* q = r.if_contains("quarantine"); q && q->is_object())
      std::cout << "    quarantined: " << text(q->get_object().if_contains("error")) << " (attempts "
                << shown(q->get_object().at("attempts")) << ", next retry " << text(q->get_object().if_contains("next_retry"))
                << ")\n";
    else
      std::cout << "    quarantine: none\n";
  }
}

}  // namespace accord::cli
