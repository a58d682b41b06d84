//! Peak and current resident memory, read from `/proc/self/status`.

/// Resets the peak resident set (Linux: `5` to `clear_refs`) and returns
/// the current resident set in MB.
pub(crate) fn reset_peak_rss() -> f64 {
    if let Err(e) = std::fs::write("/proc/self/clear_refs", "5") {
        eprintln!("warning: cannot reset the peak RSS ({e}); it includes generation");
    }
    proc_status_mb("VmRSS")
}

/// `VmHWM` (the peak resident set) in MB.
pub(crate) fn peak_rss_mb() -> f64 {
    proc_status_mb("VmHWM")
}

pub(crate) fn proc_status_mb(key: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| {
            let rest = l.strip_prefix(key)?.strip_prefix(':')?;
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}
