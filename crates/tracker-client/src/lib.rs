//! Tracker snapshot publish for spec-kitty: payload assembly, the content-addressed
//! idempotency key, and an HTTP publish that survives a bad network.
//!
//! # What this crate owns
//!
//! - [`SnapshotSource`] / [`SnapshotBody`]: the snapshot payload of a binding, streamed from
//!   the [`tracker_store::IssueCache`] with the Python CLI's normalization
//!   ([`project_issue`], [`python_isoformat`]) so the same cache gives the same bytes.
//! - [`idempotency_key`]: blake3 over the exact body bytes.
//! - [`Secret`]: the bearer token, never printed (which one is `saas-session`'s call).
//! - [`snapshot_request`], [`publish`] and [`dry_run`]: the one request plan, sent over the
//!   shared `http-transport` (`Content-Length`, timeouts, retries) or printed.
//!
//! # What it must never do
//!
//! Print; put a token in an error or a `Debug` output; send a token over plain http to a
//! remote host unless told to; build the whole payload as a JSON tree in memory.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod project;
mod publish;
mod snapshot;

pub use http_transport::Secret;
pub use project::{RowError, project_issue, project_issue_text};
pub use publish::{
    DryRun, MAX_RESPONSE_BODY, PublishError, PublishOptions, PublishOutcome, ResponseBody,
    SNAPSHOT_PATH, Settings, TIMEOUT_RANGE, check_target, dry_run, endpoint, parse_retry_after,
    publish, snapshot_request,
};
pub use snapshot::{
    BadRow, IDEMPOTENCY_CONTEXT, KeyedCounter, Prepared, SNAPSHOT_FIELDS, SnapshotBody,
    SnapshotSource, idempotency_key, prepare, prepare_with,
};
pub use spec_kitty_home::python_isoformat;
