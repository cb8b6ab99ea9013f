//! Fargate task sizes: the valid (cpu, memory) pairs for Linux tasks and the
//! smallest one that covers what the containers ask for.
//!
//! The table is the one in the ECS Developer Guide ("Task CPU and memory",
//! Fargate): 0.25 vCPU with 512 MiB-2 GiB, 0.5 vCPU with 1-4 GiB, 1 vCPU with
//! 2-8 GiB, 2 vCPU with 4-16 GiB and 4 vCPU with 8-30 GiB in 1 GiB steps,
//! 8 vCPU with 16-60 GiB in 4 GiB steps, 16 vCPU with 32-120 GiB in 8 GiB steps.

/// CPU units per vCPU, as ECS counts them.
pub(crate) const UNITS_PER_VCPU: u64 = 1024;
/// The largest Fargate task: 16 vCPU.
pub(crate) const MAX_CPU: u64 = 16 * UNITS_PER_VCPU;
/// The largest Fargate task memory: 120 GiB.
pub(crate) const MAX_MEMORY_MIB: u64 = 120 * 1024;

/// (cpu units, smallest memory MiB, largest memory MiB, step MiB).
const SIZES: &[(u64, u64, u64, u64)] = &[
    (256, 512, 512, 512),
    (256, 1024, 2048, 1024),
    (512, 1024, 4096, 1024),
    (1024, 2048, 8192, 1024),
    (2048, 4096, 16384, 1024),
    (4096, 8192, 30720, 1024),
    (8192, 16384, 61440, 4096),
    (16384, 32768, 122_880, 8192),
];

/// A valid Fargate task size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TaskSize {
    pub(crate) cpu: u64,
    pub(crate) memory_mib: u64,
}

/// Why no size fits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TooLarge {
    Cpu,
    Memory,
}

/// The smallest valid pair with at least `cpu` units and `memory_mib` MiB:
/// the fewest vCPUs first (they cost most), then the least memory.
/// Nothing asked for gives the smallest task, 0.25 vCPU with 512 MiB.
pub(crate) fn smallest(cpu: u64, memory_mib: u64) -> Result<TaskSize, TooLarge> {
    if cpu > MAX_CPU {
        return Err(TooLarge::Cpu);
    }
    if memory_mib > MAX_MEMORY_MIB {
        return Err(TooLarge::Memory);
    }
    for &(units, low, high, step) in SIZES {
        if units < cpu {
            continue;
        }
        let mut memory = low;
        while memory <= high {
            if memory >= memory_mib {
                return Ok(TaskSize {
                    cpu: units,
                    memory_mib: memory,
                });
            }
            memory += step;
        }
    }
    Err(TooLarge::Memory)
}

/// CPU units for a compose `cpus` value ("0.5" -> 512), rounded up.
pub(crate) fn cpu_units(cpus: &str) -> Option<u64> {
    let value: f64 = cpus.trim().parse().ok()?;
    if !value.is_finite() || value < 0.0 {
        return None;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    Some((value * UNITS_PER_VCPU as f64 - 1e-9).ceil().max(0.0) as u64)
}

/// MiB for a byte count, rounded up.
pub(crate) fn mib(bytes: u64) -> u64 {
    bytes.div_ceil(1024 * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(cpu: u64, memory: u64) -> (u64, u64) {
        let s = smallest(cpu, memory).unwrap();
        (s.cpu, s.memory_mib)
    }

    #[test]
    fn nothing_asked_is_the_smallest_task() {
        assert_eq!(size(0, 0), (256, 512));
    }

    #[test]
    fn memory_beyond_a_cpu_tier_moves_up_a_tier() {
        assert_eq!(size(256, 2048), (256, 2048));
        assert_eq!(size(256, 3000), (512, 3072));
        assert_eq!(size(512, 5000), (1024, 5120));
        assert_eq!(size(4096, 31000), (8192, 32768));
    }

    #[test]
    fn cpu_rounds_up_to_the_next_tier() {
        assert_eq!(size(300, 0), (512, 1024));
        assert_eq!(size(1024, 0), (1024, 2048));
        assert_eq!(size(16384, 0), (16384, 32768));
    }

    #[test]
    fn large_tiers_use_their_steps() {
        assert_eq!(size(8192, 16385), (8192, 20480));
        assert_eq!(size(16384, 122_880), (16384, 122_880));
    }

    #[test]
    fn more_than_fargate_offers_is_refused() {
        assert_eq!(smallest(17 * 1024, 0), Err(TooLarge::Cpu));
        assert_eq!(smallest(256, 130 * 1024), Err(TooLarge::Memory));
    }

    #[test]
    fn compose_units_convert_rounding_up() {
        assert_eq!(cpu_units("0.5"), Some(512));
        assert_eq!(cpu_units("0.25"), Some(256));
        assert_eq!(cpu_units("2"), Some(2048));
        assert_eq!(cpu_units("0.1"), Some(103));
        assert_eq!(cpu_units("x"), None);
        assert_eq!(mib(512 * 1024 * 1024), 512);
        assert_eq!(mib(512 * 1024 * 1024 + 1), 513);
    }
}
