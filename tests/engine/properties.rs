//! Invariants of the evaluation, over random lots.

use proptest::prelude::*;
use smeproc::domain::evaluation::{
    evaluate, Bid, Bidder, Category, Firm, Method, Participant, Project, Weights,
};
use smeproc::domain::policy::{profiles, Profile};
use smeproc::domain::{Fen, Hundredths, Scale};
use smeproc::wire::evaluation::{EvaluationOutput, ValidEvaluation};

const REGIONS: [&str; 5] = ["653101", "650102", "652801", "110108", "653201"];

fn scale() -> impl Strategy<Value = Scale> {
    prop::sample::select(Scale::ALL.to_vec())
}

fn firm() -> impl Strategy<Value = Firm> {
    (scale(), prop::sample::select(REGIONS.to_vec())).prop_map(|(scale, region)| Firm {
        scale,
        region: Some(region.parse().unwrap()),
    })
}

fn bidder() -> impl Strategy<Value = Bidder> {
    prop_oneof![
        3 => firm().prop_map(Bidder::Single),
        1 => (firm(), firm(), 1i64..100, any::<bool>()).prop_map(|(a, b, share, related)| Bidder::Consortium {
            members: vec![
                Participant { firm: a, share_pct: Hundredths::whole(share) },
                Participant { firm: b, share_pct: Hundredths::whole(100 - share) },
            ]
            .into(),
            related_parties: related,
        }),
    ]
}

/// Prices from a small set so that ties happen.
fn bid(evaluators: usize, weights: Weights) -> impl Strategy<Value = Bid> {
    let score = move |max: Hundredths| {
        prop::collection::vec(
            (0..=max.0 / 50).prop_map(|s| Hundredths(s * 50)),
            evaluators,
        )
    };
    (
        prop::sample::select(vec![9_000_000_i64, 9_500_000, 10_000_000, 9_777_778]), // fen
        bidder(),
        prop::option::of((firm(), 1i64..=60)),
        prop::option::of(scale()),
        score(weights.technical),
        score(weights.commercial),
        prop::bool::weighted(0.9),
    )
        .prop_map(
            |(price, bidder, sub, maker, technical, commercial, qualified)| Bid {
                id: "".into(),
                price: Fen(price),
                bidder,
                subcontracts: sub
                    .map(|(firm, share)| {
                        vec![Participant {
                            firm,
                            share_pct: Hundredths::whole(share),
                        }]
                    })
                    .unwrap_or_default()
                    .into(),
                manufacturers: maker
                    .map(|scale| {
                        vec![Firm {
                            scale,
                            region: None,
                        }]
                    })
                    .unwrap_or_default()
                    .into(),
                technical: technical.into(),
                commercial: commercial.into(),
                qualified,
            },
        )
}

fn lot() -> impl Strategy<Value = (&'static Profile, Project, Vec<Bid>)> {
    (
        0..profiles().len(),
        prop::sample::select(vec![Category::Goods, Category::Services]),
        any::<bool>(),
        any::<bool>(),
        1usize..4,
    )
        .prop_flat_map(|(p, category, comprehensive, reserved, evaluators)| {
            let profile = &profiles()[p];
            let bounds = if category == Category::Goods {
                profile.price_weight.goods
            } else {
                profile.price_weight.services
            };
            let price_weight = bounds.min.0 / 100..=bounds.max.0.min(60_00) / 100;
            (
                Just(profile),
                Just(category),
                Just(comprehensive),
                Just(reserved),
                Just(evaluators),
                price_weight,
            )
        })
        .prop_flat_map(
            |(profile, category, comprehensive, reserved, evaluators, pw)| {
                let weights = Weights {
                    price: Hundredths::whole(pw),
                    technical: Hundredths::whole((100 - pw) * 2 / 3),
                    commercial: Hundredths::whole(100 - pw - (100 - pw) * 2 / 3),
                };
                let d = &profile.deduction;
                let project = Project {
                    category,
                    method: if comprehensive {
                        Method::Comprehensive
                    } else {
                        Method::LowestPrice
                    },
                    reserved_for_smes: reserved,
                    weights: comprehensive.then_some(weights),
                    small_micro_rate: d.small_micro_goods_services.max,
                    consortium_rate: d.consortium_goods_services.default,
                    minority_bonus_rate: profile
                        .active_minority_bonus()
                        .map_or(Hundredths::ZERO, |b| b.rate.default),
                };
                (
                    Just(profile),
                    Just(project),
                    prop::collection::vec(bid(evaluators, weights), 1..25),
                )
            },
        )
        .prop_map(|(profile, project, mut bids)| {
            for (i, b) in bids.iter_mut().enumerate() {
                b.id = format!("B{i:02}").into();
            }
            (profile, project, bids)
        })
}

/// The compact output; checks on the way that the parallel writer and serde agree byte for byte.
fn render(profile: &'static Profile, project: &Project, bids: Vec<Bid>) -> Vec<u8> {
    let valid = ValidEvaluation {
        profile,
        project: project.clone(),
        bids,
    };
    let result = valid.run();
    let output = EvaluationOutput {
        input: &valid,
        evaluation: &result,
        chinese: true,
    };
    let mut compact = Vec::new();
    output.write_compact(&mut compact).unwrap();
    assert_eq!(
        compact,
        serde_json::to_vec(&output).unwrap(),
        "write_compact and serde differ"
    );
    compact
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn reordering_the_bids_never_changes_the_result((profile, project, bids) in lot(), seed in any::<u64>()) {
        let mut shuffled = bids.clone();
        // Deterministic shuffle from the seed (Fisher–Yates with an LCG).
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (state >> 33) as usize % (i + 1));
        }
        prop_assert_eq!(render(profile, &project, bids), render(profile, &project, shuffled));
    }

    #[test]
    fn output_is_byte_identical_across_runs((profile, project, bids) in lot()) {
        prop_assert_eq!(render(profile, &project, bids.clone()), render(profile, &project, bids));
    }

    #[test]
    fn a_deduction_never_raises_a_price((profile, project, bids) in lot()) {
        let result = evaluate(profile, &project, &bids);
        for r in &result.ranking {
            prop_assert!(r.evaluated_price <= r.price);
            prop_assert!(r.evaluated_price.0 > 0);
            prop_assert!(r.deduction_pct >= Hundredths::ZERO);
        }
    }

    #[test]
    fn the_benchmark_bid_scores_the_full_price_weight((profile, project, bids) in lot()) {
        let result = evaluate(profile, &project, &bids);
        if let (Some(benchmark), Some(weights)) = (result.benchmark_price, project.weights) {
            let mut seen = false;
            for r in &result.ranking {
                let s = r.scores.unwrap();
                prop_assert!(s.price <= weights.price);
                if r.evaluated_price == benchmark {
                    prop_assert_eq!(s.price, weights.price);
                    seen = true;
                }
            }
            prop_assert!(seen);
        }
    }

    #[test]
    fn ranks_are_a_competition_ranking_of_the_sort_keys((profile, project, bids) in lot()) {
        let result = evaluate(profile, &project, &bids);
        let priority = profile.equal_priority.enabled;
        let key = |r: &smeproc::domain::evaluation::RankedBid| {
            let sme = if priority { !r.sme } else { false };
            match r.scores {
                Some(s) => (-s.total.0, sme, r.evaluated_price.0, -s.technical.0),
                // Lowest price: evaluated price first, then SME priority.
                None => (r.evaluated_price.0, sme, 0, 0),
            }
        };
        let ranking = &result.ranking;
        for (i, r) in ranking.iter().enumerate() {
            if i == 0 {
                prop_assert_eq!(r.rank, 1);
                continue;
            }
            let prev = &ranking[i - 1];
            prop_assert!(key(prev) <= key(r), "sorted by the keys");
            if key(prev) == key(r) {
                prop_assert_eq!(r.rank, prev.rank);
                prop_assert!(r.tied && prev.tied);
                prop_assert!(prev.bid_id < r.bid_id, "tied bids in id order, not input order");
            } else {
                prop_assert_eq!(r.rank as usize, i + 1);
            }
        }
        for r in ranking {
            let peers = ranking.iter().filter(|o| key(o) == key(r)).count();
            prop_assert_eq!(r.tied, peers > 1);
        }
        // Reserved lots rank SMEs only and give no step-3 deduction.
        if project.reserved_for_smes {
            for r in ranking {
                prop_assert!(r.sme);
                prop_assert_eq!(r.preference, smeproc::domain::evaluation::Preference::None);
            }
        }
        prop_assert_eq!(ranking.len() + result.excluded.len(), bids.len());
    }
}
