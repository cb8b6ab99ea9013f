//! The one error type, its exit-code policy and its diagnostic form.
//!
//! Every command returns [`Error`]; `main` renders it once with miette and
//! exits with [`Error::exit_code`]: 2 for bad input (nothing was changed),
//! 1 for an operation that ran and failed, 130 for an interrupt.
//! Messages must never contain secret values.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::compose::limits::MAX_SNIPPET_CHARS;

/// What kind of failure this is; decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    /// Bad input: command line, compose file, parity.toml, dotenv file. Exit 2.
    Input,
    /// The operation ran and failed (unhealthy, migration failed, rollback, timeout). Exit 1.
    Failed,
    /// Ctrl-C. Exit 130.
    Interrupted,
}

/// A place in an input file. `line` and `column` are 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Location {
    pub(crate) file: PathBuf,
    pub(crate) line: usize,
    pub(crate) column: usize,
    /// The file's text, so the renderer can show the offending line.
    pub(crate) source: Option<Arc<str>>,
    /// The drawn line, made once when the error is rendered (see [`snippet`]).
    drawn: Arc<std::sync::OnceLock<(String, usize)>>,
}

impl Location {
    pub(crate) fn new(file: impl Into<PathBuf>, line: usize, column: usize) -> Self {
        Self {
            file: file.into(),
            line,
            column,
            source: None,
            drawn: Arc::default(),
        }
    }

    /// Attaches the file's text for a snippet.
    pub(crate) fn with_source(mut self, source: Arc<str>) -> Self {
        self.source = Some(source);
        self
    }

    /// The line the error points at, made safe to draw, and the byte offset
    /// of the column within it (see [`snippet`]).
    fn snippet(&self) -> &(String, usize) {
        self.drawn
            .get_or_init(|| snippet(self.source.as_deref().unwrap_or(""), self.line, self.column))
    }
}

/// One line of `text` as an error snippet shows it, with the byte offset of
/// `column` in what is returned. Any line is drawable: a BOM and a trailing
/// `\r` are dropped, tabs and other control characters become one space each
/// (so columns stay one per character), and a line longer than
/// [`MAX_SNIPPET_CHARS`] is cut to a window around the column, marked `…` at
/// a cut end. A line or column past the end of the text points just after
/// its last character. Why: miette draws a label with a format width, which
/// panics past 65,535 columns, and a terminal draws a tab or `\r` its own way.
fn snippet(text: &str, line: usize, column: usize) -> (String, usize) {
    let raw = text.split('\n').nth(line.saturating_sub(1)).unwrap_or("");
    let raw = raw.strip_suffix('\r').unwrap_or(raw);
    let raw = raw.strip_prefix('\u{feff}').unwrap_or(raw);
    let chars: Vec<char> = raw
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let at = column.saturating_sub(1).min(chars.len());
    let (start, end) = if chars.len() <= MAX_SNIPPET_CHARS {
        (0, chars.len())
    } else {
        let start = at
            .saturating_sub(MAX_SNIPPET_CHARS / 2)
            .min(chars.len() - MAX_SNIPPET_CHARS);
        (start, start + MAX_SNIPPET_CHARS)
    };
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.extend(&chars[start..at]);
    let offset = out.len();
    out.extend(&chars[at..end]);
    if end < chars.len() {
        out.push('…');
    }
    (out, offset)
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// The error every fallible function in parity returns.
#[derive(Debug, Clone)]
pub(crate) struct Error {
    kind: ErrorKind,
    message: String,
    location: Option<Location>,
    help: Vec<String>,
}

/// Shorthand used across the crate.
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Bad input (exit 2).
    pub(crate) fn input(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Input, message)
    }

    /// An operation that ran and failed (exit 1).
    pub(crate) fn failed(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Failed, message)
    }

    /// The user pressed Ctrl-C (exit 130).
    pub(crate) fn interrupted() -> Self {
        Self::new(ErrorKind::Interrupted, "interrupted")
    }

    fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            location: None,
            help: Vec::new(),
        }
    }

    /// Points the error at a place in a file.
    pub(crate) fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    /// Adds a `help:` line saying what to do.
    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help.push(help.into());
        self
    }

    /// Prefixes the message with context ("while reading parity.toml: ...").
    pub(crate) fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    #[cfg(test)]
    pub(crate) fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    pub(crate) fn location(&self) -> Option<&Location> {
        self.location.as_ref()
    }

    /// Renders the error the one way parity shows errors (miette's graphical
    /// report). Here, not in `output`, so the fuzz targets (fuzz/) draw every
    /// error they provoke with the real renderer.
    pub(crate) fn render(&self, color: bool) -> String {
        let theme = if color {
            miette::GraphicalTheme::unicode()
        } else {
            miette::GraphicalTheme::unicode_nocolor()
        };
        // Lines are never wrapped: a log line in a failure report stays whole, so
        // a traceback's `^^^^` markers stay under the code they point at.
        let handler = miette::GraphicalReportHandler::new_themed(theme)
            .with_width(100)
            .with_wrap_lines(false);
        let mut out = String::new();
        if handler.render_report(&mut out, self).is_err() {
            out = format!("error: {self}\n");
        }
        out
    }

    /// The process exit status for this error.
    pub(crate) fn exit_code(&self) -> u8 {
        match self.kind {
            ErrorKind::Input => 2,
            ErrorKind::Failed => 1,
            ErrorKind::Interrupted => 130,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            // Without a snippet the renderer shows no position, so keep it in the text.
            Some(location) if location.source.is_none() => {
                write!(f, "{location}: {}", self.message)
            }
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {}

/// miette reads the offending line straight from the location's text,
/// naming it `file:line:col` in the rendered header.
/// Largest line or column index handed to miette (which adds to them).
const MAX_DRAWN_POSITION: usize = u32::MAX as usize;

/// The snippet is the one line the location points at (see [`snippet`]),
/// whatever span is asked for: the only label is at that location.
impl miette::SourceCode for Location {
    fn read_span<'a>(
        &'a self,
        _span: &miette::SourceSpan,
        _context_lines_before: usize,
        _context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let (line, _) = self.snippet();
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.file.display().to_string(),
            line.as_bytes(),
            (0, line.len()).into(),
            // miette counts on from these; a bound keeps its sums from overflowing.
            self.line.saturating_sub(1).min(MAX_DRAWN_POSITION),
            self.column.saturating_sub(1).min(MAX_DRAWN_POSITION),
            1,
        )))
    }
}

impl miette::Diagnostic for Error {
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        if self.help.is_empty() {
            None
        } else {
            Some(Box::new(self.help.join("\nhelp: ")))
        }
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        let location = self.location.as_ref()?;
        location.source.as_ref()?;
        Some(location)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let location = self.location.as_ref()?;
        location.source.as_ref()?;
        let offset = location.snippet().1;
        let label = miette::LabeledSpan::new_with_span(Some("here".into()), (offset, 0));
        Some(Box::new(std::iter::once(label)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(err: &Error) -> String {
        err.render(false)
    }

    #[test]
    fn located_errors_show_file_line_column_and_the_line() {
        let source: Arc<str> = "services:\n  web:\n    prots: [80]\n".into();
        let err = Error::input("unknown key `prots` in service `web`")
            .at(Location::new("compose.yaml", 3, 5).with_source(source))
            .with_help("did you mean `ports`?");
        let out = render(&err);
        assert!(out.contains("compose.yaml:3:5"), "{out}");
        assert!(out.contains("prots: [80]"), "{out}");
        assert!(out.contains("did you mean `ports`?"), "{out}");
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn locations_without_source_keep_the_position_in_the_message() {
        let err = Error::input("empty file").at(Location::new("compose.yaml", 1, 1));
        assert!(render(&err).contains("compose.yaml:1:1: empty file"));
    }

    /// Renders an error at `line:column` of `text`, which must not panic.
    fn render_at(text: &str, line: usize, column: usize) -> String {
        let err =
            Error::input("bad").at(Location::new("f.yaml", line, column).with_source(text.into()));
        render(&err)
    }

    #[test]
    fn a_column_past_65535_is_drawn_as_a_window_with_the_real_column() {
        let text = format!("{}bogus: 1\n", " ".repeat(70_000));
        let out = render_at(&text, 1, 70_001);
        assert!(out.contains("f.yaml:1:70001"), "{out}");
        assert!(out.contains("…") && out.contains("bogus: 1"), "{out}");
        assert!(out.lines().all(|l| l.chars().count() < 400), "{out}");
        let (line, offset) = snippet(&text, 1, 70_001);
        assert!(line[offset..].starts_with("bogus"), "{line}");
    }

    #[test]
    fn tabs_crlf_and_a_bom_are_drawn_one_column_each() {
        let (line, offset) = snippet("\u{feff}a:\tb\r\nc\r\n", 1, 4);
        assert_eq!((line.as_str(), &line[offset..]), ("a: b", "b"));
        let (line, offset) = snippet("a\r\nc: \t\u{7}d\r\n", 2, 6);
        assert_eq!((line.as_str(), &line[offset..]), ("c:   d", "d"));
        assert!(render_at("a:\tb\r\n", 1, 4).contains("f.yaml:1:4"));
    }

    #[test]
    fn multibyte_and_combining_characters_are_counted_by_character() {
        let text = "k: \"e\u{301}\u{301}日本語\" x\n";
        let (line, offset) = snippet(text, 1, 13);
        assert_eq!(&line[offset..], "x");
        let long = format!("{}x\n", "日\u{301}".repeat(40_000));
        let (line, offset) = snippet(&long, 1, 80_001);
        assert_eq!(&line[offset..], "x");
        render_at(&long, 1, 80_001);
        render_at(&long, 1, 3);
    }

    #[test]
    fn spans_at_or_past_the_end_and_empty_files_render() {
        for (text, line, column) in [
            ("", 1, 1),
            ("", 3, 9),
            ("a: b", 1, 5),
            ("a: b\n", 2, 1),
            ("a: b\n", 9, 99),
            ("a: b", 1, 4_000_000_000),
            ("\u{feff}", 1, 2),
        ] {
            let out = render_at(text, line, column);
            assert!(out.contains(&format!("f.yaml:{line}:{column}")), "{out}");
        }
        assert_eq!(snippet("a: b", 1, 99), ("a: b".to_owned(), 4));
        assert_eq!(snippet("", 7, 3), (String::new(), 0));
    }

    #[test]
    fn exit_codes_follow_the_contract() {
        assert_eq!(Error::failed("x").exit_code(), 1);
        assert_eq!(Error::interrupted().exit_code(), 130);
        assert_eq!(Error::input("x").exit_code(), 2);
    }
}
