use super::*;
use super::{utc, visible_project, Actor};
use crate::clock::Clock;
use crate::db::procurement::{self as repo, Lot, Project};
use crate::db::DbConnection;
use crate::domain::lifecycle::ProjectState;
use crate::domain::Fen;
use crate::error::{Error, Result};
use crate::wire::fields::invalid;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LotView {
    pub id: String,
    pub number: i32,
    pub title: String,
    #[schema(value_type = String, example = "800000.00")]
    pub budget: String,
    pub reserved: bool,
    /// The reservation was lifted after a failed reserved run (re-run unreserved).
    pub reservation_lifted: bool,
    /// open | evaluated | failed | awarded | contracted
    pub state: String,
    /// Submitted bids. Before the opening only the project's agency sees the count (null for
    /// everyone else: 政府采购法实施条例 / 87号令 forbid disclosing the number of bidders); after
    /// the opening, everyone.
    pub bid_count: Option<i64>,
    pub awarded_bid_id: Option<String>,
    /// 最高限价 (yuan), when set.
    #[schema(value_type = Option<String>)]
    pub max_price: Option<String>,
    /// The failed lot this one procures again (a new round).
    pub round_of: Option<String>,
    /// The lot of the new round that procures this one again, and its project.
    pub next_round: Option<RoundRef>,
    /// Why the lot was terminated (终止) or ended by a complaint's ruling.
    pub termination_reason: Option<String>,
    pub terminated_at: Option<DateTime<Utc>>,
    /// Awarded with the result out: the last day to sign (30 days, 政府采购法 Art. 46) and
    /// whether it has passed.
    pub signing_due: Option<chrono::NaiveDate>,
    pub signing_overdue: bool,
}

/// A lot of another round.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RoundRef {
    pub project_id: String,
    pub lot_id: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProjectView {
    pub id: String,
    pub agency_id: String,
    pub department_id: Option<String>,
    pub title: String,
    pub category: String,
    pub category_code: String,
    pub procurement_method: String,
    pub procurement_method_zh: &'static str,
    pub policy: String,
    /// Pinned at publication.
    pub policy_version: Option<String>,
    #[schema(value_type = Object)]
    pub evaluation: serde_json::Value,
    #[schema(value_type = String)]
    pub budget: String,
    pub reservation: String,
    pub reservation_reason: Option<String>,
    pub region: String,
    /// draft | published | closed | opened | evaluated | awarded | failed | contracted
    pub state: &'static str,
    pub bid_deadline: Option<DateTime<Utc>>,
    pub opening_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub lots: Vec<LotView>,
    /// 项目编号.
    pub number: Option<String>,
    /// 品目名称 (as the agency named it).
    pub category_name: Option<String>,
    /// 采购需求概况.
    pub requirements: Option<String>,
    /// 特定资格要求.
    pub qualification: Option<String>,
    /// 合同履行期限.
    pub contract_period: Option<String>,
    /// 开标地点.
    pub opening_place: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    /// The project whose failed lots this one procures again.
    pub round_of: Option<String>,
    /// The projects that procure this one's failed lots again.
    pub next_rounds: Vec<String>,
}

impl ProjectView {
    /// A failed lot not yet procured again (the agency may draft a new round).
    pub fn has_lot_to_procure_again(&self) -> bool {
        self.lots
            .iter()
            .any(|l| l.state == "failed" && l.next_round.is_none())
    }
}

impl LotView {
    /// The count as a page shows it: a dash while it is not to be disclosed.
    pub fn bid_count_text(&self) -> String {
        self.bid_count
            .map_or_else(|| "—".to_string(), |n| n.to_string())
    }
}

pub fn lot_view(l: &Lot, bid_count: Option<i64>) -> LotView {
    LotView {
        id: l.id.clone(),
        number: l.number,
        title: l.title.clone(),
        budget: Fen(l.budget_fen).to_string(),
        reserved: l.reserved,
        reservation_lifted: l.reservation_lifted,
        state: l.state.to_string(),
        bid_count,
        awarded_bid_id: l.awarded_bid_id.clone(),
        max_price: l.max_price_fen.map(|f| Fen(f).to_string()),
        round_of: l.round_of.clone(),
        next_round: None,
        termination_reason: l.termination_reason.clone(),
        terminated_at: l.terminated_at.map(utc),
        signing_due: None,
        signing_overdue: false,
    }
}

/// Whether `actor` may know how many bids the project's lots have at `now`: anyone after the
/// opening; before it, only the project's own agency (POLICY.md §6).
pub fn may_count_bids(actor: &Actor<'_>, p: &Project, now: NaiveDateTime) -> bool {
    crate::service::procurement::phase(p, now).is_opened()
        || matches!(actor, Actor::Agency { agency_id, .. } if *agency_id == p.agency_id)
}

#[tracing::instrument(skip_all)]
pub fn view(
    conn: &mut DbConnection,
    actor: &Actor<'_>,
    p: Project,
    now: NaiveDateTime,
) -> Result<ProjectView> {
    let lots = repo::lots_of(conn, &p.id)?;
    let counts = if may_count_bids(actor, &p, now) {
        Some(repo::bid_counts(conn, &p.id)?)
    } else {
        None
    };
    let count = |id: &str| {
        counts
            .as_ref()
            .map(|c| c.iter().find(|(l, _)| l == id).map_or(0, |(_, n)| *n))
    };
    let signing_from = if matches!(p.state, ProjectState::Awarded | ProjectState::Contracted) {
        repo::notices_of(conn, &p.id)?
            .into_iter()
            .rfind(|n| n.kind == crate::domain::lifecycle::NoticeKind::Result)
            .map(|n| crate::domain::beijing::day_of(n.published_at))
    } else {
        None
    };
    let today = crate::domain::beijing::day_of(now);
    let mut lot_views = Vec::with_capacity(lots.len());
    for l in &lots {
        let mut v = lot_view(l, count(&l.id));
        v.next_round = repo::next_round_of_lot(conn, &l.id)?.map(|n| RoundRef {
            project_id: n.project_id,
            lot_id: n.id,
        });
        if l.state == crate::domain::lifecycle::LotState::Awarded {
            v.signing_due = signing_from.map(crate::domain::remedies::signing_due);
            v.signing_overdue = v.signing_due.is_some_and(|d| today > d);
        }
        lot_views.push(v);
    }
    let next_rounds = repo::rounds_of_project(conn, &p.id)?;
    Ok(ProjectView {
        state: crate::service::procurement::phase(&p, now).as_str(),
        lots: lot_views,
        next_rounds,
        number: p.number,
        category_name: p.category_name,
        requirements: p.requirements,
        qualification: p.qualification,
        contract_period: p.contract_period,
        opening_place: p.opening_place,
        contact_name: p.contact_name,
        contact_phone: p.contact_phone,
        round_of: p.round_of,
        procurement_method_zh: method_zh(&p.procurement_method),
        evaluation: serde_json::from_str(&p.terms).unwrap_or_default(),
        budget: Fen(p.budget_fen).to_string(),
        bid_deadline: p.bid_deadline.map(utc),
        opening_at: p.opening_at.map(utc),
        published_at: p.published_at.map(utc),
        created_at: utc(p.created_at),
        updated_at: utc(p.updated_at),
        id: p.id,
        agency_id: p.agency_id,
        department_id: p.department_id,
        title: p.title,
        category: p.category,
        category_code: p.category_code,
        procurement_method: p.procurement_method,
        policy: p.policy_id,
        policy_version: p.policy_version,
        reservation: p.reservation,
        reservation_reason: p.reservation_reason,
        region: p.region,
    })
}

#[tracing::instrument(skip_all)]
pub fn show(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
) -> Result<ProjectView> {
    let p = visible_project(conn, actor, id)?;
    view(conn, actor, p, clock.now_naive())
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ProjectListParams {
    /// Stored state: draft | published | evaluated | awarded | failed | contracted
    pub state: Option<String>,
    /// 1–100, default 50.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The last id of the previous page.
    pub after: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProjectPage {
    pub items: Vec<ProjectView>,
    pub next_after: Option<String>,
}

/// The workspace list: an agency's own projects; every project for admins and auditors.
#[tracing::instrument(skip_all)]
pub fn list(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    params: &ProjectListParams,
) -> Result<ProjectPage> {
    let limit = params.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(invalid("limit", "problem.range_100", vec![]));
    }
    let agency = match actor {
        Actor::Agency { agency_id, .. } => Some(*agency_id),
        Actor::Admin { .. } | Actor::Cli | Actor::Auditor { .. } | Actor::Finance { .. } => None,
        _ => {
            return Err(Error::Forbidden(
                "the project workspace is for agencies, admins, auditors and finance".into(),
            ))
        }
    };
    let state = match params.state.as_deref() {
        None => None,
        Some(s) => Some(s.parse::<ProjectState>().map_err(|_| {
            let words: Vec<_> = ProjectState::ALL.iter().map(|s| s.as_str()).collect();
            crate::wire::fields::invalid(
                "state",
                "problem.one_of",
                vec![("known", words.join(", "))],
            )
        })?),
    };
    let rows = repo::list_projects(conn, agency, state, params.after.as_deref(), limit + 1)?;
    let more = rows.len() as i64 > limit;
    let now = clock.now_naive();
    let mut items = Vec::new();
    for p in rows.into_iter().take(limit as usize) {
        items.push(view(conn, actor, p, now)?);
    }
    let next_after = more.then(|| items.last().map(|p| p.id.clone())).flatten();
    Ok(ProjectPage { items, next_after })
}
