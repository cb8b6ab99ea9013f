//! The Compose Specification: loading, interpolating, merging and normalizing
//! compose files into one [`model::Project`].
//!
//! Pure: reads the files it is pointed at (and the process environment it is
//! given), nothing else. It must not touch Docker, AWS, clap or a Tokio runtime.
//!
//! Stages: `files` (which files, env, name) -> `yaml` (span-carrying tree) ->
//! `interpolate` -> `load` (extends, include) -> `merge` (multi-file rules) ->
//! `project`/`service*` (long forms, validation) -> `graph` (profiles, refs).

pub(crate) mod dotenv;
pub(crate) mod emit;
mod files;
mod graph;
pub(crate) mod interpolate;
mod keys;
pub(crate) mod limits;
mod load;
mod merge;
pub(crate) mod model;
mod node_de;
pub(crate) mod paths;
mod project;
mod read;
pub(crate) mod schedule;
mod schema;
mod secret_refs;
mod service;
mod service_blocks;
mod service_ports_volumes;
pub(crate) mod spans;
mod syntax;
mod unicity;
mod unique;
pub(crate) mod x_parity;
mod yaml;

use std::path::PathBuf;

use indexmap::{IndexMap, IndexSet};

use crate::error::Result;
use model::Project;

/// What to load: the command line's project options plus the process
/// environment and working directory, passed in so the core reads neither.
#[derive(Debug, Clone, Default)]
pub(crate) struct LoadOptions {
    /// `-f` files in order; empty means `COMPOSE_FILE` or discovery.
    pub(crate) files: Vec<PathBuf>,
    /// `-p`.
    pub(crate) project_name: Option<String>,
    /// `--project-directory`.
    pub(crate) project_directory: Option<PathBuf>,
    /// `--env-file` files; given, they replace `.env`.
    pub(crate) env_files: Vec<PathBuf>,
    /// `--profile`; empty means `COMPOSE_PROFILES`.
    pub(crate) profiles: Vec<String>,
    /// Services named on the command line: active whatever their profiles.
    pub(crate) services: Vec<String>,
    /// The process environment (wins over `.env`).
    pub(crate) environment: IndexMap<String, String>,
    /// The working directory relative paths on the command line start from.
    pub(crate) cwd: PathBuf,
}

/// Loads the project: discovery, `.env`, interpolation, `extends`,
/// `include`, multi-file merge, long forms, profiles and validation.
pub(crate) fn load(options: &LoadOptions) -> Result<Project> {
    load::load(options)
}

/// Keeps only `names` and the services they depend on, transitively, as
/// `docker compose config SERVICE...` does. An unknown name is bad input.
pub(crate) fn select_services(project: &mut Project, names: &[String]) -> Result<()> {
    let keep = graph::with_dependencies(project, names)?;
    project.services.retain(|name, _| keep.contains(name));
    Ok(())
}

/// `names` and the services they depend on, transitively, in model order
/// (every service when `names` is empty): the one depends_on closure that
/// `config SERVICE...`, `up SERVICE...` and `logs SERVICE...` share.
pub(crate) fn with_dependencies(project: &Project, names: &[String]) -> Result<IndexSet<String>> {
    graph::with_dependencies(project, names)
}

/// Loads `compose` as the only file of project `name`, the way `-f` would
/// (test set-up shared by the layers that need a real loaded project).
#[cfg(test)]
pub(crate) fn load_text(compose: &str, name: &str) -> Project {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().to_path_buf();
    std::fs::write(dir.join("compose.yaml"), compose).expect("write compose.yaml");
    let options = LoadOptions {
        files: vec![dir.join("compose.yaml")],
        project_name: Some(name.into()),
        cwd: dir,
        ..LoadOptions::default()
    };
    load(&options).expect("test compose file loads")
}

/// The error for a service name the project does not have.
pub(crate) fn unknown_service(project: &Project, name: &str) -> crate::error::Error {
    graph::unknown_service(project, name)
}
