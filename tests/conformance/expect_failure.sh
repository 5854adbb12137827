#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs the kit (through run_in_tempdir.sh) on a deliberately broken fixture
# and passes only when the kit reports each of CHECKS (comma-separated)
# failing, fails no other check, and exits 1.
# Usage: expect_failure.sh CHECK[,CHECK…] KIT PLUGIN CONFIG_TEMPLATE [kit args…]
set -u
checks=$1
shift
here=$(dirname "$0")
out=$(sh "$here/run_in_tempdir.sh" "$@" 2>&1)
rc=$?
printf '%s\n' "$out"
others=$(printf '%s\n' "$out" | grep "^FAIL ")
for check in $(printf '%s' "$checks" | tr ',' ' '); do
  if ! printf '%s\n' "$out" | grep -q "^FAIL $check: "; then
    echo "FAIL expected: the kit did not report \"$check\" failing"
    exit 1
  fi
  others=$(printf '%s\n' "$others" | grep -v "^FAIL $check: ")
done
if [ -n "$others" ]; then
  echo "FAIL expected: only $checks fail, but also: $others"
  exit 1
fi
if [ "$rc" != 1 ]; then
  echo "FAIL expected: exit status 1, got $rc"
  exit 1
fi
echo "as expected: the kit reports $checks failing"
