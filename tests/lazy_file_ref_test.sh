#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Review s14 F1: {"$file": path} is the shape in which the host hands a
# connector a body it fetched into its spool (accord.lazy_files.v1), and a
# Maildir target takes (removes) such a file once read (ACCORD_LAZY_FILES_TAKE).
# A record that brings that shape itself, from a store (here a JSON folder)
# naming a file of the user's, must not reach a target: the file stays where
# it is, unread and untouched, nothing is written, and the run and
# accord status say which field of which record to correct.
# Usage: lazy_file_ref_test.sh ACCORD PLUGIN_DIR
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/report.sh"  # ok, bad, runp
accord=$(realpath "$1") plugins=$(realpath "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-file-ref.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export HOME="$work" ACCORD_ADMIN= ACCORD_SECRETS=

printf 'From: a@example.org\r\nSubject: my only copy\r\nMessage-ID: <victim@example.org>\r\n\r\nnot a copy: the only one\r\n' > victim.eml
cp victim.eml victim.orig
mkdir -p J/message
printf '{"subject": "ref", "mailboxIds": {"INBOX": true}, "raw": {"$file": "%s"}}\n' "$work/victim.eml" > J/message/m1.json
cat > p.json <<JSON
{"name": "ref", "state": "st.sqlite",
 "left": {"connector": "local", "config": {"backend": "json", "path": "J", "create": true}},
 "right": {"connector": "local", "config": {"backend": "maildir", "path": "M", "index_path": "iM", "create": true}},
 "streams": [{"left": "message", "right": "message"}]}
JSON
runp --plugin-dir "$plugins" run p.json
if [ -e victim.eml ] && cmp -s victim.eml victim.orig; then ok "a file a record names is neither removed nor changed"
else bad "a file a record names is neither removed nor changed" "$out"; fi
n=$(find M -type f \( -path '*/cur/*' -o -path '*/new/*' \) 2>/dev/null | wc -l)
[ "$n" = 0 ] && ok "nothing written to the Maildir" || bad "nothing written to the Maildir ($n messages)" "$out"
if [ "$rc" != 0 ] && grep -q 'field /raw names a file' <<<"$out"; then ok "the run fails the record and names the field (exit $rc)"
else bad "the run fails the record and names the field (exit $rc)" "$out"; fi

# status names it among the quarantined (retried on its schedule: the user
# corrects the field in the source store meanwhile)
runp --plugin-dir "$plugins" status p.json
grep -q 'quarantined records: 1' <<<"$out" && grep -q 'm1.json.*field /raw names a file' <<<"$out" &&
  ok "accord status names the record and its field" || bad "accord status names the record and its field" "$out"
# and a second run writes nothing either
runp --plugin-dir "$plugins" run p.json
n=$(find M -type f \( -path '*/cur/*' -o -path '*/new/*' \) 2>/dev/null | wc -l)
[ -e victim.eml ] && [ "$n" = 0 ] && ok "a second run neither" || bad "a second run neither ($n messages)" "$out"
exit $fail
