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
