#!/usr/bin/env bash
# Installs and starts what the tests need on a Debian 12 machine; idempotent,
# and fast (no apt) when everything is there already.
#  - dovecot-imapd, dovecot-lmtpd: the IMAP/LMTP server each test starts
#  - python3-aiosmtpd: the SMTP sink (scripts/smtp_sink.py)
#  - postfix: its smtp-sink fault-injection tool (no Postfix service)
#  - openssl; PostgreSQL on 127.0.0.1:5432 for the store tests
#  - fonts-dejavu-core: the font of the digest's charts (digest.font)
#  - chromium chromium-driver: the headless browser the HTML checks render in
#  - wrk: the HTTP load of the benchmarks (scripts/bench_survey.sh, bench_metrics.sh)
set -euo pipefail

packages=(dovecot-imapd dovecot-lmtpd python3-aiosmtpd postfix openssl fonts-dejavu-core chromium chromium-driver wrk)

as_root() {
  if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # "No configuration": Postfix writes no main.cf and runs nothing.
  printf '%s\n' \
    "postfix postfix/main_mailer_type select No configuration" \
    "postfix postfix/mailname string localhost" | as_root debconf-set-selections
  # Tests start their own Dovecot per test; keep the packages' system
  # services from starting during install (exit 101 = "action forbidden").
  # An existing policy-rc.d (as in Docker images) is left as it is.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
    as_root chmod 755 /usr/sbin/policy-rc.d
    trap 'as_root rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  as_root apt-get update -q
  as_root apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
else
  echo "setup: packages present"
fi

# Dovecot drops privileges to these (the package creates them).
for u in dovecot dovenull; do
  if ! getent passwd "$u" >/dev/null; then
    as_root useradd --system --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin "$u"
  fi
done

# PostgreSQL: start the cluster if it is not up (no systemd in CI containers).
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if [[ -d /etc/postgresql ]] && command -v pg_ctlcluster >/dev/null; then
    version="$(ls /etc/postgresql | sort -V | tail -n 1)"
    echo "setup: starting PostgreSQL $version/main"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
    for _ in $(seq 1 60); do
      pg_isready -q -h 127.0.0.1 -p 5432 && break
      sleep 0.5
    done
    pg_isready -h 127.0.0.1 -p 5432
  else
    echo "setup: WARNING: no PostgreSQL cluster found; PostgreSQL tests will fail" >&2
  fi
fi

# The default test database (scripts/test.sh) must exist.
if [[ -z ${POSKO_TEST_PG:-} ]] && pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if [[ -z $(psql -h 127.0.0.1 -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'test'") ]]; then
    createdb -h 127.0.0.1 -U postgres test
  fi
fi

echo "setup: done"
