#!/usr/bin/env bash
# The quickstart, on local connectors. Until the sync engine lands it shows
# the foundation: the installed connectors, and the local connector importing
# a folder of vCards into its change feed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
accord="$root/build/bin/accord"
kit="$root/build/bin/accord-conformance"
plugin="$root/build/lib/accord/plugins/libaccord-local.so"
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-quickstart.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "== installed connectors"
"$accord" plugins
echo
echo "== the local connector passes the conformance kit on a vCard folder"
"$kit" "$plugin" --config-json "{\"backend\":\"vcard\",\"path\":\"$work/contacts\"}"
