# Shared by the crm-rest peer tests: a work folder, result lines, running
# accord, starting a peer on a loopback port (it prints "port N") and
# stopping it at exit. Source after setting accord=.
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-crm.XXXXXX")
peer_pid=
cleanup() { [ -n "$peer_pid" ] && kill "$peer_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
export HOME="$work" ACCORD_ADMIN=
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; shift; printf '%s\n' "$@" | head -40; fail=1; }
# runs accord; its output in $out (kept in all.out for leak checks), its exit code in $rc
runp() { out=$("$accord" "$@" 2>&1); rc=$?; printf '%s\n' "$out" >> all.out; }
alltext() { cat all.out peer.out peer.err 2>/dev/null; }
# start_peer COMMAND… : runs it in the background, sets $port and $base
start_peer() {
  "$@" > peer.out 2> peer.err &
  peer_pid=$!
  for _ in $(seq 1 100); do grep -q '^port ' peer.out 2>/dev/null && break; sleep 0.1; done
  port=$(awk '/^port /{print $2}' peer.out)
  [ -n "$port" ] || { echo "FAIL the peer did not start: $*"; cat peer.err; exit 1; }
  base="http://127.0.0.1:$port"
}
