#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Issue 22: a first copy of 1,200 messages Maildir → Maildir, where the
# target takes the body files it is handed (ACCORD_LAZY_FILES_TAKE: removed
# once read, before its flush) and the next create batch's first chunk of
# bodies is fetched ahead while a batch is committed (applying.cpp,
# LazyRun). Killed after a batch's write (its bodies taken, a fetch ahead
# under way) and after a batch's commit, the next run ends with each message
# once, each body the source's (a body given to the wrong create would show
# here), nothing left in tmp/ or in the spool, and a run after it has
# nothing to do.
# Usage: lazy_take_test.sh ACCORD PLUGIN_DIR GEN_MAIL
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/report.sh"  # ok, bad, runp
accord=$(realpath "$1") plugins=$(realpath "$2") gen=$(realpath "$3")
py=python3; [ -x /usr/bin/python3 ] && py=/usr/bin/python3
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-lazy-take.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export HOME="$work" ACCORD_ADMIN= ACCORD_SECRETS=
$py "$gen" 1200 src --seed 11 --folders INBOX,Work,Lists/dev > /dev/null

# "folder <Message-ID> sha1 of the body with LF line ends", one line a message
contents() {
  (cd "$1" && find . -path ./.accord -prune -o -type f \( -path '*/cur/*' -o -path '*/new/*' \) -print0 |
    xargs -0 -r perl -MDigest::SHA=sha1_hex -e '
      for my $f (@ARGV) {
        open(my $h, "<", $f) or die; local $/; my $c = <$h>; close $h; $c =~ s/\r\n/\n/g;
        my ($mid) = $c =~ /^Message-ID:\s*<([^>]+)>/mi; my ($dir) = $f =~ m{^(.*)/(?:cur|new)/[^/]+$};
        print "$dir <", $mid // "", "> ", sha1_hex($c), "\n";
      }') | sort
}
want=$(contents src)
[ "$(wc -l <<<"$want")" = 1200 ] || bad "generated 1200 messages" "$(wc -l <<<"$want")"

for point in apply.after_write apply.after_commit; do
  rm -rf dst ia ib state.sqlite*
  cat > p.json <<JSON
{"name": "take", "state": "state.sqlite",
 "left": {"connector": "local", "config": {"backend": "maildir", "path": "src", "index_path": "ia"}},
 "right": {"connector": "local", "config": {"backend": "maildir", "path": "dst", "index_path": "ib", "create": true}},
 "streams": [{"left": "message", "right": "message", "direction": "left-to-right"}]}
JSON
  ACCORD_FAILPOINT=$point runp --plugin-dir "$plugins" run p.json
  copied=$(contents dst | wc -l)
  [ "$rc" = 137 ] && [ "$copied" = 500 ] && ok "$point: killed after the first batch of 500" ||
    bad "$point: killed after the first batch of 500" "rc=$rc copied=$copied" "$out"
  runp --plugin-dir "$plugins" run p.json
  got=$(contents dst)
  [ "$rc" = 0 ] && [ "$got" = "$want" ] && ok "$point: the next run: each of the 1200 once, each body the source's" ||
    bad "$point: the next run: each of the 1200 once, each body the source's" "rc=$rc" \
      "$(diff <(echo "$want") <(echo "$got") | head -8)" "$out"
  tmp=$(find dst -path '*/tmp/*' -type f | wc -l)
  spool=$(ls -a | grep -c '^\.accord-lazy-')
  [ "$tmp" = 0 ] && [ "$spool" = 0 ] && ok "$point: nothing left in tmp/ or the spool" ||
    bad "$point: nothing left in tmp/ or the spool" "tmp=$tmp spool=$spool" "$(ls -a)"
  runp --plugin-dir "$plugins" run p.json
  [ "$rc" = 0 ] && grep -q "nothing to do\|0 writes\|up to date" <<<"$out" && ! grep -q "applied [1-9]" <<<"$out" &&
    ok "$point: then nothing to do" || bad "$point: then nothing to do" "rc=$rc" "$out"
done
exit $fail
