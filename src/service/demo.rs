//! `smeproc demo`: a first look for newcomers. Fills an empty database with a realistic Xinjiang
//! dataset through the same service code the API uses (every record is validated and audited):
//! agencies and departments with budget plans, a few hundred enterprises of every scale across
//! the regions, a catalogue with price history, projects in every state with bids (single firms,
//! consortia, subcontracts), evaluations, contracts and payments (one late).
//!
//! History is written with a clock set to the day each step happened, so deadlines, openings
//! and the ledger's year line up with the real calendar when the service runs.

use crate::clock::ManualClock;
use crate::db::DbConnection;
use crate::domain::credit_code::with_check_character;
use crate::error::{Error, Result};
use crate::service::accounts::{self, CreateOrgRequest, CreateUserRequest};
use crate::service::audit::CLI;
use crate::service::catalogue::{self, ProductInput, ProductPatch};
use crate::service::finance::{self, PaymentInput, PlanInput};
use crate::service::procurement::bids::{self, BidInput, QualificationInput, ScoresInput};
use crate::service::procurement::evaluation::{self, AwardInput, ContractInput, RunInput};
use crate::service::procurement::projects::{self, ProjectDraft};
use crate::service::registry::{self, DeclarationRequest, EnterpriseInput};
use crate::service::Actor;
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
}

/// Is the database empty of people, organisations, enterprises and projects?
pub fn is_empty(conn: &mut DbConnection) -> Result<bool> {
    Ok(crate::db::users::rows_in_use(conn)? == 0)
}

/// A small deterministic generator: the same dataset every time.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// (region code, city) — Ürümqi, Karamay, Turpan, Hami, Changji, Bortala, Bayingolin, Aksu,
/// Kizilsu, Kashgar, Hotan, Ili, Tacheng, Altay: minority-region prefixes among them.
const REGIONS: &[(&str, &str)] = &[
    ("650102", "乌鲁木齐"),
    ("650104", "乌鲁木齐"),
    ("650106", "乌鲁木齐"),
    ("650202", "克拉玛依"),
    ("650402", "吐鲁番"),
    ("650502", "哈密"),
    ("652301", "昌吉"),
    ("652701", "博乐"),
    ("652801", "库尔勒"),
    ("652901", "阿克苏"),
    ("653001", "阿图什"),
    ("653101", "喀什"),
    ("653121", "疏附"),
    ("653201", "和田"),
    ("654002", "伊宁"),
    ("654201", "塔城"),
    ("654301", "阿勒泰"),
];
const TRADE: &[&str] = &[
    "天山",
    "雪莲",
    "丝路",
    "昆仑",
    "金泽",
    "瑞丰",
    "恒通",
    "博远",
    "新科",
    "华信",
    "西域",
    "绿洲",
    "胡杨",
    "祥和",
    "德盛",
    "鸿达",
    "帕米尔",
    "葡萄沟",
    "石榴籽",
    "阳光",
];
const FORM: &[&str] = &[
    "商贸有限公司",
    "科技有限公司",
    "办公设备有限公司",
    "信息技术有限公司",
    "电子科技有限公司",
    "家具制造有限公司",
    "实业有限公司",
];
/// A kind of product: 品目, name, unit, price range in yuan, specs.
type Kind = (&'static str, &'static str, &'static str, u64, u64, Specs);
type Specs = &'static [&'static str];
const KINDS: &[Kind] = &[
    (
        "A020101",
        "台式计算机",
        "台",
        2800,
        9000,
        &["i5/16G/512G SSD", "国产CPU/16G/512G"],
    ),
    (
        "A020102",
        "便携式计算机",
        "台",
        3500,
        15000,
        &["14英寸/i5/16G", "15.6英寸/i7/32G"],
    ),
    (
        "A020201",
        "激光打印机",
        "台",
        900,
        6000,
        &["A4黑白/30页每分钟", "A4彩色/双面"],
    ),
    (
        "A020202",
        "投影仪",
        "台",
        2000,
        20000,
        &["3500流明/1080P", "5000流明/4K"],
    ),
    (
        "A020601",
        "空调机",
        "台",
        2500,
        12000,
        &["1.5匹/变频/一级能效", "3匹/柜机"],
    ),
    (
        "A050101",
        "办公桌",
        "张",
        600,
        3500,
        &["1400×700×750", "1600×800×760"],
    ),
    (
        "A050102",
        "办公椅",
        "把",
        200,
        2000,
        &["网布/可升降", "真皮/可躺"],
    ),
    (
        "A090101",
        "复印纸",
        "箱",
        120,
        260,
        &["A4/70g/5包", "A4/80g/5包"],
    ),
    (
        "A070101",
        "棉被",
        "床",
        150,
        800,
        &["2kg/新疆长绒棉", "3kg/新疆长绒棉"],
    ),
    (
        "A150102",
        "食用植物油",
        "桶",
        80,
        300,
        &["5L/葵花籽油", "5L/红花籽油"],
    ),
];

struct Firm {
    id: String,
    code: String,
    scale: &'static str,
}

struct Loader<'a> {
    conn: &'a mut DbConnection,
    now: DateTime<Utc>,
    rng: Rng,
    serial: u64,
    firms: Vec<Firm>,
    summary: Summary,
}

/// A clock standing at `days` (fractional allowed via hours) before the real now.
fn at(now: DateTime<Utc>, days_ago: i64, hours: i64) -> ManualClock {
    ManualClock::new(now - Duration::days(days_ago) + Duration::hours(hours))
}

fn beijing_rfc3339(t: DateTime<Utc>) -> String {
    t.with_timezone(&crate::domain::beijing::offset())
        .format("%Y-%m-%dT%H:%M:00+08:00")
        .to_string()
}

impl Loader<'_> {
    fn clock(&self, days_ago: i64) -> ManualClock {
        at(self.now, days_ago, 0)
    }

    fn firm(&mut self, scale: &'static str, region: &str, city: &str) -> Result<usize> {
        self.serial += 1;
        let code = with_check_character(&format!("91{region}{:09}", 300_000_000 + self.serial))
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("credit code")))?;
        let software = self.rng.below(3) == 0;
        let (industry, employees, revenue) = match (software, scale) {
            (false, "micro") => ("industry", 8 + self.rng.below(10), 80 + self.rng.below(200)),
            (false, "small") => (
                "industry",
                40 + self.rng.below(200),
                600 + self.rng.below(1200),
            ),
            (false, "medium") => (
                "industry",
                400 + self.rng.below(500),
                5000 + self.rng.below(30000),
            ),
            (false, _) => (
                "industry",
                1500 + self.rng.below(3000),
                50_000 + self.rng.below(90_000),
            ),
            (true, "micro") => ("software", 3 + self.rng.below(6), 20 + self.rng.below(25)),
            (true, "small") => (
                "software",
                20 + self.rng.below(70),
                100 + self.rng.below(800),
            ),
            (true, "medium") => (
                "software",
                120 + self.rng.below(170),
                1500 + self.rng.below(8000),
            ),
            (true, _) => (
                "software",
                400 + self.rng.below(1000),
                12_000 + self.rng.below(50_000),
            ),
        };
        let name = format!(
            "{city}{}{}{}",
            self.rng.pick(TRADE),
            ["", "新", "金", "华"][self.rng.below(4) as usize],
            if software {
                "信息技术有限公司"
            } else {
                self.rng.pick(FORM)
            }
        );
        let input = EnterpriseInput {
            credit_code: Some(code.clone()),
            name: Some(format!("{name}（{}）", self.serial)),
            industry: Some(industry.into()),
            employees: Some(employees),
            revenue_wan: Some(revenue.to_string()),
            assets_wan: None,
            region: Some(region.into()),
            large_firm_relation: None,
        };
        let clock = self.clock(200);
        let e = registry::register(self.conn, &clock, CLI, &input)?;
        if e.scale != scale {
            return Err(Error::Internal(anyhow::anyhow!(
                "demo firm {} came out {} instead of {scale}",
                e.name,
                e.scale
            )));
        }
        self.firms.push(Firm {
            id: e.id,
            code,
            scale,
        });
        self.summary.enterprises += 1;
        Ok(self.firms.len() - 1)
    }

    fn user(
        &mut self,
        username: &str,
        name: &str,
        role: &str,
        agency: Option<&str>,
        firm: Option<usize>,
    ) -> Result<String> {
        let req = CreateUserRequest {
            username: username.into(),
            display_name: Some(name.into()),
            role: role.into(),
            password: PASSWORD.into(),
            agency_id: agency.map(str::to_string),
            enterprise_credit_code: firm.map(|i| self.firms[i].code.clone()),
        };
        let clock = self.clock(200);
        let u = accounts::create_user(self.conn, &clock, CLI, &req)?;
        self.summary
            .logins
            .push((username.into(), role.into(), name.into()));
        Ok(u.id)
    }

    /// The supplier account of a firm, made when it has none (payments name a real user).
    fn user_of(&mut self, enterprise_id: &str) -> Result<String> {
        let found = crate::db::users::id_of_enterprise_user(self.conn, enterprise_id)?;
        if let Some(id) = found {
            return Ok(id);
        }
        let index = self
            .firms
            .iter()
            .position(|f| f.id == enterprise_id)
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("unknown demo firm")))?;
        let username = format!("supplier{}", self.summary.logins.len() + 1);
        self.user(&username, "中标供应商", "supplier", None, Some(index))
    }

    fn org(
        &mut self,
        kind: &str,
        name: &str,
        region: &str,
        parent: Option<&str>,
    ) -> Result<String> {
        let clock = self.clock(200);
        let o = accounts::create_org(
            self.conn,
            &clock,
            CLI,
            &CreateOrgRequest {
                kind: kind.into(),
                name: name.into(),
                credit_code: None,
                region: Some(region.into()),
                parent_id: parent.map(str::to_string),
            },
        )?;
        Ok(o.id)
    }

    fn catalogue(&mut self, sellers: &[usize]) -> Result<()> {
        for (n, &seller) in sellers.iter().enumerate() {
            let supplier = self.firms[seller].id.clone();
            for k in 0..4 {
                let (code, kind, unit, low, high, specs) = *self.rng.pick(KINDS);
                let price = low + self.rng.below(high - low);
                let maker = self.rng.below(self.firms.len() as u64) as usize;
                let input = ProductInput {
                    sku: Some(format!("DEMO-{n:03}-{k}")),
                    name: Some(kind.to_string()),
                    category_code: Some(code.into()),
                    spec: Some(self.rng.pick(specs).to_string()),
                    unit: Some(unit.into()),
                    price: Some(format!("{price}.00")),
                    manufacturer_credit_code: Some(self.firms[maker].code.clone()),
                    ..ProductInput::default()
                };
                let clock = self.clock(150 - (n as i64 % 30));
                let p = catalogue::create(
                    self.conn,
                    &clock,
                    // The demo lists for the supplier from the command line.
                    &Actor::Supplier {
                        enterprise_id: &supplier,
                        user_id: CLI,
                    },
                    &input,
                )?;
                self.summary.products += 1;
                // Two later prices: the market moves a few percent either way.
                let mut current = price;
                for (step, days_ago) in [(0, 90 - (n as i64 % 20)), (1, 30 - (n as i64 % 20))] {
                    if self.rng.below(3) == 0 && step == 1 {
                        continue;
                    }
                    let pct = 90 + self.rng.below(21);
                    current = (current * pct / 100).max(1);
                    let clock = self.clock(days_ago);
                    catalogue::update(
                        self.conn,
                        &clock,
                        &Actor::Supplier {
                            enterprise_id: &supplier,
                            user_id: CLI,
                        },
                        p.id,
                        &ProductPatch {
                            price: Some(format!("{current}.00")),
                            ..ProductPatch::default()
                        },
                    )?;
                    self.summary.price_changes += 1;
                }
            }
        }
        Ok(())
    }
}

/// How far a demo project goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Draft,
    Published,
    Closed,
    Opened,
    Evaluated,
    Awarded,
    Contracted,
}

/// A bid in a demo project.
enum DemoBid {
    Single(usize, u64),
    /// Members with shares, price.
    Consortium(Vec<(usize, u32)>, u64),
    /// Bidder, subcontractor, share, price.
    Subcontracting(usize, usize, u32, u64),
}

struct DemoProject<'a> {
    title: &'a str,
    department: &'a str,
    agency: &'a str,
    agency_user: &'a str,
    category_code: &'a str,
    region: &'a str,
    /// (title, budget yuan, reserved)
    lots: Vec<(&'a str, u64, bool)>,
    /// Days before now it was drafted.
    started: i64,
    stage: Stage,
    bids: Vec<DemoBid>,
}

impl Loader<'_> {
    fn project(&mut self, d: DemoProject<'_>) -> Result<()> {
        let actor = Actor::Agency {
            agency_id: d.agency,
            user_id: d.agency_user,
        };
        let start = self.now - Duration::days(d.started);
        // Open bidding lasts 20 days; the opening follows an hour after the deadline. A
        // "closed" project opens two days from now; a "published" one closes in two weeks.
        let (deadline, opening) = match d.stage {
            Stage::Published | Stage::Draft => (
                self.now + Duration::days(14),
                self.now + Duration::days(14) + Duration::hours(1),
            ),
            Stage::Closed => (self.now - Duration::hours(3), self.now + Duration::days(2)),
            _ => (
                start + Duration::days(20),
                start + Duration::days(20) + Duration::hours(1),
            ),
        };
        let budget: u64 = d.lots.iter().map(|l| l.1).sum();
        let reserved_any = d.lots.iter().any(|l| l.2);
        let draft: ProjectDraft = serde_json::from_value(json!({
            "title": d.title,
            "department_id": d.department,
            "category": "goods",
            "category_code": d.category_code,
            "procurement_method": "open_tender",
            "policy": "xinjiang-2011",
            "evaluation": {"method": "comprehensive", "weights": {"price": 30, "technical": 50, "commercial": 20}},
            "budget": format!("{budget}.00"),
            "reservation": if reserved_any { "lots" } else { "none" },
            "reservation_reason": if reserved_any { None } else { Some("采购标的专业性强，中小企业无法提供（财库〔2020〕46号第六条）") },
            "region": d.region,
            "bid_deadline": beijing_rfc3339(deadline),
            "opening_at": beijing_rfc3339(opening),
            "lots": d.lots.iter().map(|(t, b, r)| json!({"title": t, "budget": format!("{b}.00"), "reserved": r})).collect::<Vec<_>>(),
        }))
        .map_err(|e| Error::Internal(e.into()))?;
        let clock = ManualClock::new(start);
        let p = projects::create(self.conn, &clock, &actor, &draft)?;
        self.summary.projects += 1;
        if d.stage == Stage::Draft {
            return Ok(());
        }
        let clock = ManualClock::new(start + Duration::hours(2));
        projects::publish(self.conn, &clock, &actor, &p.id)?;
        let lot = p.lots[0].id.clone();
        for (i, bid) in d.bids.iter().enumerate() {
            let (bidder, input) = match bid {
                DemoBid::Single(f, price) => (*f, json!({"price": format!("{price}.00")})),
                DemoBid::Consortium(members, price) => (
                    members[0].0,
                    json!({
                        "price": format!("{price}.00"),
                        "consortium": members.iter().map(|(f, s)| json!({"credit_code": self.firms[*f].code, "share_pct": s})).collect::<Vec<_>>(),
                        "related_parties": false,
                    }),
                ),
                DemoBid::Subcontracting(f, sub, share, price) => (
                    *f,
                    json!({
                        "price": format!("{price}.00"),
                        "subcontracts": [{"credit_code": self.firms[*sub].code, "share_pct": share}],
                    }),
                ),
            };
            let input: BidInput =
                serde_json::from_value(input).map_err(|e| Error::Internal(e.into()))?;
            let bid_time = match d.stage {
                Stage::Published => self.now - Duration::hours(30 - i as i64),
                Stage::Closed => self.now - Duration::hours(20 - i as i64),
                _ => start + Duration::days(3 + i as i64),
            };
            let firm = self.firms[bidder].id.clone();
            bids::submit(
                self.conn,
                &ManualClock::new(bid_time),
                &Actor::Supplier {
                    enterprise_id: &firm,
                    user_id: CLI,
                },
                &lot,
                &input,
            )?;
            self.summary.bids += 1;
        }
        if d.stage == Stage::Published {
            // A correction notice (更正公告): the deadline moves two days later.
            let correction: projects::CorrectionInput = serde_json::from_value(json!({
                "text": "应供应商请求，投标截止时间和开标时间各延后两天。",
                "bid_deadline": beijing_rfc3339(deadline + Duration::days(2)),
                "opening_at": beijing_rfc3339(opening + Duration::days(2)),
            }))
            .map_err(|e| Error::Internal(e.into()))?;
            projects::correct(
                self.conn,
                &ManualClock::new(self.now - Duration::hours(1)),
                &actor,
                &p.id,
                &correction,
            )?;
        }
        if d.stage <= Stage::Opened {
            return Ok(());
        }
        // Evaluation day: qualification, three evaluators' sheets, the run.
        let day = ManualClock::new(opening + Duration::hours(2));
        let listed = bids::of_lot(self.conn, &day, &actor, &lot)?;
        let ids: Vec<String> = listed.bids.iter().map(|b| b.id.clone()).collect();
        let qualification: QualificationInput = serde_json::from_value(json!({
            "results": ids.iter().map(|id| json!({"bid_id": id, "qualified": true})).collect::<Vec<_>>()
        }))
        .map_err(|e| Error::Internal(e.into()))?;
        bids::qualify(self.conn, &day, &actor, &lot, &qualification)?;
        for evaluator in ["专家A", "专家B", "专家C"] {
            let sheet: ScoresInput = serde_json::from_value(json!({
                "evaluator": evaluator,
                "scores": ids.iter().map(|id| json!({
                    "bid_id": id,
                    "technical": 34 + self.rng.below(15),
                    "commercial": 12 + self.rng.below(8),
                })).collect::<Vec<_>>()
            }))
            .map_err(|e| Error::Internal(e.into()))?;
            bids::enter_scores(self.conn, &day, &actor, &lot, &sheet)?;
        }
        let run = evaluation::run(self.conn, &day, &actor, &lot, &RunInput::default())?;
        // Any further lots had no bids: their runs fail (废标).
        for other in p.lots.iter().skip(1) {
            evaluation::run(self.conn, &day, &actor, &other.id, &RunInput::default())?;
        }
        if d.stage <= Stage::Evaluated {
            return Ok(());
        }
        if run.outcome != "ranked" {
            // Every lot failed: the failure notice (废标公告) goes out.
            let day = ManualClock::new(opening + Duration::days(2));
            evaluation::publish_result(self.conn, &day, &actor, &p.id)?;
            return Ok(());
        }
        let day = ManualClock::new(opening + Duration::days(2));
        let awarded = evaluation::award(self.conn, &day, &actor, &lot, &AwardInput::default())?;
        evaluation::publish_result(self.conn, &day, &actor, &p.id)?;
        if d.stage <= Stage::Awarded {
            return Ok(());
        }
        let winner = awarded
            .awarded_bid_id
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("award without a bid")))?;
        let price = run.output["ranking"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["bid_id"] == winner.as_str())
            .and_then(|r| r["price"].as_str())
            .unwrap_or_default()
            .to_string();
        let signed = opening + Duration::days(6);
        let day = ManualClock::new(signed);
        let number = format!("XJ-{}-{:03}", signed.year(), self.summary.contracts + 1);
        let contract = evaluation::contract(
            self.conn,
            &day,
            &actor,
            &lot,
            &ContractInput {
                number: Some(number),
                amount: Some(price),
                signed_on: Some(
                    signed
                        .with_timezone(&crate::domain::beijing::offset())
                        .date_naive()
                        .to_string(),
                ),
            },
        )?;
        self.summary.contracts += 1;
        // Subcontract payments: the first falls due 30 days after signing and is paid on time;
        // a second, due 45 days after, is paid only where that day has not yet come — so one
        // subcontractor waits past its due day (flagged late).
        let subs = finance::contract_subcontracts(self.conn, &day, None, &contract.id)?;
        let reporter = if subs.is_empty() {
            String::new()
        } else {
            self.user_of(&contract.supplier_id)?
        };
        for s in subs {
            let amount: rust_decimal::Decimal = s.amount.parse().unwrap_or_default();
            let half = (amount / rust_decimal::Decimal::from(2)).round_dp(2);
            let today = crate::domain::beijing::day_of_instant(self.now);
            let signed_day = crate::domain::beijing::day_of_instant(signed);
            let first_due = signed_day + Duration::days(30);
            let second_due = signed_day + Duration::days(45);
            for (due, pay, part) in [
                (
                    first_due,
                    (first_due <= today).then_some(first_due - Duration::days(2)),
                    half,
                ),
                (second_due, None, amount - half),
            ] {
                finance::report_payment(
                    self.conn,
                    &day,
                    &reporter,
                    &contract.supplier_id,
                    &s.id,
                    &PaymentInput {
                        amount: Some(json!(format!("{part:.2}"))),
                        due_on: Some(due),
                        paid_on: pay,
                    },
                )?;
                self.summary.payments += 1;
            }
        }
        Ok(())
    }
}

/// Fills an empty database; refuses one that has users, organisations, enterprises or
/// projects. Everything is written in one transaction: a failure leaves the database empty.
pub fn fill(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<Summary> {
    crate::db::write(conn, |conn| {
        if !is_empty(conn)? {
            return Err(Error::Conflict(
                "the database is not empty: the demo fills only an empty database (use a new \
                 DATABASE_URL, e.g. sqlite://data/demo.db)"
                    .into(),
            ));
        }
        let mut l = Loader {
            conn,
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
    // Organisations: two agencies, departments under two supervising units.
    let xj_centre = l.org("agency", "新疆维吾尔自治区政府采购中心", "650102", None)?;
    let ks_centre = l.org("agency", "喀什地区公共资源交易中心", "653101", None)?;
    let edu = l.org("department", "自治区教育厅", "650102", None)?;
    let health = l.org("department", "自治区卫生健康委员会", "650102", None)?;
    let ks_edu = l.org("department", "喀什地区教育局", "653101", Some(&edu))?;
    let ht_edu = l.org("department", "和田地区教育局", "653201", Some(&edu))?;
    let ks_hosp = l.org(
        "department",
        "喀什地区第一人民医院",
        "653101",
        Some(&health),
    )?;
    let urumqi_fin = l.org("department", "乌鲁木齐市机关事务管理局", "650102", None)?;

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
    for p in projects {
        l.project(p)?;
    }
    Ok(())
}
