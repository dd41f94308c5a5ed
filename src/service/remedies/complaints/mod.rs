//! 投诉: the challenger, unsatisfied with the answer or left without one, complains to the
//! finance department within 15 working days after the answer's deadline (政府采购法 Art. 55);
//! the finance department accepts or rejects it (94号令 Art. 21), may suspend the procurement
//! for at most 30 days (Art. 57), and rules within 30 working days (Art. 56): dismissed, or
//! upheld with its remedy — re-evaluation, re-procurement, or the award void. The ruling is
//! published (投诉处理结果公告).

use super::{
    calendar_refusal, document_view, keep_documents, required_text, today, RemedyDocumentView,
};
use crate::clock::Clock;
use crate::db::enterprises as enterprise_repo;
use crate::db::procurement::{self as procurement_repo};
use crate::db::remedies::{self as repo, Complaint, ComplaintFilter};
use crate::db::DbConnection;
use crate::domain::lifecycle::{LotState, NoticeKind};
use crate::domain::remedies::{self as rules, ChallengeState, ComplaintState, Finding, Remedy};
use crate::error::{Cause, Error, Result};
use crate::service::audit::{self, Change};
use crate::service::auth::keys::ServerKeys;
use crate::service::procurement::documents::StoredDocument;
use crate::service::procurement::{notices, outcomes};
use crate::service::Actor;
use crate::wire::fields::coded;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A complaint as the challenger writes it (投诉书); its matters stay within the challenge's
/// (94号令 Art. 20).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintInput {
    /// 投诉事项及事实.
    #[schema(required = true, nullable = false, max_length = 5000)]
    pub facts: Option<String>,
    /// 法律依据.
    #[schema(required = true, nullable = false, max_length = 5000)]
    pub grounds: Option<String>,
    /// 投诉请求.
    #[schema(required = true, nullable = false, max_length = 2000)]
    pub requests: Option<String>,
}

/// The finance department accepts a complaint (受理), and may suspend the procurement.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInput {
    /// A note on the acceptance.
    #[schema(max_length = 2000)]
    pub note: Option<String>,
    /// Suspend the procurement for this many days from today (1–30, 政府采购法 Art. 57).
    #[schema(minimum = 1, maximum = 30)]
    pub suspend_days: Option<u32>,
}

/// The finance department rejects a complaint (不予受理), with its reason.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectInput {
    #[schema(required = true, nullable = false, max_length = 2000)]
    pub reason: Option<String>,
}

/// A suspension of the procurement while the complaint is handled: `days` counted from its
/// first day (today, or the first day of the suspension in force), 30 at most in all.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspendInput {
    #[schema(required = true, nullable = false, minimum = 1, maximum = 30)]
    pub days: Option<u32>,
}

/// The ruling (处理决定).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulingInput {
    /// dismissed (驳回) | upheld (投诉成立)
    #[schema(required = true, nullable = false, pattern = "^(dismissed|upheld)$")]
    pub ruling: Option<String>,
    /// Upheld only: re_evaluation (重新评审) | re_procurement (重新开展采购活动) | award_void
    /// (中标、成交结果无效).
    #[schema(pattern = "^(re_evaluation|re_procurement|award_void)$")]
    pub remedy: Option<String>,
    /// The decision with its reasons.
    #[schema(required = true, nullable = false, max_length = 5000)]
    pub text: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComplaintView {
    pub id: String,
    pub challenge_id: String,
    pub project_id: String,
    pub project_title: String,
    pub lot_id: Option<String>,
    pub lot_number: Option<i32>,
    pub complainant: super::challenges::PartyView,
    pub facts: String,
    pub grounds: String,
    pub requests: String,
    /// The last day it could be filed.
    pub deadline: NaiveDate,
    pub filed_at: DateTime<Utc>,
    /// The last day to accept or reject it (5 working days after receipt).
    pub acceptance_due: NaiveDate,
    /// The last day to rule (30 working days after receipt).
    pub ruling_due: NaiveDate,
    /// filed | accepted | rejected | ruled | withdrawn
    pub state: String,
    /// Not decided or not ruled past its deadline.
    pub overdue: bool,
    pub decision_reason: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub suspended_from: Option<NaiveDate>,
    pub suspended_until: Option<NaiveDate>,
    /// The suspension holds the procurement today.
    pub suspending: bool,
    /// dismissed | upheld
    pub ruling: Option<String>,
    /// re_evaluation | re_procurement | award_void
    pub remedy: Option<String>,
    pub ruling_text: Option<String>,
    pub ruled_at: Option<DateTime<Utc>>,
    /// The published ruling (投诉处理结果公告).
    pub notice_id: Option<String>,
    pub documents: Vec<RemedyDocumentView>,
    pub ruling_documents: Vec<RemedyDocumentView>,
}

/// Filters of `GET /api/v1/complaints`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ComplaintParams {
    pub project_id: Option<String>,
    /// filed | accepted | rejected | ruled | withdrawn
    #[param(pattern = "^(filed|accepted|rejected|ruled|withdrawn)$")]
    pub state: Option<String>,
}

fn find(conn: &mut DbConnection, id: &str) -> Result<Complaint> {
    repo::find_complaint(conn, id)?
        .ok_or_else(|| Error::NotFound(format!("no complaint with id {id}")))
}

fn require_finance(actor: &Actor<'_>) -> Result<()> {
    if actor.is_finance() {
        Ok(())
    } else {
        Err(Error::forbidden(
            "complaints are decided by the finance department (财政部门)",
        ))
    }
}

fn wrong_state(c: &Complaint, code: &'static str) -> Error {
    crate::service::refuse(
        Cause::WrongState,
        code,
        vec![
            ("complaint_state", c.state.as_str().to_string()),
            (
                "state_zh",
                crate::domain::messages::label(
                    crate::domain::messages::Lang::Zh,
                    "complaint_state",
                    c.state.as_str(),
                ),
            ),
        ],
    )
}

mod decide;

pub use decide::*;

/// The challenger complains about its challenge's answer (or the lack of one).
#[tracing::instrument(skip_all)]
pub fn file(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    keys: &ServerKeys,
    actor: &Actor<'_>,
    challenge_id: &str,
    input: &ComplaintInput,
    docs: &[StoredDocument],
) -> Result<ComplaintView> {
    let mut problems = Vec::new();
    let facts = required_text(&input.facts, "facts", 5000, &mut problems);
    let grounds = required_text(&input.grounds, "grounds", 5000, &mut problems);
    let requests = required_text(&input.requests, "requests", 2000, &mut problems);
    let (Some(facts), Some(grounds), Some(requests), true) =
        (facts, grounds, requests, problems.is_empty())
    else {
        return Err(Error::Validation(problems));
    };
    let now = clock.now_naive();
    let today = today(clock);
    let complaint = crate::db::write(conn, |conn| {
        let challenge = super::challenges::show(conn, keys, actor, challenge_id)?;
        if actor.enterprise_id() != Some(challenge.enterprise_id.as_str()) {
            return Err(Error::forbidden(
                "a complaint is made by the supplier that challenged (质疑前置, 94号令 Art. 19)",
            ));
        }
        match challenge.state {
            ChallengeState::Withdrawn => {
                return Err(crate::service::refuse(
                    Cause::WrongState,
                    "refusal.complaint_withdrawn_challenge",
                    vec![],
                ))
            }
            ChallengeState::Pending if !rules::overdue(challenge.answer_due, today) => {
                return Err(crate::service::refuse(
                    Cause::WrongState,
                    "refusal.complaint_before_answer",
                    vec![("due", challenge.answer_due.to_string())],
                ))
            }
            _ => {}
        }
        let cal = crate::service::calendar::current(conn)?;
        let deadline =
            rules::complaint_deadline(&cal, challenge.answer_due).map_err(calendar_refusal)?;
        if today > deadline {
            return Err(crate::service::refuse(
                Cause::PeriodOver,
                "refusal.complaint_late",
                vec![
                    ("deadline", deadline.to_string()),
                    ("due", challenge.answer_due.to_string()),
                ],
            ));
        }
        if repo::complaint_of_challenge(conn, &challenge.id)?.is_some() {
            return Err(crate::service::refuse(
                Cause::Duplicate,
                "refusal.complaint_twice",
                vec![],
            ));
        }
        let c = Complaint {
            id: crate::db::new_id(),
            challenge_id: challenge.id.clone(),
            project_id: challenge.project_id.clone(),
            lot_id: challenge.lot_id.clone(),
            enterprise_id: challenge.enterprise_id.clone(),
            filed_by: actor.audit_id().to_string(),
            facts,
            grounds,
            requests,
            deadline,
            filed_at: now,
            acceptance_due: rules::acceptance_due(&cal, today).map_err(calendar_refusal)?,
            ruling_due: rules::ruling_due(&cal, today).map_err(calendar_refusal)?,
            state: ComplaintState::Filed,
            decided_by: None,
            decided_at: None,
            decision_reason: None,
            suspended_from: None,
            suspended_until: None,
            suspension_lifted_at: None,
            ruling: None,
            remedy: None,
            ruling_text: None,
            ruled_by: None,
            ruled_at: None,
            notice_id: None,
        };
        repo::insert_complaint(conn, &c)?;
        let kept = keep_documents(conn, actor, "complaint", &c.id, &c.project_id, docs, now)?;
        audit::record(
            conn,
            clock,
            Change::new(actor.audit_id(), "complaint.file", "complaint", &c.id).after(&(&c, &kept)),
        )?;
        Ok::<_, Error>(c)
    })?;
    view(conn, clock, &complaint)
}

/// One complaint: to the complainant, the project's staff and the finance department.
#[tracing::instrument(skip_all)]
pub fn show(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
) -> Result<ComplaintView> {
    let c = find(conn, id)?;
    let project = crate::service::procurement::find_project(conn, &c.project_id)?;
    if actor.enterprise_id() != Some(c.enterprise_id.as_str()) && !actor.is_staff_of(&project) {
        return Err(Error::NotFound(format!("no complaint with id {id}")));
    }
    view(conn, clock, &c)
}

/// The complaints a caller may see: a supplier its own, an agency its projects', auditors,
/// the finance department and admins all.
#[tracing::instrument(skip_all)]
pub fn list(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    params: &ComplaintParams,
) -> Result<Vec<ComplaintView>> {
    let state = match params.state.as_deref() {
        None => None,
        Some(s) => Some(s.parse::<ComplaintState>().map_err(|_| {
            crate::wire::fields::invalid(
                "state",
                "problem.complaint_state",
                vec![("given", format!("{s:?}"))],
            )
        })?),
    };
    let mut f = ComplaintFilter {
        project_id: params.project_id.clone(),
        state,
        ..ComplaintFilter::default()
    };
    match actor {
        Actor::Supplier { enterprise_id, .. } => f.enterprise_id = Some(enterprise_id.to_string()),
        Actor::Agency { agency_id, .. } => f.agency_id = Some(agency_id.to_string()),
        Actor::Admin { .. } | Actor::Cli | Actor::Auditor { .. } | Actor::Finance { .. } => {}
        Actor::Public => return Err(Error::Unauthorized("log in to read complaints".into())),
    }
    let rows = repo::list_complaints(conn, &f, 200)?;
    rows.iter().map(|c| view(conn, clock, c)).collect()
}

fn view(conn: &mut DbConnection, clock: &dyn Clock, c: &Complaint) -> Result<ComplaintView> {
    let today = today(clock);
    let project = crate::service::procurement::find_project(conn, &c.project_id)?;
    let lot_number = match &c.lot_id {
        Some(id) => procurement_repo::find_lot(conn, id)?.map(|l| l.number),
        None => None,
    };
    let e = enterprise_repo::find_by_id(conn, &c.enterprise_id)?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("complainant missing")))?;
    let overdue = match c.state {
        ComplaintState::Filed => rules::overdue(c.acceptance_due, today),
        ComplaintState::Accepted => rules::overdue(c.ruling_due, today),
        _ => false,
    };
    let suspending = c.state == ComplaintState::Accepted
        && c.suspension_lifted_at.is_none()
        && c.suspended_from.is_some_and(|f| f <= today)
        && c.suspended_until.is_some_and(|u| today <= u);
    Ok(ComplaintView {
        id: c.id.clone(),
        challenge_id: c.challenge_id.clone(),
        project_id: c.project_id.clone(),
        project_title: project.title,
        lot_id: c.lot_id.clone(),
        lot_number,
        complainant: super::challenges::PartyView {
            enterprise_id: e.id,
            name: e.name,
            credit_code: e.credit_code,
        },
        facts: c.facts.clone(),
        grounds: c.grounds.clone(),
        requests: c.requests.clone(),
        deadline: c.deadline,
        filed_at: c.filed_at.and_utc(),
        acceptance_due: c.acceptance_due,
        ruling_due: c.ruling_due,
        state: c.state.as_str().to_string(),
        overdue,
        decision_reason: c.decision_reason.clone(),
        decided_at: c.decided_at.map(|t| t.and_utc()),
        suspended_from: c.suspended_from,
        suspended_until: c.suspended_until,
        suspending,
        ruling: c.ruling.clone(),
        remedy: c.remedy.clone(),
        ruling_text: c.ruling_text.clone(),
        ruled_at: c.ruled_at.map(|t| t.and_utc()),
        notice_id: c.notice_id.clone(),
        documents: repo::documents_of(conn, "complaint", &c.id)?
            .iter()
            .map(document_view)
            .collect(),
        ruling_documents: repo::documents_of(conn, "ruling", &c.id)?
            .iter()
            .map(document_view)
            .collect(),
    })
}
