//! IAM for `parity iam ENV --for ci --apply`: GitHub's OIDC provider in the
//! account (one per issuer URL, shared by every app and environment) and the
//! deployer role GitHub Actions assumes (its trust policy and its inline
//! policy). Owns no decision: the documents, the names and the audience come
//! from `cloud::iam_policy`; this module only makes AWS hold them, changing
//! nothing that already matches (so applying twice changes nothing).

use serde_json::Value;

use super::config::{AwsContext, Service};
use super::explain::Call;
use crate::error::{Error, Result};

/// What applying did to one thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Created,
    Updated,
    Unchanged,
}

impl Outcome {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Unchanged => "unchanged",
        }
    }
}

fn call(operation: &'static str) -> Call<'static> {
    Call::new(Service::Iam, operation)
}

/// Makes sure the account has an OIDC provider for `issuer` (a host, as
/// IAM names it: `token.actions.githubusercontent.com`) that accepts
/// `audience`: found among the account's providers (its audience added when
/// missing), else created. Returns its ARN.
pub(crate) async fn ensure_oidc_provider(
    ctx: &AwsContext,
    issuer: &str,
    audience: &str,
) -> Result<(String, Outcome)> {
    let listed = ctx
        .iam()
        .list_open_id_connect_providers()
        .send()
        .await
        .map_err(|e| ctx.explain(&call("ListOpenIDConnectProviders"), &e))?;
    let suffix = format!(":oidc-provider/{issuer}");
    let found = listed
        .open_id_connect_provider_list()
        .iter()
        .filter_map(|p| p.arn())
        .find(|arn| arn.ends_with(&suffix))
        .map(str::to_owned);
    let Some(arn) = found else {
        let out = ctx
            .iam()
            .create_open_id_connect_provider()
            .url(format!("https://{issuer}"))
            .client_id_list(audience)
            .send()
            .await
            .map_err(|e| ctx.explain(&call("CreateOpenIDConnectProvider").on(issuer), &e))?;
        let arn = out
            .open_id_connect_provider_arn()
            .map(str::to_owned)
            .ok_or_else(|| Error::failed("CreateOpenIDConnectProvider returned no ARN"))?;
        return Ok((arn, Outcome::Created));
    };
    let provider = ctx
        .iam()
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(&arn)
        .send()
        .await
        .map_err(|e| ctx.explain(&call("GetOpenIDConnectProvider").on(&arn), &e))?;
    if provider.client_id_list().iter().any(|c| c == audience) {
        return Ok((arn, Outcome::Unchanged));
    }
    ctx.iam()
        .add_client_id_to_open_id_connect_provider()
        .open_id_connect_provider_arn(&arn)
        .client_id(audience)
        .send()
        .await
        .map_err(|e| ctx.explain(&call("AddClientIDToOpenIDConnectProvider").on(&arn), &e))?;
    Ok((arn, Outcome::Updated))
}

/// The role to hold: its name, trust policy, one inline policy, and the
/// description and tags it is created with.
#[derive(Debug, Clone)]
pub(crate) struct Role<'a> {
    pub(crate) name: &'a str,
    pub(crate) description: &'a str,
    pub(crate) tags: &'a [(&'a str, &'a str)],
    /// The trust policy, as JSON.
    pub(crate) trust: &'a str,
    pub(crate) policy_name: &'a str,
    /// The inline policy, as JSON.
    pub(crate) policy: &'a str,
}

/// What [`ensure_role`] did: the role itself, its trust policy, its policy.
#[derive(Debug, Clone)]
pub(crate) struct Applied {
    pub(crate) arn: String,
    pub(crate) role: Outcome,
    pub(crate) trust: Outcome,
    pub(crate) policy: Outcome,
}

/// Creates `role` or brings its trust policy and inline policy to the given
/// documents; a document that already says the same (as JSON, whatever its
/// layout) is left alone.
pub(crate) async fn ensure_role(ctx: &AwsContext, role: &Role<'_>) -> Result<Applied> {
    let name = role.name;
    let existing = match ctx.iam().get_role().role_name(name).send().await {
        Ok(out) => out.role().map(|r| {
            (
                r.arn().to_owned(),
                r.assume_role_policy_document().map(str::to_owned),
            )
        }),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_no_such_entity_exception()) =>
        {
            None
        }
        Err(err) => return Err(ctx.explain(&call("GetRole").on(name), &err)),
    };
    let (arn, role_outcome, trust) = match existing {
        None => {
            let tags: Vec<aws_sdk_iam::types::Tag> = role
                .tags
                .iter()
                .map(|(k, v)| {
                    aws_sdk_iam::types::Tag::builder()
                        .key(*k)
                        .value(*v)
                        .build()
                        .map_err(|e| Error::failed(format!("IAM tag {k}: {e}")))
                })
                .collect::<Result<_>>()?;
            let out = ctx
                .iam()
                .create_role()
                .role_name(name)
                .description(role.description)
                .assume_role_policy_document(role.trust)
                .set_tags(Some(tags))
                .send()
                .await
                .map_err(|e| ctx.explain(&call("CreateRole").on(name), &e))?;
            let arn = out
                .role()
                .map(|r| r.arn().to_owned())
                .ok_or_else(|| Error::failed(format!("CreateRole {name}: no role returned")))?;
            (arn, Outcome::Created, Outcome::Created)
        }
        Some((arn, current)) => {
            let trust = if same_document(current.as_deref(), role.trust) {
                Outcome::Unchanged
            } else {
                ctx.iam()
                    .update_assume_role_policy()
                    .role_name(name)
                    .policy_document(role.trust)
                    .send()
                    .await
                    .map_err(|e| ctx.explain(&call("UpdateAssumeRolePolicy").on(name), &e))?;
                Outcome::Updated
            };
            (arn, Outcome::Unchanged, trust)
        }
    };
    let current = if role_outcome == Outcome::Created {
        None
    } else {
        match ctx
            .iam()
            .get_role_policy()
            .role_name(name)
            .policy_name(role.policy_name)
            .send()
            .await
        {
            Ok(out) => Some(out.policy_document().to_owned()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_no_such_entity_exception()) =>
            {
                None
            }
            Err(err) => return Err(ctx.explain(&call("GetRolePolicy").on(name), &err)),
        }
    };
    let policy = if same_document(current.as_deref(), role.policy) {
        Outcome::Unchanged
    } else {
        ctx.iam()
            .put_role_policy()
            .role_name(name)
            .policy_name(role.policy_name)
            .policy_document(role.policy)
            .send()
            .await
            .map_err(|e| ctx.explain(&call("PutRolePolicy").on(name), &e))?;
        if current.is_some() {
            Outcome::Updated
        } else {
            Outcome::Created
        }
    };
    Ok(Applied {
        arn,
        role: role_outcome,
        trust,
        policy,
    })
}

/// Whether the document IAM holds (`current`: URL-encoded, as IAM's API
/// returns policy documents, or plain) says what `wanted` says.
fn same_document(current: Option<&str>, wanted: &str) -> bool {
    let Some(current) = current else {
        return false;
    };
    let parse = |text: &str| serde_json::from_str::<Value>(text).ok();
    let held = parse(current).or_else(|| parse(&percent_decode(current)));
    held.is_some() && held == parse(wanted)
}

/// `%XX` escapes decoded (IAM returns policy documents URL-encoded).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_compare_as_json_whether_iam_returns_them_encoded_or_not() {
        let wanted = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRoleWithWebIdentity"]}]}"#;
        let encoded = "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%5B%22sts%3AAssumeRoleWithWebIdentity%22%5D%7D%5D%2C%22Version%22%3A%222012-10-17%22%7D";
        assert!(same_document(Some(encoded), wanted));
        assert!(same_document(Some(&format!("{wanted}\n")), wanted));
        assert!(!same_document(
            Some(&wanted.replace("Allow", "Deny")),
            wanted
        ));
        assert!(!same_document(None, wanted));
        assert_eq!(percent_decode("a%2Fb%zz%4"), "a/b%zz%4");
    }
}
