// SPDX-License-Identifier: Apache-2.0
/* Accord connector SDK: told of the host's committed writes, "accord.after_commit.v1".
 *
 * The host writes to a side with apply, commits the results to its state,
 * and reads the side again at the next run from the cursor it held before
 * writing: a change feed then hands back every record the host itself just
 * wrote (its echoes). The host recognises them and writes nothing, but reads
 * and folds each one; after a run that wrote 20,000 records, the next run
 * with nothing changed costs as much as reading 20,000 changes.
 *
 * A connector that offers this table through get_extension is told, after
 * each batch of writes is committed to the host's state, which writes those
 * were, with the cursor the host holds for the stream; it answers the cursor
 * to hold instead. It may move the cursor past changes that are exactly the
 * listed writes (the same id, and the same version where it gives versions),
 * and never past any other change: one made by someone else, before, between
 * or after the host's writes, must still be read. When it cannot tell, it
 * answers the cursor it was given (or NULL): the echoes are then read and
 * recognised as before. Nothing is lost by not moving.
 *
 * Move only where the host's state holds each written record exactly as
 * the store lists it: a skipped echo is never folded, so the state keeps
 * the record as apply's result "data" gave it, or, without "data", as the
 * host sent it. A store that adds, normalises or derives fields in its
 * listing (a size, a date, a header digest, a folder) answers each "ok"
 * create and update with "data", the record exactly as its next listing
 * gives it at the version the result names (none for a record changed
 * since by someone else), before it may move past that write; otherwise
 * the next plan compares against the wrong copy. The host tells only
 * writes it recorded (an item that failed on the other side is not).
 *
 * The host stores the answered cursor in its own transaction after the call.
 * A host killed between the two keeps the old cursor (the echoes are read
 * again, harmless); so the call must not change what read_changes answers
 * for the cursor it was given.
 *
 * Connectors without the table see no difference.
 *
 * Versioning: the name carries the major version; struct_size grows when a
 * slot is appended (read a slot only when struct_size covers it).
 */
#ifndef ACCORD_AFTER_COMMIT_H
#define ACCORD_AFTER_COMMIT_H

#include <accord/connector.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ACCORD_AFTER_COMMIT_V1 "accord.after_commit.v1"

typedef struct accord_after_commit_v1 {
  uint32_t struct_size; /* sizeof(accord_after_commit_v1) of the connector's build */
  /* [host thread] After the host committed the results of apply calls on
   * `stream` to its state. `cursor` is the cursor the host holds for the
   * stream (from a read_changes of this stream, or an earlier answer of this
   * call). `written_json` is a JSON array of the writes that succeeded, in
   * the order the connector applied them, each
   *     {"op": "create"|"update"|"delete", "id": ID, "version": VERSION}
   * as apply's results gave them ("version" "" where it gave none).
   * Answers, in *out (valid until the next call on the instance), the cursor
   * the host is to hold from now on: the same cursor, or one past changes
   * that are exactly these writes. *out NULL or "": keep `cursor`. A
   * failure (status other than ACCORD_OK, with err) keeps `cursor` too; the
   * host logs it and goes on. */
  int32_t (*committed)(accord_instance *inst, const char *stream, const char *cursor, const char *written_json,
                       const char **out, uint64_t *out_len, accord_error *err);
} accord_after_commit_v1;

#ifdef __cplusplus
}
#endif

#endif /* ACCORD_AFTER_COMMIT_H */
