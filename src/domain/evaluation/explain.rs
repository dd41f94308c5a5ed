//! Explanation lines: one per rule applied, naming the rule (with its Chinese term) and the
//! numbers. Built from the facts [`super::evaluate`] recorded, never recomputed differently.

use super::*;
use crate::policy::Profile;

fn pct(h: Hundredths) -> String {
    format!("{}%", h.to_short_string())
}

fn list(scores: &[Hundredths]) -> String {
    let shown: Vec<String> = scores.iter().map(|s| s.to_short_string()).collect();
    format!("[{}]", shown.join(", "))
}

/// The reason an excluded bid is listed with.
pub fn exclusion_reason(exclusion: Exclusion) -> String {
    match exclusion {
        Exclusion::Unqualified => {
            "not qualified: failed the qualification or compliance review (资格性/符合性审查)".into()
        }
        Exclusion::NotSme { effective_scale } => format!(
            "not eligible: lot reserved for SMEs (专门面向中小企业), effective scale {effective_scale}"
        ),
    }
}

/// Explanation lines for the bid at `position` in `evaluation.ranking`. Computed one bid at a
/// time so that a large result can be written out without holding every line in memory.
pub fn explain(
    profile: &Profile,
    project: &Project,
    bids: &[Bid],
    evaluation: &Evaluation,
    position: usize,
) -> Vec<String> {
    let ranking = &evaluation.ranking;
    let Some(ranked) = ranking.get(position) else {
        return Vec::new();
    };
    let bid = &bids[ranked.input_index];
    let mut lines = Vec::with_capacity(10);
    scale_lines(profile, bid, ranked, &mut lines);
    preference_lines(profile, project, ranked, &mut lines);
    if let (Some(scores), Some(weights), Some(benchmark)) =
        (ranked.scores, project.weights, evaluation.benchmark_price)
    {
        score_lines(project, bid, ranked, scores, weights, benchmark, &mut lines);
    }
    rank_lines(profile, ranking, position, &mut lines);
    lines
}

fn scale_lines(profile: &Profile, bid: &Bid, r: &RankedBid, lines: &mut Vec<String>) {
    let before = match r.raised_by_manufacturer {
        Some(_) => bid_own_scale(r),
        None => r.effective_scale,
    };
    let line = match (&bid.bidder, r.basis) {
        (Bidder::Single(firm), _) => format!(
            "Scale (企业规模): single firm {:?} declared {} ({}).",
            firm.name, firm.scale, firm.scale.zh()
        ),
        (_, ScaleBasis::AllSmallMicro) => format!(
            "Consortium (联合体) of small/micro firms only: treated as {before} (视同小微企业)."
        ),
        (_, ScaleBasis::AllSme) => {
            "Consortium (联合体) of SMEs only, with a medium member: treated as medium.".into()
        }
        (_, ScaleBasis::LocalLargeTreatedAsSme) => format!(
            "Consortium (联合体) of large firms registered in Xinjiang (疆内, region {}…) with an SME and no related parties: treated as an SME, medium (视同中小企业, {}).",
            profile.consortium.local_region_prefix.as_deref().unwrap_or_default(),
            profile.id
        ),
        (_, ScaleBasis::LargeMember { related_parties, non_local }) => {
            let why = if !profile.consortium.local_large_with_sme_treated_as_sme {
                format!("{} has no rule treating such a consortium as an SME", profile.id)
            } else if related_parties {
                "related parties (关联关系) void the treated-as-SME rule".into()
            } else if non_local {
                "a large member is registered outside Xinjiang (疆外)".into()
            } else {
                "no member is an SME".into()
            };
            format!("Consortium (联合体) with a large member: large, because {why}.")
        }
        (_, ScaleBasis::SingleFirm) => String::new(),
    };
    lines.push(line);
    if let Some(maker) = r.raised_by_manufacturer {
        lines.push(format!(
            "Goods manufacturer (货物制造商) is {maker}: effective scale raised from {before} to {maker}."
        ));
    }
    lines.push(format!(
        "Effective scale {} ({}): {}.",
        r.effective_scale,
        r.effective_scale.zh(),
        if r.sme {
            "an SME (中小企业)"
        } else {
            "not an SME"
        }
    ));
}

/// The scale the bidder had before goods manufacturers were considered.
fn bid_own_scale(r: &RankedBid) -> Scale {
    match r.basis {
        ScaleBasis::SingleFirm => r.declared_scale,
        ScaleBasis::AllSmallMicro if r.declared_scale == Scale::Micro => Scale::Micro,
        ScaleBasis::AllSmallMicro => Scale::Small,
        ScaleBasis::AllSme | ScaleBasis::LocalLargeTreatedAsSme => Scale::Medium,
        ScaleBasis::LargeMember { .. } => Scale::Large,
    }
}

fn preference_lines(profile: &Profile, project: &Project, r: &RankedBid, lines: &mut Vec<String>) {
    let d = &profile.deduction;
    let base_rate = if r.minority_region && project.method == Method::LowestPrice {
        r.deduction_pct - project.minority_bonus_rate
    } else {
        r.deduction_pct
    };
    lines.push(match r.preference {
        Preference::SmallMicroDeduction => format!(
            "Small/micro price deduction (小微企业价格扣除): {} for {} ({}).",
            pct(base_rate),
            project.category.as_str(),
            profile.id
        ),
        Preference::ConsortiumDeduction => format!(
            "Consortium price deduction (联合体价格扣除): small/micro members hold {} ≥ {}, rate {}.",
            pct(r.preference_share_pct),
            pct(d.consortium_min_small_micro_share_pct),
            pct(base_rate)
        ),
        Preference::SubcontractDeduction => format!(
            "Subcontract price deduction (分包价格扣除): {} subcontracted to small/micro firms ≥ {}, rate {}.",
            pct(r.preference_share_pct),
            pct(d.subcontract_min_small_micro_share_pct),
            pct(base_rate)
        ),
        Preference::None if project.reserved_for_smes => {
            "No price deduction: the lot is reserved for SMEs (预留份额), so deductions do not apply.".into()
        }
        Preference::None if r.effective_scale == Scale::Medium => {
            "No price deduction: medium firms get none of their own (小微企业价格扣除 is for small/micro firms).".into()
        }
        Preference::None => "No price deduction (价格扣除): no small/micro scale, qualifying consortium share or subcontract share.".into(),
    });
    if r.minority_region && project.method == Method::LowestPrice {
        lines.push(format!(
            "Minority-region SME (少数民族地区中小企业): SME parties in minority regions hold {}; extra deduction {} under lowest evaluated price (最低评标价法), total {}.",
            pct(r.minority_share_pct),
            pct(project.minority_bonus_rate),
            pct(r.deduction_pct)
        ));
    }
    lines.push(format!(
        "Evaluated price (评标价) = {} × (1 − {}) = {}, rounded half-up to the fen.",
        r.price,
        pct(r.deduction_pct),
        r.evaluated_price
    ));
}

fn score_lines(
    project: &Project,
    bid: &Bid,
    r: &RankedBid,
    s: Scores,
    w: Weights,
    benchmark: Fen,
    lines: &mut Vec<String>,
) {
    lines.push(format!(
        "Price score (价格分) = benchmark {benchmark} ÷ {} × {} = {}.",
        r.evaluated_price,
        w.price.to_short_string(),
        s.price
    ));
    lines.push(format!(
        "Technical score (技术分) = mean of {} evaluators {} = {}.",
        bid.technical.len(),
        list(&bid.technical),
        s.technical
    ));
    lines.push(format!(
        "Commercial score (商务分) = mean of {} evaluators {} = {}.",
        bid.commercial.len(),
        list(&bid.commercial),
        s.commercial
    ));
    if r.minority_region {
        lines.push(format!(
            "Minority-region SME bonus (少数民族地区中小企业加分) = {} × ({} + {}) = {}; SME parties in minority regions hold {}.",
            pct(project.minority_bonus_rate),
            w.price.to_short_string(),
            w.commercial.to_short_string(),
            s.bonus,
            pct(r.minority_share_pct)
        ));
    }
    lines.push(format!(
        "Total (综合得分) = {} + {} + {} + {} = {}.",
        s.price, s.technical, s.commercial, s.bonus, s.total
    ));
}

fn primary_key(r: &RankedBid) -> (Hundredths, Fen) {
    match r.scores {
        Some(s) => (s.total, Fen(0)),
        None => (Hundredths::ZERO, r.evaluated_price),
    }
}

fn rank_lines(profile: &Profile, ranking: &[RankedBid], i: usize, lines: &mut Vec<String>) {
    let r = &ranking[i];
    // Bids sharing the first sort key sit next to each other.
    let key = primary_key(r);
    let mut lo = i;
    while lo > 0 && primary_key(&ranking[lo - 1]) == key {
        lo -= 1;
    }
    let mut hi = i + 1;
    while hi < ranking.len() && primary_key(&ranking[hi]) == key {
        hi += 1;
    }
    let peers = &ranking[lo..hi];
    let what = if r.scores.is_some() {
        "total"
    } else {
        "evaluated price"
    };
    if profile.equal_priority.enabled && peers.iter().any(|p| p.sme != r.sme) {
        let others: Vec<&str> = peers
            .iter()
            .filter(|p| p.sme != r.sme)
            .map(|p| p.bid_id.as_str())
            .collect();
        lines.push(format!(
            "Equal priority (同等条件下中小企业优先): same {what} as {}; {}.",
            others.join(", "),
            if r.sme {
                "the SME ranks first"
            } else {
                "the SME ranks first, this bid after it"
            }
        ));
    }
    if r.tied {
        let others: Vec<&str> = peers
            .iter()
            .filter(|p| p.tied && p.rank == r.rank && p.bid_id != r.bid_id)
            .map(|p| p.bid_id.as_str())
            .collect();
        lines.push(format!(
            "Rank {} (排名), tied with {}: equal on every ranking key; to be settled by drawing lots (抽签), never by input order.",
            r.rank,
            others.join(", ")
        ));
    } else {
        lines.push(format!("Rank {} (排名).", r.rank));
    }
}
