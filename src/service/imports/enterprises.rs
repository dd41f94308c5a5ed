//! The enterprise CSV of CONTRACTS.md (`smeproc enterprise import`).

use crate::clock::Clock;
use crate::db::enterprises::{self as repo};
use crate::db::DbConnection;
use crate::error::Error;
use crate::service::audit::{self, Change};
use crate::service::registry::{check_new, EnterpriseInput, EnterpriseView};
use crate::service::Actor;
pub use crate::wire::csv::ImportError;
use std::collections::HashMap;

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    pub imported: u64,
    /// Rows refused (only with `skip_invalid`; otherwise any problem aborts the import).
    pub rejected: Vec<(csv::StringRecord, Vec<crate::wire::csv::RowProblem>)>,
}

const IMPORT_REQUIRED: [&str; 6] = [
    "credit_code",
    "name",
    "industry",
    "employees",
    "revenue_wan",
    "assets_wan",
];

const IMPORT_OPTIONAL: [&str; 2] = ["region", "large_firm_relation"];

/// `smeproc enterprise import`: registers every row of an enterprise CSV (CONTRACTS.md) in one
/// transaction. Without `skip_invalid`, any bad row means nothing is written and every problem is
/// returned; with it, good rows are written and bad ones come back with their reasons.
#[tracing::instrument(skip_all)]
pub fn import(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    reader: &mut crate::wire::csv::CsvReader,
    skip_invalid: bool,
) -> std::result::Result<ImportOutcome, ImportError> {
    use crate::wire::csv::{Columns, RowProblem};
    let headers = reader
        .headers()
        .map_err(|e| ImportError::Invalid(vec![e]))?;
    let columns = Columns::from_header(&headers, &IMPORT_REQUIRED, &IMPORT_OPTIONAL)
        .map_err(ImportError::Invalid)?;
    crate::db::write(conn, |conn| {
        let mut outcome = ImportOutcome::default();
        let mut problems: Vec<RowProblem> = Vec::new();
        let mut seen: HashMap<String, u64> = HashMap::new();
        let mut record = csv::StringRecord::new();
        loop {
            let line = match reader.read(&mut record) {
                Ok(None) => break,
                Ok(Some(line)) => line,
                Err(problem) => {
                    // The reader cannot go on past a broken record: report and stop.
                    problems.push(problem);
                    break;
                }
            };
            let hidden = crate::wire::csv::invisible_cells(&headers, &record, line);
            if !hidden.is_empty() {
                if skip_invalid {
                    outcome.rejected.push((record.clone(), hidden));
                } else {
                    problems.extend(hidden);
                }
                continue;
            }
            let row_problems = import_row(conn, clock, actor, &columns, &record, line, &mut seen)?;
            if row_problems.is_empty() {
                outcome.imported += 1;
            } else if skip_invalid {
                outcome.rejected.push((record.clone(), row_problems));
            } else {
                problems.extend(row_problems);
            }
        }
        if problems.is_empty() {
            Ok(outcome)
        } else {
            Err(ImportError::Invalid(problems))
        }
    })
}

/// Checks and inserts one row; returns its problems (nothing inserted when there are any).
fn import_row(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    columns: &crate::wire::csv::Columns,
    record: &csv::StringRecord,
    line: u64,
    seen: &mut HashMap<String, u64>,
) -> std::result::Result<Vec<crate::wire::csv::RowProblem>, ImportError> {
    let now = clock.now_naive();
    use crate::wire::csv::RowProblem;
    let problem = |column: &str, reason: String| RowProblem {
        say: None,
        line,
        column: column.to_string(),
        reason,
    };
    let mut problems = Vec::new();
    let get = |c: &str| columns.get(record, c).map(str::to_string);
    let employees = match columns.get(record, "employees") {
        None => None,
        Some(text) => match text.parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => {
                problems.push(problem(
                    "employees",
                    format!("{text:?} is not a whole number of persons"),
                ));
                None
            }
        },
    };
    let input = EnterpriseInput {
        credit_code: get("credit_code"),
        name: get("name"),
        industry: get("industry"),
        employees,
        revenue_wan: get("revenue_wan"),
        assets_wan: get("assets_wan"),
        region: get("region"),
        large_firm_relation: get("large_firm_relation"),
    };
    if let Some(code) = input.credit_code.as_deref() {
        if let Some(first) = seen.get(code) {
            problems.push(problem(
                "credit_code",
                format!("{code} is already on line {first}"),
            ));
        }
    }
    // Every problem of the row, not just the first; a cell already reported is not reported
    // again as missing.
    let reported: Vec<String> = problems.iter().map(|p| p.column.clone()).collect();
    match check_new(conn, &input, "", now) {
        Ok(e) if problems.is_empty() => {
            seen.insert(e.credit_code.clone(), line);
            repo::insert(conn, &e)?;
            let view = EnterpriseView::new(e.clone(), true);
            audit::record(
                conn,
                clock,
                Change::new(actor.audit_id(), "enterprise.import", "enterprise", &e.id)
                    .after(&view),
            )
            .map_err(ImportError::Failed)?;
        }
        Ok(_) => {}
        Err(Error::Validation(list)) => problems.extend(
            list.into_iter()
                .filter(|p| !reported.contains(&p.field))
                .map(|p| problem(&p.field, p.message)),
        ),
        Err(Error::Conflict(_, reason)) => problems.push(problem("credit_code", reason.text)),
        Err(other) => return Err(ImportError::Failed(other)),
    }
    Ok(problems)
}
