//! The audit log: every state change of the lifecycle appends to the hash chain; editing,
//! removing or cutting off events behind the service's back is found and named.

use crate::helpers::{problem, spawn_app_with, TestApp};
use diesel::RunQueryDsl;
use serde_json::Value;

async fn verify(app: &TestApp, token: &str) -> Value {
    let res = app.get("/api/v1/audit/verify", Some(token)).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn sql(app: &TestApp, statement: &str) {
    let mut conn = app.pool.get().unwrap();
    diesel::sql_query(statement).execute(&mut conn).unwrap();
}

/// The database refuses to change or remove audit events and to move the head back, for
/// anyone who writes SQL; only removing its triggers (DDL: a database administrator) gets
/// past, which is what the tampering tests then do, as such an administrator would.
pub fn remove_audit_guards(app: &TestApp) {
    let mut conn = app.pool.get().unwrap();
    for statement in [
        "UPDATE audit_events SET actor = 'x' WHERE seq = 1",
        "DELETE FROM audit_events WHERE seq = 1",
        "DELETE FROM audit_head",
        "UPDATE audit_head SET seq = 0",
        "UPDATE audit_head SET hash = 'made-up'",
    ] {
        let err = diesel::sql_query(statement)
            .execute(&mut conn)
            .expect_err(statement)
            .to_string();
        assert!(err.contains("audit"), "{statement}: {err}");
    }
    let guards: &[&str] = match app.settings.database {
        smeproc::config::DatabaseUrl::Sqlite(_) => &[
            "DROP TRIGGER audit_events_no_update",
            "DROP TRIGGER audit_events_no_delete",
            "DROP TRIGGER audit_head_no_delete",
            "DROP TRIGGER audit_head_forward",
            "DROP TRIGGER audit_head_names_its_event",
        ],
        smeproc::config::DatabaseUrl::Postgres(_) => &[
            "ALTER TABLE audit_events DISABLE TRIGGER USER",
            "ALTER TABLE audit_head DISABLE TRIGGER USER",
        ],
    };
    for g in guards {
        diesel::sql_query(*g).execute(&mut conn).unwrap();
    }
}

#[actix_web::test]
async fn the_lifecycle_is_logged_and_tampering_is_named() {
    let app = spawn_app_with(|s| s.token_ttl_minutes = 60 * 24 * 60).await;
    let (_, agency) = app.agency_token().await;
    let (_, supplier) = app.user_with_token("supplier").await;
    let done = crate::fixtures::concluded(&app, &agency, &supplier).await;
    let (_, auditor) = app.user_with_token("auditor").await;

    // (The department's plan lists the project's reserved lot.)
    let res = app
        .get(
            &format!("/api/v1/budget-plans/{}/2026", done.department),
            Some(&auditor),
        )
        .await;
    let plan: Value = res.json().await.unwrap();
    assert_eq!(
        plan["reserved_lots"].as_array().map(Vec::len),
        Some(1),
        "{plan}"
    );
    assert_eq!(plan["reserved_lots"][0]["budget"], "1000000.00");

    let report = verify(&app, &auditor).await;
    assert_eq!(report["ok"], true, "{report}");
    let total = report["events_checked"].as_i64().unwrap();
    assert_eq!(report["head_seq"].as_i64(), Some(total));

    // The project's whole history, in order, by entity.
    let res = app
        .get(
            &format!(
                "/api/v1/audit/events?entity=project&entity_id={}",
                done.project
            ),
            Some(&auditor),
        )
        .await;
    let page: Value = res.json().await.unwrap();
    let actions: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "project.create",
            "project.document.attach",
            "project.publish",
            "project.evaluated",
            "project.result"
        ]
    );
    for action in [
        "bid.submit",
        "bid.qualify",
        "score.enter",
        "evaluation.run",
        "lot.award",
        "notice.publish",
        "contract.create",
        "session.login",
        "user.create",
        "enterprise.register",
    ] {
        let res = app
            .get(
                &format!("/api/v1/audit/events?action={action}&limit=1"),
                Some(&auditor),
            )
            .await;
        let page: Value = res.json().await.unwrap();
        assert_eq!(
            page["items"].as_array().unwrap().len(),
            1,
            "no {action} event"
        );
    }
    // Events name the actor; the agency's project events are its user's.
    let first = &page["items"][0];
    assert!(
        first["actor"].as_str().is_some_and(|a| a.len() == 36),
        "{first}"
    );
    // Paging by sequence number.
    let res = app
        .get("/api/v1/audit/events?limit=5", Some(&auditor))
        .await;
    let page: Value = res.json().await.unwrap();
    assert_eq!(page["next_after_seq"], 5);
    // Bad filters are named.
    let res = app
        .get(
            "/api/v1/audit/events?from=yesterday&limit=0",
            Some(&auditor),
        )
        .await;
    let body = problem(res, 422).await;
    assert_eq!(crate::helpers::problem_fields(&body), ["limit", "from"]);

    // Edit one event's actor behind the service's back: the check names it.
    remove_audit_guards(&app);
    let target = total / 2;
    sql(
        &app,
        &format!("UPDATE audit_events SET actor = 'someone-else' WHERE seq = {target}"),
    );
    let report = verify(&app, &auditor).await;
    assert_eq!(report["ok"], false);
    assert_eq!(
        report["first_broken"]["seq"].as_i64(),
        Some(target),
        "{report}"
    );
    assert!(report["first_broken"]["reason"]
        .as_str()
        .unwrap()
        .contains("does not match its hash"));
    assert_eq!(report["events_checked"].as_i64(), Some(target - 1));
}

#[actix_web::test]
async fn removed_and_cut_off_events_are_named() {
    let app = spawn_app_with(|_| {}).await;
    let (_, auditor) = app.user_with_token("auditor").await;
    for i in 0..6 {
        app.create_firm(&format!("审计测试企业{i}"), "650102", "small");
    }
    let report = verify(&app, &auditor).await;
    assert_eq!(report["ok"], true, "{report}");
    let total = report["head_seq"].as_i64().unwrap();
    assert!(total >= 8);
    // A removed event in the middle.
    remove_audit_guards(&app);
    sql(&app, "DELETE FROM audit_events WHERE seq = 3");
    let report = verify(&app, &auditor).await;
    assert_eq!(report["first_broken"]["seq"], 3, "{report}");
    assert!(report["first_broken"]["reason"]
        .as_str()
        .unwrap()
        .contains("missing"));
    // Put back a forged copy with a recomputed-looking hash: still named (its prev/hash differ).
    sql(&app, "INSERT INTO audit_events (seq, at, actor, action, entity, entity_id, prev_hash, hash) \
               SELECT 3, at, actor, action, entity, entity_id, prev_hash, hash FROM audit_events WHERE seq = 2");
    let report = verify(&app, &auditor).await;
    assert_eq!(report["first_broken"]["seq"], 3, "{report}");
    // The tail cut off: the head no longer matches.
    sql(&app, "DELETE FROM audit_events WHERE seq = 3");
    sql(&app, "INSERT INTO audit_events (seq, at, actor, action, entity, entity_id, prev_hash, hash) \
               SELECT 3, at, actor, action, entity, entity_id, prev_hash, hash FROM audit_events WHERE seq = 2");
    sql(&app, "DELETE FROM audit_events WHERE seq >= 3");
    let report = verify(&app, &auditor).await;
    assert_eq!(report["first_broken"]["seq"], 3, "{report}");
    assert!(
        report["first_broken"]["reason"]
            .as_str()
            .unwrap()
            .contains("head"),
        "{report}"
    );
    // Only auditors and admins read the log.
    let (_, agency) = app.user_with_token("agency").await;
    problem(app.get("/api/v1/audit/verify", Some(&agency)).await, 403).await;
}

/// Checkpoints: an admin signs the head now; anyone reads them (JSON with the public key, and
/// Atom); each signature verifies under the published key; the server signs on its own once
/// enough events have been added.
#[actix_web::test]
async fn checkpoints_are_signed_public_and_made_on_schedule() {
    let app = spawn_app_with(|s| {
        s.checkpoint_every_events = 5;
        s.checkpoint_check_seconds = 1;
    })
    .await;
    let (_, admin) = app.user_with_token("admin").await;
    let (_, agency) = app.user_with_token("agency").await;
    problem(
        app.post(
            "/api/v1/audit/checkpoints",
            Some(&agency),
            &serde_json::json!({}),
        )
        .await,
        403,
    )
    .await;
    let res = app
        .post(
            "/api/v1/audit/checkpoints",
            Some(&admin),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let made: Value = res.json().await.unwrap();
    // Signing again without new events gives the same checkpoint back.
    let res = app
        .post(
            "/api/v1/audit/checkpoints",
            Some(&admin),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let again: Value = res.json().await.unwrap();
    assert_eq!(again["seq"], made["seq"]);

    let res = app.get("/api/v1/audit/checkpoints", None).await;
    assert_eq!(res.status(), 200);
    let page: Value = res.json().await.unwrap();
    let key = page["public_key"].as_str().unwrap();
    let c = &page["items"][0];
    let signed_at = chrono::DateTime::parse_from_rfc3339(c["signed_at"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    let message = smeproc::service::audit::checkpoints::signed_message(
        c["seq"].as_i64().unwrap(),
        c["head_hash"].as_str().unwrap(),
        signed_at,
        c["key_id"].as_str().unwrap(),
    );
    assert!(smeproc::service::auth::keys::verify_signature(
        key,
        message.as_bytes(),
        c["signature"].as_str().unwrap()
    ));
    let seq = c["seq"].as_i64().unwrap();
    let event: Value = app
        .get(
            &format!("/api/v1/audit/events?after_seq={}&limit=1", seq - 1),
            Some(&admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        c["head_hash"], event["items"][0]["hash"],
        "the hash of the event it covers"
    );
    let atom = app
        .get("/api/v1/audit/checkpoints.atom", None)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        atom.contains(&format!("urn:smeproc:audit-checkpoint:{}", c["seq"])),
        "{atom}"
    );
    assert!(atom.contains(key));

    // Six more events: the server signs on its own within a few seconds.
    let first = made["seq"].as_i64().unwrap();
    for i in 0..6 {
        app.create_firm(&format!("检查点企业{i}"), "650102", "small");
    }
    let mut latest = first;
    for _ in 0..100 {
        let page: Value = app
            .get("/api/v1/audit/checkpoints", None)
            .await
            .json()
            .await
            .unwrap();
        latest = page["items"].as_array().unwrap().last().unwrap()["seq"]
            .as_i64()
            .unwrap();
        if latest > first {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        latest >= first + 6,
        "a checkpoint on schedule: {latest} after {first}"
    );
}
