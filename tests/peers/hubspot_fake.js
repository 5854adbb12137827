// SPDX-License-Identifier: Apache-2.0
// A stateful HubSpot CRM v3 fake for the crm-rest tests, following the
// documented request and answer shapes. Strict: request bodies are checked
// against the schemas of HubSpot's own OpenAPI document for CRM Objects v3
// (schemas/hubspot.json, vendored from HubSpot/HubSpot-public-api-spec-collection;
// the schema each route checks is named at the route): a wrong type (a
// property value that is not a string) or a missing field answers 400
// VALIDATION_ERROR. The spec marks fields required that the reference pages'
// own examples leave out (a create's associations, a batch read's
// propertiesWithHistory, a search's after, sorts, properties, query): those
// are not required here. Property names are checked against the object's
// properties (PROPERTY_DOESNT_EXIST), read-only ones refused (READ_ONLY_VALUE).
// Search: at most 5 requests per second per account (then 429), and its
// answers carry no X-HubSpot-RateLimit-* headers (the reference's note).
// Email engagements ("Activities | Email" guide; CRM Emails v3 OpenAPI):
// hs_timestamp required on create, hs_email_direction and hs_email_status
// from their documented values, hs_email_headers a JSON text whose from/to
// fill the read-only hs_email_from_email, hs_email_to_email… (refused when
// written), associations given in the create (PublicAssociationsForObject:
// the default email → contact type 198, HUBSPOT_DEFINED, to a contact that
// exists), read back with ?associations=contacts; a read by idProperty only
// on a unique property (accord_id, and a contact's email). Associations v4:
// the default association (PUT) and the batch read. Owners v3: the listing.
// Files v3 (the Files guide, developers.hubspot.com/docs/api-reference/files-files-v3/guide;
// the Files v3 OpenAPI, PublicApiSpecs/Files/Files/Rollouts/140950/v3/files.json): an
// upload's fields and options checked as the guide and spec give them; a file is
// {id, name (without its extension), extension, path, parentFolderId, size, access,
// fileMd5, type, …}; an email's hs_attachment_ids must name files that exist.
// Not modelled: association labels, paging of one record's associations,
// property types other than text, email, date and these enumerations,
// pipelines, the 10 s burst limits of other endpoints. An email without
// associations is left out of a v4 batch read's results (the reference does
// not say what HubSpot answers for one).
//
//   POST /oauth/v1/token                          refresh_token grant → access_token, refresh_token, expires_in
//   GET  /crm/v3/objects/T?limit&after&properties&archived   results, paging.next.after
//   POST /crm/v3/objects/T/search                 filterGroups (EQ, GTE, GT, LTE, LT), sorts, properties,
//                                                 limit (≤ 200), after; at most search_cap (10,000) results
//                                                 per query: paging past them answers 400
//   GET|PATCH|DELETE /crm/v3/objects/T/ID[?idProperty=P]     one record (DELETE archives: 204)
//   POST /crm/v3/objects/T                        201 the record
//   PUT  /crm/v4/objects/T/ID/associations/default/T2/ID2   the default association (emails → contacts: 198)
//   POST /crm/v4/associations/T/T2/batch/read     inputs [{id}] → results [{from: {id}, to: [{toObjectId, associationTypes}]}]
//   GET  /crm/v3/owners?limit&after&email         results [PublicOwner], paging.next.after
//   POST /files/v3/files                          multipart/form-data: file, options (JSON text, access
//                                                 required), folderPath | folderId (one), fileName → 201 File
//   GET  /files/v3/files/ID                       File;  GET /files/v3/files/stat/PATH → {file} | {folder}
//   POST /crm/v3/objects/T/batch/{read,create,update,upsert,archive}   inputs ≤ 100;
//        create fails whole on a bad input; update and upsert answer 207 with
//        errors[{status, category, message, context: {ids: [...]}}] for the bad ones
// Records: {id, properties: {…strings…, hs_object_id, createdate, lastmodifieddate
// (contacts) or hs_lastmodifieddate}, createdAt, updatedAt, archived}. Errors:
// {status: "error", message, correlationId, category}. Every answer carries
// the X-HubSpot-RateLimit-* headers; 429 has errorType RATE_LIMIT.
// Control (tests only):
//   POST /__control {"expire_tokens": true, "search_cap": n, "rate_limited": n, "private_token": "…",
//                    "emails_accord_id_not_unique": true, "search_lag_ms": n, "files_max_bytes": n,
//                    "search_catch_up": true, "lose_email_creates": n}
//        lose_email_creates: the next n email creates have their connection
//        closed before anything is made (a request that never reached HubSpot:
//        the connector sees a lost answer, and nothing was made)
//        files_max_bytes: the largest file an upload takes (413 above it); HubSpot's
//        own figure is in a Knowledge Base article not among the stored pages, so
//        the default (300 MB) is a stand-in and the tests set their own
//        emails_accord_id_not_unique: the account's accord_id on emails is a plain
//        (not unique-value) property: a read or upsert naming it as idProperty is
//        refused as HubSpot refuses a non-unique one (400 VALIDATION_ERROR "Unable
//        to perform … by non-unique … property"), and a create repeating an
//        accord_id is not refused (no 409). search_lag_ms: a record made or
//        changed is seen by the search only that long after (HubSpot's search
//        index lags writes); search_catch_up: the search sees every record now
//        (a test's "the lag has passed", without sleeping through it)
//   POST /__purge {type, id}  a permanent delete (GDPR, or an archived record past 90 days): gone
//                             from the listings and from the archived listing alike
//   GET  /__dump → {type: [records], files, folders};  GET /__stats → {requests, search_400, file_uploads, file_posts, email_posts,
//        id_reads (reads by an idProperty: GET …/ID?idProperty, batch/read), searches}
//   POST /__edit {type, id, properties};  POST /__delete {type, id}
//   POST /__owner {email, firstName, lastName}: an owner (a user of the account)
//
// Usage: HS_TOKEN=… [HS_CLIENT_ID HS_CLIENT_SECRET HS_REFRESH_TOKEN] node hubspot_fake.js → prints "port N".
'use strict';
const {URL} = require('url');
const {serve, control, refreshGrantOk, bearer, multipart} = require('./fake_http');
const crypto = require('crypto');
const check = require('./vendor_schema')('hubspot', {notRequired: {
  SimplePublicObjectInputForCreate: ['associations'], BatchReadInputSimplePublicObjectId: ['propertiesWithHistory'],
  PublicObjectSearchRequest: ['after', 'sorts', 'properties', 'query', 'filterGroups', 'limit'],
  SimplePublicObjectBatchInputForCreate: ['associations']},
  // the spec types sorts as strings; the Search reference page sends (and the
  // API takes) objects {propertyName, direction}
  replace: {PublicObjectSearchRequest: {sorts: {type: 'array', items: {type: 'object', required: ['propertyName'],
    properties: {propertyName: {type: 'string'}, direction: {type: 'string', enum: ['ASCENDING', 'DESCENDING']}}}}}}});
// HubSpot's read-only properties of these objects (set by HubSpot; writing one
// answers READ_ONLY_VALUE)
const readOnly = ['hs_object_id', 'createdate', 'hs_createdate', 'lastmodifieddate', 'hs_lastmodifieddate',
  // emails: filled by HubSpot from hs_email_headers ("Activities | Email": read-only properties)
  'hs_email_from_email', 'hs_email_from_firstname', 'hs_email_from_lastname', 'hs_email_to_email',
  'hs_email_to_firstname', 'hs_email_to_lastname'];
const engagements = ['notes', 'meetings', 'tasks', 'emails'];
// "Activities | Email": the documented values of these properties
const enums = {hs_email_direction: ['EMAIL', 'INCOMING_EMAIL', 'FORWARDED_EMAIL'],
               hs_email_status: ['BOUNCED', 'FAILED', 'SCHEDULED', 'SENDING', 'SENT']};
// properties a create must carry (the guide: hs_timestamp "Required")
const required = {emails: ['hs_timestamp']};
// unique-value properties, the only ones a read or an upsert may name as idProperty
const uniqueProps = {contacts: ['email', 'accord_id']};
// Associations v4 default types (HUBSPOT_DEFINED), from → to
const assocTypes = {'emails:contacts': 198};
const links = new Map();  // 'emails:ID' → Set of 'contacts:ID'
const owners = [];
const searchTimes = [];

const known = {
  contacts: ['firstname', 'lastname', 'email', 'phone', 'jobtitle', 'company', 'lifecyclestage', 'accord_id'],
  companies: ['name', 'domain', 'phone', 'city', 'industry', 'accord_id'],
  deals: ['dealname', 'amount', 'dealstage', 'pipeline', 'closedate', 'accord_id'],
  notes: ['hs_note_body', 'hs_timestamp', 'accord_id'],
  meetings: ['hs_meeting_title', 'hs_meeting_body', 'hs_meeting_start_time', 'hs_meeting_end_time', 'hs_timestamp', 'accord_id'],
  tasks: ['hs_task_subject', 'hs_task_body', 'hs_task_status', 'hs_task_priority', 'hs_timestamp', 'accord_id'],
  // the guide's writable properties, and the account's accord_id (unique) and accord_thread_id (text)
  emails: ['hs_timestamp', 'hubspot_owner_id', 'hs_email_direction', 'hs_email_html', 'hs_email_status', 'hs_email_subject',
           'hs_email_text', 'hs_attachment_ids', 'hs_email_headers', 'accord_id', 'accord_thread_id'],
};
const defaults = {contacts: ['firstname', 'lastname', 'email'], companies: ['name', 'domain'], deals: ['dealname', 'amount', 'dealstage']};
const unique = 'accord_id';  // a unique-value property, as the user creates it for idProperty
const store = {}, archived = {};
let tokens = new Set(process.env.HS_TOKEN ? [process.env.HS_TOKEN] : []);
let emailsNotUnique = false, searchLag = 0, filesMaxBytes = 300 * 1024 * 1024;
const files = new Map(), folders = new Map();  // id → File; path → Folder
let loseEmailCreates = 0;  // lose_email_creates (/__control)
let idReads = 0, searches = 0;  // reads naming an idProperty (single or batch), searches answered (/__stats)
let fileUploads = 0, filePosts = 0, emailPosts = 0;  // uploads that made a new file, every upload request, every email create (/__stats)
const indexedAt = new Map();  // 'T:ID' → when the search sees the record (search_lag_ms)
let seq = 100, stampLast = 0, requests = 0, search400 = 0, searchCap = 10000, rateLimited = 0, tokenSeq = 0;
const refreshToken = process.env.HS_REFRESH_TOKEN || 'refresh';

function table(t, m) { return (m[t] || (m[t] = new Map())); }
function stamp() {
  let now = Date.now();
  if (now <= stampLast) now = stampLast + 1;
  stampLast = now;
  return now;
}
function modProp(t) { return t === 'contacts' ? 'lastmodifieddate' : 'hs_lastmodifieddate'; }
// Answers 400 VALIDATION_ERROR when body does not match the spec's schema; returns false then.
function valid(res, schema, body) {
  const bad = check(schema, body);
  if (!bad.length) return true;
  err(res, 400, 'VALIDATION_ERROR', 'Invalid input JSON: ' + bad.map(b => b.message).join('; '));
  return false;
}
function send(res, status, body, noRateHeaders) {
  const h = {'X-HubSpot-RateLimit-Daily': '250000', 'X-HubSpot-RateLimit-Daily-Remaining': String(250000 - requests),
             'X-HubSpot-RateLimit-Interval-Milliseconds': '10000', 'X-HubSpot-RateLimit-Max': '100',
             'X-HubSpot-RateLimit-Remaining': '99', 'X-HubSpot-RateLimit-Secondly': '10',
             'X-HubSpot-RateLimit-Secondly-Remaining': '9'};
  if (noRateHeaders) for (const k of Object.keys(h)) delete h[k];
  if (body === undefined) { res.writeHead(status, h); return res.end(); }
  h['Content-Type'] = 'application/json;charset=utf-8';
  res.writeHead(status, h);
  res.end(JSON.stringify(body));
}
function error(category, message, extra) {
  return Object.assign({status: 'error', message, correlationId: 'c0ffee-' + requests, category}, extra || {});
}
function err(res, status, category, message, extra) { send(res, status, error(category, message, extra)); }
function linked(t, id, to) {
  return [...(links.get(t + ':' + id) || [])].filter(k => k.startsWith(to + ':')).map(k => k.slice(to.length + 1));
}
function view(t, rec, props, assocs) {
  const want = props && props.length ? props : (defaults[t] || known[t]);
  const p = {hs_object_id: rec.id, createdate: rec.properties.createdate, [modProp(t)]: rec.properties[modProp(t)]};
  if (engagements.includes(t)) p.hs_createdate = rec.properties.createdate;  // engagements carry it too
  for (const k of want) p[k] = rec.properties[k] === undefined ? null : rec.properties[k];
  if (t === 'emails') for (const k of readOnly) if (k.startsWith('hs_email_') && rec.properties[k] !== undefined) p[k] = rec.properties[k];
  const out = {id: rec.id, properties: p, createdAt: rec.createdAt, updatedAt: rec.updatedAt, archived: !!rec.archived};
  if (rec.archived) out.archivedAt = rec.archivedAt;
  // ?associations=contacts: SimplePublicObjectWithAssociations' associations (CollectionResponseAssociatedId)
  for (const to of assocs || []) {
    const ids = linked(t, rec.id, to);
    if (ids.length) (out.associations = out.associations || {})[to] =
      {results: ids.map(id => ({id, type: t.replace(/s$/, '') + '_to_' + to.replace(/s$/, '')}))};
  }
  return out;
}
// Checks property values as HubSpot does; returns an error message or null.
function invalid(t, props) {
  if (!props || typeof props !== 'object') return 'properties is required';
  const bad = [];
  for (const [k, v] of Object.entries(props)) {
    if (readOnly.includes(k)) bad.push({isValid: false, message: k + ' is a read only property; its value cannot be set.', error: 'READ_ONLY_VALUE', name: k});
    else if (!known[t].includes(k)) bad.push({isValid: false, message: 'Property "' + k + '" does not exist', error: 'PROPERTY_DOESNT_EXIST', name: k});
    else if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
      bad.push({isValid: false, message: k + ' must be a string', error: 'INVALID_STRING', name: k});
    else if (k === 'email' && v && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(String(v)))
      bad.push({isValid: false, message: 'Email address ' + v + ' is invalid', error: 'INVALID_EMAIL', name: k});
    else if (enums[k] && v !== null && v !== '' && !enums[k].includes(String(v)))
      bad.push({isValid: false, message: v + ' was not one of the allowed options: ' + enums[k].join(', '), error: 'INVALID_OPTION', name: k});
    else if (k === 'hs_attachment_ids' && v && String(v).split(';').some(id => !files.has(id) || files.get(id).archived))
      bad.push({isValid: false, message: 'hs_attachment_ids names a file that does not exist: ' + v, error: 'INVALID_OPTION', name: k});
    else if (k === 'hs_email_headers' && v && !headersOk(v))
      bad.push({isValid: false, message: 'hs_email_headers must be a JSON text of from, to, cc, bcc', error: 'INVALID_JSON', name: k});
  }
  return bad.length ? 'Property values were not valid: ' + JSON.stringify(bad) : null;
}
// hs_email_headers: {from: {email, firstName, lastName}, to: [...], cc: [...], bcc: [...]}, as a JSON text
function headersOk(v) {
  let h;
  try { h = JSON.parse(String(v)); } catch (e) { return false; }
  const addr = a => a && typeof a === 'object' && typeof a.email === 'string';
  if (!h || typeof h !== 'object' || Array.isArray(h)) return false;
  if (h.from !== undefined && !addr(h.from)) return false;
  return ['to', 'cc', 'bcc'].every(k => h[k] === undefined || (Array.isArray(h[k]) && h[k].every(addr)));
}
// what HubSpot fills from hs_email_headers
function fromHeaders(rec) {
  let h;
  try { h = JSON.parse(rec.properties.hs_email_headers || '{}'); } catch (e) { return; }
  const to = h.to || [];
  Object.assign(rec.properties, {hs_email_from_email: (h.from || {}).email || '', hs_email_from_firstname: (h.from || {}).firstName || '',
    hs_email_from_lastname: (h.from || {}).lastName || '', hs_email_to_email: to.map(a => a.email).join(';'),
    hs_email_to_firstname: to.map(a => a.firstName || '').join(';'), hs_email_to_lastname: to.map(a => a.lastName || '').join(';')});
}
// the unique-value properties of t (emails_accord_id_not_unique: none on emails)
function uniques(t) {
  if (t === 'emails' && emailsNotUnique) return [];
  return uniqueProps[t] || [unique];
}
// HubSpot's refusal of an idProperty that is not unique-value (as it answers
// an upsert by one: "Unable to perform update/upsert by non-unique 0-2
// property hs_object_id in portal ID …"; 0-49 is emails' object type id)
function notUnique(res, what, t, idp) {
  const typeIds = {contacts: '0-1', companies: '0-2', deals: '0-3', emails: '0-49'};
  return err(res, 400, 'VALIDATION_ERROR', 'Unable to perform ' + what + ' by non-unique ' + (typeIds[t] || t) +
             ' property ' + idp + ' in portal ID 62515');
}
function findBy(t, prop, value) {
  if (prop === undefined || prop === null || prop === 'hs_object_id') return table(t, store).get(String(value));
  for (const r of table(t, store).values()) if (r.properties[prop] === String(value)) return r;
  return undefined;
}
function write(t, rec, props) {
  const now = stamp();
  for (const [k, v] of Object.entries(props)) rec.properties[k] = v === null || v === '' ? '' : String(v);
  if (t === 'emails') fromHeaders(rec);
  indexedAt.set(t + ':' + rec.id, Date.now() + searchLag);
  rec.properties[modProp(t)] = new Date(now).toISOString();
  rec.updatedAt = new Date(now).toISOString();
}
function create(t, props) {
  const now = stamp();
  const id = String(++seq);
  const rec = {id, properties: {createdate: new Date(now).toISOString()}, createdAt: new Date(now).toISOString()};
  write(t, rec, props);
  table(t, store).set(id, rec);
  return rec;
}
function archive(t, id) {
  const rec = table(t, store).get(id);
  if (!rec) return false;
  table(t, store).delete(id);
  rec.archived = true;
  rec.archivedAt = new Date(stamp()).toISOString();
  table(t, archived).set(id, rec);
  return true;
}
function ms(v) { return /^\d+$/.test(String(v)) ? Number(v) : Date.parse(v); }
function matches(rec, f) {
  const raw = f.propertyName === 'hs_object_id' ? rec.id : rec.properties[f.propertyName];
  if (raw === undefined || raw === null || raw === '') return false;
  switch (f.operator) {
    case 'EQ': return String(raw) === String(f.value);
    case 'GTE': return ms(raw) >= ms(f.value);
    case 'GT': return ms(raw) > ms(f.value);
    case 'LTE': return ms(raw) <= ms(f.value);
    case 'LT': return ms(raw) < ms(f.value);
    default: throw new Error('operator ' + f.operator + ' not in this fake');
  }
}
function pageOf(rows, after, limit, t, props) {
  const start = after ? Number(after) : 0;
  const slice = rows.slice(start, start + limit);
  const body = {results: slice.map(r => view(t, r, props))};
  if (start + limit < rows.length) body.paging = {next: {after: String(start + limit), link: '?after=' + (start + limit)}};
  return body;
}
function batchOut(res, results, errors) {
  const now = new Date().toISOString();
  const body = {status: 'COMPLETE', results, startedAt: now, completedAt: now};
  if (errors.length) { body.errors = errors; body.numErrors = errors.length; }
  send(res, errors.length ? 207 : 200, body);
}

function objects(req, res, url, parts, raw) {
  const t = parts[0];
  if (!known[t]) return err(res, 400, 'VALIDATION_ERROR', 'Unable to infer object type from: ' + t);
  const body = raw ? JSON.parse(raw) : {};
  const props = (url.searchParams.get('properties') || '').split(',').filter(Boolean);
  const assocs = (url.searchParams.get('associations') || '').split(',').filter(Boolean);
  const limit = Math.min(Number(url.searchParams.get('limit') || 10), 100);
  // "List" (GET /crm/v3/objects/{objectType}, ?archived=true for the archived ones)
  if (parts.length === 1 && req.method === 'GET') {
    const src = url.searchParams.get('archived') === 'true' ? archived : store;
    const rows = [...table(t, src).values()].sort((a, b) => Number(a.id) - Number(b.id));
    const page = pageOf(rows, url.searchParams.get('after'), limit, t, props);
    page.results = page.results.map(r => view(t, table(t, src).get(r.id), props, assocs));
    return send(res, 200, page);
  }
  // "Create" (POST /crm/v3/objects/{objectType}): SimplePublicObjectInputForCreate
  if (parts.length === 1 && req.method === 'POST') {
    if (t === 'emails') emailPosts++;
    if (t === 'emails' && loseEmailCreates > 0) {  // (test-only: a connection that fails before HubSpot took it)
      loseEmailCreates--;
      return req.socket.destroy();
    }
    if (!valid(res, 'SimplePublicObjectInputForCreate', body)) return;
    const bad = invalid(t, body.properties);
    if (bad) return err(res, 400, 'VALIDATION_ERROR', bad);
    const missing = (required[t] || []).filter(k => body.properties[k] === undefined || body.properties[k] === null || body.properties[k] === '');
    if (missing.length)
      return err(res, 400, 'VALIDATION_ERROR', 'Property values were not valid: ' + JSON.stringify(missing.map(k =>
        ({isValid: false, message: k + ' is required', error: 'REQUIRED_FIELD', name: k}))));
    // "associations": PublicAssociationsForObject, each a type HubSpot defines between these objects, to a record that exists
    for (const a of body.associations || []) {
      const to = a.to && findTo(String(a.to.id));
      for (const ty of a.types) {
        const ok = to && ty.associationCategory === 'HUBSPOT_DEFINED' && assocTypes[t + ':' + to] === ty.associationTypeId;
        if (!ok) return err(res, 400, 'VALIDATION_ERROR', 'invalid association ' + JSON.stringify(a) + ' from ' + t);
      }
    }
    if (body.properties[unique] && uniques(t).includes(unique) && findBy(t, unique, body.properties[unique]))
      return err(res, 409, 'CONFLICT', 'Object already exists. Existing ID: ' + findBy(t, unique, body.properties[unique]).id);
    const rec = create(t, body.properties);
    for (const a of body.associations || []) link(t, rec.id, findTo(String(a.to.id)), String(a.to.id));
    return send(res, 201, view(t, rec, Object.keys(body.properties)));
  }
  // "Search" (POST /crm/v3/objects/{objectType}/search): PublicObjectSearchRequest;
  // 5 requests per second per account, answers without rate-limit headers
  if (parts[1] === 'search' && req.method === 'POST') {
    const now = Date.now();
    while (searchTimes.length && searchTimes[0] <= now - 1000) searchTimes.shift();
    searchTimes.push(now);
    if (searchTimes.length > 5)
      return send(res, 429, {status: 'error', message: 'You have reached your secondly limit.', errorType: 'RATE_LIMIT',
                             correlationId: 'c0ffee', policyName: 'SECONDLY'}, true);
    if (!valid(res, 'PublicObjectSearchRequest', body)) return;
    const lim = Math.min(Number(body.limit || 10), 200);
    const after = Number(body.after || 0);
    if (after >= searchCap) {
      search400++;
      return err(res, 400, 'VALIDATION_ERROR', 'The search endpoints are limited to ' + searchCap + ' total results for any given query');
    }
    let rows = [...table(t, store).values()].filter(r => (indexedAt.get(t + ':' + r.id) || 0) <= now);
    const groups = body.filterGroups || [];
    // at most 5 filter groups (HubSpot's changelog, 2024-08-26: "Expanded
    // Filtering Capabilities and Error Messaging in HubSpot's Search API")
    if (groups.length > 5) return err(res, 400, 'VALIDATION_ERROR', 'Too many filter groups (' + groups.length + '): at most 5');
    searches++;
    if (groups.length) rows = rows.filter(r => groups.some(g => (g.filters || []).every(f => matches(r, f))));
    const sorts = body.sorts || [];
    rows.sort((a, b) => {
      for (const s of sorts) {
        const av = s.propertyName === 'hs_object_id' ? Number(a.id) : ms(a.properties[s.propertyName]);
        const bv = s.propertyName === 'hs_object_id' ? Number(b.id) : ms(b.properties[s.propertyName]);
        if (av !== bv) return (s.direction === 'DESCENDING' ? -1 : 1) * (av < bv ? -1 : 1);
      }
      return Number(a.id) - Number(b.id);
    });
    const page = pageOf(rows, after, lim, t, body.properties || []);
    page.total = rows.length;
    if (page.paging && after + lim >= searchCap) page.paging.next.after = String(after + lim);  // as HubSpot: a next that fails
    return send(res, 200, page, true);
  }
  if (parts[1] === 'batch') {
    const inputs = body.inputs;
    if (!Array.isArray(inputs)) return err(res, 400, 'VALIDATION_ERROR', 'inputs is required');
    if (inputs.length > 100) return err(res, 400, 'VALIDATION_ERROR', 'Batch input limit is 100');
    const op = parts[2];
    // batch/{read,create,update,upsert,archive}: the spec's Batch* inputs
    const schema = {read: 'BatchReadInputSimplePublicObjectId', create: 'BatchInputSimplePublicObjectBatchInputForCreate',
                    update: 'BatchInputSimplePublicObjectBatchInput', upsert: 'BatchInputSimplePublicObjectBatchInputUpsert',
                    archive: 'BatchInputSimplePublicObjectId'}[op];
    if (schema && !valid(res, schema, body)) return;
    if (op === 'read') {
      // idProperty: as the single read, a property whose values are unique
      if (body.idProperty && !uniques(t).includes(body.idProperty)) return notUnique(res, 'read', t, body.idProperty);
      if (body.idProperty && body.idProperty !== 'hs_object_id') idReads++;
      const results = [], errors = [];
      for (const i of inputs) {
        const r = findBy(t, body.idProperty, i.id);
        if (r) results.push(view(t, r, body.properties || []));
        else errors.push(error('OBJECT_NOT_FOUND', 'Could not get some ' + t + ' objects', {context: {ids: [String(i.id)]}}));
      }
      return batchOut(res, results, errors);
    }
    if (op === 'create') {
      for (const i of inputs) {
        const bad = invalid(t, i.properties);
        if (bad) return err(res, 400, 'VALIDATION_ERROR', bad);
      }
      return send(res, 201, {status: 'COMPLETE', results: inputs.map(i => view(t, create(t, i.properties), Object.keys(i.properties))),
                             startedAt: new Date().toISOString(), completedAt: new Date().toISOString()});
    }
    if (op === 'upsert' && inputs.some(i => i.idProperty && !uniques(t).includes(i.idProperty)))
      return notUnique(res, 'update/upsert', t, inputs.find(i => !uniques(t).includes(i.idProperty)).idProperty);
    if (op === 'update' || op === 'upsert') {
      const results = [], errors = [];
      for (const i of inputs) {
        const bad = invalid(t, i.properties);
        if (bad) { errors.push(error('VALIDATION_ERROR', bad, {context: {ids: [String(i.id)]}})); continue; }
        if (op === 'upsert' && !i.idProperty) return err(res, 400, 'VALIDATION_ERROR', 'idProperty is required for upsert');
        let r = findBy(t, i.idProperty, i.id);
        if (!r && op === 'update') { errors.push(error('OBJECT_NOT_FOUND', 'Object not found', {context: {ids: [String(i.id)]}})); continue; }
        const isNew = !r;
        if (r) write(t, r, i.properties);
        else r = create(t, Object.assign({}, i.properties, {[i.idProperty]: String(i.id)}));
        const out = view(t, r, Object.keys(r.properties).filter(k => known[t].includes(k)));
        if (op === 'upsert') out.new = isNew;
        results.push(out);
      }
      return batchOut(res, results, errors);
    }
    if (op === 'archive') {
      for (const i of inputs) archive(t, String(i.id));  // archiving an archived or unknown id is not an error
      return send(res, 204);
    }
    return err(res, 404, 'OBJECT_NOT_FOUND', 'no batch operation ' + op);
  }
  // "Read" / "Update" / "Archive" (GET|PATCH|DELETE /crm/v3/objects/{objectType}/{objectId}[?idProperty])
  if (parts.length === 2) {
    const idp = url.searchParams.get('idProperty');
    // idProperty: "The name of a property whose values are unique for this object type"
    if (idp && !uniques(t).includes(idp)) return notUnique(res, 'read', t, idp);
    if (idp && idp !== 'hs_object_id' && req.method === 'GET') idReads++;
    const r = findBy(t, idp, decodeURIComponent(parts[1]));
    if (!r) return err(res, 404, 'OBJECT_NOT_FOUND', 'resource not found');
    if (req.method === 'GET') return send(res, 200, view(t, r, props, assocs));
    // "Update" (PATCH …/{objectId}): SimplePublicObjectInput
    if (req.method === 'PATCH') {
      if (!valid(res, 'SimplePublicObjectInput', body)) return;
      const bad = invalid(t, body.properties);
      if (bad) return err(res, 400, 'VALIDATION_ERROR', bad);
      write(t, r, body.properties);
      return send(res, 200, view(t, r, Object.keys(body.properties)));
    }
    if (req.method === 'DELETE') { archive(t, r.id); return send(res, 204); }
  }
  return err(res, 404, 'OBJECT_NOT_FOUND', 'resource not found');
}

function findTo(id) { return table('contacts', store).has(id) ? 'contacts' : undefined; }
function link(t, id, to, toId) {
  const k = t + ':' + id;
  if (!links.has(k)) links.set(k, new Set());
  links.get(k).add(to + ':' + toId);
}

// Associations v4 (CRM/Associations v4 OpenAPI)
function associations(req, res, url, raw) {
  const p = url.pathname;
  // "Associate records (default)": PUT /crm/v4/objects/{fromObjectType}/{fromObjectId}/associations/default/{toObjectType}/{toObjectId}
  let m = /^\/crm\/v4\/objects\/([^/]+)\/([^/]+)\/associations\/default\/([^/]+)\/([^/]+)$/.exec(p);
  if (m && req.method === 'PUT') {
    const [, t, id, to, toId] = m.map(decodeURIComponent);
    const type = assocTypes[t + ':' + to];
    if (!type) return err(res, 400, 'VALIDATION_ERROR', 'no default association from ' + t + ' to ' + to);
    if (!table(t, store).has(id) || !table(to, store).has(toId)) return err(res, 404, 'OBJECT_NOT_FOUND', 'resource not found');
    link(t, id, to, toId);
    const now = new Date().toISOString();
    return send(res, 200, {status: 'COMPLETE', results: [{from: {id}, to: {id: toId},
      associationSpec: {associationCategory: 'HUBSPOT_DEFINED', associationTypeId: type}}], startedAt: now, completedAt: now});
  }
  // "Retrieve associations": POST /crm/v4/associations/{fromObjectType}/{toObjectType}/batch/read
  m = /^\/crm\/v4\/associations\/([^/]+)\/([^/]+)\/batch\/read$/.exec(p);
  if (m && req.method === 'POST') {
    const body = raw ? JSON.parse(raw) : {};
    if (!valid(res, 'BatchInputPublicFetchAssociationsBatchRequest', body)) return;
    const [, t, to] = m;
    const results = [];
    for (const i of body.inputs) {
      const ids = linked(t, String(i.id), to);
      if (ids.length) results.push({from: {id: String(i.id)}, to: ids.map(toObjectId => ({toObjectId,
        associationTypes: [{category: 'HUBSPOT_DEFINED', typeId: assocTypes[t + ':' + to], label: null}]}))});
    }
    const now = new Date().toISOString();
    return send(res, 200, {status: 'COMPLETE', results, startedAt: now, completedAt: now});
  }
  return err(res, 404, 'OBJECT_NOT_FOUND', 'resource not found');
}

// Owners v3: GET /crm/v3/owners (CollectionResponsePublicOwnerForwardPaging)
function ownersList(req, res, url) {
  if (req.method !== 'GET') return err(res, 405, 'VALIDATION_ERROR', 'method not allowed');
  let rows = owners;
  if (url.searchParams.get('email')) rows = rows.filter(o => o.email === url.searchParams.get('email'));
  const start = Number(url.searchParams.get('after') || 0), limit = Math.min(Number(url.searchParams.get('limit') || 100), 500);
  const body = {results: rows.slice(start, start + limit)};
  if (start + limit < rows.length) body.paging = {next: {after: String(start + limit)}};
  return send(res, 200, body);
}

// Files v3. The guide's "Upload a file": multipart/form-data with file (required), options ("A JSON
// object that controls the file's privacy …: access, which is required, and ttl" — minimum 1 day,
// maximum 1 year), folderId or folderPath ("Either this field or folderPath must be provided in your
// request (but not both)"; a folderPath that does not exist is made, the spec says), fileName,
// charsetHunch (the spec's multipart schema: nothing else). The options' keys and values are the
// spec's (ImportFromUrlInput, the same options): access one of the File access enum,
// duplicateValidationStrategy NONE | REJECT | RETURN_EXISTING ("If a duplicate file is found, do not
// upload a new file and return the found duplicate instead"), duplicateValidationScope ENTIRE_PORTAL |
// EXACT_FOLDER, overwrite (false: "the new file's name will be updated to prevent colliding with
// existing file"), ttl, expiresAt. What makes a duplicate is not said: here the same bytes (MD5).
const fileAccess = ['HIDDEN_INDEXABLE', 'HIDDEN_NOT_INDEXABLE', 'HIDDEN_PRIVATE', 'HIDDEN_SENSITIVE', 'PRIVATE',
                    'PUBLIC_INDEXABLE', 'PUBLIC_NOT_INDEXABLE', 'SENSITIVE'];
const uploadFields = ['charsetHunch', 'file', 'fileName', 'folderId', 'folderPath', 'options'];
const optionEnums = {access: fileAccess, duplicateValidationStrategy: ['NONE', 'REJECT', 'RETURN_EXISTING'],
                     duplicateValidationScope: ['ENTIRE_PORTAL', 'EXACT_FOLDER']};
function folderAt(path) {  // the folder at path, made with its parents
  const clean = '/' + path.split('/').filter(Boolean).join('/');
  if (clean === '/') return {id: '0', path: '/'};
  if (folders.has(clean)) return folders.get(clean);
  const parent = folderAt(clean.slice(0, clean.lastIndexOf('/')) || '/'), now = new Date().toISOString();
  const f = {id: String(++seq), name: clean.slice(clean.lastIndexOf('/') + 1), path: clean, parentFolderId: parent.id,
             createdAt: now, updatedAt: now, archived: false};
  folders.set(clean, f);
  return f;
}
function fileView(f) { const o = Object.assign({}, f); delete o.folderPath; return o; }
function ttlDays(v) {  // an ISO 8601 period (P1D, P2W, P6M, P1Y) in days, or NaN
  const m = /^P(\d+)([DWMY])$/.exec(String(v));
  return m ? Number(m[1]) * {D: 1, W: 7, M: 30, Y: 365}[m[2]] : NaN;
}
function filesApi(req, res, url) {
  const p = url.pathname;
  // "Upload file": POST /files/v3/files
  if (p === '/files/v3/files' && req.method === 'POST') {
    filePosts++;
    const parts = multipart(req);
    if (!parts) return err(res, 415, 'VALIDATION_ERROR', 'Content-Type must be multipart/form-data');
    const unknown = parts.find(x => !uploadFields.includes(x.name));
    if (unknown) return err(res, 400, 'VALIDATION_ERROR', 'Unknown field ' + unknown.name);
    const field = n => { const x = parts.find(y => y.name === n && y.filename === undefined); return x && x.data.toString(); };
    const file = parts.filter(x => x.name === 'file' && x.filename !== undefined);
    if (file.length !== 1) return err(res, 400, 'VALIDATION_ERROR', 'file is required (one file per upload)');
    let opts;
    try { opts = JSON.parse(field('options') || ''); } catch (e) { opts = null; }
    if (!opts || typeof opts !== 'object' || Array.isArray(opts)) return err(res, 400, 'VALIDATION_ERROR', 'options is required: a JSON object with access');
    for (const k of Object.keys(opts))
      if (!['access', 'ttl', 'overwrite', 'duplicateValidationStrategy', 'duplicateValidationScope', 'expiresAt'].includes(k))
        return err(res, 400, 'VALIDATION_ERROR', 'Unknown option ' + k);
    if (!opts.access) return err(res, 400, 'VALIDATION_ERROR', 'options.access is required');
    for (const [k, allowed] of Object.entries(optionEnums))
      if (opts[k] !== undefined && !allowed.includes(opts[k]))
        return err(res, 400, 'VALIDATION_ERROR', 'options.' + k + ' must be one of ' + allowed.join(', '));
    if (opts.overwrite !== undefined && typeof opts.overwrite !== 'boolean') return err(res, 400, 'VALIDATION_ERROR', 'options.overwrite must be a boolean');
    if (opts.ttl !== undefined && !(ttlDays(opts.ttl) >= 1 && ttlDays(opts.ttl) <= 365))
      return err(res, 400, 'VALIDATION_ERROR', 'options.ttl must be a period of 1 day to 1 year');
    const folderId = field('folderId'), folderPath = field('folderPath');
    if ((folderId === undefined) === (folderPath === undefined))
      return err(res, 400, 'VALIDATION_ERROR', "Either 'folderId' or 'folderPath' is required (but not both)");
    let folder;
    if (folderId !== undefined) {
      folder = [...folders.values()].find(f => f.id === folderId && !f.archived);
      if (!folder) return err(res, 404, 'OBJECT_NOT_FOUND', 'Folder ' + folderId + ' not found');
    } else {
      if (!folderPath.startsWith('/')) return err(res, 400, 'VALIDATION_ERROR', 'folderPath must start with /');
      folder = folderAt(folderPath);
    }
    const bytes = file[0].data;
    if (bytes.length > filesMaxBytes)
      return err(res, 413, 'VALIDATION_ERROR', 'File size ' + bytes.length + ' exceeds the maximum of ' + filesMaxBytes + ' bytes');
    const md5 = crypto.createHash('md5').update(bytes).digest('hex');
    const strategy = opts.duplicateValidationStrategy || 'NONE';
    if (strategy !== 'NONE') {
      const dup = [...files.values()].find(f => !f.archived && f.fileMd5 === md5 &&
        (opts.duplicateValidationScope !== 'EXACT_FOLDER' || f.parentFolderId === folder.id));
      if (dup && strategy === 'RETURN_EXISTING') return send(res, 200, fileView(dup));
      if (dup) return err(res, 409, 'CONFLICT', 'A duplicate file exists: ' + dup.id);
    }
    const full = field('fileName') || file[0].filename || md5;
    const dot = full.lastIndexOf('.');
    const ext = dot > 0 ? full.slice(dot + 1) : '', base = dot > 0 ? full.slice(0, dot) : full;
    if (/[\/]/.test(full)) return err(res, 400, 'VALIDATION_ERROR', 'fileName may not hold /');
    const taken = n => [...files.values()].find(f => !f.archived && f.parentFolderId === folder.id && f.name === n && f.extension === ext);
    let name = base;
    if (opts.overwrite === true && taken(name)) taken(name).archived = true;
    for (let i = 1; taken(name); i++) name = base + '-' + i;
    const now = new Date().toISOString(), id = String(++seq);
    const path = (folder.path === '/' ? '' : folder.path) + '/' + name + (ext ? '.' + ext : '');
    const f = {id, name, extension: ext, path, parentFolderId: folder.id, size: bytes.length, access: opts.access,
               fileMd5: md5, type: /^(png|jpe?g|gif|svg|webp)$/i.test(ext) ? 'IMG' : /^(mp4|mov|mpeg)$/i.test(ext) ? 'MOVIE' : 'DOCUMENT',
               encoding: ext, createdAt: now, updatedAt: now, archived: false, isUsableInContent: true,
               url: 'http://' + req.headers.host + '/__files/' + id, defaultHostingUrl: 'http://' + req.headers.host + '/__files/' + id};
    files.set(id, f);
    fileUploads++;
    return send(res, 201, fileView(f));
  }
  // "Retrieve file by path": GET /files/v3/files/stat/{path} → FileStat
  let m = /^\/files\/v3\/files\/stat\/(.+)$/.exec(p);
  if (m && req.method === 'GET') {
    const path = '/' + m[1].split('/').filter(Boolean).map(decodeURIComponent).join('/');
    const f = [...files.values()].find(x => !x.archived && x.path === path);
    if (f) return send(res, 200, {file: fileView(f)});
    if (folders.has(path) && !folders.get(path).archived) return send(res, 200, {folder: folders.get(path)});
    return err(res, 404, 'OBJECT_NOT_FOUND', 'No file or folder at ' + path);
  }
  // "Retrieve file by ID": GET /files/v3/files/{fileId}
  m = /^\/files\/v3\/files\/([^/]+)$/.exec(p);
  if (m && req.method === 'GET') {
    const f = files.get(decodeURIComponent(m[1]));
    if (!f) return err(res, 404, 'OBJECT_NOT_FOUND', 'File not found');
    return send(res, 200, fileView(f));
  }
  return err(res, 404, 'OBJECT_NOT_FOUND', 'resource not found');
}

function handle(req, res, raw) {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname;
  if (p === '/__control') {
    control(raw, {expire_tokens: () => { tokens = new Set(); }, search_cap: n => { searchCap = n; },
                  rate_limited: n => { rateLimited = n; }, private_token: t => tokens.add(t),
                  emails_accord_id_not_unique: v => { emailsNotUnique = !!v; }, search_lag_ms: n => { searchLag = Number(n); },
                  files_max_bytes: n => { filesMaxBytes = Number(n); }, lose_email_creates: n => { loseEmailCreates = Number(n); },
                  search_catch_up: () => { for (const k of indexedAt.keys()) indexedAt.set(k, 0); }});
    return send(res, 200, {ok: true});
  }
  if (p === '/__stats') return send(res, 200, {requests, search_400: search400, file_uploads: fileUploads, file_posts: filePosts, email_posts: emailPosts,
                                               id_reads: idReads, searches});
  if (p === '/__dump') {
    const out = {};
    for (const [t, m] of Object.entries(store)) out[t] = [...m.values()];
    out.associations = Object.fromEntries([...links].map(([k, v]) => [k, [...v]]));
    out.owners = owners;
    out.files = [...files.values()];
    out.folders = [...folders.values()];
    return send(res, 200, out);
  }
  if (p === '/__purge') {
    const c = JSON.parse(raw);
    table(c.type, store).delete(c.id);
    table(c.type, archived).delete(c.id);
    return send(res, 200, {ok: true});
  }
  if (p === '/__owner') {
    const c = JSON.parse(raw), now = new Date().toISOString();
    owners.push(Object.assign({id: String(++seq), userId: seq, type: 'PERSON', createdAt: now, updatedAt: now, archived: false, teams: []}, c));
    return send(res, 200, {ok: true});
  }
  if (p === '/__edit' || p === '/__delete') {
    const c = JSON.parse(raw);
    const rec = table(c.type, store).get(c.id);
    if (!rec) return err(res, 404, 'OBJECT_NOT_FOUND', 'resource not found');
    if (p === '/__edit') write(c.type, rec, c.properties);
    else archive(c.type, c.id);
    return send(res, 200, {ok: true});
  }
  if (p === '/oauth/v1/token' && req.method === 'POST') {
    if (!refreshGrantOk(raw, {client_id: process.env.HS_CLIENT_ID || 'client',
                              client_secret: process.env.HS_CLIENT_SECRET || 'secret', refresh_token: refreshToken}))
      return send(res, 400, {status: 'BAD_REFRESH_TOKEN', message: 'missing or unknown refresh token'});
    const tok = 'CNH' + (++tokenSeq) + Math.random().toString(36).slice(2);
    tokens.add(tok);
    return send(res, 200, {token_type: 'bearer', refresh_token: refreshToken, access_token: tok, expires_in: 1800});
  }
  const auth = bearer(req);
  if (!tokens.has(auth))
    return err(res, 401, auth ? 'EXPIRED_AUTHENTICATION' : 'INVALID_AUTHENTICATION',
               auth ? 'The OAuth token used to make this call expired.' : 'Authentication credentials not found.');
  requests++;
  if (rateLimited > 0) {
    rateLimited--;
    res.setHeader('Retry-After', '1');
    return send(res, 429, {status: 'error', message: 'You have reached your secondly limit.', errorType: 'RATE_LIMIT',
                           correlationId: 'c0ffee', policyName: 'SECONDLY'});
  }
  if (p.startsWith('/crm/v3/objects/')) return objects(req, res, url, p.slice(16).split('/').filter(Boolean), raw);
  if (p.startsWith('/crm/v4/')) return associations(req, res, url, raw);
  if (p.startsWith('/files/v3/')) return filesApi(req, res, url);
  if (p === '/crm/v3/owners' || p === '/crm/v3/owners/') return ownersList(req, res, url);
  return err(res, 404, 'OBJECT_NOT_FOUND', 'resource not found');
}

serve(handle, (res, e) => err(res, 500, 'INTERNAL_ERROR', String(e && e.message)));
