//! Many clients writing at once: no request may fail with 500 because another one holds the
//! database's write lock, and no write may be lost.

use crate::helpers::*;
use serde_json::{json, Value};
use smeproc::clock::Clock;

/// 16 clients change the prices of 8 products 20 times each while others search: every update
/// succeeds and every price change is in the history, exactly once.
#[actix_web::test]
async fn concurrent_product_updates_never_answer_500_and_lose_nothing() {
    let app = spawn_app_with(|s| s.pool_size = 8).await;
    let (id, token) = app.user_with_token("supplier").await;
    let _ = id;
    let mut products = Vec::new();
    for i in 0..8 {
        let res = app
            .post(
                "/api/v1/products",
                Some(&token),
                &json!({"sku": format!("SKU-{i}"), "name": format!("激光打印机 {i}"),
                        "category_code": "A020201", "unit": "台", "price": "1000.00"}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let body: Value = res.json().await.unwrap();
        products.push(body["id"].as_i64().unwrap());
    }
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for client in 0..16i64 {
        let app = app.clone();
        let token = token.clone();
        let products = products.clone();
        tasks.push(actix_web::rt::spawn(async move {
            let mut statuses = Vec::new();
            for round in 0..20i64 {
                let product = products[((client + round) % 8) as usize];
                // A price no other update uses: each success must leave its own history point.
                let price = format!("{}.{:02}", 1001 + client, round);
                let res = app
                    .patch(
                        &format!("/api/v1/products/{product}"),
                        Some(&token),
                        &json!({"price": price}),
                    )
                    .await;
                statuses.push(res.status().as_u16());
                if round % 5 == 0 {
                    let res = app.get("/api/v1/products?q=打印机", None).await;
                    assert_eq!(res.status(), 200);
                }
            }
            statuses
        }));
    }
    let mut ok = 0;
    for t in tasks {
        for status in t.await.unwrap() {
            assert_eq!(status, 200, "an update under load answered {status}");
            ok += 1;
        }
    }
    assert_eq!(ok, 16 * 20);
    let mut points = 0;
    for p in &products {
        let res = app.get(&format!("/api/v1/products/{p}/prices"), None).await;
        let body: Value = res.json().await.unwrap();
        points += body["points"].as_array().unwrap().len();
    }
    assert_eq!(
        points,
        8 + 16 * 20,
        "one history point per listing and per update"
    );
}

/// A deadline rush: 24 suppliers bid on one lot at once, half of them replacing their bid right
/// away. Every submission is accepted (none answers 5xx), and after the opening the lot holds
/// exactly one submitted bid per supplier.
#[actix_web::test]
async fn a_deadline_rush_of_bids_loses_and_duplicates_nothing() {
    let app = spawn_app_with(|s| {
        s.pool_size = 8;
        s.token_ttl_minutes = 60 * 24 * 60;
    })
    .await;
    let s = crate::fixtures::scenario(&app).await;
    let mut suppliers = Vec::new();
    for i in 0..24 {
        let (_, code) = app.create_firm(&format!("喀什小型企业{i}"), "653101", "small");
        suppliers.push(app.supplier_token(&code).await);
    }
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for (i, token) in suppliers.into_iter().enumerate() {
        let app = app.clone();
        let lot = s.open_lot.clone();
        tasks.push(actix_web::rt::spawn(async move {
            let res = app
                .post(
                    &format!("/api/v1/lots/{lot}/bids"),
                    Some(&token),
                    &json!({"price": format!("{}.00", 1_500_000 + i)}),
                )
                .await;
            let first = res.status().as_u16();
            let receipt: Value = res.json().await.unwrap();
            let mut second = 200;
            if i % 2 == 0 {
                let id = receipt["bid_id"].as_str().unwrap_or_default();
                let res = app
                    .put(
                        &format!("/api/v1/bids/{id}"),
                        Some(&token),
                        &json!({"price": format!("{}.00", 1_400_000 + i)}),
                    )
                    .await;
                second = res.status().as_u16();
            }
            (first, second)
        }));
    }
    for t in tasks {
        let (first, second) = t.await.unwrap();
        assert_eq!(first, 201, "a submission in the rush answered {first}");
        assert!(
            second == 200 || second == 201,
            "a replacement answered {second}"
        );
    }
    app.clock.advance(chrono::Duration::days(30));
    app.open_lots().await;
    let res = app
        .get(
            &format!("/api/v1/lots/{}/bids", s.open_lot),
            Some(&s.agency),
        )
        .await;
    let body: Value = res.json().await.unwrap();
    let bids = body["bids"].as_array().unwrap();
    assert_eq!(bids.len(), 24, "one submitted bid per supplier");
    let replaced = bids
        .iter()
        .filter(|b| b["content"]["replaces"].is_string())
        .count();
    assert_eq!(replaced, 12);
}

/// The last day to challenge: 20 suppliers of an evaluated lot challenge its result at once,
/// each twice in parallel. None answers 5xx; each supplier's step is challenged exactly once
/// (the second is 409 `duplicate`), and every challenge holds the award until answered.
#[actix_web::test]
async fn a_rush_of_challenges_on_the_last_day_loses_none_and_duplicates_none() {
    let app = spawn_app_with(|s| {
        s.pool_size = 8;
        s.token_ttl_minutes = 60 * 24 * 60;
    })
    .await;
    let (_, agency) = app.agency_token().await;
    let now = app.clock.now();
    let mut body = crate::fixtures::project_body();
    body["bid_deadline"] = json!((now + chrono::Duration::hours(1)).to_rfc3339());
    body["opening_at"] = json!((now + chrono::Duration::hours(2)).to_rfc3339());
    body["budget"] = json!("1000000");
    body["reservation"] = json!("none");
    body["reservation_reason"] = json!("测试");
    body["lots"] = json!([{"title": "台式计算机", "budget": "1000000"}]);
    let draft = json_of(
        app.post("/api/v1/projects", Some(&agency), &body).await,
        201,
    )
    .await;
    let project = draft["id"].as_str().unwrap().to_string();
    let lot = draft["lots"][0]["id"].as_str().unwrap().to_string();
    app.publish(&project, &agency).await;
    let mut suppliers = Vec::new();
    for i in 0..20 {
        let (_, code) = app.create_firm(&format!("质疑供应商{i}"), "653101", "small");
        let token = app.supplier_token(&code).await;
        crate::fixtures::bid(
            &app,
            &token,
            &lot,
            json!({"price": format!("{}", 900_000 + i)}),
        )
        .await;
        suppliers.push(token);
    }
    app.clock.advance(chrono::Duration::hours(3));
    app.open_lots().await;
    let bids = json_of(
        app.get(&format!("/api/v1/lots/{lot}/bids"), Some(&agency))
            .await,
        200,
    )
    .await;
    let ids: Vec<Value> = bids["bids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].clone())
        .collect();
    crate::fixtures::review_and_evaluate(&app, &agency, &lot, &ids).await;
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for token in suppliers {
        for _ in 0..2 {
            let (app, token, project, lot) =
                (app.clone(), token.clone(), project.clone(), lot.clone());
            tasks.push(actix_web::rt::spawn(async move {
                app.post(
                    &format!("/api/v1/projects/{project}/challenges"),
                    Some(&token),
                    &json!({"kind": "process", "step": "evaluation", "lot_id": lot,
                            "facts": "评分有误", "grounds": "87号令", "requests": "复核"}),
                )
                .await
                .status()
                .as_u16()
            }));
        }
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let created = statuses.iter().filter(|s| **s == 201).count();
    let duplicates = statuses.iter().filter(|s| **s == 409).count();
    assert_eq!((created, duplicates), (20, 20), "{statuses:?}");
    let (_, finance) = app.user_with_token("finance").await;
    let listed = json_of(
        app.get(
            &format!("/api/v1/challenges?project_id={project}"),
            Some(&finance),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        listed.as_array().unwrap().len(),
        20,
        "every challenge kept, once"
    );
    let held = app
        .post(
            &format!("/api/v1/lots/{lot}/award"),
            Some(&agency),
            &json!({}),
        )
        .await;
    assert_eq!(held.status(), 409);
}
