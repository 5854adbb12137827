// SPDX-License-Identifier: Apache-2.0
#include "cli/progress.hpp"

#include <accord/text/terminal_text.hpp>
#include <accord/text/utf8.hpp>

#include <boost/json.hpp>

#include <locale.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <vector>

namespace accord::cli {

volatile std::sig_atomic_t progress_line_open = 0;

namespace {

// C.UTF-8's character classes, made once, for wcwidth on this thread only
// (uselocale): the program's own locale is left as it is. Null where the C
// library has no C.UTF-8.
locale_t utf8_ctype() {
  static const locale_t l = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  return l;
}

// Cells of each character of s, in order, to `out` (false from out stops).
template <class Out>
void each_cell_width(std::string_view s, Out&& out) {
  locale_t utf8 = utf8_ctype();
  locale_t before = utf8 ? uselocale(utf8) : nullptr;
  for (size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    size_t n = utf8::decode_at(s, i, cp);
    int w = 1;
    if (n == 0) n = 1;  // not UTF-8: one byte, one cell (tty() shows such bytes escaped anyway)
    else if (cp >= 0x20 && cp < 0x7f) w = 1;
    else if (int c = utf8 ? ::wcwidth(static_cast<wchar_t>(cp)) : -1; c >= 0) w = c;
    else w = cp >= 0x1100 ? 2 : 1;  // not known here: a wide guess is the safe one (the line never wraps)
    if (!out(i, n, static_cast<size_t>(w))) break;
    i += n;
  }
  if (utf8) uselocale(before);
}

std::string bar(double fraction, size_t width) {
  static const char* const kEighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  fraction = std::clamp(fraction, 0.0, 1.0);
  size_t eighths = static_cast<size_t>(fraction * static_cast<double>(width) * 8);
  size_t full = eighths / 8;
  std::string out = "▕";
  for (size_t i = 0; i < full; ++i) out += "█";
  size_t used = full;
  if (full < width && eighths % 8) out += kEighths[eighths % 8], ++used;
  out.append(width - used, ' ');
  return out + "▏";
}

void write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::write(fd, s.data(), s.size());
    if (n <= 0) return;  // a terminal gone: nothing more to show
    s.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

size_t display_columns(std::string_view s) {
  size_t cells = 0;
  each_cell_width(s, [&](size_t, size_t, size_t w) { return cells += w, true; });
  return cells;
}

std::string first_columns(std::string_view s, size_t cols) {
  size_t cells = 0, end = 0;
  each_cell_width(s, [&](size_t at, size_t n, size_t w) {
    if (cells + w > cols) return false;
    cells += w;
    end = at + n;
    return true;
  });
  return std::string(s.substr(0, end));
}

int terminal_width(int fd) {
  struct winsize ws {};
  if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  if (const char* c = std::getenv("COLUMNS"); c && *c) {
    int n = std::atoi(c);
    if (n > 0) return n;
  }
  return 80;
}

std::string grouped(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string rate_text(double per_second) {
  char b[32];
  if (per_second >= 1e6) std::snprintf(b, sizeof b, "%.1fM/s", per_second / 1e6);
  else if (per_second >= 1e4) std::snprintf(b, sizeof b, "%.0fk/s", per_second / 1e3);
  else if (per_second >= 1e3) std::snprintf(b, sizeof b, "%.1fk/s", per_second / 1e3);
  else std::snprintf(b, sizeof b, "%.0f/s", per_second);
  return b;
}

std::string eta_text(double seconds) {
  long s = std::lround(std::max(0.0, seconds));
  char b[32];
  if (s < 60) std::snprintf(b, sizeof b, "%lds", s);
  else if (s < 3600) std::snprintf(b, sizeof b, "%ldm%02lds", s / 60, s % 60);
  else std::snprintf(b, sizeof b, "%ldh%02ldm", s / 3600, s % 3600 / 60);
  return b;
}

std::string progress_line(const PhaseProgress& p, int width_in, size_t running) {
  size_t width = static_cast<size_t>(std::max(width_in, 1));
  std::string name = (running > 1 ? "slowest of " + std::to_string(running) + ": " : std::string()) + tty(p.pair) +
                     " " + phase_name(p.phase);
  bool known = p.total > 0;
  double rate = p.seconds > 0.05 ? static_cast<double>(p.done) / p.seconds : 0;
  std::string count = known ? grouped(p.done) + "/" + grouped(p.total) : p.done ? grouped(p.done) : "";
  std::string pct;
  if (known) pct = std::to_string(std::min<uint64_t>(100, p.done * 100 / p.total)) + "%";
  std::string speed = rate > 0 && p.done ? rate_text(rate) : "";
  std::string eta;
  if (known && rate > 0 && p.done < p.total) eta = "ETA " + eta_text(static_cast<double>(p.total - p.done) / rate);
  else if (!p.done) eta = eta_text(p.seconds);  // nothing counted yet: how long it has taken
  // Pieces in order, each left out (the least useful first) while the line
  // is too wide; the bar takes what room is left, 8 to 30 columns.
  for (int drop = 0; drop < 4; ++drop) {
    bool with_eta = drop < 1, with_speed = drop < 2, with_bar = known && drop < 3;
    std::vector<std::string> tail;
    for (const std::string* s : {&count, &pct, with_speed ? &speed : nullptr, with_eta ? &eta : nullptr})
      if (s && !s->empty()) tail.push_back(*s);
    std::string rest;
    for (const auto& t : tail) rest += " " + t;
    size_t fixed = display_columns(name) + display_columns(rest);
    if (with_bar) {
      if (fixed + 3 + 8 > width) continue;
      size_t room = std::min<size_t>(30, width - fixed - 3);
      return name + " " + bar(static_cast<double>(p.done) / static_cast<double>(p.total), room) + rest;
    }
    if (fixed <= width) return name + rest;
  }
  std::string line = name + (count.empty() ? "" : " " + count);
  return display_columns(line) <= width ? line : first_columns(line, width);
}

void json_line(const boost::json::object& obj) {
  static std::mutex mu;
  std::string line = boost::json::serialize(json_safe(obj)) + "\n";  // always valid UTF-8
  std::lock_guard lock(mu);
  std::cout << line << std::flush;
}

TerminalProgress::TerminalProgress(int fd, Clock now, std::chrono::milliseconds every)
    : fd_(fd), now_(std::move(now)), every_(every), ticker_([this] { tick(); }) {}

TerminalProgress::~TerminalProgress() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  ticker_.join();
}

void TerminalProgress::tick() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    wake_.wait_for(lock, every_);
    if (stop_ || shown_.empty() || pairs_.empty()) continue;
    // only when no pair has said anything for most of a period
    auto now = now_();
    bool quiet = std::all_of(pairs_.begin(), pairs_.end(), [&](const auto& kv) { return now - kv.second.at >= every_ * 9 / 10; });
    if (quiet) draw_pairs(true);
  }
}

void TerminalProgress::draw(const std::string& line) {
  shown_ = line;
  write_all(fd_, "\r" + line + "\033[K");
  progress_line_open = 1;
}

void TerminalProgress::draw_pairs(bool ticking) {
  auto now = now_();
  auto behind = [](const PhaseProgress& p) {  // how far a pair has come: its phase, then its share of it
    // a phase over is all done, whatever its count (an empty side read: 0 of 0)
    double share = p.finished ? 1 : p.total ? static_cast<double>(p.done) / static_cast<double>(p.total) : 0;
    return std::pair(static_cast<int>(p.phase), share);
  };
  const Pair* slowest = nullptr;
  for (const auto& [name, pair] : pairs_)
    if (!slowest || behind(pair.last) < behind(slowest->last)) slowest = &pair;  // ties: the first by name
  PhaseProgress p = slowest->last;
  if (ticking && !p.finished) p.seconds += std::chrono::duration<double>(now - slowest->at).count();
  // one column short of the width: a line that fills the last column leaves
  // some terminals about to wrap
  draw(progress_line(p, terminal_width(fd_) - 1, pairs_.size()));
}

void TerminalProgress::progress(const PhaseProgress& p) {
  std::lock_guard lock(mu_);
  auto it = pairs_.try_emplace(std::string(p.pair)).first;
  it->second.last = p;
  it->second.last.pair = it->first;
  it->second.at = now_();
  draw_pairs(false);
}

void TerminalProgress::pair_done(const PairReport& pr) {
  std::lock_guard lock(mu_);
  if (pairs_.erase(pr.name) && !pairs_.empty() && !shown_.empty()) draw_pairs(false);
}

void TerminalProgress::above(const std::string& line) {
  std::lock_guard lock(mu_);
  std::cerr << std::flush;
  write_all(fd_, (shown_.empty() ? "" : "\r\033[K") + line + "\n");
  if (!shown_.empty()) draw(shown_);
}

void TerminalProgress::end() {
  std::lock_guard lock(mu_);
  if (!shown_.empty()) write_all(fd_, "\r\033[K");
  shown_.clear();
  pairs_.clear();
  progress_line_open = 0;
}

}  // namespace accord::cli
