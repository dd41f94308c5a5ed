//! Who is acting: the one view of the caller every use case takes (the HTTP layer builds it
//! from the session or token, the CLI acts as [`Actor::Cli`]).

use crate::db::procurement::Project;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor<'a> {
    /// Anyone, logged in or not, without a role that widens the view.
    Public,
    /// The operator at the server's command line: an admin, named `cli` in the audit log.
    Cli,
    Admin {
        user_id: &'a str,
    },
    /// 审计/财政: reads everything an admin reads, writes nothing (but may hold a lot's key
    /// share as the supervisor, 监督人).
    Auditor {
        user_id: &'a str,
    },
    /// 财政部门: reads what auditors read; rules on complaints, records debarments, keeps the
    /// budget plans (may hold a key share too).
    Finance {
        user_id: &'a str,
    },
    /// An agency user: its own agency's projects.
    Agency {
        agency_id: &'a str,
        user_id: &'a str,
    },
    /// A supplier user: its own enterprise's products and bids.
    Supplier {
        enterprise_id: &'a str,
        user_id: &'a str,
    },
}

impl<'a> Actor<'a> {
    /// An admin, a user or the command line.
    pub fn is_admin(&self) -> bool {
        matches!(self, Actor::Admin { .. } | Actor::Cli)
    }

    /// May read this project's non-public records (drafts, bids after opening, runs)?
    pub fn is_staff_of(&self, project: &Project) -> bool {
        match self {
            Actor::Admin { .. } | Actor::Cli | Actor::Auditor { .. } | Actor::Finance { .. } => {
                true
            }
            Actor::Agency { agency_id, .. } => *agency_id == project.agency_id,
            Actor::Public | Actor::Supplier { .. } => false,
        }
    }

    /// May change this project (its agency, or an admin)?
    pub fn manages(&self, project: &Project) -> bool {
        match self {
            Actor::Admin { .. } | Actor::Cli => true,
            Actor::Agency { agency_id, .. } => *agency_id == project.agency_id,
            _ => false,
        }
    }

    /// The finance department (or the command line, which may do anything).
    pub fn is_finance(&self) -> bool {
        matches!(self, Actor::Finance { .. } | Actor::Cli)
    }

    /// The supplier's enterprise, for a supplier.
    pub fn enterprise_id(&self) -> Option<&'a str> {
        match self {
            Actor::Supplier { enterprise_id, .. } => Some(enterprise_id),
            _ => None,
        }
    }

    /// Who the audit log names: the user's id, `cli` for the command line, `anonymous` for the
    /// public (which changes nothing).
    pub fn audit_id(&self) -> &'a str {
        match self {
            Actor::Cli => crate::service::audit::CLI,
            _ => self.user_id().unwrap_or("anonymous"),
        }
    }

    /// The logged-in user, if any.
    pub fn user_id(&self) -> Option<&'a str> {
        match self {
            Actor::Admin { user_id }
            | Actor::Auditor { user_id }
            | Actor::Finance { user_id }
            | Actor::Agency { user_id, .. }
            | Actor::Supplier { user_id, .. } => Some(user_id),
            _ => None,
        }
    }
}
