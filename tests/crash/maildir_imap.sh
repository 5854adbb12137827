#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The SIGKILL campaign (lib.sh) over a Maildir ⇄ IMAP (a private Dovecot for
# each round, started by tests/peers/dovecot/start_dovecot.sh on free
# loopback ports as an unprivileged user), both ways, left wins a conflict.
# 80 generated messages in three Maildir folders, 40 on the server (INBOX
# and Work); between phases each side sets and clears flags, deletes and
# writes new messages. Messages compare by folder, Message-ID, flags and
# size (IMAP) or content (Maildir); duplicates by Message-ID; no file may be
# left in a Maildir tmp/.
#
# Usage: maildir_imap.sh ACCORD START_DOVECOT GEN_MAIL   (CRASH_KILLS, CRASH_SEED: lib.sh)
set -u
here=$(dirname "$(realpath "${BASH_SOURCE[0]}")")
. "$here/../report.sh"                              # ok, bad, runp
. "$here/../../plugins/gmail-imap/tests/mail_lib.sh"  # maildir
. "$here/lib.sh"
accord=$(realpath "$1") start_dovecot=$(realpath "$2") gen=$(realpath "$3")
py=python3; [ -x /usr/bin/python3 ] && py=/usr/bin/python3  # a shim's start-up is seconds on a loaded machine
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-crash-imap.XXXXXX")
chmod 0711 "$work"  # Dovecot runs as another user and must reach its folder inside
cleanup() {
  local d
  for d in "$work"/*/dc; do [ -f "$d/run/master.pid" ] && kill "$(cat "$d/run/master.pid")" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
export HOME="$work" ACCORD_ADMIN=
pw="imap-$RANDOM$RANDOM"
printf '{"ada": "%s"}\n' "$pw" > secrets.json
chmod 600 secrets.json
export ACCORD_SECRETS="$work/secrets.json"
imap() { $py "$here/imap_peer.py" "$(cat "$1/port")" "$1/dc/cert.pem" ada "$pw" "${@:2}"; }

mkdir -p init
$py "$gen" 80 init/mail --seed 7 --folders INBOX,Work,Lists > /dev/null
$py "$gen" 40 server --seed 8 --folders INBOX,Work > /dev/null

prepare() {
  local d=$1 info f
  cp -r "$work/init/." "$d/"
  info=$(bash "$start_dovecot" "$d/dc" "ada:$pw" 2>&1) || { echo "FAIL Dovecot did not start"; echo "$info"; exit 1; }
  awk '/^imaps /{print $2}' <<<"$info" > "$d/port"
  cat > "$d/p.json" <<JSON
{"name": "crash", "state": "state.sqlite", "left": $(maildir "${d#"$work"/}/mail"),
 "right": {"connector": "gmail-imap", "config": {"url": "imaps://localhost:$(cat "$d/port")", "user": "ada",
           "password": {"\$secret": "ada"}, "ca_file": "$d/dc/cert.pem"}},
 "streams": [{"name": "mail", "left": "message", "right": "message", "conflict": {"policy": "left-wins"},
              "guards": {"max_delete_share": 1, "max_update_share": 1, "max_create_share": 100}}]}
JSON
  imap "$d" append INBOX $(find server -path '*/.Work' -prune -o -type f -print) || exit 1
  imap "$d" append Work $(find server/.Work -type f) || exit 1
}
release() { [ -f "$1/dc/run/master.pid" ] && kill "$(cat "$1/dc/run/master.pid")" 2>/dev/null; return 0; }

# edit DIR ROUND: in the Maildir, a flag set on some, some moved to another
# folder, some deleted, 5 new ones; on IMAP other flags and other deletes
# (imap_peer.py)
edit() {
  local d=$1 r=$2 k
  perl -e 'my $r = shift; my $root = shift;
    for my $f (@ARGV) {
      open(my $h, "<", $f) or next; my $mid = "";
      while (<$h>) { last if /^\r?$/; $mid = $1 if /^Message-ID:\s*<([^>]+)>/i } close $h;
      my $n;
      if ($mid =~ /^gen-(\d+)-/) { $n = $1 } elsif ($mid =~ /^(?:new|imap)-\d+-(\d+)@/) { $n = $1 } else { next }
      if ($n % 11 == $r + 3) { unlink $f; next }
      my ($dir, $sub, $base) = $f =~ m{^(.*)/(cur|new)/([^/]+)$} or next;
      my ($uniq, $flags) = $base =~ /^(.*?)(?::2,([A-Za-z]*))?$/;
      my %l = map { $_ => 1 } split //, ($flags // "");
      $l{F} = 1 if $n % 5 == $r;
      my $to = $dir;
      if ($n % 13 == $r + 7) { $to = $dir =~ m{/\.Work$} ? $root : "$root/.Work" }  # moved to another folder
      my $new = "$to/cur/$uniq:2," . join("", sort keys %l);
      rename $f, $new or die "rename $f: $!" if $new ne $f && ($to ne $dir || $n % 5 == $r);
    }' "$r" "$d/mail" $(find "$d/mail" -path '*/.accord' -prune -o -type f \( -path '*/cur/*' -o -path '*/new/*' \) -print)
  for ((k = 0; k < 5; k++)); do
    printf 'Message-ID: <new-%s-%s@crash.test>\nDate: Sat, 21 Nov 2026 10:0%s:00 +0000\nFrom: Bob <bob@example.org>\nTo: ada@example.org\nSubject: written in the Maildir, round %s, %s\n\nBody %s of round %s.\n' \
      "$r" "$k" "$k" "$r" "$k" "$k" "$r" > "$d/mail/cur/17640000$r$k.crash$r$k.host:2,S"
  done
  imap "$d" edit "$r" || { echo "FAIL editing the IMAP side"; exit 1; }
}

# the Maildir: "folder <msgid> flags sha1" a message (cur/ and new/ alike)
contents() {
  if [ "$2" = right ]; then imap "$1" contents; return; fi
  (cd "$1/mail" && find . -path ./.accord -prune -o -type f \( -path '*/cur/*' -o -path '*/new/*' \) -print0 | sort -z |
    xargs -0 -r perl -MDigest::SHA=sha1_hex -e '
      for my $f (@ARGV) {
        open(my $h, "<", $f) or die; local $/; my $c = <$h>; close $h;
        my ($mid) = $c =~ /^Message-ID:\s*<([^>]+)>/mi; my ($dir, $base) = $f =~ m{^(.*)/(?:cur|new)/([^/]+)$};
        my ($flags) = $base =~ /:2,([A-Za-z]*)$/;
        print "$dir <", $mid // "", "> ", $flags // "", " ", sha1_hex($c), "\n";
      }') | sort
}
duplicates() {
  if [ "$2" = right ]; then imap "$1" duplicates; return; fi
  contents "$1" left | awk '{print $2}' | sort | uniq -d | wc -l
}
leftovers() { (cd "$1/mail" && find . -type f \( -path './tmp/*' -o -path './.*/tmp/*' \) ! -path './.accord/*'); }
lost() { :; }  # a message is one field: its content, compared above

campaign maildir_imap
exit $fail
