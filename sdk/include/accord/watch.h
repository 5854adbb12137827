// SPDX-License-Identifier: Apache-2.0
/* Accord connector SDK: the file watch extension, "accord.watch.v1".
 *
 * A connector whose store is files on this machine (a vCard folder, a
 * Maildir, an SQLite file) offers this table through get_extension to say
 * which paths to watch. A long-running host (accord daemon) watches them
 * (inotify on Linux) and runs the pipeline soon after one changes, instead
 * of waiting for the pair's next scheduled run. The connector itself keeps
 * no watch and no thread: it only names the paths.
 *
 * Versioning: the name carries the major version; struct_size grows when a
 * slot is appended (read a slot only when struct_size covers it).
 */
#ifndef ACCORD_WATCH_H
#define ACCORD_WATCH_H

#include <accord/connector.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ACCORD_WATCH_V1 "accord.watch.v1"

typedef struct accord_watch_v1 {
  uint32_t struct_size; /* sizeof(accord_watch_v1) of the connector's build */
  /* [host thread] Cheap: no I/O beyond stat, creates nothing. What to watch
   * for `stream` (borrowed for the call), as a JSON object
   *   {"paths": [PATH...], "ignore": [PATH...]}
   * of absolute paths: a folder in "paths" is watched with its subfolders,
   * a file alone (with the names that begin with its name beside it: an
   * SQLite file's -wal and -journal); a change under a path in "ignore"
   * (the connector's own index, which a read writes) starts nothing. Valid
   * until the next call on the instance; NULL when there is nothing to
   * watch (the stream's store is not on this machine). */
  const char *(*paths)(accord_instance *inst, const char *stream);
} accord_watch_v1;

#ifdef __cplusplus
}
#endif

#endif /* ACCORD_WATCH_H */
