//! The audit log over HTTP: the chain check and the event query (auditors and admins).

use super::extract::Query;
use super::AppState;
use crate::audit::{self, EventPage, EventParams, Verification};
use crate::error::Result;
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
    let page = state.db(move |conn| audit::events(conn, &query.0)).await?;
    Ok(HttpResponse::Ok().json(page))
}
