//! `parity up --like ENV`: what `parity plan ENV` would run on Fargate, on the
//! local Docker Engine, so "works in compose, breaks on ECS" shows up before a
//! deploy. The containers come from the plan's task definitions (the JSON
//! `deploy` registers), not from the compose file: a task's containers share
//! one network namespace (a sidecar reaches its main container at
//! `localhost`, and another service only by the name Service Connect gives
//! it), `essential`, `dependsOn`, the ECS health-check values, `stopTimeout`,
//! `readonlyRootFilesystem`, `user` and the environment's variables hold as
//! on ECS.
//!
//! - [`pause`]: the network holder's executable and image context (pure).
//! - [`translate`]: plan -> create requests and start order (pure).
//! - [`run`]: the engine side, through `local`'s adapter.

pub(crate) mod pause;
pub(crate) mod run;
pub(crate) mod translate;
