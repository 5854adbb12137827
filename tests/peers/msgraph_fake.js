// SPDX-License-Identifier: Apache-2.0
// A stateful, strict contract fake of Microsoft Graph v1.0 (Outlook mail, contacts, calendar, To Do, categories)
// and of the Microsoft identity platform's OAuth 2.0 endpoints, for the outlook-mapi connector's tests (issue 26)
// and `accord login`. One origin serves Graph under /v1.0 and the identity platform under /{tenant}/oauth2/v2.0.
// Strict: every request body is checked against Graph's own metadata (schemas/msgraph-v1.0.json, vendored from
// microsoftgraph/msgraph-metadata's v1.0 CSDL by extract_msgraph.py): an undeclared property answers 400
// RequestBodyRead "The property 'x' does not exist on type 'microsoft.graph.message'. …", a wrong type
// "Cannot convert the literal …", an enum value outside the type's members likewise (members match
// case-insensitively, as Graph's own examples send "Low"/"HTML"); an unknown OData system query option ($foo)
// is 400; a filter the fake does not model is 501 (not Graph's answer: the fake's limit, so a test never passes
// on a filter that was silently ignored). Errors come in Graph's envelope
// {"error": {"code", "message", "innerError": {"date", "request-id", "client-request-id"}}}.
// Each route names the page it follows (microsoftgraph/microsoft-graph-docs-contrib: api-reference/v1.0/api/*.md,
// concepts/*.md; MicrosoftDocs/entra-docs: docs/identity-platform/*.md).
//
//   Identity  GET /{tenant}/oauth2/v2.0/authorize (code + PKCE plain|S256, state echoed, loopback redirect: any
//             port, same path) · POST …/token (authorization_code, refresh_token with rotation, device_code; AADSTS errors
//             with error_codes) · POST …/devicecode
//   Mail      /me/mailFolders[/{id}[/childFolders|/move]] · /me/mailFolders/delta · /me/messages[/{id}] ·
//             /me/mailFolders/{id}/messages[/{id}] · …/messages/delta · /me/messages/{id}/$value ·
//             POST …/messages (JSON, or MIME as base64 text/plain: a draft) · /me/messages/{id}/move ·
//             DELETE (to recoverableitemsdeletions) · /me/messages/{id}/permanentDelete ·
//             …/attachments[/{id}[/$value]] · …/attachments/createUploadSession + PUT/DELETE on the uploadUrl
//   Contacts  /me/contactFolders[/{id}[/childFolders]] · /me/contactFolders/delta · /me/contacts[/{id}] ·
//             /me/contactFolders/{id}/contacts[/{id}] · …/contacts/delta
//   Calendar  /me/calendar · /me/calendars[/{id}] · /me/events[/{id}[/instances]] · /me/calendars/{id}/events ·
//             /me/calendarView · /me/calendars/{id}/calendarView · /me/calendarView/delta ·
//             /me/calendars/{id}/calendarView/delta;
//             series masters (recurrence, cancelledOccurrences, $expand=exceptionOccurrences), occurrences,
//             exceptions (PATCH an occurrence), cancelled occurrences (DELETE one), transactionId idempotency
//   To Do     /me/todo/lists[/{id}] · /me/todo/lists/delta · …/tasks[/{id}] · …/tasks/delta ·
//             …/tasks/{id}/checklistItems[/{id}] · …/tasks/{id}/linkedResources[/{id}]
//   Notes     /me/notes[/{id}] · /me/notes/delta · POST …/attachments (an inline image) (Outlook notes, the
//             Notes folder: v1.0 since 2026-08-07)
//   Outlook   /me/outlook/masterCategories[/{id}] · /me (who signed in)
//   Batch     POST /v1.0/$batch (≤ 20, per-entry status, dependsOn → 424, headers/body rules)
//   Every Graph route: bearer token (401 InvalidAuthenticationToken), $select, $top/$skip paging with
//   @odata.nextLink, $count, singleValueExtendedProperties (create, PATCH, $filter …/Any(ep: …), $expand), If-Match
//   → 412 ErrorIrresolvableConflict, Prefer: IdType="ImmutableId", Prefer: odata.maxpagesize, Prefer:
//   outlook.timezone, Prefer: outlook.body-content-type, at most 4 requests in flight per mailbox (the 5th: 429
//   ApplicationThrottled "Application is over its MailboxConcurrency limit."), 10,000 requests per 10 minutes per
//   mailbox (429 "… RequestRate limit."), injected 429/503 with Retry-After, 405 for a wrong method.
// Not modelled: sending mail, replies/forwards, itemAttachment/referenceAttachment content, the invitations and
// responses as messages (an attendee's answer is set by /__respond),
// meeting messages, shared or delegated mailboxes, $search, $orderby and $filter expressions a route does not
// name (501), calendar groups, open extensions, change notifications, reading or deleting a note's attachments, and
// a note's extended properties (note.md lists the relationship, but no create, list or $filter page documents
// them for a note; the connector does not use them), state across restarts.
//
// Usage: [MSGRAPH_CLIENT_ID=… MSGRAPH_CLIENT_SECRET=… (set: a confidential client) MSGRAPH_REDIRECT_URIS=uri,…
//         MSGRAPH_USER=upn MSGRAPH_TOKEN=… MSGRAPH_REFRESH_TOKEN=…] node msgraph_fake.js → prints "port N"
//        (127.0.0.1; PEER_PORT pins it)
// Test-only routes (no authentication):
//   POST /__control {"expire_tokens": true, "token_lifetime": s, "rotate_refresh_token": bool (default true),
//                    "refuse_used_refresh_token": bool (an old refresh token refused once rotated, AADSTS70000),
//                    "expire_refresh_tokens": true (AADSTS700082), "revoke_refresh_tokens": true (AADSTS50173),
//                    "authorize_error": "access_denied"|null, "code_lifetime": s, "device_interval": s,
//                    "device_expires_in": s, "expire_delta_tokens": true (every delta/skip token so far → 410
//                    syncStateNotFound with a Location header to start over), "delta_replay": bool (each round
//                    from a delta token also sends again the newest change of the round before), "delta_duplicate":
//                    bool (each round sends its first changed item twice, as the overview allows),
//                    "rate_limit": {"count", "status": 429|503|412…, "code", "message", "retry_after", "path", "method"},
//                    "latency_ms": n (each Graph request answered n ms later: the concurrency limit shows),
//                    "mailbox_settings_denied": bool (the token lacks MailboxSettings.*: the master category list
//                    answers 403 ErrorAccessDenied), "max_concurrency": n (default 4), "page_size": n (default delta page when no Prefer),
//                    "request_rate": {"limit", "window_s"} (default 10000 per 600 s per mailbox: 429 ApplicationThrottled
//                    "Application is over its RequestRate limit." with Retry-After until the window frees one),
//                    "age_s": n (n seconds pass: every stored item's createdDateTime and lastModifiedDateTime move
//                    n s back, as if made n s earlier)}
//   POST /__fault {…}  (fake_http.js) answers lost after the commit, injected statuses
//   POST /__account {"email", "access_token"?, "refresh_token"?, "scope"?}  another mailbox (the refresh token
//                    consented for `scope`, default .default)
//   POST /__device {"user_code", "action": "approve"|"deny", "email"?}  the user at the device-login page
//   POST /__deliver {"folder": id or well-known name, "mime": base64, "email"?}  a received (not draft) message
//   POST /__respond {"event": id, "email", "response"}  an attendee answers the organizer's event
//   GET  /__dump[?user=EMAIL] → that mailbox;  GET /__stats → {requests (routes answered, $batch entries included), http
//                    (Graph requests over the wire, a $batch one), by_route, plain (by route, those sent on their own,
//                    not in a $batch), tokens_issued, throttled, max_inflight}
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const {URL} = require('url');
const {serve, control} = require('./fake_http');
const load = require('./vendor_schema');
const {tzOffset, wallToUtc, validZone, pad} = require('./fake_zones');
const {headersOf, header: headerOf} = require('./fake_mime');

const spec = require('./schemas/msgraph-v1.0.json');
const check = load('msgraph-v1.0', {closed: true});

// ---------------------------------------------------------------- errors

class GraphError extends Error {
  constructor(status, code, message, headers) {
    super(message);
    Object.assign(this, {status, code, headers: headers || {}});
  }
}
function fail(status, code, message, headers) { throw new GraphError(status, code, message, headers); }
const notFound = () => fail(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
function errorBody(e, reqId) {
  return {error: {code: e.code, message: e.message,
                  innerError: {date: new Date().toISOString().slice(0, 19), 'request-id': reqId, 'client-request-id': reqId}}};
}

// ---------------------------------------------------------------- state

const clientId = process.env.MSGRAPH_CLIENT_ID || 'client';
const clientSecret = process.env.MSGRAPH_CLIENT_SECRET || '';
const redirectUris = (process.env.MSGRAPH_REDIRECT_URIS || 'http://localhost').split(',').filter(Boolean);
const users = new Map();              // upn (lowercase) → mailbox
const accessTokens = new Map();       // token → {email, expires}
const refreshTokens = new Map();      // token → {email, scope, state: 'live'|'used'|'expired'|'revoked'}
const codes = new Map();              // authorization code → {email, redirect, challenge, method, scope, expires, used}
const devices = new Map();            // device_code → {user_code, scope, expires, state, email, last}
const stats = {requests: 0, http: 0, by_route: {}, plain: {}, tokens_issued: 0, throttled: 0, max_inflight: 0};
let inBatch = false;  // the entries of a $batch are being answered (they run one after the other)
const cfg = {tokenLifetime: 3599, rotate: true, refuseUsed: false, authorizeError: null, codeLifetime: 600,
             deviceInterval: 5, deviceExpires: 900, replay: false, rateLimit: null, latency: 0, maxConcurrency: 4,
             pageSize: 10, rateLimitPerWindow: 10000, rateWindowS: 600};
let seq = 0;

function rid(n) { return crypto.randomBytes(n || 9).toString('hex'); }
function guid() { return crypto.randomUUID(); }
function b64(s) { return Buffer.from(s).toString('base64'); }
let lastStamp = 0;
function stamp() { let t = Date.now(); if (t <= lastStamp) t = lastStamp + 1; lastStamp = t; return t; }
// The test route "age_s": n seconds pass for what every mailbox holds: each item's and container's times
// (createdDateTime, lastModifiedDateTime) move n s back, as if all was made n s earlier; with the times the
// host keeps moved back as much (its journal), a test sees a gap of n s without waiting it out.
function ageAll(n) {
  const ms = Math.round(Number(n) * 1000);
  if (!(ms > 0)) return;
  for (const u of users.values())
    for (const kind of ['folders', 'messages', 'contactFolders', 'contacts', 'calendars', 'events', 'lists', 'tasks', 'notes'])
      for (const x of u[kind].values()) { x.createdAt -= ms; x.modifiedAt -= ms; }
  lastStamp -= ms;
}
function isoZ(ms) { return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'); }

// Outlook ids look like base64 ("AAMkADNkNAAASq35xAAA="); they are opaque and case-sensitive
// (concepts/outlook-immutable-id.md). A regular id changes when the item moves; an immutable id does not.
function outlookId(prefix, key) { return prefix + b64(key).replace(/\+/g, '-').replace(/\//g, '_'); }
function fromOutlookId(prefix, id) {
  if (typeof id !== 'string' || !id.startsWith(prefix)) return null;
  try { return Buffer.from(id.slice(prefix.length).replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString(); } catch (e) { return null; }
}

function addUser(email) {
  const k = email.toLowerCase();
  if (users.has(k)) return users.get(k);
  const u = {email, id: guid(), displayName: email.split('@')[0], clock: 0,
    folders: new Map(), messages: new Map(), contactFolders: new Map(), contacts: new Map(),
    calendars: new Map(), events: new Map(), lists: new Map(), tasks: new Map(), categories: new Map(), notes: new Map(),
    tombs: new Map(), transactions: new Map(), sessions: new Map(), inflight: 0};
  // mailFolder resource: the well-known folder names (resources/mailfolder.md, "Well-known folder names")
  const root = newContainer(u, 'folders', {displayName: 'Top of Information Store', parentFolderId: null, wellKnown: 'msgfolderroot', isHidden: false});
  for (const [wk, name] of [['inbox', 'Inbox'], ['drafts', 'Drafts'], ['sentitems', 'Sent Items'], ['deleteditems', 'Deleted Items'],
                            ['junkemail', 'Junk Email'], ['outbox', 'Outbox'], ['archive', 'Archive']])
    newContainer(u, 'folders', {displayName: name, parentFolderId: root.id, wellKnown: wk, isHidden: false});
  // Where a deleted message goes (message-delete.md names the well-known folder recoverableitemsdeletions): outside
  // the folder tree the client lists.
  const recoverable = newContainer(u, 'folders', {displayName: 'Recoverable Items', parentFolderId: null, wellKnown: 'recoverableitemsroot', isHidden: true});
  newContainer(u, 'folders', {displayName: 'Deletions', parentFolderId: recoverable.id, wellKnown: 'recoverableitemsdeletions', isHidden: true});
  newContainer(u, 'contactFolders', {displayName: 'Contacts', parentFolderId: root.id, wellKnown: 'contacts', isDefault: true});
  newContainer(u, 'calendars', {name: 'Calendar', isDefaultCalendar: true, color: 'auto', hexColor: '', canEdit: true});
  newContainer(u, 'lists', {displayName: 'Tasks', wellknownListName: 'defaultList', isOwner: true, isShared: false});
  users.set(k, u);
  return u;
}
function tick(u) { return ++u.clock; }
function changeKey() { return b64(crypto.randomBytes(12)); }
function etagOf(x) { return 'W/"' + x.changeKey + '"'; }

// Containers (mail folders, contact folders, calendars, To Do lists) keep their ids for life.
function newContainer(u, kind, data) {
  const prefix = {folders: 'AAMkAF', contactFolders: 'AAMkAC', calendars: 'AAMkAK', lists: 'AAMkAL'}[kind];
  const c = Object.assign({id: outlookId(prefix, kind + '.' + (++seq) + '.' + rid(3)), kind, svep: new Map(),
                           changeKey: changeKey(), created: tick(u), changed: u.clock, createdAt: stamp()}, data);
  c.modifiedAt = c.createdAt;
  u[kind].set(c.id, c);
  return c;
}
function touch(u, x) { x.changed = tick(u); x.changeKey = changeKey(); x.modifiedAt = stamp(); }

// Items (messages, contacts, events, tasks): key is the immutable id's payload, gen counts moves.
const ITEM_PREFIX = {messages: 'AAMkAG', contacts: 'AAMkAH', events: 'AAMkAE', tasks: 'AAkALg', notes: 'AAMkAN'};
function newItem(u, kind, parent, data) {
  const it = {key: kind + '.' + (++seq) + '.' + rid(4), kind, parent, gen: 0, data: data || {}, svep: new Map(),
              attachments: new Map(), created: tick(u), changed: u.clock, changeKey: changeKey(), createdAt: stamp()};
  it.modifiedAt = it.createdAt;
  u[kind].set(it.key, it);
  return it;
}
const immutableId = it => outlookId('AAkALg', it.key);
const regularId = it => it.kind === 'tasks' ? immutableId(it) : outlookId(ITEM_PREFIX[it.kind], it.key + '#' + it.gen);
function idOf(ctx, it) { return ctx.immutable ? immutableId(it) : regularId(it); }
// Finds an item by either id form; a regular id from before a move is not found (it changed).
function itemById(u, kind, id) {
  const imm = fromOutlookId('AAkALg', id);
  if (imm && u[kind].has(imm)) return u[kind].get(imm);
  const reg = fromOutlookId(ITEM_PREFIX[kind], id);
  if (reg) {
    const [key, gen] = reg.split('#');
    const it = u[kind].get(key);
    if (it && String(it.gen) === gen) return it;
    return null;
  }
  if (!/^[A-Za-z0-9_=+\-/]{8,}$/.test(id)) fail(400, 'ErrorInvalidIdMalformed', 'Id is malformed.');
  return null;
}
// A removal a delta round reports: the item as it was in that collection.
function tomb(u, coll, it, ids) {
  if (!u.tombs.has(coll)) u.tombs.set(coll, []);
  u.tombs.get(coll).push({key: it.key, seq: tick(u), ids});
}

// ---------------------------------------------------------------- time zones

// Graph's dateTimeTimeZone takes Windows zone names ("Pacific Standard Time") and IANA ones; the Windows names map
// to IANA through CLDR's windowsZones.xml (Debian unicode-cldr-core), territory 001.
const WINDOWS = {};
try {
  const x = fs.readFileSync('/usr/share/unicode/cldr/common/supplemental/windowsZones.xml', 'utf8');
  for (const m of x.matchAll(/<mapZone other="([^"]+)" territory="001" type="([^"]+)"/g)) WINDOWS[m[1]] = m[2];
} catch (e) { /* IANA names and UTC only */ }
function ianaOf(tz) {
  if (!tz || /^(UTC|GMT|Coordinated Universal Time|tzone:\/\/Microsoft\/Utc)$/i.test(tz)) return 'UTC';
  const z = WINDOWS[tz] || tz;
  return validZone(z) ? z : null;
}
function wallString(ms, tz) {
  const d = new Date(ms + tzOffset(ms, tz));
  return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + 'T' + pad(d.getUTCHours()) + ':' +
         pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds()) + '.0000000';
}
// dateTimeTimeZone → UTC ms ("dateTime": "2016-12-09T20:30:00.0000000", "timeZone": "Pacific Standard Time").
function parseDtz(v, field) {
  if (!v || typeof v.dateTime !== 'string') fail(400, 'ErrorInvalidRequest', 'The ' + field + ' dateTime is missing.');
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/.exec(v.dateTime);
  if (!m) fail(400, 'ErrorInvalidRequest', 'Cannot convert the literal \'' + v.dateTime + '\' to the expected type \'Edm.DateTimeOffset\'.');
  const tz = v.timeZone ? ianaOf(v.timeZone) : null;
  if (!tz) fail(400, 'TimeZoneNotSupportedException', 'A valid TimeZone value must be specified. The following TimeZone value is not supported: \'' + (v.timeZone || '') + '\'.');
  if (m[7]) return {ms: Date.parse(m[1] + '-' + m[2] + '-' + m[3] + 'T' + m[4] + ':' + m[5] + ':' + (m[6] || '00') + m[7]), tz, name: v.timeZone || 'UTC'};
  return {ms: wallToUtc(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0)), tz), tz, name: v.timeZone || 'UTC'};
}
// startDateTime/endDateTime of calendarView ("2015-11-08T19:00:00.0000000"; without an offset, UTC, or the
// Prefer: outlook.timezone zone).
function parseQueryTime(s, name, ctx) {
  if (!s) fail(400, 'ErrorInvalidParameter', 'This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.');
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:\d{2})?$/i.exec(s.trim().replace(' ', '+'));
  if (!m) fail(400, 'ErrorInvalidParameter', 'The value \'' + s + '\' of parameter \'' + name + '\' is invalid.');
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] || 0), +(m[5] || 0), +(m[6] || 0));
  if (m[7]) return m[7].toUpperCase() === 'Z' ? wall : Date.parse(s.trim().replace(' ', '+'));
  return wallToUtc(wall, ctx.tz);
}

// ---------------------------------------------------------------- request bodies

const SCHEMAS = spec.schemas;
const EDM = {string: 'Edm.String', boolean: 'Edm.Boolean', integer: 'Edm.Int32', number: 'Edm.Double', array: 'Collection', object: 'Edm.ComplexType'};
// The schema a body path reaches ("toRecipients.0.emailAddress"), to name its Graph type in an error.
function schemaAt(name, path) {
  let s = SCHEMAS[name];
  for (const seg of path) {
    while (s && (s.$ref || s.anyOf)) s = s.$ref ? SCHEMAS[s.$ref.split('/').pop()] : s.anyOf.find(x => x.type !== 'null');
    if (!s) return null;
    if (/^\d+$/.test(seg)) s = s.items;
    else s = s.properties && s.properties[seg];
  }
  while (s && (s.$ref || s.anyOf)) s = s.$ref ? SCHEMAS[s.$ref.split('/').pop()] : s.anyOf.find(x => x.type !== 'null');
  return s;
}
// Enum members are taken case-insensitively and stored as declared ("Low" → "low").
function normalize(schema, v) {
  let s = schema;
  while (s && (s.$ref || s.anyOf)) s = s.$ref ? SCHEMAS[s.$ref.split('/').pop()] : s.anyOf.find(x => x.type !== 'null');
  if (!s || v === null || v === undefined) return v;
  if (s.enum && typeof v === 'string') {
    const parts = s['x-flags'] ? v.split(',').map(x => x.trim()) : [v];
    const mapped = parts.map(p => s.enum.find(e => e.toLowerCase() === p.toLowerCase()) || p);
    return mapped.join(',');
  }
  if (Array.isArray(v) && s.items) return v.map(x => normalize(s.items, x));
  if (typeof v === 'object' && !Array.isArray(v) && s.properties)
    for (const k of Object.keys(v)) if (s.properties[k]) v[k] = normalize(s.properties[k], v[k]);
  return v;
}
// The body checked against the entity type (RequestBodyRead as Graph answers it); returns the parsed body.
function readBody(ctx, typeName) {
  let b;
  // Graph reads a JSON body only under Content-Type: application/json ("Unable to read JSON request payload …",
  // the answer Graph gives without it)
  if (ctx.body && ctx.body.length && !/^application\/json\b/i.test(ctx.headers['content-type'] || ''))
    fail(400, 'BadRequest', 'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.');
  try { b = ctx.body && ctx.body.length ? JSON.parse(ctx.body.toString()) : {}; } catch (e) {
    fail(400, 'BadRequest', 'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.');
  }
  if (b === null || typeof b !== 'object' || Array.isArray(b))
    fail(400, 'RequestBodyRead', 'An unexpected \'' + (Array.isArray(b) ? 'StartArray' : 'PrimitiveValue') + '\' node was found when reading from the JSON reader. A \'StartObject\' node was expected.');
  normalize(SCHEMAS[typeName], b);
  const bad = check(typeName, b);
  if (bad.length) {
    const e = bad.find(x => x.kind === 'undeclared') || bad.find(x => x.kind === 'type' || x.kind === 'enum') || bad[0];
    const path = e.field ? e.field.split('.') : [];
    if (e.kind === 'undeclared') {
      const owner = schemaAt(typeName, path.slice(0, -1));
      fail(400, 'RequestBodyRead', 'The property \'' + path[path.length - 1] + '\' does not exist on type \'' + (owner && owner['x-type'] || 'microsoft.graph.' + typeName) +
           '\'. Make sure to only use property names that are defined by the type or mark the type as open type.');
    }
    let at = b;
    for (const p of path) at = at == null ? at : at[p];
    const want = schemaAt(typeName, path);
    const edmOf = w => {
      while (w && (w.$ref || w.anyOf)) w = w.$ref ? SCHEMAS[w.$ref.split('/').pop()] : w.anyOf.find(x => x.type !== 'null');
      if (!w) return 'Edm.String';
      if (w['x-type']) return w['x-type'];
      const t = Array.isArray(w.type) ? w.type[0] : w.type;
      return t === 'array' ? 'Collection(' + edmOf(w.items) + ')' : EDM[t] || 'Edm.String';
    };
    const edm = edmOf(want);
    fail(400, 'RequestBodyRead', 'Cannot convert the literal \'' + (typeof at === 'object' ? JSON.stringify(at) : at) + '\' to the expected type \'' + edm + '\'.');
  }
  return b;
}

// ---------------------------------------------------------------- OData query options

// "Use query parameters to customize responses" (concepts/query-parameters.md): the system query options;
// each route says which it takes; an unknown one is refused.
const SYSTEM = ['$select', '$expand', '$filter', '$top', '$skip', '$orderby', '$search', '$count', '$format', '$skiptoken', '$deltatoken'];
function query(ctx, allowed) {
  const q = {};
  for (const [k0, v] of ctx.query) {
    const k = k0.startsWith('$') ? k0.toLowerCase() : k0;
    if (k.startsWith('$')) {
      if (!SYSTEM.includes(k)) fail(400, 'BadRequest', 'Query option \'' + k0.slice(1) + '\' is not supported.');
      if (!allowed.includes(k)) fail(400, 'ErrorInvalidUrlQuery', 'The query parameter \'' + k0 + '\' is not supported with this operation.');
    }
    q[k] = v;
  }
  if (q.$top !== undefined && !/^\d+$/.test(q.$top)) fail(400, 'BadRequest', 'Invalid value \'' + q.$top + '\' for $top query option found.');
  if (q.$skip !== undefined && !/^\d+$/.test(q.$skip)) fail(400, 'BadRequest', 'Invalid value \'' + q.$skip + '\' for $skip query option found.');
  return q;
}
// $select=a,b: only those properties (plus id and @odata.etag, always sent).
// $select keeps what it names; navigation properties a $expand put in the view stay (OData v4.01 part 2, 5.1.3:
// $select and $expand are independent; the views carry these only when expanded)
const EXPANDED = ['singleValueExtendedProperties', 'multiValueExtendedProperties', 'attachments', 'exceptionOccurrences', 'checklistItems', 'linkedResources'];
function select(obj, sel) {
  if (!sel) return obj;
  const want = sel.split(',').map(s => s.trim()).filter(Boolean);
  const out = {};
  for (const k of Object.keys(obj)) if (k.startsWith('@odata.') || k === 'id' || EXPANDED.includes(k) || want.some(w => w.toLowerCase() === k.toLowerCase())) out[k] = obj[k];
  return out;
}
// Extended property ids ("Extended properties overview", resources/extended-properties-overview.md):
// "{type} {proptag}", "{type} {guid} Name {name}", "{type} {guid} Id {id}"; the name part is case-sensitive.
const EP_TYPES = 'Binary|Boolean|CLSID|Currency|Double|Float|Integer|Long|Object|Short|String|SystemTime|ApplicationTime|' +
                 'BinaryArray|CLSIDArray|CurrencyArray|DoubleArray|FloatArray|IntegerArray|LongArray|ShortArray|StringArray|SystemTimeArray|ApplicationTimeArray';
const EP_RE = new RegExp('^(' + EP_TYPES + ')\\s+(?:(0x[0-9a-fA-F]{1,4})|\\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\\}?\\s+(Name|Id)\\s+(.+))$', 'i');
function epKey(id) {
  const m = EP_RE.exec(String(id).trim());
  if (!m) fail(400, 'ErrorInvalidProperty', 'The extended property id \'' + id + '\' is not in a supported format.');
  if (m[2]) return m[1].toLowerCase() + ' ' + m[2].toLowerCase().replace(/^0x0*/, '0x');
  return m[1].toLowerCase() + ' {' + m[3].toLowerCase() + '} ' + m[4].toLowerCase() + ' ' + (m[4].toLowerCase() === 'id' ? m[5].toLowerCase() : m[5]);
}
function setExtended(x, list) {
  for (const p of list || []) {
    if (p.id === undefined) fail(400, 'ErrorInvalidProperty', 'The extended property id is missing.');
    if (p.value === null) x.svep.delete(epKey(p.id));
    else x.svep.set(epKey(p.id), {id: p.id, value: String(p.value)});
  }
}
// $filter=singleValueExtendedProperties/Any(ep: ep/id eq '…' and ep/value eq '…') (and contains/startswith/ne on
// value; singlevaluelegacyextendedproperty-get.md: "Filtering the value property … is case-insensitive").
// Type-aware by the id's type prefix (same page): the quoted-value operators (contains, startswith, eq, ne) are
// "For string-typed extended properties"; for a numeric one "apply one of … eq, ne, ge, gt, le, or lt" and "If
// {property_value} is not a string, make sure you explicitly cast ep/value to the appropriate Edm data type"
// (Request 4: cast(ep/value, Edm.Int32) eq 12, cast(ep/value, Edm.Guid) eq (…)). An uncast comparison on a
// non-String id is refused here with Graph's error envelope (400 ErrorInvalidUrlQueryFilter, the code Outlook's
// REST answers for a filter it cannot run; the page does not print the exact answer), so a connector cannot pass
// with a string compare real Graph would refuse or match nothing with.
const quoted = "'((?:[^']|'')*)'";
const ANY_RE = new RegExp('^singleValueExtendedProperties/Any\\((\\w+):\\s*\\1/id\\s+eq\\s+' + quoted +
  '(?:\\s+and\\s+(?:\\1/value\\s+(eq|ne)\\s+' + quoted + '|(contains|startswith)\\(\\1/value,\\s*' + quoted + '\\)' +
  '|cast\\(\\1/value,\\s*Edm\\.(\\w+)\\)\\s+(eq|ne|ge|gt|le|lt)\\s+(-?\\d+)))?\\)$', 'i');
const unq = s => s.replace(/''/g, "'");
// The Edm type a cast needs for each numeric extended property type (extended-properties-overview.md's types).
const EP_EDM = {integer: 'int32', short: 'int16', long: 'int64'};
function filterOf(f, extra) {
  if (f === undefined) return () => true;
  const s = f.trim();
  if (!s) fail(400, 'BadRequest', 'Invalid filter clause: the $filter expression is empty.');
  let m = ANY_RE.exec(s);
  if (m) {
    const key = epKey(unq(m[2]));
    const type = key.split(' ')[0];
    if (m[7] !== undefined) {
      // cast(ep/value, Edm.X) op N: only a numeric property, cast to its own Edm type.
      if (EP_EDM[type] !== m[7].toLowerCase())
        fail(400, 'ErrorInvalidUrlQueryFilter', 'The query filter contains one or more invalid nodes: ep/value of a \'' +
             type + '\' extended property cannot be cast to Edm.' + m[7] + '.');
      const op = m[8].toLowerCase(), n = BigInt(m[9]);
      return x => {
        const p = x.svep.get(key);
        if (!p || !/^-?\d+$/.test(p.value)) return false;
        const v = BigInt(p.value);
        return op === 'eq' ? v === n : op === 'ne' ? v !== n : op === 'ge' ? v >= n : op === 'gt' ? v > n : op === 'le' ? v <= n : v < n;
      };
    }
    const op = (m[3] || m[5] || '').toLowerCase(), val = unq(m[4] !== undefined ? m[4] : m[6] !== undefined ? m[6] : '').toLowerCase();
    if (op && type !== 'string')
      fail(400, 'ErrorInvalidUrlQueryFilter', 'The query filter contains one or more invalid nodes: a \'' + type +
           '\' extended property\'s value is compared only through cast(ep/value, Edm.<type>).');
    return x => {
      const p = x.svep.get(key);
      if (!p) return false;
      const v = p.value.toLowerCase();
      return !op || (op === 'eq' ? v === val : op === 'ne' ? v !== val : op === 'contains' ? v.includes(val) : v.startsWith(val));
    };
  }
  if (extra) { const g = extra(s); if (g) return g; }
  fail(501, 'NotImplemented', 'This $filter expression is not modelled by the msgraph fake: ' + s);
}
// $expand=singleValueExtendedProperties($filter=id eq '…')
function expandExtended(x, expand, view) {
  if (!expand) return view;
  for (const part of splitTop(expand)) {
    const m = /^(singleValueExtendedProperties|multiValueExtendedProperties|exceptionOccurrences|checklistItems|linkedResources|attachments)(?:\((.*)\))?$/i.exec(part.trim());
    if (!m) fail(400, 'BadRequest', 'Could not find a property named \'' + part.trim() + '\' on type \'' + (view['@odata.type'] || '').replace(/^#/, '') + '\'.');
    if (m[1].toLowerCase() !== 'singlevalueextendedproperties') continue;   // the others: each route's own
    let props = [...x.svep.values()];
    if (m[2]) {
      // $filter=id eq '…' [or id eq '…']… (singlevaluelegacyextendedproperty-get.md)
      const f = /^\$filter=(id\s+eq\s+'(?:[^']|'')*'(?:\s+or\s+id\s+eq\s+'(?:[^']|'')*')*)$/i.exec(m[2].trim());
      if (!f) fail(501, 'NotImplemented', 'This $expand option is not modelled by the msgraph fake: ' + m[2]);
      const keys = [...f[1].matchAll(/'((?:[^']|'')*)'/g)].map(k => epKey(unq(k[1])));
      props = keys.filter(k => x.svep.has(k)).map(k => x.svep.get(k));
    }
    view.singleValueExtendedProperties = props.map(p => ({id: p.id, value: p.value}));
  }
  return view;
}
function splitTop(s) {
  const out = [];
  let depth = 0, cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) { out.push(cur); cur = ''; } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}
function expands(q, name) { return q.$expand && splitTop(q.$expand).some(p => p.trim().toLowerCase().startsWith(name.toLowerCase())); }

// If-Match: the item's @odata.etag (or its changeKey); "*" matches anything.
function ifMatch(ctx, x) {
  const h = ctx.headers['if-match'];
  if (h === undefined || h.trim() === '*') return;
  const want = h.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
  if (want !== x.changeKey)
    fail(412, 'ErrorIrresolvableConflict', 'The change key passed in the request does not match the current change key for the item.');
}

// ---------------------------------------------------------------- collections, paging, delta

function contextUrl(ctx, what) { return ctx.base + '/$metadata#' + what; }
// A plain listing: $top (default 10, as Outlook pages) and $skip; @odata.nextLink carries the next $skip
// ("Paging Microsoft Graph data in your app", concepts/paging.md).
// $orderby is taken only where a route sorts by it (q.ordered); anywhere else it is the fake's 501, never ignored.
// $count=true adds @odata.count.
function orderBy(q, rows, keys) {
  if (q.$orderby === undefined) return rows;
  const m = /^([\w/]+)(?:\s+(asc|desc))?$/i.exec(q.$orderby.trim());
  const key = m && Object.keys(keys).find(k => k.toLowerCase() === m[1].toLowerCase());
  if (!key) fail(501, 'NotImplemented', '$orderby not modelled by the msgraph fake here: ' + q.$orderby);
  const get = keys[key], dir = m[2] && m[2].toLowerCase() === 'desc' ? -1 : 1;
  q.ordered = true;
  return rows.slice().sort((a, b) => { const x = get(a), y = get(b); return (x < y ? -1 : x > y ? 1 : 0) * dir; });
}
function listing(ctx, q, rows, view, what) {
  if (q.$orderby !== undefined && !q.ordered) fail(501, 'NotImplemented', '$orderby not modelled by the msgraph fake here: ' + q.$orderby);
  const top = q.$top !== undefined ? Math.min(Number(q.$top), 1000) : 10;
  const skip = q.$skip !== undefined ? Number(q.$skip) : 0;
  const out = {'@odata.context': contextUrl(ctx, what)};
  if (q.$count === 'true') out['@odata.count'] = rows.length;
  const page = rows.slice(skip, skip + top);
  if (skip + top < rows.length) {
    const next = new URL(ctx.url.href);
    next.searchParams.set('$skip', String(skip + top));
    if (!next.searchParams.has('$top')) next.searchParams.set('$top', String(top));
    out['@odata.nextLink'] = ctx.base + next.pathname.replace(/^\/v1\.0/i, '') + next.search.replace(/%24/g, '$');
  }
  out.value = page.map(x => select(expandExtended(x, q.$expand, view(x)), q.$select));
  return out;
}

// Delta query ("Use delta query to track changes in Microsoft Graph data", concepts/delta-query-overview.md, and
// message-delta.md, contact-delta.md, event-delta.md, todotask-delta.md, todotasklist-delta.md,
// mailfolder-delta.md, contactfolder-delta.md): a round of GETs following @odata.nextLink ($skiptoken) to an
// @odata.deltaLink ($deltatoken); the tokens are opaque and carry the first request's query options; a
// removed member comes as {"id", "@removed": {"reason": "deleted"}}; Prefer: odata.maxpagesize sets the page.
// The fake keeps, per delta token, the versions it reported (a snapshot) and answers the difference.
const handles = new Map();
let handleSeq = 0, expiredBefore = 0;
function handle(data) {
  const t = b64(rid(12)).replace(/[+/=]/g, '') + '.' + (++handleSeq);
  handles.set(t, Object.assign({serial: handleSeq}, data));
  return t;
}
function maxPageSize(ctx, q) {
  const m = /odata\.maxpagesize\s*=\s*(\d+)/i.exec(ctx.headers.prefer || '');
  if (m) { ctx.applied.push('odata.maxpagesize=' + m[1]); return Math.max(1, Number(m[1])); }
  if (q && q.$top !== undefined) return Math.max(1, Number(q.$top));
  return cfg.pageSize;
}
// o: {coll, link (path for next/delta links), members(params) → Map key → {version, ids: {reg, imm}},
//     render(key, params) → view or null (gone), params(q) → what the token keeps, changeType: bool,
//     outOfWindow(params, sinceClock) → [{key, ids}] removed outside a window}
function delta(ctx, o) {
  const q = {};
  for (const [k, v] of ctx.query) q[k.startsWith('$') ? k.toLowerCase() : k] = v;
  const tok = q.$skiptoken !== undefined ? q.$skiptoken : q.$deltatoken;
  let h = null;
  if (tok !== undefined) {
    h = handles.get(tok);
    const kind = q.$skiptoken !== undefined ? 'skip' : 'delta';
    if (!h || h.kind !== kind || h.coll !== o.coll || h.serial <= expiredBefore) {
      // "In case of an expired token, the service should respond with a 40X-series error with error codes such
      // as syncStateNotFound"; "Synchronization reset": 410 with a Location header to start over.
      const params = h ? h.params : {};
      const again = new URLSearchParams();
      for (const [k, v] of Object.entries(params)) if (k !== 'pageSize') again.set(k, v);
      const loc = ctx.base + o.link + (String(again) ? '?' + String(again).replace(/%24/g, '$') : '');
      fail(410, 'syncStateNotFound', 'The sync state generation is not found. Synchronize again without a state token.', {Location: loc});
    }
  }
  let list, offset = 0, nextSnap, params;
  if (h && h.kind === 'skip') {
    ({list, nextSnap, params} = h);
    offset = h.offset;
  } else {
    params = h ? h.params : o.params(q);
    const snap = h ? h.snap : new Map();
    const current = o.members(params);
    list = [];
    let newest = -1;
    if (h && cfg.replay) for (const s of snap.values()) newest = Math.max(newest, s.version);
    for (const [key, m] of current) {
      const old = snap.get(key);
      if (!old) list.push({key, type: 'created', version: m.version});
      else if (old.version !== m.version || (cfg.replay && old.version === newest)) list.push({key, type: 'updated', version: m.version});
    }
    for (const [key, s] of snap) if (!current.has(key)) list.push({key, type: 'deleted', version: Infinity, ids: s.ids});
    if (h && o.outOfWindow)
      for (const r of o.outOfWindow(params, h.clock)) if (!current.has(r.key) && !snap.has(r.key)) list.push({key: r.key, type: 'deleted', version: Infinity, ids: r.ids});
    if (params.changeType) list = list.filter(x => x.type === params.changeType);
    list.sort((a, b) => a.version - b.version);
    if (o.order) list = o.order(list);
    // "It's possible that a single entity will be contained multiple times in the response" (delta-query-overview.md)
    const again = list.find(x => x.type !== 'deleted');
    if (cfg.duplicate && again) list.push(Object.assign({}, again));
    nextSnap = current;
    nextSnap.clock = ctx.u.clock;
  }
  const size = maxPageSize(ctx, {$top: params.$top});
  const page = list.slice(offset, offset + size);
  const out = {'@odata.context': contextUrl(ctx, 'Collection(' + o.type + ')')};
  const value = [];
  for (const x of page) {
    const view = x.type === 'deleted' ? null : o.render(x.key, params);
    if (!view) {
      const ids = x.ids || (nextSnap.get(x.key) || {}).ids || {};
      value.push({'@odata.type': '#microsoft.graph.' + o.type, id: ctx.immutable ? ids.imm : ids.reg, '@removed': {reason: 'deleted'}});
    } else value.push(params.$select ? select(view, params.$select) : view);
  }
  if (offset + size < list.length) out['@odata.nextLink'] = ctx.base + o.link + '?$skiptoken=' + handle({kind: 'skip', coll: o.coll, list, offset: offset + size, nextSnap, params});
  else out['@odata.deltaLink'] = ctx.base + o.link + '?$deltatoken=' + handle({kind: 'delta', coll: o.coll, snap: nextSnap, clock: nextSnap.clock, params});
  out.value = value;
  return out;
}
// The options a delta token keeps (the others sent with a state token are the token's, as the docs say).
function deltaParams(q, allowed, custom) {
  const p = {};
  for (const [k, v] of Object.entries(q)) {
    if (k === '$skiptoken' || k === '$deltatoken') continue;
    if (k.startsWith('$')) {
      if (!allowed.includes(k)) fail(400, 'ErrorInvalidUrlQuery', 'The query parameter \'' + k + '\' is not supported with delta.');
      p[k] = v;
    } else if ((custom || []).includes(k)) p[k] = v;
  }
  if (p.changeType !== undefined && !['created', 'updated', 'deleted'].includes(p.changeType))
    fail(400, 'ErrorInvalidUrlQuery', 'The value \'' + p.changeType + '\' of changeType is not one of created, updated, deleted.');
  return p;
}
function snapOf(rows, version) {
  const m = new Map();
  for (const x of rows) m.set(x.key || x.id, {version: version ? version(x) : x.changed, ids: x.ids || {reg: x.kind && ITEM_PREFIX[x.kind] ? regularId(x) : x.id, imm: x.kind && ITEM_PREFIX[x.kind] ? immutableId(x) : x.id}});
  return m;
}

// ---------------------------------------------------------------- MIME

// RFC 5322 headers (unfolded), RFC 2047 encoded words, RFC 2045 transfer encodings: enough to read what a
// client uploads as MIME (user-post-messages.md, Example 3) and to write $value (message-get.md, "Get MIME").
function decodeWords(s) {
  return s.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=\s*(?==\?)/g, '=?$1?$2?$3?=').replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (all, cs, enc, text) => {
    const bytes = enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64')
      : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (x, h) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    return /^utf-?8$/i.test(cs) ? bytes.toString('utf8') : bytes.toString('latin1');
  });
}
function splitMime(buf) {
  const {headers, body} = headersOf(buf);
  for (const hd of headers) hd.value = decodeWords(Buffer.from(hd.value, 'latin1').toString('utf8'));
  return {headers, body: Buffer.from(body, 'latin1')};
}
const header = (part, name) => headerOf(part.headers, name);
function param(value, name) {
  const m = new RegExp(';\\s*' + name + '\\s*=\\s*(?:"([^"]*)"|([^;\\s]*))', 'i').exec(value || '');
  return m ? (m[1] !== undefined ? m[1] : m[2]) : undefined;
}
function decodeTransfer(part) {
  const enc = (header(part, 'Content-Transfer-Encoding') || '').toLowerCase();
  if (enc === 'base64') return Buffer.from(part.body.toString('latin1').replace(/\s+/g, ''), 'base64');
  if (enc === 'quoted-printable')
    return Buffer.from(part.body.toString('latin1').replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (x, h) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  return part.body;
}
function mimeParts(part, out) {
  const ct = header(part, 'Content-Type') || 'text/plain';
  const boundary = param(ct, 'boundary');
  if (/^multipart\//i.test(ct) && boundary) {
    const text = part.body.toString('latin1');
    const pieces = text.split(new RegExp('\\r?\\n?--' + boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '(?:--)?[ \\t]*\\r?\\n?'));
    for (const p of pieces.slice(1)) if (p.trim()) mimeParts(splitMime(Buffer.from(p, 'latin1')), out);
    return out;
  }
  out.push(part);
  return out;
}
function addresses(v) {
  if (!v) return [];
  const out = [];
  for (const one of v.match(/(?:"[^"]*"|[^,])+/g) || []) {
    const m = /^\s*(?:"?([^"<]*?)"?\s*)?<([^>]+)>\s*$/.exec(one) || [null, '', one.trim()];
    if (!m[2]) continue;
    out.push({emailAddress: {name: (m[1] || m[2]).trim(), address: m[2].trim()}});
  }
  return out;
}
function messageFromMime(raw) {
  const top = splitMime(raw);
  const parts = mimeParts(top, []);
  let text = null, html = null;
  const files = [];
  for (const p of parts) {
    const ct = (header(p, 'Content-Type') || 'text/plain').toLowerCase();
    const disp = header(p, 'Content-Disposition') || '';
    const name = param(disp, 'filename') || param(header(p, 'Content-Type'), 'name');
    if (/^attachment/i.test(disp) || (name && !/^inline/i.test(disp)) || !/^text\/(plain|html)/.test(ct)) {
      files.push({name: name || 'attachment', contentType: ct.split(';')[0], bytes: decodeTransfer(p), isInline: /^inline/i.test(disp), contentId: (header(p, 'Content-ID') || '').replace(/^<|>$/g, '') || null});
      continue;
    }
    const cs = param(header(p, 'Content-Type'), 'charset') || 'utf-8';
    const body = decodeTransfer(p).toString(/utf-?8/i.test(cs) ? 'utf8' : 'latin1');
    if (ct.startsWith('text/html') && html === null) html = body;
    else if (text === null) text = body;
  }
  const date = header(top, 'Date');
  return {
    subject: header(top, 'Subject') || '',
    from: addresses(header(top, 'From'))[0] || null,
    toRecipients: addresses(header(top, 'To')), ccRecipients: addresses(header(top, 'Cc')), bccRecipients: addresses(header(top, 'Bcc')),
    replyTo: addresses(header(top, 'Reply-To')),
    internetMessageId: header(top, 'Message-ID') || null,
    sentDateTime: date && !isNaN(Date.parse(date)) ? isoZ(Date.parse(date)) : null,
    body: html !== null ? {contentType: 'html', content: html} : {contentType: 'text', content: text || ''},
    internetMessageHeaders: top.headers.map(hd => ({name: hd.name, value: hd.value})),
    files,
  };
}
function encodeWord(s) { return /^[\x20-\x7e]*$/.test(s) ? s : '=?utf-8?B?' + b64(s) + '?='; }
function addressLine(list) { return (list || []).map(r => (r.emailAddress.name && r.emailAddress.name !== r.emailAddress.address ? '"' + encodeWord(r.emailAddress.name) + '" ' : '') + '<' + r.emailAddress.address + '>').join(', '); }
function wrap64(buf) { return buf.toString('base64').replace(/.{76}/g, '$&\r\n'); }
// The MIME of a message made from JSON (or a MIME one that got attachments since), written from its properties.
function mimeOf(u, m) {
  if (m.mime && !m.attachmentsSinceMime) return m.mime;
  const d = m.data;
  const h = [];
  const from = d.from || {emailAddress: {name: u.displayName, address: u.email}};
  h.push('From: ' + addressLine([from]));
  if ((d.toRecipients || []).length) h.push('To: ' + addressLine(d.toRecipients));
  if ((d.ccRecipients || []).length) h.push('Cc: ' + addressLine(d.ccRecipients));
  if ((d.bccRecipients || []).length) h.push('Bcc: ' + addressLine(d.bccRecipients));
  h.push('Subject: ' + encodeWord(d.subject || ''));
  h.push('Date: ' + new Date(Date.parse(d.sentDateTime || isoZ(m.createdAt))).toUTCString().replace('GMT', '+0000'));
  h.push('Message-ID: ' + d.internetMessageId);
  h.push('MIME-Version: 1.0');
  const body = d.body || {contentType: 'text', content: ''};
  const bodyPart = 'Content-Type: text/' + (body.contentType === 'html' ? 'html' : 'plain') + '; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n' + wrap64(Buffer.from(body.content || ''));
  const atts = [...m.attachments.values()];
  if (!atts.length) return Buffer.from(h.join('\r\n') + '\r\n' + bodyPart + '\r\n');
  const bd = '_fake_' + rid(6);
  let out = h.join('\r\n') + '\r\nContent-Type: multipart/mixed; boundary="' + bd + '"\r\n\r\n--' + bd + '\r\n' + bodyPart + '\r\n';
  for (const a of atts)
    out += '--' + bd + '\r\nContent-Type: ' + (a.contentType || 'application/octet-stream') + '; name="' + encodeWord(a.name) + '"\r\nContent-Disposition: ' +
           (a.isInline ? 'inline' : 'attachment') + '; filename="' + encodeWord(a.name) + '"\r\nContent-Transfer-Encoding: base64\r\n\r\n' + wrap64(a.bytes) + '\r\n';
  return Buffer.from(out + '--' + bd + '--\r\n');
}

// ================================================================ Mail

// Well-known folder names resolve to their folders (resources/mailfolder.md).
function folderOf(u, id) {
  if (id === undefined) return null;
  const byName = [...u.folders.values()].find(f => f.wellKnown && f.wellKnown === id.toLowerCase());
  return byName || u.folders.get(id) || null;
}
function folderOrFail(u, id) { const f = folderOf(u, id); if (!f) notFound(); return f; }
const ROOT = u => [...u.folders.values()].find(f => f.wellKnown === 'msgfolderroot');
function folderView(u, f) {
  const kids = [...u.folders.values()].filter(c => c.parentFolderId === f.id);
  const msgs = [...u.messages.values()].filter(m => m.parent === f.id);
  return {id: f.id, displayName: f.displayName, parentFolderId: f.parentFolderId, childFolderCount: kids.length,
          unreadItemCount: msgs.filter(m => !m.data.isRead).length, totalItemCount: msgs.length, isHidden: !!f.isHidden};
}
function messageView(u, ctx, m) {
  const d = m.data;
  const v = {'@odata.type': '#microsoft.graph.message', '@odata.etag': etagOf(m), id: idOf(ctx, m), createdDateTime: isoZ(m.createdAt),
    lastModifiedDateTime: isoZ(m.modifiedAt), changeKey: m.changeKey, categories: d.categories || [],
    receivedDateTime: d.receivedDateTime || isoZ(m.createdAt), sentDateTime: d.sentDateTime || d.receivedDateTime || isoZ(m.createdAt),
    hasAttachments: m.attachments.size > 0, internetMessageId: d.internetMessageId, subject: d.subject || '',
    bodyPreview: previewOf(d.body), importance: d.importance || 'normal', parentFolderId: m.parent,
    conversationId: d.conversationId, conversationIndex: d.conversationIndex || b64(rid(11)),
    isDeliveryReceiptRequested: !!d.isDeliveryReceiptRequested, isReadReceiptRequested: !!d.isReadReceiptRequested,
    isRead: !!d.isRead, isDraft: !!d.isDraft,
    webLink: 'https://outlook.office365.com/owa/?ItemID=' + encodeURIComponent(idOf(ctx, m)) + '&exvsurl=1&viewmodel=ReadMessageItem',
    // message-get.md: "If the header is not specified, the body and uniqueBody properties are returned in HTML format."
    inferenceClassification: d.inferenceClassification || 'focused', body: bodyIn(ctx, d.body, ctx.method === 'GET' ? 'html' : null),
    sender: d.sender || d.from || null, from: d.from || null, toRecipients: d.toRecipients || [], ccRecipients: d.ccRecipients || [],
    bccRecipients: d.bccRecipients || [], replyTo: d.replyTo || [], flag: d.flag || {flagStatus: 'notFlagged'}};
  if (!d.isDraft && !v.from) v.from = v.sender = {emailAddress: {name: u.displayName, address: u.email}};
  return v;
}
function messageOut(u, ctx, q, m) {
  const v = expandExtended(m, q.$expand, messageView(u, ctx, m));
  if (q.$select && /internetMessageHeaders/i.test(q.$select)) v.internetMessageHeaders = m.data.internetMessageHeaders || [];
  if (q.$select && /uniqueBody/i.test(q.$select)) v.uniqueBody = v.body;
  if (expands(q, 'attachments')) v.attachments = [...m.attachments.values()].map(a => attachmentView(ctx, a, true));
  return select(v, q.$select);
}
function previewOf(body) {
  const t = (body && body.content || '').replace(/<[^>]*>/g, ' ').replace(/&nbsp;/g, ' ').replace(/\s+/g, ' ').trim();
  return t.slice(0, 255);
}
function messageOrFail(u, id, folder) {
  const m = itemById(u, 'messages', id);
  if (!m || (folder && m.parent !== folder.id)) notFound();
  return m;
}
// PR_MESSAGE_FLAGS (Integer 0x0E07), MSGFLAG_READ 0x1 and MSGFLAG_UNSENT 0x8 ([MS-OXCMSG] 2.2.1.6): the one way to
// create a message that is not a draft through JSON; the create-message page documents none (a MIME upload
// stays a draft).
// Likewise PR_MESSAGE_DELIVERY_TIME (SystemTime 0x0E06) and PR_CLIENT_SUBMIT_TIME (SystemTime 0x0039) ([MS-OXPROPS])
// give an imported message its received and sent times.
function applyMessageFlags(m) {
  const p = m.svep.get(epKey('Integer 0x0E07'));
  const t = (tag, field) => { const x = m.svep.get(epKey('SystemTime ' + tag)); if (x && !isNaN(Date.parse(x.value))) m.data[field] = isoZ(Date.parse(x.value)); };
  t('0x0E06', 'receivedDateTime');
  t('0x0039', 'sentDateTime');
  if (!p) return;
  const v = Number(p.value);
  m.data.isDraft = (v & 8) !== 0;
  m.data.isRead = (v & 1) !== 0;
}
function newMessage(u, folder, data, opts) {
  const m = newItem(u, 'messages', folder.id, Object.assign({isDraft: true, isRead: true}, data));
  if (!m.data.internetMessageId) m.data.internetMessageId = '<' + rid(12).toUpperCase() + '@fake.prod.outlook.com>';
  if (!m.data.conversationId) m.data.conversationId = outlookId('AAQkAD', rid(8));
  if (opts && opts.mime) m.mime = opts.mime;
  // A message made from MIME keeps its threading headers as MAPI properties ([MS-OXPROPS] PidTagInReplyToId
  // 0x1042 and PidTagInternetReferences 0x1039, both PtypString), which Graph reaches as the extended properties
  // "String 0x1042" and "String 0x1039" (extended-properties-overview.md); message.md has no property for them
  for (const [name, tag] of [['in-reply-to', '0x1042'], ['references', '0x1039']]) {
    const h = (m.data.internetMessageHeaders || []).find(x => x.name.toLowerCase() === name);
    if (h && !m.svep.has('string ' + tag)) m.svep.set('string ' + tag, {id: 'String ' + tag, value: h.value});
  }
  return m;
}
function writableMessage(m, b, create) {
  // message-update.md: the properties that can be updated, four of them only while isDraft is true
  const UPDATABLE = ['bccRecipients', 'body', 'categories', 'ccRecipients', 'flag', 'from', 'importance', 'inferenceClassification',
    'internetMessageId', 'isDeliveryReceiptRequested', 'isRead', 'isReadReceiptRequested', 'multiValueExtendedProperties', 'replyTo',
    'sender', 'singleValueExtendedProperties', 'subject', 'toRecipients'];
  const DRAFT_ONLY = ['body', 'internetMessageId', 'replyTo', 'subject'];
  for (const k of Object.keys(b)) {
    if (k.includes('@odata.') || k === 'attachments') continue;
    if (!create && !UPDATABLE.includes(k)) fail(400, 'ErrorInvalidPropertySet', 'The property \'' + k + '\' can\'t be updated.');
    if (!create && !m.data.isDraft && DRAFT_ONLY.includes(k))
      fail(400, 'ErrorInvalidPropertyUpdateSentMessage', 'Update operation is not allowed on a sent message property: ' + k + '.');
    if (k === 'singleValueExtendedProperties') setExtended(m, b[k]);
    else if (k === 'multiValueExtendedProperties') m.mvep = (b[k] || []).map(p => ({id: p.id, value: p.value}));
    else if (!['id', 'createdDateTime', 'lastModifiedDateTime', 'changeKey', 'parentFolderId', 'hasAttachments', 'bodyPreview', 'webLink', 'conversationIndex'].includes(k))
      m.data[k] = b[k];
  }
}
function moveTo(u, it, parent, coll) {
  if (it.parent === parent) return;
  tomb(u, coll(it.parent), it, {reg: regularId(it), imm: immutableId(it)});
  it.parent = parent;
  it.gen++;
  touch(u, it);
}
const mailColl = fid => 'mail:' + fid;

function mailRoutes(ctx, r) {
  const u = ctx.u;
  let p;
  // GET /me/mailFolders/delta (mailfolder-delta.md): the folder hierarchy's changes
  if ((p = r('GET mailfolders/delta'))) {
    count('mailFolder.delta');
    return [200, delta(ctx, {coll: 'mailFolders', type: 'mailFolder', link: '/me/mailFolders/delta',
      params: q => deltaParams(q, ['$select', '$top'], []),
      members: () => snapOf([...u.folders.values()].filter(f => f.wellKnown !== 'msgfolderroot' && !/^recoverable/.test(f.wellKnown || '') && !/^recoverable/.test((u.folders.get(f.parentFolderId) || {}).wellKnown || ''))),
      render: id => u.folders.has(id) ? folderView(u, u.folders.get(id)) : null})];
  }
  // GET /me/mailFolders (user-list-mailfolders.md: top-level folders; includeHiddenFolders=true), POST (user-post-mailfolders.md)
  // GET/POST /me/mailFolders/{id}/childFolders (mailfolder-list-childfolders.md, mailfolder-post-childfolders.md)
  if ((p = r('GET mailfolders')) || (p = r('GET mailfolders/:f/childfolders'))) {
    count('mailFolder.list');
    const q = query(ctx, ['$select', '$top', '$skip', '$filter', '$expand', '$count']);
    const parent = p.f ? folderOrFail(u, p.f) : ROOT(u);
    const keep = filterOf(q.$filter);
    const rows = [...u.folders.values()].filter(f => f.parentFolderId === parent.id && (!f.isHidden || ctx.query.get('includeHiddenFolders') === 'true') && keep(f));
    return [200, listing(ctx, q, rows, f => folderView(u, f), 'users(\'' + u.id + '\')/mailFolders')];
  }
  if ((p = r('POST mailfolders')) || (p = r('POST mailfolders/:f/childfolders'))) {
    count('mailFolder.create');
    query(ctx, []);
    const b = readBody(ctx, 'mailFolder');
    const parent = p.f ? folderOrFail(u, p.f) : ROOT(u);
    if (!b.displayName) fail(400, 'ErrorInvalidRequest', 'The displayName property is required.');
    if ([...u.folders.values()].some(f => f.parentFolderId === parent.id && f.displayName.toLowerCase() === b.displayName.toLowerCase()))
      fail(409, 'ErrorFolderExists', 'A folder with the specified name already exists.');
    const f = newContainer(u, 'folders', {displayName: b.displayName, parentFolderId: parent.id, isHidden: !!b.isHidden});
    setExtended(f, b.singleValueExtendedProperties);
    return [201, folderView(u, f)];
  }
  // GET/PATCH/DELETE /me/mailFolders/{id} (mailfolder-get.md, mailfolder-update.md, mailfolder-delete.md)
  if ((p = r('GET mailfolders/:f'))) {
    count('mailFolder.get');
    const q = query(ctx, ['$select', '$expand']);
    const f = folderOrFail(u, p.f);
    return [200, select(expandExtended(f, q.$expand, folderView(u, f)), q.$select)];
  }
  if ((p = r('PATCH mailfolders/:f'))) {
    count('mailFolder.update');
    const b = readBody(ctx, 'mailFolder');
    const f = folderOrFail(u, p.f);
    if (b.displayName !== undefined && [...u.folders.values()].some(x => x !== f && x.parentFolderId === f.parentFolderId && x.displayName.toLowerCase() === String(b.displayName).toLowerCase()))
      fail(409, 'ErrorFolderExists', 'A folder with the specified name already exists.');
    if (b.displayName !== undefined) f.displayName = b.displayName;
    setExtended(f, b.singleValueExtendedProperties);
    touch(u, f);
    return [200, folderView(u, f)];
  }
  // POST /me/mailFolders/{id}/move {"destinationId"} (mailfolder-move.md): 201 with the folder under its new parent
  if ((p = r('POST mailfolders/:f/move'))) {
    count('mailFolder.move');
    query(ctx, []);
    const f = folderOrFail(u, p.f);
    let b;
    try { b = JSON.parse(ctx.body.toString() || '{}'); } catch (e) { fail(400, 'RequestBodyRead', 'Invalid JSON.'); }
    for (const k of Object.keys(b)) if (k !== 'destinationId') fail(400, 'RequestBodyRead', 'The parameter \'' + k + '\' in the request payload is not a valid parameter for the operation \'move\'.');
    const dest = folderOf(u, b.destinationId || '');
    if (!dest) fail(404, 'ErrorItemNotFound', 'The specified folder could not be found in the store.');
    if (f.wellKnown) fail(403, 'ErrorMoveDistinguishedFolder', 'Distinguished folders cannot be moved.');
    for (let x = dest; x; x = u.folders.get(x.parentFolderId)) if (x.id === f.id) fail(400, 'ErrorMoveCopyFailed', 'A folder cannot be moved into itself or its subfolders.');
    f.parentFolderId = dest.id;
    touch(u, f);
    return [201, folderView(u, f)];
  }
  if ((p = r('DELETE mailfolders/:f'))) {
    count('mailFolder.delete');
    const f = folderOrFail(u, p.f);
    if (f.wellKnown) fail(403, 'ErrorDeleteDistinguishedFolder', 'Distinguished folders cannot be deleted.');
    const gone = [f.id];
    for (let i = 0; i < gone.length; i++) for (const c of u.folders.values()) if (c.parentFolderId === gone[i]) gone.push(c.id);
    for (const id of gone) {
      tomb(u, 'mailFolders', {key: id}, {reg: id, imm: id});
      u.folders.delete(id);
      for (const m of [...u.messages.values()]) if (m.parent === id) u.messages.delete(m.key);
    }
    return [204];
  }
  // GET /me/mailFolders/{id}/messages/delta (message-delta.md; concepts/delta-query-messages.md: $select, $top,
  // $expand; $filter receivedDateTime ge|gt only; $orderby receivedDateTime desc only; changeType; no $search)
  if ((p = r('GET mailfolders/:f/messages/delta'))) {
    count('message.delta');
    const f = folderOrFail(u, p.f);
    return [200, delta(ctx, {coll: mailColl(f.id), type: 'message', link: '/me/mailFolders(\'' + f.id + '\')/messages/delta',
      params: q => {
        const d = deltaParams(q, ['$select', '$top', '$expand', '$filter', '$orderby'], ['changeType']);
        if (d.$filter !== undefined && !/^receivedDateTime\s+(ge|gt)\s+\S+$/i.test(d.$filter.trim()))
          fail(400, 'ErrorInvalidUrlQueryFilter', 'The only supported $filter expressions are receivedDateTime ge|gt {value}.');
        if (d.$orderby !== undefined && !/^receivedDateTime\s+desc$/i.test(d.$orderby.trim()))
          fail(400, 'ErrorInvalidUrlQuery', 'The only supported $orderby expression is receivedDateTime desc.');
        return d;
      },
      members: prm => {
        let rows = [...u.messages.values()].filter(m => m.parent === f.id);
        if (prm.$filter) {
          const [, op, v] = /^receivedDateTime\s+(ge|gt)\s+(\S+)$/i.exec(prm.$filter.trim());
          const t = Date.parse(v);
          rows = rows.filter(m => { const x = Date.parse(m.data.receivedDateTime || isoZ(m.createdAt)); return op.toLowerCase() === 'ge' ? x >= t : x > t; });
        }
        return snapOf(rows);
      },
      order: list => list,
      render: (key, prm) => u.messages.has(key) && u.messages.get(key).parent === f.id ? messageOut(u, ctx, {$expand: prm.$expand}, u.messages.get(key)) : null})];
  }
  // GET /me/messages (user-list-messages.md), /me/mailFolders/{id}/messages (mailfolder-list-messages.md): newest
  // first; $filter on singleValueExtendedProperties (singlevaluelegacyextendedproperty-get.md)
  if ((p = r('GET messages')) || (p = r('GET mailfolders/:f/messages'))) {
    count('message.list');
    const q = query(ctx, ['$select', '$top', '$skip', '$filter', '$expand', '$count', '$orderby']);
    const f = p.f ? folderOrFail(u, p.f) : null;
    const keep = filterOf(q.$filter, s => {
      const m = /^receivedDateTime\s+(ge|gt|le|lt)\s+(\S+)$/i.exec(s);
      if (!m) return null;
      const t = Date.parse(m[2]), op = m[1].toLowerCase();
      return x => { const v = Date.parse(x.data.receivedDateTime || isoZ(x.createdAt)); return op === 'ge' ? v >= t : op === 'gt' ? v > t : op === 'le' ? v <= t : v < t; };
    });
    const received = m => m.data.receivedDateTime || isoZ(m.createdAt);
    // /me/messages: the messages of the folder tree (what lies in Recoverable Items is outside it)
    const hidden = new Set([...u.folders.values()].filter(x => /^recoverable/.test(x.wellKnown || '')).map(x => x.id));
    let rows = [...u.messages.values()].filter(m => (f ? m.parent === f.id : !hidden.has(m.parent)) && keep(m))
      .sort((a, b) => Date.parse(received(b)) - Date.parse(received(a)) || b.created - a.created);
    const lq = Object.assign({}, q, {$expand: undefined, $select: undefined});
    rows = orderBy(lq, rows, {receivedDateTime: received, sentDateTime: m => m.data.sentDateTime || received(m), subject: m => m.data.subject || ''});
    const out = listing(ctx, lq, rows, m => messageOut(u, ctx, q, m), 'users(\'' + u.id + '\')/messages');
    return [200, out];
  }
  // POST /me/messages, /me/mailFolders/{id}/messages (user-post-messages.md): JSON, or MIME "encoded in base64
  // format in the request body" with Content-Type text/plain; either way a draft (201); malformed base64 → 400
  // ErrorMimeContentInvalidBase64String
  if ((p = r('POST messages')) || (p = r('POST mailfolders/:f/messages'))) {
    query(ctx, []);
    const f = p.f ? folderOrFail(u, p.f) : folderOf(u, 'drafts');
    const ct = (ctx.headers['content-type'] || '').toLowerCase();
    if (ct.startsWith('text/plain')) {
      count('message.createMime');
      const text = ctx.body.toString().replace(/\s+/g, '');
      if (!text || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1)
        fail(400, 'ErrorMimeContentInvalidBase64String', 'Invalid base64 string for MIME content.');
      const raw = Buffer.from(text, 'base64');
      const x = messageFromMime(raw);
      const m = newMessage(u, f, {subject: x.subject, from: x.from, sender: x.from, toRecipients: x.toRecipients, ccRecipients: x.ccRecipients,
        bccRecipients: x.bccRecipients, replyTo: x.replyTo, internetMessageId: x.internetMessageId, sentDateTime: x.sentDateTime,
        body: x.body, internetMessageHeaders: x.internetMessageHeaders}, {mime: raw});
      for (const a of x.files) addAttachment(u, m, a);
      m.attachmentsSinceMime = false;
      return [201, messageOut(u, ctx, {}, m)];
    }
    count('message.create');
    const b = readBody(ctx, 'message');
    const m = newMessage(u, f, {});
    writableMessage(m, b, true);
    m.data.isDraft = true;
    applyMessageFlags(m);
    for (const a of b.attachments || []) addAttachment(u, m, attachmentInput(a));
    if (!m.data.isDraft && !m.data.receivedDateTime) m.data.receivedDateTime = isoZ(m.createdAt);
    return [201, messageOut(u, ctx, {}, m)];
  }
  // GET /me/messages/{id}/$value (message-get.md, "Get MIME content")
  if ((p = r('GET messages/:m/$value')) || (p = r('GET mailfolders/:f/messages/:m/$value'))) {
    count('message.mime');
    query(ctx, []);
    const m = messageOrFail(u, p.m, p.f && folderOrFail(u, p.f));
    return [200, mimeOf(u, m), {'Content-Type': 'text/plain'}];
  }
  // POST /me/messages/{id}/move {"destinationId"} (message-move.md): 201 with the message in its new folder; its
  // regular id changes, its immutable id does not (concepts/outlook-immutable-id.md)
  if ((p = r('POST messages/:m/move')) || (p = r('POST mailfolders/:f/messages/:m/move'))) {
    count('message.move');
    query(ctx, []);
    const m = messageOrFail(u, p.m, p.f && folderOrFail(u, p.f));
    let b;
    try { b = JSON.parse(ctx.body.toString() || '{}'); } catch (e) { fail(400, 'RequestBodyRead', 'Invalid JSON.'); }
    for (const k of Object.keys(b)) if (k !== 'destinationId') fail(400, 'RequestBodyRead', 'The parameter \'' + k + '\' in the request payload is not a valid parameter for the operation \'move\'.');
    if (typeof b.destinationId !== 'string') fail(400, 'ErrorInvalidRequest', 'The destinationId parameter is required.');
    const dest = folderOf(u, b.destinationId);
    if (!dest) fail(404, 'ErrorItemNotFound', 'The specified folder could not be found in the store.');
    moveTo(u, m, dest.id, mailColl);
    return [201, messageOut(u, ctx, {}, m)];
  }
  if ((p = r('* messages/:m/attachments*')) || (p = r('* mailfolders/:f/messages/:m/attachments*')))
    return attachmentRoutes(ctx, r, messageOrFail(u, p.m, p.f && folderOrFail(u, p.f)));
  // GET/PATCH/DELETE /me/messages/{id} (message-get.md, message-update.md, message-delete.md)
  if ((p = r('GET messages/:m')) || (p = r('GET mailfolders/:f/messages/:m'))) {
    count('message.get');
    const q = query(ctx, ['$select', '$expand']);
    return [200, messageOut(u, ctx, q, messageOrFail(u, p.m, p.f && folderOrFail(u, p.f)))];
  }
  if ((p = r('PATCH messages/:m')) || (p = r('PATCH mailfolders/:f/messages/:m'))) {
    count('message.update');
    query(ctx, []);
    const m = messageOrFail(u, p.m, p.f && folderOrFail(u, p.f));
    ifMatch(ctx, m);
    const b = readBody(ctx, 'message');
    writableMessage(m, b, false);
    if (m.mime && Object.keys(b).some(k => ['subject', 'body', 'toRecipients', 'ccRecipients', 'bccRecipients', 'from', 'replyTo'].includes(k))) m.attachmentsSinceMime = true;
    touch(u, m);
    return [200, messageOut(u, ctx, {}, m)];
  }
  // DELETE moves the message to recoverableitemsdeletions (a new regular id; gone from its folder's delta); there,
  // and by POST …/permanentDelete (message-permanentdelete.md), it is gone for good
  if ((p = r('DELETE messages/:m')) || (p = r('DELETE mailfolders/:f/messages/:m')) ||
      (p = r('POST messages/:m/permanentdelete')) || (p = r('POST mailfolders/:f/messages/:m/permanentdelete'))) {
    count(ctx.method === 'DELETE' ? 'message.delete' : 'message.permanentDelete');
    const m = messageOrFail(u, p.m, p.f && folderOrFail(u, p.f));
    ifMatch(ctx, m);
    const bin = folderOf(u, 'recoverableitemsdeletions');
    if (ctx.method === 'DELETE' && m.parent !== bin.id) { moveTo(u, m, bin.id, mailColl); return [204]; }
    tomb(u, mailColl(m.parent), m, {reg: regularId(m), imm: immutableId(m)});
    u.messages.delete(m.key);
    return [204];
  }
  return null;
}

// ---------------------------------------------------------------- attachments and upload sessions

function attachmentInput(a) {
  const type = (a['@odata.type'] || '').replace(/^#/, '');
  if (type !== 'microsoft.graph.fileAttachment')
    fail(type === 'microsoft.graph.itemAttachment' || type === 'microsoft.graph.referenceAttachment' ? 501 : 400,
         type ? 'NotImplemented' : 'ErrorInvalidRequest', type ? 'Only fileAttachment is modelled by the msgraph fake.' : 'The @odata.type of an attachment is required.');
  const bad = check('fileAttachment', a);
  if (bad.length) fail(400, 'RequestBodyRead', 'The property \'' + bad[0].field.split('.').pop() + '\' does not exist on type \'microsoft.graph.fileAttachment\'. Make sure to only use property names that are defined by the type or mark the type as open type.');
  if (!a.name) fail(400, 'ErrorInvalidRequest', 'The name of the attachment is required.');
  const bytes = Buffer.from(a.contentBytes || '', 'base64');
  // "If the file size is under 3 MB, do a single POST on the attachments navigation property" (outlook-large-attachments.md)
  if (bytes.length > 3 * 1024 * 1024)
    fail(413, 'ErrorRequestEntityTooLarge', 'The attachment is larger than 3 MB: create an upload session (attachment-createuploadsession.md).');
  return {name: a.name, contentType: a.contentType || 'application/octet-stream', bytes, isInline: !!a.isInline, contentId: a.contentId || null};
}
function addAttachment(u, item, a) {
  const at = Object.assign({id: outlookId('AAMkAT', item.key + '.' + (++seq)), lastModifiedDateTime: isoZ(stamp())}, a);
  item.attachments.set(at.id, at);
  if (item.mime) item.attachmentsSinceMime = true;
  touch(u, item);
  return at;
}
function attachmentView(ctx, a, withContent) {
  const v = {'@odata.type': '#microsoft.graph.fileAttachment', id: a.id, lastModifiedDateTime: a.lastModifiedDateTime, name: a.name,
             contentType: a.contentType, size: a.bytes.length, isInline: a.isInline, contentId: a.contentId, contentLocation: null};
  if (withContent) v.contentBytes = a.bytes.toString('base64');
  return v;
}
function attachmentRoutes(ctx, r, item) {
  const u = ctx.u;
  let p;
  // POST …/attachments/createUploadSession {"AttachmentItem": {attachmentType, name, size, contentType?, isInline?,
  // contentId?}} (attachment-createuploadsession.md; outlook-large-attachments.md: 3 MB to 150 MB)
  if ((p = r('POST *attachments/createuploadsession'))) {
    count('attachment.createUploadSession');
    query(ctx, []);
    let b;
    try { b = JSON.parse(ctx.body.toString() || '{}'); } catch (e) { fail(400, 'RequestBodyRead', 'Invalid JSON.'); }
    for (const k of Object.keys(b)) if (k !== 'AttachmentItem') fail(400, 'RequestBodyRead', 'The parameter \'' + k + '\' in the request payload is not a valid parameter for the operation \'createUploadSession\'.');
    const ai = b.AttachmentItem;
    if (!ai || typeof ai !== 'object') fail(400, 'ErrorInvalidRequest', 'The AttachmentItem parameter is required.');
    normalize(SCHEMAS.attachmentItem, ai);
    const bad = check('attachmentItem', ai);
    if (bad.length) fail(400, 'RequestBodyRead', bad[0].kind === 'undeclared' ? 'The property \'' + bad[0].field.split('.').pop() + '\' does not exist on type \'microsoft.graph.attachmentItem\'. Make sure to only use property names that are defined by the type or mark the type as open type.' : bad[0].message);
    if (ai.attachmentType !== 'file') fail(501, 'NotImplemented', 'Only attachmentType file is modelled by the msgraph fake.');
    if (!ai.name || typeof ai.size !== 'number') fail(400, 'ErrorInvalidRequest', 'The AttachmentItem name and size are required.');
    if (ai.size < 3 * 1024 * 1024) fail(400, 'ErrorAttachmentSizeShouldNotBeLessThanMinimumSize', 'Attachment size must be greater than the minimum size.');
    if (ai.size > 150 * 1024 * 1024) fail(400, 'ErrorAttachmentSizeShouldNotBeMoreThanMaximumSize', 'Attachment size must be less than the maximum size (150 MB).');
    const sid = outlookId('AAMkAS', rid(9)), auth = rid(16);
    const s = {sid, auth, itemKey: item.key, kind: item.kind, ai, received: [], size: ai.size, expires: Date.now() + 15 * 60 * 1000};
    u.sessions.set(sid, s);
    sessions.set(sid, {u, s});
    return [201, {'@odata.context': ctx.base + '/$metadata#microsoft.graph.uploadSession',
                  uploadUrl: ctx.origin + '/api/v2.0/Users(\'' + u.id + '\')/' + (item.kind === 'events' ? 'Events' : 'Messages') + '(\'' + regularId(item) + '\')/AttachmentSessions(\'' + sid + '\')?authtoken=' + auth,
                  expirationDateTime: new Date(s.expires).toISOString(), nextExpectedRanges: ['0-']}];
  }
  // GET/POST …/attachments (message-list-attachments.md, message-post-attachments.md: a fileAttachment under 3 MB)
  if ((p = r('GET *attachments'))) {
    count('attachment.list');
    const q = query(ctx, ['$select', '$top', '$skip']);
    return [200, listing(ctx, q, [...item.attachments.values()], a => attachmentView(ctx, a, true), 'attachments')];
  }
  if ((p = r('POST *attachments'))) {
    count('attachment.create');
    query(ctx, []);
    let b;
    try { b = JSON.parse(ctx.body.toString() || '{}'); } catch (e) { fail(400, 'RequestBodyRead', 'Invalid JSON.'); }
    const a = addAttachment(u, item, attachmentInput(b));
    return [201, attachmentView(ctx, a, false)];
  }
  // GET …/attachments/{id}[/$value] (attachment-get.md), DELETE (attachment-delete.md)
  if ((p = r('GET *attachments/:a/$value'))) {
    count('attachment.value');
    const a = item.attachments.get(p.a);
    if (!a) notFound();
    return [200, a.bytes, {'Content-Type': a.contentType || 'application/octet-stream'}];
  }
  if ((p = r('GET *attachments/:a'))) {
    count('attachment.get');
    const q = query(ctx, ['$select', '$expand']);
    const a = item.attachments.get(p.a);
    if (!a) notFound();
    return [200, select(attachmentView(ctx, a, true), q.$select)];
  }
  if ((p = r('DELETE *attachments/:a'))) {
    count('attachment.delete');
    if (!item.attachments.delete(p.a)) notFound();
    if (item.mime) item.attachmentsSinceMime = true;
    touch(u, item);
    return [204];
  }
  return null;
}
// PUT/DELETE on an uploadUrl (outlook-large-attachments.md, steps 2-4): pre-authenticated (no Authorization
// header), Content-Range "bytes {start}-{end}/{total}", bytes in order; each answer 200 {expirationDateTime,
// nextExpectedRanges: ["{next}"]}; the last one 201 with a Location naming the attachment.
const sessions = new Map();
function uploadRoute(req, res, url) {
  const m = /AttachmentSessions\('([^']+)'\)$/.exec(decodeURIComponent(url.pathname));
  const found = m && sessions.get(m[1]);
  const send = (status, body, headers) => {
    res.writeHead(status, Object.assign({'Content-Type': 'application/json'}, headers || {}));
    res.end(body === undefined ? '' : JSON.stringify(body));
  };
  count('attachment.uploadSession.' + req.method);
  if (!found || found.s.auth !== url.searchParams.get('authtoken') || found.s.expires < Date.now())
    return send(404, {error: {code: 'ErrorItemNotFound', message: 'The upload session was not found or has expired.'}});
  if (req.headers.authorization)
    return send(400, {error: {code: 'ErrorInvalidRequest', message: 'Do not send an Authorization header with a pre-authenticated upload URL.'}});
  const {u, s} = found;
  if (req.method === 'DELETE') { sessions.delete(s.sid); u.sessions.delete(s.sid); return send(204); }
  if (req.method !== 'PUT') return send(405, {error: {code: 'ErrorInvalidRequest', message: 'Method not allowed.'}});
  const cr = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(req.headers['content-range'] || '');
  const got = s.received.reduce((a, x) => a + x.length, 0);
  const bytes = req.body || Buffer.alloc(0);
  if (!cr) return send(400, {error: {code: 'ErrorInvalidRequest', message: 'The Content-Range header is required: bytes {start}-{end}/{total}.'}});
  const [start, end, total] = [Number(cr[1]), Number(cr[2]), Number(cr[3])];
  if (total !== s.size || end < start || end >= total || end - start + 1 !== bytes.length || Number(req.headers['content-length']) !== bytes.length)
    return send(400, {error: {code: 'ErrorInvalidRequest', message: 'The Content-Range header does not match the session\'s size or the bytes sent.'}});
  if (start !== got)
    return send(416, {error: {code: 'InvalidRange', message: 'The uploaded fragment does not start at the next expected range ' + got + '.'},
                      nextExpectedRanges: [String(got) + '-']});
  s.received.push(Buffer.from(bytes));
  const now = got + bytes.length;
  if (now < s.size) return send(200, {'@odata.context': 'https://outlook.office.com/api/v2.0/$metadata#AttachmentSessions/$entity', expirationDateTime: new Date(s.expires).toISOString(), nextExpectedRanges: [String(now)]});
  const item = u[s.kind].get(s.itemKey);
  sessions.delete(s.sid);
  u.sessions.delete(s.sid);
  if (!item) return send(404, {error: {code: 'ErrorItemNotFound', message: 'The item the upload session was for is gone.'}});
  const a = addAttachment(u, item, {name: s.ai.name, contentType: s.ai.contentType || 'application/octet-stream', bytes: Buffer.concat(s.received),
                                    isInline: !!s.ai.isInline, contentId: s.ai.contentId || null});
  return send(201, undefined, {Location: 'http://' + req.headers.host + '/api/v2.0/Users(\'' + u.id + '\')/' + (s.kind === 'events' ? 'Events' : 'Messages') + '(\'' + regularId(item) + '\')/Attachments(\'' + a.id + '\')'});
}

// ================================================================ Contacts

const contactColl = fid => 'contacts:' + fid;
const defaultContacts = u => [...u.contactFolders.values()].find(f => f.isDefault);
function contactFolderOrFail(u, id) {
  const f = id === undefined ? defaultContacts(u) : id.toLowerCase() === 'contacts' ? defaultContacts(u) : u.contactFolders.get(id);
  if (!f) notFound();
  return f;
}
function contactFolderView(f) { return {id: f.id, displayName: f.displayName, parentFolderId: f.parentFolderId}; }
const CONTACT_COMPUTED = ['id', 'createdDateTime', 'lastModifiedDateTime', 'changeKey', 'parentFolderId'];
function contactView(ctx, c) {
  const d = c.data;
  const v = {'@odata.etag': etagOf(c), id: idOf(ctx, c), createdDateTime: isoZ(c.createdAt), lastModifiedDateTime: isoZ(c.modifiedAt),
    changeKey: c.changeKey, categories: d.categories || [], parentFolderId: c.parent, birthday: d.birthday || null,
    fileAs: d.fileAs || '', displayName: d.displayName !== undefined ? d.displayName : [d.givenName, d.middleName, d.surname].filter(Boolean).join(' '),
    givenName: d.givenName || null, initials: d.initials || null, middleName: d.middleName || null, nickName: d.nickName || null,
    surname: d.surname || null, title: d.title || null, yomiGivenName: d.yomiGivenName || null, yomiSurname: d.yomiSurname || null,
    yomiCompanyName: d.yomiCompanyName || null, generation: d.generation || null, imAddresses: d.imAddresses || [],
    jobTitle: d.jobTitle || null, companyName: d.companyName || null, department: d.department || null,
    officeLocation: d.officeLocation || null, profession: d.profession || null, businessHomePage: d.businessHomePage || null,
    assistantName: d.assistantName || null, manager: d.manager || null, homePhones: d.homePhones || [], mobilePhone: d.mobilePhone || null,
    businessPhones: d.businessPhones || [], spouseName: d.spouseName || null, personalNotes: d.personalNotes || '',
    children: d.children || [], emailAddresses: d.emailAddresses || [], homeAddress: d.homeAddress || {},
    businessAddress: d.businessAddress || {}, otherAddress: d.otherAddress || {}};
  return v;
}
function writeContact(c, b) {
  for (const k of Object.keys(b)) {
    if (k.includes('@odata.') || CONTACT_COMPUTED.includes(k)) continue;
    if (k === 'singleValueExtendedProperties') setExtended(c, b[k]);
    else if (k === 'multiValueExtendedProperties') c.mvep = b[k];
    else c.data[k] = b[k];
  }
}
function contactRoutes(ctx, r) {
  const u = ctx.u;
  let p;
  // GET /me/contactFolders/delta (contactfolder-delta.md)
  if ((p = r('GET contactfolders/delta'))) {
    count('contactFolder.delta');
    return [200, delta(ctx, {coll: 'contactFolders', type: 'contactFolder', link: '/me/contactFolders/delta',
      params: q => deltaParams(q, ['$select'], []), members: () => snapOf([...u.contactFolders.values()].filter(f => !f.isDefault)),
      render: id => u.contactFolders.has(id) ? contactFolderView(u.contactFolders.get(id)) : null})];
  }
  // GET /me/contactFolders (user-list-contactfolders.md: the folders in the default Contacts folder),
  // …/{id}/childFolders (contactfolder-list-childfolders.md); POST (user-post-contactfolders.md, contactfolder-post-childfolders.md)
  if ((p = r('GET contactfolders')) || (p = r('GET contactfolders/:f/childfolders'))) {
    count('contactFolder.list');
    const q = query(ctx, ['$select', '$top', '$skip', '$filter', '$expand']);
    const parent = contactFolderOrFail(u, p.f);
    const keep = filterOf(q.$filter);
    return [200, listing(ctx, q, [...u.contactFolders.values()].filter(f => f.parentFolderId === parent.id && keep(f)), contactFolderView, 'contactFolders')];
  }
  if ((p = r('POST contactfolders')) || (p = r('POST contactfolders/:f/childfolders'))) {
    count('contactFolder.create');
    query(ctx, []);
    const b = readBody(ctx, 'contactFolder');
    const parent = contactFolderOrFail(u, p.f);
    if (!b.displayName) fail(400, 'ErrorInvalidRequest', 'The displayName property is required.');
    if ([...u.contactFolders.values()].some(f => f.parentFolderId === parent.id && f.displayName.toLowerCase() === b.displayName.toLowerCase()))
      fail(409, 'ErrorFolderExists', 'A folder with the specified name already exists.');
    const f = newContainer(u, 'contactFolders', {displayName: b.displayName, parentFolderId: parent.id});
    setExtended(f, b.singleValueExtendedProperties);
    return [201, contactFolderView(f)];
  }
  // GET /me/contactFolders/{id}/contacts/delta (contact-delta.md)
  if ((p = r('GET contactfolders/:f/contacts/delta'))) {
    count('contact.delta');
    const f = contactFolderOrFail(u, p.f);
    return [200, delta(ctx, {coll: contactColl(f.id), type: 'contact', link: '/me/contactFolders(\'' + f.id + '\')/contacts/delta',
      params: q => deltaParams(q, ['$select', '$top', '$expand'], ['changeType']),
      members: () => snapOf([...u.contacts.values()].filter(c => c.parent === f.id)),
      render: (key, prm) => u.contacts.has(key) && u.contacts.get(key).parent === f.id ? expandExtended(u.contacts.get(key), prm.$expand, contactView(ctx, u.contacts.get(key))) : null})];
  }
  if ((p = r('GET contactfolders/:f'))) {
    count('contactFolder.get');
    const q = query(ctx, ['$select', '$expand']);
    const f = contactFolderOrFail(u, p.f);
    return [200, select(expandExtended(f, q.$expand, contactFolderView(f)), q.$select)];
  }
  if ((p = r('PATCH contactfolders/:f'))) {
    count('contactFolder.update');
    const b = readBody(ctx, 'contactFolder');
    const f = contactFolderOrFail(u, p.f);
    if (b.displayName !== undefined) f.displayName = b.displayName;
    if (b.parentFolderId !== undefined) { if (!u.contactFolders.has(b.parentFolderId)) notFound(); f.parentFolderId = b.parentFolderId; }
    setExtended(f, b.singleValueExtendedProperties);
    touch(u, f);
    return [200, contactFolderView(f)];
  }
  if ((p = r('DELETE contactfolders/:f'))) {
    count('contactFolder.delete');
    const f = contactFolderOrFail(u, p.f);
    if (f.isDefault) fail(403, 'ErrorDeleteDistinguishedFolder', 'Distinguished folders cannot be deleted.');
    tomb(u, 'contactFolders', {key: f.id}, {reg: f.id, imm: f.id});
    u.contactFolders.delete(f.id);
    for (const c of [...u.contacts.values()]) if (c.parent === f.id) u.contacts.delete(c.key);
    return [204];
  }
  // GET/POST /me/contacts, /me/contactFolders/{id}/contacts (user-list-contacts.md, user-post-contacts.md,
  // contactfolder-list-contacts.md, contactfolder-post-contacts.md)
  if ((p = r('GET contacts')) || (p = r('GET contactfolders/:f/contacts'))) {
    count('contact.list');
    const q = query(ctx, ['$select', '$top', '$skip', '$filter', '$expand', '$orderby', '$count']);
    const f = contactFolderOrFail(u, p.f);
    const keep = filterOf(q.$filter);
    const rows = orderBy(q, [...u.contacts.values()].filter(c => c.parent === f.id && keep(c)),
      {displayName: c => contactView(ctx, c).displayName, givenName: c => c.data.givenName || '', surname: c => c.data.surname || ''});
    return [200, listing(ctx, q, rows, c => contactView(ctx, c), 'users(\'' + u.id + '\')/contacts')];
  }
  if ((p = r('POST contacts')) || (p = r('POST contactfolders/:f/contacts'))) {
    count('contact.create');
    query(ctx, []);
    const b = readBody(ctx, 'contact');
    const f = contactFolderOrFail(u, p.f);
    const c = newItem(u, 'contacts', f.id, {});
    writeContact(c, b);
    return [201, contactView(ctx, c)];
  }
  const one = () => {
    const f = p.f !== undefined ? contactFolderOrFail(u, p.f) : null;
    const c = itemById(u, 'contacts', p.c);
    if (!c || (f && c.parent !== f.id)) notFound();
    return c;
  };
  if ((p = r('GET contacts/:c')) || (p = r('GET contactfolders/:f/contacts/:c'))) {
    count('contact.get');
    const q = query(ctx, ['$select', '$expand']);
    const c = one();
    return [200, select(expandExtended(c, q.$expand, contactView(ctx, c)), q.$select)];
  }
  if ((p = r('PATCH contacts/:c')) || (p = r('PATCH contactfolders/:f/contacts/:c'))) {
    count('contact.update');
    query(ctx, []);
    const c = one();
    ifMatch(ctx, c);
    const b = readBody(ctx, 'contact');
    // contact-update.md: parentFolderId is among what can be updated (a move: a new regular id, the same immutable one)
    if (b.parentFolderId !== undefined && b.parentFolderId !== c.parent) {
      if (!u.contactFolders.has(b.parentFolderId)) notFound();
      moveTo(u, c, b.parentFolderId, contactColl);
    }
    writeContact(c, b);
    touch(u, c);
    return [200, contactView(ctx, c)];
  }
  if ((p = r('DELETE contacts/:c')) || (p = r('DELETE contactfolders/:f/contacts/:c'))) {
    count('contact.delete');
    const c = one();
    ifMatch(ctx, c);
    tomb(u, contactColl(c.parent), c, {reg: regularId(c), imm: immutableId(c)});
    u.contacts.delete(c.key);
    return [204];
  }
  return null;
}

// ================================================================ Notes

// Outlook notes (resources/note.md, v1.0, ms.date 2026-08-07): items of the mailbox's Notes folder. Their own
// shape: {id, createdDateTime, lastModifiedDateTime, changeKey, categories, subject, body, bodyPreview, isDeleted,
// hasAttachments}; the pages' examples carry no @odata.etag, and give the body as HTML (also for a note made
// with a text body: the fake does the same, whatever Prefer says, since no note page documents
// outlook.body-content-type). The msgraph-metadata CSDL the fake vendors (f54f11b, schema sync of 2026-07-31)
// predates the type, so a body is checked here against the create and update pages' property tables.
const noteColl = 'notes';
function noteView(ctx, n) {
  const body = bodyIn({bodyType: null}, n.data.body || {contentType: 'text', content: ''}, 'html');
  return {id: idOf(ctx, n), createdDateTime: isoZ(n.createdAt), lastModifiedDateTime: isoZ(n.modifiedAt), changeKey: n.changeKey,
    categories: n.data.categories || [], subject: n.data.subject || '', body, bodyPreview: previewOf(body),
    isDeleted: false, hasAttachments: n.attachments.size > 0};
}
// user-post-notes.md and note-update.md: "body" (itemBody, text or html; required on create), "categories",
// "subject"; anything else is not settable.
function noteBody(ctx, create) {
  let b;
  if (ctx.body && ctx.body.length && !/^application\/json\b/i.test(ctx.headers['content-type'] || ''))
    fail(400, 'BadRequest', 'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.');
  try { b = ctx.body && ctx.body.length ? JSON.parse(ctx.body.toString()) : {}; } catch (e) {
    fail(400, 'BadRequest', 'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.');
  }
  if (b === null || typeof b !== 'object' || Array.isArray(b)) fail(400, 'RequestBodyRead', 'A \'StartObject\' node was expected.');
  for (const k of Object.keys(b)) {
    if (/@odata\./.test(k)) continue;
    if (!['subject', 'body', 'categories'].includes(k))
      fail(400, 'RequestBodyRead', 'The property \'' + k + '\' does not exist on type \'microsoft.graph.note\'. Make sure to only use property names that are defined by the type or mark the type as open type.');
  }
  if (b.subject !== undefined && b.subject !== null && typeof b.subject !== 'string')
    fail(400, 'RequestBodyRead', 'Cannot convert the literal \'' + JSON.stringify(b.subject) + '\' to the expected type \'Edm.String\'.');
  if (b.categories !== undefined && (!Array.isArray(b.categories) || b.categories.some(c => typeof c !== 'string')))
    fail(400, 'RequestBodyRead', 'Cannot convert the literal \'' + JSON.stringify(b.categories) + '\' to the expected type \'Collection(Edm.String)\'.');
  if (b.body !== undefined) {
    const ok = b.body && typeof b.body === 'object' && /^(text|html)$/i.test(b.body.contentType || '') && typeof b.body.content === 'string' &&
      Object.keys(b.body).every(k => ['contentType', 'content'].includes(k) || /@odata\./.test(k));
    if (!ok) fail(400, 'RequestBodyRead', 'Cannot convert the literal \'' + JSON.stringify(b.body) + '\' to the expected type \'microsoft.graph.itemBody\'.');
    b.body = {contentType: b.body.contentType.toLowerCase(), content: b.body.content};
  }
  if (create && b.body === undefined) fail(400, 'ErrorInvalidRequest', 'The body property is required.');
  return b;
}
// $filter on createdDateTime / lastModifiedDateTime (eq, ne, ge, le, gt, lt) and subject (eq, ne, startsWith)
// (user-list-notes.md, "The following properties support $filter").
function noteFilter(s) {
  let m = /^(createdDateTime|lastModifiedDateTime)\s+(eq|ne|ge|le|gt|lt)\s+(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)$/i.exec(s);
  if (m) {
    const at = Date.parse(m[3]), op = m[2].toLowerCase(), key = m[1].toLowerCase() === 'createddatetime' ? 'createdAt' : 'modifiedAt';
    return n => { const v = Math.floor(n[key] / 1000) * 1000;
      return op === 'eq' ? v === at : op === 'ne' ? v !== at : op === 'ge' ? v >= at : op === 'le' ? v <= at : op === 'gt' ? v > at : v < at; };
  }
  m = new RegExp('^subject\\s+(eq|ne)\\s+' + quoted + '$', 'i').exec(s);
  if (m) { const v = unq(m[2]); return n => (m[1].toLowerCase() === 'eq') === ((n.data.subject || '') === v); }
  m = new RegExp('^startswith\\(subject,\\s*' + quoted + '\\)$', 'i').exec(s);
  if (m) { const v = unq(m[1]); return n => (n.data.subject || '').startsWith(v); }
  return null;
}
function noteRoutes(ctx, r) {
  const u = ctx.u;
  let p;
  // GET /me/notes/delta (note-delta.md): $select, $filter, $orderby, $top with the first request
  if ((p = r('GET notes/delta'))) {
    count('note.delta');
    return [200, delta(ctx, {coll: noteColl, type: 'note', link: '/me/notes/delta',
      params: q => deltaParams(q, ['$select', '$top'], []),
      members: () => snapOf([...u.notes.values()]),
      render: key => u.notes.has(key) ? noteView(ctx, u.notes.get(key)) : null})];
  }
  // GET /me/notes (user-list-notes.md), POST /me/notes (user-post-notes.md: 201 and the note)
  if ((p = r('GET notes'))) {
    count('note.list');
    const q = query(ctx, ['$select', '$filter', '$orderby', '$top', '$skip', '$count']);
    const keep = filterOf(q.$filter, noteFilter);
    const rows = orderBy(q, [...u.notes.values()].filter(keep),
      {createdDateTime: n => n.createdAt, lastModifiedDateTime: n => n.modifiedAt, subject: n => n.data.subject || ''});
    return [200, listing(ctx, q, rows, n => noteView(ctx, n), 'users(\'' + u.id + '\')/notes')];
  }
  if ((p = r('POST notes'))) {
    count('note.create');
    query(ctx, []);
    const b = noteBody(ctx, true);
    const n = newItem(u, 'notes', 'notes', {});
    Object.assign(n.data, b);
    return [201, noteView(ctx, n)];
  }
  const one = () => { const n = itemById(u, 'notes', p.n); if (!n) notFound(); return n; };
  // POST /me/notes/{id}/attachments (note-post-attachments.md): an inline image only (image/png, image/jpeg,
  // image/gif, image/bmp; at most 3 MB), every property required, isInline true; 201 with the attachment
  if ((p = r('POST notes/:n/attachments'))) {
    count('note.attachment.create');
    query(ctx, []);
    const n = one();
    let b;
    try { b = JSON.parse(ctx.body.toString() || '{}'); } catch (e) { fail(400, 'BadRequest', 'Unable to read JSON request payload.'); }
    if (b['@odata.type'] !== '#microsoft.graph.fileAttachment' || !b.name || !b.contentBytes || !b.contentId || b.isInline !== true)
      fail(400, 'ErrorInvalidRequest', 'A note attachment needs @odata.type #microsoft.graph.fileAttachment, name, contentType, contentBytes, contentId and isInline true.');
    if (!/^image\/(png|jpeg|gif|bmp)$/i.test(b.contentType || '')) fail(400, 'ErrorInvalidRequest', 'Only image/png, image/jpeg, image/gif or image/bmp attachments are supported on a note.');
    const bytes = Buffer.from(b.contentBytes, 'base64');
    if (bytes.length > 3 * 1024 * 1024) fail(413, 'ErrorAttachmentSizeLimitExceeded', 'The attachment exceeds the maximum size of 3 MB.');
    const a = {id: outlookId('AAMkAT', rid(8)), name: b.name, contentType: b.contentType.toLowerCase(), size: bytes.length,
               isInline: true, contentId: b.contentId, lastModifiedDateTime: isoZ(stamp())};
    n.attachments.set(a.id, Object.assign({bytes}, a));
    touch(u, n);
    return [201, Object.assign({'@odata.type': '#microsoft.graph.fileAttachment'}, a)];
  }
  // GET/PATCH/DELETE /me/notes/{id} (note-get.md, note-update.md, note-delete.md: If-Match with the changeKey, 412)
  if ((p = r('GET notes/:n'))) {
    count('note.get');
    const q = query(ctx, ['$select', '$expand']);
    const n = one();
    if (q.$expand) fail(501, 'NotImplemented', 'This $expand option is not modelled by the msgraph fake: ' + q.$expand);
    return [200, select(noteView(ctx, n), q.$select)];
  }
  if ((p = r('PATCH notes/:n'))) {
    count('note.update');
    query(ctx, []);
    const n = one();
    ifMatch(ctx, n);
    Object.assign(n.data, noteBody(ctx, false));
    touch(u, n);
    return [200, noteView(ctx, n)];
  }
  if ((p = r('DELETE notes/:n'))) {
    count('note.delete');
    const n = one();
    ifMatch(ctx, n);
    tomb(u, noteColl, n, {reg: regularId(n), imm: immutableId(n)});
    u.notes.delete(n.key);
    return [204];
  }
  return null;
}

// ================================================================ Calendar

const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const INDEX = {first: 1, second: 2, third: 3, fourth: 4, last: -1};
const dayMs = 86400000;
const ymd = ms => { const d = new Date(ms); return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()); };
const dateMs = s => Date.parse(s + 'T00:00:00Z');
// The recurrence rules of patternedRecurrence (resources/patternedrecurrence.md, recurrencepattern.md,
// recurrencerange.md): daily, weekly, absoluteMonthly, relativeMonthly, absoluteYearly, relativeYearly; ranges
// endDate, noEnd, numbered; "startDate … must be the same value as the start property of the recurring event".
function checkRecurrence(rec, startLocalDate) {
  const bad = msg => fail(400, 'ErrorPropertyValidationFailure', 'At least one property failed validation. ' + msg);
  const pt = rec.pattern || {}, rg = rec.range || {};
  if (!pt.type) bad('recurrence.pattern.type is required.');
  if (!(pt.interval >= 1)) bad('recurrence.pattern.interval must be 1 or more.');
  if (['weekly', 'relativeMonthly', 'relativeYearly'].includes(pt.type) && !(pt.daysOfWeek || []).length) bad('daysOfWeek is required for a ' + pt.type + ' pattern.');
  if (['absoluteMonthly', 'absoluteYearly'].includes(pt.type) && !(pt.dayOfMonth >= 1 && pt.dayOfMonth <= 31)) bad('dayOfMonth is required for a ' + pt.type + ' pattern.');
  if (['absoluteYearly', 'relativeYearly'].includes(pt.type) && !(pt.month >= 1 && pt.month <= 12)) bad('month is required for a ' + pt.type + ' pattern.');
  if (!rg.type) bad('recurrence.range.type is required.');
  if (!rg.startDate || !/^\d{4}-\d{2}-\d{2}$/.test(rg.startDate)) bad('recurrence.range.startDate is required.');
  if (rg.type === 'endDate' && !/^\d{4}-\d{2}-\d{2}$/.test(rg.endDate || '')) bad('recurrence.range.endDate is required for an endDate range.');
  if (rg.type === 'numbered' && !(rg.numberOfOccurrences >= 1)) bad('recurrence.range.numberOfOccurrences is required for a numbered range.');
  if (rg.startDate !== startLocalDate) bad('The recurrence range startDate (' + rg.startDate + ') must be the date of the event\'s start (' + startLocalDate + ').');
}
// The dates (YYYY-MM-DD, in the series' zone) of a series up to untilDate, cancelled ones included.
function seriesDates(rec, untilDate) {
  const pt = rec.pattern, rg = rec.range;
  const start = dateMs(rg.startDate);
  const last = rg.type === 'endDate' ? Math.min(dateMs(rg.endDate), dateMs(untilDate)) : dateMs(untilDate);
  const max = rg.type === 'numbered' ? rg.numberOfOccurrences : Infinity;
  const out = [];
  const push = t => { if (t >= start && t <= last && out.length < max) out.push(ymd(t)); return out.length < max && t <= last; };
  const days = (pt.daysOfWeek || []).map(d => DAYS.indexOf(d)).sort((a, b) => a - b);
  const nth = (y, m, wday, index) => {
    if (index === -1) { const lastDay = Date.UTC(y, m + 1, 0); return lastDay - ((new Date(lastDay).getUTCDay() - wday + 7) % 7) * dayMs; }
    const first = Date.UTC(y, m, 1);
    const t = first + ((wday - new Date(first).getUTCDay() + 7) % 7) * dayMs + (index - 1) * 7 * dayMs;
    return new Date(t).getUTCMonth() === m ? t : null;
  };
  const monthly = (step, fn) => {
    const s = new Date(start);
    for (let k = 0; k < 1200; k++) {
      const y = s.getUTCFullYear(), m = s.getUTCMonth() + k * step;
      const cands = fn(Math.floor(y + m / 12) + 0, ((m % 12) + 12) % 12, y, m);
      let go = true;
      for (const t of cands.filter(x => x !== null).sort((a, b) => a - b)) if (t >= start) go = push(t) && go;
      if (!go || Date.UTC(y, m, 1) > last) break;
    }
  };
  if (pt.type === 'daily') {
    for (let t = start, k = 0; k < 20000; t += pt.interval * dayMs, k++) if (!push(t)) break;
  } else if (pt.type === 'weekly') {
    const fdw = DAYS.indexOf(pt.firstDayOfWeek || 'sunday');
    const weekStart = start - ((new Date(start).getUTCDay() - fdw + 7) % 7) * dayMs;
    const order = days.map(d => (d - fdw + 7) % 7).sort((a, b) => a - b);
    outer: for (let w = 0; w < 5000; w += pt.interval) {
      for (const off of order) { const t = weekStart + (w * 7 + off) * dayMs; if (t < start) continue; if (!push(t)) break outer; }
    }
  } else if (pt.type === 'absoluteMonthly') {
    monthly(pt.interval, (y, m) => { const t = Date.UTC(y, m, pt.dayOfMonth); return [new Date(t).getUTCMonth() === m ? t : null]; });
  } else if (pt.type === 'relativeMonthly') {
    monthly(pt.interval, (y, m) => days.map(d => nth(y, m, d, INDEX[pt.index || 'first'])));
  } else if (pt.type === 'absoluteYearly') {
    monthly(12 * pt.interval, (y) => { const t = Date.UTC(y, pt.month - 1, pt.dayOfMonth); return [new Date(t).getUTCMonth() === pt.month - 1 ? t : null]; });
  } else if (pt.type === 'relativeYearly') {
    monthly(12 * pt.interval, (y) => days.map(d => nth(y, pt.month - 1, d, INDEX[pt.index || 'first'])));
  } else fail(400, 'ErrorPropertyValidationFailure', 'At least one property failed validation. Unknown pattern type ' + pt.type + '.');
  return out;
}
const occId = (master, date) => outlookId('AAMkAO', master.key + '|' + date);
function occOf(u, id) {
  const x = fromOutlookId('AAMkAO', id);
  if (!x) return null;
  const [key, date] = x.split('|');
  const master = u.events.get(key);
  return master && master.data.recurrence ? {master, date} : null;
}
// Occurrences and exceptions of a series overlapping [from, to) (cancelled ones left out).
function instancesOf(ev, from, to) {
  const d = ev.data;
  const tz = ianaOf(d.recurrence.range.recurrenceTimeZone) || d.startTz;
  const wallStart = d.start + tzOffset(d.start, tz);
  const tod = wallStart - Math.floor(wallStart / dayMs) * dayMs;
  const dur = d.end - d.start;
  const out = [];
  for (const date of seriesDates(d.recurrence, ymd(to + 2 * dayMs))) {
    if (ev.cancelled.has(date)) continue;
    const exc = ev.exceptions.get(date);
    const s = exc && exc.start !== undefined ? exc.start : wallToUtc(dateMs(date) + tod, tz);
    const e = exc && exc.end !== undefined ? exc.end : s + dur;
    const originalStart = wallToUtc(dateMs(date) + tod, tz);
    if (s < to && e > from) out.push({master: ev, date, start: s, end: e, exc, originalStart});
  }
  return out;
}
function dtz(ms, ctx) { return {dateTime: wallString(ms, ctx.tz), timeZone: ctx.tzName}; }
function eventView(u, ctx, ev, inst) {
  const d = Object.assign({}, ev.data, inst && inst.exc ? inst.exc.data : {});
  const x = inst && inst.exc ? inst.exc : ev;
  const type = inst ? (inst.exc ? 'exception' : 'occurrence') : d.recurrence ? 'seriesMaster' : 'singleInstance';
  const id = inst ? occId(ev, inst.date) : idOf(ctx, ev);
  const v = {'@odata.type': '#microsoft.graph.event', '@odata.etag': etagOf(inst ? {changeKey: inst.exc ? inst.exc.changeKey : ev.changeKey} : ev), id,
    createdDateTime: isoZ(ev.createdAt), lastModifiedDateTime: isoZ(x.modifiedAt || ev.modifiedAt), changeKey: inst && inst.exc ? inst.exc.changeKey : ev.changeKey,
    categories: d.categories || [], transactionId: inst ? null : d.transactionId || null,
    originalStartTimeZone: d.startTzName, originalEndTimeZone: d.endTzName,
    iCalUId: inst ? d.iCalUId.slice(0, 40) + crypto.createHash('md5').update(inst.date).digest('hex').toUpperCase() : d.iCalUId,
    reminderMinutesBeforeStart: d.reminderMinutesBeforeStart !== undefined ? d.reminderMinutesBeforeStart : 15,
    isReminderOn: d.isReminderOn !== undefined ? d.isReminderOn : true, hasAttachments: ev.attachments.size > 0,
    subject: d.subject || '', bodyPreview: previewOf(d.body), importance: d.importance || 'normal', sensitivity: d.sensitivity || 'normal',
    isAllDay: !!d.isAllDay, isCancelled: false, isOrganizer: true, responseRequested: d.responseRequested !== undefined ? d.responseRequested : true,
    seriesMasterId: inst ? idOf(ctx, ev) : null, showAs: d.showAs || 'busy', type,
    webLink: 'https://outlook.office365.com/owa/?itemid=' + encodeURIComponent(id) + '&exvsurl=1&path=/calendar/item',
    onlineMeetingUrl: null, isOnlineMeeting: !!d.isOnlineMeeting, onlineMeetingProvider: d.onlineMeetingProvider || 'unknown',
    allowNewTimeProposals: d.allowNewTimeProposals !== undefined ? d.allowNewTimeProposals : true, isDraft: false, hideAttendees: !!d.hideAttendees,
    // event-get.md: "If the header is not specified, the body property is returned in HTML format."
    responseStatus: {response: 'organizer', time: '0001-01-01T00:00:00Z'}, body: bodyIn(ctx, d.body || {contentType: 'html', content: ''}, ctx.method === 'GET' ? 'html' : null),
    start: dtz(inst ? inst.start : d.start, ctx), end: dtz(inst ? inst.end : d.end, ctx),
    location: d.location || {displayName: '', locationType: 'default', uniqueIdType: 'unknown', address: {}, coordinates: {}},
    locations: d.locations || [], recurrence: inst ? null : d.recurrence || null, attendees: d.attendees || [],
    organizer: {emailAddress: {name: u.displayName, address: u.email}}, onlineMeeting: null};
  if (inst) v.originalStart = isoZ(inst.originalStart);
  if (type === 'seriesMaster') v.cancelledOccurrences = [...ev.cancelled].sort().map(dt => 'OID.' + idOf(ctx, ev) + '.' + dt);
  return v;
}
const EVENT_COMPUTED = ['id', 'createdDateTime', 'lastModifiedDateTime', 'changeKey', 'iCalUId', 'type', 'seriesMasterId', 'webLink', 'organizer',
                        'isOrganizer', 'responseStatus', 'bodyPreview', 'originalStart', 'cancelledOccurrences', 'hasAttachments', 'isCancelled',
                        'originalStartTimeZone', 'originalEndTimeZone', 'onlineMeetingUrl', 'isDraft', 'exceptionOccurrences', 'instances', 'calendar'];
// attendees (resources/attendee.md): an attendee needs an address (a recipient without one: 400
// ErrorInvalidRecipients "At least one recipient isn't valid.", Graph's answer to an event's attendee quoted in
// microsoftgraph/msgraph-sdk-php#280); type required (the default), optional or resource; status is the attendee's own
// answer ("The attendee's response … and date-time that the response was sent"), given by the attendee's
// accept/tentativelyAccept/decline (event-accept.md …), never by the organizer's write: an attendee new to the
// event reads {"response": "none", "time": "0001-01-01T00:00:00Z"} (user-post-events.md's example answers),
// one already there keeps the answer it gave (by address, case-insensitive).
function writeAttendees(before, list) {
  if (list === null) return [];
  const had = new Map((before || []).map(a => [a.emailAddress.address.toLowerCase(), a]));
  return list.map(a => {
    const addr = a && a.emailAddress && typeof a.emailAddress.address === 'string' ? a.emailAddress.address.trim() : '';
    if (!/^[^@\s]+@[^@\s]+$/.test(addr)) fail(400, 'ErrorInvalidRecipients', 'At least one recipient isn\'t valid.');
    const old = had.get(addr.toLowerCase());
    return {type: a.type || 'required', status: old ? old.status : {response: 'none', time: '0001-01-01T00:00:00Z'},
            emailAddress: {name: a.emailAddress.name || addr, address: addr}};
  });
}
function writeEvent(ev, b, target) {
  const t = target || ev.data;
  for (const k of Object.keys(b)) {
    if (k.includes('@odata.') || EVENT_COMPUTED.includes(k) || k === 'attachments') continue;
    if (k === 'singleValueExtendedProperties') setExtended(ev, b[k]);
    else if (k === 'multiValueExtendedProperties') ev.mvep = b[k];
    else if (k === 'attendees') t.attendees = writeAttendees(t.attendees, b[k]);
    else if (k === 'start' || k === 'end') {
      const x = parseDtz(b[k], k);
      t[k] = x.ms;
      t[k + 'Tz'] = x.tz;
      t[k + 'TzName'] = x.name;
    } else t[k] = b[k];
  }
  if (t.start !== undefined && t.end !== undefined && t.end < t.start) fail(400, 'ErrorInvalidRequest', 'The end of the event must be after its start.');
  // resources/event.md, isAllDay: "If true, regardless of a single-day or multi-day event, start and end time must
  // be set to midnight and be in the same time zone."
  if (t.isAllDay && t.start !== undefined) {
    const midnight = (ms, tz) => wallString(ms, tz).slice(11, 19) === '00:00:00';
    if (t.startTzName !== t.endTzName || !midnight(t.start, t.startTz) || !midnight(t.end, t.endTz) || t.end === t.start)
      fail(400, 'ErrorPropertyValidationFailure', 'At least one property failed validation. An all-day event must start and end at midnight, in the same time zone.');
  }
}
function calendarOrFail(u, id) {
  const c = id === undefined ? [...u.calendars.values()].find(x => x.isDefaultCalendar) : u.calendars.get(id);
  if (!c) notFound();
  return c;
}
function calendarView2(u, c) {
  return {id: c.id, name: c.name, color: c.color || 'auto', hexColor: c.hexColor || '', isDefaultCalendar: !!c.isDefaultCalendar,
          changeKey: c.changeKey, canShare: true, canViewPrivateItems: true, canEdit: true, allowedOnlineMeetingProviders: ['teamsForBusiness'],
          defaultOnlineMeetingProvider: 'teamsForBusiness', isTallyingResponses: true, isRemovable: !c.isDefaultCalendar,
          owner: {name: u.displayName, address: u.email}};
}
// The events a calendar shows in [from, to): single instances, occurrences and exceptions.
function viewOf(u, cal, from, to) {
  const out = [];
  for (const ev of u.events.values()) {
    if (ev.parent !== cal.id) continue;
    if (ev.data.recurrence) for (const i of instancesOf(ev, from, to)) out.push(i);
    else if (ev.data.start < to && ev.data.end > from) out.push({single: ev, start: ev.data.start, end: ev.data.end});
  }
  return out.sort((a, b) => a.start - b.start);
}
const instKey = i => i.single ? i.single.key : i.master.key + '|' + i.date;
const instVersion = i => i.single ? i.single.changed : Math.max(i.master.changed, i.exc ? i.exc.changed : 0);
const instIds = i => i.single ? {reg: regularId(i.single), imm: immutableId(i.single)} : {reg: occId(i.master, i.date), imm: occId(i.master, i.date)};
function instView(u, ctx, i) { return i.single ? eventView(u, ctx, i.single) : eventView(u, ctx, i.master, i); }
function window(ctx, q) {
  const from = parseQueryTime(q.startDateTime || q.startdatetime, 'startDateTime', ctx);
  const to = parseQueryTime(q.endDateTime || q.enddatetime, 'endDateTime', ctx);
  if (to <= from) fail(400, 'ErrorInvalidParameter', 'The endDateTime must be later than the startDateTime.');
  return [from, to];
}
// An event id: a single event or series master (itemById), or an occurrence/exception of a series.
function eventOrFail(u, id) {
  const ev = itemById(u, 'events', id);
  if (ev) return {ev};
  const o = occOf(u, id);
  if (!o || o.master.cancelled.has(o.date) || !seriesDates(o.master.data.recurrence, o.date).includes(o.date)) notFound();
  const inst = instanceOn(o.master, o.date);
  if (!inst) notFound();
  return {ev: o.master, inst};
}
// The occurrence or exception of a series on its original date (an exception may have moved days away).
function instanceOn(ev, date) {
  const tz = ianaOf(ev.data.recurrence.range.recurrenceTimeZone) || ev.data.startTz;
  const at = wallToUtc(dateMs(date), tz), exc = ev.exceptions.get(date);
  const from = Math.min(at, exc && exc.start !== undefined ? exc.start : at) - 2 * dayMs;
  const to = Math.max(at, exc && exc.end !== undefined ? exc.end : at) + 3 * dayMs;
  return instancesOf(ev, from, to).find(i => i.date === date) || null;
}
function calendarRoutes(ctx, r) {
  const u = ctx.u;
  let p;
  // GET /me/calendars (user-list-calendars.md), POST (user-post-calendars.md), GET /me/calendar (calendar-get.md),
  // GET/PATCH/DELETE /me/calendars/{id} (calendar-get.md, calendar-update.md, calendar-delete.md)
  if ((p = r('GET calendars'))) {
    count('calendar.list');
    const q = query(ctx, ['$select', '$top', '$skip', '$filter', '$expand']);
    const keep = filterOf(q.$filter);
    return [200, listing(ctx, q, [...u.calendars.values()].filter(keep), c => calendarView2(u, c), 'users(\'' + u.id + '\')/calendars')];
  }
  if ((p = r('POST calendars'))) {
    count('calendar.create');
    query(ctx, []);
    const b = readBody(ctx, 'calendar');
    if (!b.name) fail(400, 'ErrorInvalidRequest', 'The name property is required.');
    if ([...u.calendars.values()].some(c => c.name.toLowerCase() === b.name.toLowerCase())) fail(409, 'ErrorFolderExists', 'A folder with the specified name already exists.');
    const c = newContainer(u, 'calendars', {name: b.name, color: b.color || 'auto', hexColor: ''});
    setExtended(c, b.singleValueExtendedProperties);
    return [201, calendarView2(u, c)];
  }
  if ((p = r('GET calendar')) || (p = r('GET calendars/:c'))) {
    count('calendar.get');
    const q = query(ctx, ['$select', '$expand']);
    const c = calendarOrFail(u, p.c);
    return [200, select(expandExtended(c, q.$expand, calendarView2(u, c)), q.$select)];
  }
  if ((p = r('PATCH calendars/:c'))) {
    count('calendar.update');
    const b = readBody(ctx, 'calendar');
    const c = calendarOrFail(u, p.c);
    for (const k of ['name', 'color']) if (b[k] !== undefined) c[k] = b[k];
    setExtended(c, b.singleValueExtendedProperties);
    touch(u, c);
    return [200, calendarView2(u, c)];
  }
  if ((p = r('DELETE calendars/:c'))) {
    count('calendar.delete');
    const c = calendarOrFail(u, p.c);
    if (c.isDefaultCalendar) fail(400, 'ErrorCannotDeleteObject', 'The default calendar cannot be deleted.');
    u.calendars.delete(c.id);
    for (const ev of [...u.events.values()]) if (ev.parent === c.id) u.events.delete(ev.key);
    return [204];
  }
  // GET /me/calendarView/delta?startDateTime&endDateTime (event-delta.md; concepts/delta-query-events.md): the
  // primary calendar's view in a window the tokens keep; no $select, $expand, $filter, $orderby, $search;
  // "@removed" for events deleted in the window and for events "outside the date range … added, deleted, or updated"
  // Also /me/calendars/{id}/calendarView/delta, a secondary calendar's view: concepts/delta-query-events.md ("A
  // calendar view is a collection of events in a date/time range … from the default calendar or some other
  // specified calendar"; "To track the changes in multiple calendars, you need to track each calendar
  // individually"), on calendar-list-calendarview.md's path; event-delta.md itself shows the primary's path only
  // (its older v1.0 text named "the specified user calendar"). Each calendar's tokens are its own: a token of one
  // calendar's view used on another's path is one the view does not know (410 syncStateNotFound, delta()).
  if ((p = r('GET calendarview/delta')) || (p = r('GET calendars/:c/calendarview/delta'))) {
    count('event.delta');
    const cal = calendarOrFail(u, p.c);
    return [200, delta(ctx, {coll: 'calendarView:' + cal.id, type: 'event', link: p.c ? '/me/calendars(\'' + cal.id + '\')/calendarView/delta' : '/me/calendarView/delta',
      params: q => {
        const d = deltaParams(q, [], ['startDateTime', 'endDateTime', 'startdatetime', 'enddatetime']);
        const [from, to] = window(ctx, d);
        return {startDateTime: new Date(from).toISOString(), endDateTime: new Date(to).toISOString()};
      },
      members: prm => {
        const m = new Map();
        for (const i of viewOf(u, cal, Date.parse(prm.startDateTime), Date.parse(prm.endDateTime))) m.set(instKey(i), {version: instVersion(i), ids: instIds(i)});
        return m;
      },
      outOfWindow: (prm, since) => [...u.events.values()].filter(ev => ev.parent === cal.id && !ev.data.recurrence && ev.changed > since &&
          !(ev.data.start < Date.parse(prm.endDateTime) && ev.data.end > Date.parse(prm.startDateTime)))
        .map(ev => ({key: ev.key, ids: {reg: regularId(ev), imm: immutableId(ev)}}))
        .concat((u.tombs.get('events:' + cal.id) || []).filter(t => t.seq > since).map(t => ({key: t.key, ids: t.ids}))),
      render: (key, prm) => {
        if (!u.events.has(key.split('|')[0])) return null;
        const i = viewOf(u, cal, Date.parse(prm.startDateTime), Date.parse(prm.endDateTime)).find(x => instKey(x) === key);
        return i ? instView(u, ctx, i) : null;
      }})];
  }
  // GET /me/calendarView, /me/calendars/{id}/calendarView (user-list-calendarview.md, calendar-list-calendarview.md)
  if ((p = r('GET calendarview')) || (p = r('GET calendars/:c/calendarview')) || (p = r('GET calendar/calendarview'))) {
    count('event.calendarView');
    const q = query(ctx, ['$select', '$top', '$skip', '$filter', '$orderby', '$expand']);
    const cal = calendarOrFail(u, p.c);
    const [from, to] = window(ctx, {startDateTime: ctx.query.get('startDateTime') || ctx.query.get('startdatetime'), endDateTime: ctx.query.get('endDateTime') || ctx.query.get('enddatetime')});
    const keep = filterOf(q.$filter);
    const lq = Object.assign({}, q, {$expand: undefined});
    const rows = orderBy(lq, viewOf(u, cal, from, to).filter(i => keep(i.single || i.master)), {'start/dateTime': i => i.start, 'end/dateTime': i => i.end});
    return [200, listing(ctx, lq, rows, i => instView(u, ctx, i), 'users(\'' + u.id + '\')/calendarView')];
  }
  // GET /me/events/{id}/instances?startDateTime&endDateTime (event-list-instances.md)
  if ((p = r('GET events/:e/instances')) || (p = r('GET calendars/:c/events/:e/instances'))) {
    count('event.instances');
    const q = query(ctx, ['$select', '$top', '$skip']);
    const {ev, inst} = eventOrFail(u, p.e);
    if (inst || !ev.data.recurrence) fail(400, 'ErrorInvalidRequest', 'The event is not a series master.');
    const [from, to] = window(ctx, {startDateTime: ctx.query.get('startDateTime') || ctx.query.get('startdatetime'), endDateTime: ctx.query.get('endDateTime') || ctx.query.get('enddatetime')});
    return [200, listing(ctx, q, instancesOf(ev, from, to), i => eventView(u, ctx, ev, i), 'events')];
  }
  // GET/POST /me/events, /me/calendars/{id}/events (user-list-events.md: single instances and series masters;
  // user-post-events.md, calendar-post-events.md; transactionId: "A custom identifier specified by a client app for
  // the server to avoid redundant POST operations in case of client retries to create the same event": a second
  // POST with it answers the event made by the first, which stays the only one)
  if ((p = r('GET events')) || (p = r('GET calendars/:c/events')) || (p = r('GET calendar/events'))) {
    count('event.list');
    const q = query(ctx, ['$select', '$top', '$skip', '$filter', '$orderby', '$expand']);
    const cal = p.c ? calendarOrFail(u, p.c) : null;
    const keep = filterOf(q.$filter);
    const rows = orderBy(q, [...u.events.values()].filter(ev => (!cal || ev.parent === cal.id) && keep(ev)),
      {'start/dateTime': ev => ev.data.start, 'end/dateTime': ev => ev.data.end, subject: ev => ev.data.subject || '', createdDateTime: ev => ev.createdAt, lastModifiedDateTime: ev => ev.modifiedAt});
    return [200, listing(ctx, q, rows, ev => eventView(u, ctx, ev), 'users(\'' + u.id + '\')/events')];
  }
  if ((p = r('POST events')) || (p = r('POST calendars/:c/events')) || (p = r('POST calendar/events'))) {
    count('event.create');
    query(ctx, []);
    const b = readBody(ctx, 'event');
    const cal = calendarOrFail(u, p.c);
    if (b.transactionId && u.transactions.has(b.transactionId)) {
      const ev = u.events.get(u.transactions.get(b.transactionId));
      if (ev) return [201, eventView(u, ctx, ev)];
    }
    if (!b.start || !b.end) fail(400, 'ErrorPropertyValidationFailure', 'At least one property failed validation. start and end are required.');
    const ev = newItem(u, 'events', cal.id, {iCalUId: '040000008200E00074C5B7101A82E008' + rid(28).toUpperCase()});
    ev.exceptions = new Map();
    ev.cancelled = new Set();
    try {
      writeEvent(ev, b);
      if (ev.data.recurrence) checkRecurrence(ev.data.recurrence, wallString(ev.data.start, ianaOf(ev.data.recurrence.range && ev.data.recurrence.range.recurrenceTimeZone) || ev.data.startTz).slice(0, 10));
    } catch (e) { u.events.delete(ev.key); throw e; }
    if (b.transactionId) u.transactions.set(b.transactionId, ev.key);
    for (const a of b.attachments || []) addAttachment(u, ev, attachmentInput(a));
    return [201, eventView(u, ctx, ev)];
  }
  if ((p = r('* events/:e/attachments*')) || (p = r('* calendars/:c/events/:e/attachments*'))) {
    const {ev, inst} = eventOrFail(u, p.e);
    if (inst) fail(501, 'NotImplemented', 'Attachments of an occurrence are not modelled by the msgraph fake.');
    return attachmentRoutes(ctx, r, ev);
  }
  // GET/PATCH/DELETE /me/events/{id} (event-get.md with $expand=exceptionOccurrences for a master, event-update.md,
  // event-delete.md): PATCH of an occurrence makes it an exception, DELETE of one cancels it (the master's
  // cancelledOccurrences); a master's new recurrence or times drop its exceptions and cancellations. An occurrence
  // takes what a master takes but a recurrence, attendees included: event-update.md lists attendees among the
  // properties an update may carry, names no exception for occurrences, and says a master "that has instances that
  // have been updated separately" sends "one [notification] per instance that has been updated".
  if ((p = r('GET events/:e')) || (p = r('GET calendars/:c/events/:e'))) {
    count('event.get');
    const q = query(ctx, ['$select', '$expand']);
    const {ev, inst} = eventOrFail(u, p.e);
    const v = expandExtended(ev, q.$expand, eventView(u, ctx, ev, inst));
    if (!inst && ev.data.recurrence && expands(q, 'exceptionOccurrences'))
      v.exceptionOccurrences = [...ev.exceptions.keys()].sort().filter(dt => !ev.cancelled.has(dt)).map(dt => {
        const i = instanceOn(ev, dt);
        return i ? eventView(u, ctx, ev, i) : null;
      }).filter(Boolean);
    return [200, select(v, q.$select)];
  }
  if ((p = r('PATCH events/:e')) || (p = r('PATCH calendars/:c/events/:e'))) {
    count('event.update');
    query(ctx, []);
    const {ev, inst} = eventOrFail(u, p.e);
    const b = readBody(ctx, 'event');
    if (inst) {
      ifMatch(ctx, inst.exc || ev);
      if (b.recurrence) fail(400, 'ErrorInvalidRequest', 'An occurrence cannot have its own recurrence.');
      const exc = inst.exc || {data: {}, createdAt: stamp()};
      const times = {start: inst.start, end: inst.end};
      writeEvent(ev, b, times);
      // event-update.md: 400 ErrorOccurrenceCrossingBoundary "Modified occurrence is crossing or overlapping adjacent
      // occurrence": "an occurrence cannot be moved to or before the day of the previous occurrence, and cannot be
      // moved to or after the day of the following occurrence" (days in the series' zone)
      if (times.start !== inst.start) {
        const tz = ianaOf(ev.data.recurrence.range.recurrenceTimeZone) || ev.data.startTz;
        const day = ms => wallString(ms, tz).slice(0, 10);
        const all = instancesOf(ev, inst.originalStart - 800 * dayMs, inst.originalStart + 800 * dayMs);
        const at = all.findIndex(i => i.date === inst.date);
        if ((at > 0 && day(times.start) <= day(all[at - 1].start)) || (at >= 0 && at + 1 < all.length && day(times.start) >= day(all[at + 1].start)))
          fail(400, 'ErrorOccurrenceCrossingBoundary', 'Modified occurrence is crossing or overlapping adjacent occurrence.');
      }
      for (const k of Object.keys(times)) if (!['start', 'end'].includes(k)) exc.data[k] = times[k];
      exc.start = times.start; exc.end = times.end;
      exc.changed = tick(u); exc.changeKey = changeKey(); exc.modifiedAt = stamp();
      ev.exceptions.set(inst.date, exc);
      return [200, eventView(u, ctx, ev, Object.assign({}, inst, {exc, start: exc.start, end: exc.end}))];
    }
    ifMatch(ctx, ev);
    const before = JSON.stringify([ev.data.recurrence, ev.data.start, ev.data.end]);
    const next = Object.assign({}, ev.data);
    writeEvent(ev, b, next);
    if (next.recurrence) checkRecurrence(next.recurrence, wallString(next.start, ianaOf(next.recurrence.range && next.recurrence.range.recurrenceTimeZone) || next.startTz).slice(0, 10));
    ev.data = next;
    if (JSON.stringify([ev.data.recurrence, ev.data.start, ev.data.end]) !== before) { ev.exceptions.clear(); ev.cancelled.clear(); }
    touch(u, ev);
    return [200, eventView(u, ctx, ev)];
  }
  if ((p = r('DELETE events/:e')) || (p = r('DELETE calendars/:c/events/:e'))) {
    count('event.delete');
    const {ev, inst} = eventOrFail(u, p.e);
    if (inst) {
      ifMatch(ctx, inst.exc || ev);
      ev.cancelled.add(inst.date);
      touch(u, ev);
      return [204];
    }
    ifMatch(ctx, ev);
    tomb(u, 'events:' + ev.parent, ev, {reg: regularId(ev), imm: immutableId(ev)});
    u.events.delete(ev.key);
    for (const [t, k] of u.transactions) if (k === ev.key) u.transactions.delete(t);
    return [204];
  }
  return null;
}

// ================================================================ To Do

const taskColl = lid => 'tasks:' + lid;
function listOrFail(u, id) { const l = u.lists.get(id); if (!l) notFound(); return l; }
function listView(l) {
  return {'@odata.etag': etagOf(l), displayName: l.displayName, isOwner: true, isShared: false, wellknownListName: l.wellknownListName || 'none', id: l.id};
}
function taskView(ctx, t, q) {
  const d = t.data;
  const v = {'@odata.etag': etagOf(t), importance: d.importance || 'normal', isReminderOn: !!d.isReminderOn, status: d.status || 'notStarted',
    title: d.title || '', createdDateTime: new Date(t.createdAt).toISOString(), lastModifiedDateTime: new Date(t.modifiedAt).toISOString(),
    hasAttachments: false, categories: d.categories || [], id: immutableId(t), body: d.body || {content: '', contentType: 'text'},
    bodyLastModifiedDateTime: new Date(d.bodyModifiedAt || t.createdAt).toISOString()};
  for (const k of ['dueDateTime', 'startDateTime', 'reminderDateTime', 'completedDateTime', 'recurrence']) if (d[k]) v[k] = d[k];
  if (q && expands(q, 'checklistItems')) v.checklistItems = [...t.checklist.values()].map(checklistView);
  if (q && expands(q, 'linkedResources')) v.linkedResources = [...t.links.values()].map(linkView);
  return v;
}
const checklistView = c => ({displayName: c.displayName, createdDateTime: new Date(c.createdAt).toISOString(), checkedDateTime: c.checkedDateTime || null, isChecked: !!c.isChecked, id: c.id});
const linkView = l => ({webUrl: l.webUrl || null, applicationName: l.applicationName || null, displayName: l.displayName || null, externalId: l.externalId || null, id: l.id});
function writeTask(u, t, b) {
  for (const k of Object.keys(b)) {
    if (k.includes('@odata.') || ['id', 'createdDateTime', 'lastModifiedDateTime', 'bodyLastModifiedDateTime', 'hasAttachments', 'attachments'].includes(k)) continue;
    if (k === 'checklistItems') for (const c of b[k]) addChecklist(u, t, c);
    else if (k === 'linkedResources') for (const l of b[k]) addLink(u, t, l);
    else {
      if (k === 'body') t.data.bodyModifiedAt = stamp();
      if (k === 'status') t.data.completedDateTime = b[k] === 'completed' ? {dateTime: wallString(Date.now(), 'UTC'), timeZone: 'UTC'} : null;
      t.data[k] = b[k];
    }
  }
}
function addChecklist(u, t, c) {
  if (!c.displayName) fail(400, 'invalidRequest', 'The displayName of a checklistItem is required.');
  const x = {id: guid(), displayName: c.displayName, isChecked: !!c.isChecked, createdAt: stamp(), checkedDateTime: c.isChecked ? new Date().toISOString() : null};
  t.checklist.set(x.id, x);
  return x;
}
function addLink(u, t, l) {
  const x = {id: guid(), webUrl: l.webUrl, applicationName: l.applicationName, displayName: l.displayName, externalId: l.externalId};
  t.links.set(x.id, x);
  return x;
}
function todoRoutes(ctx, r) {
  const u = ctx.u;
  let p;
  // GET /me/todo/lists/delta (todotasklist-delta.md)
  if ((p = r('GET todo/lists/delta'))) {
    count('todoTaskList.delta');
    return [200, delta(ctx, {coll: 'lists', type: 'todoTaskList', link: '/me/todo/lists/delta',
      params: q => deltaParams(q, ['$select', '$top'], []), members: () => snapOf([...u.lists.values()]),
      render: id => u.lists.has(id) ? listView(u.lists.get(id)) : null})];
  }
  // GET/POST /me/todo/lists (todo-list-lists.md, todo-post-lists.md), GET/PATCH/DELETE /me/todo/lists/{id}
  // (todotasklist-get.md, todotasklist-update.md, todotasklist-delete.md)
  if ((p = r('GET todo/lists'))) {
    count('todoTaskList.list');
    const q = query(ctx, ['$select', '$top', '$skip', '$filter']);
    const keep = filterOf(q.$filter);
    return [200, listing(ctx, q, [...u.lists.values()].filter(keep), listView, 'users(\'' + u.id + '\')/todo/lists')];
  }
  if ((p = r('POST todo/lists'))) {
    count('todoTaskList.create');
    query(ctx, []);
    const b = readBody(ctx, 'todoTaskList');
    if (!b.displayName) fail(400, 'invalidRequest', 'The displayName property is required.');
    return [201, listView(newContainer(u, 'lists', {displayName: b.displayName, wellknownListName: 'none'}))];
  }
  if ((p = r('GET todo/lists/:l/tasks/delta'))) {
    count('todoTask.delta');
    const l = listOrFail(u, p.l);
    return [200, delta(ctx, {coll: taskColl(l.id), type: 'todoTask', link: '/me/todo/lists/' + l.id + '/tasks/delta',
      params: q => deltaParams(q, ['$select', '$top', '$expand'], []),
      members: () => snapOf([...u.tasks.values()].filter(t => t.parent === l.id)),
      render: (key, prm) => u.tasks.has(key) && u.tasks.get(key).parent === l.id ? taskView(ctx, u.tasks.get(key), {$expand: prm.$expand}) : null})];
  }
  if ((p = r('GET todo/lists/:l'))) {
    count('todoTaskList.get');
    const q = query(ctx, ['$select']);
    return [200, select(listView(listOrFail(u, p.l)), q.$select)];
  }
  if ((p = r('PATCH todo/lists/:l'))) {
    count('todoTaskList.update');
    const b = readBody(ctx, 'todoTaskList');
    const l = listOrFail(u, p.l);
    ifMatch(ctx, l);
    if (b.displayName !== undefined) l.displayName = b.displayName;
    touch(u, l);
    return [200, listView(l)];
  }
  if ((p = r('DELETE todo/lists/:l'))) {
    count('todoTaskList.delete');
    const l = listOrFail(u, p.l);
    if (l.wellknownListName === 'defaultList') fail(400, 'invalidRequest', 'The default task list cannot be deleted.');
    tomb(u, 'lists', {key: l.id}, {reg: l.id, imm: l.id});
    u.lists.delete(l.id);
    for (const t of [...u.tasks.values()]) if (t.parent === l.id) u.tasks.delete(t.key);
    return [204];
  }
  // GET/POST …/tasks (todotasklist-list-tasks.md, todotasklist-post-tasks.md: checklistItems and linkedResources
  // may come inline), GET/PATCH/DELETE …/tasks/{id} (todotask-get.md, todotask-update.md, todotask-delete.md)
  if ((p = r('GET todo/lists/:l/tasks'))) {
    count('todoTask.list');
    const q = query(ctx, ['$select', '$top', '$skip', '$filter', '$expand', '$orderby', '$count']);
    const l = listOrFail(u, p.l);
    const keep = filterOf(q.$filter);
    return [200, listing(ctx, Object.assign({}, q, {$expand: undefined}), [...u.tasks.values()].filter(t => t.parent === l.id && keep(t)), t => taskView(ctx, t, q), 'tasks')];
  }
  if ((p = r('POST todo/lists/:l/tasks'))) {
    count('todoTask.create');
    query(ctx, []);
    const b = readBody(ctx, 'todoTask');
    const l = listOrFail(u, p.l);
    const t = newItem(u, 'tasks', l.id, {});
    t.checklist = new Map();
    t.links = new Map();
    try { writeTask(u, t, b); } catch (e) { u.tasks.delete(t.key); throw e; }
    return [201, taskView(ctx, t, {$expand: 'checklistItems,linkedResources'})];
  }
  const task = () => { const l = listOrFail(u, p.l); const t = itemById(u, 'tasks', p.t); if (!t || t.parent !== l.id) notFound(); return t; };
  // …/tasks/{id}/checklistItems[/{id}] (todotask-list-checklistitems.md, todotask-post-checklistitems.md,
  // checklistitem-get.md, checklistitem-update.md, checklistitem-delete.md) and …/linkedResources[/{id}]
  // (todotask-list-linkedresources.md, todotask-post-linkedresources.md, linkedresource-*.md); a change to
  // either changes the task
  for (const [seg, schema, store, view, add] of [['checklistitems', 'checklistItem', 'checklist', checklistView, addChecklist],
                                                 ['linkedresources', 'linkedResource', 'links', linkView, addLink]]) {
    if ((p = r('GET todo/lists/:l/tasks/:t/' + seg))) {
      count(schema + '.list');
      const q = query(ctx, ['$select', '$top', '$skip']);
      return [200, listing(ctx, q, [...task()[store].values()], view, seg)];
    }
    if ((p = r('POST todo/lists/:l/tasks/:t/' + seg))) {
      count(schema + '.create');
      query(ctx, []);
      const b = readBody(ctx, schema);
      const t = task();
      const x = add(u, t, b);
      touch(u, t);
      return [201, view(x)];
    }
    if ((p = r('GET todo/lists/:l/tasks/:t/' + seg + '/:x'))) {
      count(schema + '.get');
      const x = task()[store].get(p.x);
      if (!x) notFound();
      return [200, view(x)];
    }
    if ((p = r('PATCH todo/lists/:l/tasks/:t/' + seg + '/:x'))) {
      count(schema + '.update');
      const b = readBody(ctx, schema);
      const t = task();
      const x = t[store].get(p.x);
      if (!x) notFound();
      for (const k of Object.keys(b)) if (!k.includes('@odata.') && !['id', 'createdDateTime'].includes(k)) x[k] = b[k];
      if (b.isChecked !== undefined) x.checkedDateTime = b.isChecked ? new Date().toISOString() : null;
      touch(u, t);
      return [200, view(x)];
    }
    if ((p = r('DELETE todo/lists/:l/tasks/:t/' + seg + '/:x'))) {
      count(schema + '.delete');
      const t = task();
      if (!t[store].delete(p.x)) notFound();
      touch(u, t);
      return [204];
    }
  }
  if ((p = r('GET todo/lists/:l/tasks/:t'))) {
    count('todoTask.get');
    const q = query(ctx, ['$select', '$expand']);
    return [200, select(taskView(ctx, task(), q), q.$select)];
  }
  if ((p = r('PATCH todo/lists/:l/tasks/:t'))) {
    count('todoTask.update');
    query(ctx, []);
    const t = task();
    ifMatch(ctx, t);
    writeTask(u, t, readBody(ctx, 'todoTask'));
    touch(u, t);
    return [200, taskView(ctx, t)];
  }
  if ((p = r('DELETE todo/lists/:l/tasks/:t'))) {
    count('todoTask.delete');
    const t = task();
    ifMatch(ctx, t);
    tomb(u, taskColl(t.parent), t, {reg: immutableId(t), imm: immutableId(t)});
    u.tasks.delete(t.key);
    return [204];
  }
  return null;
}

// ================================================================ categories, the user

// /me/outlook/masterCategories (outlookuser-list-mastercategories.md, outlookuser-post-mastercategories.md,
// outlookcategory-get.md, outlookcategory-update.md: "You can update color only", outlookcategory-delete.md;
// resources/outlookcategory.md: displayName "unique … cannot be changed", color preset0..preset24 or none)
function categoryRoutes(ctx, r) {
  const u = ctx.u;
  let p;
  // the master list needs MailboxSettings.Read / MailboxSettings.ReadWrite (outlookuser-list-mastercategories.md,
  // outlookuser-post-mastercategories.md): a token signed in without them is refused
  if (cfg.mailboxSettingsDenied && r('* outlook/mastercategories*'))
    fail(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
  const view = c => ({id: c.id, displayName: c.displayName, color: c.color});
  if ((p = r('GET outlook/mastercategories'))) {
    count('outlookCategory.list');
    const q = query(ctx, ['$select', '$top', '$skip', '$filter']);
    const keep = filterOf(q.$filter, s => {
      const m = /^displayName\s+eq\s+'((?:[^']|'')*)'$/i.exec(s);
      return m ? c => c.displayName.toLowerCase() === unq(m[1]).toLowerCase() : null;
    });
    const rows = [...u.categories.values()].filter(keep);
    return [200, {'@odata.context': contextUrl(ctx, 'users(\'' + u.id + '\')/outlook/masterCategories'), value: rows.map(c => select(view(c), q.$select))}];
  }
  if ((p = r('POST outlook/mastercategories'))) {
    count('outlookCategory.create');
    query(ctx, []);
    const b = readBody(ctx, 'outlookCategory');
    if (!b.displayName) fail(400, 'ErrorInvalidRequest', 'The displayName property is required.');
    if ([...u.categories.values()].some(c => c.displayName.toLowerCase() === b.displayName.toLowerCase()))
      fail(409, 'ErrorDuplicateCategory', 'A category with the display name \'' + b.displayName + '\' already exists.');
    const c = {id: guid(), displayName: b.displayName, color: b.color || 'none'};
    u.categories.set(c.id, c);
    return [201, view(c)];
  }
  if ((p = r('* outlook/mastercategories/:c'))) {
    const c = u.categories.get(p.c);
    if (ctx.method === 'GET') { count('outlookCategory.get'); const q = query(ctx, ['$select']); if (!c) notFound(); return [200, select(view(c), q.$select)]; }
    if (ctx.method === 'PATCH') {
      count('outlookCategory.update');
      const b = readBody(ctx, 'outlookCategory');
      if (!c) notFound();
      if (b.displayName !== undefined && b.displayName !== c.displayName) fail(400, 'ErrorInvalidRequest', 'The displayName of a category cannot be changed.');
      if (b.color !== undefined) c.color = b.color;
      return [200, view(c)];
    }
    if (ctx.method === 'DELETE') { count('outlookCategory.delete'); if (!c) notFound(); u.categories.delete(c.id); return [204]; }
  }
  // GET /me (user-get.md): who signed in
  if ((p = r('GET '))) {
    count('user.get');
    const q = query(ctx, ['$select']);
    return [200, select({'@odata.context': contextUrl(ctx, 'users/$entity'), businessPhones: [], displayName: u.displayName, givenName: null, jobTitle: null,
                         mail: u.email, mobilePhone: null, officeLocation: null, preferredLanguage: 'en-US', surname: null, userPrincipalName: u.email, id: u.id}, q.$select)];
  }
  return null;
}

// ================================================================ Graph requests

function count(route) {
  stats.requests++;
  stats.by_route[route] = (stats.by_route[route] || 0) + 1;
  if (!inBatch) stats.plain[route] = (stats.plain[route] || 0) + 1;  // sent on its own, not in a $batch
}
// Path segments after /v1.0/{me | users/{id}}; "mailFolders('id')" is "mailFolders/id" (the delta links'
// form), "microsoft.graph.delta" is "delta" (concepts/delta-query-overview.md, the note on /delta).
function segments(path) {
  const out = [];
  for (const raw of path.split('/').filter(Boolean)) {
    const s = decodeURIComponent(raw);
    const m = /^([^(]+)\('?([^')]*)'?\)$/.exec(s);
    if (m) { out.push(m[1].replace(/^microsoft\.graph\./i, '')); out.push(m[2]); } else out.push(s.replace(/^microsoft\.graph\./i, ''));
  }
  return out;
}
function router(ctx) {
  return pat => {
    const sp = pat.indexOf(' ');
    const method = pat.slice(0, sp), path = pat.slice(sp + 1);
    const toks = path ? path.split('/') : [];
    let s = ctx.segs;
    if (toks.length && toks[0].startsWith('*')) {
      toks[0] = toks[0].slice(1);
      if (s.length < toks.length) return null;
      s = s.slice(s.length - toks.length);
    }
    if (toks.length && toks[toks.length - 1].endsWith('*')) {
      toks[toks.length - 1] = toks[toks.length - 1].slice(0, -1);
      if (s.length < toks.length) return null;
      s = s.slice(0, toks.length);
    } else if (s.length !== toks.length) return null;
    const out = {};
    for (let i = 0; i < toks.length; i++) {
      if (toks[i].startsWith(':')) out[toks[i].slice(1)] = s[i];
      else if (toks[i].toLowerCase() !== s[i].toLowerCase()) return null;
    }
    if (method !== '*' && method !== ctx.method) { ctx.otherMethod = true; return null; }
    return out;
  };
}
// Prefer: IdType="ImmutableId" (concepts/outlook-immutable-id.md), Prefer: outlook.timezone="…"
// (event-get.md, "Prefer: outlook.timezone"), Prefer: odata.maxpagesize (delta pages).
function preferences(ctx) {
  const prefer = ctx.headers.prefer || '';
  ctx.immutable = /IdType\s*=\s*"?ImmutableId"?/i.test(prefer);
  const tz = /outlook\.timezone\s*=\s*"([^"]+)"/i.exec(prefer);
  ctx.tzName = tz ? tz[1] : 'UTC';
  ctx.tz = ianaOf(ctx.tzName);
  if (!ctx.tz) fail(400, 'TimeZoneNotSupportedException', 'A valid TimeZone value must be specified. The following TimeZone value is not supported: \'' + ctx.tzName + '\'.');
  if (tz) ctx.applied.push('outlook.timezone="' + ctx.tzName + '"');   // event-get.md, Response 1
  if (ctx.immutable) ctx.applied.push('IdType="ImmutableId"');
  const bt = /outlook\.body-content-type\s*=\s*"?(text|html)"?/i.exec(prefer);
  ctx.bodyType = bt ? bt[1].toLowerCase() : null;
  if (bt) ctx.applied.push('outlook.body-content-type="' + ctx.bodyType + '"');
}
// Prefer: outlook.body-content-type="text"|"html" (message-get.md, event-get.md): the body in that format.
function bodyIn(ctx, body, dflt) {
  const b = body || {contentType: 'text', content: ''};
  const want = ctx.bodyType || dflt;
  if (!want || b.contentType === want) return b;
  if (want === 'text')
    return {contentType: 'text', content: (b.content || '').replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, '').replace(/<br\s*\/?>/gi, '\r\n')
      .replace(/<\/(p|div|tr|li)>/gi, '\r\n').replace(/<[^>]*>/g, '').replace(/&nbsp;/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&').trim()};
  const esc = (b.content || '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r?\n/g, '<br>\r\n');
  return {contentType: 'html', content: '<html>\r\n<head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n</head>\r\n<body>\r\n' + esc + '\r\n</body>\r\n</html>\r\n'};
}
// Injected throttling ("Microsoft Graph throttling guidance", concepts/throttling.md: 429 with Retry-After;
// the Outlook limits answer ApplicationThrottled "Application is over its RequestRate limit.").
function limited(ctx) {
  // "Limits per app ID and mailbox combination": 10,000 API requests in a 10 minute period (throttling-limits.md);
  // each $batch entry counts ("Requests in a batch are evaluated individually", json-batching.md)
  const now = Date.now(), seen = ctx.u.recent || (ctx.u.recent = []);
  while (seen.length && seen[0] <= now - cfg.rateWindowS * 1000) seen.shift();
  if (seen.length >= cfg.rateLimitPerWindow) {
    stats.throttled++;
    fail(429, 'ApplicationThrottled', 'Application is over its RequestRate limit.', {'Retry-After': String(Math.max(1, Math.ceil((seen[0] + cfg.rateWindowS * 1000 - now) / 1000)))});
  }
  seen.push(now);
  const rl = cfg.rateLimit;
  if (!rl || rl.count <= 0 || (rl.path && !ctx.url.pathname.toLowerCase().startsWith(rl.path.toLowerCase())) ||
      (rl.method && rl.method.toUpperCase() !== ctx.method)) return;
  rl.count--;
  stats.throttled++;
  const status = rl.status || 429;
  fail(status, rl.code || (status === 429 ? 'ApplicationThrottled' : 'ServiceUnavailable'),
       rl.message || (status === 429 ? 'Application is over its RequestRate limit.' : 'The service is temporarily unavailable.'),
       rl.retry_after !== undefined ? {'Retry-After': String(rl.retry_after)} : {});
}
// One Graph request (from HTTP or from a $batch entry) → [status, body, headers].
// Delegated permissions (permissions-reference.md; each page's "Permissions" table: user-list-messages.md
// Mail.ReadBasic/Mail.Read/Mail.ReadWrite, user-post-messages.md Mail.ReadWrite, user-list-contacts.md Contacts.*,
// user-list-events.md Calendars.*, todo-list-lists.md Tasks.*, outlookuser-list-mastercategories.md
// MailboxSettings.*): a token signed in without the one a route needs is refused 403 ErrorAccessDenied "Access is
// denied. Check credentials and try again." (the answer Outlook's APIs give). A token of no known scopes (given to
// the fake, or .default) has every permission.
function permitted(ctx) {
  if (!ctx.scopes) return;
  const p = ctx.url.pathname.replace(/^\/v1\.0\/(me|users\/[^/]+)/i, '').toLowerCase();
  const need = /^\/(messages|mailfolders)\b/.test(p) ? 'mail' : /^\/outlook\/mastercategories\b/.test(p) ? 'mailboxsettings'
    : /^\/(contacts|contactfolders)\b/.test(p) ? 'contacts' : /^\/(events|calendar|calendars|calendarview)\b/.test(p) ? 'calendars'
    : /^\/todo\b/.test(p) ? 'tasks' : /^\/notes\b/.test(p) ? 'shortnotes' : null;
  if (!need || ctx.scopes.has(need + '.readwrite') || (ctx.method === 'GET' && ctx.scopes.has(need + '.read'))) return;
  fail(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
}
function graph(ctx) {
  ctx.applied = [];
  try {
    permitted(ctx);
    preferences(ctx);
    limited(ctx);
    const all = segments(ctx.url.pathname.replace(/^\/v1\.0/i, ''));
    if (all[0] && all[0].toLowerCase() === 'me') ctx.segs = all.slice(1);
    else if (all[0] && all[0].toLowerCase() === 'users' && all[1] !== undefined) {
      if (all[1].toLowerCase() !== ctx.u.email.toLowerCase() && all[1] !== ctx.u.id)
        fail(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
      ctx.segs = all.slice(2);
    } else fail(400, 'BadRequest', 'Resource not found for the segment \'' + (all[0] || '') + '\'.');
    // …/mailFolders/{id}/childFolders/{id}/… and …/contactFolders/{id}/childFolders/{id}/… name the child
    // (contact-update.md: "PATCH /me/contactFolders/{id}/childFolders/{id}/.../contacts/{id}"), which must be one
    for (let i = 0; i + 3 < ctx.segs.length;) {
      const kind = ctx.segs[i].toLowerCase();
      if ((kind === 'mailfolders' || kind === 'contactfolders') && ctx.segs[i + 2].toLowerCase() === 'childfolders') {
        const parent = kind === 'mailfolders' ? folderOf(ctx.u, ctx.segs[i + 1]) : contactFolderOrFail(ctx.u, ctx.segs[i + 1]);
        const child = kind === 'mailfolders' ? folderOf(ctx.u, ctx.segs[i + 3]) : ctx.u.contactFolders.get(ctx.segs[i + 3]);
        if (!parent || !child || child.parentFolderId !== parent.id) notFound();
        ctx.segs.splice(i + 1, 3, child.id);
      } else i++;
    }
    const r = router(ctx);
    const out = mailRoutes(ctx, r) || contactRoutes(ctx, r) || calendarRoutes(ctx, r) || todoRoutes(ctx, r) || noteRoutes(ctx, r) || categoryRoutes(ctx, r);
    if (!out && ctx.otherMethod) fail(405, 'ErrorInvalidRequest', 'The HTTP method \'' + ctx.method + '\' is not allowed on this resource.');
    if (!out) fail(400, 'BadRequest', 'Resource not found for the segment \'' + (ctx.segs[0] || '') + '\'.');
    return out;
  } catch (e) {
    if (!(e instanceof GraphError)) throw e;
    return [e.status, errorBody(e, ctx.reqId), e.headers];
  }
}
function respond(res, ctx, out) {
  const [status, body, headers] = out;
  const h = Object.assign({'request-id': ctx.reqId, 'client-request-id': ctx.reqId, 'OData-Version': '4.0'}, headers || {});
  if (ctx.applied && ctx.applied.length) h['Preference-Applied'] = ctx.applied.join(', ');
  if (body === undefined) { res.writeHead(status, h); return res.end(); }
  if (Buffer.isBuffer(body)) { res.writeHead(status, Object.assign({'Content-Length': body.length}, h)); return res.end(body); }
  res.writeHead(status, Object.assign({'Content-Type': 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8'}, h));
  res.end(JSON.stringify(body));
}

// POST /v1.0/$batch (concepts/json-batching.md): {"requests": [{id, method, url, headers?, body?, dependsOn?}]},
// at most 20, ids unique; a body needs a Content-Type header; answers 200 {"responses": [{id, status, headers,
// body}]}; a request whose dependency failed answers 424; fully sequential or fully parallel. An entry that fails
// answers in Graph's error envelope (errors.md: {"error": {"code", "message", "innerError"}}) with its own headers
// (Retry-After of a 429: throttling.md, "Throttling and batching"); an If-Match that no longer matches answers 412
// (errors.md: "412 Precondition Failed: A precondition provided in the request (such as an if-match header) does
// not match the resource's current state"). The code of that 412 is not on any Graph page: errors.md's list has
// resourceModified ("usually an eTag mismatch"), Outlook answers ErrorIrresolvableConflict (its EWS code): the fake
// gives the latter, and the connector reads the status only. Entries run one after the other here (Graph runs up to
// four at a time, "staying within Outlook's concurrency limits").
function batch(ctx) {
  count('$batch');
  const bad = msg => [400, errorBody(new GraphError(400, 'BadRequest', msg), ctx.reqId)];
  let b;
  try { b = JSON.parse(ctx.body.toString() || 'null'); } catch (e) { return bad('Invalid batch payload format.'); }
  if (!b || !Array.isArray(b.requests)) return bad('Invalid batch payload format: the requests property is required.');
  if (b.requests.length > 20) return bad('The number of batch requests exceeds the limit of 20.');
  const ids = new Set();
  for (const q of b.requests) {
    if (!q || typeof q.id !== 'string' || !q.id || typeof q.method !== 'string' || typeof q.url !== 'string') return bad('Each batch request needs id, method and url.');
    if (ids.has(q.id.toLowerCase())) return bad('Batch request ids must be unique; \'' + q.id + '\' is repeated.');
    ids.add(q.id.toLowerCase());
    if (q.body !== undefined && !Object.keys(q.headers || {}).some(k => k.toLowerCase() === 'content-type')) return bad('Content-Type header must be specified for the request with id \'' + q.id + '\' that has a body.');
    if (/^(https?:|\/?v1\.0\/|\/?beta\/)/i.test(q.url) || /^\/?\$batch/i.test(q.url)) return bad('The url of request \'' + q.id + '\' must be relative to the version (for example /me/messages).');
  }
  for (const q of b.requests) for (const d of q.dependsOn || []) if (!ids.has(String(d).toLowerCase())) return bad('Request \'' + q.id + '\' depends on an unknown request \'' + d + '\'.');
  // "Batch should be either fully sequential or fully parallel" (json-batching.md, "Sequencing requests with the
  // dependsOn property"): no request names another, or each after the first names the one before it (the page's
  // example: 1, 2 → 1, 4 → 2, 3 → 4); anything between is refused with that sentence (Graph's BadRequest)
  const deps = b.requests.map(q => (q.dependsOn || []).map(d => String(d).toLowerCase()));
  if (deps.some(d => d.length) && !deps.every((d, i) => i === 0 ? d.length === 0 : d.length === 1 && d[0] === b.requests[i - 1].id.toLowerCase()))
    return bad('Batch should be either fully sequential or fully parallel.');
  const done = new Map(), order = [];
  const visit = (q, stack) => {
    if (done.has(q.id.toLowerCase()) || order.includes(q)) return;
    if (stack.includes(q)) throw new GraphError(400, 'BadRequest', 'The dependsOn of the batch requests form a cycle.');
    for (const d of q.dependsOn || []) visit(b.requests.find(x => x.id.toLowerCase() === String(d).toLowerCase()), stack.concat([q]));
    order.push(q);
  };
  try { for (const q of b.requests) visit(q, []); } catch (e) { return bad(e.message); }
  const responses = [];
  inBatch = true;
  try {
    for (const q of order) {
      let out;
      if ((q.dependsOn || []).some(d => (done.get(String(d).toLowerCase()) || 0) >= 400)) {
        out = [424, errorBody(new GraphError(424, 'FailedDependency', 'The request depends on a request that failed.'), ctx.reqId)];
      } else {
        const headers = {};
        for (const [k, v] of Object.entries(q.headers || {})) headers[k.toLowerCase()] = String(v);
        const sub = {method: q.method.toUpperCase(), url: new URL('/v1.0/' + q.url.replace(/^\//, ''), ctx.url.origin), headers, u: ctx.u, scopes: ctx.scopes,
                     body: q.body === undefined ? Buffer.alloc(0) : Buffer.from(typeof q.body === 'string' ? q.body : JSON.stringify(q.body)),
                     base: ctx.base, origin: ctx.origin, reqId: guid()};
        sub.query = sub.url.searchParams;
        out = graph(sub);
        if (sub.applied.length) out[2] = Object.assign({}, out[2] || {}, {'Preference-Applied': sub.applied.join(', ')});
      }
      done.set(q.id.toLowerCase(), out[0]);
      const entry = {id: q.id, status: out[0], headers: Object.assign({'Cache-Control': 'no-cache'}, out[2] || {})};
      if (Buffer.isBuffer(out[1])) { entry.body = out[1].toString('base64'); }
      else if (out[1] !== undefined) { entry.body = out[1]; entry.headers['Content-Type'] = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8'; }
      responses.push(entry);
    }
  } finally { inBatch = false; }
  return [200, {responses}];
}

// "Microsoft Graph error responses" (concepts/errors.md): 401 InvalidAuthenticationToken.
function authenticate(req) {
  const h = req.headers.authorization || '';
  const tok = h.replace(/^Bearer\s+/i, '');
  const www = {'WWW-Authenticate': 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"'};
  if (!/^Bearer\s+\S/i.test(h)) fail(401, 'InvalidAuthenticationToken', 'Access token is empty.', www);
  const a = accessTokens.get(tok);
  if (!a) fail(401, 'InvalidAuthenticationToken', 'IDX14100: JWT is not well formed, there are no dots (.).', www);
  if (a.expires <= Date.now()) fail(401, 'InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.', www);
  req.tokenScopes = a.scopes;
  return users.get(a.email.toLowerCase());
}
// Outlook's concurrency limit (concepts/throttling-limits.md, "Outlook service limits": "Outlook can execute up to
// 4 concurrent requests"); the 5th in flight answers 429 ApplicationThrottled "Application is over its
// MailboxConcurrency limit." with Retry-After (the answer Outlook gives, quoted in Microsoft Q&A threads).
function graphHttp(req, res, url) {
  stats.http++;  // requests over the wire: a $batch is one (requests counts each of its entries too)
  const origin = 'http://' + (req.headers.host || '127.0.0.1');
  const ctx = {method: req.method, url: new URL(url.pathname + url.search, origin), headers: req.headers, body: req.body || Buffer.alloc(0),
               base: origin + '/v1.0', origin, reqId: guid(), applied: []};
  ctx.query = ctx.url.searchParams;
  try {
    ctx.u = authenticate(req);
    ctx.scopes = req.tokenScopes;
  } catch (e) {
    if (!(e instanceof GraphError)) throw e;
    return respond(res, ctx, [e.status, errorBody(e, ctx.reqId), e.headers]);
  }
  const u = ctx.u;
  if (u.inflight >= cfg.maxConcurrency) {
    stats.throttled++;
    return respond(res, ctx, [429, errorBody(new GraphError(429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.'), ctx.reqId), {'Retry-After': '1'}]);
  }
  u.inflight++;
  stats.max_inflight = Math.max(stats.max_inflight, u.inflight);
  let released = false;
  const release = () => { if (!released) { released = true; u.inflight--; } };
  res.on('finish', release);
  res.on('close', release);
  const run = () => {
    try {
      const isBatch = /^\/v1\.0\/\$batch$/i.test(ctx.url.pathname);
      if (isBatch && req.method !== 'POST') return respond(res, ctx, [405, errorBody(new GraphError(405, 'BadRequest', 'Method not allowed.'), ctx.reqId)]);
      respond(res, ctx, isBatch ? batch(ctx) : graph(ctx));
    } catch (e) {
      respond(res, ctx, [500, errorBody(new GraphError(500, 'InternalServerError', String(e && e.stack || e)), ctx.reqId)]);
    }
  };
  if (cfg.latency > 0) setTimeout(run, cfg.latency); else run();
}

// ================================================================ identity platform

// Error responses as "Microsoft identity platform and OAuth 2.0 authorization code flow" shows them:
// {error, error_description: "AADSTSnnnn: … Trace ID … Correlation ID … Timestamp …", error_codes: [n], timestamp,
// trace_id, correlation_id, error_uri}.
function aadError(res, status, error, code, text, suberror) {
  const ts = new Date().toISOString().replace('T', ' ').slice(0, 19) + 'Z';
  const trace = guid(), corr = guid();
  const body = {error, error_description: 'AADSTS' + code + ': ' + text + '\r\nTrace ID: ' + trace + '\r\nCorrelation ID: ' + corr + '\r\nTimestamp: ' + ts,
                error_codes: [code], timestamp: ts, trace_id: trace, correlation_id: corr, error_uri: 'https://login.microsoftonline.com/error?code=' + code};
  if (suberror) body.suberror = suberror;
  res.writeHead(status, {'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store, no-cache'});
  res.end(JSON.stringify(body));
}
function jwtLike(claims) {
  const enc = o => Buffer.from(JSON.stringify(o)).toString('base64url');
  return enc({typ: 'JWT', alg: 'RS256', kid: 'fake'}) + '.' + enc(claims) + '.' + crypto.randomBytes(32).toString('base64url');
}
// `scope`: what the token was signed in for (null, or one naming .default: every permission)
function issueAccess(email, fixed, scope) {
  const tok = fixed || jwtLike({aud: '00000003-0000-0000-c000-000000000000', upn: email, n: ++seq, exp: Math.floor(Date.now() / 1000) + cfg.tokenLifetime});
  const scopes = scope ? new Set(scope.split(/\s+/).filter(Boolean).map(x => x.toLowerCase().replace(/^https:\/\/graph\.microsoft\.com\//, ''))) : null;
  accessTokens.set(tok, {email, expires: fixed ? Infinity : Date.now() + cfg.tokenLifetime * 1000, scopes: scopes && !scopes.has('.default') ? scopes : null});
  stats.tokens_issued++;
  return tok;
}
function tokenResponse(res, email, scope, tenant) {
  const scopes = scope.split(/\s+/).filter(Boolean);
  const out = {token_type: 'Bearer', scope: scopes.filter(s => s !== 'offline_access').map(s => s.replace(/^https:\/\/graph\.microsoft\.com\//i, '')).join(' '),
               expires_in: cfg.tokenLifetime, ext_expires_in: cfg.tokenLifetime, access_token: issueAccess(email, null, scope)};
  if (scopes.includes('offline_access')) {
    out.refresh_token = '1.AXoA' + crypto.randomBytes(48).toString('base64url');
    refreshTokens.set(out.refresh_token, {email, scope, state: 'live'});
  }
  if (scopes.includes('openid')) {
    const u = users.get(email.toLowerCase());
    out.id_token = jwtLike({aud: clientId, iss: 'https://login.microsoftonline.com/' + tenant + '/v2.0', iat: Math.floor(Date.now() / 1000),
                            exp: Math.floor(Date.now() / 1000) + 3600, name: u.displayName, preferred_username: email, oid: u.id, tid: guid(), ver: '2.0'});
  }
  res.writeHead(200, {'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store, no-cache'});
  res.end(JSON.stringify(out));
}
// Redirect URIs: "http://localhost" for apps that use system browsers (v2-oauth2-auth-code-flow.md); reply-url.md,
// "Localhost exceptions": for localhost and 127.0.0.1 "the port component … is ignored for the purposes of matching a
// redirect URI", the path is not ("http://localhost/MyWebApp doesn't match http://localhost/MyNativeApp"), and
// localhost and 127.0.0.1 are registered apart.
function redirectOk(uri) {
  let got;
  try { got = new URL(uri); } catch (e) { return false; }
  return redirectUris.some(r => {
    const want = new URL(r);
    if (['localhost', '127.0.0.1'].includes(want.hostname) && got.protocol === want.protocol && got.hostname === want.hostname)
      return got.pathname === want.pathname && got.search === want.search;
    return uri === r;
  });
}
function identity(req, res, url, raw, tenant, op) {
  count('oauth.' + op);
  // GET /{tenant}/oauth2/v2.0/authorize (v2-oauth2-auth-code-flow.md, "Request an authorization code")
  if (op === 'authorize' && req.method === 'GET') {
    const p = url.searchParams;
    const page = (code, text) => { res.writeHead(400, {'Content-Type': 'text/html; charset=utf-8'}); res.end('<html><body>AADSTS' + code + ': ' + text + '</body></html>'); };
    if (p.get('client_id') !== clientId) return page(700016, 'Application with identifier \'' + p.get('client_id') + '\' was not found in the directory \'' + tenant + '\'.');
    const redirect = p.get('redirect_uri');
    if (!redirect || !redirectOk(redirect)) return page(50011, 'The redirect URI \'' + redirect + '\' specified in the request does not match the redirect URIs configured for the application \'' + clientId + '\'.');
    const mode = p.get('response_mode') || 'query';
    const back = params => {
      const target = new URL(redirect);
      if (p.get('state') !== null) params.state = p.get('state');
      if (mode === 'form_post') {
        res.writeHead(200, {'Content-Type': 'text/html; charset=utf-8'});
        return res.end('<html><body onload="document.forms[0].submit()"><form method="POST" action="' + redirect + '">' +
                       Object.entries(params).map(([k, v]) => '<input type="hidden" name="' + k + '" value="' + String(v).replace(/"/g, '&quot;') + '"/>').join('') + '</form></body></html>');
      }
      const qs = new URLSearchParams(params).toString();
      res.writeHead(302, {Location: mode === 'fragment' ? redirect + '#' + qs : (target.search ? redirect + '&' : redirect + '?') + qs});
      return res.end();
    };
    const err = (error, code, text) => back({error, error_description: 'AADSTS' + code + ': ' + text});
    if (!/\bcode\b/.test(p.get('response_type') || '')) return err('unsupported_response_type', 700054, 'response_type \'' + (p.get('response_type') || '') + '\' is not enabled for the application.');
    if (!p.get('scope')) return err('invalid_request', 900144, 'The request body must contain the following parameter: \'scope\'.');
    const method = p.get('code_challenge_method') || (p.get('code_challenge') ? 'plain' : null);
    if (method && !['plain', 'S256'].includes(method)) return err('invalid_request', 50148, 'The code_challenge_method \'' + method + '\' is not supported.');
    if (p.get('code_challenge_method') && !p.get('code_challenge')) return err('invalid_request', 50148, 'The code_challenge is required when code_challenge_method is sent.');
    if (cfg.authorizeError) return err(cfg.authorizeError, 65004, 'User declined to consent to access the app.');
    const hint = p.get('login_hint');
    const email = hint && users.has(hint.toLowerCase()) ? users.get(hint.toLowerCase()).email : firstUser;
    const code = '0.AXoA' + crypto.randomBytes(40).toString('base64url');
    codes.set(code, {email, redirect, challenge: p.get('code_challenge'), method, scope: p.get('scope'), expires: Date.now() + cfg.codeLifetime * 1000, used: false});
    return back({code, session_state: guid()});
  }
  if (req.method !== 'POST') { res.writeHead(405); return res.end(); }
  if (!/^application\/x-www-form-urlencoded/i.test(req.headers['content-type'] || ''))
    return aadError(res, 400, 'invalid_request', 900144, 'The request body must contain the following parameter: \'grant_type\'.');
  const f = new URLSearchParams(raw);
  if (f.get('client_id') !== clientId)
    return aadError(res, 400, 'unauthorized_client', 700016, 'Application with identifier \'' + f.get('client_id') + '\' was not found in the directory \'' + tenant + '\'.');
  // POST /{tenant}/oauth2/v2.0/devicecode (v2-oauth2-device-code.md, "Device authorization request")
  if (op === 'devicecode') {
    if (!f.get('scope')) return aadError(res, 400, 'invalid_request', 900144, 'The request body must contain the following parameter: \'scope\'.');
    const userCode = crypto.randomBytes(6).toString('base64').replace(/[^A-Z0-9]/gi, '').toUpperCase().slice(0, 8).padEnd(8, 'X');
    const deviceCode = 'DAQABAAEAAA' + crypto.randomBytes(40).toString('base64url');
    devices.set(deviceCode, {userCode, scope: f.get('scope'), expires: Date.now() + cfg.deviceExpires * 1000, state: 'pending', email: null});
    res.writeHead(200, {'Content-Type': 'application/json; charset=utf-8'});
    return res.end(JSON.stringify({user_code: userCode, device_code: deviceCode, verification_uri: 'https://microsoft.com/devicelogin',
      expires_in: cfg.deviceExpires, interval: cfg.deviceInterval,
      message: 'To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ' + userCode + ' to authenticate.'}));
  }
  // POST /{tenant}/oauth2/v2.0/token ("Redeem a code for an access token", "Refresh the access token";
  // v2-oauth2-device-code.md, "Authenticating the user": authorization_pending, authorization_declined,
  // bad_verification_code, expired_token)
  if (clientSecret) {
    if (!f.get('client_secret')) return aadError(res, 401, 'invalid_client', 7000218, 'The request body must contain the following parameter: \'client_assertion\' or \'client_secret\'.');
    if (f.get('client_secret') !== clientSecret) return aadError(res, 401, 'invalid_client', 7000215, 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app \'' + clientId + '\'.');
  } else if (f.get('client_secret') || f.get('client_assertion')) {
    return aadError(res, 401, 'invalid_client', 700025, 'Client is public so neither \'client_assertion\' nor \'client_secret\' should be presented.');
  }
  const grant = f.get('grant_type');
  if (!grant) return aadError(res, 400, 'invalid_request', 900144, 'The request body must contain the following parameter: \'grant_type\'.');
  if (grant === 'authorization_code') {
    const code = f.get('code');
    if (!code) return aadError(res, 400, 'invalid_request', 900144, 'The request body must contain the following parameter: \'code\'.');
    const c = codes.get(code);
    if (!c) return aadError(res, 400, 'invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.');
    if (c.used) return aadError(res, 400, 'invalid_grant', 54005, 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.');
    if (c.expires < Date.now()) return aadError(res, 400, 'invalid_grant', 70008, 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.');
    if (f.get('redirect_uri') !== c.redirect) return aadError(res, 400, 'invalid_grant', 50148, 'The redirect_uri does not match the one the authorization code was requested with.');
    if (c.challenge) {
      const v = f.get('code_verifier') || '';
      const made = c.method === 'S256' ? crypto.createHash('sha256').update(v).digest('base64url') : v;
      if (!v || made !== c.challenge) return aadError(res, 400, 'invalid_grant', 501481, 'The Code_Verifier does not match the code_challenge supplied in the authorization request.');
    }
    c.used = true;
    return tokenResponse(res, c.email, f.get('scope') || c.scope, tenant);
  }
  if (grant === 'refresh_token') {
    const t = refreshTokens.get(f.get('refresh_token') || '');
    if (!f.get('refresh_token')) return aadError(res, 400, 'invalid_request', 900144, 'The request body must contain the following parameter: \'refresh_token\'.');
    if (!t) return aadError(res, 400, 'invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.');
    if (t.state === 'expired') return aadError(res, 400, 'invalid_grant', 700082, 'The refresh token has expired due to inactivity. The token was issued on ' + new Date(Date.now() - 91 * dayMs).toISOString() + ' and was inactive for 90.00:00:00.');
    if (t.state === 'revoked') return aadError(res, 400, 'invalid_grant', 50173, 'The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.');
    if (t.state === 'used' && cfg.refuseUsed) return aadError(res, 400, 'invalid_grant', 70000, 'The provided value for the input parameter \'refresh_token\' is not valid: it was replaced by a newer refresh token.');
    // "The scopes requested in this leg must be equivalent to or a subset of the scopes requested in the original
    // authorization_code request leg" (v2-oauth2-auth-code-flow.md, "Refresh the access token"): a scope never
    // consented is refused as Entra ID does (AADSTS65001 consent_required, its answer as quoted on Microsoft Q&A
    // "Rest API flow Authentication on management.azure.com scope")
    if (f.get('scope')) {
      const norm = x => x.toLowerCase().replace(/^https:\/\/graph\.microsoft\.com\//, '');
      const oidc = ['offline_access', 'openid', 'profile', 'email'];
      const had = new Set(t.scope.split(/\s+/).filter(Boolean).map(norm));
      const missing = f.get('scope').split(/\s+/).filter(Boolean).map(norm).filter(x => !oidc.includes(x) && !had.has(x) && !had.has('.default'));
      if (missing.length)
        return aadError(res, 400, 'invalid_grant', 65001, 'The user or administrator has not consented to use the application with ID \'' + clientId + '\' named \'Accord\'. Send an interactive authorization request for this user and resource.', 'consent_required');
    }
    const scope = f.get('scope') || t.scope;
    const out = {email: t.email, scope: /offline_access/.test(scope) ? scope : scope + ' offline_access'};
    if (cfg.rotate || t.state === 'used') t.state = 'used';
    // "Refresh tokens aren't revoked when used to acquire new access tokens. You're expected to discard the old
    // refresh token": the answer always carries one; with rotation off it is the same token.
    if (!cfg.rotate) {
      res.writeHead(200, {'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store, no-cache'});
      t.state = 'live';
      return res.end(JSON.stringify({token_type: 'Bearer', scope: scope.split(/\s+/).filter(s => s !== 'offline_access').map(s => s.replace(/^https:\/\/graph\.microsoft\.com\//i, '')).join(' '),
                                     expires_in: cfg.tokenLifetime, ext_expires_in: cfg.tokenLifetime, access_token: issueAccess(t.email, null, scope), refresh_token: f.get('refresh_token')}));
    }
    return tokenResponse(res, out.email, out.scope, tenant);
  }
  if (grant === 'urn:ietf:params:oauth:grant-type:device_code') {
    const d = devices.get(f.get('device_code') || '');
    if (!d) return aadError(res, 400, 'bad_verification_code', 70000, 'The provided value for the input parameter \'device_code\' is not valid.');
    if (d.expires < Date.now()) return aadError(res, 400, 'expired_token', 70019, 'Verification code expired.');
    if (d.state === 'declined') return aadError(res, 400, 'authorization_declined', 70000, 'The user declined the authorization request.');
    if (d.state === 'pending') return aadError(res, 400, 'authorization_pending', 70016, 'OAuth 2.0 device flow error. Authorization is pending. Continue polling.');
    devices.delete(f.get('device_code'));
    return tokenResponse(res, d.email, d.scope, tenant);
  }
  return aadError(res, 400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type \'' + grant + '\'.');
}

// ================================================================ test routes and dispatch

const firstUser = process.env.MSGRAPH_USER || 'ada@contoso.example';
addUser(firstUser);
if (process.env.MSGRAPH_TOKEN) issueAccess(firstUser, process.env.MSGRAPH_TOKEN);
if (process.env.MSGRAPH_REFRESH_TOKEN) refreshTokens.set(process.env.MSGRAPH_REFRESH_TOKEN, {email: firstUser, scope: 'https://graph.microsoft.com/.default offline_access', state: 'live'});

function dump(u) {
  const plain = (k, v) => v instanceof Map ? Object.fromEntries(v) : v instanceof Set ? [...v] : Buffer.isBuffer(v) ? v.toString('base64') :
    (v && v.type === 'Buffer' && Array.isArray(v.data)) ? Buffer.from(v.data).toString('base64') : v;
  return JSON.parse(JSON.stringify({email: u.email, id: u.id, folders: u.folders, messages: u.messages, contactFolders: u.contactFolders,
    contacts: u.contacts, calendars: u.calendars, events: u.events, lists: u.lists, tasks: u.tasks, categories: u.categories, notes: u.notes}, plain));
}
function testRoutes(req, res, url, raw) {
  const json = (status, body) => { res.writeHead(status, {'Content-Type': 'application/json'}); res.end(JSON.stringify(body)); };
  const p = url.pathname;
  let c = {};
  try { c = JSON.parse(raw || '{}'); } catch (e) { return json(400, {error: 'bad json'}); }
  const who = () => users.get(String(c.email || firstUser).toLowerCase());
  if (p === '/__control') {
    control(raw, {
      expire_tokens: v => { if (v) for (const a of accessTokens.values()) a.expires = 0; },
      token_lifetime: v => { cfg.tokenLifetime = v; },
      rotate_refresh_token: v => { cfg.rotate = !!v; },
      refuse_used_refresh_token: v => { cfg.refuseUsed = !!v; },
      expire_refresh_tokens: v => { if (v) for (const t of refreshTokens.values()) t.state = 'expired'; },
      revoke_refresh_tokens: v => { if (v) for (const t of refreshTokens.values()) t.state = 'revoked'; },
      authorize_error: v => { cfg.authorizeError = v; },
      code_lifetime: v => { cfg.codeLifetime = v; },
      device_interval: v => { cfg.deviceInterval = v; },
      device_expires_in: v => { cfg.deviceExpires = v; },
      expire_delta_tokens: v => { if (v) expiredBefore = handleSeq; },
      delta_replay: v => { cfg.replay = !!v; },
      delta_duplicate: v => { cfg.duplicate = !!v; },
      rate_limit: v => { cfg.rateLimit = v ? Object.assign({}, v) : null; },
      mailbox_settings_denied: v => { cfg.mailboxSettingsDenied = !!v; },
      latency_ms: v => { cfg.latency = v; },
      max_concurrency: v => { cfg.maxConcurrency = v; },
      page_size: v => { cfg.pageSize = v; },
      request_rate: v => { cfg.rateLimitPerWindow = v.limit; cfg.rateWindowS = v.window_s; for (const u of users.values()) u.recent = []; },
      age_s: v => { ageAll(v); },
    });
    return json(200, {ok: true});
  }
  if (p === '/__account') {
    const u = addUser(c.email);
    if (c.access_token) issueAccess(u.email, c.access_token);
    if (c.refresh_token) refreshTokens.set(c.refresh_token, {email: u.email, scope: c.scope || 'https://graph.microsoft.com/.default offline_access', state: 'live'});
    return json(200, {ok: true, id: u.id});
  }
  if (p === '/__device') {
    const d = [...devices.values()].find(x => x.userCode === c.user_code);
    if (!d) return json(404, {error: 'no such user_code'});
    d.state = c.action === 'deny' ? 'declined' : 'approved';
    d.email = (who() || users.get(firstUser.toLowerCase())).email;
    return json(200, {ok: true});
  }
  if (p === '/__deliver') {
    const u = who();
    const f = u && folderOf(u, c.folder || 'inbox');
    if (!f) return json(404, {error: 'no such folder'});
    const rawMime = Buffer.from(c.mime || '', 'base64');
    const x = messageFromMime(rawMime);
    const m = newMessage(u, f, {subject: x.subject, from: x.from, sender: x.from, toRecipients: x.toRecipients, ccRecipients: x.ccRecipients,
      replyTo: x.replyTo, internetMessageId: x.internetMessageId, sentDateTime: x.sentDateTime, receivedDateTime: c.received || isoZ(stamp()),
      body: x.body, internetMessageHeaders: x.internetMessageHeaders, isDraft: false, isRead: !!c.read}, {mime: rawMime});
    for (const a of x.files) addAttachment(u, m, a);
    m.attachmentsSinceMime = false;
    return json(200, {id: regularId(m), immutableId: immutableId(m)});
  }
  // POST /__respond {"event": id, "email", "response": "accepted"|"tentativelyAccepted"|"declined"}: that
  // attendee answers (event-accept.md, event-tentativelyaccept.md, event-decline.md, as the organizer's copy shows it)
  if (p === '/__respond') {
    const u = who() || users.get(firstUser.toLowerCase());
    const ev = u && itemById(u, 'events', c.event);
    const a = ev && (ev.data.attendees || []).find(x => x.emailAddress.address.toLowerCase() === String(c.email || '').toLowerCase());
    if (!a) return json(404, {error: 'no such event or attendee'});
    a.status = {response: c.response, time: isoZ(stamp())};
    touch(u, ev);
    return json(200, {ok: true});
  }
  if (p === '/__stats') return json(200, stats);
  if (p === '/__dump') {
    const u = users.get((url.searchParams.get('user') || firstUser).toLowerCase());
    return u ? json(200, dump(u)) : json(404, {error: 'no such user'});
  }
  return json(404, {error: 'no test route ' + p});
}
function dispatch(req, res, raw) {
  const url = new URL(req.url, 'http://x');
  if (url.pathname.startsWith('/__')) return testRoutes(req, res, url, raw);
  let m;
  if ((m = /^\/([A-Za-z0-9.-]+)\/oauth2\/v2\.0\/(authorize|token|devicecode)$/.exec(url.pathname))) return identity(req, res, url, raw, m[1], m[2]);
  let path;
  try { path = decodeURIComponent(url.pathname); } catch (e) {
    res.writeHead(400, {'Content-Type': 'application/json'});
    return res.end(JSON.stringify({error: {code: 'BadRequest', message: 'The request URI is not valid.'}}));
  }
  if (/^\/api\/v2\.0\/.*AttachmentSessions/i.test(path)) return uploadRoute(req, res, url);
  if (/^\/v1\.0(\/|$)/i.test(url.pathname)) return graphHttp(req, res, url);
  res.writeHead(404, {'Content-Type': 'application/json'});
  res.end(JSON.stringify({error: {code: 'BadRequest', message: 'Invalid version: ' + url.pathname.split('/')[1]}}));
}

serve(dispatch, (res, e) => {
  res.writeHead(500, {'Content-Type': 'application/json'});
  res.end(JSON.stringify({error: {code: 'InternalServerError', message: String(e && e.stack || e)}}));
});
