//! The parts of a project draft, each checked on its own: department, category and its code,
//! method, policy and terms, reservation, region, lots. Each names its field in a problem.

use super::validate::*;
use super::*;
use crate::db::orgs;
use crate::db::procurement::Lot;
use crate::db::{self, DbConnection};
use crate::domain::category::CategoryCode;
use crate::domain::lifecycle::LotState;
use crate::domain::messages::{label, Lang};
use crate::domain::policy::{self};
use crate::domain::{Fen, RegionCode};
use crate::error::Result;
use crate::wire::fields::coded;
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
                problems.push(coded("department_id", "problem.not_a_department", vec![]));
                None
            }
            None => {
                problems.push(coded(
                    "department_id",
                    "problem.no_organisation",
                    vec![("id", d.to_string())],
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
            problems.push(coded("category", "problem.required_category", vec![]));
            None
        }
        Some(c @ ("goods" | "services" | "works")) => Some(c.to_string()),
        Some(c) => {
            problems.push(coded(
                "category",
                "problem.unknown_category",
                vec![("given", format!("{c:?}"))],
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
            problems.push(coded(
                "category_code",
                "problem.required_category_code",
                vec![],
            ));
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
                    let category = category.unwrap_or_default();
                    problems.push(coded(
                        "category_code",
                        "problem.category_code_mismatch",
                        vec![
                            ("code", c.to_string()),
                            ("top", top.to_string()),
                            ("top_zh", label(Lang::Zh, "category", top)),
                            ("category", category.to_string()),
                            ("category_zh", label(Lang::Zh, "category", category)),
                        ],
                    ));
                }
                Some(code.as_str().to_string())
            }
            Err(e) => {
                problems.push(crate::wire::fields::of("category_code", &e));
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
            problems.push(crate::wire::fields::required("procurement_method"));
            None
        }
        Some(m) if PROCUREMENT_METHODS.iter().any(|(k, _)| *k == m) => Some(m.to_string()),
        Some(m) => {
            problems.push(coded(
                "procurement_method",
                "problem.unknown_method",
                vec![
                    ("given", format!("{m:?}")),
                    ("known", PROCUREMENT_METHODS.map(|(k, _)| k).join(", ")),
                    ("known_zh", PROCUREMENT_METHODS.map(|(_, z)| z).join("、")),
                ],
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
        problems.push(coded(
            "policy",
            "problem.unknown_policy",
            vec![
                ("given", format!("{policy_id:?}")),
                ("known", policy::profile_ids().join(", ")),
            ],
        ));
    }
    let terms = match (profile, category, &input.evaluation) {
        (_, _, None) => {
            problems.push(coded("evaluation", "problem.required_evaluation", vec![]));
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
            problems.push(coded(
                "reservation",
                "problem.unknown_reservation",
                vec![("given", format!("{r:?}"))],
            ));
            None
        }
        None => {
            problems.push(coded("reservation", "problem.required_reservation", vec![]));
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
        problems.push(coded(
            "reservation_reason",
            "problem.required_reservation_reason",
            vec![],
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
            problems.push(coded("region", "problem.required_region_agency", vec![]));
            None
        }
        Some(r) => match r.parse::<RegionCode>() {
            Ok(r) => Some(r.to_string()),
            Err(e) => {
                problems.push(crate::wire::fields::of("region", &e));
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
        None | Some([]) => problems.push(coded("lots", "problem.required_lot", vec![])),
        Some(list) if list.len() > 200 => {
            problems.push(coded("lots", "problem.too_many_lots", vec![]))
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
                let max_price = match &l.max_price {
                    None | Some(serde_json::Value::Null) => None,
                    some => money(some, &at("max_price"), problems),
                };
                if let (Some(m), Some(b)) = (max_price, budget) {
                    if m.0 > b.0 {
                        problems.push(coded(
                            at("max_price"),
                            "problem.max_price_over_budget",
                            vec![("budget", b.to_string())],
                        ));
                    }
                }
                let reserved = match (reservation, l.reserved) {
                    (Some("whole"), Some(false)) => {
                        problems.push(coded(at("reserved"), "problem.lot_reserved_whole", vec![]));
                        false
                    }
                    (Some("whole"), _) => true,
                    (Some("none"), Some(true)) => {
                        problems.push(coded(at("reserved"), "problem.lot_reserved_none", vec![]));
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
                            max_price_fen: max_price.map(|m| m.0),
                            round_of: None,
                            termination_reason: None,
                            terminated_at: None,
                        });
                    }
                    _ => all_ok = false,
                }
            }
            if reservation == Some("lots") && all_ok && !lots.iter().any(|l| l.reserved) {
                problems.push(coded("lots", "problem.no_reserved_lot", vec![]));
            }
            if let (Some(b), true) = (budget, all_ok) {
                if sum != b.0 {
                    problems.push(coded(
                        "budget",
                        "problem.budget_sum",
                        vec![("budget", b.to_string()), ("sum", Fen(sum).to_string())],
                    ));
                }
            }
        }
    }
    lots
}

/// What the notice says beyond the terms (财办库〔2020〕50号), each optional and checked.
#[derive(Debug, Default)]
pub(super) struct NoticeFields {
    pub(super) number: Option<String>,
    pub(super) category_name: Option<String>,
    pub(super) requirements: Option<String>,
    pub(super) qualification: Option<String>,
    pub(super) contract_period: Option<String>,
    pub(super) opening_place: Option<String>,
    pub(super) contact_name: Option<String>,
    pub(super) contact_phone: Option<String>,
}

pub(super) fn notice_fields(
    input: &ProjectDraft,
    problems: &mut Vec<FieldProblem>,
) -> NoticeFields {
    use crate::wire::fields::{text, Text};
    let mut optional = |value: &Option<String>, field: &str, rule: Text| {
        text(value.as_deref(), field, rule, problems).filter(|t| !t.is_empty())
    };
    let fields = NoticeFields {
        number: optional(&input.number, "number", Text::optional(50)),
        category_name: optional(&input.category_name, "category_name", Text::optional(100)),
        requirements: optional(
            &input.requirements,
            "requirements",
            Text::optional(5000).with_lines(),
        ),
        qualification: optional(
            &input.qualification,
            "qualification",
            Text::optional(2000).with_lines(),
        ),
        contract_period: optional(
            &input.contract_period,
            "contract_period",
            Text::optional(200),
        ),
        opening_place: optional(&input.opening_place, "opening_place", Text::optional(200)),
        contact_name: optional(&input.contact_name, "contact_name", Text::optional(50)),
        contact_phone: optional(&input.contact_phone, "contact_phone", Text::optional(30)),
    };
    if let Some(n) = &fields.number {
        if !n
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '.'))
        {
            problems.push(coded("number", "problem.project_number", vec![]));
        }
    }
    if let Some(p) = &fields.contact_phone {
        if !p
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')'))
            || !p.chars().any(|c| c.is_ascii_digit())
        {
            problems.push(coded("contact_phone", "problem.phone", vec![]));
        }
    }
    fields
}
