//! The procurement lifecycle over HTTP: projects and lots, notices (with an Atom feed and OCDS
//! release packages), sealed bids, qualification, scores, evaluation runs, awards, contracts.

use super::AppState;
use crate::error::Result;
use crate::http::access::Caller;
use crate::http::extract::{json_body, Json, Query};
use crate::service::procurement::bids::{
    self, BidInput, BidOrReceipt, LotBids, QualificationInput, Receipt, ScoresInput,
};
use crate::service::procurement::evaluation::{
    self, AwardInput, ContractInput, ContractView, Replay, RunInput, RunView,
};
use crate::service::procurement::notices::{self, NoticePage, NoticeParams, NoticeView};
use crate::service::procurement::ocds::{self, BulkParams};
use crate::service::procurement::projects::{
    self, CorrectionInput, LotView, ProjectDraft, ProjectListParams, ProjectPage, ProjectView,
};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;

pub use crate::http::actor::actor;

/// An optional JSON body: none (or empty) means the defaults.
async fn optional_body<T: DeserializeOwned + Default>(
    req: &HttpRequest,
    payload: &mut web::Payload,
) -> Result<T> {
    let has_body = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v != "0")
        || req.headers().contains_key(header::TRANSFER_ENCODING);
    if has_body {
        json_body(req, payload).await
    } else {
        Ok(T::default())
    }
}

use super::base_url;

type Id = web::Path<String>;

/// Drafts a project with its lots (an agency user, for its agency).
#[utoipa::path(post, path = "/api/v1/projects", tag = "procurement", security(("bearer" = [])),
    request_body = ProjectDraft, responses((status = 201, body = ProjectView),
    (status = 422, description = "every bad field named", body = crate::error::Problem)))]
pub async fn create_project(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<ProjectDraft>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let view = state
        .db(move |conn| projects::create(conn, clock.as_ref(), &actor(&caller), &body.0))
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// The agency workspace: its projects (admins and auditors: all), newest first.
#[utoipa::path(get, path = "/api/v1/projects", tag = "procurement", security(("bearer" = [])),
    params(ProjectListParams), responses((status = 200, body = ProjectPage)))]
pub async fn list_projects(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<ProjectListParams>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let page = state
        .db(move |conn| projects::list(conn, clock.as_ref(), &actor(&caller), &query.0))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// A project with its lots and bid counts (drafts: only its agency, admins and auditors).
#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "procurement",
    params(("id" = String, Path)), responses((status = 200, body = ProjectView), (status = 404, body = crate::error::Problem)))]
pub async fn show_project(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let view = state
        .db(move |conn| projects::show(conn, clock.as_ref(), &actor(&caller), &id))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Replaces a draft (same body as creation); a published project is changed by a correction notice.
#[utoipa::path(put, path = "/api/v1/projects/{id}", tag = "procurement", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ProjectDraft,
    responses((status = 200, body = ProjectView), (status = 409, description = "not a draft", body = crate::error::Problem),
    (status = 422, body = crate::error::Problem)))]
pub async fn replace_project(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
    body: Json<ProjectDraft>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let view = state
        .db(move |conn| projects::replace(conn, clock.as_ref(), &actor(&caller), &id, &body.0))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Publishes a draft: pins the policy version and publishes the procurement notice.
#[utoipa::path(post, path = "/api/v1/projects/{id}/publish", tag = "procurement", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = ProjectView),
    (status = 409, description = "not a draft", body = crate::error::Problem),
    (status = 422, description = "timeline missing or past", body = crate::error::Problem)))]
pub async fn publish_project(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let keys = state.keys.clone();
    let view = state
        .db(move |conn| projects::publish(conn, clock.as_ref(), &keys, &actor(&caller), &id))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Publishes a correction notice (更正公告) before the deadline; it may move the timeline.
#[utoipa::path(post, path = "/api/v1/projects/{id}/corrections", tag = "procurement", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = CorrectionInput,
    responses((status = 201, body = NoticeView), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn correct_project(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
    body: Json<CorrectionInput>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let notice = state
        .db(move |conn| projects::correct(conn, clock.as_ref(), &actor(&caller), &id, &body.0))
        .await?;
    Ok(HttpResponse::Created().json(notice))
}

/// Publishes the result notice (or the failure notice) once every lot is awarded or failed.
#[utoipa::path(post, path = "/api/v1/projects/{id}/result", tag = "procurement", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 201, body = NoticeView), (status = 409, body = crate::error::Problem)))]
pub async fn publish_result(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let notice = state
        .db(move |conn| evaluation::publish_result(conn, clock.as_ref(), &actor(&caller), &id))
        .await?;
    Ok(HttpResponse::Created().json(notice))
}

/// Ends a project, or some of its lots (终止), with its reason; publishes the termination
/// notice. Ended lots fail and may be procured again in a new round.
#[utoipa::path(post, path = "/api/v1/projects/{id}/terminate", tag = "procurement", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = crate::service::procurement::termination::TerminationInput,
    responses((status = 201, body = NoticeView),
    (status = 409, description = "a draft, a lot already failed or contracted, or suspended by a complaint", body = crate::error::Problem),
    (status = 422, body = crate::error::Problem)))]
pub async fn terminate_project(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
    body: Json<crate::service::procurement::termination::TerminationInput>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let notice = state
        .db(move |conn| {
            crate::service::procurement::termination::terminate(
                conn,
                clock.as_ref(),
                &actor(&caller),
                &id,
                &body.0,
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(notice))
}

/// Drafts a new round (重新采购) of the project's failed lots: a draft linked to them, its
/// reservation as the profile says (a reserved lot failed for too few bids runs unreserved
/// under 财库〔2020〕46号).
#[utoipa::path(post, path = "/api/v1/projects/{id}/rounds", tag = "procurement", security(("bearer" = [])),
    params(("id" = String, Path)), request_body(content = projects::RoundInput, description = "optional"),
    responses((status = 201, body = ProjectView),
    (status = 409, description = "no failed lot, a lot not failed, or one procured again already", body = crate::error::Problem),
    (status = 422, body = crate::error::Problem)))]
pub async fn new_round(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: Id,
    mut payload: web::Payload,
) -> Result<HttpResponse> {
    let input: projects::RoundInput = optional_body(&req, &mut payload).await?;
    let clock = state.clock.clone();
    let view = state
        .db(move |conn| projects::new_round(conn, clock.as_ref(), &actor(&caller), &id, &input))
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// The project's contracts, with their SME credits.
#[utoipa::path(get, path = "/api/v1/projects/{id}/contracts", tag = "procurement",
    params(("id" = String, Path)), responses((status = 200, body = Vec<ContractView>)))]
pub async fn project_contracts(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
) -> Result<HttpResponse> {
    let list = state
        .db(move |conn| evaluation::project_contracts(conn, &actor(&caller), &id))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// OCDS 1.1 release package of one published project.
#[utoipa::path(get, path = "/api/v1/projects/{id}/ocds", tag = "notices",
    params(("id" = String, Path)), responses((status = 200, description = "OCDS release package", body = Object)))]
pub async fn project_ocds(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: Id,
) -> Result<HttpResponse> {
    let now = state.clock.now_naive();
    let base = base_url(&req);
    let package = state
        .db(move |conn| ocds::project_package(conn, &id, now, &base))
        .await?;
    Ok(HttpResponse::Ok().json(package))
}

/// OCDS 1.1 releases of every published project, paged by the date of its last change.
#[utoipa::path(get, path = "/api/v1/ocds/releases", tag = "notices", params(BulkParams),
    responses((status = 200, description = "OCDS release package; `Link: <…>; rel=\"next\"` when more", body = Object)))]
pub async fn ocds_releases(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: Query<BulkParams>,
) -> Result<HttpResponse> {
    let now = state.clock.now_naive();
    let base = base_url(&req);
    let mut params = query.0;
    let (package, next) = {
        let base = base.clone();
        let p = params.clone();
        state
            .db(move |conn| ocds::bulk(conn, &p, now, &base))
            .await?
    };
    let mut res = HttpResponse::Ok();
    if let Some(cursor) = next {
        params.cursor = Some(cursor.clone());
        let mut q = form_urlencoded::Serializer::new(String::new());
        if let Some(f) = params.from {
            q.append_pair("from", &f.to_string());
        }
        if let Some(t) = params.to {
            q.append_pair("to", &t.to_string());
        }
        if let Some(l) = params.limit {
            q.append_pair("limit", &l.to_string());
        }
        q.append_pair("cursor", &cursor);
        res.insert_header((
            header::LINK,
            format!("<{base}/api/v1/ocds/releases?{}>; rel=\"next\"", q.finish()),
        ));
    }
    Ok(res.json(package))
}

/// Published notices, newest first, with filters.
#[utoipa::path(get, path = "/api/v1/notices", tag = "notices", params(NoticeParams),
    responses((status = 200, body = NoticePage), (status = 422, body = crate::error::Problem)))]
pub async fn list_notices(
    state: web::Data<AppState>,
    query: Query<NoticeParams>,
) -> Result<HttpResponse> {
    let page = state.db(move |conn| notices::list(conn, &query.0)).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// The same notices as an Atom 1.0 feed.
#[utoipa::path(get, path = "/api/v1/notices.atom", tag = "notices", params(NoticeParams),
    responses((status = 200, description = "an Atom 1.0 feed", content_type = "application/atom+xml", body = String)))]
pub async fn notices_atom(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: Query<NoticeParams>,
) -> Result<HttpResponse> {
    let base = base_url(&req);
    let feed = state
        .db(move |conn| notices::atom(conn, &query.0, &base))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/atom+xml; charset=utf-8")
        .body(feed))
}

#[utoipa::path(get, path = "/api/v1/notices/{id}", tag = "notices", params(("id" = String, Path)),
    responses((status = 200, body = NoticeView), (status = 404, body = crate::error::Problem)))]
pub async fn show_notice(state: web::Data<AppState>, id: Id) -> Result<HttpResponse> {
    let notice = state.db(move |conn| notices::show(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(notice))
}

/// A bid with its documents (响应文件), as `multipart/form-data`: the part `bid` first (the
/// bid as JSON), then the files, each in a part named by its kind. Files are checked by
/// content (PDF, OOXML/ODF, ZIP, JPEG, PNG) and sealed to the lot key as they stream in.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct BidUpload {
    /// The bid (the JSON of `BidInput`).
    bid: String,
    /// 技术文件.
    #[schema(value_type = Option<String>, format = Binary)]
    technical: Option<Vec<u8>>,
    /// 资格证明文件.
    #[schema(value_type = Option<String>, format = Binary)]
    qualification: Option<Vec<u8>>,
    /// 开标一览表 / 报价表.
    #[schema(value_type = Option<String>, format = Binary)]
    price_schedule: Option<Vec<u8>>,
    #[schema(value_type = Option<String>, format = Binary)]
    other: Option<Vec<u8>>,
}

/// Submits a sealed bid (a supplier, before the deadline); answers the receipt. JSON, or
/// multipart with documents (the receipt then covers their SHA-256).
#[utoipa::path(post, path = "/api/v1/lots/{id}/bids", tag = "bids", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body(content((BidInput = "application/json"), (BidUpload = "multipart/form-data"))),
    responses((status = 201, body = Receipt), (status = 409, description = "past the deadline, or a bid already submitted", body = crate::error::Problem),
    (status = 413, description = "a document or the bid's documents over their limits", body = crate::error::Problem),
    (status = 415, description = "neither JSON nor multipart", body = crate::error::Problem),
    (status = 422, description = "bad field, a file of a type not accepted, or not an SME on a reserved lot", body = crate::error::Problem)))]
pub async fn submit_bid(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
    req: HttpRequest,
    mut payload: web::Payload,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let keys = state.keys.clone();
    if crate::http::documents::is_multipart(&req) {
        let (lot, who, c) = (id.to_string(), caller.clone(), clock.clone());
        let key = state
            .db(move |conn| bids::may_submit(conn, c.as_ref(), &actor(&who), &lot))
            .await?;
        let multipart = actix_multipart::Multipart::new(req.headers(), payload);
        let read = crate::http::documents::read::<BidInput>(
            &state,
            multipart,
            crate::service::procurement::documents::Purpose::Bid,
            id.to_string(),
            key,
            Some("bid"),
        )
        .await?;
        let kept = read.documents.clone();
        let receipt = state
            .db(move |conn| {
                bids::submit_with(
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
    let body: BidInput = crate::http::extract::json_body(&req, &mut payload).await?;
    let receipt = state
        .db(move |conn| bids::submit(conn, clock.as_ref(), &keys, &actor(&caller), &id, &body))
        .await?;
    Ok(HttpResponse::Created().json(receipt))
}

/// The lot's bids for its project's staff: only the count before the opening.
#[utoipa::path(get, path = "/api/v1/lots/{id}/bids", tag = "bids", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = LotBids)))]
pub async fn lot_bids(state: web::Data<AppState>, caller: Caller, id: Id) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let list = state
        .db(move |conn| bids::of_lot(conn, clock.as_ref(), &actor(&caller), &id))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// One bid: its supplier gets the receipt before the opening; after it, the bid.
#[utoipa::path(get, path = "/api/v1/bids/{id}", tag = "bids", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = BidOrReceipt),
    (status = 409, description = "sealed until the opening", body = crate::error::Problem)))]
pub async fn show_bid(state: web::Data<AppState>, caller: Caller, id: Id) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let keys = state.keys.clone();
    let bid = state
        .db(move |conn| bids::show(conn, clock.as_ref(), &keys, &actor(&caller), &id))
        .await?;
    Ok(HttpResponse::Ok().json(bid))
}

/// Replaces a submitted bid before the deadline (a new bid id and receipt). JSON, or multipart
/// with the new bid's documents (the replaced bid's stay with it).
#[utoipa::path(put, path = "/api/v1/bids/{id}", tag = "bids", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body(content((BidInput = "application/json"), (BidUpload = "multipart/form-data"))),
    responses((status = 200, body = Receipt), (status = 409, body = crate::error::Problem),
    (status = 413, body = crate::error::Problem), (status = 415, body = crate::error::Problem),
    (status = 422, body = crate::error::Problem)))]
pub async fn replace_bid(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
    req: HttpRequest,
    mut payload: web::Payload,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let keys = state.keys.clone();
    if crate::http::documents::is_multipart(&req) {
        let (bid, who, c, k) = (id.to_string(), caller.clone(), clock.clone(), keys.clone());
        let (lot, key) = state
            .db(move |conn| bids::may_replace(conn, c.as_ref(), &k, &actor(&who), &bid))
            .await?;
        let multipart = actix_multipart::Multipart::new(req.headers(), payload);
        let read = crate::http::documents::read::<BidInput>(
            &state,
            multipart,
            crate::service::procurement::documents::Purpose::Bid,
            lot,
            key,
            Some("bid"),
        )
        .await?;
        let kept = read.documents.clone();
        let receipt = state
            .db(move |conn| {
                bids::replace_with(
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
        return Ok(HttpResponse::Ok().json(receipt?));
    }
    let body: BidInput = crate::http::extract::json_body(&req, &mut payload).await?;
    let receipt = state
        .db(move |conn| bids::replace(conn, clock.as_ref(), &keys, &actor(&caller), &id, &body))
        .await?;
    Ok(HttpResponse::Ok().json(receipt))
}

/// Withdraws a submitted bid before the deadline.
#[utoipa::path(post, path = "/api/v1/bids/{id}/withdraw", tag = "bids", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Receipt), (status = 409, body = crate::error::Problem)))]
pub async fn withdraw_bid(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let keys = state.keys.clone();
    let receipt = state
        .db(move |conn| bids::withdraw(conn, clock.as_ref(), &keys, &actor(&caller), &id))
        .await?;
    Ok(HttpResponse::Ok().json(receipt))
}

/// Records the qualification review (资格性、符合性审查) of bids, after the opening.
#[utoipa::path(post, path = "/api/v1/lots/{id}/qualification", tag = "evaluation", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = QualificationInput,
    responses((status = 200, body = LotBids), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn qualify(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
    body: Json<QualificationInput>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let list = state
        .db(move |conn| bids::qualify(conn, clock.as_ref(), &actor(&caller), &id, &body.0))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Records one evaluator's technical and commercial scores, after the opening.
#[utoipa::path(post, path = "/api/v1/lots/{id}/scores", tag = "evaluation", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ScoresInput,
    responses((status = 200, body = LotBids), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn enter_scores(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
    body: Json<ScoresInput>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let list = state
        .db(move |conn| bids::enter_scores(conn, clock.as_ref(), &actor(&caller), &id, &body.0))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Runs the evaluation of a lot with the pinned profile and stores the run.
#[utoipa::path(post, path = "/api/v1/lots/{id}/evaluate", tag = "evaluation", security(("bearer" = [])),
    params(("id" = String, Path)), request_body(content = RunInput, description = "optional"),
    responses((status = 201, body = RunView), (status = 409, description = "sealed, reviews or scores missing, or decided", body = crate::error::Problem)))]
pub async fn run_evaluation(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: Id,
    mut payload: web::Payload,
) -> Result<HttpResponse> {
    let input: RunInput = optional_body(&req, &mut payload).await?;
    let clock = state.clock.clone();
    let run = state
        .db(move |conn| evaluation::run(conn, clock.as_ref(), &actor(&caller), &id, &input))
        .await?;
    Ok(HttpResponse::Created().json(run))
}

/// The lot's evaluation runs, oldest first.
#[utoipa::path(get, path = "/api/v1/lots/{id}/evaluations", tag = "evaluation", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Vec<RunView>)))]
pub async fn lot_runs(state: web::Data<AppState>, caller: Caller, id: Id) -> Result<HttpResponse> {
    let list = state
        .db(move |conn| evaluation::runs(conn, &actor(&caller), &id))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

#[utoipa::path(get, path = "/api/v1/evaluations/{id}", tag = "evaluation", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = RunView)))]
pub async fn show_run(state: web::Data<AppState>, caller: Caller, id: Id) -> Result<HttpResponse> {
    let run = state
        .db(move |conn| evaluation::show_run(conn, &actor(&caller), &id))
        .await?;
    Ok(HttpResponse::Ok().json(run))
}

/// Runs the stored input again and compares the bytes with the stored output.
#[utoipa::path(get, path = "/api/v1/evaluations/{id}/replay", tag = "evaluation", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Replay)))]
pub async fn replay_run(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
) -> Result<HttpResponse> {
    let replay = state
        .db(move |conn| evaluation::replay(conn, &actor(&caller), &id))
        .await?;
    Ok(HttpResponse::Ok().json(replay))
}

/// Awards a lot to its first-ranked bid (name it when bids tie at rank 1).
#[utoipa::path(post, path = "/api/v1/lots/{id}/award", tag = "evaluation", security(("bearer" = [])),
    params(("id" = String, Path)), request_body(content = AwardInput, description = "optional"),
    responses((status = 200, body = LotView), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn award(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: Id,
    mut payload: web::Payload,
) -> Result<HttpResponse> {
    let input: AwardInput = optional_body(&req, &mut payload).await?;
    let clock = state.clock.clone();
    let lot = state
        .db(move |conn| evaluation::award(conn, clock.as_ref(), &actor(&caller), &id, &input))
        .await?;
    Ok(HttpResponse::Ok().json(lot))
}

/// The award passes to the next ranked bid (政府采购法实施条例 Art. 49): the winner declined,
/// did not sign within 30 days of the result, or was found ineligible. A new result notice
/// follows once the result was out.
#[utoipa::path(post, path = "/api/v1/lots/{id}/award/next", tag = "evaluation", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = crate::service::procurement::evaluation::NextAwardInput,
    responses((status = 200, body = LotView),
    (status = 409, description = "not awarded, contracted, suspended, still within the signing period, or no ranked bid left", body = crate::error::Problem),
    (status = 422, body = crate::error::Problem)))]
pub async fn award_next(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
    body: Json<crate::service::procurement::evaluation::NextAwardInput>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let lot = state
        .db(move |conn| evaluation::award_next(conn, clock.as_ref(), &actor(&caller), &id, &body.0))
        .await?;
    Ok(HttpResponse::Ok().json(lot))
}

/// Records the contract of an awarded lot, with its SME and small/micro credits.
#[utoipa::path(post, path = "/api/v1/lots/{id}/contract", tag = "evaluation", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ContractInput,
    responses((status = 201, body = ContractView), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn record_contract(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
    body: Json<ContractInput>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let contract = state
        .db(move |conn| evaluation::contract(conn, clock.as_ref(), &actor(&caller), &id, &body.0))
        .await?;
    Ok(HttpResponse::Created().json(contract))
}

#[utoipa::path(get, path = "/api/v1/contracts/{id}", tag = "evaluation",
    params(("id" = String, Path)), responses((status = 200, body = ContractView), (status = 404, body = crate::error::Problem)))]
pub async fn show_contract(state: web::Data<AppState>, id: Id) -> Result<HttpResponse> {
    let contract = state
        .db(move |conn| evaluation::show_contract(conn, &id))
        .await?;
    Ok(HttpResponse::Ok().json(contract))
}

/// A document of an opened bid (its project's staff, its supplier), checked against the hash in
/// the bid before it is sent.
#[utoipa::path(get, path = "/api/v1/bids/{id}/documents/{document}", tag = "bids", security(("bearer" = [])),
    params(("id" = String, Path), ("document" = String, Path)),
    responses((status = 200, description = "the file, as uploaded", content_type = "application/octet-stream", body = Vec<u8>),
    (status = 404, body = crate::error::Problem),
    (status = 409, description = "sealed until the opening", body = crate::error::Problem)))]
pub async fn bid_document(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (bid, doc) = path.into_inner();
    let clock = state.clock.clone();
    let keys = state.keys.clone();
    let (row, reference) = state
        .db(move |conn| bids::document(conn, clock.as_ref(), &keys, &actor(&caller), &bid, &doc))
        .await?;
    let store = state.document_store();
    let r = reference.clone();
    let file =
        web::block(move || crate::service::procurement::documents::verified_file(&store, &row, &r))
            .await??;
    Ok(crate::http::documents::download(
        file,
        &reference.media_type,
        reference.size_bytes,
        &reference.filename,
        &reference.sha256,
    ))
}
