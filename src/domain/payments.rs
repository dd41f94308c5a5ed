//! Paying SMEs on time (保障中小企业款项支付条例, 国务院令第728号, revised by 第802号): the
//! payment terms as data (`payments/terms.toml`, each with its source), a schedule's check
//! against them, an instalment's due date from its milestones, and late interest to the fen.
//!
//! One machinery for every payer: an agency paying its supplier and a large prime paying its
//! SME subcontractor (seed 四.(十六)7) differ only in the terms that apply. Nothing here reads a
//! clock: callers pass the Beijing day.

use super::decimal::{div_round_half_up, parse_scaled, DecimalError};
use super::lifecycle::text_enum;
use chrono::{Days, NaiveDate};
use serde::Deserialize;
use std::sync::OnceLock;

text_enum!(
    /// Who pays, as the regulation sorts payers.
    Payer, "payer" {
        /// 机关、事业单位: the agency's department.
        Agency = "agency",
        /// 大型企业: a prime that was large when it signed.
        LargeFirm = "large_firm",
        /// An SME paying an SME: the regulation does not apply (Art. 2).
        Sme = "sme",
    }
);

text_enum!(
    /// What an instalment pays for.
    InstalmentKind, "instalment kind" {
        /// 预付款
        Advance = "advance",
        /// 进度款
        Progress = "progress",
        /// 尾款 / 结算款
        Final = "final",
        /// 质保金, held until the warranty period ends.
        Retention = "retention",
    }
);

text_enum!(
    /// The milestone an instalment's term runs from.
    Trigger, "payment trigger" {
        /// The contract's signing (an advance).
        Signing = "signing",
        /// 交付: delivery of the goods, works or services.
        Delivery = "delivery",
        /// 验收合格: acceptance, or the end of the agreed acceptance period if it is late.
        Acceptance = "acceptance",
        /// The end of the warranty period after acceptance (retention).
        WarrantyEnd = "warranty_end",
        /// A fixed date (a prime's payment plan to its subcontractor; not for agencies).
        Date = "date",
    }
);

text_enum!(
    /// The payer's acceptance (验收) of what was delivered.
    AcceptanceResult, "acceptance result" {
        Passed = "passed",
        Failed = "failed",
    }
);

text_enum!(
    /// The late-interest rate of a schedule.
    InterestBasis, "interest basis" {
        /// The regulation's default: a daily rate (万分之五).
        Statutory = "statutory",
        /// An annual rate the contract agreed, not below the one-year LPR on signing.
        Agreed = "agreed",
        /// Neither: the regulation does not apply and the contract agreed none.
        None = "none",
    }
);

text_enum!(
    /// An instalment on a day.
    Status, "instalment status" {
        /// Its milestone has not happened yet.
        Scheduled = "scheduled",
        /// Its due date is known and not passed.
        Due = "due",
        /// Unpaid (in part) after its due date: flagged from the day after.
        Overdue = "overdue",
        /// The payee disputes the payer's record: held, the rest of the schedule runs.
        Disputed = "disputed",
        /// The acceptance failed: not due until delivered and accepted again.
        Rejected = "rejected",
        /// Paid in full.
        Paid = "paid",
    }
);

/// Trigger words that make payment depend on the payer being paid (背靠背): named so the
/// refusal cites the rule instead of calling them unknown.
pub const BACK_TO_BACK_TRIGGERS: [&str; 3] =
    ["third_party_payment", "payer_paid", "paid_when_paid"];

/// Most instalments in one schedule (ours).
pub const MAX_INSTALMENTS: usize = 36;
/// Longest term, acceptance period or warranty period in days (ours: ten years).
pub const MAX_DAYS: u32 = 3650;

/// Per category of procurement (goods, services, works).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerCategory {
    pub goods: u32,
    pub services: u32,
    pub works: u32,
}

impl PerCategory {
    /// The value for a 品目 top level: `A` goods, `B` works, `C` services.
    pub fn of(&self, top_level: char) -> u32 {
        match top_level {
            'B' => self.works,
            'C' => self.services,
            _ => self.goods,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayerTerms {
    /// The term when the contract states none (days from the milestone).
    pub default_days: Option<u32>,
    /// The longest term a contract may agree.
    pub max_days: Option<u32>,
    pub source: String,
    /// What voids a term that waits for the payer to be paid (背靠背), for large firms.
    pub back_to_back_source: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptanceTerms {
    pub max_days: PerCategory,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionTerms {
    pub max_pct: PerCategory,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub source: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterestTerms {
    /// Percent per day, as the text gives it ("0.05" is 万分之五).
    pub default_daily_pct: String,
    pub source: String,
}

/// One text of the regulation, in force from its date.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regime {
    pub id: String,
    pub title_zh: String,
    pub effective_from: NaiveDate,
    pub scale_source: String,
    pub agency: PayerTerms,
    pub large_firm: PayerTerms,
    pub acceptance: AcceptanceTerms,
    pub retention: RetentionTerms,
    pub dispute: Source,
    pub interest: InterestTerms,
}

impl Regime {
    pub fn payer(&self, payer: Payer) -> Option<&PayerTerms> {
        match payer {
            Payer::Agency => Some(&self.agency),
            Payer::LargeFirm => Some(&self.large_firm),
            Payer::Sme => None,
        }
    }

    /// The default daily rate in percent × 10⁴ (0.05 % → 500).
    pub fn default_daily_e4(&self) -> i64 {
        parse_scaled(&self.interest.default_daily_pct, 4).unwrap_or(0)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LprPoint {
    pub from: NaiveDate,
    pub one_year_pct: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lpr {
    pub source: String,
    pub verified_through: NaiveDate,
    pub points: Vec<LprPoint>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Terms {
    pub regime: Vec<Regime>,
    pub lpr: Lpr,
}

impl Terms {
    /// The regime in force on `day` (a contract's signing date), if any.
    pub fn regime_on(&self, day: NaiveDate) -> Option<&Regime> {
        self.regime
            .iter()
            .filter(|r| r.effective_from <= day)
            .max_by_key(|r| r.effective_from)
    }

    pub fn regime(&self, id: &str) -> Option<&Regime> {
        self.regime.iter().find(|r| r.id == id)
    }

    /// The one-year LPR on `day` in percent × 10⁴ (3.45 % → 34500), and the date it took effect.
    pub fn lpr_on(&self, day: NaiveDate) -> Option<(i64, NaiveDate)> {
        self.lpr
            .points
            .iter()
            .filter(|p| p.from <= day)
            .max_by_key(|p| p.from)
            .and_then(|p| parse_scaled(&p.one_year_pct, 4).ok().map(|v| (v, p.from)))
    }
}

/// The terms file as shipped.
pub const TERMS_TOML: &str = include_str!("payments/terms.toml");

/// The terms as shipped; checked when first read (a test reads them).
pub fn terms() -> &'static Terms {
    static TERMS: OnceLock<Terms> = OnceLock::new();
    TERMS.get_or_init(|| {
        let terms: Terms =
            toml::from_str(TERMS_TOML).unwrap_or_else(|e| panic!("payments/terms.toml: {e}"));
        let problems = terms_problems(&terms);
        assert!(problems.is_empty(), "payments/terms.toml: {problems:?}");
        terms
    })
}

fn terms_problems(t: &Terms) -> Vec<String> {
    let mut problems = Vec::new();
    for r in &t.regime {
        if parse_scaled(&r.interest.default_daily_pct, 4).is_err() {
            problems.push(format!("{}: default_daily_pct", r.id));
        }
        for p in [&r.agency, &r.large_firm] {
            if let (Some(d), Some(m)) = (p.default_days, p.max_days) {
                if d > m {
                    problems.push(format!("{}: default_days above max_days", r.id));
                }
            }
        }
    }
    let mut ids: Vec<_> = t.regime.iter().map(|r| &r.id).collect();
    ids.sort();
    ids.dedup();
    if ids.len() != t.regime.len() {
        problems.push("two regimes share an id".into());
    }
    if t.lpr.points.windows(2).any(|w| w[0].from >= w[1].from) {
        problems.push("lpr points out of order".into());
    }
    if t.lpr
        .points
        .iter()
        .any(|p| parse_scaled(&p.one_year_pct, 4).is_err())
    {
        problems.push("an lpr value is not a decimal".into());
    }
    problems
}

/// A late-interest rate per day as an exact fraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyRate {
    pub numerator: i128,
    pub denominator: i128,
}

impl DailyRate {
    pub const ZERO: DailyRate = DailyRate {
        numerator: 0,
        denominator: 1,
    };

    /// A schedule's rate: percent × 10⁴ per day (statutory) or per year of 365 days (agreed;
    /// ours: the text does not say how an annual rate becomes a daily one).
    pub fn of(basis: InterestBasis, rate_e4: i64) -> DailyRate {
        match basis {
            InterestBasis::Statutory => DailyRate {
                numerator: i128::from(rate_e4),
                denominator: 1_000_000,
            },
            InterestBasis::Agreed => DailyRate {
                numerator: i128::from(rate_e4),
                denominator: 365_000_000,
            },
            InterestBasis::None => DailyRate::ZERO,
        }
    }
}

/// Late interest on an instalment to the fen: for each day after `due_on` up to `through`,
/// the amount still unpaid that day (a payment counts from the day after it was made) at
/// `rate`, summed exactly and rounded half up once.
pub fn interest(
    due_fen: i64,
    due_on: NaiveDate,
    payments: &[(NaiveDate, i64)],
    through: NaiveDate,
    rate: DailyRate,
) -> i64 {
    let Some(first) = due_on.checked_add_days(Days::new(1)) else {
        return 0;
    };
    if through < first || rate.numerator == 0 {
        return 0;
    }
    let mut sorted: Vec<(NaiveDate, i64)> = payments.to_vec();
    sorted.sort();
    let mut paid: i64 = 0;
    let mut i = 0;
    while i < sorted.len() && sorted[i].0 < first {
        paid += sorted[i].1;
        i += 1;
    }
    let mut from = first;
    let mut fen_days: i128 = 0;
    loop {
        let outstanding = (due_fen - paid).max(0);
        if outstanding == 0 {
            break;
        }
        // Days `from..=until` carry this outstanding amount.
        let until = match sorted.get(i) {
            Some((d, _)) if *d < through => *d,
            _ => through,
        };
        let days = (until - from).num_days() + 1;
        fen_days += i128::from(outstanding) * i128::from(days.max(0));
        if until >= through {
            break;
        }
        let day = sorted[i].0;
        while i < sorted.len() && sorted[i].0 == day {
            paid += sorted[i].1;
            i += 1;
        }
        from = day + Days::new(1);
    }
    i64::try_from(div_round_half_up(
        fen_days * rate.numerator,
        rate.denominator,
    ))
    .unwrap_or(i64::MAX)
}

/// An instalment's terms as the schedule fixed them (defaults applied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalmentTerms {
    pub trigger: Trigger,
    pub term_days: Option<u32>,
    pub acceptance_days: Option<u32>,
    pub warranty_days: Option<u32>,
    pub due_on: Option<NaiveDate>,
}

/// What the payer recorded so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Milestones {
    pub signed_on: NaiveDate,
    pub delivered_on: Option<NaiveDate>,
    pub accepted: Option<(NaiveDate, AcceptanceResult)>,
}

/// When an instalment falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Its milestone has not happened.
    Pending,
    On(NaiveDate),
    /// The acceptance failed.
    Rejected,
}

impl Due {
    /// The due date, once known.
    pub fn date(self) -> Option<NaiveDate> {
        match self {
            Due::On(d) => Some(d),
            Due::Pending | Due::Rejected => None,
        }
    }
}

/// The day payments (paid on, fen) first add up to `amount_fen`, if they do.
pub fn settled_on(amount_fen: i64, payments: &[(NaiveDate, i64)]) -> Option<NaiveDate> {
    let mut sorted = payments.to_vec();
    sorted.sort();
    let mut sum = 0;
    sorted.into_iter().find_map(|(d, f)| {
        sum += f;
        (sum >= amount_fen).then_some(d)
    })
}

fn add(day: NaiveDate, days: Option<u32>) -> Option<NaiveDate> {
    day.checked_add_days(Days::new(u64::from(days.unwrap_or(0))))
}

/// The day the acceptance clock starts the term: the acceptance, or — when the payer is late
/// or has not accepted — the end of the agreed acceptance period after delivery (Art. 10 of
/// 802号, Art. 9 of 728号).
fn acceptance_base(t: &InstalmentTerms, m: &Milestones) -> Result<Option<NaiveDate>, ()> {
    let deadline = m.delivered_on.and_then(|d| add(d, t.acceptance_days));
    match m.accepted {
        Some((_, AcceptanceResult::Failed)) => Err(()),
        Some((on, AcceptanceResult::Passed)) => Ok(Some(match deadline {
            Some(limit) if limit < on => limit,
            _ => on,
        })),
        None => Ok(deadline),
    }
}

/// An instalment's due date from its milestones.
pub fn due(t: &InstalmentTerms, m: &Milestones) -> Due {
    let base = match t.trigger {
        Trigger::Date => return t.due_on.map_or(Due::Pending, Due::On),
        Trigger::Signing => Some(m.signed_on),
        Trigger::Delivery => m.delivered_on,
        Trigger::Acceptance => match acceptance_base(t, m) {
            Ok(b) => b,
            Err(()) => return Due::Rejected,
        },
        Trigger::WarrantyEnd => match acceptance_base(t, m) {
            Ok(b) => b.and_then(|b| add(b, t.warranty_days)),
            Err(()) => return Due::Rejected,
        },
    };
    base.and_then(|b| add(b, t.term_days))
        .map_or(Due::Pending, Due::On)
}

/// An instalment on a day: its status, what is paid and outstanding, and late interest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub status: Status,
    pub due_on: Option<NaiveDate>,
    pub paid_fen: i64,
    pub outstanding_fen: i64,
    /// Days past the due date while unpaid (today), or by which it was paid late.
    pub days_late: i64,
    /// Late interest accrued so far (fen), or in all once paid.
    pub interest_fen: i64,
    /// Paid in full after its due date.
    pub paid_late: bool,
}

/// The standing of an instalment of `amount_fen` on the Beijing day `today`. `payments` are
/// (paid on, fen); `disputed` holds it without interest while the dispute lasts (ours: once
/// withdrawn, the record stands and interest counts from the due date).
pub fn standing(
    amount_fen: i64,
    due: Due,
    payments: &[(NaiveDate, i64)],
    disputed: bool,
    rate: DailyRate,
    today: NaiveDate,
) -> Standing {
    let counted: Vec<(NaiveDate, i64)> = payments
        .iter()
        .copied()
        .filter(|(d, _)| *d <= today)
        .collect();
    let paid_fen: i64 = counted.iter().map(|(_, f)| f).sum();
    let outstanding_fen = (amount_fen - paid_fen).max(0);
    let due_on = due.date();
    let settled_on = settled_on(amount_fen, &counted);
    let mut s = Standing {
        status: Status::Scheduled,
        due_on,
        paid_fen,
        outstanding_fen,
        days_late: 0,
        interest_fen: 0,
        paid_late: false,
    };
    if let (Some(due_on), false) = (due_on, disputed) {
        s.interest_fen = interest(amount_fen, due_on, &counted, today, rate);
        s.days_late = match settled_on {
            Some(d) => (d - due_on).num_days().max(0),
            None => (today - due_on).num_days().max(0),
        };
        s.paid_late = settled_on.is_some_and(|d| d > due_on);
    }
    s.status = if outstanding_fen == 0 {
        Status::Paid
    } else if disputed {
        Status::Disputed
    } else {
        match due {
            Due::Pending => Status::Scheduled,
            Due::Rejected => Status::Rejected,
            Due::On(d) if d < today => Status::Overdue,
            Due::On(_) => Status::Due,
        }
    };
    s
}

/// An instalment as a schedule proposes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalmentDraft {
    pub kind: InstalmentKind,
    pub amount_fen: i64,
    pub trigger: Trigger,
    pub term_days: Option<u32>,
    pub acceptance_days: Option<u32>,
    pub warranty_days: Option<u32>,
    pub due_on: Option<NaiveDate>,
}

/// What a schedule is checked against.
#[derive(Debug, Clone, Copy)]
pub struct ScheduleContext<'a> {
    pub payer: Payer,
    /// The payee's scale at signing is micro, small or medium.
    pub payee_sme: bool,
    /// `A` goods, `B` works, `C` services.
    pub category: char,
    /// What the instalments must add up to (the contract or subcontract amount).
    pub total_fen: i64,
    pub signed_on: NaiveDate,
    pub terms: &'a Terms,
}

impl ScheduleContext<'_> {
    /// The regime that binds this payer: in force on signing, the payee an SME, the payer an
    /// agency or a large firm (Art. 2, 3).
    pub fn regime(&self) -> Option<&Regime> {
        if !self.payee_sme || self.payer == Payer::Sme {
            return None;
        }
        self.terms.regime_on(self.signed_on)
    }
}

/// A schedule's problem: the field (`instalments[2].term_days`), a message code and its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub code: &'static str,
    pub args: Vec<(&'static str, String)>,
}

fn problem(field: String, code: &'static str, args: Vec<(&'static str, String)>) -> Problem {
    Problem { field, code, args }
}

/// The late-interest terms a schedule settles on: the agreed annual rate (percent × 10⁴) if
/// any, checked against the one-year LPR on signing where the regulation applies.
pub fn interest_terms(
    ctx: &ScheduleContext<'_>,
    agreed_annual_e4: Option<i64>,
) -> Result<(InterestBasis, i64), Problem> {
    let regime = ctx.regime();
    match (agreed_annual_e4, regime) {
        (Some(rate), Some(r)) => {
            if let Some((lpr, from)) = ctx.terms.lpr_on(ctx.signed_on) {
                if rate < lpr {
                    return Err(problem(
                        "interest_annual_pct".into(),
                        "problem.interest_below_lpr",
                        vec![
                            ("lpr", format!("{}", crate::domain::decimal::E4(lpr))),
                            ("from", from.to_string()),
                            ("source", r.interest.source.clone()),
                        ],
                    ));
                }
            }
            Ok((InterestBasis::Agreed, rate))
        }
        (Some(rate), None) => Ok((InterestBasis::Agreed, rate)),
        (None, Some(r)) => Ok((InterestBasis::Statutory, r.default_daily_e4())),
        (None, None) => Ok((InterestBasis::None, 0)),
    }
}

/// Checks a schedule against the terms that bind it and fixes each instalment's terms
/// (defaults applied), or names every problem (`instalments[i].field`).
pub fn check_schedule(
    ctx: &ScheduleContext<'_>,
    drafts: &[InstalmentDraft],
) -> Result<Vec<InstalmentTerms>, Vec<Problem>> {
    let mut problems = Vec::new();
    let regime = ctx.regime();
    let payer_terms = regime.and_then(|r| r.payer(ctx.payer));
    if drafts.is_empty() {
        problems.push(problem("instalments".into(), "problem.required", vec![]));
    }
    if drafts.len() > MAX_INSTALMENTS {
        problems.push(problem(
            "instalments".into(),
            "problem.too_many",
            vec![("max", MAX_INSTALMENTS.to_string())],
        ));
    }
    let mut fixed = Vec::with_capacity(drafts.len());
    for (i, d) in drafts.iter().enumerate() {
        let field = |name: &str| format!("instalments[{i}].{name}");
        if d.amount_fen <= 0 {
            problems.push(problem(field("amount"), "problem.not_positive", vec![]));
        }
        for (name, value) in [
            ("term_days", d.term_days),
            ("acceptance_days", d.acceptance_days),
            ("warranty_days", d.warranty_days),
        ] {
            if value.is_some_and(|v| v > MAX_DAYS) {
                problems.push(problem(
                    field(name),
                    "problem.days_over",
                    vec![("max", MAX_DAYS.to_string())],
                ));
            }
        }
        let needs = |problems: &mut Vec<Problem>, name: &str, value: Option<u32>| {
            if value.is_none() {
                problems.push(problem(field(name), "problem.required", vec![]));
            }
        };
        let refuse = |problems: &mut Vec<Problem>, name: &str, value: bool| {
            if value {
                problems.push(problem(
                    field(name),
                    "problem.not_for_trigger",
                    vec![("trigger", d.trigger.to_string())],
                ));
            }
        };
        let mut term_days = d.term_days;
        match d.trigger {
            Trigger::Date => {
                if d.due_on.is_none() {
                    problems.push(problem(field("due_on"), "problem.required_ymd", vec![]));
                }
                refuse(&mut problems, "term_days", d.term_days.is_some());
                refuse(
                    &mut problems,
                    "acceptance_days",
                    d.acceptance_days.is_some(),
                );
                refuse(&mut problems, "warranty_days", d.warranty_days.is_some());
                if ctx.payer == Payer::Agency {
                    problems.push(problem(
                        field("runs_from"),
                        "problem.fixed_date_agency",
                        vec![(
                            "source",
                            regime.map_or_else(String::new, |r| r.agency.source.clone()),
                        )],
                    ));
                }
            }
            trigger => {
                refuse(&mut problems, "due_on", d.due_on.is_some());
                let acceptance = matches!(trigger, Trigger::Acceptance | Trigger::WarrantyEnd);
                if acceptance {
                    needs(&mut problems, "acceptance_days", d.acceptance_days);
                } else {
                    refuse(
                        &mut problems,
                        "acceptance_days",
                        d.acceptance_days.is_some(),
                    );
                }
                if trigger == Trigger::WarrantyEnd {
                    needs(&mut problems, "warranty_days", d.warranty_days);
                } else {
                    refuse(&mut problems, "warranty_days", d.warranty_days.is_some());
                }
                if let (Some(r), Some(days)) = (regime, d.acceptance_days) {
                    let max = r.acceptance.max_days.of(ctx.category);
                    if acceptance && days > max {
                        problems.push(problem(
                            field("acceptance_days"),
                            "problem.acceptance_days_over",
                            vec![
                                ("max", max.to_string()),
                                ("source", r.acceptance.source.clone()),
                            ],
                        ));
                    }
                }
                term_days = term_days.or(payer_terms.and_then(|p| p.default_days));
                match (
                    term_days,
                    payer_terms.and_then(|p| p.max_days.map(|m| (m, p))),
                ) {
                    (None, _) => needs(&mut problems, "term_days", None),
                    (Some(days), Some((max, p))) if days > max => problems.push(problem(
                        field("term_days"),
                        "problem.term_over",
                        vec![("max", max.to_string()), ("source", p.source.clone())],
                    )),
                    _ => {}
                }
            }
        }
        fixed.push(InstalmentTerms {
            trigger: d.trigger,
            term_days,
            acceptance_days: d.acceptance_days,
            warranty_days: d.warranty_days,
            due_on: d.due_on,
        });
    }
    let total: i64 = drafts.iter().map(|d| d.amount_fen.max(0)).sum();
    if !drafts.is_empty() && total != ctx.total_fen {
        problems.push(problem(
            "instalments".into(),
            "problem.instalments_total",
            vec![
                ("total", crate::domain::Fen(total).to_string()),
                ("expected", crate::domain::Fen(ctx.total_fen).to_string()),
            ],
        ));
    }
    if let Some(r) = ctx.terms.regime_on(ctx.signed_on) {
        // The retention cap holds whoever pays: it is a rule of the deposit, not of the payer.
        let max_pct = r.retention.max_pct.of(ctx.category);
        let retained: i64 = drafts
            .iter()
            .filter(|d| d.kind == InstalmentKind::Retention)
            .map(|d| d.amount_fen.max(0))
            .sum();
        // retained / total > max_pct / 100, in integers.
        if i128::from(retained) * 100 > i128::from(ctx.total_fen) * i128::from(max_pct) {
            let first = drafts
                .iter()
                .position(|d| d.kind == InstalmentKind::Retention)
                .unwrap_or(0);
            problems.push(problem(
                format!("instalments[{first}].amount"),
                "problem.retention_over",
                vec![
                    ("max_pct", max_pct.to_string()),
                    ("source", r.retention.source.clone()),
                ],
            ));
        }
    }
    if problems.is_empty() {
        Ok(fixed)
    } else {
        Err(problems)
    }
}

/// A back-to-back trigger word: refused for every payer, citing what voids it where the
/// regulation binds (ours elsewhere: an agency is paid by no third party, and an SME prime's
/// subcontractor deserves no less).
pub fn back_to_back(ctx: &ScheduleContext<'_>, index: usize) -> Problem {
    let source = ctx
        .terms
        .regime_on(ctx.signed_on)
        .and_then(|r| r.large_firm.back_to_back_source.clone())
        .unwrap_or_default();
    problem(
        format!("instalments[{index}].runs_from"),
        "problem.back_to_back",
        vec![("source", source)],
    )
}

/// Parses an annual or daily percentage with up to 4 decimals into percent × 10⁴.
pub fn parse_pct_e4(text: &str) -> Result<i64, DecimalError> {
    let v = parse_scaled(text, 4)?;
    if v < 0 {
        Err(DecimalError::Negative)
    } else if v == 0 {
        Err(DecimalError::NotPositive)
    } else {
        Ok(v)
    }
}

#[cfg(test)]
#[path = "payments/tests.rs"]
mod tests;
