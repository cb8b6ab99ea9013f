//! `parity exec SERVICE [-- CMD...]` on the local engine, like `docker compose
//! exec`: the command in the service's running container, parity's stdin
//! attached (a TTY when it is a terminal, unless `-T`), the command's exit
//! code as parity's.

use std::process::ExitCode;

use crate::cli::{ExecArgs, GlobalArgs};
use crate::commands::variables;
use crate::error::Result;
use crate::local::engine::Engine;
use crate::local::exec::{self, ExecRequest};
use crate::local::session;

/// The command when none is given: a shell, as `docker compose exec` users expect.
const SHELL: &str = "/bin/sh";

pub(super) fn run(global: &GlobalArgs, args: &ExecArgs) -> Result<ExitCode> {
    let project = crate::commands::load_project(global, std::slice::from_ref(&args.service))?;
    if !project.services.contains_key(&args.service) {
        return Err(crate::compose::unknown_service(&project, &args.service));
    }
    let pairs = variables::parse(&args.variables, &|key| std::env::var(key).ok())?;
    let request = ExecRequest {
        command: if args.command.is_empty() {
            vec![SHELL.to_owned()]
        } else {
            args.command.clone()
        },
        env: variables::entries(&pairs),
        tty: !args.no_tty && session::stdin_is_terminal(),
    };
    crate::commands::block_on(async {
        let engine = Engine::connect().await?;
        let container = exec::running_container(&engine, &project.name, &args.service).await?;
        let code = exec::exec(&engine, &args.service, &container, &request).await?;
        Ok(ExitCode::from(session::exit_code(code)))
    })
}
