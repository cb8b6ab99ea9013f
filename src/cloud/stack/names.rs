//! CloudFormation logical ids and output keys derived from compose names.
//! Logical ids allow only `[A-Za-z0-9]`, so `web-api` becomes `WebApi`; two
//! names that collapse to the same id are refused (exit 2 naming both) rather
//! than silently sharing a resource.

use crate::error::{Error, Result};

/// `prefix` + the name in CamelCase with everything but ASCII letters and digits dropped.
pub(crate) fn logical_id(prefix: &str, name: &str) -> String {
    let mut id = prefix.to_owned();
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            id.push(first.to_ascii_uppercase());
            id.extend(chars);
        }
    }
    id
}

/// The stack output holding a public service's target group ARN.
pub(crate) fn target_group_output(service: &str) -> String {
    logical_id("TargetGroup", service)
}

/// The stack output holding a repository's URI (`<account>.dkr.ecr.<region>.amazonaws.com/<app>/<name>`).
pub(crate) fn repository_output(repository: &str) -> String {
    logical_id(
        "Repository",
        repository.rsplit('/').next().unwrap_or(repository),
    )
}

/// Refuses two names that map to one logical id (`what` says what they name).
pub(crate) fn check_distinct<'a>(
    what: &str,
    names: impl IntoIterator<Item = (&'a str, String)>,
) -> Result<()> {
    check_distinct_at(what, names, |_, message| Error::input(message))
}

/// [`check_distinct`], the error made by `error(second name, message)`, so
/// names written in a file (compose services) are refused where they stand.
pub(crate) fn check_distinct_at<'a>(
    what: &str,
    names: impl IntoIterator<Item = (&'a str, String)>,
    error: impl Fn(&str, String) -> Error,
) -> Result<()> {
    let mut seen: Vec<(&str, String)> = Vec::new();
    for (name, id) in names {
        if let Some((other, _)) = seen.iter().find(|(_, i)| *i == id) {
            let message =
                format!("{what} `{other}` and `{name}` both become the CloudFormation name `{id}`");
            return Err(error(name, message).with_help(
                "rename one of them: CloudFormation names keep only letters and digits",
            ));
        }
        seen.push((name, id));
    }
    Ok(())
}
