//! Payments over HTTP (docs/payments.md): the payment terms, schedules of contracts and
//! subcontracts, delivery and acceptance records with their files (`multipart/form-data`: the
//! JSON in its named part first, then `evidence` files — or plain JSON), payments, disputes,
//! the SMEs' reports of unpaid instalments, and the overdue figures for the finance
//! department (JSON and CSV).

use super::remedies::{body_and_files, keeping};
use super::AppState;
use crate::error::Result;
use crate::http::access::Caller;
use crate::http::extract::{Json, Query};
use crate::service::payments::milestones::{self, AcceptanceInput, DeliveryInput, DisputeInput};
use crate::service::payments::oversight::{self, OverdueLine, OverdueParams, OverdueSummary};
use crate::service::payments::record::{self, PaymentInput};
use crate::service::payments::reports::{self, CloseInput, ReportInput, ReportParams, ReportView};
use crate::service::payments::schedules::{self, ScheduleInput};
use crate::service::payments::{InstalmentView, ScheduleView};
use actix_web::{web, HttpRequest, HttpResponse};

pub use crate::http::actor::actor;

type Id = web::Path<String>;

/// The payment terms as data: each text of 保障中小企业款项支付条例 with the day it took
/// effect, its terms and their sources, and the one-year LPR table.
#[utoipa::path(get, path = "/api/v1/payment-terms", tag = "payments",
    responses((status = 200, description = "payments/terms.toml as JSON", body = Object)))]
pub async fn terms() -> Result<HttpResponse> {
    let value: toml::Value = toml::from_str(crate::domain::payments::TERMS_TOML)
        .map_err(|e| crate::error::Error::Internal(e.into()))?;
    Ok(HttpResponse::Ok().json(value))
}

/// A contract's payment schedule (the agency pays its supplier): for the parties and staff.
#[utoipa::path(get, path = "/api/v1/contracts/{id}/schedule", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = ScheduleView), (status = 404, body = crate::error::Problem)))]
pub async fn contract_schedule(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let view = state
        .db(move |conn| schedules::show(conn, clock.as_ref(), &actor(&caller), &id))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Sets a contract's payment schedule (the project's agency), or replaces it until the first
/// milestone or payment: instalments adding up to the amount, terms the regulation allows.
#[utoipa::path(put, path = "/api/v1/contracts/{id}/schedule", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ScheduleInput,
    responses((status = 200, body = ScheduleView),
    (status = 409, description = "the contract is void, or the schedule has started", body = crate::error::Problem),
    (status = 422, description = "a field wrong: a term beyond the regulation's limit, a back-to-back term, amounts that do not add up (naming the rule)", body = crate::error::Problem)))]
pub async fn set_contract_schedule(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
    body: Json<ScheduleInput>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let view = state
        .db(move |conn| {
            schedules::set_for_contract(conn, clock.as_ref(), &actor(&caller), &id, &body.0)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A subcontract's payment schedule (the prime pays its subcontractor).
#[utoipa::path(get, path = "/api/v1/subcontracts/{id}/schedule", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = ScheduleView), (status = 404, body = crate::error::Problem)))]
pub async fn subcontract_schedule(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let view = state
        .db(move |conn| schedules::show(conn, clock.as_ref(), &actor(&caller), &id))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Sets a subcontract's payment schedule (the prime).
#[utoipa::path(put, path = "/api/v1/subcontracts/{id}/schedule", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ScheduleInput,
    responses((status = 200, body = ScheduleView), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn set_subcontract_schedule(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
    body: Json<ScheduleInput>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let view = state
        .db(move |conn| {
            schedules::set_for_subcontract(conn, clock.as_ref(), &actor(&caller), &id, &body.0)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[utoipa::path(get, path = "/api/v1/instalments/{id}", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = InstalmentView), (status = 404, body = crate::error::Problem)))]
pub async fn show_instalment(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let view = state
        .db(move |conn| milestones::show(conn, clock.as_ref(), &actor(&caller), &id))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A delivery record with its files, as `multipart/form-data`.
#[derive(utoipa::ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct DeliveryUpload {
    /// The JSON of `DeliveryInput`.
    #[schema(min_length = 2)]
    delivery: String,
    /// 交货单、验收单 …: PDF, OOXML/ODF, ZIP, JPEG or PNG (several parts allowed).
    #[schema(value_type = Option<String>, format = Binary)]
    evidence: Option<Vec<u8>>,
}

/// The payer records the delivery (交付) of an instalment's goods, works or services.
#[utoipa::path(post, path = "/api/v1/instalments/{id}/delivery", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body(content((DeliveryInput = "application/json"), (DeliveryUpload = "multipart/form-data"))),
    responses((status = 200, body = InstalmentView), (status = 403, body = crate::error::Problem),
    (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn record_delivery(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse> {
    let (input, files) = body_and_files::<DeliveryInput>(&state, &req, payload, "delivery").await?;
    let clock = state.clock.clone();
    let view = keeping(&state, files, move |conn, docs| {
        milestones::record_delivery(conn, clock.as_ref(), &actor(&caller), &id, &input, docs)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// An acceptance record with its files, as `multipart/form-data`.
#[derive(utoipa::ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct AcceptanceUpload {
    /// The JSON of `AcceptanceInput`.
    #[schema(min_length = 2)]
    acceptance: String,
    /// 验收报告 …: PDF, OOXML/ODF, ZIP, JPEG or PNG (several parts allowed).
    #[schema(value_type = Option<String>, format = Binary)]
    evidence: Option<Vec<u8>>,
}

/// The payer records the acceptance (验收): passed, or failed (not due until accepted).
#[utoipa::path(post, path = "/api/v1/instalments/{id}/acceptance", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body(content((AcceptanceInput = "application/json"), (AcceptanceUpload = "multipart/form-data"))),
    responses((status = 200, body = InstalmentView), (status = 403, body = crate::error::Problem),
    (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn record_acceptance(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse> {
    let (input, files) =
        body_and_files::<AcceptanceInput>(&state, &req, payload, "acceptance").await?;
    let clock = state.clock.clone();
    let view = keeping(&state, files, move |conn, docs| {
        milestones::record_acceptance(conn, clock.as_ref(), &actor(&caller), &id, &input, docs)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The payee confirms the payer's record of delivery and acceptance.
#[utoipa::path(post, path = "/api/v1/instalments/{id}/confirm", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = InstalmentView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn confirm_instalment(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let view = state
        .db(move |conn| milestones::confirm(conn, clock.as_ref(), &actor(&caller), &id))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The payee disputes the payer's record: the instalment is held without interest while the
/// dispute lasts; the rest of the schedule runs (802号 Art. 15).
#[utoipa::path(post, path = "/api/v1/instalments/{id}/dispute", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = DisputeInput,
    responses((status = 200, body = InstalmentView), (status = 403, body = crate::error::Problem),
    (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn dispute_instalment(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
    body: Json<DisputeInput>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let view = state
        .db(move |conn| milestones::dispute(conn, clock.as_ref(), &actor(&caller), &id, &body.0))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The payee withdraws its dispute: the record stands.
#[utoipa::path(post, path = "/api/v1/instalments/{id}/dispute/withdraw", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = InstalmentView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn withdraw_dispute(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let view = state
        .db(move |conn| milestones::withdraw_dispute(conn, clock.as_ref(), &actor(&caller), &id))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The payer records a payment (amount, date, reference), at most what is outstanding.
#[utoipa::path(post, path = "/api/v1/instalments/{id}/payments", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = PaymentInput,
    responses((status = 201, body = InstalmentView), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn record_payment(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
    body: Json<PaymentInput>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let view = state
        .db(move |conn| record::record_payment(conn, clock.as_ref(), &actor(&caller), &id, &body.0))
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// The payee confirms a payment it received.
#[utoipa::path(post, path = "/api/v1/instalment-payments/{id}/confirm", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = InstalmentView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn confirm_payment(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let view = state
        .db(move |conn| record::confirm_payment(conn, clock.as_ref(), &actor(&caller), &id))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A report of an unpaid instalment with its files, as `multipart/form-data`.
#[derive(utoipa::ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ReportUpload {
    /// The JSON of `ReportInput`.
    #[schema(min_length = 2)]
    report: String,
    /// Invoices, acceptance papers, reminders: PDF, OOXML/ODF, ZIP, JPEG or PNG.
    #[schema(value_type = Option<String>, format = Binary)]
    evidence: Option<Vec<u8>>,
}

/// The payee reports an instalment it was not paid (in full) to the finance department.
#[utoipa::path(post, path = "/api/v1/instalments/{id}/reports", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body(content((ReportInput = "application/json"), (ReportUpload = "multipart/form-data"))),
    responses((status = 201, body = ReportView), (status = 403, body = crate::error::Problem),
    (status = 409, description = "paid already, or a report of it is open", body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn file_report(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse> {
    let (input, files) = body_and_files::<ReportInput>(&state, &req, payload, "report").await?;
    let clock = state.clock.clone();
    let view = keeping(&state, files, move |conn, docs| {
        reports::file(conn, clock.as_ref(), &actor(&caller), &id, &input, docs)
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Reports of unpaid instalments the caller may read: the finance department, auditors and
/// admins all; a supplier those it filed or that concern its payments; an agency its projects'.
#[utoipa::path(get, path = "/api/v1/payment-reports", tag = "payments", security(("bearer" = [])),
    params(ReportParams), responses((status = 200, body = Vec<ReportView>)))]
pub async fn list_reports(
    state: web::Data<AppState>,
    caller: Caller,
    params: Query<ReportParams>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let list = state
        .db(move |conn| reports::list(conn, clock.as_ref(), &actor(&caller), &params.0))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

#[utoipa::path(get, path = "/api/v1/payment-reports/{id}", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = ReportView), (status = 404, body = crate::error::Problem)))]
pub async fn show_report(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let view = state
        .db(move |conn| reports::show(conn, clock.as_ref(), &actor(&caller), &id))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The finance department closes a report with what it did.
#[utoipa::path(post, path = "/api/v1/payment-reports/{id}/close", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = CloseInput,
    responses((status = 200, body = ReportView), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn close_report(
    state: web::Data<AppState>,
    caller: Caller,
    id: Id,
    body: Json<CloseInput>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let view = state
        .db(move |conn| reports::close(conn, clock.as_ref(), &actor(&caller), &id, &body.0))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[utoipa::path(get, path = "/api/v1/payment-documents/{id}", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"), (status = 404, body = crate::error::Problem)))]
pub async fn document(state: web::Data<AppState>, caller: Caller, id: Id) -> Result<HttpResponse> {
    let row = state
        .db(move |conn| crate::service::payments::document(conn, &actor(&caller), &id))
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

/// The caller's receivables (a supplier): every schedule that pays it, with its instalments.
#[utoipa::path(get, path = "/api/v1/receivables", tag = "payments", security(("bearer" = [])),
    responses((status = 200, body = Vec<ScheduleView>)))]
pub async fn receivables(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let list = state
        .db(move |conn| oversight::receivables(conn, clock.as_ref(), &actor(&caller)))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Instalments overdue on a day (default today) with their late interest to the fen.
#[utoipa::path(get, path = "/api/v1/payments/overdue", tag = "payments", security(("bearer" = [])),
    params(OverdueParams), responses((status = 200, body = Vec<OverdueLine>)))]
pub async fn overdue(
    state: web::Data<AppState>,
    params: Query<OverdueParams>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let list = state
        .db(move |conn| oversight::overdue(conn, clock.as_ref(), params.0.on))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// The same as CSV (UTF-8 with BOM).
#[utoipa::path(get, path = "/api/v1/payments/overdue.csv", tag = "payments", security(("bearer" = [])),
    params(OverdueParams),
    responses((status = 200, description = "UTF-8 with BOM", content_type = "text/csv", body = String)))]
pub async fn overdue_csv(
    state: web::Data<AppState>,
    params: Query<OverdueParams>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let (bytes, day) = state
        .db(move |conn| {
            let day = params
                .0
                .on
                .unwrap_or_else(|| crate::service::payments::today(clock.as_ref()));
            let lines = oversight::overdue_on(conn, day)?;
            Ok((oversight::overdue_csv(&lines, day)?, day))
        })
        .await?;
    Ok(crate::http::csv_download(
        bytes,
        &format!("overdue-{day}.csv"),
    ))
}

/// The overdue figures on a day: count, amount, interest and days late, per department, per
/// agency and per prime.
#[utoipa::path(get, path = "/api/v1/payments/overdue/summary", tag = "payments", security(("bearer" = [])),
    params(OverdueParams), responses((status = 200, body = OverdueSummary)))]
pub async fn overdue_summary(
    state: web::Data<AppState>,
    params: Query<OverdueParams>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let s = state
        .db(move |conn| oversight::summary(conn, clock.as_ref(), params.0.on))
        .await?;
    Ok(HttpResponse::Ok().json(s))
}
