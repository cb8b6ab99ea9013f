//! The host names of local-only services (`x-parity.cloud: false`), which a
//! cloud container's variables must not point at.
//!
//! Gathered once per plan into a map from host name to service: scanning
//! every service for every container made `plan` quadratic in the number of
//! services (6,000 services took 11 s where `config` took half a second).

use std::collections::{BTreeSet, HashMap};

use super::variables::host_words;
use crate::compose::model::Project;
use crate::compose::x_parity::XParityMap;

/// Local-only services by every name a container could reach them by
/// (service name, `container_name`, `hostname`).
pub(crate) struct LocalHosts<'a> {
    /// Local-only services, in compose order.
    services: Vec<&'a str>,
    /// Host name -> indices into `services`.
    by_host: HashMap<&'a str, Vec<usize>>,
}

impl<'a> LocalHosts<'a> {
    pub(crate) fn new(project: &'a Project, xs: &XParityMap) -> Self {
        let mut hosts = LocalHosts {
            services: Vec::new(),
            by_host: HashMap::new(),
        };
        for (name, service) in &project.services {
            if xs.get(name).is_none_or(|x| x.cloud) {
                continue;
            }
            let index = hosts.services.len();
            hosts.services.push(name);
            let names = [
                Some(name.as_str()),
                service.container_name.as_deref(),
                service.hostname.as_deref(),
            ];
            for host in names.into_iter().flatten() {
                let entry = hosts.by_host.entry(host).or_default();
                if entry.last() != Some(&index) {
                    entry.push(index);
                }
            }
        }
        hosts
    }

    /// `(local service, variable)` for each variable that names a local-only
    /// service's host, ordered by service (compose order), then variable.
    pub(crate) fn referenced_by<'v>(
        &self,
        values: impl IntoIterator<Item = (&'v String, &'v String)>,
    ) -> Vec<(&'a str, &'v str)> {
        let mut hits = BTreeSet::new();
        for (position, (variable, value)) in values.into_iter().enumerate() {
            for word in host_words(value) {
                for &local in self.by_host.get(word).into_iter().flatten() {
                    hits.insert((local, position, variable.as_str()));
                }
            }
        }
        hits.into_iter()
            .map(|(local, _, variable)| (self.services[local], variable))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use indexmap::IndexMap;

    use super::*;
    use crate::compose::model::Service;
    use crate::compose::x_parity::XParity;

    fn project(services: Vec<(String, Service, bool)>) -> (Project, XParityMap) {
        let mut project = Project::default();
        let mut xs = XParityMap::new();
        for (name, service, cloud) in services {
            xs.insert(
                name.clone(),
                XParity {
                    cloud,
                    ..XParity::default()
                },
            );
            project.services.insert(name, service);
        }
        (project, xs)
    }

    #[test]
    fn every_name_of_a_local_service_is_found_in_service_then_variable_order() {
        let cache = Service {
            container_name: Some("cache-box".into()),
            ..Service::default()
        };
        let (project, xs) = project(vec![
            ("web".into(), Service::default(), true),
            ("db".into(), Service::default(), false),
            ("cache".into(), cache, false),
        ]);
        let hosts = LocalHosts::new(&project, &xs);
        let values: IndexMap<String, String> = [
            ("REDIS", "redis://cache-box:6379"),
            ("DB", "postgres://u@db:5432/x"),
            ("BOTH", "db cache"),
            ("WEB", "http://web/ dbhost"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(
            hosts.referenced_by(&values),
            [
                ("db", "DB"),
                ("db", "BOTH"),
                ("cache", "REDIS"),
                ("cache", "BOTH")
            ]
        );
    }

    /// 100,000 local-only services and 100,000 values: a map lookup per word
    /// is instant, while comparing every value with every service (the old
    /// way) would be 1e10 comparisons, minutes even in a release build.
    #[test]
    fn lookup_is_one_pass_over_many_services_and_values() {
        const N: usize = 100_000;
        let (project, xs) = project(
            (0..N)
                .map(|i| (format!("local{i}"), Service::default(), false))
                .collect(),
        );
        let hosts = LocalHosts::new(&project, &xs);
        let values: IndexMap<String, String> = (0..N)
            .map(|i| (format!("V{i}"), format!("http://local{i}:80/")))
            .collect();
        let found = hosts.referenced_by(&values);
        assert_eq!(found.len(), N);
        assert_eq!(found[7], ("local7", "V7"));
    }
}
