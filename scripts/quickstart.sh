#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job from a fresh clone: install, build, and show Accord working on
# local connectors, no account needed.
set -euo pipefail
cd "$(dirname "$0")/.."
ACCORD_SKIP_PEERS=1 ./scripts/install-deps.sh
./scripts/build.sh
exec ./examples/quickstart/run.sh
