//! The Compose Specification: loading, interpolating, merging and normalizing
//! compose files into one [`model::Project`].
//!
//! Pure: reads the files it is pointed at (and the process environment it is
//! given), nothing else. It must not touch Docker, AWS, clap or a Tokio runtime.

pub(crate) mod model;
pub(crate) mod x_parity;
