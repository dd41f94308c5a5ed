//! Bid documents (响应文件): multipart upload, sealed in the store until the opening, checked
//! by content and against their limits, back byte for byte after the opening.

use crate::fixtures::scenario;
use crate::helpers::*;
use chrono::Duration;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// A multipart body: (name, filename, bytes) parts. The content type and the body.
pub fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "smeprocBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, filename, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match filename {
            Some(f) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub async fn send_multipart(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    parts: &[(&str, Option<&str>, &[u8])],
) -> reqwest::Response {
    let (content_type, body) = multipart(parts);
    app.client
        .request(method, app.url(path))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Deterministic bytes that look like nothing (a PRNG), after a file type's magic.
pub fn file_of(magic: &[u8], len: usize, seed: u64) -> Vec<u8> {
    let mut out = magic.to_vec();
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

pub(crate) fn sha(bytes: &[u8]) -> String {
    smeproc::domain::digest::hex(&Sha256::digest(bytes))
}

/// Every file in the document store, read whole: (location, bytes), from the folder or from the
/// database's `document_chunks`.
pub(crate) fn store_files(app: &TestApp) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, Vec<u8>)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    match app.settings.document_store {
        smeproc::config::DocumentStore::Folder => walk(&app.settings.document_dir, &mut out),
        smeproc::config::DocumentStore::Database => {
            use diesel::prelude::*;
            use smeproc::db::schema::document_chunks as c;
            let mut conn = app.pool.get().unwrap();
            let rows: Vec<(String, i32, Vec<u8>)> = c::table
                .order((c::location.asc(), c::seq.asc()))
                .load(&mut conn)
                .unwrap();
            for (location, _, bytes) in rows {
                match out.last_mut() {
                    Some((l, b)) if l.as_os_str() == location.as_str() => b.extend(bytes),
                    _ => out.push((location.into(), bytes)),
                }
            }
        }
    }
    out
}

pub(crate) fn holds_a_run_of(hay: &[u8], doc: &[u8]) -> bool {
    // Any 32-byte run from a few places of the document.
    [9usize, doc.len() / 3, doc.len() / 2, doc.len() - 40]
        .iter()
        .any(|&at| {
            let run = &doc[at..at + 32];
            hay.windows(32).any(|w| w == run)
        })
}

#[actix_web::test]
async fn documents_are_sealed_with_the_bid_and_come_back_byte_identical_after_the_opening() {
    let app = spawn_app_with(|s| s.token_ttl_minutes = 60 * 24 * 60).await;
    let s = scenario(&app).await;
    let supplier = app.supplier_token(&s.small.1).await;
    let pdf = file_of(b"%PDF-1.7\n", 200 * 1024 + 17, 1);
    let png = file_of(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A], 3000, 2);
    let bid = json!({"price": "1888888.00"}).to_string();
    let res = send_multipart(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/lots/{}/bids", s.open_lot),
        &supplier,
        &[
            ("bid", None, bid.as_bytes()),
            ("technical", Some("技术方案.pdf"), &pdf),
            ("qualification", Some("营业执照.png"), &png),
        ],
    )
    .await;
    let receipt = json_of(res, 201).await;
    let canonical: Value = serde_json::from_str(receipt["canonical"].as_str().unwrap()).unwrap();
    assert_eq!(
        receipt["sha256"].as_str().unwrap(),
        sha(receipt["canonical"].as_str().unwrap().as_bytes()),
        "the receipt covers the canonical bid"
    );
    let docs = canonical["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0]["kind"], "technical");
    assert_eq!(docs[0]["filename"], "技术方案.pdf");
    assert_eq!(docs[0]["media_type"], "application/pdf");
    assert_eq!(docs[0]["size_bytes"], pdf.len());
    assert_eq!(docs[0]["sha256"], sha(&pdf));
    assert_eq!(docs[1]["media_type"], "image/png");
    assert_eq!(docs[1]["sha256"], sha(&png));
    let bid_id = receipt["bid_id"].as_str().unwrap();
    let pdf_id = docs[0]["id"].as_str().unwrap();
    let doc_path = format!("/api/v1/bids/{bid_id}/documents/{pdf_id}");

    // Before the opening nobody downloads it, and no copy holds its bytes.
    for token in [&s.agency, &supplier] {
        let res = app.get(&doc_path, Some(token)).await;
        assert_eq!(res.status(), 409, "sealed");
    }
    let files = store_files(&app);
    assert_eq!(files.len(), 2, "two sealed files: {files:?}");
    for (path, bytes) in &files {
        assert!(path.to_string_lossy().contains("sealed"), "{path:?}");
        assert!(!holds_a_run_of(bytes, &pdf) && !holds_a_run_of(bytes, &png));
    }
    if let smeproc::config::DatabaseUrl::Sqlite(db) = &app.settings.database {
        let mut copy = std::fs::read(db).unwrap();
        let mut wal = db.clone().into_os_string();
        wal.push("-wal");
        copy.extend(std::fs::read(wal).unwrap_or_default());
        assert!(!holds_a_run_of(&copy, &pdf) && !holds_a_run_of(&copy, &png));
        assert!(
            !copy.windows(16).any(|w| w == "技术方案.pdf".as_bytes()),
            "the name is sealed too"
        );
    }

    // After the opening: byte for byte, to the staff and the supplier; not to another.
    app.clock.advance(Duration::days(19) + Duration::hours(1));
    app.open_lots().await;
    for token in [&s.agency, &supplier] {
        let res = app.get(&doc_path, Some(token)).await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers()["content-type"].to_str().unwrap(),
            "application/pdf"
        );
        assert!(res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''"));
        let body = res.bytes().await.unwrap();
        assert_eq!(body.len(), pdf.len());
        assert!(body.as_ref() == pdf.as_slice(), "byte-identical");
    }
    let other = app.supplier_token(&s.medium.1).await;
    assert_eq!(app.get(&doc_path, Some(&other)).await.status(), 404);
    let files = store_files(&app);
    assert!(
        files
            .iter()
            .all(|(p, _)| p.to_string_lossy().contains("open")),
        "the sealed copies are gone once opened: {:?}",
        files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    // The opened bid lists its documents.
    let opened = json_of(
        app.get(&format!("/api/v1/bids/{bid_id}"), Some(&s.agency))
            .await,
        200,
    )
    .await;
    assert_eq!(opened["content"]["documents"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn a_refused_document_names_its_part_and_leaves_nothing_behind() {
    let app = spawn_app_with(|s| {
        s.document_max_bytes = 100_000;
        s.bid_documents_max_bytes = 150_000;
    })
    .await;
    let s = scenario(&app).await;
    let supplier = app.supplier_token(&s.small.1).await;
    let path = format!("/api/v1/lots/{}/bids", s.open_lot);
    let bid = json!({"price": "1888888.00"}).to_string();
    let exe = file_of(b"MZ\x90\x00", 5000, 3);
    let big = file_of(b"%PDF-1.4\n", 120_000, 4);
    let half = file_of(b"%PDF-1.4\n", 80_000, 5);
    let small_pdf = file_of(b"%PDF-1.4\n", 1000, 6);
    let post = |parts: Vec<(&'static str, Option<&'static str>, Vec<u8>)>| {
        let (app, path, token) = (&app, path.clone(), supplier.clone());
        async move {
            let parts: Vec<(&str, Option<&str>, &[u8])> = parts
                .iter()
                .map(|(n, f, b)| (*n, *f, b.as_slice()))
                .collect();
            send_multipart(app, reqwest::Method::POST, &path, &token, &parts).await
        }
    };
    let b = || bid.clone().into_bytes();
    // Not a type accepted, told by content (the name says .pdf).
    let body = problem(
        post(vec![
            ("bid", None, b()),
            ("technical", Some("a.pdf"), exe.clone()),
        ])
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&body), ["documents.technical"], "{body}");
    assert!(body["detail"].as_str().unwrap().contains("a.pdf"), "{body}");
    // Over the per-file limit.
    let body = problem(
        post(vec![
            ("bid", None, b()),
            ("technical", Some("big.pdf"), big.clone()),
        ])
        .await,
        413,
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("technical (big.pdf)"),
        "{body}"
    );
    // Over the per-bid limit, though each file is within its own.
    let body = problem(
        post(vec![
            ("bid", None, b()),
            ("technical", Some("1.pdf"), half.clone()),
            ("other", Some("2.pdf"), half.clone()),
        ])
        .await,
        413,
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("documents"),
        "{body}"
    );
    // An unknown kind, a file before the bid, a bad bid.
    let body = problem(
        post(vec![
            ("bid", None, b()),
            ("brochure", Some("x.pdf"), small_pdf.clone()),
        ])
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&body), ["documents.brochure"]);
    let body = problem(
        post(vec![
            ("technical", Some("x.pdf"), small_pdf.clone()),
            ("bid", None, b()),
        ])
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&body), ["bid"]);
    let body = problem(
        post(vec![
            ("bid", None, b"{\"price\": \"-5\"}".to_vec()),
            ("technical", Some("x.pdf"), small_pdf.clone()),
        ])
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&body), ["price"], "{body}");
    // Nothing was kept: no file in the store, no bid.
    let files = store_files(&app);
    assert!(
        files.is_empty(),
        "{:?}",
        files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    let lots = json_of(
        app.get(
            &format!("/api/v1/lots/{}/bids", s.open_lot),
            Some(&s.agency),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(lots["count"], 0);

    // A good one, then replaced with other documents: each bid keeps its own.
    let first = json_of(
        post(vec![
            ("bid", None, b()),
            ("technical", Some("v1.pdf"), small_pdf.clone()),
        ])
        .await,
        201,
    )
    .await;
    let v2 = file_of(b"%PDF-1.5\n", 2000, 7);
    let parts = [
        ("bid", None, bid.as_bytes()),
        ("technical", Some("v2.pdf"), v2.as_slice()),
    ];
    let res = send_multipart(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v1/bids/{}", first["bid_id"].as_str().unwrap()),
        &supplier,
        &parts,
    )
    .await;
    let second = json_of(res, 200).await;
    let canonical: Value = serde_json::from_str(second["canonical"].as_str().unwrap()).unwrap();
    assert_eq!(canonical["documents"][0]["filename"], "v2.pdf");
    assert_eq!(canonical["replaces"], first["bid_id"]);
    assert_eq!(store_files(&app).len(), 2);
}

/// The procurement documents (采购文件): attached to the draft, published with their hashes,
/// obtained by a logged-in supplier byte for byte, and who obtained them disclosed to the
/// project's staff only after the opening (the database names the firm by no id or name).
#[actix_web::test]
async fn procurement_documents_are_published_with_their_hashes_and_who_obtained_them_is_disclosed_after_the_opening(
) {
    let app = spawn_app_with(|s| s.token_ttl_minutes = 60 * 24 * 60).await;
    let (_, agency) = app.agency_token().await;
    let firm = app.create_firm("阿克苏小型文具有限公司", "652901", "small");
    let supplier = app.supplier_token(&firm.1).await;
    let res = app
        .post(
            "/api/v1/projects",
            Some(&agency),
            &crate::fixtures::project_body(),
        )
        .await;
    let id = json_of(res, 201).await["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/projects/{id}/documents");
    let tender = file_of(b"%PDF-1.4\n", 150 * 1024 + 3, 7);
    let requirements = file_of(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A], 5000, 8);
    let extra = file_of(b"%PDF-1.5\n", 900, 9);

    // Refusals name the part and leave nothing behind.
    let before = store_files(&app).len();
    let res = send_multipart(
        &app,
        reqwest::Method::POST,
        &path,
        &agency,
        &[
            ("tender", Some("招标文件.pdf"), &tender),
            ("technical", Some("x.pdf"), &extra),
        ],
    )
    .await;
    assert_eq!(
        problem_fields(&problem(res, 422).await),
        ["documents.technical"]
    );
    let res = send_multipart(
        &app,
        reqwest::Method::POST,
        &path,
        &agency,
        &[(
            "tender",
            Some("notes.txt"),
            b"just some text, not a document".as_slice(),
        )],
    )
    .await;
    assert_eq!(
        problem_fields(&problem(res, 422).await),
        ["documents.tender"]
    );
    let res = send_multipart(
        &app,
        reqwest::Method::POST,
        &path,
        &supplier,
        &[("tender", Some("t.pdf"), &extra)],
    )
    .await;
    assert_eq!(res.status(), 403, "only agencies attach documents");
    assert_eq!(store_files(&app).len(), before, "nothing stays behind");
    assert_eq!(
        app.get(&path, None).await.status(),
        404,
        "a draft's documents are hidden"
    );

    let res = send_multipart(
        &app,
        reqwest::Method::POST,
        &path,
        &agency,
        &[
            ("tender", Some("招标文件.pdf"), &tender),
            ("requirements", Some("采购需求.png"), &requirements),
            ("other", Some("合同草案.pdf"), &extra),
        ],
    )
    .await;
    let listed = json_of(res, 201).await;
    assert_eq!(listed.as_array().unwrap().len(), 3);
    let other = listed[2]["id"].as_str().unwrap().to_string();
    let res = app
        .send(
            reqwest::Method::DELETE,
            &format!("{path}/{other}"),
            Some(&agency),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    let published = app.publish(&id, &agency).await;
    assert_eq!(published["state"], "published");
    let notices = json_of(
        app.get(&format!("/api/v1/notices?project_id={id}"), None)
            .await,
        200,
    )
    .await;
    let notice = &notices["items"][0];
    let docs = notice["body"]["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 2, "{notice}");
    assert_eq!(docs[0]["sha256"], sha(&tender));
    assert_eq!(docs[0]["kind"], "tender");
    assert_eq!(docs[1]["sha256"], sha(&requirements));
    assert_eq!(docs[1]["media_type"], "image/png");
    let tender_id = docs[0]["id"].as_str().unwrap().to_string();

    // Fixed once published.
    let res = send_multipart(
        &app,
        reqwest::Method::POST,
        &path,
        &agency,
        &[("other", Some("late.pdf"), &extra)],
    )
    .await;
    assert_eq!(problem(res, 409).await["code"], "wrong_state");
    let listed = json_of(app.get(&path, None).await, 200).await;
    assert_eq!(listed.as_array().unwrap().len(), 2);

    // Obtaining needs a login; a supplier's download is the file, recorded once.
    let doc_path = format!("{path}/{tender_id}");
    assert_eq!(app.get(&doc_path, None).await.status(), 401);
    for _ in 0..2 {
        let res = app.get(&doc_path, Some(&supplier)).await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers()["x-content-sha256"].to_str().unwrap(),
            sha(&tender)
        );
        assert_eq!(res.bytes().await.unwrap().as_ref(), tender.as_slice());
    }
    let obtained_path = format!("/api/v1/projects/{id}/obtained-documents");
    let res = app.get(&obtained_path, Some(&agency)).await;
    assert_eq!(problem(res, 409).await["code"], "not_opened");
    assert_eq!(app.get(&obtained_path, Some(&supplier)).await.status(), 403);
    for (table, text) in crate::sealing::rows_by_table(&app) {
        if [
            "enterprises",
            "users",
            "declarations",
            "products",
            "audit_events",
        ]
        .contains(&table.as_str())
        {
            continue;
        }
        assert!(
            !text.contains(&firm.0),
            "{table} holds the firm's id before the opening"
        );
        assert!(
            !text.contains("阿克苏小型文具有限公司"),
            "{table} names the firm"
        );
    }

    app.clock.advance(Duration::days(20));
    app.open_lots().await;
    let list = json_of(app.get(&obtained_path, Some(&agency)).await, 200).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["credit_code"], firm.1.as_str());
    assert_eq!(list[0]["enterprise_name"], "阿克苏小型文具有限公司");
    assert_eq!(list[0]["document_id"], tender_id.as_str());
}
