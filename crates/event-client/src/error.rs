//! Why a `sync now` stopped. Every variant carries what was done before it stopped.

use http_transport::TransportError;

use crate::upload::SyncReport;

/// Why an upload stopped (events not yet answered for stay queued).
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Another `sync now` holds this queue.
    #[error("another `spec-kitty sync now` is uploading {path}; wait for it to finish")]
    Busy {
        /// The queue file.
        path: String,
    },
    /// The login is missing, expired or refused (401/403).
    #[error("the server refused the login (HTTP {status}): {message}")]
    Auth {
        /// The status.
        status: u16,
        /// What to do.
        message: String,
    },
    /// The server or the network failed after the retries; nothing more was sent.
    #[error("{reason}; the remaining events stay queued: run `spec-kitty sync now` again later")]
    Unavailable {
        /// What failed.
        reason: String,
    },
    /// The server answered in a way that would not make progress (e.g. a 200 with no result
    /// for any event sent, or an unexpected status).
    #[error("{reason}; the remaining events stay queued")]
    NoProgress {
        /// What the server did.
        reason: String,
    },
    /// A URL or the plain-http rule refused the request.
    #[error(transparent)]
    Transport(TransportError),
    /// A queue or credentials file failed.
    #[error(transparent)]
    Store(#[from] event_store::Error),
}

impl From<tracker_store::StoreError> for SyncError {
    fn from(e: tracker_store::StoreError) -> Self {
        SyncError::Store(event_store::Error::Store(e))
    }
}

impl From<TransportError> for SyncError {
    fn from(e: TransportError) -> Self {
        match e {
            TransportError::Unreachable { .. } => SyncError::Unavailable {
                reason: e.to_string(),
            },
            other => SyncError::Transport(other),
        }
    }
}

impl SyncError {
    /// Whether the server or the network failed (a later run may succeed).
    #[must_use]
    pub fn is_transient(&self) -> bool {
        matches!(self, SyncError::Unavailable { .. } | SyncError::Busy { .. })
    }
}

/// A stopped upload: the error and what had been done.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct Stopped {
    /// Why it stopped.
    pub error: SyncError,
    /// What was done before.
    pub report: SyncReport,
}
