//! The canary guarantee across both stores: canary values sit in SSM and in
//! Secrets Manager (parity's own secrets and references, a JSON secret among
//! them), in the dotenv files and in the compose file's local values, and
//! every command — the failure paths included — runs at `-vvv` (and with
//! `PARITY_LOG=trace`) without a canary appearing in anything it prints.

use crate::support::ecs_fixture::EcsFixture;
use crate::support::moto::Moto;
use crate::support::registry::Registry;
use crate::support::webhook::Webhook;
use crate::support::{Run, Test};

/// Every canary begins with this; seeing it at all is a leak.
const MARK: &str = "CANARY-";

const COMPOSE: &str = r#"
services:
  web:
    image: 127.0.0.1:9/parity-canary-web:1
    environment:
      API_KEY: CANARY-local-api-key-1f2e
      DB_PASSWORD: CANARY-local-db-pw-6b7c
    x-parity:
      secrets:
        API_KEY: true
        DB_PASSWORD: "secretsmanager:rds!db-canary:password"
        STRIPE_KEY: "ssm:/shared/stripe/key"
        SENTRY_DSN: "secretsmanager:shared/sentry"
"#;

/// A secret interpolated into a port: the error must name the variable.
const COMPOSE_SECRET_AS_PORT: &str = r#"
services:
  web:
    image: nginx
    ports: ["${API_KEY}:80"]
    x-parity:
      secrets: [API_KEY]
"#;

/// A secret `worker` declares, interpolated into a port of `api`, which is
/// read (and refused) first: the error must still name the variable.
const COMPOSE_OTHER_SERVICES_SECRET_AS_PORT: &str = r#"
services:
  api:
    image: nginx
    ports: ["${API_KEY}:80"]
  worker:
    image: nginx
    x-parity:
      secrets: [API_KEY]
"#;

/// A secret interpolated into a plain field: the plan must refuse, naming it.
const COMPOSE_SECRET_IN_COMMAND: &str = r#"
services:
  web:
    image: nginx
    command: ["serve", "--key", "${API_KEY}"]
    environment:
      API_KEY: ${API_KEY}
    x-parity:
      secrets: [API_KEY]
"#;

fn toml(store: &str) -> String {
    format!(
        r#"
app = "shop"

[environments.staging]
region = "eu-west-1"
account_id = "123456789012"
execution_role_arn = "arn:aws:iam::123456789012:role/exec"
subnets = ["subnet-1"]
security_groups = ["sg-1"]
cluster = "shop-staging"
secrets_store = "{store}"
notify_webhook = "http://127.0.0.1:9/hook"
"#
    )
}

fn project(moto: &Moto, store: &str, compose: &str, dotenv: &str) -> Test {
    Test::new()
        .aws(moto)
        .compose(compose)
        .toml(&toml(store))
        .file(".env.staging", dotenv)
        .file(".env", "API_KEY=CANARY-dotenv-api-key-0a9b\n")
        // Makes the SDK's signer log request bodies, were it allowed to.
        .env("LOG_SIGNABLE_BODY", "true")
}

/// The ways a text shows up in output: itself, a `Debug` byte list, hex, base64.
fn leaked_forms(text: &str) -> Vec<String> {
    use base64::Engine as _;
    let decimal: Vec<String> = text.bytes().map(|b| b.to_string()).collect();
    let base64 = base64::engine::general_purpose::STANDARD.encode(text);
    let aligned = base64[..text.len() / 3 * 4].to_string();
    vec![
        text.to_string(),
        decimal.join(", "),
        hex::encode(text),
        aligned,
    ]
}

fn check(run: Run) -> Run {
    let mut run = run;
    for form in leaked_forms(MARK) {
        run = run.never_prints(&form);
    }
    run
}

fn seed_references(moto: &Moto) {
    moto.secrets().create(
        "rds!db-canary",
        r#"{"username":"admin","password":"CANARY-rds-master-pw-55aa"}"#,
        &[],
    );
    moto.secrets()
        .create("shared/sentry", "CANARY-sentry-dsn-77bb", &[]);
    moto.ssm()
        .put("/shared/stripe/key", "CANARY-stripe-key-99cc", &[]);
}

fn run_everything(moto: &Moto, store: &str) {
    let dotenv = "API_KEY=CANARY-env-api-key-3c4d\nDB_PASSWORD=CANARY-env-db-pw-8e9f\n";
    // First sync: canaries reach the store (and the fingerprint tags do not carry them).
    check(
        project(moto, store, COMPOSE, dotenv)
            .args(["-vvv", "secrets", "sync", "staging"])
            .run()
            .status(0),
    );
    let rotated = "API_KEY=CANARY-env-api-key-rotated-2d3e\nDB_PASSWORD=CANARY-env-db-pw-8e9f\nOLD=CANARY-old-4f5a\n";
    for args in [
        &["-vvv", "secrets", "sync", "staging", "--dry-run"][..],
        &["-vvv", "secrets", "sync", "staging"],
        &["-vvv", "secrets", "sync", "staging"],
    ] {
        check(
            project(moto, store, COMPOSE, rotated)
                .args(args.iter().copied())
                .env("PARITY_LOG", "trace")
                .run()
                .status(0),
        );
    }
    check(
        project(moto, store, COMPOSE, dotenv)
            .args(["-vvv", "secrets", "sync", "staging", "--prune"])
            .run()
            .status(0),
    );
    for args in [
        &["-vvv", "secrets", "list", "staging"][..],
        &["-vvv", "secrets", "list", "staging", "--format", "json"],
        &["-vvv", "config"],
        &["-vvv", "config", "--format", "json"],
        &["-vvv", "plan", "staging", "--offline"],
        &["-vvv", "plan", "staging", "--offline", "--format", "json"],
        &["-vvv", "env", "template", "staging"],
    ] {
        check(
            project(moto, store, COMPOSE, dotenv)
                .args(args.iter().copied())
                .run()
                .status(0),
        );
    }

    // Failure paths.
    // A declared secret missing from the file and the store (exit 1, nothing written).
    check(
        project(moto, store, COMPOSE, "DB_PASSWORD=CANARY-env-db-pw-8e9f\n")
            .args(["-vvv", "secrets", "sync", "staging", "--prune"])
            .run()
            .status(1),
    );
    // A value too large for the store.
    let huge = format!("API_KEY=CANARY-{}\n", "x".repeat(70_000));
    check(
        project(moto, store, COMPOSE, &huge)
            .args(["-vvv", "secrets", "sync", "staging"])
            .run()
            .status(2),
    );
    // A malformed dotenv line.
    check(
        project(
            moto,
            store,
            COMPOSE,
            "API_KEY=CANARY-ok-1234\nnot a line CANARY-bad\n",
        )
        .args(["-vvv", "secrets", "sync", "staging"])
        .run()
        .status(2),
    );
    // deploy: the cluster does not exist (preflight fails, exit 1).
    check(
        project(moto, store, COMPOSE, dotenv)
            .args(["-vvv", "deploy", "staging"])
            .run()
            .status(1),
    );
    // A secret used as a port: bad input naming API_KEY, not its value.
    let run = check(
        project(moto, store, COMPOSE_SECRET_AS_PORT, dotenv)
            .args(["-vvv", "config"])
            .run()
            .status(2),
    );
    assert!(run.stderr().contains("API_KEY"), "{}", run.stderr());
    // The same, when the secret is another service's.
    check(
        project(moto, store, COMPOSE_OTHER_SERVICES_SECRET_AS_PORT, dotenv)
            .args(["-vvv", "config"])
            .run()
            .status(2),
    )
    .stderr_says("<secret API_KEY>")
    .stderr_says("compose.yaml:5:13");
    // A secret interpolated into a command: the plan refuses, naming API_KEY.
    let run = check(
        project(moto, store, COMPOSE_SECRET_IN_COMMAND, dotenv)
            .args(["-vvv", "plan", "staging", "--offline"])
            .run()
            .status(2),
    );
    assert!(
        run.stderr().contains("value of secret API_KEY"),
        "{}",
        run.stderr()
    );
    // up --like: values from the dotenv file and from the stores; the image
    // cannot be pulled (nothing listens on 127.0.0.1:9), so it fails after
    // every secret was resolved.
    for args in [
        &["-vvv", "up", "--like", "staging", "--detach"][..],
        &[
            "-vvv",
            "up",
            "--like",
            "staging",
            "--secrets-from-aws",
            "--detach",
        ],
    ] {
        check(
            project(moto, store, COMPOSE, dotenv)
                .args(args.iter().copied())
                .run()
                .status(1),
        );
    }
}

#[test]
fn canaries_in_both_stores_never_appear_in_any_output_of_any_command() {
    let moto = Moto::start();
    seed_references(&moto);
    run_everything(&moto, "ssm");
    run_everything(&moto, "secretsmanager");
    // The canaries did reach both stores.
    let parameters = moto.ssm().parameters("/shop/staging/");
    assert!(parameters["/shop/staging/API_KEY"].value.starts_with(MARK));
    let secrets = moto.secrets().all("shop/staging/");
    let api_key = &secrets["shop/staging/API_KEY"];
    assert!(api_key.value.as_deref().unwrap_or("").starts_with(MARK));
    for secret in secrets.values() {
        assert!(
            secret.tags.values().all(|v| !v.contains(MARK)),
            "a tag carries a canary: {secret:?}"
        );
    }
}

/// A project whose `build:` image deploys to the ECS rollout fixture (moto
/// with rollouts), with canaries in `store` and a webhook that hears the deploys.
fn deployable(fixture: &EcsFixture, registry: &Registry, hook: &Webhook, store: &str) -> Test {
    let (subnets, groups) = fixture.network();
    let toml = format!(
        r#"app = "shop"
[environments.staging]
region = "eu-west-1"
account_id = "123456789012"
endpoint = "{endpoint}"
cluster = "shop-staging"
subnets = ["{subnet}"]
security_groups = ["{group}"]
execution_role_arn = "arn:aws:iam::123456789012:role/exec"
registry = "{registry}"
secrets_store = "{store}"
notify_webhook = "{hook}"

[environments.prod]
region = "eu-west-1"
account_id = "123456789012"
endpoint = "{endpoint}"
cluster = "shop-prod"
subnets = ["{subnet}"]
security_groups = ["{group}"]
execution_role_arn = "arn:aws:iam::123456789012:role/exec"
registry = "{registry}"
secrets_store = "{store}"
notify_webhook = "{hook}"
promotes_from = "staging"
"#,
        endpoint = fixture.endpoint(),
        subnet = subnets[0],
        group = groups[0],
        registry = registry.host(),
        hook = hook.url,
    );
    let compose = r#"
services:
  web:
    build: .
    command: ["/app", "serve"]
    environment:
      API_KEY: CANARY-local-api-key-1f2e
    x-parity:
      secrets:
        API_KEY: true
        DB_PASSWORD: "secretsmanager:rds!db-canary:password"
        STRIPE_KEY: "ssm:/shared/stripe/key"
"#;
    let mut test = Test::new()
        .compose(compose)
        .toml(&toml)
        .file(
            "Dockerfile",
            "FROM scratch\nCOPY version.txt /version.txt\n",
        )
        .file("version.txt", "v1\n")
        .file(".env.staging", "API_KEY=CANARY-env-api-key-3c4d\n")
        .file(".env.prod", "API_KEY=CANARY-env-prod-api-key-5e6f\n")
        .env_remove("AWS_PROFILE")
        .env("LOG_SIGNABLE_BODY", "true");
    for (key, value) in fixture.aws_env() {
        test = test.env(key, &value);
    }
    test
}

#[test]
fn canaries_never_reach_a_webhook_payload_or_an_online_plan_in_either_store() {
    for store in ["ssm", "secretsmanager"] {
        let fixture = EcsFixture::start();
        let registry = Registry::start();
        let hook = Webhook::start();
        for cluster in ["shop-staging", "shop-prod"] {
            fixture.ecs("CreateCluster", serde_json::json!({"clusterName": cluster}));
        }
        fixture
            .boto(
                "secretsmanager",
                "create_secret",
                serde_json::json!({"Name": "rds!db-canary", "SecretString": r#"{"username":"admin","password":"CANARY-rds-master-pw-55aa"}"#, "KmsKeyId": "alias/team-rds"}),
            )
            .expect("create_secret");
        fixture
            .boto(
                "ssm",
                "put_parameter",
                serde_json::json!({"Name": "/shared/stripe/key", "Value": "CANARY-stripe-key-99cc", "Type": "SecureString", "KeyId": "alias/team-stripe"}),
            )
            .expect("put_parameter");
        let test = deployable(&fixture, &registry, &hook, store);
        let parity = |args: &[&str], status: i32| {
            let mut run = test.command();
            run.args(args)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            check(Run::new(run.output().expect("run parity")).status(status))
        };
        parity(&["-vvv", "secrets", "sync", "staging"], 0).stdout_contains("API_KEY");
        parity(&["-vvv", "plan", "staging"], 0).stdout_contains("shop-staging-web");
        parity(&["-vvv", "plan", "staging", "--format", "json"], 0).stdout_contains("valueFrom");
        // References under customer-managed keys the stack grants nothing on: named, with the key.
        parity(&["-vvv", "deploy", "staging"], 0)
            .stdout_contains("to staging")
            .stderr_says("warning: DB_PASSWORD (secretsmanager:rds!db-canary:password) is encrypted with the KMS key alias/team-rds")
            .stderr_says("warning: STRIPE_KEY (ssm:/shared/stripe/key) is encrypted with the KMS key alias/team-stripe; the execution role may decrypt only with the AWS-managed keys, so that key's policy must allow it kms:Decrypt");
        // The operating verbs against what runs now.
        parity(&["-vvv", "status", "staging"], 0).stdout_contains("shop-staging-web:1");
        parity(&["-vvv", "status", "staging", "--format", "json"], 0).stdout_contains("\"web\"");
        parity(&["-vvv", "ps", "--env", "staging"], 0).stdout_contains("SERVICE   TASK   REVISION");
        parity(&["-vvv", "logs", "--env", "staging", "--since", "1h"], 0)
            .stdout_unchecked("the fixture's tasks may or may not have logged yet");
        parity(
            &[
                "-vvv", "run", "--env", "staging", "--detach", "web", "--", "/app", "report",
            ],
            0,
        )
        .stderr_says("parity logs");
        parity(&["-vvv", "secrets", "sync", "prod"], 0).stdout_contains("API_KEY");
        parity(&["-vvv", "promote"], 0)
            .stdout_contains("prod runs the identical digests staging runs");
        // A rollout the circuit breaker rolls back: the failure is announced too.
        fixture.scenario(serde_json::json!({"rollout": "rollback", "steps": 1}));
        std::fs::write(test.dir().join("version.txt"), "v2\n").expect("write");
        parity(&["-vvv", "deploy", "staging"], 1).stderr_says("rolled back");
        parity(&["-vvv", "rollback", "prod"], 1)
            .stderr_says("shop-prod-web: no earlier revision than 1 ever completed a rollout");
        parity(&["-vvv", "exec", "--env", "staging", "web"], 1)
            .stderr_says("the Session Manager plugin (`session-manager-plugin`) is not installed");
        parity(&["-vvv", "env", "apply", "staging", "--dry-run"], 0)
            .stdout_contains("Change set for stack parity-shop-staging (create,");
        parity(&["-vvv", "env", "show", "staging"], 1)
            .stderr_says("environment `staging` has no stack parity-shop-staging yet");
        // No managed service in this project: `db` refuses before any AWS call.
        parity(&["-vvv", "db", "staging", "--url"], 2)
            .stderr_says("no compose service is replaced by a managed service");
        // No stack: nothing to destroy, and no secret of parity's left behind
        // (the ones `secrets sync` wrote are the user's: they stay).
        parity(&["-vvv", "env", "destroy", "staging", "--yes"], 0)
            .stdout_is("")
            .stderr_says("has no stack parity-shop-staging; nothing to destroy");
        parity(&["-vvv", "env", "destroy", "nosuch", "--yes"], 2).stderr_says("nosuch");
        let texts = hook.texts();
        assert_eq!(
            texts.len(),
            6,
            "{store}: start and end of two deploys and a promote: {texts:?}"
        );
        assert!(texts[5].contains("FAILED"), "{store}: {texts:?}");
        for text in &texts {
            for form in leaked_forms(MARK) {
                assert!(
                    !text.contains(&form),
                    "{store}: a webhook payload leaks {form:?}: {text}"
                );
            }
        }
    }
}

/// The local commands on the real Docker Engine, at `-vvv` with canaries in
/// the compose file and the dotenv file (which `up --like` puts in the
/// containers): `up`, `ps`, `logs`, `exec`, `run`, `watch` and `down`, each
/// with a failure path (an unknown service, a non-zero exit, a secret used as
/// a port).
#[test]
fn canaries_never_appear_in_the_output_of_local_commands() {
    use crate::support::docker::{Stack, demo_image};
    use crate::watch::Watching;

    let stack = Stack::new("canary-local");
    let compose = format!(
        r#"
services:
  web:
    image: {image}
    command: ["web", "--port", "8080", "--files", "/srv/src"]
    init: true
    stop_grace_period: 1s
    environment:
      API_KEY: CANARY-local-api-key-1f2e
      DB_PASSWORD: CANARY-local-db-pw-6b7c
    develop:
      watch:
        - action: sync
          path: ./src
          target: /srv/src
    x-parity:
      secrets:
        API_KEY: true
        DB_PASSWORD: true
        STRIPE_KEY: "ssm:/shared/stripe/key"
"#,
        image = demo_image()
    );
    let dotenv = "API_KEY=CANARY-env-api-key-3c4d\nDB_PASSWORD=CANARY-env-db-pw-8e9f\nSTRIPE_KEY=CANARY-env-stripe-7a8b\n";
    let test = Test::new()
        .compose(&compose)
        .toml(&toml("ssm"))
        .file(".env.staging", dotenv)
        .file("src/page.txt", "version 0\n");
    let parity = |args: &[&str], status: i32| {
        let mut command = test.command();
        command
            .args(["-vvv", "-p", stack.name()])
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        check(Run::new(command.output().expect("run parity")).status(status))
    };
    parity(&["up", "--like", "staging", "--detach"], 0).stdout_unchecked("progress only");
    // The canaries did reach the container (so a trace of its creation could leak them).
    let id = stack.container_id("web").expect("web runs");
    let env = crate::support::docker::docker(&["inspect", "-f", "{{json .Config.Env}}", &id]);
    for canary in [
        "API_KEY=CANARY-env-api-key-3c4d",
        "STRIPE_KEY=CANARY-env-stripe-7a8b",
    ] {
        assert!(env.contains(canary), "{env}");
    }
    parity(&["ps"], 0).stdout_contains("web");
    parity(&["logs", "web"], 0).stdout_unchecked("the app may not have logged yet");
    parity(&["logs", "nosuch"], 2).stderr_says("nosuch");
    parity(&["exec", "-T", "web", "/app", "exit", "0"], 0)
        .stdout_unchecked("the command's own output");
    parity(
        &["exec", "-T", "web", "/app", "exit", "3", "--say", "bye"],
        3,
    )
    .stdout_unchecked("the command's own output");
    parity(&["exec", "-T", "nosuch", "/app", "exit", "0"], 2).stderr_says("nosuch");
    parity(
        &[
            "run",
            "--no-deps",
            "web",
            "--",
            "exit",
            "4",
            "--say",
            "done",
        ],
        4,
    )
    .stdout_unchecked("the command's own output");
    parity(&["run", "nosuch"], 2).stderr_says("nosuch");
    parity(&["watch", "nosuch"], 2).stderr_says("nothing to watch");

    // watch: one edit synced, then Ctrl-C.
    let watching = Watching::start(&test, &["-vvv", "-p", stack.name(), "watch"]);
    watching.wait_for("⟳ watch");
    let page = test.dir().join("src/page.txt");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut n = 1;
    while !watching.stderr().contains("synced") {
        assert!(
            std::time::Instant::now() < deadline,
            "never synced:\n{}",
            watching.stderr()
        );
        std::fs::write(&page, format!("version {n}\n")).expect("write page.txt");
        n += 1;
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let (code, stdout, stderr) = watching.stop();
    assert_eq!(code, Some(0), "{stderr}");
    for form in leaked_forms(MARK) {
        assert!(
            !stdout.contains(&form) && !stderr.contains(&form),
            "watch leaks {form:?}:\n{stdout}\n{stderr}"
        );
    }

    // A secret used as a port: every local command refuses, naming the variable.
    let bad = Test::new()
        .compose(COMPOSE_SECRET_AS_PORT)
        .toml(&toml("ssm"))
        .file(".env", "API_KEY=CANARY-dotenv-api-key-0a9b\n");
    for args in [&["ps"][..], &["down"], &["logs"], &["watch"]] {
        let mut command = bad.command();
        command
            .args(["-vvv", "-p", stack.name()])
            .args(args.iter().copied())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        check(Run::new(command.output().expect("run parity")).status(2))
            .stdout_empty()
            .stderr_says("API_KEY");
    }

    // Plain `up`: the compose file's own (canary) values replace the dotenv ones.
    parity(&["up", "--detach"], 0).stdout_unchecked("progress only");
    let id = stack.container_id("web").expect("web runs");
    let env = crate::support::docker::docker(&["inspect", "-f", "{{json .Config.Env}}", &id]);
    assert!(env.contains("API_KEY=CANARY-local-api-key-1f2e"), "{env}");
    parity(&["down"], 0).stdout_unchecked("progress only");
    assert!(stack.containers().is_empty(), "{:?}", stack.containers());
}
