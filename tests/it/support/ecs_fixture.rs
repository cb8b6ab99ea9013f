//! The ECS rollout test fixture (tests/fixtures-ecs/ecs_rollout_fixture.py):
//! moto's server with ECS deployments and release tasks stepped through the
//! states ECS documents. One per test; the AWS SDK in parity talks to it
//! through `AWS_ENDPOINT_URL` as it would to moto_server.

use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;

use super::http;

/// A running fixture; stopped when dropped.
pub struct EcsFixture {
    child: Child,
    addr: String,
    /// Held open by a shared fixture: the fixture exits when it closes.
    _stdin: Option<ChildStdin>,
}

/// The region the deploy tests use.
pub const REGION: &str = "eu-west-1";

impl EcsFixture {
    /// Starts the fixture; panics (the test fails) when python3 or moto is missing.
    pub fn start() -> Self {
        Self::spawn(false)
    }

    /// One fixture for the whole test process (tests keep apart by app
    /// name); it exits when the test process does (its stdin closes).
    pub fn shared() -> &'static Self {
        static SHARED: OnceLock<EcsFixture> = OnceLock::new();
        SHARED.get_or_init(|| Self::spawn(true))
    }

    fn spawn(shared: bool) -> Self {
        let port = http::free_port();
        let addr = format!("127.0.0.1:{port}");
        let script = super::repo_path("tests/fixtures-ecs/ecs_rollout_fixture.py");
        let mut command = Command::new("python3");
        command
            .arg(&script)
            .arg("--port")
            .arg(port.to_string())
            // ACM issues a requested certificate after this many seconds (moto's default: 60).
            .env("MOTO_ACM_VALIDATION_WAIT", "2");
        if shared {
            command.arg("--exit-on-stdin-eof").stdin(Stdio::piped());
        }
        let mut child = command
            .stdout(Stdio::null())
            .stderr(log_file(port))
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start the ECS fixture ({e}); run scripts/setup (moto[server])")
            });
        http::wait_for_port(&addr, "the ECS fixture (moto)", &mut child);
        let stdin = child.stdin.take();
        Self {
            child,
            addr,
            _stdin: stdin,
        }
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The environment a parity run needs to reach the fixture with dummy credentials.
    pub fn aws_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", REGION.into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }

    /// Sets how the next deployments and release tasks behave, e.g.
    /// `{"rollout": "rollback", "steps": 2, "release_exit": 1, "release_log": [..]}`.
    pub fn scenario(&self, scenario: serde_json::Value) {
        let body = scenario.to_string();
        let response = http::request(
            &self.addr,
            "POST",
            "/_fixture/scenario",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        );
        assert_eq!(response.status, 200, "fixture scenario rejected");
    }

    /// The default VPC's subnets and security groups in [`REGION`].
    pub fn network(&self) -> (Vec<String>, Vec<String>) {
        let json = http::request(
            &self.addr,
            "GET",
            &format!("/_fixture/network?region={REGION}"),
            &[],
            b"",
        )
        .json();
        let list = |key: &str| -> Vec<String> {
            json[key]
                .as_array()
                .expect("list")
                .iter()
                .map(|v| v.as_str().expect("id").to_owned())
                .collect()
        };
        (list("subnets"), list("security_groups"))
    }

    /// Scripts the next ExecuteChangeSet of `stack` to fail on `resource`
    /// with `reason`, and CloudFormation's rollback to follow.
    pub fn fail_stack(&self, stack: &str, resource: &str, reason: &str) {
        let body =
            serde_json::json!({"fail": {"stack": stack, "resource": resource, "reason": reason}});
        let response = http::request(
            &self.addr,
            "POST",
            "/_fixture/cloudformation",
            &[("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        );
        assert_eq!(
            response.status, 200,
            "fixture cloudformation script rejected"
        );
    }

    /// Holds `stack`'s next execution IN_PROGRESS (as DescribeStacks reports
    /// it) until called again with `on` false.
    pub fn hold_stack(&self, stack: &str, on: bool) {
        let body = serde_json::json!({"hold": {"stack": stack, "on": on}});
        let response = http::request(
            &self.addr,
            "POST",
            "/_fixture/cloudformation",
            &[("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        );
        assert_eq!(response.status, 200, "fixture hold rejected");
    }

    /// Any AWS API through boto3 (moto's own dependency, so present wherever
    /// the fixture runs), for assertions on query-protocol services
    /// (CloudFormation, EC2, IAM, ELBv2). `operation` is boto3's snake_case
    /// name; the result is the response as JSON, or `Err(code)` for an AWS error.
    pub fn boto(
        &self,
        service: &str,
        operation: &str,
        params: serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        const SCRIPT: &str = r#"
import ast, json, sys, boto3, botocore.exceptions
endpoint, region, service, operation, params = sys.argv[1:6]

def fix(value):
    # moto returns CloudFormation-made inline policies as a Python repr string.
    if isinstance(value, dict):
        return {k: (document(v) if k == "PolicyDocument" and isinstance(v, str) else fix(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [fix(v) for v in value]
    return value

def document(text):
    try:
        return json.loads(text)
    except ValueError:
        return ast.literal_eval(text)

client = boto3.client(service, endpoint_url=endpoint, region_name=region,
                      aws_access_key_id="testing", aws_secret_access_key="testing")
try:
    out = getattr(client, operation)(**json.loads(params))
except botocore.exceptions.ClientError as e:
    print(json.dumps({"error": e.response["Error"]["Code"], "message": e.response["Error"].get("Message")}))
    sys.exit(0)
out.pop("ResponseMetadata", None)
print(json.dumps(fix(out), default=str))
"#;
        let output = Command::new("python3")
            .args(["-c", SCRIPT, &self.endpoint(), REGION, service, operation])
            .arg(params.to_string())
            .output()
            .expect("run python3 (boto3)");
        assert!(
            output.status.success(),
            "boto3 {service}.{operation} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let json: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("boto3 output is JSON");
        match json.get("error") {
            Some(code) => Err(format!(
                "{}: {}",
                code.as_str().unwrap_or(""),
                json["message"]
            )),
            None => Ok(json),
        }
    }

    /// API calls seen so far, by operation.
    pub fn calls(&self) -> serde_json::Value {
        http::request(&self.addr, "GET", "/_fixture/calls", &[], b"").json()
    }

    /// The bodies of the ECS RunTask and StopTask requests seen so far, in
    /// order: `[{"operation": "RunTask", "body": {...}}, ...]`.
    pub fn requests(&self) -> Vec<serde_json::Value> {
        let json = http::request(&self.addr, "GET", "/_fixture/requests", &[], b"").json();
        json.as_array().cloned().unwrap_or_default()
    }

    /// Calls the ECS JSON API directly (for asserting cloud state).
    pub fn ecs(&self, operation: &str, body: serde_json::Value) -> serde_json::Value {
        self.aws_json(
            &format!("AmazonEC2ContainerServiceV20141113.{operation}"),
            "ecs",
            body,
        )
    }

    /// Calls the CloudWatch Logs JSON API directly.
    pub fn logs(&self, operation: &str, body: serde_json::Value) -> serde_json::Value {
        self.aws_json(&format!("Logs_20140328.{operation}"), "logs", body)
    }

    /// Like [`Self::logs`], but returns the HTTP status instead of asserting
    /// success (CreateLogGroup of a group that exists).
    pub fn logs_status(&self, operation: &str, body: serde_json::Value) -> u16 {
        self.aws_request(&format!("Logs_20140328.{operation}"), "logs", &body)
            .status
    }

    /// Calls the SSM JSON API directly.
    pub fn ssm(&self, operation: &str, body: serde_json::Value) -> serde_json::Value {
        self.aws_json(&format!("AmazonSSM.{operation}"), "ssm", body)
    }

    /// Like [`Self::ssm`], but returns the HTTP status and body instead of asserting success.
    pub fn ssm_status(&self, operation: &str, body: serde_json::Value) -> u16 {
        self.aws_request(&format!("AmazonSSM.{operation}"), "ssm", &body)
            .status
    }

    fn aws_request(&self, target: &str, service: &str, body: &serde_json::Value) -> http::Response {
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=testing/20260101/{REGION}/{service}/aws4_request, SignedHeaders=host, Signature=0"
        );
        http::request(
            &self.addr,
            "POST",
            "/",
            &[
                ("Content-Type", "application/x-amz-json-1.1"),
                ("X-Amz-Target", target),
                ("Authorization", &auth),
            ],
            body.to_string().as_bytes(),
        )
    }

    fn aws_json(&self, target: &str, service: &str, body: serde_json::Value) -> serde_json::Value {
        let response = self.aws_request(target, service, &body);
        assert_eq!(
            response.status,
            200,
            "{target} failed: {}",
            String::from_utf8_lossy(&response.body)
        );
        response.json()
    }
}

/// The fixture's own log (requests, tracebacks), kept for debugging a failed test:
/// `$TMPDIR/parity-ecs-fixture-<port>.log`.
fn log_file(port: u16) -> Stdio {
    let path = std::env::temp_dir().join(format!("parity-ecs-fixture-{port}.log"));
    std::fs::File::create(&path).map_or_else(|_| Stdio::null(), Stdio::from)
}

impl Drop for EcsFixture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
