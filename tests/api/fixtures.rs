//! Scenario builders shared by the integration tests: a published project with five suppliers
//! (`scenario`), a bid (`bid`), and a project taken to its signed contract (`concluded`).

use crate::helpers::{json_of, TestApp};
use chrono::Duration;
use serde_json::{json, Value};
use smeproc::clock::Clock;

pub(super) const DEADLINE: &str = "2026-03-20T09:30:00+08:00";
pub(super) const OPENING: &str = "2026-03-20T10:00:00+08:00";

/// Five suppliers: a small firm in Ürümqi, a micro firm in Kashgar (minority region), a medium
/// firm in Yining, a Xinjiang large firm in consortium with a small Hotan firm, a Beijing large firm.
pub struct Scenario {
    pub agency_id: String,
    pub agency: String,
    pub project: Value,
    pub reserved_lot: String,
    pub open_lot: String,
    pub small: (String, String),
    pub micro: (String, String),
    pub medium: (String, String),
    pub xj_large: (String, String),
    pub hotan_small: (String, String),
    pub bj_large: (String, String),
}

pub fn project_body() -> Value {
    json!({
        "title": "喀什地区教育局计算机采购",
        "category": "goods",
        "category_code": "A0201",
        "procurement_method": "open_tender",
        "policy": "xinjiang-2011",
        "evaluation": {"method": "comprehensive", "weights": {"price": 30, "technical": 50, "commercial": 20},
                       "price_deduction_pct": 8, "consortium_deduction_pct": 2, "minority_bonus_pct": 2},
        "budget": "3000000.00",
        "reservation": "lots",
        "region": "653101",
        "bid_deadline": DEADLINE,
        "opening_at": OPENING,
        "lots": [
            {"title": "台式计算机", "budget": "1000000", "reserved": true},
            {"title": "服务器", "budget": "2000000.00", "reserved": false}
        ]
    })
}

pub async fn scenario(app: &TestApp) -> Scenario {
    let (agency_id, agency) = app.agency_token().await;
    let small = app.create_firm("乌鲁木齐小型科技有限公司", "650102", "small");
    let micro = app.create_firm("喀什微型电脑经营部", "653101", "micro");
    let medium = app.create_firm("伊宁中型信息技术有限公司", "654002", "medium");
    let xj_large = app.create_firm("新疆大型系统集成股份有限公司", "650104", "large");
    let hotan_small = app.create_firm("和田小型网络有限公司", "653201", "small");
    let bj_large = app.create_firm("北京大型计算机集团有限公司", "110105", "large");
    let res = app
        .post("/api/v1/projects", Some(&agency), &project_body())
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let draft: Value = res.json().await.unwrap();
    assert_eq!(draft["state"], "draft");
    let id = draft["id"].as_str().unwrap().to_string();
    let res = app
        .post(
            &format!("/api/v1/projects/{id}/publish"),
            Some(&agency),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let project: Value = res.json().await.unwrap();
    Scenario {
        agency_id,
        agency,
        reserved_lot: project["lots"][0]["id"].as_str().unwrap().into(),
        open_lot: project["lots"][1]["id"].as_str().unwrap().into(),
        project,
        small,
        micro,
        medium,
        xj_large,
        hotan_small,
        bj_large,
    }
}

pub async fn bid(app: &TestApp, token: &str, lot: &str, body: Value) -> Value {
    json_of(
        app.post(&format!("/api/v1/lots/{lot}/bids"), Some(token), &body)
            .await,
        201,
    )
    .await
}

/// Ids of a project taken to its contract within three hours of the clock (tokens stay valid):
/// one lot, three bids, the first by `supplier`'s enterprise.
pub struct Concluded {
    pub department: String,
    pub subcontract: String,
    pub payment: String,
    pub project: String,
    pub lot: String,
    pub bid: String,
    pub notice: String,
    pub run: String,
    pub contract: String,
}

pub async fn concluded(app: &TestApp, agency: &str, supplier: &str) -> Concluded {
    let now = app.clock.now();
    let at = |h: i64| (now + Duration::hours(h)).to_rfc3339();
    let department = {
        let mut conn = app.pool.get().unwrap();
        let req = smeproc::service::accounts::CreateOrgRequest {
            kind: "department".into(),
            name: format!("自治区教育厅 {}", uuid::Uuid::new_v4().simple()),
            credit_code: None,
            region: Some("650100".into()),
            parent_id: None,
        };
        let dept = smeproc::service::accounts::create_org(
            &mut conn,
            &app.clock,
            smeproc::service::audit::CLI,
            &req,
        )
        .unwrap();
        let plan: smeproc::service::finance::PlanInput = serde_json::from_value(json!({
            "total_budget": "3000000", "reserved_pct": 30, "small_micro_pct": 60
        }))
        .unwrap();
        smeproc::service::finance::put_plan(
            &mut conn,
            &app.clock,
            smeproc::service::audit::CLI,
            &dept.id,
            2026,
            &plan,
        )
        .unwrap();
        dept.id
    };
    let mut body = project_body();
    body["department_id"] = json!(department);
    body["bid_deadline"] = json!(at(1));
    body["opening_at"] = json!(at(2));
    body["budget"] = json!("1000000");
    body["reservation"] = json!("whole");
    body["lots"] = json!([{"title": "台式计算机", "budget": "1000000"}]);
    let draft = json_of(app.post("/api/v1/projects", Some(agency), &body).await, 201).await;
    let project = draft["id"].as_str().unwrap().to_string();
    let lot = draft["lots"][0]["id"].as_str().unwrap().to_string();
    json_of(
        app.post(
            &format!("/api/v1/projects/{project}/publish"),
            Some(agency),
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    let (_, sub_code) = app.create_firm("分包小微企业", "653101", "micro");
    let mut bids = vec![bid(
        app,
        supplier,
        &lot,
        json!({"price": "900000", "subcontracts": [{"credit_code": sub_code, "share_pct": 30}]}),
    )
    .await["bid_id"]
        .clone()];
    for (name, region) in [("其他小微企业甲", "653101"), ("其他小微企业乙", "650102")]
    {
        let (_, code) = app.create_firm(name, region, "small");
        let token = app.supplier_token(&code).await;
        bids.push(bid(app, &token, &lot, json!({"price": "950000"})).await["bid_id"].clone());
    }
    app.clock.advance(Duration::hours(3));
    let results: Vec<Value> = bids
        .iter()
        .map(|b| json!({"bid_id": b, "qualified": true}))
        .collect();
    json_of(
        app.post(
            &format!("/api/v1/lots/{lot}/qualification"),
            Some(agency),
            &json!({"results": results}),
        )
        .await,
        200,
    )
    .await;
    let scores: Vec<Value> = bids
        .iter()
        .map(|b| json!({"bid_id": b, "technical": 40, "commercial": 15}))
        .collect();
    json_of(
        app.post(
            &format!("/api/v1/lots/{lot}/scores"),
            Some(agency),
            &json!({"evaluator": "专家A", "scores": scores}),
        )
        .await,
        200,
    )
    .await;
    let run = json_of(
        app.post(
            &format!("/api/v1/lots/{lot}/evaluate"),
            Some(agency),
            &json!({}),
        )
        .await,
        201,
    )
    .await;
    json_of(
        app.post(
            &format!("/api/v1/lots/{lot}/award"),
            Some(agency),
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    let notice = json_of(
        app.post(
            &format!("/api/v1/projects/{project}/result"),
            Some(agency),
            &json!({}),
        )
        .await,
        201,
    )
    .await;
    let contract = json_of(
        app.post(&format!("/api/v1/lots/{lot}/contract"), Some(agency),
                 &json!({"number": format!("HT-{project}"), "amount": "900000", "signed_on": "2026-03-02"})).await,
        201,
    )
    .await;
    let contract_id = contract["id"].as_str().unwrap().to_string();
    let subs = json_of(
        app.get(
            &format!("/api/v1/contracts/{contract_id}/subcontracts"),
            Some(agency),
        )
        .await,
        200,
    )
    .await;
    let subcontract = subs[0]["id"].as_str().unwrap().to_string();
    let payment = json_of(
        app.post(
            &format!("/api/v1/subcontracts/{subcontract}/payments"),
            Some(supplier),
            &json!({"amount": "100000", "due_on": "2026-04-30"}),
        )
        .await,
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    Concluded {
        department,
        subcontract,
        payment,
        project,
        lot,
        bid: bids[0].as_str().unwrap().to_string(),
        notice: notice["id"].as_str().unwrap().to_string(),
        run: run["id"].as_str().unwrap().to_string(),
        contract: contract["id"].as_str().unwrap().to_string(),
    }
}
