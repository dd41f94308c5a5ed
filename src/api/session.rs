//! Logging in and out; who am I.

use super::AppState;
use crate::error::Result;
use crate::http::access::Caller;
use crate::http::extract::Json;
use crate::service::accounts::{self, LoginRequest, LoginResponse, UserView};
use actix_web::{web, HttpRequest, HttpResponse};

/// Exchanges a username and password for a bearer token.
///
/// Failed attempts are limited per account and per client address (429 with Retry-After).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest, responses(
    (status = 200, body = LoginResponse),
    (status = 401, description = "wrong username or password", body = crate::error::Problem),
    (status = 429, description = "too many attempts", body = crate::error::Problem)))]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<LoginRequest>,
) -> Result<HttpResponse> {
    let address = super::client_address(&req);
    let st = state.clone();
    let response = state
        .db(move |conn| {
            accounts::login(
                conn,
                st.clock.as_ref(),
                &st.settings.limits,
                st.settings.token_ttl_minutes,
                &body.0,
                &address,
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(response))
}

/// Revokes the token used for this request.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])), responses(
    (status = 204, description = "token revoked")))]
pub async fn logout(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse> {
    let session_id = caller.user()?.session_id.clone();
    let user_id = caller.user()?.user.id.clone();
    let clock = state.clock.clone();
    state
        .db(move |conn| accounts::logout(conn, clock.as_ref(), &user_id, &session_id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The logged-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])), responses(
    (status = 200, body = UserView)))]
pub async fn me(caller: Caller) -> Result<HttpResponse> {
    let user: UserView = caller.user()?.user.clone().into();
    Ok(HttpResponse::Ok().json(user))
}
