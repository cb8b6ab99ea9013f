//! Which review apps exist, read back from the tags on their ECS services
//! (`cloud::review::tags`): no local state file, so CI runners and laptops
//! see the same list. Also which of them `review prune --older-than D`
//! removes.
//!
//! Pure: the caller passes the tags it read and the current time.

use std::collections::BTreeMap;

use super::review::tag;
use super::tags;

/// One review app as its resources' tags describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReviewApp {
    pub(crate) name: String,
    pub(crate) url: String,
    /// The commit last deployed (`-` when the project was not a git checkout).
    pub(crate) commit: String,
    /// Seconds since the epoch: first deploy.
    pub(crate) created_at: u64,
    /// Seconds since the epoch: last deploy.
    pub(crate) deployed_at: u64,
}

/// The review apps of `app` on `base` among resources with `tagged` tags
/// (one map per resource), by name. A review app's resources may disagree
/// (one redeployed later): the newest deploy's commit and URL win, the
/// earliest creation time counts.
pub(crate) fn collect(
    tagged: &[BTreeMap<String, String>],
    app: &str,
    base: &str,
) -> Vec<ReviewApp> {
    let mut apps: BTreeMap<String, ReviewApp> = BTreeMap::new();
    for tags_of in tagged {
        let get = |key: &str| tags_of.get(key).cloned().unwrap_or_default();
        let number = |key: &str| get(key).parse::<u64>().unwrap_or(0);
        if get(tags::APP) != app || get(tag::REVIEW_OF) != base {
            continue;
        }
        let name = get(tag::REVIEW);
        if name.is_empty() {
            continue;
        }
        let seen = ReviewApp {
            name: name.clone(),
            url: get(tag::URL),
            commit: tags_of
                .get(tags::COMMIT)
                .cloned()
                .unwrap_or_else(|| "-".to_owned()),
            created_at: number(tag::CREATED_AT),
            deployed_at: number(tags::DEPLOYED_AT),
        };
        apps.entry(name)
            .and_modify(|known| {
                known.created_at = known.created_at.min(seen.created_at);
                if seen.deployed_at > known.deployed_at {
                    known.deployed_at = seen.deployed_at;
                    known.commit.clone_from(&seen.commit);
                    known.url.clone_from(&seen.url);
                }
            })
            .or_insert(seen);
    }
    apps.into_values().collect()
}

/// The review apps whose last deploy is at least `older_than` seconds
/// before `now` (`--older-than 0s`: every one). A review app is stale when
/// nobody has pushed to it, however long ago it was created.
pub(crate) fn stale(apps: &[ReviewApp], now: u64, older_than: u64) -> Vec<&ReviewApp> {
    apps.iter()
        .filter(|a| now.saturating_sub(a.deployed_at) >= older_than)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tagged(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn resource(
        name: &str,
        commit: &str,
        created: &str,
        deployed: &str,
    ) -> BTreeMap<String, String> {
        tagged(&[
            ("parity:app", "shop"),
            ("parity:review-of", "staging"),
            ("parity:review", name),
            ("parity:url", &format!("https://{name}.staging.test")),
            ("parity:commit", commit),
            ("parity:created-at", created),
            ("parity:deployed-at", deployed),
        ])
    }

    #[test]
    fn one_app_per_name_with_the_newest_commit_and_the_first_creation() {
        let apps = collect(
            &[
                resource("pr-2", "bbbb", "200", "200"),
                resource("pr-1", "aaaa", "100", "100"),
                resource("pr-1", "cccc", "150", "300"),
                tagged(&[
                    ("parity:app", "other"),
                    ("parity:review-of", "staging"),
                    ("parity:review", "x"),
                ]),
                tagged(&[
                    ("parity:app", "shop"),
                    ("parity:review-of", "qa"),
                    ("parity:review", "y"),
                ]),
                tagged(&[("parity:app", "shop")]),
            ],
            "shop",
            "staging",
        );
        assert_eq!(apps.len(), 2, "{apps:?}");
        assert_eq!(apps[0].name, "pr-1");
        assert_eq!(apps[0].commit, "cccc");
        assert_eq!(apps[0].created_at, 100);
        assert_eq!(apps[0].deployed_at, 300);
        assert_eq!(apps[1].url, "https://pr-2.staging.test");
    }

    #[test]
    fn stale_means_not_deployed_for_at_least_the_given_time() {
        let apps = collect(
            &[
                resource("old", "a", "0", "1000"),
                resource("new", "b", "0", "9000"),
            ],
            "shop",
            "staging",
        );
        let names = |v: Vec<&ReviewApp>| v.iter().map(|a| a.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(stale(&apps, 10_000, 5_000)), ["old"]);
        assert_eq!(names(stale(&apps, 10_000, 0)), ["new", "old"]);
        assert!(stale(&apps, 10_000, 20_000).is_empty());
    }
}
