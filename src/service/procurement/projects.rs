//! Projects and lots: drafting, publication (which pins the policy version and publishes the
//! procurement notice) and corrections (更正公告, which may move the timeline).

use super::notices::{self, NoticeKind};
use super::{
    find_project, parse_time, require_manager, utc, visible_project, wrong_phase, Actor, Phase,
};
use crate::clock::Clock;
use crate::db::orgs;
use crate::db::procurement::{self as repo, Lot, Project};
use crate::db::{self, DbConnection};
use crate::domain::category::CategoryCode;
use crate::domain::evaluation::Category;
use crate::domain::policy::{self, Profile};
use crate::domain::{Fen, Hundredths, RegionCode};
use crate::error::{Error, Result};
use crate::service::audit::{self, Change};
use crate::wire::evaluation::{check_terms, ProjectInput, WeightsInput};
use crate::wire::FieldProblem;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

/// 采购方式.
pub const PROCUREMENT_METHODS: [(&str, &str); 6] = [
    ("open_tender", "公开招标"),
    ("invited_tender", "邀请招标"),
    ("competitive_negotiation", "竞争性谈判"),
    ("competitive_consultation", "竞争性磋商"),
    ("inquiry", "询价"),
    ("single_source", "单一来源"),
];

pub fn method_zh(method: &str) -> &'static str {
    PROCUREMENT_METHODS
        .iter()
        .find(|(m, _)| *m == method)
        .map_or("", |(_, zh)| zh)
}

/// How the lot is evaluated, checked against the policy profile as `POST /api/v1/evaluate` checks
/// it. Rates left out take the profile's defaults.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluationTerms {
    /// comprehensive (综合评分法) | lowest_price (最低评标价法)
    #[schema(pattern = "^(comprehensive|lowest_price)$")]
    pub method: Option<String>,
    pub weights: Option<TermWeights>,
    #[schema(value_type = Option<f64>)]
    pub price_deduction_pct: Option<Hundredths>,
    #[schema(value_type = Option<f64>)]
    pub consortium_deduction_pct: Option<Hundredths>,
    #[schema(value_type = Option<f64>)]
    pub minority_bonus_pct: Option<Hundredths>,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TermWeights {
    #[schema(value_type = Option<f64>)]
    pub price: Option<Hundredths>,
    #[schema(value_type = Option<f64>)]
    pub technical: Option<Hundredths>,
    #[schema(value_type = Option<f64>)]
    pub commercial: Option<Hundredths>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LotInput {
    #[schema(required = true, nullable = false)]
    pub title: Option<String>,
    /// Yuan, decimal string.
    #[schema(value_type = Option<String>, example = "800000.00", required = true, nullable = false)]
    pub budget: Option<serde_json::Value>,
    /// Reserved for SMEs (专门面向中小企业); with `reservation: whole` every lot is.
    pub reserved: Option<bool>,
}

/// A project as an agency drafts it. Publication needs the timeline as well.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectDraft {
    #[schema(required = true, nullable = false)]
    pub title: Option<String>,
    /// The budget unit (预算单位) buying: an organisation of kind `department`.
    pub department_id: Option<String>,
    /// goods | services | works
    #[schema(
        required = true,
        nullable = false,
        pattern = "^(goods|services|works)$"
    )]
    pub category: Option<String>,
    /// 政府采购品目 code, e.g. `A02`.
    #[schema(required = true, nullable = false)]
    pub category_code: Option<String>,
    /// open_tender | invited_tender | competitive_negotiation | competitive_consultation | inquiry | single_source
    #[schema(
        required = true,
        nullable = false,
        pattern = "^(open_tender|invited_tender|competitive_negotiation|competitive_consultation|inquiry|single_source)$"
    )]
    pub procurement_method: Option<String>,
    /// Policy profile id; default xinjiang-2011. Its version is pinned at publication.
    #[schema(pattern = "^(national-2011|xinjiang-2011|national-2020|national-2022)$")]
    pub policy: Option<String>,
    #[schema(required = true, nullable = false)]
    pub evaluation: Option<EvaluationTerms>,
    /// Yuan, decimal string; the lots' budgets add up to it.
    #[schema(value_type = Option<String>, example = "3000000.00", required = true, nullable = false)]
    pub budget: Option<serde_json::Value>,
    /// whole (整体预留) | lots (部分采购包预留) | none (不预留, with a reason)
    #[schema(required = true, nullable = false, pattern = "^(whole|lots|none)$")]
    pub reservation: Option<String>,
    pub reservation_reason: Option<String>,
    /// Six-digit region code; default the agency's.
    pub region: Option<String>,
    /// RFC 3339 with offset, e.g. `2026-03-20T09:30:00+08:00`.
    #[schema(format = DateTime)]
    pub bid_deadline: Option<String>,
    #[schema(format = DateTime)]
    pub opening_at: Option<String>,
    #[schema(required = true, nullable = false, min_items = 1, max_items = 200)]
    pub lots: Option<Vec<LotInput>>,
}

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
        state: l.state.clone(),
        bid_count,
        awarded_bid_id: l.awarded_bid_id.clone(),
    }
}

/// Whether `actor` may know how many bids the project's lots have at `now`: anyone after the
/// opening; before it, only the project's own agency (POLICY.md §6).
pub fn may_count_bids(actor: &Actor<'_>, p: &Project, now: NaiveDateTime) -> bool {
    Phase::of(p, now).is_opened()
        || matches!(actor, Actor::Agency { agency_id, .. } if *agency_id == p.agency_id)
}

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
    Ok(ProjectView {
        state: Phase::of(&p, now).as_str(),
        lots: lots.iter().map(|l| lot_view(l, count(&l.id))).collect(),
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

/// The checked project: its row and its lots.
struct Checked {
    project: Project,
    lots: Vec<Lot>,
}

fn text(
    value: &Option<String>,
    field: &str,
    max: usize,
    problems: &mut Vec<FieldProblem>,
) -> Option<String> {
    match value.as_deref().map(str::trim) {
        None | Some("") => {
            problems.push(FieldProblem::new(field, "is required"));
            None
        }
        Some(t) if t.chars().count() > max => {
            problems.push(FieldProblem::new(
                field,
                format!("is longer than {max} characters"),
            ));
            None
        }
        Some(t) if crate::domain::text::invisible(t).is_some() => {
            let c = crate::domain::text::invisible(t).unwrap_or_default();
            problems.push(FieldProblem::new(
                field,
                crate::domain::text::invisible_problem(c),
            ));
            None
        }
        Some(t) => Some(t.to_string()),
    }
}

/// A positive amount in yuan given as a decimal string (a JSON number is refused: no floats).
pub(crate) fn money(
    value: &Option<serde_json::Value>,
    field: &str,
    problems: &mut Vec<FieldProblem>,
) -> Option<Fen> {
    match value {
        None => problems.push(FieldProblem::new(field, "is required: yuan as a decimal string, e.g. \"800000.00\"")),
        Some(serde_json::Value::String(t)) => match Fen::parse_positive_yuan(t) {
            Ok(f) => return Some(f),
            Err(e) => problems.push(FieldProblem::new(field, e.to_string())),
        },
        Some(_) => problems.push(FieldProblem::new(
            field,
            "must be a decimal string in yuan, e.g. \"800000.00\" (JSON numbers are refused: no floats for money)",
        )),
    }
    None
}

fn time(
    value: &Option<String>,
    field: &str,
    problems: &mut Vec<FieldProblem>,
) -> Option<NaiveDateTime> {
    let t = value.as_deref()?;
    match parse_time(t) {
        Ok(t) => Some(t),
        Err(e) => {
            problems.push(FieldProblem::new(field, e));
            None
        }
    }
}

/// The terms as the engine sees them (for the checks) and as stored (resolved rates).
pub fn resolve_terms(
    profile: &Profile,
    category: &str,
    terms: &EvaluationTerms,
) -> std::result::Result<(crate::domain::evaluation::Project, EvaluationTerms), Vec<FieldProblem>> {
    let input = ProjectInput {
        category: Some(category.to_string()),
        method: terms.method.clone(),
        reserved_for_smes: Some(false),
        weights: terms.weights.map(|w| WeightsInput {
            price: w.price,
            technical: w.technical,
            commercial: w.commercial,
        }),
        price_deduction_pct: terms.price_deduction_pct,
        consortium_deduction_pct: terms.consortium_deduction_pct,
        minority_bonus_pct: terms.minority_bonus_pct,
    };
    let checked = check_terms(profile, &input, "evaluation").map_err(|problems| {
        problems
            .into_iter()
            .filter(|p| p.field != "evaluation.category")
            .collect::<Vec<_>>()
    })?;
    let resolved = EvaluationTerms {
        method: Some(checked.method.as_str().to_string()),
        weights: checked.weights.map(|w| TermWeights {
            price: Some(w.price),
            technical: Some(w.technical),
            commercial: Some(w.commercial),
        }),
        price_deduction_pct: Some(checked.small_micro_rate),
        consortium_deduction_pct: Some(checked.consortium_rate),
        minority_bonus_pct: profile
            .active_minority_bonus()
            .map(|_| checked.minority_bonus_rate),
    };
    Ok((checked, resolved))
}

fn check(
    conn: &mut DbConnection,
    actor: &Actor<'_>,
    input: &ProjectDraft,
    id: String,
    now: NaiveDateTime,
    created_at: NaiveDateTime,
) -> Result<Checked> {
    let mut problems = Vec::new();
    let agency_id = match actor {
        Actor::Agency { agency_id, .. } => agency_id.to_string(),
        _ => {
            return Err(Error::Forbidden(
                "projects are opened by agency users, for their own agency".into(),
            ))
        }
    };
    let agency = orgs::find_by_id(conn, &agency_id)?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("agency {agency_id} missing")))?;
    let title = text(&input.title, "title", 200, &mut problems);
    let department_id = match input.department_id.as_deref() {
        None => None,
        Some(d) => match orgs::find_by_id(conn, d)? {
            Some(o) if o.kind == "department" => Some(o.id),
            Some(_) => {
                problems.push(FieldProblem::new(
                    "department_id",
                    "is not a department (预算单位)",
                ));
                None
            }
            None => {
                problems.push(FieldProblem::new(
                    "department_id",
                    format!("no organisation with id {d}"),
                ));
                None
            }
        },
    };
    let category = match input.category.as_deref() {
        None => {
            problems.push(FieldProblem::new(
                "category",
                "is required: goods, services or works",
            ));
            None
        }
        Some(c @ ("goods" | "services" | "works")) => Some(c.to_string()),
        Some(c) => {
            problems.push(FieldProblem::new(
                "category",
                format!("unknown category {c:?}; expected goods, services or works"),
            ));
            None
        }
    };
    let category_code = match input.category_code.as_deref() {
        None => {
            problems.push(FieldProblem::new("category_code", "is required, e.g. A02"));
            None
        }
        Some(c) => match c.parse::<CategoryCode>() {
            Ok(code) => {
                let top = match code.top_level() {
                    'A' => "goods",
                    'B' => "works",
                    _ => "services",
                };
                if category.as_deref().is_some_and(|cat| cat != top) {
                    problems.push(FieldProblem::new(
                        "category_code",
                        format!(
                            "{c} is a {top} code, but category is {}",
                            category.as_deref().unwrap_or_default()
                        ),
                    ));
                }
                Some(code.as_str().to_string())
            }
            Err(e) => {
                problems.push(FieldProblem::new("category_code", e.to_string()));
                None
            }
        },
    };
    let procurement_method = match input.procurement_method.as_deref() {
        None => {
            problems.push(FieldProblem::new("procurement_method", "is required"));
            None
        }
        Some(m) if PROCUREMENT_METHODS.iter().any(|(k, _)| *k == m) => Some(m.to_string()),
        Some(m) => {
            problems.push(FieldProblem::new(
                "procurement_method",
                format!(
                    "unknown method {m:?}; expected one of: {}",
                    PROCUREMENT_METHODS.map(|(k, _)| k).join(", ")
                ),
            ));
            None
        }
    };
    let policy_id = input
        .policy
        .clone()
        .unwrap_or_else(|| policy::DEFAULT_PROFILE.to_string());
    let profile = policy::profile(&policy_id);
    if profile.is_none() {
        problems.push(FieldProblem::new(
            "policy",
            format!(
                "unknown policy profile {policy_id:?}; expected one of: {}",
                policy::profile_ids().join(", ")
            ),
        ));
    }
    let terms = match (profile, category.as_deref(), &input.evaluation) {
        (_, _, None) => {
            problems.push(FieldProblem::new(
                "evaluation",
                "is required: method, weights and rates",
            ));
            None
        }
        (Some(profile), Some(cat), Some(t)) => match resolve_terms(profile, cat, t) {
            Ok((_, resolved)) => Some(resolved),
            Err(list) => {
                problems.extend(list);
                None
            }
        },
        _ => None,
    };
    let budget = money(&input.budget, "budget", &mut problems);
    let reservation = match input.reservation.as_deref() {
        Some(r @ ("whole" | "lots" | "none")) => Some(r.to_string()),
        Some(r) => {
            problems.push(FieldProblem::new(
                "reservation",
                format!("unknown reservation {r:?}; expected whole, lots or none"),
            ));
            None
        }
        None => {
            problems.push(FieldProblem::new(
                "reservation",
                "is required: whole, lots or none (with reservation_reason)",
            ));
            None
        }
    };
    let reason = input
        .reservation_reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    if reservation.as_deref() == Some("none") && reason.is_none() {
        problems.push(FieldProblem::new(
            "reservation_reason",
            "is required when nothing is reserved for SMEs (e.g. 中小企业无法提供)",
        ));
    }
    let region = match input.region.as_deref().or(agency.region.as_deref()) {
        None => {
            problems.push(FieldProblem::new(
                "region",
                "is required (the agency has none)",
            ));
            None
        }
        Some(r) => match r.parse::<RegionCode>() {
            Ok(r) => Some(r.to_string()),
            Err(e) => {
                problems.push(FieldProblem::new("region", e.to_string()));
                None
            }
        },
    };
    let bid_deadline = time(&input.bid_deadline, "bid_deadline", &mut problems);
    let opening_at = time(&input.opening_at, "opening_at", &mut problems);
    check_timeline(bid_deadline, opening_at, None, &mut problems);
    let mut lots = Vec::new();
    match input.lots.as_deref() {
        None | Some([]) => problems.push(FieldProblem::new(
            "lots",
            "is required: at least one lot (采购包)",
        )),
        Some(list) if list.len() > 200 => {
            problems.push(FieldProblem::new("lots", "has more than 200 lots"))
        }
        Some(list) => {
            let mut sum = 0i64;
            let mut all_ok = true;
            for (i, l) in list.iter().enumerate() {
                let at = |f: &str| format!("lots[{i}].{f}");
                let title = text(&l.title, &at("title"), 200, &mut problems);
                let budget = money(&l.budget, &at("budget"), &mut problems);
                let reserved = match (reservation.as_deref(), l.reserved) {
                    (Some("whole"), Some(false)) => {
                        problems.push(FieldProblem::new(
                            at("reserved"),
                            "cannot be false: the whole project is reserved",
                        ));
                        false
                    }
                    (Some("whole"), _) => true,
                    (Some("none"), Some(true)) => {
                        problems.push(FieldProblem::new(
                            at("reserved"),
                            "cannot be true: reservation is none",
                        ));
                        false
                    }
                    (_, r) => r.unwrap_or(false),
                };
                match (title, budget) {
                    (Some(title), Some(budget)) => {
                        sum = sum.saturating_add(budget.0);
                        lots.push(Lot {
                            id: db::new_id(),
                            project_id: id.clone(),
                            number: i as i32 + 1,
                            title,
                            budget_fen: budget.0,
                            reserved,
                            reservation_lifted: false,
                            state: "open".into(),
                            awarded_bid_id: None,
                            awarded_at: None,
                        });
                    }
                    _ => all_ok = false,
                }
            }
            if reservation.as_deref() == Some("lots") && all_ok && !lots.iter().any(|l| l.reserved)
            {
                problems.push(FieldProblem::new(
                    "lots",
                    "reservation is lots, but no lot has reserved: true",
                ));
            }
            if let (Some(b), true) = (budget, all_ok) {
                if sum != b.0 {
                    problems.push(FieldProblem::new(
                        "budget",
                        format!("is {b}, but the lots' budgets add up to {}", Fen(sum)),
                    ));
                }
            }
        }
    }
    let (
        Some(title),
        Some(category),
        Some(category_code),
        Some(procurement_method),
        Some(profile),
        Some(terms),
        Some(budget),
        Some(reservation),
        Some(region),
        true,
    ) = (
        title,
        category,
        category_code,
        procurement_method,
        profile,
        terms,
        budget,
        reservation,
        region,
        problems.is_empty(),
    )
    else {
        return Err(Error::Validation(problems));
    };
    let terms = serde_json::to_string(&terms).map_err(|e| Error::Internal(e.into()))?;
    Ok(Checked {
        project: Project {
            id,
            agency_id,
            department_id,
            title,
            category,
            category_code,
            procurement_method,
            evaluation_method: evaluation_method(&terms),
            policy_id: profile.id.clone(),
            policy_version: None,
            reservation,
            reservation_reason: reason,
            budget_fen: budget.0,
            terms,
            region,
            state: "draft".into(),
            bid_deadline,
            opening_at,
            published_at: None,
            created_at,
            updated_at: now,
        },
        lots,
    })
}

fn evaluation_method(terms_json: &str) -> String {
    serde_json::from_str::<EvaluationTerms>(terms_json)
        .ok()
        .and_then(|t| t.method)
        .unwrap_or_else(|| "comprehensive".into())
}

/// The deadline comes before the opening; both in the future when `now` is given.
fn check_timeline(
    deadline: Option<NaiveDateTime>,
    opening: Option<NaiveDateTime>,
    now: Option<NaiveDateTime>,
    problems: &mut Vec<FieldProblem>,
) {
    if let (Some(d), Some(o)) = (deadline, opening) {
        if o < d {
            problems.push(FieldProblem::new(
                "opening_at",
                "is before bid_deadline: bids are opened after the deadline",
            ));
        }
    }
    if let Some(now) = now {
        if deadline.is_some_and(|d| d <= now) {
            problems.push(FieldProblem::new("bid_deadline", "has already passed"));
        }
    }
}

/// Drafts a project (an agency user, for its agency).
pub fn create(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    input: &ProjectDraft,
) -> Result<ProjectView> {
    let now = clock.now_naive();
    let checked = check(conn, actor, input, db::new_id(), now, now)?;
    crate::db::write(conn, |conn| {
        repo::insert_project(conn, &checked.project)?;
        for lot in &checked.lots {
            repo::insert_lot(conn, lot)?;
        }
        audit::record(
            conn,
            clock,
            Change::new(
                actor.audit_id(),
                "project.create",
                "project",
                &checked.project.id,
            )
            .after(&(&checked.project, &checked.lots)),
        )
    })?;
    view(conn, actor, checked.project, now)
}

/// Replaces a draft with a new version of the same body (lots included).
pub fn replace(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
    input: &ProjectDraft,
) -> Result<ProjectView> {
    let now = clock.now_naive();
    let checked = crate::db::write(conn, |conn| {
        let current = visible_project(conn, actor, id)?;
        require_manager(actor, &current)?;
        let phase = Phase::of(&current, now);
        if phase != Phase::Draft {
            return Err(wrong_phase(
                "edit the project",
                phase,
                "a draft; publish a correction notice instead",
            ));
        }
        let checked = check(
            conn,
            actor,
            input,
            current.id.clone(),
            now,
            current.created_at,
        )?;
        let current_lots = repo::lots_of(conn, &current.id)?;
        repo::delete_lots_of(conn, &current.id)?;
        repo::update_project(conn, &checked.project)?;
        for lot in &checked.lots {
            repo::insert_lot(conn, lot)?;
        }
        audit::record(
            conn,
            clock,
            Change::new(actor.audit_id(), "project.replace", "project", &current.id)
                .before(&(&current, &current_lots))
                .after(&(&checked.project, &checked.lots)),
        )?;
        Ok(checked)
    })?;
    view(conn, actor, checked.project, now)
}

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
pub fn list(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    params: &ProjectListParams,
) -> Result<ProjectPage> {
    let limit = params.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(Error::field("limit", "must be 1–100"));
    }
    let agency = match actor {
        Actor::Agency { agency_id, .. } => Some(*agency_id),
        Actor::Admin { .. } | Actor::Cli | Actor::Auditor => None,
        _ => {
            return Err(Error::Forbidden(
                "the project workspace is for agencies, admins and auditors".into(),
            ))
        }
    };
    let rows = repo::list_projects(
        conn,
        agency,
        params.state.as_deref(),
        params.after.as_deref(),
        limit + 1,
    )?;
    let more = rows.len() as i64 > limit;
    let now = clock.now_naive();
    let mut items = Vec::new();
    for p in rows.into_iter().take(limit as usize) {
        items.push(view(conn, actor, p, now)?);
    }
    let next_after = more.then(|| items.last().map(|p| p.id.clone())).flatten();
    Ok(ProjectPage { items, next_after })
}

/// Publishes a draft: checks the timeline against the clock, pins the policy version and
/// publishes the procurement notice (采购公告).
pub fn publish(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
) -> Result<ProjectView> {
    let now = clock.now_naive();
    let p = crate::db::write(conn, |conn| publish_draft(conn, clock, actor, id, now))?;
    view(conn, actor, p, now)
}

fn publish_draft(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
    now: NaiveDateTime,
) -> Result<Project> {
    let mut p = visible_project(conn, actor, id)?;
    require_manager(actor, &p)?;
    let phase = Phase::of(&p, now);
    if phase != Phase::Draft {
        return Err(wrong_phase("publish", phase, "a draft"));
    }
    let mut problems = Vec::new();
    if p.bid_deadline.is_none() {
        problems.push(FieldProblem::new(
            "bid_deadline",
            "is required before publication",
        ));
    }
    if p.opening_at.is_none() {
        problems.push(FieldProblem::new(
            "opening_at",
            "is required before publication",
        ));
    }
    check_timeline(p.bid_deadline, p.opening_at, Some(now), &mut problems);
    if !problems.is_empty() {
        return Err(Error::Validation(problems));
    }
    let profile = policy::profile(&p.policy_id)
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("profile {} missing", p.policy_id)))?;
    p.policy_version = Some(profile.version.clone());
    p.state = "published".into();
    p.published_at = Some(now);
    p.updated_at = now;
    let lots = repo::lots_of(conn, &p.id)?;
    let before = find_project(conn, &p.id)?;
    repo::update_project(conn, &p)?;
    audit::record(
        conn,
        clock,
        Change::new(actor.audit_id(), "project.publish", "project", &p.id)
            .before(&before)
            .after(&p),
    )?;
    notices::publish(
        conn,
        clock,
        actor.audit_id(),
        &p,
        NoticeKind::Procurement,
        notices::procurement_body(&p, &lots),
        None,
    )?;
    Ok(p)
}

/// Body of a correction notice (更正公告).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionInput {
    /// What is corrected, in words.
    #[schema(required = true, nullable = false)]
    pub text: Option<String>,
    /// A new bid deadline (RFC 3339), if it moves.
    #[schema(format = DateTime)]
    pub bid_deadline: Option<String>,
    /// A new opening time (RFC 3339), if it moves.
    #[schema(format = DateTime)]
    pub opening_at: Option<String>,
}

/// Publishes a correction notice pointing at the latest notice; it may move the timeline.
/// Only before the bid deadline.
pub fn correct(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
    input: &CorrectionInput,
) -> Result<notices::NoticeView> {
    let now = clock.now_naive();
    let notice = crate::db::write(conn, |conn| correct_in(conn, clock, actor, id, input, now))?;
    Ok(notices::view(notice))
}

fn correct_in(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
    input: &CorrectionInput,
    now: NaiveDateTime,
) -> Result<crate::db::procurement::Notice> {
    let mut p = visible_project(conn, actor, id)?;
    require_manager(actor, &p)?;
    let phase = Phase::of(&p, now);
    if phase != Phase::Published {
        return Err(wrong_phase(
            "publish a correction",
            phase,
            "a published project before its bid deadline",
        ));
    }
    let mut problems = Vec::new();
    let text = text(&input.text, "text", 5000, &mut problems);
    let deadline = time(&input.bid_deadline, "bid_deadline", &mut problems);
    let opening = time(&input.opening_at, "opening_at", &mut problems);
    let new_deadline = deadline.or(p.bid_deadline);
    let new_opening = opening.or(p.opening_at);
    if deadline.is_some() || opening.is_some() {
        check_timeline(new_deadline, new_opening, Some(now), &mut problems);
    }
    let Some(text) = text.filter(|_| problems.is_empty()) else {
        return Err(Error::Validation(problems));
    };
    let previous = repo::notices_of(conn, &p.id)?
        .into_iter()
        .rfind(|n| matches!(n.kind.as_str(), "procurement" | "correction"))
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("published project without a notice")))?;
    let body = serde_json::json!({
        "project_id": p.id,
        "title": p.title,
        "text": text,
        "corrects": previous.id,
        "bid_deadline": {"before": p.bid_deadline.map(utc), "after": new_deadline.map(utc)},
        "opening_at": {"before": p.opening_at.map(utc), "after": new_opening.map(utc)},
    });
    let before = p.clone();
    p.bid_deadline = new_deadline;
    p.opening_at = new_opening;
    p.updated_at = now;
    repo::update_project(conn, &p)?;
    audit::record(
        conn,
        clock,
        Change::new(actor.audit_id(), "project.correct", "project", &p.id)
            .before(&before)
            .after(&p),
    )?;
    notices::publish(
        conn,
        clock,
        actor.audit_id(),
        &p,
        NoticeKind::Correction,
        body,
        Some(previous.id.clone()),
    )
}

/// The engine's category from the stored text.
pub fn category_of(p: &Project) -> Category {
    match p.category.as_str() {
        "goods" => Category::Goods,
        "works" => Category::Works,
        _ => Category::Services,
    }
}

/// The stored terms.
pub fn terms_of(p: &Project) -> Result<EvaluationTerms> {
    serde_json::from_str(&p.terms)
        .map_err(|e| Error::Internal(anyhow::anyhow!("project {} terms: {e}", p.id)))
}
