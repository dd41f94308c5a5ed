//! The evaluation rules of POLICY.md §4, step by step.

use super::*;
use crate::domain::decimal::div_round_half_up;
use crate::domain::policy::Profile;
use std::cmp::Ordering;

/// Evaluates one lot. The input is assumed valid (the wire layer checks it against the profile);
/// nothing here panics on any input, and the result does not depend on the order of `bids`.
pub fn evaluate<'a>(profile: &Profile, project: &Project, bids: &'a [Bid]) -> Evaluation<'a> {
    let mut ranking = Vec::with_capacity(bids.len());
    let mut excluded = Vec::new();
    for (input_index, bid) in bids.iter().enumerate() {
        let (effective_scale, basis, raised_by_manufacturer) =
            effective_scale(profile, project.category, bid);
        let exclusion = if !bid.qualified {
            Some(Exclusion::Unqualified)
        } else if project.reserved_for_smes && !effective_scale.is_sme() {
            Some(Exclusion::NotSme { effective_scale })
        } else {
            None
        };
        if let Some(exclusion) = exclusion {
            excluded.push(Excluded {
                input_index,
                bid_id: &bid.id,
                exclusion,
            });
            continue;
        }
        let (preference, preference_share_pct, rate) =
            preference(profile, project, bid, effective_scale);
        let sme = effective_scale.is_sme();
        let minority_share_pct = if sme {
            minority_share(profile, &bid.bidder)
        } else {
            Hundredths::ZERO
        };
        let minority_region = profile.active_minority_bonus().is_some_and(|b| {
            minority_share_pct >= b.min_sme_share_pct && minority_share_pct > Hundredths::ZERO
        });
        let deduction_pct = match project.method {
            // 最低评标价法: the minority bonus is an extra deduction on price.
            Method::LowestPrice if minority_region => rate + project.minority_bonus_rate,
            _ => rate,
        };
        ranking.push(RankedBid {
            input_index,
            bid_id: &bid.id,
            rank: 0,
            tied: false,
            declared_scale: declared_scale(&bid.bidder),
            effective_scale,
            basis,
            raised_by_manufacturer,
            sme,
            minority_region,
            minority_share_pct,
            preference,
            preference_share_pct,
            deduction_pct,
            price: bid.price,
            evaluated_price: deduct(bid.price, deduction_pct),
            scores: None,
        });
    }

    let benchmark_price = match project.method {
        Method::Comprehensive => ranking.iter().map(|r| r.evaluated_price).min(),
        Method::LowestPrice => None,
    };
    if let (Some(benchmark), Some(weights)) = (benchmark_price, project.weights) {
        for ranked in &mut ranking {
            let bid = &bids[ranked.input_index];
            ranked.scores = Some(score(benchmark, weights, project, bid, ranked));
        }
    }

    let equal_priority = profile.equal_priority.enabled;
    let order = |a: &RankedBid<'_>, b: &RankedBid<'_>| compare(a, b, equal_priority);
    ranking.sort_unstable_by(|a, b| order(a, b).then_with(|| a.bid_id.cmp(b.bid_id)));
    assign_ranks(&mut ranking, order);
    excluded.sort_unstable_by(|a, b| a.bid_id.cmp(b.bid_id));

    let minimum = profile.failure.min_qualified_bids;
    let outcome = if ranking.len() < minimum as usize {
        Outcome::Failed {
            qualified: ranking.len(),
            minimum,
            reserved: project.reserved_for_smes,
            rerun_unreserved: project.reserved_for_smes
                && profile.failure.reserved_lot_rerun_unreserved,
        }
    } else {
        Outcome::Ranked
    };
    Evaluation {
        policy_id: profile.id.clone(),
        policy_version: profile.version.clone(),
        method: project.method,
        outcome,
        benchmark_price,
        ranking,
        excluded,
    }
}

/// The largest declared scale behind the bidder (for the explanation).
fn declared_scale(bidder: &Bidder) -> Scale {
    match bidder {
        Bidder::Single(firm) => firm.scale,
        Bidder::Consortium { members, .. } => members
            .iter()
            .map(|m| m.firm.scale)
            .max()
            .unwrap_or(Scale::Large),
    }
}

/// §4.1: one firm's scale, or the consortium rule; for goods, raised to the largest manufacturer.
/// Returns the scale, how it was reached, and the manufacturer scale that raised it.
pub fn effective_scale(
    profile: &Profile,
    category: Category,
    bid: &Bid,
) -> (Scale, ScaleBasis, Option<Scale>) {
    let (scale, basis) = match &bid.bidder {
        Bidder::Single(firm) => (firm.scale, ScaleBasis::SingleFirm),
        Bidder::Consortium {
            members,
            related_parties,
        } => consortium_scale(profile, members, *related_parties),
    };
    let largest_maker = match category {
        Category::Goods => bid.manufacturers.iter().map(|m| m.scale).max(),
        _ => None,
    };
    match largest_maker {
        Some(maker) if maker > scale => (maker, basis, Some(maker)),
        _ => (scale, basis, None),
    }
}

fn consortium_scale(
    profile: &Profile,
    members: &[Participant],
    related_parties: bool,
) -> (Scale, ScaleBasis) {
    let scales = || members.iter().map(|m| m.firm.scale);
    if members.is_empty() {
        return (
            Scale::Large,
            ScaleBasis::LargeMember {
                related_parties,
                non_local: false,
            },
        );
    }
    if scales().all(Scale::is_small_micro) {
        let scale = if scales().all(|s| s == Scale::Micro) {
            Scale::Micro
        } else {
            Scale::Small
        };
        return (scale, ScaleBasis::AllSmallMicro);
    }
    if scales().all(Scale::is_sme) {
        return (Scale::Medium, ScaleBasis::AllSme);
    }
    let rules = &profile.consortium;
    let local = rules.local_region_prefix.as_deref().unwrap_or_default();
    let non_local = members.iter().any(|m| {
        m.firm.scale == Scale::Large && !m.firm.region.is_some_and(|r| r.has_prefix(local))
    });
    if rules.local_large_with_sme_treated_as_sme
        && !related_parties
        && !non_local
        && scales().any(Scale::is_sme)
    {
        return (Scale::Medium, ScaleBasis::LocalLargeTreatedAsSme);
    }
    (
        Scale::Large,
        ScaleBasis::LargeMember {
            related_parties,
            non_local,
        },
    )
}

/// §4.3: at most one deduction, none on a reserved lot.
fn preference(
    profile: &Profile,
    project: &Project,
    bid: &Bid,
    effective_scale: Scale,
) -> (Preference, Hundredths, Hundredths) {
    let none = (Preference::None, Hundredths::ZERO, Hundredths::ZERO);
    if project.reserved_for_smes {
        return none;
    }
    if effective_scale.is_small_micro() {
        return (
            Preference::SmallMicroDeduction,
            Hundredths::ZERO,
            project.small_micro_rate,
        );
    }
    let rules = &profile.deduction;
    if let Bidder::Consortium {
        members,
        related_parties: false,
    } = &bid.bidder
    {
        let share = small_micro_share(members);
        if share >= rules.consortium_min_small_micro_share_pct && share > Hundredths::ZERO {
            return (
                Preference::ConsortiumDeduction,
                share,
                project.consortium_rate,
            );
        }
    }
    if rules.subcontract {
        let share = small_micro_share(&bid.subcontracts);
        if share >= rules.subcontract_min_small_micro_share_pct && share > Hundredths::ZERO {
            return (
                Preference::SubcontractDeduction,
                share,
                project.consortium_rate,
            );
        }
    }
    none
}

fn small_micro_share(participants: &[Participant]) -> Hundredths {
    participants
        .iter()
        .filter(|p| p.firm.scale.is_small_micro())
        .map(|p| p.share_pct)
        .sum()
}

/// Share of the bid held by SME parties registered in the profile's minority regions.
fn minority_share(profile: &Profile, bidder: &Bidder) -> Hundredths {
    let Some(bonus) = profile.active_minority_bonus() else {
        return Hundredths::ZERO;
    };
    let in_region = |firm: &Firm| {
        firm.scale.is_sme()
            && firm
                .region
                .is_some_and(|r| r.in_any(&bonus.region_prefixes))
    };
    match bidder {
        Bidder::Single(firm) if in_region(firm) => Hundredths::whole(100),
        Bidder::Single(_) => Hundredths::ZERO,
        Bidder::Consortium { members, .. } => members
            .iter()
            .filter(|m| in_region(&m.firm))
            .map(|m| m.share_pct)
            .sum(),
    }
}

/// price × (1 − rate), rounded half-up to the fen.
pub(super) fn deduct(price: Fen, rate_pct: Hundredths) -> Fen {
    let keep = 10_000 - i128::from(rate_pct.0);
    let fen = div_round_half_up(i128::from(price.0) * keep, 10_000);
    Fen(i64::try_from(fen).unwrap_or(i64::MAX))
}

/// §4.4: each published figure rounded half-up to two decimals; the total sums the rounded ones.
fn score(
    benchmark: Fen,
    weights: Weights,
    project: &Project,
    bid: &Bid,
    ranked: &RankedBid,
) -> Scores {
    let price = if ranked.evaluated_price.0 > 0 {
        div_round_half_up(
            i128::from(benchmark.0) * i128::from(weights.price.0),
            i128::from(ranked.evaluated_price.0),
        )
    } else {
        i128::from(weights.price.0)
    };
    let price = Hundredths(i64::try_from(price).unwrap_or(i64::MAX));
    let technical = mean(&bid.technical);
    let commercial = mean(&bid.commercial);
    let bonus = if ranked.minority_region {
        let points = i128::from(project.minority_bonus_rate.0)
            * i128::from(weights.price.0 + weights.commercial.0);
        Hundredths(i64::try_from(div_round_half_up(points, 10_000)).unwrap_or(0))
    } else {
        Hundredths::ZERO
    };
    Scores {
        price,
        technical,
        commercial,
        bonus,
        total: price + technical + commercial + bonus,
    }
}

/// The evaluators' mean, rounded half-up to two decimals.
pub(super) fn mean(scores: &[Hundredths]) -> Hundredths {
    if scores.is_empty() {
        return Hundredths::ZERO;
    }
    let sum: i128 = scores.iter().map(|s| i128::from(s.0)).sum();
    Hundredths(i64::try_from(div_round_half_up(sum, scores.len() as i128)).unwrap_or(0))
}

/// §4.6: the rank order; `Equal` means tied (to be settled by drawing lots).
fn compare(a: &RankedBid<'_>, b: &RankedBid<'_>, equal_priority: bool) -> Ordering {
    let sme_first = |a: &RankedBid<'_>, b: &RankedBid<'_>| {
        if equal_priority {
            b.sme.cmp(&a.sme)
        } else {
            Ordering::Equal
        }
    };
    match (a.scores, b.scores) {
        (Some(sa), Some(sb)) => sb
            .total
            .cmp(&sa.total)
            .then_with(|| sme_first(a, b))
            .then_with(|| a.evaluated_price.cmp(&b.evaluated_price))
            .then_with(|| sb.technical.cmp(&sa.technical)),
        _ => a
            .evaluated_price
            .cmp(&b.evaluated_price)
            .then_with(|| sme_first(a, b)),
    }
}

/// Competition ranking (1, 1, 3) over a sorted list; equal neighbours are marked tied.
fn assign_ranks(
    ranking: &mut [RankedBid<'_>],
    order: impl Fn(&RankedBid<'_>, &RankedBid<'_>) -> Ordering,
) {
    let mut start = 0;
    while start < ranking.len() {
        let mut end = start + 1;
        while end < ranking.len() && order(&ranking[start], &ranking[end]) == Ordering::Equal {
            end += 1;
        }
        let tied = end - start > 1;
        for ranked in &mut ranking[start..end] {
            ranked.rank = start as u32 + 1;
            ranked.tied = tied;
        }
        start = end;
    }
}
