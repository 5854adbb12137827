// SPDX-License-Identifier: Apache-2.0
// A real SMTP server on 127.0.0.1 (smtp-server, from tests/peers/package.json)
// for the mail sent from HighLevel: each message accepted is written to
// SINK_DIR/<n>.eml (the recipient's mailbox, as delivered); with
// SINK_SENT_MAILDIR, a copy also goes into that Maildir's new/ (a server
// that files submitted mail in Sent itself, as Gmail does). AUTH PLAIN/LOGIN
// with SINK_USER:SINK_PASSWORD (optional: a client may send without). Prints "port N".
'use strict';
const {SMTPServer} = require('smtp-server');
const fs = require('fs');
const path = require('path');
const dir = process.env.SINK_DIR;
let n = 0;
const server = new SMTPServer({
  authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
  onAuth(auth, session, cb) {
    if (auth.username === process.env.SINK_USER && auth.password === process.env.SINK_PASSWORD) return cb(null, {user: auth.username});
    cb(new Error('Invalid username or password'));
  },
  onData(stream, session, cb) {
    const chunks = [];
    stream.on('data', c => chunks.push(c));
    stream.on('end', () => {
      const data = Buffer.concat(chunks);
      const name = String(++n).padStart(4, '0');
      fs.writeFileSync(path.join(dir, name + '.eml'), data);
      fs.writeFileSync(path.join(dir, name + '.env'), JSON.stringify({from: session.envelope.mailFrom.address,
        to: session.envelope.rcptTo.map(r => r.address), user: session.user || null}));
      if (process.env.SINK_SENT_MAILDIR)
        fs.writeFileSync(path.join(process.env.SINK_SENT_MAILDIR, 'new', Date.now() + '.sink' + name + '.localhost'), data, {mode: 0o644});
      if (process.env.SINK_DROP_REPLY === '1') {
        for (const conn of server.connections) if (conn.session === session || conn.id === session.id) conn._socket.destroy();
        return;
      }
      cb(null, 'queued as ' + name);
    });
  },
});
server.listen(0, '127.0.0.1', () => console.log('port ' + server.server.address().port));
