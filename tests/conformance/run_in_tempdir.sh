#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs accord-conformance with a connector config whose @TMP@ is replaced by a
# fresh temporary folder, removed afterwards; @TMP@ in the kit's other
# arguments (a --mutate command) names the same folder.
# Usage: run_in_tempdir.sh KIT PLUGIN CONFIG_TEMPLATE [kit args…]
set -u
kit=$1 plugin=$2 template=$3
shift 3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/accord-conformance.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
config=$(printf '%s' "$template" | sed "s|@TMP@|$tmp|g")
for a in "$@"; do
  set -- "$@" "$(printf '%s' "$a" | sed "s|@TMP@|$tmp|g")"
  shift
done
"$kit" "$plugin" --config-json "$config" "$@"
