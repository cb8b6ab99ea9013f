//! `parity deploy`, `promote`, `rollback` and `status` end to end: the real
//! Docker Engine builds and pushes to two real registries (Debian's
//! docker-registry, staging and prod), and ECS/SSM/Logs are moto behind the
//! ECS rollout test fixture, which steps deployments and release tasks through
//! the states ECS documents. Every failing command asserts that the cloud
//! state did not change.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::Run;
use crate::support::Test;
use crate::support::ecs_fixture::EcsFixture;
use crate::support::registry::{Registry, sha256_digest};
use crate::support::webhook::Webhook;

use crate::support::ACCOUNT;

use crate::support::RELEASE_AND_WEB as COMPOSE;

/// A project with both environments wired to the fixture and their registries
/// (also the setup of the fault and interruption tests, tests/it/faults.rs).
pub(crate) struct Pipeline {
    pub(crate) fixture: EcsFixture,
    pub(crate) staging: Registry,
    pub(crate) prod: Registry,
    pub(crate) test: Test,
}

impl Pipeline {
    pub(crate) fn new() -> Self {
        Self::with_staging("")
    }

    /// Like `new`, with extra lines in the staging environment's table.
    fn with_staging(staging_extra: &str) -> Self {
        let fixture = EcsFixture::start();
        let endpoint = fixture.endpoint();
        Self::on(fixture, staging_extra, &endpoint)
    }

    /// Like `with_staging`, on `fixture`, with parity.toml's `endpoint`
    /// (the fixture's, or a proxy's in front of it).
    pub(crate) fn on(fixture: EcsFixture, staging_extra: &str, endpoint: &str) -> Self {
        let staging = Registry::start();
        let prod = Registry::start();
        let (subnets, groups) = fixture.network();
        let env = |name: &str, registry: &Registry, extra: &str| {
            format!(
                r#"
[environments.{name}]
region = "eu-west-1"
account_id = "{ACCOUNT}"
endpoint = "{endpoint}"
cluster = "shop-{name}"
subnets = ["{subnet}"]
security_groups = ["{group}"]
execution_role_arn = "arn:aws:iam::{ACCOUNT}:role/ecsTaskExecutionRole"
registry = "{host}"
{extra}
"#,
                subnet = subnets[0],
                group = groups[0],
                host = registry.host(),
            )
        };
        let toml = format!(
            "app = \"shop\"\n{}{}",
            env("staging", &staging, staging_extra),
            env("prod", &prod, "promotes_from = \"staging\"")
        );
        let test = Test::new()
            .compose(COMPOSE)
            .toml(&toml)
            .file(
                "Dockerfile",
                "FROM scratch\nCOPY version.txt /version.txt\n",
            )
            .file("version.txt", "v1\n");
        for cluster in ["shop-staging", "shop-prod"] {
            fixture.ecs("CreateCluster", json!({"clusterName": cluster}));
        }
        for env in ["staging", "prod"] {
            fixture.ssm(
                "PutParameter",
                json!({"Name": format!("/shop/{env}/API_KEY"), "Value": "s3cret-canary", "Type": "SecureString"}),
            );
        }
        Self {
            fixture,
            staging,
            prod,
            test,
        }
    }

    /// Runs parity with `args` in the project, against the fixture.
    #[track_caller]
    pub(crate) fn parity(&self, args: &[&str]) -> Run {
        let output = self.spawn(args).wait_with_output();
        Run::new(output.expect("wait for parity"))
    }

    /// A pipeline command that must succeed: exit 0, `summary` on stdout,
    /// and the canary secret nowhere in what it printed (which looks at both
    /// streams: a successful run's progress is on stderr).
    #[track_caller]
    pub(crate) fn succeeds(&self, args: &[&str], summary: &str) -> Run {
        self.parity(args)
            .status(0)
            .stdout_contains(summary)
            .never_prints("s3cret-canary")
    }

    /// A pipeline command that must fail with `status`: nothing on stdout, and
    /// `why` on stderr.
    #[track_caller]
    pub(crate) fn fails(&self, args: &[&str], status: i32, why: &str) -> Run {
        self.parity(args)
            .status(status)
            .stdout_empty()
            .stderr_contains(why)
    }

    pub(crate) fn spawn(&self, args: &[&str]) -> Child {
        let mut cmd = self.test.command();
        cmd.args(args)
            .env_remove("AWS_PROFILE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in self.fixture.aws_env() {
            cmd.env(key, value);
        }
        cmd.spawn().expect("spawn parity")
    }

    /// A published image: the project's Dockerfile built and pushed to the
    /// staging registry outside parity (the docker CLI), as `repository:tag`;
    /// returns the reference a compose file names it by.
    pub(crate) fn publish(&self, repository_tag: &str) -> String {
        let published = format!("{}/{repository_tag}", self.staging.host());
        for args in [
            vec!["build", "-q", "-t", &published, "."],
            vec!["push", "-q", &published],
        ] {
            let out = std::process::Command::new("docker")
                .args(&args)
                .current_dir(self.test.dir())
                .output()
                .expect("docker CLI");
            assert!(
                out.status.success(),
                "docker {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        published
    }

    /// A lock someone took in 2001 and never released.
    pub(crate) fn leave_a_stale_lock(&self) {
        self.fixture.ssm(
            "PutParameter",
            json!({
                "Name": "/parity-locks/shop/staging",
                "Type": "String",
                "Value": json!({"holder": "ana@ci-7 (pid 42)", "operation": "deploy staging", "since": 1_000_000_000u64, "token": "old"}).to_string()
            }),
        );
    }

    /// Runs git in the project (a repository once `git init` ran).
    fn git(&self, args: &[&str]) {
        let status = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(self.test.dir())
            .stdout(Stdio::null())
            .status()
            .expect("git");
        assert!(status.success(), "git {args:?}");
    }

    /// Makes the project a git repository with everything committed.
    pub(crate) fn commit_all(&self) {
        self.git(&["init", "-q"]);
        self.git(&["add", "."]);
        self.git(&["commit", "-q", "-m", "v1"]);
    }

    /// Changes the code, so the next build has a new digest.
    pub(crate) fn change_code(&self, version: &str) {
        std::fs::write(self.test.dir().join("version.txt"), format!("{version}\n"))
            .expect("write version.txt");
    }

    pub(crate) fn service(&self, env: &str) -> Option<Value> {
        let out = self.fixture.ecs(
            "DescribeServices",
            json!({"cluster": format!("shop-{env}"), "services": ["shop-web"]}),
        );
        out["services"]
            .as_array()
            .and_then(|s| s.first())
            .filter(|s| s["status"] == "ACTIVE")
            .cloned()
    }

    /// The task definition the env's web service runs (`None`: no service).
    pub(crate) fn running_task_definition(&self, env: &str) -> Option<String> {
        self.service(env)
            .map(|s| s["taskDefinition"].as_str().unwrap_or_default().to_owned())
    }

    fn image_of(&self, task_definition: &str) -> String {
        let out = self.fixture.ecs(
            "DescribeTaskDefinition",
            json!({"taskDefinition": task_definition}),
        );
        out["taskDefinition"]["containerDefinitions"][0]["image"]
            .as_str()
            .expect("image")
            .to_owned()
    }

    pub(crate) fn lock_exists(&self, env: &str) -> bool {
        self.fixture.ssm_status(
            "GetParameter",
            json!({"Name": format!("/parity-locks/shop/{env}")}),
        ) == 200
    }

    /// Everything that describes the cloud state a failed command must not change.
    pub(crate) fn cloud_state(&self) -> Value {
        let families =
            self.fixture.ecs("ListTaskDefinitions", json!({}))["taskDefinitionArns"].clone();
        json!({
            "staging": self.running_task_definition("staging"),
            "prod": self.running_task_definition("prod"),
            "task_definitions": families,
            "staging_lock": self.lock_exists("staging"),
            "prod_lock": self.lock_exists("prod"),
        })
    }
}

/// `shop` of `127.0.0.1:5000/shop@sha256:...`.
fn repository_of(image: &str) -> &str {
    let name = image.split_once('@').map_or(image, |(n, _)| n);
    name.split_once('/').map_or(name, |(_, r)| r)
}

fn digest_of(image: &str) -> &str {
    image
        .split_once('@')
        .map(|(_, d)| d)
        .expect("image pinned by digest")
}

#[test]
fn deploy_staging_then_promote_prod_runs_the_identical_digest() {
    let p = Pipeline::new();
    p.parity(&["deploy", "staging"])
        .status(0)
        .stdout_contains("deployed")
        .never_prints("s3cret-canary");
    let staging_td = p
        .running_task_definition("staging")
        .expect("staging service");
    let staging_image = p.image_of(&staging_td);
    // migrate and web share one build: one image, named for the project, not
    // for whichever service came first.
    assert!(
        staging_image.starts_with(&format!("{}/shop@sha256:", p.staging.host())),
        "{staging_image}"
    );
    assert_eq!(p.staging.repositories(), ["shop"]);
    let pushed = digest_of(&staging_image).to_owned();
    let staging_manifest = p
        .staging
        .manifest(repository_of(&staging_image), &pushed)
        .expect("staging registry has the pushed manifest");
    assert_eq!(sha256_digest(&staging_manifest), pushed);

    let started = Instant::now();
    let run = p.parity(&["-v", "promote"]).status(0);
    let promote_time = started.elapsed();
    run.stdout_contains("prod runs the identical digests staging runs")
        .stderr_contains("AWS API calls:")
        .never_prints("s3cret-canary");

    let prod_td = p.running_task_definition("prod").expect("prod service");
    let prod_image = p.image_of(&prod_td);
    assert!(
        prod_image.starts_with(&format!("{}/shop@sha256:", p.prod.host())),
        "prod pulls from its own registry: {prod_image}"
    );
    assert_eq!(digest_of(&prod_image), pushed);
    let prod_manifest = p
        .prod
        .manifest(repository_of(&prod_image), &pushed)
        .expect("prod registry has the manifest by digest");
    assert_eq!(sha256_digest(&prod_manifest), pushed);
    assert_eq!(prod_manifest, staging_manifest, "byte-for-byte copy");
    eprintln!("promote took {promote_time:?} including the rollout wait");
}

#[test]
fn second_deploy_moves_staging_and_leaves_prod_alone() {
    let p = Pipeline::new();
    p.succeeds(&["deploy", "staging"], "to staging");
    p.succeeds(&["promote"], "prod runs the identical digests staging runs");
    let prod_before = p.running_task_definition("prod");
    let first = p.image_of(&p.running_task_definition("staging").unwrap());

    p.change_code("v2");
    p.succeeds(&["deploy", "staging"], "to staging");
    let second = p.image_of(&p.running_task_definition("staging").unwrap());
    assert_ne!(
        digest_of(&first),
        digest_of(&second),
        "new code, new digest"
    );
    assert_eq!(p.running_task_definition("prod"), prod_before);
    assert_eq!(
        digest_of(&p.image_of(&prod_before.unwrap())),
        digest_of(&first)
    );
}

#[test]
fn deployment_the_circuit_breaker_rolls_back_exits_1_on_the_old_revision() {
    let p = Pipeline::new();
    p.succeeds(&["deploy", "staging"], "to staging");
    let before = p.running_task_definition("staging");
    p.fixture
        .scenario(json!({"rollout": "rollback", "steps": 1}));
    p.change_code("broken");
    p.parity(&["deploy", "staging"])
        .status(1)
        .stdout_empty()
        .stderr_contains("rolled back")
        .stderr_contains("circuit breaker");
    // Settled on the previous deployment (a new deployment of the old revision).
    let service = p.service("staging").expect("service");
    assert_eq!(p.running_task_definition("staging"), before);
    assert_eq!(service["deployments"][0]["rolloutState"], "COMPLETED");
    assert!(!p.lock_exists("staging"), "lock released after failure");
}

#[test]
fn release_task_exiting_1_fails_the_deploy_and_touches_no_service() {
    let p = Pipeline::new();
    p.succeeds(&["deploy", "staging"], "to staging");
    let before = p.cloud_state();
    p.fixture.scenario(json!({
        "release_exit": 1,
        "release_log": ["running migrations", "ERROR: relation \"orders\" already exists"]
    }));
    p.change_code("v2");
    p.parity(&["deploy", "staging"])
        .status(1)
        .stdout_empty()
        .stderr_contains("migrate exited with code 1")
        .stderr_contains("relation \"orders\" already exists")
        .stderr_contains("no service was touched");
    let after = p.cloud_state();
    assert_eq!(after["staging"], before["staging"], "service untouched");
    assert_eq!(after["staging_lock"], false);
}

#[test]
fn release_failure_on_first_deploy_creates_no_service() {
    let p = Pipeline::new();
    p.fixture.scenario(json!({"release_exit": 1}));
    p.fails(&["deploy", "staging"], 1, "migrate exited with code 1");
    assert_eq!(p.service("staging"), None);
}

#[test]
fn second_deploy_while_the_first_holds_the_lock_names_the_holder() {
    let p = Pipeline::new();
    p.fixture.scenario(json!({"rollout": "stuck"}));
    let first = p.spawn(&["deploy", "staging", "--timeout", "120"]);
    let deadline = Instant::now() + Duration::from_secs(120);
    while !p.lock_exists("staging") {
        assert!(
            Instant::now() < deadline,
            "first deploy never took the lock"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let before = p.cloud_state();
    p.parity(&["deploy", "staging"])
        .status(1)
        .stdout_empty()
        .stderr_says("the staging deploy lock is held by")
        .stderr_says("(deploy staging) since");
    // The blocked deploy changed nothing (beyond the first's own progress).
    assert_eq!(p.cloud_state()["staging_lock"], before["staging_lock"]);
    p.fixture
        .scenario(json!({"rollout": "complete", "steps": 1}));
    let output = first.wait_with_output().expect("first deploy");
    Run::new(output)
        .status(0)
        .stdout_contains("to staging")
        .never_prints("s3cret-canary");
    assert!(!p.lock_exists("staging"));
}

#[test]
fn deployment_that_never_completes_fails_at_the_timeout() {
    let p = Pipeline::new();
    p.fixture.scenario(json!({"rollout": "stuck"}));
    let started = Instant::now();
    p.parity(&["deploy", "staging", "--timeout", "4"])
        .status(1)
        .stdout_empty()
        .stderr_contains("did not complete within 4s");
    assert!(started.elapsed() < Duration::from_secs(60));
    assert!(!p.lock_exists("staging"), "lock released after the timeout");
}

#[test]
fn rollback_returns_to_the_last_completed_revision() {
    let p = Pipeline::new();
    p.succeeds(&["deploy", "staging"], "to staging");
    let first = p.running_task_definition("staging").unwrap();
    p.change_code("v2");
    p.succeeds(&["deploy", "staging"], "to staging");
    assert_ne!(p.running_task_definition("staging").unwrap(), first);
    p.parity(&["rollback", "staging"])
        .status(0)
        .stdout_contains("rolled back staging")
        .never_prints("s3cret-canary");
    assert_eq!(p.running_task_definition("staging").unwrap(), first);
}

#[test]
fn rollback_runs_through_the_same_lock_and_breaks_a_stale_one_with_break_lock() {
    let p = Pipeline::new();
    p.succeeds(&["deploy", "staging"], "to staging");
    let first = p.running_task_definition("staging").unwrap();
    p.change_code("v2");
    p.succeeds(&["deploy", "staging"], "to staging");
    p.leave_a_stale_lock();
    let before = p.cloud_state();
    p.parity(&["rollback", "staging"])
        .status(1)
        .stdout_empty()
        .stderr_says("held by ana@ci-7 (pid 42)")
        .stderr_says("--break-lock");
    assert_eq!(p.cloud_state(), before, "a blocked rollback moves nothing");
    p.parity(&["rollback", "staging", "--break-lock"])
        .status(0)
        .stderr_contains("broke the staging deploy lock held by ana@ci-7")
        .stdout_contains("rolled back staging");
    assert_eq!(p.running_task_definition("staging").unwrap(), first);
    assert!(!p.lock_exists("staging"));
}

#[test]
fn rollback_of_an_environment_never_deployed_is_refused_and_changes_nothing() {
    let p = Pipeline::new();
    let before = p.cloud_state();
    p.parity(&["rollback", "staging"])
        .status(1)
        .stdout_empty()
        .stderr_contains("nothing to roll back: no service of staging is deployed");
    assert_eq!(p.cloud_state(), before);
}

#[test]
fn status_shows_revisions_digests_and_whether_prod_runs_what_staging_runs() {
    let p = Pipeline::new();
    p.succeeds(&["deploy", "staging"], "to staging");
    let json = p
        .parity(&["status", "--format", "json"])
        .status(0)
        .stderr_empty()
        .json();
    let envs = json["environments"].as_array().expect("environments");
    let prod = envs.iter().find(|e| e["environment"] == "prod").unwrap();
    assert_eq!(prod["runs_same_as_source"], false);
    let staging = envs.iter().find(|e| e["environment"] == "staging").unwrap();
    let web = staging["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "web")
        .unwrap();
    assert_eq!(web["rollout"], "COMPLETED");
    assert!(web["digest"].as_str().unwrap().starts_with("sha256:"));

    p.succeeds(&["promote"], "prod runs the identical digests staging runs");
    let json = p
        .parity(&["status", "--format", "json"])
        .status(0)
        .stderr_empty()
        .json();
    let prod = json["environments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["environment"] == "prod")
        .cloned()
        .unwrap();
    assert_eq!(prod["runs_same_as_source"], true);
    p.parity(&["status"])
        .status(0)
        .stdout_contains("prod runs exactly what staging runs")
        .stderr_empty();
}

#[test]
fn promote_refuses_when_staging_was_never_deployed() {
    let p = Pipeline::new();
    let before = p.cloud_state();
    p.parity(&["promote"])
        .status(1)
        .stdout_empty()
        .stderr_contains("refusing to promote staging to prod");
    assert_eq!(p.cloud_state(), before);
}

#[test]
fn promote_refuses_config_drift_unless_allowed() {
    let p = Pipeline::new();
    p.succeeds(&["deploy", "staging"], "to staging");
    let before = p.cloud_state();
    let drifted = COMPOSE.replace("[\"/app\", \"serve\"]", "[\"/app\", \"serve\", \"--fast\"]");
    std::fs::write(p.test.dir().join("compose.yaml"), drifted).unwrap();
    p.parity(&["promote"])
        .status(1)
        .stdout_empty()
        .stderr_says("that configuration was never verified in staging")
        .stderr_says("--allow-config-drift");
    assert_eq!(p.cloud_state(), before);
    p.succeeds(
        &["promote", "--allow-config-drift"],
        "prod runs the identical digests staging runs",
    );
}

#[test]
fn promote_refuses_while_staging_is_mid_rollout() {
    let p = Pipeline::new();
    p.succeeds(&["deploy", "staging"], "to staging");
    p.fixture.scenario(json!({"rollout": "stuck"}));
    p.change_code("v2");
    p.fails(
        &["deploy", "staging", "--timeout", "2"],
        1,
        "did not complete within 2s",
    );
    let before = p.cloud_state();
    p.parity(&["promote"])
        .status(1)
        .stdout_empty()
        .stderr_contains("mid-rollout");
    assert_eq!(p.cloud_state(), before);
}

#[test]
fn deploy_to_an_environment_fed_by_promote_needs_direct() {
    let p = Pipeline::new();
    let before = p.cloud_state();
    p.parity(&["deploy", "prod"])
        .status(2)
        .stdout_empty()
        .stderr_contains("parity promote --from staging --to prod");
    assert_eq!(p.cloud_state(), before);
}

#[test]
fn deploy_refuses_when_a_declared_secret_is_missing_in_ssm() {
    let p = Pipeline::new();
    p.fixture
        .ssm("DeleteParameter", json!({"Name": "/shop/staging/API_KEY"}));
    let before = p.cloud_state();
    p.parity(&["deploy", "staging"])
        .status(1)
        .stdout_empty()
        .stderr_contains("/shop/staging/API_KEY")
        .stderr_contains("parity secrets sync staging");
    assert_eq!(p.cloud_state(), before);
}

#[test]
fn webhook_hears_start_and_success_then_start_and_failure() {
    let hook = Webhook::start();
    let p = Pipeline::with_staging(&format!("notify_webhook = \"{}\"", hook.url));
    p.succeeds(&["deploy", "staging"], "to staging");
    p.fixture
        .scenario(json!({"rollout": "rollback", "steps": 1}));
    p.change_code("broken");
    p.fails(&["deploy", "staging"], 1, "rolled back");
    let texts = hook.texts();
    assert_eq!(texts.len(), 4, "{texts:?}");
    assert!(texts[0].contains("deploy staging") && texts[0].contains("started"));
    assert!(texts[1].contains("completed"));
    assert!(texts[2].contains("started"));
    assert!(texts[3].contains("FAILED"), "{texts:?}");
    for text in &texts {
        assert!(!text.contains("s3cret-canary"));
    }
}

#[test]
fn interrupted_deploy_exits_130_and_releases_the_lock() {
    let p = Pipeline::new();
    p.fixture.scenario(json!({"rollout": "stuck"}));
    let child = p.spawn(&["deploy", "staging", "--timeout", "120"]);
    let deadline = Instant::now() + Duration::from_secs(120);
    while !p.lock_exists("staging") {
        assert!(Instant::now() < deadline, "deploy never took the lock");
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_millis(500));
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(sent.success());
    let output = child.wait_with_output().expect("deploy");
    Run::new(output)
        .status(130)
        .stdout_empty()
        .stderr_contains("interrupted");
    assert!(!p.lock_exists("staging"), "Ctrl-C released the lock");
}

#[test]
fn break_lock_takes_over_a_stale_lock_and_says_whose_it_was() {
    let p = Pipeline::new();
    p.leave_a_stale_lock();
    let before = p.cloud_state();
    p.parity(&["deploy", "staging"])
        .status(1)
        .stdout_empty()
        .stderr_says("held by ana@ci-7 (pid 42) (deploy staging) since 2001-09-09T01:46:40Z")
        .stderr_says("the lock looks stale")
        .stderr_says("--break-lock");
    assert_eq!(p.cloud_state(), before);
    p.parity(&["deploy", "staging", "--break-lock"])
        .status(0)
        .stderr_contains("broke the staging deploy lock held by ana@ci-7")
        .stdout_contains("to staging");
    assert!(!p.lock_exists("staging"));
}

#[test]
fn deploy_tags_the_image_with_the_git_commit_marking_a_dirty_tree() {
    let p = Pipeline::new();
    p.commit_all();
    p.change_code("uncommitted");
    let run = p.parity(&["-v", "deploy", "staging"]).status(0);
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(p.test.dir())
        .output()
        .expect("git rev-parse");
    let tag = format!("{}-dirty", String::from_utf8_lossy(&commit.stdout).trim());
    run.stdout_contains(&format!("deployed {tag} to staging"))
        .stderr_contains("AWS API calls:");
    let repository = p
        .staging
        .repositories()
        .into_iter()
        .next()
        .expect("a pushed repository");
    assert!(
        p.staging.manifest(&repository, &tag).is_some(),
        "{repository}:{tag} in the staging registry"
    );
}

#[test]
fn plan_right_after_deploy_in_a_git_checkout_reports_no_changes() {
    // The commit tag and the shared build's image are computed once, so what
    // plan expects is exactly what deploy recorded.
    let p = Pipeline::new();
    p.commit_all();
    p.succeeds(&["deploy", "staging"], "to staging");
    let plan = p.parity(&["plan", "staging"]).status(0).stderr_empty();
    assert!(
        !plan.stdout().contains("change(s) from"),
        "{}",
        plan.stdout()
    );
    plan.stdout_contains("service shop-web: no changes (runs shop-staging-web:1)")
        .stdout_contains("release shop-staging-migrate: no changes (runs shop-staging-migrate:1)")
        .stdout_contains("services `migrate`, `web` share one image");
    // A new commit is a change again: the commit tag says the source moved.
    p.change_code("v2");
    p.git(&["commit", "-q", "-am", "v2"]);
    p.parity(&["plan", "staging"])
        .status(0)
        .stdout_contains("parity:commit")
        .stderr_empty();
}

#[test]
fn first_deploy_creates_the_service_privately_and_later_deploys_keep_its_desired_count() {
    let p = Pipeline::new();
    p.succeeds(&["deploy", "staging"], "to staging");
    let service = p.service("staging").expect("service created");
    assert_eq!(
        service["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"],
        "DISABLED"
    );
    assert_eq!(service["launchType"], "FARGATE");
    // Autoscaling (here: someone) changes the desired count; a deploy must not reset it.
    p.fixture.ecs(
        "UpdateService",
        json!({"cluster": "shop-staging", "service": "shop-web", "desiredCount": 3}),
    );
    p.change_code("v2");
    p.succeeds(&["deploy", "staging"], "to staging");
    assert_eq!(p.service("staging").unwrap()["desiredCount"], 3);
}

#[test]
fn a_published_image_is_deployed_pinned_to_its_registry_digest() {
    let p = Pipeline::new();
    let published = p.publish("base/worker:1");
    let compose =
        format!("{COMPOSE}  worker:\n    image: {published}\n    command: [\"/app\", \"work\"]\n");
    std::fs::write(p.test.dir().join("compose.yaml"), compose).unwrap();
    p.succeeds(&["deploy", "staging"], "to staging");
    let manifest = p
        .staging
        .manifest("base/worker", "1")
        .expect("published manifest");
    let out = p.fixture.ecs(
        "DescribeServices",
        json!({"cluster": "shop-staging", "services": ["shop-worker"]}),
    );
    let td = out["services"][0]["taskDefinition"]
        .as_str()
        .expect("worker service");
    let image = p.image_of(td);
    assert_eq!(
        image,
        format!(
            "{}/base/worker@{}",
            p.staging.host(),
            sha256_digest(&manifest)
        )
    );
    // Promote carries the same digest to prod (copied into prod's registry).
    p.succeeds(&["promote"], "prod runs the identical digests staging runs");
    let out = p.fixture.ecs(
        "DescribeServices",
        json!({"cluster": "shop-prod", "services": ["shop-worker"]}),
    );
    let prod_image = p.image_of(
        out["services"][0]["taskDefinition"]
            .as_str()
            .expect("prod worker"),
    );
    assert_eq!(digest_of(&prod_image), sha256_digest(&manifest));
    assert!(prod_image.starts_with(p.prod.host()), "{prod_image}");
}

#[test]
fn the_example_stack_deploys_with_no_cloud_only_edits() {
    // compose.example.yml as it is: a 500 ms health check with 20 retries, a
    // local-only database, a release phase and no x-parity.healthcheck. The
    // demo binary is stood in for (the fixture runs no containers).
    let p = Pipeline::new();
    let dir = p.test.dir();
    let example = std::fs::read_to_string(crate::support::repo_path("compose.example.yml"))
        .expect("compose.example.yml");
    std::fs::write(dir.join("compose.yaml"), example).unwrap();
    std::fs::create_dir_all(dir.join("demo/bin")).unwrap();
    std::fs::copy(
        crate::support::repo_path("demo/Dockerfile"),
        dir.join("demo/Dockerfile"),
    )
    .unwrap();
    std::fs::write(dir.join("demo/bin/app"), "stand-in for the demo binary\n").unwrap();
    std::fs::create_dir_all(dir.join("demo/files")).unwrap();
    std::fs::write(dir.join("demo/files/hello.txt"), "served at /files/\n").unwrap();
    p.succeeds(&["deploy", "staging"], "to staging");
    let web = p
        .running_task_definition("staging")
        .expect("the web service runs");
    let described = p
        .fixture
        .ecs("DescribeTaskDefinition", json!({"taskDefinition": web}));
    let check = &described["taskDefinition"]["containerDefinitions"][0]["healthCheck"];
    assert_eq!(
        (&check["interval"], &check["retries"]),
        (&json!(5), &json!(2)),
        "{described:#}"
    );
    let worker = p.fixture.ecs(
        "DescribeServices",
        json!({"cluster": "shop-staging", "services": ["shop-worker"]}),
    );
    assert_eq!(worker["services"][0]["status"], "ACTIVE", "{worker:#}");
}

#[test]
fn a_laptop_compose_file_deploys_with_only_x_parity_cloud_release_and_secrets() {
    // Written for `up`: a published port chosen not to collide, a fast
    // health check, service-level limits, a restart policy, a local database.
    let p = Pipeline::new();
    let compose = r#"
services:
  db:
    image: postgres:16
    volumes: [pgdata:/var/lib/postgresql/data]
    x-parity: { cloud: false }
  migrate:
    build: .
    command: ["/app", "migrate"]
    x-parity: { release: true }
  web:
    build: .
    command: ["/app", "serve"]
    restart: unless-stopped
    ports: ["10000:3000"]
    cpus: 0.5
    mem_limit: 768m
    scale: 2
    environment:
      API_KEY: local-only-value
    healthcheck:
      test: ["CMD", "/app", "health"]
      interval: 1s
      retries: 30
    x-parity: { secrets: [API_KEY] }
volumes:
  pgdata: {}
"#;
    std::fs::write(p.test.dir().join("compose.yaml"), compose).unwrap();
    p.succeeds(&["deploy", "staging"], "to staging");
    let service = p.service("staging").expect("the web service runs");
    assert_eq!(service["desiredCount"], 2, "{service:#}");
    let described = p.fixture.ecs(
        "DescribeTaskDefinition",
        json!({"taskDefinition": service["taskDefinition"]}),
    );
    let td = &described["taskDefinition"];
    let web = &td["containerDefinitions"][0];
    assert_eq!(
        (
            &td["cpu"],
            &web["memory"],
            &web["portMappings"][0]["containerPort"]
        ),
        (&json!("512"), &json!(768), &json!(3000)),
        "{described:#}"
    );
    // 1 s × 30 retries: 30 s to unhealthy, kept as 5 s × 6.
    assert_eq!(
        (
            &web["healthCheck"]["interval"],
            &web["healthCheck"]["retries"]
        ),
        (&json!(5), &json!(6)),
        "{described:#}"
    );
}

#[test]
fn deploy_with_exec_on_sets_enable_execute_command_and_a_deploy_with_it_off_clears_it() {
    let p = Pipeline::with_staging("exec = true");
    p.succeeds(&["deploy", "staging"], "to staging");
    let service = p.service("staging").expect("staging service");
    assert_eq!(service["enableExecuteCommand"], true, "{service}");
    let toml = p.test.dir().join("parity.toml");
    let text = std::fs::read_to_string(&toml).expect("read parity.toml");
    std::fs::write(&toml, text.replace("exec = true", "exec = false")).expect("write");
    p.change_code("v2");
    p.succeeds(&["deploy", "staging"], "to staging");
    let service = p.service("staging").expect("staging service");
    assert_eq!(service["enableExecuteCommand"], false, "{service}");
}
