//! Typed errors: each names the file, the event or the field at fault, never a secret.

use std::path::{Path, PathBuf};

use event_envelope::ValidationErrors;

/// Why an event-store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file is not what it should be (it is left untouched).
    #[error("{} cannot be used: {problem}; fix or move it away", path.display())]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The queue database failed.
    #[error("the event queue {} failed: {message}", path.display())]
    Queue {
        /// The queue file.
        path: PathBuf,
        /// SQLite's message.
        message: String,
    },
    /// The queue holds its maximum number of events; nothing was queued.
    #[error(
        "the event queue {} is full ({max} events); nothing was queued",
        path.display()
    )]
    QueueFull {
        /// The queue file.
        path: PathBuf,
        /// The cap.
        max: u64,
    },
    /// The event breaks the envelope or payload rules; nothing was queued.
    #[error("invalid event, nothing was queued: {0}")]
    Invalid(ValidationErrors),
    /// A home or project file failed.
    #[error(transparent)]
    Store(#[from] spec_kitty_home::HomeError),
}

impl Error {
    /// A project history file that could not be read.
    #[must_use]
    pub fn from_lane_log(e: lane_log::LaneLogError) -> Self {
        match e {
            lane_log::LaneLogError::Io {
                action,
                path,
                source,
            } => Error::Io {
                action,
                path,
                source,
            },
            other => Error::BadFile {
                path: PathBuf::new(),
                problem: other.to_string(),
            },
        }
    }
}

impl From<ValidationErrors> for Error {
    fn from(e: ValidationErrors) -> Self {
        // Not a `source`: the message already says it, and a chain would say it twice.
        Error::Invalid(e)
    }
}

pub(crate) fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.to_path_buf();
    move |source| Error::Io {
        action,
        path,
        source,
    }
}
