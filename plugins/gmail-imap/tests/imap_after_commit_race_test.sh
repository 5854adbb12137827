#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gmail-imap ⇄ local maildir: another client writes while a run is between
# its own writes and their commit (issue 22 item 6, accord.after_commit.v1).
# The run writes a flag change to the server, and is stopped there
# (ACCORD_FAILPOINT=…:STOP, SIGSTOP): once right after its STORE (before
# apply reads the message back as listed), once at the end of apply (after
# that read). Meanwhile another client, in the same folder, sets a flag on
# that very message and on another one (and, in a second round, appends a
# message and expunges one).
# The run goes on (SIGCONT) and commits; after_commit must not move the
# cursor past the other client's changes: the next run brings each of them
# to the Maildir, and the one after has nothing to do. With QRESYNC and with
# CONDSTORE only (as Gmail).
# Usage: imap_after_commit_race_test.sh ACCORD DOVECOT_SCRIPT IMAPCTL GEN_MAIL
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../../../tests/report.sh"  # ok, bad, runp (before any cd)
. "$(dirname "${BASH_SOURCE[0]}")/mail_lib.sh"                # mail_work, dovecot, ctl, imap, maildir, pipeline
accord=$(realpath "$1") start_dovecot=$(realpath "$2") imapctl=$(realpath "$3") gen_mail=$(realpath "$4")
mail_work imap-race

msgid() { grep -m1 -i '^Message-ID:' "$1" | sed 's/.*<\(.*\)>.*/\1/'; }
file_of() { grep -rl --exclude-dir=.accord "<$2>" "$1" | head -1; }
letters() { local f; f=$(file_of "$1" "$2"); [[ "$f" == *:2,* ]] && printf "%s" "${f##*:2,}"; }
# stopped PID: waits (up to 120 s) until the process is stopped (SIGSTOP)
stopped() {
  local s
  for _ in $(seq 1 1200); do
    s=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [ "$s" = T ] && return 0
    sleep 0.1
  done
  return 1
}

for dialect in QRESYNC CONDSTORE; do
  dovecot "dc-$dialect" "$dialect"
  python3 "$gen_mail" 150 "$work/dc-$dialect/home/ada/Maildir" --seed 3 > /dev/null
  mkdir -p "$work/dc-$dialect/home/ada/Maildir/.Empty/"{cur,new,tmp}  # a folder that never held a message
  [ "$(id -u)" = 0 ] && chown -R nobody:nogroup "$work/dc-$dialect/home"
  md="m-$dialect"
  pipeline "p-$dialect.json" "$(maildir "$md")" "$(imap)"
  sed -i 's/"max_delete_share": 0.9/"max_delete_share": 0.9, "max_create_share": 1.0/' "p-$dialect.json"
  runp run "p-$dialect.json"
  runp run "p-$dialect.json"
  [ $rc = 0 ] && grep -q "nothing to do" <<<"$out" || bad "$dialect: the first runs" "$out"

  n=0
  for step in after_write:flags after_write:all after_apply:flags after_apply:all; do
    window=${step%%:*} kind=${step#*:}
    # four messages of Work, none flagged yet: A (flagged here, the run's
    # write), B, and D (the other client's), C new from the other client
    mapfile -t files < <(find "$md/.Work/cur" "$md/.Work/new" -type f | grep -v ':2,.*[FRD]' | sort | head -3)
    [ ${#files[@]} = 3 ] || { bad "$dialect $window: Work lacks messages to change"; continue; }
    a=$(msgid "${files[0]}") b=$(msgid "${files[1]}") d=$(msgid "${files[2]}")
    n=$((n + 1))
    c="race-$dialect-$n@x.test"
    printf 'Message-ID: <%s>\nFrom: o@x.test\nSubject: from the other client\n\nbody\n' "$c" > "c$n.eml"
    base=$(basename "${files[0]}")
    mv "${files[0]}" "$md/.Work/cur/${base%%:2,*}:2,F"
    ACCORD_FAILPOINT="gmail-imap.$window:STOP" "$accord" run "p-$dialect.json" > "race-$window.out" 2>&1 &
    pid=$!
    if ! stopped $pid; then
      bad "$dialect $window: the run never stopped between its write and its commit" "$(cat "race-$window.out")"
      kill -CONT $pid 2>/dev/null; wait $pid; continue
    fi
    # the other client, in the folder the run just wrote to
    ctl store Work "<$a>" +FLAGS '\Answered' > /dev/null
    ctl store Work "<$b>" +FLAGS '\Draft' > /dev/null
    if [ "$kind" = all ]; then
      ctl append Work "c$n.eml" > /dev/null
      ctl expunge Work "<$d>" > /dev/null
    fi
    kill -CONT $pid
    wait $pid; race_rc=$?
    grep -q "applied 1 write" "race-$window.out" || bad "$dialect $window: the stopped run did not write A's flag" "$(cat "race-$window.out")"
    runp run "p-$dialect.json"; next=$out
    runp run "p-$dialect.json"
    la=$(letters "$md" "$a") lb=$(letters "$md" "$b")
    if [ "$kind" = all ]; then c_ok=$(file_of "$md" "$c") d_ok=$( [ -z "$(file_of "$md" "$d")" ] && echo gone)
    else c_ok=- d_ok=-; fi
    if [ "$race_rc" = 0 ] && [[ "$la" == *F* && "$la" == *R* ]] && [[ "$lb" == *D* ]] && [ -n "$c_ok" ] &&
       [ -n "$d_ok" ] && grep -q "nothing to do" <<<"$out" && grep -q 'Flagged' <<<"$(ctl flags Work "<$a>")"; then
      ok "$dialect $window: another client's changes made while the run was stopped reach the Maildir (a flag on the message written, a flag$( [ "$kind" = all ] && echo ", a new message, an expunge"))"
    else bad "$dialect $window $kind: another client's changes made between the write and its commit were skipped (A: $la, B: $lb, C ${c_ok:-missing}, D ${d_ok:-kept})" \
             "--- the stopped run:" "$(cat "race-$window.out")" "--- next:" "$next" "--- then:" "$out"; fi
  done

  # A folder that never held a message (UIDNEXT 1 at the cursor): the run's
  # first message into it, and another client's flag on that message before
  # the commit. The check for someone else's change must not be skipped
  # because the folder was empty when last read.
  mkdir -p "$md/.Empty/"{cur,new,tmp}
  e="empty-$dialect@x.test"
  printf 'Message-ID: <%s>\nFrom: me@x.test\nSubject: the first in Empty\nDate: Sun, 6 Dec 2026 10:00:00 +0000\n\nbody\n' "$e" \
    > "$md/.Empty/cur/1700000000.empty.host:2,S"
  ACCORD_FAILPOINT="gmail-imap.after_apply:STOP" "$accord" run "p-$dialect.json" > race-empty.out 2>&1 &
  pid=$!
  if ! stopped $pid; then
    bad "$dialect Empty: the run never stopped between its write and its commit" "$(cat race-empty.out)"
    kill -CONT $pid 2>/dev/null; wait $pid
  else
    ctl store Empty "<$e>" +FLAGS '\Answered' > /dev/null
    kill -CONT $pid
    wait $pid; race_rc=$?
    runp run "p-$dialect.json"; next=$out
    runp run "p-$dialect.json"
    le=$(letters "$md/.Empty" "$e")
    if [ "$race_rc" = 0 ] && [[ "$le" == *R* ]] && grep -q "nothing to do" <<<"$out"; then
      ok "$dialect Empty: another client's flag on the first message of a folder that was empty reaches the Maildir"
    else bad "$dialect Empty: another client's flag on the first message of a folder that was empty was skipped (flags: ${le:-none})" \
             "--- the stopped run:" "$(cat race-empty.out)" "--- next:" "$next" "--- then:" "$out"; fi
  fi
done
exit $fail
