// SPDX-License-Identifier: Apache-2.0
// A run's progress as the program shows it on a terminal: one line on
// stderr, redrawn in place, that never wraps (it fits the terminal's width),
// with a bar where the total is known, counts, percentage, rate and ETA:
//   contact applying ▕████▌     ▏ 14,000/100,000 14% 6.1k/s ETA 15s
//   contact reading 14,000 6.1k/s
// Several stream pairs at once (a run's pairs each on a thread): the pair
// furthest behind, after how many run (rsync's one line and rclone's totals
// line fit one line; rclone's line per transfer does not):
//   slowest of 3: event reading ▕██▌       ▏ 3,000/12,000 25% 6.1k/s ETA 2s
// Widths are terminal cells (wcwidth): a CJK or emoji pair name takes two a
// character.
// Only when stderr is a terminal and there is no --json; the engine calls it
// through RunEvents (engine/sync_run.hpp), which knows nothing of terminals.
// Never prints record data unescaped, never writes to stdout.
#pragma once

#include "engine/sync_run.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace accord::cli {

// Non-zero while a progress line is on the screen: the Ctrl-C handler ends
// it with a newline before it says "interrupted" (main.cpp).
extern volatile std::sig_atomic_t progress_line_open;

// The columns of the terminal on `fd` (TIOCGWINSZ), else $COLUMNS, else 80.
int terminal_width(int fd);

// The terminal cells UTF-8 text takes (wcwidth under C.UTF-8, whatever the
// program's locale): 2 for an East Asian wide character or an emoji, 0 for
// a combining mark, 1 for the rest (a byte that is not UTF-8 included).
size_t display_columns(std::string_view s);
// The longest start of s that takes at most `cols` cells, cut between
// characters.
std::string first_columns(std::string_view s, size_t cols);

// 14000 → "14,000".
std::string grouped(uint64_t n);
// Records a second: "850/s", "6.1k/s", "1.2M/s".
std::string rate_text(double per_second);
// A time left: "15s", "2m05s", "1h02m".
std::string eta_text(double seconds);

// The line for a phase's progress, at most `width` cells (what does not
// fit is left out: the ETA, then the rate, then the bar; the name is cut).
// `running` > 1: that many pairs run at once and p is the slowest of them.
std::string progress_line(const PhaseProgress& p, int width, size_t running = 1);

// One JSON object on a line of stdout, flushed: --json's events, from any
// thread, never interleaved.
void json_line(const boost::json::object& obj);

// Thread-safe: the run's threads report at once. A phase that reports
// nothing for a while (a first sync's planning, a slow batch of writes) has
// its line drawn again each second, its time and rate moving on.
class TerminalProgress final : public RunEvents {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  // `now` and `every` are the ticker's clock and period (tests give a fake
  // clock and a short period).
  explicit TerminalProgress(int fd = 2, Clock now = std::chrono::steady_clock::now,
                            std::chrono::milliseconds every = std::chrono::seconds(1));
  ~TerminalProgress() override;
  void progress(const PhaseProgress& p) override;
  // A pair is over: its line gives way to the pairs still running.
  void pair_done(const PairReport& pr) override;
  // A line for a person (a warning) above the progress line, which is drawn
  // again below it.
  void above(const std::string& line);
  // Takes the progress line away (the report follows).
  void end();

 private:
  // A running pair's last report, to draw again as time passes.
  struct Pair {
    PhaseProgress last{};  // its pair view points at the map's key
    std::chrono::steady_clock::time_point at{};
  };
  void draw(const std::string& line);  // holding mu_
  void draw_pairs(bool ticking);       // holding mu_: the slowest pair's line
  void tick();                         // the ticker thread
  int fd_;
  Clock now_;
  std::chrono::milliseconds every_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::string shown_;
  std::map<std::string, Pair, std::less<>> pairs_;  // by name: the pairs under way
  bool stop_ = false;
  std::thread ticker_;
};

}  // namespace accord::cli
