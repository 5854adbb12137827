// SPDX-License-Identifier: Apache-2.0
// For tools/campaigns/first_sync_diff.sh: each line of stdin parsed by
// Boost.JSON and written back by json::serialize (the form the local
// connector stores, which the first sync's scanner copies as it is), or
// "ERR <why>" where it does not parse. Header-only Boost.JSON: built by the
// script with c++ into its work folder.
#include <boost/json.hpp>
#include <boost/json/src.hpp>

#include <iostream>
#include <string>

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(line, ec);
    if (ec) std::cout << "ERR " << ec.message() << "\n";
    else std::cout << boost::json::serialize(v) << "\n";
  }
}
