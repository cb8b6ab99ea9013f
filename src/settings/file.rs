//! The whole `parity.toml`: the app name, top-level defaults and the environments.

use std::path::PathBuf;
use std::sync::Arc;

use indexmap::IndexMap;
use serde::Deserialize;
use toml::Spanned;

use super::{DeployKnobs, Environment};
use crate::error::{Error, Location, Result};

/// A loaded, validated `parity.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Settings {
    /// The application name: prefixes task families, service names, SSM paths.
    pub(crate) app: Spanned<String>,
    /// Rollout knobs every environment inherits.
    #[serde(default)]
    pub(crate) deploy: DeployKnobs,
    /// Default notification webhook for every environment.
    #[serde(default)]
    pub(crate) notify_webhook: Option<String>,
    /// The environments, in file order.
    pub(crate) environments: IndexMap<Spanned<String>, Environment>,
    /// Where the file was read from.
    #[serde(skip)]
    pub(crate) path: PathBuf,
    /// The file's text, for error snippets.
    #[serde(skip)]
    pub(crate) source: Option<Arc<str>>,
}

impl Settings {
    pub(crate) fn app(&self) -> &str {
        self.app.get_ref()
    }

    /// One environment by name; an unknown name is bad input that lists the known ones.
    pub(crate) fn environment(&self, name: &str) -> Result<&Environment> {
        if let Some(environment) = self.environments.get(name) {
            return Ok(environment);
        }
        let known: Vec<&str> = self.environment_names().collect();
        let mut err = Error::input(format!(
            "unknown environment `{name}` in {}; it defines: {}",
            self.path.display(),
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        ));
        if let Some(help) = crate::suggest::did_you_mean(name, &known) {
            err = err.with_help(help);
        } else {
            err = err.with_help(format!(
                "add an `[environments.{name}]` table to {}",
                self.path.display()
            ));
        }
        Err(err)
    }

    /// Environment names in file order.
    pub(crate) fn environment_names(&self) -> impl Iterator<Item = &str> {
        self.environments.keys().map(|k| k.get_ref().as_str())
    }

    /// The pipeline: environments ordered so that each comes after the one it
    /// promotes from (staging before prod). Ties keep file order.
    pub(crate) fn pipeline(&self) -> Vec<&Environment> {
        let mut ordered: Vec<&Environment> = Vec::new();
        // Validation guarantees the `promotes_from` graph is acyclic, so each
        // pass places at least one environment.
        while ordered.len() < self.environments.len() {
            let before = ordered.len();
            for environment in self.environments.values() {
                if ordered.iter().any(|e| e.name == environment.name) {
                    continue;
                }
                let ready = environment
                    .promotes_from()
                    .is_none_or(|from| ordered.iter().any(|e| e.name == from));
                if ready {
                    ordered.push(environment);
                }
            }
            if ordered.len() == before {
                break;
            }
        }
        ordered
    }

    /// The environment that promotes from `name` (the next stage), if any.
    #[cfg(test)]
    pub(crate) fn promotes_to(&self, name: &str) -> Option<&Environment> {
        self.environments
            .values()
            .find(|e| e.promotes_from() == Some(name))
    }

    /// A location in the file for a byte span (1-based line and column).
    pub(crate) fn location(&self, span: std::ops::Range<usize>) -> Location {
        let text = self.source.as_deref().unwrap_or("");
        let (line, column) = super::load::line_col(text, span.start);
        let location = Location::new(&self.path, line, column);
        match &self.source {
            Some(source) => location.with_source(source.clone()),
            None => location,
        }
    }
}
