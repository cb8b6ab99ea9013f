//! Time to first deploy: the README's quick start, exactly, on the example
//! stack (compose.example.yml and the demo image) against the emulator —
//! moto behind the ECS rollout test fixture, not AWS — and a real registry:
//! `parity init` → `parity env apply staging` → `parity secrets sync
//! staging` → `parity deploy staging`. No AWS identifier is typed by hand:
//! parity.toml holds what `init` wrote plus the test registry's host, and
//! the AWS settings are the environment's (`AWS_ENDPOINT_URL`, the region).

use serde_json::json;

use crate::env::{output, stack};
use crate::support::ecs_fixture::EcsFixture;
use crate::support::registry::{Registry, sha256_digest};
use crate::support::{Run, Test};

/// The app (and directory) name; the shared fixture keeps tests apart by it.
const APP: &str = "firstdeploy";

/// Runs parity in the project with `args` (the project keeps its files between runs).
fn run(test: &Test, args: &[&str]) -> Run {
    let mut command = test.command();
    command.args(args);
    Run::new(command.output().expect("run parity"))
}

/// The example stack as a user has it: compose.yaml and demo/ with the
/// example binary built (the same image `parity up` runs locally).
fn example_project(fixture: &EcsFixture) -> Test {
    let demo = crate::support::docker::demo_context();
    let mut test = Test::new()
        .file(
            &format!("{APP}/compose.yaml"),
            &std::fs::read_to_string(crate::support::repo_path("compose.example.yml"))
                .expect("compose.example.yml"),
        )
        .cwd(APP)
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/dev/null");
    for (key, value) in fixture.aws_env() {
        test = test.env(key, &value);
    }
    let target = test.dir().join(APP).join("demo");
    std::fs::create_dir_all(target.join("bin")).expect("demo/bin");
    std::fs::create_dir_all(target.join("files")).expect("demo/files");
    for file in ["Dockerfile", "bin/app", "files/hello.txt"] {
        std::fs::copy(demo.join(file), target.join(file))
            .unwrap_or_else(|e| panic!("copy demo/{file}: {e}"));
    }
    test
}

#[test]
fn init_env_apply_secrets_sync_deploy_on_the_example_stack_with_nothing_typed_by_hand() {
    let fixture = EcsFixture::shared();
    let registry = Registry::start();
    let test = example_project(fixture);
    let toml_path = test.dir().join(APP).join("parity.toml");

    run(&test, &["init"])
        .status(0)
        .stderr_empty()
        .stdout_contains("region eu-west-1")
        .stdout_contains("next:\n  parity env apply staging\n  parity secrets sync staging\n  parity deploy staging\n");
    // The one line a test adds: the emulated account has no ECR to push to.
    let written = std::fs::read_to_string(&toml_path).expect("init wrote parity.toml");
    let with_registry = written.replacen(
        "[environments.staging]\n",
        &format!(
            "[environments.staging]\nregistry = \"{}\"\n",
            registry.host()
        ),
        1,
    );
    assert_ne!(with_registry, written, "init wrote a staging table");
    std::fs::write(&toml_path, &with_registry).expect("write parity.toml");

    run(&test, &["env", "apply", "staging", "--yes"])
        .status(0)
        .stdout_contains("(create,")
        .stderr_contains("CREATE_COMPLETE");
    run(&test, &["secrets", "sync", "staging"])
        .status(0)
        .stderr_empty()
        .stdout_contains("nothing to sync");
    run(&test, &["deploy", "staging"])
        .status(0)
        .stdout_contains("to staging")
        .stderr_contains("release");

    // Nothing was typed into parity.toml (nor written back by a command):
    // its keys are init's and the registry, so no account, ARN, subnet,
    // security group, cluster, role or endpoint.
    let toml = std::fs::read_to_string(&toml_path).expect("parity.toml");
    assert_eq!(toml, with_registry, "parity.toml changed");
    let table: toml::Table = toml.parse().expect("parity.toml parses");
    let keys = |value: &toml::Value| -> Vec<String> {
        value.as_table().expect("a table").keys().cloned().collect()
    };
    assert_eq!(
        keys(&toml::Value::Table(table.clone())),
        ["app", "environments"],
        "{toml}"
    );
    let environments = &table["environments"];
    assert_eq!(keys(environments), ["prod", "staging"], "{toml}");
    assert_eq!(
        keys(&environments["staging"]),
        ["region", "registry"],
        "{toml}"
    );
    assert_eq!(
        keys(&environments["prod"]),
        ["promotes_from", "region"],
        "{toml}"
    );

    // The deploy really completed: both cloud services run their new task
    // definitions in the stack's cluster, the rollout COMPLETED, and the
    // image is the registry's manifest, pinned by digest.
    let created = stack(fixture, &format!("parity-{APP}-staging")).expect("the stack exists");
    let cluster = output(&created, "ClusterName");
    let services = fixture.ecs(
        "DescribeServices",
        json!({"cluster": cluster, "services": [format!("{APP}-web"), format!("{APP}-worker")]}),
    );
    let services = services["services"].as_array().expect("services");
    assert_eq!(services.len(), 2, "{services:#?}");
    for service in services {
        assert_eq!(service["status"], "ACTIVE", "{service:#}");
        let primary = &service["deployments"][0];
        assert_eq!(primary["rolloutState"], "COMPLETED", "{service:#}");
        assert_eq!(
            primary["runningCount"], primary["desiredCount"],
            "{service:#}"
        );
        let described = fixture.ecs(
            "DescribeTaskDefinition",
            json!({"taskDefinition": service["taskDefinition"]}),
        );
        let image = described["taskDefinition"]["containerDefinitions"][0]["image"]
            .as_str()
            .expect("image")
            .to_owned();
        let (name, digest) = image.split_once('@').expect("image pinned by digest");
        let repository = name
            .strip_prefix(&format!("{}/", registry.host()))
            .unwrap_or_else(|| panic!("{image} is not in the test registry"));
        let manifest = registry
            .manifest(repository, digest)
            .unwrap_or_else(|| panic!("the registry has no {image}"));
        assert_eq!(sha256_digest(&manifest), digest);
    }
    // The release phase (migrate) ran once, as a one-off task, before the rollout.
    let run_tasks: Vec<String> = fixture
        .requests()
        .into_iter()
        .filter(|r| r["operation"] == "RunTask")
        .filter_map(|r| r["body"]["taskDefinition"].as_str().map(str::to_owned))
        .filter(|t| t.contains(APP))
        .collect();
    assert_eq!(run_tasks.len(), 1, "{run_tasks:?}");
    assert!(
        run_tasks[0].contains(&format!(":task-definition/{APP}-staging-migrate:")),
        "{run_tasks:?}"
    );
}
