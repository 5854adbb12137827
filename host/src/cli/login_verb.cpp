// SPDX-License-Identifier: Apache-2.0
// `accord login PROVIDER`: gets a refresh token with the OAuth 2.0
// authorization-code grant, PKCE (S256) and a loopback redirect on
// 127.0.0.1 (RFC 8252), or Microsoft's device-code grant, and stores it in
// the secrets file (0600, atomic) under --name, where a pipeline names it
// with "refresh_token_secret". Each provider asks for the scopes of the
// streams it is told of and no more. Also: which side of a pipeline needs
// signing in again, for `accord status`.
//
// Never prints a token or a client secret (messages go through redact()).
#include "cli/exit_codes.hpp"
#include "cli/login.hpp"
#include "cli/progress.hpp"

#include <accord/json/lenient.hpp>
#include <accord/net/http_client.hpp>
#include <accord/net/loopback_redirect.hpp>
#include <accord/net/oauth_login.hpp>
#include <accord/net/redact.hpp>
#include <accord/net/url_rules.hpp>
#include <accord/text/join.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace json = boost::json;
namespace fs = std::filesystem;

namespace accord::cli {

namespace {

const char* kUsage =
    "usage: accord login google|microsoft|generic --name NAME --client-id ID [--client-secret SECRET | "
    "--client-secret-name NAME] [--secrets FILE] [--streams S,…] [--scope SCOPES] [--tenant T] [--device] "
    "[--no-browser] [--port N] [--redirect-host 127.0.0.1|localhost] [--account EMAIL] [--timeout SECONDS] "
    "[--auth-url URL] [--token-url URL] [--device-url URL] [--login-url URL]\n";

// Each connector stream → the scope it needs (docs/login.md lists them).
// Google: the scopes docs/connectors/google-api.md names per API; "imap" is
// gmail-imap (SASL XOAUTH2 wants full mail access).
const std::map<std::string, std::string> kGoogleScopes = {
    {"contact", "https://www.googleapis.com/auth/contacts"},
    {"event", "https://www.googleapis.com/auth/calendar.events"},
    {"task", "https://www.googleapis.com/auth/tasks"},
    {"message", "https://www.googleapis.com/auth/gmail.modify"},
    {"note", "https://www.googleapis.com/auth/drive"},
    {"imap", "https://mail.google.com/"},
};
// Microsoft Graph's delegated permissions for outlook-mapi's graph backend
// (plugins/outlook-mapi/src/graph_backend.cpp); "imap" is gmail-imap
// against Outlook.com / Exchange Online.
const std::map<std::string, std::string> kMicrosoftScopes = {
    {"contact", "https://graph.microsoft.com/Contacts.ReadWrite"},
    {"event", "https://graph.microsoft.com/Calendars.ReadWrite"},
    {"task", "https://graph.microsoft.com/Tasks.ReadWrite"},
    {"message", "https://graph.microsoft.com/Mail.ReadWrite"},
    {"note", "https://graph.microsoft.com/ShortNotes.ReadWrite"},  // Graph v1.0 /me/notes (not in the default: see the docs)
    {"imap", "https://outlook.office.com/IMAP.AccessAsUser.All"},
};
// What each provider signs in for when --streams is not given: the streams
// its API connector syncs (google-api: all five; outlook-mapi's graph
// backend: contact, event, task, message).
const char* kGoogleDefault = "contact,event,task,message,note";
const char* kMicrosoftDefault = "contact,event,task,message";
// Outlook's master category list (categories made with a colour), which
// every outlook-mapi stream writes to: asked for with any Graph stream.
const char* kMicrosoftCategories = "https://graph.microsoft.com/MailboxSettings.ReadWrite";

struct Args {
  std::string provider, name, client_id, client_secret, client_secret_name, streams, scope, tenant = "common";
  std::string auth_url, token_url, device_url, login_url, redirect_host = "127.0.0.1", account;
  fs::path secrets;
  bool device = false, no_browser = false;
  uint16_t port = 0;
  int timeout_s = 300;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else if (c != ' ') {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// A value quoted for a POSIX shell where it needs it.
std::string shell_quote(const std::string& v) {
  if (!v.empty() && v.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_./:@=,+") ==
                        std::string::npos)
    return v;
  std::string q = "'";
  for (char c : v) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::optional<std::string> parse(const std::vector<std::string>& args, Args& a) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& k = args[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= args.size()) return std::nullopt;
      return args[++i];
    };
    static const std::set<std::string> with_value = {
        "--name",      "--client-id", "--client-secret", "--client-secret-name", "--secrets",  "--streams",
        "--scope",     "--tenant",    "--auth-url",      "--token-url",          "--device-url", "--login-url",
        "--port",      "--redirect-host", "--account",   "--timeout"};
    if (with_value.contains(k)) {
      auto v = value();
      if (!v) return k + " needs a value";
      if (k == "--name") a.name = *v;
      else if (k == "--client-id") a.client_id = *v;
      else if (k == "--client-secret") a.client_secret = *v;
      else if (k == "--client-secret-name") a.client_secret_name = *v;
      else if (k == "--secrets") a.secrets = *v;
      else if (k == "--streams") a.streams = *v;
      else if (k == "--scope") a.scope = *v;
      else if (k == "--tenant") a.tenant = *v;
      else if (k == "--auth-url") a.auth_url = *v;
      else if (k == "--token-url") a.token_url = *v;
      else if (k == "--device-url") a.device_url = *v;
      else if (k == "--login-url") a.login_url = *v;
      else if (k == "--redirect-host") a.redirect_host = *v;
      else if (k == "--account") a.account = *v;
      else if (k == "--port" || k == "--timeout") {
        int n = 0;
        try {
          size_t used = 0;
          n = std::stoi(*v, &used);
          if (used != v->size()) throw std::invalid_argument("");
        } catch (...) {
          return k + " wants a whole number, not \"" + *v + "\"";
        }
        if (k == "--port" && (n < 1 || n > 65535)) return "--port wants 1-65535 (leave it out to let the system choose)";
        if (k == "--timeout" && n < 1) return "--timeout wants seconds, at least 1";
        if (k == "--port") a.port = static_cast<uint16_t>(n);
        else a.timeout_s = n;
      }
    } else if (k == "--device") {
      a.device = true;
    } else if (k == "--no-browser") {
      a.no_browser = true;
    } else if (k.starts_with("--")) {
      return "unknown option " + k;
    } else if (a.provider.empty()) {
      a.provider = k;
    } else {
      return "one provider only (got \"" + a.provider + "\" and \"" + k + "\")";
    }
  }
  if (a.provider.empty()) return "which provider: google, microsoft or generic";
  if (a.provider != "google" && a.provider != "microsoft" && a.provider != "generic")
    return "unknown provider \"" + a.provider + "\" (google, microsoft or generic)";
  if (a.name.empty()) return "--name NAME: the secret's name, which the pipeline gives as \"refresh_token_secret\"";
  if (a.client_id.empty())
    return "--client-id: the OAuth client (app) id of your app registration (docs/login.md says how to make one)";
  if (!a.client_secret.empty() && !a.client_secret_name.empty()) return "give --client-secret or --client-secret-name, not both";
  if (a.redirect_host != "127.0.0.1" && a.redirect_host != "localhost")
    return "--redirect-host is 127.0.0.1 (the default) or localhost";
  if (a.device && a.provider == "google")
    return "Google's device flow (for TVs and limited-input devices) refuses the Gmail and Calendar scopes, so "
           "accord login google has no --device: use --no-browser on a machine without a browser, and paste the "
           "address the browser is sent to";
  if (a.device && a.no_browser) return "--device and --no-browser are two ways to sign in without a browser here: give one";
  if (a.provider == "generic") {
    if (a.auth_url.empty() && !a.device) return "generic: --auth-url (the service's authorization endpoint) is needed";
    if (a.token_url.empty()) return "generic: --token-url (the service's token endpoint) is needed";
    if (a.scope.empty()) return "generic: --scope (the scopes the service's API needs, space-separated) is needed";
    if (a.device && a.device_url.empty()) return "generic --device: --device-url (the device authorization endpoint) is needed";
    if (!a.streams.empty()) return "generic: --streams is for google and microsoft; give --scope";
  }
  if (a.tenant.empty() || a.tenant.find_first_of("/?#& ") != std::string::npos)
    return "--tenant is common, organizations, consumers, or the tenant's id or domain";
  return std::nullopt;
}

// The scopes to ask for: --scope as given, else those of --streams.
std::optional<std::string> scopes_of(const Args& a, std::string& out) {
  if (!a.scope.empty()) {
    out = a.scope;
    if (a.provider == "microsoft" && a.scope.find("offline_access") == std::string::npos) out += " offline_access";
    return std::nullopt;
  }
  const auto& table = a.provider == "google" ? kGoogleScopes : kMicrosoftScopes;
  std::vector<std::string> scopes;
  if (a.provider == "microsoft") scopes.push_back("offline_access");  // Microsoft answers a refresh token only then
  for (const std::string& s : split(a.streams.empty() ? (a.provider == "google" ? kGoogleDefault : kMicrosoftDefault) : a.streams, ',')) {
    auto it = table.find(s);
    if (it == table.end()) {
      std::vector<std::string> names;
      for (const auto& [k, v] : table) names.push_back(k);
      std::string known = join(names, ", ");
      return "--streams: \"" + s + "\" is not a stream accord login " + a.provider + " knows (" + known + ")";
    }
    if (std::find(scopes.begin(), scopes.end(), it->second) == scopes.end()) scopes.push_back(it->second);
  }
  if (a.provider == "microsoft" && std::any_of(scopes.begin(), scopes.end(), [](const std::string& x) {
        return x.rfind("https://graph.microsoft.com/", 0) == 0;
      }))
    scopes.emplace_back(kMicrosoftCategories);
  out = join(scopes, " ");
  return std::nullopt;
}

// Opens the system browser on `url` where there is a display, without
// waiting for it; false where there is none (then the printed URL is all).
bool open_browser(const std::string& url) {
  const char* d = std::getenv("DISPLAY");
  const char* w = std::getenv("WAYLAND_DISPLAY");
  if ((!d || !*d) && (!w || !*w)) return false;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  std::string prog = "xdg-open";
  std::vector<char*> argv = {prog.data(), const_cast<char*>(url.c_str()), nullptr};
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, "xdg-open", &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return false;
  // xdg-open hands the URL to the browser and ends soon: reap it then
  std::thread([pid] { ::waitpid(pid, nullptr, 0); }).detach();
  return true;
}

struct Endpoints {
  std::string authorize, token, device;
  std::vector<std::pair<std::string, std::string>> extra;  // the provider's own authorization parameters
};

Endpoints endpoints_of(const Args& a) {
  Endpoints e;
  if (a.provider == "google") {
    // developers.google.com/identity/protocols/oauth2/native-app: "Step 2: Send a request to Google's OAuth 2.0
    // server"; access_type=offline for a refresh token, prompt=consent so that one comes on every sign-in
    e.authorize = "https://accounts.google.com/o/oauth2/v2/auth";
    e.token = "https://oauth2.googleapis.com/token";
    e.extra = {{"access_type", "offline"}, {"prompt", "consent"}};
    if (!a.account.empty()) e.extra.emplace_back("login_hint", a.account);
  } else if (a.provider == "microsoft") {
    // learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow, v2-oauth2-device-code
    std::string origin = a.login_url.empty() ? "https://login.microsoftonline.com" : a.login_url;
    while (!origin.empty() && origin.back() == '/') origin.pop_back();
    std::string base = origin + "/" + net::url_encode(a.tenant) + "/oauth2/v2.0/";
    e.authorize = base + "authorize";
    e.token = base + "token";
    e.device = base + "devicecode";
    e.extra = {{"prompt", "select_account"}};
    if (!a.account.empty()) e.extra.emplace_back("login_hint", a.account);
  }
  if (!a.auth_url.empty()) e.authorize = a.auth_url;
  if (!a.token_url.empty()) e.token = a.token_url;
  if (!a.device_url.empty()) e.device = a.device_url;
  return e;
}

void say(const GlobalOptions& o, const json::object& event, const std::string& text) {
  if (o.json) json_line(event);
  else std::cerr << text << std::flush;
}

int fail(const GlobalOptions& o, int code, const std::string& message) {
  std::string m = net::redact(message);
  if (o.json) json_line(json::object{{"type", "error"}, {"message", m}, {"exit", code}});
  else std::cerr << "accord: login: " << m << "\n";
  return code;
}

// Waits for the redirect at the listener, or (--no-browser) a pasted
// redirect address on stdin, whichever comes first.
std::optional<std::string> await_redirect(net::LoopbackRedirect& listener, bool read_stdin, int timeout_s,
                                          bool& stdin_closed) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  std::string line;
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto t = listener.wait(std::chrono::milliseconds(read_stdin ? 50 : 500))) return t;
    if (!read_stdin || stdin_closed) continue;
    pollfd p{0, POLLIN, 0};
    if (::poll(&p, 1, 150) <= 0) continue;
    char buf[4096];
    ssize_t n = ::read(0, buf, sizeof buf);
    if (n <= 0) {
      stdin_closed = true;
      continue;
    }
    line.append(buf, static_cast<size_t>(n));
    size_t nl = line.find('\n');
    if (nl == std::string::npos) continue;
    std::string got = line.substr(0, nl);
    line.erase(0, nl + 1);
    if (got.find_first_not_of(" \t\r") == std::string::npos) continue;
    return got;
  }
  return std::nullopt;
}

}  // namespace

int login_verb(const GlobalOptions& o, const std::vector<std::string>& args) {
  Args a;
  if (auto why = parse(args, a)) {
    std::cerr << "accord: login: " << *why << "\n" << kUsage;
    return exit_code::kUsage;
  }
  std::string scope;
  if (auto why = scopes_of(a, scope)) {
    std::cerr << "accord: login: " << *why << "\n";
    return exit_code::kUsage;
  }
  if (a.secrets.empty()) a.secrets = o.secrets_file.empty() ? default_secrets_file() : o.secrets_file;
  net::OAuthClient client{a.client_id, a.client_secret};
  if (!a.client_secret_name.empty()) {
    auto s = read_secret(a.secrets, a.client_secret_name);
    if (!s) return fail(o, exit_code::kInvalidInput, s.error().message);
    client.client_secret = *s;
  }
  net::add_secret(client.client_secret);
  // the secrets file must be one we can write before anyone signs in
  if (struct stat st {}; ::stat(a.secrets.c_str(), &st) == 0) {
    if (st.st_mode & (S_IRWXG | S_IRWXO))
      return fail(o, exit_code::kInvalidInput, a.secrets.string() + " is readable by others; run chmod 600 " + a.secrets.string());
  } else if (fs::path dir = a.secrets.parent_path(); !dir.empty()) {
    std::error_code ec;
    if (!fs::exists(dir, ec) && fs::create_directories(dir, ec))
      fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (ec) return fail(o, exit_code::kFailure, "cannot make the folder " + dir.string() + " for the secrets file: " + ec.message());
  }
  Endpoints ep = endpoints_of(a);
  net::HttpClient http(net::HttpOptions{});
  net::TokenAnswer tok;
  try {
    if (a.device) {
      if (ep.device.empty()) return fail(o, exit_code::kUsage, "--device needs the device authorization endpoint (--device-url)");
      net::DeviceAuthorization d = net::start_device_flow(http, ep.device, client, scope);
      say(o,
          json::object{{"type", "device"}, {"user_code", d.user_code}, {"verification_uri", d.verification_uri},
                       {"expires_in", d.expires_in_s}},
          "To sign in, open " + d.verification_uri + " in a browser (on any device) and enter the code " + d.user_code +
              "\n(waiting for the sign-in; the code expires in " + std::to_string(d.expires_in_s / 60) + " minutes)\n");
      tok = net::poll_device_flow(http, ep.token, client, d, [](std::chrono::seconds s) { std::this_thread::sleep_for(s); });
    } else {
      if (std::string why = net::credential_url_problem(ep.authorize); !why.empty())
        return fail(o, exit_code::kUsage, "the authorization endpoint " + ep.authorize + ": " + why);
      net::Pkce pkce = net::make_pkce();
      std::string state = net::random_token();
      // RFC 8252 section 7.3: the loopback IP literal, a port the system
      // chooses (Google and Microsoft match any port of a loopback redirect)
      net::LoopbackRedirect listener(a.port, "/", state);
      std::string redirect = listener.redirect_uri(a.redirect_host);
      std::string url = net::authorization_url(ep.authorize, client, redirect, scope, state, pkce, ep.extra);
      bool opened = !a.no_browser && open_browser(url);
      say(o, json::object{{"type", "authorize"}, {"url", url}, {"redirect_uri", redirect}, {"browser", opened}},
          std::string(opened ? "Your browser was opened to sign in; if it did not show the page, open this address:\n"
                             : "Open this address in a browser to sign in:\n") +
              "\n  " + url + "\n\n" +
              (a.no_browser ? "After the sign-in the browser is sent to " + redirect +
                                  "…, which may fail to load on that machine: copy the address it was sent to from "
                                  "its address bar and paste it here, then press Enter.\n"
                            : "Waiting for the browser to come back to " + redirect + " …\n"));
      bool stdin_closed = false;
      auto got = await_redirect(listener, a.no_browser, a.timeout_s, stdin_closed);
      if (!got)
        return fail(o, exit_code::kFailure, "no sign-in came back within " + std::to_string(a.timeout_s) +
                                                " seconds (--timeout); nothing was stored. Run accord login again");
      std::string code = net::code_from_redirect(*got, state);
      tok = net::exchange_code(http, ep.token, client, code, redirect, pkce.verifier);
    }
  } catch (const net::LoginError& e) {
    return fail(o, exit_code::kFailure, e.what());
  } catch (const std::runtime_error& e) {  // the listener could not start
    return fail(o, exit_code::kFailure, e.what());
  }
  if (auto stored = store_secret(a.secrets, a.name, tok.refresh_token); !stored)
    return fail(o, exit_code::kInvalidInput, stored.error().message);
  // Scopes the user did not grant (Google's consent screen lets them untick
  // each one): the streams that need them will be refused.
  std::vector<std::string> missing;
  if (!tok.scope.empty()) {
    auto granted = split(tok.scope, ' ');
    for (const std::string& s : split(scope, ' ')) {
      if (s == "offline_access") continue;
      bool have = std::any_of(granted.begin(), granted.end(), [&](const std::string& g) {
        // Microsoft answers Graph scopes without their resource prefix
        return g == s || (s.starts_with("https://graph.microsoft.com/") && g == s.substr(28));
      });
      if (!have) missing.push_back(s);
    }
  }
  std::string warnings;
  for (const auto& m : missing)
    warnings += "warning: the account did not grant " + m + ": the streams that need it will be refused; sign in again and allow it\n";
  if (tok.refresh_token_expires_in) {
    int64_t secs = *tok.refresh_token_expires_in;
    std::string days = std::to_string((secs + 43200) / 86400);
    warnings += "warning: this refresh token expires in " + days + " days (the token endpoint's refresh_token_expires_in)";
    if (secs <= 7 * 86400 + 3600)
      warnings += ": Google gives apps whose publishing status is \"Testing\" refresh tokens that last 7 days. Set the "
                  "app's publishing status to \"In production\" (Google Auth Platform, Audience) and sign in again, or "
                  "run this command again within " + days + " days";
    else
      warnings += " (access for a limited time was chosen at the consent screen); run this command again before then";
    warnings += "\n";
  }
  json::object oauth{{"client_id", a.client_id}, {"refresh_token_secret", a.name}};
  if (!a.client_secret_name.empty()) oauth["client_secret"] = json::object{{"$secret", a.client_secret_name}};
  else if (!client.client_secret.empty()) oauth["client_secret"] = json::object{{"$secret", "NAME_OF_THE_CLIENT_SECRET"}};
  if (a.provider == "microsoft") oauth["scope"] = scope;  // Microsoft wants the same scopes on every refresh
  if (!a.token_url.empty() && a.provider != "microsoft") oauth["token_url"] = a.token_url;
  if (o.json) {
    json::object ev{{"type", "signed_in"}, {"provider", a.provider}, {"name", a.name}, {"secrets", a.secrets.string()},
                    {"scope", tok.scope.empty() ? scope : tok.scope}, {"oauth2", oauth}};
    if (tok.refresh_token_expires_in) ev["refresh_token_expires_in"] = *tok.refresh_token_expires_in;
    json::array miss;
    for (const auto& m : missing) miss.emplace_back(m);
    ev["not_granted"] = std::move(miss);
    json_line(ev);
  } else {
    std::cerr << warnings;
    std::cout << "signed in: the refresh token is stored as \"" << a.name << "\" in " << a.secrets.string() << " (mode 0600)\n"
              << "in the pipeline's connector config" << (a.provider == "microsoft" ? " (with \"tenant\": \"" + a.tenant + "\")" : std::string())
              << ":\n  \"oauth2\": " << json::serialize(oauth) << "\n";
  }
  return exit_code::kOk;
}

// ---- accord status: which side needs signing in again ---------------------

std::vector<SignInNeeded> sign_in_needed(const Pipeline& pipeline, const std::vector<RunRow>& runs) {
  std::vector<SignInNeeded> out;
  const RunRow* newest = nullptr;
  for (const auto& r : runs)
    if (!r.finished.empty()) {
      newest = &r;
      break;
    }
  if (!newest || newest->error.empty()) return out;
  const std::string& err = newest->error;
  // invalid_grant is RFC 6749 section 5.2's refusal of a refresh token
  // (revoked, expired, a password changed); the shared refresher
  // (libs/net/oauth2.cpp) and the connectors say "sign in" with it.
  // the run's summary records each pair's failure by status (sync_run.cpp);
  // runs from before it did only have the words
  boost::system::error_code ec;
  json::value summary = json::parse(newest->summary, ec);
  bool auth_required = false;
  if (!ec && summary.is_object())
    for (const auto& [pair, v] : summary.get_object())
      if (const json::value* es = v.is_object() ? v.get_object().if_contains("error_status") : nullptr;
          es && es->is_string() && es->get_string() == "auth_required")
        auth_required = true;
  bool refused = auth_required || err.find("invalid_grant") != std::string::npos ||
                 err.find("refresh token was revoked or has expired") != std::string::npos ||
                 err.find("(accord login ") != std::string::npos;
  if (!refused) return out;
  struct Candidate {
    Side side;
    const Endpoint* e;
    const json::object* oauth;
  };
  std::vector<Candidate> sides;
  for (Side s : {Side::kLeft, Side::kRight}) {
    const Endpoint& e = pipeline.endpoint(s);
    if (!e.config.is_object()) continue;
    const json::value* oa = e.config.get_object().if_contains("oauth2");
    if (oa && oa->is_object()) sides.push_back({s, &e, &oa->get_object()});
  }
  // Two sides that sign in: the one the message names (its token endpoint,
  // or its connector), else both.
  if (sides.size() > 1) {
    std::vector<Candidate> named;
    for (const auto& c : sides) {
      const json::value* tu = c.oauth->if_contains("token_url");
      bool by_url = tu && tu->is_string() && !tu->get_string().empty() && err.find(std::string(tu->get_string())) != std::string::npos;
      if (by_url || err.find(c.e->connector + ":") != std::string::npos) named.push_back(c);
    }
    if (!named.empty()) sides = named;
  }
  using json_read::str;
  auto secret_name = [](const json::object& o, const char* k) {
    const json::value* v = o.if_contains(k);
    if (!v || !v->is_object()) return std::string();
    const json::value* n = v->get_object().if_contains("$secret");
    return n && n->is_string() ? std::string(n->get_string()) : std::string();
  };
  for (const auto& c : sides) {
    const json::object& cfg = c.e->config.get_object();
    std::string token_url = str(*c.oauth, "token_url");
    std::string provider = "generic";
    if (c.e->connector == "google-api" || token_url.find("googleapis.com") != std::string::npos) provider = "google";
    else if (c.e->connector == "outlook-mapi" || token_url.find("login.microsoftonline.com") != std::string::npos)
      provider = "microsoft";
    std::string cmd = "accord login " + provider;
    if (!pipeline.secrets_file.empty()) cmd += " --secrets " + shell_quote(pipeline.secrets_file.string());
    std::string name = str(*c.oauth, "refresh_token_secret");
    if (name.empty()) name = secret_name(*c.oauth, "refresh_token");
    cmd += " --name " + shell_quote(name.empty() ? "NAME" : name);
    std::string id = str(*c.oauth, "client_id");
    cmd += " --client-id " + shell_quote(id.empty() ? "CLIENT_ID" : id);
    if (std::string s = secret_name(*c.oauth, "client_secret"); !s.empty()) cmd += " --client-secret-name " + shell_quote(s);
    if (provider == "microsoft") {
      if (std::string t = str(cfg, "tenant"); !t.empty() && t != "common") cmd += " --tenant " + shell_quote(t);
      // the scopes the connector refreshes with: sign in for those, or Microsoft refuses the refresh
      // (outlook-mapi's default when the pipeline gives none: graph_backend.cpp's config schema)
      std::string sc = str(*c.oauth, "scope");
      if (sc.empty() && c.e->connector == "outlook-mapi")
        sc = "offline_access https://graph.microsoft.com/Contacts.ReadWrite https://graph.microsoft.com/Calendars.ReadWrite "
             "https://graph.microsoft.com/Tasks.ReadWrite https://graph.microsoft.com/Mail.ReadWrite "
             "https://graph.microsoft.com/MailboxSettings.ReadWrite";
      if (!sc.empty()) cmd += " --scope " + shell_quote(sc);
      if (std::string lu = str(cfg, "login_url"); !lu.empty() && lu != "https://login.microsoftonline.com")
        cmd += " --login-url " + shell_quote(lu);
    }
    if (c.e->connector == "gmail-imap" && provider != "generic") cmd += " --streams imap";
    if (provider == "generic") {
      cmd += " --token-url " + shell_quote(token_url.empty() ? "TOKEN_URL" : token_url) + " --auth-url AUTH_URL --scope SCOPES";
    } else if (provider == "google" && !token_url.empty() && token_url != "https://oauth2.googleapis.com/token") {
      cmd += " --token-url " + shell_quote(token_url);
    }
    out.push_back({c.side == Side::kLeft ? "left" : "right", c.e->connector, cmd});
  }
  return out;
}

}  // namespace accord::cli
