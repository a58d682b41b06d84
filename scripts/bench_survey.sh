#!/usr/bin/env bash
# The survey page under load (issue 11): wrk from a second process on
# loopback against GET and POST of /s/TOKEN, 200 connections, with the
# database on SQLite and on PostgreSQL. Prints wrk's requests per second
# and latency percentiles. Not part of the test suite.
#
#   bash scripts/bench_survey.sh            # both databases
#   DBS=sqlite DURATION=10s bash scripts/bench_survey.sh
#   POSKO_BIN=target/debug/posko bash scripts/bench_survey.sh   # no build
#
# Needs wrk (Debian package) and, for PostgreSQL, POSKO_TEST_PG (default
# postgres://postgres@127.0.0.1:5432/test; a database is made and dropped).
# The daemon reads an empty Maildir and writes mail as files; the survey
# row is written straight into the database with a known token. The POST
# answers the survey once; every later POST is the "already answered" page
# (409), which does the same lookup and claim.
set -euo pipefail
cd "$(dirname "$0")/.."
DBS=${DBS:-"sqlite postgres"}
DURATION=${DURATION:-15s}
CONNS=${CONNS:-200}
PG=${POSKO_TEST_PG:-postgres://postgres@127.0.0.1:5432/test}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk"; exit 1; }

if [ -n "${POSKO_BIN:-}" ]; then
    POSKO=$POSKO_BIN
else
    echo "== building (release)"
    cargo build --release --locked -p posko
    POSKO="${CARGO_TARGET_DIR:-target}/release/posko"
fi

DIR=$(mktemp -d /tmp/posko-bench-survey.XXXXXX)
DAEMON=
PGDB=
cleanup() {
    [ -n "$DAEMON" ] && kill -TERM "$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null || true
    [ -n "$PGDB" ] && psql "$PG" -qc "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$DIR"
}
trap cleanup EXIT

TOKEN=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32)[:43])')
HASH=$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)
NOW=$(date +%s)
FORM="reporting=5&speed=4&quality=5&fit=4&friendliness=5&information=4&timeliness=5&overall=4&facilities=5&service_fit=4&comment=cepat"
cat > "$DIR/post.lua" <<LUA
wrk.method = "POST"
wrk.body = "$FORM"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
LUA

for db in $DBS; do
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    case $db in
        sqlite) URL="sqlite://$DIR/posko.db" ;;
        postgres)
            PGDB="posko_bench_$$"
            psql "$PG" -qc "CREATE DATABASE $PGDB" >/dev/null
            URL="${PG%/*}/$PGDB" ;;
    esac
    mkdir -p "$DIR/mail/new" "$DIR/mail/cur" "$DIR/mail/tmp" "$DIR/outbox"
    cat > "$DIR/posko.toml" <<TOML
[desk]
name = "IT Helpdesk"
address = "helpdesk@corp.test"
[database]
url = "$URL"
[inbound]
kind = "maildir"
path = "$DIR/mail"
[outbound]
kind = "file"
path = "$DIR/outbox"
[web]
listen = "127.0.0.1:$PORT"
posts_per_minute = 0
[[staff]]
name = "Siti Rahma"
email = "siti@corp.test"
handle = "siti"
level = 1
TOML
    "$POSKO" --config "$DIR/posko.toml" migrate >/dev/null
    SQL="INSERT INTO tickets (id, subject, status, requester, created_at, updated_at, resolved_at)
           VALUES (1, 'Internet lambat', 'resolved', 'alice@corp.test', $NOW, $NOW, $NOW);
         INSERT INTO surveys (ticket_id, token_hash, state, language, sent_at, expires_at)
           VALUES (1, '$HASH', 'open', 'id', $NOW, $((NOW + 86400)));"
    case $db in
        sqlite) python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()" "$DIR/posko.db" "$SQL" ;;
        postgres) psql "${PG%/*}/$PGDB" -qc "$SQL" >/dev/null ;;
    esac
    RUST_LOG=warn "$POSKO" --config "$DIR/posko.toml" run 2>"$DIR/daemon.log" &
    DAEMON=$!
    for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
    echo "== $db: GET /s/TOKEN ($CONNS connections, $DURATION)"
    wrk -t2 -c"$CONNS" -d"$DURATION" --latency "http://127.0.0.1:$PORT/s/$TOKEN?r=4" | sed -n '/Latency Distribution/,$p'
    echo "== $db: POST /s/TOKEN ($CONNS connections, $DURATION)"
    wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s "$DIR/post.lua" "http://127.0.0.1:$PORT/s/$TOKEN" | sed -n '/Latency Distribution/,$p'
    kill -TERM "$DAEMON"; wait "$DAEMON" 2>/dev/null || true; DAEMON=
    rm -rf "$DIR/mail" "$DIR/outbox" "$DIR"/posko.db*
    if [ "$db" = postgres ]; then psql "$PG" -qc "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" >/dev/null; PGDB=; fi
done
