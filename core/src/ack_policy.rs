//! Which acknowledgments may go out. Pure.
//!
//! The helpdesk address is public and From is easy to forge, so an
//! acknowledgment is mail the desk sends, from its own domain and quoting
//! the sender's subject, to whatever address a stranger wrote. Three limits
//! keep the desk from becoming a relay for that (backscatter):
//!
//! - at most `desk.ack_limit` to one address within `desk.ack_window`;
//! - at most `desk.ack_limit_total` from the whole desk within the window
//!   (50 forged senders get no more than the cap between them);
//! - with `desk.requester_domains`, none to addresses outside those domains.
//!
//! A message refused an acknowledgment still becomes a ticket; the reason is
//! recorded as an `ack_suppressed` event.

use std::time::Duration;

use crate::domain::EmailAddress;

/// The desk's limits on acknowledgments (`desk.ack_limit`,
/// `desk.ack_limit_total`, `desk.ack_window`, `desk.requester_domains`).
#[derive(Debug, Clone, Copy)]
pub struct AckLimits<'a> {
    pub limit: u32,
    pub limit_total: u32,
    pub window: Duration,
    pub requester_domains: &'a [String],
}

/// Acknowledgments already queued within `desk.ack_window`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AckCount {
    /// To the address about to be answered.
    pub sender: i64,
    /// By the whole desk.
    pub total: i64,
}

/// Why no acknowledgment may go to `to` now, having sent `sent`; `None`
/// when one may. The reason is for the ticket's events (staff and the
/// admin read it), in the words the README uses.
pub fn refusal<'a>(
    limits: impl Into<AckLimits<'a>>,
    to: &EmailAddress,
    sent: AckCount,
) -> Option<String> {
    let desk = limits.into();
    let window = desk.window.as_secs();
    if !desk.requester_domains.is_empty() && !in_domains(to, desk.requester_domains) {
        return Some(format!(
            "requester_domains: {} is not in {} (desk.requester_domains)",
            to.domain(),
            desk.requester_domains.join(", ")
        ));
    }
    if sent.sender >= desk.limit as i64 {
        return Some(format!(
            "rate limit: {} acknowledgments to {to} within {window}s (desk.ack_limit = {})",
            sent.sender, desk.limit
        ));
    }
    if sent.total >= desk.limit_total as i64 {
        return Some(format!(
            "desk-wide limit: {} acknowledgments within {window}s (desk.ack_limit_total = {})",
            sent.total, desk.limit_total
        ));
    }
    None
}

/// Whether `addr` is at one of `domains` or a subdomain of one
/// (`jkt.corp.test` is in `corp.test`; `evilcorp.test` is not).
pub fn in_domains(addr: &EmailAddress, domains: &[String]) -> bool {
    let domain = addr.domain().to_ascii_lowercase();
    domains.iter().any(|d| {
        domain == *d
            || domain
                .strip_suffix(d.as_str())
                .is_some_and(|head| head.ends_with('.'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desk(domains: &[&str]) -> (Vec<String>, Duration) {
        let domains = domains.iter().map(|d| d.to_string()).collect();
        (domains, Duration::from_secs(600))
    }

    fn limits(d: &(Vec<String>, Duration)) -> AckLimits<'_> {
        AckLimits {
            limit: 5,
            limit_total: 20,
            window: d.1,
            requester_domains: &d.0,
        }
    }

    fn addr(s: &str) -> EmailAddress {
        EmailAddress::parse(s).unwrap()
    }

    #[test]
    fn under_both_limits_an_acknowledgment_goes_out() {
        let d = desk(&[]);
        let a = addr("alice@corp.test");
        assert_eq!(refusal(limits(&d), &a, AckCount::default()), None);
        assert_eq!(
            refusal(
                limits(&d),
                &a,
                AckCount {
                    sender: 4,
                    total: 19
                }
            ),
            None
        );
    }

    #[test]
    fn the_per_sender_limit_and_the_desk_wide_cap() {
        let d = desk(&[]);
        let a = addr("alice@corp.test");
        let r = refusal(
            limits(&d),
            &a,
            AckCount {
                sender: 5,
                total: 5,
            },
        )
        .unwrap();
        assert!(
            r.starts_with("rate limit: 5 acknowledgments to alice@corp.test"),
            "{r}"
        );
        let r = refusal(
            limits(&d),
            &a,
            AckCount {
                sender: 0,
                total: 20,
            },
        )
        .unwrap();
        assert!(
            r.starts_with("desk-wide limit: 20 acknowledgments within 600s"),
            "{r}"
        );
        assert!(r.contains("desk.ack_limit_total = 20"), "{r}");
    }

    #[test]
    fn requester_domains_limit_who_is_answered() {
        let d = desk(&["corp.test", "mitra.co.id"]);
        for ok in ["alice@corp.test", "x@jkt.corp.test", "y@MITRA.co.id"] {
            assert_eq!(
                refusal(limits(&d), &addr(ok), AckCount::default()),
                None,
                "{ok}"
            );
        }
        for no in ["m@outside.test", "m@evilcorp.test", "m@corp.test.evil.test"] {
            let r = refusal(limits(&d), &addr(no), AckCount::default()).unwrap();
            assert!(r.starts_with("requester_domains: "), "{no}: {r}");
        }
    }
}
