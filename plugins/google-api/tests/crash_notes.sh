#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The SIGKILL campaign (tests/crash/lib.sh) over google-api's note stream: a
# JSON folder of notes ⇄ Drive's "Outlook Notes" on the strict Google fake
# (tests/peers/google_fake.js, one per round on a free loopback port), both
# ways, no match keys (only the idempotency key in appProperties stands
# between a killed run and a duplicate), left wins a conflict. 40 notes in
# the folder, 20 in Drive; between phases each side edits, deletes and
# creates (Drive's as its users do, through its API).
#
# Usage: crash_notes.sh ACCORD PEERS_DIR   (CRASH_KILLS, CRASH_SEED: lib.sh)
set -u
here=$(dirname "$(realpath "${BASH_SOURCE[0]}")")
. "$here/../../../tests/report.sh"
accord=$(realpath "$1") peers=$(realpath "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-crash-notes.XXXXXX")
trap 'for f in "$work"/*/peer.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done; rm -rf "$work"' EXIT
cd "$work"
. "$here/../../../tests/crash/lib.sh"
token="tok-$RANDOM$RANDOM"
printf '{"gtok": "%s"}\n' "$token" > secrets.json
chmod 600 secrets.json
export ACCORD_SECRETS="$work/secrets.json" HOME="$work" XDG_STATE_HOME="$work/.local/state"

# drive DIR ACTION ARGS: Drive's side as its users change it (Node's fetch on the fake's API)
cat > drive.js <<'JS'
const [base, token, action, ...args] = process.argv.slice(2);
const H = {Authorization: 'Bearer ' + token};
const api = async (m, p, body, type) => {
  const r = await fetch(base + p, {method: m, headers: Object.assign({'Content-Type': type || 'application/json'}, H), body});
  if (!r.ok) throw new Error(m + ' ' + p + ': ' + r.status + ' ' + await r.text());
  return r.status === 204 ? null : r.json();
};
const q = s => encodeURIComponent(s);
const folder = async () => {
  const l = await api('GET', "/drive/v3/files?q=" + q("name = 'Outlook Notes' and trashed = false"));
  if (l.files.length) return l.files[0].id;
  return (await api('POST', '/drive/v3/files', JSON.stringify({name: 'Outlook Notes', mimeType: 'application/vnd.google-apps.folder'}))).id;
};
const create = async (f, title, body) => {
  const mp = '--b1\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n' + JSON.stringify({name: title, mimeType: 'text/plain', parents: [f]}) +
             '\r\n--b1\r\nContent-Type: text/plain\r\n\r\n' + body + '\r\n--b1--\r\n';
  await api('POST', '/upload/drive/v3/files?uploadType=multipart', mp, 'multipart/related; boundary=b1');
};
(async () => {
  const f = await folder();
  if (action === 'seed') for (let n = +args[0]; n <= +args[1]; n++) await create(f, 'Drive seed ' + n, 'seeded in Drive ' + n);
  if (action === 'edit') {
    const r = +args[0];
    const l = await api('GET', '/drive/v3/files?pageSize=1000&fields=files(id,name)&q=' + q("'" + f + "' in parents and trashed = false"));
    for (const x of l.files) {
      const n = +(x.name.match(/(\d+)$/) || [0, 0])[1];
      if (n % 5 === r) await api('PATCH', '/upload/drive/v3/files/' + x.id + '?uploadType=media', 'edited in Drive ' + r, 'text/plain');
      else if (n % 11 === r + 2) await api('PATCH', '/drive/v3/files/' + x.id, JSON.stringify({trashed: true}));
    }
    for (let n = 1000 * r + 700; n <= 1000 * r + 704; n++) await create(f, 'Drive note ' + n, 'made in Drive ' + n);
  }
})().catch(e => { console.error(String(e)); process.exit(1); });
JS
drive() { node "$work/drive.js" "$(cat "$1/base")" "$token" "${@:2}"; }
note() { printf '{"title": "Note %s", "body": "body of note %s\\nsecond line", "categories": ["crash"]}\n' "$1" "$1"; }

mkdir -p init/notes/note
for i in $(seq 1 40); do note "$i" > "init/notes/note/n$i.json"; done

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
  cat > "$d/p.json" <<JSON
{"name": "crash", "state": "state.sqlite",
 "left": {"connector": "local", "config": {"backend": "json", "path": "notes"}},
 "right": {"connector": "google-api", "config": {"account": "ada@example.com", "access_token": {"\$secret": "gtok"},
   "drive_url": "$(cat "$d/base")/drive/v3", "page_size": 7}},
 "streams": [{"name": "notes", "left": "note", "right": "note", "conflict": {"policy": "left-wins"},
              "guards": {"max_delete_share": 1, "max_update_share": 1, "max_create_share": 100}}]}
JSON
  drive "$d" seed 1 20 || { echo "FAIL seeding Drive"; exit 1; }
}
release() { kill "$(cat "$1/peer.pid")" 2>/dev/null; wait "$(cat "$1/peer.pid")" 2>/dev/null; rm -f "$1/peer.pid"; }

# folder_notes DIR: the folder's note files (not the dot files of a write), one node for them all
folder_notes='const fs=require("fs"),path=require("path");
const notes=dir=>fs.readdirSync(dir).filter(f=>!f.startsWith(".")&&f.endsWith(".json")).map(f=>path.join(dir,f));'
edit() {
  local d=$1 r=$2 n
  # a note numbered r mod 7 edited, r+1 mod 13 deleted
  node -e "$folder_notes"'
    const r=+process.argv[2];
    for (const p of notes(process.argv[1])) {
      const o=JSON.parse(fs.readFileSync(p)),n=+((o.title||"").match(/(\d+)$/)||[0,0])[1];
      if (n%7===r) {o.body="edited in the folder "+r;fs.writeFileSync(p,JSON.stringify(o));}
      else if (n%13===r+1) fs.unlinkSync(p);
    }' "$d/notes/note" "$r" || { echo "FAIL editing the folder"; exit 1; }
  for n in $(seq $((1000 * r + 500)) $((1000 * r + 504))); do note "$n" > "$d/notes/note/new$n.json"; done
  drive "$d" edit "$r" || { echo "FAIL editing Drive"; exit 1; }
}

# contents DIR SIDE: each note's title, body and categories, sorted
contents() {
  if [ "$2" = left ]; then
    node -e "$folder_notes"'
      for (const p of notes(process.argv[1])) {const o=JSON.parse(fs.readFileSync(p));console.log(JSON.stringify([o.title,o.body,o.categories||[]]));}' "$1/notes/note" | sort
  else
    curl -s "$(cat "$1/base")/__dump" | node -e '
      const d=JSON.parse(require("fs").readFileSync(0)),fs=Object.values(d.drive.files);
      const folder=(fs.find(f=>f.name==="Outlook Notes"&&!f.trashed)||{}).id;
      for (const f of fs) if (!f.trashed&&f.mimeType==="text/plain"&&f.parents.includes(folder))
        console.log(JSON.stringify([f.name,Buffer.from(f.content.data).toString(),JSON.parse((f.appProperties||{}).categories||"[]")]));' | sort
  fi
}
duplicates() {  # how many titles more than once (an empty title not counted)
  contents "$1" "$2" | node -e '
    const t=require("fs").readFileSync(0,"utf8").split("\n").filter(Boolean).map(l=>String(JSON.parse(l)[0])).filter(s=>s.length);
    console.log(t.length-new Set(t).size)'
}
leftovers() { find "$1/notes" -name '.*.tmp-*' -o -name '*.tmp' | sed "s|^$work/||"; }
lost() { :; }

campaign google_notes
exit $fail
