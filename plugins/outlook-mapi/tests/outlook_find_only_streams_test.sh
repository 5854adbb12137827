#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A lost create's record edited or not in Outlook, on outlook-mapi's task,
# event and message streams (outlook_find_only_test.sh does contacts), end to
# end against the strict Graph fake: a $batch of creates whose answer is lost
# after Outlook made them, the look-up by key that follows failing too (a
# 503): one create is kept, answered retry. Its source is deleted in the
# folder.
#   - task, message: a run reads that delete while the resend fails again;
#     the next run asks Outlook only whether the key's item exists
#     (find_only) and judges it "as created" or "edited there since" in
#     Outlook's terms (journal.cpp as_created);
#   - event: Outlook's event listing gives the key back, so the event the
#     lost try made is relinked by it in the run that reads Outlook (checked:
#     relinked, and as sent), and the source's delete is an ordinary one,
#     planned after the read; an edit made in Outlook on a member its
#     manifest names only by a nested pointer (the location:
#     "/locations/*/name") goes through the merge.
# STREAMS (default "event task") picks the streams; STREAMS=message (ctest
# outlook_mapi.find_only_messages) a Maildir's messages: a message found as
# made is judged by what Outlook makes of what was sent (accord.check.v1:
# mail::as_kept; before it, "edited there since: /categories, /size", its
# empty categories and its own MIME's size, and copied back). A message
# Outlook deletes goes to the hidden Recoverable Items (message-delete.md):
# not listed as held. SOURCE_KEPT=1: the first kept create's source stays
# (its resend, the look-up failing once, links the item the lost try made:
# each item once on each side, nothing copied either way).
# Either way:
#   - as the create made it: deleted in Outlook, as its source was, nothing
#     copied back;
#   - edited in Outlook since (a task's importance; an event's location; a
#     message flagged):
#     kept, and copied back to the folder with its edit (the edit wins;
#     nothing lost).
# Each item once on each side after, nothing left kept.
#
# Usage: [STREAMS="event task message"] outlook_find_only_streams_test.sh ACCORD PEERS_DIR   (KEEP=DIR: the work folder is copied there)
set -u
. "$(dirname "${BASH_SOURCE[0]}")/graph_fake.sh"  # ok, bad, runp; graph_work, graph_start, graph_secrets, graph_config, post, api, js
accord=$(realpath "$1") peers=$(realpath "$2")
watcher=
graph_work outlook-find-only-streams
export XDG_STATE_HOME="$work/.local/state"
fail=0
graph_start
graph_secrets
graph_config

# Per stream: the folder's record N (what Outlook keeps of it, so that the item a create made reads back as
# it was sent), Outlook's live items named Find*, "name|detail" sorted, the folder's the same way, an edit made
# in Outlook, and the path of the look-up by key (answered 503 to keep a create).
record() {  # STREAM N
  case $1 in
    event) printf '{"@type": "Event", "title": "FindEvent%s", "locations": {"l1": {"@type": "Location", "name": "Room %s"}}, "start": "2027-03-0%sT09:00:00", "timeZone": "Etc/UTC", "duration": "PT1H"}\n' $2 $2 $2 ;;
    task) printf '{"@type": "Task", "title": "FindTask%s", "progress": "needs-action"}\n' $2 ;;
    message) printf 'Message-ID: <find-%s@example.org>\r\nDate: Mon, 02 Mar 2026 09:0%s:00 +0000\r\nFrom: Ada <ada@example.org>\r\nTo: bob@example.org\r\nSubject: FindMessage%s\r\nContent-Type: text/plain\r\n\r\nHi %s.\r\n' $2 $2 $2 $2 > "md/cur/600$2.f$2:2,S"; return ;;
  esac > "book/$1/f$2.json"
}
outlook() {  # STREAM
  curl -s "$base/__dump" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const d=JSON.parse(s),k=process.argv[1];
    const hidden=new Set(Object.values(d.folders).filter(f=>f.isHidden).map(f=>f.id));  // a deleted message: moved to Recoverable Items
    const v=Object.values(k==="event"?d.events:k==="message"?d.messages:d.tasks).filter(x=>!x.deleted&&!hidden.has(x.parent)&&!(x.data.isDraft)&&/^Find/.test(x.data.subject||x.data.title||""));
    for (const n of v.map(x=>k==="event"?x.data.subject+"|"+((x.data.location||{}).displayName||""):k==="message"?x.data.subject+"|"+(((x.data.flag||{}).flagStatus==="flagged")?"flagged":""):x.data.title+"|"+(x.data.importance||"normal")).sort()) console.log(n)})' "$1"
}
outlook_id() {  # STREAM NAME
  curl -s "$base/__dump" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const d=JSON.parse(s),k=process.argv[1];
    const x=Object.values(k==="event"?d.events:k==="message"?d.messages:d.tasks).find(x=>!x.deleted&&(x.data.subject||x.data.title)===process.argv[2]);
    console.log(x?"AAkALg"+Buffer.from(x.key).toString("base64").replace(/\+/g,"-").replace(/\//g,"_"):"")})' "$1" "$2"
}
folder() {  # STREAM
  if [ "$1" = message ]; then
    for f in md/cur/*; do s=$(sed -n 's/^Subject: \(Find.*\)/\1/p' "$f" | tr -d '\r'); [ -n "$s" ] || continue
      case "${f##*:2,}" in *F*) echo "$s|flagged" ;; *) echo "$s|" ;; esac; done | sort
    return
  fi
  node -e 'const f=require("fs"),p=require("path"),k=process.argv[1],dir=p.join("book",k);for(const n of f.readdirSync(dir)){const c=JSON.parse(f.readFileSync(p.join(dir,n)));
    if(!/^Find/.test(c.title||""))continue;const l=Object.values(c.locations||{})[0];
    console.log(c.title+"|"+(k==="event"?(l?l.name:""):(c.priority===1?"high":c.priority===9?"low":"normal")))}' "$1" | sort
}
edit() {  # STREAM ID
  case $1 in
    event) api PATCH "/me/events/$2" '{"location": {"displayName": "Edited in Outlook"}}' ;;
    message) api PATCH "/me/messages/$2" '{"flag": {"flagStatus": "flagged"}}' ;;
    task) api PATCH "/me/todo/lists/$(api GET /me/todo/lists | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).value[0].id))')/tasks/$2" '{"importance": "high"}' ;;
  esac > /dev/null
}
edited() { case $1 in event) echo "Edited in Outlook" ;; message) echo flagged ;; *) echo high ;; esac; }
plain() { case $1 in event) echo "Room $2" ;; message) echo "" ;; *) echo normal ;; esac; }
look_path() { case $1 in event) echo /v1.0/me/calendars/ ;; message) echo /v1.0/me/messages ;; *) echo /v1.0/me/todo/lists/ ;; esac; }
# The batch of creates of the next run: done, its answer lost (the fake stops itself after committing it);
# then the first look-up by key answered 503: a task's create is kept, answered retry. An event's batch is
# sent again after a lost answer (its creates carry a transactionId, which Outlook makes once): its run is
# killed (-9) instead while the batch is unanswered, and the next run's resend of the interrupted creates,
# its look-up answered 503, keeps one.
lose_the_batch() {  # STREAM
  if [ "$1" = event ]; then
    post /__fault '{"stop_after_commit": 1, "method": "POST", "path": "/v1.0/$batch"}' > /dev/null
    "$accord" run "$1.json" > killed.out 2>&1 & local apid=$!
    for _ in $(seq 1 200); do [ "$(awk '{print $3}' /proc/$peer_pid/stat 2>/dev/null)" = T ] && break; sleep 0.05; done
    kill -9 $apid 2>/dev/null; wait $apid 2>/dev/null
    kill -CONT $peer_pid
    post /__control '{"rate_limit": {"count": 1, "status": 503, "retry_after": 0, "method": "GET", "path": "'"$(look_path "$1")"'"}}' > /dev/null
    runp run "$1.json"
    [ -n "${DEBUG:-}" ] && { cat killed.out; echo "$out"; }
    printf '%s' "$out" | grep -q "relinked 1 record to the copies Accord made of them" \
      && ! printf '%s' "$out" | grep -q "differ from their copy" && ok "event: the item the lost try made is relinked by its key, as sent" \
      || bad "event: the item the lost try made is not relinked by its key, or differs from what was sent" "$out"
    return
  fi
  post /__fault '{"stop_after_commit": 1, "method": "POST", "path": "/v1.0/$batch"}' > /dev/null
  ( while [ "$(awk '{print $3}' /proc/$peer_pid/stat 2>/dev/null)" != T ]; do sleep 0.05; done
    post /__control '{"rate_limit": {"count": 1, "status": 503, "retry_after": 0, "method": "GET", "path": "'"$(look_path "$1")"'"}}' > /dev/null &
    sleep 0.5; kill -CONT $peer_pid; wait ) & watcher=$!
  runp run "$1.json"
  wait $watcher; watcher=
}
# a run whose resend's look-up is answered 503 (the create stays kept) reads the folder's delete. (An event's
# listing gives its key back: the item the kept create made was relinked by it when the resumed run read
# Outlook, and the delete is an ordinary one, planned after the read.)
read_the_delete() {  # STREAM [SOURCE_DELETED: the kept create's source was deleted]
  if [ "$1" = event ]; then
    sleep 6
    return
  fi
  sleep 6  # past the retry's wait (5 s)
  post /__control '{"rate_limit": {"count": 1, "status": 503, "retry_after": 0, "method": "GET", "path": "'"$(look_path "$1")"'"}}' > /dev/null
  runp run "$1.json"
  if [ "$1" = message ] && [ -n "${2:-}" ]; then
    # (a message's resend fetches its body first, from the folder's message deleted since the run read it: the
    # source answers without it, and the create is skipped as gone, not failed or quarantined (f0231fa); the
    # look-up's 503 is not reached. It stays kept as answered retry, as a failed one does.)
    echo "$out" | grep -q "sent again as resends, before reading: 1 create answered retry by an earlier run (0 failed)" \
      && echo "$out" | grep -q "1 skipped (gone from their source since it was read" \
      || bad "$1: the resend was not skipped as gone" "$out"
  else
    echo "$out" | grep -q "sent again as resends, before reading: 1 create answered retry by an earlier run (1 failed)" \
      || bad "$1: the resend did not fail as planned" "$out"
  fi
  [ "$(sqlite3 "$1.sqlite" "SELECT count(*) FROM retried_creates")" = 1 ] || bad "$1: the create is no longer kept" "$out"
  sleep 6
}
# the number of the one create kept as answered retry
kept() { sqlite3 "$1.sqlite" "SELECT data FROM retried_creates" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{
  const m=/Find(Event|Task|Message)([0-9]+)/.exec(s)||/find-([0-9]+)@/.exec(s); console.log(m?m[m.length-1]:"")})'; }

for stream in ${STREAMS:-event task}; do
  mkdir -p "book/$stream" md/cur md/new md/tmp
  window=
  [ $stream = event ] && window=', "calendar_window": {"start": "2027-01-01", "future_days": 730}'
  cat > "$stream.json" <<JSON
{"name": "fo-$stream", "state": "$stream.sqlite",
 "left": {"connector": "local", "config": {"backend": "$([ $stream = message ] && echo maildir || echo json)", "create": true, "path": "$([ $stream = message ] && echo md || echo book)"}},
 "right": {"connector": "outlook-mapi", "config": {$graph$window}},
 "streams": [{"name": "$stream", "left": "$stream", "right": "$stream"}]}
JSON
  for i in 1 2 3; do record $stream $i; done
  runp run "$stream.json"
  [ "$rc" = 0 ] || bad "$stream: the first run exited $rc" "$out"
  name() { case $stream in event) echo "FindEvent$1" ;; message) echo "FindMessage$1" ;; *) echo "FindTask$1" ;; esac; }

  # -- 1. the kept create's source deleted; Outlook's item as the create made it
  for i in 4 5 6; do record $stream $i; done
  lose_the_batch $stream
  k=$(kept $stream)
  [ -n "$k" ] && ok "$stream: a create of the lost batch is kept, answered retry ($k)" || bad "$stream: no create is kept as answered retry" "$out"
  gone=$k
  [ -n "${SOURCE_KEPT:-}" ] && gone=
  [ -n "$gone" ] && rm -f "book/$stream/f$k.json" md/cur/600$k.f$k:2,*
  read_the_delete $stream "$gone"
  # (a message's look-up answered 503 once more: its resend is not sent with its source gone, find_only meets it)
  [ $stream = message ] && runp run "$stream.json"
  runp run "$stream.json"
  [ "$rc" = 0 ] || bad "$stream: the run after the delete exited $rc" "$out"
  echo "$out" | grep -q "left create" && bad "$stream: the run copied a record back to the folder" "$out"
  want=$(for i in 1 2 3 4 5 6; do [ "$i" = "$gone" ] || echo "$(name $i)|$(plain $stream $i)"; done | sort)
  [ "$(outlook $stream)" = "$want" ] && ok "$stream: the item the lost try made, as made, is deleted in Outlook with its source (once when kept)" \
    || bad "$stream: Outlook holds other than the five items left" "$(outlook $stream)" "$out"
  [ "$(folder $stream)" = "$want" ] && ok "$stream: the folder holds each record once, a deleted one stays deleted (nothing copied back)" \
    || bad "$stream: the folder holds other than the five items left" "$(folder $stream)" "$out"

  # -- 2. the kept create's source deleted; its item edited in Outlook since
  for i in 7 8 9; do record $stream $i; done
  lose_the_batch $stream
  k2=$(kept $stream)
  [ -n "$k2" ] && ok "$stream: a second lost batch keeps one create ($k2)" || bad "$stream: no create of the second batch is kept" "$out"
  edit $stream "$(outlook_id $stream "$(name $k2)")"
  rm -f "book/$stream/f$k2.json" md/cur/600$k2.f$k2:2,*
  read_the_delete $stream "$k2"
  for r in 1 2; do
    runp run "$stream.json"
    [ "$rc" = 0 ] || bad "$stream: run $r after the second delete exited $rc" "$out"
  done
  want2=$(for i in 1 2 3 4 5 6 7 8 9; do [ "$i" = "$gone" ] && continue
    if [ "$i" = "$k2" ]; then echo "$(name $i)|$(edited $stream)"; else echo "$(name $i)|$(plain $stream $i)"; fi; done | sort)
  [ "$(outlook $stream)" = "$want2" ] && ok "$stream: the item edited in Outlook is kept there (the edit wins)" \
    || bad "$stream: Outlook lost or doubled an item" "$(outlook $stream)" "$out"
  [ "$(folder $stream)" = "$want2" ] && ok "$stream: the edited item comes back to the folder with its edit, once" \
    || bad "$stream: the folder does not hold each item once" "$(folder $stream)" "$out"
  runp run "$stream.json"
  nothing "$stream: then nothing to do"
  n=$(sqlite3 "$stream.sqlite" "SELECT count(*) FROM retried_creates")
  [ "$n" = 0 ] && ok "$stream: no create is left kept as answered retry" || bad "$stream: $n creates still kept as answered retry"
done
exit $fail
