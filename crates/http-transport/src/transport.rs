//! Sending a [`RequestPlan`] with retries.

use std::io::Read;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::plan::{Method, RequestPlan};
use crate::retry::{RetryPolicy, Verdict};
use crate::settings::{Settings, Trace};
use crate::target::redact_url;

/// `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("spec-kitty-rs/", env!("CARGO_PKG_VERSION"));

/// What kind of failure an error is, for whoever decides what happens next (the CLI's exit
/// code, a retry later).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// What the caller asked for cannot be sent as asked (a bad URL, a secret over plain
    /// http): fix the input.
    Usage,
    /// The server (or a local rule about data) refused: trying again unchanged will not help.
    Refused,
    /// The server or the network failed: trying again later may succeed.
    Transient,
}

/// Whether a status is the server's or the network's failure (408, 429, every 5xx):
/// retried, and worth trying again later. The one rule every client uses.
#[must_use]
pub fn is_transient_status(status: u16) -> bool {
    matches!(status, 408 | 429) || (500..600).contains(&status)
}

/// The kind of a final, non-2xx status: [`ErrorKind::Transient`] or
/// [`ErrorKind::Refused`].
#[must_use]
pub fn status_kind(status: u16) -> ErrorKind {
    if is_transient_status(status) {
        ErrorKind::Transient
    } else {
        ErrorKind::Refused
    }
}

/// Why a request got no usable answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The URL is not an http(s) URL with a host.
    #[error("{url:?} is not an http(s) URL with a host")]
    InvalidUrl {
        /// As given, without any password.
        url: String,
    },
    /// The URL carries a query or a fragment, which a joined path would land inside.
    #[error("{url:?} has a query or fragment; give the base URL only (paths are joined to it)")]
    UrlHasQuery {
        /// As given, without any password, its query or fragment replaced by `?…`.
        url: String,
    },
    /// A secret would go over plain http to a remote host.
    #[error("refusing to send credentials over plain http to {host}; use an https:// URL")]
    InsecureToken {
        /// The host.
        host: String,
    },
    /// No answer after every attempt.
    #[error("cannot reach {endpoint} after {attempts} attempt(s): {reason}")]
    Unreachable {
        /// The URL, without any password.
        endpoint: String,
        /// Attempts made.
        attempts: u32,
        /// The last transport error, in plain words (never a header).
        reason: String,
    },
}

impl TransportError {
    /// What kind of failure this is.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            TransportError::InvalidUrl { .. }
            | TransportError::UrlHasQuery { .. }
            | TransportError::InsecureToken { .. } => ErrorKind::Usage,
            TransportError::Unreachable { .. } => ErrorKind::Transient,
        }
    }
}

/// An answer body: JSON when the server says JSON and it parses, else text.
#[derive(Debug, Clone, PartialEq)]
pub enum ResponseBody {
    /// Parsed JSON.
    Json(Value),
    /// Text (lossy UTF-8), possibly cut at the transport's size limit.
    Text(String),
}

/// One HTTP answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The status.
    pub status: u16,
    /// Headers, names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: ResponseBody,
    /// Whether the body was cut short (size limit, or the connection ended early).
    pub incomplete: bool,
}

impl Answer {
    /// The body's size as kept (JSON re-measured as compact text).
    #[must_use]
    pub fn body_len(&self) -> u64 {
        match &self.body {
            ResponseBody::Json(v) => serde_json::to_vec(v).map_or(0, |b| b.len() as u64),
            ResponseBody::Text(t) => t.len() as u64,
        }
    }

    /// A header's value, by case-insensitive name.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the status is 2xx.
    #[must_use]
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The answer with a JSON body (`Content-Type` naming JSON) read into a tree, when it
    /// was kept as text ([`crate::RequestPlan::raw_answer`]) and is complete, valid JSON;
    /// otherwise as it is.
    #[must_use]
    pub fn parsed(self) -> Answer {
        let is_json = self.header("content-type").is_some_and(names_json);
        match self.body {
            ResponseBody::Text(ref t) if is_json && !self.incomplete => {
                match serde_json::from_str::<Value>(t) {
                    Ok(v) => Answer {
                        body: ResponseBody::Json(v),
                        ..self
                    },
                    Err(_) => self,
                }
            }
            _ => self,
        }
    }

    /// The body when it is JSON.
    #[must_use]
    pub fn json(&self) -> Option<&Value> {
        match &self.body {
            ResponseBody::Json(v) => Some(v),
            ResponseBody::Text(_) => None,
        }
    }

    /// What the server said, on one safe line ([`crate::one_line`]): a JSON body's
    /// `detail`, `error` or `message` text when it has one, else the whole JSON, else the
    /// first non-blank line of a text body; `None` for an empty body.
    #[must_use]
    pub fn summary(&self) -> Option<String> {
        let text = match &self.body {
            ResponseBody::Json(v) => ["detail", "error", "message"]
                .iter()
                .find_map(|k| v.get(*k).and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_else(|| v.to_string()),
            ResponseBody::Text(t) => t
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or("")
                .to_owned(),
        };
        let line = crate::one_line(&text);
        (!line.is_empty()).then_some(line)
    }

    /// The kind of this answer when it is final and not 2xx ([`status_kind`]).
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        status_kind(self.status)
    }
}

/// The final answer of [`Transport::execute`] and how it was reached.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// The final answer (2xx or not: the caller decides what a status means).
    pub answer: Answer,
    /// Attempts made.
    pub attempts: u32,
    /// Waits between attempts.
    pub waits: Vec<Duration>,
}

/// One HTTP agent with its [`Settings`]: the only place that sends.
pub struct Transport {
    agent: ureq::Agent,
    settings: Settings,
}

impl Transport {
    /// A transport with `settings`: per-attempt connect and overall timeout, answers
    /// bounded to `settings.max_answer`, redirects never followed.
    #[must_use]
    pub fn new(settings: Settings) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(settings.timeout))
            .timeout_global(Some(settings.timeout))
            .user_agent(USER_AGENT)
            .build();
        let agent = ureq::Agent::with_parts(
            config,
            ureq::unversioned::transport::DefaultConnector::new(),
            LiteralFirst::default(),
        );
        Transport { agent, settings }
    }

    /// The settings.
    #[must_use]
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The retry policy.
    #[must_use]
    pub fn policy(&self) -> &RetryPolicy {
        &self.settings.policy
    }

    /// Sends `plan`, retrying with [`RetryPolicy::classify`] (connect errors, timeouts and
    /// the transient statuses of [`is_transient_status`], honouring `Retry-After`).
    /// `open_body` gives a fresh body reader for each attempt (it is not called for a
    /// `GET`). Before anything is sent the plan's URL is checked, and a plan with a secret
    /// header is refused over plain http to a host that is not loopback (unless the
    /// settings allow it).
    ///
    /// # Errors
    ///
    /// [`TransportError::InvalidUrl`] or [`TransportError::InsecureToken`] before anything
    /// is sent, [`TransportError::Unreachable`] when no attempt got an answer (each
    /// converted into `E`), or whatever `open_body` returns.
    pub fn execute<R: Read, E: From<TransportError>>(
        &self,
        plan: &RequestPlan,
        open_body: impl FnMut() -> Result<R, E>,
    ) -> Result<Exchange, E> {
        self.execute_with(plan, open_body, RetryPolicy::classify)
    }

    /// [`Transport::execute`] with the caller's verdict on each answer (`classify` gets the
    /// answer and the current Unix time in seconds).
    ///
    /// # Errors
    ///
    /// As [`Transport::execute`].
    pub fn execute_with<R: Read, E: From<TransportError>>(
        &self,
        plan: &RequestPlan,
        mut open_body: impl FnMut() -> Result<R, E>,
        classify: impl Fn(&Answer, u64) -> Verdict,
    ) -> Result<Exchange, E> {
        plan.check(self.settings.allow_insecure_http)?;
        let attempts = self.settings.policy.attempts.max(1);
        let mut waits = Vec::new();
        let mut n = 1;
        loop {
            self.trace(|| Trace::Request {
                method: plan.method().as_str(),
                url: trace_url(plan.url()),
                bytes: plan.content_length().unwrap_or(0),
                attempt: n,
            });
            let started = Instant::now();
            let result = match plan.method() {
                Method::Get | Method::Head => self.attempt(plan, None::<&mut R>),
                Method::Post => {
                    let mut body = open_body()?;
                    self.attempt(plan, Some(&mut body))
                }
            };
            let elapsed = started.elapsed();
            self.trace(|| match &result {
                Ok(a) => Trace::Answer {
                    method: plan.method().as_str(),
                    url: trace_url(plan.url()),
                    status: a.status,
                    bytes: a.body_len(),
                    elapsed,
                    attempt: n,
                },
                Err(reason) => Trace::Failed {
                    method: plan.method().as_str(),
                    url: trace_url(plan.url()),
                    reason: reason.clone(),
                    elapsed,
                    attempt: n,
                },
            });
            let server_wait = match &result {
                Ok(answer) => match classify(answer, now_unix()) {
                    Verdict::Final => None,
                    Verdict::Retry(wait) => Some(wait),
                },
                Err(_) => Some(None),
            };
            let Some(server_wait) = server_wait.filter(|_| n < attempts) else {
                return match result {
                    Ok(answer) => Ok(Exchange {
                        answer,
                        attempts: n,
                        waits,
                    }),
                    Err(reason) => Err(TransportError::Unreachable {
                        endpoint: plan.shown_url(),
                        attempts: n,
                        reason,
                    }
                    .into()),
                };
            };
            let wait = self.settings.policy.wait(n, server_wait);
            waits.push(wait);
            (self.settings.sleep)(wait);
            n += 1;
        }
    }

    fn attempt<R: Read>(&self, plan: &RequestPlan, body: Option<&mut R>) -> Result<Answer, String> {
        let mut builder = ureq::http::Request::builder()
            .method(plan.method().as_str())
            .uri(plan.url());
        for h in plan.headers() {
            builder = builder.header(h.name(), h.sent());
        }
        let sent = match body {
            Some(reader) => builder
                .body(ureq::SendBody::from_reader(reader))
                .map(|r| self.agent.run(r)),
            None => builder.body(()).map(|r| self.agent.run(r)),
        };
        match sent {
            Err(_) => Err(format!(
                "the request to {} could not be built",
                redact_url(plan.url())
            )),
            Ok(Err(e)) => Err(transport_reason(&e, self.settings.timeout)),
            Ok(Ok(mut resp)) => {
                let status = resp.status().as_u16();
                let headers = resp
                    .headers()
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.as_str().to_ascii_lowercase(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect();
                // An answer cut short (the connection closed, or the body trickled past the
                // timeout) is a network failure like no answer at all: retried, then
                // `Unreachable`; never taken for what the server meant to say.
                let (body, incomplete) = self.read_body(&mut resp, plan.wants_raw_answer())?;
                Ok(Answer {
                    status,
                    headers,
                    body,
                    incomplete,
                })
            }
        }
    }

    fn read_body(
        &self,
        resp: &mut ureq::http::Response<ureq::Body>,
        raw: bool,
    ) -> Result<(ResponseBody, bool), String> {
        let is_json = !raw
            && resp
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(names_json);
        let mut bytes = Vec::new();
        let mut reader = resp
            .body_mut()
            .with_config()
            .limit(u64::MAX)
            .reader()
            .take(self.settings.max_answer + 1);
        if let Err(e) = reader.read_to_end(&mut bytes) {
            return Err(format!(
                "the answer was cut short after {} bytes ({})",
                bytes.len(),
                crate::one_line(&e.to_string())
            ));
        }
        let incomplete = bytes.len() as u64 > self.settings.max_answer;
        bytes.truncate(usize::try_from(self.settings.max_answer).unwrap_or(usize::MAX));
        if is_json
            && !incomplete
            && let Ok(v) = serde_json::from_slice::<Value>(&bytes)
        {
            return Ok((ResponseBody::Json(v), false));
        }
        // Valid UTF-8 (nearly always) is kept without a copy.
        let text = String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        Ok((ResponseBody::Text(text), incomplete))
    }
}

/// Whether a `Content-Type` names JSON (`application/json`, `application/problem+json`...):
/// the one rule for reading a body as JSON, when it arrives or later ([`Answer::parsed`]).
fn names_json(content_type: &str) -> bool {
    content_type.to_ascii_lowercase().contains("json")
}

/// ureq's resolver, except that a URL whose host is an IP address (a loopback receiver,
/// say) is answered at once: ureq's own spawns a thread for every request that has a
/// timeout (pooled connections included), even when there is nothing to look up.
#[derive(Debug, Default)]
struct LiteralFirst(ureq::unversioned::resolver::DefaultResolver);

impl ureq::unversioned::resolver::Resolver for LiteralFirst {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let literal = uri
            .scheme()
            .zip(uri.authority())
            .and_then(|(scheme, authority)| {
                ureq::unversioned::resolver::DefaultResolver::host_and_port(scheme, authority)
            })
            .and_then(|host_port| host_port.parse::<std::net::SocketAddr>().ok());
        match literal {
            Some(addr) => {
                let mut out = self.empty();
                out.push(addr);
                Ok(out)
            }
            None => self.0.resolve(uri, config, timeout),
        }
    }
}

impl Transport {
    fn trace(&self, event: impl FnOnce() -> Trace) {
        if let Some(trace) = &self.settings.trace {
            trace(&event());
        }
    }
}

/// A URL for a trace line: no password, and query values hidden (a query may carry a
/// token or a search the user did not mean to share).
fn trace_url(url: &str) -> String {
    let shown = redact_url(url);
    match shown.split_once('?') {
        Some((base, query)) => {
            let keys: Vec<String> = query
                .split('&')
                .map(|kv| format!("{}=…", kv.split('=').next().unwrap_or("")))
                .collect();
            format!("{base}?{}", keys.join("&"))
        }
        None => shown,
    }
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A plain reason for a transport error (it names the OS error, never a header).
fn transport_reason(e: &ureq::Error, timeout: Duration) -> String {
    match e {
        ureq::Error::Timeout(_) => format!("no answer within {} s (timed out)", timeout.as_secs()),
        ureq::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => {
                "connection refused (is the server running?)".to_owned()
            }
            std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe => {
                "the connection was closed before an answer".to_owned()
            }
            _ => io.to_string(),
        },
        ureq::Error::HostNotFound => "host not found".to_owned(),
        other => other.to_string(),
    }
}
