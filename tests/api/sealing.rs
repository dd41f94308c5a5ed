//! Sealing (issue 15): the key holders, the shares, the opening, and what a copy of the
//! database holds before the opening.

use crate::fixtures::{bid, scenario};
use crate::helpers::*;
use chrono::Duration;
use serde_json::{json, Value};
use smeproc::config::DatabaseUrl;

/// Three holders named by the agency (two of its staff and a supervisor with the auditor role),
/// k = 2; their tokens in holder order.
async fn holders(app: &TestApp, agency_id: &str, agency: &str, project: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut tokens = Vec::new();
    for role in ["agency", "agency", "auditor"] {
        let name = format!("holder-{}", uuid::Uuid::new_v4().simple());
        let id = app.create_user(&name, role);
        if role == "agency" {
            let mut conn = app.pool.get().unwrap();
            use diesel::prelude::*;
            use smeproc::db::schema::users;
            diesel::update(users::table.find(&id))
                .set(users::agency_id.eq(agency_id))
                .execute(&mut conn)
                .unwrap();
        }
        tokens.push(app.token(&name).await);
        names.push(name);
    }
    let plan = json_of(
        app.put(
            &format!("/api/v1/projects/{project}/key-holders"),
            Some(agency),
            &json!({"holders": names, "threshold": 2}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(plan["named"], true);
    assert_eq!(plan["threshold"], 2);
    assert_eq!(plan["holders"].as_array().unwrap().len(), 3);
    tokens
}

async fn give(app: &TestApp, lot: &str, token: &str, share: &str) -> reqwest::Response {
    app.post(
        &format!("/api/v1/lots/{lot}/opening/shares"),
        Some(token),
        &json!({ "share": share }),
    )
    .await
}

/// A draft of the scenario's project (not yet published): (agency id, token, project, lots).
async fn draft(app: &TestApp) -> (String, String, String, Vec<String>) {
    let (agency_id, agency) = app.agency_token().await;
    let draft = json_of(
        app.post(
            "/api/v1/projects",
            Some(&agency),
            &crate::fixtures::project_body(),
        )
        .await,
        201,
    )
    .await;
    let lots = draft["lots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect();
    (
        agency_id,
        agency,
        draft["id"].as_str().unwrap().to_string(),
        lots,
    )
}

#[actix_web::test]
async fn key_holders_are_named_before_publication_and_bad_plans_change_nothing() {
    let app = spawn_app().await;
    let (_, agency, project, _) = draft(&app).await;
    let supplier = format!("s-{}", uuid::Uuid::new_v4().simple());
    app.create_user(&supplier, "supplier");
    let clerk = format!("c-{}", uuid::Uuid::new_v4().simple());
    app.create_user(&clerk, "agency");
    let res = app
        .put(
            &format!("/api/v1/projects/{project}/key-holders"),
            Some(&agency),
            &json!({"holders": ["nobody-here", supplier, clerk, clerk], "threshold": 5}),
        )
        .await;
    let body = problem(res, 422).await;
    assert_eq!(
        problem_fields(&body),
        ["holders[0]", "holders[1]", "holders[3]", "threshold"],
        "{body}"
    );
    let plan = json_of(
        app.get(
            &format!("/api/v1/projects/{project}/key-holders"),
            Some(&agency),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(plan["named"], false, "nothing written: {plan}");
    // k defaults to 2 of n.
    let plan = json_of(
        app.put(
            &format!("/api/v1/projects/{project}/key-holders"),
            Some(&agency),
            &json!({ "holders": [clerk, format!("{clerk}")] }),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&plan), ["holders[1]"]);
    // Published, the plan no longer changes.
    app.publish(&project, &agency).await;
    let res = app
        .put(
            &format!("/api/v1/projects/{project}/key-holders"),
            Some(&agency),
            &json!({ "holders": [clerk] }),
        )
        .await;
    assert_eq!(problem(res, 409).await["code"], "wrong_state");
}

/// k − 1 shares, a share of another lot, a tampered share, another holder's share: nothing
/// opens. With k shares every bid opens and matches its receipt; the bidders read the record.
#[actix_web::test]
async fn a_lot_opens_with_k_valid_shares_of_its_own_and_not_otherwise() {
    let app = spawn_app_with(|s| s.token_ttl_minutes = 60 * 24 * 60).await;
    let (agency_id, agency, project, lots) = draft(&app).await;
    let (reserved, open) = (&lots[0], &lots[1]);
    let tokens = holders(&app, &agency_id, &agency, &project).await;
    let published = app
        .post(
            &format!("/api/v1/projects/{project}/publish"),
            Some(&agency),
            &json!({}),
        )
        .await;
    let published = json_of(published, 200).await;
    // The notice carries each lot's public key.
    let notices = json_of(
        app.get(&format!("/api/v1/notices?project_id={project}"), None)
            .await,
        200,
    )
    .await;
    let notice = notices["items"][0]["id"].as_str().unwrap();
    let notice = json_of(
        app.get(&format!("/api/v1/notices/{notice}"), None).await,
        200,
    )
    .await;
    let key = notice["body"]["lots"][1]["sealing"]["public_key"]
        .as_str()
        .unwrap();
    assert_eq!(key.len(), 64, "{notice}");
    assert_eq!(published["lots"][1]["id"], open.as_str());

    // Each holder collects its share of each lot, once.
    let mut shares: Vec<[String; 2]> = Vec::new();
    for t in &tokens {
        let mut two = [String::new(), String::new()];
        for (i, lot) in [reserved, open].iter().enumerate() {
            let got = json_of(
                app.post(
                    &format!("/api/v1/lots/{lot}/key-share"),
                    Some(t),
                    &json!({}),
                )
                .await,
                200,
            )
            .await;
            assert_eq!(got["threshold"], 2);
            assert_eq!(
                got["public_key"],
                notice["body"]["lots"][i]["sealing"]["public_key"]
            );
            two[i] = got["share"].as_str().unwrap().to_string();
        }
        shares.push(two);
    }
    let again = app
        .post(
            &format!("/api/v1/lots/{open}/key-share"),
            Some(&tokens[0]),
            &json!({}),
        )
        .await;
    assert_eq!(problem(again, 409).await["code"], "wrong_state");
    let mine = json_of(
        app.get("/api/v1/me/key-shares", Some(&tokens[2])).await,
        200,
    )
    .await;
    assert_eq!(mine.as_array().unwrap().len(), 2);
    assert!(mine
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["collectable"] == false));

    let s = ScenarioFirms::new(&app).await;
    let r1 = bid(&app, &s.small, open, json!({"price": "1876543.21"})).await;
    let r2 = bid(
        &app,
        &s.micro,
        open,
        json!({"price": "1765432.10", "consortium": [{"credit_code": s.micro_code, "share_pct": 60}, {"credit_code": s.medium_code, "share_pct": 40}], "related_parties": false}),
    )
    .await;

    // Before the opening time no share is taken.
    let res = give(&app, open, &tokens[0], &shares[0][1]).await;
    assert_eq!(problem(res, 409).await["code"], "bids_sealed");
    app.clock.advance(Duration::days(19) + Duration::hours(1));

    // A share of another lot, a tampered share, another holder's share.
    let res = give(&app, open, &tokens[0], &shares[0][0]).await;
    assert_eq!(problem_fields(&problem(res, 422).await), ["share"]);
    let mut tampered = shares[0][1].clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == '0' { '1' } else { '0' });
    let res = give(&app, open, &tokens[0], &tampered).await;
    let body = problem(res, 422).await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("commitments"),
        "{body}"
    );
    let res = give(&app, open, &tokens[1], &shares[2][1]).await;
    assert_eq!(res.status(), 403);
    let (_, auditor) = app.user_with_token("auditor").await;
    let refused = json_of(
        app.get(
            &format!("/api/v1/audit/events?action=key_share.refused&entity_id={open}"),
            Some(&auditor),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(refused["items"].as_array().unwrap().len(), 2, "{refused}");

    // k − 1 = 1 valid share: still sealed, whoever asks.
    let view = json_of(give(&app, open, &tokens[0], &shares[0][1]).await, 200).await;
    assert_eq!(view["given"], 1);
    assert!(view["opened_at"].is_null());
    let res = give(&app, open, &tokens[0], &shares[0][1]).await;
    assert_eq!(problem(res, 409).await["code"], "wrong_state");
    for token in [&agency, &auditor] {
        let listed = json_of(
            app.get(&format!("/api/v1/lots/{open}/bids"), Some(token))
                .await,
            200,
        )
        .await;
        assert_eq!(listed["sealed"], true);
        assert!(listed["bids"].as_array().unwrap().is_empty());
    }
    let res = app
        .post(
            &format!("/api/v1/lots/{open}/evaluate"),
            Some(&agency),
            &json!({}),
        )
        .await;
    assert_eq!(problem(res, 409).await["code"], "not_opened");
    let status = json_of(
        app.get(&format!("/api/v1/lots/{open}/opening"), Some(&agency))
            .await,
        200,
    )
    .await;
    let given: Vec<bool> = status["holders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["given"].as_bool().unwrap())
        .collect();
    assert_eq!(given, [true, false, false], "the agency sees who gave");
    // A bidder does not see the opening before it happens.
    let res = app
        .get(&format!("/api/v1/lots/{open}/opening"), Some(&s.small))
        .await;
    assert_eq!(res.status(), 403);

    // The k-th share opens the lot: every bid, matching its receipt.
    let view = json_of(give(&app, open, &tokens[2], &shares[2][1]).await, 200).await;
    assert!(view["opened_at"].is_string(), "{view}");
    let record = &view["record"];
    let opened: Vec<&Value> = record["bids"].as_array().unwrap().iter().collect();
    assert_eq!(opened.len(), 2);
    for (receipt, price) in [(&r1, "1876543.21"), (&r2, "1765432.10")] {
        let b = opened
            .iter()
            .find(|b| b["bid_id"] == receipt["bid_id"])
            .unwrap();
        assert_eq!(b["result"], "opened");
        assert_eq!(b["price"], price);
        assert_eq!(b["receipt_sha256"], receipt["sha256"]);
    }
    let listed = json_of(
        app.get(&format!("/api/v1/lots/{open}/bids"), Some(&agency))
            .await,
        200,
    )
    .await;
    assert_eq!(listed["sealed"], false);
    for b in listed["bids"].as_array().unwrap() {
        let canonical = serde_json::to_string(&b["content"]).unwrap();
        let receipt = if b["id"] == r1["bid_id"] { &r1 } else { &r2 };
        assert_eq!(
            smeproc::service::procurement::sha256_hex(canonical.as_bytes()),
            receipt["sha256"].as_str().unwrap()
        );
    }
    // The bidders read the record; another supplier does not.
    for token in [&s.small, &s.micro] {
        let seen = json_of(
            app.get(&format!("/api/v1/lots/{open}/opening"), Some(token))
                .await,
            200,
        )
        .await;
        assert_eq!(seen["record"]["bids"].as_array().unwrap().len(), 2);
        assert!(seen["holders"].as_array().unwrap().is_empty());
    }
    let res = app
        .get(&format!("/api/v1/lots/{open}/opening"), Some(&s.other))
        .await;
    assert_eq!(res.status(), 403);
    let res = give(&app, open, &tokens[1], &shares[1][1]).await;
    assert_eq!(problem(res, 409).await["code"], "wrong_state");
    // The other lot is still sealed: its shares were not given.
    let res = app
        .post(
            &format!("/api/v1/lots/{reserved}/evaluate"),
            Some(&agency),
            &json!({}),
        )
        .await;
    assert_eq!(problem(res, 409).await["code"], "not_opened");
}

/// Bidders of the sealing tests: tokens and credit codes.
struct ScenarioFirms {
    small: String,
    micro: String,
    micro_code: String,
    medium_code: String,
    other: String,
}

impl ScenarioFirms {
    async fn new(app: &TestApp) -> Self {
        let (_, small) = app.create_firm("封存测试小型有限公司", "650102", "small");
        let (_, micro) = app.create_firm("封存测试微型经营部", "653101", "micro");
        let (_, medium) = app.create_firm("封存测试中型有限公司", "654002", "medium");
        let (_, other) = app.create_firm("未投标的小型公司", "650102", "small");
        ScenarioFirms {
            small: app.supplier_token(&small).await,
            micro: app.supplier_token(&micro).await,
            micro_code: micro,
            medium_code: medium,
            other: app.supplier_token(&other).await,
        }
    }
}

/// A sealed bid whose envelope was altered in the database opens as excluded, with the
/// reason; the others open.
#[actix_web::test]
async fn a_bid_that_does_not_decrypt_is_excluded_with_its_reason() {
    let app = spawn_app_with(|s| s.token_ttl_minutes = 60 * 24 * 60).await;
    let s = scenario(&app).await;
    let a = app.supplier_token(&s.small.1).await;
    let b = app.supplier_token(&s.medium.1).await;
    let ra = bid(&app, &a, &s.open_lot, json!({"price": "1800000"})).await;
    let rb = bid(&app, &b, &s.open_lot, json!({"price": "1700000"})).await;
    {
        use diesel::prelude::*;
        use smeproc::db::schema::sealed_bids;
        let mut conn = app.pool.get().unwrap();
        let id = rb["bid_id"].as_str().unwrap();
        let mut envelope: Vec<u8> = sealed_bids::table
            .find(id)
            .select(sealed_bids::envelope)
            .first(&mut conn)
            .unwrap();
        let at = envelope.len() - 5;
        envelope[at] ^= 0x40;
        diesel::update(sealed_bids::table.find(id))
            .set(sealed_bids::envelope.eq(envelope))
            .execute(&mut conn)
            .unwrap();
    }
    app.clock.advance(Duration::days(19) + Duration::hours(1));
    app.open_lots().await;
    let view = json_of(
        app.get(
            &format!("/api/v1/lots/{}/opening", s.open_lot),
            Some(&s.agency),
        )
        .await,
        200,
    )
    .await;
    let record = view["record"]["bids"].as_array().unwrap();
    let of = |r: &Value| {
        record
            .iter()
            .find(|x| x["bid_id"] == r["bid_id"])
            .unwrap()
            .clone()
    };
    assert_eq!(of(&ra)["result"], "opened");
    let bad = of(&rb);
    assert_eq!(bad["result"], "excluded");
    assert!(
        bad["reason"].as_str().unwrap().contains("decrypted"),
        "{bad}"
    );
    assert!(bad["price"].is_null());
    let listed = json_of(
        app.get(
            &format!("/api/v1/lots/{}/bids", s.open_lot),
            Some(&s.agency),
        )
        .await,
        200,
    )
    .await;
    let ids: Vec<&Value> = listed["bids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| &b["id"])
        .collect();
    assert_eq!(
        ids,
        [&ra["bid_id"]],
        "only the bid that opened is evaluated"
    );
}

/// The forms a price can take in a copy of the database: yuan, with separators, in fen, and
/// the fen as the big-endian integer SQLite stores.
fn price_forms(yuan: &str) -> Vec<Vec<u8>> {
    let (int, dec) = yuan.split_once('.').unwrap_or((yuan, "00"));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let fen: i64 = format!("{int}{dec:0<2}").parse().unwrap();
    let be: Vec<u8> = fen
        .to_be_bytes()
        .iter()
        .copied()
        .skip_while(|b| *b == 0)
        .collect();
    vec![
        yuan.as_bytes().to_vec(),
        format!("{grouped}.{dec}").into_bytes(),
        fen.to_string().into_bytes(),
        be,
    ]
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The tables that may name an enterprise: the registry, the accounts and the catalogue.
/// (The audit log names an enterprise when it registers; a bid's events name the bidder only by
/// its keyed tag, tests/api/hardening.rs.)
const REGISTRY: [&str; 5] = [
    "enterprises",
    "users",
    "declarations",
    "products",
    "audit_events",
];

/// Every table's rows as text (all columns cast), for SQLite and PostgreSQL alike.
pub(crate) fn rows_by_table(app: &TestApp) -> Vec<(String, String)> {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        v: Option<String>,
    }
    let mut conn = app.pool.get().unwrap();
    let conn: &mut smeproc::db::DbConnection = &mut conn;
    let postgres = matches!(app.settings.database, DatabaseUrl::Postgres(_));
    let tables: Vec<Name> = if postgres {
        diesel::sql_query("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'")
            .load(conn)
            .unwrap()
    } else {
        diesel::sql_query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'products_fts%'",
        )
        .load(conn)
        .unwrap()
    };
    let mut out = Vec::new();
    for t in tables {
        let columns: Vec<Name> = if postgres {
            diesel::sql_query("SELECT column_name AS name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1")
                .bind::<diesel::sql_types::Text, _>(&t.name)
                .load(conn)
                .unwrap()
        } else {
            diesel::sql_query("SELECT name FROM pragma_table_info(?)")
                .bind::<diesel::sql_types::Text, _>(&t.name)
                .load(conn)
                .unwrap()
        };
        let mut text = String::new();
        for c in columns {
            // Names come from the catalogue above, never from input.
            let q = if postgres {
                format!(
                    "SELECT CAST(\"{}\" AS TEXT) AS v FROM \"{}\"",
                    c.name, t.name
                )
            } else {
                format!(
                    "SELECT CASE WHEN typeof(\"{0}\") = 'blob' THEN hex(\"{0}\") ELSE CAST(\"{0}\" AS TEXT) END AS v FROM \"{1}\"",
                    c.name, t.name
                )
            };
            let rows: Vec<Row> = diesel::sql_query(q).load(conn).unwrap();
            for r in rows.into_iter().flat_map(|r| r.v) {
                text.push_str(&r);
                text.push('\n');
            }
        }
        out.push((t.name, text));
    }
    out
}

/// The whole database as a copy would hold it before the opening: the SQLite file (with its
/// WAL) or a `pg_dump`. No price in any form; no table outside the registry names a bidder.
#[actix_web::test]
async fn a_copy_of_the_database_before_the_opening_holds_no_price_and_no_bidder() {
    let app = spawn_app_with(|s| s.token_ttl_minutes = 60 * 24 * 60).await;
    let s = scenario(&app).await;
    let bidders = [
        (&s.small, "1876543.21"),
        (&s.micro, "1765432.10"),
        (&s.hotan_small, "1654321.09"),
    ];
    for ((_, code), price) in bidders {
        let token = app.supplier_token(code).await;
        bid(&app, &token, &s.open_lot, json!({ "price": price })).await;
    }
    // A replaced bid: its old price must not linger either.
    let token = app.supplier_token(&s.medium.1).await;
    let first = bid(&app, &token, &s.open_lot, json!({"price": "1543210.98"})).await;
    json_of(
        app.put(
            &format!("/api/v1/bids/{}", first["bid_id"].as_str().unwrap()),
            Some(&token),
            &json!({"price": "1432109.87"}),
        )
        .await,
        200,
    )
    .await;
    let mut prices: Vec<&str> = bidders.iter().map(|(_, p)| *p).collect();
    prices.extend(["1543210.98", "1432109.87"]);
    let names = [
        "乌鲁木齐小型科技有限公司",
        "喀什微型电脑经营部",
        "和田小型网络有限公司",
        "伊宁中型信息技术有限公司",
    ];
    app.clock
        .advance(Duration::days(19) - Duration::minutes(15)); // past the deadline, before the opening

    let copy: Vec<u8> = match &app.settings.database {
        DatabaseUrl::Sqlite(path) => {
            let mut bytes = std::fs::read(path).unwrap();
            let wal = path.with_extension("db-wal");
            let mut wal_path = path.clone().into_os_string();
            wal_path.push("-wal");
            for p in [std::path::PathBuf::from(wal_path), wal] {
                if let Ok(more) = std::fs::read(&p) {
                    bytes.extend(more);
                }
            }
            bytes
        }
        DatabaseUrl::Postgres(url) => {
            let out = std::process::Command::new("pg_dump")
                .arg("--no-owner")
                .arg(format!("--dbname={url}"))
                .output()
                .expect("pg_dump");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        }
    };
    assert!(copy.len() > 10_000);
    for price in &prices {
        for form in price_forms(price) {
            assert!(
                !contains(&copy, &form),
                "the copy holds {price} as {:?}",
                String::from_utf8_lossy(&form)
            );
        }
    }
    // The test would see a price in the clear: the same copy after the opening does.
    for (table, text) in rows_by_table(&app) {
        if REGISTRY.contains(&table.as_str()) {
            continue;
        }
        for name in names {
            assert!(!text.contains(name), "{table} names the bidder {name}");
        }
        for id in [&s.small.0, &s.micro.0, &s.hotan_small.0, &s.medium.0] {
            assert!(!text.contains(id.as_str()), "{table} holds a bidder's id");
        }
    }
    app.clock.advance(Duration::hours(1));
    app.open_lots().await;
    let after = rows_by_table(&app);
    let bids_table = &after.iter().find(|(t, _)| t == "bids").unwrap().1;
    assert!(
        bids_table.contains(&"187654321".to_string()) && bids_table.contains(names[0]),
        "after the opening the bids are in the clear"
    );
}

/// Runs `smeproc bid …` (the offline tool) in `dir`.
fn bid_tool(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_smeproc"))
        .arg("bid")
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .output()
        .expect("run smeproc")
}

/// A bid sealed by the bidder with the CLI opens at the opening and is checked then; one that
/// is invalid once opened is excluded with its reason; the server could not read either.
#[actix_web::test]
async fn a_bidder_sealed_bid_opens_and_an_invalid_one_is_excluded_with_its_reason() {
    let app = spawn_app_with(|s| s.token_ttl_minutes = 60 * 24 * 60).await;
    let s = scenario(&app).await;
    let project = s.project["id"].as_str().unwrap();
    let notices = json_of(
        app.get(&format!("/api/v1/notices?project_id={project}"), None)
            .await,
        200,
    )
    .await;
    let notice = notices["items"][0]["id"].as_str().unwrap();
    let notice = json_of(
        app.get(&format!("/api/v1/notices/{notice}"), None).await,
        200,
    )
    .await;
    let key = notice["body"]["lots"][1]["sealing"]["public_key"]
        .as_str()
        .unwrap()
        .to_string();
    let other_key = notice["body"]["lots"][0]["sealing"]["public_key"]
        .as_str()
        .unwrap()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, v: Value| {
        std::fs::write(dir.path().join(name), v.to_string()).unwrap();
    };
    // The local check refuses what it can without the registry, naming the field.
    write("bad.json", json!({"price": "12.345"}));
    let out = bid_tool(
        dir.path(),
        &["check", "--credit-code", &s.small.1, "--bid", "bad.json"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("price"),
        "{out:?}"
    );
    write("good.json", json!({"price": "1888888.00"}));
    let out = bid_tool(
        dir.path(),
        &["check", "--credit-code", &s.small.1, "--bid", "good.json"],
    );
    assert!(out.status.success(), "{out:?}");
    let seal = |code: &str, file: &str, lot: &str, key: &str, output: &str| {
        let out = bid_tool(
            dir.path(),
            &[
                "seal",
                "--lot",
                lot,
                "--lot-key",
                key,
                "--credit-code",
                code,
                "--bid",
                file,
                "-o",
                output,
            ],
        );
        assert!(out.status.success(), "{out:?}");
        std::fs::read_to_string(dir.path().join(output))
            .unwrap()
            .trim()
            .to_string()
    };
    let sealed = seal(&s.small.1, "good.json", &s.open_lot, &key, "small.bid");
    assert!(sealed.starts_with("smeproc-sealed-bid-1."));
    assert!(!sealed.contains("1888888"));
    // A consortium with a member the registry does not know: fine offline, invalid at the
    // opening.
    let stranger = credit_code("650102");
    write(
        "consortium.json",
        json!({"price": "1777777.00", "related_parties": false,
               "consortium": [{"credit_code": s.micro.1, "share_pct": 60}, {"credit_code": stranger, "share_pct": 40}]}),
    );
    let invalid = seal(
        &s.micro.1,
        "consortium.json",
        &s.open_lot,
        &key,
        "micro.bid",
    );
    let wrong_lot = seal(
        &s.medium.1,
        "good.json",
        &s.reserved_lot,
        &other_key,
        "lot1.bid",
    );

    let small = app.supplier_token(&s.small.1).await;
    let micro = app.supplier_token(&s.micro.1).await;
    let medium = app.supplier_token(&s.medium.1).await;
    let submit = |token: &str, sealed: &str| {
        let (token, sealed) = (token.to_string(), sealed.to_string());
        let app = &app;
        let lot = s.open_lot.clone();
        async move {
            app.post(
                &format!("/api/v1/lots/{lot}/sealed-bids"),
                Some(&token),
                &json!({ "sealed": sealed }),
            )
            .await
        }
    };
    let receipt = json_of(submit(&small, &sealed).await, 201).await;
    let envelope = smeproc::domain::digest::unhex(sealed.rsplit('.').next().unwrap()).unwrap();
    assert_eq!(
        receipt["sha256"].as_str().unwrap(),
        smeproc::service::procurement::sha256_hex(&envelope),
        "the receipt is the envelope's hash"
    );
    let res = submit(&small, &sealed).await;
    assert_eq!(problem(res, 409).await["code"], "duplicate_bid");
    let bad = json_of(submit(&micro, &invalid).await, 201).await;
    for text in [wrong_lot.as_str(), "smeproc-sealed-bid-1.nope", "hello"] {
        let res = submit(&medium, text).await;
        assert_eq!(
            problem_fields(&problem(res, 422).await),
            ["sealed"],
            "{text}"
        );
    }
    let plain = bid(&app, &medium, &s.open_lot, json!({"price": "1666666.00"})).await;

    app.clock.advance(Duration::days(19) + Duration::hours(1));
    app.open_lots().await;
    let view = json_of(
        app.get(
            &format!("/api/v1/lots/{}/opening", s.open_lot),
            Some(&s.agency),
        )
        .await,
        200,
    )
    .await;
    let record = view["record"]["bids"].as_array().unwrap();
    let of = |id: &Value| record.iter().find(|b| &b["bid_id"] == id).unwrap().clone();
    let good = of(&receipt["bid_id"]);
    assert_eq!(
        (
            good["result"].as_str(),
            good["price"].as_str(),
            good["sealed_by"].as_str()
        ),
        (Some("opened"), Some("1888888.00"), Some("bidder")),
        "{good}"
    );
    assert_eq!(good["receipt_sha256"], receipt["sha256"]);
    let excluded = of(&bad["bid_id"]);
    assert_eq!(excluded["result"], "excluded");
    assert!(
        excluded["reason"]
            .as_str()
            .unwrap()
            .contains("consortium[1].credit_code"),
        "{excluded}"
    );
    assert_eq!(of(&plain["bid_id"])["result"], "opened");
    let listed = json_of(
        app.get(
            &format!("/api/v1/lots/{}/bids", s.open_lot),
            Some(&s.agency),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(listed["bids"].as_array().unwrap().len(), 2);
    let opened = listed["bids"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == receipt["bid_id"])
        .unwrap();
    assert_eq!(
        opened["content"]["supplier"]["credit_code"],
        s.small.1.as_str()
    );
    assert_eq!(opened["price"], "1888888.00");
}

/// Runs the CLI off the test's thread (it calls this test's server).
async fn cli(
    dir: &std::path::Path,
    args: Vec<String>,
    token: Option<String>,
) -> std::process::Output {
    let dir = dir.to_path_buf();
    actix_web::rt::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_smeproc"));
        cmd.args(&args).current_dir(&dir).env_remove("DATABASE_URL");
        match token {
            Some(t) => cmd.env("SMEPROC_TOKEN", t),
            None => cmd.env_remove("SMEPROC_TOKEN"),
        };
        cmd.output().expect("run smeproc")
    })
    .await
    .unwrap()
}

/// The whole offline path from the command line: the bidder seals its bid with documents
/// (`bid seal --file`), submits them (`bid submit`), a holder gives its share (`opening give`);
/// at the opening the documents come back byte for byte, and a bid whose sealed document was
/// tampered with is excluded with the reason.
#[actix_web::test]
async fn a_bidder_sealed_bid_with_documents_is_submitted_and_opened_from_the_command_line() {
    use crate::documents::{file_of, holds_a_run_of, send_multipart, sha};
    let app = spawn_app_with(|s| s.token_ttl_minutes = 60 * 24 * 60).await;
    let s = scenario(&app).await;
    let project = s.project["id"].as_str().unwrap();
    let notices = json_of(
        app.get(&format!("/api/v1/notices?project_id={project}"), None)
            .await,
        200,
    )
    .await;
    let key = notices["items"][0]["body"]["lots"][1]["sealing"]["public_key"]
        .as_str()
        .unwrap()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let path = |n: &str| dir.path().join(n);
    let pdf = file_of(b"%PDF-1.7\n", 3 * 64 * 1024 + 11, 21);
    let png = file_of(
        &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A],
        64 * 1024,
        22,
    );
    std::fs::write(path("技术方案.pdf"), &pdf).unwrap();
    std::fs::write(path("schedule.png"), &png).unwrap();
    std::fs::write(path("notes.txt"), b"plain words, not a document").unwrap();
    std::fs::write(
        path("small.json"),
        json!({"price": "1888888.00"}).to_string(),
    )
    .unwrap();
    std::fs::write(
        path("micro.json"),
        json!({"price": "1777777.00"}).to_string(),
    )
    .unwrap();
    let seal = |code: &str, bid: &str, files: &[&str], output: &str| {
        let mut args: Vec<String> = [
            "bid",
            "seal",
            "--lot",
            &s.open_lot,
            "--lot-key",
            &key,
            "--credit-code",
            code,
            "--bid",
            bid,
            "-o",
            output,
        ]
        .iter()
        .map(|a| a.to_string())
        .collect();
        for f in files {
            args.push("--file".into());
            args.push(f.to_string());
        }
        cli(dir.path(), args, None)
    };
    // A file of a type not accepted: refused locally, nothing left behind.
    let out = seal(
        &s.small.1,
        "small.json",
        &["technical=技术方案.pdf", "other=notes.txt"],
        "bad.bid",
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("notes.txt"),
        "{out:?}"
    );
    assert!(!path("bad.bid").exists() && !path("bad.bid.1.sealed-doc").exists());

    let out = seal(
        &s.small.1,
        "small.json",
        &["technical=技术方案.pdf", "price_schedule=schedule.png"],
        "small.bid",
    )
    .await;
    assert!(out.status.success(), "{out:?}");
    for n in ["small.bid.1.sealed-doc", "small.bid.2.sealed-doc"] {
        let sealed = std::fs::read(path(n)).unwrap();
        assert!(sealed.starts_with(b"smeproc-sealed-doc-1\n"));
        assert!(
            !holds_a_run_of(&sealed, &pdf) && !holds_a_run_of(&sealed, &png),
            "{n} is sealed"
        );
    }
    let out = seal(
        &s.micro.1,
        "micro.json",
        &["technical=技术方案.pdf"],
        "micro.bid",
    )
    .await;
    assert!(out.status.success(), "{out:?}");
    // Tampered with after sealing: one byte of its last chunk.
    let mut doc = std::fs::read(path("micro.bid.1.sealed-doc")).unwrap();
    let last = doc.len() - 5;
    doc[last] ^= 0x40;
    std::fs::write(path("micro.bid.1.sealed-doc"), &doc).unwrap();

    // Parts the server refuses, naming them; nothing is stored.
    let medium = app.supplier_token(&s.medium.1).await;
    let envelope = std::fs::read_to_string(path("small.bid")).unwrap();
    let bid_part = json!({"sealed": envelope.trim()}).to_string();
    let sealed_bids = format!("/api/v1/lots/{}/sealed-bids", s.open_lot);
    let res = send_multipart(
        &app,
        reqwest::Method::POST,
        &sealed_bids,
        &medium,
        &[
            ("bid", None, bid_part.as_bytes()),
            ("technical", Some("t.pdf"), &pdf),
        ],
    )
    .await;
    assert_eq!(
        problem_fields(&problem(res, 422).await),
        ["documents.technical"]
    );
    let res = send_multipart(
        &app,
        reqwest::Method::POST,
        &sealed_bids,
        &medium,
        &[
            ("bid", None, bid_part.as_bytes()),
            ("document", Some("t.pdf"), &pdf),
        ],
    )
    .await;
    assert_eq!(
        problem_fields(&problem(res, 422).await),
        ["documents.document"]
    );

    let server = app.address.clone();
    let submit = |token: String, file: &str| {
        cli(
            dir.path(),
            [
                "bid",
                "submit",
                "--server",
                &server,
                "--lot",
                &s.open_lot,
                file,
            ]
            .iter()
            .map(|a| a.to_string())
            .collect(),
            Some(token),
        )
    };
    let out = submit(app.supplier_token(&s.small.1).await, "small.bid").await;
    assert!(out.status.success(), "{out:?}");
    let receipt: Value = serde_json::from_slice(&out.stdout).unwrap();
    let out = submit(app.supplier_token(&s.micro.1).await, "micro.bid").await;
    assert!(out.status.success(), "{out:?}");
    let tampered: Value = serde_json::from_slice(&out.stdout).unwrap();
    // Again: refused by the server, exit 2 with its words.
    let out = submit(app.supplier_token(&s.small.1).await, "small.bid").await;
    assert_eq!(out.status.code(), Some(2), "{out:?}");

    // The opening: this lot's share from the command line, the others over the API.
    app.clock.advance(Duration::days(19) + Duration::hours(1));
    let mine: Vec<_> = {
        let mut shares = app.shares.lock().unwrap();
        let (mine, rest): (Vec<_>, Vec<_>) =
            shares.drain(..).partition(|(lot, _, _)| *lot == s.open_lot);
        *shares = rest;
        mine
    };
    let (_, token, share) = mine.into_iter().next().unwrap();
    std::fs::write(path("lot2.share"), &share).unwrap();
    // A share already collected cannot be collected again; the file is not left behind.
    let out = cli(
        dir.path(),
        [
            "opening",
            "collect",
            "--server",
            &server,
            "--lot",
            &s.open_lot,
            "-o",
            "again.share",
        ]
        .iter()
        .map(|a| a.to_string())
        .collect(),
        Some(token.clone()),
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(!path("again.share").exists());
    let out = cli(
        dir.path(),
        [
            "opening",
            "give",
            "--server",
            &server,
            "--lot",
            &s.open_lot,
            "--share-file",
            "lot2.share",
        ]
        .iter()
        .map(|a| a.to_string())
        .collect(),
        Some(token),
    )
    .await;
    assert!(out.status.success(), "{out:?}");
    let view: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(view["opened_at"].is_string(), "{view}");
    app.open_lots().await;

    let record = view["record"]["bids"].as_array().unwrap();
    let of = |id: &Value| record.iter().find(|b| &b["bid_id"] == id).unwrap().clone();
    assert_eq!(of(&receipt["bid_id"])["result"], "opened", "{view}");
    let excluded = of(&tampered["bid_id"]);
    assert_eq!(excluded["result"], "excluded");
    assert!(
        excluded["reason"]
            .as_str()
            .unwrap()
            .contains("技术方案.pdf"),
        "{excluded}"
    );
    let bid = json_of(
        app.get(
            &format!("/api/v1/bids/{}", receipt["bid_id"].as_str().unwrap()),
            Some(&s.agency),
        )
        .await,
        200,
    )
    .await;
    let docs = bid["content"]["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 2, "{bid}");
    for (d, bytes) in docs.iter().zip([&pdf, &png]) {
        assert_eq!(d["sha256"], sha(bytes));
        let res = app
            .get(
                &format!(
                    "/api/v1/bids/{}/documents/{}",
                    receipt["bid_id"].as_str().unwrap(),
                    d["id"].as_str().unwrap()
                ),
                Some(&s.agency),
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.bytes().await.unwrap().as_ref(),
            bytes.as_slice(),
            "byte-identical"
        );
    }
    assert_eq!(docs[0]["filename"], "技术方案.pdf");
    assert_eq!(docs[1]["kind"], "price_schedule");
}

/// Fewer than k holders: from the opening time the agency declares the lot unopenable; it fails
/// with the reason, its bids are excluded without being decrypted, its sealed documents and
/// remaining shares are gone, and the failure notice says why.
#[actix_web::test]
async fn a_lot_that_cannot_be_opened_fails_with_its_reason_and_stays_sealed() {
    use crate::documents::{file_of, send_multipart};
    let app = spawn_app_with(|s| s.token_ttl_minutes = 60 * 24 * 60).await;
    let s = scenario(&app).await;
    let project = s.project["id"].as_str().unwrap().to_string();
    let small = app.supplier_token(&s.small.1).await;
    let micro = app.supplier_token(&s.micro.1).await;
    let pdf = file_of(b"%PDF-1.7\n", 70_000, 31);
    let bid_json = json!({"price": "1888888.00"}).to_string();
    let res = send_multipart(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/lots/{}/bids", s.open_lot),
        &small,
        &[
            ("bid", None, bid_json.as_bytes()),
            ("technical", Some("t.pdf"), &pdf),
        ],
    )
    .await;
    let with_doc = json_of(res, 201).await;
    let plain = bid(&app, &micro, &s.open_lot, json!({"price": "1777777.00"})).await;
    let sealed_files = || {
        crate::documents::store_files(&app)
            .iter()
            .filter(|(p, _)| p.to_string_lossy().contains("sealed"))
            .count()
    };
    assert_eq!(sealed_files(), 1);
    let fail = |lot: String, token: String, body: Value| {
        let app = &app;
        async move {
            app.post(
                &format!("/api/v1/lots/{lot}/opening/fail"),
                Some(&token),
                &body,
            )
            .await
        }
    };
    let why = json!({"reason": "两名持有人的份额遗失"});
    let res = fail(s.open_lot.clone(), s.agency.clone(), why.clone()).await;
    assert_eq!(
        problem(res, 409).await["code"],
        "wrong_state",
        "before the opening time"
    );

    app.clock.advance(Duration::days(19) + Duration::hours(1));
    let res = fail(s.open_lot.clone(), s.agency.clone(), json!({})).await;
    assert_eq!(problem_fields(&problem(res, 422).await), ["reason"]);
    let res = fail(s.open_lot.clone(), small.clone(), why.clone()).await;
    assert_eq!(res.status(), 403);
    let view = json_of(
        fail(s.open_lot.clone(), s.agency.clone(), why.clone()).await,
        200,
    )
    .await;
    assert_eq!(view["record"]["outcome"], "failed");
    assert!(view["record"]["failure_reason"]
        .as_str()
        .unwrap()
        .contains("两名持有人的份额遗失"));
    let record = view["record"]["bids"].as_array().unwrap();
    assert_eq!(record.len(), 2);
    for b in record {
        assert_eq!(b["result"], "excluded");
        assert!(
            b["price"].is_null() && b["bidder"].is_null(),
            "never decrypted: {b}"
        );
        assert!(b["reason"].as_str().unwrap().contains("视为撤回"), "{b}");
    }
    assert!(record.iter().any(|b| b["bid_id"] == with_doc["bid_id"]));
    assert!(record.iter().any(|b| b["bid_id"] == plain["bid_id"]));
    assert_eq!(sealed_files(), 0, "its sealed documents are gone");
    // Declared once; the holder's share no longer opens it.
    let res = fail(s.open_lot.clone(), s.agency.clone(), why.clone()).await;
    assert_eq!(problem(res, 409).await["code"], "wrong_state");
    let (lot, token, share) = app
        .shares
        .lock()
        .unwrap()
        .iter()
        .find(|(l, _, _)| *l == s.open_lot)
        .cloned()
        .unwrap();
    let res = give(&app, &lot, &token, &share).await;
    assert_eq!(res.status(), 409);
    let bids = json_of(
        app.get(
            &format!("/api/v1/lots/{}/bids", s.open_lot),
            Some(&s.agency),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(bids["bids"].as_array().unwrap().len(), 0, "{bids}");
    let shown = json_of(
        app.get(&format!("/api/v1/projects/{project}"), None).await,
        200,
    )
    .await;
    assert_eq!(shown["lots"][1]["state"], "failed");

    // The other lot too; then the failure notice names both reasons.
    json_of(
        fail(
            s.reserved_lot.clone(),
            s.agency.clone(),
            json!({"reason": "监督人无法到场"}),
        )
        .await,
        200,
    )
    .await;
    let notice = json_of(
        app.post(
            &format!("/api/v1/projects/{project}/result"),
            Some(&s.agency),
            &json!({}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(notice["kind"], "failure");
    let reasons: Vec<&str> = notice["body"]["lots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["failure_reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons[0].contains("监督人无法到场") && reasons[1].contains("两名持有人的份额遗失"),
        "{reasons:?}"
    );
}
