//! A new round (重新采购) of failed lots: a draft project of the same agency, department, 品目,
//! method, policy and terms, with a copy of each failed lot linked to it (`round_of`), the
//! original's key holders, and a timeline of its own. Its reservation is the profile's: a
//! reserved lot that failed for too few bids runs unreserved where the profile allows
//! (财库〔2020〕46号 — `reserved_lot_rerun_unreserved`), and stays reserved otherwise.

use super::validate::{check_timeline, time};
use super::*;
use crate::db::procurement::{Lot, Project};
use crate::domain::lifecycle::LotState;
use crate::error::Cause;
use crate::service::procurement::holds::{check_hold, Step};
use crate::wire::fields::coded;

/// What the new round needs besides the lots' copies.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoundInput {
    /// The failed lots to procure again (ids); default every failed lot without a round yet.
    pub lots: Option<Vec<String>>,
    /// The new round's bid deadline (RFC 3339); it may also be set on the draft later.
    #[schema(format = DateTime)]
    pub bid_deadline: Option<String>,
    /// Its opening time (RFC 3339).
    #[schema(format = DateTime)]
    pub opening_at: Option<String>,
}

/// The round a project is: 1 for a first procurement, 2 for its first new round, …
fn round_number(conn: &mut DbConnection, p: &Project) -> Result<u32> {
    let mut n = 1;
    let mut at = p.round_of.clone();
    while let Some(id) = at {
        n += 1;
        at = repo::find_project(conn, &id)?.and_then(|x| x.round_of);
        if n > 100 {
            break;
        }
    }
    Ok(n)
}

/// Whether a failed reserved lot runs unreserved in its new round: it failed in its
/// evaluation (too few bids) and the profile lets a reserved lot re-run unreserved.
fn runs_unreserved(conn: &mut DbConnection, p: &Project, lot: &Lot) -> Result<bool> {
    let profile = policy::profile(&p.policy_id)
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("profile {} missing", p.policy_id)))?;
    let failed_run = repo::latest_run(conn, &lot.id)?.is_some_and(|r| r.outcome == "failed");
    Ok(lot.reserved
        && lot.termination_reason.is_none()
        && failed_run
        && profile.failure.reserved_lot_rerun_unreserved)
}

/// Drafts the new round of a project's failed lots (its agency, or an admin).
#[tracing::instrument(skip_all)]
pub fn new_round(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    project_id: &str,
    input: &RoundInput,
) -> Result<ProjectView> {
    let now = clock.now_naive();
    let mut problems = Vec::new();
    let deadline = time(&input.bid_deadline, "bid_deadline", &mut problems);
    let opening = time(&input.opening_at, "opening_at", &mut problems);
    check_timeline(deadline, opening, Some(now), &mut problems);
    if !problems.is_empty() {
        return Err(Error::Validation(problems));
    }
    let draft = crate::db::write(conn, |conn| {
        let p = visible_project(conn, actor, project_id)?;
        require_manager(actor, &p)?;
        check_hold(
            conn,
            &p,
            None,
            Step::Round,
            crate::domain::beijing::day_of(now),
        )?;
        let all = repo::lots_of(conn, &p.id)?;
        let lots = failed_lots(conn, &all, input.lots.as_deref())?;
        let n = round_number(conn, &p)? + 1;
        let id = db::new_id();
        let mut copies = Vec::with_capacity(lots.len());
        let mut lifted_any = false;
        for (i, lot) in lots.iter().enumerate() {
            let unreserved = runs_unreserved(conn, &p, lot)?;
            lifted_any |= unreserved;
            copies.push(Lot {
                id: db::new_id(),
                project_id: id.clone(),
                number: i as i32 + 1,
                title: lot.title.clone(),
                budget_fen: lot.budget_fen,
                reserved: lot.reserved && !unreserved,
                // Counted as reserved in the ledger, like a lot whose reservation was lifted.
                reservation_lifted: unreserved || lot.reservation_lifted,
                state: LotState::Open,
                awarded_bid_id: None,
                awarded_at: None,
                max_price_fen: lot.max_price_fen,
                round_of: Some(lot.id.clone()),
                termination_reason: None,
                terminated_at: None,
            });
        }
        let reserved = copies.iter().filter(|l| l.reserved).count();
        let (reservation, reservation_reason) = match reserved {
            0 if lifted_any => (
                "none".to_string(),
                Some(format!(
                    "重新采购：原预留采购包因符合条件的中小企业投标不足而失败，按 {} 不再专门面向中小企业",
                    p.policy_id
                )),
            ),
            0 => ("none".to_string(), p.reservation_reason.clone().or(Some("重新采购".into()))),
            r if r == copies.len() && p.reservation == "whole" => ("whole".to_string(), None),
            _ => ("lots".to_string(), None),
        };
        let base: String = p.title.chars().take(180).collect();
        let draft = Project {
            id: id.clone(),
            agency_id: p.agency_id.clone(),
            department_id: p.department_id.clone(),
            title: format!("{base}（第{n}轮）"),
            category: p.category.clone(),
            category_code: p.category_code.clone(),
            procurement_method: p.procurement_method.clone(),
            evaluation_method: p.evaluation_method.clone(),
            policy_id: p.policy_id.clone(),
            policy_version: None,
            reservation,
            reservation_reason,
            budget_fen: copies.iter().map(|l| l.budget_fen).sum(),
            terms: p.terms.clone(),
            region: p.region.clone(),
            state: ProjectState::Draft,
            bid_deadline: deadline,
            opening_at: opening,
            published_at: None,
            created_at: now,
            updated_at: now,
            number: None,
            category_name: p.category_name.clone(),
            requirements: p.requirements.clone(),
            qualification: p.qualification.clone(),
            contract_period: p.contract_period.clone(),
            opening_place: p.opening_place.clone(),
            contact_name: p.contact_name.clone(),
            contact_phone: p.contact_phone.clone(),
            round_of: Some(p.id.clone()),
        };
        repo::insert_project(conn, &draft)?;
        for lot in &copies {
            repo::insert_lot(conn, lot)?;
        }
        if let Some((threshold, holders)) = repo::key_plan(conn, &p.id)? {
            let users: Vec<String> = holders.into_iter().map(|h| h.user_id).collect();
            repo::set_key_plan(conn, &id, threshold, &users, now)?;
        }
        audit::record(
            conn,
            clock,
            Change::new(actor.audit_id(), "project.round", "project", &id)
                .after(&(&draft, &copies)),
        )?;
        Ok::<_, Error>(draft)
    })?;
    view(conn, actor, draft, now)
}

/// The lots a round procures again: those named (failed lots of the project without a round
/// yet), or every such lot.
fn failed_lots(conn: &mut DbConnection, all: &[Lot], named: Option<&[String]>) -> Result<Vec<Lot>> {
    let mut chosen = Vec::new();
    match named {
        None => {
            for l in all.iter().filter(|l| l.state == LotState::Failed) {
                if repo::next_round_of_lot(conn, &l.id)?.is_none() {
                    chosen.push(l.clone());
                }
            }
            if chosen.is_empty() {
                return Err(crate::service::refuse(
                    Cause::WrongState,
                    "refusal.round_nothing",
                    vec![],
                ));
            }
        }
        Some(ids) => {
            let mut problems = Vec::new();
            if ids.is_empty() {
                problems.push(coded("lots", "problem.required_lot", vec![]));
            }
            for (i, id) in ids.iter().enumerate() {
                match all.iter().find(|l| l.id == *id) {
                    None => problems.push(coded(
                        format!("lots[{i}]"),
                        "problem.not_a_lot_of_project",
                        vec![("id", id.clone())],
                    )),
                    Some(l) if chosen.iter().any(|c: &Lot| c.id == l.id) => problems.push(coded(
                        format!("lots[{i}]"),
                        "problem.lot_listed_twice",
                        vec![],
                    )),
                    Some(l) => chosen.push(l.clone()),
                }
            }
            if !problems.is_empty() {
                return Err(Error::Validation(problems));
            }
            for l in &chosen {
                if l.state != LotState::Failed {
                    return Err(crate::service::refuse(
                        Cause::WrongState,
                        "refusal.round_not_failed",
                        crate::service::procurement::lot_said(l),
                    ));
                }
                if let Some(next) = repo::next_round_of_lot(conn, &l.id)? {
                    return Err(crate::service::refuse(
                        Cause::Duplicate,
                        "refusal.round_exists",
                        vec![("lot", l.number.to_string()), ("project", next.project_id)],
                    ));
                }
            }
        }
    }
    Ok(chosen)
}
