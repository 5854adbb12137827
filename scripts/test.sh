#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole test suite from a fresh clone: install what is needed, build, run
# every test. This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
ctest --test-dir build -j2 --output-on-failure --timeout 600
