//! `[escalation]`: warning thresholds, the escalation chain, the step
//! interval and the scan interval, validated here and nowhere else.

use serde::Deserialize;

use super::validator::Validator;
use super::{ConfigError, Staff};
use crate::catalogue::Catalogue;
use crate::sla::due::{Policy, Recipient};

/// `[escalation]` as written in the file.
///
/// ```toml
/// [escalation]
/// warn_at = [0.75]
/// ```
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEscalation {
    /// Fractions of the target; default `[0.75]`; `[]` sends no warnings.
    warn_at: Option<Vec<f64>>,
    /// Who a breach climbs to, step by step (see [`crate::sla::scan`]).
    chain: Option<Vec<String>>,
    /// Each further step after another `every` × target of business time.
    every: Option<f64>,
    /// How often the daemon scans for due clocks, e.g. `"30s"`.
    scan_interval: Option<String>,
}

impl Validator<'_> {
    /// `[escalation]`: thresholds, the chain (entries must name configured
    /// staff and groups), the step interval and the scan interval.
    pub(super) fn escalation(
        &self,
        mut raw: RawEscalation,
        catalogue: &Catalogue,
        staff: &[Staff],
    ) -> Result<Policy, ConfigError> {
        let defaults = Policy::default();
        let chain = match raw.chain.take() {
            None => defaults.chain,
            Some(list) => {
                let mut chain = Vec::new();
                for (i, entry) in list.iter().enumerate() {
                    let key = format!("escalation.chain[{i}]");
                    let r = Recipient::parse(entry).map_err(|why| self.err(&key, why))?;
                    match &r {
                        Recipient::Staff(h) if !staff.iter().any(|s| &s.handle == h) => {
                            return Err(self.err(
                                &key,
                                format!("{h:?} is not a staff handle (nor group, assignee, managers, group:KEY, level:N or an address)"),
                            ));
                        }
                        Recipient::GroupKey(g) if catalogue.group(g).is_none() => {
                            return Err(
                                self.err(&key, format!("{g:?} is not a configured [[group]]"))
                            );
                        }
                        _ => {}
                    }
                    chain.push(r);
                }
                chain
            }
        };
        let every = match raw.every.take() {
            None => defaults.every,
            Some(f) if f.is_finite() && f > 0.0 && f <= 100.0 => f,
            Some(f) => {
                return Err(self.err(
                    "escalation.every",
                    format!("{f} is not a positive fraction of the target (e.g. 0.5)"),
                ));
            }
        };
        let scan_interval = match raw.scan_interval.take() {
            None => defaults.scan_interval,
            Some(v) => {
                let d = self.duration("escalation.scan_interval", &v)?;
                if d.is_zero() {
                    return Err(self.err("escalation.scan_interval", "must be longer than zero"));
                }
                d
            }
        };
        let warn_at = self.warn_at(raw.warn_at.take())?;
        Ok(Policy {
            warn_at,
            chain,
            every,
            scan_interval,
        })
    }

    /// `escalation.warn_at`: each threshold strictly between 0 and 1;
    /// sorted, duplicates dropped.
    fn warn_at(&self, raw: Option<Vec<f64>>) -> Result<Vec<f64>, ConfigError> {
        let Some(mut warn_at) = raw else {
            return Ok(crate::sla::DEFAULT_WARN_AT.to_vec());
        };
        for (i, f) in warn_at.iter().enumerate() {
            if !(f.is_finite() && *f > 0.0 && *f < 1.0) {
                return Err(self.err(
                    &format!("escalation.warn_at[{i}]"),
                    format!("{f} is not a fraction between 0 and 1 (e.g. 0.75 for 75 %)"),
                ));
            }
        }
        warn_at.sort_by(f64::total_cmp);
        warn_at.dedup();
        Ok(warn_at)
    }
}
