//! Shared test harness: real mail servers, fresh databases, the posko binary.

pub mod fleet;
pub mod mail;
pub mod mailstack;
pub mod oauth;
pub mod posko;
pub mod stall;

use std::path::{Path, PathBuf};

/// Where a test puts directories that another user's processes must reach
/// (Dovecot's `dovecot`/`dovenull`, PostgreSQL's `postgres`): the temp dir,
/// unless it or a directory above it keeps other users out (a `TMPDIR`
/// made by `mktemp -d` is 0700), then `/tmp`. Without this, Dovecot's
/// LMTP refuses every delivery and the tests fail far from the cause.
pub fn shared_temp_root() -> PathBuf {
    let tmp = std::env::temp_dir();
    if reachable_by_others(&tmp) {
        tmp
    } else {
        PathBuf::from("/tmp")
    }
}

/// Whether every directory from `/` down to `dir` lets other users pass.
fn reachable_by_others(dir: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    dir.ancestors().all(|d| {
        std::fs::metadata(d)
            .map(|m| m.permissions().mode() & 0o001 != 0)
            .unwrap_or(false)
    })
}
