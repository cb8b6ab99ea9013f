//! A private `moto_server` per test: AWS's APIs (SSM, ECS, ECR, Logs, ...) on
//! 127.0.0.1, reached by parity through the real AWS SDK.
//!
//! Each test starts its own server on a free port, so tests run in parallel
//! without resetting each other's state; the server is killed when the
//! [`Moto`] value drops. If moto cannot start, the test fails with a message
//! saying how to install it — never a silent skip.
//!
//! [`Moto::ssm`] gives assertions a view of moto's Parameter Store through
//! the same SDK (values decrypted, versions, tiers, tags).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::Test;

/// Region every moto test uses.
pub const REGION: &str = "eu-west-1";

/// One running moto_server, killed on drop.
pub struct Moto {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Moto {
    /// Starts moto_server on a free 127.0.0.1 port and waits until it answers.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// moto_server with IAM authorization on, holding one user `ci` allowed
    /// everything except `denied` (IAM actions such as `ssm:PutParameter`).
    /// Returns the server and that user's access key id and secret.
    pub fn with_user_denied(denied: &[&str]) -> (Self, String, String) {
        // Three unauthenticated calls create the user, its policy and its key;
        // every later request is checked against IAM.
        let moto = Self::start_with(&[("INITIAL_NO_AUTH_ACTION_COUNT", "3")]);
        let denied = denied
            .iter()
            .map(|action| format!("\"{action}\""))
            .collect::<Vec<_>>()
            .join(",");
        let script = format!(
            r#"
import boto3, json
iam = boto3.client("iam", endpoint_url="{endpoint}", region_name="{REGION}",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
iam.create_user(UserName="ci")
iam.put_user_policy(UserName="ci", PolicyName="all-but", PolicyDocument=json.dumps({{
    "Version": "2012-10-17",
    "Statement": [
        {{"Effect": "Allow", "Action": "*", "Resource": "*"}},
        {{"Effect": "Deny", "Action": [{denied}], "Resource": "*"}},
    ]}}))
key = iam.create_access_key(UserName="ci")["AccessKey"]
print(key["AccessKeyId"], key["SecretAccessKey"])
"#,
            endpoint = moto.endpoint(),
        );
        let output = Command::new("python3")
            .args(["-c", &script])
            .output()
            .expect("python3 (with boto3, installed alongside moto) creates the IAM user");
        assert!(
            output.status.success(),
            "creating the IAM user on moto failed: {}\n--- moto output\n{}",
            String::from_utf8_lossy(&output.stderr),
            moto.log()
        );
        let keys = String::from_utf8_lossy(&output.stdout).into_owned();
        let mut keys = keys.split_whitespace().map(str::to_owned);
        let (Some(id), Some(secret)) = (keys.next(), keys.next()) else {
            panic!("the IAM helper printed no access key");
        };
        (moto, id, secret)
    }

    /// Starts moto_server with extra environment variables (moto's own settings).
    fn start_with(env: &[(&str, &str)]) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("parity-moto-")
            .tempdir()
            .expect("temp dir for moto");
        let mut last_error = String::new();
        // A free port can be taken between probing and binding; try a few.
        for _ in 0..3 {
            let port = free_port();
            let log = dir.path().join(format!("moto-{port}.log"));
            let log_file = std::fs::File::create(&log).expect("moto log file");
            let spawned = Command::new("python3")
                .args([
                    "-m",
                    "moto.server",
                    "-H",
                    "127.0.0.1",
                    "-p",
                    &port.to_string(),
                ])
                .envs(env.iter().copied())
                .stdin(Stdio::null())
                .stdout(log_file.try_clone().expect("log handle"))
                .stderr(log_file)
                .spawn();
            let mut child = match spawned {
                Ok(child) => child,
                Err(err) => panic!(
                    "cannot run `python3 -m moto.server` ({err}); install it with scripts/setup \
                     (pip install 'moto[server]')"
                ),
            };
            match wait_ready(&mut child, port) {
                Ok(()) => {
                    return Self {
                        child,
                        port,
                        log,
                        _dir: dir,
                    };
                }
                Err(reason) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let output = std::fs::read_to_string(&log).unwrap_or_default();
                    last_error = format!("{reason}\n--- moto output\n{output}");
                }
            }
        }
        panic!(
            "moto_server did not start on 127.0.0.1 (install with scripts/setup: pip install \
             'moto[server]'): {last_error}"
        );
    }

    /// The endpoint URL (`http://127.0.0.1:PORT`).
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// moto's own log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// An SDK client on this server, for seeding and inspecting state.
    pub fn ssm_client(&self) -> aws_sdk_ssm::Client {
        let config = aws_sdk_ssm::Config::builder()
            .behavior_version(aws_sdk_ssm::config::BehaviorVersion::latest())
            .region(aws_sdk_ssm::config::Region::new(REGION))
            .endpoint_url(self.endpoint())
            .credentials_provider(aws_sdk_ssm::config::Credentials::new(
                "testing", "testing", None, None, "moto",
            ))
            .build();
        aws_sdk_ssm::Client::from_conf(config)
    }

    /// A view of moto's Parameter Store.
    pub fn ssm(&self) -> Ssm<'_> {
        Ssm { moto: self }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Test {
    /// Points parity at `moto` through the standard AWS chain: dummy static
    /// credentials and `AWS_ENDPOINT_URL`, with the caller's own AWS settings
    /// (profiles, config files, instance metadata) shut out.
    pub fn aws(self, moto: &Moto) -> Self {
        self.aws_isolated()
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_ENDPOINT_URL", &moto.endpoint())
    }

    /// No AWS settings from the caller's environment, no credentials at all.
    pub fn aws_isolated(self) -> Self {
        // Empty files rather than missing ones: the SDK warns about missing ones.
        let empty = self.dir().join(".aws-empty-config");
        let empty = empty.to_string_lossy().into_owned();
        let mut test = self.file(".aws-empty-config", "");
        for var in [
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_SSM",
            "AWS_ENDPOINT_URL_ECS",
            "AWS_ENDPOINT_URL_ECR",
            "AWS_ENDPOINT_URL_STS",
            "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
            "AWS_ENDPOINT_URL_SECRETS_MANAGER",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_ROLE_ARN",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        ] {
            test = test.env_remove(var);
        }
        test.env("AWS_CONFIG_FILE", &empty)
            .env("AWS_SHARED_CREDENTIALS_FILE", &empty)
            .env("AWS_EC2_METADATA_DISABLED", "true")
    }
}

/// One parameter as moto holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    pub value: String,
    pub version: i64,
    pub kind: String,
    pub tier: String,
    pub key_id: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// Assertions on moto's Parameter Store.
pub struct Ssm<'a> {
    moto: &'a Moto,
}

impl Ssm<'_> {
    /// Every parameter under `path` (recursive), values decrypted, with tags.
    pub fn parameters(&self, path: &str) -> BTreeMap<String, Parameter> {
        let client = self.moto.ssm_client();
        runtime().block_on(async move {
            let mut out = BTreeMap::new();
            let mut pages = client
                .get_parameters_by_path()
                .path(path)
                .recursive(true)
                .with_decryption(true)
                .into_paginator()
                .send();
            let mut listed = Vec::new();
            while let Some(page) = pages.next().await {
                let page = page.expect("moto GetParametersByPath");
                listed.extend(page.parameters.unwrap_or_default());
            }
            let mut described = BTreeMap::new();
            let mut pages = client.describe_parameters().into_paginator().send();
            while let Some(page) = pages.next().await {
                let page = page.expect("moto DescribeParameters");
                for meta in page.parameters.unwrap_or_default() {
                    if let Some(name) = meta.name.clone() {
                        described.insert(name, meta);
                    }
                }
            }
            for parameter in listed {
                let name = parameter.name.clone().expect("parameter name");
                let tags = client
                    .list_tags_for_resource()
                    .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
                    .resource_id(&name)
                    .send()
                    .await
                    .expect("moto ListTagsForResource")
                    .tag_list
                    .unwrap_or_default()
                    .into_iter()
                    .map(|tag| (tag.key, tag.value))
                    .collect();
                let meta = described.get(&name);
                out.insert(
                    name,
                    Parameter {
                        value: parameter.value.unwrap_or_default(),
                        version: parameter.version,
                        kind: parameter
                            .r#type
                            .map(|t| t.as_str().to_string())
                            .unwrap_or_default(),
                        tier: meta
                            .and_then(|m| m.tier.as_ref())
                            .map(|t| t.as_str().to_string())
                            .unwrap_or_default(),
                        key_id: meta.and_then(|m| m.key_id.clone()),
                        tags,
                    },
                );
            }
            out
        })
    }

    /// Every parameter in the account (for "nothing changed" assertions).
    pub fn everything(&self) -> BTreeMap<String, Parameter> {
        self.parameters("/")
    }

    /// Seeds a SecureString parameter, optionally with tags.
    pub fn put(&self, name: &str, value: &str, tags: &[(&str, &str)]) {
        let client = self.moto.ssm_client();
        let tags: Vec<aws_sdk_ssm::types::Tag> = tags
            .iter()
            .map(|(k, v)| {
                aws_sdk_ssm::types::Tag::builder()
                    .key(*k)
                    .value(*v)
                    .build()
                    .expect("tag")
            })
            .collect();
        runtime().block_on(async move {
            client
                .put_parameter()
                .name(name)
                .value(value)
                .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
                .set_tags(if tags.is_empty() { None } else { Some(tags) })
                .send()
                .await
                .expect("moto PutParameter");
        });
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port on 127.0.0.1")
}

/// Polls until moto answers HTTP on `port`; fails early if the process exits.
fn wait_ready(child: &mut Child, port: u16) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("moto_server exited with {status}"));
        }
        if answers_http(port) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err("moto_server did not answer within 60 s".into())
}

fn answers_http(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = "GET /moto-api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.")
}
