//! The staff-command plan against the shipped configuration: who may
//! close, what conflicts, what an escalation targets, and the checks of
//! each command. No database: a ticket is a [`Subject`].

use super::*;
use crate::commands;
use crate::domain::{Status, TicketId};

fn cfg() -> Config {
    crate::config::parse(
        include_str!("../../../config/posko.toml"),
        std::path::Path::new("config/posko.toml"),
    )
    .unwrap()
}

fn staff<'a>(cfg: &'a Config, handle: &str) -> &'a Staff {
    cfg.staff_by_handle(handle).unwrap()
}

fn ticket(
    id: TicketId,
    status: Status,
    group: &'static str,
    category: &'static str,
) -> Subject<'static> {
    Subject {
        id: Some(id),
        status,
        group: Some(group),
        category: Some(category),
    }
}

/// The plan of `mail` (its subject) by `handle` on `t`.
fn plan_of(
    cfg: &Config,
    handle: &str,
    t: &Subject<'_>,
    mail: &str,
) -> Result<Plan, Vec<PlanError>> {
    let parsed = commands::parse(mail, "");
    plan(&Rules::of(cfg), t, staff(cfg, handle), &parsed)
}

/// The errors of `mail`, as the staff member reads them.
fn errors_of(cfg: &Config, handle: &str, t: &Subject<'_>, mail: &str) -> Vec<String> {
    match plan_of(cfg, handle, t, mail) {
        Ok(p) => panic!("{mail}: expected errors, got {p:?}"),
        Err(e) => e.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn an_agent_may_close_only_what_is_resolved_or_resolved_in_the_same_mail() {
    let cfg = cfg();
    let open = ticket(7, Status::InProgress, "servicedesk", "other");
    let errors = errors_of(&cfg, "siti", &open, "#close");
    assert_eq!(
        errors,
        ["#close: only a manager may close a ticket that is not resolved; did you mean #resolve?"]
    );
    // A manager may; so may an agent on a resolved ticket, or one who
    // resolves it in the same mail.
    let p = plan_of(&cfg, "hendra", &open, "#close").unwrap();
    assert_eq!(p.status, Some(Status::Closed));
    let resolved = ticket(7, Status::Resolved, "servicedesk", "other");
    assert!(plan_of(&cfg, "siti", &resolved, "#close").is_ok());
    assert!(matches!(
        plan_of(&cfg, "siti", &open, "#status:closed"),
        Err(e) if matches!(e[0], PlanError::CloseNeedsRole { .. })
    ));
}

#[test]
fn conflicting_commands_apply_nothing() {
    let cfg = cfg();
    let open = ticket(7, Status::InProgress, "servicedesk", "other");
    let errors = plan_of(&cfg, "siti", &open, "#resolve #pending").unwrap_err();
    assert!(
        errors.iter().any(|e| matches!(
            e,
            PlanError::Command(commands::CommandError::Conflict { .. })
        )),
        "{errors:?}"
    );
    // One bad command among good ones: all errors, no plan.
    let errors = errors_of(&cfg, "siti", &open, "#assign:budy #priority:9 #resolve");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].contains("did you mean #assign:budi?"),
        "{errors:?}"
    );
    assert_eq!(
        errors[1],
        "#priority:9: 9 is not a priority level (levels: 1, 2, 3)"
    );
}

#[test]
fn escalation_goes_a_level_up_to_the_category_group_first() {
    let cfg = cfg();
    // From the service desk, a network category: its own group.
    let t = ticket(3, Status::New, "servicedesk", "network.internet-down");
    let p = plan_of(&cfg, "siti", &t, "#escalate").unwrap();
    let (from, to) = p.escalate.unwrap();
    assert_eq!(
        (from.key.as_str(), to.key.as_str()),
        ("servicedesk", "network")
    );
    // From level 2, the next level: the vendor.
    let t = ticket(3, Status::InProgress, "network", "network.internet-down");
    let (_, to) = plan_of(&cfg, "budi", &t, "#escalate")
        .unwrap()
        .escalate
        .unwrap();
    assert_eq!(to.key, "vendor");
    // From the top, nowhere.
    let top = ticket(3, Status::InProgress, "vendor", "other");
    assert_eq!(
        errors_of(&cfg, "budi", &top, "#escalate"),
        ["#escalate: ticket #3 is with vendor (level 3), and there is no higher level"]
    );
}

#[test]
fn moving_sideways_or_down_needs_the_role() {
    let cfg = cfg();
    let t = ticket(4, Status::InProgress, "network", "other");
    let errors = errors_of(&cfg, "budi", &t, "#escalate:appdev");
    assert!(
        errors[0].starts_with("#escalate:appdev: only a manager may move"),
        "{errors:?}"
    );
    let (_, to) = plan_of(&cfg, "hendra", &t, "#escalate:appdev")
        .unwrap()
        .escalate
        .unwrap();
    assert_eq!(to.key, "appdev");
    assert_eq!(
        errors_of(&cfg, "hendra", &t, "#escalate:network"),
        ["#escalate:network: ticket #4 is with network already"]
    );
    let errors = errors_of(&cfg, "hendra", &t, "#escalate:netwrk");
    assert_eq!(
        errors,
        ["#escalate:netwrk: there is no group \"netwrk\"; did you mean #escalate:network?"]
    );
}

#[test]
fn a_ticket_about_to_be_opened_has_no_number_to_conflict_with() {
    let cfg = cfg();
    let opening = Subject::opening("servicedesk", "other");
    let p = plan_of(
        &cfg,
        "siti",
        &opening,
        "#requester:alice@corp.test #assign:me",
    )
    .unwrap();
    assert_eq!(p.assign.unwrap().handle, "siti");
    // On an existing ticket, #requester belongs in a new mail.
    let t = ticket(9, Status::New, "servicedesk", "other");
    let errors = errors_of(&cfg, "siti", &t, "#requester:alice@corp.test");
    assert!(
        errors[0].contains("not in a reply on ticket #9"),
        "{errors:?}"
    );
    // #merge:N is only "into itself" for ticket N.
    assert_eq!(
        plan_of(&cfg, "siti", &opening, "#merge:9").unwrap().merge,
        Some(9)
    );
    assert_eq!(
        errors_of(&cfg, "siti", &t, "#merge:9"),
        ["#merge:9: a ticket cannot be merged into itself"]
    );
}

#[test]
fn reopen_priority_scales_categories_and_watchers_are_checked() {
    let cfg = cfg();
    let open = ticket(5, Status::InProgress, "servicedesk", "other");
    assert_eq!(
        errors_of(&cfg, "siti", &open, "#reopen"),
        ["#reopen: ticket #5 is not resolved or closed (it is in_progress)"]
    );
    let done = ticket(5, Status::Closed, "servicedesk", "other");
    assert!(plan_of(&cfg, "siti", &done, "#reopen").unwrap().reopen);
    let p = plan_of(
        &cfg,
        "siti",
        &open,
        "#urgency:high #priority:1 #category:app.down",
    )
    .unwrap();
    assert_eq!(p.urgency.as_deref(), Some("high"));
    assert_eq!(p.priority, Some(1));
    assert_eq!(
        p.recategorise,
        Some(Recategorise {
            category: "app.down".into(),
            ticket_type: "incident".into()
        })
    );
    let errors = errors_of(&cfg, "siti", &open, "#category:app.dwn");
    assert!(
        errors[0].contains("did you mean #category:app.down?"),
        "{errors:?}"
    );
    assert_eq!(
        errors_of(&cfg, "siti", &open, "#cc:helpdesk@corp.test"),
        ["#cc:helpdesk@corp.test: the desk's own address cannot watch a ticket"]
    );
    let p = plan_of(&cfg, "siti", &open, "#cc:eko@corp.test #internal").unwrap();
    assert_eq!(p.cc.len(), 1);
    assert!(p.internal);
}

#[test]
fn show_needs_a_ticket_and_goes_with_other_commands() {
    let cfg = cfg();
    let open = ticket(7, Status::InProgress, "servicedesk", "other");
    let p = plan_of(&cfg, "siti", &open, "#show").unwrap();
    assert!(p.show && p.status.is_none());
    let p = plan_of(&cfg, "siti", &open, "#assign:me #show").unwrap();
    assert!(p.show && p.assign.is_some());
    let opening = Subject::opening("servicedesk", "other");
    let errors = errors_of(&cfg, "siti", &opening, "#show");
    assert!(
        errors[0].starts_with("#show: shows a ticket's record"),
        "{errors:?}"
    );
}
