// SPDX-License-Identifier: Apache-2.0
// The crash campaign's hands on a CRM peer (json-server behind
// tests/peers/json_server_peer.js, or tests/peers/salesforce_fake.js), as a
// user of the CRM would edit it; the records are chosen by the number in
// their email (c17@… or s17@…), never by the peer's ids.
//
//   node crm_peer.js KIND BASE seed FROM TO   creates contacts cFROM..cTO
//   node crm_peer.js KIND BASE edit ROUND     updates, deletes, 15 creates
//   node crm_peer.js KIND BASE contents       one JSON line a contact, keys sorted,
//                                             without ids, timestamps and Accord's key
//   node crm_peer.js KIND BASE duplicates     how many emails are there twice
//   node crm_peer.js KIND BASE lost           contacts lacking a field every one has
//
// KIND: json-server (CRM_TOKEN: the bearer token) or salesforce (SF_CLIENT_ID,
// SF_CLIENT_SECRET, SF_REFRESH_TOKEN: the fake's OAuth2 client).
'use strict';
const [kind, base, verb, ...args] = process.argv.slice(2);
const sf = kind === 'salesforce';
const V = base + '/services/data/v59.0';
const fields = sf ? ['FirstName', 'LastName', 'Email', 'Phone', 'Title', 'Description']
                  : ['firstName', 'lastName', 'email', 'phone', 'company', 'title', 'description'];
const hidden = sf ? ['Id', 'SystemModstamp', 'CreatedDate', 'LastModifiedDate', 'Accord_Id__c', 'attributes']
                  : ['id', 'updatedAt', 'createdAt', 'accord_id'];
let token = process.env.CRM_TOKEN || '';

async function call(method, url, body, form) {
  const headers = {};
  if (token) headers.Authorization = 'Bearer ' + token;
  if (body !== undefined) headers['Content-Type'] = form ? 'application/x-www-form-urlencoded' : 'application/json';
  const res = await fetch(url, {method, headers, body: body === undefined ? undefined : form ? body : JSON.stringify(body)});
  const text = await res.text();
  if (res.status >= 400) throw new Error(method + ' ' + url + ': ' + res.status + ' ' + text);
  return text ? JSON.parse(text) : null;
}
async function login() {
  if (!sf) return;
  const f = new URLSearchParams({grant_type: 'refresh_token', client_id: process.env.SF_CLIENT_ID,
                                 client_secret: process.env.SF_CLIENT_SECRET, refresh_token: process.env.SF_REFRESH_TOKEN});
  token = (await call('POST', base + '/services/oauth2/token', f.toString(), true)).access_token;
}
async function all() {
  if (sf) return (await call('GET', base + '/__dump')).Contact || [];
  return call('GET', base + '/contacts');
}
const email = r => (sf ? r.Email : r.email) || '';
const num = r => { const m = /^[a-z](\d+)@/.exec(email(r)); return m ? Number(m[1]) : null; };
function contact(n, round) {
  const title = round ? 'New ' + round : 'Buyer', phone = '+4420794' + String(n).padStart(5, '0');
  if (sf) return {FirstName: 'Cora', LastName: 'Crm' + n, Email: 'c' + n + '@example.org', Phone: phone,
                  Title: title, Description: 'note of c' + n};
  return {firstName: 'Cora', lastName: 'Crm' + n, email: 'c' + n + '@example.org', phone,
          company: 'Crm Org ' + n, title, description: 'note of c' + n};
}
async function create(n, round) {
  if (sf) return call('POST', V + '/sobjects/Contact/', contact(n, round));
  return call('POST', base + '/contacts', contact(n, round));
}
async function update(r, change) {
  if (sf) return call('POST', base + '/__edit', {object: 'Contact', id: r.Id, fields: change});
  return call('PATCH', base + '/contacts/' + r.id, change);
}
async function remove(r) {
  if (sf) return call('POST', base + '/__delete', {object: 'Contact', id: r.Id});
  return call('DELETE', base + '/contacts/' + r.id);
}

async function main() {
  await login();
  if (verb === 'seed') {
    for (let n = Number(args[0]); n <= Number(args[1]); n++) await create(n, 0);
  } else if (verb === 'edit') {
    const round = Number(args[0]);
    const [title, note] = sf ? ['Title', 'Description'] : ['title', 'description'];
    for (const r of await all()) {
      const n = num(r);
      if (n === null) continue;
      if (n % 10 === round + 4) { await remove(r); continue; }
      const change = {};
      if (n % 6 === round) change[title] = 'Lead ' + round;
      if (n % 9 === round) change[note] = 'edited crm ' + round;
      if (Object.keys(change).length) await update(r, change);
    }
    for (let n = 1000 * round; n < 1000 * round + 15; n++) await create(n, round);
  } else if (verb === 'contents') {
    const lines = (await all()).map(r => {
      const o = {};
      for (const k of Object.keys(r).sort()) if (!hidden.includes(k)) o[k] = r[k];
      return JSON.stringify(o);
    });
    for (const l of lines.sort()) console.log(l);
  } else if (verb === 'duplicates') {
    const seen = new Map();
    for (const r of await all()) seen.set(email(r), (seen.get(email(r)) || 0) + 1);
    console.log([...seen.values()].reduce((a, c) => a + c - 1, 0));
  } else if (verb === 'lost') {
    const rs = await all();
    for (const f of fields) {
      const n = rs.filter(r => r[f] === undefined || r[f] === null || r[f] === '').length;
      if (n) console.log('crm: ' + n + ' contacts without ' + f);
    }
  } else {
    throw new Error('unknown verb ' + verb);
  }
}
main().catch(e => { console.error(e.message); process.exit(1); });
