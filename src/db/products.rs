//! Products of the SME catalogue and their price history. The history is written by the
//! database (triggers on `products`), never by this code, and cannot be changed.

use super::schema::{enterprises, price_history, products, products_fts};
use super::DbConnection;
use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Identifiable, Selectable)]
#[diesel(table_name = products)]
pub struct Product {
    pub id: i64,
    pub supplier_id: String,
    pub sku: String,
    pub name: String,
    pub category_code: String,
    pub spec: String,
    pub unit: String,
    pub price_fen: i64,
    pub manufacturer_id: Option<String>,
    pub region: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A product to insert, or the new values of one (its id never changes; an update keeps
/// `created_at` as it was).
#[derive(Debug, Clone, PartialEq, Eq, Insertable, AsChangeset)]
#[diesel(table_name = products, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct ProductRow {
    pub supplier_id: String,
    pub sku: String,
    pub name: String,
    pub category_code: String,
    pub spec: String,
    pub unit: String,
    pub price_fen: i64,
    pub manufacturer_id: Option<String>,
    pub region: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct PricePoint {
    #[serde(skip)]
    pub id: i64,
    #[serde(skip)]
    pub product_id: i64,
    #[serde(skip)]
    pub price_fen: i64,
    pub recorded_at: NaiveDateTime,
}

/// Inserts one product (and indexes it for search); returns its id.
pub fn insert(conn: &mut DbConnection, row: &ProductRow) -> QueryResult<i64> {
    let id = diesel::insert_into(products::table)
        .values(row)
        .returning(products::id)
        .get_result(conn)?;
    index_for_search(conn, id - 1)?;
    Ok(id)
}

/// Inserts many products without indexing them for search: the caller then calls
/// [`index_for_search`] (once for many batches). One multi-row INSERT on PostgreSQL; on SQLite
/// one cached prepared statement per row (diesel wraps a SQLite batch in a savepoint).
pub fn insert_many_unindexed(conn: &mut DbConnection, rows: &[ProductRow]) -> QueryResult<usize> {
    let insert = diesel::insert_into(products::table).values(rows);
    match conn {
        DbConnection::Sqlite(c) => insert.execute(c),
        DbConnection::Postgresql(c) => insert.execute(c),
    }
}

/// Adds the products with an id above `after_id` to the SQLite full-text index, in one
/// statement (FTS5 writes one segment per statement). PostgreSQL's GIN index needs nothing.
pub fn index_for_search(conn: &mut DbConnection, after_id: i64) -> QueryResult<()> {
    if let DbConnection::Sqlite(c) = conn {
        diesel::sql_query(
            "INSERT INTO products_fts (rowid, name, spec) \
             SELECT id, name, spec FROM products WHERE id > ?",
        )
        .bind::<diesel::sql_types::BigInt, _>(after_id)
        .execute(c)?;
    }
    Ok(())
}

/// After a bulk load: fresh planner statistics on PostgreSQL (without them a keyword search
/// on a just-loaded catalogue chose a bitmap scan of every match: 360 ms instead of 0.2 ms).
/// SQLite's plans do not depend on statistics here.
pub fn refresh_statistics(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Postgresql(c) = conn {
        diesel::sql_query("ANALYZE products, price_history").execute(c)?;
    }
    Ok(())
}

/// Replaces a product's values (`old` as read before, to update the SQLite search index).
pub fn update(conn: &mut DbConnection, old: &Product, row: &ProductRow) -> QueryResult<usize> {
    let n = diesel::update(products::table.find(old.id))
        .set(row)
        .execute(conn)?;
    if let DbConnection::Sqlite(c) = conn {
        if old.name != row.name || old.spec != row.spec {
            use diesel::sql_types::{BigInt, Text};
            diesel::sql_query(
                "INSERT INTO products_fts (products_fts, rowid, name, spec) \
                 VALUES ('delete', ?, ?, ?)",
            )
            .bind::<BigInt, _>(old.id)
            .bind::<Text, _>(&old.name)
            .bind::<Text, _>(&old.spec)
            .execute(c)?;
            diesel::sql_query("INSERT INTO products_fts (rowid, name, spec) VALUES (?, ?, ?)")
                .bind::<BigInt, _>(old.id)
                .bind::<Text, _>(&row.name)
                .bind::<Text, _>(&row.spec)
                .execute(c)?;
        }
    }
    Ok(n)
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Product>> {
    products::table.find(id).first(conn).optional()
}

pub fn max_id(conn: &mut DbConnection) -> QueryResult<i64> {
    products::table
        .select(diesel::dsl::max(products::id))
        .first::<Option<i64>>(conn)
        .map(Option::unwrap_or_default)
}

/// The products with these (supplier id, sku) pairs. The pairs travel as one JSON text
/// parameter, so the statement is prepared once and cached (500 OR terms were parsed and
/// planned afresh for every batch).
pub fn find_pairs(conn: &mut DbConnection, pairs: &[(&str, &str)]) -> QueryResult<Vec<Product>> {
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    let json = serde_json::to_string(pairs)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    let condition = match conn {
        DbConnection::Sqlite(_) => sql::<Bool>(
            "(products.supplier_id, products.sku) IN \
             (SELECT value ->> 0, value ->> 1 FROM json_each(",
        ),
        DbConnection::Postgresql(_) => sql::<Bool>(
            "(products.supplier_id, products.sku) IN \
             (SELECT p ->> 0, p ->> 1 FROM jsonb_array_elements(CAST(",
        ),
    };
    let close = match conn {
        DbConnection::Sqlite(_) => "))",
        DbConnection::Postgresql(_) => " AS jsonb)) AS p)",
    };
    products::table
        .filter(condition.bind::<Text, _>(json).sql(close))
        .load(conn)
}

/// A product's prices, oldest first.
pub fn history(conn: &mut DbConnection, product_id: i64) -> QueryResult<Vec<PricePoint>> {
    price_history::table
        .filter(price_history::product_id.eq(product_id))
        .order((price_history::recorded_at.asc(), price_history::id.asc()))
        .load(conn)
}

/// A half-open range `from <= x < to` for a code prefix (`to` absent: no upper end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixRange {
    pub from: String,
    pub to: Option<String>,
}

impl PrefixRange {
    pub fn new(prefix: &str) -> Self {
        PrefixRange {
            from: prefix.to_string(),
            to: crate::domain::category::prefix_upper_bound(prefix),
        }
    }
}

/// Search order; each is a total order (ties broken by id) so that keyset pages are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Newest first (id descending).
    Newest,
    PriceAsc,
    PriceDesc,
    Name,
}

/// Where the previous page ended, in the sort's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum After {
    Id(i64),
    Price(i64, i64),
    Name(String, i64),
}

/// Search filters; all optional and combined with AND.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Each term must occur in the name or the spec (substring, case-insensitive).
    pub terms: Vec<String>,
    pub category: Option<PrefixRange>,
    pub region: Option<PrefixRange>,
    pub supplier_id: Option<String>,
    pub supplier_scales: Vec<String>,
    /// Manufacturer of one of these scales.
    pub manufacturer_scales: Vec<String>,
    pub min_price_fen: Option<i64>,
    pub max_price_fen: Option<i64>,
    pub active: Option<bool>,
    pub unit: Option<String>,
}

/// `%`, `_` and `\` taken literally in a LIKE pattern (SQLite: with `ESCAPE '\'`; backslash is
/// PostgreSQL's default escape).
fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

type BoxedProducts<'a> = products::BoxedQuery<'a, super::connection::MultiBackend>;

/// Applies a [`Filter`] to a boxed query over `products` (alone or joined with its price
/// history): one definition for the search, the market prices and the history window.
macro_rules! apply_filter {
    ($query:expr, $filter:expr, $sqlite:expr) => {{
        let filter: &Filter = $filter;
        let sqlite: bool = $sqlite;
        let mut query = $query;
        for term in &filter.terms {
            let pattern = format!("%{}%", like_literal(term));
            query = if sqlite {
                // The exact test; the trigram index only narrows the candidates (see `fts_match`).
                query.filter(
                    sql::<Bool>("(products.name LIKE ")
                        .bind::<Text, _>(pattern.clone())
                        .sql(" ESCAPE '\\' OR products.spec LIKE ")
                        .bind::<Text, _>(pattern)
                        .sql(" ESCAPE '\\')"),
                )
            } else {
                // The expression of the pg_trgm index `products_search` (backslash is
                // PostgreSQL's default LIKE escape; an ESCAPE clause would wrap the pattern in
                // a function call).
                query.filter(
                    sql::<Bool>("(products.name || ' ' || products.spec) ILIKE ")
                        .bind::<Text, _>(pattern),
                )
            };
        }
        if let Some(range) = &filter.category {
            query = query.filter(products::category_code.ge(range.from.clone()));
            if let Some(to) = &range.to {
                query = query.filter(products::category_code.lt(to.clone()));
            }
        }
        if let Some(range) = &filter.region {
            query = query.filter(products::region.ge(range.from.clone()));
            if let Some(to) = &range.to {
                query = query.filter(products::region.lt(to.clone()));
            }
        }
        if let Some(supplier) = &filter.supplier_id {
            query = query.filter(products::supplier_id.eq(supplier.clone()));
        }
        if !filter.supplier_scales.is_empty() {
            query = query.filter(
                products::supplier_id.eq_any(
                    enterprises::table
                        .select(enterprises::id)
                        .filter(enterprises::scale.eq_any(filter.supplier_scales.clone())),
                ),
            );
        }
        if !filter.manufacturer_scales.is_empty() {
            query = query.filter(
                products::manufacturer_id.eq_any(
                    enterprises::table
                        .select(enterprises::id.nullable())
                        .filter(enterprises::scale.eq_any(filter.manufacturer_scales.clone())),
                ),
            );
        }
        if let Some(min) = filter.min_price_fen {
            query = query.filter(products::price_fen.ge(min));
        }
        if let Some(max) = filter.max_price_fen {
            query = query.filter(products::price_fen.le(max));
        }
        if let Some(active) = filter.active {
            query = query.filter(products::active.eq(active));
        }
        if let Some(unit) = &filter.unit {
            query = query.filter(products::unit.eq(unit.clone()));
        }
        query
    }};
}

/// An FTS5 MATCH expression that every row containing all the terms satisfies: the AND of
/// the trigrams of each term of 3+ characters (`detail=none` cannot match phrases, and the
/// exact LIKE test follows anyway). `None` when no term is long enough to use the index.
fn fts_match(terms: &[String]) -> Option<String> {
    let mut grams: Vec<String> = Vec::new();
    for term in terms {
        let chars: Vec<char> = term.chars().collect();
        for window in chars.windows(3) {
            let gram: String = window.iter().collect();
            let quoted = format!("\"{}\"", gram.replace('"', "\"\""));
            if !grams.contains(&quoted) {
                grams.push(quoted);
            }
        }
    }
    (!grams.is_empty()).then(|| grams.join(" AND "))
}

/// The filtered products; on SQLite the keyword terms are narrowed by the trigram index first.
fn filtered<'a>(filter: &'a Filter, sqlite: bool) -> BoxedProducts<'a> {
    let query = apply_filter!(products::table.into_boxed(), filter, sqlite);
    match fts_match(&filter.terms).filter(|_| sqlite) {
        Some(expr) => query.filter(
            sql::<Bool>("products.id IN (SELECT rowid FROM products_fts WHERE products_fts MATCH ")
                .bind::<Text, _>(expr)
                .sql(")"),
        ),
        None => query,
    }
}

/// One page of search results in `sort` order after `after` (keyset: no OFFSET, so a deep
/// page costs what the first does).
pub fn search(
    conn: &mut DbConnection,
    filter: &Filter,
    sort: Sort,
    after: Option<&After>,
    limit: i64,
) -> QueryResult<Vec<Product>> {
    let sqlite = matches!(conn, DbConnection::Sqlite(_));
    if let (true, Sort::Newest, Some(expr)) = (sqlite, sort, fts_match(&filter.terms)) {
        // Newest first with keywords on SQLite: walk the index in rowid order and stop at the
        // page's end, instead of collecting every match (a common word matches 10 % of a
        // million products).
        let mut query = apply_filter!(
            products::table
                .inner_join(products_fts::table.on(products_fts::rowid.eq(products::id)))
                .select(Product::as_select())
                .into_boxed(),
            filter,
            sqlite
        )
        .filter(sql::<Bool>("products_fts MATCH ").bind::<Text, _>(expr));
        if let Some(After::Id(last)) = after {
            query = query.filter(products_fts::rowid.lt(*last));
        }
        return query
            .order(products_fts::rowid.desc())
            .limit(limit)
            .load(conn);
    }
    let mut query = filtered(filter, sqlite);
    use products::{id, name, price_fen};
    query = match (sort, after) {
        (_, None) => query,
        (Sort::Newest, Some(After::Id(last))) => query.filter(id.lt(*last)),
        (Sort::PriceAsc, Some(After::Price(p, last))) => {
            query.filter(price_fen.gt(*p).or(price_fen.eq(*p).and(id.gt(*last))))
        }
        (Sort::PriceDesc, Some(After::Price(p, last))) => {
            query.filter(price_fen.lt(*p).or(price_fen.eq(*p).and(id.lt(*last))))
        }
        (Sort::Name, Some(After::Name(n, last))) => {
            query.filter(name.gt(n.clone()).or(name.eq(n.clone()).and(id.gt(*last))))
        }
        // The caller checks that the cursor belongs to the sort.
        (_, Some(_)) => return Ok(Vec::new()),
    };
    query = match sort {
        Sort::Newest => query.order(id.desc()),
        Sort::PriceAsc => query.order((price_fen.asc(), id.asc())),
        Sort::PriceDesc => query.order((price_fen.desc(), id.desc())),
        Sort::Name => query.order((name.asc(), id.asc())),
    };
    query.limit(limit).load(conn)
}

/// Current prices of the products matching `filter`, ascending.
pub fn current_prices(conn: &mut DbConnection, filter: &Filter) -> QueryResult<Vec<i64>> {
    let sqlite = matches!(conn, DbConnection::Sqlite(_));
    filtered(filter, sqlite)
        .select(products::price_fen)
        .order(products::price_fen.asc())
        .load(conn)
}

/// Price points recorded since `since` for the products matching `filter`, ascending by price.
pub fn history_prices(
    conn: &mut DbConnection,
    filter: &Filter,
    since: NaiveDateTime,
) -> QueryResult<Vec<i64>> {
    let sqlite = matches!(conn, DbConnection::Sqlite(_));
    apply_filter!(
        price_history::table
            .inner_join(products::table)
            .into_boxed(),
        filter,
        sqlite
    )
    .filter(price_history::recorded_at.ge(since))
    .select(price_history::price_fen)
    .order(price_history::price_fen.asc())
    .load(conn)
}

/// Products in id order after `after`, for streaming exports; optionally one supplier's.
pub fn page_by_id(
    conn: &mut DbConnection,
    supplier_id: Option<&str>,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<Product>> {
    let mut query = products::table.filter(products::id.gt(after)).into_boxed();
    if let Some(s) = supplier_id {
        query = query.filter(products::supplier_id.eq(s.to_string()));
    }
    query.order(products::id.asc()).limit(limit).load(conn)
}
