//! Enterprise size classification (划型) against the 工信部联企业〔2011〕300号 table.
//!
//! A firm is in a tier only if it reaches every lower limit the table lists for that tier in its
//! industry; otherwise it drops to the next tier. Micro is whatever is left.

use super::scale::Scale;
use std::collections::BTreeMap;

/// Lower limits of one tier. `None` = the industry does not use that figure for this tier.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TierLimits {
    pub min_employees: Option<u64>,
    /// 万元
    pub min_revenue_wan: Option<u64>,
    /// 万元
    pub min_assets_wan: Option<u64>,
}

/// One industry's row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndustryStandard {
    pub code: String,
    pub name_zh: String,
    pub large: TierLimits,
    pub medium: TierLimits,
    pub small: TierLimits,
}

/// The whole size standard, keyed by industry code (`industry`, `software`, …).
#[derive(Debug, Clone, Default)]
pub struct SizeStandard {
    pub industries: BTreeMap<String, IndustryStandard>,
}

/// A firm's figures. Revenue and assets are in yuan so that fractional 万元 stay exact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SizeFigures {
    pub employees: Option<u64>,
    pub revenue_yuan: Option<u64>,
    pub assets_yuan: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClassifyError {
    #[error("unknown industry {given:?}; expected one of: {known}{note}")]
    UnknownIndustry {
        given: String,
        known: String,
        note: &'static str,
    },
    #[error("industry {industry} needs {figure}")]
    MissingFigure {
        industry: String,
        /// `employees`, `revenue_wan` or `assets_wan`
        figure: &'static str,
    },
}

/// The scale with one line per tier tested, saying which limits were met or missed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    pub scale: Scale,
    pub reasons: Vec<String>,
}

const WAN: u64 = 10_000;

fn format_wan(yuan: u64) -> String {
    if yuan.is_multiple_of(WAN) {
        (yuan / WAN).to_string()
    } else {
        let s = format!("{}.{:04}", yuan / WAN, yuan % WAN);
        s.trim_end_matches('0').to_string()
    }
}

impl SizeStandard {
    pub fn industry(&self, code: &str) -> Result<&IndustryStandard, ClassifyError> {
        self.industries
            .get(code)
            .ok_or_else(|| ClassifyError::UnknownIndustry {
                given: code.to_string(),
                known: self.industries.keys().cloned().collect::<Vec<_>>().join(", "),
                note: if code.starts_with("financ") {
                    " (financial firms are sized by 银发〔2015〕309号, which smeproc does not implement)"
                } else {
                    ""
                },
            })
    }

    /// Classifies `figures` in `industry`; every figure some tier of the industry uses is required.
    pub fn classify(
        &self,
        industry: &str,
        figures: SizeFigures,
    ) -> Result<Classification, ClassifyError> {
        let row = self.industry(industry)?;
        let tiers = [row.large, row.medium, row.small];
        let needs = |f: fn(&TierLimits) -> bool| tiers.iter().any(f);
        let missing = |figure| ClassifyError::MissingFigure {
            industry: industry.to_string(),
            figure,
        };
        if needs(|t| t.min_employees.is_some()) && figures.employees.is_none() {
            return Err(missing("employees"));
        }
        if needs(|t| t.min_revenue_wan.is_some()) && figures.revenue_yuan.is_none() {
            return Err(missing("revenue_wan"));
        }
        if needs(|t| t.min_assets_wan.is_some()) && figures.assets_yuan.is_none() {
            return Err(missing("assets_wan"));
        }

        let mut reasons = Vec::new();
        for (scale, limits) in [
            (Scale::Large, row.large),
            (Scale::Medium, row.medium),
            (Scale::Small, row.small),
        ] {
            let (all_met, checks) = check_tier(limits, figures);
            let verdict = if all_met {
                "every limit met"
            } else {
                "not every limit met"
            };
            reasons.push(format!(
                "{} ({}) in {} ({}): {}; {verdict}",
                scale,
                scale.zh(),
                row.code,
                row.name_zh,
                checks.join(", ")
            ));
            if all_met {
                return Ok(Classification { scale, reasons });
            }
        }
        reasons.push(format!(
            "below the small limits: micro ({}) (工信部联企业〔2011〕300号)",
            Scale::Micro.zh()
        ));
        Ok(Classification {
            scale: Scale::Micro,
            reasons,
        })
    }
}

fn check_tier(limits: TierLimits, figures: SizeFigures) -> (bool, Vec<String>) {
    let mut all_met = true;
    let mut checks = Vec::new();
    let mut check = |label: &str, has: u64, min: u64, shown_has: String, shown_min: String| {
        let met = has >= min;
        all_met &= met;
        checks.push(format!(
            "{label} {shown_has} {} {shown_min} ({})",
            if met { "≥" } else { "<" },
            if met { "met" } else { "missed" }
        ));
    };
    if let Some(min) = limits.min_employees {
        let has = figures.employees.unwrap_or(0);
        check("employees", has, min, has.to_string(), min.to_string());
    }
    if let Some(min) = limits.min_revenue_wan {
        let has = figures.revenue_yuan.unwrap_or(0);
        check(
            "revenue",
            has,
            min.saturating_mul(WAN),
            format!("{}万元", format_wan(has)),
            format!("{min}万元"),
        );
    }
    if let Some(min) = limits.min_assets_wan {
        let has = figures.assets_yuan.unwrap_or(0);
        check(
            "assets",
            has,
            min.saturating_mul(WAN),
            format!("{}万元", format_wan(has)),
            format!("{min}万元"),
        );
    }
    (all_met, checks)
}
