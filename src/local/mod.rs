//! The local runner: the Docker Engine adapter (bollard) and the orchestrator
//! behind `parity up`, `down`, `ps`, `logs`, `run` and `exec`.
//!
//! Reads only the normalized compose model; never parses compose files and
//! never touches AWS.

pub(crate) mod buildkit;
pub(crate) mod buildkit_trace;
pub(crate) mod containers;
pub(crate) mod context;
pub(crate) mod diagnose;
pub(crate) mod down;
pub(crate) mod engine;
pub(crate) mod exec;
pub(crate) mod graph;
pub(crate) mod images;
pub(crate) mod labels;
pub(crate) mod like;
pub(crate) mod logs;
pub(crate) mod observer;
pub(crate) mod oneoff;
pub(crate) mod plan;
pub(crate) mod probe;
pub(crate) mod progress;
pub(crate) mod resources;
pub(crate) mod session;
pub(crate) mod spec;
pub(crate) mod summary;
pub(crate) mod up;
pub(crate) mod watch;
