//! Checks on the keys that shape the environment stack (`network`, `domain`,
//! `hosted_zone`, `log_retention_days`, `task_role_policies`): each error
//! points at the key's value with file:line:col, so a bad value is exit 2
//! before anything is rendered or applied.

use toml::Spanned;

use super::{Environment, Network, Settings};
use crate::error::{Error, Result};

/// The retention periods CloudWatch Logs accepts (`PutRetentionPolicy`).
const LOG_RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

pub(super) fn check(settings: &Settings, environment: &Environment) -> Result<()> {
    let name = &environment.name;
    let bad = |span: std::ops::Range<usize>, message: String| {
        Error::input(format!("environment `{name}`: {message}")).at(settings.location(span))
    };
    if let Some(network) = &environment.network
        && let Network::Existing(existing) = network.get_ref()
    {
        let vpc = &existing.vpc;
        if !is_resource_id(vpc.get_ref(), "vpc-") {
            return Err(bad(
                vpc.span(),
                format!("network.vpc `{}` is not a VPC id", vpc.get_ref()),
            )
            .with_help(
                "write the id as shown by `aws ec2 describe-vpcs`, e.g. vpc = \"vpc-0a1b2c3d\"",
            ));
        }
        if existing.subnets.is_empty() {
            return Err(bad(
                network.span(),
                "network names a vpc but no subnets for the tasks".to_owned(),
            )
            .with_help("add subnets = [\"subnet-...\", \"subnet-...\"] (two availability zones), and public_subnets for the load balancer if they differ"));
        }
        for subnet in existing.subnets.iter().chain(&existing.public_subnets) {
            if !is_resource_id(subnet.get_ref(), "subnet-") {
                return Err(bad(
                    subnet.span(),
                    format!("`{}` is not a subnet id", subnet.get_ref()),
                )
                .with_help("subnet ids look like subnet-0a1b2c3d or subnet-0123456789abcdef0"));
            }
        }
    }
    if let Some(domain) = &environment.domain
        && let Err(why) = check_domain(domain.get_ref())
    {
        return Err(bad(
            domain.span(),
            format!("domain `{}` {why}", domain.get_ref()),
        )
        .with_help("write the full host name the environment answers on, e.g. domain = \"staging.example.com\""));
    }
    if let Some(zone) = &environment.hosted_zone {
        check_hosted_zone(environment, zone).map_err(|why| bad(zone.span(), why))?;
    }
    if let Some(days) = &environment.log_retention_days
        && !LOG_RETENTION_DAYS.contains(days.get_ref())
    {
        let allowed: Vec<String> = LOG_RETENTION_DAYS.iter().map(u32::to_string).collect();
        return Err(bad(
            days.span(),
            format!(
                "log_retention_days = {} is not a period CloudWatch Logs offers",
                days.get_ref()
            ),
        )
        .with_help(format!("use one of {}", allowed.join(", "))));
    }
    super::backing::check(&environment.database, &environment.cache, &bad)?;
    for policy in &environment.task_role_policies {
        if !is_managed_policy_arn(policy.get_ref()) {
            return Err(bad(
                policy.span(),
                format!("task_role_policies: `{}` is not a managed policy ARN", policy.get_ref()),
            )
            .with_help("e.g. \"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess\" or \"arn:aws:iam::123456789012:policy/shop-uploads\""));
        }
    }
    Ok(())
}

/// An EC2 id: the prefix, then 8 or 17 hex digits (the form CloudFormation validates).
fn is_resource_id(text: &str, prefix: &str) -> bool {
    text.strip_prefix(prefix).is_some_and(|hex| {
        matches!(hex.len(), 8 | 17) && hex.chars().all(|c| c.is_ascii_hexdigit())
    })
}

/// A DNS host name (one label or more, as Route 53 and the load balancer's
/// host rules take it): at most 253 characters, labels of 1-63 lowercase
/// letters, digits and `-` that neither start nor end with `-`. The one rule
/// parity.toml's `domain` and `x-parity.host` share.
pub(crate) fn is_host_name(name: &str) -> bool {
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    name.len() <= 253 && name.split('.').all(label_ok)
}

/// A host name of at least two labels: lowercase letters, digits and `-`.
fn check_domain(domain: &str) -> std::result::Result<(), &'static str> {
    if !domain.contains('.') {
        return Err("has no dot: expected a full host name");
    }
    if domain.len() > 253 {
        return Err("is longer than 253 characters");
    }
    if is_host_name(domain) {
        Ok(())
    } else {
        Err(
            "is not a host name: labels of lowercase letters, digits and `-`, separated by single dots",
        )
    }
}

/// A zone id (`Z…`) or a zone name the domain lies in.
fn check_hosted_zone(
    environment: &Environment,
    zone: &Spanned<String>,
) -> std::result::Result<(), String> {
    let Some(domain) = environment.domain() else {
        return Err(
            "hosted_zone is set but domain is not: the zone receives the domain's records"
                .to_owned(),
        );
    };
    let text = zone.get_ref();
    if is_zone_id(text) {
        return Ok(());
    }
    let name = text.trim_end_matches('.');
    if check_domain(name).is_err() {
        return Err(format!(
            "hosted_zone `{text}` is neither a zone id (Z...) nor a zone name"
        ));
    }
    if domain == name || domain.ends_with(&format!(".{name}")) {
        Ok(())
    } else {
        Err(format!(
            "domain `{domain}` is not inside hosted_zone `{text}`"
        ))
    }
}

/// Route 53 zone ids: `Z` followed by uppercase letters and digits.
pub(crate) fn is_zone_id(text: &str) -> bool {
    text.len() > 1
        && text.starts_with('Z')
        && text
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

fn is_managed_policy_arn(arn: &str) -> bool {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    partition.starts_with("aws")
        && (account == "aws"
            || (account.len() == 12 && account.chars().all(|c| c.is_ascii_digit())))
        && resource.starts_with("policy/")
        && resource.len() > "policy/".len()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::settings::{Network, parse};

    fn staging(extra: &str) -> crate::error::Result<crate::settings::Settings> {
        parse(
            &format!("app = \"shop\"\n[environments.staging]\nregion = \"eu-west-1\"\n{extra}\n"),
            Path::new("parity.toml"),
        )
    }

    #[test]
    fn defaults_are_a_public_network_30_days_of_logs_and_no_task_policies() {
        let settings = staging("").unwrap();
        let env = settings.environment("staging").unwrap();
        assert_eq!(env.network(), &Network::Public);
        assert_eq!(env.log_retention_days(), 30);
        assert_eq!(env.task_role_policies().count(), 0);
        assert_eq!((env.domain(), env.hosted_zone()), (None, None));
    }

    #[test]
    fn each_network_shape_parses() {
        let settings = staging("network = \"private\"").unwrap();
        assert_eq!(
            settings.environment("staging").unwrap().network().mode(),
            "private"
        );
        let settings = staging(
            "network = { vpc = \"vpc-0123456789abcdef0\", subnets = [\"subnet-0a1b2c3d\"] }",
        )
        .unwrap();
        let Network::Existing(existing) = settings.environment("staging").unwrap().network() else {
            panic!("not an existing VPC");
        };
        assert_eq!(existing.vpc.get_ref(), "vpc-0123456789abcdef0");
        assert!(existing.public_subnets.is_empty());
    }

    #[test]
    fn stack_keys_are_checked_at_their_value() {
        for (extra, message) in [
            ("network = \"hybrid\"", "unknown network mode `hybrid`"),
            ("network = { vpc = \"vpc-0a1b2c3d\" }", "no subnets"),
            ("domain = \"Staging.Example.com\"", "is not a host name"),
            ("hosted_zone = \"Z123ABC\"", "domain is not"),
            ("log_retention_days = 0", "not a period"),
            (
                "task_role_policies = [\"arn:aws:iam::aws:role/x\"]",
                "not a managed policy ARN",
            ),
        ] {
            let err = staging(extra).map(|_| ()).unwrap_err();
            assert!(err.message().contains(message), "{extra}: {err}");
            assert_eq!(err.location().map(|l| l.line), Some(4), "{extra}");
        }
    }

    #[test]
    fn host_names_are_dns_labels_of_lowercase_letters_digits_and_dashes() {
        use super::is_host_name;
        for good in ["api", "api.example.com", "a-1.b2"] {
            assert!(is_host_name(good), "{good}");
        }
        let long_label = "a".repeat(64);
        let long_name = ["a"; 127].join(".") + ".b";
        for bad in [
            "",
            "Api",
            "-api",
            "api-",
            "a..b",
            "a_b",
            &long_label,
            &long_name,
        ] {
            assert!(!is_host_name(bad), "{bad}");
        }
    }
}
