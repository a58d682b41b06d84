#!/usr/bin/env bash
# The house stays readable: no non-test Rust source file over 600 lines, and
# the median under 250 (issue 10). Test files (`tests.rs`, anything under a
# `tests/` folder, the fuzz targets) are not counted; a module's inline
# tests are, so long tests move to a `tests.rs` of their own.
# Prints the largest files and the median; exits 1 when a limit is passed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

MAX=${LAYOUT_MAX_LINES:-600}
MEDIAN_MAX=${LAYOUT_MEDIAN_MAX:-250}

mapfile -t files < <(find src core/src bench/src -name '*.rs' 2>/dev/null \
    | grep -v -e '/tests/' -e '/tests\.rs$' -e '_tests\.rs$' | sort)
if [ "${#files[@]}" -eq 0 ]; then
    echo "layout: no source files found" >&2
    exit 1
fi

counts=$(for f in "${files[@]}"; do printf '%d %s\n' "$(wc -l < "$f")" "$f"; done | sort -n)
n=$(wc -l <<<"$counts")
median=$(awk '{print $1}' <<<"$counts" | awk -v n="$n" 'NR == int((n + 1) / 2) {print}')
echo "layout: $n source files, median $median lines; largest:"
tail -5 <<<"$counts" | sed 's/^/  /'

status=0
over=$(awk -v max="$MAX" '$1 > max' <<<"$counts")
if [ -n "$over" ]; then
    echo "layout: files over $MAX lines (split them by what they hold):" >&2
    sed 's/^/  /' <<<"$over" >&2
    status=1
fi
if [ "$median" -ge "$MEDIAN_MAX" ]; then
    echo "layout: median $median lines, limit $MEDIAN_MAX" >&2
    status=1
fi
exit $status
