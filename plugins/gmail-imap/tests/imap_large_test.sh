#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# One large message (62 MiB by default) copied by gmail-imap ⇄ local maildir,
# both ways, against Dovecot: the peak RSS of the run (GNU time's %M) stays
# within twice the message's size (issue 22 item 5; mbsync takes 131 MiB for
# 62 MiB), and the copy is the message byte for byte (the Maildir ends its
# lines in LF, the server in CRLF: compared without CRs).
# Usage: imap_large_test.sh ACCORD DOVECOT_SCRIPT IMAPCTL [MIB]
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../../../tests/report.sh"  # ok, bad, runp (before any cd)
. "$(dirname "${BASH_SOURCE[0]}")/mail_lib.sh"                # mail_work, dovecot, ctl, imap, maildir, pipeline
accord=$(realpath "$1") start_dovecot=$(realpath "$2") imapctl=$(realpath "$3") mib=${4:-62}
[ -x /usr/bin/time ] || { echo "FAIL GNU time is missing (scripts/install-deps.sh installs time)"; exit 1; }
mail_work imap-large
dovecot dc
limit=$((2 * mib * 1024))  # KiB

# big FILE ID: an RFC 5322 message of $mib MiB (base64 lines, CRLF), Message-ID <ID@large>
big() {
  python3 - "$1" "$2" "$mib" <<'PY'
import base64, os, sys
path, mid, mib = sys.argv[1], sys.argv[2], int(sys.argv[3])
head = (f"From: Ada <ada@example.org>\r\nTo: Bo <bo@example.org>\r\nSubject: large {mid}\r\n"
        f"Date: Mon, 02 Mar 2026 10:00:00 +0000\r\nMessage-ID: <{mid}@large>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n").encode()
line = base64.b64encode(os.urandom(57)) + b"\r\n"  # 78 bytes
with open(path, "wb") as f:
    f.write(head)
    for _ in range(mib * 1024 * 1024 // len(line)):
        f.write(line)
PY
}
# peak RSS (KiB) of an accord run; its output in $out, its exit code in $rc
measured() {
  out=$(/usr/bin/time -f 'peak %M' -o "$work/time.out" "$accord" "$@" 2>&1); rc=$?
  printf '%s\n' "$out" >> all.out
  peak=$(awk '/^peak /{print $2}' "$work/time.out")
}
find_msg() { grep -rl "^Message-ID: <$2@large>" "$1" 2>/dev/null | head -1; }
same() { cmp -s <(tr -d '\r' < "$1") <(tr -d '\r' < "$2"); }

# server → Maildir
inbox="$work/dc/home/ada/Maildir"
mkdir -p "$inbox/cur" "$inbox/new" "$inbox/tmp"
big "$inbox/cur/1700000000.large1.host:2,S" down
[ "$(id -u)" = 0 ] && chown -R nobody:nogroup "$work/dc/home"
pipeline p.json "$(maildir m)" "$(imap)"
measured run p.json
got=$(find_msg "$work/m" down)
if [ $rc = 0 ] && [ -n "$got" ] && same "$got" "$inbox/cur/1700000000.large1.host:2,S"; then
  [ -n "$peak" ] && [ "$peak" -le $limit ] && ok "server → Maildir: $mib MiB message, peak RSS $((peak / 1024)) MiB (≤ $((limit / 1024)))" ||
    bad "server → Maildir: $mib MiB message took peak RSS $((peak / 1024)) MiB (more than $((limit / 1024)))"
else bad "server → Maildir: the $mib MiB message did not arrive byte for byte (exit $rc)" "$out"; fi

# Maildir → server
big "$work/m/cur/1700000001.large2.host:2,S" up
measured run p.json
python3 "$imapctl" "$port" "$ca" ada "$pw" raw INBOX "<up@large>" > "$work/up.eml" 2>/dev/null
if [ $rc = 0 ] && same "$work/up.eml" "$work/m/cur/1700000001.large2.host:2,S"; then
  [ -n "$peak" ] && [ "$peak" -le $limit ] && ok "Maildir → server: $mib MiB message, peak RSS $((peak / 1024)) MiB (≤ $((limit / 1024)))" ||
    bad "Maildir → server: $mib MiB message took peak RSS $((peak / 1024)) MiB (more than $((limit / 1024)))"
else bad "Maildir → server: the $mib MiB message did not arrive byte for byte (exit $rc)" "$out"; fi

runp run p.json
[ $rc = 0 ] && grep -q "nothing to do" <<<"$out" && ok "then nothing to do" || bad "then nothing to do" "$out"
exit $fail
