//! Shared by the integration test binaries: where the shared fixtures live and a JSON subset
//! comparison ("every field the expected file has, with the same value").

#![allow(dead_code)]

use serde_json::Value;
use std::path::PathBuf;

/// `../shared/fixtures` beside the repository (override with SMEPROC_FIXTURES).
pub fn fixtures_dir() -> PathBuf {
    let dir = std::env::var_os("SMEPROC_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures"))
        });
    assert!(
        dir.is_dir(),
        "fixtures not found at {} (set SMEPROC_FIXTURES)",
        dir.display()
    );
    dir
}

/// The worked examples: (name, input, expected).
pub fn evaluation_examples() -> Vec<(String, Value, Value)> {
    let dir = fixtures_dir().join("evaluation");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("read fixtures")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".input.json"))
        .collect();
    names.sort();
    assert!(
        names.len() >= 9,
        "expected the nine worked examples, found {names:?}"
    );
    names
        .into_iter()
        .map(|n| {
            let input = read_json(&dir.join(&n));
            let expected = read_json(&dir.join(n.replace(".input.json", ".expected.json")));
            (n, input, expected)
        })
        .collect()
}

/// The invalid inputs: (name, input, must_mention).
pub fn invalid_cases() -> Vec<(String, Value, String)> {
    let cases = read_json(&fixtures_dir().join("evaluation/invalid-cases.json"));
    cases
        .as_array()
        .expect("array")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or_default().to_string(),
                c["input"].clone(),
                c["must_mention"]
                    .as_str()
                    .expect("must_mention")
                    .to_string(),
            )
        })
        .collect()
}

pub fn read_json(path: &std::path::Path) -> Value {
    serde_json::from_slice(
        &std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every field present in `expected` has the same value in `actual` (numbers as numbers,
/// arrays element by element and of the same length). Returns the differences.
pub fn subset_differences(expected: &Value, actual: &Value, path: &str) -> Vec<String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e
            .iter()
            .flat_map(|(k, v)| match a.get(k) {
                None => vec![format!("{path}.{k}: missing")],
                Some(av) => subset_differences(v, av, &format!("{path}.{k}")),
            })
            .collect(),
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => e
            .iter()
            .zip(a)
            .enumerate()
            .flat_map(|(i, (ev, av))| subset_differences(ev, av, &format!("{path}[{i}]")))
            .collect(),
        (Value::Number(e), Value::Number(a)) if e.as_f64() == a.as_f64() => vec![],
        (e, a) if e == a => vec![],
        (e, a) => vec![format!("{path}: expected {e}, got {a}")],
    }
}
