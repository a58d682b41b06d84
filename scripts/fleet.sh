#!/usr/bin/env bash
# Issue 14, story 5 at full size, by hand (not in scripts/test.sh): the
# fleet test (tests/it/fleet.rs) with MAILS mails (default 1,000) in one
# IMAP mailbox on one PostgreSQL database, repeated ROUNDS times:
#   - throughput: every mail waiting, then 1 daemon, then 3 daemons, until
#     every ticket is made and every acknowledgment sent (msg/s);
#   - the story itself: mail arriving while 3 daemons run, SLA notices,
#     the reader killed with SIGKILL and replaced within its lease.
# Each run prints a FLEET line and what each instance did.
#
#   bash scripts/fleet.sh [ROUNDS]           # release build of this tree
#   MAILS=2000 bash scripts/fleet.sh 5
#   OLD_BIN=/work/baseline/target/release/posko bash scripts/fleet.sh
#       # also the throughput runs with that (pre-lease) binary
# Needs what the suite needs (scripts/setup.sh: Dovecot, the SMTP sink,
# PostgreSQL at POSKO_TEST_PG).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ROUNDS=${1:-3}
MAILS=${MAILS:-1000}
export POSKO_TEST_PG=${POSKO_TEST_PG:-postgres://postgres@127.0.0.1:5432/test}
export POSKO_CORPUS=${POSKO_CORPUS:-../shared/corpus}

cargo build --locked --release --bin posko
NEW_BIN=${POSKO_TEST_BIN:-$PWD/target/release/posko}
cargo test --locked --test it --no-run

run() { # label bin env...
    local label=$1 bin=$2
    shift 2
    echo "== $label"
    env POSKO_TEST_BIN="$bin" POSKO_FLEET_MAILS="$MAILS" "$@" \
        cargo test --locked --test it fleet::instances -- --nocapture 2>&1 \
        | grep -E -A4 '^FLEET|panicked|FAILED' || true
}

for r in $(seq 1 "$ROUNDS"); do
    echo "### round $r $(date -u +%H:%M:%S)"
    for n in 1 3; do
        run "new, $n instance(s), preloaded" "$NEW_BIN" \
            POSKO_FLEET_INSTANCES=$n POSKO_FLEET_PRELOAD=1 POSKO_FLEET_SLA=0
        if [ -n "${OLD_BIN:-}" ]; then
            run "old, $n instance(s), preloaded" "$OLD_BIN" \
                POSKO_FLEET_INSTANCES=$n POSKO_FLEET_PRELOAD=1 POSKO_FLEET_SLA=0 POSKO_FLEET_OLD=1
        fi
    done
    run "new, 3 instances, arriving mail, SLA notices, the reader killed" "$NEW_BIN" \
        POSKO_FLEET_INSTANCES=3
done
