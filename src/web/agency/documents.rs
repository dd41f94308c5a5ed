//! The agency's procurement documents (采购文件) on the draft project's page: uploaded as
//! `multipart/form-data` (a file input per kind), removed one by one until publication; after
//! the opening, the page lists who obtained them.

use super::*;
use crate::service::procurement::documents::Purpose;
use crate::service::procurement::project_documents;

/// Uploads the documents chosen in the form; a refusal or a bad CSRF token leaves none behind.
pub async fn attach_documents(
    state: State,
    b: Base,
    id: web::Path<String>,
    req: actix_web::HttpRequest,
    payload: web::Payload,
) -> PageResult {
    let id = id.into_inner();
    if !crate::http::documents::is_multipart(&req) {
        // A plain form: its CSRF token is checked first, like every form's.
        let mut payload = payload.into_inner();
        <Form as actix_web::FromRequest>::from_request(&req, &mut payload).await?;
        return Err(Error::UnsupportedMediaType("multipart/form-data")).on(&b);
    }
    let (clock, caller, pid) = (state.clock.clone(), b.caller(), id.clone());
    state
        .db(move |conn| project_documents::may_attach(conn, clock.as_ref(), &actor(&caller), &pid))
        .await
        .on(&b)?;
    let multipart = actix_multipart::Multipart::new(req.headers(), payload);
    let read = crate::http::documents::read::<()>(
        &state,
        multipart,
        Purpose::Procurement,
        String::new(),
        None,
        None,
    )
    .await;
    let read = match read {
        Ok(r) => r,
        Err(e) => {
            return crate::web::done_or_again(
                &b,
                Err::<(), _>(e),
                |_| String::new(),
                |problems| project_page(&state, &b, id.clone(), Form::default(), problems),
            )
            .await
        }
    };
    let csrf = read
        .fields
        .iter()
        .find(|(k, _)| k == crate::web::CSRF_FIELD)
        .map(|(_, v)| v.trim().to_string());
    if !crate::web::csrf_matches(&req, csrf.as_deref()) {
        crate::http::documents::discard(&state, read.documents).await;
        return Err(crate::web::csrf_refused(&req));
    }
    let kept = read.documents.clone();
    let (clock, caller, pid) = (state.clock.clone(), b.caller(), id.clone());
    let result = state
        .db(move |conn| {
            project_documents::attach(conn, clock.as_ref(), &actor(&caller), &pid, &read.documents)
        })
        .await;
    if result.is_err() {
        crate::http::documents::discard(&state, kept).await;
    }
    let target = format!("/agency/projects/{id}#documents");
    crate::web::done_or_again(
        &b,
        result,
        |_| target,
        |problems| project_page(&state, &b, id.clone(), Form::default(), problems),
    )
    .await
}

/// Removes one document from the draft.
pub async fn remove_document(
    state: State,
    b: Base,
    path: web::Path<(String, String)>,
    f: Form,
) -> PageResult {
    let (id, doc) = path.into_inner();
    let store = state.document_store();
    act(
        On::Project,
        state,
        b,
        id,
        f,
        move |conn, clock, actor, id| {
            project_documents::remove(conn, clock, &store, actor, id, &doc)
        },
    )
    .await
}
