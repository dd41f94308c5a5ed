//! The procurement lifecycle (采购项目): projects and lots, published notices, sealed bids,
//! evaluation runs, awards and contracts. Shared by the HTTP API and the CLI; every write happens
//! in one transaction, and a refused request changes nothing.
//!
//! States: draft → published → closed → opened → evaluated → awarded | failed → contracted.
//! `closed` and `opened` follow from the timeline and the clock (the bid deadline and the opening
//! time pass by themselves); the others are stored.

pub mod bids;
pub mod evaluation;
pub mod notices;
pub mod ocds;
pub mod projects;

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

/// A 409 that says what the state is and what the action needs.
pub(crate) fn wrong_phase(action: &str, phase: Phase, needs: &str) -> Error {
    wrong_phase_because(Cause::WrongState, action, phase, needs)
}

/// The same with its cause: a bid or a correction after the deadline is `bid_deadline_passed`.
pub(crate) fn wrong_phase_because(cause: Cause, action: &str, phase: Phase, needs: &str) -> Error {
    Error::Conflict(
        cause,
        format!(
            "cannot {action}: the project is {}; this needs {needs}",
            phase.as_str()
        ),
    )
}

pub use crate::domain::digest::sha256_hex;
