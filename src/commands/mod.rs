//! One module per command. A command orchestrates the core (compose, settings,
//! cloud) and the adapters (local, aws); it owns no domain rules.

mod build;
mod ci;
mod complete;
mod completions;
mod config;
mod db;
mod deploy;
mod down;
mod env;
mod env_template;
mod exec;
mod iam;
mod init;
mod logs;
mod plan;
mod promote;
mod ps;
mod review;
mod rollback;
mod run;
mod secrets;
mod ship;
mod status;
mod up;
mod up_like;
mod variables;
mod watch;

use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::error::Result;

/// Dispatches the parsed command line to its command.
pub(crate) fn run(cli: Cli) -> Result<ExitCode> {
    let global = &cli.global;
    match &cli.command {
        Command::Config(args) => config::run(global, args),
        Command::Up(args) => up::run(global, args),
        Command::Down(args) => down::run(global, args),
        Command::Watch(args) => watch::run(global, args),
        Command::Ps(args) => ps::run(global, args),
        Command::Logs(args) => logs::run(global, args),
        Command::Exec(args) => exec::run(global, args),
        Command::Run(args) => run::run(global, args),
        Command::Plan(args) => plan::run(global, args),
        Command::Secrets(args) => secrets::run(global, args),
        Command::Deploy(args) => deploy::run(global, args),
        Command::Promote(args) => promote::run(global, args),
        Command::Rollback(args) => rollback::run(global, args),
        Command::Status(args) => status::run(global, args),
        Command::Env(args) => env::run(global, args),
        Command::Db(args) => db::run(global, args),
        Command::Init(args) => init::run(global, args),
        Command::Completions(args) => completions::run(args),
        Command::Complete(args) => complete::run(global, args),
        Command::Ci(args) => ci::run(global, args),
        Command::Review(args) => review::run(global, args),
        Command::Iam(args) => iam::run(global, args),
        Command::Build(args) => build::run(global, args),
    }
}

/// Runs an async command body on a fresh Tokio runtime. Commands that need no
/// I/O beyond reading files (`config`, `plan --offline`) never start one.
#[allow(dead_code)]
pub(crate) fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a Tokio runtime can always be built on this platform")
        .block_on(future)
}

/// Loads the compose project the global options describe. `services` are the
/// services named on the command line (they enable their own profiles).
/// The process environment and working directory are read here, once, so
/// the compose core stays pure.
pub(crate) fn load_project(
    global: &crate::cli::GlobalArgs,
    services: &[String],
) -> Result<crate::compose::model::Project> {
    let cwd = std::env::current_dir().map_err(|e| {
        crate::error::Error::input(format!("cannot read the working directory: {e}"))
    })?;
    let options = crate::compose::LoadOptions {
        files: global.files.clone(),
        project_name: global.project_name.clone(),
        project_directory: global.project_directory.clone(),
        env_files: global.env_files.clone(),
        profiles: global.profiles.clone(),
        services: services.to_vec(),
        environment: std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect(),
        cwd,
    };
    crate::compose::load(&options)
}

/// Reads parity.toml: `--settings`/`PARITY_SETTINGS`, else `parity.toml` in the
/// project directory. Every cloud command finds it the same way.
pub(crate) fn load_settings(
    global: &crate::cli::GlobalArgs,
    project: &crate::compose::model::Project,
) -> Result<crate::settings::Settings> {
    let path = global
        .settings
        .clone()
        .unwrap_or_else(|| project.working_dir.join(crate::settings::FILE_NAME));
    crate::settings::load(&path)
}
