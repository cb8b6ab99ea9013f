//! The example stack's one program (std only, linked statically into `FROM scratch`
//! images). Each role of `compose.example.yml` is a subcommand:
//!
//! - `db`      a tiny key-value "database" on TCP (`SET k v`, `GET k`, `PING`); `--ready-after MS` delays it
//! - `migrate` the release phase: applies the schema version to `db`, then exits
//! - `web`     an HTTP server whose page shows what `db` holds
//! - `worker`  a loop that reports to `db` every second
//! - `health`  the exec-form health check: `health tcp HOST:PORT` or `health http HOST:PORT/PATH`
//! - `exit`    prints a line and exits with a code (tests: failing migrations, early exits)
//! - `sleep`   runs until stopped (tests: services that never turn healthy)
//! - `env`     prints `NAME=value` (or `NAME unset`) for each name given (tests: `run -e`, `exec -e`)
//! - `cat`     copies stdin to stdout (tests: stdin reaches `run` and `exec`)
//! - `tty`     says whether stdin is a terminal (tests: `run` allocates a TTY for a terminal)
//!
//! Run as `rm` (the image holds a copy at /bin/rm), it removes its arguments as
//! `rm -rf` does: `develop.watch` deletes files in a container with `rm -rf`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let program = std::env::args().next().unwrap_or_default();
    if program.rsplit('/').next() == Some("rm") {
        return remove(&args);
    }
    let role = args.first().map(String::as_str).unwrap_or("");
    let rest = &args[args.len().min(1)..];
    let result = match role {
        "db" => {
            // `--ready-after MS`: a slow start (tests: services whose start-ups overlap).
            if let Some(ms) = flag(rest, "--ready-after").and_then(|m| m.parse().ok()) {
                std::thread::sleep(Duration::from_millis(ms));
            }
            db(&flag(rest, "--port").unwrap_or_else(|| "5432".into()))
        }
        "migrate" => migrate(&db_addr(rest)),
        "web" => web(
            &flag(rest, "--port").unwrap_or_else(|| "8080".into()),
            &db_addr(rest),
            flag(rest, "--files"),
        ),
        "worker" => worker(&db_addr(rest)),
        "health" => return health(rest),
        "exit" => return exit(rest),
        "env" => {
            for name in rest {
                match std::env::var(name) {
                    Ok(value) => println!("{name}={value}"),
                    Err(_) => println!("{name} unset"),
                }
            }
            Ok(())
        }
        "cat" => std::io::copy(&mut std::io::stdin(), &mut std::io::stdout())
            .map(|_| ())
            .map_err(|e| e.to_string()),
        "tty" => {
            use std::io::IsTerminal;
            println!("stdin is a terminal: {}", std::io::stdin().is_terminal());
            Ok(())
        }
        "sleep" => loop {
            std::thread::sleep(Duration::from_secs(3600));
        },
        _ => Err(format!(
            "usage: app db|migrate|web|worker|health|exit|sleep|env|cat|tty (got {role:?})"
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{role}: error: {message}");
            ExitCode::from(1)
        }
    }
}

/// `--name value` from the arguments.
fn flag(args: &[String], name: &str) -> Option<String> {
    let index = args.iter().position(|a| a == name)?;
    args.get(index + 1).cloned()
}

fn db_addr(args: &[String]) -> String {
    flag(args, "--db")
        .or_else(|| std::env::var("DB_ADDR").ok())
        .unwrap_or_else(|| "db:5432".into())
}

/// Serves `PING`, `SET key value` and `GET key` lines, one connection per thread.
fn db(port: &str) -> Result<(), String> {
    let listener = TcpListener::bind(format!("0.0.0.0:{port}")).map_err(|e| e.to_string())?;
    println!("db: listening on :{port}");
    let store: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    for stream in listener.incoming().flatten() {
        let store = Arc::clone(&store);
        std::thread::spawn(move || serve_db(stream, &store));
    }
    Ok(())
}

fn serve_db(stream: TcpStream, store: &Mutex<HashMap<String, String>>) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    for line in BufReader::new(stream).lines() {
        let Ok(line) = line else { return };
        let mut parts = line.splitn(3, ' ');
        let reply = match (parts.next(), parts.next(), parts.next()) {
            (Some("PING"), _, _) => "PONG".to_string(),
            (Some("SET"), Some(key), Some(value)) => {
                if let Ok(mut map) = store.lock() {
                    map.insert(key.to_string(), value.to_string());
                }
                if key != "worker" {
                    println!("db: {key} = {value}");
                }
                "OK".to_string()
            }
            (Some("GET"), Some(key), _) => store
                .lock()
                .ok()
                .and_then(|map| map.get(key).cloned())
                .unwrap_or_default(),
            _ => "ERR".to_string(),
        };
        if writeln!(writer, "{reply}").is_err() {
            return;
        }
    }
}

/// One request to `db`, one reply line.
fn db_call(addr: &str, request: &str) -> Result<String, String> {
    let mut stream = connect(addr)?;
    writeln!(stream, "{request}").map_err(|e| e.to_string())?;
    let mut line = String::new();
    BufReader::new(stream)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    Ok(line.trim_end().to_string())
}

fn connect(addr: &str) -> Result<TcpStream, String> {
    let socket = addr
        .to_socket_addrs()
        .map_err(|e| format!("{addr}: {e}"))?
        .next()
        .ok_or_else(|| format!("{addr}: no address"))?;
    let stream = TcpStream::connect_timeout(&socket, Duration::from_secs(2))
        .map_err(|e| format!("{addr}: {e}"))?;
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    Ok(stream)
}

/// The release phase: records the schema version in `db`. `MIGRATE_FAIL` makes it fail.
fn migrate(db: &str) -> Result<(), String> {
    let version = std::env::var("SCHEMA_VERSION").unwrap_or_else(|_| "3".into());
    println!("migrate: applying schema version {version} to {db}");
    if let Ok(reason) = std::env::var("MIGRATE_FAIL") {
        return Err(format!("migration {version} failed: {reason}"));
    }
    let reply = db_call(db, &format!("SET schema {version}"))?;
    if reply != "OK" {
        return Err(format!("db replied {reply:?}"));
    }
    println!("migrate: schema is at version {version}");
    Ok(())
}

/// `rm [-rf] PATH...`: removes files and directories; a missing one is no error.
fn remove(args: &[String]) -> ExitCode {
    let mut code = ExitCode::SUCCESS;
    for path in args.iter().filter(|a| !a.starts_with('-')) {
        let path = std::path::Path::new(path);
        let result = match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
            Ok(_) => std::fs::remove_file(path),
            Err(_) => Ok(()),
        };
        if let Err(e) = result {
            eprintln!("rm: {}: {e}", path.display());
            code = ExitCode::from(1);
        }
    }
    code
}

/// Serves the demo page on every path; `/health` answers `ok`; with
/// `--files DIR`, `/files/NAME` is the file DIR/NAME as it is on disk now.
fn web(port: &str, db: &str, files: Option<String>) -> Result<(), String> {
    let listener = TcpListener::bind(format!("0.0.0.0:{port}")).map_err(|e| e.to_string())?;
    println!("web: listening on :{port}");
    for stream in listener.incoming().flatten() {
        let db = db.to_string();
        let files = files.clone();
        std::thread::spawn(move || serve_page(stream, &db, files.as_deref()));
    }
    Ok(())
}

fn serve_page(mut stream: TcpStream, db: &str, files: Option<&str>) {
    let mut request = [0u8; 1024];
    let read = stream.read(&mut request).unwrap_or(0);
    let request = String::from_utf8_lossy(&request[..read]);
    let path = request.split_whitespace().nth(1).unwrap_or("/");
    if let (Some(dir), Some(name)) = (files, path.strip_prefix("/files/")) {
        let (status, body) = match std::fs::read(format!("{dir}/{name}")) {
            Ok(body) if !name.contains("..") => ("200 OK", body),
            _ => ("404 Not Found", b"not found\n".to_vec()),
        };
        let _ = write!(
            stream,
            "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        let _ = stream.write_all(&body);
        return;
    }
    let body = if path == "/health" {
        "ok\n".to_string()
    } else {
        let schema = db_call(db, "GET schema").unwrap_or_else(|e| format!("unreachable ({e})"));
        let worker = db_call(db, "GET worker").unwrap_or_default();
        let greeting = std::env::var("GREETING").unwrap_or_else(|_| "Hello from parity".into());
        format!(
            "<!doctype html><title>parity demo</title><h1>{greeting}</h1>\
             <p>schema version: {schema}</p><p>worker: {worker}</p>\n"
        )
    };
    let kind = if path == "/health" {
        "text/plain"
    } else {
        "text/html"
    };
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\ncontent-type: {kind}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// Reports a heartbeat to `db` every second.
fn worker(db: &str) -> Result<(), String> {
    println!("worker: started");
    for tick in 1u64.. {
        match db_call(db, &format!("SET worker tick {tick}")) {
            Ok(_) if tick % 10 == 1 => println!("worker: tick {tick}"),
            Ok(_) => {}
            Err(e) => println!("worker: db unavailable: {e}"),
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    Ok(())
}

/// `health tcp HOST:PORT` or `health http HOST:PORT[/PATH]`: exit 0 when it answers.
fn health(args: &[String]) -> ExitCode {
    let (kind, target) = match args {
        [kind, target, ..] => (kind.as_str(), target.as_str()),
        _ => {
            eprintln!("usage: app health tcp|http HOST:PORT[/PATH]");
            return ExitCode::from(2);
        }
    };
    let result = match kind {
        "tcp" => db_call(target, "PING").and_then(|reply| {
            if reply == "PONG" {
                Ok(())
            } else {
                Err(format!("unexpected reply {reply:?}"))
            }
        }),
        "http" => http_ok(target),
        _ => Err(format!("unknown check {kind:?}")),
    };
    match result {
        Ok(()) => {
            println!("healthy: {target}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("unhealthy: {e}");
            ExitCode::from(1)
        }
    }
}

fn http_ok(target: &str) -> Result<(), String> {
    let (addr, path) = match target.find('/') {
        Some(i) => (&target[..i], &target[i..]),
        None => (target, "/"),
    };
    let mut stream = connect(addr)?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nhost: {addr}\r\nconnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut status = String::new();
    BufReader::new(stream)
        .read_line(&mut status)
        .map_err(|e| e.to_string())?;
    if status.split_whitespace().nth(1) == Some("200") {
        Ok(())
    } else {
        Err(format!("{addr}{path}: {}", status.trim_end()))
    }
}

/// `exit CODE [--after MS] [--say TEXT]`.
fn exit(args: &[String]) -> ExitCode {
    let code: u8 = args.first().and_then(|c| c.parse().ok()).unwrap_or(0);
    if let Some(ms) = flag(args, "--after").and_then(|m| m.parse().ok()) {
        std::thread::sleep(Duration::from_millis(ms));
    }
    if let Some(text) = flag(args, "--say") {
        println!("{text}");
    }
    ExitCode::from(code)
}
