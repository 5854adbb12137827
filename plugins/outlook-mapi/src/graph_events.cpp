// SPDX-License-Identifier: Apache-2.0
// The graph backend's event stream (graph_backend.hpp).
#include "graph_backend.hpp"

namespace outlook::graph {

std::string Backend::read_events(const boost::json::object&, bool) {
  throw accord::Error(ACCORD_UNSUPPORTED, "the event stream is not written yet");
}
accord::kit::Result Backend::apply_event(const accord::kit::Op&) {
  throw accord::Error(ACCORD_UNSUPPORTED, "the event stream is not written yet");
}

}  // namespace outlook::graph
