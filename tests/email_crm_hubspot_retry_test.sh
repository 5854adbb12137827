#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Email ⇄ CRM with HubSpot where the account's accord_id on emails is not a
# unique-value property (review s8 finding 4, docs/connectors/crm-rest.md
# "Where accord_id is not unique"): the connector can then only look an
# earlier try up by the search, whose index lags writes, and answers retry
# rather than send a create again that may have gone out. That holds only if
# the host sends a create answered retry again as a resend (resend=true),
# never as a fresh create: a fresh one goes out at once and, with no unique
# constraint, makes a second email. A Maildir on the left,
# tests/peers/hubspot_fake.js (emails_accord_id_not_unique, search_lag_ms;
# search_catch_up when the lag is over) on the right:
#   run 1: HubSpot makes the email, its answer is lost; the search does not
#          see it yet: retry (the message quarantined);
#   run 2: (quarantine over) the create again, while the search still lags:
#          retry again, nothing sent (one email);
#   run 3: (the search caught up) the create again: the email found, linked;
#   run 4: nothing to do; one email, on its contact, all along.
# Usage: email_crm_hubspot_retry_test.sh ACCORD CONFORMANCE CRM_REST_PLUGIN PEERS_DIR
. "$(dirname "$0")/../plugins/crm-rest/tests/lib.sh"

token=$(canary pat)
HS_TOKEN=$token start_peer node "$peers/hubspot_fake.js"
hs() { curl -s -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$@"; }
contact_id() { js "((d.contacts||[]).find(c=>c.properties.email==='$1')||{}).id||''"; }
nemails() { js "(d.emails||[]).filter(e=>e.properties.accord_id==='$1').length"; }
linked() { js "((d.associations||{})['emails:'+(((d.emails||[]).find(e=>e.properties.accord_id==='$1')||{}).id)]||[]).sort().join(' ')"; }
posts() { js "s.email_posts"; }
# a run, past the search's 5 requests a second of the run before (the fake's
# window, as HubSpot's: runs back to back would meet its 429)
run() { sleep 1.1; runp run p.json; }
# (the host resends a create answered retry every run, quarantine or not;
# the quarantine is let go all the same, as a later run would)
retry_now() { sqlite3 state.sqlite "UPDATE quarantine SET next_retry = 0"; }
hs -XPOST -d '{"inputs": [{"idProperty": "email", "id": "ann@client.example", "properties": {"email": "ann@client.example", "firstname": "Ann"}}]}' \
  "$base/crm/v3/objects/contacts/batch/upsert" > /dev/null
ann=$(contact_id ann@client.example)
ctl __control '{"emails_accord_id_not_unique": true, "search_lag_ms": 600000}'

mkdir -p mail/cur mail/new mail/tmp
printf 'From: Ann <ann@client.example>\r\nTo: me@corp.example\r\nSubject: lagging\r\nDate: Mon, 1 Jun 2026 10:00:00 +0000\r\nMessage-ID: <lag1@mail.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nonce\r\n' \
  > mail/cur/00001.test:2,S
cat > p.json <<JSON
{"name": "mc", "state": "state.sqlite",
 "left": {"connector": "local", "config": {"backend": "maildir", "path": "mail"}},
 "right": {"connector": "crm-rest", "config": {"profile": "hubspot", "base_url": "$base", "auth": {"token": "$token"},
           "rate_limit": {"requests_per_second": 0}}},
 "streams": [{"name": "mail-crm", "left": "message", "right": "message", "direction": "left-to-right",
   "operations": {"left-to-right": ["create"]},
   "lookup": [{"side": "right", "stream": "contact", "as": "contacts"},
              {"side": "right", "stream": "user", "as": "users"},
              {"side": "right", "stream": "message", "as": "messages"}],
   "guards": {"max_create_share": 1, "min_records": 1000},
   "email_crm": {"mailbox": ["me@corp.example"]}}]}
JSON

curl -s -XPOST -d '{"drop_answer_after_commit": 1, "method": "POST", "path": "/crm/v3/objects/emails"}' "$base/__fault" > /dev/null
runp run p.json
r1=$out n1=$(nemails lag1@mail.example) p1=$(posts)
retry_now
run
r2=$out n2=$(nemails lag1@mail.example) p2=$(posts)
[ "$n1" = 1 ] && grep -q 'may lag' <<<"$r1" && [ "$n2" = 1 ] && [ "$p2" = "$p1" ] && grep -q 'may lag' <<<"$r2" &&
  ok lost-answer-retried-as-resend-while-the-search-lags ||
  bad lost-answer-retried-as-resend-while-the-search-lags "run 1: emails $n1, posts $p1" "$r1" "run 2: emails $n2, posts $p2" "$r2"

ctl __control '{"search_catch_up": true}'  # (the lag is over)
retry_now
run
r3=$out
run
[ "$(nemails lag1@mail.example)" = 1 ] && [ "$(linked lag1@mail.example)" = "contacts:$ann" ] && [ "$(posts)" = "$p1" ] &&
  ! grep -q "to create" <<<"$out" && [ "$rc" = 0 ] &&
  ok found-once-the-search-sees-it-one-email ||
  bad found-once-the-search-sees-it-one-email "emails $(nemails lag1@mail.example), posts $(posts)" "$r3" "$out"

# A create HubSpot refuses before making anything (HTTP 503, the rest
# client's own tries included) is a plain retry, not "maybe written": the
# next run sends it as any create, and with the search caught up (no lag
# here) HubSpot logs it. (Kept as maybe written, every later try was a resend
# whose search found nothing: never sent, run after run.) Its own Maildir
# and state.
ctl __control '{"search_lag_ms": 0}'
mkdir -p mail2/cur mail2/new mail2/tmp
printf 'From: Ann <ann@client.example>\r\nTo: me@corp.example\r\nSubject: refused\r\nDate: Mon, 1 Jun 2026 11:00:00 +0000\r\nMessage-ID: <busy1@mail.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nonce\r\n' \
  > mail2/cur/00001.test:2,S
sed -e 's/"state.sqlite"/"state2.sqlite"/' -e 's/"path": "mail"/"path": "mail2"/' p.json > p2.json
curl -s -XPOST -d '{"fail": 20, "status": 503, "method": "POST", "path": "/crm/v3/objects/emails"}' "$base/__fault" > /dev/null
sleep 1.1
runp run p2.json
b1=$out m1=$(nemails busy1@mail.example)
curl -s -XPOST -d '{"fail": 0, "method": "POST", "path": "/crm/v3/objects/emails"}' "$base/__fault" > /dev/null
sqlite3 state2.sqlite "UPDATE quarantine SET next_retry = 0"  # as a later run would
sleep 1.1
runp run p2.json
b2=$out m2=$(nemails busy1@mail.example)
[ "$m1" = 0 ] && grep -q '503' <<<"$b1" && [ "$m2" = 1 ] && [ "$(linked busy1@mail.example)" = "contacts:$ann" ] &&
  ok refused-503-is-a-plain-retry-logged-next-run ||
  bad refused-503-is-a-plain-retry-logged-next-run "run 1: emails $m1" "$b1" "run 2: emails $m2" "$b2"

# A create whose request never reached HubSpot (its connection lost before
# anything was made): the host keeps it and resends it with sent_at (when
# that try went out); each resend inside the search's lag window
# (variables.search_lag_s, 8 s here) only looks and answers a plain retry,
# nothing sent; the first run after the window logs it, once; the next run
# does nothing. (Before the bound: retry run after run, never logged.) Its
# own Maildir and state.
ctl __control '{"search_lag_ms": 600000}'
mkdir -p mail3/cur mail3/new mail3/tmp
printf 'From: Ann <ann@client.example>\r\nTo: me@corp.example\r\nSubject: never made\r\nDate: Mon, 1 Jun 2026 12:00:00 +0000\r\nMessage-ID: <lost3@mail.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nonce\r\n' \
  > mail3/cur/00001.test:2,S
sed -e 's/"state.sqlite"/"state3.sqlite"/' -e 's/"path": "mail"/"path": "mail3"/' \
    -e 's/"rate_limit": {"requests_per_second": 0}}/"rate_limit": {"requests_per_second": 0}, "variables": {"search_lag_s": "8"}}/' p.json > p3.json
ctl __control '{"lose_email_creates": 1}'
sleep 1.1
t0=$(date +%s)
runp run p3.json
l1=$out k1=$(nemails lost3@mail.example) p31=$(posts)
sqlite3 state3.sqlite "UPDATE quarantine SET next_retry = 0"
sleep 1.1
runp run p3.json
l2=$out k2=$(nemails lost3@mail.example) p32=$(posts)
# (past the window: 9 s after the time the host keeps, and tells as sent_at)
kept=$(sqlite3 state3.sqlite "SELECT created FROM retried_creates")
w=$(( $(date -u -d "$kept" +%s 2>/dev/null || echo "$t0") + 9 - $(date +%s) )); [ "$w" -gt 0 ] && sleep "$w"
sqlite3 state3.sqlite "UPDATE quarantine SET next_retry = 0"
runp run p3.json
l3=$out k3=$(nemails lost3@mail.example)
sleep 1.1
runp run p3.json
[ "$k1" = 0 ] && [ "$k2" = 0 ] && [ "$p32" = "$p31" ] && [ "$k3" = 1 ] && [ "$(nemails lost3@mail.example)" = 1 ] &&
  [ "$(linked lost3@mail.example)" = "contacts:$ann" ] && ! grep -q "to create" <<<"$out" &&
  ok never-made-logged-once-after-the-lag-window || bad never-made-logged-once-after-the-lag-window \
    "run 1: emails $k1, posts $p31" "$l1" "run 2: emails $k2, posts $p32" "$l2" "kept since $kept" "run 3: emails $k3" "$l3" "last: $out"

if alltext | grep -q -e "$token" || grep -aq -e "$token" state.sqlite* state2.sqlite*; then bad secrets-never-leak "the token appeared"; else ok secrets-never-leak; fi
exit $fail
