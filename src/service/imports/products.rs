//! The catalogue CSV of CONTRACTS.md: import (all or nothing, or skipping bad rows) and export.

use crate::clock::Clock;
use crate::db::products::{self as repo, Product, ProductRow};
use crate::db::{self, DbConnection};
use crate::domain::Fen;
use crate::error::{Error, Result};
use crate::service::audit::{self, Change};
use crate::service::catalogue::{check, Enterprises, ProductInput, Writer};
use crate::service::Actor;
use crate::wire::csv::{Columns, ImportError, RowProblem};
use crate::wire::FieldProblem;
use chrono::NaiveDateTime;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

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
    actor: Writer<'a>,
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
                    say: None,
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
#[tracing::instrument(skip_all)]
pub fn import(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    reader: &mut crate::wire::csv::CsvReader,
    skip_invalid: bool,
    progress: &mut dyn FnMut(u64, u64),
) -> std::result::Result<ImportOutcome, ImportError> {
    let writer = Writer::of(actor).map_err(ImportError::Failed)?;
    let who = actor.audit_id();
    let headers = reader
        .headers()
        .map_err(|e| ImportError::Invalid(vec![e]))?;
    let columns = Columns::from_header(&headers, &CSV_REQUIRED, &CSV_OPTIONAL)
        .map_err(ImportError::Invalid)?;
    db::write(conn, |conn| {
        let mut state = ImportState {
            actor: writer,
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
                        say: p.say,
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
                Err(Error::Forbidden(crate::error::Reason { text, say })) => state.refuse(
                    &record,
                    vec![RowProblem {
                        say,
                        line,
                        column: "supplier_credit_code".into(),
                        reason: text,
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
#[tracing::instrument(skip_all)]
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
