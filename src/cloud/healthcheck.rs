//! Compose `healthcheck` -> ECS `healthCheck`.
//!
//! ECS takes whole seconds within fixed bounds (interval 5-300, timeout 2-60
//! and below the interval, retries 1-10, startPeriod 0-300) and has no
//! `start_interval`. Local checks are usually faster (every 500 ms, 20
//! retries), so a value outside the bounds is brought inside them keeping the
//! time to unhealthy (interval × retries) as close as the bounds allow, and
//! the plan's notes say what changed. `x-parity.healthcheck` chooses other
//! cloud values; those must already be within the bounds. Every value is
//! written out (Docker's defaults where compose leaves one unset: 30 s, 30 s,
//! 3, 0 s) so the cloud check behaves like the local one rather than like
//! ECS's different defaults.

use serde_json::{Value, json};

use crate::compose::model::{Duration, Service};
use crate::compose::x_parity::CloudHealthcheck;
use crate::error::Result;

/// Docker's defaults for fields compose leaves unset.
const DOCKER_INTERVAL_MS: u64 = 30_000;
const DOCKER_TIMEOUT_MS: u64 = 30_000;
const DOCKER_RETRIES: u64 = 3;

/// The ECS bounds, inclusive (the timeout must also stay below the interval).
const INTERVAL: (u64, u64) = (5, 300);
const TIMEOUT: (u64, u64) = (2, 60);
const RETRIES: (u64, u64) = (1, 10);
const START_PERIOD: (u64, u64) = (0, 300);

/// What the translation of one service's health check produced.
pub(crate) struct Translated {
    /// The ECS `healthCheck`, or `None` when the service has none (or disables it).
    pub(crate) check: Option<Value>,
    /// Things the plan should say (values brought within bounds, `start_interval`).
    pub(crate) notes: Vec<String>,
    /// The service relies on its image's own HEALTHCHECK, which ECS ignores.
    pub(crate) relies_on_image: bool,
}

/// Translates one service's health check.
pub(crate) fn translate(service: &Service, cloud: Option<&CloudHealthcheck>) -> Result<Translated> {
    let name = &service.name;
    let local = service.healthcheck.as_ref();
    let mut out = Translated {
        check: None,
        notes: Vec::new(),
        relies_on_image: false,
    };
    let Some(local) = local else {
        out.relies_on_image = true;
        return Ok(out);
    };
    if local.disable || local.test.first().is_some_and(|t| t == "NONE") {
        return Ok(out);
    }
    let command = match local.test.first().map(String::as_str) {
        None => {
            out.relies_on_image = true;
            return Ok(out);
        }
        Some("CMD" | "CMD-SHELL") if local.test.len() >= 2 => local.test.clone(),
        Some(_) => {
            return Err(service.error_at("healthcheck.test", format!(
                "service `{name}`: healthcheck.test must start with CMD or CMD-SHELL and have a command"
            )));
        }
    };
    let cloud = cloud.cloned().unwrap_or_default();
    let chosen = |field: &str, value: Option<u64>, bounds: (u64, u64)| -> Result<Option<u64>> {
        match value {
            Some(v) if !(bounds.0..=bounds.1).contains(&v) => Err(service.error_at(&format!("x-parity.healthcheck.{field}"), format!(
                "service `{name}`: x-parity.healthcheck.{field} is {v}; ECS allows {}-{}",
                bounds.0, bounds.1
            ))
            .with_help("x-parity.healthcheck gives the cloud values as they are; choose one within ECS's bounds")),
            other => Ok(other),
        }
    };
    let cloud_interval = chosen("interval", cloud.interval.map(|s| s.get()), INTERVAL)?;
    let cloud_timeout = chosen("timeout", cloud.timeout.map(|s| s.get()), TIMEOUT)?;
    let cloud_retries = chosen("retries", cloud.retries, RETRIES)?;
    let cloud_start = chosen(
        "start_period",
        cloud.start_period.map(|s| s.get()),
        START_PERIOD,
    )?;

    let interval_ms = local
        .interval
        .map_or(DOCKER_INTERVAL_MS, Duration::as_millis);
    let retries = local.retries.unwrap_or(DOCKER_RETRIES);
    // A value chosen in x-parity stays, so does a valid local one unless the
    // other is being fitted with nothing chosen.
    let local_interval = whole_within(interval_ms, INTERVAL);
    let local_retries = (RETRIES.0..=RETRIES.1)
        .contains(&retries)
        .then_some(retries);
    let (interval, fitted_retries) = match (cloud_interval, cloud_retries) {
        (None, None) => local_interval
            .zip(local_retries)
            .unwrap_or_else(|| fit(interval_ms, retries, None, None)),
        (chosen_i, chosen_r) => fit(
            interval_ms,
            retries,
            chosen_i.or(local_interval),
            chosen_r.or(local_retries),
        ),
    };
    let refitted = (cloud_interval.is_none() && interval * 1000 != interval_ms)
        || (cloud_retries.is_none() && fitted_retries != retries);
    if refitted {
        out.notes.push(format!(
            "service `{name}`: healthcheck: every {} × {retries} retries ({} to unhealthy) becomes every {interval}s × {fitted_retries} ({}s), within ECS's interval 5-300 s and retries 1-10; set x-parity.healthcheck to choose other values",
            Duration(interval_ms),
            Duration(interval_ms.saturating_mul(retries)),
            interval * fitted_retries
        ));
    }
    let timeout_ms = local.timeout.map_or(DOCKER_TIMEOUT_MS, Duration::as_millis);
    let timeout = match cloud_timeout {
        Some(t) if t >= interval => {
            return Err(service.error_at("x-parity.healthcheck.timeout", format!(
                "service `{name}`: x-parity.healthcheck.timeout is {t}s; ECS wants it below the interval ({interval}s)"
            )));
        }
        Some(t) => t,
        None => {
            let fitted = timeout_ms
                .div_ceil(1000)
                .clamp(TIMEOUT.0, TIMEOUT.1)
                .min(interval - 1);
            if fitted * 1000 != timeout_ms {
                out.notes.push(format!(
                    "service `{name}`: healthcheck.timeout {} becomes {fitted}s: ECS takes whole seconds, 2-60 s and below the interval ({interval}s)",
                    Duration(timeout_ms)
                ));
            }
            fitted
        }
    };
    let start_ms = local.start_period.map_or(0, Duration::as_millis);
    let start_period = cloud_start.unwrap_or_else(|| {
        let fitted = start_ms.div_ceil(1000).clamp(START_PERIOD.0, START_PERIOD.1);
        if fitted * 1000 != start_ms {
            out.notes.push(format!(
                "service `{name}`: healthcheck.start_period {} becomes {fitted}s: ECS takes whole seconds, 0-300 s",
                Duration(start_ms)
            ));
        }
        fitted
    });
    if let Some(start_interval) = local.start_interval {
        out.notes.push(format!(
            "service `{name}`: healthcheck.start_interval ({start_interval}) left out: ECS has no start interval"
        ));
    }
    out.check = Some(json!({
        "command": command,
        "interval": interval,
        "timeout": timeout,
        "retries": fitted_retries,
        "startPeriod": start_period,
    }));
    Ok(out)
}

/// `ms` as whole seconds, when it is whole and within `bounds`.
fn whole_within(ms: u64, bounds: (u64, u64)) -> Option<u64> {
    (ms.is_multiple_of(1000) && (bounds.0..=bounds.1).contains(&(ms / 1000))).then_some(ms / 1000)
}

/// The ECS (interval s, retries) whose time to unhealthy is closest to the
/// local `interval_ms` × `retries`; a value chosen in x-parity stays. Ties
/// keep the retries closest to the local ones (the same tolerance to a flaky
/// check).
fn fit(
    interval_ms: u64,
    retries: u64,
    interval: Option<u64>,
    fixed_retries: Option<u64>,
) -> (u64, u64) {
    let target = interval_ms.saturating_mul(retries);
    let candidates = fixed_retries.map_or(RETRIES.0..=RETRIES.1, |r| r..=r);
    let mut best: Option<(u64, u64, (u64, u64))> = None;
    for r in candidates {
        let per_try = r * 1000;
        let i = interval
            .unwrap_or_else(|| ((target + per_try / 2) / per_try).clamp(INTERVAL.0, INTERVAL.1));
        let score = ((i * r * 1000).abs_diff(target), r.abs_diff(retries));
        if best.is_none_or(|(_, _, s)| score < s) {
            best = Some((i, r, score));
        }
    }
    best.map_or((INTERVAL.0, RETRIES.0), |(i, r, _)| (i, r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::model::Healthcheck;
    use crate::settings::Seconds;

    /// Service `web` with health check `local`.
    fn web(local: Option<&Healthcheck>) -> Service {
        Service {
            name: "web".into(),
            healthcheck: local.cloned(),
            ..Service::default()
        }
    }

    fn check(test: &[&str]) -> Healthcheck {
        Healthcheck {
            test: test.iter().map(|s| (*s).to_owned()).collect(),
            ..Healthcheck::default()
        }
    }

    #[test]
    fn unset_fields_get_dockers_defaults_written_out() {
        let t = translate(&web(Some(&check(&["CMD", "/app", "health"]))), None).unwrap();
        assert_eq!(
            t.check.unwrap(),
            json!({"command": ["CMD", "/app", "health"], "interval": 30, "timeout": 29, "retries": 3, "startPeriod": 0})
        );
    }

    #[test]
    fn disabled_and_none_give_no_check() {
        let mut hc = check(&["CMD", "x"]);
        hc.disable = true;
        assert!(translate(&web(Some(&hc)), None).unwrap().check.is_none());
        assert!(
            translate(&web(Some(&check(&["NONE"]))), None)
                .unwrap()
                .check
                .is_none()
        );
    }

    fn fields(t: &Translated) -> (u64, u64, u64, u64) {
        let c = t.check.as_ref().unwrap();
        let get = |k: &str| c[k].as_u64().unwrap();
        (
            get("interval"),
            get("timeout"),
            get("retries"),
            get("startPeriod"),
        )
    }

    #[test]
    fn the_example_stacks_fast_check_keeps_its_ten_seconds_to_unhealthy() {
        let mut hc = check(&["CMD", "x"]);
        hc.interval = Some(Duration(500));
        hc.timeout = Some(Duration(2000));
        hc.retries = Some(20);
        let t = translate(&web(Some(&hc)), None).unwrap();
        assert_eq!(fields(&t), (5, 2, 2, 0));
        assert_eq!(t.notes.len(), 1, "{:?}", t.notes);
        assert!(
            t.notes[0]
                .contains("every 500ms × 20 retries (10s to unhealthy) becomes every 5s × 2 (10s)"),
            "{}",
            t.notes[0]
        );
    }

    #[test]
    fn too_many_retries_trade_for_a_longer_interval() {
        let mut hc = check(&["CMD", "x"]);
        hc.interval = Some(Duration(5000));
        hc.timeout = Some(Duration(3000));
        hc.retries = Some(20);
        assert_eq!(
            fields(&translate(&web(Some(&hc)), None).unwrap()),
            (10, 3, 10, 0)
        );
    }

    #[test]
    fn a_check_shorter_than_ecs_allows_gets_the_shortest_it_allows() {
        let mut hc = check(&["CMD", "x"]);
        hc.interval = Some(Duration(1000));
        hc.retries = Some(3);
        hc.timeout = Some(Duration(1000));
        // 3 s to unhealthy cannot be had: 5 s × 1 is the closest.
        let t = translate(&web(Some(&hc)), None).unwrap();
        assert_eq!(fields(&t), (5, 2, 1, 0));
        assert_eq!(t.notes.len(), 2, "{:?}", t.notes);
    }

    #[test]
    fn sub_second_values_round_up_and_are_noted() {
        let mut hc = check(&["CMD", "x"]);
        hc.interval = Some(Duration(10_000));
        hc.timeout = Some(Duration(2500));
        hc.start_period = Some(Duration(1500));
        let t = translate(&web(Some(&hc)), None).unwrap();
        assert_eq!(fields(&t), (10, 3, 3, 2));
        assert_eq!(t.notes.len(), 2, "{:?}", t.notes);
    }

    #[test]
    fn the_timeout_stays_below_the_interval() {
        // Docker's defaults are 30 s and 30 s; ECS wants the timeout below the interval.
        let t = translate(&web(Some(&check(&["CMD", "x"]))), None).unwrap();
        assert_eq!(fields(&t), (30, 29, 3, 0));
        assert!(
            t.notes[0].contains("healthcheck.timeout 30s becomes 29s"),
            "{:?}",
            t.notes
        );
    }

    #[test]
    fn cloud_override_wins() {
        let mut hc = check(&["CMD", "x"]);
        hc.interval = Some(Duration(1000));
        let cloud = CloudHealthcheck {
            interval: Some(Seconds(10)),
            timeout: Some(Seconds(5)),
            ..CloudHealthcheck::default()
        };
        let t = translate(&web(Some(&hc)), Some(&cloud)).unwrap();
        assert_eq!(fields(&t), (10, 5, 3, 0));
        assert!(t.notes.is_empty(), "{:?}", t.notes);
    }

    #[test]
    fn cloud_values_outside_the_bounds_are_refused() {
        let hc = check(&["CMD", "x"]);
        let none = CloudHealthcheck::default;
        for cloud in [
            CloudHealthcheck {
                interval: Some(Seconds(1)),
                ..none()
            },
            CloudHealthcheck {
                retries: Some(11),
                ..none()
            },
            CloudHealthcheck {
                interval: Some(Seconds(5)),
                timeout: Some(Seconds(5)),
                ..none()
            },
        ] {
            let Err(err) = translate(&web(Some(&hc)), Some(&cloud)) else {
                panic!("accepted {cloud:?}");
            };
            assert!(
                err.message()
                    .contains("service `web`: x-parity.healthcheck."),
                "{}",
                err.message()
            );
        }
    }

    #[test]
    fn no_healthcheck_relies_on_the_image() {
        assert!(translate(&web(None), None).unwrap().relies_on_image);
    }
}
