//! Remedies end to end on both backends: 质疑 on the working-day clock (across 国庆 and a
//! make-up Saturday), the holds a pending challenge and a complaint's suspension put on a
//! procurement, 投诉 ruled by the finance department with its remedy, the next-ranked award,
//! debarment, termination and new rounds, every step audited.

use crate::documents::{file_of, send_multipart};
use crate::fixtures::{bid, evaluated, project_body, scenario};
use crate::helpers::*;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use smeproc::clock::Clock;

/// Moves the test clock forward to a Beijing time (`2026-09-22T10:00:00+08:00`).
fn move_to(app: &TestApp, beijing: &str) {
    let target = DateTime::parse_from_rfc3339(beijing)
        .unwrap()
        .with_timezone(&Utc);
    let now = app.clock.now();
    assert!(
        target >= now,
        "the clock only moves forward: {target} < {now}"
    );
    app.clock.advance(target - now);
}

async fn long_lived_app() -> TestApp {
    spawn_app_with(|s| s.token_ttl_minutes = 60 * 24 * 400).await
}

fn challenge_body(kind: &str, lot: Option<&str>, step: Option<&str>) -> Value {
    let mut b = json!({
        "kind": kind,
        "facts": "中标人提交的中小企业声明函所列从业人员、营业收入与其年报不符。",
        "grounds": "《政府采购促进中小企业发展管理办法》（财库〔2020〕46号）第二十条。",
        "requests": "请依法重新审查中标人资格。",
    });
    if let Some(l) = lot {
        b["lot_id"] = json!(l);
    }
    if let Some(s) = step {
        b["step"] = json!(s);
    }
    b
}

async fn challenge(app: &TestApp, token: &str, project: &str, body: &Value) -> reqwest::Response {
    app.post(
        &format!("/api/v1/projects/{project}/challenges"),
        Some(token),
        body,
    )
    .await
}

async fn answer(app: &TestApp, agency: &str, id: &str, finding: &str) -> Value {
    json_of(
        app.post(
            &format!("/api/v1/challenges/{id}/answer"),
            Some(agency),
            &json!({"finding": finding, "text": "经复核，评审过程符合采购文件规定。"}),
        )
        .await,
        200,
    )
    .await
}

/// The actions of the audit events about one entity, oldest first (the log's order).
async fn actions_of(app: &TestApp, entity: &str, id: &str) -> Vec<String> {
    let (_, auditor) = app.user_with_token("auditor").await;
    let events = json_of(
        app.get(
            &format!("/api/v1/audit/events?entity={entity}&entity_id={id}&limit=100"),
            Some(&auditor),
        )
        .await,
        200,
    )
    .await;
    events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn a_challenge_is_taken_on_its_seventh_working_day_and_refused_on_the_eighth_across_the_national_day(
) {
    let app = long_lived_app().await;
    move_to(&app, "2026-09-22T10:00:00+08:00");
    let (_, agency) = app.agency_token().await;
    let mut body = project_body();
    body["bid_deadline"] = json!("2026-10-20T09:30:00+08:00");
    body["opening_at"] = json!("2026-10-20T10:00:00+08:00");
    let draft = json_of(
        app.post("/api/v1/projects", Some(&agency), &body).await,
        201,
    )
    .await;
    let project = draft["id"].as_str().unwrap().to_string();
    let tender = file_of(b"%PDF-1.4\n", 4000, 7);
    let docs = json_of(
        send_multipart(
            &app,
            reqwest::Method::POST,
            &format!("/api/v1/projects/{project}/documents"),
            &agency,
            &[("tender", Some("招标文件.pdf"), &tender)],
        )
        .await,
        201,
    )
    .await;
    let doc = docs[0]["id"].as_str().unwrap().to_string();
    app.publish(&project, &agency).await;
    // The procurement notice's period: 5 working days from Tue 22 Sep, across 中秋 (25–27 Sep).
    let notices = json_of(
        app.get(&format!("/api/v1/notices?project_id={project}"), None)
            .await,
        200,
    )
    .await;
    let national = &notices["items"][0]["body"]["national"];
    assert_eq!(
        national["notice_period"]["until"], "2026-09-29",
        "{national}"
    );
    assert_eq!(national["notice_period"]["working_days"], 5);

    let (_, a_code) = app.create_firm("甲信息技术有限公司", "650102", "small");
    let (_, b_code) = app.create_firm("乙网络科技有限公司", "653101", "micro");
    let (_, c_code) = app.create_firm("丙软件有限公司", "654002", "small");
    let (a, b, c) = (
        app.supplier_token(&a_code).await,
        app.supplier_token(&b_code).await,
        app.supplier_token(&c_code).await,
    );
    move_to(&app, "2026-09-23T11:00:00+08:00");
    for t in [&a, &b] {
        let res = app
            .get(
                &format!("/api/v1/projects/{project}/documents/{doc}"),
                Some(t),
            )
            .await;
        assert_eq!(res.status(), 200);
    }
    // A supplier that did not obtain the documents may not challenge them (94号令 Art. 11).
    let body = problem(
        challenge(&app, &c, &project, &challenge_body("documents", None, None)).await,
        403,
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("obtained"),
        "{body}"
    );

    // Day 7 after 29 Sep: 30 Sep, (国庆 1–7 Oct), 8, 9, Sat 10 (调休), 12, 13, 14.
    move_to(&app, "2026-10-14T16:00:00+08:00");
    let evidence = file_of(b"%PDF-1.7\n", 3000, 9);
    let filed = json_of(
        send_multipart(
            &app,
            reqwest::Method::POST,
            &format!("/api/v1/projects/{project}/challenges"),
            &a,
            &[
                (
                    "challenge",
                    None,
                    challenge_body("documents", None, None)
                        .to_string()
                        .as_bytes(),
                ),
                ("evidence", Some("证据.pdf"), &evidence),
            ],
        )
        .await,
        201,
    )
    .await;
    assert_eq!(filed["known_on"], "2026-09-29");
    assert_eq!(filed["known_basis"], "notice_period_end");
    assert_eq!(filed["deadline"], "2026-10-14");
    assert_eq!(filed["answer_due"], "2026-10-23");
    assert_eq!(filed["state"], "pending");
    assert_eq!(filed["documents"].as_array().unwrap().len(), 1);
    assert_eq!(
        filed["documents"][0]["sha256"],
        crate::documents::sha(&evidence)
    );
    let id = filed["id"].as_str().unwrap().to_string();
    // One challenge per step, raised at once.
    let again = problem(
        challenge(&app, &a, &project, &challenge_body("documents", None, None)).await,
        409,
    )
    .await;
    assert_eq!(again["code"], "duplicate");

    // Day 8: refused, naming the last day.
    move_to(&app, "2026-10-15T09:00:00+08:00");
    let late = problem(
        challenge(&app, &b, &project, &challenge_body("documents", None, None)).await,
        409,
    )
    .await;
    assert_eq!(late["code"], "period_over");
    assert!(
        late["detail"].as_str().unwrap().contains("2026-10-14"),
        "{late}"
    );

    // Unanswered: not flagged on its due day (Fri 23 Oct), flagged the next working day.
    let (_, finance) = app.user_with_token("finance").await;
    move_to(&app, "2026-10-23T17:00:00+08:00");
    let flagged = json_of(
        app.get("/api/v1/challenges?overdue=true", Some(&finance))
            .await,
        200,
    )
    .await;
    assert_eq!(flagged.as_array().unwrap().len(), 0);
    let shown = json_of(
        app.get(&format!("/api/v1/challenges/{id}"), Some(&a)).await,
        200,
    )
    .await;
    assert_eq!(shown["overdue"], false);
    assert!(
        shown["complaint_deadline"].is_null(),
        "no complaint before the answer is due"
    );
    move_to(&app, "2026-10-26T09:00:00+08:00");
    let flagged = json_of(
        app.get("/api/v1/challenges?overdue=true", Some(&finance))
            .await,
        200,
    )
    .await;
    assert_eq!(flagged.as_array().unwrap().len(), 1);
    assert_eq!(flagged[0]["id"], id.as_str());
    assert_eq!(flagged[0]["overdue"], true);
    assert_eq!(flagged[0]["complaint_deadline"], "2026-11-13");

    // The answer reaches the challenger and the other supplier concerned (without naming the
    // challenger); a supplier that took no part sees nothing.
    let answered = answer(&app, &agency, &id, "dismissed").await;
    assert_eq!(answered["state"], "answered");
    assert_eq!(answered["answered_late"], true);
    let own = json_of(app.get("/api/v1/challenges", Some(&a)).await, 200).await;
    assert_eq!(own[0]["seen_as"], "own");
    assert_eq!(own[0]["finding"], "dismissed");
    let concerned = json_of(app.get("/api/v1/challenges", Some(&b)).await, 200).await;
    assert_eq!(concerned.as_array().unwrap().len(), 1, "{concerned}");
    assert_eq!(concerned[0]["seen_as"], "concerned");
    assert!(concerned[0]["challenger"].is_null());
    assert!(concerned[0]["answer"].as_str().unwrap().contains("复核"));
    assert!(concerned[0]["documents"].as_array().unwrap().is_empty());
    let none = json_of(app.get("/api/v1/challenges", Some(&c)).await, 200).await;
    assert!(none.as_array().unwrap().is_empty());
    assert_eq!(
        app.get(&format!("/api/v1/challenges/{id}"), Some(&c))
            .await
            .status(),
        404
    );
    // The evidence: the challenger and the agency read it; the concerned supplier does not.
    let doc_url = filed["documents"][0]["url"].as_str().unwrap().to_string();
    assert_eq!(app.get(&doc_url, Some(&a)).await.status(), 200);
    let got = app.get(&doc_url, Some(&agency)).await;
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.unwrap().as_ref(), evidence.as_slice());
    assert_eq!(app.get(&doc_url, Some(&b)).await.status(), 404);
    assert_eq!(
        actions_of(&app, "challenge", &id).await,
        ["challenge.file", "challenge.answer"]
    );
}

#[actix_web::test]
async fn a_pending_challenge_holds_the_award_and_a_challenge_to_the_result_holds_the_contract() {
    let app = long_lived_app().await;
    let e = evaluated(&app).await;
    let (s, t) = (&e.t.s, &e.t);
    let (lot1, lot2) = (&s.reserved_lot, &s.open_lot);
    // A firm that bid on lot 2 only did not take part in lot 1.
    let bj = app.supplier_token(&s.bj_large.1).await;
    let refused = problem(
        challenge(
            &app,
            &bj,
            &t.project_id,
            &challenge_body("process", Some(lot1), Some("evaluation")),
        )
        .await,
        403,
    )
    .await;
    assert!(refused["detail"].as_str().unwrap().contains("took part"));
    let res = challenge(
        &app,
        &t.medium,
        &t.project_id,
        &challenge_body("process", Some(lot1), Some("evaluation")),
    )
    .await;
    let filed = json_of(res, 201).await;
    assert_eq!(filed["holds"], true);
    assert_eq!(filed["known_basis"], "step_end");
    let id = filed["id"].as_str().unwrap();
    let award = |lot: String| {
        let app = &app;
        let agency = s.agency.clone();
        async move {
            app.post(
                &format!("/api/v1/lots/{lot}/award"),
                Some(&agency),
                &json!({}),
            )
            .await
        }
    };
    let held = problem(award(lot1.clone()).await, 409).await;
    assert_eq!(held["code"], "suspended");
    assert!(held["detail"].as_str().unwrap().contains(id), "{held}");
    json_of(award(lot2.clone()).await, 200).await;
    answer(&app, &s.agency, id, "dismissed").await;
    json_of(award(lot1.clone()).await, 200).await;
    json_of(
        app.post(
            &format!("/api/v1/projects/{}/result", t.project_id),
            Some(&s.agency),
            &json!({}),
        )
        .await,
        201,
    )
    .await;

    // A challenge to the result holds the contract of its lot, not the other lot's.
    let filed = json_of(
        challenge(
            &app,
            &t.micro,
            &t.project_id,
            &challenge_body("result", Some(lot1), None),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(filed["known_basis"], "result_period_end");
    let contract = |lot: &str, n: &str| {
        let (app, agency) = (&app, s.agency.clone());
        let (lot, n) = (lot.to_string(), n.to_string());
        async move {
            app.post(
                &format!("/api/v1/lots/{lot}/contract"),
                Some(&agency),
                &json!({"number": n, "amount": "900000", "signed_on": "2026-03-23"}),
            )
            .await
        }
    };
    let held = problem(contract(lot1, "HT-1").await, 409).await;
    assert_eq!(held["code"], "suspended");
    json_of(contract(lot2, "HT-2").await, 201).await;
    // The agency may not award or re-award past the hold either.
    let next = problem(
        app.post(
            &format!("/api/v1/lots/{lot1}/award/next"),
            Some(&s.agency),
            &json!({"reason": "declined", "text": "中标人书面放弃"}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(next["code"], "suspended");
    answer(&app, &s.agency, filed["id"].as_str().unwrap(), "dismissed").await;
    json_of(contract(lot1, "HT-1").await, 201).await;
}

/// The bid ids of lot 1's ranking, best first, with each bidder's token and credit code.
fn ranked(e: &crate::fixtures::Evaluated) -> Vec<(String, String, String)> {
    let t = &e.t;
    let by_bid = [
        (
            t.replaced["bid_id"].clone(),
            t.small.clone(),
            t.s.small.1.clone(),
        ),
        (
            t.r_micro["bid_id"].clone(),
            t.micro.clone(),
            t.s.micro.1.clone(),
        ),
        (
            t.r_medium["bid_id"].clone(),
            t.medium.clone(),
            t.s.medium.1.clone(),
        ),
    ];
    let mut out = Vec::new();
    for r in e.lot1.as_array().unwrap() {
        let (_, token, code) = by_bid.iter().find(|(b, _, _)| *b == r["bid_id"]).unwrap();
        out.push((
            r["bid_id"].as_str().unwrap().to_string(),
            token.clone(),
            code.clone(),
        ));
    }
    out
}

#[actix_web::test]
async fn an_upheld_complaint_reopens_the_lot_the_award_passes_down_the_ranking_and_a_refusal_to_sign_is_debarred(
) {
    let app = long_lived_app().await;
    let e = evaluated(&app).await;
    let (s, t) = (&e.t.s, &e.t);
    let (lot1, lot2) = (&s.reserved_lot, &s.open_lot);
    let order = ranked(&e);
    let (winner, runner, third) = (&order[0], &order[1], &order[2]);
    for lot in [lot1, lot2] {
        json_of(
            app.post(
                &format!("/api/v1/lots/{lot}/award"),
                Some(&s.agency),
                &json!({}),
            )
            .await,
            200,
        )
        .await;
    }
    let first_result = json_of(
        app.post(
            &format!("/api/v1/projects/{}/result", t.project_id),
            Some(&s.agency),
            &json!({}),
        )
        .await,
        201,
    )
    .await;
    // The runner-up challenges the result, is answered, and complains.
    let ch = json_of(
        challenge(
            &app,
            &runner.1,
            &t.project_id,
            &challenge_body("result", Some(lot1), None),
        )
        .await,
        201,
    )
    .await;
    let ch_id = ch["id"].as_str().unwrap().to_string();
    let complaint_body = json!({
        "facts": "中标人声明为小型企业，实为大型企业。", "grounds": "财库〔2020〕46号第二十条。",
        "requests": "认定中标结果无效，重新评审。"});
    // Too early: the answer may still come.
    let early = problem(
        app.post(
            &format!("/api/v1/challenges/{ch_id}/complaint"),
            Some(&runner.1),
            &complaint_body,
        )
        .await,
        409,
    )
    .await;
    assert_eq!(early["code"], "wrong_state");
    answer(&app, &s.agency, &ch_id, "dismissed").await;
    // Only the challenger complains.
    assert_eq!(
        app.post(
            &format!("/api/v1/challenges/{ch_id}/complaint"),
            Some(&third.1),
            &complaint_body,
        )
        .await
        .status(),
        403
    );
    let complaint = json_of(
        app.post(
            &format!("/api/v1/challenges/{ch_id}/complaint"),
            Some(&runner.1),
            &complaint_body,
        )
        .await,
        201,
    )
    .await;
    assert_eq!(complaint["state"], "filed");
    let cid = complaint["id"].as_str().unwrap().to_string();
    // Only the finance department decides: not an admin, not an auditor.
    let (_, admin) = app.user_with_token("admin").await;
    let (_, auditor) = app.user_with_token("auditor").await;
    let (_, finance) = app.user_with_token("finance").await;
    for who in [&admin, &auditor, &s.agency] {
        let res = app
            .post(
                &format!("/api/v1/complaints/{cid}/accept"),
                Some(who),
                &json!({}),
            )
            .await;
        assert_eq!(res.status(), 403);
    }
    let bad = problem(
        app.post(
            &format!("/api/v1/complaints/{cid}/accept"),
            Some(&finance),
            &json!({"suspend_days": 31}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&bad), ["suspend_days"]);
    let accepted = json_of(
        app.post(
            &format!("/api/v1/complaints/{cid}/accept"),
            Some(&finance),
            &json!({"suspend_days": 10, "note": "受理并暂停采购活动"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(accepted["state"], "accepted");
    assert_eq!(accepted["suspending"], true);
    // The suspension holds lot 1's contract and award; lot 2 goes on.
    let sign = |lot: &str, n: &str| {
        let (app, agency) = (&app, s.agency.clone());
        let (lot, n) = (lot.to_string(), n.to_string());
        async move {
            app.post(
                &format!("/api/v1/lots/{lot}/contract"),
                Some(&agency),
                &json!({"number": n, "amount": "900000", "signed_on": "2026-03-23"}),
            )
            .await
        }
    };
    assert_eq!(
        problem(sign(lot1, "HT-A").await, 409).await["code"],
        "suspended"
    );
    json_of(sign(lot2, "HT-B").await, 201).await;
    // Upheld: the lot is evaluated again.
    let ruled = json_of(
        app.post(
            &format!("/api/v1/complaints/{cid}/ruling"),
            Some(&finance),
            &json!({"ruling": "upheld", "remedy": "re_evaluation", "text": "投诉成立，责令重新评审。"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(ruled["state"], "ruled");
    assert_eq!(ruled["suspending"], false);
    let ruling_notice = json_of(
        app.get(
            &format!("/api/v1/notices/{}", ruled["notice_id"].as_str().unwrap()),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(ruling_notice["kind"], "complaint_ruling");
    assert_eq!(ruling_notice["body"]["remedy"], "re_evaluation");
    let project = json_of(
        app.get(
            &format!("/api/v1/projects/{}", t.project_id),
            Some(&s.agency),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(project["state"], "opened");
    assert_eq!(project["lots"][0]["state"], "open");
    assert!(project["lots"][0]["awarded_bid_id"].is_null());
    // Evaluated again: the experts' scores of the winner were wrong (the complaint's facts);
    // corrected, the runner-up comes first.
    let original = [
        (&t.replaced["bid_id"], [(40.0, 15), (42.0, 16)]),
        (&t.r_micro["bid_id"], [(41.0, 15), (40.5, 15)]),
        (&t.r_medium["bid_id"], [(38.0, 14), (39.0, 14)]),
    ];
    for (e, name) in ["专家A", "专家B"].iter().enumerate() {
        let scores: Vec<Value> = original
            .iter()
            .map(|(id, rows)| {
                let (tech, comm) = if **id == winner.0.as_str() {
                    (0.0, 0)
                } else {
                    rows[e]
                };
                json!({"bid_id": id, "technical": tech, "commercial": comm})
            })
            .collect();
        json_of(
            app.post(
                &format!("/api/v1/lots/{lot1}/scores"),
                Some(&s.agency),
                &json!({"evaluator": name, "scores": scores}),
            )
            .await,
            200,
        )
        .await;
    }
    let run = json_of(
        app.post(
            &format!("/api/v1/lots/{lot1}/evaluate"),
            Some(&s.agency),
            &json!({}),
        )
        .await,
        201,
    )
    .await;
    let new_order: Vec<&str> = run["output"]["ranking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["bid_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        new_order,
        [runner.0.as_str(), third.0.as_str(), winner.0.as_str()]
    );
    let awarded = json_of(
        app.post(
            &format!("/api/v1/lots/{lot1}/award"),
            Some(&s.agency),
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(awarded["awarded_bid_id"], runner.0.as_str());
    let second_result = json_of(
        app.post(
            &format!("/api/v1/projects/{}/result", t.project_id),
            Some(&s.agency),
            &json!({}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(second_result["corrects_id"], first_result["id"]);

    // Within the signing period, "did not sign" is refused; the runner-up declines instead,
    // and the award passes to the next ranked bid with a new result notice.
    let early = problem(
        app.post(
            &format!("/api/v1/lots/{lot1}/award/next"),
            Some(&s.agency),
            &json!({"reason": "not_signed", "text": "未签约"}),
        )
        .await,
        409,
    )
    .await;
    assert!(
        early["detail"].as_str().unwrap().contains("to sign"),
        "{early}"
    );
    let passed = json_of(
        app.post(
            &format!("/api/v1/lots/{lot1}/award/next"),
            Some(&s.agency),
            &json!({"reason": "declined", "text": "中标人书面放弃中标"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(passed["awarded_bid_id"], third.0.as_str());
    let notices = json_of(
        app.get(
            &format!("/api/v1/notices?project_id={}&kind=result", t.project_id),
            None,
        )
        .await,
        200,
    )
    .await;
    let newest = &notices["items"][0];
    assert_eq!(newest["corrects_id"], second_result["id"]);
    assert_eq!(
        newest["body"]["change"]["from"]["bid_id"],
        runner.0.as_str()
    );
    assert_eq!(newest["body"]["change"]["to"]["bid_id"], third.0.as_str());
    assert_eq!(newest["body"]["change"]["reason"], "declined");
    // Found ineligible: the award passes on again, down to the last ranked bid (the first
    // winner, whose award ended with the re-evaluation and was not passed over); then nobody
    // is left.
    let last = json_of(
        app.post(
            &format!("/api/v1/lots/{lot1}/award/next"),
            Some(&s.agency),
            &json!({"reason": "ineligible", "text": "经查资格证明文件失效"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(last["awarded_bid_id"], winner.0.as_str());
    let none = problem(
        app.post(
            &format!("/api/v1/lots/{lot1}/award/next"),
            Some(&s.agency),
            &json!({"reason": "declined", "text": "再次放弃"}),
        )
        .await,
        409,
    )
    .await;
    assert!(none["detail"]
        .as_str()
        .unwrap()
        .contains("no further ranked bid"));

    // The runner-up that refused to sign is debarred for a year, refused when it bids again.
    let debarment = json_of(
        app.post(
            "/api/v1/debarments",
            Some(&finance),
            &json!({"credit_code": runner.2, "reason": "refused_to_sign", "years": 1,
                    "text": "中标后无正当理由拒不签订政府采购合同", "project_id": t.project_id}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(debarment["in_force"], true);
    let public = json_of(app.get("/api/v1/debarments", None).await, 200).await;
    assert_eq!(public[0]["credit_code"], runner.2.as_str());
    let mut other = project_body();
    let now = app.clock.now();
    other["bid_deadline"] = json!((now + chrono::Duration::days(20)).to_rfc3339());
    other["opening_at"] = json!((now + chrono::Duration::days(20)).to_rfc3339());
    let other = json_of(
        app.post("/api/v1/projects", Some(&s.agency), &other).await,
        201,
    )
    .await;
    let other = app.publish(other["id"].as_str().unwrap(), &s.agency).await;
    let lot = other["lots"][0]["id"].as_str().unwrap();
    let refused = problem(
        app.post(
            &format!("/api/v1/lots/{lot}/bids"),
            Some(&runner.1),
            &json!({"price": "900000"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&refused), ["bidder"]);
    let said = refused["errors"][0]["message"].as_str().unwrap();
    assert!(said.contains("debarred") && said.contains(debarment["until_on"].as_str().unwrap()));
    // …and as a consortium member.
    let refused = problem(
        app.post(
            &format!("/api/v1/lots/{lot}/bids"),
            Some(&third.1),
            &json!({"price": "900000", "related_parties": false, "consortium": [
                {"credit_code": third.2, "share_pct": 60}, {"credit_code": runner.2, "share_pct": 40}]}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&refused), ["consortium[1].credit_code"]);

    // Every step audited.
    assert_eq!(
        actions_of(&app, "complaint", &cid).await,
        ["complaint.file", "complaint.accept", "complaint.rule"]
    );
    let lot_actions = actions_of(&app, "lot", lot1).await;
    for a in ["lot.award", "lot.award_end", "lot.outcome"] {
        assert!(lot_actions.iter().any(|x| x == a), "{a} in {lot_actions:?}");
    }
    assert_eq!(
        actions_of(&app, "debarment", debarment["id"].as_str().unwrap()).await,
        ["debarment.record"]
    );
}

/// A national-2020 project: lot 1 reserved for SMEs, lot 2 open to all.
fn national_2020_body(now: DateTime<Utc>) -> Value {
    let mut body = project_body();
    body["policy"] = json!("national-2020");
    body["evaluation"] = json!({"method": "comprehensive", "weights": {"price": 30, "technical": 50, "commercial": 20},
                                "price_deduction_pct": 8, "consortium_deduction_pct": 2});
    body["bid_deadline"] = json!((now + chrono::Duration::hours(1)).to_rfc3339());
    body["opening_at"] = json!((now + chrono::Duration::hours(2)).to_rfc3339());
    body
}

#[actix_web::test]
async fn a_failed_reserved_lot_is_procured_again_unreserved_under_national_2020() {
    let app = long_lived_app().await;
    let (_, agency) = app.agency_token().await;
    let body = national_2020_body(app.clock.now());
    let draft = json_of(
        app.post("/api/v1/projects", Some(&agency), &body).await,
        201,
    )
    .await;
    let project = draft["id"].as_str().unwrap().to_string();
    let published = app.publish(&project, &agency).await;
    let lot1 = published["lots"][0]["id"].as_str().unwrap().to_string();
    let lot2 = published["lots"][1]["id"].as_str().unwrap().to_string();
    // Two SME bids on the reserved lot: one short of the three the profile needs.
    let mut bids = Vec::new();
    for (name, region) in [("小微甲", "650102"), ("小微乙", "653101")] {
        let (_, code) = app.create_firm(name, region, "small");
        let token = app.supplier_token(&code).await;
        bids.push(bid(&app, &token, &lot1, json!({"price": "900000"})).await["bid_id"].clone());
    }
    app.clock.advance(chrono::Duration::hours(3));
    app.open_lots().await;
    let run = crate::fixtures::review_and_evaluate(&app, &agency, &lot1, &bids).await;
    assert_eq!(run["outcome"], "failed", "two bids: one short of three");
    let run = json_of(
        app.post(
            &format!("/api/v1/lots/{lot2}/evaluate"),
            Some(&agency),
            &json!({}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(run["outcome"], "failed", "no bids");
    let failure = json_of(
        app.post(
            &format!("/api/v1/projects/{project}/result"),
            Some(&agency),
            &json!({}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(failure["kind"], "failure");
    // Not yet failed lots cannot be procured again; failed ones can, once each.
    let now = app.clock.now();
    let round_body = json!({"lots": [lot1], "bid_deadline": (now + chrono::Duration::days(21)).to_rfc3339(),
                            "opening_at": (now + chrono::Duration::days(21) + chrono::Duration::hours(1)).to_rfc3339()});
    let round = json_of(
        app.post(
            &format!("/api/v1/projects/{project}/rounds"),
            Some(&agency),
            &round_body,
        )
        .await,
        201,
    )
    .await;
    assert_eq!(round["state"], "draft");
    assert_eq!(round["round_of"], project.as_str());
    assert!(round["title"].as_str().unwrap().ends_with("（第2轮）"));
    assert_eq!(round["lots"].as_array().unwrap().len(), 1);
    assert_eq!(round["lots"][0]["round_of"], lot1.as_str());
    assert_eq!(
        round["lots"][0]["reserved"], false,
        "46号: re-run unreserved"
    );
    assert_eq!(round["lots"][0]["reservation_lifted"], true);
    assert_eq!(round["reservation"], "none");
    assert!(round["reservation_reason"]
        .as_str()
        .unwrap()
        .contains("national-2020"));
    let twice = problem(
        app.post(
            &format!("/api/v1/projects/{project}/rounds"),
            Some(&agency),
            &round_body,
        )
        .await,
        409,
    )
    .await;
    assert_eq!(twice["code"], "duplicate");
    let round_id = round["id"].as_str().unwrap().to_string();
    let published = app.publish(&round_id, &agency).await;
    assert_eq!(published["state"], "published");
    // Linked both ways: the new round's notice names what it procures again; the old project,
    // its failure notice and both OCDS releases point at each other.
    let notices = json_of(
        app.get(&format!("/api/v1/notices?project_id={round_id}"), None)
            .await,
        200,
    )
    .await;
    let body = &notices["items"][0]["body"];
    assert_eq!(body["round_of"]["project_id"], project.as_str());
    assert_eq!(body["round_of"]["lots"][0]["procures_again"], lot1.as_str());
    assert_eq!(body["round_of"]["notices"][0], failure["id"]);
    assert_eq!(notices["items"][0]["round_of"], project.as_str());
    let old = json_of(
        app.get(&format!("/api/v1/projects/{project}"), None).await,
        200,
    )
    .await;
    assert_eq!(old["next_rounds"], json!([round_id]));
    assert_eq!(
        old["lots"][0]["next_round"]["project_id"],
        round_id.as_str()
    );
    assert!(old["lots"][1]["next_round"].is_null());
    let failure_now = json_of(
        app.get(
            &format!("/api/v1/notices/{}", failure["id"].as_str().unwrap()),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(failure_now["next_rounds"], json!([round_id]));
    let new_ocds = json_of(
        app.get(&format!("/api/v1/projects/{round_id}/ocds"), None)
            .await,
        200,
    )
    .await;
    crate::ocds::assert_valid_package(&new_ocds);
    let related = &new_ocds["releases"][0]["relatedProcesses"][0];
    assert_eq!(related["relationship"], json!(["unsuccessfulProcess"]));
    assert_eq!(related["identifier"], format!("ocds-smeproc-{project}"));
    let old_ocds = json_of(
        app.get(&format!("/api/v1/projects/{project}/ocds"), None)
            .await,
        200,
    )
    .await;
    crate::ocds::assert_valid_package(&old_ocds);
    assert_eq!(
        old_ocds["releases"][0]["tender"]["lots"][0]["status"], "unsuccessful",
        "failed for want of bids, not ended by the agency"
    );
    let related = &old_ocds["releases"][0]["relatedProcesses"][0];
    assert_eq!(related["relationship"], json!(["replacementProcess"]));
    assert_eq!(related["identifier"], format!("ocds-smeproc-{round_id}"));
    assert_eq!(
        actions_of(&app, "project", &round_id).await[0],
        "project.round"
    );
}

#[actix_web::test]
async fn the_agency_terminates_a_lot_then_the_project_and_a_terminated_lot_stays_sealed() {
    let app = long_lived_app().await;
    let s = scenario(&app).await;
    let project = s.project["id"].as_str().unwrap().to_string();
    let micro = app.supplier_token(&s.micro.1).await;
    bid(&app, &micro, &s.open_lot, json!({"price": "1900000"})).await;
    let terminate = |body: Value| {
        let (app, agency, project) = (&app, s.agency.clone(), project.clone());
        async move {
            app.post(
                &format!("/api/v1/projects/{project}/terminate"),
                Some(&agency),
                &body,
            )
            .await
        }
    };
    let bad = problem(terminate(json!({"lots": [s.open_lot]})).await, 422).await;
    assert_eq!(problem_fields(&bad), ["reason"]);
    let bad = problem(
        terminate(json!({"reason": "x", "lots": ["nope"]})).await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&bad), ["lots[0]"]);
    let notice = json_of(
        terminate(json!({"reason": "采购需求发生重大变化", "lots": [s.open_lot]})).await,
        201,
    )
    .await;
    assert_eq!(notice["kind"], "termination");
    assert_eq!(notice["title"], "喀什地区教育局计算机采购终止公告");
    assert_eq!(notice["body"]["lots"][0]["number"], 2);
    assert_eq!(notice["body"]["whole_project"], false);
    assert!(notice["body"]["national"]["project_number"].is_string());
    // The terminated lot takes no more bids; the other one does.
    let refused = problem(
        app.post(
            &format!("/api/v1/lots/{}/bids", s.open_lot),
            Some(&micro),
            &json!({"price": "1800000"}),
        )
        .await,
        409,
    )
    .await;
    assert!(refused["detail"].as_str().unwrap().contains("terminated"));
    bid(&app, &micro, &s.reserved_lot, json!({"price": "900000"})).await;
    let view = json_of(
        app.get(&format!("/api/v1/projects/{project}"), Some(&s.agency))
            .await,
        200,
    )
    .await;
    assert_eq!(view["state"], "published");
    assert_eq!(view["lots"][1]["state"], "failed");
    assert_eq!(
        view["lots"][1]["termination_reason"],
        "采购需求发生重大变化"
    );
    let again = problem(
        terminate(json!({"reason": "再次终止", "lots": [s.open_lot]})).await,
        409,
    )
    .await;
    assert_eq!(again["code"], "wrong_state");
    // At the opening time, the terminated lot's holder cannot open it: its bids stay sealed.
    app.clock.advance(chrono::Duration::days(20));
    let shares = std::mem::take(&mut *app.shares.lock().unwrap());
    for (lot, token, share) in shares {
        let res = app
            .post(
                &format!("/api/v1/lots/{lot}/opening/shares"),
                Some(&token),
                &json!({"share": share}),
            )
            .await;
        if lot == s.open_lot {
            let body = problem(res, 409).await;
            assert!(
                body["detail"].as_str().unwrap().contains("terminated"),
                "{body}"
            );
        } else {
            assert_eq!(res.status(), 200);
        }
    }
    // The rest of the project ends too: every lot failed, the project failed.
    let whole = json_of(terminate(json!({"reason": "项目取消"})).await, 201).await;
    assert_eq!(
        whole["body"]["whole_project"], false,
        "lot 2 had ended already"
    );
    assert_eq!(whole["body"]["lots"][0]["number"], 1);
    let view = json_of(
        app.get(&format!("/api/v1/projects/{project}"), Some(&s.agency))
            .await,
        200,
    )
    .await;
    assert_eq!(view["state"], "failed");
    // OCDS: ended by the agency is "cancelled", not "unsuccessful".
    let ocds = json_of(
        app.get(&format!("/api/v1/projects/{project}/ocds"), None)
            .await,
        200,
    )
    .await;
    crate::ocds::assert_valid_package(&ocds);
    let tender = &ocds["releases"][0]["tender"];
    assert_eq!(tender["status"], "cancelled");
    assert_eq!(tender["lots"][0]["status"], "cancelled");
    assert_eq!(tender["lots"][1]["status"], "cancelled");
    assert_eq!(
        problem(terminate(json!({"reason": "又一次"})).await, 409).await["code"],
        "wrong_state"
    );
    // A terminated reserved lot is procured again still reserved (it did not fail for want of
    // SME bids).
    let round = json_of(
        app.post(
            &format!("/api/v1/projects/{project}/rounds"),
            Some(&s.agency),
            &json!({}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(round["lots"].as_array().unwrap().len(), 2);
    assert_eq!(round["lots"][0]["reserved"], true);
    assert_eq!(round["reservation"], "lots");
    let kinds = json_of(
        app.get(
            &format!("/api/v1/notices?project_id={project}&kind=termination"),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(kinds["items"].as_array().unwrap().len(), 2);
    assert!(actions_of(&app, "project", &project)
        .await
        .iter()
        .any(|a| a == "project.terminate"));
}

#[actix_web::test]
async fn the_finance_department_keeps_the_plans_and_the_debarment_list_auditors_only_read() {
    let app = long_lived_app().await;
    let (_, finance) = app.user_with_token("finance").await;
    let (_, auditor) = app.user_with_token("auditor").await;
    let dept = {
        let mut conn = app.pool.get().unwrap();
        let req = smeproc::service::accounts::CreateOrgRequest {
            kind: "department".into(),
            name: "自治区卫生健康委员会".into(),
            region: Some("650100".into()),
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
    };
    let plan = json!({"total_budget": "5000000", "reserved_pct": 30, "small_micro_pct": 60});
    let path = format!("/api/v1/budget-plans/{dept}/2026");
    assert_eq!(app.put(&path, Some(&auditor), &plan).await.status(), 403);
    json_of(app.put(&path, Some(&finance), &plan).await, 200).await;
    json_of(
        app.get("/api/v1/ledger?year=2026", Some(&finance)).await,
        200,
    )
    .await;
    json_of(
        app.get("/api/v1/payments/flagged", Some(&finance)).await,
        200,
    )
    .await;
    // A debarment refused field by field changes nothing.
    let bad = problem(
        app.post(
            "/api/v1/debarments",
            Some(&finance),
            &json!({"credit_code": "91653100000000019P", "reason": "lying", "years": 4, "text": ""}),
        )
        .await,
        422,
    )
    .await;
    let mut fields = problem_fields(&bad);
    fields.sort();
    assert_eq!(fields, ["credit_code", "reason", "text", "years"]);
    let all = json_of(app.get("/api/v1/debarments?all=true", None).await, 200).await;
    assert!(all.as_array().unwrap().is_empty());
    assert_eq!(
        app.post("/api/v1/debarments", Some(&auditor), &json!({}))
            .await
            .status(),
        403
    );
    let (_, code) = app.create_firm("拒签企业", "653101", "small");
    let d = json_of(
        app.post(
            "/api/v1/debarments",
            Some(&finance),
            &json!({"credit_code": code, "reason": "refused_to_sign", "years": 2, "text": "无正当理由拒不签订合同"}),
        )
        .await,
        201,
    )
    .await;
    let id = d["id"].as_str().unwrap();
    let lifted = json_of(
        app.post(
            &format!("/api/v1/debarments/{id}/lift"),
            Some(&finance),
            &json!({"reason": "行政复议撤销"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(lifted["in_force"], false);
    let twice = problem(
        app.post(
            &format!("/api/v1/debarments/{id}/lift"),
            Some(&finance),
            &json!({"reason": "again"}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(twice["code"], "wrong_state");
    let in_force = json_of(app.get("/api/v1/debarments", None).await, 200).await;
    assert!(in_force.as_array().unwrap().is_empty());
    assert_eq!(
        actions_of(&app, "debarment", id).await,
        ["debarment.record", "debarment.lift"]
    );
}

#[actix_web::test]
async fn notices_carry_the_national_format_and_the_original_shows_the_deadline_in_force() {
    let app = long_lived_app().await;
    // An agency with its contacts, and a department buying through it.
    let agency_id = {
        let mut conn = app.pool.get().unwrap();
        let req = smeproc::service::accounts::CreateOrgRequest {
            kind: "agency".into(),
            name: "喀什地区政府采购中心".into(),
            region: Some("653101".into()),
            address: Some("喀什市人民东路 1 号".into()),
            contact_name: Some("王芳".into()),
            contact_phone: Some("0998-2812345".into()),
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
    };
    let username = format!("buyer-{}", uuid::Uuid::new_v4().simple());
    {
        let mut conn = app.pool.get().unwrap();
        let req = smeproc::service::accounts::CreateUserRequest {
            username: username.clone(),
            display_name: None,
            role: "agency".into(),
            password: PASSWORD.into(),
            agency_id: Some(agency_id.clone()),
            enterprise_credit_code: None,
        };
        smeproc::service::accounts::create_user(
            &mut conn,
            &app.clock,
            smeproc::service::audit::CLI,
            &req,
        )
        .unwrap();
    }
    let agency = app.token(&username).await;
    let mut body = project_body();
    body["number"] = json!("XJKS-2026-018");
    body["category_name"] = json!("台式计算机");
    body["requirements"] = json!("台式计算机 200 台，服务器 4 台。");
    body["qualification"] = json!("具备有效的信息安全服务资质");
    body["contract_period"] = json!("合同签订后 30 日内交货");
    body["contact_name"] = json!("李强");
    body["contact_phone"] = json!("0998 2800000");
    body["lots"][0]["max_price"] = json!("950000.00");
    // The same number on another draft, a bad phone, a max price above the budget: refused.
    let mut bad = body.clone();
    bad["contact_phone"] = json!("call me");
    bad["lots"][0]["max_price"] = json!("1000000.01");
    let refused = problem(app.post("/api/v1/projects", Some(&agency), &bad).await, 422).await;
    let mut fields = problem_fields(&refused);
    fields.sort();
    assert_eq!(fields, ["contact_phone", "lots[0].max_price"]);
    let draft = json_of(
        app.post("/api/v1/projects", Some(&agency), &body).await,
        201,
    )
    .await;
    let dup = problem(
        app.post("/api/v1/projects", Some(&agency), &body).await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&dup), ["number"]);
    let project = draft["id"].as_str().unwrap().to_string();
    app.publish(&project, &agency).await;
    let list = json_of(
        app.get(&format!("/api/v1/notices?project_id={project}"), None)
            .await,
        200,
    )
    .await;
    let notice = &list["items"][0];
    assert_eq!(notice["region_name"], "喀什地区喀什市");
    assert_eq!(notice["category_name"], "台式计算机");
    let n = &notice["body"]["national"];
    assert_eq!(n["project_number"], "XJKS-2026-018");
    assert_eq!(n["agency"]["name"], "喀什地区政府采购中心");
    assert_eq!(n["agency"]["contact_phone"], "0998-2812345");
    assert_eq!(n["project_contact"]["name"], "李强");
    assert_eq!(n["max_prices"][0]["max_price"], "950000.00");
    assert_eq!(n["requirements"], "台式计算机 200 台，服务器 4 台。");
    assert_eq!(n["qualification"]["specific"], "具备有效的信息安全服务资质");
    assert!(n["qualification"]["sme_policy"]
        .as_str()
        .unwrap()
        .contains("第 1 包专门面向中小企业"));
    // Published Sunday 1 March 2026: five working days are 2–6 March.
    assert_eq!(n["notice_period"]["working_days"], 5);
    assert_eq!(n["notice_period"]["until"], "2026-03-06");
    assert_eq!(n["challenge"]["working_days"], 7);
    assert!(n["documents"]["until"].is_string());
    // A project published without a number gets the next of its region and year.
    let mut plain = project_body();
    plain["title"] = json!("办公家具采购");
    let plain = json_of(
        app.post("/api/v1/projects", Some(&agency), &plain).await,
        201,
    )
    .await;
    let plain = app.publish(plain["id"].as_str().unwrap(), &agency).await;
    assert_eq!(plain["number"], "653101-2026-0001");
    // A correction: the original notice says it was corrected and what is in force.
    let correction = json_of(
        app.post(
            &format!("/api/v1/projects/{project}/corrections"),
            Some(&agency),
            &json!({"text": "投标截止时间顺延。", "bid_deadline": "2026-03-27T09:30:00+08:00",
                    "opening_at": "2026-03-27T10:00:00+08:00"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(correction["body"]["first_published"], "2026-03-01");
    assert_eq!(correction["body"]["number"], "XJKS-2026-018");
    let original = json_of(
        app.get(
            &format!("/api/v1/notices/{}", notice["id"].as_str().unwrap()),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(original["changed_by"][0]["id"], correction["id"]);
    assert_eq!(original["in_force"]["changed"], true);
    assert_eq!(original["in_force"]["bid_deadline"], "2026-03-27T01:30:00Z");
    // A notice period that would run into a year the calendar does not know is refused.
    move_to(&app, "2026-12-28T10:00:00+08:00");
    let mut late = project_body();
    late["title"] = json!("跨年采购");
    late["bid_deadline"] = json!("2027-01-25T09:30:00+08:00");
    late["opening_at"] = json!("2027-01-25T10:00:00+08:00");
    let late = json_of(
        app.post("/api/v1/projects", Some(&agency), &late).await,
        201,
    )
    .await;
    let id = late["id"].as_str().unwrap();
    let refused = problem(
        app.post(
            &format!("/api/v1/projects/{id}/publish"),
            Some(&agency),
            &json!({}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(refused["code"], "calendar_missing");
    assert!(refused["detail"].as_str().unwrap().contains("2027"));
    let (_, admin) = app.user_with_token("admin").await;
    json_of(
        app.put(
            "/api/v1/calendar/2027",
            Some(&admin),
            &json!({"source": "国务院办公厅关于2027年部分节假日安排的通知（示例）",
                    "holidays": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-01"}]}),
        )
        .await,
        200,
    )
    .await;
    app.publish(id, &agency).await;
}
