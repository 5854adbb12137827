# SPDX-License-Identifier: Apache-2.0
# Shared by the gmail-imap shell tests (sourced; they set $work first).
# maildir DIR: a local maildir endpoint on $work/DIR
maildir() { printf '{"connector": "local", "config": {"backend": "maildir", "create": true, "path": "%s"}}' "$work/$1"; }
# pipeline FILE LEFT_JSON RIGHT_JSON: a both-ways message pipeline, state FILE.sqlite
pipeline() {
  cat > "$1" <<JSON
{"name": "${1%.json}", "state": "${1%.json}.sqlite", "left": $2, "right": $3,
 "streams": [{"name": "mail", "left": "message", "right": "message", "direction": "both",
              "guards": {"max_delete_share": 0.9}}]}
JSON
}
# structure STATE: "pairs with-attachments differing": linked messages, how many
# have attachments, and how many differ in bodyStructure or attachments between
# the two sides' own listings (as the state holds them)
structure() {
  local pairs="FROM links l JOIN mirror a ON a.pair = l.pair AND a.side = 'left' AND a.id = l.left_id
    JOIN mirror b ON b.pair = l.pair AND b.side = 'right' AND b.id = l.right_id"
  local differs="(json_extract(a.data, '\$.bodyStructure') IS NOT json_extract(b.data, '\$.bodyStructure')
    OR json_extract(a.data, '\$.attachments') IS NOT json_extract(b.data, '\$.attachments'))"
  sqlite3 -separator ' ' "$1" "SELECT count(*), coalesce(sum(json_extract(a.data, '\$.hasAttachment')), 0), coalesce(sum($differs), 0) $pairs"
  sqlite3 "$1" "SELECT json_extract(a.data, '\$.bodyStructure'), json_extract(b.data, '\$.bodyStructure') $pairs WHERE $differs LIMIT 2" >&2
}
# same_files FROM TO: each message of the Maildir tree FROM (by Message-ID) is
# in TO byte for byte; says which one differs (bad) when not (the test defines
# msgids and file_of)
same_files() {
  local id
  for id in $(msgids "$1"); do
    cmp -s "$(file_of "$1" "$id")" "$(file_of "$2" "$id")" || { bad "message $id differs between $1 and $2"; return 1; }
  done
}
