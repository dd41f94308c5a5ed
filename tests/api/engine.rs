//! The rules engine over HTTP: the worked examples, the invalid cases, classification.

use crate::common::{evaluation_examples, invalid_cases, subset_differences};
use crate::helpers::*;
use serde_json::{json, Value};

#[actix_web::test]
async fn every_worked_example_gives_its_expected_result() {
    let app = spawn_app().await;
    for (name, input, expected) in evaluation_examples() {
        let res = app.post("/api/v1/evaluate", None, &input).await;
        assert_eq!(res.status(), 200, "{name}");
        let actual: Value = res.json().await.unwrap();
        let diffs = subset_differences(&expected, &actual, "");
        assert!(diffs.is_empty(), "{name}: {diffs:#?}");
        for bid in actual["ranking"].as_array().unwrap() {
            assert!(
                bid["explanation"].as_array().is_some_and(|e| e.len() >= 3),
                "{name}: explanation"
            );
        }
    }
}

#[actix_web::test]
async fn every_invalid_case_is_422_naming_its_field() {
    let app = spawn_app().await;
    for (name, input, must_mention) in invalid_cases() {
        let body = problem(app.post("/api/v1/evaluate", None, &input).await, 422).await;
        let fields = problem_fields(&body);
        assert!(
            fields.iter().any(|f| f.contains(&must_mention)),
            "{name}: {must_mention} not in {fields:?}"
        );
    }
}

#[actix_web::test]
async fn evaluation_writes_nothing() {
    let app = spawn_app().await;
    let (name, input, _) = evaluation_examples().remove(0);
    let first = app
        .post("/api/v1/evaluate", None, &input)
        .await
        .bytes()
        .await
        .unwrap();
    let second = app
        .post("/api/v1/evaluate", None, &input)
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(first, second, "{name}: byte-identical");
    use diesel::prelude::*;
    let mut conn = app.pool.get().unwrap();
    let users: i64 = smeproc::db::schema::users::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    let sessions: i64 = smeproc::db::schema::sessions::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!((users, sessions), (0, 0));
}

#[actix_web::test]
async fn classify_follows_the_every_limit_rule() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/api/v1/classify",
            None,
            &json!({"industry": "industry", "employees": 1500, "revenue_wan": "30000"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["scale"], "medium");
    assert!(body["reasons"][0].as_str().unwrap().contains("missed"));

    // CONTRACTS.md: amounts are decimal strings; a JSON number is refused by name.
    let res = app
        .post(
            "/api/v1/classify",
            None,
            &json!({"industry": "industry", "employees": 1500, "revenue_wan": 30000, "assets_wan": 1.5}),
        )
        .await;
    assert_eq!(
        problem_fields(&problem(res, 422).await),
        ["revenue_wan", "assets_wan"]
    );
    let res = app
        .post(
            "/api/v1/classify",
            None,
            &json!({"industry": "construction", "revenue_wan": "6000"}),
        )
        .await;
    assert_eq!(problem_fields(&problem(res, 422).await), ["assets_wan"]);
    let res = app
        .post(
            "/api/v1/classify",
            None,
            &json!({"industry": "banking", "employees": 5}),
        )
        .await;
    assert_eq!(problem_fields(&problem(res, 422).await), ["industry"]);
}

#[actix_web::test]
async fn policies_are_public_with_versions() {
    let app = spawn_app().await;
    let list: Value = app
        .get("/api/v1/policies", None)
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "national-2011",
            "xinjiang-2011",
            "national-2020",
            "national-2022"
        ]
    );
    let one: Value = app
        .get("/api/v1/policies/national-2022", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["deduction"]["small_micro_goods_services"]["min"], 10);
    assert_eq!(one["version"], list[3]["version"]);
    problem(app.get("/api/v1/policies/beijing-1999", None).await, 404).await;
}
