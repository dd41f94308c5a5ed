use crate::helpers::*;
use serde_json::Value;
use smeproc::db::connection::{pending_migrations, run_migrations, DbConnection};

#[actix_web::test]
async fn health_and_ready_answer_on_a_fresh_database() {
    let app = spawn_app().await;
    let res = app.get("/health", None).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("x-request-id"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");

    let body: Value = app.get("/ready", None).await.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["database"], app.settings.database.backend());
    assert_eq!(body["migrations"], "current");
}

#[actix_web::test]
async fn migrations_are_idempotent_and_reversible() {
    let app = spawn_app().await;
    let mut conn = app.pool.get().unwrap();
    assert!(
        run_migrations(&mut conn).unwrap().is_empty(),
        "second run applies nothing"
    );
    assert_eq!(pending_migrations(&mut conn).unwrap(), 0);

    // down then up again leaves a working schema
    use diesel_migrations::MigrationHarness;
    let reverted = match &mut *conn {
        DbConnection::Sqlite(c) => c
            .revert_all_migrations(smeproc::db::connection::SQLITE_MIGRATIONS)
            .map(|v| v.len()),
        DbConnection::Postgresql(c) => c
            .revert_all_migrations(smeproc::db::connection::POSTGRES_MIGRATIONS)
            .map(|v| v.len()),
    }
    .unwrap();
    assert!(reverted >= 1);
    let ready = app.get("/ready", None).await;
    assert_eq!(ready.status(), 503, "pending migrations are reported");
    assert!(!run_migrations(&mut conn).unwrap().is_empty());
    drop(conn);
    app.create_user("after-redo", "auditor");
    assert_eq!(app.get("/ready", None).await.status(), 200);
}

#[actix_web::test]
async fn unknown_routes_and_methods_are_problems() {
    let app = spawn_app().await;
    let body = problem(app.get("/api/v1/nothing-here", None).await, 404).await;
    assert_eq!(body["code"], "not_found");
    let res = app
        .send(reqwest::Method::DELETE, "/health", None, None)
        .await;
    problem(res, 405).await;
}

#[actix_web::test]
async fn openapi_documents_every_api_route_with_its_access_rule() {
    let app = spawn_app().await;
    let spec: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    for route in smeproc::api::ROUTES {
        if ["/openapi.json", "/docs"].contains(&route.path) {
            continue;
        }
        let op = &spec["paths"][route.path][route.method.to_lowercase()];
        assert!(
            op.is_object(),
            "{} {} missing from /openapi.json",
            route.method,
            route.path
        );
        let description = op["description"].as_str().unwrap_or_default();
        assert!(
            description.contains("Access: "),
            "{} {} lacks its access note",
            route.method,
            route.path
        );
    }
    assert!(spec["components"]["schemas"]["Problem"].is_object());

    let res = app.get("/docs", None).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("/api/v1/evaluate") && html.contains("CreateUserRequest"));
    assert!(
        !html.contains("<script") && !html.contains("https://"),
        "the docs page fetches nothing"
    );
}
