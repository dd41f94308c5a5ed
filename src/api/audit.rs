//! The audit log over HTTP: the chain check and the event query (auditors and admins).

use super::AppState;
use crate::error::Result;
use crate::http::extract::Query;
use crate::service::audit::{self, EventPage, EventParams, Verification};
use actix_web::{web, HttpResponse};

/// Recomputes the hash chain from the first event and names the first broken link.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit", security(("bearer" = [])),
    responses((status = 200, description = "`ok: false` with `first_broken` when the chain is broken", body = Verification)))]
pub async fn verify(state: web::Data<AppState>) -> Result<HttpResponse> {
    let report = state.db(audit::verify).await?;
    Ok(HttpResponse::Ok().json(report))
}

/// Events by entity, actor, action and time, in chain order; page with `after_seq`.
#[utoipa::path(get, path = "/api/v1/audit/events", tag = "audit", security(("bearer" = [])),
    params(EventParams), responses((status = 200, body = EventPage), (status = 422, body = crate::error::Problem)))]
pub async fn events(state: web::Data<AppState>, query: Query<EventParams>) -> Result<HttpResponse> {
    let now = state.clock.now_naive();
    let page = state
        .db(move |conn| audit::events(conn, now, &query.0))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// The signed checkpoints of the audit chain and the key that signs them (public: keep copies).
#[utoipa::path(get, path = "/api/v1/audit/checkpoints", tag = "audit",
    params(crate::service::audit::checkpoints::CheckpointParams),
    responses((status = 200, body = crate::service::audit::checkpoints::CheckpointPage),
    (status = 422, body = crate::error::Problem)))]
pub async fn checkpoints(
    state: web::Data<AppState>,
    query: Query<crate::service::audit::checkpoints::CheckpointParams>,
) -> Result<HttpResponse> {
    let keys = state.keys.clone();
    let page = state
        .db(move |conn| crate::service::audit::checkpoints::list(conn, &keys, &query.0))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// The newest 100 checkpoints as an Atom feed.
#[utoipa::path(get, path = "/api/v1/audit/checkpoints.atom", tag = "audit",
    responses((status = 200, content_type = "application/atom+xml", body = String)))]
pub async fn checkpoints_atom(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse> {
    let base = super::base_url(&req);
    let keys = state.keys.clone();
    let feed = state
        .db(move |conn| crate::service::audit::checkpoints::atom(conn, &keys, &base))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/atom+xml; charset=utf-8")
        .body(feed))
}

/// Signs the audit head now (admins; the service also does it on its own schedule). 201 with
/// the new checkpoint, or 200 with the latest one when it already covers the head.
#[utoipa::path(post, path = "/api/v1/audit/checkpoints", tag = "audit", security(("bearer" = [])),
    responses((status = 201, body = crate::service::audit::checkpoints::Checkpoint),
    (status = 200, description = "the head is already signed", body = crate::service::audit::checkpoints::Checkpoint)))]
pub async fn sign_checkpoint(state: web::Data<AppState>) -> Result<HttpResponse> {
    let st = state.clone();
    let (made, latest) = state
        .db(move |conn| {
            let made = crate::service::audit::checkpoints::sign_head(
                conn,
                st.clock.as_ref(),
                &st.keys,
                None,
            )?;
            let latest = crate::service::audit::checkpoints::latest_checkpoint(conn)?;
            Ok((made, latest))
        })
        .await?;
    match made {
        Some(c) => Ok(HttpResponse::Created().json(c)),
        None => match latest {
            Some(c) => Ok(HttpResponse::Ok().json(c)),
            None => Err(crate::error::Error::conflict(
                crate::error::Cause::AuditLogEmpty,
                "the audit log has no events yet: nothing to sign",
            )),
        },
    }
}
