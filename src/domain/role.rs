//! Who may do what: the roles of DESIGN.md, with the finance department (财政部门) beside the
//! auditors (anonymous callers have none).

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Runs the installation: accounts, organisations.
    Admin,
    /// 采购人 / 采购代理机构: bound to one agency.
    Agency,
    /// 供应商: bound to one enterprise.
    Supplier,
    /// 审计/财政监督: reads everything, changes nothing.
    Auditor,
    /// 财政部门 (the finance department): budget plans, complaint rulings, debarments, payment
    /// oversight; reads what auditors read.
    Finance,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Agency,
        Role::Supplier,
        Role::Auditor,
        Role::Finance,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Agency => "agency",
            Role::Supplier => "supplier",
            Role::Auditor => "auditor",
            Role::Finance => "finance",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!("unknown role {s:?}; expected admin, agency, supplier, auditor or finance")
            })
    }
}
