//! The last line of defence against printing a secret value: a process-wide
//! record of the values parity has seen that are secret, and a scrubber every
//! output path runs text through (the error renderer, `tracing`'s writer, the
//! panic hook, `config` without `--reveal`) and a check the plan runs before
//! it is printed.
//!
//! What counts as secret: a value parity read as one (a dotenv file for
//! `secrets sync`, a store's value for `up --secrets-from-aws`), the local
//! value of a variable some service declares in `x-parity.secrets`, and the
//! value a compose `${VAR}` interpolated when VAR is such a variable (so a
//! secret used as, say, a port shows up in an error as `<secret VAR>`).
//!
//! Nothing here prints; values shorter than [`MIN_LEN`] are not tracked (a
//! replacement of every `1` would garble output and protect nothing).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

/// Shorter values are not scrubbed.
pub(crate) const MIN_LEN: usize = 4;

#[derive(Default)]
struct State {
    /// Variables declared secret by some service's `x-parity.secrets`.
    secret_names: BTreeSet<String>,
    /// Values interpolated by compose, by variable (secret or not yet known to be).
    interpolated: BTreeMap<String, BTreeSet<String>>,
    /// Values known to be secret, by variable.
    secret_values: BTreeMap<String, BTreeSet<String>>,
}

static STATE: Mutex<State> = Mutex::new(State {
    secret_names: BTreeSet::new(),
    interpolated: BTreeMap::new(),
    secret_values: BTreeMap::new(),
});

fn with<T>(f: impl FnOnce(&mut State) -> T) -> T {
    let mut state = STATE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    f(&mut state)
}

/// Compose interpolated `${name}` as `value`.
pub(crate) fn interpolated(name: &str, value: &str) {
    if value.len() >= MIN_LEN {
        with(|s| {
            s.interpolated
                .entry(name.to_owned())
                .or_default()
                .insert(value.to_owned());
        });
    }
}

/// A service declares `name` in `x-parity.secrets`.
pub(crate) fn declare_secret(name: &str) {
    with(|s| {
        s.secret_names.insert(name.to_owned());
    });
}

/// `value` is the secret value of `name`.
pub(crate) fn secret_value(name: &str, value: &str) {
    if value.len() >= MIN_LEN {
        with(|s| {
            s.secret_values
                .entry(name.to_owned())
                .or_default()
                .insert(value.to_owned());
        });
    }
}

/// Every (variable, value) that must not be printed, longest value first
/// (so a value containing another is replaced whole).
fn secrets(state: &State) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = state
        .secret_values
        .iter()
        .chain(
            state
                .interpolated
                .iter()
                .filter(|(name, _)| state.secret_names.contains(*name)),
        )
        .flat_map(|(name, values)| values.iter().map(move |v| (name.clone(), v.clone())))
        .collect();
    out.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.cmp(b)));
    out.dedup();
    out
}

/// The variable whose secret value occurs in `text`, if any.
pub(crate) fn find(text: &str) -> Option<String> {
    with(|s| {
        secrets(s)
            .into_iter()
            .find(|(_, value)| text.contains(value.as_str()))
            .map(|(name, _)| name)
    })
}

/// `text` with every secret value replaced by `<secret NAME>`.
pub(crate) fn scrub(text: &str) -> Cow<'_, str> {
    scrub_with(text, |name| format!("<secret {name}>"))
}

/// `text` with every secret value replaced by what `mask` gives for its variable.
pub(crate) fn scrub_with(text: &str, mask: impl Fn(&str) -> String) -> Cow<'_, str> {
    let secrets = with(|s| secrets(s));
    let mut out = Cow::Borrowed(text);
    for (name, value) in secrets {
        if out.contains(value.as_str()) {
            out = Cow::Owned(out.replace(value.as_str(), &mask(&name)));
        }
    }
    out
}

/// Replaces the default panic message (which prints the payload, and a
/// payload may quote a value) with one that is scrubbed.
pub(crate) fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let location = info.location().map(|l| (l.file(), l.line()));
        eprintln!("{}", crash_report(&payload, location));
    }));
}

/// What the panic hook prints: where, and the payload with every secret value
/// replaced by its variable's name.
fn crash_report(payload: &str, location: Option<(&str, u32)>) -> String {
    let location = location
        .map(|(file, line)| format!(" at {file}:{line}"))
        .unwrap_or_default();
    format!(
        "parity crashed{location}: {}\nThis is a bug in parity; please report it (secret values are never included above).",
        scrub(payload)
    )
}

/// A `tracing` writer that scrubs each formatted event before it reaches stderr.
pub(crate) struct ScrubbingStderr;

impl std::io::Write for ScrubbingStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(scrub(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_values_are_named_never_shown() {
        interpolated("REDACT_TEST_PORT", "canary-port-value");
        interpolated("REDACT_TEST_PLAIN", "plain-visible-value");
        declare_secret("REDACT_TEST_PORT");
        secret_value("REDACT_TEST_DIRECT", "canary-direct");
        let text = "invalid port `canary-port-value:80`, plain-visible-value, canary-direct";
        assert_eq!(
            scrub(text),
            "invalid port `<secret REDACT_TEST_PORT>:80`, plain-visible-value, <secret REDACT_TEST_DIRECT>"
        );
        assert_eq!(
            find("x canary-direct").as_deref(),
            Some("REDACT_TEST_DIRECT")
        );
        assert_eq!(find("nothing secret"), None);
        secret_value("REDACT_TEST_SHORT", "abc");
        assert_eq!(scrub("abc"), "abc");
    }

    #[test]
    fn a_crash_report_names_the_variable_never_the_value() {
        secret_value("REDACT_TEST_CRASH", "canary-crash-value");
        assert_eq!(
            crash_report(
                "called `Result::unwrap()` on an `Err` value: \"canary-crash-value\"",
                Some(("src/x.rs", 7))
            ),
            "parity crashed at src/x.rs:7: called `Result::unwrap()` on an `Err` value: \"<secret REDACT_TEST_CRASH>\"\n\
             This is a bug in parity; please report it (secret values are never included above)."
        );
    }

    /// The hook itself, in a real panic: this test runs its own binary again
    /// (the variable below makes that run the panicking half), as parity's
    /// `main` installs it, and reads what the panic printed on stderr.
    #[test]
    fn a_real_panic_prints_the_variable_never_the_value() {
        const CHILD: &str = "PARITY_TEST_PANIC_HOOK_CHILD";
        if std::env::var_os(CHILD).is_some() {
            secret_value("REDACT_TEST_PANIC", "canary-panic-value");
            install_panic_hook();
            let value: Result<(), String> =
                std::hint::black_box(Err("token canary-panic-value rejected".into()));
            value.expect("a value in a panic");
            return;
        }
        let output = std::process::Command::new(std::env::current_exe().expect("test binary"))
            .args([
                "--exact",
                "redact::tests::a_real_panic_prints_the_variable_never_the_value",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .output()
            .expect("run the test binary");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "the child panicked: {stderr}");
        assert!(
            stderr.contains("parity crashed at src/redact.rs:")
                && stderr
                    .contains("a value in a panic: \"token <secret REDACT_TEST_PANIC> rejected\""),
            "{stderr}"
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            !stderr.contains("canary-panic-value") && !stdout.contains("canary-panic-value"),
            "{stderr}{stdout}"
        );
    }
}
