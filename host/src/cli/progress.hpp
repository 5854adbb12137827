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

#include <csignal>
#include <cstdint>
#include <mutex>
#include <string>

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

// Thread-safe: the run's threads report at once.
class TerminalProgress final : public RunEvents {
 public:
  explicit TerminalProgress(int fd = 2);
  void progress(const PhaseProgress& p) override;
  // A line for a person (a warning) above the progress line, which is drawn
  // again below it.
  void above(const std::string& line);
  // Takes the progress line away (the report follows).
  void end();

 private:
  void draw(const std::string& line);  // holding mu_
  int fd_;
  std::mutex mu_;
  std::string shown_;
};

}  // namespace accord::cli
