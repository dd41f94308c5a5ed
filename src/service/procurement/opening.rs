//! Key holders, lot keys and the opening (开标), docs/security.md.
//!
//! Before publication the agency names the key holders of a project and k. At publication
//! every lot gets a key (service::sealing) whose n shares wait, sealed to the server's escrow
//! key, until each holder collects its own once; the server keeps the commitments. From the
//! opening time the holders give their shares back; with k valid ones the server rebuilds the
//! lot key in memory, opens every sealed bid, checks it against its receipt, writes the opened
//! bids and the opening record (开标记录), and forgets the key.

use super::bids::BidContent;
use super::{find_lot, require_manager, utc, visible_project};
use crate::clock::Clock;
use crate::db::files::FileStore;
use crate::db::procurement::{self as repo, Bid, KeyShare, Lot, LotKey, Project, SealedBid};
use crate::db::{users as user_repo, DbConnection};
use crate::domain::digest::sha256_hex;
use crate::domain::lifecycle::{BidState, ProjectState};
use crate::domain::Fen;
use crate::error::{Cause, Error, Result};
use crate::service::audit::{self, Change};
use crate::service::auth::keys::ServerKeys;
use crate::service::sealing::{self, SealError};
use crate::service::Actor;
use crate::wire::fields::coded;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

/// At most this many key holders per project (ours: more is a committee, not a key ceremony).
pub const MAX_HOLDERS: usize = 15;

/// The key holders of a project and k, as the agency names them before publication.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyPlanInput {
    /// Usernames of the holders (agency staff, a supervisor 监督人 with the auditor role, an
    /// admin), in order: each gets one share of every lot.
    #[schema(required = true, nullable = false, min_items = 1, max_items = 15)]
    pub holders: Option<Vec<String>>,
    /// How many shares open a lot (1 ≤ k ≤ n); default 2, or 1 with a single holder.
    #[schema(minimum = 1, maximum = 15)]
    pub threshold: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HolderView {
    pub position: i32,
    pub user_id: String,
    pub username: String,
    pub display_name: String,
}

/// Who holds a project's keys. Without a plan the publishing user holds the only share (k = 1).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KeyPlanView {
    pub project_id: String,
    /// False while no plan was set (the publisher alone would hold the keys).
    pub named: bool,
    pub threshold: i32,
    pub holders: Vec<HolderView>,
}

fn threshold_default(n: usize) -> i64 {
    if n >= 2 {
        2
    } else {
        1
    }
}

fn holder_views(conn: &mut DbConnection, user_ids: &[String]) -> Result<Vec<HolderView>> {
    let mut out = Vec::with_capacity(user_ids.len());
    for (i, id) in user_ids.iter().enumerate() {
        let u = user_repo::find_by_id(conn, id)?
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("key holder {id} missing")))?;
        out.push(HolderView {
            position: i as i32 + 1,
            user_id: u.id,
            username: u.username,
            display_name: u.display_name,
        });
    }
    Ok(out)
}

/// The project's key plan (its staff only).
#[tracing::instrument(skip_all)]
pub fn key_plan(
    conn: &mut DbConnection,
    actor: &Actor<'_>,
    project_id: &str,
) -> Result<KeyPlanView> {
    let p = visible_project(conn, actor, project_id)?;
    if !actor.is_staff_of(&p) {
        return Err(Error::Forbidden(
            "only the project's agency, admins and auditors see its key holders".into(),
        ));
    }
    plan_view(conn, &p)
}

fn plan_view(conn: &mut DbConnection, p: &Project) -> Result<KeyPlanView> {
    let (named, threshold, ids) = match repo::key_plan(conn, &p.id)? {
        Some((k, holders)) => (true, k, holders.into_iter().map(|h| h.user_id).collect()),
        None => (false, 1, Vec::new()),
    };
    Ok(KeyPlanView {
        project_id: p.id.clone(),
        named,
        threshold,
        holders: holder_views(conn, &ids)?,
    })
}

/// Names the key holders of a draft project and k.
#[tracing::instrument(skip_all)]
pub fn set_key_plan(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    project_id: &str,
    input: &KeyPlanInput,
) -> Result<KeyPlanView> {
    let now = clock.now_naive();
    crate::db::write(conn, |conn| {
        let p = visible_project(conn, actor, project_id)?;
        require_manager(actor, &p)?;
        if p.state != ProjectState::Draft {
            return Err(crate::service::refuse(
                Cause::WrongState,
                "refusal.key_plan_published",
                vec![],
            ));
        }
        let mut problems = Vec::new();
        let mut ids: Vec<String> = Vec::new();
        match input.holders.as_deref() {
            None | Some([]) => problems.push(crate::wire::fields::required("holders")),
            Some(list) if list.len() > MAX_HOLDERS => problems.push(coded(
                "holders",
                "problem.too_many_holders",
                vec![("max", MAX_HOLDERS.to_string())],
            )),
            Some(list) => {
                for (i, name) in list.iter().enumerate() {
                    let field = format!("holders[{i}]");
                    match user_repo::find_by_username(conn, name.trim())? {
                        None => problems.push(coded(
                            field,
                            "problem.unknown_user",
                            vec![("username", name.clone())],
                        )),
                        Some(u) if u.disabled_at.is_some() || u.role == "supplier" => problems
                            .push(coded(
                                field,
                                "problem.not_a_key_holder",
                                vec![("username", name.clone())],
                            )),
                        Some(u) if ids.contains(&u.id) => problems.push(coded(
                            field,
                            "problem.duplicate_holder",
                            vec![("username", name.clone())],
                        )),
                        Some(u) => ids.push(u.id),
                    }
                }
            }
        }
        let n = input.holders.as_ref().map_or(0, Vec::len);
        let k = input.threshold.unwrap_or_else(|| threshold_default(n));
        if n > 0 && n <= MAX_HOLDERS && (k < 1 || k > n as i64) {
            problems.push(coded(
                "threshold",
                "problem.threshold_range",
                vec![("n", n.to_string())],
            ));
        }
        if !problems.is_empty() {
            return Err(Error::Validation(problems));
        }
        let before = plan_view(conn, &p)?;
        repo::set_key_plan(conn, &p.id, k as i32, &ids, now)?;
        let after = plan_view(conn, &p)?;
        audit::record(
            conn,
            clock,
            Change::new(actor.audit_id(), "project.key_holders", "project", &p.id)
                .before(&before)
                .after(&after),
        )?;
        Ok(after)
    })
}

fn escrow_aad(lot: &str, number: i32) -> Vec<u8> {
    format!("escrow {lot} {number}").into_bytes()
}

fn given_aad(lot: &str, number: i32) -> Vec<u8> {
    format!("given {lot} {number}").into_bytes()
}

/// At publication (inside its transaction): a key per lot, its shares escrowed for the
/// holders. Without a plan the publishing user holds the only share.
pub(crate) fn issue_lot_keys(
    conn: &mut DbConnection,
    keys: &ServerKeys,
    actor: &Actor<'_>,
    project: &Project,
    lots: &[Lot],
    now: NaiveDateTime,
) -> Result<Vec<LotKey>> {
    let (k, holders) = match repo::key_plan(conn, &project.id)? {
        Some((k, holders)) => (k, holders.into_iter().map(|h| h.user_id).collect()),
        None => {
            let Some(user) = actor.user_id() else {
                return Err(Error::Validation(vec![coded(
                    "holders",
                    "problem.holders_needed",
                    vec![],
                )]));
            };
            (1, vec![user.to_string()])
        }
    };
    let mut made = Vec::with_capacity(lots.len());
    for lot in lots {
        let new = sealing::new_lot_key(&lot.id, k as usize, holders.len())
            .map_err(|e| Error::Internal(anyhow::anyhow!("lot key: {e}")))?;
        let mut shares = Vec::with_capacity(holders.len());
        for (holder, issued) in holders.iter().zip(&new.shares) {
            let number = i32::from(issued.number);
            let escrow = keys
                .escrow_seal(&escrow_aad(&lot.id, number), issued.text.as_bytes())
                .map_err(Error::Internal)?;
            shares.push(KeyShare {
                lot_id: lot.id.clone(),
                number,
                holder_id: holder.clone(),
                commitment: issued.commitment.clone(),
                escrow: Some(escrow),
                collected_at: None,
                given: None,
                given_at: None,
            });
        }
        let key = LotKey {
            lot_id: lot.id.clone(),
            public_key: new.public_key.clone(),
            threshold: k,
            holders: holders.len() as i32,
            created_at: now,
            opened_at: None,
            opened_by: None,
            record: None,
            record_sha256: None,
        };
        repo::insert_lot_key(conn, &key, &shares)?;
        made.push(key);
    }
    Ok(made)
}

/// One share of a holder, as its holder sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ShareSlot {
    pub lot_id: String,
    pub project_id: String,
    pub project_title: String,
    pub number: i32,
    /// False once collected (the server no longer has it).
    pub collectable: bool,
    pub collected_at: Option<DateTime<Utc>>,
    pub given_at: Option<DateTime<Utc>>,
}

/// The caller's key shares, collected or not.
#[tracing::instrument(skip_all)]
pub fn my_shares(conn: &mut DbConnection, actor: &Actor<'_>) -> Result<Vec<ShareSlot>> {
    let user = holder_id(actor)?;
    Ok(repo::shares_of_holder(conn, user)?
        .into_iter()
        .map(|(s, project_id, project_title)| ShareSlot {
            collectable: s.escrow.is_some(),
            lot_id: s.lot_id,
            project_id,
            project_title,
            number: s.number,
            collected_at: s.collected_at.map(utc),
            given_at: s.given_at.map(utc),
        })
        .collect())
}

fn holder_id<'a>(actor: &Actor<'a>) -> Result<&'a str> {
    actor
        .user_id()
        .ok_or_else(|| Error::Forbidden("key shares are held by logged-in users".into()))
}

/// A share handed to its holder: the only time the server gives it out.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CollectedShare {
    pub lot_id: String,
    pub project_id: String,
    pub number: i32,
    pub threshold: i32,
    pub holders: i32,
    /// Keep it like a recovery code: it is shown once, and the lot opens only with k of them.
    pub share: String,
    /// The lot's public key (X25519, hex) the share belongs to.
    pub public_key: String,
}

/// Hands the caller its share of a lot, once; the escrowed copy is erased.
#[tracing::instrument(skip_all)]
pub fn collect_share(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    keys: &ServerKeys,
    actor: &Actor<'_>,
    lot_id: &str,
) -> Result<CollectedShare> {
    let now = clock.now_naive();
    let user = holder_id(actor)?;
    crate::db::write(conn, |conn| {
        let (lot, _) = find_lot(conn, lot_id)?;
        let no_share = || Error::Forbidden(format!("you hold no key share of lot {lot_id}").into());
        let key = repo::find_lot_key(conn, &lot.id)?.ok_or_else(no_share)?;
        let share = repo::shares_of_lot(conn, &lot.id)?
            .into_iter()
            .find(|s| s.holder_id == user)
            .ok_or_else(no_share)?;
        let Some(escrow) = share.escrow.as_deref() else {
            return Err(crate::service::refuse(
                Cause::WrongState,
                "refusal.share_collected",
                vec![("lot", lot.number.to_string())],
            ));
        };
        let text = keys
            .escrow_open(&escrow_aad(&lot.id, share.number), escrow)
            .map_err(Error::Internal)?;
        let text = String::from_utf8(text.to_vec())
            .map_err(|_| Error::Internal(anyhow::anyhow!("escrowed share is not text")))?;
        if repo::mark_collected(conn, &lot.id, share.number, now)? != 1 {
            return Err(crate::service::refuse(
                Cause::WrongState,
                "refusal.share_collected",
                vec![("lot", lot.number.to_string())],
            ));
        }
        audit::record(
            conn,
            clock,
            Change::new(actor.audit_id(), "key_share.collect", "lot", &lot.id).after(
                &serde_json::json!({"number": share.number, "holder": user, "collected_at": utc(now)}),
            ),
        )?;
        Ok(CollectedShare {
            lot_id: lot.id,
            project_id: lot.project_id,
            number: share.number,
            threshold: key.threshold,
            holders: key.holders,
            share: text,
            public_key: key.public_key,
        })
    })
}

/// A share given at the opening.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareInput {
    /// The share as collected: `smeproc-share-1.<lot>.<hex>`.
    #[schema(required = true, nullable = false)]
    pub share: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HolderStatus {
    pub number: i32,
    pub username: String,
    pub display_name: String,
    pub collected: bool,
    pub given: bool,
}

/// A lot's opening: who has given a share, and once opened, the record.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpeningView {
    pub lot_id: String,
    pub project_id: String,
    /// The lot's public key (X25519, hex) bids are sealed to.
    pub public_key: String,
    pub threshold: i32,
    pub opening_at: Option<DateTime<Utc>>,
    pub opened_at: Option<DateTime<Utc>>,
    /// Holders and whether each has collected and given its share (the project's staff only).
    pub holders: Vec<HolderStatus>,
    pub given: usize,
    /// The opening record (开标记录), once opened.
    #[schema(value_type = Option<Object>)]
    pub record: Option<serde_json::Value>,
    pub record_sha256: Option<String>,
}

fn opening_view(
    conn: &mut DbConnection,
    lot: &Lot,
    project: &Project,
    key: &LotKey,
    staff: bool,
) -> Result<OpeningView> {
    let shares = repo::shares_of_lot(conn, &lot.id)?;
    let given = shares.iter().filter(|s| s.given_at.is_some()).count();
    let holders = if staff {
        let mut out = Vec::with_capacity(shares.len());
        for s in &shares {
            let u = user_repo::find_by_id(conn, &s.holder_id)?;
            out.push(HolderStatus {
                number: s.number,
                username: u.as_ref().map(|u| u.username.clone()).unwrap_or_default(),
                display_name: u.map(|u| u.display_name).unwrap_or_default(),
                collected: s.collected_at.is_some(),
                given: s.given_at.is_some(),
            });
        }
        out
    } else {
        Vec::new()
    };
    let record = key
        .record
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| Error::Internal(anyhow::anyhow!("opening record: {e}")))?;
    Ok(OpeningView {
        lot_id: lot.id.clone(),
        project_id: project.id.clone(),
        public_key: key.public_key.clone(),
        threshold: key.threshold,
        opening_at: project.opening_at.map(utc),
        opened_at: key.opened_at.map(utc),
        holders,
        given,
        record,
        record_sha256: key.record_sha256.clone(),
    })
}

/// Whether `actor` bid on the lot (a supplier whose sealed bid was there at the opening).
fn bid_on(
    conn: &mut DbConnection,
    keys: &ServerKeys,
    actor: &Actor<'_>,
    lot: &Lot,
) -> Result<bool> {
    let Actor::Supplier { enterprise_id, .. } = actor else {
        return Ok(false);
    };
    let tag = keys.bidder_tag(enterprise_id);
    Ok(repo::sealed_bids_of_lot_by(conn, &lot.id, &tag)? > 0)
}

/// The opening of a lot: to its project's staff (with the holders), to the key holders, and
/// once opened, to the lot's bidders (the record).
#[tracing::instrument(skip_all)]
pub fn show(
    conn: &mut DbConnection,
    keys: &ServerKeys,
    actor: &Actor<'_>,
    lot_id: &str,
) -> Result<OpeningView> {
    let (lot, project) = find_lot(conn, lot_id)?;
    let not_found = || Error::NotFound(format!("no sealed lot with id {lot_id}"));
    if project.state == ProjectState::Draft && !actor.is_staff_of(&project) {
        return Err(not_found());
    }
    let key = repo::find_lot_key(conn, &lot.id)?.ok_or_else(not_found)?;
    let staff = actor.is_staff_of(&project);
    let holder = match actor.user_id() {
        Some(u) => repo::shares_of_lot(conn, &lot.id)?
            .iter()
            .any(|s| s.holder_id == u),
        None => false,
    };
    if !staff && !holder {
        if key.opened_at.is_some() && bid_on(conn, keys, actor, &lot)? {
            return opening_view(conn, &lot, &project, &key, false);
        }
        return Err(Error::Forbidden(
            "the opening is for the project's staff, its key holders, and once opened its bidders"
                .into(),
        ));
    }
    opening_view(conn, &lot, &project, &key, staff || holder)
}

/// Refuses to review a keyed lot its holders have not opened yet.
pub(crate) fn require_opened(conn: &mut DbConnection, lot: &Lot) -> Result<()> {
    match repo::find_lot_key(conn, &lot.id)? {
        Some(key) if key.opened_at.is_none() => Err(not_opened(conn, lot, &key)),
        _ => Ok(()),
    }
}

pub(crate) fn not_opened(conn: &mut DbConnection, lot: &Lot, key: &LotKey) -> Error {
    let given = repo::shares_of_lot(conn, &lot.id)
        .map(|s| s.iter().filter(|s| s.given_at.is_some()).count())
        .unwrap_or(0);
    crate::service::refuse(
        Cause::NotOpened,
        "refusal.lot_not_opened",
        vec![
            ("lot", lot.number.to_string()),
            ("given", given.to_string()),
            ("k", key.threshold.to_string()),
        ],
    )
}

/// A holder gives its share at the opening; the k-th opens the lot.
#[tracing::instrument(skip_all)]
#[allow(clippy::too_many_arguments)]
pub fn give_share(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    keys: &ServerKeys,
    store: &FileStore,
    actor: &Actor<'_>,
    lot_id: &str,
    input: &ShareInput,
) -> Result<OpeningView> {
    let now = clock.now_naive();
    let user = holder_id(actor)?;
    let outcome = crate::db::write(conn, |conn| {
        give_in(conn, clock, keys, store, actor, user, lot_id, input, now)
    });
    // The sealed copies of documents opened into the clear, once the opening is committed.
    if let Ok(sealed) = &outcome {
        crate::service::sealing::ahead::forget(lot_id);
        for location in sealed {
            store.remove(location);
        }
    }
    if let Err(Error::Validation(_)) = &outcome {
        // A forged, altered or foreign share: refused above, and on record here (never the
        // share itself).
        tracing::warn!(lot = %lot_id, holder = %user, "a key share was refused");
        crate::db::write(conn, |conn| {
            audit::record(
                conn,
                clock,
                Change::new(actor.audit_id(), "key_share.refused", "lot", lot_id)
                    .after(&serde_json::json!({"holder": user, "at": utc(now)})),
            )
        })?;
    }
    outcome?;
    let (lot, project) = find_lot(conn, lot_id)?;
    let key =
        repo::find_lot_key(conn, &lot.id)?.ok_or_else(|| Error::NotFound("lot key".into()))?;
    opening_view(conn, &lot, &project, &key, true)
}

#[allow(clippy::too_many_arguments)]
fn give_in(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    keys: &ServerKeys,
    store: &FileStore,
    actor: &Actor<'_>,
    user: &str,
    lot_id: &str,
    input: &ShareInput,
    now: NaiveDateTime,
) -> Result<Vec<String>> {
    let (lot, project) = find_lot(conn, lot_id)?;
    let key = repo::find_lot_key(conn, &lot.id)?
        .ok_or_else(|| Error::NotFound(format!("no sealed lot with id {lot_id}")))?;
    let shares = repo::shares_of_lot(conn, &lot.id)?;
    if !shares.iter().any(|s| s.holder_id == user) {
        return Err(Error::Forbidden(
            "only the lot's key holders give shares".into(),
        ));
    }
    if project.opening_at.is_none_or(|t| now < t) {
        return Err(crate::service::refuse(
            Cause::BidsSealed,
            "refusal.opening_not_yet",
            super::when_said(project.opening_at, " ({})", "（{}，北京时间）"),
        ));
    }
    if key.opened_at.is_some() {
        return Err(crate::service::refuse(
            Cause::WrongState,
            "refusal.lot_opened",
            vec![("lot", lot.number.to_string())],
        ));
    }
    if let Some(reason) = lot.termination_reason.as_deref() {
        // Terminated before its opening: its bids stay sealed for good.
        return Err(crate::service::refuse(
            Cause::WrongState,
            "refusal.lot_terminated",
            vec![
                ("lot", lot.number.to_string()),
                ("reason", reason.to_string()),
            ],
        ));
    }
    let text = match input.share.as_deref().map(str::trim) {
        None | Some("") => {
            return Err(Error::Validation(vec![crate::wire::fields::required(
                "share",
            )]))
        }
        Some(t) => t,
    };
    let commitments: Vec<&str> = shares.iter().map(|s| s.commitment.as_str()).collect();
    let checked = sealing::check_share(&lot.id, text, &commitments).map_err(share_problem)?;
    let Some(slot) = shares
        .iter()
        .find(|s| i32::from(checked.number) == s.number)
    else {
        return Err(share_problem(SealError::NoCommitment));
    };
    if slot.holder_id != user {
        return Err(Error::Forbidden(
            "this share is another holder's: each holder gives its own".into(),
        ));
    }
    if slot.given_at.is_some() {
        return Err(crate::service::refuse(
            Cause::WrongState,
            "refusal.share_given",
            vec![("number", slot.number.to_string())],
        ));
    }
    let sealed = keys
        .escrow_seal(&given_aad(&lot.id, slot.number), text.as_bytes())
        .map_err(Error::Internal)?;
    repo::give_share(conn, &lot.id, slot.number, &sealed, now)?;
    audit::record(
        conn,
        clock,
        Change::new(actor.audit_id(), "key_share.give", "lot", &lot.id).after(
            &serde_json::json!({"number": slot.number, "holder": user, "given_at": utc(now)}),
        ),
    )?;
    let given: Vec<KeyShare> = repo::shares_of_lot(conn, &lot.id)?
        .into_iter()
        .filter(|s| s.given.is_some())
        .collect();
    if given.len() >= key.threshold as usize {
        return open_lot(
            conn, clock, keys, store, actor, &lot, &project, &key, &given, now,
        );
    }
    Ok(Vec::new())
}

fn share_problem(e: SealError) -> Error {
    let code = match e {
        SealError::OtherLot => "problem.share_other_lot",
        SealError::ShareFormat => "problem.share_format",
        _ => "problem.share_unknown",
    };
    Error::Validation(vec![coded("share", code, vec![])])
}

/// One bid in the opening record.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OpenedBid {
    pub bid_id: String,
    /// Null when the envelope did not open.
    pub bidder: Option<String>,
    pub credit_code: Option<String>,
    pub price: Option<String>,
    pub receipt_sha256: String,
    /// server | bidder
    pub sealed_by: String,
    pub submitted_at: DateTime<Utc>,
    /// opened | excluded
    pub result: String,
    /// Why a bid was excluded (视为撤回, 电子招标投标办法 Art. 31).
    pub reason: Option<String>,
}

#[allow(clippy::too_many_arguments)]
fn open_lot(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    keys: &ServerKeys,
    store: &FileStore,
    actor: &Actor<'_>,
    lot: &Lot,
    project: &Project,
    key: &LotKey,
    given: &[KeyShare],
    now: NaiveDateTime,
) -> Result<Vec<String>> {
    let commitments: Vec<&str> = given.iter().map(|s| s.commitment.as_str()).collect();
    let mut checked = Vec::with_capacity(given.len());
    for s in given {
        let sealed = s.given.as_deref().unwrap_or_default();
        let text = keys
            .escrow_open(&given_aad(&lot.id, s.number), sealed)
            .map_err(Error::Internal)?;
        let text = std::str::from_utf8(&text)
            .map_err(|_| Error::Internal(anyhow::anyhow!("given share is not text")))?;
        checked.push(
            sealing::check_share(&lot.id, text, &commitments)
                .map_err(|e| Error::Internal(anyhow::anyhow!("given share: {e}")))?,
        );
    }
    let opening = sealing::rebuild(&lot.id, &key.public_key, key.threshold as usize, &checked)
        .map_err(|e| Error::Internal(anyhow::anyhow!("rebuilding lot {}: {e}", lot.id)))?;
    drop(checked);
    let sealed = repo::submitted_sealed_bids(conn, &lot.id)?;
    let mut opened: Vec<Bid> = Vec::with_capacity(sealed.len());
    let mut outcomes: Vec<(String, &'static str, Option<String>)> =
        Vec::with_capacity(sealed.len());
    let mut record: Vec<OpenedBid> = Vec::with_capacity(sealed.len());
    // (document id, clear location, stored bytes, sealed location)
    let mut documents: Vec<(String, String, i64, String)> = Vec::new();
    for s in &sealed {
        let outcome = if s.sealed_by == "bidder" {
            super::bids::open_bidder_sealed(conn, &opening, keys, project, lot, s)?
        } else {
            open_one(&opening, keys, lot, s)
        };
        // Its documents, opened into the clear and checked against the bid's hashes.
        let outcome = match outcome {
            Ok((bid, content)) if !content.documents.is_empty() => {
                match open_documents(conn, store, &opening, &s.id, &content)? {
                    Ok(list) => {
                        documents.extend(list);
                        Ok((bid, content))
                    }
                    Err(reason) => Err(reason),
                }
            }
            other => other,
        };
        let entry = match outcome {
            Ok((bid, content)) => {
                let entry = OpenedBid {
                    bid_id: s.id.clone(),
                    bidder: Some(content.bidder_name()),
                    credit_code: Some(content.supplier.credit_code.clone()),
                    price: Some(content.price.clone()),
                    receipt_sha256: s.receipt_sha256.clone(),
                    sealed_by: s.sealed_by.clone(),
                    submitted_at: utc(s.submitted_at),
                    result: "opened".into(),
                    reason: None,
                };
                outcomes.push((s.id.clone(), "opened", None));
                opened.push(bid);
                entry
            }
            Err(reason) => {
                outcomes.push((s.id.clone(), "excluded", Some(reason.clone())));
                OpenedBid {
                    bid_id: s.id.clone(),
                    bidder: None,
                    credit_code: None,
                    price: None,
                    receipt_sha256: s.receipt_sha256.clone(),
                    sealed_by: s.sealed_by.clone(),
                    submitted_at: utc(s.submitted_at),
                    result: "excluded".into(),
                    reason: Some(reason),
                }
            }
        };
        record.push(entry);
    }
    drop(opening);
    repo::insert_bids(conn, &opened)?;
    for (id, location, bytes, _) in &documents {
        repo::mark_document_opened(conn, id, location, *bytes)?;
    }
    repo::set_opened(conn, &outcomes)?;
    let holders: Vec<i32> = given.iter().map(|s| s.number).collect();
    let record = serde_json::json!({
        "lot_id": lot.id,
        "lot_number": lot.number,
        "project_id": project.id,
        "project_title": project.title,
        "opening_at": project.opening_at.map(utc),
        "opened_at": utc(now),
        "public_key": key.public_key,
        "threshold": key.threshold,
        "shares_given": holders,
        "bids": record,
    });
    let text = serde_json::to_string(&record).map_err(|e| Error::Internal(e.into()))?;
    let digest = sha256_hex(text.as_bytes());
    if repo::record_opening(conn, &lot.id, actor.audit_id(), &text, &digest, now)? != 1 {
        return Err(crate::service::refuse(
            Cause::WrongState,
            "refusal.lot_opened",
            vec![("lot", lot.number.to_string())],
        ));
    }
    audit::record(
        conn,
        clock,
        Change::new(actor.audit_id(), "lot.open", "lot", &lot.id).after(&record),
    )?;
    Ok(documents
        .into_iter()
        .map(|(_, _, _, sealed)| sealed)
        .collect())
}

/// Opens a bid's documents into the clear; the reason when one is missing or does not match
/// (the clear copies already written are then removed).
#[allow(clippy::type_complexity)]
fn open_documents(
    conn: &mut DbConnection,
    store: &FileStore,
    key: &sealing::OpeningKey,
    bid_id: &str,
    content: &BidContent,
) -> Result<std::result::Result<Vec<(String, String, i64, String)>, String>> {
    let rows = repo::documents_of_bid(conn, bid_id)?;
    let mut done: Vec<(String, String, i64, String)> = Vec::new();
    for reference in &content.documents {
        let Some(row) = rows.iter().find(|r| r.id == reference.id && r.sealed) else {
            for (_, location, _, _) in &done {
                store.remove(location);
            }
            return Ok(Err(format!("document {} is missing", reference.filename)));
        };
        match super::documents::open_document(store, key, row, reference)? {
            Ok((location, bytes)) => {
                done.push((row.id.clone(), location, bytes, row.location.clone()))
            }
            Err(reason) => {
                for (_, location, _, _) in &done {
                    store.remove(location);
                }
                return Ok(Err(reason));
            }
        }
    }
    Ok(Ok(done))
}

/// Opens one sealed bid and checks it: its receipt, that it is this bid of this lot by the
/// bidder who sent it. The reason when it does not hold.
fn open_one(
    key: &sealing::OpeningKey,
    keys: &ServerKeys,
    lot: &Lot,
    s: &SealedBid,
) -> std::result::Result<(Bid, BidContent), String> {
    let plain = key
        .open(&super::bids::envelope_aad(&s.id), &s.envelope)
        .map_err(|_| "the envelope could not be decrypted (视为撤回)".to_string())?;
    if sha256_hex(&plain) != s.receipt_sha256 {
        return Err("the opened bid does not match its receipt".into());
    }
    let text = std::str::from_utf8(&plain).map_err(|_| "the opened bid is not text".to_string())?;
    let content: BidContent =
        serde_json::from_str(text).map_err(|e| format!("the opened bid is not a bid: {e}"))?;
    if content.bid_id != s.id || content.lot_id != lot.id {
        return Err("the opened bid names another bid or lot".into());
    }
    if keys.bidder_tag(&content.supplier.enterprise_id) != s.bidder_tag {
        return Err("the opened bid names another bidder than the one who submitted it".into());
    }
    let price = Fen::parse_yuan(&content.price)
        .map_err(|_| "the opened bid's price is not an amount".to_string())?;
    if price.0 <= 0 {
        return Err("the opened bid's price is not positive".into());
    }
    let bid = Bid {
        id: s.id.clone(),
        lot_id: lot.id.clone(),
        project_id: lot.project_id.clone(),
        supplier_id: content.supplier.enterprise_id.clone(),
        state: BidState::Submitted,
        price_fen: price.0,
        content: text.to_string(),
        receipt_sha256: s.receipt_sha256.clone(),
        submitted_at: s.submitted_at,
        closed_at: None,
        qualified: None,
        qualification_reason: None,
    };
    Ok((bid, content))
}

/// Why a lot that cannot be opened fails.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FailInput {
    /// Why fewer than k holders can give their shares (lost, refused, unreachable): shown in
    /// the opening record and the result notice. 1–500 characters.
    #[schema(required = true, nullable = false)]
    pub reason: Option<String>,
}

/// The agency gives up on opening a lot past its opening time with fewer than k shares given
/// (shares lost, a holder gone): the lot fails with the reason, every sealed bid of it is
/// treated as withdrawn (视为撤回, 电子招标投标办法 Art. 31) without being decrypted, the
/// escrowed and given shares are erased so that nobody can open it later, and the opening
/// record says so. The result notice then names the failure; the lot can be procured again
/// (issue 16).
#[tracing::instrument(skip_all)]
pub fn fail_unopened(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    store: &FileStore,
    actor: &Actor<'_>,
    lot_id: &str,
    input: &FailInput,
) -> Result<OpeningView> {
    let now = clock.now_naive();
    let reason = input
        .reason
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_string();
    if reason.is_empty() {
        return Err(Error::Validation(vec![crate::wire::fields::required(
            "reason",
        )]));
    }
    if reason.chars().count() > 500 {
        return Err(Error::Validation(vec![coded(
            "reason",
            "problem.too_long",
            vec![("max", "500".into())],
        )]));
    }
    let (view, sealed_documents) = crate::db::write(conn, |conn| {
        let (lot, project) = find_lot(conn, lot_id)?;
        let project = visible_project(conn, actor, &project.id)?;
        require_manager(actor, &project)?;
        let phase = super::phase(&project, now);
        if phase < super::Phase::Opened {
            return Err(super::wrong_phase("refusal.fail_before_opening", phase));
        }
        let key = repo::find_lot_key(conn, &lot.id)?.ok_or_else(|| {
            crate::service::refuse(
                Cause::WrongState,
                "refusal.lot_without_key",
                vec![("lot", lot.number.to_string())],
            )
        })?;
        if key.opened_at.is_some() {
            return Err(crate::service::refuse(
                Cause::WrongState,
                "refusal.lot_opened",
                vec![("lot", lot.number.to_string())],
            ));
        }
        let shares = repo::shares_of_lot(conn, &lot.id)?;
        let given: Vec<i32> = shares
            .iter()
            .filter(|s| s.given_at.is_some())
            .map(|s| s.number)
            .collect();
        let why = format!(
            "the lot could not be opened ({} of the {} key shares needed were given: {reason}); the bid is treated as withdrawn (视为撤回)",
            given.len(),
            key.threshold
        );
        let sealed = repo::submitted_sealed_bids(conn, &lot.id)?;
        let mut documents = Vec::new();
        for s in &sealed {
            documents.extend(
                repo::documents_of_bid(conn, &s.id)?
                    .into_iter()
                    .filter(|d| d.sealed)
                    .map(|d| d.location),
            );
        }
        let outcomes: Vec<(String, &'static str, Option<String>)> = sealed
            .iter()
            .map(|s| (s.id.clone(), "excluded", Some(why.clone())))
            .collect();
        repo::set_opened(conn, &outcomes)?;
        let bids: Vec<OpenedBid> = sealed
            .iter()
            .map(|s| OpenedBid {
                bid_id: s.id.clone(),
                bidder: None,
                credit_code: None,
                price: None,
                receipt_sha256: s.receipt_sha256.clone(),
                sealed_by: s.sealed_by.clone(),
                submitted_at: utc(s.submitted_at),
                result: "excluded".into(),
                reason: Some(why.clone()),
            })
            .collect();
        let record = serde_json::json!({
            "lot_id": lot.id,
            "lot_number": lot.number,
            "project_id": project.id,
            "project_title": project.title,
            "opening_at": project.opening_at.map(utc),
            "opened_at": utc(now),
            "outcome": "failed",
            "failure_reason": format!("the lot could not be opened: {reason}"),
            "public_key": key.public_key,
            "threshold": key.threshold,
            "shares_given": given,
            "bids": bids,
        });
        let text = serde_json::to_string(&record).map_err(|e| Error::Internal(e.into()))?;
        let digest = sha256_hex(text.as_bytes());
        // Also erases every escrowed and given share: the lot stays sealed for good.
        if repo::record_opening(conn, &lot.id, actor.audit_id(), &text, &digest, now)? != 1 {
            return Err(crate::service::refuse(
                Cause::WrongState,
                "refusal.lot_opened",
                vec![("lot", lot.number.to_string())],
            ));
        }
        repo::set_lot_state(conn, &lot.id, crate::domain::lifecycle::LotState::Failed)?;
        let mut changes =
            vec![Change::new(actor.audit_id(), "lot.fail_unopened", "lot", &lot.id).after(&record)];
        // The last lot decided: the project is evaluated, as after an evaluation run.
        let open =
            repo::count_lots_in_state(conn, &project.id, crate::domain::lifecycle::LotState::Open)?;
        if open == 0 && project.state == ProjectState::Published {
            repo::set_project_state(conn, &project.id, ProjectState::Evaluated, now)?;
            let after = super::find_project(conn, &project.id)?;
            changes.push(
                Change::new(
                    actor.audit_id(),
                    "project.evaluated",
                    "project",
                    &project.id,
                )
                .before(&project)
                .after(&after),
            );
        }
        audit::append(conn, clock, &changes)?;
        let key = repo::find_lot_key(conn, &lot.id)?
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("lot key gone")))?;
        Ok::<_, Error>((opening_view(conn, &lot, &project, &key, true)?, documents))
    })?;
    crate::service::sealing::ahead::forget(lot_id);
    // Never to be opened: the sealed documents go once the failure is committed.
    for location in sealed_documents {
        store.remove(&location);
    }
    Ok(view)
}
