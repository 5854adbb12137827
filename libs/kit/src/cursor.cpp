// SPDX-License-Identifier: Apache-2.0
// Versioned cursors (see accord/kit/cursor.hpp).
#include <accord/kit/cursor.hpp>

#include <cctype>
#include <stdexcept>

namespace json = boost::json;

namespace accord::kit {

CursorFormat::CursorFormat(std::string prefix, int version)
    : prefix_(std::move(prefix)), version_(version), tag_(prefix_ + std::to_string(version) + ".") {
  bool ok = !prefix_.empty() && std::islower(static_cast<unsigned char>(prefix_[0])) && version >= 1;
  for (char c : prefix_)
    ok = ok && (std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
                c == '_' || c == '-');
  // a digit last would run into the version: "v1" + 2 reads as "v" + 12
  if (!ok || std::isdigit(static_cast<unsigned char>(prefix_.back())))
    throw std::invalid_argument("cursor prefix \"" + prefix_ + "\" or version " + std::to_string(version) + " is not usable");
}

std::string CursorFormat::write(const json::object& body) const { return tag_ + json::serialize(body); }

void CursorFormat::expire(const std::string& why) const {
  throw Error(ACCORD_CURSOR_EXPIRED, "the cursor cannot be resumed (" + why + "): listing everything");
}

std::optional<json::object> CursorFormat::read(std::string_view text) const {
  if (text.empty()) return std::nullopt;
  if (text.substr(0, tag_.size()) != tag_) {
    // ours, of another version: say so (an upgrade or a downgrade lists everything once)
    std::string_view rest = text.substr(0, text.find('.'));
    if (rest.size() > prefix_.size() && rest.substr(0, prefix_.size()) == prefix_ &&
        std::isdigit(static_cast<unsigned char>(rest[prefix_.size()])))
      expire("it is of version " + std::string(rest.substr(prefix_.size())) + ", this connector writes version " +
             std::to_string(version_));
    expire("not one of this connector's");
  }
  boost::system::error_code ec;
  json::value v = json::parse(text.substr(tag_.size()), ec);
  if (ec || !v.is_object()) expire("damaged");
  return std::move(v.get_object());
}

}  // namespace accord::kit
