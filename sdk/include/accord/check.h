// SPDX-License-Identifier: Apache-2.0
/* Accord connector SDK: what a write would keep, "accord.check.v1".
 *
 * A store's converter may not carry every field of a canonical record (a
 * vCard has no place for an email's JSContact "label"). After a write the
 * host sees that in the record apply answers; `accord plan` writes nothing,
 * so without this extension it cannot say it per record before the run.
 *
 * A connector that offers this table through get_extension answers, for a
 * batch of records in the stream's canonical form, each record as the store
 * would keep it if it were written now: converted to the store's form and
 * read back, nothing written, nothing created, no network where it can be
 * avoided (the host calls it while planning, on an instance opened
 * ACCORD_OPEN_READ_ONLY). The host compares each answer with what it would
 * send, as it does with a write's answer, and lists what would stay behind
 * under that record's planned write. A connector that keeps any field as it
 * is sent should not offer the table.
 *
 * Connectors without the table, and hosts that do not ask, see no difference:
 * the losses are then said after the write, as before.
 *
 * Versioning: the name carries the major version; struct_size grows when a
 * slot is appended (read a slot only when struct_size covers it).
 */
#ifndef ACCORD_CHECK_H
#define ACCORD_CHECK_H

#include <accord/connector.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ACCORD_CHECK_V1 "accord.check.v1"

typedef struct accord_check_v1 {
  uint32_t struct_size; /* sizeof(accord_check_v1) of the connector's build */
  /* [host thread] `records_json` (borrowed) is a JSON array of records'
   * data (objects in `stream`'s canonical form, as apply's ops carry them:
   * a create's record, an update's whole record). Answers in *out (valid
   * until the next call on the instance) a JSON array of the same length:
   * each record as the store would hold it after writing it, or null where
   * it cannot say (the host then says nothing of that record). Writes
   * nothing. A failure (status other than ACCORD_OK, with err) makes the host
   * say once that the check failed and plan as without the extension. */
  int32_t (*check)(accord_instance *inst, const char *stream, const char *records_json, const char **out,
                   uint64_t *out_len, accord_error *err);
} accord_check_v1;

#ifdef __cplusplus
}
#endif

#endif /* ACCORD_CHECK_H */
