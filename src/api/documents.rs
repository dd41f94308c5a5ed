//! Procurement documents (采购文件) over HTTP: the agency uploads them to a draft project as
//! `multipart/form-data` (parts named by kind: `tender`, `requirements`, `other`); anyone lists
//! them once published (the notice carries their hashes); a logged-in supplier obtains them, and
//! who did is disclosed to the project's staff after the opening.

use super::AppState;
use crate::error::{Error, Result};
use crate::http::access::Caller;
use crate::service::procurement::documents::Purpose;
use crate::service::procurement::project_documents::{self, ObtainedView, ProjectDocumentView};
use actix_web::{web, HttpRequest, HttpResponse};

pub use crate::http::actor::actor;

type Id = web::Path<String>;

/// Procurement documents as `multipart/form-data`: each file in a part named by its kind.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ProjectDocumentUpload {
    /// 招标文件 / 采购文件.
    #[schema(value_type = Option<String>, format = Binary)]
    tender: Option<Vec<u8>>,
    /// 采购需求.
    #[schema(value_type = Option<String>, format = Binary)]
    requirements: Option<Vec<u8>>,
    #[schema(value_type = Option<String>, format = Binary)]
    other: Option<Vec<u8>>,
}

/// Attaches documents to a draft project (its agency); answers all its documents.
#[utoipa::path(post, path = "/api/v1/projects/{id}/documents", tag = "projects", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body(content((ProjectDocumentUpload = "multipart/form-data"))),
    responses((status = 201, body = Vec<ProjectDocumentView>),
    (status = 409, description = "the project is no longer a draft", body = crate::error::Problem),
    (status = 413, description = "a document or the upload over its limits", body = crate::error::Problem),
    (status = 415, description = "not multipart", body = crate::error::Problem),
    (status = 422, description = "no file, an unknown kind or a file of a type not accepted", body = crate::error::Problem)))]
pub async fn attach(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse> {
    if !crate::http::documents::is_multipart(&req) {
        return Err(Error::UnsupportedMediaType("multipart/form-data"));
    }
    let clock = state.clock.clone();
    let (pid, who, c) = (id.to_string(), caller.clone(), clock.clone());
    state
        .db(move |conn| project_documents::may_attach(conn, c.as_ref(), &actor(&who), &pid))
        .await?;
    let multipart = actix_multipart::Multipart::new(req.headers(), payload);
    let read = crate::http::documents::read::<()>(
        &state,
        multipart,
        Purpose::Procurement,
        String::new(),
        None,
        None,
    )
    .await?;
    let kept = read.documents.clone();
    let listed = state
        .db(move |conn| {
            project_documents::attach(conn, clock.as_ref(), &actor(&caller), &id, &read.documents)
        })
        .await;
    if listed.is_err() {
        crate::http::documents::discard(&state, kept).await;
    }
    Ok(HttpResponse::Created().json(listed?))
}

/// A project's procurement documents (a draft's to its staff only).
#[utoipa::path(get, path = "/api/v1/projects/{id}/documents", tag = "projects",
    params(("id" = String, Path)), responses((status = 200, body = Vec<ProjectDocumentView>), (status = 404, body = crate::error::Problem)))]
pub async fn list(state: web::Data<AppState>, caller: Caller, id: Id) -> Result<HttpResponse> {
    let docs = state
        .db(move |conn| project_documents::list(conn, &actor(&caller), &id))
        .await?;
    Ok(HttpResponse::Ok().json(docs))
}

/// Obtains a procurement document: a supplier's download is recorded (disclosed after the
/// opening); the project's staff download without a record. Checked against its hash on the way
/// out.
#[utoipa::path(get, path = "/api/v1/projects/{id}/documents/{document}", tag = "projects", security(("bearer" = [])),
    params(("id" = String, Path), ("document" = String, Path)),
    responses((status = 200, description = "the file, as uploaded", content_type = "application/octet-stream", body = Vec<u8>),
    (status = 404, body = crate::error::Problem)))]
pub async fn obtain(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (project, doc) = path.into_inner();
    let clock = state.clock.clone();
    let keys = state.keys.clone();
    let row = state
        .db(move |conn| {
            project_documents::obtain(conn, clock.as_ref(), &keys, &actor(&caller), &project, &doc)
        })
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

/// Removes a document from a draft project (its agency).
#[utoipa::path(delete, path = "/api/v1/projects/{id}/documents/{document}", tag = "projects", security(("bearer" = [])),
    params(("id" = String, Path), ("document" = String, Path)),
    responses((status = 204, description = "removed"), (status = 404, body = crate::error::Problem),
    (status = 409, description = "the project is no longer a draft", body = crate::error::Problem)))]
pub async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (project, doc) = path.into_inner();
    let clock = state.clock.clone();
    let store = state.document_store();
    state
        .db(move |conn| {
            project_documents::remove(
                conn,
                clock.as_ref(),
                &store,
                &actor(&caller),
                &project,
                &doc,
            )
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Who obtained the project's documents (its staff, once every lot is opened).
#[utoipa::path(get, path = "/api/v1/projects/{id}/obtained-documents", tag = "projects", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<ObtainedView>),
    (status = 409, description = "before the opening", body = crate::error::Problem)))]
pub async fn obtained(state: web::Data<AppState>, caller: Caller, id: Id) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let keys = state.keys.clone();
    let list = state
        .db(move |conn| {
            project_documents::obtained(conn, clock.as_ref(), &keys, &actor(&caller), &id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}
