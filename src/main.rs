//! Thin entry point: parse the command line and run it (see `smeproc --help`).

use clap::Parser;

fn main() -> std::process::ExitCode {
    smeproc::cli::run(smeproc::cli::Cli::parse(), smeproc::startup::serve_blocking)
}
