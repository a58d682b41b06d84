//! Which configuration file a command reads when none is named.
//!
//! In order: `--config FILE` or `$POSKO_CONFIG` (clap reads both); else
//! `config/posko.toml` under the working directory, when it exists, so that
//! `cargo run -- run` in a checkout reads the repository's file; else the
//! packaged `/etc/posko/posko.toml`, so that an admin's `posko tickets list`
//! needs no flag. The working directory comes first because a checkout is
//! where someone deliberately runs a development build; the package's unit
//! runs in `/var/lib/posko`, which has no `config/`.

use std::path::{Path, PathBuf};

/// The development file, relative to the working directory.
pub const DEV_CONFIG_PATH: &str = "config/posko.toml";

/// The packaged file.
pub const SYSTEM_CONFIG_PATH: &str = "/etc/posko/posko.toml";

/// The file to read: `given` (flag or environment), else the first of
/// [`DEV_CONFIG_PATH`] and [`SYSTEM_CONFIG_PATH`] that `exists`, else the
/// system path (whose absence the loader reports by name).
pub fn config_path(given: Option<PathBuf>, exists: impl Fn(&Path) -> bool) -> PathBuf {
    if let Some(p) = given {
        return p;
    }
    let dev = Path::new(DEV_CONFIG_PATH);
    if exists(dev) {
        dev.to_path_buf()
    } else {
        PathBuf::from(SYSTEM_CONFIG_PATH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_file_wins_over_both_defaults() {
        let p = config_path(Some("/srv/desk.toml".into()), |_| true);
        assert_eq!(p, PathBuf::from("/srv/desk.toml"));
    }

    #[test]
    fn a_checkout_reads_its_own_file() {
        let p = config_path(None, |p| p == Path::new(DEV_CONFIG_PATH));
        assert_eq!(p, PathBuf::from(DEV_CONFIG_PATH));
    }

    #[test]
    fn elsewhere_the_packaged_file_is_read() {
        assert_eq!(
            config_path(None, |_| false),
            PathBuf::from(SYSTEM_CONFIG_PATH)
        );
        let only_system = |p: &Path| p == Path::new(SYSTEM_CONFIG_PATH);
        assert_eq!(
            config_path(None, only_system),
            PathBuf::from(SYSTEM_CONFIG_PATH)
        );
    }
}
