//! The command line: the contract in DESIGN.md, expressed with clap.
//!
//! Project options (`-f`, `-p`, `--env-file`, `--profile`) come before the
//! command, as with `docker compose`, so that `logs -f` and `down -v` keep
//! their familiar meanings.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// One compose file, run locally and carried unchanged to AWS ECS Fargate.
#[derive(Debug, Parser)]
#[command(name = "parity", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options that select the project; shared by every command.
#[derive(Debug, Clone, Args)]
pub(crate) struct GlobalArgs {
    /// Compose file(s), merged in order. Default: compose.yaml (and its override) or `COMPOSE_FILE`.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
    /// Project name. Default: `COMPOSE_PROJECT_NAME`, the `name:` key, or the directory name.
    #[arg(short = 'p', long = "project-name", value_name = "PROJECT")]
    pub(crate) project_name: Option<String>,
    /// Project directory. Default: the directory of the first compose file.
    #[arg(long, value_name = "DIR")]
    pub(crate) project_directory: Option<PathBuf>,
    /// Dotenv file(s) for interpolation; given, they replace `.env`.
    #[arg(long = "env-file", value_name = "FILE")]
    pub(crate) env_files: Vec<PathBuf>,
    /// Enable services of this profile (also `COMPOSE_PROFILES`).
    #[arg(long = "profile", value_name = "NAME")]
    pub(crate) profiles: Vec<String>,
    /// The parity.toml to read. Default: parity.toml in the project directory.
    #[arg(long = "settings", value_name = "FILE", env = "PARITY_SETTINGS")]
    pub(crate) settings: Option<PathBuf>,
    /// More output on stderr: -v info (AWS API calls), -vv debug, -vvv trace.
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
}

/// Output format for commands that print data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DataFormat {
    Yaml,
    Json,
}

/// Output format for commands that print a table or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TableFormat {
    Table,
    Json,
}

/// Output format for `plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PlanFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Print the normalized compose model, like `docker compose config`.
    Config(ConfigArgs),
    /// Run the app on the local Docker Engine: dependency order, health-gated, release first.
    Up(UpArgs),
    /// Stop and remove the project's containers and networks.
    Down(DownArgs),
    /// Apply the services' `develop.watch` rules to the running project as files change.
    Watch(WatchArgs),
    /// List the project's containers, or (--env) its ECS tasks.
    Ps(PsArgs),
    /// Show service logs, locally or (--env) from CloudWatch Logs.
    Logs(LogsArgs),
    /// Run a command (default: a shell) in a service's running container, locally or (--env) with ECS Exec.
    Exec(ExecArgs),
    /// Run a one-off command in a new container of a service, locally or (--env) as an ECS task.
    Run(RunArgs),
    /// Show the ECS Fargate task definitions for an environment and what would change.
    Plan(PlanArgs),
    /// Manage an environment's secrets in SSM Parameter Store or Secrets Manager.
    Secrets(SecretsArgs),
    /// Build once, push, and deploy by digest to an environment (release phase first).
    Deploy(DeployArgs),
    /// Deploy the exact image digests one environment runs to the next. No rebuild.
    Promote(PromoteArgs),
    /// Return an environment's services to an earlier task definition revision.
    Rollback(RollbackArgs),
    /// The pipeline at a glance: what each environment runs.
    Status(StatusArgs),
    /// The environment itself (network, cluster, roles, registry, load balancer) as a CloudFormation stack.
    Env(EnvArgs),
    /// An environment's managed database or cache (`x-parity: {cloud: rds}`): its client, or its connection string.
    Db(DbArgs),
    /// Write parity.toml for this compose project and propose its x-parity blocks.
    Init(InitArgs),
    /// Print the shell completion script for bash, zsh or fish.
    Completions(CompletionsArgs),
    /// Review apps: an ephemeral copy of staging per pull request, sharing its cluster and load balancer.
    Review(ReviewArgs),
    /// Names for the completion scripts: the compose services or the environments.
    #[command(name = "__complete", hide = true)]
    Complete(CompleteArgs),
    /// Build the services' images (all with `build:`, or those named), with BuildKit.
    Build(BuildArgs),
    /// Print the least-privilege IAM policy parity needs for an environment (and CI's trust policy).
    Iam(IamArgs),
    /// CI workflows for this project, rendered from parity.toml.
    Ci(CiArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CiArgs {
    #[command(subcommand)]
    pub(crate) command: CiCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum CiCommand {
    /// GitHub Actions workflows: pull request checks, deploy on push to main, promote, review apps.
    Github(CiGithubArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CiGithubArgs {
    /// Write them under `.github/workflows/` in the project directory instead of printing them.
    #[arg(long)]
    pub(crate) write: bool,
    /// With --write: replace workflow files that exist and differ.
    #[arg(long, requires = "write")]
    pub(crate) force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct BuildArgs {
    /// Services to build. Default: every service with a `build:` section.
    pub(crate) services: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// AWS region of staging and prod. Default: AWS_REGION, AWS_DEFAULT_REGION, the AWS
    /// config profile's region, or asked on a terminal.
    #[arg(long, value_name = "REGION")]
    pub(crate) region: Option<String>,
    /// Insert the proposed x-parity blocks into the compose file (comments and formatting kept).
    #[arg(long)]
    pub(crate) write_compose: bool,
    /// Replace an existing parity.toml.
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub(crate) shell: CompletionShell,
}

/// Shells `parity completions` writes a script for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
pub(crate) struct CompleteArgs {
    /// What to list, one per line.
    #[arg(value_enum)]
    pub(crate) what: CompleteWhat,
}

/// The dynamic values the completion scripts ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CompleteWhat {
    Services,
    Environments,
}

#[derive(Debug, Args)]
pub(crate) struct DbArgs {
    /// Environment from parity.toml.
    pub(crate) env: String,
    /// The compose service the managed service replaces. Default: the only one.
    pub(crate) service: Option<String>,
    /// Print the connection string (the password masked unless --reveal).
    #[arg(long)]
    pub(crate) url: bool,
    /// With --url: print the password too. No other command ever does.
    #[arg(long, requires = "url")]
    pub(crate) reveal: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ConfigArgs {
    /// Print only these services (and what they depend on); named services
    /// are active whatever their profiles.
    pub(crate) services: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DataFormat::Yaml)]
    pub(crate) format: DataFormat,
    /// Print only the service names, one per line.
    #[arg(long = "services")]
    pub(crate) list_services: bool,
    /// Show the values of variables declared secret (masked by default).
    #[arg(long)]
    pub(crate) reveal: bool,
}

#[derive(Debug, Args)]
pub(crate) struct UpArgs {
    /// Services to start (with their dependencies). Default: all active services.
    pub(crate) services: Vec<String>,
    /// Return once every service is healthy (or running) and release services completed.
    #[arg(long)]
    pub(crate) wait: bool,
    /// Give up waiting after this many seconds (exit 1 naming what was not ready).
    #[arg(long, value_name = "S")]
    pub(crate) wait_timeout: Option<u64>,
    /// Build images before starting, even when they exist.
    #[arg(long)]
    pub(crate) build: bool,
    /// Run in the background; like --wait.
    #[arg(short = 'd', long)]
    pub(crate) detach: bool,
    /// Stay attached and apply the services' `develop.watch` rules as files change
    /// (sync, rebuild, restart, exec), as `parity watch` does.
    #[arg(long, conflicts_with_all = ["detach", "wait"])]
    pub(crate) watch: bool,
    /// Run what `parity plan ENV` would run on Fargate, on the local engine:
    /// the task definitions' containers (shared network per task, essential,
    /// dependsOn, ECS health checks), ENV's variables, and the secret values
    /// from `.env.<ENV>` (or, with --secrets-from-ssm, its stores).
    #[arg(long, value_name = "ENV", conflicts_with = "watch")]
    pub(crate) like: Option<String>,
    /// With --like: read the secret values from the environment's stores
    /// (SSM, Secrets Manager) instead of its dotenv file. Never printed.
    #[arg(long, requires = "like", visible_alias = "secrets-from-ssm")]
    pub(crate) secrets_from_aws: bool,
}

#[derive(Debug, Args)]
pub(crate) struct WatchArgs {
    /// Services whose rules to apply. Default: every service with `develop.watch`.
    pub(crate) services: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct DownArgs {
    /// Also remove the project's named volumes.
    #[arg(short = 'v', long)]
    pub(crate) volumes: bool,
}

#[derive(Debug, Args)]
pub(crate) struct PsArgs {
    /// Environment from parity.toml: its ECS tasks (running and recently stopped). Default: local containers.
    #[arg(long, value_name = "ENV")]
    pub(crate) env: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub(crate) format: TableFormat,
}

/// Output format for log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct LogsArgs {
    /// Services whose logs to show. Default: all.
    pub(crate) services: Vec<String>,
    /// Keep streaming new lines.
    #[arg(short = 'f', long)]
    pub(crate) follow: bool,
    /// Number of lines from the end of each service's log.
    #[arg(long, value_name = "N")]
    pub(crate) tail: Option<u64>,
    /// Only lines since a duration ago (`10m`, `1h30m`, `2d`) or a time (`2026-11-27T09:00:00Z`, `2026-11-27`).
    /// With --env the default is 10m.
    #[arg(long, value_name = "DURATION|TIME")]
    pub(crate) since: Option<String>,
    /// Only lines that contain this text (case-sensitive, no wildcards).
    #[arg(long, value_name = "PATTERN")]
    pub(crate) grep: Option<String>,
    /// Environment from parity.toml: read its CloudWatch Logs. Default: the local engine.
    #[arg(long, value_name = "ENV")]
    pub(crate) env: Option<String>,
    /// Only this ECS task's lines (its id, or a prefix of it; needs --env).
    #[arg(long, value_name = "ID")]
    pub(crate) task: Option<String>,
    /// Output format: text (prefixed lines) or json (one object per line).
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub(crate) format: LogFormat,
}

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Environment from parity.toml: run as a one-off ECS Fargate task there. Default: the local engine.
    #[arg(long, value_name = "ENV")]
    pub(crate) env: Option<String>,
    /// Set a variable in the container: KEY=VALUE, or KEY alone to pass parity's own value of KEY.
    /// Repeatable.
    #[arg(short = 'e', value_name = "KEY=VALUE")]
    pub(crate) variables: Vec<String>,
    /// Start it and return at once, printing its id (and, in the cloud, how to read its logs).
    #[arg(short = 'd', long)]
    pub(crate) detach: bool,
    /// Do not start the service's dependencies (local).
    #[arg(long, conflicts_with = "env")]
    pub(crate) no_deps: bool,
    /// The service whose configuration the one-off container takes.
    pub(crate) service: String,
    /// The command and its arguments (after `--`). Default: the service's command.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    pub(crate) command: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ExecArgs {
    /// Environment from parity.toml: open an ECS Exec session in one of the service's tasks
    /// (needs the Session Manager plugin). Default: the service's local container.
    #[arg(long, value_name = "ENV")]
    pub(crate) env: Option<String>,
    /// The task to exec into: its id (or a unique prefix) or ARN. Default: the newest healthy
    /// running one (or, when the service has no health check, the newest running one).
    #[arg(long, value_name = "ID", requires = "env")]
    pub(crate) task: Option<String>,
    /// No pseudo-TTY, even when stdin is a terminal (local only).
    #[arg(short = 'T', conflicts_with = "env")]
    pub(crate) no_tty: bool,
    /// Set a variable for the command: KEY=VALUE, or KEY alone to pass parity's own value of KEY.
    /// Repeatable; local only (ECS Exec takes no variables).
    #[arg(short = 'e', value_name = "KEY=VALUE", conflicts_with = "env")]
    pub(crate) variables: Vec<String>,
    /// The service whose container (or task) runs the command.
    pub(crate) service: String,
    /// The command and its arguments (after `--`). Default: /bin/sh.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    pub(crate) command: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    /// Environment from parity.toml (e.g. staging).
    pub(crate) env: String,
    /// Output format; json is the requests as the AWS APIs take them: RegisterTaskDefinition,
    /// CreateService, the release's RunTask, the jobs' schedules and the scaling policies.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub(crate) format: PlanFormat,
    /// Never call AWS (no diff against what runs).
    #[arg(long)]
    pub(crate) offline: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SecretsArgs {
    #[command(subcommand)]
    pub(crate) command: SecretsCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SecretsCommand {
    /// Put the environment's secret values into its store (SSM SecureStrings or Secrets Manager); prints names, never values.
    Sync(SecretsSyncArgs),
    /// List the environment's secrets: names, versions, users. Never values.
    List(SecretsListArgs),
}

#[derive(Debug, Args)]
pub(crate) struct SecretsSyncArgs {
    /// Environment from parity.toml.
    pub(crate) env: String,
    /// Dotenv file with the values. Default: `.env.<ENV>`.
    #[arg(long, value_name = "FILE")]
    pub(crate) from: Option<PathBuf>,
    /// Print the plan, write nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Remove the parity-managed secrets (parameters, or Secrets Manager secrets) that are not in the file.
    #[arg(long)]
    pub(crate) prune: bool,
    /// Secrets Manager: days a pruned secret can still be restored (7-30).
    #[arg(long, value_name = "DAYS", default_value_t = 7, value_parser = clap::value_parser!(i64).range(7..=30))]
    pub(crate) recovery_window_days: i64,
    /// Secrets Manager: delete pruned secrets at once, without a recovery window.
    #[arg(long, conflicts_with = "recovery_window_days")]
    pub(crate) force_delete_without_recovery: bool,
    /// Break a stale lock on the environment (a sync takes the deploy lock) held by someone else.
    #[arg(long)]
    pub(crate) break_lock: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SecretsListArgs {
    /// Environment from parity.toml.
    pub(crate) env: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub(crate) format: TableFormat,
}

#[derive(Debug, Args)]
pub(crate) struct DeployArgs {
    /// Environment from parity.toml.
    pub(crate) env: String,
    /// Image tag. Default: the git commit (with `-dirty` for a modified tree); outside git, a timestamp.
    #[arg(long)]
    pub(crate) tag: Option<String>,
    /// Deploy to an environment that `promote` normally feeds (e.g. prod).
    #[arg(long)]
    pub(crate) direct: bool,
    #[command(flatten)]
    pub(crate) change: ChangeArgs,
}

/// The options every command that changes a cloud environment takes (the
/// pipeline's, `commands::ship::pipeline`).
#[derive(Debug, Args)]
pub(crate) struct ChangeArgs {
    /// Give up after this many seconds. Default: the environment's deploy.wait_timeout
    /// (600) for a rollout, an hour for a stack change (env apply, env destroy).
    #[arg(long, value_name = "S")]
    pub(crate) timeout: Option<u64>,
    /// Break a stale lock on the environment (deploys and stack changes share it) held by someone else.
    #[arg(long)]
    pub(crate) break_lock: bool,
}

#[derive(Debug, Args)]
pub(crate) struct PromoteArgs {
    /// Environment whose running digests are promoted.
    #[arg(long, default_value = "staging", value_name = "ENV")]
    pub(crate) from: String,
    /// Environment that receives them.
    #[arg(long, default_value = "prod", value_name = "ENV")]
    pub(crate) to: String,
    /// Promote even though the local compose file differs from what the source was deployed with.
    #[arg(long)]
    pub(crate) allow_config_drift: bool,
    #[command(flatten)]
    pub(crate) change: ChangeArgs,
}

#[derive(Debug, Args)]
pub(crate) struct RollbackArgs {
    /// Environment from parity.toml.
    pub(crate) env: String,
    /// Task definition revision to return to. Default: the newest revision older than the one
    /// running whose rollout completed.
    #[arg(long, value_name = "REVISION")]
    pub(crate) to: Option<u32>,
    #[command(flatten)]
    pub(crate) change: ChangeArgs,
}

#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    /// Environment. Default: every environment in parity.toml.
    pub(crate) env: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub(crate) format: TableFormat,
}

#[derive(Debug, Args)]
pub(crate) struct EnvArgs {
    #[command(subcommand)]
    pub(crate) command: EnvCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum EnvCommand {
    /// Create or update the stack `parity-<app>-<env>`: show the change set, apply it, wait.
    Apply(EnvApplyArgs),
    /// The stack's status, outputs, load balancer URL and how each service is reached.
    Show(EnvShowArgs),
    /// Print the environment's CloudFormation template, for review or your own pipeline.
    Template(EnvTemplateArgs),
    /// Delete the environment's ECS services, then its stack (repositories and images are kept).
    Destroy(EnvDestroyArgs),
}

#[derive(Debug, Args)]
pub(crate) struct EnvApplyArgs {
    /// Environment from parity.toml.
    pub(crate) env: String,
    /// Apply without asking, removals and replacements included (needed when stdin is not a terminal).
    #[arg(long)]
    pub(crate) yes: bool,
    /// Print the change set, then delete it; change nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub(crate) format: PlanFormat,
    #[command(flatten)]
    pub(crate) change: ChangeArgs,
}

#[derive(Debug, Args)]
pub(crate) struct EnvShowArgs {
    /// Environment from parity.toml.
    pub(crate) env: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub(crate) format: PlanFormat,
}

#[derive(Debug, Args)]
pub(crate) struct EnvTemplateArgs {
    /// Environment from parity.toml.
    pub(crate) env: String,
}

#[derive(Debug, Args)]
pub(crate) struct EnvDestroyArgs {
    /// Environment from parity.toml.
    pub(crate) env: String,
    /// Do not ask (a protected environment still needs its name typed on a terminal).
    #[arg(long)]
    pub(crate) yes: bool,
    #[command(flatten)]
    pub(crate) change: ChangeArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ReviewArgs {
    #[command(subcommand)]
    pub(crate) command: ReviewCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ReviewCommand {
    /// Build, push and deploy review app NAME (created on first deploy, updated after).
    Deploy(ReviewDeployArgs),
    /// Remove everything `review deploy NAME` made; the base environment is untouched.
    Destroy(ReviewDestroyArgs),
    /// The review apps of the base environment: URL, commit, age.
    List(ReviewListArgs),
    /// Destroy the review apps not deployed to for a while.
    Prune(ReviewPruneArgs),
}

/// The environment review apps derive from.
#[derive(Debug, Args)]
pub(crate) struct ReviewBase {
    /// Base environment. Default: `staging`, else the one environment others promote from.
    #[arg(long = "from", value_name = "ENV")]
    pub(crate) from: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ReviewDeployArgs {
    /// Review app name: a DNS label of at most 23 characters (e.g. pr-42).
    pub(crate) name: String,
    #[command(flatten)]
    pub(crate) base: ReviewBase,
    /// Image tag to push. Default: the git commit, else a timestamp.
    #[arg(long, value_name = "TAG")]
    pub(crate) tag: Option<String>,
    #[command(flatten)]
    pub(crate) change: ChangeArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ReviewDestroyArgs {
    /// Review app name.
    pub(crate) name: String,
    #[command(flatten)]
    pub(crate) base: ReviewBase,
    #[command(flatten)]
    pub(crate) change: ChangeArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ReviewListArgs {
    #[command(flatten)]
    pub(crate) base: ReviewBase,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub(crate) format: TableFormat,
}

#[derive(Debug, Args)]
pub(crate) struct ReviewPruneArgs {
    /// Destroy review apps last deployed at least this long ago (`7d`, `12h`, `0s`).
    #[arg(long, value_name = "D")]
    pub(crate) older_than: String,
    #[command(flatten)]
    pub(crate) base: ReviewBase,
    #[command(flatten)]
    pub(crate) change: ChangeArgs,
}

#[derive(Debug, Args)]
pub(crate) struct IamArgs {
    /// Environment from parity.toml.
    pub(crate) env: String,
    /// Who runs parity: a deployer with its own credentials, or GitHub Actions
    /// through OIDC (adds the deployer role's trust policy).
    #[arg(long = "for", value_enum, default_value_t = IamFor::Deploy)]
    pub(crate) purpose: IamFor,
    /// Output format: the policy with comments, or JSON documents.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub(crate) format: PlanFormat,
    /// The 12-digit account the ARNs name. Default: the environment's account_id (else `*`).
    #[arg(long, value_name = "ID")]
    pub(crate) account_id: Option<String>,
    /// With --for ci: the GitHub repository whose workflows deploy. Default: the git remote `origin`.
    #[arg(long, value_name = "OWNER/NAME")]
    pub(crate) github_repo: Option<String>,
    /// With --for ci: the branch whose pushes deploy.
    #[arg(long, value_name = "BRANCH", default_value = "main")]
    pub(crate) github_branch: String,
    /// With --for ci: let pull requests assume the role too, for the review apps workflow
    /// (any branch's pull request can then deploy review apps; forks get no token).
    #[arg(long)]
    pub(crate) review_apps: bool,
    /// With --for ci: create GitHub's OIDC provider in the account if it has none, and create
    /// or update the deployer role with this trust policy and policy (administrator credentials).
    #[arg(long)]
    pub(crate) apply: bool,
}

/// Who `parity iam` writes the policy for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum IamFor {
    Deploy,
    Ci,
}
