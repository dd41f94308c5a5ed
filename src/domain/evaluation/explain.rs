//! Explanation lines: one per rule applied, naming the rule (with its Chinese term) and the
//! numbers. Built from the facts [`super::evaluate`] recorded, never recomputed differently.
//! Lines are written into a reusable [`Lines`] buffer so that a 100 000-bid result streams out
//! without an allocation per line.

use super::*;
use crate::domain::policy::Profile;
use std::fmt::Write;

/// The explanation of one bid: its lines back to back in one buffer.
#[derive(Debug, Default, Clone)]
pub struct Lines {
    text: String,
    ends: Vec<usize>,
}

impl Lines {
    pub fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
    }

    /// Appends one line. Writing to a `String` cannot fail.
    fn line(&mut self, args: std::fmt::Arguments<'_>) {
        let _ = self.text.write_fmt(args);
        self.ends.push(self.text.len());
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .map(|(a, b)| &self.text[a..b])
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
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

/// Explanation lines for the bid at `position` in `evaluation.ranking`, as owned strings.
pub fn explain(
    profile: &Profile,
    project: &Project,
    bids: &[Bid],
    evaluation: &Evaluation<'_>,
    position: usize,
) -> Vec<String> {
    let mut lines = Lines::default();
    explain_into(profile, project, bids, evaluation, position, &mut lines);
    lines.iter().map(String::from).collect()
}

/// Writes the explanation of the bid at `position` into `out` (cleared first).
pub fn explain_into(
    profile: &Profile,
    project: &Project,
    bids: &[Bid],
    evaluation: &Evaluation<'_>,
    position: usize,
    out: &mut Lines,
) {
    out.clear();
    let Some(r) = evaluation.ranking.get(position) else {
        return;
    };
    let bid = &bids[r.input_index];
    scale_line(profile, bid, r, out);
    price_line(profile, project, r, out);
    if let (Some(s), Some(w), Some(benchmark)) =
        (r.scores, project.weights, evaluation.benchmark_price)
    {
        out.line(format_args!(
            "Price score (价格分) = benchmark {benchmark} ÷ {} × {} = {}.",
            r.evaluated_price,
            w.price.short(),
            s.price
        ));
        out.line(format_args!(
            "Technical score (技术分) = mean of {} = {}; commercial score (商务分) = mean of {} = {}.",
            ScoreList(&bid.technical),
            s.technical,
            ScoreList(&bid.commercial),
            s.commercial
        ));
        if r.minority_region {
            out.line(format_args!(
                "Minority-region SME bonus (少数民族地区中小企业加分) = {}% × ({} + {}) = {}; SME parties in minority regions hold {}%.",
                project.minority_bonus_rate.short(),
                w.price.short(),
                w.commercial.short(),
                s.bonus,
                r.minority_share_pct.short()
            ));
        }
        out.line(format_args!(
            "Total (综合得分) = {} + {} + {} + {} = {}.",
            s.price, s.technical, s.commercial, s.bonus, s.total
        ));
    }
    rank_lines(profile, &evaluation.ranking, position, out);
}

/// `[40, 42.5, 41]`
struct ScoreList<'a>(&'a [Hundredths]);

impl std::fmt::Display for ScoreList<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[")?;
        for (i, s) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}", s.short())?;
        }
        f.write_str("]")
    }
}

/// The scale the bidder had before goods manufacturers were considered.
fn own_scale(r: &RankedBid<'_>) -> Scale {
    match r.basis {
        ScaleBasis::SingleFirm => r.declared_scale,
        ScaleBasis::AllSmallMicro if r.declared_scale == Scale::Micro => Scale::Micro,
        ScaleBasis::AllSmallMicro => Scale::Small,
        ScaleBasis::AllSme | ScaleBasis::LocalLargeTreatedAsSme => Scale::Medium,
        ScaleBasis::LargeMember { .. } => Scale::Large,
    }
}

fn scale_line(profile: &Profile, bid: &Bid, r: &RankedBid<'_>, out: &mut Lines) {
    let scale = r.effective_scale;
    let sme = if r.sme {
        "an SME (中小企业)"
    } else {
        "not an SME"
    };
    let maker = match r.raised_by_manufacturer {
        Some(m) => format!(
            "; goods made by a {m} manufacturer (货物制造商) raise {} to {m}",
            own_scale(r)
        ),
        None => String::new(),
    };
    match (&bid.bidder, r.basis) {
        (Bidder::Single(firm), _) => out.line(format_args!(
            "Effective scale (企业规模) {scale}, {sme}: single firm declared {} ({}){maker}.",
            firm.scale,
            firm.scale.zh()
        )),
        (_, ScaleBasis::AllSmallMicro) => out.line(format_args!(
            "Effective scale (企业规模) {scale}, {sme}: consortium (联合体) of small/micro firms only, treated as small/micro{maker}."
        )),
        (_, ScaleBasis::AllSme) => out.line(format_args!(
            "Effective scale (企业规模) {scale}, {sme}: consortium (联合体) of SMEs only, with a medium member{maker}."
        )),
        (_, ScaleBasis::LocalLargeTreatedAsSme) => out.line(format_args!(
            "Effective scale (企业规模) {scale}, {sme}: consortium (联合体) of large firms registered in Xinjiang (疆内, region {}…) with an SME and no related parties, treated as an SME (视同中小企业, {}){maker}.",
            profile.consortium.local_region_prefix.as_deref().unwrap_or_default(),
            profile.id
        )),
        (_, ScaleBasis::LargeMember { related_parties, non_local }) => {
            let why = if !profile.consortium.local_large_with_sme_treated_as_sme {
                "with a large member"
            } else if related_parties {
                "with a large member; related parties (关联关系) void the treated-as-SME rule"
            } else if non_local {
                "with a large member registered outside Xinjiang (疆外)"
            } else {
                "with a large member and no SME"
            };
            out.line(format_args!("Effective scale (企业规模) {scale}, {sme}: consortium (联合体) {why}{maker}."))
        }
        (_, ScaleBasis::SingleFirm) => {}
    }
}

fn price_line(profile: &Profile, project: &Project, r: &RankedBid<'_>, out: &mut Lines) {
    let d = &profile.deduction;
    let minority_extra = r.minority_region && project.method == Method::LowestPrice;
    let base = if minority_extra {
        r.deduction_pct - project.minority_bonus_rate
    } else {
        r.deduction_pct
    };
    let extra = if minority_extra {
        format!(
            " + minority-region SME deduction (少数民族地区中小企业, {}% held in minority regions) {}%",
            r.minority_share_pct.short(),
            project.minority_bonus_rate.short()
        )
    } else {
        String::new()
    };
    let evaluated = |out: &mut Lines, rule: std::fmt::Arguments<'_>| {
        out.line(format_args!(
            "{rule}{extra}: evaluated price (评标价) = {} × (1 − {}%) = {}.",
            r.price,
            r.deduction_pct.short(),
            r.evaluated_price
        ))
    };
    match r.preference {
        Preference::SmallMicroDeduction => evaluated(
            out,
            format_args!("Small/micro price deduction (小微企业价格扣除) {}% for {}", base.short(), project.category.as_str()),
        ),
        Preference::ConsortiumDeduction => evaluated(
            out,
            format_args!(
                "Consortium price deduction (联合体价格扣除) {}%, small/micro members hold {}% ≥ {}%",
                base.short(),
                r.preference_share_pct.short(),
                d.consortium_min_small_micro_share_pct.short()
            ),
        ),
        Preference::SubcontractDeduction => evaluated(
            out,
            format_args!(
                "Subcontract price deduction (分包价格扣除) {}%, {}% subcontracted to small/micro firms ≥ {}%",
                base.short(),
                r.preference_share_pct.short(),
                d.subcontract_min_small_micro_share_pct.short()
            ),
        ),
        Preference::None => {
            let why = if project.reserved_for_smes {
                "the lot is reserved for SMEs (预留份额), so deductions do not apply"
            } else if r.effective_scale == Scale::Medium {
                "medium firms get no small/micro deduction"
            } else {
                "no small/micro scale, consortium share or subcontract share qualifies"
            };
            if minority_extra {
                evaluated(out, format_args!("No price deduction (价格扣除): {why}"))
            } else {
                out.line(format_args!(
                    "No price deduction (价格扣除): {why}; evaluated price (评标价) = price {}.",
                    r.evaluated_price
                ))
            }
        }
    }
}

fn primary_key(r: &RankedBid<'_>) -> (Hundredths, Fen) {
    match r.scores {
        Some(s) => (s.total, Fen(0)),
        None => (Hundredths::ZERO, r.evaluated_price),
    }
}

fn rank_lines(profile: &Profile, ranking: &[RankedBid<'_>], i: usize, out: &mut Lines) {
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
        let others = Ids(peers, &|p: &RankedBid<'_>| p.sme != r.sme);
        let outcome = if r.sme {
            "the SME ranks first"
        } else {
            "the SME ranks first, this bid after it"
        };
        out.line(format_args!(
            "Equal priority (同等条件下中小企业优先): same {what} as {others}; {outcome}."
        ));
    }
    if r.tied {
        let others = Ids(peers, &|p: &RankedBid<'_>| {
            p.tied && p.rank == r.rank && p.bid_id != r.bid_id
        });
        out.line(format_args!(
            "Rank {} (排名), tied with {others}: equal on every ranking key; to be settled by drawing lots (抽签), never by input order.",
            r.rank
        ));
    } else {
        out.line(format_args!("Rank {} (排名).", r.rank));
    }
}

/// The ids of the bids in a slice that pass a filter, comma-separated.
struct Ids<'a>(&'a [RankedBid<'a>], &'a dyn Fn(&RankedBid<'_>) -> bool);

impl std::fmt::Display for Ids<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, p) in self.0.iter().filter(|p| (self.1)(p)).enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(p.bid_id)?;
        }
        Ok(())
    }
}
