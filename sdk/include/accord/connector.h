// SPDX-License-Identifier: Apache-2.0
/*
 * accord/connector.h — the Accord connector ABI, version 1.2.
 *
 * This header is the specification. A connector is a shared library that
 * exports exactly one symbol, accord_connector_entry(), returning a pointer to
 * a static accord_connector table. Everything crosses as plain C: fixed-width
 * integers, NUL-terminated UTF-8 strings, and JSON text. A plugin built by
 * another compiler, another C++ standard library, or another language loads.
 *
 * Rules (checked by the host and by sdk/tests):
 *
 *  1. Versioning. The table starts with abi_major, abi_minor, struct_size.
 *     The host refuses a plugin whose abi_major differs from its own, whose
 *     abi_minor is newer than its own, or whose struct_size is smaller than
 *     the size its abi_minor requires. Slots are append-only: a slot added in
 *     minor N is read only when struct_size covers it. The same holds for
 *     accord_host, which the host hands to the plugin.
 *  2. Ownership. What the host passes is borrowed for the duration of the
 *     call. What a plugin returns (the *out_json pointers) stays valid until
 *     the plugin's next call on the same instance, or its destroy. Errors go
 *     into the host-owned accord_error sink. Nothing crosses that the other
 *     side must free.
 *  3. Threads. One instance is called by one host thread at a time. cancel()
 *     and the accord_host services may be called from any thread. Different
 *     instances may be used from different threads at the same time.
 *  4. No exception, longjmp or abort crosses the boundary. A C++ plugin
 *     catches everything at the edge (connector.hpp does this for you).
 *  5. The host never unloads a plugin. Plugins load with RTLD_NOW from
 *     absolute paths, and are built with hidden visibility,
 *     -Wl,--no-undefined and a version script exporting only the entry.
 *
 * JSON shapes (all UTF-8):
 *
 *  A batch, returned by read_changes:
 *    {"records":[{"id":"…","version":"…","modified":"RFC 3339",
 *                 "deleted":false,"data":{…canonical record…}}],
 *     "cursor":"…opaque…","more":true|false}
 *  Deleted records carry "deleted":true and no "data".
 *  A record the connector cannot read itself (a file that does not parse)
 *  carries "problem":"what, where, the fix" and no "data": the host skips it
 *  and lists it in accord status, as it does the records it cannot read.
 *  A live record that a create made may carry "idempotency_key":"…", the key
 *  that create stored with it (X-ACCORD-ID, an external-id field…): the host
 *  relinks records by it when its state was lost or restored from an old
 *  copy, so that nothing is copied twice. Omit it where the store keeps none.
 *  A batch may carry "full":true (on the first batch of a listing): this
 *  listing, through the batch with "more":false, holds every live record, so
 *  the host treats the records it knows but does not see as deleted. A
 *  connector without a delete feed uses it to report deletes by absence.
 *  (Cursor "" always means a full listing; "full" says so for other cursors.)
 *
 *  fetch input: ["id", …]; output: {"records":[…same record shape…]}.
 *
 *  apply input:  [{"op":"create|update|delete","id":"…","expect_version":"…",
 *                  "idempotency_key":"…","resend":true,"sent_at":"…",
 *                  "find_only":true,"data":{…}}]
 *  apply output: [{"status":"ok|retry|error|auth_required|conflict|unsupported|cancelled|not_found",
 *                  "id":"…","version":"…","message":"…","retry_after":SECONDS,
 *                  "maybe_written":true}]
 *  One result per op, in the same order. "maybe_written":true (with "retry"
 *  only) says THIS try may have written to the store and the connector could
 *  not tell (its answer was lost and the look-up by key failed or lags): the
 *  host then sends every later try of that create with "resend":true until
 *  one is answered ok, and that try's time becomes the create's "sent_at".
 *  A retry without it says this try wrote nothing (a 429, a 503 before
 *  anything was made, a resend that only looked and found nothing): a first
 *  try is tried again as any op; a resend stays a resend (an earlier try may
 *  have written), its "sent_at" unchanged. An "ok" create or update may carry
 *  "data":{…}, the record as the store now holds it, in the form a listing
 *  gives (a store that rewrites what it is sent: fields it has no place for
 *  dropped, defaults added); the host keeps it as that side's base, so that
 *  the store's own form is never taken for a person's edit.
 *  A create the host sends again (it may have reached the store before a
 *  crash) carries "resend":true; a connector that has to search for its
 *  idempotency key may skip that search when "resend" is absent, since a
 *  fresh key cannot be stored yet. A resend carries "sent_at", when the
 *  latest try of that create that may have written was sent (the first try,
 *  or a later one answered "maybe_written"; "YYYY-MM-DDTHH:MM:SSZ", RFC 3339
 *  UTC; older hosts leave it out: take its absence as "just now"): a
 *  connector whose look-up lags writes (a search index) believes a look-up
 *  that finds nothing only once that lag has passed since then, and until
 *  then answers a plain retry (it wrote nothing).
 *  A connector declaring ACCORD_CAP_FIND_ONLY may be sent a resend with
 *  "find_only":true (a kept create the host will not make now: its source
 *  was deleted or left the filter, or the pipeline no longer creates on
 *  that side): look the key up and write nothing. Answer "ok" with the id,
 *  version and "data" (the record as a listing gives it) when found;
 *  "not_found" when the key is surely absent (the lag a "sent_at" allows
 *  has passed); a plain "retry" when the look-up failed or may lag. Never
 *  create. A host sends it only to a connector declaring the capability.
 *
 * See docs/sdk.md for a walk-through in C and in C++.
 */
#ifndef ACCORD_CONNECTOR_H
#define ACCORD_CONNECTOR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ACCORD_ABI_MAJOR 1
#define ACCORD_ABI_MINOR 2

/* Status codes, returned by every slot that can fail. Plain integers, never a
 * C enum, so that their size is fixed across compilers. */
#define ACCORD_OK 0
#define ACCORD_RETRY 1           /* transient: try again after retry_after_ms */
#define ACCORD_ERROR 2           /* failed; the message says why */
#define ACCORD_AUTH_REQUIRED 3   /* credentials missing, expired or refused */
#define ACCORD_CURSOR_EXPIRED 4  /* the cursor cannot be resumed from: the host
                                    does a full listing and diffs it against
                                    its state (never a wipe) */
#define ACCORD_CONFLICT 5        /* expect_version did not match */
#define ACCORD_UNSUPPORTED 6     /* this connector or stream cannot do that */
#define ACCORD_CANCELLED 7       /* cancel() was called, or host is_cancelled */
#define ACCORD_NOT_FOUND 8       /* apply, a "find_only" create only: its key
                                    is surely absent (nothing was made); sent
                                    only to ACCORD_CAP_FIND_ONLY connectors */

/* Capability bits (accord_connector.capabilities). */
#define ACCORD_CAP_READ ((uint64_t)1 << 0)
#define ACCORD_CAP_WRITE ((uint64_t)1 << 1)
#define ACCORD_CAP_DELETE ((uint64_t)1 << 2)
#define ACCORD_CAP_CHANGE_FEED ((uint64_t)1 << 3) /* cursors return only changes */
#define ACCORD_CAP_IDEMPOTENT_CREATE ((uint64_t)1 << 4)
#define ACCORD_CAP_FETCH ((uint64_t)1 << 5) /* bodies fetched lazily */
/* apply takes a create with "find_only":true: a look-up of its key that
 * writes nothing (see apply above). A host that does not know the bit never
 * sends one; a host that does sends one only where it is declared. */
#define ACCORD_CAP_FIND_ONLY ((uint64_t)1 << 6)

/* Open flags (accord_host.open_flags, ABI 1.2), read by create(). */
/* The host only reads through this instance (validate, plan, conflicts
 * list): create nothing and change nothing, in the store or beside it (no
 * folder, index, lock or cache file, no migration); a store that does not
 * exist yet reads as empty. read_changes and fetch answer as usual (an index
 * may be built in memory); apply may fail with ACCORD_UNSUPPORTED. */
#define ACCORD_OPEN_READ_ONLY ((uint64_t)1 << 0)

/* Log levels for accord_host.log. */
#define ACCORD_LOG_DEBUG 0
#define ACCORD_LOG_INFO 1
#define ACCORD_LOG_WARN 2
#define ACCORD_LOG_ERROR 3

/* A plugin's instance: opaque to the host, owned by the plugin. */
typedef struct accord_instance accord_instance;

/* The error sink: owned by the host, borrowed by the plugin for one call.
 * A plugin that returns anything but ACCORD_OK should call set() once with a
 * one-line message a user can act on (what failed, and what to do). */
typedef struct accord_error {
  void *host_ctx;
  /* [calling thread] copies message; retry_after_ms is read for ACCORD_RETRY only */
  void (*set)(struct accord_error *self, int32_t status, const char *message,
              int64_t retry_after_ms);
} accord_error;

/* Host services, passed to create() and valid until destroy(). */
typedef struct accord_host {
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t struct_size; /* read a slot only when struct_size covers it */
  uint32_t reserved0;
  void *host_ctx;
  /* [any thread] never blocks for long; message borrowed for the call */
  void (*log)(void *host_ctx, int32_t level, const char *message);
  /* [any thread] total may be 0 when unknown; stream borrowed for the call */
  void (*progress)(void *host_ctx, const char *stream, uint64_t done, uint64_t total);
  /* [any thread] copies the secret named `name` into buf (NUL-terminated when
   * it fits) and stores its length in *out_len. Returns ACCORD_OK, ACCORD_ERROR
   * when there is no such secret, or ACCORD_RETRY when buf_size is too small
   * (*out_len then says how much is needed). The plugin owns buf. */
  int32_t (*secret)(void *host_ctx, const char *name, char *buf, uint64_t buf_size,
                    uint64_t *out_len);
  /* [any thread] never blocks; non-zero when the host wants the run to stop */
  int32_t (*is_cancelled)(void *host_ctx);
  /* ---- ABI 1.1 ---- (read only when struct_size >= ACCORD_HOST_SIZE_1_1) */
  /* [any thread] stores `value` as the secret `name` in the host's secret
   * store (the secrets file), replacing what was there: for a credential the
   * service rotated, such as an OAuth2 refresh token. Both borrowed for the
   * call. Returns ACCORD_OK, or ACCORD_ERROR when it could not be stored (the
   * host logs why). A plugin must not store what the user did not name as a
   * secret. */
  int32_t (*store_secret)(void *host_ctx, const char *name, const char *value);
  /* ---- ABI 1.2 ---- (read only when struct_size >= ACCORD_HOST_SIZE_1_2) */
  /* [static] ACCORD_OPEN_* bits for the instances made with this host;
   * unknown bits are ignored. */
  uint64_t open_flags;
} accord_host;

/* The connector table. Static, returned by accord_connector_entry(). */
typedef struct accord_connector {
  uint32_t abi_major;   /* ACCORD_ABI_MAJOR the plugin was built against */
  uint32_t abi_minor;   /* ACCORD_ABI_MINOR the plugin was built against */
  uint32_t struct_size; /* sizeof(accord_connector) the plugin was built with */
  uint32_t reserved0;   /* zero */
  /* [static] UTF-8 JSON: {"id","name","version","description","streams":[…],
   * "config_schema":{…JSON Schema…}}; see docs/sdk.md#manifest */
  const char *manifest_json;
  uint64_t capabilities; /* ACCORD_CAP_* bits */

  /* [host thread] Makes an instance from config_json (borrowed). Cheap: no
   * network, no blocking I/O beyond opening local files. host stays valid
   * until destroy(). On success stores the instance in *out. */
  int32_t (*create)(const accord_host *host, const char *config_json, accord_instance **out,
                    accord_error *err);
  /* [host thread] Frees the instance and everything it returned. Never fails. */
  void (*destroy)(accord_instance *inst);
  /* [host thread] One batch of records of `stream` changed since `cursor`
   * (borrowed; "" means from the beginning: a full listing of live records,
   * oldest first). *out_json (plugin-owned, valid until the next call on inst)
   * receives a batch. The host calls again with the batch's cursor while
   * "more" is true. A cursor the connector cannot resume from (expired, of
   * another epoch, unparseable) gets ACCORD_CURSOR_EXPIRED. */
  int32_t (*read_changes)(accord_instance *inst, const char *stream, const char *cursor,
                          const char **out_json, uint64_t *out_len, accord_error *err);
  /* [host thread] Full records for ids_json (borrowed JSON array of ids).
   * Unknown ids are left out of the answer. */
  int32_t (*fetch)(accord_instance *inst, const char *stream, const char *ids_json,
                   const char **out_json, uint64_t *out_len, accord_error *err);
  /* [host thread] Applies ops_json (borrowed JSON array of ops); *out_json
   * receives one result per op, in order. Returns ACCORD_OK when the batch was
   * processed (each result has its own status), another status when none of
   * it was. A create whose idempotency_key is already stored returns the
   * existing record's id and version with status "ok" (the host marks the
   * creates it sends again with "resend":true; see the JSON shapes above). */
  int32_t (*apply)(accord_instance *inst, const char *stream, const char *ops_json,
                   const char **out_json, uint64_t *out_len, accord_error *err);
  /* [any thread] never blocks: asks calls in progress on inst to return
   * ACCORD_CANCELLED promptly; later calls on inst return ACCORD_CANCELLED. */
  void (*cancel)(accord_instance *inst);
  /* [host thread] A versioned optional feature by name ("accord.idle.v1"…),
   * or NULL. The returned pointer is static or lives as long as inst. */
  const void *(*get_extension)(accord_instance *inst, const char *name);
} accord_connector;

/* The size of the table each ABI minor requires (for the host's check). */
#define ACCORD_CONNECTOR_SIZE_1_0 (sizeof(accord_connector))
#define ACCORD_CONNECTOR_SIZE_1_1 (sizeof(accord_connector)) /* 1.1 added no connector slot */
#define ACCORD_CONNECTOR_SIZE_1_2 (sizeof(accord_connector)) /* nor did 1.2 */
#define ACCORD_HOST_SIZE_1_0 (offsetof(accord_host, store_secret))
#define ACCORD_HOST_SIZE_1_1 (offsetof(accord_host, open_flags))
#define ACCORD_HOST_SIZE_1_2 (sizeof(accord_host))

#define ACCORD_ENTRY_SYMBOL "accord_connector_entry"

#if defined(_WIN32)
#define ACCORD_EXPORT __declspec(dllexport)
#else
#define ACCORD_EXPORT __attribute__((visibility("default")))
#endif

/* The one exported symbol. The host passes its own ABI version; the plugin
 * returns its static table (or NULL when it cannot serve that host). */
typedef const accord_connector *(*accord_connector_entry_fn)(uint32_t host_abi_major,
                                                             uint32_t host_abi_minor);

#ifdef __cplusplus
}
#endif

#endif /* ACCORD_CONNECTOR_H */
