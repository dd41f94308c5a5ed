//! The caller of a request as the use cases see it.

use crate::domain::role::Role;
use crate::http::access::Caller;
use crate::service::Actor;

/// The caller as the use cases see it.
pub fn actor(caller: &Caller) -> Actor<'_> {
    let Some(u) = caller.0.as_ref() else {
        return Actor::Public;
    };
    match u.role {
        Role::Admin => Actor::Admin {
            user_id: &u.user.id,
        },
        Role::Auditor => Actor::Auditor {
            user_id: &u.user.id,
        },
        Role::Finance => Actor::Finance {
            user_id: &u.user.id,
        },
        Role::Agency => match u.user.agency_id.as_deref() {
            Some(agency_id) => Actor::Agency {
                agency_id,
                user_id: &u.user.id,
            },
            None => Actor::Public,
        },
        Role::Supplier => match u.user.enterprise_id.as_deref() {
            Some(enterprise_id) => Actor::Supplier {
                enterprise_id,
                user_id: &u.user.id,
            },
            None => Actor::Public,
        },
    }
}
