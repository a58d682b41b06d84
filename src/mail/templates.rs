//! Templates → the text and HTML of the mail posko sends.
//!
//! The built-in templates (under `templates/` in the repository) are
//! compiled into the binary, so posko runs from anywhere; a desk may
//! override any of them with a file of the same name under the directory
//! set as `desk.templates`. Text templates are rendered without HTML
//! escaping, HTML templates with it.

use std::path::Path;

use anyhow::{Context, Result};
use handlebars::Handlebars;
use serde::Serialize;

use crate::config::Language;
use crate::display_name;
use crate::domain::EmailAddress;
use crate::mail::context::{Sender, SenderWarning};

/// The mail templates with an HTML part of their own.
pub const WITH_HTML: &[&str] = &[
    "ack",
    "staff_new",
    "security_alert",
    "major_incident",
    "sla_warning",
    "sla_breach",
    "resolved",
    "show",
    "survey_reminder",
    "closed",
];

/// Templates of staff work that come as text only: their HTML part is the
/// text, escaped, in a `<pre>` (unless the override directory has an
/// `.html.hbs` of the same name).
pub const TEXT_ONLY: &[&str] = &[
    "staff_reply",
    "status_changed",
    "assigned",
    "escalated",
    "merged",
    "staff_confirm",
    "command_error",
    "escalation",
    "help",
    "non_participant",
    "survey_low",
    "survey_reopened",
];

/// Every mail template posko knows, by name.
pub fn names() -> impl Iterator<Item = &'static str> {
    WITH_HTML.iter().chain(TEXT_ONLY).copied()
}

/// Pieces of text other templates or code include (rendered by
/// [`Templates::fragment`]): `sender_warning`, the line that flags a
/// misleading display name, and the SLA figures in words
/// ([`crate::mail::words`]).
pub const FRAGMENTS: &[&str] = &[
    "sender_warning",
    "duration",
    "clock_name",
    "sla_hours",
    "sla_confirm",
    "subject_prefix",
    "status_name",
    "type_name",
];

/// Templates that also have a subject (`NAME.subject.hbs`, rendered by
/// [`Templates::subject`]).
pub const WITH_SUBJECT: &[&str] = &["sla_warning", "sla_breach", "help"];

/// (path under `templates/`, contents) of every built-in template.
macro_rules! builtin {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../../templates/", $path)))),*]
    };
}

const BUILTIN: &[(&str, &str)] = builtin![
    "id/ack.txt.hbs",
    "id/ack.html.hbs",
    "en/ack.txt.hbs",
    "en/ack.html.hbs",
    "id/staff_new.txt.hbs",
    "id/staff_new.html.hbs",
    "en/staff_new.txt.hbs",
    "en/staff_new.html.hbs",
    "id/security_alert.txt.hbs",
    "id/security_alert.html.hbs",
    "en/security_alert.txt.hbs",
    "en/security_alert.html.hbs",
    "id/major_incident.txt.hbs",
    "id/major_incident.html.hbs",
    "en/major_incident.txt.hbs",
    "en/major_incident.html.hbs",
    "id/sla_warning.txt.hbs",
    "id/sla_warning.html.hbs",
    "id/sla_warning.subject.hbs",
    "en/sla_warning.txt.hbs",
    "en/sla_warning.html.hbs",
    "en/sla_warning.subject.hbs",
    "id/sla_breach.txt.hbs",
    "id/sla_breach.html.hbs",
    "id/sla_breach.subject.hbs",
    "en/sla_breach.txt.hbs",
    "en/sla_breach.html.hbs",
    "en/sla_breach.subject.hbs",
    "id/staff_reply.txt.hbs",
    "en/staff_reply.txt.hbs",
    "id/status_changed.txt.hbs",
    "en/status_changed.txt.hbs",
    "id/assigned.txt.hbs",
    "en/assigned.txt.hbs",
    "id/escalated.txt.hbs",
    "en/escalated.txt.hbs",
    "id/resolved.txt.hbs",
    "id/resolved.html.hbs",
    "en/resolved.txt.hbs",
    "en/resolved.html.hbs",
    "id/survey_reminder.txt.hbs",
    "id/survey_reminder.html.hbs",
    "en/survey_reminder.txt.hbs",
    "en/survey_reminder.html.hbs",
    "id/closed.txt.hbs",
    "id/closed.html.hbs",
    "en/closed.txt.hbs",
    "en/closed.html.hbs",
    "id/survey_low.txt.hbs",
    "en/survey_low.txt.hbs",
    "id/survey_reopened.txt.hbs",
    "en/survey_reopened.txt.hbs",
    "id/merged.txt.hbs",
    "en/merged.txt.hbs",
    "id/staff_confirm.txt.hbs",
    "en/staff_confirm.txt.hbs",
    "id/command_error.txt.hbs",
    "en/command_error.txt.hbs",
    "id/escalation.txt.hbs",
    "en/escalation.txt.hbs",
    "id/help.txt.hbs",
    "id/help.subject.hbs",
    "en/help.txt.hbs",
    "en/help.subject.hbs",
    "id/non_participant.txt.hbs",
    "en/non_participant.txt.hbs",
    "id/show.txt.hbs",
    "id/show.html.hbs",
    "en/show.txt.hbs",
    "en/show.html.hbs",
    "id/sender_warning.txt.hbs",
    "en/sender_warning.txt.hbs",
    "id/duration.txt.hbs",
    "en/duration.txt.hbs",
    "id/clock_name.txt.hbs",
    "en/clock_name.txt.hbs",
    "id/sla_hours.txt.hbs",
    "en/sla_hours.txt.hbs",
    "id/sla_confirm.txt.hbs",
    "en/sla_confirm.txt.hbs",
    "id/subject_prefix.txt.hbs",
    "en/subject_prefix.txt.hbs",
    "id/status_name.txt.hbs",
    "en/status_name.txt.hbs",
    "id/type_name.txt.hbs",
    "en/type_name.txt.hbs",
];

/// The compiled templates.
pub struct Templates {
    text: Handlebars<'static>,
    html: Handlebars<'static>,
}

/// A template context serialised once, to render several templates with
/// ([`Templates::prepare`]).
pub struct Prepared(handlebars::Context);

/// A rendered message body.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub text: String,
    pub html: String,
}

impl Templates {
    /// Compiles the built-in templates, each replaced by the file of the same
    /// name under `overrides` when there is one.
    pub fn load(overrides: Option<&Path>) -> Result<Templates> {
        let mut text = Handlebars::new();
        text.register_escape_fn(handlebars::no_escape);
        text.set_strict_mode(true);
        let mut html = Handlebars::new();
        html.set_strict_mode(true);
        register(&mut text, &mut html, BUILTIN, overrides)?;
        // An override may add the HTML of a text-only template.
        if let Some(dir) = overrides {
            for name in TEXT_ONLY {
                for lang in ["id", "en"] {
                    let file = dir.join(format!("{lang}/{name}.html.hbs"));
                    if file.exists() {
                        let source = std::fs::read_to_string(&file)
                            .with_context(|| format!("cannot read template {}", file.display()))?;
                        html.register_template_string(&format!("{lang}/{name}.html"), source)
                            .with_context(|| {
                                format!("template {lang}/{name}.html.hbs does not compile")
                            })?;
                    }
                }
            }
        }
        Ok(Templates { text, html })
    }

    /// Renders the text fragment `name` (one of [`FRAGMENTS`]) in `lang`,
    /// trimmed: a piece other templates include, not a mail.
    pub fn fragment(&self, name: &str, lang: Language, ctx: &impl Serialize) -> Result<String> {
        debug_assert!(FRAGMENTS.contains(&name), "{name} is not a fragment");
        let path = format!("{}/{name}.txt", lang.code());
        let text = self
            .text
            .render(&path, ctx)
            .with_context(|| format!("cannot render template {path}"))?;
        Ok(text.trim().to_string())
    }

    /// A mail's sender as staff-facing templates show it (the name beside
    /// the real address, why the name may mislead, and the
    /// `sender_warning` line saying so).
    pub fn sender_view(
        &self,
        lang: Language,
        known: &display_name::Known,
        name: Option<&str>,
        address: &str,
    ) -> Result<Sender> {
        let parsed = EmailAddress::parse(address);
        let flags = display_name::check(name, parsed.as_ref(), known);
        let warning = if flags.is_empty() {
            String::new()
        } else {
            let ctx = SenderWarning {
                flags: &flags,
                address,
            };
            self.fragment("sender_warning", lang, &ctx)?
        };
        Ok(Sender {
            shown: display_name::shown(name, address),
            address: address.to_string(),
            flags,
            warning,
        })
    }

    /// [`Self::sender_view`] as JSON, for contexts still built with `json!`.
    pub fn sender(
        &self,
        lang: Language,
        known: &display_name::Known,
        name: Option<&str>,
        address: &str,
    ) -> Result<serde_json::Value> {
        Ok(serde_json::to_value(
            self.sender_view(lang, known, name, address)?,
        )?)
    }

    /// Renders the subject of template `name` (one of [`WITH_SUBJECT`]) in
    /// `lang`: one line, without the subject tag.
    pub fn subject(&self, name: &str, lang: Language, ctx: &impl Serialize) -> Result<String> {
        debug_assert!(WITH_SUBJECT.contains(&name), "{name} has no subject");
        let path = format!("{}/{name}.subject", lang.code());
        let text = self
            .text
            .render(&path, ctx)
            .with_context(|| format!("cannot render template {path}"))?;
        Ok(text.trim_end_matches(['\r', '\n']).to_string())
    }

    /// Whether template `name` has an HTML part of its own in `lang` (else
    /// [`Self::render`] shows its text in a `<pre>`).
    pub fn has_html(&self, name: &str, lang: Language) -> bool {
        self.html
            .has_template(&format!("{}/{name}.html", lang.code()))
    }

    /// Renders template `name` in `lang` with `ctx`.
    pub fn render(&self, name: &str, lang: Language, ctx: &impl Serialize) -> Result<Rendered> {
        self.render_prepared(name, lang, &Self::prepare(ctx)?)
    }

    /// `ctx` made ready for [`Self::render_prepared`]: serialised once for
    /// all the templates rendered with it (each [`Self::render`] serialises
    /// its context for the text and again for the HTML).
    pub fn prepare(ctx: &impl Serialize) -> Result<Prepared> {
        Ok(Prepared(
            handlebars::Context::wraps(ctx).context("cannot prepare a template context")?,
        ))
    }

    /// [`Self::render`] with a context made by [`Self::prepare`].
    pub fn render_prepared(&self, name: &str, lang: Language, ctx: &Prepared) -> Result<Rendered> {
        let base = format!("{}/{name}", lang.code());
        let text = self
            .text
            .render_with_context(&format!("{base}.txt"), &ctx.0)
            .with_context(|| format!("cannot render template {base}.txt"))?;
        let html = if self.html.has_template(&format!("{base}.html")) {
            self.html
                .render_with_context(&format!("{base}.html"), &ctx.0)
                .with_context(|| format!("cannot render template {base}.html"))?
        } else {
            text_as_html(&text)
        };
        Ok(Rendered { text, html })
    }
}

/// Plain text as an HTML document that shows it as written.
fn text_as_html(text: &str) -> String {
    let escaped = handlebars::html_escape(text);
    format!(
        "<!DOCTYPE html>\n<html><body><pre style=\"font-family: Arial, sans-serif; \
         font-size: 14px; white-space: pre-wrap\">{escaped}</pre></body></html>\n"
    )
}

/// Registers each built-in template, or the desk's override of it in
/// `overrides`, into the text or the HTML registry by its name's ending.
pub(crate) fn register(
    text: &mut Handlebars<'static>,
    html: &mut Handlebars<'static>,
    builtin: &[(&str, &str)],
    overrides: Option<&Path>,
) -> Result<()> {
    for (path, source) in builtin {
        let source = match overrides.map(|dir| dir.join(path)) {
            Some(file) if file.exists() => std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read template {}", file.display()))?,
            _ => source.to_string(),
        };
        let name = path.trim_end_matches(".hbs");
        let registry = if name.ends_with(".html") {
            &mut *html
        } else {
            &mut *text
        };
        registry
            .register_template_string(name, source)
            .with_context(|| format!("template {path} does not compile"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> serde_json::Value {
        json!({
            "desk": {"name": "IT Helpdesk", "address": "helpdesk@corp.test"},
            "ticket": {"id": 17, "subject": "Internet <lambat>", "created_at": "23 Nov 2026 07:55 WIB",
                "status": "new", "requester": "alice@corp.test", "priority_text": "1 (tinggi)",
                "category_name": "Jaringan / Internet mati", "group_name": "Jaringan", "assignee": ""},
            "sla": {"response": "10 menit", "resolution": "8 jam", "hours_text": "dihitung dalam jam kerja"},
            "clock": {"kind": "response", "name": "respons", "target": "10 menit", "business_hours": true,
                "due_at": "23 Nov 2026 08:10 WIB", "elapsed": "7 menit 30 detik", "percent": 75},
            "escalation": {"step": 2, "further": true},
            "requester": {"display": "Alice Wijaya", "address": "alice@corp.test",
                "shown": "Alice Wijaya <alice@corp.test>", "warning": ""},
            "reference": "[Helpdesk #17]",
            "staff": {"name": "Budi Santoso", "handle": "budi"},
            "note": null,
            "survey": null,
            "message": {"body_text": "Tolong & cepat", "omitted": null},
            "attachments": [{"filename": "layar.png", "content_type": "image/png", "size_human": "120 KB"}],
            "classification": {
                "type": "incident", "type_name": "Insiden", "category": "network.internet-down",
                "category_name": "Jaringan / Internet mati", "urgency": "high", "impact": "high",
                "priority": 1, "priority_name": "tinggi", "priority_text": "1 (tinggi)",
                "group": "network", "group_name": "Jaringan", "assignee": null, "major": false,
                "tags": [], "rules": ["internet down", "many users affected"],
            },
        })
    }

    #[test]
    fn builtin_templates_render_in_both_languages() {
        let t = Templates::load(None).unwrap();
        for lang in [Language::Id, Language::En] {
            // These read contexts of their own (their golden files cover
            // them).
            let own = ["show", "survey_reminder", "closed"];
            for name in WITH_HTML.iter().filter(|n| !own.contains(n)) {
                let r = t.render(name, lang, &ctx()).unwrap();
                assert!(r.text.contains("17"), "{name} {lang:?}");
                // Text is not escaped; HTML is.
                assert!(r.text.contains("Internet <lambat>"));
                assert!(r.html.contains("Internet &lt;lambat&gt;"));
            }
        }
        let r = t.render("staff_new", Language::Id, &ctx()).unwrap();
        assert!(r.text.contains("layar.png (image/png, 120 KB)"));
        assert!(
            r.text.contains("internet down, many users affected"),
            "{}",
            r.text
        );
        let r = t.render("ack", Language::Id, &ctx()).unwrap();
        assert!(r.text.contains("Prioritas: 1 (tinggi)"), "{}", r.text);
        assert!(
            r.text
                .contains("kami merespons dalam 10 menit dan menargetkan\nselesai dalam 8 jam"),
            "{}",
            r.text
        );
        let r = t.render("sla_breach", Language::Id, &ctx()).unwrap();
        assert!(
            r.text.starts_with("Eskalasi tingkat 2: target respons"),
            "{}",
            r.text
        );
        let r = t.render("security_alert", Language::Id, &ctx()).unwrap();
        assert!(r.text.contains("Direktur TI"), "{}", r.text);
    }

    #[test]
    fn a_lying_name_is_shown_with_its_address_and_flagged() {
        let t = Templates::load(None).unwrap();
        let known = display_name::Known::new(
            "IT Helpdesk",
            vec![EmailAddress::parse("helpdesk@corp.test").unwrap()],
            vec![],
        );
        let name = Some("IT Helpdesk <helpdesk@corp.test>");
        let s = t
            .sender(Language::Id, &known, name, "mallory@outside.test")
            .unwrap();
        assert_eq!(
            s["shown"],
            "\"IT Helpdesk <helpdesk@corp.test>\" <mallory@outside.test>"
        );
        assert_eq!(
            s["warning"],
            "PERHATIAN: nama pengirim memuat alamat lain (helpdesk@corp.test), nama atau alamat \
             desk ini. Alamat pengirim yang sebenarnya: mallory@outside.test"
        );
        let s = t
            .sender(Language::En, &known, name, "mallory@outside.test")
            .unwrap();
        assert_eq!(
            s["warning"],
            "WARNING: the sender's name contains another address (helpdesk@corp.test), this \
             desk's name or address. The sender's real address: mallory@outside.test"
        );
        let fine = t
            .sender(Language::Id, &known, Some("Alice"), "alice@corp.test")
            .unwrap();
        assert_eq!(fine["warning"], "");
        assert_eq!(fine["shown"], "Alice <alice@corp.test>");

        // The staff-facing templates carry both.
        let mut c = ctx();
        c["requester"] = s.clone();
        c["requester"]["display"] = "IT Helpdesk <helpdesk@corp.test>".into();
        for name in [
            "staff_new",
            "security_alert",
            "major_incident",
            "sla_warning",
            "sla_breach",
        ] {
            let r = t.render(name, Language::En, &c).unwrap();
            assert!(
                r.text.contains("<mallory@outside.test>"),
                "{name}: {}",
                r.text
            );
            assert!(r.text.contains("WARNING: the sender"), "{name}: {}", r.text);
            assert!(r.html.contains("&lt;mallory@outside.test&gt;"), "{name}");
            assert!(r.html.contains("WARNING: the sender"), "{name}");
        }
        for lang in [Language::Id, Language::En] {
            let mut n = ctx();
            n["sender"] = s.clone();
            n["text"] = "still broken".into();
            n["truncated"] = true.into();
            let r = t.render("non_participant", lang, &n).unwrap();
            assert!(r.text.contains("#cc:mallory@outside.test"), "{}", r.text);
            assert!(r.text.contains("WARNING: the sender"), "{}", r.text);
            assert!(r.text.contains("still broken"), "{}", r.text);
        }
    }

    #[test]
    fn override_directory_wins() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("id")).unwrap();
        std::fs::write(
            dir.path().join("id/ack.txt.hbs"),
            "Tiket {{ticket.id}} saja",
        )
        .unwrap();
        // Subjects and the words of SLA figures too.
        std::fs::write(
            dir.path().join("id/sla_warning.subject.hbs"),
            "Awas: {{ticket.subject}}\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("id/clock_name.txt.hbs"), "tanggapan").unwrap();
        let t = Templates::load(Some(dir.path())).unwrap();
        let r = t.render("ack", Language::Id, &ctx()).unwrap();
        assert_eq!(r.text, "Tiket 17 saja");
        let subject = t.subject("sla_warning", Language::Id, &ctx()).unwrap();
        assert_eq!(subject, "Awas: Internet <lambat>");
        let name = t
            .clock_name(crate::sla::ClockKind::Response, Language::Id)
            .unwrap();
        assert_eq!(name, "tanggapan");
        // The other language keeps the built-in words.
        let subject = t.subject("sla_warning", Language::En, &ctx()).unwrap();
        assert_eq!(subject, "SLA warning (respons 75%): Internet <lambat>");
    }

    #[test]
    fn broken_override_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("en")).unwrap();
        std::fs::write(dir.path().join("en/ack.txt.hbs"), "{{#if}}").unwrap();
        let e = Templates::load(Some(dir.path())).err().unwrap();
        assert!(format!("{e:#}").contains("en/ack.txt.hbs"));
    }
}
