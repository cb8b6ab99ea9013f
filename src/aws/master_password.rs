//! The master passwords of the environment's RDS instances, in the
//! environment's store at [`crate::cloud::backing::Backing::password_secret`]
//! (an SSM SecureString or a Secrets Manager secret; the stack's
//! `{{resolve:ssm-secure:...}}` or `{{resolve:secretsmanager:...}}` reference
//! reads it).
//!
//! A password is generated once, when its parameter does not exist, and never
//! rotated here: rotating it in the store alone would leave the instance with the
//! old one. The value never leaves this module except to SSM and to the one
//! caller that composes connection strings ([`read`]); nothing here prints.

use super::config::AwsContext;
use super::parity_secrets::ParitySecrets;
use super::ssm::SecretValue;
use crate::cloud::backing::Backing;
use crate::error::{Error, Result};
use crate::settings::Environment;

/// Characters of a generated password: letters and digits, so it needs no
/// escaping in a URL, a shell or a DSN (RDS refuses `/`, `"`, `@` and space).
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// 32 of 62 characters: about 190 bits, within every RDS engine's limit (MySQL's 41).
const LENGTH: usize = 32;

/// A new password from the operating system's CSPRNG (through the TLS stack's
/// crypto provider, aws-lc-rs, which parity already links).
pub(crate) fn generate() -> Result<SecretValue> {
    let random = rustls::crypto::aws_lc_rs::default_provider().secure_random;
    let mut out = String::with_capacity(LENGTH);
    let mut buffer = [0_u8; 64];
    while out.len() < LENGTH {
        rustls::crypto::SecureRandom::fill(random, &mut buffer)
            .map_err(|_| Error::failed("the system's random number generator failed"))?;
        // Rejection sampling keeps every character equally likely (248 = 4 x 62).
        for byte in buffer.iter().filter(|b| **b < 248) {
            if out.len() == LENGTH {
                break;
            }
            out.push(char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()]));
        }
    }
    Ok(SecretValue::new(out))
}

/// Creates the master password of every RDS service whose secret does not
/// exist yet; returns the names created (names only).
pub(crate) async fn ensure(
    ctx: &AwsContext,
    environment: &Environment,
    backing: &[Backing],
) -> Result<Vec<String>> {
    let names: Vec<String> = backing
        .iter()
        .filter_map(|b| b.password_secret.clone())
        .collect();
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let store = ParitySecrets::new(ctx, environment);
    let existing = store.existing(&names).await?;
    let mut created = Vec::new();
    for name in names.iter().filter(|n| !existing.contains(*n)) {
        // Never overwritten: the store refuses if someone created it meanwhile.
        store.write(name, &generate()?, false).await?;
        created.push(name.clone());
    }
    Ok(created)
}

/// The master password of `backing`, if it exists.
pub(crate) async fn read(
    ctx: &AwsContext,
    environment: &Environment,
    backing: &Backing,
) -> Result<Option<SecretValue>> {
    match &backing.password_secret {
        Some(name) => ParitySecrets::new(ctx, environment).read(name).await,
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_long_alphanumeric_and_different() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_eq!(a.expose().len(), LENGTH);
        assert!(a.expose().chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }
}
