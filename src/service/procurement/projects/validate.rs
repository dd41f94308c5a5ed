use super::*;
use super::{parse_time, Actor};
use crate::db::orgs;
use crate::db::procurement::{Lot, Project};
use crate::db::{self, DbConnection};
use crate::domain::category::CategoryCode;
use crate::domain::lifecycle::{LotState, ProjectState};
use crate::domain::policy::{self, Profile};
use crate::domain::{Fen, RegionCode};
use crate::error::{Error, Result};
use crate::wire::evaluation::{check_terms, ProjectInput, WeightsInput};
use crate::wire::FieldProblem;
use chrono::NaiveDateTime;

/// The checked project: its row and its lots.
pub(super) struct Checked {
    pub(super) project: Project,
    pub(super) lots: Vec<Lot>,
}

pub(super) fn text(
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

pub(super) fn time(
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

pub(super) fn check(
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
    let department_id = department(conn, input, &mut problems)?;
    let category = category(input, &mut problems);
    let category_code = category_code(input, category.as_deref(), &mut problems);
    let procurement_method = procurement_method(input, &mut problems);
    let (profile, terms) = policy_and_terms(input, category.as_deref(), &mut problems);
    let budget = money(&input.budget, "budget", &mut problems);
    let (reservation, reason) = reservation(input, &mut problems);
    let region = region(input, agency.region.as_deref(), &mut problems);
    let bid_deadline = time(&input.bid_deadline, "bid_deadline", &mut problems);
    let opening_at = time(&input.opening_at, "opening_at", &mut problems);
    check_timeline(bid_deadline, opening_at, None, &mut problems);
    let lots = lots(input, &id, reservation.as_deref(), budget, &mut problems);
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
            state: ProjectState::Draft,
            bid_deadline,
            opening_at,
            published_at: None,
            created_at,
            updated_at: now,
        },
        lots,
    })
}

/// The department the project buys for (预算单位), when one is given.
fn department(
    conn: &mut DbConnection,
    input: &ProjectDraft,
    problems: &mut Vec<FieldProblem>,
) -> Result<Option<String>> {
    Ok(match input.department_id.as_deref() {
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
    })
}

/// goods | services | works.
fn category(input: &ProjectDraft, problems: &mut Vec<FieldProblem>) -> Option<String> {
    match input.category.as_deref() {
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
    }
}

/// The 政府采购品目分类目录 code, which must agree with the category.
fn category_code(
    input: &ProjectDraft,
    category: Option<&str>,
    problems: &mut Vec<FieldProblem>,
) -> Option<String> {
    match input.category_code.as_deref() {
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
                if category.is_some_and(|cat| cat != top) {
                    problems.push(FieldProblem::new(
                        "category_code",
                        format!(
                            "{c} is a {top} code, but category is {}",
                            category.unwrap_or_default()
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
    }
}

/// 采购方式, one of [`PROCUREMENT_METHODS`].
fn procurement_method(input: &ProjectDraft, problems: &mut Vec<FieldProblem>) -> Option<String> {
    match input.procurement_method.as_deref() {
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
    }
}

/// The policy profile (default: [`policy::DEFAULT_PROFILE`]) and the evaluation terms resolved
/// against it.
fn policy_and_terms(
    input: &ProjectDraft,
    category: Option<&str>,
    problems: &mut Vec<FieldProblem>,
) -> (Option<&'static policy::Profile>, Option<EvaluationTerms>) {
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
    let terms = match (profile, category, &input.evaluation) {
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
    (profile, terms)
}

/// whole | lots | none, and the reason when nothing is reserved (required then).
fn reservation(
    input: &ProjectDraft,
    problems: &mut Vec<FieldProblem>,
) -> (Option<String>, Option<String>) {
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
    (reservation, reason)
}

/// The project's region: given, or the agency's.
fn region(
    input: &ProjectDraft,
    agency_region: Option<&str>,
    problems: &mut Vec<FieldProblem>,
) -> Option<String> {
    match input.region.as_deref().or(agency_region) {
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
    }
}

/// The lots (采购包): each with a title and a budget, reserved as the project's reservation
/// allows, budgets adding up to the project's.
fn lots(
    input: &ProjectDraft,
    project_id: &str,
    reservation: Option<&str>,
    budget: Option<Fen>,
    problems: &mut Vec<FieldProblem>,
) -> Vec<Lot> {
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
                let title = text(&l.title, &at("title"), 200, problems);
                let budget = money(&l.budget, &at("budget"), problems);
                let reserved = match (reservation, l.reserved) {
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
                            project_id: project_id.to_string(),
                            number: i as i32 + 1,
                            title,
                            budget_fen: budget.0,
                            reserved,
                            reservation_lifted: false,
                            state: LotState::Open,
                            awarded_bid_id: None,
                            awarded_at: None,
                        });
                    }
                    _ => all_ok = false,
                }
            }
            if reservation == Some("lots") && all_ok && !lots.iter().any(|l| l.reserved) {
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
    lots
}

fn evaluation_method(terms_json: &str) -> String {
    serde_json::from_str::<EvaluationTerms>(terms_json)
        .ok()
        .and_then(|t| t.method)
        .unwrap_or_else(|| "comprehensive".into())
}

/// The deadline comes before the opening; both in the future when `now` is given.
pub(super) fn check_timeline(
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
