//! Where `rollback` returns each service to, and when it refuses.
//!
//! Pure. A service goes back to revision N of its family when the user names
//! one (it must exist), else to the newest revision older than the one it
//! runs whose rollout completed (tagged `parity:completed`). Whether a
//! revision completed is only known once its tags are read, one
//! DescribeTaskDefinition each, so the rule asks for them one at a time
//! ([`Step::Inspect`]) newest first and stops at the first answer: the
//! adapter does the reading, this module decides.

use std::fmt;

/// One revision of a task definition family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Revision {
    pub(crate) arn: String,
    /// Whether its rollout completed; `None` until its tags were read.
    pub(crate) completed: Option<bool>,
}

/// What to do next for one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// Return the service to this task definition.
    ReturnTo(String),
    /// Read this revision's tags, set `completed`, and ask again.
    Inspect(String),
}

/// Why there is nothing to return to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No service of the environment runs anything.
    NothingDeployed { environment: String },
    /// `--to N` names a revision the family does not have (bad input).
    NoSuchRevision { family: String, revision: u32 },
    /// No older revision ever completed a rollout.
    NoEarlierCompleted { family: String, current: i32 },
}

impl Refusal {
    /// Whether the user asked for something that does not exist (exit 2), as
    /// opposed to a state of the environment (exit 1).
    pub(crate) fn is_bad_input(&self) -> bool {
        matches!(self, Self::NoSuchRevision { .. })
    }

    /// What to do about it.
    pub(crate) fn help(&self) -> &'static str {
        match self {
            Self::NothingDeployed { .. } => "deploy it first: `parity deploy ENV`",
            Self::NoSuchRevision { .. } => "`parity status` shows the revisions that ran",
            Self::NoEarlierCompleted { .. } => "name one with --to REVISION",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NothingDeployed { environment } => write!(
                f,
                "nothing to roll back: no service of {environment} is deployed"
            ),
            Self::NoSuchRevision { family, revision } => {
                write!(f, "{family} has no active revision {revision}")
            }
            Self::NoEarlierCompleted { family, current } => write!(
                f,
                "{family}: no earlier revision than {current} ever completed a rollout"
            ),
        }
    }
}

/// The services that run something; refuses when none does (a service that was
/// never deployed has nothing to return to and is left alone).
pub(crate) fn deployed<T>(
    environment: &str,
    services: impl IntoIterator<Item = Option<T>>,
) -> Result<Vec<T>, Refusal> {
    let running: Vec<T> = services.into_iter().flatten().collect();
    if running.is_empty() {
        return Err(Refusal::NothingDeployed {
            environment: environment.to_owned(),
        });
    }
    Ok(running)
}

/// The next step for a service of `family` running revision `current`;
/// `revisions` are the family's active revisions, newest first.
pub(crate) fn next_step(
    family: &str,
    current: i32,
    to: Option<u32>,
    revisions: &[Revision],
) -> Result<Step, Refusal> {
    if let Some(wanted) = to {
        return revisions
            .iter()
            .find(|r| i64::from(revision_number(&r.arn)) == i64::from(wanted))
            .map(|r| Step::ReturnTo(r.arn.clone()))
            .ok_or_else(|| Refusal::NoSuchRevision {
                family: family.to_owned(),
                revision: wanted,
            });
    }
    for revision in revisions
        .iter()
        .filter(|r| revision_number(&r.arn) < current)
    {
        match revision.completed {
            Some(true) => return Ok(Step::ReturnTo(revision.arn.clone())),
            Some(false) => {}
            None => return Ok(Step::Inspect(revision.arn.clone())),
        }
    }
    Err(Refusal::NoEarlierCompleted {
        family: family.to_owned(),
        current,
    })
}

/// `7` of `arn:...:task-definition/shop-staging-web:7` (0 when it has none).
pub(crate) fn revision_number(arn: &str) -> i32 {
    arn.rsplit(':')
        .next()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arn(n: i32) -> String {
        format!("arn:aws:ecs:eu-west-1:1:task-definition/shop-staging-web:{n}")
    }

    fn revisions(completed: &[(i32, Option<bool>)]) -> Vec<Revision> {
        completed
            .iter()
            .map(|(n, c)| Revision {
                arn: arn(*n),
                completed: *c,
            })
            .collect()
    }

    #[test]
    fn asks_for_the_newest_older_revision_first_and_skips_the_current_one() {
        let all = revisions(&[(4, None), (3, None), (2, None)]);
        assert_eq!(
            next_step("f", 3, None, &all),
            Ok(Step::Inspect(arn(2))),
            "revision 4 is newer than what runs, 3 is what runs"
        );
    }

    #[test]
    fn returns_to_the_newest_older_revision_that_completed() {
        let all = revisions(&[(3, None), (2, Some(false)), (1, Some(true))]);
        assert_eq!(next_step("f", 3, None, &all), Ok(Step::ReturnTo(arn(1))));
    }

    #[test]
    fn refuses_when_no_older_revision_completed() {
        let all = revisions(&[(3, None), (2, Some(false))]);
        let refusal = next_step("f", 3, None, &all).unwrap_err();
        assert_eq!(
            refusal.to_string(),
            "f: no earlier revision than 3 ever completed a rollout"
        );
        assert!(!refusal.is_bad_input());
    }

    #[test]
    fn a_named_revision_must_exist_and_needs_no_tags() {
        let all = revisions(&[(3, None), (1, None)]);
        assert_eq!(next_step("f", 3, Some(1), &all), Ok(Step::ReturnTo(arn(1))));
        let refusal = next_step("f", 3, Some(2), &all).unwrap_err();
        assert!(refusal.is_bad_input());
        assert_eq!(refusal.to_string(), "f has no active revision 2");
    }

    #[test]
    fn never_deployed_services_are_left_alone_but_an_empty_environment_is_refused() {
        assert_eq!(deployed("staging", [None, Some(1), None]), Ok(vec![1]));
        assert_eq!(
            deployed::<i32>("staging", [None, None])
                .unwrap_err()
                .to_string(),
            "nothing to roll back: no service of staging is deployed"
        );
    }

    #[test]
    fn revision_numbers_come_from_the_arn() {
        assert_eq!(revision_number(&arn(12)), 12);
        assert_eq!(revision_number("shop-staging-web"), 0);
    }
}
