#!/usr/bin/env bash
# Ingest benchmarks: prints messages per second and peak memory.
#
#   bash scripts/bench.sh
#
# Builds posko-bench in release mode, starts a throw-away Dovecot on a free
# loopback port (needs root and the Debian package dovecot-imapd, see
# scripts/setup.sh), then runs:
#   maildir 5000, maildir 20000, imap 5000, big 25 MB, rules (200 rules),
#   replies (the reply reader on the golden replies and a 1 MB reply),
#   sla-scan (one SLA scan with 1,000,000 tickets in SQLite)
# and stops Dovecot. Not part of the test suite: it prints figures, it does
# not pass or fail on them. MAILDIR_COUNTS, IMAP_COUNT and BIG_MB override
# the sizes; SLA_TICKETS the tickets of the scan.
set -euo pipefail

cd "$(dirname "$0")/.."
MAILDIR_COUNTS=${MAILDIR_COUNTS:-"5000 20000"}
IMAP_COUNT=${IMAP_COUNT:-5000}
BIG_MB=${BIG_MB:-25}

echo "== building (release)"
cargo build --release --locked -p posko-bench
BENCH="${CARGO_TARGET_DIR:-target}/release/posko-bench"

# --- Dovecot, as in tests/it/harness/mailstack.rs (plain IMAP only) ---------
DIR=$(mktemp -d /tmp/posko-bench-dc.XXXXXX)
chmod 755 "$DIR"
DOVECOT_PID=
cleanup() {
    if [ -n "$DOVECOT_PID" ]; then
        # Its own process group (setsid): one signal stops master and children.
        kill -TERM -- "-$DOVECOT_PID" 2>/dev/null || true
        wait "$DOVECOT_PID" 2>/dev/null || true
    fi
    rm -rf "$DIR"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PASSWORD=bench-secret
echo "helpdesk:{PLAIN}$PASSWORD" >"$DIR/users"
mkdir "$DIR/mail"
chown dovecot:dovecot "$DIR/mail"
cat >"$DIR/dovecot.conf" <<EOF
instance_name = $(basename "$DIR")
base_dir = $DIR/run
state_dir = $DIR/state
log_path = $DIR/dovecot.log
info_log_path = $DIR/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
default_internal_group = dovecot
mail_location = maildir:$DIR/mail/%n/Maildir
first_valid_uid = 0
first_valid_gid = 0
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $DIR/users
}
userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=$DIR/mail/%n
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
EOF
setsid dovecot -F -c "$DIR/dovecot.conf" >"$DIR/dovecot.stderr" 2>&1 &
DOVECOT_PID=$!
for _ in $(seq 1 200); do
    if grep -q "starting up" "$DIR/dovecot.log" 2>/dev/null &&
        (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
        break
    fi
    if ! kill -0 "$DOVECOT_PID" 2>/dev/null; then
        echo "dovecot did not start:" >&2
        cat "$DIR/dovecot.stderr" "$DIR/dovecot.log" >&2 || true
        exit 1
    fi
    sleep 0.05
done
echo "== Dovecot on 127.0.0.1:$PORT"

echo "== machine: $(nproc) cores, $(uname -r)"
for n in $MAILDIR_COUNTS; do
    echo "== maildir $n"
    "$BENCH" maildir --count "$n"
done
echo "== imap $IMAP_COUNT"
BENCH_IMAP_PASSWORD=$PASSWORD "$BENCH" imap --count "$IMAP_COUNT" \
    --host 127.0.0.1 --port "$PORT" --user helpdesk --password-env BENCH_IMAP_PASSWORD
echo "== big $BIG_MB MB"
"$BENCH" big --size-mb "$BIG_MB"
"$BENCH" rules --count 20000 --rules 200
"$BENCH" replies
"$BENCH" sla-scan --tickets "${SLA_TICKETS:-1000000}"
