//! The pages' security rules over plain HTTP (the browser tests drive the pages themselves):
//! deny by default with the same roles as the API, the login cookie's flags, CSRF tokens on
//! every form, and a cookie never acting on the API.

use crate::helpers::*;
use reqwest::{Client, Response};
use smeproc::domain::role::Role;
use smeproc::web::PAGES;

/// A client that shows redirects instead of following them.
fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The visitor cookie these tests send. Forms written with `csrf={CSRF}` get the token the
/// server gives that visitor (or, logged in, that session) in its place.
pub(crate) const CSRF: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// The CSRF token the server puts in the forms of this visitor or session.
pub async fn real_csrf(app: &TestApp, token: Option<&str>) -> String {
    let mut cookies = vec![format!("smeproc_csrf={CSRF}")];
    if let Some(t) = token {
        cookies.push(format!("smeproc_session={t}"));
    }
    let path = if token.is_some() { "/" } else { "/login" };
    let html = client()
        .get(app.url(path))
        .header("cookie", cookies.join("; "))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let needle = "name=\"csrf\" value=\"";
    let at = html.find(needle).expect("a form with a CSRF field") + needle.len();
    html[at..at + 64].to_string()
}

pub(crate) async fn page(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    form: &str,
) -> Response {
    let form = if form.contains(CSRF) {
        form.replace(CSRF, &real_csrf(app, token).await)
    } else {
        form.to_string()
    };
    let form = form.as_str();
    raw_page(app, method, path, token, form, CSRF).await
}

/// A request with exactly this visitor cookie and form.
async fn raw_page(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    form: &str,
    visitor_cookie: &str,
) -> Response {
    let mut cookies = vec![format!("smeproc_csrf={visitor_cookie}")];
    if let Some(t) = token {
        cookies.push(format!("smeproc_session={t}"));
    }
    let req = match method {
        "GET" => client().get(app.url(path)),
        // The CSV upload is multipart: a file and no CSRF field.
        _ if path.ends_with("/upload") => client()
            .post(app.url(path))
            .header("content-type", "multipart/form-data; boundary=XyZ")
            .body(format!(
                "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.csv\"\r\n\
                 Content-Type: text/csv\r\n\r\nsupplier_credit_code,sku\r\n--XyZ--\r\n{form}"
            )),
        _ => client()
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_string()),
    };
    req.header("cookie", cookies.join("; "))
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn every_page_admits_exactly_its_roles_and_every_form_needs_its_csrf_token() {
    let app = spawn_app().await;
    let mut callers: Vec<(Option<Role>, Option<String>)> = vec![(None, None)];
    for role in Role::ALL {
        let (_, token) = app.user_with_token(role.as_str()).await;
        callers.push((Some(role), Some(token)));
    }
    let mut checked = 0;
    for spec in PAGES {
        // Product ids are numbers; the others UUIDs.
        let id = if spec.path.starts_with("/supplier/products/") {
            "1"
        } else {
            "00000000-0000-0000-0000-000000000000"
        };
        let path = spec.path.replace("{id}", id).replace("{year}", "2026");
        for (role, token) in &callers {
            // Without the CSRF field: what the access rule says, then the CSRF refusal.
            let res = page(&app, spec.method, &path, token.as_deref(), "").await;
            let status = res.status().as_u16();
            let location = res
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_string());
            let body = res.text().await.unwrap();
            let what = format!("{} {path} as {role:?}: {status} {location:?}", spec.method);
            if spec.access.allows(*role) {
                assert!(
                    !(status == 303
                        && location
                            .as_deref()
                            .is_some_and(|l| l.starts_with("/login?"))),
                    "{what}: allowed but sent to the login form"
                );
                assert!(
                    !body.contains("无权进行此操作"),
                    "{what}: allowed but refused\n{body}"
                );
                if spec.method == "POST" {
                    assert_eq!(status, 403, "{what}: a form without its CSRF token");
                    assert!(body.contains("CSRF"), "{what}\n{body}");
                }
            } else if role.is_none() {
                assert_eq!(status, 303, "{what}");
                assert!(location.unwrap().starts_with("/login?next="), "{what}");
            } else {
                assert_eq!(status, 403, "{what}");
                assert!(
                    body.contains("无权进行此操作") && body.contains("<html"),
                    "{what}\n{body}"
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, PAGES.len() * (Role::ALL.len() + 1));
}

#[actix_web::test]
async fn a_form_without_its_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let (firm, code) = app.create_firm("喀什小微企业", "653101", "micro");
    let token = app.supplier_token(&code).await;
    let letter = "year=2025&declared_on=2026-01-15&declared_scale=micro&industry=industry&employees=9&revenue_wan=150";
    let count = |app: &TestApp| {
        let mut conn = app.pool.get().unwrap();
        smeproc::db::enterprises::declarations_of(&mut conn, &firm)
            .unwrap()
            .len()
    };
    // No token field; then a token that is not the cookie's.
    for form in [
        letter.to_string(),
        format!("{letter}&csrf={}", "f".repeat(64)),
    ] {
        let res = page(&app, "POST", "/supplier/declarations", Some(&token), &form).await;
        assert_eq!(res.status(), 403);
        assert!(res.text().await.unwrap().contains("CSRF"));
        assert_eq!(count(&app), 0);
    }
    // With it: saved.
    let res = page(
        &app,
        "POST",
        "/supplier/declarations",
        Some(&token),
        &format!("{letter}&csrf={CSRF}"),
    )
    .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    assert_eq!(count(&app), 1);
    // A bad field is named beside the form and nothing is saved.
    let res = page(
        &app,
        "POST",
        "/supplier/declarations",
        Some(&token),
        &format!(
            "{}&csrf={CSRF}",
            letter.replace("employees=9", "employees=nine")
        ),
    )
    .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("employees"));
    assert_eq!(count(&app), 1);
}

/// The old double-submit check passed any cookie and field that matched; now a token is the
/// server's HMAC of the session (or visitor cookie): a pair chosen by an attacker, a token of
/// another session or of the visitor before login, all fail.
#[actix_web::test]
async fn a_csrf_token_is_bound_to_its_session() {
    let app = spawn_app().await;
    let (firm, code) = app.create_firm("喀什小微企业", "653101", "micro");
    let token = app.supplier_token(&code).await;
    let other = app.supplier_token(&code).await;
    let letter = "year=2025&declared_on=2026-01-15&declared_scale=micro&industry=industry&employees=9&revenue_wan=150";
    let count = |app: &TestApp| {
        let mut conn = app.pool.get().unwrap();
        smeproc::db::enterprises::declarations_of(&mut conn, &firm)
            .unwrap()
            .len()
    };
    let chosen = "a".repeat(64);
    let others = real_csrf(&app, Some(&other)).await;
    let visitors = real_csrf(&app, None).await;
    for (what, cookie, field) in [
        ("attacker-chosen pair", chosen.as_str(), chosen.as_str()),
        ("another session's token", CSRF, others.as_str()),
        ("the visitor's token", CSRF, visitors.as_str()),
    ] {
        let form = format!("{letter}&csrf={field}");
        let res = raw_page(
            &app,
            "POST",
            "/supplier/declarations",
            Some(&token),
            &form,
            cookie,
        )
        .await;
        assert_eq!(res.status(), 403, "{what}");
        assert_eq!(count(&app), 0, "{what}");
    }
    let own = real_csrf(&app, Some(&token)).await;
    let form = format!("{letter}&csrf={own}");
    let res = raw_page(
        &app,
        "POST",
        "/supplier/declarations",
        Some(&token),
        &form,
        &chosen,
    )
    .await;
    assert_eq!(
        res.status(),
        303,
        "the session's own token, whatever the visitor cookie"
    );
    assert_eq!(count(&app), 1);
}

#[actix_web::test]
async fn another_roles_or_agencys_page_answers_403() {
    let app = spawn_app().await;
    let (_, code) = app.create_firm("乌鲁木齐软件公司", "650102", "small");
    let supplier = app.supplier_token(&code).await;
    let res = page(&app, "GET", "/finance", Some(&supplier), "").await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("无权访问"));
    // Another agency's project.
    let (_, owner) = app.agency_token().await;
    let (_, other) = app.agency_token().await;
    let res = app
        .post(
            "/api/v1/projects",
            Some(&owner),
            &crate::fixtures::project_body(),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let project: serde_json::Value = res.json().await.unwrap();
    let path = format!("/agency/projects/{}", project["id"].as_str().unwrap());
    assert_eq!(
        page(&app, "GET", &path, Some(&owner), "").await.status(),
        200
    );
    let res = page(&app, "GET", &path, Some(&other), "").await;
    assert!(
        matches!(res.status().as_u16(), 403 | 404),
        "{}",
        res.status()
    );
    let lot = format!(
        "/agency/lots/{}",
        project["lots"][0]["id"].as_str().unwrap()
    );
    assert_eq!(
        page(&app, "GET", &lot, Some(&other), "").await.status(),
        403
    );
}

#[actix_web::test]
async fn login_sets_a_secure_httponly_cookie_that_the_api_ignores() {
    let app = spawn_app().await;
    app.create_user("clerk", "auditor");
    // Wrong password: the form again, 401, no session.
    let res = page(
        &app,
        "POST",
        "/login",
        None,
        &format!("username=clerk&password=nope&csrf={CSRF}"),
    )
    .await;
    assert_eq!(res.status(), 401);
    assert!(res.headers().get("set-cookie").is_none());
    // A foreign `next` is not followed.
    let form = format!(
        "username=clerk&password={}&next=%2F%2Fevil.example%2F&csrf={CSRF}",
        PASSWORD.replace(' ', "+")
    );
    let res = page(&app, "POST", "/login", None, &form).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/finance");
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    for flag in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} missing: {cookie}");
    }
    let token = cookie
        .split(';')
        .next()
        .unwrap()
        .strip_prefix("smeproc_session=")
        .unwrap()
        .to_string();
    assert_eq!(
        page(&app, "GET", "/finance", Some(&token), "")
            .await
            .status(),
        200
    );
    // The API wants the bearer token: the cookie alone is anonymous there.
    let res = client()
        .get(app.url("/api/v1/me"))
        .header("cookie", format!("smeproc_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // Logging out revokes the session.
    let res = page(
        &app,
        "POST",
        "/logout",
        Some(&token),
        &format!("csrf={CSRF}"),
    )
    .await;
    assert_eq!(res.status(), 303);
    let res = page(&app, "GET", "/finance", Some(&token), "").await;
    assert_eq!(
        res.status(),
        303,
        "an ended session sends to the login form"
    );
}

#[actix_web::test]
async fn an_agency_drafts_publishes_and_corrects_through_the_forms_and_sees_only_a_count() {
    let app = spawn_app_with(|s| s.token_ttl_minutes = 60 * 24 * 60).await;
    let (_, agency) = app.agency_token().await;
    let form = |budget: &str| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("csrf", CSRF),
            ("title", "喀什地区教育局计算机采购"),
            ("category", "goods"),
            ("category_code", "A0201"),
            ("procurement_method", "open_tender"),
            ("policy", "xinjiang-2011"),
            ("budget", budget),
            ("reservation", "lots"),
            ("region", "653101"),
            ("bid_deadline", "2026-03-20T09:30"),
            ("opening_at", "2026-03-20T10:00"),
            ("evaluation_method", "comprehensive"),
            ("weight_price", "30"),
            ("weight_technical", "50"),
            ("weight_commercial", "20"),
            ("lot_title", "台式计算机"),
            ("lot_budget", "1000000.00"),
            ("lot_reserved", "1"),
            ("lot_title", "打印机"),
            ("lot_budget", "500000.00"),
            ("lot_title", ""),
            ("lot_budget", ""),
        ] {
            s.append_pair(k, v);
        }
        s.finish()
    };
    let projects = |app: &TestApp| {
        let mut conn = app.pool.get().unwrap();
        use diesel::prelude::*;
        smeproc::db::schema::projects::table
            .count()
            .get_result::<i64>(&mut conn)
            .unwrap()
    };
    // Lots that do not add up to the budget: named beside the form, nothing saved.
    let res = page(
        &app,
        "POST",
        "/agency/projects/new",
        Some(&agency),
        &form("1400000.00"),
    )
    .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("budget") && body.contains("喀什地区教育局计算机采购"),
        "{body}"
    );
    // In the page's language, the field named too; the API's English is not shown.
    assert!(body.contains("预算：预算为 1400000.00"), "{body}");
    assert!(body.contains("但各采购包预算合计为 1500000.00"), "{body}");
    assert!(!body.contains("add up to"), "{body}");
    assert_eq!(projects(&app), 0);
    let res = page(
        &app,
        "POST",
        "/agency/projects/new",
        Some(&agency),
        &form("1500000.00"),
    )
    .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let id = location.rsplit('/').next().unwrap().to_string();
    let project: serde_json::Value = app
        .get(&format!("/api/v1/projects/{id}"), Some(&agency))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        project["lots"].as_array().unwrap().len(),
        2,
        "the blank row is left out"
    );
    assert_eq!(project["lots"][0]["reserved"], true);
    assert_eq!(project["lots"][1]["reserved"], false);
    // Beijing wall time in the form = 01:30 UTC.
    assert_eq!(project["bid_deadline"], "2026-03-20T01:30:00Z");
    let publish = format!("{location}/publish");
    assert_eq!(
        page(
            &app,
            "POST",
            &publish,
            Some(&agency),
            &format!("csrf={CSRF}")
        )
        .await
        .status(),
        303
    );
    // Publishing twice: the rule's words on the project page, with the API's 409.
    let res = page(
        &app,
        "POST",
        &publish,
        Some(&agency),
        &format!("csrf={CSRF}"),
    )
    .await;
    assert_eq!(res.status(), 409);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("不能发布：项目当前为已发布·接受投标；只有草稿可以发布"),
        "{body}"
    );
    assert!(!body.contains("cannot publish"), "{body}");
    // The same refusal in English mode (the language cookie beside the session) is the API's
    // detail.
    let res = page(
        &app,
        "POST",
        &publish,
        Some(&format!("{agency}; smeproc_lang=en")),
        &format!("csrf={CSRF}"),
    )
    .await;
    assert_eq!(res.status(), 409);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("cannot publish: the project is published; this needs a draft"));
    let correction = format!(
        "csrf={CSRF}&text={}&bid_deadline=2026-03-22T09%3A30&opening_at=2026-03-22T10%3A00",
        "截止时间延后两天"
    );
    let res = page(
        &app,
        "POST",
        &format!("{location}/correction"),
        Some(&agency),
        &correction,
    )
    .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let notices: serde_json::Value = app
        .get(
            &format!("/api/v1/notices?project_id={id}&kind=correction"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        notices["items"][0]["body"]["bid_deadline"]["after"],
        "2026-03-22T01:30:00Z"
    );
    // A supplier bids; before the opening the lot page shows the count and no price.
    let (_, code) = app.create_firm("喀什小微企业", "653101", "micro");
    let supplier = app.supplier_token(&code).await;
    let lot = project["lots"][0]["id"].as_str().unwrap();
    let res = app
        .post(
            &format!("/api/v1/lots/{lot}/bids"),
            Some(&supplier),
            &serde_json::json!({"price": "987654.00"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let body = page(
        &app,
        "GET",
        &format!("/agency/lots/{lot}"),
        Some(&agency),
        "",
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(body.contains("<strong>1</strong>"), "{body}");
    assert!(
        !body.contains("987654") && !body.contains("987,654") && !body.contains("喀什小微企业"),
        "sealed: {body}"
    );
    // The officer (the only key holder: no plan named) collects its share on the lot page, once.
    let collect = format!("/agency/lots/{lot}/key-share");
    let res = page(
        &app,
        "POST",
        &collect,
        Some(&agency),
        &format!("csrf={CSRF}"),
    )
    .await;
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    let at = body
        .find("smeproc-share-1.")
        .expect("the share, shown once");
    let share: String = body[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
        .collect();
    let res = page(
        &app,
        "POST",
        &collect,
        Some(&agency),
        &format!("csrf={CSRF}"),
    )
    .await;
    assert_eq!(res.status(), 409);
    // At the (corrected) opening time it gives the share on the page: the lot opens.
    app.clock.advance(chrono::Duration::days(22));
    let res = page(
        &app,
        "POST",
        &format!("/agency/lots/{lot}/opening"),
        Some(&agency),
        &format!("csrf={CSRF}&share={share}"),
    )
    .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let body = page(
        &app,
        "GET",
        &format!("/agency/lots/{lot}"),
        Some(&agency),
        "",
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(body.contains("id=\"opening-record\""), "{body}");
    assert!(
        body.contains("喀什小微企业") && body.contains("987,654.00"),
        "{body}"
    );
}

#[actix_web::test]
async fn a_supplier_reprices_and_delists_its_own_products_only() {
    let app = spawn_app().await;
    let (_, code) = app.create_firm("喀什小微企业", "653101", "micro");
    let token = app.supplier_token(&code).await;
    let (_, other_code) = app.create_firm("和田小型企业", "653201", "small");
    let other = app.supplier_token(&other_code).await;
    let res = app
        .post(
            "/api/v1/products",
            Some(&token),
            &serde_json::json!({"sku": "KM-1", "name": "激光打印机", "category_code": "A020201",
                "unit": "台", "price": "1200.00"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let path = format!("/supplier/products/{id}");
    let product = |app: &TestApp| {
        let app = app.client.get(app.url(&format!("/api/v1/products/{id}")));
        async move {
            app.send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    // A bad price is named and changes nothing.
    let res = page(
        &app,
        "POST",
        &path,
        Some(&token),
        &format!("csrf={CSRF}&price=abc"),
    )
    .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("price"));
    assert_eq!(product(&app).await["price"], "1200.00");
    // Another supplier may not touch it.
    let res = page(
        &app,
        "POST",
        &path,
        Some(&other),
        &format!("csrf={CSRF}&price=1.00"),
    )
    .await;
    assert_eq!(res.status(), 403);
    assert_eq!(product(&app).await["price"], "1200.00");
    // The owner reprices, then delists; the list still shows it, marked.
    let res = page(
        &app,
        "POST",
        &path,
        Some(&token),
        &format!("csrf={CSRF}&price=1099.00"),
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(product(&app).await["price"], "1099.00");
    let res = page(
        &app,
        "POST",
        &path,
        Some(&token),
        &format!("csrf={CSRF}&active=false"),
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(product(&app).await["active"], false);
    let body = page(&app, "GET", "/supplier/products", Some(&token), "")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("KM-1") && body.contains("已下架") && body.contains("1,099.00 元"),
        "{body}"
    );
}

#[actix_web::test]
async fn the_agency_names_the_key_holders_on_the_draft_project_page() {
    let app = spawn_app().await;
    let (_, agency) = app.agency_token().await;
    let draft: serde_json::Value = app
        .post(
            "/api/v1/projects",
            Some(&agency),
            &crate::fixtures::project_body(),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = draft["id"].as_str().unwrap();
    let names: Vec<String> = (0..3)
        .map(|i| {
            let name = format!("holder{i}-{}", uuid::Uuid::new_v4().simple());
            app.create_user(&name, if i == 2 { "auditor" } else { "agency" });
            name
        })
        .collect();
    let path = format!("/agency/projects/{id}/key-holders");
    let form = |holders: &str, k: &str| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        s.append_pair("csrf", CSRF)
            .append_pair("holders", holders)
            .append_pair("threshold", k);
        s.finish()
    };
    // An unknown user: the page names it, nothing is saved.
    let res = page(
        &app,
        "POST",
        &path,
        Some(&agency),
        &form("nobody-at-all", "1"),
    )
    .await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("没有用户名为 nobody-at-all 的用户"));
    let plan: serde_json::Value = app
        .get(&format!("/api/v1/projects/{id}/key-holders"), Some(&agency))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(plan["named"], false);
    let res = page(
        &app,
        "POST",
        &path,
        Some(&agency),
        &form(&names.join("\n"), "2"),
    )
    .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let body = page(
        &app,
        "GET",
        &format!("/agency/projects/{id}"),
        Some(&agency),
        "",
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(body.contains("<strong>2</strong> / 3"), "{body}");
    assert!(names.iter().all(|n| body.contains(n.as_str())), "{body}");
    let plan: serde_json::Value = app
        .get(&format!("/api/v1/projects/{id}/key-holders"), Some(&agency))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (plan["named"].as_bool(), plan["threshold"].as_i64()),
        (Some(true), Some(2))
    );
}

/// The agency uploads the procurement documents on the draft's page (multipart, with its CSRF
/// token); the published notice lists them with their hashes; the public is sent to log in to
/// obtain one, a supplier gets the file.
#[actix_web::test]
async fn the_agency_attaches_procurement_documents_on_the_draft_page_and_suppliers_obtain_them() {
    let app = spawn_app().await;
    let (_, agency) = app.agency_token().await;
    let draft: serde_json::Value = app
        .post(
            "/api/v1/projects",
            Some(&agency),
            &crate::fixtures::project_body(),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = draft["id"].as_str().unwrap();
    let pdf = crate::documents::file_of(b"%PDF-1.6\n", 40_000, 3);
    let upload = |csrf: String| {
        let (content_type, body) = crate::documents::multipart(&[
            ("csrf", None, csrf.as_bytes()),
            ("tender", Some("招标文件.pdf"), &pdf),
            ("requirements", Some(""), b"".as_slice()),
        ]);
        client()
            .post(app.url(&format!("/agency/projects/{id}/documents")))
            .header("content-type", content_type)
            .header(
                "cookie",
                format!("smeproc_csrf={CSRF}; smeproc_session={agency}"),
            )
            .body(body)
    };
    // A wrong CSRF token: refused, nothing attached.
    let res = upload("f".repeat(64)).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let listed: serde_json::Value = app
        .get(&format!("/api/v1/projects/{id}/documents"), Some(&agency))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 0);
    let res = upload(real_csrf(&app, Some(&agency)).await)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let body = page(
        &app,
        "GET",
        &format!("/agency/projects/{id}"),
        Some(&agency),
        "",
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(body.contains("招标文件.pdf"), "{body}");
    app.publish(id, &agency).await;
    let notices: serde_json::Value = app
        .get(&format!("/api/v1/notices?project_id={id}"), None)
        .await
        .json()
        .await
        .unwrap();
    let notice = notices["items"][0]["id"].as_str().unwrap();
    let html = page(&app, "GET", &format!("/notices/{notice}"), None, "")
        .await
        .text()
        .await
        .unwrap();
    let sha = smeproc::domain::digest::hex(&<sha2::Sha256 as sha2::Digest>::digest(&pdf));
    assert!(html.contains(&sha), "the notice shows the hash\n{html}");
    let at = html
        .find(&format!("/projects/{id}/documents/"))
        .expect("a link");
    let link = &html[at..at + html[at..].find('"').unwrap()];
    let res = page(&app, "GET", link, None, "").await;
    assert_eq!(res.status(), 303);
    assert!(res.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login?next="));
    let firm = app.create_firm("吐鲁番小型办公用品有限公司", "650402", "small");
    let supplier = app.supplier_token(&firm.1).await;
    let res = page(&app, "GET", link, Some(&supplier), "").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), pdf.as_slice());
}

/// A key holder who is not agency staff (the supervisor, an auditor) collects its shares on
/// `/key-shares` and gives them back there at the opening; the lots open.
#[actix_web::test]
async fn an_auditor_holder_collects_and_gives_its_shares_on_the_key_shares_page() {
    let app = spawn_app_with(|s| s.token_ttl_minutes = 60 * 24 * 60).await;
    let (_, agency) = app.agency_token().await;
    let supervisor = format!("supervisor-{}", uuid::Uuid::new_v4().simple());
    app.create_user(&supervisor, "auditor");
    let auditor = app.token(&supervisor).await;
    let draft: serde_json::Value = app
        .post(
            "/api/v1/projects",
            Some(&agency),
            &crate::fixtures::project_body(),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = draft["id"].as_str().unwrap();
    let res = app
        .put(
            &format!("/api/v1/projects/{id}/key-holders"),
            Some(&agency),
            &serde_json::json!({"holders": [supervisor], "threshold": 1}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let published = json_of(
        app.post(
            &format!("/api/v1/projects/{id}/publish"),
            Some(&agency),
            &serde_json::json!({}),
        )
        .await,
        200,
    )
    .await;
    let lots: Vec<String> = published["lots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect();
    let listing = page(&app, "GET", "/key-shares", Some(&auditor), "")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(listing.matches("/collect\"").count(), 2, "{listing}");
    let mut shares = Vec::new();
    for lot in &lots {
        let res = page(
            &app,
            "POST",
            &format!("/key-shares/{lot}/collect"),
            Some(&auditor),
            &format!("csrf={CSRF}"),
        )
        .await;
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        let at = html
            .find("id=\"share-text\"")
            .expect("the share shown once");
        let start = at + html[at..].find('>').unwrap() + 1;
        let share = html[start..start + html[start..].find('<').unwrap()]
            .trim()
            .to_string();
        assert!(share.starts_with("smeproc-share-1."), "{share}");
        shares.push(share);
        // Once only.
        let res = page(
            &app,
            "POST",
            &format!("/key-shares/{lot}/collect"),
            Some(&auditor),
            &format!("csrf={CSRF}"),
        )
        .await;
        assert_eq!(res.status(), 409);
    }
    let give = |lot: String, share: String| {
        let app = &app;
        let auditor = auditor.clone();
        async move {
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.append_pair("csrf", CSRF).append_pair("share", &share);
            page(
                app,
                "POST",
                &format!("/key-shares/{lot}/give"),
                Some(&auditor),
                &form.finish(),
            )
            .await
        }
    };
    // Before the opening time: refused on the page, nothing opens.
    let res = give(lots[0].clone(), shares[0].clone()).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("role=\"alert\""));
    app.clock.advance(chrono::Duration::days(20));
    for (lot, share) in lots.iter().zip(&shares) {
        let res = give(lot.clone(), share.clone()).await;
        assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
        let view = json_of(
            app.get(&format!("/api/v1/lots/{lot}/opening"), Some(&agency))
                .await,
            200,
        )
        .await;
        assert!(view["opened_at"].is_string(), "{view}");
    }
}
