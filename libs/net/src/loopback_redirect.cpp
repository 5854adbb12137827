// SPDX-License-Identifier: Apache-2.0
#include <accord/net/loopback_redirect.hpp>

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

#include <condition_variable>
#include <mutex>
#include <stdexcept>

namespace accord::net {

namespace {

struct Shared {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<std::string> target;
  std::string path, state;
};

// What the browser shows. No value from the request is echoed into it.
const char* page(bool ok, bool state_ok) {
  if (!state_ok)
    return "<!doctype html><title>Accord</title><p>This answer does not belong to the sign-in Accord started "
           "(its <code>state</code> differs). Nothing was stored; start <code>accord login</code> again.</p>";
  return ok ? "<!doctype html><title>Accord</title><p>Accord received the answer. You can close this window and "
              "return to the terminal.</p>"
            : "<!doctype html><title>Accord</title><p>The sign-in was not completed; the terminal says why.</p>";
}

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(Shared& s) : s_(s) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& res) override {
    Poco::URI uri(req.getURI());
    bool has_code = false, has_error = false, state_ok = false;
    for (const auto& [k, v] : uri.getQueryParameters()) {
      has_code |= k == "code";
      has_error |= k == "error";
      if (k == "state") state_ok = v == s_.state;
    }
    if (req.getMethod() != "GET" || uri.getPath() != s_.path || (!has_code && !has_error)) {
      res.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NOT_FOUND);
      res.setContentLength(0);
      res.send();
      return;
    }
    res.setStatus(state_ok && has_code ? Poco::Net::HTTPResponse::HTTP_OK : Poco::Net::HTTPResponse::HTTP_BAD_REQUEST);
    res.setContentType("text/html; charset=utf-8");
    res.set("Cache-Control", "no-store");
    std::string body = page(has_code, state_ok);
    res.setContentLength(static_cast<std::streamsize>(body.size()));
    res.send() << body;
    std::lock_guard lock(s_.mu);
    if (!s_.target) s_.target = req.getURI();
    s_.cv.notify_all();
  }

 private:
  Shared& s_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(Shared& s) : s_(s) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new Handler(s_);  // POCO owns and deletes it
  }

 private:
  Shared& s_;
};

}  // namespace

struct LoopbackRedirect::Impl {
  Shared shared;
  uint16_t port = 0;
  std::unique_ptr<Poco::Net::HTTPServer> server;
};

LoopbackRedirect::LoopbackRedirect(uint16_t port, std::string path, std::string expected_state)
    : impl_(std::make_unique<Impl>()) {
  impl_->shared.path = path.empty() ? "/" : std::move(path);
  impl_->shared.state = std::move(expected_state);
  Poco::Net::ServerSocket socket;
  try {
    // no SO_REUSEADDR: a port another program listens on is refused, not shared
    socket.bind(Poco::Net::SocketAddress("127.0.0.1", port), false);
    socket.listen(8);
  } catch (const Poco::Net::NetException& e) {
    if (port)
      throw std::runtime_error("cannot listen on 127.0.0.1:" + std::to_string(port) + " for the sign-in's redirect (" +
                               e.displayText() + "): another program uses that port; stop it, or give another --port "
                               "(one the app registration allows), or leave --port out to let the system choose");
    throw std::runtime_error("cannot listen on 127.0.0.1 for the sign-in's redirect: " + e.displayText());
  }
  impl_->port = socket.address().port();
  auto* params = new Poco::Net::HTTPServerParams;  // POCO's reference count owns it
  params->setMaxThreads(2);
  params->setKeepAlive(false);
  impl_->server = std::make_unique<Poco::Net::HTTPServer>(new Factory(impl_->shared), socket, params);
  impl_->server->start();
}

LoopbackRedirect::~LoopbackRedirect() {
  if (impl_ && impl_->server) impl_->server->stopAll(true);
}

uint16_t LoopbackRedirect::port() const { return impl_->port; }

std::string LoopbackRedirect::redirect_uri(const std::string& host) const {
  return "http://" + host + ":" + std::to_string(impl_->port) + impl_->shared.path;
}

std::optional<std::string> LoopbackRedirect::wait(std::chrono::milliseconds wait) {
  std::unique_lock lock(impl_->shared.mu);
  impl_->shared.cv.wait_for(lock, wait, [&] { return impl_->shared.target.has_value(); });
  return impl_->shared.target;
}

}  // namespace accord::net
