//! ECR: registry credentials from GetAuthorizationToken, for the engine's push
//! and the registry client. The token is a password: it is never printed.

use base64::Engine as _;

use super::config::{AwsContext, Service};
use super::explain::Call;
use crate::error::{Error, Result};

/// Username and password for an ECR registry (`AWS` and a 12-hour token).
pub(crate) struct EcrLogin {
    pub(crate) username: String,
    pub(crate) password: String,
}

impl EcrLogin {
    /// The HTTP `Authorization` header value for the registry API.
    pub(crate) fn basic_auth(&self) -> String {
        let raw = format!("{}:{}", self.username, self.password);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }
}

/// Asks ECR for a login to the account's registry.
pub(crate) async fn login(ctx: &AwsContext) -> Result<EcrLogin> {
    let out = ctx
        .ecr()
        .get_authorization_token()
        .send()
        .await
        .map_err(|e| ctx.explain(&Call::new(Service::Ecr, "GetAuthorizationToken"), &e))?;
    let token = out
        .authorization_data()
        .first()
        .and_then(|d| d.authorization_token())
        .ok_or_else(|| Error::failed("ECR returned no authorization token"))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| Error::failed("ECR's authorization token is not base64 user:password"))?;
    let (username, password) = decoded
        .split_once(':')
        .ok_or_else(|| Error::failed("ECR's authorization token is not user:password"))?;
    Ok(EcrLogin {
        username: username.to_owned(),
        password: password.to_owned(),
    })
}

/// Whether a registry host is an ECR registry (`<account>.dkr.ecr.<region>.amazonaws.com`).
pub(crate) fn is_ecr(host: &str) -> bool {
    host.contains(".dkr.ecr.") && host.ends_with(".amazonaws.com")
}
