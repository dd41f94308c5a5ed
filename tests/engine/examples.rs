use crate::common::{evaluation_examples, subset_differences};
use smeproc::wire::evaluation::{parse, EvaluationOutput};

/// Parses, validates, evaluates and renders, as the CLI and the API do.
pub fn run(input: &serde_json::Value) -> serde_json::Value {
    let valid = parse(input.to_string().as_bytes()).unwrap();
    let result = valid.run();
    serde_json::to_value(EvaluationOutput {
        input: &valid,
        evaluation: &result,
        chinese: true,
    })
    .unwrap()
}

#[test]
fn every_worked_example_matches() {
    for (name, input, expected) in evaluation_examples() {
        let actual = run(&input);
        let diffs = subset_differences(&expected, &actual, "");
        assert!(diffs.is_empty(), "{name}: {diffs:#?}");
        assert!(actual["policy"]["version"]
            .as_str()
            .unwrap()
            .starts_with("sha256:"));
    }
}

/// Bid K1's explanation in the first worked example, its lines joined (`key`: the language).
fn k1_explanation(key: &str) -> String {
    let (_, input, _) = evaluation_examples()
        .into_iter()
        .find(|(n, _, _)| n.starts_with("01"))
        .unwrap();
    let actual = run(&input);
    let k1 = actual["ranking"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["bid_id"] == "K1")
        .unwrap();
    k1[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn explanations_name_the_rules_and_their_numbers() {
    let text = k1_explanation("explanation");
    for needle in [
        "小微企业价格扣除",
        "980000.00 × (1 − 8%) = 901600.00",
        "少数民族地区中小企业加分",
        "2% × (30 + 20) = 1.00",
        "Total (综合得分) = 30.00 + 41.17 + 15.33 + 1.00 = 87.50.",
        "Rank 3",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
}

/// Every worked example's explanation in Chinese: line for line the English one, in the rules'
/// own terms, with no English word but the bids' ids; the exclusions too.
#[test]
fn every_explanation_has_its_chinese_twin_without_english_words() {
    use smeproc::domain::messages::{has_cjk, latin_words};
    for (name, input, _) in evaluation_examples() {
        let actual = run(&input);
        let ranking = actual["ranking"].as_array().unwrap();
        let ids: Vec<String> = ranking
            .iter()
            .chain(actual["excluded"].as_array().unwrap())
            .map(|b| b["bid_id"].as_str().unwrap().to_string())
            .collect();
        let is_id = |w: &str| ids.iter().any(|id| id.contains(w));
        let mut all_zh = String::new();
        for b in ranking {
            let en = b["explanation"].as_array().unwrap();
            let zh = b["explanation_zh"].as_array().unwrap();
            assert_eq!(en.len(), zh.len(), "{name}: {} lines differ", b["bid_id"]);
            for line in zh {
                let line = line.as_str().unwrap();
                assert!(has_cjk(line), "{name}: {line:?}");
                // Policy ids (national-2020, xinjiang-2011) are codes, not words.
                let words: Vec<_> = latin_words(line)
                    .into_iter()
                    .filter(|w| !is_id(w) && !matches!(w.as_str(), "national" | "xinjiang"))
                    .collect();
                assert!(words.is_empty(), "{name}: English {words:?} in {line:?}");
                all_zh.push_str(line);
            }
        }
        for x in actual["excluded"].as_array().unwrap() {
            let zh = x["reason_zh"].as_str().unwrap();
            assert!(has_cjk(zh) && latin_words(zh).is_empty(), "{name}: {zh:?}");
        }
        if !ranking.is_empty() {
            assert!(
                all_zh.contains("评标价") || all_zh.contains("综合得分"),
                "{name}"
            );
        }
    }
    // The numbers are the same as in English.
    let zh = k1_explanation("explanation_zh");
    for needle in [
        "小微企业价格扣除",
        "评标价 = 980000.00 × (1 − 8%) = 901600.00",
        "少数民族地区中小企业加分 = 2% × (30 + 20) = 1.00",
        "综合得分 = 30.00 + 41.17 + 15.33 + 1.00 = 87.50。",
        "排名第 3",
    ] {
        assert!(zh.contains(needle), "missing {needle:?} in\n{zh}");
    }
}

#[test]
fn a_failed_reserved_lot_says_it_may_be_rerun_where_the_profile_allows() {
    let input = serde_json::json!({
        "policy": "national-2020",
        "project": {"category": "goods", "method": "lowest_price", "reserved_for_smes": true},
        "bids": [
            {"id": "A", "price": "100", "bidder": {"name": "a", "scale": "small", "region": "110101"}},
            {"id": "B", "price": "90", "bidder": {"name": "b", "scale": "large", "region": "110101"}},
            {"id": "C", "price": "95", "bidder": {"name": "c", "scale": "medium", "region": "110101"}}
        ]
    });
    let out = run(&input);
    assert_eq!(out["outcome"], "failed");
    assert_eq!(out["rerun_unreserved_allowed"], true);
    assert!(out["failure_reason"]
        .as_str()
        .unwrap()
        .contains("fewer than 3 qualified SME bids"));
    assert_eq!(out["excluded"][0]["bid_id"], "B");
    assert_eq!(out["ranking"].as_array().unwrap().len(), 2);
}
