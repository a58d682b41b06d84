#!/usr/bin/python3
"""A test SMTP server that delivers into Dovecot over LMTP.

Role: the SMTP half of the integration tests' mail stack (see
tests/it/harness/mailstack.rs). Mail the daemon sends lands in each
recipient's IMAP inbox, so tests read it back like a person would.

The message is relayed byte for byte (`envelope.original_content`): aiosmtpd's
stock handlers re-serialise the message, which would hide encoding bugs.

Run with /usr/bin/python3: Debian's python3-aiosmtpd is only importable there.
Prints READY on stdout once listening; runs until SIGTERM/SIGINT. Logs each
accepted message (mail from, rcpts) to stderr.

With --oauth2-introspect URL it also offers AUTH XOAUTH2 (then required) and
asks that token introspection endpoint (RFC 7662, POST token=…) whether the
bearer token is live, as a mail provider does.
"""

import argparse
import asyncio
import base64
import json
import logging
import signal
import socket
import smtplib
import ssl
import sys
import threading
import urllib.parse
import urllib.request
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def log(msg):
    print(f"smtp_sink: {msg}", file=sys.stderr, flush=True)


def parse_fail_rules(items):
    """`ADDR=CODE` pairs into {addr_lowercase: code}."""
    rules = {}
    for item in items:
        addr, sep, code = item.rpartition("=")
        if not sep or not addr or not code.isdigit() or not 400 <= int(code) <= 599:
            raise SystemExit(f"--fail-rcpt wants ADDR=CODE with a 4xx/5xx code, got {item!r}")
        rules[addr.strip().lower()] = int(code)
    return rules


def read_fail_file(path):
    """Rules from a file re-read at every RCPT, so a test can change them live
    (e.g. 451 first, then let the retry through). Missing file: no rules."""
    if path is None:
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            lines = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    except FileNotFoundError:
        return {}
    return parse_fail_rules(lines)


class RelayToLmtp:
    def __init__(self, lmtp_port, fail_rules, fail_file):
        self.lmtp_port = lmtp_port
        self.fail_rules = fail_rules
        self.fail_file = fail_file

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        rules = dict(self.fail_rules)
        rules.update(read_fail_file(self.fail_file))
        code = rules.get(address.lower())
        if code is not None:
            log(f"injected {code} for RCPT {address}")
            if code >= 500:
                return f"{code} 5.1.1 <{address}>: injected permanent failure"
            return f"{code} 4.3.0 <{address}>: injected temporary failure"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        # smtplib blocks; keep the event loop free for other connections.
        return await asyncio.get_running_loop().run_in_executor(None, self.relay, envelope)

    def relay(self, envelope):
        # One LMTP transaction per recipient: LMTP answers DATA once per
        # recipient, which smtplib.LMTP.sendmail does not read.
        delivered, refused, failed = [], [], []
        for rcpt in envelope.rcpt_tos:
            try:
                with smtplib.LMTP("127.0.0.1", self.lmtp_port, timeout=30) as lmtp:
                    lmtp.sendmail(envelope.mail_from, [rcpt], envelope.original_content)
                delivered.append(rcpt)
            except smtplib.SMTPRecipientsRefused as e:
                log(f"LMTP refused {rcpt}: {e.recipients}")
                refused.append(rcpt)
            except smtplib.SMTPResponseException as e:
                log(f"LMTP error for {rcpt}: {e.smtp_code} {e.smtp_error!r}")
                (refused if 500 <= e.smtp_code < 600 else failed).append(rcpt)
            except Exception as e:  # connection refused, timeout, protocol error
                log(f"LMTP failure for {rcpt}: {e!r}")
                failed.append(rcpt)
        if not delivered:
            # SMTP has one DATA reply for all recipients: temporary wins, so a
            # retry can still reach the recipients that may succeed later.
            if failed:
                return "451 4.3.0 LMTP delivery failed, try again later"
            return "550 5.1.1 recipients refused by LMTP"
        if refused or failed:
            # Some copies landed: accept rather than invite a duplicate resend.
            log(f"partly delivered; refused={refused} failed={failed}")
        log(
            f"accepted from=<{envelope.mail_from}> rcpts={delivered} "
            f"bytes={len(envelope.original_content)}"
        )
        return "250 OK delivered"


def introspect(url, token):
    """True when the endpoint says the token is active."""
    data = urllib.parse.urlencode({"token": token}).encode()
    try:
        with urllib.request.urlopen(url, data=data, timeout=5) as resp:
            return json.load(resp).get("active") is True
    except Exception as e:  # an unreachable endpoint refuses, like a provider
        log(f"introspection failed: {e}")
        return False


class RelayWithXOAuth2(RelayToLmtp):
    """The relay, also taking AUTH XOAUTH2 (user=…^Aauth=Bearer …^A^A)."""

    def __init__(self, introspect_url, *args):
        super().__init__(*args)
        self.introspect_url = introspect_url

    async def auth_XOAUTH2(self, server, args):
        if len(args) < 2:
            response = await server.challenge_auth("")
            if not isinstance(response, bytes):
                return AuthResult(success=False, handled=False)
        else:
            try:
                response = base64.b64decode(args[1], validate=True)
            except Exception:
                return AuthResult(success=False, handled=False)
        fields = dict(
            f.split("=", 1) for f in response.decode(errors="replace").split("\x01") if "=" in f
        )
        token = fields.get("auth", "").removeprefix("Bearer ")
        loop = asyncio.get_running_loop()
        ok = await loop.run_in_executor(None, introspect, self.introspect_url, token)
        log(f"AUTH XOAUTH2 user={fields.get('user')} {'ok' if ok else 'failed'}")
        # handled=False: aiosmtpd answers 535 itself.
        return AuthResult(success=ok, handled=False, auth_data=fields.get("user"))


def make_authenticator(user, password):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        log(f"AUTH {mechanism} {'ok' if ok else 'failed'}")
        return AuthResult(success=ok)

    return authenticator


def main():
    # aiosmtpd warns at every session that AUTH without TLS is unsafe; on
    # loopback that is the point. Keep its errors.
    warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
    logging.basicConfig(format="aiosmtpd: %(levelname)s %(message)s")
    logging.getLogger("mail.log").setLevel(logging.ERROR)

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--lmtp-port", type=int, required=True)
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--tls-mode", choices=["starttls", "implicit"], help="TLS on --port")
    p.add_argument("--starttls-port", type=int, help="also listen here, with STARTTLS")
    p.add_argument("--implicit-tls-port", type=int, help="also listen here, with implicit TLS")
    p.add_argument("--auth", help="user:password; AUTH PLAIN/LOGIN then required")
    p.add_argument("--oauth2-introspect", metavar="URL", help="offer AUTH XOAUTH2 (then required)")
    p.add_argument("--fail-rcpt", action="append", default=[], metavar="ADDR=CODE")
    p.add_argument("--fail-file", help="file of ADDR=CODE lines, re-read at every RCPT")
    args = p.parse_args()

    # (port, tls mode) per listener. Several listeners share one process:
    # each interpreter costs ~0.2 s of CPU to start, and tests start many.
    listeners = [(args.port, args.tls_mode)]
    if args.starttls_port:
        listeners.append((args.starttls_port, "starttls"))
    if args.implicit_tls_port:
        listeners.append((args.implicit_tls_port, "implicit"))
    wants_tls = any(mode for _, mode in listeners)
    if wants_tls != bool(args.tls_cert and args.tls_key):
        p.error("TLS listeners need --tls-cert and --tls-key, and the other way round")

    common = {
        # A fixed name: the default, socket.getfqdn(), can stall on DNS.
        "server_hostname": "sink.corp.test",
        "enable_SMTPUTF8": True,
    }
    if args.auth or args.oauth2_introspect:
        user, sep, password = (args.auth or ":").partition(":")
        if not sep:
            p.error("--auth wants user:password")
        # Without --auth no password is right (user and password empty).
        common["authenticator"] = make_authenticator(user, password or None)
        common["auth_required"] = True
        # Loopback test server: allow AUTH on the plain port too.
        common["auth_require_tls"] = False
    ctx = None
    if wants_tls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)

    # aiosmtpd's Controller reports a port in use only after its whole
    # ready_timeout (5 s); fail at once so the harness can retry elsewhere.
    for port, _ in listeners:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError as e:
                log(f"cannot listen on 127.0.0.1:{port}: {e.strerror}")
                sys.exit(1)

    relay_args = (args.lmtp_port, parse_fail_rules(args.fail_rcpt), args.fail_file)
    if args.oauth2_introspect:
        handler = RelayWithXOAuth2(args.oauth2_introspect, *relay_args)
    else:
        handler = RelayToLmtp(*relay_args)
    controllers = []
    for port, mode in listeners:
        kwargs = dict(common)
        if mode == "starttls":
            kwargs["tls_context"] = ctx
        elif mode == "implicit":
            kwargs["ssl_context"] = ctx
        controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        controllers.append(controller)
        log(f"listening on 127.0.0.1:{port} tls={mode or 'none'} auth={bool(args.auth)} xoauth2={bool(args.oauth2_introspect)}")

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    print("READY", flush=True)
    stop.wait()
    for controller in controllers:
        controller.stop()


if __name__ == "__main__":
    main()
