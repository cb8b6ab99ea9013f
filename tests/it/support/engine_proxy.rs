//! A unix-socket proxy in front of the real Docker Engine's socket, for
//! `DOCKER_HOST=unix://...`: bytes pass through untouched until the client
//! sends a request whose request line holds a marker (`/start`, `/build`).
//! Then, as the test asked, the engine either "goes away" — every open
//! connection is shut down, the socket file removed, nothing accepted any
//! more, as when the daemon dies — or that request is held for a while (a
//! slow build) before it goes on. The real daemon is never touched (other
//! tests use it).

use std::io::{Read, Write};
use std::net::Shutdown;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The engine's own socket.
const ENGINE: &str = "/var/run/docker.sock";

/// What happens at the marker.
#[derive(Debug, Clone)]
pub enum Trigger {
    /// The engine goes away.
    Vanish,
    /// The request waits this long, then goes on.
    Hold(Duration),
}

#[derive(Default)]
struct State {
    gone: AtomicBool,
    /// The marker was seen.
    fired: AtomicBool,
    /// Every connection both ways, to shut down when the engine goes away.
    streams: Mutex<Vec<UnixStream>>,
}

impl State {
    fn vanish(&self, path: &PathBuf) {
        self.gone.store(true, Ordering::SeqCst);
        let _ = std::fs::remove_file(path);
        for stream in self.streams.lock().expect("streams").drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

/// A running proxy; `DOCKER_HOST` is [`EngineProxy::docker_host`].
pub struct EngineProxy {
    _dir: tempfile::TempDir,
    path: PathBuf,
    state: Arc<State>,
}

impl EngineProxy {
    /// Proxies to the engine; at the first request whose request line holds
    /// `marker`, does what `trigger` says.
    pub fn start(marker: &str, trigger: Trigger) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("parity-engine-proxy-")
            .tempdir()
            .expect("temp dir");
        let path = dir.path().join("docker.sock");
        let listener = UnixListener::bind(&path).expect("bind the engine proxy's socket");
        let state = Arc::new(State::default());
        let (state_, path_, marker) = (state.clone(), path.clone(), marker.to_owned());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                if state_.gone.load(Ordering::SeqCst) {
                    return;
                }
                let upstream = UnixStream::connect(ENGINE)
                    .unwrap_or_else(|e| panic!("the Docker Engine at {ENGINE}: {e}"));
                {
                    let mut streams = state_.streams.lock().expect("streams");
                    streams.push(client.try_clone().expect("clone"));
                    streams.push(upstream.try_clone().expect("clone"));
                }
                let (mut from_engine, mut to_client) = (
                    upstream.try_clone().expect("clone"),
                    client.try_clone().expect("clone"),
                );
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut from_engine, &mut to_client);
                    let _ = to_client.shutdown(Shutdown::Write);
                });
                let (state, path, marker, trigger) = (
                    state_.clone(),
                    path_.clone(),
                    marker.clone(),
                    trigger.clone(),
                );
                std::thread::spawn(move || {
                    pump(client, upstream, &state, &path, &marker, &trigger);
                });
            }
        });
        Self {
            _dir: dir,
            path,
            state,
        }
    }

    /// `unix:///...`: what the test sets `DOCKER_HOST` to.
    pub fn docker_host(&self) -> String {
        format!("unix://{}", self.path.display())
    }

    /// Whether the marker was seen (the hold or the vanishing began).
    pub fn triggered(&self) -> bool {
        self.state.fired.load(Ordering::SeqCst)
    }

    /// Whether the engine went away (the marker was seen with [`Trigger::Vanish`]).
    pub fn gone(&self) -> bool {
        self.state.gone.load(Ordering::SeqCst)
    }
}

impl Drop for EngineProxy {
    fn drop(&mut self) {
        self.state.vanish(&self.path);
    }
}

/// Client to engine, watching request lines for the marker.
fn pump(
    mut client: UnixStream,
    mut upstream: UnixStream,
    state: &State,
    path: &PathBuf,
    marker: &str,
    trigger: &Trigger,
) {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = match client.read(&mut buffer) {
            Ok(0) | Err(_) => {
                let _ = upstream.shutdown(Shutdown::Write);
                return;
            }
            Ok(n) => n,
        };
        let chunk = &buffer[..n];
        let first_line = chunk.split(|b| *b == b'\n').next().unwrap_or_default();
        let hit = String::from_utf8_lossy(first_line).contains(marker)
            && !state.fired.swap(true, Ordering::SeqCst);
        if hit {
            match trigger {
                Trigger::Vanish => {
                    state.vanish(path);
                    return;
                }
                Trigger::Hold(duration) => std::thread::sleep(*duration),
            }
        }
        if state.gone.load(Ordering::SeqCst) || upstream.write_all(chunk).is_err() {
            return;
        }
    }
}
