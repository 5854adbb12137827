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
// Usage: [GOOGLE_CLIENT_ID=… GOOGLE_CLIENT_SECRET=… GOOGLE_REFRESH_TOKEN=… GOOGLE_TOKEN=… GOOGLE_USER=…]
//        node google_fake.js → prints "port N" (127.0.0.1; PEER_PORT pins it)
// Test-only routes (no authentication):
//   POST /__control {"expire_tokens": true, "token_lifetime": s, "rotate_refresh_token": bool,
//                    "revoke_refresh_token": true, "expire_sync_tokens": ["people", "contactGroups",
//                    "calendar", "gmail", "drive"], "rate_limit": {"count", "status": 429|403, "reason",
//                    "retry_after", "path"}, "propagation_delay_ms": n}
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
for (const a of APIS) {
  spec[a] = require('./schemas/google-' + a + '.json');
  check[a] = load('google-' + a, {closed: true});
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

function send(res, status, body, headers) {
  const h = Object.assign({'Content-Type': 'application/json; charset=UTF-8', Vary: 'Origin, X-Origin'}, headers || {});
  if (body === undefined) { res.writeHead(status, h); return res.end(); }
  const text = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body, null, 2);
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
function sig(p, leaveOut) {
  const o = {};
  for (const k of Object.keys(p).sort()) if (!leaveOut.includes(k)) o[k] = p[k];
  return JSON.stringify(o);
}
function count(route) { stats.requests++; stats.by_route[route] = (stats.by_route[route] || 0) + 1; }

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

// Injected rate limits: Calendar's "Handle API errors" (403 and 429
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
  if (api === 'people')
    fail(429, "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user' of service 'people.googleapis.com'.",
         {info: 'RATE_LIMIT_EXCEEDED', headers, metadata: {service: 'people.googleapis.com', quota_metric: 'people.googleapis.com/read_requests'}});
  fail(status, message, {reason, domain: 'usageLimits', headers, status: status === 429 ? 'RESOURCE_EXHAUSTED' : 'PERMISSION_DENIED'});
}

// ================================================================ People API v1

const PERSON_FIELDS = ['addresses', 'ageRanges', 'biographies', 'birthdays', 'calendarUrls', 'clientData', 'coverPhotos',
  'emailAddresses', 'events', 'externalIds', 'genders', 'imClients', 'interests', 'locales', 'locations', 'memberships',
  'metadata', 'miscKeywords', 'names', 'nicknames', 'occupations', 'organizations', 'phoneNumbers', 'photos', 'relations',
  'sipAddresses', 'skills', 'urls', 'userDefined'];
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
function updatePerson(u, rn, person, updateFields) {
  const rec = personRec(u, rn);
  const sources = person.metadata && person.metadata.sources;
  if (!sources || !sources.length) fail(400, 'Request must set person.metadata.sources.', {field: 'person.metadata.sources'});
  const contact = sources.find(s => s.type === 'CONTACT');
  if (!contact) fail(400, 'Request must include the contact source in person.metadata.sources.', {field: 'person.metadata.sources'});
  if ((contact.etag !== undefined && contact.etag !== rec.sourceEtag) || (person.etag !== undefined && person.etag !== rec.etag))
    fail(400, 'Request person.etag is different than the current person.etag. Clear local cache and get the latest person.',
         {status: 'FAILED_PRECONDITION', reason: 'failedPrecondition'});
  if (contact.etag === undefined && person.etag === undefined)
    fail(400, 'Request must set person.etag or person.metadata.sources.etag.', {field: 'person.etag'});
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
const UPDATE_FIELDS = CONTACT_FIELDS.filter(f => f !== 'fileAses').concat(['memberships']);

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
    if (h.sig !== sig(p, ['pageToken'])) fail(400, 'Parameters provided with a page token do not match those of the first call.', {field: 'page_token'});
  } else {
    let since = 0;
    if (p.syncToken !== undefined) {
      const s = lookup(p.syncToken, 'sync');
      if (!s || s.api !== 'people') fail(400, 'Sync token is invalid.', {field: 'sync_token'});
      // "Sync tokens expire 7 days after the full sync. … an error with a google.rpc.ErrorInfo with reason EXPIRED_SYNC_TOKEN"
      if (expired(s))
        fail(400, 'Sync token is expired. Clear local cache and retry call without the sync token.',
             {status: 'FAILED_PRECONDITION', info: 'EXPIRED_SYNC_TOKEN', domain: 'people.googleapis.com',
              metadata: {service: 'people.googleapis.com'}});
      if (s.sig !== sig(p, ['syncToken'])) fail(400, 'Parameters provided with a sync token do not match those of the first call.', {field: 'sync_token'});
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
    h = {items: rows.map(r => r.resourceName), offset: 0, since, watermark, sig: sig(p, ['pageToken']),
         firstSig: sig(p, ['syncToken', 'pageToken'])};
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
    for (const rn of names) {           // checked first: the batch fails whole
      const rec = personRec(u, rn);
      const c = b.contacts[rn];
      const src = ((c.metadata && c.metadata.sources) || []).find(s => s.type === 'CONTACT');
      if (!src) fail(400, 'Request must include the contact source in person.metadata.sources.', {field: 'contacts[' + rn + '].metadata.sources'});
      if ((src.etag !== undefined && src.etag !== rec.sourceEtag) || (c.etag !== undefined && c.etag !== rec.etag))
        fail(400, 'Request person.etag is different than the current person.etag. Clear local cache and get the latest person.',
             {status: 'FAILED_PRECONDITION', reason: 'failedPrecondition'});
    }
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
    return send(res, 200, personView(u, personRec(u, m[1]), fields));
  }
  return contactGroups(req, res, url, u, raw, path);
}

// ---- contact groups (reference: contactGroups/*; guide: "Read and manage contact groups")
const GROUP_FIELDS = ['clientData', 'groupType', 'memberCount', 'metadata', 'name'];
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
    const fields = p.groupFields !== undefined ? mask(p.groupFields, 'groupFields', GROUP_FIELDS) : ['metadata', 'groupType', 'name'];
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
        if (expired(s)) fail(400, 'Sync token is expired. Clear local cache and retry call without the sync token.',
                             {status: 'FAILED_PRECONDITION', info: 'EXPIRED_SYNC_TOKEN', domain: 'people.googleapis.com'});
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
const routes = {people};

function testRoutes(req, res, url, raw) {
  const p = url.pathname;
  if (p === '/__control') {
    control(raw, {
      expire_tokens: v => { if (v) for (const a of accessTokens.values()) a.expires = 0; },
      token_lifetime: v => { tokenLifetime = v; },
      rotate_refresh_token: v => { rotate = !!v; },
      revoke_refresh_token: v => { if (v) refreshTokens.clear(); },
      expire_sync_tokens: v => { for (const a of v) expiredBefore[a] = handleSeq; },
      rate_limit: v => { rateLimit = Object.assign({}, v); },
      propagation_delay_ms: v => { propagationMs = v; },
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
  const api = apiOf(url.pathname);
  try {
    if (!api || !routes[api]) fail(404, 'Not Found', {reason: 'notFound'});
    const u = authenticate(req, api, req.method + ' ' + url.pathname);
    limited(url.pathname, api);
    routes[api](req, res, url, u, raw);
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    sendError(res, api || 'calendar', e);
  }
}

// Exports for the other API modules in this file (below).
Object.assign(module.exports, {});

// ---------------------------------------------------------------- the APIs after People
/* CALENDAR */
/* TASKS */
/* GMAIL */
/* DRIVE */

function newCalendar(u, id, summary, primary) {
  return {id, summary, timeZone: 'UTC', primary: !!primary, events: new Map(), etag: '"' + stamp() + '"', changed: 0};
}

serve(dispatch, (res, e) => sendError(res, 'calendar', new ApiError(500, 'INTERNAL', String(e && e.stack || e), {reason: 'backendError'})));
