//! spec-kitty's batch event upload: the offline queue, in gzip batches, to
//! `POST {server}/api/v1/events/batch/`, so that no bad event can block the others and no
//! event is ever lost.
//!
//! # What this crate owns
//!
//! - [`sync_now`]: batches in queue order (at most 1000 events and a byte budget), results
//!   applied by `event_id`, rejected events moved out of the way, a 413 or a 400 without
//!   details bisected down to the bad event, transient failures retried then stopped with
//!   the events intact, one upload per queue at a time.
//!
//! The token comes from a `saas-session` [`Auth`] (a given token, or the stored login,
//! refreshed once after a 401). All HTTP goes through `http-transport`; the queue is
//! `event-store`'s.
//!
//! # What it must never do
//!
//! Delete a queued event before the server has answered for it; loop on any answer; bump a
//! retry count for a transient failure; print; put a token in an error or `Debug`.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod batch;
mod error;
mod upload;

pub use error::{Stopped, SyncError};
pub use saas_session::{Auth, REFRESH_PATH};
pub use upload::{
    DEFAULT_BATCH_BYTES, DELETE_EVERY, MAX_BATCH_EVENTS, Progress, SyncReport, UploadOptions,
    sync_now,
};
