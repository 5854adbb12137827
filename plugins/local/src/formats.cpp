// SPDX-License-Identifier: Apache-2.0
#include "formats.hpp"

#include "icalendar.hpp"
#include "vcard.hpp"

#include <accord/json/exact.hpp>
#include <boost/json.hpp>

#include <charconv>
#include <cmath>

namespace json = boost::json;
namespace collection = accord::formats::collection;

namespace local {

namespace {
// A double as people write it: the shortest text that reads back to the
// same double (std::to_chars), plain between 1e-7 and 1e21 as JavaScript's
// JSON.stringify writes it, with an exponent outside; ".0" where the text
// would otherwise read back as an integer. Boost.JSON 1.81 writes every
// double with an exponent (37.7749 as 3.77749E1), which rewrote each number
// of a user's file whenever any field of it changed.
std::string number_text(double d) {
  if (!std::isfinite(d)) return json::serialize(json::value(d));  // Boost's own answer, as before
  char buf[400];
  double a = std::fabs(d);
  auto fmt = a == 0 || (a >= 1e-7 && a < 1e21) ? std::chars_format::fixed : std::chars_format::scientific;
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d, fmt);
  if (ec != std::errc()) return json::serialize(json::value(d));
  std::string out(buf, end);
  if (out.find_first_of(".e") == std::string::npos) out += ".0";
  return out;
}

// Pretty JSON for files people edit by hand: two-space indent, one member a line.
void pretty(std::string& out, const json::value& v, int depth) {
  std::string pad(static_cast<size_t>(depth + 1) * 2, ' '), end_pad(static_cast<size_t>(depth) * 2, ' ');
  if (const json::object* o = v.if_object(); o && !o->empty()) {
    out += "{\n";
    size_t i = 0;
    for (const auto& [k, x] : *o) {
      out += pad + json::serialize(json::value(k)) + ": ";
      pretty(out, x, depth + 1);
      out += ++i < o->size() ? ",\n" : "\n";
    }
    out += end_pad + "}";
  } else if (const json::array* a = v.if_array(); a && !a->empty()) {
    out += "[\n";
    for (size_t i = 0; i < a->size(); ++i) {
      out += pad;
      pretty(out, (*a)[i], depth + 1);
      out += i + 1 < a->size() ? ",\n" : "\n";
    }
    out += end_pad + "]";
  } else if (v.is_double()) {
    out += number_text(v.get_double());
  } else {
    out += json::serialize(v);
  }
}

}  // namespace

std::map<std::string, FileFormat> vcard_formats(const std::string& version) {
  FileFormat f;
  f.extension = ".vcf";
  f.parse = [](std::string_view text) {
    auto p = vcard::parse(text);
    return FileFormat::Parsed{true, std::move(p.card), std::move(p.idempotency_key), std::move(p.unknown)};
  };
  f.serialize = [version](const json::object& d, const std::string& idem, const std::vector<std::string>& keep) {
    return vcard::serialize(d, version, idem, keep);
  };
  f.rewrite = [](std::string_view old, const json::object& d, const std::string& idem) {
    return vcard::rewrite(old, d, idem);  // keeps the file's version (2.1, 3.0, 4.0)
  };
  // an address book export: one record per card
  f.split = [](std::string_view text) { return collection::vcards(text); };
  f.put_back = [](std::string_view file, const collection::Member& m, std::string_view card) {
    return collection::splice(file, m, collection::vcard_replacement(card));
  };
  f.component = "VCARD";
  return {{"contact", std::move(f)}};
}

std::map<std::string, FileFormat> icalendar_formats() {
  std::map<std::string, FileFormat> out;
  for (auto kind : {icalendar::Kind::kEvent, icalendar::Kind::kTask, icalendar::Kind::kJournal}) {
    FileFormat f;
    f.extension = ".ics";
    f.parse = [kind](std::string_view text) {
      auto p = icalendar::parse(text);
      return FileFormat::Parsed{p.kind == kind, std::move(p.object), std::move(p.idempotency_key), std::move(p.unknown)};
    };
    f.serialize = [kind](const json::object& d, const std::string& idem, const std::vector<std::string>& keep) {
      return icalendar::serialize(d, kind, idem, keep);
    };
    f.rewrite = [kind](std::string_view old, const json::object& d, const std::string& idem) {
      return icalendar::rewrite(old, d, kind, idem);
    };
    // a whole calendar: one record per UID, its overrides with it
    f.split = [](std::string_view text) { return collection::calendar(text); };
    f.put_back = [](std::string_view file, const collection::Member& m, std::string_view record) {
      return collection::calendar_put_back(file, m, record);
    };
    f.component = kind == icalendar::Kind::kEvent ? "VEVENT" : kind == icalendar::Kind::kTask ? "VTODO" : "VJOURNAL";
    // a VJOURNAL is a note
    out[kind == icalendar::Kind::kEvent ? "event" : kind == icalendar::Kind::kTask ? "task" : "note"] = std::move(f);
  }
  return out;
}

// The json backend: <path>/<stream>/<id>.json holds a record's data; the
// idempotency key rides in a reserved member, "@accord".
std::optional<FileFormat> json_format(const std::string& stream) {
  bool ok = !stream.empty() && stream[0] >= 'a' && stream[0] <= 'z';
  for (char ch : stream) ok = ok && ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_');
  if (!ok) return std::nullopt;
  FileFormat f;
  f.extension = ".json";
  f.key_name = "\"@accord\"";
  f.parse = [](std::string_view text) {
    boost::system::error_code ec;
    json::value v = accord::json_exact::parse(text, ec);  // Boost's default depth (32), as the host reads
    if (ec == json::error::too_deep) throw std::runtime_error("not JSON the host can read: nested deeper than 32 levels");
    if (ec) throw std::runtime_error("not JSON (" + ec.message() + ")");
    if (!v.is_object()) throw std::runtime_error("a record file must hold a JSON object");
    FileFormat::Parsed p;
    p.data = std::move(v.get_object());
    if (auto* meta = p.data.if_contains("@accord"); meta && meta->is_object())
      if (auto* k = meta->get_object().if_contains("idempotency_key"); k && k->is_string()) p.idem = k->get_string();
    p.data.erase("@accord");
    return p;
  };
  f.serialize = [](const json::object& d, const std::string& idem, const std::vector<std::string>&) {
    json::object o = d;
    if (!idem.empty()) o["@accord"] = json::object{{"idempotency_key", idem}};
    std::string out;
    pretty(out, o, 0);
    return out + "\n";
  };
  return f;
}


}  // namespace local
