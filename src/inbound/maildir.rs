//! The Maildir source (the embedded default): new mail is read from `new/`
//! and moved to `cur/` once its ticket is committed (the intake worker,
//! [`crate::workers::maildir`], does both around the ingest).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// A Maildir folder (with `new/`, `cur/`, `tmp/`).
#[derive(Clone)]
pub struct Maildir {
    root: PathBuf,
}

impl Maildir {
    /// Opens the folder, creating it and its three subfolders when missing.
    pub fn open(root: &Path) -> Result<Maildir> {
        for sub in ["new", "cur", "tmp"] {
            let d = root.join(sub);
            std::fs::create_dir_all(&d)
                .with_context(|| format!("cannot create the Maildir folder {}", d.display()))?;
        }
        Ok(Maildir {
            root: root.to_path_buf(),
        })
    }

    /// Files waiting in `new/`, oldest name first (Maildir names start with
    /// the delivery time, so name order is arrival order).
    pub fn pending(&self) -> Result<Vec<PathBuf>> {
        let dir = self.root.join("new");
        let mut files = Vec::new();
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))?
        {
            let entry = entry?;
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') || !entry.file_type()?.is_file() {
                continue;
            }
            files.push(entry.path());
        }
        files.sort();
        Ok(files)
    }

    /// Moves a message from `new/` to `cur/`, marked seen (`:2,S`), or
    /// flagged as well (`:2,FS`) when it needs a person's attention.
    pub fn mark_done(&self, file: &Path, flagged: bool) -> Result<()> {
        let name = file
            .file_name()
            .context("Maildir entry without a name")?
            .to_string_lossy()
            .to_string();
        let base = name.split(":2,").next().unwrap_or(&name);
        let flags = if flagged { "FS" } else { "S" };
        let target = self.root.join("cur").join(format!("{base}:2,{flags}"));
        std::fs::rename(file, &target)
            .with_context(|| format!("cannot move {} to {}", file.display(), target.display()))
    }

    /// Delivers `raw` into `new/` the Maildir way (write in `tmp/`, then
    /// rename), for tests, benchmarks and `posko` tools.
    pub fn deliver(&self, raw: &[u8]) -> Result<PathBuf> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let name = format!(
            "{}.M{}P{}Q{}.posko",
            now.as_secs(),
            now.subsec_micros(),
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let tmp = self.root.join("tmp").join(&name);
        std::fs::write(&tmp, raw)?;
        let new = self.root.join("new").join(&name);
        std::fs::rename(&tmp, &new)?;
        Ok(new)
    }
}

/// How much of an oversized message is read (its headers are what
/// quarantine keeps).
pub(crate) const OVERSIZE_HEAD: u64 = 64 * 1024;

/// Reads a message; an oversized one only up to a little more than the
/// limit, so memory stays bounded while ingest still sees it is too large.
pub(crate) fn read_message(file: &Path, max_size: u64) -> Result<(Vec<u8>, u64)> {
    use std::io::Read;
    let f = std::fs::File::open(file)?;
    let len = f.metadata()?.len();
    // The header block is all quarantine keeps of an oversized message.
    let want = if len > max_size { OVERSIZE_HEAD } else { len };
    let mut raw = Vec::with_capacity(want as usize);
    f.take(want).read_to_end(&mut raw)?;
    Ok((raw, len))
}
