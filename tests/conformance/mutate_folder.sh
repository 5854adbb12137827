#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# A --mutate hook for connectors that keep one file per record in a folder
# (the local connector's vcard, icalendar and json backends, the faulty
# fixture): `mutate_folder.sh DIR EXT unreadable STREAM` writes a file the
# connector cannot parse into DIR; `… repair STREAM` removes it.
# Usage with the kit: --mutate "sh mutate_folder.sh DIR .vcf"
set -eu
dir=$1 ext=$2 action=$3
bad="$dir/accord-conformance-unreadable$ext"
case $action in
  unreadable) mkdir -p "$dir"; printf 'this is not a record {\n' > "$bad" ;;
  repair) rm -f "$bad" ;;
  *) echo "mutate_folder.sh: unknown action $action" >&2; exit 2 ;;
esac
