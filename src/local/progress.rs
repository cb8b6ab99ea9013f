//! What `up`, `down` and friends tell the user while they work: one stderr line
//! per step (`✔ db  healthy  1.2s`), warnings, and each service's colour, which
//! the multiplexed logs share.
//!
//! Progress only; results (tables, JSON) go to stdout from the commands.

use std::io::Write;
use std::time::Instant;

use anstyle::{AnsiColor, Style};

/// Colours given to services in turn, as `docker compose` does.
const PALETTE: [AnsiColor; 6] = [
    AnsiColor::Cyan,
    AnsiColor::Yellow,
    AnsiColor::Green,
    AnsiColor::Magenta,
    AnsiColor::Blue,
    AnsiColor::Red,
];

/// A service's colour, stable for its position among the run's services.
pub(crate) fn service_style(index: usize) -> Style {
    Style::new().fg_color(Some(PALETTE[index % PALETTE.len()].into()))
}

/// Writes steps to stderr; colour only where `output` allows it.
#[derive(Clone)]
pub(crate) struct Progress {
    color: bool,
    started: Instant,
    width: usize,
    /// Steps (`✔`, `…`) are not printed; failures and warnings still are.
    quiet: bool,
}

impl Progress {
    /// `width` aligns the subjects (the longest service name).
    pub(crate) fn new(width: usize) -> Self {
        Self {
            color: crate::output::stderr_color(),
            started: Instant::now(),
            width,
            quiet: false,
        }
    }

    /// The same output without the step lines: for work that reports itself
    /// in one line of its own (a `watch` rebuild runs a whole `up`).
    pub(crate) fn quiet(&self) -> Self {
        Self {
            quiet: true,
            ..self.clone()
        }
    }

    /// When the command started, for "ready in" figures.
    pub(crate) fn started(&self) -> Instant {
        self.started
    }

    /// `✔ subject  what`.
    pub(crate) fn done(&self, subject: &str, what: &str) {
        self.line("✔", AnsiColor::Green, subject, what);
    }

    /// `… subject  what` for a step that is under way.
    pub(crate) fn working(&self, subject: &str, what: &str) {
        self.line("…", AnsiColor::BrightBlack, subject, what);
    }

    /// `⟳ subject  what`: what `watch` did with a batch of changes (always printed).
    pub(crate) fn watched(&self, subject: &str, what: &str) {
        Self {
            quiet: false,
            ..self.clone()
        }
        .line("⟳", AnsiColor::Cyan, subject, what);
    }

    /// `✘ subject  what`.
    pub(crate) fn failed(&self, subject: &str, what: &str) {
        self.line("✘", AnsiColor::Red, subject, what);
    }

    /// `warning: ...`.
    pub(crate) fn warn(&self, message: &str) {
        let style = Style::new().fg_color(Some(AnsiColor::Yellow.into())).bold();
        let text = if self.color {
            format!("{style}warning{style:#}: {message}\n")
        } else {
            format!("warning: {message}\n")
        };
        let _ = std::io::stderr().write_all(text.as_bytes());
    }

    fn line(&self, mark: &str, color: AnsiColor, subject: &str, what: &str) {
        if self.quiet && mark != "✘" {
            return;
        }
        let width = self.width;
        let text = if self.color {
            let style = Style::new().fg_color(Some(color.into()));
            let dim = Style::new().dimmed();
            format!("{style}{mark}{style:#} {subject:<width$}  {dim}{what}{dim:#}\n")
        } else {
            format!("{mark} {subject:<width$}  {what}\n")
        };
        let _ = std::io::stderr().write_all(text.as_bytes());
    }
}

/// Seconds with one decimal, e.g. `1.2s`.
pub(crate) fn secs(duration: std::time::Duration) -> String {
    format!("{:.1}s", duration.as_secs_f64())
}
