//! Enterprise scale (企业规模) per 工信部联企业〔2011〕300号: micro < small < medium < large.

use std::fmt;
use std::str::FromStr;

/// 企业规模. Ordered, so `max` gives the larger of two scales.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scale {
    /// 微型企业
    Micro,
    /// 小型企业
    Small,
    /// 中型企业
    Medium,
    /// 大型企业
    Large,
}

impl Scale {
    pub const ALL: [Scale; 4] = [Scale::Micro, Scale::Small, Scale::Medium, Scale::Large];

    pub fn as_str(self) -> &'static str {
        match self {
            Scale::Micro => "micro",
            Scale::Small => "small",
            Scale::Medium => "medium",
            Scale::Large => "large",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Scale::Micro => "微型企业",
            Scale::Small => "小型企业",
            Scale::Medium => "中型企业",
            Scale::Large => "大型企业",
        }
    }

    /// 中小企业: micro, small or medium.
    pub fn is_sme(self) -> bool {
        self != Scale::Large
    }

    /// 小微企业: micro or small.
    pub fn is_small_micro(self) -> bool {
        matches!(self, Scale::Micro | Scale::Small)
    }
}

impl fmt::Display for Scale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scale {0:?}: expected one of micro, small, medium, large")]
pub struct UnknownScale(pub String);

impl FromStr for Scale {
    type Err = UnknownScale;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scale::ALL
            .into_iter()
            .find(|scale| scale.as_str() == s)
            .ok_or_else(|| UnknownScale(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_groups() {
        assert!(Scale::Micro < Scale::Small && Scale::Small < Scale::Medium);
        assert!(Scale::Medium < Scale::Large);
        assert!(Scale::Medium.is_sme() && !Scale::Medium.is_small_micro());
        assert!(!Scale::Large.is_sme());
        assert_eq!("small".parse::<Scale>(), Ok(Scale::Small));
        assert!("Small".parse::<Scale>().is_err());
    }
}
