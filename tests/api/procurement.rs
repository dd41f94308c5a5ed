//! The procurement lifecycle end to end: projects and lots, notices, sealed bids, qualification,
//! scores, evaluation runs, awards, the result notice, contracts and OCDS.

use crate::fixtures::{
    bid, evaluated, project_body, review_and_score, scenario, tender, Evaluated, Tender,
};
use crate::helpers::{json_of, problem, problem_fields, spawn_app_with, TestApp};
use chrono::Duration;
use reqwest::Method;
use serde_json::{json, Value};
use smeproc::api::ROUTES;

/// The app with tokens that outlive the weeks these tests move the clock through.
async fn spawn_app() -> TestApp {
    spawn_app_with(|s| s.token_ttl_minutes = 60 * 24 * 60).await
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The procurement notice is public, in the list and the feed; the project pins its policy version.
#[actix_web::test]
async fn a_published_project_is_on_the_board_in_the_feed_and_pinned_to_its_policy() {
    let app = spawn_app().await;
    let s = scenario(&app).await;
    assert_eq!(s.project["state"], "published");
    assert!(s.project["policy_version"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));

    // The procurement notice is public, in the list, the feed and the project's OCDS.
    let notices = json_of(
        app.get("/api/v1/notices?region=6531&reserved=true", None)
            .await,
        200,
    )
    .await;
    assert_eq!(notices["items"].as_array().unwrap().len(), 1);
    assert_eq!(notices["items"][0]["kind"], "procurement");
    assert_eq!(
        notices["items"][0]["body"]["lots"][0]["reserved_for_smes"],
        true
    );
    let none = json_of(app.get("/api/v1/notices?region=6501", None).await, 200).await;
    assert!(none["items"].as_array().unwrap().is_empty());
    let feed = app.get("/api/v1/notices.atom", None).await;
    assert!(feed.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/atom+xml"));
    let feed = feed.text().await.unwrap();
    assert!(
        feed.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">")
            && feed.contains("计算机采购公告")
    );
}

/// A large firm cannot bid on a lot reserved for SMEs; the problem names the bidder.
#[actix_web::test]
async fn a_large_firm_is_refused_on_the_reserved_lot_naming_why() {
    let app = spawn_app().await;
    let s = scenario(&app).await;
    let bj_large = app.supplier_token(&s.bj_large.1).await;
    let res = app
        .post(
            &format!("/api/v1/lots/{}/bids", s.reserved_lot),
            Some(&bj_large),
            &json!({"price": "900000.00"}),
        )
        .await;
    let body = problem(res, 422).await;
    assert_eq!(problem_fields(&body), ["bidder"]);
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("reserved for SMEs"));
}

/// Each receipt is the SHA-256 of the canonical bid; a replaced bid stays, marked, without content.
#[actix_web::test]
async fn a_receipt_hashes_the_canonical_bid_and_a_replaced_bid_stays_a_receipt() {
    let app = spawn_app().await;
    let Tender {
        small,
        r_small,
        r_micro,
        r_medium,
        r2_micro,
        r2_consortium,
        r2_bj,
        ..
    } = tender(&app).await;
    // The receipt is the SHA-256 of the canonical bid, which carries the server's time.
    for r in [
        &r_small,
        &r_micro,
        &r_medium,
        &r2_micro,
        &r2_consortium,
        &r2_bj,
    ] {
        let canonical = r["canonical"].as_str().unwrap();
        assert_eq!(r["sha256"], sha256_hex(canonical));
        let c: Value = serde_json::from_str(canonical).unwrap();
        assert_eq!(c["submitted_at"], r["received_at"]);
        assert_eq!(c["bid_id"], r["bid_id"]);
    }
    let old = json_of(
        app.get(
            &format!("/api/v1/bids/{}", r_small["bid_id"].as_str().unwrap()),
            Some(&small),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(old["state"], "replaced");
    assert!(
        old.get("price").is_none() && old.get("content").is_none(),
        "a receipt only: {old}"
    );
}

/// Before the opening the number of bids is the agency's alone (POLICY.md §6).
#[actix_web::test]
async fn before_the_opening_only_the_agency_sees_how_many_bid() {
    let app = spawn_app().await;
    let Tender {
        s,
        project_id,
        small,
        ..
    } = tender(&app).await;
    let view = json_of(
        app.get(&format!("/api/v1/projects/{project_id}"), Some(&s.agency))
            .await,
        200,
    )
    .await;
    assert_eq!(view["lots"][0]["bid_count"], 3);
    assert_eq!(view["lots"][1]["bid_count"], 3);
    let (_, admin) = app.user_with_token("admin").await;
    let (_, auditor) = app.user_with_token("auditor").await;
    for token in [
        None,
        Some(small.as_str()),
        Some(admin.as_str()),
        Some(auditor.as_str()),
    ] {
        let view = json_of(
            app.get(&format!("/api/v1/projects/{project_id}"), token)
                .await,
            200,
        )
        .await;
        assert!(view["lots"][0]["bid_count"].is_null(), "{token:?}: {view}");
        assert!(view["lots"][1]["bid_count"].is_null(), "{token:?}: {view}");
        let ocds = app
            .get(&format!("/api/v1/projects/{project_id}/ocds"), token)
            .await
            .text()
            .await
            .unwrap();
        assert!(
            !ocds.contains("statistics") && !ocds.contains("tenderers"),
            "{ocds}"
        );
    }
}

/// From the bid deadline to the opening: no change to any bid, the lot sealed, no evaluation.
#[actix_web::test]
async fn from_the_deadline_no_bid_changes_and_the_lot_stays_sealed() {
    let app = spawn_app().await;
    let Tender {
        s,
        project_id,
        micro,
        medium,
        r_micro,
        ..
    } = tender(&app).await;
    app.clock
        .advance(Duration::days(18) + Duration::hours(23) + Duration::minutes(45));
    let view = json_of(
        app.get(&format!("/api/v1/projects/{project_id}"), None)
            .await,
        200,
    )
    .await;
    assert_eq!(view["state"], "closed");
    let res = app
        .put(
            &format!("/api/v1/bids/{}", r_micro["bid_id"].as_str().unwrap()),
            Some(&micro),
            &json!({"price": "1.00"}),
        )
        .await;
    assert_eq!(problem(res, 409).await["code"], "bid_deadline_passed");
    let res = app
        .post(
            &format!("/api/v1/lots/{}/bids", s.open_lot),
            Some(&medium),
            &json!({"price": "1.00"}),
        )
        .await;
    assert_eq!(problem(res, 409).await["code"], "bid_deadline_passed");
    let res = app
        .get(
            &format!("/api/v1/lots/{}/bids", s.reserved_lot),
            Some(&s.agency),
        )
        .await;
    let sealed = json_of(res, 200).await;
    assert_eq!(
        (sealed["sealed"].as_bool(), sealed["count"].as_u64()),
        (Some(true), Some(3))
    );
    assert!(sealed["bids"].as_array().unwrap().is_empty());
    let res = app
        .post(
            &format!("/api/v1/lots/{}/evaluate", s.reserved_lot),
            Some(&s.agency),
            &json!({}),
        )
        .await;
    problem(res, 409).await;
}

/// From the opening: bids readable, evaluation only after the qualification review and every
/// evaluator's scores, runs equal to the engine's answer that replay byte for byte, the
/// explained ranking of both lots.
#[actix_web::test]
async fn from_the_opening_bids_are_read_reviewed_scored_and_evaluated() {
    let app = spawn_app().await;
    let t = tender(&app).await;
    let Tender {
        s,
        r_micro,
        r2_micro,
        r2_consortium,
        r2_bj,
        ..
    } = &t;
    // Past the deadline (tested above).
    app.clock
        .advance(Duration::days(18) + Duration::hours(23) + Duration::minutes(45));
    // The opening time: nothing opens before the key holders give their shares.
    app.clock.advance(Duration::hours(1));
    let waiting = json_of(
        app.get(
            &format!("/api/v1/lots/{}/bids", s.open_lot),
            Some(&s.agency),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(waiting["sealed"], true, "{waiting}");
    assert_eq!(waiting["count"], 3);
    assert!(waiting["bids"].as_array().unwrap().is_empty());
    let res = app
        .post(
            &format!("/api/v1/lots/{}/evaluate", s.open_lot),
            Some(&s.agency),
            &json!({}),
        )
        .await;
    assert_eq!(problem(res, 409).await["code"], "not_opened");
    let res = app
        .get(
            &format!("/api/v1/bids/{}", r2_bj["bid_id"].as_str().unwrap()),
            Some(&s.agency),
        )
        .await;
    assert_eq!(problem(res, 409).await["code"], "not_opened");
    // Opening (开标): the holder gives its share.
    app.open_lots().await;
    let opened = json_of(
        app.get(
            &format!("/api/v1/lots/{}/bids", s.open_lot),
            Some(&s.agency),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(opened["sealed"], false);
    let bids2 = opened["bids"].as_array().unwrap();
    assert_eq!(bids2.len(), 3);
    let consortium_bid = bids2
        .iter()
        .find(|b| b["id"] == r2_consortium["bid_id"])
        .unwrap();
    assert_eq!(consortium_bid["price"], "1950000.00");
    assert_eq!(
        consortium_bid["content"]["consortium"][1]["firm"]["scale"],
        "small"
    );
    assert_eq!(consortium_bid["receipt_sha256"], r2_consortium["sha256"]);

    // Evaluation needs the qualification review and every evaluator's scores first.
    let res = app
        .post(
            &format!("/api/v1/lots/{}/evaluate", s.open_lot),
            Some(&s.agency),
            &json!({}),
        )
        .await;
    assert!(problem(res, 409).await["detail"]
        .as_str()
        .unwrap()
        .contains("qualification"));
    review_and_score(&app, &t).await;

    // Each run equals the engine's answer for the same input, and replays byte for byte.
    let mut outputs = Vec::new();
    for lot in [&s.reserved_lot, &s.open_lot] {
        let res = app
            .post(
                &format!("/api/v1/lots/{lot}/evaluate"),
                Some(&s.agency),
                &json!({}),
            )
            .await;
        let run = json_of(res, 201).await;
        assert_eq!(run["outcome"], "ranked");
        assert_eq!(run["policy_version"], s.project["policy_version"]);
        let engine = app.post("/api/v1/evaluate", None, &run["input"]).await;
        assert_eq!(engine.status(), 200);
        let engine: Value = engine.json().await.unwrap();
        assert_eq!(
            engine, run["output"],
            "the stored run is the engine's answer"
        );
        let replay = json_of(
            app.get(
                &format!("/api/v1/evaluations/{}/replay", run["id"].as_str().unwrap()),
                Some(&s.agency),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(
            (
                replay["identical"].as_bool(),
                replay["input_intact"].as_bool()
            ),
            (Some(true), Some(true))
        );
        outputs.push(run);
    }
    // Lot 1 is reserved: no deductions; the Kashgar micro firm gets the minority bonus.
    let lot1 = &outputs[0]["output"]["ranking"];
    for r in lot1.as_array().unwrap() {
        assert_eq!(r["preference"], "none");
        assert_eq!(r["evaluated_price"], r["price"]);
    }
    let micro_row = lot1
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["bid_id"] == r_micro["bid_id"])
        .unwrap();
    assert_eq!(
        (
            micro_row["minority_region"].as_bool(),
            micro_row["bonus"].as_str()
        ),
        (Some(true), Some("1.00"))
    );
    // Lot 2: the micro firm's 8 % deduction, the treated-as-SME consortium's 2 %, nothing for Beijing.
    let lot2 = outputs[1]["output"]["ranking"].as_array().unwrap().clone();
    let row = |id: &Value| lot2.iter().find(|r| r["bid_id"] == *id).unwrap().clone();
    assert_eq!(
        row(&r2_micro["bid_id"])["preference"],
        "small_micro_deduction"
    );
    assert_eq!(row(&r2_micro["bid_id"])["evaluated_price"], "1748000.00");
    let cons = row(&r2_consortium["bid_id"]);
    assert_eq!(
        (cons["preference"].as_str(), cons["sme"].as_bool()),
        (Some("consortium_deduction"), Some(true))
    );
    assert_eq!(cons["effective_scale"], "medium");
    assert_eq!(cons["evaluated_price"], "1911000.00");
    assert_eq!(row(&r2_bj["bid_id"])["preference"], "none");
    assert_eq!(cons["rank"], 1, "{lot2:?}");
}

/// An evaluated project: the result waits for every lot's award; the result notice, contracts
/// with their SME credits (视同中小企业), the contracted state and OCDS packages that validate.
#[actix_web::test]
async fn an_evaluated_project_is_awarded_published_contracted_and_in_ocds() {
    let app = spawn_app().await;
    let Evaluated { t, lot1 } = evaluated(&app).await;
    let Tender {
        s,
        project_id,
        r2_consortium,
        ..
    } = t;
    let lot1_winner = lot1
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rank"] == 1)
        .unwrap()["bid_id"]
        .clone();
    // Award, publish the result, sign the contracts.
    let res = app
        .post(
            &format!("/api/v1/projects/{project_id}/result"),
            Some(&s.agency),
            &json!({}),
        )
        .await;
    problem(res, 409).await;
    for lot in [&s.reserved_lot, &s.open_lot] {
        let awarded = json_of(
            app.post(
                &format!("/api/v1/lots/{lot}/award"),
                Some(&s.agency),
                &json!({}),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(awarded["state"], "awarded");
    }
    let notice = json_of(
        app.post(
            &format!("/api/v1/projects/{project_id}/result"),
            Some(&s.agency),
            &json!({}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(notice["kind"], "result");
    let lots = notice["body"]["lots"].as_array().unwrap();
    assert_eq!(lots[1]["winner"]["bid_id"], r2_consortium["bid_id"]);
    assert_eq!(lots[1]["winner"]["amount"], "1950000.00");
    let parties = lots[1]["winner"]["parties"].as_array().unwrap();
    assert_eq!(
        (
            parties[0]["declared_scale"].as_str(),
            parties[1]["declared_scale"].as_str()
        ),
        (Some("large"), Some("small"))
    );
    assert_eq!(lots[0]["winner"]["bid_id"], lot1_winner);
    assert!(
        lots[0]["ranking"][0]["explanation"]
            .as_array()
            .unwrap()
            .len()
            > 2
    );
    // A published notice never changes, even behind the service's back.
    {
        use diesel::RunQueryDsl;
        let mut conn = app.pool.get().unwrap();
        let edit = diesel::sql_query("UPDATE notices SET title = 'x'").execute(&mut conn);
        assert!(edit.is_err(), "the database refuses to change a notice");
    }

    let res = app
        .post(
            &format!("/api/v1/lots/{}/contract", s.open_lot),
            Some(&s.agency),
            &json!({"number": "KS-2026-001", "amount": "1950000.01", "signed_on": "2026-03-28"}),
        )
        .await;
    assert_eq!(problem_fields(&problem(res, 422).await), ["amount"]);
    let c2 = json_of(
        app.post(
            &format!("/api/v1/lots/{}/contract", s.open_lot),
            Some(&s.agency),
            &json!({"number": "KS-2026-001", "amount": "1950000.00", "signed_on": "2026-03-28"}),
        )
        .await,
        201,
    )
    .await;
    // 视同中小企业: the whole amount is SME-credited; the small member's 30 % is small/micro.
    assert_eq!(
        (c2["sme_credit"].as_str(), c2["small_micro_credit"].as_str()),
        (Some("1950000.00"), Some("585000.00"))
    );
    let res = app
        .post(
            &format!("/api/v1/lots/{}/contract", s.reserved_lot),
            Some(&s.agency),
            &json!({"number": "KS-2026-001", "amount": "900000.00", "signed_on": "2026-03-28"}),
        )
        .await;
    problem(res, 409).await;
    let winner_price = lot1
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rank"] == 1)
        .unwrap()["price"]
        .as_str()
        .unwrap()
        .to_string();
    let c1 = json_of(
        app.post(
            &format!("/api/v1/lots/{}/contract", s.reserved_lot),
            Some(&s.agency),
            &json!({"number": "KS-2026-002", "amount": winner_price, "signed_on": "2026-03-28"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(
        c1["sme_credit"],
        winner_price.as_str(),
        "an SME winner credits the whole amount"
    );
    let view = json_of(
        app.get(&format!("/api/v1/projects/{project_id}"), None)
            .await,
        200,
    )
    .await;
    assert_eq!(view["state"], "contracted");
    assert_eq!(
        json_of(
            app.get(&format!("/api/v1/projects/{project_id}/contracts"), None)
                .await,
            200
        )
        .await
        .as_array()
        .unwrap()
        .len(),
        2
    );

    // OCDS: the project's package and the bulk package validate against the 1.1.5 schemas.
    let package = json_of(
        app.get(&format!("/api/v1/projects/{project_id}/ocds"), None)
            .await,
        200,
    )
    .await;
    crate::ocds::assert_valid_package(&package);
    let release = &package["releases"][0];
    assert_eq!(release["tag"], json!(["tender", "award", "contract"]));
    assert_eq!(release["tender"]["lots"][0]["suitability"]["sme"], true);
    assert!(release["tender"]["lots"][1].get("suitability").is_none());
    assert_eq!(release["bids"]["statistics"][0]["value"], 3);
    let hotan = release["parties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["identifier"]["id"] == s.hotan_small.1.as_str())
        .unwrap();
    assert_eq!(hotan["details"]["scale"], "small");
    assert!(hotan["roles"]
        .as_array()
        .unwrap()
        .contains(&json!("supplier")));
    assert_eq!(release["contracts"].as_array().unwrap().len(), 2);
    let bulk = json_of(
        app.get("/api/v1/ocds/releases?from=2026-03-01", None).await,
        200,
    )
    .await;
    crate::ocds::assert_valid_package(&bulk);
    assert_eq!(bulk["releases"].as_array().unwrap().len(), 1);
    let _ = (
        s.agency_id,
        &s.small.0,
        &s.micro.0,
        &s.medium.0,
        &s.xj_large.0,
        &s.hotan_small.0,
        &s.bj_large.0,
    );
}

/// Every GET route, as every role (and the bid's own supplier), before the opening: no price,
/// no share, no bid content anywhere.
#[actix_web::test]
async fn before_the_opening_no_route_shows_a_price_or_a_bid() {
    let app = spawn_app().await;
    let s = scenario(&app).await;
    let project_id = s.project["id"].as_str().unwrap().to_string();
    let micro = app.supplier_token(&s.micro.1).await;
    let xj_large = app.supplier_token(&s.xj_large.1).await;
    let secret_price = "987654.32";
    let r1 = bid(
        &app,
        &micro,
        &s.reserved_lot,
        json!({"price": secret_price}),
    )
    .await;
    let r2 = bid(
        &app,
        &xj_large,
        &s.open_lot,
        json!({"price": "1876543.21", "related_parties": false,
               "consortium": [{"credit_code": s.xj_large.1, "share_pct": 61.5}, {"credit_code": s.hotan_small.1, "share_pct": 38.5}]}),
    )
    .await;
    let (_, admin) = app.user_with_token("admin").await;
    let (_, auditor) = app.user_with_token("auditor").await;
    let (_, other_supplier) = app.user_with_token("supplier").await;
    let (_, other_agency) = app.user_with_token("agency").await;
    let callers: Vec<(&str, Option<&str>)> = vec![
        ("anonymous", None),
        ("admin", Some(&admin)),
        ("auditor", Some(&auditor)),
        ("owning agency", Some(&s.agency)),
        ("other agency", Some(&other_agency)),
        ("bidding supplier", Some(&micro)),
        ("consortium lead", Some(&xj_large)),
        ("other supplier", Some(&other_supplier)),
    ];
    let forbidden = [
        secret_price,
        "98765432",
        "1876543.21",
        "187654321",
        "61.5",
        "38.5",
        "share_pct",
        "\"canonical\"",
    ];
    // Deadline passed, opening not yet: the sealed window.
    for (phase, advance) in [
        ("open for bids", Duration::zero()),
        (
            "closed",
            Duration::days(18) + Duration::hours(23) + Duration::minutes(45),
        ),
    ] {
        app.clock.advance(advance);
        let mut checked = 0;
        // The API description documents field names such as share_pct; it holds no bid.
        for route in ROUTES
            .iter()
            .filter(|r| r.method == "GET" && !["/openapi.json", "/docs"].contains(&r.path))
        {
            let ids: Vec<&str> = match route.path {
                p if p.starts_with("/api/v1/projects/") => vec![&project_id],
                p if p.starts_with("/api/v1/lots/") => vec![&s.reserved_lot, &s.open_lot],
                p if p.starts_with("/api/v1/bids/") => vec![
                    r1["bid_id"].as_str().unwrap(),
                    r2["bid_id"].as_str().unwrap(),
                ],
                p if p.contains("{id}") => vec!["none"],
                _ => vec![""],
            };
            for id in ids {
                let path = route.path.replace("{id}", id);
                for (who, token) in &callers {
                    let res = app.send(Method::GET, &path, *token, None).await;
                    let status = res.status().as_u16();
                    let text = res.text().await.unwrap();
                    for secret in forbidden {
                        assert!(!text.contains(secret), "{who} read {secret:?} through GET {path} ({status}) while {phase}: {text}");
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 200, "{checked}");
    }
    // Writes cannot read either: a failing replacement answers without content.
    let res = app
        .put(
            &format!("/api/v1/bids/{}", r1["bid_id"].as_str().unwrap()),
            Some(&micro),
            &json!({"price": "1"}),
        )
        .await;
    let text = res.text().await.unwrap();
    assert!(!text.contains(secret_price), "{text}");
    // And after the opening, the staff read them.
    app.clock.advance(Duration::hours(1));
    app.open_lots().await;
    let res = app
        .get(
            &format!("/api/v1/bids/{}", r1["bid_id"].as_str().unwrap()),
            Some(&auditor),
        )
        .await;
    assert!(json_of(res, 200).await["price"] == secret_price);
}

#[actix_web::test]
async fn bad_input_names_every_field_and_changes_nothing() {
    let app = spawn_app().await;
    let (_, agency) = app.agency_token().await;
    // A project with many mistakes at once.
    let mut body = project_body();
    body["category_code"] = json!("B01");
    body["procurement_method"] = json!("auction");
    body["evaluation"]["weights"] = json!({"price": 70, "technical": 20, "commercial": 10});
    body["evaluation"]["price_deduction_pct"] = json!(25);
    body["budget"] = json!(3000000);
    body["reservation"] = json!("none");
    body["opening_at"] = json!("2026-03-19T10:00:00+08:00");
    body["lots"][1]["budget"] = json!("-5");
    let res = app.post("/api/v1/projects", Some(&agency), &body).await;
    let fields = problem_fields(&problem(res, 422).await);
    for f in [
        "category_code",
        "procurement_method",
        "evaluation.weights.price",
        "evaluation.price_deduction_pct",
        "budget",
        "reservation_reason",
        "opening_at",
        "lots[0].reserved",
        "lots[1].budget",
    ] {
        assert!(fields.iter().any(|x| x == f), "{f} not named in {fields:?}");
    }
    let page = json_of(app.get("/api/v1/projects", Some(&agency)).await, 200).await;
    assert!(
        page["items"].as_array().unwrap().is_empty(),
        "nothing was written"
    );
    // A budget that the lots do not add up to.
    let mut body = project_body();
    body["budget"] = json!("3000000.01");
    let res = app.post("/api/v1/projects", Some(&agency), &body).await;
    assert_eq!(problem_fields(&problem(res, 422).await), ["budget"]);

    // Publication of a draft whose deadline has passed.
    let mut body = project_body();
    body["bid_deadline"] = json!("2026-02-01T10:00:00+08:00");
    let draft = json_of(
        app.post("/api/v1/projects", Some(&agency), &body).await,
        201,
    )
    .await;
    let id = draft["id"].as_str().unwrap();
    let res = app
        .post(
            &format!("/api/v1/projects/{id}/publish"),
            Some(&agency),
            &json!({}),
        )
        .await;
    assert_eq!(problem_fields(&problem(res, 422).await), ["bid_deadline"]);
    let back = json_of(
        app.get(&format!("/api/v1/projects/{id}"), Some(&agency))
            .await,
        200,
    )
    .await;
    assert_eq!(
        (back["state"].as_str(), back["policy_version"].as_str()),
        (Some("draft"), None)
    );
    assert!(
        json_of(app.get("/api/v1/notices", None).await, 200).await["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Drafts are invisible to the public.
    problem(app.get(&format!("/api/v1/projects/{id}"), None).await, 404).await;

    // Bids with bad fields: nothing is submitted.
    let s = scenario(&app).await;
    let small = app.supplier_token(&s.small.1).await;
    let res = app
        .post(&format!("/api/v1/lots/{}/bids", s.open_lot), Some(&small),
              &json!({"price": 1000000.5, "consortium": [{"credit_code": s.small.1, "share_pct": 60}, {"credit_code": "91650000XXXXXXXXXX", "share_pct": 30}],
                      "subcontracts": [{"credit_code": s.micro.1, "share_pct": 0}], "goods_manufacturers": [{"product_id": 999}]}))
        .await;
    let fields = problem_fields(&problem(res, 422).await);
    for f in [
        "price",
        "consortium[1].credit_code",
        "related_parties",
        "subcontracts[0].share_pct",
        "goods_manufacturers[0]",
    ] {
        assert!(fields.iter().any(|x| x == f), "{f} not named in {fields:?}");
    }
    let res = app
        .post(&format!("/api/v1/lots/{}/bids", s.open_lot), Some(&small),
              &json!({"price": "100", "related_parties": false, "consortium": [{"credit_code": s.small.1, "share_pct": 60}, {"credit_code": s.micro.1, "share_pct": 30}]}))
        .await;
    assert_eq!(problem_fields(&problem(res, 422).await), ["consortium"]);
    let view = json_of(
        app.get(
            &format!("/api/v1/projects/{}", s.project["id"].as_str().unwrap()),
            Some(&s.agency),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(view["lots"][1]["bid_count"], 0);
    // An unknown field is named too.
    let res = app
        .post(
            &format!("/api/v1/lots/{}/bids", s.open_lot),
            Some(&small),
            &json!({"price": "100", "pricee": "1"}),
        )
        .await;
    assert_eq!(problem_fields(&problem(res, 422).await), ["pricee"]);

    // A correction with a deadline in the past changes nothing.
    let pid = s.project["id"].as_str().unwrap();
    let res = app
        .post(
            &format!("/api/v1/projects/{pid}/corrections"),
            Some(&s.agency),
            &json!({"text": "延期", "bid_deadline": "2026-02-01T00:00:00+08:00"}),
        )
        .await;
    assert_eq!(problem_fields(&problem(res, 422).await), ["bid_deadline"]);
    let back = json_of(app.get(&format!("/api/v1/projects/{pid}"), None).await, 200).await;
    assert_eq!(back["bid_deadline"], s.project["bid_deadline"]);

    // Scores and qualification after the opening: bad entries write nothing.
    let b = bid(&app, &small, &s.open_lot, json!({"price": "1000000.00"})).await;
    app.clock.advance(Duration::days(21));
    app.open_lots().await;
    let lot = &s.open_lot;
    let res = app
        .post(&format!("/api/v1/lots/{lot}/scores"), Some(&s.agency),
              &json!({"evaluator": "专家A", "scores": [{"bid_id": b["bid_id"], "technical": 51, "commercial": 10}, {"bid_id": "nope", "technical": 1, "commercial": 1}]}))
        .await;
    assert_eq!(
        problem_fields(&problem(res, 422).await),
        ["scores[0].technical", "scores[1].bid_id"]
    );
    let res = app
        .post(
            &format!("/api/v1/lots/{lot}/qualification"),
            Some(&s.agency),
            &json!({"results": [{"bid_id": b["bid_id"], "qualified": false}]}),
        )
        .await;
    assert_eq!(
        problem_fields(&problem(res, 422).await),
        ["results[0].reason"]
    );
    let back = json_of(
        app.get(&format!("/api/v1/lots/{lot}/bids"), Some(&s.agency))
            .await,
        200,
    )
    .await;
    assert!(back["bids"][0]["scores"].as_array().unwrap().is_empty());
    assert!(back["bids"][0]["qualified"].is_null());
}

#[actix_web::test]
async fn the_timeline_moves_only_by_correction_and_states_refuse_wrong_steps() {
    let app = spawn_app().await;
    let s = scenario(&app).await;
    let pid = s.project["id"].as_str().unwrap();
    // Publishing twice, editing a published project: 409 saying why.
    let res = app
        .post(
            &format!("/api/v1/projects/{pid}/publish"),
            Some(&s.agency),
            &json!({}),
        )
        .await;
    assert!(problem(res, 409).await["detail"]
        .as_str()
        .unwrap()
        .contains("published"));
    let res = app
        .put(
            &format!("/api/v1/projects/{pid}"),
            Some(&s.agency),
            &project_body(),
        )
        .await;
    assert_eq!(problem(res, 409).await["code"], "wrong_state");
    // Another agency may not touch it.
    let (_, other) = app.agency_token().await;
    problem(
        app.post(
            &format!("/api/v1/projects/{pid}/corrections"),
            Some(&other),
            &json!({"text": "x"}),
        )
        .await,
        403,
    )
    .await;

    // A correction notice moves the deadline by two days and points at the procurement notice.
    let correction = json_of(
        app.post(&format!("/api/v1/projects/{pid}/corrections"), Some(&s.agency),
                 &json!({"text": "投标截止时间顺延两天", "bid_deadline": "2026-03-22T09:30:00+08:00", "opening_at": "2026-03-22T10:00:00+08:00"}))
            .await,
        201,
    )
    .await;
    let notices = json_of(
        app.get(&format!("/api/v1/notices?project_id={pid}"), None)
            .await,
        200,
    )
    .await;
    let items = notices["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["kind"], "correction");
    assert_eq!(correction["corrects_id"], items[1]["id"]);
    assert_eq!(
        correction["body"]["bid_deadline"]["after"],
        "2026-03-22T01:30:00Z"
    );

    // The old deadline passes: bids are still accepted, replaced and withdrawn.
    app.clock.advance(Duration::days(20));
    let medium = app.supplier_token(&s.medium.1).await;
    let r = bid(&app, &medium, &s.reserved_lot, json!({"price": "900000"})).await;
    let res = app
        .post(
            &format!("/api/v1/lots/{}/bids", s.reserved_lot),
            Some(&medium),
            &json!({"price": "1"}),
        )
        .await;
    let refused = problem(res, 409).await;
    assert_eq!(refused["code"], "duplicate_bid");
    assert!(refused["detail"]
        .as_str()
        .unwrap()
        .contains("already has a bid"));
    let w = json_of(
        app.post(
            &format!("/api/v1/bids/{}/withdraw", r["bid_id"].as_str().unwrap()),
            Some(&medium),
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(w["state"], "withdrawn");
    let r = bid(&app, &medium, &s.reserved_lot, json!({"price": "910000"})).await;
    // Another supplier cannot see or touch it.
    let small = app.supplier_token(&s.small.1).await;
    problem(
        app.get(
            &format!("/api/v1/bids/{}", r["bid_id"].as_str().unwrap()),
            Some(&small),
        )
        .await,
        404,
    )
    .await;
    problem(
        app.post(
            &format!("/api/v1/bids/{}/withdraw", r["bid_id"].as_str().unwrap()),
            Some(&small),
            &json!({}),
        )
        .await,
        404,
    )
    .await;

    // Past the new deadline and opening: one SME bid on the reserved lot → the lot fails.
    app.clock.advance(Duration::days(2) + Duration::hours(1));
    app.open_lots().await;
    let lot = &s.reserved_lot;
    json_of(
        app.post(
            &format!("/api/v1/lots/{lot}/qualification"),
            Some(&s.agency),
            &json!({"results": [{"bid_id": r["bid_id"], "qualified": true}]}),
        )
        .await,
        200,
    )
    .await;
    json_of(app.post(&format!("/api/v1/lots/{lot}/scores"), Some(&s.agency),
                     &json!({"evaluator": "专家A", "scores": [{"bid_id": r["bid_id"], "technical": 40, "commercial": 15}]})).await, 200).await;
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
    assert_eq!(run["outcome"], "failed");
    assert!(run["output"]["failure_reason"]
        .as_str()
        .unwrap()
        .contains("fewer than 3"));
    // xinjiang-2011 has no re-run without the reservation.
    let res = app
        .post(
            &format!("/api/v1/lots/{lot}/evaluate"),
            Some(&s.agency),
            &json!({"unreserved": true}),
        )
        .await;
    problem(res, 409).await;
    let res = app
        .post(
            &format!("/api/v1/lots/{lot}/award"),
            Some(&s.agency),
            &json!({}),
        )
        .await;
    problem(res, 409).await;
    // The other lot has no bids: it fails too; the project ends with a failure notice.
    let run2 = json_of(
        app.post(
            &format!("/api/v1/lots/{}/evaluate", s.open_lot),
            Some(&s.agency),
            &json!({}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(run2["outcome"], "failed");
    let notice = json_of(
        app.post(
            &format!("/api/v1/projects/{pid}/result"),
            Some(&s.agency),
            &json!({}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(notice["kind"], "failure");
    let view = json_of(app.get(&format!("/api/v1/projects/{pid}"), None).await, 200).await;
    assert_eq!(view["state"], "failed");
    let res = app
        .post(
            &format!("/api/v1/lots/{lot}/contract"),
            Some(&s.agency),
            &json!({"number": "X", "amount": "1", "signed_on": "2026-04-01"}),
        )
        .await;
    problem(res, 409).await;
}

/// national-2020: a reserved lot with too few eligible SME bids fails, and may be re-run
/// without the reservation; the re-run applies the deductions and is stored as run 2.
#[actix_web::test]
async fn a_failed_reserved_lot_is_re_run_unreserved_where_the_profile_allows() {
    let app = spawn_app().await;
    let (_, agency) = app.agency_token().await;
    let mut body = project_body();
    body["policy"] = json!("national-2020");
    body["evaluation"] = json!({"method": "lowest_price"});
    body["budget"] = json!("1000000");
    body["reservation"] = json!("whole");
    body["lots"] = json!([{"title": "打印机", "budget": "1000000"}]);
    let draft = json_of(
        app.post("/api/v1/projects", Some(&agency), &body).await,
        201,
    )
    .await;
    let (pid, lot) = (
        draft["id"].as_str().unwrap().to_string(),
        draft["lots"][0]["id"].as_str().unwrap().to_string(),
    );
    app.publish(&pid, &agency).await;
    let (_, big_maker) = app.create_firm("大型打印机制造股份有限公司", "440305", "large");
    let mut ids = Vec::new();
    for (i, (name, scale, price)) in [
        ("甲小型公司", "small", "900000"),
        ("乙微型公司", "micro", "950000"),
        ("丙小型公司", "small", "800000"),
    ]
    .into_iter()
    .enumerate()
    {
        let (_, code) = app.create_firm(name, "650102", scale);
        let token = app.supplier_token(&code).await;
        // The third sells goods made by a large firm: an SME bidder, but not an SME bid.
        let makers = if i == 2 {
            json!([{"credit_code": big_maker}])
        } else {
            json!([])
        };
        ids.push(
            bid(
                &app,
                &token,
                &lot,
                json!({"price": price, "goods_manufacturers": makers}),
            )
            .await["bid_id"]
                .clone(),
        );
    }
    app.clock.advance(Duration::days(21));
    app.open_lots().await;
    let results: Vec<Value> = ids
        .iter()
        .map(|b| json!({"bid_id": b, "qualified": true}))
        .collect();
    json_of(
        app.post(
            &format!("/api/v1/lots/{lot}/qualification"),
            Some(&agency),
            &json!({"results": results}),
        )
        .await,
        200,
    )
    .await;
    let first = json_of(
        app.post(
            &format!("/api/v1/lots/{lot}/evaluate"),
            Some(&agency),
            &json!({}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(first["outcome"], "failed");
    assert_eq!(first["output"]["rerun_unreserved_allowed"], true);
    assert_eq!(first["output"]["excluded"][0]["bid_id"], ids[2]);
    let second = json_of(
        app.post(
            &format!("/api/v1/lots/{lot}/evaluate"),
            Some(&agency),
            &json!({"unreserved": true}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(
        (second["run_no"].as_i64(), second["reserved"].as_bool()),
        (Some(2), Some(false))
    );
    assert_eq!(second["outcome"], "ranked");
    let ranking = second["output"]["ranking"].as_array().unwrap();
    assert_eq!(ranking.len(), 3);
    // Unreserved, the small firms' 6–10 % deduction applies (national-2020 default rate).
    assert!(ranking
        .iter()
        .filter(|r| r["bid_id"] != ids[2])
        .all(|r| r["preference"] == "small_micro_deduction"));
    let view = json_of(app.get(&format!("/api/v1/projects/{pid}"), None).await, 200).await;
    assert_eq!(
        (
            view["lots"][0]["reserved"].as_bool(),
            view["lots"][0]["reservation_lifted"].as_bool()
        ),
        (Some(false), Some(true))
    );
    let runs = json_of(
        app.get(&format!("/api/v1/lots/{lot}/evaluations"), Some(&agency))
            .await,
        200,
    )
    .await;
    assert_eq!(runs.as_array().unwrap().len(), 2);
    // Once lifted, there is nothing left to lift.
    let res = app
        .post(
            &format!("/api/v1/lots/{lot}/evaluate"),
            Some(&agency),
            &json!({"unreserved": true}),
        )
        .await;
    problem(res, 409).await;
}
