//! Enterprises (企业) and their SME declaration letters (中小企业声明函).

use super::schema::{declarations, enterprises};
use super::DbConnection;
use crate::domain::lifecycle::DeclarationStatus;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Identifiable, Insertable, AsChangeset)]
#[diesel(table_name = enterprises)]
pub struct Enterprise {
    pub id: String,
    pub credit_code: String,
    pub name: String,
    pub industry: String,
    pub employees: Option<i64>,
    pub revenue_fen: Option<i64>,
    pub assets_fen: Option<i64>,
    pub region: String,
    pub computed_scale: String,
    pub large_firm_relation: Option<String>,
    pub scale: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Identifiable, Insertable)]
#[diesel(table_name = declarations)]
pub struct Declaration {
    pub id: String,
    pub enterprise_id: String,
    pub year: i32,
    pub declared_on: NaiveDate,
    pub industry: String,
    pub employees: Option<i64>,
    pub revenue_fen: Option<i64>,
    pub assets_fen: Option<i64>,
    pub large_firm_relation: Option<String>,
    pub declared_scale: String,
    pub computed_scale: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub status: DeclarationStatus,
    pub review_reason: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, e: &Enterprise) -> QueryResult<usize> {
    diesel::insert_into(enterprises::table)
        .values(e)
        .execute(conn)
}

/// Replaces every column but the id and the creation time.
pub fn update(conn: &mut DbConnection, e: &Enterprise) -> QueryResult<usize> {
    diesel::update(enterprises::table.find(&e.id))
        .set(e)
        .execute(conn)
}

pub fn find_by_id(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Enterprise>> {
    enterprises::table.find(id).first(conn).optional()
}

pub fn find_by_credit_code(conn: &mut DbConnection, code: &str) -> QueryResult<Option<Enterprise>> {
    enterprises::table
        .filter(enterprises::credit_code.eq(code))
        .first(conn)
        .optional()
}

pub fn find_many(conn: &mut DbConnection, ids: &[&str]) -> QueryResult<Vec<Enterprise>> {
    crate::db::in_chunks(ids, |chunk| {
        enterprises::table
            .filter(enterprises::id.eq_any(chunk))
            .load(&mut *conn)
    })
}

/// A page in credit-code order (keyset: `after` is the last code of the previous page).
pub fn list(
    conn: &mut DbConnection,
    region_prefix: Option<&str>,
    scale: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<Enterprise>> {
    let mut query = enterprises::table.into_boxed();
    if let Some(prefix) = region_prefix {
        query = query.filter(enterprises::region.like(format!("{prefix}%")));
    }
    if let Some(scale) = scale {
        query = query.filter(enterprises::scale.eq(scale.to_string()));
    }
    if let Some(after) = after {
        query = query.filter(enterprises::credit_code.gt(after.to_string()));
    }
    query
        .order(enterprises::credit_code.asc())
        .limit(limit)
        .load(conn)
}

pub fn insert_declaration(conn: &mut DbConnection, d: &Declaration) -> QueryResult<usize> {
    diesel::insert_into(declarations::table)
        .values(d.clone())
        .execute(conn)
}

pub fn find_declaration(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Declaration>> {
    declarations::table.find(id).first(conn).optional()
}

/// Every letter of an enterprise, newest first.
pub fn declarations_of(
    conn: &mut DbConnection,
    enterprise_id: &str,
) -> QueryResult<Vec<Declaration>> {
    declarations::table
        .filter(declarations::enterprise_id.eq(enterprise_id))
        .order((
            declarations::declared_on.desc(),
            declarations::created_at.desc(),
        ))
        .load(conn)
}

/// The letter in force on `day`: the latest declared on or before it that was not rejected.
pub fn declaration_on(
    conn: &mut DbConnection,
    enterprise_id: &str,
    day: NaiveDate,
) -> QueryResult<Option<Declaration>> {
    declarations::table
        .filter(declarations::enterprise_id.eq(enterprise_id))
        .filter(declarations::declared_on.le(day))
        .filter(declarations::status.ne(DeclarationStatus::Rejected.as_str()))
        .order((
            declarations::declared_on.desc(),
            declarations::created_at.desc(),
        ))
        .first(conn)
        .optional()
}

pub fn review(
    conn: &mut DbConnection,
    id: &str,
    status: DeclarationStatus,
    reason: Option<&str>,
    reviewer: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(declarations::table.find(id))
        .set((
            declarations::status.eq(status.as_str()),
            declarations::review_reason.eq(reason),
            declarations::reviewed_by.eq(Some(reviewer)),
            declarations::reviewed_at.eq(Some(at)),
        ))
        .execute(conn)
}
