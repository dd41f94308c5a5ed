//! Sealed-bid load: N bids (default 10 000) submitted to one lot by concurrent HTTP clients,
//! then the opening, the review, the scores and the evaluation of that lot, each timed.
//!
//! Run by `scripts/bench-bids.sh` (both backends). Alone:
//! `SMEPROC_BENCH_DATABASE_URL=sqlite:///tmp/b.db cargo bench --bench bids -- --bids 10000 --clients 64`
//!
//! The server runs in this process (2 workers, a manual clock so that the deadline can pass
//! without waiting) and shares the 2 cores with the clients. Anchors measured in the same run:
//! `GET /health` through the same clients (the HTTP ceiling) for the submission rate, and the
//! engine alone on the stored input for the evaluation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, TimeZone, Utc};
use diesel::prelude::*;
use futures_util::StreamExt;
use serde_json::{json, Value};
use smeproc::clock::{Clock, ManualClock};
use smeproc::config::{DatabaseUrl, Settings};
use smeproc::db::{self, sessions, users, DbConnection};
use smeproc::service::auth::keys::ServerKeys;
use smeproc::service::procurement::{opening, projects};
use smeproc::service::Actor;
use smeproc::startup::Application;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

const REGIONS: [&str; 6] = ["650102", "653101", "654002", "653201", "652801", "650104"];

fn arg(name: &str, default: usize) -> usize {
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

/// Enterprises, supplier users and live sessions for them, written directly (one shared
/// password hash: argon2 ten thousand times would time the set-up, not the bids).
fn suppliers(conn: &mut DbConnection, clock: &ManualClock, n: usize) -> Vec<(String, String)> {
    use diesel::Connection;
    let hash = smeproc::service::auth::hash_password("bench password").unwrap();
    let now = clock.now_naive();
    conn.transaction::<_, smeproc::error::Error, _>(|conn| {
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let region = REGIONS[i % REGIONS.len()];
            let (employees, revenue) = match i % 4 {
                0 => (5, "30"),
                1 => (50, "800"),
                2 => (200, "5000"),
                _ => (500, "20000"),
            };
            let code = credit_code(region, i + 1);
            let input = smeproc::service::registry::EnterpriseInput {
                credit_code: Some(code.clone()),
                name: Some(format!("投标企业{i:05}有限公司")),
                industry: Some("software".into()),
                employees: Some(employees),
                revenue_wan: Some(revenue.into()),
                region: Some(region.into()),
                ..Default::default()
            };
            let e = smeproc::service::registry::register(
                conn,
                clock,
                smeproc::service::audit::CLI,
                &input,
            )?;
            let user_id = db::new_id();
            users::insert(
                conn,
                &users::NewUser {
                    id: &user_id,
                    username: &format!("bidder{i}"),
                    display_name: &format!("bidder{i}"),
                    password_hash: &hash,
                    role: "supplier",
                    agency_id: None,
                    enterprise_id: Some(&e.id),
                    created_at: now,
                },
            )?;
            let (token, token_hash) = smeproc::service::auth::new_token().unwrap();
            sessions::insert(
                conn,
                &sessions::NewSession {
                    id: &db::new_id(),
                    user_id: &user_id,
                    token_hash: &token_hash,
                    created_at: now,
                    expires_at: now + Duration::days(60),
                },
            )?;
            out.push((code, token));
        }
        Ok(out)
    })
    .unwrap()
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

struct Load {
    seconds: f64,
    ok: usize,
    errors: usize,
    p50_ms: f64,
    p99_ms: f64,
    answers: Vec<Value>,
    latencies: Vec<f64>,
}

impl Load {
    /// Several loads as one: times added, latencies pooled.
    fn merge(parts: Vec<Load>) -> Load {
        let mut latencies: Vec<f64> = parts.iter().flat_map(|p| p.latencies.clone()).collect();
        latencies.sort_by(f64::total_cmp);
        Load {
            seconds: parts.iter().map(|p| p.seconds).sum(),
            ok: parts.iter().map(|p| p.ok).sum(),
            errors: parts.iter().map(|p| p.errors).sum(),
            p50_ms: percentile(&latencies, 0.50),
            p99_ms: percentile(&latencies, 0.99),
            answers: parts.into_iter().flat_map(|p| p.answers).collect(),
            latencies,
        }
    }
}

async fn load(
    client: &reqwest::Client,
    requests: Vec<(String, String, Option<Value>)>,
    clients: usize,
) -> Load {
    let started = Instant::now();
    let results: Vec<(f64, bool, Value)> = futures_util::stream::iter(requests)
        .map(|(url, token, body)| {
            let client = client.clone();
            async move {
                let t = Instant::now();
                let req = match &body {
                    Some(b) => client.post(&url).bearer_auth(&token).json(b),
                    None => client.get(&url),
                };
                let res = req.send().await;
                let ok_and_body = match res {
                    Ok(r) => {
                        let ok = r.status().is_success();
                        let v: Value = r.json().await.unwrap_or(Value::Null);
                        (ok, v)
                    }
                    Err(e) => (false, json!(e.to_string())),
                };
                (
                    t.elapsed().as_secs_f64() * 1000.0,
                    ok_and_body.0,
                    ok_and_body.1,
                )
            }
        })
        .buffer_unordered(clients)
        .collect()
        .await;
    let seconds = started.elapsed().as_secs_f64();
    let mut latencies: Vec<f64> = results.iter().map(|r| r.0).collect();
    latencies.sort_by(f64::total_cmp);
    let ok = results.iter().filter(|r| r.1).count();
    let errors: Vec<&Value> = results
        .iter()
        .filter(|r| !r.1)
        .map(|r| &r.2)
        .take(3)
        .collect();
    if !errors.is_empty() {
        eprintln!("first errors: {errors:?}");
    }
    Load {
        seconds,
        ok,
        errors: results.len() - ok,
        p50_ms: percentile(&latencies, 0.50),
        p99_ms: percentile(&latencies, 0.99),
        answers: results.into_iter().filter(|r| r.1).map(|r| r.2).collect(),
        latencies,
    }
}

fn main() {
    let n = arg("--bids", 10_000);
    let clients = arg("--clients", 64);
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
    // SMEPROC_SEAL_AHEAD=0 measures sealing with every encapsulation made at the deadline.
    if let Ok(v) = std::env::var("SMEPROC_SEAL_AHEAD") {
        settings.seal_ahead = v.trim().parse().unwrap();
    }
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

    // Set-up (not timed as part of the figures).
    let t = Instant::now();
    let mut conn = pool.get().unwrap();
    let agency = smeproc::service::accounts::create_org(
        &mut conn,
        &clock,
        smeproc::service::audit::CLI,
        &smeproc::service::accounts::CreateOrgRequest {
            kind: "agency".into(),
            name: "喀什地区政府采购中心".into(),
            credit_code: None,
            region: Some("653101".into()),
            parent_id: None,
            ..Default::default()
        },
    )
    .unwrap();
    let agency_user = smeproc::service::accounts::create_user(
        &mut conn,
        &clock,
        smeproc::service::audit::CLI,
        &smeproc::service::accounts::CreateUserRequest {
            username: "agency".into(),
            display_name: None,
            role: "agency".into(),
            password: "bench password".into(),
            agency_id: Some(agency.id.clone()),
            enterprise_credit_code: None,
        },
    )
    .unwrap();
    let (agency_token, agency_hash) = smeproc::service::auth::new_token().unwrap();
    sessions::insert(
        &mut conn,
        &sessions::NewSession {
            id: &db::new_id(),
            user_id: &agency_user.id,
            token_hash: &agency_hash,
            created_at: clock.now_naive(),
            expires_at: clock.now_naive() + Duration::days(60),
        },
    )
    .unwrap();
    let bidders = suppliers(&mut conn, &clock, n);
    let actor = Actor::Agency {
        agency_id: &agency.id,
        user_id: &agency_user.id,
    };
    let draft: projects::ProjectDraft = serde_json::from_value(json!({
        "title": "负载测试项目", "category": "goods", "category_code": "A0201",
        "procurement_method": "open_tender", "policy": "xinjiang-2011",
        "evaluation": {"method": "comprehensive", "weights": {"price": 30, "technical": 50, "commercial": 20}},
        "budget": "100000000", "reservation": "none", "reservation_reason": "负载测试",
        "bid_deadline": "2026-03-20T09:30:00+08:00", "opening_at": "2026-03-20T10:00:00+08:00",
        "lots": [{"title": "唯一采购包", "budget": "100000000"}]
    }))
    .unwrap();
    let keys = ServerKeys::load_or_create(&settings.secret_key_file).unwrap();
    let project = projects::create(&mut conn, &clock, &actor, &draft).unwrap();
    projects::publish(&mut conn, &clock, &keys, &actor, &project.id).unwrap();
    let lot = project.lots[0].id.clone();
    let share = opening::collect_share(&mut conn, &clock, &keys, &actor, &lot).unwrap();
    // The same project once more, its lot without a key: bids there are stored as before
    // sealing (access control only), the anchor of sealing's cost.
    let clear = projects::create(&mut conn, &clock, &actor, &draft).unwrap();
    projects::publish(&mut conn, &clock, &keys, &actor, &clear.id).unwrap();
    let clear_lot = clear.lots[0].id.clone();
    {
        use smeproc::db::schema::{key_shares, lot_keys};
        diesel::delete(key_shares::table.filter(key_shares::lot_id.eq(&clear_lot)))
            .execute(&mut conn)
            .unwrap();
        diesel::delete(lot_keys::table.filter(lot_keys::lot_id.eq(&clear_lot)))
            .execute(&mut conn)
            .unwrap();
    }
    drop(conn);
    // The keyless lot needs none; the sealed lot's are made in the background after its
    // publication (the quiet days before a deadline): wait for them, so that the preparing
    // thread does not take CPU from the measured run.
    smeproc::service::sealing::ahead::forget(&clear_lot);
    let want = smeproc::service::sealing::ahead::per_lot().min(n);
    let waited = std::time::Instant::now();
    while smeproc::service::sealing::ahead::ready(&lot) < want
        && waited.elapsed() < std::time::Duration::from_secs(600)
    {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let prepared = smeproc::service::sealing::ahead::ready(&lot);
    eprintln!(
        "set-up: {prepared} encapsulations prepared ahead in {:.1} s",
        waited.elapsed().as_secs_f64()
    );
    eprintln!(
        "set-up: {n} suppliers and a published project in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()
        .unwrap();

    // Anchor: the same clients on GET /health.
    let health: Vec<_> = (0..n)
        .map(|_| (format!("{base}/health"), String::new(), None))
        .collect();
    let anchor = rt.block_on(load(&client, health, clients));

    // The bids: every tenth a consortium with the next firm, every fifth a subcontract to a
    // micro firm. First to the lot without a key, then the same to the sealed lot.
    let requests_to = |lot: &str| -> Vec<_> {
        (0..n)
        .map(|i| {
            let (code, token) = &bidders[i];
            let mut body = json!({"price": format!("{}.{:02}", 90_000_000 + (i * 7919) % 9_000_000, i % 100)});
            if i % 10 == 3 {
                let partner = &bidders[(i + 1) % n].0;
                body["consortium"] = json!([{"credit_code": code, "share_pct": 70}, {"credit_code": partner, "share_pct": 30}]);
                body["related_parties"] = json!(false);
            } else if i % 5 == 1 {
                // To a micro firm (every fourth supplier): allowed from a bidder of any scale
                // (small and micro bidders subcontract only to small and micro firms).
                let micro = (i / 4 * 4 + 8) % n;
                body["subcontracts"] = json!([{"credit_code": bidders[micro].0, "share_pct": 30}]);
            }
            (format!("{base}/api/v1/lots/{lot}/bids"), token.clone(), Some(body))
        })
        .collect()
    };
    // In alternating quarters (clear, sealed, sealed, clear, …) so that neither kind gains
    // from going first or last (a warmer cache, a smaller database).
    // Bids do not arrive in the order the firms registered: both kinds in the same scrambled
    // order (a stride permutation), so neither gains from keys that grow with arrival.
    let stride = (7919..).find(|s| gcd(*s, n) == 1).unwrap_or(1);
    let scramble = |mut reqs: Vec<(String, String, Option<Value>)>| {
        let mut out = Vec::with_capacity(reqs.len());
        let mut slots: Vec<Option<_>> = reqs.drain(..).map(Some).collect();
        for i in 0..slots.len() {
            if let Some(r) = slots[(i * stride) % n].take() {
                out.push(r);
            }
        }
        out
    };
    let (mut clear_reqs, mut sealed_reqs) = (
        scramble(requests_to(&clear_lot)),
        scramble(requests_to(&lot)),
    );
    let quarter = n.div_ceil(4);
    let (mut clear_parts, mut sealed_parts) = (Vec::new(), Vec::new());
    for round in 0..4 {
        let c: Vec<_> = clear_reqs.drain(..quarter.min(clear_reqs.len())).collect();
        let s: Vec<_> = sealed_reqs
            .drain(..quarter.min(sealed_reqs.len()))
            .collect();
        if round % 2 == 0 {
            clear_parts.push(rt.block_on(load(&client, c, clients)));
            sealed_parts.push(rt.block_on(load(&client, s, clients)));
        } else {
            sealed_parts.push(rt.block_on(load(&client, s, clients)));
            clear_parts.push(rt.block_on(load(&client, c, clients)));
        }
    }
    let unsealed = Load::merge(clear_parts);
    let bids = Load::merge(sealed_parts);
    // What sealing itself costs: the HPKE seal of a canonical bid's size, alone, in this process.
    let sample = bids
        .answers
        .first()
        .and_then(|r| r["canonical"].as_str())
        .unwrap_or_default()
        .to_string();
    let public_key = {
        let mut conn = pool.get().unwrap();
        smeproc::db::procurement::find_lot_key(&mut conn, &lot)
            .unwrap()
            .unwrap()
            .public_key
    };
    let t = Instant::now();
    for i in 0..1000 {
        smeproc::service::sealing::seal(
            &lot,
            &public_key,
            format!("bid {i}").as_bytes(),
            sample.as_bytes(),
        )
        .unwrap();
    }
    let seal_us = t.elapsed().as_secs_f64() * 1e6 / 1000.0;
    let receipts: HashMap<String, String> = bids
        .answers
        .iter()
        .map(|r| {
            (
                r["bid_id"].as_str().unwrap().to_string(),
                r["sha256"].as_str().unwrap().to_string(),
            )
        })
        .collect();

    // The deadline and the opening pass; the agency reads every bid and checks the receipts.
    clock.advance(Duration::days(20));
    let get = |path: &str| -> Value {
        rt.block_on(async {
            client
                .get(format!("{base}{path}"))
                .bearer_auth(&agency_token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        })
    };
    let post = |path: &str, body: Value| -> (u16, Value, f64) {
        let t = Instant::now();
        rt.block_on(async {
            let res = client
                .post(format!("{base}{path}"))
                .bearer_auth(&agency_token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let v: Value = res.json().await.unwrap();
            (status, v, t.elapsed().as_secs_f64())
        })
    };
    // The opening: the holder gives its share; the server opens every bid.
    let (status, view, open_s) = post(
        &format!("/api/v1/lots/{lot}/opening/shares"),
        json!({"share": share.share}),
    );
    assert_eq!(status, 200, "opening: {view}");
    let excluded = view["record"]["bids"]
        .as_array()
        .map_or(0, |b| b.iter().filter(|b| b["result"] != "opened").count());
    let t = Instant::now();
    let opened = get(&format!("/api/v1/lots/{lot}/bids"));
    let read_s = t.elapsed().as_secs_f64();
    let list = opened["bids"].as_array().unwrap();
    let mut matched = 0;
    for b in list {
        let id = b["id"].as_str().unwrap();
        let canonical = serde_json::to_string(&b["content"]).unwrap();
        let sha = smeproc::service::procurement::sha256_hex(canonical.as_bytes());
        if receipts.get(id) == Some(&sha) && b["receipt_sha256"] == sha.as_str() {
            matched += 1;
        }
    }
    let lost = n - matched;

    let results: Vec<Value> = list
        .iter()
        .map(|b| json!({"bid_id": b["id"], "qualified": true}))
        .collect();
    let (status, _, qualify_s) = post(
        &format!("/api/v1/lots/{lot}/qualification"),
        json!({"results": results}),
    );
    assert_eq!(status, 200, "qualification");
    let mut scores_s = 0.0;
    for (e, name) in ["专家A", "专家B", "专家C"].iter().enumerate() {
        let scores: Vec<Value> = list
            .iter()
            .enumerate()
            .map(|(i, b)| json!({"bid_id": b["id"], "technical": 30 + (i * 13 + e * 7) % 20, "commercial": 10 + (i * 5 + e) % 10}))
            .collect();
        let (status, _, s) = post(
            &format!("/api/v1/lots/{lot}/scores"),
            json!({"evaluator": name, "scores": scores}),
        );
        assert_eq!(status, 200, "scores");
        scores_s += s;
    }
    let (status, run, evaluate_s) = post(&format!("/api/v1/lots/{lot}/evaluate"), json!({}));
    assert_eq!(status, 201, "evaluate: {run}");
    let input = serde_json::to_vec(&run["input"]).unwrap();
    let t = Instant::now();
    let (_, _) = smeproc::service::procurement::evaluation::run_engine(&input).unwrap();
    let engine_s = t.elapsed().as_secs_f64();
    let ranked = run["output"]["ranking"].as_array().map_or(0, Vec::len);
    let (status, award, award_s) = post(&format!("/api/v1/lots/{lot}/award"), json!({}));
    assert_eq!(status, 200, "award: {award}");
    let (status, notice, result_s) = post(
        &format!("/api/v1/projects/{}/result", project.id),
        json!({}),
    );
    assert_eq!(status, 201, "result: {notice}");
    let notice_bytes = serde_json::to_vec(&notice).unwrap().len();

    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("?").trim().to_string())
        })
        .unwrap_or_default();
    println!(
        "- {}, {cpu}, {} cores shared by the server (2 workers, pool 8) and the clients ({clients} concurrent); {backend}.",
        chrono::Utc::now().date_naive(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "- anchor `GET /health`, same clients: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms.",
        n as f64 / anchor.seconds,
        anchor.p50_ms,
        anchor.p99_ms
    );
    println!(
        "- {n} bids to one lot: {:.0} bids/s ({:.2} of the anchor), p50 {:.2} ms, p99 {:.2} ms; {} errors; {} accepted, {} read back after the opening, {} receipts matched, {lost} lost.",
        n as f64 / bids.seconds, (n as f64 / bids.seconds) / (n as f64 / anchor.seconds), bids.p50_ms, bids.p99_ms,
        bids.errors, bids.ok, list.len(), matched
    );
    println!(
        "- the same {n} bids to a lot without a key (stored in the clear, the anchor; the two kinds in alternating quarters, in the same scrambled order): {:.0} bids/s, p50 {:.2} ms, p99 {:.2} ms; sealing costs {:.1} % of the throughput.",
        n as f64 / unsealed.seconds, unsealed.p50_ms, unsealed.p99_ms,
        100.0 * (1.0 - unsealed.seconds / bids.seconds)
    );
    println!(
        "- encapsulations prepared at the lot's publication (SMEPROC_SEAL_AHEAD={}): {prepared} ready when the bids began, for {n} sealed bids; any further bid's made at its arrival.",
        smeproc::service::sealing::ahead::per_lot()
    );
    println!(
        "- sealing alone (HPKE seal of a {}-byte canonical bid, one core): {:.0} µs per bid, {:.1} % of the {:.0} µs of CPU the two cores spend per clear bid.",
        sample.len(), seal_us, 100.0 * seal_us / (2e6 / (n as f64 / unsealed.seconds)), 2e6 / (n as f64 / unsealed.seconds)
    );
    println!(
        "- the opening (one share given, the key rebuilt, {n} envelopes opened, checked against their receipts and written): {:.2} s; {excluded} excluded.",
        open_s
    );
    println!(
        "- after the opening: reading all {} bids {:.2} s; qualification (one request) {:.2} s; 3 evaluators' scores {:.2} s.",
        list.len(), read_s, qualify_s, scores_s
    );
    println!(
        "- evaluation of the lot (assemble the input from the database, run, store): {:.2} s for {ranked} ranked bids; anchor, the engine alone on the same input: {:.2} s.",
        evaluate_s, engine_s
    );
    println!(
        "- award {:.2} s; the result notice with the explained ranking of all {ranked} bids ({:.1} MB) {:.2} s.",
        award_s, notice_bytes as f64 / 1e6, result_s
    );
    if bids.errors > 0 || lost > 0 || anchor.errors > 0 {
        eprintln!("FAILED: {} errors, {lost} lost", bids.errors);
        std::process::exit(1);
    }
}
