//! spec-kitty's Git event producer, on disk: it turns "this happened" into a frozen
//! 15-field envelope stamped from the real world and puts it in the offline queue that
//! either CLI uploads.
//!
//! # What this crate owns
//!
//! - [`EventEmitter`]: builds an envelope with `event_envelope::EnvelopeBuilder`, validates
//!   it, takes a Lamport value, queues it; an invalid event queues nothing.
//! - [`LamportClock`]: `~/.spec-kitty/clock.json` (the Python CLI's file and format),
//!   incremented under an exclusive lock and written atomically.
//! - [`resolve_context`]: node id (as the Python CLI computes it), team, project identity,
//!   and [`git_context`] (branch, HEAD, `origin` slug; worktrees and submodules).
//! - [`EventQueue`] and [`QueueFiles`]: the Python CLI's `queue.db` / scoped queues and
//!   `queue` table, a cap that refuses instead of evicting, and a table of our own for
//!   events the server rejected for good.
//! - [`import_history`]: a project's lane logs (`lane-log`) into the queue as the events
//!   the Python CLI's emitter would have built, exactly once (the rows' own ids, derived
//!   ids for `FeatureCreated`/`WPCreated`).
//!
//! # What it must never do
//!
//! Lose or reorder a queued event; evict; reuse a Lamport value; put a credential from a
//! remote URL into an envelope or an error; do network IO; print.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod clock;
mod emitter;
mod error;
mod git;
mod identity;
mod import;
mod queue;

pub use clock::{LamportClock, Tick};
pub use emitter::{
    ContextSources, EventEmitter, FnClock, ResolvedContext, new_event_id, now_timestamp,
    resolve_context,
};
pub use error::Error;
pub use git::{GitContext, git_context, is_repo_slug, repo_slug_from_remote};
pub use identity::{ProjectContext, hostname, node_id, project_context, username};
pub use import::{
    ImportOptions, ImportReport, ImportStopped, Refused, derived_event_id, import_history,
};
pub use queue::{
    BatchBudget, DEFAULT_MAX_QUEUE_SIZE, Enqueued, EventQueue, FAILED_TABLE, FailedEvent,
    QueueFiles, QueuePosition, QueuedEvent, max_queue_size,
};
pub use spec_kitty_home::queue_scope;
