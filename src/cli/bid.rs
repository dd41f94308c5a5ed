//! `smeproc bid check` and `bid seal`: the offline bid-preparation tool. A supplier checks its
//! bid and seals it to the lot's public key (from the procurement notice) on its own machine;
//! the server stores what it cannot read and checks the bid at the opening.

use super::{out, read_input, CliError, CliResult};
use crate::service::procurement::bids::{check_offline, seal_locally, LocalSealError};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum BidCommand {
    /// Check a bid (the shape of POST /api/v1/lots/{id}/bids) without the registry: fields,
    /// price, credit codes, shares.
    #[command(
        after_help = "Example:\n  smeproc bid check --credit-code 91650100MA77XXXXXX --bid bid.json"
    )]
    Check(CheckArgs),
    /// Check a bid and seal it to the lot's public key: prints (or writes) the sealed file, to
    /// submit with POST /api/v1/lots/{id}/sealed-bids {"sealed": "…"}.
    #[command(
        after_help = "Example:\n  smeproc bid seal --lot 0193… --lot-key 5f2c… --credit-code 91650100MA77XXXXXX --bid bid.json -o sealed.bid\n  curl -H \"authorization: Bearer $TOKEN\" -H 'content-type: application/json' \\\n    -d \"{\\\"sealed\\\": \\\"$(cat sealed.bid)\\\"}\" $API/lots/0193…/sealed-bids"
    )]
    Seal(SealArgs),
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
    /// Write the sealed file here instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
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
            let sealed = seal_locally(&args.lot, &args.lot_key, &args.check.credit_code, &bid)
                .map_err(problems)?;
            match args.output {
                None => out(format_args!("{sealed}")),
                Some(path) => {
                    use anyhow::Context;
                    std::fs::write(&path, format!("{sealed}\n"))
                        .with_context(|| format!("writing {}", path.display()))?;
                    out(format_args!("sealed to {}", path.display()))
                }
            }
        }
    }
}
