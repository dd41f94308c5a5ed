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
