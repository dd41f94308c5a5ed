//! Remedies (质疑, 投诉) and the rest of the lifecycle as rules: the kinds and states as types,
//! the legal clocks as data (`remedies/rules.toml`, each with its source) and the pure functions
//! that count them on the working-day calendar. Nothing here reads a clock: callers pass the
//! Beijing day.

use super::calendar::{Calendar, CalendarError};
use super::lifecycle::text_enum;
use chrono::{Datelike, Duration, NaiveDate};
use serde::Deserialize;
use std::sync::OnceLock;

text_enum!(
    /// What a challenge (质疑) is about (94号令 Art. 10).
    ChallengeKind, "challenge kind" {
        /// 采购文件.
        Documents = "documents",
        /// 采购过程: a step of the procedure.
        Process = "process",
        /// 中标、成交结果.
        Result = "result",
    }
);

text_enum!(
    /// The step of the procedure a process challenge names.
    ProcessStep, "process step" {
        /// 开标: the lot's opening.
        Opening = "opening",
        /// 评审: the lot's evaluation.
        Evaluation = "evaluation",
    }
);

text_enum!(
    /// A challenge as stored.
    ChallengeState, "challenge state" {
        Pending = "pending",
        Answered = "answered",
        Withdrawn = "withdrawn",
    }
);

text_enum!(
    /// What an answer or a ruling found: 不成立 (dismissed) or 成立 (upheld).
    Finding, "finding" {
        Dismissed = "dismissed",
        Upheld = "upheld",
    }
);

text_enum!(
    /// A complaint (投诉) as stored.
    ComplaintState, "complaint state" {
        /// Received, not yet examined.
        Filed = "filed",
        /// 受理.
        Accepted = "accepted",
        /// 不予受理.
        Rejected = "rejected",
        /// 已作出处理决定.
        Ruled = "ruled",
        Withdrawn = "withdrawn",
    }
);

text_enum!(
    /// What an upheld complaint orders (94号令 Art. 31–32).
    Remedy, "remedy" {
        /// 重新评审: the lot is reviewed and evaluated again.
        ReEvaluation = "re_evaluation",
        /// 重新开展采购活动: the lot ends and may be procured again.
        ReProcurement = "re_procurement",
        /// 中标、成交结果无效: the award is void; the next ranked bid or a new procurement follows.
        AwardVoid = "award_void",
    }
);

text_enum!(
    /// Why an award ended before its contract (政府采购法实施条例 Art. 49).
    AwardEnd, "award end" {
        /// The winner declined in writing (放弃中标、成交).
        Declined = "declined",
        /// The winner did not sign within the signing period (政府采购法 Art. 46).
        NotSigned = "not_signed",
        /// The winner was found ineligible (e.g. a false SME declaration).
        Ineligible = "ineligible",
        /// A complaint's ruling voided it.
        Remedy = "remedy",
        /// A complaint's ruling ordered a new evaluation: the lot reopens, and the bid may come
        /// first again.
        Reevaluation = "re_evaluation",
    }
);

text_enum!(
    /// The grounds of a debarment (不良行为记录, 政府采购法 Art. 77).
    DebarmentReason, "debarment reason" {
        /// A false SME declaration letter (46号 Art. 20: 提供虚假材料).
        FalseDeclaration = "false_declaration",
        /// Refused to sign the contract without good reason (实施条例 Art. 72).
        RefusedToSign = "refused_to_sign",
        /// Other false materials (Art. 77 (一)).
        FalseMaterials = "false_materials",
        /// Collusion (Art. 77 (三)).
        Collusion = "collusion",
        /// Bribery (Art. 77 (四)).
        Bribery = "bribery",
    }
);

/// A period in working days and its source.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkingDays {
    pub working_days: u32,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Challenge {
    pub working_days: u32,
    pub source: String,
    /// The day a supplier knew or should have known, per kind, in the rule's words.
    pub known: Known,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Known {
    pub documents: String,
    pub process: String,
    pub result: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Days {
    pub days: u32,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaxDays {
    pub max_days: u32,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub source: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Debarment {
    pub min_years: u32,
    pub max_years: u32,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticePeriods {
    pub source: String,
    pub result: u32,
    /// Per procurement method (采购方式).
    pub procurement: std::collections::BTreeMap<String, u32>,
}

/// Every clock of remedies and notices, as `rules.toml` states it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    pub challenge: Challenge,
    pub answer: WorkingDays,
    pub complaint: WorkingDays,
    pub acceptance: WorkingDays,
    pub ruling: WorkingDays,
    pub suspension: MaxDays,
    pub signing: Days,
    pub next_ranked: Source,
    pub debarment: Debarment,
    pub notice_periods: NoticePeriods,
}

/// The rules shipped with the code (checked when first read: every period positive, the
/// debarment range ordered).
pub fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| {
        let rules: Rules = toml::from_str(include_str!("remedies/rules.toml"))
            .unwrap_or_else(|e| panic!("remedies/rules.toml: {e}"));
        let periods = [
            rules.challenge.working_days,
            rules.answer.working_days,
            rules.complaint.working_days,
            rules.acceptance.working_days,
            rules.ruling.working_days,
            rules.suspension.max_days,
            rules.signing.days,
            rules.notice_periods.result,
        ];
        assert!(
            periods.iter().all(|p| *p > 0)
                && rules.notice_periods.procurement.values().all(|p| *p > 0)
                && (1..=rules.debarment.max_years).contains(&rules.debarment.min_years),
            "remedies/rules.toml: a period is zero or the debarment range is reversed"
        );
        rules
    })
}

impl AwardEnd {
    /// Whether the bid whose award ended this way is out of the running for good.
    pub fn passes_over(self) -> bool {
        self != AwardEnd::Reevaluation
    }
}

impl Rules {
    /// The procurement notice's period for a method (5 working days unless the data says).
    pub fn procurement_notice_days(&self, method: &str) -> u32 {
        self.notice_periods
            .procurement
            .get(method)
            .copied()
            .unwrap_or(5)
    }
}

/// The last day of a notice period of `n` working days published on `first`: the publication
/// day counts when it is a working day.
pub fn period_end(cal: &Calendar, first: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
    cal.working_days_after(first - Duration::days(1), n.max(1))
}

/// The facts that fix the day a supplier knew or should have known (94号令 Art. 10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnownFrom {
    /// Documents: the day the supplier obtained them (if it did) and the last day of the
    /// procurement notice's period.
    Documents {
        obtained: Option<NaiveDate>,
        notice_period_end: NaiveDate,
    },
    /// A step of the process: the day it ended.
    Process { step_end: NaiveDate },
    /// The result: the last day of the result notice's period.
    Result { notice_period_end: NaiveDate },
}

/// Why a challenge's clock starts where it does (a message code, `known.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnownBasis {
    Obtained,
    NoticePeriodEnd,
    StepEnd,
    ResultPeriodEnd,
}

impl KnownBasis {
    pub fn as_str(self) -> &'static str {
        match self {
            KnownBasis::Obtained => "obtained",
            KnownBasis::NoticePeriodEnd => "notice_period_end",
            KnownBasis::StepEnd => "step_end",
            KnownBasis::ResultPeriodEnd => "result_period_end",
        }
    }
}

/// The day the clock of a challenge runs from. For documents we take the later of the two
/// days the rule names (ours: a supplier that obtains the documents while their notice runs
/// may still learn from the notice until its end; one that obtains them later, from then).
pub fn known_day(from: KnownFrom) -> (NaiveDate, KnownBasis) {
    match from {
        KnownFrom::Documents {
            obtained: Some(o),
            notice_period_end,
        } if o > notice_period_end => (o, KnownBasis::Obtained),
        KnownFrom::Documents {
            notice_period_end, ..
        } => (notice_period_end, KnownBasis::NoticePeriodEnd),
        KnownFrom::Process { step_end } => (step_end, KnownBasis::StepEnd),
        KnownFrom::Result { notice_period_end } => (notice_period_end, KnownBasis::ResultPeriodEnd),
    }
}

/// The last day to challenge: 7 working days after the day it knew.
pub fn challenge_deadline(cal: &Calendar, known: NaiveDate) -> Result<NaiveDate, CalendarError> {
    cal.working_days_after(known, rules().challenge.working_days)
}

/// The last day to answer a challenge received on `filed`.
pub fn answer_due(cal: &Calendar, filed: NaiveDate) -> Result<NaiveDate, CalendarError> {
    cal.working_days_after(filed, rules().answer.working_days)
}

/// The last day to complain: 15 working days after the answer's deadline.
pub fn complaint_deadline(
    cal: &Calendar,
    answer_due: NaiveDate,
) -> Result<NaiveDate, CalendarError> {
    cal.working_days_after(answer_due, rules().complaint.working_days)
}

/// The last day to accept or reject a complaint received on `filed`.
pub fn acceptance_due(cal: &Calendar, filed: NaiveDate) -> Result<NaiveDate, CalendarError> {
    cal.working_days_after(filed, rules().acceptance.working_days)
}

/// The last day to rule on a complaint received on `filed`.
pub fn ruling_due(cal: &Calendar, filed: NaiveDate) -> Result<NaiveDate, CalendarError> {
    cal.working_days_after(filed, rules().ruling.working_days)
}

/// A suspension of `days` calendar days from `from` ends on this day (inclusive); `None` when
/// `days` is outside 1 ..= the maximum.
pub fn suspension_until(from: NaiveDate, days: u32) -> Option<NaiveDate> {
    (1..=rules().suspension.max_days)
        .contains(&days)
        .then(|| from + Duration::days(i64::from(days) - 1))
}

/// The last day to sign the contract of an award notified on `notified`.
pub fn signing_due(notified: NaiveDate) -> NaiveDate {
    notified + Duration::days(i64::from(rules().signing.days))
}

/// The last day of a debarment of `years` starting `from`; `None` outside the legal range.
pub fn debarment_until(from: NaiveDate, years: u32) -> Option<NaiveDate> {
    let d = &rules().debarment;
    if !(d.min_years..=d.max_years).contains(&years) {
        return None;
    }
    let year = from.year() + i32::try_from(years).ok()?;
    // 29 February plus a year is 28 February.
    let same_day = NaiveDate::from_ymd_opt(year, from.month(), from.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, from.month(), from.day() - 1))?;
    same_day.pred_opt()
}

/// Whether a period that ended on `due` is past on `today` (flagged the day after).
pub fn overdue(due: NaiveDate, today: NaiveDate) -> bool {
    today > due
}

#[cfg(test)]
mod tests;
