#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The accord program's first verbs, their output and exit codes.
# Usage: cli_test.sh ACCORD FIXTURE_DIR
set -u
accord=$1 fixtures=$2
fail=0
check() {  # check NAME WANT_RC GREP_PATTERN CMD…
  name=$1 want=$2 pat=$3
  shift 3
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" != "$want" ]; then echo "FAIL $name: exit $rc, want $want"; echo "$out"; fail=1; return; fi
  if ! printf '%s\n' "$out" | grep -q -- "$pat"; then echo "FAIL $name: output lacks /$pat/"; echo "$out"; fail=1; return; fi
  echo "ok   $name"
}
check version 0 'connector ABI 1\.[0-9][0-9]*)' "$accord" --version
check help 0 'plugins show ID' "$accord" --help
check no-verb 2 'usage: accord' "$accord"
check unknown-verb 2 'unknown verb "frobnicate"' "$accord" frobnicate
check unknown-option 2 'unknown option --frob' "$accord" --frob plugins
check plugins-lists-local 0 '^local 0.1.0' "$accord" plugins
check plugins-json 0 '"type":"plugin","id":"local"' "$accord" plugins --json
check plugins-show 0 'backend (string) required one of' "$accord" plugins show local
check plugins-show-json 0 '"config_schema"' "$accord" --json plugins show local
check plugins-show-missing 4 'no connector "nope" is installed (installed: crm-rest, gmail-imap, google-api, local' "$accord" plugins show nope
check refused-listed-and-others-load 0 'refused .*libaccord-broken-abi-major.so: built for ABI 2\.[0-9]' \
  "$accord" --plugin-dir "$fixtures/broken" plugins
check plugin-dir-loads-first 0 '^memory-c 1.0.0' "$accord" --plugin-dir "$fixtures" plugins
check env-path 0 '^memory-c 1.0.0' env ACCORD_PLUGIN_PATH="$fixtures" "$accord" plugins
check missing-plugin-dir 0 'refused /nonexistent-accord-dir: plugin folder does not exist' \
  "$accord" --plugin-dir /nonexistent-accord-dir plugins
check verb-help 0 '^  run PIPELINE \[--force' "$accord" run --help
if "$accord" run --help | grep -q "plan PIPELINE"; then echo "FAIL verb-help-only-that-verb"; fail=1; else echo "ok   verb-help-only-that-verb"; fi
check verb-help-both-entries 0 'conflicts resolve PIPELINE ID' "$accord" conflicts --help
check verb-help-unknown-verb 2 'unknown verb "nope"' "$accord" nope --help
check help-names-every-global-option 0 '\[--admin FILE\] \[--secrets FILE\] \[--state FILE\]' "$accord" --help
exit $fail
