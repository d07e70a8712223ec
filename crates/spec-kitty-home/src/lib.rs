//! Where spec-kitty keeps its files, shared by the tracker and the event pipelines, byte
//! compatible with the Python `spec-kitty-cli` 2.1.x so a user can run either CLI on the
//! same project and home directory.
//!
//! # What this crate owns
//!
//! - [`SpecKittyHome`] and [`find_project_root`]: the `~/.spec-kitty` directory and the
//!   project a command runs in.
//! - [`ProjectConfig`]: the `tracker:` section and project identity of
//!   `.kittify/config.yaml`, edited without disturbing any other byte.
//! - [`CredentialStore`]: `~/.spec-kitty/credentials` (TOML): `[tracker.providers.<name>]`
//!   and the SaaS login ([`SaasLogin`]), written atomically, privately (0600) and under a
//!   lock.
//! - [`bind`], [`unbind`], [`recover_binding`]: the config and the credentials changed as
//!   one operation (one lock, an intent journal, recovery after a crash), and
//!   [`Binding::load`], the read model every command uses (conflicting credential tables
//!   come back as data, never printed).
//! - [`write_atomic`], [`read_user_file`]: the one place that replaces files (temp file,
//!   fsync, rename) and reads files a user edits (regular files, bounded size and nesting).
//! - [`lock_within`] and [`try_lock`]: the one lock implementation (bounded waits, the
//!   holder named).
//! - [`python_isoformat`], [`isoformat_utc`], [`now_isoformat`]: timestamps rendered as
//!   Python's `isoformat()`, the one place for hand-written Python-compatible renderings.
//!
//! # What it must never do
//!
//! Lose or silently rewrite anything a user wrote; leave secrets readable by others; put a
//! credential value in an error; print; read the environment (callers pass `HOME` and
//! `SPEC_KITTY_HOME` to [`SpecKittyHome::resolve`]); name a command or a flag in an error
//! (the CLI adds hints); touch the network.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod atomic;
mod binding;
mod config;
mod credentials;
mod error;
mod isoformat;
mod lock;
mod paths;
mod scope;
mod time;

pub use binding::{Binding, bind, recover as recover_binding, unbind};
pub use config::{
    DEFAULT_DOCTRINE_MODE, DEFAULT_FIELD_OWNER, DOCTRINE_MODES, FIELD_OWNERS, ProjectConfig,
    ProjectIdentity, TrackerConfig, set_owner,
};
pub use credentials::{
    CredentialStore, Credentials, FoundCredentials, LoginGuard, SaasLogin, queue_scope,
};
pub use error::{HomeError, Result, io};
pub use isoformat::python_isoformat;
pub use lock::{LOCK_TIMEOUT, lock_within, try_lock};
pub use paths::{SpecKittyHome, create_private_dir, find_project_root};
pub use time::{isoformat_utc, now_isoformat};

/// Reads a small text file a user may edit: `None` when missing; an error naming it when
/// it is not a regular file (never opened: a FIFO cannot hang us), larger than 1 MiB, or
/// nested deeper than 64 brackets.
///
/// # Errors
///
/// [`HomeError::Shape`] or [`HomeError::Io`].
pub fn read_user_file(path: &std::path::Path) -> Result<Option<String>> {
    atomic::read_user_file(path)
}

/// Replaces a file atomically (temp file in the same directory, fsync, rename, directory
/// fsync) with the given Unix permission bits from the instant it exists.
///
/// # Errors
///
/// [`HomeError::Io`] naming the file.
pub fn write_atomic(path: &std::path::Path, bytes: &[u8], mode: u32) -> Result<()> {
    atomic::replace(path, bytes, mode)
}

/// [`write_atomic`] by a caller that holds the lock every writer of `path` takes: the temp
/// files killed writes of `path` left (`.spec-kitty-<name>-*.tmp`) are removed first,
/// whatever their age.
///
/// # Errors
///
/// [`HomeError::Io`] naming the file.
pub fn write_atomic_locked(path: &std::path::Path, bytes: &[u8], mode: u32) -> Result<()> {
    atomic::replace_locked(path, bytes, mode)
}
