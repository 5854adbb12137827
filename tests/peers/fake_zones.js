// SPDX-License-Identifier: Apache-2.0
// Wall time in an IANA zone ⇄ UTC for the fakes that expand recurring events (google_fake.js, msgraph_fake.js):
// the zone's offset at an instant comes from Intl, so a weekly series keeps its wall time across DST the way the
// vendors expand it. Node built-ins only.
'use strict';

// The zone's offset (ms) at the instant ms.
function tzOffset(ms, tz) {
  const f = new Intl.DateTimeFormat('en-US', {timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
                                               hour: '2-digit', minute: '2-digit', second: '2-digit'});
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map(x => [x.type, x.value]));
  return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - Math.floor(ms / 1000) * 1000;
}
// A wall time (ms as if UTC) in tz → the UTC instant.
function wallToUtc(wall, tz) {
  let t = wall - tzOffset(wall, tz);
  t = wall - tzOffset(t, tz);
  return t;
}
function validZone(tz) {
  try { new Intl.DateTimeFormat('en-US', {timeZone: tz}); return true; } catch (e) { return false; }
}
function pad(n, w) { return String(n).padStart(w || 2, '0'); }

module.exports = {tzOffset, wallToUtc, validZone, pad};
