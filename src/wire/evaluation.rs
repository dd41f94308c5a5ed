//! `smeproc evaluate` / `POST /api/v1/evaluate`: the request and response shapes of CONTRACTS.md,
//! validation that names every problem by its JSON path, and streaming output.
//!
//! Input is read in two passes over one buffer: the envelope (policy, project) with the bids
//! left as a raw slice, then the bids one at a time, each checked and turned into a compact
//! domain [`Bid`] at once, with strings borrowed from the buffer. JSON paths are only written
//! out when a problem is found. So a 100 000-bid file costs little more than its own size.

use super::{parse_json, path_problem, strip_position, FieldProblem, JsonProblem};
use crate::domain::evaluation::{
    self, Bid, Bidder, Category, Evaluation, Firm, Method, Outcome, Participant, Project, Weights,
};
use crate::domain::policy::{self, Profile};
use crate::domain::{Fen, Hundredths, RegionCode, Scale};
use serde::de::{DeserializeSeed, SeqAccess};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// A yuan amount as it arrived: it must be a decimal string; a JSON number is refused.
#[derive(Debug, Clone, PartialEq)]
pub enum AmountField<'a> {
    Text(Cow<'a, str>),
    /// Any other JSON type, named for the message.
    Wrong(&'static str),
}

impl<'de: 'a, 'a> Deserialize<'de> for AmountField<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visitor<'a> {
            type Value = AmountField<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an amount as a decimal string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(AmountField::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(AmountField::Text(Cow::Owned(v.to_string())))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(AmountField::Wrong("a JSON number"))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(AmountField::Wrong("a JSON number"))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(AmountField::Wrong("a JSON number"))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(AmountField::Wrong("a boolean"))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(AmountField::Wrong("null"))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(AmountField::Wrong("an array"))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(AmountField::Wrong("an object"))
            }
        }
        deserializer.deserialize_any(Visitor(std::marker::PhantomData))
    }
}

/// Body of `POST /api/v1/evaluate` and the file `smeproc evaluate` reads. A documentation
/// shape only: [`parse`] reads the envelope and then the bids one at a time.
#[derive(Debug, utoipa::ToSchema)]
pub struct EvaluateRequest {
    /// Policy profile id; default `xinjiang-2011`.
    #[schema(
        example = "xinjiang-2011",
        pattern = "^(national-2011|xinjiang-2011|national-2020|national-2022)$"
    )]
    pub policy: Option<String>,
    #[schema(required = true, nullable = false)]
    pub project: Option<ProjectInput>,
    #[schema(value_type = Option<Vec<BidInput>>, required = true, nullable = false)]
    pub bids: Option<Vec<serde::de::IgnoredAny>>,
}

/// The envelope as parsed: the bids stay raw until the project is known.
#[derive(Deserialize)]
struct Envelope<'a> {
    policy: Option<String>,
    project: Option<ProjectInput>,
    #[serde(borrow)]
    bids: Option<&'a RawValue>,
}

/// The lot being evaluated.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ProjectInput {
    /// goods | services | works
    #[schema(
        required = true,
        nullable = false,
        pattern = "^(goods|services|works)$"
    )]
    pub category: Option<String>,
    /// comprehensive | lowest_price
    #[schema(
        required = true,
        nullable = false,
        pattern = "^(comprehensive|lowest_price)$"
    )]
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
pub struct FirmInput<'a> {
    #[serde(borrow)]
    #[schema(value_type = Option<String>)]
    pub name: Option<Cow<'a, str>>,
    /// micro | small | medium | large, as declared (中小企业声明函).
    #[serde(borrow)]
    #[schema(value_type = Option<String>)]
    pub scale: Option<Cow<'a, str>>,
    /// Six-digit GB/T 2260 region code.
    #[serde(borrow)]
    #[schema(value_type = Option<String>)]
    pub region: Option<Cow<'a, str>>,
    /// Share of the consortium agreement or of the work subcontracted, percent.
    #[schema(value_type = Option<f64>)]
    pub share_pct: Option<Hundredths>,
}

/// One bid of an evaluation input (`POST /api/v1/evaluate`).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = EvaluateBid)]
pub struct BidInput<'a> {
    #[serde(borrow)]
    #[schema(value_type = Option<String>, required = true, nullable = false)]
    pub id: Option<Cow<'a, str>>,
    /// Yuan as a decimal string with 0–2 decimals: `"980000.00"`.
    #[serde(borrow)]
    #[schema(value_type = Option<String>, example = "980000.00", required = true, nullable = false)]
    pub price: Option<AmountField<'a>>,
    #[serde(borrow)]
    #[schema(value_type = Option<FirmInput>)]
    pub bidder: Option<FirmInput<'a>>,
    #[serde(borrow)]
    #[schema(value_type = Option<Vec<FirmInput>>)]
    pub consortium: Option<Vec<FirmInput<'a>>>,
    pub related_parties: Option<bool>,
    #[serde(borrow)]
    #[schema(value_type = Option<Vec<FirmInput>>)]
    pub subcontracts: Option<Vec<FirmInput<'a>>>,
    #[serde(borrow)]
    #[schema(value_type = Option<Vec<FirmInput>>)]
    pub goods_manufacturers: Option<Vec<FirmInput<'a>>>,
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
    pub fn run(&self) -> Evaluation<'_> {
        evaluation::evaluate(self.profile, &self.project, &self.bids)
    }
}

/// Why an input was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputError {
    /// Not JSON, or a value of the wrong JSON type.
    Json(JsonProblem),
    /// Every rule broken, by JSON path.
    Invalid(Vec<FieldProblem>),
}

/// A JSON path built on the stack and written out only when a problem is reported.
#[derive(Clone, Copy)]
struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    key: Option<&'a str>,
    index: usize,
}

impl<'a> Path<'a> {
    const fn root(key: &'a str) -> Self {
        Path {
            parent: None,
            key: Some(key),
            index: 0,
        }
    }
    fn key(&'a self, key: &'a str) -> Path<'a> {
        Path {
            parent: Some(self),
            key: Some(key),
            index: 0,
        }
    }
    fn index(&'a self, index: usize) -> Path<'a> {
        Path {
            parent: Some(self),
            key: None,
            index,
        }
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(parent) = self.parent {
            write!(f, "{parent}")?;
        }
        match (self.key, self.parent) {
            (Some(k), None) => f.write_str(k),
            (Some(k), Some(_)) => write!(f, ".{k}"),
            (None, _) => write!(f, "[{}]", self.index),
        }
    }
}

struct Checker {
    problems: Vec<FieldProblem>,
}

impl Checker {
    fn push(&mut self, path: &Path<'_>, message: impl Into<String>) {
        self.problems
            .push(FieldProblem::new(path.to_string(), message));
    }

    fn required<'v, T>(&mut self, value: &'v Option<T>, path: &Path<'_>) -> Option<&'v T> {
        if value.is_none() {
            self.push(path, "is required");
        }
        value.as_ref()
    }

    fn scale(&mut self, value: &Option<Cow<'_, str>>, path: &Path<'_>) -> Option<Scale> {
        let text = self.required(value, path)?;
        text.parse::<Scale>()
            .map_err(|e| self.push(path, e.to_string()))
            .ok()
    }

    /// A firm; bidders and consortium members need a name and a region.
    fn firm(&mut self, input: &FirmInput<'_>, path: &Path<'_>, full: bool) -> Option<Firm> {
        let mut ok = true;
        match input.name.as_deref().map(str::trim) {
            Some("") => {
                self.push(&path.key("name"), "must not be empty");
                ok = false;
            }
            None if full => {
                self.push(&path.key("name"), "is required");
                ok = false;
            }
            _ => {}
        }
        let scale = self.scale(&input.scale, &path.key("scale"));
        let region = match &input.region {
            Some(text) => match text.parse::<RegionCode>() {
                Ok(r) => Some(r),
                Err(e) => {
                    self.push(&path.key("region"), e.to_string());
                    ok = false;
                    None
                }
            },
            None if full => {
                self.push(&path.key("region"), "is required");
                ok = false;
                None
            }
            None => None,
        };
        if ok {
            scale.map(|scale| Firm { scale, region })
        } else {
            None
        }
    }

    fn share(&mut self, value: Option<Hundredths>, path: &Path<'_>) -> Option<Hundredths> {
        let share = *self.required(&value, path)?;
        if share <= Hundredths::ZERO || share > Hundredths::whole(100) {
            self.push(
                path,
                format!("{} must be above 0 and at most 100", share.short()),
            );
            return None;
        }
        Some(share)
    }

    fn participants(
        &mut self,
        list: &[FirmInput<'_>],
        path: &Path<'_>,
        full: bool,
    ) -> Option<Vec<Participant>> {
        let mut out = Vec::with_capacity(list.len());
        let mut ok = true;
        for (j, input) in list.iter().enumerate() {
            let p = path.index(j);
            let firm = self.firm(input, &p, full);
            let share = self.share(input.share_pct, &p.key("share_pct"));
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
        path: &Path<'_>,
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
                        v.short(),
                        range.min.short(),
                        range.max.short(),
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

/// Reads and checks an evaluation input against CONTRACTS.md and the chosen profile.
pub fn parse(bytes: &[u8]) -> Result<ValidEvaluation, InputError> {
    let envelope: Envelope<'_> = parse_json(bytes).map_err(InputError::Json)?;
    let mut c = Checker {
        problems: Vec::new(),
    };
    let profile_id = envelope
        .policy
        .as_deref()
        .unwrap_or(policy::DEFAULT_PROFILE);
    let Some(profile) = policy::profile(profile_id) else {
        c.push(
            &Path::root("policy"),
            format!(
                "unknown policy profile {profile_id:?}; expected one of: {}",
                policy::profile_ids().join(", ")
            ),
        );
        return Err(InputError::Invalid(c.problems));
    };
    let project = project(&mut c, profile, envelope.project.as_ref());
    let bids_path = Path::root("bids");
    let bids = match envelope.bids {
        None => {
            c.push(&bids_path, "is required: give at least one bid");
            None
        }
        Some(raw) => bids(&mut c, project.as_ref(), raw)?,
    };
    match (project, bids) {
        (Some(project), Some(bids)) if c.problems.is_empty() => Ok(ValidEvaluation {
            profile,
            project,
            bids,
        }),
        _ => Err(InputError::Invalid(c.problems)),
    }
}

/// Checks a lot's evaluation terms against a profile exactly as [`parse`] does; problems are
/// named under `root` (e.g. `evaluation.weights.price`).
pub fn check_terms(
    profile: &Profile,
    input: &ProjectInput,
    root: &'static str,
) -> Result<Project, Vec<FieldProblem>> {
    let mut c = Checker {
        problems: Vec::new(),
    };
    match project_at(&mut c, profile, Some(input), root) {
        Some(project) if c.problems.is_empty() => Ok(project),
        _ => Err(c.problems),
    }
}

fn project(c: &mut Checker, profile: &Profile, input: Option<&ProjectInput>) -> Option<Project> {
    project_at(c, profile, input, "project")
}

fn project_at(
    c: &mut Checker,
    profile: &Profile,
    input: Option<&ProjectInput>,
    root: &'static str,
) -> Option<Project> {
    let root = Path::root(root);
    let Some(input) = input else {
        c.push(&root, "is required");
        return None;
    };
    let cat_path = root.key("category");
    let cat = c.required(&input.category, &cat_path).and_then(|t| {
        category(t).or_else(|| {
            c.push(
                &cat_path,
                format!("unknown category {t:?}; expected goods, services or works"),
            );
            None
        })
    });
    let method_path = root.key("method");
    let meth = c.required(&input.method, &method_path).and_then(|t| {
        method(t).or_else(|| {
            c.push(
                &method_path,
                format!("unknown method {t:?}; expected comprehensive or lowest_price"),
            );
            None
        })
    });
    let (Some(cat), Some(meth)) = (cat, meth) else {
        return None;
    };
    let weights_path = root.key("weights");
    let weights = match (meth, &input.weights) {
        (Method::Comprehensive, None) => {
            c.push(&weights_path, "is required for comprehensive scoring");
            None
        }
        (Method::Comprehensive, Some(w)) => weights(c, profile, cat, w, &weights_path),
        (Method::LowestPrice, Some(_)) => {
            c.push(
                &weights_path,
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
        &root.key("price_deduction_pct"),
        &label,
        profile,
    );
    let label = format!("{} consortium deduction", cat.as_str());
    let consortium_rate = c.rate(
        input.consortium_deduction_pct,
        cons_range,
        &root.key("consortium_deduction_pct"),
        &label,
        profile,
    );
    let bonus_path = root.key("minority_bonus_pct");
    let minority_bonus_rate = match (profile.active_minority_bonus(), input.minority_bonus_pct) {
        (Some(bonus), value) => c.rate(value, &bonus.rate, &bonus_path, "minority bonus", profile),
        (None, Some(_)) => {
            c.push(
                &bonus_path,
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
        weights,
        small_micro_rate,
        consortium_rate,
        minority_bonus_rate,
    })
}

fn weights(
    c: &mut Checker,
    profile: &Profile,
    cat: Category,
    w: &WeightsInput,
    path: &Path<'_>,
) -> Option<Weights> {
    let price = c.required(&w.price, &path.key("price")).copied();
    let technical = c.required(&w.technical, &path.key("technical")).copied();
    let commercial = c.required(&w.commercial, &path.key("commercial")).copied();
    let (price, technical, commercial) = (price?, technical?, commercial?);
    let mut ok = true;
    for (name, v) in [
        ("price", price),
        ("technical", technical),
        ("commercial", commercial),
    ] {
        if v < Hundredths::ZERO {
            c.push(&path.key(name), "must not be negative");
            ok = false;
        }
    }
    let sum = price + technical + commercial;
    if sum != Hundredths::whole(100) {
        c.push(
            path,
            format!(
                "price + technical + commercial must be 100, got {}",
                sum.short()
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
            &path.key("price"),
            format!(
                "{} is outside the price-weight range {}–{} for {} under {}",
                price.short(),
                bounds.min.short(),
                bounds.max.short(),
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

/// Streams the raw bids array: each element is checked and converted, then dropped.
fn bids(
    c: &mut Checker,
    project: Option<&Project>,
    raw: &RawValue,
) -> Result<Option<Vec<Bid>>, InputError> {
    let before = c.problems.len();
    // Count first (a skip over the slice, no allocation: the elements are zero-sized) so the
    // bids vector is allocated once instead of doubling next to the file's bytes.
    let count =
        serde_json::from_str::<Vec<serde::de::IgnoredAny>>(raw.get()).map_or(0, |v| v.len());
    let mut state = BidsState {
        checker: c,
        project,
        out: Vec::with_capacity(count),
        positions: Vec::with_capacity(count),
        rejected_ids: Vec::new(),
        evaluators: None,
        seen: 0,
    };
    let mut de = serde_json::Deserializer::from_str(raw.get());
    if let Err(e) = (&mut state).deserialize(&mut de) {
        return Err(InputError::Json(bids_json_problem(raw, e)));
    }
    let BidsState {
        checker: c,
        out,
        positions,
        rejected_ids,
        seen,
        ..
    } = state;
    if seen == 0 {
        c.push(&Path::root("bids"), "must hold at least one bid");
    }
    // Duplicate ids over every bid read, named at each later occurrence.
    let mut ids: Vec<(&str, usize)> = out
        .iter()
        .zip(&positions)
        .map(|(b, &i)| (&*b.id, i as usize))
        .chain(rejected_ids.iter().map(|(id, i)| (id.as_str(), *i)))
        .collect();
    ids.sort_unstable();
    let root = Path::root("bids");
    let mut first = 0;
    for k in 1..ids.len() {
        if ids[k].0 == ids[first].0 {
            let (id, later) = ids[k];
            c.push(
                &root.index(later).key("id"),
                format!("{id:?} is already the id of bids[{}]", ids[first].1),
            );
        } else {
            first = k;
        }
    }
    drop(ids);
    Ok((c.problems.len() == before).then_some(out))
}

/// Re-reads the bids with path tracking to name where a JSON type error is.
fn bids_json_problem(raw: &RawValue, first: serde_json::Error) -> JsonProblem {
    let mut de = serde_json::Deserializer::from_str(raw.get());
    JsonProblem::Shape(
        match serde_path_to_error::deserialize::<_, Vec<BidInput<'_>>>(&mut de) {
            Err(e) => path_problem(e, "bids", "bids"),
            Ok(_) => FieldProblem::new("bids", strip_position(&first.to_string())),
        },
    )
}

struct BidsState<'c, 'p> {
    checker: &'c mut Checker,
    project: Option<&'p Project>,
    out: Vec<Bid>,
    /// Input index of each bid in `out`.
    positions: Vec<u32>,
    /// Ids of bids refused for other reasons, still checked for duplicates.
    rejected_ids: Vec<(String, usize)>,
    /// (evaluator count, index of the first bid that had it)
    evaluators: Option<(usize, usize)>,
    /// Elements read, valid or not.
    seen: usize,
}

impl<'de> DeserializeSeed<'de> for &mut BidsState<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for &mut BidsState<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of bids")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if let Some(n) = seq.size_hint() {
            self.out.reserve(n);
        }
        let mut i = 0;
        while let Some(input) = seq.next_element::<BidInput<'de>>()? {
            self.bid(i, input);
            i += 1;
        }
        self.seen = i;
        Ok(())
    }
}

impl BidsState<'_, '_> {
    fn bid(&mut self, i: usize, input: BidInput<'_>) {
        let root = Path::root("bids");
        let path = root.index(i);
        let c = &mut *self.checker;
        let id = match input.id.as_deref().map(str::trim) {
            None => {
                c.push(&path.key("id"), "is required");
                None
            }
            Some("") => {
                c.push(&path.key("id"), "must not be empty");
                None
            }
            Some(id) => Some(id),
        };
        let price_path = path.key("price");
        let price = match &input.price {
            None => {
                c.push(&price_path, "is required");
                None
            }
            Some(AmountField::Wrong(kind)) => {
                c.push(
                    &price_path,
                    format!("must be a decimal string in yuan such as \"980000.00\", not {kind} (no floats for money)"),
                );
                None
            }
            Some(AmountField::Text(t)) => Fen::parse_positive_yuan(t)
                .map_err(|e| c.push(&price_path, format!("{t:?} {e}")))
                .ok(),
        };
        let bidder = match (&input.bidder, &input.consortium) {
            (Some(_), Some(_)) | (None, None) => {
                c.push(&path, "give exactly one of bidder or consortium");
                None
            }
            (Some(firm), None) => {
                if input.related_parties == Some(true) {
                    c.push(&path.key("related_parties"), "applies only to a consortium");
                }
                c.firm(firm, &path.key("bidder"), true).map(Bidder::Single)
            }
            (None, Some(members)) => {
                consortium(c, &path, members, input.related_parties.unwrap_or(false))
            }
        };
        let subs_path = path.key("subcontracts");
        let subcontracts = c.participants(
            input.subcontracts.as_deref().unwrap_or_default(),
            &subs_path,
            false,
        );
        if let Some(subs) = &subcontracts {
            let total: Hundredths = subs.iter().map(|s| s.share_pct).sum();
            if total > Hundredths::whole(100) {
                c.push(
                    &subs_path,
                    format!("shares sum to {}, more than 100", total.short()),
                );
            }
        }
        let makers_path = path.key("goods_manufacturers");
        let manufacturers = match (&input.goods_manufacturers, self.project.map(|p| p.category)) {
            (Some(list), Some(cat)) if cat != Category::Goods && !list.is_empty() => {
                c.push(
                    &makers_path,
                    format!("applies only to goods, not {}", cat.as_str()),
                );
                None
            }
            (Some(list), _) => {
                let firms: Vec<Option<Firm>> = list
                    .iter()
                    .enumerate()
                    .map(|(j, m)| c.firm(m, &makers_path.index(j), false))
                    .collect();
                firms.into_iter().collect::<Option<Vec<_>>>()
            }
            (None, _) => Some(Vec::new()),
        };
        let qualified = input.qualified.unwrap_or(true);
        let (technical, commercial) = match self.project {
            Some(p) => scores(
                c,
                p,
                &path,
                input.technical,
                input.commercial,
                &mut self.evaluators,
                i,
            ),
            None => (Some(Vec::new()), Some(Vec::new())),
        };
        match (
            id,
            price,
            bidder,
            subcontracts,
            manufacturers,
            technical,
            commercial,
        ) {
            (
                Some(id),
                Some(price),
                Some(bidder),
                Some(subcontracts),
                Some(manufacturers),
                Some(technical),
                Some(commercial),
            ) => {
                self.out.push(Bid {
                    id: id.into(),
                    price,
                    bidder,
                    subcontracts: subcontracts.into(),
                    manufacturers: manufacturers.into(),
                    technical: technical.into(),
                    commercial: commercial.into(),
                    qualified,
                });
                self.positions.push(u32::try_from(i).unwrap_or(u32::MAX));
            }
            (Some(id), ..) => self.rejected_ids.push((id.to_string(), i)),
            _ => {}
        }
    }
}

fn consortium(
    c: &mut Checker,
    path: &Path<'_>,
    members: &[FirmInput<'_>],
    related_parties: bool,
) -> Option<Bidder> {
    let cpath = path.key("consortium");
    if members.len() < 2 {
        c.push(&cpath, "a consortium needs at least two members");
    }
    let members = c.participants(members, &cpath, true)?;
    let total: Hundredths = members.iter().map(|m| m.share_pct).sum();
    if total != Hundredths::whole(100) {
        c.push(
            &cpath,
            format!(
                "member shares (share_pct) sum to {}, must be 100",
                total.short()
            ),
        );
        return None;
    }
    Some(Bidder::Consortium {
        members: members.into(),
        related_parties,
    })
}

type Scores = (Option<Vec<Hundredths>>, Option<Vec<Hundredths>>);

fn scores(
    c: &mut Checker,
    project: &Project,
    path: &Path<'_>,
    technical: Option<Vec<Hundredths>>,
    commercial: Option<Vec<Hundredths>>,
    evaluators: &mut Option<(usize, usize)>,
    index: usize,
) -> Scores {
    let Some(weights) = project.weights else {
        if project.method == Method::LowestPrice {
            for (name, v) in [("technical", &technical), ("commercial", &commercial)] {
                if v.is_some() {
                    c.push(
                        &path.key(name),
                        "scores apply only to comprehensive scoring",
                    );
                }
            }
        }
        return (Some(Vec::new()), Some(Vec::new()));
    };
    let mut check = |name: &str,
                     list: Option<Vec<Hundredths>>,
                     max: Hundredths|
     -> Option<Vec<Hundredths>> {
        let p = path.key(name);
        let Some(list) = list else {
            c.push(
                &p,
                "is required for comprehensive scoring: one score per evaluator",
            );
            return None;
        };
        if list.is_empty() {
            c.push(&p, "needs one score per evaluator, got none");
            return None;
        }
        match *evaluators {
            None => *evaluators = Some((list.len(), index)),
            Some((n, first)) if n != list.len() => {
                c.push(
                    &p,
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
                    &p.index(j),
                    format!(
                        "{} is outside 0–{}, the {name} weight",
                        s.short(),
                        max.short()
                    ),
                );
                ok = false;
            }
        }
        ok.then_some(list)
    };
    (
        check("technical", technical, weights.technical),
        check("commercial", commercial, weights.commercial),
    )
}

/// The output of CONTRACTS.md. `Serialize` writes it through any serde serializer (pretty
/// printing, tests); [`EvaluationOutput::write_compact`] writes the same bytes as compact JSON
/// with the ranking rendered on every core in bounded chunks.
pub struct EvaluationOutput<'a> {
    pub input: &'a ValidEvaluation,
    pub evaluation: &'a Evaluation<'a>,
}

/// Everything before the ranking.
#[derive(Serialize)]
struct Header<'a> {
    policy: PolicyRef<'a>,
    method: &'static str,
    outcome: &'static str,
    failure_reason: Option<String>,
    rerun_unreserved_allowed: bool,
    /// Comprehensive only (null when no bid was ranked); absent for lowest price.
    #[serde(skip_serializing_if = "Option::is_none")]
    benchmark_price: Option<Option<AsText<Fen>>>,
}

#[derive(Serialize)]
struct Full<'a> {
    #[serde(flatten)]
    header: Header<'a>,
    ranking: RankingOut<'a>,
    excluded: Vec<ExcludedOut<'a>>,
}

impl<'a> EvaluationOutput<'a> {
    fn header(&self) -> Header<'a> {
        let e = self.evaluation;
        let (outcome, failure_reason, rerun) = match e.outcome {
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
        Header {
            policy: PolicyRef {
                id: &e.policy_id,
                version: &e.policy_version,
            },
            method: e.method.as_str(),
            outcome,
            failure_reason,
            rerun_unreserved_allowed: rerun,
            benchmark_price: (e.method == Method::Comprehensive)
                .then(|| e.benchmark_price.map(AsText)),
        }
    }

    fn excluded(&self) -> Vec<ExcludedOut<'a>> {
        self.evaluation
            .excluded
            .iter()
            .map(|x| ExcludedOut {
                bid_id: x.bid_id,
                reason: evaluation::exclusion_reason(x.exclusion),
            })
            .collect()
    }

    /// Writes compact JSON (the bytes `serde_json::to_writer` would write), rendering chunks of
    /// the ranking in parallel; memory stays bounded by the chunk size times the cores.
    pub fn write_compact<W: std::io::Write>(&self, w: &mut W) -> std::io::Result<()> {
        const CHUNK: usize = 2048;
        let mut head = serde_json::to_vec(&self.header())?;
        head.pop(); // the closing brace
        head.extend_from_slice(b",\"ranking\":[");
        w.write_all(&head)?;
        let ranking = &self.evaluation.ranking;
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 8);
        let mut buffers: Vec<Vec<u8>> = vec![Vec::new(); workers];
        let mut start = 0;
        while start < ranking.len() {
            let ends: Vec<(usize, usize)> = (0..workers)
                .map(|k| {
                    (
                        (start + k * CHUNK).min(ranking.len()),
                        (start + (k + 1) * CHUNK).min(ranking.len()),
                    )
                })
                .collect();
            std::thread::scope(|scope| {
                for (buf, &(from, to)) in buffers.iter_mut().zip(&ends) {
                    buf.clear();
                    if from < to {
                        scope.spawn(move || self.render_range(from, to, buf));
                    }
                }
            });
            for buf in &buffers {
                w.write_all(buf)?;
            }
            start = ends.last().map_or(ranking.len(), |&(_, to)| to);
        }
        w.write_all(b"],\"excluded\":")?;
        serde_json::to_writer(&mut *w, &self.excluded())?;
        w.write_all(b"}")
    }

    /// Ranking entries `from..to`, comma-separated (with a leading comma unless `from` is 0).
    fn render_range(&self, from: usize, to: usize, buf: &mut Vec<u8>) {
        let mut lines = evaluation::Lines::default();
        for position in from..to {
            if position > 0 {
                buf.push(b',');
            }
            // Writing to a Vec cannot fail, and every field serializes.
            let _ = serde_json::to_writer(&mut *buf, &self.ranked(position, &mut lines));
        }
    }

    fn ranked<'l>(&self, position: usize, lines: &'l mut evaluation::Lines) -> RankedOut<'a, 'l>
    where
        'a: 'l,
    {
        let EvaluationOutput { input, evaluation } = self;
        evaluation::explain_into(
            input.profile,
            &input.project,
            &input.bids,
            evaluation,
            position,
            lines,
        );
        let r = &evaluation.ranking[position];
        RankedOut {
            bid_id: r.bid_id,
            rank: r.rank,
            tied: r.tied,
            effective_scale: r.effective_scale.as_str(),
            sme: r.sme,
            minority_region: r.minority_region,
            preference: r.preference.as_str(),
            deduction_pct: r.deduction_pct,
            price: AsText(r.price),
            evaluated_price: AsText(r.evaluated_price),
            price_score: r.scores.map(|s| AsText(s.price)),
            technical_score: r.scores.map(|s| AsText(s.technical)),
            commercial_score: r.scores.map(|s| AsText(s.commercial)),
            bonus: r.scores.map(|s| AsText(s.bonus)),
            total: r.scores.map(|s| AsText(s.total)),
            explanation: LinesOut(lines),
        }
    }
}

impl Serialize for EvaluationOutput<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Full {
            header: self.header(),
            ranking: RankingOut(self),
            excluded: self.excluded(),
        }
        .serialize(serializer)
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
        let output = self.0;
        let ranking = &output.evaluation.ranking;
        let mut seq = serializer.serialize_seq(Some(ranking.len()))?;
        // One buffer for every bid's explanation: no allocation per line.
        let mut lines = evaluation::Lines::default();
        for position in 0..ranking.len() {
            seq.serialize_element(&output.ranked(position, &mut lines))?;
        }
        seq.end()
    }
}

/// A value written as a JSON string through its `Display` (two decimals), without a temporary.
#[derive(Clone, Copy)]
struct AsText<T>(T);

impl<T: fmt::Display> Serialize for AsText<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

struct LinesOut<'l>(&'l evaluation::Lines);

impl Serialize for LinesOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter())
    }
}

#[derive(Serialize)]
struct RankedOut<'a, 'l> {
    bid_id: &'a str,
    rank: u32,
    tied: bool,
    effective_scale: &'static str,
    sme: bool,
    minority_region: bool,
    preference: &'static str,
    deduction_pct: Hundredths,
    price: AsText<Fen>,
    evaluated_price: AsText<Fen>,
    #[serde(skip_serializing_if = "Option::is_none")]
    price_score: Option<AsText<Hundredths>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    technical_score: Option<AsText<Hundredths>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    commercial_score: Option<AsText<Hundredths>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bonus: Option<AsText<Hundredths>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<AsText<Hundredths>>,
    explanation: LinesOut<'l>,
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
