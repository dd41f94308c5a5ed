//! The finance side: the ledger against hand-computed figures, the CSV, the annual report,
//! subcontract payments and their flags, the subcontracting rules and the banks' check.

use crate::helpers::{problem, problem_fields, spawn_app_with, TestApp};
use chrono::Duration;
use serde_json::{json, Value};

async fn spawn() -> TestApp {
    spawn_app_with(|s| {
        s.token_ttl_minutes = 60 * 24 * 90;
        s.limits.apply("contract_check=4/900").unwrap();
    })
    .await
}

/// The flagged entry of one payment, if any.
async fn flagged(app: &TestApp, auditor: &str, id: &str) -> Option<Value> {
    let list = ok(
        app.get("/api/v1/payments/flagged", Some(auditor)).await,
        200,
    )
    .await;
    list.as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .cloned()
}

async fn ok(res: reqwest::Response, status: u16) -> Value {
    let code = res.status().as_u16();
    let text = res.text().await.unwrap();
    assert_eq!(code, status, "{text}");
    serde_json::from_str(&text).unwrap()
}

pub(crate) fn org(app: &TestApp, kind: &str, name: &str, parent: Option<&str>) -> String {
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
}

/// Runs one lowest-price project of `department` under `policy` to its contract: the winner's
/// bid (by `winner`) at `price`, two filler bids at twice the price. Returns the contract.
#[allow(clippy::too_many_arguments)]
async fn contract(
    app: &TestApp,
    agency: &str,
    department: &str,
    policy: &str,
    winner: &str,
    winner_bid: Value,
    price: &str,
    number: &str,
) -> Value {
    let clock_now = smeproc::clock::Clock::now(&app.clock);
    let at = |h: i64| (clock_now + Duration::hours(h)).to_rfc3339();
    let body = json!({
        "title": format!("项目 {number}"), "department_id": department, "category": "services",
        "category_code": "C16", "procurement_method": "open_tender", "policy": policy,
        "evaluation": {"method": "lowest_price"}, "budget": "5000000", "reservation": "none",
        "reservation_reason": "测试: 大型企业参与", "bid_deadline": at(1), "opening_at": at(2),
        "lots": [{"title": "唯一采购包", "budget": "5000000"}]
    });
    let p = ok(app.post("/api/v1/projects", Some(agency), &body).await, 201).await;
    let (pid, lot) = (
        p["id"].as_str().unwrap().to_string(),
        p["lots"][0]["id"].as_str().unwrap().to_string(),
    );
    app.publish(&pid, agency).await;
    let mut b = winner_bid;
    b["price"] = json!(price);
    let mut ids = vec![ok(
        app.post(&format!("/api/v1/lots/{lot}/bids"), Some(winner), &b)
            .await,
        201,
    )
    .await["bid_id"]
        .clone()];
    let filler_price = format!("{}", price.parse::<f64>().unwrap() as i64 * 2);
    for i in 0..2 {
        let (_, code) = app.create_firm(&format!("陪标企业{number}{i}"), "650102", "medium");
        let token = app.supplier_token(&code).await;
        ids.push(
            ok(
                app.post(
                    &format!("/api/v1/lots/{lot}/bids"),
                    Some(&token),
                    &json!({"price": filler_price}),
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
    ok(
        app.post(
            &format!("/api/v1/lots/{lot}/qualification"),
            Some(agency),
            &json!({"results": results}),
        )
        .await,
        200,
    )
    .await;
    let run = ok(
        app.post(
            &format!("/api/v1/lots/{lot}/evaluate"),
            Some(agency),
            &json!({}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(
        run["output"]["ranking"][0]["bid_id"], ids[0],
        "{}",
        run["output"]
    );
    ok(
        app.post(
            &format!("/api/v1/lots/{lot}/award"),
            Some(agency),
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    ok(
        app.post(
            &format!("/api/v1/projects/{pid}/result"),
            Some(agency),
            &json!({}),
        )
        .await,
        201,
    )
    .await;
    ok(
        app.post(
            &format!("/api/v1/lots/{lot}/contract"),
            Some(agency),
            &json!({"number": number, "amount": price, "signed_on": "2026-05-10"}),
        )
        .await,
        201,
    )
    .await
}

#[actix_web::test]
async fn the_ledger_matches_hand_computed_figures_and_names_a_missed_target() {
    let app = spawn().await;
    let (_, agency) = app.agency_token().await;
    let (_, admin) = app.user_with_token("admin").await;
    let (_, auditor) = app.user_with_token("auditor").await;
    let top = org(&app, "department", "自治区教育厅", None);
    let school = org(&app, "department", "新疆大学", Some(&top));
    let health = org(&app, "department", "自治区卫生健康委", None);
    // Plans: the university's 30 % / 60 %; health below the minimum needs a reason.
    let plan = ok(
        app.put(
            &format!("/api/v1/budget-plans/{school}/2026"),
            Some(&admin),
            &json!({"total_budget": "10000000", "reserved_pct": 30, "small_micro_pct": 60}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (
            plan["reserved_target"].as_str(),
            plan["small_micro_target"].as_str()
        ),
        (Some("3000000.00"), Some("1800000.00"))
    );
    let res = app
        .put(
            &format!("/api/v1/budget-plans/{health}/2026"),
            Some(&admin),
            &json!({"total_budget": "8000000", "reserved_pct": 20, "small_micro_pct": 60}),
        )
        .await;
    assert_eq!(problem_fields(&problem(res, 422).await), ["reserved_pct"]);
    ok(
        app.put(
            &format!("/api/v1/budget-plans/{health}/2026"),
            Some(&admin),
            &json!({"total_budget": "8000000", "reserved_pct": 20, "small_micro_pct": 60,
                       "below_minimum_reason": "医疗设备市场中小企业无法提供"}),
        )
        .await,
        200,
    )
    .await;

    let (_, small) = app.create_firm("小型软件公司", "653101", "small");
    let (_, medium) = app.create_firm("中型服务公司", "650102", "medium");
    let (_, large) = app.create_firm("新疆大型集团", "650104", "large");
    let (_, micro) = app.create_firm("微型分包商", "654002", "micro");
    let (_, partner) = app.create_firm("小型联合体成员", "653201", "small");
    let t_small = app.supplier_token(&small).await;
    let t_medium = app.supplier_token(&medium).await;
    let t_large = app.supplier_token(&large).await;
    // University: (a) a small winner 1 000 000 → SME 1 000 000, small/micro 1 000 000;
    let a = contract(
        &app,
        &agency,
        &school,
        "xinjiang-2011",
        &t_small,
        json!({}),
        "1000000",
        "HT-A",
    )
    .await;
    assert_eq!(
        (a["sme_credit"].as_str(), a["small_micro_credit"].as_str()),
        (Some("1000000.00"), Some("1000000.00"))
    );
    // (b) a large winner subcontracting 30 % to a micro firm, 2 000 000 → 600 000 / 600 000;
    let b = contract(
        &app,
        &agency,
        &school,
        "xinjiang-2011",
        &t_large,
        json!({"subcontracts": [{"credit_code": micro, "share_pct": 30}]}),
        "2000000",
        "HT-B",
    )
    .await;
    assert_eq!(
        (b["sme_credit"].as_str(), b["small_micro_credit"].as_str()),
        (Some("600000.00"), Some("600000.00"))
    );
    // (c) xinjiang-2011: a local large firm (70 %) with a small firm (30 %), 1 500 000 → treated as
    //     an SME: 1 500 000 / 450 000;
    let cons = json!({"related_parties": false, "consortium": [{"credit_code": large, "share_pct": 70}, {"credit_code": partner, "share_pct": 30}]});
    let c = contract(
        &app,
        &agency,
        &school,
        "xinjiang-2011",
        &t_large,
        cons.clone(),
        "1500000",
        "HT-C",
    )
    .await;
    assert_eq!(
        (c["sme_credit"].as_str(), c["small_micro_credit"].as_str()),
        (Some("1500000.00"), Some("450000.00"))
    );
    // Health: (d) the same consortium under national-2020 is not an SME: 300 000 / 300 000;
    let d = contract(
        &app,
        &agency,
        &health,
        "national-2020",
        &t_large,
        cons,
        "1000000",
        "HT-D",
    )
    .await;
    assert_eq!(
        (d["sme_credit"].as_str(), d["small_micro_credit"].as_str()),
        (Some("300000.00"), Some("300000.00"))
    );
    // (e) a medium winner 800 000 → SME 800 000, small/micro 0.
    let e = contract(
        &app,
        &agency,
        &health,
        "national-2020",
        &t_medium,
        json!({}),
        "800000",
        "HT-E",
    )
    .await;
    assert_eq!(
        (e["sme_credit"].as_str(), e["small_micro_credit"].as_str()),
        (Some("800000.00"), Some("0.00"))
    );

    let ledger = ok(
        app.get("/api/v1/ledger?year=2026", Some(&auditor)).await,
        200,
    )
    .await;
    let line = |id: &str| {
        ledger["departments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["department_id"] == id)
            .unwrap()
            .clone()
    };
    let u = line(&school);
    // SME 1 000 000 + 600 000 + 1 500 000 = 3 100 000 ≥ 3 000 000 (31 %); small/micro
    // 1 000 000 + 600 000 + 450 000 = 2 050 000 ≥ 1 800 000.
    assert_eq!(
        (
            u["awarded_to_smes"].as_str(),
            u["awarded_to_small_micro"].as_str()
        ),
        (Some("3100000.00"), Some("2050000.00"))
    );
    assert_eq!(
        (u["contracts"].as_i64(), u["contracted"].as_str()),
        (Some(3), Some("4500000.00"))
    );
    assert_eq!(u["achieved_pct"], 31.0);
    assert_eq!(
        (u["status"].as_str(), u["parent_id"].as_str()),
        (Some("met"), Some(top.as_str()))
    );
    let h = line(&health);
    // SME 300 000 + 800 000 = 1 100 000 < 1 600 000 (20 % of 8 000 000): missed, with reasons.
    assert_eq!(
        (h["awarded_to_smes"].as_str(), h["status"].as_str()),
        (Some("1100000.00"), Some("missed"))
    );
    let reasons = h["reasons"].as_array().unwrap();
    assert!(
        reasons[0].as_str().unwrap().contains("1100000.00")
            && reasons[0].as_str().unwrap().contains("1600000.00"),
        "{reasons:?}"
    );
    assert!(reasons
        .iter()
        .any(|r| r.as_str().unwrap().contains("医疗设备市场中小企业无法提供")));
    // The plan lists the department's reserved lots (these projects reserved nothing).
    let plan = ok(
        app.get(
            &format!("/api/v1/budget-plans/{school}/2026"),
            Some(&auditor),
        )
        .await,
        200,
    )
    .await;
    assert!(
        plan["reserved_lots"].as_array().unwrap().is_empty(),
        "{plan}"
    );
    // Roll-up: the 教育厅 line carries the university's figures.
    let roll = ledger["rollup"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["department_id"] == top)
        .unwrap()
        .clone();
    assert_eq!(roll["awarded_to_smes"], "3100000.00");
    // Drill-down.
    let list = ok(
        app.get(
            &format!("/api/v1/ledger/{school}/2026/contracts"),
            Some(&auditor),
        )
        .await,
        200,
    )
    .await;
    let numbers: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers.len(), 3);
    assert!(numbers.contains(&"HT-A") && numbers.contains(&"HT-C"));

    // CSV: a BOM, then Chinese names intact.
    let res = app
        .get("/api/v1/ledger.csv?year=2026", Some(&auditor))
        .await;
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let bytes = res.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(
        text.contains("新疆大学")
            && text.contains("自治区卫生健康委")
            && text.contains("主管预算单位")
    );
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert!(rows
        .iter()
        .any(|r| &r[3] == "新疆大学" && &r[11] == "3100000.00"));

    // The public annual report per 主管预算单位.
    let report = ok(app.get("/api/v1/reports/annual?year=2026", None).await, 200).await;
    let unit = report["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["department_id"] == health)
        .unwrap()
        .clone();
    assert_eq!(unit["status"], "missed");
    // Only auditors and admins read the ledger.
    problem(
        app.get("/api/v1/ledger?year=2026", Some(&agency)).await,
        403,
    )
    .await;
    problem(app.get("/api/v1/ledger", Some(&auditor)).await, 422).await;
}

#[actix_web::test]
async fn payments_are_flagged_the_day_after_they_fall_due_and_clear_when_paid() {
    let app = spawn().await;
    let (_, agency) = app.agency_token().await;
    let (_, auditor) = app.user_with_token("auditor").await;
    let dept = org(&app, "department", "自治区财政厅", None);
    let (_, large) = app.create_firm("大型总包", "650104", "large");
    let (_, micro) = app.create_firm("微型分包", "653101", "micro");
    let (_, medium) = app.create_firm("中型分包", "650102", "medium");
    let (_, small) = app.create_firm("小型总包", "650102", "small");
    let t_large = app.supplier_token(&large).await;
    let t_micro = app.supplier_token(&micro).await;
    let t_small = app.supplier_token(&small).await;

    // Subcontracting rules at submission: small primes not to medium firms.
    let clock_now = smeproc::clock::Clock::now(&app.clock);
    let body = json!({
        "title": "规则测试", "department_id": dept, "category": "services", "category_code": "C16",
        "procurement_method": "open_tender", "evaluation": {"method": "lowest_price"}, "budget": "100000",
        "reservation": "none", "reservation_reason": "测试",
        "bid_deadline": (clock_now + Duration::hours(1)).to_rfc3339(), "opening_at": (clock_now + Duration::hours(2)).to_rfc3339(),
        "lots": [{"title": "包", "budget": "100000"}]
    });
    let p = ok(
        app.post("/api/v1/projects", Some(&agency), &body).await,
        201,
    )
    .await;
    app.publish(p["id"].as_str().unwrap(), &agency).await;
    let res = app
        .post(
            &format!("/api/v1/lots/{}/bids", p["lots"][0]["id"].as_str().unwrap()),
            Some(&t_small),
            &json!({"price": "90000", "subcontracts": [{"credit_code": medium, "share_pct": 20}]}),
        )
        .await;
    let body = problem(res, 422).await;
    assert_eq!(problem_fields(&body), ["subcontracts[0].credit_code"]);
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("small and micro firms subcontract only to small and micro firms"));

    let c = contract(
        &app,
        &agency,
        &dept,
        "xinjiang-2011",
        &t_large,
        json!({"subcontracts": [{"credit_code": micro, "share_pct": 25}]}),
        "400000",
        "HT-PAY",
    )
    .await;
    let subs = ok(
        app.get(
            &format!(
                "/api/v1/contracts/{}/subcontracts",
                c["id"].as_str().unwrap()
            ),
            Some(&t_micro),
        )
        .await,
        200,
    )
    .await;
    let sub = subs[0]["id"].as_str().unwrap().to_string();
    assert_eq!(subs[0]["amount"], "100000.00");
    // Only the prime reports; no more than the subcontract; every field named.
    problem(
        app.post(
            &format!("/api/v1/subcontracts/{sub}/payments"),
            Some(&t_micro),
            &json!({"amount": "1", "due_on": "2026-03-10"}),
        )
        .await,
        403,
    )
    .await;
    let res = app
        .post(
            &format!("/api/v1/subcontracts/{sub}/payments"),
            Some(&t_large),
            &json!({"amount": "100000.01", "due_on": "2026-03-10"}),
        )
        .await;
    assert_eq!(problem_fields(&problem(res, 422).await), ["amount"]);
    let pay = ok(
        app.post(
            &format!("/api/v1/subcontracts/{sub}/payments"),
            Some(&t_large),
            &json!({"amount": "60000", "due_on": "2026-03-10"}),
        )
        .await,
        201,
    )
    .await;
    let pay_id = pay["id"].as_str().unwrap().to_string();
    assert_eq!(pay["late"], false);
    // The clock is at 2026-03-01 10:00 Beijing (+3 h of the lifecycle). On the due date: not late.
    app.clock.advance(Duration::days(9));
    assert!(
        flagged(&app, &auditor, &pay_id).await.is_none(),
        "not late on its due date"
    );
    // The day after: late.
    app.clock.advance(Duration::days(1));
    let f = flagged(&app, &auditor, &pay_id)
        .await
        .expect("flagged the day after the due date");
    assert_eq!(f["late"], true);
    // The bank sees a late payment status; nothing else about the contract.
    let check = ok(
        app.get(
            &format!("/api/v1/contracts/verify?number=HT-PAY&credit_code={large}"),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        check,
        json!({"exists": true, "amount": "400000.00", "status": "signed", "signed_on": "2026-05-10", "payment_status": "late"})
    );
    // Paid (late): the late flag clears; unconfirmed until the SME confirms.
    let paid = ok(
        app.post(
            &format!("/api/v1/payments/{pay_id}/paid"),
            Some(&t_large),
            &json!({"paid_on": "2026-03-11"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (
            paid["late"].as_bool(),
            paid["paid_late"].as_bool(),
            paid["unconfirmed"].as_bool()
        ),
        (Some(false), Some(true), Some(true))
    );
    let f = flagged(&app, &auditor, &pay_id)
        .await
        .expect("unconfirmed stays flagged");
    assert_eq!(f["late"], false);
    problem(
        app.post(
            &format!("/api/v1/payments/{pay_id}/confirm"),
            Some(&t_large),
            &json!({}),
        )
        .await,
        403,
    )
    .await;
    ok(
        app.post(
            &format!("/api/v1/payments/{pay_id}/confirm"),
            Some(&t_micro),
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    assert!(
        flagged(&app, &auditor, &pay_id).await.is_none(),
        "cleared once paid and confirmed"
    );
    let check = ok(
        app.get(
            &format!("/api/v1/contracts/verify?number=HT-PAY&credit_code={large}"),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(check["payment_status"], "on_time");
    // A wrong code answers only that nothing matches; the check is rate-limited per address.
    let check = ok(
        app.get(
            &format!("/api/v1/contracts/verify?number=HT-PAY&credit_code={micro}"),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        check,
        json!({"exists": false, "amount": null, "status": null, "signed_on": null, "payment_status": null})
    );
    let res = app
        .get("/api/v1/contracts/verify?number=HT-PAY", None)
        .await;
    assert_eq!(problem_fields(&problem(res, 422).await), ["credit_code"]);
    let res = app
        .get("/api/v1/contracts/verify?number=HT-PAY&credit_code=x", None)
        .await;
    problem(res, 429).await;
}
