// SPDX-License-Identifier: Apache-2.0
// What the vendor fakes (salesforce_fake.js, hubspot_fake.js,
// highlevel_fake.js) share: a loopback HTTP server that hands each request
// with its whole body to a handler and prints "port N", the test-only
// /__control settings, the answers lost after a commit (/__fault), and the
// OAuth2 refresh-token grant check.
'use strict';
const http = require('http');

// Test-only, in every fake: POST /__fault {"drop_answer_after_commit": n,
// "method": "PATCH", "path": "/services/data/"} makes the next n requests
// (of that method and under that path, when given) be done as usual and then
// have their connection closed without an answer, as a server or proxy that
// fails between its commit and its answer. {"fail": n, "status": 500, …}
// instead answers the next n such requests with that status, undone;
// {"stop_after_commit": n, …} has the fake stop itself (SIGSTOP) after doing
// each, unanswered, until the test continues it (SIGCONT). GET /__fault →
// {dropped} so far.
let drop = 0, stop = 0, dropMethod = null, dropPath = '', dropped = 0, failCount = 0, failStatus = 500;
function loseAnswer(req, res, stopHere) {
  dropped++;
  res.writeHead = () => res;
  res.write = () => true;
  res.end = () => {
    if (stopHere) process.kill(process.pid, 'SIGSTOP');  // resumes here on SIGCONT
    req.socket.destroy();
    return res;
  };
}

// Starts the server on an ephemeral loopback port (PEER_PORT when set: a
// peer started again on its port). handle(req, res, raw); an exception
// becomes fail(res, error).
function serve(handle, fail) {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', c => { chunks.push(c); });
    req.on('end', () => {
      // The body's bytes stay on req.body (a Buffer) for binary uploads; raw is that text, decoded once (a chunk
      // boundary inside a UTF-8 sequence no longer breaks it).
      req.body = Buffer.concat(chunks);
      const raw = req.body.toString();
      if (req.url === '/__fault') {
        if (req.method === 'POST') {
          const c = JSON.parse(raw || '{}');
          drop = c.drop_answer_after_commit || 0;
          stop = c.stop_after_commit || 0;
          dropMethod = c.method || null;
          dropPath = c.path || '';
          failCount = c.fail || 0;
          failStatus = c.status || 500;
        }
        res.writeHead(200, {'Content-Type': 'application/json'});
        return res.end(JSON.stringify({dropped}));
      }
      const hit = !req.url.startsWith('/__') && (!dropMethod || dropMethod === req.method) && req.url.startsWith(dropPath);
      if (hit && failCount > 0) {
        failCount--;
        res.writeHead(failStatus, {'Content-Type': 'application/json'});
        return res.end(JSON.stringify([{message: 'injected ' + failStatus, errorCode: 'INJECTED'}]));
      }
      if (hit && drop > 0) {
        drop--;
        loseAnswer(req, res, false);
      } else if (hit && stop > 0) {
        stop--;
        loseAnswer(req, res, true);
      }
      try { handle(req, res, raw); } catch (e) { fail(res, e); }
    });
  });
  server.keepAliveTimeout = 30000;
  server.listen(Number(process.env.PEER_PORT || 0), '127.0.0.1', () => process.stdout.write('port ' + server.address().port + '\n'));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
  return server;
}

// Applies a /__control body: setters maps each known key to what it sets.
function control(raw, setters) {
  const c = JSON.parse(raw || '{}');
  for (const [k, set] of Object.entries(setters)) if (c[k] !== undefined) set(c[k]);
}

// Whether a token request body is a refresh_token grant with these values.
function refreshGrantOk(raw, want) {
  const f = new URLSearchParams(raw);
  return f.get('grant_type') === 'refresh_token' && f.get('client_id') === want.client_id &&
         f.get('client_secret') === want.client_secret && f.get('refresh_token') === want.refresh_token;
}

function bearer(req) { return (req.headers.authorization || '').replace(/^Bearer /, ''); }

// A multipart/form-data body (RFC 7578) as its parts [{name, filename, type, data (a Buffer)}]
// (filename undefined for a text field); null when the request is not one.
function multipart(req) {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/.exec(req.headers['content-type'] || '');
  if (!m || !/^multipart\/form-data/.test(req.headers['content-type'])) return null;
  const b = Buffer.from('--' + (m[1] || m[2])), out = [];
  let at = req.body.indexOf(b);
  while (at >= 0) {
    const start = at + b.length;
    if (req.body.slice(start, start + 2).toString() === '--') break;
    const next = req.body.indexOf(b, start);
    if (next < 0) break;
    const part = req.body.slice(start + 2, next - 2);  // after CRLF, before CRLF
    const sep = part.indexOf('\r\n\r\n');
    const head = part.slice(0, sep).toString();
    const name = (/name="([^"]*)"/.exec(head) || [])[1], filename = (/filename="([^"]*)"/.exec(head) || [])[1];
    const type = (/content-type:\s*([^\r\n]+)/i.exec(head) || [])[1] || 'application/octet-stream';
    out.push({name, filename, type, data: part.slice(sep + 4)});
    at = next;
  }
  return out;
}
module.exports = {serve, control, refreshGrantOk, bearer, multipart};
