# Shared by the gmail-imap shell tests (sourced; they set $work first).
# maildir DIR: a local maildir endpoint on $work/DIR
maildir() { printf '{"connector": "local", "config": {"backend": "maildir", "path": "%s"}}' "$work/$1"; }
# pipeline FILE LEFT_JSON RIGHT_JSON: a both-ways message pipeline, state FILE.sqlite
pipeline() {
  cat > "$1" <<JSON
{"name": "${1%.json}", "state": "${1%.json}.sqlite", "left": $2, "right": $3,
 "streams": [{"name": "mail", "left": "message", "right": "message", "direction": "both",
              "guards": {"max_delete_share": 0.9}}]}
JSON
}
