//! A real IMAP server (Dovecot) and SMTP server (aiosmtpd relaying to Dovecot LMTP) on loopback.
//!
//! Every test gets its own [`MailStack`]: a fresh temp dir, free loopback ports,
//! a Dovecot (IMAP with STARTTLS, IMAPS, LMTP) and an SMTP sink
//! (`scripts/smtp_sink.py`, one process listening plain, STARTTLS and implicit
//! TLS) that relays each message byte for byte into Dovecot over LMTP. So mail the daemon sends lands
//! in the recipient's INBOX and a test reads it back over IMAP like a person
//! would; no mocks between posko and the wire.
//!
//! Users (all with password [`PASSWORD`]): [`USERS`], addressed `<user>@corp.test`.
//! TLS uses a per-stack test CA ([`MailStack::ca_pem_path`]) and a leaf for
//! `localhost` / `127.0.0.1`.
//!
//! Needs root (Dovecot drops privileges to `dovecot` / `dovenull`), the Debian
//! packages `dovecot-imapd dovecot-lmtpd python3-aiosmtpd`: `scripts/setup.sh`.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_imap::types::Flag;
use futures::TryStreamExt;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tempfile::TempDir;
use tokio::net::TcpStream;

/// The accounts every stack has; each receives mail at `<user>@corp.test`.
pub const USERS: &[&str] = &[
    "helpdesk", "alice", "bob", "budi", "siti", "manager", "director",
];
/// Every user's IMAP password.
pub const PASSWORD: &str = "secret";
/// The mail domain of [`USERS`].
pub const DOMAIN: &str = "corp.test";

/// How long a server may take to come up. Dovecot starts in ~0.1 s, the sink
/// in ~0.3 s (Python); the slack is
/// for a loaded CI machine running many stacks at once.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// Bound on every IMAP / SMTP exchange the harness makes itself: a hung server
/// should fail the test with a message, not hang the suite.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Ports are picked by binding to port 0 and released before the servers bind
/// them, so another process can take one in between. Rare; then start afresh.
const START_ATTEMPTS: usize = 5;
const POLL: Duration = Duration::from_millis(10);

/// Options for a [`MailStack`]; [`MailStack::start`] is the default.
#[derive(Debug, Clone, Default)]
pub struct MailStackBuilder {
    smtp_auth: Option<(String, String)>,
    fail_rcpt: Vec<(String, u16)>,
    oauth2_introspect: Option<String>,
    oauthbearer_only: bool,
}

impl MailStackBuilder {
    /// All three SMTP ports require AUTH PLAIN/LOGIN with these credentials
    /// (also on the plain port: it is loopback). [`MailStack::deliver`] uses them.
    pub fn smtp_auth(mut self, user: &str, password: &str) -> Self {
        self.smtp_auth = Some((user.to_owned(), password.to_owned()));
        self
    }

    /// Dovecot also takes XOAUTH2 / OAUTHBEARER, and the SMTP sink XOAUTH2
    /// (then required, like `smtp_auth`), both asking the token
    /// introspection endpoint at `url` (RFC 7662, POST) whether a token is
    /// live ([`super::oauth::FakeOAuth`]).
    pub fn oauth2(mut self, introspect_url: &str) -> Self {
        self.oauth2_introspect = Some(introspect_url.to_owned());
        self
    }

    /// With [`MailStackBuilder::oauth2`]: Dovecot offers OAUTHBEARER
    /// (RFC 7628) alone, not XOAUTH2.
    pub fn oauthbearer_only(mut self) -> Self {
        self.oauthbearer_only = true;
        self
    }

    /// The SMTP sink answers `code` (4xx or 5xx) at RCPT TO for `addr`, for the whole
    /// life of the stack. To change failures while a test runs, use
    /// [`MailStack::set_fail_rcpt`].
    pub fn fail_rcpt(mut self, addr: &str, code: u16) -> Self {
        assert!(
            (400..600).contains(&code),
            "fail_rcpt wants a 4xx or 5xx code, got {code}"
        );
        self.fail_rcpt.push((addr.to_owned(), code));
        self
    }

    /// Starts Dovecot and the SMTP sink; panics, with the servers' logs,
    /// if they do not come up.
    pub async fn start(self) -> MailStack {
        let mut failures = String::new();
        for attempt in 1..=START_ATTEMPTS {
            match MailStack::try_start(&self).await {
                Ok(stack) => return stack,
                Err(StartError::AddrInUse(log)) => {
                    let _ = writeln!(failures, "attempt {attempt}: a port was taken:\n{log}");
                }
                Err(StartError::Failed(msg)) => panic!("mail stack failed to start: {msg}"),
            }
        }
        panic!("mail stack failed to start: ports kept colliding\n{failures}");
    }
}

enum StartError {
    /// A server could not bind its port; worth another try with new ports.
    AddrInUse(String),
    Failed(String),
}

/// The loopback ports of one stack.
#[derive(Debug, Clone, Copy)]
struct Ports {
    imap: u16,
    imaps: u16,
    lmtp: u16,
    smtp: u16,
    smtp_starttls: u16,
    smtps: u16,
}

impl Ports {
    /// Distinct free ports: all six listeners are held at once so the kernel
    /// cannot hand out one port twice.
    fn pick() -> Ports {
        let listeners: Vec<std::net::TcpListener> = (0..6)
            .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0"))
            .collect();
        let p: Vec<u16> = listeners
            .iter()
            .map(|l| l.local_addr().unwrap().port())
            .collect();
        Ports {
            imap: p[0],
            imaps: p[1],
            lmtp: p[2],
            smtp: p[3],
            smtp_starttls: p[4],
            smtps: p[5],
        }
    }
}

/// One `smtp_sink.py` process.
struct Sink {
    child: Child,
    log_path: PathBuf,
}

/// Dovecot (IMAP, IMAPS, LMTP) and an SMTP sink (plain, STARTTLS, SMTPS) in a temp dir; see the module docs.
/// Dropping it kills the servers and removes the dir.
pub struct MailStack {
    ports: Ports,
    options: MailStackBuilder,
    /// Behind a lock so a test can kill and restart Dovecot through `&self`.
    dovecot: Mutex<Option<Child>>,
    /// Behind a lock so a test can kill and restart it through `&self`.
    sink: Mutex<Option<Sink>>,
    /// Last field: dropped (removed) after `Drop::drop` killed the servers.
    dir: TempDir,
}

impl MailStack {
    /// A stack with the default options: no SMTP AUTH, no injected failures.
    pub async fn start() -> MailStack {
        MailStackBuilder::default().start().await
    }

    /// Options: SMTP AUTH, injected RCPT failures.
    pub fn builder() -> MailStackBuilder {
        MailStackBuilder::default()
    }

    /// Plain IMAP; STARTTLS is offered.
    pub fn imap_port(&self) -> u16 {
        self.ports.imap
    }

    /// IMAP over implicit TLS.
    pub fn imaps_port(&self) -> u16 {
        self.ports.imaps
    }

    /// SMTP without TLS.
    pub fn smtp_port(&self) -> u16 {
        self.ports.smtp
    }

    /// SMTP offering STARTTLS.
    pub fn smtp_starttls_port(&self) -> u16 {
        self.ports.smtp_starttls
    }

    /// SMTP over implicit TLS ("SMTPS", as on port 465).
    pub fn smtps_port(&self) -> u16 {
        self.ports.smtps
    }

    /// The stack's temp dir (configs, logs, certificates, maildirs).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// PEM of the test CA that signed the servers' certificate.
    pub fn ca_pem_path(&self) -> PathBuf {
        self.dir().join("ca.pem")
    }

    /// A rustls client config (ring provider) trusting only the test CA.
    pub fn tls_client_config(&self) -> Arc<rustls::ClientConfig> {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(self.ca_pem_path()).expect("read ca.pem") {
            roots.add(cert.expect("parse ca.pem")).expect("add test CA");
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Arc::new(config)
    }

    async fn try_start(options: &MailStackBuilder) -> Result<MailStack, StartError> {
        // A short prefix: Dovecot's unix sockets live under the dir, and
        // socket paths are limited to 108 bytes.
        let dir = tempfile::Builder::new()
            .prefix("posko-ms")
            .tempdir_in(super::shared_temp_root())
            .map_err(|e| StartError::Failed(format!("create temp dir: {e}")))?;
        let mut stack = MailStack {
            ports: Ports::pick(),
            options: options.clone(),
            dovecot: Mutex::new(None),
            sink: Mutex::new(None),
            dir,
        };
        // On any error below, dropping `stack` kills what was started.
        stack
            .write_files()
            .map_err(|e| StartError::Failed(format!("{e:#}")))?;
        // Both boot at once: the sink needs Dovecot only when mail comes in.
        stack.spawn_dovecot()?;
        let mut sink = stack.spawn_sink()?;
        stack.wait_dovecot().await?;
        let ready = wait_ready(&mut sink).await;
        *stack.sink.get_mut().unwrap() = Some(sink);
        ready?;
        Ok(stack)
    }

    /// Config, users, certificates and the maildir root.
    fn write_files(&self) -> std::io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let dir = self.dir();
        // tempfile makes the dir 0700; Dovecot's unprivileged processes
        // (dovecot, dovenull) must reach the maildirs and sockets below it.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))?;
        write_certs(dir);
        let users: String = USERS
            .iter()
            .map(|u| format!("{u}:{{PLAIN}}{PASSWORD}\n"))
            .collect();
        std::fs::write(dir.join("users"), users)?;
        let mail = dir.join("mail");
        std::fs::create_dir(&mail)?;
        // Mail is stored as the dovecot user (userdb uid=dovecot).
        let status = Command::new("chown")
            .args(["dovecot:dovecot"])
            .arg(&mail)
            .status()?;
        if !status.success() {
            return Err(std::io::Error::other(
                "chown dovecot:dovecot mail failed (not root?)",
            ));
        }
        let mut conf = dovecot_conf(dir, &self.ports);
        if let Some(url) = &self.options.oauth2_introspect {
            // Dovecot 2.3's oauth2 passdb (doc.dovecot.org, "Open
            // Authentication v2.0 database"), asking our endpoint.
            std::fs::write(
                dir.join("dovecot-oauth2.conf.ext"),
                format!(
                    "introspection_mode = post\nintrospection_url = {url}\n\
                     force_introspection = yes\nusername_attribute = username\n\
                     active_attribute = active\nactive_value = true\n"
                ),
            )?;
            let mechanisms = if self.options.oauthbearer_only {
                "oauthbearer"
            } else {
                "xoauth2 oauthbearer"
            };
            conf = conf.replace(
                "auth_mechanisms = plain login\n",
                &format!("auth_mechanisms = plain login {mechanisms}\n"),
            );
            conf = conf.replace(
                "passdb {\n  driver = passwd-file\n",
                &format!(
                    "passdb {{\n  driver = oauth2\n  mechanisms = {mechanisms}\n  \
                     args = {}/dovecot-oauth2.conf.ext\n}}\n\
                     passdb {{\n  driver = passwd-file\n  mechanisms = plain login none\n",
                    dir.display()
                ),
            );
        }
        std::fs::write(dir.join("dovecot.conf"), conf)
    }

    fn spawn_dovecot(&self) -> Result<(), StartError> {
        use std::os::unix::process::CommandExt;
        let dir = self.dir();
        let out = std::fs::File::create(dir.join("dovecot.stderr"))
            .map_err(|e| StartError::Failed(format!("create dovecot.stderr: {e}")))?;
        let child = Command::new("dovecot")
            .arg("-F")
            .arg("-c")
            .arg(dir.join("dovecot.conf"))
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("dup log fd"))
            .stderr(out)
            // Its own process group, so one SIGKILL to the group takes the
            // master and every child (imap-login, lmtp, auth, ...) at once.
            .process_group(0)
            .spawn()
            .map_err(|e| {
                StartError::Failed(format!("spawn dovecot: {e} (install it: scripts/setup.sh)"))
            })?;
        *self.dovecot.lock().unwrap() = Some(child);
        Ok(())
    }

    /// Dovecot has no READY line: it logs "starting up" once every listener is
    /// bound, and then the ports accept connections.
    async fn wait_dovecot(&self) -> Result<(), StartError> {
        let deadline = Instant::now() + START_TIMEOUT;
        let log_path = self.dir().join("dovecot.log");
        loop {
            let exited = match self.dovecot.lock().unwrap().as_mut() {
                Some(child) => child.try_wait().expect("wait dovecot"),
                None => return Err(StartError::Failed("dovecot is not running".into())),
            };
            if let Some(status) = exited {
                return Err(self.dovecot_failure(&format!("dovecot exited with {status}")));
            }
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            if log.contains("starting up")
                && connectable(self.ports.imap).await
                && connectable(self.ports.imaps).await
                && connectable(self.ports.lmtp).await
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(
                    self.dovecot_failure(&format!("dovecot not ready after {START_TIMEOUT:?}"))
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    fn dovecot_failure(&self, what: &str) -> StartError {
        let log = format!(
            "{what} (dir {})\n--- dovecot.log ---\n{}\n--- dovecot stderr ---\n{}",
            self.dir().display(),
            read_log(&self.dir().join("dovecot.log")),
            read_log(&self.dir().join("dovecot.stderr")),
        );
        if addr_in_use(&log) {
            StartError::AddrInUse(log)
        } else {
            StartError::Failed(log)
        }
    }

    /// One process for the three SMTP ports: each Python interpreter costs
    /// ~0.2 s of CPU to start, which adds up over a suite.
    fn spawn_sink(&self) -> Result<Sink, StartError> {
        let dir = self.dir();
        let log_path = dir.join("smtp-sink.log");
        let log = std::fs::File::create(&log_path)
            .map_err(|e| StartError::Failed(format!("create {}: {e}", log_path.display())))?;
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/smtp_sink.py");
        // Debian's python3-aiosmtpd is only importable by the system python,
        // not by a pyenv `python3` earlier on PATH.
        let mut cmd = Command::new("/usr/bin/python3");
        cmd.arg(&script)
            .arg("--port")
            .arg(self.ports.smtp.to_string())
            .arg("--starttls-port")
            .arg(self.ports.smtp_starttls.to_string())
            .arg("--implicit-tls-port")
            .arg(self.ports.smtps.to_string())
            .arg("--tls-cert")
            .arg(dir.join("cert.pem"))
            .arg("--tls-key")
            .arg(dir.join("key.pem"))
            .arg("--lmtp-port")
            .arg(self.ports.lmtp.to_string())
            .arg("--fail-file")
            .arg(dir.join("fail-rcpt"));
        if let Some((user, password)) = &self.options.smtp_auth {
            cmd.arg("--auth").arg(format!("{user}:{password}"));
        }
        if let Some(url) = &self.options.oauth2_introspect {
            cmd.arg("--oauth2-introspect").arg(url);
        }
        for (addr, code) in &self.options.fail_rcpt {
            cmd.arg("--fail-rcpt").arg(format!("{addr}={code}"));
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|e| StartError::Failed(format!("spawn /usr/bin/python3 {script:?}: {e}")))?;
        Ok(Sink { child, log_path })
    }

    /// SIGKILL to Dovecot's process group: the IMAP and LMTP ports close at
    /// once and open connections drop, as when a server crashes. Mail already
    /// delivered stays (it is on disk). Idempotent.
    pub fn kill_dovecot(&self) {
        // Also from Drop while a test panics: a poisoned lock still holds the child.
        let taken = self
            .dovecot
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(mut child) = taken {
            kill_group(&mut child);
        }
    }

    /// Starts Dovecot again in the same dir on the same ports (after
    /// [`kill_dovecot`](Self::kill_dovecot)); panics with its log if it fails.
    pub async fn restart_dovecot(&self) {
        self.kill_dovecot();
        // Fresh log, so the "starting up" line we wait for is the new one.
        let _ = std::fs::rename(
            self.dir().join("dovecot.log"),
            self.dir().join("dovecot.log.old"),
        );
        let started = match self.spawn_dovecot() {
            Ok(()) => self.wait_dovecot().await,
            Err(e) => Err(e),
        };
        if let Err(StartError::AddrInUse(msg) | StartError::Failed(msg)) = started {
            panic!("dovecot failed to restart: {msg}");
        }
    }

    /// SIGKILL to the SMTP sink: its ports close and open connections drop,
    /// as when a mail server crashes. Idempotent.
    pub fn kill_smtp(&self) {
        let taken = self.sink.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(mut sink) = taken {
            // Nothing of the sink's state outlives it.
            let _ = sink.child.kill();
            let _ = sink.child.wait();
        }
    }

    /// Starts the SMTP sink again on the same ports (after
    /// [`kill_smtp`](Self::kill_smtp)); panics with its log if it fails.
    pub async fn restart_smtp(&self) {
        self.kill_smtp();
        let _ = std::fs::rename(
            self.dir().join("smtp-sink.log"),
            self.dir().join("smtp-sink.log.old"),
        );
        let mut sink = match self.spawn_sink() {
            Ok(s) => s,
            Err(StartError::AddrInUse(m) | StartError::Failed(m)) => {
                panic!("smtp sink failed to restart: {m}")
            }
        };
        let ready = wait_ready(&mut sink).await;
        *self.sink.lock().unwrap_or_else(|e| e.into_inner()) = Some(sink);
        if let Err(StartError::AddrInUse(m) | StartError::Failed(m)) = ready {
            panic!("smtp sink failed to restart: {m}");
        }
    }

    /// Gives `user` another password (Dovecot re-reads its user file on
    /// change): a login with [`PASSWORD`] is refused until it is set back.
    pub fn set_password(&self, user: &str, password: &str) {
        let users: String = USERS
            .iter()
            .map(|u| {
                let pw = if *u == user { password } else { PASSWORD };
                format!("{u}:{{PLAIN}}{pw}\n")
            })
            .collect();
        let path = self.dir().join("users");
        let tmp = self.dir().join("users.new");
        std::fs::write(&tmp, users).expect("write users");
        std::fs::rename(&tmp, &path).expect("replace users");
    }

    /// From now on the SMTP sink answers `code` at RCPT TO for `addr` (`None`: accept
    /// again), e.g. 451 to make the daemon retry, then `None` to let it through.
    /// Takes effect at the next RCPT; adds to the builder's `fail_rcpt` rules.
    pub fn set_fail_rcpt(&self, addr: &str, code: Option<u16>) {
        let path = self.dir().join("fail-rcpt");
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        let mut rules: Vec<String> = old
            .lines()
            .filter(|l| {
                !l.rsplit_once('=')
                    .is_some_and(|(a, _)| a.eq_ignore_ascii_case(addr))
            })
            .map(str::to_owned)
            .collect();
        if let Some(code) = code {
            assert!(
                (400..600).contains(&code),
                "set_fail_rcpt wants 4xx or 5xx, got {code}"
            );
            rules.push(format!("{addr}={code}"));
        }
        // Write then rename: the sink never reads a half-written file.
        let tmp = self.dir().join("fail-rcpt.tmp");
        std::fs::write(&tmp, rules.join("\n") + "\n").expect("write fail-rcpt");
        std::fs::rename(&tmp, &path).expect("rename fail-rcpt");
    }

    /// Submits `raw` over plain SMTP to the sink, which relays it to Dovecot,
    /// so it lands in each recipient's INBOX byte for byte (after the
    /// Return-Path, Delivered-To and Received lines Dovecot prepends). Panics
    /// on refusal.
    pub async fn deliver(&self, from: &str, to: &[&str], raw: &[u8]) {
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(self.smtp_port())
            .timeout(Some(IO_TIMEOUT));
        if let Some((user, password)) = &self.options.smtp_auth {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        let envelope = Envelope::new(
            Some(from.parse().expect("deliver: bad from address")),
            to.iter()
                .map(|t| t.parse().expect("deliver: bad to address"))
                .collect(),
        )
        .expect("deliver: envelope");
        if let Err(e) = builder.build().send_raw(&envelope, smtp_body(raw)).await {
            panic!(
                "deliver from {from} to {to:?} failed: {e}\n{}",
                self.smtp_log()
            );
        }
    }

    /// The raw messages in `user`'s INBOX, in UID order (empty if none). Reads
    /// with EXAMINE and BODY.PEEK so it changes no flags, not even \Recent,
    /// which the daemon under test may be watching.
    pub async fn inbox(&self, user: &str) -> Vec<Vec<u8>> {
        let what = format!("read {user}'s INBOX");
        let mut session = self.imap_login(user).await;
        let mailbox = timed(&what, session.examine("INBOX")).await;
        let mut messages = Vec::new();
        if mailbox.exists > 0 {
            let fetches: Vec<_> = timed(&what, async {
                session
                    .uid_fetch("1:*", "(UID BODY.PEEK[])")
                    .await?
                    .try_collect()
                    .await
            })
            .await;
            for f in &fetches {
                if let (Some(uid), Some(body)) = (f.uid, f.body()) {
                    messages.push((uid, body.to_vec()));
                }
            }
        }
        let _ = tokio::time::timeout(IO_TIMEOUT, session.logout()).await;
        messages.sort_by_key(|(uid, _)| *uid);
        messages.into_iter().map(|(_, body)| body).collect()
    }

    /// Polls [`inbox`](Self::inbox) every 50 ms until it holds at least `count`
    /// messages; panics after `timeout` saying how many arrived.
    pub async fn wait_for_mail(&self, user: &str, count: usize, timeout: Duration) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + timeout;
        loop {
            let messages = self.inbox(user).await;
            if messages.len() >= count {
                return messages;
            }
            if Instant::now() >= deadline {
                panic!(
                    "waited {timeout:?} for {count} message(s) in {user}'s INBOX, {} arrived\n\
                     {}",
                    messages.len(),
                    self.smtp_log(),
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// IMAP APPEND of `raw` to `user`'s `mailbox`, creating the mailbox first
    /// if needed: to put mail straight where a test wants it.
    pub async fn append(&self, user: &str, mailbox: &str, raw: &[u8]) {
        let what = format!("APPEND to {user}'s {mailbox}");
        let mut session = self.imap_login(user).await;
        if !mailbox.eq_ignore_ascii_case("INBOX") {
            // Fails if it exists already, which is fine; APPEND reports the rest.
            let _ = tokio::time::timeout(IO_TIMEOUT, session.create(mailbox)).await;
        }
        timed(&what, session.append(mailbox, None, None, raw)).await;
        let _ = tokio::time::timeout(IO_TIMEOUT, session.logout()).await;
    }

    /// `(uid, flags)` of every message in `user`'s `mailbox`, in UID order.
    /// Flags as IMAP spells them (`\Seen`, `$Forwarded`); `\Recent` is left out
    /// since it depends on which session looked first.
    pub async fn mailbox_flags(&self, user: &str, mailbox: &str) -> Vec<(u32, Vec<String>)> {
        let what = format!("read flags in {user}'s {mailbox}");
        let mut session = self.imap_login(user).await;
        let selected = timed(&what, session.examine(mailbox)).await;
        let mut out = Vec::new();
        if selected.exists > 0 {
            let fetches: Vec<_> = timed(&what, async {
                session
                    .uid_fetch("1:*", "(UID FLAGS)")
                    .await?
                    .try_collect()
                    .await
            })
            .await;
            for f in &fetches {
                if let Some(uid) = f.uid {
                    out.push((uid, f.flags().filter_map(flag_name).collect()));
                }
            }
        }
        let _ = tokio::time::timeout(IO_TIMEOUT, session.logout()).await;
        out.sort_by_key(|(uid, _)| *uid);
        out
    }

    /// A logged-in IMAP session over plain TCP.
    pub async fn imap_login(&self, user: &str) -> async_imap::Session<TcpStream> {
        let what = format!("IMAP login as {user}");
        let tcp = timed(&what, TcpStream::connect(("127.0.0.1", self.imap_port()))).await;
        let mut client = async_imap::Client::new(tcp);
        // async-imap does not read the greeting itself.
        timed(&what, client.read_response()).await;
        match tokio::time::timeout(IO_TIMEOUT, client.login(user, PASSWORD)).await {
            Ok(Ok(session)) => session,
            Ok(Err((e, _))) => panic!("{what}: {e}\n{}", self.dovecot_log()),
            Err(_) => panic!(
                "{what}: timed out after {IO_TIMEOUT:?}\n{}",
                self.dovecot_log()
            ),
        }
    }

    /// The SMTP sink's log so far (each accepted message, refusals), for panic messages.
    pub fn smtp_log(&self) -> String {
        let path = self.dir().join("smtp-sink.log");
        format!("--- {} ---\n{}", path.display(), read_log(&path))
    }

    /// Dovecot's log so far, for panic messages.
    pub fn dovecot_log(&self) -> String {
        format!(
            "--- dovecot.log ---\n{}",
            read_log(&self.dir().join("dovecot.log"))
        )
    }
}

impl Drop for MailStack {
    fn drop(&mut self) {
        self.kill_dovecot();
        self.kill_smtp();
        // `dir` is removed after this, when the fields drop.
    }
}

/// Waits for a sink's READY line; its log in the error if it dies or stalls.
async fn wait_ready(sink: &mut Sink) -> Result<(), StartError> {
    let stdout = sink.child.stdout.take().expect("sink stdout is piped");
    // A blocking read on a thread; it ends at READY or when the sink dies
    // (EOF), so it never outlives the stack.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line.trim() == "READY" {
                let _ = tx.send(());
                break;
            }
        }
    });
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if rx.try_recv().is_ok() {
            return Ok(());
        }
        let what = match sink.child.try_wait().expect("wait smtp sink") {
            Some(status) => format!("smtp sink exited with {status}"),
            None if Instant::now() > deadline => {
                format!("smtp sink not ready after {START_TIMEOUT:?}")
            }
            None => {
                tokio::time::sleep(POLL).await;
                continue;
            }
        };
        let log = format!(
            "{what}\n--- {} ---\n{}",
            sink.log_path.display(),
            read_log(&sink.log_path)
        );
        return Err(if addr_in_use(&log) {
            StartError::AddrInUse(log)
        } else {
            StartError::Failed(log)
        });
    }
}

/// Dovecot says "Address already in use", Python "address already in use".
fn addr_in_use(log: &str) -> bool {
    log.to_ascii_lowercase().contains("address already in use")
}

fn kill_group(child: &mut Child) {
    // Negative pid: the whole process group (see `process_group(0)`). The
    // shell's builtin, since slim images lack procps' kill (and dash's builtin
    // does not take `--`).
    let _ = Command::new("/bin/sh")
        .arg("-c")
        .arg(format!("kill -9 -{}", child.id()))
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

/// What to hand lettre's `send_raw` so the server receives exactly `raw`:
/// lettre always ends DATA with `\r\n.\r\n`, which would add an empty line
/// to a message that already ends with CRLF (as messages on the wire do).
pub fn smtp_body(raw: &[u8]) -> &[u8] {
    raw.strip_suffix(b"\r\n").unwrap_or(raw)
}

async fn connectable(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).await.is_ok()
}

/// Awaits `fut` within [`IO_TIMEOUT`]; panics naming `what` on error or timeout.
async fn timed<T, E: std::fmt::Display>(
    what: &str,
    fut: impl std::future::Future<Output = Result<T, E>>,
) -> T {
    match tokio::time::timeout(IO_TIMEOUT, fut).await {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => panic!("{what}: {e}"),
        Err(_) => panic!("{what}: timed out after {IO_TIMEOUT:?}"),
    }
}

fn read_log(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| format!("(cannot read {}: {e})", path.display()))
}

fn flag_name(flag: Flag<'_>) -> Option<String> {
    Some(match flag {
        Flag::Seen => "\\Seen".into(),
        Flag::Answered => "\\Answered".into(),
        Flag::Flagged => "\\Flagged".into(),
        Flag::Deleted => "\\Deleted".into(),
        Flag::Draft => "\\Draft".into(),
        Flag::Recent => return None,
        Flag::MayCreate => "\\*".into(),
        Flag::Custom(name) => name.into_owned(),
    })
}

/// A test CA, and a leaf for `localhost` / `127.0.0.1` that it signed: rustls
/// refuses a self-signed CA certificate used directly as a server certificate.
fn write_certs(dir: &Path) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.distinguished_name
        .push(DnType::CommonName, "posko test CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).expect("self-sign CA");
    let issuer = Issuer::new(ca, ca_key);

    let leaf_key = KeyPair::generate().expect("leaf key");
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .expect("leaf params");
    leaf.distinguished_name
        .push(DnType::CommonName, "localhost");
    leaf.is_ca = IsCa::ExplicitNoCa;
    leaf.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.use_authority_key_identifier_extension = true;
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).expect("sign leaf");

    std::fs::write(dir.join("ca.pem"), ca_cert.pem()).expect("write ca.pem");
    std::fs::write(dir.join("cert.pem"), leaf_cert.pem()).expect("write cert.pem");
    std::fs::write(dir.join("key.pem"), leaf_key.serialize_pem()).expect("write key.pem");
}

/// The verified loopback configuration from MAILSTACK.md, with TLS on.
fn dovecot_conf(dir: &Path, ports: &Ports) -> String {
    let d = dir.display();
    format!(
        r#"# Written by tests/it/harness/mailstack.rs for one test.
# Unique instance_name and base_dir: many stacks run side by side.
instance_name = {instance}
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = yes
ssl_cert = <{d}/cert.pem
ssl_key = <{d}/key.pem
# Plain IMAP with LOGIN is allowed (loopback); STARTTLS is offered too.
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
default_internal_group = dovecot
mail_location = maildir:{d}/mail/%n/Maildir
# A test's mail need not survive a power cut: no fsync per delivered
# message (the sink's LMTP relay is the suite's slowest mail path).
mail_fsync = never
first_valid_uid = 0
first_valid_gid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%n {d}/users
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={d}/mail/%n
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps}
    ssl = yes
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp}
  }}
}}
service anvil {{
  chroot =
}}
protocol lmtp {{
  # alice@corp.test -> alice
  auth_username_format = %n
}}
"#,
        instance = dir.file_name().unwrap_or_default().to_string_lossy(),
        imap = ports.imap,
        imaps = ports.imaps,
        lmtp = ports.lmtp,
    )
}
