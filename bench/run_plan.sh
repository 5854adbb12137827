#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What a read-only `accord plan` costs on large local sqlite stores (both
# sides N contacts, the same people, matched by email; bench/run_engine.sh's
# populate): a first plan (no state), a run, then a plan with nothing changed.
# Each prints wall time and peak RSS (/usr/bin/time -v), and what a plan must
# never leave: files beside the stores (-wal, -shm) or a state.
# Usage: bench/run_plan.sh [N] [BUILD_DIR]   (N defaults to 300000)
set -euo pipefail
n=${1:-300000}
build=${2:-build}
accord="$(cd "$build" && pwd)/bin/accord"
bench="$(cd "$build" && pwd)/bin/bench_foundation"
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-plan-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
"$bench" populate left.sqlite "$n"
"$bench" populate right.sqlite "$n"
echo "== stores: $(du -m left.sqlite | cut -f1) MiB + $(du -m right.sqlite | cut -f1) MiB"
cat > p.json <<'JSON'
{"name": "bench", "state": "state.sqlite",
 "left": {"connector": "local", "config": {"backend": "sqlite", "path": "left.sqlite", "batch_size": 5000}},
 "right": {"connector": "local", "config": {"backend": "sqlite", "path": "right.sqlite", "batch_size": 5000}},
 "streams": [{"left": "contact", "right": "contact", "match": [{"left": "/emails/*/address", "normalise": "email"}],
              "guards": {"max_update_share": 1}}]}
JSON
sync
timed() {  # timed LABEL VERB
  /usr/bin/time -v -o t.txt "$accord" "$2" p.json > out.txt 2>&1
  printf '%s: %s s, peak RSS %d MiB\n' "$1" "$(awk -F': ' '/Elapsed/ {print $2}' t.txt)" \
    "$(awk -F': ' '/Maximum resident/ {print int($2 / 1024)}' t.txt)"
}
timed "plan, first sync of $n pairs (no state)" plan
left=$(ls | grep -E -- '-wal$|-shm$|^state' || true)
echo "   left beside the stores by the plan: ${left:-nothing}"
timed "run, first sync" run
timed "plan, state there, nothing changed" plan
left=$(ls | grep -E -- '-wal$|-shm$' || true)
echo "   left beside the stores by the plan: ${left:-nothing}"
