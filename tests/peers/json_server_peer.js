// SPDX-License-Identifier: Apache-2.0
// json-server as the REST peer of the crm-rest tests, on a loopback port, with
// a small middleware in front of its router:
//   - bearer auth: with PEER_TOKEN set, every request needs "Authorization:
//     Bearer <PEER_TOKEN>" (401 otherwise);
//   - server-set timestamps: every write sets updatedAt (strictly increasing,
//     ISO 8601 with milliseconds) and, on create, createdAt;
//   - If-Match on PATCH/PUT/DELETE of one record: 412 when it differs from the
//     record's updatedAt;
//   - faults for tests, set by POST /__faults {"status": [429, …],
//     "retry_after": "1", "method": "POST", "reset": n, "stall_ms": m}: the
//     next requests (of that method, when given) answer
//     those statuses, have their connection reset, or stall;
//   - answers lost after the commit, set by the same POST /__faults with
//     "drop_answer_after_commit": n (the next n requests of "method", when
//     given, are done, then their connection is closed without an answer, as
//     a server or proxy that fails between its commit and its answer),
//     "stop_after_commit": n (the peer stops itself with SIGSTOP after the
//     commit, before answering: the test continues it with SIGCONT) or
//     "exit_after_commit": n (the peer saves its data and dies after the
//     commit, unanswered: the test starts it again on the same port), or
//     "exit_before_commit": n (it dies on receiving the request);
//     GET /__stats → {served, dropped};
//   - PEER_PORT: listen on that port (a peer started again after a kill);
//     PEER_SAVE=1: the data is written back to DB.json on every change (so a
//     killed peer keeps what it committed);
//   - an opaque sync-token feed, as Google's and Microsoft's delta APIs have
//     and json-server has not: GET /__changes/COLL?limit=N[&page_token=P]
//     [&sync_token=T] → {items, next_page_token | next_sync_token}; without
//     sync_token every live record, with it what changed since (deleted ones
//     as {id, deleted: true}); POST /__expire_sync_tokens makes every token
//     issued so far answer 410.
//
// Usage: node json_server_peer.js DB.json  → prints "port N" once listening.
'use strict';
const path = require('path');
const jsonServer = require(path.join(__dirname, 'node_modules', 'json-server'));

const dbFile = process.argv[2];
const server = jsonServer.create();
// Held in memory (read once from the file): lowdb's file adapter rewrites the
// whole file on every write, which would make the peer, not Accord, the
// thing measured.
const router = jsonServer.router(JSON.parse(require('fs').readFileSync(dbFile, 'utf8')));
const token = process.env.PEER_TOKEN || '';
const noFaults = {status: [], retry_after: '1', reset: 0, stall_ms: 0, drop_answer_after_commit: 0,
                  stop_after_commit: 0, exit_after_commit: 0, exit_before_commit: 0};
let faults = Object.assign({}, noFaults);
let dropped = 0;
let lastStamp = 0;
let served = 0;
const deletions = [];  // {coll, id, at}
const highWater = {};  // per collection: the highest id ever given
let syncHorizon = 0;

function stamp() {
  let now = Date.now();
  if (now <= lastStamp) now = lastStamp + 1;
  lastStamp = now;
  return new Date(now).toISOString();
}

server.use(jsonServer.bodyParser);

server.post('/__faults', (req, res) => {
  faults = Object.assign({}, noFaults, req.body || {});
  res.json({ok: true});
});
server.get('/__stats', (req, res) => res.json({served, dropped}));
server.post('/__expire_sync_tokens', (req, res) => { syncHorizon = lastStamp + 1; res.json({ok: true}); });

server.use((req, res, next) => {
  served++;
  if (faults.reset > 0) {
    faults.reset--;
    req.socket.destroy();
    return;
  }
  if (faults.stall_ms > 0) {
    const ms = faults.stall_ms;
    faults.stall_ms = 0;
    setTimeout(() => { try { res.status(504).end(); } catch (e) {} }, ms);
    return;
  }
  if (faults.status.length > 0 && (!faults.method || faults.method === req.method)) {
    const st = faults.status.shift();
    if (st === 429 || st === 503) res.set('Retry-After', String(faults.retry_after));
    return res.status(st).json({message: 'injected ' + st});
  }
  if (token && req.get('Authorization') !== 'Bearer ' + token)
    return res.status(401).json({message: 'invalid or missing bearer token'});
  if (process.env.PEER_SAVE === '1' && req.method !== 'GET') res.on('finish', save);
  if (!faults.method || faults.method === req.method) {
    if (faults.exit_before_commit > 0) process.exit(9);
    // the request is done as usual; what it would answer never leaves
    const lose = how => {
      dropped++;
      res.writeHead = () => res;
      res.write = () => true;
      res.end = () => {
        save();  // the commit is done (an answer lost is no write undone)
        if (how === 'stop') process.kill(process.pid, 'SIGSTOP');  // resumes here on SIGCONT
        if (how === 'exit') process.exit(9);
        req.socket.destroy();
        return res;
      };
    };
    if (faults.drop_answer_after_commit > 0) { faults.drop_answer_after_commit--; lose('drop'); }
    else if (faults.stop_after_commit > 0) { faults.stop_after_commit--; lose('stop'); }
    else if (faults.exit_after_commit > 0) { faults.exit_after_commit--; lose('exit'); }
  }

  const parts = req.path.split('/').filter(Boolean);
  const coll = parts[0];
  const db = router.db;
  if (['PATCH', 'PUT', 'DELETE'].includes(req.method) && parts.length === 2) {
    const cur = db.get(coll).find({id: isNaN(Number(parts[1])) ? parts[1] : Number(parts[1])}).value() ||
                db.get(coll).find({id: parts[1]}).value();
    const want = req.get('If-Match');
    if (cur && want && want.replace(/^W\//, '').replace(/"/g, '') !== cur.updatedAt)
      return res.status(412).json({message: 'precondition failed: the record changed (updatedAt ' + cur.updatedAt + ')'});
    if (cur && req.method === 'PUT') req.body.createdAt = cur.createdAt;
  }
  if (req.method === 'DELETE' && parts.length === 2) {
    stamp();
    deletions.push({coll, id: parts[1], at: lastStamp});
  }
  // A new record's id is never one a deleted record had, as in every real
  // CRM: json-server alone takes the highest id + 1, so deleting the newest
  // record and creating another gives the new one the old one's id, which a
  // change feed then reports as an edit of the old record.
  if (req.method === 'POST' && parts.length === 1 && req.body && typeof req.body === 'object' &&
      req.body.id === undefined && Array.isArray(db.get(coll).value())) {
    const ids = db.get(coll).value().map(r => Number(r.id)).filter(Number.isFinite);
    highWater[coll] = Math.max(highWater[coll] || 0, ...ids) + 1;
    req.body.id = highWater[coll];
  }
  if (['POST', 'PUT', 'PATCH'].includes(req.method) && req.body && typeof req.body === 'object') {
    const t = stamp();
    req.body.updatedAt = t;
    if (req.method === 'POST') req.body.createdAt = t;
  }
  next();
});

server.get('/__changes/:coll', (req, res) => {
  const limit = Number(req.query.limit || 100);
  const [offset, mark] = req.query.page_token ? req.query.page_token.split('.').map(Number) : [0, lastStamp];
  let since = null;
  if (req.query.sync_token !== undefined) {
    const m = /^st1\.(\d+)$/.exec(req.query.sync_token);
    if (!m || Number(m[1]) < syncHorizon) return res.status(410).json({message: 'the sync token expired: list everything again'});
    since = Number(m[1]);
  }
  const at = r => r.deleted ? r.at : Date.parse(r.updatedAt);
  let all = (router.db.get(req.params.coll).value() || []).filter(r => since === null || Date.parse(r.updatedAt) > since);
  if (since !== null) all = all.concat(deletions.filter(d => d.coll === req.params.coll && d.at > since).map(d => ({id: d.id, deleted: true, at: d.at})));
  all.sort((a, b) => at(a) - at(b) || String(a.id).localeCompare(String(b.id)));
  const body = {items: all.slice(offset, offset + limit).map(r => r.deleted ? {id: r.id, deleted: true} : r)};
  if (offset + limit < all.length) body.next_page_token = (offset + limit) + '.' + mark;
  else body.next_sync_token = 'st1.' + mark;
  res.json(body);
});

server.use(router);

function save() {
  if (process.env.PEER_SAVE === '1') require('fs').writeFileSync(dbFile, JSON.stringify(router.db.getState()));
}

const listener = server.listen(Number(process.env.PEER_PORT || 0), '127.0.0.1', () => {
  process.stdout.write('port ' + listener.address().port + '\n');
});
process.on('SIGTERM', () => listener.close(() => process.exit(0)));
