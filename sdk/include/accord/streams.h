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
} accord_streams_v1;

#ifdef __cplusplus
}
#endif

#endif /* ACCORD_STREAMS_H */
