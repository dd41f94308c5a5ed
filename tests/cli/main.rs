//! The `smeproc` binary: exit codes (0 done, 2 invalid input, 1 other), messages, no side effects
//! on refusal.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

use common::{evaluation_examples, invalid_cases, subset_differences};
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn smeproc(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_smeproc"))
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    pipe.write_all(stdin.unwrap_or_default().as_bytes())
        .unwrap();
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn evaluate_reproduces_every_worked_example() {
    let dir = tempfile::tempdir().unwrap();
    for (name, input, expected) in evaluation_examples() {
        let file = dir.path().join(&name);
        std::fs::write(&file, input.to_string()).unwrap();
        let out = smeproc(dir.path(), &["evaluate", file.to_str().unwrap()], None);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", text(&out.stderr));
        let actual: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let diffs = subset_differences(&expected, &actual, "");
        assert!(diffs.is_empty(), "{name}: {diffs:#?}");
        // Reads no database and creates nothing.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        std::fs::remove_file(&file).unwrap();
    }
}

/// `--explain` prints the ranking for people, in Chinese unless `--lang en`; one language only.
#[test]
fn evaluate_explains_in_the_language_asked_for() {
    use smeproc::domain::messages::{has_cjk, latin_words};
    let dir = tempfile::tempdir().unwrap();
    let (_, input, _) = evaluation_examples()
        .into_iter()
        .find(|(n, _, _)| n.starts_with("01"))
        .unwrap();
    let file = dir.path().join("lot.json");
    std::fs::write(&file, input.to_string()).unwrap();
    let path = file.to_str().unwrap();

    let zh = smeproc(dir.path(), &["evaluate", path, "--explain"], None);
    assert_eq!(zh.status.code(), Some(0), "{}", text(&zh.stderr));
    let zh = text(&zh.stdout);
    assert!(zh.contains("第 1 名") && zh.contains("综合得分 = "), "{zh}");
    let ids: Vec<&str> = input["bids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    for line in zh.lines() {
        let words: Vec<_> = latin_words(line)
            .into_iter()
            .filter(|w| !ids.iter().any(|id| id.contains(w.as_str())) && w != "xinjiang")
            .collect();
        assert!(words.is_empty(), "English {words:?} in {line:?}");
    }

    let en = smeproc(
        dir.path(),
        &["evaluate", path, "--explain", "--lang", "en"],
        None,
    );
    assert_eq!(en.status.code(), Some(0), "{}", text(&en.stderr));
    let en = text(&en.stdout);
    assert!(
        en.contains("Rank 1") && en.contains("Total (综合得分)"),
        "{en}"
    );
    assert!(!en.contains("评标价 ="), "{en}");
    assert!(en.lines().all(|l| !has_cjk(l) || l.contains('(')), "{en}");

    let bad = smeproc(
        dir.path(),
        &["evaluate", path, "--explain", "--lang", "fr"],
        None,
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("--lang"),
        "{}",
        text(&bad.stderr)
    );
    assert!(bad.stdout.is_empty());
}

#[test]
fn evaluate_refuses_every_invalid_case_with_exit_2_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    for (name, input, must_mention) in invalid_cases() {
        let out = smeproc(dir.path(), &["evaluate", "-"], Some(&input.to_string()));
        assert_eq!(out.status.code(), Some(2), "{name}");
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(&must_mention),
            "{name}: {must_mention} not in {stderr}"
        );
        assert!(out.stdout.is_empty(), "{name}: nothing on stdout");
    }
}

#[test]
fn evaluate_reports_broken_json_by_position_and_a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = smeproc(dir.path(), &["evaluate", "-"], Some("{\n \"bids\": [\n"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("line 3"),
        "{}",
        text(&out.stderr)
    );
    let out = smeproc(dir.path(), &["evaluate", "no-such.json"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no-such.json"));
}

#[test]
fn classify_prints_the_scale() {
    let dir = tempfile::tempdir().unwrap();
    let out = smeproc(
        dir.path(),
        &[
            "classify",
            "--industry",
            "industry",
            "--employees",
            "1500",
            "--revenue-wan",
            "30000",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "medium\n");
    let out = smeproc(
        dir.path(),
        &[
            "classify",
            "--industry",
            "construction",
            "--revenue-wan",
            "6000",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--assets-wan"),
        "{}",
        text(&out.stderr)
    );
    let out = smeproc(
        dir.path(),
        &[
            "classify",
            "--industry",
            "retail",
            "--employees",
            "12",
            "--revenue-wan",
            "1.23456",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--revenue-wan"));
}

#[test]
fn an_unknown_database_scheme_is_refused_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["migrate"][..], &["serve"], &["user", "list"]] {
        let out = Command::new(env!("CARGO_BIN_EXE_smeproc"))
            .args(args)
            .current_dir(dir.path())
            .env("DATABASE_URL", "sqlte://x")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("sqlite://") && stderr.contains("postgres://"),
            "{stderr}"
        );
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no file created"
    );
}

#[test]
fn migrate_creates_the_default_database_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let first = smeproc(dir.path(), &["migrate"], None);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    assert!(text(&first.stdout).contains("applied"));
    assert!(dir.path().join("data/smeproc.db").is_file());
    let second = smeproc(dir.path(), &["migrate"], None);
    assert!(text(&second.stdout).contains("up to date"));
}

#[test]
fn users_and_orgs_from_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let pw = "a long enough password\n";
    let out = smeproc(
        dir.path(),
        &["user", "create", "--username", "root", "--role", "admin"],
        Some(pw),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = smeproc(
        dir.path(),
        &["user", "create", "--username", "root", "--role", "admin"],
        Some(pw),
    );
    assert_eq!(out.status.code(), Some(2), "duplicate username");
    let out = smeproc(
        dir.path(),
        &["user", "create", "--username", "weak", "--role", "auditor"],
        Some("short\n"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--password"));

    let out = smeproc(
        dir.path(),
        &[
            "org",
            "create",
            "--kind",
            "agency",
            "--name",
            "乌鲁木齐市政府采购中心",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = smeproc(
        dir.path(),
        &[
            "user",
            "create",
            "--username",
            "clerk",
            "--role",
            "agency",
            "--agency",
            "乌鲁木齐市政府采购中心",
        ],
        Some(pw),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = smeproc(dir.path(), &["user", "disable", "clerk"], None);
    assert_eq!(out.status.code(), Some(0));
    let out = smeproc(dir.path(), &["user", "list"], None);
    let list = text(&out.stdout);
    assert!(
        list.contains("root\tadmin\tactive") && list.contains("clerk\tagency\tdisabled"),
        "{list}"
    );
    assert!(!list.contains("a long enough password"));
    let out = smeproc(dir.path(), &["org", "list", "--json"], None);
    let orgs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(orgs[0]["name"], "乌鲁木齐市政府采购中心");
}

#[test]
fn policies_and_help() {
    let dir = tempfile::tempdir().unwrap();
    let out = smeproc(dir.path(), &["policy", "list"], None);
    let list = text(&out.stdout);
    assert_eq!(list.lines().count(), 4);
    assert!(list.starts_with("national-2011\tsha256:"));
    let out = smeproc(dir.path(), &["policy", "show", "xinjiang-2011"], None);
    let profile: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(profile["minority_bonus"]["rate"]["default"], 2);
    assert_eq!(
        smeproc(dir.path(), &["policy", "show", "nope"], None)
            .status
            .code(),
        Some(2)
    );
    let help = text(&smeproc(dir.path(), &["--help"], None).stdout);
    assert!(help.contains("Examples:"));
    for cmd in ["serve", "migrate", "evaluate", "classify"] {
        let help = text(&smeproc(dir.path(), &[cmd, "--help"], None).stdout);
        assert!(help.contains("Example"), "{cmd} --help has an example");
    }
    let version = text(&smeproc(dir.path(), &["--version"], None).stdout);
    assert!(version.starts_with("smeproc "));
}

/// A valid credit code for a serial number in a region.
fn code(region: &str, serial: u32) -> String {
    smeproc::domain::credit_code::with_check_character(&format!("91{region}{serial:09}")).unwrap()
}

fn enterprise_csv(region: &str, rows: usize) -> String {
    let mut text =
        String::from("name,credit_code,industry,employees,revenue_wan,assets_wan,region\n");
    for i in 0..rows {
        text.push_str(&format!(
            "和田企业{i},{},retail,{},150.5,,\n",
            code(region, i as u32),
            10 + i
        ));
    }
    text
}

/// (name, scale, region) of every enterprise in the database of `dir`, by name.
fn enterprises_in(dir: &std::path::Path) -> Vec<(String, String, String)> {
    let url = smeproc::config::DatabaseUrl::Sqlite(dir.join("data/smeproc.db"));
    let mut conn = smeproc::db::connection::establish(&url).unwrap();
    let mut all: Vec<_> = smeproc::db::enterprises::list(&mut conn, None, None, None, 10_000)
        .unwrap()
        .into_iter()
        .map(|e| (e.name, e.scale, e.region))
        .collect();
    all.sort();
    all
}

#[test]
fn enterprise_import_is_all_or_nothing_with_a_report_by_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let good = enterprise_csv("653201", 6);
    let mut lines: Vec<String> = good.lines().map(String::from).collect();
    // Line 4 of the file: a bad check character and a bad employee count.
    lines[3] = lines[3]
        .replacen(
            &code("653201", 2),
            &(code("653201", 2)[..17].to_string() + "Z"),
            1,
        )
        .replace(",12,", ",twelve,");
    std::fs::write(dir.path().join("bad.csv"), lines.join("\n") + "\n").unwrap();
    let out = smeproc(dir.path(), &["enterprise", "import", "bad.csv"], None);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("line 4, column credit_code"), "{stderr}");
    assert!(stderr.contains("line 4, column employees"), "{stderr}");
    assert!(stderr.contains("nothing was imported"));
    assert!(enterprises_in(dir.path()).is_empty(), "nothing written");

    // The fixed file (with a BOM) then imports every row.
    std::fs::write(dir.path().join("good.csv"), format!("\u{feff}{good}")).unwrap();
    let out = smeproc(dir.path(), &["enterprise", "import", "good.csv"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(enterprises_in(dir.path()).len(), 6);
    // Again: every row is now a duplicate, and still nothing changes.
    let out = smeproc(dir.path(), &["enterprise", "import", "good.csv"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("already registered"));
}

/// What Excel on Windows saves: CRLF line ends (and a BOM). A bad row on line 5 is reported as
/// line 5, also after a quoted name that spans two lines.
#[test]
fn enterprise_import_names_the_true_line_of_a_crlf_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines: Vec<String> = enterprise_csv("653201", 5)
        .lines()
        .map(String::from)
        .collect();
    lines[4] = lines[4].replace(",13,", ",thirteen,");
    let crlf = format!("\u{feff}{}\r\n", lines.join("\r\n"));
    std::fs::write(dir.path().join("crlf.csv"), &crlf).unwrap();
    let out = smeproc(dir.path(), &["enterprise", "import", "crlf.csv"], None);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("line 5, column employees"), "{stderr}");
    // A name in quotes over two lines (line 2–3) moves the bad row to line 6.
    lines[1] = lines[1].replacen("和田企业0", "\"和田企业0\r\n第二行\"", 1);
    let crlf = format!("{}\r\n", lines.join("\r\n"));
    std::fs::write(dir.path().join("crlf.csv"), &crlf).unwrap();
    let out = smeproc(dir.path(), &["enterprise", "import", "crlf.csv"], None);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("line 6, column employees"), "{stderr}");
    assert!(enterprises_in(dir.path()).is_empty(), "nothing written");
}

#[test]
fn a_gb18030_file_imports_the_same_as_its_utf8_twin() {
    let utf8 = enterprise_csv("653001", 4);
    let (gb, _, unmappable) = encoding_rs::GB18030.encode(&utf8);
    assert!(!unmappable);
    assert_ne!(gb.as_ref(), utf8.as_bytes());
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    std::fs::write(a.path().join("f.csv"), &utf8).unwrap();
    std::fs::write(b.path().join("f.csv"), gb.as_ref()).unwrap();
    assert_eq!(
        smeproc(a.path(), &["enterprise", "import", "f.csv"], None)
            .status
            .code(),
        Some(0)
    );
    // Read as UTF-8 it is refused, naming the encoding flag.
    let out = smeproc(b.path(), &["enterprise", "import", "f.csv"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--encoding gb18030"));
    let out = smeproc(
        b.path(),
        &["enterprise", "import", "f.csv", "--encoding", "gb18030"],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (ea, eb) = (enterprises_in(a.path()), enterprises_in(b.path()));
    assert_eq!(ea.len(), 4);
    assert_eq!(ea, eb);
    assert!(ea[0].0.starts_with("和田企业"));
}

#[test]
fn skip_invalid_imports_the_good_rows_and_writes_the_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let mut text_in = enterprise_csv("650102", 3);
    text_in.push_str("坏企业,not-a-code,retail,5,1,,\n");
    std::fs::write(dir.path().join("f.csv"), text_in).unwrap();
    let out = smeproc(
        dir.path(),
        &["enterprise", "import", "f.csv", "--skip-invalid"],
        None,
    );
    assert_eq!(out.status.code(), Some(2), "--skip-invalid needs --rejects");
    let out = smeproc(
        dir.path(),
        &[
            "enterprise",
            "import",
            "f.csv",
            "--skip-invalid",
            "--rejects",
            "rej.csv",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("imported 3 enterprise(s); rejected 1"));
    let rejects = std::fs::read_to_string(dir.path().join("rej.csv")).unwrap();
    assert!(
        rejects.starts_with('\u{feff}'),
        "BOM for spreadsheet programs"
    );
    assert!(
        rejects.contains("坏企业") && rejects.contains("credit_code: must be 18 characters"),
        "{rejects}"
    );
    assert_eq!(enterprises_in(dir.path()).len(), 3);
}

#[test]
fn catalogue_import_and_export_from_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("firms.csv"), enterprise_csv("653101", 2)).unwrap();
    let out = smeproc(dir.path(), &["enterprise", "import", "firms.csv"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (a, b) = (code("653101", 0), code("653101", 1));
    let good = format!(
        "supplier_credit_code,sku,name,category_code,unit,price,manufacturer_credit_code\n\
         {a},1,激光打印机,A020201,台,1500.00,{b}\n\
         {a},2,复印纸,A090101,箱,150,\n\
         {b},1,办公椅,A050102,把,300.5,\n"
    );
    // Line 3: a price with three decimals; line 4: an unregistered manufacturer.
    let bad = good
        .replace("150,", "150.123,")
        .replace("300.5,\n", &format!("300.5,{}\n", code("653101", 9)));
    std::fs::write(dir.path().join("bad.csv"), &bad).unwrap();
    let out = smeproc(dir.path(), &["catalogue", "import", "bad.csv"], None);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("line 3, column price"), "{stderr}");
    assert!(
        stderr.contains("line 4, column manufacturer_credit_code"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was imported"));
    assert!(text(&out.stdout).is_empty());

    std::fs::write(dir.path().join("good.csv"), &good).unwrap();
    let out = smeproc(dir.path(), &["catalogue", "import", "good.csv"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("3 row(s): 3 inserted"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        !text(&out.stderr).contains('%'),
        "no progress bar when stderr is not a terminal"
    );
    let out = smeproc(
        dir.path(),
        &["catalogue", "export", "--output", "out.csv"],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let exported = std::fs::read_to_string(dir.path().join("out.csv")).unwrap();
    assert!(exported.starts_with('\u{feff}'));
    assert!(exported.contains(&format!(
        "{a},1,激光打印机,A020201,,台,1500.00,{b},653101,CNY"
    )));
    assert!(exported.contains("300.50"));
    // Re-imported: nothing changes.
    let out = smeproc(dir.path(), &["catalogue", "import", "out.csv"], None);
    assert!(
        text(&out.stdout).contains("3 unchanged"),
        "{}",
        text(&out.stdout)
    );
    // To standard output, one supplier's products.
    let out = smeproc(dir.path(), &["catalogue", "export", "--supplier", &b], None);
    assert_eq!(text(&out.stdout).lines().count(), 2);
}

#[test]
fn audit_verify_passes_an_intact_chain_and_names_an_edited_event() {
    let dir = tempfile::tempdir().unwrap();
    let out = smeproc(
        dir.path(),
        &[
            "org",
            "create",
            "--kind",
            "department",
            "--name",
            "自治区教育厅",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    std::fs::write(dir.path().join("e.csv"), enterprise_csv("653101", 4)).unwrap();
    let out = smeproc(dir.path(), &["enterprise", "import", "e.csv"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = smeproc(dir.path(), &["audit", "verify"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("audit chain intact: 5 events"),
        "{}",
        text(&out.stdout)
    );

    // The database refuses to change an event; past its triggers (removed, as a database
    // administrator could), an edit is named.
    let db = dir.path().join("data/smeproc.db");
    let err = sql(
        &db,
        "UPDATE audit_events SET action = 'enterprise.delete' WHERE seq = 2",
    )
    .unwrap_err();
    assert!(err.contains("append-only"), "{err}");
    remove_guards(&db);
    sql(
        &db,
        "UPDATE audit_events SET action = 'enterprise.delete' WHERE seq = 2",
    )
    .unwrap();
    let out = smeproc(dir.path(), &["audit", "verify"], None);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("broken at event 2"), "{err}");
    // Without its head row the chain's end cannot be checked: exit 1 naming it.
    sql(&db, "DELETE FROM audit_head").unwrap();
    let out = smeproc(dir.path(), &["audit", "verify"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("audit head row is missing"),
        "{}",
        text(&out.stderr)
    );
}

/// Runs one SQL statement on a SQLite file behind the binary's back.
fn sql(db: &std::path::Path, statement: &str) -> Result<usize, String> {
    use diesel::{Connection, RunQueryDsl};
    let mut conn = diesel::SqliteConnection::establish(db.to_str().unwrap()).unwrap();
    diesel::sql_query(statement)
        .execute(&mut conn)
        .map_err(|e| e.to_string())
}

/// What a database administrator who wants to rewrite the log does first.
fn remove_guards(db: &std::path::Path) {
    for t in [
        "audit_events_no_update",
        "audit_events_no_delete",
        "audit_head_no_delete",
        "audit_head_forward",
        "audit_head_names_its_event",
    ] {
        sql(db, &format!("DROP TRIGGER {t}")).unwrap();
    }
}

/// The attack of the issue: the last events deleted and the head moved back to match passes the
/// chain check, but not the checkpoints kept outside.
#[test]
fn checkpoints_kept_outside_prove_a_rewritten_chain() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("e.csv"), enterprise_csv("653101", 6)).unwrap();
    let out = smeproc(dir.path(), &["enterprise", "import", "e.csv"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = smeproc(dir.path(), &["audit", "checkpoint"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("signed the audit head at event 6"),
        "{}",
        text(&out.stdout)
    );
    let out = smeproc(
        dir.path(),
        &["audit", "checkpoints", "--output", "kept.json"],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = smeproc(
        dir.path(),
        &["audit", "verify", "--checkpoints", "kept.json"],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("1 checkpoint(s) from kept.json agree"));

    let db = dir.path().join("data/smeproc.db");
    remove_guards(&db);
    sql(&db, "DELETE FROM audit_events WHERE seq > 3").unwrap();
    sql(
        &db,
        "UPDATE audit_head SET seq = 3, hash = (SELECT hash FROM audit_events WHERE seq = 3)",
    )
    .unwrap();
    let out = smeproc(dir.path(), &["audit", "verify"], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "the chain alone looks intact: {}",
        text(&out.stderr)
    );
    let out = smeproc(
        dir.path(),
        &["audit", "verify", "--checkpoints", "kept.json"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("event 6 is gone") && err.contains("events were removed"),
        "{err}"
    );

    // A forged copy (another key, or an edited hash) proves nothing and is named as such.
    let mut kept: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("kept.json")).unwrap()).unwrap();
    kept["items"][0]["head_hash"] = serde_json::json!("00".repeat(32));
    std::fs::write(dir.path().join("forged.json"), kept.to_string()).unwrap();
    let out = smeproc(
        dir.path(),
        &["audit", "verify", "--checkpoints", "forged.json"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("proves nothing"),
        "{}",
        text(&out.stderr)
    );
}

/// `smeproc org list --json | head`: the reader goes away; the command ends quietly, exit 0.
#[test]
fn a_closed_output_pipe_ends_a_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..3 {
        let name = format!("部门{i}");
        let out = smeproc(
            dir.path(),
            &["org", "create", "--kind", "department", "--name", &name],
            None,
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    for args in [
        &["org", "list", "--json"][..],
        &["policy", "list"][..],
        &["catalogue", "export"][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_smeproc"))
            .args(args)
            .current_dir(dir.path())
            .env_remove("DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close the reading end before the command writes anything.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = text(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
}

#[test]
fn demo_fills_an_empty_database_and_refuses_one_with_data() {
    let dir = tempfile::tempdir().unwrap();
    let out = smeproc(dir.path(), &["demo"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for expected in [
        "300 enterprises",
        "10 projects",
        "auditor",
        "supplier",
        "kashgar",
    ] {
        assert!(stdout.contains(expected), "{expected} missing: {stdout}");
    }
    // The dataset is audited through the service code: the chain verifies.
    let out = smeproc(dir.path(), &["audit", "verify"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // A second run refuses (exit 1) and writes nothing more.
    let out = smeproc(dir.path(), &["demo"], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("not empty"),
        "{}",
        text(&out.stderr)
    );
    let before = smeproc(dir.path(), &["audit", "verify"], None);
    assert!(text(&before.stdout).contains("intact"));
    // A database with only a user is not empty either.
    let other = tempfile::tempdir().unwrap();
    let out = smeproc(
        other.path(),
        &["user", "create", "--username", "root", "--role", "admin"],
        Some("a long enough password\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = smeproc(other.path(), &["demo"], None);
    assert_eq!(out.status.code(), Some(1));
    let out = smeproc(other.path(), &["user", "list"], None);
    assert_eq!(
        text(&out.stdout)
            .lines()
            .filter(|l| l.contains("admin"))
            .count(),
        1
    );
}

/// Logs written to a pipe carry no colour codes, and a client's error (4xx) is not logged at
/// WARN: WARN and ERROR are for the server's own faults.
#[test]
fn serve_logs_plain_text_and_keeps_warn_for_the_servers_faults() {
    use std::io::{BufRead, BufReader, Read};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_smeproc"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut log = String::new();
    let port = loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "no listening line: {log}"
        );
        log.push_str(&line);
        if let Some(rest) = line.split("port=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    for path in ["/api/v1/products/abc", "/no/such/page", "/api/v1/users"] {
        let mut stream = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 4"), "{path}: {answer}");
    }
    child.kill().unwrap();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    log.push_str(&rest);
    let _ = child.wait();
    assert!(
        !log.contains('\u{1b}'),
        "colour codes in a piped log: {log:?}"
    );
    assert!(!log.contains("WARN") && !log.contains("ERROR"), "{log}");
    assert!(log.contains("smeproc listening"), "{log}");
}

#[test]
fn a_calendar_year_is_imported_from_its_file_and_a_bad_one_is_refused_naming_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = smeproc(dir.path(), &["calendar", "show", "2026"], None);
    assert_eq!(shipped.status.code(), Some(0), "{}", text(&shipped.stderr));
    assert!(text(&shipped.stdout).contains("248 working days"));
    let unknown = smeproc(dir.path(), &["calendar", "show", "2027"], None);
    assert_eq!(unknown.status.code(), Some(2), "{}", text(&unknown.stderr));
    assert!(text(&unknown.stderr).contains("2027"));
    let bad = "year = 2027\nsource = \"国务院办公厅关于2027年部分节假日安排的通知\"\nholidays = [{ name = \"元旦\", from = \"2027-01-01\", to = \"2027-01-01\" }]\nworkdays = [\"2027-01-04\"]\n";
    std::fs::write(dir.path().join("bad.toml"), bad).unwrap();
    let out = smeproc(dir.path(), &["calendar", "import", "bad.toml"], None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("workdays[0]"),
        "{}",
        text(&out.stderr)
    );
    let still = smeproc(dir.path(), &["calendar", "show", "2027"], None);
    assert_eq!(still.status.code(), Some(2), "nothing imported");
    let good = bad.replace("workdays = [\"2027-01-04\"]", "workdays = []");
    let out = smeproc(dir.path(), &["calendar", "import", "-"], Some(&good));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("imported"),
        "{}",
        text(&out.stdout)
    );
    let shown = smeproc(dir.path(), &["calendar", "show", "2027"], None);
    assert_eq!(shown.status.code(), Some(0));
    // 2027: 261 weekdays less New Year's Day (a Friday).
    assert!(
        text(&shown.stdout).contains("260 working days"),
        "{}",
        text(&shown.stdout)
    );
}
