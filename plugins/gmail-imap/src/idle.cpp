// SPDX-License-Identifier: Apache-2.0
// Push (accord.push.v1) by IMAP IDLE: the folders' status against the
// cursor, then IDLE on INBOX (All Mail on Gmail).

#include "gmail_imap_connector_p.hpp"

#include <algorithm>
#include <chrono>

namespace gmail_imap {

// Whether the server's status of the folders differs from what the cursor
// recorded (a folder new, gone, renumbered, grown, shrunk or, with
// CONDSTORE, changed). Without LIST-STATUS it cannot say: false.
bool ImapConnector::status_moved(const Cursor& c) {
  std::map<std::string, Status> now = list_folders();
  for (auto& [name, st] : now) {
    auto f = c.folders.find(name);
    if (f == c.folders.end()) return true;
    if (!st.known) continue;
    if (moved(f->second, st)) return true;
  }
  for (auto& [name, f] : c.folders)
    if (!now.contains(name)) return true;
  return false;
}

bool ImapConnector::wait_idle(const std::string& cursor_text, int64_t timeout_ms) {
  if (cursor_text.empty()) return true;  // nothing read yet
  Cursor c = parse_cursor(cursor_text);
  gmail_names(c, false);
  if (c.running || status_moved(c)) return true;
  std::string folder = gmail_ ? all_key() : "INBOX";
  const int64_t deadline = now_ms() + timeout_ms;
  for (;;) {
    Status st = select(folder, false, true);
    if (auto f = c.folders.find(folder); f != c.folders.end() && moved(f->second, st)) return true;
    int64_t left = deadline - now_ms();
    if (left <= 0) return false;
    bool changed = session().idle(std::min<int64_t>(left, 25 * 60 * 1000));
    selected_.clear();  // what IDLE saw moved the folder's status on
    if (changed || status_moved(c)) return true;
  }
}

int64_t ImapConnector::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace gmail_imap
