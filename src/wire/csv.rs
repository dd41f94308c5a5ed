//! Reading the CSV files of CONTRACTS.md: UTF-8 (with or without BOM) or GB18030, a header row
//! with the columns in any order, and problems reported by line and column. Files are read as a
//! stream, one record at a time.

use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::path::Path;
use std::sync::{Arc, Mutex};

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

pub use crate::error::RowProblem;

/// A CSV file being read: its records with the line each starts on.
///
/// The CSV parser's own line count is one short for every CRLF record before the current one
/// (it counts `\n` only once the next record is read), so lines are counted here, on the
/// decoded text as it passes to the parser: `\r\n`, `\n` and a lone `\r` are one line break
/// each. A record's first line is the line its last byte is on, less the line breaks inside
/// its quoted fields; the header is line 1 whatever the line ends, a BOM or the encoding.
pub struct CsvReader {
    csv: csv::Reader<Counting>,
    breaks: Arc<Mutex<LineBreaks>>,
}

/// Where line breaks start in the decoded text, for the part the parser has not passed yet.
#[derive(Default)]
struct LineBreaks {
    /// Offsets of line breaks not yet counted.
    pending: VecDeque<u64>,
    /// Line breaks before the parser's position.
    counted: u64,
    /// The offset of the last counted line break.
    last: Option<u64>,
}

impl LineBreaks {
    /// Counts the line breaks that start before `position`.
    fn before(&mut self, position: u64) -> u64 {
        while self.pending.front().is_some_and(|&at| at < position) {
            self.last = self.pending.pop_front();
            self.counted += 1;
        }
        self.counted
    }
}

/// The decoded text, with its line breaks noted as the parser reads it.
struct Counting {
    inner: Box<dyn Read>,
    offset: u64,
    after_cr: bool,
    breaks: Arc<Mutex<LineBreaks>>,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut breaks = self.breaks.lock().unwrap_or_else(|p| p.into_inner());
        for (i, &b) in buf[..n].iter().enumerate() {
            match b {
                b'\r' => {
                    breaks.pending.push_back(self.offset + i as u64);
                    self.after_cr = true;
                }
                b'\n' => {
                    if !self.after_cr {
                        breaks.pending.push_back(self.offset + i as u64);
                    }
                    self.after_cr = false;
                }
                _ => self.after_cr = false,
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// Line breaks inside the fields of a record (quoted fields may hold them).
fn breaks_within(record: &csv::StringRecord) -> u64 {
    record
        .iter()
        .map(|field| {
            let bytes = field.as_bytes();
            bytes
                .iter()
                .enumerate()
                .filter(|&(i, &b)| (b == b'\n' && (i == 0 || bytes[i - 1] != b'\r')) || b == b'\r')
                .count() as u64
        })
        .sum()
}

impl CsvReader {
    fn new(source: Box<dyn Read>) -> Self {
        let breaks = Arc::new(Mutex::new(LineBreaks::default()));
        let counting = Counting {
            inner: source,
            offset: 0,
            after_cr: false,
            breaks: breaks.clone(),
        };
        // Untrimmed while reading, so that line breaks at the edge of a quoted field are
        // still counted; every field is trimmed after.
        let csv = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .trim(csv::Trim::None)
            .from_reader(counting);
        CsvReader { csv, breaks }
    }

    /// The header row (line 1), trimmed.
    pub fn headers(&mut self) -> Result<csv::StringRecord, RowProblem> {
        let mut headers = self.csv.headers().map_err(|e| csv_problem(&e, 1))?.clone();
        headers.trim();
        Ok(headers)
    }

    /// The 1-based line the record just read (or refused) starts on.
    fn line_of(&mut self, record: &csv::StringRecord) -> u64 {
        let position = self.csv.position().byte();
        let mut breaks = self.breaks.lock().unwrap_or_else(|p| p.into_inner());
        let counted = breaks.before(position);
        let ended_by_break = position > 0 && breaks.last == Some(position - 1);
        let last_line = if ended_by_break { counted } else { counted + 1 };
        last_line.saturating_sub(breaks_within(record)).max(2)
    }

    /// Reads the next record into `record` (trimmed, spreadsheet-formula guards undone):
    /// `Ok(Some(line))` with its first line, `Ok(None)` at the end, or the problem of a record
    /// the parser cannot read (the reader cannot go on past it).
    pub fn read(&mut self, record: &mut csv::StringRecord) -> Result<Option<u64>, RowProblem> {
        match self.csv.read_record(record) {
            Ok(false) => Ok(None),
            Ok(true) => {
                let line = self.line_of(record);
                record.trim();
                if record.iter().any(|f| restore(f).is_some()) {
                    let fields: Vec<String> = record
                        .iter()
                        .map(|f| restore(f).map_or_else(|| f.to_string(), str::to_string))
                        .collect();
                    *record = csv::StringRecord::from(fields);
                }
                Ok(Some(line))
            }
            Err(e) => {
                let line = self.line_of(record);
                let mut problem = csv_problem(&e, line);
                problem.line = line;
                Err(problem)
            }
        }
    }

    /// Bytes of decoded text read so far (for progress).
    pub fn byte(&self) -> u64 {
        self.csv.position().byte()
    }
}

/// A CSV reader over the decoded text (GB18030 is decoded to UTF-8 on the fly; a UTF-8 BOM is
/// skipped).
pub fn open(path: &Path, encoding: Encoding) -> std::io::Result<CsvReader> {
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
    Ok(CsvReader::new(source))
}

/// The characters that make a spreadsheet read a cell as a formula (OWASP's CSV injection
/// rule): `=`, `+`, `-`, `@`, tab and carriage return.
fn formula_start(c: char) -> bool {
    matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r')
}

/// A cell as written to a CSV file: one that a spreadsheet would run as a formula gets a
/// leading `'`. A cell already starting with apostrophes before such a character gets one more,
/// so that [`restore`] (on import) gives back exactly the original: export → import is lossless.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    let rest = cell.trim_start_matches('\'');
    if rest.starts_with(formula_start) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// Undoes [`neutralise`]: a cell of one or more apostrophes then a formula character loses one
/// apostrophe. `None` when the cell is as it was.
pub fn restore(cell: &str) -> Option<&str> {
    let rest = cell.trim_start_matches('\'');
    (rest.len() < cell.len() && rest.starts_with(formula_start)).then(|| &cell[1..])
}

/// Writes one CSV record with every cell [`neutralise`]d.
pub fn write_safe<W: std::io::Write, I, T>(writer: &mut csv::Writer<W>, cells: I) -> csv::Result<()>
where
    I: IntoIterator<Item = T>,
    T: AsRef<str>,
{
    let cells: Vec<String> = cells
        .into_iter()
        .map(|c| neutralise(c.as_ref()).into_owned())
        .collect();
    writer.write_record(&cells)
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
            say: None,
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

/// The cells of a record holding a character no text may hold ([`crate::domain::text`]),
/// named by line and column.
pub fn invisible_cells(
    headers: &csv::StringRecord,
    record: &csv::StringRecord,
    line: u64,
) -> Vec<RowProblem> {
    record
        .iter()
        .enumerate()
        .filter_map(|(i, cell)| {
            crate::domain::text::invisible(cell).map(|c| RowProblem {
                say: None,
                line,
                column: headers.get(i).unwrap_or("*").to_string(),
                reason: crate::domain::text::invisible_problem(c),
            })
        })
        .collect()
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
        say: None,
        line,
        column: "*".into(),
        reason,
    }
}

pub use crate::error::ImportError;

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
    write_safe(&mut writer, &header)?;
    for (record, problems) in rejected {
        let error = problems
            .iter()
            .map(|p| format!("line {}, {}: {}", p.line, p.column, p.reason))
            .collect::<Vec<_>>()
            .join("; ");
        let mut row: Vec<&str> = record.iter().collect();
        row.push(&error);
        write_safe(&mut writer, &row)?;
    }
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first line of every record, and the problem line where the parser stops.
    fn lines(text: &[u8]) -> Vec<Result<(u64, Vec<String>), u64>> {
        let source: Box<dyn Read> = Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(None)
                .bom_override(true)
                .utf8_passthru(true)
                .strip_bom(true)
                .build(std::io::Cursor::new(text.to_vec())),
        );
        let mut reader = CsvReader::new(source);
        reader.headers().unwrap();
        let mut out = Vec::new();
        let mut record = csv::StringRecord::new();
        loop {
            match reader.read(&mut record) {
                Ok(None) => break,
                Ok(Some(line)) => out.push(Ok((line, record.iter().map(String::from).collect()))),
                Err(p) => {
                    out.push(Err(p.line));
                    break;
                }
            }
        }
        out
    }

    fn firsts(text: &str) -> Vec<u64> {
        lines(text.as_bytes())
            .into_iter()
            .map(|r| r.map(|(l, _)| l).unwrap_or_else(|l| l))
            .collect()
    }

    #[test]
    fn the_header_is_line_1_whatever_the_line_ends() {
        for (ends, text) in [
            ("LF", "a,b\n1,2\n3,4\n5,6\n"),
            ("CRLF", "a,b\r\n1,2\r\n3,4\r\n5,6\r\n"),
            ("CR", "a,b\r1,2\r3,4\r5,6\r"),
            ("CRLF, no final break", "a,b\r\n1,2\r\n3,4\r\n5,6"),
            ("BOM + CRLF", "\u{feff}a,b\r\n1,2\r\n3,4\r\n5,6\r\n"),
        ] {
            assert_eq!(firsts(text), vec![2, 3, 4], "{ends}");
        }
    }

    #[test]
    fn quoted_line_breaks_and_blank_lines_keep_the_count() {
        // Line 2 holds a field over three lines; the next record starts on line 5.
        let text = "a,b\r\n\"x\r\ny\nz\",1\r\n\"q\",\"\r\nlead\"\r\n\r\n\r\n7,8\r\n";
        assert_eq!(firsts(text), vec![2, 5, 9]);
        let text = "a,b\n\"two\nlines\",1\n3,4\n";
        assert_eq!(firsts(text), vec![2, 4]);
    }

    #[test]
    fn a_record_the_parser_refuses_is_named_by_its_own_line() {
        let text = "a,b\r\n1,2\r\n3,4\r\n5,6\r\n7\r\n";
        assert_eq!(firsts(text), vec![2, 3, 4, 5]);
    }

    #[test]
    fn gb18030_counts_like_utf8() {
        let (bytes, _, _) = encoding_rs::GB18030.encode("名称,价格\r\n打印机,1\r\n扫描仪,x\r\n");
        let source: Box<dyn Read> = Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding_rs::GB18030))
                .build(std::io::Cursor::new(bytes.into_owned())),
        );
        let mut reader = CsvReader::new(source);
        assert_eq!(reader.headers().unwrap().get(0), Some("名称"));
        let mut record = csv::StringRecord::new();
        assert_eq!(reader.read(&mut record).unwrap(), Some(2));
        assert_eq!(reader.read(&mut record).unwrap(), Some(3));
        assert_eq!(record.get(0), Some("扫描仪"));
    }

    #[test]
    fn formula_cells_are_neutralised_and_restored_exactly() {
        for original in [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-20°C",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "'=already quoted",
            "''+twice",
            "plain",
            "it's fine",
            "'not a formula",
            "",
        ] {
            let written = neutralise(original);
            let dangerous = original.trim_start_matches('\'').starts_with(formula_start);
            assert_eq!(
                written.starts_with('\''),
                dangerous || original.starts_with('\''),
                "{original:?}"
            );
            if dangerous {
                assert!(written.starts_with('\''), "{original:?} is written inert");
            }
            let read = restore(&written).unwrap_or(&written);
            assert_eq!(read, original, "{original:?} survives export → import");
        }
        assert_eq!(neutralise("=1+1"), "'=1+1");
        assert_eq!(restore("plain"), None);
    }
}
