// SPDX-License-Identifier: Apache-2.0
/* Accord connector SDK: the stream check extension, "accord.streams.v1".
 *
 * A connector whose instances serve only some of the streams its manifest
 * lists (a folder of vCards keeps contacts, not events) offers this table
 * through get_extension, so that `accord validate` can say so before a run
 * instead of the run failing on its first read.
 *
 * Versioning: the name carries the major version; struct_size grows when a
 * slot is appended (read a slot only when struct_size covers it).
 */
#ifndef ACCORD_STREAMS_H
#define ACCORD_STREAMS_H

#include <accord/connector.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ACCORD_STREAMS_V1 "accord.streams.v1"

typedef struct accord_streams_v1 {
  uint32_t struct_size; /* sizeof(accord_streams_v1) of the connector's build */
  /* [host thread] Cheap: no network, creates nothing. ACCORD_OK when this
   * instance can read and write `stream` (borrowed); ACCORD_UNSUPPORTED, with
   * a message saying which streams it has, when it cannot. */
  int32_t (*check)(accord_instance *inst, const char *stream, accord_error *err);
  /* ---- appended: read only when struct_size covers it ---- */
  /* [host thread] Cheap: no network, creates nothing. The canonical fields
   * this instance keeps of `stream` (borrowed for the call), as a JSON array
   * of field paths as mappings write them ("/emails/ * /address" without the
   * spaces; * and [key=value] segments), valid until the next call on the
   * instance; NULL when the manifest's list of the stream's fields holds.
   * For a connector whose configuration decides what it keeps (a CRM's
   * profile): the host reports from it which fields cannot travel. */
  const char *(*fields)(accord_instance *inst, const char *stream);
} accord_streams_v1;

#ifdef __cplusplus
}
#endif

#endif /* ACCORD_STREAMS_H */
