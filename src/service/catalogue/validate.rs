//! One product checked against the catalogue's rules (the JSON body, a page form or a CSV row).

use super::*;
use crate::db::enterprises::Enterprise;
use crate::db::products::ProductRow;
use crate::db::DbConnection;
use crate::domain::category::CategoryCode;
use crate::domain::messages::{self, Lang};
use crate::domain::{CreditCode, Fen, RegionCode};
use crate::error::{Error, Result};
use crate::wire::fields::coded;
use crate::wire::fields::{self, Text};
use crate::wire::FieldProblem;
use chrono::NaiveDateTime;

/// The largest price we accept: ¥100 000 000 000.00 (well inside i64 fen and any total).
const MAX_PRICE_FEN: i64 = 10_000_000_000_000;

pub(crate) fn parse_price(value: &str, field: &str) -> std::result::Result<i64, FieldProblem> {
    match Fen::parse_positive_yuan(value.trim()) {
        Ok(fen) if fen.0 <= MAX_PRICE_FEN => Ok(fen.0),
        Ok(_) => Err(crate::wire::fields::coded(
            field,
            "problem.price_too_large",
            vec![],
        )),
        Err(e) => {
            let (code, params) = messages::decimal_problem(&e);
            let reason_zh = messages::said_in(Lang::Zh, code, &params);
            Err(crate::wire::fields::coded(
                field,
                "problem.price",
                vec![
                    ("value", format!("{value:?}")),
                    ("reason", e.to_string()),
                    ("reason_zh", reason_zh),
                ],
            ))
        }
    }
}

/// Checks a product and resolves its enterprises. `Err` lists every problem, by field; a row
/// for another supplier than the actor's own is `Forbidden` (the caller decides how to report).
#[tracing::instrument(skip_all)]
pub(crate) fn check(
    conn: &mut DbConnection,
    enterprises: &mut Enterprises,
    actor: Writer<'_>,
    input: &ProductInput,
    now: NaiveDateTime,
) -> Result<std::result::Result<ProductRow, Vec<FieldProblem>>> {
    let mut problems = Vec::new();
    // The supplier: given, or the acting supplier's own.
    let supplier: Option<Enterprise> = match (input.supplier_credit_code.as_deref(), actor) {
        (None | Some(""), Writer::Supplier { enterprise_id }) => {
            enterprises.by_id(conn, enterprise_id)?.cloned()
        }
        (None | Some(""), Writer::Any) => {
            problems.push(crate::wire::fields::required("supplier_credit_code"));
            None
        }
        (Some(code), _) => match code.trim().parse::<CreditCode>() {
            Err(e) => {
                problems.push(crate::wire::fields::of("supplier_credit_code", &e));
                None
            }
            Ok(code) => match enterprises.by_code(conn, code.as_str())?.cloned() {
                None => {
                    problems.push(coded(
                        "supplier_credit_code",
                        "problem.not_registered_enterprise",
                        vec![("code", code.to_string())],
                    ));
                    None
                }
                Some(e) => match actor {
                    Writer::Supplier { enterprise_id } if enterprise_id != e.id => {
                        return Err(Error::forbidden(format!(
                            "a supplier may only list its own enterprise's products, not {code}'s"
                        ))
                        .said(
                            "refusal.own_products_only",
                            vec![("code", code.to_string())],
                        ))
                    }
                    _ => Some(e),
                },
            },
        },
    };
    let sku = fields::text(
        input.sku.as_deref(),
        "sku",
        Text::required(64),
        &mut problems,
    );
    let name = fields::text(
        input.name.as_deref(),
        "name",
        Text::required(200),
        &mut problems,
    );
    let spec = fields::text(
        input.spec.as_deref(),
        "spec",
        Text::optional(1000),
        &mut problems,
    );
    let unit = fields::text(
        input.unit.as_deref(),
        "unit",
        Text::required(20),
        &mut problems,
    );
    let category = match input.category_code.as_deref().map(str::trim) {
        None | Some("") => {
            problems.push(crate::wire::fields::required("category_code"));
            None
        }
        Some(code) => code
            .parse::<CategoryCode>()
            .map_err(|e| problems.push(crate::wire::fields::of("category_code", &e)))
            .ok(),
    };
    let price = match input.price.as_deref().map(str::trim) {
        None | Some("") => {
            problems.push(coded("price", "problem.required_yuan", vec![]));
            None
        }
        Some(p) => parse_price(p, "price").map_err(|e| problems.push(e)).ok(),
    };
    let manufacturer: Option<Option<String>> =
        match input.manufacturer_credit_code.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(code) => match code.parse::<CreditCode>() {
                Err(e) => {
                    problems.push(crate::wire::fields::of("manufacturer_credit_code", &e));
                    None
                }
                Ok(code) => match enterprises.by_code(conn, code.as_str())? {
                    Some(e) => Some(Some(e.id.clone())),
                    None => {
                        problems.push(coded(
                            "manufacturer_credit_code",
                            "problem.not_registered_enterprise",
                            vec![("code", code.to_string())],
                        ));
                        None
                    }
                },
            },
        };
    let region = match input.region.as_deref().map(str::trim) {
        None | Some("") => supplier.as_ref().map(|s| s.region.clone()),
        Some(r) => r
            .parse::<RegionCode>()
            .map(|r| r.to_string())
            .map_err(|e| problems.push(crate::wire::fields::of("region", &e)))
            .ok(),
    };
    match input.currency.as_deref().map(str::trim) {
        None | Some("") | Some("CNY") => {}
        Some(other) => problems.push(coded(
            "currency",
            "problem.currency",
            vec![("given", format!("{other:?}"))],
        )),
    }
    let (
        Some(supplier),
        Some(sku),
        Some(name),
        Some(spec),
        Some(unit),
        Some(category),
        Some(price),
        Some(manufacturer),
        Some(region),
        true,
    ) = (
        supplier,
        sku,
        name,
        spec,
        unit,
        category,
        price,
        manufacturer,
        region,
        problems.is_empty(),
    )
    else {
        return Ok(Err(problems));
    };
    Ok(Ok(ProductRow {
        supplier_id: supplier.id,
        sku,
        name,
        category_code: category.to_string(),
        spec,
        unit,
        price_fen: price,
        manufacturer_id: manufacturer,
        region,
        active: input.active.unwrap_or(true),
        created_at: now,
        updated_at: now,
    }))
}
