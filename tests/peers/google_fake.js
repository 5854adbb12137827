// SPDX-License-Identifier: Apache-2.0
// A stateful, strict contract fake of Google's APIs for the google-api
// connector's tests: OAuth 2.0 token endpoint, People v1 (contacts and
// contact groups), Calendar v3, Tasks v1, Gmail v1 and Drive v3, one origin
// serving each API under its real path. Strict: every request is checked
// against Google's own discovery documents (schemas/google-<api>.json,
// vendored by schemas/extract_google.py from discovery-artifact-manager; the
// file names the document's revision and commit): an undeclared query
// parameter or body property, a wrong type, a value outside an enum or a
// field the reference marks "Required." answers 400 INVALID_ARGUMENT naming
// the field, in the API's own error envelope:
//   People:          {"error": {code, message, status, details: [{"@type": …ErrorInfo|BadRequest, …}]}}
//   the others:      {"error": {code, message, errors: [{message, domain, reason, location?, locationType?}], status}}
// Each route names the reference or guide page it follows (developers.google.com).
//
//   GET  /o/oauth2/v2/auth           authorization endpoint (code + PKCE + state, loopback redirect; accord login)
//   POST /token                      authorization_code grant (code_verifier checked), refresh_token grant (rotation switch, invalid_grant, invalid_client) and the
//                                    JWT-bearer grant (RS256 checked with the service account's public key; iss,
//                                    sub, aud, scope, iat/exp ≤ 1 h)
//   People  /v1/people/me/connections · people:createContact · people/{id}:updateContact · :deleteContact ·
//           people/{id} · people:batchGet · people:batchCreateContacts (≤ 200) · :batchUpdateContacts (≤ 200) ·
//           :batchDeleteContacts (≤ 500) · people:searchContacts · contactGroups (list, get, create, update,
//           delete, members:modify). Sync tokens bound to the first call, EXPIRED_SYNC_TOKEN, metadata.deleted
//           tombstones, etags in the body, propagation delay.
//   Calendar /calendar/v3/users/me/calendarList[/{id}] · calendars[/{id}] · calendars/{id}/events (list with
//           syncToken and 410, insert with base32hex ids and 409, import) · events/{id} (get, update/patch with
//           If-Match and 412, delete) · events/{id}/instances; series expanded in their zone, instance ids
//           {id}_{UTC start}, exceptions moved or cancelled.
//   Tasks   /tasks/v1/users/@me/lists[/{id}] · lists/{l}/tasks[/{t}[/move]] · lists/{l}/clear
//   Gmail   /gmail/v1/users/me/profile · messages (list, get, import, insert, modify, batchModify ≤ 1000, trash,
//           untrash, delete) · /upload/gmail/v1/users/me/messages/import · history (404 on a too-old id) ·
//           labels; 15,000 quota units per user per minute (403 userRateLimitExceeded)
//   Drive   /drive/v3/files[/{id}] · /upload/drive/v3/files[/{id}] · changes/startPageToken · changes;
//           partial responses (default fields only unless fields= asks)
//   Every API: bearer token required (401), fields= partial responses, injected 429/403 with Retry-After.
// Not modelled: HTTP batch (/batch/…), watch channels, ACLs, attachments and drafts, Drive shared drives and
// exports, People photos and other contacts, free-text Gmail search, RRULE parts beyond FREQ/INTERVAL/COUNT/
// UNTIL/BYDAY/BYMONTHDAY (a 501 says so), state across restarts.
//
// Usage: [GOOGLE_CLIENT_ID=… GOOGLE_CLIENT_SECRET=… GOOGLE_REFRESH_TOKEN=… GOOGLE_TOKEN=… GOOGLE_USER=…]
//        node google_fake.js → prints "port N" (127.0.0.1; PEER_PORT pins it)
// Test-only routes (no authentication):
//   POST /__control {"expire_tokens": true, "token_lifetime": s, "rotate_refresh_token": bool,
//                    "revoke_refresh_token": true, "expire_sync_tokens": ["people", "contactGroups",
//                    "calendar", "gmail"], "rate_limit": {"count", "status": 429|403, "reason",
//                    "retry_after", "path"} (status 500/503: backendError), "propagation_delay_ms": n,
//                    "gmail_quota_per_minute": n}
//   POST /__fault {…}  (fake_http.js) answers lost after the commit, injected statuses
//   POST /__account {"email", "refresh_token"?, "access_token"?}   another user
//   POST /__service_account {"client_email", "public_key_pem"}     for the JWT-bearer grant
//   GET  /__dump[?user=EMAIL] → that user's stores;  GET /__stats → {requests, by_route, tokens_issued}
'use strict';
const crypto = require('crypto');
const {URL} = require('url');
const {serve, control, bearer} = require('./fake_http');
const load = require('./vendor_schema');

const APIS = ['people', 'calendar', 'tasks', 'gmail', 'drive'];
const spec = {}, check = {};
// Drive's File reference: appProperties and properties "Entries with null values are cleared in update and
// copy requests", so a null value is taken there (the discovery schema types the values as strings only).
const nullable = {type: 'object', additionalProperties: {type: ['string', 'null']}};
const replace = {drive: {File: {appProperties: nullable, properties: nullable}}};
for (const a of APIS) {
  spec[a] = require('./schemas/google-' + a + '.json');
  check[a] = load('google-' + a, {closed: true, replace: replace[a]});
}

// ---------------------------------------------------------------- errors

class ApiError extends Error {
  constructor(code, status, message, extra) {
    super(message);
    Object.assign(this, {code, status, extra: extra || {}});
  }
}
const STATUS = {400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND',
                409: 'ALREADY_EXISTS', 410: 'NOT_FOUND', 412: 'FAILED_PRECONDITION', 429: 'RESOURCE_EXHAUSTED'};
// reason: the legacy errors[].reason; info: People's ErrorInfo reason; field: a BadRequest fieldViolation.
function fail(code, message, o) {
  const x = o || {};
  throw new ApiError(code, x.status || STATUS[code] || 'UNKNOWN', message, x);
}
function badArg(field, message) { fail(400, message, {reason: 'invalid', field, location: field}); }

// The fields= of the request being answered (all APIs but Drive, which applies its own defaults): "Partial
// response" of the Google API design: only the named fields are sent.
let responseFields = null, pretty = true;   // prettyPrint: "Returns response with indentations and line breaks" (default true)
function send(res, status, body, headers) {
  if (responseFields && status === 200 && body && typeof body === 'object' && !Buffer.isBuffer(body)) body = pick(body, parseFields(responseFields));
  const h = Object.assign({'Content-Type': 'application/json; charset=UTF-8', Vary: 'Origin, X-Origin'}, headers || {});
  if (body === undefined) { res.writeHead(status, h); return res.end(); }
  const text = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body, null, pretty ? 2 : 0);
  res.writeHead(status, h);
  res.end(text);
}
// The People API answers in google.rpc.Status form ("details"); Calendar,
// Tasks, Gmail and Drive in the older form with "errors" (each API's "Handle
// errors" / "Resolve errors" page shows its own).
function sendError(res, api, e) {
  const x = e.extra;
  const body = {code: e.code, message: e.message};
  if (api === 'people') {
    body.status = e.status;
    const details = [];
    if (x.info) details.push({'@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: x.info,
                              domain: x.domain || 'googleapis.com', metadata: x.metadata || {service: 'people.googleapis.com'}});
    if (x.field) details.push({'@type': 'type.googleapis.com/google.rpc.BadRequest',
                               fieldViolations: [{field: x.field, description: e.message}]});
    if (details.length) body.details = details;
  } else {
    const one = {message: e.message, domain: x.domain || 'global', reason: x.reason || 'badRequest'};
    if (x.location) { one.locationType = x.locationType || 'parameter'; one.location = x.location; }
    body.errors = [one];
    body.status = e.status;
  }
  send(res, e.code, {error: body}, x.headers);
}

// ---------------------------------------------------------------- state

const clientId = process.env.GOOGLE_CLIENT_ID || 'client';
const clientSecret = process.env.GOOGLE_CLIENT_SECRET || 'secret';
const users = new Map();          // email → user
const accessTokens = new Map();   // token → {email, expires (ms), scope}
const refreshTokens = new Map();  // token → email
const serviceAccounts = new Map();  // client_email → public key
const stats = {requests: 0, by_route: {}, tokens_issued: 0};
let tokenLifetime = 3599, rotate = false, rateLimit = null, propagationMs = 0, tokenSeq = 0, epoch = 0;
const expiredBefore = {};         // api → sync-token serial below which tokens are expired

function now() { return Date.now(); }
let lastStamp = 0;
function stamp() { let t = now(); if (t <= lastStamp) t = lastStamp + 1; lastStamp = t; return t; }
function iso(ms) { return new Date(ms).toISOString(); }
function rid(n) { return crypto.randomBytes(n || 9).toString('hex'); }

function addUser(email) {
  if (users.has(email)) return users.get(email);
  const u = {email, clock: 0,
    people: {seq: 0, persons: new Map(), groups: new Map()},
    calendar: {calendars: new Map(), listClock: 0},
    tasks: {lists: new Map(), seq: 0},
    gmail: {messages: new Map(), labels: new Map(), historyId: 1000, history: [], seq: 0},
    drive: {files: new Map(), changes: [], seq: 0}};
  for (const [id, name] of [['myContacts', 'myContacts'], ['starred', 'starred']])
    u.people.groups.set('contactGroups/' + id, {resourceName: 'contactGroups/' + id, name, groupType: 'SYSTEM_CONTACT_GROUP',
                                               clientData: [], etag: rid(6), updated: 0, changed: 0, members: new Set()});
  u.calendar.calendars.set(email, newCalendar(u, email, email, true));
  users.set(email, u);
  return u;
}
function tick(u) { return ++u.clock; }

function issueAccess(email, lifetime, fixed) {
  const tok = fixed || 'ya29.' + (++tokenSeq) + '.' + rid(12);
  accessTokens.set(tok, {email, expires: lifetime ? now() + lifetime * 1000 : Infinity});
  stats.tokens_issued++;
  return tok;
}

const firstUser = process.env.GOOGLE_USER || 'user@example.com';
addUser(firstUser);
refreshTokens.set(process.env.GOOGLE_REFRESH_TOKEN || 'refresh', firstUser);
if (process.env.GOOGLE_TOKEN) issueAccess(firstUser, 0, process.env.GOOGLE_TOKEN);

// Sync and page tokens are opaque server-side handles, as Google's are.
const handles = new Map();
let handleSeq = 0;
function handle(kind, api, data) {
  const t = kind + '.' + (++handleSeq) + '.' + rid(6);
  handles.set(t, Object.assign({kind, api, serial: handleSeq, epoch}, data));
  return t;
}
function lookup(t, kind) {
  const h = handles.get(t);
  return h && h.kind === kind ? h : null;
}
function expired(h) { return h.serial <= (expiredBefore[h.api] || 0); }

// ---------------------------------------------------------------- requests

// Query parameters checked against the method's and the API's declared ones
// (discovery "parameters": type, enum, repeated).
function params(api, methodId, url) {
  const m = spec[api].methods[methodId];
  const decl = Object.assign({}, spec[api].parameters, m.parameters || {});
  const out = {};
  for (const [k, v] of url.searchParams) {
    const name = k.replace(/\[\]$/, '');
    const d = decl[name];
    if (!d || d.location === 'path')
      fail(400, 'Invalid JSON payload received. Unknown name "' + name + '": Cannot bind query parameter. Field \'' + name +
                '\' could not be found in request message.', {reason: 'invalidParameter', field: name, location: name});
    let val = v;
    if (d.type === 'integer') {
      if (!/^-?\d+$/.test(v)) badArg(name, 'Invalid value \'' + v + '\' for parameter ' + name + ': not an integer');
      val = Number(v);
      if (d.minimum !== undefined && val < Number(d.minimum)) badArg(name, 'Invalid value \'' + v + '\'. Values must be within the range: [' + d.minimum + ', ' + d.maximum + ']');
      if (d.maximum !== undefined && val > Number(d.maximum)) badArg(name, 'Invalid value \'' + v + '\'. Values must be within the range: [' + d.minimum + ', ' + d.maximum + ']');
    } else if (d.type === 'boolean') {
      if (v !== 'true' && v !== 'false') badArg(name, 'Invalid value \'' + v + '\' for parameter ' + name + ': not a boolean');
      val = v === 'true';
    } else if (d.enum && !d.enum.includes(v)) {
      badArg(name, 'Invalid value at \'' + name + '\', "' + v + '"');
    }
    if (d.repeated) (out[name] = out[name] || []).push(val);
    else out[name] = val;
  }
  return out;
}
// The request body checked against the method's request schema; a schema's
// requiredFor (discovery annotations.required) applies to this method only.
function body(api, methodId, raw, what) {
  const m = spec[api].methods[methodId];
  let b;
  try { b = raw ? JSON.parse(raw) : {}; } catch (e) {
    fail(400, 'Invalid JSON payload received. ' + e.message, {reason: 'parseError'});
  }
  if (!m.request) return b;
  const name = m.request.$ref;
  const at = what || name.charAt(0).toLowerCase() + name.slice(1);
  if (b === null || typeof b !== 'object' || Array.isArray(b)) fail(400, 'Invalid JSON payload received. Expected an object.', {reason: 'parseError'});
  const bad = check[api](name, b);
  if (bad.length) {
    const e = bad[0];
    const dotted = f => f.replace(/\.(\d+)(?=\.|$)/g, '[$1]');
    if (e.kind === 'undeclared')
      fail(400, 'Invalid JSON payload received. Unknown name "' + e.field.split('.').pop() + '" at \'' + (e.field.includes('.') ? at + '.' + dotted(e.field.split('.').slice(0, -1).join('.')) : at) +
                '\': Cannot find field.', {reason: 'invalid', field: e.field});
    if (e.kind === 'required') fail(400, 'Required field missing: ' + e.field, {reason: 'required', field: e.field});
    fail(400, 'Invalid value at \'' + at + (e.field ? '.' + e.field : '') + '\': ' + e.message, {reason: 'invalid', field: e.field || at});
  }
  const rf = (spec[api].schemas[name].requiredFor || {})[methodId] || [];
  for (const f of rf) if (b[f] === undefined || b[f] === null) fail(400, 'Required field missing: ' + f, {reason: 'required', field: f});
  return b;
}
function need(p, name) {
  if (p[name] === undefined || p[name] === '' || (Array.isArray(p[name]) && !p[name].length))
    fail(400, name + ' is required', {reason: 'required', field: name, location: name});
  return p[name];
}
// What binds a page or sync token to the first call: its parameters but the system ones every API takes
// (fields, prettyPrint, quotaUser, …: they shape the answer, not what is listed), and with a parameter
// left out the same as one sent at its documented default.
const SYSTEM_PARAMS = ['fields', 'prettyPrint', 'key', 'quotaUser', 'alt', 'access_token', 'oauth_token', 'callback',
                       'uploadType', 'upload_protocol', '$.xgafv', 'userIp'];
const DEFAULTS = {singleEvents: false, showDeleted: false, requestSyncToken: false, showHiddenInvitations: false,
                  alwaysIncludeEmail: false, includeSpamTrash: false, sortOrder: 'LAST_MODIFIED_ASCENDING'};
function sig(p, leaveOut) {
  const o = {};
  for (const k of Object.keys(p).sort())
    if (!leaveOut.includes(k) && !SYSTEM_PARAMS.includes(k) && p[k] !== undefined && DEFAULTS[k] !== p[k]) o[k] = p[k];
  return JSON.stringify(o);
}
// Offset paging of a listing computed afresh on each call (Tasks, Gmail, Drive): the page token holds the
// offset and the first call's parameters (page size aside); other parameters → 400 in the API's words.
function pageStart(api, p, sizeKey, bad) {
  if (p.pageToken === undefined) return 0;
  const h = lookup(p.pageToken, 'page');
  if (!h || h.api !== api || h.sig !== sig(p, ['pageToken', sizeKey])) fail(400, bad.message, bad);
  return h.offset;
}
function nextPage(api, p, sizeKey, start, size, total) {
  return start + size < total ? handle('page', api, {offset: start + size, sig: sig(p, ['pageToken', sizeKey])}) : undefined;
}
function count(route) {
  stats.requests++;
  stats.by_route[route] = (stats.by_route[route] || 0) + 1;
  if (route.startsWith('gmail.users.') && currentUser) gmailQuota(currentUser, route.slice('gmail.users.'.length));
}
// Gmail "Usage limits": 15,000 quota units per user per minute (userRateLimitExceeded), each method its
// units; the fake counts them over a sliding minute (/__control gmail_quota_per_minute changes the limit).
const GMAIL_UNITS = {getProfile: 1, 'history.list': 2, 'labels.create': 5, 'labels.delete': 5, 'labels.get': 1,
  'labels.list': 1, 'labels.update': 5, 'labels.patch': 5, 'messages.batchModify': 50, 'messages.delete': 10,
  'messages.get': 5, 'messages.import': 25, 'messages.insert': 25, 'messages.list': 5, 'messages.modify': 5,
  'messages.trash': 5, 'messages.untrash': 5};
let gmailPerMinute = 15000, currentUser = null;
function gmailQuota(u, method) {
  const t = now();
  const spent = u.gmail.spent || (u.gmail.spent = []);
  while (spent.length && spent[0].t <= t - 60000) spent.shift();
  const used = spent.reduce((a, x) => a + x.units, 0);
  const units = GMAIL_UNITS[method] || 5;
  if (used + units > gmailPerMinute)
    fail(403, 'User Rate Limit Exceeded', {reason: 'userRateLimitExceeded', domain: 'usageLimits', status: 'PERMISSION_DENIED',
                                           headers: {'Retry-After': String(Math.ceil((spent[0].t + 60000 - t) / 1000))}});
  spent.push({t, units});
  stats.gmail_units = (stats.gmail_units || 0) + units;
}

// ---------------------------------------------------------------- OAuth 2.0

// "Using OAuth 2.0 for Web Server Applications", Refreshing an access token
// (POST https://oauth2.googleapis.com/token, form-encoded) and "Using OAuth
// 2.0 for Server to Server Applications" (grant_type
// urn:ietf:params:oauth:grant-type:jwt-bearer, an RS256 JWT with iss, scope,
// aud, exp, iat and sub for domain-wide delegation). Errors as RFC 6749 5.2.
function tokenEndpoint(req, res, raw) {
  const f = new URLSearchParams(raw);
  const oauthErr = (status, error, description) => send(res, status, {error, error_description: description});
  if (!/^application\/x-www-form-urlencoded/.test(req.headers['content-type'] || ''))
    return oauthErr(400, 'invalid_request', 'Bad Request');
  const grant = f.get('grant_type');
  if (grant === 'authorization_code') return codeGrant(res, f, oauthErr);  // accord login (below)
  if (grant === 'refresh_token') {
    if (f.get('client_id') !== clientId || f.get('client_secret') !== clientSecret)
      return oauthErr(401, 'invalid_client', 'Unauthorized');
    const email = refreshTokens.get(f.get('refresh_token') || '');
    if (!email) return oauthErr(400, 'invalid_grant', 'Token has been expired or revoked.');
    const out = {access_token: issueAccess(email, tokenLifetime), expires_in: tokenLifetime,
                 scope: 'https://www.googleapis.com/auth/contacts https://www.googleapis.com/auth/calendar https://www.googleapis.com/auth/tasks https://mail.google.com/ https://www.googleapis.com/auth/drive.file',
                 token_type: 'Bearer'};
    if (rotate) {
      refreshTokens.delete(f.get('refresh_token'));
      out.refresh_token = '1//' + rid(16);
      refreshTokens.set(out.refresh_token, email);
    }
    return send(res, 200, out);
  }
  if (grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
    const parts = (f.get('assertion') || '').split('.');
    if (parts.length !== 3) return oauthErr(400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.');
    let header, claims;
    try {
      header = JSON.parse(Buffer.from(parts[0], 'base64url').toString());
      claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString());
    } catch (e) { return oauthErr(400, 'invalid_grant', 'Invalid JWT Signature.'); }
    if (header.alg !== 'RS256') return oauthErr(400, 'invalid_grant', 'Invalid JWT Signature.');
    const key = serviceAccounts.get(claims.iss);
    if (!key) return oauthErr(400, 'invalid_grant', 'Invalid grant: account not found');
    const ok = crypto.verify('RSA-SHA256', Buffer.from(parts[0] + '.' + parts[1]), key, Buffer.from(parts[2], 'base64url'));
    if (!ok) return oauthErr(400, 'invalid_grant', 'Invalid JWT Signature.');
    const t = Math.floor(now() / 1000);
    const aud = 'http://' + req.headers.host + '/token';
    if (claims.aud !== aud && claims.aud !== 'https://oauth2.googleapis.com/token')
      return oauthErr(400, 'invalid_grant', 'Invalid JWT: aud must be ' + aud);
    if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number' || claims.exp - claims.iat > 3600 ||
        claims.exp < t || claims.iat > t + 300)
      return oauthErr(400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.');
    if (!claims.scope) return oauthErr(400, 'invalid_scope', 'Empty or missing scope not allowed.');
    const email = claims.sub || claims.iss;
    if (claims.sub && !users.has(claims.sub)) return oauthErr(401, 'unauthorized_client', 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.');
    addUser(email);
    return send(res, 200, {access_token: issueAccess(email, tokenLifetime), expires_in: tokenLifetime, token_type: 'Bearer'});
  }
  return oauthErr(400, 'unsupported_grant_type', 'Invalid grant_type: ' + (grant || ''));
}

// accord login: "OAuth 2.0 for Mobile & Desktop Apps" (developers.google.com/identity/protocols/oauth2/native-app),
// Step 2 "Send a request to Google's OAuth 2.0 server" (GET https://accounts.google.com/o/oauth2/v2/auth: client_id,
// redirect_uri, response_type=code, scope, code_challenge, code_challenge_method S256|plain, state, login_hint) and
// Step 5 "Exchange authorization code for refresh and access tokens" (POST /token: code, client_id, client_secret,
// redirect_uri, grant_type=authorization_code, code_verifier; the answer's refresh_token_expires_in is set for
// time-limited refresh tokens: /__control {"testing_app": true} gives 7 days, as for an app in "Testing").
// Loopback redirects (the "Loopback IP address" option) match any port. The user consents at once; /__control
// {"authorize_error": "access_denied"} makes them decline.
const authCodes = new Map();  // code → {email, redirect, challenge, method, scope, used}
let testingApp = false, authorizeError = null;
function authorizeEndpoint(res, url) {
  const p = url.searchParams;
  const page = text => { res.writeHead(400, {'Content-Type': 'text/html; charset=utf-8'}); res.end('<html><body>' + text + '</body></html>'); };
  if (p.get('client_id') !== clientId) return page('Error 401: invalid_client The OAuth client was not found.');
  let r;
  try { r = new URL(p.get('redirect_uri') || ''); } catch (e) { return page('Error 400: redirect_uri_mismatch'); }
  if (r.protocol !== 'http:' || !['127.0.0.1', '[::1]', 'localhost'].includes(r.hostname)) return page('Error 400: redirect_uri_mismatch');
  const back = params => {
    if (p.get('state') !== null) params.state = p.get('state');
    for (const [k, v] of Object.entries(params)) r.searchParams.set(k, v);
    res.writeHead(302, {Location: r.toString()});
    res.end();
  };
  if (p.get('response_type') !== 'code') return page('Error 400: invalid_request Invalid response_type');
  if (!p.get('scope')) return page('Error 400: invalid_request Missing required parameter: scope');
  const method = p.get('code_challenge') ? (p.get('code_challenge_method') || 'plain') : null;
  if (method && !['S256', 'plain'].includes(method)) return page('Error 400: invalid_request Invalid code_challenge_method');
  if (authorizeError) return back({error: authorizeError});
  const email = p.get('login_hint') && users.has(p.get('login_hint')) ? p.get('login_hint') : firstUser;
  const code = '4/0A' + rid(20);
  authCodes.set(code, {email, redirect: p.get('redirect_uri'), challenge: p.get('code_challenge'), method, scope: p.get('scope'), used: false});
  count('oauth.authorize');
  return back({code, scope: p.get('scope')});
}
function codeGrant(res, f, oauthErr) {
  if (f.get('client_id') !== clientId || f.get('client_secret') !== clientSecret) return oauthErr(401, 'invalid_client', 'Unauthorized');
  const c = authCodes.get(f.get('code') || '');
  if (!c || c.used) return oauthErr(400, 'invalid_grant', 'Malformed auth code.');
  if (f.get('redirect_uri') !== c.redirect) return oauthErr(400, 'redirect_uri_mismatch', 'Bad Request');
  if (c.challenge) {
    const v = f.get('code_verifier');
    if (!v) return oauthErr(400, 'invalid_grant', 'Missing code verifier.');
    const made = c.method === 'S256' ? crypto.createHash('sha256').update(v).digest('base64url') : v;
    if (made !== c.challenge) return oauthErr(400, 'invalid_grant', 'Invalid code verifier.');
  }
  c.used = true;
  const refresh = '1//' + rid(16);
  refreshTokens.set(refresh, c.email);
  const out = {access_token: issueAccess(c.email, tokenLifetime), expires_in: tokenLifetime, refresh_token: refresh,
               scope: c.scope, token_type: 'Bearer'};
  if (testingApp) out.refresh_token_expires_in = 604799;
  return send(res, 200, out);
}

// "Authorize requests" of each API: a missing or invalid bearer token is 401.
function authenticate(req, api, method) {
  const tok = bearer(req);
  const hasHeader = /^Bearer /.test(req.headers.authorization || '');
  if (!hasHeader || !tok)
    fail(401, 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
         {reason: 'required', location: 'Authorization', locationType: 'header', info: 'CREDENTIALS_MISSING',
          metadata: {service: api + '.googleapis.com', method}, headers: {'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/"'}});
  const a = accessTokens.get(tok);
  if (!a || a.expires <= now())
    fail(401, 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
         {reason: 'authError', location: 'Authorization', locationType: 'header', info: 'ACCESS_TOKEN_EXPIRED',
          metadata: {service: api + '.googleapis.com', method},
          headers: {'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"'}});
  return users.get(a.email);
}

// Injected rate limits (and, with status 500 or 503, back-end errors): Calendar's "Handle API errors" (403 and 429
// rateLimitExceeded / userRateLimitExceeded, domain usageLimits), People's
// 429 RESOURCE_EXHAUSTED with ErrorInfo RATE_LIMIT_EXCEEDED.
function limited(path, api) {
  if (!rateLimit || rateLimit.count <= 0) return;
  if (rateLimit.path && !path.startsWith(rateLimit.path)) return;
  rateLimit.count--;
  const status = rateLimit.status || 429;
  const reason = rateLimit.reason || 'rateLimitExceeded';
  const headers = rateLimit.retry_after !== undefined ? {'Retry-After': String(rateLimit.retry_after)} : {};
  const message = reason === 'userRateLimitExceeded' ? 'User Rate Limit Exceeded' : 'Rate Limit Exceeded';
  // 500 and 503 ("Handle API errors": backendError, retry with back-off) in the API's own envelope
  if (status >= 500)
    fail(status, status === 503 ? 'The service is currently unavailable.' : 'Backend Error',
         {reason: 'backendError', headers, status: status === 503 ? 'UNAVAILABLE' : 'INTERNAL'});
  if (api === 'people')
    fail(429, "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user' of service 'people.googleapis.com'.",
         {info: 'RATE_LIMIT_EXCEEDED', headers, metadata: {service: 'people.googleapis.com', quota_metric: 'people.googleapis.com/read_requests'}});
  fail(status, message, {reason, domain: 'usageLimits', headers, status: status === 429 ? 'RESOURCE_EXHAUSTED' : 'PERMISSION_DENIED'});
}

// ================================================================ People API v1

// The masks' valid paths, as the reference lists them ("Valid values are: * addresses * …").
function validPaths(text) { return text.replace(/^[\s\S]*Valid (?:values|fields) are:/, '').split('*').map(x => x.trim()).filter(Boolean); }
const peopleMethod = id => spec.people.methods[id].parameters;
const PERSON_FIELDS = validPaths(peopleMethod('people.people.connections.list').personFields.description);
const UPDATE_FIELDS = validPaths(peopleMethod('people.people.updateContact').updatePersonFields.description);
const GROUP_FIELDS = validPaths(peopleMethod('people.contactGroups.list').groupFields.description);
// Fields a contact source holds (the writable Person fields but memberships, kept apart).
const CONTACT_FIELDS = ['addresses', 'biographies', 'birthdays', 'calendarUrls', 'clientData', 'emailAddresses', 'events',
  'externalIds', 'fileAses', 'genders', 'imClients', 'interests', 'locales', 'locations', 'miscKeywords', 'names',
  'nicknames', 'occupations', 'organizations', 'phoneNumbers', 'relations', 'sipAddresses', 'skills', 'urls', 'userDefined'];
const SINGLETONS = ['biographies', 'birthdays', 'genders', 'names'];

function mask(v, name, valid) {
  const paths = String(v).split(',').map(s => s.trim()).filter(Boolean);
  if (!paths.length) fail(400, name + ' mask is required. Please specify one or more valid paths. Valid paths are documented at https://developers.google.com/people/api/rest/v1/people/get.', {field: name});
  for (const p of paths)
    if (!valid.includes(p)) fail(400, 'Invalid ' + name + ' mask path: "' + p + '". Valid paths are documented at https://developers.google.com/people/api/rest/v1/people/get.', {field: name});
  return paths;
}
function personFieldsOf(p, name) {
  if (p[name] !== undefined) return mask(p[name], name, PERSON_FIELDS);
  if (p['requestMask.includeField'] !== undefined)
    return mask(String(p['requestMask.includeField']).split(',').map(s => s.trim().replace(/^person\./, '')).join(','), 'requestMask.includeField', PERSON_FIELDS);
  fail(400, name + ' mask is required. Please specify one or more valid paths. Valid paths are documented at https://developers.google.com/people/api/rest/v1/people/get.', {field: name});
}
function visible(rec) { return rec.visibleAt <= now(); }

function personView(u, rec, fields) {
  const id = rec.resourceName.split('/')[1];
  const src = {type: 'CONTACT', id: rec.sourceId};
  const out = {resourceName: rec.resourceName, etag: rec.etag};
  if (rec.deleted) {
    out.metadata = {sources: [Object.assign({}, src, {etag: rec.sourceEtag, updateTime: iso(rec.updated)})], objectType: 'PERSON', deleted: true};
    return out;
  }
  if (fields.includes('metadata'))
    out.metadata = {sources: [Object.assign({}, src, {etag: rec.sourceEtag, updateTime: iso(rec.updated)})], objectType: 'PERSON'};
  for (const f of fields) {
    if (f === 'metadata') continue;
    if (f === 'memberships') {
      const groups = [...u.people.groups.values()].filter(g => g.members.has(rec.resourceName));
      if (groups.length)
        out.memberships = groups.map(g => ({metadata: {source: src},
          contactGroupMembership: {contactGroupId: g.resourceName.split('/')[1], contactGroupResourceName: g.resourceName}}));
      continue;
    }
    const items = rec.data[f];
    if (!items || !items.length) continue;
    out[f] = items.map((it, i) => {
      const o = JSON.parse(JSON.stringify(it));
      o.metadata = Object.assign({}, o.metadata || {}, {source: src}, i === 0 ? {primary: true, sourcePrimary: true} : {});
      if (f === 'names') {
        const dn = [o.givenName, o.middleName, o.familyName].filter(Boolean).join(' ') || o.unstructuredName || '';
        o.displayName = dn;
        o.displayNameLastFirst = [o.familyName, [o.givenName, o.middleName].filter(Boolean).join(' ')].filter(Boolean).join(', ') || dn;
        if (!o.unstructuredName) o.unstructuredName = dn;
      }
      if (f === 'emailAddresses' || f === 'phoneNumbers' || f === 'addresses')
        if (o.type && !o.formattedType) o.formattedType = o.type.charAt(0).toUpperCase() + o.type.slice(1);
      return o;
    });
  }
  void id;
  return out;
}
// Keeps the contact-source fields of a Person as sent (output-only parts dropped).
function personData(person, fields) {
  const d = {};
  for (const f of fields) {
    if (!CONTACT_FIELDS.includes(f)) continue;
    const items = person[f];
    if (!items) continue;
    if (SINGLETONS.includes(f) && items.length > 1)
      fail(400, 'Field "' + f + '" is a singleton for contact sources; only one value is allowed.', {field: 'person.' + f});
    d[f] = items.map(it => {
      const o = JSON.parse(JSON.stringify(it));
      delete o.metadata;
      for (const k of ['displayName', 'displayNameLastFirst', 'formattedType', 'formattedValue', 'canonicalForm', 'formattedProtocol'])
        delete o[k];
      return o;
    });
  }
  return d;
}
function touchPerson(u, rec) {
  rec.updated = stamp();
  rec.changed = tick(u);
  rec.visibleAt = now() + propagationMs;
  rec.etag = '%' + Buffer.from('EgcBAj0JPjcuGgQBAgUHIgw' + rid(6)).toString('base64');
  rec.sourceEtag = '#' + Buffer.from(rid(8)).toString('base64');
}
function createPerson(u, person) {
  const id = 'c' + (BigInt('0x' + rid(8)) % 10000000000000000000n).toString();
  const rec = {resourceName: 'people/' + id, sourceId: rid(8), data: personData(person, CONTACT_FIELDS), deleted: false};
  touchPerson(u, rec);
  u.people.persons.set(rec.resourceName, rec);
  u.people.groups.get('contactGroups/myContacts').members.add(rec.resourceName);
  applyMemberships(u, rec, person.memberships);
  return rec;
}
function applyMemberships(u, rec, memberships) {
  if (!memberships) return;
  const want = new Set();
  for (const m of memberships) {
    const g = m.contactGroupMembership && m.contactGroupMembership.contactGroupResourceName;
    if (!g) continue;
    if (!u.people.groups.has(g)) fail(400, 'Contact group not found: ' + g, {field: 'person.memberships'});
    want.add(g);
  }
  if (!want.size) fail(400, 'Person must be in at least one contact group membership.', {field: 'person.memberships'});
  for (const g of u.people.groups.values()) {
    if (want.has(g.resourceName)) g.members.add(rec.resourceName);
    else g.members.delete(rec.resourceName);
  }
}
function personRec(u, resourceName) {
  const rec = u.people.persons.get(resourceName);
  if (!rec || rec.deleted) fail(404, 'Requested entity was not found.', {status: 'NOT_FOUND'});
  return rec;
}
// The etag checks of people.updateContact: "returns a 400 error if
// person.metadata.sources is not specified … with reason failedPrecondition
// if person.metadata.sources.etag is different than the contact's etag".
function checkEtags(rec, person, at) {
  const sources = person.metadata && person.metadata.sources;
  if (!sources || !sources.length) fail(400, 'Request must set person.metadata.sources.', {field: at + '.metadata.sources'});
  const contact = sources.find(s => s.type === 'CONTACT');
  if (!contact) fail(400, 'Request must include the contact source in person.metadata.sources.', {field: at + '.metadata.sources'});
  if ((contact.etag !== undefined && contact.etag !== rec.sourceEtag) || (person.etag !== undefined && person.etag !== rec.etag))
    fail(400, 'Request person.etag is different than the current person.etag. Clear local cache and get the latest person.',
         {status: 'FAILED_PRECONDITION', reason: 'failedPrecondition'});
  if (contact.etag === undefined && person.etag === undefined)
    fail(400, 'Request must set person.etag or person.metadata.sources.etag.', {field: at + '.etag'});
}
function updatePerson(u, rn, person, updateFields) {
  const rec = personRec(u, rn);
  checkEtags(rec, person, 'person');
  const fresh = personData(person, updateFields);
  for (const f of updateFields) {
    if (f === 'memberships') continue;
    if (fresh[f] && fresh[f].length) rec.data[f] = fresh[f];
    else delete rec.data[f];
  }
  if (updateFields.includes('memberships')) applyMemberships(u, rec, person.memberships || []);
  touchPerson(u, rec);
  return rec;
}
function deletePerson(u, rn) {
  const rec = personRec(u, rn);
  rec.deleted = true;
  rec.data = {};
  for (const g of u.people.groups.values()) g.members.delete(rn);
  touchPerson(u, rec);
}

// "Sync tokens expire 7 days after the full sync. A request with an expired sync token will get an error
// with an google.rpc.ErrorInfo with reason EXPIRED_SYNC_TOKEN" (people.connections/list): 400 FAILED_PRECONDITION.
function expiredSyncToken() {
  fail(400, 'Sync token is expired. Clear local cache and retry call without the sync token.',
       {status: 'FAILED_PRECONDITION', info: 'EXPIRED_SYNC_TOKEN', domain: 'people.googleapis.com',
        metadata: {service: 'people.googleapis.com'}});
}
function listConnections(u, p, res) {
  if (p.resourceName !== 'people/me') fail(400, 'Only people/me is valid.', {field: 'resource_name'});
  const fields = personFieldsOf(p, 'personFields');
  const size = p.pageSize === undefined || p.pageSize === 0 ? 100 : p.pageSize;
  if (size < 1 || size > 1000) fail(400, 'pageSize must be between 1 and 1000, inclusive.', {field: 'page_size'});
  let h;
  if (p.pageToken !== undefined) {
    h = lookup(p.pageToken, 'page');
    if (!h || h.api !== 'people') fail(400, 'Invalid page token.', {field: 'page_token'});
    // "When the page_token or sync_token is specified, all other request parameters must match the first call."
    if (h.sig !== sig(p, ['pageToken', 'pageSize'])) fail(400, 'Parameters provided with a page token do not match those of the first call.', {field: 'page_token'});
  } else {
    let since = 0;
    if (p.syncToken !== undefined) {
      const s = lookup(p.syncToken, 'sync');
      if (!s || s.api !== 'people') fail(400, 'Sync token is invalid.', {field: 'sync_token'});
      if (expired(s)) expiredSyncToken();
      if (s.sig !== sig(p, ['syncToken', 'pageSize'])) fail(400, 'Parameters provided with a sync token do not match those of the first call.', {field: 'sync_token'});
      since = s.watermark;
    }
    let rows = [...u.people.persons.values()].filter(r => visible(r) && r.changed > since && (since > 0 || !r.deleted));
    const order = p.sortOrder || 'LAST_MODIFIED_ASCENDING';
    if (since === 0 && order !== 'LAST_MODIFIED_ASCENDING') {
      const key = r => order === 'FIRST_NAME_ASCENDING' ? ((r.data.names || [{}])[0].givenName || '') :
                       order === 'LAST_NAME_ASCENDING' ? ((r.data.names || [{}])[0].familyName || '') : -r.updated;
      rows.sort((a, b) => key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
    } else rows.sort((a, b) => a.changed - b.changed);
    // writes not yet visible hold the watermark back, so they show in a later sync
    const pending = [...u.people.persons.values()].filter(r => !visible(r)).map(r => r.changed);
    const watermark = pending.length ? Math.min(...pending) - 1 : u.clock;
    // pageSize may change from page to page and from sync to sync: it does not change what is listed
    h = {items: rows.map(r => r.resourceName), offset: 0, since, watermark, sig: sig(p, ['pageToken', 'pageSize']),
         firstSig: sig(p, ['syncToken', 'pageToken', 'pageSize'])};
  }
  const page = h.items.slice(h.offset, h.offset + size);
  const out = {connections: page.map(rn => personView(u, u.people.persons.get(rn), fields))};
  if (!out.connections.length) delete out.connections;
  if (h.offset + size < h.items.length) {
    out.nextPageToken = handle('page', 'people', Object.assign({}, h, {offset: h.offset + size}));
  } else if (p.requestSyncToken) {
    out.nextSyncToken = handle('sync', 'people', {watermark: h.watermark, sig: h.firstSig});
  }
  out.totalPeople = out.totalItems = h.items.length;
  send(res, 200, out);
}

function people(req, res, url, u, raw) {
  const path = url.pathname.slice('/v1/'.length);
  const M = req.method;
  let m;
  // people.connections.list: GET /v1/{resourceName=people/*}/connections
  // (reference: people.connections/list; guide: "Read and manage contacts", "List the user's contacts that have changed")
  if (M === 'GET' && (m = /^(people\/[^/:]+)\/connections$/.exec(path))) {
    count('people.connections.list');
    const p = params('people', 'people.people.connections.list', url);
    p.resourceName = m[1];
    return listConnections(u, p, res);
  }
  // people.createContact: POST /v1/people:createContact, body Person (reference: people/createContact)
  if (M === 'POST' && path === 'people:createContact') {
    count('people.createContact');
    const p = params('people', 'people.people.createContact', url);
    const fields = p.personFields !== undefined ? mask(p.personFields, 'personFields', PERSON_FIELDS) : CONTACT_FIELDS.concat(['metadata', 'memberships']);
    const b = body('people', 'people.people.createContact', raw, 'person');
    return send(res, 200, personView(u, createPerson(u, b), fields));
  }
  // people.batchCreateContacts: POST /v1/people:batchCreateContacts, "Allows up to 200 contacts in a single request"
  // (reference: people/batchCreateContacts)
  if (M === 'POST' && path === 'people:batchCreateContacts') {
    count('people.batchCreateContacts');
    params('people', 'people.people.batchCreateContacts', url);
    const b = body('people', 'people.people.batchCreateContacts', raw);
    const fields = mask(b.readMask, 'readMask', PERSON_FIELDS);
    if (!b.contacts.length) fail(400, 'contacts must not be empty.', {field: 'contacts'});
    if (b.contacts.length > 200) fail(400, 'Too many contacts in the request. The maximum is 200.', {field: 'contacts'});
    for (const c of b.contacts) if (!c.contactPerson) fail(400, 'Required field missing: contacts.contactPerson', {field: 'contacts.contact_person'});
    for (const c of b.contacts) personData(c.contactPerson, CONTACT_FIELDS);   // all or nothing
    const created = b.contacts.map(c => createPerson(u, c.contactPerson));
    return send(res, 200, {createdPeople: created.map(r => ({httpStatusCode: 200, person: personView(u, r, fields),
                                                             requestedResourceName: r.resourceName, status: {}}))});
  }
  // people.batchUpdateContacts: POST /v1/people:batchUpdateContacts, {contacts: {resourceName: Person}, updateMask,
  // readMask}, "Allows up to 200 contacts" (reference: people/batchUpdateContacts)
  if (M === 'POST' && path === 'people:batchUpdateContacts') {
    count('people.batchUpdateContacts');
    params('people', 'people.people.batchUpdateContacts', url);
    const b = body('people', 'people.people.batchUpdateContacts', raw);
    const upd = mask(b.updateMask, 'updateMask', UPDATE_FIELDS);
    const fields = mask(b.readMask, 'readMask', PERSON_FIELDS);
    const names = Object.keys(b.contacts);
    if (!names.length) fail(400, 'contacts must not be empty.', {field: 'contacts'});
    if (names.length > 200) fail(400, 'Too many contacts in the request. The maximum is 200.', {field: 'contacts'});
    for (const rn of names) checkEtags(personRec(u, rn), b.contacts[rn], 'contacts[' + rn + ']');   // first: the batch fails whole
    const out = {};
    for (const rn of names) out[rn] = {httpStatusCode: 200, person: personView(u, updatePerson(u, rn, b.contacts[rn], upd), fields),
                                       requestedResourceName: rn, status: {}};
    return send(res, 200, {updateResult: out});
  }
  // people.batchDeleteContacts: POST /v1/people:batchDeleteContacts {resourceNames} "up to 500" (reference: people/batchDeleteContacts)
  if (M === 'POST' && path === 'people:batchDeleteContacts') {
    count('people.batchDeleteContacts');
    params('people', 'people.people.batchDeleteContacts', url);
    const b = body('people', 'people.people.batchDeleteContacts', raw);
    if (!b.resourceNames.length) fail(400, 'resourceNames must not be empty.', {field: 'resource_names'});
    if (b.resourceNames.length > 500) fail(400, 'Too many resource names in the request. The maximum is 500.', {field: 'resource_names'});
    for (const rn of b.resourceNames) personRec(u, rn);
    for (const rn of b.resourceNames) deletePerson(u, rn);
    return send(res, 200, {});
  }
  // people.getBatchGet: GET /v1/people:batchGet?resourceNames=…&personFields=… (at most 200; reference: people/getBatchGet)
  if (M === 'GET' && path === 'people:batchGet') {
    count('people.getBatchGet');
    const p = params('people', 'people.people.getBatchGet', url);
    const fields = personFieldsOf(p, 'personFields');
    const names = need(p, 'resourceNames');
    if (names.length > 200) fail(400, 'Too many resource names. The maximum is 200.', {field: 'resource_names'});
    return send(res, 200, {responses: names.map(rn => {
      const rec = u.people.persons.get(rn);
      if (!rec || rec.deleted) return {httpStatusCode: 404, requestedResourceName: rn, status: {code: 5, message: 'Requested entity was not found.'}};
      return {httpStatusCode: 200, person: personView(u, rec, fields), requestedResourceName: rn, status: {}};
    })});
  }
  // people.searchContacts: GET /v1/people:searchContacts?query&readMask&pageSize (≤ 30): prefix match on names,
  // nicknames, email addresses, phone numbers and organizations (reference: people/searchContacts)
  if (M === 'GET' && path === 'people:searchContacts') {
    count('people.searchContacts');
    const p = params('people', 'people.people.searchContacts', url);
    const q = String(need(p, 'query')).toLowerCase();
    const fields = mask(need(p, 'readMask'), 'readMask', PERSON_FIELDS);
    const size = p.pageSize || 10;
    if (size > 30) fail(400, 'pageSize must be at most 30.', {field: 'page_size'});
    const words = r => ['names', 'nicknames', 'emailAddresses', 'phoneNumbers', 'organizations'].flatMap(f => (r.data[f] || [])
      .flatMap(it => Object.values(it).filter(v => typeof v === 'string'))).flatMap(s => s.toLowerCase().split(/[\s@.,]+/).concat([s.toLowerCase()]));
    const hits = [...u.people.persons.values()].filter(r => !r.deleted && visible(r) && words(r).some(w => w.startsWith(q))).slice(0, size);
    return send(res, 200, hits.length ? {results: hits.map(r => ({person: personView(u, r, fields)}))} : {});
  }
  // people.updateContact: PATCH /v1/{resourceName=people/*}:updateContact?updatePersonFields=… (reference: people/updateContact)
  if (M === 'PATCH' && (m = /^(people\/[^/:]+):updateContact$/.exec(path))) {
    count('people.updateContact');
    const p = params('people', 'people.people.updateContact', url);
    if (p.updatePersonFields === undefined) fail(400, 'updatePersonFields mask is required. Please specify one or more valid paths. Valid paths are documented at https://developers.google.com/people/api/rest/v1/people/updateContact.', {field: 'update_person_fields'});
    const upd = mask(p.updatePersonFields, 'updatePersonFields', UPDATE_FIELDS);
    const fields = p.personFields !== undefined ? mask(p.personFields, 'personFields', PERSON_FIELDS) : CONTACT_FIELDS.concat(['metadata', 'memberships']);
    const b = body('people', 'people.people.updateContact', raw, 'person');
    if (b.resourceName !== undefined && b.resourceName !== m[1]) fail(400, 'person.resourceName does not match the request\'s resource name.', {field: 'person.resource_name'});
    return send(res, 200, personView(u, updatePerson(u, m[1], b, upd), fields));
  }
  // people.deleteContact: DELETE /v1/{resourceName=people/*}:deleteContact → {} (reference: people/deleteContact)
  if (M === 'DELETE' && (m = /^(people\/[^/:]+):deleteContact$/.exec(path))) {
    count('people.deleteContact');
    params('people', 'people.people.deleteContact', url);
    deletePerson(u, m[1]);
    return send(res, 200, {});
  }
  // people.get: GET /v1/{resourceName=people/*}?personFields=… (reference: people/get)
  if (M === 'GET' && (m = /^(people\/[^/:]+)$/.exec(path))) {
    count('people.get');
    const p = params('people', 'people.people.get', url);
    const fields = personFieldsOf(p, 'personFields');
    // "Use people/me to indicate the authenticated user": the account's profile, not a contact
    if (m[1] === 'people/me') {
      const id = String(BigInt('0x' + crypto.createHash('sha256').update(u.email).digest('hex').slice(0, 15)));
      const src = {type: 'PROFILE', id};
      const out = {resourceName: 'people/' + id, etag: '%' + Buffer.from(u.email).toString('base64')};
      if (fields.includes('metadata')) out.metadata = {sources: [src], objectType: 'PERSON'};
      if (fields.includes('names')) out.names = [{metadata: {primary: true, source: src}, displayName: u.email.split('@')[0], unstructuredName: u.email.split('@')[0]}];
      if (fields.includes('emailAddresses')) out.emailAddresses = [{metadata: {primary: true, verified: true, source: src}, value: u.email}];
      return send(res, 200, out);
    }
    return send(res, 200, personView(u, personRec(u, m[1]), fields));
  }
  return contactGroups(req, res, url, u, raw, path);
}

// ---- contact groups (reference: contactGroups/*; guide: "Read and manage contact groups")
function groupView(g, fields, maxMembers) {
  const out = {resourceName: g.resourceName, etag: g.etag};
  if (g.deleted) { out.metadata = {updateTime: iso(g.updated), deleted: true}; return out; }
  if (fields.includes('metadata')) out.metadata = {updateTime: iso(g.updated || 0)};
  if (fields.includes('groupType')) out.groupType = g.groupType;
  if (fields.includes('name')) { out.name = g.name; out.formattedName = g.groupType === 'SYSTEM_CONTACT_GROUP' ? ({myContacts: 'My Contacts', starred: 'Starred'}[g.name] || g.name) : g.name; }
  if (fields.includes('memberCount') && g.members.size) out.memberCount = g.members.size;
  if (fields.includes('clientData') && g.clientData.length) out.clientData = g.clientData;
  if (maxMembers) out.memberResourceNames = [...g.members].slice(0, maxMembers);
  return out;
}
function touchGroup(u, g) { g.updated = stamp(); g.changed = tick(u); g.etag = rid(6); }
function contactGroups(req, res, url, u, raw, path) {
  const M = req.method;
  const G = u.people.groups;
  let m;
  // contactGroups.list: GET /v1/contactGroups?pageSize&pageToken&syncToken&groupFields
  if (M === 'GET' && path === 'contactGroups') {
    count('contactGroups.list');
    const p = params('people', 'people.contactGroups.list', url);
    // "Defaults to metadata, groupType, memberCount, and name if not set or set to empty."
    const fields = p.groupFields ? mask(p.groupFields, 'groupFields', GROUP_FIELDS) : ['metadata', 'groupType', 'memberCount', 'name'];
    const size = p.pageSize || 30;
    if (size < 1 || size > 1000) fail(400, 'pageSize must be between 1 and 1000, inclusive.', {field: 'page_size'});
    let h;
    if (p.pageToken !== undefined) {
      h = lookup(p.pageToken, 'page');
      if (!h || h.api !== 'contactGroups' || h.sig !== sig(p, ['pageToken'])) fail(400, 'Invalid page token.', {field: 'page_token'});
    } else {
      let since = 0;
      if (p.syncToken !== undefined) {
        const s = lookup(p.syncToken, 'sync');
        if (!s || s.api !== 'contactGroups') fail(400, 'Sync token is invalid.', {field: 'sync_token'});
        if (expired(s)) expiredSyncToken();
        since = s.watermark;
      }
      const rows = [...G.values()].filter(g => (g.changed > since || since === 0) && (since > 0 || !g.deleted));
      h = {items: rows.map(g => g.resourceName), offset: 0, watermark: u.clock, sig: sig(p, ['pageToken'])};
    }
    const page = h.items.slice(h.offset, h.offset + size);
    const out = {contactGroups: page.map(rn => groupView(G.get(rn), fields)), totalItems: h.items.length};
    if (h.offset + size < h.items.length) out.nextPageToken = handle('page', 'contactGroups', Object.assign({}, h, {offset: h.offset + size}));
    else out.nextSyncToken = handle('sync', 'contactGroups', {watermark: h.watermark});
    return send(res, 200, out);
  }
  // contactGroups.create: POST /v1/contactGroups {contactGroup: {name, clientData}, readGroupFields}
  if (M === 'POST' && path === 'contactGroups') {
    count('contactGroups.create');
    params('people', 'people.contactGroups.create', url);
    const b = body('people', 'people.contactGroups.create', raw);
    if (!b.contactGroup.name) fail(400, 'Required field missing: contactGroup.name', {field: 'contact_group.name'});
    for (const g of G.values()) if (!g.deleted && g.name === b.contactGroup.name)
      fail(409, 'Contact group name already exists.', {status: 'ALREADY_EXISTS'});
    const id = rid(7);
    const g = {resourceName: 'contactGroups/' + id, name: b.contactGroup.name, groupType: 'USER_CONTACT_GROUP',
               clientData: b.contactGroup.clientData || [], members: new Set()};
    touchGroup(u, g);
    G.set(g.resourceName, g);
    const fields = b.readGroupFields ? mask(b.readGroupFields, 'readGroupFields', GROUP_FIELDS) : ['metadata', 'groupType', 'name'];
    return send(res, 200, groupView(g, fields));
  }
  // contactGroups.members.modify: POST /v1/{resourceName=contactGroups/*}/members:modify (≤ 1000 names)
  if (M === 'POST' && (m = /^(contactGroups\/[^/:]+)\/members:modify$/.exec(path))) {
    count('contactGroups.members.modify');
    params('people', 'people.contactGroups.members.modify', url);
    const b = body('people', 'people.contactGroups.members.modify', raw);
    const g = G.get(m[1]);
    if (!g || g.deleted) fail(404, 'Requested entity was not found.');
    const add = b.resourceNamesToAdd || [], rem = b.resourceNamesToRemove || [];
    if (add.length + rem.length > 1000) fail(400, 'The total number of resource names must be at most 1000.', {field: 'resource_names_to_add'});
    if (add.length && g.groupType === 'SYSTEM_CONTACT_GROUP' && !['contactGroups/myContacts', 'contactGroups/starred'].includes(g.resourceName))
      fail(400, 'Cannot add contacts to a deprecated system contact group.');
    const out = {};
    const notFound = [], lastGroup = [];
    for (const rn of add) {
      const r = u.people.persons.get(rn);
      if (!r || r.deleted) { notFound.push(rn); continue; }
      g.members.add(rn); touchPerson(u, r);
    }
    for (const rn of rem) {
      const r = u.people.persons.get(rn);
      if (!r || r.deleted) { notFound.push(rn); continue; }
      const others = [...G.values()].filter(x => x !== g && x.members.has(rn));
      if (!others.length && g.members.has(rn)) { lastGroup.push(rn); continue; }
      g.members.delete(rn); touchPerson(u, r);
    }
    touchGroup(u, g);
    if (notFound.length) out.notFoundResourceNames = notFound;
    if (lastGroup.length) out.canNotRemoveLastContactGroupResourceNames = lastGroup;
    return send(res, 200, out);
  }
  if ((m = /^(contactGroups\/[^/:]+)$/.exec(path))) {
    const g = G.get(m[1]);
    // contactGroups.get: GET /v1/{resourceName=contactGroups/*}?maxMembers&groupFields
    if (M === 'GET') {
      count('contactGroups.get');
      const p = params('people', 'people.contactGroups.get', url);
      if (!g || g.deleted) fail(404, 'Requested entity was not found.');
      const fields = p.groupFields !== undefined ? mask(p.groupFields, 'groupFields', GROUP_FIELDS) : ['metadata', 'groupType', 'memberCount', 'name'];
      return send(res, 200, groupView(g, fields, p.maxMembers));
    }
    // contactGroups.update: PUT /v1/{resourceName=contactGroups/*} {contactGroup: {name, etag}, updateGroupFields}
    if (M === 'PUT') {
      count('contactGroups.update');
      params('people', 'people.contactGroups.update', url);
      const b = body('people', 'people.contactGroups.update', raw);
      if (!g || g.deleted) fail(404, 'Requested entity was not found.');
      if (g.groupType === 'SYSTEM_CONTACT_GROUP') fail(400, 'System contact groups cannot be updated.');
      if (b.contactGroup.etag !== undefined && b.contactGroup.etag !== g.etag)
        fail(400, 'Request contactGroup.etag is different than the current contactGroup.etag.', {status: 'FAILED_PRECONDITION', reason: 'failedPrecondition'});
      const upd = b.updateGroupFields ? mask(b.updateGroupFields, 'updateGroupFields', ['clientData', 'name']) : ['name'];
      if (upd.includes('name')) g.name = b.contactGroup.name;
      if (upd.includes('clientData')) g.clientData = b.contactGroup.clientData || [];
      touchGroup(u, g);
      return send(res, 200, groupView(g, b.readGroupFields ? mask(b.readGroupFields, 'readGroupFields', GROUP_FIELDS) : ['metadata', 'groupType', 'name']));
    }
    // contactGroups.delete: DELETE /v1/{resourceName=contactGroups/*}?deleteContacts
    if (M === 'DELETE') {
      count('contactGroups.delete');
      const p = params('people', 'people.contactGroups.delete', url);
      if (!g || g.deleted) fail(404, 'Requested entity was not found.');
      if (g.groupType === 'SYSTEM_CONTACT_GROUP') fail(400, 'System contact groups cannot be deleted.');
      if (p.deleteContacts) for (const rn of [...g.members]) deletePerson(u, rn);
      else for (const rn of g.members) { const r = u.people.persons.get(rn); if (r) touchPerson(u, r); }
      g.members.clear();
      g.deleted = true;
      touchGroup(u, g);
      return send(res, 200, {});
    }
  }
  fail(404, 'Requested entity was not found.', {status: 'NOT_FOUND'});
}

// ================================================================ dispatch

function apiOf(path) {
  if (path.startsWith('/v1/')) return 'people';
  if (path.startsWith('/calendar/v3/')) return 'calendar';
  if (path.startsWith('/tasks/v1/')) return 'tasks';
  if (path.startsWith('/gmail/v1/') || path.startsWith('/upload/gmail/v1/')) return 'gmail';
  if (path.startsWith('/drive/v3/') || path.startsWith('/upload/drive/v3/')) return 'drive';
  return null;
}
const routes = {people};   // the others add themselves below

function testRoutes(req, res, url, raw) {
  const p = url.pathname;
  if (p === '/__control') {
    control(raw, {
      expire_tokens: v => { if (v) for (const a of accessTokens.values()) a.expires = 0; },
      token_lifetime: v => { tokenLifetime = v; },
      rotate_refresh_token: v => { rotate = !!v; },
      revoke_refresh_token: v => { if (v) refreshTokens.clear(); },
      expire_sync_tokens: v => {
        for (const a of v) expiredBefore[a] = handleSeq;
        // Gmail: every history id so far becomes too old (404), as after a week
        if (v.includes('gmail')) for (const u of users.values()) { u.gmail.oldestHistory = u.gmail.historyId; u.gmail.history = []; }
      },
      rate_limit: v => { rateLimit = Object.assign({}, v); },
      propagation_delay_ms: v => { propagationMs = v; },
      gmail_quota_per_minute: v => { gmailPerMinute = v; },
      testing_app: v => { testingApp = !!v; },            // accord login's code grant
      authorize_error: v => { authorizeError = v; },
    });
    return send(res, 200, {ok: true});
  }
  if (p === '/__account') {
    const c = JSON.parse(raw || '{}');
    addUser(c.email);
    if (c.refresh_token) refreshTokens.set(c.refresh_token, c.email);
    if (c.access_token) issueAccess(c.email, 0, c.access_token);
    return send(res, 200, {ok: true});
  }
  if (p === '/__service_account') {
    const c = JSON.parse(raw || '{}');
    serviceAccounts.set(c.client_email, c.public_key_pem);
    return send(res, 200, {ok: true});
  }
  if (p === '/__stats') return send(res, 200, stats);
  if (p === '/__dump') {
    const u = users.get(url.searchParams.get('user') || firstUser);
    if (!u) return send(res, 404, {error: 'no such user'});
    return send(res, 200, dump(u));
  }
  return send(res, 404, {error: 'no test route ' + p});
}
function dump(u) {
  const sets = (k, v) => v instanceof Set ? [...v] : v instanceof Map ? Object.fromEntries(v) : v;
  return JSON.parse(JSON.stringify({email: u.email, people: u.people, calendar: u.calendar, tasks: u.tasks,
                                    gmail: u.gmail, drive: u.drive}, sets));
}

function dispatch(req, res, raw) {
  const url = new URL(req.url, 'http://x');
  if (url.pathname.startsWith('/__')) return testRoutes(req, res, url, raw);
  if (url.pathname === '/token' && req.method === 'POST') { count('oauth.token'); return tokenEndpoint(req, res, raw); }
  if (url.pathname === '/o/oauth2/v2/auth' && req.method === 'GET') return authorizeEndpoint(res, url);
  const api = apiOf(url.pathname);
  try {
    if (!api || !routes[api]) fail(404, 'Not Found', {reason: 'notFound'});
    const u = authenticate(req, api, req.method + ' ' + url.pathname);
    currentUser = u;
    limited(url.pathname, api);
    responseFields = api !== 'drive' ? url.searchParams.get('fields') : null;
    pretty = url.searchParams.get('prettyPrint') !== 'false';
    routes[api](req, res, url, u, raw);
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    responseFields = null;
    sendError(res, api || 'calendar', e);
  } finally {
    responseFields = null;
    currentUser = null;
    pretty = true;
  }
}

// ================================================================ Calendar API v3

// Time zones: wall time in an IANA zone ⇄ UTC (fake_zones.js), so a weekly series keeps its wall time across DST
// as Google expands it ("For recurring events … the time zone in which the recurrence is expanded").
const {tzOffset, wallToUtc, validZone, pad} = require('./fake_zones');
function rfc3339(ms, tz) {
  const off = tz ? tzOffset(ms, tz) : 0;
  const d = new Date(ms + off);
  const base = d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + 'T' + pad(d.getUTCHours()) + ':' +
               pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds());
  if (!off) return base + 'Z';
  const m = Math.abs(off / 60000);
  return base + (off < 0 ? '-' : '+') + pad(Math.floor(m / 60)) + ':' + pad(m % 60);
}
function dateOnly(ms) { const d = new Date(ms); return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()); }
// EventDateTime → {ms, allDay}; "A time zone offset is required unless a time zone is explicitly specified in timeZone."
function when(dt, field) {
  if (!dt || (dt.date === undefined && dt.dateTime === undefined)) fail(400, 'Missing ' + field + ' time.', {reason: 'required', location: field});
  if (dt.date !== undefined && dt.dateTime !== undefined) fail(400, 'Invalid ' + field + ' time.', {reason: 'invalid', location: field});
  if (dt.timeZone !== undefined && !validZone(dt.timeZone)) fail(400, 'Invalid time zone definition for ' + field + ' time.', {reason: 'invalid'});
  if (dt.date !== undefined) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(dt.date) || isNaN(Date.parse(dt.date + 'T00:00:00Z'))) fail(400, 'Invalid ' + field + ' time.', {reason: 'invalid'});
    return {ms: Date.parse(dt.date + 'T00:00:00Z'), allDay: true};
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/i.exec(dt.dateTime);
  if (!m) fail(400, 'Invalid ' + field + ' time.', {reason: 'invalid'});
  if (!m[8]) {
    if (!dt.timeZone) fail(400, 'Missing time zone definition for ' + field + ' time.', {reason: 'required'});
    return {ms: wallToUtc(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]), dt.timeZone), allDay: false};
  }
  return {ms: Date.parse(dt.dateTime), allDay: false};
}

// RFC 5545 recurrence as Google takes it in Event.recurrence[] ("RRULE, EXRULE,
// RDATE and EXDATE lines … DTSTART and DTEND lines are not allowed"). This
// fake expands FREQ=DAILY|WEEKLY|MONTHLY|YEARLY with INTERVAL, COUNT, UNTIL,
// BYDAY (weekly, and monthly with an ordinal such as 2MO or -1FR) and
// BYMONTHDAY, plus EXDATE and RDATE; any other part is refused (501) rather
// than expanded wrongly.
const DAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];
function parseRecurrence(lines) {
  const r = {rrule: null, exdates: [], rdates: []};
  for (const line of lines) {
    const m = /^(RRULE|EXRULE|RDATE|EXDATE)([;:])(.*)$/.exec(line);
    if (!m) fail(400, 'Invalid recurrence rule.', {reason: 'invalid', location: 'recurrence'});
    if (m[1] === 'RRULE') {
      if (r.rrule) fail(400, 'Invalid recurrence rule.', {reason: 'invalid'});
      const rule = {};
      for (const kv of m[3].split(';')) {
        const [k, v] = kv.split('=');
        if (!k || v === undefined) fail(400, 'Invalid recurrence rule.', {reason: 'invalid'});
        rule[k] = v;
      }
      if (!['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY', 'HOURLY', 'MINUTELY', 'SECONDLY'].includes(rule.FREQ))
        fail(400, 'Invalid recurrence rule.', {reason: 'invalid'});
      r.rrule = rule;
    } else if (m[1] === 'EXDATE' || m[1] === 'RDATE') {
      const head = m[2] === ';' ? m[3].slice(0, m[3].indexOf(':')) : '';
      const tzid = (/TZID=([^;:]+)/.exec(head) || [])[1];
      const vals = m[3].slice(m[3].indexOf(':') + 1).split(',');
      for (const v of vals) {
        const d = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z)?)?$/.exec(v);
        if (!d) fail(400, 'Invalid recurrence rule.', {reason: 'invalid'});
        const wall = Date.UTC(+d[1], +d[2] - 1, +d[3], +(d[4] || 0), +(d[5] || 0), +(d[6] || 0));
        const ms = !d[4] || d[7] ? wall : tzid ? wallToUtc(wall, tzid) : wall;
        (m[1] === 'EXDATE' ? r.exdates : r.rdates).push({ms, dateOnly: !d[4]});
      }
    } else fail(501, 'EXRULE is not expanded by this fake.', {reason: 'notImplemented'});
  }
  return r;
}
// Occurrence starts (UTC ms) of a recurring event, at most `limit`, before `until`.
function occurrences(ev, limit, until) {
  const s = when(ev.start, 'start');
  const tz = ev.start.timeZone || 'UTC';
  const rec = parseRecurrence(ev.recurrence || []);
  const out = [];
  const wall0 = s.allDay ? s.ms : s.ms + tzOffset(s.ms, tz);
  const toUtc = wall => s.allDay ? wall : wallToUtc(wall, tz);
  const rule = rec.rrule;
  if (rule) {
    for (const k of Object.keys(rule))
      if (!['FREQ', 'INTERVAL', 'COUNT', 'UNTIL', 'BYDAY', 'BYMONTHDAY', 'WKST'].includes(k))
        fail(501, 'RRULE part ' + k + ' is not expanded by this fake.', {reason: 'notImplemented'});
    if (!['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'].includes(rule.FREQ)) fail(501, 'FREQ=' + rule.FREQ + ' is not expanded by this fake.', {reason: 'notImplemented'});
    const interval = Number(rule.INTERVAL || 1);
    const count = rule.COUNT ? Number(rule.COUNT) : Infinity;
    let untilMs = Infinity;
    if (rule.UNTIL) {
      const d = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})Z?)?$/.exec(rule.UNTIL);
      if (!d) fail(400, 'Invalid recurrence rule.', {reason: 'invalid'});
      untilMs = Date.UTC(+d[1], +d[2] - 1, +d[3], +(d[4] || 23), +(d[5] || 59), +(d[6] || 59));
    }
    const byday = rule.BYDAY ? rule.BYDAY.split(',').map(x => {
      const b = /^([+-]?\d{1,2})?(SU|MO|TU|WE|TH|FR|SA)$/.exec(x);
      if (!b) fail(400, 'Invalid recurrence rule.', {reason: 'invalid'});
      return {n: b[1] ? Number(b[1]) : 0, day: DAYS.indexOf(b[2])};
    }) : null;
    const bymd = rule.BYMONTHDAY ? rule.BYMONTHDAY.split(',').map(Number) : null;
    const d0 = new Date(wall0);
    const tod = wall0 % 86400000;
    const day = 86400000;
    let n = 0;
    for (let period = 0; n < count && out.length < limit && period < 5000; period += interval) {
      let cands = [];
      if (rule.FREQ === 'DAILY') cands = [wall0 + period * day];
      else if (rule.FREQ === 'WEEKLY') {
        const weekStart = wall0 - d0.getUTCDay() * day + period * 7 * day;
        const days = byday ? byday.map(b => b.day) : [d0.getUTCDay()];
        cands = days.sort((a, b) => a - b).map(dd => weekStart + dd * day);
      } else if (rule.FREQ === 'MONTHLY' || rule.FREQ === 'YEARLY') {
        const y = d0.getUTCFullYear() + (rule.FREQ === 'YEARLY' ? period : 0);
        const mo = d0.getUTCMonth() + (rule.FREQ === 'MONTHLY' ? period : 0);
        const first = Date.UTC(y, mo, 1), dim = new Date(Date.UTC(y, mo + 1, 0)).getUTCDate();
        if (byday) {
          for (const b of byday) {
            const all = [];
            for (let k = 1; k <= dim; k++) if (new Date(first + (k - 1) * day).getUTCDay() === b.day) all.push(k);
            const pick = b.n === 0 ? all : [b.n > 0 ? all[b.n - 1] : all[all.length + b.n]].filter(Boolean);
            for (const k of pick) cands.push(first + (k - 1) * day + tod);
          }
        } else {
          for (const k of (bymd || [d0.getUTCDate()])) {
            const dd = k < 0 ? dim + k + 1 : k;
            if (dd >= 1 && dd <= dim) cands.push(first + (dd - 1) * day + tod);
          }
        }
        cands.sort((a, b) => a - b);
      }
      for (const w of cands) {
        if (w < wall0 || n >= count) continue;
        const utc = toUtc(w);
        if (utc > untilMs || utc > until) return finish();
        n++;
        out.push(utc);
      }
    }
  } else out.push(s.ms);
  return finish();
  function finish() {
    let all = out.concat(rec.rdates.map(r => r.ms)).filter(ms => ms <= until);
    all = [...new Set(all)].filter(ms => !rec.exdates.some(x => x.dateOnly ? dateOnly(x.ms) === dateOnly(s.allDay ? ms : ms + tzOffset(ms, tz)) : x.ms === ms));
    return all.sort((a, b) => a - b).slice(0, limit);
  }
}
function instanceSuffix(ms, allDay) {
  const d = new Date(ms);
  const ymd = d.getUTCFullYear() + pad(d.getUTCMonth() + 1) + pad(d.getUTCDate());
  return allDay ? ymd : ymd + 'T' + pad(d.getUTCHours()) + pad(d.getUTCMinutes()) + pad(d.getUTCSeconds()) + 'Z';
}
function eventDateTime(ms, allDay, tz) {
  return allDay ? {date: dateOnly(ms)} : Object.assign({dateTime: rfc3339(ms, tz)}, tz ? {timeZone: tz} : {});
}

function calEtag() { return '"' + (stamp() * 1000) + '"'; }
const SERVER_EVENT_FIELDS = ['kind', 'etag', 'id', 'htmlLink', 'created', 'updated', 'creator', 'organizer', 'iCalUID', 'sequence'];
function calendarOf(u, id) {
  const c = u.calendar.calendars.get(id === 'primary' ? u.email : id);
  if (!c) fail(404, 'Not Found', {reason: 'notFound'});
  return c;
}
function eventView(u, cal, ev) {
  if (ev.status === 'cancelled' && (ev.deleted || ev.recurringEventId)) {
    const t = {kind: 'calendar#event', etag: ev.etag, id: ev.id, status: 'cancelled'};
    if (ev.recurringEventId) { t.recurringEventId = ev.recurringEventId; t.originalStartTime = ev.originalStartTime; }
    return t;
  }
  const out = Object.assign({kind: 'calendar#event', etag: ev.etag, id: ev.id, status: ev.status || 'confirmed',
    htmlLink: 'https://www.google.com/calendar/event?eid=' + Buffer.from(ev.id + ' ' + cal.id).toString('base64url'),
    created: iso(ev.created), updated: iso(ev.updated), creator: {email: u.email, self: true},
    organizer: {email: cal.id, self: true}}, ev.data);
  out.iCalUID = ev.iCalUID;
  out.sequence = ev.sequence;
  if (!out.reminders) out.reminders = {useDefault: true};
  if (!out.eventType) out.eventType = 'default';
  if (ev.recurringEventId) { out.recurringEventId = ev.recurringEventId; out.originalStartTime = ev.originalStartTime; }
  return out;
}
// An instance of a series that has no exception of its own, as Google computes it.
function virtualInstance(u, cal, master, ms) {
  const s = when(master.data.start, 'start'), e = when(master.data.end, 'end');
  const tz = master.data.start.timeZone;
  const id = master.id + '_' + instanceSuffix(ms, s.allDay);
  const ev = {id, etag: master.etag, status: master.status, created: master.created, updated: master.updated,
              iCalUID: master.iCalUID, sequence: master.sequence, recurringEventId: master.id,
              originalStartTime: eventDateTime(ms, s.allDay, tz),
              data: Object.assign({}, master.data, {start: eventDateTime(ms, s.allDay, tz),
                                                    end: eventDateTime(ms + (e.ms - s.ms), s.allDay, master.data.end.timeZone || tz)})};
  delete ev.data.recurrence;
  return ev;
}
// Instances of a series in order: exceptions where there are, computed ones elsewhere.
function instancesOf(u, cal, master, o) {
  const until = o.timeMax !== undefined ? Date.parse(o.timeMax) : Date.now() + 2 * 365 * 86400000;
  const s = when(master.data.start, 'start');
  const list = occurrences(master.data, 2500, until).map(ms => {
    const ex = cal.events.get(master.id + '_' + instanceSuffix(ms, s.allDay));
    return ex || virtualInstance(u, cal, master, ms);
  });
  // exceptions moved from an occurrence the rule no longer has still show
  for (const ev of cal.events.values())
    if (ev.recurringEventId === master.id && !list.includes(ev)) list.push(ev);
  const startOf = ev => ev.data && ev.data.start ? when(ev.data.start, 'start').ms : when(ev.originalStartTime, 'originalStartTime').ms;
  return list.filter(ev => {
    if (ev.status === 'cancelled' && !o.showDeleted) return false;
    if (o.timeMin !== undefined && ev.data && ev.data.end && when(ev.data.end, 'end').ms <= Date.parse(o.timeMin)) return false;
    return true;
  }).sort((a, b) => startOf(a) - startOf(b));
}
function resolveEvent(u, cal, id) {
  const ev = cal.events.get(id);
  if (ev) return ev;
  const m = /^(.+)_(\d{8}(?:T\d{6}Z)?)$/.exec(id);
  const master = m && cal.events.get(m[1]);
  if (!master || !master.data.recurrence || master.status === 'cancelled') return null;
  const s = when(master.data.start, 'start');
  const ms = occurrences(master.data, 100000, Date.parse('2200-01-01T00:00:00Z')).find(x => instanceSuffix(x, s.allDay) === m[2]);
  return ms === undefined ? null : virtualInstance(u, cal, master, ms);
}
function checkEventBody(b, methodId) {
  const s = when(b.start, 'start'), e = when(b.end, 'end');
  if (s.allDay !== e.allDay) fail(400, 'The start and end times must either both be date or both be dateTime.', {reason: 'invalid'});
  if (e.ms < s.ms || (s.allDay && e.ms === s.ms)) fail(400, 'The specified time range is empty.', {reason: 'timeRangeEmpty', domain: 'calendar', location: 'end.dateTime', locationType: 'other'});
  if (b.recurrence && b.recurrence.length) {
    if (!s.allDay && (!b.start.timeZone || !b.end.timeZone)) fail(400, 'Missing time zone definition for start time.', {reason: 'required'});
    parseRecurrence(b.recurrence);
  }
  void methodId;
}
function storeData(b) {
  const d = JSON.parse(JSON.stringify(b));
  for (const k of SERVER_EVENT_FIELDS.concat(['status', 'recurringEventId', 'originalStartTime'])) delete d[k];
  return d;
}
function touchEvent(u, cal, ev) {
  ev.updated = stamp();
  ev.etag = calEtag();
  ev.changed = tick(u);
}

function calendarApi(req, res, url, u, raw) {
  const path = url.pathname.slice('/calendar/v3/'.length);
  const M = req.method;
  let m;
  // calendarList.list: GET /calendar/v3/users/me/calendarList (reference: calendarList/list)
  if (M === 'GET' && path === 'users/me/calendarList') {
    count('calendar.calendarList.list');
    const p = params('calendar', 'calendar.calendarList.list', url);
    const items = [...u.calendar.calendars.values()].map(c => calendarEntry(u, c));
    return send(res, 200, {kind: 'calendar#calendarList', etag: calEtag(), nextSyncToken: handle('sync', 'calendarList', {}), items});
  }
  // calendarList.get: GET /calendar/v3/users/me/calendarList/{calendarId}
  if (M === 'GET' && (m = /^users\/me\/calendarList\/([^/]+)$/.exec(path))) {
    count('calendar.calendarList.get');
    params('calendar', 'calendar.calendarList.get', url);
    return send(res, 200, calendarEntry(u, calendarOf(u, decodeURIComponent(m[1]))));
  }
  // calendars.insert: POST /calendar/v3/calendars {summary} (reference: calendars/insert)
  if (M === 'POST' && path === 'calendars') {
    count('calendar.calendars.insert');
    params('calendar', 'calendar.calendars.insert', url);
    const b = body('calendar', 'calendar.calendars.insert', raw);
    if (b.timeZone !== undefined && !validZone(b.timeZone)) fail(400, 'Invalid time zone.', {reason: 'invalid'});
    const id = rid(16) + '@group.calendar.google.com';
    const c = newCalendar(u, id, b.summary, false);
    if (b.timeZone) c.timeZone = b.timeZone;
    if (b.description) c.description = b.description;
    u.calendar.calendars.set(id, c);
    return send(res, 200, calendarResource(c));
  }
  if ((m = /^calendars\/([^/]+)$/.exec(path)) && M === 'GET') {
    // calendars.get: GET /calendar/v3/calendars/{calendarId}
    count('calendar.calendars.get');
    params('calendar', 'calendar.calendars.get', url);
    return send(res, 200, calendarResource(calendarOf(u, decodeURIComponent(m[1]))));
  }
  if (!(m = /^calendars\/([^/]+)\/events(?:\/([^/]+))?(\/instances)?$/.exec(path))) fail(404, 'Not Found', {reason: 'notFound'});
  const cal = calendarOf(u, decodeURIComponent(m[1]));
  const eventId = m[2] && decodeURIComponent(m[2]);
  // events.list: GET /calendar/v3/calendars/{calendarId}/events (reference: events/list; guide: "Synchronize resources
  // efficiently": syncToken, 410 fullSyncRequired; "Recurring events")
  if (M === 'GET' && !eventId) {
    count('calendar.events.list');
    const p = params('calendar', 'calendar.events.list', url);
    return listEvents(u, cal, p, res);
  }
  if (M === 'GET' && eventId === 'import') fail(404, 'Not Found', {reason: 'notFound'});
  // events.import: POST /calendar/v3/calendars/{calendarId}/events/import (reference: events/import; iCalUID required)
  if (M === 'POST' && eventId === 'import' && !m[3]) {
    count('calendar.events.import');
    params('calendar', 'calendar.events.import', url);
    const b = body('calendar', 'calendar.events.import', raw, 'resource');
    checkEventBody(b, 'calendar.events.import');
    for (const ev of cal.events.values()) if (ev.iCalUID === b.iCalUID && !ev.recurringEventId && !ev.deleted) {
      ev.data = storeData(b); touchEvent(u, cal, ev); return send(res, 200, eventView(u, cal, ev));
    }
    const ev = {id: rid(13), iCalUID: b.iCalUID, status: b.status || 'confirmed', sequence: b.sequence || 0,
                created: stamp(), data: storeData(b)};
    touchEvent(u, cal, ev);
    cal.events.set(ev.id, ev);
    return send(res, 200, eventView(u, cal, ev));
  }
  // events.insert: POST /calendar/v3/calendars/{calendarId}/events (reference: events/insert; Event.id: "characters
  // allowed in the ID are those used in base32hex encoding, i.e. lowercase letters a-v and digits 0-9 … length …
  // between 5 and 1024 characters … unique per calendar"; a taken id answers 409 duplicate)
  if (M === 'POST' && !eventId) {
    count('calendar.events.insert');
    params('calendar', 'calendar.events.insert', url);
    const b = body('calendar', 'calendar.events.insert', raw, 'resource');
    checkEventBody(b, 'calendar.events.insert');
    if (b.id !== undefined && !/^[a-v0-9]{5,1024}$/.test(b.id)) fail(400, 'Invalid resource id value.', {reason: 'invalid'});
    if (b.recurringEventId !== undefined) fail(400, 'Invalid value for: recurringEventId', {reason: 'invalid'});
    const id = b.id || rid(13);   // hex digits: base32hex too
    if (cal.events.has(id)) fail(409, 'The requested identifier already exists.', {reason: 'duplicate'});
    const iCalUID = b.iCalUID || id + '@google.com';
    for (const ev of cal.events.values())
      if (ev.iCalUID === iCalUID && !ev.recurringEventId && !ev.deleted) fail(409, 'The requested identifier already exists.', {reason: 'duplicate'});
    const ev = {id, iCalUID, status: b.status || 'confirmed', sequence: b.sequence || 0, created: stamp(), data: storeData(b)};
    if (ev.status === 'cancelled') fail(400, 'Invalid value for: status', {reason: 'invalid'});
    touchEvent(u, cal, ev);
    cal.events.set(id, ev);
    return send(res, 200, eventView(u, cal, ev));
  }
  // events.instances: GET /calendar/v3/calendars/{calendarId}/events/{eventId}/instances (reference: events/instances)
  if (M === 'GET' && m[3]) {
    count('calendar.events.instances');
    const p = params('calendar', 'calendar.events.instances', url);
    const master = cal.events.get(eventId);
    if (!master || master.deleted) fail(404, 'Not Found', {reason: 'notFound'});
    if (!master.data.recurrence) return send(res, 200, page(u, cal, [master], p, {kind: 'calendar#events'}));
    let list = instancesOf(u, cal, master, p);
    if (p.originalStart !== undefined) list = list.filter(ev => ev.id === master.id + '_' + instanceSuffix(Date.parse(p.originalStart), false));
    return send(res, 200, page(u, cal, list, p, {}));
  }
  if (m[3]) fail(404, 'Not Found', {reason: 'notFound'});
  // events.get: GET …/events/{eventId}; a deleted event is still returned, with status "cancelled"
  if (M === 'GET') {
    count('calendar.events.get');
    params('calendar', 'calendar.events.get', url);
    const ev = resolveEvent(u, cal, eventId);
    if (!ev) fail(404, 'Not Found', {reason: 'notFound'});
    return send(res, 200, eventView(u, cal, ev));
  }
  // events.update (PUT) and events.patch (PATCH): If-Match with the event's etag, 412 conditionNotMet when it
  // changed ("Handle API errors": 412 Precondition Failed); an instance id makes (or changes) an exception.
  if (M === 'PUT' || M === 'PATCH') {
    const methodId = M === 'PUT' ? 'calendar.events.update' : 'calendar.events.patch';
    count(methodId);
    params('calendar', methodId, url);
    const b = body('calendar', methodId, raw, 'resource');
    const ev = resolveEvent(u, cal, eventId);
    if (!ev) fail(404, 'Not Found', {reason: 'notFound'});
    ifMatch(req, ev);
    if (b.id !== undefined && b.id !== eventId) fail(400, 'Invalid value for: id', {reason: 'invalid'});
    if (ev.recurringEventId && b.recurringEventId !== undefined && b.recurringEventId !== ev.recurringEventId)
      fail(400, 'Invalid value for: recurringEventId', {reason: 'invalid'});
    if (ev.recurringEventId && b.recurrence && b.recurrence.length) fail(400, 'Invalid value for: recurrence', {reason: 'invalid'});
    const merged = M === 'PUT' ? storeData(b) : Object.assign({}, ev.data, storeData(b));
    checkEventBody(merged, methodId);
    if (!cal.events.has(ev.id)) { ev.created = stamp(); cal.events.set(ev.id, ev); }
    if (ev.deleted) { ev.deleted = false; }
    ev.data = merged;
    if (b.status !== undefined) ev.status = b.status;
    else if (M === 'PUT') ev.status = 'confirmed';
    if (b.sequence !== undefined) ev.sequence = b.sequence;
    touchEvent(u, cal, ev);
    return send(res, 200, eventView(u, cal, ev));
  }
  // events.delete: DELETE …/events/{eventId} → 204; deleting a deleted event answers 410 deleted; an instance id
  // cancels that occurrence (an exception with status "cancelled")
  if (M === 'DELETE') {
    count('calendar.events.delete');
    params('calendar', 'calendar.events.delete', url);
    const ev = resolveEvent(u, cal, eventId);
    if (!ev) fail(404, 'Not Found', {reason: 'notFound'});
    if (ev.status === 'cancelled') fail(410, 'Resource has been deleted', {reason: 'deleted', domain: 'calendar', status: 'NOT_FOUND'});
    ifMatch(req, ev);
    if (!cal.events.has(ev.id)) { ev.created = stamp(); cal.events.set(ev.id, ev); }
    ev.status = 'cancelled';
    if (!ev.recurringEventId) ev.deleted = true;
    touchEvent(u, cal, ev);
    if (ev.data.recurrence) for (const x of cal.events.values()) if (x.recurringEventId === ev.id && x.status !== 'cancelled') {
      x.status = 'cancelled'; touchEvent(u, cal, x);
    }
    return send(res, 204);
  }
  fail(404, 'Not Found', {reason: 'notFound'});
}
function ifMatch(req, ev) {
  const want = req.headers['if-match'];
  if (want !== undefined && want !== '*' && want !== ev.etag)
    fail(412, 'Precondition Failed', {reason: 'conditionNotMet', location: 'If-Match', locationType: 'header'});
}
function calendarResource(c) {
  return {kind: 'calendar#calendar', etag: c.etag, id: c.id, summary: c.summary, timeZone: c.timeZone,
          conferenceProperties: {allowedConferenceSolutionTypes: ['hangoutsMeet']}};
}
function calendarEntry(u, c) {
  const e = {kind: 'calendar#calendarListEntry', etag: c.etag, id: c.id, summary: c.summary, timeZone: c.timeZone,
             colorId: '14', backgroundColor: '#9fe1e7', foregroundColor: '#000000', selected: true, accessRole: 'owner',
             defaultReminders: [], conferenceProperties: {allowedConferenceSolutionTypes: ['hangoutsMeet']}};
  if (c.primary) e.primary = true;
  return e;
}
function page(u, cal, list, p, extra) {
  const size = p.maxResults === undefined ? 250 : Math.min(p.maxResults, 2500);
  const start = p.pageToken !== undefined ? (lookup(p.pageToken, 'page') || {}).offset : 0;
  if (start === undefined) fail(400, 'Invalid page token value.', {reason: 'invalid', location: 'pageToken'});
  const out = Object.assign({kind: 'calendar#events', etag: calEtag(), summary: cal.summary, updated: iso(stamp()),
                             timeZone: cal.timeZone, accessRole: 'owner', defaultReminders: []}, extra);
  out.items = list.slice(start, start + size).map(ev => eventView(u, cal, ev));
  if (start + size < list.length) out.nextPageToken = handle('page', 'calendar', {offset: start + size});
  return out;
}
const SYNC_FORBIDDEN = ['iCalUID', 'orderBy', 'privateExtendedProperty', 'q', 'sharedExtendedProperty', 'timeMin', 'timeMax', 'updatedMin'];
function listEvents(u, cal, p, res) {
  let h;
  if (p.pageToken !== undefined) {
    h = lookup(p.pageToken, 'page');
    if (!h || h.api !== 'calendar' || h.cal !== cal.id) fail(400, 'Invalid page token value.', {reason: 'invalid', location: 'pageToken'});
    if (h.sig !== sig(p, ['pageToken', 'maxResults'])) fail(400, 'The pageToken does not match the request\'s other parameters.', {reason: 'invalid', location: 'pageToken'});
  } else {
    let since = 0, syncing = false;
    if (p.syncToken !== undefined) {
      for (const f of SYNC_FORBIDDEN) if (p[f] !== undefined)
        fail(400, 'Invalid parameter ' + f + ' with syncToken.', {reason: 'invalid', location: f});
      if (p.showDeleted === false) fail(400, 'showDeleted cannot be false with a syncToken.', {reason: 'invalid', location: 'showDeleted'});
      const s = lookup(p.syncToken, 'sync');
      // "If the syncToken expires, the server will respond with a 410 GONE response code" ("Handle API errors":
      // 410 Gone, domain calendar, reason fullSyncRequired); a token the server does not know is answered alike
      if (!s || s.api !== 'calendar' || s.cal !== cal.id || expired(s))
        fail(410, 'Sync token is no longer valid, a full sync is required.',
             {reason: 'fullSyncRequired', domain: 'calendar', location: 'syncToken', status: 'NOT_FOUND'});
      if (s.sig !== sig(p, ['syncToken', 'pageToken', 'maxResults', 'showDeleted']))
        fail(400, 'The syncToken does not match the request\'s other parameters.', {reason: 'invalid', location: 'syncToken'});
      since = s.watermark;
      syncing = true;
    }
    if (p.orderBy === 'startTime' && !p.singleEvents) fail(400, 'The requested ordering is not available for the particular query.', {reason: 'invalid', location: 'orderBy'});
    const showDeleted = syncing || !!p.showDeleted;
    const tmin = p.timeMin !== undefined ? Date.parse(p.timeMin) : -Infinity, tmax = p.timeMax !== undefined ? Date.parse(p.timeMax) : Infinity;
    if (isNaN(tmin) || isNaN(tmax)) fail(400, 'Bad Request', {reason: 'badRequest'});
    const updMin = p.updatedMin !== undefined ? Date.parse(p.updatedMin) : -Infinity;
    let rows = [];
    const span = ev => {
      if (!ev.data || !ev.data.start) return true;
      const s = when(ev.data.start, 'start').ms, e = when(ev.data.end, 'end').ms;
      return e > tmin && s < tmax;
    };
    for (const ev of cal.events.values()) {
      if (syncing && ev.changed <= since && !(p.singleEvents && ev.data.recurrence)) continue;
      if (ev.updated < updMin) continue;
      if (p.iCalUID !== undefined && ev.iCalUID !== p.iCalUID) continue;
      const cancelled = ev.status === 'cancelled';
      if (p.singleEvents) {
        if (ev.data.recurrence && !ev.deleted) {
          for (const inst of instancesOf(u, cal, ev, {showDeleted, timeMin: p.timeMin, timeMax: p.timeMax}))
            if (!syncing || (cal.events.has(inst.id) ? inst.changed : ev.changed) > since) rows.push(inst);
          continue;
        }
        if (ev.recurringEventId) continue;   // listed with their series above
        if (cancelled && !showDeleted) continue;
        if (!cancelled && !span(ev)) continue;
        rows.push(ev);
      } else {
        // "Cancelled instances of recurring events … will still be included if showDeleted and singleEvents are both False."
        if (cancelled && !showDeleted && !ev.recurringEventId) continue;
        if (!cancelled && !span(ev) && !ev.data.recurrence) continue;
        rows.push(ev);
      }
    }
    if (p.orderBy === 'updated') rows.sort((a, b) => a.updated - b.updated);
    else if (p.orderBy === 'startTime') rows.sort((a, b) => when(a.data.start, 'start').ms - when(b.data.start, 'start').ms);
    else rows.sort((a, b) => (a.changed || 0) - (b.changed || 0));
    h = {cal: cal.id, items: rows, offset: 0, watermark: u.clock, sig: sig(p, ['pageToken', 'maxResults']),
         syncSig: sig(Object.assign({}, p, {syncToken: undefined}), ['syncToken', 'pageToken', 'maxResults', 'showDeleted', ...SYNC_FORBIDDEN])};
  }
  const size = p.maxResults === undefined ? 250 : Math.min(p.maxResults, 2500);
  const out = {kind: 'calendar#events', etag: calEtag(), summary: cal.summary, updated: iso(stamp()), timeZone: cal.timeZone,
               accessRole: 'owner', defaultReminders: []};
  out.items = h.items.slice(h.offset, h.offset + size).map(ev => eventView(u, cal, ev));
  if (h.offset + size < h.items.length) out.nextPageToken = handle('page', 'calendar', Object.assign({}, h, {offset: h.offset + size}));
  else out.nextSyncToken = handle('sync', 'calendar', {cal: cal.id, watermark: h.watermark, sig: h.syncSig});
  send(res, 200, out);
}
routes.calendar = calendarApi;
// ================================================================ Tasks API v1

// Positions as Google writes them: zero-padded decimal strings that sort as
// the siblings do ("If this string is greater than another task's
// corresponding position string according to lexicographical ordering, the
// task is positioned after the other task").
function taskEtag() { return '"' + Buffer.from(rid(12)).toString('base64url').slice(0, 22) + '"'; }
function taskId() { return Buffer.from(rid(12)).toString('base64url').slice(0, 22); }
function taskListOf(u, id) {
  const T = u.tasks;
  if (!T.lists.size) newTaskList(u, 'My Tasks');
  const l = id === '@default' ? [...T.lists.values()][0] : T.lists.get(id);
  if (!l || l.deleted) fail(404, 'Task list not found.', {reason: 'notFound'});
  return l;
}
function newTaskList(u, title) {
  const l = {id: taskId(), title, updated: stamp(), etag: taskEtag(), tasks: new Map(), order: new Map()};
  u.tasks.lists.set(l.id, l);
  return l;
}
function taskListView(l, base) {
  return {kind: 'tasks#taskList', id: l.id, etag: l.etag, title: l.title, updated: iso(l.updated),
          selfLink: base + '/tasks/v1/users/@me/lists/' + l.id};
}
function siblings(l, parent) {
  const k = parent || '';
  if (!l.order.has(k)) l.order.set(k, []);
  return l.order.get(k);
}
function place(l, t, parent, previous) {
  for (const arr of l.order.values()) { const i = arr.indexOf(t.id); if (i >= 0) arr.splice(i, 1); }
  if (parent) {
    const p = l.tasks.get(parent);
    if (!p || p.deleted) fail(400, 'Invalid Value', {reason: 'invalid', location: 'parent'});
    if (p.id === t.id) fail(400, 'Invalid Value', {reason: 'invalid', location: 'parent'});
  }
  const arr = siblings(l, parent);
  let at = 0;
  if (previous) {
    const i = arr.indexOf(previous);
    if (i < 0) fail(400, 'Invalid Value', {reason: 'invalid', location: 'previous'});
    at = i + 1;
  }
  arr.splice(at, 0, t.id);
  t.parent = parent || undefined;
}
function positionOf(l, t) {
  const i = siblings(l, t.parent).indexOf(t.id);
  return String(Math.max(i, 0) * 1024 + 1024).padStart(20, '0');
}
function taskView(l, t, base) {
  const out = {kind: 'tasks#task', id: t.id, etag: t.etag, title: t.title || '', updated: iso(t.updated),
               selfLink: base + '/tasks/v1/lists/' + l.id + '/tasks/' + t.id};
  if (t.parent) out.parent = t.parent;
  out.position = positionOf(l, t);
  if (t.notes !== undefined) out.notes = t.notes;
  out.status = t.status;
  if (t.due !== undefined) out.due = t.due;
  if (t.completed !== undefined) out.completed = t.completed;
  if (t.deleted) out.deleted = true;
  if (t.hidden) out.hidden = true;
  out.links = [];
  out.webViewLink = 'https://tasks.google.com/task/' + t.id;
  return out;
}
// Task fields as written: "due … records date information; the time portion of the timestamp is discarded";
// status needsAction or completed; completed set when the task is completed.
function writeTask(t, b, replace) {
  const rfc = (v, f) => {
    if (typeof v !== 'string' || isNaN(Date.parse(v)) || !/^\d{4}-\d{2}-\d{2}T/.test(v)) fail(400, 'Invalid value for: ' + f, {reason: 'invalid', location: f});
    return v;
  };
  if (b.title !== undefined && b.title.length > 1024) fail(400, 'Invalid Value', {reason: 'invalid', location: 'title'});
  if (b.notes !== undefined && b.notes.length > 8192) fail(400, 'Invalid Value', {reason: 'invalid', location: 'notes'});
  if (b.status !== undefined && !['needsAction', 'completed'].includes(b.status)) fail(400, 'Invalid Value', {reason: 'invalid', location: 'status'});
  if (replace) { t.title = undefined; t.notes = undefined; t.due = undefined; }
  if (b.title !== undefined) t.title = b.title;
  if (b.notes !== undefined) t.notes = b.notes;
  if (b.due !== undefined) t.due = b.due === null ? undefined : rfc(b.due, 'due').slice(0, 10) + 'T00:00:00.000Z';
  const status = b.status !== undefined ? b.status : replace ? 'needsAction' : t.status || 'needsAction';
  if (status === 'completed') t.completed = b.completed !== undefined ? rfc(b.completed, 'completed') : t.completed || iso(stamp());
  else t.completed = undefined;
  t.status = status;
  if (b.deleted !== undefined) t.deleted = !!b.deleted;
}
function touchTask(t) { t.updated = stamp(); t.etag = taskEtag(); }
function tasksPage(items, p, kind, view) {
  const size = p.maxResults === undefined ? 20 : p.maxResults;
  if (size < 1 || size > 100) fail(400, 'Invalid value for: maxResults', {reason: 'invalid', location: 'maxResults'});
  const start = pageStart('tasks', p, 'maxResults', {message: 'Invalid Value', reason: 'invalid', location: 'pageToken'});
  const out = {kind, etag: taskEtag()};
  const next = nextPage('tasks', p, 'maxResults', start, size, items.length);
  if (next) out.nextPageToken = next;
  out.items = items.slice(start, start + size).map(view);
  return out;
}

function tasksApi(req, res, url, u, raw) {
  const base = 'http://' + req.headers.host;
  const path = url.pathname.slice('/tasks/v1/'.length);
  const M = req.method;
  let m;
  // tasklists.list / insert: GET|POST /tasks/v1/users/@me/lists (reference: tasklists/list, tasklists/insert)
  if (path === 'users/@me/lists') {
    if (M === 'GET') {
      count('tasks.tasklists.list');
      const p = params('tasks', 'tasks.tasklists.list', url);
      taskListOf(u, '@default');
      return send(res, 200, tasksPage([...u.tasks.lists.values()].filter(l => !l.deleted), p, 'tasks#taskLists', l => taskListView(l, base)));
    }
    if (M === 'POST') {
      count('tasks.tasklists.insert');
      params('tasks', 'tasks.tasklists.insert', url);
      const b = body('tasks', 'tasks.tasklists.insert', raw, 'resource');
      if (!b.title) fail(400, 'Invalid Value', {reason: 'invalid', location: 'title'});
      taskListOf(u, '@default');
      return send(res, 200, taskListView(newTaskList(u, b.title), base));
    }
  }
  // tasklists.get / delete: /tasks/v1/users/@me/lists/{tasklist}
  if ((m = /^users\/@me\/lists\/([^/]+)$/.exec(path))) {
    const l = taskListOf(u, decodeURIComponent(m[1]));
    if (M === 'GET') { count('tasks.tasklists.get'); params('tasks', 'tasks.tasklists.get', url); return send(res, 200, taskListView(l, base)); }
    if (M === 'DELETE') { count('tasks.tasklists.delete'); params('tasks', 'tasks.tasklists.delete', url); l.deleted = true; return send(res, 204); }
  }
  if (!(m = /^lists\/([^/]+)\/(tasks|clear)(?:\/([^/]+))?(\/move)?$/.exec(path))) fail(404, 'Not Found', {reason: 'notFound'});
  const l = taskListOf(u, decodeURIComponent(m[1]));
  // tasks.clear: POST /tasks/v1/lists/{tasklist}/clear: completed tasks become hidden
  if (m[2] === 'clear' && M === 'POST' && !m[3]) {
    count('tasks.tasks.clear');
    params('tasks', 'tasks.tasks.clear', url);
    for (const t of l.tasks.values()) if (t.status === 'completed' && !t.deleted && !t.hidden) { t.hidden = true; touchTask(t); }
    return send(res, 204);
  }
  if (m[2] !== 'tasks') fail(404, 'Not Found', {reason: 'notFound'});
  const id = m[3] && decodeURIComponent(m[3]);
  // tasks.list: GET /tasks/v1/lists/{tasklist}/tasks?updatedMin&showDeleted&showHidden&showCompleted&dueMin&dueMax…
  // (reference: tasks/list; defaults: showCompleted true, showDeleted false, showHidden false, maxResults 20 ≤ 100)
  if (M === 'GET' && !id) {
    count('tasks.tasks.list');
    const p = params('tasks', 'tasks.tasks.list', url);
    const bound = (v, f) => {
      if (v === undefined) return undefined;
      const t = Date.parse(v);
      if (isNaN(t) || !/^\d{4}-\d{2}-\d{2}T/.test(v)) fail(400, 'Invalid value for: ' + f, {reason: 'invalid', location: f});
      return t;
    };
    const upd = bound(p.updatedMin, 'updatedMin'), dmin = bound(p.dueMin, 'dueMin'), dmax = bound(p.dueMax, 'dueMax');
    const cmin = bound(p.completedMin, 'completedMin'), cmax = bound(p.completedMax, 'completedMax');
    const showCompleted = p.showCompleted !== false;
    const ordered = [];
    for (const tid of siblings(l, '')) {
      ordered.push(l.tasks.get(tid));
      for (const cid of siblings(l, tid)) ordered.push(l.tasks.get(cid));
    }
    for (const t of l.tasks.values()) if (!ordered.includes(t)) ordered.push(t);   // deleted ones, out of the order
    const items = ordered.filter(t => {
      if (t.deleted && !p.showDeleted) return false;
      if (t.hidden && !p.showHidden) return false;
      if (t.status === 'completed' && !showCompleted) return false;
      if (upd !== undefined && t.updated < upd) return false;
      if (dmin !== undefined && (t.due === undefined || Date.parse(t.due) < dmin)) return false;
      if (dmax !== undefined && (t.due === undefined || Date.parse(t.due) > dmax)) return false;
      if (cmin !== undefined && (t.completed === undefined || Date.parse(t.completed) < cmin)) return false;
      if (cmax !== undefined && (t.completed === undefined || Date.parse(t.completed) > cmax)) return false;
      return true;
    });
    return send(res, 200, tasksPage(items, p, 'tasks#tasks', t => taskView(l, t, base)));
  }
  // tasks.insert: POST /tasks/v1/lists/{tasklist}/tasks?parent&previous (reference: tasks/insert)
  if (M === 'POST' && !id) {
    count('tasks.tasks.insert');
    const p = params('tasks', 'tasks.tasks.insert', url);
    const b = body('tasks', 'tasks.tasks.insert', raw, 'resource');
    const t = {id: taskId()};
    writeTask(t, b, true);
    place(l, t, p.parent, p.previous);
    touchTask(t);
    l.tasks.set(t.id, t);
    return send(res, 200, taskView(l, t, base));
  }
  const t = id && l.tasks.get(id);
  if (!t) fail(404, 'Not Found', {reason: 'notFound'});
  // tasks.move: POST …/tasks/{task}/move?parent&previous&destinationTasklist (reference: tasks/move)
  if (M === 'POST' && m[4]) {
    count('tasks.tasks.move');
    const p = params('tasks', 'tasks.tasks.move', url);
    if (t.deleted) fail(404, 'Not Found', {reason: 'notFound'});
    let dest = l;
    if (p.destinationTasklist !== undefined) dest = taskListOf(u, p.destinationTasklist);
    if (p.parent && dest.tasks.get(p.parent) && dest.tasks.get(p.parent).parent) fail(400, 'Invalid Value', {reason: 'invalid', location: 'parent'});
    if (dest !== l) {
      for (const arr of l.order.values()) { const i = arr.indexOf(t.id); if (i >= 0) arr.splice(i, 1); }
      const kids = siblings(l, t.id).slice();
      l.tasks.delete(t.id); dest.tasks.set(t.id, t);
      place(dest, t, p.parent, p.previous);
      for (const k of kids) { const c = l.tasks.get(k); l.tasks.delete(k); dest.tasks.set(k, c); place(dest, c, t.id, siblings(dest, t.id).slice(-1)[0]); touchTask(c); }
      l.order.delete(t.id);
    } else place(l, t, p.parent, p.previous);
    touchTask(t);
    return send(res, 200, taskView(dest, t, base));
  }
  if (m[4]) fail(404, 'Not Found', {reason: 'notFound'});
  // tasks.get: GET …/tasks/{task} (a deleted task is still returned, with deleted: true)
  if (M === 'GET') { count('tasks.tasks.get'); params('tasks', 'tasks.tasks.get', url); return send(res, 200, taskView(l, t, base)); }
  // tasks.update (PUT, the whole task) and tasks.patch (PATCH): parent and position are changed by move only
  if (M === 'PUT' || M === 'PATCH') {
    const methodId = M === 'PUT' ? 'tasks.tasks.update' : 'tasks.tasks.patch';
    count(methodId);
    params('tasks', methodId, url);
    const b = body('tasks', methodId, raw, 'resource');
    if (b.id !== undefined && b.id !== t.id) fail(400, 'Invalid Value', {reason: 'invalid', location: 'id'});
    writeTask(t, b, M === 'PUT');
    touchTask(t);
    return send(res, 200, taskView(l, t, base));
  }
  // tasks.delete: DELETE …/tasks/{task} → 204; the task (and its subtasks) stay as deleted: true
  if (M === 'DELETE') {
    count('tasks.tasks.delete');
    params('tasks', 'tasks.tasks.delete', url);
    for (const x of [t, ...siblings(l, t.id).map(k => l.tasks.get(k))]) if (!x.deleted) { x.deleted = true; touchTask(x); }
    return send(res, 204);
  }
  fail(404, 'Not Found', {reason: 'notFound'});
}
routes.tasks = tasksApi;
// ================================================================ Gmail API v1

const SYSTEM_LABELS = ['INBOX', 'SENT', 'TRASH', 'SPAM', 'DRAFT', 'UNREAD', 'STARRED', 'IMPORTANT', 'CHAT',
  'CATEGORY_PERSONAL', 'CATEGORY_SOCIAL', 'CATEGORY_PROMOTIONS', 'CATEGORY_UPDATES', 'CATEGORY_FORUMS'];
function gmailOf(u) {
  const G = u.gmail;
  if (!G.labels.size) for (const l of SYSTEM_LABELS) G.labels.set(l, {id: l, name: l, type: 'system'});
  return G;
}
// History ids "increase chronologically but are not contiguous with random gaps in between"
function historyStep(G, record) {
  G.historyId += 1 + crypto.randomInt(4);
  if (record) G.history.push(Object.assign({id: String(G.historyId)}, record));
  return String(G.historyId);
}
const {headersOf, header} = require('./fake_mime');
function labelView(G, l) {
  const out = {id: l.id, name: l.name, type: l.type};
  if (l.type === 'user') Object.assign(out, {messageListVisibility: l.messageListVisibility, labelListVisibility: l.labelListVisibility});
  if (l.color) out.color = l.color;
  return out;
}
function labelStats(G, l) {
  const ms = [...G.messages.values()].filter(m => m.labelIds.includes(l.id));
  const threads = new Set(ms.map(m => m.threadId)), unread = ms.filter(m => m.labelIds.includes('UNREAD'));
  return Object.assign(labelView(G, l), {messagesTotal: ms.length, messagesUnread: unread.length, threadsTotal: threads.size,
                                         threadsUnread: new Set(unread.map(m => m.threadId)).size});
}
function checkLabels(G, ids, field) {
  for (const id of ids || []) if (!G.labels.has(id)) fail(400, 'Invalid label: ' + id, {reason: 'invalidArgument', location: field});
}
function addMessage(u, raw, labelIds, internalDateSource) {
  const G = gmailOf(u);
  const {headers} = headersOf(raw);
  const msgid = header(headers, 'Message-ID');
  let threadId = null;
  const refs = ((header(headers, 'References') || '') + ' ' + (header(headers, 'In-Reply-To') || '')).match(/<[^>]+>/g) || [];
  for (const m of G.messages.values()) if (m.messageId && refs.includes(m.messageId)) { threadId = m.threadId; break; }
  const id = (BigInt(stamp()) * 4096n + BigInt(crypto.randomInt(4096))).toString(16);
  let internalDate = stamp();
  if (internalDateSource === 'dateHeader' && header(headers, 'Date') && !isNaN(Date.parse(header(headers, 'Date'))))
    internalDate = Date.parse(header(headers, 'Date'));
  const m = {id, threadId: threadId || id, labelIds: [...new Set(labelIds || [])], raw: raw.toString('base64url'), internalDate,
             sizeEstimate: raw.length, messageId: msgid};
  G.messages.set(id, m);
  m.historyId = historyStep(G, {messages: [{id, threadId: m.threadId}], messagesAdded: [{message: {id, threadId: m.threadId, labelIds: m.labelIds}}]});
  return m;
}
function messageView(G, m, format, only) {
  const out = {id: m.id, threadId: m.threadId, labelIds: m.labelIds};
  const raw = Buffer.from(m.raw, 'base64url');
  const {headers, body} = headersOf(raw);
  if (format !== 'minimal') out.snippet = body.replace(/\s+/g, ' ').trim().slice(0, 200);
  out.sizeEstimate = m.sizeEstimate;
  out.historyId = m.historyId;
  out.internalDate = String(m.internalDate);
  if (format === 'raw') out.raw = m.raw;
  if (format === 'metadata') {
    const want = (only || []).map(s => s.toLowerCase());
    out.payload = {partId: '', mimeType: (header(headers, 'Content-Type') || 'text/plain').split(';')[0].trim(), filename: '',
                   headers: want.length ? headers.filter(h => want.includes(h.name.toLowerCase())) : headers, body: {size: 0}};
  }
  if (format === 'full') {
    const type = (header(headers, 'Content-Type') || 'text/plain').split(';')[0].trim();
    out.payload = {partId: '', mimeType: type, filename: '', headers,
                   body: /^multipart\//i.test(type) ? {size: 0} : {size: Buffer.byteLength(body, 'latin1'), data: Buffer.from(body, 'latin1').toString('base64url')}};
  }
  return out;
}
// What messages.list's q takes here: rfc822msgid:, label:, in:, from:, subject:, after:/before: (epoch
// seconds or yyyy/mm/dd); any other term answers 501 (the fake's limit, not Gmail's).
function matchQuery(G, m, q) {
  const {headers} = headersOf(Buffer.from(m.raw, 'base64url'));
  for (const term of (q.match(/\S+:"[^"]*"|\S+/g) || [])) {
    const t = /^(\w+):(.*)$/.exec(term);
    if (!t) fail(501, 'Free-text search is not modelled by this fake: ' + term, {reason: 'notImplemented'});
    const v = t[2].replace(/^"|"$/g, '');
    const k = t[1].toLowerCase();
    const day = s => /^\d+$/.test(s) ? Number(s) * 1000 : Date.parse(s.replace(/\//g, '-') + 'T00:00:00Z');
    if (k === 'rfc822msgid') { const id = (m.messageId || '').replace(/^<|>$/g, ''); if (id !== v.replace(/^<|>$/g, '')) return false; }
    else if (k === 'label' || k === 'in') {
      const l = [...G.labels.values()].find(x => x.name.toLowerCase() === v.toLowerCase() || x.id.toLowerCase() === v.toLowerCase());
      if (!l || !m.labelIds.includes(l.id)) return false;
    } else if (k === 'from') { if (!(header(headers, 'From') || '').toLowerCase().includes(v.toLowerCase())) return false; }
    else if (k === 'subject') { if (!(header(headers, 'Subject') || '').toLowerCase().includes(v.toLowerCase())) return false; }
    else if (k === 'after') { if (m.internalDate < day(v)) return false; }
    else if (k === 'before') { if (m.internalDate >= day(v)) return false; }
    else fail(501, 'Search operator ' + k + ': is not modelled by this fake', {reason: 'notImplemented'});
  }
  return true;
}
function modifyLabels(G, m, add, remove) {
  const added = (add || []).filter(l => !m.labelIds.includes(l)), removed = (remove || []).filter(l => m.labelIds.includes(l));
  if (!added.length && !removed.length) return;
  m.labelIds = m.labelIds.filter(l => !removed.includes(l)).concat(added);
  const ref = {id: m.id, threadId: m.threadId, labelIds: m.labelIds};
  if (added.length) m.historyId = historyStep(G, {messages: [{id: m.id, threadId: m.threadId}], labelsAdded: [{message: ref, labelIds: added}]});
  if (removed.length) m.historyId = historyStep(G, {messages: [{id: m.id, threadId: m.threadId}], labelsRemoved: [{message: ref, labelIds: removed}]});
}
// The message of an upload: uploadType=media (message/rfc822) or multipart (multipart/related: the JSON
// Message, then the message) ("Uploading attachments"; messages.import's mediaUpload, accept message/*).
// An upload ("Upload file data", Gmail's and Drive's mediaUpload): uploadType=media (the body is the content)
// or multipart (multipart/related: the JSON metadata, then the content). fake_http hands the body over as
// UTF-8 text, so content that is not UTF-8 is not kept byte for byte.
function uploadOf(req, raw, url) {
  const type = url.searchParams.get('uploadType');
  if (type === 'media') return {meta: {}, content: Buffer.from(raw), contentType: req.headers['content-type']};
  if (type === 'multipart') {
    const b = /boundary="?([^";]+)"?/i.exec(req.headers['content-type'] || '');
    if (!/^multipart\/related/i.test(req.headers['content-type'] || '') || !b) fail(400, 'Bad Request', {reason: 'badRequest'});
    const parts = raw.split('--' + b[1]).slice(1, -1).map(x => x.replace(/^\r?\n/, '').replace(/\r?\n$/, ''));
    if (parts.length !== 2) fail(400, 'Bad Request', {reason: 'badRequest'});
    const split = x => { const i = x.search(/\r?\n\r?\n/); return {head: x.slice(0, i), body: x.slice(i).replace(/^\r?\n\r?\n/, '')}; };
    const meta = split(parts[0]), media = split(parts[1]);
    return {meta: JSON.parse(meta.body || '{}'), content: Buffer.from(media.body), contentType: (/content-type:\s*([^\r\n]+)/i.exec(media.head) || [])[1]};
  }
  fail(400, 'Invalid upload type: ' + type, {reason: 'invalid', location: 'uploadType'});
}
// Gmail's: the content must be a message/* ("Accepted Media MIME types: message/*")
function uploaded(req, raw, url) {
  const up = uploadOf(req, raw, url);
  if (!/^message\//i.test(up.contentType || '')) fail(400, 'Media type \'' + (up.contentType || '') + '\' is not supported. Valid media types: [message/*]', {reason: 'badContent'});
  return {meta: up.meta, raw: up.content};
}

function gmailApi(req, res, url, u, raw) {
  const upload = url.pathname.startsWith('/upload/');
  const path = url.pathname.slice(upload ? '/upload/gmail/v1/'.length : '/gmail/v1/'.length);
  const M = req.method;
  const G = gmailOf(u);
  let m = /^users\/([^/]+)\/(.*)$/.exec(path);
  if (!m) fail(404, 'Not Found', {reason: 'notFound'});
  const who = decodeURIComponent(m[1]);
  if (who !== 'me' && who !== u.email) fail(403, 'Delegation denied for ' + u.email, {reason: 'forbidden'});
  const rest = m[2];
  // users.getProfile: GET /gmail/v1/users/{userId}/profile
  if (M === 'GET' && rest === 'profile') {
    count('gmail.users.getProfile');
    params('gmail', 'gmail.users.getProfile', url);
    return send(res, 200, {emailAddress: u.email, messagesTotal: G.messages.size,
                           threadsTotal: new Set([...G.messages.values()].map(x => x.threadId)).size, historyId: String(G.historyId)});
  }
  // users.messages.import (POST …/messages/import, JSON {raw} or an upload) and users.messages.insert
  // (POST …/messages): labelIds must exist; internalDateSource receivedTime or dateHeader (defaults: import
  // dateHeader, insert receivedTime)
  if (M === 'POST' && (rest === 'messages/import' || rest === 'messages')) {
    const methodId = rest === 'messages' ? 'gmail.users.messages.insert' : 'gmail.users.messages.import';
    count(methodId);
    const q = new URL(url.href);
    q.searchParams.delete('uploadType');
    const p = params('gmail', methodId, q);
    let b, msg;
    if (upload) {
      const up = uploaded(req, raw, url);
      b = body('gmail', methodId, JSON.stringify(up.meta), 'message');
      msg = up.raw;
    } else {
      b = body('gmail', methodId, raw, 'message');
      if (!b.raw) fail(400, '\'raw\' RFC822 payload message string or uploading message via /upload/* URL required', {reason: 'invalidArgument'});
      if (!/^[A-Za-z0-9_-]*=*$/.test(b.raw)) fail(400, 'Invalid value for ByteString: ' + b.raw.slice(0, 20), {reason: 'invalidArgument'});
      msg = Buffer.from(b.raw, 'base64url');
    }
    if (!headersOf(msg).headers.length) fail(400, 'Invalid RFC822 message: no headers', {reason: 'invalidArgument'});
    checkLabels(G, b.labelIds, 'labelIds');
    // internalDateSource's default is the method's (discovery: import dateHeader, insert receivedTime)
    const x = addMessage(u, msg, b.labelIds, p.internalDateSource || spec.gmail.methods[methodId].parameters.internalDateSource.default);
    return send(res, 200, {id: x.id, threadId: x.threadId, labelIds: x.labelIds});
  }
  if (upload) fail(404, 'Not Found', {reason: 'notFound'});
  // users.messages.list: GET …/messages?q&labelIds&maxResults (≤ 500, default 100)&pageToken&includeSpamTrash
  if (M === 'GET' && rest === 'messages') {
    count('gmail.users.messages.list');
    const p = params('gmail', 'gmail.users.messages.list', url);
    const size = p.maxResults === undefined ? 100 : p.maxResults;
    if (size < 1 || size > 500) fail(400, 'Invalid maxResults', {reason: 'invalidArgument', location: 'maxResults'});
    const start = pageStart('gmail', p, 'maxResults', {message: 'Invalid pageToken', reason: 'invalidArgument', location: 'pageToken'});
    const rows = [...G.messages.values()].filter(x => (p.includeSpamTrash || !x.labelIds.some(l => l === 'SPAM' || l === 'TRASH')) &&
      (p.labelIds || []).every(l => x.labelIds.includes(l)) && (p.q === undefined || matchQuery(G, x, p.q)))
      .sort((a, b) => b.internalDate - a.internalDate || (a.id < b.id ? 1 : -1));
    const out = {};
    const pageRows = rows.slice(start, start + size);
    if (pageRows.length) out.messages = pageRows.map(x => ({id: x.id, threadId: x.threadId}));
    const next = nextPage('gmail', p, 'maxResults', start, size, rows.length);
    if (next) out.nextPageToken = next;
    out.resultSizeEstimate = rows.length;
    return send(res, 200, out);
  }
  // users.messages.batchModify: POST …/messages/batchModify {ids (≤ 1000), addLabelIds, removeLabelIds} → 204
  if (M === 'POST' && rest === 'messages/batchModify') {
    count('gmail.users.messages.batchModify');
    params('gmail', 'gmail.users.messages.batchModify', url);
    const b = body('gmail', 'gmail.users.messages.batchModify', raw);
    if (!b.ids || !b.ids.length) fail(400, 'No message ids specified', {reason: 'invalidArgument'});
    if (b.ids.length > 1000) fail(400, 'Too many messages. The maximum is 1000.', {reason: 'invalidArgument'});
    checkLabels(G, (b.addLabelIds || []).concat(b.removeLabelIds || []), 'labelIds');
    for (const id of b.ids) { const x = G.messages.get(id); if (x) modifyLabels(G, x, b.addLabelIds, b.removeLabelIds); }
    return send(res, 204);
  }
  // users.history.list: GET …/history?startHistoryId (required)&historyTypes&labelId&maxResults (≤ 500)&pageToken;
  // "Supplying an invalid or out of date startHistoryId typically returns an HTTP 404"
  if (M === 'GET' && rest === 'history') {
    count('gmail.users.history.list');
    const p = params('gmail', 'gmail.users.history.list', url);
    const startId = need(p, 'startHistoryId');
    if (!/^\d+$/.test(startId)) fail(400, 'Invalid startHistoryId', {reason: 'invalidArgument', location: 'startHistoryId'});
    if (Number(startId) < (G.oldestHistory || 0) || Number(startId) > G.historyId) fail(404, 'Requested entity was not found.', {reason: 'notFound'});
    const size = p.maxResults === undefined ? 100 : p.maxResults;
    if (size < 1 || size > 500) fail(400, 'Invalid maxResults', {reason: 'invalidArgument', location: 'maxResults'});
    const start = pageStart('gmail', p, 'maxResults', {message: 'Invalid pageToken', reason: 'invalidArgument', location: 'pageToken'});
    const types = p.historyTypes || ['messageAdded', 'messageDeleted', 'labelAdded', 'labelRemoved'];
    const key = {messageAdded: 'messagesAdded', messageDeleted: 'messagesDeleted', labelAdded: 'labelsAdded', labelRemoved: 'labelsRemoved'};
    const rows = G.history.filter(h => Number(h.id) > Number(startId) && types.some(t => h[key[t]]) &&
      (p.labelId === undefined || ['messagesAdded', 'messagesDeleted', 'labelsAdded', 'labelsRemoved'].some(k => (h[k] || []).some(e => (e.message.labelIds || []).includes(p.labelId) || (e.labelIds || []).includes(p.labelId)))));
    const out = {};
    const pageRows = rows.slice(start, start + size);
    if (pageRows.length) out.history = pageRows;
    const next = nextPage('gmail', p, 'maxResults', start, size, rows.length);
    if (next) out.nextPageToken = next;
    out.historyId = String(G.historyId);
    return send(res, 200, out);
  }
  // users.labels.list / create: GET|POST …/labels (create: name, labelListVisibility and messageListVisibility are
  // required by the discovery document's annotations; a taken name answers 409)
  if (rest === 'labels') {
    if (M === 'GET') {
      count('gmail.users.labels.list');
      params('gmail', 'gmail.users.labels.list', url);
      return send(res, 200, {labels: [...G.labels.values()].map(l => labelView(G, l))});
    }
    if (M === 'POST') {
      count('gmail.users.labels.create');
      params('gmail', 'gmail.users.labels.create', url);
      const b = body('gmail', 'gmail.users.labels.create', raw, 'label');
      checkVisibility(b);
      for (const l of G.labels.values()) if (l.name.toLowerCase() === b.name.toLowerCase())
        fail(409, 'Label name exists or conflicts', {reason: 'alreadyExists', status: 'ALREADY_EXISTS'});
      const l = {id: 'Label_' + (++G.seq), name: b.name, type: 'user', labelListVisibility: b.labelListVisibility,
                 messageListVisibility: b.messageListVisibility, color: b.color};
      G.labels.set(l.id, l);
      return send(res, 200, labelView(G, l));
    }
  }
  if ((m = /^labels\/([^/]+)$/.exec(rest))) {
    const l = G.labels.get(decodeURIComponent(m[1]));
    const methodId = {GET: 'gmail.users.labels.get', PUT: 'gmail.users.labels.update', PATCH: 'gmail.users.labels.patch', DELETE: 'gmail.users.labels.delete'}[M];
    if (!methodId) fail(404, 'Not Found', {reason: 'notFound'});
    count(methodId);
    params('gmail', methodId, url);
    if (!l) fail(404, 'Requested entity was not found.', {reason: 'notFound'});
    if (M === 'GET') return send(res, 200, labelStats(G, l));
    if (l.type === 'system') fail(400, 'Invalid update request', {reason: 'invalidArgument'});
    if (M === 'DELETE') {
      G.labels.delete(l.id);
      for (const x of G.messages.values()) if (x.labelIds.includes(l.id)) modifyLabels(G, x, [], [l.id]);
      return send(res, 204);
    }
    const b = body('gmail', methodId, raw, 'label');
    if (M === 'PUT') checkVisibility(b);
    if (b.name !== undefined && b.name !== l.name)
      for (const o of G.labels.values()) if (o !== l && o.name.toLowerCase() === b.name.toLowerCase())
        fail(409, 'Label name exists or conflicts', {reason: 'alreadyExists', status: 'ALREADY_EXISTS'});
    for (const k of ['name', 'labelListVisibility', 'messageListVisibility', 'color']) if (b[k] !== undefined) l[k] = b[k];
    return send(res, 200, labelView(G, l));
  }
  if (!(m = /^messages\/([^/]+)(?:\/(modify|trash|untrash))?$/.exec(rest))) fail(404, 'Not Found', {reason: 'notFound'});
  const msg = G.messages.get(decodeURIComponent(m[1]));
  // users.messages.get: GET …/messages/{id}?format=minimal|full|raw|metadata&metadataHeaders
  if (M === 'GET' && !m[2]) {
    count('gmail.users.messages.get');
    const p = params('gmail', 'gmail.users.messages.get', url);
    if (!msg) fail(404, 'Requested entity was not found.', {reason: 'notFound'});
    // the order messages are read in, for tests (at least the last 10,000): /__stats gmail_gets ["id format"]
    (stats.gmail_gets || (stats.gmail_gets = [])).push(msg.id + ' ' + (p.format || 'full'));
    if (stats.gmail_gets.length > 20000) stats.gmail_gets.splice(0, 10000);
    return send(res, 200, messageView(G, msg, p.format || 'full', p.metadataHeaders));
  }
  if (M === 'POST' && m[2]) {
    const methodId = 'gmail.users.messages.' + m[2];
    count(methodId);
    params('gmail', methodId, url);
    const b = body('gmail', methodId, raw);
    if (!msg) fail(404, 'Requested entity was not found.', {reason: 'notFound'});
    // users.messages.modify {addLabelIds, removeLabelIds}; trash adds TRASH; untrash removes it
    if (m[2] === 'modify') { checkLabels(G, (b.addLabelIds || []).concat(b.removeLabelIds || []), 'labelIds'); modifyLabels(G, msg, b.addLabelIds, b.removeLabelIds); }
    if (m[2] === 'trash') modifyLabels(G, msg, ['TRASH'], ['SPAM']);
    if (m[2] === 'untrash') modifyLabels(G, msg, [], ['TRASH']);
    return send(res, 200, {id: msg.id, threadId: msg.threadId, labelIds: msg.labelIds});
  }
  // users.messages.delete: DELETE …/messages/{id} → 204, for good (history: messagesDeleted)
  if (M === 'DELETE' && !m[2]) {
    count('gmail.users.messages.delete');
    params('gmail', 'gmail.users.messages.delete', url);
    if (!msg) fail(404, 'Requested entity was not found.', {reason: 'notFound'});
    G.messages.delete(msg.id);
    historyStep(G, {messages: [{id: msg.id, threadId: msg.threadId}], messagesDeleted: [{message: {id: msg.id, threadId: msg.threadId}}]});
    return send(res, 204);
  }
  fail(404, 'Not Found', {reason: 'notFound'});
}
function checkVisibility(b) {
  if (b.labelListVisibility !== undefined && !['labelShow', 'labelShowIfUnread', 'labelHide'].includes(b.labelListVisibility))
    fail(400, 'Invalid label list visibility', {reason: 'invalidArgument', location: 'labelListVisibility'});
  if (b.messageListVisibility !== undefined && !['show', 'hide'].includes(b.messageListVisibility))
    fail(400, 'Invalid message list visibility', {reason: 'invalidArgument', location: 'messageListVisibility'});
}
routes.gmail = gmailApi;
// ================================================================ Drive API v3

// Partial responses ("Return specific fields"): Drive v3 answers only a default set of fields unless
// `fields` names others; fields=* gives all. Syntax: a,b,c(d,e),f/g.
function parseFields(s) {
  const out = {};
  let i = 0;
  function list(into, stop) {
    while (i < s.length && s[i] !== stop) {
      let name = '';
      while (i < s.length && !',()'.includes(s[i])) name += s[i++];
      name = name.trim();
      let sub = true;
      if (s[i] === '(') { i++; sub = {}; list(sub, ')'); i++; }
      const path = name.split('/');
      let at = into;
      for (let k = 0; k < path.length - 1; k++) at = at[path[k]] = at[path[k]] === true ? true : at[path[k]] || {};
      if (at !== true && name) at[path[path.length - 1]] = sub;
      if (s[i] === ',') i++;
    }
  }
  list(out, undefined);
  return out;
}
function pick(v, sel) {
  if (sel === true || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(x => pick(x, sel));
  if (sel['*']) return v;
  const out = {};
  for (const [k, s] of Object.entries(sel)) if (v[k] !== undefined) out[k] = pick(v[k], s);
  return out;
}
const FOLDER = 'application/vnd.google-apps.folder';
function driveOf(u) {
  const D = u.drive;
  if (!D.root) {
    D.root = 'root' + rid(8);
    D.files.set(D.root, {id: D.root, name: 'My Drive', mimeType: FOLDER, parents: [], appProperties: {}, properties: {},
                         createdTime: stamp(), modifiedTime: stamp(), version: 1, trashed: false, isRoot: true});
  }
  return D;
}
function fileView(u, f) {
  const out = {kind: 'drive#file', id: f.id, name: f.name, mimeType: f.mimeType, parents: f.parents, trashed: f.trashed,
               explicitlyTrashed: f.trashed, createdTime: iso(f.createdTime), modifiedTime: iso(f.modifiedTime),
               version: String(f.version), ownedByMe: true, spaces: ['drive'], starred: !!f.starred,
               owners: [{kind: 'drive#user', me: true, emailAddress: u.email, displayName: u.email}],
               webViewLink: 'https://drive.google.com/file/d/' + f.id + '/view?usp=drivesdk'};
  if (Object.keys(f.appProperties).length) out.appProperties = f.appProperties;
  if (Object.keys(f.properties).length) out.properties = f.properties;
  if (f.description !== undefined) out.description = f.description;
  if (f.content !== undefined) {
    out.size = String(f.content.length);
    out.md5Checksum = crypto.createHash('md5').update(f.content).digest('hex');
    out.headRevisionId = 'r' + f.version;
  }
  return out;
}
function fieldsFor(p, dflt) { return p.fields !== undefined ? parseFields(p.fields) : parseFields(dflt); }
function driveChange(u, f, removed) {
  const D = driveOf(u);
  D.changes.push({seq: ++D.seq, fileId: f.id, removed, time: stamp()});
}
// Writes File metadata: appProperties and properties merge, a key set to null is cleared ("File" reference).
function writeFile(D, f, b, p) {
  for (const k of ['name', 'mimeType', 'description', 'starred']) if (b[k] !== undefined) f[k] = b[k];
  for (const k of ['appProperties', 'properties']) if (b[k]) for (const [key, v] of Object.entries(b[k])) {
    if (v === null) delete f[k][key];
    else {
      if (Buffer.byteLength(key + v) > 124) fail(400, 'The size of a property (key + value) exceeds 124 bytes.', {reason: 'invalid', location: k});
      f[k][key] = String(v);
    }
  }
  if (b.trashed !== undefined) f.trashed = !!b.trashed;
  // File.modifiedTime: "setting modifiedTime will also update modifiedByMeTime" (writable on create and update)
  if (b.modifiedTime !== undefined) {
    if (isNaN(Date.parse(b.modifiedTime))) fail(400, 'Invalid value for modifiedTime: ' + b.modifiedTime, {reason: 'invalid', location: 'modifiedTime'});
    f.setModified = Date.parse(b.modifiedTime);
  }
  const parents = new Set(f.parents);
  for (const x of (b.parents || []).concat(p.addParents ? String(p.addParents).split(',') : [])) {
    const id = x === 'root' ? D.root : x;
    const folder = D.files.get(id);
    if (!folder || folder.mimeType !== FOLDER) fail(404, 'File not found: ' + x + '.', {reason: 'notFound', location: 'fileId'});
    parents.add(id);
  }
  for (const x of p.removeParents ? String(p.removeParents).split(',') : []) parents.delete(x === 'root' ? D.root : x);
  f.parents = [...parents];
}
// files.list q: name = '…', name contains '…', mimeType = '…', '<id>' in parents, trashed = true|false,
// appProperties has { key='…' and value='…' }, properties has {…}, joined by "and"; anything else is 501
// (the fake's limit; "Search for files and folders" lists the full grammar).
function driveQuery(D, f, q) {
  const str = s => s.replace(/^'|'$/g, '').replace(/\\'/g, "'");
  for (const term of q.split(/\s+and\s+(?![^{]*})/i)) {
    const t = term.trim();
    let m;
    if ((m = /^name\s*=\s*('(?:[^'\\]|\\.)*')$/.exec(t))) { if (f.name !== str(m[1])) return false; }
    else if ((m = /^name\s+contains\s+('(?:[^'\\]|\\.)*')$/.exec(t))) { if (!f.name.includes(str(m[1]))) return false; }
    else if ((m = /^mimeType\s*(!?=)\s*('(?:[^'\\]|\\.)*')$/.exec(t))) { if ((f.mimeType === str(m[2])) !== (m[1] === '=')) return false; }
    else if ((m = /^('(?:[^'\\]|\\.)*')\s+in\s+parents$/.exec(t))) { const id = str(m[1]); if (!f.parents.includes(id === 'root' ? D.root : id)) return false; }
    else if ((m = /^trashed\s*=\s*(true|false)$/.exec(t))) { if (f.trashed !== (m[1] === 'true')) return false; }
    else if ((m = /^(appProperties|properties)\s+has\s+\{\s*key\s*=\s*('(?:[^'\\]|\\.)*')\s+and\s+value\s*=\s*('(?:[^'\\]|\\.)*')\s*\}$/.exec(t))) {
      if (f[m[1]][str(m[2])] !== str(m[3])) return false;
    } else fail(501, 'Query term not modelled by this fake: ' + t, {reason: 'notImplemented'});
  }
  return true;
}

function driveApi(req, res, url, u, raw) {
  const upload = url.pathname.startsWith('/upload/');
  const path = url.pathname.slice(upload ? '/upload/drive/v3/'.length : '/drive/v3/'.length);
  const M = req.method;
  const D = driveOf(u);
  const noUpload = () => { const q = new URL(url.href); q.searchParams.delete('uploadType'); return q; };
  let m;
  // changes.getStartPageToken: GET /drive/v3/changes/startPageToken (guide: "Retrieve changes")
  if (M === 'GET' && path === 'changes/startPageToken') {
    count('drive.changes.getStartPageToken');
    const p = params('drive', 'drive.changes.getStartPageToken', url);
    return send(res, 200, pick({kind: 'drive#startPageToken', startPageToken: String(D.seq + 1)}, fieldsFor(p, '*')));
  }
  // changes.list: GET /drive/v3/changes?pageToken (required)&pageSize (≤ 1000)&includeRemoved (default true)…:
  // each file once, at its latest change; newStartPageToken on the last page
  if (M === 'GET' && path === 'changes') {
    count('drive.changes.list');
    const p = params('drive', 'drive.changes.list', url);
    const tok = need(p, 'pageToken');
    if (!/^\d+$/.test(tok) || Number(tok) > D.seq + 1 || Number(tok) < 1) fail(400, 'Invalid Value', {reason: 'invalid', location: 'pageToken'});
    const size = p.pageSize === undefined ? 100 : p.pageSize;
    const latest = new Map();
    for (const c of D.changes) if (c.seq >= Number(tok)) latest.set(c.fileId, c);
    let rows = [...latest.values()].sort((a, b) => a.seq - b.seq);
    if (p.includeRemoved === false) rows = rows.filter(c => !c.removed);
    const pageRows = rows.slice(0, size);
    const out = {kind: 'drive#changeList'};
    if (rows.length > size) out.nextPageToken = String(pageRows[pageRows.length - 1].seq + 1);
    else out.newStartPageToken = String(D.seq + 1);
    out.changes = pageRows.map(c => {
      const f = D.files.get(c.fileId);
      const ch = {kind: 'drive#change', changeType: 'file', type: 'file', time: iso(c.time), removed: c.removed || !f, fileId: c.fileId};
      if (f && !c.removed) ch.file = fileView(u, f);
      return ch;
    });
    return send(res, 200, pick(out, fieldsFor(p, 'kind,nextPageToken,newStartPageToken,changes(kind,changeType,type,time,removed,fileId,file(kind,id,name,mimeType))')));
  }
  // files.list: GET /drive/v3/files?q&pageSize (≤ 1000)&pageToken&orderBy&fields (reference: files/list)
  if (M === 'GET' && path === 'files') {
    count('drive.files.list');
    const p = params('drive', 'drive.files.list', url);
    const size = p.pageSize === undefined ? 100 : p.pageSize;
    const start = pageStart('drive', p, 'pageSize', {message: 'Invalid Value', reason: 'invalid', location: 'pageToken'});
    const rows = [...D.files.values()].filter(f => !f.isRoot && (p.q === undefined || driveQuery(D, f, p.q)));
    if (p.orderBy !== undefined && !/^(name|modifiedTime|createdTime)( desc)?$/.test(p.orderBy)) fail(501, 'orderBy not modelled by this fake: ' + p.orderBy, {reason: 'notImplemented'});
    if (p.orderBy) {
      const [k, desc] = p.orderBy.split(' ');
      rows.sort((a, b) => (a[k] < b[k] ? -1 : a[k] > b[k] ? 1 : 0) * (desc ? -1 : 1));
    }
    const out = {kind: 'drive#fileList', incompleteSearch: false, files: rows.slice(start, start + size).map(f => fileView(u, f))};
    const next = nextPage('drive', p, 'pageSize', start, size, rows.length);
    if (next) out.nextPageToken = next;
    return send(res, 200, pick(out, fieldsFor(p, 'kind,nextPageToken,incompleteSearch,files(kind,id,name,mimeType)')));
  }
  // files.create: POST /drive/v3/files (metadata) or /upload/drive/v3/files?uploadType=media|multipart
  if (M === 'POST' && path === 'files') {
    count('drive.files.create');
    const p = params('drive', 'drive.files.create', noUpload());
    let b, content, ctype;
    if (upload) { const up = uploadOf(req, raw, url); b = body('drive', 'drive.files.create', JSON.stringify(up.meta), 'resource'); content = up.content; ctype = up.contentType; }
    else b = body('drive', 'drive.files.create', raw, 'resource');
    if (b.id !== undefined) fail(400, 'The provided file ID is not usable.', {reason: 'fileIdNotUsable', location: 'file.id'});
    const f = {id: '1' + Buffer.from(rid(16)).toString('base64url').slice(0, 32), name: b.name || 'Untitled',
               mimeType: b.mimeType || ctype || (content ? 'application/octet-stream' : 'application/octet-stream'),
               parents: [], appProperties: {}, properties: {}, createdTime: stamp(), version: 1, trashed: false, content};
    writeFile(D, f, Object.assign({}, b, {parents: b.parents && b.parents.length ? b.parents : ['root']}), {});
    f.modifiedTime = f.setModified !== undefined ? f.setModified : stamp();
    delete f.setModified;
    D.files.set(f.id, f);
    driveChange(u, f, false);
    return send(res, 200, pick(fileView(u, f), fieldsFor(p, 'kind,id,name,mimeType')));
  }
  if (!(m = /^files\/([^/]+)$/.exec(path))) fail(404, 'Not Found', {reason: 'notFound'});
  const id = decodeURIComponent(m[1]);
  const f = D.files.get(id === 'root' ? D.root : id);
  const notFound = () => fail(404, 'File not found: ' + id + '.', {reason: 'notFound', location: 'fileId'});
  // files.get: GET /drive/v3/files/{fileId}[?alt=media] (reference: files/get; guide: "Download and export files")
  if (M === 'GET' && !upload) {
    count('drive.files.get');
    const p = params('drive', 'drive.files.get', url);
    if (!f) notFound();
    if (p.alt === 'media') {
      if (f.mimeType === FOLDER || f.content === undefined) fail(403, 'Only files with binary content can be downloaded. Use Export with Docs Editors files.', {reason: 'fileNotDownloadable', location: 'alt'});
      res.writeHead(200, {'Content-Type': f.mimeType, 'Content-Length': f.content.length});
      return res.end(f.content);
    }
    return send(res, 200, pick(fileView(u, f), fieldsFor(p, 'kind,id,name,mimeType')));
  }
  // files.update: PATCH /drive/v3/files/{fileId} (metadata) or /upload/drive/v3/files/{fileId}?uploadType=…
  // (addParents, removeParents; appProperties merged)
  if (M === 'PATCH') {
    count('drive.files.update');
    const p = params('drive', 'drive.files.update', noUpload());
    let b, content;
    if (upload) { const up = uploadOf(req, raw, url); b = body('drive', 'drive.files.update', JSON.stringify(up.meta), 'resource'); content = up.content; }
    else b = body('drive', 'drive.files.update', raw, 'resource');
    if (!f) notFound();
    if (b.parents !== undefined) fail(403, 'The parents field is not directly writable in update requests. Use the addParents and removeParents parameters instead.', {reason: 'fieldNotWritable', location: 'parents'});
    writeFile(D, f, b, p);
    if (content !== undefined) f.content = content;
    f.version++;
    f.modifiedTime = f.setModified !== undefined ? f.setModified : stamp();
    delete f.setModified;
    driveChange(u, f, false);
    return send(res, 200, pick(fileView(u, f), fieldsFor(p, 'kind,id,name,mimeType')));
  }
  // files.delete: DELETE /drive/v3/files/{fileId} → 204, for good (a removed change)
  if (M === 'DELETE' && !upload) {
    count('drive.files.delete');
    params('drive', 'drive.files.delete', url);
    if (!f) notFound();
    D.files.delete(f.id);
    driveChange(u, f, true);
    return send(res, 204);
  }
  fail(404, 'Not Found', {reason: 'notFound'});
}
routes.drive = driveApi;

function newCalendar(u, id, summary, primary) {
  return {id, summary, timeZone: 'UTC', primary: !!primary, events: new Map(), etag: '"' + stamp() + '"', changed: 0};
}

serve(dispatch, (res, e) => sendError(res, 'calendar', new ApiError(500, 'INTERNAL', String(e && e.stack || e), {reason: 'backendError'})));
