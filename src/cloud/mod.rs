//! The pure cloud core: compose + environment -> ECS task definitions, and what
//! a sequence of deployment observations means. No AWS SDK, no I/O.
