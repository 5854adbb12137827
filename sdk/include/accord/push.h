// SPDX-License-Identifier: Apache-2.0
/* Accord connector SDK: the push extension, "accord.push.v1".
 *
 * A connector whose store can tell it when something changed (IMAP IDLE, a
 * change-notification channel) offers this table through get_extension. A
 * long-running host (the daemon) calls wait() between runs instead of
 * polling: when it answers *changed = 1 the host runs the pipeline again.
 *
 * Versioning: the name carries the major version; struct_size grows when a
 * slot is appended (read a slot only when struct_size covers it).
 */
#ifndef ACCORD_PUSH_H
#define ACCORD_PUSH_H

#include <accord/connector.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ACCORD_PUSH_V1 "accord.push.v1"

typedef struct accord_push_v1 {
  uint32_t struct_size; /* sizeof(accord_push_v1) of the connector's build */
  /* [host thread; blocks] Waits until `stream` (borrowed) has changes the
   * host has not read since `cursor` (borrowed: the last cursor read_changes
   * answered; "" for none), or until timeout_ms passes. Sets *changed to 1
   * (read_changes will report something, or may) or 0 (the time passed).
   * cancel() ends a wait with ACCORD_CANCELLED; a lost connection is
   * ACCORD_RETRY. The instance is busy meanwhile: no other call on it. */
  int32_t (*wait)(accord_instance *inst, const char *stream, const char *cursor, int64_t timeout_ms,
                  int32_t *changed, accord_error *err);
} accord_push_v1;

#ifdef __cplusplus
}
#endif

#endif /* ACCORD_PUSH_H */
