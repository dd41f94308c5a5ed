//! Signed checkpoints of the audit chain: the head's sequence number and hash, signed with the
//! server's Ed25519 key ([`crate::service::auth::keys`]) every N events and at least hourly while events
//! are added. They are public (`GET /api/v1/audit/checkpoints`, an Atom feed) so that auditors,
//! banks and the public keep copies; a chain rewritten in the database — events removed and the
//! head moved back, with the append-only triggers dropped first — no longer holds the hash a
//! copy was signed for, and `smeproc audit verify --checkpoints FILE` names where it differs.

use crate::clock::Clock;
use crate::db::DbConnection;
use crate::error::{Cause, Error, Result};
use crate::service::auth::keys::{self, ServerKeys};
use crate::wire::fields::invalid;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::db::audit::{self as repo, CheckpointRow as Row};

/// One checkpoint as published and as kept by others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Checkpoint {
    /// The head's sequence number: events 1..=seq are covered.
    pub seq: i64,
    /// The hash of event `seq` (the chain's hash up to it).
    pub head_hash: String,
    pub signed_at: DateTime<Utc>,
    /// First 16 hex digits of SHA-256(public key).
    pub key_id: String,
    /// Ed25519 public key, hex.
    pub public_key: String,
    /// Ed25519 signature (hex) of [`signed_message`].
    pub signature: String,
}

impl From<Row> for Checkpoint {
    fn from(r: Row) -> Self {
        Checkpoint {
            seq: r.seq,
            head_hash: r.head_hash,
            signed_at: r.signed_at.and_utc(),
            key_id: r.key_id,
            public_key: r.public_key,
            signature: r.signature,
        }
    }
}

/// The exact bytes a checkpoint's signature covers.
pub fn signed_message(seq: i64, head_hash: &str, signed_at: DateTime<Utc>, key_id: &str) -> String {
    format!(
        "smeproc audit checkpoint v1\nseq={seq}\nhead_hash={head_hash}\nsigned_at={}\nkey_id={key_id}\n",
        signed_at.timestamp_micros()
    )
}

fn head(conn: &mut DbConnection) -> Result<(i64, String)> {
    repo::head(conn)?.ok_or_else(|| {
        Error::conflict(
            Cause::AuditLogEmpty,
            "the audit head row is missing; nothing can be signed",
        )
    })
}

fn latest(conn: &mut DbConnection) -> Result<Option<Row>> {
    Ok(repo::latest_checkpoint(conn)?)
}

/// The newest checkpoint, if any.
#[tracing::instrument(skip_all)]
pub fn latest_checkpoint(conn: &mut DbConnection) -> Result<Option<Checkpoint>> {
    Ok(latest(conn)?.map(Into::into))
}

/// When a new checkpoint is due.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// Sign after this many new events.
    pub every_events: i64,
    /// Sign new events at least this often.
    pub max_age_seconds: i64,
}

/// Signs the current head, unless the latest checkpoint already covers it (`None`). With a
/// schedule, only when it is due: `every_events` new events, or any new event and the latest
/// checkpoint older than `max_age_seconds`.
#[tracing::instrument(skip_all)]
pub fn sign_head(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    keys: &ServerKeys,
    schedule: Option<Schedule>,
) -> Result<Option<Checkpoint>> {
    crate::db::write(conn, |conn| {
        let (seq, hash) = head(conn)?;
        let last = latest(conn)?;
        let signed_seq = last.as_ref().map_or(0, |c| c.seq);
        if seq <= signed_seq {
            return Ok(None);
        }
        let now = clock.now_naive();
        if let (Some(s), Some(last)) = (schedule, &last) {
            let old = (now - last.signed_at).num_seconds() >= s.max_age_seconds;
            if seq - signed_seq < s.every_events && !old {
                return Ok(None);
            }
        }
        let signed_at = now.and_utc();
        let key_id = keys.key_id();
        let signature = keys.sign(signed_message(seq, &hash, signed_at, &key_id).as_bytes());
        let row = Row {
            seq,
            head_hash: hash,
            signed_at: now,
            key_id,
            public_key: keys.public_key_hex(),
            signature,
        };
        repo::insert_checkpoint(conn, &row)?;
        Ok(Some(row.into()))
    })
}

/// `GET /api/v1/audit/checkpoints`: the signing key and the checkpoints, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CheckpointPage {
    /// The service's current checkpoint key (Ed25519, hex) and its id.
    pub public_key: String,
    pub key_id: String,
    pub items: Vec<Checkpoint>,
    /// Pass as `after_seq` for the next page.
    pub next_after_seq: Option<i64>,
}

/// Query of the checkpoint list and feed.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CheckpointParams {
    /// Checkpoints after this sequence number (paging).
    pub after_seq: Option<i64>,
    /// 1–1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

#[tracing::instrument(skip_all)]
pub fn list(
    conn: &mut DbConnection,
    keys: &ServerKeys,
    params: &CheckpointParams,
) -> Result<CheckpointPage> {
    let limit = params.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(invalid("limit", "problem.range_1000", vec![]));
    }
    let rows = repo::checkpoints_after(conn, params.after_seq.unwrap_or(0), limit + 1)?;
    let more = rows.len() as i64 > limit;
    let items: Vec<Checkpoint> = rows
        .into_iter()
        .take(limit as usize)
        .map(Into::into)
        .collect();
    Ok(CheckpointPage {
        public_key: keys.public_key_hex(),
        key_id: keys.key_id(),
        next_after_seq: more.then(|| items.last().map(|c| c.seq)).flatten(),
        items,
    })
}

/// The newest checkpoints as an Atom 1.0 feed (RFC 4287), newest first.
#[tracing::instrument(skip_all)]
pub fn atom(conn: &mut DbConnection, keys: &ServerKeys, base_url: &str) -> Result<String> {
    let rows = repo::newest_checkpoints(conn, 100)?;
    let updated = rows.first().map_or_else(
        || "1970-01-01T00:00:00Z".to_string(),
        |r| {
            r.signed_at
                .and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        },
    );
    let mut out = String::with_capacity(1024 + rows.len() * 700);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    out.push_str(
        "<title>smeproc audit checkpoints</title>\n<id>urn:smeproc:audit-checkpoints</id>\n",
    );
    out.push_str(&format!(
        "<link rel=\"self\" href=\"{base_url}/api/v1/audit/checkpoints.atom\"/>\n<updated>{updated}</updated>\n\
         <author><name>smeproc</name></author>\n<subtitle>Ed25519 key {} ({})</subtitle>\n",
        keys.public_key_hex(),
        keys.key_id()
    ));
    for r in &rows {
        let c = Checkpoint::from(r.clone());
        out.push_str(&format!(
            "<entry>\n<id>urn:smeproc:audit-checkpoint:{seq}</id>\n<title>audit head {seq}</title>\n\
             <updated>{at}</updated>\n<content type=\"text\">seq={seq} head_hash={hash} signed_at={micros} key_id={key} public_key={public} signature={sig}</content>\n</entry>\n",
            seq = c.seq,
            at = c.signed_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            hash = c.head_hash,
            micros = c.signed_at.timestamp_micros(),
            key = c.key_id,
            public = c.public_key,
            sig = c.signature,
        ));
    }
    out.push_str("</feed>\n");
    Ok(out)
}

/// A checkpoint kept outside that the database no longer agrees with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    pub seq: i64,
    pub reason: String,
}

/// Checks copies of checkpoints against the database: each must be signed by `public_key`, and
/// the database must still hold event `seq` with that hash. A copy with a foreign or broken
/// signature proves nothing and is reported as such.
#[tracing::instrument(skip_all)]
pub fn check_copies(
    conn: &mut DbConnection,
    public_key: &str,
    copies: &[Checkpoint],
) -> Result<Vec<Mismatch>> {
    let head_seq = repo::head(conn)?.map(|(seq, _)| seq);
    let mut out = Vec::new();
    for c in copies {
        let message = signed_message(c.seq, &c.head_hash, c.signed_at, &c.key_id);
        if c.public_key != public_key
            || c.key_id != keys::key_id(public_key)
            || !keys::verify_signature(public_key, message.as_bytes(), &c.signature)
        {
            out.push(Mismatch {
                seq: c.seq,
                reason: format!(
                    "the copy is not signed by key {} (its signature does not verify): it proves nothing",
                    keys::key_id(public_key)
                ),
            });
            continue;
        }
        let stored = repo::event_hash(conn, c.seq)?;
        let reason = match (stored, head_seq) {
            (Some(h), _) if h == c.head_hash => continue,
            (Some(h), _) => format!(
                "event {} now has hash {h}, but a checkpoint signed at {} says {}: the chain was rewritten",
                c.seq,
                c.signed_at.to_rfc3339(),
                c.head_hash
            ),
            (None, Some(head)) => format!(
                "event {} is gone (the head is now {head}), but a checkpoint signed at {} covers it: events were removed",
                c.seq,
                c.signed_at.to_rfc3339()
            ),
            (None, None) => format!(
                "event {} is gone and the audit head row is missing: events were removed",
                c.seq
            ),
        };
        out.push(Mismatch { seq: c.seq, reason });
    }
    Ok(out)
}

/// Reads copies kept outside: the JSON of `GET /api/v1/audit/checkpoints` (or of
/// `smeproc audit checkpoints`), or a JSON array of checkpoints.
pub fn parse_copies(bytes: &[u8]) -> std::result::Result<Vec<Checkpoint>, String> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Copies {
        Page { items: Vec<Checkpoint> },
        List(Vec<Checkpoint>),
    }
    match serde_json::from_slice::<Copies>(bytes) {
        Ok(Copies::Page { items }) | Ok(Copies::List(items)) => Ok(items),
        Err(e) => Err(format!(
            "not a checkpoint list (the JSON of GET /api/v1/audit/checkpoints): {e}"
        )),
    }
}
