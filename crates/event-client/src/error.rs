//! Why a `sync now` stopped. Every variant carries what was done before it stopped.

use http_transport::{ErrorKind, TransportError};
use saas_session::SessionError;

use crate::upload::SyncReport;

/// Why an upload stopped (events not yet answered for stay queued).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// Another upload holds this queue.
    #[error("another upload is sending {path}; wait for it to finish")]
    Busy {
        /// The queue file.
        path: String,
    },
    /// The login is missing, expired or refused (401/403), or its refresh failed.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The server kept failing (5xx, 408, 429) through every attempt; nothing more was
    /// sent.
    #[error(
        "the server answered HTTP {status} at {url} after {attempts} attempt(s); the remaining events stay queued"
    )]
    ServerFailed {
        /// The last status.
        status: u16,
        /// The batch URL, without any password.
        url: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The server answered in a way that would not make progress (e.g. a 200 with no result
    /// for any event sent, or an unexpected status).
    #[error("{reason}; the remaining events stay queued")]
    NoProgress {
        /// What the server did.
        reason: String,
    },
    /// A URL or the plain-http rule refused the request, or the network failed.
    #[error("{}{}", .0, stay_queued(.0))]
    Transport(#[from] TransportError),
    /// A queue or credentials file failed.
    #[error(transparent)]
    Store(#[from] event_store::Error),
}

fn stay_queued(e: &TransportError) -> &'static str {
    if e.kind() == ErrorKind::Transient {
        "; the remaining events stay queued"
    } else {
        ""
    }
}

impl From<spec_kitty_home::HomeError> for SyncError {
    fn from(e: spec_kitty_home::HomeError) -> Self {
        SyncError::Store(event_store::Error::Store(e))
    }
}

impl SyncError {
    /// What kind of failure this is: the network or the server failing (and a queue busy
    /// with another upload) is [`ErrorKind::Transient`]; a bad URL or a token over plain
    /// http [`ErrorKind::Usage`]; a refused login or answer, a broken file
    /// [`ErrorKind::Refused`].
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            SyncError::Busy { .. } | SyncError::ServerFailed { .. } => ErrorKind::Transient,
            SyncError::Session(e) => e.kind(),
            SyncError::Transport(e) => e.kind(),
            SyncError::NoProgress { .. } | SyncError::Store(_) => ErrorKind::Refused,
        }
    }

    /// Whether the login must be renewed (or a valid token given) before a retry helps.
    #[must_use]
    pub fn needs_login(&self) -> bool {
        matches!(self, SyncError::Session(e) if e.needs_login())
    }

    /// Whether the server or the network failed (a later run may succeed).
    #[must_use]
    pub fn is_transient(&self) -> bool {
        self.kind() == ErrorKind::Transient
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
