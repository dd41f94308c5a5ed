//! Remedies for people: a supplier files a challenge (质疑) with its evidence and follows it;
//! the agency answers; the challenger complains (投诉); the finance department accepts,
//! suspends and rules; the public reads the debarment list (不良行为记录). The same services as
//! the API; files stream into the store as the API's do.

use super::{done_or_again, html, page, Base, Form, PageResult, State, WithBase};
use crate::error::Error;
use crate::http::actor::actor;
use crate::service::procurement::documents::{Purpose, StoredDocument};
use crate::service::procurement::projects::{self, ProjectView};
use crate::service::remedies::challenges::{
    self, AnswerInput, ChallengeInput, ChallengeParams, ChallengeView,
};
use crate::service::remedies::complaints::{
    self, AcceptInput, ComplaintInput, ComplaintView, RejectInput, RulingInput, SuspendInput,
};
use crate::service::remedies::debarments::{
    self, DebarmentInput, DebarmentParams, DebarmentView, LiftInput,
};
use crate::service::Actor;
use actix_web::{web, HttpRequest};
use askama::Template;

type Id = web::Path<String>;

/// A form sent as `multipart/form-data` with `evidence` files (or urlencoded without): its
/// fields (CSRF checked) and the files, in the store. A bad token leaves no file behind.
pub(super) async fn form_and_files(
    state: &State,
    b: &Base,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<(Form, Vec<StoredDocument>), super::PageError> {
    if !crate::http::documents::is_multipart(req) {
        let mut payload = payload.into_inner();
        let f = <Form as actix_web::FromRequest>::from_request(req, &mut payload).await?;
        return Ok((f, Vec::new()));
    }
    let multipart = actix_multipart::Multipart::new(req.headers(), payload);
    let read = crate::http::documents::read::<()>(
        state,
        multipart,
        Purpose::Remedy,
        String::new(),
        None,
        None,
    )
    .await
    .on(b)?;
    let csrf = read
        .fields
        .iter()
        .find(|(k, _)| k == super::CSRF_FIELD)
        .map(|(_, v)| v.trim().to_string());
    if !super::csrf_matches(req, csrf.as_deref()) {
        crate::http::documents::discard(state, read.documents).await;
        return Err(super::csrf_refused(req));
    }
    let f = Form(read.fields);
    let invisible = f.invisible_problems();
    if !invisible.is_empty() {
        crate::http::documents::discard(state, read.documents).await;
        return Err(Error::Validation(invisible)).on(b);
    }
    Ok((f, read.documents))
}

/// Runs a use case that keeps files; the files go when it refuses.
pub(super) async fn keeping<T: Send + 'static>(
    state: &State,
    files: Vec<StoredDocument>,
    f: impl FnOnce(&mut crate::service::Conn, &[StoredDocument]) -> crate::error::Result<T>
        + Send
        + 'static,
) -> crate::error::Result<T> {
    let kept = files.clone();
    let out = state.db(move |conn| f(conn, &files)).await;
    if out.is_err() {
        crate::http::documents::discard(state, kept).await;
    }
    out
}

pub(super) fn optional(f: &Form, name: &str) -> Option<String> {
    f.get(name).filter(|v| v != "-")
}

pub(super) fn days(f: &Form, name: &str) -> Result<Option<u32>, Error> {
    f.get(name)
        .map(|v| {
            v.parse::<u32>().map_err(|_| {
                crate::wire::fields::invalid(
                    name,
                    "problem.whole_number",
                    vec![("given", format!("{v:?}"))],
                )
            })
        })
        .transpose()
}

// --- files ------------------------------------------------------------------------------------

/// A remedy's file, for a reader of its remedy (hash checked on the way out).
pub async fn document(state: State, b: Base, id: Id) -> PageResult {
    let (keys, caller, id) = (state.keys.clone(), b.caller(), id.into_inner());
    let row = state
        .db(move |conn| crate::service::remedies::document(conn, &keys, &actor(&caller), &id))
        .await
        .on(&b)?;
    crate::http::documents::send_verified(
        &state,
        &row.location,
        &row.sha256,
        &row.media_type,
        row.size_bytes,
        &row.filename,
    )
    .await
    .on(&b)
}

mod challenge_pages;
mod complaint_pages;
mod debarment_pages;

pub use challenge_pages::*;
pub use complaint_pages::*;
pub use debarment_pages::*;
