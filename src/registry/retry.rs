//! Retrying a registry operation the way the AWS SDK's standard mode retries
//! an AWS call (src/aws/config.rs): at most [`ATTEMPTS`] attempts, full-jitter
//! exponential back-off capped at [`MAX_BACKOFF`], and only on a fault that
//! may pass — a 429, a 5xx, a connection refused, reset or cut mid-answer.
//!
//! The unit retried is an operation whose repetition is harmless: a GET or
//! HEAD, a manifest PUT of the same bytes under the same reference, and a
//! blob upload as a whole (a fresh upload session each time: a PUT to a
//! session that failed is never repeated, since the registry may have
//! dropped or half-filled it). What outlasts the retries is one error naming
//! the registry, the operation, the repository and that it was retried.

use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use hyper::StatusCode;

use crate::error::{Error, Result};

/// Attempts per operation, as for every AWS call.
pub(crate) const ATTEMPTS: u32 = 5;
/// The first back-off's ceiling; doubles with each attempt (1 ms in unit
/// tests, which wait for real).
const BASE_BACKOFF: Duration = Duration::from_millis(if cfg!(test) { 1 } else { 500 });
/// Cap on one back-off, so a registry that is down fails in seconds.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Why one attempt did not succeed.
#[derive(Debug)]
pub(crate) enum Fault {
    /// May pass if tried again (the reason, for the final error).
    Transient(String),
    /// Will not pass by trying again (a 404 where one is an error, a 401, a bad digest).
    Fatal(Error),
}

impl From<Error> for Fault {
    fn from(error: Error) -> Self {
        Self::Fatal(error)
    }
}

/// Whether a status is worth another attempt: too many requests, or the
/// registry (or a load balancer in front of it) failing.
pub(crate) fn transient_status(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || matches!(status.as_u16(), 500 | 502 | 503 | 504)
}

/// Whether the Docker Engine's push error (a message, the only form it
/// gives) is a registry fault worth pushing again: a 429 or 5xx status it
/// received, or a connection that broke. A push again is harmless: the
/// engine skips the layers the registry already holds.
pub(crate) fn transient_message(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    let status = ["429 ", "500 ", "502 ", "503 ", "504 "]
        .iter()
        .any(|code| lower.contains(&format!("status: {code}")));
    status
        || [
            "connection reset",
            "use of closed network connection",
            "broken pipe",
            "unexpected eof",
            ": eof",
            "connection refused",
            "server closed",
            "i/o timeout",
        ]
        .iter()
        .any(|text| lower.contains(text))
}

/// Runs `attempt` until it succeeds, fails for good, or [`ATTEMPTS`]
/// attempts failed transiently; `what` names the operation and repository
/// (`PUT manifest shop/web:abc123`).
pub(crate) async fn retrying<T, F, Fut>(host: &str, what: &str, mut attempt: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<T, Fault>>,
{
    let mut tried = 0;
    loop {
        tried += 1;
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(Fault::Fatal(error)) => return Err(error),
            Err(Fault::Transient(reason)) if tried >= ATTEMPTS => {
                return Err(exhausted(host, what, &reason));
            }
            Err(Fault::Transient(reason)) => {
                tracing::debug!("registry {host}: {what}: {reason}; attempt {tried} of {ATTEMPTS}");
                tokio::time::sleep(backoff(BASE_BACKOFF, tried, jitter())).await;
            }
        }
    }
}

/// The error once every attempt failed.
pub(crate) fn exhausted(host: &str, what: &str, reason: &str) -> Error {
    Error::failed(format!(
        "registry {host}: {what}: {reason}, still after {ATTEMPTS} attempts with back-off"
    ))
    .with_help(format!(
        "the registry (or something in front of it) is failing; check that {host} is up, then run the command again: it picks up where it stopped"
    ))
}

/// Full jitter: a uniform share (`fraction`, 0..1) of the capped exponential
/// ceiling after the `tried`th attempt (from a 500 ms `base`: 0.5 s, 1 s,
/// 2 s, 4 s).
fn backoff(base: Duration, tried: u32, fraction: f64) -> Duration {
    let ceiling = base
        .saturating_mul(1 << (tried.saturating_sub(1)).min(16))
        .min(MAX_BACKOFF);
    ceiling.mul_f64(fraction.clamp(0.0, 1.0))
}

/// A fraction in 0..1 from the process's random hash keys (no RNG crate).
fn jitter() -> f64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[test]
    fn backoff_doubles_from_half_a_second_up_to_the_cap() {
        let base = Duration::from_millis(500);
        let ceilings: Vec<u128> = (1..=6).map(|t| backoff(base, t, 1.0).as_millis()).collect();
        assert_eq!(ceilings, [500, 1000, 2000, 4000, 5000, 5000]);
        assert_eq!(backoff(base, 3, 0.25), Duration::from_millis(500));
        assert_eq!(backoff(base, 40, 1.0), MAX_BACKOFF);
    }

    #[test]
    fn jitter_is_a_fraction_and_varies() {
        let draws: Vec<f64> = (0..50).map(|_| jitter()).collect();
        assert!(draws.iter().all(|f| (0.0..1.0).contains(f)));
        assert!(draws.windows(2).any(|w| w[0] != w[1]));
    }

    #[test]
    fn only_throttling_and_server_failures_are_transient_statuses() {
        for code in [429, 500, 502, 503, 504] {
            assert!(
                transient_status(StatusCode::from_u16(code).unwrap()),
                "{code}"
            );
        }
        for code in [200, 201, 202, 400, 401, 403, 404, 405, 501] {
            assert!(
                !transient_status(StatusCode::from_u16(code).unwrap()),
                "{code}"
            );
        }
    }

    #[test]
    fn engine_push_errors_from_registry_faults_are_transient() {
        for message in [
            "received unexpected HTTP status: 503 Service Unavailable",
            "received unexpected HTTP status: 429 Too Many Requests",
            "Put \"http://127.0.0.1:5000/v2/x/manifests/t\": read tcp 127.0.0.1:1->127.0.0.1:5000: read: connection reset by peer",
            "Patch \"http://h/v2/x/blobs/uploads/u\": EOF",
            "write: broken pipe",
            "Patch \"http://h/v2/shop/blobs/uploads/u?_state=x\": write tcp 127.0.0.1:1->127.0.0.1:2: use of closed network connection",
        ] {
            assert!(transient_message(message), "{message}");
        }
        for message in [
            "unauthorized: authentication required",
            "name unknown: repository name not known to registry",
            "denied: requested access to the resource is denied",
            "received unexpected HTTP status: 404 Not Found",
        ] {
            assert!(!transient_message(message), "{message}");
        }
    }

    fn run<T>(future: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn a_transient_fault_is_retried_until_it_passes() {
        let calls = AtomicU32::new(0);
        let value = run(retrying("r:5000", "GET manifest app:1", || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0..=2 => Err(Fault::Transient("answered 503".into())),
                _ => Ok(7),
            }
        }))
        .unwrap();
        assert_eq!((value, calls.load(Ordering::SeqCst)), (7, 4));
    }

    #[test]
    fn a_fault_that_never_passes_ends_after_five_attempts_naming_the_operation() {
        let calls = AtomicU32::new(0);
        let error = run(retrying::<(), _, _>(
            "r:5000",
            "PUT manifest app:1",
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(Fault::Transient("answered 503 Service Unavailable".into()))
            },
        ))
        .unwrap_err();
        assert_eq!(calls.load(Ordering::SeqCst), ATTEMPTS);
        assert_eq!(
            error.message(),
            "registry r:5000: PUT manifest app:1: answered 503 Service Unavailable, still after 5 attempts with back-off"
        );
    }

    #[test]
    fn a_fatal_fault_is_not_retried() {
        let calls = AtomicU32::new(0);
        let error = run(retrying::<(), _, _>("r:5000", "GET blob", || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(Fault::Fatal(Error::failed("answered 401")))
        }))
        .unwrap_err();
        assert_eq!(
            (calls.load(Ordering::SeqCst), error.message()),
            (1, "answered 401")
        );
    }
}
