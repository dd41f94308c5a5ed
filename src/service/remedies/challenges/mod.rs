//! 质疑: a supplier that took part (or obtained the documents) challenges the documents, a
//! step of the process or the result, in writing with facts, grounds and evidence, within 7
//! working days of the day it knew or should have known (政府采购法 Art. 52, 94号令 Art. 10–12);
//! the agency answers in writing within 7 working days (Art. 53), and the answer reaches the
//! challenger and the other suppliers concerned. One challenge per step, raised at once
//! (94号令 Art. 10: 一次性提出).

use super::{
    calendar_refusal, document_view, keep_documents, required_text, today, RemedyDocumentView,
};
use crate::clock::Clock;
use crate::db::enterprises as enterprise_repo;
use crate::db::procurement::{self as procurement_repo, Lot, Project};
use crate::db::remedies::{self as repo, Challenge, ChallengeFilter};
use crate::db::DbConnection;
use crate::domain::beijing::day_of;
use crate::domain::lifecycle::NoticeKind;
use crate::domain::remedies::{
    self as rules, ChallengeKind, ChallengeState, Finding, KnownFrom, ProcessStep,
};
use crate::error::{Cause, Error, Result};
use crate::service::audit::{self, Change};
use crate::service::auth::keys::ServerKeys;
use crate::service::procurement::documents::StoredDocument;
use crate::service::procurement::{require_manager, visible_project};
use crate::service::Actor;
use crate::wire::fields::coded;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A challenge as a supplier writes it (质疑函).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChallengeInput {
    /// documents (采购文件) | process (采购过程) | result (中标、成交结果)
    #[schema(
        required = true,
        nullable = false,
        pattern = "^(documents|process|result)$"
    )]
    pub kind: Option<String>,
    /// The lot concerned: required for process and result; a documents challenge without one
    /// concerns the whole project.
    pub lot_id: Option<String>,
    /// process only: the step challenged, opening (开标) | evaluation (评审).
    #[schema(pattern = "^(opening|evaluation)$")]
    pub step: Option<String>,
    /// 质疑事项及事实: what is challenged and the facts.
    #[schema(required = true, nullable = false, max_length = 5000)]
    pub facts: Option<String>,
    /// 法律依据: the grounds.
    #[schema(required = true, nullable = false, max_length = 5000)]
    pub grounds: Option<String>,
    /// 质疑请求: what the supplier asks for.
    #[schema(required = true, nullable = false, max_length = 2000)]
    pub requests: Option<String>,
}

/// The agency's written answer (质疑答复).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    /// dismissed (质疑不成立) | upheld (质疑成立)
    #[schema(required = true, nullable = false, pattern = "^(dismissed|upheld)$")]
    pub finding: Option<String>,
    /// The answer, with its reasons and what follows (a correction, a new evaluation …).
    #[schema(required = true, nullable = false, max_length = 5000)]
    pub text: Option<String>,
}

/// The challenger, for those who may know it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PartyView {
    pub enterprise_id: String,
    pub name: String,
    pub credit_code: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChallengeView {
    pub id: String,
    pub project_id: String,
    pub project_title: String,
    pub project_number: Option<String>,
    pub lot_id: Option<String>,
    pub lot_number: Option<i32>,
    /// documents | process | result
    pub kind: String,
    /// process: opening | evaluation
    pub step: Option<String>,
    /// The challenger: shown to itself, the project's staff and the finance department; the
    /// other suppliers concerned read the answer without it.
    pub challenger: Option<PartyView>,
    pub facts: String,
    pub grounds: String,
    pub requests: String,
    /// The day the supplier knew or should have known, and why that day.
    pub known_on: NaiveDate,
    /// obtained | notice_period_end | step_end | result_period_end
    pub known_basis: String,
    /// The rule that fixes it (94号令 Art. 10).
    pub known_rule: String,
    /// The last day it could be filed (7 working days after `known_on`).
    pub deadline: NaiveDate,
    pub filed_at: DateTime<Utc>,
    /// The last day of the agency's answer (7 working days after filing).
    pub answer_due: NaiveDate,
    /// pending | answered | withdrawn
    pub state: String,
    /// Pending past its answer's deadline (flagged from the day after).
    pub overdue: bool,
    /// While pending, the lots it concerns are not awarded and no contract is signed.
    pub holds: bool,
    /// dismissed | upheld
    pub finding: Option<String>,
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    /// Answered after its deadline.
    pub answered_late: bool,
    pub documents: Vec<RemedyDocumentView>,
    pub answer_documents: Vec<RemedyDocumentView>,
    /// The complaint (投诉) that followed, if any.
    pub complaint_id: Option<String>,
    /// The last day the challenger may complain to the finance department (15 working days
    /// after the answer's deadline), once it may (answered, or unanswered in time).
    pub complaint_deadline: Option<NaiveDate>,
    /// How the caller sees it: own | staff | concerned.
    pub seen_as: String,
}

/// How a caller may see a challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Own,
    Staff,
    Concerned,
}

/// Filters of `GET /api/v1/challenges`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ChallengeParams {
    pub project_id: Option<String>,
    /// pending | answered | withdrawn
    #[param(pattern = "^(pending|answered|withdrawn)$")]
    pub state: Option<String>,
    /// Only pending challenges past their answer's deadline.
    pub overdue: Option<bool>,
}

mod file;
mod read;

pub use file::*;
pub use read::*;

fn state_said(state: ChallengeState) -> Vec<(&'static str, String)> {
    vec![
        ("challenge_state", state.as_str().to_string()),
        (
            "state_zh",
            crate::domain::messages::label(
                crate::domain::messages::Lang::Zh,
                "challenge_state",
                state.as_str(),
            ),
        ),
    ]
}

pub(crate) fn find(conn: &mut DbConnection, id: &str) -> Result<Challenge> {
    repo::find_challenge(conn, id)?
        .ok_or_else(|| Error::NotFound(format!("no challenge with id {id}")))
}

fn view(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    cal: &crate::domain::calendar::Calendar,
    c: &Challenge,
    seen: Seen,
) -> Result<ChallengeView> {
    let today = today(clock);
    let project = procurement_repo::find_project(conn, &c.project_id)?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("challenge without its project")))?;
    let lot_number = match &c.lot_id {
        Some(id) => procurement_repo::find_lot(conn, id)?.map(|l| l.number),
        None => None,
    };
    let challenger = match seen {
        Seen::Concerned => None,
        _ => enterprise_repo::find_by_id(conn, &c.enterprise_id)?.map(|e| PartyView {
            enterprise_id: e.id,
            name: e.name,
            credit_code: e.credit_code,
        }),
    };
    let documents = if seen == Seen::Concerned {
        Vec::new()
    } else {
        repo::documents_of(conn, "challenge", &c.id)?
            .iter()
            .map(document_view)
            .collect()
    };
    let answer_documents = repo::documents_of(conn, "answer", &c.id)?
        .iter()
        .map(document_view)
        .collect();
    let complaint_id = repo::complaint_of_challenge(conn, &c.id)?.map(|x| x.id);
    let pending = c.state == ChallengeState::Pending;
    let overdue = pending && rules::overdue(c.answer_due, today);
    let may_complain = seen != Seen::Concerned && (c.state == ChallengeState::Answered || overdue);
    // A deadline in a year the calendar does not know yet is not shown (the complaint itself
    // would be refused naming the year).
    let complaint_deadline = may_complain
        .then(|| rules::complaint_deadline(cal, c.answer_due).ok())
        .flatten();
    let known = &rules::rules().challenge.known;
    let known_rule = match c.kind.as_str() {
        "documents" => &known.documents,
        "process" => &known.process,
        _ => &known.result,
    };
    Ok(ChallengeView {
        id: c.id.clone(),
        project_id: c.project_id.clone(),
        project_title: project.title,
        project_number: project.number,
        lot_id: c.lot_id.clone(),
        lot_number,
        kind: c.kind.clone(),
        step: c.step.clone(),
        challenger,
        facts: c.facts.clone(),
        grounds: c.grounds.clone(),
        requests: c.requests.clone(),
        known_on: c.known_on,
        known_basis: c.known_basis.clone(),
        known_rule: known_rule.clone(),
        deadline: c.deadline,
        filed_at: c.filed_at.and_utc(),
        answer_due: c.answer_due,
        state: c.state.as_str().to_string(),
        overdue,
        holds: pending,
        finding: c.outcome.clone(),
        answer: c.answer.clone(),
        answered_at: c.answered_at.map(|t| t.and_utc()),
        answered_late: c.answered_at.is_some_and(|t| day_of(t) > c.answer_due),
        documents,
        answer_documents,
        complaint_id,
        complaint_deadline,
        seen_as: match seen {
            Seen::Own => "own",
            Seen::Staff => "staff",
            Seen::Concerned => "concerned",
        }
        .to_string(),
    })
}
