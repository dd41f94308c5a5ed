//! Explanation lines: one per rule applied, naming the rule and the numbers, in Chinese (the
//! rules' own terms) or English (with the Chinese term in parentheses). Built from the facts
//! [`super::evaluate`] recorded, never recomputed differently. Each line is written once with
//! both languages side by side ([`say!`]), so neither can be missing.
//! Lines are written into a reusable [`Lines`] buffer so that a 100 000-bid result streams out
//! without an allocation per line.

use super::*;
use crate::domain::messages::Lang;
use crate::domain::policy::Profile;
use std::fmt::Write;

/// Writes one line in the language asked for; both templates capture the same locals.
macro_rules! say {
    ($out:expr, $lang:expr, zh: $zh:literal, en: $en:literal $(,)?) => {
        match $lang {
            Lang::Zh => $out.line(format_args!($zh)),
            Lang::En => $out.line(format_args!($en)),
        }
    };
}

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
pub fn exclusion_reason(exclusion: Exclusion, lang: Lang) -> String {
    use crate::domain::messages::render;
    match exclusion {
        Exclusion::Unqualified => render(lang, "exclusion.unqualified", &[]),
        Exclusion::NotSme { effective_scale } => {
            let scale = match lang {
                Lang::Zh => effective_scale.zh(),
                Lang::En => effective_scale.as_str(),
            };
            render(lang, "exclusion.not_sme", &[("scale", &scale)])
        }
    }
}

/// Explanation lines for the bid at `position` in `evaluation.ranking`, as owned strings.
pub fn explain(
    profile: &Profile,
    project: &Project,
    bids: &[Bid],
    evaluation: &Evaluation<'_>,
    position: usize,
    lang: Lang,
) -> Vec<String> {
    let mut lines = Lines::default();
    explain_into(
        profile, project, bids, evaluation, position, lang, &mut lines,
    );
    lines.iter().map(String::from).collect()
}

/// Writes the explanation of the bid at `position` into `out` (cleared first).
pub fn explain_into(
    profile: &Profile,
    project: &Project,
    bids: &[Bid],
    evaluation: &Evaluation<'_>,
    position: usize,
    lang: Lang,
    out: &mut Lines,
) {
    out.clear();
    let Some(r) = evaluation.ranking.get(position) else {
        return;
    };
    let bid = &bids[r.input_index];
    scale_line(profile, bid, r, lang, out);
    price_line(profile, project, r, lang, out);
    if let (Some(s), Some(w), Some(benchmark)) =
        (r.scores, project.weights, evaluation.benchmark_price)
    {
        let evaluated = r.evaluated_price;
        let weight = w.price.short();
        let price = s.price;
        say!(out, lang,
            zh: "价格分 = 评标基准价 {benchmark} ÷ 评标价 {evaluated} × {weight} = {price}。",
            en: "Price score (价格分) = benchmark {benchmark} ÷ {evaluated} × {weight} = {price}.");
        let (technical, commercial) = (s.technical, s.commercial);
        let (technical_marks, commercial_marks) =
            (ScoreList(&bid.technical), ScoreList(&bid.commercial));
        say!(out, lang,
            zh: "技术分 = {technical_marks} 的平均值 = {technical}；商务分 = {commercial_marks} 的平均值 = {commercial}。",
            en: "Technical score (技术分) = mean of {technical_marks} = {technical}; commercial score (商务分) = mean of {commercial_marks} = {commercial}.");
        if r.minority_region {
            let rate = project.minority_bonus_rate.short();
            let weight_commercial = w.commercial.short();
            let bonus = s.bonus;
            let share = r.minority_share_pct.short();
            say!(out, lang,
                zh: "少数民族地区中小企业加分 = {rate}% × ({weight} + {weight_commercial}) = {bonus}；少数民族地区的中小企业成员占 {share}%。",
                en: "Minority-region SME bonus (少数民族地区中小企业加分) = {rate}% × ({weight} + {weight_commercial}) = {bonus}; SME parties in minority regions hold {share}%.");
        }
        let (bonus, total) = (s.bonus, s.total);
        say!(out, lang,
            zh: "综合得分 = {price} + {technical} + {commercial} + {bonus} = {total}。",
            en: "Total (综合得分) = {price} + {technical} + {commercial} + {bonus} = {total}.");
    }
    rank_lines(profile, &evaluation.ranking, position, lang, out);
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

fn scale_line(profile: &Profile, bid: &Bid, r: &RankedBid<'_>, lang: Lang, out: &mut Lines) {
    let scale = r.effective_scale;
    let scale_zh = scale.zh();
    let sme = if r.sme {
        lang.pick("属于中小企业", "an SME (中小企业)")
    } else {
        lang.pick("不属于中小企业", "not an SME")
    };
    let maker = match (r.raised_by_manufacturer, lang) {
        (Some(m), Lang::Zh) => format!(
            "；所投货物由{}制造，规模由{}提高为{}",
            m.zh(),
            own_scale(r).zh(),
            m.zh()
        ),
        (Some(m), Lang::En) => format!(
            "; goods made by a {m} manufacturer (货物制造商) raise {} to {m}",
            own_scale(r)
        ),
        (None, _) => String::new(),
    };
    match (&bid.bidder, r.basis) {
        (Bidder::Single(firm), _) => {
            let (declared, declared_zh) = (firm.scale, firm.scale.zh());
            say!(out, lang,
                zh: "企业规模：{scale_zh}，{sme}：单一供应商，声明为{declared_zh}{maker}。",
                en: "Effective scale (企业规模) {scale}, {sme}: single firm declared {declared} ({declared_zh}){maker}.")
        }
        (_, ScaleBasis::AllSmallMicro) => say!(out, lang,
            zh: "企业规模：{scale_zh}，{sme}：联合体成员均为小型、微型企业，视同小微企业{maker}。",
            en: "Effective scale (企业规模) {scale}, {sme}: consortium (联合体) of small/micro firms only, treated as small/micro{maker}."),
        (_, ScaleBasis::AllSme) => say!(out, lang,
            zh: "企业规模：{scale_zh}，{sme}：联合体成员均为中小企业，含中型企业{maker}。",
            en: "Effective scale (企业规模) {scale}, {sme}: consortium (联合体) of SMEs only, with a medium member{maker}."),
        (_, ScaleBasis::LocalLargeTreatedAsSme) => {
            let prefix = profile
                .consortium
                .local_region_prefix
                .as_deref()
                .unwrap_or_default();
            let policy = &profile.id;
            say!(out, lang,
                zh: "企业规模：{scale_zh}，{sme}：疆内（地区代码 {prefix}…）注册的大型企业与中小企业组成联合体且无关联关系，视同中小企业（{policy}）{maker}。",
                en: "Effective scale (企业规模) {scale}, {sme}: consortium (联合体) of large firms registered in Xinjiang (疆内, region {prefix}…) with an SME and no related parties, treated as an SME (视同中小企业, {policy}){maker}.")
        }
        (
            _,
            ScaleBasis::LargeMember {
                related_parties,
                non_local,
            },
        ) => {
            let why = if !profile.consortium.local_large_with_sme_treated_as_sme {
                lang.pick("含大型企业成员", "with a large member")
            } else if related_parties {
                lang.pick(
                    "含大型企业成员；成员间存在关联关系，不适用视同中小企业的规定",
                    "with a large member; related parties (关联关系) void the treated-as-SME rule",
                )
            } else if non_local {
                lang.pick(
                    "含在疆外注册的大型企业成员",
                    "with a large member registered outside Xinjiang (疆外)",
                )
            } else {
                lang.pick(
                    "含大型企业成员且无中小企业成员",
                    "with a large member and no SME",
                )
            };
            say!(out, lang,
                zh: "企业规模：{scale_zh}，{sme}：联合体{why}{maker}。",
                en: "Effective scale (企业规模) {scale}, {sme}: consortium (联合体) {why}{maker}.")
        }
        (_, ScaleBasis::SingleFirm) => {}
    }
}

fn price_line(
    profile: &Profile,
    project: &Project,
    r: &RankedBid<'_>,
    lang: Lang,
    out: &mut Lines,
) {
    let d = &profile.deduction;
    let minority_extra = r.minority_region && project.method == Method::LowestPrice;
    let base = if minority_extra {
        r.deduction_pct - project.minority_bonus_rate
    } else {
        r.deduction_pct
    };
    let base = base.short();
    let extra = match (minority_extra, lang) {
        (false, _) => String::new(),
        (true, Lang::Zh) => format!(
            " + 少数民族地区中小企业价格扣除 {}%（少数民族地区的成员占 {}%）",
            project.minority_bonus_rate.short(),
            r.minority_share_pct.short()
        ),
        (true, Lang::En) => format!(
            " + minority-region SME deduction (少数民族地区中小企业, {}% held in minority regions) {}%",
            r.minority_share_pct.short(),
            project.minority_bonus_rate.short()
        ),
    };
    let (price, pct, evaluated_price) = (r.price, r.deduction_pct.short(), r.evaluated_price);
    let evaluated = |out: &mut Lines, rule: std::fmt::Arguments<'_>| {
        say!(out, lang,
            zh: "{rule}{extra}：评标价 = {price} × (1 − {pct}%) = {evaluated_price}。",
            en: "{rule}{extra}: evaluated price (评标价) = {price} × (1 − {pct}%) = {evaluated_price}.")
    };
    let share = r.preference_share_pct.short();
    match r.preference {
        Preference::SmallMicroDeduction => {
            let category = project.category.as_str();
            let category_zh = crate::domain::messages::label_of(Lang::Zh, "category", category)
                .unwrap_or(category);
            match lang {
                Lang::Zh => evaluated(
                    out,
                    format_args!("小微企业价格扣除 {base}%（{category_zh}）"),
                ),
                Lang::En => evaluated(
                    out,
                    format_args!(
                        "Small/micro price deduction (小微企业价格扣除) {base}% for {category}"
                    ),
                ),
            }
        }
        Preference::ConsortiumDeduction => {
            let min = d.consortium_min_small_micro_share_pct.short();
            match lang {
                Lang::Zh => evaluated(
                    out,
                    format_args!("联合体价格扣除 {base}%，小型、微型企业成员占 {share}% ≥ {min}%"),
                ),
                Lang::En => evaluated(
                    out,
                    format_args!("Consortium price deduction (联合体价格扣除) {base}%, small/micro members hold {share}% ≥ {min}%"),
                ),
            }
        }
        Preference::SubcontractDeduction => {
            let min = d.subcontract_min_small_micro_share_pct.short();
            match lang {
                Lang::Zh => evaluated(
                    out,
                    format_args!("分包价格扣除 {base}%，分包给小型、微型企业的份额占 {share}% ≥ {min}%"),
                ),
                Lang::En => evaluated(
                    out,
                    format_args!("Subcontract price deduction (分包价格扣除) {base}%, {share}% subcontracted to small/micro firms ≥ {min}%"),
                ),
            }
        }
        Preference::None => {
            let why = if project.reserved_for_smes {
                lang.pick(
                    "该包专门面向中小企业（预留份额），不适用价格扣除",
                    "the lot is reserved for SMEs (预留份额), so deductions do not apply",
                )
            } else if r.effective_scale == Scale::Medium {
                lang.pick(
                    "中型企业不享受小微企业价格扣除",
                    "medium firms get no small/micro deduction",
                )
            } else {
                lang.pick(
                    "小微企业规模、联合体份额和分包份额均不符合条件",
                    "no small/micro scale, consortium share or subcontract share qualifies",
                )
            };
            if minority_extra {
                match lang {
                    Lang::Zh => evaluated(out, format_args!("不予价格扣除：{why}")),
                    Lang::En => {
                        evaluated(out, format_args!("No price deduction (价格扣除): {why}"))
                    }
                }
            } else {
                say!(out, lang,
                    zh: "不予价格扣除：{why}；评标价 = 报价 {evaluated_price}。",
                    en: "No price deduction (价格扣除): {why}; evaluated price (评标价) = price {evaluated_price}.")
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

fn rank_lines(profile: &Profile, ranking: &[RankedBid<'_>], i: usize, lang: Lang, out: &mut Lines) {
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
        lang.pick("综合得分", "total")
    } else {
        lang.pick("评标价", "evaluated price")
    };
    if profile.equal_priority.enabled && peers.iter().any(|p| p.sme != r.sme) {
        let others = Ids(peers, &|p: &RankedBid<'_>| p.sme != r.sme);
        let outcome = if r.sme {
            lang.pick("中小企业排名在前", "the SME ranks first")
        } else {
            lang.pick(
                "中小企业排名在前，本投标排在其后",
                "the SME ranks first, this bid after it",
            )
        };
        say!(out, lang,
            zh: "同等条件下中小企业优先：与 {others} 的{what}相同；{outcome}。",
            en: "Equal priority (同等条件下中小企业优先): same {what} as {others}; {outcome}.");
    }
    let rank = r.rank;
    if r.tied {
        let others = Ids(peers, &|p: &RankedBid<'_>| {
            p.tied && p.rank == r.rank && p.bid_id != r.bid_id
        });
        say!(out, lang,
            zh: "排名第 {rank}，与 {others} 并列：各项排序因素均相同，以抽签方式确定，不按递交顺序。",
            en: "Rank {rank} (排名), tied with {others}: equal on every ranking key; to be settled by drawing lots (抽签), never by input order.");
    } else {
        say!(out, lang, zh: "排名第 {rank}。", en: "Rank {rank} (排名).");
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
