//! Sealed bids (投标): submitted, replaced or withdrawn until the bid deadline; unreadable by
//! anyone — the agency, admins and auditors included — until the opening time. The supplier gets
//! a receipt: the SHA-256 of the canonical bid, which carries the server's time.

use super::{find_lot, require_manager, utc, wrong_phase, Phase};
use crate::clock::Clock;
use crate::db::enterprises::{self as enterprise_repo, Enterprise};
use crate::db::procurement::{self as repo, Bid, Lot, Project, Score};
use crate::db::{self, DbConnection};
use crate::domain::evaluation::{self, Bidder, Firm, Participant};
use crate::domain::policy;
use crate::domain::{Fen, Hundredths, RegionCode, Scale};
use crate::error::{Error, Result};
use crate::service::audit::{self, Change};
use crate::service::Actor;
use crate::wire::FieldProblem;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

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

fn receipt(b: &Bid, canonical: bool) -> Receipt {
    Receipt {
        bid_id: b.id.clone(),
        lot_id: b.lot_id.clone(),
        state: b.state.clone(),
        sha256: b.receipt_sha256.clone(),
        received_at: utc(b.submitted_at),
        canonical: canonical.then(|| b.content.clone()),
    }
}

/// The day a declaration letter must cover: the Beijing calendar day of `now`.
fn beijing_day(now: NaiveDateTime) -> NaiveDate {
    crate::domain::beijing::day_of(now)
}

fn snapshot(conn: &mut DbConnection, e: &Enterprise, day: NaiveDate) -> Result<FirmSnapshot> {
    let letter = enterprise_repo::declaration_on(conn, &e.id, day)?;
    Ok(FirmSnapshot {
        enterprise_id: e.id.clone(),
        credit_code: e.credit_code.clone(),
        name: e.name.clone(),
        region: e.region.clone(),
        scale: letter
            .as_ref()
            .map_or_else(|| e.scale.clone(), |d| d.declared_scale.clone()),
        scale_source: if letter.is_some() {
            "declaration"
        } else {
            "registry"
        }
        .into(),
        declaration_id: letter.as_ref().map(|d| d.id.clone()),
        declared_on: letter.map(|d| d.declared_on),
    })
}

/// Resolves a list of parties; shares each in (0, 100].
fn parties(
    conn: &mut DbConnection,
    list: &[PartyInput],
    field: &str,
    day: NaiveDate,
    problems: &mut Vec<FieldProblem>,
) -> Result<Vec<PartySnapshot>> {
    let mut out = Vec::new();
    for (i, p) in list.iter().enumerate() {
        let at = |f: &str| format!("{field}[{i}].{f}");
        let share = match p.share_pct {
            None => {
                problems.push(FieldProblem::new(at("share_pct"), "is required"));
                None
            }
            Some(s) if s <= Hundredths::ZERO || s > Hundredths::whole(100) => {
                problems.push(FieldProblem::new(
                    at("share_pct"),
                    format!("{} is outside (0, 100]", s.short()),
                ));
                None
            }
            Some(s) => Some(s),
        };
        let firm = match p.credit_code.as_deref().map(str::trim) {
            None | Some("") => {
                problems.push(FieldProblem::new(at("credit_code"), "is required"));
                None
            }
            Some(code) => match enterprise_repo::find_by_credit_code(conn, code)? {
                Some(e) => Some(snapshot(conn, &e, day)?),
                None => {
                    problems.push(FieldProblem::new(
                        at("credit_code"),
                        format!("{code} is not a registered enterprise"),
                    ));
                    None
                }
            },
        };
        if let Some(firm) = &firm {
            if out
                .iter()
                .any(|o: &PartySnapshot| o.firm.enterprise_id == firm.enterprise_id)
            {
                problems.push(FieldProblem::new(
                    at("credit_code"),
                    format!("{} is listed twice", firm.credit_code),
                ));
                continue;
            }
        }
        if let (Some(firm), Some(share_pct)) = (firm, share) {
            out.push(PartySnapshot { firm, share_pct });
        }
    }
    Ok(out)
}

/// Checks a bid and builds its canonical content; refuses what the lot cannot take.
#[allow(clippy::too_many_arguments)]
fn check(
    conn: &mut DbConnection,
    project: &Project,
    lot: &Lot,
    supplier: &Enterprise,
    input: &BidInput,
    bid_id: &str,
    replaces: Option<String>,
    now: NaiveDateTime,
) -> Result<(BidContent, Fen)> {
    let day = beijing_day(now);
    let mut problems = Vec::new();
    let price = super::projects::money(&input.price, "price", &mut problems);
    let supplier_snap = snapshot(conn, supplier, day)?;
    let consortium = match input.consortium.as_deref() {
        None => None,
        Some(list) if list.len() < 2 => {
            problems.push(FieldProblem::new(
                "consortium",
                "needs at least two members; leave it out to bid alone",
            ));
            None
        }
        Some(list) => {
            let members = parties(conn, list, "consortium", day, &mut problems)?;
            if members.len() == list.len() {
                let total: Hundredths = members.iter().map(|m| m.share_pct).sum();
                if total != Hundredths::whole(100) {
                    problems.push(FieldProblem::new(
                        "consortium",
                        format!("members' share_pct add up to {}, not 100", total.short()),
                    ));
                }
                if !members.iter().any(|m| m.firm.enterprise_id == supplier.id) {
                    problems.push(FieldProblem::new(
                        "consortium",
                        format!(
                            "does not list the submitting enterprise {}",
                            supplier.credit_code
                        ),
                    ));
                }
            }
            if input.related_parties.is_none() {
                problems.push(FieldProblem::new(
                    "related_parties",
                    "is required for a consortium: declare whether members are related (关联关系)",
                ));
            }
            Some(members)
        }
    };
    let subcontracts = match input.subcontracts.as_deref() {
        None => Vec::new(),
        Some(list) => {
            let subs = parties(conn, list, "subcontracts", day, &mut problems)?;
            let total: Hundredths = subs.iter().map(|s| s.share_pct).sum();
            if total >= Hundredths::whole(100) {
                problems.push(FieldProblem::new(
                    "subcontracts",
                    format!(
                        "share_pct add up to {}: the winner must keep part of the work",
                        total.short()
                    ),
                ));
            }
            // POLICY.md §5: small/micro primes may not subcontract to medium or large firms,
            // medium primes not to large ones. The prime is the bidder, or the consortium's
            // largest member.
            let prime = match &consortium {
                None => scale_of(&supplier_snap.scale),
                Some(m) => m
                    .iter()
                    .map(|p| scale_of(&p.firm.scale))
                    .max()
                    .unwrap_or(Scale::Large),
            };
            for (i, s) in subs.iter().enumerate() {
                let sub_scale = scale_of(&s.firm.scale);
                let refused = match prime {
                    Scale::Micro | Scale::Small => sub_scale >= Scale::Medium,
                    Scale::Medium => sub_scale == Scale::Large,
                    Scale::Large => false,
                };
                if refused {
                    problems.push(FieldProblem::new(
                        format!("subcontracts[{i}].credit_code"),
                        format!(
                            "a {} bidder may not subcontract to a {} enterprise ({}): small and micro firms subcontract only to small and micro firms, medium firms not to large ones",
                            prime.as_str(), sub_scale.as_str(), s.firm.name
                        ),
                    ));
                }
                let bidder_member = s.firm.enterprise_id == supplier.id
                    || consortium.as_ref().is_some_and(|m| {
                        m.iter()
                            .any(|m| m.firm.enterprise_id == s.firm.enterprise_id)
                    });
                if bidder_member {
                    problems.push(FieldProblem::new(
                        format!("subcontracts[{i}].credit_code"),
                        "is the bidder itself (or a consortium member)",
                    ));
                }
            }
            subs
        }
    };
    let mut makers: Vec<FirmSnapshot> = Vec::new();
    match (
        input.goods_manufacturers.as_deref(),
        project.category.as_str(),
    ) {
        (None, _) | (Some([]), _) => {}
        (Some(_), "goods") => {
            for (i, m) in input.goods_manufacturers.iter().flatten().enumerate() {
                let at = format!("goods_manufacturers[{i}]");
                let enterprise = match (m.credit_code.as_deref(), m.product_id) {
                    (Some(code), None) => enterprise_repo::find_by_credit_code(conn, code.trim())?
                        .ok_or_else(|| format!("{code} is not a registered enterprise")),
                    (None, Some(pid)) => match crate::db::products::find(conn, pid)? {
                        None => Err(format!("no catalogue product {pid}")),
                        Some(p) => match p.manufacturer_id {
                            None => Err(format!("product {pid} has no manufacturer recorded")),
                            Some(mid) => {
                                enterprise_repo::find_by_id(conn, &mid)?.ok_or_else(|| {
                                    format!("product {pid}'s manufacturer is not registered")
                                })
                            }
                        },
                    },
                    _ => Err("give exactly one of credit_code and product_id".to_string()),
                };
                match enterprise {
                    Ok(e) => {
                        if !makers.iter().any(|x| x.enterprise_id == e.id) {
                            makers.push(snapshot(conn, &e, day)?);
                        }
                    }
                    Err(msg) => problems.push(FieldProblem::new(at, msg)),
                }
            }
        }
        (Some(_), _) => problems.push(FieldProblem::new(
            "goods_manufacturers",
            format!(
                "applies only to goods; this project buys {}",
                project.category
            ),
        )),
    }
    let Some(price) = price.filter(|_| problems.is_empty()) else {
        return Err(Error::Validation(problems));
    };
    let content = BidContent {
        bid_id: bid_id.to_string(),
        lot_id: lot.id.clone(),
        project_id: project.id.clone(),
        supplier: supplier_snap,
        price: price.to_string(),
        consortium,
        related_parties: input.related_parties.unwrap_or(false),
        subcontracts,
        goods_manufacturers: makers,
        submitted_at: utc(now),
        replaces,
    };
    // The bidder itself must be an SME (alone, or as a consortium the rules count as one). The
    // goods' makers are judged by the evaluation (step 1), which excludes such a bid with its
    // reason and may then let the lot be re-run without the reservation.
    if lot.reserved {
        let profile = policy::profile(&project.policy_id).ok_or_else(|| {
            Error::Internal(anyhow::anyhow!("profile {} missing", project.policy_id))
        })?;
        let engine_bid = evaluation::Bid {
            id: bid_id.into(),
            price,
            bidder: content.engine_bidder(),
            subcontracts: Box::new([]),
            manufacturers: Box::new([]),
            technical: Box::new([]),
            commercial: Box::new([]),
            qualified: true,
        };
        let (scale, _, _) = evaluation::effective_scale(
            profile,
            super::projects::category_of(project),
            &engine_bid,
        );
        if !scale.is_sme() {
            let field = if content.consortium.is_some() {
                "consortium"
            } else {
                "bidder"
            };
            let why = match &content.consortium {
                None => format!(
                    "{} is a {} enterprise ({})",
                    content.supplier.name, content.supplier.scale, content.supplier.scale_source
                ),
                Some(_) => {
                    "the consortium counts as large (a large member the rules do not excuse)"
                        .to_string()
                }
            };
            return Err(Error::Validation(vec![FieldProblem::new(
                field,
                format!("lot {} is reserved for SMEs (专门面向中小企业) and this bid is not an SME bid: {why}", lot.number),
            )]));
        }
    }
    Ok((content, price))
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

fn open_for_bids(project: &Project, now: NaiveDateTime) -> Result<()> {
    let phase = Phase::of(project, now);
    if phase == Phase::Published {
        return Ok(());
    }
    let when = project
        .bid_deadline
        .map(|d| format!(" (deadline {})", utc(d).to_rfc3339()))
        .unwrap_or_default();
    Err(wrong_phase(
        "accept, replace or withdraw a bid",
        phase,
        &format!("a published project before its bid deadline{when}"),
    ))
}

fn insert_bid(
    conn: &mut DbConnection,
    lot: &Lot,
    supplier: &Enterprise,
    content: &BidContent,
    price: Fen,
    now: NaiveDateTime,
) -> Result<Bid> {
    let text = canonical(content)?;
    let bid = Bid {
        id: content.bid_id.clone(),
        lot_id: lot.id.clone(),
        project_id: lot.project_id.clone(),
        supplier_id: supplier.id.clone(),
        state: "submitted".into(),
        price_fen: price.0,
        receipt_sha256: super::sha256_hex(text.as_bytes()),
        content: text,
        submitted_at: now,
        closed_at: None,
        qualified: None,
        qualification_reason: None,
    };
    repo::insert_bid(conn, &bid)
        .map_err(|e| match Error::from(e) {
            Error::Conflict(_) => Error::Conflict(
                "your enterprise already has a bid on this lot: replace it (PUT /api/v1/bids/{id}) or withdraw it".into(),
            ),
            other => other,
        })?;
    Ok(bid)
}

/// Submits a sealed bid to a lot.
pub fn submit(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    lot_id: &str,
    input: &BidInput,
) -> Result<Receipt> {
    let now = clock.now_naive();
    let bid = crate::db::write(conn, |conn| {
        let supplier = supplier_of(conn, actor)?;
        let (lot, project) = find_lot(conn, lot_id)?;
        if project.state == "draft" {
            return Err(Error::NotFound(format!("no lot with id {lot_id}")));
        }
        open_for_bids(&project, now)?;
        let id = db::new_id();
        let (content, price) = check(conn, &project, &lot, &supplier, input, &id, None, now)?;
        let bid = insert_bid(conn, &lot, &supplier, &content, price, now)?;
        audit::record(
            conn,
            clock,
            Change::new(actor.audit_id(), "bid.submit", "bid", &bid.id).after(&sealed_view(&bid)),
        )?;
        Ok::<_, Error>(bid)
    })?;
    Ok(receipt(&bid, true))
}

/// What the audit log digests of a bid: never its price or content, which stay sealed until the
/// opening (a digest of a guessable price could be brute-forced).
fn sealed_view(b: &Bid) -> serde_json::Value {
    serde_json::json!({
        "id": b.id, "lot_id": b.lot_id, "supplier_id": b.supplier_id, "state": b.state,
        "submitted_at": utc(b.submitted_at), "closed_at": b.closed_at.map(utc),
    })
}

/// The caller's own bid, or 404 (another supplier's bid is not acknowledged to exist).
fn own_bid(
    conn: &mut DbConnection,
    actor: &Actor<'_>,
    id: &str,
) -> Result<(Bid, Lot, Project, Enterprise)> {
    let supplier = supplier_of(conn, actor)?;
    let bid = repo::find_bid(conn, id)?
        .filter(|b| b.supplier_id == supplier.id)
        .ok_or_else(|| Error::NotFound(format!("no bid of yours with id {id}")))?;
    let (lot, project) = find_lot(conn, &bid.lot_id)?;
    Ok((bid, lot, project, supplier))
}

/// Refuses a caller whose bid this is not (404: another's bid is not acknowledged to exist).
pub fn may_change(conn: &mut DbConnection, actor: &Actor<'_>, id: &str) -> Result<()> {
    own_bid(conn, actor, id).map(|_| ())
}

/// A supplier's own bids, newest first, with their projects' titles (its profile page).
pub fn of_supplier(
    conn: &mut DbConnection,
    enterprise_id: &str,
    limit: i64,
) -> Result<Vec<(Bid, String)>> {
    Ok(repo::bids_of_supplier(conn, enterprise_id, limit)?)
}

/// One evaluator's sheet: the qualification review and the scores, saved together or not at all.
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
pub fn replace(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
    input: &BidInput,
) -> Result<Receipt> {
    let now = clock.now_naive();
    let bid = crate::db::write(conn, |conn| {
        let (old, lot, project, supplier) = own_bid(conn, actor, id)?;
        open_for_bids(&project, now)?;
        if old.state != "submitted" {
            return Err(Error::Conflict(format!(
                "bid {id} is {}; only a submitted bid can be replaced",
                old.state
            )));
        }
        let new_id = db::new_id();
        let (content, price) = check(
            conn,
            &project,
            &lot,
            &supplier,
            input,
            &new_id,
            Some(old.id.clone()),
            now,
        )?;
        close(conn, &old.id, "replaced", now)?;
        let closed = repo::find_bid(conn, &old.id)?.ok_or_else(|| Error::NotFound("bid".into()))?;
        let bid = insert_bid(conn, &lot, &supplier, &content, price, now)?;
        audit::append(
            conn,
            clock,
            &[
                Change::new(actor.audit_id(), "bid.replace", "bid", &old.id)
                    .before(&sealed_view(&old))
                    .after(&sealed_view(&closed)),
                Change::new(actor.audit_id(), "bid.submit", "bid", &bid.id)
                    .after(&sealed_view(&bid)),
            ],
        )?;
        Ok::<_, Error>(bid)
    })?;
    Ok(receipt(&bid, true))
}

fn close(conn: &mut DbConnection, id: &str, state: &str, now: NaiveDateTime) -> Result<()> {
    let n = repo::close_bid(conn, id, state, now)?;
    if n == 1 {
        Ok(())
    } else {
        Err(Error::Conflict(format!("bid {id} is no longer submitted")))
    }
}

/// Withdraws a submitted bid before the deadline.
pub fn withdraw(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
) -> Result<Receipt> {
    let now = clock.now_naive();
    let bid = crate::db::write(conn, |conn| {
        let (old, _, project, _) = own_bid(conn, actor, id)?;
        open_for_bids(&project, now)?;
        close(conn, &old.id, "withdrawn", now)?;
        let bid =
            repo::find_bid(conn, id)?.ok_or_else(|| Error::NotFound(format!("no bid {id}")))?;
        audit::record(
            conn,
            clock,
            Change::new(actor.audit_id(), "bid.withdraw", "bid", id)
                .before(&sealed_view(&old))
                .after(&sealed_view(&bid)),
        )?;
        Ok::<_, Error>(bid)
    })?;
    Ok(receipt(&bid, false))
}

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
        state: b.state,
        receipt_sha256: b.receipt_sha256,
        qualified: b.qualified,
        qualification_reason: b.qualification_reason,
    })
}

fn sealed(project: &Project) -> Error {
    let when = project
        .opening_at
        .map(|t| format!(" until the opening at {}", utc(t).to_rfc3339()))
        .unwrap_or_default();
    Error::Conflict(format!(
        "bids are sealed{when}: nobody can read them before"
    ))
}

/// One bid: the owner sees its receipt (and, after opening, the bid); the project's staff see
/// it after opening. Before the opening nobody sees a price or any content.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum BidOrReceipt {
    Bid(Box<BidView>),
    Receipt(Receipt),
}

pub fn show(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
) -> Result<BidOrReceipt> {
    let now = clock.now_naive();
    let not_found = || Error::NotFound(format!("no bid with id {id}"));
    let bid = repo::find_bid(conn, id)?.ok_or_else(not_found)?;
    let (_, project) = find_lot(conn, &bid.lot_id)?;
    let opened = Phase::of(&project, now).is_opened();
    let owner =
        matches!(actor, Actor::Supplier { enterprise_id, .. } if *enterprise_id == bid.supplier_id);
    if owner && !opened {
        return Ok(BidOrReceipt::Receipt(receipt(&bid, false)));
    }
    if !owner && !actor.is_staff_of(&project) {
        return Err(not_found());
    }
    if !opened {
        return Err(sealed(&project));
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

pub fn of_lot(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    lot_id: &str,
) -> Result<LotBids> {
    let now = clock.now_naive();
    let (lot, project) = find_lot(conn, lot_id)?;
    if !actor.is_staff_of(&project) {
        return Err(Error::Forbidden(
            "only the project's agency, admins and auditors list its bids".into(),
        ));
    }
    let opened = Phase::of(&project, now).is_opened();
    let list = repo::submitted_bids(conn, &lot.id)?;
    let count = super::projects::may_count_bids(actor, &project, now).then_some(list.len());
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

/// Checks that the lot's bids may be reviewed now: opened, lot not yet awarded.
pub(crate) fn reviewable(
    actor: &Actor<'_>,
    lot: &Lot,
    project: &Project,
    now: NaiveDateTime,
) -> Result<()> {
    require_manager(actor, project)?;
    let phase = Phase::of(project, now);
    if !phase.is_opened() {
        return Err(sealed(project));
    }
    if matches!(phase, Phase::Awarded | Phase::Failed | Phase::Contracted)
        || matches!(lot.state.as_str(), "awarded" | "contracted")
    {
        return Err(Error::Conflict(format!(
            "lot {} is decided ({}); its review can no longer change",
            lot.number, lot.state
        )));
    }
    Ok(())
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QualificationInput {
    #[schema(required = true, nullable = false, min_items = 1)]
    pub results: Option<Vec<QualificationResult>>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QualificationResult {
    #[schema(required = true, nullable = false)]
    pub bid_id: Option<String>,
    /// Passed the qualification and compliance review (资格性、符合性审查).
    #[schema(required = true, nullable = false)]
    pub qualified: Option<bool>,
    /// Required when not qualified.
    pub reason: Option<String>,
}

/// Records the qualification review of some or all bids of a lot.
pub fn qualify(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    lot_id: &str,
    input: &QualificationInput,
) -> Result<LotBids> {
    let now = clock.now_naive();
    crate::db::write(conn, |conn| {
        qualify_in(conn, clock, actor, lot_id, input, now)
    })?;
    of_lot(conn, clock, actor, lot_id)
}

fn qualify_in(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    lot_id: &str,
    input: &QualificationInput,
    now: NaiveDateTime,
) -> Result<()> {
    let (lot, project) = find_lot(conn, lot_id)?;
    reviewable(actor, &lot, &project, now)?;
    let submitted: HashSet<String> = repo::submitted_bids(conn, &lot.id)?
        .into_iter()
        .map(|b| b.id)
        .collect();
    let mut problems = Vec::new();
    let mut updates: Vec<(String, bool, Option<String>)> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    match input.results.as_deref() {
        None | Some([]) => problems.push(FieldProblem::new(
            "results",
            "is required: one entry per bid reviewed",
        )),
        Some(list) => {
            for (i, r) in list.iter().enumerate() {
                let at = |f: &str| format!("results[{i}].{f}");
                let bid = bid_ref(
                    r.bid_id.as_deref(),
                    at("bid_id"),
                    &submitted,
                    &mut seen,
                    &mut problems,
                );
                let reason = r
                    .reason
                    .as_deref()
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_string);
                match r.qualified {
                    None => problems.push(FieldProblem::new(
                        at("qualified"),
                        "is required: true or false",
                    )),
                    Some(false) if reason.is_none() => problems.push(FieldProblem::new(
                        at("reason"),
                        "is required when a bid does not qualify",
                    )),
                    Some(q) => {
                        if let Some(b) = bid {
                            updates.push((b, q, reason));
                        }
                    }
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(Error::Validation(problems));
    }
    repo::set_qualification(conn, &updates)?;
    let changes: Vec<Change<'_>> = updates
        .iter()
        .map(|(id, q, reason)| {
            Change::new(actor.audit_id(), "bid.qualify", "bid", id)
                .after(&serde_json::json!({"qualified": q, "reason": reason}))
        })
        .collect();
    audit::append(conn, clock, &changes)
}

/// A bid named in a review or score sheet: required, listed once, a submitted bid of the lot.
fn bid_ref(
    id: Option<&str>,
    field: String,
    submitted: &HashSet<String>,
    seen: &mut HashSet<String>,
    problems: &mut Vec<FieldProblem>,
) -> Option<String> {
    let problem = match id {
        None => "is required".to_string(),
        Some(id) if !seen.insert(id.to_string()) => "is listed twice".to_string(),
        Some(id) if submitted.contains(id) => return Some(id.to_string()),
        Some(id) => format!("{id} is not a submitted bid of this lot"),
    };
    problems.push(FieldProblem::new(field, problem));
    None
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoresInput {
    /// The evaluator (评审专家), e.g. "专家A".
    #[schema(required = true, nullable = false, max_length = 100)]
    pub evaluator: Option<String>,
    #[schema(required = true, nullable = false, min_items = 1)]
    pub scores: Option<Vec<ScoreInput>>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreInput {
    #[schema(required = true, nullable = false)]
    pub bid_id: Option<String>,
    /// 0 – the technical weight.
    #[schema(value_type = Option<f64>, required = true, nullable = false)]
    pub technical: Option<Hundredths>,
    /// 0 – the commercial weight.
    #[schema(value_type = Option<f64>, required = true, nullable = false)]
    pub commercial: Option<Hundredths>,
}

/// Records (or corrects) one evaluator's technical and commercial scores for bids of a lot.
pub fn enter_scores(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    lot_id: &str,
    input: &ScoresInput,
) -> Result<LotBids> {
    let now = clock.now_naive();
    crate::db::write(conn, |conn| {
        enter_scores_in(conn, clock, actor, lot_id, input, now)
    })?;
    of_lot(conn, clock, actor, lot_id)
}

fn enter_scores_in(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    lot_id: &str,
    input: &ScoresInput,
    now: NaiveDateTime,
) -> Result<()> {
    let (lot, project) = find_lot(conn, lot_id)?;
    reviewable(actor, &lot, &project, now)?;
    let terms = super::projects::terms_of(&project)?;
    let Some(weights) = terms
        .weights
        .filter(|_| project.evaluation_method == "comprehensive")
    else {
        return Err(Error::Conflict(
            "this lot is evaluated by lowest price: it takes no scores".into(),
        ));
    };
    let submitted: HashSet<String> = repo::submitted_bids(conn, &lot.id)?
        .into_iter()
        .map(|b| b.id)
        .collect();
    let mut seen: HashSet<String> = HashSet::new();
    let mut problems = Vec::new();
    let evaluator = match input.evaluator.as_deref().map(str::trim) {
        None | Some("") => {
            problems.push(FieldProblem::new("evaluator", "is required"));
            None
        }
        Some(e) if e.chars().count() > 100 => {
            problems.push(FieldProblem::new(
                "evaluator",
                "is longer than 100 characters",
            ));
            None
        }
        Some(e) => Some(e.to_string()),
    };
    let mut rows: Vec<Score> = Vec::new();
    match input.scores.as_deref() {
        None | Some([]) => problems.push(FieldProblem::new(
            "scores",
            "is required: one entry per bid",
        )),
        Some(list) => {
            for (i, s) in list.iter().enumerate() {
                let at = |f: &str| format!("scores[{i}].{f}");
                let bid = bid_ref(
                    s.bid_id.as_deref(),
                    at("bid_id"),
                    &submitted,
                    &mut seen,
                    &mut problems,
                );
                let mut value = |name: &str,
                                 v: Option<Hundredths>,
                                 max: Option<Hundredths>|
                 -> Option<Hundredths> {
                    let max = max.unwrap_or(Hundredths::ZERO);
                    match v {
                        None => {
                            problems.push(FieldProblem::new(at(name), "is required"));
                            None
                        }
                        Some(v) if v < Hundredths::ZERO || v > max => {
                            problems.push(FieldProblem::new(
                                at(name),
                                format!(
                                    "{} is outside 0–{}, the {name} weight",
                                    v.short(),
                                    max.short()
                                ),
                            ));
                            None
                        }
                        Some(v) => Some(v),
                    }
                };
                let technical = value("technical", s.technical, weights.technical);
                let commercial = value("commercial", s.commercial, weights.commercial);
                if let (Some(bid_id), Some(t), Some(c), Some(e)) =
                    (bid, technical, commercial, &evaluator)
                {
                    rows.push(Score {
                        bid_id,
                        evaluator: e.clone(),
                        technical: t.0,
                        commercial: c.0,
                        entered_by: actor.user_id().unwrap_or_default().to_string(),
                        entered_at: now,
                    });
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(Error::Validation(problems));
    }
    if actor.user_id().is_none() {
        return Err(Error::Forbidden(
            "scores are entered by a logged-in agency user".into(),
        ));
    }
    repo::replace_scores(conn, &rows)?;
    let ids: Vec<String> = rows
        .iter()
        .map(|r| format!("{}/{}", r.bid_id, r.evaluator))
        .collect();
    let changes: Vec<Change<'_>> = rows
        .iter()
        .zip(&ids)
        .map(|(r, id)| Change::new(actor.audit_id(), "score.enter", "score", id).after(r))
        .collect();
    audit::append(conn, clock, &changes)
}

/// Marks a lot's state (inside a transaction).
pub(crate) fn set_lot_state(conn: &mut DbConnection, lot_id: &str, state: &str) -> Result<()> {
    repo::set_lot_state(conn, lot_id, state)?;
    Ok(())
}
