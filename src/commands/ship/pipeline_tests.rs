//! The pipeline's order, without a server: the deploy lock's SSM requests go
//! to a `StaticReplayClient`, and a test `Change` records which of its steps
//! ran. Nothing is locked before preflight passed, nothing is applied without
//! the lock, and a failed change still tries to release it.

use std::cell::RefCell;
use std::path::Path;
use std::time::Duration;

use aws_smithy_http_client::test_util::{ReplayEvent, StaticReplayClient};
use serde_json::{Value, json};

use super::{Change, pipeline};
use crate::aws::AwsContext;
use crate::cli::ChangeArgs;
use crate::commands::ship::session::{Cloud, Inputs};
use crate::error::{Error, Result};

const SETTINGS: &str = r#"
app = "shop"
[environments.staging]
region = "eu-west-1"
account_id = "123456789012"
"#;

/// A change that records its steps and fails where told.
#[derive(Default)]
struct Probe {
    fail_preflight: bool,
    fail_apply: bool,
    steps: RefCell<Vec<&'static str>>,
}

impl Change for Probe {
    type Done = ();

    async fn preflight(&mut self, _cloud: &Cloud) -> Result<()> {
        self.steps.borrow_mut().push("preflight");
        if self.fail_preflight {
            return Err(Error::input("bad input"));
        }
        Ok(())
    }

    fn what(&self) -> String {
        "probe staging".to_owned()
    }

    async fn apply(&self, _cloud: &Cloud, timeout: Duration) -> Result<()> {
        assert_eq!(
            timeout,
            Duration::from_secs(7),
            "--timeout reaches the change"
        );
        self.steps.borrow_mut().push("apply");
        if self.fail_apply {
            return Err(Error::failed("the change failed"));
        }
        Ok(())
    }

    fn summary(&self, (): &()) {
        self.steps.borrow_mut().push("summary");
    }
}

fn ssm(status: u16, body: &Value) -> ReplayEvent {
    crate::aws::request_shapes::json_answer("ssm", status, body)
}

/// Runs `probe` with SSM answering `responses`; returns the outcome, the
/// probe's steps and the SSM operations sent.
fn run(
    mut probe: Probe,
    responses: Vec<ReplayEvent>,
) -> (Result<()>, Vec<&'static str>, Vec<String>) {
    let replay = StaticReplayClient::new(responses);
    let cloud = Cloud {
        ctx: AwsContext::with_http_client(replay.clone(), "eu-west-1"),
        account_id: "123456789012".into(),
    };
    let inputs = Inputs {
        settings: crate::settings::parse(SETTINGS, Path::new("parity.toml")).expect("settings"),
        project: crate::compose::model::Project::default(),
        compose_hash: "h".into(),
    };
    let options = ChangeArgs {
        timeout: Some(7),
        break_lock: false,
    };
    let mut locked = false;
    let outcome = crate::commands::block_on(pipeline(
        &inputs,
        "staging",
        &options,
        &mut probe,
        &cloud,
        &mut locked,
    ));
    let sent = replay
        .actual_requests()
        .map(|r| {
            r.headers()
                .get("x-amz-target")
                .unwrap_or_default()
                .trim_start_matches("AmazonSSM.")
                .to_owned()
        })
        .collect();
    (outcome, probe.steps.into_inner(), sent)
}

/// GetParameter's answer: the lock record `holder` holds.
fn lock_record(holder: &str, token: &str) -> ReplayEvent {
    let record =
        json!({"holder": holder, "operation": "deploy staging", "since": 1, "token": token});
    ssm(
        200,
        &json!({"Parameter": {"Name": "/parity-locks/shop/staging", "Value": record.to_string()}}),
    )
}

/// The lock taken, then found broken by someone else at release (a random
/// token cannot be replayed, so the release leaves it alone).
fn lock_taken() -> Vec<ReplayEvent> {
    vec![
        ssm(200, &json!({"Version": 1, "Tier": "Standard"})),
        lock_record("x", "not-ours"),
    ]
}

#[test]
fn a_failed_preflight_takes_no_lock_and_sends_nothing() {
    let probe = Probe {
        fail_preflight: true,
        ..Probe::default()
    };
    let (outcome, steps, sent) = run(probe, vec![]);
    assert_eq!(outcome.unwrap_err().exit_code(), 2);
    assert_eq!(steps, ["preflight"]);
    assert!(sent.is_empty(), "{sent:?}");
}

#[test]
fn a_held_lock_stops_the_change_before_it_starts_and_names_the_holder() {
    let (outcome, steps, sent) = run(
        Probe::default(),
        vec![
            ssm(
                400,
                &json!({"__type": "ParameterAlreadyExists", "message": "exists"}),
            ),
            lock_record("ana@ci-7 (pid 42)", "t"),
        ],
    );
    let err = outcome.unwrap_err();
    assert!(
        err.message().contains("held by ana@ci-7 (pid 42)"),
        "{}",
        err.message()
    );
    assert_eq!(steps, ["preflight"], "apply never ran");
    assert_eq!(sent, ["PutParameter", "GetParameter"]);
}

#[test]
fn a_failed_change_runs_under_the_lock_and_then_releases_it() {
    let probe = Probe {
        fail_apply: true,
        ..Probe::default()
    };
    let (outcome, steps, sent) = run(probe, lock_taken());
    assert_eq!(outcome.unwrap_err().message(), "the change failed");
    assert_eq!(steps, ["preflight", "apply"], "no summary after a failure");
    // Lock taken, then released only if still ours (someone broke it: left alone).
    assert_eq!(sent, ["PutParameter", "GetParameter"]);
}

#[test]
fn a_change_that_succeeds_is_summarised_after_the_lock_is_released() {
    let (outcome, steps, sent) = run(Probe::default(), lock_taken());
    assert!(outcome.is_ok());
    assert_eq!(steps, ["preflight", "apply", "summary"]);
    assert_eq!(sent, ["PutParameter", "GetParameter"]);
}
