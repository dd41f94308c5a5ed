//! Oversight: the instalments overdue on a day with their late interest, summed per department
//! and per agency (what the agencies owe their suppliers) and per prime (what large firms owe
//! their SME subcontractors); the same as CSV; what the annual report and the banks' contract
//! check learn; a supplier's receivables.

use super::{standing_of, today, Context, ScheduleView};
use crate::clock::Clock;
use crate::db::payments::{self as repo, Located};
use crate::db::procurement::{self as procurement_repo, Contract, Project};
use crate::db::DbConnection;
use crate::domain::payments::Status;
use crate::domain::Fen;
use crate::error::{Error, Result};
use crate::service::Actor;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OverdueParams {
    /// The Beijing day to look at (YYYY-MM-DD); default today.
    pub on: Option<NaiveDate>,
}

/// One overdue instalment.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OverdueLine {
    pub instalment_id: String,
    pub number: i32,
    pub kind: String,
    pub schedule_id: String,
    pub contract_id: String,
    pub contract_number: String,
    pub project_id: String,
    /// agency | large_firm | sme
    pub payer: String,
    /// The department (or agency) that pays, or the prime enterprise.
    pub payer_id: String,
    pub payer_name: String,
    pub department_id: Option<String>,
    pub agency_id: String,
    pub payee_id: String,
    pub payee_name: String,
    pub payee_scale: String,
    #[schema(value_type = String)]
    pub amount: String,
    #[schema(value_type = String)]
    pub outstanding: String,
    pub due_on: NaiveDate,
    pub days_late: i64,
    #[schema(value_type = String)]
    pub interest: String,
    /// Fen, for sums.
    #[serde(skip)]
    pub outstanding_fen: i64,
    #[serde(skip)]
    pub interest_fen: i64,
}

/// Overdue instalments summed for one department, agency or prime.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OverdueGroup {
    pub id: String,
    pub name: String,
    pub count: i64,
    #[schema(value_type = String)]
    pub outstanding: String,
    #[schema(value_type = String)]
    pub interest: String,
    pub days_late_max: i64,
    /// The mean of the days late, rounded down.
    pub days_late_mean: i64,
    #[serde(skip)]
    pub outstanding_fen: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OverdueSummary {
    pub on: NaiveDate,
    pub count: i64,
    #[schema(value_type = String)]
    pub outstanding: String,
    #[schema(value_type = String)]
    pub interest: String,
    /// What agencies owe their suppliers, by the project's department (采购人).
    pub by_department: Vec<OverdueGroup>,
    /// The same by agency (采购代理机构 or the agency that ran the procurement).
    pub by_agency: Vec<OverdueGroup>,
    /// What primes owe their subcontractors.
    pub by_prime: Vec<OverdueGroup>,
}

/// The instalments overdue on `on` (default today), oldest due first.
#[tracing::instrument(skip_all)]
pub fn overdue(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    on: Option<NaiveDate>,
) -> Result<Vec<OverdueLine>> {
    overdue_on(conn, on.unwrap_or_else(|| today(clock)))
}

/// The instalments overdue on `day`, oldest due first. A fixed number of queries however many
/// lines: the instalments with their schedules, then their payments, contracts, projects and
/// names, each read at once.
pub fn overdue_on(conn: &mut DbConnection, day: NaiveDate) -> Result<Vec<OverdueLine>> {
    let rows = repo::overdue_on(conn, day)?;
    let ids: Vec<String> = rows.iter().map(|r| r.instalment.id.clone()).collect();
    let mut payments = super::by_instalment(repo::payments_of(conn, &ids)?);
    let contract_ids = distinct(rows.iter().map(|r| r.schedule.contract_id.as_str()));
    let contracts: BTreeMap<String, Contract> =
        procurement_repo::find_contracts(conn, &contract_ids)?
            .into_iter()
            .map(|c| (c.id.clone(), c))
            .collect();
    let project_ids = distinct(rows.iter().map(|r| r.project_id.as_str()));
    let projects: BTreeMap<String, Project> = procurement_repo::find_projects(conn, &project_ids)?
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect();
    // Who pays: the department (or the agency) for a contract, the prime for a subcontract.
    let payer_id = |r: &Located| match r.schedule.subcontract_id {
        None => Some(
            r.department_id
                .clone()
                .unwrap_or_else(|| r.agency_id.clone()),
        ),
        Some(_) => contracts
            .get(&r.schedule.contract_id)
            .map(|c| c.supplier_id.clone()),
    };
    let payers: Vec<Option<String>> = rows.iter().map(payer_id).collect();
    let org_ids = distinct(
        rows.iter()
            .zip(&payers)
            .filter(|(r, _)| r.schedule.subcontract_id.is_none())
            .filter_map(|(_, p)| p.as_deref()),
    );
    let enterprise_ids = distinct(
        rows.iter().map(|r| r.schedule.payee_id.as_str()).chain(
            rows.iter()
                .zip(&payers)
                .filter(|(r, _)| r.schedule.subcontract_id.is_some())
                .filter_map(|(_, p)| p.as_deref()),
        ),
    );
    let names: BTreeMap<String, String> = crate::db::orgs::find_many(conn, &org_ids)?
        .into_iter()
        .map(|o| (o.id, o.name))
        .chain(
            crate::db::enterprises::find_many(conn, &enterprise_ids)?
                .into_iter()
                .map(|e| (e.id, e.name)),
        )
        .collect();
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    let mut out = Vec::with_capacity(rows.len());
    for (row, payer_id) in rows.into_iter().zip(payers) {
        let Located {
            instalment: i,
            schedule,
            contract_number,
            project_id,
            department_id,
            agency_id,
        } = row;
        let (Some(contract), Some(project), Some(payer_id)) = (
            contracts.get(&schedule.contract_id),
            projects.get(&project_id),
            payer_id,
        ) else {
            return Err(Error::Internal(anyhow::anyhow!(
                "schedule {} without its contract or project",
                schedule.id
            )));
        };
        let ctx = Context {
            schedule,
            contract: contract.clone(),
            project: project.clone(),
        };
        let own = payments.remove(&i.id).unwrap_or_default();
        let s = standing_of(&ctx, &i, &own, day);
        if s.status != Status::Overdue {
            continue;
        }
        out.push(OverdueLine {
            instalment_id: i.id.clone(),
            number: i.number,
            kind: i.kind.to_string(),
            schedule_id: ctx.schedule.id.clone(),
            contract_id: ctx.contract.id.clone(),
            contract_number,
            project_id,
            payer: ctx.schedule.payer.clone(),
            payer_name: name(&payer_id),
            payer_id,
            department_id,
            agency_id,
            payee_name: name(&ctx.schedule.payee_id),
            payee_id: ctx.schedule.payee_id.clone(),
            payee_scale: ctx.schedule.payee_scale.clone(),
            amount: Fen(i.amount_fen).to_string(),
            outstanding: Fen(s.outstanding_fen).to_string(),
            due_on: s.due_on.unwrap_or(day),
            days_late: s.days_late,
            interest: Fen(s.interest_fen).to_string(),
            outstanding_fen: s.outstanding_fen,
            interest_fen: s.interest_fen,
        });
    }
    Ok(out)
}

/// Each id once, in the order first seen.
fn distinct<'a>(ids: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = std::collections::BTreeSet::new();
    ids.filter(|id| seen.insert(*id)).collect()
}

fn group(
    lines: &[&OverdueLine],
    key: impl Fn(&OverdueLine) -> Option<(String, String)>,
) -> Vec<OverdueGroup> {
    let mut groups: BTreeMap<String, (String, Vec<&OverdueLine>)> = BTreeMap::new();
    for l in lines {
        if let Some((id, name)) = key(l) {
            groups
                .entry(id)
                .or_insert_with(|| (name, Vec::new()))
                .1
                .push(l);
        }
    }
    let mut out: Vec<OverdueGroup> = groups
        .into_iter()
        .map(|(id, (name, ls))| {
            let count = i64::try_from(ls.len()).unwrap_or(i64::MAX);
            let days: i64 = ls.iter().map(|l| l.days_late).sum();
            let outstanding_fen: i64 = ls.iter().map(|l| l.outstanding_fen).sum();
            OverdueGroup {
                id,
                name,
                count,
                outstanding: Fen(outstanding_fen).to_string(),
                interest: Fen(ls.iter().map(|l| l.interest_fen).sum()).to_string(),
                days_late_max: ls.iter().map(|l| l.days_late).max().unwrap_or(0),
                days_late_mean: if count == 0 { 0 } else { days / count },
                outstanding_fen,
            }
        })
        .collect();
    // Largest amount first: what the dashboard's chart shows.
    out.sort_by(|a, b| {
        b.outstanding_fen
            .cmp(&a.outstanding_fen)
            .then(a.id.cmp(&b.id))
    });
    out
}

/// The overdue figures on a day, per department, agency and prime.
#[tracing::instrument(skip_all)]
pub fn summary(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    on: Option<NaiveDate>,
) -> Result<OverdueSummary> {
    let day = on.unwrap_or_else(|| today(clock));
    let lines = overdue_on(conn, day)?;
    summary_of(conn, day, &lines)
}

/// The figures of the instalments overdue on `day` (`overdue_on`'s lines).
pub fn summary_of(
    conn: &mut DbConnection,
    day: NaiveDate,
    lines: &[OverdueLine],
) -> Result<OverdueSummary> {
    let ids = distinct(
        lines
            .iter()
            .flat_map(|l| l.department_id.iter().chain(std::iter::once(&l.agency_id)))
            .map(String::as_str),
    );
    let org_names: BTreeMap<String, String> = crate::db::orgs::find_many(conn, &ids)?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let agencies: Vec<&OverdueLine> = lines.iter().filter(|l| l.payer == "agency").collect();
    let primes: Vec<&OverdueLine> = lines.iter().filter(|l| l.payer != "agency").collect();
    let name = |id: &str| org_names.get(id).cloned().unwrap_or_else(|| id.to_string());
    Ok(OverdueSummary {
        on: day,
        count: i64::try_from(lines.len()).unwrap_or(i64::MAX),
        outstanding: Fen(lines.iter().map(|l| l.outstanding_fen).sum()).to_string(),
        interest: Fen(lines.iter().map(|l| l.interest_fen).sum()).to_string(),
        by_department: group(&agencies, |l| {
            let id = l
                .department_id
                .clone()
                .unwrap_or_else(|| l.agency_id.clone());
            Some((id.clone(), name(&id)))
        }),
        by_agency: group(&agencies, |l| {
            Some((l.agency_id.clone(), name(&l.agency_id)))
        }),
        by_prime: group(&primes, |l| {
            Some((l.payer_id.clone(), l.payer_name.clone()))
        }),
    })
}

/// The overdue instalments as CSV (UTF-8 with BOM, spreadsheet-safe).
pub fn overdue_csv(lines: &[OverdueLine], on: NaiveDate) -> Result<Vec<u8>> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let io = |e: csv::Error| Error::Internal(e.into());
        crate::wire::csv::write_safe(
            &mut w,
            [
                "on",
                "contract_number",
                "instalment",
                "kind",
                "payer",
                "payer_name",
                "department_id",
                "agency_id",
                "payee_name",
                "payee_scale",
                "amount",
                "outstanding",
                "due_on",
                "days_late",
                "interest",
            ],
        )
        .map_err(io)?;
        for l in lines {
            crate::wire::csv::write_safe(
                &mut w,
                [
                    on.to_string(),
                    l.contract_number.clone(),
                    l.number.to_string(),
                    l.kind.clone(),
                    l.payer.clone(),
                    l.payer_name.clone(),
                    l.department_id.clone().unwrap_or_default(),
                    l.agency_id.clone(),
                    l.payee_name.clone(),
                    l.payee_scale.clone(),
                    l.amount.clone(),
                    l.outstanding.clone(),
                    l.due_on.to_string(),
                    l.days_late.to_string(),
                    l.interest.clone(),
                ],
            )
            .map_err(io)?;
        }
        w.flush().map_err(|e| Error::Internal(e.into()))?;
    }
    Ok(out)
}

/// For the banks' contract check: are the contract's payments on time — the agency's to the
/// supplier and the supplier's to its subcontractors? `None` when no schedule exists.
pub fn on_time(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    contract_id: &str,
) -> Result<Option<bool>> {
    let day = today(clock);
    let schedules = repo::schedules_of_contract(conn, contract_id)?;
    if schedules.is_empty() {
        return Ok(None);
    }
    for s in schedules {
        let ctx = Context::load(conn, s)?;
        for (i, own) in super::instalments_with_payments(conn, &ctx.schedule.id)? {
            if standing_of(&ctx, &i, &own, day).status == Status::Overdue {
                return Ok(Some(false));
            }
        }
    }
    Ok(Some(true))
}

/// A supplier's receivables: every schedule that pays it, newest first.
#[tracing::instrument(skip_all)]
pub fn receivables(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
) -> Result<Vec<ScheduleView>> {
    let Some(enterprise) = actor.enterprise_id() else {
        return Err(Error::Forbidden("receivables are a supplier's own".into()));
    };
    let day = today(clock);
    let mut out = Vec::new();
    for s in repo::schedules_of_payee(conn, enterprise)? {
        let ctx = Context::load(conn, s)?;
        out.push(super::schedule_view(conn, &ctx, day)?);
    }
    Ok(out)
}

/// Overdue SME payments of one department: the contracts and the amount.
#[derive(Debug, Clone, Default)]
pub struct Owed {
    pub contracts: std::collections::BTreeSet<String>,
    pub fen: i64,
}

/// What a 主管预算单位's units owed SMEs at the end of a year, for the annual report (条例: each
/// 机关、事业单位 publishes its overdue SME payments of the past year): contracts and amount, by
/// department.
pub fn owed_at(conn: &mut DbConnection, day: NaiveDate) -> Result<BTreeMap<String, Owed>> {
    let mut by_department: BTreeMap<String, Owed> = BTreeMap::new();
    for l in overdue_on(conn, day)? {
        if l.payer != "agency" || l.payee_scale == "large" {
            continue;
        }
        let Some(d) = l.department_id.clone() else {
            continue;
        };
        let e = by_department.entry(d).or_default();
        e.contracts.insert(l.contract_id.clone());
        e.fen += l.outstanding_fen;
    }
    Ok(by_department)
}

/// One subcontract a prime pays: its SME, amount and schedule (none set yet).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PayableView {
    pub subcontract_id: String,
    pub contract_id: String,
    pub contract_number: String,
    pub payee_id: String,
    pub payee_name: String,
    /// Yuan.
    pub amount: String,
    pub schedule: Option<ScheduleView>,
}

/// What a supplier owes its subcontractors: each subcontract of its contracts, with its
/// schedule where one was set.
#[tracing::instrument(skip_all)]
pub fn payables(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
) -> Result<Vec<PayableView>> {
    let Some(enterprise) = actor.enterprise_id() else {
        return Err(Error::Forbidden("payables are a supplier's own".into()));
    };
    let day = today(clock);
    let mut out = Vec::new();
    for (s, number) in repo::subcontracts_of_prime(conn, enterprise)? {
        let schedule = match repo::schedule_of(conn, &s.id)? {
            Some(row) => {
                let ctx = Context::load(conn, row)?;
                Some(super::schedule_view(conn, &ctx, day)?)
            }
            None => None,
        };
        let payee = crate::db::enterprises::find_by_id(conn, &s.enterprise_id)?;
        out.push(PayableView {
            subcontract_id: s.id,
            contract_id: s.contract_id,
            contract_number: number,
            payee_id: s.enterprise_id.clone(),
            payee_name: payee.map_or(s.enterprise_id, |e| e.name),
            amount: Fen(s.amount_fen).to_string(),
            schedule,
        });
    }
    Ok(out)
}
