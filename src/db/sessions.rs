//! Login sessions: a bearer token's SHA-256, its expiry and revocation.

use super::schema::{sessions, users};
use super::users::User;
use super::DbConnection;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub token_hash: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, session: &NewSession<'_>) -> QueryResult<usize> {
    diesel::insert_into(sessions::table)
        .values(session)
        .execute(conn)
}

/// The user behind a live token: not expired, not revoked, user not disabled.
pub fn user_for_token(
    conn: &mut DbConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<(String, User)>> {
    sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(token_hash))
        .filter(sessions::expires_at.gt(now))
        .filter(sessions::revoked_at.is_null())
        .filter(users::disabled_at.is_null())
        .select((sessions::id, users::all_columns))
        .first(conn)
        .optional()
}

pub fn revoke(conn: &mut DbConnection, session_id: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .find(session_id)
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(Some(at)))
    .execute(conn)
}

/// Revokes every live session of a user (on disable).
pub fn revoke_all_for_user(
    conn: &mut DbConnection,
    user_id: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(Some(at)))
    .execute(conn)
}
