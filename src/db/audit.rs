//! The audit chain: events (append-only) and the one-row head; the signed checkpoints.

use super::schema::{audit_checkpoints, audit_events, audit_head};
use super::DbConnection;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable)]
#[diesel(table_name = audit_events)]
pub struct Event {
    pub seq: i64,
    pub at: NaiveDateTime,
    /// A user id, or `cli` for the command line (the operating-system user is in the shell).
    pub actor: String,
    /// `entity.verb`, e.g. `project.publish`, `bid.submit`.
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before_sha256: Option<String>,
    pub after_sha256: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// Moves the head `n` events on and returns its new sequence number and (still the old) hash.
/// Taking the head first serialises writers on PostgreSQL (row lock).
pub fn advance_head(conn: &mut DbConnection, n: i64) -> QueryResult<(i64, String)> {
    diesel::update(audit_head::table.find(1))
        .set(audit_head::seq.eq(audit_head::seq + n))
        .returning((audit_head::seq, audit_head::hash))
        .get_result(conn)
}

pub fn set_head_hash(conn: &mut DbConnection, hash: &str) -> QueryResult<usize> {
    diesel::update(audit_head::table.find(1))
        .set(audit_head::hash.eq(hash))
        .execute(conn)
}

/// The head: last sequence number and hash (`None` when the row is missing).
pub fn head(conn: &mut DbConnection) -> QueryResult<Option<(i64, String)>> {
    audit_head::table
        .find(1)
        .select((audit_head::seq, audit_head::hash))
        .first(conn)
        .optional()
}

/// Inserts events, 500 per statement.
pub fn insert_events(conn: &mut DbConnection, events: &[Event]) -> QueryResult<()> {
    for chunk in events.chunks(500) {
        let insert = diesel::insert_into(audit_events::table).values(chunk);
        match conn {
            DbConnection::Sqlite(c) => insert.execute(c)?,
            DbConnection::Postgresql(c) => insert.execute(c)?,
        };
    }
    Ok(())
}

/// Up to `limit` events from `seq` on, in order.
pub fn events_from(conn: &mut DbConnection, seq: i64, limit: i64) -> QueryResult<Vec<Event>> {
    audit_events::table
        .filter(audit_events::seq.ge(seq))
        .order(audit_events::seq.asc())
        .limit(limit)
        .load(conn)
}

/// The hash of one event, if it exists.
pub fn event_hash(conn: &mut DbConnection, seq: i64) -> QueryResult<Option<String>> {
    audit_events::table
        .find(seq)
        .select(audit_events::hash)
        .first(conn)
        .optional()
}

/// What `GET /api/v1/audit/events` filters by.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
    pub after_seq: Option<i64>,
    /// Leave out events of bids still sealed at this time.
    pub hide_sealed_bids_at: Option<NaiveDateTime>,
}

/// Events matching `f`, in chain order.
pub fn find_events(
    conn: &mut DbConnection,
    f: &EventFilter,
    limit: i64,
) -> QueryResult<Vec<Event>> {
    let mut q = audit_events::table.into_boxed();
    if let Some(v) = &f.entity {
        q = q.filter(audit_events::entity.eq(v.clone()));
    }
    if let Some(v) = &f.entity_id {
        q = q.filter(audit_events::entity_id.eq(v.clone()));
    }
    if let Some(v) = &f.actor {
        q = q.filter(audit_events::actor.eq(v.clone()));
    }
    if let Some(v) = &f.action {
        q = q.filter(audit_events::action.eq(v.clone()));
    }
    if let Some(t) = f.from {
        q = q.filter(audit_events::at.ge(t));
    }
    if let Some(t) = f.until {
        q = q.filter(audit_events::at.lt(t));
    }
    if let Some(s) = f.after_seq {
        q = q.filter(audit_events::seq.gt(s));
    }
    if let Some(now) = f.hide_sealed_bids_at {
        q = q.filter(diesel::dsl::not(audit_events::entity.eq("bid").and(
            audit_events::entity_id.eq_any(super::procurement::sealed_bid_ids(now)),
        )));
        q = q.filter(diesel::dsl::not(audit_events::entity.eq("bid").and(
            audit_events::entity_id.eq_any(super::procurement::unopened_sealed_bid_ids()),
        )));
    }
    q.order(audit_events::seq.asc()).limit(limit).load(conn)
}

/// A signed checkpoint of the head.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable)]
#[diesel(table_name = audit_checkpoints)]
pub struct CheckpointRow {
    pub seq: i64,
    pub head_hash: String,
    pub signed_at: NaiveDateTime,
    pub key_id: String,
    pub public_key: String,
    pub signature: String,
}

pub fn latest_checkpoint(conn: &mut DbConnection) -> QueryResult<Option<CheckpointRow>> {
    audit_checkpoints::table
        .order(audit_checkpoints::seq.desc())
        .first(conn)
        .optional()
}

pub fn insert_checkpoint(conn: &mut DbConnection, row: &CheckpointRow) -> QueryResult<usize> {
    diesel::insert_into(audit_checkpoints::table)
        .values(row)
        .execute(conn)
}

/// Checkpoints after `seq`, oldest first.
pub fn checkpoints_after(
    conn: &mut DbConnection,
    seq: i64,
    limit: i64,
) -> QueryResult<Vec<CheckpointRow>> {
    audit_checkpoints::table
        .filter(audit_checkpoints::seq.gt(seq))
        .order(audit_checkpoints::seq.asc())
        .limit(limit)
        .load(conn)
}

/// The newest `limit` checkpoints, newest first.
pub fn newest_checkpoints(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<CheckpointRow>> {
    audit_checkpoints::table
        .order(audit_checkpoints::seq.desc())
        .limit(limit)
        .load(conn)
}
