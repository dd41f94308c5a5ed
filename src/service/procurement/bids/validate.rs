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
use crate::wire::fields::coded;
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
                problems.push(crate::wire::fields::required(&at("share_pct")));
                None
            }
            Some(s) if s <= Hundredths::ZERO || s > Hundredths::whole(100) => {
                problems.push(coded(
                    at("share_pct"),
                    "problem.share_range",
                    vec![("value", s.short().to_string())],
                ));
                None
            }
            Some(s) => Some(s),
        };
        let firm = match p.credit_code.as_deref().map(str::trim) {
            None | Some("") => {
                problems.push(crate::wire::fields::required(&at("credit_code")));
                None
            }
            Some(code) => match enterprise_repo::find_by_credit_code(conn, code)? {
                Some(e) => Some(snapshot(conn, &e, day)?),
                None => {
                    problems.push(coded(
                        at("credit_code"),
                        "problem.not_registered_enterprise",
                        vec![("code", code.to_string())],
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
                problems.push(coded(
                    at("credit_code"),
                    "problem.code_listed_twice",
                    vec![("code", firm.credit_code.clone())],
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
            problems.push(coded("consortium", "problem.consortium_size", vec![]));
            None
        }
        Some(list) => {
            let members = parties(conn, list, "consortium", day, &mut problems)?;
            if members.len() == list.len() {
                let total: Hundredths = members.iter().map(|m| m.share_pct).sum();
                if total != Hundredths::whole(100) {
                    problems.push(coded(
                        "consortium",
                        "problem.consortium_shares",
                        vec![("total", total.short().to_string())],
                    ));
                }
                if !members.iter().any(|m| m.firm.enterprise_id == supplier.id) {
                    problems.push(coded(
                        "consortium",
                        "problem.consortium_without_bidder",
                        vec![("code", supplier.credit_code.clone())],
                    ));
                }
            }
            if input.related_parties.is_none() {
                problems.push(coded(
                    "related_parties",
                    "problem.required_related_parties",
                    vec![],
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
                problems.push(coded(
                    "subcontracts",
                    "problem.subcontract_shares",
                    vec![("total", total.short().to_string())],
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
                    problems.push(coded(
                        format!("subcontracts[{i}].credit_code"),
                        "problem.subcontract_scale",
                        vec![
                            ("prime", prime.as_str().to_string()),
                            ("prime_zh", label(Lang::Zh, "scale", prime.as_str())),
                            ("sub", sub_scale.as_str().to_string()),
                            ("sub_zh", label(Lang::Zh, "scale", sub_scale.as_str())),
                            ("name", s.firm.name.clone()),
                        ],
                    ));
                }
                let bidder_member = s.firm.enterprise_id == supplier.id
                    || consortium.as_ref().is_some_and(|m| {
                        m.iter()
                            .any(|m| m.firm.enterprise_id == s.firm.enterprise_id)
                    });
                if bidder_member {
                    problems.push(coded(
                        format!("subcontracts[{i}].credit_code"),
                        "problem.subcontractor_is_bidder",
                        vec![],
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
                let product = |code: &'static str| {
                    (
                        code,
                        vec![("id", m.product_id.unwrap_or_default().to_string())],
                    )
                };
                let enterprise = match (m.credit_code.as_deref(), m.product_id) {
                    (Some(code), None) => enterprise_repo::find_by_credit_code(conn, code.trim())?
                        .ok_or_else(|| {
                            (
                                "problem.not_registered_enterprise",
                                vec![("code", code.to_string())],
                            )
                        }),
                    (None, Some(pid)) => match crate::db::products::find(conn, pid)? {
                        None => Err(product("problem.no_product")),
                        Some(p) => match p.manufacturer_id {
                            None => Err(product("problem.no_manufacturer")),
                            Some(mid) => enterprise_repo::find_by_id(conn, &mid)?
                                .ok_or_else(|| product("problem.manufacturer_not_registered")),
                        },
                    },
                    _ => Err(("problem.credit_code_or_product", vec![])),
                };
                match enterprise {
                    Ok(e) => {
                        if !makers.iter().any(|x| x.enterprise_id == e.id) {
                            makers.push(snapshot(conn, &e, day)?);
                        }
                    }
                    Err((code, params)) => problems.push(coded(at, code, params)),
                }
            }
        }
        (Some(_), _) => problems.push(coded(
            "goods_manufacturers",
            "problem.goods_only",
            vec![
                ("category", project.category.clone()),
                (
                    "category_zh",
                    label(Lang::Zh, "category", &project.category),
                ),
            ],
        )),
    }
    // 不良行为记录: a firm barred on the bid day takes no part, in any role.
    let mut parties = vec![(
        if consortium.is_some() {
            "consortium".to_string()
        } else {
            "bidder".to_string()
        },
        supplier.id.clone(),
        supplier.name.clone(),
    )];
    for (field, list) in [
        ("consortium", consortium.as_deref().unwrap_or_default()),
        ("subcontracts", subcontracts.as_slice()),
    ] {
        for (i, p) in list.iter().enumerate() {
            if p.firm.enterprise_id != supplier.id || field == "subcontracts" {
                parties.push((
                    format!("{field}[{i}].credit_code"),
                    p.firm.enterprise_id.clone(),
                    p.firm.name.clone(),
                ));
            }
        }
    }
    problems.extend(crate::service::procurement::holds::barred(
        conn, &parties, day,
    )?);
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
        salt: String::new(),
        documents: Vec::new(),
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
            let s = &content.supplier;
            let (why, why_zh) = match &content.consortium {
                None => (
                    format!(
                        "{} is a {} enterprise ({})",
                        s.name, s.scale, s.scale_source
                    ),
                    format!("{}为{}", s.name, label(Lang::Zh, "scale", &s.scale)),
                ),
                Some(_) => (
                    "the consortium counts as large (a large member the rules do not excuse)"
                        .to_string(),
                    "联合体中有规则不予豁免的大型企业，视为大型企业".to_string(),
                ),
            };
            return Err(Error::Validation(vec![coded(
                field,
                "problem.reserved_lot",
                vec![
                    ("lot", lot.number.to_string()),
                    ("why", why),
                    ("why_zh", why_zh),
                ],
            )]));
        }
    }
    Ok((content, price))
}
