#!/usr/bin/env bash
# Hostile-message benchmark: time and peak memory of one message of each
# shape (80-character text lines, HTML only, a single line; 1, 10 and 40 MB)
# and of 100,000 nested <div>s, through `posko run --once`, for this tree's
# posko and, side by side, an older one.
#
#   bash scripts/hostile_bench.sh                 # this tree only
#   OLD_REV=2169bac bash scripts/hostile_bench.sh # and the revision before issue 9
#   OLD_BIN=/path/to/posko bash scripts/hostile_bench.sh
#
# OLD_REV is exported with `git archive` and built in release mode into the
# same target directory (the dependencies are shared, only posko is built
# again). SIZES (default 1,10,40), TIMEOUT (seconds per run, default 180)
# and MEM_LIMIT_MB (address space per run, default 6144) tune the runs: the
# old binary needs minutes and gigabytes for some cases and is stopped
# there. Not part of the test suite: it prints figures.
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$(pwd)
TARGET="${CARGO_TARGET_DIR:-$repo/target}"
SIZES=${SIZES:-1,10,40}
TIMEOUT=${TIMEOUT:-180}
MEM_LIMIT_MB=${MEM_LIMIT_MB:-6144}

echo "== building (release)"
cargo build --release --locked -p posko --bin posko -p posko-bench
mkdir -p "$TARGET/hostile"
cp "$TARGET/release/posko" "$TARGET/hostile/posko-new"

args=()
if [ -n "${OLD_REV:-}" ]; then
    src=$(mktemp -d /tmp/posko-old-src.XXXXXX)
    trap 'rm -rf "$src"' EXIT
    git archive "$OLD_REV" | tar -x -C "$src"
    echo "== building $OLD_REV (release)"
    (cd "$src" && CARGO_TARGET_DIR="$TARGET" cargo build --release --locked --bin posko)
    cp "$TARGET/release/posko" "$TARGET/hostile/posko-old"
    # Leave target/release/posko as this tree's build.
    cp "$TARGET/hostile/posko-new" "$TARGET/release/posko"
    OLD_BIN="$TARGET/hostile/posko-old"
fi
if [ -n "${OLD_BIN:-}" ]; then
    args+=(--posko "$OLD_BIN" --label old)
fi
args+=(--posko "$TARGET/hostile/posko-new" --label new)

echo "== machine: $(nproc) cores, $(uname -r)"
"$TARGET/release/posko-bench" hostile "${args[@]}" --sizes "$SIZES" \
    --timeout "$TIMEOUT" --mem-limit-mb "$MEM_LIMIT_MB"
