//! Classification at and around every threshold of every industry, read from the shared
//! fixture table (not from the embedded copy the code uses).

use crate::common::fixtures_dir;
use smeproc::domain::classify::{ClassifyError, SizeFigures};
use smeproc::domain::policy::size_standard;
use smeproc::domain::Scale;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, Default)]
struct Limits {
    employees: Option<u64>,
    revenue_wan: Option<u64>,
    assets_wan: Option<u64>,
}

fn fixture_table() -> BTreeMap<String, BTreeMap<String, Limits>> {
    let mut table: BTreeMap<String, BTreeMap<String, Limits>> = BTreeMap::new();
    let mut reader =
        csv::Reader::from_path(fixtures_dir().join("sme-size-standard-2011.csv")).unwrap();
    for row in reader.records() {
        let row = row.unwrap();
        let num = |i: usize| {
            row.get(i)
                .filter(|s| !s.is_empty())
                .map(|s| s.parse::<u64>().unwrap())
        };
        table.entry(row[0].to_string()).or_default().insert(
            row[2].to_string(),
            Limits {
                employees: num(3),
                revenue_wan: num(4),
                assets_wan: num(5),
            },
        );
    }
    table
}

/// Figures exactly at `limits`; figures the tier does not use are set at the tier's own
/// neighbours so that only the tested limits decide.
fn at(limits: Limits, fill: Limits) -> SizeFigures {
    SizeFigures {
        employees: limits.employees.or(fill.employees),
        revenue_yuan: limits.revenue_wan.or(fill.revenue_wan).map(|w| w * 10_000),
        assets_yuan: limits.assets_wan.or(fill.assets_wan).map(|w| w * 10_000),
    }
}

#[test]
fn at_and_just_below_every_limit_of_every_industry() {
    let table = fixture_table();
    assert_eq!(table.len(), 16);
    let standard = size_standard();
    let mut cases = 0;
    for (industry, tiers) in &table {
        // Unused figures: zero (the industry never looks at them).
        let zero = Limits {
            employees: Some(0),
            revenue_wan: Some(0),
            assets_wan: Some(0),
        };
        for (tier, below) in [
            ("large", Scale::Medium),
            ("medium", Scale::Small),
            ("small", Scale::Micro),
        ] {
            let limits = tiers[tier];
            let expected: Scale = tier.parse().unwrap();
            let figures = at(limits, zero);
            let got = standard.classify(industry, figures).unwrap();
            assert_eq!(
                got.scale, expected,
                "{industry} exactly at the {tier} limits: {:?}",
                got.reasons
            );
            cases += 1;
            // One unit below each limit in turn: drops exactly one tier.
            let mut lower = Vec::new();
            if limits.employees.is_some() {
                lower.push(SizeFigures {
                    employees: figures.employees.map(|e| e - 1),
                    ..figures
                });
            }
            if limits.revenue_wan.is_some() {
                lower.push(SizeFigures {
                    revenue_yuan: figures.revenue_yuan.map(|r| r - 1),
                    ..figures
                });
            }
            if limits.assets_wan.is_some() {
                lower.push(SizeFigures {
                    assets_yuan: figures.assets_yuan.map(|a| a - 1),
                    ..figures
                });
            }
            for f in lower {
                let got = standard.classify(industry, f).unwrap();
                assert_eq!(
                    got.scale, below,
                    "{industry} just below a {tier} limit {f:?}: {:?}",
                    got.reasons
                );
                assert!(got.reasons.iter().any(|r| r.contains("missed")));
                cases += 1;
            }
        }
    }
    assert!(cases > 80, "{cases}");
}

#[test]
fn every_limit_must_be_met() {
    let s = size_standard();
    let f = |e: u64, r: u64| SizeFigures {
        employees: Some(e),
        revenue_yuan: Some(r * 10_000),
        assets_yuan: None,
    };
    assert_eq!(
        s.classify("industry", f(1500, 30_000)).unwrap().scale,
        Scale::Medium
    );
    assert_eq!(
        s.classify("industry", f(1000, 40_000)).unwrap().scale,
        Scale::Large
    );
    assert_eq!(
        s.classify("industry", f(10, 50_000)).unwrap().scale,
        Scale::Micro
    );
    assert_eq!(
        s.classify("software", f(150, 999)).unwrap().scale,
        Scale::Small
    );
    let other = SizeFigures {
        employees: Some(10),
        ..SizeFigures::default()
    };
    assert_eq!(s.classify("other", other).unwrap().scale, Scale::Small);
}

#[test]
fn a_missing_figure_is_named() {
    let s = size_standard();
    let only_revenue = SizeFigures {
        revenue_yuan: Some(1),
        ..SizeFigures::default()
    };
    match s.classify("construction", only_revenue) {
        Err(ClassifyError::MissingFigure { figure, .. }) => assert_eq!(figure, "assets_wan"),
        other => panic!("{other:?}"),
    }
    match s.classify("retail", only_revenue) {
        Err(ClassifyError::MissingFigure { figure, .. }) => assert_eq!(figure, "employees"),
        other => panic!("{other:?}"),
    }
    // Agriculture uses revenue only.
    assert_eq!(
        s.classify("agriculture", only_revenue).unwrap().scale,
        Scale::Micro
    );
    let err = s.classify("finance", only_revenue).unwrap_err().to_string();
    assert!(err.contains("银发〔2015〕309号"), "{err}");
}
