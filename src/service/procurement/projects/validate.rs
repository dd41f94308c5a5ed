use super::fields::*;
use super::*;
use super::{parse_time, Actor};
use crate::db::orgs;
use crate::db::procurement::{Lot, Project};
use crate::db::DbConnection;
use crate::domain::lifecycle::ProjectState;
use crate::domain::policy::Profile;
use crate::domain::Fen;
use crate::error::{Error, Result};
use crate::wire::evaluation::{check_terms, ProjectInput, WeightsInput};
use crate::wire::fields::coded;
use crate::wire::fields::{self, Text};
use crate::wire::FieldProblem;
use chrono::NaiveDateTime;

/// The checked project: its row and its lots.
pub(super) struct Checked {
    pub(super) project: Project,
    pub(super) lots: Vec<Lot>,
}

/// A positive amount in yuan given as a decimal string (a JSON number is refused: no floats).
pub(crate) fn money(
    value: &Option<serde_json::Value>,
    field: &str,
    problems: &mut Vec<FieldProblem>,
) -> Option<Fen> {
    match value {
        None => problems.push(coded(field, "problem.required_money", vec![])),
        Some(serde_json::Value::String(t)) => match Fen::parse_positive_yuan(t) {
            Ok(f) => return Some(f),
            Err(e) => problems.push(crate::wire::fields::of(field, &e)),
        },
        Some(_) => problems.push(coded(field, "problem.money_as_text", vec![])),
    }
    None
}

pub(crate) fn time(
    value: &Option<String>,
    field: &str,
    problems: &mut Vec<FieldProblem>,
) -> Option<NaiveDateTime> {
    let t = value.as_deref()?;
    match parse_time(t) {
        Ok(t) => Some(t),
        Err(_e) => {
            problems.push(coded(
                field,
                "problem.time",
                vec![("given", format!("{t:?}"))],
            ));
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
    let title = fields::text(
        input.title.as_deref(),
        "title",
        Text::required(200),
        &mut problems,
    );
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
    let notice = notice_fields(input, &mut problems);
    if let Some(n) = &notice.number {
        if crate::db::procurement::number_taken_by_other(conn, n, &id)? {
            problems.push(coded(
                "number",
                "problem.project_number_taken",
                vec![("number", n.clone())],
            ));
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
            state: ProjectState::Draft,
            bid_deadline,
            opening_at,
            published_at: None,
            created_at,
            updated_at: now,
            number: notice.number,
            category_name: notice.category_name,
            requirements: notice.requirements,
            qualification: notice.qualification,
            contract_period: notice.contract_period,
            opening_place: notice.opening_place,
            contact_name: notice.contact_name,
            contact_phone: notice.contact_phone,
            round_of: None,
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
pub(super) fn check_timeline(
    deadline: Option<NaiveDateTime>,
    opening: Option<NaiveDateTime>,
    now: Option<NaiveDateTime>,
    problems: &mut Vec<FieldProblem>,
) {
    if let (Some(d), Some(o)) = (deadline, opening) {
        if o < d {
            problems.push(coded(
                "opening_at",
                "problem.opening_before_deadline",
                vec![],
            ));
        }
    }
    if let Some(now) = now {
        if deadline.is_some_and(|d| d <= now) {
            problems.push(coded("bid_deadline", "problem.time_passed", vec![]));
        }
    }
}
