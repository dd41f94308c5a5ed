//! The shape of a policy profile file, and the checks every profile passes when loaded.

use crate::domain::Hundredths;
use serde::{Deserialize, Serialize};

/// A range an agency picks a value from per project, with the value used when it picks none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateRange {
    #[schema(value_type = f64)]
    pub min: Hundredths,
    #[schema(value_type = f64)]
    pub max: Hundredths,
    #[schema(value_type = f64)]
    pub default: Hundredths,
}

impl RateRange {
    pub fn contains(&self, value: Hundredths) -> bool {
        self.min <= value && value <= self.max
    }
}

/// A range without a default (price weights).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Bounds {
    #[schema(value_type = f64)]
    pub min: Hundredths,
    #[schema(value_type = f64)]
    pub max: Hundredths,
}

impl Bounds {
    pub fn contains(&self, value: Hundredths) -> bool {
        self.min <= value && value <= self.max
    }
}

/// 价格扣除: the deduction rates and the shares that unlock them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Deductions {
    pub small_micro_goods_services: RateRange,
    pub small_micro_works: RateRange,
    #[schema(value_type = f64)]
    pub consortium_min_small_micro_share_pct: Hundredths,
    pub consortium_goods_services: RateRange,
    pub consortium_works: RateRange,
    /// Whether subcontracting to small/micro firms earns the consortium rate (2020+).
    pub subcontract: bool,
    #[schema(value_type = f64)]
    pub subcontract_min_small_micro_share_pct: Hundredths,
}

/// 联合体 rules beyond the deduction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsortiumRules {
    /// Xinjiang: local (疆内) large firms with an SME, no related parties → treated as an SME.
    pub local_large_with_sme_treated_as_sme: bool,
    /// Region prefix that makes a firm "local" (`65` = Xinjiang).
    #[serde(default)]
    pub local_region_prefix: Option<String>,
}

/// 少数民族地区中小企业加分 (xinjiang-2011).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MinorityBonus {
    pub enabled: bool,
    pub rate: RateRange,
    #[schema(value_type = f64)]
    pub min_sme_share_pct: Hundredths,
    pub region_prefixes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EqualPriority {
    pub enabled: bool,
}

/// 价格分值占总分值的比重, per procurement category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceWeights {
    pub goods: Bounds,
    pub services: Bounds,
    pub works: Bounds,
}

/// 预留采购份额 figures (used by the finance ledger).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reservation {
    #[schema(value_type = f64)]
    pub annual_share_min_pct: Hundredths,
    #[schema(value_type = f64)]
    pub small_micro_part_min_pct: Hundredths,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whole_project_max_goods_services_yuan: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whole_project_max_works_yuan: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>)]
    pub above_threshold_share_min_pct: Option<Hundredths>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>)]
    pub works_above_threshold_share_min_pct_2022h2: Option<Hundredths>,
}

/// When a procurement fails (采购失败 / 废标).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FailureRule {
    pub min_qualified_bids: u32,
    pub reserved_lot_rerun_unreserved: bool,
}

/// One policy profile, as in `src/policy/profiles/<id>.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub id: String,
    /// `sha256:` + the first 16 hex digits of the file's SHA-256: changes whenever a number does.
    #[serde(default)]
    pub version: String,
    pub title: String,
    pub title_zh: String,
    pub sources: Vec<String>,
    pub effective_from: String,
    pub deduction: Deductions,
    pub consortium: ConsortiumRules,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minority_bonus: Option<MinorityBonus>,
    pub equal_priority: EqualPriority,
    pub price_weight: PriceWeights,
    pub reservation: Reservation,
    pub failure: FailureRule,
}

impl Profile {
    /// The minority bonus when the profile has one switched on.
    pub fn active_minority_bonus(&self) -> Option<&MinorityBonus> {
        self.minority_bonus.as_ref().filter(|b| b.enabled)
    }

    /// Every problem with the profile's numbers, as `field: reason` lines. Empty = valid.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let pct = |v: Hundredths| Hundredths::ZERO <= v && v <= Hundredths::whole(100);
        let mut range = |name: &str, r: &RateRange, cap: Hundredths| {
            if r.min > r.max {
                problems.push(format!("{name}: min {} above max {}", r.min, r.max));
            }
            if !r.contains(r.default) {
                problems.push(format!(
                    "{name}: default {} outside {}–{}",
                    r.default, r.min, r.max
                ));
            }
            if r.min < Hundredths::ZERO || r.max >= cap {
                problems.push(format!("{name}: must lie in 0 to below {cap}"));
            }
        };
        // Rates stay below 50 % so that an evaluated price can never round to zero.
        let cap = Hundredths::whole(50);
        let d = &self.deduction;
        range(
            "deduction.small_micro_goods_services",
            &d.small_micro_goods_services,
            cap,
        );
        range("deduction.small_micro_works", &d.small_micro_works, cap);
        range(
            "deduction.consortium_goods_services",
            &d.consortium_goods_services,
            cap,
        );
        range("deduction.consortium_works", &d.consortium_works, cap);
        if let Some(bonus) = &self.minority_bonus {
            range("minority_bonus.rate", &bonus.rate, cap);
            let worst = bonus.rate.max
                + d.small_micro_goods_services
                    .max
                    .max(d.small_micro_works.max);
            if worst >= cap {
                problems
                    .push("minority_bonus.rate: with the largest deduction it reaches 50 %".into());
            }
            if !pct(bonus.min_sme_share_pct) {
                problems.push("minority_bonus.min_sme_share_pct: must be 0–100".into());
            }
            if bonus
                .region_prefixes
                .iter()
                .any(|p| p.is_empty() || p.len() > 6 || !p.bytes().all(|b| b.is_ascii_digit()))
            {
                problems.push("minority_bonus.region_prefixes: each must be 1–6 digits".into());
            }
        }
        for (name, v) in [
            (
                "deduction.consortium_min_small_micro_share_pct",
                d.consortium_min_small_micro_share_pct,
            ),
            (
                "deduction.subcontract_min_small_micro_share_pct",
                d.subcontract_min_small_micro_share_pct,
            ),
            (
                "reservation.annual_share_min_pct",
                self.reservation.annual_share_min_pct,
            ),
            (
                "reservation.small_micro_part_min_pct",
                self.reservation.small_micro_part_min_pct,
            ),
        ] {
            if !pct(v) {
                problems.push(format!("{name}: must be 0–100"));
            }
        }
        for (name, b) in [
            ("price_weight.goods", &self.price_weight.goods),
            ("price_weight.services", &self.price_weight.services),
            ("price_weight.works", &self.price_weight.works),
        ] {
            if b.min > b.max || !pct(b.min) || !pct(b.max) {
                problems.push(format!("{name}: needs 0 ≤ min ≤ max ≤ 100"));
            }
        }
        let c = &self.consortium;
        if c.local_large_with_sme_treated_as_sme
            && c.local_region_prefix.as_deref().is_none_or(str::is_empty)
        {
            problems.push(
                "consortium.local_region_prefix: required when the local-consortium rule is on"
                    .into(),
            );
        }
        if self.failure.min_qualified_bids == 0 {
            problems.push("failure.min_qualified_bids: must be at least 1".into());
        }
        for (name, v) in [
            (
                "reservation.whole_project_max_goods_services_yuan",
                &self.reservation.whole_project_max_goods_services_yuan,
            ),
            (
                "reservation.whole_project_max_works_yuan",
                &self.reservation.whole_project_max_works_yuan,
            ),
        ] {
            if let Some(text) = v {
                if crate::domain::Fen::parse_positive_yuan(text).is_err() {
                    problems.push(format!("{name}: must be a positive yuan amount"));
                }
            }
        }
        problems
    }
}
