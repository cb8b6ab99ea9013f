//! What the GitHub workflows hold, decided from parity.toml alone: which
//! environments a push to main deploys (those nothing promotes into them:
//! staging), which ones `promote` feeds (prod, from staging), which one the
//! review apps derive from, and the role each job assumes. Pure: no I/O
//! beyond what the caller loaded.
//!
//! The deployer role is `parity-<app>-<env>-deploy` in the environment's
//! account: the account id from parity.toml when it is there, else the
//! repository variable `AWS_ACCOUNT_ID` (GitHub expands it; nothing is typed
//! into the workflow per project).

use std::path::Path;

use serde::Serialize;

use crate::cli::GlobalArgs;
use crate::cloud::iam_policy::trust::{deployer_role_name, github_environment};
use crate::compose::model::Project;
use crate::error::{Error, Result};
use crate::settings::{Environment, Settings};

/// IAM's limit on a role name.
const MAX_ROLE_NAME: usize = 64;

/// Everything the templates render.
#[derive(Debug, Serialize)]
pub(crate) struct Workflows {
    pub(crate) app: String,
    /// Workflow-level variables that select the project as this run did
    /// (`COMPOSE_FILE` for `-f`, ...), so every `parity` step reads the same files.
    pub(crate) project_env: Vec<(String, String)>,
    /// Every environment, in pipeline order: a pull request plans each one offline.
    pub(crate) plan: Vec<String>,
    /// The environments a push to main deploys (no `promotes_from`).
    pub(crate) deploy: Vec<Target>,
    /// The environments `parity promote` feeds, each from its source.
    pub(crate) promote: Vec<Promotion>,
    /// The environment review apps are derived from (the first deploy target).
    pub(crate) review: Option<Target>,
    /// A role ARN needs the repository variable `AWS_ACCOUNT_ID`.
    pub(crate) needs_account_var: bool,
}

/// One environment a job changes, and how the job gets AWS credentials for it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Target {
    pub(crate) env: String,
    pub(crate) region: String,
    /// The deployer role's ARN (may hold `${{ vars.AWS_ACCOUNT_ID }}`).
    pub(crate) role_arn: String,
}

/// `parity promote --from FROM --to TO`, run in a GitHub environment.
#[derive(Debug, Serialize)]
pub(crate) struct Promotion {
    pub(crate) from: String,
    pub(crate) to: Target,
    /// `production` for an environment named prod or production, else its own
    /// name: where GitHub's required reviewers are set.
    pub(crate) github_environment: String,
}

impl Workflows {
    pub(crate) fn new(global: &GlobalArgs, project: &Project, settings: &Settings) -> Result<Self> {
        let pipeline = settings.pipeline();
        if pipeline.is_empty() {
            return Err(Error::input(format!(
                "{} defines no environment, so there is nothing to deploy from CI",
                settings.path.display()
            ))
            .with_help("run `parity init`, or add an `[environments.staging]` table"));
        }
        let app = settings.app().to_owned();
        let deploy = pipeline
            .iter()
            .filter(|e| e.promotes_from().is_none())
            .map(|e| target(&app, e))
            .collect::<Result<Vec<_>>>()?;
        let promote = pipeline
            .iter()
            .filter_map(|e| e.promotes_from().map(|from| (from, e)))
            .map(|(from, e)| {
                Ok(Promotion {
                    from: from.to_owned(),
                    to: target(&app, e)?,
                    github_environment: github_environment(e.name()).to_owned(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let needs_account_var = pipeline.iter().any(|e| e.account_id().is_none());
        Ok(Self {
            needs_account_var,
            project_env: project_env(global, project)?,
            plan: pipeline.iter().map(|e| e.name().to_owned()).collect(),
            review: deploy.first().cloned(),
            deploy,
            promote,
            app,
        })
    }
}

fn target(app: &str, environment: &Environment) -> Result<Target> {
    let role = deployer_role_name(app, environment.name());
    if role.len() > MAX_ROLE_NAME {
        return Err(Error::input(format!(
            "environment `{}`: the deployer role would be `{role}`, over IAM's {MAX_ROLE_NAME} characters",
            environment.name()
        ))
        .with_help("shorten the app or environment name in parity.toml"));
    }
    let account = environment
        .account_id()
        .unwrap_or("${{ vars.AWS_ACCOUNT_ID }}");
    Ok(Target {
        env: environment.name().to_owned(),
        region: environment.region().to_owned(),
        role_arn: format!("arn:aws:iam::{account}:role/{role}"),
    })
}

/// `COMPOSE_FILE`, `COMPOSE_PROJECT_NAME`, `COMPOSE_PROFILES` and
/// `PARITY_SETTINGS` for the project options given to this run, relative to
/// the project directory (the workflows run there).
fn project_env(global: &GlobalArgs, project: &Project) -> Result<Vec<(String, String)>> {
    if !global.env_files.is_empty() {
        return Err(Error::input(
            "--env-file is not carried into the workflows (GitHub runs them without it)",
        )
        .with_help(
            "run `parity ci github` without --env-file; the workflows read `.env` as `parity` does",
        ));
    }
    let relative = |path: &Path| -> Result<String> {
        let shown = path.strip_prefix(&project.working_dir).unwrap_or(path);
        if shown.is_absolute() {
            return Err(Error::input(format!(
                "{} is outside the project directory {}, where the workflows run",
                path.display(),
                project.working_dir.display()
            )));
        }
        Ok(shown.display().to_string())
    };
    let mut env = Vec::new();
    if !global.files.is_empty() || std::env::var_os("COMPOSE_FILE").is_some() {
        let files = project
            .files
            .iter()
            .map(|f| relative(f))
            .collect::<Result<Vec<_>>>()?;
        env.push(("COMPOSE_FILE".to_owned(), files.join(":")));
    }
    if let Some(name) = &global.project_name {
        env.push(("COMPOSE_PROJECT_NAME".to_owned(), name.clone()));
    }
    if !global.profiles.is_empty() {
        env.push(("COMPOSE_PROFILES".to_owned(), global.profiles.join(",")));
    }
    if let Some(settings) = &global.settings {
        let absolute = if settings.is_absolute() {
            settings.clone()
        } else {
            std::env::current_dir().unwrap_or_default().join(settings)
        };
        env.push(("PARITY_SETTINGS".to_owned(), relative(&absolute)?));
    }
    Ok(env)
}
