//! The one description of how a client talks to a server: every client (the snapshot
//! publish, the batch upload, the tracker connectors, the login) embeds a [`Settings`].

use std::sync::Arc;
use std::time::Duration;

use crate::retry::RetryPolicy;

/// The default per-attempt timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The accepted per-attempt timeout range, in seconds.
pub const TIMEOUT_RANGE: std::ops::RangeInclusive<u64> = 1..=120;
/// The accepted range of total attempts.
pub const ATTEMPTS_RANGE: std::ops::RangeInclusive<u32> = 1..=10;
/// How much of an answer is kept by default.
pub const MAX_RESPONSE_BODY: u64 = 1024 * 1024;

/// One line of what went over the wire, for `--verbose`: never a secret (the URL is
/// redacted, no header is included).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Trace {
    /// A request is about to be sent.
    Request {
        /// `GET` / `POST`.
        method: &'static str,
        /// The URL without any password or query value.
        url: String,
        /// Body bytes (0 for a `GET`).
        bytes: u64,
        /// 1-based attempt.
        attempt: u32,
    },
    /// An answer arrived.
    Answer {
        /// `GET` / `POST`.
        method: &'static str,
        /// The URL without any password or query value.
        url: String,
        /// The status.
        status: u16,
        /// Body bytes kept.
        bytes: u64,
        /// Time from sending to the end of the body.
        elapsed: Duration,
        /// 1-based attempt.
        attempt: u32,
    },
    /// No answer (connect error, timeout...).
    Failed {
        /// `GET` / `POST`.
        method: &'static str,
        /// The URL without any password or query value.
        url: String,
        /// Why, in plain words.
        reason: String,
        /// Time until the failure.
        elapsed: Duration,
        /// 1-based attempt.
        attempt: u32,
    },
}

impl std::fmt::Display for Trace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trace::Request {
                method,
                url,
                bytes,
                attempt,
            } => write!(f, "> {method} {url} ({bytes} bytes, attempt {attempt})"),
            Trace::Answer {
                method,
                url,
                status,
                bytes,
                elapsed,
                attempt,
            } => write!(
                f,
                "< {status} {method} {url} ({bytes} bytes, {} ms, attempt {attempt})",
                elapsed.as_millis()
            ),
            Trace::Failed {
                method,
                url,
                reason,
                elapsed,
                attempt,
            } => write!(
                f,
                "< no answer {method} {url}: {reason} ({} ms, attempt {attempt})",
                elapsed.as_millis()
            ),
        }
    }
}

/// Who is told of every exchange ([`Settings::trace`]).
pub type TraceFn = Arc<dyn Fn(&Trace) + Send + Sync>;

/// Timeout, retries, the plain-http rule, the answer cap, how to wait and who watches:
/// everything about sending that is not the request itself.
#[derive(Clone)]
pub struct Settings {
    /// Per-attempt connect and overall timeout.
    pub timeout: Duration,
    /// Attempts, backoff, longest wait.
    pub policy: RetryPolicy,
    /// Allow a secret over plain http to a host that is not loopback.
    pub allow_insecure_http: bool,
    /// The largest answer kept, in bytes (a longer one is cut and marked incomplete).
    pub max_answer: u64,
    /// How to wait between attempts (tests record instead of sleeping).
    pub sleep: Arc<dyn Fn(Duration) + Send + Sync>,
    /// Told of every request and answer (`--verbose`); `None`: nobody watches.
    pub trace: Option<TraceFn>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("timeout", &self.timeout)
            .field("policy", &self.policy)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("max_answer", &self.max_answer)
            .field("trace", &self.trace.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for Settings {
    /// 30 s timeout, [`RetryPolicy::default`], no plain-http secrets, 1 MiB answers, real
    /// sleeps, no trace.
    fn default() -> Self {
        Settings {
            timeout: DEFAULT_TIMEOUT,
            policy: RetryPolicy::default(),
            allow_insecure_http: false,
            max_answer: MAX_RESPONSE_BODY,
            sleep: Arc::new(std::thread::sleep),
            trace: None,
        }
    }
}

impl Settings {
    /// The same settings with answers capped at `bytes`.
    #[must_use]
    pub fn with_max_answer(mut self, bytes: u64) -> Self {
        self.max_answer = bytes;
        self
    }

    /// A transport with these settings.
    #[must_use]
    pub fn transport(&self) -> crate::Transport {
        crate::Transport::new(self.clone())
    }
}
