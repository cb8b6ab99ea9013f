//! Request-shape tests of the ECS adapter, without a server: the SDK sends to
//! aws-smithy's `StaticReplayClient`, which records each request and answers
//! with a canned response (as cargo-lambda's deploy tests do). These pin what
//! ECS receives — operation, target header and JSON body — for the calls a
//! deploy makes; what ECS then does is tested against moto (tests/it).

use aws_smithy_http_client::test_util::{ReplayEvent, StaticReplayClient};
use aws_smithy_types::body::SdkBody;
use serde_json::{Value, json};

use super::config::AwsContext;
use super::ecs;

/// One exchange with a JSON-protocol service (`ecs`, `ssm`): any request,
/// answered with `status` and `body`.
pub(crate) fn json_answer(service: &str, status: u16, body: &Value) -> ReplayEvent {
    ReplayEvent::new(
        http::Request::builder()
            .uri(format!("https://{service}.eu-west-1.amazonaws.com/"))
            .body(SdkBody::empty())
            .expect("request"),
        http::Response::builder()
            .status(status)
            .header("content-type", "application/x-amz-json-1.1")
            .body(SdkBody::from(body.to_string()))
            .expect("response"),
    )
}

/// One ECS exchange answered with `response`.
fn answer(response: &Value) -> ReplayEvent {
    json_answer("ecs", 200, response)
}

/// Runs `call` against a context whose every request is answered by `responses`;
/// returns the requests as sent: (X-Amz-Target, JSON body).
pub(crate) fn sent<T>(
    responses: &[Value],
    call: impl AsyncFnOnce(&AwsContext) -> crate::error::Result<T>,
) -> (T, Vec<(String, Value)>) {
    let replay = StaticReplayClient::new(responses.iter().map(answer).collect());
    let ctx = AwsContext::with_http_client(replay.clone(), "eu-west-1");
    let out = crate::commands::block_on(call(&ctx)).expect("the call succeeds");
    let requests = replay
        .actual_requests()
        .map(|r| {
            let target = r
                .headers()
                .get("x-amz-target")
                .unwrap_or_default()
                .to_owned();
            let body = r.body().bytes().expect("an in-memory body");
            (target, serde_json::from_slice(body).expect("a JSON body"))
        })
        .collect();
    (out, requests)
}

const ECS: &str = "AmazonEC2ContainerServiceV20141113";
const TD_ARN: &str = "arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-staging-web:7";

#[test]
fn register_task_definition_sends_the_plans_request_byte_for_byte() {
    let request = json!({
        "family": "shop-staging-web",
        "containerDefinitions": [{"name": "web", "image": "127.0.0.1:5000/shop@sha256:ab"}],
        "requiresCompatibilities": ["FARGATE"],
        "tags": [{"key": "parity:commit", "value": "0123456789ab"}]
    });
    let response = json!({"taskDefinition": {"taskDefinitionArn": TD_ARN}});
    let (arn, requests) = sent(&[response], async |ctx| {
        ecs::register_task_definition(ctx, &request).await
    });
    assert_eq!(arn, TD_ARN);
    assert_eq!(
        requests,
        [(format!("{ECS}.RegisterTaskDefinition"), request.clone())],
        "not the SDK's placeholder: the plan's JSON"
    );
}

#[test]
fn update_service_names_only_the_revision_and_leaves_the_desired_count_alone() {
    let response = json!({"service": {"serviceName": "shop-web", "deployments": [
        {"id": "ecs-svc/2", "status": "PRIMARY", "taskDefinition": TD_ARN},
        {"id": "ecs-svc/1", "status": "ACTIVE"}
    ]}});
    let (deployment, requests) = sent(&[response], async |ctx| {
        ecs::update_service(ctx, "shop-staging", "shop-web", TD_ARN, None, None).await
    });
    assert_eq!(deployment, "ecs-svc/2", "the PRIMARY deployment is ours");
    assert_eq!(
        requests,
        [(
            format!("{ECS}.UpdateService"),
            json!({"cluster": "shop-staging", "service": "shop-web", "taskDefinition": TD_ARN})
        )]
    );
}

/// Service Connect rides along on CreateService (the plan's request, sent
/// as it is) and on UpdateService: every service is published under its
/// compose name in the environment's namespace.
#[test]
fn create_and_update_service_carry_the_service_connect_configuration() {
    let config = json!({
        "enabled": true,
        "namespace": "arn:aws:servicediscovery:eu-west-1:123456789012:namespace/ns-1",
        "services": [{"portName": "api-8080", "discoveryName": "api-8080",
                      "clientAliases": [{"port": 8080, "dnsName": "api"}]}]
    });
    let create = json!({
        "cluster": "shop-staging", "serviceName": "shop-api", "taskDefinition": TD_ARN,
        "desiredCount": 1, "launchType": "FARGATE", "serviceConnectConfiguration": config
    });
    let response = json!({"service": {"serviceName": "shop-api", "deployments": [
        {"id": "ecs-svc/1", "status": "PRIMARY", "taskDefinition": TD_ARN}
    ]}});
    let (_, requests) = sent(&[response.clone(), response], async |ctx| {
        ecs::create_service(ctx, &create).await?;
        ecs::update_service(
            ctx,
            "shop-staging",
            "shop-api",
            TD_ARN,
            Some(true),
            Some(&config),
        )
        .await
    });
    assert_eq!(
        requests,
        [
            (format!("{ECS}.CreateService"), create.clone()),
            (
                format!("{ECS}.UpdateService"),
                json!({"cluster": "shop-staging", "service": "shop-api",
                       "taskDefinition": TD_ARN, "serviceConnectConfiguration": config,
                       "enableExecuteCommand": true})
            )
        ]
    );
}

#[test]
fn run_task_sends_the_release_request_as_given() {
    let request = json!({
        "cluster": "shop-staging",
        "launchType": "FARGATE",
        "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"], "assignPublicIp": "DISABLED"}},
        "taskDefinition": TD_ARN,
        "startedBy": "parity-release"
    });
    let task = "arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/abc";
    let response = json!({"tasks": [{"taskArn": task}], "failures": []});
    let (arn, requests) = sent(&[response], async |ctx| {
        ecs::run_task(ctx, &request, "the release task").await
    });
    assert_eq!(arn, task);
    assert_eq!(requests, [(format!("{ECS}.RunTask"), request.clone())]);
}

#[test]
fn run_task_failures_are_reported_not_ignored() {
    let replay = StaticReplayClient::new(vec![answer(&json!({
        "tasks": [],
        "failures": [{"arn": "x", "reason": "RESOURCE:MEMORY"}]
    }))]);
    let ctx = AwsContext::with_http_client(replay, "eu-west-1");
    let err = crate::commands::block_on(ecs::run_task(
        &ctx,
        &json!({"taskDefinition": TD_ARN}),
        "the release task",
    ))
    .unwrap_err();
    assert_eq!(
        err.message(),
        "the release task could not start: RESOURCE:MEMORY"
    );
}

#[test]
fn describe_task_definition_asks_for_tags_and_reads_images_and_tags() {
    let response = json!({
        "taskDefinition": {
            "taskDefinitionArn": TD_ARN, "family": "shop-staging-web", "revision": 7,
            "containerDefinitions": [{"name": "web", "image": "r/shop@sha256:ab"}, {"name": "envoy", "image": "envoy:1"}]
        },
        "tags": [{"key": "parity:completed", "value": "1"}]
    });
    let (info, requests) = sent(&[response], async |ctx| {
        ecs::describe_task_definition(ctx, TD_ARN).await
    });
    assert_eq!(
        requests,
        [(
            format!("{ECS}.DescribeTaskDefinition"),
            json!({"taskDefinition": TD_ARN, "include": ["TAGS"]})
        )]
    );
    assert_eq!(
        (info.family.as_str(), info.revision),
        ("shop-staging-web", 7)
    );
    assert_eq!(
        info.images,
        [
            ("web".to_owned(), "r/shop@sha256:ab".to_owned()),
            ("envoy".to_owned(), "envoy:1".to_owned())
        ]
    );
    assert_eq!(
        info.tags.get("parity:completed").map(String::as_str),
        Some("1")
    );
}

#[test]
fn update_service_turns_ecs_exec_on_or_off_when_told() {
    let response = json!({"service": {"deployments": [{"id": "ecs-svc/3", "status": "PRIMARY"}]}});
    for exec in [true, false] {
        let (_, requests) = sent(std::slice::from_ref(&response), async |ctx| {
            ecs::update_service(ctx, "shop-staging", "shop-web", TD_ARN, Some(exec), None).await
        });
        assert_eq!(
            requests,
            [(
                format!("{ECS}.UpdateService"),
                json!({"cluster": "shop-staging", "service": "shop-web", "taskDefinition": TD_ARN, "enableExecuteCommand": exec})
            )]
        );
    }
}
