//! The annual public report of SME procurement (46号 Art. 18).

use super::*;
use crate::db::finance::{self as repo};
use crate::db::DbConnection;
use crate::domain::{Fen, Hundredths};
use crate::error::Result;
use serde::Serialize;

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
    /// Payments to SMEs its units had not made by their due dates, at the end of the year (or
    /// today, for the year under way): 保障中小企业款项支付条例 asks each 机关、事业单位 to
    /// publish them.
    pub overdue_to_smes: OverdueToSmes,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OverdueToSmes {
    /// The day the figures are taken on.
    pub on: chrono::NaiveDate,
    pub contracts: i64,
    #[schema(value_type = String)]
    pub amount: String,
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

#[tracing::instrument(skip_all)]
pub fn annual_report(
    conn: &mut DbConnection,
    clock: &dyn crate::clock::Clock,
    year: i32,
) -> Result<AnnualReport> {
    let ledger = ledger(conn, year)?;
    let year_end = chrono::NaiveDate::from_ymd_opt(year, 12, 31).ok_or_else(|| {
        crate::wire::fields::invalid("year", "problem.required_year_query", vec![])
    })?;
    let on = year_end.min(crate::service::calendar::today(clock));
    let owed = crate::service::payments::oversight::owed_at(conn, on)?;
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
            overdue_to_smes: {
                let mut contracts = std::collections::BTreeSet::new();
                let mut fen = 0;
                for (d, o) in &owed {
                    let in_unit = d == &u.department_id
                        || ledger
                            .departments
                            .iter()
                            .any(|l| &l.department_id == d && l.parent_id == u.department_id);
                    if in_unit {
                        contracts.extend(o.contracts.iter().cloned());
                        fen += o.fen;
                    }
                }
                OverdueToSmes {
                    on,
                    contracts: i64::try_from(contracts.len()).unwrap_or(i64::MAX),
                    amount: Fen(fen).to_string(),
                }
            },
        })
        .collect();
    Ok(AnnualReport { year, units })
}
