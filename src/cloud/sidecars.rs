//! Which services ride in which service's task (`x-parity.sidecar_of`).
//!
//! Worked out once per plan, as a map from host to its sidecars: asking every
//! service "whose sidecar are you?" for every host made `plan` quadratic in
//! the number of services (3,000 services took seconds where `config` took
//! a fraction of one).

use std::collections::HashMap;

use crate::compose::x_parity::XParityMap;

/// The cloud sidecars of each host, in compose order.
pub(crate) fn by_host(xs: &XParityMap) -> HashMap<&str, Vec<&str>> {
    let mut hosts: HashMap<&str, Vec<&str>> = HashMap::new();
    for (name, x) in xs {
        if let Some(host) = x.sidecar_of.as_deref().filter(|_| x.cloud) {
            hosts.entry(host).or_default().push(name);
        }
    }
    hosts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::x_parity::XParity;

    fn sidecar(host: Option<&str>, cloud: bool) -> XParity {
        XParity {
            sidecar_of: host.map(str::to_owned),
            cloud,
            ..XParity::default()
        }
    }

    #[test]
    fn sidecars_are_grouped_by_host_in_compose_order_and_local_ones_left_out() {
        let xs: XParityMap = [
            ("web", sidecar(None, true)),
            ("proxy", sidecar(Some("web"), true)),
            ("local", sidecar(Some("web"), false)),
            ("agent", sidecar(Some("web"), true)),
            ("api", sidecar(None, true)),
        ]
        .into_iter()
        .map(|(n, x)| (n.to_owned(), x))
        .collect();
        let hosts = by_host(&xs);
        assert_eq!(hosts["web"], ["proxy", "agent"]);
        assert!(!hosts.contains_key("api"));
    }

    /// 200,000 services, half of them sidecars: one pass is instant, while
    /// scanning every service for every host (the old way) would be 2e10
    /// comparisons, minutes even in a release build.
    #[test]
    fn grouping_is_one_pass_over_many_services() {
        const HOSTS: usize = 100_000;
        let mut xs = XParityMap::new();
        for i in 0..HOSTS {
            xs.insert(format!("s{i}"), sidecar(None, true));
            xs.insert(format!("c{i}"), sidecar(Some(&format!("s{i}")), true));
        }
        let hosts = by_host(&xs);
        assert_eq!(hosts.len(), HOSTS);
        assert!((0..HOSTS).all(|i| hosts[format!("s{i}").as_str()] == [format!("c{i}")]));
    }
}
