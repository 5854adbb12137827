// SPDX-License-Identifier: Apache-2.0
// Foundation benchmarks (issue: SDK, host, local connector). Prints figures;
// never asserts on time. Subcommands run in their own process so that peak
// RSS (ru_maxrss) belongs to one phase only.
//
//   bench_foundation load PLUGIN.so [SAMPLES]      plugin load + manifest, vs raw dlopen
//   bench_foundation populate DB N                 N contacts into a local sqlite store
//   bench_foundation list DB [parse]               full listing through the SDK boundary
//   bench_foundation vcards DIR N                  write N .vcf files
//   bench_foundation list-vcard DIR                first and second listing of a vCard folder
#include "plugins/instance.hpp"

#include <boost/json.hpp>

#include <dlfcn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <vector>

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace accord;
using Clock = std::chrono::steady_clock;

namespace {

double secs(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
long peak_rss_kib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

fs::path plugin_path() {
  return fs::canonical("/proc/self/exe").parent_path().parent_path() / "lib/accord/plugins/libaccord-local.so";
}

// Runs fn in a child process and returns what it wrote to the pipe.
template <class F>
double in_child(F&& fn) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    double v = fn();
    if (write(fds[1], &v, sizeof v) != sizeof v) _exit(1);
    _exit(0);
  }
  close(fds[1]);
  double v = -1;
  if (read(fds[0], &v, sizeof v) != sizeof v) v = -1;
  close(fds[0]);
  waitpid(pid, nullptr, 0);
  return v;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

int load(const std::string& file, int samples) {
  std::vector<double> ours, raw;
  for (int i = 0; i < samples; ++i) {
    ours.push_back(in_child([&] {
      auto t0 = Clock::now();
      auto p = load_plugin(file);
      double ms = secs(Clock::now() - t0) * 1000;
      return p ? ms : -1.0;
    }));
    raw.push_back(in_child([&] {
      auto t0 = Clock::now();
      void* h = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
      void* sym = h ? dlsym(h, "accord_connector_entry") : nullptr;
      double ms = secs(Clock::now() - t0) * 1000;
      return sym ? ms : -1.0;
    }));
  }
  std::printf("plugin load + checks + manifest parse: median %.3f ms over %d fresh processes (target <= 2 ms)\n",
              median(ours), samples);
  std::printf("peer: bare dlopen+dlsym of the same file: median %.3f ms\n", median(raw));
  return 0;
}

struct Session {
  LoadedPlugin plugin;
  HostServices host;
  std::optional<Instance> inst;
  explicit Session(const std::string& config) : plugin(*load_plugin(plugin_path())) {
    auto i = Instance::create(plugin, host, config);
    if (!i) {
      std::cerr << i.error().message << "\n";
      std::exit(1);
    }
    inst.emplace(std::move(*i));
  }
};

int populate(const std::string& db, long n) {
  Session s(R"({"backend":"sqlite","path":")" + db + R"("})");
  auto t0 = Clock::now();
  const long batch = 10000;
  for (long done = 0; done < n; done += batch) {
    json::array ops;
    for (long i = done; i < std::min(n, done + batch); ++i) {
      std::string k = std::to_string(i);
      ops.push_back(json::object{
          {"op", "create"}, {"idempotency_key", "bench-" + k},
          {"data", json::object{{"@type", "Card"}, {"uid", "urn:uuid:bench-" + k},
                                {"name", json::object{{"full", "Person " + k},
                                                      {"components", json::array{json::object{{"kind", "given"}, {"value", "Person"}},
                                                                                 json::object{{"kind", "surname"}, {"value", k}}}}}},
                                {"emails", json::object{{"e1", json::object{{"address", "person" + k + "@example.org"}}}}},
                                {"phones", json::object{{"p1", json::object{{"number", "+1 555 " + k}}}}}}}});
    }
    auto r = s.inst->apply("contact", json::serialize(ops));
    if (!r) {
      std::cerr << r.error().message << "\n";
      return 1;
    }
  }
  double t = secs(Clock::now() - t0);
  std::printf("populate %ld contacts through apply(): %.1f s, %.0f records/s\n", n, t, n / t);
  return 0;
}

int list(const std::string& db, bool parse) {
  Session s(R"({"backend":"sqlite","path":")" + db + R"(","batch_size":2000})");
  auto t0 = Clock::now();
  std::string cursor;
  long records = 0;
  size_t bytes = 0;
  for (;;) {
    auto r = s.inst->read_changes("contact", cursor);
    if (!r) {
      std::cerr << r.error().message << "\n";
      return 1;
    }
    bytes += r->size();
    // The host always needs the cursor and "more": find them at the tail
    // without a full parse unless asked to parse.
    if (parse) {
      json::value v = json::parse(*r);
      records += static_cast<long>(v.at("records").as_array().size());
      cursor = v.at("cursor").as_string();
      if (!v.at("more").as_bool()) break;
    } else {
      std::string_view t = *r;
      size_t c = t.rfind("\"cursor\":\"");
      size_t e = t.find('"', c + 10);
      cursor = std::string(t.substr(c + 10, e - c - 10));
      for (size_t p = t.find("{\"id\":"); p != std::string_view::npos; p = t.find("{\"id\":", p + 1)) ++records;
      if (t.ends_with("\"more\":false}")) break;
    }
  }
  double t = secs(Clock::now() - t0);
  std::printf("list %ld records%s: %.2f s, %.0f records/s, %.1f MiB of JSON, peak RSS %ld MiB\n", records,
              parse ? " (each batch parsed with Boost.JSON)" : " (boundary only)", t, records / t,
              bytes / 1048576.0, peak_rss_kib() / 1024);
  return 0;
}

int vcards(const std::string& dir, long n) {
  fs::create_directories(dir);
  for (long i = 0; i < n; ++i) {
    std::string k = std::to_string(i);
    std::ofstream(fs::path(dir) / ("c" + k + ".vcf"))
        << "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c" << k << "\r\nN:Surname" << k << ";Given;;;\r\nFN:Given Surname" << k
        << "\r\nEMAIL;TYPE=work:given" << k << "@example.org\r\nTEL;TYPE=cell:+44 20 7946 " << k
        << "\r\nORG:Company " << (i % 100) << ";Sales\r\nNOTE:Met at the conference\\, follow up in spring.\r\nEND:VCARD\r\n";
  }
  std::printf("wrote %ld vCards to %s\n", n, dir.c_str());
  return 0;
}

int list_vcard(const std::string& dir) {
  Session s(R"({"backend":"vcard","path":")" + dir + R"(","batch_size":2000})");
  for (int pass = 0; pass < 2; ++pass) {
    auto t0 = Clock::now();
    std::string cursor = pass == 0 ? "" : "";
    long records = 0;
    static std::string last_cursor;
    cursor = pass == 0 ? "" : last_cursor;
    for (;;) {
      auto r = s.inst->read_changes("contact", cursor);
      if (!r) {
        std::cerr << r.error().message << "\n";
        return 1;
      }
      json::value v = json::parse(*r);
      records += static_cast<long>(v.at("records").as_array().size());
      cursor = v.at("cursor").as_string();
      if (!v.at("more").as_bool()) break;
    }
    last_cursor = cursor;
    double t = secs(Clock::now() - t0);
    if (pass == 0)
      std::printf("vcard folder, first listing (stat, read, parse, index): %ld records in %.2f s, %.0f records/s\n",
                  records, t, records / t);
    else
      std::printf("vcard folder, next run with nothing changed (stat only): %ld changes in %.3f s\n", records, t);
  }
  // Peer: reading every file's bytes, nothing else (the I/O floor).
  auto t0 = Clock::now();
  size_t bytes = 0, files = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".vcf") continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::string buf((std::istreambuf_iterator<char>(in)), {});
    bytes += buf.size();
    ++files;
  }
  double t = secs(Clock::now() - t0);
  std::printf("peer: reading the %zu files' bytes only: %.2f s, %.0f files/s (%.1f MiB)\n", files, t, files / t,
              bytes / 1048576.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> a(argv + 1, argv + argc);
  if (a.size() >= 1 && a[0] == "load") return load(a.size() > 1 ? a[1] : plugin_path().string(), a.size() > 2 ? std::stoi(a[2]) : 41);
  if (a.size() == 3 && a[0] == "populate") return populate(a[1], std::stol(a[2]));
  if (a.size() >= 2 && a[0] == "list") return list(a[1], a.size() > 2 && a[2] == "parse");
  if (a.size() == 3 && a[0] == "vcards") return vcards(a[1], std::stol(a[2]));
  if (a.size() == 2 && a[0] == "list-vcard") return list_vcard(a[1]);
  std::cerr << "usage: see the comment at the top of bench/bench_foundation.cpp\n";
  return 2;
}
