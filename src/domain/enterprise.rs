//! An enterprise's effective scale: its classified scale, unless it is tied to a large firm
//! (财库〔2020〕46号 Art. 2), in which case it is not an SME whatever its figures.

use super::Scale;
use std::fmt;
use std::str::FromStr;

/// How a firm is tied to a large firm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LargeFirmRelation {
    /// 大企业的分支机构
    Branch,
    /// 大企业直接控股
    Controlled,
    /// 与大企业的负责人为同一人
    SharedResponsiblePerson,
}

impl LargeFirmRelation {
    pub const ALL: [LargeFirmRelation; 3] = [
        LargeFirmRelation::Branch,
        LargeFirmRelation::Controlled,
        LargeFirmRelation::SharedResponsiblePerson,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LargeFirmRelation::Branch => "branch",
            LargeFirmRelation::Controlled => "controlled",
            LargeFirmRelation::SharedResponsiblePerson => "shared_responsible_person",
        }
    }
}

impl fmt::Display for LargeFirmRelation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LargeFirmRelation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| {
            format!("unknown relation {s:?}; expected branch, controlled or shared_responsible_person")
        })
    }
}

/// The scale the rules use: large for a firm tied to a large firm, else the classified scale.
pub fn effective_scale(classified: Scale, relation: Option<LargeFirmRelation>) -> Scale {
    match relation {
        Some(_) => Scale::Large,
        None => classified,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_firm_tied_to_a_large_firm_is_not_an_sme() {
        assert_eq!(effective_scale(Scale::Micro, None), Scale::Micro);
        for r in LargeFirmRelation::ALL {
            assert_eq!(effective_scale(Scale::Micro, Some(r)), Scale::Large);
            assert_eq!(r.as_str().parse::<LargeFirmRelation>(), Ok(r));
        }
    }
}
