//! Exact fixed-point numbers for money (fen) and for scores and percentages (hundredths).
//!
//! Nothing here ever goes through `f64`: inputs are parsed from decimal text and every division
//! is done on integers with explicit half-up rounding, so the same input always gives the same
//! digits on every machine.

use std::fmt;
use std::str::FromStr;

/// Why a decimal text was refused. The caller adds the field name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("must be a decimal number such as \"1200.50\"")]
    NotANumber,
    #[error("must have at most {0} decimal places")]
    TooManyDecimals(u32),
    #[error("must not be negative")]
    Negative,
    #[error("must be greater than zero")]
    NotPositive,
    #[error("is too large")]
    TooLarge,
}

/// Parses plain decimal text (`"12"`, `"12.5"`, `"-0.25"`) into an integer count of
/// `10^-places` units. No exponents, no thousands separators, no leading `+`.
pub fn parse_scaled(text: &str, places: u32) -> Result<i64, DecimalError> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int_part, frac_part) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int_part.is_empty() || !digits_ok(int_part) || !digits_ok(frac_part) {
        return Err(DecimalError::NotANumber);
    }
    if body.contains('.') && frac_part.is_empty() {
        return Err(DecimalError::NotANumber);
    }
    if frac_part.len() > places as usize {
        return Err(DecimalError::TooManyDecimals(places));
    }
    let mut value: i64 = 0;
    for b in int_part.bytes().chain(frac_part.bytes()) {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(b - b'0')))
            .ok_or(DecimalError::TooLarge)?;
    }
    for _ in frac_part.len()..places as usize {
        value = value.checked_mul(10).ok_or(DecimalError::TooLarge)?;
    }
    Ok(if negative { -value } else { value })
}

/// Writes `value × 10^-places` with exactly `places` decimals.
pub fn format_scaled(value: i64, places: u32, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let unit = 10_i64.pow(places);
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.unsigned_abs();
    let unit = unit as u64;
    if places == 0 {
        write!(f, "{sign}{abs}")
    } else {
        write!(
            f,
            "{sign}{}.{:0width$}",
            abs / unit,
            abs % unit,
            width = places as usize
        )
    }
}

/// `numerator / denominator` rounded half away from zero (四舍五入). `denominator` must be positive.
pub fn div_round_half_up(numerator: i128, denominator: i128) -> i128 {
    debug_assert!(denominator > 0);
    let quotient = numerator / denominator;
    let remainder = numerator % denominator;
    if 2 * remainder.abs() >= denominator {
        quotient + numerator.signum()
    } else {
        quotient
    }
}

/// A money amount in fen (分, 0.01 yuan). Storage and arithmetic are integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Fen(pub i64);

impl Fen {
    /// Parses a yuan amount with 0–2 decimals (`"980000"`, `"905000.50"`).
    pub fn parse_yuan(text: &str) -> Result<Self, DecimalError> {
        parse_scaled(text, 2).map(Fen)
    }

    /// Parses a strictly positive yuan amount.
    pub fn parse_positive_yuan(text: &str) -> Result<Self, DecimalError> {
        let fen = Self::parse_yuan(text)?;
        if fen.0 < 0 {
            Err(DecimalError::Negative)
        } else if fen.0 == 0 {
            Err(DecimalError::NotPositive)
        } else {
            Ok(fen)
        }
    }
}

impl fmt::Display for Fen {
    /// Yuan with two decimals, as CONTRACTS.md shows amounts: `980000.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        format_scaled(self.0, 2, f)
    }
}

/// A non-money quantity with two decimals: a score (points) or a percentage.
/// `Hundredths(8_50)` is 8.50.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hundredths(pub i64);

impl Hundredths {
    pub const ZERO: Hundredths = Hundredths(0);

    pub const fn whole(units: i64) -> Self {
        Hundredths(units * 100)
    }

    /// True when there is no fractional part (so it can be shown as an integer).
    pub fn is_whole(self) -> bool {
        self.0 % 100 == 0
    }
}

impl FromStr for Hundredths {
    type Err = DecimalError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_scaled(text, 2).map(Hundredths)
    }
}

/// A rate in percent with four decimals: `E4(34500)` is 3.45 %. Shown with at least two
/// decimals and no trailing zeros beyond them (`3.45`, `0.05`, `3.125`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct E4(pub i64);

impl fmt::Display for E4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let full = format!("{}", Scaled(self.0, 4));
        let trimmed = full.trim_end_matches('0');
        let keep = full.find('.').map_or(full.len(), |dot| dot + 3);
        f.write_str(&full[..trimmed.len().max(keep)])
    }
}

struct Scaled(i64, u32);

impl fmt::Display for Scaled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        format_scaled(self.0, self.1, f)
    }
}

impl fmt::Display for Hundredths {
    /// Always two decimals: `87.50`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        format_scaled(self.0, 2, f)
    }
}

impl Hundredths {
    /// The shortest decimal text: `8`, `7.5`, `0.25` — for percentages and inputs echoed back.
    pub fn to_short_string(self) -> String {
        self.short().to_string()
    }

    /// Displays as the shortest decimal text without allocating.
    pub fn short(self) -> Short {
        Short(self)
    }
}

/// [`Hundredths`] shown without trailing zeros (`8`, `7.5`).
#[derive(Debug, Clone, Copy)]
pub struct Short(Hundredths);

impl fmt::Display for Short {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0 .0;
        let sign = if v < 0 { "-" } else { "" };
        let (whole, frac) = (v.unsigned_abs() / 100, v.unsigned_abs() % 100);
        match frac {
            0 => write!(f, "{sign}{whole}"),
            f10 if f10 % 10 == 0 => write!(f, "{sign}{whole}.{}", f10 / 10),
            _ => write!(f, "{sign}{whole}.{frac:02}"),
        }
    }
}

impl std::ops::Add for Hundredths {
    type Output = Hundredths;
    fn add(self, rhs: Self) -> Self {
        Hundredths(self.0 + rhs.0)
    }
}

impl std::ops::Sub for Hundredths {
    type Output = Hundredths;
    fn sub(self, rhs: Self) -> Self {
        Hundredths(self.0 - rhs.0)
    }
}

impl std::iter::Sum for Hundredths {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        Hundredths(iter.map(|h| h.0).sum())
    }
}

/// Percentages and scores arrive as JSON/TOML numbers (`8`, `42.5`) or decimal strings (`"42.5"`).
/// A float is only a carrier here: its shortest round-trip text is parsed exactly, so `0.1`
/// stays 0.1, and anything with more than two decimals is refused.
impl<'de> serde::Deserialize<'de> for Hundredths {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Hundredths;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number with at most two decimals")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Hundredths, E> {
                i64::try_from(v)
                    .ok()
                    .and_then(|v| v.checked_mul(100))
                    .map(Hundredths)
                    .ok_or_else(|| E::custom("number is too large"))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Hundredths, E> {
                v.checked_mul(100)
                    .map(Hundredths)
                    .ok_or_else(|| E::custom("number is too large"))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Hundredths, E> {
                if !v.is_finite() || v.abs() >= 1e15 {
                    return Err(E::custom("number is out of range"));
                }
                // The nearest double to k/100 is exactly what a text with at most two decimals
                // parses to; anything else had more decimals. No arithmetic is kept from the float.
                let k = (v * 100.0).round();
                if k / 100.0 == v {
                    Ok(Hundredths(k as i64))
                } else {
                    Err(E::custom(format!("{v} must have at most 2 decimal places")))
                }
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Hundredths, E> {
                v.parse::<Hundredths>()
                    .map_err(|e| E::custom(format!("{v:?} {e}")))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// Written as a JSON number: `8`, `7.5`. Integers stay integers; a fraction goes out through
/// its shortest decimal text, so the digits shown are exactly the stored ones.
impl serde::Serialize for Hundredths {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.is_whole() {
            serializer.serialize_i64(self.0 / 100)
        } else {
            let shown: f64 = self.to_short_string().parse().unwrap_or_default();
            serializer.serialize_f64(shown)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_show_at_least_two_decimals_and_no_more_zeros() {
        for (v, text) in [
            (34500, "3.45"),
            (500, "0.05"),
            (31250, "3.125"),
            (30000, "3.00"),
            (1, "0.0001"),
        ] {
            assert_eq!(E4(v).to_string(), text);
        }
    }

    #[test]
    fn parses_yuan_with_up_to_two_decimals() {
        assert_eq!(Fen::parse_yuan("980000"), Ok(Fen(98_000_000)));
        assert_eq!(Fen::parse_yuan("905000.5"), Ok(Fen(90_500_050)));
        assert_eq!(Fen::parse_yuan("905000.50"), Ok(Fen(90_500_050)));
        assert_eq!(Fen::parse_yuan("0.01"), Ok(Fen(1)));
        assert_eq!(
            Fen::parse_yuan("1.005"),
            Err(DecimalError::TooManyDecimals(2))
        );
        for bad in ["", "1.", ".5", "1e5", "+1", "1,000", "12a", "--1", " 1"] {
            assert_eq!(Fen::parse_yuan(bad), Err(DecimalError::NotANumber), "{bad}");
        }
        assert_eq!(Fen::parse_positive_yuan("-1"), Err(DecimalError::Negative));
        assert_eq!(
            Fen::parse_positive_yuan("0.00"),
            Err(DecimalError::NotPositive)
        );
        assert_eq!(
            Fen::parse_yuan("99999999999999999999"),
            Err(DecimalError::TooLarge)
        );
    }

    #[test]
    fn formats_with_two_decimals() {
        assert_eq!(Fen(90_500_050).to_string(), "905000.50");
        assert_eq!(Fen(5).to_string(), "0.05");
        assert_eq!(Hundredths(-150).to_string(), "-1.50");
        assert_eq!(Hundredths(750).to_short_string(), "7.5");
        assert_eq!(Hundredths(800).to_short_string(), "8");
        assert_eq!(Hundredths(25).to_short_string(), "0.25");
        assert_eq!(Hundredths(-5).to_short_string(), "-0.05");
        assert_eq!(Hundredths(4250).to_short_string(), "42.5");
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(div_round_half_up(5, 10), 1);
        assert_eq!(div_round_half_up(4, 10), 0);
        assert_eq!(div_round_half_up(15, 10), 2);
        assert_eq!(div_round_half_up(-15, 10), -2);
        assert_eq!(div_round_half_up(2989, 100), 30);
    }

    #[test]
    fn numbers_with_two_decimals_parse_exactly() {
        let parse = |json: &str| serde_json::from_str::<Hundredths>(json);
        assert_eq!(parse("42.5").unwrap(), Hundredths(4250));
        assert_eq!(parse("0.29").unwrap(), Hundredths(29));
        assert_eq!(parse("0.07").unwrap(), Hundredths(7));
        assert_eq!(parse("99.99").unwrap(), Hundredths(9999));
        assert_eq!(parse("-1.1").unwrap(), Hundredths(-110));
        assert_eq!(parse("8").unwrap(), Hundredths(800));
        assert_eq!(parse("\"7.25\"").unwrap(), Hundredths(725));
        assert!(parse("0.125").is_err());
        assert!(parse("1e300").is_err());
        for k in 0..100_000 {
            let text = format!("{}.{:02}", k / 100, k % 100);
            assert_eq!(parse(&text).unwrap(), Hundredths(k), "{text}");
        }
    }
}
