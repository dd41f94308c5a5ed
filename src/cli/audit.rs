//! `smeproc audit`: check the hash chain (against checkpoints kept outside, too), sign the head,
//! and write out the checkpoints for others to keep.

use super::{accounts, CliError, CliResult};
use crate::clock::SystemClock;
use crate::config::Settings;
use crate::service::audit::checkpoints;
use crate::service::auth::keys::ServerKeys;
use anyhow::Context;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain from the first event; exit 0 when intact, 1 naming the first
    /// broken link (an edited, removed or inserted event, a cut-off tail, a missing head). With
    /// --checkpoints, also check the database against signed checkpoints kept outside it.
    #[command(
        after_help = "Examples:\n  smeproc audit verify\n  curl -s https://smeproc.example/api/v1/audit/checkpoints > kept.json\n  smeproc audit verify --checkpoints kept.json"
    )]
    Verify {
        /// Checkpoints kept outside the database: the JSON of GET /api/v1/audit/checkpoints
        /// or of `smeproc audit checkpoints`.
        #[arg(long)]
        checkpoints: Option<PathBuf>,
        /// The checkpoint key to trust (hex); default: this installation's key.
        #[arg(long)]
        public_key: Option<String>,
    },
    /// Sign the audit head now (the server also does it on its own schedule).
    #[command(after_help = "Example:\n  smeproc audit checkpoint")]
    Checkpoint,
    /// Write every checkpoint and the public key as JSON (standard output by default).
    #[command(after_help = "Example:\n  smeproc audit checkpoints --output kept.json")]
    Checkpoints {
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

fn keys(settings: &Settings) -> Result<ServerKeys, CliError> {
    Ok(ServerKeys::load_or_create(&settings.secret_key_file)?)
}

pub fn audit(settings: Settings, cmd: AuditCommand) -> CliResult {
    let mut conn = accounts::connect(&settings)?;
    match cmd {
        AuditCommand::Verify {
            checkpoints: copies,
            public_key,
        } => {
            let started = std::time::Instant::now();
            let report = crate::service::audit::verify(&mut conn).map_err(accounts::cli_error)?;
            let seconds = started.elapsed().as_secs_f64();
            if let Some(b) = report.first_broken {
                return Err(CliError::Other(anyhow::anyhow!(
                    "audit chain broken at event {}: {} ({} events before it are intact)",
                    b.seq,
                    b.reason,
                    report.events_checked
                )));
            }
            super::out(format_args!(
                "audit chain intact: {} events, head {} ({}), checked in {seconds:.2} s",
                report.events_checked, report.head_seq, report.head_hash
            ))?;
            let Some(path) = copies else {
                return Ok(());
            };
            let bytes =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            let copies = checkpoints::parse_copies(&bytes)
                .map_err(|e| CliError::invalid(format!("{}: {e}", path.display())))?;
            let public_key = match public_key {
                Some(k) => k.trim().to_ascii_lowercase(),
                None => keys(&settings)?.public_key_hex(),
            };
            let mismatches = checkpoints::check_copies(&mut conn, &public_key, &copies)
                .map_err(accounts::cli_error)?;
            if mismatches.is_empty() {
                super::out(format_args!(
                    "{} checkpoint(s) from {} agree with the database",
                    copies.len(),
                    path.display()
                ))?;
                return Ok(());
            }
            let lines: Vec<String> = mismatches
                .iter()
                .map(|m| format!("checkpoint at event {}: {}", m.seq, m.reason))
                .collect();
            Err(CliError::Other(anyhow::anyhow!(
                "{} of {} checkpoint(s) kept outside do not agree with the database:\n{}",
                mismatches.len(),
                copies.len(),
                lines.join("\n")
            )))
        }
        AuditCommand::Checkpoint => {
            let keys = keys(&settings)?;
            match checkpoints::sign_head(&mut conn, &SystemClock, &keys, None)
                .map_err(accounts::cli_error)?
            {
                Some(c) => super::out(format_args!(
                    "signed the audit head at event {} ({}) with key {}",
                    c.seq, c.head_hash, c.key_id
                )),
                None => super::out(format_args!("the audit head is already signed")),
            }
        }
        AuditCommand::Checkpoints { output } => {
            let keys = keys(&settings)?;
            let mut all = Vec::new();
            let mut after = 0;
            loop {
                let page = checkpoints::list(
                    &mut conn,
                    &keys,
                    &checkpoints::CheckpointParams {
                        after_seq: Some(after),
                        limit: Some(1000),
                    },
                )
                .map_err(accounts::cli_error)?;
                all.extend(page.items);
                match page.next_after_seq {
                    Some(n) => after = n,
                    None => break,
                }
            }
            let doc = checkpoints::CheckpointPage {
                public_key: keys.public_key_hex(),
                key_id: keys.key_id(),
                items: all,
                next_after_seq: None,
            };
            let text = serde_json::to_string_pretty(&doc).context("writing JSON")?;
            match output {
                Some(path) => std::fs::write(&path, text + "\n")
                    .with_context(|| format!("writing {}", path.display()))
                    .map_err(Into::into),
                None => super::out(format_args!("{text}")),
            }
        }
    }
}
