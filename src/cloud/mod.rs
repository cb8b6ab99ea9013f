//! The pure cloud core: compose + environment -> ECS task definitions, and what
//! a sequence of deployment observations means. No AWS SDK, no I/O.

pub(crate) mod backing;
pub(crate) mod change_set;
pub(crate) mod container;
pub(crate) mod deploy_lock;
pub(crate) mod diff;
pub(crate) mod exec;
pub(crate) mod fargate;
pub(crate) mod fields;
pub(crate) mod healthcheck;
pub(crate) mod iam_policy;
pub(crate) mod image_build;
pub(crate) mod image_ref;
pub(crate) mod local_hosts;
pub(crate) mod log_reader;
pub(crate) mod names;
pub(crate) mod one_off;
pub(crate) mod plan;
pub(crate) mod promotion;
pub(crate) mod proposal;
pub(crate) mod release;
pub(crate) mod resources;
pub(crate) mod review;
pub(crate) mod review_routes;
pub(crate) mod review_state;
pub(crate) mod rollback;
pub(crate) mod rollout;
pub(crate) mod scaling;
pub(crate) mod schedule;
pub(crate) mod secrets_plan;
pub(crate) mod service_connect;
pub(crate) mod sidecars;
pub(crate) mod since;
pub(crate) mod stack;
pub(crate) mod stack_outputs;
pub(crate) mod tags;
pub(crate) mod task_view;
pub(crate) mod unsupported;
pub(crate) mod variables;

#[allow(unused_imports)] // used by the plan and deploy commands
pub(crate) use plan::{ImageInput, ImageRefs, Plan, PlanInputs, plan};

#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod translation_tests;
