//! `smeproc evaluate` / `POST /api/v1/evaluate`: the request and response shapes of CONTRACTS.md,
//! validation that names every problem by its JSON path, and streaming output.

use super::FieldProblem;
use crate::domain::evaluation::{
    self, Bid, Bidder, Category, Evaluation, Firm, Method, Outcome, Participant, Project, Weights,
};
use crate::domain::{Fen, Hundredths, RegionCode, Scale};
use crate::policy::{self, Profile};
use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Deserialize, Serialize, Serializer};
use std::collections::HashMap;
use std::fmt;

/// A yuan amount as it arrived: it must be a decimal string; a JSON number is refused.
#[derive(Debug, Clone, PartialEq)]
pub enum AmountField {
    Text(String),
    /// Any other JSON type, named for the message.
    Wrong(&'static str),
}

impl<'de> Deserialize<'de> for AmountField {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = AmountField;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an amount as a decimal string")
            }
            fn visit_str<E>(self, v: &str) -> Result<AmountField, E> {
                Ok(AmountField::Text(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<AmountField, E> {
                Ok(AmountField::Text(v))
            }
            fn visit_u64<E>(self, _: u64) -> Result<AmountField, E> {
                Ok(AmountField::Wrong("a JSON number"))
            }
            fn visit_i64<E>(self, _: i64) -> Result<AmountField, E> {
                Ok(AmountField::Wrong("a JSON number"))
            }
            fn visit_f64<E>(self, _: f64) -> Result<AmountField, E> {
                Ok(AmountField::Wrong("a JSON number"))
            }
            fn visit_bool<E>(self, _: bool) -> Result<AmountField, E> {
                Ok(AmountField::Wrong("a boolean"))
            }
            fn visit_unit<E>(self) -> Result<AmountField, E> {
                Ok(AmountField::Wrong("null"))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<AmountField, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(AmountField::Wrong("an array"))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<AmountField, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(AmountField::Wrong("an object"))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// Body of `POST /api/v1/evaluate` and the file `smeproc evaluate` reads.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct EvaluateRequest {
    /// Policy profile id; default `xinjiang-2011`.
    #[schema(example = "xinjiang-2011")]
    pub policy: Option<String>,
    pub project: Option<ProjectInput>,
    pub bids: Option<Vec<BidInput>>,
}

/// The lot being evaluated.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ProjectInput {
    /// goods | services | works
    pub category: Option<String>,
    /// comprehensive | lowest_price
    pub method: Option<String>,
    /// 专门面向中小企业: non-SME bids are excluded, no deductions apply.
    pub reserved_for_smes: Option<bool>,
    /// Comprehensive only; the three sum to 100.
    pub weights: Option<WeightsInput>,
    /// Small/micro deduction rate in percent; default: the profile's default for the category.
    #[schema(value_type = Option<f64>)]
    pub price_deduction_pct: Option<Hundredths>,
    /// Consortium and subcontract deduction rate in percent.
    #[schema(value_type = Option<f64>)]
    pub consortium_deduction_pct: Option<Hundredths>,
    /// Minority-region bonus rate in percent (xinjiang-2011 only).
    #[schema(value_type = Option<f64>)]
    pub minority_bonus_pct: Option<Hundredths>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct WeightsInput {
    #[schema(value_type = Option<f64>)]
    pub price: Option<Hundredths>,
    #[schema(value_type = Option<f64>)]
    pub technical: Option<Hundredths>,
    #[schema(value_type = Option<f64>)]
    pub commercial: Option<Hundredths>,
}

/// A firm: the bidder, a consortium member, a subcontractor or a goods manufacturer.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct FirmInput {
    pub name: Option<String>,
    /// micro | small | medium | large, as declared (中小企业声明函).
    pub scale: Option<String>,
    /// Six-digit GB/T 2260 region code.
    pub region: Option<String>,
    /// Share of the consortium agreement or of the work subcontracted, percent.
    #[schema(value_type = Option<f64>)]
    pub share_pct: Option<Hundredths>,
}

/// One sealed bid.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct BidInput {
    pub id: Option<String>,
    /// Yuan as a decimal string with 0–2 decimals: `"980000.00"`.
    #[schema(value_type = Option<String>, example = "980000.00")]
    pub price: Option<AmountField>,
    pub bidder: Option<FirmInput>,
    pub consortium: Option<Vec<FirmInput>>,
    pub related_parties: Option<bool>,
    pub subcontracts: Option<Vec<FirmInput>>,
    pub goods_manufacturers: Option<Vec<FirmInput>>,
    /// One score per evaluator (comprehensive).
    #[schema(value_type = Option<Vec<f64>>)]
    pub technical: Option<Vec<Hundredths>>,
    #[schema(value_type = Option<Vec<f64>>)]
    pub commercial: Option<Vec<Hundredths>>,
    /// Default true; false = failed the compliance review.
    pub qualified: Option<bool>,
}

/// A validated request, ready for [`evaluation::evaluate`].
#[derive(Debug)]
pub struct ValidEvaluation {
    pub profile: &'static Profile,
    pub project: Project,
    pub bids: Vec<Bid>,
}

impl ValidEvaluation {
    pub fn run(&self) -> Evaluation {
        evaluation::evaluate(self.profile, &self.project, &self.bids)
    }
}

struct Checker {
    problems: Vec<FieldProblem>,
}

impl Checker {
    fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(FieldProblem::new(path, message));
    }

    fn required<'a, T>(&mut self, value: &'a Option<T>, path: &str) -> Option<&'a T> {
        if value.is_none() {
            self.push(path, "is required");
        }
        value.as_ref()
    }

    fn scale(&mut self, value: &Option<String>, path: &str) -> Option<Scale> {
        let text = self.required(value, path)?;
        text.parse::<Scale>()
            .map_err(|e| self.push(path, e.to_string()))
            .ok()
    }

    fn region(&mut self, value: &Option<String>, path: &str, required: bool) -> Option<RegionCode> {
        let text = match value {
            Some(t) => t,
            None if required => return self.required(value, path).and(None),
            None => return None,
        };
        text.parse::<RegionCode>()
            .map_err(|e| self.push(path, e.to_string()))
            .ok()
    }

    fn firm(&mut self, input: &FirmInput, path: &str, region_required: bool) -> Option<Firm> {
        let name = match input.name.as_deref().map(str::trim) {
            Some(n) if !n.is_empty() => Some(n.to_string()),
            Some(_) => {
                self.push(format!("{path}.name"), "must not be empty");
                None
            }
            None if region_required => {
                self.push(format!("{path}.name"), "is required");
                None
            }
            None => Some(String::new()),
        };
        let scale = self.scale(&input.scale, &format!("{path}.scale"));
        let region = self.region(&input.region, &format!("{path}.region"), region_required);
        if region_required && region.is_none() {
            return None;
        }
        Some(Firm {
            name: name?,
            scale: scale?,
            region,
        })
    }

    fn share(&mut self, value: Option<Hundredths>, path: &str) -> Option<Hundredths> {
        let share = *self.required(&value, path)?;
        if share <= Hundredths::ZERO || share > Hundredths::whole(100) {
            self.push(
                path,
                format!(
                    "{} must be above 0 and at most 100",
                    share.to_short_string()
                ),
            );
            return None;
        }
        Some(share)
    }

    fn participants(
        &mut self,
        list: &[FirmInput],
        path: &str,
        region_required: bool,
    ) -> Option<Vec<Participant>> {
        let mut out = Vec::with_capacity(list.len());
        let mut ok = true;
        for (j, input) in list.iter().enumerate() {
            let p = format!("{path}[{j}]");
            let firm = self.firm(input, &p, region_required);
            let share = self.share(input.share_pct, &format!("{p}.share_pct"));
            match (firm, share) {
                (Some(firm), Some(share_pct)) => out.push(Participant { firm, share_pct }),
                _ => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn rate(
        &mut self,
        value: Option<Hundredths>,
        range: &policy::profile::RateRange,
        path: &str,
        what: &str,
        profile: &Profile,
    ) -> Hundredths {
        match value {
            None => range.default,
            Some(v) if range.contains(v) => v,
            Some(v) => {
                self.push(
                    path,
                    format!(
                        "{} is outside the {what} range {}–{} of {}",
                        v.to_short_string(),
                        range.min.to_short_string(),
                        range.max.to_short_string(),
                        profile.id
                    ),
                );
                range.default
            }
        }
    }
}

fn category(text: &str) -> Option<Category> {
    match text {
        "goods" => Some(Category::Goods),
        "services" => Some(Category::Services),
        "works" => Some(Category::Works),
        _ => None,
    }
}

fn method(text: &str) -> Option<Method> {
    match text {
        "comprehensive" => Some(Method::Comprehensive),
        "lowest_price" => Some(Method::LowestPrice),
        _ => None,
    }
}

/// Checks the request against CONTRACTS.md and the chosen profile. Returns every problem found.
pub fn validate(request: EvaluateRequest) -> Result<ValidEvaluation, Vec<FieldProblem>> {
    let mut c = Checker {
        problems: Vec::new(),
    };
    let profile_id = request.policy.as_deref().unwrap_or(policy::DEFAULT_PROFILE);
    let Some(profile) = policy::profile(profile_id) else {
        c.push(
            "policy",
            format!(
                "unknown policy profile {profile_id:?}; expected one of: {}",
                policy::profile_ids().join(", ")
            ),
        );
        return Err(c.problems);
    };
    let project = project(&mut c, profile, request.project.as_ref());
    let bids = match request.bids {
        None => {
            c.push("bids", "is required: give at least one bid");
            None
        }
        Some(list) if list.is_empty() => {
            c.push("bids", "must hold at least one bid");
            None
        }
        Some(list) => bids(&mut c, project.as_ref(), list),
    };
    match (project, bids) {
        (Some(project), Some(bids)) if c.problems.is_empty() => Ok(ValidEvaluation {
            profile,
            project,
            bids,
        }),
        _ => Err(c.problems),
    }
}

fn project(c: &mut Checker, profile: &Profile, input: Option<&ProjectInput>) -> Option<Project> {
    let Some(input) = input else {
        c.push("project", "is required");
        return None;
    };
    let cat = c
        .required(&input.category, "project.category")
        .and_then(|t| {
            category(t).or_else(|| {
                c.push(
                    "project.category",
                    format!("unknown category {t:?}; expected goods, services or works"),
                );
                None
            })
        });
    let meth = c.required(&input.method, "project.method").and_then(|t| {
        method(t).or_else(|| {
            c.push(
                "project.method",
                format!("unknown method {t:?}; expected comprehensive or lowest_price"),
            );
            None
        })
    });
    let (Some(cat), Some(meth)) = (cat, meth) else {
        return None;
    };
    let weights = match (meth, &input.weights) {
        (Method::Comprehensive, None) => {
            c.push("project.weights", "is required for comprehensive scoring");
            None
        }
        (Method::Comprehensive, Some(w)) => weights(c, profile, cat, w),
        (Method::LowestPrice, Some(_)) => {
            c.push(
                "project.weights",
                "applies only to comprehensive scoring; remove it for lowest_price",
            );
            None
        }
        (Method::LowestPrice, None) => None,
    };
    let d = &profile.deduction;
    let (sm_range, cons_range) = match cat {
        Category::Works => (&d.small_micro_works, &d.consortium_works),
        _ => (&d.small_micro_goods_services, &d.consortium_goods_services),
    };
    let label = format!("{} small/micro deduction", cat.as_str());
    let small_micro_rate = c.rate(
        input.price_deduction_pct,
        sm_range,
        "project.price_deduction_pct",
        &label,
        profile,
    );
    let label = format!("{} consortium deduction", cat.as_str());
    let consortium_rate = c.rate(
        input.consortium_deduction_pct,
        cons_range,
        "project.consortium_deduction_pct",
        &label,
        profile,
    );
    let minority_bonus_rate = match (profile.active_minority_bonus(), input.minority_bonus_pct) {
        (Some(bonus), value) => c.rate(
            value,
            &bonus.rate,
            "project.minority_bonus_pct",
            "minority bonus",
            profile,
        ),
        (None, Some(_)) => {
            c.push(
                "project.minority_bonus_pct",
                format!("policy {} has no minority-region bonus (少数民族地区加分 is xinjiang-2011 only)", profile.id),
            );
            Hundredths::ZERO
        }
        (None, None) => Hundredths::ZERO,
    };
    Some(Project {
        category: cat,
        method: meth,
        reserved_for_smes: input.reserved_for_smes.unwrap_or(false),
        weights: if meth == Method::Comprehensive {
            weights
        } else {
            None
        },
        small_micro_rate,
        consortium_rate,
        minority_bonus_rate,
    })
}

fn weights(c: &mut Checker, profile: &Profile, cat: Category, w: &WeightsInput) -> Option<Weights> {
    let price = c.required(&w.price, "project.weights.price").copied();
    let technical = c
        .required(&w.technical, "project.weights.technical")
        .copied();
    let commercial = c
        .required(&w.commercial, "project.weights.commercial")
        .copied();
    let (price, technical, commercial) = (price?, technical?, commercial?);
    let mut ok = true;
    for (name, v) in [
        ("price", price),
        ("technical", technical),
        ("commercial", commercial),
    ] {
        if v < Hundredths::ZERO {
            c.push(format!("project.weights.{name}"), "must not be negative");
            ok = false;
        }
    }
    let sum = price + technical + commercial;
    if sum != Hundredths::whole(100) {
        c.push(
            "project.weights",
            format!(
                "price + technical + commercial must be 100, got {}",
                sum.to_short_string()
            ),
        );
        ok = false;
    }
    let bounds = match cat {
        Category::Goods => &profile.price_weight.goods,
        Category::Services => &profile.price_weight.services,
        Category::Works => &profile.price_weight.works,
    };
    if !bounds.contains(price) {
        c.push(
            "project.weights.price",
            format!(
                "{} is outside the price-weight range {}–{} for {} under {}",
                price.to_short_string(),
                bounds.min.to_short_string(),
                bounds.max.to_short_string(),
                cat.as_str(),
                profile.id
            ),
        );
        ok = false;
    }
    ok.then_some(Weights {
        price,
        technical,
        commercial,
    })
}

fn bids(c: &mut Checker, project: Option<&Project>, list: Vec<BidInput>) -> Option<Vec<Bid>> {
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(list.len());
    let mut evaluators: Option<(usize, usize)> = None; // (count, first bid index)
    let mut out = Vec::with_capacity(list.len());
    let before = c.problems.len();
    for (i, input) in list.into_iter().enumerate() {
        let path = format!("bids[{i}]");
        let id = match input.id.as_deref().map(str::trim) {
            None => {
                c.push(format!("{path}.id"), "is required");
                None
            }
            Some("") => {
                c.push(format!("{path}.id"), "must not be empty");
                None
            }
            Some(id) => match seen.get(id) {
                Some(first) => {
                    c.push(
                        format!("{path}.id"),
                        format!("{id:?} is already the id of bids[{first}]"),
                    );
                    None
                }
                None => {
                    seen.insert(id.to_string(), i);
                    Some(id.to_string())
                }
            },
        };
        let price = match &input.price {
            None => {
                c.push(format!("{path}.price"), "is required");
                None
            }
            Some(AmountField::Wrong(kind)) => {
                c.push(
                    format!("{path}.price"),
                    format!("must be a decimal string in yuan such as \"980000.00\", not {kind} (no floats for money)"),
                );
                None
            }
            Some(AmountField::Text(t)) => Fen::parse_positive_yuan(t)
                .map_err(|e| c.push(format!("{path}.price"), format!("{t:?} {e}")))
                .ok(),
        };
        let bidder = match (&input.bidder, &input.consortium) {
            (Some(_), Some(_)) | (None, None) => {
                c.push(path.clone(), "give exactly one of bidder or consortium");
                None
            }
            (Some(firm), None) => {
                if input.related_parties == Some(true) {
                    c.push(
                        format!("{path}.related_parties"),
                        "applies only to a consortium",
                    );
                }
                c.firm(firm, &format!("{path}.bidder"), true)
                    .map(Bidder::Single)
            }
            (None, Some(members)) => {
                consortium(c, &path, members, input.related_parties.unwrap_or(false))
            }
        };
        let subcontracts = input.subcontracts.as_deref().unwrap_or_default();
        let subcontracts = c.participants(subcontracts, &format!("{path}.subcontracts"), false);
        if let Some(subs) = &subcontracts {
            let total: Hundredths = subs.iter().map(|s| s.share_pct).sum();
            if total > Hundredths::whole(100) {
                c.push(
                    format!("{path}.subcontracts"),
                    format!("shares sum to {}, more than 100", total.to_short_string()),
                );
            }
        }
        let manufacturers = match (&input.goods_manufacturers, project.map(|p| p.category)) {
            (Some(list), Some(cat)) if cat != Category::Goods && !list.is_empty() => {
                c.push(
                    format!("{path}.goods_manufacturers"),
                    format!("applies only to goods, not {}", cat.as_str()),
                );
                None
            }
            (Some(list), _) => {
                let firms: Vec<Option<Firm>> = list
                    .iter()
                    .enumerate()
                    .map(|(j, m)| c.firm(m, &format!("{path}.goods_manufacturers[{j}]"), false))
                    .collect();
                firms.into_iter().collect::<Option<Vec<_>>>()
            }
            (None, _) => Some(Vec::new()),
        };
        let (technical, commercial) = match project {
            Some(p) => scores(c, p, &path, &input, &mut evaluators, i),
            None => (Some(Vec::new()), Some(Vec::new())),
        };
        if let (
            Some(id),
            Some(price),
            Some(bidder),
            Some(subcontracts),
            Some(manufacturers),
            Some(technical),
            Some(commercial),
        ) = (
            id,
            price,
            bidder,
            subcontracts,
            manufacturers,
            technical,
            commercial,
        ) {
            out.push(Bid {
                id,
                price,
                bidder,
                subcontracts,
                manufacturers,
                technical,
                commercial,
                qualified: input.qualified.unwrap_or(true),
            });
        }
    }
    (c.problems.len() == before).then_some(out)
}

fn consortium(
    c: &mut Checker,
    path: &str,
    members: &[FirmInput],
    related_parties: bool,
) -> Option<Bidder> {
    let cpath = format!("{path}.consortium");
    if members.len() < 2 {
        c.push(cpath.clone(), "a consortium needs at least two members");
    }
    let members = c.participants(members, &cpath, true)?;
    let total: Hundredths = members.iter().map(|m| m.share_pct).sum();
    if total != Hundredths::whole(100) {
        c.push(
            cpath,
            format!(
                "member shares (share_pct) sum to {}, must be 100",
                total.to_short_string()
            ),
        );
        return None;
    }
    Some(Bidder::Consortium {
        members,
        related_parties,
    })
}

type Scores = (Option<Vec<Hundredths>>, Option<Vec<Hundredths>>);

fn scores(
    c: &mut Checker,
    project: &Project,
    path: &str,
    input: &BidInput,
    evaluators: &mut Option<(usize, usize)>,
    index: usize,
) -> Scores {
    let Some(weights) = project.weights else {
        if project.method == Method::LowestPrice {
            for (name, v) in [
                ("technical", &input.technical),
                ("commercial", &input.commercial),
            ] {
                if v.is_some() {
                    c.push(
                        format!("{path}.{name}"),
                        "scores apply only to comprehensive scoring",
                    );
                }
            }
        }
        return (Some(Vec::new()), Some(Vec::new()));
    };
    let mut check = |name: &str,
                     list: &Option<Vec<Hundredths>>,
                     max: Hundredths|
     -> Option<Vec<Hundredths>> {
        let p = format!("{path}.{name}");
        let Some(list) = list else {
            c.push(
                p,
                "is required for comprehensive scoring: one score per evaluator",
            );
            return None;
        };
        if list.is_empty() {
            c.push(p, "needs one score per evaluator, got none");
            return None;
        }
        match *evaluators {
            None => *evaluators = Some((list.len(), index)),
            Some((n, first)) if n != list.len() => {
                c.push(
                    p,
                    format!("has {} evaluator scores, but bids[{first}] has {n}: every bid needs one score per evaluator", list.len()),
                );
                return None;
            }
            Some(_) => {}
        }
        let mut ok = true;
        for (j, s) in list.iter().enumerate() {
            if *s < Hundredths::ZERO || *s > max {
                c.push(
                    format!("{p}[{j}]"),
                    format!(
                        "{} is outside 0–{}, the {name} weight",
                        s.to_short_string(),
                        max.to_short_string()
                    ),
                );
                ok = false;
            }
        }
        ok.then(|| list.clone())
    };
    (
        check("technical", &input.technical, weights.technical),
        check("commercial", &input.commercial, weights.commercial),
    )
}

/// The output of CONTRACTS.md, written straight to any serializer: explanations are produced
/// one bid at a time, so a 100 000-bid result never sits in memory as text.
pub struct EvaluationOutput<'a> {
    pub input: &'a ValidEvaluation,
    pub evaluation: &'a Evaluation,
}

impl Serialize for EvaluationOutput<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let e = self.evaluation;
        let mut s = serializer.serialize_struct("Evaluation", 8)?;
        s.serialize_field(
            "policy",
            &PolicyRef {
                id: &e.policy_id,
                version: &e.policy_version,
            },
        )?;
        s.serialize_field("method", e.method.as_str())?;
        let (outcome, reason, rerun) = match e.outcome {
            Outcome::Ranked => ("ranked", None, false),
            Outcome::Failed {
                qualified,
                minimum,
                reserved,
                rerun_unreserved,
            } => {
                let what = if reserved {
                    "qualified SME bids on a lot reserved for SMEs"
                } else {
                    "qualified bids"
                };
                let mut reason = format!("fewer than {minimum} {what} ({qualified})");
                if rerun_unreserved {
                    reason.push_str("; the lot may be procured again without the reservation");
                }
                ("failed", Some(reason), rerun_unreserved)
            }
        };
        s.serialize_field("outcome", outcome)?;
        s.serialize_field("failure_reason", &reason)?;
        s.serialize_field("rerun_unreserved_allowed", &rerun)?;
        if e.method == Method::Comprehensive {
            s.serialize_field("benchmark_price", &e.benchmark_price.map(|f| f.to_string()))?;
        }
        s.serialize_field("ranking", &RankingOut(self))?;
        let excluded: Vec<ExcludedOut> = e
            .excluded
            .iter()
            .map(|x| ExcludedOut {
                bid_id: &x.bid_id,
                reason: evaluation::exclusion_reason(x.exclusion),
            })
            .collect();
        s.serialize_field("excluded", &excluded)?;
        s.end()
    }
}

#[derive(Serialize)]
struct PolicyRef<'a> {
    id: &'a str,
    version: &'a str,
}

#[derive(Serialize)]
struct ExcludedOut<'a> {
    bid_id: &'a str,
    reason: String,
}

struct RankingOut<'a>(&'a EvaluationOutput<'a>);

impl Serialize for RankingOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let EvaluationOutput { input, evaluation } = self.0;
        let mut seq = serializer.serialize_seq(Some(evaluation.ranking.len()))?;
        for (position, r) in evaluation.ranking.iter().enumerate() {
            let explanation = evaluation::explain(
                input.profile,
                &input.project,
                &input.bids,
                evaluation,
                position,
            );
            seq.serialize_element(&RankedOut {
                bid_id: &r.bid_id,
                rank: r.rank,
                tied: r.tied,
                effective_scale: r.effective_scale.as_str(),
                sme: r.sme,
                minority_region: r.minority_region,
                preference: r.preference.as_str(),
                deduction_pct: r.deduction_pct,
                price: r.price.to_string(),
                evaluated_price: r.evaluated_price.to_string(),
                price_score: r.scores.map(|s| s.price.to_string()),
                technical_score: r.scores.map(|s| s.technical.to_string()),
                commercial_score: r.scores.map(|s| s.commercial.to_string()),
                bonus: r.scores.map(|s| s.bonus.to_string()),
                total: r.scores.map(|s| s.total.to_string()),
                explanation,
            })?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct RankedOut<'a> {
    bid_id: &'a str,
    rank: u32,
    tied: bool,
    effective_scale: &'static str,
    sme: bool,
    minority_region: bool,
    preference: &'static str,
    deduction_pct: Hundredths,
    price: String,
    evaluated_price: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    price_score: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    technical_score: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    commercial_score: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bonus: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<String>,
    explanation: Vec<String>,
}

/// Documents the output shape in OpenAPI (the real output is written by [`EvaluationOutput`]).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct EvaluateResponse {
    /// `{"id": …, "version": "sha256:…"}`
    #[schema(value_type = Object)]
    policy: (),
    /// comprehensive | lowest_price
    method: String,
    /// ranked | failed
    outcome: String,
    failure_reason: Option<String>,
    rerun_unreserved_allowed: bool,
    /// Comprehensive only: lowest evaluated price, yuan.
    benchmark_price: Option<String>,
    /// In rank order: bid_id, rank, tied, effective_scale, sme, minority_region, preference,
    /// deduction_pct, price, evaluated_price, price_score, technical_score, commercial_score,
    /// bonus, total, explanation.
    #[schema(value_type = Vec<Object>)]
    ranking: (),
    /// `{"bid_id", "reason"}` for each bid outside the ranking.
    #[schema(value_type = Vec<Object>)]
    excluded: (),
}
