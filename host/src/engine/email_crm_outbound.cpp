// SPDX-License-Identifier: Apache-2.0
// Mail sent from HighLevel, through the mailbox (email_crm_outbound.hpp).
#include "engine/email_crm_outbound.hpp"

#include "pipeline/pipeline.hpp"

#include <accord/mail/message.hpp>

#include <boost/json.hpp>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>
#include <memory>
#include <stdexcept>

namespace json = boost::json;

namespace accord::email_crm {


namespace {

std::string b64_decode(std::string_view in) {
  std::string s;
  for (char c : in)
    if (!std::isspace(static_cast<unsigned char>(c))) s += c;
  if (s.empty() || s.size() % 4) return {};
  std::string out(s.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(s.data()),
                          static_cast<int>(s.size()));
  if (n < 0) return {};
  size_t pad = (s.end()[-1] == '=') + (s.end()[-2] == '=');
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

std::string b64_lines(std::string_view in) {  // base64 in lines of 76 (RFC 2045)
  std::string out;
  for (size_t i = 0; i < in.size(); i += 57) {
    size_t n = std::min<size_t>(57, in.size() - i);
    std::string b(4 * ((n + 2) / 3) + 1, '\0');
    int k = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b.data()), reinterpret_cast<const unsigned char*>(in.data() + i),
                            static_cast<int>(n));
    out.append(b.data(), static_cast<size_t>(k));
    out += "\r\n";
  }
  return out;
}

std::string one_line(std::string_view v) {  // a header value: no CR, LF or NUL (no header injection)
  std::string out;
  for (char c : v) out += (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
  return out;
}

bool ascii(std::string_view v) {
  return std::all_of(v.begin(), v.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::string encoded_word(std::string_view v) {  // RFC 2047 for a non-ASCII header text (one line)
  return accord::mail::encode_header_text(one_line(v));
}

std::string rfc5322_date(std::time_t t) {
  static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

bool plain_address(std::string_view a) {  // local@domain, nothing that could break a command or header
  auto at = a.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= a.size() || a.find('@', at + 1) != std::string_view::npos) return false;
  return std::none_of(a.begin(), a.end(), [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) || c == '<' || c == '>' || c == '"' || c == '\\' || c == ',' ||
           c == ';' || static_cast<unsigned char>(c) < 0x20;
  });
}

std::string text(const json::object& o, const char* k) {
  const json::value* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// --- libcurl ----------------------------------------------------------

struct Easy {
  CURL* h = curl_easy_init();
  curl_slist* headers = nullptr;
  curl_slist* rcpt = nullptr;
  std::string got, upload;
  size_t sent = 0;
  char err[CURL_ERROR_SIZE] = {0};
  Easy() {
    if (!h) throw std::runtime_error("libcurl: no handle");
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 300L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, +[](char* p, size_t s, size_t n, void* u) {
      static_cast<Easy*>(u)->got.append(p, s * n);
      return s * n;
    });
    curl_easy_setopt(h, CURLOPT_WRITEDATA, this);
  }
  ~Easy() {
    curl_slist_free_all(headers);
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(h);
  }
  void body(std::string b) {
    upload = std::move(b);
    sent = 0;
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(upload.size()));
    curl_easy_setopt(h, CURLOPT_READFUNCTION, +[](char* p, size_t s, size_t n, void* u) {
      Easy* e = static_cast<Easy*>(u);
      size_t k = std::min(s * n, e->upload.size() - e->sent);
      std::memcpy(p, e->upload.data() + e->sent, k);
      e->sent += k;
      return k;
    });
    curl_easy_setopt(h, CURLOPT_READDATA, this);
  }
  CURLcode perform() { return curl_easy_perform(h); }
  long code() const {
    long c = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c);
    return c;
  }
  std::string error(CURLcode rc) const { return *err ? std::string(err) : std::string(curl_easy_strerror(rc)); }
};

bool loopback_url(const std::string& url) {
  CURLU* u = curl_url();
  char* host = nullptr;
  bool lo = false;
  if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK && curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
    std::string h = host;
    lo = h == "127.0.0.1" || h == "localhost" || h == "[::1]";
  }
  curl_free(host);
  curl_url_cleanup(u);
  return lo;
}

// TLS: smtps/imaps as is; smtp/imap with STARTTLS required, except to loopback.
void mail_tls(Easy& e, const OutboundConfig& c, const std::string& url) {
  bool implicit = url.rfind("smtps://", 0) == 0 || url.rfind("imaps://", 0) == 0;
  if (!implicit) curl_easy_setopt(e.h, CURLOPT_USE_SSL, loopback_url(url) ? (long)CURLUSESSL_TRY : (long)CURLUSESSL_ALL);
  if (!c.ca_file.empty()) curl_easy_setopt(e.h, CURLOPT_CAINFO, c.ca_file.c_str());
  if (!c.user.empty()) curl_easy_setopt(e.h, CURLOPT_USERNAME, c.user.c_str());
  if (!c.password.empty()) curl_easy_setopt(e.h, CURLOPT_PASSWORD, c.password.c_str());
}

std::string folder_url(const OutboundConfig& c, const std::string& folder) {
  std::string base = c.imap_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  char* esc = curl_easy_escape(nullptr, folder.c_str(), static_cast<int>(folder.size()));
  std::string u = base + "/" + esc;
  curl_free(esc);
  return u;
}

// --- the journal ------------------------------------------------------

struct Row {
  std::string hl_id, message_id, state, mail, sender, rcpt, error;
  int told = 0;
  std::string owner;  // the provider that journalled it (OutboundConfig::owner)
};

// One provider's view of the table: each row names its provider (owner: a
// pipeline's stream pair; '' for `--provider FILE`, and the rows written
// before the column), and a provider lists, claims and changes only its
// own rows: finished with another pair's mailbox and HighLevel token, a
// row's mail would be filed in the wrong mailbox (review s12 F1).
class Journal {
 public:
  Journal(const std::filesystem::path& file, std::string owner) : owner_(std::move(owner)) {
    if (sqlite3_open(file.c_str(), &db_) != SQLITE_OK) throw std::runtime_error("cannot open " + file.string());
    sqlite3_busy_timeout(db_, 10000);
    exec("CREATE TABLE IF NOT EXISTS email_crm_provider_outbound ("
         " hl_message_id TEXT PRIMARY KEY, message_id TEXT NOT NULL, state TEXT NOT NULL, mail BLOB NOT NULL,"
         " sender TEXT NOT NULL, rcpt TEXT NOT NULL, error TEXT NOT NULL DEFAULT '', told INTEGER NOT NULL DEFAULT 0,"
         " received TEXT NOT NULL, updated TEXT NOT NULL, owner TEXT NOT NULL DEFAULT '')");
    if (!has_owner()) {  // a table of before the column: its rows are the --provider FILE one's ('')
      char* e = nullptr;
      if (sqlite3_exec(db_, "ALTER TABLE email_crm_provider_outbound ADD COLUMN owner TEXT NOT NULL DEFAULT ''", nullptr, nullptr,
                       &e) != SQLITE_OK && !has_owner()) {  // (another provider may have added it meanwhile)
        std::string m = e ? e : "?";
        sqlite3_free(e);
        throw std::runtime_error("journal: adding the column owner: " + m);
      }
      sqlite3_free(e);
    }
  }
  ~Journal() { sqlite3_close(db_); }
  void exec(const char* sql) {
    char* e = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &e) != SQLITE_OK) {
      std::string m = e ? e : "?";
      sqlite3_free(e);
      throw std::runtime_error("journal: " + m);
    }
  }
  // The row of HighLevel's message, whoever's it is (Row::owner says).
  std::optional<Row> get(const std::string& id) {
    auto st = prep("SELECT message_id, state, mail, sender, rcpt, error, told, owner FROM email_crm_provider_outbound"
                   " WHERE hl_message_id = ?");
    sqlite3_bind_text(st.get(), 1, id.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st.get()) != SQLITE_ROW) return std::nullopt;
    auto col = [&](int i) {
      const void* p = sqlite3_column_blob(st.get(), i);
      return std::string(static_cast<const char*>(p ? p : ""), static_cast<size_t>(sqlite3_column_bytes(st.get(), i)));
    };
    return Row{id, col(0), col(1), col(2), col(3), col(4), col(5), sqlite3_column_int(st.get(), 6), col(7)};
  }
  void insert(const Row& r) {
    auto st = prep("INSERT INTO email_crm_provider_outbound (hl_message_id, message_id, state, mail, sender, rcpt, error, told,"
                   " received, updated, owner) VALUES (?, ?, ?, ?, ?, ?, ?, 0, strftime('%Y-%m-%dT%H:%M:%SZ','now'),"
                   " strftime('%Y-%m-%dT%H:%M:%SZ','now'), ?)");
    const std::string* v[] = {&r.hl_id, &r.message_id, &r.state, &r.mail, &r.sender, &r.rcpt, &r.error};
    for (int i = 0; i < 7; ++i)
      if (i == 3)  // the mail: bytes
        sqlite3_bind_blob(st.get(), i + 1, v[i]->data(), static_cast<int>(v[i]->size()), SQLITE_TRANSIENT);
      else
        sqlite3_bind_text(st.get(), i + 1, v[i]->data(), static_cast<int>(v[i]->size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(st.get(), 8, owner_.c_str(), -1, SQLITE_TRANSIENT);
    step(st.get());
  }
  void set(const std::string& id, const std::string& state, const std::string& error = {}, int told = 0) {
    auto st = prep("UPDATE email_crm_provider_outbound SET state = ?, error = ?, told = ?,"
                   " updated = strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE hl_message_id = ? AND owner = ?");
    sqlite3_bind_text(st.get(), 1, state.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st.get(), 2, error.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st.get(), 3, told);
    sqlite3_bind_text(st.get(), 4, id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st.get(), 5, owner_.c_str(), -1, SQLITE_TRANSIENT);
    step(st.get());
  }
  // A "sending" row's one try, taken in one statement (told 0 → 1): false
  // when another try has it (another provider's or process's recover read
  // it at the same time): that one sends it, this one must not.
  bool claim(const std::string& id) {
    auto st = prep("UPDATE email_crm_provider_outbound SET told = 1, updated = strftime('%Y-%m-%dT%H:%M:%SZ','now')"
                   " WHERE hl_message_id = ? AND owner = ? AND state = 'sending' AND told = 0");
    sqlite3_bind_text(st.get(), 1, id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st.get(), 2, owner_.c_str(), -1, SQLITE_TRANSIENT);
    step(st.get());
    return sqlite3_changes(db_) == 1;
  }
  // set() after the mail went out: a sync run holding the state file for
  // longer than the busy timeout must not make it look unfinished (it would
  // then be "unknown"): tried again while busy, up to about a minute
  void set_patiently(const std::string& id, const std::string& state, const std::string& error = {}, int told = 0) {
    for (int i = 0;; ++i) {
      try {
        return set(id, state, error, told);
      } catch (const std::runtime_error&) {
        int ec = sqlite3_errcode(db_);
        if (i >= 5 || (ec != SQLITE_BUSY && ec != SQLITE_LOCKED)) throw;
      }
    }
  }
  // This provider's rows not finished yet; `others`: how many of other providers'.
  std::vector<std::string> unfinished(int* others = nullptr) {
    const char* open = "(state IN ('sending','sent','filed') OR (state IN ('failed','unknown') AND told = 0))";
    if (others) {
      auto n = prep((std::string("SELECT count(*) FROM email_crm_provider_outbound WHERE owner <> ? AND ") + open).c_str());
      sqlite3_bind_text(n.get(), 1, owner_.c_str(), -1, SQLITE_TRANSIENT);
      *others = sqlite3_step(n.get()) == SQLITE_ROW ? sqlite3_column_int(n.get(), 0) : 0;
    }
    auto st = prep((std::string("SELECT hl_message_id FROM email_crm_provider_outbound WHERE owner = ? AND ") + open +
                    " ORDER BY received").c_str());
    sqlite3_bind_text(st.get(), 1, owner_.c_str(), -1, SQLITE_TRANSIENT);
    std::vector<std::string> out;
    while (sqlite3_step(st.get()) == SQLITE_ROW) out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 0)));
    return out;
  }

 private:
  using Stmt = std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)>;
  Stmt prep(const char* sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK) throw std::runtime_error(std::string("journal: ") + sqlite3_errmsg(db_));
    return Stmt(s, sqlite3_finalize);
  }
  void step(sqlite3_stmt* s) {
    if (sqlite3_step(s) != SQLITE_DONE) throw std::runtime_error(std::string("journal: ") + sqlite3_errmsg(db_));
  }
  bool has_owner() {
    auto st = prep("SELECT 1 FROM pragma_table_info('email_crm_provider_outbound') WHERE name = 'owner'");
    return sqlite3_step(st.get()) == SQLITE_ROW;
  }
  sqlite3* db_ = nullptr;
  std::string owner_;
};

}  // namespace

// --- pure parts -------------------------------------------------------

bool verify_ed25519(std::string_view body, std::string_view signature_b64, const std::string& public_key_pem, std::string& why) {
  if (signature_b64.empty()) return why = "no X-GHL-Signature header", false;
  std::string sig = b64_decode(signature_b64);
  if (sig.size() != 64) return why = "X-GHL-Signature is not a base64 Ed25519 signature (64 bytes)", false;
  BIO* bio = BIO_new_mem_buf(public_key_pem.data(), static_cast<int>(public_key_pem.size()));
  EVP_PKEY* key = bio ? PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (!key || EVP_PKEY_id(key) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(key);
    return why = "the configured public key is not an Ed25519 key in PEM (SPKI)", false;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                             reinterpret_cast<const unsigned char*>(body.data()), body.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  if (!ok) why = "the X-GHL-Signature does not verify against the body with HighLevel's public key";
  return ok;
}

std::string address_of(std::string_view m) {
  std::string s(m);
  if (auto lt = s.rfind('<'); lt != std::string::npos) {
    auto gt = s.find('>', lt);
    s = s.substr(lt + 1, gt == std::string::npos ? std::string::npos : gt - lt - 1);
  }
  auto b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  s = b == std::string::npos ? "" : s.substr(b, e - b + 1);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::optional<OutboundEmail> parse_outbound(std::string_view body, std::string& error) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return error = "the body is not a JSON object", std::nullopt;
  const json::object& o = v.get_object();
  OutboundEmail e;
  e.type = text(o, "type");
  e.message_id = text(o, "messageId");
  e.email_message_id = text(o, "emailMessageId");
  e.contact_id = text(o, "contactId");
  e.location_id = text(o, "locationId");
  e.user_id = text(o, "userId");
  e.from = text(o, "emailFrom");
  e.subject = text(o, "subject");
  e.html = text(o, "html");
  e.reply_to_alt_id = text(o, "replyToAltId");
  e.conversation_provider_id = text(o, "conversationProviderId");
  if (const json::value* t = o.if_contains("emailTo")) {
    if (t->is_string()) {
      std::string s(t->get_string());
      for (size_t p = 0; p <= s.size();) {  // "a@x, b@y" as one string
        size_t q = s.find(',', p);
        if (q == std::string::npos) q = s.size();
        if (std::string a = address_of(s.substr(p, q - p)); !a.empty()) e.to.push_back(a);
        p = q + 1;
      }
    } else if (t->is_array()) {
      for (const auto& x : t->get_array())
        if (x.is_string())
          if (std::string a = address_of(x.get_string()); !a.empty()) e.to.push_back(a);
    }
  }
  if (const json::value* a = o.if_contains("attachments"); a && a->is_array())
    for (const auto& x : a->get_array())
      if (x.is_string()) e.attachments.emplace_back(x.get_string());
  if (e.message_id.empty()) return error = "no messageId", std::nullopt;
  auto safe_id = [](const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; });
  };
  if (!safe_id(e.message_id) || !safe_id(e.email_message_id))
    return error = "messageId or emailMessageId holds characters other than letters, digits, '-' and '_'", std::nullopt;
  if (e.type != "Email") return e;  // the caller refuses it, saying so
  if (e.to.empty()) return error = "no emailTo", std::nullopt;
  for (const auto& t : e.to)
    if (!plain_address(t)) return error = "emailTo " + t + " is not an address", std::nullopt;
  if (!plain_address(address_of(e.from))) return error = "emailFrom " + e.from + " holds no address", std::nullopt;
  return e;
}

std::string outbound_message_id(const OutboundEmail& e) {
  std::string from = address_of(e.from);
  std::string domain = from.substr(from.find('@') + 1);
  return "accord-hl." + e.message_id + (e.email_message_id.empty() ? "" : "." + e.email_message_id) + "@" + domain;
}

// --- the sender -------------------------------------------------------

Outbound::Outbound(OutboundConfig c) : c_(std::move(c)) {
  log = [](const std::string& l) { std::cerr << l << "\n"; };
  curl_global_init(CURL_GLOBAL_DEFAULT);
  Journal j(c_.journal, c_.owner);  // made now: a bad path fails the start, not the first mail
}

namespace {

struct Mailer {
  const OutboundConfig& c;
  std::string folder;

  std::string sent_folder(std::string& err) {
    if (!folder.empty()) return folder;
    if (!c.sent_folder.empty()) return folder = c.sent_folder;
    Easy e;
    mail_tls(e, c, c.imap_url);
    curl_easy_setopt(e.h, CURLOPT_URL, (c.imap_url + (c.imap_url.ends_with("/") ? "" : "/")).c_str());
    curl_easy_setopt(e.h, CURLOPT_CUSTOMREQUEST, "LIST \"\" \"*\" RETURN (SPECIAL-USE)");
    if (CURLcode rc = e.perform(); rc != CURLE_OK) return err = "IMAP LIST: " + e.error(rc), "";
    size_t p = 0;
    while (p < e.got.size()) {
      size_t q = e.got.find('\n', p);
      std::string line = e.got.substr(p, q == std::string::npos ? std::string::npos : q - p);
      p = q == std::string::npos ? e.got.size() : q + 1;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      auto close = line.find(')');
      if (line.rfind("* LIST (", 0) != 0 || close == std::string::npos) continue;
      std::string flags = line.substr(8, close - 8);
      std::transform(flags.begin(), flags.end(), flags.begin(), [](unsigned char ch) { return std::tolower(ch); });
      if (flags.find("\\sent") == std::string::npos) continue;
      // (flags) "sep" name: the name is the rest after the separator
      std::string rest = line.substr(close + 1);
      size_t s1 = rest.find('"'), s2 = s1 == std::string::npos ? s1 : rest.find('"', s1 + 1);
      std::string name = s2 == std::string::npos ? rest : rest.substr(s2 + 1);
      auto b = name.find_first_not_of(' ');
      name = b == std::string::npos ? "" : name.substr(b);
      if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
      if (!name.empty()) return folder = name;
    }
    return err = "the mailbox marks no folder \\Sent (RFC 6154): set \"sent_folder\"", "";
  }

  // The UIDs in Sent with this Message-ID; nullopt: could not look.
  std::optional<std::vector<std::string>> in_sent(const std::string& mid, std::string& err) {
    std::string f = sent_folder(err);
    if (f.empty()) return std::nullopt;
    Easy e;
    mail_tls(e, c, c.imap_url);
    curl_easy_setopt(e.h, CURLOPT_URL, folder_url(c, f).c_str());
    std::string cmd = "UID SEARCH HEADER Message-ID \"<" + mid + ">\"";
    curl_easy_setopt(e.h, CURLOPT_CUSTOMREQUEST, cmd.c_str());
    if (CURLcode rc = e.perform(); rc != CURLE_OK) return err = "IMAP SEARCH in " + f + ": " + e.error(rc), std::nullopt;
    std::vector<std::string> uids;
    auto p = e.got.find("* SEARCH");
    if (p == std::string::npos) return uids;
    std::string rest = e.got.substr(p + 8, e.got.find('\n', p) - p - 8);
    std::string cur;
    for (char ch : rest + " ") {
      if (std::isdigit(static_cast<unsigned char>(ch))) cur += ch;
      else if (!cur.empty()) uids.push_back(cur), cur.clear();
    }
    return uids;
  }

  // maybe_sent: the copy of a mail whose sending is not known ("unknown"):
  // \Flagged and the keyword $AccordMaybeSent instead of \Seen
  bool append(const std::string& mail, const std::string& mid, std::string& err, bool maybe_sent = false) {
    std::string f = sent_folder(err);
    if (f.empty()) return false;
    {
      Easy e;
      mail_tls(e, c, c.imap_url);
      curl_easy_setopt(e.h, CURLOPT_URL, folder_url(c, f).c_str());
      e.body(mail);
      if (CURLcode rc = e.perform(); rc != CURLE_OK) return err = "IMAP APPEND to " + f + ": " + e.error(rc), false;
    }
    // the copy is read (libcurl's APPEND sets no flags); one that may not
    // have gone is flagged (a server without keywords still takes \Flagged)
    if (auto uids = in_sent(mid, err); uids && !uids->empty()) {
      for (const char* flags : maybe_sent ? std::vector<const char*>{"(\\Flagged)", "($AccordMaybeSent)"}
                                          : std::vector<const char*>{"(\\Seen)"}) {
        Easy e;
        mail_tls(e, c, c.imap_url);
        curl_easy_setopt(e.h, CURLOPT_URL, folder_url(c, f).c_str());
        std::string cmd = "UID STORE " + uids->front() + " +FLAGS.SILENT " + flags;
        curl_easy_setopt(e.h, CURLOPT_CUSTOMREQUEST, cmd.c_str());
        e.perform();  // a copy left unflagged is no loss
      }
    }
    return true;
  }

  // 0: sent; 1: refused by the server (nothing sent; err); 2: not known (err).
  int smtp(const Row& r, std::string& err) {
    Easy e;
    mail_tls(e, c, c.smtp_url);
    curl_easy_setopt(e.h, CURLOPT_URL, c.smtp_url.c_str());
    std::string from = "<" + r.sender + ">";
    curl_easy_setopt(e.h, CURLOPT_MAIL_FROM, from.c_str());
    json::value to = json::parse(r.rcpt);
    for (const auto& t : to.as_array()) e.rcpt = curl_slist_append(e.rcpt, ("<" + std::string(t.as_string()) + ">").c_str());
    curl_easy_setopt(e.h, CURLOPT_MAIL_RCPT, e.rcpt);
    e.body(r.mail);
    CURLcode rc = e.perform();
    if (rc == CURLE_OK) return 0;
    err = "SMTP: " + e.error(rc) + (e.code() ? " (" + std::to_string(e.code()) + ")" : "");
    // a reply of the server refusing (4xx, 5xx) before the data was taken,
    // a sign-in refused, no connection or TLS: nothing went
    bool before = rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_LOGIN_DENIED ||
                  rc == CURLE_USE_SSL_FAILED || rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION ||
                  rc == CURLE_SEND_FAIL_REWIND || (rc == CURLE_SEND_ERROR && e.sent == 0) ||
                  (e.code() >= 400 && e.sent < r.mail.size());
    return before ? 1 : 2;
  }
};

// An attachment as fetched: its name, MIME type and bytes.
struct File {
  std::string name, type, data;
};

// A MIME type as a server named it ("image/png; charset=…" → "image/png"),
// if it is one; else application/octet-stream.
std::string mime_type(std::string_view t) {
  std::string v(t.substr(0, t.find(';')));
  while (!v.empty() && v.back() == ' ') v.pop_back();
  while (!v.empty() && v.front() == ' ') v.erase(0, 1);
  auto token = [](std::string_view x) {
    return !x.empty() && std::all_of(x.begin(), x.end(), [](unsigned char c) {
      return std::isalnum(c) || std::strchr("!#$&^_.+-", c) != nullptr;
    });
  };
  size_t slash = v.find('/');
  if (slash == std::string::npos || !token(std::string_view(v).substr(0, slash)) || !token(std::string_view(v).substr(slash + 1)))
    return "application/octet-stream";
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  return v;
}

// A file name as header parameters: name="…" (Content-Type) and the
// Content-Disposition's filename; a name that is not ASCII as RFC 2231
// says (filename*=UTF-8''…), with an RFC 2047 name= for older readers.
std::pair<std::string, std::string> name_params(const std::string& name) {
  if (ascii(name)) return {"; name=\"" + name + "\"", "; filename=\"" + name + "\""};
  static const char* hex = "0123456789ABCDEF";
  std::string pct;
  for (unsigned char c : name)
    if (std::isalnum(c) || std::strchr("!#$&+-.^_`|~", c)) pct += static_cast<char>(c);
    else pct += std::string("%") + hex[c >> 4] + hex[c & 15];
  return {"; name=\"" + encoded_word(name) + "\"", "; filename*=UTF-8''" + pct};
}

// "Name <address>" with a name that is not ASCII: the name as RFC 2047 says.
std::string mailbox_header(const std::string& v) {
  std::string t = one_line(v);
  if (ascii(t)) return t;
  size_t lt = t.rfind('<');
  if (lt == std::string::npos) return t;  // (an address alone: plain_address let only ASCII through)
  std::string name = t.substr(0, lt);
  while (!name.empty() && name.back() == ' ') name.pop_back();
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
  return encoded_word(name) + " " + t.substr(lt);
}

std::string mime(const OutboundEmail& e, const std::string& mid, const std::vector<File>& files) {
  std::string h;
  h += "From: " + mailbox_header(e.from) + "\r\n";
  std::string to;
  for (const auto& t : e.to) to += (to.empty() ? "" : ", ") + t;
  h += "To: " + to + "\r\n";
  h += "Subject: " + encoded_word(e.subject) + "\r\n";
  h += "Date: " + rfc5322_date(std::time(nullptr)) + "\r\n";
  h += "Message-ID: <" + mid + ">\r\n";
  if (!e.reply_to_alt_id.empty()) {
    std::string p = one_line(e.reply_to_alt_id);
    if (p.front() != '<') p = "<" + p + ">";
    h += "In-Reply-To: " + p + "\r\nReferences: " + p + "\r\n";
  }
  h += "MIME-Version: 1.0\r\n";
  std::string html_part = "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64_lines(e.html);
  if (files.empty()) return h + html_part;
  std::string b = "accord-" + e.message_id;
  std::string m = h + "Content-Type: multipart/mixed; boundary=\"" + b + "\"\r\n\r\n--" + b + "\r\n" + html_part;
  for (const auto& f : files) {
    auto [type_name, disposition_name] = name_params(f.name);
    m += "--" + b + "\r\nContent-Type: " + mime_type(f.type) + type_name + "\r\nContent-Disposition: attachment" +
         disposition_name + "\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64_lines(f.data);
  }
  return m + "--" + b + "--\r\n";
}

// An attachment HighLevel names by URL: fetched (http/https only).
bool fetch(const std::string& url, File& f, std::string& err) {
  if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) return err = "attachment " + url + " is not an http(s) URL", false;
  Easy e;
  curl_easy_setopt(e.h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e.h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(e.h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e.h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e.h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(25) << 20);
  if (CURLcode rc = e.perform(); rc != CURLE_OK || e.code() != 200)
    return err = "attachment " + url + ": " + (rc != CURLE_OK ? e.error(rc) : "HTTP " + std::to_string(e.code())), false;
  std::string path = url.substr(0, url.find_first_of("?#"));
  std::string name = path.substr(path.rfind('/') + 1);
  char* un = curl_easy_unescape(e.h, name.c_str(), static_cast<int>(name.size()), nullptr);
  name = un ? un : name;
  curl_free(un);
  name.erase(std::remove_if(name.begin(), name.end(), [](char ch) { return ch == '"' || ch == '\\' || static_cast<unsigned char>(ch) < 0x20; }),
             name.end());
  if (name.empty()) name = "attachment";
  char* ct = nullptr;
  curl_easy_getinfo(e.h, CURLINFO_CONTENT_TYPE, &ct);
  f.type = ct ? ct : "";
  f.name = std::move(name);
  f.data = std::move(e.got);
  return true;
}

// PUT /conversations/messages/{messageId}/status (UpdateMessageStatusDto).
bool put_status(const OutboundConfig& c, const std::string& hl_id, const std::string& status, const std::string& error,
                std::string& err) {
  json::object b{{"status", status}};
  if (!error.empty()) b["error"] = json::object{{"code", "1"}, {"type", "saas"}, {"message", error}};
  Easy e;
  std::string base = c.highlevel_base;
  while (!base.empty() && base.back() == '/') base.pop_back();
  curl_easy_setopt(e.h, CURLOPT_URL, (base + "/conversations/messages/" + hl_id + "/status").c_str());
  curl_easy_setopt(e.h, CURLOPT_CUSTOMREQUEST, "PUT");
  e.headers = curl_slist_append(e.headers, ("Authorization: Bearer " + c.highlevel_token).c_str());
  e.headers = curl_slist_append(e.headers, "Version: 2021-04-15");
  e.headers = curl_slist_append(e.headers, "Content-Type: application/json");
  e.headers = curl_slist_append(e.headers, "Accept: application/json");
  curl_easy_setopt(e.h, CURLOPT_HTTPHEADER, e.headers);
  std::string body = json::serialize(b);
  curl_easy_setopt(e.h, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(e.h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  CURLcode rc = e.perform();
  if (rc != CURLE_OK) return err = "HighLevel status: " + e.error(rc), false;
  if (e.code() / 100 != 2) return err = "HighLevel status: HTTP " + std::to_string(e.code()) + ": " + e.got.substr(0, 300), false;
  return true;
}

// Before anything is sent: the delivery names a message HighLevel has, of
// this location (and conversation provider), outbound, to this contact, not
// yet delivered. GET /conversations/messages/{messageId} ("Get message by
// message id", apps/conversations.json: GetMessageResponseDto, unwrapped).
// A signature only proves "from HighLevel" (one key signs every app's and
// location's webhooks): this binds the delivery to this install and to a
// message still waiting. 0: good; 1: refused (why); 2: cannot tell now (why).
int check_in_highlevel(const OutboundConfig& c, const OutboundEmail& m, std::string& why) {
  Easy e;
  std::string base = c.highlevel_base;
  while (!base.empty() && base.back() == '/') base.pop_back();
  curl_easy_setopt(e.h, CURLOPT_URL, (base + "/conversations/messages/" + m.message_id).c_str());
  e.headers = curl_slist_append(e.headers, ("Authorization: Bearer " + c.highlevel_token).c_str());
  e.headers = curl_slist_append(e.headers, "Version: 2021-04-15");
  e.headers = curl_slist_append(e.headers, "Accept: application/json");
  curl_easy_setopt(e.h, CURLOPT_HTTPHEADER, e.headers);
  if (CURLcode rc = e.perform(); rc != CURLE_OK) return why = "HighLevel (GET the message): " + e.error(rc), 2;
  if (e.code() == 404) return why = "HighLevel has no message " + m.message_id + " (a forged delivery, or one for another location)", 1;
  if (e.code() == 401 || e.code() == 403)
    return why = "HighLevel refused highlevel_token reading message " + m.message_id + " (HTTP " + std::to_string(e.code()) +
                 "): check the provider file's highlevel_token (the provider app's location token)", 2;
  if (e.code() / 100 != 2) return why = "HighLevel (GET the message): HTTP " + std::to_string(e.code()) + ": " + e.got.substr(0, 200), 2;
  boost::system::error_code ec;
  json::value v = json::parse(e.got, ec);
  if (ec || !v.is_object()) return why = "HighLevel (GET the message): not a JSON object", 2;
  const json::object& o = v.get_object();
  std::string loc = text(o, "locationId"), dir = text(o, "direction"), contact = text(o, "contactId"),
              prov = text(o, "conversationProviderId"), status = text(o, "status");
  if (loc != c.location_id) return why = "message " + m.message_id + " is of location " + loc + " in HighLevel, not " + c.location_id, 1;
  if (dir != "outbound") return why = "message " + m.message_id + " is not outbound in HighLevel (" + dir + ")", 1;
  if (!m.contact_id.empty() && contact != m.contact_id)
    return why = "message " + m.message_id + " is to contact " + contact + " in HighLevel, the delivery says " + m.contact_id, 1;
  if (!prov.empty() && !c.conversation_provider_id.empty() && prov != c.conversation_provider_id)
    return why = "message " + m.message_id + " is of conversation provider " + prov + ", not " + c.conversation_provider_id, 1;
  for (const char* done : {"delivered", "sent", "read", "opened", "clicked"})
    if (status == done) return why = "message " + m.message_id + " is " + status + " in HighLevel already (a replayed delivery)", 1;
  return 0;
}

std::string answer_json(const std::string& status, const std::string& mid, const std::string& error = {}) {
  json::object o{{"status", status}, {"messageId", mid}};
  if (!error.empty()) o["error"] = error;
  return json::serialize(o) + "\n";
}

}  // namespace

WebhookAnswer Outbound::handle(std::string_view body, std::string_view signature) {
  std::lock_guard lock(mu_);
  std::string why;
  if (!verify_ed25519(body, signature, c_.public_key_pem, why)) {
    log("email_crm provider: refused a delivery (401): " + why);
    return {401, answer_json("refused", "", why)};
  }
  std::string err;
  auto e = parse_outbound(body, err);
  if (!e) {
    log("email_crm provider: refused a signed delivery (400): " + err);
    return {400, answer_json("refused", "", err)};
  }
  if (e->type != "Email") {
    log("email_crm provider: message " + e->message_id + " is of type " + e->type + ": only Email is sent");
    return {422, answer_json("refused", e->message_id, "only type Email is sent through the mailbox")};
  }
  if (e->location_id != c_.location_id) {
    std::string why = "message " + e->message_id + " is for location " + (e->location_id.empty() ? "(none)" : e->location_id) +
                      "; this Delivery URL serves location " + c_.location_id + " (location_id): not sent";
    log("email_crm provider: refused a signed delivery (403): " + why);
    return {403, answer_json("refused", e->message_id, why)};
  }
  if (!e->conversation_provider_id.empty() && !c_.conversation_provider_id.empty() &&
      e->conversation_provider_id != c_.conversation_provider_id) {
    std::string why = "message " + e->message_id + " is for conversation provider " + e->conversation_provider_id +
                      "; this Delivery URL serves " + c_.conversation_provider_id + " (conversation_provider_id): not sent";
    log("email_crm provider: refused a signed delivery (403): " + why);
    return {403, answer_json("refused", e->message_id, why)};
  }
  try {
    Journal j(c_.journal, c_.owner);
    if (auto had = j.get(e->message_id); had && had->owner != c_.owner) {
      std::string why = "message " + e->message_id + " is journalled by another provider (" +
                        (had->owner.empty() ? std::string("the --provider file's") : "stream pair " + had->owner) +
                        ") on this state file: not sent through this one";
      log("email_crm provider: refused a delivery (409): " + why);
      return {409, answer_json("refused", e->message_id, why)};
    } else if (had) {
      log("email_crm provider: message " + e->message_id + " delivered again (" + had->state + "): nothing is sent twice");
    } else {
      if (int v = check_in_highlevel(c_, *e, err); v == 1) {
        log("email_crm provider: refused a signed delivery (403): " + err + ": not sent");
        return {403, answer_json("refused", e->message_id, err)};
      } else if (v == 2) {
        log("email_crm provider: message " + e->message_id + " not sent yet: " + err);
        return {503, answer_json("pending", e->message_id, err)};
      }
      Row r;
      r.hl_id = e->message_id;
      r.message_id = outbound_message_id(*e);
      r.sender = address_of(e->from);
      json::array to;
      for (const auto& t : e->to) to.emplace_back(t);
      r.rcpt = json::serialize(to);
      bool ours = c_.mailbox.empty() ||
                  std::any_of(c_.mailbox.begin(), c_.mailbox.end(), [&](const std::string& m) { return address_of(m) == r.sender; });
      std::vector<File> files;
      if (!ours) {
        r.state = "failed";
        r.error = "emailFrom " + r.sender + " is not this mailbox's address (email_crm.mailbox): not sent";
      } else {
        for (const auto& url : e->attachments) {
          File f;
          if (!fetch(url, f, r.error)) {
            r.state = "failed";
            break;
          }
          files.push_back(std::move(f));
        }
        if (r.state.empty()) r.state = "sending";
      }
      r.mail = mime(*e, r.message_id, files);
      j.insert(r);  // "sending" is written before the SMTP transaction starts
    }
    return finish(e->message_id);
  } catch (const std::exception& x) {
    // (the journal says how far it got: the next delivery or start goes on from there)
    log(std::string("email_crm provider: ") + x.what());
    return {500, answer_json("error", e->message_id, x.what())};
  }
}

WebhookAnswer Outbound::finish(const std::string& hl_id) {
  Journal j(c_.journal, c_.owner);
  Mailer m{c_, {}};
  auto r = j.get(hl_id);
  if (!r) return {404, answer_json("unknown", hl_id)};
  if (r->owner != c_.owner) return {409, answer_json("refused", hl_id, "another provider's message")};  // (its own mailbox)
  // and only from this mailbox (two --provider files naming one journal
  // share the owner ''): a row of another address is not filed here
  if (r->state != "failed" && !c_.mailbox.empty() &&
      std::none_of(c_.mailbox.begin(), c_.mailbox.end(), [&](const std::string& a) { return address_of(a) == r->sender; })) {
    log("email_crm provider: message " + hl_id + " is from " + r->sender + ", not this mailbox (" + c_.mailbox.front() +
        "): left to the provider of that mailbox");
    return {409, answer_json("refused", hl_id, "another mailbox's message")};
  }
  std::string err;
  // At most once: a try that started and whose end is not known (a stop
  // during or after the SMTP transaction, the server's last reply lost) is
  // never made again. A server that files submitted mail itself (Gmail) has
  // it in Sent if it went; otherwise it is "unknown": its copy is filed in
  // Sent, flagged, and HighLevel told "failed: may have been sent".
  auto not_known = [&](const std::string& why) {
    if (c_.server_files_sent) {
      std::string e2;
      if (auto found = m.in_sent(r->message_id, e2); found && !found->empty()) {
        log("email_crm provider: message " + hl_id + " is in Sent already (<" + r->message_id + ">): not sent again");
        j.set_patiently(hl_id, "filed");
        return;
      }
    }
    std::string msg = "may have been sent (" + why + "); check Sent for <" + r->message_id +
                      "> and resend it by hand if it is not at the contact: Accord never sends it again";
    log("email_crm provider: message " + hl_id + " " + msg);
    j.set_patiently(hl_id, "unknown", msg, 0);
  };
  if (r->state == "sending") {
    if (r->told) {
      not_known("a try started before and its end is not known: stopped during or after the SMTP transaction");
    } else {
      if (crash_point) crash_point("before_claim");
      if (!j.claim(hl_id)) {  // told = 1: a try has started (never another): here, or another's
        log("email_crm provider: message " + hl_id + " is being sent by another try: not sent here");
        return {200, answer_json("sending", hl_id)};
      }
      int rc = m.smtp(*r, err);
      if (rc == 1) {
        log("email_crm provider: message " + hl_id + " was not sent: " + err);
        j.set_patiently(hl_id, "failed", err);
      } else if (rc == 2) {
        not_known(err + ", after the mail's data was given");
      } else {
        if (crash_point) crash_point("after_smtp");
        j.set_patiently(hl_id, c_.server_files_sent ? "filed" : "sent");
        if (crash_point) crash_point("after_sent");
        log("email_crm provider: message " + hl_id + " sent as <" + r->message_id + ">");
      }
    }
    r = j.get(hl_id);
  }
  if (r->state == "unknown") {
    if (!r->told) {  // told = 1: the copy is in Sent and HighLevel has "failed"
      auto found = m.in_sent(r->message_id, err);
      if (!found || (found->empty() && !m.append(r->mail, r->message_id, err, true))) {
        log("email_crm provider: message " + hl_id + " (unknown): its copy is not yet in Sent: " + err + " (at the next try)");
        return {200, answer_json("unknown", hl_id, r->error)};
      }
      if (!put_status(c_, hl_id, "failed", r->error, err)) {
        log("email_crm provider: message " + hl_id + " (unknown): " + err + " (told at the next try)");
        return {200, answer_json("unknown", hl_id, r->error)};
      }
      j.set_patiently(hl_id, "unknown", r->error, 1);
    }
    return {200, answer_json("unknown", hl_id, r->error)};
  }
  if (r->state == "sent") {
    auto found = m.in_sent(r->message_id, err);
    if (found && (!found->empty() || m.append(r->mail, r->message_id, err))) {
      j.set(hl_id, "filed");
      r->state = "filed";
    } else {
      log("email_crm provider: message " + hl_id + " sent, its copy not yet in Sent: " + err);
    }
  }
  if (r->state == "filed" || r->state == "sent") {
    // told = 2: HighLevel has "delivered" (a "sent" one still lacks its Sent copy)
    if (r->told != 2 && !put_status(c_, hl_id, "delivered", "", err)) {
      log("email_crm provider: message " + hl_id + " sent; " + err + " (told at the next try)");
      return {200, answer_json("sent", hl_id, err)};
    }
    j.set(hl_id, r->state == "filed" ? "done" : "sent", "", 2);
    return {200, answer_json("delivered", hl_id)};
  }
  if (r->state == "failed") {
    if (!r->told) {
      if (!put_status(c_, hl_id, "failed", r->error, err)) {
        log("email_crm provider: message " + hl_id + " failed; " + err + " (told at the next try)");
        return {200, answer_json("failed", hl_id, r->error)};
      }
      j.set(hl_id, "failed", r->error, 1);
    }
    return {200, answer_json("failed", hl_id, r->error)};
  }
  return {200, answer_json("delivered", hl_id)};  // done
}

std::vector<OutboundEntry> outbound_to_list(const std::filesystem::path& state_file) {
  std::vector<OutboundEntry> out;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(state_file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return out;
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* st = nullptr;
  // (no journal table: prepare fails, nothing listed; a table of before
  // the column owner, not yet opened by a provider: its rows are '')
  auto query = [](const char* owner) {
    return std::string("SELECT hl_message_id, message_id, state, rcpt, error, received, updated, told, ") + owner +
           " FROM email_crm_provider_outbound WHERE state IN ('sending','sent','filed')"
           " OR (state = 'unknown' AND updated >= strftime('%Y-%m-%dT%H:%M:%SZ','now','-30 days'))"
           " ORDER BY received, hl_message_id";
  };
  if (sqlite3_prepare_v2(db, query("owner").c_str(), -1, &st, nullptr) == SQLITE_OK ||
      sqlite3_prepare_v2(db, query("''").c_str(), -1, &st, nullptr) == SQLITE_OK) {
    auto col = [&](int i) {
      const unsigned char* t = sqlite3_column_text(st, i);
      return std::string(t ? reinterpret_cast<const char*>(t) : "");
    };
    while (sqlite3_step(st) == SQLITE_ROW) {
      std::string to;  // the recipients, stored as a JSON list
      boost::system::error_code ec;
      json::value r = json::parse(col(3), ec);
      if (!ec && r.is_array())
        for (const auto& a : r.get_array())
          if (a.is_string()) to += (to.empty() ? "" : ", ") + std::string(a.get_string());
      out.push_back({col(0), col(1), col(2), to, col(4), col(5), col(6), sqlite3_column_int(st, 7), col(8)});
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

std::string outbound_what_to_do(const OutboundEntry& e) {
  if (e.state == "unknown")
    return "may have been sent (its try was cut off: Accord never sends it again). Look in the mailbox's Sent for the "
           "flagged copy <" + e.message_id + "> (keyword $AccordMaybeSent), or ask the contact; if it did not arrive, "
           "send it again from HighLevel (a new message). HighLevel shows it failed. Listed for 30 days.";
  if (e.state == "sending" && e.told)
    return "a try was cut off: the provider's next start (or its check every 5 minutes) marks it unknown or finds it in "
           "Sent; it is never sent twice";
  return "not finished (" + e.state + "): accord daemon finishes it at its start and every 5 minutes; nothing to do "
         "while the daemon serves the Delivery URL";
}

int Outbound::recover() {
  std::lock_guard lock(mu_);
  int n = 0, others = 0;
  std::vector<std::string> ids;
  try {
    ids = Journal(c_.journal, c_.owner).unfinished(&others);
  } catch (const std::exception& x) {
    log(std::string("email_crm provider: ") + x.what());
    return 0;
  }
  if (others)
    log("email_crm provider" + (c_.owner.empty() ? std::string() : " of " + c_.owner) + ": " + std::to_string(others) +
        " unfinished message(s) in " + c_.journal.string() + " are another provider's (another stream pair's, or the"
        " --provider file's): left to it (each is finished only with its own mailbox)");
  for (const auto& id : ids) {
    try {
      if (finish(id).status != 409) ++n;  // (409: another provider's or mailbox's: left)
    } catch (const std::exception& x) {
      log("email_crm provider: message " + id + ": " + x.what());
    }
  }
  return n;
}

}  // namespace accord::email_crm
