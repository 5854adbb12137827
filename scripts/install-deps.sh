#!/usr/bin/env bash
# Installs every Debian package a fresh Debian 12 machine needs to build Accord
# and run its tests. Idempotent; run as root (or with sudo available).
set -euo pipefail

PACKAGES=(
  # toolchain
  cmake g++ ninja-build pkg-config file binutils sqlite3 time
  # libraries (Boost.JSON exists from 1.75: name 1.81 explicitly, the default 1.74 lacks it)
  libboost1.81-dev libboost-json1.81-dev
  libsqlite3-dev libical-dev libcurl4-openssl-dev libvalijson-dev
  # tests
  libgtest-dev libgmock-dev librapidcheck-dev
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all packages present"
fi
