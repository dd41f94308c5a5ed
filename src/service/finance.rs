//! What finance departments (财政) use: budget plans with the reserved share, the ledger of
//! SME-credited contract amounts per department and year (rolled up to the 主管预算单位), the
//! annual public report (46号 Art. 18), subcontract payments with late flags (seed 四.(十六)7),
//! and the contract check banks make before lending (政府采购合同融资).

use crate::clock::Clock;
use crate::db::finance::{self as repo, BudgetPlan, Payment, Subcontract};
use crate::db::orgs::{self, Organisation};
use crate::db::procurement as procurement_repo;
use crate::db::{self, DbConnection};
use crate::domain::decimal::div_round_half_up;
use crate::domain::policy;
use crate::domain::{Fen, Hundredths};
use crate::error::{Error, Result};
use crate::service::audit::{self, Change};
use crate::wire::FieldProblem;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
    let day =
        |y: i32| NaiveDate::from_ymd_opt(y, 1, 1).ok_or_else(|| Error::field("year", "invalid"));
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
        Err(Error::field("year", "must be a year between 2000 and 2100"))
    }
}

/// Creates or replaces a department's plan for a year.
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
        problems.push(FieldProblem::new(
            "policy",
            format!("unknown policy profile {policy_id:?}"),
        ));
    }
    let reason = input
        .below_minimum_reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    let mut pct = |field: &str,
                   value: Option<Hundredths>,
                   min: Option<Hundredths>|
     -> Option<Hundredths> {
        match value {
            None => {
                problems.push(FieldProblem::new(field, "is required, in percent"));
                None
            }
            Some(v) if v < Hundredths::ZERO || v > Hundredths::whole(100) => {
                problems.push(FieldProblem::new(
                    field,
                    format!("{} is outside 0–100", v.short()),
                ));
                None
            }
            Some(v) => {
                if let Some(min) = min.filter(|m| v < *m) {
                    if reason.is_none() {
                        problems.push(FieldProblem::new(
                            field,
                            format!(
                                "{} is below the minimum {} of {policy_id}: give below_minimum_reason (e.g. 中小企业无法提供)",
                                v.short(),
                                min.short()
                            ),
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

/// One line of the ledger: a department (or a 主管预算单位 with its units) in a year.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LedgerLine {
    pub department_id: String,
    pub department: String,
    /// The 主管预算单位 this line rolls up to (itself at the top).
    pub parent_id: String,
    pub year: i32,
    pub has_plan: bool,
    #[schema(value_type = String)]
    pub budget: String,
    #[schema(value_type = String)]
    pub reserved_target: String,
    #[schema(value_type = String)]
    pub small_micro_target: String,
    /// Budgets of reserved lots (and lots re-run after a lifted reservation) published this year.
    #[schema(value_type = String)]
    pub reserved_planned: String,
    pub contracts: i64,
    #[schema(value_type = String)]
    pub contracted: String,
    #[schema(value_type = String)]
    pub awarded_to_smes: String,
    #[schema(value_type = String)]
    pub awarded_to_small_micro: String,
    /// awarded_to_smes ÷ budget, percent (null without a plan).
    #[schema(value_type = Option<f64>)]
    pub achieved_pct: Option<Hundredths>,
    /// awarded_to_small_micro ÷ awarded_to_smes, percent.
    #[schema(value_type = Option<f64>)]
    pub small_micro_part_pct: Option<Hundredths>,
    /// met | missed | no_plan
    pub status: &'static str,
    /// Why the target is missed: the figures, and the plan's stated reason if any.
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, Default)]
struct Sums {
    budget: i64,
    reserved_target: i64,
    small_micro_target: i64,
    reserved_planned: i64,
    contracts: i64,
    contracted: i64,
    sme: i64,
    small_micro: i64,
    plans: usize,
    stated_reasons: Vec<String>,
}

fn ratio(n: i64, d: i64) -> Option<Hundredths> {
    (d > 0).then(|| Hundredths(div_round_half_up(i128::from(n) * 10_000, i128::from(d)) as i64))
}

fn line(dept: &Organisation, parent_id: &str, year: i32, s: &Sums) -> LedgerLine {
    let has_plan = s.plans > 0;
    let mut reasons = Vec::new();
    if has_plan {
        if s.sme < s.reserved_target {
            reasons.push(format!(
                "SME awards {} are below the reserved target {} ({} % of the budget {})",
                Fen(s.sme),
                Fen(s.reserved_target),
                ratio(s.reserved_target, s.budget)
                    .unwrap_or_default()
                    .short(),
                Fen(s.budget)
            ));
        }
        if s.small_micro < s.small_micro_target {
            reasons.push(format!(
                "small/micro awards {} are below their target {}",
                Fen(s.small_micro),
                Fen(s.small_micro_target)
            ));
        }
        if !reasons.is_empty() {
            reasons.extend(
                s.stated_reasons
                    .iter()
                    .map(|r| format!("stated in the plan: {r}")),
            );
        }
    }
    LedgerLine {
        department_id: dept.id.clone(),
        department: dept.name.clone(),
        parent_id: parent_id.to_string(),
        year,
        has_plan,
        budget: Fen(s.budget).to_string(),
        reserved_target: Fen(s.reserved_target).to_string(),
        small_micro_target: Fen(s.small_micro_target).to_string(),
        reserved_planned: Fen(s.reserved_planned).to_string(),
        contracts: s.contracts,
        contracted: Fen(s.contracted).to_string(),
        awarded_to_smes: Fen(s.sme).to_string(),
        awarded_to_small_micro: Fen(s.small_micro).to_string(),
        achieved_pct: has_plan.then(|| ratio(s.sme, s.budget)).flatten(),
        small_micro_part_pct: ratio(s.small_micro, s.sme),
        status: match (has_plan, reasons.is_empty()) {
            (false, _) => "no_plan",
            (true, true) => "met",
            (true, false) => "missed",
        },
        reasons,
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Ledger {
    pub year: i32,
    /// One line per department with a plan or a contract this year.
    pub departments: Vec<LedgerLine>,
    /// One line per 主管预算单位: itself and its units.
    pub rollup: Vec<LedgerLine>,
}

/// The ledger of a year: plans, reserved lots and contracts summed per department (one GROUP BY
/// each), then rolled up to the 主管预算单位.
pub fn ledger(conn: &mut DbConnection, year: i32) -> Result<Ledger> {
    check_year(year)?;
    let bounds = year_bounds(year)?;
    let (from, until) = (bounds.from, bounds.until);
    let reserved = repo::reserved_totals(conn, bounds.from_utc, bounds.until_utc)?;
    let totals = repo::department_totals(conn, from, until)?;
    let plans = repo::plans_of_year(conn, year)?;
    let mut sums: BTreeMap<String, Sums> = BTreeMap::new();
    for p in &plans {
        let s = sums.entry(p.department_id.clone()).or_default();
        s.budget += p.total_budget_fen;
        let target = pct_of(p.total_budget_fen, p.reserved_pct);
        s.reserved_target += target;
        s.small_micro_target += pct_of(target, p.small_micro_pct);
        s.plans += 1;
        s.stated_reasons.extend(p.below_minimum_reason.clone());
    }
    for r in reserved {
        sums.entry(r.department_id).or_default().reserved_planned += r.reserved_fen.unwrap_or(0);
    }
    for t in totals {
        let s = sums.entry(t.department_id).or_default();
        s.contracts += t.contracts;
        s.contracted += t.amount_fen;
        s.sme += t.sme_fen;
        s.small_micro += t.small_micro_fen;
    }
    let all_orgs: BTreeMap<String, Organisation> = orgs::list(conn, Some("department"))?
        .into_iter()
        .map(|o| (o.id.clone(), o))
        .collect();
    // The 主管预算单位: follow parents to the top (cycles cut after 16 steps).
    let top = |id: &str| -> String {
        let mut cur = id.to_string();
        for _ in 0..16 {
            match all_orgs.get(&cur).and_then(|o| o.parent_id.clone()) {
                Some(p) if all_orgs.contains_key(&p) => cur = p,
                _ => break,
            }
        }
        cur
    };
    let mut departments = Vec::new();
    let mut rolled: BTreeMap<String, Sums> = BTreeMap::new();
    for (id, s) in &sums {
        let Some(dept) = all_orgs.get(id) else {
            continue;
        };
        let parent = top(id);
        departments.push(line(dept, &parent, year, s));
        let r = rolled.entry(parent).or_default();
        r.budget += s.budget;
        r.reserved_target += s.reserved_target;
        r.small_micro_target += s.small_micro_target;
        r.reserved_planned += s.reserved_planned;
        r.contracts += s.contracts;
        r.contracted += s.contracted;
        r.sme += s.sme;
        r.small_micro += s.small_micro;
        r.plans += s.plans;
        r.stated_reasons.extend(s.stated_reasons.iter().cloned());
    }
    let rollup = rolled
        .iter()
        .filter_map(|(id, s)| all_orgs.get(id).map(|d| line(d, id, year, s)))
        .collect();
    Ok(Ledger {
        year,
        departments,
        rollup,
    })
}

/// One department's line of the year's ledger: its own when it has a plan or a contract; for a
/// 主管预算单位 with neither of its own, the roll-up of its units; otherwise an empty line with
/// status `no_plan`. Any department answers the same way (404 only for one that does not exist).
pub fn department_line(
    conn: &mut DbConnection,
    department_id: &str,
    year: i32,
) -> Result<LedgerLine> {
    let dept = department(conn, department_id)?;
    let ledger = ledger(conn, year)?;
    let own = ledger
        .departments
        .into_iter()
        .find(|l| l.department_id == department_id);
    let rolled = || {
        ledger
            .rollup
            .iter()
            .find(|l| l.department_id == department_id)
            .cloned()
    };
    Ok(own.or_else(rolled).unwrap_or_else(|| {
        let parent = dept.parent_id.clone().unwrap_or_else(|| dept.id.clone());
        line(&dept, &parent, year, &Sums::default())
    }))
}

/// The ledger as CSV (UTF-8 with BOM, so that spreadsheet programs show Chinese correctly).
pub fn ledger_csv(ledger: &Ledger) -> Result<Vec<u8>> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::Writer::from_writer(&mut out);
        crate::wire::csv::write_safe(
            &mut w,
            [
                "year",
                "level",
                "department_id",
                "department",
                "parent_id",
                "budget",
                "reserved_target",
                "small_micro_target",
                "reserved_planned",
                "contracts",
                "contracted",
                "awarded_to_smes",
                "awarded_to_small_micro",
                "achieved_pct",
                "small_micro_part_pct",
                "status",
                "reasons",
            ],
        )
        .map_err(|e| Error::Internal(e.into()))?;
        for (level, lines) in [
            ("department", &ledger.departments),
            ("主管预算单位", &ledger.rollup),
        ] {
            for l in lines {
                crate::wire::csv::write_safe(
                    &mut w,
                    [
                        l.year.to_string(),
                        level.to_string(),
                        l.department_id.clone(),
                        l.department.clone(),
                        l.parent_id.clone(),
                        l.budget.clone(),
                        l.reserved_target.clone(),
                        l.small_micro_target.clone(),
                        l.reserved_planned.clone(),
                        l.contracts.to_string(),
                        l.contracted.clone(),
                        l.awarded_to_smes.clone(),
                        l.awarded_to_small_micro.clone(),
                        l.achieved_pct.map(|p| p.to_string()).unwrap_or_default(),
                        l.small_micro_part_pct
                            .map(|p| p.to_string())
                            .unwrap_or_default(),
                        l.status.to_string(),
                        l.reasons.join("; "),
                    ],
                )
                .map_err(|e| Error::Internal(e.into()))?;
            }
        }
        w.flush().map_err(|e| Error::Internal(e.into()))?;
    }
    Ok(out)
}

/// The contracts behind one department's line (drill-down).
pub fn ledger_contracts(
    conn: &mut DbConnection,
    department_id: &str,
    year: i32,
) -> Result<Vec<crate::service::procurement::evaluation::ContractView>> {
    check_year(year)?;
    department(conn, department_id)?;
    let YearBounds { from, until, .. } = year_bounds(year)?;
    let rows = repo::contracts_of_department(conn, department_id, from, until)?;
    Ok(rows
        .into_iter()
        .map(crate::service::procurement::evaluation::contract_view)
        .collect())
}

/// 46号 Art. 18: each 主管预算单位's execution of the past year, public.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AnnualReport {
    pub year: i32,
    pub units: Vec<AnnualUnit>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AnnualUnit {
    pub department_id: String,
    pub department: String,
    #[schema(value_type = String)]
    pub awarded_to_smes: String,
    #[schema(value_type = String)]
    pub awarded_to_small_micro: String,
    #[schema(value_type = Option<f64>)]
    pub small_micro_part_pct: Option<Hundredths>,
    #[schema(value_type = Option<f64>)]
    pub achieved_pct: Option<Hundredths>,
    pub status: &'static str,
    pub reasons: Vec<String>,
    /// The reserved projects of its units published that year.
    pub projects: Vec<ReportProject>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportProject {
    pub project_id: String,
    pub title: String,
    pub department_id: Option<String>,
    pub reservation: String,
    #[schema(value_type = String)]
    pub budget: String,
}

pub fn annual_report(conn: &mut DbConnection, year: i32) -> Result<AnnualReport> {
    let ledger = ledger(conn, year)?;
    let YearBounds {
        from_utc: from,
        until_utc: until,
        ..
    } = year_bounds(year)?;
    let published = repo::reserved_projects_published(conn, from, until)?;
    let units = ledger
        .rollup
        .iter()
        .map(|u| AnnualUnit {
            department_id: u.department_id.clone(),
            department: u.department.clone(),
            awarded_to_smes: u.awarded_to_smes.clone(),
            awarded_to_small_micro: u.awarded_to_small_micro.clone(),
            small_micro_part_pct: u.small_micro_part_pct,
            achieved_pct: u.achieved_pct,
            status: u.status,
            reasons: u.reasons.clone(),
            projects: published
                .iter()
                .filter(|p| {
                    p.department_id.as_deref().is_some_and(|d| {
                        ledger
                            .departments
                            .iter()
                            .any(|l| l.department_id == d && l.parent_id == u.department_id)
                            || d == u.department_id
                    })
                })
                .map(|p| ReportProject {
                    project_id: p.id.clone(),
                    title: p.title.clone(),
                    department_id: p.department_id.clone(),
                    reservation: p.reservation.clone(),
                    budget: Fen(p.budget_fen).to_string(),
                })
                .collect(),
        })
        .collect();
    Ok(AnnualReport { year, units })
}

/// A subcontract with its payments and their flags.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubcontractView {
    pub id: String,
    pub contract_id: String,
    pub enterprise_id: String,
    pub scale: String,
    #[schema(value_type = f64)]
    pub share_pct: Hundredths,
    #[schema(value_type = String)]
    pub amount: String,
    pub payments: Vec<PaymentView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PaymentView {
    pub id: String,
    pub subcontract_id: String,
    #[schema(value_type = String)]
    pub amount: String,
    pub due_on: NaiveDate,
    pub paid_on: Option<NaiveDate>,
    pub confirmed_at: Option<DateTime<Utc>>,
    /// Due before today (Beijing) and not paid.
    pub late: bool,
    /// Paid after its due date.
    pub paid_late: bool,
    /// Reported paid, not yet confirmed by the SME.
    pub unconfirmed: bool,
}

fn today(clock: &dyn Clock) -> NaiveDate {
    crate::domain::beijing::day_of_instant(clock.now())
}

fn payment_view(p: &Payment, today: NaiveDate) -> PaymentView {
    PaymentView {
        id: p.id.clone(),
        subcontract_id: p.subcontract_id.clone(),
        amount: Fen(p.amount_fen).to_string(),
        due_on: p.due_on,
        paid_on: p.paid_on,
        confirmed_at: p.confirmed_at.map(|t| t.and_utc()),
        late: p.paid_on.is_none() && p.due_on < today,
        paid_late: p.paid_on.is_some_and(|d| d > p.due_on),
        unconfirmed: p.paid_on.is_some() && p.confirmed_at.is_none(),
    }
}

fn subcontract_view(
    conn: &mut DbConnection,
    s: Subcontract,
    today: NaiveDate,
) -> Result<SubcontractView> {
    let payments = repo::payments_of(conn, &s.id)?
        .iter()
        .map(|p| payment_view(p, today))
        .collect();
    Ok(SubcontractView {
        id: s.id,
        contract_id: s.contract_id,
        enterprise_id: s.enterprise_id,
        scale: s.scale,
        share_pct: Hundredths(s.share_pct),
        amount: Fen(s.amount_fen).to_string(),
        payments,
    })
}

/// Who acts on a subcontract: the prime (the contract's supplier) or the subcontractor.
fn parties(conn: &mut DbConnection, s: &Subcontract) -> Result<(String, String)> {
    let c = procurement_repo::find_contract(conn, &s.contract_id)?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("subcontract without a contract")))?;
    Ok((c.supplier_id, s.enterprise_id.clone()))
}

/// Who may act on a subcontract's payments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentParty {
    /// The contract's supplier, who pays.
    Prime,
    /// The subcontractor, who is paid.
    Subcontractor,
}

/// Refuses an enterprise that is not `party` of the subcontract (403) or an unknown one (404).
pub fn may_act_on_subcontract(
    conn: &mut DbConnection,
    enterprise_id: &str,
    subcontract_id: &str,
    party: PaymentParty,
) -> Result<()> {
    let s = repo::find_subcontract(conn, subcontract_id)?
        .ok_or_else(|| Error::NotFound(format!("no subcontract with id {subcontract_id}")))?;
    let (prime, sub) = parties(conn, &s)?;
    let who = match party {
        PaymentParty::Prime => prime,
        PaymentParty::Subcontractor => sub,
    };
    if who == enterprise_id {
        Ok(())
    } else {
        Err(Error::Forbidden(match party {
            PaymentParty::Prime => "only the prime contractor reports its payments".into(),
            PaymentParty::Subcontractor => {
                "only the subcontractor confirms a payment it received".into()
            }
        }))
    }
}

/// The same for one payment, by its subcontract.
pub fn may_act_on_payment(
    conn: &mut DbConnection,
    enterprise_id: &str,
    payment_id: &str,
    party: PaymentParty,
) -> Result<()> {
    let p = repo::find_payment(conn, payment_id)?
        .ok_or_else(|| Error::NotFound(format!("no payment with id {payment_id}")))?;
    may_act_on_subcontract(conn, enterprise_id, &p.subcontract_id, party)
}

/// The subcontracts of a contract: for its prime, its subcontractors, agencies, auditors, admins.
pub fn contract_subcontracts(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    enterprise: Option<&str>,
    contract_id: &str,
) -> Result<Vec<SubcontractView>> {
    let c = procurement_repo::find_contract(conn, contract_id)?
        .ok_or_else(|| Error::NotFound(format!("no contract with id {contract_id}")))?;
    let subs = repo::subcontracts_of(conn, &c.id)?;
    if let Some(e) = enterprise {
        if c.supplier_id != e && !subs.iter().any(|s| s.enterprise_id == e) {
            return Err(Error::Forbidden("not a party to this contract".into()));
        }
    }
    let day = today(clock);
    subs.into_iter()
        .map(|s| subcontract_view(conn, s, day))
        .collect()
}

/// Who owes a subcontract's payments and who is owed: ("prime · contract number",
/// subcontractor), for the pages that list late payments.
pub fn payment_parties(conn: &mut DbConnection, subcontract_id: &str) -> Result<(String, String)> {
    let s = repo::find_subcontract(conn, subcontract_id)?
        .ok_or_else(|| Error::NotFound(format!("no subcontract with id {subcontract_id}")))?;
    let c = procurement_repo::find_contract(conn, &s.contract_id)?
        .ok_or_else(|| Error::NotFound(format!("no contract with id {}", s.contract_id)))?;
    let prime = crate::service::registry::find(conn, &c.supplier_id)?;
    let sub = crate::service::registry::find(conn, &s.enterprise_id)?;
    Ok((format!("{} · {}", prime.name, c.number), sub.name))
}

/// Body of `POST /api/v1/subcontracts/{id}/payments` (the prime reports a payment).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    #[schema(value_type = Option<String>, example = "150000.00", required = true, nullable = false)]
    pub amount: Option<serde_json::Value>,
    /// YYYY-MM-DD
    #[schema(required = true, nullable = false)]
    pub due_on: Option<NaiveDate>,
    /// YYYY-MM-DD, when paid (may be reported later with `POST /api/v1/payments/{id}/paid`).
    pub paid_on: Option<NaiveDate>,
}

/// The prime (the contract's supplier) schedules or reports a payment to its subcontractor.
pub fn report_payment(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    user_id: &str,
    enterprise_id: &str,
    subcontract_id: &str,
    input: &PaymentInput,
) -> Result<PaymentView> {
    crate::db::write(conn, |conn| {
        report_payment_in(conn, clock, user_id, enterprise_id, subcontract_id, input)
    })
}

fn report_payment_in(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    user_id: &str,
    enterprise_id: &str,
    subcontract_id: &str,
    input: &PaymentInput,
) -> Result<PaymentView> {
    let s = repo::find_subcontract(conn, subcontract_id)?
        .ok_or_else(|| Error::NotFound(format!("no subcontract with id {subcontract_id}")))?;
    let (prime, _) = parties(conn, &s)?;
    if prime != enterprise_id {
        return Err(Error::Forbidden(
            "only the prime contractor reports its payments".into(),
        ));
    }
    let mut problems = Vec::new();
    let amount =
        crate::service::procurement::projects::money(&input.amount, "amount", &mut problems);
    if input.due_on.is_none() {
        problems.push(FieldProblem::new("due_on", "is required: YYYY-MM-DD"));
    }
    if let (Some(a), true) = (amount, problems.is_empty()) {
        let scheduled: i64 = repo::payments_of(conn, &s.id)?
            .iter()
            .map(|p| p.amount_fen)
            .sum();
        if scheduled + a.0 > s.amount_fen {
            problems.push(FieldProblem::new(
                "amount",
                format!(
                    "{a} would bring the payments to {}, more than the subcontract's {}",
                    Fen(scheduled + a.0),
                    Fen(s.amount_fen)
                ),
            ));
        }
    }
    let (Some(amount), Some(due_on), true) = (amount, input.due_on, problems.is_empty()) else {
        return Err(Error::Validation(problems));
    };
    let p = Payment {
        id: db::new_id(),
        subcontract_id: s.id.clone(),
        amount_fen: amount.0,
        due_on,
        paid_on: input.paid_on,
        reported_by: user_id.to_string(),
        reported_at: clock.now_naive(),
        confirmed_by: None,
        confirmed_at: None,
    };
    {
        repo::insert_payment(conn, &p)?;
        audit::record(
            conn,
            clock,
            Change::new(user_id, "payment.report", "payment", &p.id).after(&p),
        )?
    };
    Ok(payment_view(&p, today(clock)))
}

/// Body of `POST /api/v1/payments/{id}/paid`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaidInput {
    /// YYYY-MM-DD
    #[schema(required = true, nullable = false)]
    pub paid_on: Option<NaiveDate>,
}

/// The prime reports the payment made; the SME confirms it. Each side only its own step.
pub fn mark_paid(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    user_id: &str,
    enterprise_id: &str,
    payment_id: &str,
    input: &PaidInput,
) -> Result<PaymentView> {
    crate::db::write(conn, |conn| {
        mark_paid_in(conn, clock, user_id, enterprise_id, payment_id, input)
    })
}

fn mark_paid_in(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    user_id: &str,
    enterprise_id: &str,
    payment_id: &str,
    input: &PaidInput,
) -> Result<PaymentView> {
    let mut p = repo::find_payment(conn, payment_id)?
        .ok_or_else(|| Error::NotFound(format!("no payment with id {payment_id}")))?;
    let s = repo::find_subcontract(conn, &p.subcontract_id)?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("payment without a subcontract")))?;
    let (prime, _) = parties(conn, &s)?;
    if prime != enterprise_id {
        return Err(Error::Forbidden(
            "only the prime contractor reports its payments".into(),
        ));
    }
    let Some(paid_on) = input.paid_on else {
        return Err(Error::field("paid_on", "is required: YYYY-MM-DD"));
    };
    if p.confirmed_at.is_some() {
        return Err(Error::Conflict(
            "the SME has confirmed this payment; it can no longer change".into(),
        ));
    }
    let before = p.clone();
    p.paid_on = Some(paid_on);
    {
        repo::update_payment(conn, &p)?;
        audit::record(
            conn,
            clock,
            Change::new(user_id, "payment.paid", "payment", &p.id)
                .before(&before)
                .after(&p),
        )?
    };
    Ok(payment_view(&p, today(clock)))
}

pub fn confirm_payment(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    user_id: &str,
    enterprise_id: &str,
    payment_id: &str,
) -> Result<PaymentView> {
    crate::db::write(conn, |conn| {
        confirm_payment_in(conn, clock, user_id, enterprise_id, payment_id)
    })
}

fn confirm_payment_in(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    user_id: &str,
    enterprise_id: &str,
    payment_id: &str,
) -> Result<PaymentView> {
    let mut p = repo::find_payment(conn, payment_id)?
        .ok_or_else(|| Error::NotFound(format!("no payment with id {payment_id}")))?;
    let s = repo::find_subcontract(conn, &p.subcontract_id)?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("payment without a subcontract")))?;
    if s.enterprise_id != enterprise_id {
        return Err(Error::Forbidden(
            "only the subcontractor confirms a payment it received".into(),
        ));
    }
    if p.paid_on.is_none() {
        return Err(Error::Conflict(
            "the prime has not reported this payment as paid yet".into(),
        ));
    }
    if p.confirmed_at.is_some() {
        return Err(Error::Conflict("already confirmed".into()));
    }
    let before = p.clone();
    p.confirmed_by = Some(user_id.to_string());
    p.confirmed_at = Some(clock.now_naive());
    {
        repo::update_payment(conn, &p)?;
        audit::record(
            conn,
            clock,
            Change::new(user_id, "payment.confirm", "payment", &p.id)
                .before(&before)
                .after(&p),
        )?
    };
    Ok(payment_view(&p, today(clock)))
}

/// Payments flagged for auditors today: overdue and unpaid, or paid and unconfirmed.
pub fn flagged(conn: &mut DbConnection, clock: &dyn Clock) -> Result<Vec<PaymentView>> {
    let day = today(clock);
    Ok(repo::flagged_payments(conn, day)?
        .iter()
        .map(|p| payment_view(p, day))
        .collect())
}

/// What a bank may learn about a contract: that it exists for this supplier, its amount, its
/// status and whether the supplier's subcontract payments are in order — nothing more.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ContractCheck {
    pub exists: bool,
    #[schema(value_type = Option<String>)]
    pub amount: Option<String>,
    pub status: Option<String>,
    pub signed_on: Option<NaiveDate>,
    /// none (no subcontracts) | on_time | late (a payment to a subcontractor is overdue)
    pub payment_status: Option<&'static str>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ContractCheckParams {
    /// 合同编号
    #[param(required = true, nullable = false, min_length = 1, max_length = 100)]
    pub number: Option<String>,
    /// The supplier's 统一社会信用代码.
    #[param(
        required = true,
        nullable = false,
        pattern = "^[0-9A-HJ-NPQRTUWXY]{18}$"
    )]
    pub credit_code: Option<String>,
}

pub fn check_contract(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    params: &ContractCheckParams,
) -> Result<ContractCheck> {
    let mut problems = Vec::new();
    if params.number.as_deref().is_none_or(|n| n.trim().is_empty()) {
        problems.push(FieldProblem::new("number", "is required"));
    }
    if params
        .credit_code
        .as_deref()
        .is_none_or(|n| n.trim().is_empty())
    {
        problems.push(FieldProblem::new("credit_code", "is required"));
    }
    if let Some(Err(e)) = params
        .credit_code
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .map(|c| c.trim().parse::<crate::domain::CreditCode>())
    {
        problems.push(FieldProblem::new("credit_code", e.to_string()));
    }
    if params
        .number
        .as_deref()
        .is_some_and(|n| n.chars().count() > 100)
    {
        problems.push(FieldProblem::new("number", "is longer than 100 characters"));
    }
    let (Some(number), Some(code), true) = (
        params.number.as_deref(),
        params.credit_code.as_deref(),
        problems.is_empty(),
    ) else {
        return Err(Error::Validation(problems));
    };
    let found = repo::contract_by_number_and_supplier(conn, number.trim(), code.trim())?;
    let Some(c) = found else {
        // The same answer whether the number or the code is wrong: nothing to probe.
        return Ok(ContractCheck {
            exists: false,
            amount: None,
            status: None,
            signed_on: None,
            payment_status: None,
        });
    };
    let day = today(clock);
    let subs = repo::subcontracts_of(conn, &c.id)?;
    let mut late = false;
    for s in &subs {
        late |= repo::payments_of(conn, &s.id)?
            .iter()
            .any(|p| p.paid_on.is_none() && p.due_on < day);
    }
    Ok(ContractCheck {
        exists: true,
        amount: Some(Fen(c.amount_fen).to_string()),
        status: Some(c.status),
        signed_on: Some(c.signed_on),
        payment_status: Some(match (subs.is_empty(), late) {
            (true, _) => "none",
            (false, true) => "late",
            (false, false) => "on_time",
        }),
    })
}
