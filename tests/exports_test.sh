#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Each connector plugin exports exactly one dynamic symbol: accord_connector_entry.
# Usage: exports_test.sh PLUGIN.so...
status=0
for f in "$@"; do
  syms=$(nm -D --defined-only "$f" | awk '{print $NF}' | sort -u)
  if [ "$syms" != "accord_connector_entry" ]; then
    echo "FAIL $f exports: $(echo $syms)"
    status=1
  else
    echo "ok   $f"
  fi
done
exit $status
