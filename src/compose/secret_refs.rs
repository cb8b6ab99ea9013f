//! `x-parity.secrets`: which variables come from a secret in the cloud, and
//! whether parity owns that secret or only points at one it does not own.
//!
//! Written as a list (`[API_KEY]`: every name is parity's own, kept in the
//! environment's store by `parity secrets sync`) or as a map in which
//! `NAME: true` is parity's own and a string is a reference:
//! `secretsmanager:NAME[:JSONKEY]` (a Secrets Manager secret, or one key of a
//! JSON secret such as the password RDS keeps for its master user) or
//! `ssm:/path` (a Parameter Store parameter). `secrets sync` never writes or
//! prunes a reference; deploy only checks that it exists (by name).
//!
//! Malformed references are bad input located at the value, because the
//! node deserializer locates every error a visitor returns.

use std::fmt;

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};

/// The declared secret variables of one service, in the order written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Secrets {
    entries: IndexMap<String, SecretSource>,
}

/// Where one secret variable's value lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SecretSource {
    /// In the environment's own store, written by `parity secrets sync`.
    Owned,
    /// In a secret parity does not own.
    Reference(SecretRef),
}

/// A secret parity reads but does not own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SecretRef {
    /// A Secrets Manager secret by name (or full ARN), optionally one key of its JSON.
    SecretsManager {
        secret: String,
        json_key: Option<String>,
    },
    /// A Parameter Store parameter by its full name (`/shared/stripe/key`).
    Ssm { parameter: String },
}

impl Secrets {
    /// Every declared name, owned or referenced.
    pub(crate) fn names(&self) -> impl Iterator<Item = &String> {
        self.entries.keys()
    }

    /// Whether `name` is declared at all.
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The names whose secret parity owns (what `secrets sync` writes).
    pub(crate) fn owned(&self) -> impl Iterator<Item = &String> {
        self.entries
            .iter()
            .filter(|(_, source)| matches!(source, SecretSource::Owned))
            .map(|(name, _)| name)
    }

    /// The names that reference a secret parity does not own.
    pub(crate) fn references(&self) -> impl Iterator<Item = (&String, &SecretRef)> {
        self.entries
            .iter()
            .filter_map(|(name, source)| match source {
                SecretSource::Reference(reference) => Some((name, reference)),
                SecretSource::Owned => None,
            })
    }

    /// Where `name`'s value lives, when declared.
    pub(crate) fn source(&self, name: &str) -> Option<&SecretSource> {
        self.entries.get(name)
    }
}

impl SecretRef {
    /// Parses `secretsmanager:NAME[:JSONKEY]` or `ssm:/path`; the error says
    /// what is wrong (it never contains more than the reference as written,
    /// which is a name, not a value).
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        const FORMS: &str = "write `secretsmanager:NAME`, `secretsmanager:NAME:JSONKEY` or `ssm:/path/NAME`, or `true` for a secret parity keeps";
        if let Some(rest) = text.strip_prefix("secretsmanager:") {
            let (secret, key) = split_secrets_manager(rest);
            if !valid_secret_name(secret) {
                return Err(format!(
                    "`{text}`: `{secret}` is not a Secrets Manager secret name (letters, digits and `/_+=.@-!`, at most 512); {FORMS}"
                ));
            }
            if let Some(key) = key
                && (key.is_empty() || key.contains(':'))
            {
                return Err(format!(
                    "`{text}`: the JSON key after the secret name is empty or has a `:`; {FORMS}"
                ));
            }
            return Ok(Self::SecretsManager {
                secret: secret.to_owned(),
                json_key: key.map(str::to_owned),
            });
        }
        if let Some(parameter) = text.strip_prefix("ssm:") {
            let valid = parameter.starts_with('/')
                && parameter.len() > 1
                && parameter.len() <= 1011
                && !parameter.contains("//")
                && !parameter.ends_with('/')
                && parameter
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/_.-".contains(c));
            if !valid {
                return Err(format!(
                    "`{text}`: `{parameter}` is not a full SSM parameter name (starts with `/`, letters, digits, `/_.-`); {FORMS}"
                ));
            }
            return Ok(Self::Ssm {
                parameter: parameter.to_owned(),
            });
        }
        Err(format!("`{text}` is not a secret reference; {FORMS}"))
    }

    /// The store the referenced secret lives in.
    pub(crate) fn store(&self) -> crate::settings::SecretsStore {
        match self {
            Self::SecretsManager { .. } => crate::settings::SecretsStore::Secretsmanager,
            Self::Ssm { .. } => crate::settings::SecretsStore::Ssm,
        }
    }

    /// The secret's name (Secrets Manager) or parameter name (SSM), without a JSON key.
    pub(crate) fn secret_name(&self) -> &str {
        match self {
            Self::SecretsManager { secret, .. } => secret,
            Self::Ssm { parameter } => parameter,
        }
    }

    /// The secret's ARN, without a JSON key: a full ARN as written, else
    /// built from the region and account.
    pub(crate) fn arn(&self, region: &str, account_id: &str) -> String {
        match self {
            Self::SecretsManager { secret, .. } if secret.starts_with("arn:") => secret.clone(),
            Self::SecretsManager { secret, .. } => {
                format!("arn:aws:secretsmanager:{region}:{account_id}:secret:{secret}")
            }
            Self::Ssm { parameter } => format!(
                "arn:aws:ssm:{region}:{account_id}:parameter/{}",
                parameter.trim_start_matches('/')
            ),
        }
    }

    /// The task definition's `valueFrom`: the ARN, and for a JSON key ECS's
    /// `arn:…:secret:NAME:KEY::` form (key, then empty version stage and id).
    pub(crate) fn value_from(&self, region: &str, account_id: &str) -> String {
        let arn = self.arn(region, account_id);
        match self {
            Self::SecretsManager {
                json_key: Some(key),
                ..
            } => format!("{arn}:{key}::"),
            _ => arn,
        }
    }

    /// The IAM resource the execution role needs to read it, as a `Fn::Sub`
    /// string. A Secrets Manager ARN built from a name ends in `-??????`: the
    /// six random characters AWS appends, and nothing else.
    pub(crate) fn iam_resource(&self) -> String {
        const ARN: &str = "arn:${AWS::Partition}";
        const REGION_ACCOUNT: &str = "${AWS::Region}:${AWS::AccountId}";
        match self {
            Self::SecretsManager { secret, .. } if secret.starts_with("arn:") => {
                if has_random_suffix(secret) {
                    secret.clone()
                } else {
                    format!("{secret}-??????")
                }
            }
            Self::SecretsManager { secret, .. } => {
                format!("{ARN}:secretsmanager:{REGION_ACCOUNT}:secret:{secret}-??????")
            }
            Self::Ssm { parameter } => format!(
                "{ARN}:ssm:{REGION_ACCOUNT}:parameter/{}",
                parameter.trim_start_matches('/')
            ),
        }
    }
}

impl fmt::Display for SecretRef {
    /// The reference as written in the compose file.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SecretsManager {
                secret,
                json_key: None,
            } => write!(f, "secretsmanager:{secret}"),
            Self::SecretsManager {
                secret,
                json_key: Some(key),
            } => write!(f, "secretsmanager:{secret}:{key}"),
            Self::Ssm { parameter } => write!(f, "ssm:{parameter}"),
        }
    }
}

/// A full ARN ends in `-` and the six random characters AWS appended to the name.
fn has_random_suffix(arn: &str) -> bool {
    arn.rsplit_once('-').is_some_and(|(_, suffix)| {
        suffix.len() == 6 && suffix.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

/// `NAME[:KEY]`, where NAME may be a full ARN (`arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME`).
fn split_secrets_manager(rest: &str) -> (&str, Option<&str>) {
    if rest.starts_with("arn:") {
        // An ARN has seven `:`-separated fields; an eighth is the JSON key.
        let mut colons = rest.match_indices(':').map(|(i, _)| i);
        return match colons.nth(6) {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
    }
    match rest.split_once(':') {
        Some((name, key)) => (name, Some(key)),
        None => (rest, None),
    }
}

/// Secrets Manager names: letters, digits and `/_+=.@-` (and `!`, which
/// AWS-managed secrets such as RDS's `rds!db-…` use); a full ARN is taken as written.
fn valid_secret_name(name: &str) -> bool {
    if let Some(rest) = name.strip_prefix("arn:") {
        let fields: Vec<&str> = rest.split(':').collect();
        return fields.len() == 6
            && fields[1] == "secretsmanager"
            && fields[4] == "secret"
            && valid_secret_name(fields[5]);
    }
    !name.is_empty()
        && name.len() <= 512
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_+=.@-!".contains(c))
}

impl<'de> Deserialize<'de> for Secrets {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SecretsVisitor)
    }
}

struct SecretsVisitor;

impl<'de> Visitor<'de> for SecretsVisitor {
    type Value = Secrets;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "a list of variable names, or a map of NAME: true | \"secretsmanager:…\" | \"ssm:/…\"",
        )
    }

    fn visit_unit<E: de::Error>(self) -> Result<Secrets, E> {
        Ok(Secrets::default())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Secrets, A::Error> {
        let mut entries = IndexMap::new();
        while let Some(name) = seq.next_element::<String>()? {
            entries.insert(name, SecretSource::Owned);
        }
        Ok(Secrets { entries })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Secrets, A::Error> {
        let mut entries = IndexMap::new();
        while let Some(name) = map.next_key::<String>()? {
            let source = map.next_value::<SourceDe>()?;
            entries.insert(name, source.0);
        }
        Ok(Secrets { entries })
    }
}

/// One map value: `true`, or a reference string.
struct SourceDe(SecretSource);

impl<'de> Deserialize<'de> for SourceDe {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SourceVisitor)
    }
}

struct SourceVisitor;

impl<'de> Visitor<'de> for SourceVisitor {
    type Value = SourceDe;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("`true` (a secret parity keeps) or a reference like \"secretsmanager:NAME:KEY\" or \"ssm:/path\"")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<SourceDe, E> {
        if value {
            Ok(SourceDe(SecretSource::Owned))
        } else {
            Err(E::custom(
                "`false` declares nothing: write `true` for a secret parity keeps, a reference string, or remove the entry",
            ))
        }
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<SourceDe, E> {
        SecretRef::parse(value)
            .map(|r| SourceDe(SecretSource::Reference(r)))
            .map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sm(secret: &str, key: Option<&str>) -> SecretRef {
        SecretRef::SecretsManager {
            secret: secret.into(),
            json_key: key.map(Into::into),
        }
    }

    #[test]
    fn references_parse_in_both_stores() {
        assert_eq!(
            SecretRef::parse("secretsmanager:rds!db-abc123:password"),
            Ok(sm("rds!db-abc123", Some("password")))
        );
        assert_eq!(
            SecretRef::parse("secretsmanager:shared/stripe"),
            Ok(sm("shared/stripe", None))
        );
        assert_eq!(
            SecretRef::parse("ssm:/shared/stripe/key"),
            Ok(SecretRef::Ssm {
                parameter: "/shared/stripe/key".into()
            })
        );
        let arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf";
        assert_eq!(
            SecretRef::parse(&format!("secretsmanager:{arn}:password")),
            Ok(sm(arn, Some("password")))
        );
        assert_eq!(
            SecretRef::parse(&format!("secretsmanager:{arn}")),
            Ok(sm(arn, None))
        );
    }

    #[test]
    fn malformed_references_say_which_forms_exist() {
        for bad in [
            "vault:x",
            "secretsmanager:",
            "secretsmanager:a b",
            "secretsmanager:db:",
            "ssm:relative",
            "ssm:/a//b",
            "ssm:/",
        ] {
            let err = SecretRef::parse(bad).unwrap_err();
            assert!(err.contains("secretsmanager:NAME"), "{bad}: {err}");
        }
    }

    #[test]
    fn value_from_is_the_exact_arn_ecs_expects() {
        let region = "eu-west-1";
        let account = "123456789012";
        assert_eq!(
            sm("rds!db-abc123", Some("password")).value_from(region, account),
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-abc123:password::"
        );
        assert_eq!(
            sm("shared/stripe", None).value_from(region, account),
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shared/stripe"
        );
        assert_eq!(
            SecretRef::parse("ssm:/shared/stripe/key")
                .unwrap()
                .value_from(region, account),
            "arn:aws:ssm:eu-west-1:123456789012:parameter/shared/stripe/key"
        );
        assert_eq!(
            sm("db", None).iam_resource(),
            "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:db-??????"
        );
    }

    #[test]
    fn display_is_the_reference_as_written() {
        for text in [
            "secretsmanager:rds!db-abc123:password",
            "secretsmanager:x",
            "ssm:/a/b",
        ] {
            assert_eq!(SecretRef::parse(text).unwrap().to_string(), text);
        }
    }
}
