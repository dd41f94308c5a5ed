//! Finance pages (财政监管): each department's reserved share against its target as a chart,
//! missed targets with the reasons, drill-down to the contracts, late subcontract payments, the
//! audit chain's state, the ledger as CSV.

use super::{page, Base, PageResult, State, WithBase};
use crate::error::Error;
use crate::http::actor::actor;
use crate::service::audit::{self, Verification};
use crate::service::finance::{self, LedgerLine};
use crate::service::payments::oversight::{self, OverdueGroup, OverdueLine, OverdueSummary};
use crate::service::payments::reports::{self, ReportParams, ReportView};
use crate::service::procurement::evaluation::ContractView;
use actix_web::{web, HttpRequest};
use askama::Template;
use chrono::Datelike;
use rust_decimal::Decimal;
use std::fmt::Write as _;

fn dec(text: &str) -> Decimal {
    text.parse().unwrap_or_default()
}

/// The reserved target as a percentage of the budget.
pub fn target_pct(line: &LedgerLine) -> Decimal {
    let budget = dec(&line.budget);
    if budget.is_zero() {
        return Decimal::ZERO;
    }
    (dec(&line.reserved_target) * Decimal::from(100) / budget).round_dp(2)
}

pub fn achieved_pct(line: &LedgerLine) -> Decimal {
    line.achieved_pct
        .map(|h| Decimal::new(h.0, 2))
        .unwrap_or_default()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A horizontal bar per department: the share awarded to SMEs (bar) against the reserved
/// target (the dark tick), both as percent of the department's budget. Server-made SVG, no
/// script; each bar carries a `<title>` for screen readers and tooltips.
pub fn share_chart(en: bool, lines: &[LedgerLine]) -> String {
    let planned: Vec<&LedgerLine> = lines.iter().filter(|l| l.has_plan).collect();
    let row = 30;
    let label_w = 220;
    let bar_w = 440;
    let height = 40 + row * planned.len().max(1);
    let max = planned
        .iter()
        .map(|l| achieved_pct(l).max(target_pct(l)))
        .max()
        .unwrap_or_default()
        .max(Decimal::from(50));
    let scale = |p: Decimal| -> i64 {
        let px = p * Decimal::from(bar_w) / max;
        px.round()
            .to_string()
            .parse::<i64>()
            .unwrap_or(0)
            .clamp(0, bar_w)
    };
    let (title, target_word, achieved_word) = if en {
        (
            "Share awarded to SMEs vs. reserved target (% of budget)",
            "target",
            "awarded to SMEs",
        )
    } else {
        (
            "中小企业获得份额与预留目标（占预算%）",
            "目标",
            "中小企业获得",
        )
    };
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{height}" viewBox="0 0 {w} {height}" role="img" aria-labelledby="chart-title" id="share-chart"><title id="chart-title">{title}</title>"##,
        w = label_w + bar_w + 120,
    );
    for tick in [0, 25, 50, 75, 100] {
        let p = Decimal::from(tick);
        if p > max {
            break;
        }
        let x = label_w + scale(p);
        let _ = write!(
            svg,
            r##"<line x1="{x}" y1="22" x2="{x}" y2="{y2}" stroke="#d7dbe3"/><text x="{x}" y="16" text-anchor="middle" fill="#5b6475">{tick}%</text>"##,
            y2 = height - 8,
        );
    }
    if planned.is_empty() {
        let _ = write!(
            svg,
            r##"<text x="10" y="46" fill="#5b6475">{}</text>"##,
            if en {
                "No budget plans for this year."
            } else {
                "本年度没有预算计划。"
            }
        );
    }
    for (i, l) in planned.iter().enumerate() {
        let y = 28 + row * i;
        let achieved = achieved_pct(l);
        let target = target_pct(l);
        let (achieved_text, target_text) = (format!("{achieved:.2}"), format!("{target:.2}"));
        let colour = if l.status == "met" {
            "#1f6f43"
        } else {
            "#a3201c"
        };
        let name = escape(&l.department);
        let _ = write!(
            svg,
            r##"<g class="dept" data-status="{status}"><text x="{tx}" y="{ty}" text-anchor="end">{name}</text><rect x="{label_w}" y="{y}" width="{w}" height="18" fill="{colour}"><title>{name}: {achieved_word} {achieved_text}%, {target_word} {target_text}%</title></rect><line x1="{mx}" y1="{my1}" x2="{mx}" y2="{my2}" stroke="#1d2330" stroke-width="3"/><text x="{vx}" y="{ty}" fill="#1d2330">{achieved_text}% / {target_text}%</text></g>"##,
            status = l.status,
            tx = label_w - 8,
            ty = y + 14,
            w = scale(achieved).max(1),
            mx = label_w + scale(target),
            my1 = y - 3,
            my2 = y + 21,
            vx = label_w + bar_w + 8,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A horizontal bar per department and per large prime: what it owes SMEs overdue today
/// (yuan), with the count and the longest delay. Server-made SVG like the share chart.
pub fn overdue_chart(en: bool, s: &OverdueSummary) -> String {
    let (dept_word, prime_word) = if en {
        ("department", "large firm")
    } else {
        ("预算单位", "大型企业")
    };
    let groups: Vec<(&str, &OverdueGroup)> = s
        .by_department
        .iter()
        .map(|g| (dept_word, g))
        .chain(s.by_prime.iter().map(|g| (prime_word, g)))
        .collect();
    let row = 30;
    let label_w = 260;
    let bar_w = 400;
    let height = 40 + row * groups.len().max(1);
    let max = groups
        .iter()
        .map(|(_, g)| g.outstanding_fen)
        .max()
        .unwrap_or(0)
        .max(1);
    let title = if en {
        "Overdue payments to SMEs by payer (yuan)"
    } else {
        "拖欠中小企业款项（按付款方，元）"
    };
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{height}" viewBox="0 0 {w} {height}" role="img" aria-labelledby="overdue-title" id="overdue-chart"><title id="overdue-title">{title}</title>"##,
        w = label_w + bar_w + 220,
    );
    if groups.is_empty() {
        let _ = write!(
            svg,
            r##"<text x="10" y="30" fill="#5b6475">{}</text>"##,
            if en {
                "Nothing overdue."
            } else {
                "没有逾期款项。"
            }
        );
    }
    for (i, (kind, g)) in groups.iter().enumerate() {
        let y = 16 + row * i;
        let width =
            i64::try_from(i128::from(g.outstanding_fen) * i128::from(bar_w) / i128::from(max))
                .unwrap_or(0)
                .max(1);
        let name = escape(&g.name);
        let days = if en {
            "days at most"
        } else {
            "日（最长）"
        };
        let _ = write!(
            svg,
            r##"<g class="payer" data-kind="{kind}"><text x="{tx}" y="{ty}" text-anchor="end">{name}</text><rect x="{label_w}" y="{y}" width="{width}" height="18" fill="#a3201c"><title>{name} ({kind}): {amount}, {count} × , {max_days} {days}</title></rect><text x="{vx}" y="{ty}" fill="#1d2330">{amount} · {count} · {max_days} {days}</text></g>"##,
            tx = label_w - 8,
            ty = y + 14,
            amount = g.outstanding,
            count = g.count,
            max_days = g.days_late_max,
            vx = label_w + width + 8,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Today's overdue instalments as CSV (the API's `payments/overdue.csv`).
pub async fn overdue_csv(state: State, b: Base) -> PageResult {
    let clock = state.clock.clone();
    let (csv, on) = state
        .db(move |conn| {
            let on = crate::service::payments::today(clock.as_ref());
            let lines = oversight::overdue(conn, clock.as_ref(), Some(on))?;
            Ok((oversight::overdue_csv(&lines, on)?, on))
        })
        .await
        .on(&b)?;
    Ok(crate::http::csv_download(csv, &format!("overdue-{on}.csv")))
}

#[derive(Template)]
#[template(path = "finance.html")]
struct Dashboard {
    b: Base,
    year: i32,
    lines: Vec<LedgerLine>,
    rollup: Vec<LedgerLine>,
    chart: String,
    /// Payments to SMEs overdue today: the figures, the chart, the instalments.
    overdue: OverdueSummary,
    overdue_chart: String,
    overdue_lines: Vec<OverdueLine>,
    /// The SMEs' reports of unpaid instalments not yet closed.
    reports: Vec<ReportView>,
    verification: Option<Verification>,
}

/// `?year=`, or this Beijing year by the service's clock.
fn year_of(req: &HttpRequest, clock: &dyn crate::clock::Clock) -> Result<i32, Error> {
    match super::public::query(req).get("year") {
        None => Ok(clock
            .now()
            .with_timezone(&super::format::beijing_offset())
            .year()),
        Some(y) => y.parse().map_err(|_| {
            crate::wire::fields::invalid(
                "year",
                "problem.not_a_year",
                vec![("given", format!("{y:?}"))],
            )
        }),
    }
}

pub async fn dashboard(state: State, b: Base, req: HttpRequest) -> PageResult {
    let year = year_of(&req, state.clock.as_ref()).on(&b)?;
    let verify = super::public::query(&req).get("verify").is_some();
    let (clock, caller) = (state.clock.clone(), b.caller());
    let (ledger, overdue, overdue_lines, reports, verification) = state
        .db(move |conn| {
            let ledger = finance::ledger(conn, year)?;
            let day = crate::service::payments::today(clock.as_ref());
            let lines = oversight::overdue_on(conn, day)?;
            let summary = oversight::summary_of(conn, day, &lines)?;
            let open = ReportParams { open: Some(true) };
            let reports = reports::list(conn, clock.as_ref(), &actor(&caller), &open)?;
            let verification = if verify {
                Some(audit::verify(conn)?)
            } else {
                None
            };
            Ok((ledger, summary, lines, reports, verification))
        })
        .await
        .on(&b)?;
    let chart = share_chart(b.en, &ledger.departments);
    let overdue_chart = overdue_chart(b.en, &overdue);
    Ok(page(
        &b,
        &Dashboard {
            b: b.clone(),
            year,
            lines: ledger.departments,
            rollup: ledger.rollup,
            chart,
            overdue,
            overdue_chart,
            overdue_lines,
            reports,
            verification,
        },
    ))
}

pub async fn ledger_csv(state: State, b: Base, req: HttpRequest) -> PageResult {
    let year = year_of(&req, state.clock.as_ref()).on(&b)?;
    let csv = state
        .db(move |conn| finance::ledger_csv(&finance::ledger(conn, year)?))
        .await
        .on(&b)?;
    Ok(crate::http::ledger_csv_download(csv, year))
}

#[derive(Template)]
#[template(path = "finance_department.html")]
struct DepartmentPage {
    b: Base,
    year: i32,
    line: LedgerLine,
    contracts: Vec<ContractView>,
}

pub async fn department(state: State, b: Base, path: web::Path<(String, String)>) -> PageResult {
    let (id, year) = path.into_inner();
    let year: i32 = year
        .parse()
        .map_err(|_| {
            crate::wire::fields::invalid(
                "year",
                "problem.not_a_year",
                vec![("given", format!("{year:?}"))],
            )
        })
        .on(&b)?;
    let dept = id.clone();
    let (line, contracts) = state
        .db(move |conn| {
            let contracts = finance::ledger_contracts(conn, &dept, year)?;
            let line = finance::department_line(conn, &dept, year)?;
            Ok((line, contracts))
        })
        .await
        .on(&b)?;
    Ok(page(
        &b,
        &DepartmentPage {
            b: b.clone(),
            year,
            line,
            contracts,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(
        name: &str,
        budget: &str,
        target: &str,
        achieved: Option<i64>,
        status: &'static str,
    ) -> LedgerLine {
        LedgerLine {
            department_id: name.into(),
            department: name.into(),
            parent_id: String::new(),
            year: 2026,
            has_plan: true,
            budget: budget.into(),
            reserved_target: target.into(),
            small_micro_target: "0.00".into(),
            reserved_planned: "0.00".into(),
            contracts: 0,
            contracted: "0.00".into(),
            awarded_to_smes: "0.00".into(),
            awarded_to_small_micro: "0.00".into(),
            achieved_pct: achieved.map(crate::domain::decimal::Hundredths),
            small_micro_part_pct: None,
            status,
            reasons: Vec::new(),
            reasons_zh: Vec::new(),
        }
    }

    #[test]
    fn chart_draws_a_bar_and_a_target_tick_per_planned_department() {
        let lines = vec![
            line("教育局<A>", "1000000.00", "300000.00", Some(4500), "met"),
            line("卫健委", "1000000.00", "300000.00", Some(1200), "missed"),
        ];
        assert_eq!(target_pct(&lines[0]), Decimal::new(3000, 2));
        let svg = share_chart(false, &lines);
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains("教育局&lt;A&gt;"), "names are escaped: {svg}");
        assert!(svg.contains("45.00% / 30.00%"));
        assert!(svg.contains(r#"data-status="missed""#));
        // 45 % of a 50 % axis over 440 px = 396 px; the 30 % tick at 220 + 264.
        assert!(svg.contains(r#"width="396""#), "{svg}");
        assert!(svg.contains(r#"x1="484""#), "{svg}");
    }
}
