//! The HTTP API: handlers per resource, the access table, the JSON extractor, OpenAPI.
//! Handlers are thin: parse, call the shared service or domain code (diesel inside
//! `web::block` via [`AppState::db`]), map to a response.

pub mod access;
pub mod engine;
pub mod extract;
pub mod openapi;
pub mod orgs;
pub mod session;
pub mod system;
pub mod users;

use crate::auth::limiter::LoginLimiter;
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::db::{DbConnection, DbPool};
use crate::error::{Error, Result};
use actix_web::web;
use std::sync::Arc;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub clock: SharedClock,
    pub settings: Arc<Settings>,
    pub limiter: Arc<LoginLimiter>,
}

impl AppState {
    /// Runs blocking database work on the blocking pool, never on an actix worker.
    pub async fn db<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }
}

fn method_not_allowed() -> actix_web::Route {
    web::route().to(|| async { Err::<actix_web::HttpResponse, _>(Error::MethodNotAllowed) })
}

/// Registers every route of [`access::ROUTES`].
pub fn configure(cfg: &mut web::ServiceConfig, settings: &Settings) {
    use actix_web::web::{get, post, resource};
    let limit = extract::BodyLimit(settings.max_body_bytes);
    cfg.app_data(limit)
        .app_data(
            web::PathConfig::default()
                .error_handler(|e, _| Error::BadRequest(e.to_string()).into()),
        )
        .app_data(
            web::QueryConfig::default()
                .error_handler(|e, _| Error::BadRequest(e.to_string()).into()),
        )
        .service(
            resource("/health")
                .route(get().to(system::health))
                .default_service(method_not_allowed()),
        )
        .service(
            resource("/ready")
                .route(get().to(system::ready))
                .default_service(method_not_allowed()),
        )
        .service(
            resource("/openapi.json")
                .route(get().to(openapi::spec))
                .default_service(method_not_allowed()),
        )
        .service(
            resource("/docs")
                .route(get().to(openapi::docs_page))
                .default_service(method_not_allowed()),
        )
        .service(
            web::scope("/api/v1")
                .service(
                    resource("/auth/login")
                        .route(post().to(session::login))
                        .default_service(method_not_allowed()),
                )
                .service(
                    resource("/auth/logout")
                        .route(post().to(session::logout))
                        .default_service(method_not_allowed()),
                )
                .service(
                    resource("/me")
                        .route(get().to(session::me))
                        .default_service(method_not_allowed()),
                )
                .service(
                    resource("/users")
                        .route(get().to(users::list))
                        .route(post().to(users::create))
                        .default_service(method_not_allowed()),
                )
                .service(
                    resource("/users/{id}/disable")
                        .route(post().to(users::disable))
                        .default_service(method_not_allowed()),
                )
                .service(
                    resource("/orgs")
                        .route(get().to(orgs::list))
                        .route(post().to(orgs::create))
                        .default_service(method_not_allowed()),
                )
                .service(
                    resource("/policies")
                        .route(get().to(engine::list_policies))
                        .default_service(method_not_allowed()),
                )
                .service(
                    resource("/policies/{id}")
                        .route(get().to(engine::show_policy))
                        .default_service(method_not_allowed()),
                )
                .service(
                    resource("/classify")
                        .route(post().to(engine::classify))
                        .default_service(method_not_allowed()),
                )
                .service(
                    resource("/evaluate")
                        .app_data(extract::BodyLimit(settings.evaluate_max_bytes))
                        .route(post().to(engine::evaluate))
                        .default_service(method_not_allowed()),
                ),
        );
}
