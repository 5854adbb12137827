#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Maildir (left) <-> IMAP (right: a private Dovecot) both ways, interrupted and
# renamed under (README.md). N generated messages (bench/gen_mail.py) put
# straight into Dovecot's Maildir in INBOX, A and B. Scenarios:
#   pullkill    the first pull SIGKILLed K times at random moments (within
#               2 ms a message), then run to the end
#   renamemid   during the first pull, at a random moment, A is changed on the
#               server (20 flagged, 5 expunged, 3 appended) and renamed to A2
#   renamekill  first pull; A changed and renamed on the server, followed;
#               then K times: the server folder changed and renamed again,
#               one run SIGKILLed, then to the end; then K times: the
#               Maildir's B renamed (mv), one run killed, to the end; then the
#               newest run that wrote undone (`accord undo`)
#   renameboth  first pull; K times: in the Maildir 10 messages of the folder
#               flagged and 5 moved to B, on the server 3 expunged and the
#               folder renamed; one run killed, then to the end
#   mdedit      first pull; K times: 250 messages flagged on the server, and
#               during the run that brings them, \Answered set on 60 Maildir
#               files
# After each step: each message (by Message-ID) once on each side, in the same
# folder, byte-identical (line ends aside), same flags; on the server what it
# should hold; nothing left in tmp/ nor lazy spools; a later run has nothing
# to do. After the undo: each side holds what it held before it, less the
# messages the undone run created there, plus those it deleted there (each
# one not restored, its body gone from the other side too, counted by the
# undo as failed or skipped); no duplicates.
# Usage: imap_scen.sh [-b BUILD] [-n N] [-k KILLS] [-s SEED] [-K] SCENARIO
set -u
campaign=imap_scen
. "$(dirname "$0")/common.sh"
N=3000 K=4 SEED=$((RANDOM * 32768 + RANDOM))
while getopts "b:n:k:s:Kh" o; do
  case $o in
    b) build=$OPTARG ;; n) N=$OPTARG ;; k) K=$OPTARG ;; s) SEED=$OPTARG ;; K) keep=1 ;;
    *) sed -n '3,28p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
scen=${1:-}
case $scen in pullkill | renamemid | renamekill | renameboth | mdedit) ;; *) sed -n '3,28p' "$0"; exit 2 ;; esac
campaign_build "$build"
start_dovecot=$repo/tests/peers/dovecot/start_dovecot.sh imapctl=$repo/plugins/gmail-imap/tests/imapctl.py
for t in sqlite3 python3 dovecot openssl; do
  command -v $t > /dev/null || [ -x /usr/sbin/$t ] || { echo "no $t: scripts/install-deps.sh installs it"; exit 2; }
done
RANDOM=$SEED
. "$repo/tests/report.sh"
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
. "$repo/plugins/gmail-imap/tests/mail_lib.sh"
mail_work "campaign-$scen"  # $work, removed on exit with its Dovecot (mail_cleanup)
imap_cleanup() {
  [ -n "$running" ] && kill -9 "$running" 2>/dev/null && wait "$running" 2>/dev/null
  if [ "$fails" != 0 ] || [ -n "$keep" ]; then KEEP=1; echo "kept $work (remove it when read)"; fi
  mail_cleanup
}
trap imap_cleanup EXIT
trap 'exit 130' INT TERM
echo "imap_scen $scen -n $N -k $K -s $SEED ($accord, work $work)"
dovecot dc
mb=$work/dc/home/ada/Maildir
python3 "$repo/bench/gen_mail.py" "$N" "$work/gen" --seed 11 --folders INBOX,A,B > /dev/null
mkdir -p "$mb"
for f in "$work"/gen/.[!.]*; do mv "$f" "$mb/"; done
mkdir -p "$mb/cur" "$mb/new" "$mb/tmp"; mv "$work"/gen/cur/* "$mb/cur/" 2>/dev/null; mv "$work"/gen/new/* "$mb/new/" 2>/dev/null
rm -rf "$work/gen"
[ "$(id -u)" = 0 ] && chown -R nobody:nogroup "$work/dc/home"
echo "server: INBOX $(ctl count INBOX), A $(ctl count A), B $(ctl count B)"
pipeline p.json "$(maildir m)" "$(imap)"
sed -i 's/"max_delete_share": 0.9/"max_delete_share": 0.9, "max_create_share": 1000, "max_update_share": 1.0/' p.json

# listing TREE: "folder msgid md5 flags" of each message file in a Maildir++ tree
listing() {
  python3 - "$1" <<'PY'
import hashlib, os, re, sys
root = sys.argv[1]
out = []
for d, dirs, files in os.walk(root):
    if "/.accord" in d or os.path.basename(d) not in ("cur", "new"):
        continue
    folder = os.path.relpath(os.path.dirname(d), root)
    folder = "INBOX" if folder == "." else folder.lstrip(".")
    for f in files:
        b = open(os.path.join(d, f), "rb").read()
        m = re.search(rb"(?im)^Message-ID:\s*<([^>]+)>", b.split(b"\r\n\r\n")[0].split(b"\n\n")[0])
        mid = m.group(1).decode() if m else "none"
        norm = b.replace(b"\r\n", b"\n")
        flags = "".join(sorted(c for c in (f.split(":2,")[1] if ":2," in f else "") if c.isupper()))
        out.append("%s %s %s %s" % (folder, mid, hashlib.md5(norm).hexdigest(), flags or "-"))
print("\n".join(sorted(out)))
PY
}
expected_server() { listing "$mb"; }
check() {  # check LABEL [EXPECTED_FILE]
  local label=$1 before=$fails
  runp run p.json
  grep -q "nothing to do" <<<"$out" || { runp run p.json; grep -q "nothing to do" <<<"$out" || bad "$label: two more runs still have something to do: $(tail -n 3 <<<"$out")"; }
  listing "$mb" > server.lst; listing m > local.lst
  local sd ld
  sd=$(awk '{print $2}' server.lst | sort | uniq -d | wc -l); ld=$(awk '{print $2}' local.lst | sort | uniq -d | wc -l)
  [ "$sd$ld" = 00 ] || bad "$label: duplicates: server $sd, local $ld"
  if ! cmp -s server.lst local.lst; then
    bad "$label: the sides differ: $(diff server.lst local.lst | grep -c '^<') lines only on the server, $(diff server.lst local.lst | grep -c '^>') only in the Maildir"
    diff server.lst local.lst | head -6
  fi
  if [ -n "${2:-}" ] && ! cmp -s "$2" server.lst; then
    bad "$label: the server differs from what it should hold: $(diff "$2" server.lst | grep -c '^<') missing, $(diff "$2" server.lst | grep -c '^>') extra"
    diff "$2" server.lst | head -6
  fi
  local tmpf spools
  tmpf=$(find m -path '*/.accord' -prune -o -path '*/tmp/*' -type f -print 2>/dev/null | wc -l)
  spools=$(find . -maxdepth 1 -name '.accord-lazy-*' | wc -l)
  [ "$tmpf$spools" = 00 ] || bad "$label: left behind: $tmpf files in Maildir tmp/, $spools lazy spools"
  echo "$([ $fails = "$before" ] && echo "ok  " || echo "    ") $label (server $(wc -l < server.lst), Maildir $(wc -l < local.lst))"
}
killrun() {  # killrun SPAN_MS: one run killed at a random moment within the span
  local span=$1 delay st
  rand_below $((span + 1)); delay=$rnd
  ("$accord" run p.json) > kill.out 2>&1 &
  running=$!
  msleep "$delay"
  kill -9 $running 2>/dev/null; wait $running 2>/dev/null; st=$?; running=""
  echo "  killed at ${delay}ms: exit $st $(grep -E 'created|applied' kill.out | head -n 1)"
  [ $st = 137 ] || [ $st = 0 ] || bad "a run exited $st: $(tail -n 3 kill.out)"
}
timed_run() { local t0; t0=$(date +%s%N); runp run p.json; span=$(( ($(date +%s%N) - t0) / 1000000 )); }

expected_server > before.lst
# inside FOLDER: flags set on 20 of its messages, 5 expunged, 3 new appended (before a rename)
inside() {
  local i
  ctl touch "$1" 20 || bad "touch $1"
  ctl expungemany "$1" 5 || bad "expunge $1"
  for i in 1 2 3; do
    printf 'Message-ID: <inside-%s-%s@campaign.test>\nFrom: a@x.test\nSubject: new in %s %s\n\nbody %s\n' "$1" "$i" "$1" "$i" "$i" > "$work/in-$1-$i.eml"
    ctl append "$1" "$work/in-$1-$i.eml" || bad "append $1"
  done
}
case $scen in
  pullkill)
    for ((k = 0; k < K; k++)); do killrun $((N * 2)); done
    runp run p.json; [ $rc = 0 ] || bad "the run after the kills exited $rc: $(tail -n 3 <<<"$out")"
    check "pullkill: first pull killed $K times" before.lst ;;
  renamemid)
    rand_below $((N * 2 + 1)); delay=$rnd
    ("$accord" run p.json) > run1.out 2>&1 &
    running=$!
    msleep "$delay"
    inside A
    ctl rename A A2 || bad "rename failed"
    expected_server > expect.lst
    wait $running; st=$?; running=""
    echo "  the run during which A was renamed at ${delay}ms exited $st ($(grep -E 'created|moved|applied' run1.out | head -n 2 | tr '\n' ' '))"
    runp run p.json; echo "  next run: exit $rc $(grep -E 'created|moved|deleted|applied' <<<"$out" | head -n 3 | tr '\n' ' ')"
    check "renamemid" expect.lst
    q=$(sqlite3 p.sqlite "SELECT count(*) FROM quarantine")
    if [ "$q" != 0 ]; then
      wake=$(sqlite3 p.sqlite "SELECT max(next_retry) FROM quarantine"); nowt=$(date +%s)
      echo "  $q quarantined, retried at +$((wake - nowt)) s: waiting"
      [ $((wake - nowt)) -lt 400 ] && sleep $((wake - nowt + 2))
      runp run p.json; echo "  after the retry time: $(grep -E 'applied|failed' <<<"$out" | head -n 2 | tr '\n' ' ')"
      check "renamemid, after the quarantine's retry" expect.lst
    fi ;;
  renamekill)
    timed_run; [ $rc = 0 ] || bad "first pull exited $rc"
    echo "  first pull: $span ms"
    inside A
    ctl rename A A2 || bad "rename failed"
    printf 'Message-ID: <after-rename@campaign.test>\nFrom: a@x.test\nSubject: after\n\nbody\n' > "$work/new-after.eml"
    ctl append A2 "$work/new-after.eml" || bad "append after rename failed"
    expected_server > expect.lst
    runp run p.json; [ $rc = 0 ] || bad "the run following the rename exited $rc"
    check "renamekill: server rename followed (no kills)" expect.lst
    cur=A2
    for ((k = 1; k <= K; k++)); do
      inside $cur
      ctl rename $cur A$((k + 2)) || bad "rename $k failed"
      cur=A$((k + 2))
      expected_server > expect2.lst
      killrun 700
      runp run p.json; [ $rc = 0 ] || bad "the run after the kill exited $rc: $(tail -n 3 <<<"$out")"
      check "renamekill: server rename to $cur, killed once" expect2.lst
    done
    curb=B
    for ((k = 1; k <= K; k++)); do
      mv m/.$curb m/.B$k; curb=B$k
      sed -E "s/^B[0-9]* /$curb /" server.lst | sort > expect3.lst
      killrun 700
      runp run p.json; [ $rc = 0 ] || bad "the run after the kill exited $rc: $(tail -n 3 <<<"$out")"
      check "renamekill: Maildir rename to $curb, killed once" expect3.lst
    done
    # undo the newest run that wrote: afterwards each side holds what it held, less the messages that run
    # created there, plus those it deleted there (each one the undo could not restore, its body gone from
    # the other side too, counted in the undo's failed or skipped)
    last=$(sqlite3 p.sqlite "SELECT max(run) FROM history")
    for side in left right; do
      sqlite3 p.sqlite "SELECT json_extract(m.data, '\$.messageId[0]') FROM history h JOIN mirror m ON m.side = h.side AND m.id = h.record_id
        WHERE h.run = $last AND h.side = '$side' AND h.op = 'create'" | sort > undo_created.$side
      sqlite3 p.sqlite "SELECT json_extract(d.data, '\$.messageId[0]') FROM history h JOIN record_data d ON d.id = h.before_id
        WHERE h.run = $last AND h.side = '$side' AND h.op = 'delete'" | sort > undo_deleted.$side
    done
    listing "$mb" > server.lst; listing m > local.lst
    awk '{print $2}' local.lst | sort > undo_before.left; awk '{print $2}' server.lst | sort > undo_before.right
    runp undo p.json "$last"; echo "  undo $last ($(wc -l < undo_created.left)/$(wc -l < undo_created.right) creates, $(wc -l < undo_deleted.left)/$(wc -l < undo_deleted.right) deletes left/right undone): exit $rc $(grep -E 'applied|nothing|conflict' <<<"$out" | head -n 2 | tr '\n' ' ')"
    unrestored=$(grep -E '^ *applied' <<<"$out" | grep -oE '[0-9]+ (failed|skipped)' | awk '{n += $1} END {print n + 0}')
    { [ $rc = 0 ] || { [ $rc = 5 ] && [ "$unrestored" -gt 0 ]; }; } || bad "undo of run $last exited $rc: $(tail -n 3 <<<"$out")"
    runp run p.json; runp run p.json
    listing "$mb" > server.lst; listing m > local.lst
    awk '{print $2}' local.lst | sort > undo_after.left; awk '{print $2}' server.lst | sort > undo_after.right
    echo "  after undo: server $(wc -l < server.lst) ($(uniq -d undo_after.right | wc -l) duplicated), Maildir $(wc -l < local.lst) ($(uniq -d undo_after.left | wc -l) duplicated); $unrestored not restored (failed or skipped)"
    missing=0
    for side in left right; do
      [ "$(uniq -d undo_after.$side | wc -l)" = 0 ] || bad "after undo: duplicates on the $side side"
      kept=$(comm -23 undo_before.$side undo_created.$side | comm -23 - undo_after.$side | wc -l)
      [ "$kept" = 0 ] || bad "after undo: $kept messages the undone run did not create are gone from the $side side"
      extra=$(comm -13 undo_before.$side undo_after.$side | comm -23 - undo_deleted.$side | wc -l)
      [ "$extra" = 0 ] || bad "after undo: $extra messages on the $side side the undone run did not delete there"
      stayed=$(comm -12 undo_created.$side undo_after.$side | wc -l)
      [ "$stayed" = 0 ] || bad "after undo: $stayed messages the undone run created stay on the $side side"
      missing=$((missing + $(comm -23 undo_deleted.$side undo_after.$side | wc -l)))
    done
    [ "$missing" = "$unrestored" ] || bad "after undo: $missing deleted messages not restored, the undo said $unrestored" ;;
  renameboth)
    timed_run; [ $rc = 0 ] || bad "first pull exited $rc"
    echo "  first pull: $span ms"
    check "renameboth: first pull" before.lst
    cur=A
    for ((k = 1; k <= K; k++)); do
      # the Maildir: 10 of the folder's messages flagged F, 5 moved to .B
      python3 - m ".$cur" > local_changes.txt <<'PY'
import os, re, sys
root, folder = sys.argv[1], sys.argv[2]
d = os.path.join(root, folder, "cur")
files = sorted(os.listdir(d))
out = []
def mid_of(p):
    return re.search(rb"(?im)^Message-ID:\s*<([^>]+)>", open(p, "rb").read()).group(1).decode()
for f in files[:10]:
    base, _, flags = f.partition(":2,")
    if "F" in flags: continue
    mid = mid_of(os.path.join(d, f))
    os.rename(os.path.join(d, f), os.path.join(d, base + ":2," + "".join(sorted(flags + "F")))); out.append("flag " + mid)
for f in files[10:15]:
    mid = mid_of(os.path.join(d, f))
    os.rename(os.path.join(d, f), os.path.join(root, ".B", "cur", f)); out.append("move " + mid)
print("\n".join(out))
PY
      ctl expungemany $cur 3 || bad "expunge"
      ctl rename $cur A$((k + 1)) || bad "rename $k failed"; cur=A$((k + 1))
      # what the server should hold: its listing with the local flags and moves applied; a message
      # edited locally and expunged on the server comes back (the edit wins), in its Maildir folder
      expected_server | python3 -c '
import sys
ch = dict(l.split()[::-1] for l in open("local_changes.txt") if l.strip())
prev = {l.split()[1]: l.split() for l in open("server.lst") if l.strip()}
seen = set()
def out(f, mid, md5, flags, c):
    if c == "flag": flags = "".join(sorted(set((flags if flags != "-" else "") + "F")))
    if c == "move": f = "B"
    print(f, mid, md5, flags)
for line in sys.stdin:
    f, mid, md5, flags = line.split()
    seen.add(mid)
    out(f, mid, md5, flags, ch.get(mid))
for mid, c in ch.items():
    if mid not in seen and mid in prev:
        f, _, md5, flags = prev[mid]
        out(f, mid, md5, flags, c)' | sort > expectb.lst
      killrun 900
      runp run p.json; [ $rc = 0 ] || bad "the run after the kill exited $rc: $(tail -n 3 <<<"$out")"
      check "renameboth: server rename to $cur with local flags and moves, killed once" expectb.lst
    done ;;
  mdedit)
    timed_run; [ $rc = 0 ] || bad "first pull exited $rc"
    check "mdedit: first pull" before.lst
    for ((k = 1; k <= K; k++)); do
      folders=(INBOX A B); fold=${folders[$(( (k - 1) % 3 ))]}; ldir=m; [ "$fold" != INBOX ] && ldir=m/.$fold
      ctl touch $fold 250 || bad "touch"
      expected_server > flagged_server.lst
      ("$accord" run p.json) > run1.out 2>&1 &
      running=$!
      rand_below 500; delay=$rnd
      msleep "$delay"
      # the Maildir, mid-run: \Answered (R) added to 60 files, every 5th
      python3 - $ldir > answered.txt <<'PY'
import os, re, sys
d = os.path.join(sys.argv[1], "cur")
for f in sorted(os.listdir(d))[::5][:60]:
    base, _, flags = f.partition(":2,")
    if "R" in flags: continue
    try:
        mid = re.search(rb"(?im)^Message-ID:\s*<([^>]+)>", open(os.path.join(d, f), "rb").read()).group(1).decode()
        os.rename(os.path.join(d, f), os.path.join(d, base + ":2," + "".join(sorted(flags + "R"))))
        print(mid)
    except (FileNotFoundError, AttributeError):
        pass
PY
      alive=$(kill -0 $running 2>/dev/null && echo running || echo ended)
      wait $running; st=$?; running=""
      echo "  round $k: R set on $(wc -l < answered.txt) files at ${delay}ms ($alive), run exit $st: $(grep -E 'applied' run1.out | head -n 1)"
      runp run p.json; runp run p.json
      check "mdedit round $k"
      # every answered one has R on both sides; every one flagged on the server has F on both sides
      for side in server local; do
        miss=$(python3 -c '
import sys
lst = {l.split()[1]: l.split()[3] for l in open(sys.argv[1])}
ans = [l.strip() for l in open("answered.txt") if l.strip()]
fl = [l.split()[1] for l in open("flagged_server.lst") if "F" in l.split()[3]]
print(sum(1 for m in ans if "R" not in lst.get(m, "")), sum(1 for m in fl if "F" not in lst.get(m, "")))' $side.lst)
        [ "$miss" = "0 0" ] || bad "mdedit round $k: $side lost flags (answered, flagged): $miss"
      done
    done ;;
esac
campaign_done
