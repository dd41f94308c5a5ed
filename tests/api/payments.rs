//! Paying SMEs on time (保障中小企业款项支付条例, docs/payments.md): schedules checked against the
//! regulation, acceptance starting the clock, overdue instalments flagged the day after their
//! due date with late interest matching a hand computation to the fen, disputes holding only
//! their instalment, a large prime's late payment to its SME, the finance department's figures
//! (JSON, CSV, annual report), SMEs' reports, and many payers at once.

use crate::finance::org;
use crate::helpers::{json_of, problem, problem_fields, spawn_app_with, TestApp};
use chrono::Duration;
use serde_json::{json, Value};

async fn spawn() -> TestApp {
    spawn_app_with(|s| s.token_ttl_minutes = 60 * 24 * 400).await
}

/// The Beijing day of the test clock.
fn today(app: &TestApp) -> chrono::NaiveDate {
    smeproc::domain::beijing::day_of_instant(smeproc::clock::Clock::now(&app.clock))
}

/// One lowest-price goods project of `department` taken to its contract, signed today: the
/// winner's bid is `winner_bid` at `price` yuan, two dearer bids keep the lot alive.
async fn signed(
    app: &TestApp,
    agency: &str,
    department: &str,
    winner: &str,
    winner_bid: Value,
    price: &str,
    number: &str,
) -> Value {
    let now = smeproc::clock::Clock::now(&app.clock);
    let at = |h: i64| (now + Duration::hours(h)).to_rfc3339();
    let body = json!({
        "title": format!("项目 {number}"), "department_id": department, "category": "goods",
        "category_code": "A02", "procurement_method": "open_tender", "policy": "xinjiang-2011",
        "evaluation": {"method": "lowest_price"}, "budget": "5000000", "reservation": "none",
        "reservation_reason": "测试", "bid_deadline": at(1), "opening_at": at(2),
        "lots": [{"title": "唯一采购包", "budget": "5000000"}]
    });
    let p = json_of(app.post("/api/v1/projects", Some(agency), &body).await, 201).await;
    let (pid, lot) = (
        p["id"].as_str().unwrap().to_string(),
        p["lots"][0]["id"].as_str().unwrap().to_string(),
    );
    app.publish(&pid, agency).await;
    let mut b = winner_bid;
    b["price"] = json!(price);
    let mut ids = vec![json_of(
        app.post(&format!("/api/v1/lots/{lot}/bids"), Some(winner), &b)
            .await,
        201,
    )
    .await["bid_id"]
        .clone()];
    for i in 0..2 {
        let (_, code) = app.create_firm(&format!("陪标企业{number}{i}"), "650102", "medium");
        let token = app.supplier_token(&code).await;
        ids.push(
            json_of(
                app.post(
                    &format!("/api/v1/lots/{lot}/bids"),
                    Some(&token),
                    &json!({"price": "4900000"}),
                )
                .await,
                201,
            )
            .await["bid_id"]
                .clone(),
        );
    }
    app.clock.advance(Duration::hours(3));
    app.open_lots().await;
    let results: Vec<Value> = ids
        .iter()
        .map(|b| json!({"bid_id": b, "qualified": true}))
        .collect();
    for (path, body, status) in [
        ("qualification", json!({"results": results}), 200),
        ("evaluate", json!({}), 201),
        ("award", json!({}), 200),
    ] {
        json_of(
            app.post(&format!("/api/v1/lots/{lot}/{path}"), Some(agency), &body)
                .await,
            status,
        )
        .await;
    }
    json_of(
        app.post(
            &format!("/api/v1/projects/{pid}/result"),
            Some(agency),
            &json!({}),
        )
        .await,
        201,
    )
    .await;
    json_of(
        app.post(
            &format!("/api/v1/lots/{lot}/contract"),
            Some(agency),
            &json!({"number": number, "amount": price, "signed_on": today(app).to_string()}),
        )
        .await,
        201,
    )
    .await
}

/// The payee reports an unpaid instalment with `text` and these files (201).
async fn file_report(
    app: &TestApp,
    instalment: &str,
    token: &str,
    text: &str,
    files: &[(&str, Option<&str>, &[u8])],
) -> Value {
    let body = json!({ "text": text }).to_string();
    let mut parts = vec![("report", None, body.as_bytes())];
    parts.extend_from_slice(files);
    json_of(
        crate::documents::send_multipart(
            app,
            reqwest::Method::POST,
            &format!("/api/v1/instalments/{instalment}/reports"),
            token,
            &parts,
        )
        .await,
        201,
    )
    .await
}

async fn put_schedule(app: &TestApp, path: &str, token: &str, body: &Value) -> reqwest::Response {
    app.put(path, Some(token), body).await
}

async fn overdue(app: &TestApp, finance: &str, on: Option<&str>) -> Vec<Value> {
    let path = match on {
        Some(d) => format!("/api/v1/payments/overdue?on={d}"),
        None => "/api/v1/payments/overdue".into(),
    };
    json_of(app.get(&path, Some(finance)).await, 200)
        .await
        .as_array()
        .unwrap()
        .clone()
}

/// The banks' contract check.
async fn verify(app: &TestApp, number: &str, credit_code: &str) -> Value {
    let path = format!("/api/v1/contracts/verify?number={number}&credit_code={credit_code}");
    json_of(app.get(&path, None).await, 200).await
}

fn ids(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|l| l["instalment_id"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn a_schedule_beyond_the_regulation_is_refused_naming_the_rule_and_changes_nothing() {
    let app = spawn().await;
    let (_, agency) = app.agency_token().await;
    let dept = org(&app, "department", "自治区教育厅", None);
    let (_, micro) = app.create_firm("微型供应商", "653101", "micro");
    let t_micro = app.supplier_token(&micro).await;
    let c = signed(
        &app,
        &agency,
        &dept,
        &t_micro,
        json!({}),
        "900000",
        "HT-TERMS",
    )
    .await;
    let path = format!("/api/v1/contracts/{}/schedule", c["id"].as_str().unwrap());
    let with = |instalments: Value| json!({ "instalments": instalments });
    // An agency may agree at most 60 days (802号 Art. 9); the refusal names the rule.
    let body = problem(
        put_schedule(
            &app,
            &path,
            &agency,
            &with(
                json!([{"kind": "final", "amount": "900000", "runs_from": "acceptance",
                          "acceptance_days": 10, "term_days": 61}]),
            ),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&body), ["instalments[0].term_days"]);
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("at most 60 days"), "{message}");
    assert!(message.contains("802号第九条第一款"), "{message}");
    // Amounts that do not add up; a fixed date for an agency; a retention above 10 % (goods,
    // ours); an acceptance period above 30 days; an unknown milestone; all named at once.
    let body = problem(
        put_schedule(
            &app,
            &path,
            &agency,
            &with(json!([
                {"kind": "progress", "amount": "700000", "runs_from": "date", "due_on": "2026-04-01"},
                {"kind": "retention", "amount": "100000", "runs_from": "warranty_end",
                 "acceptance_days": 31, "warranty_days": 365},
                {"kind": "final", "amount": "1", "runs_from": "whenever"}
            ])),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&body), ["instalments[2].runs_from"]);
    let body = problem(
        put_schedule(
            &app,
            &path,
            &agency,
            &with(json!([
                {"kind": "progress", "amount": "700000", "runs_from": "date", "due_on": "2026-04-01"},
                {"kind": "retention", "amount": "100000.01", "runs_from": "warranty_end",
                 "acceptance_days": 31, "warranty_days": 365}
            ])),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(
        problem_fields(&body),
        [
            "instalments[0].runs_from",
            "instalments[1].acceptance_days",
            "instalments",
            "instalments[1].amount"
        ]
    );
    // An agreed late-interest rate below the one-year LPR on signing (3.00 % from 2025-05-20).
    let body = problem(
        put_schedule(
            &app,
            &path,
            &agency,
            &json!({"instalments": [{"kind": "final", "amount": "900000", "runs_from": "delivery"}],
                    "interest_annual_pct": "2.99"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&body), ["interest_annual_pct"]);
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("3.00 %"));
    // The supplier is not the payer.
    problem(
        put_schedule(
            &app,
            &path,
            &t_micro,
            &with(json!([{"kind": "final", "amount": "900000", "runs_from": "delivery"}])),
        )
        .await,
        403,
    )
    .await;
    // Nothing was written.
    problem(app.get(&path, Some(&agency)).await, 404).await;
    // A lawful schedule: defaults applied (30 days), the statutory rate, the regime named.
    let s = json_of(
        put_schedule(
            &app,
            &path,
            &agency,
            &with(json!([
                {"kind": "advance", "amount": "270000", "runs_from": "signing", "term_days": 10},
                {"kind": "final", "amount": "630000", "runs_from": "acceptance", "acceptance_days": 15}
            ])),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(s["payer"], "agency");
    assert_eq!(s["payee_scale"], "micro");
    assert_eq!(s["regime"]["id"], "regulation-802");
    assert_eq!(
        (s["interest_basis"].as_str(), s["interest_rate"].as_str()),
        (Some("statutory"), Some("0.05"))
    );
    assert_eq!(s["instalments"][1]["term_days"], 30);
    assert_eq!(s["instalments"][1]["status"], "scheduled");
    let signed_on =
        chrono::NaiveDate::parse_from_str(c["signed_on"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    assert_eq!(
        s["instalments"][0]["due_on"],
        (signed_on + Duration::days(10)).to_string()
    );
    // Once a payment is recorded the schedule stands.
    let advance = s["instalments"][0]["id"].as_str().unwrap();
    json_of(
        app.post(
            &format!("/api/v1/instalments/{advance}/payments"),
            Some(&agency),
            &json!({"amount": "270000", "paid_on": today(&app).to_string(), "reference": "ZF-001"}),
        )
        .await,
        201,
    )
    .await;
    let again = problem(
        put_schedule(
            &app,
            &path,
            &agency,
            &with(json!([{"kind": "final", "amount": "900000", "runs_from": "delivery"}])),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(again["code"], "wrong_state");
}

#[actix_web::test]
async fn a_payment_due_thirty_days_after_acceptance_is_flagged_on_day_31_with_interest_to_the_fen()
{
    let app = spawn().await;
    let (_, agency) = app.agency_token().await;
    let (_, finance) = app.user_with_token("finance").await;
    let dept = org(&app, "department", "喀什地区卫生健康委员会", None);
    let (micro_id, micro) = app.create_firm("喀什微型医疗器械公司", "653101", "micro");
    let t_micro = app.supplier_token(&micro).await;
    let c = signed(
        &app,
        &agency,
        &dept,
        &t_micro,
        json!({}),
        "900000",
        "HT-LATE",
    )
    .await;
    let contract = c["id"].as_str().unwrap().to_string();
    let s = json_of(
        put_schedule(
            &app,
            &format!("/api/v1/contracts/{contract}/schedule"),
            &agency,
            &json!({"instalments": [{"kind": "final", "amount": "900000", "runs_from": "acceptance",
                                     "acceptance_days": 10, "description": "验收合格后付清"}]}),
        )
        .await,
        200,
    )
    .await;
    let id = s["instalments"][0]["id"].as_str().unwrap().to_string();
    let day0 = today(&app);
    // Delivered today; accepted two days later.
    let delivered = json_of(
        app.post(
            &format!("/api/v1/instalments/{id}/delivery"),
            Some(&agency),
            &json!({"delivered_on": day0.to_string(), "note": "货物已送达"}),
        )
        .await,
        200,
    )
    .await;
    // Not yet accepted: due at the latest 30 days after the acceptance deadline.
    assert_eq!(
        delivered["due_on"],
        (day0 + Duration::days(10 + 30)).to_string()
    );
    // A date in the future, or before the delivery, is refused.
    let bad = problem(
        app.post(
            &format!("/api/v1/instalments/{id}/acceptance"),
            Some(&agency),
            &json!({"accepted_on": (day0 + Duration::days(1)).to_string(), "result": "passed"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&bad), ["accepted_on"]);
    app.clock.advance(Duration::days(2));
    let accepted_on = day0 + Duration::days(2);
    let accepted = json_of(
        app.post(
            &format!("/api/v1/instalments/{id}/acceptance"),
            Some(&agency),
            &json!({"accepted_on": accepted_on.to_string(), "result": "passed"}),
        )
        .await,
        200,
    )
    .await;
    let due = accepted_on + Duration::days(30);
    assert_eq!(accepted["due_on"], due.to_string());
    // The supplier confirms the record.
    json_of(
        app.post(
            &format!("/api/v1/instalments/{id}/confirm"),
            Some(&t_micro),
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    // Day 30 after acceptance: due, not flagged.
    app.clock.advance(Duration::days(30));
    assert_eq!(today(&app), due);
    assert!(!ids(&overdue(&app, &finance, None).await).contains(&id));
    // Day 31: flagged with one day of interest at 万分之五: 900 000.00 × 0.0005 = 450.00.
    app.clock.advance(Duration::days(1));
    let list = overdue(&app, &finance, None).await;
    let line = list
        .iter()
        .find(|l| l["instalment_id"] == id.as_str())
        .expect("flagged the day after its due date");
    assert_eq!(
        (
            line["days_late"].as_i64(),
            line["interest"].as_str(),
            line["outstanding"].as_str()
        ),
        (Some(1), Some("450.00"), Some("900000.00"))
    );
    assert_eq!(line["payee_id"], micro_id.as_str());
    assert_eq!(line["payer"], "agency");
    // Named: the department pays, the micro firm is owed.
    assert_eq!(
        (
            line["payer_id"].as_str(),
            line["payer_name"].as_str(),
            line["payee_name"].as_str()
        ),
        (
            Some(dept.as_str()),
            Some("喀什地区卫生健康委员会"),
            Some("喀什微型医疗器械公司")
        )
    );
    // The dashboard's figures and the CSV say the same.
    let summary = json_of(
        app.get("/api/v1/payments/overdue/summary", Some(&finance))
            .await,
        200,
    )
    .await;
    let by_dept = summary["by_department"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == dept.as_str())
        .expect("the department owes");
    assert_eq!(
        (
            by_dept["count"].as_i64(),
            by_dept["outstanding"].as_str(),
            by_dept["interest"].as_str(),
            by_dept["days_late_max"].as_i64()
        ),
        (Some(1), Some("900000.00"), Some("450.00"), Some(1))
    );
    let csv = app
        .get("/api/v1/payments/overdue.csv", Some(&finance))
        .await;
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.unwrap();
    let row = text
        .lines()
        .find(|l| l.contains("HT-LATE"))
        .expect("the CSV lists it");
    assert!(
        row.contains(",900000.00,") && row.ends_with(",1,450.00"),
        "{row}"
    );
    // Paid in part today: 300 000.00 counts from tomorrow.
    json_of(
        app.post(
            &format!("/api/v1/instalments/{id}/payments"),
            Some(&agency),
            &json!({"amount": "300000", "paid_on": today(&app).to_string(), "reference": "ZF-2026-0042"}),
        )
        .await,
        201,
    )
    .await;
    // More than what is outstanding is refused, naming it.
    let too_much = problem(
        app.post(
            &format!("/api/v1/instalments/{id}/payments"),
            Some(&agency),
            &json!({"amount": "600000.01", "paid_on": today(&app).to_string(), "reference": "x"}),
        )
        .await,
        422,
    )
    .await;
    assert!(too_much["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("600000.00 outstanding"));
    // Two days later, the rest: 450.00 for the first day late, then 2 days on 600 000.00 at
    // 300.00 a day: 1 050.00 in all, final once paid.
    app.clock.advance(Duration::days(2));
    let paid = json_of(
        app.post(
            &format!("/api/v1/instalments/{id}/payments"),
            Some(&agency),
            &json!({"amount": "600000", "paid_on": today(&app).to_string(), "reference": "ZF-2026-0057"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(
        (
            paid["status"].as_str(),
            paid["interest"].as_str(),
            paid["days_late"].as_i64(),
            paid["paid_late"].as_bool()
        ),
        (Some("paid"), Some("1050.00"), Some(3), Some(true))
    );
    // Cleared from today's list; still on the list of a past day.
    app.clock.advance(Duration::days(1));
    assert!(!ids(&overdue(&app, &finance, None).await).contains(&id));
    let past = overdue(&app, &finance, Some(&(due + Duration::days(2)).to_string())).await;
    let line = past
        .iter()
        .find(|l| l["instalment_id"] == id.as_str())
        .unwrap();
    assert_eq!(
        (line["outstanding"].as_str(), line["interest"].as_str()),
        (Some("600000.00"), Some("750.00"))
    );
    // The supplier confirms each payment; the schedule adds up.
    let view = json_of(
        app.get(
            &format!("/api/v1/contracts/{contract}/schedule"),
            Some(&t_micro),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(view["paid"], "900000.00");
    assert_eq!(view["interest"], "1050.00");
    let payment = view["instalments"][0]["payments"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    problem(
        app.post(
            &format!("/api/v1/instalment-payments/{payment}/confirm"),
            Some(&agency),
            &json!({}),
        )
        .await,
        403,
    )
    .await;
    let confirmed = json_of(
        app.post(
            &format!("/api/v1/instalment-payments/{payment}/confirm"),
            Some(&t_micro),
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    assert!(confirmed["payments"][0]["confirmed_at"].is_string());
    // A stranger learns nothing.
    let (_, other) = app.create_firm("无关企业", "650102", "small");
    let t_other = app.supplier_token(&other).await;
    problem(
        app.get(
            &format!("/api/v1/contracts/{contract}/schedule"),
            Some(&t_other),
        )
        .await,
        404,
    )
    .await;
    problem(
        app.get("/api/v1/payments/overdue", Some(&t_other)).await,
        403,
    )
    .await;
}

#[actix_web::test]
async fn a_disputed_instalment_does_not_hold_up_the_undisputed_one() {
    let app = spawn().await;
    let (_, agency) = app.agency_token().await;
    let (_, auditor) = app.user_with_token("auditor").await;
    let dept = org(&app, "department", "自治区交通运输厅", None);
    let (_, small) = app.create_firm("小型设备公司", "650102", "small");
    let t_small = app.supplier_token(&small).await;
    let c = signed(
        &app,
        &agency,
        &dept,
        &t_small,
        json!({}),
        "800000",
        "HT-PART",
    )
    .await;
    let s = json_of(
        put_schedule(
            &app,
            &format!("/api/v1/contracts/{}/schedule", c["id"].as_str().unwrap()),
            &agency,
            &json!({"instalments": [
                {"kind": "progress", "amount": "400000", "runs_from": "delivery", "description": "第一批"},
                {"kind": "final", "amount": "400000", "runs_from": "delivery", "description": "第二批"}
            ]}),
        )
        .await,
        200,
    )
    .await;
    let first = s["instalments"][0]["id"].as_str().unwrap().to_string();
    let second = s["instalments"][1]["id"].as_str().unwrap().to_string();
    for id in [&first, &second] {
        json_of(
            app.post(
                &format!("/api/v1/instalments/{id}/delivery"),
                Some(&agency),
                &json!({"delivered_on": today(&app).to_string()}),
            )
            .await,
            200,
        )
        .await;
    }
    // The supplier disputes the second delivery record; a reason is required.
    let bad = problem(
        app.post(
            &format!("/api/v1/instalments/{second}/dispute"),
            Some(&t_small),
            &json!({}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&bad), ["reason"]);
    problem(
        app.post(
            &format!("/api/v1/instalments/{second}/dispute"),
            Some(&agency),
            &json!({"reason": "x"}),
        )
        .await,
        403,
    )
    .await;
    let disputed = json_of(
        app.post(
            &format!("/api/v1/instalments/{second}/dispute"),
            Some(&t_small),
            &json!({"reason": "第二批货物的交付日期记录有误"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(disputed["status"], "disputed");
    // 31 days on: the first (30 days, 802号 default) is overdue; the second is held.
    app.clock.advance(Duration::days(31));
    let list = overdue(&app, &auditor, None).await;
    assert!(ids(&list).contains(&first));
    assert!(!ids(&list).contains(&second));
    let view = json_of(
        app.get(&format!("/api/v1/instalments/{second}"), Some(&auditor))
            .await,
        200,
    )
    .await;
    assert_eq!(
        (view["status"].as_str(), view["interest"].as_str()),
        (Some("disputed"), Some("0.00"))
    );
    // Withdrawn: the record stands, and the second runs from its due date with its interest
    // (400 000.00 × 0.0005 = 200.00 a day, 1 day).
    let back = json_of(
        app.post(
            &format!("/api/v1/instalments/{second}/dispute/withdraw"),
            Some(&t_small),
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (back["status"].as_str(), back["interest"].as_str()),
        (Some("overdue"), Some("200.00"))
    );
    assert!(ids(&overdue(&app, &auditor, None).await).contains(&second));
}

#[actix_web::test]
async fn a_large_primes_late_payment_to_its_sme_subcontractor_is_flagged_the_same_way() {
    let app = spawn().await;
    let (_, agency) = app.agency_token().await;
    let (_, finance) = app.user_with_token("finance").await;
    let dept = org(&app, "department", "自治区住房和城乡建设厅", None);
    let (_, large) = app.create_firm("大型总承包集团", "650104", "large");
    let (_, micro) = app.create_firm("微型分包公司", "653101", "micro");
    let t_large = app.supplier_token(&large).await;
    let t_micro = app.supplier_token(&micro).await;
    let c = signed(
        &app,
        &agency,
        &dept,
        &t_large,
        json!({"subcontracts": [{"credit_code": micro, "share_pct": 30}]}),
        "400000",
        "HT-PRIME",
    )
    .await;
    let subs = json_of(
        app.get(
            &format!(
                "/api/v1/contracts/{}/subcontracts",
                c["id"].as_str().unwrap()
            ),
            Some(&t_large),
        )
        .await,
        200,
    )
    .await;
    let sub = subs[0]["id"].as_str().unwrap().to_string();
    assert_eq!(subs[0]["amount"], "120000.00");
    let path = format!("/api/v1/subcontracts/{sub}/schedule");
    // "Paid when the prime is paid" is void (802号 Art. 9, 2nd paragraph).
    let b2b = problem(
        put_schedule(
            &app,
            &path,
            &t_large,
            &json!({"instalments": [{"kind": "final", "amount": "120000", "runs_from": "third_party_payment"}]}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&b2b), ["instalments[0].runs_from"]);
    assert!(b2b["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("802号第九条第二款"));
    // Only the prime sets it.
    problem(
        put_schedule(
            &app,
            &path,
            &t_micro,
            &json!({"instalments": [{"kind": "final", "amount": "120000", "runs_from": "delivery"}]}),
        )
        .await,
        403,
    )
    .await;
    let s = json_of(
        put_schedule(
            &app,
            &path,
            &t_large,
            &json!({"instalments": [{"kind": "final", "amount": "120000", "runs_from": "delivery"}]}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(s["payer"], "large_firm");
    assert_eq!(
        s["instalments"][0]["term_days"], 60,
        "802号: 60 days for a large firm"
    );
    let id = s["instalments"][0]["id"].as_str().unwrap().to_string();
    problem(
        app.post(
            &format!("/api/v1/instalments/{id}/delivery"),
            Some(&agency),
            &json!({"delivered_on": today(&app).to_string()}),
        )
        .await,
        403,
    )
    .await;
    json_of(
        app.post(
            &format!("/api/v1/instalments/{id}/delivery"),
            Some(&t_large),
            &json!({"delivered_on": today(&app).to_string()}),
        )
        .await,
        200,
    )
    .await;
    let number = c["number"].as_str().unwrap().to_string();
    assert_eq!(
        verify(&app, &number, &large).await["payment_status"],
        "on_time"
    );
    // Day 61 after delivery: flagged, 120 000.00 × 0.0005 = 60.00.
    app.clock.advance(Duration::days(61));
    let list = overdue(&app, &finance, None).await;
    let line = list
        .iter()
        .find(|l| l["instalment_id"] == id.as_str())
        .expect("the prime's late payment is flagged");
    assert_eq!(
        (
            line["payer"].as_str(),
            line["days_late"].as_i64(),
            line["interest"].as_str()
        ),
        (Some("large_firm"), Some(1), Some("60.00"))
    );
    assert_eq!(
        (line["payer_name"].as_str(), line["payee_name"].as_str()),
        (Some("大型总承包集团"), Some("微型分包公司"))
    );
    let summary = json_of(
        app.get("/api/v1/payments/overdue/summary", Some(&finance))
            .await,
        200,
    )
    .await;
    assert_eq!(summary["by_prime"][0]["name"], "大型总承包集团");
    assert!(summary["by_department"]
        .as_array()
        .unwrap()
        .iter()
        .all(|g| g["id"] != dept.as_str()));
    // The bank learns the payments are late, and nothing else.
    let answer = verify(&app, &number, &large).await;
    assert_eq!(answer["payment_status"], "late");
    let mut keys: Vec<&String> = answer.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        ["amount", "exists", "payment_status", "signed_on", "status"]
    );
    // The SME reports it; the prime reads the report against it, another firm does not.
    let report = file_report(&app, &id, &t_micro, "分包款逾期未付。", &[]).await;
    let reports_of = |token: String| {
        let app = &app;
        async move {
            json_of(app.get("/api/v1/payment-reports", Some(&token)).await, 200)
                .await
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    let report_id = report["id"].as_str().unwrap().to_string();
    assert_eq!(
        reports_of(t_large.clone()).await,
        std::slice::from_ref(&report_id)
    );
    assert_eq!(reports_of(t_micro.clone()).await, [report_id]);
    let (_, other) = app.create_firm("无关企业", "650102", "small");
    let t_other = app.supplier_token(&other).await;
    assert!(reports_of(t_other).await.is_empty());
    // The old flagged list sees it too.
    let flagged = json_of(
        app.get("/api/v1/payments/flagged", Some(&finance)).await,
        200,
    )
    .await;
    assert!(flagged
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["id"] == id.as_str() && f["late"] == true));
    // The prime's page lists what it owes, late; the SME's what it is owed.
    let html = crate::web::page(&app, "GET", "/supplier/receivables", Some(&t_large), "")
        .await
        .text()
        .await
        .unwrap();
    let owed = &html[html.find("id=\"payables\"").expect("the prime's payables")..];
    assert!(
        owed.contains("微型分包公司") && owed.contains("class=\"flagged\""),
        "{html}"
    );
    assert!(owed.contains(&format!("/subcontracts/{sub}/payments")));
    let html = crate::web::page(&app, "GET", "/supplier/receivables", Some(&t_micro), "")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("HT-PRIME") && !html.contains("id=\"payables\""),
        "{html}"
    );
}

#[actix_web::test]
async fn an_sme_reports_an_unpaid_instalment_and_the_finance_department_closes_it() {
    let app = spawn().await;
    let (_, agency) = app.agency_token().await;
    let (_, finance) = app.user_with_token("finance").await;
    let (_, auditor) = app.user_with_token("auditor").await;
    let dept = org(&app, "department", "自治区农业农村厅", None);
    let (_, micro) = app.create_firm("微型农机公司", "653101", "micro");
    let t_micro = app.supplier_token(&micro).await;
    let c = signed(
        &app,
        &agency,
        &dept,
        &t_micro,
        json!({}),
        "500000",
        "HT-REPORT",
    )
    .await;
    let s = json_of(
        put_schedule(
            &app,
            &format!("/api/v1/contracts/{}/schedule", c["id"].as_str().unwrap()),
            &agency,
            &json!({"instalments": [{"kind": "final", "amount": "500000", "runs_from": "delivery"}]}),
        )
        .await,
        200,
    )
    .await;
    let id = s["instalments"][0]["id"].as_str().unwrap().to_string();
    json_of(
        app.post(
            &format!("/api/v1/instalments/{id}/delivery"),
            Some(&agency),
            &json!({"delivered_on": today(&app).to_string()}),
        )
        .await,
        200,
    )
    .await;
    app.clock.advance(Duration::days(45));
    let evidence = crate::documents::file_of(b"%PDF-1.4\n", 3000, 9);
    let report = file_report(
        &app,
        &id,
        &t_micro,
        "货物已于45天前交付，至今未付款。",
        &[("evidence", Some("催款函.pdf"), &evidence)],
    )
    .await;
    assert_eq!(report["status"], "overdue");
    assert_eq!(report["days_late"], 15);
    // 15 days × 500 000.00 × 0.0005 = 3 750.00.
    assert_eq!(report["interest"], "3750.00");
    let report_id = report["id"].as_str().unwrap().to_string();
    let doc = report["documents"][0]["url"].as_str().unwrap().to_string();
    // One open report at a time.
    let twice = problem(
        app.post(
            &format!("/api/v1/instalments/{id}/reports"),
            Some(&t_micro),
            &json!({"text": "再次反映"}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(twice["code"], "duplicate");
    // It reaches the finance department; the document reads back byte for byte.
    let open = json_of(
        app.get("/api/v1/payment-reports?open=true", Some(&finance))
            .await,
        200,
    )
    .await;
    assert!(open
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == report_id.as_str()));
    let bytes = app.get(&doc, Some(&finance)).await.bytes().await.unwrap();
    assert_eq!(bytes.as_ref(), evidence.as_slice());
    let (_, other) = app.create_firm("无关企业", "650102", "small");
    let t_other = app.supplier_token(&other).await;
    problem(app.get(&doc, Some(&t_other)).await, 404).await;
    problem(
        app.get(
            &format!("/api/v1/payment-reports/{report_id}"),
            Some(&t_other),
        )
        .await,
        404,
    )
    .await;
    // Only the finance department closes it, with a note.
    problem(
        app.post(
            &format!("/api/v1/payment-reports/{report_id}/close"),
            Some(&auditor),
            &json!({"note": "x"}),
        )
        .await,
        403,
    )
    .await;
    let bad = problem(
        app.post(
            &format!("/api/v1/payment-reports/{report_id}/close"),
            Some(&finance),
            &json!({}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&bad), ["note"]);
    let closed = json_of(
        app.post(
            &format!("/api/v1/payment-reports/{report_id}/close"),
            Some(&finance),
            &json!({"note": "已约谈采购人，限期三日内支付并支付逾期利息。"}),
        )
        .await,
        200,
    )
    .await;
    assert!(closed["closed_at"].is_string());
    let mine = json_of(
        app.get("/api/v1/payment-reports", Some(&t_micro)).await,
        200,
    )
    .await;
    assert_eq!(mine[0]["closing_note"], closed["closing_note"]);
    // The annual report counts what the department owed SMEs at the year's end (today, for
    // the year under way).
    let year = today(&app).format("%Y").to_string();
    let annual = json_of(
        app.get(&format!("/api/v1/reports/annual?year={year}"), None)
            .await,
        200,
    )
    .await;
    let unit = annual["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["department_id"] == dept.as_str())
        .expect("the department is in the report");
    assert_eq!(unit["overdue_to_smes"]["contracts"], 1);
    assert_eq!(unit["overdue_to_smes"]["amount"], "500000.00");
}

/// The whole round on the pages: the agency sets the schedule (a term beyond the regulation
/// refused naming the rule, nothing kept), records delivery and acceptance; the SME sees its
/// receivable overdue, reports it; the finance department sees it on the dashboard and closes
/// the report; the agency pays, the SME confirms; the CSV keeps only what is still late.
#[actix_web::test]
async fn the_agency_and_the_sme_do_every_payment_step_on_the_pages() {
    use crate::web::{page, CSRF};
    let app = spawn().await;
    let (_, agency) = app.agency_token().await;
    let (_, finance) = app.user_with_token("finance").await;
    let dept = org(&app, "department", "自治区林业和草原局", None);
    let (_, micro) = app.create_firm("微型苗木公司", "653101", "micro");
    let t_micro = app.supplier_token(&micro).await;
    let c = signed(
        &app,
        &agency,
        &dept,
        &t_micro,
        json!({}),
        "500000",
        "HT-PAGES",
    )
    .await;
    let cid = c["id"].as_str().unwrap().to_string();
    let schedule_page = format!("/contracts/{cid}/payments");
    let html = page(&app, "GET", &schedule_page, Some(&agency), "").await;
    assert_eq!(html.status(), 200);
    let html = html.text().await.unwrap();
    assert!(
        html.contains("no-schedule") && html.contains("schedule-form"),
        "{html}"
    );
    // The SME sees there is none yet, without the payer's form; a stranger sees nothing.
    let html = page(&app, "GET", &schedule_page, Some(&t_micro), "")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("no-schedule") && !html.contains("schedule-form"),
        "{html}"
    );
    let (_, stranger) = app.create_firm("无关企业", "653101", "small");
    let t_stranger = app.supplier_token(&stranger).await;
    let res = page(&app, "GET", &schedule_page, Some(&t_stranger), "").await;
    assert_eq!(res.status(), 404);
    // 61 days after acceptance: refused naming the regulation's 60, nothing kept.
    let form = format!(
        "csrf={CSRF}&kind1=final&amount1=500000&runs_from1=acceptance&term_days1=61&acceptance_days1=15"
    );
    let res = page(&app, "POST", &schedule_page, Some(&agency), &form).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("60") && html.contains("第"), "{html}");
    assert!(
        html.contains("value=\"61\""),
        "the form keeps what was typed: {html}"
    );
    let res = app
        .get(&format!("/api/v1/contracts/{cid}/schedule"), Some(&agency))
        .await;
    assert_eq!(res.status(), 404);
    let form = format!(
        "csrf={CSRF}&kind1=advance&amount1=100000&runs_from1=signing&term_days1=10\
         &kind2=final&amount2=400000&runs_from2=acceptance&term_days2=30&acceptance_days2=15"
    );
    let res = page(&app, "POST", &schedule_page, Some(&agency), &form).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let s = json_of(
        app.get(&format!("/api/v1/contracts/{cid}/schedule"), Some(&agency))
            .await,
        200,
    )
    .await;
    assert_eq!(s["instalments"][0]["kind"], "advance");
    // Until a milestone, the agency may replace it, starting from the one in force.
    let html = page(&app, "GET", &schedule_page, Some(&agency), "")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("schedule-form")
            && html.contains("name=\"amount2\" size=\"12\" value=\"400000.00\""),
        "{html}"
    );
    let last = s["instalments"][1]["id"].as_str().unwrap().to_string();
    let day = today(&app).to_string();
    for (step, form) in [
        (
            "delivery",
            format!("csrf={CSRF}&delivered_on={day}&note=%E4%BA%A4%E4%BB%98"),
        ),
        (
            "acceptance",
            format!("csrf={CSRF}&accepted_on={day}&result=passed"),
        ),
    ] {
        let res = page(
            &app,
            "POST",
            &format!("/instalments/{last}/{step}"),
            Some(&agency),
            &form,
        )
        .await;
        assert_eq!(res.status(), 303, "{step}: {}", res.text().await.unwrap());
        let to = res.headers()["location"].to_str().unwrap().to_string();
        assert!(to.starts_with("/payment-schedules/"), "{to}");
    }
    let html = page(&app, "GET", &schedule_page, Some(&agency), "")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !html.contains("schedule-form"),
        "fixed once delivered: {html}"
    );
    // A supplier may not record the payer's steps.
    let res = page(
        &app,
        "POST",
        &format!("/instalments/{last}/delivery"),
        Some(&t_micro),
        &format!("csrf={CSRF}&delivered_on={day}"),
    )
    .await;
    assert_eq!(res.status(), 403);
    // Day 31 after acceptance: both instalments are late.
    app.clock.advance(Duration::days(31));
    let html = page(&app, "GET", "/supplier/receivables", Some(&t_micro), "")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("HT-PAGES") && html.contains("逾期未付"),
        "{html}"
    );
    let res = page(
        &app,
        "POST",
        &format!("/instalments/{last}/reports"),
        Some(&t_micro),
        &format!("csrf={CSRF}&text=%E9%AA%8C%E6%94%B6%E5%90%8E31%E5%A4%A9%E6%9C%AA%E4%BB%98"),
    )
    .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let html = page(&app, "GET", "/finance", Some(&finance), "")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("验收后31天未付"),
        "the report reaches finance: {html}"
    );
    assert!(html.contains("id=\"overdue-chart\"") && html.contains("HT-PAGES"));
    // Final: 400 000.00 × 0.0005 × 1 day = 200.00; advance, due on day 10: 100 000.00 × 0.0005
    // × 21 days = 1 050.00.
    assert!(
        html.contains("200.00") && html.contains("1,050.00"),
        "{html}"
    );
    let reports = json_of(
        app.get("/api/v1/payment-reports?open=true", Some(&finance))
            .await,
        200,
    )
    .await;
    let report = reports[0]["id"].as_str().unwrap().to_string();
    let res = page(
        &app,
        "POST",
        &format!("/payment-reports/{report}/close"),
        Some(&finance),
        &format!("csrf={CSRF}&note=%E5%B7%B2%E7%9D%A3%E4%BF%83"),
    )
    .await;
    assert_eq!(res.status(), 303);
    let day = today(&app).to_string();
    let res = page(
        &app,
        "POST",
        &format!("/instalments/{last}/payments"),
        Some(&agency),
        &format!("csrf={CSRF}&amount=400000.00&paid_on={day}&reference=GK001"),
    )
    .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let i = json_of(
        app.get(&format!("/api/v1/instalments/{last}"), Some(&t_micro))
            .await,
        200,
    )
    .await;
    assert_eq!(i["status"], "paid");
    assert_eq!(i["interest"], "200.00");
    let payment = i["payments"][0]["id"].as_str().unwrap().to_string();
    let res = page(
        &app,
        "POST",
        &format!("/instalment-payments/{payment}/confirm"),
        Some(&t_micro),
        &format!("csrf={CSRF}"),
    )
    .await;
    assert_eq!(res.status(), 303);
    let i = json_of(
        app.get(&format!("/api/v1/instalments/{last}"), Some(&t_micro))
            .await,
        200,
    )
    .await;
    assert!(i["payments"][0]["confirmed_at"].is_string(), "{i}");
    let csv = page(&app, "GET", "/finance/overdue.csv", Some(&finance), "")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains("HT-PAGES,1,advance") && !csv.contains("HT-PAGES,2,final"),
        "{csv}"
    );
}

/// 20 payments of a fifth of an instalment sent at once (a payer's batch run twice over): five
/// are kept, the rest refused naming what is outstanding, none fails with 5xx, and the
/// instalment is paid exactly once in full. Meanwhile the SME confirms and the agency records
/// delivery on another instalment: nothing is lost.
#[actix_web::test]
async fn twenty_payments_of_one_instalment_at_once_never_pay_more_than_it() {
    let app = spawn_app_with(|s| {
        s.pool_size = 8;
        s.token_ttl_minutes = 60 * 24 * 400;
    })
    .await;
    let (_, agency) = app.agency_token().await;
    let dept = org(&app, "department", "自治区水利厅", None);
    let (_, small) = app.create_firm("小型水泵公司", "653101", "small");
    let t_small = app.supplier_token(&small).await;
    let c = signed(
        &app,
        &agency,
        &dept,
        &t_small,
        json!({}),
        "1000000",
        "HT-RUSH",
    )
    .await;
    let s = json_of(
        put_schedule(
            &app,
            &format!("/api/v1/contracts/{}/schedule", c["id"].as_str().unwrap()),
            &agency,
            &json!({"instalments": [
                {"kind": "progress", "amount": "500000", "runs_from": "signing", "term_days": 30},
                {"kind": "final", "amount": "500000", "runs_from": "delivery", "term_days": 30}
            ]}),
        )
        .await,
        200,
    )
    .await;
    let first = s["instalments"][0]["id"].as_str().unwrap().to_string();
    let last = s["instalments"][1]["id"].as_str().unwrap().to_string();
    let day = today(&app).to_string();
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for n in 0..20 {
        let (app, agency, first, day) = (app.clone(), agency.clone(), first.clone(), day.clone());
        tasks.push(actix_web::rt::spawn(async move {
            let res = app
                .post(
                    &format!("/api/v1/instalments/{first}/payments"),
                    Some(&agency),
                    &json!({"amount": "100000", "paid_on": day, "reference": format!("PL-{n}")}),
                )
                .await;
            let status = res.status().as_u16();
            (status, res.text().await.unwrap())
        }));
    }
    let (app2, agency2, last2, day2) = (app.clone(), agency.clone(), last.clone(), day.clone());
    let delivery = actix_web::rt::spawn(async move {
        app2.post(
            &format!("/api/v1/instalments/{last2}/delivery"),
            Some(&agency2),
            &json!({"delivered_on": day2}),
        )
        .await
        .status()
        .as_u16()
    });
    let mut kept = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert!(status < 500, "{status} {body}");
        match status {
            201 => kept += 1,
            422 => assert!(body.contains("outstanding"), "{body}"),
            _ => panic!("{status} {body}"),
        }
    }
    assert_eq!(kept, 5);
    assert_eq!(delivery.await.unwrap(), 200);
    let i = json_of(
        app.get(&format!("/api/v1/instalments/{first}"), Some(&t_small))
            .await,
        200,
    )
    .await;
    assert_eq!(i["status"], "paid");
    assert_eq!(i["paid"], "500000.00");
    assert_eq!(i["payments"].as_array().unwrap().len(), 5);
    let i = json_of(
        app.get(&format!("/api/v1/instalments/{last}"), Some(&t_small))
            .await,
        200,
    )
    .await;
    assert_eq!(i["delivered_on"], day.as_str());
}
