//! Bad requests get problem+json naming what is wrong.

use crate::helpers::*;
use serde_json::json;

async fn raw_login(app: &TestApp, content_type: &str, body: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", content_type)
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn malformed_json_is_400_with_its_position() {
    let app = spawn_app().await;
    let body = problem(
        raw_login(
            &app,
            "application/json",
            "{\n  \"username\": \"a\",\n  oops }",
        )
        .await,
        400,
    )
    .await;
    assert_eq!(body["code"], "malformed_json");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("line 3, column 3"),
        "{body}"
    );
}

#[actix_web::test]
async fn a_missing_field_is_named() {
    let app = spawn_app().await;
    let body = problem(
        raw_login(&app, "application/json", r#"{"username": "a"}"#).await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&body), ["password"]);
}

#[actix_web::test]
async fn a_wrong_type_is_named() {
    let app = spawn_app().await;
    let body = problem(
        raw_login(
            &app,
            "application/json",
            r#"{"username": 5, "password": "x"}"#,
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&body), ["username"]);
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("invalid type"));
}

#[actix_web::test]
async fn a_nested_wrong_type_is_named_by_its_path() {
    let app = spawn_app().await;
    let input = json!({"project": {"category": "goods", "method": "lowest_price"}, "bids": [{"id": "a", "price": "1", "bidder": {"name": "n", "scale": "small", "region": 653101}}]});
    let body = problem(app.post("/api/v1/evaluate", None, &input).await, 422).await;
    assert_eq!(problem_fields(&body), ["bids[0].bidder.region"]);
}

#[actix_web::test]
async fn another_content_type_is_415() {
    let app = spawn_app().await;
    let body = problem(
        raw_login(&app, "text/plain", r#"{"username": "a", "password": "b"}"#).await,
        415,
    )
    .await;
    assert_eq!(body["code"], "unsupported_media_type");
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .body("{}")
        .send()
        .await
        .unwrap();
    problem(res, 415).await;
}

#[actix_web::test]
async fn a_body_over_the_limit_is_413() {
    let app = spawn_app_with(|s| {
        s.max_body_bytes = 1024;
        s.evaluate_max_bytes = 4096;
    })
    .await;
    let big = format!(r#"{{"username": "{}", "password": "x"}}"#, "a".repeat(2000));
    problem(raw_login(&app, "application/json", &big).await, 413).await;
    // The evaluation endpoint has its own, larger cap.
    let within = json!({"project": {"category": "goods"}, "pad": "b".repeat(2000)});
    assert_eq!(
        app.post("/api/v1/evaluate", None, &within).await.status(),
        422
    );
    let over = json!({"pad": "b".repeat(5000)});
    problem(app.post("/api/v1/evaluate", None, &over).await, 413).await;
}
