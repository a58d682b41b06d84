#!/usr/bin/env bash
# Old and new side by side (issue 14, story 4): Maildir → PostgreSQL with
# `posko-bench maildir`, each run on a fresh database, the two builds taking
# turns; then `posko-bench once` (the whole `run --once` pass) on SQLite and
# on PostgreSQL. Prints figures; not a test.
#
#   bash scripts/pg_bench.sh OLD_RELEASE_DIR NEW_RELEASE_DIR [ROUNDS] [COUNT]
#
# Each directory holds `posko` and `posko-bench` (e.g. target/release).
# POSKO_TEST_PG names the server (a database is made per run and dropped).
set -euo pipefail
old=${1:?old release dir}
new=${2:?new release dir}
rounds=${3:-3}
count=${4:-5000}
admin=${POSKO_TEST_PG:-postgres://postgres@127.0.0.1:5432/test}
base=${admin%/*}

for r in $(seq "$rounds"); do
    for side in old new; do
        dir=$old
        [ "$side" = new ] && dir=$new
        db="posko_pgbench_$$_${side}_$r"
        psql "$admin" -qc "CREATE DATABASE $db"
        echo -n "round $r $side: "
        "$dir/posko-bench" maildir --count "$count" --db "$base/$db" 2>/dev/null | sed -n 1p   # not head: under pipefail its early exit would end the script
        psql "$admin" -qc "DROP DATABASE $db WITH (FORCE)"
    done
done

# The once bench is in the new posko-bench only; it runs both binaries.
"$new/posko-bench" once --posko "$old/posko" --label old --posko "$new/posko" --label new \
    --count 2000 --rounds "$rounds"
"$new/posko-bench" once --posko "$old/posko" --label old --posko "$new/posko" --label new \
    --count 2000 --rounds "$rounds" --db "$admin"
