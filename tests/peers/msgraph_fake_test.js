// SPDX-License-Identifier: Apache-2.0
// The Microsoft Graph fake (msgraph_fake.js) itself: what it promises the outlook-mapi connector's tests and
// `accord login`, each promise a check that fails when the fake drops it: the identity platform (authorization
// code with PKCE, refresh with rotation and the AADSTS errors, the device code flow), 401s, strict bodies against
// the vendored metadata, mail folders and messages (MIME create leaves a draft, $value, move, immutable ids,
// extended-property lookup, If-Match), delta rounds (pages by odata.maxpagesize, @removed, changeType, replays,
// expired tokens), attachments and upload sessions, contacts, calendars (time zones, series, occurrences,
// exceptions, cancellations, calendarView delta with out-of-window removals, transactionId), To Do (checklist
// items, linked resources, delta), categories, $batch, injected throttling and the 4-request concurrency limit.
// Prints "ok   WHAT" or "FAIL WHAT" and details (ctest fails the test on "FAIL ").
//
// Usage: node msgraph_fake_test.js [PEERS_DIR]
'use strict';
const {spawn} = require('child_process');
const http = require('http');
const crypto = require('crypto');
const path = require('path');

const peers = path.resolve(process.argv[2] || __dirname);
let failed = 0, checks = 0, base = '';
function ok(name) { checks++; console.log('ok   ' + name); }
function bad(name, detail) { checks++; failed++; console.log('FAIL ' + name); if (detail) console.log(String(detail).split('\n').slice(0, 40).join('\n')); }
function expect(name, res, status, pred) {
  let good = res.status === status, err = '';
  if (good && pred) { try { good = !!pred(res.json, res); } catch (e) { good = false; err = e.stack; } }
  if (good) ok(name);
  else bad(name, 'status ' + res.status + '\n' + err + '\n' + res.text.slice(0, 1500));
}
function truth(name, cond, detail) { if (cond) ok(name); else bad(name, detail); }

// request(METHOD, PATH, {body, json, headers, token}) → {status, headers, text, json, buf}
function request(method, p, o) {
  o = o || {};
  const u = new URL(p.startsWith('http') ? p : base + p);
  const headers = Object.assign({}, o.headers || {});
  if (o.token !== null) headers.Authorization = headers.Authorization || 'Bearer ' + (o.token || 'at0');
  if (headers.Authorization === '') delete headers.Authorization;
  let body = o.body;
  if (o.json !== undefined) { body = Buffer.from(JSON.stringify(o.json)); headers['Content-Type'] = headers['Content-Type'] || 'application/json'; }
  if (o.form !== undefined) { body = Buffer.from(new URLSearchParams(o.form).toString()); headers['Content-Type'] = 'application/x-www-form-urlencoded'; }
  if (typeof body === 'string') body = Buffer.from(body);
  if (body) headers['Content-Length'] = body.length;
  return new Promise((resolve, reject) => {
    const req = http.request({method, hostname: u.hostname, port: u.port, path: u.pathname + u.search, headers}, res => {
      const chunks = [];
      res.on('data', c => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks), text = buf.toString();
        let json = null;
        try { json = JSON.parse(text); } catch (e) { /* not JSON */ }
        resolve({status: res.statusCode, headers: res.headers, text, json, buf});
      });
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}
const get = (p, o) => request('GET', p, o);
const post = (p, json, o) => request('POST', p, Object.assign({json}, o || {}));
const patch = (p, json, o) => request('PATCH', p, Object.assign({json}, o || {}));
const del = (p, o) => request('DELETE', p, o);
const ctl = c => request('POST', '/__control', {json: c, token: null});
const enc = encodeURIComponent;
const TOKEN = '/common/oauth2/v2.0/token';
// Follows a delta round to its deltaLink: {items, pages, deltaLink, last}
async function round(url, headers) {
  const items = [];
  let pages = 0, res;
  for (let next = url; next;) {
    res = await get(next, {headers});
    if (res.status !== 200) return {items, pages, res, error: true};
    pages++;
    items.push(...res.json.value);
    next = res.json['@odata.nextLink'];
    if (!next) return {items, pages, deltaLink: res.json['@odata.deltaLink'], res};
  }
}
const mime = (subject, extra) => Buffer.from('From: "Bob Sender" <bob@example.org>\r\nTo: Ada <ada@contoso.example>, carl@example.org\r\nSubject: ' + subject +
  '\r\nDate: Tue, 03 Nov 2026 10:00:00 +0000\r\nMessage-ID: <m-' + crypto.randomBytes(4).toString('hex') + '@example.org>\r\nMIME-Version: 1.0\r\n' +
  (extra || 'Content-Type: text/plain; charset=utf-8\r\n\r\nHello there.\r\n'));

async function main() {
  const child = spawn('node', [path.join(peers, 'msgraph_fake.js')], {
    env: Object.assign({}, process.env, {MSGRAPH_CLIENT_ID: 'cid', MSGRAPH_REDIRECT_URIS: 'http://localhost,https://app.example/cb',
      MSGRAPH_USER: 'ada@contoso.example', MSGRAPH_TOKEN: 'at0', MSGRAPH_REFRESH_TOKEN: 'rt0', PEER_PORT: ''}),
    stdio: ['ignore', 'pipe', 'pipe']});
  let errText = '';
  child.stderr.on('data', c => { errText += c; });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', c => { out += c; const m = /port (\d+)/.exec(out); if (m) resolve(m[1]); });
    child.on('exit', () => reject(new Error('the fake exited: ' + errText)));
    setTimeout(() => reject(new Error('the fake did not start')), 10000);
  });
  base = 'http://127.0.0.1:' + port;
  try { await checksAll(); } catch (e) { bad('the test itself', e.stack + '\n' + errText); }
  child.kill('SIGTERM');
  console.log(checks + ' checks, ' + failed + ' failed');
  process.exit(failed ? 1 : 0);
}

async function checksAll() {
  // ================================================================ identity platform
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  const authorize = q => get('/common/oauth2/v2.0/authorize?' + new URLSearchParams(Object.assign({client_id: 'cid', response_type: 'code',
    redirect_uri: 'http://localhost:53682/', scope: 'offline_access openid https://graph.microsoft.com/Mail.ReadWrite', state: 's-42',
    code_challenge: challenge, code_challenge_method: 'S256'}, q)), {token: null});
  let r = await authorize({});
  const loc = new URL(r.headers.location || 'http://x/');
  expect('authorize-redirects-code-and-state', r, 302, () => loc.searchParams.get('code') && loc.searchParams.get('state') === 's-42' && loc.port === '53682');
  const code1 = loc.searchParams.get('code');
  r = await authorize({client_id: 'nope'});
  expect('authorize-unknown-client-AADSTS700016', r, 400, () => /AADSTS700016/.test(r.text));
  r = await authorize({redirect_uri: 'http://evil.example/cb'});
  expect('authorize-unregistered-redirect-AADSTS50011', r, 400, () => /AADSTS50011/.test(r.text));
  r = await authorize({redirect_uri: 'http://localhost:4000/other-path'});
  expect('authorize-loopback-path-must-match', r, 400, () => /AADSTS50011/.test(r.text));
  r = await authorize({redirect_uri: 'http://127.0.0.1:4000/'});
  expect('authorize-127-0-0-1-is-not-localhost', r, 400, () => /AADSTS50011/.test(r.text));
  r = await authorize({redirect_uri: 'https://app.example/cb', response_mode: 'fragment'});
  expect('authorize-fragment-mode', r, 302, () => /^https:\/\/app\.example\/cb#code=/.test(r.headers.location));
  r = await authorize({code_challenge_method: 'S512'});
  expect('authorize-bad-challenge-method-redirects-invalid_request', r, 302, () => /error=invalid_request/.test(r.headers.location) && /state=s-42/.test(r.headers.location));

  const redeem = (code, extra) => request('POST', TOKEN, {token: null, form: Object.assign({client_id: 'cid', grant_type: 'authorization_code', code,
    redirect_uri: 'http://localhost:53682/', code_verifier: verifier}, extra || {})});
  r = await redeem(code1, {code_verifier: 'wrong-verifier-wrong-verifier-wrong-verifier'});
  expect('token-wrong-code_verifier-AADSTS501481', r, 400, d => d.error === 'invalid_grant' && d.error_codes[0] === 501481 && /^AADSTS501481:/.test(d.error_description) && d.trace_id && d.correlation_id && d.timestamp);
  r = await redeem(code1);
  expect('token-authorization-code-with-pkce', r, 200, d => d.token_type === 'Bearer' && d.access_token && d.refresh_token && d.id_token && d.expires_in > 0 && /Mail\.ReadWrite/.test(d.scope));
  const tok1 = r.json && r.json.access_token, rt1 = r.json && r.json.refresh_token;
  truth('id_token-names-the-user', r.json && JSON.parse(Buffer.from(r.json.id_token.split('.')[1], 'base64url')).preferred_username === 'ada@contoso.example');
  r = await redeem(code1);
  expect('token-code-redeemed-twice-AADSTS54005', r, 400, d => d.error === 'invalid_grant' && d.error_codes[0] === 54005);
  r = await get('/v1.0/me', {token: tok1});
  expect('token-from-code-works-on-graph', r, 200, d => d.userPrincipalName === 'ada@contoso.example' && d.mail === 'ada@contoso.example');
  // a token signed in for Mail.ReadWrite only: the contact routes refuse it (403 ErrorAccessDenied), the mail ones take it
  r = await get('/v1.0/me/contacts', {token: tok1});
  expect('token-without-contacts-permission-refused-403', r, 403, d => d.error && d.error.code === 'ErrorAccessDenied');
  r = await get('/v1.0/me/mailFolders', {token: tok1});
  expect('token-with-mail-permission-reads-mail', r, 200, d => Array.isArray(d.value));
  // a refresh asking for a scope never consented (v2-oauth2-auth-code-flow.md: a subset only) → AADSTS65001
  r = await request('POST', TOKEN, {token: null, form: {client_id: 'cid', grant_type: 'refresh_token', refresh_token: rt1,
    scope: 'offline_access https://graph.microsoft.com/Mail.ReadWrite https://graph.microsoft.com/MailboxSettings.ReadWrite'}});
  expect('refresh-wider-than-consented-AADSTS65001', r, 400, d => d.error === 'invalid_grant' && d.error_codes[0] === 65001 && d.suberror === 'consent_required');
  let l2 = new URL((await authorize({})).headers.location);
  r = await redeem(l2.searchParams.get('code'), {code_verifier: ''});
  expect('token-missing-code_verifier-AADSTS501481', r, 400, d => d.error_codes[0] === 501481);
  l2 = new URL((await authorize({})).headers.location);
  r = await redeem(l2.searchParams.get('code'), {redirect_uri: 'http://localhost:9999/other'});
  expect('token-redirect_uri-mismatch-invalid_grant', r, 400, d => d.error === 'invalid_grant');
  r = await redeem(l2.searchParams.get('code'), {client_id: 'other'});
  expect('token-unknown-client-AADSTS700016', r, 400, d => d.error === 'unauthorized_client' && d.error_codes[0] === 700016);
  r = await redeem(l2.searchParams.get('code'), {client_secret: 's'});
  expect('token-public-client-with-secret-AADSTS700025', r, 401, d => d.error === 'invalid_client' && d.error_codes[0] === 700025);
  await ctl({code_lifetime: -1});
  l2 = new URL((await authorize({})).headers.location);
  r = await redeem(l2.searchParams.get('code'));
  expect('token-expired-code-AADSTS70008', r, 400, d => d.error_codes[0] === 70008);
  await ctl({code_lifetime: 600});
  l2 = new URL((await authorize({code_challenge: 'plain-verifier-plain-verifier-plain-verifier-43', code_challenge_method: 'plain'})).headers.location);
  r = await redeem(l2.searchParams.get('code'), {code_verifier: 'plain-verifier-plain-verifier-plain-verifier-43'});
  expect('token-pkce-plain', r, 200, d => d.access_token);
  r = await request('POST', TOKEN, {token: null, form: {client_id: 'cid', grant_type: 'password'}});
  expect('token-unsupported-grant', r, 400, d => d.error === 'unsupported_grant_type');
  r = await request('POST', TOKEN, {token: null, form: {client_id: 'cid'}});
  expect('token-grant_type-required-AADSTS900144', r, 400, d => d.error === 'invalid_request' && d.error_codes[0] === 900144);

  const refresh = rt => request('POST', TOKEN, {token: null, form: {client_id: 'cid', grant_type: 'refresh_token', refresh_token: rt, scope: 'offline_access https://graph.microsoft.com/Mail.ReadWrite'}});
  r = await refresh(rt1);
  expect('refresh-rotates-the-refresh-token', r, 200, d => d.access_token && d.refresh_token && d.refresh_token !== rt1);
  const rt2 = r.json && r.json.refresh_token;
  r = await refresh(rt1);
  expect('old-refresh-token-still-works-by-default', r, 200, d => d.access_token);
  await ctl({refuse_used_refresh_token: true});
  r = await refresh(rt1);
  expect('old-refresh-token-refused-when-switched', r, 400, d => d.error === 'invalid_grant' && Array.isArray(d.error_codes));
  r = await refresh(rt2);
  expect('newest-refresh-token-works', r, 200, d => d.refresh_token);
  const rt3 = r.json && r.json.refresh_token;
  await ctl({refuse_used_refresh_token: false});
  r = await refresh('nonsense');
  expect('unknown-refresh-token-invalid_grant', r, 400, d => d.error === 'invalid_grant');
  await ctl({expire_refresh_tokens: true});
  r = await refresh(rt3);
  expect('expired-refresh-token-AADSTS700082', r, 400, d => d.error === 'invalid_grant' && d.error_codes[0] === 700082 && /^AADSTS700082: The refresh token has expired due to inactivity/.test(d.error_description));
  await ctl({revoke_refresh_tokens: true});
  r = await refresh(rt3);
  expect('revoked-refresh-token-AADSTS50173', r, 400, d => d.error_codes[0] === 50173);
  await ctl({authorize_error: 'access_denied'});
  r = await authorize({});
  expect('authorize-user-declines-access_denied-with-state', r, 302, () => /error=access_denied/.test(r.headers.location) && /state=s-42/.test(r.headers.location));
  await ctl({authorize_error: null});

  const devicecode = () => request('POST', '/organizations/oauth2/v2.0/devicecode', {token: null, form: {client_id: 'cid', scope: 'offline_access https://graph.microsoft.com/Mail.ReadWrite'}});
  const poll = dc => request('POST', '/organizations/oauth2/v2.0/token', {token: null, form: {client_id: 'cid', grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: dc}});
  await ctl({device_interval: 1});
  r = await devicecode();
  expect('devicecode-answer', r, 200, d => d.device_code && d.user_code && d.verification_uri === 'https://microsoft.com/devicelogin' && d.expires_in > 0 && d.interval === 1 && d.message.includes(d.user_code));
  const dev = r.json || {};
  r = await poll(dev.device_code);
  expect('device-poll-authorization_pending-AADSTS70016', r, 400, d => d.error === 'authorization_pending' && d.error_codes[0] === 70016);
  await request('POST', '/__device', {token: null, json: {user_code: dev.user_code, action: 'approve'}});
  r = await poll(dev.device_code);
  expect('device-approved-gives-tokens', r, 200, d => d.access_token && d.refresh_token);
  r = await poll(dev.device_code);
  expect('device-code-used-once', r, 400, d => d.error === 'bad_verification_code');
  r = await devicecode();
  await request('POST', '/__device', {token: null, json: {user_code: r.json.user_code, action: 'deny'}});
  const denied = await poll(r.json.device_code);
  expect('device-denied-authorization_declined', denied, 400, d => d.error === 'authorization_declined');
  await ctl({device_expires_in: -1});
  r = await devicecode();
  const expired = await poll(r.json.device_code);
  expect('device-expired-expired_token-AADSTS70019', expired, 400, d => d.error === 'expired_token' && d.error_codes[0] === 70019);
  await ctl({device_expires_in: 900});

  // ================================================================ Graph basics
  r = await get('/v1.0/me/messages', {token: null});
  expect('graph-401-without-token', r, 401, d => d.error.code === 'InvalidAuthenticationToken' && d.error.message === 'Access token is empty.' && d.error.innerError['request-id'] && /Bearer/.test(r.headers['www-authenticate']));
  r = await get('/v1.0/me/messages', {token: 'bogus'});
  expect('graph-401-bad-token', r, 401, d => d.error.code === 'InvalidAuthenticationToken');
  await ctl({token_lifetime: 0});
  l2 = new URL((await authorize({})).headers.location);
  const short = (await redeem(l2.searchParams.get('code'))).json.access_token;
  r = await get('/v1.0/me', {token: short});
  expect('graph-401-expired-token', r, 401, d => d.error.code === 'InvalidAuthenticationToken' && /expired/.test(d.error.message));
  await ctl({token_lifetime: 3599});
  r = await get('/v1.0/users/someone@else.example/messages');
  expect('other-mailbox-403', r, 403, d => d.error.code === 'ErrorAccessDenied');
  r = await get('/v1.0/users/ada@contoso.example/mailFolders/inbox');
  expect('users-upn-route', r, 200, d => d.displayName === 'Inbox');
  // Outlook notes are in v1.0 since 2026-08-07 (user-list-notes.md, user-post-notes.md: subject, body, categories)
  r = await get('/v1.0/me/notes');
  expect('outlook-notes-listed', r, 200, d => Array.isArray(d.value));
  r = await request('POST', '/v1.0/me/notes', {json: {subject: 'n', body: {contentType: 'text', content: 'x'}, color: 'yellow'}});
  expect('note-undeclared-property-400', r, 400, d => d.error.code === 'RequestBodyRead' && /microsoft\.graph\.note/.test(d.error.message));
  // the test route age_s: stored times move back as if made that much earlier (a gap a test need not wait out)
  r = await post('/v1.0/me/notes', {subject: 'aged', body: {contentType: 'text', content: 'x'}});
  const made = Date.parse(r.json.createdDateTime);
  await ctl({age_s: 600});
  r = await get('/v1.0/me/notes/' + enc(r.json.id));
  expect('age-s-moves-stored-times-back', r, 200, d => Date.parse(d.createdDateTime) === made - 600000 && Date.parse(d.lastModifiedDateTime) <= made - 600000);
  await del('/v1.0/me/notes/' + enc(r.json.id));
  r = await request('PUT', '/v1.0/me/mailFolders/inbox', {json: {}});
  expect('wrong-method-on-a-known-path-405', r, 405);
  r = await get('/v1.0/me/messages?$foo=1');
  expect('unknown-system-query-option-400', r, 400, d => d.error.code === 'BadRequest');
  r = await get('/v1.0/me/messages?$search=hello');
  expect('search-not-taken-400', r, 400);

  // ================================================================ mail folders
  r = await get('/v1.0/me/mailFolders');
  expect('mailFolders-top-level', r, 200, d => ['Inbox', 'Drafts', 'Sent Items', 'Deleted Items'].every(n => d.value.some(f => f.displayName === n)) && !d.value.some(f => f.displayName === 'Top of Information Store'));
  const inbox = (await get('/v1.0/me/mailFolders/inbox')).json.id;
  const drafts = (await get('/v1.0/me/mailFolders/Drafts')).json.id;
  r = await get('/v1.0/me/mailFolders/delta');
  expect('mailFolders-delta-initial', r, 200, d => d.value.length >= 7 && d['@odata.deltaLink']);
  const fdelta = r.json['@odata.deltaLink'];
  r = await post('/v1.0/me/mailFolders', {displayName: 'Projects'});
  expect('mailFolder-create', r, 201, d => d.displayName === 'Projects' && d.id);
  const projects = r.json.id;
  r = await post('/v1.0/me/mailFolders', {displayName: 'projects'});
  expect('mailFolder-duplicate-name-409', r, 409, d => d.error.code === 'ErrorFolderExists');
  r = await post('/v1.0/me/mailFolders/' + enc(projects) + '/childFolders', {displayName: 'Alpha'});
  expect('childFolder-create', r, 201, d => d.parentFolderId === projects);
  const alpha = r.json.id;
  r = await get('/v1.0/me/mailFolders/' + enc(projects) + '/childFolders');
  expect('childFolders-list', r, 200, d => d.value.length === 1 && d.value[0].id === alpha);
  r = await get('/v1.0/me/mailFolders/' + enc(projects) + '/childFolders/' + enc(alpha) + '/messages');
  expect('nested-childFolders-path', r, 200, d => d.value.length === 0);
  r = await get('/v1.0/me/mailFolders/inbox/childFolders/' + enc(alpha));
  expect('nested-childFolders-path-wrong-parent-404', r, 404);
  r = await get('/v1.0/me/mailFolders/' + enc(projects));
  expect('mailFolder-childFolderCount', r, 200, d => d.childFolderCount === 1);
  r = await post('/v1.0/me/mailFolders', {displayName: 'X', colour: 'red'});
  expect('mailFolder-undeclared-property', r, 400, d => d.error.code === 'RequestBodyRead' && /'colour' does not exist on type 'microsoft.graph.mailFolder'/.test(d.error.message));
  r = await post('/v1.0/me/mailFolders', {displayName: 'Beta'});
  r = await patch('/v1.0/me/mailFolders/' + enc(r.json.id), {displayName: 'PROJECTS'});
  expect('mailFolder-rename-to-a-sibling-name-409', r, 409);
  r = await patch('/v1.0/me/mailFolders/' + enc(projects), {displayName: 'Projects', isHidden: false});
  expect('mailFolder-update', r, 200, d => d.displayName === 'Projects');
  r = await post('/v1.0/me/mailFolders/' + enc(alpha) + '/move', {destinationId: 'inbox'});
  expect('mailFolder-move', r, 201, d => d.parentFolderId === inbox);
  r = await post('/v1.0/me/mailFolders/' + enc(alpha) + '/move', {destinationId: alpha});
  expect('mailFolder-move-into-itself-refused', r, 400);
  r = await del('/v1.0/me/mailFolders/inbox');
  expect('distinguished-folder-not-deleted', r, 403);
  r = await get(fdelta);
  expect('mailFolders-delta-new-folders-only', r, 200, d => d.value.length === 3 && d.value.some(f => f.displayName === 'Projects') && d.value.some(f => f.displayName === 'Alpha' && f.parentFolderId === inbox));

  // ================================================================ messages
  r = await post('/v1.0/me/messages', {subject: 'JSON draft', importance: 'Low', body: {contentType: 'HTML', content: 'They were <b>awesome</b>!'},
                                      toRecipients: [{emailAddress: {address: 'x@example.org'}}]});
  expect('message-create-json-is-draft', r, 201, d => d.isDraft === true && d.parentFolderId === drafts && d.importance === 'low' && d.body.contentType === 'html' &&
    d.bodyPreview === 'They were awesome !' && /^W\/"/.test(d['@odata.etag']) && d.changeKey);
  const jm = r.json;
  r = await request('POST', '/v1.0/me/messages', {body: JSON.stringify({subject: 'x'}), headers: {'Content-Type': 'application/x-www-form-urlencoded'}});
  expect('json-body-needs-content-type-json', r, 400, d => /Unable to read JSON request payload/.test(d.error.message));
  r = await request('POST', '/v1.0/me/contacts', {body: '{"givenName": ', headers: {'Content-Type': 'application/json'}});
  expect('malformed-json-400', r, 400, d => d.error.code === 'BadRequest');
  r = await post('/v1.0/me/messages', {subject: 'x', colour: 'red'});
  expect('message-undeclared-property-RequestBodyRead', r, 400, d => d.error.code === 'RequestBodyRead' && d.error.message.startsWith("The property 'colour' does not exist on type 'microsoft.graph.message'."));
  r = await post('/v1.0/me/messages', {toRecipients: [{emailAddress: {adress: 'typo@example.org'}}]});
  expect('message-nested-undeclared-names-its-type', r, 400, d => /'adress' does not exist on type 'microsoft.graph.emailAddress'/.test(d.error.message));
  r = await post('/v1.0/me/messages', {isRead: 'yes'});
  expect('message-wrong-type', r, 400, d => /Cannot convert the literal 'yes' to the expected type 'Edm.Boolean'/.test(d.error.message));
  r = await post('/v1.0/me/messages', {importance: 'urgent'});
  expect('message-enum-outside-members', r, 400, d => /microsoft.graph.importance/.test(d.error.message));
  const mimeText = mime('=?utf-8?B?' + Buffer.from('Grüße aus Köln').toString('base64') + '?=');
  r = await request('POST', '/v1.0/me/mailFolders/' + enc(projects) + '/messages', {body: mimeText.toString('base64'), headers: {'Content-Type': 'text/plain'}});
  expect('message-create-mime-stays-a-draft', r, 201, d => d.isDraft === true && d.subject === 'Grüße aus Köln' && d.from.emailAddress.address === 'bob@example.org' &&
    d.toRecipients.length === 2 && d.toRecipients[1].emailAddress.address === 'carl@example.org' && d.parentFolderId === projects && d.sentDateTime === '2026-11-03T10:00:00Z');
  const mm = r.json;
  r = await request('POST', '/v1.0/me/messages', {body: 'not base64 !!', headers: {'Content-Type': 'text/plain'}});
  expect('message-mime-bad-base64', r, 400, d => d.error.code === 'ErrorMimeContentInvalidBase64String' && d.error.message === 'Invalid base64 string for MIME content.');
  r = await get('/v1.0/me/messages/' + enc(mm.id) + '/$value');
  expect('message-$value-is-the-uploaded-mime', r, 200, () => r.buf.equals(mimeText));
  r = await get('/v1.0/me/messages/' + enc(jm.id) + '/$value');
  expect('message-$value-of-json-message', r, 200, () => /^Subject: JSON draft\r$/m.test(r.text) && /Content-Type: text\/html/.test(r.text) && /To: <x@example.org>/.test(r.text));
  const delivered = (await request('POST', '/__deliver', {token: null, json: {folder: 'inbox', mime: mime('Delivered one').toString('base64'), received: '2026-11-03T10:00:05Z'}})).json;
  r = await get('/v1.0/me/messages/' + enc(delivered.id));
  expect('delivered-message-is-not-a-draft', r, 200, d => d.isDraft === false && d.isRead === false && d.parentFolderId === inbox && d.receivedDateTime === '2026-11-03T10:00:05Z');
  r = await post('/v1.0/me/mailFolders/inbox/messages', {subject: 'Imported', singleValueExtendedProperties: [{id: 'Integer 0x0E07', value: '1'}]});
  expect('message-flags-extended-property-not-a-draft', r, 201, d => d.isDraft === false && d.isRead === true && d.parentFolderId === inbox);
  r = await post('/v1.0/me/mailFolders/inbox/messages', {subject: 'Imported with times', singleValueExtendedProperties: [{id: 'Integer 0x0E07', value: '0'},
    {id: 'SystemTime 0x0E06', value: '2025-05-01T08:00:00Z'}, {id: 'SystemTime 0x0039', value: '2025-05-01T07:59:00Z'}]});
  expect('message-delivery-and-submit-time-properties', r, 201, d => d.isDraft === false && d.isRead === false && d.receivedDateTime === '2025-05-01T08:00:00Z' && d.sentDateTime === '2025-05-01T07:59:00Z');
  // OData $select and $expand are independent: an expanded navigation property comes with a $select that does not name it
  const imported = r.json;
  await patch('/v1.0/me/messages/' + enc(imported.id), {singleValueExtendedProperties: [{id: 'String {8f6a3b5e-7d1c-4e0a-9b2f-6c4d1e0a7b3c} Name K', value: 'k1'}]});
  r = await get('/v1.0/me/messages?$select=id,parentFolderId&$filter=' + encodeURIComponent("singleValueExtendedProperties/Any(ep: ep/id eq 'String {8f6a3b5e-7d1c-4e0a-9b2f-6c4d1e0a7b3c} Name K' and ep/value eq 'k1')") +
                  '&$expand=' + encodeURIComponent("singleValueExtendedProperties($filter=id eq 'String {8f6a3b5e-7d1c-4e0a-9b2f-6c4d1e0a7b3c} Name K')"));
  expect('select-keeps-expanded-extended-property', r, 200, d => d.value.length === 1 && d.value[0].id === imported.id && d.value[0].parentFolderId === inbox &&
    !('subject' in d.value[0]) && d.value[0].singleValueExtendedProperties[0].value === 'k1');
  r = await patch('/v1.0/me/messages/' + enc(delivered.id), {subject: 'Renamed'});
  expect('subject-of-a-sent-message-not-updatable', r, 400);
  r = await patch('/v1.0/me/messages/' + enc(delivered.id), {receivedDateTime: '2020-01-01T00:00:00Z'});
  expect('receivedDateTime-not-updatable', r, 400);
  r = await patch('/v1.0/me/messages/' + enc(delivered.id), {isRead: true, categories: ['Red category'], flag: {flagStatus: 'flagged'}});
  expect('message-update-isRead-categories-flag', r, 200, d => d.isRead === true && d.categories[0] === 'Red category' && d.flag.flagStatus === 'flagged');
  const etagNow = r.json['@odata.etag'];
  r = await patch('/v1.0/me/messages/' + enc(delivered.id), {isRead: false}, {headers: {'If-Match': jm['@odata.etag']}});
  expect('if-match-stale-412', r, 412, d => d.error.code === 'ErrorIrresolvableConflict');
  r = await patch('/v1.0/me/messages/' + enc(delivered.id), {isRead: false}, {headers: {'If-Match': etagNow}});
  expect('if-match-current-200', r, 200, d => d.isRead === false && d['@odata.etag'] !== etagNow);
  r = await get('/v1.0/me/messages/' + enc(jm.id) + '?$select=body', {headers: {Prefer: 'outlook.body-content-type="text"'}});
  expect('prefer-body-content-type-text', r, 200, d => d.body.contentType === 'text' && d.body.content === 'They were awesome!' && /body-content-type="text"/.test(r.headers['preference-applied']));
  r = await get('/v1.0/me/messages/' + enc(delivered.id) + '?$select=body', {headers: {Prefer: 'outlook.body-content-type="html"'}});
  expect('prefer-body-content-type-html', r, 200, d => d.body.contentType === 'html' && /<body>[\s\S]*Hello there\./.test(d.body.content));
  r = await get('/v1.0/me/messages/' + enc(delivered.id) + '?$select=body,uniqueBody');
  expect('get-message-body-html-by-default', r, 200, d => d.body.contentType === 'html' && d.uniqueBody.contentType === 'html' && !r.headers['preference-applied']);
  r = await get('/v1.0/me/messages/' + enc(delivered.id) + '?$select=subject,isRead');
  expect('select-only-named-properties', r, 200, d => d.subject === 'Delivered one' && d.isRead === false && d.id && d['@odata.etag'] && d.body === undefined && d.from === undefined);

  // extended properties: create, $filter lookup, $expand
  const EP = 'String {66f5a359-4659-4830-9070-00047ec6ac6e} Name accord-key';
  r = await post('/v1.0/me/mailFolders/' + enc(alpha) + '/messages', {subject: 'Keyed', singleValueExtendedProperties: [{id: EP, value: 'K-123'}]});
  expect('message-with-extended-property', r, 201);
  const keyed = r.json;
  r = await get('/v1.0/me/messages?$filter=' + enc("singleValueExtendedProperties/Any(ep: ep/id eq '" + EP + "' and ep/value eq 'k-123')"));
  expect('extended-property-filter-finds-it-case-insensitively', r, 200, d => d.value.length === 1 && d.value[0].id === keyed.id && d.value[0].singleValueExtendedProperties === undefined);
  r = await get('/v1.0/me/mailFolders/' + enc(alpha) + '/messages?$filter=' + enc("singleValueExtendedProperties/Any(ep: ep/id eq '" + EP + "' and ep/value eq 'K-999')"));
  expect('extended-property-filter-other-value-empty', r, 200, d => d.value.length === 0);
  r = await get('/v1.0/me/messages?$filter=' + enc("singleValueExtendedProperties/Any(ep: ep/id eq 'String {66f5a359-4659-4830-9070-00047ec6ac6e} Name Accord-Key' and ep/value eq 'K-123')"));
  expect('extended-property-name-is-case-sensitive', r, 200, d => d.value.length === 0);
  r = await get('/v1.0/me/messages/' + enc(keyed.id) + '?$expand=' + enc("singleValueExtendedProperties($filter=id eq '" + EP + "')"));
  expect('extended-property-expand', r, 200, d => d.singleValueExtendedProperties.length === 1 && d.singleValueExtendedProperties[0].value === 'K-123');
  r = await get('/v1.0/me/messages?$filter=' + enc("subject eq 'Keyed'"));
  expect('unmodelled-filter-501', r, 501);
  r = await post('/v1.0/me/messages', {singleValueExtendedProperties: [{id: 'Text 0x1', value: 'x'}]});
  expect('extended-property-bad-id-format', r, 400);

  // paging
  for (let i = 0; i < 4; i++) await request('POST', '/__deliver', {token: null, json: {folder: 'inbox', mime: mime('Page ' + i).toString('base64')}});
  r = await get('/v1.0/me/mailFolders/inbox/messages?$top=2&$select=subject');
  expect('list-paging-nextLink', r, 200, d => d.value.length === 2 && d['@odata.nextLink']);
  let seen = r.json.value.map(m => m.id);
  for (let next = r.json['@odata.nextLink']; next;) { const x = await get(next); seen = seen.concat(x.json.value.map(m => m.id)); next = x.json['@odata.nextLink']; }
  const inboxCount = (await get('/v1.0/me/mailFolders/inbox')).json.totalItemCount;
  r = await get('/v1.0/me/mailFolders/inbox/messages?$orderby=receivedDateTime&$count=true&$top=50');
  expect('list-orderby-receivedDateTime-and-count', r, 200, d => d['@odata.count'] === inboxCount && d.value.every((m, i) => i === 0 || d.value[i - 1].receivedDateTime <= m.receivedDateTime));
  r = await get('/v1.0/me/contacts?$orderby=' + enc('birthday desc'));
  expect('unmodelled-orderby-501', r, 501);
  truth('list-paging-reaches-every-message-once', seen.length === inboxCount && new Set(seen).size === seen.length, seen.length + ' vs ' + inboxCount);

  // ================================================================ message delta
  const P2 = {Prefer: 'odata.maxpagesize=2'};
  let first = await get('/v1.0/me/mailFolders/inbox/messages/delta?$select=subject,isRead', {headers: P2});
  expect('delta-first-page-nextLink', first, 200, d => d.value.length === 2 && d['@odata.nextLink'] && !d['@odata.deltaLink'] && /mailFolders\('[^']+'\)\/messages\/delta\?\$skiptoken=/.test(d['@odata.nextLink']));
  truth('delta-preference-applied', /odata\.maxpagesize=2/.test(first.headers['preference-applied'] || ''), JSON.stringify(first.headers));
  let rd = await round(first.json['@odata.nextLink'], P2);
  const all = first.json.value.concat(rd.items);
  truth('delta-round-gives-every-message-once', all.length === inboxCount && new Set(all.map(m => m.id)).size === inboxCount && rd.deltaLink, all.length + ' ' + inboxCount);
  truth('delta-select-kept-in-token', rd.items.every(m => m.subject !== undefined && m.body === undefined));
  let dl = rd.deltaLink;
  r = await get(dl);
  expect('delta-no-change-empty', r, 200, d => d.value.length === 0 && d['@odata.deltaLink']);
  dl = r.json['@odata.deltaLink'];
  await patch('/v1.0/me/messages/' + enc(delivered.id), {isRead: true});
  const gone = (await request('POST', '/__deliver', {token: null, json: {folder: 'inbox', mime: mime('Short-lived').toString('base64')}})).json;
  rd = await round(dl);
  const dl2 = rd.deltaLink;
  truth('delta-change-and-new', rd.items.length === 2 && rd.items.some(m => m.id === delivered.id && m.isRead === true) && rd.items.some(m => m.id === gone.id), JSON.stringify(rd.items));
  await del('/v1.0/me/messages/' + enc(gone.id));
  rd = await round(dl2);
  truth('delta-deleted-is-removed', rd.items.length === 1 && rd.items[0].id === gone.id && rd.items[0]['@removed'].reason === 'deleted', JSON.stringify(rd.items));
  r = await get('/v1.0/me/mailFolders/recoverableitemsdeletions/messages?$select=subject');
  expect('deleted-message-in-recoverableitemsdeletions', r, 200, d => d.value.length === 1 && d.value[0].subject === 'Short-lived');
  const inBin = r.json.value[0].id;
  r = await get('/v1.0/me/messages?$top=100&$select=subject');
  expect('me-messages-leaves-out-recoverable-items', r, 200, d => !d.value.some(m => m.subject === 'Short-lived'));
  r = await post('/v1.0/me/messages/' + enc(inBin) + '/permanentDelete', {});
  expect('message-permanentDelete', r, 204);
  r = await get('/v1.0/me/mailFolders/recoverableitemsdeletions/messages');
  expect('permanently-deleted-is-gone', r, 200, d => d.value.length === 0);
  let dl3 = rd.deltaLink;
  // changeType
  const ct0 = await round('/v1.0/me/mailFolders/inbox/messages/delta?changeType=created');
  await request('POST', '/__deliver', {token: null, json: {folder: 'inbox', mime: mime('Created later').toString('base64')}});
  await patch('/v1.0/me/messages/' + enc(delivered.id), {isRead: false});
  rd = await round(ct0.deltaLink);
  truth('delta-changeType-created-only', rd.items.length === 1 && rd.items[0].subject === 'Created later', JSON.stringify(rd.items));
  // replays
  rd = await round(dl3);
  dl3 = rd.deltaLink;
  await ctl({delta_replay: true});
  rd = await round(dl3);
  await ctl({delta_replay: false});
  truth('delta-replay-switch-sends-a-change-again', rd.items.length >= 1, JSON.stringify(rd.items));
  await ctl({delta_duplicate: true});
  rd = await round('/v1.0/me/mailFolders/inbox/messages/delta', P2);
  await ctl({delta_duplicate: false});
  truth('delta-duplicate-switch-sends-an-item-twice', rd.items.length === new Set(rd.items.map(m => m.id)).size + 1, rd.items.length);
  // expired tokens
  await ctl({expire_delta_tokens: true});
  r = await get(rd.deltaLink);
  expect('delta-expired-token-410-syncStateNotFound', r, 410, d => d.error.code === 'syncStateNotFound' && /messages\/delta/.test(r.headers.location));
  r = await get(r.headers.location);
  expect('delta-start-over-from-location', r, 200, d => d.value.length > 0);
  r = await get('/v1.0/me/mailFolders/inbox/messages/delta?$filter=' + enc("subject eq 'x'"));
  expect('delta-filter-only-receivedDateTime', r, 400);
  r = await get('/v1.0/me/mailFolders/inbox/messages/delta?$filter=' + enc('receivedDateTime ge 2026-11-03T10:00:01Z'));
  expect('delta-filter-receivedDateTime', r, 200, d => d.value.length >= 1 && d.value.every(m => m.receivedDateTime >= '2026-11-03T10:00:01Z'));

  // ================================================================ immutable ids and move
  r = await get('/v1.0/me/messages/' + enc(keyed.id), {headers: {Prefer: 'IdType="ImmutableId"'}});
  const immId = r.json.id;
  truth('immutable-id-differs-from-regular', immId && immId !== keyed.id && /IdType="ImmutableId"/.test(r.headers['preference-applied'] || ''));
  r = await post('/v1.0/me/messages/' + enc(keyed.id) + '/move', {destinationId: 'inbox'});
  expect('message-move', r, 201, d => d.parentFolderId === inbox && d.id !== keyed.id);
  const movedReg = r.json.id;
  r = await get('/v1.0/me/messages/' + enc(keyed.id));
  expect('regular-id-from-before-the-move-404', r, 404, d => d.error.code === 'ErrorItemNotFound');
  r = await get('/v1.0/me/messages/' + enc(immId), {headers: {Prefer: 'IdType="ImmutableId"'}});
  expect('immutable-id-survives-the-move', r, 200, d => d.id === immId && d.parentFolderId === inbox);
  r = await get('/v1.0/me/messages/' + enc(immId));
  expect('immutable-id-found-without-prefer', r, 200, d => d.id === movedReg);
  r = await post('/v1.0/me/messages/' + enc(movedReg) + '/move', {destinationId: 'inbox', extra: 1});
  expect('move-undeclared-parameter', r, 400);
  rd = await round('/v1.0/me/mailFolders/inbox/messages/delta', {Prefer: 'IdType="ImmutableId"'});
  truth('delta-with-immutable-ids', rd.items.some(m => m.id === immId), JSON.stringify(rd.items.map(m => m.id)));

  // ================================================================ attachments and upload sessions
  const small = crypto.randomBytes(1000);
  r = await post('/v1.0/me/messages/' + enc(jm.id) + '/attachments', {'@odata.type': '#microsoft.graph.fileAttachment', name: 'small.bin', contentBytes: small.toString('base64')});
  expect('attachment-small-post', r, 201, d => d.size === 1000 && d.name === 'small.bin');
  r = await post('/v1.0/me/messages/' + enc(jm.id) + '/attachments', {name: 'no-type.bin', contentBytes: 'AA=='});
  expect('attachment-needs-odata-type', r, 400);
  r = await post('/v1.0/me/messages/' + enc(jm.id) + '/attachments', {'@odata.type': '#microsoft.graph.fileAttachment', name: 'big.bin', contentBytes: crypto.randomBytes(3200000).toString('base64')});
  expect('attachment-over-3MB-needs-upload-session', r, 413);
  const session = size => post('/v1.0/me/messages/' + enc(jm.id) + '/attachments/createUploadSession', {AttachmentItem: {attachmentType: 'file', name: 'big.bin', size}});
  r = await session(1000);
  expect('upload-session-under-3MB-refused', r, 400, d => d.error.code === 'ErrorAttachmentSizeShouldNotBeLessThanMinimumSize');
  r = await post('/v1.0/me/messages/' + enc(jm.id) + '/attachments/createUploadSession', {AttachmentItem: {attachmentType: 'file', name: 'x', size: 4000000, colour: 1}});
  expect('upload-session-undeclared-property', r, 400, d => /microsoft.graph.attachmentItem/.test(d.error.message));
  const big = crypto.randomBytes(3483322);
  r = await session(big.length);
  expect('upload-session-created', r, 201, d => d.uploadUrl && d.expirationDateTime && d.nextExpectedRanges[0] === '0-');
  const up = r.json.uploadUrl;
  const put = (from, to, headers) => request('PUT', up, {token: null, body: big.subarray(from, to + 1), headers: Object.assign({'Content-Type': 'application/octet-stream', 'Content-Range': 'bytes ' + from + '-' + to + '/' + big.length}, headers || {})});
  r = await put(0, 2097151, {Authorization: 'Bearer at0'});
  expect('upload-put-with-authorization-refused', r, 400);
  r = await put(0, 2097151);
  expect('upload-first-range', r, 200, d => d.nextExpectedRanges[0] === '2097152');
  r = await put(3000000, big.length - 1);
  expect('upload-out-of-order-416', r, 416, d => d.nextExpectedRanges[0] === '2097152-');
  r = await put(2097152, big.length - 1);
  expect('upload-last-range-201-location', r, 201, () => /\/Attachments\('[^']+'\)$/.test(r.headers.location || ''));
  const attId = /Attachments\('([^']+)'\)/.exec(r.headers.location || '')[1];
  r = await get('/v1.0/me/messages/' + enc(jm.id) + '/attachments/' + enc(attId) + '/$value');
  expect('uploaded-attachment-bytes', r, 200, () => r.buf.equals(big));
  r = await get('/v1.0/me/messages/' + enc(jm.id) + '/attachments?$select=name,size');
  expect('attachments-list', r, 200, d => d.value.length === 2 && d.value.some(a => a.size === big.length));
  r = await get('/v1.0/me/messages/' + enc(jm.id) + '?$select=hasAttachments');
  expect('message-hasAttachments', r, 200, d => d.hasAttachments === true);
  r = await get('/v1.0/me/messages/' + enc(jm.id) + '/$value');
  expect('message-$value-carries-attachments', r, 200, () => /multipart\/mixed/.test(r.text) && /filename="big.bin"/.test(r.text));
  r = await request('PUT', up.replace(/authtoken=[^&]+/, 'authtoken=wrong'), {token: null, body: Buffer.alloc(1), headers: {'Content-Range': 'bytes 0-0/1'}});
  expect('upload-url-wrong-token-404', r, 404);

  // ================================================================ contacts
  r = await post('/v1.0/me/contacts', {givenName: 'Ada', surname: 'Lovelace', emailAddresses: [{address: 'ada@example.org', name: 'Ada'}], businessPhones: ['+44 20 1234']});
  expect('contact-create', r, 201, d => d.displayName === 'Ada Lovelace' && d.emailAddresses[0].address === 'ada@example.org' && d.parentFolderId);
  const ada = r.json;
  r = await post('/v1.0/me/contacts', {givenName: 'X', nickname: 'x'});
  expect('contact-undeclared-property', r, 400, d => /'nickname' does not exist on type 'microsoft.graph.contact'/.test(d.error.message));
  r = await post('/v1.0/me/contacts', {homeAddress: {street: 'a', country_or_region: 'x'}});
  expect('contact-address-undeclared-names-physicalAddress', r, 400, d => /microsoft.graph.physicalAddress/.test(d.error.message));
  r = await post('/v1.0/me/contactFolders', {displayName: 'Clients'});
  expect('contactFolder-create', r, 201);
  const clients = r.json.id;
  r = await get('/v1.0/me/contactFolders');
  expect('contactFolders-list', r, 200, d => d.value.length === 1 && d.value[0].displayName === 'Clients');
  const IMM = {Prefer: 'IdType="ImmutableId"'};
  const cd0 = await round('/v1.0/me/contactFolders/' + enc(clients) + '/contacts/delta');
  truth('contacts-delta-initial-empty', cd0.items.length === 0 && cd0.deltaLink);
  r = await post('/v1.0/me/contactFolders/' + enc(clients) + '/contacts', {givenName: 'Bob', singleValueExtendedProperties: [{id: EP, value: 'C-1'}]});
  expect('contact-create-in-folder', r, 201, d => d.parentFolderId === clients);
  const bob = r.json;
  r = await get('/v1.0/me/contactFolders/' + enc(clients) + '/contacts?$filter=' + enc("singleValueExtendedProperties/Any(ep: ep/id eq '" + EP + "' and ep/value eq 'C-1')"));
  expect('contact-extended-property-lookup', r, 200, d => d.value.length === 1 && d.value[0].id === bob.id);
  let cd = await round(cd0.deltaLink);
  truth('contacts-delta-created', cd.items.length === 1 && cd.items[0].givenName === 'Bob', JSON.stringify(cd.items));
  r = await patch('/v1.0/me/contacts/' + enc(bob.id), {surname: 'Builder'}, {headers: {'If-Match': ada['@odata.etag']}});
  expect('contact-if-match-412', r, 412);
  r = await patch('/v1.0/me/contacts/' + enc(bob.id), {surname: 'Builder'}, {headers: {'If-Match': bob['@odata.etag']}});
  expect('contact-update', r, 200, d => d.displayName === 'Bob Builder');
  cd = await round(cd.deltaLink);
  truth('contacts-delta-updated', cd.items.length === 1 && cd.items[0].surname === 'Builder');
  await del('/v1.0/me/contacts/' + enc(bob.id));
  cd = await round(cd.deltaLink);
  truth('contacts-delta-removed', cd.items.length === 1 && cd.items[0]['@removed'] && cd.items[0].id === bob.id, JSON.stringify(cd.items));
  r = await post('/v1.0/me/contacts', {givenName: 'Cleo'}, {headers: IMM});
  const cleo = r.json;
  r = await patch('/v1.0/me/contacts/' + enc(cleo.id), {parentFolderId: clients}, {headers: IMM});
  expect('contact-move-by-parentFolderId-keeps-immutable-id', r, 200, d => d.parentFolderId === clients && d.id === cleo.id);
  r = await get('/v1.0/me/contactFolders/delta');
  expect('contactFolders-delta', r, 200, d => d.value.some(f => f.displayName === 'Clients'));

  // ================================================================ calendar
  r = await get('/v1.0/me/calendars');
  expect('calendars-list-default', r, 200, d => d.value.length === 1 && d.value[0].isDefaultCalendar === true);
  r = await post('/v1.0/me/events', {subject: 'Lunch', start: {dateTime: '2026-01-14T12:00:00', timeZone: 'Pacific Standard Time'},
                                    end: {dateTime: '2026-01-14T13:00:00', timeZone: 'Pacific Standard Time'}, sensitivity: 'Private', categories: ['Blue category'],
                                    transactionId: 'tx-1'});
  expect('event-create-windows-zone', r, 201, d => d.type === 'singleInstance' && d.start.dateTime === '2026-01-14T20:00:00.0000000' && d.start.timeZone === 'UTC' &&
    d.originalStartTimeZone === 'Pacific Standard Time' && d.sensitivity === 'private' && d.transactionId === 'tx-1' && d.iCalUId);
  const lunch = r.json;
  r = await post('/v1.0/me/events', {subject: 'Lunch again', start: {dateTime: '2026-01-14T12:00:00', timeZone: 'Pacific Standard Time'},
                                    end: {dateTime: '2026-01-14T13:00:00', timeZone: 'Pacific Standard Time'}, transactionId: 'tx-1'});
  expect('event-transactionId-resend-gives-the-same-event', r, 201, d => d.id === lunch.id && d.subject === 'Lunch');
  r = await get('/v1.0/me/events');
  expect('event-transactionId-made-one-event', r, 200, d => d.value.length === 1);
  r = await get('/v1.0/me/events/' + enc(lunch.id), {headers: {Prefer: 'outlook.timezone="Europe/Berlin"'}});
  expect('event-prefer-outlook-timezone', r, 200, d => d.start.dateTime === '2026-01-14T21:00:00.0000000' && d.start.timeZone === 'Europe/Berlin' &&
    /outlook\.timezone="Europe\/Berlin"/.test(r.headers['preference-applied']) && d.body.contentType === 'html');
  r = await post('/v1.0/me/events', {subject: 'x', start: {dateTime: '2026-01-14T12:00:00'}, end: {dateTime: '2026-01-14T13:00:00', timeZone: 'UTC'}});
  expect('event-time-needs-a-time-zone', r, 400, d => d.error.code === 'TimeZoneNotSupportedException');
  r = await post('/v1.0/me/events', {subject: 'x', categories: 'Red'});
  expect('collection-type-named-in-error', r, 400, d => /'Collection\(Edm.String\)'/.test(d.error.message));
  r = await post('/v1.0/me/events', {subject: 'x', start: {dateTime: '2026-01-14T12:00:00', timeZone: 'Mars/Olympus'}, end: {dateTime: '2026-01-14T13:00:00', timeZone: 'UTC'}});
  expect('event-unknown-time-zone', r, 400);
  r = await post('/v1.0/me/events', {subject: 'x', start: {dateTime: '2026-01-14T12:00:00', timeZone: 'UTC'}, end: {dateTime: '2026-01-14T13:00:00', timeZone: 'UTC'}, colour: 'x'});
  expect('event-undeclared-property', r, 400, d => /microsoft.graph.event/.test(d.error.message));
  r = await post('/v1.0/me/events', {subject: 'Holiday', isAllDay: true, start: {dateTime: '2026-02-02T00:00:00', timeZone: 'UTC'}, end: {dateTime: '2026-02-03T00:00:00', timeZone: 'UTC'}});
  expect('all-day-event-at-midnight', r, 201, d => d.isAllDay === true);
  r = await post('/v1.0/me/events', {subject: 'Bad holiday', isAllDay: true, start: {dateTime: '2026-02-02T09:00:00', timeZone: 'UTC'}, end: {dateTime: '2026-02-03T00:00:00', timeZone: 'UTC'}});
  expect('all-day-event-not-at-midnight-refused', r, 400);
  // a weekly series: Mondays 09:00 Berlin from 2026-01-05
  r = await post('/v1.0/me/events', {subject: 'Standup', start: {dateTime: '2026-01-05T09:00:00', timeZone: 'W. Europe Standard Time'},
    end: {dateTime: '2026-01-05T09:15:00', timeZone: 'W. Europe Standard Time'},
    recurrence: {pattern: {type: 'weekly', interval: 1, daysOfWeek: ['monday'], firstDayOfWeek: 'sunday'}, range: {type: 'noEnd', startDate: '2026-01-05', recurrenceTimeZone: 'W. Europe Standard Time'}}});
  expect('event-series-master', r, 201, d => d.type === 'seriesMaster' && d.recurrence.pattern.daysOfWeek[0] === 'monday' && d.cancelledOccurrences.length === 0);
  const standup = r.json;
  const JAN = '?startDateTime=2026-01-01T00:00:00Z&endDateTime=2026-02-01T00:00:00Z';
  r = await get('/v1.0/me/calendarView' + JAN + '&$top=50');
  const occ = r.json ? r.json.value.filter(e => e.seriesMasterId === standup.id) : [];
  expect('calendarView-occurrences-no-master', r, 200, d => occ.length === 4 && occ.every(e => e.type === 'occurrence' && e.start.dateTime.endsWith('T08:00:00.0000000')) &&
    !d.value.some(e => e.type === 'seriesMaster') && d.value.some(e => e.id === lunch.id));
  r = await get('/v1.0/me/calendarView?startDateTime=2026-03-01T00:00:00&endDateTime=2026-03-02T00:00:00');
  expect('calendarView-outside-window-empty', r, 200, d => d.value.every(e => e.seriesMasterId === standup.id) && d.value.length === 0);
  r = await get('/v1.0/me/calendarView');
  expect('calendarView-needs-a-window', r, 400);
  r = await get('/v1.0/me/events/' + enc(standup.id) + '/instances' + JAN);
  expect('series-instances', r, 200, d => d.value.length === 4 && d.value[0].originalStart === '2026-01-05T08:00:00Z');
  const occ2 = occ[1], occ3 = occ[2];
  // event-update.md: an occurrence moved to or past a neighbour's day answers 400 ErrorOccurrenceCrossingBoundary
  r = await patch('/v1.0/me/events/' + enc(occ2.id), {start: {dateTime: '2026-01-19T07:00:00', timeZone: 'UTC'}, end: {dateTime: '2026-01-19T07:15:00', timeZone: 'UTC'}});
  expect('occurrence-onto-next-day-refused', r, 400, d => d.error.code === 'ErrorOccurrenceCrossingBoundary');
  r = await patch('/v1.0/me/events/' + enc(occ2.id), {start: {dateTime: '2026-01-05T12:00:00', timeZone: 'UTC'}, end: {dateTime: '2026-01-05T12:15:00', timeZone: 'UTC'}});
  expect('occurrence-onto-previous-day-refused', r, 400, d => d.error.code === 'ErrorOccurrenceCrossingBoundary');
  r = await patch('/v1.0/me/events/' + enc(occ2.id), {subject: 'Standup (moved)', start: {dateTime: '2026-01-13T10:00:00', timeZone: 'UTC'}, end: {dateTime: '2026-01-13T10:15:00', timeZone: 'UTC'}});
  expect('occurrence-update-makes-an-exception', r, 200, d => d.type === 'exception' && d.subject === 'Standup (moved)' && d.start.dateTime === '2026-01-13T10:00:00.0000000' && d.seriesMasterId === standup.id);
  r = await del('/v1.0/me/events/' + enc(occ3.id));
  expect('occurrence-delete', r, 204);
  r = await get('/v1.0/me/events/' + enc(standup.id) + '?$expand=exceptionOccurrences');
  expect('master-cancelledOccurrences-and-exceptions', r, 200, d => d.cancelledOccurrences.length === 1 && d.cancelledOccurrences[0] === 'OID.' + standup.id + '.2026-01-19' &&
    d.exceptionOccurrences.length === 1 && d.exceptionOccurrences[0].subject === 'Standup (moved)');
  r = await get('/v1.0/me/calendarView' + JAN + '&$top=50');
  expect('calendarView-exception-and-cancellation', r, 200, d => d.value.filter(e => e.seriesMasterId === standup.id).length === 3 && d.value.some(e => e.type === 'exception'));
  r = await get('/v1.0/me/events/' + enc(occ3.id));
  expect('cancelled-occurrence-404', r, 404);
  r = await post('/v1.0/me/events', {subject: 'bad', start: {dateTime: '2026-01-05T09:00:00', timeZone: 'UTC'}, end: {dateTime: '2026-01-05T10:00:00', timeZone: 'UTC'},
    recurrence: {pattern: {type: 'weekly', interval: 1}, range: {type: 'noEnd', startDate: '2026-01-05'}}});
  expect('recurrence-weekly-needs-daysOfWeek', r, 400);
  r = await post('/v1.0/me/events', {subject: 'bad', start: {dateTime: '2026-01-05T09:00:00', timeZone: 'UTC'}, end: {dateTime: '2026-01-05T10:00:00', timeZone: 'UTC'},
    recurrence: {pattern: {type: 'daily', interval: 1}, range: {type: 'noEnd', startDate: '2026-01-06'}}});
  expect('recurrence-startDate-must-be-the-start', r, 400);
  r = await post('/v1.0/me/events', {subject: 'Board', start: {dateTime: '2026-01-13T15:00:00', timeZone: 'UTC'}, end: {dateTime: '2026-01-13T16:00:00', timeZone: 'UTC'},
    recurrence: {pattern: {type: 'relativeMonthly', interval: 1, daysOfWeek: ['tuesday'], index: 'second'}, range: {type: 'numbered', startDate: '2026-01-13', numberOfOccurrences: 3}}});
  expect('relative-monthly-numbered-series', r, 201);
  const board = r.json;
  r = await get('/v1.0/me/events/' + enc(board.id) + '/instances?startDateTime=2026-01-01T00:00:00Z&endDateTime=2027-01-01T00:00:00Z');
  expect('second-tuesday-three-times', r, 200, d => d.value.map(e => e.start.dateTime.slice(0, 10)).join(',') === '2026-01-13,2026-02-10,2026-03-10');

  // an answer lost after the commit (fake_http.js /__fault): the event exists; the resend with its transactionId finds it
  await request('POST', '/__fault', {token: null, json: {drop_answer_after_commit: 1, method: 'POST', path: '/v1.0/me/events'}});
  const lostBody = {subject: 'Lost answer', start: {dateTime: '2026-01-21T09:00:00', timeZone: 'UTC'}, end: {dateTime: '2026-01-21T10:00:00', timeZone: 'UTC'}, transactionId: 'tx-lost'};
  const lost = await post('/v1.0/me/events', lostBody).then(() => 'answered', e => e.code || 'error');
  truth('fault-answer-lost-after-commit', lost !== 'answered', lost);
  r = await post('/v1.0/me/events', lostBody);
  expect('resend-after-lost-answer-finds-the-event', r, 201, d => d.transactionId === 'tx-lost');
  r = await get('/v1.0/me/events?$top=50');
  expect('lost-answer-made-one-event', r, 200, d => d.value.filter(e => e.subject === 'Lost answer').length === 1);
  await del('/v1.0/me/events/' + enc(r.json.value.find(e => e.subject === 'Lost answer').id));

  // calendarView delta
  const cv = await round('/v1.0/me/calendarView/delta' + JAN, P2);
  truth('calendarView-delta-pages', !cv.error && cv.pages >= 2 && cv.deltaLink && cv.items.length === 5 && !cv.items.some(e => e.type === 'seriesMaster'), JSON.stringify(cv.items.map(e => e.subject)));
  const cvc = await round('/v1.0/me/calendars/' + enc(standup.parentCalendarId || (await get('/v1.0/me/calendar')).json.id) + '/calendarView/delta' + JAN, P2);
  truth('calendar-calendarView-delta', !cvc.error && cvc.items.length === cv.items.length && /calendars\('[^']+'\)\/calendarView\/delta/.test(cvc.deltaLink), JSON.stringify(cvc.res && cvc.res.json).slice(0, 500));
  r = await get('/v1.0/me/calendarView/delta' + JAN + '&$select=subject');
  expect('calendarView-delta-no-select', r, 400);
  r = await get('/v1.0/me/calendarView/delta');
  expect('calendarView-delta-needs-a-window', r, 400);
  await patch('/v1.0/me/events/' + enc(lunch.id), {subject: 'Long lunch'});
  r = await post('/v1.0/me/events', {subject: 'In March', start: {dateTime: '2026-03-03T09:00:00', timeZone: 'UTC'}, end: {dateTime: '2026-03-03T10:00:00', timeZone: 'UTC'}});
  const march = r.json;
  await patch('/v1.0/me/events/' + enc(standup.id), {recurrence: {pattern: {type: 'weekly', interval: 1, daysOfWeek: ['monday']}, range: {type: 'endDate', startDate: '2026-01-05', endDate: '2026-01-12'}}});
  let cvd = await round(cv.deltaLink);
  truth('calendarView-delta-updated-in-window', cvd.items.some(e => e.id === lunch.id && e.subject === 'Long lunch'), JSON.stringify(cvd.items));
  truth('calendarView-delta-out-of-window-event-as-removed', cvd.items.some(e => e.id === march.id && e['@removed']), JSON.stringify(cvd.items));
  // the new recurrence ends on 12 January and drops the exception (13th) and the cancellation (19th): the 26th goes,
  // the 12th comes back as a plain occurrence
  truth('calendarView-delta-series-shortened-removes-occurrences', cvd.items.filter(e => e['@removed'] && e.id !== march.id).length === 1 &&
    cvd.items.some(e => e['@removed'] && e.id === occ[3].id) && cvd.items.some(e => e.id === occ2.id && e.type === 'occurrence'), JSON.stringify(cvd.items));
  await del('/v1.0/me/events/' + enc(lunch.id));
  cvd = await round(cvd.deltaLink);
  truth('calendarView-delta-deleted', cvd.items.length === 1 && cvd.items[0].id === lunch.id && cvd.items[0]['@removed'].reason === 'deleted', JSON.stringify(cvd.items));

  // ================================================================ To Do
  r = await get('/v1.0/me/todo/lists');
  expect('todo-default-list', r, 200, d => d.value.length === 1 && d.value[0].wellknownListName === 'defaultList');
  const ld0 = await round('/v1.0/me/todo/lists/delta');
  r = await post('/v1.0/me/todo/lists', {displayName: 'Errands'});
  expect('todo-list-create', r, 201, d => d.displayName === 'Errands');
  const errands = r.json.id;
  let ld = await round(ld0.deltaLink);
  truth('todo-lists-delta', ld.items.length === 1 && ld.items[0].id === errands);
  const td0 = await round('/v1.0/me/todo/lists/' + enc(errands) + '/tasks/delta');
  r = await post('/v1.0/me/todo/lists/' + enc(errands) + '/tasks', {title: 'Buy milk', importance: 'High', dueDateTime: {dateTime: '2026-01-20T00:00:00', timeZone: 'UTC'},
    checklistItems: [{displayName: 'Oat'}, {displayName: 'Soy', isChecked: true}], linkedResources: [{webUrl: 'https://crm.example/t/1', applicationName: 'Accord', displayName: 'T1', externalId: 'ext-1'}]});
  expect('todo-task-create-inline-children', r, 201, d => d.title === 'Buy milk' && d.importance === 'high' && d.status === 'notStarted' && d.checklistItems.length === 2 &&
    d.checklistItems[1].isChecked === true && d.linkedResources[0].externalId === 'ext-1');
  const milk = r.json;
  r = await post('/v1.0/me/todo/lists/' + enc(errands) + '/tasks', {title: 'x', priority: 1});
  expect('todo-task-undeclared-property', r, 400, d => /microsoft.graph.todoTask/.test(d.error.message));
  r = await get('/v1.0/me/todo/lists/' + enc(errands) + '/tasks/' + enc(milk.id) + '/linkedResources');
  expect('todo-linkedResources-list', r, 200, d => d.value.length === 1 && d.value[0].externalId === 'ext-1');
  let td = await round(td0.deltaLink);
  truth('todo-tasks-delta-created', td.items.length === 1 && td.items[0].title === 'Buy milk');
  r = await get('/v1.0/me/todo/lists/' + enc(errands) + '/tasks/' + enc(milk.id) + '/checklistItems');
  const oat = r.json.value.find(c => c.displayName === 'Oat');
  r = await patch('/v1.0/me/todo/lists/' + enc(errands) + '/tasks/' + enc(milk.id) + '/checklistItems/' + enc(oat.id), {isChecked: true});
  expect('todo-checklistItem-check', r, 200, d => d.isChecked === true && d.checkedDateTime);
  td = await round(td.deltaLink);
  truth('todo-checklist-change-changes-the-task', td.items.length === 1 && td.items[0].id === milk.id);
  r = await patch('/v1.0/me/todo/lists/' + enc(errands) + '/tasks/' + enc(milk.id), {status: 'completed'}, {headers: {'If-Match': milk['@odata.etag']}});
  expect('todo-task-if-match-412', r, 412);
  r = await patch('/v1.0/me/todo/lists/' + enc(errands) + '/tasks/' + enc(milk.id), {status: 'completed'});
  expect('todo-task-complete', r, 200, d => d.status === 'completed' && d.completedDateTime);
  r = await post('/v1.0/me/todo/lists/' + enc(errands) + '/tasks/' + enc(milk.id) + '/linkedResources', {webUrl: 'https://x', applicationName: 'A', externalId: 'ext-2'});
  expect('todo-linkedResource-create', r, 201, d => d.externalId === 'ext-2');
  await del('/v1.0/me/todo/lists/' + enc(errands) + '/tasks/' + enc(milk.id));
  td = await round(td.deltaLink);
  truth('todo-tasks-delta-removed', td.items.length === 1 && td.items[0]['@removed'] && td.items[0].id === milk.id, JSON.stringify(td.items));

  // ================================================================ categories
  r = await post('/v1.0/me/outlook/masterCategories', {displayName: 'Sync with Salesforce', color: 'preset9'});
  expect('category-create', r, 201, d => d.displayName === 'Sync with Salesforce' && d.color === 'preset9' && d.id);
  const cat = r.json;
  r = await post('/v1.0/me/outlook/masterCategories', {displayName: 'sync with salesforce', color: 'preset1'});
  expect('category-duplicate-name-409', r, 409);
  r = await post('/v1.0/me/outlook/masterCategories', {displayName: 'Other', color: 'magenta'});
  expect('category-colour-outside-presets', r, 400);
  r = await patch('/v1.0/me/outlook/masterCategories/' + enc(cat.id), {color: 'preset2'});
  expect('category-update-color', r, 200, d => d.color === 'preset2');
  r = await patch('/v1.0/me/outlook/masterCategories/' + enc(cat.id), {displayName: 'Renamed'});
  expect('category-name-cannot-change', r, 400);
  r = await get('/v1.0/me/outlook/masterCategories');
  expect('category-list', r, 200, d => d.value.length === 1);

  // ================================================================ $batch
  const reqs = n => Array.from({length: n}, (x, i) => ({id: String(i + 1), method: 'GET', url: '/me/mailFolders/inbox'}));
  r = await post('/v1.0/$batch', {requests: reqs(21)});
  expect('batch-over-20-refused', r, 400);
  r = await post('/v1.0/$batch', {requests: [{id: '1', method: 'GET', url: '/me'}, {id: '1', method: 'GET', url: '/me'}]});
  expect('batch-duplicate-ids-refused', r, 400);
  r = await post('/v1.0/$batch', {requests: [{id: '1', method: 'POST', url: '/me/messages', body: {subject: 'b'}}]});
  expect('batch-body-needs-content-type', r, 400);
  r = await post('/v1.0/$batch', {requests: [
    {id: 'a', method: 'POST', url: '/me/mailFolders/inbox/messages', headers: {'Content-Type': 'application/json'}, body: {subject: 'From batch'}},
    {id: 'b', method: 'GET', url: '/me/messages/AAMkAGbm9uZXhpc3RlbnQ='},
    {id: 'e', method: 'POST', url: '/me/messages', headers: {'Content-Type': 'text/plain'}, body: mime('Batched MIME').toString('base64')}]});
  let by = id => (r.json && r.json.responses || []).find(x => x.id === id) || {};
  expect('batch-answers-200', r, 200, d => d.responses.length === 3);
  truth('batch-entry-201', by('a').status === 201 && by('a').body.subject === 'From batch', JSON.stringify(by('a')));
  truth('batch-entry-404', by('b').status === 404 && by('b').body.error.code === 'ErrorItemNotFound', JSON.stringify(by('b')));
  truth('batch-mime-create-is-a-draft', by('e').status === 201 && by('e').body.isDraft === true && by('e').body.subject === 'Batched MIME', JSON.stringify(by('e')));
  // fully sequential: each names the one before; after a failed one, every later one answers 424
  r = await post('/v1.0/$batch', {requests: [
    {id: 's1', method: 'GET', url: 'me/mailFolders/inbox?$select=displayName', headers: {Prefer: 'IdType="ImmutableId"'}},
    {id: 's2', method: 'GET', url: '/me/messages/AAMkAGbm9uZXhpc3RlbnQ=', dependsOn: ['s1']},
    {id: 's3', method: 'GET', url: '/me/mailFolders/inbox', dependsOn: ['s2']}]});
  by = id => (r.json && r.json.responses || []).find(x => x.id === id) || {};
  truth('batch-dependsOn-succeeded-runs', by('s1').status === 200 && by('s1').body.displayName === 'Inbox', JSON.stringify(by('s1')));
  truth('batch-dependsOn-failed-424', by('s2').status === 404 && by('s3').status === 424, JSON.stringify(r.json));
  // "Batch should be either fully sequential or fully parallel" (json-batching.md)
  r = await post('/v1.0/$batch', {requests: [{id: '1', method: 'GET', url: '/me'}, {id: '2', method: 'GET', url: '/me'},
    {id: '3', method: 'GET', url: '/me', dependsOn: ['1']}]});
  expect('batch-half-sequential-refused', r, 400, d => /fully sequential or fully parallel/.test(d.error.message));
  r = await post('/v1.0/$batch', {requests: [{id: '1', method: 'GET', url: '/me', dependsOn: ['2']}, {id: '2', method: 'GET', url: '/me', dependsOn: ['1']}]});
  expect('batch-dependsOn-cycle-refused', r, 400);
  await ctl({rate_limit: {count: 1, status: 429, retry_after: 3, path: '/v1.0/me/contacts'}});
  r = await post('/v1.0/$batch', {requests: [{id: '1', method: 'GET', url: '/me/contacts'}, {id: '2', method: 'GET', url: '/me/contacts'}]});
  expect('batch-entry-throttled-429', r, 200, d => d.responses.find(x => x.id === '1').status === 429 && d.responses.find(x => x.id === '1').headers['Retry-After'] === '3' &&
    d.responses.find(x => x.id === '2').status === 200);

  // ================================================================ throttling
  await ctl({rate_limit: {count: 1, status: 429, retry_after: 2}});
  r = await get('/v1.0/me/mailFolders');
  expect('injected-429-retry-after', r, 429, d => d.error.code === 'ApplicationThrottled' && r.headers['retry-after'] === '2');
  r = await get('/v1.0/me/mailFolders');
  expect('rate-limit-passes-after-count', r, 200);
  await ctl({rate_limit: {count: 1, status: 503, retry_after: 1, path: '/v1.0/me/events'}});
  r = await get('/v1.0/me/events');
  expect('injected-503', r, 503, d => r.headers['retry-after'] === '1');
  await ctl({request_rate: {limit: 3, window_s: 60}});
  const rate = [];
  for (let i = 0; i < 4; i++) rate.push(await get('/v1.0/me/mailFolders/inbox'));
  truth('mailbox-request-rate-429', rate.slice(0, 3).every(x => x.status === 200) && rate[3].status === 429 && rate[3].json.error.message === 'Application is over its RequestRate limit.' &&
    Number(rate[3].headers['retry-after']) > 0, rate.map(x => x.status).join(','));
  await ctl({request_rate: {limit: 10000, window_s: 600}});
  await ctl({latency_ms: 400});
  const five = await Promise.all([0, 1, 2, 3, 4].map(() => get('/v1.0/me/mailFolders/inbox')));
  const statuses = five.map(x => x.status).sort();
  const throttled = five.find(x => x.status === 429);
  truth('fifth-concurrent-request-429-MailboxConcurrency', statuses.join(',') === '200,200,200,200,429' && throttled.json.error.code === 'ApplicationThrottled' &&
    throttled.json.error.message === 'Application is over its MailboxConcurrency limit.' && throttled.headers['retry-after'], statuses.join(','));
  r = await get('/v1.0/me/mailFolders/inbox');
  expect('after-the-four-finish-requests-pass', r, 200);
  await ctl({latency_ms: 0});
  const st = (await get('/__stats', {token: null})).json;
  truth('stats-count-routes', st.requests > 100 && st.by_route['message.delta'] > 0 && st.max_inflight === 4 && st.throttled >= 3, JSON.stringify(st).slice(0, 500));
  r = await get('/__dump', {token: null});
  expect('dump-mailbox', r, 200, d => d.email === 'ada@contoso.example' && Object.keys(d.messages).length > 5);
}

main().catch(e => { console.log('FAIL the test harness: ' + e.stack); process.exit(1); });
