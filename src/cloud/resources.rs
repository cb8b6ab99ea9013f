//! What one container asks for: CPU and memory from `deploy.resources` and
//! from the service-level `cpus`, `cpu_shares`, `mem_limit` and
//! `mem_reservation` (compose's two spellings of the same limits). Read once,
//! for both the container definition (`cpu`, `memory`, `memoryReservation`)
//! and the task size (`fargate::smallest` of the containers' sum).

use serde_json::Value;

use super::fargate;
use crate::compose::model::{ResourceAmounts, Service};
use crate::error::Result;

/// The smallest container memory Docker (and so ECS) accepts.
const MIN_CONTAINER_MIB: u64 = 6;

/// One container's asks, in ECS units (CPU units, MiB).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Asks {
    /// CPU units the task must have for this container (limit, else reservation).
    pub(crate) cpu: u64,
    /// `cpu_shares`: the container's relative `cpu`.
    pub(crate) shares: Option<u64>,
    /// Hard limit: container `memory`.
    pub(crate) memory: Option<u64>,
    /// Soft limit: container `memoryReservation`.
    pub(crate) reservation: Option<u64>,
}

impl Asks {
    /// CPU units counted towards the task size.
    pub(crate) fn task_cpu(&self) -> u64 {
        self.cpu.max(self.shares.unwrap_or(0))
    }

    /// MiB counted towards the task size.
    pub(crate) fn task_memory(&self) -> u64 {
        self.memory.or(self.reservation).unwrap_or(0)
    }
}

/// Reads what `service` (named `name`) asks for; refuses what no Fargate task offers.
pub(crate) fn of(name: &str, service: &Service) -> Result<Asks> {
    let resources = service.deploy.as_ref().and_then(|d| d.resources.as_ref());
    let limits = resources.and_then(|r| r.limits.as_ref());
    let reservations = resources.and_then(|r| r.reservations.as_ref());
    let cpus = |amounts: Option<&ResourceAmounts>, field: &str| {
        amounts
            .and_then(|a| a.cpus.clone())
            .map(|cpus| (field.to_owned(), cpus))
    };
    let service_cpus = service.other.get("cpus").and_then(|v| match v {
        Value::Number(n) => Some(("cpus".to_owned(), n.to_string())),
        Value::String(s) => Some(("cpus".to_owned(), s.clone())),
        _ => None,
    });
    let cpu_source = cpus(limits, "deploy.resources.limits.cpus")
        .or(service_cpus)
        .or_else(|| cpus(reservations, "deploy.resources.reservations.cpus"));
    let cpu = match &cpu_source {
        Some((field, cpus)) => fargate::cpu_units(cpus).ok_or_else(|| {
            service.error_at(
                field,
                format!("service `{name}`: {field} `{cpus}` is not a number of cores"),
            )
        })?,
        None => 0,
    };
    // Each amount with where it is written (`deploy.resources.limits.memory`).
    let bytes =
        |amounts: Option<&ResourceAmounts>, deploy_path: &'static str, key: &'static str| {
            let from_deploy = amounts.and_then(|a| a.memory).map(|b| (b, deploy_path));
            from_deploy
                .or_else(|| {
                    let bytes = service.other.get(key).and_then(whole_number)?;
                    Some((bytes, key))
                })
                .filter(|(b, _)| *b > 0)
        };
    let memory_at = bytes(limits, "deploy.resources.limits.memory", "mem_limit");
    let reservation_at = bytes(
        reservations,
        "deploy.resources.reservations.memory",
        "mem_reservation",
    );
    let memory = memory_at.map(|(b, _)| fargate::mib(b));
    let reservation = reservation_at.map(|(b, _)| fargate::mib(b));
    let shares = service.other.get("cpu_shares").and_then(whole_number);
    if cpu.max(shares.unwrap_or(0)) > fargate::MAX_CPU {
        let at = match (&cpu_source, shares) {
            (Some((field, _)), _) => field.as_str(),
            (None, _) => "cpu_shares",
        };
        return Err(service.error_at(at, format!(
            "service `{name}`: deploy.resources.cpus asks for {} vCPU; Fargate offers at most 16 vCPU",
            format_vcpu(cpu.max(shares.unwrap_or(0)))
        )));
    }
    for (field, asked) in [
        ("memory", memory_at),
        ("memory reservation", reservation_at),
    ] {
        let Some((bytes, at)) = asked else { continue };
        let mib = fargate::mib(bytes);
        if mib > fargate::MAX_MEMORY_MIB {
            return Err(service.error_at(at, format!(
                "service `{name}`: deploy.resources.{} asks for {}; Fargate offers at most 120 GiB",
                field.replace(' ', "_"),
                format_mib(mib)
            )));
        }
        if mib < MIN_CONTAINER_MIB {
            return Err(service.error_at(at, format!(
                "service `{name}`: {field} of {mib} MiB; ECS needs at least {MIN_CONTAINER_MIB} MiB per container"
            )));
        }
    }
    if let (Some(limit), Some(soft), Some((_, at))) = (memory, reservation, reservation_at)
        && soft > limit
    {
        return Err(service.error_at(at, format!(
            "service `{name}`: memory reservation ({}) is above the memory limit ({}); ECS needs the reservation below the limit",
            format_mib(soft),
            format_mib(limit)
        )));
    }
    Ok(Asks {
        cpu,
        shares,
        memory,
        reservation,
    })
}

/// A carried value that is a whole number, as the loader prints it: a JSON
/// number, or a string of digits (byte sizes, as `docker compose config` does).
pub(crate) fn whole_number(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// CPU units as vCPU (`1536` -> `1.5`).
#[allow(clippy::cast_precision_loss)]
pub(crate) fn format_vcpu(units: u64) -> String {
    let vcpu = units as f64 / 1024.0;
    format!("{vcpu}")
}

/// MiB as `2 GiB` or `1500 MiB`.
pub(crate) fn format_mib(mib: u64) -> String {
    if mib.is_multiple_of(1024) {
        format!("{} GiB", mib / 1024)
    } else {
        format!("{mib} MiB")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::model::{Deploy, Resources};

    fn service(other: serde_json::Value, limits: Option<ResourceAmounts>) -> Service {
        let mut s = Service::default();
        if let serde_json::Value::Object(map) = other {
            s.other = map.into_iter().collect();
        }
        if limits.is_some() {
            s.deploy = Some(Deploy {
                resources: Some(Resources {
                    limits,
                    reservations: None,
                }),
                ..Deploy::default()
            });
        }
        s
    }

    #[test]
    fn service_level_fields_are_the_same_limits_as_deploy_resources() {
        let asks = of(
            "web",
            &service(
                serde_json::json!({"cpus": 0.5, "mem_limit": "536870912", "mem_reservation": 268_435_456_u64, "cpu_shares": 256}),
                None,
            ),
        )
        .unwrap();
        assert_eq!(
            asks,
            Asks {
                cpu: 512,
                shares: Some(256),
                memory: Some(512),
                reservation: Some(256)
            }
        );
        assert_eq!((asks.task_cpu(), asks.task_memory()), (512, 512));
    }

    #[test]
    fn deploy_resources_win_over_the_service_level_spelling() {
        let limits = ResourceAmounts {
            cpus: Some("2".into()),
            memory: Some(1 << 30),
            ..ResourceAmounts::default()
        };
        let asks = of(
            "web",
            &service(
                serde_json::json!({"cpus": 0.5, "mem_limit": 1}),
                Some(limits),
            ),
        )
        .unwrap();
        assert_eq!((asks.cpu, asks.memory), (2048, Some(1024)));
    }

    #[test]
    fn a_reservation_above_the_limit_is_refused() {
        let err = of(
            "web",
            &service(
                serde_json::json!({"mem_limit": 268_435_456_u64, "mem_reservation": 536_870_912_u64}),
                None,
            ),
        )
        .unwrap_err();
        assert!(
            err.message()
                .contains("memory reservation (512 MiB) is above the memory limit (256 MiB)"),
            "{}",
            err.message()
        );
    }
}
