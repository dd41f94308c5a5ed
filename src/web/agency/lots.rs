//! A lot's page for the agency: bids after the opening, the qualification and score sheet, evaluation, award and contract.

use super::*;
use crate::error::Error;
use crate::http::actor::actor;
use crate::service::procurement::bids::{self, LotBids, QualificationInput, ScoresInput};
use crate::service::procurement::evaluation::{self, AwardInput, ContractInput, RunInput, RunView};
use crate::service::procurement::opening::{self, OpeningView, ShareInput, ShareSlot};
use crate::service::procurement::projects::{self};
use crate::web::public::{excluded, ranking, RankRow};
use crate::web::{from_json, html, Base, Form, PageResult, State, WithBase};
use actix_web::web;
use askama::Template;
use serde_json::{json, Map, Value};

/// A bid as the lot page lists it.
pub(super) struct BidRow {
    id: String,
    supplier: String,
    price: String,
    qualified: Option<bool>,
    reason: String,
    scores: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "agency_lot.html")]
pub(super) struct LotPage {
    b: Base,
    p: projects::ProjectView,
    lot: projects::LotView,
    sealed: bool,
    /// The number of bids, or a dash for those who may not know it before the opening.
    count: String,
    bids: Vec<BidRow>,
    run: Option<RunView>,
    ranking: Vec<RankRow>,
    excluded: Vec<(String, String)>,
    failure: String,
    winner_price: String,
    f: Form,
    problems: Vec<String>,
    /// The lot's contracts (id, number), newest first: each leads to its payment schedule.
    contracts: Vec<(String, String)>,
    /// The lot's opening (lots with a key): holders, shares given, the record once opened.
    opening: Option<OpeningView>,
    /// The caller's own share of this lot, if it holds one.
    mine: Option<ShareSlot>,
    /// The opening time has come.
    due: bool,
    /// A share just collected: shown this once.
    collected: Option<String>,
    /// The opening record's rows.
    record: Vec<OpenedRow>,
    /// Why the lot could not be opened, when the agency declared it so.
    unopenable: Option<String>,
}

/// A row of the opening record as the page shows it.
pub(super) struct OpenedRow {
    bidder: String,
    price: String,
    receipt: String,
    opened: bool,
    reason: String,
}

pub(super) async fn lot_page(
    state: &State,
    b: &Base,
    lot_id: String,
    f: Form,
    problems: Vec<String>,
) -> PageResult {
    lot_page_with(state, b, lot_id, f, problems, None).await
}

#[allow(clippy::type_complexity)]
async fn lot_page_with(
    state: &State,
    b: &Base,
    lot_id: String,
    f: Form,
    problems: Vec<String>,
    collected: Option<String>,
) -> PageResult {
    let clock = state.clock.clone();
    let keys = state.keys.clone();
    let caller = b.caller();
    let now = clock.now();
    let (p, list, run, opening, mine, contracts): (
        projects::ProjectView,
        LotBids,
        Option<RunView>,
        Option<OpeningView>,
        Option<ShareSlot>,
        Vec<(String, String)>,
    ) = state
        .db(move |conn| {
            let a = actor(&caller);
            let (_, project) = crate::service::procurement::find_lot(conn, &lot_id)?;
            if !a.manages(&project) {
                return Err(Error::Forbidden(
                    "this lot belongs to another agency's project".into(),
                ));
            }
            let p = projects::show(conn, clock.as_ref(), &a, &project.id)?;
            let list = bids::of_lot(conn, clock.as_ref(), &a, &lot_id)?;
            let run = evaluation::latest_run(conn, &a, &lot_id)?;
            let view = opening::show(conn, &keys, &a, &lot_id).ok();
            let mine = opening::my_shares(conn, &a)
                .unwrap_or_default()
                .into_iter()
                .find(|s| s.lot_id == lot_id);
            let contracts =
                crate::service::payments::schedules::contracts_of_lot(conn, &project.id, &lot_id)?;
            Ok((p, list, run, view, mine, contracts))
        })
        .await
        .on(b)?;
    let lot = p
        .lots
        .iter()
        .find(|l| l.id == list.lot_id)
        .cloned()
        .ok_or_else(|| Error::NotFound("lot".into()))
        .on(b)?;
    let rows: Vec<BidRow> = list
        .bids
        .iter()
        .map(|bid| BidRow {
            id: bid.id.clone(),
            supplier: bid.content.bidder_name(),
            price: bid.price.clone(),
            qualified: bid.qualified,
            reason: bid.qualification_reason.clone().unwrap_or_default(),
            scores: bid
                .scores
                .iter()
                .map(|s| {
                    (
                        s.evaluator.clone(),
                        s.technical.to_string(),
                        s.commercial.to_string(),
                    )
                })
                .collect(),
        })
        .collect();
    let names: std::collections::HashMap<String, String> = rows
        .iter()
        .map(|r| (r.id.clone(), r.supplier.clone()))
        .collect();
    let (ranking_rows, excluded_rows, failure) = match &run {
        Some(r) => (
            ranking(&r.output, b.lang(), &|id| names.get(id).cloned()),
            excluded(&r.output, b.lang())
                .into_iter()
                .map(|(id, reason)| (names.get(&id).cloned().unwrap_or(id), reason))
                .collect(),
            r.output["failure_reason"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        ),
        None => (Vec::new(), Vec::new(), String::new()),
    };
    let winner_price = lot
        .awarded_bid_id
        .as_ref()
        .and_then(|id| rows.iter().find(|r| &r.id == id))
        .map(|r| r.price.clone())
        .unwrap_or_default();
    let status = crate::web::form_status(&problems);
    let due = p.opening_at.is_some_and(|t| t <= now);
    let unopenable = opening
        .as_ref()
        .and_then(|o| o.record.as_ref())
        .filter(|r| r["outcome"] == "failed")
        .map(|r| r["failure_reason"].as_str().unwrap_or_default().to_string());
    let record = opening
        .as_ref()
        .and_then(|o| o.record.as_ref())
        .and_then(|r| serde_json::from_value::<Vec<opening::OpenedBid>>(r["bids"].clone()).ok())
        .unwrap_or_default()
        .into_iter()
        .map(|r| OpenedRow {
            bidder: r.bidder.unwrap_or_else(|| "—".into()),
            price: r.price.unwrap_or_default(),
            receipt: format!("{}…", &r.receipt_sha256[..16.min(r.receipt_sha256.len())]),
            opened: r.result == "opened",
            reason: r.reason.unwrap_or_default(),
        })
        .collect();
    Ok(html(
        status,
        b,
        &LotPage {
            b: b.clone(),
            p,
            lot,
            sealed: list.sealed,
            contracts,
            count: list
                .count
                .map_or_else(|| "—".to_string(), |n| n.to_string()),
            bids: rows,
            run,
            ranking: ranking_rows,
            excluded: excluded_rows,
            failure,
            winner_price,
            f,
            problems,
            due,
            record,
            unopenable,
            opening,
            mine,
            collected,
        },
    ))
}

/// A holder collects its share of the lot: shown on the page this once.
pub async fn collect_share(state: State, b: Base, id: web::Path<String>, _f: Form) -> PageResult {
    let lot_id = id.into_inner();
    let clock = state.clock.clone();
    let keys = state.keys.clone();
    let caller = b.caller();
    let lot = lot_id.clone();
    let result = state
        .db(move |conn| opening::collect_share(conn, clock.as_ref(), &keys, &actor(&caller), &lot))
        .await;
    match result {
        Ok(share) => {
            lot_page_with(
                &state,
                &b,
                lot_id,
                Form::default(),
                Vec::new(),
                Some(share.share),
            )
            .await
        }
        Err(e) => match crate::web::problems_of(&e, b.lang()) {
            Some(problems) => Ok(crate::web::with_status(
                lot_page(&state, &b, lot_id, Form::default(), problems).await?,
                &e,
            )),
            None => Err(e).on(&b),
        },
    }
}

/// A holder gives its share at the opening.
pub async fn give_share(state: State, b: Base, id: web::Path<String>, f: Form) -> PageResult {
    let keys = state.keys.clone();
    let store = state.document_store();
    let input = ShareInput {
        share: f.get("share"),
    };
    act(
        On::Lot,
        state,
        b,
        id.into_inner(),
        f,
        move |conn, clock, actor, id| {
            opening::give_share(conn, clock, &keys, &store, actor, id, &input)
        },
    )
    .await
}

/// The agency declares the lot unopenable (fewer than k holders can give their shares).
pub async fn fail_unopened(state: State, b: Base, id: web::Path<String>, f: Form) -> PageResult {
    let store = state.document_store();
    let input = opening::FailInput {
        reason: f.get("reason"),
    };
    act(
        On::Lot,
        state,
        b,
        id.into_inner(),
        f,
        move |conn, clock, actor, id| {
            opening::fail_unopened(conn, clock, &store, actor, id, &input)
        },
    )
    .await
}

pub async fn lot(state: State, b: Base, id: web::Path<String>) -> PageResult {
    lot_page(&state, &b, id.into_inner(), Form::default(), Vec::new()).await
}

/// One evaluator's sheet: each bid's qualification (资格性审查) and its technical and commercial
/// scores, recorded together or not at all.
pub(super) fn sheet_of(f: &Form) -> Result<(QualificationInput, ScoresInput), Error> {
    let ids = f.all("bid");
    let mut results = Vec::new();
    let mut scores = Vec::new();
    for id in &ids {
        let qualified = f.get(&format!("qualified_{id}")).as_deref() != Some("no");
        results.push(json!({
            "bid_id": id,
            "qualified": qualified,
            "reason": f.get(&format!("reason_{id}")),
        }));
        if qualified {
            let mut s = Map::new();
            s.insert("bid_id".into(), json!(id));
            for part in ["technical", "commercial"] {
                let name = format!("{part}_{id}");
                if let Some(v) = percent(f, &name)? {
                    s.insert(part.into(), json!(v));
                }
            }
            scores.push(Value::Object(s));
        }
    }
    let qualification = from_json(json!({ "results": results }))?;
    let sheet = from_json(json!({ "evaluator": f.get("evaluator"), "scores": scores }))?;
    Ok((qualification, sheet))
}

pub async fn scores(state: State, b: Base, id: web::Path<String>, f: Form) -> PageResult {
    let sheet = sheet_of(&f);
    act(
        On::Lot,
        state,
        b,
        id.into_inner(),
        f,
        move |conn, clock, actor, id| {
            let (qualification, sheet) = sheet?;
            bids::review_sheet(conn, clock, actor, id, &qualification, &sheet)
        },
    )
    .await
}

pub async fn evaluate(state: State, b: Base, id: web::Path<String>, f: Form) -> PageResult {
    let input = RunInput {
        unreserved: f.checked("unreserved").then_some(true),
    };
    act(
        On::Lot,
        state,
        b,
        id.into_inner(),
        f,
        move |conn, clock, actor, id| evaluation::run(conn, clock, actor, id, &input),
    )
    .await
}

pub async fn award(state: State, b: Base, id: web::Path<String>, f: Form) -> PageResult {
    let input = AwardInput {
        bid_id: f.get("bid_id"),
    };
    act(
        On::Lot,
        state,
        b,
        id.into_inner(),
        f,
        move |conn, clock, actor, id| evaluation::award(conn, clock, actor, id, &input),
    )
    .await
}

/// The award passes to the next ranked bid (the winner declined, did not sign, or is
/// ineligible).
pub async fn award_next(state: State, b: Base, id: web::Path<String>, f: Form) -> PageResult {
    let input = evaluation::NextAwardInput {
        reason: f.get("reason"),
        text: f.get("text"),
        bid_id: f.get("bid_id"),
    };
    act(
        On::Lot,
        state,
        b,
        id.into_inner(),
        f,
        move |conn, clock, actor, id| evaluation::award_next(conn, clock, actor, id, &input),
    )
    .await
}

pub async fn contract(state: State, b: Base, id: web::Path<String>, f: Form) -> PageResult {
    let input = ContractInput {
        number: f.get("number"),
        amount: f.get("amount"),
        signed_on: f.get("signed_on"),
    };
    act(
        On::Lot,
        state,
        b,
        id.into_inner(),
        f,
        move |conn, clock, actor, id| evaluation::contract(conn, clock, actor, id, &input),
    )
    .await
}
