//! Durations and sizes as people write them in the configuration:
//! `"1h30m"`, `"25MB"`.

use std::time::Duration;

/// Parses "90s", "10m", "8h", "14d" or combinations such as "1h30m".
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err("empty duration: write e.g. \"30s\", \"10m\", \"8h\" or \"14d\"".into());
    }
    let mut total_ms: u64 = 0;
    let mut rest = v;
    while !rest.is_empty() {
        rest = rest.trim_start();
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let unit_len = rest[digits..]
            .bytes()
            .take_while(u8::is_ascii_alphabetic)
            .count();
        let (number, unit) = (&rest[..digits], &rest[digits..digits + unit_len]);
        if unit.is_empty() {
            return Err(match rest[digits..].chars().next() {
                Some(c) => format!("{value:?}: unknown unit {c:?} (use ms, s, m, h, d)"),
                None => format!("{value:?}: the number {number} has no unit (ms, s, m, h, d)"),
            });
        }
        let ms_per: u64 = match unit {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => {
                return Err(format!(
                    "{value:?}: unknown unit {unit:?} (use ms, s, m, h, d)"
                ));
            }
        };
        let n: u64 = number
            .parse()
            .map_err(|_| format!("{value:?}: a number must come before {unit:?}"))?;
        total_ms = total_ms.saturating_add(n.saturating_mul(ms_per));
        rest = &rest[digits + unit_len..];
    }
    Ok(Duration::from_millis(total_ms))
}

/// Parses "25MB", "512KB", "1GiB" or a plain number of bytes.
pub fn parse_size(value: &str) -> Result<u64, String> {
    let v = value.trim();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{value:?} is not a size such as \"25MB\""))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => 1024 * 1024,
        "g" | "gb" | "gib" => 1024 * 1024 * 1024,
        other => {
            return Err(format!(
                "{value:?}: unknown unit {other:?} (use KB, MB or GB)"
            ));
        }
    };
    Ok(n.saturating_mul(mult))
}
