//! Ownership first: on the routes that change one owner's record, a middleware checks that the
//! caller may change it — the project's agency, the bid's or product's supplier, the payment's
//! party — before the body is read, so a stranger learns 403 (or 404), never a report on a body
//! it had no business sending. The use cases check again inside their transactions.

use crate::domain::role::Role;
use crate::error::{Error, Result};
use crate::http::access::Caller;
use crate::http::state::AppState;
use crate::service::finance::PaymentParty;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};

/// What the `{id}` of a route names, and who may change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owned {
    Project,
    Lot,
    Bid,
    Product,
    Subcontract(PaymentParty),
    Payment(PaymentParty),
}

/// The routes whose `{id}` is checked before their handler runs.
pub const OWNED: &[(&str, &str, Owned)] = &[
    ("PUT", "/api/v1/projects/{id}", Owned::Project),
    ("PUT", "/api/v1/projects/{id}/key-holders", Owned::Project),
    ("POST", "/api/v1/projects/{id}/publish", Owned::Project),
    ("POST", "/api/v1/projects/{id}/corrections", Owned::Project),
    ("POST", "/api/v1/projects/{id}/result", Owned::Project),
    ("POST", "/api/v1/lots/{id}/qualification", Owned::Lot),
    ("POST", "/api/v1/lots/{id}/scores", Owned::Lot),
    ("POST", "/api/v1/lots/{id}/evaluate", Owned::Lot),
    ("POST", "/api/v1/lots/{id}/award", Owned::Lot),
    ("POST", "/api/v1/lots/{id}/contract", Owned::Lot),
    ("PUT", "/api/v1/bids/{id}", Owned::Bid),
    ("POST", "/api/v1/bids/{id}/withdraw", Owned::Bid),
    ("PATCH", "/api/v1/products/{id}", Owned::Product),
    (
        "POST",
        "/api/v1/subcontracts/{id}/payments",
        Owned::Subcontract(PaymentParty::Prime),
    ),
    (
        "POST",
        "/api/v1/payments/{id}/paid",
        Owned::Payment(PaymentParty::Prime),
    ),
    (
        "POST",
        "/api/v1/payments/{id}/confirm",
        Owned::Payment(PaymentParty::Subcontractor),
    ),
];

fn check(
    conn: &mut crate::service::Conn,
    keys: &crate::service::auth::keys::ServerKeys,
    caller: &Caller,
    owned: Owned,
    id: &str,
) -> Result<()> {
    let actor = crate::http::actor::actor(caller);
    let enterprise = || -> Result<String> {
        let user = caller.user()?;
        match (user.role, user.user.enterprise_id.as_deref()) {
            (Role::Supplier, Some(e)) => Ok(e.to_string()),
            _ => Err(Error::Forbidden(
                "payments are reported by the parties' supplier users".into(),
            )),
        }
    };
    match owned {
        Owned::Project => crate::service::procurement::may_manage_project(conn, &actor, id),
        Owned::Lot => crate::service::procurement::may_manage_lot(conn, &actor, id),
        Owned::Bid => crate::service::procurement::bids::may_change(conn, keys, &actor, id),
        Owned::Product => {
            let id: i64 = id.parse().map_err(|_| {
                Error::BadRequest(format!("{id:?} is not a product id (a whole number)"))
            })?;
            caller.user()?;
            crate::service::catalogue::may_change(conn, &crate::http::actor::actor(caller), id)
        }
        Owned::Subcontract(party) => {
            crate::service::finance::may_act_on_subcontract(conn, &enterprise()?, id, party)
        }
        Owned::Payment(party) => {
            crate::service::finance::may_act_on_payment(conn, &enterprise()?, id, party)
        }
    }
}

/// Runs the route's ownership check, if it has one, before the handler (and its body).
pub async fn enforce(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> std::result::Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let method = req.method().as_str().to_string();
    let owned = req.match_pattern().and_then(|p| {
        OWNED
            .iter()
            .find(|(m, path, _)| *m == method && *path == p)
            .map(|(_, _, o)| *o)
    });
    let (Some(owned), Some(state)) = (owned, req.app_data::<web::Data<AppState>>().cloned()) else {
        return next.call(req).await;
    };
    // The router has not yet filled in the path's parameters: take `{id}` from the path.
    let pattern = req.match_pattern().unwrap_or_default();
    let id = segment_of(&pattern, req.path(), "{id}").unwrap_or_default();
    let caller = req
        .extensions()
        .get::<Caller>()
        .cloned()
        .unwrap_or_default();
    let keys = state.keys.clone();
    state
        .db(move |conn| check(conn, &keys, &caller, owned, &id))
        .await?;
    next.call(req).await
}

/// The path segment that stands where `pattern` has `name`, percent-decoded.
fn segment_of(pattern: &str, path: &str, name: &str) -> Option<String> {
    let at = pattern.split('/').position(|p| p == name)?;
    let raw = path.split('/').nth(at)?;
    Some(percent_decode(raw).unwrap_or_else(|| raw.to_string()))
}

fn percent_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = raw.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_is_taken_from_where_the_pattern_names_it() {
        assert_eq!(
            segment_of(
                "/api/v1/lots/{id}/award",
                "/api/v1/lots/abc-1/award",
                "{id}"
            )
            .as_deref(),
            Some("abc-1")
        );
        assert_eq!(
            segment_of(
                "/api/v1/products/{id}",
                "/api/v1/products/%E6%89%93",
                "{id}"
            )
            .as_deref(),
            Some("打")
        );
        assert_eq!(
            segment_of("/api/v1/products", "/api/v1/products", "{id}"),
            None
        );
    }
}
