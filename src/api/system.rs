//! Liveness and readiness.

use super::AppState;
use crate::error::{Error, Result};
use crate::service::system::pending_migrations;
use actix_web::{web, HttpResponse};
use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`
    pub status: String,
    pub version: String,
}

/// The process is alive.
#[utoipa::path(get, path = "/health", tag = "system", responses((status = 200, body = Health)))]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Ready {
    /// `ready`
    pub status: String,
    /// `sqlite` or `postgres`
    pub database: String,
    /// `current`
    pub migrations: String,
}

/// The database answers and its schema is current.
#[utoipa::path(get, path = "/ready", tag = "system", responses(
    (status = 200, body = Ready),
    (status = 503, description = "database unreachable or migrations pending", body = crate::error::Problem)))]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse> {
    let pending = state.db(pending_migrations).await?;
    if pending > 0 {
        return Err(Error::Unavailable(format!(
            "{pending} database migrations are pending; run `smeproc migrate`"
        )));
    }
    Ok(HttpResponse::Ok().json(Ready {
        status: "ready".into(),
        database: state.settings.database.backend().into(),
        migrations: "current".into(),
    }))
}

/// Any path the service does not have.
pub async fn not_found(req: actix_web::HttpRequest) -> Result<HttpResponse> {
    Err(Error::NotFound(format!(
        "no route {} {}",
        req.method(),
        req.path()
    )))
}
