//! `parity secrets sync|list` against a private moto_server per test. Every
//! failing case asserts that moto's state is exactly what it was before.

use std::collections::BTreeMap;

use crate::support::Test;
use crate::support::moto::{Moto, Parameter};

const COMPOSE: &str = r#"
services:
  web:
    image: example/web
    environment:
      API_KEY: local-key
      DATABASE_URL: postgres://app:app@db/app
    x-parity:
      secrets: [API_KEY, DATABASE_URL]
  worker:
    image: example/worker
    environment:
      API_KEY: local-key
    x-parity:
      secrets: [API_KEY]
  db:
    image: postgres:16
    x-parity:
      cloud: false
"#;

const TOML: &str = r#"
app = "shop"

[environments.staging]
region = "eu-west-1"
"#;

const PREFIX: &str = "/shop/staging/";

/// A project wired to `moto`: compose, parity.toml, `.env.staging`.
fn project(moto: &Moto, dotenv: &str) -> Test {
    Test::new()
        .aws(moto)
        .compose(COMPOSE)
        .toml(TOML)
        .file(".env.staging", dotenv)
}

fn values(parameters: &BTreeMap<String, Parameter>) -> BTreeMap<&str, &str> {
    parameters
        .iter()
        .map(|(name, p)| (name.as_str(), p.value.as_str()))
        .collect()
}

fn versions(parameters: &BTreeMap<String, Parameter>) -> BTreeMap<&str, i64> {
    parameters
        .iter()
        .map(|(name, p)| (name.as_str(), p.version))
        .collect()
}

#[test]
fn moto_harness_serves_parameter_store() {
    let moto = Moto::start();
    moto.ssm()
        .put("/harness/check/A", "value-a", &[("app", "harness")]);
    let parameters = moto.ssm().parameters("/harness/");
    let a = &parameters["/harness/check/A"];
    assert_eq!(a.value, "value-a");
    assert_eq!(a.version, 1);
    assert_eq!(a.kind, "SecureString");
    assert_eq!(a.tags.get("app").map(String::as_str), Some("harness"));
}

#[test]
fn first_sync_writes_tagged_secure_strings_and_names_their_readers() {
    let moto = Moto::start();
    let mut run = project(
        &moto,
        "API_KEY=key-1\nDATABASE_URL=postgres://u:p@rds/app\nSPARE=unused-1\n",
    )
    .args(["secrets", "sync", "staging"])
    .run()
    .status(0)
    .stdout_contains("+ API_KEY")
    .stdout_contains("+ DATABASE_URL")
    .stdout_contains("Plan: 3 to add, 0 to change, 0 to remove, 0 unchanged.")
    .stdout_contains("Wrote 3 parameters")
    .stdout_contains("web (API_KEY, DATABASE_URL), worker (API_KEY)")
    .stderr_contains("warning: SPARE");
    for value in ["key-1", "postgres://u:p@rds/app", "unused-1"] {
        run = run.never_prints(value);
    }
    let parameters = moto.ssm().parameters(PREFIX);
    assert_eq!(
        values(&parameters),
        BTreeMap::from([
            ("/shop/staging/API_KEY", "key-1"),
            ("/shop/staging/DATABASE_URL", "postgres://u:p@rds/app"),
            ("/shop/staging/SPARE", "unused-1"),
        ])
    );
    for parameter in parameters.values() {
        assert_eq!(parameter.kind, "SecureString");
        assert_eq!(parameter.tier, "Standard");
        assert_eq!(parameter.version, 1);
        assert_eq!(
            parameter.tags,
            BTreeMap::from([
                ("parity:app".to_string(), "shop".to_string()),
                ("parity:environment".to_string(), "staging".to_string()),
            ])
        );
    }
}

#[test]
fn second_sync_reports_no_changes_and_makes_no_writes() {
    let moto = Moto::start();
    let dotenv = "API_KEY=key-1\nDATABASE_URL=db-1\n";
    project(&moto, dotenv)
        .args(["secrets", "sync", "staging"])
        .run()
        .status(0)
        .stdout_contains("Wrote ")
        .stderr_contains("wrote API_KEY");
    let before = moto.ssm().everything();
    project(&moto, dotenv)
        .args(["-v", "secrets", "sync", "staging"])
        .run()
        .status(0)
        .stdout_contains("= API_KEY")
        .stdout_contains("Plan: 0 to add, 0 to change, 0 to remove, 2 unchanged.")
        .stdout_contains("Nothing to write")
        .stderr_contains("AWS API calls:")
        .never_prints("PutParameter")
        .never_prints("AddTagsToResource");
    assert_eq!(moto.ssm().everything(), before, "a no-op sync changed moto");
}

#[test]
fn changing_one_value_rewrites_only_that_parameter() {
    let moto = Moto::start();
    project(&moto, "API_KEY=key-1\nDATABASE_URL=db-1\n")
        .args(["secrets", "sync", "staging"])
        .run()
        .status(0)
        .stdout_contains("Wrote ")
        .stderr_contains("wrote API_KEY");
    project(&moto, "API_KEY=key-1\nDATABASE_URL=db-2\n")
        .args(["secrets", "sync", "staging"])
        .run()
        .status(0)
        .stdout_contains("~ DATABASE_URL")
        .stdout_contains("change (value)")
        .stdout_contains("= API_KEY")
        .stdout_contains("Wrote 1 parameter and removed 0")
        .stdout_contains("web (DATABASE_URL)")
        .never_prints("worker (")
        .never_prints("db-2");
    let parameters = moto.ssm().parameters(PREFIX);
    assert_eq!(
        versions(&parameters),
        BTreeMap::from([
            ("/shop/staging/API_KEY", 1),
            ("/shop/staging/DATABASE_URL", 2)
        ])
    );
    assert_eq!(parameters["/shop/staging/DATABASE_URL"].value, "db-2");
    // Overwriting keeps parity's tags (PutParameter cannot carry them with Overwrite).
    assert_eq!(
        parameters["/shop/staging/DATABASE_URL"].tags["parity:app"],
        "shop"
    );
}

#[test]
fn prune_removes_only_parameters_parity_tagged() {
    let moto = Moto::start();
    project(&moto, "API_KEY=k\nDATABASE_URL=d\nOLD_TOKEN=old\n")
        .args(["secrets", "sync", "staging"])
        .run()
        .status(0)
        .stdout_contains("Wrote ")
        .stderr_contains("wrote API_KEY");
    // Someone created this one by hand: parity never removes it.
    moto.ssm().put("/shop/staging/HAND_MADE", "manual", &[]);
    // Without --prune nothing is removed.
    project(&moto, "API_KEY=k\nDATABASE_URL=d\n")
        .args(["secrets", "sync", "staging"])
        .run()
        .status(0)
        .stdout_contains("OLD_TOKEN")
        .stdout_contains("keep (not in the file)")
        .stdout_contains("Nothing to write")
        .stderr_empty();
    assert!(
        moto.ssm()
            .parameters(PREFIX)
            .contains_key("/shop/staging/OLD_TOKEN")
    );

    project(&moto, "API_KEY=k\nDATABASE_URL=d\n")
        .args(["secrets", "sync", "staging", "--prune"])
        .run()
        .status(0)
        .stdout_contains("- OLD_TOKEN")
        .stdout_contains("keep (not tagged as parity's)")
        .stdout_contains("Wrote 0 parameters and removed 1 parameter")
        .stderr_is("removed OLD_TOKEN\n");
    let names: Vec<String> = moto.ssm().parameters(PREFIX).into_keys().collect();
    assert_eq!(
        names,
        [
            "/shop/staging/API_KEY",
            "/shop/staging/DATABASE_URL",
            "/shop/staging/HAND_MADE"
        ]
    );
}

#[test]
fn dry_run_prints_the_plan_and_writes_nothing() {
    let moto = Moto::start();
    project(&moto, "API_KEY=k\nDATABASE_URL=d\nOLD=o\n")
        .args(["secrets", "sync", "staging"])
        .run()
        .status(0)
        .stdout_contains("Wrote ")
        .stderr_contains("wrote API_KEY");
    let before = moto.ssm().everything();
    project(&moto, "API_KEY=k2\nDATABASE_URL=d\nNEW=n\n")
        .args(["secrets", "sync", "staging", "--dry-run", "--prune"])
        .run()
        .status(0)
        .stdout_contains("~ API_KEY")
        .stdout_contains("+ NEW")
        .stdout_contains("- OLD")
        .stdout_contains("Dry run: nothing was written.")
        .stderr_contains("warning: NEW")
        .stderr_lacks("wrote ");
    assert_eq!(moto.ssm().everything(), before);
}

#[test]
fn two_hundred_fifty_parameters_are_paginated() {
    let moto = Moto::start();
    let mut dotenv = String::from("API_KEY=k\nDATABASE_URL=d\n");
    for i in 0..248 {
        dotenv.push_str(&format!("EXTRA_{i:03}=value-{i}\n"));
    }
    project(&moto, &dotenv)
        .args(["secrets", "sync", "staging"])
        .run()
        .status(0)
        .stdout_contains("Wrote 250 parameters")
        .stderr_contains("warning: EXTRA_247")
        .stderr_contains("wrote EXTRA_247");
    assert_eq!(moto.ssm().parameters(PREFIX).len(), 250);
    let before = moto.ssm().everything();
    // Every page must have been read: otherwise parameters past the first
    // page would look new and be written again.
    project(&moto, &dotenv)
        .args(["secrets", "sync", "staging"])
        .run()
        .status(0)
        .stdout_contains("Plan: 0 to add, 0 to change, 0 to remove, 250 unchanged.")
        .stderr_lacks("wrote ");
    assert_eq!(moto.ssm().everything(), before);
    let listed = project(&moto, &dotenv)
        .args(["secrets", "list", "staging", "--format", "json"])
        .run()
        .status(0)
        .stderr_empty()
        .json();
    assert_eq!(listed["secrets"].as_array().map(Vec::len), Some(250));
}

#[test]
fn malformed_dotenv_line_is_bad_input_naming_the_line_and_writes_nothing() {
    let moto = Moto::start();
    let before = moto.ssm().everything();
    project(&moto, "API_KEY=k\nDATABASE_URL=d\n=orphan-value\n")
        .args(["secrets", "sync", "staging"])
        .run()
        .status(2)
        .stdout_empty()
        .stderr_contains(".env.staging:3")
        .never_prints("orphan-value");
    assert_eq!(moto.ssm().everything(), before);
}

#[test]
fn declared_secret_missing_from_file_and_ssm_fails_writing_nothing() {
    let moto = Moto::start();
    let before = moto.ssm().everything();
    project(&moto, "API_KEY=k\n")
        .args(["secrets", "sync", "staging"])
        .run()
        .status(1)
        .stdout_empty()
        .stderr_contains("DATABASE_URL (read by web)")
        .stderr_contains("Nothing was written");
    assert_eq!(moto.ssm().everything(), before);
    // Present in SSM only is fine: the file need not repeat it.
    moto.ssm().put("/shop/staging/DATABASE_URL", "d", &[]);
    project(&moto, "API_KEY=k\n")
        .args(["secrets", "sync", "staging"])
        .run()
        .status(0)
        .stdout_contains("Wrote ")
        .stderr_contains("wrote API_KEY");
}

#[test]
fn missing_credentials_fail_in_one_line() {
    let moto = Moto::start();
    let before = moto.ssm().everything();
    let run = Test::new()
        .aws_isolated()
        .env("AWS_ENDPOINT_URL", &moto.endpoint())
        .compose(COMPOSE)
        .toml(TOML)
        .file(".env.staging", "API_KEY=k\nDATABASE_URL=d\n")
        .args(["secrets", "sync", "staging"])
        .run()
        .status(1)
        .stdout_empty()
        .stderr_contains("no usable AWS credentials for environment `staging`")
        .stderr_contains("AWS_PROFILE");
    assert!(run.stderr().lines().count() <= 4, "{}", run.stderr());
    assert_eq!(moto.ssm().everything(), before);
}

#[test]
fn unreachable_endpoint_fails_in_one_line() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let endpoint = format!("http://127.0.0.1:{port}");
    let run = Test::new()
        .aws_isolated()
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_ENDPOINT_URL", &endpoint)
        .compose(COMPOSE)
        .toml(TOML)
        .file(".env.staging", "API_KEY=k\nDATABASE_URL=d\n")
        .args(["secrets", "list", "staging"])
        .run()
        .status(1)
        .stdout_empty()
        .stderr_contains("AWS_ENDPOINT_URL")
        .stderr_says(&format!("cannot reach {endpoint} (connection refused)"));
    assert!(run.stderr().lines().count() <= 4, "{}", run.stderr());
}

#[test]
fn values_over_4_kb_use_the_advanced_tier_and_over_8_kb_are_refused() {
    let moto = Moto::start();
    let big = "b".repeat(5000);
    project(&moto, &format!("API_KEY={big}\nDATABASE_URL=d\n"))
        .args(["secrets", "sync", "staging"])
        .run()
        .status(0)
        .stdout_contains("[Advanced tier: over 4 KB]")
        .stderr_contains("wrote API_KEY");
    let parameters = moto.ssm().parameters(PREFIX);
    assert_eq!(parameters["/shop/staging/API_KEY"].tier, "Advanced");
    assert_eq!(parameters["/shop/staging/DATABASE_URL"].tier, "Standard");

    let before = moto.ssm().everything();
    project(
        &moto,
        &format!("API_KEY={}\nDATABASE_URL=d\n", "h".repeat(9000)),
    )
    .args(["secrets", "sync", "staging"])
    .run()
    .status(2)
    .stdout_empty()
    .stderr_says("API_KEY (9000 bytes)");
    assert_eq!(moto.ssm().everything(), before);
}

#[test]
fn list_shows_versions_users_and_flags_missing_secrets() {
    let moto = Moto::start();
    project(&moto, "API_KEY=k\nDATABASE_URL=d\n")
        .args(["secrets", "sync", "staging"])
        .run()
        .status(0)
        .stdout_contains("Wrote ")
        .stderr_contains("wrote API_KEY");
    moto.ssm().put("/shop/staging/HAND_MADE", "manual", &[]);
    // DATABASE_URL disappears from SSM: list flags it.
    let client = moto.ssm_client();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(
            client
                .delete_parameter()
                .name("/shop/staging/DATABASE_URL")
                .send(),
        )
        .expect("delete");
    let table = project(&moto, "")
        .args(["secrets", "list", "staging"])
        .run()
        .status(0)
        .stderr_contains("missing from SSM: DATABASE_URL");
    let lines: Vec<String> = table.stdout().lines().map(str::to_string).collect();
    assert!(lines[0].starts_with("NAME"), "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("API_KEY") && l.contains("yes") && l.ends_with("web, worker")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("DATABASE_URL") && l.contains("MISSING")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("HAND_MADE") && l.contains(" no ")),
        "{lines:?}"
    );
    table.never_prints("manual").never_prints("=k");

    let json = project(&moto, "")
        .args(["secrets", "list", "staging", "--format", "json"])
        .run()
        .status(0)
        .stderr_contains("missing from SSM: DATABASE_URL")
        .json();
    let secrets = json["secrets"].as_array().expect("secrets array");
    let api_key = &secrets[0];
    assert_eq!(api_key["name"], "API_KEY");
    assert_eq!(api_key["parameter"], "/shop/staging/API_KEY");
    assert_eq!(api_key["version"], 1);
    assert_eq!(api_key["managed"], true);
    assert_eq!(api_key["used_by"], serde_json::json!(["web", "worker"]));
    assert!(api_key["last_modified"].is_string());
    assert_eq!(secrets[1]["name"], "DATABASE_URL");
    assert_eq!(secrets[1]["missing"], true);
    assert!(secrets.iter().all(|s| s.get("value").is_none()));
}

/// Seeds `name` with SSM's maximum of 100 versions and labels the oldest, so
/// that SSM refuses the next overwrite (ParameterMaxVersionLimitExceeded).
fn pin_version_limit(moto: &Moto, name: &str) {
    let client = moto.ssm_client();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        for i in 0..100 {
            client
                .put_parameter()
                .name(name)
                .value(format!("old-{i}"))
                .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
                .overwrite(i > 0)
                .send()
                .await
                .expect("seed version");
        }
        client
            .label_parameter_version()
            .name(name)
            .parameter_version(1)
            .labels("pinned")
            .send()
            .await
            .expect("label");
    });
}

fn unpin(moto: &Moto, name: &str) {
    let client = moto.ssm_client();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(
            client
                .unlabel_parameter_version()
                .name(name)
                .parameter_version(1)
                .labels("pinned")
                .send(),
        )
        .expect("unlabel");
}

#[test]
fn a_write_failing_midway_names_what_was_and_was_not_written_and_a_rerun_finishes() {
    let moto = Moto::start();
    pin_version_limit(&moto, "/shop/staging/M_PINNED");
    let mut run = project(
        &moto,
        "API_KEY=k\nA_FIRST=a\nDATABASE_URL=d\nM_PINNED=new\n",
    )
    .args(["secrets", "sync", "staging"])
    .run()
    .status(1)
    .stdout_contains("Plan: 3 to add, 1 to change, 0 to remove, 0 unchanged.")
    .stdout_lacks("Wrote ");
    for needle in [
        "secrets sync stopped: ssm:PutParameter on /shop/staging/M_PINNED",
        "ParameterMaxVersionLimitExceeded",
        "written: API_KEY, A_FIRST, DATABASE_URL",
        "not done: M_PINNED",
        "run `parity secrets sync staging` again",
    ] {
        run = run.stderr_says(needle);
    }
    let parameters = moto.ssm().parameters(PREFIX);
    assert_eq!(parameters["/shop/staging/M_PINNED"].version, 100);

    unpin(&moto, "/shop/staging/M_PINNED");
    project(
        &moto,
        "API_KEY=k\nA_FIRST=a\nDATABASE_URL=d\nM_PINNED=new\n",
    )
    .args(["secrets", "sync", "staging"])
    .run()
    .status(0)
    .stdout_contains("Plan: 0 to add, 1 to change, 0 to remove, 3 unchanged.")
    .stderr_contains("wrote M_PINNED");
    let parameters = moto.ssm().parameters(PREFIX);
    assert_eq!(parameters["/shop/staging/M_PINNED"].value, "new");
    assert_eq!(parameters["/shop/staging/API_KEY"].version, 1);
}

/// The ways a text can show up in output: as itself, as the decimal byte
/// list of a `Debug`-printed byte buffer, as hex and as (aligned) base64.
fn leaked_forms(text: &str) -> Vec<String> {
    use base64::Engine as _;
    let decimal: Vec<String> = text.bytes().map(|b| b.to_string()).collect();
    let base64 = base64::engine::general_purpose::STANDARD.encode(text);
    // Whole 3-byte groups only: their encoding does not depend on what follows.
    let aligned = base64[..text.len() / 3 * 4].to_string();
    vec![
        text.to_string(),
        decimal.join(", "),
        hex::encode(text),
        aligned,
    ]
}

/// The canary project: local compose values of declared secrets are canaries
/// too, and the toml is complete enough for `plan`.
const CANARY_COMPOSE: &str = r#"
services:
  web:
    image: example/web
    environment:
      API_KEY: CANARY-e0c4-LOCAL-KEY-5a1b
      DATABASE_URL: CANARY-f9b2-LOCAL-DB-3c8d
    x-parity:
      secrets: [API_KEY, DATABASE_URL]
"#;

const CANARY_TOML: &str = r#"
app = "shop"

[environments.staging]
region = "eu-west-1"
account_id = "123456789012"
execution_role_arn = "arn:aws:iam::123456789012:role/exec"
subnets = ["subnet-1"]
security_groups = ["sg-1"]
"#;

/// Highest verbosity, plus the one switch that makes the SDK's signer log
/// request bodies (it must stay off whatever the environment says).
fn canary_project(moto: &Moto, dotenv: &str) -> Test {
    Test::new()
        .aws(moto)
        .compose(CANARY_COMPOSE)
        .toml(CANARY_TOML)
        .file(".env.staging", dotenv)
        .env("LOG_SIGNABLE_BODY", "true")
}

/// Canary values: every command that touches secrets, at the highest
/// verbosity, first proving the canaries reached moto, then that they
/// appear nowhere in what parity printed — including an AWS error on a
/// request that carried one.
#[test]
fn canary_values_never_appear_in_any_output() {
    let moto = Moto::start();
    let canary_a = "CANARY-a7f3-API-KEY-91c2";
    let canary_b = "CANARY-b81e-DB-URL-44d0";
    let canary_c = "CANARY-c5d9-ROTATED-0e7b";
    let canary_d = "CANARY-d2aa-PINNED-7f13";
    // Any "CANARY-" at all would be a leak: the local ones are canaries too.
    // Debug output can show bytes rather than text (the SDK's signer prints
    // a body as `Bytes([67, 65, ...])`), so those forms count as well.
    let check = |run: crate::support::Run| {
        let mut run = run;
        for form in leaked_forms("CANARY-") {
            run = run.never_prints(&form);
        }
        run
    };

    let first = format!("API_KEY={canary_a}\nDATABASE_URL={canary_b}\n");
    check(
        canary_project(&moto, &first)
            .args(["-vvv", "secrets", "sync", "staging"])
            .run()
            .status(0),
    );
    let stored = moto.ssm().parameters(PREFIX);
    assert_eq!(stored["/shop/staging/API_KEY"].value, canary_a);
    assert_eq!(stored["/shop/staging/DATABASE_URL"].value, canary_b);

    check(
        canary_project(&moto, &first)
            .args(["-vvv", "secrets", "sync", "staging"])
            .env("PARITY_LOG", "trace")
            .run()
            .status(0),
    );
    let rotated = format!("API_KEY={canary_c}\nDATABASE_URL={canary_b}\n");
    check(
        canary_project(&moto, &rotated)
            .args(["-vvv", "secrets", "sync", "staging", "--dry-run", "--prune"])
            .run()
            .status(0),
    );
    check(
        canary_project(&moto, &rotated)
            .args(["-vvv", "secrets", "sync", "staging", "--prune"])
            .run()
            .status(0),
    );
    assert_eq!(
        moto.ssm().parameters(PREFIX)["/shop/staging/API_KEY"].value,
        canary_c
    );
    for args in [
        &["-vvv", "secrets", "list", "staging"][..],
        &["-vvv", "secrets", "list", "staging", "--format", "json"],
        &["-vvv", "config"],
        &["-vvv", "config", "--format", "json"],
        &["-vvv", "plan", "staging", "--offline"],
        &["-vvv", "plan", "staging", "--offline", "--format", "json"],
    ] {
        check(
            canary_project(&moto, &rotated)
                .args(args.iter().copied())
                .run()
                .status(0),
        );
    }

    // An AWS error on a request that carried a canary.
    pin_version_limit(&moto, "/shop/staging/A_PINNED");
    let before = moto.ssm().everything();
    let failing = format!("A_PINNED={canary_d}\nAPI_KEY={canary_c}\nDATABASE_URL={canary_b}\n");
    let run = check(
        canary_project(&moto, &failing)
            .args(["-vvv", "secrets", "sync", "staging"])
            .run()
            .status(1),
    );
    // moto's ParameterMaxVersionLimitExceeded answered the canary-carrying PutParameter.
    run.stderr_says("ssm:PutParameter on /shop/staging/A_PINNED")
        .stderr_says("ParameterMaxVersionLimitExceeded")
        .stderr_says("written: none");
    assert_eq!(moto.ssm().everything(), before);
}

#[test]
fn a_denied_write_names_the_iam_action_and_the_user_without_values() {
    let (moto, key_id, secret) = Moto::with_user_denied(&["ssm:PutParameter"]);
    let run = Test::new()
        .aws_isolated()
        .env("AWS_ACCESS_KEY_ID", &key_id)
        .env("AWS_SECRET_ACCESS_KEY", &secret)
        .env("AWS_ENDPOINT_URL", &moto.endpoint())
        .compose(COMPOSE)
        .toml(TOML)
        .file(
            ".env.staging",
            "API_KEY=CANARY-denied-1\nDATABASE_URL=CANARY-denied-2\n",
        )
        .args(["secrets", "sync", "staging"])
        .run()
        .status(1)
        .stdout_lacks("CANARY")
        .stderr_lacks("CANARY")
        .stderr_lacks("is the endpoint")
        .stderr_contains("access denied for arn:aws:iam::123456789012:user/ci")
        .stderr_contains("`ssm:PutParameter`")
        .stderr_contains("grant `ssm:PutParameter` to arn:aws:iam::123456789012:user/ci");
    assert!(run.stderr().lines().count() <= 8, "{}", run.stderr());
}
