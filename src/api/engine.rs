//! The rules engine over HTTP: policy profiles, classification, evaluation. Public, pure
//! (no database reads or writes).

use crate::domain::policy::{self, Profile};
use crate::error::{Error, Result};
use crate::http::extract::{json_error, read_json_bytes, Json};
use crate::wire::{self, classify::ClassifyRequest, classify::ClassifyResponse, evaluation};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PolicySummary {
    pub id: String,
    pub version: String,
    pub title: String,
    pub title_zh: String,
    pub effective_from: String,
}

/// The policy profiles with their versions.
#[utoipa::path(get, path = "/api/v1/policies", tag = "rules", responses((status = 200, body = Vec<PolicySummary>)))]
pub async fn list_policies() -> HttpResponse {
    let list: Vec<PolicySummary> = policy::profiles()
        .iter()
        .map(|p| PolicySummary {
            id: p.id.clone(),
            version: p.version.clone(),
            title: p.title.clone(),
            title_zh: p.title_zh.clone(),
            effective_from: p.effective_from.clone(),
        })
        .collect();
    HttpResponse::Ok().json(list)
}

/// One profile with every number it applies.
#[utoipa::path(get, path = "/api/v1/policies/{id}", tag = "rules",
    params(("id" = String, Path, description = "national-2011 | xinjiang-2011 | national-2020 | national-2022")),
    responses((status = 200, body = Profile), (status = 404, body = crate::error::Problem)))]
pub async fn show_policy(id: web::Path<String>) -> Result<HttpResponse> {
    let profile = policy::profile(&id).ok_or_else(|| {
        Error::NotFound(format!(
            "no policy profile {:?}; expected one of: {}",
            id.as_str(),
            policy::profile_ids().join(", ")
        ))
    })?;
    Ok(HttpResponse::Ok().json(profile))
}

/// Classifies an enterprise's scale from its size figures (工信部联企业〔2011〕300号).
#[utoipa::path(post, path = "/api/v1/classify", tag = "rules", request_body = ClassifyRequest, responses(
    (status = 200, body = ClassifyResponse),
    (status = 422, description = "a figure the industry needs is missing, or a value is invalid", body = crate::error::Problem)))]
pub async fn classify(body: Json<ClassifyRequest>) -> Result<HttpResponse> {
    let answer = wire::classify::classify(&body.0).map_err(Error::Validation)?;
    Ok(HttpResponse::Ok().json(answer))
}

/// Evaluates one lot's bids with the SME preferences applied, explaining every rule.
///
/// A pure simulation: nothing is read from or written to the database. The body may be at most
/// `SMEPROC_EVALUATE_MAX_BYTES` (default 4 MiB, about 16 000 bids); larger lots go through
/// `smeproc evaluate`, which has no cap. Invalid input answers 422 naming every bad JSON path.
#[utoipa::path(post, path = "/api/v1/evaluate", tag = "rules", request_body = evaluation::EvaluateRequest, responses(
    (status = 200, body = evaluation::EvaluateResponse),
    (status = 413, description = "body over the cap", body = crate::error::Problem),
    (status = 422, description = "invalid input", body = crate::error::Problem)))]
pub async fn evaluate(req: HttpRequest, mut payload: web::Payload) -> Result<HttpResponse> {
    let bytes = read_json_bytes(&req, &mut payload).await?;
    let body = web::block(move || -> Result<Vec<u8>> {
        let valid = evaluation::parse(&bytes).map_err(|e| match e {
            evaluation::InputError::Json(problem) => json_error(problem),
            evaluation::InputError::Invalid(problems) => Error::Validation(problems),
        })?;
        drop(bytes);
        let result = valid.run();
        let output = evaluation::EvaluationOutput {
            input: &valid,
            evaluation: &result,
            chinese: true,
        };
        let mut body = Vec::with_capacity(4096);
        output
            .write_compact(&mut body)
            .map_err(|e| Error::Internal(e.into()))?;
        Ok(body)
    })
    .await??;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(body))
}
