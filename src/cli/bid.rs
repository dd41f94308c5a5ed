//! `smeproc bid check`, `bid seal` and `bid submit`: the offline bid-preparation tool. A
//! supplier checks its bid and seals it — with its documents — to the lot's public key (from the
//! procurement notice) on its own machine, then submits what the server cannot read; the server
//! checks the bid at the opening.

use super::remote::{Remote, RemoteArgs};
use super::{out, read_input, CliError, CliResult};
use crate::service::procurement::bids::{check_offline, seal_locally, LocalSealError};
use crate::service::procurement::documents::{self, DocumentRef};
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum BidCommand {
    /// Check a bid (the shape of POST /api/v1/lots/{id}/bids) without the registry: fields,
    /// price, credit codes, shares.
    #[command(
        after_help = "Example:\n  smeproc bid check --credit-code 91650100MA77XXXXXX --bid bid.json"
    )]
    Check(CheckArgs),
    /// Check a bid and seal it, with its documents, to the lot's public key: writes the sealed
    /// bid and, for each --file, a sealed document beside it (OUTPUT.1.sealed-doc, …).
    #[command(
        after_help = "Example:\n  smeproc bid seal --lot 0193… --lot-key 5f2c… --credit-code 91650100MA77XXXXXX --bid bid.json \\\n    --file technical=技术方案.pdf --file price_schedule=开标一览表.pdf -o sealed.bid\n  smeproc bid submit --server https://smeproc.example.gov.cn --lot 0193… sealed.bid\n\nWithout documents the sealed text can also be sent as JSON:\n  curl -H \"authorization: Bearer $TOKEN\" -H 'content-type: application/json' \\\n    -d \"{\\\"sealed\\\": \\\"$(cat sealed.bid)\\\"}\" $API/lots/0193…/sealed-bids"
    )]
    Seal(SealArgs),
    /// Submit a sealed bid and its sealed documents (as `bid seal` wrote them) to the server;
    /// prints the receipt. The token: --token-file, or SMEPROC_TOKEN.
    #[command(
        after_help = "Example:\n  SMEPROC_TOKEN=$(cat token) smeproc bid submit --server https://smeproc.example.gov.cn --lot 0193… sealed.bid"
    )]
    Submit(SubmitArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The bidding enterprise's 统一社会信用代码.
    #[arg(long)]
    pub credit_code: String,
    /// The bid as JSON (or - for standard input).
    #[arg(long)]
    pub bid: PathBuf,
}

#[derive(Debug, Args)]
pub struct SealArgs {
    /// The lot's id.
    #[arg(long)]
    pub lot: String,
    /// The lot's public key (hex), as the procurement notice gives it (lots[].sealing.public_key).
    #[arg(long)]
    pub lot_key: String,
    #[command(flatten)]
    pub check: CheckArgs,
    /// A document of the bid, KIND=PATH (kinds: technical, qualification, price_schedule,
    /// other); repeat for more. Needs --output.
    #[arg(long = "file", value_name = "KIND=PATH")]
    pub files: Vec<String>,
    /// The largest document accepted, in bytes (the server's SMEPROC_DOCUMENT_MAX_BYTES).
    #[arg(long, default_value_t = 50 * 1024 * 1024)]
    pub max_file_bytes: u64,
    /// Write the sealed bid here instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SubmitArgs {
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// The lot's id.
    #[arg(long)]
    pub lot: String,
    /// The sealed bid (`bid seal -o`); its sealed documents are taken from beside it.
    pub sealed: PathBuf,
}

fn problems(e: LocalSealError) -> CliError {
    match e {
        LocalSealError::Input(m) => CliError::invalid(m),
        LocalSealError::Problems(list) => CliError::Invalid(
            list.into_iter()
                .map(|p| format!("{}: {}", p.field, p.message))
                .collect(),
        ),
    }
}

fn read_bid(path: &PathBuf) -> Result<serde_json::Value, CliError> {
    let bytes = read_input(path)?;
    serde_json::from_slice(&bytes)
        .map_err(|e| CliError::invalid(format!("{}: not JSON: {e}", path.display())))
}

/// The n-th sealed document written beside a sealed bid.
fn sealed_doc_path(output: &Path, n: usize) -> PathBuf {
    let mut name = output.as_os_str().to_owned();
    name.push(format!(".{n}.sealed-doc"));
    PathBuf::from(name)
}

/// Seals each `KIND=PATH` beside `output`; a failure removes what was written.
fn seal_files(args: &SealArgs, output: &Path) -> Result<Vec<DocumentRef>, CliError> {
    let mut refs = Vec::new();
    let mut written = Vec::new();
    let result = (|| {
        for (i, spec) in args.files.iter().enumerate() {
            let (kind, path) = spec
                .split_once('=')
                .ok_or_else(|| CliError::invalid(format!("--file {spec}: expected KIND=PATH")))?;
            let path = Path::new(path);
            let mut input = std::fs::File::open(path)
                .map_err(|e| CliError::invalid(format!("--file {spec}: {e}")))?;
            let target = sealed_doc_path(output, i + 1);
            let file = std::fs::File::create(&target)
                .map_err(|e| CliError::invalid(format!("{}: {e}", target.display())))?;
            written.push(target.clone());
            let mut file = std::io::BufWriter::new(file);
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let reference = documents::seal_locally(
                &args.lot,
                &args.lot_key,
                kind,
                &name,
                &mut input,
                &mut file,
                args.max_file_bytes,
            )
            .map_err(|m| CliError::invalid(format!("--file {spec}: {m}")))?;
            use std::io::Write;
            file.flush()
                .map_err(|e| CliError::Other(anyhow::anyhow!("{}: {e}", target.display())))?;
            refs.push(reference);
        }
        Ok(())
    })();
    match result {
        Ok(()) => Ok(refs),
        Err(e) => {
            for p in written {
                let _ = std::fs::remove_file(p);
            }
            Err(e)
        }
    }
}

pub fn bid(cmd: BidCommand) -> CliResult {
    match cmd {
        BidCommand::Check(args) => {
            let bid = read_bid(&args.bid)?;
            check_offline(&bid, &args.credit_code).map_err(problems)?;
            out(format_args!(
                "ok: the bid passes the checks that need no registry (the server checks the rest at the opening)"
            ))
        }
        BidCommand::Seal(args) => {
            let bid = read_bid(&args.check.bid)?;
            check_offline(&bid, &args.check.credit_code).map_err(problems)?;
            let refs = match (&args.output, args.files.is_empty()) {
                (_, true) => Vec::new(),
                (Some(output), false) => seal_files(&args, output)?,
                (None, false) => {
                    return Err(CliError::invalid(
                        "--file needs --output: the sealed documents are written beside it",
                    ))
                }
            };
            let count = refs.len();
            let sealed = seal_locally(
                &args.lot,
                &args.lot_key,
                &args.check.credit_code,
                &bid,
                refs,
            )
            .map_err(problems)?;
            match args.output {
                None => out(format_args!("{sealed}")),
                Some(path) => {
                    use anyhow::Context;
                    std::fs::write(&path, format!("{sealed}\n"))
                        .with_context(|| format!("writing {}", path.display()))?;
                    out(format_args!(
                        "sealed to {} with {count} sealed document(s) beside it",
                        path.display()
                    ))
                }
            }
        }
        BidCommand::Submit(args) => {
            let remote = Remote::new(&args.remote)?;
            let sealed = std::fs::read_to_string(&args.sealed)
                .map_err(|e| CliError::invalid(format!("{}: {e}", args.sealed.display())))?;
            let bid = serde_json::json!({ "sealed": sealed.trim() });
            let mut form = reqwest::blocking::multipart::Form::new().text("bid", bid.to_string());
            let mut n = 1;
            while sealed_doc_path(&args.sealed, n).exists() {
                let path = sealed_doc_path(&args.sealed, n);
                form = form
                    .file("document", &path)
                    .map_err(|e| CliError::invalid(format!("{}: {e}", path.display())))?;
                n += 1;
            }
            let receipt =
                remote.post_multipart(&format!("/lots/{}/sealed-bids", args.lot), form)?;
            out(format_args!(
                "{}",
                serde_json::to_string_pretty(&receipt).unwrap_or_default()
            ))
        }
    }
}
