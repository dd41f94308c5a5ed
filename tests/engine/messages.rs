//! Every message code the code uses is in the catalogue, in both languages (the catalogue's own
//! unit test checks that each entry has both).

use smeproc::domain::messages::entry;

/// The string literals that follow `marker` in the crate's sources.
fn codes_after(marker: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut stack = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            // Calls are sometimes broken over lines by rustfmt; codes hold no spaces.
            let flat: String = text.split_whitespace().collect();
            for part in flat.split(marker).skip(1) {
                // A marker may end in the literal's opening quote (`"refusal.`).
                let part = if marker.starts_with('"') {
                    part
                } else {
                    match part.strip_prefix('"') {
                        Some(p) => p,
                        None => continue,
                    }
                };
                if let Some(code) = part.split('"').next() {
                    found.push((path.display().to_string(), code.to_string()));
                }
            }
        }
    }
    found
}

#[test]
fn every_code_in_the_sources_is_in_the_catalogue() {
    let mut used = codes_after(".said(");
    used.extend(codes_after("render(lang,"));
    used.extend(codes_after("render(Lang::En,"));
    used.extend(codes_after("render(Lang::Zh,"));
    // A refusal's step is a code wherever it is written (`wrong_phase("refusal.publish_phase", …)`).
    used.extend(
        codes_after("\"problem.")
            .into_iter()
            .filter(|(_, c)| !c.contains('{') && !c.ends_with('.'))
            .map(|(p, c)| (p, format!("problem.{c}"))),
    );
    used.extend(
        codes_after("\"refusal.")
            .into_iter()
            .filter(|(_, c)| !c.contains('{'))
            .map(|(p, c)| (p, format!("refusal.{c}"))),
    );
    assert!(used.len() >= 40, "{used:?}");
    let missing: Vec<_> = used.iter().filter(|(_, c)| entry(c).is_none()).collect();
    assert!(
        missing.is_empty(),
        "codes not in the catalogue: {missing:?}"
    );
    // Labels by kind: every value the pages pass has its entry.
    for (kind, values) in [
        (
            "state",
            &[
                "draft",
                "published",
                "closed",
                "opened",
                "evaluated",
                "awarded",
                "failed",
                "contracted",
                "open",
                "submitted",
                "withdrawn",
                "replaced",
                "pending",
                "verified",
                "rejected",
            ][..],
        ),
        ("ledger", &["met", "missed", "no_plan"][..]),
        ("scale", &["micro", "small", "medium", "large"][..]),
        (
            "notice",
            &["procurement", "correction", "result", "failure"][..],
        ),
        ("category", &["goods", "services", "works"][..]),
    ] {
        for v in values {
            assert!(entry(&format!("{kind}.{v}")).is_some(), "{kind}.{v}");
        }
    }
}

#[test]
fn every_error_code_says_what_it_means_in_both_languages() {
    for code in smeproc::error::Error::codes() {
        let e = entry(&format!("refusal.{code}"));
        assert!(e.is_some(), "refusal.{code} is missing from the catalogue");
    }
}
