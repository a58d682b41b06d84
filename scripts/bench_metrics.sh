#!/usr/bin/env bash
# /metrics under load: wrk's latency (p50, p99) and requests per second at
# several connection counts, for one posko binary or two side by side.
#
#   bash scripts/bench_metrics.sh [NEW_BIN [OLD_BIN]]
#
# NEW_BIN defaults to target/release/posko (built when missing); with
# OLD_BIN (e.g. a release build of main) the two run alternately, one
# daemon at a time, ROUNDS times per connection count, so that the
# machine's drift falls on both. Each daemon is a fresh desk (SQLite,
# Maildir, files out) on its own loopback port; wrk runs THREADS threads
# for DURATION after a short warm-up. Installs wrk (Debian) when missing.
# Not part of the test suite: it prints figures, it does not pass or fail.
#
#   CONNS="50 200" ROUNDS=3 DURATION=10s THREADS=2 PATHS=/metrics
set -euo pipefail

cd "$(dirname "$0")/.."
CONNS=${CONNS:-"50 200"}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
PATHS=${PATHS:-/metrics}

new=${1:-target/release/posko}
old=${2:-}
if [ ! -x "$new" ] && [ "$new" = target/release/posko ]; then
    echo "== building (release)"
    cargo build --release --locked -p posko --bin posko
fi
for b in "$new" $old; do
    [ -x "$b" ] || { echo "bench_metrics: $b is not an executable" >&2; exit 1; }
done
# The daemons run in their own directories.
new=$(realpath "$new")
[ -z "$old" ] || old=$(realpath "$old")
if ! command -v wrk >/dev/null; then
    echo "== installing wrk"
    apt-get install -y --no-install-recommends wrk >/dev/null ||
        { apt-get update >/dev/null && apt-get install -y --no-install-recommends wrk >/dev/null; }
fi

DIR=$(mktemp -d /tmp/posko-bench-metrics.XXXXXX)
PID=
stop() {
    if [ -n "$PID" ]; then
        kill -TERM "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
        PID=
    fi
}
cleanup() { stop; rm -rf "$DIR"; }
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start NAME BIN: a daemon in $DIR/NAME; sets PID and PORT.
start() {
    local d="$DIR/$1"
    rm -rf "$d"
    mkdir -p "$d/mail/new" "$d/mail/cur" "$d/mail/tmp"
    PORT=$(free_port)
    cat >"$d/posko.toml" <<TOML
[desk]
name = "IT Helpdesk"
address = "helpdesk@corp.test"
[database]
url = "sqlite://$d/posko.db"
[inbound]
kind = "maildir"
path = "$d/mail"
[outbound]
kind = "file"
path = "$d/outbox"
[web]
listen = "127.0.0.1:$PORT"
[[staff]]
name = "Siti Rahma"
email = "siti@corp.test"
handle = "siti"
level = 1
TOML
    # A few tickets, so the counters have something in them.
    for i in 1 2 3; do
        printf 'From: alice@corp.test\r\nTo: helpdesk@corp.test\r\nSubject: Printer %s\r\nMessage-ID: <bench-%s@corp.test>\r\n\r\nMacet.\r\n' \
            "$i" "$i" >"$d/mail/new/$i.bench"
    done
    (cd "$d" && RUST_LOG=warn exec "$2" --config "$d/posko.toml" run) 2>"$d/daemon.log" &
    PID=$!
    for _ in $(seq 1 100); do
        if curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; then
            return
        fi
        sleep 0.1
    done
    echo "bench_metrics: $2 did not get ready:" >&2
    cat "$d/daemon.log" >&2
    exit 1
}

# to_ms "12.34ms" | "1.20s" | "850.00us" → milliseconds
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000
        printf "%.2f", n }'
}

printf '%-6s %-5s %-8s %-9s %10s %10s %10s %8s\n' round conns build path "p50 ms" "p99 ms" "req/s" errors
for round in $(seq 1 "$ROUNDS"); do
    for c in $CONNS; do
        for which in new old; do
            bin=$new
            if [ "$which" = old ]; then
                [ -n "$old" ] || continue
                bin=$old
            fi
            start "$which" "$bin"
            for path in $PATHS; do
                url="http://127.0.0.1:$PORT$path"
                wrk -t"$THREADS" -c"$c" -d2s "$url" >/dev/null 2>&1 || true
                out=$(wrk -t"$THREADS" -c"$c" -d"$DURATION" --timeout 10s --latency "$url")
                p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
                p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
                rps=$(awk '$1 == "Requests/sec:" {print $2}' <<<"$out")
                errs=$(awk '/Socket errors|Non-2xx/ {gsub(/[^0-9 ]/, " "); for (i = 1; i <= NF; i++) s += $i} END {print s + 0}' <<<"$out")
                printf '%-6s %-5s %-8s %-9s %10s %10s %10s %8s\n' "$round" "$c" "$which" "$path" \
                    "$(to_ms "$p50")" "$(to_ms "$p99")" "$rps" "$errs"
            done
            stop
        done
    done
done
