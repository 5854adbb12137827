// SPDX-License-Identifier: Apache-2.0
// libpff → MAPI properties → canonical records. Every libpff handle is
// owned by a unique_ptr with its free function; every libpff error becomes
// a PstError naming the file, or, for one item, a warning and the item
// reported (one unreadable item never stops a listing).
#include "pst_backend.hpp"

#include "canonical.hpp"
#include "properties.hpp"

#include <accord/connector.h>
#include <accord/text/content_hash.hpp>
#include <accord/time/utc_time.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <libpff.h>

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <map>

namespace accord::outlook::pst {
namespace json = boost::json;
namespace mapi = accord::outlook::mapi;

namespace {

// ---- libpff handles ------------------------------------------------------

struct ErrorBox {
  libpff_error_t* e = nullptr;
  ~ErrorBox() { clear(); }
  libpff_error_t** operator&() { clear(); return &e; }
  void clear() {
    if (e) libpff_error_free(&e);
    e = nullptr;
  }
  std::string text() const {
    if (!e) return "unknown libpff error";
    char b[1024];
    if (libpff_error_sprint(e, b, sizeof b) <= 0) return "unknown libpff error";
    std::string s = b;
    while (!s.empty() && (s.back() == '\n' || s.back() == '.')) s.pop_back();
    return s;
  }
};

struct ItemFree {
  void operator()(libpff_item_t* i) const { libpff_item_free(&i, nullptr); }
};
struct RecordSetFree {
  void operator()(libpff_record_set_t* r) const { libpff_record_set_free(&r, nullptr); }
};
struct EntryFree {
  void operator()(libpff_record_entry_t* r) const { libpff_record_entry_free(&r, nullptr); }
};
struct MultiFree {
  void operator()(libpff_multi_value_t* m) const { libpff_multi_value_free(&m, nullptr); }
};
struct FileFree {
  void operator()(libpff_file_t* f) const {
    libpff_file_close(f, nullptr);
    libpff_file_free(&f, nullptr);
  }
};
using ItemPtr = std::unique_ptr<libpff_item_t, ItemFree>;
using RecordSetPtr = std::unique_ptr<libpff_record_set_t, RecordSetFree>;
using EntryPtr = std::unique_ptr<libpff_record_entry_t, EntryFree>;
using MultiPtr = std::unique_ptr<libpff_multi_value_t, MultiFree>;
using FilePtr = std::unique_ptr<libpff_file_t, FileFree>;

struct ItemError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string guid_text(const uint8_t* g) {
  char b[40];
  std::snprintf(b, sizeof b, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", g[3], g[2], g[1],
                g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
  return b;
}

// libpff's pairs of calls: the size, then the bytes into a buffer of that
// size. A string's size counts its NUL, which `text` drops. "" when either
// call fails or there is nothing.
template <class Size, class Get>
std::string sized(Size size, Get get, bool text) {
  size_t n = 0;
  if (size(&n) != 1 || n == 0) return "";
  std::string s(n, '\0');
  if (get(reinterpret_cast<uint8_t*>(s.data()), n) != 1) return "";
  if (text && s.back() == '\0') s.pop_back();
  return s;
}

std::string entry_utf8(libpff_record_entry_t* e) {
  return sized([&](size_t* n) { return libpff_record_entry_get_data_as_utf8_string_size(e, n, nullptr); },
               [&](uint8_t* b, size_t n) { return libpff_record_entry_get_data_as_utf8_string(e, b, n, nullptr); }, true);
}

std::string entry_bytes(libpff_record_entry_t* e) {
  return sized([&](size_t* n) { return libpff_record_entry_get_data_size(e, n, nullptr); },
               [&](uint8_t* b, size_t n) { return libpff_record_entry_get_data(e, b, n, nullptr); }, false);
}

// The values of a variable-size multi-valued property from its bytes
// ([MS-PST] 2.3.3.4.2: ulCount, ulCount offsets from the start, then the
// values end to end, each to the next offset and the last to the end);
// nullopt when the bytes are not that.
std::optional<std::vector<std::string>> variable_values(const std::string& b) {
  auto u32 = [&](size_t at) {
    return static_cast<uint32_t>(static_cast<uint8_t>(b[at])) | static_cast<uint32_t>(static_cast<uint8_t>(b[at + 1])) << 8 |
           static_cast<uint32_t>(static_cast<uint8_t>(b[at + 2])) << 16 | static_cast<uint32_t>(static_cast<uint8_t>(b[at + 3])) << 24;
  };
  if (b.size() < 4) return std::nullopt;
  const size_t n = u32(0);
  if (n > (b.size() - 4) / 4) return std::nullopt;
  std::vector<size_t> at(n + 1, b.size());
  for (size_t i = 0; i < n; ++i) {
    at[i] = u32(4 + 4 * i);
    if (at[i] < 4 + 4 * n || at[i] > b.size() || (i && at[i] < at[i - 1])) return std::nullopt;
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) out.push_back(b.substr(at[i], at[i + 1] - at[i]));
  return out;
}

std::optional<mapi::Value> multi_value(libpff_record_entry_t* e, uint32_t type) {
  // Binaries from the bytes: libpff 20180714 answers none for a distribution list's members
  // (PidLidDistributionListMembers, PidLidDistributionListOneOffMembers) that hold two in
  // pst-extractor 1.0.0's .ost (as pffexport -d dumps them); its answer only where they do not parse.
  if (type == 0x1102)
    if (auto list = variable_values(entry_bytes(e))) return mapi::Value::binaries(std::move(*list));
  libpff_multi_value_t* raw = nullptr;
  if (libpff_record_entry_get_multi_value(e, &raw, nullptr) != 1) return std::nullopt;
  MultiPtr mv(raw);
  int count = 0;
  if (libpff_multi_value_get_number_of_values(raw, &count, nullptr) != 1) return std::nullopt;
  std::vector<std::string> list;
  for (int i = 0; i < count; ++i) {
    if (type == 0x101F || type == 0x101E) {
      std::string v =
          sized([&](size_t* n) { return libpff_multi_value_get_value_utf8_string_size(raw, i, n, nullptr); },
                [&](uint8_t* b, size_t n) { return libpff_multi_value_get_value_utf8_string(raw, i, b, n, nullptr); },
                true);
      if (!v.empty()) list.push_back(std::move(v));  // an empty category is none
    } else {
      list.push_back(sized([&](size_t* n) { return libpff_multi_value_get_value_binary_data_size(raw, i, n, nullptr); },
                           [&](uint8_t* b, size_t n) {
                             return libpff_multi_value_get_value_binary_data(raw, i, b, n, nullptr);
                           },
                           false));
    }
  }
  return type == 0x1102 ? mapi::Value::binaries(std::move(list)) : mapi::Value::strings(std::move(list));
}

// One property of a record entry, by its MAPI type; nullopt for the types
// the model has no use for (GUIDs, multi-valued numbers…).
std::optional<mapi::Value> value_of(libpff_record_entry_t* e, uint32_t type) {
  switch (type) {
    case 0x0002: {
      uint16_t v = 0;
      if (libpff_record_entry_get_data_as_16bit_integer(e, &v, nullptr) != 1) return std::nullopt;
      return mapi::Value::integer(static_cast<int16_t>(v));
    }
    case 0x0003: {
      uint32_t v = 0;
      if (libpff_record_entry_get_data_as_32bit_integer(e, &v, nullptr) != 1) return std::nullopt;
      return mapi::Value::integer(static_cast<int32_t>(v));
    }
    case 0x0014: {
      uint64_t v = 0;
      if (libpff_record_entry_get_data_as_64bit_integer(e, &v, nullptr) != 1) return std::nullopt;
      return mapi::Value::integer(static_cast<int64_t>(v));
    }
    case 0x000B: {
      uint8_t v = 0;
      if (libpff_record_entry_get_data_as_boolean(e, &v, nullptr) != 1) return std::nullopt;
      return mapi::Value::boolean(v != 0);
    }
    case 0x0005: {
      double v = 0;
      if (libpff_record_entry_get_data_as_floating_point(e, &v, nullptr) != 1) return std::nullopt;
      return mapi::Value::real(v);
    }
    case 0x0040: {
      uint64_t v = 0;
      if (libpff_record_entry_get_data_as_filetime(e, &v, nullptr) != 1) return std::nullopt;
      return mapi::Value::filetime(static_cast<int64_t>(v));
    }
    case 0x001E:
    case 0x001F: return mapi::Value::string(entry_utf8(e));
    case 0x0102: return mapi::Value::binary(entry_bytes(e));
    case 0x101E:
    case 0x101F:
    case 0x1102: return multi_value(e, type);
    default: return std::nullopt;
  }
}

// Every property of one record set (an item's first, a recipient row…).
mapi::PropertySet properties_of(libpff_record_set_t* rs) {
  mapi::PropertySet props;
  int n = 0;
  if (libpff_record_set_get_number_of_entries(rs, &n, nullptr) != 1) return props;
  for (int i = 0; i < n; ++i) {
    libpff_record_entry_t* raw = nullptr;
    if (libpff_record_set_get_entry_by_index(rs, i, &raw, nullptr) != 1 || !raw) continue;
    EntryPtr entry(raw);
    uint32_t id = 0, type = 0;
    if (libpff_record_entry_get_entry_type(raw, &id, nullptr) != 1) continue;
    if (libpff_record_entry_get_value_type(raw, &type, nullptr) != 1) continue;
    auto v = value_of(raw, type);
    if (!v) continue;
    if (id >= 0x8000) {
      libpff_name_to_id_map_entry_t* nm = nullptr;
      if (libpff_record_entry_get_name_to_id_map_entry(raw, &nm, nullptr) != 1 || !nm) continue;
      uint8_t g[16];
      uint8_t kind = 0;
      if (libpff_name_to_id_map_entry_get_guid(nm, g, sizeof g, nullptr) != 1) continue;
      if (libpff_name_to_id_map_entry_get_type(nm, &kind, nullptr) != 1) continue;
      if (kind == LIBPFF_NAME_TO_ID_MAP_ENTRY_TYPE_NUMERIC) {
        uint32_t lid = 0;
        if (libpff_name_to_id_map_entry_get_number(nm, &lid, nullptr) != 1) continue;
        props.set_named(guid_text(g), lid, std::move(*v));
      } else {
        std::string name =
            sized([&](size_t* n) { return libpff_name_to_id_map_entry_get_utf8_string_size(nm, n, nullptr); },
                  [&](uint8_t* b, size_t n) { return libpff_name_to_id_map_entry_get_utf8_string(nm, b, n, nullptr); },
                  true);
        if (name.empty()) continue;
        props.set_named(guid_text(g), std::string_view(name), std::move(*v));
      }
    } else {
      props.set(static_cast<uint16_t>(id), std::move(*v));
    }
  }
  return props;
}

mapi::PropertySet first_record_set(libpff_item_t* item) {
  int sets = 0;
  if (libpff_item_get_number_of_record_sets(item, &sets, nullptr) != 1 || sets < 1) return {};
  libpff_record_set_t* raw = nullptr;
  if (libpff_item_get_record_set_by_index(item, 0, &raw, nullptr) != 1 || !raw) return {};
  RecordSetPtr rs(raw);
  return properties_of(raw);
}

std::string body_of(libpff_item_t* m, int (*size_fn)(libpff_item_t*, size_t*, libpff_error_t**),
                    int (*get_fn)(libpff_item_t*, uint8_t*, size_t, libpff_error_t**)) {
  return sized([&](size_t* n) { return size_fn(m, n, nullptr); },
               [&](uint8_t* b, size_t n) { return get_fn(m, b, n, nullptr); }, true);
}

constexpr int kMaxEmbeddedDepth = 8;

mapi::Item read_item(libpff_item_t* item, int depth);

void read_attachments(libpff_item_t* msg, mapi::Item& out, int depth) {
  int count = 0;
  if (libpff_message_get_number_of_attachments(msg, &count, nullptr) != 1) return;
  for (int i = 0; i < count; ++i) {
    libpff_item_t* raw = nullptr;
    if (libpff_message_get_attachment(msg, i, &raw, nullptr) != 1 || !raw) continue;
    ItemPtr att(raw);
    mapi::Attachment a;
    a.props = first_record_set(raw);
    int type = 0;
    libpff_attachment_get_type(raw, &type, nullptr);
    if (type == LIBPFF_ATTACHMENT_TYPE_DATA) {
      size64_t size = 0;
      if (libpff_attachment_get_data_size(raw, &size, nullptr) == 1 && size > 0) {
        a.data.resize(static_cast<size_t>(size));
        libpff_attachment_data_seek_offset(raw, 0, SEEK_SET, nullptr);
        ssize_t got = libpff_attachment_data_read_buffer(raw, reinterpret_cast<uint8_t*>(a.data.data()), a.data.size(), nullptr);
        if (got < 0 || static_cast<size_t>(got) != a.data.size()) throw ItemError("an attachment's data cannot be read");
      }
    } else if (type == LIBPFF_ATTACHMENT_TYPE_ITEM && depth < kMaxEmbeddedDepth) {
      libpff_item_t* inner = nullptr;
      if (libpff_attachment_get_item(raw, &inner, nullptr) == 1 && inner) {
        ItemPtr inner_ptr(inner);
        a.embedded = std::make_shared<mapi::Item>(read_item(inner, depth + 1));
      }
    }
    out.attachments.push_back(std::move(a));
  }
}

void read_recipients(libpff_item_t* msg, mapi::Item& out) {
  libpff_item_t* raw = nullptr;
  if (libpff_message_get_recipients(msg, &raw, nullptr) != 1 || !raw) return;
  ItemPtr recipients(raw);
  int sets = 0;
  if (libpff_item_get_number_of_record_sets(raw, &sets, nullptr) != 1) return;
  for (int i = 0; i < sets; ++i) {
    libpff_record_set_t* rs_raw = nullptr;
    if (libpff_item_get_record_set_by_index(raw, i, &rs_raw, nullptr) != 1 || !rs_raw) continue;
    RecordSetPtr rs(rs_raw);
    mapi::PropertySet p = properties_of(rs_raw);
    mapi::Recipient r;
    r.kind = static_cast<int>(p.num(mapi::tag::kRecipientType).value_or(1) & 0x0F);
    r.name = p.str(mapi::tag::kDisplayName).value_or("");
    r.addr_type = p.str(mapi::tag::kAddrType).value_or("");
    r.email = p.str(mapi::tag::kSmtpAddress).value_or(p.str(mapi::tag::kEmailAddress).value_or(""));
    out.recipients.push_back(std::move(r));
  }
}

// A PST keeps a subject with its prefix ("RE: ") marked: 0x01, then a
// character counting the prefix, then the subject ([MS-PST] leaves it to the
// reader; Outlook shows the text after the two characters).
void unmark_subject(mapi::PropertySet& p) {
  auto s = p.str(mapi::tag::kSubject);
  if (s && s->size() >= 2 && (*s)[0] == '\x01') p.set(mapi::tag::kSubject, mapi::Value::string(s->substr(2)));
}

mapi::Item read_item(libpff_item_t* item, int depth) {
  mapi::Item out;
  out.props = first_record_set(item);
  unmark_subject(out.props);
  // the bodies through libpff, which decompresses RTF and reads each body
  // from wherever the store put it
  if (std::string plain = body_of(item, libpff_message_get_plain_text_body_size, libpff_message_get_plain_text_body);
      !plain.empty())
    out.props.set(mapi::tag::kBody, mapi::Value::string(std::move(plain)));
  if (std::string html = body_of(item, libpff_message_get_html_body_size, libpff_message_get_html_body); !html.empty())
    out.props.set(mapi::tag::kHtml, mapi::Value::binary(std::move(html)));
  out.rtf = body_of(item, libpff_message_get_rtf_body_size, libpff_message_get_rtf_body);
  read_recipients(item, out);
  read_attachments(item, out, depth);
  return out;
}

std::string message_class_of(libpff_item_t* item) {
  int sets = 0;
  if (libpff_item_get_number_of_record_sets(item, &sets, nullptr) != 1 || sets < 1) return "";
  libpff_record_set_t* raw = nullptr;
  if (libpff_item_get_record_set_by_index(item, 0, &raw, nullptr) != 1 || !raw) return "";
  RecordSetPtr rs(raw);
  libpff_record_entry_t* e = nullptr;
  if (libpff_record_set_get_entry_by_type(raw, mapi::tag::kMessageClass, 0, &e, LIBPFF_ENTRY_VALUE_FLAG_MATCH_ANY_VALUE_TYPE,
                                          nullptr) != 1 ||
      !e)
    return "";
  EntryPtr entry(e);
  return entry_utf8(e);
}

std::string folder_name(libpff_item_t* folder) {
  return sized([&](size_t* n) { return libpff_folder_get_utf8_name_size(folder, n, nullptr); },
               [&](uint8_t* b, size_t n) { return libpff_folder_get_utf8_name(folder, b, n, nullptr); }, true);
}

bool is_ipm_root(const std::string& name) { return name == "Top of Personal Folders" || name == "IPM_SUBTREE"; }

}  // namespace

// ---- the backend ---------------------------------------------------------

struct PstBackend::Impl {
  struct Entry {
    uint32_t id;
    mapi::Kind kind;
    std::string folder;
  };
  std::string path;
  Log log;
  std::function<bool()> cancelled;
  FilePtr file;
  std::string fingerprint;
  bool indexed = false;
  std::vector<Entry> entries;  // every item of the IPM subtree, folder by folder

  void warn(const std::string& m) const {
    if (log) log(ACCORD_LOG_WARN, m);
  }
  void check_cancel() const {
    if (cancelled && cancelled()) throw PstError(ACCORD_CANCELLED, "cancelled while reading " + path);
  }

  std::string file_fingerprint() const {
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) throw PstError(ACCORD_ERROR, "cannot read the Outlook data file " + path);
    return std::to_string(st.st_size) + "-" + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
  }

  void open() {
    if (file) return;
    fingerprint = file_fingerprint();
    libpff_file_t* raw = nullptr;
    ErrorBox err;
    if (libpff_file_initialize(&raw, &err) != 1) throw PstError(ACCORD_ERROR, "libpff: " + err.text());
    if (libpff_file_open(raw, path.c_str(), LIBPFF_OPEN_READ, &err) != 1) {
      libpff_file_free(&raw, nullptr);
      throw PstError(ACCORD_ERROR, "cannot open " + path + " as an Outlook data file (.pst/.ost): " + err.text());
    }
    file.reset(raw);
  }

  void walk(libpff_item_t* folder, const std::vector<std::string>& path_parts, bool in_ipm, bool any_ipm) {
    int messages = 0;
    if (in_ipm || !any_ipm) {
      std::string folder_path;
      for (const auto& p : path_parts) folder_path += (folder_path.empty() ? "" : "/") + p;
      if (libpff_folder_get_number_of_sub_messages(folder, &messages, nullptr) == 1) {
        for (int i = 0; i < messages; ++i) {
          check_cancel();
          libpff_item_t* raw = nullptr;
          if (libpff_folder_get_sub_message(folder, i, &raw, nullptr) != 1 || !raw) {
            warn("item " + std::to_string(i) + " of folder \"" + folder_path + "\" cannot be read: skipped");
            continue;
          }
          ItemPtr msg(raw);
          uint32_t id = 0;
          libpff_item_get_identifier(raw, &id, nullptr);
          entries.push_back({id, mapi::kind_of(message_class_of(raw)), folder_path});
        }
      }
    }
    int subs = 0;
    if (libpff_folder_get_number_of_sub_folders(folder, &subs, nullptr) != 1) return;
    for (int i = 0; i < subs; ++i) {
      libpff_item_t* raw = nullptr;
      if (libpff_folder_get_sub_folder(folder, i, &raw, nullptr) != 1 || !raw) continue;
      ItemPtr sub(raw);
      std::string name = folder_name(raw);
      if (!in_ipm && is_ipm_root(name)) {
        walk(raw, {}, true, any_ipm);
        continue;
      }
      std::vector<std::string> parts = path_parts;
      parts.push_back(name);
      walk(raw, parts, in_ipm, any_ipm);
    }
  }

  // Whether the tree has an IPM subtree (Outlook's visible folders); when
  // it has, only that is listed (search folders, views and the public
  // root are not mail).
  bool has_ipm(libpff_item_t* folder, int depth) {
    if (depth > 3) return false;
    int subs = 0;
    if (libpff_folder_get_number_of_sub_folders(folder, &subs, nullptr) != 1) return false;
    for (int i = 0; i < subs; ++i) {
      libpff_item_t* raw = nullptr;
      if (libpff_folder_get_sub_folder(folder, i, &raw, nullptr) != 1 || !raw) continue;
      ItemPtr sub(raw);
      if (is_ipm_root(folder_name(raw)) || has_ipm(raw, depth + 1)) return true;
    }
    return false;
  }

  void index() {
    if (indexed) return;
    open();
    entries.clear();  // a cancelled indexing left a part
    libpff_item_t* raw = nullptr;
    ErrorBox err;
    if (libpff_file_get_root_folder(file.get(), &raw, &err) != 1 || !raw)
      throw PstError(ACCORD_ERROR, "the Outlook data file " + path + " has no folders libpff can read: " + err.text());
    ItemPtr root(raw);
    walk(raw, {}, false, has_ipm(raw, 0));
    indexed = true;
  }

  // The record of one entry; nullopt when the item cannot be read (warned).
  std::optional<json::object> record(const Entry& e, bool with_lazy) {
    libpff_item_t* raw = nullptr;
    if (libpff_file_get_item_by_identifier(file.get(), e.id, &raw, nullptr) != 1 || !raw) {
      warn("item " + std::to_string(e.id) + " in \"" + e.folder + "\" cannot be read: skipped");
      return std::nullopt;
    }
    ItemPtr item(raw);
    mapi::Item it;
    try {
      it = read_item(raw, 0);
    } catch (const std::exception& ex) {
      warn("item " + std::to_string(e.id) + " in \"" + e.folder + "\" cannot be read (" + ex.what() + "): skipped");
      return std::nullopt;
    }
    mapi::Warnings w;
    json::object data;
    switch (e.kind) {
      case mapi::Kind::kMessage: data = mapi::message(it, e.folder, false, w); break;
      case mapi::Kind::kContact: data = mapi::contact(it, w); break;
      case mapi::Kind::kEvent: data = mapi::event(it, w); break;
      case mapi::Kind::kTask: data = mapi::task(it, w); break;
      case mapi::Kind::kNote: data = mapi::note(it); break;
      default: return std::nullopt;
    }
    for (const auto& m : w) warn(std::string(mapi::stream_of(e.kind)) + " " + std::to_string(e.id) + " in \"" + e.folder + "\": " + m);
    std::string version = hash::content_hash(json::serialize(data));
    if (with_lazy && e.kind == mapi::Kind::kMessage) data = mapi::message(it, e.folder, true, w);
    json::object rec{{"id", std::to_string(e.id)}, {"version", version}};
    if (auto t = it.props.time(mapi::tag::kLastModificationTime)) rec["modified"] = utc::format(*t);
    rec["data"] = std::move(data);
    return rec;
  }
};

PstBackend::PstBackend(std::string path, Log log) : impl_(std::make_unique<Impl>()) {
  impl_->path = std::move(path);
  impl_->log = std::move(log);
}

PstBackend::~PstBackend() = default;

void PstBackend::set_cancel_check(std::function<bool()> cancelled) { impl_->cancelled = std::move(cancelled); }

const std::vector<std::string>& PstBackend::streams() {
  static const std::vector<std::string> s{"message", "contact", "event", "task", "note"};
  return s;
}

std::string PstBackend::write_refusal(std::string_view stream) {
  return "the pst backend reads Outlook data files and never writes them: " + std::string(stream) +
         " cannot be created, changed or deleted here (use the graph backend to write to Outlook)";
}

json::object PstBackend::read(std::string_view stream, std::string_view cursor, size_t batch_size) {
  if (std::find(streams().begin(), streams().end(), stream) == streams().end())
    throw PstError(ACCORD_UNSUPPORTED, "the pst backend has no stream \"" + std::string(stream) +
                                           "\" (it lists message, contact, event, task, note)");
  if (batch_size == 0) batch_size = 100;
  Impl& m = *impl_;
  std::string now = m.file_fingerprint();
  // cursor: pst1:<fingerprint>:<offset>|done
  size_t offset = 0;
  bool full = true;
  if (!cursor.empty()) {
    std::string c(cursor);
    size_t a = c.find(':'), b = c.rfind(':');
    if (c.rfind("pst1:", 0) != 0 || a == b)
      throw PstError(ACCORD_CURSOR_EXPIRED, "a cursor the pst backend did not issue: listing again");
    std::string fp = c.substr(a + 1, b - a - 1), pos = c.substr(b + 1);
    if (fp == now && pos == "done")  // nothing changed since the listing ended
      return json::object{{"records", json::array{}}, {"cursor", std::string(cursor)}, {"more", false}};
    if (fp != now) {
      if (pos != "done") throw PstError(ACCORD_CURSOR_EXPIRED, "the Outlook data file changed during a listing: listing again");
    } else {
      try {
        offset = std::stoul(pos);
      } catch (...) {
        throw PstError(ACCORD_CURSOR_EXPIRED, "a cursor the pst backend cannot read: listing again");
      }
      full = false;
    }
  }
  if (m.file && m.fingerprint != now) {  // the file changed under an open handle: read it anew
    m.file.reset();
    m.indexed = false;
    m.entries.clear();
  }
  m.index();
  if (full && offset == 0) reported_.clear();

  json::array records;
  uint64_t total = 0;
  for (const auto& e : m.entries)
    if (mapi::stream_of(e.kind) == stream) ++total;
  size_t seen = 0, pos = offset;
  for (; pos < m.entries.size() && seen < batch_size; ++pos) {
    const auto& e = m.entries[pos];
    m.check_cancel();
    if (mapi::stream_of(e.kind) != stream) {
      // what the stream's folders hold that it cannot carry, said once per listing
      bool report = (stream == "contact" && e.kind == mapi::Kind::kDistList) ||
                    (stream == "message" && (e.kind == mapi::Kind::kJournal || e.kind == mapi::Kind::kOther));
      if (report) {
        std::string what;
        if (e.kind == mapi::Kind::kDistList) {
          libpff_item_t* raw = nullptr;
          if (libpff_file_get_item_by_identifier(m.file.get(), e.id, &raw, nullptr) == 1 && raw) {
            ItemPtr item(raw);
            mapi::Item it;
            it.props = first_record_set(raw);
            what = mapi::distribution_list_summary(it);
          } else {
            what = "a distribution list";
          }
          what += " (item " + std::to_string(e.id) + ", folder \"" + e.folder + "\"): not synced, JSContact cards here are people";
        } else {
          what = std::string(e.kind == mapi::Kind::kJournal ? "a journal entry" : "an item of a class no stream carries") +
                 " (item " + std::to_string(e.id) + ", folder \"" + e.folder + "\"): not synced";
        }
        reported_.push_back(what);
        m.warn(what);
      }
      continue;
    }
    if (auto rec = m.record(e, false)) {
      records.push_back(std::move(*rec));
      ++seen;
    }
  }
  // skip ahead past what is not this stream's, so "more" is exact
  while (pos < m.entries.size() && mapi::stream_of(m.entries[pos].kind) != stream) {
    const auto& e = m.entries[pos];
    if (stream == "contact" && e.kind == mapi::Kind::kDistList) break;  // reported by the next call
    if (stream == "message" && (e.kind == mapi::Kind::kJournal || e.kind == mapi::Kind::kOther)) break;
    ++pos;
  }
  bool more = pos < m.entries.size();
  json::object batch{{"records", std::move(records)},
                     {"cursor", "pst1:" + now + ":" + (more ? std::to_string(pos) : std::string("done"))},
                     {"more", more}};
  if (full && offset == 0) batch["full"] = true;
  batch["total"] = total;
  return batch;
}

json::array PstBackend::fetch(std::string_view stream, const std::vector<std::string>& ids) {
  Impl& m = *impl_;
  m.index();
  std::map<uint32_t, const Impl::Entry*> by_id;
  for (const auto& e : m.entries)
    if (mapi::stream_of(e.kind) == stream) by_id[e.id] = &e;
  json::array out;
  for (const auto& id : ids) {
    uint32_t n = 0;
    try {
      n = static_cast<uint32_t>(std::stoul(id));
    } catch (...) {
      continue;
    }
    auto it = by_id.find(n);
    if (it == by_id.end()) continue;
    if (auto rec = m.record(*it->second, true)) out.push_back(std::move(*rec));
  }
  return out;
}

}  // namespace accord::outlook::pst
