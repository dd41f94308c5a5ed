//! User accounts. Passwords only as argon2id hashes.

use super::schema::users;
use super::DbConnection;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub agency_id: Option<String>,
    pub enterprise_id: Option<String>,
    pub disabled_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub id: &'a str,
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub agency_id: Option<&'a str>,
    pub enterprise_id: Option<&'a str>,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, user: &NewUser<'_>) -> QueryResult<usize> {
    diesel::insert_into(users::table).values(user).execute(conn)
}

pub fn find_by_id(conn: &mut DbConnection, id: &str) -> QueryResult<Option<User>> {
    users::table.find(id).first(conn).optional()
}

pub fn find_by_username(conn: &mut DbConnection, username: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::username.eq(username))
        .first(conn)
        .optional()
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<User>> {
    users::table.order(users::username.asc()).load(conn)
}

/// Marks the user disabled (idempotent: the first time is kept). Returns rows changed.
pub fn disable(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(users::table.find(id).filter(users::disabled_at.is_null()))
        .set(users::disabled_at.eq(Some(at)))
        .execute(conn)
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

/// Admins whose accounts are not disabled.
pub fn count_active_admins(conn: &mut DbConnection) -> QueryResult<i64> {
    users::table
        .filter(users::role.eq("admin"))
        .filter(users::disabled_at.is_null())
        .count()
        .get_result(conn)
}

/// The first user of an enterprise, if any.
pub fn id_of_enterprise_user(
    conn: &mut DbConnection,
    enterprise_id: &str,
) -> QueryResult<Option<String>> {
    users::table
        .filter(users::enterprise_id.eq(enterprise_id))
        .select(users::id)
        .first(conn)
        .optional()
}

/// Rows in the tables that say a database is in use: users, organisations, enterprises,
/// projects.
pub fn rows_in_use(conn: &mut DbConnection) -> QueryResult<i64> {
    use super::schema::{enterprises, organisations, projects};
    let u: i64 = users::table.count().get_result(conn)?;
    let o: i64 = organisations::table.count().get_result(conn)?;
    let e: i64 = enterprises::table.count().get_result(conn)?;
    let p: i64 = projects::table.count().get_result(conn)?;
    Ok(u + o + e + p)
}
