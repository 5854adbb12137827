// SPDX-License-Identifier: Apache-2.0
// The provider's Delivery URL (provider_webhook.hpp).
#include "daemon/provider_webhook.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/URI.h>

#include <condition_variable>
#include <istream>
#include <mutex>
#include <thread>

namespace accord::daemon {

struct ProviderWebhook::Impl {
  std::shared_ptr<email_crm::Outbound> out;
  uint16_t port = 0;
  std::unique_ptr<Poco::Net::HTTPServer> server;
  std::mutex m;
  std::condition_variable cv;
  bool stopping = false;
  std::thread retry;  // recover() every 5 minutes
};

namespace {

constexpr size_t kMaxBody = 32u << 20;

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(ProviderWebhook::Impl* s) : s_(s) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& res) override {
    auto answer = [&](int st, const std::string& body) {
      res.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(st));
      res.setContentType("application/json");
      res.set("Cache-Control", "no-store");
      res.sendBuffer(body.data(), body.size());
    };
    if (Poco::URI(req.getURI()).getPath() != "/highlevel/outbound") return answer(404, "{\"error\":\"POST /highlevel/outbound\"}\n");
    if (req.getMethod() != "POST") return answer(405, "{\"error\":\"POST only\"}\n");
    std::string body;
    std::istream& in = req.stream();
    char buf[65536];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      body.append(buf, static_cast<size_t>(in.gcount()));
      if (body.size() > kMaxBody) return answer(413, "{\"error\":\"the body is larger than 32 MiB\"}\n");
    }
    std::string sig = req.has("X-GHL-Signature") ? req.get("X-GHL-Signature") : "";
    email_crm::WebhookAnswer a = s_->out->handle(body, sig);
    answer(a.status, a.body);
  }

 private:
  ProviderWebhook::Impl* s_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(ProviderWebhook::Impl* s) : s_(s) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override { return new Handler(s_); }

 private:
  ProviderWebhook::Impl* s_;
};

}  // namespace

Result<std::unique_ptr<ProviderWebhook>> ProviderWebhook::start(const std::string& spec, std::shared_ptr<email_crm::Outbound> out) {
  std::string host = "127.0.0.1", port = spec;
  if (auto colon = spec.rfind(':'); colon != std::string::npos) host = spec.substr(0, colon), port = spec.substr(colon + 1);
  auto w = std::unique_ptr<ProviderWebhook>(new ProviderWebhook());
  w->impl_ = std::make_unique<Impl>();
  w->impl_->out = std::move(out);
  try {
    Poco::Net::ServerSocket sock(Poco::Net::SocketAddress(host, static_cast<uint16_t>(std::stoi(port))));
    w->impl_->port = sock.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(4);
    w->impl_->server = std::make_unique<Poco::Net::HTTPServer>(new Factory(w->impl_.get()), sock, params);
    w->impl_->server->start();
    Impl* impl = w->impl_.get();
    impl->retry = std::thread([impl] {
      std::unique_lock lk(impl->m);
      while (!impl->cv.wait_for(lk, std::chrono::minutes(5), [impl] { return impl->stopping; })) {
        lk.unlock();
        impl->out->recover();
        lk.lock();
      }
    });
  } catch (const std::exception& e) {
    return fail("the provider's Delivery URL cannot listen on " + spec + ": " + e.what());
  }
  return w;
}

ProviderWebhook::~ProviderWebhook() {
  if (!impl_) return;
  {
    std::lock_guard lk(impl_->m);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  if (impl_->retry.joinable()) impl_->retry.join();
  if (impl_->server) impl_->server->stopAll(true);
}

uint16_t ProviderWebhook::port() const { return impl_->port; }

}  // namespace accord::daemon
