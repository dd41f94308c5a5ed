//! When a payment owed to an SME is late (seed 四.(十六)7: large firms may not hold back SMEs'
//! payments): unpaid after its due date (the Beijing day after), or paid after it.

use chrono::NaiveDate;

/// A payment's standing on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Standing {
    /// Not paid, and the due date is before `today`.
    pub late: bool,
    /// Paid after its due date.
    pub paid_late: bool,
    /// Reported paid, not yet confirmed by the SME.
    pub unconfirmed: bool,
}

/// The standing of a payment due on `due_on`, paid on `paid_on`, on the Beijing day `today`.
pub fn standing(
    due_on: NaiveDate,
    paid_on: Option<NaiveDate>,
    confirmed: bool,
    today: NaiveDate,
) -> Standing {
    Standing {
        late: paid_on.is_none() && due_on < today,
        paid_late: paid_on.is_some_and(|d| d > due_on),
        unconfirmed: paid_on.is_some() && !confirmed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, day).unwrap()
    }

    #[test]
    fn late_from_the_day_after_the_due_date() {
        let due = d(10);
        // (paid on, confirmed, today) → late, paid late, unconfirmed
        let cases = [
            (None, false, d(9), (false, false, false)),
            (None, false, d(10), (false, false, false)),
            (None, false, d(11), (true, false, false)),
            (Some(d(10)), false, d(20), (false, false, true)),
            (Some(d(10)), true, d(20), (false, false, false)),
            (Some(d(11)), true, d(20), (false, true, false)),
            (Some(d(12)), false, d(12), (false, true, true)),
        ];
        for (paid, confirmed, today, (late, paid_late, unconfirmed)) in cases {
            assert_eq!(
                standing(due, paid, confirmed, today),
                Standing {
                    late,
                    paid_late,
                    unconfirmed
                },
                "{paid:?} {confirmed} {today}"
            );
        }
    }
}
