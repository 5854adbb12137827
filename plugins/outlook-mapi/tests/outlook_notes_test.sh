#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The graph backend's note stream: Outlook notes through Graph v1.0's
# /me/notes (resources/note.md, dated 2026-08-07), against
# tests/peers/msgraph_fake.js. The conformance kit on the stream; a folder of
# JSON notes ⇄ Outlook both ways: creates (Outlook keeps the text as HTML, read
# back as the same text), an edit made in Outlook, a delete made in Outlook, a
# second run with nothing to do; a create whose answer is lost is found again by
# what it sent (a note has no documented key of ours), so it is made once, and
# so is one whose run was killed (-9) after Outlook made it, also when resumed
# 10 minutes later (the look-up's window starts at the first try); the
# same after the delta token expired (a full listing, nothing deleted); a note
# holding an image in Outlook is read as its text, and an edit of that text
# elsewhere is not written over it (the image would go), saying why.
#
# Usage: outlook_notes_test.sh ACCORD CONFORMANCE PLUGIN PEERS_DIR
set -u
. "$(dirname "${BASH_SOURCE[0]}")/graph_fake.sh"  # ok, bad, runp; graph_work, graph_start, graph_secrets, graph_config; post, api, js, jget, nothing
accord=$(realpath "$1") conformance=$(realpath "$2") plugin=$(realpath "$3") peers=$(realpath "$4")
graph_work outlook-notes
graph_start
graph_secrets
graph_config 2

# -- the conformance kit (pages of 2; the kit resolves no secrets: the token inline)
printf '{"account": "ada@contoso.com", "graph_url": "%s/v1.0", "access_token": "%s", "page_size": 2}\n' "$base" "$token" > kit.json
cat > note.json <<'JSON'
{"create": {"title": "Kit note", "body": "First line\nSecond <line> & more", "categories": ["Kit"]},
 "update": {"title": "Kit note, edited", "body": "Only one line now"}}
JSON
out=$("$conformance" "$plugin" --config kit.json --stream note --sample note.json --verbose 2>&1); rc=$?
printf '%s\n' "$out" > kit-note.out
[ $rc = 0 ] && printf '%s' "$out" | grep -Eq "[0-9]+ passed, 0 failed" && ok conformance-kit-passes-note \
  || bad conformance-kit-passes-note "$(grep -v '^     ' kit-note.out | grep -v '^[<>]' | tail -20)"
# a note is found by its content, never by a key: find_only answers unsupported, writing nothing (the host may delete
# what a find_only finds, and a look-alike note may be the user's)
grep -q '^skip find-only: stream answers find_only unsupported' kit-note.out && ok find-only-unsupported-on-notes \
  || bad find-only-unsupported-on-notes "$(grep 'find-only' kit-note.out)"

# -- JSON notes ⇄ Outlook notes
notes() { js "Object.values(d.notes).map(n=>n.data.subject).sort().join(',')"; }
mkdir -p nf/note
printf '{"title": "Groceries", "body": "Milk\\nEggs"}\n' > nf/note/g.json
printf '{"title": "Ideas", "body": "Sync <all> the things & more", "categories": ["Work"]}\n' > nf/note/i.json
cat > p.json <<JSON
{"name": "notes", "state": "s.sqlite",
 "left": {"connector": "local", "config": {"backend": "json", "path": "nf"}},
 "right": {"connector": "outlook-mapi", "config": {$graph}},
 "streams": [{"name": "notes", "left": "note", "right": "note", "guards": {"max_delete_share": 0.9}}]}
JSON
runp run p.json
[ $rc = 0 ] && [ "$(notes)" = "Groceries,Ideas" ] \
  && [ "$(js "Object.values(d.notes).find(n=>n.data.subject==='Groceries').data.body.content")" = "$(printf 'Milk\nEggs')" ] \
  && ok json-notes-reach-outlook || bad json-notes-reach-outlook "rc=$rc notes=$(notes)" "$out"
runp run p.json
nothing second-run-nothing-to-do

gid=$(api GET '/me/notes?$filter=subject%20eq%20%27Groceries%27' | jget "v.value[0].id")
api PATCH "/me/notes/$gid" '{"body": {"contentType": "html", "content": "<html><body><p>Milk</p><p>Eggs &amp; bread</p></body></html>"}}' > patch.out
runp run p.json
gfile=$(grep -l '"Groceries"' nf/note/*.json | head -1)
[ $rc = 0 ] && [ "$(jget 'v.body' < "$gfile")" = "$(printf 'Milk\nEggs & bread')" ] \
  && ok an-outlook-edit-reaches-the-folder-as-text || bad an-outlook-edit-reaches-the-folder-as-text "rc=$rc $(cat patch.out | head -c 300)" "$out" "$(cat "$gfile")"
runp run p.json
nothing nothing-to-do-after-the-edit

iid=$(api GET '/me/notes?$filter=subject%20eq%20%27Ideas%27' | jget "v.value[0].id")
api DELETE "/me/notes/$iid" > /dev/null
runp run p.json
[ $rc = 0 ] && ! grep -lq '"Ideas"' nf/note/*.json && [ "$(ls nf/note | wc -l)" = 1 ] \
  && ok an-outlook-delete-reaches-the-folder || bad an-outlook-delete-reaches-the-folder "rc=$rc $(ls nf/note)" "$out"

# -- a create whose answer is lost: found by what it sent, made once
printf '{"title": "Lost answer", "body": "Made once"}\n' > nf/note/l.json
post /__fault '{"drop_answer_after_commit": 1, "method": "POST", "path": "/v1.0/me/notes"}' > /dev/null
runp run p.json
first=$out
runp run p.json
[ "$(js "Object.values(d.notes).filter(n=>n.data.subject==='Lost answer').length")" = 1 ] && [ "$(ls nf/note | wc -l)" = 2 ] \
  && ok a-create-whose-answer-was-lost-is-made-once || bad a-create-whose-answer-was-lost-is-made-once "notes=$(notes) files=$(ls nf/note)" "$first" "$out"
runp run p.json
nothing nothing-to-do-after-the-lost-answer

# -- the delta token expired: a full listing, nothing deleted or copied
post /__control '{"expire_delta_tokens": true}' > /dev/null
runp run p.json
[ $rc = 0 ] && [ "$(notes)" = "Groceries,Lost answer" ] && [ "$(ls nf/note | wc -l)" = 2 ] \
  && ok full-listing-after-expiry-changes-nothing || bad full-listing-after-expiry-changes-nothing "rc=$rc notes=$(notes) files=$(ls nf/note)" "$out"
# -- accord killed (-9) after Outlook made a note and before it answered: the next run sends the create again
# as a resend (sent_at), which finds the note by what it sent and makes no second one
printf '{"title": "Killed run", "body": "Made before the kill"}\n' > nf/note/k.json
post /__fault '{"stop_after_commit": 1, "method": "POST", "path": "/v1.0/me/notes"}' > /dev/null
"$accord" run p.json > killed.out 2>&1 & apid=$!
stopped=0
for _ in $(seq 1 200); do [ "$(awk '{print $3}' /proc/$peer_pid/stat 2>/dev/null)" = T ] && { stopped=1; break; }; sleep 0.05; done
kill -9 $apid 2>/dev/null; wait $apid 2>/dev/null
kill -CONT $peer_pid
runp run p.json
again=$out
runp run p.json
[ $stopped = 1 ] && [ "$(js "Object.values(d.notes).filter(n=>n.data.subject==='Killed run').length")" = 1 ] && [ "$(grep -l '"Killed run"' nf/note/*.json | wc -l)" = 1 ] \
  && printf '%s' "$out" | grep -q "nothing to do" \
  && ok a-run-killed-after-outlook-made-a-note-makes-it-once || bad a-run-killed-after-outlook-made-a-note-makes-it-once \
    "stopped=$stopped notes=$(notes) files=$(ls nf/note)" "$(cat killed.out)" "$again" "$out"

# -- the same, resumed 10 minutes after the try that made the note (d22695c): the resend looks for it from the
# first try that may have written (first_sent_at: the journal's intent) less 5 minutes for the clocks, so it
# finds the note and makes no second one. Before, it looked only around the latest try (sent_at: the resuming
# run's start) less 5 minutes: the note made 10 minutes earlier was not found and a second was made. The 10
# minutes pass without waiting: the fake's stored times (age_s) and the journal's intent move 600 s back.
printf '{"title": "Killed long ago", "body": "Made ten minutes before the resend"}\n' > nf/note/k2.json
post /__fault '{"stop_after_commit": 1, "method": "POST", "path": "/v1.0/me/notes"}' > /dev/null
"$accord" run p.json > killed2.out 2>&1 & apid=$!
stopped=0
for _ in $(seq 1 200); do [ "$(awk '{print $3}' /proc/$peer_pid/stat 2>/dev/null)" = T ] && { stopped=1; break; }; sleep 0.05; done
kill -9 $apid 2>/dev/null; wait $apid 2>/dev/null
kill -CONT $peer_pid
post /__control '{"age_s": 600}' > /dev/null
intents=$(sqlite3 s.sqlite "SELECT count(*) FROM journal WHERE op='create'")
sqlite3 s.sqlite "UPDATE journal SET created = strftime('%Y-%m-%dT%H:%M:%SZ', created, '-600 seconds')"
runp run p.json
again=$out
runp run p.json
long() { js "Object.values(d.notes).filter(n=>n.data.subject==='Killed long ago').length"; }
[ $stopped = 1 ] && [ "$intents" = 1 ] && [ "$(long)" = 1 ] && [ "$(grep -l '"Killed long ago"' nf/note/*.json | wc -l)" = 1 ] \
  && printf '%s' "$out" | grep -q "nothing to do" \
  && ok a-note-made-ten-minutes-before-its-resend-is-found-not-made-again \
  || bad a-note-made-ten-minutes-before-its-resend-is-found-not-made-again \
    "stopped=$stopped intents=$intents notes=$(long) files=$(ls nf/note)" "$(cat killed2.out)" "$again" "$out"

# -- a note with an image (an inline attachment its HTML body shows): the other side's text is never written over it
sid=$(api POST /me/notes '{"subject": "Sketch", "body": {"contentType": "html", "content": "<html><body><p>Whiteboard</p><img src=\"cid:img1\" /></body></html>"}}' | jget "v.id")
api POST "/me/notes/$sid/attachments" '{"@odata.type": "#microsoft.graph.fileAttachment", "name": "board.png", "contentType": "image/png", "contentBytes": "iVBORw0KGgo=", "contentId": "img1", "isInline": true}' > att.out
runp run p.json
sfile=$(grep -l '"Sketch"' nf/note/*.json | head -1)
[ $rc = 0 ] && [ -n "$sfile" ] && [ "$(jget 'v.body' < "$sfile")" = "Whiteboard" ] \
  && ok a-note-with-an-image-reaches-the-folder-as-text || bad a-note-with-an-image-reaches-the-folder-as-text "rc=$rc $(head -c 300 att.out)" "$out"
node -e 'const f=require("fs"),p=process.argv[1],v=JSON.parse(f.readFileSync(p));v.body="Whiteboard, cleaned";f.writeFileSync(p,JSON.stringify(v))' "$sfile"
runp run p.json
[ "$(js "Object.values(d.notes).filter(n=>n.data.subject==='Sketch'&&/cid:img1/.test(n.data.body.content)).length")" = 1 ] \
  && [ "$(jget 'v.body' < "$sfile")" = "Whiteboard, cleaned" ] && printf '%s' "$out" | grep -q "holds images in Outlook" \
  && ok the-image-note-is-not-overwritten-and-says-why || bad the-image-note-is-not-overwritten-and-says-why "rc=$rc $(js "JSON.stringify(Object.values(d.notes).filter(n=>n.data.subject==='Sketch').map(n=>n.data.body))")" "$out"
# -- two notes with the same words, the second's create answer lost (review s11 F1): the look-up finds two
# notes holding what it sent and takes neither (before: it took the first, already the other file's, whose
# link moved to it; the note made for it came back as a third file). Nothing is linked twice or made twice.
mkdir -p nf2/note
sed -e 's/"s.sqlite"/"s2.sqlite"/' -e 's/"path": "nf"/"path": "nf2"/' p.json > p2.json
printf '{"title": "TODO", "body": "call the bank"}\n' > nf2/note/a.json
runp run p2.json
n1=$(api GET '/me/notes?$filter=subject%20eq%20%27TODO%27' | jget "v.value[0].id")
printf '{"title": "TODO", "body": "call the bank"}\n' > nf2/note/b.json
post /__fault '{"drop_answer_after_commit": 1, "method": "POST", "path": "/v1.0/me/notes"}' > /dev/null
runp run p2.json
lost=$out
runp run p2.json
todo() { js "Object.values(d.notes).filter(n=>n.data.subject==='TODO').length"; }
todo_files() { grep -l '"TODO"' nf2/note/*.json | wc -l; }  # (the folder also gets the mailbox's other notes)
[ -n "$n1" ] && [ "$(todo)" = 2 ] && [ "$(todo_files)" = 2 ] && printf '%s' "$lost" | grep -q "none is taken" \
  && ok two-notes-alike-a-lost-answer-takes-neither || bad two-notes-alike-a-lost-answer-takes-neither \
    "n1=$n1 todo=$(todo) files=$(todo_files)" "$lost" "$out"
printf '{"title": "TODO", "body": "call the bank before Friday"}\n' > nf2/note/a.json
runp run p2.json
[ "$(todo)" = 2 ] && [ "$(todo_files)" = 2 ] \
  && [ "$(js "Object.values(d.notes).filter(n=>/before Friday/.test(n.data.body.content)).map(n=>n.key).length")" = 1 ] \
  && [ "$(api GET "/me/notes/$n1" | jget "v.body.content" | grep -c 'before Friday')" = 1 ] \
  && ok the-first-note-keeps-its-link || bad the-first-note-keeps-its-link "todo=$(todo) files=$(todo_files)" "$out"
exit $fail
