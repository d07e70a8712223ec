//! The store's error type: every variant names the file or thing that was wrong.

use std::path::PathBuf;

/// A tracker-store error. Messages start lower case, name the file, and say what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No `.kittify/` in the start directory or any parent.
    #[error(
        "not inside a spec-kitty project: no .kittify/ directory in {} or any parent; run this from a project directory",
        start.display()
    )]
    NotInProject {
        /// Where the search started.
        start: PathBuf,
    },
    /// No home directory to find `~/.spec-kitty` in.
    #[error(
        "cannot find the home directory: set HOME (or SPEC_KITTY_HOME for the ~/.spec-kitty directory)"
    )]
    NoHome,
    /// A file system operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done (`reading`, `writing`...).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// `.kittify/config.yaml` does not parse.
    #[error("{} is not valid YAML{}: {message}; fix the file by hand (it was not changed)", path.display(), line.map(|l| format!(" at line {l}")).unwrap_or_default())]
    Yaml {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem, when known.
        line: Option<usize>,
        /// The parser's message.
        message: String,
    },
    /// A file parses but has the wrong shape (e.g. `tracker:` is a list).
    #[error("{}: {message}; fix the file by hand (it was not changed)", path.display())]
    Shape {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The credentials file does not parse as TOML.
    #[error("{} is not valid TOML{}: {message}; fix the file by hand (it was not changed)", path.display(), line.map(|l| format!(" at line {l}")).unwrap_or_default())]
    Toml {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem, when known.
        line: Option<usize>,
        /// The parser's message (never a value from the file).
        message: String,
    },
    /// An edit did not produce what was meant; nothing was written.
    #[error("refusing to write {}: the edited file would not read back as intended ({detail}); it was not changed", path.display())]
    EditVerification {
        /// The file.
        path: PathBuf,
        /// What differed.
        detail: String,
    },
    /// The cache file is not a SQLite database.
    #[error("{} is not a readable SQLite database ({detail}); move it aside and the cache will be rebuilt on the next sync", path.display())]
    NotADatabase {
        /// The file.
        path: PathBuf,
        /// SQLite's word for it.
        detail: String,
    },
    /// The cache file is a SQLite database of some other program or layout.
    #[error("{} is not a spec-kitty tracker cache ({detail}); move it aside and the cache will be rebuilt on the next sync", path.display())]
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
    /// Another process held a lock longer than a command waits.
    #[error(
        "{} is locked{}; waited {} s. Wait for the other spec-kitty command to finish; if none is running, delete the lock file",
        path.display(),
        holder.as_deref().map(|h| format!(" by {h}")).unwrap_or_default(),
        waited.as_secs()
    )]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// How long this command waited.
        waited: std::time::Duration,
        /// Who holds it, when the system says.
        holder: Option<String>,
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

pub(crate) fn io(
    action: &'static str,
    path: impl Into<PathBuf>,
) -> impl FnOnce(std::io::Error) -> StoreError {
    let path = path.into();
    move |source| StoreError::Io {
        action,
        path,
        source,
    }
}

/// What to do about a SQLite error a user can act on.
fn sqlite_hint(e: &rusqlite::Error) -> &'static str {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            "; another spec-kitty command is using the cache: try again when it has finished"
        }
        Some(rusqlite::ErrorCode::ReadOnly) => {
            "; the cache file or its directory is read-only: check its permissions"
        }
        _ => "",
    }
}
