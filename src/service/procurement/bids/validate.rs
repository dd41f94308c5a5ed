//! One bid checked against its lot: eligibility (reserved lots, consortia, subcontracting), the
//! parties' registered scales on the bid day, and the price.

use super::utc;
use super::*;
use crate::db::enterprises::{self as enterprise_repo, Enterprise};
use crate::db::procurement::{Lot, Project};
use crate::db::DbConnection;
use crate::domain::bidding;
use crate::domain::evaluation::{self};
use crate::domain::policy;
use crate::domain::{Fen, Hundredths, Scale};
use crate::error::{Error, Result};
use crate::wire::FieldProblem;
use chrono::{NaiveDate, NaiveDateTime};

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
pub(super) fn check(
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
    let price = crate::service::procurement::projects::money(&input.price, "price", &mut problems);
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
            let members: Option<Vec<Scale>> = consortium
                .as_ref()
                .map(|m| m.iter().map(|p| scale_of(&p.firm.scale)).collect());
            let prime = bidding::prime_scale(scale_of(&supplier_snap.scale), members.as_deref());
            for (i, s) in subs.iter().enumerate() {
                let sub_scale = scale_of(&s.firm.scale);
                if !bidding::may_subcontract(prime, sub_scale) {
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
            crate::service::procurement::projects::category_of(project),
            &engine_bid,
        );
        if !bidding::lot_admits(lot.reserved, scale) {
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
