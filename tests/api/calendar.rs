//! The working-day calendar over HTTP: shipped years read by anyone; a new year imported by an
//! admin, refused whole naming the entry otherwise.

use crate::helpers::*;
use serde_json::json;

#[actix_web::test]
async fn a_new_year_is_imported_by_an_admin_and_a_bad_one_changes_nothing() {
    let app = spawn_app().await;
    let year = json_of(app.get("/api/v1/calendar/2026", None).await, 200).await;
    assert_eq!(year["origin"], "shipped");
    assert_eq!(year["working_days"], 248);
    assert_eq!(year["holidays"].as_array().unwrap().len(), 7);
    assert_eq!(year["workdays"][5], "2026-10-10");
    assert_eq!(app.get("/api/v1/calendar/2027", None).await.status(), 404);
    assert_eq!(app.get("/api/v1/calendar/abc", None).await.status(), 404);

    let (_, admin) = app.user_with_token("admin").await;
    let (_, agency) = app.user_with_token("agency").await;
    let good = json!({
        "source": "国务院办公厅关于2027年部分节假日安排的通知（示例）",
        "holidays": [
            {"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"},
            {"name": "国庆节", "from": "2027-10-01", "to": "2027-10-07"}
        ],
        "workdays": ["2027-10-09"]
    });
    let res = app.put("/api/v1/calendar/2027", Some(&agency), &good).await;
    assert_eq!(res.status(), 403);
    let mut bad = good.clone();
    bad["workdays"] = json!(["2027-10-08"]);
    let body = problem(
        app.put("/api/v1/calendar/2027", Some(&admin), &bad).await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&body), ["workdays[0]"], "{body}");
    let mut bad = good.clone();
    bad["holidays"][1]["from"] = json!("2027-01-02");
    bad["holidays"][1]["to"] = json!("2027-01-02");
    let body = problem(
        app.put("/api/v1/calendar/2027", Some(&admin), &bad).await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&body), ["holidays[1]"], "{body}");
    let body = problem(
        app.put(
            "/api/v1/calendar/2027",
            Some(&admin),
            &json!({"holidays": []}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&body), ["source"], "{body}");
    assert_eq!(
        app.get("/api/v1/calendar/2027", None).await.status(),
        404,
        "nothing stored"
    );

    let year = json_of(
        app.put("/api/v1/calendar/2027", Some(&admin), &good).await,
        200,
    )
    .await;
    assert_eq!(year["origin"], "imported");
    // 2027: 261 weekdays, less 1 Jan (Fri) and 1, 4–7 Oct, plus Saturday 9 Oct.
    assert_eq!(year["working_days"], 261 - 1 - 5 + 1);
    let shown = json_of(app.get("/api/v1/calendar/2027", None).await, 200).await;
    assert_eq!(shown["source"], good["source"]);
    let (_, auditor) = app.user_with_token("auditor").await;
    let events = json_of(
        app.get(
            "/api/v1/audit/events?entity=calendar_year&entity_id=2027",
            Some(&auditor),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(events["items"][0]["action"], "calendar.import");
}
