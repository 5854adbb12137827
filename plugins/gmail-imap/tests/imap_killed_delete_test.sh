#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gmail-imap: a delete (\Deleted, then UID EXPUNGE) or a move without MOVE
# (COPY, \Deleted on the source, UID EXPUNGE) killed between the \Deleted
# and the expunge (ACCORD_FAILPOINT=gmail-imap.after_mark_deleted, as a
# SIGKILL there; crash.maildir_imap found it at random: the server kept the
# message flagged \Deleted for good, the next runs reading it as gone). The
# next run finishes the expunge of what the killed one marked, and never
# expunges a message another client marked \Deleted. Against a real Dovecot
# in the four dialects (QRESYNC, CONDSTORE only, neither, neither nor MOVE).
# Usage: imap_killed_delete_test.sh ACCORD DOVECOT_SCRIPT IMAPCTL
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../../../tests/report.sh"  # ok, bad, runp (before any cd)
. "$(dirname "${BASH_SOURCE[0]}")/mail_lib.sh"                # mail_work, dovecot, ctl, imap, maildir, pipeline
accord=$(realpath "$1") start_dovecot=$(realpath "$2") imapctl=$(realpath "$3")
mail_work imap-killed
file_of() { grep -rl --exclude-dir=.accord "<$2@x.test>" "$1" | head -1; }
killed_run() { { ACCORD_FAILPOINT=gmail-imap.after_mark_deleted "$accord" run "$1" > killed.out 2>&1; } 2>/dev/null; }

for dialect in QRESYNC CONDSTORE plain nomove; do
  dovecot "dc-$dialect" $dialect
  d=m-$dialect
  mkdir -p "$d"/{cur,new,tmp} "$d"/.Work/{cur,new,tmp}
  for i in 1 2 3 4; do
    printf 'Message-ID: <m%s@x.test>\nFrom: a@x.test\nSubject: m%s\n\nbody %s\n' $i $i $i > "$d/cur/17000000$i.m$i.host:2,S"
  done
  printf 'Message-ID: <w1@x.test>\nFrom: a@x.test\nSubject: w1\n\nbody\n' > "$d/.Work/cur/1700000010.w1.host:2,S"
  pipeline "$d.json" "$(maildir "$d")" "$(imap)"
  runp run "$d.json"
  [ $rc = 0 ] && grep -q "applied 5 writes" <<<"$out" || bad "$dialect: the first run" "$out"

  # another client marks m4 \Deleted (and leaves it there); m1 is deleted in
  # the Maildir and the run that deletes it on IMAP dies after the \Deleted
  ctl store INBOX '<m4@x.test>' +FLAGS '\Deleted'
  rm "$(file_of "$d" m1)"
  killed_run "$d.json"; krc=$?
  [ $krc = 137 ] || bad "$dialect: the delete's run was not killed at the failpoint (exit $krc)" "$(tail -5 killed.out)"
  runp run "$d.json"; first=$out first_rc=$rc
  runp run "$d.json"
  if [ "$first_rc" = 0 ] && [ $rc = 0 ] && grep -q "nothing to do" <<<"$out" &&
     ! ctl msgids INBOX | grep -q '^m1@x.test$'; then
    ok "$dialect: a delete killed between its \\Deleted and its expunge is expunged by the next run"
  else bad "$dialect: killed delete: m1 still on the server" "INBOX: $(ctl msgids INBOX | tr '\n' ' ')" \
             "m1's flags: $(ctl flags INBOX '<m1@x.test>' 2>&1)" "$first" "--- then:" "$out"; fi
  if ctl msgids INBOX | grep -q '^m4@x.test$' && ctl flags INBOX '<m4@x.test>' | grep -q '\\Deleted'; then
    ok "$dialect: a message another client marked \\Deleted is left on the server as it was"
  else bad "$dialect: another client's \\Deleted message was expunged" "INBOX: $(ctl msgids INBOX | tr '\n' ' ')"; fi

  # a move; without MOVE it is COPY, \Deleted, UID EXPUNGE and dies after the \Deleted
  mv "$(file_of "$d" m2)" "$d/.Work/cur/"
  killed_run "$d.json"; krc=$?
  if [ $dialect = nomove ]; then
    [ $krc = 137 ] || bad "$dialect: the move's run was not killed at the failpoint (exit $krc)" "$(tail -5 killed.out)"
  fi
  runp run "$d.json"; first=$out first_rc=$rc
  runp run "$d.json"
  if [ "$first_rc" = 0 ] && [ $rc = 0 ] && grep -q "nothing to do" <<<"$out" &&
     ! ctl msgids INBOX | grep -q '^m2@x.test$' && [ "$(ctl msgids Work | grep -c '^m2@x.test$')" = 1 ] &&
     [ -n "$(file_of "$d/.Work" m2)" ] && [ -z "$(file_of "$d/cur" m2)" ]; then
    ok "$dialect: a move killed after its source's \\Deleted (exit $krc) leaves the message once, in its new folder"
  else bad "$dialect: killed move (exit $krc)" "INBOX: $(ctl msgids INBOX | tr '\n' ' ')" "Work: $(ctl msgids Work | tr '\n' ' ')" \
             "$first" "--- then:" "$out"; fi
done
exit $fail
