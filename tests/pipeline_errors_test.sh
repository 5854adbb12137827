#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Bad input to the pipeline verbs: each gives one message naming the file and
# the JSON pointer, a documented exit code, and changes nothing on disk.
# Usage: pipeline_errors_test.sh ACCORD
set -u
accord=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-errors.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export HOME="$work/home" ACCORD_ADMIN= ACCORD_SECRETS=
mkdir -p home contacts
printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:x\r\nFN:Ex Ample\r\nEMAIL:x@example.org\r\nEND:VCARD\r\n' > contacts/x.vcf
fail=0
# The folder index is the connector's cache and a lock file names its last
# holder: neither is data.
snapshot() { find . -path ./home -prune -o -type f -print | sort | xargs md5sum 2>/dev/null | grep -v -e '\.accord/index.sqlite' -e '\.lock$'; }

good() {  # a valid pipeline, with $1 spliced into the stream pair
  cat <<JSON
{"name": "t", "state": "state.sqlite",
 "left": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "contacts"}},
 "right": {"connector": "local", "config": {"backend": "sqlite", "path": "crm.sqlite"${2:-}}},
 "streams": [{"left": "contact", "right": "crm_contact", "mapping": [{"left": "/name/full", "right": "/Name"}]$1}]}
JSON
}

check() {  # check NAME WANT_EXIT PATTERN VERB FILE
  name=$1 want=$2 pat=$3
  shift 3
  before=$(snapshot)
  out=$("$accord" "$@" 2>&1)
  rc=$?
  after=$(snapshot)
  if [ "$rc" != "$want" ]; then echo "FAIL $name: exit $rc, want $want"; echo "$out"; fail=1; return; fi
  if ! printf '%s\n' "$out" | grep -qF -- "$pat"; then echo "FAIL $name: output lacks: $pat"; echo "$out"; fail=1; return; fi
  if [ "$before" != "$after" ]; then echo "FAIL $name: files changed"; fail=1; return; fi
  echo "ok   $name"
}

printf '{"name": "t",\n "left": {"connector": "local"}\n "right": 1}\n' > malformed.json
check malformed-json 3 "malformed.json: line 3, column 2: not valid JSON" validate malformed.json

good '' | sed 's/"connector": "local", "config": {"backend": "vcard", "create": true/"connector": "salesforce", "config": {"backend": "vcard", "create": true/' > unknown-connector.json
check unknown-connector 3 'unknown-connector.json: /left/connector: no connector "salesforce" is installed (installed: crm-rest, gmail-imap, google-api, local' validate unknown-connector.json

good '' | sed 's/"right": "crm_contact"/"right": "Crm Contact"/' > unknown-stream.json
check unknown-stream 3 'unknown-stream.json: /streams/0/right: connector local has no stream "Crm Contact"' validate unknown-stream.json

good '' | sed 's|"left": "/name/full"|"left": "name/full"|' > bad-field.json
check bad-field 3 'bad-field.json: /streams/0/mapping/0/left' validate bad-field.json

good ', "mapping": [{"left": "/name/full", "right": "/Name", "transform": "shout"}]' > bad-transform.json
sed -i 's/"mapping": \[{"left": "\/name\/full", "right": "\/Name"}\],/ /' bad-transform.json
check bad-transform 3 'bad-transform.json: /streams/0/mapping/0/transform: unknown transform "shout"' validate bad-transform.json

good ', "direction": "sideways"' > bad-enum.json
check bad-direction 3 'bad-enum.json: /streams/0/direction' validate bad-enum.json

good ', "conflict": {"owners": {"/Phone": "left"}}' > bad-owner.json
check unknown-owner-field 3 'bad-owner.json: /streams/0/conflict/owners/~1Phone: is not a field of this stream pair' validate bad-owner.json

good '' ', "index_path": {"$secret": "crm-token"}' > secret.json
check missing-secret-file 3 'secret.json: /right/config/index_path: secret "crm-token": no secrets file' validate secret.json
mkdir -p home/.config/accord
printf '{"crm-token": "s3cr3t-CANARY"}\n' > home/.config/accord/secrets.json
chmod 644 home/.config/accord/secrets.json
check world-readable-secret 3 'is readable by others; run chmod 600' validate secret.json
chmod 600 home/.config/accord/secrets.json
printf '{"other": "x"}\n' > home/.config/accord/secrets.json
check secret-not-in-file 3 'secret "crm-token" is not in' validate secret.json

good '' ', "batch_size": {"$env": "ACCORD_TEST_UNSET_VAR"}' > env.json
check missing-env 3 'env.json: /right/config/batch_size: the environment variable ACCORD_TEST_UNSET_VAR is not set' validate env.json

good ', "conflict": {"policy": "left-wins"}' > locked.json
printf '{"locked": {"/streams/*/conflict/policy": "right-wins"}}\n' > admin.json
check locked-admin-key 3 'locked.json: /streams/0/conflict/policy: is locked to "right-wins" by admin.json' --admin admin.json validate locked.json

good '' ', "bogus": 1' > bad-config.json
check connector-config-schema 3 'bad-config.json: /right/config' validate bad-config.json

good '' > ok.json
check missing-pipeline-file 3 'nope.json: no such file: check the path' validate nope.json
check plan-writes-nothing 0 "to create" plan ok.json
"$accord" plan ok.json --out plan.json > /dev/null
"$accord" run ok.json > /dev/null
check plan-after-state-moved 8 "plan.json: the state moved since the plan was made" apply plan.json
check not-a-plan 3 "ok.json: /: not an Accord plan" apply ok.json

# A secret reaches the connector and nothing else: not output, not state.
printf '{"crm-token": "s3cr3t-CANARY"}\n' > home/.config/accord/secrets.json
chmod 600 home/.config/accord/secrets.json
good '' ', "index_path": {"$secret": "crm-token"}' > canary.json
out=$("$accord" --json plan canary.json 2>&1; "$accord" run canary.json 2>&1; "$accord" --json status canary.json 2>&1; "$accord" validate canary.json 2>&1)
if printf '%s' "$out" | grep -q CANARY || grep -rqa CANARY state.sqlite* 2>/dev/null; then
  echo "FAIL secret-never-printed-or-stored"; fail=1
else
  echo "ok   secret-never-printed-or-stored"
fi
exit $fail
