//! Deny by default, proved route by route: every entry of the access table is called by an
//! anonymous caller and by each role; allowed callers get past authorization, the others get
//! 401 (anonymous) or 403.

use crate::helpers::*;
use reqwest::Method;
use serde_json::json;
use smeproc::api::ROUTES;
use smeproc::domain::role::Role;

#[actix_web::test]
async fn every_route_admits_exactly_its_roles() {
    let app = spawn_app().await;
    let target = app.create_user("target-user", "auditor");
    let mut callers: Vec<(Option<Role>, Option<String>)> = vec![(None, None)];
    let mut supplier_id = String::new();
    for role in Role::ALL {
        let (id, token) = app.user_with_token(role.as_str()).await;
        if role == Role::Supplier {
            supplier_id = id;
        }
        callers.push((Some(role), Some(token)));
    }
    // Path ids that exist: the supplier's own enterprise and one of its letters, so that
    // allowed callers get past ownership checks and find the record.
    let mut conn = app.pool.get().unwrap();
    let user = smeproc::db::users::find_by_id(&mut conn, &supplier_id)
        .unwrap()
        .unwrap();
    let enterprise = user.enterprise_id.unwrap();
    let letter: smeproc::service::registry::DeclarationRequest = serde_json::from_value(json!({
        "year": 2025, "declared_on": "2026-01-15", "declared_scale": "small",
        "industry": "software", "employees": 50, "revenue_wan": "800"
    }))
    .unwrap();
    let declaration = smeproc::service::registry::declare(
        &mut conn,
        &app.clock,
        smeproc::service::audit::CLI,
        &enterprise,
        &letter,
    )
    .unwrap()
    .id;
    let product: smeproc::service::catalogue::ProductInput = serde_json::from_value(json!({
        "sku": "ACCESS-1", "name": "激光打印机", "category_code": "A020201", "unit": "台",
        "price": "1200.00"
    }))
    .unwrap();
    let product = smeproc::service::catalogue::create(
        &mut conn,
        &app.clock,
        &smeproc::service::Actor::Supplier {
            enterprise_id: &enterprise,
            user_id: smeproc::service::audit::CLI,
        },
        &product,
    )
    .unwrap()
    .id
    .to_string();
    drop(conn);
    // A project of the agency caller, taken to its contract, with a bid of the supplier caller.
    let token_of = |role: Role| {
        callers
            .iter()
            .find(|(r, _)| *r == Some(role))
            .and_then(|(_, t)| t.clone())
            .unwrap()
    };
    let done =
        crate::fixtures::concluded(&app, &token_of(Role::Agency), &token_of(Role::Supplier)).await;
    // Remedies of that project: the supplier caller's challenge to the result with its
    // evidence, answered, then its complaint; a debarment of another firm.
    let challenge =
        json!({"kind": "result", "lot_id": done.lot, "facts": "事实", "grounds": "依据",
                           "requests": "请求"})
        .to_string();
    let evidence = crate::documents::file_of(b"%PDF-1.4\n", 2000, 5);
    let filed = json_of(
        crate::documents::send_multipart(
            &app,
            Method::POST,
            &format!("/api/v1/projects/{}/challenges", done.project),
            &token_of(Role::Supplier),
            &[
                ("challenge", None, challenge.as_bytes()),
                ("evidence", Some("证据.pdf"), &evidence),
            ],
        )
        .await,
        201,
    )
    .await;
    let challenge_id = filed["id"].as_str().unwrap().to_string();
    let remedy_document = filed["documents"][0]["id"].as_str().unwrap().to_string();
    json_of(
        app.post(
            &format!("/api/v1/challenges/{challenge_id}/answer"),
            Some(&token_of(Role::Agency)),
            &json!({"finding": "dismissed", "text": "不成立"}),
        )
        .await,
        200,
    )
    .await;
    let complaint_id = json_of(
        app.post(
            &format!("/api/v1/challenges/{challenge_id}/complaint"),
            Some(&token_of(Role::Supplier)),
            &json!({"facts": "事实", "grounds": "依据", "requests": "请求"}),
        )
        .await,
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, barred) = app.create_firm("被列入不良行为记录的企业", "653101", "small");
    let debarment_id = json_of(
        app.post(
            "/api/v1/debarments",
            Some(&token_of(Role::Finance)),
            &json!({"credit_code": barred, "reason": "collusion", "years": 1, "text": "串通投标"}),
        )
        .await,
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Payments of the contract: a schedule of two instalments; the first delivered (with a
    // file) and paid, the second reported unpaid by the supplier.
    let schedule = json_of(
        app.send(
            Method::PUT,
            &format!("/api/v1/contracts/{}/schedule", done.contract),
            Some(&token_of(Role::Agency)),
            Some(&json!({"instalments": [
                {"kind": "progress", "amount": "450000", "runs_from": "delivery"},
                {"kind": "final", "amount": "450000", "runs_from": "acceptance", "acceptance_days": 10}
            ]})),
        )
        .await,
        200,
    )
    .await;
    let instalment = schedule["instalments"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let second = schedule["instalments"][1]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let delivered = json_of(
        crate::documents::send_multipart(
            &app,
            Method::POST,
            &format!("/api/v1/instalments/{instalment}/delivery"),
            &token_of(Role::Agency),
            &[
                (
                    "delivery",
                    None,
                    br#"{"delivered_on": "2026-03-01"}"#.as_slice(),
                ),
                ("evidence", Some("交货单.pdf"), &evidence),
            ],
        )
        .await,
        200,
    )
    .await;
    let payment_document = delivered["milestone_documents"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let paid = json_of(
        app.post(
            &format!("/api/v1/instalments/{instalment}/payments"),
            Some(&token_of(Role::Agency)),
            &json!({"amount": "450000", "paid_on": "2026-03-01", "reference": "ZF-1"}),
        )
        .await,
        201,
    )
    .await;
    let instalment_payment = paid["payments"][0]["id"].as_str().unwrap().to_string();
    let report = json_of(
        app.post(
            &format!("/api/v1/instalments/{second}/reports"),
            Some(&token_of(Role::Supplier)),
            &json!({"text": "尚未验收"}),
        )
        .await,
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut checked = 0;
    for route in ROUTES {
        let id = match route.path {
            p if p.contains("/users/") => target.as_str(),
            p if p.contains("/enterprises/") => enterprise.as_str(),
            p if p.contains("/declarations/") => declaration.as_str(),
            p if p.contains("/products/") => product.as_str(),
            p if p.contains("/projects/") => done.project.as_str(),
            p if p.contains("/lots/") => done.lot.as_str(),
            p if p.contains("/bids/") => done.bid.as_str(),
            p if p.contains("/notices/") => done.notice.as_str(),
            p if p.contains("/evaluations/") => done.run.as_str(),
            p if p.contains("/contracts/") => done.contract.as_str(),
            p if p.contains("/budget-plans/") || p.contains("/ledger/") => done.department.as_str(),
            p if p.contains("/subcontracts/") => done.subcontract.as_str(),
            p if p.contains("/payments/") => done.payment.as_str(),
            p if p.contains("/challenges/") => challenge_id.as_str(),
            p if p.contains("/complaints/") => complaint_id.as_str(),
            p if p.contains("/debarments/") => debarment_id.as_str(),
            p if p.contains("/remedy-documents/") => remedy_document.as_str(),
            p if p.contains("/instalments/") => instalment.as_str(),
            p if p.contains("/instalment-payments/") => instalment_payment.as_str(),
            p if p.contains("/payment-reports/") => report.as_str(),
            p if p.contains("/payment-documents/") => payment_document.as_str(),
            _ => "xinjiang-2011",
        };
        let document = if route.path.starts_with("/api/v1/projects/") {
            &done.project_document
        } else {
            &done.document
        };
        let path = route
            .path
            .replace("{id}", id)
            .replace("{year}", "2026")
            .replace("{document}", document);
        let method = Method::from_bytes(route.method.as_bytes()).unwrap();
        for (role, token) in &callers {
            // Logging out would spend the shared token: use a fresh one.
            let fresh;
            let token = match (route.path, role) {
                ("/api/v1/auth/logout", Some(r)) => {
                    fresh = app.user_with_token(r.as_str()).await.1;
                    Some(fresh.as_str())
                }
                _ => token.as_deref(),
            };
            let body = (route.method == "POST").then(|| json!({}));
            let res = app.send(method.clone(), &path, token, body.as_ref()).await;
            let status = res.status().as_u16();
            let allowed = route.access.allows(*role);
            let who = role.map_or("anonymous", |r| r.as_str());
            if allowed {
                // Past authorization, and the route exists: not 401/404/405, and not the access
                // table's 403 (a 403 from an ownership rule of the record itself is fine: one
                // supplier cannot be both the prime and the subcontractor of a payment).
                assert!(
                    ![401, 404, 405].contains(&status),
                    "{who} is allowed {} {} but got {status}",
                    route.method,
                    route.path
                );
                if status == 403 {
                    let body: serde_json::Value = res.json().await.unwrap();
                    let detail = body["detail"].as_str().unwrap_or_default();
                    assert!(
                        !detail.starts_with("role "),
                        "{who} refused by the access table on {} {}: {detail}",
                        route.method,
                        route.path
                    );
                }
            } else {
                let expected = if role.is_none() { 401 } else { 403 };
                assert_eq!(status, expected, "{who} on {} {}", route.method, route.path);
                problem(res, expected).await;
            }
            checked += 1;
        }
    }
    assert_eq!(checked, ROUTES.len() * (Role::ALL.len() + 1));
}

#[actix_web::test]
async fn auditors_read_but_do_not_change() {
    let app = spawn_app().await;
    let (_, auditor) = app.user_with_token("auditor").await;
    assert_eq!(app.get("/api/v1/orgs", Some(&auditor)).await.status(), 200);
    let res = app
        .post(
            "/api/v1/orgs",
            Some(&auditor),
            &json!({"kind": "agency", "name": "x"}),
        )
        .await;
    let body = problem(res, 403).await;
    assert!(body["detail"].as_str().unwrap().contains("auditor"));
}
