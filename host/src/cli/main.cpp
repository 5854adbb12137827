// SPDX-License-Identifier: Apache-2.0
// The `accord` program: parses global options and dispatches to a verb.
#include "cli/exit_codes.hpp"
#include "cli/login.hpp"
#include "cli/options.hpp"
#include "cli/progress.hpp"

#include <accord/connector.h>

#include <csignal>
#include <cstring>
#include <iostream>

#include <signal.h>
#include <unistd.h>

#ifndef ACCORD_VERSION
#define ACCORD_VERSION "0.0.0"
#endif

namespace {

const char* kHelp = R"(usage: accord [--plugin-dir DIR]... [--json] [--admin FILE] [--secrets FILE] [--state FILE] VERB [ARGS]
       accord VERB --help

Keeps two systems in accord: a three-way, field-level, two-way sync between
connector plugins, driven by a pipeline file.

verbs:
  run PIPELINE [--force[=NAME,…]]
                                plan and apply: sync the two sides; --force=NAME
                                goes past the guard the refusal names (empty,
                                deletes, updates, creates, records, renumbered,
                                store), --force past all
  plan PIPELINE [--out PLAN] [--all] [--explain ID]
                                what a run would do: every create, update,
                                delete and conflict, with field diffs; writes
                                nothing
  apply PLAN [--force[=NAME,…]] apply exactly a saved plan; refused if either
                                side or the state moved since it was made, or
                                if its writes were edited
  undo PIPELINE RUN [--dry-run] [--force[=NAME,…]]
                                write back what run RUN changed (see accord
                                log); --dry-run shows the plan only
  log PIPELINE [--record ID] [--run N]
                                each write the kept runs made, with the
                                fields it changed, before and after
  validate PIPELINE             check a pipeline; show what cannot travel
  status PIPELINE [--limit N]   last runs, counts, records linked to nothing
                                (ambiguous first), quarantine, conflicts;
                                lists cut at N (default 20, 0: all)
  conflicts list PIPELINE       conflicts left for a person to decide
  conflicts resolve PIPELINE ID --take left|right
  plugins                       list installed connectors: id, version, ABI,
                                path, streams, fields, capabilities
  plugins show ID               a connector's configuration options
  login google|microsoft|generic --name NAME --client-id ID [--streams S,…]
                                sign in (OAuth 2.0: the browser, --no-browser
                                to paste the address it was sent to, or
                                microsoft --device) and store the refresh
                                token in the secrets file under NAME; see
                                docs/login.md
  daemon PIPELINE|FOLDER... [--http [127.0.0.1:]PORT] [--install-user-unit]
                                keep pipelines in accord: each stream pair on
                                its schedule, at once on a server's push or a
                                local file's change; a systemd user service
                                (--install-user-unit); see docs/daemon.md

options:
  --plugin-dir DIR     also load plugins from DIR (searched first; repeatable)
  --json               one JSON object per line on stdout
  --admin FILE         the administrator's settings (default $ACCORD_ADMIN,
                       else /etc/accord/admin.json when present)
  --secrets FILE       secrets for {"$secret": NAME} (default $ACCORD_SECRETS,
                       else ~/.config/accord/secrets.json; must be mode 0600)
  --state FILE         the state database (default: the pipeline's "state",
                       else $XDG_STATE_HOME/accord/NAME.sqlite)
  --version            print the version and the connector ABI it speaks
  --help               this text

Plugins are searched in --plugin-dir folders, then ACCORD_PLUGIN_PATH
(colon-separated), then <prefix>/lib/accord/plugins.

exit codes: 0 ok, 1 failure, 2 usage, 3 invalid input, 4 connector missing
or refused, 5 some records failed or wait for a decision, 6 a guard refused,
7 locked by another run, 8 a saved plan is out of date, 130 interrupted (run
again to resume). See docs/cli.md.
)";

// One verb's part of the help (its entries under "verbs:"), or "".
std::string verb_help(const std::string& verb) {
  std::string_view all(kHelp), out;
  std::string text;
  size_t from = all.find("\nverbs:\n"), to = all.find("\noptions:\n");
  bool in = false;
  for (size_t at = from + 1; at < to;) {
    size_t end = all.find('\n', at);
    std::string_view line = all.substr(at, end - at);
    if (line.starts_with("  ") && !line.starts_with("   ")) in = line.substr(2).starts_with(verb + " ") || line.substr(2) == verb;
    if (in) text.append(line).append("\n");
    at = end + 1;
  }
  return text;
}

}  // namespace

namespace {

bool interrupt_on_tty = false;

// Ctrl-C (or a TERM from a service manager) at any moment: what was
// committed stays, the journal holds what was in flight, and the next run
// resumes from there, as after a kill (which the crash tests walk). Say so
// on a line of its own and end with 128 + the signal. Only write() and
// _exit() here: nothing else is safe in a signal handler.
extern "C" void on_interrupt(int sig) {
  static const char clear[] = "\r\033[K";
  static const char msg[] = "accord: interrupted: run again to resume (nothing is lost)\n";
  if (accord::cli::progress_line_open) (void)!::write(2, "\n", 1);  // the progress line stays, ended (cli/progress.hpp)
  else if (interrupt_on_tty) (void)!::write(2, clear, sizeof clear - 1);
  else (void)!::write(2, "\n", 1);
  (void)!::write(2, msg, sizeof msg - 1);
  ::_exit(128 + sig);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace accord;
  interrupt_on_tty = ::isatty(2);
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  ::sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  cli::GlobalOptions opts;
  std::vector<std::string> rest;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "--help" || a == "-h") && rest.empty()) {
      std::cout << kHelp;
      return exit_code::kOk;
    } else if (a == "--version") {
      std::cout << "accord " ACCORD_VERSION " (connector ABI " << ACCORD_ABI_MAJOR << "."
                << ACCORD_ABI_MINOR << ")\n";
      return exit_code::kOk;
    } else if (a == "--json") {
      opts.json = true;
    } else if ((a == "--admin" || a == "--secrets" || a == "--state") && rest.empty()) {
      if (i + 1 >= argc) {
        std::cerr << "accord: " << a << " needs a file\n";
        return exit_code::kUsage;
      }
      (a == "--admin" ? opts.admin_file : a == "--secrets" ? opts.secrets_file : opts.state_file) = argv[++i];
    } else if (a == "--plugin-dir" || a.starts_with("--plugin-dir=")) {
      std::string v;
      if (a == "--plugin-dir") {
        if (i + 1 >= argc) {
          std::cerr << "accord: --plugin-dir needs a folder\n";
          return exit_code::kUsage;
        }
        v = argv[++i];
      } else {
        v = a.substr(std::strlen("--plugin-dir="));
      }
      opts.plugin_dirs.emplace_back(v);
    } else if (a.starts_with("--") && rest.empty()) {
      std::cerr << "accord: unknown option " << a << " (see accord --help)\n";
      return exit_code::kUsage;
    } else {
      rest.push_back(a);
    }
  }
  if (rest.empty()) {
    std::cerr << kHelp;
    return exit_code::kUsage;
  }
  std::string verb = rest.front();
  rest.erase(rest.begin());
  if (std::find(rest.begin(), rest.end(), "--help") != rest.end() || std::find(rest.begin(), rest.end(), "-h") != rest.end()) {
    std::string h = verb_help(verb);
    if (h.empty()) {
      std::cerr << "accord: unknown verb \"" << verb << "\" (see accord --help)\n";
      return exit_code::kUsage;
    }
    std::cout << "usage: accord [GLOBAL OPTIONS] …\n" << h << "(global options: accord --help; more in docs/cli.md)\n";
    return exit_code::kOk;
  }
  // Verb-local --json is accepted too (accord plugins --json).
  std::erase_if(rest, [&](const std::string& s) {
    if (s == "--json") opts.json = true;
    return s == "--json";
  });
  if (verb == "plugins") return cli::plugins_verb(opts, rest);
  if (verb == "validate") return cli::validate_verb(opts, rest);
  if (verb == "plan") return cli::plan_verb(opts, rest, false);
  if (verb == "run") return cli::plan_verb(opts, rest, true);
  if (verb == "apply") return cli::apply_verb(opts, rest);
  if (verb == "status") return cli::status_verb(opts, rest);
  if (verb == "conflicts") return cli::conflicts_verb(opts, rest);
  if (verb == "undo") return cli::undo_verb(opts, rest);
  if (verb == "log") return cli::log_verb(opts, rest);
  if (verb == "login") return cli::login_verb(opts, rest);
  if (verb == "daemon") return cli::daemon_verb(opts, rest);
  std::cerr << "accord: unknown verb \"" << verb << "\" (see accord --help)\n";
  return exit_code::kUsage;
}
