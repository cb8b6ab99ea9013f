//! The per-environment deploy lock's record: who holds it, since when, and
//! whether it looks abandoned.
//!
//! Pure. The record is stored by an adapter (an SSM parameter created only if
//! absent, outside the environment's secrets prefix so `secrets sync --prune`
//! never sees it). This module owns the record's format, the parameter name and
//! the message a blocked deploy prints; never the storage.

use serde::{Deserialize, Serialize};

/// Who holds the lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LockRecord {
    /// `user@host`.
    pub(crate) holder: String,
    /// What they run (`deploy staging`, `promote staging -> prod`).
    pub(crate) operation: String,
    /// Seconds since the Unix epoch when the lock was taken.
    pub(crate) since: u64,
    /// A random token so only the taker releases its own lock.
    pub(crate) token: String,
}

/// Where an environment's lock lives: outside `/<app>/<env>/` (the secrets prefix).
pub(crate) fn parameter_name(app: &str, env: &str) -> String {
    format!("/parity-locks/{app}/{env}")
}

impl LockRecord {
    pub(crate) fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a stored record; anything unreadable is reported as held by "unknown".
    pub(crate) fn decode(text: &str) -> Self {
        serde_json::from_str(text).unwrap_or_else(|_| Self {
            holder: "unknown (unreadable lock record)".into(),
            operation: "unknown".into(),
            since: 0,
            token: String::new(),
        })
    }

    /// Whether the lock is older than `stale_after` seconds at `now`.
    pub(crate) fn is_stale(&self, now: u64, stale_after: u64) -> bool {
        now.saturating_sub(self.since) > stale_after
    }

    /// The message a blocked deploy shows: names the holder and since when.
    pub(crate) fn describe(&self, env: &str, now: u64) -> String {
        format!(
            "the {env} deploy lock is held by {} ({}) since {} ({} ago)",
            self.holder,
            self.operation,
            utc_timestamp(self.since),
            human_duration(now.saturating_sub(self.since))
        )
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the epoch (civil calendar, UTC).
pub(crate) fn utc_timestamp(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `45s`, `12m`, `3h 5m`, `2d 1h`.
pub(crate) fn human_duration(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        3600..86_400 => format!("{}h {}m", secs / 3600, secs % 3600 / 60),
        _ => format!("{}d {}h", secs / 86_400, secs % 86_400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(since: u64) -> LockRecord {
        LockRecord {
            holder: "ana@build-1".into(),
            operation: "deploy staging".into(),
            since,
            token: "t1".into(),
        }
    }

    #[test]
    fn lock_lives_outside_the_secrets_prefix() {
        let name = parameter_name("shop", "staging");
        assert_eq!(name, "/parity-locks/shop/staging");
        assert!(!name.starts_with("/shop/staging/"));
    }

    #[test]
    fn record_round_trips() {
        let r = record(1_700_000_000);
        assert_eq!(LockRecord::decode(&r.encode()), r);
    }

    #[test]
    fn unreadable_record_still_blocks_and_says_so() {
        let r = LockRecord::decode("not json");
        assert!(r.holder.starts_with("unknown"));
    }

    #[test]
    fn message_names_holder_and_since_when() {
        let r = record(1_700_000_000);
        assert_eq!(
            r.describe("staging", 1_700_000_000 + 125),
            "the staging deploy lock is held by ana@build-1 (deploy staging) \
             since 2023-11-14T22:13:20Z (2m ago)"
        );
    }

    #[test]
    fn staleness_is_by_age() {
        let r = record(1000);
        assert!(!r.is_stale(1000 + 3600, 3600));
        assert!(r.is_stale(1000 + 3601, 3600));
        assert!(!r.is_stale(0, 3600));
    }

    #[test]
    fn timestamps_are_civil_utc() {
        assert_eq!(utc_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_timestamp(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_timestamp(1_798_761_599), "2026-12-31T23:59:59Z");
    }

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(human_duration(45), "45s");
        assert_eq!(human_duration(720), "12m");
        assert_eq!(human_duration(3600 * 3 + 300), "3h 5m");
        assert_eq!(human_duration(86_400 * 2 + 3600), "2d 1h");
    }
}
