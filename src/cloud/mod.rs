//! The pure cloud core: compose + environment -> ECS task definitions, and what
//! a sequence of deployment observations means. No AWS SDK, no I/O.

pub(crate) mod deploy_lock;
pub(crate) mod image_ref;
pub(crate) mod promotion;
pub(crate) mod release;
pub(crate) mod rollout;
pub(crate) mod secrets_plan;
