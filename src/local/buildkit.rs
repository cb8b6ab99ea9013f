//! BuildKit builds through the engine's API: `POST /build?version=2` with the
//! build context as the request's tar body, as Docker 20.10+ accepts without
//! a client session (the context is handed to BuildKit as a remote context,
//! and `FROM` images are resolved in the engine's own image store first, so a
//! local base image needs no registry). parity speaks this one request itself,
//! over the engine's socket, because bollard sends BuildKit builds only with
//! a gRPC session (its `buildkit` feature: tonic, prost and the BuildKit
//! protos) and cannot read BuildKit's progress without it.
//!
//! What a session would add (secrets and SSH forwarding into `RUN --mount`,
//! incremental context transfer) parity does not use. The engine's answer is
//! read line by line: progress (see `buildkit_trace`), the image id, or the
//! error.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;

use super::buildkit_trace::Trace;
use super::engine::Engine;

/// How a BuildKit build ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    Built {
        image_id: String,
        /// Dockerfile steps, and how many of them came from the cache.
        steps: usize,
        cached: usize,
    },
    /// The build ran and failed: the engine's message and the failed step's output.
    Failed {
        message: String,
        output: Vec<String>,
    },
    /// This engine (or connection) cannot build with BuildKit; the text says why.
    Unavailable(String),
}

/// Lines of a failed step's output kept for the error.
const FAILURE_LINES: usize = 40;

/// Builds with BuildKit. `query` holds the `/build` parameters other than
/// `version` (values unencoded); `context` is the tar of the build context.
pub(crate) async fn build(engine: &Engine, query: &[(&str, String)], context: Bytes) -> Outcome {
    if let Some(why) = buildkit_refused_by_user() {
        return Outcome::Unavailable(why);
    }
    let mut path = format!("/v{}.{}/build?version=2", engine.api.0, engine.api.1);
    for (key, value) in query {
        path.push('&');
        path.push_str(key);
        path.push('=');
        path.push_str(&encode(value));
    }
    let response = match send(&engine.host, &path, context).await {
        Ok(response) => response,
        Err(Connection::Unsupported(why)) => return Outcome::Unavailable(why),
        Err(Connection::Failed(message)) => {
            return Outcome::Failed {
                message,
                output: Vec::new(),
            };
        }
    };
    read(response).await
}

/// `DOCKER_BUILDKIT=0` asks for the classic builder, as it does of the Docker CLI and Compose.
fn buildkit_refused_by_user() -> Option<String> {
    let value = std::env::var("DOCKER_BUILDKIT").ok()?;
    matches!(value.trim(), "0" | "false" | "FALSE" | "False")
        .then(|| "DOCKER_BUILDKIT=0 asks for it".to_string())
}

enum Connection {
    /// parity cannot speak BuildKit over this kind of connection.
    Unsupported(String),
    Failed(String),
}

/// Sends the request over the engine's unix socket or plain TCP address.
async fn send(
    host: &str,
    path: &str,
    context: Bytes,
) -> Result<hyper::Response<hyper::body::Incoming>, Connection> {
    let failed = |e: &dyn std::fmt::Display| {
        Connection::Failed(format!("sending the build to the engine: {e}"))
    };
    let request = Request::post(path)
        .header(hyper::header::HOST, "docker")
        .header(hyper::header::CONTENT_TYPE, "application/x-tar")
        .body(Full::new(context))
        .map_err(|e| failed(&e))?;
    if let Some(socket) = host.strip_prefix("unix://") {
        let stream = tokio::net::UnixStream::connect(socket)
            .await
            .map_err(|e| failed(&e))?;
        exchange(TokioIo::new(stream), request)
            .await
            .map_err(|e| failed(&e))
    } else if let Some(address) = host.strip_prefix("tcp://").filter(|_| !tls_configured()) {
        let address = address.trim_end_matches('/');
        let stream = tokio::net::TcpStream::connect(address)
            .await
            .map_err(|e| failed(&e))?;
        exchange(TokioIo::new(stream), request)
            .await
            .map_err(|e| failed(&e))
    } else {
        Err(Connection::Unsupported(format!(
            "parity sends BuildKit builds over a unix socket or plain tcp, not DOCKER_HOST={host}{}",
            if tls_configured() { " with TLS" } else { "" }
        )))
    }
}

fn tls_configured() -> bool {
    std::env::var("DOCKER_TLS_VERIFY").is_ok_and(|v| !v.is_empty())
}

async fn exchange<T>(
    io: T,
    request: Request<Full<Bytes>>,
) -> Result<hyper::Response<hyper::body::Incoming>, hyper::Error>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io).await?;
    tokio::spawn(connection);
    sender.send_request(request).await
}

/// Reads the engine's answer to the end.
async fn read(response: hyper::Response<hyper::body::Incoming>) -> Outcome {
    let status = response.status();
    let mut body = response.into_body();
    if status != StatusCode::OK {
        let text = match body.collect().await {
            Ok(collected) => String::from_utf8_lossy(&collected.to_bytes()).into_owned(),
            Err(e) => e.to_string(),
        };
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_string))
            .unwrap_or(text);
        return refused(status, message);
    }
    let mut answer = Answer::default();
    let mut pending: Vec<u8> = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = match frame {
            Ok(frame) => frame,
            Err(e) => {
                answer.error = Some(format!("the engine's answer broke off: {e}"));
                break;
            }
        };
        let Some(data) = frame.data_ref() else {
            continue;
        };
        pending.extend_from_slice(data);
        while let Some(end) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            answer.line(&line);
        }
    }
    answer.line(&pending);
    answer.outcome()
}

/// An HTTP error before the build started: an engine without BuildKit says so.
fn refused(status: StatusCode, message: String) -> Outcome {
    if message.to_lowercase().contains("buildkit") || status == StatusCode::NOT_IMPLEMENTED {
        Outcome::Unavailable(format!("the engine answered: {message}"))
    } else {
        Outcome::Failed {
            message,
            output: Vec::new(),
        }
    }
}

/// What the stream has said so far.
#[derive(Default)]
struct Answer {
    trace: Trace,
    image_id: Option<String>,
    error: Option<String>,
    /// Plain `stream` text (BuildKit sends little; kept for failures).
    text: Vec<String>,
}

impl Answer {
    fn line(&mut self, line: &[u8]) {
        let Ok(message) = serde_json::from_slice::<serde_json::Value>(line) else {
            return;
        };
        match message["id"].as_str() {
            Some("moby.buildkit.trace") => {
                if let Some(encoded) = message["aux"].as_str() {
                    use base64::Engine as _;
                    if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(encoded) {
                        self.trace.add(&bytes);
                    }
                }
            }
            Some("moby.image.id") => {
                self.image_id = message["aux"]["ID"].as_str().map(str::to_string);
            }
            _ => {}
        }
        if let Some(error) = message["errorDetail"]["message"]
            .as_str()
            .or(message["error"].as_str())
        {
            self.error = Some(error.to_string());
        }
        if let Some(text) = message["stream"].as_str() {
            self.text.extend(text.lines().map(str::to_string));
        }
    }

    fn outcome(self) -> Outcome {
        match (self.error, self.image_id) {
            (None, Some(image_id)) => {
                let (steps, cached) = self.trace.counts();
                Outcome::Built {
                    image_id,
                    steps,
                    cached,
                }
            }
            (error, _) => {
                let mut output = self.trace.failure(FAILURE_LINES);
                if output.is_empty() {
                    output = self.text;
                }
                Outcome::Failed {
                    message: error.unwrap_or_else(|| "the engine reported no image".into()),
                    output,
                }
            }
        }
    }
}

/// Percent-encodes a query value (everything but RFC 3986's unreserved characters).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("web:latest"), "web%3Alatest");
        assert_eq!(encode(r#"{"A":"1 2"}"#), "%7B%22A%22%3A%221%202%22%7D");
        assert_eq!(encode("a-b_c.d~"), "a-b_c.d~");
    }

    #[test]
    fn an_engine_without_buildkit_is_a_fallback_not_a_failure() {
        let no = refused(
            StatusCode::BAD_REQUEST,
            "buildkit not supported by daemon".into(),
        );
        assert!(matches!(no, Outcome::Unavailable(why) if why.contains("buildkit not supported")));
        let bad = refused(StatusCode::INTERNAL_SERVER_ERROR, "no space left".into());
        assert!(matches!(bad, Outcome::Failed { .. }));
    }

    #[test]
    fn the_stream_gives_the_image_or_the_error() {
        let mut answer = Answer::default();
        answer.line(br#"{"id":"moby.image.id","aux":{"ID":"sha256:abc"}}"#);
        answer.line(br#"{"stream":"Successfully tagged web:latest\n"}"#);
        assert!(
            matches!(answer.outcome(), Outcome::Built { image_id, .. } if image_id == "sha256:abc")
        );
        let mut answer = Answer::default();
        answer.line(br#"{"stream":"step output\n"}"#);
        answer.line(br#"{"errorDetail":{"message":"executor failed running [/nope]: exit code: 1"},"error":"x"}"#);
        match answer.outcome() {
            Outcome::Failed { message, output } => {
                assert!(message.contains("exit code: 1"), "{message}");
                assert_eq!(output, ["step output"]);
            }
            other => panic!("{other:?}"),
        }
    }
}
