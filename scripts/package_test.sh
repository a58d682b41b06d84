#!/usr/bin/env bash
# The Debian package, tested the way an admin uses it, in a clean Debian 12
# root (debootstrap, cached) run with systemd-nspawn:
#   1. install: files in place, /etc/posko/*.toml are conffiles, the posko
#      user, /var/lib/posko owned by it, the unit enabled and valid (and
#      its sandbox's exposure, systemd-analyze security); `posko check`
#      and `posko run --once` as posko take in a mail;
#   2. under systemd (the root booted): `systemctl start posko` takes in a
#      mail, `journalctl -u posko` shows the log, `systemctl reload posko`,
#      `systemctl restart`, a reinstall restarts it, `systemctl stop`; a
#      configuration error fails the unit without a restart loop;
#   3. upgrade to a newer build whose conffiles changed, with the admin's edit
#      of /etc/posko/posko.toml: the edit is kept (--force-confold), the
#      unedited conffile is updated, the tickets survive;
#   4. purge: the configuration goes, the tickets stay.
#
#   bash scripts/package_test.sh [--no-build] [--profile dev]
#
# As root on Debian; installs debootstrap and systemd-container when missing.
# The pristine root is built once (again after 30 days) into
# $POSKO_PKG_CACHE (default /var/cache/posko-package-test) and copied for
# each run; the copy is removed at the end, whatever happens. --no-build
# packages target/release/posko as it is; with --profile dev, the debug
# binary the test suite built (see scripts/package.sh).
# A daemon that does not survive `systemctl reload` (SIGHUP) with the same
# PID fails the test; POSKO_PKG_EXPECT_RELOAD=0 only reports it (for
# packaging a build from before the reload).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

cache="${POSKO_PKG_CACHE:-/var/cache/posko-package-test}"
mirror="${POSKO_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
suite=bookworm
include=systemd,procps
expect_reload="${POSKO_PKG_EXPECT_RELOAD:-1}"
started=$SECONDS

say() { printf '[package_test %3ds] %s\n' "$((SECONDS - started))" "$*"; }
fail() {
    say "FAIL: $*"
    exit 1
}

if [ "$(id -u)" != 0 ]; then
    echo "package_test.sh: run as root (debootstrap, systemd-nspawn)" >&2
    exit 1
fi
need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v systemd-nspawn >/dev/null || need+=(systemd-container)
if [ "${#need[@]}" -gt 0 ]; then
    say "installing ${need[*]}"
    apt-get install -y --no-install-recommends "${need[@]}" >/dev/null ||
        { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${need[@]}" >/dev/null; }
fi

# --- the packages -----------------------------------------------------------
say "building the package"
v1_deb="$(bash scripts/package.sh "$@" --fast | tail -n 1)"
[ -f "$v1_deb" ] || fail "scripts/package.sh printed no package ($v1_deb)"
v1="$(dpkg-deb -f "$v1_deb" Version)"
say "built $v1_deb"

work="$(mktemp -d /var/tmp/posko-package-test.XXXXXX)"
cleanup() { rm -rf --one-file-system "$work"; }
trap cleanup EXIT

# The newer build: the same package with a higher version whose two
# conffiles changed, as a release that edits the shipped configuration.
v2="$v1+upgradetest"
dpkg-deb -R "$v1_deb" "$work/v2"
sed -i "s/^Version: .*/Version: $v2/" "$work/v2/DEBIAN/control"
for f in etc/posko/posko.toml etc/posko/holidays-id.toml; do
    echo "# changed by the newer build (package_test)" >>"$work/v2/$f"
done
v2_deb="$work/posko_v2.deb"
dpkg-deb --root-owner-group -Zgzip -z1 -b "$work/v2" "$v2_deb" >/dev/null

# --- the clean Debian root --------------------------------------------------
pristine="$cache/$suite-root"
stamp="$suite minbase include=$include"
# One run at a time makes or reads the cache.
mkdir -p "$cache"
exec 9>"$cache/lock"
flock 9
# Made again when the list changes or after 30 days (Debian's point releases).
if [ "$(cat "$pristine/.posko-package-test" 2>/dev/null)" != "$stamp" ] ||
    [ -z "$(find "$pristine/.posko-package-test" -mtime -30)" ]; then
    say "debootstrap $suite into $pristine (1 to 2 min)"
    rm -rf --one-file-system "$pristine" "$pristine.new"
    debootstrap --variant=minbase --include="$include" "$suite" "$pristine.new" "$mirror" \
        >"$cache/debootstrap.log" 2>&1 || fail "debootstrap failed, see $cache/debootstrap.log"
    # Nothing in the root that slows its boot or waits for a console.
    for u in console-getty.service getty@tty1.service apt-daily.timer \
        apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
        systemd-tmpfiles-clean.timer; do
        ln -sf /dev/null "$pristine.new/etc/systemd/system/$u"
    done
    echo "$stamp" >"$pristine.new/.posko-package-test"
    mv "$pristine.new" "$pristine"
fi
root="$work/root"
say "copying the clean root"
cp -a "$pristine" "$root"
exec 9>&-
mkdir -p "$root/root/debs"
cp "$v1_deb" "$root/root/debs/v1.deb"
cp "$v2_deb" "$root/root/debs/v2.deb"

# A command in the root (its own /proc, /dev, /run; no systemd running).
in_root() {
    systemd-nspawn -q --register=no --keep-unit --pipe -D "$root" \
        --setenv=NO_COLOR=1 --setenv=SYSTEMD_COLORS=0 --setenv=SYSTEMD_URLIFY=0 "$@" 2> >(
        grep -v 'Attempted to remove disk file system' >&2
    )
}
as_posko() { in_root runuser -u posko -- "$@"; }
expect() { # WHAT EXPECTED ACTUAL
    [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
    say "ok: $1 = $3"
}
mail() { # N: a requester's mail, as a Maildir file
    printf 'From: Alice Wijaya <alice@corp.test>\r\nTo: helpdesk@corp.test\r\nSubject: Printer lantai %s macet\r\nMessage-ID: <pkgtest-%s@corp.test>\r\nDate: Mon, 30 Nov 2026 09:00:00 +0700\r\n\r\nPrinter di lantai %s tidak bisa mencetak.\r\n' "$1" "$1" "$1"
}
config=/etc/posko/posko.toml
# No --config: commands by hand read /etc/posko/posko.toml by default.
posko=(posko)

# --- 1. install -------------------------------------------------------------
say "installing $v1 into the clean root"
in_root dpkg -i /root/debs/v1.deb >"$work/install.log" 2>&1 ||
    { cat "$work/install.log"; fail "dpkg -i"; }
expect "installed version" "$v1" "$(in_root dpkg-query -W -f='${Version}' posko)"
expect "binary" "/usr/bin/posko" "$(in_root sh -c 'command -v posko')"
conffiles="$(in_root dpkg-query -W -f='${Conffiles}' posko | awk 'NF {print $1}' | sort | tr '\n' ' ')"
expect "conffiles" "/etc/posko/holidays-id.toml /etc/posko/posko.toml " "$conffiles"
expect "posko user" "posko:/var/lib/posko:/usr/sbin/nologin" \
    "$(in_root getent passwd posko | awk -F: '{print $1 ":" $6 ":" $7}')"
expect "state directory" "posko:posko 750" "$(in_root stat -c '%U:%G %a' /var/lib/posko)"
expect "configuration" "root:posko 640" "$(in_root stat -c '%U:%G %a' $config)"
expect "unit enabled" "enabled" "$(in_root systemctl is-enabled posko.service)"
in_root systemd-analyze verify /usr/lib/systemd/system/posko.service ||
    fail "systemd-analyze verify posko.service"
say "ok: systemd-analyze verify posko.service"
in_root systemd-analyze security --offline=yes --no-pager /usr/lib/systemd/system/posko.service \
    >"$work/security.log" 2>&1 || true
say "sandbox: $(grep -o 'Overall exposure level.*' "$work/security.log" || echo "? (see systemd-analyze security)")"
for t in id/ack.txt.hbs en/ack.html.hbs; do
    in_root test -f "/usr/share/posko/templates/$t" || fail "missing /usr/share/posko/templates/$t"
done

say "posko check, as posko"
as_posko "${posko[@]}" check | tee "$work/check.log" || fail "posko check"
grep -q "^ok    configuration: $config is valid" "$work/check.log" ||
    fail "posko check without --config did not read $config"
grep -q "^ok    database: sqlite:///var/lib/posko/posko.db" "$work/check.log" ||
    fail "posko check does not use /var/lib/posko/posko.db"
grep -q "^ok    web: http://127.0.0.1:8080 (.*) is free to bind" "$work/check.log" ||
    fail "posko check does not show the web listener"
mail 1 | as_posko sh -c 'cat >/var/lib/posko/mail/new/1764468000.M1P1.pkgtest'
say "posko run --once, as posko"
out="$(as_posko "${posko[@]}" run --once)"
echo "$out"
case "$out" in
"fetched 1: 1 new tickets"*) ;;
*) fail "run --once did not take in the mail" ;;
esac
expect "tickets" 1 "$(as_posko "${posko[@]}" tickets list --json | grep -o '"id":' | wc -l)"
sent="$(in_root find /var/lib/posko/outbox -name '*.eml' -user posko | wc -l)"
[ "$sent" -ge 1 ] || fail "no mail in /var/lib/posko/outbox"
say "ok: $sent mails in /var/lib/posko/outbox"

# --- 2. under systemd -------------------------------------------------------
# The root boots; a unit of the test drives posko.service with systemctl and
# writes what it saw to /root/service-test.log, then powers the root off.
mail 2 >"$root/root/mail-2.eml"
cat >"$root/root/service-test.sh" <<EOF
#!/bin/sh
# Runs inside the booted root (see scripts/package_test.sh).
set -u
# Whatever happens, the root powers off and the test goes on.
trap 'systemctl --no-block poweroff' EXIT
log() { echo "\$*" >>/root/service-test.log; }
show() { systemctl show -p "\$1" --value posko.service; }
systemctl start posko.service || log "start-failed"
log "active=\$(show ActiveState)"
pid=\$(show MainPID)
# The sandbox as the kernel sees it: no new privileges, a seccomp filter, no
# capabilities.
log "sandbox=\$(grep -E '^(NoNewPrivs|Seccomp|CapBnd|CapEff):' /proc/\$pid/status | tr -s '\t ' ' ' | tr '\n' ' ')"
install -o posko -g posko -m 0640 /root/mail-2.eml /var/lib/posko/mail/new/1764468060.M2P2.pkgtest
for _ in \$(seq 1 150); do
    [ -n "\$(find /var/lib/posko/mail/cur -name '1764468060.M2P2.pkgtest*')" ] && break
    sleep 0.2
done
sleep 1
log "tickets=\$(runuser -u posko -- posko tickets list --json | grep -o '"id":' | wc -l)"
log "journal=\$(journalctl -u posko.service --no-pager -o cat | grep -c 'posko running')"
systemctl reload posko.service || log "reload-failed"
sleep 2
log "after-reload=\$(show ActiveState) same-pid=\$([ "\$(show MainPID)" = "\$pid" ] && echo yes || echo no)"
systemctl restart posko.service
log "restarted=\$(show ActiveState)"
# Installing the package again, as an upgrade does, restarts the running
# daemon on the (new) binary.
pid=\$(show MainPID)
dpkg -i /root/debs/v1.deb >/root/reinstall.log 2>&1 || log "reinstall-failed"
log "reinstalled=\$(show ActiveState) new-pid=\$([ "\$(show MainPID)" != "\$pid" ] && echo yes || echo no)"
systemctl stop posko.service
log "stopped=\$(show ActiveState) result=\$(show Result)"
# A configuration error is not retried every 5 s: the unit fails, once.
mkdir -p /run/systemd/system/posko.service.d
printf '[desk]\nnmae = "typo"\n' >/etc/posko/broken.toml
printf '[Service]\nExecStart=\nExecStart=/usr/bin/posko --config /etc/posko/broken.toml run\n' \
    >/run/systemd/system/posko.service.d/broken.conf
systemctl daemon-reload
systemctl start posko.service
sleep 7
log "broken=\$(show ActiveState) status=\$(show ExecMainStatus) restarts=\$(show NRestarts)"
rm -r /run/systemd/system/posko.service.d /etc/posko/broken.toml
systemctl daemon-reload
systemctl reset-failed posko.service
journalctl -u posko.service --no-pager >/root/journal.log
log "done"
EOF
chmod 755 "$root/root/service-test.sh"
cat >"$root/etc/systemd/system/posko-package-test.service" <<'EOF'
[Unit]
Description=posko package test (scripts/package_test.sh)
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/root/service-test.sh
TimeoutStartSec=120
[Install]
WantedBy=multi-user.target
EOF
ln -s /etc/systemd/system/posko-package-test.service \
    "$root/etc/systemd/system/multi-user.target.wants/posko-package-test.service"
say "booting the root: systemctl start/reload/stop posko"
timeout 200 systemd-nspawn -q --register=no --keep-unit -b -D "$root" \
    >"$work/boot.log" 2>&1 </dev/null || true
[ -f "$root/root/service-test.log" ] || { tail -n 40 "$work/boot.log"; fail "the service test did not run"; }
cat "$root/root/service-test.log"
grep -qx "done" "$root/root/service-test.log" || { tail -n 40 "$work/boot.log"; fail "the service test did not finish"; }
grep -qx "active=active" "$root/root/service-test.log" ||
    { cat "$root/root/journal.log"; fail "systemctl start posko"; }
grep -qx "tickets=2" "$root/root/service-test.log" ||
    { cat "$root/root/journal.log"; fail "the running service did not take in the mail"; }
grep -qx "journal=1" "$root/root/service-test.log" ||
    { cat "$root/root/journal.log"; fail "journalctl -u posko has no 'posko running'"; }
grep -qx "sandbox=CapEff: 0000000000000000 CapBnd: 0000000000000000 NoNewPrivs: 1 Seccomp: 2 " \
    "$root/root/service-test.log" || fail "the daemon does not run in the sandbox"
grep -qx "restarted=active" "$root/root/service-test.log" || fail "systemctl restart posko"
grep -qx "reinstalled=active new-pid=yes" "$root/root/service-test.log" ||
    { cat "$root/root/reinstall.log"; fail "installing the package again did not restart the daemon"; }
grep -qx "stopped=inactive result=success" "$root/root/service-test.log" ||
    { cat "$root/root/journal.log"; fail "systemctl stop posko: not a clean stop"; }
grep -qx "broken=failed status=78 restarts=0" "$root/root/service-test.log" ||
    fail "a configuration error should fail the unit once (exit 78), without restarts"
if grep -qx "after-reload=active same-pid=yes" "$root/root/service-test.log"; then
    say "ok: systemctl reload posko kept the daemon running"
elif [ "$expect_reload" = 1 ]; then
    cat "$root/root/journal.log"
    fail "systemctl reload posko: the daemon did not survive SIGHUP"
else
    say "note: systemctl reload posko: the daemon did not survive SIGHUP (reported only: POSKO_PKG_EXPECT_RELOAD=0)"
fi
say "ok: under systemd; journalctl -u posko said:"
sed -n 's/^[A-Z][a-z][a-z] [0-9 ][0-9] [0-9:]* [^ ]* //p' "$root/root/journal.log" | cut -c1-160

# --- 3. upgrade -------------------------------------------------------------
say "the admin edits $config; upgrading to $v2"
in_root sed -i 's/^name = "IT Helpdesk"$/name = "IT Helpdesk (edited by the admin)"/' $config
in_root grep -q 'edited by the admin' $config || fail "could not edit $config"
in_root dpkg -i --force-confold /root/debs/v2.deb </dev/null >"$work/upgrade.log" 2>&1 ||
    { cat "$work/upgrade.log"; fail "dpkg -i --force-confold (upgrade)"; }
expect "upgraded version" "$v2" "$(in_root dpkg-query -W -f='${Version}' posko)"
in_root grep -q 'edited by the admin' $config || fail "the upgrade lost the admin's edit"
say "ok: the admin's edit of $config is kept"
in_root grep -q 'changed by the newer build' $config.dpkg-dist ||
    fail "the newer configuration is not beside it as $config.dpkg-dist"
in_root grep -q 'changed by the newer build' /etc/posko/holidays-id.toml ||
    fail "the unedited conffile /etc/posko/holidays-id.toml was not updated"
say "ok: the new configuration is in $config.dpkg-dist; the unedited holidays file is updated"
expect "configuration after the upgrade" "root:posko 640" "$(in_root stat -c '%U:%G %a' $config)"
as_posko "${posko[@]}" check >"$work/check2.log" || { cat "$work/check2.log"; fail "posko check after the upgrade"; }
expect "tickets after the upgrade" 2 "$(as_posko "${posko[@]}" tickets list --json | grep -o '"id":' | wc -l)"

# --- 4. purge ---------------------------------------------------------------
in_root dpkg --purge posko >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "dpkg --purge"; }
in_root test ! -e /usr/bin/posko || fail "/usr/bin/posko is still there after purge"
in_root test ! -e $config || fail "$config is still there after purge"
in_root test -f /var/lib/posko/posko.db || fail "purge removed the tickets"
[ -z "$(in_root dpkg-statoverride --list $config)" ] || fail "statoverride left after purge"
say "ok: purge removes the package and its configuration, keeps /var/lib/posko"

say "PASS: package $v1 (upgrade to $v2) in a clean $suite root, $((SECONDS - started)) s"
