//! `parity logs --since DURATION|TIME`: where a log read starts, locally
//! and in CloudWatch Logs alike.
//!
//! Pure: the caller passes the current time. A duration counts back from
//! now (Go's syntax, as compose durations are written: `90s`, `10m`,
//! `1h30m`; plus whole days, `2d`; a bare number is seconds). A time is
//! RFC 3339 (`2026-11-27T09:00:00Z`, `2026-11-27T10:00:00+01:00`, fraction
//! allowed; without a zone it is UTC) or a date (`2026-11-27`, midnight UTC).

/// How far back `parity logs --env` reads when `--since` is not given.
pub(crate) const DEFAULT_CLOUD_MS: i64 = 10 * 60 * 1000;

/// Milliseconds since the epoch at which the read starts; `Err` says what
/// is wrong with `text` (the caller makes it an exit-2 error).
pub(crate) fn parse(text: &str, now_ms: i64) -> Result<i64, String> {
    let text = text.trim();
    let expected =
        "expected a duration like `10m`, `1h30m`, `2d` or a time like `2026-11-27T09:00:00Z`";
    if text.is_empty() {
        return Err(format!("--since is empty: {expected}"));
    }
    if let Some(ms) = duration_ms(text) {
        let back = i64::try_from(ms).map_err(|_| format!("--since {text}: too long ago"))?;
        return Ok(now_ms.saturating_sub(back).max(0));
    }
    match time_ms(text) {
        Some(ms) if ms > now_ms => Err(format!("--since {text}: that time is in the future")),
        Some(ms) => Ok(ms),
        None => Err(format!("--since {text}: {expected}")),
    }
}

/// Seconds in a duration written as `--since` takes it (`7d`, `12h`, `0s`):
/// also `review prune --older-than`'s syntax.
pub(crate) fn duration_secs(text: &str) -> Option<u64> {
    duration_ms(text.trim()).map(|ms| ms / 1000)
}

/// `2d`, or a Go-style duration (`90s`, `1h30m`, a bare number of seconds).
fn duration_ms(text: &str) -> Option<u64> {
    if let Some(days) = text.strip_suffix('d') {
        let days: u64 = days.parse().ok()?;
        return days.checked_mul(86_400_000);
    }
    if text.starts_with(|c: char| c.is_ascii_digit()) && !text.contains(['-', ':', 'T']) {
        return crate::compose::model::parse_duration(text);
    }
    None
}

/// RFC 3339 date-time or a bare date, as milliseconds since the epoch.
fn time_ms(text: &str) -> Option<i64> {
    let (date, rest) = text.split_at_checked(10)?;
    let days = days_from_civil(date)?;
    let mut ms = days * 86_400_000;
    if rest.is_empty() {
        return Some(ms);
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let (clock, zone) = match rest.find(['Z', 'z', '+', '-']) {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    ms += clock_ms(clock)?;
    ms -= zone_offset_ms(zone)?;
    Some(ms)
}

/// `HH:MM[:SS[.fff]]` as milliseconds into the day.
fn clock_ms(clock: &str) -> Option<i64> {
    let (hms, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let parts: Vec<&str> = hms.split(':').collect();
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.len() != 2) {
        return None;
    }
    let number = |p: &str| p.parse::<i64>().ok();
    let (h, m) = (number(parts[0])?, number(parts[1])?);
    let s = parts.get(2).map_or(Some(0), |p| number(p))?;
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    let millis = if fraction.is_empty() {
        0
    } else if fraction.bytes().all(|b| b.is_ascii_digit()) {
        let digits: String = fraction.chars().chain("000".chars()).take(3).collect();
        digits.parse::<i64>().ok()?
    } else {
        return None;
    };
    Some(((h * 60 + m) * 60 + s) * 1000 + millis)
}

/// `Z`, `+HH:MM`, `-HH:MM` (or nothing: UTC), as milliseconds east of UTC.
fn zone_offset_ms(zone: &str) -> Option<i64> {
    match zone {
        "" | "Z" | "z" => Some(0),
        _ => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let (h, m) = zone.get(1..)?.split_once(':')?;
            if h.len() != 2 || m.len() != 2 {
                return None;
            }
            let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
            (h <= 23 && m <= 59).then_some(sign * (h * 60 + m) * 60_000)
        }
    }
}

/// Days since 1970-01-01 of `YYYY-MM-DD` (Howard Hinnant's days-from-civil).
fn days_from_civil(date: &str) -> Option<i64> {
    let bytes = date.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let y: i64 = date[..4].parse().ok()?;
    let m: i64 = date[5..7].parse().ok()?;
    let d: i64 = date[8..].parse().ok()?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d < 1 || d > month_days[usize::try_from(m - 1).ok()?] {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-27T15:00:00Z.
    const NOW: i64 = 1_795_791_600_000;

    #[test]
    fn durations_count_back_from_now() {
        assert_eq!(parse("10m", NOW), Ok(NOW - 600_000));
        assert_eq!(parse("1h30m", NOW), Ok(NOW - 5_400_000));
        assert_eq!(parse("2d", NOW), Ok(NOW - 2 * 86_400_000));
        assert_eq!(parse("45", NOW), Ok(NOW - 45_000));
        assert_eq!(parse("500ms", NOW), Ok(NOW - 500));
    }

    #[test]
    fn times_are_rfc3339_or_a_date_in_utc() {
        assert_eq!(parse("2026-11-27T15:00:00Z", NOW), Ok(NOW));
        assert_eq!(
            parse("2026-11-27T14:00:00.250Z", NOW),
            Ok(NOW - 3_600_000 + 250)
        );
        assert_eq!(parse("2026-11-27T16:00:00+01:00", NOW), Ok(NOW));
        assert_eq!(parse("2026-11-27T10:00:00-05:00", NOW), Ok(NOW));
        assert_eq!(parse("2026-11-27 15:00", NOW), Ok(NOW));
        assert_eq!(parse("2026-11-27", NOW), Ok(NOW - 15 * 3_600_000));
        assert_eq!(parse("1970-01-01", NOW), Ok(0));
        assert_eq!(parse("2024-02-29", NOW), Ok(1_709_164_800_000));
    }

    #[test]
    fn nonsense_future_and_impossible_dates_are_refused() {
        for bad in [
            "",
            "ten minutes",
            "10x",
            "-5m",
            "2026-13-01",
            "2025-02-29",
            "2026-11-27T25:00:00Z",
            "2026-11-27T10:00:00+1:00",
            "2026-11-27Tnoon",
            "yesterday",
        ] {
            assert!(parse(bad, NOW).is_err(), "{bad:?} accepted");
        }
        let future = parse("2026-11-28", NOW).unwrap_err();
        assert!(future.contains("in the future"), "{future}");
    }

    #[test]
    fn a_duration_longer_than_the_epoch_starts_at_zero() {
        assert_eq!(parse("999999h", NOW), Ok(0));
    }
}
