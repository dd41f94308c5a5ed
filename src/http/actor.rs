//! The caller of a request as the use cases see it.

use crate::domain::role::Role;
use crate::error::{Error, Result};
use crate::http::access::{AuthUser, Caller};
use crate::service::catalogue::Actor as CatalogueActor;
use crate::service::procurement::Actor;

/// The caller as a procurement actor.
pub fn actor(caller: &Caller) -> Actor<'_> {
    let Some(u) = caller.0.as_ref() else {
        return Actor::Public;
    };
    match u.role {
        Role::Admin => Actor::Admin {
            user_id: &u.user.id,
        },
        Role::Auditor => Actor::Auditor,
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

/// The caller as a catalogue writer.
pub fn catalogue_actor(user: &AuthUser) -> Result<CatalogueActor<'_>> {
    match (user.role, user.user.enterprise_id.as_deref()) {
        (Role::Admin, _) => Ok(CatalogueActor::Admin),
        (Role::Supplier, Some(enterprise_id)) => Ok(CatalogueActor::Supplier { enterprise_id }),
        _ => Err(Error::Forbidden(
            "only admins and suppliers with an enterprise manage products".into(),
        )),
    }
}
