//! What holds a step of a procurement (docs/remedies.md): a complaint's suspension (政府采购法
//! Art. 57) holds every step the agency takes; a pending challenge holds the award and the
//! contract of the lots it concerns. And who may not take part at all: a debarred firm
//! (不良行为记录, Art. 77).

use crate::db::procurement::{Lot, Project};
use crate::db::remedies as repo;
use crate::db::DbConnection;
use crate::error::{Cause, Result};
use crate::wire::fields::coded;
use crate::wire::FieldProblem;
use chrono::NaiveDate;

/// The steps of a procurement a remedy can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Qualification, scores, evaluation runs.
    Review,
    /// An award, or the award passing to the next ranked bid.
    Award,
    /// The result notice.
    Result,
    /// Recording the contract.
    Contract,
    /// A new round of failed lots.
    Round,
    /// Ending the project or lots (终止).
    Terminate,
}

impl Step {
    fn said(self) -> (&'static str, &'static str) {
        match self {
            Step::Review => ("review and evaluate", "审查、评审"),
            Step::Award => ("award", "定标"),
            Step::Result => ("publish the result", "发布结果公告"),
            Step::Contract => ("sign the contract", "签订合同"),
            Step::Round => ("procure again", "重新采购"),
            Step::Terminate => ("terminate", "终止"),
        }
    }
}

/// Refuses a step a remedy holds: a complaint's suspension of the project in force today (any
/// step), or a pending challenge concerning the lot (award and contract).
pub fn check_hold(
    conn: &mut DbConnection,
    project: &Project,
    lot: Option<&Lot>,
    step: Step,
    today: NaiveDate,
) -> Result<()> {
    let (what, what_zh) = step.said();
    for c in repo::suspending_complaints(conn, &project.id)? {
        let (Some(from), Some(until)) = (c.suspended_from, c.suspended_until) else {
            continue;
        };
        let concerns = match (lot, c.lot_id.as_deref()) {
            (Some(l), Some(cl)) => l.id == cl,
            _ => true,
        };
        if concerns && from <= today && today <= until {
            return Err(crate::service::refuse(
                Cause::Suspended,
                "refusal.suspended_by_complaint",
                vec![
                    ("what", what.to_string()),
                    ("what_zh", what_zh.to_string()),
                    ("complaint", c.id.clone()),
                    ("until", until.to_string()),
                ],
            ));
        }
    }
    if matches!(step, Step::Award | Step::Contract) {
        let pending = repo::pending_challenges(conn, &project.id, lot.map(|l| l.id.as_str()))?;
        if let Some(c) = pending.first() {
            return Err(crate::service::refuse(
                Cause::Suspended,
                "refusal.held_by_challenge",
                vec![
                    ("what", what.to_string()),
                    ("what_zh", what_zh.to_string()),
                    ("challenge", c.id.clone()),
                    ("due", c.answer_due.to_string()),
                ],
            ));
        }
    }
    Ok(())
}

/// The problems of a bid's parties barred on `day`: each names the party's field, the record
/// and its last day. `parties`: (field, enterprise id, name).
pub(crate) fn barred(
    conn: &mut DbConnection,
    parties: &[(String, String, String)],
    day: NaiveDate,
) -> Result<Vec<FieldProblem>> {
    let ids: Vec<&str> = parties.iter().map(|(_, id, _)| id.as_str()).collect();
    let found = repo::debarments_in_force(conn, &ids, day)?;
    Ok(parties
        .iter()
        .filter_map(|(field, id, name)| {
            found.iter().find(|d| d.enterprise_id == *id).map(|d| {
                coded(
                    field.clone(),
                    "problem.debarred",
                    vec![
                        ("name", name.clone()),
                        ("until", d.until_on.to_string()),
                        ("record", d.id.clone()),
                        ("reason", d.reason.clone()),
                        (
                            "reason_zh",
                            crate::domain::messages::label(
                                crate::domain::messages::Lang::Zh,
                                "debarment",
                                &d.reason,
                            ),
                        ),
                    ],
                )
            })
        })
        .collect())
}
