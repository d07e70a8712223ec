//! The server around the handlers: a tokio runtime on a background thread, axum routing,
//! and a thin layer for what ordinary handlers cannot do (injected statuses and delays,
//! dropped connections, truncated answers, hangs) plus the record of every request.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
#[cfg(feature = "fakes")]
use axum::routing::get;
use axum::routing::post;
use hyper_util::rt::TokioIo;
use routing_core::RoutingTable;
use serde_json::{Value, json};
use tokio::sync::{Notify, watch};
use tower::ServiceExt;

#[cfg(feature = "fakes")]
use crate::fakes::{self, FakeJira, FakeLinear};
use crate::handlers::{ResolutionTag, receive_batch, receive_snapshot};

pub use event_envelope::BATCH_PATH;
pub use routing_core::SNAPSHOT_PATH;

const MAX_BODY: usize = 512 * 1024 * 1024;

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
    /// Answer this status, extra headers and JSON body instead of handling (a rate limit
    /// with its headers, an error inside a 200...).
    Answer(u16, Vec<(String, String)>, Value),
    /// Handle a batch normally but answer (and record as seen) only the results of its
    /// first N events.
    PartialResults(usize),
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

    /// The body as JSON (decompressed first when it was sent with `Content-Encoding:
    /// gzip`).
    #[must_use]
    pub fn json(&self) -> Option<Value> {
        if self
            .header("content-encoding")
            .is_some_and(|e| e.eq_ignore_ascii_case("gzip"))
        {
            let bytes = event_envelope::gunzip(&self.body, usize::MAX).ok()?;
            return serde_json::from_slice(&bytes).ok();
        }
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
    /// Serve the token endpoints (and check bearer tokens when it says so).
    pub auth: Option<crate::auth::AuthConfig>,
    /// Serve a fake Jira Cloud (`/rest/api/3/...`).
    #[cfg(feature = "fakes")]
    pub jira: Option<FakeJira>,
    /// Serve a fake Linear (`/graphql`).
    #[cfg(feature = "fakes")]
    pub linear: Option<FakeLinear>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            allow_non_loopback: false,
            mappings: RoutingTable::new(),
            keep_bodies: true,
            auth: None,
            #[cfg(feature = "fakes")]
            jira: None,
            #[cfg(feature = "fakes")]
            linear: None,
        }
    }
}

#[derive(Default)]
pub(crate) struct Books {
    faults: VecDeque<Fault>,
    received: Vec<Received>,
    pub(crate) idempotency: HashMap<String, (blake3::Hash, u16, Value)>,
    pub(crate) event_ids: BTreeSet<String>,
    #[cfg(feature = "fakes")]
    pub(crate) jira: Option<FakeJira>,
    /// The batch endpoint's cap on a decompressed body (413 beyond it).
    pub(crate) batch_cap: Option<usize>,
    /// Event ids the batch endpoint rejects, whatever they hold.
    pub(crate) reject_ids: BTreeSet<String>,
    /// Event ids that make the whole batch a 400 that names no event.
    pub(crate) poison_ids: BTreeSet<String>,
    /// The fake Jira's issues in `updated, key` order with their parsed keys, rebuilt after
    /// a change (so a 10,000-issue search does not parse every date per request).
    #[cfg(feature = "fakes")]
    pub(crate) jira_index: Option<Vec<fakes::JiraKey>>,
    #[cfg(feature = "fakes")]
    pub(crate) linear: Option<FakeLinear>,
    /// Moves the fake Jira's workflow does not offer, `(from, to)` status names.
    #[cfg(feature = "fakes")]
    pub(crate) jira_forbidden: Vec<(String, String)>,
}

/// What the handlers share.
pub(crate) struct Shared {
    state: Mutex<Books>,
    auth: Mutex<crate::auth::AuthBooks>,
    pub(crate) mappings: RoutingTable<String>,
    keep_bodies: bool,
    stopped: watch::Receiver<bool>,
}

impl Shared {
    pub(crate) fn state(&self) -> MutexGuard<'_, Books> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn auth(&self) -> MutexGuard<'_, crate::auth::AuthBooks> {
        self.auth.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running server; shuts down when dropped.
pub struct ContractServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl ContractServer {
    /// Binds and starts serving on a background thread.
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
        let listener = std::net::TcpListener::bind(config.addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = watch::channel(false);
        let shared = Arc::new(Shared {
            state: Mutex::new(Books {
                #[cfg(feature = "fakes")]
                jira: config.jira,
                #[cfg(feature = "fakes")]
                linear: config.linear,
                ..Books::default()
            }),
            auth: Mutex::new(crate::auth::AuthBooks::new(config.auth)),
            mappings: config.mappings,
            keep_bodies: config.keep_bodies,
            stopped: stopped.clone(),
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("contract-server")
            .enable_all()
            .build()?;
        let app = router(Arc::clone(&shared));
        let thread = std::thread::Builder::new()
            .name("contract-server".into())
            .spawn(move || {
                runtime.block_on(async move {
                    if let Ok(listener) = tokio::net::TcpListener::from_std(listener) {
                        serve(listener, app, stopped).await;
                    }
                });
                runtime.shutdown_timeout(Duration::from_secs(1));
            })?;
        Ok(ContractServer {
            addr,
            shared,
            stop,
            thread: Some(thread),
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

    /// Caps a batch's decompressed body at `bytes` (beyond it the answer is 413, as the
    /// SaaS does at 1 MiB); `None` removes the cap.
    pub fn set_batch_cap(&self, bytes: Option<usize>) {
        self.shared.state().batch_cap = bytes;
    }

    /// Makes the batch endpoint reject these event ids (a poison event), per event.
    pub fn reject_event_ids(&self, ids: impl IntoIterator<Item = String>) {
        self.shared.state().reject_ids.extend(ids);
    }

    /// Makes any batch holding one of these event ids a 400 whose `details` name no event
    /// (as a server that validates the batch as a whole would answer).
    pub fn poison_batches_with(&self, ids: impl IntoIterator<Item = String>) {
        self.shared.state().poison_ids.extend(ids);
    }

    /// The event ids the batch endpoint has accepted so far (success, not duplicate).
    #[must_use]
    pub fn accepted_event_ids(&self) -> BTreeSet<String> {
        self.shared.state().event_ids.clone()
    }

    /// Adds an issue to the fake Jira, or replaces the one with its `id`.
    #[cfg(feature = "fakes")]
    pub fn jira_put(&self, issue: Value) {
        if let Some(j) = self.shared.state().jira.as_mut() {
            j.issues.retain(|i| i["id"] != issue["id"]);
            j.issues.push(issue);
        }
        self.shared.state().jira_index = None;
    }

    /// Makes the fake Jira serve another project with these issues (as if the binding had
    /// moved to another project of the same site).
    #[cfg(feature = "fakes")]
    pub fn jira_switch_project(&self, project_key: &str, issues: Vec<Value>) {
        if let Some(j) = self.shared.state().jira.as_mut() {
            j.project_key = project_key.to_owned();
            j.issues = issues;
        }
        self.shared.state().jira_index = None;
    }

    /// Makes the fake Jira's workflow refuse the move `from` -> `to` (status names).
    #[cfg(feature = "fakes")]
    pub fn jira_forbid_transition(&self, from: &str, to: &str) {
        self.shared
            .state()
            .jira_forbidden
            .push((from.to_owned(), to.to_owned()));
    }

    /// The fake Jira's issue with this key or id, as it is now.
    #[cfg(feature = "fakes")]
    #[must_use]
    pub fn jira_issue(&self, key_or_id: &str) -> Option<Value> {
        self.shared.state().jira.as_ref().and_then(|j| {
            j.issues
                .iter()
                .find(|i| i["key"] == key_or_id || i["id"] == key_or_id)
                .cloned()
        })
    }

    /// Removes the fake Linear's issue node with this id (deleted remotely).
    #[cfg(feature = "fakes")]
    pub fn linear_delete(&self, id: &str) {
        if let Some(l) = self.shared.state().linear.as_mut() {
            l.issues.retain(|i| i["id"] != id);
        }
    }

    /// The fake Linear's issue node with this id, as it is now.
    #[cfg(feature = "fakes")]
    #[must_use]
    pub fn linear_issue(&self, id: &str) -> Option<Value> {
        self.shared
            .state()
            .linear
            .as_ref()
            .and_then(|l| l.issues.iter().find(|i| i["id"] == id).cloned())
    }

    /// Removes the fake Jira's issue with this key or id (deleted remotely).
    #[cfg(feature = "fakes")]
    pub fn jira_delete(&self, key_or_id: &str) {
        if let Some(j) = self.shared.state().jira.as_mut() {
            j.issues
                .retain(|i| i["key"] != key_or_id && i["id"] != key_or_id);
        }
        self.shared.state().jira_index = None;
    }

    /// Adds a node to the fake Linear, or replaces the one with its `id`.
    #[cfg(feature = "fakes")]
    pub fn linear_put(&self, node: Value) {
        if let Some(l) = self.shared.state().linear.as_mut() {
            l.issues.retain(|i| i["id"] != node["id"]);
            l.issues.push(node);
        }
    }

    /// Makes every token refresh answer 401 (`true`) or work again (`false`).
    pub fn fail_refresh(&self, fail: bool) {
        self.shared.auth().fail_refresh = fail;
    }

    /// Holds every token refresh this long before answering (to overlap two clients).
    pub fn delay_refresh(&self, delay: Duration) {
        self.shared.auth().refresh_delay = delay;
    }

    /// Forgets every access token issued so far: the next request with one is a 401,
    /// though its expiry has not come.
    pub fn revoke_access_tokens(&self) {
        self.shared.auth().revoke_access();
    }

    /// How many login and refresh requests reached the token endpoints.
    #[must_use]
    pub fn token_requests(&self) -> (u64, u64) {
        let books = self.shared.auth();
        (books.logins, books.refreshes)
    }

    /// Every request received so far, in arrival order.
    #[must_use]
    pub fn received(&self) -> Vec<Received> {
        self.shared.state().received.clone()
    }

    /// Stops accepting, closes every connection (hanging ones too), and joins the server
    /// thread.
    pub fn shutdown(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for ContractServer {
    fn drop(&mut self) {
        self.halt();
    }
}

/// The contract routes, behind the fault-and-record layer.
fn router(shared: Arc<Shared>) -> Router {
    let routes = Router::new()
        .route(SNAPSHOT_PATH, post(receive_snapshot))
        .route(BATCH_PATH, post(receive_batch))
        .route(crate::auth::TOKEN_PATH, post(crate::auth::login))
        .route(crate::auth::REFRESH_PATH, post(crate::auth::refresh));
    #[cfg(feature = "fakes")]
    let routes = routes
        .route("/rest/api/3/myself", get(fakes::jira_myself))
        .route("/rest/api/3/search", get(fakes::jira_old_search))
        .route("/rest/api/3/search/jql", get(fakes::jira_search))
        .route("/graphql", post(fakes::linear_graphql))
        .route("/rest/api/3/issue/{key}", get(fakes::jira_issue_get))
        .route(
            "/rest/api/3/issue/{key}/transitions",
            get(fakes::jira_transitions_get).post(fakes::jira_transitions_post),
        );
    routes
        .fallback(|req: Request| async move {
            json_answer(
                StatusCode::NOT_FOUND,
                &json!({"error": format!("no endpoint at {}", req.uri().path())}),
            )
        })
        .method_not_allowed_fallback(|| async {
            json_answer(
                StatusCode::METHOD_NOT_ALLOWED,
                &json!({"error": "method not allowed here"}),
            )
        })
        .layer(middleware::from_fn_with_state(
            Arc::clone(&shared),
            crate::auth::require_bearer,
        ))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&shared),
            faults_and_record,
        ))
        .layer(DefaultBodyLimit::disable())
        .with_state(shared)
}

pub(crate) fn json_answer(status: StatusCode, v: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

/// The raw side of the request's connection: for faults that an HTTP stack will not
/// produce (an answer cut short, a connection closed without one).
#[derive(Clone)]
struct RawConnection {
    socket: Arc<std::net::TcpStream>,
    closed: Arc<Notify>,
}

impl RawConnection {
    /// Writes `bytes` straight to the socket (a few bytes: the socket buffer takes them at
    /// once), then closes the connection under the HTTP stack.
    fn write_and_close(&self, bytes: &[u8]) {
        use std::io::Write;
        let _ = (&*self.socket).write_all(bytes);
        let _ = self.socket.shutdown(std::net::Shutdown::Both);
        self.closed.notify_one();
    }
}

fn split_raw(stream: tokio::net::TcpStream) -> io::Result<(tokio::net::TcpStream, RawConnection)> {
    let std_stream = stream.into_std()?;
    let raw = std_stream.try_clone()?;
    Ok((
        tokio::net::TcpStream::from_std(std_stream)?,
        RawConnection {
            socket: Arc::new(raw),
            closed: Arc::new(Notify::new()),
        },
    ))
}

/// Accepts connections until told to stop; one request per connection (`Connection:
/// close`), so a fault never leaks into the next request.
async fn serve(listener: tokio::net::TcpListener, app: Router, stopped: watch::Receiver<bool>) {
    let mut connections = tokio::task::JoinSet::new();
    let mut stop_accepting = stopped.clone();
    loop {
        tokio::select! {
            _ = stop_accepting.wait_for(|s| *s) => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let Ok((stream, raw)) = split_raw(stream) else { continue };
                let closed = Arc::clone(&raw.closed);
                let app = app.clone();
                let service = hyper::service::service_fn(move |mut req: Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(raw.clone());
                    app.clone().oneshot(req.map(Body::new))
                });
                let mut stop = stopped.clone();
                connections.spawn(async move {
                    let conn = hyper::server::conn::http1::Builder::new()
                        .keep_alive(false)
                        .serve_connection(TokioIo::new(stream), service);
                    tokio::select! {
                        _ = conn => {}
                        () = closed.notified() => {}
                        _ = stop.wait_for(|s| *s) => {}
                    }
                });
                while connections.try_join_next().is_some() {}
            }
        }
    }
    drop(listener);
    connections.shutdown().await;
}

/// Records each request and its answer, and plays the next queued [`Fault`].
async fn faults_and_record(
    State(shared): State<Arc<Shared>>,
    req: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return json_answer(
            StatusCode::PAYLOAD_TOO_LARGE,
            &json!({"error": "the body could not be read or is too large"}),
        );
    };
    let mut received = Received {
        method: parts.method.to_string(),
        path: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), ToString::to_string),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).trim().to_owned(),
                )
            })
            .collect(),
        body: if shared.keep_bodies {
            bytes.to_vec()
        } else {
            Vec::new()
        },
        body_len: bytes.len() as u64,
        status: 0,
        resolution: None,
    };
    let fault = shared.state().faults.pop_front();
    let record = |r: Received| shared.state().received.push(r);
    let answer = match fault {
        None => None,
        Some(Fault::Delay(d)) => {
            tokio::time::sleep(d).await;
            None
        }
        Some(Fault::Drop) => {
            record(received);
            if let Some(raw) = parts.extensions.get::<RawConnection>() {
                raw.write_and_close(b"");
            }
            return std::future::pending().await;
        }
        Some(Fault::Hang) => {
            record(received);
            let mut stopped = shared.stopped.clone();
            let _ = stopped.wait_for(|s| *s).await;
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
        Some(Fault::Status(status, retry_after)) => {
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut r = json_answer(code, &json!({"error": "injected failure"}));
            if let Some(v) = retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Some(r)
        }
        Some(Fault::Truncate) => {
            // Promise 100 bytes, send 6, close.
            received.status = 200;
            record(received);
            if let Some(raw) = parts.extensions.get::<RawConnection>() {
                raw.write_and_close(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"stat",
                );
            }
            return std::future::pending().await;
        }
        Some(Fault::Answer(status, headers, body)) => {
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut r = json_answer(code, &body);
            for (k, v) in headers {
                if let (Ok(k), Ok(v)) = (
                    axum::http::HeaderName::from_bytes(k.as_bytes()),
                    HeaderValue::from_str(&v),
                ) {
                    r.headers_mut().insert(k, v);
                }
            }
            Some(r)
        }
        Some(Fault::PartialResults(n)) => {
            parts.extensions.insert(crate::handlers::ResultLimit(n));
            None
        }
        Some(Fault::NonJson) => Some(
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/html")],
                "<html><body>OK</body></html>",
            )
                .into_response(),
        ),
        Some(Fault::BadJson) => Some(
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                "{not json",
            )
                .into_response(),
        ),
        Some(Fault::Redirect(to)) => Some(
            (
                StatusCode::TEMPORARY_REDIRECT,
                [
                    (header::LOCATION, to.as_str()),
                    (header::CONTENT_TYPE, "text/plain"),
                ],
                "moved",
            )
                .into_response(),
        ),
    };
    let chunked = parts
        .headers
        .get(header::TRANSFER_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let known = [SNAPSHOT_PATH, BATCH_PATH].contains(&parts.uri.path());
    let response = match answer {
        Some(r) => r,
        None if chunked && known && parts.method == axum::http::Method::POST => json_answer(
            StatusCode::LENGTH_REQUIRED,
            &json!({"error": "chunked request bodies are not accepted; send Content-Length"}),
        ),
        None => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
    };
    received.status = response.status().as_u16();
    received.resolution = response
        .extensions()
        .get::<ResolutionTag>()
        .map(|t| t.0.clone());
    record(received);
    response
}
