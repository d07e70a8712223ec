//! The SQLite issue cache at `~/.spec-kitty/trackers/<scope>.db`, in the Python CLI's
//! schema so either CLI reads the other's cache.
//!
//! Every write runs in an IMMEDIATE transaction; the database runs in WAL mode with a busy
//! timeout. A file that is not a SQLite database, or a database whose tables do not have
//! this schema, is an error: the cache is never silently reset.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use sha2::{Digest, Sha256};

use crate::error::{Result, StoreError};
use spec_kitty_home::{SpecKittyHome, create_private_dir};

/// How long a writer waits for another process's lock before failing.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tracker_issues (
    identity TEXT PRIMARY KEY,
    system TEXT NOT NULL,
    workspace TEXT NOT NULL,
    issue_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    updated_at TEXT
);
CREATE TABLE IF NOT EXISTS tracker_checkpoints (
    checkpoint_key TEXT PRIMARY KEY,
    cursor TEXT,
    updated_since TEXT
);
CREATE TABLE IF NOT EXISTS spec_kitty_rs_checkpoint_scopes (
    checkpoint_key TEXT PRIMARY KEY,
    scope TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tracker_mappings (
    wp_id TEXT NOT NULL,
    system TEXT NOT NULL,
    workspace TEXT NOT NULL,
    external_id TEXT NOT NULL,
    external_key TEXT,
    external_url TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (wp_id, system),
    UNIQUE (system, workspace, external_id)
);
";

const EXPECTED_COLUMNS: [(&str, &[&str]); 3] = [
    (
        "tracker_issues",
        &[
            "identity",
            "system",
            "workspace",
            "issue_id",
            "payload",
            "updated_at",
        ],
    ),
    (
        "tracker_checkpoints",
        &["checkpoint_key", "cursor", "updated_since"],
    ),
    (
        "tracker_mappings",
        &[
            "wp_id",
            "system",
            "workspace",
            "external_id",
            "external_key",
            "external_url",
            "created_at",
            "updated_at",
        ],
    ),
];

/// The cache scope of a binding: the first 16 hex characters of
/// `sha256("provider|workspace|server|user|team")`, each part trimmed and lower-cased, with
/// the Python CLI's fallbacks: server = `server_url` or `base_url` else `local`, user =
/// `username` or `email` else `anonymous`, team = `team_slug` else `no-team`. An empty
/// string counts as absent before trimming, as in Python.
#[must_use]
pub fn cache_scope(
    provider: &str,
    workspace: &str,
    server: Option<&str>,
    user: Option<&str>,
    team: Option<&str>,
) -> String {
    let part = |v: Option<&str>, fallback: &str| -> String {
        match v {
            Some(s) if !s.is_empty() => s,
            _ => fallback,
        }
        .trim()
        .to_lowercase()
    };
    let identity = format!(
        "{}|{}|{}|{}|{}",
        provider.trim().to_lowercase(),
        workspace.trim().to_lowercase(),
        part(server, "local"),
        part(user, "anonymous"),
        part(team, "no-team"),
    );
    let digest = Sha256::digest(identity.as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The cache file of a binding under `home`.
#[must_use]
pub fn cache_path(home: &SpecKittyHome, scope: &str) -> PathBuf {
    home.trackers_dir().join(format!("{scope}.db"))
}

mod checkpoints;
mod issues;
mod mappings;

pub use checkpoints::{Checkpoint, checkpoint_key};
pub use issues::{CanonicalIssue, IssueRef, IssueRow, PageCounts};
pub use mappings::Mapping;

/// An open issue cache.
#[derive(Debug)]
pub struct IssueCache {
    pub(super) path: PathBuf,
    pub(super) conn: Connection,
}

pub(super) fn classify(path: &Path, e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => {
            StoreError::NotADatabase {
                path: path.to_path_buf(),
                detail: e.to_string(),
            }
        }
        Some(rusqlite::ErrorCode::DiskFull) => StoreError::Disk {
            path: path.to_path_buf(),
            detail: "the disk is full (SQLite could not write)".to_owned(),
        },
        Some(rusqlite::ErrorCode::SystemIoFailure) => {
            let code = match &e {
                rusqlite::Error::SqliteFailure(f, _) => f.extended_code,
                _ => 10,
            };
            StoreError::Disk {
                path: path.to_path_buf(),
                detail: format!(
                    "the disk failed a read or a write (SQLite I/O error {code}): is it full?"
                ),
            }
        }
        _ => StoreError::Sqlite {
            path: path.to_path_buf(),
            source: e,
        },
    }
}

impl IssueCache {
    /// Opens (creating if needed) the cache at `path`, checks its schema, and sets WAL mode
    /// and the busy timeout. The directory is created 0700.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotADatabase`], [`StoreError::ForeignDatabase`], or a SQLite error.
    pub fn open(path: &Path) -> Result<IssueCache> {
        if let Some(dir) = path.parent() {
            create_private_dir(dir)?;
        }
        let err = |e| classify(path, e);
        let cache = Self::connect(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let mode: String = cache
            .conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(err)?;
        let _ = mode; // WAL may be refused on some file systems; DELETE mode still works.
        cache.conn.execute_batch(SCHEMA).map_err(err)?;
        Ok(cache)
    }

    /// Opens the cache at `path` for reading only: nothing is created or converted (no WAL
    /// switch), so read-only commands leave the file as they found it and work on a
    /// read-only cache. A cache that does not exist reads as an empty one (in memory).
    ///
    /// # Errors
    ///
    /// [`StoreError::NotADatabase`], [`StoreError::ForeignDatabase`], or a SQLite error.
    pub fn open_read_only(path: &Path) -> Result<IssueCache> {
        let err = |e| classify(path, e);
        if !path.exists() {
            let conn = Connection::open_in_memory().map_err(err)?;
            conn.execute_batch(SCHEMA).map_err(err)?;
            return Ok(IssueCache {
                path: path.to_path_buf(),
                conn,
            });
        }
        Self::connect(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
    }

    /// Opens `path` with `flags`, the busy timeout set and the schema checked.
    fn connect(path: &Path, flags: OpenFlags) -> Result<IssueCache> {
        let err = |e| classify(path, e);
        let conn = Connection::open_with_flags(path, flags).map_err(err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        let cache = IssueCache {
            path: path.to_path_buf(),
            conn,
        };
        cache.check_schema()?;
        Ok(cache)
    }

    /// The database file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(super) fn err(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        |e| classify(&self.path, e)
    }

    fn check_schema(&self) -> Result<()> {
        let tables: Vec<String> = {
            let mut stmt = self
                .conn
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
                .map_err(self.err())?;
            stmt.query_map([], |r| r.get(0))
                .map_err(self.err())?
                .collect::<rusqlite::Result<_>>()
                .map_err(self.err())?
        };
        let ours: Vec<&str> = EXPECTED_COLUMNS.iter().map(|(t, _)| *t).collect();
        if !tables.is_empty() && !tables.iter().any(|t| ours.contains(&t.as_str())) {
            return Err(StoreError::ForeignDatabase {
                path: self.path.clone(),
                detail: format!(
                    "it has tables {} but none of the tracker tables",
                    tables.join(", ")
                ),
            });
        }
        for (table, expected) in EXPECTED_COLUMNS {
            if !tables.iter().any(|t| t == table) {
                continue;
            }
            let mut stmt = self
                .conn
                .prepare(&format!("PRAGMA table_info({table})"))
                .map_err(self.err())?;
            let columns: Vec<String> = stmt
                .query_map([], |r| r.get(1))
                .map_err(self.err())?
                .collect::<rusqlite::Result<_>>()
                .map_err(self.err())?;
            let missing: Vec<&str> = expected
                .iter()
                .copied()
                .filter(|c| !columns.iter().any(|x| x == c))
                .collect();
            if !missing.is_empty() {
                return Err(StoreError::ForeignDatabase {
                    path: self.path.clone(),
                    detail: format!("table {table} lacks column(s) {}", missing.join(", ")),
                });
            }
        }
        Ok(())
    }

    pub(super) fn write<T>(
        &mut self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| classify(&path, e))?;
        let out = f(&tx).map_err(|e| classify(&path, e))?;
        tx.commit().map_err(|e| classify(&path, e))?;
        Ok(out)
    }
}
