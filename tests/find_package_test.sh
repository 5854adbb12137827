#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# sdk.find_package: the package as a third party gets it. Runs the shell
# blocks of docs/sdk.md between <!-- walkthrough --> and <!-- /walkthrough -->,
# word for word and in order, in one shell, from a scratch folder that looks
# like an Accord checkout built in build/ (build -> the real build folder,
# examples -> the real examples), with HOME there too (so the SDK installs
# into a temporary prefix). Fails on the first command that fails.
# Usage: find_package_test.sh BUILD_DIR SOURCE_DIR
set -eu
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-find-package.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"  # the host refuses plugins in group- or other-writable folders
ln -s "$build" "$work/build"
ln -s "$src/examples" "$work/examples"
awk '/<!-- walkthrough -->/ {on = 1; next} /<!-- \/walkthrough -->/ {on = 0; next}
     on && /^```sh$/ {code = 1; next} code && /^```$/ {code = 0; next} code {print}' \
    "$src/docs/sdk.md" > "$work/walkthrough.sh"
if [ "$(grep -c 'accord-conformance' "$work/walkthrough.sh")" -lt 3 ]; then
  echo "FAIL: docs/sdk.md's walkthrough blocks are missing (found:)"; cat "$work/walkthrough.sh"; exit 1
fi
cd "$work"
HOME=$work sh -eux "$work/walkthrough.sh"
echo "find_package test: the walkthrough built and checked every example"
