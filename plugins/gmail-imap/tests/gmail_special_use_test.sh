#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gmail-imap against the Gmail fake as strict as Gmail (issue 22 item 8): the
# special folders keyed by their SPECIAL-USE flags, never by their localised
# names. Gmail ⇄ Maildir with a message in INBOX, one with a user label alone
# (a space and a non-ASCII letter: modified UTF-7 on the wire), one archived
# (All Mail alone), one sent; system labels come quoted ("\\Inbox"). Then the
# account's language changes ([Gmail]/All Mail becomes [Google Mail]/Alle
# Nachrichten): nothing is deleted, nothing downloaded again, and the runs
# after it carry labels both ways. delete: "expunge" reports a delete only
# once the message has left All Mail (Gmail's default setting archives it:
# the op fails saying so); a BYE for Gmail's bandwidth limits is a retry. A
# state an earlier version made (ids "[Gmail]/All Mail;UIDVALIDITY=…",
# mailboxIds by the English names; made here by rewriting a new state) keeps
# its ids and names through the language change.
# Usage: gmail_special_use_test.sh ACCORD FAKE IMAPCTL
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../../../tests/report.sh"  # ok, bad, runp (before any cd)
. "$(dirname "${BASH_SOURCE[0]}")/mail_lib.sh"                # mail_work, gmail_fake, ctl, imap, maildir, pipeline
accord=$(realpath "$1") fake=$(realpath "$2") imapctl=$(realpath "$3")
mail_work gmail-special
gmail_fake "$fake"
count() { find "$1" -path '*/.accord' -prune -o -type f \( -path '*/cur/*' -o -path '*/new/*' \) -print 2>/dev/null | wc -l; }
file_of() { grep -rl --exclude-dir=.accord "<$2>" "$1" | head -1; }
gmail_ids() { sqlite3 "${1:-p}.sqlite" "SELECT id FROM mirror WHERE side = 'left' AND deleted = 0 ORDER BY id"; }
boxes() { sqlite3 "${2:-p}.sqlite" "SELECT group_concat(k.key, ' ') FROM mirror m, json_each(json_extract(m.data, '\$.mailboxIds')) k
                            WHERE m.side = 'left' AND m.deleted = 0 AND json_extract(m.data, '\$.messageId[0]') = '$1'"; }
msg() { printf 'Message-ID: <%s>\nFrom: a@x.test\nSubject: %s\n\nbody of %s\n' "$1" "$1" "$1" > "$2"; }
ALL="[Gmail]/All Mail" LABEL="Reisen für Urlaub" LABEL7='"Reisen f&APw-r Urlaub"'

msg i1@x.test i1.eml; ctl append INBOX i1.eml
msg l1@x.test l1.eml; ctl append "$ALL" l1.eml; ctl store "$ALL" '<l1@x.test>' +X-GM-LABELS "$LABEL7"
msg a1@x.test a1.eml; ctl append "$ALL" a1.eml                 # archived: All Mail alone
msg s1@x.test s1.eml; ctl append "[Gmail]/Sent Mail" s1.eml
pipeline p.json "$(imap ', "delete": "expunge"')" "$(maildir m)"
runp run p.json
if [ $rc = 0 ] && [ "$(count m)" = 4 ] && [ "$(boxes i1@x.test)" = INBOX ] && [ "$(boxes l1@x.test)" = "$LABEL" ] &&
   [ "$(boxes a1@x.test)" = '\All' ] && [ "$(boxes s1@x.test)" = '\Sent' ] && ! gmail_ids | grep -qv '^\\All;UIDVALIDITY='; then
  ok "Gmail → Maildir: ids and mailboxIds name All Mail and Sent by their flags (\\All, \\Sent); a quoted \\Inbox and a label in modified UTF-7 read"
else bad "first run" "$out" "i1: $(boxes i1@x.test) | l1: $(boxes l1@x.test) | a1: $(boxes a1@x.test) | s1: $(boxes s1@x.test)" "$(gmail_ids)"; fi
runp run p.json
grep -q "nothing to do" <<<"$out" || bad "the second run has something to do" "$out"

# a state as an earlier version left it: All Mail and Sent by their English names
pipeline old.json "$(imap)" "$(maildir old)"
runp run old.json
python3 - old.sqlite <<'PY'
import re, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
def old(v):  # what an earlier version wrote: English names, no "gm" in the cursor
    if not isinstance(v, str):
        return v
    v = v.replace("\\All;UIDVALIDITY=", "[Gmail]/All Mail;UIDVALIDITY=")
    v = v.replace('"\\\\All"', '"[Gmail]/All Mail"').replace('"\\\\Sent"', '"[Gmail]/Sent Mail"')
    return re.sub(r',"gm":\{[^}]*\}', "", v)
for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
    cols = [c[1] for c in db.execute("PRAGMA table_info(%s)" % t)]
    for row in db.execute("SELECT rowid, * FROM %s" % t).fetchall() if "WITHOUT ROWID" not in (db.execute("SELECT sql FROM sqlite_master WHERE name = ?", (t,)).fetchone()[0] or "") else []:
        new = [old(v) for v in row[1:]]
        if new != list(row[1:]):
            db.execute("UPDATE %s SET %s WHERE rowid = ?" % (t, ", ".join("%s = ?" % c for c in cols)), new + [row[0]])
    if "WITHOUT ROWID" in (db.execute("SELECT sql FROM sqlite_master WHERE name = ?", (t,)).fetchone()[0] or ""):
        rows = db.execute("SELECT * FROM %s" % t).fetchall()
        db.execute("DELETE FROM %s" % t)
        db.executemany("INSERT INTO %s VALUES (%s)" % (t, ",".join("?" * len(cols))), [[old(v) for v in r] for r in rows])
db.commit()
PY
old_ids=$(gmail_ids old)
runp run old.json
if [ $rc = 0 ] && grep -q "nothing to do" <<<"$out" && grep -q '^\[Gmail\]/All Mail;UIDVALIDITY=' <<<"$old_ids" &&
   [ "$(boxes s1@x.test old)" = "[Gmail]/Sent Mail" ]; then
  ok "a state an earlier version made (All Mail and Sent by their English names) reads as it is"
else bad "an earlier version's state" "$out" "$old_ids" "s1: $(boxes s1@x.test old)"; fi

# ---- the account's language changes ------------------------------------------
echo '{"language": "de"}' > control.json
ctl folders 2>&1 | grep 'Alle Nachrichten' > /dev/null || bad "the fake did not switch to German" "$(ctl folders)"
before=$(gmail_ids)
runp run p.json
if [ $rc = 0 ] && grep -q "nothing to do" <<<"$out" && [ "$(count m)" = 4 ] && [ "$(gmail_ids)" = "$before" ]; then
  ok "the account's language changes ([Google Mail]/Alle Nachrichten): nothing deleted, nothing downloaded again"
else bad "after the language change: $(count m) messages in the Maildir" "$out"; fi
runp run old.json
if [ $rc = 0 ] && grep -q "nothing to do" <<<"$out" && [ "$(count old)" = 4 ] && [ "$(gmail_ids old)" = "$old_ids" ]; then
  ok "…and an earlier version's state too: its ids (\"[Gmail]/All Mail;…\") still name the messages"
else bad "an earlier version's state after the language change: $(count old) messages" "$out"; fi
ALL="[Google Mail]/Alle Nachrichten"

# then labels travel both ways, under the new names
ctl store "$ALL" '<i1@x.test>' +X-GM-LABELS "$LABEL7"
runp run p.json; first=$out first_rc=$rc
msg n1@x.test "$(dirname "$(file_of m s1@x.test)")/1700000101.n1.host:2,S"   # written beside the sent message
msg n2@x.test "$(dirname "$(file_of m l1@x.test)")/1700000102.n2.host:2,S"   # beside the labelled one
runp run p.json
labels=$(ctl labels "$ALL")
if [ "$first_rc" = 0 ] && [ $rc = 0 ] && [ "$(boxes i1@x.test)" = "INBOX $LABEL" ] && [ "$(count m)" = 6 ] &&
   grep -q '^n1@x.test .*\\Sent' <<<"$labels" && grep -q "^n2@x.test .*Reisen f&APw-r Urlaub" <<<"$labels" &&
   ! grep -q 'Gmail\]\|Google Mail\]' <<<"$labels"; then
  ok "after it, a label set on Gmail reaches the Maildir, and new messages get \\Sent and the user's label (modified UTF-7) on Gmail"
else bad "labels after the language change" "$first" "--- then:" "$out" "$labels" "i1: $(boxes i1@x.test)"; fi
runp run old.json
if [ $rc = 0 ] && [ "$(boxes i1@x.test old)" = "INBOX $LABEL" ] && [ "$(boxes s1@x.test old)" = "[Gmail]/Sent Mail" ] &&
   [ "$(boxes n1@x.test old)" = "[Gmail]/Sent Mail" ] && [ "$(count old)" = 6 ] && ! grep -Eq '[1-9][0-9]* to delete' <<<"$out"; then
  ok "…and into the earlier version's state, under the names it holds"
else bad "the earlier version's state after the label changes" "$out" "i1: $(boxes i1@x.test old) n1: $(boxes n1@x.test old)"; fi
runp run p.json
grep -q "nothing to do" <<<"$out" || bad "then a run has something to do" "$out"

# ---- delete: "expunge" under Gmail's settings ---------------------------------
rm "$(file_of m a1@x.test)"
runp run p.json
if [ $rc != 0 ] && grep -q "archived the message instead of deleting it" <<<"$out" && ctl msgids "$ALL" | grep -qx a1@x.test; then
  ok "delete: expunge on Gmail's default setting (archive): the message stays in All Mail and the delete says so"
else bad "expunge, archive setting" "$out" "$(ctl msgids "$ALL")"; fi
# …a labelled message too, and archiving's taking off its labels is undone:
# the next run tries the delete again rather than seeing the message changed
# on Gmail, the change winning, and bringing it back into the Maildir
i1_labels=$(ctl labels "$ALL" | grep '^i1@x.test ')
rm "$(file_of m i1@x.test)"
runp run p.json
first=$out first_rc=$rc
sqlite3 p.sqlite "UPDATE quarantine SET next_retry = 0"
runp run p.json
if [ $first_rc != 0 ] && [ $rc != 0 ] && [ "$(grep -c "archived the message instead of deleting it" <<<"$out")" = 2 ] &&
   [ -z "$(file_of m i1@x.test)" ] && grep -q Inbox <<<"$i1_labels" && [ "$(ctl labels "$ALL" | grep '^i1@x.test ')" = "$i1_labels" ]; then
  ok "…a labelled message keeps its labels, stays deleted in the Maildir, and the next run tries the delete again"
else bad "expunge, archive setting, a labelled message: $(file_of m i1@x.test); labels before: $i1_labels" "$first" "--- then:" "$out" "$(ctl labels "$ALL")"; fi
echo '{"language": "de", "expunge": "trash"}' > control.json
sqlite3 p.sqlite "UPDATE quarantine SET next_retry = 0"
runp run p.json
if [ $rc = 0 ] && ! ctl msgids "$ALL" | grep -qx a1@x.test && ctl msgids "[Google Mail]/Papierkorb" | grep -qx a1@x.test; then
  ok "…with \"Move the message to the Trash\" the message leaves All Mail and the delete is done"
else bad "expunge, trash setting" "$out" "$(ctl msgids "$ALL")"; fi

# ---- Gmail's BYE for its bandwidth limits --------------------------------------
msg b1@x.test b1.eml; ctl append INBOX b1.eml
echo '{"language": "de", "bye": "fetch"}' > control.json
runp run p.json
if [ $rc != 0 ] && grep -q "over a limit" <<<"$out" && [ -z "$(file_of m b1@x.test)" ]; then
  ok "a BYE for the bandwidth limits mid-run is a retry later"
else bad "bandwidth BYE" "$out"; fi
echo '{"language": "de"}' > control.json
runp run p.json
[ $rc = 0 ] && [ -n "$(file_of m b1@x.test)" ] && ok "the next run carries it" || bad "after the BYE" "$out"
exit $fail
