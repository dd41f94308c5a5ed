//! The parts of a project draft, each checked on its own: department, category and its code,
//! method, policy and terms, reservation, region, lots. Each names its field in a problem.

use super::validate::*;
use super::*;
use crate::db::orgs;
use crate::db::procurement::Lot;
use crate::db::{self, DbConnection};
use crate::domain::category::CategoryCode;
use crate::domain::lifecycle::LotState;
use crate::domain::policy::{self};
use crate::domain::{Fen, RegionCode};
use crate::error::Result;
use crate::wire::FieldProblem;

/// The department the project buys for (预算单位), when one is given.
pub(super) fn department(
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
pub(super) fn category(input: &ProjectDraft, problems: &mut Vec<FieldProblem>) -> Option<String> {
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
pub(super) fn category_code(
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
pub(super) fn procurement_method(
    input: &ProjectDraft,
    problems: &mut Vec<FieldProblem>,
) -> Option<String> {
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
pub(super) fn policy_and_terms(
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
pub(super) fn reservation(
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
pub(super) fn region(
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
pub(super) fn lots(
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
                let title = crate::wire::fields::text(
                    l.title.as_deref(),
                    &at("title"),
                    crate::wire::fields::Text::required(200),
                    problems,
                );
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
