// SPDX-License-Identifier: Apache-2.0
// The daemon's loopback status endpoint (http_status.hpp).
#include "daemon/http_status.hpp"

#include <accord/kit/atomic_write.hpp>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/URI.h>

#include <boost/json.hpp>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include <sys/stat.h>

namespace json = boost::json;
namespace fs = std::filesystem;

namespace accord::daemon {

fs::path default_token_file() {
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) return fs::path(x) / "accord/daemon.token";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".config/accord/daemon.token";
  return "daemon.token";
}

Result<std::string> http_token(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0) {
    if (st.st_mode & 077)
      return fail(file.string() + " may be read by others (mode " + std::to_string(st.st_mode & 0777) +
                  "): chmod 600 " + file.string());
    std::ifstream in(file);
    std::string token;
    std::getline(in, token);
    if (token.size() < 16) return fail(file.string() + ": the token is shorter than 16 characters: write a longer one, or delete the file and a new one is made");
    return token;
  }
  std::random_device rd;
  static const char hex[] = "0123456789abcdef";
  std::string token;
  for (int i = 0; i < 32; ++i) {
    unsigned v = rd() & 0xff;
    token += hex[v >> 4], token += hex[v & 15];
  }
  std::error_code ec;
  if (!fs::exists(file.parent_path(), ec) && !file.parent_path().empty()) {
    fs::create_directories(file.parent_path(), ec);
    fs::permissions(file.parent_path(), fs::perms::owner_all, ec);
  }
  try {
    kit::atomic_write(file, token + "\n", {.new_mode = 0600});
  } catch (const std::exception& e) {
    return fail(std::string("cannot write the status page's token: ") + e.what());
  }
  return token;
}

namespace {

std::string esc(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string text(const json::object& o, const char* k) {
  const json::value* v = o.if_contains(k);
  if (!v) return "";
  if (v->is_string()) return std::string(v->get_string());
  return json::serialize(*v);
}

bool same(std::string_view a, std::string_view b) {  // in a time that does not say where they differ
  if (a.size() != b.size()) return false;
  unsigned char d = 0;
  for (size_t i = 0; i < a.size(); ++i) d |= static_cast<unsigned char>(a[i] ^ b[i]);
  return d == 0;
}

}  // namespace

std::string status_page(const json::object& h) {
  std::string out =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Accord daemon</title>"
      "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em}"
      "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}.bad{color:#a00}.ok{color:#070}</style>"
      "</head><body><h1>Accord daemon</h1>";
  out += "<p id=\"summary\">status: <b class=\"" + std::string(text(h, "status") == "ok" ? "ok" : "bad") + "\">" +
         esc(text(h, "status")) + "</b>, pid " + esc(text(h, "pid")) + ", since " + esc(text(h, "started")) + "</p>";
  const json::value* pipes = h.if_contains("pipelines");
  if (pipes && pipes->is_array())
    for (const auto& pv : pipes->get_array()) {
      if (!pv.is_object()) continue;
      const json::object& p = pv.get_object();
      std::string name = text(p, "name");
      out += "<section class=\"pipeline\" id=\"pipeline-" + esc(name) + "\"><h2>" + esc(name) + "</h2><p>" +
             esc(text(p, "file")) + "</p>";
      out += "<p>open conflicts: <span class=\"conflicts\">" + esc(text(p, "conflicts")) +
             "</span>; quarantined records: <span class=\"quarantined\">" + esc(text(p, "quarantined")) + "</span></p>";
      if (auto* si = p.if_contains("sign_in"); si && si->is_array())
        for (const auto& s : si->get_array())
          if (s.is_object())
            out += "<p class=\"sign-in bad\">needs sign-in: the " + esc(text(s.get_object(), "side")) + " side (" +
                   esc(text(s.get_object(), "connector")) + "); run <code>" + esc(text(s.get_object(), "command")) + "</code></p>";
      out += "<table><tr><th>pair</th><th>state</th><th>next run</th><th>why</th><th>last run</th><th>result</th><th>error</th></tr>";
      if (auto* pairs = p.if_contains("pairs"); pairs && pairs->is_object())
        for (const auto& [pn, pv2] : pairs->get_object()) {
          if (!pv2.is_object()) continue;
          const json::object& r = pv2.get_object();
          std::string last = text(r, "last_status");
          out += "<tr class=\"pair\"><td>" + esc(pn) + "</td><td>" + esc(text(r, "state")) + "</td><td>" +
                 esc(text(r, "next_run")) + "</td><td>" + esc(text(r, "next_reason")) + "</td><td>" +
                 esc(text(r, "last_finished")) + "</td><td class=\"" + (last == "ok" ? "ok" : "bad") + "\">" + esc(last) +
                 (text(r, "last_error_status").empty() ? "" : " (" + esc(text(r, "last_error_status")) + ")") + "</td><td>" +
                 esc(text(r, "last_error")) + "</td></tr>";
        }
      out += "</table></section>";
    }
  out += "</body></html>\n";
  return out;
}

struct StatusServer::Impl {
  std::string token;
  uint16_t port = 0;
  std::function<json::object()> snapshot;
  std::unique_ptr<Poco::Net::HTTPServer> server;
};

namespace {

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(StatusServer::Impl* s) : s_(s) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& res) override {
    Poco::URI uri(req.getURI());
    std::string given;
    if (req.has("Authorization") && req.get("Authorization").starts_with("Bearer ")) given = req.get("Authorization").substr(7);
    for (const auto& [k, v] : uri.getQueryParameters())
      if (k == "token") given = v;
    std::string host = req.getHost(), port = std::to_string(s_->port);
    bool host_ok = host == "127.0.0.1:" + port || host == "localhost:" + port;
    auto answer = [&](Poco::Net::HTTPResponse::HTTPStatus st, const std::string& type, const std::string& body) {
      res.setStatus(st);
      res.setContentType(type);
      res.set("Cache-Control", "no-store");
      res.set("X-Content-Type-Options", "nosniff");
      res.sendBuffer(body.data(), body.size());
    };
    if (!host_ok) return answer(Poco::Net::HTTPResponse::HTTP_FORBIDDEN, "text/plain", "wrong Host: use 127.0.0.1:" + port + "\n");
    if (!same(given, s_->token))
      return answer(Poco::Net::HTTPResponse::HTTP_UNAUTHORIZED, "text/plain",
                    "the token is missing or wrong: Authorization: Bearer TOKEN, or ?token=TOKEN (the daemon's token file)\n");
    if (req.getMethod() != "GET") return answer(Poco::Net::HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "text/plain", "GET only\n");
    if (uri.getPath() == "/health") return answer(Poco::Net::HTTPResponse::HTTP_OK, "application/json", json::serialize(s_->snapshot()) + "\n");
    if (uri.getPath() == "/") return answer(Poco::Net::HTTPResponse::HTTP_OK, "text/html; charset=utf-8", status_page(s_->snapshot()));
    answer(Poco::Net::HTTPResponse::HTTP_NOT_FOUND, "text/plain", "not found: / or /health\n");
  }

 private:
  StatusServer::Impl* s_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(StatusServer::Impl* s) : s_(s) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override { return new Handler(s_); }

 private:
  StatusServer::Impl* s_;
};

}  // namespace

Result<std::unique_ptr<StatusServer>> StatusServer::start(const std::string& spec, const std::string& token,
                                                         std::function<json::object()> snapshot) {
  std::string port_text = spec;
  if (auto colon = spec.rfind(':'); colon != std::string::npos) {
    std::string host = spec.substr(0, colon);
    if (host != "127.0.0.1" && host != "localhost")
      return fail("--http " + spec + ": the status page listens on 127.0.0.1 only (write --http 127.0.0.1:PORT or --http PORT)");
    port_text = spec.substr(colon + 1);
  }
  char* end = nullptr;
  long port = std::strtol(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end || port < 0 || port > 65535) return fail("--http " + spec + ": not a port (0 to 65535)");
  auto s = std::unique_ptr<StatusServer>(new StatusServer);
  s->impl_ = std::make_unique<Impl>();
  s->impl_->token = token;
  s->impl_->snapshot = std::move(snapshot);
  Poco::Net::ServerSocket socket;
  try {
    socket.bind(Poco::Net::SocketAddress("127.0.0.1", static_cast<uint16_t>(port)), false);
    socket.listen(16);
  } catch (const Poco::Exception& e) {
    return fail("--http " + spec + ": cannot listen on 127.0.0.1:" + port_text + ": " + e.displayText() +
                " (another program has it? choose another port, or 0)");
  }
  s->impl_->port = socket.address().port();
  auto* params = new Poco::Net::HTTPServerParams;  // POCO's reference count owns it
  params->setMaxThreads(2);
  params->setKeepAlive(false);
  s->impl_->server = std::make_unique<Poco::Net::HTTPServer>(new Factory(s->impl_.get()), socket, params);
  s->impl_->server->start();
  return s;
}

StatusServer::~StatusServer() {
  if (impl_ && impl_->server) impl_->server->stopAll(true);
}

uint16_t StatusServer::port() const { return impl_->port; }

}  // namespace accord::daemon
