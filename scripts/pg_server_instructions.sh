#!/usr/bin/env bash
# The PostgreSQL server's instructions per message of the Maildir ingest
# (issue 14, story 4), old and new build side by side: a figure the load of
# the machine does not move, where `scripts/pg_bench.sh`'s CPU time does
# (other work on the cores slows every instruction). A private server of
# its own is started under valgrind's callgrind (each backend writes its
# count when it exits), `posko-bench maildir` runs against a fresh database
# of it per run, and the counts of that database's backends are summed
# (the migration's connection included, the same for both builds).
# Callgrind runs the server ~50 times slower: 1,000 messages take minutes.
# Prints figures; not a test.
#
#   bash scripts/pg_server_instructions.sh OLD_RELEASE_DIR NEW_RELEASE_DIR [ROUNDS] [COUNT]
#
# Needs valgrind and PostgreSQL's server binaries (PG_BIN, default the
# Debian path of 15); run as root, the server runs as the `postgres` user.
# The server keeps PostgreSQL's defaults but autovacuum, which is off so
# that no ANALYZE lands in the middle of one run and not the other.
set -euo pipefail
old=${1:?old release dir}
new=${2:?new release dir}
rounds=${3:-1}
count=${4:-1000}
pg_bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
port=${PORT:-55439}
dir=$(mktemp -d /tmp/pg-instructions-XXXX)
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -c "$1"; else bash -c "$1"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$dir"
as_pg "$pg_bin/initdb -D $dir/data -A trust -U postgres >$dir/initdb.log"
cat >>"$dir/data/postgresql.conf" <<EOF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
autovacuum = off
EOF
mkdir "$dir/cg"
[ "$(id -u)" = 0 ] && chown postgres "$dir/cg"
as_pg "nohup valgrind --tool=callgrind --callgrind-out-file=$dir/cg/%p \
    $pg_bin/postgres -D $dir/data >$dir/server.log 2>&1 &"
url=postgres://postgres@127.0.0.1:$port
stop() {
    as_pg "$pg_bin/pg_ctl -D $dir/data -m fast stop" >/dev/null || true
    rm -rf "$dir"
}
trap stop EXIT
for _ in $(seq 120); do psql "$url/postgres" -Atc 'SELECT 1' >/dev/null 2>&1 && break; sleep 1; done

for r in $(seq "$rounds"); do
    for side in old new; do
        bin=$old
        [ "$side" = new ] && bin=$new
        db="instructions_${side}_$r"
        psql "$url/postgres" -qc "CREATE DATABASE $db"
        export TMPDIR=$dir
        "$bin/posko-bench" maildir --count "$count" --db "$url/$db" >"$dir/out" 2>&1 &
        bench=$!
        : >"$dir/pids"
        while kill -0 "$bench" 2>/dev/null; do
            psql "$url/postgres" -Atc "SELECT pid FROM pg_stat_activity WHERE datname = '$db'" \
                >>"$dir/pids" 2>/dev/null || true
            sleep 0.5
        done
        wait "$bench"
        sum=0
        for pid in $(sort -un "$dir/pids"); do
            # A backend writes its file when it exits.
            for _ in $(seq 60); do grep -qs '^totals:' "$dir/cg/$pid" && break; sleep 1; done
            sum=$((sum + $(awk '/^totals:/ { print $2 }' "$dir/cg/$pid")))
        done
        echo "round $r $side: server $((sum / count)) instructions per message ($count messages)"
        psql "$url/postgres" -qc "DROP DATABASE $db"
    done
done
