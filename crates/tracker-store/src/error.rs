//! The cache's error type: every variant names the file or thing that was wrong. None
//! names a command or a flag; the CLI adds what to run.

use std::path::PathBuf;

pub use spec_kitty_home::HomeError;

/// Why the issue cache could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A home file (the cache directory, a lock) failed.
    #[error(transparent)]
    Home(#[from] HomeError),
    /// Reading or spooling the cache's rows failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done (`reading`...).
        action: &'static str,
        /// The cache file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The cache file is not a SQLite database.
    #[error("{} is not a readable SQLite database ({detail}); move it aside and the cache will be rebuilt on the next pull", path.display())]
    NotADatabase {
        /// The file.
        path: PathBuf,
        /// SQLite's word for it.
        detail: String,
    },
    /// The cache file is a SQLite database of some other program or layout.
    #[error("{} is not a spec-kitty tracker cache ({detail}); move it aside and the cache will be rebuilt on the next pull", path.display())]
    ForeignDatabase {
        /// The file.
        path: PathBuf,
        /// What did not match.
        detail: String,
    },
    /// A SQLite operation failed.
    #[error("tracker cache {}: {source}{}", path.display(), sqlite_hint(source))]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// The SQLite error.
        source: rusqlite::Error,
    },
    /// The disk refused a read or a write: it is full, or failing. No SQLite error is kept
    /// as a source, so the message says the cause once.
    #[error("tracker cache {}: {detail}", path.display())]
    Disk {
        /// The database file.
        path: PathBuf,
        /// What the disk did, in words.
        detail: String,
    },
    /// A stored row is not valid JSON.
    #[error("tracker cache {}: row {identity} holds invalid JSON ({message})", path.display())]
    BadRow {
        /// The database file.
        path: PathBuf,
        /// The row's identity.
        identity: String,
        /// The JSON error.
        message: String,
    },
    /// An issue or reference lacks what identifies it.
    #[error("invalid issue reference: {0}")]
    InvalidRef(String),
    /// A mapping would map one external issue to two work packages.
    #[error(
        "{system} issue {external_id} in {workspace} is already mapped to {existing_wp}; remove that mapping first"
    )]
    MappingConflict {
        /// The provider.
        system: String,
        /// The workspace.
        workspace: String,
        /// The external issue id.
        external_id: String,
        /// The WP it is mapped to.
        existing_wp: String,
    },
}

/// Shorthand.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What to do about a SQLite error a user can act on.
fn sqlite_hint(e: &rusqlite::Error) -> &'static str {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            "; another process is using the cache: try again when it has finished"
        }
        Some(rusqlite::ErrorCode::ReadOnly) => {
            "; the cache file or its directory is read-only: check its permissions"
        }
        _ => "",
    }
}
