//! Reading `parity.toml`: TOML syntax and types via serde (with the `toml`
//! crate's spans, so every error points at file:line:col), then the
//! cross-field checks in [`super::validate`].

use std::path::Path;
use std::sync::Arc;

use super::Settings;
use crate::error::{Error, Location, Result};

/// The file name looked for in the project directory.
pub(crate) const FILE_NAME: &str = "parity.toml";

/// Reads and validates a `parity.toml`. A missing file is bad input whose help
/// shows an example to start from.
pub(crate) fn load(path: &Path) -> Result<Settings> {
    let text = match crate::compose::limits::read_utf8(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::input(format!(
                "{} not found: parity needs it to know your AWS environments",
                path.display()
            ))
            .with_help(format!(
                "create {} next to your compose file, for example:\n\n{}",
                path.display(),
                super::EXAMPLE
            )));
        }
        Err(err) => {
            return Err(Error::input(format!(
                "cannot read {}: {err}",
                path.display()
            )));
        }
    };
    parse(&text, path)
}

/// Parses and validates `parity.toml` text; `path` is used in messages.
pub(crate) fn parse(text: &str, path: &Path) -> Result<Settings> {
    let source: Arc<str> = Arc::from(text);
    let mut settings: Settings = toml::from_str(text).map_err(|err| {
        let message = err.message().trim_end().to_owned();
        let (line, column) = err.span().map_or((1, 1), |span| line_col(text, span.start));
        Error::input(message)
            .at(Location::new(path, line, column).with_source(source.clone()))
            .with_help("see the parity.toml reference in the README (`## Commands`)")
    })?;
    // The toml crate hands tables over sorted by key; file order is what users
    // wrote (and the pipeline's tie-break), so restore it from the spans.
    settings
        .environments
        .sort_by(|a, _, b, _| a.span().start.cmp(&b.span().start));
    for environment in settings.environments.values_mut() {
        environment
            .services
            .sort_by(|a, _, b, _| a.span().start.cmp(&b.span().start));
    }
    settings.path = path.to_path_buf();
    settings.source = Some(source);
    let app = settings.app.get_ref().clone();
    let defaults = settings.deploy.clone();
    let default_webhook = settings.notify_webhook.clone();
    for (name, environment) in &mut settings.environments {
        environment.name = name.get_ref().clone();
        environment.app = app.clone();
        environment.deploy = environment.deploy.or(&defaults);
        if environment.notify_webhook.is_none() {
            environment.notify_webhook = default_webhook.clone();
        }
    }
    super::validate::check(&settings)?;
    Ok(settings)
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}
