#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The examples/outlook-crm recipe end to end against msgraph_fake.js and
# salesforce_fake.js on loopback, the pipeline and the administrator's file
# as shipped (accounts and URLs pointed at the fakes): in Manual mode only
# items categorised "Sync with Salesforce" travel, a private one stays out,
# events go one way, a Salesforce edit comes back to an Outlook contact, and
# the administrator's locks refuse a pipeline that lets private items in or
# sends events both ways; then Automatic mode on a state and a Salesforce of
# its own (all but "Don't sync with Salesforce", private items still out),
# each once.
#
# Usage: outlook_crm_test.sh ACCORD PEERS_DIR RECIPE_DIR
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../../../tests/report.sh"  # ok, bad, runp
accord=$(realpath "$1") peers=$(realpath "$2") recipe=$(realpath "$3")
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-outlook-crm.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
export HOME="$work"

ms_refresh="ms-rt-$RANDOM$RANDOM" ms_token="ms-at-$RANDOM$RANDOM" sf_secret="sf-cs-$RANDOM$RANDOM" sf_refresh="sf-rt-$RANDOM$RANDOM"
MSGRAPH_CLIENT_ID=00000000-0000-0000-0000-000000000000 MSGRAPH_USER=ada@contoso.com MSGRAPH_REFRESH_TOKEN=$ms_refresh \
  MSGRAPH_TOKEN=$ms_token node "$peers/msgraph_fake.js" > ms.out 2> ms.err &
pids+=($!)
SF_CLIENT_ID=3MVG9-your-connected-app SF_CLIENT_SECRET=$sf_secret SF_REFRESH_TOKEN=$sf_refresh node "$peers/salesforce_fake.js" > sf.out 2> sf.err &
pids+=($!)
for _ in $(seq 1 100); do grep -q '^port ' ms.out 2>/dev/null && grep -q '^port ' sf.out 2>/dev/null && break; sleep 0.1; done
ms="http://127.0.0.1:$(awk '/^port /{print $2}' ms.out)" sf="http://127.0.0.1:$(awk '/^port /{print $2}' sf.out)"
msapi() { curl -s -X"$1" -H "Authorization: Bearer $ms_token" -H 'Prefer: IdType="ImmutableId"' -H 'Content-Type: application/json' ${3:+-d "$3"} "$ms/v1.0$2"; }
# js EXPR over m (the mailbox's dump) and s (Salesforce's dump)
js() {
  node -e 'const m=JSON.parse(process.argv[1]),s=JSON.parse(process.argv[2]);console.log(eval(process.argv[3]))' \
    "$(curl -s "$ms/__dump")" "$(curl -s "$sf/__dump")" "$1"
}

printf '{"outlook_refresh_token": "%s", "salesforce_refresh_token": "%s", "salesforce_client_secret": "%s"}\n' "$ms_refresh" "$sf_refresh" "$sf_secret" > secrets.json
chmod 600 secrets.json
export ACCORD_SECRETS="$work/secrets.json" ACCORD_ADMIN="$recipe/admin.json"
node -e '
const f=require("fs"),p=JSON.parse(f.readFileSync(process.argv[1]));const [ms,sf]=process.argv.slice(2);
Object.assign(p.left.config,{graph_url:ms+"/v1.0",login_url:ms,calendar_window:{start:"2025-06-01",future_days:730}});
p.right.config.base_url=sf+"/services/data/v59.0";p.right.config.auth.token_url=sf+"/services/oauth2/token";
f.writeFileSync("outlook-crm.pipeline.json",JSON.stringify(p,null,1))' "$recipe/outlook-crm.pipeline.json" "$ms" "$sf"

# Outlook: two contacts for Salesforce and one not; a meeting for Salesforce, a private one, one not categorised
msapi POST /me/contacts '{"givenName":"Kim","surname":"Lee","displayName":"Kim Lee","emailAddresses":[{"address":"kim@example.org"}],"categories":["Sync with Salesforce"]}' > c1.out
msapi POST /me/contacts '{"givenName":"Ola","surname":"Berg","displayName":"Ola Berg","emailAddresses":[{"address":"ola@example.org"}],"categories":["Sync with Salesforce"]}' > /dev/null
msapi POST /me/contacts '{"givenName":"Pat","surname":"Home","displayName":"Pat Home","emailAddresses":[{"address":"pat@example.org"}]}' > /dev/null
ev() { msapi POST /me/events "{\"subject\":\"$1\",\"start\":{\"dateTime\":\"2026-03-0$2T10:00:00\",\"timeZone\":\"UTC\"},\"end\":{\"dateTime\":\"2026-03-0$2T11:00:00\",\"timeZone\":\"UTC\"},\"categories\":$3,\"sensitivity\":\"$4\"}" > /dev/null; }
ev "Account review" 2 '["Sync with Salesforce"]' normal
ev "Doctor" 3 '["Sync with Salesforce"]' private
ev "Lunch" 4 '[]' normal

runp run outlook-crm.pipeline.json
[ $rc = 0 ] && [ "$(js "(s.Contact||[]).length")" = 2 ] && [ "$(js "(s.Contact||[]).filter(c=>c.Email==='pat@example.org').length")" = 0 ] \
  && ok manual-mode-sends-only-categorised-contacts || bad manual-mode-sends-only-categorised-contacts "rc=$rc" "$out" "$(curl -s "$sf/__dump" | head -c 600)"
[ "$(js "(s.Event||[]).map(e=>e.Subject).sort().join(',')")" = "Account review" ] \
  && ok only-the-categorised-public-event-reaches-salesforce || bad only-the-categorised-public-event-reaches-salesforce "$(js "JSON.stringify(s.Event||[])")" "$out"
runp run outlook-crm.pipeline.json
[ $rc = 0 ] && [ "$(printf '%s' "$out" | grep -c "nothing to do")" = 3 ] && ok second-run-nothing-to-do || bad second-run-nothing-to-do "$out"

# a Salesforce edit reaches the Outlook contact (contacts go both ways); an event edited there does not come back
kim=$(js "(s.Contact||[]).find(c=>c.Email==='kim@example.org').Id")
curl -s -XPOST -H 'Content-Type: application/json' -d "{\"object\": \"Contact\", \"id\": \"$kim\", \"fields\": {\"Title\": \"Director\"}}" "$sf/__edit" > /dev/null
evid=$(js "(s.Event||[])[0].Id")
curl -s -XPOST -H 'Content-Type: application/json' -d "{\"object\": \"Event\", \"id\": \"$evid\", \"fields\": {\"Subject\": \"Renamed in Salesforce\"}}" "$sf/__edit" > /dev/null
runp run outlook-crm.pipeline.json
[ $rc = 0 ] && [ "$(js "Object.values(m.contacts).filter(c=>!c.deleted&&c.data.jobTitle==='Director').length")" = 1 ] \
  && [ "$(js "Object.values(m.events).filter(e=>!e.deleted&&e.data.subject==='Account review').length")" = 1 ] \
  && ok salesforce-contact-edit-comes-back-event-edit-does-not || bad salesforce-contact-edit-comes-back-event-edit-does-not "rc=$rc" "$out"

# the administrator locks private items out: a pipeline that lets them in is refused, naming the key
node -e 'const f=require("fs"),p=JSON.parse(f.readFileSync("outlook-crm.pipeline.json"));p.streams[1].filter.left.include_private=true;f.writeFileSync("private.json",JSON.stringify(p))'
runp run private.json
[ $rc != 0 ] && printf '%s' "$out" | grep -q "include_private" && [ "$(js "(s.Event||[]).filter(e=>e.Subject==='Doctor').length")" = 0 ] \
  && ok admin-lock-keeps-private-items-out || bad admin-lock-keeps-private-items-out "rc=$rc" "$out"
# the administrator locks the events' direction too: a pipeline sending events both ways is refused, naming the key
node -e 'const f=require("fs"),p=JSON.parse(f.readFileSync("outlook-crm.pipeline.json"));p.streams[1].direction="both";f.writeFileSync("both.json",JSON.stringify(p))'
runp run both.json
[ $rc != 0 ] && printf '%s' "$out" | grep -q "direction" && ok admin-lock-keeps-events-one-way || bad admin-lock-keeps-events-one-way "rc=$rc" "$out"

# Automatic mode (the README's "preset": "automatic") on a state and a Salesforce of its own (a second fake):
# everything but what is categorised "Don't sync with Salesforce" travels, private items still out: Kim, Ola,
# Pat and the events Account review and Lunch go; Uma (marked not to sync) and the private Doctor stay in Outlook
msapi POST /me/contacts '{"givenName":"Uma","surname":"Nosync","displayName":"Uma Nosync","emailAddresses":[{"address":"uma@example.org"}],"categories":["Don'"'"'t sync with Salesforce"]}' > /dev/null
SF_CLIENT_ID=3MVG9-your-connected-app SF_CLIENT_SECRET=$sf_secret SF_REFRESH_TOKEN=$sf_refresh node "$peers/salesforce_fake.js" > sf2.out 2> sf2.err &
pids+=($!)
for _ in $(seq 1 100); do grep -q '^port ' sf2.out 2>/dev/null && break; sleep 0.1; done
sf="http://127.0.0.1:$(awk '/^port /{print $2}' sf2.out)"
node -e 'const f=require("fs"),p=JSON.parse(f.readFileSync("outlook-crm.pipeline.json"));const sf=process.argv[1];
for (const s of p.streams) s.filter.left.preset="automatic";p.state="state/automatic.sqlite";
p.right.config.base_url=sf+"/services/data/v59.0";p.right.config.auth.token_url=sf+"/services/oauth2/token";
f.writeFileSync("automatic.json",JSON.stringify(p))' "$sf"
runp run automatic.json
[ $rc = 0 ] && [ "$(js "(s.Contact||[]).map(c=>c.Email).sort().join(',')")" = "kim@example.org,ola@example.org,pat@example.org" ] \
  && ok automatic-mode-sends-all-but-dont-sync-contacts || bad automatic-mode-sends-all-but-dont-sync-contacts "rc=$rc" "$(js "(s.Contact||[]).map(c=>c.Email).sort().join(',')")" "$out"
[ "$(js "(s.Event||[]).map(e=>e.Subject).sort().join(',')")" = "Account review,Lunch" ] \
  && ok automatic-mode-sends-uncategorised-public-events || bad automatic-mode-sends-uncategorised-public-events "$(js "JSON.stringify((s.Event||[]).map(e=>e.Subject))")" "$out"
runp run automatic.json
[ $rc = 0 ] && [ "$(printf '%s' "$out" | grep -c "nothing to do")" = 3 ] && ok automatic-second-run-nothing-to-do || bad automatic-second-run-nothing-to-do "$out"
[ "$(js "(s.Contact||[]).length")" = 3 ] && [ "$(js "Object.values(m.contacts).filter(c=>!c.deleted).length")" = 4 ] \
  && ok automatic-no-duplicates || bad automatic-no-duplicates "$(js "JSON.stringify(s.Contact)")"
exit $fail
