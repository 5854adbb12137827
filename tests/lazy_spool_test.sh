#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The directory a run hands lazy fields over in (accord.lazy_files.v1,
# .accord-lazy-STATE-XXXXXX beside the state) is removed when the run ends;
# one a killed run left behind is removed by the next run of the same state
# (it holds that state's lock), never one of another state in the folder.
# Usage: lazy_spool_test.sh ACCORD PLUGIN_DIR
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/report.sh"  # ok, bad, runp
accord=$1 plugins=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-lazy-spool.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export HOME="$work" ACCORD_ADMIN= ACCORD_SECRETS=

mkdir -p a/cur a/new a/tmp b/cur b/new b/tmp
printf 'From: ada@example.org\r\nTo: bo@example.org\r\nSubject: hello\r\nMessage-ID: <m1@example.org>\r\nDate: Mon, 1 Jun 2026 10:00:00 +0000\r\n\r\nhello\r\n' > "a/cur/00001.test:2,S"
cat > p.json <<JSON
{"name": "spool", "state": "spool.sqlite",
 "left": {"connector": "local", "config": {"backend": "maildir", "path": "a", "index_path": "ia"}},
 "right": {"connector": "local", "config": {"backend": "maildir", "path": "b", "index_path": "ib"}},
 "streams": [{"left": "message", "right": "message"}]}
JSON
# what a SIGKILLed run of this state left, and a live one of another state
mkdir .accord-lazy-spool.sqlite-Kil1ed .accord-lazy-other.sqlite-Al1ve
echo body > .accord-lazy-spool.sqlite-Kil1ed/lazy-1
echo body > .accord-lazy-other.sqlite-Al1ve/lazy-1

runp --plugin-dir "$plugins" run p.json
copied=$(grep -rl "m1@example.org" b 2>/dev/null | wc -l)
[ "$rc" = 0 ] && [ "$copied" = 1 ] && ok message-copied || bad message-copied "rc=$rc copied=$copied" "$out"
[ ! -e .accord-lazy-spool.sqlite-Kil1ed ] && ok killed-runs-spool-removed || bad killed-runs-spool-removed "$(ls -a)"
[ -e .accord-lazy-other.sqlite-Al1ve/lazy-1 ] && ok other-states-spool-kept || bad other-states-spool-kept "$(ls -a)"
left=$(ls -a | grep -c '^\.accord-lazy-spool')
[ "$left" = 0 ] && ok own-spool-removed-at-end || bad own-spool-removed-at-end "$(ls -a)"

# A state whose name leaves no room for the spool's (a file name is at most
# 255 bytes: mkdtemp fails): the fields travel inside the answers, and the
# run says so once, naming the folder, rather than silently.
long=$(printf 's%.0s' $(seq 240))
mkdir -p c/cur c/new c/tmp d/cur d/new d/tmp
cp a/cur/00001.test:2,S c/cur/
printf 'From: ada@example.org\r\nTo: bo@example.org\r\nSubject: again\r\nMessage-ID: <m2@example.org>\r\nDate: Mon, 1 Jun 2026 10:01:00 +0000\r\n\r\nhello\r\n' > "c/cur/00002.test:2,S"
sed -e "s/spool.sqlite/$long/" -e 's/"a", "index_path": "ia"/"c", "index_path": "ic"/' -e 's/"b", "index_path": "ib"/"d", "index_path": "id"/' p.json > long.json
runp --plugin-dir "$plugins" run long.json
copied=$(grep -rl "example.org" d 2>/dev/null | wc -l)
said=$(grep -c "could not make the folder .*/.accord-lazy-$long-XXXXXX" <<<"$out")
[ "$rc" = 0 ] && [ "$copied" = 2 ] && [ "$said" = 1 ] && ok spool-not-made-said-once-and-copied-inline ||
  bad spool-not-made-said-once-and-copied-inline "rc=$rc copied=$copied said=$said" "$out"
exit $fail
