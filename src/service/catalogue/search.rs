//! The public catalogue search: keywords, filters and keyset pages with opaque cursors.

use super::*;
use crate::db::enterprises::{self as enterprise_repo};
use crate::db::products::{self as repo, After, Filter, PrefixRange, Product, Sort};
use crate::db::DbConnection;
use crate::domain::category::CategoryCode;
use crate::domain::digest::hex;
use crate::domain::{CreditCode, Scale};
use crate::error::{Error, Result};
use crate::wire::fields::coded;
use crate::wire::FieldProblem;
use serde::{Deserialize, Serialize};

/// Query of `GET /api/v1/products` (and the filters of the market prices).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct SearchParams {
    /// Keywords, space-separated; each must occur in the name or spec (`打印机` finds
    /// `激光打印机`). Terms of 3+ characters use the trigram index.
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// 品目 code prefix, e.g. `A02`.
    #[param(pattern = "^[ABC]([0-9]{2}){0,5}$")]
    pub category: Option<String>,
    /// Region code prefix of the product, e.g. `65` (Xinjiang), `6531`.
    #[param(pattern = "^[0-9]{1,6}$")]
    pub region: Option<String>,
    /// The supplier's credit code.
    #[param(pattern = "^[0-9A-HJ-NPQRTUWXY]{18}$")]
    pub supplier: Option<String>,
    /// Supplier scales, comma-separated: `micro,small`.
    #[param(pattern = "^(micro|small|medium|large)(,(micro|small|medium|large))*$")]
    pub supplier_scale: Option<String>,
    /// Only products made by an SME.
    pub sme_made: Option<bool>,
    /// Only products made by a small or micro enterprise.
    pub small_micro_made: Option<bool>,
    /// Yuan.
    #[param(pattern = "^(0\\.(0[1-9]|[1-9][0-9]?)|[1-9][0-9]{0,11}(\\.[0-9]{1,2})?)$")]
    pub min_price: Option<String>,
    /// Yuan.
    #[param(pattern = "^(0\\.(0[1-9]|[1-9][0-9]?)|[1-9][0-9]{0,11}(\\.[0-9]{1,2})?)$")]
    pub max_price: Option<String>,
    /// Default true; `false` lists delisted products.
    pub active: Option<bool>,
    /// 计量单位, exact.
    #[param(max_length = 20)]
    pub unit: Option<String>,
    /// newest (default) | price | -price | name
    #[param(pattern = "^(newest|price|-price|name)$")]
    pub sort: Option<String>,
    /// The `next_cursor` of the previous page (same query and sort).
    #[param(max_length = 2048)]
    pub cursor: Option<String>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProductPage {
    pub items: Vec<ProductView>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    (text.len() <= 2048)
        .then(|| crate::domain::digest::unhex(text))
        .flatten()
}

/// Cursors are opaque to clients: the sort's key of the last item, hex-encoded.
fn encode_cursor(sort: Sort, p: &Product) -> String {
    let raw = match sort {
        Sort::Newest => format!("n:{}", p.id),
        Sort::PriceAsc | Sort::PriceDesc => format!("p:{}:{}", p.price_fen, p.id),
        Sort::Name => format!("s:{}:{}", p.id, p.name),
    };
    hex(raw.as_bytes())
}

fn decode_cursor(sort: Sort, text: &str) -> Option<After> {
    let raw = String::from_utf8(unhex(text)?).ok()?;
    let mut parts = raw.splitn(3, ':');
    match (sort, parts.next()?) {
        (Sort::Newest, "n") => Some(After::Id(parts.next()?.parse().ok()?)),
        (Sort::PriceAsc | Sort::PriceDesc, "p") => Some(After::Price(
            parts.next()?.parse().ok()?,
            parts.next()?.parse().ok()?,
        )),
        (Sort::Name, "s") => {
            let id = parts.next()?.parse().ok()?;
            Some(After::Name(parts.next()?.to_string(), id))
        }
        _ => None,
    }
}

fn digits_prefix(
    value: &str,
    field: &str,
    max: usize,
) -> std::result::Result<String, FieldProblem> {
    let v = value.trim();
    if v.is_empty() || v.len() > max || !v.bytes().all(|b| b.is_ascii_digit()) {
        Err(crate::wire::fields::coded(
            field,
            "problem.region_digits",
            vec![("max", max.to_string())],
        ))
    } else {
        Ok(v.to_string())
    }
}

fn scales(value: &str, field: &str) -> std::result::Result<Vec<String>, FieldProblem> {
    value
        .split(',')
        .map(|s| {
            s.trim()
                .parse::<Scale>()
                .map(|s| s.to_string())
                .map_err(|e| crate::wire::fields::of(field, &e))
        })
        .collect()
}

/// The search filter of a query; every bad parameter named.
pub(super) fn filter_of(
    conn: &mut DbConnection,
    params: &SearchParams,
    problems: &mut Vec<FieldProblem>,
) -> Result<Filter> {
    let mut filter = Filter {
        active: Some(params.active.unwrap_or(true)),
        ..Filter::default()
    };
    if let Some(q) = params.q.as_deref() {
        if q.chars().count() > 100 {
            problems.push(coded("q", "problem.too_long", vec![("max", "100".into())]));
        }
        filter.terms = q
            .split_whitespace()
            .take(8)
            .map(|t| t.to_lowercase())
            .collect();
    }
    if let Some(c) = params.category.as_deref() {
        match c.trim().parse::<CategoryCode>() {
            Ok(code) => filter.category = Some(PrefixRange::new(code.as_str())),
            Err(e) => problems.push(crate::wire::fields::of("category", &e)),
        }
    }
    if let Some(r) = params.region.as_deref() {
        match digits_prefix(r, "region", 6) {
            Ok(prefix) => filter.region = Some(PrefixRange::new(&prefix)),
            Err(e) => problems.push(e),
        }
    }
    if let Some(code) = params.supplier.as_deref() {
        match code.trim().parse::<CreditCode>() {
            Err(e) => problems.push(crate::wire::fields::of("supplier", &e)),
            Ok(code) => {
                // An unknown supplier lists nothing (not an error: the catalogue is public).
                filter.supplier_id = Some(
                    enterprise_repo::find_by_credit_code(conn, code.as_str())?
                        .map(|e| e.id)
                        .unwrap_or_default(),
                );
            }
        }
    }
    if let Some(s) = params.supplier_scale.as_deref() {
        match scales(s, "supplier_scale") {
            Ok(list) => filter.supplier_scales = list,
            Err(e) => problems.push(e),
        }
    }
    if params.small_micro_made == Some(true) {
        filter.manufacturer_scales = vec!["micro".into(), "small".into()];
    } else if params.sme_made == Some(true) {
        filter.manufacturer_scales = vec!["micro".into(), "small".into(), "medium".into()];
    }
    for (value, field, slot) in [
        (&params.min_price, "min_price", &mut filter.min_price_fen),
        (&params.max_price, "max_price", &mut filter.max_price_fen),
    ] {
        if let Some(v) = value.as_deref() {
            match parse_price(v, field) {
                Ok(fen) => *slot = Some(fen),
                Err(e) => problems.push(e),
            }
        }
    }
    if let (Some(min), Some(max)) = (filter.min_price_fen, filter.max_price_fen) {
        if min > max {
            problems.push(coded("max_price", "problem.below_min_price", vec![]));
        }
    }
    if params
        .unit
        .as_deref()
        .is_some_and(|u| u.chars().count() > 20)
    {
        problems.push(coded(
            "unit",
            "problem.too_long",
            vec![("max", "20".into())],
        ));
    }
    filter.unit = params
        .unit
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(String::from);
    Ok(filter)
}

/// The public catalogue search, one keyset page at a time.
#[tracing::instrument(skip_all)]
pub fn search(conn: &mut DbConnection, params: &SearchParams) -> Result<ProductPage> {
    let mut problems = Vec::new();
    let filter = filter_of(conn, params, &mut problems)?;
    let sort = match params.sort.as_deref().unwrap_or("newest") {
        "newest" => Sort::Newest,
        "price" => Sort::PriceAsc,
        "-price" => Sort::PriceDesc,
        "name" => Sort::Name,
        other => {
            problems.push(crate::wire::fields::coded(
                "sort",
                "problem.unknown_sort",
                vec![("given", format!("{other:?}"))],
            ));
            Sort::Newest
        }
    };
    let after = match params.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => match decode_cursor(sort, c) {
            Some(a) => Some(a),
            None => {
                problems.push(coded("cursor", "problem.cursor_sort", vec![]));
                None
            }
        },
    };
    let limit = params.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        problems.push(coded("limit", "problem.range_100", vec![]));
    }
    if !problems.is_empty() {
        return Err(Error::Validation(problems));
    }
    let mut rows = repo::search(conn, &filter, sort, after.as_ref(), limit + 1)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|p| encode_cursor(sort, p))
    } else {
        None
    };
    let mut enterprises = Enterprises::default();
    let mut ids: Vec<&str> = rows.iter().map(|p| p.supplier_id.as_str()).collect();
    ids.extend(rows.iter().filter_map(|p| p.manufacturer_id.as_deref()));
    enterprises.load_ids(conn, &ids)?;
    let items = rows
        .into_iter()
        .map(|p| enterprises.view(conn, p))
        .collect::<Result<Vec<_>>>()?;
    Ok(ProductPage { items, next_cursor })
}
