//! The one synchronous HTTP transport that spec-kitty's clients share: the snapshot
//! publish, the batch-events upload and the tracker connectors differ only in what they
//! send and how they read the answer.
//!
//! # What this crate owns
//!
//! - [`RequestPlan`]: the request as data (method, URL, headers, body length). `--dry-run`
//!   prints the same plan that [`Transport::execute`] sends, with secret headers redacted.
//! - [`RetryPolicy`]: attempts, exponential backoff with jitter, which statuses and
//!   transport errors are retried, `Retry-After` (seconds or an HTTP date) capped at
//!   [`RetryPolicy::max_wait`]. A caller can classify answers itself (a GraphQL rate limit
//!   inside a 400, say) with [`Transport::execute_with`].
//! - [`Settings`]: the one description of how to send (timeout, retry policy, the
//!   plain-http rule, the answer cap, how to wait, who watches) that every client embeds.
//! - [`Transport`]: one `ureq` agent with explicit connect and overall timeouts, no
//!   redirects followed, bounded answers, plain error text; it refuses a secret over plain
//!   http itself, before anything is sent, and tells the settings' [`Trace`] watcher of
//!   every request and answer (`--verbose`), secrets and query values hidden.
//! - [`is_transient_status`], [`ErrorKind`], [`Answer::summary`]: which statuses are
//!   worth another attempt, what kind a failure is, and what a server said on one line,
//!   each decided once for every client.
//! - [`join_url`], [`check_target`], [`is_loopback_host`], [`redact_url`]: URL joining, the
//!   rule that a secret never crosses plain http except to loopback, and printable URLs.
//! - [`Secret`]: a string whose `Debug` and `Display` are `<redacted>`.
//!
//! # What it must never do
//!
//! Print; put a secret (a token, a password in a URL) into an error, a `Debug` output or a
//! plan's printable form; follow a redirect; read an unbounded answer into memory.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod plan;
mod retry;
mod secret;
mod settings;
mod target;
mod transport;

pub use plan::{Header, Method, RequestPlan};
pub use retry::{RetryPolicy, Verdict, parse_retry_after};
pub use secret::Secret;
pub use settings::{
    ATTEMPTS_RANGE, DEFAULT_TIMEOUT, MAX_RESPONSE_BODY, Settings, TIMEOUT_RANGE, Trace, TraceFn,
};
pub use target::{
    check_base_url, check_target, escape_text, is_loopback_host, join_url, needs_escape, one_line,
    percent_encode, query_string, redact_url,
};
pub use transport::{
    Answer, ErrorKind, Exchange, ResponseBody, Transport, TransportError, USER_AGENT,
    is_transient_status, status_kind,
};
