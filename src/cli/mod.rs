//! The `smeproc` command line: argument shapes (clap) and one runner per command.
//! Exit codes for every command: 0 done, 2 invalid input (nothing written), 1 anything else.

mod accounts;
mod audit;
mod bid;
mod calendar;
mod catalogue;
mod engine;
mod opening;
mod remote;

use crate::config::{DatabaseUrl, LogFormat, Settings};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// SME-preference government procurement: explained bid evaluation, SME catalogue, reserved-share ledger.
#[derive(Debug, Parser)]
#[command(name = "smeproc", version, about, long_about = None, after_help = EXAMPLES)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

const EXAMPLES: &str = "Examples:
  smeproc serve                                   # http://127.0.0.1:8080 on ./data/smeproc.db
  DATABASE_URL=postgres://smeproc@localhost/smeproc smeproc migrate
  smeproc user create --username root --role admin
  smeproc evaluate bids.json > result.json
  smeproc classify --industry industry --employees 1500 --revenue-wan 30000";

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Database: sqlite://PATH or postgres://… (default sqlite://data/smeproc.db).
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Log format: plain or json.
    #[arg(
        long,
        env = "SMEPROC_LOG_FORMAT",
        global = true,
        default_value = "plain"
    )]
    pub log_format: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (migrates the database first).
    #[command(after_help = "Example:\n  smeproc serve --bind 0.0.0.0:8080")]
    Serve(ServeArgs),
    /// Fill an empty database with a realistic Xinjiang demo dataset and print the logins.
    #[command(
        after_help = "Example:\n  DATABASE_URL=sqlite://data/demo.db smeproc demo && DATABASE_URL=sqlite://data/demo.db smeproc serve\n\nRefuses a database that already has users, organisations, enterprises or projects."
    )]
    Demo,
    /// Apply pending database migrations and exit.
    #[command(
        after_help = "Example:\n  DATABASE_URL=postgres://smeproc@localhost/smeproc smeproc migrate"
    )]
    Migrate,
    /// Manage user accounts.
    #[command(subcommand)]
    User(accounts::UserCommand),
    /// Manage organisations: agencies (采购人/代理机构) and departments (预算单位).
    #[command(subcommand)]
    Org(accounts::OrgCommand),
    /// Register enterprises in bulk (CSV of CONTRACTS.md).
    #[command(subcommand)]
    Enterprise(accounts::EnterpriseCommand),
    /// The SME catalogue (中小企业商品行情库): import and export products (CSV of CONTRACTS.md).
    #[command(subcommand)]
    Catalogue(catalogue::CatalogueCommand),
    /// Show the policy profiles.
    #[command(subcommand)]
    Policy(engine::PolicyCommand),
    /// The audit log: check its hash chain, sign and check checkpoints.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// The offline bid-preparation tool: check a bid, seal it with its documents to a lot's
    /// public key, submit it to the server.
    #[command(subcommand)]
    Bid(bid::BidCommand),
    /// A key holder's side of the opening (开标): collect a lot's key share, give it back.
    #[command(subcommand)]
    Opening(opening::OpeningCommand),
    /// The working-day calendar (工作日): import a year's holidays and make-up working days, show one.
    #[command(subcommand)]
    Calendar(calendar::CalendarCommand),
    /// Print the OpenAPI 3.1 document of the HTTP API (what `GET /openapi.json` serves).
    #[command(after_help = "Example:\n  smeproc openapi > openapi.json")]
    Openapi,
    /// Classify an enterprise's scale from its size figures (工信部联企业〔2011〕300号).
    #[command(
        after_help = "Example:\n  smeproc classify --industry industry --employees 1500 --revenue-wan 30000   # prints: medium"
    )]
    Classify(engine::ClassifyArgs),
    /// Evaluate bids for one lot with the SME preferences applied (reads and writes no database).
    #[command(
        after_help = "Examples:\n  smeproc evaluate lot.json\n  cat lot.json | smeproc evaluate - --pretty\n  smeproc evaluate lot.json --explain            # the ranking explained, in Chinese\n  smeproc evaluate lot.json --explain --lang en  # in English"
    )]
    Evaluate(engine::EvaluateArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SMEPROC_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// HTTP worker threads (default: number of cores).
    #[arg(long, env = "SMEPROC_WORKERS")]
    pub workers: Option<usize>,
    /// Before serving, fill the database with the demo dataset if it is empty (`smeproc demo`);
    /// a database with data is served as it is.
    #[arg(long)]
    pub demo: bool,
}

/// `smeproc demo` (and `serve --demo`).
fn demo(settings: &Settings, refuse_non_empty: bool) -> CliResult {
    let mut conn = accounts::connect(settings)?;
    if !crate::service::demo::is_empty(&mut conn).map_err(accounts::cli_error)? {
        if refuse_non_empty {
            return Err(CliError::Other(anyhow::anyhow!(
                "the database {} is not empty: the demo fills only an empty database \
                 (choose another, e.g. DATABASE_URL=sqlite://data/demo.db)",
                settings.database
            )));
        }
        eprintln!(
            "the database has data: serving it as it is (the demo loads only into an empty one)"
        );
        return Ok(());
    }
    let started = std::time::Instant::now();
    let keys = crate::service::auth::keys::ServerKeys::load_or_create(&settings.secret_key_file)?;
    let store = crate::service::system::document_store(settings)?;
    let s =
        crate::service::demo::fill(&mut conn, &keys, &store, chrono::Utc::now()).map_err(|e| {
            match e {
                crate::error::Error::Internal(e) => {
                    CliError::Other(e.context("loading the demo data"))
                }
                other => accounts::cli_error(other),
            }
        })?;
    out(format_args!(
        "demo data loaded in {:.1} s: {} enterprises, {} products ({} price changes), {} projects, \
         {} bids, {} contracts, {} payments; overdue instalments: {}",
        started.elapsed().as_secs_f64(),
        s.enterprises,
        s.products,
        s.price_changes,
        s.projects,
        s.bids,
        s.contracts,
        s.payments,
        s.late_payments
    ))?;
    out(format_args!(
        "logins (password for all: {}):",
        crate::service::demo::PASSWORD
    ))?;
    for (user, role, name) in &s.logins {
        out(format_args!("  {user:<10} {role:<9} {name}"))?;
    }
    Ok(())
}

/// What went wrong, mapped to the exit code.
#[derive(Debug)]
pub enum CliError {
    /// Exit 2: one message per problem, nothing written.
    Invalid(Vec<String>),
    /// Exit 1.
    Other(anyhow::Error),
    /// Standard output was closed by its reader (`smeproc org list --json | head`): stop
    /// quietly, exit 0.
    OutputClosed,
}

/// Writes one line to standard output; a reader that went away ends the command quietly.
pub(crate) fn out(args: std::fmt::Arguments<'_>) -> CliResult {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{args}")
        .and_then(|()| stdout.flush())
        .map_err(output_error)
}

/// An error writing to standard output: a closed pipe is not a failure of the command.
pub(crate) fn output_error(e: std::io::Error) -> CliError {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        CliError::OutputClosed
    } else {
        CliError::Other(anyhow::Error::new(e).context("writing to standard output"))
    }
}

impl From<anyhow::Error> for CliError {
    fn from(e: anyhow::Error) -> Self {
        CliError::Other(e)
    }
}

impl CliError {
    pub fn invalid(message: impl Into<String>) -> Self {
        CliError::Invalid(vec![message.into()])
    }
}

pub type CliResult = Result<(), CliError>;

/// Builds the settings the database commands share.
fn settings(global: &GlobalArgs) -> Result<Settings, CliError> {
    let url = DatabaseUrl::parse(global.database_url.as_deref())
        .map_err(|e| CliError::invalid(e.to_string()))?;
    let log_format: LogFormat = global.log_format.parse().map_err(CliError::invalid)?;
    Settings::from_env(url, log_format).map_err(CliError::invalid)
}

/// Runs the HTTP service until it is stopped: `startup::serve_blocking`, handed in by `main`
/// (the command line knows the service only through this).
pub type Serve = fn(Settings, &str, Option<usize>) -> anyhow::Result<()>;

/// Runs a parsed command line; `serve` runs `smeproc serve`.
pub fn run(cli: Cli, serve: Serve) -> ExitCode {
    let result = match cli.command {
        Command::Serve(args) => settings(&cli.global).and_then(|s| {
            if args.demo {
                demo(&s, false)?;
            }
            Ok(serve(s, &args.bind, args.workers)?)
        }),
        Command::Demo => settings(&cli.global).and_then(|s| demo(&s, true)),
        Command::Migrate => settings(&cli.global).and_then(accounts::migrate),
        Command::User(cmd) => settings(&cli.global).and_then(|s| accounts::user(s, cmd)),
        Command::Org(cmd) => settings(&cli.global).and_then(|s| accounts::org(s, cmd)),
        Command::Enterprise(cmd) => {
            settings(&cli.global).and_then(|s| accounts::enterprise(s, cmd))
        }
        Command::Catalogue(cmd) => settings(&cli.global).and_then(|s| catalogue::catalogue(s, cmd)),
        Command::Policy(cmd) => engine::policy(cmd),
        Command::Audit(cmd) => settings(&cli.global).and_then(|s| audit::audit(s, cmd)),
        Command::Calendar(cmd) => settings(&cli.global).and_then(|s| calendar::calendar(s, cmd)),
        Command::Bid(cmd) => bid::bid(cmd),
        Command::Opening(cmd) => opening::opening(cmd),
        Command::Openapi => out(format_args!("{}", crate::api::openapi::spec_json())),
        Command::Classify(args) => engine::classify(args),
        Command::Evaluate(args) => engine::evaluate(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Invalid(messages)) => {
            for m in messages {
                eprintln!("error: {m}");
            }
            ExitCode::from(2)
        }
        Err(CliError::Other(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
        Err(CliError::OutputClosed) => ExitCode::SUCCESS,
    }
}

/// Reads a path, or standard input for `-`.
fn read_input(path: &PathBuf) -> Result<Vec<u8>, CliError> {
    use anyhow::Context;
    use std::io::Read;
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .context("reading standard input")?;
        Ok(buf)
    } else {
        Ok(std::fs::read(path).with_context(|| format!("reading {}", path.display()))?)
    }
}
