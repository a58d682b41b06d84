#!/usr/bin/env bash
# Old and new side by side (issue 14, story 4): Maildir → PostgreSQL with
# `posko-bench maildir`, each run on a fresh database, the two builds taking
# turns, with the server's CPU per message (user + system time of the bench
# database's backends, read from /proc while they live); then
# `posko-bench once` (the whole `run --once` pass) on SQLite and on
# PostgreSQL (skipped with ONCE=0). Prints figures; not a test.
#
#   bash scripts/pg_bench.sh OLD_RELEASE_DIR NEW_RELEASE_DIR [ROUNDS] [COUNT]
#
# Each directory holds `posko` and `posko-bench` (e.g. target/release).
# POSKO_TEST_PG names the server (a database is made per run and dropped);
# the CPU figure needs the server's /proc (same machine, root or its user).
set -euo pipefail
old=${1:?old release dir}
new=${2:?new release dir}
rounds=${3:-3}
count=${4:-5000}
admin=${POSKO_TEST_PG:-postgres://postgres@127.0.0.1:5432/test}
base=${admin%/*}
tick=$(getconf CLK_TCK)

# Samples the CPU ticks of database $1's backends every 0.2 s until the
# file $2 exists, then prints their sum in ms (a backend's last 0.2 s
# before it exits may be missed).
backend_cpu() {
    local db=$1 stop=$2
    declare -A last=()
    while :; do
        for pid in $(psql "$admin" -Atc "SELECT pid FROM pg_stat_activity WHERE datname = '$db'" 2>/dev/null); do
            # Fields 14 and 15 of stat: utime, stime (after the command in parentheses).
            if read -r -a f < <(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null); then
                last[$pid]=$((f[11] + f[12]))
            fi
        done
        [ -e "$stop" ] && break
        sleep 0.2
    done
    local sum=0
    for v in "${last[@]}"; do sum=$((sum + v)); done
    echo $((sum * 1000 / tick))
}

for r in $(seq "$rounds"); do
    for side in old new; do
        dir=$old
        [ "$side" = new ] && dir=$new
        db="posko_pgbench_$$_${side}_$r"
        stop=$(mktemp -u)
        psql "$admin" -qc "CREATE DATABASE $db"
        backend_cpu "$db" "$stop" >"$stop.cpu" &
        sampler=$!
        line=$("$dir/posko-bench" maildir --count "$count" --db "$base/$db" 2>/dev/null | sed -n 1p)
        touch "$stop"
        wait "$sampler"
        ms=$(cat "$stop.cpu")
        rm -f "$stop" "$stop.cpu"
        rate=$(sed -n 's/.* = \([0-9]*\) msg\/s.*/\1/p' <<<"$line")
        echo "round $r $side: ${rate:-?} msg/s; server CPU $(awk -v ms="$ms" -v n="$count" 'BEGIN { printf "%.3f", ms / n }') ms/msg"
        psql "$admin" -qc "DROP DATABASE $db WITH (FORCE)"
    done
done

[ "${ONCE:-1}" = 0 ] && exit 0
# The once bench is in the new posko-bench only; it runs both binaries.
"$new/posko-bench" once --posko "$old/posko" --label old --posko "$new/posko" --label new \
    --count 2000 --rounds "$rounds"
"$new/posko-bench" once --posko "$old/posko" --label old --posko "$new/posko" --label new \
    --count 2000 --rounds "$rounds" --db "$admin"
