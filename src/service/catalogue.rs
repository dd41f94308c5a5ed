//! The SME catalogue (中小企业商品行情库): suppliers' products with their prices, the public
//! search, market prices (行情) and the catalogue CSV of CONTRACTS.md. Shared by the HTTP API
//! and the CLI; every write happens in one transaction.

use crate::clock::Clock;
use crate::db::enterprises::{self as enterprise_repo, Enterprise};
use crate::db::products::{self as repo, After, Filter, PrefixRange, Product, ProductRow, Sort};
use crate::db::{self, DbConnection};
use crate::domain::category::CategoryCode;
use crate::domain::decimal::div_round_half_up;
use crate::domain::{CreditCode, Fen, RegionCode, Scale};
use crate::error::{Error, Result};
use crate::service::audit::{self, Change};
use crate::wire::csv::{Columns, ImportError, RowProblem};
use crate::wire::FieldProblem;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// Who is writing to the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor<'a> {
    /// Admins and the CLI: any supplier's products.
    Admin,
    /// A supplier: only its own enterprise's products.
    Supplier { enterprise_id: &'a str },
}

/// A product as given in JSON or in one CSV row (the same names as the CSV columns).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ProductInput {
    /// The supplier's credit code; a supplier may leave it out (its own), an admin must give it.
    pub supplier_credit_code: Option<String>,
    /// The supplier's own article number, unique per supplier.
    #[schema(required = true, nullable = false)]
    pub sku: Option<String>,
    #[schema(required = true, nullable = false)]
    pub name: Option<String>,
    /// 政府采购品目分类目录 code, e.g. `A02`, `A020101`, `C16`.
    #[schema(example = "A0201", required = true, nullable = false)]
    pub category_code: Option<String>,
    pub spec: Option<String>,
    /// 计量单位, e.g. 台, 箱, 项.
    #[schema(required = true, nullable = false)]
    pub unit: Option<String>,
    /// Yuan, up to 2 decimals, > 0 (a string, never a float).
    #[schema(example = "3299.00", required = true, nullable = false)]
    pub price: Option<String>,
    /// A registered enterprise that makes the goods (shows "made by an SME").
    pub manufacturer_credit_code: Option<String>,
    /// Six-digit region code; default the supplier's.
    pub region: Option<String>,
    /// Only CNY is accepted.
    pub currency: Option<String>,
    /// Listed in the catalogue; default true.
    pub active: Option<bool>,
}

/// An enterprise as a product shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PartyRef {
    pub id: String,
    pub credit_code: String,
    pub name: String,
    /// micro | small | medium | large (effective scale).
    pub scale: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProductView {
    pub id: i64,
    pub supplier: PartyRef,
    pub sku: String,
    pub name: String,
    pub category_code: String,
    pub spec: String,
    pub unit: String,
    /// Current price, yuan with two decimals.
    #[schema(example = "3299.00")]
    pub price: String,
    pub currency: String,
    pub manufacturer: Option<PartyRef>,
    /// Made by an SME (micro, small or medium); null when no manufacturer is given.
    pub made_by_sme: Option<bool>,
    /// Made by a small or micro enterprise; null when no manufacturer is given.
    pub made_by_small_micro: Option<bool>,
    pub region: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn party(e: &Enterprise) -> PartyRef {
    PartyRef {
        id: e.id.clone(),
        credit_code: e.credit_code.clone(),
        name: e.name.clone(),
        scale: e.scale.clone(),
    }
}

/// Enterprises by credit code and by id, loaded once each for a request or an import.
#[derive(Default)]
struct Enterprises {
    by_code: HashMap<String, Option<Enterprise>>,
    by_id: HashMap<String, Option<Enterprise>>,
}

impl Enterprises {
    fn by_code(&mut self, conn: &mut DbConnection, code: &str) -> Result<Option<&Enterprise>> {
        if !self.by_code.contains_key(code) {
            let found = enterprise_repo::find_by_credit_code(conn, code)?;
            if let Some(e) = &found {
                self.by_id.insert(e.id.clone(), Some(e.clone()));
            }
            self.by_code.insert(code.to_string(), found);
        }
        Ok(self.by_code.get(code).and_then(Option::as_ref))
    }

    fn by_id(&mut self, conn: &mut DbConnection, id: &str) -> Result<Option<&Enterprise>> {
        if !self.by_id.contains_key(id) {
            let found = enterprise_repo::find_by_id(conn, id)?;
            self.by_id.insert(id.to_string(), found);
        }
        Ok(self.by_id.get(id).and_then(Option::as_ref))
    }

    fn load_ids(&mut self, conn: &mut DbConnection, ids: &[&str]) -> Result<()> {
        let missing: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|id| !self.by_id.contains_key(*id))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if !missing.is_empty() {
            for e in enterprise_repo::find_many(conn, &missing)? {
                self.by_id.insert(e.id.clone(), Some(e));
            }
        }
        Ok(())
    }

    fn view(&mut self, conn: &mut DbConnection, p: Product) -> Result<ProductView> {
        let supplier = self
            .by_id(conn, &p.supplier_id)?
            .map(party)
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("product {} has no supplier", p.id)))?;
        let manufacturer = match &p.manufacturer_id {
            Some(id) => self.by_id(conn, id)?.map(party),
            None => None,
        };
        let scale = |m: &PartyRef| m.scale.parse::<Scale>().unwrap_or(Scale::Large);
        Ok(ProductView {
            id: p.id,
            made_by_sme: manufacturer.as_ref().map(|m| scale(m).is_sme()),
            made_by_small_micro: manufacturer
                .as_ref()
                .map(|m| matches!(scale(m), Scale::Small | Scale::Micro)),
            supplier,
            manufacturer,
            sku: p.sku,
            name: p.name,
            category_code: p.category_code,
            spec: p.spec,
            unit: p.unit,
            price: Fen(p.price_fen).to_string(),
            currency: "CNY".into(),
            region: p.region,
            active: p.active,
            created_at: p.created_at.and_utc(),
            updated_at: p.updated_at.and_utc(),
        })
    }
}

/// Text: trimmed, required or not, at most `max` characters, no control characters.
fn text(
    value: Option<&str>,
    field: &str,
    required: bool,
    max: usize,
    problems: &mut Vec<FieldProblem>,
) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty());
    match value {
        None if required => {
            problems.push(FieldProblem::new(field, "is required"));
            None
        }
        None => Some(String::new()),
        Some(v) if v.chars().count() > max => {
            problems.push(FieldProblem::new(
                field,
                format!("is longer than {max} characters"),
            ));
            None
        }
        Some(v) if v.chars().any(char::is_control) => {
            problems.push(FieldProblem::new(field, "contains control characters"));
            None
        }
        Some(v) if crate::domain::text::invisible(v).is_some() => {
            let c = crate::domain::text::invisible(v).unwrap_or_default();
            problems.push(FieldProblem::new(
                field,
                crate::domain::text::invisible_problem(c),
            ));
            None
        }
        Some(v) => Some(v.to_string()),
    }
}

/// The largest price we accept: ¥100 000 000 000.00 (well inside i64 fen and any total).
const MAX_PRICE_FEN: i64 = 10_000_000_000_000;

fn parse_price(value: &str, field: &str) -> std::result::Result<i64, FieldProblem> {
    match Fen::parse_positive_yuan(value.trim()) {
        Ok(fen) if fen.0 <= MAX_PRICE_FEN => Ok(fen.0),
        Ok(_) => Err(FieldProblem::new(
            field,
            "is more than 100000000000.00 yuan",
        )),
        Err(e) => Err(FieldProblem::new(
            field,
            format!("{value:?}: {e} (yuan, up to 2 decimals, > 0)"),
        )),
    }
}

/// Checks a product and resolves its enterprises. `Err` lists every problem, by field; a row
/// for another supplier than the actor's own is `Forbidden` (the caller decides how to report).
fn check(
    conn: &mut DbConnection,
    enterprises: &mut Enterprises,
    actor: Actor<'_>,
    input: &ProductInput,
    now: NaiveDateTime,
) -> Result<std::result::Result<ProductRow, Vec<FieldProblem>>> {
    let mut problems = Vec::new();
    // The supplier: given, or the acting supplier's own.
    let supplier: Option<Enterprise> = match (input.supplier_credit_code.as_deref(), actor) {
        (None | Some(""), Actor::Supplier { enterprise_id }) => {
            enterprises.by_id(conn, enterprise_id)?.cloned()
        }
        (None | Some(""), Actor::Admin) => {
            problems.push(FieldProblem::new("supplier_credit_code", "is required"));
            None
        }
        (Some(code), _) => match code.trim().parse::<CreditCode>() {
            Err(e) => {
                problems.push(FieldProblem::new("supplier_credit_code", e.to_string()));
                None
            }
            Ok(code) => match enterprises.by_code(conn, code.as_str())?.cloned() {
                None => {
                    problems.push(FieldProblem::new(
                        "supplier_credit_code",
                        format!("{code} is not a registered enterprise"),
                    ));
                    None
                }
                Some(e) => match actor {
                    Actor::Supplier { enterprise_id } if enterprise_id != e.id => {
                        return Err(Error::Forbidden(format!(
                            "a supplier may only list its own enterprise's products, not {code}'s"
                        )))
                    }
                    _ => Some(e),
                },
            },
        },
    };
    let sku = text(input.sku.as_deref(), "sku", true, 64, &mut problems);
    let name = text(input.name.as_deref(), "name", true, 200, &mut problems);
    let spec = text(input.spec.as_deref(), "spec", false, 1000, &mut problems);
    let unit = text(input.unit.as_deref(), "unit", true, 20, &mut problems);
    let category = match input.category_code.as_deref().map(str::trim) {
        None | Some("") => {
            problems.push(FieldProblem::new("category_code", "is required"));
            None
        }
        Some(code) => code
            .parse::<CategoryCode>()
            .map_err(|e| problems.push(FieldProblem::new("category_code", e.to_string())))
            .ok(),
    };
    let price = match input.price.as_deref().map(str::trim) {
        None | Some("") => {
            problems.push(FieldProblem::new("price", "is required (yuan)"));
            None
        }
        Some(p) => parse_price(p, "price").map_err(|e| problems.push(e)).ok(),
    };
    let manufacturer: Option<Option<String>> =
        match input.manufacturer_credit_code.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(code) => match code.parse::<CreditCode>() {
                Err(e) => {
                    problems.push(FieldProblem::new("manufacturer_credit_code", e.to_string()));
                    None
                }
                Ok(code) => match enterprises.by_code(conn, code.as_str())? {
                    Some(e) => Some(Some(e.id.clone())),
                    None => {
                        problems.push(FieldProblem::new(
                            "manufacturer_credit_code",
                            format!("{code} is not a registered enterprise"),
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
            .map_err(|e| problems.push(FieldProblem::new("region", e.to_string())))
            .ok(),
    };
    match input.currency.as_deref().map(str::trim) {
        None | Some("") | Some("CNY") => {}
        Some(other) => problems.push(FieldProblem::new(
            "currency",
            format!("{other:?}: only CNY is accepted"),
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

fn may_write(actor: Actor<'_>, product: &Product) -> Result<()> {
    match actor {
        Actor::Supplier { enterprise_id } if product.supplier_id != enterprise_id => Err(
            Error::Forbidden("a supplier may only change its own enterprise's products".into()),
        ),
        _ => Ok(()),
    }
}

/// Refuses a supplier who does not list this product (403), or an unknown product (404).
pub fn may_change(conn: &mut DbConnection, actor: Actor<'_>, id: i64) -> Result<()> {
    may_write(actor, &find(conn, id)?)
}

pub fn find(conn: &mut DbConnection, id: i64) -> Result<Product> {
    repo::find(conn, id)?.ok_or_else(|| Error::NotFound(format!("no product with id {id}")))
}

/// Lists a new product; its first price point is recorded with it.
pub fn create(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    who: &str,
    actor: Actor<'_>,
    input: &ProductInput,
) -> Result<ProductView> {
    let mut enterprises = Enterprises::default();
    db::write(conn, |conn| {
        let row = check(conn, &mut enterprises, actor, input, clock.now_naive())?
            .map_err(Error::Validation)?;
        let id = repo::insert(conn, &row).map_err(|e| match Error::from(e) {
            Error::Conflict(_) => Error::Conflict(format!(
                "this supplier already lists a product with sku {:?}",
                row.sku
            )),
            other => other,
        })?;
        let product = find(conn, id)?;
        let view = enterprises.view(conn, product)?;
        audit::record(
            conn,
            clock,
            Change::new(who, "product.create", "product", &id.to_string()).after(&view),
        )?;
        Ok(view)
    })
}

/// Body of `PATCH /api/v1/products/{id}`: the fields to change (sku and supplier never change;
/// `manufacturer_credit_code: ""` clears the manufacturer).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductPatch {
    pub name: Option<String>,
    pub category_code: Option<String>,
    pub spec: Option<String>,
    pub unit: Option<String>,
    /// Yuan; a new price appends a price-history point.
    pub price: Option<String>,
    pub manufacturer_credit_code: Option<String>,
    pub region: Option<String>,
    pub currency: Option<String>,
    pub active: Option<bool>,
}

/// Changes a product; a new price is recorded in its history (by the database).
pub fn update(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    who: &str,
    actor: Actor<'_>,
    id: i64,
    patch: &ProductPatch,
) -> Result<ProductView> {
    let mut enterprises = Enterprises::default();
    let now = clock.now_naive();
    db::write(conn, |conn| {
        let current = find(conn, id)?;
        may_write(actor, &current)?;
        let supplier_code = enterprises
            .by_id(conn, &current.supplier_id)?
            .map(|e| e.credit_code.clone());
        let manufacturer_code = match &current.manufacturer_id {
            Some(m) => enterprises.by_id(conn, m)?.map(|e| e.credit_code.clone()),
            None => None,
        };
        let merged = ProductInput {
            supplier_credit_code: supplier_code,
            sku: Some(current.sku.clone()),
            name: patch.name.clone().or(Some(current.name.clone())),
            category_code: patch
                .category_code
                .clone()
                .or(Some(current.category_code.clone())),
            spec: patch.spec.clone().or(Some(current.spec.clone())),
            unit: patch.unit.clone().or(Some(current.unit.clone())),
            price: patch
                .price
                .clone()
                .or(Some(Fen(current.price_fen).to_string())),
            manufacturer_credit_code: patch.manufacturer_credit_code.clone().or(manufacturer_code),
            region: patch.region.clone().or(Some(current.region.clone())),
            currency: patch.currency.clone(),
            active: patch.active.or(Some(current.active)),
        };
        let mut row = check(conn, &mut enterprises, Actor::Admin, &merged, now)?
            .map_err(Error::Validation)?;
        row.created_at = current.created_at;
        let before = enterprises.view(conn, current.clone())?;
        repo::update(conn, &current, &row)?;
        let changed = find(conn, id)?;
        let after = enterprises.view(conn, changed)?;
        audit::record(
            conn,
            clock,
            Change::new(who, "product.update", "product", &id.to_string())
                .before(&before)
                .after(&after),
        )?;
        Ok(after)
    })
}

pub fn show(conn: &mut DbConnection, id: i64) -> Result<ProductView> {
    let product = find(conn, id)?;
    Enterprises::default().view(conn, product)
}

/// A product's price history, oldest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PriceHistory {
    pub product_id: i64,
    pub points: Vec<PriceHistoryPoint>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PriceHistoryPoint {
    pub price: String,
    pub recorded_at: DateTime<Utc>,
}

pub fn history(conn: &mut DbConnection, id: i64) -> Result<PriceHistory> {
    let product = find(conn, id)?;
    let points = repo::history(conn, product.id)?
        .into_iter()
        .map(|p| PriceHistoryPoint {
            price: Fen(p.price_fen).to_string(),
            recorded_at: p.recorded_at.and_utc(),
        })
        .collect();
    Ok(PriceHistory {
        product_id: product.id,
        points,
    })
}

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

use crate::domain::digest::hex;

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
        Err(FieldProblem::new(
            field,
            format!("must be 1–{max} digits of a region code"),
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
                .map_err(|e| FieldProblem::new(field, e.to_string()))
        })
        .collect()
}

/// The search filter of a query; every bad parameter named.
fn filter_of(
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
            problems.push(FieldProblem::new("q", "is longer than 100 characters"));
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
            Err(e) => problems.push(FieldProblem::new("category", e.to_string())),
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
            Err(e) => problems.push(FieldProblem::new("supplier", e.to_string())),
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
            problems.push(FieldProblem::new("max_price", "is below min_price"));
        }
    }
    if params
        .unit
        .as_deref()
        .is_some_and(|u| u.chars().count() > 20)
    {
        problems.push(FieldProblem::new("unit", "is longer than 20 characters"));
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
pub fn search(conn: &mut DbConnection, params: &SearchParams) -> Result<ProductPage> {
    let mut problems = Vec::new();
    let filter = filter_of(conn, params, &mut problems)?;
    let sort = match params.sort.as_deref().unwrap_or("newest") {
        "newest" => Sort::Newest,
        "price" => Sort::PriceAsc,
        "-price" => Sort::PriceDesc,
        "name" => Sort::Name,
        other => {
            problems.push(FieldProblem::new(
                "sort",
                format!("{other:?}: expected newest, price, -price or name"),
            ));
            Sort::Newest
        }
    };
    let after = match params.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => match decode_cursor(sort, c) {
            Some(a) => Some(a),
            None => {
                problems.push(FieldProblem::new(
                    "cursor",
                    "is not a cursor of this sort: pass next_cursor unchanged with the same sort",
                ));
                None
            }
        },
    };
    let limit = params.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        problems.push(FieldProblem::new("limit", "must be 1–100"));
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

/// Query of `GET /api/v1/market-prices`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct MarketQuery {
    /// 品目 code prefix, e.g. `A0201`.
    #[param(pattern = "^[ABC]([0-9]{2}){0,5}$")]
    pub category: Option<String>,
    /// Region code prefix, e.g. `65`.
    #[param(pattern = "^[0-9]{1,6}$")]
    pub region: Option<String>,
    /// Keywords, as in the product search.
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// 计量单位: prices per 台 and per 箱 should not be mixed.
    #[param(max_length = 20)]
    pub unit: Option<String>,
    /// The history window in days, 1–3650, default 90.
    #[param(minimum = 1, maximum = 3650)]
    pub days: Option<i64>,
}

/// count, min, p25, median, p75, max of a set of prices (yuan); the figures are null when
/// there is no price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PriceStats {
    pub count: u64,
    pub min: Option<String>,
    pub p25: Option<String>,
    pub median: Option<String>,
    pub p75: Option<String>,
    pub max: Option<String>,
}

/// Quartile `num/4` of ascending prices by linear interpolation between closest ranks
/// (h = (n−1)·q, as Excel's PERCENTILE.INC and numpy's default), in integer fen, rounded half up.
fn quantile(sorted: &[i64], num: i128) -> Option<i64> {
    let n = sorted.len() as i128;
    if n == 0 {
        return None;
    }
    let h4 = (n - 1) * num; // h × 4
    let low = (h4 / 4) as usize;
    let frac4 = h4 % 4;
    let a = i128::from(*sorted.get(low)?);
    let b = i128::from(*sorted.get(low + 1).unwrap_or(&sorted[low]));
    i64::try_from(div_round_half_up(a * 4 + (b - a) * frac4, 4)).ok()
}

pub fn price_stats(sorted: &[i64]) -> PriceStats {
    let yuan = |q: i128| quantile(sorted, q).map(|f| Fen(f).to_string());
    PriceStats {
        count: sorted.len() as u64,
        min: yuan(0),
        p25: yuan(1),
        median: yuan(2),
        p75: yuan(3),
        max: yuan(4),
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MarketPrices {
    pub category: Option<String>,
    pub region: Option<String>,
    pub unit: Option<String>,
    pub currency: String,
    /// Current prices of the listed (active) products.
    pub current: PriceStats,
    /// Every price point recorded in the window, for listed and delisted products alike.
    pub history: PriceStats,
    pub window_days: i64,
    pub window_from: DateTime<Utc>,
    pub window_to: DateTime<Utc>,
}

/// 行情: the reference figures agencies use to judge a bid price.
pub fn market_prices(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    query: &MarketQuery,
) -> Result<MarketPrices> {
    let mut problems = Vec::new();
    let params = SearchParams {
        q: query.q.clone(),
        category: query.category.clone(),
        region: query.region.clone(),
        unit: query.unit.clone(),
        ..SearchParams::default()
    };
    let mut filter = filter_of(conn, &params, &mut problems)?;
    let days = query.days.unwrap_or(90);
    if !(1..=3650).contains(&days) {
        problems.push(FieldProblem::new("days", "must be 1–3650"));
    }
    if !problems.is_empty() {
        return Err(Error::Validation(problems));
    }
    let now = clock.now_naive();
    let since = now - chrono::Duration::days(days);
    let current = repo::current_prices(conn, &filter)?;
    filter.active = None;
    let history = repo::history_prices(conn, &filter, since)?;
    Ok(MarketPrices {
        category: params.category,
        region: params.region,
        unit: params.unit,
        currency: "CNY".into(),
        current: price_stats(&current),
        history: price_stats(&history),
        window_days: days,
        window_from: since.and_utc(),
        window_to: now.and_utc(),
    })
}

/// The columns of the catalogue CSV, in the order the export writes them.
pub const CSV_COLUMNS: [&str; 10] = [
    "supplier_credit_code",
    "sku",
    "name",
    "category_code",
    "spec",
    "unit",
    "price",
    "manufacturer_credit_code",
    "region",
    "currency",
];
const CSV_REQUIRED: [&str; 6] = [
    "supplier_credit_code",
    "sku",
    "name",
    "category_code",
    "unit",
    "price",
];
const CSV_OPTIONAL: [&str; 4] = ["spec", "manufacturer_credit_code", "region", "currency"];

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ImportSummary {
    /// Rows read (the header not counted).
    pub rows: u64,
    pub inserted: u64,
    pub updated: u64,
    /// Rows identical to the product already listed.
    pub unchanged: u64,
    /// Updated rows whose price changed (each appended a price-history point).
    pub price_changes: u64,
    pub rejected: u64,
}

#[derive(Debug, Default)]
pub struct ImportOutcome {
    pub summary: ImportSummary,
    /// Rows refused (only with `skip_invalid`; otherwise any problem aborts the import).
    pub rejected: Vec<(csv::StringRecord, Vec<RowProblem>)>,
}

/// Rows checked and waiting to be written together.
const BATCH: usize = 500;

struct Pending {
    line: u64,
    record: csv::StringRecord,
    row: ProductRow,
}

struct ImportState<'a> {
    actor: Actor<'a>,
    now: NaiveDateTime,
    skip_invalid: bool,
    enterprises: Enterprises,
    /// Products with a larger id were inserted by this import.
    max_id_before: i64,
    /// Products this import updated (a second row for one of them is a duplicate).
    updated: HashSet<i64>,
    outcome: ImportOutcome,
    problems: Vec<RowProblem>,
}

impl ImportState<'_> {
    fn refuse(&mut self, record: &csv::StringRecord, problems: Vec<RowProblem>) {
        self.outcome.summary.rejected += 1;
        if self.skip_invalid {
            self.outcome.rejected.push((record.clone(), problems));
        } else {
            self.problems.extend(problems);
        }
    }

    /// Writes a batch: inserts new products in one statement, updates changed ones.
    fn flush(&mut self, conn: &mut DbConnection, batch: &mut Vec<Pending>) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let pairs: Vec<(&str, &str)> = batch
            .iter()
            .map(|p| (p.row.supplier_id.as_str(), p.row.sku.as_str()))
            .collect();
        let existing: HashMap<(String, String), Product> = repo::find_pairs(conn, &pairs)?
            .into_iter()
            .map(|p| ((p.supplier_id.clone(), p.sku.clone()), p))
            .collect();
        let mut in_batch: HashMap<(String, String), u64> = HashMap::new();
        let mut inserts: Vec<ProductRow> = Vec::new();
        for pending in batch.drain(..) {
            let key = (pending.row.supplier_id.clone(), pending.row.sku.clone());
            let duplicate = |earlier: String| {
                vec![RowProblem {
                    line: pending.line,
                    column: "sku".into(),
                    reason: format!(
                        "{:?} is given twice for this supplier ({earlier})",
                        pending.row.sku
                    ),
                }]
            };
            if let Some(first) = in_batch.get(&key) {
                let problems = duplicate(format!("also on line {first}"));
                self.refuse(&pending.record, problems);
                continue;
            }
            match existing.get(&key) {
                Some(p) if p.id > self.max_id_before || self.updated.contains(&p.id) => {
                    let problems = duplicate("also on an earlier line".into());
                    self.refuse(&pending.record, problems);
                    continue;
                }
                Some(p) => {
                    self.updated.insert(p.id);
                    let mut row = pending.row;
                    // Upsert keeps what the CSV does not carry: listing state and creation time.
                    row.active = p.active;
                    row.created_at = p.created_at;
                    let same = row.name == p.name
                        && row.category_code == p.category_code
                        && row.spec == p.spec
                        && row.unit == p.unit
                        && row.price_fen == p.price_fen
                        && row.manufacturer_id == p.manufacturer_id
                        && row.region == p.region;
                    if same {
                        self.outcome.summary.unchanged += 1;
                    } else {
                        if row.price_fen != p.price_fen {
                            self.outcome.summary.price_changes += 1;
                        }
                        repo::update(conn, p, &row)?;
                        self.outcome.summary.updated += 1;
                    }
                }
                None => {
                    in_batch.insert(key, pending.line);
                    inserts.push(pending.row);
                }
            }
        }
        if !inserts.is_empty() {
            repo::insert_many_unindexed(conn, &inserts)?;
            self.outcome.summary.inserted += inserts.len() as u64;
        }
        Ok(())
    }
}

/// Imports a catalogue CSV (CONTRACTS.md) in one transaction: upsert by (supplier, sku), a price
/// change recorded in the history. Without `skip_invalid`, any bad row means nothing is written
/// and every problem is returned by line and column; with it, good rows are written and bad
/// ones come back with their reasons. `progress(rows, byte)` is called every few thousand rows.
/// Memory stays flat: rows are written in batches as they are read.
pub fn import(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    who: &str,
    actor: Actor<'_>,
    reader: &mut crate::wire::csv::CsvReader,
    skip_invalid: bool,
    progress: &mut dyn FnMut(u64, u64),
) -> std::result::Result<ImportOutcome, ImportError> {
    let headers = reader
        .headers()
        .map_err(|e| ImportError::Invalid(vec![e]))?;
    let columns = Columns::from_header(&headers, &CSV_REQUIRED, &CSV_OPTIONAL)
        .map_err(ImportError::Invalid)?;
    db::write(conn, |conn| {
        let mut state = ImportState {
            actor,
            now: clock.now_naive(),
            skip_invalid,
            enterprises: Enterprises::default(),
            max_id_before: repo::max_id(conn)?,
            updated: HashSet::new(),
            outcome: ImportOutcome::default(),
            problems: Vec::new(),
        };
        let mut batch: Vec<Pending> = Vec::with_capacity(BATCH);
        let mut record = csv::StringRecord::new();
        loop {
            let line = match reader.read(&mut record) {
                Ok(None) => break,
                Ok(Some(line)) => line,
                Err(problem) => {
                    // The reader cannot go on past a broken record: report and stop.
                    state.problems.push(problem);
                    break;
                }
            };
            state.outcome.summary.rows += 1;
            if state.outcome.summary.rows.is_multiple_of(4096) {
                progress(state.outcome.summary.rows, reader.byte());
            }
            let hidden = crate::wire::csv::invisible_cells(&headers, &record, line);
            if !hidden.is_empty() {
                state.refuse(&record, hidden);
                continue;
            }
            let get = |c: &str| columns.get(&record, c).map(str::to_string);
            let input = ProductInput {
                supplier_credit_code: get("supplier_credit_code"),
                sku: get("sku"),
                name: get("name"),
                category_code: get("category_code"),
                spec: get("spec"),
                unit: get("unit"),
                price: get("price"),
                manufacturer_credit_code: get("manufacturer_credit_code"),
                region: get("region"),
                currency: get("currency"),
                active: None,
            };
            let to_row = |problems: Vec<FieldProblem>| -> Vec<RowProblem> {
                problems
                    .into_iter()
                    .map(|p| RowProblem {
                        line,
                        column: p.field,
                        reason: p.message,
                    })
                    .collect()
            };
            match check(conn, &mut state.enterprises, state.actor, &input, state.now) {
                Ok(Ok(row)) => batch.push(Pending {
                    line,
                    record: record.clone(),
                    row,
                }),
                Ok(Err(problems)) => state.refuse(&record, to_row(problems)),
                Err(Error::Forbidden(reason)) => state.refuse(
                    &record,
                    vec![RowProblem {
                        line,
                        column: "supplier_credit_code".into(),
                        reason,
                    }],
                ),
                Err(other) => return Err(ImportError::Failed(other)),
            }
            if batch.len() >= BATCH {
                state.flush(conn, &mut batch).map_err(ImportError::Failed)?;
            }
        }
        state.flush(conn, &mut batch).map_err(ImportError::Failed)?;
        // One statement for every new product: FTS5 builds its segments in memory.
        repo::index_for_search(conn, state.max_id_before)?;
        let summary = &state.outcome.summary;
        if summary.inserted + summary.updated >= 10_000 {
            repo::refresh_statistics(conn)?;
        }
        progress(state.outcome.summary.rows, u64::MAX);
        if state.problems.is_empty() {
            // One event for the whole import (a million rows would be a million events); its
            // digest covers the counts. The rows themselves are in the database and the file.
            let summary = state.outcome.summary.clone();
            audit::record(
                conn,
                clock,
                Change::new(who, "catalogue.import", "catalogue_import", &db::new_id())
                    .after(&summary),
            )
            .map_err(ImportError::Failed)?;
            Ok(state.outcome)
        } else {
            Err(ImportError::Invalid(state.problems))
        }
    })
}

/// Writes the catalogue CSV (UTF-8 with BOM, the columns of [`CSV_COLUMNS`]), one row per
/// product in id order, reading the products page by page: memory stays flat. `supplier`
/// limits it to one enterprise's products. Returns the number of rows.
pub fn export(
    conn: &mut DbConnection,
    supplier: Option<&str>,
    out: &mut dyn std::io::Write,
) -> Result<u64> {
    let io =
        |e: std::io::Error| Error::Internal(anyhow::Error::new(e).context("writing the export"));
    let csv_err = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(io) => {
            Error::Internal(anyhow::Error::new(io).context("writing the export"))
        }
        other => Error::Internal(anyhow::anyhow!("writing the export: {other:?}")),
    };
    out.write_all("\u{feff}".as_bytes()).map_err(io)?;
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(CSV_COLUMNS).map_err(csv_err)?;
    let mut enterprises = Enterprises::default();
    let mut after = 0;
    let mut rows = 0;
    loop {
        let page = repo::page_by_id(conn, supplier, after, 5000)?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let mut ids: Vec<&str> = page.iter().map(|p| p.supplier_id.as_str()).collect();
        ids.extend(page.iter().filter_map(|p| p.manufacturer_id.as_deref()));
        enterprises.load_ids(conn, &ids)?;
        // The enterprise cache is bounded by the number of enterprises, not of products.
        let code = |id: &str| -> &str {
            enterprises
                .by_id
                .get(id)
                .and_then(Option::as_ref)
                .map_or("", |e| e.credit_code.as_str())
        };
        for p in &page {
            let supplier_code = code(&p.supplier_id);
            let manufacturer_code = p.manufacturer_id.as_deref().map_or("", code);
            let price = Fen(p.price_fen).to_string();
            crate::wire::csv::write_safe(
                &mut writer,
                [
                    supplier_code,
                    &p.sku,
                    &p.name,
                    &p.category_code,
                    &p.spec,
                    &p.unit,
                    &price,
                    manufacturer_code,
                    &p.region,
                    "CNY",
                ],
            )
            .map_err(csv_err)?;
            rows += 1;
        }
    }
    writer.flush().map_err(io)?;
    Ok(rows)
}
