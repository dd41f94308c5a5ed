//! `smeproc policy`, `classify` and `evaluate`: the rules engine from the command line.

use super::{read_input, CliError, CliResult};
use crate::domain::messages::{label, Lang};
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
    #[arg(long, conflicts_with = "explain")]
    pub pretty: bool,
    /// Print the ranking and every bid's explanation for people instead of JSON.
    #[arg(long)]
    pub explain: bool,
    /// zh (default): the JSON carries `explanation_zh` and `reason_zh` beside the English, and
    /// `--explain` speaks Chinese; en: the JSON of CONTRACTS.md alone, `--explain` in English.
    #[arg(long, env = "SMEPROC_LANG", default_value = "zh", value_parser = ["zh", "en"])]
    pub lang: String,
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
    let lang = Lang::parse(&args.lang).unwrap_or_default();
    let output = evaluation::EvaluationOutput {
        input: &valid,
        evaluation: &result,
        chinese: lang == Lang::Zh || args.explain,
    };
    let stdout = std::io::stdout().lock();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout);
    if args.explain {
        let value = serde_json::to_value(&output).map_err(json_output_error)?;
        report(&mut out, &value, lang).map_err(super::output_error)?;
    } else if args.pretty {
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

/// The evaluation for people: outcome, each ranked bid with its explanation, the excluded bids
/// with their reasons, in one language.
fn report(out: &mut impl Write, v: &serde_json::Value, lang: Lang) -> std::io::Result<()> {
    let text = |v: &serde_json::Value| {
        v.as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string())
    };
    let suffix = lang.pick("_zh", "");
    let outcome = label(lang, "state", v["outcome"].as_str().unwrap_or_default());
    writeln!(out, "{}{outcome}", lang.pick("评审结果：", "Outcome: "))?;
    if let Some(reason) = v["failure_reason"].as_str() {
        writeln!(out, "{}{reason}", lang.pick("原因：", "Reason: "))?;
    }
    for r in v["ranking"].as_array().into_iter().flatten() {
        let mut head = match lang {
            Lang::Zh => format!(
                "第 {} 名  {}  评标价 {}",
                text(&r["rank"]),
                text(&r["bid_id"]),
                text(&r["evaluated_price"])
            ),
            Lang::En => format!(
                "Rank {}  {}  evaluated price {}",
                text(&r["rank"]),
                text(&r["bid_id"]),
                text(&r["evaluated_price"])
            ),
        };
        if let Some(total) = r["total"].as_str() {
            head.push_str(&format!("  {}{total}", lang.pick("综合得分 ", "total ")));
        }
        writeln!(out, "{head}")?;
        let key = format!("explanation{suffix}");
        for line in r[key.as_str()].as_array().into_iter().flatten() {
            writeln!(out, "  {}", text(line))?;
        }
    }
    let excluded = v["excluded"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if !excluded.is_empty() {
        writeln!(out, "{}", lang.pick("未进入排序：", "Not ranked:"))?;
        let key = format!("reason{suffix}");
        for x in excluded {
            writeln!(
                out,
                "  {}{}{}",
                text(&x["bid_id"]),
                lang.pick("：", ": "),
                text(&x[key.as_str()])
            )?;
        }
    }
    Ok(())
}

/// A JSON writer's error on standard output.
fn json_output_error(e: serde_json::Error) -> CliError {
    match e.io_error_kind() {
        Some(kind) => super::output_error(std::io::Error::from(kind)),
        None => CliError::Other(anyhow::Error::new(e).context("writing JSON")),
    }
}
