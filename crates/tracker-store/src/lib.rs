//! On-disk tracker state for spec-kitty, byte-compatible with the Python `spec-kitty-cli`
//! 2.1.x, so a user can run either CLI on the same project and home directory.
//!
//! # What this crate owns
//!
//! - [`find_project_root`] and [`ProjectConfig`]: the `tracker:` section and project
//!   identity of `.kittify/config.yaml`, edited without disturbing any other byte.
//! - [`CredentialStore`]: `~/.spec-kitty/credentials` (TOML), `[tracker.providers.<name>]`,
//!   written atomically, privately (0600) and under a lock.
//! - [`bind`], [`unbind`], [`recover_binding`]: the config and the credentials changed as
//!   one operation (one lock, an intent journal, recovery after a crash).
//! - [`read_user_file`], [`lock_within`]: reading files a user edits safely (regular files,
//!   bounded size and nesting) and locks waited for a bounded time.
//! - [`python_isoformat`], [`isoformat_utc`]: timestamps rendered as Python's
//!   `isoformat()`, the one place for the hand-written Python-compatible renderings.
//! - [`IssueCache`]: the SQLite issue/checkpoint/mapping cache under
//!   `~/.spec-kitty/trackers/<scope>.db` ([`cache_scope`]).
//!
//! # What it must never do
//!
//! Lose or silently rewrite anything a user wrote; leave secrets readable by others; put a
//! credential value in an error; reset a cache it cannot read; print; read the environment
//! (callers pass `HOME`/`SPEC_KITTY_HOME` to [`SpecKittyHome::resolve`]).

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod atomic;
mod binding;
mod cache;
mod canonical;
mod config;
mod credentials;
mod error;
mod isoformat;
mod lock;
mod paths;
mod time;

pub use binding::{bind, recover as recover_binding, unbind};
pub use cache::{
    BUSY_TIMEOUT, CanonicalIssue, Checkpoint, IssueCache, IssueRef, IssueRow, Mapping, PageCounts,
    cache_path, cache_scope, checkpoint_key,
};
pub use canonical::{IssueStatus, IssueType};
pub use config::{
    DEFAULT_DOCTRINE_MODE, DOCTRINE_MODES, ProjectConfig, ProjectIdentity, TrackerConfig, set_owner,
};
pub use credentials::{CredentialStore, Credentials, FoundCredentials, SaasLogin};

/// Reads a small text file a user may edit: `None` when missing; an error naming it when
/// it is not a regular file (never opened: a FIFO cannot hang us), larger than 1 MiB, or
/// nested deeper than 64 brackets.
///
/// # Errors
///
/// [`StoreError::Shape`] or [`StoreError::Io`].
pub fn read_user_file(path: &std::path::Path) -> Result<Option<String>> {
    atomic::read_user_file(path)
}

/// Replaces a file atomically (temp file in the same directory, fsync, rename, directory
/// fsync) with the given Unix permission bits from the instant it exists.
///
/// # Errors
///
/// [`StoreError::Io`] naming the file.
pub fn write_atomic(path: &std::path::Path, bytes: &[u8], mode: u32) -> Result<()> {
    atomic::replace(path, bytes, mode)
}
pub use error::{Result, StoreError};
pub use isoformat::python_isoformat;
pub use lock::{LOCK_TIMEOUT, lock_within};
pub use paths::{SpecKittyHome, find_project_root};
pub use time::{isoformat_utc, now_isoformat};

use routing_core::CredentialValue;

/// The cache scope of a binding from its provider, workspace and credentials, with the
/// Python CLI's credential fallbacks (`routing_core::SCOPE_*_KEYS`, see [`cache_scope`]).
#[must_use]
pub fn binding_scope(provider: &str, workspace: &str, credentials: &Credentials) -> String {
    let text = |keys: &[&str]| -> Option<String> {
        keys.iter().find_map(|k| match credentials.get(*k) {
            Some(CredentialValue::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(CredentialValue::Integer(i)) => Some(i.to_string()),
            _ => None,
        })
    };
    cache_scope(
        provider,
        workspace,
        text(&routing_core::SCOPE_SERVER_KEYS).as_deref(),
        text(&routing_core::SCOPE_USER_KEYS).as_deref(),
        text(&routing_core::SCOPE_TEAM_KEYS).as_deref(),
    )
}
