//! The enterprise registry: sign-up, visibility of figures, declaration history and review.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

fn signup_body(username: &str, code: &str) -> Value {
    json!({
        "username": username,
        "password": PASSWORD,
        "enterprise": {
            "credit_code": code, "name": "喀什市某软件有限公司", "industry": "software",
            "employees": 120, "revenue_wan": "999.5"
        }
    })
}

async fn count(app: &TestApp, path: &str, token: &str) -> usize {
    let body: Value = app.get(path, Some(token)).await.json().await.unwrap();
    body.as_array().map_or(0, Vec::len)
}

#[actix_web::test]
async fn signup_creates_a_bound_supplier_and_an_enterprise_with_its_scale() {
    let app = spawn_app().await;
    let code = credit_code("653101");
    let res = app
        .post(
            "/api/v1/auth/signup",
            None,
            &signup_body("kashi.soft", &code),
        )
        .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    let enterprise = &body["enterprise"];
    // software: 120 staff ≥ 100 but revenue 999.5 < 1000 万元 → not medium; small limits met.
    assert_eq!(enterprise["scale"], "small");
    assert_eq!(enterprise["sme"], true);
    assert_eq!(
        enterprise["region"], "653101",
        "default region from the credit code"
    );
    assert_eq!(enterprise["xinjiang"], true);
    assert_eq!(enterprise["minority_region"], true);
    assert_eq!(body["user"]["role"], "supplier");
    assert_eq!(body["user"]["enterprise_id"], enterprise["id"]);

    let token = app.token("kashi.soft").await;
    let me: Value = app
        .get("/api/v1/me", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["enterprise_id"], enterprise["id"]);
}

#[actix_web::test]
async fn figures_are_shown_only_to_the_owner_and_staff() {
    let app = spawn_app().await;
    let code = credit_code("650102");
    let created: Value = app
        .post("/api/v1/auth/signup", None, &signup_body("owner", &code))
        .await
        .json()
        .await
        .unwrap();
    let path = format!(
        "/api/v1/enterprises/{}",
        created["enterprise"]["id"].as_str().unwrap()
    );
    let owner = app.token("owner").await;
    let (_, stranger) = app.user_with_token("supplier").await;
    let (_, agency) = app.user_with_token("agency").await;
    let (_, auditor) = app.user_with_token("auditor").await;

    let public: Value = app.get(&path, None).await.json().await.unwrap();
    assert_eq!(public["name"], "喀什市某软件有限公司");
    assert!(
        public.get("figures").is_none(),
        "anonymous callers see no figures"
    );
    let other: Value = app.get(&path, Some(&stranger)).await.json().await.unwrap();
    assert!(
        other.get("figures").is_none(),
        "another supplier sees no figures"
    );
    for token in [&owner, &agency, &auditor] {
        let seen: Value = app.get(&path, Some(token)).await.json().await.unwrap();
        assert_eq!(seen["figures"]["employees"], 120);
        assert_eq!(seen["figures"]["revenue_wan"], "999.5");
    }
}

#[actix_web::test]
async fn a_bad_signup_names_its_fields_and_writes_nothing() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("admin").await;
    let users_before = count(&app, "/api/v1/users", &admin).await;

    let mut body = signup_body("Bad Name", "91653100000000019Q");
    body["password"] = json!("short");
    body["enterprise"]["revenue_wan"] = json!("12.345678");
    body["enterprise"]["industry"] = json!("construction");
    let res = app.post("/api/v1/auth/signup", None, &body).await;
    let fields = problem_fields(&problem(res, 422).await);
    for f in [
        "username",
        "password",
        "enterprise.credit_code",
        "enterprise.revenue_wan",
    ] {
        assert!(fields.contains(&f.to_string()), "{f} not in {fields:?}");
    }

    // A valid enterprise with a taken username: the enterprise must not stay behind.
    let code = credit_code("653101");
    let mut body = signup_body("taken", &code);
    app.create_user("taken", "auditor");
    problem(app.post("/api/v1/auth/signup", None, &body).await, 409).await;
    let listed: Value = app
        .get("/api/v1/enterprises?region=653101", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["credit_code"] != code.as_str()));
    assert_eq!(count(&app, "/api/v1/users", &admin).await, users_before + 1);

    // The same credit code twice.
    body["username"] = json!("first");
    assert_eq!(
        app.post("/api/v1/auth/signup", None, &body).await.status(),
        201
    );
    body["username"] = json!("second");
    problem(app.post("/api/v1/auth/signup", None, &body).await, 409).await;
}

#[actix_web::test]
async fn declarations_keep_their_history_and_the_scale_of_any_day() {
    let app = spawn_app().await;
    let code = credit_code("653101");
    let created: Value = app
        .post("/api/v1/auth/signup", None, &signup_body("decl", &code))
        .await
        .json()
        .await
        .unwrap();
    let id = created["enterprise"]["id"].as_str().unwrap().to_string();
    let owner = app.token("decl").await;
    let letters = format!("/api/v1/enterprises/{id}/declarations");

    let first = json!({"year": 2024, "declared_on": "2025-01-10", "declared_scale": "small",
        "industry": "software", "employees": 120, "revenue_wan": "999.5"});
    let res = app.post(&letters, Some(&owner), &first).await;
    assert_eq!(res.status(), 201);
    let first: Value = res.json().await.unwrap();
    assert_eq!(first["mismatch"], false);
    assert_eq!(first["status"], "pending");

    // Declared micro, but the figures give small: recorded and flagged.
    let second = json!({"year": 2025, "declared_on": "2026-01-20", "declared_scale": "micro",
        "industry": "software", "employees": 30, "revenue_wan": "60"});
    let second: Value = app
        .post(&letters, Some(&owner), &second)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["computed_scale"], "small");
    assert_eq!(second["mismatch"], true);

    let history: Value = app.get(&letters, Some(&owner)).await.json().await.unwrap();
    let years: Vec<i64> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["year"].as_i64().unwrap())
        .collect();
    assert_eq!(years, [2025, 2024], "newest first");
    let now: Value = app
        .get(&format!("/api/v1/enterprises/{id}"), Some(&owner))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        now["figures"]["employees"], 30,
        "the newest letter's figures"
    );

    let scale_on = |day: &'static str| {
        let path = format!("/api/v1/enterprises/{id}/scale?on={day}");
        let app = &app;
        async move {
            let body: Value = app.get(&path, None).await.json().await.unwrap();
            body["scale"].clone()
        }
    };
    assert_eq!(scale_on("2024-12-31").await, Value::Null);
    assert_eq!(scale_on("2025-06-01").await, "small");
    assert_eq!(scale_on("2026-02-01").await, "micro");

    // An agency rejects the mismatched letter; the day falls back to the earlier one.
    let (_, agency) = app.user_with_token("agency").await;
    let review = format!(
        "/api/v1/declarations/{}/review",
        second["id"].as_str().unwrap()
    );
    let res = app
        .post(&review, Some(&agency), &json!({"status": "rejected"}))
        .await;
    assert_eq!(problem_fields(&problem(res, 422).await), ["reason"]);
    let res = app
        .post(
            &review,
            Some(&agency),
            &json!({"status": "rejected", "reason": "figures give small"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let reviewed: Value = res.json().await.unwrap();
    assert_eq!(reviewed["status"], "rejected");
    problem(
        app.post(&review, Some(&agency), &json!({"status": "verified"}))
            .await,
        409,
    )
    .await;
    assert_eq!(scale_on("2026-02-01").await, "small");
}

#[actix_web::test]
async fn a_supplier_acts_only_for_its_own_enterprise() {
    let app = spawn_app().await;
    let created: Value = app
        .post(
            "/api/v1/auth/signup",
            None,
            &signup_body("mine", &credit_code("650102")),
        )
        .await
        .json()
        .await
        .unwrap();
    let letters = format!(
        "/api/v1/enterprises/{}/declarations",
        created["enterprise"]["id"].as_str().unwrap()
    );
    let (_, stranger) = app.user_with_token("supplier").await;
    let letter = json!({"year": 2025, "declared_on": "2026-01-20", "declared_scale": "small",
        "industry": "software", "employees": 30, "revenue_wan": "60"});
    problem(app.post(&letters, Some(&stranger), &letter).await, 403).await;
    // Even a broken body is refused for ownership first.
    problem(
        app.send(
            Method::POST,
            &letters,
            Some(&stranger),
            Some(&json!({"year": "x"})),
        )
        .await,
        403,
    )
    .await;
    problem(app.get(&letters, Some(&stranger)).await, 403).await;
    let owner = app.token("mine").await;
    assert_eq!(
        app.get(&letters, Some(&owner))
            .await
            .json::<Value>()
            .await
            .unwrap(),
        json!([])
    );
}

#[actix_web::test]
async fn a_firm_tied_to_a_large_firm_is_large_and_lists_page_by_credit_code() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("admin").await;
    let mut codes = Vec::new();
    for i in 0..5 {
        let code = credit_code("652801");
        let mut body = json!({"credit_code": code, "name": format!("库尔勒企业{i}"), "industry": "retail",
            "employees": 12, "revenue_wan": "150"});
        if i == 0 {
            body["large_firm_relation"] = json!("branch");
        }
        let res = app.post("/api/v1/enterprises", Some(&admin), &body).await;
        assert_eq!(res.status(), 201);
        let e: Value = res.json().await.unwrap();
        assert_eq!(e["scale"], if i == 0 { "large" } else { "small" });
        assert_eq!(e["figures"]["computed_scale"], "small");
        codes.push(code);
    }
    codes.sort();
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let path = format!("/api/v1/enterprises?region=6528&limit=2{after}");
        let page: Value = app.get(&path, None).await.json().await.unwrap();
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["credit_code"].as_str().unwrap().to_string()),
        );
        match page["next_after"].as_str() {
            Some(next) => after = format!("&after={next}"),
            None => break,
        }
    }
    assert_eq!(seen, codes);
    let smes: Value = app
        .get("/api/v1/enterprises?region=6528&scale=small", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(smes["items"].as_array().unwrap().len(), 4);
    problem(app.get("/api/v1/enterprises?scale=huge", None).await, 422).await;
    let body = problem(app.get("/api/v1/enterprises?limit=many", None).await, 422).await;
    assert_eq!(problem_fields(&body), ["limit"]);
}
