# SPDX-License-Identifier: Apache-2.0
# Start-up shared by outlook-mapi's graph tests, sourced by each after set -u:
# tests/report.sh (ok, bad, runp), a work folder removed on exit, the strict
# Graph fake (tests/peers/msgraph_fake.js) on loopback, and the helpers over it.
#   graph_work NAME          the work folder accord-NAME.XXXXXX in $work, cd there, HOME and ACCORD_ADMIN=;
#                            cleanup (the trap on EXIT) copies it to $KEEP if set, stops $watcher and $peer_pid
#                            (stopped or not), removes it: a script may define its own after sourcing
#   graph_start [VAR=VALUE]  $token, the fake started as ada@contoso.com (client id cid) with these MSGRAPH_* too,
#                            $peer_pid, $port, $base (peer.out, peer.err); exits if it does not start
#   graph_secrets [JSON]     secrets.json with ada_token (and JSON's members, ", ..."), ACCORD_SECRETS
#   graph_config [PAGE_SIZE] $graph: the outlook-mapi config members to reach the fake with ada_token
# After graph_start: post PATH JSON, api METHOD PATH [JSON], js EXPR [USER], jget EXPR, nothing WHAT.
. "$(dirname "${BASH_SOURCE[0]}")/../../../tests/report.sh"  # ok, bad, runp

cleanup() {
  [ -n "${KEEP:-}" ] && cp -r "$work" "$KEEP"             # KEEP=DIR: the work folder is copied there
  [ -n "${watcher:-}" ] && kill "$watcher" 2>/dev/null    # a script's background watcher, if it set one
  [ -n "$peer_pid" ] && { kill -CONT "$peer_pid" 2>/dev/null; kill "$peer_pid" 2>/dev/null; }  # (stopped or not)
  wait 2>/dev/null; rm -rf "$work"
}
graph_work() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/accord-$1.XXXXXX")
  peer_pid=
  trap cleanup EXIT
  cd "$work" || exit 1
  export HOME="$work" ACCORD_ADMIN=
}
graph_start() {
  token="at-canary-$RANDOM$RANDOM"
  env MSGRAPH_CLIENT_ID=cid MSGRAPH_USER=ada@contoso.com "$@" MSGRAPH_TOKEN="$token" node "$peers/msgraph_fake.js" > peer.out 2> peer.err &
  peer_pid=$!
  for _ in $(seq 1 100); do grep -q '^port ' peer.out 2>/dev/null && break; sleep 0.1; done
  port=$(awk '/^port /{print $2}' peer.out)
  [ -n "$port" ] || { echo "FAIL the fake did not start"; cat peer.err; exit 1; }
  base="http://127.0.0.1:$port"
}
graph_secrets() {
  printf '{"ada_token": "%s"%s}\n' "$token" "${1:-}" > secrets.json
  chmod 600 secrets.json
  export ACCORD_SECRETS="$work/secrets.json"
}
graph_config() {
  graph="\"account\": \"ada@contoso.com\", \"graph_url\": \"$base/v1.0\", \"access_token\": {\"\$secret\": \"ada_token\"}${1:+, \"page_size\": $1}"
}

post() { curl -s -XPOST -H 'Content-Type: application/json' -d "$2" "$base$1"; }
# api METHOD PATH [JSON]: a request to the fake as another Outlook client would make it
api() { curl -s -X"$1" -H "Authorization: Bearer $token" -H 'Prefer: IdType="ImmutableId"' -H 'Content-Type: application/json' ${3:+-d "$3"} "$base/v1.0$2"; }
# js EXPR [USER] over d (the mailbox's /__dump, or ?user=) and s (/__stats)
js() {
  curl -s "$base/__dump${2:+?user=$2}" > dump.json
  curl -s "$base/__stats" > stats.json
  node -e 'const f=require("fs"),d=JSON.parse(f.readFileSync("dump.json")),s=JSON.parse(f.readFileSync("stats.json"));console.log(eval(process.argv[1]))' "$1"
}
# jget EXPR over v (the JSON on stdin)
jget() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);console.log(eval(process.argv[1]))})' "$1"; }
# nothing WHAT: the last runp exited 0 saying "nothing to do"
nothing() { [ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok "$1" || bad "$1" "$out"; }
