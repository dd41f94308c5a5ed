//! The reserved-share rule of the ledger (预留份额): a department with a budget plan meets its
//! year when the contracts awarded to SMEs reach the reserved target and those awarded to
//! small/micro firms reach theirs (seed 四.(十三); 财库〔2020〕46号 Art. 8 for the national
//! shares). Without a plan there is nothing to meet.

use super::decimal::div_round_half_up;
use super::{Fen, Hundredths};

/// A department's (or a supervising unit's) figures for one year.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    pub plans: usize,
    pub budget: Fen,
    pub reserved_target: Fen,
    pub small_micro_target: Fen,
    /// Contracted to SMEs (as the credit rules count them).
    pub sme: Fen,
    pub small_micro: Fen,
}

/// The ledger's verdict on a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    NoPlan,
    Met,
    Missed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::NoPlan => "no_plan",
            Status::Met => "met",
            Status::Missed => "missed",
        }
    }
}

/// Why a year is missed: each target not reached, with its figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortfall {
    /// SME awards below the reserved target (which is `target_pct` % of the budget).
    Sme {
        awarded: Fen,
        target: Fen,
        target_pct: Hundredths,
        budget: Fen,
    },
    /// Small/micro awards below their target.
    SmallMicro { awarded: Fen, target: Fen },
}

/// `n ÷ d` in percent, half up to the hundredth; `None` when `d` is zero.
pub fn ratio(n: Fen, d: Fen) -> Option<Hundredths> {
    (d.0 > 0)
        .then(|| Hundredths(div_round_half_up(i128::from(n.0) * 10_000, i128::from(d.0)) as i64))
}

/// The verdict and every shortfall, in the order the ledger lists them.
pub fn assess(f: &Figures) -> (Status, Vec<Shortfall>) {
    if f.plans == 0 {
        return (Status::NoPlan, Vec::new());
    }
    let mut short = Vec::new();
    if f.sme < f.reserved_target {
        short.push(Shortfall::Sme {
            awarded: f.sme,
            target: f.reserved_target,
            target_pct: ratio(f.reserved_target, f.budget).unwrap_or_default(),
            budget: f.budget,
        });
    }
    if f.small_micro < f.small_micro_target {
        short.push(Shortfall::SmallMicro {
            awarded: f.small_micro,
            target: f.small_micro_target,
        });
    }
    let status = if short.is_empty() {
        Status::Met
    } else {
        Status::Missed
    };
    (status, short)
}

#[cfg(test)]
#[allow(clippy::inconsistent_digit_grouping)] // fen: yuan_yuan_fen reads best
mod tests {
    use super::*;

    fn figures(plans: usize, sme: i64, small_micro: i64) -> Figures {
        Figures {
            plans,
            budget: Fen(1_000_000_00),
            reserved_target: Fen(300_000_00),
            small_micro_target: Fen(210_000_00),
            sme: Fen(sme),
            small_micro: Fen(small_micro),
        }
    }

    #[test]
    fn a_year_is_met_only_when_both_targets_are_reached() {
        use Status::*;
        let cases = [
            // (plans, SME awards, small/micro awards) → status, shortfalls
            (0, 0, 0, NoPlan, 0),
            (0, 900_000_00, 900_000_00, NoPlan, 0),
            (1, 300_000_00, 210_000_00, Met, 0),
            (2, 500_000_00, 400_000_00, Met, 0),
            (1, 299_999_99, 210_000_00, Missed, 1),
            (1, 300_000_00, 209_999_99, Missed, 1),
            (1, 0, 0, Missed, 2),
        ];
        for (plans, sme, sm, want, n) in cases {
            let (status, short) = assess(&figures(plans, sme, sm));
            assert_eq!((status, short.len()), (want, n), "{plans} {sme} {sm}");
        }
        let (_, short) = assess(&figures(1, 100_00, 300_000_00));
        assert_eq!(
            short,
            [Shortfall::Sme {
                awarded: Fen(100_00),
                target: Fen(300_000_00),
                target_pct: Hundredths(30_00),
                budget: Fen(1_000_000_00),
            }]
        );
    }

    #[test]
    fn ratios_round_half_up_and_need_a_denominator() {
        assert_eq!(ratio(Fen(1), Fen(3)), Some(Hundredths(33_33)));
        assert_eq!(ratio(Fen(2), Fen(3)), Some(Hundredths(66_67)));
        assert_eq!(ratio(Fen(1), Fen(0)), None);
    }
}
