//! The tables people read: the `up --wait` summary (service, state, health,
//! URLs, time to ready) and `parity ps`. Plain text columns; JSON elsewhere.
//!
//! Pure formatting.

use super::observer::Phase;
use super::up::Ready;
use crate::output::table;

/// The `up --wait` / `--detach` summary.
pub(crate) fn ready_table(services: &[Ready]) -> String {
    let rows: Vec<Vec<String>> = services
        .iter()
        .map(|r| {
            let (state, health) = match &r.phase {
                Phase::Healthy => ("running".to_string(), "healthy"),
                Phase::Unhealthy => ("running".to_string(), "unhealthy"),
                Phase::Running if r.healthcheck => ("running".to_string(), "starting"),
                Phase::Running => ("running".to_string(), "-"),
                Phase::Exited(0) => ("completed".to_string(), "-"),
                Phase::Exited(code) => (format!("exited ({code})"), "-"),
                other => (super::up::describe(other), "-"),
            };
            let ready = r
                .ready_after
                .map_or_else(|| "already".to_string(), super::progress::secs);
            let mut service = r.service.clone();
            if r.release {
                service.push_str(" (release)");
            }
            vec![
                service,
                state,
                health.to_string(),
                if r.urls.is_empty() {
                    "-".to_string()
                } else {
                    r.urls.join(" ")
                },
                ready,
            ]
        })
        .collect();
    table(&["SERVICE", "STATE", "HEALTH", "URL", "READY IN"], &rows)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn summary_shows_state_health_urls_and_time() {
        let rows = [
            Ready {
                service: "db".into(),
                phase: Phase::Healthy,
                healthcheck: true,
                release: false,
                urls: vec![],
                ready_after: Some(Duration::from_millis(1200)),
            },
            Ready {
                service: "migrate".into(),
                phase: Phase::Exited(0),
                healthcheck: false,
                release: true,
                urls: vec![],
                ready_after: None,
            },
            Ready {
                service: "web".into(),
                phase: Phase::Healthy,
                healthcheck: true,
                release: false,
                urls: vec!["http://localhost:8080".into()],
                ready_after: Some(Duration::from_millis(2500)),
            },
        ];
        let text = ready_table(&rows);
        assert_eq!(
            text,
            "SERVICE             STATE       HEALTH    URL                     READY IN\n\
             db                  running     healthy   -                       1.2s\n\
             migrate (release)   completed   -         -                       already\n\
             web                 running     healthy   http://localhost:8080   2.5s\n"
        );
    }
}
