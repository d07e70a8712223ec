//! The HTTP side: a small HTTP/1.1 server on loopback, one thread per connection, that
//! plays the SaaS for both contracts and can be told to misbehave.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use event_envelope::{BatchRequest, EventResult, EventStatus};
use routing_core::{Resolution, RoutingKey, RoutingTable};
use serde_json::{Value, json};

use crate::contract::validate_snapshot;

/// The snapshot endpoint path.
pub const SNAPSHOT_PATH: &str = "/api/v1/connectors/trackers/snapshots/";
/// The batch endpoint path.
pub const BATCH_PATH: &str = "/api/v1/events/batch/";
const MAX_HEADER: usize = 64 * 1024;
const MAX_BODY: u64 = 512 * 1024 * 1024;

/// A misbehaviour for one request (taken in order, one per request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status and an optional `Retry-After` value instead of handling.
    Status(u16, Option<String>),
    /// Wait, then handle normally.
    Delay(Duration),
    /// Read the request, then close the connection without answering.
    Drop,
    /// Answer 200 with a JSON content type and a `Content-Length` longer than the body sent.
    Truncate,
    /// Answer 200 with an HTML body.
    NonJson,
    /// Answer 200 with a JSON content type and a body that is not JSON.
    BadJson,
    /// Answer a redirect to another URL.
    Redirect(String),
    /// Never answer (until shutdown).
    Hang,
}

/// A request the server received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// `POST`...
    pub method: String,
    /// The path.
    pub path: String,
    /// Headers, names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    /// The body (empty when bodies are not kept).
    pub body: Vec<u8>,
    /// The body's length.
    pub body_len: u64,
    /// The status answered (0 when none).
    pub status: u16,
    /// The routing key resolution, for snapshots: `exact`, `workspace_fallback`, `unresolved`.
    pub resolution: Option<String>,
}

impl Received {
    /// A header's value.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    #[must_use]
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// Start-up configuration.
pub struct ServerConfig {
    /// Where to listen; loopback unless `allow_non_loopback`.
    pub addr: SocketAddr,
    /// Listening beyond loopback must be asked for.
    pub allow_non_loopback: bool,
    /// The routing keys the SaaS knows, with their targets.
    pub mappings: RoutingTable<String>,
    /// Keep request bodies in [`Received`] (turn off for huge payloads).
    pub keep_bodies: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            allow_non_loopback: false,
            mappings: RoutingTable::new(),
            keep_bodies: true,
        }
    }
}

#[derive(Default)]
struct State {
    faults: VecDeque<Fault>,
    received: Vec<Received>,
    idempotency: HashMap<String, (blake3::Hash, u16, Value)>,
    event_ids: BTreeSet<String>,
}

struct Shared {
    state: Mutex<State>,
    stop: AtomicBool,
    mappings: RoutingTable<String>,
    keep_bodies: bool,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running server; shuts down when dropped.
pub struct ContractServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl ContractServer {
    /// Binds and starts serving in background threads.
    ///
    /// # Errors
    ///
    /// Binding fails, or the address is not loopback and `allow_non_loopback` is off.
    pub fn start(config: ServerConfig) -> io::Result<ContractServer> {
        if !config.addr.ip().is_loopback() && !config.allow_non_loopback {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "refusing to listen on {} (not loopback) without allow_non_loopback",
                    config.addr
                ),
            ));
        }
        let listener = TcpListener::bind(config.addr)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            stop: AtomicBool::new(false),
            mappings: config.mappings,
            keep_bodies: config.keep_bodies,
        });
        let s = Arc::clone(&shared);
        let accept = std::thread::Builder::new()
            .name("contract-server-accept".into())
            .spawn(move || accept_loop(&listener, &s))?;
        Ok(ContractServer {
            addr,
            shared,
            accept: Some(accept),
        })
    }

    /// The bound address.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Queues misbehaviours for the next requests, one per request, in order.
    pub fn push_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        self.shared.state().faults.extend(faults);
    }

    /// Every request received so far, in arrival order.
    #[must_use]
    pub fn received(&self) -> Vec<Received> {
        self.shared.state().received.clone()
    }

    /// Stops accepting, releases hanging connections, and joins the accept thread.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

impl Drop for ContractServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    let mut workers: Vec<JoinHandle<()>> = Vec::new();
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let s = Arc::clone(shared);
        if let Ok(h) = std::thread::Builder::new()
            .name("contract-server-conn".into())
            .spawn(move || {
                let _ = handle(stream, &s);
            })
        {
            workers.push(h);
        }
        workers.retain(|h| !h.is_finished());
    }
    for h in workers {
        let _ = h.join();
    }
}

struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    body_len: u64,
    chunked: bool,
}

fn read_request(stream: &TcpStream, keep_body: bool) -> io::Result<Request> {
    let mut reader = BufReader::new(stream);
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let n = reader.read_until(b'\n', &mut head)?;
        if n == 0 || head.len() > MAX_HEADER {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "bad request head",
            ));
        }
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.split("\r\n");
    let mut first = lines.next().unwrap_or("").split_whitespace();
    let (method, path) = (
        first.next().unwrap_or("").to_owned(),
        first.next().unwrap_or("").to_owned(),
    );
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let chunked =
        get("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let len: u64 = get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if len > MAX_BODY {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "body too large"));
    }
    let mut body = Vec::new();
    let mut limited = reader.take(len);
    let body_len = if keep_body || path.starts_with(BATCH_PATH) || path.starts_with(SNAPSHOT_PATH) {
        limited.read_to_end(&mut body)? as u64
    } else {
        io::copy(&mut limited, &mut io::sink())?
    };
    Ok(Request {
        method,
        path,
        headers,
        body,
        body_len,
        chunked,
    })
}

fn respond(
    stream: &mut TcpStream,
    status: u16,
    extra: &[(&str, &str)],
    content_type: &str,
    body: &[u8],
) -> io::Result<()> {
    let reason = match status {
        200 => "OK",
        202 => "Accepted",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in extra {
        head += &format!("{k}: {v}\r\n");
    }
    head += "\r\n";
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}

fn json_response(
    stream: &mut TcpStream,
    status: u16,
    extra: &[(&str, &str)],
    v: &Value,
) -> io::Result<()> {
    respond(
        stream,
        status,
        extra,
        "application/json",
        v.to_string().as_bytes(),
    )
}

fn handle(mut stream: TcpStream, shared: &Shared) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let req = read_request(&stream, shared.keep_bodies)?;
    let fault = shared.state().faults.pop_front();
    let mut received = Received {
        method: req.method.clone(),
        path: req.path.clone(),
        headers: req.headers.clone(),
        body: if shared.keep_bodies {
            req.body.clone()
        } else {
            Vec::new()
        },
        body_len: req.body_len,
        status: 0,
        resolution: None,
    };
    let record = |r: Received| shared.state().received.push(r);
    match fault {
        Some(Fault::Delay(d)) => std::thread::sleep(d),
        Some(Fault::Drop) => {
            record(received);
            return Ok(());
        }
        Some(Fault::Hang) => {
            record(received);
            while !shared.stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(10));
            }
            return Ok(());
        }
        Some(Fault::Status(status, retry_after)) => {
            received.status = status;
            record(received);
            let extra: Vec<(&str, &str)> = retry_after
                .as_deref()
                .map(|v| ("Retry-After", v))
                .into_iter()
                .collect();
            return json_response(
                &mut stream,
                status,
                &extra,
                &json!({"error": "injected failure"}),
            );
        }
        Some(Fault::Truncate) => {
            received.status = 200;
            record(received);
            stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"stat")?;
            return stream.flush();
        }
        Some(Fault::NonJson) => {
            received.status = 200;
            record(received);
            return respond(
                &mut stream,
                200,
                &[],
                "text/html",
                b"<html><body>OK</body></html>",
            );
        }
        Some(Fault::BadJson) => {
            received.status = 200;
            record(received);
            return respond(&mut stream, 200, &[], "application/json", b"{not json");
        }
        Some(Fault::Redirect(to)) => {
            received.status = 307;
            record(received);
            return respond(
                &mut stream,
                307,
                &[("Location", &to)],
                "text/plain",
                b"moved",
            );
        }
        None => {}
    }
    let (status, extra, body, resolution) = route(&req, shared);
    received.status = status;
    received.resolution = resolution;
    record(received);
    let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
    json_response(&mut stream, status, &extra, &body)
}

type Routed = (u16, Vec<(&'static str, String)>, Value, Option<String>);

fn route(req: &Request, shared: &Shared) -> Routed {
    let known = [SNAPSHOT_PATH, BATCH_PATH];
    if !known.contains(&req.path.as_str()) {
        return (
            404,
            vec![],
            json!({"error": format!("no endpoint at {}", req.path)}),
            None,
        );
    }
    if req.method != "POST" {
        return (405, vec![], json!({"error": "use POST"}), None);
    }
    if req.chunked {
        return (
            411,
            vec![],
            json!({"error": "chunked request bodies are not accepted; send Content-Length"}),
            None,
        );
    }
    let value: Value = match serde_json::from_slice(&req.body) {
        Ok(v) => v,
        Err(e) => {
            return (
                400,
                vec![],
                json!({"error": "body is not JSON", "detail": e.to_string()}),
                None,
            );
        }
    };
    if req.path == BATCH_PATH {
        let (status, body) = batch(&value, shared);
        return (status, vec![], body, None);
    }
    snapshot(req, &value, shared)
}

fn snapshot(req: &Request, value: &Value, shared: &Shared) -> Routed {
    let key = match validate_snapshot(value) {
        Ok(k) => k,
        Err(e) => {
            return (
                422,
                vec![],
                json!({"error": "invalid snapshot", "detail": e}),
                None,
            );
        }
    };
    let idem = req
        .headers
        .iter()
        .find(|(k, _)| k == "idempotency-key")
        .map(|(_, v)| v.clone());
    let hash = blake3::hash(&req.body);
    if let Some(k) = &idem
        && let Some((h, status, body)) = shared.state().idempotency.get(k).cloned()
    {
        if h == hash {
            let res = body["resolution"].as_str().map(str::to_owned);
            return (
                status,
                vec![("Idempotent-Replay", "true".into())],
                body,
                res,
            );
        }
        return (
            422,
            vec![],
            json!({"error": "Idempotency-Key reused with a different body", "detail": "send a new key for new content"}),
            None,
        );
    }
    let (resolution, target) = resolve(&shared.mappings, &key);
    let body = json!({
        "status": "accepted",
        "routing_key": {
            "provider": key.provider(),
            "workspace": key.workspace(),
            "external_resource_type": key.routing().map(|r| r.resource_type().as_str()),
            "external_resource_id": key.routing().map(|r| r.resource_id()),
        },
        "resolution": resolution,
        "target": target,
        "issues": value["issues"].as_array().map_or(0, Vec::len),
        "mappings": value["mappings"].as_array().map_or(0, Vec::len),
        "idempotency_key": idem,
    });
    if let Some(k) = idem {
        shared
            .state()
            .idempotency
            .insert(k, (hash, 202, body.clone()));
    }
    (202, vec![], body, Some(resolution.to_owned()))
}

fn resolve(table: &RoutingTable<String>, key: &RoutingKey) -> (&'static str, Option<String>) {
    match table.resolve(key) {
        Some(Resolution::Exact(t)) => ("exact", Some(t.clone())),
        Some(Resolution::WorkspaceFallback(t)) => ("workspace_fallback", Some(t.clone())),
        None => ("unresolved", None),
    }
}

fn batch(value: &Value, shared: &Shared) -> (u16, Value) {
    let request = match BatchRequest::from_value(value) {
        Ok(r) => r,
        Err(e) => {
            return (
                400,
                json!({"error": "Batch validation failed", "details": e.to_string()}),
            );
        }
    };
    let mut state = shared.state();
    let results: Vec<EventResult> = request
        .events
        .iter()
        .map(|e| {
            let (status, error) = match e.validate() {
                Err(errors) => (
                    EventStatus::Rejected,
                    errors
                        .first()
                        .map(event_envelope::ValidationError::rejection_message),
                ),
                Ok(()) if !state.event_ids.insert(e.event_id.clone()) => {
                    (EventStatus::Duplicate, None)
                }
                Ok(()) => (EventStatus::Success, None),
            };
            EventResult {
                event_id: e.event_id.clone(),
                status,
                error,
                error_message: None,
            }
        })
        .collect();
    (200, json!({"results": results}))
}
