// SPDX-License-Identifier: Apache-2.0
// `accord plugins [--json]` and `accord plugins show ID`.
#include "cli/exit_codes.hpp"
#include "cli/options.hpp"
#include <accord/text/terminal_text.hpp>
#include <accord/text/join.hpp>
#include "plugins/registry.hpp"

#include <boost/json.hpp>

#include <iostream>

namespace json = boost::json;

namespace accord::cli {

namespace {

json::array to_array(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

void print_refusals(const Registry& reg, bool as_json) {
  for (const auto& r : reg.refusals()) {
    if (as_json)
      // a file name need not be UTF-8: the output always is
      std::cout << json::serialize(json_safe(json::object{{"type", "refused"}, {"path", r.path.string()}, {"reason", r.reason}}))
                << "\n";
    else
      std::cerr << "accord: refused " << tty(r.line()) << "\n";
  }
}

int list(const Registry& reg, bool as_json) {
  for (const auto& p : reg.plugins()) {
    const Manifest& m = p.manifest;
    auto caps = capability_names(p.table->capabilities);
    std::string abi = std::to_string(p.table->abi_major) + "." + std::to_string(p.table->abi_minor);
    if (as_json) {
      json::array streams;
      for (const auto& s : m.streams)
        streams.push_back(json::object{{"name", s.name}, {"canonical", s.canonical},
                                       {"fields", to_array(s.fields)},
                                       {"capabilities", to_array(s.capabilities.empty() ? caps : s.capabilities)}});
      std::cout << json::serialize(json_safe(json::object{{"type", "plugin"}, {"id", m.id}, {"name", m.name},
                                                {"version", m.version}, {"abi", abi}, {"path", p.path.string()},
                                                {"capabilities", to_array(caps)}, {"streams", streams},
                                                {"custom_streams", m.custom_streams}}))
                << "\n";
      continue;
    }
    std::cout << m.id << " " << m.version << "  (ABI " << abi << ")  " << p.path.string() << "\n";
    if (!m.description.empty()) std::cout << "  " << m.description << "\n";
    std::cout << "  capabilities: " << join(caps, ", ") << "\n";
    for (const auto& s : m.streams) {
      std::cout << "  stream " << s.name << " (" << s.canonical << ")";
      if (!s.capabilities.empty()) std::cout << " [" << join(s.capabilities, ", ") << "]";
      std::cout << "\n    fields: " << (s.fields.empty() ? "(any)" : join(s.fields, " ")) << "\n";
    }
    if (m.custom_streams) std::cout << "  custom streams: named in the configuration\n";
  }
  if (!as_json && reg.plugins().empty()) {
    std::cout << "no connectors installed (searched:";
    for (const auto& d : reg.searched()) std::cout << " " << d.string();
    std::cout << ")\n";
  }
  print_refusals(reg, as_json);
  return exit_code::kOk;
}

// Prints one schema property as help, recursing into nested objects.
void describe(const std::string& name, const json::value& prop, bool required, int depth) {
  std::string indent(static_cast<size_t>(2 + depth * 2), ' ');
  const json::object* o = prop.if_object();
  std::cout << indent << name;
  if (o) {
    if (auto* t = o->if_contains("type")) std::cout << " (" << (t->is_string() ? std::string(t->get_string()) : json::serialize(*t)) << ")";
    if (required) std::cout << " required";
    if (auto* e = o->if_contains("enum")) std::cout << " one of " << json::serialize(*e);
    if (auto* d = o->if_contains("default")) std::cout << " default " << json::serialize(*d);
    std::cout << "\n";
    if (auto* d = o->if_contains("description"); d && d->is_string())
      std::cout << indent << "    " << d->get_string().c_str() << "\n";
    if (auto* props = o->if_contains("properties"); props && props->is_object()) {
      const json::array* req = o->if_contains("required") ? o->at("required").if_array() : nullptr;
      for (const auto& [k, v] : props->get_object()) {
        bool r = false;
        if (req)
          for (const auto& x : *req) r = r || (x.is_string() && x.get_string() == k);
        describe(std::string(k), v, r, depth + 1);
      }
    }
  } else {
    std::cout << "\n";
  }
}

int show(const Registry& reg, const std::string& id, bool as_json) {
  const LoadedPlugin* p = reg.find(id);
  if (!p) {
    std::string have;
    for (const auto& q : reg.plugins()) have += (have.empty() ? "" : ", ") + q.manifest.id;
    std::cerr << "accord: no connector \"" << id << "\" is installed (installed: "
              << (have.empty() ? "none" : have) << "); see accord plugins\n";
    print_refusals(reg, false);
    return exit_code::kPluginMissing;
  }
  const Manifest& m = p->manifest;
  if (as_json) {
    std::cout << json::serialize(json::object{{"type", "plugin"}, {"id", m.id}, {"version", m.version},
                                              {"config_schema", m.config_schema}, {"manifest", m.raw}})
              << "\n";
    return exit_code::kOk;
  }
  std::cout << m.id << " " << m.version << ": " << m.name << "\n";
  if (!m.description.empty()) std::cout << m.description << "\n";
  std::cout << "\nconfiguration:\n";
  const json::object& schema = m.config_schema.get_object();
  const json::array* req = schema.if_contains("required") ? schema.at("required").if_array() : nullptr;
  if (auto* props = schema.if_contains("properties"); props && props->is_object()) {
    for (const auto& [k, v] : props->get_object()) {
      bool r = false;
      if (req)
        for (const auto& x : *req) r = r || (x.is_string() && x.get_string() == k);
      describe(std::string(k), v, r, 0);
    }
  } else {
    std::cout << "  (none)\n";
  }
  std::cout << "\nstreams:";
  for (const auto& s : m.streams) std::cout << " " << s.name;
  std::cout << "\n";
  return exit_code::kOk;
}

}  // namespace

int plugins_verb(const GlobalOptions& opts, const std::vector<std::string>& args) {
  Registry reg = Registry::discover(opts.plugin_dirs);
  if (args.empty()) return list(reg, opts.json);
  if (args[0] == "show") {
    if (args.size() != 2) {
      std::cerr << "accord: usage: accord plugins show ID\n";
      return exit_code::kUsage;
    }
    return show(reg, args[1], opts.json);
  }
  std::cerr << "accord: unknown argument \"" << args[0] << "\" to plugins (try: accord plugins show ID)\n";
  return exit_code::kUsage;
}

}  // namespace accord::cli
