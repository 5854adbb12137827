// SPDX-License-Identifier: Apache-2.0
// A stateful HighLevel (LeadConnector) API v2 fake for the crm-rest tests,
// following the documented shapes. Strict: request bodies are checked against
// the schemas of HighLevel's own OpenAPI documents (schemas/highlevel.json,
// vendored from GoHighLevel/highlevel-api-docs; the DTO each route checks is
// named at the route), with HighLevel's whitelist: a property the DTO does not
// declare answers 422 {statusCode, message: ["property X should not exist"],
// error: "Unprocessable Entity"} (common-schemas UnprocessableDTO), as a
// missing required field or a wrong type does.
//   every call needs the Version its endpoint documents (contacts and oauth:
//   2021-07-28; conversations: 2021-04-15; else 400) and a bearer token of a
//   location (else 401; an agency token is refused on location endpoints)
//   POST /contacts/search   {locationId, pageLimit ≤ 500, page | searchAfter, filters, sort}
//                           → {contacts: [… each with searchAfter: [sortValue, id]], total};
//                           page paging stops at 10,000 results; searchAfter does not
//   POST /contacts/upsert   {locationId, …} → {new, contact, traceId}; matched by email, then phone
//   POST /contacts/         {locationId, …} → 201 {contact}; a duplicate email answers 400 with meta.contactId
//   GET|PUT|DELETE /contacts/ID   {contact} | {contact, succeded} | {succeded: true}
//   GET|POST /contacts/ID/notes, GET|PUT|DELETE /contacts/ID/notes/NID   {notes} | {note} (body, userId)
//   GET|POST /contacts/ID/tasks, GET|PUT|DELETE /contacts/ID/tasks/TID   {tasks} | {task}
//                           (title, body, dueDate, completed, assignedTo)
//   GET /conversations/search?locationId&limit&sort&sortBy=last_message_date[&startAfterDate]
//                           {conversations: [{id, contactId, lastMessageDate (ms), lastMessageBody, type}], total}
//   GET /conversations/CID/messages?limit[&lastMessageId]   {lastMessageId, nextPage, messages: [...]}
//                           (GetMessagesByConversationResponseDto; limit default 20)
//   GET /conversations/messages/MID                         the message itself (GetMessageResponseDto)
//   GET /conversations/search?…&contactId                   a contact's conversations
//   POST /conversations/    CreateConversationDto {locationId, contactId} → 201 {success, conversation}
//   GET /conversations/CID/messages?type=TYPE_EMAIL,…       only those types (the parameter's enum; else 422)
//   POST /conversations/messages/inbound  ProcessMessageBodyDto → ProcessMessageResponseDto
//                           {success, conversationId, messageId, message, contactId, dateAdded, emailMessageId};
//                           type Email only here; conversationProviderId must be the location's (HL_PROVIDER), else 400;
//                           emailMessageId threads it (the email joins that thread's conversation message,
//                           meta.email.messageIds); altId is kept but not unique (the OpenAPI says nothing of that)
//   POST /conversations/messages  SendMessageBodyDto (type Email) → {conversationId, messageId, emailMessageId, status}
//   GET /conversations/messages/email/EID   GetEmailMessageResponseDto, unwrapped
//   POST /conversations/messages/upload     multipart/form-data, UploadFilesDto fields and files under fileAttachment:
//                           the page's types, at most 5 files (400) of 5 MB each (413): UploadFilesErrorResponseDto
//                           {status, message}, 415 for a type → {uploadedFiles: {name: url}}, keyed by file name
//                           (two files of one name: one key); GET /__files/… serves what was uploaded
//   GET /users/?locationId  LocationSuccessfulResponseDto {users}; GET /users/search?companyId&locationId&skip&limit
//                           SearchUserSuccessfulResponseDto {users, count}
//   PUT /conversations/messages/MID/status  UpdateMessageStatusDto {status, error?} → SendMessageResponseDto
//                           {conversationId, messageId, status} ("Update message status"; MID a conversation message)
//   POST /__message {contactId, body, direction}  (tests) a message arrives, in a new or the contact's conversation
//   POST /__provider_send {contactId, subject, html, emailFrom, emailTo?, replyToAltId?, attachments?, deliveryUrl,
//                           sign?: "bad"|"none"}  (tests) a user sends an email while the location's Email provider is
//                           the custom one: the email is added (status pending) and HighLevel's "Conversation Provider -
//                           Outbound Message" delivery POSTed to deliveryUrl, the raw JSON body signed Ed25519 with the key
//                           in HL_SIGNING_KEY (a PEM file; the test's own pair) in X-GHL-Signature (base64) →
//                           {status, answer, raw, signature, messageId, emailMessageId}
//   POST /__user {name, email}  (tests) a user of the location
//   POST /oauth/token       refresh_token grant (form) → access_token and a new refresh_token
//                           (refresh tokens are single use: each grant retires the one it used);
//                           user_type Company gives an agency token
//   POST /oauth/locationToken  (agency token; form companyId, locationId: GetLocationAccessCodeBodyDto)
//                           → a location token (GetLocationAccessTokenSuccessfulResponseDto)
// Errors: {statusCode, message} (BadRequestDTO), 401 {statusCode, message, error}
// (UnauthorizedDTO), 422 with message an array (UnprocessableDTO). Answers
// carry x-ratelimit-* headers; more than 100 requests in 10 s answers 429.
// Not modelled: the contacts search's full filter language (eq, exists and
// range with gte/gt/lte/lt only), custom fields' semantics, messages' order
// (oldest first here), webhooks.
// Control (tests only): POST /__control {"expire_tokens": true, "rate_limited": n,
//   "agency_token": "…", "refuse_date_filter": true (a range filter answers 422),
//   "daily_used": n (that many of the day's 200,000 requests already used), "daily_left": n,
//   "new_window": true (the 10-second window starts empty: a test's next process, which has not heard
//   the window's headers, is not refused for the requests of the steps before)};
//   GET /__stats → {requests, searches}
//   GET /__dump → [contacts]; GET /__stats → {requests}; POST /__edit {id, fields}; POST /__delete {id}
//
// Usage: HL_TOKEN=… HL_LOCATION=… node highlevel_fake.js → prints "port N".
'use strict';
const {URL} = require('url');
const crypto = require('crypto');
const fs = require('fs');
const {serve, control, refreshGrantOk, bearer, multipart} = require('./fake_http');
// ProcessMessageBodyDto types `direction` and SendMessageBodyDto `subType` as
// objects, while their descriptions and examples give strings ("inbound",
// "Email"): the fake takes the strings, as the service's own examples send them.
const check = require('./vendor_schema')('highlevel', {closed: true, replace: {
  ProcessMessageBodyDto: {direction: {type: 'string', enum: ['inbound', 'outbound']}},
  SendMessageBodyDto: {subType: {type: 'string'}}}});

const location = process.env.HL_LOCATION || 'loc1';
let tokens = new Set(process.env.HL_TOKEN ? [process.env.HL_TOKEN] : []);
let agencyTokens = new Set(process.env.HL_AGENCY_TOKEN ? [process.env.HL_AGENCY_TOKEN] : []);
const companyId = process.env.HL_COMPANY || 'company1';
const statusUpdates = [];  // PUT …/status calls, in order (GET /__stats)
const window10s = [];  // request times in the last 10 s (100 allowed)
const writable = ['firstName', 'lastName', 'name', 'email', 'phone', 'companyName', 'address1', 'city', 'state',
                  'postalCode', 'website', 'timezone', 'dnd', 'tags', 'source', 'country', 'customFields'];
const contacts = new Map();
const children = {notes: new Map(), tasks: new Map()};
const childFields = {notes: ['body', 'userId', 'title', 'color', 'pinned'], tasks: ['title', 'body', 'dueDate', 'completed', 'assignedTo']};
const one = {notes: 'note', tasks: 'task'};
const conversations = new Map(), messages = new Map();
// email messages (GetEmailMessageResponseDto) by id; a conversation message of
// TYPE_EMAIL holds its thread's email ids in meta.email.messageIds
const emails = new Map(), users = new Map(), files = new Map();
const providerId = process.env.HL_PROVIDER || 'provider1';
let seq = 0, last = 0, requests = 0, rateLimited = 0, tokenSeq = 0, refuseDateFilter = false, searches = 0, dailyUsed = 0;
let refreshToken = process.env.HL_REFRESH_TOKEN || 'refresh';

function stamp() {
  let now = Date.now();
  if (now <= last) now = last + 1;
  last = now;
  return new Date(now).toISOString();
}
function send(res, status, body) {
  const h = {'x-ratelimit-limit-daily': '200000', 'x-ratelimit-daily-remaining': String(Math.max(0, 200000 - requests - dailyUsed)),
             'x-ratelimit-interval-milliseconds': '10000', 'x-ratelimit-max': '100',
             'x-ratelimit-remaining': String(Math.max(0, 100 - window10s.length))};
  h['Content-Type'] = 'application/json; charset=utf-8';
  res.writeHead(status, h);
  res.end(JSON.stringify(body));
}
function err(res, status, message, extra) { send(res, status, Object.assign({statusCode: status, message}, extra || {})); }
// 422 as HighLevel's validation answers it: message is an array
function unprocessable(res, messages) {
  send(res, 422, {statusCode: 422, message: messages, error: 'Unprocessable Entity'});
}
// Checks body against the DTO; answers the 422 and returns false when it fails.
function valid(res, dto, body) {
  const bad = check(dto, body);
  if (bad.length) { unprocessable(res, bad.map(b => b.message)); return false; }
  return true;
}
function apply(c, body) {
  for (const k of Object.keys(body)) {
    if (k === 'locationId' || k === 'id') continue;
    if (!writable.includes(k)) return 'property ' + k + ' should not exist';
  }
  for (const k of writable) if (k in body) c[k] = body[k] === '' ? null : body[k];
  c.firstNameLowerCase = c.firstName ? String(c.firstName).toLowerCase() : null;
  c.lastNameLowerCase = c.lastName ? String(c.lastName).toLowerCase() : null;
  if (c.email) c.email = String(c.email).toLowerCase();
  c.dateUpdated = stamp();
  return null;
}
function make(body) {
  const id = 'hl' + String(++seq).padStart(18, '0');
  const c = {id, locationId: location, dateAdded: stamp(), type: 'lead', tags: [], customFields: []};
  const bad = apply(c, body);
  if (bad) return {bad};
  contacts.set(id, c);
  return {c};
}
function ms(v) { return Date.parse(v); }
function passes(c, f) {
  if (f.group) return f.group === 'OR' ? f.filters.some(x => passes(c, x)) : f.filters.every(x => passes(c, x));
  const v = c[f.field];
  switch (f.operator) {
    case 'eq': return String(v) === String(f.value);
    case 'exists': return v !== null && v !== undefined && v !== '';
    case 'range': {
      const t = ms(v), r = f.value || {};
      return (r.gte === undefined || t >= ms(r.gte)) && (r.gt === undefined || t > ms(r.gt)) &&
             (r.lte === undefined || t <= ms(r.lte)) && (r.lt === undefined || t < ms(r.lt));
    }
    default: throw new Error('operator ' + f.operator + ' not in this fake');
  }
}
// The Contacts Search body as its documentation page gives it (the OpenAPI's
// SearchBodyV2DTO declares nothing): locationId, page | searchAfter,
// pageLimit, filters ({field, operator, value} or {group: AND|OR, filters}),
// sort [{field, direction}], query. Operators: eq, not_eq, contains,
// not_contains, exists, not_exists, range (value {gte|gt|lte|lt}).
const searchKeys = ['locationId', 'page', 'pageLimit', 'searchAfter', 'filters', 'sort', 'query'];
const operators = ['eq', 'not_eq', 'contains', 'not_contains', 'exists', 'not_exists', 'range'];
function filterProblems(fs, at) {
  if (!Array.isArray(fs)) return [at + ' must be an array'];
  const out = [];
  fs.forEach((f, i) => {
    const here = at + '.' + i;
    if (!f || typeof f !== 'object') return out.push(here + ' must be an object');
    if (f.group !== undefined) {
      if (!['AND', 'OR'].includes(f.group)) out.push(here + '.group must be one of the following values: AND, OR');
      return out.push(...filterProblems(f.filters, here + '.filters'));
    }
    for (const k of Object.keys(f)) if (!['field', 'operator', 'value'].includes(k)) out.push('property ' + here + '.' + k + ' should not exist');
    if (typeof f.field !== 'string') out.push(here + '.field must be a string');
    if (!operators.includes(f.operator)) out.push(here + '.operator must be one of the following values: ' + operators.join(', '));
    if (f.operator === 'range') {
      const v = f.value;
      if (!v || typeof v !== 'object' || !Object.keys(v).length || Object.keys(v).some(k => !['gte', 'gt', 'lte', 'lt'].includes(k)))
        out.push(here + '.value must be an object of gte, gt, lte, lt');
    }
  });
  return out;
}
function search(res, body) {
  const bad = Object.keys(body).filter(k => !searchKeys.includes(k)).map(k => 'property ' + k + ' should not exist');
  if (body.filters !== undefined) bad.push(...filterProblems(body.filters, 'filters'));
  searches++;
  // test-only: a service that does not take a date range (the documentation
  // page is the only evidence that it does)
  if (refuseDateFilter && JSON.stringify(body.filters || []).includes('"range"'))
    bad.push('filters.0.field is not a supported filter field for range');
  if (bad.length) return unprocessable(res, bad);
  if (body.locationId !== location) return err(res, 403, 'The token does not have access to this location.');
  const limit = Number(body.pageLimit);
  if (!limit || limit > 500) return unprocessable(res, ['pageLimit must not be greater than 500']);
  if (body.page !== undefined && body.searchAfter !== undefined) return unprocessable(res, ['page and searchAfter cannot be used together']);
  let rows = [...contacts.values()].filter(c => (body.filters || []).every(f => passes(c, f)));
  const sort = (body.sort && body.sort[0]) || {field: 'dateAdded', direction: 'desc'};
  const key = c => (sort.field.startsWith('date') ? ms(c[sort.field]) : String(c[sort.field] || ''));
  const dir = sort.direction === 'desc' ? -1 : 1;
  rows.sort((a, b) => (key(a) < key(b) ? -dir : key(a) > key(b) ? dir : (a.id < b.id ? -1 : 1)));
  let out;
  if (body.searchAfter) {
    const [sv, sid] = body.searchAfter;
    out = rows.filter(c => { const k = key(c); return dir * (k - sv) > 0 || (k === sv && c.id > sid); }).slice(0, limit);
  } else {
    const page = Number(body.page || 1);
    if (page * limit > 10000) return unprocessable(res, ['page and pageLimit can fetch at most 10000 records; use searchAfter']);
    out = rows.slice((page - 1) * limit, page * limit);
  }
  send(res, 200, {contacts: out.map(c => Object.assign({}, c, {searchAfter: [key(c), c.id]})), total: rows.length});
}

function handle(req, res, raw) {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname;
  if (p === '/__control') {
    control(raw, {expire_tokens: () => { tokens = new Set(); }, rate_limited: n => { rateLimited = n; },
                  agency_token: t => agencyTokens.add(t), refuse_date_filter: v => { refuseDateFilter = v; },
                  daily_used: n => { dailyUsed = n; }, daily_left: n => { dailyUsed = 200000 - requests - n; },
                  new_window: () => { window10s.length = 0; }});
    return send(res, 200, {ok: true});
  }
  if (p === '/__stats') return send(res, 200, {requests, searches, statusUpdates});
  if (p === '/__dump') return send(res, 200, [...contacts.values()]);
  if (p === '/__dump_children')
    return send(res, 200, {notes: [...children.notes.values()], tasks: [...children.tasks.values()], messages: [...messages.values()],
                           emails: [...emails.values()], conversations: [...conversations.values()]});
  if (p === '/__user') {  // (tests) a user of the location: {name, email}
    const c = JSON.parse(raw);
    const u = {id: 'us' + String(++seq).padStart(18, '0'), name: c.name, firstName: c.name.split(' ')[0],
               lastName: c.name.split(' ').slice(1).join(' '), email: c.email, phone: '', roles: {type: 'account', role: 'user',
               locationIds: [location]}, deleted: false};
    users.set(u.id, u);
    return send(res, 200, u);
  }
  if (p.startsWith('/__files/')) {  // an uploaded attachment, at the URL the upload answered
    const f = files.get(p.slice('/__files/'.length));
    if (!f) return err(res, 404, 'no such file');
    res.writeHead(200, {'Content-Type': f.type});
    return res.end(f.data);
  }
  if (p === '/__edit' || p === '/__delete') {
    const c = JSON.parse(raw);
    const rec = contacts.get(c.id);
    if (!rec) return err(res, 404, 'Contact not found');
    if (p === '/__edit') apply(rec, c.fields);
    else contacts.delete(c.id);
    return send(res, 200, {ok: true});
  }
  if (p === '/__provider_send') {
    // marketplace.gohighlevel.com/docs/webhook/ProviderOutboundMessage: the
    // Email example's fields (contactId, locationId, messageId, emailMessageId,
    // type, emailTo as a list, emailFrom, attachments, html, subject, userId;
    // replyToAltId when replying to a message logged with an altId, docs/
    // marketplace modules/ConversationProviders.md), signed over the raw body
    // (X-GHL-Signature, Ed25519, base64: the page's "Signature Headers")
    const c = JSON.parse(raw);
    const contact = contacts.get(c.contactId);
    if (!contact) return err(res, 400, 'Contact not found');
    let conv = [...conversations.values()].find(x => x.contactId === contact.id);
    if (!conv) {
      const when = stamp();
      conv = {id: 'cv' + String(++seq).padStart(18, '0'), contactId: contact.id, locationId: location, type: 'TYPE_EMAIL',
              dateAdded: when, dateUpdated: when, deleted: false, lastMessageDate: Date.parse(when)};
      conversations.set(conv.id, conv);
    }
    const to = c.emailTo || contact.email;
    const {e, m} = addEmail(conv, {subject: c.subject, body: c.html, html: true, direction: 'outbound', status: 'pending',
                                   attachments: c.attachments || [], from: c.emailFrom, to, providerId: providerId});
    const payload = {contactId: contact.id, locationId: location, messageId: m.id, emailMessageId: e.id, type: 'Email',
                     emailTo: [to], emailFrom: c.emailFrom, attachments: c.attachments || [], html: c.html, subject: c.subject,
                     userId: 'us000000000000000001'};
    if (c.replyToAltId) payload.replyToAltId = c.replyToAltId;
    const body = JSON.stringify(payload);
    const key = crypto.createPrivateKey(fs.readFileSync(process.env.HL_SIGNING_KEY));
    let signature = crypto.sign(null, Buffer.from(body), key).toString('base64');
    if (c.sign === 'bad') signature = crypto.sign(null, Buffer.from(body + ' '), key).toString('base64');
    const headers = {'Content-Type': 'application/json'};
    if (c.sign !== 'none') headers['X-GHL-Signature'] = signature;
    fetch(c.deliveryUrl, {method: 'POST', headers, body}).then(async r => {
      send(res, 200, {status: r.status, answer: await r.text(), raw: body, signature, messageId: m.id, emailMessageId: e.id});
    }, x => send(res, 200, {status: 0, answer: String(x), raw: body, signature, messageId: m.id, emailMessageId: e.id}));
    return;
  }
  if (p === '/__message') {
    const c = JSON.parse(raw);
    let conv = [...conversations.values()].find(x => x.contactId === c.contactId);
    if (!conv) {
      conv = {id: 'cv' + String(++seq).padStart(18, '0'), contactId: c.contactId, locationId: location, type: 'TYPE_PHONE'};
      conversations.set(conv.id, conv);
    }
    const when = Date.parse(stamp());
    const m = {id: 'ms' + String(++seq).padStart(18, '0'), conversationId: conv.id, contactId: c.contactId, locationId: location,
               body: c.body, direction: c.direction || 'inbound', messageType: 'TYPE_SMS', status: 'delivered',
               dateAdded: new Date(when).toISOString()};
    messages.set(m.id, m);
    Object.assign(conv, {lastMessageDate: when, lastMessageBody: c.body});
    return send(res, 200, {conversationId: conv.id, messageId: m.id});
  }
  if (p === '/oauth/token' && req.method === 'POST') {
    if (!refreshGrantOk(raw, {client_id: process.env.HL_CLIENT_ID || 'client',
                              client_secret: process.env.HL_CLIENT_SECRET || 'secret', refresh_token: refreshToken}))
      return send(res, 401, {error: 'invalid_grant', error_description: 'Invalid refresh token'});
    const tok = 'hl-at-' + (++tokenSeq) + Math.random().toString(36).slice(2);
    tokens.add(tok);
    refreshToken = 'hl-rt-' + tokenSeq + Math.random().toString(36).slice(2);  // single use: the old one is retired
    return send(res, 200, {access_token: tok, token_type: 'Bearer', expires_in: 86399, refresh_token: refreshToken,
                           userType: 'Location', locationId: location});
  }
  // The Version each endpoint family documents (its OpenAPI document's
  // "Version" header parameter): conversations 2021-04-15, the rest 2021-07-28.
  const want = p.startsWith('/conversations') ? '2021-04-15' : '2021-07-28';
  if (!req.headers.version) return err(res, 400, 'version header was not found');
  if (req.headers.version !== want) return err(res, 400, 'version ' + req.headers.version + ' is not supported by this endpoint; use ' + want);
  const auth = bearer(req);
  // oauth.json "Get Location Access Token from Agency Token": an agency
  // (Company) token and a form {companyId, locationId} (GetLocationAccessCodeBodyDto)
  if (p === '/oauth/locationToken' && req.method === 'POST') {
    if (!agencyTokens.has(auth)) return send(res, 401, {statusCode: 401, message: 'Invalid JWT', error: 'Unauthorized'});
    const form = Object.fromEntries(new URLSearchParams(raw));
    if (!valid(res, 'GetLocationAccessCodeBodyDto', form)) return;
    if (form.companyId !== companyId) return err(res, 400, 'companyId does not match the token');
    if (form.locationId !== location) return err(res, 400, 'The app is not installed on this location');
    const tok = 'hl-loc-' + (++tokenSeq) + Math.random().toString(36).slice(2);
    tokens.add(tok);
    return send(res, 200, {access_token: tok, token_type: 'Bearer', expires_in: 86399, scope: 'contacts.readonly contacts.write',
                           locationId: location, userId: 'user1'});
  }
  if (agencyTokens.has(auth))  // a Company token on a sub-account endpoint
    return send(res, 401, {statusCode: 401, message: 'This authClass type is not allowed to access this scope. A sub-account (location) token is needed.',
                           error: 'Unauthorized'});
  if (!tokens.has(auth)) return send(res, 401, {statusCode: 401, message: 'Invalid JWT', error: 'Unauthorized'});
  requests++;
  // 100 requests per 10 s per location (REFERENCES.md; the x-ratelimit-* headers)
  const now = Date.now();
  while (window10s.length && window10s[0] <= now - 10000) window10s.shift();
  window10s.push(now);
  if (rateLimited > 0 || window10s.length > 100 || requests + dailyUsed > 200000) {
    if (rateLimited > 0) rateLimited--;
    res.setHeader('Retry-After', '1');
    return err(res, 429, 'Too Many Requests');
  }
  const parts = p.split('/').filter(Boolean);
  // conversations.json "Upload file attachments": multipart/form-data (UploadFilesDto)
  if (p === '/conversations/messages/upload' && req.method === 'POST') return upload(req, res);
  const body = raw ? JSON.parse(raw) : {};
  // conversations.json "Update message status": PUT /conversations/messages/{messageId}/status,
  // UpdateMessageStatusDto → 200 SendMessageResponseDto
  if (parts[0] === 'conversations' && parts[1] === 'messages' && parts[3] === 'status' && parts.length === 4 && req.method === 'PUT') {
    if (!valid(res, 'UpdateMessageStatusDto', body)) return;
    const m = messages.get(parts[2]);
    if (!m) return err(res, 400, 'Message not found');
    m.status = body.status;
    if (body.error) m.error = body.error;
    for (const id of (m.meta && m.meta.email.messageIds) || []) emails.get(id).status = body.status;
    statusUpdates.push({messageId: m.id, status: body.status, error: body.error});
    return send(res, 200, {conversationId: m.conversationId, messageId: m.id, status: m.status});
  }
  if (parts[0] === 'conversations' && req.method === 'GET') return conversation(res, url, parts);
  if (parts[0] === 'conversations' && req.method === 'POST') return conversationWrite(res, parts, body);
  // users.json "Get User by Location" (deprecated for Search Users): GET /users/?locationId (required)
  //   → LocationSuccessfulResponseDto {users: [UserSchema]}
  if (p === '/users/' && req.method === 'GET') {
    const l = url.searchParams.get('locationId');
    if (!l) return unprocessable(res, ['locationId should not be empty']);
    if (l !== location) return err(res, 403, 'The token does not have access to this location.');
    return send(res, 200, {users: [...users.values()].filter(u => u.roles.locationIds.includes(l))});
  }
  // users.json "Search Users": GET /users/search?companyId (required)&locationId&skip&limit
  //   → SearchUserSuccessfulResponseDto {users: [UserSchema], count}
  if (p === '/users/search' && req.method === 'GET') {
    const q = url.searchParams;
    if (!q.get('companyId')) return unprocessable(res, ['companyId should not be empty']);
    if (q.get('companyId') !== companyId) return err(res, 403, 'The token does not have access to this company.');
    const rows = [...users.values()].filter(u => !q.get('locationId') || u.roles.locationIds.includes(q.get('locationId')));
    const skip = Number(q.get('skip') || 0), limit = Number(q.get('limit') || 25);
    return send(res, 200, {users: rows.slice(skip, skip + limit), count: rows.length});
  }
  if (parts[0] !== 'contacts') return err(res, 404, 'Cannot ' + req.method + ' ' + p);
  // contacts.json "Search Contacts" (SearchBodyV2DTO is empty in the OpenAPI;
  // the body follows the Contacts Search documentation page it links)
  if (parts[1] === 'search' && req.method === 'POST') return search(res, body);
  // contacts.json "Upsert Contact": UpsertContactDto
  if (parts[1] === 'upsert' && req.method === 'POST') {
    if (!valid(res, 'UpsertContactDto', body)) return;
    if (body.locationId !== location) return err(res, 403, 'The token does not have access to this location.');
    const found = [...contacts.values()].find(c => (body.email && c.email === String(body.email).toLowerCase()) ||
                                                   (!body.email && body.phone && c.phone === body.phone));
    if (found) {
      const bad = apply(found, body);
      if (bad) return err(res, 422, bad);
      return send(res, 200, {new: false, contact: found, traceId: 't' + requests});
    }
    const {c, bad} = make(body);
    if (bad) return err(res, 422, bad);
    return send(res, 201, {new: true, contact: c, traceId: 't' + requests});
  }
  // contacts.json "Create Contact": CreateContactDto
  if (parts.length === 1 && req.method === 'POST') {
    if (!valid(res, 'CreateContactDto', body)) return;
    if (body.locationId !== location) return err(res, 403, 'The token does not have access to this location.');
    const dup = body.email && [...contacts.values()].find(c => c.email === String(body.email).toLowerCase());
    if (dup) return err(res, 400, 'This location does not allow duplicated contacts.', {meta: {contactName: dup.firstName, contactId: dup.id, matchingField: 'email'}});
    const {c, bad} = make(body);
    if (bad) return err(res, 422, bad);
    return send(res, 201, {contact: c});
  }
  if (parts.length >= 3 && children[parts[2]]) return child(req, res, parts, body);
  if (parts.length === 2) {
    const c = contacts.get(parts[1]);
    if (!c) return err(res, 404, 'Contact not found');
    // contacts.json "Get Contact" / "Update Contact" (UpdateContactDto) / "Delete Contact"
    if (req.method === 'GET') return send(res, 200, {contact: c});
    if (req.method === 'PUT') {
      if (!valid(res, 'UpdateContactDto', body)) return;
      const bad = apply(c, body);
      if (bad) return err(res, 422, bad);
      return send(res, 200, {succeded: true, contact: c});
    }
    if (req.method === 'DELETE') { contacts.delete(parts[1]); return send(res, 200, {succeded: true}); }
  }
  return err(res, 404, 'Cannot ' + req.method + ' ' + p);
}

function conversation(res, url, parts) {
  const q = url.searchParams, limit = Math.min(Number(q.get('limit') || 20), 100);
  // conversations.json "Search Conversations": SendConversationResponseDto
  if (parts[1] === 'search') {
    if (q.get('sort') && !['asc', 'desc'].includes(q.get('sort'))) return unprocessable(res, ['sort must be one of the following values: asc, desc']);
    if (q.get('locationId') !== location) return err(res, 403, 'The token does not have access to this location.');
    const after = q.get('startAfterDate') ? Number(q.get('startAfterDate')) : null;
    const dir = q.get('sort') === 'desc' ? -1 : 1;
    const rows = [...conversations.values()].sort((a, b) => dir * (a.lastMessageDate - b.lastMessageDate) || (a.id < b.id ? -1 : 1))
      .filter(c => after === null || dir * (c.lastMessageDate - after) > 0)
      .filter(c => !q.get('contactId') || c.contactId === q.get('contactId'));
    return send(res, 200, {conversations: rows.slice(0, limit), total: rows.length});
  }
  // conversations.json "Get email by Id": GetEmailMessageResponseDto, unwrapped
  if (parts[1] === 'messages' && parts[2] === 'email' && parts[3]) {
    const e = emails.get(parts[3]);
    return e ? send(res, 200, e) : err(res, 404, 'Email not found');
  }
  // conversations.json "Get message by message id": GetMessageResponseDto, unwrapped
  if (parts[1] === 'messages' && parts[2]) {
    const m = messages.get(parts[2]);
    return m ? send(res, 200, m) : err(res, 404, 'Message not found');
  }
  if (parts[2] === 'messages') {
    if (!conversations.has(parts[1])) return err(res, 404, 'Conversation not found');
    // ?type: a comma list of TYPE_* (the parameter's enum)
    const types = q.get('type') ? q.get('type').split(',') : null;
    if (types && types.some(t => !messageTypes.includes(t)))
      return unprocessable(res, ['type must be one of the following values: ' + messageTypes.join(', ')]);
    const all = [...messages.values()].filter(m => m.conversationId === parts[1] && (!types || types.includes(m.messageType)))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    const start = q.get('lastMessageId') ? all.findIndex(m => m.id === q.get('lastMessageId')) + 1 : 0;
    const page = all.slice(start, start + limit);
    // conversations.json "Get messages by conversation id":
    // GetMessagesByConversationResponseDto {lastMessageId, nextPage, messages}
    return send(res, 200, {lastMessageId: page.length ? page[page.length - 1].id : '', nextPage: start + limit < all.length,
                           messages: page});
  }
  return err(res, 404, 'Cannot GET /' + parts.join('/'));
}

// A contact's notes or tasks: {notes: [...]}, {note: {...}}.
function child(req, res, parts, body) {
  const kind = parts[2], m = children[kind], cid = parts[1];
  if (!contacts.has(cid)) return err(res, 404, 'Contact not found');
  // contacts.json: notes take NotesDTO (create) and UpdateNoteDTO (update);
  // tasks CreateTaskParams (title, dueDate and completed required) and
  // UpdateTaskBody. None declares contactId: the contact is in the path.
  const dto = {notes: {POST: 'NotesDTO', PUT: 'UpdateNoteDTO'}, tasks: {POST: 'CreateTaskParams', PUT: 'UpdateTaskBody'}}[kind][req.method];
  const put = (rec) => { for (const k of childFields[kind]) if (k in body) rec[k] = body[k]; return rec; };
  if (parts.length === 3) {
    // contacts.json "Get all Notes" / "Get all Tasks": {notes} / {tasks}
    if (req.method === 'GET') return send(res, 200, {[kind]: [...m.values()].filter(x => x.contactId === cid)});
    if (req.method === 'POST') {
      if (!valid(res, dto, body)) return;
      const rec = put({id: (kind === 'notes' ? 'nt' : 'tk') + String(++seq).padStart(18, '0'), contactId: cid, dateAdded: stamp()});
      if (kind === 'tasks' && rec.completed === undefined) rec.completed = false;
      m.set(rec.id, rec);
      return send(res, 201, {[one[kind]]: rec});
    }
  }
  const rec = m.get(parts[3]);
  if (!rec || rec.contactId !== cid) return err(res, 404, one[kind] + ' not found');
  if (req.method === 'GET') return send(res, 200, {[one[kind]]: rec});
  if (req.method === 'PUT') {
    if (!valid(res, dto, body)) return;
    return send(res, 200, {[one[kind]]: put(rec)});
  }
  if (req.method === 'DELETE') { m.delete(rec.id); return send(res, 200, {succeded: true}); }
  return err(res, 404, 'Cannot ' + req.method);
}

serve(handle, (res, e) => err(res, 500, String(e && e.message)));

const messageTypes = ['TYPE_CALL', 'TYPE_SMS', 'TYPE_RCS', 'TYPE_EMAIL', 'TYPE_FACEBOOK', 'TYPE_GMB', 'TYPE_INSTAGRAM', 'TYPE_WHATSAPP',
                      'TYPE_ACTIVITY_APPOINTMENT', 'TYPE_ACTIVITY_CONTACT', 'TYPE_ACTIVITY_INVOICE', 'TYPE_ACTIVITY_PAYMENT',
                      'TYPE_ACTIVITY_OPPORTUNITY', 'TYPE_LIVE_CHAT', 'TYPE_INTERNAL_COMMENTS', 'TYPE_ACTIVITY_EMPLOYEE_ACTION_LOG',
                      'TYPE_TIKTOK', 'TYPE_ACTIVITY_WHATSAPP', 'TYPE_FORM_SUBMISSION'];

// An email put into a conversation (logged or sent): the email record and
// its thread's conversation message (a new one, or the one of the email it
// replies to, whose meta.email.messageIds it joins).
function addEmail(conv, f) {
  const when = stamp();
  const id = 'em' + String(++seq).padStart(18, '0');
  const parent = f.replyTo ? emails.get(f.replyTo) : null;
  const e = {id, altId: f.altId, threadId: parent ? parent.threadId : id, locationId: location, contactId: conv.contactId,
             conversationId: conv.id, dateAdded: f.date || when, subject: f.subject || '', body: f.body || '',
             direction: f.direction, status: f.status || 'delivered', contentType: f.html ? 'text/html' : 'text/plain',
             attachments: f.attachments || [], provider: 'custom', from: f.from || '', to: f.to ? [f.to] : [], cc: f.cc || [],
             bcc: f.bcc || [], source: 'api', conversationProviderId: f.providerId};
  if (parent) e.replyToMessageId = parent.id;
  if (e.altId === undefined) delete e.altId;
  if (!e.conversationProviderId) delete e.conversationProviderId;
  emails.set(id, e);
  let m = parent && [...messages.values()].find(x => x.meta && x.meta.email.messageIds.includes(parent.id));
  if (m) {
    m.meta.email.messageIds.push(id);
  } else {
    m = {id: 'ms' + String(++seq).padStart(18, '0'), type: 3, messageType: 'TYPE_EMAIL', locationId: location,
         contactId: conv.contactId, conversationId: conv.id, dateAdded: when, body: e.body, direction: f.direction,
         status: e.status, contentType: e.contentType, attachments: e.attachments, source: 'api', meta: {email: {messageIds: [id]}}};
    if (f.providerId) m.conversationProviderId = f.providerId;  // GetMessageResponseDto.conversationProviderId
    messages.set(m.id, m);
  }
  Object.assign(conv, {lastMessageDate: Date.parse(when), lastMessageBody: e.body, dateUpdated: when});
  return {e, m};
}

function conversationWrite(res, parts, body) {
  // conversations.json "Create Conversation": CreateConversationDto → 201 CreateConversationSuccessResponse
  if (parts.length === 1) {
    if (!valid(res, 'CreateConversationDto', body)) return;
    if (body.locationId !== location) return err(res, 403, 'The token does not have access to this location.');
    if (!contacts.has(body.contactId)) return err(res, 400, 'Contact not found');
    const when = stamp();
    const conv = {id: 'cv' + String(++seq).padStart(18, '0'), contactId: body.contactId, locationId: location, type: 'TYPE_EMAIL',
                  dateAdded: when, dateUpdated: when, deleted: false, lastMessageDate: Date.parse(when)};
    conversations.set(conv.id, conv);
    return send(res, 201, {success: true, conversation: conv});
  }
  // conversations.json "Add an inbound message": ProcessMessageBodyDto → ProcessMessageResponseDto.
  // (An email with an altId already in the conversation is added again: the
  // OpenAPI says nothing of altId being unique, so the fake does not dedupe.)
  if (parts[1] === 'messages' && parts[2] === 'inbound') {
    if (!valid(res, 'ProcessMessageBodyDto', body)) return;
    const conv = conversations.get(body.conversationId);
    if (!conv) return err(res, 400, 'Conversation not found');
    if (conv.contactId !== body.contactId) return err(res, 400, 'The conversation does not belong to this contact');
    if (body.conversationProviderId !== providerId) return err(res, 400, 'Conversation provider not found');
    if (body.type !== 'Email') return err(res, 400, 'this fake logs emails only');
    if (body.emailMessageId && !emails.has(body.emailMessageId)) return err(res, 400, 'Email message to thread on not found');
    const c = contacts.get(conv.contactId);
    const direction = body.direction || 'outbound';
    const {e, m} = addEmail(conv, {altId: body.altId, subject: body.subject, body: body.html || body.message, html: !!body.html,
                                   direction, date: body.date, attachments: body.attachments, providerId: body.conversationProviderId,
                                   from: body.emailFrom || (direction === 'inbound' ? c.email : ''),
                                   to: body.emailTo || (direction === 'outbound' ? c.email : undefined),
                                   cc: body.emailCc, bcc: body.emailBcc, replyTo: body.emailMessageId});
    return send(res, 200, {success: true, conversationId: conv.id, messageId: m.id, message: 'Message added', contactId: conv.contactId,
                           dateAdded: e.dateAdded, emailMessageId: e.id});
  }
  // conversations.json "Send a new message": SendMessageBodyDto → SendMessageResponseDto
  if (parts[1] === 'messages' && parts.length === 2) {
    if (!valid(res, 'SendMessageBodyDto', body)) return;
    const c = contacts.get(body.contactId);
    if (!c) return err(res, 400, 'Contact not found');
    if (body.type !== 'Email') return err(res, 400, 'this fake sends emails only');
    if (!c.email && !body.emailTo) return err(res, 400, 'The contact has no email address');
    if (body.threadId && !emails.has(body.threadId)) return err(res, 400, 'Thread not found');
    if (body.replyMessageId && !emails.has(body.replyMessageId)) return err(res, 400, 'Message to reply to not found');
    let conv = [...conversations.values()].find(x => x.contactId === c.id);
    if (!conv) {
      const when = stamp();
      conv = {id: 'cv' + String(++seq).padStart(18, '0'), contactId: c.id, locationId: location, type: 'TYPE_EMAIL',
              dateAdded: when, dateUpdated: when, deleted: false, lastMessageDate: Date.parse(when)};
      conversations.set(conv.id, conv);
    }
    const {e, m} = addEmail(conv, {subject: body.subject, body: body.html || body.message, html: !!body.html, direction: 'outbound',
                                   attachments: body.attachments, from: body.emailFrom || 'location@example.com',
                                   to: body.emailTo || c.email, cc: body.emailCc, bcc: body.emailBcc,
                                   replyTo: body.replyMessageId || body.threadId, providerId: body.conversationProviderId});
    return send(res, 200, {conversationId: conv.id, messageId: m.id, emailMessageId: e.id, status: 'delivered'});
  }
  return err(res, 404, 'Cannot POST /' + parts.join('/'));
}

// conversations.json "Upload file attachments": multipart/form-data with the
// UploadFilesDto fields and each file under "fileAttachment"; the allowed
// types are the page's list (JPG JPEG PNG MP4 MPEG ZIP RAR PDF DOC DOCX TXT
// MP3 WAV). HighLevel's "Upload file attachments" page
// (marketplace.gohighlevel.com/docs/2021-04-15/ghl/conversations/upload-file-attachments.md)
// gives the limits: "Maximum files per upload: 5", "Maximum file size: 5 MB"
// (taken here as 5,000,000 bytes, the smaller reading); its errors are
// UploadFilesErrorResponseDto {status, message}, status one of 400, 413,
// 415: more than 5 files is a 400, a file over 5 MB a 413, a type not
// listed a 415; the whole request is refused, nothing of it kept.
// → UploadFilesResponseDto {uploadedFiles: {name: url}}, keyed by the file's
// name, so that two files of one name come back as one key (the last).
const uploadMaxFiles = 5, uploadMaxBytes = 5000000;
const uploadTypes = ['jpg', 'jpeg', 'png', 'mp4', 'mpeg', 'zip', 'rar', 'pdf', 'doc', 'docx', 'txt', 'mp3', 'wav'];
function upload(req, res) {
  const parts = multipart(req);
  if (!parts) return send(res, 400, {status: 400, message: 'The body must be multipart/form-data'});
  const form = {};
  for (const x of parts) if (x.filename === undefined) {
    if (x.name === 'attachmentUrls' || x.name === 'attachmentUrls[]') (form.attachmentUrls = form.attachmentUrls || []).push(x.data.toString());
    else form[x.name] = x.data.toString();
  }
  if (!form.attachmentUrls) form.attachmentUrls = [];
  if (!valid(res, 'UploadFilesDto', form)) return;
  if (form.locationId !== location) return err(res, 403, 'The token does not have access to this location.');
  const conv = conversations.get(form.conversationId);
  if (!conv || conv.contactId !== form.contactId) return err(res, 400, 'Conversation not found');
  const got = parts.filter(x => x.filename !== undefined);
  if (got.some(x => x.name !== 'fileAttachment')) return send(res, 400, {status: 400, message: 'Files go under the key fileAttachment'});
  if (!got.length) return send(res, 400, {status: 400, message: 'No file to upload'});
  if (got.length > uploadMaxFiles)
    return send(res, 400, {status: 400, message: 'Failed to upload the files: at most ' + uploadMaxFiles + ' files per upload'});
  for (const f of got) {
    const ext = (f.filename.split('.').pop() || '').toLowerCase();
    if (!uploadTypes.includes(ext)) return send(res, 415, {status: 415, message: 'File type ' + ext + ' is not allowed'});
    if (f.data.length > uploadMaxBytes) return send(res, 413, {status: 413, message: 'File ' + f.filename + ' is larger than 5 MB'});
  }
  const uploadedFiles = {};
  for (const f of got) {
    const key = 'f' + (++seq) + '/' + encodeURIComponent(f.filename);
    files.set(key, f);
    uploadedFiles[f.filename] = 'http://' + req.headers.host + '/__files/' + key;
  }
  return send(res, 200, {uploadedFiles});
}
