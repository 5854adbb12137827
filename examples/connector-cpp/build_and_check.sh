#!/bin/sh
# Builds the example the way a third party would (one g++ line, the SDK
# headers and the version script only), then runs the conformance kit on it.
# Usage: build_and_check.sh SDK_INCLUDE_DIR CONNECTOR_MAP accord-conformance
set -eu
include=$1 map=$2 kit=$3
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d "${TMPDIR:-/tmp}/accord-example.XXXXXX")
trap 'rm -rf "$out"' EXIT
g++ -std=c++17 -O2 -Wall -Wextra -shared -fPIC -fvisibility=hidden -Wl,--no-undefined \
    -Wl,--version-script="$map" -I"$include" "$here/memo_connector.cpp" -o "$out/libaccord-memo.so" -lboost_json
chmod go-w "$out" "$out/libaccord-memo.so"
test "$(nm -D --defined-only "$out/libaccord-memo.so" | awk '{print $NF}')" = accord_connector_entry
"$kit" "$out/libaccord-memo.so"
