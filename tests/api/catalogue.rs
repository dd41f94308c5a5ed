//! The SME catalogue: products and ownership, price history, Chinese search with keyset pages,
//! market prices against hand-computed figures, CSV upload/download (all-or-nothing, GB18030,
//! export → re-import).

use crate::helpers::*;
use serde_json::{json, Value};

/// The credit code of a registered enterprise.
fn code_of(app: &TestApp, enterprise_id: &str) -> String {
    let mut conn = app.pool.get().unwrap();
    smeproc::db::enterprises::find_by_id(&mut conn, enterprise_id)
        .unwrap()
        .unwrap()
        .credit_code
}

/// A supplier user with a token, and its enterprise's credit code.
async fn supplier(app: &TestApp) -> (String, String) {
    let (id, token) = app.user_with_token("supplier").await;
    let mut conn = app.pool.get().unwrap();
    let user = smeproc::db::users::find_by_id(&mut conn, &id)
        .unwrap()
        .unwrap();
    drop(conn);
    (token, code_of(app, &user.enterprise_id.unwrap()))
}

async fn upload(app: &TestApp, token: &str, query: &str, body: Vec<u8>) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/catalogue/import{query}")))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn export(app: &TestApp, token: &str) -> Vec<u8> {
    let res = app.get("/api/v1/catalogue/export", Some(token)).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    res.bytes().await.unwrap().to_vec()
}

/// Changes a product as `token`'s user, expecting success; the product as returned.
async fn change(app: &TestApp, token: &str, id: i64, body: &Value) -> Value {
    let res = app
        .patch(&format!("/api/v1/products/{id}"), Some(token), body)
        .await;
    json_of(res, 200).await
}

/// A product's price history, oldest first, as yuan strings.
async fn prices(app: &TestApp, id: i64) -> Vec<String> {
    let history = json_of(
        app.get(&format!("/api/v1/products/{id}/prices"), None)
            .await,
        200,
    )
    .await;
    history["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["price"].as_str().unwrap().to_string())
        .collect()
}

async fn market(app: &TestApp, query: &str) -> Value {
    json_of(
        app.get(&format!("/api/v1/market-prices?{query}"), None)
            .await,
        200,
    )
    .await
}

async fn search(app: &TestApp, query: &str) -> Value {
    json_of(
        app.get(&format!("/api/v1/products?{query}"), None).await,
        200,
    )
    .await
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn a_supplier_manages_its_products_and_only_its_own() {
    let app = spawn_app_with(|s| s.token_ttl_minutes = 60 * 24 * 365).await;
    let (token, own_code) = supplier(&app).await;
    let (other, _) = supplier(&app).await;
    let maker = app.create_enterprise("新疆天山制造有限公司");
    let maker_code = code_of(&app, &maker);
    let res = app
        .post(
            "/api/v1/products",
            Some(&token),
            &json!({"sku": "LP-1", "name": "激光打印机 P1", "category_code": "A020201",
                    "unit": "台", "price": "1299.50", "manufacturer_credit_code": maker_code}),
        )
        .await;
    let product = json_of(res, 201).await;
    assert_eq!(product["supplier"]["credit_code"], own_code.as_str());
    assert_eq!(product["price"], "1299.50");
    assert_eq!(
        product["region"], "653101",
        "default: the supplier's region"
    );
    assert_eq!(product["made_by_sme"], true);
    assert_eq!(product["active"], true);
    let id = product["id"].as_i64().unwrap();

    // Another supplier may neither change it nor list products for this enterprise.
    let res = app
        .patch(
            &format!("/api/v1/products/{id}"),
            Some(&other),
            &json!({"price": "1.00"}),
        )
        .await;
    problem(res, 403).await;
    let res = app
        .post(
            "/api/v1/products",
            Some(&other),
            &json!({"supplier_credit_code": own_code, "sku": "X", "name": "x",
                    "category_code": "A02", "unit": "台", "price": "1"}),
        )
        .await;
    problem(res, 403).await;
    let shown = json_of(app.get(&format!("/api/v1/products/{id}"), None).await, 200).await;
    assert_eq!(
        shown["price"], "1299.50",
        "the refused change changed nothing"
    );

    // The owner changes the price: the history grows, append-only.
    app.clock.advance(chrono::Duration::days(1));
    let changed = change(
        &app,
        &token,
        id,
        &json!({"price": "1199.00", "spec": "A4 黑白"}),
    )
    .await;
    assert_eq!(changed["price"], "1199.00");
    assert_eq!(changed["spec"], "A4 黑白");
    assert_eq!(changed["sku"], "LP-1");
    assert_eq!(prices(&app, id).await, ["1299.50", "1199.00"]);
    // A change that keeps the price adds no point.
    change(&app, &token, id, &json!({"name": "激光打印机 P1 Pro"})).await;
    assert_eq!(prices(&app, id).await.len(), 2);
    // The history cannot be rewritten, even behind the service's back.
    let mut conn = app.pool.get().unwrap();
    let tampered = diesel::RunQueryDsl::execute(
        diesel::sql_query("UPDATE price_history SET price_fen = 1"),
        &mut *conn,
    );
    assert!(tampered.is_err(), "price_history accepted an UPDATE");

    // The sku and supplier never change: not patchable fields.
    let res = app
        .patch(
            &format!("/api/v1/products/{id}"),
            Some(&token),
            &json!({"sku": "LP-2"}),
        )
        .await;
    assert_eq!(problem_fields(&problem(res, 422).await), ["sku"]);

    // The same sku twice for one supplier is a conflict.
    let res = app
        .post(
            "/api/v1/products",
            Some(&token),
            &json!({"sku": "LP-1", "name": "again", "category_code": "A02", "unit": "台", "price": "1"}),
        )
        .await;
    problem(res, 409).await;
}

#[actix_web::test]
async fn bad_products_name_every_field_and_change_nothing() {
    let app = spawn_app().await;
    let (token, _) = supplier(&app).await;
    let res = app
        .post(
            "/api/v1/products",
            Some(&token),
            &json!({"sku": "", "name": "打印机", "category_code": "D01", "unit": "台",
                    "price": "12.345", "manufacturer_credit_code": credit_code("650102"),
                    "region": "65", "currency": "USD"}),
        )
        .await;
    let body = problem(res, 422).await;
    let mut fields = problem_fields(&body);
    fields.sort();
    assert_eq!(
        fields,
        [
            "category_code",
            "currency",
            "manufacturer_credit_code",
            "price",
            "region",
            "sku"
        ]
    );
    assert_eq!(search(&app, "active=true").await["items"], json!([]));
    let res = app
        .patch("/api/v1/products/999", Some(&token), &json!({"price": "1"}))
        .await;
    problem(res, 404).await;
}

#[actix_web::test]
async fn chinese_keywords_filters_and_keyset_pages() {
    let app = spawn_app().await;
    let (token, code) = supplier(&app).await;
    let maker = app.create_enterprise("大型制造集团");
    // Make the maker large: 2 000 staff, ¥5 亿 in software.
    let mut conn = app.pool.get().unwrap();
    let mut e = smeproc::db::enterprises::find_by_id(&mut conn, &maker)
        .unwrap()
        .unwrap();
    e.scale = "large".into();
    smeproc::db::enterprises::update(&mut conn, &e).unwrap();
    drop(conn);
    let sme_maker = app.create_enterprise("小微制造厂");
    let csv = format!(
        "supplier_credit_code,sku,name,category_code,unit,price,spec,manufacturer_credit_code\n\
         {code},1,激光打印机 HP-1020,A020201,台,1500.00,A4,{large}\n\
         {code},2,彩色喷墨打印机,A020201,台,800.00,A3,{small}\n\
         {code},3,办公椅,A050102,把,300.00,网布 打印机旁用,\n\
         {code},4,激光打印机 M2,A020201,台,1500.00,,\n\
         {code},5,复印纸,A090101,箱,150.00,A4 70g,\n",
        large = code_of(&app, &maker),
        small = code_of(&app, &sme_maker),
    );
    json_of(upload(&app, &token, "", csv.into_bytes()).await, 200).await;

    // 3+ characters: the trigram index; name or spec.
    let mut found = names(&search(&app, "q=打印机&sort=name").await);
    found.sort();
    assert_eq!(
        found,
        [
            "办公椅",
            "彩色喷墨打印机",
            "激光打印机 HP-1020",
            "激光打印机 M2"
        ]
    );
    // Shorter than a trigram: still a substring match.
    assert_eq!(
        search(&app, "q=打印").await["items"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_eq!(
        names(&search(&app, "q=激光打印机%20hp").await),
        ["激光打印机 HP-1020"],
        "every term must occur, case-insensitively"
    );
    assert_eq!(search(&app, "q=扫描仪").await["items"], json!([]));
    // LIKE wildcards in a keyword are literal characters.
    assert_eq!(search(&app, "q=%25").await["items"], json!([]));
    assert_eq!(search(&app, "q=_").await["items"], json!([]));
    assert_eq!(search(&app, "q=%25%25%25").await["items"], json!([]));
    // Filters.
    assert_eq!(
        search(&app, "q=打印机&category=A0202").await["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        names(&search(&app, "sme_made=true").await),
        ["彩色喷墨打印机"]
    );
    assert_eq!(
        names(&search(&app, "small_micro_made=true").await),
        ["彩色喷墨打印机"]
    );
    assert_eq!(
        names(&search(&app, "min_price=300&max_price=800&sort=price").await),
        ["办公椅", "彩色喷墨打印机"]
    );
    assert_eq!(
        search(&app, "supplier_scale=large").await["items"],
        json!([])
    );
    assert_eq!(
        search(&app, "region=6531").await["items"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    assert_eq!(search(&app, "region=6501").await["items"], json!([]));

    // Keyset pages, one item each, by price descending: every product once, in order, the
    // tie at 1500.00 broken by id.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = search(&app, &format!("sort=-price&limit=1&cursor={cursor}")).await;
        seen.extend(names(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_string(),
            None => break,
        }
    }
    assert_eq!(
        seen,
        [
            "激光打印机 M2",
            "激光打印机 HP-1020",
            "彩色喷墨打印机",
            "办公椅",
            "复印纸"
        ]
    );
    // Bad parameters are named.
    let res = app
        .get(
            "/api/v1/products?category=X1&sort=cheap&limit=0&cursor=zz&min_price=-1",
            None,
        )
        .await;
    let mut fields = problem_fields(&problem(res, 422).await);
    fields.sort();
    assert_eq!(fields, ["category", "cursor", "limit", "min_price", "sort"]);
}

#[actix_web::test]
async fn market_prices_match_hand_computed_quartiles() {
    let app = spawn_app_with(|s| s.token_ttl_minutes = 60 * 24 * 365).await;
    let (token, code) = supplier(&app).await;
    let csv = format!(
        "supplier_credit_code,sku,name,category_code,unit,price\n\
         {code},a,台式计算机 A,A020101,台,10.00\n\
         {code},b,台式计算机 B,A020101,台,20.00\n\
         {code},c,台式计算机 C,A020101,台,30.00\n\
         {code},d,台式计算机 D,A020101,台,45.00\n\
         {code},e,办公桌,A050101,张,999.00\n"
    );
    json_of(upload(&app, &token, "", csv.into_bytes()).await, 200).await;
    let figures = |v: &Value| {
        ["count", "min", "p25", "median", "p75", "max"]
            .iter()
            .map(|k| v[k].to_string().trim_matches('"').to_string())
            .collect::<Vec<_>>()
    };
    // n = 4: h = 3q → p25 = 10 + 0.75·10, median = 20 + 0.5·10, p75 = 30 + 0.25·15.
    let m = market(&app, "category=A0201&days=30").await;
    assert_eq!(
        figures(&m["current"]),
        ["4", "10.00", "17.50", "25.00", "33.75", "45.00"]
    );
    assert_eq!(figures(&m["history"]), figures(&m["current"]));

    // Ten days later D goes to 50.00: the history keeps both prices, a short window only the new.
    app.clock.advance(chrono::Duration::days(10));
    let d = search(&app, "q=台式计算机%20D").await["items"][0]["id"]
        .as_i64()
        .unwrap();
    change(&app, &token, d, &json!({"price": "50"})).await;
    let m = market(&app, "category=A0201&days=30").await;
    assert_eq!(
        figures(&m["current"]),
        ["4", "10.00", "17.50", "25.00", "35.00", "50.00"]
    );
    // 10, 20, 30, 45, 50: h = 4q → exact ranks.
    assert_eq!(
        figures(&m["history"]),
        ["5", "10.00", "20.00", "30.00", "45.00", "50.00"]
    );
    let m = market(&app, "category=A0201&days=5").await;
    assert_eq!(
        figures(&m["history"]),
        ["1", "50.00", "50.00", "50.00", "50.00", "50.00"]
    );
    // Nothing matches: zero and nulls, not an error.
    let m = market(&app, "category=C16").await;
    assert_eq!(m["current"]["count"], 0);
    assert_eq!(m["current"]["median"], Value::Null);
    let res = app
        .get("/api/v1/market-prices?category=A2&days=0", None)
        .await;
    let mut fields = problem_fields(&problem(res, 422).await);
    fields.sort();
    assert_eq!(fields, ["category", "days"]);
}

#[actix_web::test]
async fn a_bad_row_in_the_middle_imports_nothing_and_is_named() {
    let app = spawn_app().await;
    let (token, code) = supplier(&app).await;
    let (_, other_code) = supplier(&app).await;
    let csv = format!(
        "\u{feff}sku,name,supplier_credit_code,category_code,unit,price\n\
         1,复印纸,{code},A090101,箱,150.00\n\
         2,硒鼓,{code},A09020,个,80.5\n\
         3,签字笔,{other_code},A090301,盒,12.00\n\
         4,文件柜,{code},A050103,组,abc\n\
         1,复印纸 again,{code},A090101,箱,150.00\n\
         5,办公椅,{code},A050102,把,300.00\n"
    );
    let res = upload(&app, &token, "", csv.clone().into_bytes()).await;
    let body = problem(res, 422).await;
    let rows: Vec<(u64, String)> = body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["column"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (3, "category_code".to_string()),
            (4, "supplier_credit_code".to_string()),
            (5, "price".to_string()),
            (6, "sku".to_string()),
        ]
    );
    assert_eq!(search(&app, "active=true").await["items"], json!([]));

    // Partial mode: the good rows go in, the bad ones come back.
    let res = upload(&app, &token, "?skip_invalid=true", csv.into_bytes()).await;
    let body = json_of(res, 200).await;
    assert_eq!(body["summary"]["inserted"], 2);
    assert_eq!(body["summary"]["rejected"], 4);
    assert_eq!(body["rejected"].as_array().unwrap().len(), 4);
    assert_eq!(
        search(&app, "active=true").await["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Not CSV, or not UTF-8: refused with the reason.
    let res = app
        .post("/api/v1/catalogue/import", Some(&token), &json!({}))
        .await;
    problem(res, 415).await;
    let text = format!(
        "supplier_credit_code,sku,name,category_code,unit,price\n{code},9,复印纸,A09,箱,1\n"
    );
    let gbk = encoding_rs::GB18030.encode(&text).0.into_owned();
    let res = upload(&app, &token, "", gbk).await;
    let body = problem(res, 422).await;
    assert!(body["rows"].to_string().contains("gb18030"), "{body}");
}

/// A CRLF upload (what Excel on Windows saves) names the true line of a bad price.
#[actix_web::test]
async fn a_crlf_upload_names_the_true_line() {
    let app = spawn_app().await;
    let (token, code) = supplier(&app).await;
    let csv = format!(
        "\u{feff}sku,name,supplier_credit_code,category_code,unit,price\r\n\
         1,复印纸,{code},A090101,箱,150.00\r\n\
         2,\"硒鼓\r\n黑色\",{code},A090201,个,80.5\r\n\
         4,文件柜,{code},A050103,组,abc\r\n\
         5,办公椅,{code},A050102,把,300.00\r\n"
    );
    let body = problem(upload(&app, &token, "", csv.into_bytes()).await, 422).await;
    // The name over two lines (3–4) is refused (no line breaks in names); the price on line 5.
    assert_eq!(body["rows"][0]["line"], 3, "{body}");
    assert_eq!(body["rows"][0]["column"], "name");
    assert_eq!(body["rows"][1]["line"], 5, "{body}");
    assert_eq!(body["rows"][1]["column"], "price");
}

/// A name a spreadsheet would run as a formula is exported inert (`'=…`) and comes back from
/// the re-import exactly as it was.
#[actix_web::test]
async fn formula_names_are_exported_inert_and_reimport_unchanged() {
    let app = spawn_app().await;
    let (token, _) = supplier(&app).await;
    let names = [
        "=HYPERLINK(\"http://x\")",
        "+86 电话",
        "-20°C 冰柜",
        "@规格",
        "'=已加引号",
    ];
    for (i, name) in names.iter().enumerate() {
        let res = app
            .post(
                "/api/v1/products",
                Some(&token),
                &json!({"sku": format!("F{i}"), "name": name, "category_code": "A02",
                        "unit": "台", "price": "10.00"}),
            )
            .await;
        assert_eq!(res.status(), 201, "{name}");
    }
    let csv = String::from_utf8(export(&app, &token).await).unwrap();
    assert!(csv.contains("'=HYPERLINK(\"\"http://x\"\")"), "{csv}");
    assert!(
        csv.contains(",'+86 电话,") && csv.contains(",'-20°C 冰柜,") && csv.contains(",'@规格,")
    );
    assert!(csv.contains(",''=已加引号,"), "{csv}");
    for line in csv.lines().skip(1) {
        let name = line.split(',').nth(2).unwrap_or_default();
        assert!(!name.starts_with(['=', '+', '-', '@']), "{line}");
    }
    // Re-importing the export changes nothing: every name reads back as it was.
    let res = upload(&app, &token, "", csv.into_bytes()).await;
    let body = json_of(res, 200).await;
    assert_eq!(body["summary"]["unchanged"], 5, "{body}");
    let listed = names_of_all(&app).await;
    for name in names {
        assert!(listed.contains(&name.to_string()), "{name} in {listed:?}");
    }
}

async fn names_of_all(app: &TestApp) -> Vec<String> {
    names(&search(app, "limit=100").await)
}

#[actix_web::test]
async fn gb18030_imports_like_its_utf8_twin_and_exports_reimport_unchanged() {
    let app = spawn_app().await;
    let (token, code) = supplier(&app).await;
    let maker = code_of(&app, &app.create_enterprise("喀什丝路电子科技有限公司"));
    let csv = format!(
        "supplier_credit_code,sku,name,category_code,spec,unit,price,manufacturer_credit_code,region,currency\n\
         {code},K-1,\"联想台式计算机, 商用\",A020101,i5/16G/512G,台,4299.00,{maker},653101,CNY\n\
         {code},K-2,晨光签字笔,A090301,0.5mm/12支,盒,18.80,,650102,CNY\n\
         {code},K-3,新疆长绒棉被,A070101,\"2kg \"\"特级\"\"\",床,560.00,{maker},,\n"
    );
    let (gbk, _, unmappable) = encoding_rs::GB18030.encode(&csv);
    assert!(!unmappable);
    let body = json_of(
        upload(&app, &token, "?encoding=gb18030", gbk.into_owned()).await,
        200,
    )
    .await;
    assert_eq!(body["summary"]["inserted"], 3);
    // The UTF-8 twin finds every product already there, identical.
    let body = json_of(upload(&app, &token, "", csv.into_bytes()).await, 200).await;
    assert_eq!(body["summary"]["unchanged"], 3, "{body}");
    assert_eq!(body["summary"]["inserted"], 0);

    let first = export(&app, &token).await;
    assert!(first.starts_with("\u{feff}".as_bytes()), "BOM first");
    let text = String::from_utf8(first.clone()).unwrap();
    assert!(text.contains("\"联想台式计算机, 商用\""), "{text}");
    assert!(text.contains("新疆长绒棉被"));
    assert_eq!(text.lines().count(), 4);

    // Re-imported: nothing changes; with one price edited: one update, one history point.
    let body = json_of(upload(&app, &token, "", first.clone()).await, 200).await;
    assert_eq!(body["summary"]["unchanged"], 3, "{body}");
    assert_eq!(export(&app, &token).await, first);
    let edited = text.replace("18.80", "19.90");
    let body = json_of(upload(&app, &token, "", edited.into_bytes()).await, 200).await;
    assert_eq!(body["summary"]["updated"], 1);
    assert_eq!(body["summary"]["price_changes"], 1);
    let pen = search(&app, "q=签字笔").await["items"][0].clone();
    assert_eq!(pen["price"], "19.90");
    assert_eq!(prices(&app, pen["id"].as_i64().unwrap()).await.len(), 2);

    // The export re-imports into an empty catalogue as the same catalogue.
    let fresh = spawn_app().await;
    let mut conn = fresh.pool.get().unwrap();
    for (c, name) in [(&code, "供应商"), (&maker, "制造商")] {
        let input = smeproc::service::registry::EnterpriseInput {
            credit_code: Some(c.clone()),
            name: Some(name.into()),
            industry: Some("software".into()),
            employees: Some(50),
            revenue_wan: Some("800".into()),
            ..Default::default()
        };
        smeproc::service::registry::register(
            &mut conn,
            &fresh.clock,
            smeproc::service::audit::CLI,
            &input,
        )
        .unwrap();
    }
    drop(conn);
    let (_, admin) = fresh.user_with_token("admin").await;
    let now = export(&app, &token).await;
    json_of(upload(&fresh, &admin, "", now.clone()).await, 200).await;
    assert_eq!(export(&fresh, &admin).await, now);
}
