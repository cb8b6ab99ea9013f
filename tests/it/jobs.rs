//! Scheduled jobs (`x-parity.schedule`) and autoscaling (`x-parity.scale`)
//! end to end: `deploy`, `rollback` and `status` against the ECS rollout
//! fixture (moto serves EventBridge Scheduler and Application Auto Scaling by
//! API, read back here through boto3), a real registry and the real Docker
//! Engine; `up` against the real engine; bad input exit 2 with its place.

use std::process::Stdio;

use serde_json::{Value, json};

use crate::support::docker::{Stack, demo_image};
use crate::support::ecs_fixture::EcsFixture;
use crate::support::registry::Registry;
use crate::support::{Run, Test};

use crate::support::ACCOUNT;
const SCHEDULE: &str = "parity-shop-staging-nightly";

const COMPOSE: &str = r#"
services:
  web:
    build: .
    command: ["/app", "serve"]
    ports: ["3000:3000"]
    x-parity:
      scale: { min: 2, max: 5, cpu: 60, memory: 70 }
  nightly:
    build: .
    command: ["/app", "report"]
    x-parity:
      schedule: "cron(0 3 * * ? *)"
"#;

/// One project, its staging environment wired to a fixture and a registry.
struct Jobs {
    fixture: EcsFixture,
    registry: Registry,
    test: Test,
    subnet: String,
    group: String,
}

impl Jobs {
    fn new(scheduler_role: bool) -> Self {
        let fixture = EcsFixture::start();
        let registry = Registry::start();
        let (subnets, groups) = fixture.network();
        let role = if scheduler_role {
            format!("scheduler_role_arn = \"arn:aws:iam::{ACCOUNT}:role/shop-staging-scheduler\"")
        } else {
            String::new()
        };
        let toml = format!(
            r#"app = "shop"
[environments.staging]
region = "eu-west-1"
account_id = "{ACCOUNT}"
endpoint = "{endpoint}"
cluster = "shop-staging"
subnets = ["{subnet}"]
security_groups = ["{group}"]
execution_role_arn = "arn:aws:iam::{ACCOUNT}:role/ecsTaskExecutionRole"
registry = "{host}"
{role}
"#,
            endpoint = fixture.endpoint(),
            subnet = subnets[0],
            group = groups[0],
            host = registry.host(),
        );
        let test = Test::new()
            .compose(COMPOSE)
            .toml(&toml)
            .file(
                "Dockerfile",
                "FROM scratch\nCOPY version.txt /version.txt\n",
            )
            .file("version.txt", "v1\n");
        fixture.ecs("CreateCluster", json!({"clusterName": "shop-staging"}));
        Self {
            fixture,
            registry,
            test,
            subnet: subnets[0].clone(),
            group: groups[0].clone(),
        }
    }

    fn parity(&self, args: &[&str]) -> Run {
        let mut cmd = self.test.command();
        cmd.args(args)
            .env_remove("AWS_PROFILE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in self.fixture.aws_env() {
            cmd.env(key, value);
        }
        Run::new(cmd.output().expect("run parity"))
    }

    /// A deploy that succeeds: its summary on stdout, its progress on stderr.
    #[track_caller]
    fn deploys(&self) -> Run {
        self.parity(&["deploy", "staging"])
            .status(0)
            .stdout_contains("to staging\n  shop-web: shop-staging-web:")
            .stderr_says("registered shop-staging-web:")
    }

    fn policies(&self) -> Vec<String> {
        let out = self
            .fixture
            .boto(
                "application-autoscaling",
                "describe_scaling_policies",
                json!({"ServiceNamespace": "ecs", "ResourceId": "service/shop-staging/shop-web"}),
            )
            .expect("describe_scaling_policies");
        let mut names: Vec<String> = out["ScalingPolicies"]
            .as_array()
            .expect("policies")
            .iter()
            .map(|p| p["PolicyName"].as_str().unwrap_or_default().to_owned())
            .collect();
        names.sort();
        names
    }

    fn change_code(&self, version: &str) {
        std::fs::write(self.test.dir().join("version.txt"), format!("{version}\n"))
            .expect("write version.txt");
    }

    /// The schedule as EventBridge Scheduler (moto) has it.
    fn schedule(&self) -> Result<Value, String> {
        self.fixture
            .boto("scheduler", "get_schedule", json!({"Name": SCHEDULE}))
    }

    /// `shop-staging-nightly:N`: the revision the schedule's target runs.
    fn scheduled_revision(&self) -> String {
        let schedule = self.schedule().expect("the schedule exists");
        let arn = schedule["Target"]["EcsParameters"]["TaskDefinitionArn"]
            .as_str()
            .expect("an ECS target")
            .to_owned();
        arn.rsplit_once("task-definition/")
            .map(|(_, r)| r.to_owned())
            .unwrap_or(arn)
    }

    fn web(&self) -> Value {
        self.fixture.ecs(
            "DescribeServices",
            json!({"cluster": "shop-staging", "services": ["shop-web"]}),
        )["services"][0]
            .clone()
    }

    fn scalable_targets(&self) -> Value {
        self.fixture
            .boto(
                "application-autoscaling",
                "describe_scalable_targets",
                json!({"ServiceNamespace": "ecs"}),
            )
            .expect("describe_scalable_targets")
    }
}

#[test]
fn deploy_points_the_schedule_at_the_new_revision_and_scales_the_service_without_touching_its_count()
 {
    let p = Jobs::new(true);
    let plan = p
        .parity(&["plan", "staging", "--offline"])
        .status(0)
        .stderr_empty();
    assert!(
        plan.stdout()
            .contains("job on cron(0 3 * * ? *) (schedule parity-shop-staging-nightly)"),
        "{}",
        plan.stdout()
    );
    assert!(
        plan.stdout()
            .contains("service shop-web x2, scales 2-5 on cpu 60%, memory 70%")
    );
    let json = p
        .parity(&["plan", "staging", "--offline", "--format", "json"])
        .status(0)
        .stderr_is(
            &format!("note: services `nightly`, `web` share one image, built once from . and pushed to {}/shop\n", p.registry.host()),
        )
        .json();
    assert_eq!(json["schedules"][0]["Name"], SCHEDULE);
    assert_eq!(
        json["scaling"][0]["resourceId"],
        "service/shop-staging/shop-web"
    );
    assert_eq!(
        json["services"].as_array().map(Vec::len),
        Some(1),
        "no ECS service for the job"
    );

    let deploy = p.deploys();
    assert!(
        deploy
            .stderr()
            .contains("scaling service/shop-staging/shop-web: 2-5 tasks, 2 policies"),
        "{}",
        deploy.stderr()
    );
    assert!(
        deploy.stderr().contains(
            "schedule parity-shop-staging-nightly (cron(0 3 * * ? *)) runs shop-staging-nightly:1"
        ),
        "{}",
        deploy.stderr()
    );
    let schedule = p.schedule().expect("the schedule exists after deploy");
    assert_eq!(schedule["ScheduleExpression"], "cron(0 3 * * ? *)");
    assert_eq!(schedule["FlexibleTimeWindow"]["Mode"], "OFF");
    let target = &schedule["Target"];
    assert_eq!(
        target["Arn"],
        format!("arn:aws:ecs:eu-west-1:{ACCOUNT}:cluster/shop-staging")
    );
    assert_eq!(
        target["RoleArn"],
        format!("arn:aws:iam::{ACCOUNT}:role/shop-staging-scheduler")
    );
    assert_eq!(target["RetryPolicy"]["MaximumRetryAttempts"], 3);
    let ecs = &target["EcsParameters"];
    assert_eq!(ecs["LaunchType"], "FARGATE");
    assert_eq!(
        ecs["NetworkConfiguration"]["awsvpcConfiguration"]["Subnets"],
        json!([p.subnet])
    );
    assert_eq!(
        ecs["NetworkConfiguration"]["awsvpcConfiguration"]["AssignPublicIp"],
        "DISABLED"
    );
    assert_eq!(p.scheduled_revision(), "shop-staging-nightly:1");

    let targets = p.scalable_targets();
    let web_target = &targets["ScalableTargets"][0];
    assert_eq!(web_target["ResourceId"], "service/shop-staging/shop-web");
    assert_eq!(
        (
            web_target["MinCapacity"].as_i64(),
            web_target["MaxCapacity"].as_i64()
        ),
        (Some(2), Some(5))
    );
    let policies = p
        .fixture
        .boto(
            "application-autoscaling",
            "describe_scaling_policies",
            json!({"ServiceNamespace": "ecs", "ResourceId": "service/shop-staging/shop-web"}),
        )
        .expect("describe_scaling_policies");
    let mut metrics: Vec<String> = policies["ScalingPolicies"]
        .as_array()
        .expect("policies")
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                p["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"]
                    ["PredefinedMetricType"]
                    .as_str()
                    .unwrap_or_default(),
                p["TargetTrackingScalingPolicyConfiguration"]["TargetValue"]
            )
        })
        .collect();
    metrics.sort();
    assert_eq!(
        metrics,
        [
            "ECSServiceAverageCPUUtilization 60.0",
            "ECSServiceAverageMemoryUtilization 70.0"
        ]
    );
    // The first deploy starts within the range (compose asks for 1, min is 2).
    assert_eq!(p.web()["desiredCount"], 2);

    // Application Auto Scaling moves the count; a second deploy leaves it.
    p.fixture.ecs(
        "UpdateService",
        json!({"cluster": "shop-staging", "service": "shop-web", "desiredCount": 4}),
    );
    p.change_code("v2");
    p.deploys().stderr_says(
        "schedule parity-shop-staging-nightly (cron(0 3 * * ? *)) runs shop-staging-nightly:2",
    );
    assert_eq!(p.web()["desiredCount"], 4);
    assert_eq!(p.scheduled_revision(), "shop-staging-nightly:2");
    assert_eq!(
        p.scalable_targets()["ScalableTargets"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // A run the scheduler started (group `schedule:<name>`), stopped by
    // StopTask: the fixture ends it as ECS does, SIGTERM, exit 143.
    let run = p.fixture.ecs(
        "RunTask",
        json!({
            "cluster": "shop-staging",
            "taskDefinition": "shop-staging-nightly:2",
            "launchType": "FARGATE",
            "group": format!("schedule:{SCHEDULE}"),
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": [p.subnet], "securityGroups": [p.group]}},
        }),
    );
    let task = run["tasks"][0]["taskArn"]
        .as_str()
        .expect("task")
        .to_owned();
    p.fixture
        .ecs("StopTask", json!({"cluster": "shop-staging", "task": task}));
    // The fixture reports a task RUNNING on its first DescribeTasks, STOPPED after.
    p.fixture.ecs(
        "DescribeTasks",
        json!({"cluster": "shop-staging", "tasks": [task]}),
    );
    let status = p
        .parity(&["status", "staging", "--format", "json"])
        .status(0)
        .stderr_empty()
        .json();
    let env = &status["environments"][0];
    let job = &env["jobs"][0];
    assert_eq!(job["service"], "nightly");
    assert_eq!(job["expression"], "cron(0 3 * * ? *)");
    assert_eq!(job["revision"], "shop-staging-nightly:2");
    assert_eq!(job["last_run"]["exit_code"], 143, "{status}");
    assert_eq!(
        job["last_run"]["stopped_reason"], "Task stopped by user",
        "{status}"
    );
    let web = env["services"]
        .as_array()
        .expect("services")
        .iter()
        .find(|s| s["service"] == "web")
        .expect("web");
    assert_eq!(web["scale"], json!({"min": 2, "max": 5}));
    assert_eq!(web["desired"], 4);
    let table = p.parity(&["status", "staging"]).status(0).stderr_empty();
    assert!(table.stdout().contains("(2-5)"), "{}", table.stdout());
    assert!(
        table.stdout().contains("cron(0 3 * * ? *)"),
        "{}",
        table.stdout()
    );
}

#[test]
fn a_failing_rollout_leaves_the_schedule_on_the_old_revision_and_rollback_moves_it_back() {
    let p = Jobs::new(true);
    p.deploys();
    p.change_code("v2");
    p.deploys();
    assert_eq!(p.scheduled_revision(), "shop-staging-nightly:2");

    let back = p
        .parity(&["rollback", "staging"])
        .status(0)
        .stderr_says("shop-web: shop-staging-web:2 -> shop-staging-web:1")
        .stderr_says(
            "schedule parity-shop-staging-nightly (cron(0 3 * * ? *)) runs shop-staging-nightly:1",
        );
    assert!(
        back.stdout()
            .contains(&format!("{SCHEDULE}: shop-staging-nightly:1")),
        "{}",
        back.stdout()
    );
    assert_eq!(p.scheduled_revision(), "shop-staging-nightly:1");

    p.fixture
        .scenario(json!({"rollout": "rollback", "steps": 1}));
    p.change_code("v3");
    let failed = p.parity(&["deploy", "staging"]).status(1).stdout_empty();
    assert!(
        !failed
            .stderr()
            .contains("schedule parity-shop-staging-nightly ("),
        "{}",
        failed.stderr()
    );
    assert!(
        failed.stderr().contains("circuit breaker"),
        "{}",
        failed.stderr()
    );
    assert_eq!(
        p.scheduled_revision(),
        "shop-staging-nightly:1",
        "a job never runs an image that failed to roll out"
    );
}

#[test]
fn deploy_without_the_scheduler_role_stops_before_anything_changes() {
    let p = Jobs::new(false);
    let run = p.parity(&["deploy", "staging"]).status(1).stdout_empty();
    assert!(
        run.stderr()
            .contains("job `nightly` needs the role EventBridge Scheduler runs it with"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("parity env apply staging"),
        "{}",
        run.stderr()
    );
    let registered = p.fixture.ecs("ListTaskDefinitions", json!({}));
    assert_eq!(
        registered["taskDefinitionArns"],
        json!([]),
        "nothing registered"
    );
    assert!(p.schedule().is_err(), "no schedule");
}

#[test]
fn up_does_not_start_a_job_and_run_can_name_it() {
    let stack = Stack::new("jobs");
    let compose = format!(
        r#"
services:
  worker:
    image: {image}
    command: ["worker"]
    init: true
    stop_grace_period: 1s
  nightly:
    image: {image}
    command: ["exit", "4", "--say", "report done"]
    x-parity:
      schedule: "rate(1 day)"
"#,
        image = demo_image()
    );
    let test = Test::new().compose(&compose);
    let run = |args: &[&str]| {
        Run::new(
            test.command()
                .args(["-p", stack.name()])
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .output()
                .expect("run parity"),
        )
    };
    let up = run(&["up", "--wait"])
        .status(0)
        .stdout_contains("worker    running")
        .stdout_lacks("nightly")
        .stderr_says("worker created");
    assert!(!up.stderr().contains("nightly"), "{}", up.stderr());
    assert_eq!(stack.services_created(), ["worker"]);
    // `run` names the job: it runs once, with the job's command and exit code.
    let once = run(&["run", "nightly"]).status(4).stderr_empty();
    assert_eq!(once.stdout(), "report done\n", "{}", once.stderr());
    run(&["config", "--services"])
        .status(0)
        .stderr_empty()
        .stdout_is("nightly\nworker\n");
    run(&["down"])
        .status(0)
        .stdout_empty()
        .stderr_says("worker stopped")
        .stderr_lacks("nightly");
}

#[test]
fn a_bad_schedule_or_scale_is_exit_2_at_its_place_in_the_compose_file() {
    for (block, place, message) in [
        (
            "schedule: \"cron(0 3 * * *)\"",
            "compose.yaml:6:7",
            "services.job.x-parity.schedule: `cron(0 3 * * *)` has 5 field(s)",
        ),
        (
            "schedule: \"rate(1 hours)\"",
            "compose.yaml:6:7",
            "the unit is singular for 1",
        ),
        (
            "scale: { min: 5, max: 2, cpu: 50 }",
            "compose.yaml:6:16",
            "services.job.x-parity.scale.min: min 5 is above max 2",
        ),
        (
            "scale: { min: 1, max: 2, cpu: 0 }",
            "compose.yaml:6:32",
            "services.job.x-parity.scale.cpu: 0 is not a percentage from 1 to 100",
        ),
        (
            "scale: { min: 1, max: 2, requests_per_target: 100 }",
            "compose.yaml:6:32",
            "scale.requests_per_target: the service is not behind the load balancer",
        ),
    ] {
        let compose = format!(
            "services:\n  job:\n    image: busybox\n    command: [\"true\"]\n    x-parity:\n      {block}\n"
        );
        let run = Test::new()
            .compose(&compose)
            .args(["config"])
            .run()
            .status(2);
        let stderr = run.stderr_flat();
        assert!(stderr.contains(message), "{block}: {stderr}");
        assert!(stderr.contains(place), "{block}: not at {place}: {stderr}");
        assert!(run.stdout().is_empty(), "{block}: {}", run.stdout());
    }
}

/// The same project after the job and the memory metric left the compose file.
const COMPOSE_WITHOUT_THE_JOB: &str = r#"
services:
  web:
    build: .
    command: ["/app", "serve"]
    ports: ["3000:3000"]
    x-parity:
      scale: { min: 2, max: 5, cpu: 60 }
"#;

#[test]
fn a_removed_job_loses_its_schedule_and_a_removed_metric_its_policy_and_nothing_else_goes() {
    let p = Jobs::new(true);
    p.deploys();
    assert_eq!(p.policies(), ["shop-web-cpu", "shop-web-memory"]);
    // What is not parity's: a team's own schedule and policy, and the schedule
    // of an environment whose name extends this one's (same prefix, own cluster).
    let role = format!("arn:aws:iam::{ACCOUNT}:role/shop-staging-scheduler");
    for (name, cluster) in [
        ("team-report", "shop-staging"),
        ("parity-shop-staging-eu-nightly", "shop-staging-eu"),
    ] {
        p.fixture
            .boto(
                "scheduler",
                "create_schedule",
                json!({
                    "Name": name,
                    "ScheduleExpression": "rate(1 day)",
                    "FlexibleTimeWindow": {"Mode": "OFF"},
                    "Target": {
                        "Arn": format!("arn:aws:ecs:eu-west-1:{ACCOUNT}:cluster/{cluster}"),
                        "RoleArn": role,
                        "EcsParameters": {"TaskDefinitionArn": format!("arn:aws:ecs:eu-west-1:{ACCOUNT}:task-definition/x:1")},
                    },
                }),
            )
            .expect("create_schedule");
    }
    p.fixture
        .boto(
            "application-autoscaling",
            "put_scaling_policy",
            json!({
                "PolicyName": "team-custom",
                "ServiceNamespace": "ecs",
                "ResourceId": "service/shop-staging/shop-web",
                "ScalableDimension": "ecs:service:DesiredCount",
                "PolicyType": "TargetTrackingScaling",
                "TargetTrackingScalingPolicyConfiguration": {
                    "TargetValue": 80.0,
                    "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
                },
            }),
        )
        .expect("put_scaling_policy");

    std::fs::write(p.test.dir().join("compose.yaml"), COMPOSE_WITHOUT_THE_JOB)
        .expect("write compose.yaml");
    p.deploys()
        .stderr_says("scaling service/shop-staging/shop-web: removed policy shop-web-memory (no longer in x-parity.scale)")
        .stderr_says("schedule parity-shop-staging-nightly: removed (its job is no longer in the compose file)")
        .stderr_lacks("team-")
        .stderr_lacks("staging-eu");
    assert!(p.schedule().is_err(), "the job's schedule is gone");
    for kept in ["team-report", "parity-shop-staging-eu-nightly"] {
        p.fixture
            .boto("scheduler", "get_schedule", json!({"Name": kept}))
            .unwrap_or_else(|e| panic!("{kept} was not parity's to delete: {e}"));
    }
    assert_eq!(p.policies(), ["shop-web-cpu", "team-custom"]);

    // A second deploy has nothing more to remove.
    p.change_code("v2");
    p.deploys().stderr_lacks("removed");
    assert_eq!(p.policies(), ["shop-web-cpu", "team-custom"]);
}

/// A job and a request-count metric on an environment `env apply` built.
const COMPOSE_BEHIND_THE_LOAD_BALANCER: &str = r#"
services:
  web:
    build: .
    command: ["/app", "serve"]
    ports: ["3000:3000"]
    x-parity:
      scale: { min: 1, max: 4, requests_per_target: 500 }
  nightly:
    build: .
    command: ["/app", "report"]
    x-parity:
      schedule: "rate(1 day)"
"#;

#[test]
fn env_apply_deploy_promote_scales_on_requests_and_carries_the_job_with_its_digest() {
    let fixture = EcsFixture::shared();
    let staging_registry = Registry::start();
    let prod_registry = Registry::start();
    let toml = format!(
        "app = \"jobpromo\"\n\n[environments.staging]\nregion = \"eu-west-1\"\nendpoint = \"{endpoint}\"\nregistry = \"{staging}\"\n\n\
         [environments.prod]\nregion = \"eu-west-1\"\nendpoint = \"{endpoint}\"\nregistry = \"{prod}\"\npromotes_from = \"staging\"\n",
        endpoint = fixture.endpoint(),
        staging = staging_registry.host(),
        prod = prod_registry.host(),
    );
    let test = Test::new()
        .compose(COMPOSE_BEHIND_THE_LOAD_BALANCER)
        .toml(&toml)
        .file(
            "Dockerfile",
            "FROM scratch\nCOPY version.txt /version.txt\n",
        )
        .file("version.txt", "v1\n");
    let parity = |args: &[&str]| {
        let mut cmd = test.command();
        cmd.args(args)
            .env_remove("AWS_PROFILE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in fixture.aws_env() {
            cmd.env(key, value);
        }
        Run::new(cmd.output().expect("run parity"))
    };
    for env in ["staging", "prod"] {
        parity(&["env", "apply", env, "--yes"])
            .status(0)
            .stdout_contains("(create,")
            .stderr_contains("CREATE_COMPLETE");
    }
    parity(&["deploy", "staging"])
        .status(0)
        .stdout_contains("deployed ")
        .stderr_says("scaling service/jobpromo-staging/jobpromo-web: 1-4 tasks, 1 policy")
        .stderr_says("schedule parity-jobpromo-staging-nightly (rate(1 day)) runs jobpromo-staging-nightly:1");
    parity(&["promote"])
        .status(0)
        .stdout_contains("prod runs the identical digests staging runs")
        .stderr_says(
            "schedule parity-jobpromo-prod-nightly (rate(1 day)) runs jobpromo-prod-nightly:1",
        );

    let outputs = |env: &str| -> Value {
        let stacks = fixture
            .boto(
                "cloudformation",
                "describe_stacks",
                json!({"StackName": format!("parity-jobpromo-{env}")}),
            )
            .expect("describe_stacks");
        stacks["Stacks"][0]["Outputs"]
            .as_array()
            .expect("outputs")
            .iter()
            .map(|o| {
                (
                    o["OutputKey"].as_str().unwrap().to_owned(),
                    o["OutputValue"].clone(),
                )
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let image_of = |task_definition: &str| -> String {
        fixture.ecs(
            "DescribeTaskDefinition",
            json!({"taskDefinition": task_definition}),
        )["taskDefinition"]["containerDefinitions"][0]["image"]
            .as_str()
            .expect("image")
            .to_owned()
    };
    let digest = |image: &str| {
        image
            .rsplit_once('@')
            .map(|(_, d)| d.to_owned())
            .expect("pinned")
    };
    let mut job_digests = Vec::new();
    for env in ["staging", "prod"] {
        let outputs = outputs(env);
        let cluster = outputs["ClusterName"].as_str().expect("cluster").to_owned();
        // The request-count policy names the environment's load balancer and web's target group.
        let lb = outputs["LoadBalancerArn"].as_str().expect("load balancer");
        let tg = outputs["TargetGroupWeb"].as_str().expect("target group");
        let label = format!(
            "{}/targetgroup/{}",
            lb.split_once(":loadbalancer/").expect("lb arn").1,
            tg.split_once(":targetgroup/").expect("tg arn").1
        );
        let resource = format!("service/{cluster}/jobpromo-web");
        let policies = fixture
            .boto(
                "application-autoscaling",
                "describe_scaling_policies",
                json!({"ServiceNamespace": "ecs", "ResourceId": resource}),
            )
            .expect("describe_scaling_policies");
        let policy = &policies["ScalingPolicies"][0];
        assert_eq!(
            policy["PolicyName"], "jobpromo-web-requests",
            "{env}: {policies:#}"
        );
        let metric = &policy["TargetTrackingScalingPolicyConfiguration"];
        assert_eq!(metric["TargetValue"], 500.0, "{env}");
        assert_eq!(
            metric["PredefinedMetricSpecification"],
            json!({"PredefinedMetricType": "ALBRequestCountPerTarget", "ResourceLabel": label}),
            "{env}"
        );
        let targets = fixture
            .boto(
                "application-autoscaling",
                "describe_scalable_targets",
                json!({"ServiceNamespace": "ecs", "ResourceIds": [resource]}),
            )
            .expect("describe_scalable_targets");
        assert_eq!(
            (
                targets["ScalableTargets"][0]["MinCapacity"].as_i64(),
                targets["ScalableTargets"][0]["MaxCapacity"].as_i64()
            ),
            (Some(1), Some(4)),
            "{env}"
        );

        // The job's schedule runs the environment's own revision, with the
        // environment stack's scheduler role, in the environment's network.
        let schedule = fixture
            .boto(
                "scheduler",
                "get_schedule",
                json!({"Name": format!("parity-jobpromo-{env}-nightly")}),
            )
            .unwrap_or_else(|e| panic!("{env}: the schedule exists: {e}"));
        let target = &schedule["Target"];
        assert_eq!(target["RoleArn"], outputs["SchedulerRoleArn"], "{env}");
        let revision = target["EcsParameters"]["TaskDefinitionArn"]
            .as_str()
            .expect("revision")
            .to_owned();
        assert!(
            revision.ends_with(&format!("task-definition/jobpromo-{env}-nightly:1")),
            "{env}: {revision}"
        );
        let image = image_of(&revision);
        let registry = if env == "staging" {
            staging_registry.host()
        } else {
            prod_registry.host()
        };
        assert!(
            image.starts_with(registry),
            "{env}: the job runs from its own registry: {image}"
        );
        job_digests.push(digest(&image));
    }
    assert_eq!(
        job_digests[0], job_digests[1],
        "prod's job runs the digest staging's ran"
    );
}

#[test]
fn a_schedule_name_longer_than_eventbridge_allows_is_exit_2_at_the_schedule_before_any_aws_call() {
    let service = "nightly-report-for-the-finance-team-and-the-auditors";
    let compose = format!(
        "services:\n  {service}:\n    image: busybox\n    command: [\"true\"]\n    x-parity:\n      schedule: \"rate(1 day)\"\n"
    );
    // Nothing listens on the endpoint: an AWS call would fail otherwise (exit 1).
    let toml = format!(
        r#"app = "shop"
[environments.staging]
region = "eu-west-1"
account_id = "{ACCOUNT}"
endpoint = "http://127.0.0.1:9"
cluster = "shop-staging"
subnets = ["subnet-1"]
security_groups = ["sg-1"]
execution_role_arn = "arn:aws:iam::{ACCOUNT}:role/ecsTaskExecutionRole"
scheduler_role_arn = "arn:aws:iam::{ACCOUNT}:role/shop-staging-scheduler"
"#
    );
    let test = Test::new().compose(&compose).toml(&toml);
    for args in [
        &["plan", "staging", "--offline"][..],
        &["deploy", "staging"],
    ] {
        let mut cmd = test.command();
        cmd.args(args)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        Run::new(cmd.output().expect("run parity"))
            .status(2)
            .stdout_empty()
            .stderr_says(&format!(
                "services.{service}.x-parity.schedule: in environment `staging`: the schedule name would be `parity-shop-staging-{service}`, 72 characters, and EventBridge Scheduler allows at most 64"
            ))
            .stderr_says("compose.yaml:6:7")
            .stderr_says(&format!("rename the compose service `{service}`"));
    }
}
