#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gmail-imap ⇄ local maildir: what a re-run costs (issue 22 item 6), counted
# in Dovecot's rawlog (every command the connector sends), in three dialects:
#  - nothing changed: with CONDSTORE or QRESYNC (RFC 7162) one LIST with
#    STATUS (HIGHESTMODSEQ) and no folder opened, no FETCH; without either,
#    one FLAGS scan per folder (the only way to see flag changes): O(folders)
#    commands, never O(messages);
#  - flags changed in one folder: with CONDSTORE/QRESYNC only that folder is
#    opened, and only the changed messages' header fields fetched (no body);
#  - then nothing changed again: no folder opened;
#  - the run after the first pull reads none of the Maildir's 400 files
#    back (the local connector's accord.after_commit.v1);
#  - after a run that wrote to the server (flags and a new message made in
#    the Maildir), the next run opens no folder: the writes are not read
#    back (accord.after_commit.v1).
# Usage: imap_rerun_test.sh ACCORD DOVECOT_SCRIPT IMAPCTL GEN_MAIL
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../../../tests/report.sh"  # ok, bad, runp (before any cd)
. "$(dirname "${BASH_SOURCE[0]}")/mail_lib.sh"                # mail_work, dovecot, ctl, imap, maildir, pipeline
accord=$(realpath "$1") start_dovecot=$(realpath "$2") imapctl=$(realpath "$3") gen_mail=$(realpath "$4")
mail_work imap-rerun
folders=4  # gen_mail.py's INBOX, Work, Lists/dev, Archive/2025

for dialect in QRESYNC CONDSTORE plain; do
  log="$work/rawlog-$dialect"
  mkdir -p "$log" && chmod 0777 "$log"
  rawlog=$log dovecot "dc-$dialect" "$dialect"
  python3 "$gen_mail" 400 "$work/dc-$dialect/home/ada/Maildir" --seed 5 > /dev/null
  [ "$(id -u)" = 0 ] && chown -R nobody:nogroup "$work/dc-$dialect/home"
  sent() { cat "$log"/*.in 2>/dev/null | tr -d '\r' | sed -E 's/^[0-9]+\.[0-9]+ //'; }
  opened() { sent | grep -Eic '^[^ ]+ (SELECT|EXAMINE) ' || true; }
  pipeline "p-$dialect.json" "$(maildir "m-$dialect")" "$(imap)"
  runp run "p-$dialect.json"
  runp run "p-$dialect.json"   # the first pull's own writes are not read back on the Maildir side either
  [ $rc = 0 ] && grep -q "nothing to do" <<<"$out" || bad "$dialect: the first runs" "$out"
  grep -q "read 0 changes on the left, 0 on the right" <<<"$out" &&
    ok "$dialect: after the first pull the Maildir hands back none of the files it wrote" ||
    bad "$dialect: the run after the first pull read its own writes back" "$out"

  rm -f "$log"/*
  runp run "p-$dialect.json"
  n=$(sent | wc -l) open=$(opened) fetch=$(sent | grep -Eic '^[^ ]+ UID FETCH' || true)
  if [ "$dialect" = plain ]; then
    [ $rc = 0 ] && [ "$open" -le $folders ] && [ "$fetch" -le $folders ] && [ "$n" -le $((6 + 2 * folders)) ] &&
      ok "$dialect: nothing changed: $n commands for $folders folders (a FLAGS scan each)" ||
      bad "$dialect: nothing changed cost $n commands ($open folders opened, $fetch fetches)" "$(sent)"
  else
    [ $rc = 0 ] && [ "$open" = 0 ] && [ "$fetch" = 0 ] && [ "$n" -le 6 ] &&
      ok "$dialect: nothing changed: $n commands, no folder opened" ||
      bad "$dialect: nothing changed cost $n commands ($open folders opened, $fetch fetches)" "$(sent)"
  fi

  [ "$dialect" = plain ] && continue
  ctl touch Work 3
  rm -f "$log"/*
  runp run "p-$dialect.json"
  cmds=$(sent)
  if [ $rc = 0 ] && [ "$(opened)" = 1 ] && grep -Eqi '^[^ ]+ EXAMINE "?Work"?$' <<<"$cmds" &&
     ! grep -Eqi 'BODY(\.PEEK)?\[\]' <<<"$cmds"; then
    ok "$dialect: 3 flags changed in Work: Work alone opened, no body fetched"
  else bad "$dialect: 3 flags changed in Work" "$cmds" "$out"; fi
  rm -f "$log"/*
  runp run "p-$dialect.json"
  [ $rc = 0 ] && grep -q "nothing to do" <<<"$out" && [ "$(opened)" = 0 ] &&
    ok "$dialect: then nothing changed: no folder opened" || bad "$dialect: then nothing changed" "$(sent)" "$out"

  # the run's own writes are not read back (accord.after_commit.v1): flags
  # changed and a message made in the Maildir are written to the server; the
  # run after opens no folder (a folder a message left, by a delete or a
  # move, is still read: the host forgets the old id from that listing)
  md="m-$dialect"
  for x in $(ls "$md/.Work/cur" | grep -v ":2,FS$" | head -3); do mv "$md/.Work/cur/$x" "$md/.Work/cur/${x%%:2,*}:2,FS"; done
  printf 'Message-ID: <own-%s@x.test>\nFrom: a@x.test\nSubject: made here\n\nbody\n' "$dialect" > "$md/.Work/new/own-$dialect"
  runp run "p-$dialect.json"; first=$out first_rc=$rc
  rm -f "$log"/*
  runp run "p-$dialect.json"
  if [ "$first_rc" = 0 ] && grep -Eq '[1-9][0-9]* to (create|update|delete)' <<<"$first" && [ $rc = 0 ] &&
     grep -q "nothing to do" <<<"$out" && [ "$(opened)" = 0 ]; then
    ok "$dialect: after a run that wrote (flags, a new message), the next opens no folder"
  else bad "$dialect: the run after one that wrote opened $(opened) folders" "$(sent | grep -Ei '(SELECT|EXAMINE|FETCH) ')" \
           "--- writing run:" "$first" "--- then:" "$out"; fi

  # a write whose listed form could not be read back (the read after the
  # writes failed): the state holds the form the host sent, so the next run
  # reads Work again rather than moving past that write
  printf 'Message-ID: <unlisted-%s@x.test>\nFrom: a@x.test\nSubject: not read back\n\nbody\n' "$dialect" > "$md/.Work/new/unlisted-$dialect"
  ACCORD_FAILPOINT=gmail-imap.listed_forms:FAIL "$accord" run "p-$dialect.json" > unlisted.out 2>&1; first_rc=$?
  rm -f "$log"/*
  runp run "p-$dialect.json"
  if [ "$first_rc" = 0 ] && grep -q "1 to create" unlisted.out && [ $rc = 0 ] &&
     grep -Eqi '^[^ ]+ EXAMINE "?Work"?$' <<<"$(sent)"; then
    ok "$dialect: a write not read back as listed: the next run reads its folder again"
  else bad "$dialect: a write not read back as listed was moved past (the next run opened $(opened) folders)" \
           "--- writing run:" "$(cat unlisted.out)" "--- then:" "$out"; fi
done
exit $fail
