//! `POST {server}/api/v1/connectors/trackers/snapshots/` with retries.

use std::io::Read;
use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use routing_core::Routing;
use serde_json::Value;
use tracker_store::IssueCache;

use crate::snapshot::{BadRow, Prepared, SnapshotBody, SnapshotSource, prepare_with};
use crate::token::Secret;

/// The path of the snapshot endpoint.
pub const SNAPSHOT_PATH: &str = "/api/v1/connectors/trackers/snapshots/";
/// Default per-attempt timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The accepted timeout range, in seconds.
pub const TIMEOUT_RANGE: std::ops::RangeInclusive<u64> = 1..=120;
/// Default number of attempts.
pub const DEFAULT_ATTEMPTS: u32 = 3;
/// How much of a response body is kept.
pub const MAX_RESPONSE_BODY: u64 = 1024 * 1024;

/// The endpoint URL: the base URL and [`SNAPSHOT_PATH`] joined by exactly one slash.
#[must_use]
pub fn endpoint(server_url: &str) -> String {
    format!("{}{SNAPSHOT_PATH}", server_url.trim().trim_end_matches('/'))
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
    /// `User-Agent`.
    pub user_agent: String,
    /// How to wait between attempts (tests record instead of sleeping).
    pub sleep: Box<dyn Fn(Duration) + Send + Sync>,
    /// Called with the number of issues hashed so far during the first pass.
    pub progress: Box<dyn Fn(u64) + Send + Sync>,
}

impl PublishOptions {
    /// Defaults for `server_url`: 10 s timeout, 3 attempts, 0.5 s backoff, 30 s max wait.
    #[must_use]
    pub fn new(server_url: impl Into<String>) -> Self {
        PublishOptions {
            server_url: server_url.into(),
            token: None,
            timeout: DEFAULT_TIMEOUT,
            attempts: DEFAULT_ATTEMPTS,
            allow_insecure_http: false,
            backoff_base: Duration::from_millis(500),
            max_wait: Duration::from_secs(30),
            user_agent: concat!("spec-kitty-rs/", env!("CARGO_PKG_VERSION")).to_owned(),
            sleep: Box::new(std::thread::sleep),
            progress: Box::new(|_| {}),
        }
    }
}

/// A response body: JSON when the server says JSON and it parses, else text.
#[derive(Debug, Clone, PartialEq)]
pub enum ResponseBody {
    /// Parsed JSON.
    Json(Value),
    /// Text (lossy UTF-8), possibly cut at [`MAX_RESPONSE_BODY`].
    Text(String),
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

/// Why a publish failed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The server URL is not usable.
    #[error(
        "server URL {url:?} is not an http(s) URL with a host; pass one like --server-url https://spec-kitty.example"
    )]
    InvalidServerUrl {
        /// As given.
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

/// Checks the server URL and the token policy before anything is read or sent.
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
    let bad = || PublishError::InvalidServerUrl {
        url: server_url.to_owned(),
    };
    let uri: ureq::http::Uri = url.parse().map_err(|_| bad())?;
    let host = uri.host().filter(|h| !h.is_empty()).ok_or_else(bad)?;
    match uri.scheme_str() {
        Some("https") => {}
        Some("http") => {
            if has_token && !allow_insecure_http && !is_loopback(host) {
                return Err(PublishError::InsecureToken {
                    host: host.to_owned(),
                });
            }
        }
        _ => return Err(bad()),
    }
    Ok(url)
}

fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.to_ascii_lowercase().ends_with(".localhost")
        || h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Statuses worth another attempt.
#[must_use]
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 502 | 503 | 504)
}

/// Parses `Retry-After`: delay seconds or an HTTP date (relative to `now`, Unix seconds).
#[must_use]
pub fn parse_retry_after(value: &str, now: u64) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = parse_http_date(v)?;
    Some(Duration::from_secs(at.saturating_sub(now)))
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` (IMF-fixdate) as Unix seconds.
fn parse_http_date(s: &str) -> Option<u64> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| m == month)? as i64
        + 1;
    let (day, year): (i64, i64) = (day.parse().ok()?, year.parse().ok()?);
    let hms: Vec<i64> = time
        .split(':')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    let [h, m, sec] = hms.as_slice() else {
        return None;
    };
    // days_from_civil (Howard Hinnant).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + h * 3600 + m * 60 + sec).ok()
}

fn jitter(attempt: u32) -> f64 {
    use std::hash::{BuildHasher, RandomState};
    let x = RandomState::new().hash_one(attempt);
    0.5 + (x % 1000) as f64 / 1000.0
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

enum Attempt {
    Answer {
        status: u16,
        body: ResponseBody,
        incomplete: bool,
        retry_after: Option<Duration>,
    },
    Transport(String),
}

fn read_body(resp: &mut ureq::http::Response<ureq::Body>) -> (ResponseBody, bool) {
    let is_json = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.to_ascii_lowercase().contains("json"));
    let mut bytes = Vec::new();
    let mut reader = resp.body_mut().as_reader().take(MAX_RESPONSE_BODY + 1);
    let incomplete =
        reader.read_to_end(&mut bytes).is_err() || bytes.len() as u64 > MAX_RESPONSE_BODY;
    bytes.truncate(usize::try_from(MAX_RESPONSE_BODY).unwrap_or(usize::MAX));
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

fn attempt(
    agent: &ureq::Agent,
    url: &str,
    opts: &PublishOptions,
    prepared: &Prepared,
    body: &mut SnapshotBody<'_>,
) -> Attempt {
    let mut req = agent
        .post(url)
        .header("Content-Type", "application/json")
        .header("Content-Length", prepared.content_length.to_string())
        .header("Idempotency-Key", &prepared.idempotency_key);
    if let Some(t) = &opts.token {
        req = req.header("Authorization", format!("Bearer {}", t.expose()));
    }
    match req.send(ureq::SendBody::from_reader(body)) {
        Ok(mut resp) => {
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, now_secs()));
            let (body, incomplete) = read_body(&mut resp);
            Attempt::Answer {
                status,
                body,
                incomplete,
                retry_after,
            }
        }
        Err(e) => Attempt::Transport(transport_reason(&e, opts.timeout)),
    }
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
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_connect(Some(opts.timeout))
        .timeout_global(Some(opts.timeout))
        .user_agent(opts.user_agent.as_str())
        .build()
        .into();
    let attempts = opts.attempts.max(1);
    let mut waits = Vec::new();
    for n in 1..=attempts {
        let mut body = SnapshotBody::new(cache, source)?;
        let result = attempt(&agent, url, opts, &prepared, &mut body);
        let (retry, server_wait) = match &result {
            Attempt::Answer {
                status,
                retry_after,
                ..
            } => (is_retryable_status(*status), *retry_after),
            Attempt::Transport(_) => (true, None),
        };
        if !retry || n == attempts {
            return match result {
                Attempt::Answer {
                    status,
                    body,
                    incomplete,
                    ..
                } => {
                    let outcome = PublishOutcome {
                        endpoint: url.to_owned(),
                        status,
                        ok: (200..300).contains(&status),
                        body,
                        body_incomplete: incomplete,
                        idempotency_key: prepared.idempotency_key.clone(),
                        attempts: n,
                        routing: source.routing.clone(),
                        issues: prepared.issues,
                        content_length: prepared.content_length,
                        waits,
                    };
                    if outcome.ok {
                        Ok(outcome)
                    } else {
                        Err(PublishError::Rejected(Box::new(outcome)))
                    }
                }
                Attempt::Transport(reason) => Err(PublishError::Unreachable {
                    endpoint: url.to_owned(),
                    attempts: n,
                    reason,
                }),
            };
        }
        let backoff = opts
            .backoff_base
            .mul_f64(2f64.powi(i32::try_from(n - 1).unwrap_or(30)) * jitter(n));
        let wait = server_wait.unwrap_or(backoff).min(opts.max_wait);
        waits.push(wait);
        (opts.sleep)(wait);
    }
    // The loop always returns on its last attempt.
    Err(PublishError::Unreachable {
        endpoint: url.to_owned(),
        attempts,
        reason: "no attempt was made".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_joins_with_one_slash() {
        for base in [
            "https://x.example",
            "https://x.example/",
            "https://x.example///",
            " https://x.example/ ",
        ] {
            assert_eq!(
                endpoint(base),
                "https://x.example/api/v1/connectors/trackers/snapshots/"
            );
        }
        assert_eq!(
            endpoint("https://x.example/saas/"),
            "https://x.example/saas/api/v1/connectors/trackers/snapshots/"
        );
    }

    #[test]
    fn plain_http_tokens_only_to_loopback() {
        for ok in [
            "http://127.0.0.1:8000",
            "http://localhost:1",
            "http://[::1]:9",
            "http://127.9.9.9",
            "https://x.example",
        ] {
            assert!(check_target(ok, true, false).is_ok(), "{ok}");
        }
        let err = check_target("http://saas.example", true, false).unwrap_err();
        assert!(err.to_string().contains("--allow-insecure-http"), "{err}");
        assert!(check_target("http://saas.example", true, true).is_ok());
        assert!(check_target("http://saas.example", false, false).is_ok());
        for bad in ["saas.example", "ftp://x", "", "http://"] {
            assert!(
                matches!(
                    check_target(bad, false, false),
                    Err(PublishError::InvalidServerUrl { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        assert_eq!(parse_retry_after("7", 0), Some(Duration::from_secs(7)));
        // 784111777 = Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_770),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_800),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", 0), None);
    }
}
