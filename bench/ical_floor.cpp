// SPDX-License-Identifier: Apache-2.0
// The floor of bench/run_whole_file.sh: what libical alone takes to parse a
// whole calendar file (read, parse into components, walk its VEVENTs), the
// least a reader of that file built on libical does. Prints the events
// found and the seconds taken (best of three).
// Usage: bench_ical_floor FILE
#include <libical/ical.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: bench_ical_floor FILE\n");
    return 2;
  }
  double best = 1e9;
  int events = 0;
  for (int round = 0; round < 3; ++round) {
    auto t0 = std::chrono::steady_clock::now();
    std::ifstream in(argv[1], std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    icalcomponent* cal = icalparser_parse_string(text.c_str());
    if (!cal) {
      std::fprintf(stderr, "%s: libical could not parse it\n", argv[1]);
      return 1;
    }
    events = 0;
    for (icalcomponent* c = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT); c;
         c = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT))
      events += icalcomponent_get_summary(c) != nullptr;
    icalcomponent_free(cal);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s < best) best = s;
  }
  std::printf("libical parse: %d events in %.3f s\n", events, best);
  return 0;
}
