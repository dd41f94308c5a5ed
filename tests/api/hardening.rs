//! What outside testing found (issue 13): invisible characters, the last admin, disclosure
//! before the opening, abuse limits, CSRF binding, logs and the smaller defects.

use crate::helpers::*;
use serde_json::{json, Value};

/// Bidi overrides and isolates, zero-width spaces and stray BOMs are refused in every free-text
/// field, written out or as a JSON escape, naming the field; nothing is written.
#[actix_web::test]
async fn invisible_characters_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token("supplier").await;
    for (name, field_json) in [
        ("rlo", "\"打印机\u{202E}gnp.exe\""),
        ("escaped isolate", "\"打印机\\u2066x\\u2069\""),
        ("zero width space", "\"打\u{200B}印机\""),
        ("bom", "\"\\uFEFF打印机\""),
    ] {
        let body = format!(
            "{{\"sku\":\"S-{name}\",\"name\":{field_json},\"category_code\":\"A02\",\"unit\":\"台\",\"price\":\"1.00\"}}"
        );
        let res = app
            .client
            .post(app.url("/api/v1/products"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let problem = problem(res, 422).await;
        assert_eq!(problem_fields(&problem), ["name"], "{name}: {problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains("U+"),
            "{problem}"
        );
    }
    // Nested fields are named by their path; a sign-up writes nothing.
    let res = app
        .post(
            "/api/v1/auth/signup",
            None,
            &json!({"username": "hidden-firm", "password": PASSWORD,
                    "enterprise": {"credit_code": credit_code("653101"), "name": "喀什\u{2067}公司",
                                   "industry": "software", "employees": 10, "revenue_wan": "100"}}),
        )
        .await;
    let problem = problem(res, 422).await;
    assert_eq!(problem_fields(&problem), ["enterprise.name"]);
    let res = app.login("hidden-firm", PASSWORD).await;
    assert_eq!(res.status(), 401, "no account was created");
    let search: Value = app
        .get("/api/v1/products?limit=100", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(search["items"], json!([]), "no product was created");
}

/// In a CSV cell the row and column are named.
#[actix_web::test]
async fn invisible_characters_in_a_csv_cell_name_the_row_and_column() {
    let app = spawn_app().await;
    let (id, token) = app.user_with_token("supplier").await;
    let code = {
        let mut conn = app.pool.get().unwrap();
        let user = smeproc::db::users::find_by_id(&mut conn, &id)
            .unwrap()
            .unwrap();
        smeproc::db::enterprises::find_by_id(&mut conn, &user.enterprise_id.unwrap())
            .unwrap()
            .unwrap()
            .credit_code
    };
    let csv = format!(
        "supplier_credit_code,sku,name,category_code,unit,price,spec\n\
         {code},1,复印纸,A090101,箱,150.00,\n\
         {code},2,硒鼓,A090201,个,80.50,黑\u{FEFF}色\n"
    );
    let res = app
        .client
        .post(app.url("/api/v1/catalogue/import"))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let body = problem(res, 422).await;
    assert_eq!(body["rows"][0]["line"], 3, "{body}");
    assert_eq!(body["rows"][0]["column"], "spec");
}

/// The last active admin cannot be disabled, by itself or another admin (409 naming the rule);
/// with a second admin it can.
#[actix_web::test]
async fn the_last_active_admin_cannot_be_disabled() {
    let app = spawn_app().await;
    let (root, token) = app.user_with_token("admin").await;
    let res = app
        .post(
            &format!("/api/v1/users/{root}/disable"),
            Some(&token),
            &json!({}),
        )
        .await;
    let body = problem(res, 409).await;
    assert_eq!(body["code"], "last_active_admin");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("last active admin"),
        "{body}"
    );
    assert_eq!(
        app.get("/api/v1/me", Some(&token)).await.status(),
        200,
        "still logged in"
    );
    let (second, _) = app.user_with_token("admin").await;
    let res = app
        .post(
            &format!("/api/v1/users/{second}/disable"),
            Some(&token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    // Now root is the last one again.
    let res = app
        .post(
            &format!("/api/v1/users/{root}/disable"),
            Some(&token),
            &json!({}),
        )
        .await;
    problem(res, 409).await;
}

/// A request seen as coming from `address` (the tests' apps trust 127.0.0.1 as a proxy).
fn from(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    address: &str,
) -> reqwest::RequestBuilder {
    app.client
        .request(method, app.url(path))
        .header("x-forwarded-for", address)
}

async fn status(req: reqwest::RequestBuilder) -> (u16, Option<i64>) {
    let res = req.send().await.unwrap();
    let retry = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (res.status().as_u16(), retry)
}

fn signup_body(username: &str) -> Value {
    json!({"username": username, "password": PASSWORD,
           "enterprise": {"credit_code": credit_code("653101"), "name": format!("企业 {username}"),
                          "industry": "software", "employees": 10, "revenue_wan": "100"}})
}

/// Every anonymous route that costs the most is limited per client address (429 with
/// Retry-After, nothing written), others' addresses are not affected, and the window ends.
#[actix_web::test]
async fn costly_anonymous_routes_are_limited_per_address() {
    let app = spawn_app_with(|s| {
        s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        s.limits
            .apply("signup=3/3600,search=4/60,market_prices=2/60,classify=2/60,evaluate=2/60,contract_check=2/60")
            .unwrap();
    })
    .await;
    use reqwest::Method;
    for i in 0..3 {
        let req = from(&app, Method::POST, "/api/v1/auth/signup", "10.0.0.1")
            .json(&signup_body(&format!("office-{i}")));
        assert_eq!(status(req).await.0, 201, "sign-up {i}");
    }
    let req =
        from(&app, Method::POST, "/api/v1/auth/signup", "10.0.0.1").json(&signup_body("office-3"));
    let (code, retry) = status(req).await;
    assert_eq!(code, 429);
    assert!(retry.is_some_and(|r| r > 0 && r <= 3600), "{retry:?}");
    assert_eq!(
        app.login("office-3", PASSWORD).await.status(),
        401,
        "nothing was written"
    );
    let req =
        from(&app, Method::POST, "/api/v1/auth/signup", "10.0.0.2").json(&signup_body("office-4"));
    assert_eq!(status(req).await.0, 201, "another address");

    let classify = json!({"industry": "software", "employees": 10, "revenue_wan": "100"});
    let evaluate: Value = serde_json::from_str(
        &std::fs::read_to_string(
            crate::common::fixtures_dir().join("evaluation/01-xinjiang-comprehensive.input.json"),
        )
        .unwrap(),
    )
    .unwrap();
    for (method, path, body, allowed) in [
        (Method::GET, "/api/v1/products?q=打印机", None, 4),
        (Method::GET, "/catalogue?q=打印机", None, 0),
        (Method::GET, "/api/v1/market-prices?category=A02", None, 2),
        (Method::POST, "/api/v1/classify", Some(&classify), 2),
        (Method::POST, "/api/v1/evaluate", Some(&evaluate), 2),
        (
            Method::GET,
            "/api/v1/contracts/verify?number=X&supplier_credit_code=91653100000000019P",
            None,
            2,
        ),
    ] {
        for i in 0..allowed {
            let mut req = from(&app, method.clone(), path, "10.0.0.9");
            if let Some(b) = body {
                req = req.json(b);
            }
            let (code, _) = status(req).await;
            assert_ne!(code, 429, "{path} call {i}");
        }
        let mut req = from(&app, method.clone(), path, "10.0.0.9");
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 429, "{path} over its limit");
        assert!(res.headers().contains_key("retry-after"), "{path}");
        let kind = res.headers()["content-type"].to_str().unwrap().to_string();
        if path.starts_with("/api/") {
            assert_eq!(kind, "application/problem+json", "{path}");
        } else {
            assert!(
                kind.starts_with("text/html"),
                "{path}: the page says it in HTML"
            );
        }
    }
    app.clock.advance(chrono::Duration::seconds(61));
    let (code, _) = status(from(
        &app,
        Method::GET,
        "/api/v1/products?q=打印机",
        "10.0.0.9",
    ))
    .await;
    assert_eq!(code, 200, "a new window");
}

/// A client cannot choose the address it is counted under unless it is a trusted proxy.
#[actix_web::test]
async fn a_forwarded_address_counts_only_from_a_trusted_proxy() {
    let app = spawn_app_with(|s| s.limits.apply("search=2/60").unwrap()).await;
    for i in 0..2 {
        let req = from(
            &app,
            reqwest::Method::GET,
            "/api/v1/products",
            &format!("10.1.0.{i}"),
        );
        assert_eq!(status(req).await.0, 200);
    }
    let req = from(&app, reqwest::Method::GET, "/api/v1/products", "10.1.0.99");
    assert_eq!(
        status(req).await.0,
        429,
        "X-Forwarded-For from an untrusted peer is ignored"
    );
}

/// A stranger's wrong guesses lock out only the stranger's address; the owner logs in from its
/// own. A guesser spread over many addresses meets the looser per-account ceiling.
#[actix_web::test]
async fn a_stranger_cannot_lock_the_owner_out() {
    let app = spawn_app_with(|s| {
        s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        s.limits
            .apply("login_failures=3/900,login_account_failures=8/900")
            .unwrap();
    })
    .await;
    app.create_user("owner", "auditor");
    let login = |address: &str, password: &str| {
        from(&app, reqwest::Method::POST, "/api/v1/auth/login", address)
            .json(&json!({"username": "owner", "password": password}))
    };
    for _ in 0..3 {
        assert_eq!(
            status(login("10.2.0.66", "a wrong password here")).await.0,
            401
        );
    }
    let (code, retry) = status(login("10.2.0.66", PASSWORD)).await;
    assert_eq!(
        code, 429,
        "the stranger's address is locked, even with the right password"
    );
    assert!(retry.is_some());
    assert_eq!(
        status(login("10.2.0.1", PASSWORD)).await.0,
        200,
        "the owner is not"
    );
    // Five more addresses, one wrong guess each: eight failures reach the account's ceiling.
    for i in 0..5 {
        assert_eq!(
            status(login(&format!("10.2.1.{i}"), "wrong again")).await.0,
            401
        );
    }
    assert_eq!(
        status(login("10.2.0.1", PASSWORD)).await.0,
        429,
        "the ceiling holds for everyone"
    );
    app.clock.advance(chrono::Duration::seconds(901));
    assert_eq!(status(login("10.2.0.1", PASSWORD)).await.0, 200);
}

/// The counters live in the database: two instances of the service share them.
#[actix_web::test]
async fn instances_on_one_database_share_the_counters() {
    let app = spawn_app_with(|s| s.limits.apply("search=4/60").unwrap()).await;
    let second = app.second_instance().await;
    for a in [&app, &second, &app, &second] {
        assert_eq!(a.get("/api/v1/products", None).await.status(), 200);
    }
    assert_eq!(app.get("/api/v1/products", None).await.status(), 429);
    assert_eq!(second.get("/api/v1/products", None).await.status(), 429);
}

/// A password typed into the username field never reaches the log: a refused login names the
/// account's id when it exists, a short hash of what was typed otherwise.
#[actix_web::test]
async fn failed_logins_do_not_log_what_was_typed() {
    let log = crate::logs::capture();
    let app = spawn_app().await;
    let id = app.create_user("li.ming", "auditor");
    let typed = "MyS3cretPassw0rd-typed-as-username";
    assert_eq!(app.login(typed, "x").await.status(), 401);
    assert_eq!(app.login("li.ming", "not the password").await.status(), 401);
    let text = log.text();
    assert!(!text.contains(typed), "the typed text is in the log");
    assert!(
        text.contains(&smeproc::service::auth::limiter::account_key(typed)),
        "{text}"
    );
    assert!(
        text.contains(&id),
        "the existing account is named by its id"
    );
    assert!(!text.contains("li.ming\""), "{text}");
}

/// Before the opening, nothing tells who bid or how many: the project (API and page) and its
/// OCDS release show no count except to its agency, and bid events in the audit views name
/// neither the bid nor its actor — not even to auditors and admins, and a filter by the
/// bidder's id finds none. The chain still covers them; after the opening they are shown.
#[actix_web::test]
async fn nothing_about_bidders_is_disclosed_before_the_opening() {
    let app = spawn_app_with(|s| s.token_ttl_minutes = 60 * 24 * 60).await;
    let s = crate::fixtures::scenario(&app).await;
    let project = s.project["id"].as_str().unwrap().to_string();
    let supplier = app.supplier_token(&s.small.1).await;
    let me: Value = app
        .get("/api/v1/me", Some(&supplier))
        .await
        .json()
        .await
        .unwrap();
    let supplier_id = me["id"].as_str().unwrap().to_string();
    let receipt =
        crate::fixtures::bid(&app, &supplier, &s.open_lot, json!({"price": "1900000.00"})).await;
    let bid_id = receipt["bid_id"].as_str().unwrap().to_string();
    let (_, auditor) = app.user_with_token("auditor").await;
    let (_, admin) = app.user_with_token("admin").await;

    let page = app
        .get(&format!("/projects/{project}"), None)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("—"),
        "the public page shows a dash for the count"
    );
    let lots: Value = app
        .get(&format!("/api/v1/lots/{}/bids", s.open_lot), Some(&auditor))
        .await
        .json()
        .await
        .unwrap();
    assert!(lots["count"].is_null(), "auditors learn no count: {lots}");
    let lots: Value = app
        .get(
            &format!("/api/v1/lots/{}/bids", s.open_lot),
            Some(&s.agency),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(lots["count"], 1, "the agency may know the count");

    for token in [&auditor, &admin] {
        let events: Value = app
            .get("/api/v1/audit/events?entity=bid", Some(token))
            .await
            .json()
            .await
            .unwrap();
        let items = events["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        let e = &items[0];
        assert_eq!(e["sealed"], true);
        assert!(e["actor"].is_null() && e["entity_id"].is_null(), "{e}");
        assert!(
            e["after_sha256"].is_null() && e["before_sha256"].is_null(),
            "{e}"
        );
        let text = events.to_string();
        assert!(
            !text.contains(&supplier_id) && !text.contains(&bid_id),
            "{text}"
        );
        for filter in [
            format!("actor={supplier_id}"),
            format!("entity_id={bid_id}"),
        ] {
            let found: Value = app
                .get(&format!("/api/v1/audit/events?{filter}"), Some(token))
                .await
                .json()
                .await
                .unwrap();
            assert!(
                found["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|e| e["entity"] != "bid"),
                "{filter}: {found}"
            );
        }
    }
    let report: Value = app
        .get("/api/v1/audit/verify", Some(&auditor))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["ok"], true, "the chain covers the sealed events");

    // After the opening: the event names its bid, and its actor by the bidder's keyed tag (on
    // a sealed lot the user would say who bid; the opening event says it from then on).
    app.clock.advance(chrono::Duration::days(30));
    app.open_lots().await;
    let events: Value = app
        .get(
            &format!("/api/v1/audit/events?entity_id={bid_id}"),
            Some(&auditor),
        )
        .await
        .json()
        .await
        .unwrap();
    let actor = events["items"][0]["actor"].as_str().unwrap();
    assert!(actor.starts_with("bidder:"), "{events}");
    assert!(!actor.contains(&supplier_id), "{events}");
    assert_eq!(events["items"][0]["sealed"], false);
    let opened: Value = app
        .get(
            &format!(
                "/api/v1/audit/events?action=lot.open&entity_id={}",
                s.open_lot
            ),
            Some(&auditor),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(opened["items"].as_array().unwrap().len(), 1, "{opened}");
    let view: Value = app
        .get(&format!("/api/v1/projects/{project}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["lots"][1]["bid_count"], 1);
}

/// The smaller defects of the issue, one assertion each.
#[actix_web::test]
async fn the_smaller_defects_are_mended() {
    let app = spawn_app_with(|s| s.token_ttl_minutes = 60 * 24 * 60).await;
    // A declaration dated today in Beijing is accepted between 16:00 and 24:00 UTC, when the
    // UTC date is still yesterday's.
    let (id, token) = app.user_with_token("supplier").await;
    let enterprise = {
        let mut conn = app.pool.get().unwrap();
        smeproc::db::users::find_by_id(&mut conn, &id)
            .unwrap()
            .unwrap()
            .enterprise_id
            .unwrap()
    };
    app.clock.advance(chrono::Duration::hours(15)); // 2026-03-01 17:00 UTC = 03-02 01:00 Beijing
    let letter = json!({"year": 2025, "declared_on": "2026-03-02", "declared_scale": "small",
        "industry": "software", "employees": 50, "revenue_wan": "800"});
    let res = app
        .post(
            &format!("/api/v1/enterprises/{enterprise}/declarations"),
            Some(&token),
            &letter,
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let tomorrow = json!({"year": 2025, "declared_on": "2026-03-03", "declared_scale": "small",
        "industry": "software", "employees": 50, "revenue_wan": "800"});
    let res = app
        .post(
            &format!("/api/v1/enterprises/{enterprise}/declarations"),
            Some(&token),
            &tomorrow,
        )
        .await;
    assert!(problem(res, 422).await["detail"]
        .as_str()
        .unwrap()
        .contains("future"));

    // Another agency's malformed body: 403 (ownership first), not 422 or 400.
    let s = crate::fixtures::scenario(&app).await;
    let (_, stranger) = app.agency_token().await;
    let project = s.project["id"].as_str().unwrap();
    for (method, path) in [
        (reqwest::Method::PUT, format!("/api/v1/projects/{project}")),
        (
            reqwest::Method::POST,
            format!("/api/v1/projects/{project}/corrections"),
        ),
        (
            reqwest::Method::POST,
            format!("/api/v1/lots/{}/scores", s.open_lot),
        ),
    ] {
        let res = app
            .client
            .request(method, app.url(&path))
            .bearer_auth(&stranger)
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        problem(res, 403).await;
    }

    // A product id that is not a number is a bad request, not a missing product.
    problem(app.get("/api/v1/products/abc", None).await, 400).await;
    problem(app.get("/api/v1/products/999999", None).await, 404).await;
    let res = app
        .patch(
            "/api/v1/products/abc",
            Some(&token),
            &json!({"price": "1.00"}),
        )
        .await;
    problem(res, 400).await;

    // 405 names the methods the path has.
    let res = app
        .client
        .delete(app.url("/api/v1/products"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["allow"], "GET, POST");
    let res = app.client.put(app.url("/notices")).send().await.unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["allow"], "GET");
}

/// The page login over a limit answers 429 (with Retry-After), as the API does.
#[actix_web::test]
async fn the_page_login_over_its_limit_answers_429() {
    let app = spawn_app_with(|s| s.limits.apply("login_failures=2/900").unwrap()).await;
    app.create_user("wang.fang", "auditor");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let visitor = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let html = client
        .get(app.url("/login"))
        .header("cookie", format!("smeproc_csrf={visitor}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let needle = "name=\"csrf\" value=\"";
    let at = html.find(needle).unwrap() + needle.len();
    let csrf = &html[at..at + 64];
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let res = client
            .post(app.url("/login"))
            .header("cookie", format!("smeproc_csrf={visitor}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("username=wang.fang&password=wrong&csrf={csrf}"))
            .send()
            .await
            .unwrap();
        statuses.push((
            res.status().as_u16(),
            res.headers().contains_key("retry-after"),
        ));
    }
    assert_eq!(statuses, [(401, false), (401, false), (429, true)]);
}

/// The finance page of a department answers alike whatever it is: a 主管预算单位 or a unit,
/// with or without a plan (200); only an unknown one is 404.
#[actix_web::test]
async fn every_department_has_a_finance_page() {
    let app = spawn_app().await;
    let (_, auditor) = app.user_with_token("auditor").await;
    let org = |kind: &str, name: &str, parent: Option<&str>| {
        let mut conn = app.pool.get().unwrap();
        let req = smeproc::service::accounts::CreateOrgRequest {
            kind: kind.into(),
            name: name.into(),
            credit_code: None,
            region: Some("650100".into()),
            parent_id: parent.map(Into::into),
            ..Default::default()
        };
        smeproc::service::accounts::create_org(
            &mut conn,
            &app.clock,
            smeproc::service::audit::CLI,
            &req,
        )
        .unwrap()
        .id
    };
    let top = org("department", "自治区教育厅", None);
    let unit = org("department", "新疆大学", Some(&top));
    let cookie = format!("smeproc_session={auditor}");
    for id in [&top, &unit] {
        let res = app
            .client
            .get(app.url(&format!("/finance/{id}/2026")))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{id}");
    }
    let res = app
        .client
        .get(app.url("/finance/00000000-0000-0000-0000-000000000000/2026"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}
