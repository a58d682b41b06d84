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

/// The CPU time (user + system) this process has used so far, in ms: all
/// its threads, the parsing thread's included. Taken before and after a
/// pass, it says what the pass cost posko whatever else the machine ran.
pub(crate) fn process_cpu_ms() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) } != 0 {
        return f64::NAN;
    }
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1e3 + t.tv_usec as f64 / 1e3;
    ms(u.ru_utime) + ms(u.ru_stime)
}
