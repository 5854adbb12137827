#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Losses a converter makes are said per record (issue 21): a contact whose
# email and phone carry labels (JSContact "label", which a vCard has no
# place for) copied from a JSON folder into a vCard folder: the run says
# under that write which of its fields stayed behind, a record without
# labels says nothing, and `accord status` counts them among the run's sync
# issues; the fields the vCard folder keeps whole (/emails) are not called
# lost by the manifest alone.
# Usage: converter_losses_test.sh ACCORD
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../../../tests/report.sh"  # ok, bad, runp
accord=$(realpath "$1")
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-converter-losses.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export HOME="$work" ACCORD_ADMIN= ACCORD_SECRETS=

mkdir -p left/contact
printf '{"@type":"Card","uid":"u1","name":{"full":"Ann Lee"},"emails":{"e1":{"address":"a@x.org","label":"private mail"}},"phones":{"p1":{"number":"+1 555 0100","label":"spouse"}}}\n' > left/contact/c1.json
printf '{"@type":"Card","uid":"u2","name":{"full":"Bo Kim"},"emails":{"e1":{"address":"b@x.org"}}}\n' > left/contact/c2.json
printf '{"name": "l", "state": "l-state.sqlite",
 "left": {"connector": "local", "config": {"backend": "json", "path": "left"}},
 "right": {"connector": "local", "config": {"backend": "vcard", "path": "book", "create": true}},
 "streams": [{"left": "contact", "right": "contact"}]}\n' > l.json

# accord.check.v1: the plan says the same per record before anything is
# written (the vCard folder's converter asked, nothing written), in its text
# and in --json
runp plan l.json
python3 - "$out" <<'PY' && ok plan-says-what-the-converter-would-drop-per-record || bad plan-says-what-the-converter-would-drop-per-record "rc=$rc" "$out"
import sys
lines = sys.argv[1].splitlines()
def after(label):
    i = next(i for i, l in enumerate(lines) if l.strip().startswith("+ right create " + label))
    return lines[i + 1] if i + 1 < len(lines) else ""
ann, bo = after("Ann Lee"), after("Bo Kim")
assert "stays behind" in ann and "/emails/e1/label" in ann and "/phones/p1/label" in ann, ann
assert "stays behind" not in bo, bo
PY
if [ -z "$(ls -A book 2>/dev/null | grep -v '^\.accord$')" ]; then ok plan-writes-nothing; else bad plan-writes-nothing "$(ls -la book)"; fi
runp plan --json l.json
python3 - "$out" <<'PY' && ok plan-json-carries-what-the-converter-would-drop || bad plan-json-carries-what-the-converter-would-drop "rc=$rc" "$out"
import json, sys
ops = [json.loads(l) for l in sys.argv[1].splitlines() if l.startswith("{")]
ops = {o["label"]: o for o in ops if o.get("type") == "op"}
assert "/emails/e1/label" in ops["Ann Lee"].get("left_behind", []), ops["Ann Lee"]
assert "/phones/p1/label" in ops["Ann Lee"].get("left_behind", []), ops["Ann Lee"]
assert "left_behind" not in ops["Bo Kim"], ops["Bo Kim"]
PY
runp run l.json
python3 - "$out" <<'PY' && ok run-says-what-the-converter-dropped-per-record || bad run-says-what-the-converter-dropped-per-record "rc=$rc" "$out"
import sys
lines = sys.argv[1].splitlines()
def after(label):
    i = next(i for i, l in enumerate(lines) if l.strip().startswith("+ right create " + label))
    return lines[i + 1] if i + 1 < len(lines) else ""
ann, bo = after("Ann Lee"), after("Bo Kim")
assert "stays behind" in ann and "/emails/e1/label" in ann and "/phones/p1/label" in ann, ann
assert "stays behind" not in bo, bo
PY
runp status l.json
if echo "$out" | grep -q "sync issues of run #1" && echo "$out" | grep -q "/emails/e1/label (1)" && echo "$out" | grep -q "/phones/p1/label (1)"; then
  ok status-counts-converter-losses
else
  bad status-counts-converter-losses "$out"
fi
# the next run: nothing to do (what stayed behind is not a change)
runp run l.json
echo "$out" | grep -q "nothing to do" && ok then-nothing-to-do || bad then-nothing-to-do "$out"

# A default a converter leaves implicit is not a loss: an alert relative to
# the start (JSCalendar's default relativeTo) written into an .ics file reads
# back without "relativeTo" (RFC 8984 section 4.5.2: "start" when absent).
mkdir -p evl/event
printf '{"@type":"Event","uid":"e1","title":"Standup","start":"2026-03-02T09:00:00","timeZone":"Europe/Berlin","duration":"PT15M","alerts":{"a1":{"@type":"Alert","trigger":{"@type":"OffsetTrigger","offset":"-PT10M","relativeTo":"start"},"action":"display"}}}\n' > evl/event/e1.json
printf '{"name": "ev", "state": "ev-state.sqlite",
 "left": {"connector": "local", "config": {"backend": "json", "path": "evl"}},
 "right": {"connector": "local", "config": {"backend": "icalendar", "path": "cal", "create": true}},
 "streams": [{"left": "event", "right": "event"}]}\n' > ev.json
runp run ev.json
if [ "$rc" = 0 ] && echo "$out" | grep -q "right create Standup" && ! echo "$out" | grep -q "relativeTo"; then
  ok an-implicit-relativeTo-start-is-not-a-loss
else
  bad an-implicit-relativeTo-start-is-not-a-loss "rc=$rc" "$out"
fi

# A pair with mapping rules: what the converter dropped is said by the field
# the rule reads on the source side (the mapping says where it went).
mkdir -p ml/person
printf '{"fullName":"Cy Doe","mail":"c@x.org","mailLabel":"night shift"}\n' > ml/person/p1.json
printf '{"name": "m", "state": "m-state.sqlite",
 "left": {"connector": "local", "config": {"backend": "json", "path": "ml"}},
 "right": {"connector": "local", "config": {"backend": "vcard", "path": "mbook", "create": true}},
 "streams": [{"left": "person", "right": "contact", "mapping": [
   {"left": "/fullName", "right": "/name/full"},
   {"left": "/mail", "right": "/emails/e1/address"},
   {"left": "/mailLabel", "right": "/emails/e1/label"}]}]}\n' > m.json
runp plan m.json
python3 - "$out" <<'PY' && ok mapped-pair-plan-says-what-the-converter-would-drop-by-its-rule || bad mapped-pair-plan-says-what-the-converter-would-drop-by-its-rule "rc=$rc" "$out"
import sys
lines = sys.argv[1].splitlines()
i = next(i for i, l in enumerate(lines) if l.strip().startswith("+ right create"))
nxt = lines[i + 1] if i + 1 < len(lines) else ""
assert "stays behind" in nxt and "/mailLabel" in nxt, nxt
PY
runp run m.json
python3 - "$out" <<'PY' && ok mapped-pair-says-what-the-converter-dropped-by-its-rule || bad mapped-pair-says-what-the-converter-dropped-by-its-rule "rc=$rc" "$out"
import sys
lines = sys.argv[1].splitlines()
i = next(i for i, l in enumerate(lines) if l.strip().startswith("+ right create"))
nxt = lines[i + 1] if i + 1 < len(lines) else ""
assert "stays behind" in nxt and "/mailLabel" in nxt, nxt
PY
exit $fail
