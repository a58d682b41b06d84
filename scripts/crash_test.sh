#!/usr/bin/env bash
# Issue 14, story 6 at full size, by hand (not in scripts/test.sh): the
# crash tests (tests/it/crash.rs) with MAILS mails (default 5,000, replies
# included) and ROUNDS kill -9 rounds each (default 200), repeated REPEAT
# times: Maildir on SQLite and PostgreSQL, IMAP on PostgreSQL, each compared
# with an uninterrupted run; then Dovecot, the SMTP sink and a private
# PostgreSQL restarted mid-run. Prints each test's CRASH line.
#
#   bash scripts/crash_test.sh                       # release build of this tree
#   MAILS=1000 ROUNDS=50 REPEAT=3 bash scripts/crash_test.sh
#   MAX_MS=3000   # kill moments: uniformly random up to this after each start
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

MAILS=${MAILS:-5000}
ROUNDS=${ROUNDS:-200}
REPEAT=${REPEAT:-1}
MAX_MS=${MAX_MS:-2000}
export POSKO_TEST_PG=${POSKO_TEST_PG:-postgres://postgres@127.0.0.1:5432/test}
export POSKO_CORPUS=${POSKO_CORPUS:-../shared/corpus}

cargo build --locked --release --bin posko
export POSKO_TEST_BIN=${POSKO_TEST_BIN:-$PWD/target/release/posko}
cargo test --locked --test it --no-run

export POSKO_CRASH_MAILS=$MAILS POSKO_CRASH_IMAP_MAILS=$MAILS POSKO_CRASH_RESTART_MAILS=$MAILS
export POSKO_CRASH_ROUNDS=$ROUNDS POSKO_CRASH_MAX_MS=$MAX_MS
status=0
for r in $(seq 1 "$REPEAT"); do
    for t in kill_nine_during_maildir_intake::sqlite kill_nine_during_maildir_intake::postgres \
             kill_nine_during_imap_intake servers_restart_mid_run; do
        echo "== $t (repeat $r, $(date -u +%H:%M:%S))"
        start=$(date +%s)
        if ! cargo test --locked --test it "crash::$t" -- --exact --nocapture >/tmp/crash_test.$$.log 2>&1; then
            status=1
            grep -E -B2 -A30 'panicked' /tmp/crash_test.$$.log | head -60
        fi
        grep -E '^CRASH' /tmp/crash_test.$$.log || true
        echo "   $(( $(date +%s) - start )) s"
    done
done
rm -f /tmp/crash_test.$$.log
exit $status
