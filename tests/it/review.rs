//! `parity review deploy|list|destroy|prune` end to end: staging built by
//! `env apply` (moto's CloudFormation makes the VPC, cluster, ALB, target
//! group and roles), secrets synced and deployed; then review apps deployed
//! into staging's cluster and behind its load balancer, through the ECS
//! rollout fixture, with images pushed to a real registry. Staging's
//! services, task definitions, listener rules, target groups and parameters
//! are snapshotted and compared byte for byte after every review command.

use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::support::ecs_fixture::EcsFixture;
use crate::support::fault_proxy::{FaultProxy, Policy};
use crate::support::registry::Registry;
use crate::support::{Run, Test};

use crate::support::RELEASE_AND_WEB as COMPOSE;

fn parity(test: &Test, fixture: &EcsFixture, args: &[&str]) -> Run {
    Run::new(command(test, fixture, args).output().expect("run parity"))
}

/// parity with `args` against the fixture, its output captured.
fn command(test: &Test, fixture: &EcsFixture, args: &[&str]) -> Command {
    let mut cmd = test.command();
    cmd.args(args)
        .env_remove("AWS_PROFILE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in fixture.aws_env() {
        cmd.env(key, value);
    }
    cmd
}

/// A one-service project (`web`, built from a `FROM scratch` Dockerfile) with `toml`.
fn web_project(toml: &str) -> Test {
    Test::new()
        .compose("services:\n  web:\n    build: .\n    command: [\"/app\", \"serve\"]\n    ports: [\"3000:3000\"]\n")
        .toml(toml)
        .file("Dockerfile", "FROM scratch\nCOPY version.txt /version.txt\n")
        .file("version.txt", "v1\n")
}

fn git(test: &Test, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(test.dir())
        .stdout(Stdio::null())
        .status()
        .expect("git");
    assert!(status.success(), "git {args:?}");
}

/// The short commit of the project's HEAD.
fn head(test: &Test) -> String {
    let out = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(test.dir())
        .output()
        .expect("git rev-parse");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn output(fixture: &EcsFixture, stack: &str, key: &str) -> String {
    let stacks = fixture
        .boto(
            "cloudformation",
            "describe_stacks",
            json!({"StackName": stack}),
        )
        .unwrap();
    stacks["Stacks"][0]["Outputs"]
        .as_array()
        .and_then(|o| o.iter().find(|o| o["OutputKey"] == key))
        .and_then(|o| o["OutputValue"].as_str())
        .unwrap_or_else(|| panic!("output {key}: {stacks:#}"))
        .to_owned()
}

/// The HTTP listener's ARN of the stack's load balancer.
fn listener(fixture: &EcsFixture, stack: &str) -> String {
    let arn = output(fixture, stack, "LoadBalancerArn");
    fixture
        .boto(
            "elbv2",
            "describe_listeners",
            json!({"LoadBalancerArn": arn}),
        )
        .unwrap()["Listeners"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["Port"] == 80)
        .expect("the HTTP listener")["ListenerArn"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn rules(fixture: &EcsFixture, listener: &str) -> Vec<Value> {
    fixture
        .boto("elbv2", "describe_rules", json!({"ListenerArn": listener}))
        .unwrap()["Rules"]
        .as_array()
        .unwrap()
        .clone()
}

fn service(fixture: &EcsFixture, cluster: &str, name: &str) -> Option<Value> {
    fixture.ecs(
        "DescribeServices",
        json!({"cluster": cluster, "services": [name], "include": ["TAGS"]}),
    )["services"]
        .as_array()
        .and_then(|s| s.first().cloned())
        .filter(|s| s["status"] == "ACTIVE")
}

fn active_revisions(fixture: &EcsFixture, prefix: &str) -> Vec<Value> {
    // moto takes familyPrefix as a whole family: list all and filter here.
    let all = fixture.ecs("ListTaskDefinitions", json!({"status": "ACTIVE"}));
    all["taskDefinitionArns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| {
            a.as_str()
                .unwrap()
                .rsplit_once("task-definition/")
                .is_some_and(|(_, f)| f.starts_with(prefix))
        })
        .cloned()
        .collect()
}

fn parameters(fixture: &EcsFixture, path: &str) -> Vec<Value> {
    let mut out = fixture.ssm(
        "GetParametersByPath",
        json!({"Path": path, "Recursive": true, "WithDecryption": true}),
    )["Parameters"]
        .as_array()
        .unwrap()
        .clone();
    out.sort_by_key(|p| p["Name"].as_str().unwrap().to_owned());
    out
}

/// Everything of staging a review app must never change.
fn staging_snapshot(fixture: &EcsFixture, cluster: &str, listener: &str) -> Value {
    let mut services = service(fixture, cluster, "revapp-web").expect("staging's web service");
    // Moto's bookkeeping of the deployments' progress moves on its own.
    services.as_object_mut().unwrap().remove("events");
    let target_groups = fixture
        .boto("elbv2", "describe_target_groups", json!({}))
        .unwrap()["TargetGroups"]
        .as_array()
        .unwrap()
        .iter()
        // Staging's own (its stack names them); the other test in this module
        // shares the emulator and makes target groups of its own app at the same time.
        .filter(|t| {
            t["TargetGroupName"]
                .as_str()
                .unwrap()
                .starts_with("parity-revapp-")
        })
        .cloned()
        .collect::<Vec<_>>();
    let staging_parameters: Vec<Value> = parameters(fixture, "/revapp/staging")
        .into_iter()
        .filter(|p| {
            !p["Name"]
                .as_str()
                .unwrap()
                .starts_with("/revapp/staging/review/")
        })
        .collect();
    let staging_rules: Vec<Value> = rules(fixture, listener)
        .into_iter()
        .filter(|r| {
            r["Priority"]
                .as_str()
                .unwrap()
                .parse::<u32>()
                .map_or(true, |p| p < 40_000)
        })
        .collect();
    let task_definitions = active_revisions(fixture, "revapp-staging-");
    assert_eq!(task_definitions.len(), 2, "staging's migrate and web");
    json!({
        "service": services,
        "taskDefinitions": task_definitions,
        "rules": staging_rules,
        "targetGroups": target_groups,
        "parameters": staging_parameters,
    })
}

/// Two review apps next to staging, listed, one destroyed, the other pruned
/// by age; staging unchanged after each step, and each review app's own
/// resources exactly where the other's are not.
#[test]
fn review_apps_deploy_list_destroy_and_prune_beside_an_untouched_staging() {
    let fixture = EcsFixture::shared();
    let registry = Registry::start();
    let toml = format!(
        "app = \"revapp\"\n\n[environments.staging]\nregion = \"eu-west-1\"\nendpoint = \"{endpoint}\"\nregistry = \"{host}\"\n\n\
         [environments.prod]\nregion = \"eu-west-1\"\nendpoint = \"{endpoint}\"\nregistry = \"{host}\"\npromotes_from = \"staging\"\n",
        endpoint = fixture.endpoint(),
        host = registry.host(),
    );
    let test = Test::new()
        .compose(COMPOSE)
        .toml(&toml)
        .file(
            "Dockerfile",
            "FROM scratch\nCOPY version.txt /version.txt\n",
        )
        .file("version.txt", "v1\n")
        .file(".gitignore", ".env.staging\n.env.review\n")
        .file(".env.staging", "API_KEY=s3cret-canary\n");
    let run = |args: &[&str]| parity(&test, fixture, args);
    git(&test, &["init", "-q"]);
    git(&test, &["add", "."]);
    git(&test, &["commit", "-q", "-m", "v1"]);

    // Refused before anything is read or changed: prod, and names that collide or do not fit.
    run(&["review", "deploy", "pr-1", "--from", "prod"])
        .status(2)
        .stdout_empty()
        .stderr_contains("promotes from `staging`");
    run(&["review", "deploy", "staging-2"])
        .status(2)
        .stdout_empty()
        .stderr_contains("collides with environment `staging`");
    run(&["review", "deploy", "a-very-long-review-app-name"])
        .status(2)
        .stdout_empty()
        .stderr_contains("at most 23");

    run(&["env", "apply", "staging", "--yes"])
        .status(0)
        .stdout_contains("(create,")
        .stderr_contains("CREATE_COMPLETE");
    run(&["secrets", "sync", "staging"])
        .status(0)
        .never_prints("s3cret-canary");
    run(&["deploy", "staging"])
        .status(0)
        .never_prints("s3cret-canary");
    let stack = "parity-revapp-staging";
    let cluster = output(fixture, stack, "ClusterName");
    let listener = listener(fixture, stack);
    let before = staging_snapshot(fixture, &cluster, &listener);

    let first = head(&test);
    run(&["review", "deploy", "pr-1"])
        .status(0)
        .stdout_contains("review app pr-1 of staging: http://")
        .never_prints("s3cret-canary");
    std::fs::write(test.dir().join("version.txt"), "v2\n").unwrap();
    git(&test, &["commit", "-q", "-am", "v2"]);
    let second = head(&test);
    // From now on `.env.review`'s values win over staging's.
    std::fs::write(test.dir().join(".env.review"), "API_KEY=s3cret-review\n").unwrap();
    run(&["review", "deploy", "pr-2"])
        .status(0)
        .never_prints("s3cret-canary")
        .never_prints("s3cret-review");
    assert_eq!(
        staging_snapshot(fixture, &cluster, &listener),
        before,
        "staging changed"
    );

    // Each review app: its own service behind its own target group, in staging's cluster and network.
    let staging_web = service(fixture, &cluster, "revapp-web").unwrap();
    let mut review_target_groups = Vec::new();
    for (name, commit) in [("pr-1", &first), ("pr-2", &second)] {
        let web = service(fixture, &cluster, &format!("revapp-{name}-web"))
            .unwrap_or_else(|| panic!("{name}'s web service"));
        assert_eq!(web["desiredCount"], 1);
        assert_eq!(
            web["networkConfiguration"], staging_web["networkConfiguration"],
            "{name} runs in staging's network"
        );
        let target_group = web["loadBalancers"][0]["targetGroupArn"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_ne!(
            json!(target_group),
            staging_web["loadBalancers"][0]["targetGroupArn"],
            "{name} has its own target group"
        );
        let tag = |key: &str| {
            web["tags"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["key"] == key)
                .map(|t| t["value"].as_str().unwrap().to_owned())
        };
        assert_eq!(tag("parity:review").as_deref(), Some(name));
        assert_eq!(tag("parity:commit").as_deref(), Some(commit.as_str()));
        let rule = rules(fixture, &listener)
            .into_iter()
            .find(|r| r["Actions"][0]["TargetGroupArn"] == json!(target_group))
            .unwrap_or_else(|| panic!("{name}'s listener rule"));
        assert!(
            rule.to_string().contains(&format!("/{name}/*")),
            "{name}'s rule is a path prefix: {rule:#}"
        );
        review_target_groups.push(target_group);
        let secrets = parameters(fixture, &format!("/revapp/staging/review/{name}"));
        assert_eq!(secrets.len(), 1, "{secrets:#?}");
        assert_eq!(
            secrets[0]["Name"],
            format!("/revapp/staging/review/{name}/API_KEY")
        );
        let seeded = if name == "pr-1" {
            "s3cret-canary"
        } else {
            "s3cret-review"
        };
        assert_eq!(secrets[0]["Value"], seeded, "staging's, or .env.review's");
        let task = fixture.ecs(
            "DescribeTaskDefinition",
            json!({"taskDefinition": web["taskDefinition"]}),
        );
        assert_eq!(
            task["taskDefinition"]["containerDefinitions"][0]["secrets"][0]["valueFrom"]
                .as_str()
                .unwrap()
                .rsplit_once(":parameter")
                .unwrap()
                .1,
            format!("/revapp/staging/review/{name}/API_KEY"),
        );
        assert_eq!(
            active_revisions(fixture, &format!("revapp-{name}-")).len(),
            2,
            "migrate and web"
        );
    }
    // The release phase ran as each review app's own task definition.
    let released: Vec<String> = fixture
        .requests()
        .iter()
        .filter(|r| r["operation"] == "RunTask")
        .map(|r| {
            r["body"]["taskDefinition"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    for name in ["pr-1", "pr-2"] {
        assert!(
            released
                .iter()
                .any(|t| t.contains(&format!("revapp-{name}-migrate"))),
            "{name}'s release: {released:?}"
        );
    }

    let mut list = run(&["review", "list"]).status(0).stderr_empty();
    for (name, commit) in [("pr-1", &first), ("pr-2", &second)] {
        list = list
            .stdout_contains(&format!("/{name}/"))
            .stdout_contains(commit);
    }
    let listed = run(&["review", "list", "--format", "json"])
        .status(0)
        .stderr_empty()
        .json();
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed:#}");
    assert_eq!(listed[0]["name"], "pr-1");
    assert!(
        listed[0]["url"].as_str().unwrap().ends_with("/pr-1/"),
        "{listed:#}"
    );
    assert!(
        listed[0]["ageSeconds"].as_u64().unwrap() < 600,
        "{listed:#}"
    );

    run(&["review", "destroy", "pr-1"])
        .status(0)
        .stdout_contains("destroyed review app pr-1 of staging: 1 service(s), 1 target group(s), 1 listener rule(s)")
        .stderr_contains("deleting service revapp-pr-1-web");
    assert!(service(fixture, &cluster, "revapp-pr-1-web").is_none());
    assert!(active_revisions(fixture, "revapp-pr-1-").is_empty());
    assert!(parameters(fixture, "/revapp/staging/review/pr-1").is_empty());
    assert!(
        fixture
            .boto(
                "elbv2",
                "describe_target_groups",
                json!({"TargetGroupArns": [review_target_groups[0]]})
            )
            .is_err(),
        "pr-1's target group is gone"
    );
    assert!(
        service(fixture, &cluster, "revapp-pr-2-web").is_some(),
        "pr-2 intact"
    );
    assert_eq!(active_revisions(fixture, "revapp-pr-2-").len(), 2);
    assert_eq!(parameters(fixture, "/revapp/staging/review/pr-2").len(), 1);
    assert_eq!(
        staging_snapshot(fixture, &cluster, &listener),
        before,
        "staging changed"
    );
    // Destroying what is not there is a no-op (a pull request closed twice).
    run(&["review", "destroy", "pr-1"])
        .status(0)
        .stdout_contains("nothing to remove")
        .stderr_empty();

    // Prune by age: nothing is 30 days old; pr-2 back-dated by eight days is 7 days stale.
    run(&["review", "prune", "--older-than", "30d"])
        .status(0)
        .stdout_contains("no review app of staging")
        .stderr_empty();
    let eight_days_ago = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 8 * 86_400)
        .to_string();
    let pr2 = service(fixture, &cluster, "revapp-pr-2-web").unwrap();
    fixture.ecs(
        "TagResource",
        json!({"resourceArn": pr2["serviceArn"], "tags": [{"key": "parity:deployed-at", "value": eight_days_ago}]}),
    );
    fixture
        .boto(
            "elbv2",
            "add_tags",
            json!({"ResourceArns": [review_target_groups[1]], "Tags": [{"Key": "parity:deployed-at", "Value": eight_days_ago}]}),
        )
        .unwrap();
    run(&["review", "prune", "--older-than", "7d"])
        .status(0)
        .stdout_contains("destroyed review app pr-2 of staging")
        .stderr_contains("deleting service revapp-pr-2-web");
    assert!(service(fixture, &cluster, "revapp-pr-2-web").is_none());
    assert!(parameters(fixture, "/revapp/staging/review").is_empty());
    run(&["review", "list"])
        .status(0)
        .stdout_contains("no review apps of staging")
        .stderr_empty();
    assert_eq!(
        staging_snapshot(fixture, &cluster, &listener),
        before,
        "staging changed"
    );
}

/// With a domain, a review app answers on `<name>.<domain>` through a host
/// rule on staging's HTTPS listener, and its URL says so.
#[test]
fn with_a_domain_a_review_app_is_a_host_rule_on_the_https_listener() {
    let fixture = EcsFixture::shared();
    let registry = Registry::start();
    let toml = format!(
        "app = \"revhost\"\n\n[environments.staging]\nregion = \"eu-west-1\"\nendpoint = \"{endpoint}\"\nregistry = \"{host}\"\ndomain = \"staging.revhost.test\"\n",
        endpoint = fixture.endpoint(),
        host = registry.host(),
    );
    let test = web_project(&toml);
    let run = |args: &[&str]| parity(&test, fixture, args);
    run(&["env", "apply", "staging", "--yes"])
        .status(0)
        .stdout_contains("(create,")
        .stderr_contains("CREATE_COMPLETE");
    run(&["review", "deploy", "pr-9"])
        .status(0)
        .stdout_contains("review app pr-9 of staging: https://pr-9.staging.revhost.test")
        .stderr_contains("creating listener rule");
    let arn = output(fixture, "parity-revhost-staging", "LoadBalancerArn");
    let https = fixture
        .boto(
            "elbv2",
            "describe_listeners",
            json!({"LoadBalancerArn": arn}),
        )
        .unwrap()["Listeners"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["Port"] == 443)
        .expect("the HTTPS listener")["ListenerArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let rule = rules(fixture, &https)
        .into_iter()
        .find(|r| r.to_string().contains("pr-9.staging.revhost.test"))
        .expect("pr-9's host rule");
    assert_eq!(rule["Priority"], "50000", "{rule:#}");
    run(&["review", "list", "--format", "json"])
        .status(0)
        .stderr_empty()
        .stdout_contains("\"url\": \"https://pr-9.staging.revhost.test\"");
    run(&["review", "destroy", "pr-9"])
        .status(0)
        .stdout_contains("1 listener rule(s)")
        .stderr_contains("deleting service revhost-pr-9-web");
    assert!(
        !rules(fixture, &https)
            .iter()
            .any(|r| r.to_string().contains("pr-9.staging.revhost.test")),
        "the host rule is gone"
    );
}

/// Two review apps deployed at the same instant each read the listener's
/// rules, choose the same free priority and ask for it together (a barrier
/// in a proxy holds both CreateRule calls until both are there): ELB gives
/// it to one and answers the other PriorityInUse, and that one reads the
/// rules again and takes the next free priority. Each review app holds only
/// its own lock, so nothing else keeps them apart.
#[test]
fn review_apps_deployed_at_once_take_distinct_rule_priorities() {
    let fixture = EcsFixture::shared();
    let registry = Registry::start();
    let toml = |endpoint: &str| {
        format!(
            "app = \"revrace\"\n\n[environments.staging]\nregion = \"eu-west-1\"\nendpoint = \"{endpoint}\"\nregistry = \"{host}\"\n",
            host = registry.host(),
        )
    };
    let test = web_project(&toml(&fixture.endpoint()));
    let run = |args: &[&str]| parity(&test, fixture, args);
    run(&["env", "apply", "staging", "--yes"])
        .status(0)
        .stdout_contains("(create,")
        .stderr_contains("CREATE_COMPLETE");
    // The image pushed once beforehand: the two at once race for a rule, not in the registry.
    run(&["review", "deploy", "pr-0"])
        .status(0)
        .stdout_contains("review app pr-0 of staging: http://")
        .stderr_contains("(priority 50000)");
    let listener = listener(fixture, "parity-revrace-staging");

    let proxy = FaultProxy::start(
        &fixture.endpoint(),
        Policy::Barrier("CreateRule", "Action=CreateRule", 2),
    );
    std::fs::write(test.dir().join("parity.toml"), toml(&proxy.endpoint())).unwrap();
    let spawn = |name: &str| {
        command(&test, fixture, &["review", "deploy", name])
            .spawn()
            .expect("spawn parity")
    };
    let children = [spawn("pr-1"), spawn("pr-2")];
    let runs: Vec<Run> = children
        .into_iter()
        .map(|c| Run::new(c.wait_with_output().expect("review deploy")))
        .collect();
    assert!(
        proxy.held() >= 2,
        "both CreateRule calls met at the barrier"
    );
    assert_eq!(
        runs.iter()
            .filter(|r| r.stderr_flat().contains("was taken meanwhile"))
            .count(),
        1,
        "exactly one lost the race and tried again\n{}\n{}",
        runs[0].stderr(),
        runs[1].stderr()
    );
    for (run, name) in runs.into_iter().zip(["pr-1", "pr-2"]) {
        run.status(0)
            .stdout_contains(&format!("review app {name} of staging: http://"));
    }
    let mut priorities: Vec<String> = ["pr-0", "pr-1", "pr-2"]
        .iter()
        .map(|name| {
            let rule = rules(fixture, &listener)
                .into_iter()
                .find(|r| r.to_string().contains(&format!("/{name}/*")))
                .unwrap_or_else(|| panic!("{name}'s rule"));
            rule["Priority"].as_str().unwrap().to_owned()
        })
        .collect();
    priorities.sort();
    assert_eq!(priorities, ["49998", "49999", "50000"]);
}
