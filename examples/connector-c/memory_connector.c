// SPDX-License-Identifier: Apache-2.0
/*
 * memory_connector.c: a complete Accord connector in plain C99, keeping
 * "note" records in memory. It shows that connector.h is all a connector
 * needs from Accord; JSON is read and written with Jansson (libjansson-dev,
 * docs/sdk.md says why). Build it with CMake (CMakeLists.txt beside it:
 * find_package(Accord) and accord_add_connector) or with one cc line and
 * pkg-config (docs/sdk.md, "A connector in C"). Never use it for real data:
 * nothing is persisted.
 *
 * Config: {} or {"batch_size": N}: a listing comes in pages of at most N
 * records ("more": true on all but the last; the default is one page).
 * Streams: "note" (canonical note). All instances in a process share one
 * store, as instances of a real connector share the system behind it.
 *
 * Accord's own tests build this file as their plain-C fixture too: compiled
 * with one FAULT_* define it becomes a deliberately broken connector that the
 * loader or the conformance kit must catch. A connector of your own needs
 * none of the FAULT_* blocks.
 */
#include <accord/connector.h>

#include <jansson.h>

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FIXTURE_ID
#define FIXTURE_ID "memory-c"
#endif

/* ---- the store ------------------------------------------------------------ */

typedef struct {
  char *id, *idem; /* idem: the idempotency key it was created with, or NULL */
  json_t *data;    /* the record's data object; NULL when deleted */
  long version, seq;
} rec_t;

/* Records in the order they last changed (seq ascending): a listing since a
 * cursor is the tail of the array. */
static struct {
  rec_t *recs;
  size_t n, cap;
  long seq, next_id;
} g_store;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

struct accord_instance {
  int cancelled;
  char *out; /* the last answer, valid until the next call (connector.h) */
  const accord_host *host;
  size_t batch_size; /* records per page of a listing; 0: all in one */
};

static int is_cancelled(accord_instance *in) {
#ifdef FAULT_IGNORES_CANCEL
  (void)in;
  return 0;
#else
  return __atomic_load_n(&in->cancelled, __ATOMIC_RELAXED) ||
         (in->host && in->host->is_cancelled && in->host->is_cancelled(in->host->host_ctx));
#endif
}

static int32_t err(accord_error *e, int32_t status, const char *msg) {
  if (e && e->set) e->set(e, status, msg, 0);
  return status;
}

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = (char *)malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

static rec_t *find(const char *id) {
  size_t i;
  for (i = 0; i < g_store.n; ++i)
    if (strcmp(g_store.recs[i].id, id) == 0) return &g_store.recs[i];
  return NULL;
}

static rec_t *find_idem(const char *key) {
#ifdef FAULT_IGNORES_IDEMPOTENCY
  (void)key;
  return NULL;
#else
  size_t i;
  for (i = 0; i < g_store.n; ++i)
    if (g_store.recs[i].idem && strcmp(g_store.recs[i].idem, key) == 0) return &g_store.recs[i];
  return NULL;
#endif
}

/* Moves r to the end so that the array stays in seq order; returns its new place. */
static rec_t *touch(rec_t *r) {
  rec_t tmp = *r;
  size_t at = (size_t)(r - g_store.recs);
  memmove(&g_store.recs[at], &g_store.recs[at + 1], (g_store.n - at - 1) * sizeof(rec_t));
  tmp.seq = ++g_store.seq;
  tmp.version++;
  g_store.recs[g_store.n - 1] = tmp;
  return &g_store.recs[g_store.n - 1];
}

/* ---- the slots ------------------------------------------------------------ */

static int32_t m_create(const accord_host *host, const char *config, accord_instance **out,
                        accord_error *e) {
  accord_instance *in;
  json_t *cfg = config ? json_loads(config, 0, NULL) : NULL, *size;
  json_int_t batch_size = 0;
  if (!json_is_object(cfg)) {
    json_decref(cfg);
    return err(e, ACCORD_ERROR, "config must be a JSON object");
  }
  size = json_object_get(cfg, "batch_size");
  if (size) batch_size = json_is_integer(size) ? json_integer_value(size) : -1;
  json_decref(cfg);
  if (batch_size < 0 || (size && batch_size == 0))
    return err(e, ACCORD_ERROR, "config: /batch_size: must be a whole number of records, 1 or more");
  in = (accord_instance *)calloc(1, sizeof *in);
  if (!in) return err(e, ACCORD_ERROR, "out of memory");
  in->host = host;
  in->batch_size = (size_t)batch_size;
  *out = in;
  return ACCORD_OK;
}

static void m_destroy(accord_instance *in) {
  free(in->out);
  free(in);
}

static int check_stream(const char *stream) { return stream && strcmp(stream, "note") == 0; }

/* Serialises an answer into in->out (freeing the last one) and takes v. */
static int32_t answer(accord_instance *in, json_t *v, const char **out, uint64_t *len, accord_error *e) {
  char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
  json_decref(v);
  if (!text) return err(e, ACCORD_ERROR, "out of memory");
  free(in->out);
  in->out = text;
  *out = text;
  *len = strlen(text);
  return ACCORD_OK;
}

static json_t *record_json(const rec_t *r) {
  char version[32];
  json_t *o = json_object();
  snprintf(version, sizeof version, "%ld", r->version);
  json_object_set_new(o, "id", json_string(r->id));
  json_object_set_new(o, "version", json_string(version));
  json_object_set_new(o, "modified", json_string("2026-01-01T00:00:00Z"));
  json_object_set_new(o, "deleted", json_boolean(r->data == NULL));
  if (r->data) json_object_set(o, "data", r->data);
  return o;
}

/* Cursors: "mem:<seq>" resumes the change feed after change <seq>;
 * "mem:<seq>:<start>" is the next page of a full listing begun when the
 * store stood at change <start>: it too leaves out records deleted before
 * then, but says which were deleted since. Anything else that is not empty
 * cannot be resumed. */
static int32_t read_changes_locked(accord_instance *in, const char *stream, const char *cursor,
                                   const char **out, uint64_t *len, accord_error *e) {
  long since = 0, start = g_store.seq, last = g_store.seq;
  size_t i, taken = 0;
  int full = !cursor || !*cursor, more = 0;
  char next[64], extra;
  json_t *batch, *records;
  if (is_cancelled(in)) return err(e, ACCORD_CANCELLED, "cancelled");
  if (!check_stream(stream)) return err(e, ACCORD_UNSUPPORTED, "memory-c has only the stream \"note\"");
  if (!full) {
    if (sscanf(cursor, "mem:%ld:%ld%c", &since, &start, &extra) == 2)
      full = 1; /* a later page of a full listing */
    else if (sscanf(cursor, "mem:%ld%c", &since, &extra) != 1)
      since = -1;
    if (since < 0 || since > g_store.seq || start < 0 || start > g_store.seq) {
#ifdef FAULT_IGNORES_EXPIRY
      since = 0;
#else
      return err(e, ACCORD_CURSOR_EXPIRED, "cursor was not issued by this store; do a full listing");
#endif
    }
  }
#ifdef FAULT_CURSOR_REPLAYS_ALL
  since = 0;
#endif
  records = json_array();
  for (i = 0; i < g_store.n; ++i) { /* oldest change first */
    const rec_t *r = &g_store.recs[i];
    if (r->seq <= since) continue;
    if (full && !r->data && r->seq <= start) continue; /* gone before the listing began */
    if (in->batch_size && taken == in->batch_size) { /* a page is full: the rest on the next read */
      more = 1;
      last = g_store.recs[i - 1].seq;
      break;
    }
    json_array_append_new(records, record_json(r));
    ++taken;
  }
  if (more && full)
    snprintf(next, sizeof next, "mem:%ld:%ld", last, start);
  else
    snprintf(next, sizeof next, "mem:%ld", last);
  batch = json_object();
  json_object_set_new(batch, "records", records);
  json_object_set_new(batch, "cursor", json_string(next));
  json_object_set_new(batch, "more", json_boolean(more));
  return answer(in, batch, out, len, e);
}

static json_t *result(const char *status, const rec_t *r, const char *message) {
  json_t *o = json_object();
  json_object_set_new(o, "status", json_string(status));
  if (r) {
    char version[32];
    snprintf(version, sizeof version, "%ld", r->version);
    json_object_set_new(o, "id", json_string(r->id));
    json_object_set_new(o, "version", json_string(version));
  }
  if (message) json_object_set_new(o, "message", json_string(message));
  return o;
}

/* A string member of an op, or NULL. */
static const char *str_of(json_t *op, const char *key) { return json_string_value(json_object_get(op, key)); }

/* Whether any string or key inside v is "reject" (the fixture's way to fail
 * one record of a batch, so that tests watch it be quarantined). */
static int holds_reject(json_t *v) {
  char *text = json_dumps(v, JSON_COMPACT);
  int found = text && strstr(text, "\"reject\"") != NULL;
  free(text);
  return found;
}

static json_t *apply_one(json_t *op) {
  const char *kind = str_of(op, "op"), *id = str_of(op, "id"), *ev = str_of(op, "expect_version"),
             *idem = str_of(op, "idempotency_key");
  json_t *data = json_object_get(op, "data");
  rec_t *r;
  if (!json_is_object(data)) data = NULL;
  if (data && holds_reject(data)) return result("error", NULL, "rejected by the fixture");
  if (kind && strcmp(kind, "create") == 0) {
    char idb[32];
    if (!data) return result("error", NULL, "create needs data");
    if (idem && (r = find_idem(idem)) != NULL) return result("ok", r, NULL);
    if (g_store.n == g_store.cap) {
      size_t cap = g_store.cap ? g_store.cap * 2 : 16;
      rec_t *nr = (rec_t *)realloc(g_store.recs, cap * sizeof(rec_t));
      if (!nr) return NULL;
      g_store.recs = nr;
      g_store.cap = cap;
    }
    r = &g_store.recs[g_store.n++];
    memset(r, 0, sizeof *r);
    snprintf(idb, sizeof idb, "n%ld", ++g_store.next_id);
    r->id = dup_str(idb);
    r->idem = idem ? dup_str(idem) : NULL;
    r->data = json_deep_copy(data);
    r->seq = ++g_store.seq;
    r->version = 1;
    return result("ok", r, NULL);
  }
  r = id ? find(id) : NULL;
  if (!r || !r->data) return result("error", NULL, "no such record");
#ifndef FAULT_IGNORES_VERSION
  if (ev) {
    char vb[32];
    snprintf(vb, sizeof vb, "%ld", r->version);
    if (strcmp(vb, ev) != 0) return result("conflict", r, "expect_version is stale");
  }
#else
  (void)ev;
#endif
  if (kind && strcmp(kind, "update") == 0 && data) {
    json_decref(r->data);
    r->data = json_deep_copy(data);
    return result("ok", touch(r), NULL);
  }
  if (kind && strcmp(kind, "delete") == 0) {
    json_decref(r->data);
    r->data = NULL;
    return result("ok", touch(r), NULL);
  }
  return result("error", NULL, "op must be create, update (with data) or delete");
}

static int32_t apply_locked(accord_instance *in, const char *stream, const char *ops, const char **out,
                            uint64_t *len, accord_error *e) {
  json_t *list, *results, *op;
  size_t i;
  if (is_cancelled(in)) return err(e, ACCORD_CANCELLED, "cancelled");
  if (!check_stream(stream)) return err(e, ACCORD_UNSUPPORTED, "memory-c has only the stream \"note\"");
  list = ops ? json_loads(ops, 0, NULL) : NULL;
  if (!json_is_array(list)) {
    json_decref(list);
    return err(e, ACCORD_ERROR, "ops must be a JSON array");
  }
  results = json_array();
  json_array_foreach(list, i, op) {
    json_t *res = json_is_object(op) ? apply_one(op) : result("error", NULL, "an op must be a JSON object");
    if (!res) {
      json_decref(list);
      json_decref(results);
      return err(e, ACCORD_ERROR, "out of memory");
    }
    json_array_append_new(results, res);
  }
  json_decref(list);
  return answer(in, results, out, len, e);
}

static int32_t m_read_changes(accord_instance *in, const char *stream, const char *cursor,
                              const char **out, uint64_t *len, accord_error *e) {
  int32_t st;
  pthread_mutex_lock(&g_lock);
  st = read_changes_locked(in, stream, cursor, out, len, e);
  pthread_mutex_unlock(&g_lock);
  return st;
}

static int32_t m_apply(accord_instance *in, const char *stream, const char *ops, const char **out,
                       uint64_t *len, accord_error *e) {
  int32_t st;
  pthread_mutex_lock(&g_lock);
  st = apply_locked(in, stream, ops, out, len, e);
  pthread_mutex_unlock(&g_lock);
  return st;
}

static void m_cancel(accord_instance *in) { __atomic_store_n(&in->cancelled, 1, __ATOMIC_RELAXED); }

static const void *m_get_extension(accord_instance *in, const char *name) {
  (void)in;
  (void)name;
  return NULL;
}

/* ---- the entry: a static, versioned table --------------------------------- */

#ifdef FAULT_BAD_MANIFEST_JSON
#define MANIFEST "{\"id\": \"" FIXTURE_ID "\", \"version\": "
#elif defined(FAULT_MANIFEST_MISSING_KEYS)
#define MANIFEST "{\"id\":\"" FIXTURE_ID "\",\"version\":\"1.0.0\"}"
#elif defined(FAULT_BAD_CONFIG_SCHEMA) /* valid JSON, not a schema: "type" is a number */
#define MANIFEST                                                                        \
  "{\"id\":\"" FIXTURE_ID "\",\"name\":\"Memory (C)\",\"version\":\"1.0.0\","           \
  "\"streams\":[{\"name\":\"note\",\"canonical\":\"note\",\"fields\":[\"/title\"]}],"   \
  "\"config_schema\":{\"type\":\"object\",\"properties\":{\"size\":{\"type\":12}}}}"
#else
#define MANIFEST                                                                        \
  "{\"id\":\"" FIXTURE_ID "\",\"name\":\"Memory (C)\",\"version\":\"1.0.0\","           \
  "\"description\":\"Records in memory; a connector in plain C99.\","                   \
  "\"streams\":[{\"name\":\"note\",\"canonical\":\"note\","                             \
  "\"fields\":[\"/title\",\"/body\",\"/categories\"]}],"                                \
  "\"config_schema\":{\"type\":\"object\",\"properties\":{\"batch_size\":"              \
  "{\"type\":\"integer\",\"minimum\":1,\"description\":\"records per page of a listing\"}}}}"
#endif

static const accord_connector kTable = {
#ifdef FAULT_ABI_MAJOR
    ACCORD_ABI_MAJOR + 1,
#else
    ACCORD_ABI_MAJOR,
#endif
#ifdef FAULT_ABI_MINOR_NEWER
    ACCORD_ABI_MINOR + 7,
#else
    ACCORD_ABI_MINOR,
#endif
#ifdef FAULT_SHORT_STRUCT
    (uint32_t)offsetof(accord_connector, fetch),
#else
    (uint32_t)sizeof(accord_connector),
#endif
    0,
    MANIFEST,
    ACCORD_CAP_READ | ACCORD_CAP_WRITE | ACCORD_CAP_DELETE | ACCORD_CAP_CHANGE_FEED |
        ACCORD_CAP_IDEMPOTENT_CREATE,
    m_create,
    m_destroy,
    m_read_changes,
    NULL, /* fetch: records come whole */
    m_apply,
    m_cancel,
    m_get_extension};

#ifdef FAULT_UNRESOLVED_SYMBOL
extern int accord_fixture_symbol_nobody_defines(void);
#endif

#ifdef FAULT_NO_ENTRY
ACCORD_EXPORT const accord_connector *some_other_entry(uint32_t major, uint32_t minor);
ACCORD_EXPORT const accord_connector *some_other_entry(uint32_t major, uint32_t minor)
#else
ACCORD_EXPORT const accord_connector *accord_connector_entry(uint32_t major, uint32_t minor);
ACCORD_EXPORT const accord_connector *accord_connector_entry(uint32_t major, uint32_t minor)
#endif
{
  (void)major;
  (void)minor;
#ifdef FAULT_UNRESOLVED_SYMBOL
  if (major == 0) accord_fixture_symbol_nobody_defines();
#endif
  return &kTable;
}
