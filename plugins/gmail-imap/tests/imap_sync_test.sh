#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gmail-imap against a real Dovecot, started here as an unprivileged user on
# loopback ports in a temporary folder:
#   the conformance kit (with QRESYNC, with CONDSTORE only as Gmail has it,
#   and with neither); Maildir → IMAP and IMAP → Maildir, byte for byte;
#   nothing to do on a second run; flags changed on both sides; deletes both
#   ways; new mail; a folder renumbered (UIDVALIDITY) found again by Message-ID; IMAP ⇄ IMAP between two users; an incremental sync on a
#   server without QRESYNC; a run killed mid-way and run again (nothing lost,
#   nothing twice); the password never in any output or state.
# Usage: imap_sync_test.sh ACCORD CONFORMANCE GMAIL_PLUGIN DOVECOT_SCRIPT GEN_MAIL IMAPCTL
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../../../tests/report.sh"  # ok, bad, runp (before any cd)
. "$(dirname "${BASH_SOURCE[0]}")/mail_lib.sh"                # maildir, pipeline
accord=$(realpath "$1") conformance=$(realpath "$2") plugin=$(realpath "$3")
start_dovecot=$(realpath "$4") gen=$(realpath "$5") imapctl=$(realpath "$6")
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-imap.XXXXXX")
chmod 0711 "$work"  # Dovecot runs as another user and must reach its folder inside
pids=()
cleanup() {
  for d in "$work"/dc*; do [ -f "$d/run/master.pid" ] && kill "$(cat "$d/run/master.pid")" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
export HOME="$work" ACCORD_ADMIN=
pw="imap-canary-$RANDOM$RANDOM"
pw2="imap-canary-$RANDOM$RANDOM"
printf '{"ada": "%s", "bob": "%s"}\n' "$pw" "$pw2" > secrets.json
chmod 600 secrets.json
export ACCORD_SECRETS="$work/secrets.json"

# dovecot NAME [EXTRA_CONFIG]: starts one; sets $port (IMAPS) and $ca
dovecot() {
  local info
  info=$(DOVECOT_EXTRA="${2:-}" bash "$start_dovecot" "$work/$1" "ada:$pw" "bob:$pw2" 2>&1) ||
    { echo "FAIL Dovecot did not start (scripts/install-deps.sh installs dovecot-imapd)"; echo "$info"; exit 1; }
  port=$(awk '/^imaps /{print $2}' <<<"$info")
  ca=$(awk '/^ca /{print $2}' <<<"$info")
}
ctl() { python3 "$imapctl" "$port" "$ca" "$@"; }
imap_config() {  # imap_config USER: the connector's config JSON
  printf '{"url": "imaps://localhost:%s", "user": "%s", "password": {"$secret": "%s"}, "ca_file": "%s"}' "$port" "$1" "$1" "$ca"
}
imap() { printf '{"connector": "gmail-imap", "config": %s}' "$(imap_config "$1")"; }
# msgids DIR: the Message-IDs of a Maildir tree, sorted
msgids() { find "$1" -path '*/.accord' -prune -o -type f \( -path '*/cur/*' -o -path '*/new/*' \) -print0 |
           xargs -0 grep -h -m1 -i '^Message-ID:' | sed 's/.*<\(.*\)>.*/\1/' | sort; }
# file_of DIR MSGID: the file holding that message
file_of() { grep -rl --exclude-dir=.accord "<$2>" "$1" | head -1; }
imap_ids() {  # imap_ids USER PASS: all Message-IDs over the folders of the generated mailbox
  for f in INBOX Work Lists/dev Archive/2025; do ctl "$1" "$2" msgids "$f" 2>/dev/null; done | sed '/^$/d' | sort
}
# folders DIR: how many messages each folder of a Maildir tree holds
folders() { (cd "$1" && find . -path ./.accord -prune -o -type f \( -path '*/cur/*' -o -path '*/new/*' \) -print |
             sed 's|/[^/]*$||;s|/new$|/cur|' | sort | uniq -c); }

# ---- 1. the conformance kit, three server dialects --------------------------
dovecot dc
imap_config ada > kit.json
sed -i "s/{\"\$secret\": \"ada\"}/\"$pw\"/" kit.json
# every check but paging (one batch here) and unreadable-record (no recipe for a
# message gmail-imap cannot read)
if out=$("$conformance" "$plugin" --config kit.json --stream message 2>&1) && grep -q "14 passed, 0 failed, 4 skipped" <<<"$out"; then
  ok "conformance kit (Dovecot with QRESYNC)"
else bad "conformance kit (QRESYNC)" "$out"; fi
printf '%s\n' "$out" >> all.out

# ---- 2. Maildir → IMAP, then IMAP → a new Maildir ----------------------------
python3 "$gen" 60 src --seed 7
pipeline up.json "$(maildir src)" "$(imap ada)"
runp run up.json
if [ $rc = 0 ] && grep -q "applied 60 writes" <<<"$out"; then ok "maildir → IMAP: 60 messages"
else bad "maildir → IMAP" "$out"; fi
runp run up.json
runp run up.json
grep -q "nothing to do" <<<"$out" && ok "a second run has nothing to do" || bad "second run" "$out"
[ "$(msgids src)" = "$(imap_ids ada "$pw")" ] && ok "IMAP holds every message once" || bad "IMAP content" "$(diff <(msgids src) <(imap_ids ada "$pw"))"

pipeline down.json "$(imap ada)" "$(maildir dst)"
runp run down.json
if [ $rc = 0 ] && grep -q "applied 60 writes" <<<"$out"; then ok "IMAP → maildir: 60 messages"
else bad "IMAP → maildir" "$out"; fi
same_files src dst && ok "every message arrives byte for byte, in its folder"
[ "$(folders src)" = "$(folders dst)" ] && ok "folders kept" || bad "folders differ" "$(diff <(folders src) <(folders dst))"
runp run down.json; runp run down.json
grep -q "nothing to do" <<<"$out" && ok "IMAP ⇄ maildir: nothing to do again" || bad "down second run" "$out"
# The MIME structure Dovecot's BODYSTRUCTURE gives and the one the maildir
# backend reads from the file are the same (each side's own listing, in the state)
read -r n att differ < <(structure down.sqlite 2>differs.txt)
[ "$n" = 60 ] && [ "$att" -gt 0 ] && [ "$differ" = 0 ] && ok "body structure and attachments alike from IMAP and from the files ($att with attachments)" ||
  bad "body structure differs" "pairs=$n with-attachments=$att differing=$differ" "$(cat differs.txt)"

# ---- 2b. big messages are fetched a few MiB at a time ------------------------
# 20 messages of 1 MiB: the host keeps each fetch to about 8 MiB by the
# size the source lists (its manifest's lazy_size), so at least 3 fetches
mkdir -p big/cur big/new big/tmp
python3 - big/cur <<'PY'
import base64, os, sys
for i in range(20):
    body = base64.encodebytes(os.urandom(750 * 1024)).decode()  # Maildir files end lines in LF
    msg = (f"From: a@example.org\nTo: b@example.org\nSubject: big {i}\n"
           f"Message-ID: <big{i}@example.org>\nDate: Mon, 2 Mar 2026 10:{i:02d}:00 +0000\n"
           "MIME-Version: 1.0\nContent-Type: application/octet-stream\n"
           f"Content-Transfer-Encoding: base64\n\n{body}")
    open(os.path.join(sys.argv[1], f"17000000{i:02d}.big{i}.host:2,S"), "w", newline="").write(msg)
PY
pipeline big.json "$(maildir big)" "$(maildir bigcopy)"
out=$(ACCORD_TRACE=1 "$accord" run big.json 2>&1); rc=$?
chunks=$(grep -o 'in [0-9]* chunks' <<<"$out" | tail -1 | grep -o '[0-9]*')
if [ $rc = 0 ] && grep -q "applied 20 writes" <<<"$out" && [ "${chunks:-0}" -ge 3 ] && [ "$(msgids big)" = "$(msgids bigcopy)" ]; then
  ok "20 messages of 1 MiB copied in $chunks fetches of at most 8 MiB"
else bad "big messages: rc=$rc, fetches=${chunks:-none}" "$out"; fi
same_files big bigcopy && ok "big messages arrive byte for byte"

# ---- 3. flags on both sides, deletes both ways, new mail ---------------------
ids=($(msgids dst))
ctl ada "$pw" store INBOX "<${ids[0]}>" +FLAGS '\Flagged' 2>/dev/null ||
  for f in Work Lists/dev Archive/2025; do ctl ada "$pw" store "$f" "<${ids[0]}>" +FLAGS '\Flagged' 2>/dev/null && break; done
f1=$(file_of dst "${ids[1]}")
base=${f1%%:2,*}; flags=${f1#*:2,}; [ "$f1" = "$base" ] && flags=""
new="$(dirname "$(dirname "$f1")")/cur/$(basename "$base"):2,$(printf '%s' "${flags}R" | fold -w1 | sort -u | tr -d '\n')"
mv "$f1" "$new"
runp run down.json
f0=$(file_of dst "${ids[0]}")
[[ "${f0##*:2,}" == *F* ]] && ok "a flag set on IMAP reaches the maildir" || bad "IMAP flag → maildir" "$f0" "$out"
flags1=$(for f in INBOX Work Lists/dev Archive/2025; do ctl ada "$pw" flags "$f" "<${ids[1]}>" 2>/dev/null; done)
grep -q 'Answered' <<<"$flags1" && ok "a flag set in the maildir reaches IMAP" || bad "maildir flag → IMAP" "$flags1" "$out"

rm "$(file_of dst "${ids[2]}")"
for f in INBOX Work Lists/dev Archive/2025; do ctl ada "$pw" expunge "$f" "<${ids[3]}>" 2>/dev/null && break; done
runp run down.json
[ -z "$(file_of dst "${ids[3]}")" ] && ok "an expunge on IMAP deletes the maildir file" || bad "IMAP delete → maildir" "$out"
imap_ids ada "$pw" | grep -qx "${ids[2]}" && bad "maildir delete → IMAP" "$out" || ok "a deleted maildir file is expunged on IMAP"

# a keyword Maildir has no letter for survives a flag change made in the Maildir
in_folder() { for f in INBOX Work Lists/dev Archive/2025; do ctl ada "$pw" "$1" "$f" "${@:2}" 2>/dev/null && return; done; }
in_folder store "<${ids[5]}>" +FLAGS 'Project-X'
runp run down.json
f5=$(file_of dst "${ids[5]}")
base=${f5%%:2,*}
mv "$f5" "$(dirname "$(dirname "$f5")")/cur/$(basename "$base"):2,FS"
runp run down.json
kw=$(in_folder flags "<${ids[5]}>")
if grep -qi 'project-x' <<<"$kw" && grep -q 'Flagged' <<<"$kw"; then ok "a custom IMAP keyword survives a flag change made in the Maildir"
else bad "custom keyword" "flags now: $kw" "$out"; fi

# a message moved to another folder in the Maildir moves on IMAP (its id there changes)
fm=$(file_of dst "${ids[4]}")
mkdir -p dst/.Moved/cur dst/.Moved/new dst/.Moved/tmp
mv "$fm" "dst/.Moved/cur/$(basename "$fm")"
runp run down.json
moved=$(ctl ada "$pw" msgids Moved 2>/dev/null)
if [ "$moved" = "${ids[4]}" ] && [ "$(imap_ids ada "$pw" | grep -cx "${ids[4]}")" = 0 ]; then
  ok "a message moved between Maildir folders moves on IMAP"
else bad "maildir move → IMAP" "Moved holds: $moved" "$out"; fi
runp run down.json; runp run down.json
grep -q "nothing to do" <<<"$out" && [ -n "$(file_of dst/.Moved "${ids[4]}")" ] && ok "after the move: nothing to do, the file stays" ||
  bad "after the move" "$out"

cat > extra.eml <<MAIL
Message-ID: <late-arrival@accord.test>
Date: Sat, 21 Nov 2026 09:00:00 +0000
From: Carol <carol@example.org>
To: ada@example.org
Subject: =?UTF-8?Q?Caf=C3=A9?= tomorrow

See you there.
MAIL
ctl ada "$pw" append INBOX extra.eml
runp run down.json
f=$(file_of dst late-arrival@accord.test)
[ -n "$f" ] && cmp -s "$f" extra.eml && ok "new mail on IMAP arrives incrementally" || bad "new mail" "$out"
runp run down.json; runp run down.json
grep -q "nothing to do" <<<"$out" && ok "and then nothing to do" || bad "after changes" "$out"

# ---- 3b. a folder renumbered (UIDVALIDITY changed with doveadm) --------------
# doveadm as Dovecot's own user, on this Dovecot's config
doveadm() { if [ "$(id -u)" = 0 ]; then setpriv --reuid=nobody --regid=nogroup --clear-groups doveadm -c "$work/dc/dovecot.conf" "$@"
            else command doveadm -c "$work/dc/dovecot.conf" "$@"; fi; }
renumber() { doveadm mailbox update -u ada --uid-validity "$1" INBOX; }
inbox=($(ctl ada "$pw" msgids INBOX))
before=$(msgids dst | wc -l)
renumber 4242
ctl ada "$pw" store INBOX "<${inbox[0]}>" +FLAGS '\Draft'
sed 's/late-arrival@/after-renumbering@/' extra.eml > extra2.eml
ctl ada "$pw" append INBOX extra2.eml
runp run down.json
f0=$(file_of dst "${inbox[0]}")
if [ $rc = 0 ] && grep -q "renumbered ${#inbox[@]} records" <<<"$out" && grep -q "applied 2 writes" <<<"$out" &&
   [ "$(msgids dst | wc -l)" = $((before + 1)) ] && [ -z "$(msgids dst | uniq -d)" ] && [[ "${f0##*:2,}" == *D* ]]; then
  ok "UIDVALIDITY changed: ${#inbox[@]} messages found again by size, date and header digest, nothing copied or deleted; a flag change and a new message at the same time still travel"
else bad "UIDVALIDITY recovery" "$out" "$(msgids dst | uniq -d)"; fi
runp run down.json
grep -q "nothing to do" <<<"$out" && [ -z "$(imap_ids ada "$pw" | uniq -d)" ] && ok "after the renumbering: nothing to do, nothing twice on IMAP" ||
  bad "after renumbering" "$out"
# a message gone in the same renumbering is not taken as deleted on trust
ctl ada "$pw" expunge INBOX "<${inbox[1]}>"
renumber 4343
runp run down.json
if [ $rc != 0 ] && grep -q "match no record" <<<"$out" && [ -n "$(file_of dst "${inbox[1]}")" ]; then
  ok "a renumbered folder missing a message stops with an error naming it, and deletes nothing"
else bad "renumbering mismatch" "$out"; fi
runp run down.json --force
runp run down.json
if [ -z "$(file_of dst "${inbox[1]}")" ] && [ -n "$(file_of dst "${inbox[2]}")" ] && grep -q "nothing to do" <<<"$out"; then
  ok "with --force the missing message counts as deleted, the rest stay"
else bad "renumbering --force" "$out"; fi

# ---- 4. IMAP ⇄ IMAP between two users ---------------------------------------
pipeline mig.json "$(imap ada)" "$(imap bob)"
runp run mig.json
[ $rc = 0 ] && [ "$(imap_ids ada "$pw")" = "$(imap_ids bob "$pw2")" ] && [ -n "$(imap_ids bob "$pw2")" ] &&
  ok "IMAP ⇄ IMAP: the second user holds every message once" || bad "IMAP ⇄ IMAP" "$out" "$(diff <(imap_ids ada "$pw") <(imap_ids bob "$pw2"))"
runp run mig.json; runp run mig.json
grep -q "nothing to do" <<<"$out" && ok "IMAP ⇄ IMAP: nothing to do again" || bad "mig second run" "$out"

# ---- 5. killed mid-run, run again -------------------------------------------
python3 "$gen" 400 big --seed 11 --folders INBOX,Bulk
pipeline kill.json "$(maildir big)" "$(imap bob)"
# bob's mailbox already holds the migrated mail (section 4): merging 400 more
# into it is meant, past the guard against mass creates
sed -i 's/"max_delete_share": 0.9/"max_delete_share": 0.9, "max_create_share": 10/' kill.json
"$accord" run kill.json > kill.out 2>&1 &
apid=$!
for _ in $(seq 1 200); do
  n=$(ctl bob "$pw2" count Bulk 2>/dev/null || echo 0)
  [ "${n:-0}" -gt 20 ] && break
  sleep 0.05
done
kill -9 $apid 2>/dev/null; wait $apid 2>/dev/null
partial=$(ctl bob "$pw2" count Bulk 2>/dev/null || echo 0)
runp run kill.json
runp run kill.json
bulk_src=$(cd big && ls .Bulk/cur | wc -l)
inbox_ids=$(ctl bob "$pw2" msgids INBOX | grep -c 'accord.bench' )
dups=$( { ctl bob "$pw2" msgids INBOX; ctl bob "$pw2" msgids Bulk; } | sort | uniq -d | wc -l)
if [ "$(ctl bob "$pw2" count Bulk)" = "$bulk_src" ] && [ "$dups" = 0 ] && [ "$partial" -lt "$bulk_src" ]; then
  ok "killed after $partial of $bulk_src, run again: every message once"
else bad "kill and resume" "partial=$partial bulk=$(ctl bob "$pw2" count Bulk) of $bulk_src dups=$dups" "$out"; fi

# ---- 6. servers without QRESYNC (as Gmail) and without CONDSTORE ------------
caps="IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE NAMESPACE UIDPLUS LIST-EXTENDED CHILDREN ESEARCH LIST-STATUS MOVE LITERAL+"
for dialect in "CONDSTORE" ""; do
  name=dc-${dialect:-plain}
  dovecot "$name" "imap_capability = $caps $dialect"
  imap_config ada > kit.json
  sed -i "s/{\"\$secret\": \"ada\"}/\"$pw\"/" kit.json
  label="${dialect:-no CONDSTORE}"
  out=$("$conformance" "$plugin" --config kit.json --stream message 2>&1)
  grep -q "14 passed, 0 failed, 4 skipped" <<<"$out" && ok "conformance kit (Dovecot offering $label, no QRESYNC)" || bad "kit $label" "$out"
  printf '%s\n' "$out" >> all.out
  rm -rf "d-$name"
  pipeline "$name.json" "$(imap ada)" "$(maildir "d-$name")"
  python3 "$gen" 30 "s-$name" --seed 3
  for f in $(find "s-$name" -type f -path '*/cur/*' | sort | head -30); do ctl ada "$pw" append INBOX "$f"; done
  runp run "$name.json"; runp run "$name.json"; runp run "$name.json"
  grep -q "nothing to do" <<<"$out" || bad "$label: not settled" "$out"
  ids=($(msgids "d-$name"))
  ctl ada "$pw" store INBOX "<${ids[0]}>" +FLAGS '\Flagged'
  ctl ada "$pw" expunge INBOX "<${ids[1]}>"
  runp run "$name.json"
  f0=$(file_of "d-$name" "${ids[0]}")
  if [[ "${f0##*:2,}" == *F* ]] && [ -z "$(file_of "d-$name" "${ids[1]}")" ] && grep -Eq "read 2 change[ds] on the left" <<<"$out"; then
    ok "$label, no QRESYNC: an incremental run finds the flag change and the expunge (2 changes read)"
  else bad "$label incremental" "$out"; fi
done

# ---- the password never shows -----------------------------------------------
if grep -rqa -e "$pw" -e "$pw2" all.out kill.out ./*.sqlite 2>/dev/null; then bad "a password appears in output or state"
else ok "the passwords appear in no output and no state"; fi
exit $fail
