//! How a review app is reached through the base environment's load balancer:
//! per public service a target group and a listener rule, by host
//! (`<name>.<domain>`, other public services `<name>-<service>.<domain>`)
//! when the base has a domain, else by path prefix (`/<name>`,
//! `/<name>-<service>`) on the load balancer's own address; and which rule
//! priority a new rule takes.
//!
//! Pure. Review rules take free priorities from the top of ELB's range down,
//! so they sit behind every rule of the base (whose priorities are hashed
//! from service names and mostly low) and never take a host of the base's.

use std::collections::BTreeSet;

use super::review::Review;
use super::stack::LoadBalancer;
use crate::error::{Error, Result};

/// The highest listener rule priority an ALB accepts.
pub(crate) const MAX_PRIORITY: u32 = 50_000;
/// The longest DNS label.
const MAX_LABEL: usize = 63;

/// What a listener rule matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Condition {
    /// `host-header` values.
    Host(String),
    /// `path-pattern` values: the prefix itself and everything below it.
    Path(Vec<String>),
}

/// One public service of a review app: its target group and rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Route {
    /// Compose service.
    pub(crate) service: String,
    pub(crate) target_group_name: String,
    pub(crate) port: u16,
    pub(crate) health_check_path: String,
    pub(crate) condition: Condition,
    pub(crate) url: String,
}

/// The routes of `review` behind the base's load balancer `lb`; `domain`
/// is the base's, `base_url` the load balancer's (`http://<dns name>`, for
/// path routes). A host the base already answers on is refused (exit 2).
pub(crate) fn routes(
    review: &Review,
    lb: &LoadBalancer,
    domain: Option<&str>,
    base_url: &str,
) -> Result<Vec<Route>> {
    let base_hosts: BTreeSet<&str> = lb
        .services
        .iter()
        .flat_map(|s| s.hosts.iter().map(|h| h.name.as_str()))
        .collect();
    let mut routes = Vec::new();
    for public in &lb.services {
        let label = if public.target_group == lb.default_target_group {
            review.name.clone()
        } else {
            format!(
                "{}-{}",
                review.name,
                public.service.to_ascii_lowercase().replace('_', "-")
            )
        };
        if label.len() > MAX_LABEL {
            return Err(Error::input(format!(
                "review app `{}`: the host label `{label}` of service `{}` is longer than {MAX_LABEL} characters",
                review.name, public.service
            ))
            .with_help("use a shorter review app name"));
        }
        let (condition, url) = match domain {
            Some(domain) => {
                let host = format!("{label}.{domain}");
                if base_hosts.contains(host.as_str()) {
                    return Err(Error::input(format!(
                        "review app `{}`: `{host}` is already a host of environment `{}`",
                        review.name, review.base
                    ))
                    .with_help("pick another review app name"));
                }
                let url = format!("https://{host}");
                (Condition::Host(host), url)
            }
            None => (
                Condition::Path(vec![format!("/{label}"), format!("/{label}/*")]),
                format!("{}/{label}/", base_url.trim_end_matches('/')),
            ),
        };
        routes.push(Route {
            service: public.service.clone(),
            target_group_name: review.target_group_name(&public.service),
            port: public.port,
            health_check_path: public.health_check_path.clone(),
            condition,
            url,
        });
    }
    Ok(routes)
}

/// The review app's address: its default service's route, else the first.
pub(crate) fn url(routes: &[Route]) -> Option<&str> {
    routes.first().map(|r| r.url.as_str())
}

/// How many free priorities a review deploy tries before it gives up: each
/// failed try means another rule was made on the listener between reading
/// its rules and making ours, so this bounds the review apps deployed at
/// the same instant that one deploy outlasts.
pub(crate) const PRIORITY_ATTEMPTS: u32 = 8;

/// The highest priority not in `taken` (ELB's range is 1..=50000), or `None`
/// when the listener is full.
pub(crate) fn free_priority(taken: &BTreeSet<u32>) -> Option<u32> {
    (1..=MAX_PRIORITY).rev().find(|p| !taken.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::stack::{Host, PublicService};

    fn review() -> Review {
        Review {
            app: "shop".into(),
            name: "pr-7".into(),
            base: "staging".into(),
        }
    }

    fn public(service: &str, hosts: &[&str]) -> PublicService {
        PublicService {
            service: service.into(),
            target_group: format!("TargetGroup{service}"),
            rule: format!("ListenerRule{service}"),
            port: 8000,
            health_check_path: "/health".into(),
            hosts: hosts
                .iter()
                .map(|h| Host {
                    name: (*h).into(),
                    record: String::new(),
                })
                .collect(),
            priority: 1,
        }
    }

    fn lb(services: Vec<PublicService>) -> LoadBalancer {
        LoadBalancer {
            https: true,
            default_target_group: services[0].target_group.clone(),
            services,
            url: None,
            ports: vec![8000],
            hosted_zone: None,
        }
    }

    #[test]
    fn with_a_domain_the_default_service_takes_name_dot_domain_and_others_name_dash_service() {
        let lb = lb(vec![
            public("web", &["staging.shop.test"]),
            public("api_v2", &["api-v2.staging.shop.test"]),
        ]);
        let routes = routes(&review(), &lb, Some("staging.shop.test"), "http://lb").unwrap();
        assert_eq!(
            routes[0].condition,
            Condition::Host("pr-7.staging.shop.test".into())
        );
        assert_eq!(routes[0].url, "https://pr-7.staging.shop.test");
        assert_eq!(
            routes[1].condition,
            Condition::Host("pr-7-api-v2.staging.shop.test".into())
        );
        assert_eq!(routes[1].health_check_path, "/health");
        assert!(routes[1].target_group_name.starts_with("pr-7-"));
        assert_eq!(url(&routes), Some("https://pr-7.staging.shop.test"));
    }

    #[test]
    fn without_a_domain_routes_are_path_prefixes_on_the_load_balancers_address() {
        let lb = lb(vec![public("web", &[])]);
        let routes = routes(&review(), &lb, None, "http://shop-lb.example/").unwrap();
        assert_eq!(
            routes[0].condition,
            Condition::Path(vec!["/pr-7".into(), "/pr-7/*".into()])
        );
        assert_eq!(routes[0].url, "http://shop-lb.example/pr-7/");
    }

    #[test]
    fn a_host_of_the_base_is_refused() {
        let lb = lb(vec![
            public("web", &["staging.shop.test"]),
            public("api", &["pr-7.staging.shop.test"]),
        ]);
        let err = routes(&review(), &lb, Some("staging.shop.test"), "").unwrap_err();
        assert!(
            err.message().contains("already a host"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn priorities_come_from_the_top_of_the_range_and_skip_taken_ones() {
        assert_eq!(free_priority(&BTreeSet::new()), Some(50_000));
        let taken: BTreeSet<u32> = [50_000, 49_999, 17].into_iter().collect();
        assert_eq!(free_priority(&taken), Some(49_998));
        let full: BTreeSet<u32> = (1..=MAX_PRIORITY).collect();
        assert_eq!(free_priority(&full), None);
    }
}
