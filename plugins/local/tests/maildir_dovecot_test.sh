#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# local's maildir backend and Dovecot read each other's Maildirs (issue 22
# item 2): folder names on disk in Maildir++ with modified UTF-7, as Dovecot
# and mbsync write them (".Entw&APw-rfe"), or raw UTF-8 with
# "folder_names": "utf-8" (Dovecot's :UTF-8 layout).
#   1. A Maildir an earlier Accord wrote (raw UTF-8 names: ".Entwürfe") goes
#      to Dovecot; its folders keep their names there, and a message arriving
#      on the server goes into the existing raw-UTF-8 directory, no second one;
#      that directory renamed by hand to its modified UTF-7 spelling is the
#      same folder.
#   2. Accord writes a Maildir from Dovecot: names in modified UTF-7; a second
#      Dovecot pointed at it opens every folder (SELECT), same counts.
#   3. Accord reads the Maildir Dovecot itself wrote and copies it to another
#      account: the same folders, none named "Entw&APw-rfe" literally.
#   4. "folder_names": "utf-8": a Dovecot with mail_location's UTF-8 flag
#      opens every folder of that Maildir.
#   5. (item 7) Attached messages that are all header (message/rfc822 parts
#      with no empty line), bare LF on disk: the part sizes the Maildir side
#      computes are the ones Dovecot's BODYSTRUCTURE says, and a later run
#      has nothing to do.
#   6. (item 7) Messages delivered without a Message-ID, uploaded by a run
#      killed after its writes and resumed: each once on the server, and the
#      server's copy is the Maildir's byte for byte (no header added to find
#      it by).
# Usage: maildir_dovecot_test.sh ACCORD DOVECOT_SCRIPT IMAPCTL
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../../../tests/report.sh"  # ok, bad, runp (before any cd)
. "$(dirname "${BASH_SOURCE[0]}")/../../gmail-imap/tests/mail_lib.sh"  # mail_work, pipeline, structure
accord=$(realpath "$1") start_dovecot=$(realpath "$2") imapctl=$(realpath "$3")
mail_work maildir-dovecot  # $work, cd'd into, removed on exit; $pw, as the secret "ada" (every user's here)

# dovecot NAME [DOVECOT_EXTRA]: starts one, sets port_NAME
dovecot() {
  local info
  info=$(DOVECOT_EXTRA="${2:-}" bash "$start_dovecot" "$work/$1" "ada:$pw" "bob:$pw" "cy:$pw" "dee:$pw" 2>&1) ||
    { echo "FAIL Dovecot did not start (scripts/install-deps.sh installs dovecot-imapd)"; echo "$info"; exit 1; }
  printf -v "port_$1" '%s' "$(awk '/^imaps /{print $2}' <<<"$info")"
}
# ctl DC USER VERB ARGS...: imapctl.py against that Dovecot
ctl() { local p="port_$1"; python3 "$imapctl" "${!p}" "$work/$1/cert.pem" "$2" "$pw" "${@:3}"; }
imap() { local p="port_$1"; printf '{"connector": "gmail-imap", "config": {"url": "imaps://localhost:%s", "user": "%s", "password": {"$secret": "ada"}, "ca_file": "%s"}}' \
           "${!p}" "$2" "$work/$1/cert.pem"; }
# maildir DIR [MORE_CONFIG]: a local maildir endpoint, its index under $work/idx
maildir() { printf '{"connector": "local", "config": {"backend": "maildir", "create": true, "path": "%s", "index_path": "%s"%s}}' \
              "$1" "$work/idx/$(basename "$1").sqlite" "${2:-}"; }
# selectable DC USER: each folder's wire name (modified UTF-7) and its count, sorted
selectable() {
  ctl "$1" "$2" folders | grep -v '\\Noselect' | sed -E 's/^\([^)]*\) "[^"]*" //; s/^"(.*)"$/\1/' | sort |
    while IFS= read -r f; do printf '%s %s\n' "$f" "$(ctl "$1" "$2" count "$f" 2>&1 | tail -1)"; done
}
msg() { printf 'Message-ID: <%s>\nFrom: a@x.test\nSubject: %s\nDate: Mon, 1 Jun 2026 10:00:00 +0200\n\nbody of %s\n' "$2" "$2" "$2" > "$1"; }

# ---- 1. a Maildir with raw UTF-8 folder names, as earlier builds wrote it ----
names=("Entwürfe" "Gesendete Elemente" "日本語" "a.b" "Tom & Jerry" "Größe")
n=0
for d in "" "${names[@]}"; do
  dir=src/${d:+.$d}
  mkdir -p "$dir"/{cur,new,tmp}
  n=$((n + 1))
  msg "$dir/cur/17000000$n.p.host:2,S" "m$n@x.test"
  [ "$d" = "Entwürfe" ] && msg "$dir/cur/17000001$n.p.host:2,S" "m$n-2@x.test"
done
dovecot dc1
pipeline p1.json "$(maildir "$work/src")" "$(imap dc1 ada)"
runp run p1.json
[ $rc = 0 ] && grep -q "applied 8 write" <<<"$out" && ok "an earlier Maildir (raw UTF-8 names) to Dovecot" || bad "the first run" "$out"
want=$(printf '%s\n' "Entw&APw-rfe 2" "Gesendete Elemente 1" "&ZeVnLIqe- 1" "a/b 1" "Tom &- Jerry 1" "Gr&APYA3w-e 1" "INBOX 1" | sort)
got=$(selectable dc1 ada | grep -v '^a 0$')
[ "$got" = "$want" ] && ok "its folders keep their names on the server" || bad "the server's folders" "$got"
msg new.eml new@x.test
ctl dc1 ada append "Entw&APw-rfe" new.eml
runp run p1.json
f=$(grep -rl --exclude-dir=.accord "<new@x.test>" src | head -1)
[ $rc = 0 ] && [ "${f#src/.Entwürfe/}" != "$f" ] && ok "a new server message goes into the existing .Entwürfe" ||
  bad "the new message went to [$f]" "$out"
left=$(ls -a src | grep -cE '&[A-Za-z0-9+,]+-')
[ "$left" = 0 ] && ok "no second directory for a folder that exists in raw UTF-8" || bad "second directories" "$(ls -a src)"
runp run p1.json
[ $rc = 0 ] && grep -q "nothing to do" <<<"$out" && ok "then nothing to do (no folder deleted and created again)" ||
  bad "the run after" "$out"
mv src/.Entwürfe "src/.Entw&APw-rfe"
runp run p1.json
[ $rc = 0 ] && ! grep -q "applied" <<<"$out" && [ "$(ctl dc1 ada count "Entw&APw-rfe")" = 3 ] &&
  ok "a raw UTF-8 directory renamed by hand to its modified UTF-7 spelling: the same folder, nothing travels" ||
  bad "the renamed directory" "$out"

# ---- 2. Accord writes a Maildir; a second Dovecot serves it --------------------
pipeline p2.json "$(imap dc1 ada)" "$(maildir "$work/acc")"
runp run p2.json
[ $rc = 0 ] && grep -q "applied 9 write" <<<"$out" && ok "Dovecot to a new Maildir" || bad "the run to acc" "$out"
[ -d "acc/.Entw&APw-rfe/cur" ] && [ -d "acc/.&ZeVnLIqe-/cur" ] && [ -d "acc/.Tom &- Jerry/cur" ] &&
  ok "folder names on disk in modified UTF-7" || bad "names on disk" "$(ls -a acc)"
dovecot dc2
rm -rf dc2/home/ada/Maildir
cp -a acc dc2/home/ada/Maildir
chown -R --reference=dc2/home dc2/home/ada
want=$(selectable dc1 ada)
got=$(selectable dc2 ada)
[ -n "$want" ] && [ "$got" = "$want" ] && ok "Dovecot opens every folder of Accord's Maildir, same counts" ||
  bad "Dovecot on Accord's Maildir" "want:" "$want" "got:" "$got"

# ---- 3. Accord reads the Maildir Dovecot wrote --------------------------------
pipeline p3.json "$(maildir "$work/dc1/home/ada/Maildir")" "$(imap dc1 bob)"
runp run p3.json
got=$(selectable dc1 bob)
[ $rc = 0 ] && [ "$got" = "$want" ] && ok "Dovecot's own Maildir read: the same folders in another account" ||
  bad "Dovecot's Maildir read by Accord" "want:" "$want" "got:" "$got" "$out"

# ---- 4. "folder_names": "utf-8", for Dovecot's UTF-8 layout --------------------
pipeline p4.json "$(imap dc1 ada)" "$(maildir "$work/u8" ', "folder_names": "utf-8"')"
runp run p4.json
[ $rc = 0 ] && [ -d "u8/.Entwürfe/cur" ] && [ -d "u8/.Tom & Jerry/cur" ] && ok "folder_names utf-8: raw UTF-8 on disk" ||
  bad "folder_names utf-8" "$(ls -a u8)" "$out"
dovecot dc3 'mail_location = maildir:~/Maildir:UTF-8'
rm -rf dc3/home/ada/Maildir
cp -a u8 dc3/home/ada/Maildir
chown -R --reference=dc3/home dc3/home/ada
got=$(selectable dc3 ada)
[ "$got" = "$want" ] && ok "Dovecot with :UTF-8 opens every folder, same counts" || bad "Dovecot :UTF-8" "want:" "$want" "got:" "$got"
pipeline bad.json "$(imap dc1 ada)" "$(maildir "$work/u8" ', "folder_names": "utf-16"')"
runp run bad.json
[ $rc != 0 ] && grep -q "folder_names" <<<"$out" && ok "an unknown folder_names is refused, named" || bad "folder_names utf-16" "$out"

# ---- 5. message/rfc822 part sizes alike on both sides ---------------------------
mkdir -p r/{cur,new,tmp}
fwd() {  # fwd N PART: a message forwarding PART (after its own headers) as its second part
  printf 'Message-ID: <fwd%s@x.test>\nFrom: a@x.test\nSubject: fwd %s\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\nsee attached\n--b\n%b' \
    "$1" "$1" "$2" > "r/cur/17000010$1.p.host:2,S"
}
fwd 1 'Content-Type: message/rfc822\n\nSubject: all header\nFrom: b@x.test\n--b--\n'
fwd 2 'Content-Type: message/rfc822\n\nSubject: header, then an empty line\n\n--b--\n'
fwd 3 'Content-Type: message/rfc822\n\nSubject: with a body\n\nbody\nline 2\n\n--b--\n'
fwd 4 'Content-Type: multipart/digest; boundary="d"\n\n--d\n\nSubject: d1\n--d\n\nSubject: d2\n\nbody\n--d--\n--b--\n'
fwd 5 'Content-Type: message/rfc822\n\nSubject: last, no closing delimiter\n'
pipeline p5.json "$(maildir "$work/r")" "$(imap dc1 cy)"
runp run p5.json
runp run p5.json  # reads back what the first wrote: the server's BODYSTRUCTURE
read -r n att differ < <(structure p5.sqlite 2>differs.txt)
[ "$n" = 5 ] && [ "$differ" = 0 ] && ok "message/rfc822 part sizes: the Maildir's are Dovecot's" ||
  bad "part sizes differ" "pairs=$n differing=$differ" "$(cat differs.txt)"
runp run p5.json
[ $rc = 0 ] && grep -q "nothing to do" <<<"$out" && ok "then nothing to do" || bad "the run after the sizes" "$out"
# ---- 6. no Message-ID: found again by its bytes, nothing added ----------------
mkdir -p n/{cur,new,tmp}
for i in 1 2 3; do
  printf 'From: a@x.test\nSubject: no id %s\nDate: Mon, 1 Jun 2026 10:0%s:00 +0200\n\nbody %s\n' $i $i $i > "n/cur/17000020$i.p.host:2,S"
done
pipeline p6.json "$(maildir "$work/n")" "$(imap dc1 dee)"
{ ACCORD_FAILPOINT=apply.after_write "$accord" run p6.json > kill.out 2>&1; } 2>/dev/null
runp run p6.json
c=$(ctl dc1 dee count INBOX)
[ $rc = 0 ] && [ "$c" = 3 ] && ok "a killed upload of messages without a Message-ID resumed: each once" || bad "resumed upload" "count $c" "$out"
same=0
for f in n/cur/*; do
  for g in dc1/home/dee/Maildir/cur/* dc1/home/dee/Maildir/new/*; do [ -f "$g" ] && cmp -s "$f" "$g" && same=$((same + 1)); done
done
[ "$same" = 3 ] && ok "the server's copies are the Maildir's byte for byte" ||
  bad "the server's copies differ" "$(head -3 dc1/home/dee/Maildir/cur/* 2>/dev/null)"
runp run p6.json
[ $rc = 0 ] && grep -q "nothing to do" <<<"$out" && ok "then nothing to do" || bad "the run after the upload" "$out"
exit $fail
