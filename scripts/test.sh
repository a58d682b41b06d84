#!/usr/bin/env bash
# The project's one test command: formatting, lints, then the whole suite.
# Sets up what it needs first (scripts/setup.sh: Debian packages, PostgreSQL).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

# Install and start what the suite needs (fast when it is all there).
bash scripts/setup.sh

# Golden corpus (shared checkout beside the repo) and a PostgreSQL for the
# store tests; override either from the environment.
export POSKO_CORPUS="${POSKO_CORPUS:-$repo/../shared/corpus}"
export POSKO_TEST_PG="${POSKO_TEST_PG:-postgres://postgres@127.0.0.1:5432/test}"

cargo fmt --all -- --check

# The pure cores (core/, crate posko-core) build without an async runtime,
# a database driver or a mail transport: the arrows point into them only.
forbidden='^(tokio|sqlx[a-z-]*|lettre|async-imap|axum|hyper) '
if cargo tree --locked -p posko-core --edges normal,build --prefix none --format '{p}' \
    | grep -E "$forbidden"; then
    echo "posko-core must not depend on the crates listed above" >&2
    exit 1
fi

# No source file over 600 lines, the median under 250 (issue 10).
bash scripts/layout_check.sh

cargo clippy --locked --workspace --all-targets -- -D warnings
cargo test --locked --workspace
