#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole test suite from a fresh clone: install what is needed, build, run
# every test. This is the README's test command and what CI runs.
# scripts/test_env.sh: scratch files on a tmpfs, python3 without a shim
# (docs/testing.md); what each test checks is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
. ./scripts/test_env.sh
trap accord_test_env_cleanup EXIT
# A fresh build directory knows no test's duration, and ctest -j would start the
# long tests in the order they are declared, many of them last. Seeded from the
# last full run (tests/ctest_costs.txt), it starts the costliest first.
costs=build/Testing/Temporary/CTestCostData.txt
[ -f "$costs" ] || { mkdir -p "$(dirname "$costs")" && cp tests/ctest_costs.txt "$costs"; }
ctest --test-dir build -j2 --output-on-failure --timeout 600
