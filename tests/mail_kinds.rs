//! The mail kinds of the domain (`posko_core::domain::MailKind`, whose
//! `<kind>_queued` names the events of queueing them) are the templates
//! posko renders: a template added or renamed without its kind, or the
//! other way round, fails here.

use posko::domain::MailKind;

#[test]
fn every_template_is_a_mail_kind_and_back() {
    let mut kinds: Vec<&str> = MailKind::ALL.iter().map(|k| k.as_str()).collect();
    let mut templates: Vec<&str> = posko::mail::templates::names().collect();
    kinds.sort_unstable();
    templates.sort_unstable();
    assert_eq!(kinds, templates);
}
