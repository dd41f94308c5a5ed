//! Bids sealed by the bidder (the Chinese practice of an offline bid-preparation tool): the
//! supplier seals its bid to the lot's public key on its own machine (`smeproc bid seal`); the
//! server stores an envelope it cannot read and checks the bid at the opening, not on receipt.
//!
//! The sealed file is text, `smeproc-sealed-bid-1.<lot>.<hex>`: an HPKE envelope (the lot's
//! key, AAD `bidder-sealed <lot>`) of a JSON [`SealedBidFile`]. Its receipt is the SHA-256 of
//! the envelope's bytes.

use super::*;
use crate::domain::credit_code::CreditCode;
use crate::domain::digest::{hex, unhex};
use crate::wire::fields::coded;
use crate::wire::FieldProblem;

/// The prefix of a bidder-sealed file, with its format version.
pub const SEALED_BID_PREFIX: &str = "smeproc-sealed-bid-1";

/// What the bidder seals.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedBidFile {
    /// `smeproc-sealed-bid-1`.
    pub format: String,
    pub lot_id: String,
    /// The submitting enterprise's 统一社会信用代码: it must be the enterprise that submits.
    pub credit_code: String,
    /// The bid as `POST /api/v1/lots/{id}/bids` takes it (BidInput).
    pub bid: serde_json::Value,
    /// The documents sealed with it (each in its own sealed file): what they are and the
    /// SHA-256 of their plaintext, checked at the opening.
    #[serde(default)]
    pub documents: Vec<crate::service::procurement::documents::DocumentRef>,
}

/// The AAD of a bidder-sealed envelope: it opens only as a sealed bid of this lot.
pub fn bidder_aad(lot: &str) -> Vec<u8> {
    format!("bidder-sealed {lot}").into_bytes()
}

/// Why a bid could not be sealed locally.
#[derive(Debug, thiserror::Error)]
pub enum LocalSealError {
    #[error("{0}")]
    Input(String),
    #[error("{0:?}")]
    Problems(Vec<FieldProblem>),
}

/// The checks that need no registry, as `smeproc bid check` and `seal` run them: the shape of
/// the bid (unknown fields refused), the price, every party's credit code and share, the
/// consortium's size, total and the bidder among its members, the subcontracted total.
pub fn check_offline(
    bid: &serde_json::Value,
    credit_code: &str,
) -> std::result::Result<BidInput, LocalSealError> {
    let input: BidInput = serde_path_to_error::deserialize(bid.clone())
        .map_err(|e| LocalSealError::Input(format!("bid.{}: {}", e.path(), e.inner())))?;
    let mut problems = Vec::new();
    if let Err(e) = credit_code.trim().parse::<CreditCode>() {
        problems.push(crate::wire::fields::of("credit_code", &e));
    }
    crate::service::procurement::projects::money(&input.price, "price", &mut problems);
    let party_checks = |list: &[PartyInput], field: &str, problems: &mut Vec<FieldProblem>| {
        let mut total = Hundredths::ZERO;
        for (i, p) in list.iter().enumerate() {
            let at = |f: &str| format!("{field}[{i}].{f}");
            match p.credit_code.as_deref().map(str::trim) {
                None | Some("") => problems.push(crate::wire::fields::required(&at("credit_code"))),
                Some(code) => {
                    if let Err(e) = code.parse::<CreditCode>() {
                        problems.push(crate::wire::fields::of(at("credit_code"), &e));
                    }
                }
            }
            match p.share_pct {
                None => problems.push(crate::wire::fields::required(&at("share_pct"))),
                Some(s) if s <= Hundredths::ZERO || s > Hundredths::whole(100) => {
                    problems.push(coded(
                        at("share_pct"),
                        "problem.share_range",
                        vec![("value", s.short().to_string())],
                    ))
                }
                Some(s) => total = total + s,
            }
        }
        total
    };
    if let Some(list) = input.consortium.as_deref() {
        if list.len() < 2 {
            problems.push(coded("consortium", "problem.consortium_size", vec![]));
        } else {
            let total = party_checks(list, "consortium", &mut problems);
            if total != Hundredths::whole(100) {
                problems.push(coded(
                    "consortium",
                    "problem.consortium_shares",
                    vec![("total", total.short().to_string())],
                ));
            }
            if !list
                .iter()
                .any(|p| p.credit_code.as_deref().map(str::trim) == Some(credit_code.trim()))
            {
                problems.push(coded(
                    "consortium",
                    "problem.consortium_without_bidder",
                    vec![("code", credit_code.to_string())],
                ));
            }
            if input.related_parties.is_none() {
                problems.push(coded(
                    "related_parties",
                    "problem.required_related_parties",
                    vec![],
                ));
            }
        }
    }
    if let Some(list) = input.subcontracts.as_deref() {
        let total = party_checks(list, "subcontracts", &mut problems);
        if total >= Hundredths::whole(100) {
            problems.push(coded(
                "subcontracts",
                "problem.subcontract_shares",
                vec![("total", total.short().to_string())],
            ));
        }
    }
    if problems.is_empty() {
        Ok(input)
    } else {
        Err(LocalSealError::Problems(problems))
    }
}

/// Seals a bid locally to a lot's public key (hex, from the notice): the sealed file's text.
pub fn seal_locally(
    lot: &str,
    public_key: &str,
    credit_code: &str,
    bid: &serde_json::Value,
    documents: Vec<crate::service::procurement::documents::DocumentRef>,
) -> std::result::Result<String, LocalSealError> {
    check_offline(bid, credit_code)?;
    let file = SealedBidFile {
        format: SEALED_BID_PREFIX.into(),
        lot_id: lot.to_string(),
        credit_code: credit_code.trim().to_string(),
        bid: bid.clone(),
        documents,
    };
    let plain = zeroize::Zeroizing::new(
        serde_json::to_vec(&file).map_err(|e| LocalSealError::Input(e.to_string()))?,
    );
    let envelope = crate::service::sealing::seal(lot, public_key.trim(), &bidder_aad(lot), &plain)
        .map_err(|e| LocalSealError::Input(format!("--lot-key: {e}")))?;
    Ok(format!("{SEALED_BID_PREFIX}.{lot}.{}", hex(&envelope)))
}

/// A bidder-sealed bid as submitted.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SealedBidInput {
    /// The sealed file's text, `smeproc-sealed-bid-1.<lot>.<hex>` (`smeproc bid seal`).
    #[schema(required = true, nullable = false)]
    pub sealed: Option<String>,
}

fn envelope_of(lot: &str, text: Option<&str>) -> Result<Vec<u8>> {
    let bad = |code: &'static str| Error::Validation(vec![coded("sealed", code, vec![])]);
    let text = match text.map(str::trim) {
        None | Some("") => {
            return Err(Error::Validation(vec![crate::wire::fields::required(
                "sealed",
            )]))
        }
        Some(t) => t,
    };
    let rest = text
        .strip_prefix(SEALED_BID_PREFIX)
        .and_then(|r| r.strip_prefix('.'))
        .ok_or_else(|| bad("problem.sealed_format"))?;
    let (file_lot, hex_part) = rest
        .rsplit_once('.')
        .ok_or_else(|| bad("problem.sealed_format"))?;
    if file_lot != lot {
        return Err(bad("problem.sealed_other_lot"));
    }
    let bytes = unhex(hex_part).ok_or_else(|| bad("problem.sealed_format"))?;
    if bytes.len() < 48 {
        return Err(bad("problem.sealed_format"));
    }
    Ok(bytes)
}

/// Submits a bid the bidder sealed: stored as it came; checked at the opening.
#[tracing::instrument(skip_all)]
pub fn submit_sealed(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    keys: &ServerKeys,
    actor: &Actor<'_>,
    lot_id: &str,
    input: &SealedBidInput,
) -> Result<Receipt> {
    submit_sealed_with(conn, clock, keys, actor, lot_id, input, Vec::new())
}

/// Before sealed documents are streamed to the store: the caller may submit a bidder-sealed
/// bid to this lot now (it has a key, and takes bids).
#[tracing::instrument(skip_all)]
pub fn may_submit_sealed(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    lot_id: &str,
) -> Result<()> {
    match may_submit(conn, clock, actor, lot_id)? {
        Some(_) => Ok(()),
        None => {
            let (lot, _) = find_lot(conn, lot_id)?;
            Err(crate::service::refuse(
                Cause::WrongState,
                "refusal.lot_without_key",
                vec![("lot", lot.number.to_string())],
            ))
        }
    }
}

/// The same with the documents the bidder sealed (already in the store, as they came): kept
/// with the envelope, opened and checked against the sealed bid's hashes at the opening. On a
/// refusal the caller removes them.
#[tracing::instrument(skip_all)]
pub fn submit_sealed_with(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    keys: &ServerKeys,
    actor: &Actor<'_>,
    lot_id: &str,
    input: &SealedBidInput,
    documents: Vec<StoredDocument>,
) -> Result<Receipt> {
    let now = clock.now_naive();
    let bid = crate::db::write(conn, |conn| {
        let supplier = supplier_of(conn, actor)?;
        let (lot, project) = find_lot(conn, lot_id)?;
        if project.state == ProjectState::Draft {
            return Err(Error::NotFound(format!("no lot with id {lot_id}")));
        }
        open_for_bids(&project, Some(&lot), now)?;
        if repo::find_lot_key(conn, &lot.id)?.is_none() {
            return Err(crate::service::refuse(
                Cause::WrongState,
                "refusal.lot_without_key",
                vec![("lot", lot.number.to_string())],
            ));
        }
        let envelope = envelope_of(&lot.id, input.sealed.as_deref())?;
        let bid = SealedBid {
            id: db::new_id(),
            lot_id: lot.id.clone(),
            project_id: lot.project_id.clone(),
            bidder_tag: keys.bidder_tag(&supplier.id),
            state: BidState::Submitted,
            sealed_by: "bidder".into(),
            receipt_sha256: super::super::sha256_hex(&envelope),
            envelope,
            submitted_at: now,
            closed_at: None,
            opened: None,
            opened_reason: None,
        };
        repo::insert_sealed_bid(conn, &bid).map_err(duplicate_bid)?;
        let rows: Vec<_> = documents
            .iter()
            .map(|d| crate::db::procurement::DocumentRow {
                bid_id: bid.id.clone(),
                ..d.row.clone()
            })
            .collect();
        if rows.iter().any(|r| r.lot_id != lot.id) {
            return Err(Error::Internal(anyhow::anyhow!("document of another lot")));
        }
        repo::insert_documents(conn, &rows).map_err(|e| match Error::from(e) {
            // A document id already stored (the same sealed file sent with another bid).
            Error::Conflict(..) => Error::Validation(vec![coded(
                "documents",
                "problem.sealed_document_twice",
                vec![],
            )]),
            other => other,
        })?;
        let stored = Stored::Sealed(bid);
        audit::record(
            conn,
            clock,
            Change::new(
                &bid_actor(keys, actor, &stored),
                "bid.submit",
                "bid",
                stored.id(),
            )
            .after(&sealed_view(&stored)),
        )?;
        Ok::<_, Error>(stored)
    })?;
    Ok(receipt(&bid))
}

/// At the opening: a bidder-sealed envelope, opened, read and checked as a bid submitted at
/// its time. The bid and its canonical content, or the reason it is excluded.
pub(crate) fn open_bidder_sealed(
    conn: &mut DbConnection,
    key: &crate::service::sealing::OpeningKey,
    keys: &ServerKeys,
    project: &Project,
    lot: &Lot,
    s: &SealedBid,
) -> Result<std::result::Result<(Bid, BidContent), String>> {
    let Ok(plain) = key.open(&bidder_aad(&lot.id), &s.envelope) else {
        return Ok(Err("the envelope could not be decrypted (视为撤回)".into()));
    };
    let file: SealedBidFile = match serde_json::from_slice(&plain) {
        Ok(f) => f,
        Err(e) => return Ok(Err(format!("the opened file is not a sealed bid: {e}"))),
    };
    if file.format != SEALED_BID_PREFIX || file.lot_id != lot.id {
        return Ok(Err("the opened file is sealed for another lot".into()));
    }
    let Some(supplier) = enterprise_repo::find_by_credit_code(conn, file.credit_code.trim())?
    else {
        return Ok(Err(format!(
            "the sealed bid names {}, which is not a registered enterprise",
            file.credit_code
        )));
    };
    if keys.bidder_tag(&supplier.id) != s.bidder_tag {
        return Ok(Err(
            "the sealed bid names another enterprise than the one that submitted it".into(),
        ));
    }
    for d in &file.documents {
        if crate::domain::documents::DocumentKind::parse(&d.kind).is_none() {
            return Ok(Err(format!(
                "the sealed bid lists document {} of an unknown kind {}",
                d.filename, d.kind
            )));
        }
    }
    let input: BidInput = match serde_path_to_error::deserialize(file.bid) {
        Ok(i) => i,
        Err(e) => return Ok(Err(format!("bid.{}: {}", e.path(), e.inner()))),
    };
    let checked = check(
        conn,
        project,
        lot,
        &supplier,
        &input,
        &s.id,
        None,
        s.submitted_at,
    );
    let (mut content, price) = match checked {
        Ok(c) => c,
        Err(Error::Validation(problems)) => {
            let text = problems
                .iter()
                .map(|p| format!("{}: {}", p.field, p.message))
                .collect::<Vec<_>>()
                .join("; ");
            return Ok(Err(format!("the opened bid is not valid: {text}")));
        }
        Err(other) => return Err(other),
    };
    content.submitted_at = utc(s.submitted_at);
    // Opened and checked against these by the opening (open_documents).
    content.documents = file.documents;
    let text = canonical(&content)?;
    let bid = Bid {
        id: s.id.clone(),
        lot_id: lot.id.clone(),
        project_id: lot.project_id.clone(),
        supplier_id: supplier.id.clone(),
        state: BidState::Submitted,
        price_fen: price.0,
        content: text,
        receipt_sha256: s.receipt_sha256.clone(),
        submitted_at: s.submitted_at,
        closed_at: None,
        qualified: None,
        qualification_reason: None,
    };
    Ok(Ok((bid, content)))
}
