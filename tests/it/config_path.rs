//! Issue 14: which configuration file a command reads without `--config`
//! (`--config`, else `$POSKO_CONFIG`, else `./config/posko.toml`, else
//! `/etc/posko/posko.toml`), and `posko check`'s lines on the web listener.

use std::path::Path;
use std::process::{Command, Output};

use crate::harness::posko::free_port;

/// A configuration that needs no server: Maildir in, files out, and the
/// web listener on `port` (and the ops listener on `ops`, when given).
fn config(desk: &str, port: u16, ops: Option<u16>) -> String {
    let ops = ops.map_or(String::new(), |p| {
        format!("ops_listen = \"127.0.0.1:{p}\"\n")
    });
    format!(
        "[desk]\nname = \"{desk}\"\naddress = \"helpdesk@corp.test\"\n\
         [database]\nurl = \"sqlite://var/posko.db\"\n\
         [inbound]\nkind = \"maildir\"\npath = \"var/mail\"\n\
         [outbound]\nkind = \"file\"\npath = \"var/outbox\"\n\
         [web]\nlisten = \"127.0.0.1:{port}\"\n{ops}"
    )
}

/// `posko check` in `dir`, without `POSKO_CONFIG` unless `env` sets it.
fn check(dir: &Path, args: &[&str], env: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_posko"));
    c.args(args)
        .arg("check")
        .current_dir(dir)
        .env_remove("POSKO_CONFIG");
    if let Some(v) = env {
        c.env("POSKO_CONFIG", v);
    }
    c.output().expect("run posko check")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

#[test]
fn without_config_a_checkout_reads_its_own_file_and_the_flag_and_env_win() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("config")).unwrap();
    let port = free_port();
    std::fs::write(
        dir.path().join("config/posko.toml"),
        config("Checkout", port, None),
    )
    .unwrap();
    std::fs::write(dir.path().join("env.toml"), config("Env", port, None)).unwrap();
    std::fs::write(dir.path().join("flag.toml"), config("Flag", port, None)).unwrap();

    let out = check(dir.path(), &[], None);
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("ok    configuration: config/posko.toml is valid"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "ok    web: http://127.0.0.1:{port} (survey pages, /healthz, /readyz, /metrics) is free to bind"
        )),
        "{text}"
    );

    let text = stdout(&check(dir.path(), &[], Some("env.toml")));
    assert!(
        text.contains("ok    configuration: env.toml is valid"),
        "{text}"
    );
    let text = stdout(&check(
        dir.path(),
        &["--config", "flag.toml"],
        Some("env.toml"),
    ));
    assert!(
        text.contains("ok    configuration: flag.toml is valid"),
        "{text}"
    );
}

#[test]
fn elsewhere_the_packaged_file_is_read() {
    if Path::new("/etc/posko/posko.toml").exists() {
        eprintln!("skipped: this machine has /etc/posko/posko.toml");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = check(dir.path(), &[], None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(78), "{err}");
    assert!(
        err.contains("/etc/posko/posko.toml") && err.contains("cannot read the file"),
        "{err}"
    );
}

/// `posko check` names both listeners; a taken address is a warning (the
/// running daemon holds it), not a failure.
#[test]
fn check_shows_the_listeners_and_whether_they_are_free() {
    let dir = tempfile::tempdir().unwrap();
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = held.local_addr().unwrap().port();
    let ops = free_port();
    std::fs::write(
        dir.path().join("posko.toml"),
        config("Desk", port, Some(ops)),
    )
    .unwrap();
    let out = check(dir.path(), &["--config", "posko.toml"], None);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!(
            "warn  web: http://127.0.0.1:{port} (survey pages) is in use"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "ok    web ops: http://127.0.0.1:{ops} (/healthz, /readyz, /metrics) is free to bind"
        )),
        "{text}"
    );
    drop(held);
}
