#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A message is never written into an Outlook folder the message stream does
# not sync (`mail_folders`): there the stream no longer sees it, and the next
# full listing (after a delta token expired, 410) would take it for deleted
# and delete its source. A Maildir (INBOX, a folder Work, a folder Junk) ⇄
# Outlook with mail_folders ["inbox"]: the Inbox's messages go; the one in
# Work (a folder Outlook would have to make, unsynced) and the one in Junk
# (Junk Email exists, unsynced) are refused with a message naming the folder
# and mail_folders, nothing made; after the delta tokens expire, a full
# listing deletes nothing from the Maildir. Against tests/peers/msgraph_fake.js.
#
# Usage: outlook_mail_folders_test.sh ACCORD PEERS_DIR
set -u
. "$(dirname "${BASH_SOURCE[0]}")/graph_fake.sh"  # ok, bad, runp; graph_work, graph_start, graph_secrets, graph_config; post, api, js, jget, nothing
accord=$(realpath "$1") peers=$(realpath "$2")
graph_work outlook-mail-folders
graph_start
graph_secrets
graph_config 5
mkdir -p md/cur md/new md/tmp md/.Work/cur md/.Work/new md/.Work/tmp md/.Junk/cur md/.Junk/new md/.Junk/tmp
mail() {  # mail FILE SUBJECT
  printf 'Message-ID: <%s@example.org>\r\nDate: Mon, 02 Mar 2026 10:00:00 +0000\r\nFrom: Bob <bob@example.org>\r\nTo: ada@contoso.com\r\nSubject: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBody of %s\r\n' \
    "${2// /-}" "$2" "$2" > "$1"
}
mail md/cur/1001.a:2,S "Inbox one"; mail md/cur/1002.b:2,S "Inbox two"; mail md/cur/1003.c:2,S "Inbox three"
mail md/.Work/cur/1004.d:2,S "Work one"; mail md/.Junk/cur/1005.e:2,S "Junk one"
cat > p.json <<JSON
{"name": "mail-folders", "state": "s.sqlite",
 "left": {"connector": "local", "config": {"backend": "maildir", "path": "md"}},
 "right": {"connector": "outlook-mapi", "config": {$graph, "mail_folders": ["inbox"]}},
 "streams": [{"name": "mail", "left": "message", "right": "message", "match": [{"left": "/messageId"}],
              "guards": {"max_delete_share": 0.9}}]}
JSON
# where Outlook has each message: subject@folder, sorted
where() { js "Object.values(d.messages).filter(m=>!m.deleted).map(m=>m.data.subject+'@'+((d.folders[m.parent]||{}).displayName)).sort().join(',')"; }
runp run p.json
first=$out
[ "$(where)" = "Inbox one@Inbox,Inbox three@Inbox,Inbox two@Inbox" ] && [ -z "$(js "Object.values(d.folders).filter(f=>f.displayName==='Work').map(f=>f.id).join()")" ] \
  && ok only-the-synced-folders-messages-written-no-folder-made || bad only-the-synced-folders-messages-written-no-folder-made "$(where)" "$out"
printf '%s' "$out" | grep -q 'not among the folders.*mail_folders' && ok refusal-names-the-folder-and-mail_folders || bad refusal-names-the-folder-and-mail_folders "$out"
post /__control '{"expire_delta_tokens": true}' > /dev/null
runp run p.json
n=$(find md -type f -path '*/cur/*' | wc -l)
[ "$n" = 5 ] && ! printf '%s' "$out" | grep -q "left delete" && ok full-listing-deletes-nothing-from-the-maildir \
  || bad full-listing-deletes-nothing-from-the-maildir "$n files: $(find md -type f -path '*/cur/*')" "$first" "$out"
exit $fail
