// SPDX-License-Identifier: Apache-2.0
// The progress line (cli/progress.hpp) as a terminal shows it: widths in
// terminal cells, several pairs at once, and the ticker that redraws a phase
// that says nothing. TerminalProgress writes to a pipe here, read back with
// a bound; the ticker runs on a fake clock.
#include "cli/progress.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <clocale>
#include <cwchar>
#include <regex>

using namespace accord;
using namespace accord::cli;

namespace {

// Cells as the test measures them itself: glibc's wcswidth under C.UTF-8.
int cells(const std::string& s) {
  std::mbstate_t st{};
  const char* p = s.c_str();
  std::wstring w(s.size() + 1, L'\0');
  size_t n = std::mbsrtowcs(w.data(), &p, w.size(), &st);
  if (n == static_cast<size_t>(-1)) return -1;
  return ::wcswidth(w.c_str(), n);
}

// What a TerminalProgress writes, read from a pipe.
class Screen {
 public:
  Screen() {
    EXPECT_EQ(::pipe2(fd_, O_CLOEXEC), 0);
    ::fcntl(fd_[0], F_SETFL, O_NONBLOCK);
  }
  ~Screen() {
    ::close(fd_[0]);
    ::close(fd_[1]);
  }
  int out() const { return fd_[1]; }
  // Reads until `re` matches what was written since the last wait, or
  // `seconds` pass; the text read.
  std::string wait_for(const std::regex& re, double seconds = 5) {
    auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (!std::regex_search(text_, re) && std::chrono::steady_clock::now() < until) {
      pollfd p{fd_[0], POLLIN, 0};
      ::poll(&p, 1, 50);
      char buf[4096];
      for (ssize_t n; (n = ::read(fd_[0], buf, sizeof buf)) > 0;) text_.append(buf, static_cast<size_t>(n));
    }
    std::string seen = text_;
    if (std::regex_search(text_, re)) text_.clear();
    return seen;
  }

 private:
  int fd_[2];
  std::string text_;
};

// The last line drawn: after the last \r, before its \033[K.
std::string last_line(const std::string& screen) {
  size_t cr = screen.rfind('\r');
  std::string line = cr == std::string::npos ? screen : screen.substr(cr + 1);
  if (size_t k = line.find("\033[K"); k != std::string::npos) line.erase(k);
  return line;
}

PhaseProgress report(std::string_view pair, Phase phase, uint64_t done, uint64_t total, double seconds = 1) {
  PhaseProgress p;
  p.pair = pair;
  p.phase = phase;
  p.done = done;
  p.total = total;
  p.seconds = seconds;
  return p;
}

struct Utf8Locale : ::testing::Environment {
  void SetUp() override { ASSERT_NE(std::setlocale(LC_CTYPE, "C.UTF-8"), nullptr); }
};
const auto* const kLocale = ::testing::AddGlobalTestEnvironment(new Utf8Locale);

}  // namespace

TEST(ProgressLineTest, AWideNameIsCountedInCellsAndTheLineNeverWraps) {
  // 12 CJK characters and an emoji: 26 cells, 13 code points
  const std::string wide = "連絡先連絡先連絡先連絡先📇";
  ASSERT_EQ(cells(wide), 26);
  EXPECT_EQ(display_columns(wide), 26u);
  EXPECT_EQ(display_columns("e\xcc\x81"), 1u);  // e and a combining acute: one cell
  for (int width : {80, 60, 40, 30, 20, 9}) {
    for (uint64_t total : {uint64_t{0}, uint64_t{100000}}) {
      std::string line = progress_line(report(wide, Phase::kApplying, 14000, total, 2.3), width);
      EXPECT_LE(cells(line), width) << width << ": " << line;
      EXPECT_GE(cells(line), std::min(width, 20) - 1) << width << ": " << line;  // the room is used (a wide character may not fit the last cell)
    }
  }
  // cut between characters, never inside one: 5 cells of CJK is 2 characters
  EXPECT_EQ(first_columns("連絡先", 5), "連絡");
  EXPECT_EQ(first_columns("ab連", 3), "ab");
}

TEST(ProgressLineTest, ReadingWithATotalHasABarAndWithoutOneTheCount) {
  std::string bar = progress_line(report("contact", Phase::kReading, 14000, 100000, 2.3), 80);
  EXPECT_EQ(bar.rfind("contact reading ▕███", 0), 0u) << bar;
  EXPECT_TRUE(bar.ends_with("▏ 14,000/100,000 14% 6.1k/s ETA 14s")) << bar;
  EXPECT_EQ(cells(bar), 80) << bar;  // the bar takes the room left
  std::string count = progress_line(report("contact", Phase::kReading, 14000, 0, 2.3), 80);
  EXPECT_EQ(count, "contact reading 14,000 6.1k/s");
}

TEST(TerminalProgressTest, SeveralPairsShowTheirCountAndTheSlowestUntilItIsDone) {
  Screen screen;
  TerminalProgress t(screen.out());
  t.progress(report("contact", Phase::kApplying, 500, 1000));
  t.progress(report("event", Phase::kReading, 3000, 12000));
  t.progress(report("task", Phase::kApplying, 10, 1000));
  // the furthest behind is event (still reading), whoever reported last
  std::string s = screen.wait_for(std::regex("slowest of 3: event reading"));
  EXPECT_NE(last_line(s).find("slowest of 3: event reading ▕"), std::string::npos) << last_line(s);
  EXPECT_NE(last_line(s).find("3,000/12,000 25%"), std::string::npos) << last_line(s);
  PairReport done;
  done.name = "event";
  t.pair_done(done);
  s = screen.wait_for(std::regex("slowest of 2: task applying"));
  EXPECT_NE(last_line(s).find("slowest of 2: task applying"), std::string::npos) << last_line(s);
  done.name = "task";
  t.pair_done(done);
  t.progress(report("contact", Phase::kApplying, 600, 1000));
  s = screen.wait_for(std::regex("\rcontact applying"));
  EXPECT_EQ(last_line(s).rfind("contact applying ▕", 0), 0u) << last_line(s);  // one pair: no count
  // a phase that is over is not behind, even one that read nothing (0 of 0)
  PhaseProgress empty = report("note", Phase::kApplying, 0, 0);
  empty.finished = true;
  t.progress(empty);
  s = screen.wait_for(std::regex("slowest of 2: contact applying"));
  EXPECT_NE(last_line(s).find("slowest of 2: contact applying"), std::string::npos) << last_line(s);
  t.end();
}

TEST(TerminalProgressTest, APhaseThatSaysNothingIsRedrawnWithItsClockMoving) {
  std::atomic<int64_t> fake_ms{0};
  auto clock = [&] { return std::chrono::steady_clock::time_point(std::chrono::milliseconds(fake_ms.load())); };
  Screen screen;
  TerminalProgress t(screen.out(), clock, std::chrono::milliseconds(20));
  t.progress(report("contact", Phase::kPlanning, 0, 0, 0));
  std::string s = screen.wait_for(std::regex("contact planning 0s"));
  ASSERT_EQ(last_line(s), "contact planning 0s");
  // 7 s pass without a report: the ticker draws the line again, 7s on it
  fake_ms = 7000;
  s = screen.wait_for(std::regex("contact planning 7s"));
  EXPECT_EQ(last_line(s), "contact planning 7s") << s;
  // a report comes: the ticker leaves the line alone while reports come
  t.progress(report("contact", Phase::kPlanning, 0, 0, 8));
  s = screen.wait_for(std::regex("contact planning 8s"));
  EXPECT_EQ(last_line(s), "contact planning 8s");
  s = screen.wait_for(std::regex("planning 9s"), 0.3);
  EXPECT_EQ(s.find("planning 9s"), std::string::npos) << s;  // the clock did not move: nothing new
  t.end();
}
