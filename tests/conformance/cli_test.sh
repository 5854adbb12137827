#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# accord-conformance's command line: --help, an unknown option or stream
# refused with exit status 2 and a line saying why, --verbose showing the
# calls and answers.
# Usage: cli_test.sh KIT PLUGIN CONFIG_JSON (a connector with a "note" stream)
set -u
kit=$1 plugin=$2 config=$3
fails=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1: $2"; fails=$((fails + 1)); }

out=$("$kit" --help 2>&1); rc=$?
[ $rc = 0 ] && printf '%s' "$out" | grep -q -- "--mutate CMD" && printf '%s' "$out" | grep -q -- "--verbose" \
  && ok help || bad help "rc=$rc: $out"

out=$("$kit" "$plugin" --config-json "$config" --stream no-such-stream 2>&1); rc=$?
[ $rc = 2 ] && printf '%s' "$out" | grep -q 'has no stream "no-such-stream" (its streams: note' \
  && ! printf '%s' "$out" | grep -q "passed" && ok unknown-stream-refused || bad unknown-stream-refused "rc=$rc: $out"

out=$("$kit" "$plugin" --no-such-option 2>&1); rc=$?
[ $rc = 2 ] && printf '%s' "$out" | grep -q "unknown option --no-such-option" && ok unknown-option-refused \
  || bad unknown-option-refused "rc=$rc: $out"

out=$("$kit" "$plugin" --config-json "$config" --stream 2>&1); rc=$?
[ $rc = 2 ] && printf '%s' "$out" | grep -q -- "--stream needs a value" && ok missing-value-refused \
  || bad missing-value-refused "rc=$rc: $out"

out=$("$kit" "$plugin" --config-json "$config" --verbose 2>&1); rc=$?
[ $rc = 0 ] && printf '%s' "$out" | grep -q '^     > read_changes note ""' \
  && printf '%s' "$out" | grep -q '^     < {"records":' && printf '%s' "$out" | grep -q '^     > apply note \[{"op":"create"' \
  && printf '%s' "$out" | grep -q '^ok   schemas' && ok verbose || bad verbose "rc=$rc: $out"

out=$("$kit" "$plugin" --config-json "$config" 2>&1); rc=$?
[ $rc = 0 ] && ! printf '%s' "$out" | grep -q '> read_changes' && ok quiet-without-verbose || bad quiet-without-verbose "$out"

[ $fails = 0 ]
