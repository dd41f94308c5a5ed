//! Bidding from the supplier's pages: the bid form, submission and the receipt (page and JSON).

use super::*;
use crate::domain::Hundredths;
use crate::error::Error;
use crate::service::procurement::bids::{self, BidInput, BidOrReceipt, Receipt};
use crate::service::procurement::projects;
use crate::service::registry::{self};
use crate::service::Actor;
use crate::web::{from_json, html, page, Base, Form, PageError, PageResult, State, WithBase};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use serde_json::{json, Map, Value};

#[derive(Template)]
#[template(path = "bid.html")]
pub(super) struct BidPage {
    b: Base,
    p: projects::ProjectView,
    lot: projects::LotView,
    f: Form,
    problems: Vec<String>,
}

pub(super) async fn bid_page(
    state: &State,
    b: &Base,
    lot_id: String,
    f: Form,
    problems: Vec<String>,
) -> PageResult {
    let clock = state.clock.clone();
    let (p, lot) = state
        .db(move |conn| {
            let (_, project) = crate::service::procurement::find_lot(conn, &lot_id)?;
            let p = projects::show(conn, clock.as_ref(), &Actor::Public, &project.id)?;
            let lot = p
                .lots
                .iter()
                .find(|l| l.id == lot_id)
                .cloned()
                .ok_or_else(|| Error::NotFound(format!("no lot with id {lot_id}")))?;
            Ok((p, lot))
        })
        .await
        .on(b)?;
    let status = crate::web::form_status(&problems);
    Ok(html(
        status,
        b,
        &BidPage {
            b: b.clone(),
            p,
            lot,
            f,
            problems,
        },
    ))
}

pub async fn bid_form(state: State, b: Base, id: web::Path<String>) -> PageResult {
    bid_page(&state, &b, id.into_inner(), Form::default(), Vec::new()).await
}

/// The bid form's fields as the API's body: a consortium partner and a subcontractor are
/// optional single rows.
pub(super) fn bid_input(f: &Form, own_code: &str) -> Result<BidInput, Error> {
    let mut body = Map::new();
    body.insert("price".into(), json!(f.text("price")));
    // Shares are exact percentages (Hundredths), never floats.
    let share = |name: &str, what: &str| {
        f.text(name).parse::<Hundredths>().map_err(|_| {
            crate::wire::fields::invalid(
                name,
                "problem.not_a_percentage",
                vec![("what", what.to_string())],
            )
        })
    };
    if let Some(partner) = f.get("partner_code") {
        let partner_share = share("partner_share", "the partner's share")?;
        body.insert(
            "consortium".into(),
            json!([
                {"credit_code": own_code, "share_pct": Hundredths::whole(100) - partner_share},
                {"credit_code": partner, "share_pct": partner_share},
            ]),
        );
        body.insert(
            "related_parties".into(),
            json!(f.checked("related_parties")),
        );
    }
    if let Some(sub) = f.get("sub_code") {
        let sub_share = share("sub_share", "the subcontract share")?;
        body.insert(
            "subcontracts".into(),
            json!([{"credit_code": sub, "share_pct": sub_share}]),
        );
    }
    from_json(Value::Object(body))
}

#[derive(Template)]
#[template(path = "receipt.html")]
pub(super) struct ReceiptPage {
    b: Base,
    r: Receipt,
    fresh: bool,
    /// The documents the receipt covers (from its canonical bid, when it has one).
    documents: Vec<crate::service::procurement::documents::DocumentRef>,
}

/// The documents listed in a receipt's canonical bid.
pub(super) fn documents_of(
    r: &Receipt,
) -> Vec<crate::service::procurement::documents::DocumentRef> {
    r.canonical
        .as_deref()
        .and_then(|c| serde_json::from_str::<bids::BidContent>(c).ok())
        .map(|c| c.documents)
        .unwrap_or_default()
}

/// The bid form, sent as `multipart/form-data` with its documents (or urlencoded without).
/// Files stream into the store sealed; a refused bid or a bad CSRF token leaves none behind.
pub async fn bid(
    state: State,
    b: Base,
    id: web::Path<String>,
    req: actix_web::HttpRequest,
    payload: web::Payload,
) -> PageResult {
    let lot_id = id.into_inner();
    let enterprise = enterprise_of(&b)?;
    let user = user_id(&b);
    let clock = state.clock.clone();
    let keys = state.keys.clone();
    let (f, documents) = if crate::http::documents::is_multipart(&req) {
        let (e, u, c, lot) = (
            enterprise.clone(),
            user.clone(),
            clock.clone(),
            lot_id.clone(),
        );
        let key = state
            .db(move |conn| {
                bids::may_submit(
                    conn,
                    c.as_ref(),
                    &Actor::Supplier {
                        enterprise_id: &e,
                        user_id: &u,
                    },
                    &lot,
                )
            })
            .await
            .on(&b)?;
        let multipart = actix_multipart::Multipart::new(req.headers(), payload);
        let read = crate::http::documents::read::<()>(
            &state,
            multipart,
            crate::service::procurement::documents::Purpose::Bid,
            lot_id.clone(),
            key,
            None,
        )
        .await
        .on(&b)?;
        let csrf = read
            .fields
            .iter()
            .find(|(k, _)| k == crate::web::CSRF_FIELD)
            .map(|(_, v)| v.trim().to_string());
        if !crate::web::csrf_matches(&req, csrf.as_deref()) {
            crate::http::documents::discard(&state, read.documents).await;
            return Err(crate::web::csrf_refused(&req));
        }
        (Form(read.fields), read.documents)
    } else {
        let mut payload = payload.into_inner();
        let f = <Form as actix_web::FromRequest>::from_request(&req, &mut payload).await?;
        (f, Vec::new())
    };
    let lot = lot_id.clone();
    let form = f.clone();
    let kept = documents.clone();
    let result = state
        .db(move |conn| {
            let invisible = form.invisible_problems();
            if !invisible.is_empty() {
                return Err(Error::Validation(invisible));
            }
            let own = registry::find(conn, &enterprise)?;
            let input = bid_input(&form, &own.credit_code)?;
            bids::submit_with(
                conn,
                clock.as_ref(),
                &keys,
                &Actor::Supplier {
                    enterprise_id: &enterprise,
                    user_id: &user,
                },
                &lot,
                &input,
                documents,
            )
        })
        .await;
    if result.is_err() {
        crate::http::documents::discard(&state, kept).await;
    }
    match result {
        Ok(r) => Ok(html(
            StatusCode::CREATED,
            &b,
            &ReceiptPage {
                b: b.clone(),
                documents: documents_of(&r),
                r,
                fresh: true,
            },
        )),
        Err(e) => match crate::web::problems_of(&e, b.lang()) {
            Some(problems) => Ok(crate::web::with_status(
                bid_page(&state, &b, lot_id, f, problems).await?,
                &e,
            )),
            None => Err(e).on(&b),
        },
    }
}

pub(super) async fn own_receipt(state: &State, b: &Base, id: String) -> Result<Receipt, PageError> {
    let enterprise = enterprise_of(b)?;
    let user = user_id(b);
    let clock = state.clock.clone();
    let keys = state.keys.clone();
    let shown = state
        .db(move |conn| {
            bids::show(
                conn,
                clock.as_ref(),
                &keys,
                &Actor::Supplier {
                    enterprise_id: &enterprise,
                    user_id: &user,
                },
                &id,
            )
        })
        .await
        .on(b)?;
    Ok(match shown {
        BidOrReceipt::Receipt(r) => r,
        BidOrReceipt::Bid(bid) => Receipt {
            bid_id: bid.id,
            lot_id: bid.lot_id,
            state: bid.state,
            sha256: bid.receipt_sha256,
            received_at: bid.submitted_at,
            canonical: None,
        },
    })
}

pub async fn receipt(state: State, b: Base, id: web::Path<String>) -> PageResult {
    let r = own_receipt(&state, &b, id.into_inner()).await?;
    Ok(page(
        &b,
        &ReceiptPage {
            b: b.clone(),
            documents: documents_of(&r),
            r,
            fresh: false,
        },
    ))
}

/// The receipt as a file to keep.
pub async fn receipt_json(state: State, b: Base, id: web::Path<String>) -> PageResult {
    let r = own_receipt(&state, &b, id.into_inner()).await?;
    let body = serde_json::to_vec_pretty(&r)
        .map_err(|e| Error::Internal(e.into()))
        .on(&b)?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"bid-receipt-{}.json\"", r.bid_id),
        ))
        .body(body))
}
