#!/usr/bin/env bash
# Fuzzes posko's pure path with cargo-fuzz (libFuzzer) on the stable toolchain.
#
#   bash scripts/fuzz.sh [message|commands|reply_trim|html|all] [seconds]
#
# Defaults: all targets, 600 s each, one after the other, one job each (the
# machine has two cores). Installs cargo-fuzz when missing, seeds each
# target's corpus from ../shared/corpus ($POSKO_CORPUS) and fuzz/seeds/, runs
# in libFuzzer's fork mode (a crash, timeout or OOM is saved and fuzzing goes
# on), and prints per target: executions, exec/s, coverage (edges and
# features), corpus size, and every crash with its path. Exits 1 when a run
# found something. Not part of scripts/test.sh.
#
# cargo-fuzz builds with `--sanitizer none`: the -Z flags of the sanitizers
# need nightly, libFuzzer and the coverage instrumentation do not. The code
# under test is safe Rust; what the fuzzer looks for is panics, broken
# invariants (fuzz/harness.rs), timeouts and memory blow-ups.
#
# A crash becomes a regression test: minimise it (the command is printed),
# copy the result to tests/fixtures/fuzz/<target>/<name>.bin, and
# tests/fuzz_regressions.rs runs it through the same checks in `cargo test`.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fuzz="$repo/fuzz"
corpus_src="${POSKO_CORPUS:-$repo/../shared/corpus}"
all=(message commands reply_trim html)

which="${1:-all}"
seconds="${2:-600}"
case "$which" in
all) targets=("${all[@]}") ;;
message | commands | reply_trim | html) targets=("$which") ;;
*)
    echo "usage: $0 [message|commands|reply_trim|html|all] [seconds]" >&2
    exit 64
    ;;
esac
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "seconds must be a number: $seconds" >&2; exit 64; }
[ -d "$corpus_src" ] || { echo "no corpus at $corpus_src (set POSKO_CORPUS)" >&2; exit 66; }

# cargo-fuzz, once.
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

# Longest input libFuzzer makes, per target.
max_len() {
    case "$1" in
    message | html) echo 65536 ;;
    reply_trim) echo 16384 ;;
    commands) echo 4096 ;;
    esac
}

# Copies files (NUL-separated names on stdin) into $1 under their content's
# SHA-1, as libFuzzer names its own, so equal files from different
# corpora land once.
copy_in() {
    local dir="$1" f sum
    while IFS= read -r -d '' f; do
        sum="$(sha1sum <"$f")"
        cp "$f" "$dir/${sum%% *}"
    done
}

# The target's corpus: what earlier runs found, our seeds, the crash
# regressions, and the shared corpus's files of the kind it reads.
seed() {
    local t="$1" dir="$fuzz/corpus/$1"
    mkdir -p "$dir" "$fuzz/artifacts/$t" "$fuzz/logs"
    local own
    for own in "$fuzz/seeds/$t" "$repo/tests/fixtures/fuzz/$t"; do
        [ -d "$own" ] && find "$own" -type f -print0 | copy_in "$dir"
    done
    case "$t" in
    message)
        find "$corpus_src" -type f \( -name '*.eml' -o -name '*.box' \) -print0 | copy_in "$dir"
        ;;
    commands | reply_trim)
        find "$corpus_src/discourse-reply-trimmer/test/emails" -type f -name '*.txt' -print0 | copy_in "$dir"
        ;;
    html)
        # The HTML parts of the corpus's mail, decoded.
        python3 - "$corpus_src" "$dir" <<'EOF'
import email, email.policy, hashlib, pathlib, sys
src, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
for f in list(src.rglob("*.eml")) + list(src.rglob("*.box")):
    try:
        msg = email.message_from_bytes(f.read_bytes(), policy=email.policy.compat32)
        for part in msg.walk():
            if part.get_content_type() == "text/html":
                body = part.get_payload(decode=True)
                if body:
                    (out / hashlib.sha1(body).hexdigest()).write_bytes(body)
    except Exception:
        pass
EOF
        ;;
    esac
}

status=0
summary=()
for t in "${targets[@]}"; do
    seed "$t"
    log="$fuzz/logs/$t.log"
    marker="$(mktemp)"
    echo "== $t: $(find "$fuzz/corpus/$t" -type f | wc -l) seed inputs, ${seconds}s (log: $log)"
    (
        cd "$fuzz"
        cargo fuzz run --sanitizer none "$t" "corpus/$t" -- \
            -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
            -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
            -max_len="$(max_len "$t")" -dict="$fuzz/posko.dict" \
            -print_final_stats=1
    ) >"$log" 2>&1 || true
    # Fork mode prints "#<execs>: cov: <edges> ft: <features> corp: <n>
    # exec/s: <n> oom/timeout/crash: <a>/<b>/<c> time: <s>s ...".
    last="$(grep -E '^#[0-9]+: cov:' "$log" | tail -n 1 || true)"
    if [ -z "$last" ]; then
        echo "$t: the fuzzer did not run; see $log" >&2
        tail -n 20 "$log" >&2
        status=1
        continue
    fi
    read -r execs edges features corp rate problems elapsed < <(
        echo "$last" | sed -E 's/^#([0-9]+): cov: ([0-9]+) ft: ([0-9]+) corp: ([0-9]+) exec\/s: ([0-9]+) oom\/timeout\/crash: ([0-9/]+) time: ([0-9]+)s.*/\1 \2 \3 \4 \5 \6 \7/'
    )
    found="$(find "$fuzz/artifacts/$t" -type f -newer "$marker" | sort)"
    rm -f "$marker"
    line="$t: ${elapsed}s, $execs executions, $rate exec/s, coverage $edges edges / $features features, corpus $corp inputs, oom/timeout/crash $problems"
    summary+=("$line")
    echo "$line"
    if [ -n "$found" ]; then
        status=1
        echo "$t: found (minimise with: cd fuzz && cargo fuzz tmin --sanitizer none $t <file>):"
        while IFS= read -r f; do
            echo "  $f"
            # A crash's panic, to tell new faults from known ones at a glance.
            if [[ "$(basename "$f")" == crash-* ]]; then
                "$fuzz/target/x86_64-unknown-linux-gnu/release/$t" "$f" 2>&1 |
                    grep -A1 -m1 'panicked at' | sed 's/^/    /' | cut -c1-300 || true
            fi
        done <<<"$found"
    fi
done

echo
echo "== summary"
printf '%s\n' "${summary[@]}"
exit "$status"
