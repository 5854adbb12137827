#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs every Debian package a fresh Debian 12 machine needs to build Accord
# and run its tests. Idempotent; run as root (or with sudo available).
set -euo pipefail

PACKAGES=(
  # toolchain (g++ also builds the SDK example as a third party would)
  cmake g++ ninja-build pkg-config binutils
  # libraries (Boost.JSON exists from 1.75: name 1.81 explicitly, the default 1.74 lacks it)
  libboost1.81-dev libboost-json1.81-dev
  libsqlite3-dev libical-dev libvalijson-dev
  # the engine's bulk digests (XXH3, 128 bits; used header-only)
  libxxhash-dev
  # the accord program's allocator: a first sync's millions of small records,
  # made on the reader threads and freed on the state thread, cost glibc's
  # malloc several seconds (docs/performance.md)
  libjemalloc-dev
  # crm-rest and gmail-imap's OAuth 2.0 renewal: HTTP(S) with TLS
  # verification, HTTP/2 and gzip
  libcurl4-openssl-dev
  # accord daemon --provider: the Ed25519 signature of HighLevel's webhook (OpenSSL's libcrypto)
  libssl-dev
  # time-zone data: libical writes VTIMEZONEs from it, the timezone transform reads it
  tzdata
  # libs/formats: Windows zone names (Outlook's TZIDs) to IANA through CLDR's
  # windowsZones.xml, read with POCO's XML parser
  unicode-cldr-core libpoco-dev
  # tests and the quickstart: the sqlite3 shell edits and inspects stores;
  # time (/usr/bin/time) measures peak RSS in the benchmarks
  sqlite3 time libgtest-dev libgmock-dev
  # crm-rest tests drive their REST peers with curl, gmail-imap tests the
  # Gmail fake's token endpoint
  curl
  # the disk-full tests mount a small tmpfs (mount), the Ctrl-C test runs
  # accord under a pseudo-terminal (script), the private Dovecot drops to an
  # unprivileged user (setpriv): present on Debian, named so that no test
  # relies on an image that left them out
  mount bsdutils util-linux
  # gmail-imap: its IMAP parser runs under libFuzzer (clang and its fuzzer
  # runtime); its tests run a private Dovecot with a self-signed certificate
  clang libclang-rt-14-dev dovecot-imapd openssl
  # accord daemon: sd_notify and the journal (libsystemd); its status page is
  # tested in headless Chromium, and its inotify and loopback tests use bc and
  # ss (iproute2)
  libsystemd-dev chromium bc iproute2
  # the C example connector (examples/connector-c, also the tests' plain-C
  # fixture): built with clang (above) as a third party would, its JSON with
  # Jansson (docs/sdk.md says why)
  libjansson-dev
  # gmail-imap tests drive Dovecot with Python's imaplib and generate mailboxes
  # with bench/gen_mail.py; its benchmark runs mbsync (isync) side by side
  python3 isync
  # the local plugin's Maildir 36-hour rule is tested with its clock run
  # ahead (file times cannot be set back): libfaketime
  faketime
  # engine.intent_sync checks with strace that the intents reach the disk
  # before a batch's first write; engine.lazy_take digests bodies with perl's
  # Digest::SHA
  strace perl
  # outlook-mapi's pst backend: Outlook data files (.pst/.ost) through libpff,
  # which opens files through libbfio
  libpff-dev libbfio-dev
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

# Test peers from the npm registry (json-server for crm-rest; ajv, the JSON
# Schema validator the vendor fakes check request bodies with; pst-extractor,
# whose test data holds the real .pst/.ost files outlook-mapi's pst backend
# is checked on, MIT, not committed here), pinned by
# tests/peers/package-lock.json. Node and npm come from Debian when the machine
# has none (a machine with Node.js from elsewhere keeps it).
# (ACCORD_SKIP_PEERS=1, as the quickstart sets, skips them.)
if [ "${ACCORD_SKIP_PEERS:-0}" != 1 ]; then
  # ca-certificates: npm reaches its registry over TLS, and Debian's nodejs
  # only recommends it (which --no-install-recommends leaves out)
  if ! command -v node >/dev/null || ! command -v npm >/dev/null ||
     ! dpkg-query -W -f='${Status}' ca-certificates 2>/dev/null | grep -q "install ok installed"; then
    echo "install-deps: installing nodejs npm ca-certificates"
    $SUDO apt-get update -q
    pkgs=(ca-certificates)
    command -v node >/dev/null && command -v npm >/dev/null || pkgs+=(nodejs npm)
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${pkgs[@]}"
  fi
  peers="$(cd "$(dirname "$0")/../tests/peers" && pwd)"
  if [ ! -x "$peers/node_modules/.bin/json-server" ] || [ ! -f "$peers/node_modules/ajv/package.json" ] ||
     [ ! -f "$peers/node_modules/smtp-server/package.json" ] ||
     [ ! -f "$peers/node_modules/pst-extractor/example/testdata/enron.pst" ]; then
    echo "install-deps: installing test peers (npm ci in tests/peers)"
    (cd "$peers" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  # pst-extractor 1.0.0's Outlook.com .ost (MIT): the one real sample holding contacts, a distribution list,
  # tasks, a sticky note and a journal entry (1.12.0 ships other mailboxes). Only the file is taken from the
  # package (npm pack): its dependencies (a native fs-ext among them) are not installed. Checked by SHA-256.
  ost1="$peers/samples/pst-extractor-1.0.0/mtnman1965@outlook.com.ost"
  if [ ! -f "$ost1" ]; then
    echo "install-deps: fetching pst-extractor 1.0.0's sample .ost into tests/peers/samples"
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack pst-extractor@1.0.0 --silent >/dev/null &&
       tar xzf pst-extractor-1.0.0.tgz "package/src/testdata/mtnman1965@outlook.com.ost" &&
       echo "b884f6313e3507aaa38c1a70fecf2d9e4689923065a3324b61d4ae12887c862d  package/src/testdata/mtnman1965@outlook.com.ost" |
         sha256sum -c --quiet) &&
      mkdir -p "$(dirname "$ost1")" && mv "$tmp/package/src/testdata/mtnman1965@outlook.com.ost" "$ost1"
    rm -rf "$tmp"
  fi
fi
