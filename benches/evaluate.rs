//! Evaluation core throughput on a 10 000-bid comprehensive lot (target ≥ 1 000 000 bids/s on
//! one core), with the full result rendered (explanations, JSON) alongside for reference.
//! Run: `cargo bench --bench evaluate`. The last lines print the figure against the target.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{black_box, criterion_group, Criterion, Throughput};
use smeproc::domain::evaluation::{
    evaluate, Bid, Bidder, Category, Firm, Method, Participant, Project, Weights,
};
use smeproc::domain::policy::profile;
use smeproc::domain::{Fen, Hundredths, Scale};
use smeproc::wire::evaluation::{EvaluationOutput, ValidEvaluation};
use std::time::Instant;

const BIDS: usize = 10_000;
const TARGET_BIDS_PER_SECOND: f64 = 1_000_000.0;

/// A deterministic mixed lot: single firms of every scale, consortia, subcontracts, regions in
/// and out of the minority list, three evaluators.
fn lot() -> ValidEvaluation {
    let profile = profile("xinjiang-2011").unwrap();
    let mut state: u64 = 42;
    let mut next = move |n: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    let regions = ["653101", "650102", "652801", "110108", "653201", "654002"];
    let firm = |next: &mut dyn FnMut(u64) -> u64| Firm {
        scale: Scale::ALL[next(4) as usize],
        region: Some(
            regions[next(regions.len() as u64) as usize]
                .parse()
                .unwrap(),
        ),
    };
    let bids = (0..BIDS)
        .map(|i| {
            let bidder = if next(5) == 0 {
                let share = 20 + next(60) as i64;
                Bidder::Consortium {
                    members: vec![
                        Participant {
                            firm: firm(&mut next),
                            share_pct: Hundredths::whole(share),
                        },
                        Participant {
                            firm: firm(&mut next),
                            share_pct: Hundredths::whole(100 - share),
                        },
                    ]
                    .into(),
                    related_parties: next(10) == 0,
                }
            } else {
                Bidder::Single(firm(&mut next))
            };
            let scores = |next: &mut dyn FnMut(u64) -> u64, max: u64| {
                (0..3)
                    .map(|_| Hundredths(next(max * 100) as i64))
                    .collect::<Box<[_]>>()
            };
            Bid {
                id: format!("B{i:05}").into(),
                price: Fen(90_000_000 + next(20_000_000) as i64),
                bidder,
                subcontracts: Box::default(),
                manufacturers: Box::default(),
                technical: scores(&mut next, 50),
                commercial: scores(&mut next, 20),
                qualified: next(50) != 0,
            }
        })
        .collect();
    let project = Project {
        category: Category::Goods,
        method: Method::Comprehensive,
        reserved_for_smes: false,
        weights: Some(Weights {
            price: Hundredths::whole(30),
            technical: Hundredths::whole(50),
            commercial: Hundredths::whole(20),
        }),
        small_micro_rate: Hundredths::whole(8),
        consortium_rate: Hundredths::whole(2),
        minority_bonus_rate: Hundredths::whole(2),
    };
    ValidEvaluation {
        profile,
        project,
        bids,
    }
}

fn benches(c: &mut Criterion) {
    let input = lot();
    let mut group = c.benchmark_group("evaluate_10000_bid_comprehensive_lot");
    group.throughput(Throughput::Elements(BIDS as u64));
    group.bench_function("core", |b| {
        b.iter(|| evaluate(input.profile, &input.project, black_box(&input.bids)))
    });
    group.bench_function("core_explained_json", |b| {
        b.iter(|| {
            let result = input.run();
            let mut out = Vec::with_capacity(16 << 20);
            EvaluationOutput {
                input: &input,
                evaluation: &result,
                chinese: true,
            }
            .write_compact(&mut out)
            .unwrap();
            out
        })
    });
    group.finish();
}

criterion_group!(evaluation, benches);

fn main() {
    evaluation();
    Criterion::default().configure_from_args().final_summary();
    // The figure and its anchor, printed side by side.
    let input = lot();
    let rounds = 200;
    let start = Instant::now();
    for _ in 0..rounds {
        black_box(evaluate(
            input.profile,
            &input.project,
            black_box(&input.bids),
        ));
    }
    let per_second = (rounds * BIDS) as f64 / start.elapsed().as_secs_f64();
    println!(
        "evaluation core: {:.0} bids/s on one core (10 000-bid comprehensive lot); target ≥ {:.0} bids/s; ratio {:.2} → {}",
        per_second,
        TARGET_BIDS_PER_SECOND,
        per_second / TARGET_BIDS_PER_SECOND,
        if per_second >= TARGET_BIDS_PER_SECOND { "met" } else { "MISSED" }
    );
}
