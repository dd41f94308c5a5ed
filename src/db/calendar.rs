//! Working-day calendar years imported by an admin.

use super::schema::calendar_years;
use super::DbConnection;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable, serde::Serialize)]
#[diesel(table_name = calendar_years)]
pub struct CalendarYear {
    pub year: i32,
    pub source: String,
    pub body: String,
    pub imported_by: String,
    pub imported_at: NaiveDateTime,
}

pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<CalendarYear>> {
    calendar_years::table
        .order(calendar_years::year.asc())
        .load(conn)
}

pub fn find(conn: &mut DbConnection, year: i32) -> QueryResult<Option<CalendarYear>> {
    calendar_years::table.find(year).first(conn).optional()
}

/// Writes a year, replacing the one imported before (inside the caller's transaction).
pub fn put(conn: &mut DbConnection, row: &CalendarYear) -> QueryResult<()> {
    diesel::delete(calendar_years::table.find(row.year)).execute(conn)?;
    diesel::insert_into(calendar_years::table)
        .values(row.clone())
        .execute(conn)
        .map(|_| ())
}
