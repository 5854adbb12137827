#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The SIGKILL campaign (tests/crash/lib.sh) over google-api's contact stream:
# a vCard folder ⇄ Google contacts (People API) on the strict Google fake
# (tests/peers/google_fake.js, one per round on a free loopback port), both
# ways, no match keys (only the idempotency key in clientData stands between
# a killed run and a duplicate), People's batch endpoints, left wins a
# conflict. 40 vCards, 20 contacts in Google; between phases each side edits
# titles, deletes and creates (Google's as its users do, through its API).
# Contacts compare by email, name and title.
#
# Usage: crash_contacts.sh ACCORD PEERS_DIR   (CRASH_KILLS, CRASH_SEED: lib.sh)
set -u
here=$(dirname "$(realpath "${BASH_SOURCE[0]}")")
. "$here/../../../tests/report.sh"
accord=$(realpath "$1") peers=$(realpath "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-crash-contacts.XXXXXX")
trap 'for f in "$work"/*/peer.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done; rm -rf "$work"' EXIT
cd "$work"
. "$here/../../../tests/crash/lib.sh"
token="tok-$RANDOM$RANDOM"
printf '{"gtok": "%s"}\n' "$token" > secrets.json
chmod 600 secrets.json
export ACCORD_SECRETS="$work/secrets.json" HOME="$work" XDG_STATE_HOME="$work/.local/state" ACCORD_ADMIN=

# people DIR ACTION ARGS: Google's side as its users change it (Node's fetch on the fake's People API)
cat > people.js <<'JS'
const [base, token, action, ...args] = process.argv.slice(2);
const api = async (m, p, body) => {
  const r = await fetch(base + p, {method: m, headers: {Authorization: 'Bearer ' + token, 'Content-Type': 'application/json'}, body});
  if (!r.ok) throw new Error(m + ' ' + p + ': ' + r.status + ' ' + await r.text());
  return r.status === 204 ? null : r.json();
};
const create = n => api('POST', '/v1/people:createContact?personFields=names',
  JSON.stringify({names: [{givenName: 'Gil', familyName: 'Google' + n}], emailAddresses: [{value: 'google' + n + '@example.org'}],
                  organizations: [{title: 'Seeded ' + n}]}));
(async () => {
  if (action === 'seed') for (let n = +args[0]; n <= +args[1]; n++) await create(n);
  if (action === 'edit') {
    const r = +args[0];
    let page, all = [];
    do {
      const l = await api('GET', '/v1/people/me/connections?personFields=names,emailAddresses,organizations,metadata&pageSize=1000' + (page ? '&pageToken=' + page : ''));
      all = all.concat(l.connections || []);
      page = l.nextPageToken;
    } while (page);
    for (const p of all) {
      const mail = ((p.emailAddresses || [])[0] || {}).value || '';
      const n = +(mail.match(/(\d+)@/) || [0, 0])[1];
      if (n % 5 === r) {
        p.organizations = [{title: 'edited in Google ' + r}];
        await api('PATCH', '/v1/' + p.resourceName + ':updateContact?updatePersonFields=organizations', JSON.stringify(p));
      } else if (n % 11 === r + 2) {
        await api('DELETE', '/v1/' + p.resourceName + ':deleteContact');
      }
    }
    for (let n = 1000 * r + 700; n <= 1000 * r + 704; n++) await create(n);
  }
})().catch(e => { console.error(String(e)); process.exit(1); });
JS
people() { node "$work/people.js" "$(cat "$1/base")" "$token" "${@:2}"; }
card() {  # card N TITLE
  printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:crash-%s\r\nFN:Kim Local%s\r\nN:Local%s;Kim;;;\r\nEMAIL;TYPE=work:local%s@example.org\r\nTITLE:%s\r\nEND:VCARD\r\n' \
    "$1" "$1" "$1" "$1" "$2"
}

mkdir -p init/book
for i in $(seq 1 40); do card "$i" "Analyst $i" > "init/book/c$i.vcf"; done

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
 "left": {"connector": "local", "config": {"backend": "vcard", "path": "book"}},
 "right": {"connector": "google-api", "config": {"account": "ada@example.com", "access_token": {"\$secret": "gtok"},
   "people_url": "$(cat "$d/base")", "page_size": 7}},
 "streams": [{"name": "contacts", "left": "contact", "right": "contact", "conflict": {"policy": "left-wins"},
              "guards": {"max_delete_share": 1, "max_update_share": 1, "max_create_share": 100}}]}
JSON
  people "$d" seed 1 20 || { echo "FAIL seeding Google"; exit 1; }
}
release() { kill "$(cat "$1/peer.pid")" 2>/dev/null; wait "$(cat "$1/peer.pid")" 2>/dev/null; rm -f "$1/peer.pid"; }

edit() {
  local d=$1 r=$2 f n
  for f in "$d"/book/*.vcf; do
    n=$(sed -n 's/^EMAIL[^:]*:[a-z]*\([0-9]*\)@.*/\1/p' "$f" | tr -d '\r' | head -1)
    [ -n "$n" ] || continue
    if [ $((n % 7)) = "$r" ]; then sed -i "s/^TITLE:.*/TITLE:edited in the folder $r\r/" "$f"
    elif [ $((n % 13)) = $((r + 1)) ]; then rm "$f"; fi
  done
  for n in $(seq $((1000 * r + 500)) $((1000 * r + 504))); do card "$n" "Made in the folder $n" > "$d/book/new$n.vcf"; done
  people "$d" edit "$r" || { echo "FAIL editing Google"; exit 1; }
}

# contents DIR SIDE: each contact's [email, given, family, title], sorted
contents() {
  if [ "$2" = left ]; then
    for f in "$1"/book/*.vcf; do
      tr -d '\r' < "$f" | awk -F: '/^EMAIL/{e=$2} /^N:/{split($2,n,";")} /^TITLE/{t=substr($0,7)} END{printf "[\"%s\",\"%s\",\"%s\",\"%s\"]\n", e, n[2], n[1], t}'
    done | sort
  else
    curl -s "$(cat "$1/base")/__dump" | node -e '
      const d=JSON.parse(require("fs").readFileSync(0));
      for (const p of Object.values(d.people.persons)) {
        if (p.deleted) continue;
        const x=p.data, n=(x.names||[])[0]||{};
        console.log(JSON.stringify([((x.emailAddresses||[])[0]||{}).value||"", n.givenName||"", n.familyName||"", ((x.organizations||[])[0]||{}).title||""]));
      }' | sort
  fi
}
duplicates() {
  local mails
  mails=$(contents "$1" "$2" | node -e 'require("fs").readFileSync(0,"utf8").split("\n").filter(Boolean).forEach(l=>console.log(JSON.parse(l)[0]))')
  echo $(( $(printf '%s\n' "$mails" | grep -c .) - $(printf '%s\n' "$mails" | grep . | sort -u | wc -l) ))
}
leftovers() { find "$1/book" -name '.*.tmp-*' -o -name '*.tmp' | sed "s|^$work/||"; }
lost() { :; }

campaign google_contacts
exit $fail
