# SPDX-License-Identifier: Apache-2.0
# Shared by the campaign scripts (sourced): where the repository and the build
# are, the scratch folder (removed on exit unless something failed or -K was
# given), failure counting, and fsyncsnap.so built from its source with cc.
# The sourcing script sets $campaign (its name) first.
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here="$repo/tools/campaigns"
build="$repo/build"
fails=0
keep=""
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
# campaign_build DIR: the build (or a copy of its bin/ and lib/) to test; sets $accord
campaign_build() {
  build=$(realpath "$1")
  accord="$build/bin/accord"
  [ -x "$accord" ] || { echo "no accord program at $accord (give the build directory with -b)"; exit 2; }
}
# campaign_work: $work, a new folder under $TMPDIR (or /tmp), cd'd into; HOME
# there and no admin layer or secrets file of the user's, so nothing outside
# it is read or written. Removed on exit when every check passed (and no -K).
campaign_work() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/accord-campaign-$campaign.XXXXXX")
  cd "$work" || exit 2
  export HOME="$work" ACCORD_ADMIN="" ACCORD_SECRETS=""
  trap campaign_cleanup EXIT
  trap 'exit 130' INT TERM
}
# background runs register their pid in $running so that an interrupted
# campaign leaves no accord behind
running=""
campaign_cleanup() {
  [ -n "$running" ] && kill -9 "$running" 2>/dev/null && wait "$running" 2>/dev/null
  if [ "$fails" != 0 ] || [ -n "$keep" ]; then
    echo "kept $work (remove it when read)"
  else
    rm -rf "$work"
  fi
}
# build_fsyncsnap: $work/fsyncsnap.so from tools/campaigns/fsyncsnap.c (needs cc)
build_fsyncsnap() {
  command -v cc > /dev/null || { echo "no C compiler (cc): scripts/install-deps.sh installs g++ and with it gcc"; exit 2; }
  cc -shared -fPIC -O2 -Wall -Werror -o "$work/fsyncsnap.so" "$here/fsyncsnap.c" -ldl -lpthread ||
    { echo "fsyncsnap.c did not build"; exit 2; }
  fsyncsnap="$work/fsyncsnap.so"
}
# msleep MS
msleep() { sleep "$(awk -v m="$1" 'BEGIN{printf "%.3f", m/1000}')"; }
# rand_below N: $rnd, a number in [0, N) from $RANDOM (seeded by the campaign's
# seed; set, not printed: bash reseeds $RANDOM in a $(...) subshell)
rand_below() { rnd=$(( (RANDOM * 32768 + RANDOM) % $1 )); }
# rand_within MS: $rnd, a moment in [0, MS] at the same fraction of MS for the
# same seed (a replay on a slower or faster run stops at the same part of it)
rand_within() { rnd=$(( (RANDOM * 32768 + RANDOM) * $1 / 1073741823 )); }
# refs_check STATE: "M D": record_data rows whose refs differ from the references
# to them (mirror_rows, history before/after, link_bases), and references to no row
refs_check() {
  sqlite3 -separator ' ' "$1" "WITH r(id) AS (SELECT data_id FROM mirror_rows UNION ALL SELECT before_id FROM history
      WHERE before_id IS NOT NULL UNION ALL SELECT after_id FROM history WHERE after_id IS NOT NULL
      UNION ALL SELECT data_id FROM link_bases), c AS (SELECT id, count(*) n FROM r GROUP BY id)
    SELECT (SELECT count(*) FROM record_data d LEFT JOIN c ON c.id = d.id WHERE d.refs != coalesce(c.n, 0)),
           (SELECT count(*) FROM c LEFT JOIN record_data d ON d.id = c.id WHERE d.id IS NULL)"
}
# runs_so_far STATE: the newest run's number (0: none yet)
runs_so_far() { if [ -s "$1" ]; then sqlite3 "$1" "SELECT coalesce(max(id), 0) FROM runs"; else echo 0; fi; }
# history_since STATE RUN: the writes in the history of the runs after RUN, "side op count" a line
history_since() { sqlite3 -separator ' ' "$1" "SELECT side, op, count(*) FROM history WHERE run > $2 GROUP BY side, op ORDER BY 1, 2"; }
campaign_done() { echo "done: $fails failures"; [ "$fails" = 0 ]; }
