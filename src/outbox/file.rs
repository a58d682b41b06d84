//! The file transport's writer: each mail an `.eml` file in a directory,
//! a claimed batch at a time, durably.
//!
//! Why a batch: one blocking task, one `mkdir` and three flushes for the
//! whole batch instead of a hand-off, a `mkdir` and (to be durable) a
//! flush per mail. A flush is a journal commit of the file system, some
//! milliseconds on a virtual disk, and was most of the pass's time.
//!
//! The order makes a crash safe at every point:
//! 1. every mail is written to a hidden `.NAME.tmp`;
//! 2. their data is flushed (`syncfs` on Linux: one journal commit for all
//!    of them; elsewhere an `fsync` per file);
//! 3. each is renamed to `NAME.eml`, so a reader never sees a half-written
//!    or empty mail, not even after a power cut;
//! 4. the directory is flushed, so the renames themselves are on disk.
//!
//! Only then does the caller mark the rows sent. A crash before that
//! leaves the rows claimed: they are written again after their lease,
//! under the same names (the file is replaced, not doubled): at worst
//! resent, never lost.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One mail to write: its file name without `.eml`, and its bytes.
pub struct Item {
    pub name: String,
    pub raw: Vec<u8>,
}

/// Writes `items` into `dir` as described in the module header. The
/// outcome of each item, in order: `Err` (why) means not written durably,
/// to be tried again. Blocking: run it off the async threads.
pub fn write_batch(dir: &Path, items: &[Item]) -> Vec<Result<(), String>> {
    if let Err(e) = std::fs::create_dir_all(dir) {
        let why = format!("cannot create {}: {e}", dir.display());
        return items.iter().map(|_| Err(why.clone())).collect();
    }
    let mut out: Vec<Result<(), String>> = items.iter().map(|i| write_tmp(dir, i)).collect();
    if let Err(why) = flush_data(dir, items, &out) {
        return items.iter().map(|_| Err(why.clone())).collect();
    }
    for (item, r) in items.iter().zip(out.iter_mut()) {
        if r.is_ok() {
            let (tmp, file) = (tmp_path(dir, &item.name), eml_path(dir, &item.name));
            *r = std::fs::rename(&tmp, &file)
                .map_err(|e| format!("cannot rename to {}: {e}", file.display()));
        }
    }
    // The renames are durable only once the directory is.
    if out.iter().any(|r| r.is_ok())
        && let Err(e) = File::open(dir).and_then(|d| d.sync_all())
    {
        let why = format!("cannot flush {}: {e}", dir.display());
        return items.iter().map(|_| Err(why.clone())).collect();
    }
    out
}

fn tmp_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(".{name}.tmp"))
}

fn eml_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.eml"))
}

fn write_tmp(dir: &Path, item: &Item) -> Result<(), String> {
    let tmp = tmp_path(dir, &item.name);
    let mut f = File::create(&tmp).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    f.write_all(&item.raw)
        .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    // Without syncfs each file is flushed on its own (slower, as durable).
    #[cfg(not(target_os = "linux"))]
    f.sync_all()
        .map_err(|e| format!("cannot flush {}: {e}", tmp.display()))?;
    Ok(())
}

/// Step 2: the data of the files written is on disk. `syncfs` flushes the
/// whole file system that holds `dir` in one commit, where an `fsync` per
/// file would commit the journal once per mail.
#[cfg(target_os = "linux")]
fn flush_data(dir: &Path, _items: &[Item], written: &[Result<(), String>]) -> Result<(), String> {
    use std::os::fd::AsRawFd;
    if !written.iter().any(|r| r.is_ok()) {
        return Ok(());
    }
    let d = File::open(dir).map_err(|e| format!("cannot open {}: {e}", dir.display()))?;
    // SAFETY: `syncfs` only reads the descriptor, which `d` keeps open.
    if unsafe { libc::syncfs(d.as_raw_fd()) } != 0 {
        let e = std::io::Error::last_os_error();
        return Err(format!("cannot flush {}: {e}", dir.display()));
    }
    Ok(())
}

/// Step 2 elsewhere: each file was flushed as it was written.
#[cfg(not(target_os = "linux"))]
fn flush_data(_dir: &Path, _items: &[Item], _written: &[Result<(), String>]) -> Result<(), String> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(n: usize, tag: &str) -> Vec<Item> {
        (0..n)
            .map(|i| Item {
                name: format!("{i:08}-ack"),
                raw: format!("Subject: {tag} {i}\r\n\r\nx\r\n").into_bytes(),
            })
            .collect()
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    /// Every mail a file with its bytes; no temporary file left behind.
    #[test]
    fn writes_each_mail_as_one_eml_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        let batch = items(120, "first");
        let out = write_batch(&dir, &batch);
        assert!(out.iter().all(|r| r.is_ok()), "{out:?}");
        let names = listing(&dir);
        assert_eq!(names.len(), 120);
        assert!(names.iter().all(|n| n.ends_with(".eml")), "{names:?}");
        let first = std::fs::read(dir.join("00000000-ack.eml")).unwrap();
        assert_eq!(first, batch[0].raw);
    }

    /// A batch written again (a crash before the rows were marked sent)
    /// replaces its files: none doubled, the new bytes in place.
    #[test]
    fn a_batch_written_again_replaces_its_files() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        assert!(
            write_batch(&dir, &items(10, "old"))
                .iter()
                .all(|r| r.is_ok())
        );
        // A crash between steps 1 and 3 of the first try left a temporary.
        std::fs::write(tmp_path(&dir, "00000003-ack"), b"half").unwrap();
        let again = items(10, "new");
        assert!(write_batch(&dir, &again).iter().all(|r| r.is_ok()));
        assert_eq!(listing(&dir).len(), 10);
        let third = std::fs::read(dir.join("00000003-ack.eml")).unwrap();
        assert_eq!(third, again[3].raw);
    }

    /// A directory that cannot be made: every mail fails (and is retried),
    /// none is reported written.
    #[test]
    fn an_unusable_directory_fails_every_mail() {
        let tmp = tempfile::tempdir().unwrap();
        let blocker = tmp.path().join("file");
        std::fs::write(&blocker, b"not a directory").unwrap();
        let out = write_batch(&blocker.join("out"), &items(3, "x"));
        assert_eq!(out.len(), 3);
        assert!(out.iter().all(|r| r.is_err()), "{out:?}");
    }

    /// One mail that cannot be written fails alone; the others are written.
    #[test]
    fn one_bad_mail_fails_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let mut batch = items(3, "x");
        // A name with a path in it whose folder does not exist.
        batch[1].name = "missing/00000001-ack".into();
        let out = write_batch(&dir, &batch);
        assert!(out[0].is_ok() && out[2].is_ok(), "{out:?}");
        assert!(out[1].is_err());
        assert_eq!(listing(&dir), vec!["00000000-ack.eml", "00000002-ack.eml"]);
    }
}
