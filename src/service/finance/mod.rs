//! What finance departments (财政) use: budget plans with the reserved share, the ledger of
//! SME-credited contract amounts per department and year (rolled up to the 主管预算单位), the
//! annual public report (46号 Art. 18), the first release's subcontract payment routes (now on
//! the payment schedules of `service::payments`),
//! and the contract check banks make before lending (政府采购合同融资).

mod contract_check;
mod ledger;
mod payments;
mod report;

pub use contract_check::*;
pub use ledger::*;
pub use payments::*;
pub use report::*;

use crate::clock::Clock;
use crate::db::finance::{self as repo, BudgetPlan};
use crate::db::orgs::{self, Organisation};
use crate::db::{self, DbConnection};
use crate::domain::decimal::div_round_half_up;
use crate::domain::policy;
use crate::domain::{Fen, Hundredths};
use crate::error::{Error, Result};
use crate::service::audit::{self, Change};
use crate::wire::fields::{coded, invalid};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Body of `PUT /api/v1/budget-plans/{department_id}/{year}`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    /// The department's total procurement budget for the year, yuan.
    #[schema(value_type = Option<String>, example = "50000000.00", required = true, nullable = false)]
    pub total_budget: Option<serde_json::Value>,
    /// Share of the budget reserved for SMEs, percent (profile minimum: 30).
    #[schema(value_type = Option<f64>, required = true, nullable = false)]
    pub reserved_pct: Option<Hundredths>,
    /// Small/micro part of the reserved share, percent (profile minimum: 60).
    #[schema(value_type = Option<f64>, required = true, nullable = false)]
    pub small_micro_pct: Option<Hundredths>,
    /// Profile whose minimums apply; default xinjiang-2011.
    #[schema(pattern = "^(national-2011|xinjiang-2011|national-2020|national-2022)$")]
    pub policy: Option<String>,
    /// Required when a figure is below the profile's minimum (e.g. 中小企业无法提供).
    pub below_minimum_reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanView {
    pub department_id: String,
    pub year: i32,
    #[schema(value_type = String)]
    pub total_budget: String,
    #[schema(value_type = f64)]
    pub reserved_pct: Hundredths,
    #[schema(value_type = f64)]
    pub small_micro_pct: Hundredths,
    /// total × reserved_pct
    #[schema(value_type = String)]
    pub reserved_target: String,
    /// reserved_target × small_micro_pct
    #[schema(value_type = String)]
    pub small_micro_target: String,
    pub policy: String,
    pub below_minimum_reason: Option<String>,
    pub updated_at: DateTime<Utc>,
    /// The department's reserved lots in projects published that (Beijing) year.
    pub reserved_lots: Vec<ReservedLot>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReservedLot {
    pub project_id: String,
    pub project: String,
    pub lot_id: String,
    pub lot: String,
    #[schema(value_type = String)]
    pub budget: String,
    /// Reserved when published; the reservation was lifted after a failed reserved run.
    pub reservation_lifted: bool,
}

fn pct_of(amount: i64, pct: i64) -> i64 {
    div_round_half_up(i128::from(amount) * i128::from(pct), 10_000) as i64
}

fn plan_view(p: &BudgetPlan) -> PlanView {
    let reserved = pct_of(p.total_budget_fen, p.reserved_pct);
    PlanView {
        department_id: p.department_id.clone(),
        year: p.year,
        total_budget: Fen(p.total_budget_fen).to_string(),
        reserved_pct: Hundredths(p.reserved_pct),
        small_micro_pct: Hundredths(p.small_micro_pct),
        reserved_target: Fen(reserved).to_string(),
        small_micro_target: Fen(pct_of(reserved, p.small_micro_pct)).to_string(),
        policy: p.policy_id.clone(),
        below_minimum_reason: p.below_minimum_reason.clone(),
        updated_at: p.updated_at.and_utc(),
        reserved_lots: Vec::new(),
    }
}

/// The reserved lots of a department's projects published in a Beijing year.
/// A Beijing calendar year: its first and the next year's first day, and the same bounds as
/// UTC instants (publication times are stored in UTC; the year is Beijing's).
struct YearBounds {
    from: NaiveDate,
    until: NaiveDate,
    from_utc: chrono::NaiveDateTime,
    until_utc: chrono::NaiveDateTime,
}

fn year_bounds(year: i32) -> Result<YearBounds> {
    let day = |y: i32| {
        NaiveDate::from_ymd_opt(y, 1, 1).ok_or_else(|| invalid("year", "problem.invalid", vec![]))
    };
    let (from, until) = (day(year)?, day(year + 1)?);
    let utc = crate::domain::beijing::start_of;
    Ok(YearBounds {
        from,
        until,
        from_utc: utc(from),
        until_utc: utc(until),
    })
}

fn reserved_lots(
    conn: &mut DbConnection,
    department_id: &str,
    year: i32,
) -> Result<Vec<ReservedLot>> {
    let bounds = year_bounds(year)?;
    let rows = repo::reserved_lots_of(conn, department_id, bounds.from_utc, bounds.until_utc)?;
    Ok(rows
        .into_iter()
        .map(
            |(project_id, project, lot_id, lot, budget, lifted)| ReservedLot {
                project_id,
                project,
                lot_id,
                lot,
                budget: Fen(budget).to_string(),
                reservation_lifted: lifted,
            },
        )
        .collect())
}

fn department(conn: &mut DbConnection, id: &str) -> Result<Organisation> {
    match orgs::find_by_id(conn, id)? {
        Some(o) if o.kind == "department" => Ok(o),
        _ => Err(Error::NotFound(format!(
            "no department (预算单位) with id {id}"
        ))),
    }
}

fn check_year(year: i32) -> Result<()> {
    if (2000..=2100).contains(&year) {
        Ok(())
    } else {
        Err(invalid("year", "problem.year_range", vec![]))
    }
}

/// Creates or replaces a department's plan for a year.
#[tracing::instrument(skip_all)]
pub fn put_plan(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &str,
    department_id: &str,
    year: i32,
    input: &PlanInput,
) -> Result<PlanView> {
    crate::db::write(conn, |conn| {
        put_plan_in(conn, clock, actor, department_id, year, input)
    })
}

fn put_plan_in(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &str,
    department_id: &str,
    year: i32,
    input: &PlanInput,
) -> Result<PlanView> {
    check_year(year)?;
    let dept = department(conn, department_id)?;
    let mut problems = Vec::new();
    let total = crate::service::procurement::projects::money(
        &input.total_budget,
        "total_budget",
        &mut problems,
    );
    let policy_id = input
        .policy
        .clone()
        .unwrap_or_else(|| policy::DEFAULT_PROFILE.into());
    let profile = policy::profile(&policy_id);
    if profile.is_none() {
        problems.push(coded(
            "policy",
            "problem.unknown_policy_only",
            vec![("given", format!("{policy_id:?}"))],
        ));
    }
    let reason = input
        .below_minimum_reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    let mut pct =
        |field: &str, value: Option<Hundredths>, min: Option<Hundredths>| -> Option<Hundredths> {
            match value {
                None => {
                    problems.push(coded(field, "problem.required_percent", vec![]));
                    None
                }
                Some(v) if v < Hundredths::ZERO || v > Hundredths::whole(100) => {
                    problems.push(coded(
                        field,
                        "problem.outside_0_100",
                        vec![("value", v.short().to_string())],
                    ));
                    None
                }
                Some(v) => {
                    if let Some(min) = min.filter(|m| v < *m) {
                        if reason.is_none() {
                            problems.push(coded(
                                field,
                                "problem.below_minimum",
                                vec![
                                    ("value", v.short().to_string()),
                                    ("min", min.short().to_string()),
                                    ("policy", policy_id.clone()),
                                ],
                            ));
                        }
                    }
                    Some(v)
                }
            }
        };
    let reserved = pct(
        "reserved_pct",
        input.reserved_pct,
        profile.map(|p| p.reservation.annual_share_min_pct),
    );
    let small_micro = pct(
        "small_micro_pct",
        input.small_micro_pct,
        profile.map(|p| p.reservation.small_micro_part_min_pct),
    );
    let (Some(total), Some(reserved), Some(small_micro), true) =
        (total, reserved, small_micro, problems.is_empty())
    else {
        return Err(Error::Validation(problems));
    };
    let now = clock.now_naive();
    let existing = repo::find_plan(conn, &dept.id, year)?;
    let plan = BudgetPlan {
        id: existing.as_ref().map_or_else(db::new_id, |p| p.id.clone()),
        department_id: dept.id.clone(),
        year,
        total_budget_fen: total.0,
        reserved_pct: reserved.0,
        small_micro_pct: small_micro.0,
        policy_id,
        below_minimum_reason: reason,
        created_at: existing.as_ref().map_or(now, |p| p.created_at),
        updated_at: now,
    };
    {
        match &existing {
            Some(_) => {
                repo::update_plan(conn, &plan)?;
            }
            None => {
                repo::insert_plan(conn, &plan)?;
            }
        }
        let mut change =
            Change::new(actor, "budget_plan.put", "budget_plan", &plan.id).after(&plan);
        if let Some(before) = &existing {
            change = change.before(before);
        }
        audit::record(conn, clock, change)?
    };
    Ok(plan_view(&plan))
}

#[tracing::instrument(skip_all)]
pub fn get_plan(conn: &mut DbConnection, department_id: &str, year: i32) -> Result<PlanView> {
    let plan = repo::find_plan(conn, department_id, year)?.ok_or_else(|| {
        Error::NotFound(format!(
            "no budget plan for department {department_id} in {year}"
        ))
    })?;
    let mut view = plan_view(&plan);
    view.reserved_lots = reserved_lots(conn, department_id, year)?;
    Ok(view)
}
