//! Names ECS and registries accept, checked before any AWS call. Compose
//! allows service names ECS does not (`web.api`), and the plan builds ECS
//! names from them, so a bad one would otherwise fail half-way through a
//! deploy.
//!
//! Task definition families, container names, ECS service and cluster names:
//! letters, digits, `_` and `-`, at most 255 characters. Image repositories:
//! lowercase, path components of `[a-z0-9]` separated by `.`, `_`, `-`, at
//! most 256 characters.

use crate::compose::model::Service;
use crate::error::Result;

/// The longest family, container, service or cluster name ECS accepts.
const MAX_ECS_NAME: usize = 255;
/// The longest repository name ECR accepts.
const MAX_REPOSITORY: usize = 256;

/// `what` (e.g. "task definition family") `name`, built for compose service
/// `service`; a refusal points at the service's name in the file.
pub(crate) fn ecs_name(service: &Service, what: &str, name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.len() <= MAX_ECS_NAME
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if valid {
        return Ok(());
    }
    Err(service.error_at("", format!(
        "service `{}`: the {what} would be `{name}`, which ECS refuses: it allows letters, digits, `_` and `-`, at most {MAX_ECS_NAME} characters", service.name
    ))
    .with_help("rename the compose service (ECS names are built from it), or set the name in parity.toml where it can be set"))
}

/// The longest port-mapping name ECS accepts.
const MAX_PORT_NAME: usize = 64;

/// A port's `name` (the port at `at` of `service`), which ECS keeps as the
/// port mapping's name.
pub(crate) fn port_name(service: &Service, at: &str, name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.len() <= MAX_PORT_NAME
        && !name.starts_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if valid {
        return Ok(());
    }
    Err(service.error_at(&format!("{at}.name"), format!(
        "service `{}`: ports: name `{name}` is not a port-mapping name ECS accepts: lowercase letters, digits, `_` and `-`, not starting with `-`, at most {MAX_PORT_NAME}",
        service.name
    )))
}

/// An `image:` reference: its repository path must be lowercase (the
/// registry host, a tag or a digest may be anything Docker accepts). The
/// repositories parity pushes `build:` images to are made lowercase by
/// `image_build`.
pub(crate) fn image(service: &Service, reference: &str) -> Result<()> {
    let name = reference.split('@').next().unwrap_or(reference);
    let name = match name.rsplit_once(':') {
        Some((before, tag)) if !tag.contains('/') => before,
        _ => name,
    };
    let mut parts: Vec<&str> = name.split('/').collect();
    let has_host = parts.len() > 1
        && (parts[0].contains('.') || parts[0].contains(':') || parts[0] == "localhost");
    if has_host {
        parts.remove(0);
    }
    let component_ok = |part: &&str| {
        !part.is_empty()
            && part.split(['.', '_', '-']).all(|word| {
                !word.is_empty()
                    && word
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            })
    };
    let repository = parts.join("/");
    if repository.len() <= MAX_REPOSITORY && parts.iter().all(component_ok) {
        return Ok(());
    }
    Err(service.error_at("image", format!(
        "service `{}`: image `{reference}`: the repository `{repository}` is not one registries accept: lowercase letters and digits separated by `.`, `_`, `-` or `/`",
        service.name
    ))
    .with_help("write the image's repository in lowercase"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(name: &str) -> Service {
        Service {
            name: name.into(),
            ..Service::default()
        }
    }

    #[test]
    fn ecs_names_allow_letters_digits_underscore_and_dash() {
        assert!(ecs_name(&service("web"), "family", "shop-staging-Web_2").is_ok());
        for bad in ["shop-staging-web.api", "", "a b", "web/1"] {
            assert!(ecs_name(&service("x"), "family", bad).is_err(), "{bad}");
        }
        assert!(ecs_name(&service("x"), "family", &"a".repeat(255)).is_ok());
        assert!(ecs_name(&service("x"), "family", &"a".repeat(256)).is_err());
    }

    #[test]
    fn port_names_are_lowercase_and_short() {
        assert!(port_name(&service("web"), "ports.0", "http-8080_a").is_ok());
        for bad in ["HTTP", "-http", "web.http", ""] {
            assert!(port_name(&service("web"), "ports.0", bad).is_err(), "{bad}");
        }
        assert!(port_name(&service("web"), "ports.0", &"a".repeat(65)).is_err());
    }

    #[test]
    fn image_repositories_are_lowercase() {
        for good in [
            "shop/web.api_2-x",
            "nginx:1.27",
            "Registry.Example.com:5000/acme/web:V1",
            "localhost/acme/web@sha256:abc",
        ] {
            assert!(image(&service("web"), good).is_ok(), "{good}");
        }
        for bad in ["Acme/web:1", "shop/web..x", "shop//web", "shop/-web"] {
            assert!(image(&service("x"), bad).is_err(), "{bad}");
        }
    }
}
