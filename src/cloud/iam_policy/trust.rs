//! The trust policy of the deployer role GitHub Actions assumes (`parity iam
//! ENV --for ci`): GitHub's OIDC provider may exchange a token for the role's
//! credentials only when the token is meant for STS (`aud`) and was issued to
//! a workflow of this repository on the branch that deploys, or in the GitHub
//! environment that gates a promotion (`sub`).

use serde_json::json;

use super::{Document, Statement, VERSION};
use crate::settings::Environment;

/// GitHub's OIDC issuer (without `https://`), as IAM's provider and condition keys name it.
pub(crate) const ISSUER: &str = "token.actions.githubusercontent.com";

/// Where the workflows run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GitHub {
    /// `OWNER/NAME`.
    pub(crate) repository: String,
    /// The branch whose pushes deploy (`main`).
    pub(crate) branch: String,
    /// Pull requests may assume the role too (the review apps workflow).
    pub(crate) review_apps: bool,
}

impl GitHub {
    /// The token subjects allowed to assume the role for `environment`: a
    /// promoted-to environment (prod) only from its GitHub environment (where
    /// required reviewers gate it), any other from pushes to the branch, and
    /// with `review_apps` from pull requests (GitHub gives a pull request's
    /// token the subject `repo:OWNER/NAME:pull_request`, whatever its branch).
    pub(crate) fn subjects(&self, environment: &Environment) -> Vec<String> {
        let repository = &self.repository;
        match environment.promotes_from() {
            Some(_) => vec![format!(
                "repo:{repository}:environment:{}",
                github_environment(environment.name())
            )],
            None => {
                let mut subjects =
                    vec![format!("repo:{repository}:ref:refs/heads/{}", self.branch)];
                if self.review_apps {
                    subjects.push(format!("repo:{repository}:pull_request"));
                }
                subjects
            }
        }
    }
}

/// The GitHub environment a promotion to `environment` runs in: `production`
/// for an environment named prod or production, else its own name. The
/// workflows `parity ci github` writes use this same function, so the trust
/// policy's subject and the workflow's environment cannot disagree.
pub(crate) fn github_environment(environment: &str) -> &str {
    match environment {
        "prod" | "production" => "production",
        other => other,
    }
}

/// The role GitHub Actions assumes in `environment`: the workflows `parity
/// ci github` writes name it, `parity iam ENV --for ci --apply` creates it
/// (one function, so the two cannot disagree).
pub(crate) fn deployer_role_name(app: &str, environment: &str) -> String {
    format!("parity-{app}-{environment}-deploy")
}

/// Whether `repository` looks like `OWNER/NAME` (GitHub's characters).
pub(crate) fn is_repository(repository: &str) -> bool {
    let mut parts = repository.split('/');
    let ok = |part: Option<&str>| {
        part.is_some_and(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
    };
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}

/// `OWNER/NAME` of a GitHub remote URL (`git@github.com:o/n.git`,
/// `https://github.com/o/n`, `ssh://git@github.com/o/n.git`); `None` for
/// anything else.
pub(crate) fn repository_of_remote(url: &str) -> Option<String> {
    let url = url.trim();
    let path = url
        .strip_prefix("git@github.com:")
        .or_else(|| url.strip_prefix("ssh://git@github.com/"))
        .or_else(|| url.strip_prefix("https://github.com/"))
        .or_else(|| url.strip_prefix("http://github.com/"))?;
    let path = path.trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    is_repository(path).then(|| path.to_owned())
}

/// The trust policy: GitHub's OIDC provider in `account`, for `subjects`.
pub(crate) fn policy(account: &str, subjects: &[String]) -> Document {
    Document {
        version: VERSION,
        statements: vec![Statement {
            sid: "GitHubActionsOfThisRepository".to_owned(),
            effect: "Allow",
            principal: Some(json!({
                "Federated": format!("arn:aws:iam::{account}:oidc-provider/{ISSUER}")
            })),
            actions: vec!["sts:AssumeRoleWithWebIdentity".to_owned()],
            resources: Vec::new(),
            condition: Some(json!({
                "StringEquals": {
                    format!("{ISSUER}:aud"): "sts.amazonaws.com",
                    format!("{ISSUER}:sub"): subjects,
                }
            })),
        }],
    }
}
