//! Sealed bids (投标): submitted, replaced or withdrawn until the bid deadline; unreadable by
//! anyone — the agency, admins and auditors included — until the opening. On a lot with a key
//! (every lot published since sealing landed) the canonical bid is encrypted to the lot's public
//! key on receipt and only ciphertext is stored, under a keyed tag of the bidder; it opens when
//! k key holders give their shares (super::opening). The supplier gets a receipt: the SHA-256
//! of the canonical bid, which carries the server's time and a random salt.

mod bidder_sealed;
mod read;
mod review;
mod validate;

use crate::domain::lifecycle::{BidState, ProjectState};
use crate::domain::messages::{label, Lang};
pub use bidder_sealed::*;
pub use read::*;
pub use review::*;
use validate::check;

use super::{find_lot, require_manager, utc, wrong_phase_because, Phase};
use crate::clock::Clock;
use crate::db::enterprises::{self as enterprise_repo, Enterprise};
use crate::db::procurement::{self as repo, Bid, Lot, Project, SealedBid};
use crate::db::{self, DbConnection};
use crate::domain::evaluation::{Bidder, Firm, Participant};
use crate::domain::{Fen, Hundredths, RegionCode, Scale};
use crate::error::{Cause, Error, Result};
use crate::service::audit::{self, Change};
use crate::service::auth::keys::ServerKeys;
use crate::service::procurement::documents::StoredDocument;
use crate::service::Actor;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

/// A consortium member or a subcontractor: a registered enterprise and its share.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyInput {
    /// 统一社会信用代码 of a registered enterprise.
    #[schema(required = true, nullable = false)]
    pub credit_code: Option<String>,
    /// Percent of the consortium agreement (联合体协议) or of the contract subcontracted.
    #[schema(value_type = Option<f64>, required = true, nullable = false)]
    pub share_pct: Option<Hundredths>,
}

/// A goods manufacturer: a registered enterprise, named directly or through a catalogue product.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MakerInput {
    pub credit_code: Option<String>,
    /// A catalogue product whose manufacturer is recorded.
    pub product_id: Option<i64>,
}

/// A bid as a supplier submits it. Alone: leave `consortium` out (the bidder is the caller's
/// enterprise). In a consortium: list every member, the caller's enterprise among them.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BidInput {
    /// Yuan as a decimal string, e.g. "980000.00" (JSON numbers are refused).
    #[schema(value_type = Option<String>, example = "980000.00", required = true, nullable = false)]
    pub price: Option<serde_json::Value>,
    pub consortium: Option<Vec<PartyInput>>,
    /// 关联关系 among the consortium members (required for a consortium).
    pub related_parties: Option<bool>,
    /// 分包 plan.
    pub subcontracts: Option<Vec<PartyInput>>,
    /// Goods only: who makes the goods offered.
    pub goods_manufacturers: Option<Vec<MakerInput>>,
}

/// A firm as the bid records it on the day: the scale of the declaration letter in force
/// (中小企业声明函), or the registry's scale when no letter covers the day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FirmSnapshot {
    pub enterprise_id: String,
    pub credit_code: String,
    pub name: String,
    pub region: String,
    /// micro | small | medium | large
    pub scale: String,
    /// declaration | registry
    pub scale_source: String,
    pub declaration_id: Option<String>,
    pub declared_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PartySnapshot {
    pub firm: FirmSnapshot,
    #[schema(value_type = f64)]
    pub share_pct: Hundredths,
}

/// The canonical bid: what the receipt's hash covers (compact JSON, keys sorted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BidContent {
    pub bid_id: String,
    pub lot_id: String,
    pub project_id: String,
    /// The submitting enterprise.
    pub supplier: FirmSnapshot,
    #[schema(value_type = String)]
    pub price: String,
    /// Null for a single firm.
    pub consortium: Option<Vec<PartySnapshot>>,
    pub related_parties: bool,
    pub subcontracts: Vec<PartySnapshot>,
    pub goods_manufacturers: Vec<FirmSnapshot>,
    pub submitted_at: DateTime<Utc>,
    /// The bid this one replaced.
    pub replaces: Option<String>,
    /// 16 random bytes (hex): the receipt's hash cannot be guessed from a price.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub salt: String,
    /// The bid's documents (响应文件) with their SHA-256: the receipt covers them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<crate::service::procurement::documents::DocumentRef>,
}

impl BidContent {
    /// The bid as the evaluation engine sees it (scores and qualification added later).
    /// Who bid: the firm, or the consortium's members joined by " / ".
    pub fn bidder_name(&self) -> String {
        match &self.consortium {
            None => self.supplier.name.clone(),
            Some(m) => m
                .iter()
                .map(|p| p.firm.name.as_str())
                .collect::<Vec<_>>()
                .join(" / "),
        }
    }

    pub fn engine_bidder(&self) -> Bidder {
        match &self.consortium {
            None => Bidder::Single(firm(&self.supplier)),
            Some(members) => Bidder::Consortium {
                members: members.iter().map(participant).collect(),
                related_parties: self.related_parties,
            },
        }
    }
}

pub fn scale_of(text: &str) -> Scale {
    text.parse().unwrap_or(Scale::Large)
}

fn firm(f: &FirmSnapshot) -> Firm {
    Firm {
        scale: scale_of(&f.scale),
        region: f.region.parse::<RegionCode>().ok(),
    }
}

fn participant(p: &PartySnapshot) -> Participant {
    Participant {
        firm: firm(&p.firm),
        share_pct: p.share_pct,
    }
}

/// What the supplier keeps: proof of what was submitted, and when.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Receipt {
    pub bid_id: String,
    pub lot_id: String,
    /// submitted | replaced | withdrawn
    pub state: String,
    /// SHA-256 (hex) of `canonical`.
    pub sha256: String,
    pub received_at: DateTime<Utc>,
    /// The canonical bid the hash covers (only in the answer to the submission itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canonical: Option<String>,
}

fn receipt(b: &Stored) -> Receipt {
    Receipt {
        bid_id: b.id().to_string(),
        lot_id: b.lot_id().to_string(),
        state: b.state().to_string(),
        sha256: b.receipt_sha256().to_string(),
        received_at: utc(b.submitted_at()),
        canonical: None,
    }
}

/// A bid as stored: in the clear (lots published before sealing, and every bid once opened),
/// or sealed.
#[derive(Debug, Clone)]
pub enum Stored {
    Clear(Bid),
    Sealed(SealedBid),
}

impl Stored {
    pub fn id(&self) -> &str {
        match self {
            Stored::Clear(b) => &b.id,
            Stored::Sealed(b) => &b.id,
        }
    }
    pub fn lot_id(&self) -> &str {
        match self {
            Stored::Clear(b) => &b.lot_id,
            Stored::Sealed(b) => &b.lot_id,
        }
    }
    pub fn project_id(&self) -> &str {
        match self {
            Stored::Clear(b) => &b.project_id,
            Stored::Sealed(b) => &b.project_id,
        }
    }
    pub fn state(&self) -> BidState {
        match self {
            Stored::Clear(b) => b.state,
            Stored::Sealed(b) => b.state,
        }
    }
    pub fn receipt_sha256(&self) -> &str {
        match self {
            Stored::Clear(b) => &b.receipt_sha256,
            Stored::Sealed(b) => &b.receipt_sha256,
        }
    }
    pub fn submitted_at(&self) -> NaiveDateTime {
        match self {
            Stored::Clear(b) => b.submitted_at,
            Stored::Sealed(b) => b.submitted_at,
        }
    }
}

/// What a sealed bid's envelope is bound to: opening it as another bid fails.
pub fn envelope_aad(bid_id: &str) -> Vec<u8> {
    format!("bid {bid_id}").into_bytes()
}

fn salt() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::Internal(anyhow::anyhow!("no randomness: {e}")))?;
    Ok(crate::domain::digest::hex(&bytes))
}

fn canonical(content: &BidContent) -> Result<String> {
    // Through a Value: object keys come out sorted, so the bytes do not depend on field order.
    let value = serde_json::to_value(content).map_err(|e| Error::Internal(e.into()))?;
    serde_json::to_string(&value).map_err(|e| Error::Internal(e.into()))
}

fn supplier_of(conn: &mut DbConnection, actor: &Actor<'_>) -> Result<Enterprise> {
    let Actor::Supplier { enterprise_id, .. } = actor else {
        return Err(Error::Forbidden(
            "bids are submitted by supplier users for their enterprise".into(),
        ));
    };
    enterprise_repo::find_by_id(conn, enterprise_id)?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("supplier enterprise missing")))
}

pub(super) fn open_for_bids(
    project: &Project,
    lot: Option<&Lot>,
    now: NaiveDateTime,
) -> Result<()> {
    let phase = crate::service::procurement::phase(project, now);
    if let Some(reason) = lot.and_then(|l| l.termination_reason.as_deref()) {
        // A lot terminated (终止) takes no more bids.
        return Err(crate::service::refuse(
            Cause::WrongState,
            "refusal.lot_terminated_bids",
            vec![
                ("lot", lot.map(|l| l.number).unwrap_or_default().to_string()),
                ("reason", reason.to_string()),
            ],
        ));
    }
    if phase == Phase::Published {
        return Ok(());
    }
    // Before publication it is the wrong state; from the deadline on, too late.
    let cause = if phase > Phase::Published {
        Cause::BidDeadlinePassed
    } else {
        Cause::WrongState
    };
    Err(wrong_phase_because(
        cause,
        "refusal.bid_phase",
        phase,
        super::when_said(
            project.bid_deadline,
            " (deadline {})",
            "（截止时间 {}，北京时间）",
        ),
    ))
}

/// Stores a checked bid: sealed to the lot key when the lot has one (`sealer`, made by
/// [`prepare_sealer`]), else in the clear.
/// Answers the stored bid and the canonical text (for the submitter's receipt).
#[allow(clippy::too_many_arguments)]
fn insert_bid(
    conn: &mut DbConnection,
    keys: &ServerKeys,
    sealer: Option<crate::service::sealing::Sealer>,
    lot: &Lot,
    supplier: &Enterprise,
    content: &BidContent,
    price: Fen,
    now: NaiveDateTime,
) -> Result<(Stored, String)> {
    let text = canonical(content)?;
    // The sealer was made before the transaction for a lot with a key (keys are made at
    // publication, before any bid): with none, the lot has no key.
    if let Some(sealer) = sealer {
        let envelope = sealer
            .seal(&envelope_aad(&content.bid_id), text.as_bytes())
            .map_err(|e| Error::Internal(anyhow::anyhow!("sealing bid: {e}")))?;
        let bid = SealedBid {
            id: content.bid_id.clone(),
            lot_id: lot.id.clone(),
            project_id: lot.project_id.clone(),
            bidder_tag: keys.bidder_tag(&supplier.id),
            state: BidState::Submitted,
            sealed_by: "server".into(),
            envelope,
            receipt_sha256: super::sha256_hex(text.as_bytes()),
            submitted_at: now,
            closed_at: None,
            opened: None,
            opened_reason: None,
        };
        repo::insert_sealed_bid(conn, &bid).map_err(duplicate_bid)?;
        return Ok((Stored::Sealed(bid), text));
    }
    let bid = Bid {
        id: content.bid_id.clone(),
        lot_id: lot.id.clone(),
        project_id: lot.project_id.clone(),
        supplier_id: supplier.id.clone(),
        state: BidState::Submitted,
        price_fen: price.0,
        receipt_sha256: super::sha256_hex(text.as_bytes()),
        content: text.clone(),
        submitted_at: now,
        closed_at: None,
        qualified: None,
        qualification_reason: None,
    };
    repo::insert_bid(conn, &bid).map_err(duplicate_bid)?;
    Ok((Stored::Clear(bid), text))
}

/// Before documents are streamed to the store: the caller may bid on the lot now (a supplier,
/// the lot open for bids). The lot's public key to seal them to (None: a lot without a key).
#[tracing::instrument(skip_all)]
pub fn may_submit(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    lot_id: &str,
) -> Result<Option<String>> {
    supplier_of(conn, actor)?;
    let (lot, project) = find_lot(conn, lot_id)?;
    if project.state == ProjectState::Draft {
        return Err(Error::NotFound(format!("no lot with id {lot_id}")));
    }
    open_for_bids(&project, Some(&lot), clock.now_naive())?;
    Ok(repo::find_lot_key(conn, &lot.id)?.map(|k| k.public_key))
}

/// The same before a replacement: the caller's own bid, still open for changes. Its lot and the
/// lot's public key.
#[tracing::instrument(skip_all)]
pub fn may_replace(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    keys: &ServerKeys,
    actor: &Actor<'_>,
    id: &str,
) -> Result<(String, Option<String>)> {
    let (_, lot, project, _) = own_bid(conn, keys, actor, id)?;
    open_for_bids(&project, Some(&lot), clock.now_naive())?;
    let key = repo::find_lot_key(conn, &lot.id)?.map(|k| k.public_key);
    Ok((lot.id, key))
}

/// Lists the documents in the canonical bid and records where they are stored.
fn attach(
    conn: &mut DbConnection,
    lot: &Lot,
    content: &mut BidContent,
    documents: &[StoredDocument],
) -> Result<()> {
    if documents.is_empty() {
        return Ok(());
    }
    let mut rows = Vec::with_capacity(documents.len());
    for d in documents {
        if d.row.lot_id != lot.id {
            return Err(Error::Internal(anyhow::anyhow!("document of another lot")));
        }
        content.documents.push(d.reference.clone());
        rows.push(crate::db::procurement::DocumentRow {
            bid_id: content.bid_id.clone(),
            ..d.row.clone()
        });
    }
    repo::insert_documents(conn, &rows)?;
    Ok(())
}

/// The envelope's key encapsulation for a bid on a sealed lot, made before the write lock is
/// taken (it is the costly part of sealing); None for a lot without a key or unknown.
fn prepare_sealer(
    conn: &mut DbConnection,
    lot_id: &str,
) -> Result<Option<crate::service::sealing::Sealer>> {
    repo::find_lot_key(conn, lot_id)?
        .map(|k| {
            crate::service::sealing::ahead::take(&k.lot_id, &k.public_key)
                .map_err(|e| Error::Internal(anyhow::anyhow!("sealing bid: {e}")))
        })
        .transpose()
}

/// A second submitted bid of the same bidder on a lot (the unique index): `duplicate_bid`.
fn duplicate_bid(e: crate::db::QueryError) -> Error {
    match Error::from(e) {
        Error::Conflict(..) => {
            crate::service::refuse(Cause::DuplicateBid, "refusal.duplicate_bid", vec![])
        }
        other => other,
    }
}

/// Who the audit log names for a bid: on a sealed lot the bidder's tag (the user would say
/// which enterprise bid), else the user.
fn bid_actor(keys: &ServerKeys, actor: &Actor<'_>, bid: &Stored) -> String {
    match (bid, actor) {
        (Stored::Sealed(_), Actor::Supplier { enterprise_id, .. }) => {
            format!("bidder:{}", &keys.bidder_tag(enterprise_id)[..16])
        }
        _ => actor.audit_id().to_string(),
    }
}

/// Submits a sealed bid to a lot.
#[tracing::instrument(skip_all)]
pub fn submit(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    keys: &ServerKeys,
    actor: &Actor<'_>,
    lot_id: &str,
    input: &BidInput,
) -> Result<Receipt> {
    submit_with(conn, clock, keys, actor, lot_id, input, Vec::new())
}

/// Submits a bid with its documents (already in the store, sealed): the bid's canonical
/// content lists them with their hashes. On a refusal the caller removes the documents.
#[tracing::instrument(skip_all)]
pub fn submit_with(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    keys: &ServerKeys,
    actor: &Actor<'_>,
    lot_id: &str,
    input: &BidInput,
    documents: Vec<StoredDocument>,
) -> Result<Receipt> {
    let now = clock.now_naive();
    let sealer = prepare_sealer(conn, lot_id)?;
    let (bid, text) = crate::db::write(conn, |conn| {
        let supplier = supplier_of(conn, actor)?;
        let (lot, project) = find_lot(conn, lot_id)?;
        if project.state == ProjectState::Draft {
            return Err(Error::NotFound(format!("no lot with id {lot_id}")));
        }
        open_for_bids(&project, Some(&lot), now)?;
        let id = db::new_id();
        let (mut content, price) = check(conn, &project, &lot, &supplier, input, &id, None, now)?;
        content.salt = salt()?;
        attach(conn, &lot, &mut content, &documents)?;
        let (bid, text) = insert_bid(conn, keys, sealer, &lot, &supplier, &content, price, now)?;
        audit::record(
            conn,
            clock,
            Change::new(&bid_actor(keys, actor, &bid), "bid.submit", "bid", bid.id())
                .after(&sealed_view(&bid)),
        )?;
        Ok::<_, Error>((bid, text))
    })?;
    Ok(Receipt {
        canonical: Some(text),
        ..receipt(&bid)
    })
}

/// What the audit log digests of a bid: never its price or content, which stay sealed until the
/// opening (a digest of a guessable price could be brute-forced).
fn sealed_view(b: &Stored) -> serde_json::Value {
    match b {
        Stored::Clear(b) => serde_json::json!({
            "id": b.id, "lot_id": b.lot_id, "supplier_id": b.supplier_id, "state": b.state,
            "submitted_at": utc(b.submitted_at), "closed_at": b.closed_at.map(utc),
        }),
        // Not even the supplier's id: the tag stands for it until the opening.
        Stored::Sealed(b) => serde_json::json!({
            "id": b.id, "lot_id": b.lot_id, "bidder_tag": b.bidder_tag, "state": b.state,
            "sealed_by": b.sealed_by, "envelope_sha256": super::sha256_hex(&b.envelope),
            "submitted_at": utc(b.submitted_at), "closed_at": b.closed_at.map(utc),
        }),
    }
}

/// A stored bid by id: sealed (not yet opened) first, then in the clear.
pub(crate) fn find_stored(conn: &mut DbConnection, id: &str) -> Result<Option<Stored>> {
    if let Some(b) = repo::find_sealed_bid(conn, id)?.filter(|b| b.opened.is_none()) {
        return Ok(Some(Stored::Sealed(b)));
    }
    Ok(repo::find_bid(conn, id)?.map(Stored::Clear))
}

/// Whether the enterprise sent this bid.
pub(crate) fn sent_by(keys: &ServerKeys, bid: &Stored, enterprise_id: &str) -> bool {
    match bid {
        Stored::Clear(b) => b.supplier_id == enterprise_id,
        Stored::Sealed(b) => b.bidder_tag == keys.bidder_tag(enterprise_id),
    }
}

/// The caller's own bid, or 404 (another supplier's bid is not acknowledged to exist).
fn own_bid(
    conn: &mut DbConnection,
    keys: &ServerKeys,
    actor: &Actor<'_>,
    id: &str,
) -> Result<(Stored, Lot, Project, Enterprise)> {
    let supplier = supplier_of(conn, actor)?;
    let bid = find_stored(conn, id)?
        .filter(|b| sent_by(keys, b, &supplier.id))
        .ok_or_else(|| Error::NotFound(format!("no bid of yours with id {id}")))?;
    let (lot, project) = find_lot(conn, bid.lot_id())?;
    Ok((bid, lot, project, supplier))
}

/// Refuses a caller whose bid this is not (404: another's bid is not acknowledged to exist).
#[tracing::instrument(skip_all)]
pub fn may_change(
    conn: &mut DbConnection,
    keys: &ServerKeys,
    actor: &Actor<'_>,
    id: &str,
) -> Result<()> {
    own_bid(conn, keys, actor, id).map(|_| ())
}

/// One of a supplier's own bids, as its profile lists them.
#[derive(Debug, Clone)]
pub struct OwnBidRow {
    pub id: String,
    pub project_id: String,
    pub project_title: String,
    pub state: BidState,
    pub submitted_at: NaiveDateTime,
    pub receipt_sha256: String,
}

/// A supplier's own bids, newest first, with their projects' titles (its profile page).
#[tracing::instrument(skip_all)]
pub fn of_supplier(
    conn: &mut DbConnection,
    keys: &ServerKeys,
    enterprise_id: &str,
    limit: i64,
) -> Result<Vec<OwnBidRow>> {
    let mut rows: Vec<OwnBidRow> = repo::bids_of_supplier(conn, enterprise_id, limit)?
        .into_iter()
        .map(|(b, title)| OwnBidRow {
            id: b.id,
            project_id: b.project_id,
            project_title: title,
            state: b.state,
            submitted_at: b.submitted_at,
            receipt_sha256: b.receipt_sha256,
        })
        .collect();
    for (b, title) in repo::sealed_bids_of_bidder(conn, &keys.bidder_tag(enterprise_id), limit)? {
        if rows.iter().any(|r| r.id == b.id) {
            continue;
        }
        rows.push(OwnBidRow {
            id: b.id,
            project_id: b.project_id,
            project_title: title,
            state: b.state,
            submitted_at: b.submitted_at,
            receipt_sha256: b.receipt_sha256,
        });
    }
    rows.sort_by(|a, b| b.id.cmp(&a.id));
    rows.truncate(limit.max(0) as usize);
    Ok(rows)
}

/// One evaluator's sheet: the qualification review and the scores, saved together or not at all.
#[tracing::instrument(skip_all)]
pub fn review_sheet(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    lot_id: &str,
    qualification: &QualificationInput,
    scores: &ScoresInput,
) -> Result<()> {
    crate::db::write(conn, |conn| {
        qualify(conn, clock, actor, lot_id, qualification)?;
        if scores.scores.as_ref().is_some_and(|s| !s.is_empty()) {
            enter_scores(conn, clock, actor, lot_id, scores)?;
        }
        Ok(())
    })
}

/// Replaces a submitted bid with a new one (new id, new receipt) before the deadline.
#[tracing::instrument(skip_all)]
pub fn replace(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    keys: &ServerKeys,
    actor: &Actor<'_>,
    id: &str,
    input: &BidInput,
) -> Result<Receipt> {
    replace_with(conn, clock, keys, actor, id, input, Vec::new())
}

/// Replaces a bid with a new one and its documents (those of the old bid stay with it).
#[tracing::instrument(skip_all)]
pub fn replace_with(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    keys: &ServerKeys,
    actor: &Actor<'_>,
    id: &str,
    input: &BidInput,
    documents: Vec<StoredDocument>,
) -> Result<Receipt> {
    let now = clock.now_naive();
    let sealer = match find_stored(conn, id)? {
        Some(b) => prepare_sealer(conn, b.lot_id())?,
        None => None,
    };
    let (bid, text) = crate::db::write(conn, |conn| {
        let (old, lot, project, supplier) = own_bid(conn, keys, actor, id)?;
        open_for_bids(&project, Some(&lot), now)?;
        if old.state() != BidState::Submitted {
            return Err(crate::service::refuse(
                Cause::WrongState,
                "refusal.bid_not_submitted",
                vec![
                    ("id", id.to_string()),
                    ("state", old.state().to_string()),
                    ("state_zh", label(Lang::Zh, "state", old.state().as_str())),
                ],
            ));
        }
        let new_id = db::new_id();
        let (mut content, price) = check(
            conn,
            &project,
            &lot,
            &supplier,
            input,
            &new_id,
            Some(old.id().to_string()),
            now,
        )?;
        content.salt = salt()?;
        attach(conn, &lot, &mut content, &documents)?;
        close(conn, &old, BidState::Replaced, now)?;
        let closed = find_stored(conn, old.id())?.ok_or_else(|| Error::NotFound("bid".into()))?;
        let (bid, text) = insert_bid(conn, keys, sealer, &lot, &supplier, &content, price, now)?;
        let who = bid_actor(keys, actor, &bid);
        audit::append(
            conn,
            clock,
            &[
                Change::new(&who, "bid.replace", "bid", old.id())
                    .before(&sealed_view(&old))
                    .after(&sealed_view(&closed)),
                Change::new(&who, "bid.submit", "bid", bid.id()).after(&sealed_view(&bid)),
            ],
        )?;
        Ok::<_, Error>((bid, text))
    })?;
    Ok(Receipt {
        canonical: Some(text),
        ..receipt(&bid)
    })
}

fn close(conn: &mut DbConnection, bid: &Stored, state: BidState, now: NaiveDateTime) -> Result<()> {
    let id = bid.id();
    let n = match bid {
        Stored::Clear(_) => repo::close_bid(conn, id, state, now)?,
        Stored::Sealed(_) => repo::close_sealed_bid(conn, id, state, now)?,
    };
    if n == 1 {
        Ok(())
    } else {
        Err(crate::service::refuse(
            Cause::WrongState,
            "refusal.bid_closed",
            vec![("id", id.to_string())],
        ))
    }
}

/// Withdraws a submitted bid before the deadline.
#[tracing::instrument(skip_all)]
pub fn withdraw(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    keys: &ServerKeys,
    actor: &Actor<'_>,
    id: &str,
) -> Result<Receipt> {
    let now = clock.now_naive();
    let bid = crate::db::write(conn, |conn| {
        let (old, _, project, _) = own_bid(conn, keys, actor, id)?;
        open_for_bids(&project, None, now)?;
        close(conn, &old, BidState::Withdrawn, now)?;
        let bid = find_stored(conn, id)?.ok_or_else(|| Error::NotFound(format!("no bid {id}")))?;
        audit::record(
            conn,
            clock,
            Change::new(&bid_actor(keys, actor, &bid), "bid.withdraw", "bid", id)
                .before(&sealed_view(&old))
                .after(&sealed_view(&bid)),
        )?;
        Ok::<_, Error>(bid)
    })?;
    Ok(receipt(&bid))
}
