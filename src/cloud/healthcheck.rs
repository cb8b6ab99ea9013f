//! Compose `healthcheck` -> ECS `healthCheck`.
//!
//! ECS takes whole seconds within fixed bounds (interval 5-300, timeout 2-60,
//! retries 1-10, startPeriod 0-300) and has no `start_interval`. A local value
//! outside them (a 1 s interval is normal locally) is refused, naming the
//! service and field, unless `x-parity.healthcheck` gives the cloud value:
//! parity never clamps silently. Every value is written out (Docker's defaults
//! where compose leaves one unset: 30 s, 30 s, 3, 0 s) so the cloud check
//! behaves like the local one rather than like ECS's different defaults.

use serde_json::{Value, json};

use crate::compose::model::{Duration, Healthcheck};
use crate::compose::x_parity::CloudHealthcheck;
use crate::error::{Error, Result};

/// Docker's defaults for fields compose leaves unset.
const DOCKER_INTERVAL_MS: u64 = 30_000;
const DOCKER_TIMEOUT_MS: u64 = 30_000;
const DOCKER_RETRIES: u64 = 3;

/// The ECS bounds, inclusive.
const INTERVAL: (u64, u64) = (5, 300);
const TIMEOUT: (u64, u64) = (2, 60);
const RETRIES: (u64, u64) = (1, 10);
const START_PERIOD: (u64, u64) = (0, 300);

/// What the translation of one service's health check produced.
pub(crate) struct Translated {
    /// The ECS `healthCheck`, or `None` when the service has none (or disables it).
    pub(crate) check: Option<Value>,
    /// Things the plan should say (e.g. `start_interval` has no ECS equivalent).
    pub(crate) notes: Vec<String>,
    /// The service relies on its image's own HEALTHCHECK, which ECS ignores.
    pub(crate) relies_on_image: bool,
}

/// Translates one service's health check.
pub(crate) fn translate(
    service: &str,
    local: Option<&Healthcheck>,
    cloud: Option<&CloudHealthcheck>,
) -> Result<Translated> {
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
            return Err(Error::input(format!(
                "service `{service}`: healthcheck.test must start with CMD or CMD-SHELL and have a command"
            )));
        }
    };
    let cloud = cloud.cloned().unwrap_or_default();
    let interval = seconds(
        service,
        "interval",
        cloud.interval.map(|s| s.get()),
        local.interval,
        DOCKER_INTERVAL_MS,
        INTERVAL,
    )?;
    let timeout = seconds(
        service,
        "timeout",
        cloud.timeout.map(|s| s.get()),
        local.timeout,
        DOCKER_TIMEOUT_MS,
        TIMEOUT,
    )?;
    let start_period = seconds(
        service,
        "start_period",
        cloud.start_period.map(|s| s.get()),
        local.start_period,
        0,
        START_PERIOD,
    )?;
    let retries = cloud.retries.or(local.retries).unwrap_or(DOCKER_RETRIES);
    if !(RETRIES.0..=RETRIES.1).contains(&retries) {
        return Err(out_of_bounds(
            service,
            "retries",
            &retries.to_string(),
            RETRIES,
            "",
        ));
    }
    if let Some(start_interval) = local.start_interval {
        out.notes.push(format!(
            "service `{service}`: healthcheck.start_interval ({start_interval}) left out: ECS has no start interval"
        ));
    }
    out.check = Some(json!({
        "command": command,
        "interval": interval,
        "timeout": timeout,
        "retries": retries,
        "startPeriod": start_period,
    }));
    Ok(out)
}

/// One duration field: the cloud override if given, else the local value (or
/// Docker's default), which must be whole seconds within ECS's bounds.
fn seconds(
    service: &str,
    field: &str,
    cloud: Option<u64>,
    local: Option<Duration>,
    default_ms: u64,
    bounds: (u64, u64),
) -> Result<u64> {
    if let Some(value) = cloud {
        if !(bounds.0..=bounds.1).contains(&value) {
            return Err(Error::input(format!(
                "service `{service}`: x-parity.healthcheck.{field} is {value}s; ECS allows {}-{} s",
                bounds.0, bounds.1
            )));
        }
        return Ok(value);
    }
    let ms = local.map_or(default_ms, Duration::as_millis);
    let shown = Duration(ms).to_string();
    if !ms.is_multiple_of(1000) {
        return Err(out_of_bounds(
            service,
            field,
            &shown,
            bounds,
            " in whole seconds",
        ));
    }
    let value = ms / 1000;
    if !(bounds.0..=bounds.1).contains(&value) {
        return Err(out_of_bounds(service, field, &shown, bounds, ""));
    }
    Ok(value)
}

fn out_of_bounds(
    service: &str,
    field: &str,
    shown: &str,
    bounds: (u64, u64),
    extra: &str,
) -> Error {
    let unit = if field == "retries" { "" } else { " s" };
    let example = if field == "retries" {
        "3".to_owned()
    } else {
        format!("{}s", bounds.0.max(5).min(bounds.1))
    };
    Error::input(format!(
        "service `{service}`: healthcheck.{field} is {shown}; ECS allows {}-{}{unit}{extra}",
        bounds.0, bounds.1
    ))
    .with_help(format!(
        "give the cloud value in the service's x-parity block: `x-parity: {{ healthcheck: {{ {field}: {example} }} }}`"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Seconds;

    fn check(test: &[&str]) -> Healthcheck {
        Healthcheck {
            test: test.iter().map(|s| (*s).to_owned()).collect(),
            ..Healthcheck::default()
        }
    }

    #[test]
    fn unset_fields_get_dockers_defaults_written_out() {
        let t = translate("web", Some(&check(&["CMD", "/app", "health"])), None).unwrap();
        assert_eq!(
            t.check.unwrap(),
            json!({"command": ["CMD", "/app", "health"], "interval": 30, "timeout": 30, "retries": 3, "startPeriod": 0})
        );
    }

    #[test]
    fn disabled_and_none_give_no_check() {
        let mut hc = check(&["CMD", "x"]);
        hc.disable = true;
        assert!(translate("web", Some(&hc), None).unwrap().check.is_none());
        assert!(
            translate("web", Some(&check(&["NONE"])), None)
                .unwrap()
                .check
                .is_none()
        );
    }

    #[test]
    fn one_second_interval_is_refused_naming_service_and_field() {
        let mut hc = check(&["CMD", "x"]);
        hc.interval = Some(Duration(1000));
        let Err(err) = translate("web", Some(&hc), None) else {
            panic!("accepted a 1 s interval");
        };
        assert!(
            err.message()
                .contains("service `web`: healthcheck.interval is 1s"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn cloud_override_wins() {
        let mut hc = check(&["CMD", "x"]);
        hc.interval = Some(Duration(1000));
        let cloud = CloudHealthcheck {
            interval: Some(Seconds(10)),
            ..CloudHealthcheck::default()
        };
        let t = translate("web", Some(&hc), Some(&cloud)).unwrap();
        assert_eq!(t.check.unwrap()["interval"], 10);
    }

    #[test]
    fn sub_second_values_are_refused_not_rounded() {
        let mut hc = check(&["CMD", "x"]);
        hc.timeout = Some(Duration(2500));
        assert!(translate("web", Some(&hc), None).is_err());
    }

    #[test]
    fn no_healthcheck_relies_on_the_image() {
        assert!(translate("web", None, None).unwrap().relies_on_image);
    }
}
