#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The SIGKILL campaign (lib.sh) over a vCard folder ⇄ the local sqlite store:
# 120 rich vCards (nickname, address, organisation, title, note) on the left,
# 120 rich records on the right, both ways, left wins a conflict. "mapped":
# the right is a CRM-like crm_contact stream, through the quickstart's
# mapping rules (renames, lowercase, e164, a constant), matched by email.
# The right side's creates between phases go in through the product (a
# one-way JSON folder → sqlite pipeline of their own), its updates and
# deletes as any SQLite tool makes them (docs/connectors/local.md).
#
# Usage: vcard_sqlite.sh ACCORD [mapped]   (CRASH_KILLS, CRASH_SEED: lib.sh)
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../report.sh"  # ok, bad, runp (before any cd)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
accord=$(realpath "$1") mode=${2:-plain}
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-crash-vcard.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export HOME="$work" ACCORD_ADMIN= ACCORD_SECRETS=

if [ "$mode" = mapped ]; then
  stream=crm_contact
  email="json_extract(data, '\$.Email')"
  rules='"mapping": [{"left": "/name/components/[kind=given]/value", "right": "/FirstName"},
          {"left": "/name/components/[kind=surname]/value", "right": "/LastName"},
          {"left": "/name/full", "right": "/Name"},
          {"left": "/emails/*/address", "right": "/Email", "transform": "lowercase"},
          {"left": "/phones/*/number", "right": "/Phone", "transform": {"e164": {"country_code": "44"}}},
          {"left": "/organizations/*/name", "right": "/Company"},
          {"left": "/titles/*/name", "right": "/Title"},
          {"left": "/notes/*/note", "right": "/Notes"},
          {"right": "/LeadSource", "transform": {"constant": "Address book"}, "direction": "left-to-right"}],'
  match='"match": [{"left": "/emails/*/address", "right": "/Email", "normalise": "email"}],'
  seed_rules=', "mapping": ['
  for f in FirstName LastName Name Email Phone Company Title Notes LeadSource; do
    seed_rules="$seed_rules{\"left\": \"/$f\", \"right\": \"/$f\"},"
  done
  seed_rules="${seed_rules%,}]"
else
  stream=contact
  email="json_extract(data, '\$.emails.e1.address')"
  rules= match= seed_rules=
fi
num="CAST(substr($email, 2, instr($email, '@') - 2) AS INTEGER)"  # 17 of s17@… or v17@…

# vcard FILE N [TITLE]: a rich vCard, uid v-N, email vN@example.org
vcard() {
  printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:v-%s\r\nFN:Vera Card%s\r\nN:Card%s;Vera;;;\r\nNICKNAME:Vee%s\r\nEMAIL:v%s@example.org\r\nTEL:+44 20 7946 %04d\r\nORG:Vcard Org %s\r\nTITLE:%s\r\nADR:;;%s High St;Town;;AB1 2CD;GB\r\nNOTE:note of v%s\r\nEND:VCARD\r\n' \
    "$2" "$2" "$2" "$2" "$2" "$2" "$2" "${3:-Engineer}" "$2" "$2" > "$1"
}
# record N: a right-side record (JSON) of uid s-N, email sN@example.org
record() {
  if [ "$mode" = mapped ]; then
    printf '{"FirstName": "Sam", "LastName": "Sqlite%s", "Name": "Sam Sqlite%s", "Email": "s%s@example.org",
 "Phone": "+44207946%04d", "Company": "Sqlite Org %s", "Title": "Analyst", "Notes": "note of s%s", "LeadSource": "Seed"}\n' \
      "$1" "$1" "$1" "$1" "$1" "$1"
  else
    printf '{"@type": "Card", "uid": "urn:uuid:s-%s", "name": {"full": "Sam Sqlite%s", "components": [{"kind": "given", "value": "Sam"}, {"kind": "surname", "value": "Sqlite%s"}]},
 "nicknames": {"n1": {"name": "Sammy%s"}}, "emails": {"e1": {"address": "s%s@example.org"}}, "phones": {"p1": {"number": "+44 20 7946 %04d"}},
 "organizations": {"o1": {"name": "Sqlite Org %s"}}, "titles": {"t1": {"name": "Analyst"}},
 "addresses": {"a1": {"components": [{"kind": "name", "value": "%s Low Rd"}, {"kind": "locality", "value": "City"}], "countryCode": "GB"}},
 "notes": {"x1": {"note": "note of s%s"}}}\n' "$1" "$1" "$1" "$1" "$1" "$1" "$1" "$1" "$1"
  fi
}
# seed DIR NAME FROM TO: records FROM..TO created in DIR/right.sqlite
seed() {
  local i
  mkdir -p "$1/$2/$stream"
  for ((i = $3; i <= $4; i++)); do record "$i" > "$1/$2/$stream/s$i.json"; done
  seed_sqlite "$1" "$2" "$stream" "$seed_rules"
}

# the starting stores, made once and copied into each round
mkdir -p init/book
for i in $(seq 1 120); do vcard "init/book/v$i.vcf" "$i"; done
seed init seed0 1 120
cat > init/p.json <<JSON
{"name": "crash", "state": "state.sqlite",
 "left": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "book"}},
 "right": {"connector": "local", "config": {"backend": "sqlite", "path": "right.sqlite"}},
 "streams": [{"name": "contacts", "left": "contact", "right": "$stream", $rules $match
              "conflict": {"policy": "left-wins"}, "guards": {"max_delete_share": 1, "max_update_share": 1, "max_create_share": 100}}]}
JSON

prepare() { cp -r "$work/init/." "$1/"; }

# edit DIR ROUND: on each side updates (some of the same records on both:
# conflicts, left wins), deletes (one of them a record the other side
# updates) and 15 creates
edit() {
  local d=$1 r=$2 n
  # one process for the folder (a process a file is seconds on a loaded machine)
  perl -e 'my $r = shift;
    for my $f (@ARGV) {
      open(my $h, "<", $f) or next; local $/; my $c = <$h>; close $h;
      my ($n) = $c =~ /^EMAIL:[a-z](\d+)@/m or next;
      if ($n % 10 == $r + 4) { unlink $f; next }
      my $o = $c;
      $c =~ s/^TITLE[;:][^\r\n]*/TITLE:Lead $r/m if $n % 6 == $r;
      $c =~ s/^NOTE[;:][^\r\n]*/NOTE:edited left $r/m if $n % 9 == $r;
      if ($c ne $o) { open($h, ">", $f) or die; print $h $c; close $h }
    }' "$r" "$d"/book/*.vcf
  for ((n = 1000 * r; n < 1000 * r + 15; n++)); do vcard "$d/book/v$n.vcf" "$n" "New $r"; done
  if [ "$mode" = mapped ]; then
    sqlite3 "$d/right.sqlite" "UPDATE r_$stream SET data = json_set(data, '\$.Title', 'Head $r') WHERE deleted = 0 AND $num % 7 = $r;
                               UPDATE r_$stream SET data = json_set(data, '\$.Notes', 'edited right $r') WHERE deleted = 0 AND $num % 9 = $r;"
  else
    sqlite3 "$d/right.sqlite" "UPDATE r_$stream SET data = json_set(data, '\$.phones', json('{\"p1\": {\"number\": \"+1 555 $r\"}}')) WHERE deleted = 0 AND $num % 7 = $r;
                               UPDATE r_$stream SET data = json_set(data, '\$.notes', json('{\"x1\": {\"note\": \"edited right $r\"}}')) WHERE deleted = 0 AND $num % 9 = $r;"
  fi
  sqlite3 "$d/right.sqlite" "UPDATE r_$stream SET deleted = 1, data = NULL WHERE deleted = 0 AND $num % 13 = $r + 1"
  seed "$d" "seed$r" $((1000 * r + 500)) $((1000 * r + 514))
}

# a vCard folder: one line a card, without the key Accord stores in it (it
# names the source record's id, which differs between runs)
contents() {
  if [ "$2" = left ]; then
    awk -v mapped="$mode" 'FNR == 1 && NR > 1 { print card; card = "" }
      { sub(/\r$/, "") } /^X-ACCORD-ID:/ || (mapped == "mapped" && /^UID:/) { next }
      { card = card (card == "" ? "" : "|") $0 } END { print card }' "$1"/book/*.vcf | sort
  else
    sqlite3 "$1/right.sqlite" "SELECT data FROM r_$stream WHERE deleted = 0" | sort
  fi
}
duplicates() {
  if [ "$2" = left ]; then
    cat "$1"/book/*.vcf | tr -d '\r' | grep -E '^(EMAIL|UID)[;:]' | sort | uniq -d | wc -l
  else
    sqlite3 "$1/right.sqlite" "SELECT count(*) - count(DISTINCT $email) FROM r_$stream WHERE deleted = 0"
  fi
}
leftovers() { find "$1/book" -name '.*.tmp-*' -o -name '*.tmp' | sed "s|^$work/||"; }

# lost DIR: fields a side's records should all have and some lack (none
# of these fields is edited away; an address keeps its country code on the
# side that has one, the sqlite store: a vCard's ADR has no field for it;
# but a record deleted there while edited in the vCards, n % 13 = 2 or 3,
# comes back as the vCard holds it)
lost() {
  local f fields="NICKNAME ADR ORG TITLE NOTE" n
  [ "$mode" = mapped ] && fields="ORG TITLE NOTE"
  for f in $fields; do
    n=$(awk -v f="$f" 'FNR == 1 { total++ } $0 ~ "^" f "[;:]" { has[FILENAME] = 1 }
                       END { print total - length(has) }' "$1"/book/*.vcf)
    [ "$n" = 0 ] || echo "left: $n vCards without $f"
  done
  if [ "$mode" = mapped ]; then
    fields="Email Phone Company Title Notes"
  else
    fields="emails phones nicknames addresses organizations titles notes"
    n=$(sqlite3 "$1/right.sqlite" "SELECT count(*) FROM r_$stream WHERE deleted = 0 AND $email LIKE 's%'
                                   AND json_extract(data, '\$.addresses.a1.countryCode') IS NULL AND $num % 13 NOT IN (2, 3)")
    [ "$n" = 0 ] || echo "right: $n records made in sqlite lost their address's countryCode"
  fi
  for f in $fields; do
    n=$(sqlite3 "$1/right.sqlite" "SELECT count(*) FROM r_$stream WHERE deleted = 0 AND json_extract(data, '\$.$f') IS NULL")
    [ "$n" = 0 ] || echo "right: $n records without $f"
  done
}

campaign "vcard_sqlite${2:+_$2}"
exit $fail
