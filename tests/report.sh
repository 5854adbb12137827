# SPDX-License-Identifier: Apache-2.0
# Result lines for the shell tests, sourced by each: "ok   WHAT", or
# "FAIL WHAT" with up to 40 lines of detail (ctest fails a test on "FAIL ").
# runp runs $accord: its output in $out (and appended to all.out, which the
# tests search for leaked secrets), its exit code in $rc.
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; shift; printf '%s\n' "$@" | head -40; fail=1; }
runp() { out=$("$accord" "$@" 2>&1); rc=$?; printf '%s\n' "$out" >> all.out; }
# A test that follows syscalls: strace must be there (scripts/install-deps.sh
# installs it: missing, the test fails); where the machine forbids tracing,
# ctest reports it skipped (exit 77), never passed.
need_strace() {
  command -v strace > /dev/null || { echo "FAIL no strace on this machine: run scripts/install-deps.sh"; exit 1; }
  strace -f -o /dev/null true 2> /dev/null || { echo "strace cannot trace here: skipped"; exit 77; }
}
