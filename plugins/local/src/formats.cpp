// SPDX-License-Identifier: Apache-2.0
#include "formats.hpp"

#include "icalendar.hpp"
#include "vcard.hpp"

#include <accord/json/exact.hpp>
#include <accord/json/handler.hpp>
#include <accord/json/pointer.hpp>
#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>

#include <charconv>
#include <cmath>
#include <map>
#include <vector>

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

// Each fraction of a JSON text, by JSON pointer, with its text as written.
using NumberTexts = std::map<std::string, std::pair<double, std::string>>;

// A basic_parser handler that only notes where each fraction is and how it
// was written (the parse itself is the format's own, json_exact).
struct NumberTextHandler : accord::json_exact::HandlerBase {
  struct Level {
    bool array;
    size_t index = 0;
    std::string key;
  };
  NumberTexts* out;
  std::vector<Level> levels;
  std::string key, number;

  explicit NumberTextHandler(NumberTexts* o) : out(o) {}
  std::string pointer() const {
    std::string p;
    for (const auto& l : levels) p += "/" + (l.array ? std::to_string(l.index) : accord::json_pointer::escape(l.key));
    return p;
  }
  bool next() {  // a value ended: an array's next one is at the next index
    if (!levels.empty() && levels.back().array) ++levels.back().index;
    return true;
  }
  bool on_object_begin(ec_t&) { return levels.push_back({false, 0, {}}), true; }
  bool on_object_end(std::size_t, ec_t&) { return levels.pop_back(), next(); }
  bool on_array_begin(ec_t&) { return levels.push_back({true, 0, {}}), true; }
  bool on_array_end(std::size_t, ec_t&) { return levels.pop_back(), next(); }
  bool on_key_part(sv s, std::size_t, ec_t&) { return key.append(s.data(), s.size()), true; }
  bool on_key(sv s, std::size_t, ec_t&) {
    key.append(s.data(), s.size());
    levels.back().key = std::move(key);
    key.clear();
    return true;
  }
  bool on_string_part(sv, std::size_t, ec_t&) { return true; }
  bool on_string(sv, std::size_t, ec_t&) { return next(); }
  bool on_number_part(sv s, ec_t&) { return number.append(s.data(), s.size()), true; }
  bool on_int64(std::int64_t, sv, ec_t&) { return number.clear(), next(); }
  bool on_uint64(std::uint64_t, sv, ec_t&) { return number.clear(), next(); }
  bool on_double(double d, sv s, ec_t&) {
    number.append(s.data(), s.size());
    double exact = d;
    auto [end, err] = std::from_chars(number.data(), number.data() + number.size(), exact);
    if (err == std::errc() && end == number.data() + number.size()) (*out)[pointer()] = {exact, number};
    number.clear();
    return next();
  }
  bool on_bool(bool, ec_t&) { return next(); }
  bool on_null(ec_t&) { return next(); }
};

NumberTexts number_texts(std::string_view text) {
  NumberTexts out;
  json::basic_parser<NumberTextHandler> p(json::parse_options(), &out);
  boost::system::error_code ec;
  p.write_some(false, text.data(), text.size(), ec);
  if (ec) out.clear();  // (the rewrite then writes every number in its shortest form)
  return out;
}

// Pretty JSON for files people edit by hand: two-space indent, one member a
// line; a fraction the old file held at the same place with the same value
// keeps its text there (`old`, by pointer), any other in its shortest form.
void pretty(std::string& out, const json::value& v, int depth, const NumberTexts* old = nullptr,
            const std::string& at = "") {
  std::string pad(static_cast<size_t>(depth + 1) * 2, ' '), end_pad(static_cast<size_t>(depth) * 2, ' ');
  if (const json::object* o = v.if_object(); o && !o->empty()) {
    out += "{\n";
    size_t i = 0;
    for (const auto& [k, x] : *o) {
      out += pad + json::serialize(json::value(k)) + ": ";
      pretty(out, x, depth + 1, old, old ? at + "/" + accord::json_pointer::escape(k) : at);
      out += ++i < o->size() ? ",\n" : "\n";
    }
    out += end_pad + "}";
  } else if (const json::array* a = v.if_array(); a && !a->empty()) {
    out += "[\n";
    for (size_t i = 0; i < a->size(); ++i) {
      out += pad;
      pretty(out, (*a)[i], depth + 1, old, old ? at + "/" + std::to_string(i) : at);
      out += i + 1 < a->size() ? ",\n" : "\n";
    }
    out += end_pad + "]";
  } else if (v.is_double()) {
    const NumberTexts::mapped_type* was = nullptr;
    if (old)
      if (auto f = old->find(at); f != old->end()) was = &f->second;
    double d = v.get_double();
    out += was && was->first == d && std::signbit(was->first) == std::signbit(d) ? was->second : number_text(d);
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
  // an update keeps the text of each number that did not change (1.50 stays
  // 1.50), as a person wrote it
  f.rewrite = [](std::string_view old, const json::object& d, const std::string& idem) {
    json::object o = d;
    if (!idem.empty()) o["@accord"] = json::object{{"idempotency_key", idem}};
    NumberTexts texts = number_texts(old);
    std::string out;
    pretty(out, o, 0, &texts);
    return out + "\n";
  };
  return f;
}


}  // namespace local
