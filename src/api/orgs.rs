//! Organisations: agencies and departments.

use super::AppState;
use crate::error::Result;
use crate::http::access::Caller;
use crate::http::extract::{Json, Query};
use crate::service::accounts::{self, CreateOrgRequest, OrgView};
use crate::wire::fields::invalid;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct OrgFilter {
    /// agency | department
    #[param(pattern = "^(agency|department)$")]
    pub kind: Option<String>,
}

/// Agencies and departments.
#[utoipa::path(get, path = "/api/v1/orgs", tag = "orgs", security(("bearer" = [])), params(OrgFilter),
    responses((status = 200, body = Vec<OrgView>)))]
pub async fn list(state: web::Data<AppState>, filter: Query<OrgFilter>) -> Result<HttpResponse> {
    let kind = filter.0.kind;
    if let Some(k) = kind.as_deref() {
        if !matches!(k, "agency" | "department") {
            return Err(invalid("kind", "problem.org_kind", vec![]));
        }
    }
    let all = state
        .db(move |conn| accounts::list_orgs(conn, kind.as_deref()))
        .await?;
    Ok(HttpResponse::Ok().json(all))
}

/// Creates an agency or a department.
#[utoipa::path(post, path = "/api/v1/orgs", tag = "orgs", security(("bearer" = [])), request_body = CreateOrgRequest,
    responses((status = 201, body = OrgView), (status = 409, body = crate::error::Problem),
    (status = 422, body = crate::error::Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CreateOrgRequest>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let actor = caller.user()?.user.id.clone();
    let org = state
        .db(move |conn| accounts::create_org(conn, clock.as_ref(), &actor, &body.0))
        .await?;
    Ok(HttpResponse::Created().json(org))
}
