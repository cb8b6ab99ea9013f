//! Batching file events: a batch is handed over once no event has arrived for
//! the quiet window, or once it has been open for the longest wait (so a
//! stream of writes that never pauses still reaches the container).
//!
//! The window is short on purpose (see [`QUIET`]): a save is a burst of events
//! microseconds apart, and every millisecond waited is a millisecond of
//! edit-to-container latency. Pure: the caller supplies the clock.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use indexmap::IndexSet;

/// The quiet window. Measured (`scripts/watch-save-spread`, README "watch"):
/// within one save (an in-place write, `sed -i`, write-and-rename as editors
/// save, `cp`, 1 MiB written in 64 KiB chunks) no two inotify events were
/// more than 3.5 ms apart on the loaded 2-core machine, and with no window 1
/// save in 6 reached the container as two batches. 10 ms outlasts every pause
/// measured about three times over and adds 10 ms of latency; Compose waits 500 ms.
pub(crate) const QUIET: Duration = Duration::from_millis(10);

/// A batch is handed over at the latest this long after its first event.
pub(crate) const LONGEST: Duration = Duration::from_millis(1000);

/// The batch being gathered.
#[derive(Debug)]
pub(crate) struct Debounce {
    quiet: Duration,
    longest: Duration,
    paths: IndexSet<PathBuf>,
    first: Option<Instant>,
    last: Option<Instant>,
}

impl Debounce {
    pub(crate) fn new(quiet: Duration, longest: Duration) -> Self {
        Self {
            quiet,
            longest,
            paths: IndexSet::new(),
            first: None,
            last: None,
        }
    }

    /// Adds a changed path (once per batch, however often it changes).
    pub(crate) fn push(&mut self, path: PathBuf, now: Instant) {
        self.paths.insert(path);
        self.first.get_or_insert(now);
        self.last = Some(now);
    }

    /// When the batch is due, if one is open.
    pub(crate) fn due(&self) -> Option<Instant> {
        Some((self.last? + self.quiet).min(self.first? + self.longest))
    }

    /// The batch, when it is due at `now`; the next batch starts empty.
    pub(crate) fn take(&mut self, now: Instant) -> Option<Vec<PathBuf>> {
        if self.due()? > now {
            return None;
        }
        self.first = None;
        self.last = None;
        Some(std::mem::take(&mut self.paths).into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_burst_is_one_batch_after_the_quiet_window() {
        let t0 = Instant::now();
        let mut d = Debounce::new(20 * MS, 1000 * MS);
        assert_eq!(d.due(), None);
        d.push("a".into(), t0);
        d.push("b".into(), t0 + 5 * MS);
        d.push("a".into(), t0 + 8 * MS);
        assert_eq!(d.due(), Some(t0 + 28 * MS));
        assert_eq!(d.take(t0 + 27 * MS), None);
        assert_eq!(d.take(t0 + 28 * MS), Some(vec!["a".into(), "b".into()]));
        assert_eq!(d.due(), None, "the next batch starts empty");
        assert_eq!(d.take(t0 + 100 * MS), None);
    }

    #[test]
    fn a_stream_that_never_pauses_is_cut_at_the_longest_wait() {
        let t0 = Instant::now();
        let mut d = Debounce::new(20 * MS, 100 * MS);
        for i in 0..20 {
            d.push(format!("f{i}").into(), t0 + i * 10 * MS);
        }
        assert_eq!(d.due(), Some(t0 + 100 * MS));
        assert_eq!(d.take(t0 + 190 * MS).map(|b| b.len()), Some(20));
    }
}
