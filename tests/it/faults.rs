//! Faults from outside parity: AWS throttling and 5xx answers (a
//! fault-injecting proxy, tests/it/support/fault_proxy.rs, between parity and
//! the ECS fixture refuses requests before the emulator sees them), and two
//! commands racing for one environment; and the Docker Engine going away in
//! the middle of `up` (a proxy in front of its socket that closes).
//!
//! Every AWS call goes through the SDK's standard retry mode (src/aws/config.rs:
//! 5 attempts, exponential back-off with jitter); what outlasts it is
//! explained naming the operation (src/aws/explain.rs).

use serde_json::json;

use crate::deploy::Pipeline;
use crate::support::docker::{Stack, demo_image};
use crate::support::ecs_fixture::EcsFixture;
use crate::support::engine_proxy::{EngineProxy, Trigger};
use crate::support::fault_proxy::{Fault, FaultProxy, Policy};
use crate::support::{Run, Test};

/// Every 4th request refused, alternately throttled and 503: a call may be
/// refused, its retry is not (unless another call's request came between).
fn flaky(fixture: &EcsFixture) -> FaultProxy {
    FaultProxy::start(
        &fixture.endpoint(),
        Policy::EveryNth(4, vec![Fault::Throttle, Fault::Unavailable]),
    )
}

#[test]
fn secrets_sync_deploy_and_promote_succeed_through_throttles_and_503s() {
    let fixture = EcsFixture::start();
    let proxy = flaky(&fixture);
    let p = Pipeline::on(fixture, "", &proxy.endpoint());
    std::fs::write(
        p.test.dir().join(".env.staging"),
        "API_KEY=s3cret-canary-v2\n",
    )
    .expect("write .env.staging");
    p.parity(&["secrets", "sync", "staging"])
        .status(0)
        .stdout_contains("Wrote 1 parameter")
        .never_prints("s3cret-canary-v2");
    p.succeeds(&["deploy", "staging"], "to staging");
    p.succeeds(&["promote"], "prod runs the identical digests staging runs");
    let (seen, throttled, unavailable) = proxy.counts();
    assert!(
        throttled >= 5 && unavailable >= 5,
        "the proxy refused too little to prove anything: {seen} requests, {throttled} throttled, {unavailable} 503"
    );
    assert!(!p.lock_exists("staging") && !p.lock_exists("prod"));
    assert!(p.running_task_definition("prod").is_some());
}

/// A project of `app` whose environments' endpoint is `endpoint`.
pub(crate) fn project(app: &str, endpoint: &str, fixture: &EcsFixture) -> Test {
    let toml = format!(
        "app = \"{app}\"\n\n[environments.staging]\nregion = \"eu-west-1\"\nendpoint = \"{endpoint}\"\n"
    );
    let mut test = Test::new()
        .compose("services:\n  web:\n    build: .\n    ports: [\"8000:8000\"]\n    x-parity:\n      secrets: [API_KEY]\n")
        .toml(&toml)
        .file("Dockerfile", "FROM scratch\n")
        .file(".env.staging", "API_KEY=s3cret-canary-v3\n")
        .env_remove("AWS_PROFILE");
    for (key, value) in fixture.aws_env() {
        test = test.env(key, &value);
    }
    test
}

#[test]
fn env_apply_succeeds_through_throttles_and_503s() {
    let fixture = EcsFixture::shared();
    let proxy = flaky(fixture);
    let test =
        project("faultenv", &proxy.endpoint(), fixture).args(["env", "apply", "staging", "--yes"]);
    test.run()
        .status(0)
        .stderr_contains("CREATE_COMPLETE")
        .stdout_contains("(create,");
    let (seen, throttled, unavailable) = proxy.counts();
    assert!(
        throttled >= 1 && unavailable >= 1,
        "{seen} requests, {throttled} throttled, {unavailable} 503"
    );
    let stack = fixture
        .boto(
            "cloudformation",
            "describe_stacks",
            json!({"StackName": "parity-faultenv-staging"}),
        )
        .expect("the stack exists");
    assert_eq!(stack["Stacks"][0]["StackStatus"], "CREATE_COMPLETE");
}

#[test]
fn a_call_throttled_on_every_attempt_fails_naming_the_operation() {
    let fixture = EcsFixture::shared();
    let proxy = FaultProxy::start(&fixture.endpoint(), Policy::Always(Fault::Throttle));
    // JSON protocol (SSM): the `__type` body.
    project("faultthrottle", &proxy.endpoint(), fixture)
        .args(["secrets", "sync", "staging"])
        .run()
        .status(1)
        .stdout_empty()
        .stderr_says("ssm:")
        .stderr_says(
            "throttled by AWS, still after 5 attempts with back-off (ThrottlingException, HTTP 400",
        )
        .never_prints("s3cret-canary-v3");
    assert_eq!(proxy.counts().0, 5, "one call, five attempts");
    // Query protocol (STS, asked for the account first): the XML <ErrorResponse>.
    project("faultthrottle", &proxy.endpoint(), fixture)
        .args(["env", "apply", "staging", "--yes"])
        .run()
        .status(1)
        .stdout_empty()
        .stderr_says("sts:GetCallerIdentity: throttled by AWS, still after 5 attempts")
        .stderr_says("(Throttling, HTTP 400");
}

#[test]
fn a_service_unavailable_on_every_attempt_fails_naming_the_operation() {
    let fixture = EcsFixture::shared();
    let proxy = FaultProxy::start(&fixture.endpoint(), Policy::Always(Fault::Unavailable));
    project("faultdown", &proxy.endpoint(), fixture)
        .args(["secrets", "sync", "staging"])
        .run()
        .status(1)
        .stdout_empty()
        .stderr_says("ssm:")
        .stderr_says("the service was unavailable, still after 5 attempts with back-off")
        .stderr_says("503")
        .never_prints("s3cret-canary-v3");
    assert_eq!(proxy.counts().0, 5, "one call, five attempts");
}

/// Both commands' lock acquisitions (PutParameter of /parity-locks/...) wait
/// for each other, then reach SSM at the same instant.
fn lock_barrier(fixture: &EcsFixture) -> FaultProxy {
    FaultProxy::start(
        &fixture.endpoint(),
        Policy::Barrier("PutParameter", "parity-locks", 2),
    )
}

#[test]
fn two_deploys_started_at_the_same_instant_one_proceeds_the_other_names_the_holder() {
    let fixture = EcsFixture::start();
    let proxy = lock_barrier(&fixture);
    let p = Pipeline::on(fixture, "", &proxy.endpoint());
    // The winner's release task fails at once: each round is short, and the
    // two outcomes are told apart by what they say.
    p.fixture
        .scenario(json!({"release_exit": 1, "task_running": 0}));
    // A published image (no build, no push): the rounds race for the lock,
    // not in the registry (two pushes of one tag at once make docker-registry
    // answer 500).
    let published = p.publish("base/app:1");
    let compose = format!(
        "services:\n  migrate:\n    image: {published}\n    command: [\"/app\", \"migrate\"]\n    x-parity: {{release: true}}\n  web:\n    image: {published}\n    command: [\"/app\", \"serve\"]\n    ports: [\"3000:3000\"]\n"
    );
    std::fs::write(p.test.dir().join("compose.yaml"), compose).expect("write compose.yaml");
    let args = ["deploy", "staging"];
    for round in 0..20 {
        let children = [p.spawn(&args), p.spawn(&args)];
        let pids: Vec<u32> = children.iter().map(std::process::Child::id).collect();
        let runs: Vec<Run> = children
            .into_iter()
            .map(|c| Run::new(c.wait_with_output().expect("deploy")))
            .collect();
        let proceeded: Vec<usize> = (0..2)
            .filter(|&i| runs[i].stderr_flat().contains("migrate exited with code 1"))
            .collect();
        let refused: Vec<usize> = (0..2)
            .filter(|&i| {
                runs[i]
                    .stderr_flat()
                    .contains("the staging deploy lock is held by")
            })
            .collect();
        assert_eq!(
            (proceeded.len(), refused.len()),
            (1, 1),
            "round {round}: exactly one proceeds\n{}\n{}",
            runs[0].stderr(),
            runs[1].stderr()
        );
        let winner = pids[proceeded[0]];
        let loser = &runs[refused[0]];
        assert!(
            loser
                .stderr_flat()
                .contains(&format!("(pid {winner}) (deploy staging) since")),
            "round {round}: the refusal names the holder\n{}",
            loser.stderr()
        );
        for run in runs {
            run.status(1).stdout_empty();
        }
        assert!(!p.lock_exists("staging"), "round {round}: lock released");
    }
    assert_eq!(
        proxy.held(),
        40,
        "every acquisition went through the barrier"
    );
}

#[test]
fn two_secrets_syncs_at_once_leave_one_whole_file_never_a_mix() {
    let fixture = EcsFixture::shared();
    let proxy = lock_barrier(fixture);
    let test = project("faultsync", &proxy.endpoint(), fixture)
        .file(".env.a", "API_KEY=alpha-1\nEXTRA_A=alpha-2\n")
        .file(".env.b", "API_KEY=beta-1\nEXTRA_B=beta-2\n");
    let files = [
        json!({"API_KEY": "alpha-1", "EXTRA_A": "alpha-2"}),
        json!({"API_KEY": "beta-1", "EXTRA_B": "beta-2"}),
    ];
    for round in 0..5 {
        // A third state, so both files have something to write (a sync with
        // nothing to write takes no lock).
        fixture.ssm(
            "PutParameter",
            json!({"Name": "/faultsync/staging/API_KEY", "Value": "gamma", "Type": "SecureString", "Overwrite": true}),
        );
        for name in ["EXTRA_A", "EXTRA_B"] {
            fixture.ssm_status(
                "DeleteParameter",
                json!({"Name": format!("/faultsync/staging/{name}")}),
            );
        }
        let children: Vec<_> = [".env.a", ".env.b"]
            .iter()
            .map(|file| {
                let mut cmd = test.command();
                cmd.args(["secrets", "sync", "staging", "--prune", "--from", file])
                    .stdin(std::process::Stdio::null())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped());
                cmd.spawn().expect("spawn parity")
            })
            .collect();
        let runs: Vec<Run> = children
            .into_iter()
            .map(|c| Run::new(c.wait_with_output().expect("sync")))
            .collect();
        let codes: Vec<i32> = runs.iter().map(Run::code).collect();
        let winner = codes
            .iter()
            .position(|&c| c == 0)
            .unwrap_or_else(|| panic!("round {round}: one sync succeeds: {codes:?}"));
        let loser = 1 - winner;
        assert_eq!(codes[loser], 1, "round {round}");
        let mut runs = runs.into_iter();
        let (first, second) = (runs.next().expect("a"), runs.next().expect("b"));
        let (won, lost) = if winner == 0 {
            (first, second)
        } else {
            (second, first)
        };
        won.stdout_contains("Wrote ")
            .stderr_unchecked("the names written");
        lost.stdout_empty()
            .stderr_says("the staging deploy lock is held by")
            .stderr_says("(secrets sync staging)");
        let stored = fixture.ssm(
            "GetParametersByPath",
            json!({"Path": "/faultsync/staging", "Recursive": true, "WithDecryption": true}),
        );
        let mut state = serde_json::Map::new();
        for parameter in stored["Parameters"].as_array().expect("parameters") {
            let name = parameter["Name"].as_str().expect("name");
            let short = name.rsplit('/').next().expect("short name");
            if short.starts_with("API_KEY") || short.starts_with("EXTRA_") {
                state.insert(short.to_owned(), parameter["Value"].clone());
            }
        }
        assert_eq!(
            serde_json::Value::Object(state),
            files[winner],
            "round {round}: the store holds exactly the winner's file"
        );
    }
}

#[test]
fn the_engine_going_away_mid_up_is_one_clear_error_without_a_panic() {
    let stack = Stack::new("vanish");
    let engine = EngineProxy::start("/start", Trigger::Vanish);
    let yaml = format!(
        "services:\n  db:\n    image: {image}\n    command: [\"db\", \"--port\", \"5432\"]\n  web:\n    image: {image}\n    command: [\"web\", \"--port\", \"8080\"]\n    depends_on: [db]\n",
        image = demo_image()
    );
    let run = Test::new()
        .compose(&yaml)
        .env("DOCKER_HOST", &engine.docker_host())
        .args(["-p", stack.name(), "up", "--wait"])
        .run()
        .status(1)
        .stdout_empty()
        .stderr_lacks("panicked")
        .stderr_lacks("RUST_BACKTRACE");
    assert!(engine.gone(), "the engine went away mid-up");
    let stderr = run.stderr();
    assert_eq!(
        stderr.matches('×').count(),
        1,
        "one error, not a cascade:\n{stderr}"
    );
    assert!(stderr.contains("Docker Engine"), "{stderr}");
}

/// The pipeline's two registries, each behind a fault proxy with its
/// policy: parity.toml names the proxies, so both parity's own registry
/// client and the Docker Engine pushing for it go through them.
fn registries_behind(p: &Pipeline, staging: Policy, prod: Policy) -> (FaultProxy, FaultProxy) {
    let staging = FaultProxy::start(&format!("http://{}", p.staging.host()), staging);
    let prod = FaultProxy::start(&format!("http://{}", p.prod.host()), prod);
    let path = p.test.dir().join("parity.toml");
    let toml = std::fs::read_to_string(&path).expect("read parity.toml");
    let host = |proxy: &FaultProxy| proxy.endpoint().trim_start_matches("http://").to_owned();
    // Staging's table comes first, then prod's.
    let mut hosts = [host(&staging), host(&prod)].into_iter();
    let toml: Vec<String> = toml
        .lines()
        .map(|line| match line.starts_with("registry = ") {
            true => format!("registry = \"{}\"", hosts.next().expect("two registries")),
            false => line.to_owned(),
        })
        .collect();
    std::fs::write(&path, toml.join("\n")).expect("write parity.toml");
    (staging, prod)
}

#[test]
fn deploy_and_promote_succeed_through_registry_503s_and_resets() {
    let fixture = EcsFixture::start();
    let endpoint = fixture.endpoint();
    let p = Pipeline::on(fixture, "", &endpoint);
    // The engine's push sends about ten requests and does not retry a
    // manifest PUT itself, so parity pushes again: staging fails less often
    // than prod, where parity's own client retries request by request.
    let (staging, prod) = registries_behind(
        &p,
        Policy::EveryNth(7, vec![Fault::Unavailable, Fault::Reset]),
        Policy::EveryNth(3, vec![Fault::Unavailable, Fault::Reset]),
    );
    p.succeeds(&["deploy", "staging"], "to staging");
    p.succeeds(&["promote"], "prod runs the identical digests staging runs")
        .stderr_contains("copied ");
    let refused = |proxy: &FaultProxy| (proxy.counts().2, proxy.resets());
    let ((s503, sreset), (p503, preset)) = (refused(&staging), refused(&prod));
    assert!(
        s503 >= 1 && sreset >= 1 && p503 >= 1 && preset >= 1,
        "too few faults to prove anything: staging {s503} 503 / {sreset} resets, prod {p503} / {preset}"
    );
    assert!(!p.lock_exists("staging") && !p.lock_exists("prod"));
    let prod_image = p.fixture.ecs(
        "DescribeTaskDefinition",
        json!({"taskDefinition": p.running_task_definition("prod").expect("prod runs")}),
    )["taskDefinition"]["containerDefinitions"][0]["image"]
        .as_str()
        .expect("image")
        .to_owned();
    let (repository, digest) = prod_image
        .split_once('/')
        .and_then(|(_, rest)| rest.split_once('@'))
        .expect("registry/repository@digest");
    assert!(
        p.prod.manifest(repository, digest).is_some(),
        "the copy reached prod's registry: {prod_image}"
    );
}

#[test]
fn a_registry_answering_503_on_every_attempt_fails_naming_the_operation_and_the_lock_is_released() {
    let fixture = EcsFixture::start();
    let endpoint = fixture.endpoint();
    let p = Pipeline::on(fixture, "", &endpoint);
    let (_staging, prod) = registries_behind(
        &p,
        Policy::EveryNth(usize::MAX, vec![Fault::Unavailable]),
        Policy::Always(Fault::Unavailable),
    );
    p.succeeds(&["deploy", "staging"], "to staging");
    // promote: parity's own client copies into prod's registry.
    let before = p.cloud_state();
    let run = p
        .fails(&["promote"], 1, "still after 5 attempts with back-off")
        .stderr_says(&format!(
            "registry {}: ",
            prod.endpoint().trim_start_matches("http://")
        ))
        .stderr_says(
            "of shop: answered 503 Service Unavailable, still after 5 attempts with back-off",
        );
    assert!(!p.lock_exists("prod"), "lock released");
    assert_eq!(p.cloud_state(), before, "nothing changed");
    assert_eq!(prod.counts().0, 5, "one operation, five attempts");
    assert_eq!(run.stderr().matches('×').count(), 1, "one error");
    // deploy: parity checks that the registry answers before it builds.
    let (staging, _) = registries_behind(
        &p,
        Policy::Always(Fault::Unavailable),
        Policy::Always(Fault::Unavailable),
    );
    std::fs::write(p.test.dir().join("version.txt"), "v2\n").expect("a new build");
    p.fails(
        &["deploy", "staging"],
        1,
        "still after 5 attempts with back-off",
    )
    .stderr_says(&format!(
        "registry {}: GET /v2/: answered 503 Service Unavailable, still after 5 attempts",
        staging.endpoint().trim_start_matches("http://")
    ));
    assert!(!p.lock_exists("staging"), "lock released");
}
