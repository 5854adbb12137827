// SPDX-License-Identifier: Apache-2.0
// The RFC 5322 header section of a message, for the fakes that take or give MIME (google_fake.js for Gmail,
// msgraph_fake.js for Outlook): headers unfolded, values as written, the body after the blank line. Node
// built-ins only.
'use strict';

// headersOf(raw Buffer|string) → {headers: [{name, value}], body: the rest, a latin1 string (bytes as they were)}
function headersOf(raw) {
  const text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const head = end < 0 ? text : text.slice(0, end);
  const out = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && out.length) out[out.length - 1].value += ' ' + line.trim();
    else { const i = line.indexOf(':'); if (i > 0) out.push({name: line.slice(0, i), value: line.slice(i + 1).trim()}); }
  }
  return {headers: out, body: end < 0 ? '' : text.slice(end).replace(/^\r?\n\r?\n/, '')};
}
// The first header of that name (case-insensitive), or undefined.
function header(h, name) { const x = h.find(y => y.name.toLowerCase() === name.toLowerCase()); return x ? x.value : undefined; }

module.exports = {headersOf, header};
