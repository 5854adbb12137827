// SPDX-License-Identifier: Apache-2.0
#include "mime.hpp"

#include <accord/mail/message.hpp>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <vector>

namespace accord::outlook::mapi {

namespace {

bool printable_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c >= 0x7F) return false;
  return true;
}

// base64 in lines of 76 (RFC 2045 6.8)
std::string base64_lines(std::string_view bytes) {
  std::string b = accord::mail::base64_encode(bytes), out;
  for (size_t i = 0; i < b.size(); i += 76) out += b.substr(i, 76) + "\r\n";
  return out;
}

std::string rfc5322_date(int64_t secs) {
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char b[64];
  std::snprintf(b, sizeof b, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return b;
}

// "Name" <addr>, the name quoted or encoded as it needs
std::string mailbox(const std::string& name, const std::string& email) {
  std::string out;
  if (!name.empty() && name != email) {
    if (!printable_ascii(name)) {
      out = encode_header_text(name) + " ";
    } else {
      out = "\"";
      for (char c : name) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += "\" ";
    }
  }
  return out + "<" + email + ">";
}

std::string ids(std::string_view v) {  // Message-ID style values kept as the store has them
  std::string out(v);
  while (!out.empty() && (out.back() == '\r' || out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// The stored Internet headers without the MIME fields this rebuild replaces.
std::string kept_transport_headers(std::string_view h) {
  std::string out;
  bool skipping = false;
  size_t pos = 0;
  while (pos < h.size()) {
    size_t eol = h.find('\n', pos);
    std::string_view line = h.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    pos = eol == std::string_view::npos ? h.size() : eol + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // the end of the header block
    bool continuation = line.front() == ' ' || line.front() == '\t';
    if (!continuation) {
      std::string name = accord::mail::lower(line.substr(0, line.find(':')));
      skipping = name == "content-type" || name == "content-transfer-encoding" || name == "mime-version" ||
                 name == "content-disposition";
    }
    if (!skipping) out.append(line).append("\r\n");
  }
  return out;
}

std::string charset_of_codepage(int64_t cp) {
  switch (cp) {
    case 65001: return "utf-8";
    case 1252: return "windows-1252";
    case 28591: return "iso-8859-1";
    case 20127: return "us-ascii";
    case 1250: return "windows-1250";
    case 1251: return "windows-1251";
    case 932: return "shift_jis";
    case 936: return "gb2312";
    case 950: return "big5";
    case 50220: return "iso-2022-jp";
    default: return "";
  }
}

constexpr uint16_t kInternetCodepage = 0x3FDE;  // PR_INTERNET_CPID

struct Leaf {
  std::string headers;  // CRLF-terminated lines
  std::string body;     // encoded, CRLF-terminated
};

std::string multipart(const std::string& subtype, const std::vector<std::string>& parts, const std::string& boundary) {
  std::string out = "Content-Type: multipart/" + subtype + "; boundary=\"" + boundary + "\"\r\n\r\n";
  for (const auto& p : parts) out += "--" + boundary + "\r\n" + p;
  out += "--" + boundary + "--\r\n";
  return out;
}

std::string text_part(const std::string& type, const std::string& charset, std::string_view bytes) {
  std::string h = "Content-Type: " + type + (charset.empty() ? "" : "; charset=\"" + charset + "\"") + "\r\n";
  return h + "Content-Transfer-Encoding: base64\r\n\r\n" + base64_lines(bytes);
}

std::string filename_params(const std::string& name) {
  if (name.empty()) return "";
  if (printable_ascii(name) && name.find('"') == std::string::npos) return "; filename=\"" + name + "\"";
  // RFC 2231 extended value in UTF-8
  std::string out = "; filename*=utf-8''";
  static const char* hex = "0123456789ABCDEF";
  for (unsigned char c : name) {
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_') out += static_cast<char>(c);
    else out += '%', out += hex[c >> 4], out += hex[c & 15];
  }
  return out;
}

std::string build(const Item& item, int depth);

std::string attachment_part(const Attachment& a, int depth, std::string_view html) {
  const PropertySet& p = a.props;
  std::string name = p.str(tag::kAttachLongFilename).value_or(p.str(tag::kAttachFilename).value_or(""));
  int64_t method = p.num(tag::kAttachMethod).value_or(1);
  if (a.embedded || method == 5) {  // ATTACH_EMBEDDED_MSG
    // the embedded message's boundaries carry its depth, so never equal ours
    std::string inner = a.embedded ? build(*a.embedded, depth) : std::string();
    return "Content-Type: message/rfc822\r\nContent-Disposition: attachment" + filename_params(name) + "\r\n\r\n" +
           inner + (inner.ends_with("\r\n") ? "" : "\r\n");
  }
  std::string type = accord::mail::lower(p.str(tag::kAttachMimeTag).value_or("application/octet-stream"));
  std::string h = "Content-Type: " + type + (name.empty() ? "" : "; name=\"" + encode_header_text(name) + "\"") + "\r\n";
  auto cid = p.str(tag::kAttachContentId);
  // Exchange gives every attachment a Content-ID: only one the HTML body
  // shows (src="cid:…") is inline, the others stay attachments
  bool inline_part = cid && html.find("cid:" + *cid) != std::string_view::npos;
  h += std::string("Content-Disposition: ") + (inline_part ? "inline" : "attachment") + filename_params(name) + "\r\n";
  if (cid) h += "Content-ID: <" + *cid + ">\r\n";
  return h + "Content-Transfer-Encoding: base64\r\n\r\n" + base64_lines(a.data);
}

std::string build(const Item& item, int depth) {
  const PropertySet& p = item.props;
  std::string head;
  if (auto h = p.str(tag::kTransportMessageHeaders)) {
    head = kept_transport_headers(*h);
  } else {
    std::optional<int64_t> when = p.time(tag::kClientSubmitTime);
    if (!when) when = p.time(tag::kMessageDeliveryTime);
    if (!when) when = p.time(tag::kCreationTime);
    if (when) head += "Date: " + rfc5322_date(*when) + "\r\n";
    auto from_email = p.str(tag::kSentRepresentingSmtpAddress);
    if (!from_email) from_email = p.str(tag::kSentRepresentingEmail);
    auto from_name = p.str(tag::kSentRepresentingName).value_or("");
    if (from_email) head += "From: " + mailbox(from_name, *from_email) + "\r\n";
    auto sender_email = p.str(tag::kSenderSmtpAddress);
    if (!sender_email) sender_email = p.str(tag::kSenderEmail);
    if (sender_email && (!from_email || *sender_email != *from_email))
      head += "Sender: " + mailbox(p.str(tag::kSenderName).value_or(""), *sender_email) + "\r\n";
    for (int kind : {Recipient::kTo, Recipient::kCc, Recipient::kBcc}) {
      std::string list;
      for (const Recipient& r : item.recipients)
        if (r.kind == kind && !r.email.empty()) list += (list.empty() ? "" : ",\r\n ") + mailbox(r.name, r.email);
      if (!list.empty()) head += std::string(kind == Recipient::kTo ? "To" : kind == Recipient::kCc ? "Cc" : "Bcc") + ": " + list + "\r\n";
    }
    if (auto s = p.str(tag::kSubject)) head += "Subject: " + encode_header_text(*s) + "\r\n";
    if (auto id = p.str(tag::kInternetMessageId)) head += "Message-ID: " + ids(*id) + "\r\n";
    if (auto id = p.str(tag::kInReplyToId)) head += "In-Reply-To: " + ids(*id) + "\r\n";
    if (auto id = p.str(tag::kInternetReferences)) head += "References: " + ids(*id) + "\r\n";
  }
  head += "MIME-Version: 1.0\r\n";

  std::string boundary_base = "=_accord_pst_" + std::to_string(depth) + "_";
  std::vector<std::string> alternatives;
  std::string html_text = p.bin(tag::kHtml).value_or("");
  if (auto body = p.str(tag::kBody)) alternatives.push_back(text_part("text/plain", "utf-8", *body));
  if (auto html = p.bin(tag::kHtml)) {
    alternatives.push_back(text_part("text/html", charset_of_codepage(p.num(kInternetCodepage).value_or(0)), *html));
  } else if (!item.rtf.empty()) {
    alternatives.push_back(text_part("text/rtf", "", item.rtf));
  }
  std::string body;
  if (alternatives.empty()) body = text_part("text/plain", "utf-8", "");
  else if (alternatives.size() == 1) body = alternatives.front();
  else body = multipart("alternative", alternatives, boundary_base + "alt");

  if (item.attachments.empty()) return head + body;
  std::vector<std::string> parts{body};
  for (const Attachment& a : item.attachments) parts.push_back(attachment_part(a, depth + 1, html_text));
  return head + multipart("mixed", parts, boundary_base + "mixed");
}

}  // namespace

std::string build_mime(const Item& item) { return build(item, 0); }

}  // namespace accord::outlook::mapi
