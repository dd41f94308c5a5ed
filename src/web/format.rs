//! How pages show amounts, times and codes: 元 with thousands separators, Beijing time
//! (Asia/Shanghai has had no daylight saving since 1991: UTC+8 all year), names for codes.

use crate::domain::messages::{label, Lang};
use chrono::{DateTime, FixedOffset, Utc};

/// `"1234567.5"` → `"1,234,567.50 元"`; text that is not a decimal is shown as it is.
pub fn money(yuan: &str) -> String {
    let yuan = yuan.trim();
    let (sign, digits) = match yuan.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", yuan),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return yuan.to_string();
    }
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let frac = format!("{frac:0<2}");
    format!("{sign}{grouped}.{frac} 元")
}

pub fn beijing_offset() -> FixedOffset {
    crate::domain::beijing::offset()
}

/// Beijing wall time, `2026-03-20 09:30`.
pub fn beijing(t: &DateTime<Utc>) -> String {
    crate::domain::beijing::minute_of(t.naive_utc())
}

/// An enterprise scale's name, from the message catalogue.
pub fn scale(en: bool, s: &str) -> String {
    label(Lang::of(en), "scale", s)
}

/// A project, lot, bid or declaration state's name, from the message catalogue.
pub fn state(en: bool, s: &str) -> String {
    label(Lang::of(en), "state", s)
}

/// An industry of the 300号 table: its Chinese name from the size standard, or in English its
/// code in words (`software_and_it` → software and it).
pub fn industry(en: bool, code: &str) -> String {
    if en {
        return code.replace('_', " ");
    }
    crate::domain::policy::size_standard()
        .industries
        .get(code)
        .map_or_else(|| code.to_string(), |i| i.name_zh.clone())
}

pub fn notice_kind(en: bool, k: &str) -> String {
    label(Lang::of(en), "notice", k)
}

pub fn category(en: bool, c: &str) -> String {
    label(Lang::of(en), "category", c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_groups_thousands_and_keeps_fen() {
        assert_eq!(money("1234567.5"), "1,234,567.50 元");
        assert_eq!(money("980000.00"), "980,000.00 元");
        assert_eq!(money("12"), "12.00 元");
        assert_eq!(money("-1000.10"), "-1,000.10 元");
        assert_eq!(money("n/a"), "n/a");
    }

    #[test]
    fn beijing_is_utc_plus_eight_across_midnight() {
        let t = DateTime::parse_from_rfc3339("2026-03-19T17:30:00Z")
            .expect("time")
            .with_timezone(&Utc);
        assert_eq!(beijing(&t), "2026-03-20 01:30");
    }
}
