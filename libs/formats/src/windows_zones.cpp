// SPDX-License-Identifier: Apache-2.0
#include <accord/formats/windows_zones.hpp>

#include <Poco/Exception.h>
#include <Poco/SAX/Attributes.h>
#include <Poco/SAX/DefaultHandler.h>
#include <Poco/SAX/InputSource.h>
#include <Poco/SAX/SAXParser.h>

#include <fstream>
#include <mutex>
#include <stdexcept>

namespace accord::formats::zones {

namespace {

// <mapZone other="W. Europe Standard Time" territory="001" type="Europe/Berlin"/>
class MapZoneHandler : public Poco::XML::DefaultHandler {
 public:
  explicit MapZoneHandler(std::map<std::string, std::string>& out) : out_(out) {}
  void startElement(const Poco::XML::XMLString&, const Poco::XML::XMLString& local, const Poco::XML::XMLString& qname,
                    const Poco::XML::Attributes& attrs) override {
    if ((local.empty() ? qname : local) != "mapZone") return;
    if (attrs.getValue("", "territory") != "001") return;
    std::string type = attrs.getValue("", "type");
    if (auto sp = type.find(' '); sp != std::string::npos) type.resize(sp);  // the first is the canonical one
    if (!type.empty()) out_.emplace(attrs.getValue("", "other"), type);
  }

 private:
  std::map<std::string, std::string>& out_;
};

}  // namespace

const char* windows_zones_path() { return ACCORD_CLDR_WINDOWS_ZONES; }

std::map<std::string, std::string> read_windows_zones(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open the CLDR windowsZones table (Debian: unicode-cldr-core)");
  std::map<std::string, std::string> out;
  MapZoneHandler handler(out);
  Poco::XML::SAXParser parser;
  parser.setFeature(Poco::XML::XMLReader::FEATURE_NAMESPACES, true);
  parser.setContentHandler(&handler);
  Poco::XML::InputSource source(in);
  try {
    parser.parse(&source);
  } catch (const Poco::Exception& e) {
    throw std::runtime_error(path + ": " + e.displayText());
  }
  return out;
}

std::optional<std::string> iana_from_windows(const std::string& windows_name) {
  static std::once_flag once;
  static std::map<std::string, std::string> table;
  std::call_once(once, [] {
    try {
      table = read_windows_zones(windows_zones_path());
    } catch (const std::exception&) {
      // no table: Windows names stay unmapped (their VTIMEZONE still travels)
    }
  });
  auto it = table.find(windows_name);
  if (it == table.end()) return std::nullopt;
  return it->second;
}

}  // namespace accord::formats::zones
