//! The SQLite issue cache at `~/.spec-kitty/trackers/<scope>.db`, in the Python CLI's
//! schema so either CLI reads the other's cache.
//!
//! Every write runs in an IMMEDIATE transaction; the database runs in WAL mode with a busy
//! timeout. A file that is not a SQLite database, or a database whose tables do not have
//! this schema, is an error: the cache is never silently reset.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::canonical::{IssueStatus, IssueType};
use crate::error::{Result, StoreError};
use crate::paths::{SpecKittyHome, create_private_dir};

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

/// An external issue reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueRef {
    /// The provider (`jira`...).
    pub system: String,
    /// The workspace.
    pub workspace: String,
    /// The provider's id.
    pub id: String,
    /// The human key (`ACME-1`).
    pub key: Option<String>,
    /// The web URL.
    pub url: Option<String>,
}

impl IssueRef {
    /// `system:workspace:id`, the cache's primary key (as the Python CLI computes it).
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidRef`] when a part is blank.
    pub fn identity(&self) -> Result<String> {
        for (name, v) in [
            ("system", &self.system),
            ("workspace", &self.workspace),
            ("id", &self.id),
        ] {
            if v.trim().is_empty() {
                return Err(StoreError::InvalidRef(format!(
                    "the reference's {name} is empty"
                )));
            }
        }
        Ok(format!("{}:{}:{}", self.system, self.workspace, self.id))
    }
}

/// A canonical issue as the cache stores it (the Python CLI's JSON layout, key order kept).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CanonicalIssue {
    /// The reference.
    #[serde(rename = "ref")]
    pub reference: IssueRef,
    /// Title.
    pub title: String,
    /// Body text.
    pub body: Option<String>,
    /// Status.
    pub status: IssueStatus,
    /// Type.
    pub issue_type: IssueType,
    /// Priority 0..4.
    pub priority: Option<i64>,
    /// Assignees.
    pub assignees: Vec<String>,
    /// Labels.
    pub labels: Vec<String>,
    /// Parent issue.
    pub parent: Option<IssueRef>,
    /// Links, as stored.
    pub links: Vec<Value>,
    /// Custom fields.
    pub custom_fields: Map<String, Value>,
    /// ISO 8601.
    pub created_at: Option<String>,
    /// ISO 8601.
    pub updated_at: Option<String>,
    /// The provider's raw record.
    pub raw: Option<Value>,
}

/// One cached issue row, its payload as stored (read tolerantly).
#[derive(Debug, Clone, PartialEq)]
pub struct IssueRow {
    /// `system:workspace:id`.
    pub identity: String,
    /// The provider.
    pub system: String,
    /// The workspace.
    pub workspace: String,
    /// The provider's id.
    pub issue_id: String,
    /// The canonical issue JSON, whatever the writer put there.
    pub payload: Value,
    /// When the row was written.
    pub updated_at: Option<String>,
}

/// A sync checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Checkpoint {
    /// The provider's cursor.
    pub cursor: Option<String>,
    /// ISO 8601 as stored.
    pub updated_since: Option<String>,
}

/// What one pulled page did to the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PageCounts {
    /// Issues not cached before.
    pub created: u64,
    /// Cached issues whose payload changed.
    pub updated: u64,
    /// Cached issues whose payload is byte-identical.
    pub unchanged: u64,
}

impl std::ops::AddAssign for PageCounts {
    fn add_assign(&mut self, o: PageCounts) {
        self.created += o.created;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
    }
}

/// The key of a binding's row in `tracker_checkpoints`: `<provider>:<workspace>` (the
/// provider normalized, as the Python CLI writes it).
#[must_use]
pub fn checkpoint_key(provider: &str, workspace: &str) -> String {
    format!("{provider}:{workspace}")
}

/// A WP <-> external issue mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    /// The work package.
    pub wp_id: String,
    /// The provider.
    pub system: String,
    /// The workspace.
    pub workspace: String,
    /// The provider's issue id.
    pub external_id: String,
    /// The issue key.
    pub external_key: Option<String>,
    /// The issue URL.
    pub external_url: Option<String>,
    /// ISO 8601.
    pub created_at: String,
    /// ISO 8601.
    pub updated_at: String,
}

/// An open issue cache.
#[derive(Debug)]
pub struct IssueCache {
    path: PathBuf,
    conn: Connection,
}

fn classify(path: &Path, e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => {
            StoreError::NotADatabase {
                path: path.to_path_buf(),
                detail: e.to_string(),
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
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        let cache = IssueCache {
            path: path.to_path_buf(),
            conn,
        };
        cache.check_schema()?;
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
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(err)?;
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

    fn err(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
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

    fn write<T>(
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

    /// Inserts or replaces an issue; `now` is the row's write time (ISO 8601).
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidRef`] for a blank reference part, or a SQLite error.
    pub fn upsert_issue(&mut self, issue: &CanonicalIssue, now: &str) -> Result<()> {
        self.upsert_issues(std::iter::once(issue), now).map(|_| ())
    }

    /// Inserts or replaces many issues in one transaction (all or none).
    ///
    /// # Errors
    ///
    /// As [`IssueCache::upsert_issue`]; nothing is written when any issue fails.
    pub fn upsert_issues<'i>(
        &mut self,
        issues: impl IntoIterator<Item = &'i CanonicalIssue>,
        now: &str,
    ) -> Result<usize> {
        let mut rows = Vec::new();
        for issue in issues {
            let identity = issue.reference.identity()?;
            let payload =
                serde_json::to_string(issue).map_err(|e| StoreError::InvalidRef(e.to_string()))?;
            rows.push((identity, issue, payload));
        }
        self.write(|tx| {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO tracker_issues(identity, system, workspace, issue_id, payload, updated_at)
                 VALUES(?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(identity) DO UPDATE SET
                    system = excluded.system, workspace = excluded.workspace,
                    issue_id = excluded.issue_id, payload = excluded.payload,
                    updated_at = excluded.updated_at",
            )?;
            for (identity, issue, payload) in &rows {
                let r = &issue.reference;
                stmt.execute(params![identity, r.system, r.workspace, r.id, payload, now])?;
            }
            Ok(rows.len())
        })
    }

    /// Writes one pulled page and the checkpoint it reached in one transaction: a crash
    /// leaves either the whole page and its checkpoint, or neither. An issue whose stored
    /// payload is byte-identical is left untouched (its row keeps its write time).
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidRef`] for a blank reference part (nothing is written), or a
    /// SQLite error (nothing is written).
    pub fn apply_pulled_page(
        &mut self,
        issues: &[CanonicalIssue],
        now: &str,
        checkpoint_key: &str,
        checkpoint: &Checkpoint,
    ) -> Result<PageCounts> {
        let mut rows = Vec::with_capacity(issues.len());
        for issue in issues {
            let identity = issue.reference.identity()?;
            let payload =
                serde_json::to_string(issue).map_err(|e| StoreError::InvalidRef(e.to_string()))?;
            rows.push((identity, issue, payload));
        }
        self.write(|tx| {
            let mut counts = PageCounts::default();
            let mut existing = tx.prepare_cached(
                "SELECT payload FROM tracker_issues WHERE identity = ?1",
            )?;
            let mut upsert = tx.prepare_cached(
                "INSERT INTO tracker_issues(identity, system, workspace, issue_id, payload, updated_at)
                 VALUES(?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(identity) DO UPDATE SET
                    system = excluded.system, workspace = excluded.workspace,
                    issue_id = excluded.issue_id, payload = excluded.payload,
                    updated_at = excluded.updated_at",
            )?;
            for (identity, issue, payload) in &rows {
                let old: Option<String> = existing
                    .query_row([identity], |r| r.get(0))
                    .optional()?;
                match old {
                    Some(old) if old == *payload => {
                        counts.unchanged += 1;
                        continue;
                    }
                    Some(_) => counts.updated += 1,
                    None => counts.created += 1,
                }
                let r = &issue.reference;
                upsert.execute(params![identity, r.system, r.workspace, r.id, payload, now])?;
            }
            tx.execute(
                "INSERT INTO tracker_checkpoints(checkpoint_key, cursor, updated_since) VALUES(?1, ?2, ?3)
                 ON CONFLICT(checkpoint_key) DO UPDATE SET cursor = excluded.cursor, updated_since = excluded.updated_since",
                params![checkpoint_key, checkpoint.cursor, checkpoint.updated_since],
            )?;
            Ok(counts)
        })
    }

    fn row(
        &self,
        r: &rusqlite::Row<'_>,
    ) -> rusqlite::Result<(String, String, String, String, String, Option<String>)> {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
        ))
    }

    fn to_issue_row(
        &self,
        raw: (String, String, String, String, String, Option<String>),
    ) -> Result<IssueRow> {
        let (identity, system, workspace, issue_id, payload, updated_at) = raw;
        let payload: Value = serde_json::from_str(&payload).map_err(|e| StoreError::BadRow {
            path: self.path.clone(),
            identity: identity.clone(),
            message: e.to_string(),
        })?;
        Ok(IssueRow {
            identity,
            system,
            workspace,
            issue_id,
            payload,
            updated_at,
        })
    }

    /// The issue with this identity, if cached.
    ///
    /// # Errors
    ///
    /// A SQLite error, or [`StoreError::BadRow`].
    pub fn get_issue(&self, identity: &str) -> Result<Option<IssueRow>> {
        let raw = self
            .conn
            .query_row(
                "SELECT identity, system, workspace, issue_id, payload, updated_at FROM tracker_issues WHERE identity = ?1",
                [identity],
                |r| self.row(r),
            )
            .optional()
            .map_err(self.err())?;
        raw.map(|r| self.to_issue_row(r)).transpose()
    }

    /// Deletes an issue; whether it existed.
    ///
    /// # Errors
    ///
    /// A SQLite error.
    pub fn delete_issue(&mut self, identity: &str) -> Result<bool> {
        let n = self
            .write(|tx| tx.execute("DELETE FROM tracker_issues WHERE identity = ?1", [identity]))?;
        Ok(n > 0)
    }

    /// How many issues of `system` are cached.
    ///
    /// # Errors
    ///
    /// A SQLite error.
    pub fn count_issues(&self, system: &str) -> Result<u64> {
        let n: i64 = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM tracker_issues WHERE system = ?1",
                [system],
                |r| r.get(0),
            )
            .map_err(self.err())?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Calls `f` for every issue of `system`, in identity order, one row at a time (the
    /// whole set is never held in memory). Stops at the first error `f` returns.
    ///
    /// # Errors
    ///
    /// A SQLite error, [`StoreError::BadRow`], or `f`'s error.
    pub fn for_each_issue<E: From<StoreError>>(
        &self,
        system: &str,
        mut f: impl FnMut(IssueRow) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT identity, system, workspace, issue_id, payload, updated_at FROM tracker_issues
                 WHERE system = ?1 ORDER BY identity ASC",
            )
            .map_err(self.err())?;
        let mut rows = stmt.query([system]).map_err(self.err())?;
        while let Some(r) = rows.next().map_err(self.err())? {
            let raw = self.row(r).map_err(self.err())?;
            f(self.to_issue_row(raw)?)?;
        }
        Ok(())
    }

    /// Up to `limit` issues of `system` whose identity sorts after `after` (all when `None`),
    /// in identity order: keyset paging for callers that pull rows (e.g. a streaming body).
    ///
    /// # Errors
    ///
    /// A SQLite error, or [`StoreError::BadRow`].
    pub fn issues_page(
        &self,
        system: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<IssueRow>> {
        // Two statements, so the page after the first is a SEARCH on the primary key
        // (an `?2 IS NULL OR` form makes SQLite scan from the start on every page).
        let sql = match after {
            None => {
                "SELECT identity, system, workspace, issue_id, payload, updated_at FROM tracker_issues
                 WHERE system = ?1 ORDER BY identity ASC LIMIT ?2"
            }
            Some(_) => {
                "SELECT identity, system, workspace, issue_id, payload, updated_at FROM tracker_issues
                 WHERE system = ?1 AND identity > ?3 ORDER BY identity ASC LIMIT ?2"
            }
        };
        let mut stmt = self.conn.prepare_cached(sql).map_err(self.err())?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let raws: Vec<_> = match after {
            None => stmt
                .query_map(params![system, limit], |r| self.row(r))
                .and_then(Iterator::collect::<rusqlite::Result<_>>),
            Some(a) => stmt
                .query_map(params![system, limit, a], |r| self.row(r))
                .and_then(Iterator::collect::<rusqlite::Result<_>>),
        }
        .map_err(self.err())?;
        raws.into_iter().map(|r| self.to_issue_row(r)).collect()
    }

    /// As [`IssueCache::issues_page`], but only `(identity, payload text)`, unparsed: for
    /// callers that read a few fields of many rows (the snapshot body).
    ///
    /// # Errors
    ///
    /// A SQLite error.
    pub fn issues_page_text(
        &self,
        system: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, String)>> {
        let sql = match after {
            None => {
                "SELECT identity, payload FROM tracker_issues
                 WHERE system = ?1 ORDER BY identity ASC LIMIT ?2"
            }
            Some(_) => {
                "SELECT identity, payload FROM tracker_issues
                 WHERE system = ?1 AND identity > ?3 ORDER BY identity ASC LIMIT ?2"
            }
        };
        let mut stmt = self.conn.prepare_cached(sql).map_err(self.err())?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let pair = |r: &rusqlite::Row<'_>| Ok((r.get(0)?, r.get(1)?));
        match after {
            None => stmt
                .query_map(params![system, limit], pair)
                .and_then(Iterator::collect::<rusqlite::Result<_>>),
            Some(a) => stmt
                .query_map(params![system, limit, a], pair)
                .and_then(Iterator::collect::<rusqlite::Result<_>>),
        }
        .map_err(self.err())
    }

    /// Runs `f` inside one read transaction, so every read it makes sees the same state of
    /// the cache even while another process writes (WAL snapshot isolation).
    ///
    /// # Errors
    ///
    /// A SQLite error starting or ending the transaction.
    pub fn read_consistent<T>(&self, f: impl FnOnce(&Self) -> T) -> Result<T> {
        self.conn
            .execute_batch("BEGIN DEFERRED")
            .map_err(self.err())?;
        // The snapshot starts at the first read.
        let started: rusqlite::Result<i64> =
            self.conn
                .query_row("SELECT COUNT(*) FROM tracker_checkpoints", [], |r| r.get(0));
        if let Err(e) = started {
            let _ = self.conn.execute_batch("ROLLBACK");
            return Err(classify(&self.path, e));
        }
        let out = f(self);
        self.conn.execute_batch("COMMIT").map_err(self.err())?;
        Ok(out)
    }

    /// Every issue of `system`, in identity order (see [`IssueCache::for_each_issue`] to stream).
    ///
    /// # Errors
    ///
    /// As [`IssueCache::for_each_issue`].
    pub fn list_issues(&self, system: &str) -> Result<Vec<IssueRow>> {
        let mut out = Vec::new();
        self.for_each_issue(system, |r| {
            out.push(r);
            Ok::<(), StoreError>(())
        })?;
        Ok(out)
    }

    /// The checkpoint stored under `key` ([`checkpoint_key`]).
    ///
    /// # Errors
    ///
    /// A SQLite error.
    pub fn get_checkpoint(&self, key: &str) -> Result<Option<Checkpoint>> {
        self.conn
            .query_row(
                "SELECT cursor, updated_since FROM tracker_checkpoints WHERE checkpoint_key = ?1",
                [key],
                |r| {
                    Ok(Checkpoint {
                        cursor: r.get(0)?,
                        updated_since: r.get(1)?,
                    })
                },
            )
            .optional()
            .map_err(self.err())
    }

    /// Stores the checkpoint under `key`.
    ///
    /// # Errors
    ///
    /// A SQLite error.
    pub fn set_checkpoint(&mut self, key: &str, checkpoint: &Checkpoint) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO tracker_checkpoints(checkpoint_key, cursor, updated_since) VALUES(?1, ?2, ?3)
                 ON CONFLICT(checkpoint_key) DO UPDATE SET cursor = excluded.cursor, updated_since = excluded.updated_since",
                params![key, checkpoint.cursor, checkpoint.updated_since],
            )
        })?;
        Ok(())
    }

    /// Maps `wp_id` to an external issue (one mapping per (wp_id, system), one per external
    /// issue). `now` stamps `updated_at` (and `created_at` of a new mapping).
    ///
    /// # Errors
    ///
    /// [`StoreError::MappingConflict`] when the issue is mapped to another WP, a blank
    /// reference, or a SQLite error.
    pub fn upsert_mapping(&mut self, wp_id: &str, reference: &IssueRef, now: &str) -> Result<()> {
        reference.identity()?;
        if wp_id.trim().is_empty() {
            return Err(StoreError::InvalidRef(
                "the work package id is empty".to_owned(),
            ));
        }
        // The check and the write in one IMMEDIATE transaction: of two parallel `map add`s
        // of one issue, the loser sees the winner's row and gets "already mapped", never a
        // raw UNIQUE error.
        let existing = self.write(|tx| {
            let existing: Option<String> = tx
                .query_row(
                    "SELECT wp_id FROM tracker_mappings WHERE system = ?1 AND workspace = ?2 AND external_id = ?3",
                    params![reference.system, reference.workspace, reference.id],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(existing_wp) = existing
                && existing_wp != wp_id
            {
                return Ok(Some(existing_wp));
            }
            tx.execute(
                "INSERT INTO tracker_mappings(wp_id, system, workspace, external_id, external_key, external_url, created_at, updated_at)
                 VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
                 ON CONFLICT(wp_id, system) DO UPDATE SET
                    workspace = excluded.workspace, external_id = excluded.external_id,
                    external_key = excluded.external_key, external_url = excluded.external_url,
                    updated_at = excluded.updated_at",
                params![wp_id, reference.system, reference.workspace, reference.id, reference.key, reference.url, now],
            )?;
            Ok(None)
        })?;
        match existing {
            Some(existing_wp) => Err(StoreError::MappingConflict {
                system: reference.system.clone(),
                workspace: reference.workspace.clone(),
                external_id: reference.id.clone(),
                existing_wp,
            }),
            None => Ok(()),
        }
    }

    /// Every mapping (all systems), ordered by `wp_id` then `system`.
    ///
    /// # Errors
    ///
    /// A SQLite error.
    pub fn list_mappings(&self) -> Result<Vec<Mapping>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT wp_id, system, workspace, external_id, external_key, external_url, created_at, updated_at
                 FROM tracker_mappings ORDER BY wp_id ASC, system ASC",
            )
            .map_err(self.err())?;
        stmt.query_map([], |r| {
            Ok(Mapping {
                wp_id: r.get(0)?,
                system: r.get(1)?,
                workspace: r.get(2)?,
                external_id: r.get(3)?,
                external_key: r.get(4)?,
                external_url: r.get(5)?,
                created_at: r.get(6)?,
                updated_at: r.get(7)?,
            })
        })
        .map_err(self.err())?
        .collect::<rusqlite::Result<_>>()
        .map_err(self.err())
    }
}
