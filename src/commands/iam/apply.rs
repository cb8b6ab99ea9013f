//! `parity iam ENV --for ci --apply`: makes the account hold what `parity
//! iam ENV --for ci` prints. GitHub's OIDC provider is created when the
//! account has none (it is account-wide: IAM keeps one provider per issuer
//! URL, shared by every app and environment, which is why it is not part of
//! the per-environment stack), and the deployer role `parity-<app>-<env>-deploy`
//! is created or brought up to date: the trust policy and the policy as one
//! inline policy. Applying twice changes nothing.
//!
//! Creating roles is an administrator's right, never the deployer's: the
//! calls made here are in the inventory as `iam --apply`, which the
//! deployer's own policy leaves out.

use std::process::ExitCode;

use crate::aws::iam::{self, Outcome, Role};
use crate::aws::{AwsContext, AwsTarget};
use crate::cloud::iam_policy::{Iam, trust};
use crate::cloud::tags;
use crate::error::{Error, Result};
use crate::settings::Environment;

/// The name of the role's inline policy.
pub(crate) const POLICY_NAME: &str = "parity-deploy";
/// IAM's limit on the inline policies of one role, whitespace not counted.
const MAX_INLINE_POLICY: usize = 10_240;
/// The audience GitHub's token names when `configure-aws-credentials` asks for it.
const AUDIENCE: &str = "sts.amazonaws.com";

/// Applies `iam` (built `--for ci`) to the account of `environment`.
pub(super) fn run(iam: &Iam, environment: &Environment, repository: &str) -> Result<ExitCode> {
    let trust_policy = iam.trust_policy.as_ref().ok_or_else(|| {
        Error::input("--apply creates the deployer role GitHub Actions assumes").with_help(
            "add --for ci (and --github-repo OWNER/NAME when the git remote is not GitHub)",
        )
    })?;
    let policy = compact(&iam.policy);
    let size = policy.chars().filter(|c| !c.is_whitespace()).count();
    if size > MAX_INLINE_POLICY {
        return Err(Error::input(format!(
            "the policy of `{}` is {size} characters; IAM allows {MAX_INLINE_POLICY} in a role's inline policies",
            iam.environment
        ))
        .with_help("print it with `parity iam ENV --for ci --format json` and attach it as a managed policy instead"));
    }
    let trust_json = compact(trust_policy);
    let role_name = trust::deployer_role_name(&iam.app, &iam.environment);
    let description = format!(
        "parity deployer of {} {}: GitHub Actions of {repository} (parity iam --for ci --apply)",
        iam.app, iam.environment
    );
    let role_tags = [
        (tags::APP, iam.app.as_str()),
        (tags::ENVIRONMENT, iam.environment.as_str()),
    ];
    let role = Role {
        name: &role_name,
        description: &description,
        tags: &role_tags,
        trust: &trust_json,
        policy_name: POLICY_NAME,
        policy: &policy,
    };
    let (provider, applied) = super::super::block_on(async {
        let ctx = AwsContext::connect(&AwsTarget::for_environment(environment)).await?;
        let caller = crate::aws::sts::account_id(&ctx).await?;
        if caller != iam.account {
            return Err(Error::input(format!(
                "the credentials are for account {caller}, but the deployer role of `{}` belongs in account {}",
                iam.environment, iam.account
            ))
            .with_help("use the target account's administrator credentials (AWS_PROFILE), or fix account_id / --account-id"));
        }
        let provider = iam::ensure_oidc_provider(&ctx, trust::ISSUER, AUDIENCE).await?;
        let applied = iam::ensure_role(&ctx, &role).await?;
        Ok((provider, applied))
    })?;
    let (provider_arn, provider_outcome) = provider;
    outln!(
        "OIDC provider {provider_arn}: {} (account-wide: one per issuer, shared by every app and environment)",
        provider_outcome.label()
    );
    let changes = if applied.role == Outcome::Created {
        "created".to_owned()
    } else {
        format!(
            "trust policy {}, policy {POLICY_NAME} {}",
            applied.trust.label(),
            applied.policy.label()
        )
    };
    outln!("role {}: {changes}", applied.arn);
    for subject in &iam.subjects {
        outln!("  assumable by {subject}");
    }
    outln!(
        "In {repository}: `parity ci github --write` writes workflows that assume this role (role-to-assume: {}).",
        applied.arn
    );
    if environment.account_id().is_none() {
        outln!(
            "  parity.toml names no account_id: set the repository variable AWS_ACCOUNT_ID to {}.",
            iam.account
        );
    }
    outln!(
        "  Set the repository variable PARITY_GIT_URL (where the workflows install parity from)."
    );
    let pull_requests = iam.subjects.iter().any(|s| s.ends_with(":pull_request"));
    if environment.promotes_from().is_none() && !pull_requests {
        outln!(
            "  Review apps (parity-review-apps.yml) run on pull requests: apply again with --review-apps to let them assume this role."
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn compact<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("policy documents are plain JSON data")
}
