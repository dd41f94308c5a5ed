//! The SME catalogue (中小企业商品行情库): suppliers' products with their prices, the public
//! search, market prices (行情) and the catalogue CSV of CONTRACTS.md. Shared by the HTTP API
//! and the CLI; every write happens in one transaction. The catalogue CSV is
//! [`crate::service::imports::products`]'s.

mod market;
mod search;
mod validate;

pub use market::*;
pub use search::*;
pub(crate) use validate::{check, parse_price};

use crate::clock::Clock;
use crate::db::enterprises::{self as enterprise_repo, Enterprise};
use crate::db::products::{self as repo, Product};
use crate::db::{self, DbConnection};
use crate::domain::{Fen, Scale};
use crate::error::{Cause, Error, Result};
use crate::service::audit::{self, Change};
use crate::service::Actor;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// Who may write which products: narrowed from the [`Actor`] at the start of each write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Writer<'a> {
    /// Admins and the CLI: any supplier's products.
    Any,
    /// A supplier: only its own enterprise's products.
    Supplier { enterprise_id: &'a str },
}

impl<'a> Writer<'a> {
    pub(crate) fn of(actor: &Actor<'a>) -> Result<Writer<'a>> {
        match actor {
            a if a.is_admin() => Ok(Writer::Any),
            Actor::Supplier { enterprise_id, .. } => Ok(Writer::Supplier { enterprise_id }),
            _ => Err(Error::Forbidden(
                "only admins and suppliers with an enterprise manage products".into(),
            )),
        }
    }
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
pub(crate) struct Enterprises {
    pub(crate) by_code: HashMap<String, Option<Enterprise>>,
    pub(crate) by_id: HashMap<String, Option<Enterprise>>,
}

impl Enterprises {
    pub(crate) fn by_code(
        &mut self,
        conn: &mut DbConnection,
        code: &str,
    ) -> Result<Option<&Enterprise>> {
        if !self.by_code.contains_key(code) {
            let found = enterprise_repo::find_by_credit_code(conn, code)?;
            if let Some(e) = &found {
                self.by_id.insert(e.id.clone(), Some(e.clone()));
            }
            self.by_code.insert(code.to_string(), found);
        }
        Ok(self.by_code.get(code).and_then(Option::as_ref))
    }

    pub(crate) fn by_id(
        &mut self,
        conn: &mut DbConnection,
        id: &str,
    ) -> Result<Option<&Enterprise>> {
        if !self.by_id.contains_key(id) {
            let found = enterprise_repo::find_by_id(conn, id)?;
            self.by_id.insert(id.to_string(), found);
        }
        Ok(self.by_id.get(id).and_then(Option::as_ref))
    }

    pub(crate) fn load_ids(&mut self, conn: &mut DbConnection, ids: &[&str]) -> Result<()> {
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

    pub(crate) fn view(&mut self, conn: &mut DbConnection, p: Product) -> Result<ProductView> {
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

fn may_write(actor: Writer<'_>, product: &Product) -> Result<()> {
    match actor {
        Writer::Supplier { enterprise_id } if product.supplier_id != enterprise_id => Err(
            Error::Forbidden("a supplier may only change its own enterprise's products".into()),
        ),
        _ => Ok(()),
    }
}

/// Refuses anyone but admins and suppliers with an enterprise (403), before any input is read.
pub fn may_write_products(actor: &Actor<'_>) -> Result<()> {
    Writer::of(actor).map(|_| ())
}

/// Refuses a supplier who does not list this product (403), or an unknown product (404).
#[tracing::instrument(skip_all)]
pub fn may_change(conn: &mut DbConnection, actor: &Actor<'_>, id: i64) -> Result<()> {
    let writer = Writer::of(actor)?;
    may_write(writer, &find(conn, id)?)
}

#[tracing::instrument(skip_all)]
pub fn find(conn: &mut DbConnection, id: i64) -> Result<Product> {
    repo::find(conn, id)?.ok_or_else(|| Error::NotFound(format!("no product with id {id}")))
}

/// Lists a new product; its first price point is recorded with it.
#[tracing::instrument(skip_all)]
pub fn create(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    input: &ProductInput,
) -> Result<ProductView> {
    let writer = Writer::of(actor)?;
    let who = actor.audit_id();
    let mut enterprises = Enterprises::default();
    db::write(conn, |conn| {
        let row = check(conn, &mut enterprises, writer, input, clock.now_naive())?
            .map_err(Error::Validation)?;
        let id = repo::insert(conn, &row).map_err(|e| match Error::from(e) {
            Error::Conflict(..) => crate::service::refuse(
                Cause::Duplicate,
                "refusal.sku_taken",
                vec![("sku", format!("{:?}", row.sku))],
            ),
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
#[tracing::instrument(skip_all)]
pub fn update(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: i64,
    patch: &ProductPatch,
) -> Result<ProductView> {
    let writer = Writer::of(actor)?;
    let who = actor.audit_id();
    let mut enterprises = Enterprises::default();
    let now = clock.now_naive();
    db::write(conn, |conn| {
        let current = find(conn, id)?;
        may_write(writer, &current)?;
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
        let mut row =
            check(conn, &mut enterprises, Writer::Any, &merged, now)?.map_err(Error::Validation)?;
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

#[tracing::instrument(skip_all)]
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

#[tracing::instrument(skip_all)]
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
