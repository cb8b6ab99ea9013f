//! `parity secrets sync ENV` and `parity secrets list ENV`.
//!
//! Orchestrates: reads the compose project (which cloud services declare
//! which secrets parity owns in `x-parity.secrets`; references to secrets it
//! does not own are never written or pruned), parity.toml (region, endpoint,
//! store, SSM prefix, KMS key) and the dotenv file, asks the environment's
//! store what it holds ([`store`]), lets `cloud::secrets_plan` decide, prints
//! the plan by name, and writes only what changed. Values never reach any output: the plan holds
//! fingerprints, printing uses names, and AWS errors are explained by code.

mod exists;
mod like;
mod store;

pub(crate) use exists::{Composed, survey};
pub(crate) use like::like_values;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use indexmap::IndexMap;

use crate::aws::secretsmanager::{DEFAULT_RECOVERY_DAYS, Deletion};
use crate::aws::ssm::SecretValue;
use crate::aws::ssm::ownership_tags;
use crate::aws::{AwsContext, AwsTarget};
use crate::cli::{
    GlobalArgs, SecretsArgs, SecretsCommand, SecretsListArgs, SecretsSyncArgs, TableFormat,
};
use crate::cloud::secrets_plan::{self, Action, LocalSecret, PlanError, PlanOptions, SecretsPlan};
use crate::error::{Error, Result};
use crate::settings::{Environment, SecretsStore, Settings};
use store::{Remote, Store};

pub(crate) fn run(global: &GlobalArgs, args: &SecretsArgs) -> Result<ExitCode> {
    match &args.command {
        SecretsCommand::Sync(args) => sync(global, args),
        SecretsCommand::List(args) => list(global, args),
    }
}

/// What both subcommands need before talking to AWS.
struct Scope {
    settings: Settings,
    environment_name: String,
    project_dir: PathBuf,
    /// Secret name -> cloud services that declare it, in compose order.
    declared: IndexMap<String, Vec<String>>,
    /// Variables that reference a secret parity does not own -> the reference.
    referenced: IndexMap<String, String>,
}

impl Scope {
    fn load(global: &GlobalArgs, environment: &str) -> Result<Self> {
        let project = super::load_project(global, &[])?;
        let settings = super::load_settings(global, &project)?;
        settings.environment(environment)?;
        let mut declared: IndexMap<String, Vec<String>> = IndexMap::new();
        let mut referenced: IndexMap<String, String> = IndexMap::new();
        for (name, service) in &project.services {
            let x = &service.x_parity;
            if !x.cloud {
                continue;
            }
            for secret in x.secrets.owned() {
                declared
                    .entry(secret.clone())
                    .or_default()
                    .push(name.clone());
            }
            for (secret, reference) in x.secrets.references() {
                referenced.insert(secret.clone(), reference.to_string());
            }
        }
        Ok(Self {
            settings,
            environment_name: environment.to_string(),
            project_dir: project.working_dir.clone(),
            declared,
            referenced,
        })
    }

    fn environment(&self) -> &Environment {
        self.settings
            .environment(&self.environment_name)
            .unwrap_or_else(|_| unreachable!("checked in Scope::load"))
    }

    fn target(&self) -> AwsTarget {
        AwsTarget::for_environment(self.environment())
    }
}

fn sync(global: &GlobalArgs, args: &SecretsSyncArgs) -> Result<ExitCode> {
    let scope = Scope::load(global, &args.env)?;
    let file = args
        .from
        .clone()
        .unwrap_or_else(|| scope.project_dir.join(format!(".env.{}", args.env)));
    // A project with no secrets (the quick start's `secrets sync` on the
    // example stack) has no file to read: nothing to sync is not an error.
    if args.from.is_none() && scope.declared.is_empty() && !file.exists() {
        outln!(
            "{}: no service declares x-parity.secrets and there is no {}: nothing to sync",
            args.env,
            file.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut values = read_dotenv(&file, &args.env)?;
    // A reference's local value (for `parity up`) is never written: the secret is not parity's.
    values.retain(|name, _| match scope.referenced.get(name) {
        Some(reference) if !scope.declared.contains_key(name) => {
            eprintln!(
                "note: {name} (in {}) references {reference}, which parity does not own: not written",
                file.display()
            );
            false
        }
        _ => true,
    });
    super::block_on(sync_async(&scope, &file, values, args))
}

/// Reads the dotenv file with the loader's rules; a malformed line is bad
/// input naming file:line (never the value), and nothing has been written.
pub(crate) fn read_dotenv(file: &Path, environment: &str) -> Result<IndexMap<String, SecretValue>> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::input(format!(
                "{} not found: it holds the secret values for `{environment}`",
                file.display()
            ))
            .with_help(
                "create it with one NAME=value line per secret, or pass --from FILE (keep it out of git)",
                ));
        }
        Err(err) => {
            return Err(Error::input(format!(
                "cannot read {}: {}",
                file.display(),
                err.kind()
            )));
        }
    };
    let parsed = crate::compose::dotenv::parse(&text, file)?;
    let mut values = IndexMap::new();
    for (name, value) in parsed {
        if !secrets_plan::valid_name(&name) {
            return Err(Error::input(format!(
                "{}: `{name}` cannot be an SSM parameter name",
                file.display()
            ))
            .with_help("use letters, digits, `_`, `.` and `-` only"));
        }
        values.insert(name, SecretValue::new(value));
    }
    Ok(values)
}

async fn sync_async(
    scope: &Scope,
    file: &Path,
    values: IndexMap<String, SecretValue>,
    args: &SecretsSyncArgs,
) -> Result<ExitCode> {
    crate::commands::ship::interrupt::listen()?;
    let context = AwsContext::connect(&scope.target()).await?;
    if let Pass::Done(code) = sync_with(&context, scope, file, &values, args, false).await? {
        return Ok(code);
    }
    // Two syncs at once would each plan against what the other is changing
    // (one prunes what the other just wrote): a sync that writes takes the
    // environment's deploy lock (the second exits 1 naming the holder), then
    // reads and plans again under it.
    let app = scope.settings.app();
    let env = &scope.environment_name;
    let locked = crate::commands::ship::lock::with_lock(
        &context,
        app,
        env,
        &format!("secrets sync {env}"),
        args.break_lock,
        sync_with(&context, scope, file, &values, args, true),
    )
    .await?;
    match locked {
        Pass::Done(code) => Ok(code),
        Pass::NeedsLock => Err(Error::failed(
            "secrets sync: planned writes without the lock",
        )),
    }
}

/// What one pass of [`sync_with`] came to.
enum Pass {
    Done(ExitCode),
    /// There is something to write: plan again under the lock.
    NeedsLock,
}

/// Reads what the store holds, plans, prints and writes. Without `locked`
/// it stops before printing when the plan writes anything (a dry run and
/// a no-op run take no lock).
async fn sync_with(
    context: &AwsContext,
    scope: &Scope,
    file: &Path,
    values: &IndexMap<String, SecretValue>,
    args: &SecretsSyncArgs,
    locked: bool,
) -> Result<Pass> {
    let environment = scope.environment();
    let app = scope.settings.app();
    let deletion = if args.force_delete_without_recovery {
        Deletion::Immediate
    } else {
        Deletion::RecoveryWindow(args.recovery_window_days)
    };
    let store = Store::new(context, environment, deletion);
    let prefix = store.prefix().to_owned();
    let remote = store.remote(app, environment.name()).await?;

    let local: Vec<LocalSecret> = values
        .iter()
        .map(|(name, value)| LocalSecret {
            name: name.clone(),
            fingerprint: secrets_plan::fingerprint(&remote.key, name, value.expose()),
            size: value.expose().len(),
        })
        .collect();
    let options = PlanOptions {
        prune: args.prune,
        kms_key_id: store.compared_kms_key(),
        declared: &scope.declared,
        store: store.kind(),
    };
    let plan = secrets_plan::plan(&local, &remote.secrets, &options).map_err(|err| {
        plan_error(
            err,
            file,
            &prefix,
            store.label(),
            &scope.environment_name,
            args.prune,
        )
    })?;
    if !locked && !args.dry_run && !plan.is_noop() {
        return Ok(Pass::NeedsLock);
    }

    out!(
        "{}",
        render_plan(
            &plan,
            &scope.environment_name,
            &prefix,
            store.label(),
            context.region()
        )
    );
    for name in &plan.unused {
        eprintln!(
            "warning: {name} (in {}) is not read by any cloud service: no `x-parity.secrets` lists it",
            file.display()
        );
    }
    if args.dry_run {
        outln!("Dry run: nothing was written.");
        context.calls().log_summary();
        return Ok(Pass::Done(ExitCode::SUCCESS));
    }
    if plan.is_noop() {
        outln!(
            "Nothing to write: {} already holds these values.",
            store.label()
        );
        context.calls().log_summary();
        return Ok(Pass::Done(ExitCode::SUCCESS));
    }

    let tags = ownership_tags(app, environment.name());
    let outcome = apply(&store, &plan, values, &remote, &tags).await;
    context.calls().log_summary();
    let done = outcome.map_err(|partial| partial.into_error(&scope.environment_name))?;
    let noun = match store.kind() {
        SecretsStore::Ssm => "parameter",
        SecretsStore::Secretsmanager => "secret",
    };
    outln!(
        "Wrote {} and removed {}.",
        count(done.written.len(), noun),
        count(done.removed.len(), noun)
    );
    if let (false, Deletion::RecoveryWindow(days), SecretsStore::Secretsmanager) =
        (done.removed.is_empty(), deletion, store.kind())
    {
        outln!(
            "Removed secrets can be restored for {days} days (`aws secretsmanager restore-secret --secret-id {prefix}NAME`)."
        );
    }
    if !plan.readers.is_empty() {
        let readers: Vec<String> = plan
            .readers
            .iter()
            .map(|(service, names)| format!("{service} ({})", names.join(", ")))
            .collect();
        outln!(
            "Changed secrets are read by: {}. ECS tasks read secrets when they start: these services \
             see the new values on their next deployment (`parity deploy {}`).",
            readers.join(", "),
            scope.environment_name
        );
    }
    Ok(Pass::Done(ExitCode::SUCCESS))
}

/// What was done before a failure (or all of it).
struct Applied {
    written: Vec<String>,
    removed: Vec<String>,
}

/// A write that failed midway: what was done, what was not, and why.
struct Partial {
    applied: Applied,
    not_done: Vec<String>,
    error: Error,
}

impl Partial {
    fn into_error(self, environment: &str) -> Error {
        let list = |names: &[String]| {
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        };
        self.error
            .context("secrets sync stopped")
            .with_help(format!("written: {}", list(&self.applied.written)))
            .with_help(format!("removed: {}", list(&self.applied.removed)))
            .with_help(format!("not done: {}", list(&self.not_done)))
            .with_help(format!(
                "run `parity secrets sync {environment}` again to finish: it writes only what still differs"
            ))
    }
}

async fn apply(
    store: &Store<'_>,
    plan: &SecretsPlan,
    values: &IndexMap<String, SecretValue>,
    remote: &Remote,
    tags: &[(&str, &str)],
) -> std::result::Result<Applied, Partial> {
    let mut applied = Applied {
        written: Vec::new(),
        removed: Vec::new(),
    };
    let writes: Vec<_> = plan.writes().collect();
    let removals: Vec<String> = plan
        .names(Action::Remove)
        .iter()
        .map(|n| n.to_string())
        .collect();
    let not_done = |from: usize| {
        writes[from..]
            .iter()
            .map(|s| s.name.clone())
            .chain(removals.iter().cloned())
            .collect::<Vec<_>>()
    };
    if remote.key_is_new
        && !writes.is_empty()
        && let Err(error) = store.save_key(&remote.key, tags).await
    {
        return Err(Partial {
            applied,
            not_done: not_done(0),
            error,
        });
    }
    for (index, step) in writes.iter().enumerate() {
        let Some(value) = values.get(&step.name) else {
            continue;
        };
        if let Err(error) = crate::commands::ship::interrupt::check("part-way through the writes") {
            return Err(Partial {
                applied,
                not_done: not_done(index),
                error,
            });
        }
        let fingerprint = secrets_plan::fingerprint(&remote.key, &step.name, value.expose());
        let restore = remote.pending_deletion.contains(&step.name);
        if let Err(error) = store.write(step, value, &fingerprint, restore, tags).await {
            return Err(Partial {
                applied,
                not_done: not_done(index),
                error,
            });
        }
        eprintln!("wrote {}", step.name);
        applied.written.push(step.name.clone());
    }
    if !removals.is_empty() {
        match store.remove(&removals).await {
            Ok(removed) => {
                for name in removed {
                    eprintln!("removed {name}");
                    applied.removed.push(name);
                }
            }
            Err((removed, error)) => {
                applied.removed = removed;
                let not_done = removals
                    .iter()
                    .filter(|n| !applied.removed.contains(n))
                    .cloned()
                    .collect();
                return Err(Partial {
                    applied,
                    not_done,
                    error,
                });
            }
        }
    }
    Ok(applied)
}

fn plan_error(
    err: PlanError,
    file: &Path,
    prefix: &str,
    store: &str,
    environment: &str,
    prune: bool,
) -> Error {
    match err {
        PlanError::Missing(missing) => {
            let names: Vec<String> = missing
                .iter()
                .map(|m| format!("{} (read by {})", m.name, m.services.join(", ")))
                .collect();
            let where_ = if prune {
                format!(
                    "{} (and --prune would remove it from {prefix})",
                    file.display()
                )
            } else {
                format!("{} nor under {prefix} in {store}", file.display())
            };
            Error::failed(format!(
                "secrets declared in x-parity.secrets are missing for `{environment}`: {}; they are neither in {where_}. Nothing was written.",
                names.join(", ")
            ))
            .with_help(format!(
                "add them to {} (NAME=value), or remove them from the services' `x-parity.secrets`",
                file.display()
            ))
        }
        PlanError::TooLarge(large) => {
            let names: Vec<String> = large
                .iter()
                .map(|(name, size)| format!("{name} ({size} bytes)"))
                .collect();
            Error::input(format!(
                "{}: values larger than {store} stores ({} KB): {}. Nothing was written.",
                file.display(),
                large.first().map_or(0, |_| limit_kb(store)),
                names.join(", ")
            ))
            .with_help("keep large material (certificates, key files) in S3 or Secrets Manager and store its location here")
        }
    }
}

/// The size limit of a store by its label, in KB.
fn limit_kb(store: &str) -> usize {
    let kind = if store == "SSM" {
        SecretsStore::Ssm
    } else {
        SecretsStore::Secretsmanager
    };
    secrets_plan::max_size(kind) / 1024
}

/// The plan for people: one line per name, never a value.
fn render_plan(
    plan: &SecretsPlan,
    environment: &str,
    prefix: &str,
    store: &str,
    region: &str,
) -> String {
    use std::fmt::Write as _;
    let mut out = if store == "SSM" {
        format!("Secrets for {environment}: {prefix} in {region}\n")
    } else {
        format!("Secrets for {environment}: {store} {prefix}* in {region}\n")
    };
    let width = plan.steps.iter().map(|s| s.name.len()).max().unwrap_or(0);
    for step in &plan.steps {
        let (mark, word) = match step.action {
            Action::Add => ("+", "add"),
            Action::Change => ("~", "change"),
            Action::Unchanged => ("=", "unchanged"),
            Action::Remove => ("-", "remove"),
            Action::Keep => (" ", "keep"),
        };
        let mut detail = String::new();
        if let Some(reason) = step.reason {
            let _ = write!(detail, " ({reason})");
        }
        if matches!(step.action, Action::Add | Action::Change)
            && step.tier == secrets_plan::Tier::Advanced
        {
            detail.push_str(" [Advanced tier: over 4 KB]");
        }
        let _ = writeln!(out, "  {mark} {:<width$}  {word}{detail}", step.name);
    }
    if plan.steps.is_empty() {
        let _ = writeln!(out, "  (no secrets in the file or in {store})");
    }
    let n = |action| plan.names(action).len();
    let _ = writeln!(
        out,
        "Plan: {} to add, {} to change, {} to remove, {} unchanged.",
        n(Action::Add),
        n(Action::Change),
        n(Action::Remove),
        n(Action::Unchanged)
    );
    out
}

fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn list(global: &GlobalArgs, args: &SecretsListArgs) -> Result<ExitCode> {
    let scope = Scope::load(global, &args.env)?;
    super::block_on(list_async(&scope, args.format))
}

/// One row of `secrets list`.
#[derive(Debug, serde::Serialize)]
struct Row {
    name: String,
    /// The SSM parameter or Secrets Manager secret name.
    parameter: String,
    version: Option<i64>,
    /// Secrets Manager: the `AWSCURRENT` version's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    version_id: Option<String>,
    last_modified: Option<String>,
    tier: Option<secrets_plan::Tier>,
    /// Tagged as written by parity for this app and environment.
    managed: bool,
    used_by: Vec<String>,
    /// Declared by a cloud service but not in the store.
    missing: bool,
}

async fn list_async(scope: &Scope, format: TableFormat) -> Result<ExitCode> {
    let environment = scope.environment();
    let context = AwsContext::connect(&scope.target()).await?;
    let store = Store::new(
        &context,
        environment,
        Deletion::RecoveryWindow(DEFAULT_RECOVERY_DAYS),
    );
    let prefix = store.prefix().to_owned();
    let listed = store
        .listed(scope.settings.app(), environment.name())
        .await?;
    context.calls().log_summary();

    let mut rows: Vec<Row> = listed
        .into_iter()
        .map(|item| Row {
            used_by: scope.declared.get(&item.name).cloned().unwrap_or_default(),
            parameter: item.id,
            version: item.version,
            version_id: item.version_id,
            last_modified: item.last_modified,
            tier: item.tier,
            managed: item.managed,
            missing: false,
            name: item.name,
        })
        .collect();
    for (name, services) in &scope.declared {
        if !rows.iter().any(|row| &row.name == name) {
            rows.push(Row {
                name: name.clone(),
                parameter: format!("{prefix}{name}"),
                version: None,
                version_id: None,
                last_modified: None,
                tier: None,
                managed: false,
                used_by: services.clone(),
                missing: true,
            });
        }
    }
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    let missing: Vec<&str> = rows
        .iter()
        .filter(|r| r.missing)
        .map(|r| r.name.as_str())
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "warning: declared in x-parity.secrets but missing from {}: {} (run `parity secrets sync {}`)",
            store.label(),
            missing.join(", "),
            scope.environment_name
        );
    }
    match format {
        TableFormat::Json => {
            let json = serde_json::json!({
                "environment": scope.environment_name,
                "store": store.kind(),
                "prefix": prefix,
                "region": context.region(),
                "secrets": rows,
            });
            outln!(
                "{}",
                serde_json::to_string_pretty(&json)
                    .map_err(|e| Error::failed(format!("cannot encode JSON: {e}")))?
            );
        }
        TableFormat::Table => out!("{}", render_table(&rows)),
    }
    Ok(ExitCode::SUCCESS)
}

fn render_table(rows: &[Row]) -> String {
    let header = [
        "NAME",
        "VERSION",
        "LAST MODIFIED",
        "TIER",
        "PARITY",
        "USED BY",
    ];
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            vec![
                row.name.clone(),
                match (&row.version, &row.version_id) {
                    (Some(v), _) => v.to_string(),
                    (None, Some(id)) => id.chars().take(8).collect(),
                    (None, None) => "-".into(),
                },
                row.last_modified.clone().unwrap_or_else(|| "-".into()),
                match row.tier {
                    Some(secrets_plan::Tier::Advanced) => "Advanced".into(),
                    Some(secrets_plan::Tier::Standard) => "Standard".into(),
                    None => "-".into(),
                },
                if row.missing {
                    "MISSING".into()
                } else if row.managed {
                    "yes".into()
                } else {
                    "no".into()
                },
                if row.used_by.is_empty() {
                    "-".into()
                } else {
                    row.used_by.join(", ")
                },
            ]
        })
        .collect();
    crate::output::table(&header, &cells)
}
