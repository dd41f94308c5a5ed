//! The enterprise registry over HTTP: sign-up, enterprises, declaration letters and review.

use super::AppState;
use crate::domain::role::Role;
use crate::error::{Error, Result};
use crate::http::access::{AuthUser, Caller};
use crate::http::extract::{json_body, Json, Query};
use crate::service::registry::{
    self, DeclarationRequest, DeclarationView, EnterpriseInput, EnterpriseView, ReviewRequest,
    ScaleOn, SignupRequest, SignupResponse,
};
use crate::wire::fields::invalid;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

/// The supplier bound to this enterprise.
fn owns(user: &AuthUser, enterprise_id: &str) -> bool {
    user.role == Role::Supplier && user.user.enterprise_id.as_deref() == Some(enterprise_id)
}

/// Who may see an enterprise's figures and letters: its own supplier, agencies, auditors, admins.
fn may_see_figures(caller: &Caller, enterprise_id: &str) -> bool {
    caller
        .0
        .as_ref()
        .is_some_and(|u| u.role != Role::Supplier || owns(u, enterprise_id))
}

fn must_own_if_supplier(caller: &Caller, enterprise_id: &str) -> Result<()> {
    let user = caller.user()?;
    if user.role == Role::Supplier && !owns(user, enterprise_id) {
        return Err(Error::Forbidden(
            "a supplier may only act for its own enterprise".into(),
        ));
    }
    Ok(())
}

/// Opens a supplier account together with its enterprise; the scale is computed from the figures.
#[utoipa::path(post, path = "/api/v1/auth/signup", tag = "registry", request_body = SignupRequest, responses(
    (status = 201, body = SignupResponse),
    (status = 409, description = "username or credit code taken", body = crate::error::Problem),
    (status = 422, description = "every bad field, e.g. enterprise.credit_code", body = crate::error::Problem)))]
pub async fn signup(state: web::Data<AppState>, body: Json<SignupRequest>) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let created = state
        .db(move |conn| registry::signup(conn, clock.as_ref(), &body.0))
        .await?;
    Ok(HttpResponse::Created().json(created))
}

/// Registers an enterprise without an account.
#[utoipa::path(post, path = "/api/v1/enterprises", tag = "registry", security(("bearer" = [])),
    request_body = EnterpriseInput, responses((status = 201, body = EnterpriseView),
    (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<EnterpriseInput>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let actor = caller.user()?.user.id.clone();
    let created = state
        .db(move |conn| registry::register(conn, clock.as_ref(), &actor, &body.0))
        .await?;
    Ok(HttpResponse::Created().json(created))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Region code prefix, e.g. `65` (Xinjiang) or `6531` (Kashgar).
    #[param(pattern = "^[0-9]{1,6}$")]
    pub region: Option<String>,
    /// micro | small | medium | large
    #[param(pattern = "^(micro|small|medium|large)$")]
    pub scale: Option<String>,
    /// The `next_after` of the previous page.
    pub after: Option<String>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EnterprisePage {
    pub items: Vec<EnterpriseView>,
    /// Pass as `after` for the next page; null on the last page.
    pub next_after: Option<String>,
}

/// Registered enterprises in credit-code order (public: name, scale, region).
#[utoipa::path(get, path = "/api/v1/enterprises", tag = "registry", params(ListQuery),
    responses((status = 200, body = EnterprisePage), (status = 422, body = crate::error::Problem)))]
pub async fn list(state: web::Data<AppState>, query: Query<ListQuery>) -> Result<HttpResponse> {
    let Query(q) = query;
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(invalid("limit", "problem.range_200", vec![]));
    }
    if let Some(scale) = q.scale.as_deref() {
        scale
            .parse::<crate::domain::Scale>()
            .map_err(|e| Error::field("scale", e.to_string()))?;
    }
    if q.region
        .as_deref()
        .is_some_and(|r| r.is_empty() || r.len() > 6 || !r.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(invalid("region", "problem.region_prefix", vec![]));
    }
    let (items, next_after) = state
        .db(move |conn| {
            registry::list(
                conn,
                q.region.as_deref(),
                q.scale.as_deref(),
                q.after.as_deref(),
                limit,
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(EnterprisePage { items, next_after }))
}

/// One enterprise; its figures only for its own supplier, agencies, auditors and admins.
#[utoipa::path(get, path = "/api/v1/enterprises/{id}", tag = "registry",
    params(("id" = String, Path, description = "enterprise id")),
    responses((status = 200, body = EnterpriseView), (status = 404, body = crate::error::Problem)))]
pub async fn show(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let figures = may_see_figures(&caller, &id);
    let e = state.db(move |conn| registry::find(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(EnterpriseView::new(e, figures)))
}

/// The enterprise's declaration letters, newest first.
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/declarations", tag = "registry", security(("bearer" = [])),
    params(("id" = String, Path, description = "enterprise id")),
    responses((status = 200, body = Vec<DeclarationView>), (status = 403, body = crate::error::Problem)))]
pub async fn declarations(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    must_own_if_supplier(&caller, &id)?;
    let list = state
        .db(move |conn| registry::declarations(conn, &id))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Records an SME declaration letter (中小企业声明函) with its figures; flags a declared scale
/// that differs from the computed one. The newest letter becomes the enterprise's figures.
#[utoipa::path(post, path = "/api/v1/enterprises/{id}/declarations", tag = "registry", security(("bearer" = [])),
    params(("id" = String, Path, description = "enterprise id")), request_body = DeclarationRequest,
    responses((status = 201, body = DeclarationView), (status = 403, body = crate::error::Problem),
    (status = 422, body = crate::error::Problem)))]
pub async fn declare(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    req: HttpRequest,
    mut payload: web::Payload,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    must_own_if_supplier(&caller, &id)?;
    let body: DeclarationRequest = json_body(&req, &mut payload).await?;
    let clock = state.clock.clone();
    let actor = caller.user()?.user.id.clone();
    let d = state
        .db(move |conn| registry::declare(conn, clock.as_ref(), &actor, &id, &body))
        .await?;
    Ok(HttpResponse::Created().json(d))
}

/// Marks a pending declaration verified, or rejected with a reason.
#[utoipa::path(post, path = "/api/v1/declarations/{id}/review", tag = "registry", security(("bearer" = [])),
    params(("id" = String, Path, description = "declaration id")), request_body = ReviewRequest,
    responses((status = 200, body = DeclarationView), (status = 404, body = crate::error::Problem),
    (status = 409, description = "already reviewed", body = crate::error::Problem)))]
pub async fn review(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: Json<ReviewRequest>,
) -> Result<HttpResponse> {
    let reviewer = caller.user()?.user.id.clone();
    let clock = state.clock.clone();
    let id = id.into_inner();
    let d = state
        .db(move |conn| registry::review(conn, clock.as_ref(), &id, &reviewer, &body.0))
        .await?;
    Ok(HttpResponse::Ok().json(d))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ScaleQuery {
    /// `YYYY-MM-DD`; default today (UTC).
    pub on: Option<chrono::NaiveDate>,
}

/// The scale declared in the letter in force on a day (not rejected), e.g. when a bid was made.
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/scale", tag = "registry",
    params(("id" = String, Path, description = "enterprise id"), ScaleQuery),
    responses((status = 200, body = ScaleOn), (status = 404, body = crate::error::Problem)))]
pub async fn scale_on(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: Query<ScaleQuery>,
) -> Result<HttpResponse> {
    let on = query
        .0
        .on
        .unwrap_or_else(|| crate::domain::beijing::day_of_instant(state.clock.now()));
    let id = id.into_inner();
    let answer = state
        .db(move |conn| registry::scale_on(conn, &id, on))
        .await?;
    Ok(HttpResponse::Ok().json(answer))
}
