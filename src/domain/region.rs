//! Administrative division codes (行政区划代码, GB/T 2260): six digits.

use std::fmt;
use std::str::FromStr;

/// A six-digit GB/T 2260 code such as `653101` (Kashgar city).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegionCode([u8; 6]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a six-digit GB/T 2260 region code such as \"653101\", got {0:?}")]
pub struct InvalidRegion(pub String);

impl RegionCode {
    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("000000")
    }

    /// True when the code starts with `prefix` (e.g. `"65"` for Xinjiang, `"6531"` for Kashgar).
    pub fn has_prefix(&self, prefix: &str) -> bool {
        self.as_str().starts_with(prefix)
    }

    /// True when the code starts with any of `prefixes`.
    pub fn in_any(&self, prefixes: &[String]) -> bool {
        prefixes.iter().any(|p| self.has_prefix(p))
    }
}

impl FromStr for RegionCode {
    type Err = InvalidRegion;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = s.as_bytes();
        if bytes.len() != 6 || !bytes.iter().all(u8::is_ascii_digit) || bytes[..2] == *b"00" {
            return Err(InvalidRegion(s.to_string()));
        }
        let mut code = [0u8; 6];
        code.copy_from_slice(bytes);
        Ok(RegionCode(code))
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The names smeproc knows: the provinces, and every prefecture and county of Xinjiang.
const NAMES: &str = include_str!("region/names.csv");

fn name_of_code(code: &str) -> Option<&'static str> {
    NAMES.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        l.split_once(',')
            .filter(|(c, _)| *c == code)
            .map(|(_, n)| n)
    })
}

/// A region's name for people: the county's (with its prefecture when both are known), else
/// the prefecture's or the province's with the code (`喀什地区喀什市`, `北京市（110105）`).
pub fn name(code: &str) -> String {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return code.to_string();
    }
    let prefecture = format!("{}00", &code[..4]);
    let province = format!("{}0000", &code[..2]);
    match (
        name_of_code(code),
        name_of_code(&prefecture).filter(|_| prefecture != code),
        name_of_code(&province),
    ) {
        (Some(n), Some(p), _) => format!("{p}{n}"),
        (Some(n), None, _) => n.to_string(),
        (None, Some(p), _) => format!("{p}（{code}）"),
        (None, None, Some(p)) => format!("{p}（{code}）"),
        (None, None, None) => code.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_six_digits_only() {
        let kashgar: RegionCode = "653101".parse().unwrap();
        assert!(kashgar.has_prefix("65") && kashgar.has_prefix("6531"));
        assert!(!kashgar.has_prefix("6532"));
        for bad in ["65310", "6531011", "65310a", "", "000000", "６５３１０１"] {
            assert!(bad.parse::<RegionCode>().is_err(), "{bad}");
        }
    }

    #[test]
    fn regions_are_named_as_people_read_them() {
        assert_eq!(name("650000"), "新疆维吾尔自治区");
        assert_eq!(name("653100"), "喀什地区");
        assert_eq!(name("653101"), "喀什地区喀什市");
        assert_eq!(name("650102"), "乌鲁木齐市天山区");
        assert_eq!(name("110105"), "北京市（110105）");
        assert_eq!(name("999999"), "999999");
        assert_eq!(name("abc"), "abc");
    }
}
