//! The Maildir source (the embedded default): new mail is read from `new/`
//! and moved to `cur/` once its ticket is committed.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tracing::warn;

use super::{PassStats, batches};
use crate::ingest::{Incoming, Ingestor};

/// A Maildir folder (with `new/`, `cur/`, `tmp/`).
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
const OVERSIZE_HEAD: u64 = 64 * 1024;

/// One pass: takes in everything waiting in `new/`.
pub async fn pass(md: &Maildir, ingestor: &Ingestor, max_size: u64, now: i64) -> Result<PassStats> {
    let mut stats = PassStats::default();
    let files = md.pending()?;
    // What each file costs in memory: an oversized one only its head.
    let sizes = files.iter().map(|f| {
        let len = std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
        if len > max_size { OVERSIZE_HEAD } else { len }
    });
    let mut start = 0;
    for n in batches(sizes) {
        let chunk = &files[start..start + n];
        start += n;
        let mut items = Vec::with_capacity(chunk.len());
        let mut paths = Vec::with_capacity(chunk.len());
        for file in chunk {
            let (raw, size) = match read_message(file, max_size) {
                Ok(r) => r,
                Err(e) => {
                    // Vanished (another instance took it) or unreadable:
                    // leave it, it is not lost, and say so.
                    warn!(file = %file.display(), error = %format!("{e:#}"), "cannot read Maildir message");
                    stats.deferred += 1;
                    continue;
                }
            };
            let name = file
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            let mut item = Incoming::new(raw, format!("maildir:{name}"));
            item.size = size;
            items.push(item);
            paths.push(file);
        }
        stats.fetched += items.len() as u32;
        let outcomes = ingestor.ingest_batch(items, now).await;
        for (path, outcome) in paths.iter().zip(outcomes) {
            match outcome {
                Ok(o) => {
                    stats.count(&o);
                    let flagged = matches!(o, crate::ingest::Outcome::Quarantined { .. });
                    md.mark_done(path, flagged)?;
                }
                Err(e) => {
                    warn!(file = %path.display(), error = %format!("{e:#}"), "message left in new/ for the next pass");
                    stats.deferred += 1;
                }
            }
        }
    }
    Ok(stats)
}

/// Reads a message; an oversized one only up to a little more than the
/// limit, so memory stays bounded while ingest still sees it is too large.
fn read_message(file: &Path, max_size: u64) -> Result<(Vec<u8>, u64)> {
    use std::io::Read;
    let f = std::fs::File::open(file)?;
    let len = f.metadata()?.len();
    // The header block is all quarantine keeps of an oversized message.
    let want = if len > max_size { OVERSIZE_HEAD } else { len };
    let mut raw = Vec::with_capacity(want as usize);
    f.take(want).read_to_end(&mut raw)?;
    Ok((raw, len))
}
