//! `parity up --like ENV [--secrets-from-aws]`: the local run gets the secret
//! values environment ENV has, for every variable a service declares in
//! `x-parity.secrets` (parity's own and references alike): from ENV's dotenv
//! file (`.env.<ENV>`), or from the stores themselves. A reference to a
//! JSON key takes that key of the secret's JSON.
//!
//! Values are registered with [`crate::redact`] as they are read, so no
//! output can show them; messages name variables only.

use indexmap::IndexMap;

use crate::aws::secretsmanager::SecretsManager;
use crate::aws::ssm::{ParameterStore, SecretValue};
use crate::aws::{AwsContext, AwsTarget};
use crate::cli::GlobalArgs;
use crate::compose::model::Project;
use crate::compose::x_parity::{SecretRef, SecretSource};
use crate::error::{Error, Result};
use crate::settings::{Environment, SecretsStore};

/// ENV's values of every secret some service declares, by variable name:
/// from `.env.ENV` (read as `secrets sync` reads it) or from the stores.
/// Each value is registered with [`crate::redact`] as it is read.
pub(crate) fn like_values(
    global: &GlobalArgs,
    project: &Project,
    environment: &str,
    from_aws: bool,
) -> Result<IndexMap<String, SecretValue>> {
    let settings = crate::commands::load_settings(global, project)?;
    let env = settings.environment(environment)?.clone();
    let wanted: Vec<(String, SecretSource)> = {
        let mut wanted: Vec<(String, SecretSource)> = Vec::new();
        for service in project.services.values() {
            for name in service.x_parity.secrets.names() {
                if let Some(source) = service.x_parity.secrets.source(name)
                    && !wanted.iter().any(|(n, s)| n == name && s == source)
                {
                    wanted.push((name.clone(), source.clone()));
                }
            }
        }
        wanted
    };
    if wanted.is_empty() {
        // Nothing to read: no dotenv file or store is needed.
        return Ok(IndexMap::new());
    }
    let values: IndexMap<String, SecretValue> = if from_aws {
        crate::commands::block_on(from_stores(&env, &wanted))?
    } else {
        // Read as `secrets sync` reads it: the same rules, the same errors.
        let file = project.working_dir.join(format!(".env.{environment}"));
        super::read_dotenv(&file, environment).map_err(|e| {
            e.with_help(format!(
                "or add --secrets-from-ssm to read `{environment}`'s stores instead"
            ))
        })?
    };
    for (name, value) in &values {
        crate::redact::secret_value(name, value.expose());
    }
    Ok(values)
}

/// Reads each wanted secret from where it lives; missing ones are left out.
async fn from_stores(
    environment: &Environment,
    wanted: &[(String, SecretSource)],
) -> Result<IndexMap<String, SecretValue>> {
    let context = AwsContext::connect(&AwsTarget::for_environment(environment)).await?;
    let ssm = ParameterStore::new(&context);
    let manager = SecretsManager::new(&context);
    let mut out = IndexMap::new();
    for (name, source) in wanted {
        let value = match source {
            SecretSource::Owned => match environment.secrets_store() {
                SecretsStore::Ssm => ssm.value(&environment.ssm_parameter_name(name)).await?,
                SecretsStore::Secretsmanager => {
                    manager
                        .value(&format!("{}{name}", environment.secrets_manager_prefix()))
                        .await?
                }
            },
            SecretSource::Reference(SecretRef::Ssm { parameter }) => ssm.value(parameter).await?,
            SecretSource::Reference(SecretRef::SecretsManager { secret, json_key }) => {
                match (manager.value(secret).await?, json_key) {
                    (Some(value), Some(key)) => {
                        crate::redact::secret_value(name, value.expose());
                        Some(json_key_of(name, &value, key)?)
                    }
                    (value, _) => value,
                }
            }
        };
        if let Some(value) = value {
            crate::redact::secret_value(name, value.expose());
            out.insert(name.clone(), value);
        }
    }
    context.calls().log_summary();
    Ok(out)
}

/// One string key of a JSON secret; errors name the variable and key, never the value.
fn json_key_of(variable: &str, value: &SecretValue, key: &str) -> Result<SecretValue> {
    let json: serde_json::Value = serde_json::from_str(value.expose()).map_err(|_| {
        Error::failed(format!(
            "{variable}: the referenced secret is not JSON, so it has no key `{key}`"
        ))
    })?;
    match json.get(key) {
        Some(serde_json::Value::String(s)) => Ok(SecretValue::new(s.clone())),
        Some(other) if !other.is_null() => Ok(SecretValue::new(other.to_string())),
        _ => Err(Error::failed(format!(
            "{variable}: the referenced secret's JSON has no key `{key}`"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keys_are_taken_and_errors_never_quote_the_value() {
        let value =
            SecretValue::new(r#"{"username":"admin","password":"canary-pw","port":5432}"#.into());
        assert_eq!(
            json_key_of("DB_PASSWORD", &value, "password")
                .unwrap()
                .expose(),
            "canary-pw"
        );
        assert_eq!(json_key_of("P", &value, "port").unwrap().expose(), "5432");
        let err = json_key_of("DB_PASSWORD", &value, "nope").unwrap_err();
        assert!(!err.message().contains("canary"), "{}", err.message());
        let err = json_key_of("X", &SecretValue::new("canary-plain".into()), "k").unwrap_err();
        assert!(!err.message().contains("canary"), "{}", err.message());
    }
}
