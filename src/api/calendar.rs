//! The working-day calendar (工作日) over HTTP: a year's holidays and make-up working days,
//! read by anyone, imported by an admin.

use super::AppState;
use crate::error::{Error, Result};
use crate::http::access::Caller;
use crate::http::extract::Json;
use crate::service::calendar::{self, YearInput, YearView};
use actix_web::{web, HttpResponse};

pub use crate::http::actor::actor;

fn year_of(text: &str) -> Result<i32> {
    text.parse()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or_else(|| Error::NotFound(format!("no calendar year {text}")))
}

/// A year of the calendar: its holidays, make-up working days and source.
#[utoipa::path(get, path = "/api/v1/calendar/{year}", tag = "calendar",
    params(("year" = String, Path, example = "2026")),
    responses((status = 200, body = YearView), (status = 404, description = "a year the calendar does not know", body = crate::error::Problem)))]
pub async fn show(state: web::Data<AppState>, year: web::Path<String>) -> Result<HttpResponse> {
    let year = year_of(&year)?;
    let view = state.db(move |conn| calendar::show(conn, year)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Imports (or replaces) a year from the 国务院办公厅 notice (admins).
#[utoipa::path(put, path = "/api/v1/calendar/{year}", tag = "calendar", security(("bearer" = [])),
    params(("year" = String, Path, example = "2027")), request_body = YearInput,
    responses((status = 200, body = YearView),
    (status = 422, description = "an entry that does not hold, named", body = crate::error::Problem)))]
pub async fn import(
    state: web::Data<AppState>,
    caller: Caller,
    year: web::Path<String>,
    body: Json<YearInput>,
) -> Result<HttpResponse> {
    let year = year_of(&year)?;
    let clock = state.clock.clone();
    let view = state
        .db(move |conn| calendar::import(conn, clock.as_ref(), &actor(&caller), year, &body.0))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
