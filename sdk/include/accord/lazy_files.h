// SPDX-License-Identifier: Apache-2.0
/* Accord connector SDK: lazy fields handed over in files, "accord.lazy_files.v1".
 *
 * A lazy field (a message's body, "/raw") travels through fetch and apply as
 * the base64 text of its bytes inside JSON: a 62 MiB message is 83 MiB of
 * text, parsed and copied on each side. A connector that offers this table
 * through get_extension can instead write the bytes to a file the host then
 * hands to the other side's apply, so neither process holds more than the
 * bytes once (or a chunk of them) and the host holds none.
 *
 * The file stands in the record where the base64 text would:
 *     "raw": {"$file": "/abs/path"}
 * and holds exactly the bytes that text would decode to. The host makes the
 * directory, and removes each file once the apply call that used it answered.
 * A connector reads such a file (it may not keep, move or change it), unless
 * its flags say ACCORD_LAZY_FILES_TAKE (below).
 *
 * The host uses fetch_files only when the source offers FETCH, and passes the
 * reference on only when the target offers APPLY; otherwise it reads the
 * file and sends base64 text as before. Connectors without the table see no
 * difference.
 *
 * Versioning: the name carries the major version; struct_size grows when a
 * slot is appended (read a slot only when struct_size covers it).
 */
#ifndef ACCORD_LAZY_FILES_H
#define ACCORD_LAZY_FILES_H

#include <accord/connector.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ACCORD_LAZY_FILES_V1 "accord.lazy_files.v1"

#define ACCORD_LAZY_FILES_FETCH 1u /* fetch_files writes the lazy fields to files */
#define ACCORD_LAZY_FILES_APPLY 2u /* apply takes {"$file": path} for a lazy field */
/* With APPLY: apply may TAKE a file it is handed, that is move it away (a
 * rename, on the same file system as its store) or remove it, once it holds
 * what it needs of it and before it answers. The host hands such a target
 * each file for one op only, never reads it again after the call, and
 * removes whatever is left. A file is only a copy of the source's field:
 * taking it loses nothing (a call that fails, or a run killed after the
 * take, fetches the field again). What it saves: a file removed before the
 * file system writes it back costs the disk nothing, one removed after a
 * flush (a Maildir's syncfs flushes the whole file system) costs a block
 * allocation, its write and its discard. Hosts before this flag ignore it
 * and remove the files, whatever is left of them, as before. (Appended bit.) */
#define ACCORD_LAZY_FILES_TAKE 4u
/* Ranges: a field may stand as the part of a file it names,
 *     "raw": {"$file": "/abs/path", "offset": 1234, "length": 567}
 * (its bytes: `length` bytes from byte `offset`), so that the many small
 * fields of one fetch call go in one file, not a file each: each file made
 * and removed costs the file system a create and a removal (a journal
 * entry each), about as much as the write of a small message itself. With
 * FETCH the connector offers fetch_ranges (fetch_files's twin whose answer
 * may name such parts; several fields may share a file, a field may also
 * have a file of its own, with or without offset and length); with APPLY,
 * apply takes such references, and with TAKE it may take a shared file once
 * it has read every part of it the call's ops name. The host calls
 * fetch_ranges only for a target whose flags say RANGES and hands the
 * parts of a shared file to one apply call only. (Appended bit and slot.) */
#define ACCORD_LAZY_FILES_RANGES 8u

typedef struct accord_lazy_files_v1 {
  uint32_t struct_size; /* sizeof(accord_lazy_files_v1) of the connector's build */
  uint32_t flags;       /* ACCORD_LAZY_FILES_FETCH | ACCORD_LAZY_FILES_APPLY [| _TAKE] [| _RANGES] */
  /* [host thread] fetch's twin (same ids, same answer, valid until the next
   * call on the instance), except that each lazy field's value is
   * {"$file": path}, a file the connector made inside `dir` (borrowed; an
   * existing directory of the host's) under a name of its own choosing.
   * Write a large field in pieces, never whole in memory. NULL unless
   * flags has ACCORD_LAZY_FILES_FETCH. */
  int32_t (*fetch_files)(accord_instance *inst, const char *stream, const char *ids_json, const char *dir,
                         const char **out, uint64_t *out_len, accord_error *err);
  /* [host thread] (appended) fetch_files, except that a lazy field's value
   * may be {"$file": path, "offset": n, "length": n}, a part of a file the
   * connector made inside `dir` which other fields of the answer may share.
   * NULL unless flags has ACCORD_LAZY_FILES_FETCH and ACCORD_LAZY_FILES_RANGES. */
  int32_t (*fetch_ranges)(accord_instance *inst, const char *stream, const char *ids_json, const char *dir,
                          const char **out, uint64_t *out_len, accord_error *err);
} accord_lazy_files_v1;

#ifdef __cplusplus
}
#endif

#endif /* ACCORD_LAZY_FILES_H */
