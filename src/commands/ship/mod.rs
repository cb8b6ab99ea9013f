//! What every command that changes a cloud environment shares: the pipeline
//! (`pipeline`: preflight, lock, webhook, timeout, the change, summary), the
//! deploy lock, building and pushing images, registering the plan's task
//! definitions, the release phase, creating or updating the services and
//! waiting on the deployment ids. Orchestration only; the rules live in `cloud::rollout`,
//! `cloud::release`, `cloud::deploy_lock` and `cloud::promotion`.

pub(crate) mod build;
pub(crate) mod interrupt;
pub(crate) mod jobs;
pub(crate) mod lock;
pub(crate) mod notify;
pub(crate) mod observe;
pub(crate) mod pipeline;
pub(crate) mod release;
pub(crate) mod rollout;
pub(crate) mod session;
pub(crate) mod source;
pub(crate) mod wait;

/// How often ECS is asked while waiting (DescribeServices / DescribeTasks).
pub(crate) const POLL_INTERVAL: std::time::Duration = std::time::Duration::from_secs(2);

/// Seconds since the Unix epoch.
pub(crate) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
