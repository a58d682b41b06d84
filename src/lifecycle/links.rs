//! The links of a resolution: a fresh token from the OS's random source,
//! its hash for the database, and the URLs the mail shows (survey,
//! confirm, reopen, and the five one-click ratings that open the survey
//! with `overall` pre-selected).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRngCore;
use rand::rngs::OsRng;
use serde::Serialize;

use crate::config::{Config, Language};
use crate::domain::TicketId;
use crate::store::script::Script;
use crate::store::surveys::{self, NewSurvey};
use crate::survey::{self, TOKEN_BYTES, scale_label};

/// A token and what is stored of it.
pub struct Minted {
    /// Goes into the mail only.
    pub token: String,
    /// Goes into the database only.
    pub hash: String,
}

/// A fresh token: [`TOKEN_BYTES`] from the operating system, base64url.
pub fn mint() -> Minted {
    let mut bytes = [0u8; TOKEN_BYTES];
    OsRng
        .try_fill_bytes(&mut bytes)
        .expect("the operating system's random source");
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = survey::token_hash(&token);
    Minted { token, hash }
}

/// The links a mail about a survey shows.
#[derive(Debug, Clone, Serialize)]
pub struct Links {
    pub survey: String,
    pub confirm: String,
    pub reopen: String,
    /// 1..5, each opening the survey with that overall rating chosen.
    pub ratings: Vec<RatingLink>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RatingLink {
    pub n: u8,
    pub label: &'static str,
    pub url: String,
}

/// The path of a token's survey page (`/s/TOKEN`); confirm and reopen
/// hang below it.
pub fn survey_path(token: &str) -> String {
    format!("/s/{token}")
}

/// `token`'s links under `public_url`, the scale's words in `lang`.
pub fn links(public_url: &str, token: &str, lang: Language) -> Links {
    let base = format!("{public_url}{}", survey_path(token));
    Links {
        confirm: format!("{base}/confirm"),
        reopen: format!("{base}/reopen"),
        ratings: (1..=5)
            .map(|n| RatingLink {
                n,
                label: scale_label(lang, n),
                url: format!("{base}?r={n}"),
            })
            .collect(),
        survey: base,
    }
}

/// What `#resolve` adds to its transaction: the ticket's open survey
/// superseded, when the ticket closes by itself, and a new survey when
/// surveys are on and the requester is `told` (the resolution mail goes
/// out), in the requester's language `lang`. Returns the links for that
/// mail.
pub fn push_resolution(
    w: &mut Script,
    cfg: &Config,
    ticket: TicketId,
    now: i64,
    told: bool,
    lang: Language,
) -> Option<Links> {
    let (expires_at, remind_at, auto_close_at) = survey::schedule(&cfg.survey, &cfg.closure, now);
    surveys::push_supersede(w, ticket);
    surveys::push_auto_close_at(w, ticket, auto_close_at);
    if !cfg.survey.enabled || !told {
        return None;
    }
    let minted = mint();
    surveys::push_insert(
        w,
        &NewSurvey {
            ticket_id: ticket,
            token_hash: &minted.hash,
            language: lang.code(),
            sent_at: now,
            expires_at,
            remind_at,
        },
    );
    crate::store::events::push(
        w,
        ticket,
        crate::domain::EventKind::SurveySent,
        "system",
        now,
        &crate::store::events::MsgRef::None,
        &serde_json::json!({ "expires_at": expires_at, "remind_at": remind_at,
                             "auto_close_at": auto_close_at }),
    );
    Some(links(&cfg.web.public_url, &minted.token, lang))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_only_their_hash_is_kept() {
        let a = mint();
        let b = mint();
        assert_ne!(a.token, b.token);
        assert!(survey::token_well_formed(&a.token), "{}", a.token);
        assert_eq!(a.hash, survey::token_hash(&a.token));
        assert!(!a.hash.contains(&a.token));
    }

    #[test]
    fn links_start_with_the_public_url() {
        let l = links("https://helpdesk.corp.test", "T", Language::En);
        assert_eq!(l.survey, "https://helpdesk.corp.test/s/T");
        assert_eq!(l.confirm, "https://helpdesk.corp.test/s/T/confirm");
        assert_eq!(l.reopen, "https://helpdesk.corp.test/s/T/reopen");
        assert_eq!(l.ratings[4].url, "https://helpdesk.corp.test/s/T?r=5");
        assert_eq!(l.ratings[4].label, "Very satisfied");
    }
}
