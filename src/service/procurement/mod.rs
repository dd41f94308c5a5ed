//! The procurement lifecycle (采购项目): projects and lots, published notices, sealed bids,
//! evaluation runs, awards and contracts. Shared by the HTTP API and the CLI; every write happens
//! in one transaction, and a refused request changes nothing.
//!
//! States: draft → published → closed → opened → evaluated → awarded | failed → contracted.
//! `closed` and `opened` follow from the timeline and the clock (the bid deadline and the opening
//! time pass by themselves); the others are stored.

pub mod bids;
pub mod documents;
pub mod evaluation;
pub mod holds;
pub mod notice_format;
pub mod notices;
pub mod ocds;
pub mod opening;
pub mod outcomes;
pub mod project_documents;
pub mod projects;
pub mod termination;

use crate::db::procurement::{self as repo, Lot, Project};
use crate::db::DbConnection;
use crate::domain::lifecycle::ProjectState;
use crate::error::{Cause, Error, Result};
use crate::service::Actor;
use chrono::{DateTime, NaiveDateTime, Utc};

pub use crate::domain::lifecycle::Phase;

/// The phase of a stored project at `now`: its state with the timeline applied.
pub fn phase(project: &Project, now: NaiveDateTime) -> Phase {
    Phase::at(project.state, project.bid_deadline, project.opening_at, now)
}

pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

pub use crate::wire::time::parse_time;

#[tracing::instrument(skip_all)]
pub(crate) fn find_project(conn: &mut DbConnection, id: &str) -> Result<Project> {
    repo::find_project(conn, id)?.ok_or_else(|| Error::NotFound(format!("no project with id {id}")))
}

#[tracing::instrument(skip_all)]
pub(crate) fn find_lot(conn: &mut DbConnection, id: &str) -> Result<(Lot, Project)> {
    let lot =
        repo::find_lot(conn, id)?.ok_or_else(|| Error::NotFound(format!("no lot with id {id}")))?;
    let project = find_project(conn, &lot.project_id)?;
    Ok((lot, project))
}

/// A project the actor may see: drafts only to their agency, admins and auditors; a hidden
/// draft answers 404 as if it did not exist.
#[tracing::instrument(skip_all)]
pub(crate) fn visible_project(
    conn: &mut DbConnection,
    actor: &Actor<'_>,
    id: &str,
) -> Result<Project> {
    let p = find_project(conn, id)?;
    if p.state == ProjectState::Draft && !actor.is_staff_of(&p) {
        return Err(Error::NotFound(format!("no project with id {id}")));
    }
    Ok(p)
}

/// Refuses a change by someone other than the project's agency or an admin.
pub(crate) fn require_manager(actor: &Actor<'_>, project: &Project) -> Result<()> {
    if actor.manages(project) {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "only the project's agency (or an admin) may change it".into(),
        ))
    }
}

/// Refuses, before anything else is read, a caller who may not change this project: 404 for a
/// project it may not see, 403 for another agency's.
#[tracing::instrument(skip_all)]
pub fn may_manage_project(conn: &mut DbConnection, actor: &Actor<'_>, id: &str) -> Result<()> {
    let p = visible_project(conn, actor, id)?;
    require_manager(actor, &p)
}

/// The same for a lot, by its project.
#[tracing::instrument(skip_all)]
pub fn may_manage_lot(conn: &mut DbConnection, actor: &Actor<'_>, id: &str) -> Result<()> {
    let (_, p) = find_lot(conn, id)?;
    if p.state == ProjectState::Draft && !actor.is_staff_of(&p) {
        return Err(Error::NotFound(format!("no lot with id {id}")));
    }
    require_manager(actor, &p)
}

/// A 409 that says what the state is and what the action needs: `step` is the message code
/// (`refusal.publish_phase` …), rendered in English for the API and kept for the pages.
pub(crate) fn wrong_phase(step: &'static str, phase: Phase) -> Error {
    wrong_phase_because(Cause::WrongState, step, phase, Vec::new())
}

/// The same with its cause (a bid or a correction after the deadline is
/// `bid_deadline_passed`) and further parameters of the message.
pub(crate) fn wrong_phase_because(
    cause: Cause,
    step: &'static str,
    phase: Phase,
    mut params: Vec<(&'static str, String)>,
) -> Error {
    use crate::domain::messages::{label, Lang};
    params.push(("phase", phase.as_str().to_string()));
    params.push(("phase_zh", label(Lang::Zh, "state", phase.as_str())));
    crate::service::refuse(cause, step, params)
}

/// A time in a refusal's two languages, nothing when unset: `en` with the UTC time (RFC 3339),
/// `zh` with the Beijing minute, each with `{}` where the time goes.
pub(crate) fn when_said(
    t: Option<chrono::NaiveDateTime>,
    en: &str,
    zh: &str,
) -> Vec<(&'static str, String)> {
    let (when, when_zh) = t.map_or_else(Default::default, |t| {
        (
            en.replace("{}", &utc(t).to_rfc3339()),
            zh.replace("{}", &crate::domain::beijing::minute_of(t)),
        )
    });
    vec![("when", when), ("when_zh", when_zh)]
}

/// A lot's number and state as a refusal's parameters.
pub(crate) fn lot_said(lot: &crate::db::procurement::Lot) -> Vec<(&'static str, String)> {
    use crate::domain::messages::{label, Lang};
    vec![
        ("lot", lot.number.to_string()),
        ("state", lot.state.to_string()),
        ("state_zh", label(Lang::Zh, "state", lot.state.as_str())),
    ]
}

pub use crate::domain::digest::sha256_hex;
