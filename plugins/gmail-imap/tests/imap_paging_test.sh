#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gmail-imap: a listing in pages (batch_size 2) resumed from its cursor by a
# new instance, against a real Dovecot, in the three dialects (QRESYNC,
# CONDSTORE only as Gmail has it, neither): the conformance kit's paging
# check, with 3 messages in INBOX. The resumed page must SELECT the cursor's
# folder itself (a new session has none selected, and one that selected
# another folder would read that folder's messages under this one's UIDs).
# Usage: imap_paging_test.sh CONFORMANCE GMAIL_PLUGIN DOVECOT_SCRIPT IMAPCTL
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../../../tests/report.sh"  # ok, bad (before any cd)
. "$(dirname "${BASH_SOURCE[0]}")/mail_lib.sh"                # mail_work, dovecot, ctl
conformance=$(realpath "$1") plugin=$(realpath "$2") start_dovecot=$(realpath "$3") imapctl=$(realpath "$4")
mail_work imap-paging

for dialect in QRESYNC CONDSTORE plain; do
  dovecot dc-$dialect $dialect
  # 3 messages in INBOX: two pages of 2
  for i in 1 2 3; do
    printf 'Message-ID: <p%s@x.test>\nFrom: a@x.test\nSubject: p%s\n\nbody %s\n' $i $i $i > "p$i.eml"
    ctl append INBOX "p$i.eml" || bad "$dialect: append p$i"
  done
  printf '{"url": "imaps://localhost:%s", "user": "ada", "password": "%s", "ca_file": "%s", "batch_size": 2}\n' \
    "$port" "$pw" "$ca" > "kit-$dialect.json"
  out=$("$conformance" "$plugin" --config "kit-$dialect.json" --stream message 2>&1)
  if grep -q "^ok   paging$" <<<"$out" && ! grep -q "^FAIL " <<<"$out"; then
    ok "$dialect: a listing in pages of 2, resumed from its cursor by a new instance (kit: paging and the rest)"
  else bad "$dialect: paged kit run" "$(sed "s/$pw/***/g" <<<"$out")"; fi
done
exit $fail
