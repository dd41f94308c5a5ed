//! Browser tests: Debian's headless Chromium, driven through chromedriver, against the real app
//! on a random port with the demo dataset in a fresh database. What a visitor, a supplier, an
//! agency and an auditor do in the pages, as they would do it.
//!
//! Set SMEPROC_SCREENSHOTS=DIR to keep a PNG of each main page (scripts/screenshots.sh).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;
mod webdriver;

use helpers::{spawn_app_with, TestApp};
use smeproc::clock::Clock;
use webdriver::{Browser, Driver};

/// One browser at a time: two cores do not run four Chromiums well.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The app with the demo dataset, its clock in late November (the ledger's year has contracts).
async fn demo_app() -> TestApp {
    let app = spawn_app_with(|s| {
        s.token_ttl_minutes = 60 * 24 * 365;
        // Chromium keeps Secure cookies on http://127.0.0.1 too; test the default.
        assert!(s.cookie_secure);
    })
    .await;
    app.clock.advance(chrono::Duration::days(268));
    let mut conn = app.pool.get().unwrap();
    let keys =
        smeproc::service::auth::keys::ServerKeys::load_or_create(&app.settings.secret_key_file)
            .unwrap();
    // The store the app reads (a folder on SQLite, database rows on PostgreSQL).
    let store = smeproc::db::files::FileStore::of(&app.settings, &app.pool);
    let summary = smeproc::service::demo::fill(&mut conn, &keys, &store, app.clock.now()).unwrap();
    assert!(
        summary.contracts >= 3 && summary.payments >= 2,
        "{summary:?}"
    );
    app
}

async fn login(b: &Browser, app: &TestApp, username: &str) {
    b.goto(&app.url("/login")).await;
    b.fill("#username", username).await;
    b.fill("#password", smeproc::service::demo::PASSWORD).await;
    b.click_through("form.stack button[type=submit]").await;
}

async fn click_link(b: &Browser, text: &str) {
    b.mark_page().await;
    let clicked = b
        .script(&format!(
            "const a = Array.from(document.querySelectorAll('main a, header a')).find(a => a.textContent.includes({text:?})); if (a) {{ a.click(); return true; }} return false;"
        ))
        .await;
    assert_eq!(
        clicked,
        serde_json::json!(true),
        "no link with {text:?}:\n{}",
        b.text().await
    );
    b.wait_for_new_page().await;
}

#[actix_web::test]
async fn a_visitor_finds_a_notice_and_its_explained_result() {
    let _one = ONE_AT_A_TIME.lock().await;
    let app = demo_app().await;
    let driver = Driver::start().await;
    let b = Browser::open(&driver).await;

    b.goto(&app.url("/")).await;
    assert!(b.text().await.contains("政府采购公告"));
    b.screenshot("01-notice-board").await;
    // Filter: result notices only.
    b.click("#f-kind option[value=result]").await;
    b.click_through("form.filters button[type=submit]").await;
    assert!(b.url().await.contains("kind=result"));
    let text = b.text().await;
    assert!(
        text.contains("喀什地区教育局2026年中小学计算机采购"),
        "{text}"
    );
    assert!(
        !text.contains("采购公告\t"),
        "only result notices are listed: {text}"
    );
    click_link(&b, "喀什地区教育局2026年中小学计算机采购").await;
    let text = b.text().await;
    assert!(text.contains("中标（成交）供应商"), "{text}");
    assert!(text.contains("评审排序与计算说明"), "{text}");
    assert!(
        b.count("table.ranking tbody tr").await >= 4,
        "four bids ranked"
    );
    // The explanation opens with the keyboard-usable <details>.
    b.click("table.ranking tbody tr:first-child details.explain summary")
        .await;
    let text = b.text().await;
    // In Chinese, as the rules word it (the English lines stay in the API's `explanation`).
    assert!(text.contains("价格分 = 评标基准价"), "{text}");
    assert!(!text.contains("Price score"), "{text}");
    b.screenshot("02-result-notice").await;
    // The project page links to the open data.
    click_link(&b, "项目详情").await;
    assert!(b.count("a[href$='/ocds']").await >= 1);
    b.screenshot("02b-project").await;
    // The English switch comes back to the same page.
    let here = b.url().await;
    click_link(&b, "English").await;
    assert_eq!(b.url().await, here);
    assert!(b.text().await.contains("Lots"));
    b.close().await;
}

#[actix_web::test]
async fn a_supplier_signs_up_fixes_a_csv_row_and_bids() {
    let _one = ONE_AT_A_TIME.lock().await;
    let app = demo_app().await;
    let driver = Driver::start().await;
    let b = Browser::open(&driver).await;
    let code = helpers::credit_code("653101");

    b.goto(&app.url("/signup")).await;
    b.fill("#username", "kashgar-melon").await;
    b.fill("#password", "a long password 2026").await;
    b.fill("#display_name", "阿不都").await;
    b.fill("#e-code", &code).await;
    b.fill("#e-name", "喀什甜瓜电子科技有限公司").await;
    b.click("#e-industry option[value=industry]").await;
    b.fill("#e-employees", "9").await;
    b.fill("#e-revenue", "150").await;
    b.screenshot("03-signup").await;
    b.click_through("form.stack button[type=submit]").await;
    assert!(b.url().await.ends_with("/supplier"), "{}", b.text().await);
    let text = b.text().await;
    assert!(
        text.contains("喀什甜瓜电子科技有限公司") && text.contains("微型企业"),
        "{text}"
    );

    // A CSV with one bad row: the row and column are named and nothing is imported.
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("products.csv");
    let header =
        "supplier_credit_code,sku,name,category_code,spec,unit,price,manufacturer_credit_code\n";
    std::fs::write(
        &csv,
        format!("{header},KM-1,激光打印机,A020201,A4黑白,台,1299.00,\n,KM-2,台式计算机,A020101,i5/16G,台,一千元,\n"),
    )
    .unwrap();
    b.goto(&app.url("/supplier/products")).await;
    b.attach("#u-file", &csv).await;
    b.click_through("form[action='/supplier/products/upload'] button")
        .await;
    let text = b.text().await;
    // The row and the column in the page's language (the API says line 3, column price).
    assert!(
        text.contains("第 3 行，价格：\"一千元\"：须为小数"),
        "{text}"
    );
    assert!(text.contains("尚无商品"), "nothing was imported: {text}");
    b.screenshot("04-csv-row-report").await;
    std::fs::write(
        &csv,
        format!("{header},KM-1,激光打印机,A020201,A4黑白,台,1299.00,\n,KM-2,台式计算机,A020101,i5/16G,台,4100.00,\n"),
    )
    .unwrap();
    b.attach("#u-file", &csv).await;
    b.click_through("form[action='/supplier/products/upload'] button")
        .await;
    let text = b.text().await;
    assert!(text.contains("已导入 2 行"), "{text}");
    assert_eq!(b.count("table tbody tr td.mono").await, 2);
    b.screenshot("04b-products").await;

    // Bid on the open, SME-reserved printer project.
    b.goto(&app.url("/notices?kind=procurement&reserved=true"))
        .await;
    click_link(&b, "自治区教育厅激光打印机采购").await;
    click_link(&b, "项目详情").await;
    b.click_through("a.button[href$='/bid']").await;
    b.fill("#b-price", "418000.00").await;
    // The technical proposal, uploaded with the bid and sealed.
    let proposal = csv.with_file_name("技术方案.pdf");
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.extend((0..70_000u32).map(|i| (i * 7 % 251) as u8));
    std::fs::write(&proposal, &pdf).unwrap();
    b.attach("#b-technical", &proposal).await;
    b.click_through("form.stack button[type=submit]").await;
    let text = b.text().await;
    assert!(text.contains("投标已递交并密封"), "{text}");
    let listed = b
        .script("return document.getElementById('receipt-documents').textContent")
        .await;
    let listed = listed.as_str().unwrap_or_default().to_string();
    let digest = smeproc::domain::digest::sha256_hex(&pdf);
    assert!(
        listed.contains("技术方案.pdf") && listed.contains(&digest) && listed.contains("技术文件"),
        "the receipt lists the document with its hash: {listed}"
    );
    let sha = b
        .script("return document.getElementById('receipt-sha').textContent")
        .await;
    let sha = sha.as_str().unwrap().to_string();
    assert_eq!(sha.len(), 64);
    b.screenshot("05-bid-receipt").await;
    // The receipt downloads as JSON with the same digest.
    let bid = b
        .script("return document.getElementById('receipt-bid').textContent")
        .await;
    let cookie = b.script("return document.cookie").await; // HttpOnly cookies are not visible to scripts:
    assert!(!cookie.as_str().unwrap().contains("smeproc_session"));
    let href = format!("/bids/{}/receipt.json", bid.as_str().unwrap());
    assert_eq!(b.count(&format!("a[href='{href}']")).await, 1);
    let session = webdriver_cookie(&b, &driver, "smeproc_session").await;
    let receipt: serde_json::Value = app
        .client
        .get(app.url(&href))
        .header("cookie", format!("smeproc_session={session}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(receipt["sha256"], serde_json::json!(sha));
    // The profile lists the bid with its receipt (and no price).
    b.goto(&app.url("/supplier")).await;
    let text = b.text().await;
    assert!(
        text.contains("自治区教育厅激光打印机采购") && !text.contains("418,000"),
        "{text}"
    );
    assert_eq!(
        b.count(&format!("a[href='/bids/{}']", bid.as_str().unwrap()))
            .await,
        1
    );
    b.screenshot("05b-supplier-profile").await;
    b.close().await;
}

/// A cookie as the browser holds it (WebDriver sees HttpOnly cookies; scripts do not).
async fn webdriver_cookie(b: &Browser, _driver: &Driver, name: &str) -> String {
    let v = b.cookie(name).await;
    assert!(
        v["httpOnly"].as_bool().unwrap(),
        "the session cookie is HttpOnly"
    );
    assert_eq!(v["sameSite"], serde_json::json!("Lax"));
    v["value"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn an_agency_scores_runs_the_evaluation_and_sees_each_explanation() {
    let _one = ONE_AT_A_TIME.lock().await;
    let app = demo_app().await;
    let driver = Driver::start().await;
    let b = Browser::open(&driver).await;
    login(&b, &app, "kashgar").await;
    assert!(b.url().await.ends_with("/agency"));
    b.screenshot("06-agency-workspace").await;
    click_link(&b, "喀什地区教育局教师用便携式计算机采购").await;
    click_link(&b, "包1").await;
    let text = b.text().await;
    assert!(text.contains("投标与评审"), "opened: {text}");
    let bids = b.count("input[name='bid']").await;
    assert_eq!(bids, 3);
    // Two evaluators' sheets.
    for (evaluator, base) in [("专家A", 40), ("专家B", 44)] {
        b.fill("#evaluator", evaluator).await;
        b.fill_all("input[name^='technical_']", |i| format!("{}", base + i))
            .await;
        b.fill_all("input[name^='commercial_']", |i| format!("{}", 15 + i))
            .await;
        b.click_through("form[action$='/scores'] button").await;
    }
    let text = b.text().await;
    assert!(
        text.contains("专家A：") && text.contains("专家B："),
        "{text}"
    );
    b.click_through("form[action$='/evaluate'] button").await;
    let text = b.text().await;
    assert!(text.contains("评审结果"), "{text}");
    assert_eq!(b.count("table.ranking tbody tr").await, 3);
    assert_eq!(b.count("table.ranking details.explain").await, 3);
    b.click("table.ranking tbody tr:first-child details.explain summary")
        .await;
    let text = b.text().await;
    assert!(
        text.contains("综合得分 = ") && text.contains("排名第 1"),
        "{text}"
    );
    b.screenshot("07-agency-evaluation").await;
    b.click_through("form[action$='/award'] button").await;
    let state = b
        .script("return document.getElementById('lot-state').textContent")
        .await;
    assert_eq!(state, serde_json::json!("已定标"));
    b.close().await;
}

/// The demo user's API token.
async fn demo_token(app: &TestApp, username: &str) -> String {
    let res = app.login(username, smeproc::service::demo::PASSWORD).await;
    let body: serde_json::Value = res.json().await.unwrap();
    body["token"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn an_agency_collects_its_key_share_and_opens_the_lot_on_its_page() {
    let _one = ONE_AT_A_TIME.lock().await;
    let app = demo_app().await;
    // A project published by the demo officer (no key plan: the officer holds the only share),
    // and a supplier's bid, over the API.
    let agency = demo_token(&app, "agency").await;
    let now = app.clock.now();
    let at = |h: i64| (now + chrono::Duration::hours(h)).to_rfc3339();
    let body = serde_json::json!({
        "title": "开标演示项目采购", "category": "goods", "category_code": "A0201",
        "procurement_method": "open_tender", "policy": "xinjiang-2011",
        "evaluation": {"method": "lowest_price"}, "budget": "500000", "reservation": "none",
        "reservation_reason": "测试", "region": "650102",
        "bid_deadline": at(1), "opening_at": at(2),
        "lots": [{"title": "唯一采购包", "budget": "500000"}]
    });
    let draft: serde_json::Value = app
        .post("/api/v1/projects", Some(&agency), &body)
        .await
        .json()
        .await
        .unwrap();
    let project = draft["id"].as_str().unwrap().to_string();
    let lot = draft["lots"][0]["id"].as_str().unwrap().to_string();
    let res = app
        .post(
            &format!("/api/v1/projects/{project}/publish"),
            Some(&agency),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let supplier = demo_token(&app, "supplier").await;
    let res = app
        .post(
            &format!("/api/v1/lots/{lot}/bids"),
            Some(&supplier),
            &serde_json::json!({"price": "456789.00"}),
        )
        .await;
    assert_eq!(res.status(), 201);

    let driver = Driver::start().await;
    let b = Browser::open(&driver).await;
    login(&b, &app, "agency").await;
    b.goto(&app.url(&format!("/agency/lots/{lot}"))).await;
    b.click_through("form[action$='/key-share'] button").await;
    let share = b
        .script("return document.getElementById('share-text').textContent")
        .await;
    let share = share.as_str().unwrap().trim().to_string();
    assert!(share.starts_with("smeproc-share-1."), "{share}");
    b.screenshot("08-key-share-once").await;
    // Shown once: the page no longer offers it.
    b.goto(&app.url(&format!("/agency/lots/{lot}"))).await;
    assert_eq!(b.count("form[action$='/key-share']").await, 0);
    assert!(!b.text().await.contains(&share));

    // The opening time: the officer gives its share; the lot opens with its record.
    app.clock.advance(chrono::Duration::hours(3));
    b.goto(&app.url(&format!("/agency/lots/{lot}"))).await;
    b.fill("#share", &share).await;
    b.click_through("form[action$='/opening'] button").await;
    let record = b
        .script("return document.getElementById('opening-record').textContent")
        .await;
    let record = record.as_str().unwrap_or_default().to_string();
    assert!(
        record.contains("456,789.00") && record.contains("已解密"),
        "the opening record: {record}\n{}",
        b.text().await
    );
    b.screenshot("09-opening-record").await;
    b.close().await;
}

#[actix_web::test]
async fn an_auditor_sees_the_share_chart_and_a_late_payment() {
    let _one = ONE_AT_A_TIME.lock().await;
    let app = demo_app().await;
    let driver = Driver::start().await;
    let b = Browser::open(&driver).await;
    login(&b, &app, "auditor").await;
    assert!(b.url().await.contains("/finance"));
    assert!(
        b.count("svg#share-chart g.dept rect").await >= 5,
        "a bar per planned department"
    );
    assert!(
        b.count("svg#share-chart g.dept[data-status='missed']")
            .await
            >= 1
    );
    let text = b.text().await;
    assert!(text.contains("逾期未付"), "{text}");
    assert!(b.count("#overdue tr.flagged").await >= 1);
    // The demo's agencies owe SMEs: a bar per department that does, and one per large prime.
    assert!(
        b.count("svg#overdue-chart g.payer[data-kind='预算单位'] rect")
            .await
            >= 1,
        "{text}"
    );
    b.screenshot("08-finance-dashboard").await;
    // An overdue instalment on its schedule: the acceptance, the due date, the interest.
    b.mark_page().await;
    let opened = b
        .script("const a = document.querySelector('#overdue tr.flagged a'); a.click(); return a.textContent;")
        .await;
    b.wait_for_new_page().await;
    let text = b.text().await;
    assert!(
        text.contains(opened.as_str().unwrap())
            && text.contains("验收合格")
            && text.contains("逾期利息"),
        "{text}"
    );
    assert!(b.count("tr.instalment[data-status='overdue']").await >= 1);
    b.screenshot("08b-payment-schedule").await;
    b.goto(&app.url("/finance")).await;
    click_link(&b, "立即核验审计链").await;
    let status = b
        .script("return document.getElementById('audit-status').textContent")
        .await;
    assert!(status.as_str().unwrap().contains("完整"), "{status}");
    click_link(&b, "喀什地区第一人民医院").await;
    let text = b.text().await;
    assert!(text.contains("合同明细") && text.contains("XJ-"), "{text}");
    b.screenshot("09-finance-department").await;
    // The catalogue with market prices, seen by anyone.
    b.goto(&app.url("/catalogue?q=%E6%89%93%E5%8D%B0%E6%9C%BA"))
        .await;
    let text = b.text().await;
    assert!(
        text.contains("行情参考价") && text.contains("中位数"),
        "{text}"
    );
    b.screenshot("10-catalogue").await;
    b.close().await;
}

/// The Chinese halves of the templates' `b.t("中文", "English")` pairs and of the message
/// catalogue: what an English page must not show.
fn chinese_messages() -> Vec<String> {
    let mut out: Vec<String> = smeproc::domain::messages::CATALOGUE
        .iter()
        .map(|e| {
            e.zh.split('{')
                .next()
                .unwrap_or_default()
                .trim()
                .to_string()
        })
        .collect();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        for part in text.split("b.t(\"").skip(1) {
            if let Some((zh, _)) = part.split_once('"') {
                out.push(zh.to_string());
            }
        }
    }
    // Two characters or more: a single 是 or 否 may be part of a name.
    out.retain(|m| m.chars().filter(|c| !c.is_ascii()).count() >= 2);
    out.sort();
    out.dedup();
    out
}

/// English words on a Chinese page: Latin words of two letters or more, less codes (all
/// capitals or with digits: CSV, OCDS, A02, SHA-256), ids, usernames and the words of `known`
/// (data such as a policy id), and the switch to English itself.
fn english_words(text: &str, known: &[&str]) -> Vec<String> {
    let mut words = Vec::new();
    for token in text.split_whitespace() {
        if token.chars().any(|c| c.is_ascii_digit())
            || known.iter().any(|k| token.contains(k))
            || token.contains('@')
            || token.contains('-') && token.len() > 20
        {
            continue;
        }
        for w in smeproc::domain::messages::latin_words(token) {
            if w.chars().all(|c| c.is_ascii_uppercase()) || w == "English" {
                continue;
            }
            words.push(w);
        }
    }
    words
}

/// The maximal runs of Chinese characters in a text.
fn cjk_runs(text: &str) -> Vec<String> {
    text.split(|c: char| !smeproc::domain::messages::has_cjk(&c.to_string()))
        .filter(|r| !r.is_empty())
        .map(String::from)
        .collect()
}

/// The text less anything in parentheses (ASCII or full-width).
fn without_parentheses(text: &str) -> String {
    let text = text.trim();
    let mut depth = 0u32;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '(' | '（' => depth += 1,
            ')' | '）' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Opens every <details> so the explanations are part of the text read.
async fn open_details(b: &Browser) {
    b.script("document.querySelectorAll('details').forEach(d => d.open = true); return true")
        .await;
}

/// The result notice, the finance dashboard and the supplier's pages read in one language:
/// no English words in Chinese mode, none of the Chinese messages in English mode.
#[actix_web::test]
async fn each_page_speaks_one_language() {
    let _one = ONE_AT_A_TIME.lock().await;
    let app = demo_app().await;
    let result: serde_json::Value = app
        .client
        .get(app.url("/api/v1/notices?kind=result"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let notice = result["items"][0]["id"].as_str().unwrap().to_string();
    // Names, not words: the product, the feed format, the policy ids, usernames.
    let known = [
        "smeproc", "Atom", "Excel", "xinjiang", "national", "supplier", "auditor", "kashgar",
        "agency", "admin",
    ];
    let pages: [(&str, Option<&str>); 5] = [
        ("/notices/{notice}", None),
        ("/finance", Some("auditor")),
        ("/supplier", Some("supplier")),
        ("/supplier/products", Some("supplier")),
        // A refusal: the agency's pages are not the supplier's (403).
        ("/agency", Some("supplier")),
    ];
    let messages = chinese_messages();
    // The rules' own terms and examples, which the English quotes too (中小企业无法提供).
    let terms: Vec<String> = smeproc::domain::messages::CATALOGUE
        .iter()
        .flat_map(|e| cjk_runs(e.en))
        .collect();
    assert!(messages.len() > 100, "{} messages", messages.len());
    let driver = Driver::start().await;
    for (path, user) in pages {
        let path = path.replace("{notice}", &notice);
        let b = Browser::open(&driver).await;
        if let Some(user) = user {
            login(&b, &app, user).await;
        }
        // Chinese, the default.
        b.goto(&app.url(&path)).await;
        open_details(&b).await;
        let zh = b.text().await;
        assert!(zh.len() > 200, "{path}: {zh}");
        let words = english_words(&zh, &known);
        assert!(words.is_empty(), "{path}: English {words:?} in\n{zh}");
        // English.
        b.goto(&app.url(&format!(
            "/lang?to=en&back={}",
            form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>()
        )))
        .await;
        open_details(&b).await;
        // The English lines name the rules' Chinese terms in parentheses: those stay. A line the
        // same in both languages is data (a title, a name), not a message.
        let en: String = b
            .text()
            .await
            .lines()
            .filter(|l| !zh.lines().any(|z| z == *l))
            .map(without_parentheses)
            .collect::<Vec<_>>()
            .join("\n");
        // A run of Chinese characters that is a whole message (or a whole part of one) is a
        // message left untranslated; data such as 喀什地区教育局 only contains such words.
        let runs = cjk_runs(&en);
        let left: Vec<_> = messages
            .iter()
            .flat_map(|m| cjk_runs(m))
            .filter(|m| m.chars().count() >= 2 && runs.contains(m) && !terms.contains(m))
            .collect();
        assert!(left.is_empty(), "{path}: untranslated {left:?} in\n{en}");
        b.close().await;
    }
}

/// A form shown again with its field problems: in Chinese, each problem names the field and
/// the rule in Chinese; in English, the API's own words.
#[actix_web::test]
async fn a_form_names_its_problems_in_the_visitors_language() {
    let _one = ONE_AT_A_TIME.lock().await;
    let app = demo_app().await;
    let driver = Driver::start().await;
    let b = Browser::open(&driver).await;
    let fill_badly = || async {
        b.goto(&app.url("/signup")).await;
        // The browser's own checks would stop the form: these problems are the server's.
        b.script(
            "document.querySelectorAll('form').forEach(f => f.noValidate = true); return true",
        )
        .await;
        b.fill("#username", "ab").await;
        b.fill("#password", "short").await;
        b.fill("#e-code", "123").await;
        b.fill("#e-region", "99").await;
        b.click_through("form.stack button[type=submit]").await;
        b.script("return Array.from(document.querySelectorAll('ul.problems li')).map(li => li.textContent).join('\\n')")
            .await
            .as_str()
            .unwrap()
            .to_string()
    };
    let zh = fill_badly().await;
    for needle in [
        "用户名：长度须为 3–64 个字符",
        "统一社会信用代码：须为 18 位，实际为 3 位",
        "名称：必填",
    ] {
        assert!(zh.contains(needle), "{needle:?} not in\n{zh}");
    }
    let words = english_words(&zh, &[]);
    assert!(words.is_empty(), "English {words:?} in\n{zh}");

    b.goto(&app.url("/lang?to=en&back=/signup")).await;
    let en = fill_badly().await;
    assert!(
        en.contains("credit_code: must be 18 characters, got 3"),
        "{en}"
    );
    assert!(!smeproc::domain::messages::has_cjk(&en), "{en}");
    b.close().await;
}

#[actix_web::test]
async fn a_supplier_files_a_challenge_with_a_document_and_reads_the_agencys_answer() {
    let _one = ONE_AT_A_TIME.lock().await;
    let app = demo_app().await;
    let driver = Driver::start().await;
    let b = Browser::open(&driver).await;
    // The supplier obtains the tender documents of the open printer project, then challenges
    // them with its evidence.
    login(&b, &app, "supplier4").await;
    b.goto(&app.url("/notices?kind=procurement&reserved=true"))
        .await;
    click_link(&b, "自治区教育厅激光打印机采购").await;
    click_link(&b, "项目详情").await;
    let project_page = b.url().await;
    let doc = b
        .script("return document.querySelector('#documents a').getAttribute('href')")
        .await;
    let session = webdriver_cookie(&b, &driver, "smeproc_session").await;
    let got = app
        .client
        .get(app.url(doc.as_str().unwrap()))
        .header("cookie", format!("smeproc_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200, "the supplier obtains the documents");
    b.goto(&project_page).await;
    b.click_through("#challenge-link").await;
    b.click("#ch-kind option[value=documents]").await;
    b.fill("#ch-facts", "采购需求中的打印速度指标指向单一品牌。")
        .await;
    b.fill("#ch-grounds", "《政府采购法实施条例》第二十条")
        .await;
    b.fill("#ch-requests", "请修改采购需求并顺延投标截止时间。")
        .await;
    let dir = tempfile::tempdir().unwrap();
    let evidence = dir.path().join("市场调研.pdf");
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.extend((0..20_000u32).map(|i| (i * 13 % 251) as u8));
    std::fs::write(&evidence, &pdf).unwrap();
    b.attach("#ch-evidence", &evidence).await;
    b.screenshot("14-challenge-form").await;
    b.click_through("form.stack button[type=submit]").await;
    let challenge_url = b.url().await;
    assert!(challenge_url.contains("/challenges/"), "{}", b.text().await);
    let text = b.text().await;
    assert!(
        text.contains("待答复") && text.contains("市场调研.pdf"),
        "{text}"
    );
    assert!(
        text.contains(&smeproc::domain::digest::sha256_hex(&pdf)),
        "the evidence listed with its hash: {text}"
    );
    b.screenshot("15-challenge-filed").await;
    b.close().await;

    // The agency answers on the same page.
    let b = Browser::open(&driver).await;
    login(&b, &app, "agency").await;
    b.goto(&challenge_url).await;
    b.click("#a-finding option[value=upheld]").await;
    b.fill(
        "#a-text",
        "质疑成立：已修改打印速度指标，另行发布更正公告并顺延截止时间。",
    )
    .await;
    b.click_through("#answer-form button[type=submit]").await;
    assert!(b.text().await.contains("已答复"), "{}", b.text().await);
    b.close().await;

    // The supplier reads the answer.
    let b = Browser::open(&driver).await;
    login(&b, &app, "supplier4").await;
    b.goto(&app.url("/challenges")).await;
    let list = b.text().await;
    assert!(
        list.contains("自治区教育厅激光打印机采购") && list.contains("已答复"),
        "{list}"
    );
    b.goto(&challenge_url).await;
    let answer = b
        .script("return document.getElementById('answer-text').textContent")
        .await;
    assert!(
        answer.as_str().unwrap_or_default().contains("质疑成立"),
        "{answer}"
    );
    assert!(b.text().await.contains("成立"));
    b.screenshot("16-challenge-answered").await;
    b.close().await;
}
