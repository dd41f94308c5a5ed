//! How pages show amounts, times and codes: 元 with thousands separators, Beijing time
//! (Asia/Shanghai has had no daylight saving since 1991: UTC+8 all year), names for codes.

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
    t.with_timezone(&beijing_offset())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

pub fn scale(en: bool, s: &str) -> String {
    let (zh, e) = match s {
        "micro" => ("微型企业", "micro"),
        "small" => ("小型企业", "small"),
        "medium" => ("中型企业", "medium"),
        "large" => ("大型企业", "large"),
        other => (other, other),
    };
    (if en { e } else { zh }).to_string()
}

pub fn state(en: bool, s: &str) -> String {
    let (zh, e) = match s {
        "draft" => ("草稿", "draft"),
        "published" => ("已发布·接受投标", "published · open for bids"),
        "closed" => ("投标截止·待开标", "closed · awaiting opening"),
        "opened" => ("已开标·评审中", "opened · under evaluation"),
        "evaluated" => ("已评审", "evaluated"),
        "awarded" => ("已定标", "awarded"),
        "failed" => ("废标", "failed"),
        "contracted" => ("已签合同", "contracted"),
        "open" => ("进行中", "open"),
        "submitted" => ("已递交", "submitted"),
        "withdrawn" => ("已撤回", "withdrawn"),
        "ranked" => ("已排序", "ranked"),
        "pending" => ("待审核", "pending"),
        "verified" => ("已核实", "verified"),
        "rejected" => ("已驳回", "rejected"),
        other => (other, other),
    };
    (if en { e } else { zh }).to_string()
}

pub fn notice_kind(en: bool, k: &str) -> String {
    let (zh, e) = match k {
        "procurement" => ("采购公告", "procurement notice"),
        "correction" => ("更正公告", "correction notice"),
        "result" => ("中标（成交）结果公告", "result notice"),
        "failure" => ("废标公告", "failure notice"),
        other => (other, other),
    };
    (if en { e } else { zh }).to_string()
}

pub fn category(en: bool, c: &str) -> String {
    let (zh, e) = match c {
        "goods" => ("货物", "goods"),
        "services" => ("服务", "services"),
        "works" => ("工程", "works"),
        other => (other, other),
    };
    (if en { e } else { zh }).to_string()
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
