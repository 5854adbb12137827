#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Starts a private Dovecot (dovecot-imapd) for the gmail-imap tests: its own
# config, users, Maildirs, self-signed certificate and logs under DIR, IMAP
# (plain, for STARTTLS) and IMAPS listeners on free loopback ports, run as an
# unprivileged user (Dovecot refuses to run its login process as root; as
# root we drop to nobody with setpriv, and every Dovecot user is that one).
#
# Usage: start_dovecot.sh DIR [USER:PASSWORD ...]   (default user ada:secret)
# Prints "imap PORT", "imaps PORT", "pid PID" and "ca DIR/cert.pem", and returns once
# Dovecot answers. Stop it with: kill $(cat DIR/run/master.pid)
# Extra settings: DOVECOT_EXTRA="imap_capability = ..." (appended to the config).
set -euo pipefail
dir=$(realpath -m "$1")
shift
users=("$@")
[ ${#users[@]} -gt 0 ] || users=(ada:secret)

mkdir -p "$dir"/{run,state,log,home}
free_port() {  # a loopback port nothing listens on
  local p
  for _ in $(seq 1 200); do
    p=$(( 20000 + RANDOM % 40000 ))
    (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo "$p"; return; }
  done
  echo "no free port" >&2
  return 1
}

if [ "$(id -u)" = 0 ]; then
  run_user=nobody run_group=nogroup
  run=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
else
  run_user=$(id -un) run_group=$(id -gn)
  run=()
fi

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$dir/key.pem" -out "$dir/cert.pem" > /dev/null 2>&1

: > "$dir/users"
for u in "${users[@]}"; do
  name=${u%%:*} pass=${u#*:}
  printf '%s:{PLAIN}%s::::::\n' "$name" "$pass" >> "$dir/users"
  mkdir -p "$dir/home/$name"
done

write_conf() {
cat > "$dir/dovecot.conf" <<CONF
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/log/dovecot.log
info_log_path = $dir/log/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <$dir/cert.pem
ssl_key = <$dir/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = $run_user
default_internal_group = $run_group
default_login_user = $run_user
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/users
}
userdb {
  driver = static
  args = uid=$run_user gid=$run_group home=$dir/home/%u
}
mail_location = maildir:~/Maildir
mail_plugins =
namespace inbox {
  inbox = yes
  separator = /
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $imap_port
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $imaps_port
    ssl = yes
  }
  chroot =
}
service anvil {
  chroot =
}
service stats {
  unix_listener stats-writer {
    mode = 0666
  }
}
protocol imap {
  mail_max_userip_connections = 100
}
${DOVECOT_EXTRA:-}
CONF
}
# A port found free can be taken by another test's server before Dovecot
# binds it (tests start servers side by side): then try other ports.
started=0
for attempt in 1 2 3; do
  imap_port=$(free_port)
  imaps_port=$(free_port)
  write_conf
  chown -R "$run_user:$run_group" "$dir"
  if "${run[@]}" /usr/sbin/dovecot -c "$dir/dovecot.conf" < /dev/null > "$dir/log/start.out" 2>&1; then
    for _ in $(seq 1 100); do
      if (exec 3<>/dev/tcp/127.0.0.1/$imap_port) 2>/dev/null; then started=1; break; fi
      sleep 0.1
    done
    [ $started = 1 ] && break
    [ -f "$dir/run/master.pid" ] && kill "$(cat "$dir/run/master.pid")" 2>/dev/null
  fi
done
[ $started = 1 ] || { echo "dovecot did not start:"; cat "$dir/log/start.out" "$dir/log/dovecot.log" 2>/dev/null; exit 1; }
echo "imap $imap_port"
echo "imaps $imaps_port"
echo "pid $(cat "$dir/run/master.pid")"
echo "ca $dir/cert.pem"
