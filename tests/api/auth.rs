use crate::helpers::*;
use chrono::Duration;
use serde_json::{json, Value};

#[actix_web::test]
async fn login_me_logout() {
    let app = spawn_app().await;
    let id = app.create_user("wang.fang", "auditor");
    let res = app.login("wang.fang", PASSWORD).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let token = body["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("smp_"));
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["user"].get("password_hash").is_none());

    let me: Value = app
        .get("/api/v1/me", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], id.as_str());
    assert_eq!(me["role"], "auditor");

    let res = app
        .post("/api/v1/auth/logout", Some(&token), &json!({}))
        .await;
    assert_eq!(res.status(), 204);
    let body = problem(app.get("/api/v1/me", Some(&token)).await, 401).await;
    assert!(body["detail"].as_str().unwrap().contains("log in again"));
}

#[actix_web::test]
async fn the_token_is_stored_only_as_a_hash() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token("auditor").await;
    use diesel::prelude::*;
    use smeproc::db::schema::sessions;
    let mut conn = app.pool.get().unwrap();
    let stored: Vec<String> = sessions::table
        .select(sessions::token_hash)
        .load(&mut conn)
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token);
    assert_eq!(stored[0], smeproc::service::auth::token_hash(&token));
}

#[actix_web::test]
async fn wrong_password_and_unknown_user_get_the_same_401() {
    let app = spawn_app().await;
    app.create_user("li.na", "auditor");
    let a = problem(app.login("li.na", "not the password at all").await, 401).await;
    let b = problem(app.login("nobody", "not the password at all").await, 401).await;
    assert_eq!(a["detail"], b["detail"]);
}

#[actix_web::test]
async fn an_expired_token_is_refused() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token("auditor").await;
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status(), 200);
    app.clock
        .advance(Duration::minutes(app.settings.token_ttl_minutes) + Duration::seconds(1));
    problem(app.get("/api/v1/me", Some(&token)).await, 401).await;
}

#[actix_web::test]
async fn no_token_or_a_malformed_header_is_401() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/me", None).await;
    assert_eq!(
        res.headers().get("www-authenticate").unwrap(),
        "Bearer realm=\"smeproc\""
    );
    problem(res, 401).await;
    let res = app
        .client
        .get(app.url("/api/v1/me"))
        .header("authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    problem(res, 401).await;
    problem(app.get("/api/v1/me", Some("smp_forged")).await, 401).await;
}

#[actix_web::test]
async fn a_disabled_user_loses_its_tokens_and_cannot_log_in() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("admin").await;
    let id = app.create_user("zhao.lei", "auditor");
    let token = app.token("zhao.lei").await;
    let res = app
        .post(
            &format!("/api/v1/users/{id}/disable"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["disabled"], true);
    problem(app.get("/api/v1/me", Some(&token)).await, 401).await;
    problem(app.login("zhao.lei", PASSWORD).await, 401).await;
    let res = app
        .post("/api/v1/users/no-such-id/disable", Some(&admin), &json!({}))
        .await;
    problem(res, 404).await;
}

#[actix_web::test]
async fn failed_logins_are_limited_per_account() {
    let app = spawn_app_with(|s| s.limits.apply("login_failures=3/900").unwrap()).await;
    let window = 900;
    app.create_user("chen.jie", "auditor");
    for _ in 0..3 {
        problem(app.login("chen.jie", "a wrong password here").await, 401).await;
    }
    // Locked: even the right password waits for the window.
    let res = app.login("chen.jie", PASSWORD).await;
    let retry: i64 = res
        .headers()
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= window);
    problem(res, 429).await;
    // Another account is not affected.
    app.create_user("sun.li", "auditor");
    assert_eq!(app.login("sun.li", PASSWORD).await.status(), 200);
    app.clock.advance(Duration::seconds(window + 1));
    assert_eq!(app.login("chen.jie", PASSWORD).await.status(), 200);
}

#[actix_web::test]
async fn login_attempts_are_limited_per_address() {
    let app = spawn_app_with(|s| s.limits.apply("login_address=4/900").unwrap()).await;
    app.create_user("zhou.min", "auditor");
    for i in 0..4 {
        let res = app
            .login(&format!("user{i}"), "a wrong password here")
            .await;
        assert_eq!(res.status(), 401);
    }
    problem(app.login("zhou.min", PASSWORD).await, 429).await;
}

#[actix_web::test]
async fn admins_create_and_list_users() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("admin").await;
    let agency = app.create_agency("乌鲁木齐市政府采购中心");
    let res = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &json!({"username": "ma.jun", "role": "agency", "password": PASSWORD, "agency_id": agency, "display_name": "马军"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["agency_id"], agency.as_str());
    assert!(created.get("password").is_none() && created.get("password_hash").is_none());

    let again = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &json!({"username": "ma.jun", "role": "auditor", "password": PASSWORD}),
        )
        .await;
    assert_eq!(problem(again, 409).await["code"], "duplicate");

    let list: Value = app
        .get("/api/v1/users", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"ma.jun"));
    assert_eq!(app.token("ma.jun").await.len(), 68);
}

#[actix_web::test]
async fn a_bad_user_names_every_field_and_writes_nothing() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("admin").await;
    let before: Value = app
        .get("/api/v1/users", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    let res = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &json!({"username": "Bad Name", "role": "boss", "password": "short"}),
        )
        .await;
    let body = problem(res, 422).await;
    let fields = problem_fields(&body);
    for f in ["username", "role", "password"] {
        assert!(
            fields.contains(&f.to_string()),
            "{f} not named in {fields:?}"
        );
    }
    let res = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &json!({"username": "agent", "role": "agency", "password": PASSWORD}),
        )
        .await;
    assert_eq!(problem_fields(&problem(res, 422).await), ["agency_id"]);
    let after: Value = app
        .get("/api/v1/users", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(before, after);
}

#[actix_web::test]
async fn organisations_with_a_parent_department() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("admin").await;
    let res = app
        .post(
            "/api/v1/orgs",
            Some(&admin),
            &json!({"kind": "department", "name": "自治区教育厅"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let parent: Value = res.json().await.unwrap();
    let res = app
        .post(
            "/api/v1/orgs",
            Some(&admin),
            &json!({"kind": "department", "name": "新疆大学", "parent_id": parent["id"], "region": "650102"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let child: Value = res.json().await.unwrap();
    assert_eq!(child["parent_id"], parent["id"]);

    let res = app
        .post(
            "/api/v1/orgs",
            Some(&admin),
            &json!({"kind": "agency", "name": "x", "parent_id": parent["id"], "region": "65"}),
        )
        .await;
    let fields = problem_fields(&problem(res, 422).await);
    assert!(
        fields.contains(&"parent_id".into()) && fields.contains(&"region".into()),
        "{fields:?}"
    );

    let list: Value = app
        .get("/api/v1/orgs?kind=department", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
}
