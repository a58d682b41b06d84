#!/usr/bin/env bash
# Builds the Debian package: target/debian/posko_<version>_<arch>.deb.
#
#   bash scripts/package.sh [--no-build] [--profile P] [cargo-deb options,
#                           e.g. --deb-version 0.1.0-2]
#
# Builds the release binary (unless --no-build: the one in target/release is
# packaged as it is; --profile dev packages target/debug/posko instead, e.g.
# the one the test suite built, for a quicker package test), writes the
# packaged configuration (the shipped config/posko.toml with the paths of a
# system install), and runs cargo-deb (installed with
# `cargo install --locked cargo-deb` when missing). What goes where is
# `[package.metadata.deb]` in Cargo.toml; the unit and maintainer scripts
# are in packaging/debian/. Prints the path of the .deb.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

build=1
profile=release
deb_args=()
while [ $# -gt 0 ]; do
    case "$1" in
    --no-build) build=0 ;;
    --profile)
        profile="$2"
        shift
        ;;
    *) deb_args+=("$1") ;;
    esac
    shift
done
case "$profile" in
dev) bin=target/debug/posko ;;
*) bin="target/$profile/posko" ;;
esac

if ! cargo deb --version >/dev/null 2>&1; then
    echo "package.sh: installing cargo-deb" >&2
    cargo install --locked cargo-deb --version 3.8.0 >&2
fi

if [ "$build" = 1 ]; then
    cargo build --profile "$profile" --locked -p posko --bin posko >&2
fi
if [ ! -x "$bin" ]; then
    echo "package.sh: $bin is missing (run without --no-build)" >&2
    exit 1
fi

# /etc/posko/posko.toml: the shipped configuration, its relative paths made
# absolute. Each replacement must happen exactly once, so a change of the
# shipped defaults stops the build here instead of packaging a configuration
# that points into the current directory.
out=target/package/etc/posko.toml
mkdir -p "$(dirname "$out")"
replace() { # FROM TO: one whole line of config/posko.toml, up to its comment
    local n
    n=$(grep -c -F -- "$1" "$tmp" || true)
    if [ "$n" != 1 ]; then
        echo "package.sh: expected one line with '$1' in config/posko.toml, found $n" >&2
        exit 1
    fi
    FROM="$1" TO="$2" perl -0pi -e 's/\Q$ENV{FROM}\E/$ENV{TO}/' "$tmp"
}
tmp="$out.tmp"
{
    cat <<'EOF'
# posko's configuration, as installed by the Debian package.
#
# The daemon runs as the user posko (systemctl start posko); its state lives
# in /var/lib/posko: the SQLite database, the Maildir it reads
# (/var/lib/posko/mail/new/) and the .eml files of the file outbox. After a
# change: `posko --config /etc/posko/posko.toml check`, then
# `systemctl reload posko`. Passwords come from the environment: put them in
# /etc/posko/posko.env (see /usr/share/doc/posko/posko.env.example). Upgrades
# keep your edits to this file. See /usr/share/doc/posko/README.md for every
# key, and for pointing posko at a real IMAP mailbox and SMTP server.
EOF
    # The shipped file without its own opening comment (about var/ and the
    # current directory).
    awk 'started || !/^#/ { started = 1; print }' config/posko.toml
} >"$tmp"
replace 'url = "sqlite://var/posko.db"' 'url = "sqlite:///var/lib/posko/posko.db"'
replace 'path = "var/mail"' 'path = "/var/lib/posko/mail"'
replace 'path = "var/outbox"' 'path = "/var/lib/posko/outbox"'
replace 'holidays_file = "config/holidays-id.toml"' 'holidays_file = "/etc/posko/holidays-id.toml"'
replace '[database]' '# Your own templates: copy from /usr/share/posko/templates (same relative
# paths) and edit; `posko check` compiles them.
# templates = "/etc/posko/templates"

[database]'
mv "$tmp" "$out"

cargo deb -p posko --no-build --locked --strip --profile "$profile" "${deb_args[@]}" | tail -n 1
