# SPDX-License-Identifier: Apache-2.0
# The environment the test suite runs in, sourced by scripts/test.sh; by hand:
#   . scripts/test_env.sh && ctest --test-dir build -R crash.keep_both_twice
# It changes where tests keep their scratch files and how python3 starts,
# never what a test checks (docs/testing.md):
#
# 1. Scratch files on a tmpfs. Tests make their stores under $TMPDIR (mktemp
#    -d, std::filesystem::temp_directory_path). On a disk each SQLite commit
#    waits for fsync, and the suite is mostly such waits (the model test's
#    1,000 sequences: 15 s of every 50 sequences on disk, 2 s on a tmpfs).
#    No test depends on fsync reaching a disk: the crash tests kill with
#    SIGKILL, and what a killed process wrote stays in the kernel's page cache.
#    /dev/shm is used when it is a writable tmpfs with at least 2 GiB free;
#    ACCORD_TEST_TMPDIR=DIR picks another place (ACCORD_TEST_TMPDIR=/tmp keeps
#    the disk). Removed by accord_test_env_cleanup.
# 2. python3 started once. A version manager's python3 (pyenv's shim is a
#    bash script that runs `pyenv exec`) costs up to a second a start under
#    load, and the shell tests start python3 thousands of times. The
#    interpreter the shim resolves to is put first on PATH, so every test runs
#    the same Python it would have run, without the shim.
accord_test_tmp=""
accord_test_env() {
  local base=${ACCORD_TEST_TMPDIR:-}
  if [ -z "$base" ] && [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && [ -w /dev/shm ] &&
     [ "$(df -Pk /dev/shm | awk 'NR == 2 {print $4}')" -ge $((2 * 1024 * 1024)) ]; then
    base=/dev/shm
  fi
  if [ -n "$base" ]; then
    accord_test_tmp=$(mktemp -d "$base/accord-tests.XXXXXX")
    chmod 1777 "$accord_test_tmp"  # as /tmp: the private Dovecots run as nobody below it
    export TMPDIR="$accord_test_tmp"
  fi
  local py real
  py=$(command -v python3 2>/dev/null) || return 0
  real=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || return 0
  if [ -n "$real" ] && [ "$(realpath "$py")" != "$(realpath "$real")" ]; then
    [ -n "$accord_test_tmp" ] || accord_test_tmp=$(mktemp -d "${TMPDIR:-/tmp}/accord-tests.XXXXXX")
    mkdir -p "$accord_test_tmp/bin"
    ln -s "$real" "$accord_test_tmp/bin/python3"
    export PATH="$accord_test_tmp/bin:$PATH"
  fi
  echo "tests: TMPDIR=${TMPDIR:-/tmp}, python3 $(realpath "$real")"
}
accord_test_env_cleanup() {
  [ -n "$accord_test_tmp" ] && rm -rf "$accord_test_tmp"
  accord_test_tmp=""
}
accord_test_env
