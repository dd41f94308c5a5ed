//! `smeproc demo`: a first look for newcomers. Fills an empty database with a realistic Xinjiang
//! dataset through the same service code the API uses (every record is validated and audited):
//! agencies and departments with budget plans, a few hundred enterprises of every scale across
//! the regions, a catalogue with price history, projects in every state with bids (single firms,
//! consortia, subcontracts), evaluations, contracts and payments (one late).
//!
//! History is written with a clock set to the day each step happened, so deadlines, openings
//! and the ledger's year line up with the real calendar when the service runs.

mod data;
mod loader;
mod remedies;
mod tenders;

use data::*;
use loader::*;
use tenders::*;

use crate::db::DbConnection;
use crate::error::{Cause, Error, Result};
use crate::service::audit::CLI;
use crate::service::finance::{self, PlanInput};
use crate::service::registry::{self, DeclarationRequest};
use chrono::{DateTime, Datelike, Duration, Utc};
use serde_json::json;

/// The password of every demo account (printed by the command).
pub const PASSWORD: &str = "smeproc-demo-2026";

/// What the demo wrote, for the command's report.
#[derive(Debug, Default)]
pub struct Summary {
    pub logins: Vec<(String, String, String)>,
    pub enterprises: usize,
    pub products: usize,
    pub price_changes: usize,
    pub projects: usize,
    pub bids: usize,
    pub contracts: usize,
    pub payments: usize,
    /// Agency instalments left unpaid past their due date.
    pub late_payments: usize,
}

/// Is the database empty of people, organisations, enterprises and projects?
#[tracing::instrument(skip_all)]
pub fn is_empty(conn: &mut DbConnection) -> Result<bool> {
    Ok(crate::db::users::rows_in_use(conn)? == 0)
}

/// Fills an empty database; refuses one that has users, organisations, enterprises or
/// projects. Everything is written in one transaction: a failure leaves the database empty.
#[tracing::instrument(skip_all)]
pub fn fill(
    conn: &mut DbConnection,
    keys: &crate::service::auth::keys::ServerKeys,
    store: &crate::db::files::FileStore,
    now: DateTime<Utc>,
) -> Result<Summary> {
    crate::db::write(conn, |conn| {
        if !is_empty(conn)? {
            return Err(Error::conflict(
                Cause::DatabaseNotEmpty,
                "the database is not empty: the demo fills only an empty database (use a new \
                 DATABASE_URL, e.g. sqlite://data/demo.db)",
            ));
        }
        let mut l = Loader {
            conn,
            keys,
            store,
            now,
            rng: Rng(0x5EED_2011_0000_0065),
            serial: 0,
            firms: Vec::new(),
            summary: Summary::default(),
        };
        load(&mut l)?;
        Ok(l.summary)
    })
}

fn load(l: &mut Loader<'_>) -> Result<()> {
    l.calendar_years()?;
    // Organisations: two agencies, departments under two supervising units.
    let xj_centre = l.org(
        "agency",
        "新疆维吾尔自治区政府采购中心",
        "650102",
        None,
        ("乌鲁木齐市天山区光明路 9 号", "王磊", "0991-2811001"),
    )?;
    let ks_centre = l.org(
        "agency",
        "喀什地区公共资源交易中心",
        "653101",
        None,
        ("喀什市人民东路 2 号", "阿依古丽", "0998-2652002"),
    )?;
    let edu = l.org(
        "department",
        "自治区教育厅",
        "650102",
        None,
        ("乌鲁木齐市天山区解放南路 30 号", "财务处", "0991-2821003"),
    )?;
    let health = l.org(
        "department",
        "自治区卫生健康委员会",
        "650102",
        None,
        ("乌鲁木齐市天山区龙泉街 48 号", "规划财务处", "0991-2831004"),
    )?;
    let ks_edu = l.org(
        "department",
        "喀什地区教育局",
        "653101",
        Some(&edu),
        ("喀什市克孜都维路 11 号", "计财科", "0998-2841005"),
    )?;
    let ht_edu = l.org(
        "department",
        "和田地区教育局",
        "653201",
        Some(&edu),
        ("和田市北京西路 3 号", "计财科", "0903-2851006"),
    )?;
    let ks_hosp = l.org(
        "department",
        "喀什地区第一人民医院",
        "653101",
        Some(&health),
        ("喀什市迎宾大道 120 号", "设备处", "0998-2861007"),
    )?;
    let urumqi_fin = l.org(
        "department",
        "乌鲁木齐市机关事务管理局",
        "650102",
        None,
        ("乌鲁木齐市天山区人民路 2 号", "综合处", "0991-2871008"),
    )?;

    // Enterprises: about 300 of every scale across the regions.
    for i in 0..300usize {
        let scale = match i % 10 {
            0..=3 => "micro",
            4..=6 => "small",
            7 | 8 => "medium",
            _ => "large",
        };
        let (region, city) = REGIONS[i % REGIONS.len()];
        l.firm(scale, region, city)?;
    }
    let of = |l: &Loader<'_>, scale: &str, region: &str, nth: usize| -> usize {
        l.firms
            .iter()
            .enumerate()
            .filter(|(_, f)| f.scale == scale)
            .filter(|(i, _)| REGIONS[i % REGIONS.len()].0.starts_with(region))
            .map(|(i, _)| i)
            .nth(nth)
            .unwrap_or(0)
    };
    let ks_micro = of(l, "micro", "6531", 0);
    let ks_small = of(l, "small", "6531", 0);
    let ht_small = of(l, "small", "6532", 0);
    let ur_medium = of(l, "medium", "6501", 0);
    let ur_large = of(l, "large", "6501", 0);
    let ur_large2 = of(l, "large", "6501", 1);
    let kl_medium = of(l, "medium", "6528", 0);
    let ak_micro = of(l, "micro", "6529", 0);
    let ht_micro = of(l, "micro", "6532", 0);
    let cj_small = of(l, "small", "6523", 0);

    // People.
    l.user("admin", "系统管理员", "admin", None, None)?;
    l.user("auditor", "自治区财政厅监督检查局", "auditor", None, None)?;
    l.user(
        "finance",
        "自治区财政厅政府采购监督管理处",
        "finance",
        None,
        None,
    )?;
    let agent = l.user(
        "agency",
        "区采购中心 王磊",
        "agency",
        Some(&xj_centre),
        None,
    )?;
    let ks_agent = l.user(
        "kashgar",
        "喀什交易中心 阿依古丽",
        "agency",
        Some(&ks_centre),
        None,
    )?;
    l.user(
        "supplier",
        "喀什小微企业 买买提",
        "supplier",
        None,
        Some(ks_micro),
    )?;
    l.user(
        "supplier2",
        "乌鲁木齐大型企业 李娜",
        "supplier",
        None,
        Some(ur_large),
    )?;
    l.user(
        "supplier3",
        "和田小型企业 古丽",
        "supplier",
        None,
        Some(ht_small),
    )?;
    let challenger = l.user(
        "supplier4",
        "喀什小型企业 热依拉",
        "supplier",
        None,
        Some(ks_small),
    )?;

    // Declaration letters (中小企业声明函) of the demo suppliers' firms.
    for (firm, scale, employees, revenue) in [
        (ks_micro, "micro", 9, "150"),
        (ht_small, "small", 60, "900"),
    ] {
        let clock = l.clock(180);
        let letter: DeclarationRequest = serde_json::from_value(json!({
            "year": l.now.year() - 1,
            "declared_on": crate::domain::beijing::day_of_instant(l.now - Duration::days(180)),
            "declared_scale": scale,
            "industry": "industry",
            "employees": employees,
            "revenue_wan": revenue,
        }))
        .map_err(|e| Error::Internal(e.into()))?;
        let id = l.firms[firm].id.clone();
        // A letter's figures must give the declared scale; software firms get their own table.
        if registry::declare(l.conn, &clock, CLI, &id, &letter).is_err() {
            continue;
        }
    }

    // Budget plans for this year: one department plans below the minimum, with its reason.
    let year = l
        .now
        .with_timezone(&crate::domain::beijing::offset())
        .year();
    for (dept, total, reserved, small_micro, reason) in [
        (&ks_edu, 2_500_000u64, 40, 70, None),
        (&ht_edu, 2_000_000, 35, 60, None),
        (&ks_hosp, 9_000_000, 30, 60, None),
        (
            &urumqi_fin,
            5_000_000,
            20,
            60,
            Some("医疗设备专业性强，中小企业无法提供（财库〔2020〕46号第六条）"),
        ),
        (&edu, 2_000_000, 30, 60, None),
        (&health, 1_500_000, 30, 60, None),
    ] {
        let clock = l.clock(170);
        let plan: PlanInput = serde_json::from_value(json!({
            "total_budget": format!("{total}.00"),
            "reserved_pct": reserved,
            "small_micro_pct": small_micro,
            "below_minimum_reason": reason,
        }))
        .map_err(|e| Error::Internal(e.into()))?;
        finance::put_plan(l.conn, &clock, CLI, dept, year, &plan)?;
    }

    // The catalogue: 100 sellers × 4 products, prices moving over the months.
    let sellers: Vec<usize> = (0..100).map(|i| (i * 3) % l.firms.len()).collect();
    l.catalogue(&sellers)?;

    use DemoBid::*;
    let projects = vec![
        DemoProject {
            title: "喀什地区教育局2026年中小学计算机采购",
            department: &ks_edu,
            agency: &ks_centre,
            agency_user: &ks_agent,
            category_code: "A020101",
            region: "653101",
            lots: vec![("台式计算机", 1_200_000, true), ("打印机", 300_000, false)],
            started: 110,
            stage: Stage::Contracted,
            bids: vec![
                Single(ks_micro, 1_102_000),
                Single(ur_medium, 1_060_000),
                Consortium(vec![(ur_large, 60), (ks_small, 40)], 1_080_000),
                Single(ht_small, 1_150_000),
            ],
        },
        DemoProject {
            title: "喀什地区第一人民医院病房空调采购",
            department: &ks_hosp,
            agency: &ks_centre,
            agency_user: &ks_agent,
            category_code: "A020601",
            region: "653101",
            lots: vec![("病房空调", 2_400_000, false)],
            started: 95,
            stage: Stage::Contracted,
            bids: vec![
                Subcontracting(ur_large, ks_micro, 30, 2_150_000),
                Single(kl_medium, 2_300_000),
                Single(ur_large2, 2_380_000),
            ],
        },
        DemoProject {
            title: "和田地区教育局学生课桌椅采购",
            department: &ht_edu,
            agency: &xj_centre,
            agency_user: &agent,
            category_code: "A050101",
            region: "653201",
            lots: vec![("课桌椅", 900_000, true)],
            started: 80,
            stage: Stage::Contracted,
            bids: vec![
                Single(ht_small, 820_000),
                Single(ht_micro, 860_000),
                Single(cj_small, 845_000),
            ],
        },
        DemoProject {
            title: "自治区教育厅办公家具采购",
            department: &edu,
            agency: &xj_centre,
            agency_user: &agent,
            category_code: "A050102",
            region: "650102",
            lots: vec![("办公椅", 400_000, true)],
            started: 70,
            stage: Stage::Awarded,
            bids: vec![
                Single(ak_micro, 362_000),
                Single(cj_small, 371_000),
                Single(ks_small, 375_000),
            ],
        },
        DemoProject {
            title: "乌鲁木齐市机关事务管理局复印纸年度采购",
            department: &urumqi_fin,
            agency: &xj_centre,
            agency_user: &agent,
            category_code: "A090101",
            region: "650102",
            lots: vec![("复印纸", 600_000, false)],
            started: 60,
            stage: Stage::Contracted,
            bids: vec![Single(ur_large2, 540_000), Single(ur_medium, 552_000)],
        },
        DemoProject {
            title: "自治区卫生健康委员会投影设备采购",
            department: &health,
            agency: &xj_centre,
            agency_user: &agent,
            category_code: "A020202",
            region: "650102",
            lots: vec![("投影仪", 350_000, true)],
            started: 45,
            stage: Stage::Evaluated,
            bids: vec![
                Single(kl_medium, 330_000),
                Single(ks_small, 341_000),
                Single(ak_micro, 338_000),
            ],
        },
        DemoProject {
            title: "喀什地区教育局教师用便携式计算机采购",
            department: &ks_edu,
            agency: &ks_centre,
            agency_user: &ks_agent,
            category_code: "A020102",
            region: "653101",
            lots: vec![("便携式计算机", 800_000, true)],
            started: 30,
            stage: Stage::Opened,
            bids: vec![
                Single(ks_small, 760_000),
                Single(ks_micro, 781_000),
                Single(ht_small, 770_000),
            ],
        },
        DemoProject {
            title: "和田地区教育局学生棉被采购",
            department: &ht_edu,
            agency: &xj_centre,
            agency_user: &agent,
            category_code: "A070101",
            region: "653201",
            lots: vec![("棉被", 500_000, true)],
            started: 25,
            stage: Stage::Closed,
            bids: vec![Single(ht_micro, 470_000), Single(ht_small, 455_000)],
        },
        DemoProject {
            title: "自治区教育厅激光打印机采购",
            department: &edu,
            agency: &xj_centre,
            agency_user: &agent,
            category_code: "A020201",
            region: "650102",
            lots: vec![("激光打印机", 450_000, true)],
            started: 5,
            stage: Stage::Published,
            bids: vec![Single(ks_micro, 420_000), Single(cj_small, 431_000)],
        },
        DemoProject {
            title: "喀什地区第一人民医院食用油采购（草稿）",
            department: &ks_hosp,
            agency: &ks_centre,
            agency_user: &ks_agent,
            category_code: "A150102",
            region: "653101",
            lots: vec![("食用植物油", 200_000, true)],
            started: 2,
            stage: Stage::Draft,
            bids: vec![],
        },
    ];
    let mut made = Vec::new();
    for p in projects {
        made.push(l.project(p)?);
    }
    // Remedies: a challenge to a result answered and complained about (accepted by the finance
    // department, to rule), a challenge to an evaluation left unanswered past its deadline,
    // and a firm debarred for refusing to sign.
    let furniture = made[3].clone();
    let projectors = made[5].clone();
    l.remedies(
        &furniture,
        &projectors,
        (ks_small, &challenger),
        (&agent, &xj_centre),
        ur_large2,
    )?;
    Ok(())
}
