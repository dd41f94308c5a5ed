//! `smeproc opening collect` and `opening give`: a key holder's side of the opening (开标) from
//! its own machine. The share is written to a file only the holder can read, and read back from
//! it; it never appears on the command line or in the output.

use super::remote::{Remote, RemoteArgs};
use super::{out, CliError, CliResult};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum OpeningCommand {
    /// Collect your key share of a lot (once: the server keeps only its commitment) into a file
    /// only you can read. Keep it offline, like a recovery code, until the opening.
    #[command(
        after_help = "Example:\n  SMEPROC_TOKEN=$(cat token) smeproc opening collect --server https://smeproc.example.gov.cn --lot 0193… -o lot1.share"
    )]
    Collect(CollectArgs),
    /// Give your key share at the opening (from the opening time); the k-th opens the lot and
    /// prints the opening record.
    #[command(
        after_help = "Example:\n  SMEPROC_TOKEN=$(cat token) smeproc opening give --server https://smeproc.example.gov.cn --lot 0193… --share-file lot1.share"
    )]
    Give(GiveArgs),
}

#[derive(Debug, Args)]
pub struct CollectArgs {
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// The lot's id.
    #[arg(long)]
    pub lot: String,
    /// The file to write the share to (created new, readable by you only).
    #[arg(long, short)]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct GiveArgs {
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// The lot's id.
    #[arg(long)]
    pub lot: String,
    /// The file holding your share (as `opening collect` wrote it).
    #[arg(long)]
    pub share_file: PathBuf,
}

pub fn opening(cmd: OpeningCommand) -> CliResult {
    match cmd {
        OpeningCommand::Collect(args) => {
            let remote = Remote::new(&args.remote)?;
            // The file first: a share collected with nowhere to put it would be lost.
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut file = options.open(&args.output).map_err(|e| {
                CliError::invalid(format!("--output {}: {e}", args.output.display()))
            })?;
            let answer = remote.post_json(
                &format!("/lots/{}/key-share", args.lot),
                &serde_json::json!({}),
            );
            let answer = match answer {
                Ok(a) => a,
                Err(e) => {
                    drop(file);
                    let _ = std::fs::remove_file(&args.output);
                    return Err(e);
                }
            };
            let share =
                zeroize::Zeroizing::new(answer["share"].as_str().unwrap_or_default().to_string());
            use std::io::Write;
            writeln!(file, "{}", share.as_str())
                .and_then(|()| file.sync_all())
                .map_err(|e| CliError::Other(anyhow::anyhow!("{}: {e}", args.output.display())))?;
            out(format_args!(
                "share {} of lot {} written to {} (keep it offline until the opening)",
                answer["number"],
                args.lot,
                args.output.display()
            ))
        }
        OpeningCommand::Give(args) => {
            let remote = Remote::new(&args.remote)?;
            let share = zeroize::Zeroizing::new(
                std::fs::read_to_string(&args.share_file).map_err(|e| {
                    CliError::invalid(format!("--share-file {}: {e}", args.share_file.display()))
                })?,
            );
            let view = remote.post_json(
                &format!("/lots/{}/opening/shares", args.lot),
                &serde_json::json!({ "share": share.trim() }),
            )?;
            out(format_args!(
                "{}",
                serde_json::to_string_pretty(&view).unwrap_or_default()
            ))
        }
    }
}
