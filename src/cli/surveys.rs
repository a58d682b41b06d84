//! `posko surveys list / export`: the satisfaction surveys for the desk
//! and its spreadsheets.
//!
//! `list` shows the surveys sent (in a period of local days, both
//! included), answered or not; `export --format csv` gives one row per
//! answered survey with one column per question, in the order the survey
//! asks them, for the managers' own analysis. The comment is text a
//! requester typed, so it is made inert for spreadsheets ([`super::csv`]).

use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use serde::Serialize;

use super::exit;
use super::report::{day_end, day_start};
use crate::config::Config;
use crate::domain::survey::question_columns;
use crate::sla::notice::rfc3339;
use crate::store::Db;
use crate::store::surveys_read::{self, SurveyRow};

#[derive(Debug, Subcommand)]
pub enum SurveysCommand {
    /// The surveys sent: ticket, subject, sent, answered, score, language.
    List {
        /// Sent on or after this day (desk time zone), e.g. 2026-11-01.
        #[arg(long)]
        from: Option<String>,
        /// Sent on or before this day, included.
        #[arg(long)]
        to: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// One row per answered survey: ticket, answered_at, a column per
    /// question (1-5, empty when not rated), comment.
    Export {
        #[arg(long, default_value = "csv", value_parser = ["csv"])]
        format: String,
    },
}

/// One survey as `surveys list --json` prints it.
#[derive(Debug, Serialize)]
pub struct SurveyJson {
    pub ticket: i64,
    pub subject: String,
    /// `open`, `answered` or `superseded` (the ticket was reopened).
    pub state: String,
    pub language: String,
    pub sent_at: String,
    pub answered_at: Option<String>,
    pub score: Option<i64>,
}

impl SurveyJson {
    fn of(s: &SurveyRow) -> SurveyJson {
        SurveyJson {
            ticket: s.ticket_id,
            subject: s.subject.clone(),
            state: s.state.clone(),
            language: s.language.clone(),
            sent_at: rfc3339(s.sent_at),
            answered_at: s.answered_at.map(rfc3339),
            score: s.score,
        }
    }
}

/// The text view of `list`.
pub fn list_text(rows: &[SurveyJson]) -> String {
    if rows.is_empty() {
        return "no surveys\n".into();
    }
    let mut out = format!(
        "{:>6}  {:<10}  {:<16}  {:<16}  {:>5}  {:<4}  {}\n",
        "TICKET", "STATE", "SENT", "ANSWERED", "SCORE", "LANG", "SUBJECT"
    );
    let short = |t: &str| t.get(..16).unwrap_or(t).replace('T', " ");
    for r in rows {
        out.push_str(&format!(
            "{:>6}  {:<10}  {:<16}  {:<16}  {:>5}  {:<4}  {}\n",
            r.ticket,
            r.state,
            short(&r.sent_at),
            r.answered_at.as_deref().map(short).unwrap_or("-".into()),
            r.score.map(|s| s.to_string()).unwrap_or("-".into()),
            r.language,
            r.subject
        ));
    }
    out
}

/// The export: a header line, then one line per answered survey.
pub fn export_csv(keys: &[&str], rows: &[SurveyRow]) -> String {
    use super::csv::{field, line, untrusted};
    let columns = question_columns(
        keys,
        rows.iter()
            .flat_map(|r| r.ratings.keys().map(String::as_str)),
    );
    let header = ["ticket", "answered_at"]
        .into_iter()
        .map(str::to_string)
        .chain(columns.iter().map(|c| field(c)))
        .chain(["comment".to_string()]);
    let mut out = line(header);
    for r in rows {
        let ratings = columns
            .iter()
            .map(|k| r.ratings.get(k).map(|v| v.to_string()).unwrap_or_default());
        out.push_str(&line(
            [
                r.ticket_id.to_string(),
                r.answered_at.map(rfc3339).unwrap_or_default(),
            ]
            .into_iter()
            .chain(ratings)
            .chain([untrusted(r.comment.as_deref().unwrap_or_default())]),
        ));
    }
    out
}

pub(super) async fn cmd_surveys(cfg: Config, command: SurveysCommand) -> Result<ExitCode> {
    let tz = cfg.desk.timezone;
    // Checked before the database is opened: a typo costs nothing.
    let bounds = match &command {
        SurveysCommand::List { from, to, .. } => {
            let start = from.as_deref().map(|d| day_start(d, tz)).transpose();
            let end = to.as_deref().map(|d| day_end(d, tz)).transpose();
            match (start, end) {
                (Ok(s), Ok(e)) => (s.unwrap_or(i64::MIN), e.unwrap_or(i64::MAX)),
                (Err(e), _) | (_, Err(e)) => {
                    eprintln!("posko: {e}");
                    return Ok(ExitCode::from(exit::USAGE));
                }
            }
        }
        SurveysCommand::Export { .. } => (i64::MIN, i64::MAX),
    };
    let db = Db::open(&cfg).await?;
    db.migrate().await?;
    let mut c = db.pool().acquire().await?;
    match command {
        SurveysCommand::List { json, .. } => {
            let rows = surveys_read::sent_between(&mut c, bounds.0, bounds.1).await?;
            let rows: Vec<SurveyJson> = rows.iter().map(SurveyJson::of).collect();
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                print!("{}", list_text(&rows));
            }
        }
        SurveysCommand::Export { .. } => {
            let rows = surveys_read::answered(&mut c).await?;
            print!("{}", export_csv(&cfg.survey_question_keys(), &rows));
        }
    }
    Ok(ExitCode::from(exit::OK))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(ticket: i64, ratings: &[(&str, i64)], comment: &str) -> SurveyRow {
        SurveyRow {
            id: ticket,
            ticket_id: ticket,
            subject: "x".into(),
            state: "answered".into(),
            language: "id".into(),
            sent_at: 1_795_000_000,
            expires_at: 1_797_000_000,
            reminded_at: None,
            answered_at: Some(1_795_000_000 + ticket),
            ratings: ratings.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            score: Some(4),
            comment: Some(comment.into()),
        }
    }

    #[test]
    fn export_has_a_column_per_question_in_order_and_inert_comments() {
        let rows = [
            answered(
                1,
                &[("speed", 5), ("overall", 4)],
                "Cepat, \"bagus\"\nterima kasih",
            ),
            answered(
                2,
                &[("overall", 2), ("old_question", 3)],
                "=HYPERLINK(\"http://x\")",
            ),
        ];
        let csv = export_csv(&["speed", "overall"], &rows);
        let mut lines = csv.split_inclusive('\n');
        assert_eq!(
            lines.next(),
            Some("ticket,answered_at,speed,overall,old_question,comment\n")
        );
        assert!(
            csv.contains(",5,4,,\"Cepat, \"\"bagus\"\"\nterima kasih\"\n"),
            "{csv}"
        );
        assert!(
            csv.ends_with(",,2,3,\"'=HYPERLINK(\"\"http://x\"\")\"\n"),
            "{csv}"
        );
    }
}
