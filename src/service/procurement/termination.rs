//! 终止: the agency ends a project, or some of its lots, with its reason and a termination
//! notice (终止公告, 财办库〔2020〕50号). An ended lot fails and may be procured again in a new
//! round (`rounds`); a lot still sealed stays sealed for good. A lot with a signed contract is
//! not ended here (a complaint's ruling voids a contract).

use super::holds::{check_hold, Step};
use super::{notices, outcomes, require_manager, visible_project, Phase};
use crate::clock::Clock;
use crate::db::procurement::{self as repo, Lot};
use crate::db::DbConnection;
use crate::domain::lifecycle::{LotState, NoticeKind};
use crate::error::{Cause, Error, Result};
use crate::service::audit::{self, Change};
use crate::service::Actor;
use crate::wire::fields::coded;
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TerminationInput {
    /// 项目终止的原因.
    #[schema(required = true, nullable = false, max_length = 2000)]
    pub reason: Option<String>,
    /// The lots ended (ids); default every lot not yet decided or contracted.
    pub lots: Option<Vec<String>>,
}

/// Ends lots of a project (all of them by default) and publishes the termination notice.
#[tracing::instrument(skip_all)]
pub fn terminate(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    project_id: &str,
    input: &TerminationInput,
) -> Result<notices::NoticeView> {
    let mut problems = Vec::new();
    let reason = crate::wire::fields::text(
        input.reason.as_deref(),
        "reason",
        crate::wire::fields::Text::required(2000).with_lines(),
        &mut problems,
    );
    let Some(reason) = reason.filter(|_| problems.is_empty()) else {
        return Err(Error::Validation(problems));
    };
    let now = clock.now_naive();
    let (notice, ended) = crate::db::write(conn, |conn| {
        let project = visible_project(conn, actor, project_id)?;
        require_manager(actor, &project)?;
        let phase = super::phase(&project, now);
        if phase == Phase::Draft {
            return Err(super::wrong_phase("refusal.terminate_draft", phase));
        }
        check_hold(
            conn,
            &project,
            None,
            Step::Terminate,
            crate::domain::beijing::day_of(now),
        )?;
        let all = repo::lots_of(conn, &project.id)?;
        let ending = chosen_lots(&all, input.lots.as_deref())?;
        let who = actor.audit_id();
        for lot in &ending {
            outcomes::end_lot(conn, clock, who, lot, &reason)?;
        }
        let project = outcomes::settle(conn, clock, who, &project)?;
        let whole = ending.len() == all.len();
        let body = serde_json::json!({
            "project_id": project.id,
            "number": project.number,
            "title": project.title,
            "whole_project": whole,
            "lots": ending.iter().map(|l| serde_json::json!({"id": l.id, "number": l.number, "title": l.title})).collect::<Vec<_>>(),
            "reason": reason,
            "terminated_on": crate::domain::beijing::day_of(now),
        });
        let notice = notices::publish(
            conn,
            clock,
            who,
            &project,
            NoticeKind::Termination,
            body,
            None,
        )?;
        audit::record(
            conn,
            clock,
            Change::new(who, "project.terminate", "project", &project.id).after(
                &serde_json::json!({"lots": ending.iter().map(|l| &l.id).collect::<Vec<_>>(), "reason": reason, "notice": notice.id}),
            ),
        )?;
        Ok::<_, Error>((notice, ending))
    })?;
    // Lots that will never take bids need no encapsulations made ahead.
    for lot in ended {
        crate::service::sealing::ahead::forget(&lot.id);
    }
    Ok(notices::view(notice))
}

/// The lots to end: those named (each a lot of the project, not yet failed or contracted), or
/// every lot still open, evaluated or awarded.
fn chosen_lots(all: &[Lot], named: Option<&[String]>) -> Result<Vec<Lot>> {
    let endable = |l: &Lot| {
        matches!(
            l.state,
            LotState::Open | LotState::Evaluated | LotState::Awarded
        )
    };
    let Some(named) = named else {
        let ending: Vec<Lot> = all.iter().filter(|l| endable(l)).cloned().collect();
        if ending.is_empty() {
            return Err(crate::service::refuse(
                Cause::WrongState,
                "refusal.terminate_nothing",
                vec![],
            ));
        }
        return Ok(ending);
    };
    let mut problems = Vec::new();
    let mut ending: Vec<Lot> = Vec::new();
    if named.is_empty() {
        problems.push(coded("lots", "problem.required_lot", vec![]));
    }
    for (i, id) in named.iter().enumerate() {
        match all.iter().find(|l| l.id == *id) {
            None => problems.push(coded(
                format!("lots[{i}]"),
                "problem.not_a_lot_of_project",
                vec![("id", id.clone())],
            )),
            Some(l) if ending.iter().any(|e| e.id == l.id) => problems.push(coded(
                format!("lots[{i}]"),
                "problem.lot_listed_twice",
                vec![],
            )),
            Some(l) => ending.push(l.clone()),
        }
    }
    if !problems.is_empty() {
        return Err(Error::Validation(problems));
    }
    if let Some(l) = ending.iter().find(|l| !endable(l)) {
        return Err(crate::service::refuse(
            Cause::WrongState,
            "refusal.terminate_lot",
            super::lot_said(l),
        ));
    }
    Ok(ending)
}
