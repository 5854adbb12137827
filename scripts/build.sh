#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Configures and builds Accord into ./build (Ninja, warnings as errors).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DACCORD_WERROR=ON
cmake --build build -j2
