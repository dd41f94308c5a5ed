//! The ledger: per department and year, the reserved share planned and the SME-credited contract
//! amounts, with its status, on screen and as the CSV of CONTRACTS.md.

use super::*;
use crate::db::finance::{self as repo};
use crate::db::orgs::{self, Organisation};
use crate::db::DbConnection;
use crate::domain::ledger::{self as rule, Shortfall};
use crate::domain::messages::{render, Lang};
use crate::domain::{Fen, Hundredths};
use crate::error::{Error, Result};
use serde::Serialize;
use std::collections::BTreeMap;

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
    /// The same in Chinese, for the pages (not part of the API's shape).
    #[serde(skip)]
    pub reasons_zh: Vec<String>,
}

impl LedgerLine {
    /// The reasons in a page's language.
    pub fn reasons_in(&self, lang: Lang) -> &[String] {
        match lang {
            Lang::Zh => &self.reasons_zh,
            Lang::En => &self.reasons,
        }
    }
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
    rule::ratio(Fen(n), Fen(d))
}

/// A shortfall or a stated reason in words.
fn reason_text(lang: Lang, s: &Shortfall) -> String {
    match *s {
        Shortfall::Sme {
            awarded,
            target,
            target_pct,
            budget,
        } => render(
            lang,
            "ledger.sme_below_target",
            &[
                ("awarded", &awarded),
                ("target", &target),
                ("pct", &target_pct.short()),
                ("budget", &budget),
            ],
        ),
        Shortfall::SmallMicro { awarded, target } => render(
            lang,
            "ledger.small_micro_below_target",
            &[("awarded", &awarded), ("target", &target)],
        ),
    }
}

fn reasons(lang: Lang, short: &[Shortfall], stated: &[String]) -> Vec<String> {
    let mut out: Vec<String> = short.iter().map(|s| reason_text(lang, s)).collect();
    if !out.is_empty() {
        out.extend(
            stated
                .iter()
                .map(|r| render(lang, "ledger.stated_reason", &[("reason", r)])),
        );
    }
    out
}

fn line(dept: &Organisation, parent_id: &str, year: i32, s: &Sums) -> LedgerLine {
    let figures = rule::Figures {
        plans: s.plans,
        budget: Fen(s.budget),
        reserved_target: Fen(s.reserved_target),
        small_micro_target: Fen(s.small_micro_target),
        sme: Fen(s.sme),
        small_micro: Fen(s.small_micro),
    };
    let (status, short) = rule::assess(&figures);
    let has_plan = status != rule::Status::NoPlan;
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
        status: status.as_str(),
        reasons: reasons(Lang::En, &short, &s.stated_reasons),
        reasons_zh: reasons(Lang::Zh, &short, &s.stated_reasons),
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
#[tracing::instrument(skip_all)]
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
#[tracing::instrument(skip_all)]
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
#[tracing::instrument(skip_all)]
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
