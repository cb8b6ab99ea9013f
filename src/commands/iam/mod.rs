//! `parity iam ENV [--for deploy|ci] [--format text|json] [--apply]`: prints
//! the IAM policy the principal running parity needs for one environment, and
//! with `--for ci` the trust policy of the deployer role GitHub Actions
//! assumes; `--for ci --apply` creates that role ([`apply`]).
//!
//! Printing is offline: it reads the compose project and parity.toml only;
//! the policy is `cloud::iam_policy`'s. What this module adds is what is not
//! in the files: whether the registry is ECR, and the GitHub repository
//! (`--github-repo` or the git remote `origin`).

mod apply;

use std::process::ExitCode;

use minijinja::AutoEscape;
use minijinja::syntax::SyntaxConfig;
use minijinja::value::{Serde, Value};

use crate::cli::{GlobalArgs, IamArgs, IamFor, PlanFormat};
use crate::cloud::iam_policy::{self, Facts, Iam, Purpose, trust};
use crate::cloud::stack::template_environment;
use crate::error::{Error, Result};

const TEMPLATE: &str = include_str!("../../../templates/iam/policy.txt");

pub(crate) fn run(global: &GlobalArgs, args: &IamArgs) -> Result<ExitCode> {
    if args.apply && args.purpose != IamFor::Ci {
        return Err(Error::input(
            "--apply creates the deployer role GitHub Actions assumes, and is only for --for ci",
        )
        .with_help("run `parity iam ENV --for ci --apply` (administrator credentials)"));
    }
    let project = super::load_project(global, &[])?;
    let settings = super::load_settings(global, &project)?;
    if let Some(account) = &args.account_id {
        check_account(account)?;
    }
    let environment = settings.environment(&args.env)?;
    let account = args
        .account_id
        .clone()
        .or_else(|| environment.account_id().map(str::to_owned));
    let purpose = match args.purpose {
        IamFor::Deploy => Purpose::Deploy,
        IamFor::Ci => {
            if account.is_none() {
                return Err(Error::input(format!(
                    "--for ci: environment `{}` has no account_id in {}, and the trust policy must name the account's OIDC provider",
                    args.env,
                    settings.path.display()
                ))
                .with_help("pass --account-id 123456789012, or set account_id in the environment"));
            }
            if args.review_apps && environment.promotes_from().is_some() {
                return Err(Error::input(format!(
                    "--review-apps: review apps never run in `{}`, which promotes from another environment",
                    args.env
                ))
                .with_help("give --review-apps for the environment review apps derive from (staging)"));
            }
            Purpose::Ci(trust::GitHub {
                repository: github_repository(args, &project.working_dir)?,
                branch: args.github_branch.clone(),
                review_apps: args.review_apps,
            })
        }
    };
    let ecr = environment
        .registry
        .as_deref()
        .is_none_or(crate::aws::ecr::is_ecr);
    let facts = Facts { ecr, account };
    let iam = iam_policy::build(&project, &settings, &args.env, &purpose, &facts)?;
    if let (true, Purpose::Ci(github)) = (args.apply, &purpose) {
        return apply::run(&iam, environment, &github.repository);
    }
    match args.format {
        PlanFormat::Json => println!("{}", pretty(&iam)),
        PlanFormat::Text => print!("{}", text(&iam)?),
    }
    Ok(ExitCode::SUCCESS)
}

/// A 12-digit account id, or bad input naming the flag.
fn check_account(account: &str) -> Result<()> {
    if account.len() == 12 && account.chars().all(|c| c.is_ascii_digit()) {
        return Ok(());
    }
    Err(Error::input(format!(
        "--account-id `{account}` is not a 12-digit AWS account id"
    ))
    .with_help("write it like --account-id 123456789012"))
}

/// `--github-repo`, else the GitHub repository of the git remote `origin`.
fn github_repository(args: &IamArgs, dir: &std::path::Path) -> Result<String> {
    if let Some(repository) = &args.github_repo {
        if trust::is_repository(repository) {
            return Ok(repository.clone());
        }
        return Err(
            Error::input(format!("--github-repo `{repository}` is not OWNER/NAME"))
                .with_help("write it like --github-repo acme/shop"),
        );
    }
    let remote = std::process::Command::new("git")
        .args(["remote", "get-url", "origin"])
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned());
    match remote.as_deref().map(|url| (url, trust::repository_of_remote(url))) {
        Some((_, Some(repository))) => Ok(repository),
        Some((url, None)) => Err(Error::input(format!(
            "--for ci: the git remote `origin` ({url}) is not a GitHub repository, and --github-repo is not given"
        ))
        .with_help("pass --github-repo OWNER/NAME: the repository whose workflows deploy")),
        None => Err(Error::input(
            "--for ci needs the GitHub repository whose workflows deploy: --github-repo is not given and there is no git remote `origin`",
        )
        .with_help("pass --github-repo OWNER/NAME")),
    }
}

fn pretty<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).expect("policy documents are plain JSON data")
}

/// The text form: templates/iam/policy.txt around the JSON documents.
fn text(iam: &Iam) -> Result<String> {
    let mut templates = template_environment(&mut SyntaxConfig::builder(), AutoEscape::None)
        .map_err(template_bug)?;
    templates
        .add_template("policy.txt", TEMPLATE)
        .map_err(template_bug)?;
    let context = minijinja::context! {
        iam => Value::from(Serde(iam)),
        policy_json => pretty(&iam.policy),
        trust_json => iam.trust_policy.as_ref().map(pretty),
        issuer => trust::ISSUER,
    };
    templates
        .get_template("policy.txt")
        .and_then(|t| t.render(context))
        .map_err(template_bug)
}

fn template_bug(e: minijinja::Error) -> Error {
    Error::failed(format!("templates/iam/policy.txt: {e}"))
}
