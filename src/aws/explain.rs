//! Turns AWS SDK errors into one-line explanations a person can act on.
//!
//! Messages are built only from the error's *kind*, its AWS error code, the
//! HTTP status and request id, and what parity already knows (service,
//! operation, parameter name, endpoint, region). Never from the SDK error's
//! `Display`/`Debug` or the service's message text: AWS validation messages
//! quote request fields ("Value '...' at 'value' failed to satisfy
//! constraint"), and a request may carry a secret value.
//! The one exception is the refused principal's ARN in a denial's body
//! ([`principal_arn`]): only that token is taken, and it names an identity, not data.

use aws_sdk_ssm::error::{ProvideErrorMetadata, SdkError};

use super::config::{AwsContext, Endpoint, MAX_ATTEMPTS, Service};
use crate::error::Error;

/// One failed API call: which, on what, and where it went.
#[derive(Debug, Clone)]
pub(crate) struct Call<'a> {
    pub(crate) service: Service,
    pub(crate) operation: &'static str,
    /// What the call was about (a parameter name, a service name); never a value.
    pub(crate) subject: Option<&'a str>,
}

impl<'a> Call<'a> {
    pub(crate) fn new(service: Service, operation: &'static str) -> Self {
        Self {
            service,
            operation,
            subject: None,
        }
    }

    pub(crate) fn on(mut self, subject: &'a str) -> Self {
        self.subject = Some(subject);
        self
    }

    fn describe(&self) -> String {
        let what = format!("{}:{}", self.service.label(), self.operation);
        match self.subject {
            Some(subject) => format!("{what} on {subject}"),
            None => what,
        }
    }
}

impl AwsContext {
    /// The explanation for a failed call (exit 1).
    pub(crate) fn explain<E, R>(&self, call: &Call<'_>, err: &SdkError<E, R>) -> Error
    where
        E: ProvideErrorMetadata,
        R: HttpStatus,
    {
        explain(call, &self.endpoint(call.service), self.region(), err)
    }
}

/// Gives the HTTP status of a raw SDK response, whatever its type.
pub(crate) trait HttpStatus {
    fn http_status(&self) -> u16;

    /// The body, when the SDK kept it in memory (read only for the principal's ARN).
    fn body_bytes(&self) -> Option<&[u8]> {
        None
    }
}

impl HttpStatus for aws_sdk_ssm::config::http::HttpResponse {
    fn http_status(&self) -> u16 {
        self.status().as_u16()
    }

    fn body_bytes(&self) -> Option<&[u8]> {
        self.body().bytes()
    }
}

/// The pure mapping, separate from [`AwsContext`] so it can be tested without a network.
pub(crate) fn explain<E, R>(
    call: &Call<'_>,
    endpoint: &Endpoint,
    region: &str,
    err: &SdkError<E, R>,
) -> Error
where
    E: ProvideErrorMetadata,
    R: HttpStatus,
{
    let what = call.describe();
    let reach_help = || {
        if endpoint.configured {
            format!(
                "is the endpoint {} (from {}) running and reachable?",
                endpoint.url, endpoint.source
            )
        } else {
            format!("check the region `{region}` in parity.toml and the network connection")
        }
    };
    match err {
        SdkError::ConstructionFailure(_) => Error::failed(format!(
            "{what}: the request could not be built (before anything was sent)"
        ))
        .with_help("check the values in parity.toml for this environment"),
        SdkError::TimeoutError(_) => {
            Error::failed(format!("{what}: no answer from {} in time", endpoint.url))
                .with_help(reach_help())
        }
        SdkError::DispatchFailure(failure) => {
            let cause = if failure.is_timeout() {
                "timed out".to_string()
            } else if failure.is_io() {
                io_cause(failure.as_connector_error())
            } else if failure.is_other() {
                // Identity resolution and signing fail here (credentials expired midway).
                return Error::failed(format!(
                    "{what}: the request could not be signed (AWS credentials could not be loaded)"
                ))
                .with_help(
                    "refresh the credentials (`aws sso login`, or new AWS_ACCESS_KEY_ID / \
                     AWS_SECRET_ACCESS_KEY) and run again",
                );
            } else {
                "the request could not be sent".to_string()
            };
            Error::failed(format!("{what}: cannot reach {} ({cause})", endpoint.url))
                .with_help(reach_help())
        }
        // An HTTP 403 is a denial whatever its body: moto (and some proxies) answer a
        // denied JSON-protocol call with an XML body the SDK cannot parse.
        SdkError::ResponseError(response) if response.raw().http_status() == 403 => {
            let principal = response.raw().body_bytes().and_then(principal_arn);
            access_denied(&what, call, "HTTP 403", principal.as_deref(), region)
        }
        SdkError::ResponseError(response) if response.raw().http_status() >= 500 => {
            unavailable(&what, &format!("HTTP {}", response.raw().http_status()))
        }
        SdkError::ResponseError(response) => Error::failed(format!(
            "{what}: {} sent a response that is not an AWS API response (HTTP {})",
            endpoint.url,
            response.raw().http_status()
        ))
        .with_help(reach_help()),
        SdkError::ServiceError(service_error) => {
            let status = service_error.raw().http_status();
            let code = err.code().unwrap_or("UnknownError");
            let request = err
                .meta()
                .extra("aws_request_id")
                .map(|id| format!(", request id {id}"))
                .unwrap_or_default();
            let principal = service_error.raw().body_bytes().and_then(principal_arn);
            let denial = Denial {
                code,
                status,
                request: &request,
                principal: principal.as_deref(),
            };
            service_explanation(&what, call, &denial, region)
        }
        // SdkError is non-exhaustive; a new kind still gets a safe, short line.
        _ => Error::failed(format!("{what}: failed")),
    }
}

/// What a service error carried that parity may show.
struct Denial<'a> {
    code: &'a str,
    status: u16,
    request: &'a str,
    principal: Option<&'a str>,
}

fn service_explanation(what: &str, call: &Call<'_>, denial: &Denial<'_>, region: &str) -> Error {
    let Denial {
        code,
        status,
        request,
        principal,
    } = *denial;
    let detail = format!("{code}, HTTP {status}{request}");
    match code {
        "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "InvalidSignatureException"
        | "SignatureDoesNotMatch"
        | "IncompleteSignature"
        | "ExpiredTokenException"
        | "ExpiredToken"
        | "InvalidAccessKeyId" => Error::failed(format!(
            "{what}: AWS rejected the credentials ({detail})"
        ))
        .with_help(
            "check AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; for SSO profiles run \
                 `aws sso login`",
        ),
        "AccessDeniedException" | "AccessDenied" | "UnauthorizedOperation" => {
            access_denied(what, call, &detail, principal, region)
        }
        "ThrottlingException"
        | "Throttling"
        | "TooManyRequestsException"
        | "RequestLimitExceeded"
        | "ThrottledException"
        | "SlowDown" => Error::failed(format!(
            "{what}: throttled by AWS, still after {MAX_ATTEMPTS} attempts with back-off ({detail})"
        ))
        .with_help("run the command again in a minute; it picks up where it stopped"),
        "ServiceUnavailable"
        | "ServiceUnavailableException"
        | "InternalFailure"
        | "InternalError"
        | "InternalServerError"
        | "InternalServiceError" => unavailable(what, &detail),
        "ValidationException" => Error::failed(format!(
            "{what}: AWS rejected the request as invalid ({detail})"
        ))
        .with_help(
            "AWS's own message is not shown because it can quote request values; check the \
             names against AWS's rules (parameter names must not start with `aws` or `ssm`, \
             values are at most 8 KB)",
        ),
        _ if status == 403 => access_denied(what, call, &detail, principal, region),
        _ if status >= 500 => unavailable(what, &detail),
        _ => Error::failed(format!("{what}: {detail}")),
    }
}

/// A 5xx answer (or a service's own "unavailable" code) that the SDK's
/// standard retries did not get past.
fn unavailable(what: &str, detail: &str) -> Error {
    Error::failed(format!(
        "{what}: the service was unavailable, still after {MAX_ATTEMPTS} attempts with back-off ({detail})"
    ))
    .with_help("AWS (or the endpoint in between) is having trouble; run the command again in a few minutes; it picks up where it stopped")
}

/// Access denied to `call`: names the IAM action and, when known, who was refused.
fn access_denied(
    what: &str,
    call: &Call<'_>,
    detail: &str,
    principal: Option<&str>,
    region: &str,
) -> Error {
    let action = format!("{}:{}", call.service.label(), call.operation);
    let who = principal
        .map(|arn| format!(" for {arn}"))
        .unwrap_or_default();
    Error::failed(format!(
        "{what}: access denied{who}: not allowed to call `{action}` ({detail})"
    ))
    .with_help(format!(
        "grant `{action}` to {} in its IAM policy (region {region}) and run again",
        principal.unwrap_or("the IAM identity in use")
    ))
}

/// The ARN of the refused principal in a denial's body ("User: arn:aws:iam::…:user/ci is
/// not authorized…"). Only that token is taken: the rest of the text can name resources.
fn principal_arn(body: &[u8]) -> Option<String> {
    let body = std::str::from_utf8(body).ok()?;
    let start = body.find("arn:aws")?;
    let arn: String = body[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, '<' | '"' | '\\' | ',' | ';'))
        .collect();
    let is_principal = [
        ":user/",
        ":role/",
        ":assumed-role/",
        ":root",
        ":federated-user/",
    ]
    .iter()
    .any(|kind| arn.contains(kind));
    is_principal.then_some(arn)
}

/// The OS-level reason a connection failed, from the I/O error in the chain.
fn io_cause(error: Option<&aws_sdk_ssm::error::ConnectorError>) -> String {
    use std::error::Error as _;
    let mut source: Option<&(dyn std::error::Error + 'static)> = error.and_then(|e| e.source());
    let mut dns = false;
    while let Some(current) = source {
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return "connection refused".into(),
                std::io::ErrorKind::TimedOut => return "connection timed out".into(),
                std::io::ErrorKind::ConnectionReset => return "connection reset".into(),
                std::io::ErrorKind::HostUnreachable | std::io::ErrorKind::NetworkUnreachable => {
                    return "host unreachable".into();
                }
                _ => {}
            }
        }
        // hyper-util's connector names DNS failures in its own (request-free) text.
        dns |= current.to_string().starts_with("dns error");
        source = current.source();
    }
    if dns {
        "the host name does not resolve".into()
    } else {
        "connection failed".into()
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ssm::error::ErrorMetadata;

    use super::*;

    #[derive(Debug)]
    struct FakeServiceError(ErrorMetadata);

    impl ProvideErrorMetadata for FakeServiceError {
        fn meta(&self) -> &ErrorMetadata {
            &self.0
        }
    }

    impl std::fmt::Display for FakeServiceError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("fake")
        }
    }

    impl std::error::Error for FakeServiceError {}

    fn aws_endpoint() -> Endpoint {
        Endpoint {
            url: "https://ssm.eu-west-1.amazonaws.com".into(),
            configured: false,
            source: "the region",
        }
    }

    /// A raw response carrying only a status, like the SDK's after the body was read.
    struct FakeResponse(u16);

    impl HttpStatus for FakeResponse {
        fn http_status(&self) -> u16 {
            self.0
        }
    }

    fn service_error(
        code: &str,
        message: &str,
        status: u16,
    ) -> SdkError<FakeServiceError, FakeResponse> {
        let meta = ErrorMetadata::builder().code(code).message(message).build();
        SdkError::service_error(FakeServiceError(meta), FakeResponse(status))
    }

    #[test]
    fn service_messages_that_quote_values_are_never_shown() {
        let call = Call::new(Service::Ssm, "PutParameter").on("/app/staging/API_KEY");
        let err = service_error(
            "ValidationException",
            "1 validation error detected: Value 'CANARY-s3cr3t' at 'value' failed to satisfy constraint",
            400,
        );
        let explained = explain(&call, &aws_endpoint(), "eu-west-1", &err);
        assert_eq!(explained.exit_code(), 1);
        let rendered = format!("{} {:?}", explained, explained);
        assert!(!rendered.contains("CANARY"), "{rendered}");
        assert!(
            rendered.contains("ssm:PutParameter on /app/staging/API_KEY"),
            "{rendered}"
        );
        assert!(rendered.contains("ValidationException"), "{rendered}");
    }

    #[test]
    fn rejected_credentials_say_so() {
        let call = Call::new(Service::Ssm, "GetParametersByPath");
        let err = service_error(
            "UnrecognizedClientException",
            "The security token is invalid",
            400,
        );
        let explained = explain(&call, &aws_endpoint(), "eu-west-1", &err);
        assert!(
            explained.message().contains("rejected the credentials"),
            "{}",
            explained.message()
        );
    }

    #[test]
    fn access_denied_names_the_permission() {
        let call = Call::new(Service::Ssm, "PutParameter");
        let err = service_error(
            "AccessDeniedException",
            "User: arn:... is not authorized",
            400,
        );
        let explained = explain(&call, &aws_endpoint(), "eu-west-1", &err);
        let rendered = format!("{explained:?}");
        assert!(rendered.contains("ssm:PutParameter"), "{rendered}");
        assert!(!rendered.contains("not authorized"), "{rendered}");
    }

    /// A raw response with a status and a body the SDK kept.
    struct FakeBodyResponse(u16, &'static str);

    impl HttpStatus for FakeBodyResponse {
        fn http_status(&self) -> u16 {
            self.0
        }

        fn body_bytes(&self) -> Option<&[u8]> {
            Some(self.1.as_bytes())
        }
    }

    #[test]
    fn a_403_with_an_unparseable_body_is_access_denied_not_a_broken_endpoint() {
        // moto's answer to a denied JSON-protocol call: XML the SDK cannot parse.
        let body = "<?xml version=\"1.0\"?><ErrorResponse><Errors><Error><Code>AccessDenied</Code>\
            <Message>User: arn:aws:iam::123456789012:user/ci is not authorized to perform: \
            ssm:PutParameter on resource: CANARY-resource</Message></Error></Errors></ErrorResponse>";
        let call = Call::new(Service::Ssm, "PutParameter").on("/shop/staging/API_KEY");
        let err: SdkError<FakeServiceError, FakeBodyResponse> =
            SdkError::response_error("cannot parse", FakeBodyResponse(403, body));
        let explained = explain(&call, &aws_endpoint(), "eu-west-1", &err);
        assert_eq!(explained.exit_code(), 1);
        let rendered = format!("{explained:?}");
        assert!(rendered.contains("access denied"), "{rendered}");
        assert!(rendered.contains("`ssm:PutParameter`"), "{rendered}");
        assert!(
            rendered.contains("arn:aws:iam::123456789012:user/ci"),
            "{rendered}"
        );
        assert!(!rendered.contains("not an AWS API response"), "{rendered}");
        assert!(!rendered.contains("CANARY"), "{rendered}");
    }

    #[test]
    fn an_access_denied_json_body_names_the_action_and_the_principal() {
        let meta = ErrorMetadata::builder()
            .code("AccessDeniedException")
            .message("User: arn:aws:sts::123456789012:assumed-role/deploy/ci is not authorized")
            .build();
        let body = r#"{"__type":"AccessDeniedException","message":"User: arn:aws:sts::123456789012:assumed-role/deploy/ci is not authorized to perform: ecs:RegisterTaskDefinition"}"#;
        let err = SdkError::service_error(FakeServiceError(meta), FakeBodyResponse(400, body));
        let call = Call::new(Service::Ecs, "RegisterTaskDefinition");
        let rendered = format!("{:?}", explain(&call, &aws_endpoint(), "eu-west-1", &err));
        assert!(
            rendered.contains("access denied for arn:aws:sts::123456789012:assumed-role/deploy/ci"),
            "{rendered}"
        );
        assert!(
            rendered.contains("grant `ecs:RegisterTaskDefinition`"),
            "{rendered}"
        );
        assert!(!rendered.contains("is not authorized"), "{rendered}");
    }

    #[test]
    fn throttling_that_outlasts_the_retries_names_the_operation_and_says_throttled() {
        let call = Call::new(Service::CloudFormation, "DescribeStacks").on("parity-shop-staging");
        for code in ["ThrottlingException", "Throttling"] {
            let err = service_error(code, "Rate exceeded", 400);
            let explained = explain(&call, &aws_endpoint(), "eu-west-1", &err);
            assert_eq!(explained.exit_code(), 1);
            assert!(
                explained.message().starts_with(
                    "cloudformation:DescribeStacks on parity-shop-staging: throttled by AWS, still after 5 attempts"
                ),
                "{}",
                explained.message()
            );
        }
    }

    #[test]
    fn a_5xx_that_outlasts_the_retries_says_the_service_was_unavailable() {
        let call = Call::new(Service::Ecs, "DescribeServices");
        // A load balancer's plain-text 503 (not an AWS error body) and a service's own 5xx code.
        let raw: SdkError<FakeServiceError, FakeResponse> =
            SdkError::response_error("cannot parse", FakeResponse(503));
        let coded = service_error("InternalFailure", "oops", 500);
        let unknown = service_error("UnknownError", "", 502);
        for explained in [
            explain(&call, &aws_endpoint(), "eu-west-1", &raw),
            explain(&call, &aws_endpoint(), "eu-west-1", &coded),
            explain(&call, &aws_endpoint(), "eu-west-1", &unknown),
        ] {
            assert_eq!(explained.exit_code(), 1);
            assert!(
                explained
                    .message()
                    .starts_with("ecs:DescribeServices: the service was unavailable"),
                "{}",
                explained.message()
            );
        }
    }

    /// hyper-util's resolver error, as it names itself.
    #[derive(Debug)]
    struct DnsError;

    impl std::fmt::Display for DnsError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("dns error")
        }
    }

    impl std::error::Error for DnsError {}

    #[test]
    fn an_unresolvable_aws_host_points_at_the_region() {
        let call = Call::new(Service::Ssm, "DescribeParameters");
        let endpoint = Endpoint {
            url: "https://ssm.eu-wset-1.amazonaws.com".into(),
            configured: false,
            source: "the region",
        };
        let err: SdkError<FakeServiceError, FakeResponse> =
            SdkError::dispatch_failure(aws_sdk_ssm::error::ConnectorError::io(Box::new(DnsError)));
        let explained = explain(&call, &endpoint, "eu-wset-1", &err);
        assert_eq!(explained.exit_code(), 1);
        let rendered = format!("{explained:?}");
        assert!(
            rendered.contains(
                "cannot reach https://ssm.eu-wset-1.amazonaws.com (the host name does not resolve)"
            ),
            "{rendered}"
        );
        assert!(
            rendered.contains("check the region `eu-wset-1`"),
            "{rendered}"
        );
    }

    #[test]
    fn a_refused_emulator_endpoint_names_where_it_came_from() {
        let call = Call::new(Service::Ssm, "DescribeParameters");
        let endpoint = Endpoint {
            url: "http://127.0.0.1:4566".into(),
            configured: true,
            source: "parity.toml",
        };
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let err: SdkError<FakeServiceError, FakeResponse> =
            SdkError::dispatch_failure(aws_sdk_ssm::error::ConnectorError::io(Box::new(refused)));
        let rendered = format!("{:?}", explain(&call, &endpoint, "eu-west-1", &err));
        assert!(rendered.contains("(connection refused)"), "{rendered}");
        assert!(rendered.contains("(from parity.toml)"), "{rendered}");
    }
}
