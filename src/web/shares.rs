//! A key holder's page (`/key-shares`): every lot share the holder has, whoever it is — the
//! purchasing officer, the supervisor (监督人, an auditor), a finance officer. Collect a share
//! once (shown on this page that once), give it back from the opening time.

use super::{Base, Form, PageResult, State, WithBase};
use crate::error::Error;
use crate::http::actor::actor;
use crate::service::procurement::opening::{self, ShareInput, ShareSlot};
use actix_web::web;
use askama::Template;

#[derive(Template)]
#[template(path = "key_shares.html")]
struct SharesPage {
    b: Base,
    shares: Vec<ShareSlot>,
    problems: Vec<String>,
    /// A share just collected: (lot id, the share), shown this once.
    collected: Option<(String, String)>,
}

async fn shares_page(
    state: &State,
    b: &Base,
    problems: Vec<String>,
    collected: Option<(String, String)>,
) -> PageResult {
    let caller = b.caller();
    let shares = state
        .db(move |conn| opening::my_shares(conn, &actor(&caller)))
        .await
        .on(b)?;
    let status = super::form_status(&problems);
    Ok(super::html(
        status,
        b,
        &SharesPage {
            b: b.clone(),
            shares,
            problems,
            collected,
        },
    ))
}

pub async fn list(state: State, b: Base) -> PageResult {
    shares_page(&state, &b, Vec::new(), None).await
}

/// Collects the share of a lot: shown on the page this once.
pub async fn collect(state: State, b: Base, id: web::Path<String>, _f: Form) -> PageResult {
    let lot = id.into_inner();
    let (clock, keys, caller, l) = (
        state.clock.clone(),
        state.keys.clone(),
        b.caller(),
        lot.clone(),
    );
    let result = state
        .db(move |conn| opening::collect_share(conn, clock.as_ref(), &keys, &actor(&caller), &l))
        .await;
    match result {
        Ok(share) => shares_page(&state, &b, Vec::new(), Some((lot, share.share))).await,
        Err(e) => again(&state, &b, e).await,
    }
}

/// Gives the share of a lot at the opening; the k-th opens it.
pub async fn give(state: State, b: Base, id: web::Path<String>, f: Form) -> PageResult {
    let lot = id.into_inner();
    let (clock, keys, store, caller) = (
        state.clock.clone(),
        state.keys.clone(),
        state.document_store(),
        b.caller(),
    );
    let input = ShareInput {
        share: f.get("share"),
    };
    let result = state
        .db(move |conn| {
            opening::give_share(
                conn,
                clock.as_ref(),
                &keys,
                &store,
                &actor(&caller),
                &lot,
                &input,
            )
        })
        .await;
    match result {
        Ok(_) => Ok(super::see_other("/key-shares")),
        Err(e) => again(&state, &b, e).await,
    }
}

/// The page again with the refusal, or the error page.
async fn again(state: &State, b: &Base, e: Error) -> PageResult {
    match super::problems_of(&e, b.lang()) {
        Some(problems) => Ok(super::with_status(
            shares_page(state, b, problems, None).await?,
            &e,
        )),
        None => Err(e).on(b),
    }
}
