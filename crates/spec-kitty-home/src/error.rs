//! The home's error type: every variant names the file or thing that was wrong. None names
//! a command or a flag; the CLI adds what to run.

use std::path::PathBuf;

/// Why reading or writing spec-kitty's files failed. Messages start lower case and name
/// the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HomeError {
    /// No `.kittify/` in the start directory or any parent.
    #[error(
        "not inside a spec-kitty project: no .kittify/ directory in {} or any parent",
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
    /// Another process held a lock longer than a command waits.
    #[error(
        "{} is locked{}; waited {} s. Wait for the other process to finish; if none is running, delete the lock file",
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
    /// Another process holds a lock that is never waited for (a second upload of one queue).
    #[error("{} is in use by another process{}", path.display(), holder.as_deref().map(|h| format!(" ({h})")).unwrap_or_default())]
    Busy {
        /// The lock file.
        path: PathBuf,
        /// Who holds it, when the system says.
        holder: Option<String>,
    },
}

/// Shorthand.
pub type Result<T, E = HomeError> = std::result::Result<T, E>;

/// A closure turning an IO error into [`HomeError::Io`] naming `path`.
pub fn io(
    action: &'static str,
    path: impl Into<PathBuf>,
) -> impl FnOnce(std::io::Error) -> HomeError {
    let path = path.into();
    move |source| HomeError::Io {
        action,
        path,
        source,
    }
}
