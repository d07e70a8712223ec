//! `POST {server}/api/v1/connectors/trackers/snapshots/` over the shared transport.

use std::io::Read;
use std::time::Duration;

use http_transport::{
    Answer, RequestPlan, RetryPolicy, Secret, Transport, TransportError, join_url,
};
use routing_core::Routing;
use serde_json::Value;
use tracker_store::IssueCache;

use crate::snapshot::{BadRow, SnapshotBody, SnapshotSource, idempotency_key, prepare_with};

pub use http_transport::{
    DEFAULT_TIMEOUT, MAX_RESPONSE_BODY, ResponseBody, TIMEOUT_RANGE, parse_retry_after,
};
pub use routing_core::SNAPSHOT_PATH;

/// Default number of attempts.
pub const DEFAULT_ATTEMPTS: u32 = 3;

/// The endpoint URL: the base URL and [`SNAPSHOT_PATH`] joined by exactly one slash.
#[must_use]
pub fn endpoint(server_url: &str) -> String {
    join_url(server_url, SNAPSHOT_PATH)
}

/// How to publish.
pub struct PublishOptions {
    /// The SaaS base URL.
    pub server_url: String,
    /// The bearer token, if any.
    pub token: Option<Secret>,
    /// Per-attempt connect and overall timeout.
    pub timeout: Duration,
    /// Total attempts (>= 1).
    pub attempts: u32,
    /// Allow a bearer token over plain http to a non-loopback host.
    pub allow_insecure_http: bool,
    /// First backoff delay; doubles per retry, with jitter.
    pub backoff_base: Duration,
    /// Upper bound of any wait, `Retry-After` included.
    pub max_wait: Duration,
    /// How to wait between attempts (tests record instead of sleeping).
    pub sleep: Box<dyn Fn(Duration) + Send + Sync>,
    /// Called with the number of issues hashed so far during the first pass.
    pub progress: Box<dyn Fn(u64) + Send + Sync>,
}

impl PublishOptions {
    /// Defaults for `server_url`: 10 s timeout, 3 attempts, 0.5 s backoff, 30 s max wait.
    #[must_use]
    pub fn new(server_url: impl Into<String>) -> Self {
        let policy = RetryPolicy::default();
        PublishOptions {
            server_url: server_url.into(),
            token: None,
            timeout: DEFAULT_TIMEOUT,
            attempts: DEFAULT_ATTEMPTS,
            allow_insecure_http: false,
            backoff_base: policy.backoff_base,
            max_wait: policy.max_wait,
            sleep: Box::new(std::thread::sleep),
            progress: Box::new(|_| {}),
        }
    }

    fn transport(&self) -> Transport<'_> {
        Transport::new(
            self.timeout,
            RetryPolicy {
                attempts: self.attempts,
                backoff_base: self.backoff_base,
                max_wait: self.max_wait,
            },
        )
        .with_sleep(|d| (self.sleep)(d))
    }
}

/// The result of a publish that got an answer.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishOutcome {
    /// The URL posted to.
    pub endpoint: String,
    /// Final HTTP status.
    pub status: u16,
    /// Whether the status is 2xx.
    pub ok: bool,
    /// The final response body.
    pub body: ResponseBody,
    /// Whether the body was cut short (size limit, or the connection ended early).
    pub body_incomplete: bool,
    /// The `Idempotency-Key` sent with every attempt.
    pub idempotency_key: String,
    /// Attempts made.
    pub attempts: u32,
    /// The routing sent.
    pub routing: Option<Routing>,
    /// Issues sent.
    pub issues: u64,
    /// Body size in bytes.
    pub content_length: u64,
    /// Waits between attempts.
    pub waits: Vec<Duration>,
}

impl PublishOutcome {
    /// Whether the failure is the server's or the network's (5xx, 408, 429): trying later
    /// may succeed, unlike a 4xx refusal of the snapshot.
    #[must_use]
    pub fn is_transient_failure(&self) -> bool {
        !self.ok && (self.status >= 500 || RetryPolicy::is_retryable_status(self.status))
    }
}

/// Why a publish failed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The server URL is not usable.
    #[error(
        "server URL {url:?} is not an http(s) URL with a host; pass one like --server-url https://spec-kitty.example"
    )]
    InvalidServerUrl {
        /// As given, without any password.
        url: String,
    },
    /// A token would go over plain http to a remote host.
    #[error(
        "refusing to send the auth token over plain http to {host}; use an https:// server URL, or pass --allow-insecure-http if this network is trusted"
    )]
    InsecureToken {
        /// The host.
        host: String,
    },
    /// Cached rows the Python CLI refuses; nothing was sent.
    #[error("{} cached issue(s) cannot be published (nothing was sent): {}; fix or re-sync them", rows.len(), describe_rows(rows))]
    InvalidRows {
        /// The rows.
        rows: Vec<BadRow>,
    },
    /// Reading the cache failed.
    #[error(transparent)]
    Store(#[from] tracker_store::StoreError),
    /// No answer after every attempt.
    #[error("cannot reach {endpoint} after {attempts} attempt(s): {reason}")]
    Unreachable {
        /// The URL.
        endpoint: String,
        /// Attempts made.
        attempts: u32,
        /// The last transport error.
        reason: String,
    },
    /// The server answered, but not 2xx.
    #[error("the server answered HTTP {} at {} after {} attempt(s){}", .0.status, .0.endpoint, .0.attempts, status_reason(.0))]
    Rejected(Box<PublishOutcome>),
}

impl From<TransportError> for PublishError {
    fn from(e: TransportError) -> Self {
        match e {
            TransportError::InvalidUrl { url } => PublishError::InvalidServerUrl { url },
            TransportError::InsecureToken { host } => PublishError::InsecureToken { host },
            TransportError::Unreachable {
                endpoint,
                attempts,
                reason,
            } => PublishError::Unreachable {
                endpoint,
                attempts,
                reason,
            },
        }
    }
}

impl PublishError {
    /// Whether the server or the network failed (unreachable, timed out, 5xx, 408, 429), as
    /// opposed to bad input or a refusal: a script may retry these.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self {
            PublishError::Unreachable { .. } => true,
            PublishError::Rejected(o) => o.is_transient_failure(),
            _ => false,
        }
    }
}

fn describe_rows(rows: &[BadRow]) -> String {
    let mut parts: Vec<String> = rows
        .iter()
        .take(5)
        .map(|r| format!("{} ({})", r.identity, r.reason))
        .collect();
    if rows.len() > 5 {
        parts.push(format!("and {} more", rows.len() - 5));
    }
    parts.join(", ")
}

fn status_reason(o: &PublishOutcome) -> String {
    let detail = match &o.body {
        ResponseBody::Json(v) => v
            .get("detail")
            .or_else(|| v.get("error"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        ResponseBody::Text(t) => {
            let line = t.lines().next().unwrap_or("").trim();
            (!line.is_empty()).then(|| line.chars().take(200).collect())
        }
    };
    detail.map(|d| format!(": {d}")).unwrap_or_default()
}

/// Checks the server URL and the token policy before anything is read or sent; gives the
/// endpoint URL.
///
/// # Errors
///
/// [`PublishError::InvalidServerUrl`] or [`PublishError::InsecureToken`].
pub fn check_target(
    server_url: &str,
    has_token: bool,
    allow_insecure_http: bool,
) -> Result<String, PublishError> {
    let url = endpoint(server_url);
    http_transport::check_target(&url, has_token, allow_insecure_http).map_err(|e| match e {
        TransportError::InvalidUrl { .. } => PublishError::InvalidServerUrl {
            url: http_transport::redact_url(server_url),
        },
        other => other.into(),
    })?;
    Ok(url)
}

/// The snapshot request: `POST endpoint` with `Content-Type`, `Content-Length`,
/// `Idempotency-Key`, `User-Agent` and, with a token, `Authorization: Bearer`. Publish sends
/// exactly this plan; `--dry-run` prints it.
#[must_use]
pub fn snapshot_request(
    endpoint: &str,
    token: Option<&Secret>,
    content_length: u64,
    idempotency_key: &str,
) -> RequestPlan {
    let plan = RequestPlan::post(endpoint)
        .header("Content-Type", "application/json")
        .content_length_header(content_length)
        .header("Idempotency-Key", idempotency_key)
        .user_agent_header();
    match token {
        Some(t) => plan.secret_header("Authorization", "Bearer ", t),
        None => plan,
    }
}

/// A publish that is planned but not sent: the request and the exact body bytes.
#[derive(Debug, Clone)]
pub struct DryRun {
    /// The request publish would send.
    pub plan: RequestPlan,
    /// The body.
    pub body: Vec<u8>,
    /// Issues in the body.
    pub issues: u64,
}

/// Builds the request that [`publish`] would send, reading the body once; sends nothing.
///
/// # Errors
///
/// As [`publish`] before anything is sent: a bad URL, a token over plain http, rows the
/// Python CLI refuses, a store error.
pub fn dry_run(
    cache: &IssueCache,
    source: &SnapshotSource,
    opts: &PublishOptions,
) -> Result<DryRun, PublishError> {
    let url = check_target(
        &opts.server_url,
        opts.token.is_some(),
        opts.allow_insecure_http,
    )?;
    cache.read_consistent(|cache| {
        let mut reader = SnapshotBody::new(cache, source)?;
        let mut body = Vec::new();
        reader
            .read_to_end(&mut body)
            .map_err(|e| tracker_store::StoreError::Io {
                action: "reading",
                path: cache.path().to_path_buf(),
                source: e,
            })?;
        if !reader.bad_rows().is_empty() {
            return Err(PublishError::InvalidRows {
                rows: reader.bad_rows().to_vec(),
            });
        }
        let plan = snapshot_request(
            &url,
            opts.token.as_ref(),
            body.len() as u64,
            &idempotency_key(&body),
        );
        Ok(DryRun {
            plan,
            body,
            issues: reader.issues(),
        })
    })?
}

/// Publishes the snapshot of `source` from `cache`.
///
/// The body is streamed twice inside one read transaction: first to count and hash it (and
/// to find rows the Python CLI refuses: then nothing is sent), then once per attempt into the
/// request with a `Content-Length`. Connect errors, timeouts, 408, 429, 502, 503 and 504 are
/// retried with exponential backoff and jitter, honouring `Retry-After` up to `max_wait`.
///
/// # Errors
///
/// See [`PublishError`]; a non-2xx final answer is [`PublishError::Rejected`].
pub fn publish(
    cache: &IssueCache,
    source: &SnapshotSource,
    opts: &PublishOptions,
) -> Result<PublishOutcome, PublishError> {
    let url = check_target(
        &opts.server_url,
        opts.token.is_some(),
        opts.allow_insecure_http,
    )?;
    cache.read_consistent(|cache| publish_inner(cache, source, opts, &url))?
}

fn publish_inner(
    cache: &IssueCache,
    source: &SnapshotSource,
    opts: &PublishOptions,
    url: &str,
) -> Result<PublishOutcome, PublishError> {
    let prepared = prepare_with(cache, source, |n| (opts.progress)(n))?;
    if !prepared.bad_rows.is_empty() {
        return Err(PublishError::InvalidRows {
            rows: prepared.bad_rows,
        });
    }
    let plan = snapshot_request(
        url,
        opts.token.as_ref(),
        prepared.content_length,
        &prepared.idempotency_key,
    );
    let exchange = opts.transport().execute(&plan, || {
        SnapshotBody::new(cache, source).map_err(PublishError::from)
    })?;
    let Answer {
        status,
        body,
        incomplete,
        ..
    } = exchange.answer;
    let outcome = PublishOutcome {
        endpoint: url.to_owned(),
        status,
        ok: (200..300).contains(&status),
        body,
        body_incomplete: incomplete,
        idempotency_key: prepared.idempotency_key,
        attempts: exchange.attempts,
        routing: source.routing.clone(),
        issues: prepared.issues,
        content_length: prepared.content_length,
        waits: exchange.waits,
    };
    if outcome.ok {
        Ok(outcome)
    } else {
        Err(PublishError::Rejected(Box::new(outcome)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_joins_with_one_slash() {
        assert_eq!(
            endpoint("https://x.example/saas/"),
            "https://x.example/saas/api/v1/connectors/trackers/snapshots/"
        );
    }

    #[test]
    fn the_snapshot_request_names_every_header_once() {
        let plan = snapshot_request(
            "https://x.example/api/v1/connectors/trackers/snapshots/",
            Some(&Secret::new("tok")),
            42,
            "abc",
        );
        assert_eq!(
            plan.render_head(),
            format!(
                "POST https://x.example/api/v1/connectors/trackers/snapshots/\nContent-Type: application/json\nContent-Length: 42\nIdempotency-Key: abc\nUser-Agent: {}\nAuthorization: Bearer <redacted>\n",
                http_transport::USER_AGENT
            )
        );
    }
}
