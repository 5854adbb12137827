#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Builds the example the way a third party would (one g++ line: the SDK and
# kit headers, the kit's static libraries, the version script), then runs the
# conformance kit on it.
# Usage: build_and_check.sh SDK_INCLUDE_DIR CONNECTOR_MAP accord-conformance KIT_INCLUDE_DIR KIT_LIBRARY JSON_LIBRARY
# (installed, both include dirs are <prefix>/include and the libraries are
# <prefix>/lib/libaccord_kit.a and <prefix>/lib/libaccord_json.a, the JSON
# Schema checks the kit's Config reads a configuration with)
set -eu
include=$1 map=$2 kit=$3 kit_include=$4 kit_lib=$5 json_lib=$6
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d "${TMPDIR:-/tmp}/accord-example.XXXXXX")
trap 'rm -rf "$out"' EXIT
g++ -std=c++17 -O2 -Wall -Wextra -shared -fPIC -fvisibility=hidden -Wl,--no-undefined \
    -Wl,--version-script="$map" -I"$include" -I"$kit_include" "$here/memo_connector.cpp" -o "$out/libaccord-memo.so" \
    "$kit_lib" "$json_lib" -lboost_json
chmod go-w "$out" "$out/libaccord-memo.so"
test "$(nm -D --defined-only "$out/libaccord-memo.so" | awk '{print $NF}')" = accord_connector_entry
"$kit" "$out/libaccord-memo.so"
