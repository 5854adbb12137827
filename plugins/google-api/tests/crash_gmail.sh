#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The SIGKILL campaign (tests/crash/lib.sh) over google-api's message stream:
# a Maildir ⇄ Gmail on the strict Google fake (tests/peers/google_fake.js,
# one per round on a free loopback port), both ways, left wins a conflict.
# 60 generated messages in three Maildir folders (INBOX, Work, Lists), 30 in
# Gmail (INBOX and the label Work); between phases the Maildir flags, moves,
# deletes and writes messages, Gmail stars, archives, trashes and imports.
# Messages compare by folder or labels, Message-ID, flags or keywords and
# content; duplicates by Message-ID; no file may be left in a Maildir tmp/.
#
# Usage: crash_gmail.sh ACCORD PEERS_DIR GEN_MAIL   (CRASH_KILLS, CRASH_SEED: lib.sh)
set -u
here=$(dirname "$(realpath "${BASH_SOURCE[0]}")")
. "$here/../../../tests/report.sh"
accord=$(realpath "$1") peers=$(realpath "$2") gen=$(realpath "$3")
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-crash-gmail.XXXXXX")
trap 'for f in "$work"/*/peer.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done; rm -rf "$work"' EXIT
cd "$work"
. "$here/../../../tests/crash/lib.sh"
token="tok-$RANDOM$RANDOM"
printf '{"gtok": "%s"}\n' "$token" > secrets.json
chmod 600 secrets.json
export ACCORD_SECRETS="$work/secrets.json" HOME="$work" XDG_STATE_HOME="$work/.local/state" ACCORD_ADMIN=

# gmail DIR ACTION ARGS: Gmail's side as its users change it, and its contents (Node's fetch on the fake)
cat > gmail.js <<'JS'
const fs = require('fs'), crypto = require('crypto');
const [base, token, action, ...args] = process.argv.slice(2);
const G = '/gmail/v1/users/me/';
const api = async (m, p, body) => {
  const r = await fetch(base + G + p, {method: m, headers: {Authorization: 'Bearer ' + token, 'Content-Type': 'application/json'}, body});
  if (!r.ok) throw new Error(m + ' ' + p + ': ' + r.status + ' ' + await r.text());
  return r.status === 204 ? null : r.json();
};
const labels = async () => {
  const out = {};
  for (const l of (await api('GET', 'labels')).labels) out[l.name] = l.id;
  if (!out.Work) out.Work = (await api('POST', 'labels', JSON.stringify({name: 'Work', labelListVisibility: 'labelShow', messageListVisibility: 'show'}))).id;
  return out;
};
const num = mid => { const m = /^gen-(\d+)-/.exec(mid) || /^(?:new|gm)-\d+-(\d+)@/.exec(mid); return m ? +m[1] : -1; };
const b64 = s => Buffer.from(s).toString('base64url');
(async () => {
  const L = await labels();
  if (action === 'seed') {
    for (const f of args) {
      const raw = fs.readFileSync(f);
      await api('POST', 'messages/import', JSON.stringify({raw: raw.toString('base64url'), labelIds: f.includes('/.Work/') ? [L.Work] : ['INBOX', 'UNREAD']}));
    }
  }
  if (action === 'edit') {
    const r = +args[0];
    let page, ids = [];
    do { const l = await api('GET', 'messages?maxResults=500' + (page ? '&pageToken=' + page : '')); ids = ids.concat((l.messages || []).map(m => m.id)); page = l.nextPageToken; } while (page);
    for (const id of ids) {
      const m = await api('GET', 'messages/' + id + '?format=metadata&metadataHeaders=Message-ID');
      const mid = ((m.payload.headers.find(h => /^message-id$/i.test(h.name)) || {}).value || '').replace(/[<>]/g, '');
      const n = num(mid);
      if (n % 11 === r + 4) await api('POST', 'messages/' + id + '/trash');
      else if (n % 5 === r + 1) await api('POST', 'messages/' + id + '/modify', JSON.stringify({addLabelIds: ['STARRED'], removeLabelIds: ['UNREAD']}));
      else if (n % 13 === r + 2) await api('POST', 'messages/' + id + '/modify', JSON.stringify({removeLabelIds: ['INBOX']}));
    }
    for (let k = 0; k < 5; k++) {
      const raw = 'Message-ID: <gm-' + r + '-' + k + '@crash.test>\r\nDate: Sun, 22 Nov 2026 10:0' + k + ':00 +0000\r\nFrom: Carol <carol@example.org>\r\nTo: ada@example.com\r\nSubject: imported in Gmail, round ' + r + ', ' + k + '\r\n\r\nBody ' + k + '.\r\n';
      await api('POST', 'messages/import', JSON.stringify({raw: b64(raw), labelIds: ['INBOX', 'UNREAD']}));
    }
  }
  if (action === 'contents') {
    const d = await (await fetch(base + '/__dump')).json();
    const names = {};
    for (const l of Object.values(d.gmail.labels)) names[l.id] = l.name;
    const rows = [];
    for (const m of Object.values(d.gmail.messages)) {
      if (m.labelIds.includes('TRASH') || m.labelIds.includes('SPAM')) continue;
      const raw = Buffer.from(m.raw, 'base64url');
      const mid = (/^Message-ID:\s*<([^>]+)>/mi.exec(raw.toString('latin1')) || [])[1] || '';
      rows.push(m.labelIds.map(l => names[l] || l).sort().join(',') + ' <' + mid + '> ' + crypto.createHash('sha1').update(raw.toString('latin1').replace(/\r\n/g, '\n')).digest('hex'));
    }
    console.log(rows.sort().join('\n'));
  }
})().catch(e => { console.error(String(e)); process.exit(1); });
JS
gmail() { node "$work/gmail.js" "$(cat "$1/base")" "$token" "${@:2}"; }

mkdir -p init
python3 "$gen" 60 init/mail --seed 7 --folders INBOX,Work,Lists > /dev/null
python3 "$gen" 30 server --seed 8 --folders INBOX,Work > /dev/null

prepare() {
  local d=$1
  cp -r "$work/init/." "$d/"
  mkdir -p "$d/peer"
  (cd "$d/peer" && GOOGLE_TOKEN=$token GOOGLE_USER=ada@example.com exec node "$peers/google_fake.js" > peer.out 2> peer.err) &
  echo $! > "$d/peer.pid"
  for _ in $(seq 1 100); do grep -q '^port ' "$d/peer/peer.out" 2>/dev/null && break; sleep 0.1; done
  local port; port=$(awk '/^port /{print $2}' "$d/peer/peer.out")
  [ -n "$port" ] || { echo "FAIL the fake did not start"; cat "$d/peer/peer.err"; exit 1; }
  echo "http://127.0.0.1:$port" > "$d/base"
  # the budget is kept across runs (a round's runs share one minute): as much as the fake allows, 15,000
  cat > "$d/p.json" <<JSON
{"name": "crash", "state": "state.sqlite",
 "left": {"connector": "local", "config": {"backend": "maildir", "create": true, "path": "mail"}},
 "right": {"connector": "google-api", "config": {"account": "ada@example.com", "access_token": {"\$secret": "gtok"},
   "gmail_url": "$(cat "$d/base")", "page_size": 9, "gmail_units_per_minute": 15000}},
 "streams": [{"name": "mail", "left": "message", "right": "message", "conflict": {"policy": "left-wins"},
              "guards": {"max_delete_share": 1, "max_update_share": 1, "max_create_share": 100}}]}
JSON
  gmail "$d" seed $(find "$work/server" -type f) || { echo "FAIL seeding Gmail"; exit 1; }
}
release() { kill "$(cat "$1/peer.pid")" 2>/dev/null; wait "$(cat "$1/peer.pid")" 2>/dev/null; rm -f "$1/peer.pid"; }

# edit DIR ROUND: in the Maildir, a flag set on some, some moved to another folder, some deleted, 5 new ones
edit() {
  local d=$1 r=$2 k
  perl -e 'my $r = shift; my $root = shift;
    for my $f (@ARGV) {
      open(my $h, "<", $f) or next; my $mid = "";
      while (<$h>) { last if /^\r?$/; $mid = $1 if /^Message-ID:\s*<([^>]+)>/i } close $h;
      my $n;
      if ($mid =~ /^gen-(\d+)-/) { $n = $1 } elsif ($mid =~ /^(?:new|gm)-\d+-(\d+)@/) { $n = $1 } else { next }
      if ($n % 11 == $r + 3) { unlink $f; next }
      my ($dir, $sub, $base) = $f =~ m{^(.*)/(cur|new)/([^/]+)$} or next;
      my ($uniq, $flags) = $base =~ /^(.*?)(?::2,([A-Za-z]*))?$/;
      my %l = map { $_ => 1 } split //, ($flags // "");
      $l{F} = 1 if $n % 5 == $r;
      my $to = $dir;
      if ($n % 13 == $r + 7) { $to = $dir =~ m{/\.Work$} ? $root : "$root/.Work" }
      my $new = "$to/cur/$uniq:2," . join("", sort keys %l);
      if ($new ne $f && ($to ne $dir || $n % 5 == $r)) { mkdir "$to/cur"; rename $f, $new or die "rename $f: $!" }
    }' "$r" "$d/mail" $(find "$d/mail" -path '*/.accord' -prune -o -type f \( -path '*/cur/*' -o -path '*/new/*' \) -print)
  for ((k = 0; k < 5; k++)); do
    printf 'Message-ID: <new-%s-%s@crash.test>\nDate: Sat, 21 Nov 2026 10:0%s:00 +0000\nFrom: Bob <bob@example.org>\nTo: ada@example.org\nSubject: written in the Maildir, round %s, %s\n\nBody %s of round %s.\n' \
      "$r" "$k" "$k" "$r" "$k" "$k" "$r" > "$d/mail/cur/17640000$r$k.crash$r$k.host:2,S"
  done
  gmail "$d" edit "$r" || { echo "FAIL editing Gmail"; exit 1; }
}

# the Maildir: "folder <msgid> flags sha1" a message; Gmail: "labels <msgid> sha1"
contents() {
  if [ "$2" = right ]; then gmail "$1" contents; return; fi
  (cd "$1/mail" && find . -path ./.accord -prune -o -type f \( -path '*/cur/*' -o -path '*/new/*' \) -print0 | sort -z |
    xargs -0 -r perl -MDigest::SHA=sha1_hex -e '
      for my $f (@ARGV) {
        open(my $h, "<", $f) or die; local $/; my $c = <$h>; close $h; $c =~ s/\r\n/\n/g;
        my ($mid) = $c =~ /^Message-ID:\s*<([^>]+)>/mi; my ($dir, $base) = $f =~ m{^(.*)/(?:cur|new)/([^/]+)$};
        my ($flags) = $base =~ /:2,([A-Za-z]*)$/;
        print "$dir <", $mid // "", "> ", $flags // "", " ", sha1_hex($c), "\n";
      }') | sort
}
duplicates() { contents "$1" "$2" | grep -o '<[^>]*>' | sort | uniq -d | wc -l; }
leftovers() { (cd "$1/mail" && find . -type f \( -path './tmp/*' -o -path './.*/tmp/*' \) ! -path './.accord/*'); }
lost() { :; }

campaign google_gmail
exit $fail
