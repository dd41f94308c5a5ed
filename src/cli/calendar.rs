//! `smeproc calendar import` and `calendar show`: the working-day calendar's years.

use super::{accounts, out, read_input, CliError, CliResult};
use crate::config::Settings;
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Import (or replace) a year from its file (TOML, as src/domain/calendar/2026.toml): the
    /// holidays and make-up working days of the 国务院办公厅 notice. Refused whole, naming the entry.
    #[command(after_help = "Example:\n  smeproc calendar import 2027.toml")]
    Import(ImportArgs),
    /// Show a year: its source, holidays, make-up working days and working-day count.
    #[command(after_help = "Example:\n  smeproc calendar show 2026")]
    Show(ShowArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The year's file (or - for standard input).
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    pub year: i32,
}

pub fn calendar(settings: Settings, cmd: CalendarCommand) -> CliResult {
    let mut conn = accounts::connect(&settings)?;
    let view = match cmd {
        CalendarCommand::Import(args) => {
            let bytes = read_input(&args.file)?;
            let text = String::from_utf8(bytes)
                .map_err(|_| CliError::invalid(format!("{}: not UTF-8", args.file.display())))?;
            crate::service::calendar::import_toml(
                &mut conn,
                &crate::clock::SystemClock,
                &crate::service::Actor::Cli,
                &text,
            )
            .map_err(accounts::cli_error)?
        }
        CalendarCommand::Show(args) => {
            crate::service::calendar::show(&mut conn, args.year).map_err(accounts::cli_error)?
        }
    };
    out(format_args!(
        "{} ({}, {}): {} working days; {} holidays; make-up working days: {}",
        view.year,
        view.source,
        view.origin,
        view.working_days,
        view.holidays
            .iter()
            .map(|h| format!("{} {}–{}", h.name, h.from, h.to))
            .collect::<Vec<_>>()
            .join(", "),
        view.workdays
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    ))
}
