//! Reading the CSV files of CONTRACTS.md: UTF-8 (with or without BOM) or GB18030, a header row
//! with the columns in any order, and problems reported by line and column. Files are read as a
//! stream, one record at a time.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

/// Source encodings we accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Gb18030,
}

impl std::str::FromStr for Encoding {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Ok(Encoding::Utf8),
            "gb18030" | "gbk" | "gb2312" => Ok(Encoding::Gb18030),
            other => Err(format!(
                "unknown encoding {other:?}; expected utf-8 or gb18030"
            )),
        }
    }
}

/// One problem in a file: 1-based line (the header is line 1), column name, reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct RowProblem {
    pub line: u64,
    pub column: String,
    pub reason: String,
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.reason
        )
    }
}

/// A CSV reader over the decoded text (GB18030 is decoded to UTF-8 on the fly; a UTF-8 BOM is
/// skipped).
pub fn open(path: &Path, encoding: Encoding) -> std::io::Result<csv::Reader<Box<dyn Read>>> {
    let file = std::fs::File::open(path)?;
    let source: Box<dyn Read> = match encoding {
        Encoding::Utf8 => Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(None)
                .bom_override(true)
                .utf8_passthru(true)
                .strip_bom(true)
                .build(std::io::BufReader::with_capacity(1 << 16, file)),
        ),
        Encoding::Gb18030 => Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding_rs::GB18030))
                .build(std::io::BufReader::with_capacity(1 << 16, file)),
        ),
    };
    Ok(csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(source))
}

/// Column positions by name, checked against the required and optional names.
#[derive(Debug, Clone)]
pub struct Columns {
    index: HashMap<String, usize>,
}

impl Columns {
    /// Reads the header; unknown, duplicate and missing required columns are problems on line 1.
    pub fn from_header(
        headers: &csv::StringRecord,
        required: &[&str],
        optional: &[&str],
    ) -> Result<Self, Vec<RowProblem>> {
        let mut index = HashMap::new();
        let mut problems = Vec::new();
        let header_problem = |column: &str, reason: String| RowProblem {
            line: 1,
            column: column.to_string(),
            reason,
        };
        for (i, name) in headers.iter().enumerate() {
            let name = name.trim();
            if !required.contains(&name) && !optional.contains(&name) {
                problems.push(header_problem(name, "unknown column".into()));
            } else if index.insert(name.to_string(), i).is_some() {
                problems.push(header_problem(name, "column given twice".into()));
            }
        }
        for name in required {
            if !index.contains_key(*name) {
                problems.push(header_problem(name, "required column missing".into()));
            }
        }
        if problems.is_empty() {
            Ok(Columns { index })
        } else {
            Err(problems)
        }
    }

    /// The value of `column` in `record`, `None` when the column is absent or the cell empty.
    pub fn get<'r>(&self, record: &'r csv::StringRecord, column: &str) -> Option<&'r str> {
        self.index
            .get(column)
            .and_then(|&i| record.get(i))
            .filter(|v| !v.is_empty())
    }
}

/// A CSV error (bad UTF-8, wrong number of fields) as a row problem.
pub fn csv_problem(error: &csv::Error, fallback_line: u64) -> RowProblem {
    let line = error.position().map_or(fallback_line, |p| p.line());
    let reason = match error.kind() {
        csv::ErrorKind::Utf8 { .. } => {
            "not valid UTF-8 (a GB18030 file: --encoding gb18030 on the command line, ?encoding=gb18030 over HTTP)".to_string()
        }
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("{len} fields, but the header has {expected_len}")
        }
        _ => error.to_string(),
    };
    RowProblem {
        line,
        column: "*".into(),
        reason,
    }
}

/// Why an import wrote nothing.
#[derive(Debug)]
pub enum ImportError {
    /// Every problem found, by line and column.
    Invalid(Vec<RowProblem>),
    Failed(crate::error::Error),
}

/// For HTTP: bad rows are a 422 naming each row, anything else its own error.
impl From<ImportError> for crate::error::Error {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Invalid(rows) => crate::error::Error::InvalidRows(rows),
            ImportError::Failed(e) => e,
        }
    }
}

impl From<diesel::result::Error> for ImportError {
    fn from(e: diesel::result::Error) -> Self {
        ImportError::Failed(e.into())
    }
}

/// Writes refused rows as CSV (UTF-8 with BOM): the original columns and an `error` column.
pub fn write_rejects(
    out: impl std::io::Write,
    headers: &csv::StringRecord,
    rejected: &[(csv::StringRecord, Vec<RowProblem>)],
) -> csv::Result<()> {
    let mut out = out;
    out.write_all("\u{feff}".as_bytes())?;
    let mut writer = csv::Writer::from_writer(out);
    let mut header: Vec<&str> = headers.iter().collect();
    header.push("error");
    writer.write_record(&header)?;
    for (record, problems) in rejected {
        let error = problems
            .iter()
            .map(|p| format!("line {}, {}: {}", p.line, p.column, p.reason))
            .collect::<Vec<_>>()
            .join("; ");
        let mut row: Vec<&str> = record.iter().collect();
        row.push(&error);
        writer.write_record(&row)?;
    }
    writer.flush()?;
    Ok(())
}
