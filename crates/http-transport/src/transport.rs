//! Sending a [`RequestPlan`] with retries.

use std::io::Read;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::plan::{Method, RequestPlan};
use crate::retry::{RetryPolicy, Verdict};
use crate::target::redact_url;

/// `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("spec-kitty-rs/", env!("CARGO_PKG_VERSION"));
/// Default per-attempt timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The accepted per-attempt timeout range, in seconds.
pub const TIMEOUT_RANGE: std::ops::RangeInclusive<u64> = 1..=120;
/// How much of an answer is kept by default.
pub const MAX_RESPONSE_BODY: u64 = 1024 * 1024;

/// Why a request got no usable answer.
#[derive(Debug, thiserror::Error)]
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
        /// As given, without any password.
        url: String,
    },
    /// A secret would go over plain http to a remote host.
    #[error(
        "refusing to send credentials over plain http to {host}; use an https:// URL, or pass --allow-insecure-http if this network is trusted"
    )]
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

    /// The body when it is JSON.
    #[must_use]
    pub fn json(&self) -> Option<&Value> {
        match &self.body {
            ResponseBody::Json(v) => Some(v),
            ResponseBody::Text(_) => None,
        }
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

/// One HTTP agent with its timeouts, retry policy and answer size limit.
pub struct Transport<'s> {
    agent: ureq::Agent,
    timeout: Duration,
    policy: RetryPolicy,
    max_body: u64,
    sleep: Box<dyn Fn(Duration) + Send + Sync + 's>,
}

impl Transport<'static> {
    /// A transport with a per-attempt connect and overall `timeout`, `policy`, answers
    /// bounded to [`MAX_RESPONSE_BODY`], redirects not followed, and real sleeps.
    #[must_use]
    pub fn new(timeout: Duration, policy: RetryPolicy) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(timeout))
            .timeout_global(Some(timeout))
            .user_agent(USER_AGENT)
            .build()
            .into();
        Transport {
            agent,
            timeout,
            policy,
            max_body: MAX_RESPONSE_BODY,
            sleep: Box::new(std::thread::sleep),
        }
    }
}

impl<'s> Transport<'s> {
    /// Waits with `sleep` instead of sleeping (tests record the waits).
    #[must_use]
    pub fn with_sleep<'t>(self, sleep: impl Fn(Duration) + Send + Sync + 't) -> Transport<'t> {
        Transport {
            agent: self.agent,
            timeout: self.timeout,
            policy: self.policy,
            max_body: self.max_body,
            sleep: Box::new(sleep),
        }
    }

    /// Keeps at most `bytes` of an answer (a longer one is [`Answer::incomplete`]).
    #[must_use]
    pub fn with_max_body(mut self, bytes: u64) -> Self {
        self.max_body = bytes;
        self
    }

    /// The retry policy.
    #[must_use]
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Sends `plan`, retrying with [`RetryPolicy::classify`] (connect errors, timeouts,
    /// 408, 429, 502, 503, 504, honouring `Retry-After`). `open_body` gives a fresh body
    /// reader for each attempt (it is not called for a `GET`).
    ///
    /// # Errors
    ///
    /// [`TransportError::Unreachable`] (converted into `E`) when no attempt got an answer,
    /// or whatever `open_body` returns.
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
        let attempts = self.policy.attempts.max(1);
        let mut waits = Vec::new();
        let mut n = 1;
        loop {
            let result = match plan.method() {
                Method::Get => self.attempt(plan, None::<&mut R>),
                Method::Post => {
                    let mut body = open_body()?;
                    self.attempt(plan, Some(&mut body))
                }
            };
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
            let wait = self.policy.wait(n, server_wait);
            waits.push(wait);
            (self.sleep)(wait);
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
            Ok(Err(e)) => Err(transport_reason(&e, self.timeout)),
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
                let (body, incomplete) = self.read_body(&mut resp);
                Ok(Answer {
                    status,
                    headers,
                    body,
                    incomplete,
                })
            }
        }
    }

    fn read_body(&self, resp: &mut ureq::http::Response<ureq::Body>) -> (ResponseBody, bool) {
        let is_json = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.to_ascii_lowercase().contains("json"));
        let mut bytes = Vec::new();
        let mut reader = resp
            .body_mut()
            .with_config()
            .limit(u64::MAX)
            .reader()
            .take(self.max_body + 1);
        let incomplete =
            reader.read_to_end(&mut bytes).is_err() || bytes.len() as u64 > self.max_body;
        bytes.truncate(usize::try_from(self.max_body).unwrap_or(usize::MAX));
        if is_json
            && !incomplete
            && let Ok(v) = serde_json::from_slice::<Value>(&bytes)
        {
            return (ResponseBody::Json(v), false);
        }
        (
            ResponseBody::Text(String::from_utf8_lossy(&bytes).into_owned()),
            incomplete,
        )
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
