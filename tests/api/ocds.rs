//! Validation of exported OCDS release packages against the 1.1.5 schemas in shared/fixtures.

use serde_json::Value;

fn schema() -> Value {
    let dir = crate::common::fixtures_dir().join("ocds-1.1.5");
    let mut package = crate::common::read_json(&dir.join("release-package-schema.json"));
    // The package refers to the release schema by URL; the fixture's dereferenced copy is the
    // same schema with every $ref resolved, so it goes in place of the reference.
    let release = crate::common::read_json(&dir.join("dereferenced-release-schema.json"));
    package["properties"]["releases"]["items"] = release;
    package
}

/// Panics with every schema error when the package does not validate (draft 4, formats checked).
pub fn assert_valid_package(package: &Value) {
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&schema())
        .expect("the OCDS schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(package)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "OCDS schema errors: {errors:#?}\n{package:#}"
    );
    assert!(!package["releases"].as_array().unwrap().is_empty());
}

#[test]
fn the_validator_catches_a_broken_package() {
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .build(&schema())
        .unwrap();
    let bad = serde_json::json!({"uri": "x", "version": "1.1", "publishedDate": "2026-01-01T00:00:00Z",
        "publisher": {"name": "x"}, "releases": [{"ocid": "ocds-x-1", "id": "1", "date": "2026-01-01T00:00:00Z",
        "tag": ["bogus"], "initiationType": "tender"}]});
    assert!(
        !validator.is_valid(&bad),
        "an unknown release tag must fail"
    );
}
