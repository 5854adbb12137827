// SPDX-License-Identifier: Apache-2.0
// A run's progress as the program shows it on a terminal: one line on
// stderr, redrawn in place, that never wraps (it fits the terminal's width),
// with a bar where the total is known, counts, percentage, rate and ETA:
//   contact applying ▕████▌     ▏ 14,000/100,000 14% 6.1k/s ETA 15s
//   contact reading 14,000 6.1k/s
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
#include <mutex>
#include <string>
#include <thread>

namespace accord::cli {

// Non-zero while a progress line is on the screen: the Ctrl-C handler ends
// it with a newline before it says "interrupted" (main.cpp).
extern volatile std::sig_atomic_t progress_line_open;

// The columns of the terminal on `fd` (TIOCGWINSZ), else $COLUMNS, else 80.
int terminal_width(int fd);

// 14000 → "14,000".
std::string grouped(uint64_t n);
// Records a second: "850/s", "6.1k/s", "1.2M/s".
std::string rate_text(double per_second);
// A time left: "15s", "2m05s", "1h02m".
std::string eta_text(double seconds);

// The line for a phase's progress, at most `width` columns (what does not
// fit is left out: the ETA, then the rate, then the bar; the name is cut).
std::string progress_line(const PhaseProgress& p, int width);

// One JSON object on a line of stdout, flushed: --json's events, from any
// thread, never interleaved.
void json_line(const boost::json::object& obj);

// Thread-safe: the run's threads report at once. A phase that reports
// nothing for a while (a first sync's planning, a slow batch of writes) has
// its line drawn again each second, its time and rate moving on.
class TerminalProgress final : public RunEvents {
 public:
  explicit TerminalProgress(int fd = 2);
  ~TerminalProgress() override;
  void progress(const PhaseProgress& p) override;
  // A line for a person (a warning) above the progress line, which is drawn
  // again below it.
  void above(const std::string& line);
  // Takes the progress line away (the report follows).
  void end();

 private:
  void draw(const std::string& line);  // holding mu_
  void tick();                         // the ticker thread
  int fd_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::string shown_;
  // the last report, to draw again as time passes
  std::string pair_;
  PhaseProgress last_{};
  std::chrono::steady_clock::time_point last_at_{};
  bool live_ = false;  // a phase under way
  bool stop_ = false;
  std::thread ticker_;
};

}  // namespace accord::cli
