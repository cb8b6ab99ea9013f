//! parity: one compose file, run locally and carried unchanged to ECS Fargate.
//!
//! `main` only parses the command line, sets up output, dispatches and turns the
//! outcome into an exit code. Everything else lives in the modules below.

// First, so its `out!`/`outln!` macros are in scope in every module below.
#[macro_use]
mod output;

mod aws;
mod cli;
mod cloud;
mod commands;
mod compose;
mod error;
mod local;
mod log_tail;
mod redact;
mod registry;
mod settings;
mod suggest;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // clap prints help/version to stdout with success, usage errors to stderr.
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { 2 } else { 0 });
        }
    };
    redact::install_panic_hook();
    output::init(&cli.global);
    match commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            output::report(&err);
            ExitCode::from(err.exit_code())
        }
    }
}
