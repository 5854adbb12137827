#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gmail-imap: a message that a run wrote to IMAP (APPEND, or MOVE to another
# folder) and that goes before the next run is read as deleted by that run.
# The cursor of the writing run was taken before its writes, so these UIDs
# are ones it never saw; the host learnt them from APPENDUID / the move.
# Against a real Dovecot in the three dialects the connector reads
# differently: QRESYNC (VANISHED), CONDSTORE only (as Gmail), neither (a
# FLAGS scan). Each: Maildir → IMAP, then on IMAP an expunge, an expunge of
# a message flagged in the Maildir meanwhile, a message marked \Deleted; a
# move to a new folder and to a known one, each expunged after; every run
# exits 0, nothing is quarantined, the Maildir follows, then nothing to do.
# Usage: imap_appended_expunge_test.sh ACCORD DOVECOT_SCRIPT IMAPCTL
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../../../tests/report.sh"  # ok, bad, runp (before any cd)
. "$(dirname "${BASH_SOURCE[0]}")/mail_lib.sh"                # mail_work, dovecot, ctl, imap, maildir, pipeline
accord=$(realpath "$1") start_dovecot=$(realpath "$2") imapctl=$(realpath "$3")
mail_work imap-gone

# the Maildir file of message N of dir D (empty when there is none)
file_of() { grep -rl --exclude-dir=.accord "<m$2@x.test>" "$1" | head -1; }
quarantined() { sqlite3 "$1" "SELECT count(*) FROM quarantine"; }

for dialect in QRESYNC CONDSTORE plain; do
  name=dc-$dialect
  dovecot $name $dialect
  d=m-$dialect
  mkdir -p "$d"/{cur,new,tmp}
  for i in 1 2 3 4 5 6; do
    printf 'Message-ID: <m%s@x.test>\nFrom: a@x.test\nSubject: m%s\n\nbody %s\n' $i $i $i > "$d/cur/17000000$i.m$i.host:2,S"
  done
  pipeline "$d.json" "$(maildir "$d")" "$(imap)"
  runp run "$d.json"
  [ $rc = 0 ] && grep -q "applied 6 writes" <<<"$out" || bad "$dialect: the first run" "$out"

  # the run that appended them read before it did: none is in its cursor
  ctl expunge INBOX '<m2@x.test>'
  ctl expunge INBOX '<m3@x.test>'
  mv "$(file_of "$d" 3)" "$d/cur/170000003.m3.host:2,FS"   # flagged in the Maildir meanwhile
  ctl store INBOX '<m6@x.test>' +FLAGS '\Deleted'          # marked, not yet expunged
  runp run "$d.json"; first=$out first_rc=$rc
  runp run "$d.json"
  if [ "$first_rc" = 0 ] && [ $rc = 0 ] && [ "$(quarantined "$d.sqlite")" = 0 ] &&
     [ -z "$(file_of "$d" 2)" ] && [ -z "$(file_of "$d" 6)" ] && grep -q "nothing to do" <<<"$out"; then
    ok "$dialect: messages the previous run appended, expunged (or marked \\Deleted) on IMAP, are deleted from the Maildir"
  else bad "$dialect: appended, then expunged" "$first" "--- then:" "$out" "quarantined: $(quarantined "$d.sqlite")"; fi
  # the flagged one: the edit and the delete met; whichever way the host
  # settles it, both sides agree and no run fails again
  on_imap=$(ctl msgids INBOX | grep -c '^m3@x.test$')
  in_maildir=$([ -n "$(file_of "$d" 3)" ] && echo 1 || echo 0)
  [ "$on_imap" = "$in_maildir" ] && ok "$dialect: an expunged message flagged in the Maildir meanwhile settles (on both sides: $on_imap)" ||
    bad "$dialect: expunged and flagged" "on IMAP: $on_imap, in the Maildir: $in_maildir" "$first"

  # a move gives the message a new UID in the other folder (a new folder,
  # then one the cursor knows)
  mkdir -p "$d"/.Moved/{cur,new,tmp}
  for i in 4 5; do
    mv "$(file_of "$d" $i)" "$d/.Moved/cur/"
    runp run "$d.json"
    [ $rc = 0 ] && [ "$(ctl msgids Moved | grep -c "^m$i@x.test$")" = 1 ] || bad "$dialect: the move of m$i" "$out"
    ctl expunge Moved "<m$i@x.test>"
    runp run "$d.json"; first=$out first_rc=$rc
    runp run "$d.json"
    if [ "$first_rc" = 0 ] && [ -z "$(file_of "$d" $i)" ] && grep -q "nothing to do" <<<"$out"; then
      ok "$dialect: a message moved to $([ $i = 4 ] && echo a new || echo a known) folder by the previous run, then expunged there, is deleted from the Maildir"
    else bad "$dialect: moved, then expunged (m$i)" "$first" "--- then:" "$out"; fi
  done

  # and the feed stays incremental: a quiet run reads nothing (a listing
  # would read the messages left)
  runp run "$d.json"
  [ $rc = 0 ] && grep -Eq "read 0 change[ds] on the left, 0 on the right" <<<"$out" &&
    ok "$dialect: then a quiet run reads no change" || bad "$dialect: a quiet run" "$out"
done
exit $fail
