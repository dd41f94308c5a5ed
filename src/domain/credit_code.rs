//! Unified social credit code (统一社会信用代码, GB 32100-2015).

use super::region::RegionCode;
use std::fmt;
use std::str::FromStr;

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// An 18-character code whose check character (the 18th) is correct.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CreditCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidCreditCode {
    #[error("must be 18 characters, got {0}")]
    Length(usize),
    #[error(
        "character {position} ({found:?}) is not allowed: use 0-9 and A-Y without I, O, S, V, Z"
    )]
    Character { position: usize, found: char },
    #[error("check character is {found:?} but the first 17 characters require {expected:?}")]
    Check { expected: char, found: char },
    #[error("characters 3-8 ({0}) are not a GB/T 2260 region code")]
    Region(String),
}

fn value_of(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|i| i as u32)
}

/// The check character for the first 17 characters (each already in the alphabet).
fn check_character(values: &[u32]) -> char {
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let check = (31 - sum % 31) % 31;
    ALPHABET[check as usize] as char
}

impl CreditCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Characters 3–8: the registering authority's region (登记管理机关行政区划码).
    pub fn region(&self) -> Result<RegionCode, InvalidCreditCode> {
        let area = &self.0[2..8];
        area.parse()
            .map_err(|_| InvalidCreditCode::Region(area.to_string()))
    }
}

impl FromStr for CreditCode {
    type Err = InvalidCreditCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let chars: Vec<char> = s.chars().collect();
        if chars.len() != 18 {
            return Err(InvalidCreditCode::Length(chars.len()));
        }
        let mut values = [0u32; 18];
        for (i, &c) in chars.iter().enumerate() {
            values[i] =
                u8::try_from(c)
                    .ok()
                    .and_then(value_of)
                    .ok_or(InvalidCreditCode::Character {
                        position: i + 1,
                        found: c,
                    })?;
        }
        let expected = check_character(&values[..17]);
        if chars[17] != expected {
            return Err(InvalidCreditCode::Check {
                expected,
                found: chars[17],
            });
        }
        let code = CreditCode(s.to_string());
        code.region()?;
        Ok(code)
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Completes a 17-character prefix with its check character (for tests, demo data and tools).
pub fn with_check_character(first17: &str) -> Option<String> {
    let values: Option<Vec<u32>> = first17.bytes().map(value_of).collect();
    let values = values.filter(|v| v.len() == 17)?;
    Some(format!("{first17}{}", check_character(&values)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_policy_example_and_reads_its_region() {
        let code: CreditCode = "91653100000000019P".parse().unwrap();
        assert_eq!(code.region().unwrap().as_str(), "653100");
    }

    #[test]
    fn rejects_with_the_reason() {
        assert_eq!(
            "91653100000000019Q".parse::<CreditCode>(),
            Err(InvalidCreditCode::Check {
                expected: 'P',
                found: 'Q'
            })
        );
        assert_eq!(
            "9165310000000001".parse::<CreditCode>(),
            Err(InvalidCreditCode::Length(16))
        );
        assert!(matches!(
            "91653100000000I19P".parse::<CreditCode>(),
            Err(InvalidCreditCode::Character { position: 15, .. })
        ));
    }

    #[test]
    fn check_character_round_trips() {
        let full = with_check_character("91653100000000019").unwrap();
        assert_eq!(full, "91653100000000019P");
        let other = with_check_character("91110108MA0000001").unwrap();
        assert!(other.parse::<CreditCode>().is_ok());
    }
}
