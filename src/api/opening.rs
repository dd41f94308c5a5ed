//! Key holders and the opening (开标) over HTTP: the agency names the holders before
//! publication; each holder collects its share of every lot once and gives it back from the
//! opening time; the k-th share opens the lot and writes the opening record.

use super::AppState;
use crate::error::Result;
use crate::http::access::Caller;
use crate::http::extract::Json;
use crate::service::procurement::bids::{self, Receipt, SealedBidInput};
use crate::service::procurement::opening::{
    self, CollectedShare, KeyPlanInput, KeyPlanView, OpeningView, ShareInput, ShareSlot,
};
use actix_web::{web, HttpResponse};

pub use crate::http::actor::actor;

type Id = web::Path<String>;

/// Who holds the keys of the project's lots, and k.
#[utoipa::path(get, path = "/api/v1/projects/{id}/key-holders", tag = "opening", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = KeyPlanView)))]
pub async fn key_plan(state: web::Data<AppState>, caller: Caller, id: Id) -> Result<HttpResponse> {
    let plan = state
        .db(move |conn| opening::key_plan(conn, &actor(&caller), &id))
        .await?;
    Ok(HttpResponse::Ok().json(plan))
}

/// Names the key holders (usernames) and k, before publication.
#[utoipa::path(put, path = "/api/v1/projects/{id}/key-holders", tag = "opening", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = KeyPlanInput,
    responses((status = 200, body = KeyPlanView),
    (status = 409, description = "the project is published", body = crate::error::Problem),
    (status = 422, description = "unknown user, a supplier, a duplicate, or k out of 1..n", body = crate::error::Problem)))]
pub async fn set_key_plan(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
    body: Json<KeyPlanInput>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let plan = state
        .db(move |conn| opening::set_key_plan(conn, clock.as_ref(), &actor(&caller), &id, &body.0))
        .await?;
    Ok(HttpResponse::Ok().json(plan))
}

/// The caller's key shares, collected or not.
#[utoipa::path(get, path = "/api/v1/me/key-shares", tag = "opening", security(("bearer" = [])),
    responses((status = 200, body = Vec<ShareSlot>)))]
pub async fn my_shares(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse> {
    let list = state
        .db(move |conn| opening::my_shares(conn, &actor(&caller)))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Hands the caller its share of the lot, once (keep it like a recovery code).
#[utoipa::path(post, path = "/api/v1/lots/{id}/key-share", tag = "opening", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = CollectedShare),
    (status = 403, description = "the caller holds no share of this lot", body = crate::error::Problem),
    (status = 409, description = "already collected", body = crate::error::Problem)))]
pub async fn collect_share(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let keys = state.keys.clone();
    let share = state
        .db(move |conn| opening::collect_share(conn, clock.as_ref(), &keys, &actor(&caller), &id))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(share))
}

/// The lot's opening: holders and shares given; once opened, the opening record (开标记录).
#[utoipa::path(get, path = "/api/v1/lots/{id}/opening", tag = "opening", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = OpeningView),
    (status = 403, description = "neither staff, holder, nor (once opened) a bidder of the lot", body = crate::error::Problem)))]
pub async fn show(state: web::Data<AppState>, caller: Caller, id: Id) -> Result<HttpResponse> {
    let keys = state.keys.clone();
    let view = state
        .db(move |conn| opening::show(conn, &keys, &actor(&caller), &id))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A holder gives its share, from the opening time; the k-th opens the lot.
#[utoipa::path(post, path = "/api/v1/lots/{id}/opening/shares", tag = "opening", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ShareInput,
    responses((status = 200, body = OpeningView),
    (status = 409, description = "before the opening time, already given, or already opened", body = crate::error::Problem),
    (status = 422, description = "not a share of this lot (forged, altered or another lot's)", body = crate::error::Problem)))]
pub async fn give_share(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
    body: Json<ShareInput>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let keys = state.keys.clone();
    let store = state.document_store();
    let view = state
        .db(move |conn| {
            opening::give_share(
                conn,
                clock.as_ref(),
                &keys,
                &store,
                &actor(&caller),
                &id,
                &body.0,
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A bidder-sealed bid with its sealed documents, as `multipart/form-data`: the part `bid`
/// first (the JSON of `SealedBidInput`), then each sealed document (`bid seal --file` writes
/// them) in a part named `document`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct SealedBidUpload {
    /// The JSON of `SealedBidInput`.
    bid: String,
    /// A sealed document, `smeproc-sealed-doc-1` (repeat the part for more).
    #[schema(value_type = Option<String>, format = Binary)]
    document: Option<Vec<u8>>,
}

/// Submits a bid the bidder sealed itself (`smeproc bid seal`): stored as it came, checked at
/// the opening. The receipt's hash is the SHA-256 of the envelope (which holds the hashes of
/// the documents sealed with it). JSON, or multipart with the sealed documents.
#[utoipa::path(post, path = "/api/v1/lots/{id}/sealed-bids", tag = "bids", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body(content((SealedBidInput = "application/json"), (SealedBidUpload = "multipart/form-data"))),
    responses((status = 201, body = Receipt),
    (status = 409, description = "past the deadline, a bid already submitted, or a lot without a key", body = crate::error::Problem),
    (status = 413, description = "a document or the bid's documents over their limits", body = crate::error::Problem),
    (status = 415, description = "neither JSON nor multipart", body = crate::error::Problem),
    (status = 422, description = "not a sealed bid or document, or sealed for another lot", body = crate::error::Problem)))]
pub async fn submit_sealed(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
    req: actix_web::HttpRequest,
    mut payload: web::Payload,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let keys = state.keys.clone();
    if crate::http::documents::is_multipart(&req) {
        let (lot, who, c) = (id.to_string(), caller.clone(), clock.clone());
        state
            .db(move |conn| bids::may_submit_sealed(conn, c.as_ref(), &actor(&who), &lot))
            .await?;
        let multipart = actix_multipart::Multipart::new(req.headers(), payload);
        let read = crate::http::documents::read::<SealedBidInput>(
            &state,
            multipart,
            crate::service::procurement::documents::Purpose::SealedByBidder,
            id.to_string(),
            None,
            Some("bid"),
        )
        .await?;
        let kept = read.documents.clone();
        let receipt = state
            .db(move |conn| {
                bids::submit_sealed_with(
                    conn,
                    clock.as_ref(),
                    &keys,
                    &actor(&caller),
                    &id,
                    &read.bid,
                    read.documents,
                )
            })
            .await;
        if receipt.is_err() {
            crate::http::documents::discard(&state, kept).await;
        }
        return Ok(HttpResponse::Created().json(receipt?));
    }
    let body: SealedBidInput = crate::http::extract::json_body(&req, &mut payload).await?;
    let body = Json(body);
    let receipt = state
        .db(move |conn| {
            bids::submit_sealed(conn, clock.as_ref(), &keys, &actor(&caller), &id, &body.0)
        })
        .await?;
    Ok(HttpResponse::Created().json(receipt))
}

/// Declares a lot unopenable (past its opening time, fewer than k shares given, shares lost):
/// the lot fails with the reason, its sealed bids are treated as withdrawn without being
/// decrypted, and the remaining shares are erased.
#[utoipa::path(post, path = "/api/v1/lots/{id}/opening/fail", tag = "opening", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = opening::FailInput,
    responses((status = 200, body = OpeningView),
    (status = 409, description = "before the opening time, already opened, or a lot without a key", body = crate::error::Problem),
    (status = 422, description = "no reason, or one over 500 characters", body = crate::error::Problem)))]
pub async fn fail_unopened(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
    body: Json<opening::FailInput>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let store = state.document_store();
    let view = state
        .db(move |conn| {
            opening::fail_unopened(conn, clock.as_ref(), &store, &actor(&caller), &id, &body.0)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
