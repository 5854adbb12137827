#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs one libFuzzer program (the *_fuzz tests) for ACCORD_FUZZ_SECONDS
# seconds, 20 unless set: the suite's share of a machine. A longer run by hand
# (docs/testing.md): ACCORD_FUZZ_SECONDS=600 ctest --test-dir build -R _fuzz
# The test's TIMEOUT is 0; this script bounds the run instead, at twice the
# fuzzing time and two minutes more (ASan start-up, the corpus's first pass).
# Usage: run_fuzzer.sh FUZZER LIBFUZZER_ARGS... CORPUS_DIRS...
secs=${ACCORD_FUZZ_SECONDS:-20}
case $secs in
  '' | *[!0-9]* | 0) echo "FAIL ACCORD_FUZZ_SECONDS=$secs: a whole number of seconds, at least 1"; exit 2 ;;
esac
fuzzer=$1
shift
echo "fuzzing $(basename "$fuzzer") for $secs s (ACCORD_FUZZ_SECONDS)"
exec timeout -k 10 $((secs * 2 + 120)) "$fuzzer" -max_total_time="$secs" "$@"
