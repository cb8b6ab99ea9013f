//! The decisions of a CloudWatch Logs reader (`parity logs --env`, `parity
//! run --env`): which stream belongs to which service and task, in what
//! order events are shown, and how a follow read moves forward without
//! showing an event twice or losing one.
//!
//! Pure. The adapter (`aws::logs::filter`) returns every page of one
//! FilterLogEvents read; this module decides what of it is new.
//!
//! Why a window and a set of seen ids: FilterLogEvents returns events from
//! several streams, page by page, and a page is not ordered across streams;
//! events with the timestamp of the last one shown can still arrive, and
//! CloudWatch ingests some events seconds after later ones. So each read
//! starts a little before the newest event shown ([`LATE_MS`]), and the ids
//! already shown in that overlap are skipped.

use std::collections::HashMap;
use std::time::Duration;

/// How far a follow read reaches back behind the newest event shown: an
/// event ingested up to this late still appears (once).
pub(crate) const LATE_MS: i64 = 10_000;

/// One log event as FilterLogEvents returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogEvent {
    /// Milliseconds since the epoch, as the container wrote the line.
    pub(crate) timestamp: i64,
    pub(crate) event_id: String,
    pub(crate) stream: String,
    pub(crate) message: String,
}

/// Where an awslogs stream comes from: ECS names them
/// `<awslogs-stream-prefix>/<container>/<task-id>`, and parity's task
/// definitions set the prefix to the container's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StreamSource<'a> {
    pub(crate) container: &'a str,
    pub(crate) task_id: &'a str,
}

/// Reads a stream name; `None` for streams ECS's awslogs driver did not name.
pub(crate) fn stream_source(stream: &str) -> Option<StreamSource<'_>> {
    let mut parts = stream.splitn(3, '/');
    let (_prefix, container, task_id) = (parts.next()?, parts.next()?, parts.next()?);
    if container.is_empty() || task_id.is_empty() || task_id.contains('/') {
        return None;
    }
    Some(StreamSource { container, task_id })
}

/// The stream names of one task's containers (each with its awslogs prefix).
pub(crate) fn task_streams(prefixed_containers: &[(String, String)], task_id: &str) -> Vec<String> {
    prefixed_containers
        .iter()
        .map(|(prefix, container)| format!("{prefix}/{container}/{task_id}"))
        .collect()
}

/// The short task id people see (`ps`, log prefixes): the first 8 characters.
pub(crate) fn short_task_id(task: &str) -> &str {
    let id = task.rsplit('/').next().unwrap_or(task);
    id.get(..8).unwrap_or(id)
}

/// Whether a line passes `--grep`: it contains the text (case-sensitive).
/// Local and cloud logs filter with this one rule.
pub(crate) fn matches(message: &str, grep: Option<&str>) -> bool {
    grep.is_none_or(|text| message.contains(text))
}

/// Timestamp order; events with the same timestamp keep their stream's order
/// (stream, then event id, which CloudWatch assigns in ingestion order).
pub(crate) fn sort(events: &mut [LogEvent]) {
    events.sort_by(|a, b| {
        (a.timestamp, &a.stream, &a.event_id).cmp(&(b.timestamp, &b.stream, &b.event_id))
    });
}

/// The last `n` events of each group (`group_of` names it, e.g. the
/// service), in timestamp order: `--tail N` per service, as locally.
pub(crate) fn tail<K: Eq + std::hash::Hash>(
    mut events: Vec<LogEvent>,
    n: usize,
    group_of: impl Fn(&LogEvent) -> K,
) -> Vec<LogEvent> {
    sort(&mut events);
    let mut left: HashMap<K, usize> = HashMap::new();
    let mut kept: Vec<LogEvent> = events
        .into_iter()
        .rev()
        .filter(|e| {
            let count = left.entry(group_of(e)).or_insert(0);
            *count += 1;
            *count <= n
        })
        .collect();
    kept.reverse();
    kept
}

/// A follow read's position: where the next read starts and which events
/// at or after it were already shown.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    start: i64,
    /// Event id -> timestamp, for events at or after `start`.
    seen: HashMap<String, i64>,
}

impl Window {
    /// A window starting at `start` (ms since the epoch; `--since`).
    pub(crate) fn new(start: i64) -> Self {
        Self {
            start,
            seen: HashMap::new(),
        }
    }

    /// Where the next FilterLogEvents read starts.
    pub(crate) fn start(&self) -> i64 {
        self.start
    }

    /// Takes everything one read returned (all its pages) and returns the
    /// events not shown before, in timestamp order; moves the start to
    /// [`LATE_MS`] before the newest event, never backwards.
    pub(crate) fn take(&mut self, events: Vec<LogEvent>) -> Vec<LogEvent> {
        let mut new: Vec<LogEvent> = Vec::new();
        for event in events {
            if event.timestamp < self.start || self.seen.contains_key(&event.event_id) {
                continue;
            }
            self.seen.insert(event.event_id.clone(), event.timestamp);
            new.push(event);
        }
        sort(&mut new);
        if let Some(newest) = new.iter().map(|e| e.timestamp).max() {
            self.start = self.start.max(newest - LATE_MS);
            let start = self.start;
            self.seen.retain(|_, ts| *ts >= start);
        }
        new
    }
}

/// How long a follow read waits before the next read: soon after events
/// came, longer while nothing does, never longer than [`Backoff::MAX`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Backoff {
    idle_reads: u32,
}

impl Backoff {
    /// The first wait, and the wait after a read that found events.
    pub(crate) const MIN: Duration = Duration::from_millis(500);
    /// The longest wait while idle (FilterLogEvents allows a few calls per
    /// second per account; a follow read makes at most one per 5 s idle).
    pub(crate) const MAX: Duration = Duration::from_secs(5);

    /// The wait after a read that found `events` new events.
    pub(crate) fn next(&mut self, events: usize) -> Duration {
        if events > 0 {
            self.idle_reads = 0;
            return Self::MIN;
        }
        self.idle_reads = self.idle_reads.saturating_add(1);
        let doubled = Self::MIN.saturating_mul(1 << self.idle_reads.min(8));
        doubled.min(Self::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(ts: i64, id: &str, stream: &str) -> LogEvent {
        LogEvent {
            timestamp: ts,
            event_id: id.into(),
            stream: stream.into(),
            message: format!("line {id}"),
        }
    }

    fn ids(events: &[LogEvent]) -> Vec<&str> {
        events.iter().map(|e| e.event_id.as_str()).collect()
    }

    #[test]
    fn streams_are_prefix_container_task() {
        assert_eq!(
            stream_source("web/web/0123456789abcdef"),
            Some(StreamSource {
                container: "web",
                task_id: "0123456789abcdef"
            })
        );
        assert_eq!(
            stream_source("web/proxy/abc").map(|s| s.container),
            Some("proxy")
        );
        assert_eq!(stream_source("web/abc"), None);
        assert_eq!(stream_source("a/b/c/d"), None);
        assert_eq!(stream_source("a//c"), None);
    }

    #[test]
    fn short_ids_and_task_streams() {
        assert_eq!(
            short_task_id("arn:aws:ecs:eu-west-1:1:task/shop/0123456789abcdef"),
            "01234567"
        );
        assert_eq!(short_task_id("abc"), "abc");
        let prefixed = [
            ("web".to_owned(), "web".to_owned()),
            ("proxy".into(), "proxy".into()),
        ];
        assert_eq!(
            task_streams(&prefixed, "t1"),
            ["web/web/t1", "proxy/proxy/t1"]
        );
    }

    #[test]
    fn grep_is_a_plain_case_sensitive_substring() {
        assert!(matches("GET /health 200", None));
        assert!(matches("GET /health 200", Some("/health")));
        assert!(!matches("GET /health 200", Some("/Health")));
        assert!(!matches("GET /health 200", Some("h.alth")));
    }

    #[test]
    fn pages_from_several_streams_come_out_in_timestamp_order_once() {
        let mut window = Window::new(0);
        // Page 1 holds stream a, page 2 stream b, and a repeat of a's first.
        let read = vec![
            event(10, "a1", "s/a/1"),
            event(30, "a2", "s/a/1"),
            event(20, "b1", "s/b/2"),
            event(30, "b2", "s/b/2"),
            event(10, "a1", "s/a/1"),
        ];
        assert_eq!(ids(&window.take(read)), ["a1", "b1", "a2", "b2"]);
    }

    #[test]
    fn a_follow_read_shows_only_new_events_and_keeps_late_ones() {
        let mut window = Window::new(1_000);
        let first = window.take(vec![
            event(50_000, "e1", "s/a/1"),
            event(60_000, "e2", "s/a/1"),
        ]);
        assert_eq!(ids(&first), ["e1", "e2"]);
        assert_eq!(window.start(), 60_000 - LATE_MS);
        // The next read overlaps: e2 again, a late event before it, a new one.
        let second = window.take(vec![
            event(55_000, "late", "s/b/2"),
            event(60_000, "e2", "s/a/1"),
            event(61_000, "e3", "s/a/1"),
        ]);
        assert_eq!(ids(&second), ["late", "e3"]);
        // An idle read changes nothing, and the start never moves back.
        assert!(window.take(Vec::new()).is_empty());
        assert_eq!(window.start(), 61_000 - LATE_MS);
        assert!(window.take(vec![event(40_000, "old", "s/a/1")]).is_empty());
    }

    #[test]
    fn the_start_never_moves_before_since() {
        let mut window = Window::new(100_000);
        window.take(vec![event(100_500, "e1", "s/a/1")]);
        assert_eq!(window.start(), 100_000);
    }

    #[test]
    fn tail_keeps_the_last_n_of_each_service() {
        let events = vec![
            event(1, "a1", "s/a/1"),
            event(2, "b1", "s/b/1"),
            event(3, "a2", "s/a/1"),
            event(4, "a3", "s/a/1"),
            event(5, "b2", "s/b/1"),
        ];
        let kept = tail(events, 2, |e| e.stream.clone());
        assert_eq!(ids(&kept), ["b1", "a2", "a3", "b2"]);
    }

    #[test]
    fn backoff_doubles_while_idle_up_to_the_bound_and_resets() {
        let mut backoff = Backoff::default();
        let waits: Vec<Duration> = (0..6).map(|_| backoff.next(0)).collect();
        assert_eq!(waits[0], Duration::from_secs(1));
        assert_eq!(waits[1], Duration::from_secs(2));
        assert_eq!(waits[2], Duration::from_secs(4));
        assert!(waits[3..].iter().all(|w| *w == Backoff::MAX));
        assert_eq!(backoff.next(3), Backoff::MIN);
        assert_eq!(backoff.next(0), Duration::from_secs(1));
    }
}
