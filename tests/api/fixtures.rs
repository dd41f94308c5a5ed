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
    let project = app.publish(&id, &agency).await;
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
    /// A document (PDF) of `bid`.
    pub document: String,
    /// A procurement document (the tender documents) of `project`.
    pub project_document: String,
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
            ..Default::default()
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
    let tender = crate::documents::file_of(b"%PDF-1.4\n", 3000, 12);
    let attached = crate::documents::send_multipart(
        app,
        reqwest::Method::POST,
        &format!("/api/v1/projects/{project}/documents"),
        agency,
        &[("tender", Some("招标文件.pdf"), &tender)],
    )
    .await;
    let project_document = json_of(attached, 201).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.publish(&project, agency).await;
    let (_, sub_code) = app.create_firm("分包小微企业", "653101", "micro");
    // The first bid with a document (the technical proposal).
    let body =
        json!({"price": "900000", "subcontracts": [{"credit_code": sub_code, "share_pct": 30}]})
            .to_string();
    let pdf = crate::documents::file_of(b"%PDF-1.7\n", 5000, 11);
    let receipt = json_of(
        crate::documents::send_multipart(
            app,
            reqwest::Method::POST,
            &format!("/api/v1/lots/{lot}/bids"),
            supplier,
            &[
                ("bid", None, body.as_bytes()),
                ("technical", Some("技术方案.pdf"), &pdf),
            ],
        )
        .await,
        201,
    )
    .await;
    let canonical: Value = serde_json::from_str(receipt["canonical"].as_str().unwrap()).unwrap();
    let document = canonical["documents"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut bids = vec![receipt["bid_id"].clone()];
    for (name, region) in [("其他小微企业甲", "653101"), ("其他小微企业乙", "650102")]
    {
        let (_, code) = app.create_firm(name, region, "small");
        let token = app.supplier_token(&code).await;
        bids.push(bid(app, &token, &lot, json!({"price": "950000"})).await["bid_id"].clone());
    }
    app.clock.advance(Duration::hours(3));
    app.open_lots().await;
    let run = review_and_evaluate(app, agency, &lot, &bids).await;
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
                 &json!({"number": format!("HT-{project}"), "amount": "900000", "signed_on": "2026-03-01"})).await,
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
        document,
        project_document,
        notice: notice["id"].as_str().unwrap().to_string(),
        run: run["id"].as_str().unwrap().to_string(),
        contract: contract["id"].as_str().unwrap().to_string(),
    }
}

/// After the opening: every bid of `lot` qualified, one evaluator's scores (technical 40,
/// commercial 15 each), and the evaluation run, which it answers.
pub async fn review_and_evaluate(app: &TestApp, agency: &str, lot: &str, bids: &[Value]) -> Value {
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
    json_of(
        app.post(
            &format!("/api/v1/lots/{lot}/evaluate"),
            Some(agency),
            &json!({}),
        )
        .await,
        201,
    )
    .await
}

/// A published project with six sealed bids (three per lot) and the small firm's bid replaced
/// once; the clock before the deadline.
pub struct Tender {
    pub s: Scenario,
    pub project_id: String,
    pub small: String,
    pub micro: String,
    pub medium: String,
    pub r_small: Value,
    pub r_micro: Value,
    pub r_medium: Value,
    pub r2_micro: Value,
    pub r2_consortium: Value,
    pub r2_bj: Value,
    /// The small firm's bid after its replacement.
    pub replaced: Value,
}

pub async fn tender(app: &TestApp) -> Tender {
    let s = scenario(app).await;
    let project_id = s.project["id"].as_str().unwrap().to_string();
    let small = app.supplier_token(&s.small.1).await;
    let micro = app.supplier_token(&s.micro.1).await;
    let medium = app.supplier_token(&s.medium.1).await;
    let xj_large = app.supplier_token(&s.xj_large.1).await;
    let bj_large = app.supplier_token(&s.bj_large.1).await;
    // Lot 1 (reserved): three SME bids. Lot 2: the micro firm, the consortium, the Beijing firm.
    let r_small = bid(app, &small, &s.reserved_lot, json!({"price": "950000.00"})).await;
    let r_micro = bid(app, &micro, &s.reserved_lot, json!({"price": "980000"})).await;
    let r_medium = bid(app, &medium, &s.reserved_lot, json!({"price": "940000.50"})).await;
    let r2_micro = bid(app, &micro, &s.open_lot, json!({"price": "1900000.00"})).await;
    let r2_consortium = bid(
        app,
        &xj_large,
        &s.open_lot,
        json!({"price": "1950000.00", "related_parties": false,
               "consortium": [{"credit_code": s.xj_large.1, "share_pct": 70}, {"credit_code": s.hotan_small.1, "share_pct": 30}],
               "goods_manufacturers": [{"credit_code": s.medium.1}]}),
    )
    .await;
    let r2_bj = bid(app, &bj_large, &s.open_lot, json!({"price": "1800000.00"})).await;
    let replaced = json_of(
        app.put(
            &format!("/api/v1/bids/{}", r_small["bid_id"].as_str().unwrap()),
            Some(&small),
            &json!({"price": "930000.00"}),
        )
        .await,
        200,
    )
    .await;
    assert_ne!(replaced["bid_id"], r_small["bid_id"]);
    Tender {
        s,
        project_id,
        small,
        micro,
        medium,
        r_small,
        r_micro,
        r_medium,
        r2_micro,
        r2_consortium,
        r2_bj,
        replaced,
    }
}

/// [`tender`] taken through the opening, the qualification review (all qualified), two
/// evaluators' scores and one evaluation run per lot; lot 1's ranking kept.
pub struct Evaluated {
    pub t: Tender,
    /// Lot 1's ranking, as the run answered.
    pub lot1: Value,
}

pub async fn evaluated(app: &TestApp) -> Evaluated {
    let t = tender(app).await;
    app.clock.advance(
        chrono::Duration::days(18)
            + chrono::Duration::hours(23)
            + chrono::Duration::minutes(45)
            + chrono::Duration::hours(1),
    );
    review_and_score(app, &t).await;
    let s = &t.s;
    let mut lot1 = Value::Null;
    for lot in [&s.reserved_lot, &s.open_lot] {
        let run = json_of(
            app.post(
                &format!("/api/v1/lots/{lot}/evaluate"),
                Some(&s.agency),
                &json!({}),
            )
            .await,
            201,
        )
        .await;
        if lot == &s.reserved_lot {
            lot1 = run["output"]["ranking"].clone();
        }
    }
    Evaluated { t, lot1 }
}

/// After the opening: every bid of [`tender`] qualified, and two evaluators' scores per lot.
pub async fn review_and_score(app: &TestApp, t: &Tender) {
    app.open_lots().await;
    let (s, replaced, r_micro, r_medium) = (&t.s, &t.replaced, &t.r_micro, &t.r_medium);
    let (r2_micro, r2_consortium, r2_bj) = (&t.r2_micro, &t.r2_consortium, &t.r2_bj);
    let lot1_bids = [
        replaced["bid_id"].clone(),
        r_micro["bid_id"].clone(),
        r_medium["bid_id"].clone(),
    ];
    let lot2_bids = [
        r2_micro["bid_id"].clone(),
        r2_consortium["bid_id"].clone(),
        r2_bj["bid_id"].clone(),
    ];
    for (lot, ids) in [(&s.reserved_lot, &lot1_bids), (&s.open_lot, &lot2_bids)] {
        let results: Vec<Value> = ids
            .iter()
            .map(|id| json!({"bid_id": id, "qualified": true}))
            .collect();
        json_of(
            app.post(
                &format!("/api/v1/lots/{lot}/qualification"),
                Some(&s.agency),
                &json!({"results": results}),
            )
            .await,
            200,
        )
        .await;
    }
    let lot1_scores = [
        [(40.0, 15), (42.0, 16)],
        [(41.0, 15), (40.5, 15)],
        [(38.0, 14), (39.0, 14)],
    ];
    let lot2_scores = [
        [(35.0, 12), (36.0, 12)],
        [(46.0, 18), (47.0, 19)],
        [(40.0, 15), (41.0, 15)],
    ];
    for (lot, ids, table) in [
        (&s.reserved_lot, &lot1_bids, &lot1_scores),
        (&s.open_lot, &lot2_bids, &lot2_scores),
    ] {
        for (e, name) in ["专家A", "专家B"].iter().enumerate() {
            let scores: Vec<Value> = ids
                .iter()
                .zip(table.iter())
                .map(|(id, row)| json!({"bid_id": id, "technical": row[e].0, "commercial": row[e].1}))
                .collect();
            json_of(
                app.post(
                    &format!("/api/v1/lots/{lot}/scores"),
                    Some(&s.agency),
                    &json!({"evaluator": name, "scores": scores}),
                )
                .await,
                200,
            )
            .await;
        }
    }
}
