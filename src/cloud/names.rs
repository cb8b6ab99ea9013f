//! Names ECS and registries accept, checked before any AWS call. Compose
//! allows service names ECS does not (`web.api`), and the plan builds ECS
//! names from them, so a bad one would otherwise fail half-way through a
//! deploy.
//!
//! Task definition families, container names, ECS service and cluster names:
//! letters, digits, `_` and `-`, at most 255 characters. Image repositories:
//! lowercase, path components of `[a-z0-9]` separated by `.`, `_`, `-`, at
//! most 256 characters (ECR's rule, which Docker's is a superset of).

use crate::error::{Error, Result};

/// The longest family, container, service or cluster name ECS accepts.
const MAX_ECS_NAME: usize = 255;
/// The longest repository name ECR accepts.
const MAX_REPOSITORY: usize = 256;

/// `what` (e.g. "task definition family") `name`, built for compose service `service`.
pub(crate) fn ecs_name(service: &str, what: &str, name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.len() <= MAX_ECS_NAME
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if valid {
        return Ok(());
    }
    Err(Error::input(format!(
        "service `{service}`: the {what} would be `{name}`, which ECS refuses: it allows letters, digits, `_` and `-`, at most {MAX_ECS_NAME} characters"
    ))
    .with_help("rename the compose service (ECS names are built from it), or set the name in parity.toml where it can be set"))
}

/// The repository a `build:` service's image is pushed to.
pub(crate) fn repository(service: &str, repository: &str) -> Result<()> {
    let component_ok = |part: &str| {
        !part.is_empty()
            && part.split(['.', '_', '-']).all(|word| {
                !word.is_empty()
                    && word
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            })
    };
    if repository.len() <= MAX_REPOSITORY && repository.split('/').all(component_ok) {
        return Ok(());
    }
    Err(Error::input(format!(
        "service `{service}`: its image would be pushed to repository `{repository}`, which registries refuse: repositories are lowercase letters and digits separated by `.`, `_`, `-` or `/`"
    ))
    .with_help("rename the compose service or the app in parity.toml in lowercase"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecs_names_allow_letters_digits_underscore_and_dash() {
        assert!(ecs_name("web", "family", "shop-staging-Web_2").is_ok());
        for bad in ["shop-staging-web.api", "", "a b", "web/1"] {
            assert!(ecs_name("x", "family", bad).is_err(), "{bad}");
        }
        assert!(ecs_name("x", "family", &"a".repeat(255)).is_ok());
        assert!(ecs_name("x", "family", &"a".repeat(256)).is_err());
    }

    #[test]
    fn repositories_are_lowercase() {
        assert!(repository("web", "shop/web.api_2-x").is_ok());
        for bad in ["shop/Web", "shop/web..x", "shop//web", "shop/-web"] {
            assert!(repository("x", bad).is_err(), "{bad}");
        }
    }
}
