//! The pure digest end to end: crafted figures → sections → text and HTML,
//! in both languages.

use chrono::NaiveDate;

use super::figures::*;
use super::period::{Period, midnight};
use super::problems::{Candidate, Reason};
use super::render::Templates;
use super::sections::{ChartRef, Labels, build};
use crate::config::Language;

const TZ: chrono_tz::Tz = chrono_tz::Asia::Jakarta;

fn tuesday() -> Period {
    let date = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let first_day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    Period {
        date,
        start: midnight(first_day, TZ),
        end: midnight(date, TZ),
        first_day,
    }
}

fn labels() -> Labels {
    Labels {
        desk: "Helpdesk Diskominfo".into(),
        tag: "Helpdesk".into(),
        priorities: [(1, "1 (tinggi)".into()), (2, "2 (sedang)".into())].into(),
        groups: [("network".into(), "Jaringan".into())].into(),
        staff: [("budi".into(), "Budi Santoso".into())].into(),
        scope: None,
    }
}

fn ticket(id: i64, subject: &str, hours_old: i64) -> TicketLine {
    TicketLine {
        id,
        subject: subject.into(),
        priority: Some(1),
        group: Some("network".into()),
        assignee: Some("budi".into()),
        created_at: tuesday().end - hours_old * 3600,
    }
}

fn busy_day() -> Figures {
    let hostile = "<script>alert(1)</script> VPN & \"DNS\" mati";
    Figures {
        new: Count::new(12, vec![10, 10, 10, 10]),
        resolved: Count::new(8, vec![8, 8]),
        closed: Count::new(3, vec![]),
        reopened: Count::new(1, vec![0, 0, 0, 0]),
        backlog: Count::new(20, vec![25, 25, 25, 25]),
        sla: vec![SlaRow {
            priority: Some(1),
            response: Share {
                met: 19,
                decided: 20,
            },
            resolution: Share { met: 3, decided: 4 },
            response_mtd: Share {
                met: 180,
                decided: 200,
            },
            resolution_mtd: Share::default(),
        }],
        breaches: vec![Breach {
            ticket: ticket(41, hostile, 30),
            clock: "resolution".into(),
            late_seconds: 2 * 3600 + 15 * 60,
        }],
        at_risk: vec![AtRisk {
            ticket: ticket(42, "Server SIMPEG lambat", 5),
            clock: "response".into(),
            due_at: tuesday().end + 9 * 3600,
        }],
        aging: vec![AgeRow {
            priority: Some(1),
            buckets: [2, 1, 0, 3],
        }],
        oldest: vec![ticket(7, "Printer lantai 2", 24 * 12)],
        per_group: vec![Tally {
            key: Some("network".into()),
            count: 6,
        }],
        per_assignee: vec![Tally {
            key: None,
            count: 6,
        }],
        escalations: vec![Escalation {
            ticket: ticket(41, hostile, 30),
            at: tuesday().end - 3600,
            to: "network".into(),
        }],
        major: vec![ticket(43, "WAN kantor walikota putus", 2)],
        security: vec![],
        satisfaction: None,
        categories: CategoryAccuracy {
            tickets: 50,
            recategorised: 2,
        },
        daily: vec![],
    }
}

fn problems() -> Vec<Candidate> {
    vec![Candidate {
        reason: Reason::Subject {
            category: "network.internet-down".into(),
            words: vec!["internet".into(), "mati".into()],
        },
        tickets: vec![3, 5, 9],
    }]
}

fn chart() -> Vec<ChartRef> {
    vec![ChartRef {
        src: "cid:opened_resolved@digest".into(),
        alt: "Tickets \"opened\" <per> day".into(),
        width: 600,
        height: 300,
    }]
}

#[test]
fn a_busy_day_in_indonesian() {
    let ctx = build(
        &busy_day(),
        &problems(),
        &tuesday(),
        TZ,
        Language::Id,
        &labels(),
        chart(),
    );
    assert_eq!(
        ctx.subject,
        "[Helpdesk] Ringkasan harian Selasa, 1 Desember 2026"
    );
    assert_eq!(ctx.period_text, "Senin, 30 November 2026");
    let t = Templates::load(None).unwrap();
    let r = t.render(&ctx, Language::Id).unwrap();
    for want in [
        "Baru                   12  +20 %",
        "Antrean terbuka        20  -20 %",
        "Dibuka kembali          1  –",
        "95,0 % (19/20)",
        "90,0 % (180/200)",
        "#41",
        "penyelesaian: terlambat 2 jam 15 menit",
        "respons jatuh tempo 1 Des 2026 09:00",
        "Budi Santoso (Jaringan), 12 hari 0 jam",
        "#3, #5, #9: kategori network.internet-down, subjek mirip (\"internet\", \"mati\")",
        "Belum ada survei.",
        "Kategori tepat: 96,0 %",
        "(belum ada)",
    ] {
        assert!(r.text.contains(want), "text lacks {want:?}:\n{}", r.text);
    }
    // The text keeps the subject as typed; the HTML escapes it.
    assert!(r.text.contains("<script>alert(1)</script>"));
    assert!(!r.html.contains("<script>"), "{}", r.html);
    assert!(
        r.html
            .contains("&lt;script&gt;alert(1)&lt;/script&gt; VPN &amp; &quot;DNS&quot;")
    );
    assert!(
        r.html
            .contains("alt=\"Tickets &quot;opened&quot; &lt;per&gt; day\"")
    );
    assert!(r.html.contains("src=\"cid:opened_resolved@digest\""));
    // Outlook: tables and inline styles, no style sheet or grid.
    assert!(!r.html.contains("<style") && !r.html.contains("grid"));
    assert!(r.html.contains("lang=\"id\""));
}

#[test]
fn a_day_with_no_tickets_says_so() {
    let quiet = Figures::default();
    let ctx = build(&quiet, &[], &tuesday(), TZ, Language::En, &labels(), vec![]);
    assert!(ctx.quiet);
    let r = Templates::load(None)
        .unwrap()
        .render(&ctx, Language::En)
        .unwrap();
    assert_eq!(
        ctx.subject,
        "[Helpdesk] Daily digest Tuesday, 1 December 2026"
    );
    assert!(
        r.text
            .contains("No tickets were recorded, resolved, closed or reopened")
    );
    assert!(r.text.contains("No open tickets."), "{}", r.text);
    assert!(r.text.contains("No service-level clock was decided"));
    assert!(r.text.contains("No surveys yet."));
    assert!(r.text.contains("Category right: –"));
    // No empty tables: a short sentence instead.
    assert!(
        !r.html.contains("<th align=\"left\">Ticket</th>"),
        "{}",
        r.html
    );
    assert!(r.html.contains("No open tickets."));
}

#[test]
fn all_zeros_with_earlier_weeks_and_a_survey_section() {
    let mut f = Figures {
        new: Count::new(0, vec![0, 0, 0, 0]),
        backlog: Count::new(0, vec![0]),
        ..Figures::default()
    };
    f.satisfaction = Some(Satisfaction {
        sent: 4,
        answered: 2,
        average: Some(3.5),
        low: vec![LowRating {
            ticket: 9,
            score: 1,
            suggestion: "Tolong <b>lebih cepat</b>".into(),
        }],
    });
    let ctx = build(&f, &[], &tuesday(), TZ, Language::En, &labels(), vec![]);
    assert_eq!(ctx.headline[0].change, "–");
    let r = Templates::load(None)
        .unwrap()
        .render(&ctx, Language::En)
        .unwrap();
    assert!(
        r.text
            .contains("2 of 4 surveys answered (50.0 %), average 3.5 of 5.")
    );
    assert!(
        r.text
            .contains("#9, rated 1: \"Tolong <b>lebih cepat</b>\"")
    );
    assert!(r.html.contains("Tolong &lt;b&gt;lebih cepat&lt;/b&gt;"));
}

#[test]
fn a_group_leads_digest_names_the_group() {
    let mut l = labels();
    l.scope = Some("Jaringan".into());
    let ctx = build(&busy_day(), &[], &tuesday(), TZ, Language::Id, &l, vec![]);
    assert!(ctx.subject.ends_with("(Jaringan)"), "{}", ctx.subject);
    let r = Templates::load(None)
        .unwrap()
        .render(&ctx, Language::Id)
        .unwrap();
    assert!(
        r.text
            .starts_with("Helpdesk Diskominfo (Jaringan): ringkasan harian")
    );
}
