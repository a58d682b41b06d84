//! The report's satisfaction and closure figures (issue 11, the SOP's
//! "average satisfaction score" KPI), for the same tickets as the rest of
//! the report: those recorded in the period.
//!
//! - surveys sent: the tickets' surveys, less those superseded before an
//!   answer (the ticket was reopened, so the link died unanswered: the
//!   requester had no chance to answer it, and the fresh survey counts);
//! - response rate: answered of sent;
//! - average satisfaction: the mean `score` of the answered surveys (the
//!   `overall` rating, else the rounded mean of the ratings given), and per
//!   question the mean of that question's ratings;
//! - closed by: the share of the closed tickets closed by the requester,
//!   by staff and automatically (`tickets.closed_by`; tickets closed before
//!   posko recorded it count as not recorded);
//! - reopened after resolution: `reopened` events (each brings a resolved
//!   or closed ticket back).

use anyhow::Result;
use serde::Serialize;

use crate::domain::survey::question_columns;
use crate::store::Conn;
use crate::store::surveys_read::{self, SurveyRow};

/// One question's average.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QuestionAverage {
    pub key: String,
    /// Surveys that rated it.
    pub answers: i64,
    /// `null` when none did.
    pub average: Option<f64>,
}

/// The figures; `by` is `"closure"` so the object sits in the report's
/// JSON list beside the priority and category rows.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Closure {
    pub by: &'static str,
    pub surveys_sent: i64,
    pub surveys_answered: i64,
    /// Percent; `null` when none was sent.
    pub survey_response_pct: Option<f64>,
    /// 1–5; `null` when none was answered.
    pub satisfaction_average: Option<f64>,
    pub satisfaction_by_question: Vec<QuestionAverage>,
    pub closed: i64,
    pub closed_by_requester: i64,
    pub closed_by_staff: i64,
    pub closed_by_auto: i64,
    pub closed_by_unrecorded: i64,
    /// Shares of `closed`, percent; `null` when none is closed.
    pub closed_by_requester_pct: Option<f64>,
    pub closed_by_staff_pct: Option<f64>,
    pub closed_by_auto_pct: Option<f64>,
    pub reopened_after_resolution: i64,
}

fn pct(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| round1(100.0 * part as f64 / whole as f64))
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The mean, to two decimals (satisfaction moves in small steps).
fn mean(values: &[i64]) -> Option<f64> {
    (!values.is_empty()).then(|| {
        let m = values.iter().sum::<i64>() as f64 / values.len() as f64;
        (m * 100.0).round() / 100.0
    })
}

/// The figures from the period's surveys, closed tickets per `closed_by`
/// and reopen count; `keys` are the questions in the survey's order.
pub fn summarise(
    surveys: &[SurveyRow],
    closed: &[(Option<String>, i64)],
    reopened: i64,
    keys: &[&str],
) -> Closure {
    let counted: Vec<&SurveyRow> = surveys
        .iter()
        .filter(|s| s.answered_at.is_some() || s.state != "superseded")
        .collect();
    let answered: Vec<&SurveyRow> = counted
        .iter()
        .copied()
        .filter(|s| s.answered_at.is_some())
        .collect();
    let scores: Vec<i64> = answered.iter().filter_map(|s| s.score).collect();
    let columns = question_columns(
        keys,
        answered
            .iter()
            .flat_map(|s| s.ratings.keys().map(String::as_str)),
    );
    let satisfaction_by_question = columns
        .into_iter()
        .map(|key| {
            let values: Vec<i64> = answered
                .iter()
                .filter_map(|s| s.ratings.get(&key).copied())
                .collect();
            QuestionAverage {
                answers: values.len() as i64,
                average: mean(&values),
                key,
            }
        })
        .collect();
    let by = |who: Option<&str>| {
        closed
            .iter()
            .filter(|(k, _)| k.as_deref() == who)
            .map(|(_, n)| n)
            .sum::<i64>()
    };
    let total: i64 = closed.iter().map(|(_, n)| n).sum();
    let (requester, staff, auto) = (by(Some("requester")), by(Some("staff")), by(Some("auto")));
    Closure {
        by: "closure",
        surveys_sent: counted.len() as i64,
        surveys_answered: answered.len() as i64,
        survey_response_pct: pct(answered.len() as i64, counted.len() as i64),
        satisfaction_average: mean(&scores),
        satisfaction_by_question,
        closed: total,
        closed_by_requester: requester,
        closed_by_staff: staff,
        closed_by_auto: auto,
        closed_by_unrecorded: total - requester - staff - auto,
        closed_by_requester_pct: pct(requester, total),
        closed_by_staff_pct: pct(staff, total),
        closed_by_auto_pct: pct(auto, total),
        reopened_after_resolution: reopened,
    }
}

/// The figures of the tickets recorded in `[from, to)`.
pub async fn compute(c: &mut Conn, from: i64, to: i64, keys: &[&str]) -> Result<Closure> {
    let surveys = surveys_read::of_tickets_created(c, from, to).await?;
    let closed = surveys_read::closed_by_counts(c, from, to).await?;
    let reopened = surveys_read::reopen_count(c, from, to).await?;
    Ok(summarise(&surveys, &closed, reopened, keys))
}

/// The figures as lines under the report's tables.
pub fn text(c: &Closure) -> String {
    let share = |n: i64, p: Option<f64>| match p {
        Some(p) => format!("{n} ({p:.1}%)"),
        None => n.to_string(),
    };
    let avg = |a: Option<f64>| a.map(|a| format!("{a:.2}")).unwrap_or("-".into());
    let mut out = String::from("\nsatisfaction and closure\n");
    out.push_str(&format!(
        "  surveys answered           {} of {}{}\n",
        c.surveys_answered,
        c.surveys_sent,
        c.survey_response_pct
            .map(|p| format!(" ({p:.1}%)"))
            .unwrap_or_default()
    ));
    out.push_str(&format!(
        "  average satisfaction       {} of 5\n",
        c.satisfaction_average
            .map(|a| format!("{a:.2}"))
            .unwrap_or("-".into())
    ));
    let width = c
        .satisfaction_by_question
        .iter()
        .map(|q| q.key.chars().count())
        .max()
        .unwrap_or(0);
    for q in &c.satisfaction_by_question {
        out.push_str(&format!(
            "    {:<width$}  {:>4}  ({} answers)\n",
            q.key,
            avg(q.average),
            q.answers
        ));
    }
    out.push_str(&format!(
        "  closed                     {}: by requester {}, by staff {}, automatically {}{}\n",
        c.closed,
        share(c.closed_by_requester, c.closed_by_requester_pct),
        share(c.closed_by_staff, c.closed_by_staff_pct),
        share(c.closed_by_auto, c.closed_by_auto_pct),
        if c.closed_by_unrecorded > 0 {
            format!(", not recorded {}", c.closed_by_unrecorded)
        } else {
            String::new()
        }
    ));
    out.push_str(&format!(
        "  reopened after resolution  {}\n",
        c.reopened_after_resolution
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn survey(state: &str, answered: bool, score: i64, ratings: &[(&str, i64)]) -> SurveyRow {
        SurveyRow {
            id: 1,
            ticket_id: 1,
            subject: "x".into(),
            state: state.into(),
            language: "id".into(),
            sent_at: 0,
            expires_at: 0,
            reminded_at: None,
            answered_at: answered.then_some(10),
            ratings: ratings.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            score: answered.then_some(score),
            comment: None,
        }
    }

    #[test]
    fn rates_averages_and_shares() {
        let surveys = [
            survey("answered", true, 5, &[("speed", 5), ("overall", 5)]),
            survey("answered", true, 2, &[("speed", 1), ("overall", 2)]),
            survey("open", false, 0, &[]),
            // Died unanswered when the ticket was reopened: not counted.
            survey("superseded", false, 0, &[]),
        ];
        let closed = [
            (None, 1),
            (Some("auto".to_string()), 1),
            (Some("requester".to_string()), 2),
        ];
        let c = summarise(&surveys, &closed, 3, &["speed", "quality", "overall"]);
        assert_eq!((c.surveys_sent, c.surveys_answered), (3, 2));
        assert_eq!(c.survey_response_pct, Some(66.7));
        assert_eq!(c.satisfaction_average, Some(3.5));
        let q: Vec<(&str, i64, Option<f64>)> = c
            .satisfaction_by_question
            .iter()
            .map(|q| (q.key.as_str(), q.answers, q.average))
            .collect();
        assert_eq!(
            q,
            [
                ("speed", 2, Some(3.0)),
                ("quality", 0, None),
                ("overall", 2, Some(3.5))
            ]
        );
        assert_eq!(
            (
                c.closed,
                c.closed_by_requester,
                c.closed_by_staff,
                c.closed_by_auto
            ),
            (4, 2, 0, 1)
        );
        assert_eq!(c.closed_by_unrecorded, 1);
        assert_eq!(c.closed_by_requester_pct, Some(50.0));
        assert_eq!(c.closed_by_staff_pct, Some(0.0));
        assert_eq!(c.reopened_after_resolution, 3);
        let t = text(&c);
        assert!(
            t.contains("surveys answered           2 of 3 (66.7%)"),
            "{t}"
        );
        assert!(t.contains("by requester 2 (50.0%)"), "{t}");
        assert!(t.contains("not recorded 1"), "{t}");
        let none = summarise(&[], &[], 0, &["speed"]);
        assert_eq!(none.survey_response_pct, None);
        assert_eq!(none.satisfaction_average, None);
        assert_eq!(none.closed_by_auto_pct, None);
    }
}
