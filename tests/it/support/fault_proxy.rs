//! A fault-injecting HTTP proxy between parity and an AWS emulator (moto,
//! the ECS fixture): it forwards every request, except that it refuses some
//! of them itself, before the emulator sees them, the way AWS refuses calls
//! under load:
//!
//! - a throttle: HTTP 400 with the error in the protocol's own shape — a
//!   JSON `__type` of `ThrottlingException` for the JSON protocols (SSM,
//!   ECS, Logs, ECR, Secrets Manager; `x-amzn-ErrorType` too, for the
//!   REST-JSON ones), the query protocol's XML `<ErrorResponse>` with code
//!   `Throttling` for CloudFormation and STS;
//! - an outage: HTTP 503 with a plain-text body, as a load balancer in front
//!   of a service sends it;
//! - a reset: the connection is closed with the request unread, so the
//!   kernel answers it with a TCP RST (`connection reset by peer`).
//!
//! It also stands in front of an image registry (docker-registry), for
//! parity's own registry client and for the Docker Engine pushing through
//! it: requests with a chunked body (the engine's blob PATCH) are read
//! whole and forwarded with a Content-Length, a HEAD's answer keeps the
//! registry's Content-Length (the blob's size), and the engine's TLS probe
//! of an insecure registry is closed unanswered (it then speaks plain HTTP).
//!
//! A refused request never reaches the emulator, so a retry is the only way
//! the call can succeed. std threads and hand-written HTTP/1.1 (requests
//! with a Content-Length, the only kind the AWS SDK sends for these APIs):
//! a hyper server would need hyper's `server` feature, and changing hyper's
//! features rebuilds the whole AWS SDK.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// What a refused request gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 400, `ThrottlingException` / `Throttling`.
    Throttle,
    /// HTTP 503.
    Unavailable,
    /// The connection reset, the request unanswered.
    Reset,
}

/// Which requests are refused.
#[derive(Debug, Clone)]
pub enum Policy {
    /// Every `n`th request (the `n`th, the `2n`th, ...), cycling through the faults.
    EveryNth(usize, Vec<Fault>),
    /// Every request.
    Always(Fault),
    /// Requests for the operation (`RegisterTaskDefinition`, `CreateChangeSet`)
    /// wait this long before they are forwarded: a slow call to interrupt.
    Hold(&'static str, std::time::Duration),
    /// Requests for the operation whose body holds the text wait until
    /// `parties` of them are waiting, then all go on at once (a barrier,
    /// used again by the next group): two commands reaching the same call at
    /// the same instant. A group not complete within a minute goes on anyway.
    Barrier(&'static str, &'static str, usize),
}

#[derive(Default)]
struct Counts {
    seen: AtomicUsize,
    throttled: AtomicUsize,
    unavailable: AtomicUsize,
    reset: AtomicUsize,
    held: AtomicUsize,
    /// Barrier: (waiting, generation).
    barrier: std::sync::Mutex<(usize, usize)>,
    arrived: std::sync::Condvar,
}

/// A running proxy; it stops accepting when dropped.
pub struct FaultProxy {
    port: u16,
    counts: Arc<Counts>,
    stopped: Arc<AtomicBool>,
}

impl FaultProxy {
    /// Starts a proxy on a free 127.0.0.1 port forwarding to `upstream`
    /// (`http://127.0.0.1:PORT`).
    pub fn start(upstream: &str, policy: Policy) -> Self {
        let upstream = upstream
            .strip_prefix("http://")
            .expect("an http:// upstream")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fault proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let counts = Arc::new(Counts::default());
        let stopped = Arc::new(AtomicBool::new(false));
        let (counts_, stopped_) = (counts.clone(), stopped.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped_.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let (upstream, policy, counts) =
                    (upstream.clone(), policy.clone(), counts_.clone());
                std::thread::spawn(move || serve(stream, &upstream, &policy, &counts));
            }
        });
        Self {
            port,
            counts,
            stopped,
        }
    }

    /// `http://127.0.0.1:PORT`: what parity.toml's `endpoint` is set to.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// How many requests [`Policy::Hold`] has started holding.
    pub fn held(&self) -> usize {
        self.counts.held.load(Ordering::SeqCst)
    }

    /// Requests reset.
    pub fn resets(&self) -> usize {
        self.counts.reset.load(Ordering::SeqCst)
    }

    /// Requests seen, refused with a throttle, refused with a 503.
    pub fn counts(&self) -> (usize, usize, usize) {
        (
            self.counts.seen.load(Ordering::SeqCst),
            self.counts.throttled.load(Ordering::SeqCst),
            self.counts.unavailable.load(Ordering::SeqCst),
        )
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// One request as read off the client connection.
struct Request {
    head: Vec<String>,
    body: Vec<u8>,
}

/// The first byte of a TLS handshake record.
const TLS_HANDSHAKE: u8 = 0x16;

impl Request {
    /// The API operation: the JSON protocols' `X-Amz-Target` suffix, or the
    /// query protocol's `Action=`.
    fn operation(&self) -> Option<String> {
        if let Some(target) = self.header("x-amz-target") {
            return target.rsplit('.').next().map(str::to_owned);
        }
        let body = String::from_utf8_lossy(&self.body);
        body.split('&')
            .find_map(|pair| pair.strip_prefix("Action="))
            .map(str::to_owned)
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.head.iter().skip(1).find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// Serves one client connection (the SDK keeps connections alive) until it closes.
fn serve(stream: TcpStream, upstream: &str, policy: &Policy, counts: &Counts) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
    let mut writer = stream;
    loop {
        // The next request's first byte, not consumed: a reset must leave
        // the request unread for the kernel to send a RST.
        let first = if let Some(&byte) = reader.buffer().first() {
            byte
        } else {
            let mut byte = [0u8; 1];
            match reader.get_ref().peek(&mut byte) {
                Ok(1) => byte[0],
                _ => return,
            }
        };
        if first == TLS_HANDSHAKE {
            return;
        }
        let n = counts.seen.fetch_add(1, Ordering::SeqCst) + 1;
        let mut fault = match policy {
            Policy::Always(fault) => Some(*fault),
            Policy::EveryNth(every, faults) if n.is_multiple_of(*every) => {
                Some(faults[(n / every - 1) % faults.len()])
            }
            _ => None,
        };
        if fault == Some(Fault::Reset) && reader.buffer().is_empty() {
            counts.reset.fetch_add(1, Ordering::SeqCst);
            return;
        }
        let Some(request) = read_request(&mut reader) else {
            return;
        };
        match policy {
            Policy::Barrier(operation, text, parties) => {
                let body = String::from_utf8_lossy(&request.body);
                if request.operation().as_deref() == Some(*operation) && body.contains(text) {
                    counts.held.fetch_add(1, Ordering::SeqCst);
                    barrier(counts, *parties);
                }
            }
            Policy::Hold(operation, duration) => {
                if request.operation().as_deref() == Some(*operation) {
                    counts.held.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(*duration);
                }
            }
            Policy::Always(_) | Policy::EveryNth(..) => {}
        }
        if fault == Some(Fault::Reset) {
            // Read already (pipelined behind another request): a 503 instead.
            fault = Some(Fault::Unavailable);
        }
        let response = match fault {
            Some(Fault::Throttle) => {
                counts.throttled.fetch_add(1, Ordering::SeqCst);
                throttle(&request, n)
            }
            Some(Fault::Unavailable) => {
                counts.unavailable.fetch_add(1, Ordering::SeqCst);
                response(
                    503,
                    "Service Unavailable",
                    "text/plain",
                    &[],
                    b"Service Unavailable",
                )
            }
            Some(Fault::Reset) | None => match forward(&request, upstream) {
                Some(response) => response,
                None => return,
            },
        };
        if writer.write_all(&response).is_err() {
            return;
        }
    }
}

/// Waits until `parties` requests wait here (or a minute passed).
fn barrier(counts: &Counts, parties: usize) {
    let mut state = counts.barrier.lock().expect("barrier");
    state.0 += 1;
    if state.0 == parties {
        *state = (0, state.1 + 1);
        counts.arrived.notify_all();
        return;
    }
    let generation = state.1;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while state.1 == generation {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            state.0 = state.0.saturating_sub(1);
            return;
        }
        state = counts.arrived.wait_timeout(state, left).expect("barrier").0;
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        if line.is_empty() {
            break;
        }
        head.push(line);
    }
    let mut request = Request {
        head,
        body: Vec::new(),
    };
    let chunked = request
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        request.body = read_chunked(reader)?;
        return Some(request);
    }
    let length: usize = request
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    request.body = vec![0; length];
    reader.read_exact(&mut request.body).ok()?;
    Some(request)
}

/// A chunked body, read to its last chunk and trailers.
fn read_chunked(reader: &mut BufReader<TcpStream>) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let size = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size, 16).ok()?;
        if size == 0 {
            loop {
                let mut trailer = String::new();
                if reader.read_line(&mut trailer).ok()? == 0 || trailer.trim().is_empty() {
                    return Some(body);
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..]).ok()?;
        let mut crlf = [0u8; 2];
        reader.read_exact(&mut crlf).ok()?;
    }
}

/// A throttle in the shape the request's protocol expects.
fn throttle(request: &Request, n: usize) -> Vec<u8> {
    let id = format!("fault-proxy-{n}");
    let form = request
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if form {
        let body = format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>\
             <Message>Rate exceeded</Message></Error><RequestId>{id}</RequestId></ErrorResponse>"
        );
        return response(
            400,
            "Bad Request",
            "text/xml",
            &[("x-amzn-RequestId", &id)],
            body.as_bytes(),
        );
    }
    let body = r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#;
    response(
        400,
        "Bad Request",
        "application/x-amz-json-1.1",
        &[
            ("x-amzn-RequestId", &id),
            ("x-amzn-ErrorType", "ThrottlingException"),
        ],
        body.as_bytes(),
    )
}

fn response(
    status: u16,
    reason: &str,
    content_type: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

/// Sends the request upstream on a connection of its own (its body with a
/// Content-Length) and returns the response re-framed with a Content-Length
/// (the client's connection stays open; a HEAD's keeps the upstream's).
fn forward(request: &Request, upstream: &str) -> Option<Vec<u8>> {
    let mut conn = TcpStream::connect(upstream).ok()?;
    let mut head = String::new();
    let mut had_length = false;
    for line in &request.head {
        let name = line
            .split_once(':')
            .map(|(k, _)| k.trim().to_ascii_lowercase());
        match name.as_deref() {
            Some("connection" | "keep-alive" | "transfer-encoding") => continue,
            Some("content-length") => had_length = true,
            _ => {}
        }
        head.push_str(line);
        head.push_str("\r\n");
    }
    if !had_length && !request.body.is_empty() {
        head.push_str(&format!("Content-Length: {}\r\n", request.body.len()));
    }
    head.push_str("Connection: close\r\n\r\n");
    conn.write_all(head.as_bytes()).ok()?;
    conn.write_all(&request.body).ok()?;
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).ok()?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let text = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = text.lines();
    let status_line = lines.next()?.to_owned();
    let head_request = request.head[0].starts_with("HEAD ");
    let mut chunked = false;
    let mut kept = Vec::new();
    for line in lines {
        let Some((k, _)) = line.split_once(':') else {
            continue;
        };
        match k.trim().to_ascii_lowercase().as_str() {
            "transfer-encoding" => chunked |= line.to_ascii_lowercase().contains("chunked"),
            "content-length" if head_request => kept.push(line.to_owned()),
            "content-length" | "connection" | "keep-alive" => {}
            _ => kept.push(line.to_owned()),
        }
    }
    let mut body = raw[split + 4..].to_vec();
    if chunked {
        body = super::http::dechunk(&body);
    }
    let mut out = format!("{status_line}\r\n");
    for line in kept {
        out.push_str(&line);
        out.push_str("\r\n");
    }
    if head_request {
        out.push_str("\r\n");
    } else {
        out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    }
    let mut out = out.into_bytes();
    out.extend_from_slice(&body);
    Some(out)
}
