//! Organisations: agencies (采购人 / 采购代理机构) and departments (预算单位, with their
//! 主管预算单位 parent).

use super::schema::organisations;
use super::DbConnection;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Identifiable)]
#[diesel(table_name = organisations)]
pub struct Organisation {
    pub id: String,
    /// `agency` or `department`
    pub kind: String,
    pub name: String,
    pub credit_code: Option<String>,
    pub region: Option<String>,
    pub parent_id: Option<String>,
    pub created_at: NaiveDateTime,
    /// Contacts the notices name (地址、联系人、电话).
    pub address: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = organisations)]
pub struct NewOrganisation<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub name: &'a str,
    pub credit_code: Option<&'a str>,
    pub region: Option<&'a str>,
    pub parent_id: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub address: Option<&'a str>,
    pub contact_name: Option<&'a str>,
    pub contact_phone: Option<&'a str>,
}

pub fn insert(conn: &mut DbConnection, org: &NewOrganisation<'_>) -> QueryResult<usize> {
    diesel::insert_into(organisations::table)
        .values(org)
        .execute(conn)
}

pub fn find_by_id(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Organisation>> {
    organisations::table.find(id).first(conn).optional()
}

/// The organisations with these ids (in no particular order; unknown ids are left out).
pub fn find_many(conn: &mut DbConnection, ids: &[&str]) -> QueryResult<Vec<Organisation>> {
    crate::db::in_chunks(ids, |chunk| {
        organisations::table
            .filter(organisations::id.eq_any(chunk))
            .load(&mut *conn)
    })
}

/// By id, or else by exact name (CLI convenience).
pub fn find_by_id_or_name(conn: &mut DbConnection, key: &str) -> QueryResult<Option<Organisation>> {
    if let Some(org) = find_by_id(conn, key)? {
        return Ok(Some(org));
    }
    let mut found: Vec<Organisation> = organisations::table
        .filter(organisations::name.eq(key))
        .limit(2)
        .load(conn)?;
    Ok(if found.len() == 1 { found.pop() } else { None })
}

pub fn list(conn: &mut DbConnection, kind: Option<&str>) -> QueryResult<Vec<Organisation>> {
    let mut query = organisations::table.into_boxed();
    if let Some(kind) = kind {
        query = query.filter(organisations::kind.eq(kind.to_string()));
    }
    query
        .order((organisations::kind.asc(), organisations::name.asc()))
        .load(conn)
}
