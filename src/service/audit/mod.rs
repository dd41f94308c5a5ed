//! The audit log: every state change appends an event — actor, action, entity, digests of the
//! entity before and after, time — to a hash chain. Event n's hash is
//! SHA-256(hash of event n−1 ‖ canonical event n); the first event follows 64 zeros.
//!
//! Appends go through a one-row head (`audit_head`: last sequence number and hash) that each
//! writing transaction updates first, so concurrent writers queue there and the chain has no
//! forks or gaps. [`verify`] recomputes the chain and names the first broken link: an edited
//! field, a deleted or inserted event, or a cut-off tail (the head no longer matches).
//!
//! The database refuses UPDATE and DELETE of events and moves the head only forward (triggers);
//! signed [`checkpoints`] of the head, copied outside the database, prove a chain rewritten by
//! someone who removed those triggers.

pub mod checkpoints;

use crate::clock::Clock;
use crate::db::audit as repo;
use crate::db::DbConnection;
use crate::error::{Error, Result};
use crate::wire::fields::coded;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

/// The actor of command-line changes (the operating-system user is in the shell's records).
pub const CLI: &str = "cli";

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub use crate::db::audit::Event;

/// SHA-256 of a value's canonical JSON (compact, object keys sorted).
pub fn digest<T: Serialize + ?Sized>(value: &T) -> String {
    let text = serde_json::to_value(value)
        .and_then(|v| serde_json::to_string(&v))
        .unwrap_or_default();
    crate::domain::digest::sha256_hex(text.as_bytes())
}

/// The bytes an event's hash covers, after the previous hash.
fn canonical(e: &Event) -> String {
    serde_json::json!([
        e.seq,
        e.at.and_utc().timestamp_micros(),
        e.actor,
        e.action,
        e.entity,
        e.entity_id,
        e.before_sha256,
        e.after_sha256,
    ])
    .to_string()
}

fn chain_hash(prev: &str, e: &Event) -> String {
    let mut bytes = String::with_capacity(64 + 160);
    bytes.push_str(prev);
    bytes.push_str(&canonical(e));
    crate::domain::digest::sha256_hex(bytes.as_bytes())
}

/// One change to record: who did what to which entity, with digests of its states.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl<'a> Change<'a> {
    pub fn new(actor: &'a str, action: &'a str, entity: &'a str, entity_id: &'a str) -> Self {
        Change {
            actor,
            action,
            entity,
            entity_id,
            before: None,
            after: None,
        }
    }

    pub fn before<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        self.before = Some(digest(value));
        self
    }

    pub fn after<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        self.after = Some(digest(value));
        self
    }
}

/// Appends events inside the caller's transaction (call it inside one: the head update and the
/// inserts must commit with the change they record).
#[tracing::instrument(skip_all)]
pub fn append(conn: &mut DbConnection, clock: &dyn Clock, changes: &[Change<'_>]) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let n = changes.len() as i64;
    // Taking the head first serialises writers on PostgreSQL (row lock) and takes SQLite's write
    // lock before anything is read.
    let (last, mut prev) = repo::advance_head(conn, n)?;
    let first = last - n + 1;
    let at = clock.now_naive();
    let mut events = Vec::with_capacity(changes.len());
    for (i, c) in changes.iter().enumerate() {
        let mut e = Event {
            seq: first + i as i64,
            at,
            actor: c.actor.to_string(),
            action: c.action.to_string(),
            entity: c.entity.to_string(),
            entity_id: c.entity_id.to_string(),
            before_sha256: c.before.clone(),
            after_sha256: c.after.clone(),
            prev_hash: prev.clone(),
            hash: String::new(),
        };
        e.hash = chain_hash(&prev, &e);
        prev = e.hash.clone();
        events.push(e);
    }
    repo::insert_events(conn, &events)?;
    repo::set_head_hash(conn, &prev)?;
    Ok(())
}

/// Records one change (inside the caller's transaction).
#[tracing::instrument(skip_all)]
pub fn record(conn: &mut DbConnection, clock: &dyn Clock, change: Change<'_>) -> Result<()> {
    append(conn, clock, &[change])
}

/// The outcome of a chain check.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Verification {
    /// The chain is intact from the first event to the head.
    pub ok: bool,
    pub events_checked: i64,
    /// Sequence number of the last event (the head); -1 when the head row is missing.
    pub head_seq: i64,
    pub head_hash: String,
    /// The first event that does not fit the chain, and why.
    pub first_broken: Option<BrokenLink>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BrokenLink {
    /// The sequence number where the chain breaks.
    pub seq: i64,
    pub reason: String,
}

/// Recomputes the chain in batches (memory stays flat) and names the first broken link.
#[tracing::instrument(skip_all)]
pub fn verify(conn: &mut DbConnection) -> Result<Verification> {
    let head = repo::head(conn)?;
    let Some((head_seq, head_hash)) = head else {
        // Without its head the chain's end cannot be checked: a removed tail would go unseen.
        return Ok(Verification {
            ok: false,
            events_checked: 0,
            head_seq: -1,
            head_hash: String::new(),
            first_broken: Some(BrokenLink {
                seq: 0,
                reason: "the audit head row is missing (it was deleted): the end of the chain \
                         cannot be checked; compare with checkpoints kept outside the database \
                         (smeproc audit verify --checkpoints FILE)"
                    .into(),
            }),
        });
    };
    let mut expected_seq = 1i64;
    let mut prev = GENESIS.to_string();
    let mut checked = 0i64;
    let broken = |seq: i64, reason: String| Some(BrokenLink { seq, reason });
    let mut first_broken = None;
    'scan: loop {
        let batch = repo::events_from(conn, expected_seq, 10_000)?;
        if batch.is_empty() {
            break;
        }
        for e in batch {
            if e.seq != expected_seq {
                first_broken = broken(
                    expected_seq,
                    format!("event {expected_seq} is missing (the next is {})", e.seq),
                );
                break 'scan;
            }
            if e.prev_hash != prev {
                first_broken = broken(
                    e.seq,
                    "its prev_hash is not the hash of the event before it".into(),
                );
                break 'scan;
            }
            if chain_hash(&prev, &e) != e.hash {
                first_broken = broken(
                    e.seq,
                    "its content does not match its hash (a field was changed)".into(),
                );
                break 'scan;
            }
            prev = e.hash;
            expected_seq += 1;
            checked += 1;
        }
    }
    if first_broken.is_none() {
        let last = expected_seq - 1;
        if last != head_seq || prev != head_hash {
            first_broken = broken(
                last + 1,
                format!(
                    "the chain ends at event {last} but the head says {head_seq}: events were removed from the end, or the head was changed"
                ),
            );
        }
    }
    Ok(Verification {
        ok: first_broken.is_none(),
        events_checked: checked,
        head_seq,
        head_hash,
        first_broken,
    })
}

/// Filters of `GET /api/v1/audit/events`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EventParams {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    /// From this time (RFC 3339), inclusive.
    #[param(format = DateTime)]
    pub from: Option<String>,
    /// Until this time (RFC 3339), exclusive.
    #[param(format = DateTime)]
    pub until: Option<String>,
    /// Events after this sequence number (paging).
    pub after_seq: Option<i64>,
    /// 1–1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// An event as the audit views show it. A bid's events before its lot's opening are sealed:
/// they name neither the bid, nor its actor, nor digests of it (nobody may learn who bid
/// before the opening); their place in the chain, time and hashes stay, and the chain check
/// covers them in full.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventView {
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// Null while sealed.
    pub actor: Option<String>,
    pub action: String,
    pub entity: String,
    /// Null while sealed.
    pub entity_id: Option<String>,
    pub before_sha256: Option<String>,
    pub after_sha256: Option<String>,
    pub prev_hash: String,
    pub hash: String,
    /// A bid event before the opening: the fields that would name the bidder are withheld.
    pub sealed: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventPage {
    pub items: Vec<EventView>,
    /// Pass as `after_seq` for the next page.
    pub next_after_seq: Option<i64>,
}

#[tracing::instrument(skip_all)]
pub fn events(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    params: &EventParams,
) -> Result<EventPage> {
    let limit = params.limit.unwrap_or(100);
    let mut problems = Vec::new();
    if !(1..=1000).contains(&limit) {
        problems.push(coded("limit", "problem.range_1000", vec![]));
    }
    let mut time = |field: &str, v: &Option<String>| -> Option<NaiveDateTime> {
        let t = v.as_deref()?;
        crate::wire::time::parse_time(t)
            .map_err(|e| problems.push(crate::wire::FieldProblem::new(field, e)))
            .ok()
    };
    let from = time("from", &params.from);
    let until = time("until", &params.until);
    if !problems.is_empty() {
        return Err(Error::Validation(problems));
    }
    let rows = repo::find_events(
        conn,
        &repo::EventFilter {
            entity: params.entity.clone(),
            entity_id: params.entity_id.clone(),
            actor: params.actor.clone(),
            action: params.action.clone(),
            from,
            until,
            after_seq: params.after_seq,
            // A filter by actor or bid must not answer with a sealed bid's events: that alone
            // would say who bid.
            hide_sealed_bids_at: (params.actor.is_some() || params.entity_id.is_some())
                .then_some(now),
        },
        limit + 1,
    )?;
    let more = rows.len() as i64 > limit;
    let rows: Vec<Event> = rows.into_iter().take(limit as usize).collect();
    let bid_ids: Vec<&str> = rows
        .iter()
        .filter(|e| e.entity == "bid")
        .map(|e| e.entity_id.as_str())
        .collect();
    let sealed = crate::db::procurement::sealed_among(conn, &bid_ids, now)?;
    let items: Vec<EventView> = rows
        .into_iter()
        .map(|e| {
            let hidden = e.entity == "bid" && sealed.contains(&e.entity_id);
            EventView {
                seq: e.seq,
                at: e.at.and_utc(),
                actor: (!hidden).then_some(e.actor),
                action: e.action,
                entity: e.entity,
                entity_id: (!hidden).then_some(e.entity_id),
                before_sha256: e.before_sha256.filter(|_| !hidden),
                after_sha256: e.after_sha256.filter(|_| !hidden),
                prev_hash: e.prev_hash,
                hash: e.hash,
                sealed: hidden,
            }
        })
        .collect();
    let next_after_seq = more.then(|| items.last().map(|e| e.seq)).flatten();
    Ok(EventPage {
        items,
        next_after_seq,
    })
}
