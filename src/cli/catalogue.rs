//! `smeproc catalogue import|export`: the catalogue CSV of CONTRACTS.md.

use super::accounts::{cli_error, connect, import_failed, write_rejects};
use super::{CliError, CliResult};
use crate::clock::SystemClock;
use crate::config::Settings;
use crate::service::Actor;
use crate::wire::csv::Encoding;
use anyhow::Context;
use clap::Subcommand;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum CatalogueCommand {
    /// Import products: supplier_credit_code, sku, name, category_code, unit, price (yuan), and
    /// optional spec, manufacturer_credit_code, region, currency. Upsert by (supplier, sku); a
    /// price change is recorded in the history. All or nothing unless --skip-invalid.
    #[command(
        after_help = "Examples:\n  smeproc catalogue import products.csv\n  smeproc catalogue import products-gbk.csv --encoding gb18030\n  smeproc catalogue import products.csv --skip-invalid --rejects rejected.csv"
    )]
    Import {
        file: PathBuf,
        /// utf-8 (with or without BOM) or gb18030.
        #[arg(long, default_value = "utf-8")]
        encoding: String,
        /// Import the good rows and write the bad ones to --rejects.
        #[arg(long, requires = "rejects")]
        skip_invalid: bool,
        /// Where refused rows go, with an `error` column (UTF-8 with BOM).
        #[arg(long, requires = "skip_invalid")]
        rejects: Option<PathBuf>,
    },
    /// Export the catalogue as CSV (UTF-8 with BOM, the import's columns), to standard output
    /// unless --output is given.
    #[command(
        after_help = "Examples:\n  smeproc catalogue export --output catalogue.csv\n  smeproc catalogue export --supplier 91650100MA7766554R > ours.csv"
    )]
    Export {
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Only this supplier's products (credit code).
        #[arg(long)]
        supplier: Option<String>,
    },
}

pub fn catalogue(settings: Settings, cmd: CatalogueCommand) -> CliResult {
    match cmd {
        CatalogueCommand::Import {
            file,
            encoding,
            skip_invalid,
            rejects,
        } => import(&settings, &file, &encoding, skip_invalid, rejects),
        CatalogueCommand::Export { output, supplier } => export(&settings, output, supplier),
    }
}

/// A progress bar on a terminal (rows/s, ETA by bytes read); nothing when stderr is piped.
fn progress_bar(file_len: u64) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(file_len);
    let style = indicatif::ProgressStyle::with_template(
        "{bar:40} {percent:>3}% {msg} · ETA {eta} ({elapsed})",
    )
    .ok()?;
    bar.set_style(style);
    Some(bar)
}

fn import(
    settings: &Settings,
    file: &PathBuf,
    encoding: &str,
    skip_invalid: bool,
    rejects: Option<PathBuf>,
) -> CliResult {
    let encoding: Encoding = encoding
        .parse()
        .map_err(|e: String| CliError::invalid(format!("--encoding: {e}")))?;
    let mut reader = crate::wire::csv::open(file, encoding)
        .with_context(|| format!("opening {}", file.display()))?;
    let file_len = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    let bar = progress_bar(file_len);
    let started = std::time::Instant::now();
    let mut progress = |rows: u64, byte: u64| {
        if let Some(bar) = &bar {
            bar.set_position(byte.min(file_len));
            let rate = rows as f64 / started.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!("{rows} rows, {rate:.0} rows/s"));
        }
    };
    let mut conn = connect(settings)?;
    let result = crate::service::imports::products::import(
        &mut conn,
        &SystemClock,
        &Actor::Cli,
        &mut reader,
        skip_invalid,
        &mut progress,
    );
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(e) => return Err(import_failed(file, e)),
    };
    if let Some(path) = rejects {
        write_rejects(&path, &mut reader, &outcome.rejected)?;
    }
    let s = &outcome.summary;
    super::out(format_args!(
        "{} row(s): {} inserted, {} updated ({} price change(s)), {} unchanged, {} rejected ({:.1} s)",
        s.rows,
        s.inserted,
        s.updated,
        s.price_changes,
        s.unchanged,
        s.rejected,
        started.elapsed().as_secs_f64()
    ))?;
    Ok(())
}

fn export(settings: &Settings, output: Option<PathBuf>, supplier: Option<String>) -> CliResult {
    let mut conn = connect(settings)?;
    let supplier_id = match supplier {
        None => None,
        Some(code) => Some(
            crate::service::registry::id_of_code(&mut conn, &code, "--supplier")
                .map_err(cli_error)?,
        ),
    };
    let rows = match &output {
        Some(path) => {
            // Written beside the target and renamed: a failed export leaves no half file.
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let mut tmp = tempfile::NamedTempFile::new_in(dir)
                .with_context(|| format!("creating a file in {}", dir.display()))?;
            let rows = {
                let mut out = std::io::BufWriter::new(tmp.as_file_mut());
                let rows = crate::service::imports::products::export(
                    &mut conn,
                    supplier_id.as_deref(),
                    &mut out,
                )
                .map_err(cli_error)?;
                out.flush().context("writing the export")?;
                rows
            };
            tmp.persist(path)
                .with_context(|| format!("writing {}", path.display()))?;
            rows
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let rows = crate::service::imports::products::export(
                &mut conn,
                supplier_id.as_deref(),
                &mut out,
            )
            .map_err(|e| match e {
                crate::error::Error::Internal(inner)
                    if inner
                        .root_cause()
                        .downcast_ref::<std::io::Error>()
                        .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
                {
                    super::CliError::OutputClosed
                }
                other => cli_error(other),
            })?;
            out.flush().map_err(super::output_error)?;
            rows
        }
    };
    eprintln!("exported {rows} product(s)");
    Ok(())
}
