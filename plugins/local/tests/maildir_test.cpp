// SPDX-License-Identifier: Apache-2.0
// Maildir++ on disk: folder names, flags in file names, atomic delivery, and
// that what we write is what Dovecot's Maildir++ layout expects.
#include "maildir.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace md = local::maildir;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path p;
  TempDir() {
    char tmpl[] = "/tmp/accord-maildir.XXXXXX";
    p = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(p); }
};

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST(MaildirTest, FolderNamesToMaildirPlusPlus) {
  fs::path root = "/m";
  EXPECT_EQ(*md::folder_dir(root, "INBOX"), fs::path("/m"));
  EXPECT_EQ(*md::folder_dir(root, "Work"), fs::path("/m/.Work"));
  EXPECT_EQ(*md::folder_dir(root, "Work/2026/Q1"), fs::path("/m/.Work.2026.Q1"));
  EXPECT_EQ(*md::folder_dir(root, "Entw&APw-rfe"), fs::path("/m/.Entw&APw-rfe"));
  for (const char* bad : {"", "a//b", "/a", "a/", "..", "a/../b", "v1.2", "a/."}) EXPECT_FALSE(md::folder_dir(root, bad)) << bad;
}

TEST(MaildirTest, FlagsInFileNames) {
  EXPECT_EQ(md::flags_of("1700.M1P2.host,S=10:2,FS"), (std::set<char>{'F', 'S'}));
  EXPECT_TRUE(md::flags_of("1700.M1P2.host,S=10").empty());
  EXPECT_EQ(md::unique_of("1700.M1P2.host,S=10:2,FS"), "1700.M1P2.host,S=10");
  EXPECT_EQ(md::with_flags("u:2,S", {'S', 'D', 'T', 'a'}), "u:2,DST");  // in order; keywords letters dropped
  EXPECT_EQ(md::with_flags("u", {}), "u:2,");
}

TEST(MaildirTest, DeliverIsAtomicAndFlagsMove) {
  TempDir t;
  md::create_folder(t.p, "INBOX");
  md::create_folder(t.p, "Work/2026");
  EXPECT_TRUE(fs::exists(t.p / ".Work.2026" / "maildirfolder"));
  EXPECT_EQ(md::list_folders(t.p), (std::vector<std::string>{"INBOX", "Work/2026"}));

  const std::string msg = "Subject: hi\r\n\r\nbody\r\n";
  std::string n1 = md::deliver(t.p, msg, {}, 1700000000);
  EXPECT_TRUE(fs::exists(t.p / "new" / n1));
  EXPECT_TRUE(fs::is_empty(t.p / "tmp"));
  EXPECT_EQ(read(t.p / "new" / n1), msg);
  EXPECT_NE(n1.find(",S=" + std::to_string(msg.size())), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat((t.p / "new" / n1).c_str(), &st), 0);
  EXPECT_EQ(st.st_mtime, 1700000000);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  std::string n2 = md::deliver(*md::folder_dir(t.p, "Work/2026"), msg, {'S', 'R'});
  EXPECT_TRUE(fs::exists(t.p / ".Work.2026" / "cur" / n2));
  EXPECT_EQ(md::flags_of(n2), (std::set<char>{'R', 'S'}));
  EXPECT_NE(n1, md::unique_of(n2));  // unique names, even within one second

  std::string moved = md::set_flags(t.p, n1, {'F'});
  EXPECT_FALSE(fs::exists(t.p / "new" / n1));
  EXPECT_TRUE(fs::exists(t.p / "cur" / moved));
  EXPECT_EQ(*md::locate(t.p, moved), t.p / "cur" / moved);
  EXPECT_THROW(md::set_flags(t.p, n1, {'S'}), std::runtime_error);  // the old name is gone
  EXPECT_THROW(md::create_folder(t.p, "v1.2"), std::runtime_error);
}
