//! `smeproc policy`, `classify` and `evaluate`: the rules engine from the command line.

use super::{read_input, CliError, CliResult};
use crate::wire::{self, classify::ClassifyRequest, evaluation, JsonProblem};
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// List the profiles with their versions.
    #[command(after_help = "Example:\n  smeproc policy list")]
    List,
    /// Print one profile as JSON.
    #[command(after_help = "Example:\n  smeproc policy show xinjiang-2011")]
    Show { id: String },
}

#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// Industry code of the 300号 table (industry, software, retail, construction, …).
    #[arg(long)]
    pub industry: String,
    /// 从业人员 (persons).
    #[arg(long)]
    pub employees: Option<u64>,
    /// 营业收入 in 万元 (up to 4 decimals).
    #[arg(long)]
    pub revenue_wan: Option<String>,
    /// 资产总额 in 万元 (up to 4 decimals).
    #[arg(long)]
    pub assets_wan: Option<String>,
    /// Print the reasons (limits met or missed) on standard error.
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// JSON file (CONTRACTS.md shape), or - for standard input.
    pub file: PathBuf,
    /// Indent the JSON output.
    #[arg(long)]
    pub pretty: bool,
}

pub fn policy(cmd: PolicyCommand) -> CliResult {
    let mut out = std::io::stdout().lock();
    match cmd {
        PolicyCommand::List => {
            for p in crate::domain::policy::profiles() {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    p.id, p.version, p.effective_from, p.title_zh
                )
                .map_err(super::output_error)?;
            }
        }
        PolicyCommand::Show { id } => {
            let profile = crate::domain::policy::profile(&id).ok_or_else(|| {
                CliError::invalid(format!(
                    "unknown policy profile {id:?}; expected one of: {}",
                    crate::domain::policy::profile_ids().join(", ")
                ))
            })?;
            serde_json::to_writer_pretty(&mut out, profile).map_err(json_output_error)?;
            writeln!(out).map_err(super::output_error)?;
        }
    }
    Ok(())
}

pub fn classify(args: ClassifyArgs) -> CliResult {
    use wire::classify::Figure;
    let request = ClassifyRequest {
        industry: Some(args.industry),
        employees: args.employees,
        revenue_wan: args.revenue_wan.map(Figure::Text),
        assets_wan: args.assets_wan.map(Figure::Text),
    };
    let answer = wire::classify::classify(&request).map_err(|problems| {
        CliError::Invalid(
            problems
                .iter()
                .map(|p| format!("--{}: {}", p.field.replace('_', "-"), p.message))
                .collect(),
        )
    })?;
    if args.verbose {
        for reason in &answer.reasons {
            eprintln!("{reason}");
        }
    }
    super::out(format_args!("{}", answer.scale))?;
    Ok(())
}

pub fn evaluate(args: EvaluateArgs) -> CliResult {
    let bytes = read_input(&args.file)?;
    let valid = evaluation::parse(&bytes).map_err(|e| match e {
        evaluation::InputError::Json(JsonProblem::Syntax {
            line,
            column,
            message,
        }) => CliError::invalid(format!(
            "not valid JSON at line {line}, column {column}: {message}"
        )),
        evaluation::InputError::Json(JsonProblem::Shape(problem)) => {
            CliError::invalid(problem.to_string())
        }
        evaluation::InputError::Json(JsonProblem::Text(problems))
        | evaluation::InputError::Invalid(problems) => {
            CliError::Invalid(problems.iter().map(ToString::to_string).collect())
        }
    })?;
    // The bids own their data now: the file's bytes can go before the result is built.
    drop(bytes);
    let result = valid.run();
    let output = evaluation::EvaluationOutput {
        input: &valid,
        evaluation: &result,
    };
    let stdout = std::io::stdout().lock();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout);
    if args.pretty {
        serde_json::to_writer_pretty(&mut out, &output).map_err(json_output_error)?;
    } else {
        output
            .write_compact(&mut out)
            .map_err(super::output_error)?;
    }
    writeln!(out).map_err(super::output_error)?;
    out.flush().map_err(super::output_error)?;
    Ok(())
}

/// A JSON writer's error on standard output.
fn json_output_error(e: serde_json::Error) -> CliError {
    match e.io_error_kind() {
        Some(kind) => super::output_error(std::io::Error::from(kind)),
        None => CliError::Other(anyhow::Error::new(e).context("writing JSON")),
    }
}
