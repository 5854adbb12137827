// SPDX-License-Identifier: Apache-2.0
// A stateful Salesforce REST API fake for the crm-rest tests (plain Node, no
// packages), following the documented request and answer shapes of API v59.0
// (Salesforce publishes no machine-readable schema of these resources: each
// route names the REST API Developer Guide page it follows):
//   POST /services/oauth2/token            refresh_token grant → access_token
//   GET  /services/data/v59.0/query?q=SOQL  SELECT f… FROM Obj [WHERE SystemModstamp >= T]
//                                          ORDER BY SystemModstamp, Id → records,
//                                          done, nextRecordsUrl (pages of page_size)
//   GET  …/query/<locator>                  the next page; a locator expires (2 days, or
//                                          /__control expire_locators) → 400 INVALID_QUERY_LOCATOR
//   GET  …/sobjects/Obj/deleted/?start&end  deletedRecords, earliestDateAvailable, latestDateCovered
//                                          ("sObject Get Deleted"; getDeleted() rules: start more than
//                                          one minute before end, no earlier than the delete log
//                                          (15 days, or since a purge) → else 400 INVALID_REPLICATION_DATE;
//                                          latestDateCovered is end, or now when end is later: the
//                                          guide says only that it is ≤ end)
//   GET|PATCH|DELETE …/sobjects/Obj/Id      one record (PATCH/DELETE answer 204)
//   POST …/sobjects/Obj/                    201 {id, success, errors}
//   PATCH …/sobjects/Obj/Accord_Id__c/Key   upsert by external id: 201 created / 200 updated
//                                          ("Upsert Records Using sObject Rows by External ID": "Do not
//                                          specify Id or an external ID field in the request body or an
//                                          error is generated"; the code is not documented: 400 INVALID_FIELD here)
//   GET  …/sobjects/Obj/Accord_Id__c/Key    the record with that external id, 404 NOT_FOUND when none
//                                          ("Get Records Using sObject Rows by External ID")
//   sObject Collections (allOrNone false; up to 200 records; results in order,
//   each {id, success, errors[{statusCode, message, fields}]}):
//     POST   …/composite/sobjects              create
//     PATCH  …/composite/sobjects              update (records carry Id)
//     PATCH  …/composite/sobjects/Obj/Accord_Id__c   upsert (results carry created)
//     DELETE …/composite/sobjects?ids=a,b       delete
//     GET    …/composite/sobjects/Obj?ids=a,b&fields=F,G   read (null where not found)
//   allOrNone true on a collection create rolls every record back when one fails (the others answer
//   ALL_OR_NONE_OPERATION_ROLLED_BACK)
//   POST …/composite                       "Composite" (Send Multiple Requests Using Composite): up to 25
//                                          subrequests {method, url, referenceId, body}, "@{ref.field}" in a
//                                          later url or body takes an earlier answer's field; allOrNone true
//                                          rolls back every subrequest when one fails (that one answers its
//                                          error array, the others 400 PROCESSING_HALTED); one request
//                                          counted; answers 200 {compositeResponse: [{body, httpHeaders,
//                                          httpStatusCode, referenceId}]}; a subrequest without referenceId,
//                                          or more than 25, refuses the whole request (400)
// Enhanced Email (Object Reference: EmailMessage, EmailMessageRelation):
//   EmailMessage: Status a restricted picklist "0".."5" (not nillable: required on create);
//   HasAttachment read only (set when a file is put on the message); update() only while Status
//   is "5" (Draft), else only IsExternallyVisible; Status itself changes only from "0" New to
//   "1" Read, a Draft's too ("Special Access Rules": "The Status field is mostly read-only. You
//   can change the status only from New to Read"; the page does not name the error: 400
//   INVALID_FIELD_FOR_INSERT_UPDATE here); ReplyToEmailMessageId must name an EmailMessage; the field lengths of the field
//   reference (Subject 3000, TextBody/HtmlBody 131072, Headers 32000, addresses 4000: STRING_TOO_LONG).
//   EmailMessageRelation: EmailMessageId and RelationType (restricted picklist FromAddress, ToAddress,
//   CcAddress, BccAddress) required; RelationId a Contact, Lead or User (else
//   INVALID_CROSS_REFERENCE_KEY); RelationAddress, when not set, auto-populated from RelationId;
//   RelationObjectType read only, set from RelationId. A relation made on a message that is not a Draft
//   ("5") is refused 400 INSUFFICIENT_ACCESS_OR_READONLY unless /__control update_email_messages grants
//   the user "Update Email Messages" (EmailMessage, "Special Access Rules": a permission for automated
//   case users only). EmailMessage's ToIds/CcIds/BccIds (JunctionIdList, Create/Update) make a
//   relation of that type per Contact, Lead or User id with the message (INVALID_CROSS_REFERENCE_KEY
//   for another id), and are not stored. SOQL on EmailMessage may select its relations
//   by the subquery (SELECT f… FROM EmailMessageRelations) (null when none, else {totalSize, done,
//   records}) and filter WHERE MessageIdentifier IN ('…', …) (SOQL quoted-string escapes).
//   Files on a message: Attachment (Object Reference, Attachment: Name, Body (base64), ParentId
//   required; ParentId one of the objects the page lists, EmailMessage among them); ContentVersion
//   (Object Reference, ContentVersion: VersionData (base64) and PathOnClient; FirstPublishLocationId
//   makes its ContentDocument and a ContentDocumentLink to that record); ContentDocumentLink. A
//   ContentVersion published to, or a ContentDocumentLink made to, an EmailMessage that is not a Draft
//   is refused 400 INSUFFICIENT_ACCESS_OR_READONLY without "Update Email Messages" (the same
//   "Special Access Rules"). A blob in a JSON body: at most 37.5 MB ("Insert or Update Blob Data").
//   User: read only here (POST /__create makes one).
// A field the object does not have answers 400 INVALID_FIELD, a system
// field INVALID_FIELD_FOR_INSERT_UPDATE (see orgFields).
// Errors are arrays of {message, errorCode}: 401 INVALID_SESSION_ID,
// 403 REQUEST_LIMIT_EXCEEDED, 404 NOT_FOUND / ENTITY_IS_DELETED.
// Every answer carries Sforce-Limit-Info. Control (tests only):
//   POST /__control {"expire_tokens": true, "limit_exceeded": n, "page_size": n,
//                    "expire_locators": true, "purge_delete_log": true,
//                    "api_left": n (the org's daily limit set n requests above its usage), "api_limit": n,
//                    "poison": "LastName", "update_email_messages": true, "blob_max_bytes": n}  (a write of a record with that LastName fails: 500 alone, an error item in a collection)
//   GET  /__stats → {requests, over_limit (refused past the daily limit), api_usage, api_limit}
//   GET  /__dump → every live record; POST /__edit {object, id, fields} edits as a user would; POST /__delete {object, id}
//   POST /__create {object, fields} → {id}: a record made as a user would (a User, a Contact)
//
// Usage: SF_CLIENT_ID=… SF_CLIENT_SECRET=… SF_REFRESH_TOKEN=… node salesforce_fake.js → prints "port N".
'use strict';
const {URL} = require('url');
const {serve, control, refreshGrantOk, bearer} = require('./fake_http');

const V = '/services/data/v59.0';
const clientId = process.env.SF_CLIENT_ID || 'client';
const clientSecret = process.env.SF_CLIENT_SECRET || 'secret';
const refreshToken = process.env.SF_REFRESH_TOKEN || 'refresh';
const prefixes = {Contact: '003', Lead: '00Q', Account: '001', Event: '00U', Task: '00T', User: '005',
                  EmailMessage: '02s', EmailMessageRelation: '0PJ', Attachment: '00P', ContentVersion: '068',
                  ContentDocument: '069', ContentDocumentLink: '06A'};
const required = {Contact: ['LastName'], Lead: ['LastName', 'Company'],  // as an org's defaults
                  EmailMessage: ['Status'], EmailMessageRelation: ['EmailMessageId', 'RelationType'],
                  // Attachment: Body, Name and ParentId "Required" (Object Reference, Attachment);
                  // ContentVersion: the file's bytes and PathOnClient, which names its FileType
                  // (Object Reference, ContentVersion); ContentDocumentLink: the two ids it links
                  Attachment: ['Body', 'Name', 'ParentId'], ContentVersion: ['VersionData', 'PathOnClient'],
                  ContentDocumentLink: ['ContentDocumentId', 'LinkedEntityId']};
// The org's fields of each object (its standard fields the profile reads,
// and the Accord_Id__c external id): a write naming another answers 400
// INVALID_FIELD "No such column 'X' on sobject of type Obj", as a SOQL query
// selecting one does; a system field set by Salesforce (SystemModstamp,
// CreatedDate, LastModifiedDate) answers INVALID_FIELD_FOR_INSERT_UPDATE
// ("Unable to create/update fields: X"). Id only in a collection update's records.
const system = ['Id', 'SystemModstamp', 'CreatedDate', 'LastModifiedDate'];
const orgFields = {
  Contact: ['FirstName', 'LastName', 'Email', 'Phone', 'Title', 'Description'],
  Lead: ['FirstName', 'LastName', 'Company', 'Email', 'Phone', 'Status', 'LeadSource'],
  Account: ['Name', 'Website', 'Phone', 'Industry', 'BillingCity', 'BillingCountry'],
  Event: ['Subject', 'StartDateTime', 'EndDateTime', 'Location', 'Description'],
  Task: ['Subject', 'ActivityDate', 'Status', 'Description'],
  User: ['FirstName', 'LastName', 'Email', 'IsActive'],
  EmailMessage: ['Subject', 'TextBody', 'HtmlBody', 'Headers', 'FromAddress', 'FromName', 'ToAddress', 'CcAddress',
                 'BccAddress', 'MessageDate', 'Status', 'Incoming', 'MessageIdentifier', 'ThreadIdentifier',
                 'ReplyToEmailMessageId', 'RelatedToId', 'ParentId', 'IsExternallyVisible', 'HasAttachment',
                 'ToIds', 'CcIds', 'BccIds'],
  EmailMessageRelation: ['EmailMessageId', 'RelationId', 'RelationType', 'RelationAddress', 'RelationObjectType'],
  Attachment: ['Name', 'Body', 'ContentType', 'ParentId', 'Description', 'BodyLength'],
  ContentVersion: ['Title', 'PathOnClient', 'VersionData', 'FirstPublishLocationId', 'Description', 'ContentDocumentId',
                   'ContentSize'],
  ContentDocumentLink: ['ContentDocumentId', 'LinkedEntityId', 'ShareType', 'Visibility']};
// fields the API reads but never writes (Properties without Create or Update)
const readOnly = {EmailMessage: ['HasAttachment'], EmailMessageRelation: ['RelationObjectType'], Attachment: ['BodyLength'],
                  ContentVersion: ['ContentSize'],
                  User: ['FirstName', 'LastName', 'Email', 'IsActive']};
const picklists = {EmailMessage: {Status: ['0', '1', '2', '3', '4', '5']},
                   EmailMessageRelation: {RelationType: ['FromAddress', 'ToAddress', 'CcAddress', 'BccAddress']}};
const lengths = {EmailMessage: {Subject: 3000, TextBody: 131072, HtmlBody: 131072, Headers: 32000, FromAddress: 1000,
                                FromName: 1000, ToAddress: 4000, CcAddress: 4000, BccAddress: 4000},
                 EmailMessageRelation: {RelationAddress: 255}, Attachment: {Name: 255}, ContentVersion: {Title: 255}};
// REST API Developer Guide, "Insert or Update Blob Data": a blob sent in a
// non-multipart (JSON) body is "limited to 50 MB of text data or 37.5 MB of
// base64-encoded data": a file of more than 37.5 MB (its base64 over 50 MB)
// is refused. The guide names no error code: 400 MAXIMUM_SIZE_OF_ATTACHMENT
// here (a StatusCode of the API's list). A value that is not base64:
// JSON_PARSER_ERROR. /__control blob_max_bytes lowers the limit for a test.
// The page says "MB", not MiB: 37,500,000 bytes here (and 50,000,000 below),
// the stricter reading, so that a fake accepting it does not let through a
// request Salesforce's decimal MB would refuse.
let blobMax = 37500000;
// The same page's "50 MB of text data": a non-multipart (JSON) request body
// past it is refused whole. The Composite, Composite Batch and sObject
// Collections pages give no size in bytes (only 25 subrequests, 200
// records), so a Composite request is held to this too. The guide names no
// status or code for it: 413 (RFC 9110, Content Too Large) in the API's
// error shape here, with a code of the fake's own (REQUEST_TOO_LARGE). /__control json_body_max_bytes changes it for a test.
let jsonBodyMax = 50000000;
const blobFields = {Attachment: 'Body', ContentVersion: 'VersionData'};
function blobError(obj, rec) {
  const f = blobFields[obj];
  if (!f || rec[f] === undefined) return null;
  const v = rec[f];
  if (typeof v !== 'string' || v.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(v))
    return ['JSON_PARSER_ERROR', f + ': not base64-encoded data', f];
  if (Buffer.from(v, 'base64').length > blobMax)
    return ['MAXIMUM_SIZE_OF_ATTACHMENT', f + ': the file is larger than the ' + blobMax + ' bytes a JSON body takes', f];
  return null;
}
// The objects an Attachment may hang on (Object Reference, Attachment,
// ParentId: "The following objects are supported as parents of
// attachments", EmailMessage among them; custom objects too).
const attachmentParents = ['Account', 'Asset', 'Campaign', 'Case', 'Contact', 'Contract', 'EmailMessage', 'EmailTemplate',
                           'Event', 'Lead', 'Opportunity', 'Product2', 'Solution', 'Task'];
function objectOf(id) { return Object.keys(store).find(o => table(o).has(id)) || null; }
// "Special Access Rules" (EmailMessage): only a user with Update Email
// Messages may change the EmailMessageRelation and ContentDocumentLink
// records of a message that is not a Draft: a link made to one (a
// ContentDocumentLink, or a ContentVersion published to it by
// FirstPublishLocationId) is refused so.
function linkToSentMessage(id) {
  const m = table('EmailMessage').get(id);
  return m && m.Status !== '5' && !updateEmailMessages
    ? ['INSUFFICIENT_ACCESS_OR_READONLY', "You can't create a link for Email Message when it's not in draft state.", 'LinkedEntityId']
    : null;
}
// An Enhanced Email record's own rules, on a create (cur null) or an update:
// [code, message, field] or null. Sets what Salesforce sets (RelationAddress, RelationObjectType).
function emailRules(obj, rec, cur) {
  for (const k of Object.keys(rec)) {
    if ((readOnly[obj] || []).includes(k)) return ['INVALID_FIELD_FOR_INSERT_UPDATE', 'Unable to create/update fields: ' + k, k];
    const pl = (picklists[obj] || {})[k];
    if (pl && !pl.includes(String(rec[k]))) return ['INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', k + ': bad value for restricted picklist field: ' + rec[k], k];
    const max = (lengths[obj] || {})[k];
    if (max && typeof rec[k] === 'string' && [...rec[k]].length > max)
      return ['STRING_TOO_LONG', k + ': data value too large: (max length=' + max + ')', k];
  }
  const blob = blobError(obj, rec);
  if (blob) return blob;
  if (obj === 'EmailMessage') {
    // "The Status field is mostly read-only. You can change the status
    // only from New to Read" (EmailMessage, "Special Access Rules"): any
    // other change of Status is refused, a Draft's too (the page names no
    // code: INVALID_FIELD_FOR_INSERT_UPDATE, as for a field not updateable)
    if (cur && rec.Status !== undefined && String(rec.Status) !== String(cur.Status) &&
        !(String(cur.Status) === '0' && String(rec.Status) === '1'))
      return ['INVALID_FIELD_FOR_INSERT_UPDATE', 'Unable to create/update fields: Status. The status of an email message changes only from New to Read.', 'Status'];
    if (cur && cur.Status !== '5' &&
        Object.keys(rec).some(k => !['IsExternallyVisible', 'attributes', 'Id', 'Status'].includes(k)))
      return ['INVALID_FIELD_FOR_INSERT_UPDATE', 'an email message that is not a draft takes no update but IsExternallyVisible', 'Status'];
    if (rec.ReplyToEmailMessageId && !table('EmailMessage').has(rec.ReplyToEmailMessageId))
      return ['INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', 'ReplyToEmailMessageId'];
    for (const f of Object.keys(junctionTypes))
      if (rec[f] !== undefined && rec[f] !== null) {
        if (!Array.isArray(rec[f])) return ['JSON_PARSER_ERROR', f + ' is a JunctionIdList: an array of ids', f];
        if (rec[f].some(id => !['Contact', 'Lead', 'User'].some(x => table(x).has(id))))
          return ['INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', f];
      }
  }
  if (obj === 'Attachment' && !cur && rec.ParentId !== undefined) {
    if (!attachmentParents.includes(objectOf(rec.ParentId)))
      return ['INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', 'ParentId'];
  }
  if (obj === 'ContentVersion' && !cur && rec.FirstPublishLocationId !== undefined) {
    if (!objectOf(rec.FirstPublishLocationId)) return ['INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', 'FirstPublishLocationId'];
    const sent = linkToSentMessage(rec.FirstPublishLocationId);
    if (sent) return [sent[0], sent[1], 'FirstPublishLocationId'];
  }
  if (obj === 'ContentDocumentLink' && !cur) {
    if (rec.ContentDocumentId && !table('ContentDocument').has(rec.ContentDocumentId))
      return ['INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', 'ContentDocumentId'];
    if (rec.LinkedEntityId && !objectOf(rec.LinkedEntityId)) return ['INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', 'LinkedEntityId'];
    const sent = rec.LinkedEntityId && linkToSentMessage(rec.LinkedEntityId);
    if (sent) return sent;
  }
  if (obj === 'EmailMessageRelation') {
    if (cur) return ['INVALID_FIELD_FOR_INSERT_UPDATE', 'Unable to create/update fields: EmailMessageId', 'EmailMessageId'];
    if (rec.EmailMessageId && !table('EmailMessage').has(rec.EmailMessageId))
      return ['INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', 'EmailMessageId'];
    // "Special Access Rules": only a user with Update Email Messages may
    // change the relations of a message that is not a draft
    if (rec.EmailMessageId && table('EmailMessage').get(rec.EmailMessageId).Status !== '5' && !updateEmailMessages)
      return ['INSUFFICIENT_ACCESS_OR_READONLY', "You can't create a link for Email Message when it's not in draft state.", 'EmailMessageId'];
    if (rec.RelationId) {
      const o = ['Contact', 'Lead', 'User'].find(x => table(x).has(rec.RelationId));
      if (!o) return ['INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', 'RelationId'];
      rec.RelationObjectType = o;
      if (!rec.RelationAddress) rec.RelationAddress = table(o).get(rec.RelationId).Email || null;
    }
  }
  return null;
}
// An EmailMessage's JunctionIdList fields (ToIds, CcIds, BccIds; Create,
// Update): each id becomes an EmailMessageRelation of that type, made by
// Salesforce itself with the message (no Update Email Messages needed); the
// lists are not stored on the message. Called after the message is written.
const junctionTypes = {ToIds: 'ToAddress', CcIds: 'CcAddress', BccIds: 'BccAddress'};
function linkJunctions(obj, msg) {
  linkFiles(obj, msg);
  if (obj !== 'EmailMessage' || !msg) return;
  for (const [f, type] of Object.entries(junctionTypes)) {
    const ids = msg[f];
    delete msg[f];
    if (!Array.isArray(ids)) continue;
    for (const rid of ids) {
      const rels = [...table('EmailMessageRelation').values()];
      if (rels.some(r => r.EmailMessageId === msg.Id && r.RelationId === rid && r.RelationType === type)) continue;
      const o = ['Contact', 'Lead', 'User'].find(x => table(x).has(rid));
      const id = newId('EmailMessageRelation');
      table('EmailMessageRelation').set(id, {Id: id, EmailMessageId: msg.Id, RelationId: rid, RelationType: type,
        RelationObjectType: o, RelationAddress: table(o).get(rid).Email || null, SystemModstamp: stamp()});
    }
  }
}
// What Salesforce does when a file is made: a ContentVersion makes its
// ContentDocument, and a ContentDocumentLink to FirstPublishLocationId
// (Object Reference, ContentVersion); a file on an EmailMessage (an
// Attachment, a ContentDocumentLink) sets its HasAttachment. Sizes kept.
function linkFiles(obj, rec) {
  if (!rec) return;
  let parent = null;
  if (obj === 'Attachment' && rec.BodyLength === undefined) {
    rec.BodyLength = Buffer.from(rec.Body || '', 'base64').length;
    parent = rec.ParentId;
  }
  if (obj === 'ContentVersion' && !rec.ContentDocumentId) {
    rec.ContentSize = Buffer.from(rec.VersionData || '', 'base64').length;
    const doc = newId('ContentDocument');
    table('ContentDocument').set(doc, {Id: doc, Title: rec.Title || rec.PathOnClient, LatestPublishedVersionId: rec.Id,
                                       SystemModstamp: stamp()});
    rec.ContentDocumentId = doc;
    if (rec.FirstPublishLocationId) {
      const link = newId('ContentDocumentLink');
      table('ContentDocumentLink').set(link, {Id: link, ContentDocumentId: doc, LinkedEntityId: rec.FirstPublishLocationId,
                                              ShareType: 'V', SystemModstamp: stamp()});
      parent = rec.FirstPublishLocationId;
    }
  }
  if (obj === 'ContentDocumentLink') parent = rec.LinkedEntityId;
  const m = parent && table('EmailMessage').get(parent);
  if (m && !m.HasAttachment) Object.assign(m, {HasAttachment: true, SystemModstamp: stamp()});
}
// The whole org, to roll back a transaction (allOrNone) to.
function snapshot() {
  return JSON.stringify({store: Object.entries(store).map(([o, m]) => [o, [...m.entries()]]), deleted, idSeq});
}
function restore(snap) {
  const s = JSON.parse(snap);
  for (const k of Object.keys(store)) delete store[k];
  for (const [o, entries] of s.store) store[o] = new Map(entries);
  deleted.length = 0;
  deleted.push(...s.deleted);
  idSeq = s.idSeq;
}
function fieldError(obj, rec, idAllowed) {
  const known = orgFields[obj];
  if (!known) return null;
  for (const k of Object.keys(rec)) {
    if (k === 'attributes' || (k === 'Id' && idAllowed) || k === 'Accord_Id__c' || known.includes(k)) continue;
    if (system.includes(k)) return ['INVALID_FIELD_FOR_INSERT_UPDATE', 'Unable to create/update fields: ' + k +
      '. Please check the security settings of this field and verify that it is read/write for your profile or permission set.', k];
    return ['INVALID_FIELD', "No such column '" + k + "' on sobject of type " + obj, k];
  }
  return null;
}
const store = {};       // object → Map(id → record)
const deleted = [];     // {object, id, deletedDate}
const locators = {};    // locator → {rows, fields, object, at}
let tokens = new Set();
let tokenSeq = 0, idSeq = 0, locSeq = 0, lastStamp = 0, apiUsage = 0;
let pageSize = 2000, limitExceeded = 0, poison = null, requests = 0;
let updateEmailMessages = false;  // the integration user's "Update Email Messages" permission (off, as the page asks)
// the org's daily API requests ("API Request Limits and Allocations": a
// rolling 24 hours; each answer says api-usage=<used>/<limit> in
// Sforce-Limit-Info, "Limit Info Header"); past the limit: 403 REQUEST_LIMIT_EXCEEDED
let apiLimit = 100000, overLimit = 0;  // the guide's example org (api-usage=10018/100000)
let logPurgedAt = 0;  // the delete log holds nothing older (a purge, or 15 days)
const minute = 60000, locatorLife = 2 * 24 * 3600 * 1000, deleteLogLife = 15 * 24 * 3600 * 1000;
function sfTime(ms) { return new Date(ms).toISOString().replace('Z', '+0000'); }

function stamp() {
  let now = Date.now();
  if (now <= lastStamp) now = lastStamp + 1;
  lastStamp = now;
  return new Date(now).toISOString().replace('Z', '+0000');
}
function table(obj) { return store[obj] || (store[obj] = new Map()); }
function newId(obj) {
  idSeq++;
  return (prefixes[obj] || 'a00') + 'Fk' + String(idSeq).padStart(13, '0');
}
function send(res, status, body, headers) {
  const h = Object.assign({'Sforce-Limit-Info': 'api-usage=' + apiUsage + '/' + apiLimit}, headers || {});
  if (body === undefined) { res.writeHead(status, h); return res.end(); }
  h['Content-Type'] = 'application/json;charset=UTF-8';
  res.writeHead(status, h);
  res.end(JSON.stringify(body));
}
// "Status Codes and Error Responses": an array of {message, errorCode,
// fields} (fields: the fields the error is about, when it is about some).
function err(res, status, code, message, fields) { send(res, status, [{message, errorCode: code, fields: fields || []}]); }
function project(rec, fields, obj) {
  const out = {attributes: {type: obj, url: V + '/sobjects/' + obj + '/' + rec.Id}};
  for (const f of fields) out[f] = rec[f] === undefined ? null : rec[f];
  return out;
}
// A SOQL list of quoted strings ('a', 'b\'c'): the values, or null when it is not one.
function soqlStrings(text) {
  const out = [];
  const re = /\s*'((?:[^'\\]|\\.)*)'\s*(,|$)/y;
  let m, at = 0;
  while (at < text.length && (m = re.exec(text))) {
    out.push(m[1].replace(/\\(.)/g, (a, c) => ({n: '\n', r: '\r', t: '\t'})[c] || c));
    at = re.lastIndex;
    if (m[2] === '') break;
  }
  return at >= text.length && out.length ? out : null;
}
// An EmailMessage with its relations as a subquery answers them: null when none.
function withRelations(r, fields) {
  const rels = [...table('EmailMessageRelation').values()].filter(x => x.EmailMessageId === r.Id);
  const sub = rels.length ? {totalSize: rels.length, done: true, records: rels.map(x => project(x, fields, 'EmailMessageRelation'))} : null;
  return Object.assign({}, r, {EmailMessageRelations: sub});
}
function full(rec, obj) { return Object.assign({attributes: {type: obj, url: V + '/sobjects/' + obj + '/' + rec.Id}}, rec); }
function writable(body) {
  const b = Object.assign({}, body);
  for (const k of ['Id', 'SystemModstamp', 'CreatedDate', 'LastModifiedDate', 'attributes']) delete b[k];
  return b;
}
function page(res, loc) {
  const L = locators[loc];
  const rows = L.rows.slice(L.at, L.at + pageSize);
  L.at += rows.length;
  const done = L.at >= L.rows.length;
  const body = {totalSize: L.rows.length, done, records: rows.map(r => project(r, L.fields, L.object))};
  if (!done) body.nextRecordsUrl = V + '/query/' + loc;
  else delete locators[loc];
  send(res, 200, body);
}
function ms(t) { return Date.parse(String(t).replace(/\+0000$/, 'Z')); }

function handle(req, res, raw, inner) {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname;
  if (p === '/__control') {
    control(raw, {expire_tokens: () => { tokens = new Set(); }, limit_exceeded: n => { limitExceeded = n; },
                  page_size: n => { pageSize = n; }, poison: v => { poison = v; },
                  update_email_messages: v => { updateEmailMessages = !!v; },
                  blob_max_bytes: n => { blobMax = n; }, json_body_max_bytes: n => { jsonBodyMax = n; },
                  expire_locators: () => { for (const k of Object.keys(locators)) delete locators[k]; },
                  purge_delete_log: () => { logPurgedAt = Date.now(); deleted.length = 0; },
                  api_left: n => { apiLimit = apiUsage + n; }, api_limit: n => { apiLimit = n; }});
    return send(res, 200, {ok: true});
  }
  if (p === '/__stats') return send(res, 200, {requests, over_limit: overLimit, api_usage: apiUsage, api_limit: apiLimit});
  if (p === '/__dump') {
    const out = {};
    for (const [o, m] of Object.entries(store)) out[o] = [...m.values()];
    return send(res, 200, out);
  }
  if (p === '/__create') {
    const c = JSON.parse(raw);
    const id = newId(c.object);
    table(c.object).set(id, Object.assign({}, c.fields, {Id: id, SystemModstamp: stamp()}));
    return send(res, 200, {id});
  }
  if (p === '/__edit' || p === '/__delete') {
    const c = JSON.parse(raw);
    const t = table(c.object);
    const rec = t.get(c.id);
    if (!rec) return err(res, 404, 'NOT_FOUND', 'no such record');
    if (p === '/__edit') Object.assign(rec, c.fields, {SystemModstamp: stamp()});
    else { t.delete(c.id); deleted.push({object: c.object, id: c.id, deletedDate: stamp()}); }
    return send(res, 200, {ok: true});
  }
  if (p === '/services/oauth2/token' && req.method === 'POST') {
    if (!refreshGrantOk(raw, {client_id: clientId, client_secret: clientSecret, refresh_token: refreshToken}))
      return send(res, 400, {error: 'invalid_grant', error_description: 'expired access/refresh token'});
    const tok = '00DFAKE!' + (++tokenSeq) + Math.random().toString(36).slice(2);
    tokens.add(tok);
    return send(res, 200, {access_token: tok, instance_url: 'http://' + req.headers.host, token_type: 'Bearer',
                           issued_at: String(Date.now()), id: 'http://' + req.headers.host + '/id/00D/005'});
  }
  const auth = bearer(req);
  if (!tokens.has(auth)) return err(res, 401, 'INVALID_SESSION_ID', 'Session expired or invalid');
  if (inner) return route(req, res, raw, url, p);
  requests++;
  if (apiUsage >= apiLimit) {
    overLimit++;
    return err(res, 403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
  }
  apiUsage++;
  if (limitExceeded > 0) {
    limitExceeded--;
    return err(res, 403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
  }
  return route(req, res, raw, url, p);
}

function route(req, res, raw, url, p) {
  if (!p.startsWith(V + '/')) return err(res, 404, 'NOT_FOUND', 'The requested resource does not exist');
  if (req.body && req.body.length > jsonBodyMax && !/^multipart\//.test(req.headers['content-type'] || ''))
    return err(res, 413, 'REQUEST_TOO_LARGE', 'the request body is ' + req.body.length + ' bytes, more than the ' + jsonBodyMax +
               ' bytes of text a non-multipart message takes');
  const parts = p.slice(V.length + 1).split('/').filter(Boolean);
  if (parts[0] === 'composite' && parts.length === 1 && req.method === 'POST') return composite(req, res, raw);

  // "Execute a SOQL Query": nextRecordsUrl locators live two days
  if (parts[0] === 'query' && parts.length === 2 && req.method === 'GET') {
    const L = locators[parts[1]];
    if (L && Date.now() - L.made > locatorLife) delete locators[parts[1]];
    if (!locators[parts[1]]) return err(res, 400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
    return page(res, parts[1]);
  }
  if (parts[0] === 'query' && req.method === 'GET') {
    let q = url.searchParams.get('q') || '';
    // a child relationship's subquery in the SELECT list: EmailMessage's EmailMessageRelations
    let child = null;
    q = q.replace(/\(SELECT ([^()]+) FROM (\w+)\)/, (all, f, rel) => {
      child = {fields: f.split(',').map(x => x.trim()), rel};
      return '__CHILD__';
    });
    const m = q.match(/^SELECT (.+) FROM (\w+)(?: WHERE (?:SystemModstamp >= (\S+)|MessageIdentifier IN \((.+)\)))? ORDER BY SystemModstamp, Id$/);
    if (!m) return err(res, 400, 'MALFORMED_QUERY', 'unexpected SOQL: ' + q);
    const fields = m[1].split(',').map(s => s.trim());
    const unknown = orgFields[m[2]] && fields.find(f => f !== '__CHILD__' && !system.includes(f) && f !== 'Accord_Id__c' && !orgFields[m[2]].includes(f));
    if (unknown) return err(res, 400, 'INVALID_FIELD', "No such column '" + unknown + "' on entity '" + m[2] + "'.");
    if (child) {
      if (m[2] !== 'EmailMessage' || child.rel !== 'EmailMessageRelations')
        return err(res, 400, 'INVALID_TYPE', "Didn't understand relationship '" + child.rel + "' in FROM part of query call.");
      const bad = child.fields.find(f => !system.includes(f) && !orgFields.EmailMessageRelation.includes(f));
      if (bad) return err(res, 400, 'INVALID_FIELD', "No such column '" + bad + "' on entity 'EmailMessageRelation'.");
    }
    const since = m[3] ? Date.parse(m[3]) : null;
    if (m[3] && isNaN(since)) return err(res, 400, 'INVALID_FIELD', 'bad datetime literal ' + m[3]);
    let rows = [...table(m[2]).values()];
    if (since !== null) rows = rows.filter(r => ms(r.SystemModstamp) >= since);
    if (m[4] !== undefined) {
      if (m[2] !== 'EmailMessage') return err(res, 400, 'INVALID_FIELD', "No such column 'MessageIdentifier' on entity '" + m[2] + "'.");
      const vals = soqlStrings(m[4]);
      if (!vals) return err(res, 400, 'MALFORMED_QUERY', 'bad string list: ' + m[4]);
      rows = rows.filter(r => vals.includes(r.MessageIdentifier));
    }
    if (child) rows = rows.map(r => withRelations(r, child.fields));
    rows.sort((a, b) => (ms(a.SystemModstamp) - ms(b.SystemModstamp)) || (a.Id < b.Id ? -1 : 1));
    const loc = '01gFAKE' + (++locSeq) + '-' + pageSize;
    locators[loc] = {rows, fields: fields.map(f => f === '__CHILD__' ? child.rel : f), object: m[2], at: 0, made: Date.now()};
    return page(res, loc);
  }
  if (parts[0] === 'composite' && parts[1] === 'sobjects') return collection(req, res, url, parts.slice(2), raw);
  const body0 = raw ? JSON.parse(raw) : {};
  if (poison !== null && body0.LastName === poison && req.method !== 'GET')
    return err(res, 500, 'UNKNOWN_EXCEPTION', 'An unexpected error occurred (poisoned record)');
  if (parts[0] !== 'sobjects' || parts.length < 2) return err(res, 404, 'NOT_FOUND', 'The requested resource does not exist');
  const obj = parts[1];
  const t = table(obj);
  if (parts[2] === 'deleted' && req.method === 'GET') {
    const start = Date.parse(url.searchParams.get('start')), end = Date.parse(url.searchParams.get('end'));
    if (isNaN(start) || isNaN(end)) return err(res, 400, 'INVALID_REPLICATION_DATE', 'start and end are required dates');
    if (end - start <= minute)
      return err(res, 400, 'INVALID_REPLICATION_DATE', 'startDate must chronologically precede endDate by more than one minute');
    const earliest = Math.max(logPurgedAt, Date.now() - deleteLogLife);
    if (start < earliest)
      return err(res, 400, 'INVALID_REPLICATION_DATE', 'startDate is before the earliest date available, ' + sfTime(earliest));
    const covered = Math.min(end, Date.now());
    const rows = deleted.filter(d => d.object === obj && ms(d.deletedDate) >= start && ms(d.deletedDate) <= covered + 999);
    return send(res, 200, {deletedRecords: rows.map(d => ({id: d.id, deletedDate: d.deletedDate})),
                           earliestDateAvailable: sfTime(earliest), latestDateCovered: sfTime(covered)});
  }
  const body = raw ? JSON.parse(raw) : {};
  // "Create a Record" (POST /sobjects/{object}/): 201 {id, success, errors}
  if (req.method === 'POST' || req.method === 'PATCH') {
    const bad = fieldError(obj, body, false);
    if (bad) return err(res, 400, bad[0], bad[1]);
  }
  if (parts.length === 2 && req.method === 'POST') {
    const id = newId(obj);
    const rec = writable(body);
    const missing = (required[obj] || []).filter(f => !rec[f]);
    if (missing.length) return err(res, 400, 'REQUIRED_FIELD_MISSING', 'Required fields are missing: [' + missing.join(', ') + ']');
    const broken = emailRules(obj, rec, null);
    if (broken) return err(res, 400, broken[0], broken[1], [broken[2]]);
    Object.assign(rec, {Id: id, SystemModstamp: stamp()});
    t.set(id, rec);
    linkJunctions(obj, rec);
    return send(res, 201, {id, success: true, errors: []});
  }
  // "Get Records Using sObject Rows by External ID": the record, or 404 NOT_FOUND
  if (parts.length === 4 && parts[2] === 'Accord_Id__c' && req.method === 'GET') {
    const key = decodeURIComponent(parts[3]);
    const found = [...t.values()].find(r => r.Accord_Id__c === key);
    return found ? send(res, 200, full(found, obj)) : err(res, 404, 'NOT_FOUND', 'The requested resource does not exist');
  }
  if (parts.length === 4 && parts[2] === 'Accord_Id__c' && req.method === 'PATCH') {
    const key = decodeURIComponent(parts[3]);
    for (const f of ['Id', 'Accord_Id__c'])
      if (f in body) return err(res, 400, 'INVALID_FIELD', 'Do not specify ' + f + ' in the request body of an upsert by external ID');
    const existing = [...t.values()].find(r => r.Accord_Id__c === key);
    const broken = emailRules(obj, writable(body), existing || null);
    if (broken) return err(res, 400, broken[0], broken[1], [broken[2]]);
    if (existing) {
      Object.assign(existing, writable(body), {SystemModstamp: stamp()});
      linkJunctions(obj, existing);
      return send(res, 200, {id: existing.Id, success: true, errors: [], created: false});
    }
    const id = newId(obj);
    t.set(id, Object.assign(writable(body), {Id: id, Accord_Id__c: key, SystemModstamp: stamp()}));
    linkJunctions(obj, t.get(id));
    return send(res, 201, {id, success: true, errors: [], created: true});
  }
  // "sObject Rows" (GET|PATCH|DELETE /sobjects/{object}/{id}): PATCH and DELETE answer 204;
  // a deleted record's id answers 404 ENTITY_IS_DELETED
  if (parts.length === 3) {
    const id = parts[2];
    const rec = t.get(id);
    if (!rec) {
      const gone = deleted.find(d => d.id === id);
      return gone ? err(res, 404, 'ENTITY_IS_DELETED', 'entity is deleted') : err(res, 404, 'NOT_FOUND', 'The requested resource does not exist');
    }
    if (req.method === 'GET') return send(res, 200, full(rec, obj));
    if (req.method === 'PATCH') {
      const broken = emailRules(obj, writable(body), rec);
      if (broken) return err(res, 400, broken[0], broken[1], [broken[2]]);
      Object.assign(rec, writable(body), {SystemModstamp: stamp()});
      linkJunctions(obj, rec);
      return send(res, 204);
    }
    if (req.method === 'DELETE') {
      t.delete(id);
      deleted.push({object: obj, id, deletedDate: stamp()});
      return send(res, 204);
    }
  }
  return err(res, 404, 'NOT_FOUND', 'The requested resource does not exist');
}

// One record's write in a collection: {id, success, errors} (+ created for upserts).
function itemError(code, message, fields) { return {success: false, errors: [{statusCode: code, message, fields: fields || []}]}; }
function writeItem(obj, rec, mode, extField) {
  if (!rec || typeof rec !== 'object') return itemError('INVALID_INPUT', 'not a record');
  const type = rec.attributes && rec.attributes.type;
  if (mode !== 'update' && type !== obj && obj) return itemError('INVALID_TYPE', 'attributes.type must be ' + obj);
  const o = obj || type;
  if (!o) return itemError('INVALID_TYPE', 'a record needs attributes.type');
  if (poison !== null && rec.LastName === poison) return itemError('UNKNOWN_EXCEPTION', 'An unexpected error occurred (poisoned record)');
  const bad = fieldError(o, rec, mode === 'update');
  if (bad) return itemError(bad[0], bad[1], [bad[2]]);
  const t = table(o);
  if (mode === 'update') {
    const cur = t.get(rec.Id || rec.id);
    if (!cur) return itemError('ENTITY_IS_DELETED', 'entity is deleted');
    const broken = emailRules(o, writable(rec), cur);
    if (broken) return itemError(broken[0], broken[1], [broken[2]]);
    Object.assign(cur, writable(rec), {SystemModstamp: stamp()});
    linkJunctions(o, cur);
    return {id: cur.Id, success: true, errors: []};
  }
  if (mode === 'upsert') {
    const key = rec[extField];
    if (!key) return itemError('MISSING_ARGUMENT', extField + ' not specified', [extField]);
    const existing = [...t.values()].find(r => r[extField] === key);
    if (existing) {
      Object.assign(existing, writable(rec), {SystemModstamp: stamp()});
      return {id: existing.Id, success: true, errors: [], created: false};
    }
  }
  const made = writable(rec);
  const missing = (required[o] || []).filter(f => !made[f]);
  if (missing.length) return itemError('REQUIRED_FIELD_MISSING', 'Required fields are missing: [' + missing.join(', ') + ']', missing);
  const broken = emailRules(o, made, null);
  if (broken) return itemError(broken[0], broken[1], [broken[2]]);
  const id = newId(o);
  Object.assign(made, {Id: id, SystemModstamp: stamp()});
  t.set(id, made);
  linkJunctions(o, made);
  return mode === 'upsert' ? {id, success: true, errors: [], created: true} : {id, success: true, errors: []};
}
// "sObject Collections": create (POST), update (PATCH), upsert (PATCH …/{object}/{externalIdField}),
// delete (DELETE ?ids=), retrieve (GET …/{object}?ids=&fields=): up to 200 records (2,000 ids to retrieve)
function collection(req, res, url, rest, raw) {
  if (req.method === 'GET' && rest.length === 1) {
    const ids = (url.searchParams.get('ids') || '').split(',').filter(Boolean);
    const fields = (url.searchParams.get('fields') || '').split(',').filter(Boolean);
    if (!ids.length || !fields.length) return err(res, 400, 'MISSING_ARGUMENT', 'ids and fields are required');
    if (ids.length > 2000) return err(res, 400, 'EXCEEDED_ID_LIMIT', 'more than 2000 ids');
    const t = table(rest[0]);
    return send(res, 200, ids.map(id => t.has(id) ? project(t.get(id), fields, rest[0]) : null));
  }
  if (req.method === 'DELETE' && rest.length === 0) {
    const ids = (url.searchParams.get('ids') || '').split(',').filter(Boolean);
    if (ids.length > 200) return err(res, 400, 'EXCEEDED_ID_LIMIT', 'more than 200 ids');
    return send(res, 200, ids.map(id => {
      for (const [o, t] of Object.entries(store))
        if (t.has(id)) {
          t.delete(id);
          deleted.push({object: o, id, deletedDate: stamp()});
          return {id, success: true, errors: []};
        }
      return Object.assign({id}, itemError('ENTITY_IS_DELETED', 'entity is deleted'));
    }));
  }
  const body = JSON.parse(raw || '{}');
  if (!Array.isArray(body.records)) return err(res, 400, 'JSON_PARSER_ERROR', 'records is required');
  if (body.records.length > 200) return err(res, 400, 'EXCEEDED_ID_LIMIT', 'more than 200 records');
  if (body.allOrNone && !(req.method === 'POST' && rest.length === 0))
    return err(res, 400, 'INVALID_ARGUMENT', 'this fake does allOrNone on creates only');
  if (req.method === 'POST' && rest.length === 0) {
    const snap = body.allOrNone ? snapshot() : null;
    const out = body.records.map(r => writeItem(null, r, 'create'));
    if (snap && out.some(r => !r.success)) {
      restore(snap);
      return send(res, 200, out.map(r => r.success ? itemError('ALL_OR_NONE_OPERATION_ROLLED_BACK',
        'Record rolled back because not all records were valid and the request was using AllOrNone header') : r));
    }
    return send(res, 200, out);
  }
  if (req.method === 'PATCH' && rest.length === 0) return send(res, 200, body.records.map(r => writeItem(null, r, 'update')));
  if (req.method === 'PATCH' && rest.length === 2) return send(res, 200, body.records.map(r => writeItem(rest[0], r, 'upsert', rest[1])));
  return err(res, 404, 'NOT_FOUND', 'The requested resource does not exist');
}

// "Composite": subrequests run in order, each answer kept under its referenceId for the
// "@{ref.field}" of later ones; allOrNone true rolls every one back when one fails.
function composite(req, res, raw) {
  const body = JSON.parse(raw || '{}');
  const subs = body.compositeRequest;
  if (!Array.isArray(subs) || !subs.length) return err(res, 400, 'JSON_PARSER_ERROR', 'compositeRequest is required');
  if (subs.length > 25) return err(res, 400, 'INVALID_INPUT', 'Composite requests cannot exceed 25 subrequests');
  for (const s of subs)
    if (!s.referenceId || !s.method || !s.url || !/^\w+$/.test(s.referenceId))
      return err(res, 400, 'INVALID_INPUT', 'every subrequest needs method, url and referenceId');
  const snap = body.allOrNone ? snapshot() : null;
  const answers = {}, out = [];
  let failed = false;
  for (const s of subs) {
    if (failed && body.allOrNone) {
      out.push({body: [{errorCode: 'PROCESSING_HALTED', message: 'The transaction was rolled back since another operation in the same transaction failed.'}],
                httpHeaders: {}, httpStatusCode: 400, referenceId: s.referenceId});
      continue;
    }
    let unresolved = null;
    const fillRefs = text => text.replace(/@\{(\w+)\.(\w+)\}/g, (all, ref, field) => {
      const a = answers[ref];
      if (!a || a[field] === undefined) { unresolved = ref; return all; }
      return String(a[field]);
    });
    const url = fillRefs(s.url);
    const subRaw = s.body === undefined ? '' : fillRefs(JSON.stringify(s.body));
    let status = 0, text = '';
    if (unresolved) {
      status = 400;
      text = JSON.stringify([{errorCode: 'PROCESSING_HALTED', message: 'Invalid reference specified. No value for ' + unresolved + ' found.'}]);
    } else {
      const fakeReq = {method: s.method, url, headers: req.headers};
      const fakeRes = {writeHead(st) { status = st; return this; }, end(b) { text = b || ''; return this; }};
      handle(fakeReq, fakeRes, subRaw, true);
    }
    const answer = text ? JSON.parse(text) : null;
    if (status < 400 && answer && typeof answer === 'object') answers[s.referenceId] = answer;
    if (status >= 400) failed = true;
    out.push({body: answer, httpHeaders: {}, httpStatusCode: status, referenceId: s.referenceId});
  }
  if (failed && snap) {
    restore(snap);
    for (const o of out)
      if (o.httpStatusCode < 400)
        Object.assign(o, {httpStatusCode: 400, body: [{errorCode: 'PROCESSING_HALTED',
          message: 'The transaction was rolled back since another operation in the same transaction failed.'}]});
  }
  return send(res, 200, {compositeResponse: out});
}

serve(handle, (res, e) => err(res, 500, 'UNKNOWN_EXCEPTION', String(e && e.message)));
