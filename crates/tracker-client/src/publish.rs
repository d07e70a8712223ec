//! `POST {server}/api/v1/connectors/trackers/snapshots/` over the shared transport.

use std::io::{Read, Seek, Write};
use std::time::Duration;

use http_transport::{Answer, ErrorKind, RequestPlan, Secret, TransportError, join_url};
use routing_core::Routing;
use tracker_store::IssueCache;

use crate::snapshot::{BadRow, KeyedCounter, SnapshotBody, SnapshotSource, idempotency_key};

pub use http_transport::{
    MAX_RESPONSE_BODY, ResponseBody, Settings, TIMEOUT_RANGE, parse_retry_after,
};
pub use routing_core::SNAPSHOT_PATH;

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
    /// How to send: timeout, retries, the plain-http rule, waits, tracing.
    pub settings: Settings,
    /// Called with the number of issues hashed so far during the first pass.
    pub progress: Box<dyn Fn(u64) + Send + Sync>,
}

impl PublishOptions {
    /// Defaults for `server_url`: [`Settings::default`] (30 s timeout, 3 attempts).
    #[must_use]
    pub fn new(server_url: impl Into<String>) -> Self {
        PublishOptions {
            server_url: server_url.into(),
            token: None,
            settings: Settings::default(),
            progress: Box::new(|_| {}),
        }
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
        !self.ok && http_transport::is_transient_status(self.status)
    }
}

/// Why a publish failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// Cached rows the Python CLI refuses; nothing was sent.
    #[error("{} cached issue(s) cannot be published (nothing was sent): {}; fix or re-sync them", rows.len(), describe_rows(rows))]
    InvalidRows {
        /// The rows.
        rows: Vec<BadRow>,
    },
    /// Reading the cache failed.
    #[error(transparent)]
    Store(#[from] tracker_store::StoreError),
    /// The server URL, the plain-http rule or the network refused or failed the request.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The snapshot built from the cache and the binding breaks the snapshot contract as a
    /// receiver checks it (`routing_core::validate_snapshot`); nothing was sent.
    #[error("the snapshot would be refused by the receiver: {0}; nothing was sent")]
    Contract(routing_core::SnapshotError),
    /// The server answered, but not 2xx.
    #[error("the server answered HTTP {} at {} after {} attempt(s){}", .0.status, http_transport::redact_url(&.0.endpoint), .0.attempts, status_reason(.0))]
    Rejected(Box<PublishOutcome>),
}

impl PublishError {
    /// What kind of failure this is: a bad URL or plain-http secret is
    /// [`ErrorKind::Usage`], unreachable or a 5xx/408/429 [`ErrorKind::Transient`],
    /// everything else (a refusal, rows the Python CLI refuses, a store error)
    /// [`ErrorKind::Refused`].
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            PublishError::Transport(e) => e.kind(),
            PublishError::Rejected(o) => http_transport::status_kind(o.status),
            PublishError::InvalidRows { .. }
            | PublishError::Store(_)
            | PublishError::Contract(_) => ErrorKind::Refused,
        }
    }

    /// Whether the server or the network failed (unreachable, timed out, 5xx, 408, 429), as
    /// opposed to bad input or a refusal: a script may retry these.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        self.kind() == ErrorKind::Transient
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
    let answer = Answer {
        status: o.status,
        headers: Vec::new(),
        body: o.body.clone(),
        incomplete: o.body_incomplete,
    };
    answer
        .summary()
        .map(|d| format!(": {d}"))
        .unwrap_or_default()
}

/// Checks the server URL and the token policy before anything is read or sent; gives the
/// endpoint URL.
///
/// # Errors
///
/// [`TransportError::InvalidUrl`], [`TransportError::UrlHasQuery`] or
/// [`TransportError::InsecureToken`], as [`PublishError::Transport`].
pub fn check_target(
    server_url: &str,
    has_token: bool,
    allow_insecure_http: bool,
) -> Result<String, PublishError> {
    let url = endpoint(server_url);
    http_transport::check_base_url(server_url.trim())?;
    http_transport::check_target(&url, has_token, allow_insecure_http)?;
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
        opts.settings.allow_insecure_http,
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
        // The dry run shows what a receiver would get, so it checks it as one does.
        routing_core::validate_snapshot_slice(&body).map_err(PublishError::Contract)?;
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
/// Inside one read transaction, each row is read and projected once, into a counting hasher
/// (for `Content-Length` and the `Idempotency-Key`, which precede the body) and a spool
/// (memory up to 16 MiB, then a temp file); rows the Python CLI refuses stop it before
/// anything is sent. Every attempt then sends the spooled bytes. Connect errors, timeouts, 408, 429, 502, 503 and 504 are
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
        opts.settings.allow_insecure_http,
    )?;
    cache.read_consistent(|cache| publish_inner(cache, source, opts, &url))?
}

/// The body, written once (in memory up to [`SPOOL_IN_MEMORY`], then to a temp file),
/// sent from there on every attempt.
struct Spool(std::cell::RefCell<tempfile::SpooledTempFile>);

/// Threads projecting rows (the row reader and the writer are two more, lighter ones).
const PROJECTORS: usize = 2;

/// Body bytes kept in memory before the spool moves to a temp file.
const SPOOL_IN_MEMORY: usize = 16 * 1024 * 1024;

/// What the single pass over the rows produced.
struct Spooled {
    counter: KeyedCounter,
    spool: tempfile::SpooledTempFile,
    issues: u64,
    bad_rows: Vec<BadRow>,
}

impl Spooled {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.counter.write_all(bytes)?;
        self.spool.write_all(bytes)
    }
}

/// A reader over the spool from its start.
struct SpoolReader<'a>(&'a std::cell::RefCell<tempfile::SpooledTempFile>);

impl Read for SpoolReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().read(buf)
    }
}

fn publish_inner(
    cache: &IssueCache,
    source: &SnapshotSource,
    opts: &PublishOptions,
    url: &str,
) -> Result<PublishOutcome, PublishError> {
    // One pass over the rows, on both cores: this thread reads pages from SQLite, a second
    // projects them, a third hashes and spools the bytes in order. Each row is projected
    // once; the spool (memory up to 16 MiB, then a temp file) is what every attempt sends.
    let io_err = |action: &'static str| {
        let path = cache.path().to_path_buf();
        move |e: std::io::Error| tracker_store::StoreError::Io {
            action,
            path: path.clone(),
            source: e,
        }
    };
    let header = source.header();
    let checkpoint = cache.get_checkpoint(&source.checkpoint_key())?;
    let trailer = crate::snapshot::trailer(&cache.list_mappings()?, checkpoint.as_ref());
    let spooled = std::thread::scope(|scope| -> Result<Spooled, PublishError> {
        // Pages are numbered; two projectors take them as they come, and the writer puts
        // them back in order. Whether a page is the body's first is settled by the writer.
        let (rows_tx, rows_rx) = std::sync::mpsc::sync_channel::<(usize, Vec<(String, String)>)>(4);
        let rows_rx = std::sync::Arc::new(std::sync::Mutex::new(rows_rx));
        let (pages_tx, pages_rx) = std::sync::mpsc::sync_channel(4);
        let projectors: Vec<_> = (0..PROJECTORS)
            .map(|_| {
                let (rows_rx, pages_tx) = (std::sync::Arc::clone(&rows_rx), pages_tx.clone());
                scope.spawn(move || {
                    loop {
                        let next = rows_rx.lock().map_or(None, |rx| rx.recv().ok());
                        let Some((seq, rows)) = next else { break };
                        // Projected as if not first: the writer drops the leading comma.
                        let page = crate::snapshot::project_page(rows, false);
                        if pages_tx.send((seq, page)).is_err() {
                            break;
                        }
                    }
                })
            })
            .collect();
        drop(pages_tx);
        let progress = &opts.progress;
        let writer = scope.spawn(move || -> std::io::Result<Spooled> {
            let mut out = Spooled {
                counter: KeyedCounter::default(),
                spool: tempfile::SpooledTempFile::new(SPOOL_IN_MEMORY),
                issues: 0,
                bad_rows: Vec::new(),
            };
            out.write(&header)?;
            let mut waiting = std::collections::BTreeMap::new();
            let mut next = 0usize;
            for (seq, page) in pages_rx {
                waiting.insert(seq, page);
                while let Some(page) = waiting.remove(&next) {
                    let page: crate::snapshot::ProjectedPage = page?;
                    let bytes = if out.issues == 0 && page.issues > 0 {
                        &page.bytes[1..]
                    } else {
                        &page.bytes[..]
                    };
                    out.write(bytes)?;
                    out.issues += page.issues;
                    out.bad_rows.extend(page.bad_rows);
                    progress(out.issues);
                    next += 1;
                }
            }
            out.write(&trailer)?;
            Ok(out)
        });
        let mut after: Option<String> = None;
        let mut seq = 0usize;
        let read = loop {
            let rows = match cache.issues_page_text(
                &source.provider,
                after.as_deref(),
                crate::snapshot::PAGE,
            ) {
                Ok(r) => r,
                Err(e) => break Err(e),
            };
            let full = rows.len() == crate::snapshot::PAGE;
            after = rows.last().map(|(id, _)| id.clone());
            if rows_tx.send((seq, rows)).is_err() || !full {
                break Ok(());
            }
            seq += 1;
        };
        drop(rows_tx);
        for p in projectors {
            let _ = p.join();
        }
        let written = writer
            .join()
            .map_err(|_| io_err("projecting")(std::io::Error::other("a worker thread failed")))?;
        read?;
        Ok(written.map_err(io_err("spooling a snapshot of"))?)
    })?;
    let Spooled {
        counter,
        spool,
        issues,
        bad_rows,
    } = spooled;
    if !bad_rows.is_empty() {
        return Err(PublishError::InvalidRows { rows: bad_rows });
    }
    let spool = Spool(std::cell::RefCell::new(spool));
    let (content_length, idempotency_key) = counter.finish();
    let plan = snapshot_request(url, opts.token.as_ref(), content_length, &idempotency_key);
    let exchange = opts.settings.transport().execute(&plan, || {
        spool
            .0
            .borrow_mut()
            .seek(std::io::SeekFrom::Start(0))
            .map_err(io_err("rewinding the spooled snapshot of"))?;
        Ok::<_, PublishError>(SpoolReader(&spool.0))
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
        idempotency_key,
        attempts: exchange.attempts,
        routing: source.routing.clone(),
        issues,
        content_length,
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
