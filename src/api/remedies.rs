//! Remedies over HTTP: challenges (质疑) and their answers, complaints (投诉) and the finance
//! department's decisions, their files, debarments (不良行为记录). Writing with files is
//! `multipart/form-data` — the JSON in its named part first, then files in parts named
//! `evidence` — or plain JSON without files.

use super::AppState;
use crate::error::Result;
use crate::http::access::Caller;
use crate::service::procurement::documents::{Purpose, StoredDocument};
use crate::service::remedies::challenges::{
    self, AnswerInput, ChallengeInput, ChallengeParams, ChallengeView,
};
use crate::service::remedies::complaints::{
    self, AcceptInput, ComplaintInput, ComplaintParams, ComplaintView, RejectInput, RulingInput,
    SuspendInput,
};
use crate::service::remedies::debarments::{
    self, DebarmentInput, DebarmentParams, DebarmentView, LiftInput,
};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;

pub use crate::http::actor::actor;

type Id = web::Path<String>;

/// A remedy's JSON and its files: multipart (`part` first, then `evidence` files) or JSON.
pub(super) async fn body_and_files<T: DeserializeOwned + Default>(
    state: &AppState,
    req: &HttpRequest,
    mut payload: web::Payload,
    part: &str,
) -> Result<(T, Vec<StoredDocument>)> {
    if crate::http::documents::is_multipart(req) {
        let multipart = actix_multipart::Multipart::new(req.headers(), payload);
        let read = crate::http::documents::read::<T>(
            state,
            multipart,
            Purpose::Remedy,
            String::new(),
            None,
            Some(part),
        )
        .await?;
        return Ok((read.bid, read.documents));
    }
    let body: T = crate::http::extract::json_body(req, &mut payload).await?;
    Ok((body, Vec::new()))
}

/// Runs a use case that keeps files; removes them when it refuses.
pub(super) async fn keeping<R: Send + 'static>(
    state: &web::Data<AppState>,
    files: Vec<StoredDocument>,
    f: impl FnOnce(&mut crate::service::Conn, &[StoredDocument]) -> Result<R> + Send + 'static,
) -> Result<R> {
    let kept = files.clone();
    let out = state.db(move |conn| f(conn, &files)).await;
    if out.is_err() {
        crate::http::documents::discard(state, kept).await;
    }
    out
}

/// A challenge (质疑函) with its evidence, as `multipart/form-data`.
#[derive(utoipa::ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ChallengeUpload {
    /// The challenge (the JSON of `ChallengeInput`).
    #[schema(min_length = 2)]
    challenge: String,
    /// Evidence: PDF, OOXML/ODF, ZIP, JPEG or PNG (several parts allowed).
    #[schema(value_type = Option<String>, format = Binary)]
    evidence: Option<Vec<u8>>,
}

/// Files a challenge (a supplier that took part, or obtained the documents), within 7 working
/// days of the day it knew; a late one is refused naming its last day.
#[utoipa::path(post, path = "/api/v1/projects/{id}/challenges", tag = "remedies", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body(content((ChallengeInput = "application/json"), (ChallengeUpload = "multipart/form-data"))),
    responses((status = 201, body = ChallengeView),
    (status = 403, description = "a supplier that did not take part", body = crate::error::Problem),
    (status = 409, description = "period_over (naming the last day), the step not yet taken, or a second challenge of the step", body = crate::error::Problem),
    (status = 422, description = "a field missing or wrong, or a file of a type not accepted", body = crate::error::Problem)))]
pub async fn file_challenge(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse> {
    let (input, files) =
        body_and_files::<ChallengeInput>(&state, &req, payload, "challenge").await?;
    let (clock, keys) = (state.clock.clone(), state.keys.clone());
    let view = keeping(&state, files, move |conn, docs| {
        challenges::file(
            conn,
            clock.as_ref(),
            &keys,
            &actor(&caller),
            &id,
            &input,
            docs,
        )
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
}

/// The challenges the caller may see: a supplier its own and the answered ones of projects it
/// took part in (without the challenger); an agency its projects'; finance, auditors, admins all.
#[utoipa::path(get, path = "/api/v1/challenges", tag = "remedies", security(("bearer" = [])),
    params(ChallengeParams), responses((status = 200, body = Vec<ChallengeView>)))]
pub async fn list_challenges(
    state: web::Data<AppState>,
    caller: Caller,
    params: crate::http::extract::Query<ChallengeParams>,
) -> Result<HttpResponse> {
    let (clock, keys) = (state.clock.clone(), state.keys.clone());
    let list = state
        .db(move |conn| challenges::list(conn, clock.as_ref(), &keys, &actor(&caller), &params.0))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// One challenge, to whoever may see it (404 otherwise).
#[utoipa::path(get, path = "/api/v1/challenges/{id}", tag = "remedies", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = ChallengeView), (status = 404, body = crate::error::Problem)))]
pub async fn show_challenge(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
) -> Result<HttpResponse> {
    let (clock, keys) = (state.clock.clone(), state.keys.clone());
    let view = state
        .db(move |conn| challenges::show_view(conn, clock.as_ref(), &keys, &actor(&caller), &id))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// An answer with its attachments, as `multipart/form-data`.
#[derive(utoipa::ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct AnswerUpload {
    /// The answer (the JSON of `AnswerInput`).
    #[schema(min_length = 2)]
    answer: String,
    #[schema(value_type = Option<String>, format = Binary)]
    evidence: Option<Vec<u8>>,
}

/// The agency answers a pending challenge in writing (its project's agency, or an admin).
#[utoipa::path(post, path = "/api/v1/challenges/{id}/answer", tag = "remedies", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body(content((AnswerInput = "application/json"), (AnswerUpload = "multipart/form-data"))),
    responses((status = 200, body = ChallengeView),
    (status = 409, description = "not pending", body = crate::error::Problem),
    (status = 422, body = crate::error::Problem)))]
pub async fn answer_challenge(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse> {
    let (input, files) = body_and_files::<AnswerInput>(&state, &req, payload, "answer").await?;
    let clock = state.clock.clone();
    let view = keeping(&state, files, move |conn, docs| {
        challenges::answer(conn, clock.as_ref(), &actor(&caller), &id, &input, docs)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The challenger withdraws a pending challenge.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/withdraw", tag = "remedies", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = ChallengeView), (status = 409, body = crate::error::Problem)))]
pub async fn withdraw_challenge(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let view = state
        .db(move |conn| challenges::withdraw(conn, clock.as_ref(), &actor(&caller), &id))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A complaint (投诉书) with its evidence, as `multipart/form-data`.
#[derive(utoipa::ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ComplaintUpload {
    /// The complaint (the JSON of `ComplaintInput`).
    #[schema(min_length = 2)]
    complaint: String,
    #[schema(value_type = Option<String>, format = Binary)]
    evidence: Option<Vec<u8>>,
}

/// The challenger complains to the finance department: after the answer (or its deadline
/// without one), within 15 working days after the answer's deadline.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/complaint", tag = "remedies", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body(content((ComplaintInput = "application/json"), (ComplaintUpload = "multipart/form-data"))),
    responses((status = 201, body = ComplaintView),
    (status = 409, description = "too early (the answer may still come), period_over, or a complaint already made", body = crate::error::Problem),
    (status = 422, body = crate::error::Problem)))]
pub async fn file_complaint(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse> {
    let (input, files) =
        body_and_files::<ComplaintInput>(&state, &req, payload, "complaint").await?;
    let (clock, keys) = (state.clock.clone(), state.keys.clone());
    let view = keeping(&state, files, move |conn, docs| {
        complaints::file(
            conn,
            clock.as_ref(),
            &keys,
            &actor(&caller),
            &id,
            &input,
            docs,
        )
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
}

/// The complaints the caller may see: a supplier its own, an agency its projects', finance,
/// auditors and admins all.
#[utoipa::path(get, path = "/api/v1/complaints", tag = "remedies", security(("bearer" = [])),
    params(ComplaintParams), responses((status = 200, body = Vec<ComplaintView>)))]
pub async fn list_complaints(
    state: web::Data<AppState>,
    caller: Caller,
    params: crate::http::extract::Query<ComplaintParams>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let list = state
        .db(move |conn| complaints::list(conn, clock.as_ref(), &actor(&caller), &params.0))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

#[utoipa::path(get, path = "/api/v1/complaints/{id}", tag = "remedies", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = ComplaintView), (status = 404, body = crate::error::Problem)))]
pub async fn show_complaint(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let view = state
        .db(move |conn| complaints::show(conn, clock.as_ref(), &actor(&caller), &id))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Accepts a complaint (受理); `suspend_days` suspends the procurement (at most 30 days).
#[utoipa::path(post, path = "/api/v1/complaints/{id}/accept", tag = "remedies", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = AcceptInput,
    responses((status = 200, body = ComplaintView), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn accept_complaint(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
    body: crate::http::extract::Json<AcceptInput>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let view = state
        .db(move |conn| complaints::accept(conn, clock.as_ref(), &actor(&caller), &id, &body.0))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Rejects a complaint (不予受理) with its reason.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/reject", tag = "remedies", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = RejectInput,
    responses((status = 200, body = ComplaintView), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn reject_complaint(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
    body: crate::http::extract::Json<RejectInput>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let view = state
        .db(move |conn| complaints::reject(conn, clock.as_ref(), &actor(&caller), &id, &body.0))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Suspends the procurement of an accepted complaint (or extends the suspension).
#[utoipa::path(post, path = "/api/v1/complaints/{id}/suspend", tag = "remedies", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = SuspendInput,
    responses((status = 200, body = ComplaintView), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn suspend_complaint(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
    body: crate::http::extract::Json<SuspendInput>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let view = state
        .db(move |conn| complaints::suspend(conn, clock.as_ref(), &actor(&caller), &id, &body.0))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Lifts a suspension before its end.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/resume", tag = "remedies", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = ComplaintView), (status = 409, body = crate::error::Problem)))]
pub async fn resume_complaint(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let view = state
        .db(move |conn| complaints::resume(conn, clock.as_ref(), &actor(&caller), &id))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A ruling with its attachments, as `multipart/form-data`.
#[derive(utoipa::ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct RulingUpload {
    /// The ruling (the JSON of `RulingInput`).
    #[schema(min_length = 2)]
    ruling: String,
    #[schema(value_type = Option<String>, format = Binary)]
    evidence: Option<Vec<u8>>,
}

/// Rules on an accepted complaint; an upheld one's remedy takes effect and the ruling is
/// published (投诉处理结果公告).
#[utoipa::path(post, path = "/api/v1/complaints/{id}/ruling", tag = "remedies", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body(content((RulingInput = "application/json"), (RulingUpload = "multipart/form-data"))),
    responses((status = 200, body = ComplaintView), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn rule_complaint(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse> {
    let (input, files) = body_and_files::<RulingInput>(&state, &req, payload, "ruling").await?;
    let clock = state.clock.clone();
    let view = keeping(&state, files, move |conn, docs| {
        complaints::rule(conn, clock.as_ref(), &actor(&caller), &id, &input, docs)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A file of a challenge, answer, complaint or ruling, to whoever may read it; the SHA-256 is
/// checked on the way out.
#[utoipa::path(get, path = "/api/v1/remedy-documents/{id}", tag = "remedies", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"), (status = 404, body = crate::error::Problem)))]
pub async fn remedy_document(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
) -> Result<HttpResponse> {
    let keys = state.keys.clone();
    let row = state
        .db(move |conn| crate::service::remedies::document(conn, &keys, &actor(&caller), &id))
        .await?;
    crate::http::documents::send_verified(
        &state,
        &row.location,
        &row.sha256,
        &row.media_type,
        row.size_bytes,
        &row.filename,
    )
    .await
}

/// The public list of debarments (不良行为记录): in force today, or every record with `all`.
#[utoipa::path(get, path = "/api/v1/debarments", tag = "remedies",
    params(DebarmentParams), responses((status = 200, body = Vec<DebarmentView>)))]
pub async fn list_debarments(
    state: web::Data<AppState>,
    params: crate::http::extract::Query<DebarmentParams>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let list = state
        .db(move |conn| debarments::list(conn, clock.as_ref(), &params.0))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

#[utoipa::path(get, path = "/api/v1/debarments/{id}", tag = "remedies",
    params(("id" = String, Path)), responses((status = 200, body = DebarmentView), (status = 404, body = crate::error::Problem)))]
pub async fn show_debarment(state: web::Data<AppState>, id: Id) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let view = state
        .db(move |conn| debarments::show(conn, clock.as_ref(), &id))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Records a debarment (the finance department): 1–3 years (政府采购法 Art. 77).
#[utoipa::path(post, path = "/api/v1/debarments", tag = "remedies", security(("bearer" = [])),
    request_body = DebarmentInput,
    responses((status = 201, body = DebarmentView), (status = 422, body = crate::error::Problem)))]
pub async fn record_debarment(
    state: web::Data<AppState>,
    caller: Caller,
    body: crate::http::extract::Json<DebarmentInput>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let view = state
        .db(move |conn| debarments::record(conn, clock.as_ref(), &actor(&caller), &body.0))
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Lifts a debarment (set aside by a court or a review), with its reason.
#[utoipa::path(post, path = "/api/v1/debarments/{id}/lift", tag = "remedies", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = LiftInput,
    responses((status = 200, body = DebarmentView), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn lift_debarment(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
    body: crate::http::extract::Json<LiftInput>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let view = state
        .db(move |conn| debarments::lift(conn, clock.as_ref(), &actor(&caller), &id, &body.0))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
