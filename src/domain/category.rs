//! 政府采购品目分类目录 codes: `A` (goods, 货物), `B` (works, 工程) or `C` (services, 服务)
//! followed by an even number of digits, 0 to 10 — one pair per level (`A02`, `A020101`, `C16`).
//! We check the shape and ship the three top levels; the finer levels belong to the catalogue
//! the Ministry of Finance publishes and are not invented here.

use std::fmt;

/// The top levels of the catalogue: code, Chinese name, English name.
pub const TOP_LEVELS: [(&str, &str, &str); 3] = [
    ("A", "货物", "goods"),
    ("B", "工程", "works"),
    ("C", "服务", "services"),
];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CategoryCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a category code (品目): A, B or C followed by 0–10 digits in pairs (A02, A020101, C16)")]
pub struct CategoryError(pub String);

impl CategoryCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A (goods), B (works) or C (services).
    pub fn top_level(&self) -> char {
        self.0.chars().next().unwrap_or('A')
    }
}

/// Checks the shape of a full code or of a prefix used in a filter (the same shape).
impl std::str::FromStr for CategoryCode {
    type Err = CategoryError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = s.as_bytes();
        let ok = matches!(bytes.first(), Some(b'A' | b'B' | b'C'))
            && (bytes.len() - 1).is_multiple_of(2)
            && bytes.len() <= 11
            && bytes[1..].iter().all(u8::is_ascii_digit);
        if ok {
            Ok(CategoryCode(s.to_string()))
        } else {
            Err(CategoryError(s.to_string()))
        }
    }
}

impl fmt::Display for CategoryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The smallest string greater than every string that starts with `prefix`, for a range scan
/// `prefix <= x < bound` over codes made of ASCII digits and capital letters; `None` when no
/// bound is needed. Carries like an odometer so that the bound is itself a digit/letter string
/// and orders the same under any collation (`A09` → `A1`, `659` → `66`, `C99` → `D`).
pub fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut bytes = prefix.as_bytes().to_vec();
    while let Some(last) = bytes.pop() {
        match last {
            b'0'..=b'8' | b'A'..=b'Y' => {
                bytes.push(last + 1);
                return String::from_utf8(bytes).ok();
            }
            // '9' and 'Z' carry into the character before.
            _ => continue,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        for good in ["A", "A02", "A020101", "C16", "B0101010101"] {
            assert!(good.parse::<CategoryCode>().is_ok(), "{good}");
        }
        for bad in ["", "D01", "A0", "A123", "a02", "A02010101010", "A0x"] {
            assert!(bad.parse::<CategoryCode>().is_err(), "{bad}");
        }
    }

    #[test]
    fn upper_bounds() {
        assert_eq!(prefix_upper_bound("A02").as_deref(), Some("A03"));
        assert_eq!(prefix_upper_bound("A09").as_deref(), Some("A1"));
        assert_eq!(prefix_upper_bound("C99").as_deref(), Some("D"));
        assert_eq!(prefix_upper_bound("659").as_deref(), Some("66"));
        assert_eq!(prefix_upper_bound("99"), None);
        // Every code under the prefix sorts below the bound, the next sibling does not.
        assert!("A0999999" < prefix_upper_bound("A09").unwrap().as_str());
        assert!("A1" >= prefix_upper_bound("A09").unwrap().as_str());
    }
}
