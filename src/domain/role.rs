//! Who may do what: the four roles of DESIGN.md (anonymous callers have none).

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
    /// 财政 (finance): reads everything, changes nothing.
    Auditor,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Agency, Role::Supplier, Role::Auditor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Agency => "agency",
            Role::Supplier => "supplier",
            Role::Auditor => "auditor",
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
                format!("unknown role {s:?}; expected admin, agency, supplier or auditor")
            })
    }
}
