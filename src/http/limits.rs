//! Per-address limits on the routes anyone may call that cost the most: sign-up (an argon2 hash
//! and an enterprise each), the engine (`evaluate` turns megabytes into more), classification,
//! the catalogue search and market prices, and the banks' contract check. A middleware counts
//! each call in the database before the handler runs; past the limit: 429 with `Retry-After`
//! (an HTML page for the pages). Login has its own limits ([`crate::service::accounts::login`]).

use crate::http::state::AppState;
use crate::service::auth::limiter::{self, Bucket};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;

/// Which limit each route counts against (method, path pattern as registered).
pub const LIMITED: &[(&str, &str, Bucket)] = &[
    ("POST", "/api/v1/auth/signup", Bucket::Signup),
    ("POST", "/signup", Bucket::Signup),
    ("POST", "/api/v1/evaluate", Bucket::Evaluate),
    ("POST", "/api/v1/classify", Bucket::Classify),
    ("GET", "/api/v1/products", Bucket::Search),
    ("GET", "/catalogue", Bucket::Search),
    ("GET", "/api/v1/market-prices", Bucket::MarketPrices),
    ("GET", "/api/v1/contracts/verify", Bucket::ContractCheck),
];

pub fn bucket_of(method: &str, pattern: &str) -> Option<Bucket> {
    LIMITED
        .iter()
        .find(|(m, p, _)| *m == method && *p == pattern)
        .map(|(_, _, b)| *b)
}

/// Counts the call against its route's limit; refuses it past the limit.
pub async fn enforce(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let bucket = req
        .match_pattern()
        .and_then(|p| bucket_of(req.method().as_str(), &p));
    let (Some(bucket), Some(state)) = (bucket, req.app_data::<web::Data<AppState>>().cloned())
    else {
        return next.call(req).await;
    };
    let address = crate::http::state::client_address(req.request());
    let limit = state.settings.limits.of(bucket);
    let now = state.clock.now_naive();
    let counted = state
        .db(move |conn| limiter::hit(conn, bucket, limit, &address, now))
        .await;
    match counted {
        Ok(()) => next.call(req).await,
        Err(e) if !req.path().starts_with("/api/") => {
            let response = crate::http::respond::page_refusal(req.request(), e);
            Err(actix_web::error::InternalError::from_response("limited", response).into())
        }
        Err(e) => Err(e.into()),
    }
}
