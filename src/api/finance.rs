//! Finance over HTTP: budget plans, the ledger (JSON and CSV), the annual public report,
//! subcontract payments with their flags, and the banks' contract check.

use super::AppState;
use crate::domain::role::Role;
use crate::error::{Error, Result};
use crate::http::access::Caller;
use crate::http::extract::{Json, Query};
use crate::service::finance::{
    self, AnnualReport, ContractCheck, ContractCheckParams, Ledger, PaidInput, PaymentInput,
    PaymentView, PlanInput, PlanView, SubcontractView,
};
use crate::service::procurement::evaluation::ContractView;
use crate::wire::fields::invalid;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct YearParams {
    /// The calendar year (contracts by signing date, plans by their year).
    #[param(required = true, nullable = false, minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
}

fn year(params: &YearParams) -> Result<i32> {
    params
        .year
        .ok_or_else(|| invalid("year", "problem.required_year_query", vec![]))
}

type DeptYear = web::Path<(String, String)>;

fn path_year(text: &str) -> Result<i32> {
    text.parse()
        .map_err(|_| Error::field("year", format!("{text:?} is not a year")))
}

/// Sets a department's budget plan for a year (total budget, reserved share, small/micro part).
#[utoipa::path(put, path = "/api/v1/budget-plans/{id}/{year}", tag = "finance", security(("bearer" = [])),
    params(("id" = String, Path, description = "department id"), ("year" = i32, Path)),
    request_body = PlanInput, responses((status = 200, body = PlanView), (status = 422, body = crate::error::Problem)))]
pub async fn put_plan(
    state: web::Data<AppState>,
    caller: Caller,
    path: DeptYear,
    body: Json<PlanInput>,
) -> Result<HttpResponse> {
    let (dept, y) = path.into_inner();
    let y = path_year(&y)?;
    let actor = caller.user()?.user.id.clone();
    let clock = state.clock.clone();
    let plan = state
        .db(move |conn| finance::put_plan(conn, clock.as_ref(), &actor, &dept, y, &body.0))
        .await?;
    Ok(HttpResponse::Ok().json(plan))
}

#[utoipa::path(get, path = "/api/v1/budget-plans/{id}/{year}", tag = "finance", security(("bearer" = [])),
    params(("id" = String, Path, description = "department id"), ("year" = i32, Path)),
    responses((status = 200, body = PlanView), (status = 404, body = crate::error::Problem)))]
pub async fn get_plan(state: web::Data<AppState>, path: DeptYear) -> Result<HttpResponse> {
    let (dept, y) = path.into_inner();
    let y = path_year(&y)?;
    let plan = state
        .db(move |conn| finance::get_plan(conn, &dept, y))
        .await?;
    Ok(HttpResponse::Ok().json(plan))
}

/// The ledger of a year: per department and per 主管预算单位, target against achievement.
#[utoipa::path(get, path = "/api/v1/ledger", tag = "finance", security(("bearer" = [])),
    params(YearParams), responses((status = 200, body = Ledger)))]
pub async fn ledger(state: web::Data<AppState>, query: Query<YearParams>) -> Result<HttpResponse> {
    let y = year(&query.0)?;
    let ledger = state.db(move |conn| finance::ledger(conn, y)).await?;
    Ok(HttpResponse::Ok().json(ledger))
}

/// The same ledger as CSV, UTF-8 with BOM.
#[utoipa::path(get, path = "/api/v1/ledger.csv", tag = "finance", security(("bearer" = [])),
    params(YearParams), responses((status = 200, description = "UTF-8 with BOM", content_type = "text/csv", body = String)))]
pub async fn ledger_csv(
    state: web::Data<AppState>,
    query: Query<YearParams>,
) -> Result<HttpResponse> {
    let y = year(&query.0)?;
    let bytes = state
        .db(move |conn| finance::ledger_csv(&finance::ledger(conn, y)?))
        .await?;
    Ok(ledger_csv_download(bytes, y))
}

pub use crate::http::ledger_csv_download;

/// The contracts behind one department's ledger line.
#[utoipa::path(get, path = "/api/v1/ledger/{id}/{year}/contracts", tag = "finance", security(("bearer" = [])),
    params(("id" = String, Path, description = "department id"), ("year" = i32, Path)),
    responses((status = 200, body = Vec<ContractView>)))]
pub async fn ledger_contracts(state: web::Data<AppState>, path: DeptYear) -> Result<HttpResponse> {
    let (dept, y) = path.into_inner();
    let y = path_year(&y)?;
    let list = state
        .db(move |conn| finance::ledger_contracts(conn, &dept, y))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// 46号 Art. 18: each 主管预算单位's SME totals, small/micro share, reserved projects and the
/// reasons where the target was missed.
#[utoipa::path(get, path = "/api/v1/reports/annual", tag = "finance", params(YearParams),
    responses((status = 200, body = AnnualReport)))]
pub async fn annual_report(
    state: web::Data<AppState>,
    query: Query<YearParams>,
) -> Result<HttpResponse> {
    let y = year(&query.0)?;
    let clock = state.clock.clone();
    let report = state
        .db(move |conn| finance::annual_report(conn, clock.as_ref(), y))
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

fn supplier_enterprise(caller: &Caller) -> Result<(String, String)> {
    let u = caller.user()?;
    match (u.role, u.user.enterprise_id.as_deref()) {
        (Role::Supplier, Some(e)) => Ok((u.user.id.clone(), e.to_string())),
        _ => Err(Error::Forbidden(
            "payments are reported and confirmed by the suppliers party to them".into(),
        )),
    }
}

/// A contract's subcontracts and their payments (its parties, agencies, auditors, admins).
#[utoipa::path(get, path = "/api/v1/contracts/{id}/subcontracts", tag = "finance", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Vec<SubcontractView>)))]
pub async fn subcontracts(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let enterprise = match caller.user()?.role {
        Role::Supplier => Some(supplier_enterprise(&caller)?.1),
        _ => None,
    };
    let clock = state.clock.clone();
    let list = state
        .db(move |conn| {
            finance::contract_subcontracts(conn, clock.as_ref(), enterprise.as_deref(), &id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// The prime contractor schedules (and may report as paid) a payment to its subcontractor.
#[utoipa::path(post, path = "/api/v1/subcontracts/{id}/payments", tag = "finance", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = PaymentInput,
    responses((status = 201, body = PaymentView), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn report_payment(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: Json<PaymentInput>,
) -> Result<HttpResponse> {
    let (user, enterprise) = supplier_enterprise(&caller)?;
    let clock = state.clock.clone();
    let p = state
        .db(move |conn| {
            finance::report_payment(conn, clock.as_ref(), &user, &enterprise, &id, &body.0)
        })
        .await?;
    Ok(HttpResponse::Created().json(p))
}

/// The prime reports a scheduled payment as made.
#[utoipa::path(post, path = "/api/v1/payments/{id}/paid", tag = "finance", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = PaidInput, responses((status = 200, body = PaymentView)))]
pub async fn mark_paid(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: Json<PaidInput>,
) -> Result<HttpResponse> {
    let (user, enterprise) = supplier_enterprise(&caller)?;
    let clock = state.clock.clone();
    let p = state
        .db(move |conn| finance::mark_paid(conn, clock.as_ref(), &user, &enterprise, &id, &body.0))
        .await?;
    Ok(HttpResponse::Ok().json(p))
}

/// The subcontractor (the SME) confirms it received the payment.
#[utoipa::path(post, path = "/api/v1/payments/{id}/confirm", tag = "finance", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = PaymentView)))]
pub async fn confirm_payment(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let (user, enterprise) = supplier_enterprise(&caller)?;
    let clock = state.clock.clone();
    let p = state
        .db(move |conn| finance::confirm_payment(conn, clock.as_ref(), &user, &enterprise, &id))
        .await?;
    Ok(HttpResponse::Ok().json(p))
}

/// Payments flagged today: overdue and unpaid, or paid and not confirmed by the SME.
#[utoipa::path(get, path = "/api/v1/payments/flagged", tag = "finance", security(("bearer" = [])),
    responses((status = 200, body = Vec<PaymentView>)))]
pub async fn flagged(state: web::Data<AppState>) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let list = state
        .db(move |conn| finance::flagged(conn, clock.as_ref()))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// For banks (政府采购合同融资): does this contract exist for this supplier, its amount, status
/// and payment status — nothing more. Limited per client address.
#[utoipa::path(get, path = "/api/v1/contracts/verify", tag = "finance", params(ContractCheckParams),
    responses((status = 200, body = ContractCheck), (status = 429, body = crate::error::Problem)))]
pub async fn verify_contract(
    state: web::Data<AppState>,
    query: Query<ContractCheckParams>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let answer = state
        .db(move |conn| finance::check_contract(conn, clock.as_ref(), &query.0))
        .await?;
    Ok(HttpResponse::Ok().json(answer))
}
