//! The IAM policy the principal running parity needs for one environment
//! (`parity iam ENV`): the actions of [`inventory::INVENTORY`] the covered
//! commands call, each statement scoped to one kind of resource the app owns
//! ([`arns`]), and with `--for ci` the OIDC trust policy of the deployer role
//! ([`trust`]).
//!
//! The documents are serde data printed as JSON (not a template): a policy is
//! data whose only valid form is JSON, and serde cannot produce an unbalanced
//! bracket or a badly escaped name. The human-readable layout around them
//! (comments saying what is `*` and why) is a minijinja template,
//! templates/iam/policy.txt.

pub(crate) mod arns;
pub(crate) mod inventory;
pub(crate) mod trust;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use self::arns::Arns;
use self::inventory::{Command, Entry, INVENTORY, Needs, Scope};
use crate::compose::model::Project;
use crate::error::Result;
use crate::settings::{SecretsStore, Settings};

/// Who the policy is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// A person or machine that deploys with its own credentials.
    Deploy,
    /// GitHub Actions assuming a deployer role through OIDC.
    Ci(trust::GitHub),
}

/// What the command layer knows that the core cannot (it is not in the files).
#[derive(Debug, Clone)]
pub(crate) struct Facts {
    /// Images go to ECR (the environment's registry is an ECR host, or unset).
    pub(crate) ecr: bool,
    /// The account the ARNs name (`--account-id`, else parity.toml's; none: `*`).
    pub(crate) account: Option<String>,
}

/// A policy document, serialized exactly as IAM reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Document {
    #[serde(rename = "Version")]
    pub(crate) version: &'static str,
    #[serde(rename = "Statement")]
    pub(crate) statements: Vec<Statement>,
}

/// One `Allow` statement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Statement {
    #[serde(rename = "Sid")]
    pub(crate) sid: String,
    #[serde(rename = "Effect")]
    pub(crate) effect: &'static str,
    #[serde(rename = "Principal", skip_serializing_if = "Option::is_none")]
    pub(crate) principal: Option<serde_json::Value>,
    #[serde(rename = "Action")]
    pub(crate) actions: Vec<String>,
    #[serde(rename = "Resource", skip_serializing_if = "Vec::is_empty")]
    pub(crate) resources: Vec<String>,
    #[serde(rename = "Condition", skip_serializing_if = "Option::is_none")]
    pub(crate) condition: Option<serde_json::Value>,
}

/// An action granted on `"*"`, and why nothing narrower exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Unscoped {
    pub(crate) action: String,
    pub(crate) why: &'static str,
}

/// Everything `parity iam` prints for one environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Iam {
    pub(crate) app: String,
    pub(crate) environment: String,
    /// `deploy` or `ci`.
    #[serde(rename = "for")]
    pub(crate) purpose: &'static str,
    /// The commands the policy lets the principal run.
    pub(crate) commands: Vec<CommandActions>,
    /// The account the ARNs name (`*` when parity.toml names none).
    pub(crate) account: String,
    pub(crate) policy: Document,
    /// The actions on `"*"`, sorted.
    pub(crate) unscoped: Vec<Unscoped>,
    /// The deployer role's trust policy (`--for ci`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) trust_policy: Option<Document>,
    /// The OIDC subjects the trust policy admits (`--for ci`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) subjects: Vec<String>,
}

/// One command and the actions it may call in this environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct CommandActions {
    pub(crate) command: &'static str,
    pub(crate) actions: Vec<String>,
}

/// The policy of environment `env` for `purpose`.
pub(crate) fn build(
    project: &Project,
    settings: &Settings,
    env: &str,
    purpose: &Purpose,
    facts: &Facts,
) -> Result<Iam> {
    let environment = settings.environment(env)?;
    let arns = Arns::of(project, settings, environment, facts.account.as_deref())?;
    let needs = needed(project, settings, env, facts)?;
    let entries: Vec<&Entry> = INVENTORY
        .iter()
        .filter(|e| needs.contains(&e.needs))
        .filter(|e| e.commands.iter().any(|c| !c.is_admin()))
        .collect();
    let mut by_scope: BTreeMap<Scope, BTreeSet<&str>> = BTreeMap::new();
    for entry in &entries {
        by_scope
            .entry(entry.scope)
            .or_default()
            .insert(entry.action);
    }
    let mut statements = Vec::new();
    let mut unscoped = Vec::new();
    for (scope, actions) in &by_scope {
        let resources = arns.of_scope(*scope);
        if resources.is_empty() {
            continue;
        }
        if resources == ["*"] {
            unscoped.extend(actions.iter().map(|a| Unscoped {
                action: (*a).to_owned(),
                why: inventory::why_anything(a),
            }));
        }
        statements.push(Statement {
            sid: arns::sid(*scope).to_owned(),
            effect: "Allow",
            principal: None,
            actions: actions.iter().map(|a| (*a).to_owned()).collect(),
            resources,
            condition: arns.condition(*scope),
        });
    }
    if let Some(deny) = arns.other_environments(settings, &by_scope) {
        statements.push(deny);
    }
    let commands = Command::ALL
        .iter()
        .filter(|c| !c.is_admin())
        .filter(|c| **c != Command::Review || needs.contains(&Needs::ReviewBase))
        .map(|command| CommandActions {
            command: command.label(),
            actions: entries
                .iter()
                .filter(|e| e.commands.contains(command))
                .map(|e| e.action.to_owned())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
        })
        .collect();
    let (purpose_label, trust_policy, subjects) = match purpose {
        Purpose::Deploy => ("deploy", None, Vec::new()),
        Purpose::Ci(github) => {
            let subjects = github.subjects(environment);
            (
                "ci",
                Some(trust::policy(&arns.account, &subjects)),
                subjects,
            )
        }
    };
    unscoped.sort_by(|a, b| a.action.cmp(&b.action));
    Ok(Iam {
        app: settings.app().to_owned(),
        environment: env.to_owned(),
        purpose: purpose_label,
        commands,
        account: arns.account.clone(),
        policy: Document {
            version: VERSION,
            statements,
        },
        unscoped,
        trust_policy,
        subjects,
    })
}

/// The policy language version every document states.
pub(crate) const VERSION: &str = "2012-10-17";

/// What the project and environment use, so the policy grants nothing else.
fn needed(
    project: &Project,
    settings: &Settings,
    env: &str,
    facts: &Facts,
) -> Result<BTreeSet<Needs>> {
    let environment = settings.environment(env)?;
    let cloud = || project.services.values().filter(|s| s.x_parity.cloud);
    let mut needs = BTreeSet::from([Needs::Always]);
    let secrets_manager_refs = cloud().any(|s| {
        s.x_parity
            .secrets
            .references()
            .any(|(_, r)| r.store() == SecretsStore::Secretsmanager)
    });
    match environment.secrets_store() {
        SecretsStore::Ssm => {
            needs.insert(Needs::SsmStore);
        }
        SecretsStore::Secretsmanager => {
            needs.insert(Needs::SecretsManager);
        }
    }
    if secrets_manager_refs {
        needs.insert(Needs::SecretsManager);
    }
    if cloud().any(|s| {
        s.x_parity
            .secrets
            .references()
            .any(|(_, r)| r.store() == SecretsStore::Ssm)
    }) {
        needs.insert(Needs::SsmReferences);
    }
    if cloud().any(|s| s.x_parity.is_job()) {
        needs.insert(Needs::Jobs);
    }
    if cloud().any(|s| s.x_parity.scale.is_some()) {
        needs.insert(Needs::Scaling);
    }
    if crate::cloud::stack::task_exec(project, environment) {
        needs.insert(Needs::Exec);
    }
    if facts.ecr {
        needs.insert(Needs::Ecr);
    }
    if environment.promotes_from().is_some() {
        needs.insert(Needs::Promotion);
        if facts.ecr {
            needs.insert(Needs::PromotionEcr);
        }
    }
    if environment.domain().is_some() {
        needs.insert(Needs::Domain);
    }
    if crate::cloud::review::check_base(environment).is_ok() {
        needs.insert(Needs::ReviewBase);
    }
    Ok(needs)
}
