//! The working-day calendar as the service keeps it: the years shipped with the code, extended
//! or replaced by the years an admin imports (from the 国务院办公厅 notice, each November for the
//! next year). Clocks counted in working days use [`current`].

use crate::clock::Clock;
use crate::db::calendar::{self as repo, CalendarYear};
use crate::db::DbConnection;
pub use crate::domain::calendar::{Calendar, CalendarError, Holiday, YearFile};
use crate::error::{Cause, Error, Result};
use crate::service::audit::{self, Change};
use crate::service::Actor;
use crate::wire::fields::coded;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A year's file as the API takes it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct YearInput {
    /// The notice the year comes from (国务院办公厅关于 … 年部分节假日安排的通知).
    #[schema(required = true, nullable = false)]
    pub source: Option<String>,
    /// Each holiday: name, first and last day off (YYYY-MM-DD).
    #[schema(required = true, nullable = false)]
    pub holidays: Option<Vec<HolidayInput>>,
    /// Saturdays and Sundays worked (调休上班), YYYY-MM-DD.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub workdays: Vec<NaiveDate>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HolidayInput {
    pub name: String,
    #[schema(value_type = String, example = "2027-10-01")]
    pub from: NaiveDate,
    #[schema(value_type = String, example = "2027-10-07")]
    pub to: NaiveDate,
}

/// A year of the calendar.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct YearView {
    pub year: i32,
    pub source: String,
    /// shipped | imported
    pub origin: String,
    #[schema(value_type = Vec<Object>)]
    pub holidays: Vec<Holiday>,
    #[schema(value_type = Vec<String>)]
    pub workdays: Vec<NaiveDate>,
    /// How many working days the year has.
    pub working_days: u32,
}

/// The refusal of a year's file, naming the entry.
pub fn problem(e: CalendarError) -> Error {
    match e {
        CalendarError::Invalid {
            field,
            code,
            params,
        } => Error::Validation(vec![coded(field, code, params)]),
        CalendarError::Unreadable(m) => Error::BadRequest(format!("not a calendar year: {m}")),
        CalendarError::UnknownYear(y) => {
            Error::NotFound(format!("the working-day calendar has no year {y}"))
        }
    }
}

/// The calendar now: the shipped years, with the imported ones over them.
pub fn current(conn: &mut DbConnection) -> Result<Calendar> {
    let mut c = Calendar::embedded();
    for row in repo::all(conn)? {
        let file: YearFile = serde_json::from_str(&row.body)
            .map_err(|e| Error::Internal(anyhow::anyhow!("calendar year {}: {e}", row.year)))?;
        c.add(&file)
            .map_err(|e| Error::Internal(anyhow::anyhow!("calendar year {}: {e}", row.year)))?;
    }
    Ok(c)
}

fn view(c: &Calendar, year: i32, file: &YearFile, imported: bool) -> Result<YearView> {
    let first = NaiveDate::from_ymd_opt(year, 1, 1)
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("year {year}")))?;
    let last = NaiveDate::from_ymd_opt(year, 12, 31)
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("year {year}")))?;
    let working = u32::from(c.is_working_day(first).map_err(problem)?)
        + c.working_days_between(first, last).map_err(problem)?;
    Ok(YearView {
        year,
        source: file.source.clone(),
        origin: if imported { "imported" } else { "shipped" }.into(),
        holidays: file.holidays.clone(),
        workdays: file.workdays.clone(),
        working_days: working,
    })
}

/// A year of the calendar (404 for a year it does not know).
pub fn show(conn: &mut DbConnection, year: i32) -> Result<YearView> {
    let c = current(conn)?;
    if let Some(row) = repo::find(conn, year)? {
        let file: YearFile = serde_json::from_str(&row.body)
            .map_err(|e| Error::Internal(anyhow::anyhow!("calendar year {year}: {e}")))?;
        return view(&c, year, &file, true);
    }
    let file = crate::domain::calendar::shipped()
        .into_iter()
        .find(|f| f.year == year)
        .ok_or_else(|| problem(CalendarError::UnknownYear(year)))?;
    view(&c, year, &file, false)
}

/// Imports (or replaces) a year: admins and the command line; refused whole, naming the entry.
#[tracing::instrument(skip_all)]
pub fn import(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    year: i32,
    input: &YearInput,
) -> Result<YearView> {
    if !actor.is_admin() {
        return Err(Error::Forbidden("only admins import calendar years".into()));
    }
    let mut problems = Vec::new();
    if input.source.as_deref().is_none_or(|s| s.trim().is_empty()) {
        problems.push(crate::wire::fields::required("source"));
    }
    if input.holidays.is_none() {
        problems.push(crate::wire::fields::required("holidays"));
    }
    if !problems.is_empty() {
        return Err(Error::Validation(problems));
    }
    let file = YearFile {
        year,
        source: input.source.clone().unwrap_or_default().trim().to_string(),
        holidays: input
            .holidays
            .clone()
            .unwrap_or_default()
            .into_iter()
            .map(|h| Holiday {
                name: h.name,
                from: h.from,
                to: h.to,
            })
            .collect(),
        workdays: input.workdays.clone(),
    };
    let mut c = current(conn)?;
    c.add(&file).map_err(problem)?;
    let body = serde_json::to_string(&file).map_err(|e| Error::Internal(e.into()))?;
    let row = CalendarYear {
        year,
        source: file.source.clone(),
        body,
        imported_by: actor.audit_id().to_string(),
        imported_at: clock.now_naive(),
    };
    let entity = year.to_string();
    crate::db::write(conn, |conn| {
        let before = repo::find(conn, year)?;
        repo::put(conn, &row)?;
        let mut change = Change::new(
            actor.audit_id(),
            "calendar.import",
            "calendar_year",
            &entity,
        )
        .after(&row);
        if let Some(b) = &before {
            change = change.before(b);
        }
        audit::record(conn, clock, change)?;
        Ok::<_, Error>(())
    })?;
    view(&c, year, &file, true)
}

/// The same from a year's TOML file (`smeproc calendar import`), its year from the file.
pub fn import_toml(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    text: &str,
) -> Result<YearView> {
    let file = crate::domain::calendar::parse(text).map_err(problem)?;
    let input = YearInput {
        source: Some(file.source),
        holidays: Some(
            file.holidays
                .into_iter()
                .map(|h| HolidayInput {
                    name: h.name,
                    from: h.from,
                    to: h.to,
                })
                .collect(),
        ),
        workdays: file.workdays,
    };
    import(conn, clock, actor, file.year, &input)
}

/// Today in Beijing: the day the legal clocks count.
pub fn today(clock: &dyn Clock) -> NaiveDate {
    crate::domain::beijing::day_of(clock.now_naive())
}

/// A clock that reaches a year the calendar does not know: 409 naming the year.
pub fn refusal(e: CalendarError) -> Error {
    match e {
        CalendarError::UnknownYear(year) => crate::service::refuse(
            Cause::CalendarMissing,
            "refusal.calendar_year_missing",
            vec![("year", year.to_string())],
        ),
        other => Error::Internal(anyhow::anyhow!("calendar: {other}")),
    }
}
