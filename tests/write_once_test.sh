#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every write exactly once, through the accord program, on local stores:
# a run killed between its writes and their commit (ACCORD_FAILPOINT) is
# resumed with its creates sent again in batches and recorded as the target
# holds them; a lost state, or one restored from an old copy, relinks every
# copy by the idempotency key its create stored (no duplicates, no writes);
# quarantine entries go once their record is settled, and the run's summary
# says truly what was quarantined; a full disk under the state says what to
# do and the next run goes on.
# Usage: write_once_test.sh ACCORD BENCH_FOUNDATION
set -u
. "$(dirname "${BASH_SOURCE[0]}")/report.sh"  # ok, bad, runp (before any cd)
accord=$1 bench=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-once.XXXXXX")
cleanup() { [ -n "${mnt:-}" ] && umount "$mnt" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
export HOME="$work" ACCORD_ADMIN= ACCORD_SECRETS=
card() { printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:%s\r\nFN:%s\r\nEMAIL:%s@example.org\r\nEND:VCARD\r\n' "$1" "$2" "$1"; }
count() { sqlite3 "$1" "SELECT count(*) FROM r_contact WHERE deleted = 0"; }
dups() { sqlite3 "$1" "SELECT count(*) - count(DISTINCT json_extract(data, '\$.uid')) FROM r_contact WHERE deleted = 0"; }
vdups() { grep -h '^UID:' "$1"/*.vcf | sort | uniq -d | wc -l; }
pipeline() {  # NAME LEFT_BACKEND LEFT_PATH RIGHT_BACKEND RIGHT_PATH: NAME.json, no match keys
  printf '{"name": "%s", "state": "%s-state.sqlite",
 "left": {"connector": "local", "config": {"backend": "%s", "path": "%s", "create": true}},
 "right": {"connector": "local", "config": {"backend": "%s", "path": "%s", "create": true}},
 "streams": [{"left": "contact", "right": "contact"}]}\n' "$1" "$1" "$2" "$3" "$4" "$5" > "$1.json"
}
killed_run() { ACCORD_FAILPOINT=apply.after_write "$accord" run "$1" > /dev/null 2>&1; }
# a store's records without ids, sorted
records() { sqlite3 "$1" "SELECT data FROM r_contact WHERE deleted = 0 ORDER BY json_extract(data, '\$.uid')"; }

# -- a killed first sync into a vCard folder: resumed, the sources stay as they were
"$bench" populate rich.sqlite 100 > /dev/null
sqlite3 rich.sqlite "UPDATE r_contact SET data = json_set(data,
  '\$.nicknames', json('{\"n1\": {\"name\": \"Nick\"}}'),
  '\$.addresses', json('{\"a1\": {\"components\": [{\"kind\": \"name\", \"value\": \"High St\"}, {\"kind\": \"locality\", \"value\": \"Town\"}], \"countryCode\": \"GB\"}}'))"
before=$(records rich.sqlite)
pipeline rich sqlite rich.sqlite vcard book
killed_run rich.json
files=$(ls book/*.vcf 2>/dev/null | wc -l)
journal=$(sqlite3 rich-state.sqlite "SELECT count(*) FROM journal")
status=$("$accord" status rich.json 2>&1)
printf '%s' "$status" | grep -q "interrupted: the next run resumes it" && ! printf '%s' "$status" | grep -q " running" \
  && ok killed-run-shown-interrupted || bad killed-run-shown-interrupted "$status"
runp run rich.json
[ "$files" = 100 ] && [ "$journal" = 100 ] && [ $rc = 0 ] && printf '%s' "$out" | grep -q "100 pending creates sent again" \
  && [ "$(ls book/*.vcf | wc -l)" = 100 ] && [ "$(sqlite3 rich-state.sqlite "SELECT count(*) FROM journal")" = 0 ] \
  && ok killed-create-resumed-once || bad killed-create-resumed-once "files=$files journal=$journal rc=$rc" "$out"
# an edit on each side after the resume: only the edits travel
sqlite3 rich.sqlite "UPDATE r_contact SET data = json_set(data, '\$.name.full', 'Left ' || json_extract(data, '\$.name.full'))
                     WHERE CAST(substr(json_extract(data, '\$.uid'), 16) AS INTEGER) % 10 = 1"
sed -i 's/^FN:Person 2\r$/FN:Right two\r/' book/bench-2.vcf
runp run rich.json
runp run rich.json; last=$out
after=$(records rich.sqlite | sed 's/"full":"Left Person /"full":"Person /; s/"full":"Right two"/"full":"Person 2"/')
[ "$before" = "$after" ] && printf '%s' "$last" | grep -q "nothing to do" && grep -q '^FN:Left Person 1' book/bench-1.vcf \
  && ok resumed-creates-leave-sources-whole \
  || bad resumed-creates-leave-sources-whole "$(diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") | head -6)" "$last"

# -- a killed first sync of 2,000 records: the resume sends them in one batch, not one call each
"$bench" populate big.sqlite 2000 > /dev/null
pipeline big sqlite big.sqlite sqlite big-copy.sqlite
killed_run big.json
trace=$(ACCORD_TRACE=1 "$accord" run big.json 2>&1)
calls=$(printf '%s\n' "$trace" | sed '/reading left/q' | grep -c "applied [0-9]* of 2000")
[ "$calls" = 1 ] && [ "$(count big-copy.sqlite)" = 2000 ] && [ "$(dups big-copy.sqlite)" = 0 ] \
  && ok resume-sends-creates-in-batches || bad resume-sends-creates-in-batches "apply batches: $calls" "$trace"

# -- Ctrl-C in the middle of applying: a line of its own that says what to do, exit 130; the next run resumes
"$bench" populate int.sqlite 300 > /dev/null
pipeline int sqlite int.sqlite sqlite int-copy.sqlite
int_out=$(ACCORD_FAILPOINT=apply.after_write:INT "$accord" run int.json 2>&1); int_rc=$?
tty_out=$(ACCORD_FAILPOINT=apply.after_write:INT script -qec "$accord run int.json" /dev/null 2>&1); tty_rc=$?
runp run int.json
[ $int_rc = 130 ] && printf '%s\n' "$int_out" | grep -qx "accord: interrupted: run again to resume (nothing is lost)" \
  && [ $tty_rc = 130 ] && printf '%s' "$tty_out" | tr -d '\r' | grep -q '^accord: interrupted: run again to resume' \
  && [ "$(count int-copy.sqlite)" = 300 ] && [ "$(dups int-copy.sqlite)" = 0 ] \
  && ok ctrl-c-says-resume-and-resumes || bad ctrl-c-says-resume-and-resumes "rc=$rc tty_rc=$tty_rc $(count int-copy.sqlite)" "$out" "$tty_out"

# -- the state is lost (a new machine): every copy is found by its key; nothing written
for p in big rich; do
  mv "$p-state.sqlite" "$p-state.lost"; rm -f "$p-state.sqlite-wal" "$p-state.sqlite-shm"
  runp run "$p.json"
  [ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" \
    && ok "lost-state-relinks-$p" || bad "lost-state-relinks-$p" "rc=$rc" "$out"
done
[ "$(count big.sqlite)" = 2000 ] && [ "$(count big-copy.sqlite)" = 2000 ] && [ "$(dups big-copy.sqlite)" = 0 ] \
  && [ "$(ls book/*.vcf | wc -l)" = 100 ] && [ "$(vdups book)" = 0 ] && [ "$(count rich.sqlite)" = 100 ] \
  && ok lost-state-no-duplicates || bad lost-state-no-duplicates "$(count big-copy.sqlite) $(ls book/*.vcf | wc -l) $(count rich.sqlite)"
# and again: the relinked pairs are linked for good
runp run big.json
printf '%s' "$out" | grep -q "read 0 changes on the left, 0 on the right" && printf '%s' "$out" | grep -q "nothing to do" \
  && ok relinked-state-is-quiet || bad relinked-state-is-quiet "$out"

# -- a state restored from an old copy: the copies made since are found again
# (10 new of 20: at the creates guard's limit, half of the other side)
mkdir -p cards
for i in $(seq 1 20); do card "c$i" "Card $i" > "cards/c$i.vcf"; done
pipeline old vcard cards sqlite old.sqlite
"$accord" run old.json > /dev/null
cp old-state.sqlite old-state.backup
for i in $(seq 21 30); do card "c$i" "Card $i" > "cards/c$i.vcf"; done
sqlite3 old.sqlite "UPDATE r_contact SET data = json_set(data, '\$.name.full', 'Edited') WHERE json_extract(data, '\$.uid') = 'c3'"
"$accord" run old.json > /dev/null
cp old-state.backup old-state.sqlite; rm -f old-state.sqlite-wal old-state.sqlite-shm
runp run old.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && [ "$(count old.sqlite)" = 30 ] && [ "$(dups old.sqlite)" = 0 ] \
  && [ "$(ls cards/*.vcf | wc -l)" = 30 ] && grep -q '^FN:Edited' cards/c3.vcf \
  && ok old-state-relinks-newer-copies || bad old-state-relinks-newer-copies "rc=$rc $(count old.sqlite) $(ls cards | wc -l)" "$out"

# -- quarantine: a delete refused once, then done: the entry goes
# (the store writes a create as an INSERT, an update or a delete in place: an UPDATE)
trig() { sqlite3 old.sqlite "CREATE TRIGGER refuse BEFORE INSERT ON r_contact WHEN $1 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;
  CREATE TRIGGER refuse_in_place BEFORE UPDATE ON r_contact WHEN $1 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"; }
untrig() { sqlite3 old.sqlite "DROP TRIGGER refuse; DROP TRIGGER refuse_in_place"; sqlite3 old-state.sqlite "UPDATE quarantine SET next_retry = 0"; }
quarantined() { "$accord" status old.json | sed -n 's/^quarantined records: //p'; }
rm cards/c1.vcf
trig "NEW.deleted = 1"
runp run old.json; first=$out; q1=$(quarantined)
untrig
runp run old.json
[ "$q1" = 1 ] && printf '%s' "$first" | grep -q "1 failed (1 quarantined" && [ $rc = 0 ] && [ "$(count old.sqlite)" = 29 ] \
  && [ "$(quarantined)" = 0 ] && ok quarantined-delete-released-after-retry \
  || bad quarantined-delete-released-after-retry "q1=$q1 rc=$rc now=$(quarantined)" "$first" "$out"

# -- quarantine: an update answered with an error that had landed all the same: the entry goes
sed -i "s/^FN:Card 5\r$/FN:Card Five\r/" cards/c5.vcf
trig "NEW.deleted = 0 AND json_extract(NEW.data, '\$.uid') = 'c5'"
runp run old.json; q1=$(quarantined)
untrig
sqlite3 old.sqlite "UPDATE r_contact SET data = json_set(data, '\$.name.full', 'Card Five') WHERE json_extract(data, '\$.uid') = 'c5'"
runp run old.json
[ "$q1" = 1 ] && [ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && [ "$(quarantined)" = 0 ] \
  && ok quarantined-update-released-when-landed || bad quarantined-update-released-when-landed "q1=$q1 rc=$rc now=$(quarantined)" "$out"

# -- a create refused: status lists its record as quarantined, not as one the
# next run copies (review s19: a refused copy said "waiting" run after run)
card c31 "Card 31" > cards/c31.vcf
trig "json_extract(NEW.data, '\$.uid') = 'c31'"
runp run old.json; first=$out
line=$("$accord" status old.json | grep -a "Card 31")
untrig
runp run old.json
grep -q "quarantined: its copy to the right side failed" <<<"$line" && ! grep -q "next run copies" <<<"$line" && [ $rc = 0 ] \
  && [ "$(sqlite3 old.sqlite "SELECT count(*) FROM r_contact WHERE deleted = 0 AND json_extract(data, '\$.uid') = 'c31'")" = 1 ] \
  && ok quarantined-create-status-says-so || bad quarantined-create-status-says-so "status: $line" "$first" "$out"

# -- a copy deleted while its source changed comes back: its create (with the
# same derived key) must make a new record, not answer the deleted one
"$bench" populate back.sqlite 3 > /dev/null
pipeline back sqlite back.sqlite sqlite back-copy.sqlite
"$accord" run back.json > /dev/null
sqlite3 back-copy.sqlite "UPDATE r_contact SET deleted = 1, data = NULL WHERE json_extract(data, '\$.uid') = 'urn:uuid:bench-1'"
sqlite3 back.sqlite "UPDATE r_contact SET data = json_set(data, '\$.name.full', 'Changed') WHERE json_extract(data, '\$.uid') = 'urn:uuid:bench-1'"
runp run back.json
[ $rc = 0 ] && [ "$(count back-copy.sqlite)" = 3 ] \
  && [ "$(sqlite3 back-copy.sqlite "SELECT json_extract(data, '\$.name.full') FROM r_contact WHERE deleted = 0 AND json_extract(data, '\$.uid') = 'urn:uuid:bench-1'")" = Changed ] \
  && ok deleted-copy-of-changed-record-comes-back || bad deleted-copy-of-changed-record-comes-back "rc=$rc $(count back-copy.sqlite)" "$out"

# -- the target's own form of a new copy is never taken for an edit: a vCard
# edited before any quiet run sends back only the edit (not what the vCard
# form changed: kind, version, an address's country code)
"$bench" populate form.sqlite 5 > /dev/null
sqlite3 form.sqlite "UPDATE r_contact SET data = json_set(data, '\$.addresses',
  json('{\"a1\": {\"components\": [{\"kind\": \"locality\", \"value\": \"Town\"}], \"countryCode\": \"GB\"}}'))"
form_before=$(records form.sqlite)
pipeline form sqlite form.sqlite vcard formbook
"$accord" run form.json > /dev/null
sed -i 's/^FN:Person 3\r$/FN:Person Three\r/' formbook/bench-3.vcf
runp run form.json
form_after=$(records form.sqlite | sed 's/"full":"Person Three"/"full":"Person 3"/')
[ $rc = 0 ] && [ "$form_before" = "$form_after" ] && printf '%s' "$out" | grep -q "1 to update" \
  && ok target-form-not-taken-for-edit \
  || bad target-form-not-taken-for-edit "$(diff <(printf '%s\n' "$form_before") <(printf '%s\n' "$form_after") | head -6)" "$out"

# -- a full disk under the state: a message that says what to do; space back, the run goes on, nothing twice
mnt="$work/small"
mkdir -p "$mnt"
if mount -t tmpfs -o size=640k tmpfs "$mnt" 2>/dev/null; then
  "$bench" populate full.sqlite 3000 > /dev/null
  printf '{"name": "full", "state": "%s/state.sqlite",
 "left": {"connector": "local", "config": {"backend": "sqlite", "path": "full.sqlite"}},
 "right": {"connector": "local", "config": {"backend": "sqlite", "path": "full-copy.sqlite"}},
 "streams": [{"left": "contact", "right": "contact"}]}\n' "$mnt" > full.json
  runp run full.json
  first=$out first_rc=$rc
  [ $rc != 0 ] && printf '%s' "$first" | grep -q "the disk is full" && printf '%s' "$first" | grep -q "free some space" \
    && ! printf '%s' "$first" | grep -q "disk I/O error" \
    && ok full-disk-says-what-to-do || bad full-disk-says-what-to-do "rc=$first_rc" "$first"
  mount -o remount,size=64m "$mnt"
  runp run full.json
  again=$out
  runp run full.json
  [ "$(count full-copy.sqlite)" = 3000 ] && [ "$(dups full-copy.sqlite)" = 0 ] && printf '%s' "$out" | grep -q "nothing to do" \
    && ok full-disk-then-space-goes-on-once || bad full-disk-then-space-goes-on-once "$(count full-copy.sqlite) copies" "$again" "$out"
else
  bad full-disk-says-what-to-do "could not mount a small tmpfs (the test needs root)"
fi

exit $fail
