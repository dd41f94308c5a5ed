//! User administration (admins only).

use super::AppState;
use crate::error::Result;
use crate::http::access::Caller;
use crate::http::extract::Json;
use crate::service::accounts::{self, CreateUserRequest, UserView};
use actix_web::{web, HttpResponse};

/// Every account.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])), responses(
    (status = 200, body = Vec<UserView>)))]
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse> {
    let all = state.db(accounts::list_users).await?;
    Ok(HttpResponse::Ok().json(all))
}

/// Creates an account; the password is stored only as an argon2id hash.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", security(("bearer" = [])), request_body = CreateUserRequest,
    responses((status = 201, body = UserView),
    (status = 409, description = "username taken", body = crate::error::Problem),
    (status = 422, description = "invalid fields", body = crate::error::Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CreateUserRequest>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let actor = caller.user()?.user.id.clone();
    let user = state
        .db(move |conn| accounts::create_user(conn, clock.as_ref(), &actor, &body.0))
        .await?;
    Ok(HttpResponse::Created().json(user))
}

/// Disables an account and revokes its tokens.
#[utoipa::path(post, path = "/api/v1/users/{id}/disable", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path, description = "user id")),
    responses((status = 200, body = UserView), (status = 404, body = crate::error::Problem)))]
pub async fn disable(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let id = id.into_inner();
    let actor = caller.user()?.user.id.clone();
    let user = state
        .db(move |conn| accounts::disable_user(conn, clock.as_ref(), &actor, &id))
        .await?;
    Ok(HttpResponse::Ok().json(user))
}
