//! Why a service failed, in the words of the engine: its last health-check
//! output (`State.Health.Log`), exit code, and the part of its log that
//! explains it (`log_tail`: a whole Python traceback, lines kept whole).
//! Printed when an `up` fails so nobody has to go digging with `docker inspect`.
//!
//! Reads from the engine; never changes anything.

use std::fmt::Write;

use super::engine::Engine;
use super::logs::last_lines;

/// A multi-line report on one container.
pub(crate) async fn report(engine: &Engine, service: &str, id: &str) -> String {
    let mut text = String::new();
    if let Ok(inspect) = engine.docker.inspect_container(id, None).await {
        let state = inspect.state.unwrap_or_default();
        if let Some(last) = state
            .health
            .and_then(|h| h.log)
            .and_then(|log| log.into_iter().last())
        {
            let output = last.output.unwrap_or_default();
            let _ = writeln!(
                text,
                "--- {service}: last health check (exit {}) ---\n{}",
                last.exit_code.unwrap_or(-1),
                output.trim_end()
            );
        }
        if state.running == Some(false)
            && let Some(code) = state.exit_code
        {
            let _ = writeln!(text, "--- {service}: exited with code {code} ---");
        }
        if let Some(error) = state.error.filter(|e| !e.is_empty()) {
            let _ = writeln!(text, "--- {service}: engine error: {error} ---");
        }
    }
    let read = last_lines(engine, id, crate::log_tail::AT_MOST as u64).await;
    let lines = crate::log_tail::explaining(&read);
    if lines.is_empty() {
        let _ = writeln!(text, "--- {service}: no log output ---");
    } else {
        let _ = writeln!(text, "--- {service}: last {} log lines ---", lines.len());
        for line in lines {
            let _ = writeln!(text, "{line}");
        }
    }
    text
}
