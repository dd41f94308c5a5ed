//! Reading bids: sealed until the opening, then to the project's staff and the bidder itself.

use super::*;
use super::{find_lot, require_manager, utc, Phase};
use crate::clock::Clock;
use crate::db::procurement::{self as repo, Bid, Lot, Project, Score};
use crate::db::DbConnection;
use crate::domain::{Fen, Hundredths};
use crate::error::{Cause, Error, Result};
use crate::service::auth::keys::ServerKeys;
use crate::service::Actor;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

/// An opened bid, for those who may read it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BidView {
    pub id: String,
    pub lot_id: String,
    pub state: String,
    #[schema(value_type = String)]
    pub price: String,
    pub content: BidContent,
    pub receipt_sha256: String,
    pub submitted_at: DateTime<Utc>,
    /// Null until the qualification review.
    pub qualified: Option<bool>,
    pub qualification_reason: Option<String>,
    pub scores: Vec<ScoreView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScoreView {
    pub evaluator: String,
    #[schema(value_type = f64)]
    pub technical: Hundredths,
    #[schema(value_type = f64)]
    pub commercial: Hundredths,
}

pub fn content_of(b: &Bid) -> Result<BidContent> {
    serde_json::from_str(&b.content)
        .map_err(|e| Error::Internal(anyhow::anyhow!("bid {} content: {e}", b.id)))
}

/// A bid with its own scores (already picked out: a lot can hold 10 000 bids).
fn bid_view(b: Bid, scores: &[&Score]) -> Result<BidView> {
    Ok(BidView {
        content: content_of(&b)?,
        price: Fen(b.price_fen).to_string(),
        submitted_at: utc(b.submitted_at),
        scores: scores
            .iter()
            .map(|s| ScoreView {
                evaluator: s.evaluator.clone(),
                technical: Hundredths(s.technical),
                commercial: Hundredths(s.commercial),
            })
            .collect(),
        id: b.id,
        lot_id: b.lot_id,
        state: b.state.to_string(),
        receipt_sha256: b.receipt_sha256,
        qualified: b.qualified,
        qualification_reason: b.qualification_reason,
    })
}

fn sealed(project: &Project) -> Error {
    let params = crate::service::procurement::when_said(
        project.opening_at,
        " until the opening at {}",
        "，开标时间为 {}（北京时间）",
    );
    crate::service::refuse(Cause::BidsSealed, "refusal.sealed", params)
}

/// One bid: the owner sees its receipt (and, after opening, the bid); the project's staff see
/// it after opening. Before the opening nobody sees a price or any content.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum BidOrReceipt {
    Bid(Box<BidView>),
    Receipt(Receipt),
}

#[tracing::instrument(skip_all)]
pub fn show(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    keys: &ServerKeys,
    actor: &Actor<'_>,
    id: &str,
) -> Result<BidOrReceipt> {
    let now = clock.now_naive();
    let not_found = || Error::NotFound(format!("no bid with id {id}"));
    let stored = find_stored(conn, id)?.ok_or_else(not_found)?;
    let (lot, project) = find_lot(conn, stored.lot_id())?;
    let time_opened = crate::service::procurement::phase(&project, now).is_opened();
    let owner = matches!(actor, Actor::Supplier { enterprise_id, .. } if sent_by(keys, &stored, enterprise_id));
    let bid = match stored {
        Stored::Clear(bid) if time_opened => bid,
        other => {
            if owner {
                return Ok(BidOrReceipt::Receipt(receipt(&other)));
            }
            if !actor.is_staff_of(&project) {
                return Err(not_found());
            }
            // Past the opening time, a lot its holders have not opened yet.
            if let (true, Stored::Sealed(s)) = (time_opened, &other) {
                if s.state == BidState::Submitted {
                    if let Some(key) = repo::find_lot_key(conn, &lot.id)? {
                        return Err(crate::service::procurement::opening::not_opened(
                            conn, &lot, &key,
                        ));
                    }
                }
            }
            return Err(sealed(&project));
        }
    };
    if !owner && !actor.is_staff_of(&project) {
        return Err(not_found());
    }
    let scores = repo::scores_of_bid(conn, &bid.id)?;
    let scores: Vec<&Score> = scores.iter().collect();
    Ok(BidOrReceipt::Bid(Box::new(bid_view(bid, &scores)?)))
}

/// The bids of a lot for its project's staff: a count before the opening, the bids after.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LotBids {
    pub lot_id: String,
    pub sealed: bool,
    pub opening_at: Option<DateTime<Utc>>,
    /// Submitted bids. While sealed, only the project's agency learns the count (null for
    /// admins and auditors: nobody but the purchaser may know the number of bidders before the
    /// opening, POLICY.md §6).
    pub count: Option<usize>,
    /// Empty while sealed.
    pub bids: Vec<BidView>,
}

#[tracing::instrument(skip_all)]
pub fn of_lot(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    lot_id: &str,
) -> Result<LotBids> {
    let (lot, _) = find_lot(conn, lot_id)?;
    let unopened = repo::find_lot_key(conn, &lot.id)?.is_some_and(|k| k.opened_at.is_none());
    of_lot_keyed(conn, clock, actor, lot_id, unopened)
}

fn of_lot_keyed(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    lot_id: &str,
    unopened: bool,
) -> Result<LotBids> {
    let now = clock.now_naive();
    let (lot, project) = find_lot(conn, lot_id)?;
    if !actor.is_staff_of(&project) {
        return Err(Error::Forbidden(
            "only the project's agency, admins and auditors list its bids".into(),
        ));
    }
    let opened = crate::service::procurement::phase(&project, now).is_opened() && !unopened;
    let list = if unopened {
        Vec::new()
    } else {
        repo::submitted_bids(conn, &lot.id)?
    };
    let count = if crate::service::procurement::projects::may_count_bids(actor, &project, now) {
        Some(if unopened {
            repo::bid_counts(conn, &project.id)?
                .into_iter()
                .find(|(l, _)| *l == lot.id)
                .map_or(0, |(_, n)| n as usize)
        } else {
            list.len()
        })
    } else {
        None
    };
    let bids = if opened {
        let scores = repo::scores_of_lot(conn, &lot.id)?;
        let mut by_bid: std::collections::HashMap<&str, Vec<&Score>> =
            std::collections::HashMap::new();
        for s in &scores {
            by_bid.entry(s.bid_id.as_str()).or_default().push(s);
        }
        list.into_iter()
            .map(|b| {
                let own = by_bid.remove(b.id.as_str()).unwrap_or_default();
                bid_view(b, &own)
            })
            .collect::<Result<Vec<_>>>()?
    } else {
        Vec::new()
    };
    Ok(LotBids {
        lot_id: lot.id,
        sealed: !opened,
        opening_at: project.opening_at.map(utc),
        count,
        bids,
    })
}

/// Checks that the lot's bids may be reviewed now: opened (by its key holders, where it has a
/// key), lot not yet awarded.
pub(crate) fn reviewable(
    conn: &mut DbConnection,
    actor: &Actor<'_>,
    lot: &Lot,
    project: &Project,
    now: NaiveDateTime,
) -> Result<()> {
    require_manager(actor, project)?;
    let phase = crate::service::procurement::phase(project, now);
    if !phase.is_opened() {
        return Err(sealed(project));
    }
    crate::service::procurement::opening::require_opened(conn, lot)?;
    if matches!(phase, Phase::Awarded | Phase::Failed | Phase::Contracted) || lot.state.has_winner()
    {
        return Err(crate::service::refuse(
            Cause::WrongState,
            "refusal.lot_decided",
            crate::service::procurement::lot_said(lot),
        ));
    }
    // A complaint's suspension holds the review too.
    crate::service::procurement::holds::check_hold(
        conn,
        project,
        Some(lot),
        crate::service::procurement::holds::Step::Review,
        crate::domain::beijing::day_of(now),
    )
}

/// A document of an opened bid, for those who may read the bid (its staff, its supplier): the
/// stored row and the bid's reference to it. Before the opening: as [`show`] refuses.
#[tracing::instrument(skip_all)]
pub fn document(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    keys: &ServerKeys,
    actor: &Actor<'_>,
    bid_id: &str,
    document_id: &str,
) -> Result<(
    crate::db::procurement::DocumentRow,
    crate::service::procurement::documents::DocumentRef,
)> {
    let not_found = || Error::NotFound(format!("no document {document_id} of bid {bid_id}"));
    let view = match show(conn, clock, keys, actor, bid_id)? {
        BidOrReceipt::Bid(view) => view,
        BidOrReceipt::Receipt(_) => {
            let lot_id = find_stored(conn, bid_id)?
                .ok_or_else(not_found)?
                .lot_id()
                .to_string();
            let (_, project) = find_lot(conn, &lot_id)?;
            return Err(sealed(&project));
        }
    };
    let reference = view
        .content
        .documents
        .iter()
        .find(|d| d.id == document_id)
        .cloned()
        .ok_or_else(not_found)?;
    let row = repo::find_document(conn, document_id)?
        .filter(|r| r.bid_id == bid_id && !r.sealed)
        .ok_or_else(not_found)?;
    Ok((row, reference))
}
