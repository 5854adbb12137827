// SPDX-License-Identifier: Apache-2.0
// Test driver of the HighLevel provider's Delivery URL (daemon/provider_webhook,
// engine/email_crm_outbound) for tests/email_crm_provider_test.sh:
//   email_crm_provider_tool CONFIG.json serve [CRASH_POINT]   prints "port N", serves until killed;
//                                                             at CRASH_POINT the process ends at once (_exit 9)
//   email_crm_provider_tool CONFIG.json recover               finishes what a kill left, prints the count
// CONFIG: {"journal", "smtp_url", "imap_url", "user", "password", "mailbox": [..],
//          "ca_file", "highlevel_base", "highlevel_token", "location_id", "conversation_provider_id",
//          "public_key_pem", "server_files_sent", "owner"}. CRASH_POINT "pause:P": sleeps 3 s at P.
#include "daemon/provider_webhook.hpp"

#include <boost/json.hpp>

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace json = boost::json;
using namespace accord;

int main(int argc, char** argv) {
  if (argc < 3) return std::cerr << "usage: email_crm_provider_tool CONFIG.json serve [CRASH_POINT] | recover\n", 2;
  std::ifstream in(argv[1]);
  std::stringstream ss;
  ss << in.rdbuf();
  json::object o = json::parse(ss.str()).as_object();
  auto s = [&](const char* k) { return o.contains(k) ? std::string(o.at(k).as_string()) : std::string(); };
  email_crm::OutboundConfig c;
  c.journal = s("journal");
  c.owner = s("owner");  // the stream pair's name, as the daemon gives it (none: --provider FILE)
  c.smtp_url = s("smtp_url");
  c.imap_url = s("imap_url");
  c.user = s("user");
  c.password = s("password");
  c.ca_file = s("ca_file");
  c.highlevel_base = s("highlevel_base");
  c.highlevel_token = s("highlevel_token");
  c.location_id = s("location_id");
  c.conversation_provider_id = s("conversation_provider_id");
  if (!s("public_key_pem").empty()) c.public_key_pem = s("public_key_pem");
  c.server_files_sent = o.contains("server_files_sent") && o.at("server_files_sent").as_bool();
  if (o.contains("mailbox"))
    for (const auto& m : o.at("mailbox").as_array()) c.mailbox.emplace_back(m.as_string());
  auto out = std::make_shared<email_crm::Outbound>(c);
  out->log = [](const std::string& l) { std::cerr << l << std::endl; };
  if (std::string(argv[2]) == "recover") {
    std::cout << "recovered " << out->recover() << std::endl;
    return 0;
  }
  if (argc > 3) {
    std::string point = argv[3];
    out->crash_point = [point](const char* p) {
      if (point == std::string("pause:") + p) std::this_thread::sleep_for(std::chrono::seconds(3));
      if (point == p) {
        std::cerr << "crash point " << p << std::endl;
        _exit(9);
      }
    };
  }
  auto w = daemon::ProviderWebhook::start("127.0.0.1:0", out);
  if (!w) return std::cerr << w.error().message << "\n", 1;
  std::cout << "port " << (*w)->port() << std::endl;
  for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
}
