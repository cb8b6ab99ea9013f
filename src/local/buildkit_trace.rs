//! BuildKit's progress as the engine streams it: each `moby.buildkit.trace`
//! message carries a base64 protobuf `StatusResponse` (moby/buildkit
//! api/services/control/control.proto). parity reads the three things it
//! shows — step names, which were cached, and the steps' own output for a
//! failed build — with this small wire-format reader instead of a generated
//! protobuf stack (tonic/prost), which would double the build's dependencies
//! for four fields.
//!
//! Pure: bytes in, a [`Trace`] out; no I/O.

use std::collections::HashMap;

/// What the build has said so far, folded over its trace messages.
#[derive(Debug, Default)]
pub(crate) struct Trace {
    /// Steps by vertex digest, in the order first seen.
    order: Vec<String>,
    steps: HashMap<String, Step>,
}

#[derive(Debug, Default)]
struct Step {
    name: String,
    cached: bool,
    completed: bool,
    error: String,
    log: Vec<u8>,
}

impl Trace {
    /// Folds one `StatusResponse` in. A message that does not parse is ignored:
    /// progress is commentary, the build's result comes separately.
    pub(crate) fn add(&mut self, message: &[u8]) {
        for (field, value) in fields(message) {
            match (field, value) {
                (1, Value::Bytes(vertex)) => self.vertex(vertex),
                (3, Value::Bytes(log)) => self.log(log),
                _ => {}
            }
        }
    }

    fn step(&mut self, digest: &str) -> &mut Step {
        if !self.steps.contains_key(digest) {
            self.order.push(digest.to_string());
        }
        self.steps.entry(digest.to_string()).or_default()
    }

    /// `Vertex { digest = 1; inputs = 2; name = 3; cached = 4; started = 5; completed = 6; error = 7 }`.
    fn vertex(&mut self, bytes: &[u8]) {
        let mut digest = String::new();
        let (mut name, mut cached, mut completed, mut error) = (None, false, false, None);
        for (field, value) in fields(bytes) {
            match (field, value) {
                (1, Value::Bytes(b)) => digest = String::from_utf8_lossy(b).into_owned(),
                (3, Value::Bytes(b)) => name = Some(String::from_utf8_lossy(b).into_owned()),
                (4, Value::Varint(v)) => cached = v != 0,
                (6, Value::Bytes(_)) => completed = true,
                (7, Value::Bytes(b)) if !b.is_empty() => {
                    error = Some(String::from_utf8_lossy(b).into_owned());
                }
                _ => {}
            }
        }
        if digest.is_empty() {
            return;
        }
        let step = self.step(&digest);
        if let Some(name) = name {
            step.name = name;
        }
        step.cached |= cached;
        step.completed |= completed;
        if let Some(error) = error {
            step.error = error;
        }
    }

    /// `VertexLog { vertex = 1; timestamp = 2; stream = 3; msg = 4 }`.
    fn log(&mut self, bytes: &[u8]) {
        let mut digest = String::new();
        let mut msg: &[u8] = &[];
        for (field, value) in fields(bytes) {
            match (field, value) {
                (1, Value::Bytes(b)) => digest = String::from_utf8_lossy(b).into_owned(),
                (4, Value::Bytes(b)) => msg = b,
                _ => {}
            }
        }
        if !digest.is_empty() {
            self.step(&digest).log.extend_from_slice(msg);
        }
    }

    /// The Dockerfile's steps that build something (`[2/4] RUN ...`; BuildKit's
    /// `[internal]` ones and the `FROM` images left out): how many there were
    /// and how many came from the cache.
    pub(crate) fn counts(&self) -> (usize, usize) {
        let steps: Vec<&Step> = self
            .order
            .iter()
            .map(|d| &self.steps[d])
            .filter(|s| {
                s.name.starts_with('[')
                    && !s.name.starts_with("[internal]")
                    && !s.name.contains("] FROM ")
            })
            .collect();
        let cached = steps.iter().filter(|s| s.cached).count();
        (steps.len(), cached)
    }

    /// For a failed build: the failed step's name and the last `lines` of its
    /// output (or of the whole build when no step says it failed).
    pub(crate) fn failure(&self, lines: usize) -> Vec<String> {
        let failed = self
            .order
            .iter()
            .map(|d| &self.steps[d])
            .find(|s| !s.error.is_empty());
        let (head, log) = match failed {
            Some(step) => (Some(format!("{} failed:", step.name)), step.log.clone()),
            None => (
                None,
                self.order
                    .iter()
                    .flat_map(|d| self.steps[d].log.iter().copied())
                    .collect(),
            ),
        };
        let text = String::from_utf8_lossy(&log);
        let tail: Vec<String> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect();
        let start = tail.len().saturating_sub(lines);
        head.into_iter()
            .chain(tail[start..].iter().cloned())
            .collect()
    }
}

/// One protobuf field value: varints, length-delimited bytes, or fixed-width (skipped).
#[derive(Debug, PartialEq, Eq)]
enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

/// The top-level fields of a protobuf message, stopping at the first malformed one.
fn fields(mut bytes: &[u8]) -> Vec<(u64, Value<'_>)> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let Some((key, rest)) = varint(bytes) else {
            break;
        };
        let (field, wire) = (key >> 3, key & 7);
        let parsed = match wire {
            0 => varint(rest).map(|(v, rest)| (Value::Varint(v), rest)),
            1 => rest.get(8..).map(|rest| (Value::Fixed, rest)),
            2 => varint(rest).and_then(|(len, rest)| {
                let len = usize::try_from(len).ok()?;
                (rest.len() >= len).then(|| (Value::Bytes(&rest[..len]), &rest[len..]))
            }),
            5 => rest.get(4..).map(|rest| (Value::Fixed, rest)),
            _ => None,
        };
        let Some((value, rest)) = parsed else {
            break;
        };
        out.push((field, value));
        bytes = rest;
    }
    out
}

fn varint(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let mut value = 0u64;
    for (i, byte) in bytes.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, &bytes[i + 1..]));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    use super::*;

    fn decode(b64: &str) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap()
    }

    /// Bytes of one length-delimited field.
    fn field(number: u8, bytes: &[u8]) -> Vec<u8> {
        let mut out = vec![(number << 3) | 2, u8::try_from(bytes.len()).unwrap()];
        out.extend_from_slice(bytes);
        out
    }

    #[test]
    fn reads_a_vertex_the_engine_sent() {
        // Captured from Docker 20.10: a `[1/2] COPY a.txt /a.txt` vertex, started.
        let message = decode(
            "CqsBCkdzaGEyNTY6MzllNmU4NWM1ZmZlNzEwYmEzYzQwZmRiMmU1NzMxOGE4Yzk4Y2I3MTJhNTJmYjdiOGE4YTYyNTRiZTM2YWFkYhJHc2hhMjU2Ojc2MTA3MzNlMWIzNjMxNzE4MTk1OTQ0NGIwZWIwZGJhZDUxYjY1MDFhMzdmZGE5NGQ5MGJlNjk2NTE1Njk5ZTMaF1sxLzJdIENPUFkgYS50eHQgL2EudHh0",
        );
        let mut trace = Trace::default();
        trace.add(&message);
        assert_eq!(trace.counts(), (1, 0));
        let step = &trace.steps[&trace.order[0]];
        assert_eq!(step.name, "[1/2] COPY a.txt /a.txt");
        assert!(!step.completed && step.error.is_empty());
    }

    #[test]
    fn cached_steps_are_counted_and_internal_ones_left_out() {
        let mut vertex = field(1, b"sha256:a");
        vertex.extend(field(3, b"[2/3] RUN make"));
        vertex.extend([4 << 3, 1]);
        let mut internal = field(1, b"sha256:b");
        internal.extend(field(3, b"[internal] load build context"));
        let mut from = field(1, b"sha256:c");
        from.extend(field(3, b"[1/3] FROM docker.io/library/base:1"));
        let mut message = field(1, &vertex);
        message.extend(field(1, &internal));
        message.extend(field(1, &from));
        let mut trace = Trace::default();
        trace.add(&message);
        assert_eq!(trace.counts(), (1, 1));
    }

    #[test]
    fn a_failure_shows_the_failed_steps_own_output() {
        let mut vertex = field(1, b"sha256:a");
        vertex.extend(field(3, b"[2/2] RUN ./configure"));
        vertex.extend(field(7, b"exit code: 1"));
        let mut log = field(1, b"sha256:a");
        log.extend(field(4, b"checking for cc... no\nerror: no compiler\n"));
        let mut message = field(1, &vertex);
        message.extend(field(3, &log));
        let mut trace = Trace::default();
        trace.add(&message);
        assert_eq!(
            trace.failure(1),
            ["[2/2] RUN ./configure failed:", "error: no compiler"]
        );
    }

    #[test]
    fn malformed_bytes_are_ignored() {
        let mut trace = Trace::default();
        trace.add(&[0xff, 0xff, 0xff]);
        trace.add(&[0x0a, 0x50, 0x01]);
        assert_eq!(trace.counts(), (0, 0));
    }
}
