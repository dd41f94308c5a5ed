//! Rate counters (`rate_counters`): one row per (limit, client key), counting in fixed windows.

use super::schema::rate_counters;
use super::DbConnection;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

#[derive(Debug, QueryableByName)]
struct Counted {
    #[diesel(sql_type = BigInt)]
    count: i64,
    #[diesel(sql_type = Timestamp)]
    window_start: NaiveDateTime,
}

/// Adds one to the counter of (`bucket`, `key`) in one statement (atomic on both backends); a
/// window that started at or before `expired_at` starts again at `now`. Returns the count in
/// the current window and when that window started.
pub fn bump(
    conn: &mut DbConnection,
    bucket: &str,
    key: &str,
    now: NaiveDateTime,
    expired_at: NaiveDateTime,
) -> QueryResult<(i64, NaiveDateTime)> {
    let query = diesel::sql_query(
        "INSERT INTO rate_counters (bucket, key, window_start, count) VALUES ($1, $2, $3, 1) \
         ON CONFLICT (bucket, key) DO UPDATE SET \
         count = CASE WHEN rate_counters.window_start <= $4 THEN 1 ELSE rate_counters.count + 1 END, \
         window_start = CASE WHEN rate_counters.window_start <= $5 THEN $6 ELSE rate_counters.window_start END \
         RETURNING count, window_start",
    )
    .bind::<Text, _>(bucket)
    .bind::<Text, _>(key)
    .bind::<Timestamp, _>(now)
    .bind::<Timestamp, _>(expired_at)
    .bind::<Timestamp, _>(expired_at)
    .bind::<Timestamp, _>(now);
    let row: Counted = match conn {
        DbConnection::Sqlite(c) => query.get_result(c)?,
        DbConnection::Postgresql(c) => query.get_result(c)?,
    };
    Ok((row.count, row.window_start))
}

/// The counter of (`bucket`, `key`): count and window start, if it has one.
pub fn get(
    conn: &mut DbConnection,
    bucket: &str,
    key: &str,
) -> QueryResult<Option<(i64, NaiveDateTime)>> {
    rate_counters::table
        .find((bucket, key))
        .select((rate_counters::count, rate_counters::window_start))
        .first(conn)
        .optional()
}

pub fn clear(conn: &mut DbConnection, bucket: &str, key: &str) -> QueryResult<usize> {
    diesel::delete(rate_counters::table.find((bucket, key))).execute(conn)
}

/// Removes counters whose window started before `before` (they count for nothing).
pub fn sweep(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(rate_counters::table.filter(rate_counters::window_start.lt(before)))
        .execute(conn)
}
