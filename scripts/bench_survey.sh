#!/usr/bin/env bash
# The survey page under load (issue 11): wrk from a second process on
# loopback, 200 connections, with the database on SQLite and on
# PostgreSQL. Not part of the test suite.
#
#   bash scripts/bench_survey.sh                       # build, both databases
#   POSKO_BIN=target/release/posko POSKO_OLD=/work/baseline/target/release/posko \
#     ROUNDS=3 bash scripts/bench_survey.sh            # old and new, alternating
#   DBS=sqlite DURATION=10s MODES=get bash scripts/bench_survey.sh
#   POSTS_PER_MINUTE=1000000000 MODES=answer ...        # the rate limiter on
#
# Each run starts the daemon on a fresh database holding $SURVEYS resolved
# tickets, each with an open survey whose token the script knows and whose
# reminder is due in three days (as `remind_after`'s default leaves a new
# survey), and $ANSWERED more whose survey is already answered, and
# measures in turn
# (MODES, default all three):
#   get     GET /s/TOKEN?r=4, the open surveys' tokens taken in turn
#           (reads only);
#   answer  POST a full form to /s/TOKEN, each open survey's token once:
#           only real answers (claim, event, commit). $SURVEYS defaults to
#           30,000 per second of $DURATION, more than a run answers; were
#           they used up, the tokens would come round again and be
#           refused 409, and the line says so ("POOL USED UP");
#   again   POST to the answered surveys' tokens: only refusals (409).
# A summary line per measurement: database, binary, mode, requests/s,
# p50, p99, non-2xx answers, and the daemon's CPU time (user + system,
# from /proc) per request: a figure the machine's load changes less. With POSKO_OLD the two binaries run
# alternately in each round, so both see the same machine.
#
# CALLGRIND=1 runs the daemon under valgrind's callgrind, counting only
# while wrk runs, and adds instructions per request (the daemon's own,
# SQLite's included, PostgreSQL's server not): a figure no load changes.
# Use few connections and a short run then (CONNS=10 DURATION=20s); the
# dumps stay in $CALLGRIND_DIR (default /tmp/posko-callgrind) for
# callgrind_annotate.
#
# Needs wrk (Debian package) and, for PostgreSQL, POSKO_TEST_PG (default
# postgres://postgres@127.0.0.1:5432/test; a database is made and dropped).
set -euo pipefail
cd "$(dirname "$0")/.."
DBS=${DBS:-"sqlite postgres"}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-200}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-1}
# Seconds in $DURATION (wrk's 10s, 2m, 1h).
secs=$(python3 -c 'import sys; d=sys.argv[1]; u={"s":1,"m":60,"h":3600}; print(int(float(d[:-1])*u[d[-1]]) if d[-1] in u else int(d))' "$DURATION")
SURVEYS=${SURVEYS:-$((30000 * secs))}
ANSWERED=${ANSWERED:-20000}
MODES=${MODES:-"get answer again"}
# The per-address limit on posts ([web] posts_per_minute); 0, off, as all
# of wrk's posts come from one address. A large figure keeps the limiter
# on without refusing, to measure what it costs.
POSTS_PER_MINUTE=${POSTS_PER_MINUTE:-0}
CALLGRIND=${CALLGRIND:-}
CALLGRIND_DIR=${CALLGRIND_DIR:-/tmp/posko-callgrind}
PG=${POSKO_TEST_PG:-postgres://postgres@127.0.0.1:5432/test}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk"; exit 1; }

if [ -n "${POSKO_BIN:-}" ]; then
    NEW=$POSKO_BIN
else
    echo "== building (release)"
    cargo build --release --locked -p posko
    NEW="${CARGO_TARGET_DIR:-target}/release/posko"
fi
BINS="new"
[ -n "${POSKO_OLD:-}" ] && BINS="old new"

DIR=$(mktemp -d /tmp/posko-bench-survey.XXXXXX)
DAEMON=
PGDB=
cleanup() {
    [ -n "$DAEMON" ] && kill -TERM "$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null || true
    [ -n "$PGDB" ] && psql "$PG" -qc "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$DIR"
}
trap cleanup EXIT

# The tokens (one a line) and the SQL that stores their surveys.
# The open surveys' tokens first, then the answered ones'.
python3 - "$DIR" "$SURVEYS" "$ANSWERED" <<'PY'
import hashlib, secrets, sys, time
d, n, m = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
now = int(time.time())
toks = [secrets.token_urlsafe(32)[:43] for _ in range(n + m)]
open(f"{d}/tokens", "w").write("\n".join(toks[:n]) + "\n")
open(f"{d}/answered", "w").write("\n".join(toks[n:]) + "\n")
with open(f"{d}/seed.sql", "w") as f:
    for lo in range(0, n + m, 500):
        part = range(lo, min(n + m, lo + 500))
        f.write("INSERT INTO tickets (id, subject, status, requester, created_at, updated_at, resolved_at) VALUES\n")
        f.write(",\n".join(f"({i + 1}, 'Internet lambat {i + 1}', 'resolved', 'alice@corp.test', {now}, {now}, {now})" for i in part) + ";\n")
        f.write("INSERT INTO surveys (ticket_id, token_hash, state, language, sent_at, expires_at, remind_at, answered_at, ratings, score) VALUES\n")
        f.write(",\n".join(f"({i + 1}, '{hashlib.sha256(toks[i].encode()).hexdigest()}', "
                           + (f"'open', 'id', {now}, {now + 86400}, {now + 3 * 86400}, NULL, NULL, NULL)" if i < n
                              else f"'answered', 'id', {now}, {now + 86400}, NULL, {now}, '{{\"overall\":4}}', 4)")
                           for i in part) + ";\n")
PY

FORM="reporting=5&speed=4&quality=5&fit=4&friendliness=5&information=4&timeliness=5&overall=4&facilities=5&service_fit=4&comment=cepat"
# Each wrk thread takes every THREADS-th token, starting at its own.
cat > "$DIR/tokens.lua" <<LUA
local tokens = {}
local next_id = 0
function setup(thread) thread:set("offset", next_id); next_id = next_id + 1 end
local n = 0
local function token()
    local t = tokens[((offset + n * $THREADS) % #tokens) + 1]
    n = n + 1
    return t
end
local mode = "get"
function init(args)
    mode = args[1] or "get"
    local file = mode == "again" and "$DIR/answered" or "$DIR/tokens"
    for line in io.lines(file) do tokens[#tokens + 1] = line end
end
local h = { ["Content-Type"] = "application/x-www-form-urlencoded" }
function request()
    if mode == "get" then return wrk.format("GET", "/s/" .. token() .. "?r=4") end
    return wrk.format("POST", "/s/" .. token(), h, "$FORM")
end
LUA

# wrk's figures as one line: req/s p50 p99 non-2xx, and CPU µs per
# request from the daemon's clock ticks ($1, at $2 a second).
summary() {
    awk -v ticks="$1" -v hz="$2" '/Requests\/sec/ {rps=$2} / 50%/ {p50=$2} / 99%/ {p99=$2}
         /requests in/ {n=$1} /Non-2xx/ {bad=$NF}
         END {printf "%10s req/s  p50 %8s  p99 %8s  non-2xx %s  cpu %6.0f us/req\n", rps, p50, p99, bad+0, (n ? ticks * 1e6 / hz / n : 0)}'
}

# The daemon's user + system clock ticks so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$DAEMON/stat"; }
# PostgreSQL: the ticks so far of the server's backends on the bench
# database (the daemon's pooled connections; not the shared background
# processes), for the server's CPU per request.
server_ticks() {
    local t=0 p
    for p in $(pgrep -f "postgres: .* $PGDB " || true); do
        t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
    done
    echo "$t"
}
HZ=$(getconf CLK_TCK)

start() { # db bin
    local db=$1 bin=$2
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    case $db in
        sqlite) URL="sqlite://$DIR/posko.db" ;;
        postgres)
            PGDB="posko_bench_$$"
            psql "$PG" -qc "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" >/dev/null
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
posts_per_minute = $POSTS_PER_MINUTE
[[staff]]
name = "Siti Rahma"
email = "siti@corp.test"
handle = "siti"
level = 1
TOML
    "$bin" --config "$DIR/posko.toml" migrate >/dev/null
    case $db in
        sqlite) python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(open(sys.argv[2]).read()); c.commit()" "$DIR/posko.db" "$DIR/seed.sql" ;;
        # ANALYZE, as autovacuum would on a desk's server (the test
        # server runs without it): with no statistics at all PostgreSQL
        # may plan the token lookup as a scan of every ticket.
        postgres) psql "$URL" -q -f "$DIR/seed.sql" >/dev/null; psql "$URL" -qc ANALYZE >/dev/null ;;
    esac
    if [ -n "$CALLGRIND" ]; then
        mkdir -p "$CALLGRIND_DIR"
        RUST_LOG=warn valgrind --tool=callgrind --instr-atstart=no \
            --callgrind-out-file="$CALLGRIND_DIR/callgrind.$db.$which.%p" \
            "$bin" --config "$DIR/posko.toml" run 2>"$DIR/daemon.log" &
    else
        RUST_LOG=warn "$bin" --config "$DIR/posko.toml" run 2>"$DIR/daemon.log" &
    fi
    DAEMON=$!
    for _ in $(seq 600); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
}

stop() { # db
    kill -TERM "$DAEMON"; wait "$DAEMON" 2>/dev/null || true; DAEMON=
    rm -rf "$DIR/mail" "$DIR/outbox" "$DIR"/posko.db*
    if [ "$1" = postgres ]; then psql "$PG" -qc "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" >/dev/null; PGDB=; fi
}

echo "== $CONNS connections, $THREADS wrk threads, $DURATION each, $SURVEYS open surveys and $ANSWERED answered; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
    for db in $DBS; do
        for which in $BINS; do
            if [ "$which" = old ]; then bin=$POSKO_OLD; else bin=$NEW; fi
            start "$db" "$bin"
            for mode in $MODES; do
                printf "round %s %-8s %-3s %-6s" "$round" "$db" "$which" "$mode"
                [ -n "$CALLGRIND" ] && callgrind_control -i on "$DAEMON" >/dev/null 2>&1 && callgrind_control -z "$DAEMON" >/dev/null 2>&1
                before=$(cpu_ticks)
                [ "$db" = postgres ] && server_before=$(server_ticks)
                wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$DIR/tokens.lua" \
                    "http://127.0.0.1:$PORT" -- "$mode" 2>&1 | sed "s/^/  /" > "$DIR/wrk.out" || true
                summary $(($(cpu_ticks) - before)) "$HZ" < "$DIR/wrk.out"
                if [ "$db" = postgres ]; then
                    awk -v ticks=$(($(server_ticks) - server_before)) -v hz="$HZ" '/requests in/ {n=$1}
                        END {printf "    server cpu %.0f us/req (the bench database'"'"'s backends)\n", n ? ticks * 1e6 / hz / n : 0}' "$DIR/wrk.out"
                fi
                if [ "$mode" = answer ] && grep -q Non-2xx "$DIR/wrk.out"; then
                    echo "    POOL USED UP: some answers were refusals; raise SURVEYS"
                fi
                if [ -n "$CALLGRIND" ]; then
                    callgrind_control -d "$mode" "$DAEMON" >/dev/null 2>&1
                    callgrind_control -i off "$DAEMON" >/dev/null 2>&1
                    n=$(awk '/requests in/ {print $1}' "$DIR/wrk.out")
                    last=$(ls -t "$CALLGRIND_DIR"/callgrind."$db"."$which".* | head -1)
                    awk -v n="$n" '/^summary:|^totals:/ {ir=$2} END {printf "    callgrind: %d requests, %.0f instructions per request (%s)\n", n, ir / n, FILENAME}' "$last"
                fi
            done
            stop "$db"
        done
    done
done
