#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Foundation benchmarks: prints the figures recorded in docs/performance.md.
# Usage: bench/run_foundation.sh [BUILD_DIR] (default build); needs ~1 GiB of disk.
set -euo pipefail
build=${1:-build}
b="$build/bin/bench_foundation"
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "== plugin load"
"$b" load "$build/lib/accord/plugins/libaccord-local.so" 41
echo "== local sqlite: 1,000,000 contacts through the SDK boundary"
"$b" populate "$work/big.db" 1000000
"$b" list "$work/big.db"
"$b" list "$work/big.db" parse
echo "== RSS independence: the same listing over 100,000 records"
"$b" populate "$work/small.db" 100000
"$b" list "$work/small.db" parse
if command -v sqlite3 >/dev/null; then
  echo "== peer: sqlite3 CLI emitting the same rows as JSON"
  start=$(date +%s.%N)
  sqlite3 -json "$work/big.db" 'SELECT id, seq, version, modified, deleted, data FROM r_contact ORDER BY seq' > /dev/null
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "sqlite3 -json over 1,000,000 rows: %.2f s, %.0f rows/s\n", e - s, 1000000 / (e - s) }'
fi
echo "== vcard folder: 100,000 files"
"$b" vcards "$work/vcards" 100000
"$b" list-vcard "$work/vcards"
