//! What changes a lot's outcome after the fact: its award ending (the winner declines, does not
//! sign, is ineligible, or a ruling voids it — 政府采购法实施条例 Art. 49), the lot reopened for a
//! new evaluation or ended (终止) by the agency or by a ruling, and the project's stored state
//! settled from its lots afterwards. Each runs inside the caller's transaction.

use crate::db::procurement::{self as repo, Lot, Project};
use crate::db::remedies::{self as remedies_repo, AwardChange};
use crate::db::DbConnection;
use crate::domain::lifecycle::{ContractStatus, LotState, ProjectState};
use crate::domain::remedies::{AwardEnd, Remedy};
use crate::error::{Error, Result};
use crate::service::audit::Change;
use chrono::NaiveDateTime;

/// Bids a lot's award has passed over: never awarded that lot again (a re-evaluation passes
/// over nobody).
pub(crate) fn passed_over(conn: &mut DbConnection, lot_id: &str) -> Result<Vec<String>> {
    Ok(remedies_repo::award_changes_of(conn, lot_id)?
        .into_iter()
        .filter(|c| {
            c.reason
                .parse::<AwardEnd>()
                .map_or(true, AwardEnd::passes_over)
        })
        .map(|c| c.from_bid_id)
        .collect())
}

/// Voids the signed contract of a lot, if it has one: it no longer credits the department's
/// reserved share nor backs a loan.
fn void_contract(
    conn: &mut DbConnection,
    actor: &str,
    lot: &Lot,
    reason: &str,
    now: NaiveDateTime,
    changes: &mut Vec<(String, serde_json::Value, serde_json::Value)>,
) -> Result<()> {
    for contract in repo::void_signed_contracts(conn, &lot.id, reason, now)? {
        changes.push((
            contract.id.clone(),
            serde_json::json!({"status": contract.status, "actor": actor}),
            serde_json::json!({"status": ContractStatus::Void, "void_reason": reason}),
        ));
    }
    Ok(())
}

/// Ends the lot's award (and voids its contract): the bid is passed over for good. `to` is
/// the bid awarded in its place, if any.
#[allow(clippy::too_many_arguments)]
pub(crate) fn end_award(
    conn: &mut DbConnection,
    clock: &dyn crate::clock::Clock,
    actor: &str,
    lot: &Lot,
    reason: AwardEnd,
    text: &str,
    to: Option<&str>,
    notice_id: Option<&str>,
) -> Result<Option<AwardChange>> {
    let Some(from) = lot.awarded_bid_id.clone() else {
        return Ok(None);
    };
    let now = clock.now_naive();
    let mut voided = Vec::new();
    void_contract(conn, actor, lot, text, now, &mut voided)?;
    let change = AwardChange {
        id: crate::db::new_id(),
        lot_id: lot.id.clone(),
        from_bid_id: from,
        to_bid_id: to.map(str::to_string),
        reason: reason.as_str().to_string(),
        text: text.to_string(),
        actor: actor.to_string(),
        at: now,
        notice_id: notice_id.map(str::to_string),
    };
    remedies_repo::insert_award_change(conn, &change)?;
    let mut events = vec![Change::new(actor, "lot.award_end", "lot", &lot.id).after(&change)];
    for (id, before, after) in &voided {
        events.push(
            Change::new(actor, "contract.void", "contract", id)
                .before(before)
                .after(after),
        );
    }
    crate::service::audit::append(conn, clock, &events)?;
    Ok(Some(change))
}

/// A ruling's remedy on one lot (94号令 Art. 31–32): re-evaluation reopens it (its award ends
/// without passing the bid over, its runs stay on record); award void ends the award for good
/// and leaves the ranking, for the next ranked bid or a new procurement; re-procurement ends the
/// lot. A signed contract is voided in each case.
pub(crate) fn apply_remedy(
    conn: &mut DbConnection,
    clock: &dyn crate::clock::Clock,
    actor: &str,
    lot: &Lot,
    remedy: Remedy,
    text: &str,
) -> Result<()> {
    let (end, state) = match remedy {
        Remedy::ReProcurement => return end_lot(conn, clock, actor, lot, text),
        Remedy::ReEvaluation => (AwardEnd::Reevaluation, LotState::Open),
        Remedy::AwardVoid => (AwardEnd::Remedy, LotState::Evaluated),
    };
    end_award(conn, clock, actor, lot, end, text, None, None)?;
    set_outcome(conn, clock, actor, lot, state, None)
}

/// Ends a lot (终止, or a ruling's 重新开展采购活动): it fails with the reason and may be procured
/// again in a new round. A lot still sealed stays sealed: its key shares are erased, so
/// nobody opens it.
pub(crate) fn end_lot(
    conn: &mut DbConnection,
    clock: &dyn crate::clock::Clock,
    actor: &str,
    lot: &Lot,
    reason: &str,
) -> Result<()> {
    if lot.awarded_bid_id.is_some() {
        end_award(
            conn,
            clock,
            actor,
            lot,
            AwardEnd::Remedy,
            reason,
            None,
            None,
        )?;
    }
    if repo::find_lot_key(conn, &lot.id)?.is_some_and(|k| k.opened_at.is_none()) {
        repo::erase_shares(conn, &lot.id)?;
    }
    set_outcome(conn, clock, actor, lot, LotState::Failed, Some(reason))
}

fn set_outcome(
    conn: &mut DbConnection,
    clock: &dyn crate::clock::Clock,
    actor: &str,
    lot: &Lot,
    state: LotState,
    ended: Option<&str>,
) -> Result<()> {
    let now = clock.now_naive();
    repo::set_lot_outcome(conn, &lot.id, state, ended, now)?;
    let after = repo::find_lot(conn, &lot.id)?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("lot {} vanished", lot.id)))?;
    crate::service::audit::record(
        conn,
        clock,
        Change::new(actor, "lot.outcome", "lot", &lot.id)
            .before(lot)
            .after(&after),
    )
}

/// The project's stored state from its lots: open lots → published (the clock gives the
/// phase), lots to award → evaluated, every lot failed → failed; otherwise a project whose
/// result is out stays awarded (contracted once every winner has signed) and one whose
/// result is not yet out keeps its state until the result notice.
pub(crate) fn settle(
    conn: &mut DbConnection,
    clock: &dyn crate::clock::Clock,
    actor: &str,
    project: &Project,
) -> Result<Project> {
    let lots = repo::lots_of(conn, &project.id)?;
    let current = project.state;
    let next = if lots.iter().any(|l| l.state == LotState::Open) {
        ProjectState::Published
    } else if lots.iter().any(|l| l.state == LotState::Evaluated) {
        ProjectState::Evaluated
    } else if lots.iter().all(|l| l.state == LotState::Failed) {
        ProjectState::Failed
    } else if matches!(current, ProjectState::Awarded | ProjectState::Contracted) {
        if lots.iter().any(|l| l.state == LotState::Awarded) {
            ProjectState::Awarded
        } else {
            ProjectState::Contracted
        }
    } else {
        current
    };
    if next == current {
        return Ok(project.clone());
    }
    let now = clock.now_naive();
    repo::set_project_state(conn, &project.id, next, now)?;
    let after = repo::find_project(conn, &project.id)?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("project {} vanished", project.id)))?;
    crate::service::audit::record(
        conn,
        clock,
        Change::new(actor, "project.settle", "project", &project.id)
            .before(project)
            .after(&after),
    )?;
    Ok(after)
}
