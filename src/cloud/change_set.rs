//! What an environment stack's change set and its stack states mean for
//! `parity env apply`: which changes need a confirmation, when a stack has
//! settled and whether it settled well, and which resource made it fail.
//!
//! Pure: the AWS adapter (`aws::cloudformation`) turns the SDK's shapes into
//! these types; the command prints and decides with them. The state lists
//! follow CloudFormation's documented stack status codes
//! (<https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html#cfn-console-view-stack-data-resources-status-codes>).

use serde::Serialize;

/// What a change set does to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Action {
    Add,
    Modify,
    Remove,
    /// An existing resource adopted by the stack (a repository an earlier destroy kept).
    Import,
    /// Dynamic, or an action newer than parity.
    Other,
}

impl Action {
    /// From the API's `Action` value (`Add`, `Modify`, `Remove`, ...).
    pub(crate) fn parse(value: &str) -> Self {
        match value {
            "Add" => Self::Add,
            "Modify" => Self::Modify,
            "Remove" => Self::Remove,
            "Import" => Self::Import,
            _ => Self::Other,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Modify => "modify",
            Self::Remove => "remove",
            Self::Import => "import",
            Self::Other => "change",
        }
    }
}

/// One resource's change, as DescribeChangeSet lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ResourceChange {
    pub(crate) logical_id: String,
    pub(crate) resource_type: String,
    pub(crate) action: Action,
    /// `Replacement` is `True` or `Conditional`: the resource may be
    /// recreated (new id, data of a stateful resource gone).
    pub(crate) replacement: bool,
}

impl ResourceChange {
    /// A removal or a (possible) replacement: what a person must confirm.
    pub(crate) fn destructive(&self) -> bool {
        self.action == Action::Remove || (self.action == Action::Modify && self.replacement)
    }
}

/// Whether the change set creates the stack or updates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Kind {
    Create,
    Update,
}

/// A change set, ready to print and to confirm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ChangeSet {
    pub(crate) stack: String,
    pub(crate) kind: Kind,
    pub(crate) changes: Vec<ResourceChange>,
}

impl ChangeSet {
    /// The changes that remove or replace a resource.
    pub(crate) fn destructive(&self) -> impl Iterator<Item = &ResourceChange> {
        self.changes.iter().filter(|c| c.destructive())
    }

    /// The text form: one line per resource, destructive ones marked `!`.
    pub(crate) fn render_text(&self) -> String {
        let verb = match self.kind {
            Kind::Create => "create",
            Kind::Update => "update",
        };
        let mut out = format!(
            "Change set for stack {} ({verb}, {} resource change{}):\n",
            self.stack,
            self.changes.len(),
            if self.changes.len() == 1 { "" } else { "s" }
        );
        let width = self
            .changes
            .iter()
            .map(|c| c.logical_id.len())
            .max()
            .unwrap_or(0);
        for change in &self.changes {
            let mark = if change.destructive() { "!" } else { " " };
            let note = match (change.action, change.replacement) {
                (Action::Remove, _) => "  (removed: its data and id are gone)",
                (Action::Modify, true) => "  (REPLACEMENT: a new resource, new id)",
                _ => "",
            };
            out.push_str(&format!(
                "{mark} {:<7} {:<width$}  {}{note}\n",
                change.action.label(),
                change.logical_id,
                change.resource_type,
            ));
        }
        out
    }
}

/// Where a stack is, from its `StackStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Settled {
    /// An operation is under way (`*_IN_PROGRESS`).
    Moving,
    /// The last operation succeeded (`CREATE_COMPLETE`, `UPDATE_COMPLETE`, ...).
    Done,
    /// The last operation failed and CloudFormation rolled it back or gave up
    /// (`ROLLBACK_COMPLETE`, `UPDATE_ROLLBACK_COMPLETE`, `*_FAILED`).
    Failed,
    /// Created by a CREATE change set that was never executed: no resources.
    Review,
}

/// Classifies a `StackStatus` code.
pub(crate) fn settled(status: &str) -> Settled {
    match status {
        "REVIEW_IN_PROGRESS" => Settled::Review,
        "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "IMPORT_COMPLETE" | "DELETE_COMPLETE" => {
            Settled::Done
        }
        s if s.ends_with("_IN_PROGRESS") => Settled::Moving,
        _ => Settled::Failed,
    }
}

/// A stack that can only be deleted: its creation failed and rolled back, so
/// it holds no resources (`ROLLBACK_COMPLETE`, `ROLLBACK_FAILED`, `CREATE_FAILED`),
/// or it was never executed (`REVIEW_IN_PROGRESS`). apply deletes it and creates anew.
pub(crate) fn must_recreate(status: &str) -> bool {
    matches!(
        status,
        "ROLLBACK_COMPLETE" | "ROLLBACK_FAILED" | "CREATE_FAILED" | "REVIEW_IN_PROGRESS"
    )
}

/// One stack event, oldest-first order is the caller's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Event {
    pub(crate) id: String,
    /// RFC 3339 UTC.
    pub(crate) time: String,
    pub(crate) logical_id: String,
    pub(crate) resource_type: String,
    pub(crate) status: String,
    pub(crate) reason: Option<String>,
}

impl Event {
    /// One stderr line: time, status, type, logical id, reason.
    pub(crate) fn render(&self) -> String {
        let clock = self.time.get(11..19).unwrap_or(&self.time);
        let mut line = format!(
            "  {clock}  {:<28} {:<40} {}",
            self.status, self.resource_type, self.logical_id
        );
        if let Some(reason) = &self.reason {
            line.push_str(&format!("  — {reason}"));
        }
        line
    }
}

/// The first resource that failed among `events` (oldest first): its
/// logical id and CloudFormation's reason. A resource's own failure wins over
/// the stack's summary line and over the cancellations that follow it
/// ("Resource creation cancelled").
pub(crate) fn first_failure<'a>(events: &'a [Event], stack: &str) -> Option<&'a Event> {
    let failed = |e: &&Event| e.status.ends_with("_FAILED");
    let cancelled = |e: &&Event| e.reason.as_deref().is_some_and(|r| r.contains("cancelled"));
    events
        .iter()
        .filter(failed)
        .find(|e| e.logical_id != stack && !cancelled(e))
        .or_else(|| events.iter().filter(failed).find(|e| e.logical_id != stack))
        .or_else(|| events.iter().find(failed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(id: &str, action: Action, replacement: bool) -> ResourceChange {
        ResourceChange {
            logical_id: id.into(),
            resource_type: "AWS::EC2::SecurityGroup".into(),
            action,
            replacement,
        }
    }

    fn event(id: &str, status: &str, reason: Option<&str>) -> Event {
        Event {
            id: format!("{id}-{status}"),
            time: "2026-11-27T12:00:01Z".into(),
            logical_id: id.into(),
            resource_type: "AWS::ECS::Cluster".into(),
            status: status.into(),
            reason: reason.map(str::to_owned),
        }
    }

    #[test]
    fn removals_and_replacements_are_destructive_adds_and_plain_modifies_are_not() {
        assert!(!change("A", Action::Add, false).destructive());
        assert!(!change("A", Action::Modify, false).destructive());
        assert!(change("A", Action::Modify, true).destructive());
        assert!(change("A", Action::Remove, false).destructive());
        let set = ChangeSet {
            stack: "parity-shop-staging".into(),
            kind: Kind::Update,
            changes: vec![
                change("WebTargetGroup", Action::Add, false),
                change("TaskSecurityGroup", Action::Modify, true),
                change("OldRule", Action::Remove, false),
            ],
        };
        assert_eq!(set.destructive().count(), 2);
        let text = set.render_text();
        assert!(text.contains("(update, 3 resource changes)"), "{text}");
        assert!(text.contains("  add     WebTargetGroup"), "{text}");
        assert!(text.contains("! modify  TaskSecurityGroup"), "{text}");
        assert!(text.contains("REPLACEMENT"), "{text}");
        assert!(text.contains("! remove  OldRule"), "{text}");
    }

    #[test]
    fn stack_states_follow_the_documented_codes() {
        assert_eq!(settled("CREATE_IN_PROGRESS"), Settled::Moving);
        assert_eq!(
            settled("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"),
            Settled::Moving
        );
        assert_eq!(settled("UPDATE_ROLLBACK_IN_PROGRESS"), Settled::Moving);
        assert_eq!(settled("CREATE_COMPLETE"), Settled::Done);
        assert_eq!(settled("UPDATE_COMPLETE"), Settled::Done);
        assert_eq!(settled("ROLLBACK_COMPLETE"), Settled::Failed);
        assert_eq!(settled("UPDATE_ROLLBACK_COMPLETE"), Settled::Failed);
        assert_eq!(settled("UPDATE_ROLLBACK_FAILED"), Settled::Failed);
        assert_eq!(settled("REVIEW_IN_PROGRESS"), Settled::Review);
        assert!(must_recreate("ROLLBACK_COMPLETE"));
        assert!(!must_recreate("UPDATE_ROLLBACK_COMPLETE"));
    }

    #[test]
    fn the_failed_resource_wins_over_cancellations_and_the_stack_line() {
        let events = vec![
            event("parity-shop-staging", "CREATE_IN_PROGRESS", None),
            event(
                "Cluster",
                "CREATE_FAILED",
                Some("Resource creation cancelled"),
            ),
            event("LoadBalancer", "CREATE_FAILED", Some("quota exceeded")),
            event(
                "parity-shop-staging",
                "ROLLBACK_IN_PROGRESS",
                Some("The following resource(s) failed to create: [LoadBalancer]."),
            ),
        ];
        let failure = first_failure(&events, "parity-shop-staging").unwrap();
        assert_eq!(failure.logical_id, "LoadBalancer");
        assert_eq!(failure.reason.as_deref(), Some("quota exceeded"));
        assert!(first_failure(&events[..1], "parity-shop-staging").is_none());
    }
}
