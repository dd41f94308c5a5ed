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

fn kind_of(
    value: Option<&str>,
    problems: &mut Vec<crate::wire::FieldProblem>,
) -> Option<ChallengeKind> {
    match value {
        None => {
            problems.push(crate::wire::fields::required("kind"));
            None
        }
        Some(k) => match k.parse::<ChallengeKind>() {
            Ok(k) => Some(k),
            Err(_) => {
                problems.push(coded(
                    "kind",
                    "problem.challenge_kind",
                    vec![("given", format!("{k:?}"))],
                ));
                None
            }
        },
    }
}

/// The lot a challenge names, a lot of the project.
fn lot_of(
    conn: &mut DbConnection,
    project: &Project,
    lot_id: Option<&str>,
    required: bool,
) -> Result<Option<Lot>> {
    match lot_id {
        None if required => Err(crate::wire::fields::invalid(
            "lot_id",
            "problem.challenge_lot_required",
            vec![],
        )),
        None => Ok(None),
        Some(id) => match procurement_repo::find_lot(conn, id)? {
            Some(l) if l.project_id == project.id => Ok(Some(l)),
            _ => Err(crate::wire::fields::invalid(
                "lot_id",
                "problem.not_a_lot_of_project",
                vec![("id", id.to_string())],
            )),
        },
    }
}

/// Whether an enterprise took part in a lot: a bid of any state, in the clear or sealed.
fn took_part(
    conn: &mut DbConnection,
    keys: &ServerKeys,
    lot: &Lot,
    enterprise_id: &str,
) -> Result<bool> {
    Ok(procurement_repo::has_bid(conn, &lot.id, enterprise_id)?
        || procurement_repo::has_sealed_bid(conn, &lot.id, &keys.bidder_tag(enterprise_id))?)
}

/// What a challenge is about, and who makes it when.
struct Claim<'a> {
    project: &'a Project,
    lot: Option<&'a Lot>,
    kind: ChallengeKind,
    step: Option<ProcessStep>,
    enterprise_id: &'a str,
    now: chrono::NaiveDateTime,
}

/// The facts that fix the day the supplier knew, checking that it may challenge at all.
fn known_from(
    conn: &mut DbConnection,
    keys: &ServerKeys,
    cal: &crate::domain::calendar::Calendar,
    claim: &Claim<'_>,
) -> Result<KnownFrom> {
    let Claim {
        project,
        lot,
        kind,
        step,
        enterprise_id,
        now,
    } = *claim;
    let r = rules::rules();
    let not_part = || {
        Error::forbidden(
            "only a supplier that took part in this lot may challenge its process or result (94号令 Art. 11)",
        )
        .said("refusal.challenge_not_party", vec![])
    };
    match kind {
        ChallengeKind::Documents => {
            let published = project
                .published_at
                .ok_or_else(|| Error::Internal(anyhow::anyhow!("published without a date")))?;
            let notice_period_end = rules::period_end(
                cal,
                day_of(published),
                r.procurement_notice_days(&project.procurement_method),
            )
            .map_err(calendar_refusal)?;
            let obtained = procurement_repo::first_obtained(
                conn,
                &project.id,
                &keys.bidder_tag(enterprise_id),
            )?
            .map(day_of);
            let has_documents =
                !procurement_repo::project_documents_of(conn, &project.id)?.is_empty();
            if has_documents && obtained.is_none() {
                return Err(Error::forbidden(
                    "only a supplier that obtained the procurement documents may challenge them (94号令 Art. 11)",
                )
                .said("refusal.challenge_not_obtained", vec![]));
            }
            Ok(KnownFrom::Documents {
                obtained,
                notice_period_end,
            })
        }
        ChallengeKind::Process => {
            let lot = lot.ok_or_else(|| Error::Internal(anyhow::anyhow!("lot checked")))?;
            if !took_part(conn, keys, lot, enterprise_id)? {
                return Err(not_part());
            }
            let ended = match step {
                Some(ProcessStep::Opening) => procurement_repo::find_lot_key(conn, &lot.id)?
                    .and_then(|k| k.opened_at)
                    .or_else(|| {
                        // A lot published before sealing opened at its opening time.
                        project.opening_at.filter(|_| {
                            crate::service::procurement::phase(project, now).is_opened()
                        })
                    }),
                Some(ProcessStep::Evaluation) => {
                    procurement_repo::latest_run(conn, &lot.id)?.map(|r| r.created_at)
                }
                None => None,
            };
            let Some(ended) = ended else {
                return Err(crate::service::refuse(
                    Cause::WrongState,
                    "refusal.challenge_step_not_yet",
                    vec![
                        ("lot", lot.number.to_string()),
                        (
                            "step",
                            step.map(|s| s.as_str()).unwrap_or_default().to_string(),
                        ),
                    ],
                ));
            };
            Ok(KnownFrom::Process {
                step_end: day_of(ended),
            })
        }
        ChallengeKind::Result => {
            let lot = lot.ok_or_else(|| Error::Internal(anyhow::anyhow!("lot checked")))?;
            if !took_part(conn, keys, lot, enterprise_id)? {
                return Err(not_part());
            }
            let notice = procurement_repo::notices_of(conn, &project.id)?
                .into_iter()
                .rfind(|n| matches!(n.kind, NoticeKind::Result | NoticeKind::Failure))
                .ok_or_else(|| {
                    crate::service::refuse(
                        Cause::StepMissing,
                        "refusal.challenge_no_result",
                        vec![],
                    )
                })?;
            let notice_period_end =
                rules::period_end(cal, day_of(notice.published_at), r.notice_periods.result)
                    .map_err(calendar_refusal)?;
            Ok(KnownFrom::Result { notice_period_end })
        }
    }
}

/// Files a challenge (a supplier, for its enterprise) with its evidence already in the store;
/// on a refusal the caller removes the files.
#[tracing::instrument(skip_all)]
pub fn file(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    keys: &ServerKeys,
    actor: &Actor<'_>,
    project_id: &str,
    input: &ChallengeInput,
    docs: &[StoredDocument],
) -> Result<ChallengeView> {
    let Some(enterprise_id) = actor.enterprise_id() else {
        return Err(Error::forbidden(
            "challenges are filed by suppliers, for their own enterprise",
        ));
    };
    let mut problems = Vec::new();
    let kind = kind_of(input.kind.as_deref(), &mut problems);
    let step = match (kind, input.step.as_deref()) {
        (Some(ChallengeKind::Process), None) => {
            problems.push(coded("step", "problem.challenge_step_required", vec![]));
            None
        }
        (Some(ChallengeKind::Process), Some(s)) => match s.parse::<ProcessStep>() {
            Ok(s) => Some(s),
            Err(_) => {
                problems.push(coded(
                    "step",
                    "problem.challenge_step",
                    vec![("given", format!("{s:?}"))],
                ));
                None
            }
        },
        (Some(_), Some(_)) => {
            problems.push(coded("step", "problem.challenge_step_process_only", vec![]));
            None
        }
        _ => None,
    };
    let facts = required_text(&input.facts, "facts", 5000, &mut problems);
    let grounds = required_text(&input.grounds, "grounds", 5000, &mut problems);
    let requests = required_text(&input.requests, "requests", 2000, &mut problems);
    let (Some(kind), Some(facts), Some(grounds), Some(requests), true) =
        (kind, facts, grounds, requests, problems.is_empty())
    else {
        return Err(Error::Validation(problems));
    };
    let now = clock.now_naive();
    let today = today(clock);
    let challenge = crate::db::write(conn, |conn| {
        let project = visible_project(conn, actor, project_id)?;
        let lot = lot_of(
            conn,
            &project,
            input.lot_id.as_deref(),
            kind != ChallengeKind::Documents,
        )?;
        let cal = crate::service::calendar::current(conn)?;
        let claim = Claim {
            project: &project,
            lot: lot.as_ref(),
            kind,
            step,
            enterprise_id,
            now,
        };
        let from = known_from(conn, keys, &cal, &claim)?;
        let (known_on, basis) = rules::known_day(from);
        let deadline = rules::challenge_deadline(&cal, known_on).map_err(calendar_refusal)?;
        if today > deadline {
            return Err(crate::service::refuse(
                Cause::PeriodOver,
                "refusal.challenge_late",
                vec![
                    ("deadline", deadline.to_string()),
                    ("known", known_on.to_string()),
                    ("basis", basis.as_str().to_string()),
                    (
                        "basis_zh",
                        crate::domain::messages::label(
                            crate::domain::messages::Lang::Zh,
                            "known",
                            basis.as_str(),
                        ),
                    ),
                ],
            ));
        }
        let lot_id = lot.as_ref().map(|l| l.id.clone());
        let twice = repo::challenges_by(conn, &project.id, enterprise_id)?
            .into_iter()
            .any(|c| {
                c.state != ChallengeState::Withdrawn
                    && c.kind == kind.as_str()
                    && c.lot_id == lot_id
                    && c.step.as_deref() == step.map(|s| s.as_str())
            });
        if twice {
            return Err(crate::service::refuse(
                Cause::Duplicate,
                "refusal.challenge_once",
                vec![],
            ));
        }
        let answer_due = rules::answer_due(&cal, today).map_err(calendar_refusal)?;
        let c = Challenge {
            id: crate::db::new_id(),
            project_id: project.id.clone(),
            lot_id,
            enterprise_id: enterprise_id.to_string(),
            filed_by: actor.audit_id().to_string(),
            kind: kind.as_str().to_string(),
            step: step.map(|s| s.as_str().to_string()),
            facts,
            grounds,
            requests,
            known_on,
            known_basis: basis.as_str().to_string(),
            deadline,
            filed_at: now,
            answer_due,
            state: ChallengeState::Pending,
            outcome: None,
            answer: None,
            answered_by: None,
            answered_at: None,
            withdrawn_at: None,
        };
        repo::insert_challenge(conn, &c)?;
        let kept = keep_documents(conn, actor, "challenge", &c.id, &project.id, docs, now)?;
        audit::record(
            conn,
            clock,
            Change::new(actor.audit_id(), "challenge.file", "challenge", &c.id).after(&(&c, &kept)),
        )?;
        Ok::<_, Error>(c)
    })?;
    let cal = crate::service::calendar::current(conn)?;
    view(conn, clock, &cal, &challenge, Seen::Own)
}

/// The agency answers a pending challenge in writing (late answers are taken, and marked).
#[tracing::instrument(skip_all)]
pub fn answer(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
    input: &AnswerInput,
    docs: &[StoredDocument],
) -> Result<ChallengeView> {
    let mut problems = Vec::new();
    let finding = match input.finding.as_deref() {
        None => {
            problems.push(crate::wire::fields::required("finding"));
            None
        }
        Some(f) => match f.parse::<Finding>() {
            Ok(f) => Some(f),
            Err(_) => {
                problems.push(coded(
                    "finding",
                    "problem.finding",
                    vec![("given", format!("{f:?}"))],
                ));
                None
            }
        },
    };
    let text = required_text(&input.text, "text", 5000, &mut problems);
    let (Some(finding), Some(text), true) = (finding, text, problems.is_empty()) else {
        return Err(Error::Validation(problems));
    };
    let now = clock.now_naive();
    let c = crate::db::write(conn, |conn| {
        let mut c = find(conn, id)?;
        let project = visible_project(conn, actor, &c.project_id)?;
        require_manager(actor, &project)?;
        if c.state != ChallengeState::Pending {
            return Err(crate::service::refuse(
                Cause::WrongState,
                "refusal.challenge_not_pending",
                state_said(c.state),
            ));
        }
        let before = c.clone();
        c.state = ChallengeState::Answered;
        c.outcome = Some(finding.as_str().to_string());
        c.answer = Some(text);
        c.answered_by = Some(actor.audit_id().to_string());
        c.answered_at = Some(now);
        repo::update_challenge(conn, &c)?;
        let kept = keep_documents(conn, actor, "answer", &c.id, &c.project_id, docs, now)?;
        audit::record(
            conn,
            clock,
            Change::new(actor.audit_id(), "challenge.answer", "challenge", &c.id)
                .before(&before)
                .after(&(&c, &kept)),
        )?;
        Ok::<_, Error>(c)
    })?;
    let cal = crate::service::calendar::current(conn)?;
    view(conn, clock, &cal, &c, Seen::Staff)
}

/// The challenger withdraws a pending challenge.
#[tracing::instrument(skip_all)]
pub fn withdraw(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
) -> Result<ChallengeView> {
    let now = clock.now_naive();
    let c = crate::db::write(conn, |conn| {
        let mut c = find(conn, id)?;
        if actor.enterprise_id() != Some(c.enterprise_id.as_str()) {
            return Err(Error::NotFound(format!("no challenge with id {id}")));
        }
        if c.state != ChallengeState::Pending {
            return Err(crate::service::refuse(
                Cause::WrongState,
                "refusal.challenge_not_pending",
                state_said(c.state),
            ));
        }
        let before = c.clone();
        c.state = ChallengeState::Withdrawn;
        c.withdrawn_at = Some(now);
        repo::update_challenge(conn, &c)?;
        audit::record(
            conn,
            clock,
            Change::new(actor.audit_id(), "challenge.withdraw", "challenge", &c.id)
                .before(&before)
                .after(&c),
        )?;
        Ok::<_, Error>(c)
    })?;
    let cal = crate::service::calendar::current(conn)?;
    view(conn, clock, &cal, &c, Seen::Own)
}

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

/// The projects a supplier took part in: bids (in the clear or sealed) and documents obtained.
fn projects_of(
    conn: &mut DbConnection,
    keys: &ServerKeys,
    enterprise_id: &str,
) -> Result<Vec<String>> {
    Ok(repo::projects_taken_part(
        conn,
        enterprise_id,
        &keys.bidder_tag(enterprise_id),
    )?)
}

/// How the actor may see a challenge, if at all.
fn seen_by(
    conn: &mut DbConnection,
    keys: &ServerKeys,
    actor: &Actor<'_>,
    c: &Challenge,
) -> Result<Option<Seen>> {
    if actor.enterprise_id() == Some(c.enterprise_id.as_str()) {
        return Ok(Some(Seen::Own));
    }
    let Some(project) = procurement_repo::find_project(conn, &c.project_id)? else {
        return Ok(None);
    };
    if actor.is_staff_of(&project) {
        return Ok(Some(Seen::Staff));
    }
    if let Some(e) = actor.enterprise_id() {
        if c.state == ChallengeState::Answered
            && projects_of(conn, keys, e)?.contains(&c.project_id)
        {
            return Ok(Some(Seen::Concerned));
        }
    }
    Ok(None)
}

/// One challenge, to whoever may see it (others: 404).
#[tracing::instrument(skip_all)]
pub fn show(
    conn: &mut DbConnection,
    keys: &ServerKeys,
    actor: &Actor<'_>,
    id: &str,
) -> Result<Challenge> {
    let c = find(conn, id)?;
    match seen_by(conn, keys, actor, &c)? {
        Some(_) => Ok(c),
        None => Err(Error::NotFound(format!("no challenge with id {id}"))),
    }
}

/// One challenge as its reader sees it.
#[tracing::instrument(skip_all)]
pub fn show_view(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    keys: &ServerKeys,
    actor: &Actor<'_>,
    id: &str,
) -> Result<ChallengeView> {
    let c = find(conn, id)?;
    let seen = seen_by(conn, keys, actor, &c)?
        .ok_or_else(|| Error::NotFound(format!("no challenge with id {id}")))?;
    let cal = crate::service::calendar::current(conn)?;
    view(conn, clock, &cal, &c, seen)
}

/// The challenges a caller may see: a supplier its own and the answered ones of projects it
/// took part in; an agency its projects'; auditors, the finance department and admins all.
#[tracing::instrument(skip_all)]
pub fn list(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    keys: &ServerKeys,
    actor: &Actor<'_>,
    params: &ChallengeParams,
) -> Result<Vec<ChallengeView>> {
    const LIMIT: i64 = 200;
    let state = match params.state.as_deref() {
        None => None,
        Some(s) => Some(s.parse::<ChallengeState>().map_err(|_| {
            crate::wire::fields::invalid(
                "state",
                "problem.challenge_state",
                vec![("given", format!("{s:?}"))],
            )
        })?),
    };
    let base = ChallengeFilter {
        project_id: params.project_id.clone(),
        state,
        due_before: params.overdue.filter(|o| *o).map(|_| today(clock)),
        ..ChallengeFilter::default()
    };
    let cal = crate::service::calendar::current(conn)?;
    let mut out = Vec::new();
    match actor {
        Actor::Supplier { enterprise_id, .. } => {
            let own = ChallengeFilter {
                enterprise_id: Some(enterprise_id.to_string()),
                ..base.clone()
            };
            for c in repo::list_challenges(conn, &own, LIMIT)? {
                out.push(view(conn, clock, &cal, &c, Seen::Own)?);
            }
            let concerned = ChallengeFilter {
                project_ids: Some(projects_of(conn, keys, enterprise_id)?),
                state: Some(ChallengeState::Answered),
                ..base
            };
            if state.is_none_or(|s| s == ChallengeState::Answered) && params.overdue != Some(true) {
                for c in repo::list_challenges(conn, &concerned, LIMIT)? {
                    if c.enterprise_id != *enterprise_id {
                        out.push(view(conn, clock, &cal, &c, Seen::Concerned)?);
                    }
                }
            }
        }
        Actor::Agency { agency_id, .. } => {
            let f = ChallengeFilter {
                agency_id: Some(agency_id.to_string()),
                ..base
            };
            for c in repo::list_challenges(conn, &f, LIMIT)? {
                out.push(view(conn, clock, &cal, &c, Seen::Staff)?);
            }
        }
        Actor::Admin { .. } | Actor::Cli | Actor::Auditor { .. } | Actor::Finance { .. } => {
            for c in repo::list_challenges(conn, &base, LIMIT)? {
                out.push(view(conn, clock, &cal, &c, Seen::Staff)?);
            }
        }
        Actor::Public => {
            return Err(Error::Unauthorized("log in to read challenges".into()));
        }
    }
    Ok(out)
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
