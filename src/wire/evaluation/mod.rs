//! `smeproc evaluate` / `POST /api/v1/evaluate`: the request and response shapes of CONTRACTS.md,
//! validation that names every problem by its JSON path, and streaming output.
//!
//! Input is read in two passes over one buffer: the envelope (policy, project) with the bids
//! left as a raw slice, then the bids one at a time, each checked and turned into a compact
//! domain [`Bid`] at once, with strings borrowed from the buffer. JSON paths are only written
//! out when a problem is found. So a 100 000-bid file costs little more than its own size.

mod bids;
mod checker;
mod output;
mod project;

use bids::*;
use checker::*;
pub use output::*;
pub use project::*;

use super::{parse_json, path_problem, strip_position, FieldProblem, JsonProblem};
use crate::domain::evaluation::{self, Bid, Evaluation, Project};
use crate::domain::policy::{self, Profile};
use crate::domain::Hundredths;
use serde::de::SeqAccess;
use serde::Deserialize;
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
