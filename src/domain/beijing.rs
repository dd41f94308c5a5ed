//! China's civil time: UTC+8 all year (no daylight saving). Every day the rules speak of — a
//! declaration's date, a deadline's day, a payment's due day, a year of the ledger — is a
//! Beijing calendar day, whatever the server's zone; times are stored in UTC.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, Utc};

const OFFSET_SECONDS: i32 = 8 * 3600;

/// UTC+8.
pub fn offset() -> FixedOffset {
    FixedOffset::east_opt(OFFSET_SECONDS).unwrap_or_else(|| unreachable!("UTC+8 is valid"))
}

/// The Beijing calendar day of an instant stored as UTC.
pub fn day_of(utc: NaiveDateTime) -> NaiveDate {
    (utc + Duration::seconds(i64::from(OFFSET_SECONDS))).date()
}

/// The Beijing calendar day of an instant.
pub fn day_of_instant(t: DateTime<Utc>) -> NaiveDate {
    day_of(t.naive_utc())
}

/// The instant (UTC) a Beijing day begins.
pub fn start_of(day: NaiveDate) -> NaiveDateTime {
    day.and_time(chrono::NaiveTime::MIN) - Duration::seconds(i64::from(OFFSET_SECONDS))
}

/// Beijing wall time to the minute of an instant stored as UTC, `2026-03-20 09:30`, as pages
/// and refusals show it.
pub fn minute_of(utc: NaiveDateTime) -> String {
    (utc + Duration::seconds(i64::from(OFFSET_SECONDS)))
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn a_beijing_day_runs_from_16_00_utc_to_16_00_utc() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 20).unwrap();
        for (at, expected) in [
            ("2026-03-19 15:59:59", "2026-03-19"),
            ("2026-03-19 16:00:00", "2026-03-20"),
            ("2026-03-20 08:00:00", "2026-03-20"),
            ("2026-03-20 15:59:59", "2026-03-20"),
            ("2026-03-20 16:00:00", "2026-03-21"),
            ("2026-12-31 16:00:00", "2027-01-01"),
        ] {
            assert_eq!(day_of(utc(at)).to_string(), expected, "{at}");
        }
        assert_eq!(start_of(day), utc("2026-03-19 16:00:00"));
        assert_eq!(day_of(start_of(day)), day);
        assert_eq!(
            day_of(start_of(day) - Duration::seconds(1)),
            day.pred_opt().unwrap()
        );
    }
}
