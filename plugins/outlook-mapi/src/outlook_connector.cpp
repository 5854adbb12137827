// SPDX-License-Identifier: Apache-2.0
// The `outlook-mapi` connector: Outlook's data through one MAPI-shaped model
// and two backends (issue 26).
//   backend "graph" (default, two-way): a Microsoft 365 or Outlook.com
//     mailbox through Microsoft Graph v1.0 (graph_backend.cpp);
//   backend "pst" (read-only): an Outlook data file through libpff
//     (pst/, when the build found libpff).
// This file holds what both share: the manifest, the configuration and the
// dispatch to the backend the configuration names.
#include "graph_backend.hpp"

#ifdef ACCORD_OUTLOOK_HAVE_PST
#include "pst/pst_backend.hpp"
#endif

#include "contact_map.hpp"
#include "event_map.hpp"
#include "mail_map.hpp"
#include "note_map.hpp"
#include "todo_map.hpp"

#include <accord/connector.hpp>
#include <accord/kit/manifest.hpp>
#include <accord/kit/ops.hpp>
#include <accord/check.h>
#include <accord/streams.h>

#include <boost/json.hpp>
#include <boost/json/src.hpp>

#include <algorithm>
#include <memory>

namespace json = boost::json;

namespace outlook {

namespace {

const accord::kit::Manifest& manifest() {
  static const accord::kit::Manifest m = [] {
    using accord::kit::StreamInfo;
    return accord::kit::ManifestBuilder(
               "outlook-mapi", "Outlook (Microsoft Graph, Outlook data files)", "0.1.0",
               "Outlook's mail, contacts, calendar, tasks and notes: a Microsoft 365 or Outlook.com mailbox through Microsoft "
               "Graph (two-way, incremental, OAuth 2.0), or an Outlook data file (.pst/.ost) read through libpff.")
        .stream(StreamInfo("contact", "jscontact").with_fields(contacts::fields()))
        .stream(StreamInfo("event", "jscalendar-event").with_fields(events::fields()))
        .stream(StreamInfo("task", "jscalendar-task").with_fields(todo::fields()))
        .stream(StreamInfo("message", "jmap-email").with_fields(mail::fields()).with_lazy({"/raw"}, "/size"))
        // Outlook sets a note's times (graph: createdDateTime, lastModifiedDateTime are read-only, note.md)
        .stream(StreamInfo("note", "note").with_fields(notes::fields()).with_read_only({"/created", "/updated"}))
        .config_schema(graph::config_schema())
        .store_identity({"backend", "account", "graph_url", "contact_folders", "task_lists", "mail_folders", "path"})
        .build();
  }();
  return m;
}

class Outlook final : public accord::Connector {
 public:
  Outlook(const accord::Host& host, std::string_view config) : accord::Connector(host) {
    accord::kit::Config k = manifest().config(config);
    backend_ = k.str("/backend");
    if (backend_ == "graph") {
      graph_ = std::make_unique<graph::Backend>(host, *this, k);
    } else {
#ifdef ACCORD_OUTLOOK_HAVE_PST
      pst_path_ = k.path("/path").string();
      if (pst_path_.empty()) accord::kit::Config::fail("/path", "backend \"pst\" reads an Outlook data file: give its path");
#else
      accord::kit::Config::fail("/backend", "this build of outlook-mapi has no \"pst\" backend (libpff was not found "
                                            "when it was built: install libpff-dev and libbfio-dev and build again)");
#endif
    }
  }

  void cancel() noexcept override {
    if (graph_) graph_->cancel();
    accord::Connector::cancel();
  }

  const void* get_extension(std::string_view name) noexcept override {
    if (name == ACCORD_CHECK_V1 && graph_) return accord::check_extension();  // the pst backend writes nothing
    return name == ACCORD_STREAMS_V1 ? accord::streams_extension() : accord::Connector::get_extension(name);
  }

  std::string check_records(std::string_view stream, std::string_view records_json) override {
    if (!graph_) throw accord::Error(ACCORD_UNSUPPORTED, "the pst backend is read-only");
    return graph_->check_records(stream, records_json);
  }

  void check_stream(std::string_view stream) override {
    if (graph_) return graph_->check_stream(stream);
#ifdef ACCORD_OUTLOOK_HAVE_PST
    const auto& all = Pst::streams();
    if (std::find(all.begin(), all.end(), stream) == all.end())
      throw accord::Error(ACCORD_UNSUPPORTED, "outlook-mapi's pst backend has no stream \"" + std::string(stream) + "\"");
#endif
  }

  std::string fetch(std::string_view stream, std::string_view ids_json) override {
    check_stream(stream);
    if (graph_) return graph_->fetch(stream, accord::kit::parse_ids(ids_json));
    return pst_fetch(stream, ids_json);
  }

  std::string read_changes(std::string_view stream, std::string_view cursor) override {
    check_stream(stream);
    if (graph_) return graph_->read_changes(stream, cursor);
    return pst_read(stream, cursor);
  }

  std::string apply(std::string_view stream, std::string_view ops) override {
    check_stream(stream);
    if (graph_) return graph_->apply(stream, ops);
    throw accord::Error(ACCORD_UNSUPPORTED, pst_refusal(stream));
  }

 private:
#ifdef ACCORD_OUTLOOK_HAVE_PST
  using Pst = ::accord::outlook::pst::PstBackend;
  Pst& pst() {
    if (!pst_) {
      pst_ = std::make_unique<Pst>(pst_path_, [h = host()](int level, const std::string& m) {
        h.log(level, "outlook-mapi: " + m);
      });
      pst_->set_cancel_check([this] { return cancelled(); });  // cancel() stops a long indexing of the file
    }
    return *pst_;
  }
  std::string pst_read(std::string_view stream, std::string_view cursor) {
    try {
      return json::serialize(pst().read(stream, cursor, 500));
    } catch (const ::accord::outlook::pst::PstError& e) {
      throw accord::Error(e.status, e.what());
    }
  }
  std::string pst_fetch(std::string_view stream, std::string_view ids_json) {
    try {
      return json::serialize(json::object{{"records", pst().fetch(stream, accord::kit::parse_ids(ids_json))}});
    } catch (const ::accord::outlook::pst::PstError& e) {
      throw accord::Error(e.status, e.what());
    }
  }
  static std::string pst_refusal(std::string_view stream) { return Pst::write_refusal(stream); }
  std::string pst_path_;
  std::unique_ptr<Pst> pst_;
#else
  std::string pst_read(std::string_view, std::string_view) { throw accord::Error(ACCORD_UNSUPPORTED, "no pst backend"); }
  std::string pst_fetch(std::string_view, std::string_view) { throw accord::Error(ACCORD_UNSUPPORTED, "no pst backend"); }
  static std::string pst_refusal(std::string_view) { return "the pst backend is read-only"; }
#endif

  std::string backend_;
  std::unique_ptr<graph::Backend> graph_;
};

}  // namespace
}  // namespace outlook

ACCORD_CONNECTOR(outlook::Outlook, outlook::manifest().c_str(),
                 ACCORD_CAP_READ | ACCORD_CAP_WRITE | ACCORD_CAP_DELETE | ACCORD_CAP_CHANGE_FEED |
                     ACCORD_CAP_IDEMPOTENT_CREATE | ACCORD_CAP_FETCH | ACCORD_CAP_FIND_ONLY)
