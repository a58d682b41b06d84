//! The mail kinds of the domain (`posko_core::domain::MailKind`, whose
//! `<kind>_queued` names the events of queueing them) are the templates
//! posko renders (an escalation step's notice reuses the breach
//! template): a template added or renamed without its kind, or the
//! other way round, fails here.

use posko::domain::MailKind;

#[test]
fn every_template_is_a_mail_kind_and_back() {
    // An escalation step's notice is the breach template sent again.
    let mut kinds: Vec<&str> = MailKind::ALL.iter().map(|k| k.template()).collect();
    let mut templates: Vec<&str> = posko::mail::templates::names().collect();
    kinds.sort_unstable();
    kinds.dedup();
    templates.sort_unstable();
    assert_eq!(kinds, templates);
}
