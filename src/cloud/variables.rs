//! A container's variables in the cloud: compose values, minus `local_only`,
//! overridden by parity.toml's non-secret variables; `x-parity.secrets` become
//! SSM `valueFrom` ARNs and compose `secrets:` Secrets Manager ARNs.
//!
//! Refuses a plain variable that looks secret (by name, or a URL carrying a
//! password) unless the service marks it `plain`. Messages name variables,
//! never values.

use indexmap::IndexMap;
use serde_json::{Value, json};

use crate::cloud::backing::WiredMap;
use crate::cloud::backing::wiring::Wired;
use crate::compose::model::Service;
use crate::compose::x_parity::{SecretSource, XParity};
use crate::error::{Error, Result};
use crate::settings::Environment;

/// Words that make a variable name look secret.
const SECRET_WORDS: &[&str] = &[
    "KEY",
    "SECRET",
    "TOKEN",
    "PASSWORD",
    "PASSWD",
    "CREDENTIAL",
    "PRIVATE",
    "DSN",
];

/// One container's `environment` and `secrets` in ECS form.
pub(crate) struct Variables {
    pub(crate) environment: Vec<Value>,
    pub(crate) secrets: Vec<Value>,
    /// Compose-sourced plain values that reach the cloud, by name (for the
    /// local-only reference check).
    pub(crate) compose_values: IndexMap<String, String>,
    pub(crate) notes: Vec<String>,
    pub(crate) warnings: Vec<String>,
}

/// Builds the variables of one service's container.
pub(crate) fn translate(
    service: &Service,
    x: &XParity,
    environment: &Environment,
    account_id: &str,
    app: &str,
    wired: &WiredMap,
) -> Result<Variables> {
    let name = &service.name;
    let mut out = Variables {
        environment: Vec::new(),
        secrets: Vec::new(),
        compose_values: IndexMap::new(),
        notes: Vec::new(),
        warnings: Vec::new(),
    };
    // Plain values: compose first, then parity.toml on top.
    let mut plain: IndexMap<String, Option<String>> = IndexMap::new();
    for (key, value) in &service.environment {
        if x.local_only.contains(key) || x.secrets.contains(key) {
            continue;
        }
        plain.insert(key.clone(), value.clone());
        if let Some(value) = value {
            out.compose_values.insert(key.clone(), value.clone());
        }
    }
    for key in &x.local_only {
        if service.environment.contains_key(key) {
            out.notes.push(format!(
                "service `{name}`: variable {key} stays local (x-parity.local_only)"
            ));
        }
    }
    for (key, value) in environment.variables_for(name) {
        if x.secrets.contains(&key) {
            return Err(Error::input(format!(
                "environment `{}`: variable {key} of service `{name}` is declared secret (x-parity.secrets) but parity.toml gives it a plain value",
                environment.name()
            ))
            .with_help("secret values never live in parity.toml: remove it there and run `parity secrets sync`"));
        }
        if x.local_only.contains(&key) {
            continue;
        }
        out.compose_values.shift_remove(&key);
        plain.insert(key, Some(value));
    }
    plain.sort_keys();
    // Variables pointing at a managed service (`cloud::backing::wiring`):
    // the endpoint in place of the host, or a secret parity composes.
    let mut wired_secrets = Vec::new();
    for (key, value) in &plain {
        let from_compose = out.compose_values.contains_key(key);
        if let Some((wired, note)) = wired
            .get(&(name.clone(), key.clone()))
            .filter(|_| from_compose)
        {
            out.compose_values.shift_remove(key);
            out.notes.push(note.clone());
            match wired {
                Wired::Plain(value) => out.environment.push(json!({"name": key, "value": value})),
                Wired::Secret(parameter) => wired_secrets.push((key.clone(), parameter.clone())),
            }
            continue;
        }
        let Some(value) = value else {
            out.warnings.push(format!(
                "service `{name}`: variable {key} is declared without a value and nothing in parity.toml sets it; it is left out of the cloud"
            ));
            continue;
        };
        if !x.plain.contains(key) {
            if looks_secret(key) {
                return Err(secret_looking(service, key, value, "its name looks secret"));
            }
            if url_with_password(value) {
                return Err(secret_looking(
                    service,
                    key,
                    value,
                    "its value is a URL with a password in it",
                ));
            }
        }
        out.environment.push(json!({"name": key, "value": value}));
    }
    // One name, one source: ECS refuses two secrets with one name, and a
    // variable that is both a secret and a plain value is one or the other
    // depending on the order ECS applies them.
    let mut secret_names: IndexMap<String, String> = IndexMap::new();
    // `at`: where the claiming secret is written, for the error's location.
    let mut claim = |secret: &str, from: String, at: String| -> Result<()> {
        if let Some(first) = secret_names.insert(secret.to_owned(), from.clone()) {
            return Err(service.error_at(&at, format!(
                "service `{name}`: two secrets are named {secret} ({first} and {from}); ECS refuses a second secret with one name"
            ))
            .with_help("give one of them another name (for a compose secret, its `target`)"));
        }
        if let Some(plain) = out.environment.iter().find(|v| v["name"] == json!(secret)) {
            // The snippet shows the line that sets it: a value named like a
            // secret is treated as one.
            if let Some(value) = plain["value"].as_str() {
                crate::redact::secret_value(secret, value);
            }
            return Err(service.error_at(&format!("environment.{secret}"), format!(
                "service `{name}`: {secret} is both a secret ({from}) and a plain variable; ECS refuses the pair"
            ))
            .with_help("remove the plain value (from `environment`, env_file or parity.toml), or name the secret differently"));
        }
        Ok(())
    };
    // A compose secret becomes a variable named after its target (a path
    // target has no variable name, so the source names it).
    let compose_secrets: Vec<(&str, &str)> = service
        .secrets
        .iter()
        .map(|r| {
            let target = r.target.as_deref().filter(|t| !t.contains('/'));
            (target.unwrap_or(&r.source), r.source.as_str())
        })
        .collect();
    for key in x.secrets.names() {
        claim(
            key,
            "x-parity.secrets".into(),
            format!("x-parity.secrets.{key}"),
        )?;
    }
    for (key, _) in &wired_secrets {
        claim(
            key,
            "composed by parity for a managed service".into(),
            String::new(),
        )?;
    }
    for (index, (target, source)) in compose_secrets.iter().enumerate() {
        claim(
            target,
            format!("compose secret `{source}`"),
            format!("secrets.{index}"),
        )?;
    }
    for key in x.secrets.names() {
        let value_from = match x.secrets.source(key) {
            Some(SecretSource::Reference(reference)) => {
                reference.value_from(environment.region(), account_id)
            }
            _ => environment.owned_secret_arn(account_id, key),
        };
        out.secrets.push(json!({
            "name": key,
            "valueFrom": value_from,
        }));
    }
    for (key, parameter) in &wired_secrets {
        out.secrets.push(json!({
            "name": key,
            "valueFrom": environment.parity_secret_arn(account_id, parameter),
        }));
    }
    for (target, source) in compose_secrets {
        out.secrets.push(json!({
            "name": target,
            "valueFrom": format!(
                "arn:aws:secretsmanager:{}:{account_id}:secret:{app}/{}/{source}",
                environment.region(),
                environment.name(),
            ),
        }));
        out.notes.push(format!(
            "service `{name}`: compose secret `{source}` comes from Secrets Manager `{app}/{}/{source}` as variable {target} (ECS injects secrets as variables, not files)",
            environment.name(),
        ));
    }
    Ok(out)
}

/// The refusal of a plain variable that looks secret. Its value is scrubbed
/// from all output from here on: the error's snippet shows the line that
/// sets it, and a value that looks secret is treated as one.
fn secret_looking(service: &Service, key: &str, value: &str, why: &str) -> Error {
    crate::redact::secret_value(key, value);
    service
        .error_at(
            &format!("environment.{key}"),
            format!(
                "service `{}`: variable {key} would reach the cloud as plain text, but {why}",
                service.name
            ),
        )
    .with_help(
        "list it in `x-parity.secrets` to read it from SSM, or in `x-parity.plain` if it is not a secret",
    )
}

/// A name looks secret when one of its `_`-separated words contains a secret word.
pub(crate) fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|word| SECRET_WORDS.iter().any(|s| word.contains(s)))
}

/// `scheme://user:password@host...` with a non-empty password.
pub(crate) fn url_with_password(value: &str) -> bool {
    let Some((_, rest)) = value.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let Some((userinfo, _)) = authority.rsplit_once('@') else {
        return false;
    };
    userinfo
        .split_once(':')
        .is_some_and(|(_, password)| !password.is_empty())
}

/// Host-like words in a value (`postgres://u@db:5432/x` gives `postgres`, `u`, `db`, ...).
pub(crate) fn mentions_host(value: &str, host: &str) -> bool {
    host_words(value).any(|word| word == host)
}

/// The words of `value` that [`mentions_host`] compares with a host name.
pub(crate) fn host_words(value: &str) -> impl Iterator<Item = &str> {
    value.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_looking_names() {
        for name in [
            "API_KEY",
            "SECRET_KEY_BASE",
            "GITHUB_TOKEN",
            "DB_PASSWORD",
            "SENTRY_DSN",
            "PRIVATE_PEM",
            "AWS_CREDENTIALS",
            "APIKEY",
        ] {
            assert!(looks_secret(name), "{name}");
        }
        for name in ["PORT", "LOG_LEVEL", "DATABASE_HOST", "RAILS_ENV"] {
            assert!(!looks_secret(name), "{name}");
        }
    }

    #[test]
    fn urls_with_passwords() {
        assert!(url_with_password("postgres://app:s3cret@db/app"));
        assert!(!url_with_password("postgres://app@db/app"));
        assert!(!url_with_password("postgres://app:@db/app"));
        assert!(!url_with_password("https://example.com/a:b@c"));
        assert!(!url_with_password("plain"));
    }

    #[test]
    fn host_mentions() {
        assert!(mentions_host("postgres://app@db:5432/app", "db"));
        assert!(mentions_host("db", "db"));
        assert!(!mentions_host("postgres://app@dbhost/app", "db"));
    }
}
