#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The SIGKILL campaign (lib.sh) over the local sqlite store ⇄ crm-rest, both
# ways, no match keys (only the idempotency key stands between a killed run
# and a duplicate), left wins a conflict. KIND json-server: json-server
# behind tests/peers/json_server_peer.js; salesforce: the Salesforce fake
# (upserts by external id in sObject Collections). Each round has a peer of
# its own, started by the crm-rest tests' lib.sh on a free loopback port.
# 100 rich contacts in sqlite, 60 in the CRM; between phases each side
# updates, deletes and creates (the CRM's edits as its users make them,
# through crm_peer.js).
#
# Usage: sqlite_crm.sh ACCORD CONFORMANCE PLUGIN PEERS_DIR KIND   (CRASH_KILLS, CRASH_SEED: lib.sh)
crm_kind=$5
here=$(dirname "$(realpath "${BASH_SOURCE[0]}")")
. "$here/../../plugins/crm-rest/tests/lib.sh" "$1" "$2" "$3" "$4"  # report.sh, $work (cd there), start_peer, secrets
. "$here/lib.sh"
peer_js=$here/crm_peer.js
seed_store=left.sqlite

token="tok-$RANDOM$RANDOM" sf_secret="cs-$RANDOM$RANDOM" sf_refresh="rt-$RANDOM$RANDOM"
secrets "{\"crm\": \"$token\", \"sf_secret\": \"$sf_secret\", \"sf_refresh\": \"$sf_refresh\"}"
export CRM_TOKEN=$token SF_CLIENT_ID=accord-test SF_CLIENT_SECRET=$sf_secret SF_REFRESH_TOKEN=$sf_refresh
crm() { node "$peer_js" "$crm_kind" "$(cat "$1/base")" "${@:2}"; }

email="(SELECT json_extract(value, '\$.address') FROM json_each(data, '\$.emails') LIMIT 1)"
num="CAST(substr($email, 2, instr($email, '@') - 2) AS INTEGER)"  # 17 of s17@… or c17@…
record() {  # record N: a rich contact of uid s-N, email sN@example.org
  printf '{"@type": "Card", "uid": "urn:uuid:s-%s", "name": {"full": "Sam Sqlite%s", "components": [{"kind": "given", "value": "Sam"}, {"kind": "surname", "value": "Sqlite%s"}]},
 "nicknames": {"n1": {"name": "Sammy%s"}}, "emails": {"e1": {"address": "s%s@example.org"}}, "phones": {"p1": {"number": "+44207946%04d"}},
 "organizations": {"o1": {"name": "Sqlite Org %s"}}, "titles": {"t1": {"name": "Analyst"}},
 "addresses": {"a1": {"components": [{"kind": "name", "value": "%s Low Rd"}, {"kind": "locality", "value": "City"}], "countryCode": "GB"}},
 "notes": {"x1": {"note": "note of s%s"}}}\n' "$1" "$1" "$1" "$1" "$1" "$1" "$1" "$1" "$1"
}
seed() {  # seed DIR NAME FROM TO: records FROM..TO created in DIR/left.sqlite
  local i
  mkdir -p "$1/$2/contact"
  for ((i = $3; i <= $4; i++)); do record "$i" > "$1/$2/contact/s$i.json"; done
  seed_sqlite "$1" "$2" contact
}

mkdir -p init
seed init seed0 1 100

prepare() {
  local d=$1
  cp -r "$work/init/." "$d/"
  mkdir -p "$d/peer"
  cd "$d/peer"
  if [ "$crm_kind" = salesforce ]; then
    start_peer node "$peers/salesforce_fake.js"
    config="{\"profile\": \"salesforce\", \"base_url\": \"$base/services/data/v59.0\",
             \"auth\": {\"client_id\": \"accord-test\", \"client_secret\": {\"\$secret\": \"sf_secret\"}, \"refresh_token\": {\"\$secret\": \"sf_refresh\"}}}"
  else
    echo '{"contacts": [], "notes": []}' > db.json
    PEER_TOKEN=$token start_peer node "$peers/json_server_peer.js" db.json
    config="{\"profile\": \"json-server\", \"base_url\": \"$base\", \"auth\": {\"type\": \"bearer\", \"token\": {\"\$secret\": \"crm\"}},
             \"streams\": {\"contact\": {\"page_size\": 50, \"changes\": {\"full_listing_hours\": 0}}}}"
  fi
  cd "$work"
  echo "$peer_pid" > "$d/peer.pid"
  echo "$base" > "$d/base"
  cat > "$d/p.json" <<JSON
{"name": "crash", "state": "state.sqlite",
 "left": {"connector": "local", "config": {"backend": "sqlite", "path": "left.sqlite"}},
 "right": {"connector": "crm-rest", "config": $config},
 "streams": [{"name": "contacts", "left": "contact", "right": "contact", "conflict": {"policy": "left-wins"},
              "guards": {"max_delete_share": 1, "max_update_share": 1, "max_create_share": 100}}]}
JSON
  crm "$d" seed 1 60 || { echo "FAIL seeding the CRM"; exit 1; }
}
release() { kill "$(cat "$1/peer.pid")" 2>/dev/null; wait "$(cat "$1/peer.pid")" 2>/dev/null; }

edit() {
  local d=$1 r=$2
  sqlite3 "$d/left.sqlite" "UPDATE r_contact SET data = json_set(data, '\$.phones', json('{\"p1\": {\"number\": \"+1555000$r\"}}')) WHERE deleted = 0 AND $num % 7 = $r;
                            UPDATE r_contact SET data = json_set(data, '\$.notes', json('{\"x1\": {\"note\": \"edited sqlite $r\"}}')) WHERE deleted = 0 AND $num % 9 = $r;
                            UPDATE r_contact SET deleted = 1, data = NULL WHERE deleted = 0 AND $num % 13 = $r + 1;"
  seed "$d" "seed$r" $((1000 * r + 500)) $((1000 * r + 514))
  crm "$d" edit "$r" || { echo "FAIL editing the CRM"; exit 1; }
}

contents() {
  if [ "$2" = left ]; then sqlite3 "$1/left.sqlite" "SELECT data FROM r_contact WHERE deleted = 0" | sort
  else crm "$1" contents; fi
}
duplicates() {
  if [ "$2" = left ]; then sqlite3 "$1/left.sqlite" "SELECT count(*) - count(DISTINCT $email) FROM r_contact WHERE deleted = 0"
  else crm "$1" duplicates; fi
}
leftovers() { :; }
# lost DIR: fields every record has on a side; the sqlite store's own records
# keep what the CRM has no field for (uid, nicknames, addresses), except those it
# deleted while the CRM edited them (n % 13 = 2 or 3: they come back as the
# CRM holds them)
lost() {
  local f n fields="emails phones titles notes name"
  [ "$crm_kind" = json-server ] && fields="$fields organizations"
  for f in $fields; do
    n=$(sqlite3 "$1/left.sqlite" "SELECT count(*) FROM r_contact WHERE deleted = 0 AND json_extract(data, '\$.$f') IS NULL")
    [ "$n" = 0 ] || echo "sqlite: $n records without $f"
  done
  for f in uid nicknames addresses; do
    n=$(sqlite3 "$1/left.sqlite" "SELECT count(*) FROM r_contact WHERE deleted = 0 AND $email LIKE 's%'
                                  AND json_extract(data, '\$.$f') IS NULL AND $num % 13 NOT IN (2, 3)")
    [ "$n" = 0 ] || echo "sqlite: $n of its own records lost $f"
  done
  crm "$1" lost
}

campaign "sqlite_${crm_kind//-/_}"
exit $fail
