//! Mixed load: CLIENTS concurrent HTTP clients (default 64) for SECONDS (default 60) doing what
//! users do at once — searches, project and notice reads, market prices, `GET /me`, price
//! changes and new products, declaration letters, bids submitted and replaced, subcontract
//! payments, logins — then every write counted back in the database. Fails (exit 1) on any 5xx,
//! any unexpected answer, or any write lost or duplicated.
//!
//! Run by `scripts/bench-mixed.sh` (both backends). Alone:
//! `SMEPROC_BENCH_DATABASE_URL=sqlite:///tmp/m.db cargo bench --bench mixed -- --seconds 60`
//!
//! The server runs in this process (2 workers, pool 8, limits raised: one address makes all the
//! load) and shares the 2 cores with the clients. Anchor of the same run: `GET /health` through
//! the same clients (the HTTP ceiling).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, TimeZone, Utc};
use diesel::prelude::*;
use serde_json::{json, Value};
use smeproc::clock::{Clock, ManualClock};
use smeproc::config::{DatabaseUrl, Settings};
use smeproc::db::{self, sessions, users, DbConnection};
use smeproc::service::auth::keys::ServerKeys;
use smeproc::service::procurement::opening;
use smeproc::service::procurement::{bids, evaluation, projects};
use smeproc::service::Actor;
use smeproc::startup::Application;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

const PASSWORD: &str = "bench password";

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn credit_code(region: &str, serial: usize) -> String {
    smeproc::domain::credit_code::with_check_character(&format!("91{region}{serial:09}")).unwrap()
}

struct Supplier {
    username: String,
    token: String,
    user_id: String,
    enterprise_id: String,
    products: Vec<i64>,
}

/// A user with a live session (one password hash for all: argon2 per user would time the
/// set-up, not the load).
fn user(
    conn: &mut DbConnection,
    clock: &ManualClock,
    hash: &str,
    username: &str,
    role: &str,
    agency: Option<&str>,
    enterprise: Option<&str>,
) -> (String, String) {
    let id = db::new_id();
    let now = clock.now_naive();
    users::insert(
        conn,
        &users::NewUser {
            id: &id,
            username,
            display_name: username,
            password_hash: hash,
            role,
            agency_id: agency,
            enterprise_id: enterprise,
            created_at: now,
        },
    )
    .unwrap();
    let (token, token_hash) = smeproc::service::auth::new_token().unwrap();
    sessions::insert(
        conn,
        &sessions::NewSession {
            id: &db::new_id(),
            user_id: &id,
            token_hash: &token_hash,
            created_at: now,
            expires_at: now + Duration::days(365),
        },
    )
    .unwrap();
    (id, token)
}

fn firm(conn: &mut DbConnection, clock: &ManualClock, i: usize, scale: &str) -> (String, String) {
    let (employees, revenue) = match scale {
        "micro" => (5, "30"),
        _ => (50, "800"),
    };
    let code = credit_code("653101", i + 1);
    let e = smeproc::service::registry::register(
        conn,
        clock,
        smeproc::service::audit::CLI,
        &smeproc::service::registry::EnterpriseInput {
            credit_code: Some(code.clone()),
            name: Some(format!("负载企业{i:04}有限公司")),
            industry: Some("software".into()),
            employees: Some(employees),
            revenue_wan: Some(revenue.into()),
            region: Some("653101".into()),
            ..Default::default()
        },
    )
    .unwrap();
    (e.id, code)
}

fn draft(title: &str, deadline: &str, opening: &str) -> projects::ProjectDraft {
    serde_json::from_value(json!({
        "title": title, "category": "goods", "category_code": "A0201",
        "procurement_method": "open_tender", "policy": "xinjiang-2011",
        "evaluation": {"method": "lowest_price"},
        "budget": "100000000", "reservation": "none", "reservation_reason": "负载测试",
        "bid_deadline": deadline, "opening_at": opening,
        "lots": [{"title": "唯一采购包", "budget": "100000000"}]
    }))
    .unwrap()
}

struct Fixture {
    suppliers: Vec<Supplier>,
    project: String,
    lot: String,
    subcontract: String,
    prime: String,
}

/// Suppliers with products; a finished project whose contract has a subcontract (payments are
/// reported against it); an open project whose lot takes bids during the load.
fn fixture(conn: &mut DbConnection, clock: &ManualClock, keys: &ServerKeys, n: usize) -> Fixture {
    let hash = smeproc::service::auth::hash_password(PASSWORD).unwrap();
    let agency = smeproc::service::accounts::create_org(
        conn,
        clock,
        smeproc::service::audit::CLI,
        &smeproc::service::accounts::CreateOrgRequest {
            kind: "agency".into(),
            name: "负载测试采购中心".into(),
            credit_code: None,
            region: Some("653101".into()),
            parent_id: None,
            ..Default::default()
        },
    )
    .unwrap();
    let (agency_user, _) = user(
        conn,
        clock,
        &hash,
        "agency",
        "agency",
        Some(&agency.id),
        None,
    );
    let actor = Actor::Agency {
        agency_id: &agency.id,
        user_id: &agency_user,
    };
    let mut suppliers = Vec::new();
    for i in 0..n {
        let (enterprise_id, _) = firm(conn, clock, i, "small");
        let username = format!("supplier{i}");
        let (user_id, token) = user(
            conn,
            clock,
            &hash,
            &username,
            "supplier",
            None,
            Some(&enterprise_id),
        );
        let mut products = Vec::new();
        for p in 0..8 {
            let input = smeproc::service::catalogue::ProductInput {
                sku: Some(format!("S{p}")),
                name: Some(format!("激光打印机 {i}-{p}")),
                category_code: Some("A020201".into()),
                unit: Some("台".into()),
                price: Some(format!("{}.00", 1000 + p)),
                ..Default::default()
            };
            let view = smeproc::service::catalogue::create(
                conn,
                clock,
                &smeproc::service::Actor::Supplier {
                    enterprise_id: &enterprise_id,
                    user_id: &user_id,
                },
                &input,
            )
            .unwrap();
            products.push(view.id);
        }
        suppliers.push(Supplier {
            username,
            token,
            user_id,
            enterprise_id,
            products,
        });
    }
    let (_, micro) = firm(conn, clock, n, "micro");

    // The finished project: three bids, the lowest (supplier 0) subcontracts 30 % to a micro firm.
    let done = projects::create(
        conn,
        clock,
        &actor,
        &draft(
            "已完成项目",
            "2026-03-05T09:30:00+08:00",
            "2026-03-05T10:00:00+08:00",
        ),
    )
    .unwrap();
    projects::publish(conn, clock, keys, &actor, &done.id).unwrap();
    let done_lot = done.lots[0].id.clone();
    let share = opening::collect_share(conn, clock, keys, &actor, &done_lot).unwrap();
    let mut submitted = Vec::new();
    for (i, s) in suppliers.iter().take(3).enumerate() {
        let bidder = Actor::Supplier {
            enterprise_id: &s.enterprise_id,
            user_id: &s.user_id,
        };
        let mut input = json!({"price": format!("{}.00", 90_000_000 + i * 1000)});
        if i == 0 {
            input["subcontracts"] = json!([{"credit_code": micro, "share_pct": 30}]);
        }
        let input: bids::BidInput = serde_json::from_value(input).unwrap();
        let receipt = bids::submit(conn, clock, keys, &bidder, &done_lot, &input).unwrap();
        submitted.push(json!({"bid_id": receipt.bid_id, "qualified": true}));
    }
    clock.advance(Duration::days(5));
    let given = opening::ShareInput {
        share: Some(share.share),
    };
    let store = smeproc::db::files::FileStore::new(std::env::temp_dir().join("smeproc-bench-docs"));
    opening::give_share(conn, clock, keys, &store, &actor, &done_lot, &given).unwrap();
    let review: bids::QualificationInput =
        serde_json::from_value(json!({ "results": submitted })).unwrap();
    bids::qualify(conn, clock, &actor, &done_lot, &review).unwrap();
    evaluation::run(conn, clock, &actor, &done_lot, &Default::default()).unwrap();
    evaluation::award(conn, clock, &actor, &done_lot, &Default::default()).unwrap();
    evaluation::publish_result(conn, clock, &actor, &done.id).unwrap();
    let contract: evaluation::ContractInput = serde_json::from_value(json!({
        "number": "LOAD-2026-001", "amount": "90000000.00", "signed_on": "2026-03-07"
    }))
    .unwrap();
    let contract = evaluation::contract(conn, clock, &actor, &done_lot, &contract).unwrap();
    let subs =
        smeproc::service::finance::contract_subcontracts(conn, clock, None, &contract.id).unwrap();

    // The open project: bids until a deadline a month away.
    let open = projects::create(
        conn,
        clock,
        &actor,
        &draft(
            "负载测试项目",
            "2026-04-20T09:30:00+08:00",
            "2026-04-20T10:00:00+08:00",
        ),
    )
    .unwrap();
    projects::publish(conn, clock, keys, &actor, &open.id).unwrap();
    Fixture {
        prime: suppliers[0].token.clone(),
        suppliers,
        project: open.id.clone(),
        lot: open.lots[0].id.clone(),
        subcontract: subs[0].id.clone(),
    }
}

/// What each kind of request did, as its clients saw it.
#[derive(Default, Clone)]
struct Tally {
    ok: u64,
    unexpected: u64,
    server_errors: u64,
    latencies_us: Vec<u32>,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Kind {
    Search,
    Project,
    Notices,
    MarketPrices,
    Me,
    Reprice,
    NewProduct,
    Declaration,
    Bid,
    Rebid,
    Payment,
    Login,
}

/// Kinds by weight (out of 100): reads most, every kind of write, a few logins (argon2).
const MIX: [(Kind, u32); 12] = [
    (Kind::Search, 24),
    (Kind::Project, 10),
    (Kind::Notices, 8),
    (Kind::MarketPrices, 6),
    (Kind::Me, 8),
    (Kind::Reprice, 12),
    (Kind::NewProduct, 6),
    (Kind::Declaration, 6),
    (Kind::Bid, 4),
    (Kind::Rebid, 6),
    (Kind::Payment, 8),
    (Kind::Login, 2),
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn kind(&mut self) -> Kind {
        let mut r = (self.next() % 100) as u32;
        for (k, w) in MIX {
            if r < w {
                return k;
            }
            r -= w;
        }
        Kind::Search
    }
}

/// One client: picks a kind, sends it, checks the status it must get, until the deadline.
async fn client(
    http: reqwest::Client,
    base: String,
    f: Arc<Fixture>,
    me: usize,
    until: Instant,
) -> BTreeMap<Kind, Tally> {
    let s = &f.suppliers[me];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((me as u64 + 1) * 0x1000_0001));
    let mut tallies: BTreeMap<Kind, Tally> = BTreeMap::new();
    let mut bid: Option<String> = None;
    let mut serial = 0u64;
    while Instant::now() < until {
        serial += 1;
        let mut kind = rng.kind();
        if matches!(kind, Kind::Bid | Kind::Rebid) {
            kind = if bid.is_some() {
                Kind::Rebid
            } else {
                Kind::Bid
            };
        }
        let product = s.products[(rng.next() % s.products.len() as u64) as usize];
        let (req, expected) = match kind {
            Kind::Search => (
                http.get(format!("{base}/api/v1/products?q=打印机&limit=20")),
                200,
            ),
            Kind::Project => (
                http.get(format!("{base}/api/v1/projects/{}", f.project)),
                200,
            ),
            Kind::Notices => (http.get(format!("{base}/api/v1/notices?limit=20")), 200),
            Kind::MarketPrices => (
                http.get(format!("{base}/api/v1/market-prices?category=A0202")),
                200,
            ),
            Kind::Me => (
                http.get(format!("{base}/api/v1/me")).bearer_auth(&s.token),
                200,
            ),
            Kind::Reprice => (
                http.patch(format!("{base}/api/v1/products/{product}"))
                    .bearer_auth(&s.token)
                    // A price no other change uses: every success is one history point.
                    .json(&json!({"price": format!("{}.{:02}", 2000 + me * 1000 + serial as usize / 100, serial % 100)})),
                200,
            ),
            Kind::NewProduct => (
                http.post(format!("{base}/api/v1/products"))
                    .bearer_auth(&s.token)
                    .json(&json!({"sku": format!("L{serial}"), "name": "负载新品 复印机",
                                  "category_code": "A020202", "unit": "台", "price": "2999.00"})),
                201,
            ),
            Kind::Declaration => (
                http.post(format!("{base}/api/v1/enterprises/{}/declarations", s.enterprise_id))
                    .bearer_auth(&s.token)
                    .json(&json!({"year": 2025, "declared_on": "2026-03-01", "declared_scale": "small",
                                  "industry": "software", "employees": 50, "revenue_wan": "800"})),
                201,
            ),
            Kind::Bid => (
                http.post(format!("{base}/api/v1/lots/{}/bids", f.lot))
                    .bearer_auth(&s.token)
                    .json(&json!({"price": format!("{}.00", 80_000_000 + me * 100 + serial as usize % 100)})),
                201,
            ),
            Kind::Rebid => (
                http.put(format!("{base}/api/v1/bids/{}", bid.as_deref().unwrap_or_default()))
                    .bearer_auth(&s.token)
                    .json(&json!({"price": format!("{}.00", 70_000_000 + me * 100 + serial as usize % 100)})),
                200,
            ),
            Kind::Payment => (
                http.post(format!("{base}/api/v1/subcontracts/{}/payments", f.subcontract))
                    .bearer_auth(&f.prime)
                    .json(&json!({"amount": "1.00", "due_on": "2026-06-30"})),
                201,
            ),
            Kind::Login => (
                http.post(format!("{base}/api/v1/auth/login"))
                    .json(&json!({"username": s.username, "password": PASSWORD})),
                200,
            ),
        };
        let t = Instant::now();
        let res = req.send().await;
        let us = t.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
        let tally = tallies.entry(kind).or_default();
        tally.latencies_us.push(us);
        match res {
            Ok(r) => {
                let status = r.status().as_u16();
                let body: Value = r.json().await.unwrap_or(Value::Null);
                if status == expected {
                    tally.ok += 1;
                    if matches!(kind, Kind::Bid | Kind::Rebid) {
                        bid = body["bid_id"].as_str().map(String::from);
                    }
                } else {
                    if status >= 500 {
                        tally.server_errors += 1;
                    }
                    tally.unexpected += 1;
                    if tally.unexpected <= 2 {
                        eprintln!("{kind:?} answered {status}: {body}");
                    }
                }
            }
            Err(e) => {
                tally.unexpected += 1;
                eprintln!("{kind:?} failed: {e}");
            }
        }
    }
    tallies
}

fn percentile_ms(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    f64::from(sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]) / 1000.0
}

fn count(conn: &mut DbConnection, table: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let q = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"));
    let n: N = match conn {
        DbConnection::Sqlite(c) => q.get_result(c).unwrap(),
        DbConnection::Postgresql(c) => q.get_result(c).unwrap(),
    };
    n.n
}

fn main() {
    let seconds = arg("--seconds", 60);
    let clients = arg("--clients", 64) as usize;
    let dir = tempfile::tempdir().unwrap();
    let url = match std::env::var("SMEPROC_BENCH_DATABASE_URL") {
        Ok(u) if !u.is_empty() => DatabaseUrl::parse(Some(&u)).unwrap(),
        _ => DatabaseUrl::Sqlite(dir.path().join("bench.db")),
    };
    let backend = match url {
        DatabaseUrl::Sqlite(_) => "SQLite",
        DatabaseUrl::Postgres(_) => "PostgreSQL",
    };
    let mut settings = Settings::defaults(url);
    settings.pool_size = 8;
    settings.secret_key_file = dir.path().join("smeproc.key");
    // All the load comes from one address: the limits would stop it, not the server.
    settings
        .limits
        .apply("search=100000000/60,market_prices=100000000/60,login_address=100000000/60,login_failures=100000000/60,login_account_failures=100000000/60")
        .unwrap();
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 1, 2, 0, 0).single().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    {
        let clock = clock.clone();
        let settings = settings.clone();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let app =
                    Application::build(settings, "127.0.0.1:0", Some(2), Arc::new(clock)).unwrap();
                tx.send((app.port(), app.pool().clone())).unwrap();
                app.run_until_stopped().await.unwrap();
            })
        });
    }
    let (port, pool) = rx.recv().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let t = Instant::now();
    let mut conn = pool.get().unwrap();
    let keys = ServerKeys::load_or_create(&settings.secret_key_file).unwrap();
    let f = Arc::new(fixture(&mut conn, &clock, &keys, clients));
    let tables = [
        "price_history",
        "products",
        "declarations",
        "bids",
        "payments",
        "sessions",
    ];
    let before: BTreeMap<&str, i64> = tables.iter().map(|t| (*t, count(&mut conn, t))).collect();
    drop(conn);
    eprintln!(
        "set-up: {clients} suppliers with 8 products each, a contract with a subcontract, an open lot, in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()
        .unwrap();

    // Anchor: the same clients on GET /health for a tenth of the time.
    let anchor = rt.block_on(async {
        let until = Instant::now() + std::time::Duration::from_secs((seconds / 10).max(3));
        let started = Instant::now();
        let tasks: Vec<_> = (0..clients)
            .map(|_| {
                let http = http.clone();
                let url = format!("{base}/health");
                tokio::spawn(async move {
                    let mut n = 0u64;
                    while Instant::now() < until {
                        if http.get(&url).send().await.is_ok_and(|r| r.status() == 200) {
                            n += 1;
                        }
                    }
                    n
                })
            })
            .collect();
        let mut n = 0;
        for t in tasks {
            n += t.await.unwrap();
        }
        n as f64 / started.elapsed().as_secs_f64()
    });

    let started = Instant::now();
    let until = started + std::time::Duration::from_secs(seconds);
    let results: Vec<BTreeMap<Kind, Tally>> = rt.block_on(async {
        let tasks: Vec<_> = (0..clients)
            .map(|i| tokio::spawn(client(http.clone(), base.clone(), f.clone(), i, until)))
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    });
    let elapsed = started.elapsed().as_secs_f64();
    let mut by_kind: BTreeMap<Kind, Tally> = BTreeMap::new();
    for r in results {
        for (k, t) in r {
            let e = by_kind.entry(k).or_default();
            e.ok += t.ok;
            e.unexpected += t.unexpected;
            e.server_errors += t.server_errors;
            e.latencies_us.extend(t.latencies_us);
        }
    }
    let mut all: Vec<u32> = Vec::new();
    let (mut total, mut unexpected, mut server_errors) = (0u64, 0u64, 0u64);
    for t in by_kind.values_mut() {
        t.latencies_us.sort_unstable();
        all.extend(&t.latencies_us);
        total += t.latencies_us.len() as u64;
        unexpected += t.unexpected;
        server_errors += t.server_errors;
    }
    all.sort_unstable();
    let ok = |k: Kind| by_kind.get(&k).map_or(0, |t| t.ok) as i64;

    // Count every write back.
    let mut conn = pool.get().unwrap();
    let after: BTreeMap<&str, i64> = tables.iter().map(|t| (*t, count(&mut conn, t))).collect();
    let grew = |t: &str| after[t] - before[t];
    let submitted_bids: i64 = {
        use smeproc::db::schema::bids;
        bids::table
            .filter(bids::lot_id.eq(&f.lot))
            .filter(bids::state.eq("submitted"))
            .count()
            .get_result(&mut conn)
            .unwrap()
    };
    // Each client submits once (later bids replace it): one submitted bid per first success.
    let bidders = ok(Kind::Bid);
    let chain = smeproc::service::audit::verify(&mut conn).unwrap();
    let checks = [
        (
            "price history points",
            grew("price_history"),
            ok(Kind::Reprice) + ok(Kind::NewProduct),
        ),
        ("products", grew("products"), ok(Kind::NewProduct)),
        ("declarations", grew("declarations"), ok(Kind::Declaration)),
        ("bids", grew("bids"), ok(Kind::Bid) + ok(Kind::Rebid)),
        ("submitted bids on the lot", submitted_bids, bidders),
        ("payments", grew("payments"), ok(Kind::Payment)),
        ("sessions", grew("sessions"), ok(Kind::Login)),
    ];
    let lost: Vec<String> = checks
        .iter()
        .filter(|(_, got, want)| got != want)
        .map(|(name, got, want)| format!("{name}: {got} in the database, {want} acknowledged"))
        .collect();
    let writes: i64 = [
        Kind::Reprice,
        Kind::NewProduct,
        Kind::Declaration,
        Kind::Bid,
        Kind::Rebid,
        Kind::Payment,
        Kind::Login,
    ]
    .into_iter()
    .map(ok)
    .sum();

    let today = Utc::now().format("%Y-%m-%d");
    println!(
        "- {today}, {backend}, 2 cores shared by the server (2 workers, pool 8) and {clients} clients; {seconds} s of mixed load."
    );
    println!(
        "- **{:.0} req/s** ({total} requests, {writes} of them acknowledged writes), p50 {:.1} ms, **p99 {:.1} ms**; anchor `GET /health` through the same clients: {anchor:.0} req/s.",
        total as f64 / elapsed,
        percentile_ms(&all, 0.50),
        percentile_ms(&all, 0.99),
    );
    println!(
        "- 5xx: **{server_errors}**; other unexpected answers: {}; writes lost or duplicated (counted back): **{}**; audit chain {} ({} events).",
        unexpected - server_errors,
        lost.len(),
        if chain.ok { "intact" } else { "BROKEN" },
        chain.events_checked
    );
    let line: Vec<String> = by_kind
        .iter()
        .map(|(k, t)| {
            format!(
                "{k:?} {} (p99 {:.1} ms)",
                t.latencies_us.len(),
                percentile_ms(&t.latencies_us, 0.99)
            )
        })
        .collect();
    println!("- by kind: {}.", line.join(", "));
    for l in &lost {
        println!("- MISMATCH {l}");
    }
    if server_errors > 0 || unexpected > 0 || !lost.is_empty() || !chain.ok {
        std::process::exit(1);
    }
}
