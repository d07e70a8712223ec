//! The offline event queue: the Python CLI's SQLite file and `queue` table, plus a table
//! of our own for events the server rejected for good.
//!
//! `~/.spec-kitty/queue.db` when not logged in; `~/.spec-kitty/queues/queue-<sha256(scope)
//! [..16]>.db` for a SaaS login (`scope = server|username|team`, as the Python CLI builds
//! it). Events leave the `queue` table only when the server has answered for them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use sha2::{Digest, Sha256};
use spec_kitty_home::{CredentialStore, SpecKittyHome};

use crate::error::{Error, io};

/// A queue path that exists but is not a regular file (a directory, a FIFO) is refused
/// by name; opening it would fail with SQLite's vaguer words, or hang.
fn not_a_file(path: &Path) -> Result<(), Error> {
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => Err(Error::BadFile {
            path: path.to_path_buf(),
            problem: "it is not a regular file; move it aside".into(),
        }),
        _ => Ok(()),
    }
}

/// A text column read leniently: TEXT or BLOB holding UTF-8; `None` for anything else
/// (NULL, a number, invalid UTF-8).
fn lenient_text(v: rusqlite::types::ValueRef<'_>) -> Option<String> {
    match v {
        rusqlite::types::ValueRef::Text(b) | rusqlite::types::ValueRef::Blob(b) => {
            std::str::from_utf8(b).ok().map(str::to_owned)
        }
        _ => None,
    }
}

/// An integer column read leniently: a REAL is truncated, a TEXT parsed, anything else 0.
fn lenient_int(v: rusqlite::types::ValueRef<'_>) -> i64 {
    match v {
        rusqlite::types::ValueRef::Integer(i) => i,
        #[allow(clippy::cast_possible_truncation)] // saturating, as intended
        rusqlite::types::ValueRef::Real(f) => f as i64,
        rusqlite::types::ValueRef::Text(t) => std::str::from_utf8(t)
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .map_or(0, |f| f as i64),
        _ => 0,
    }
}

/// The Python CLI's default cap (`[sync] max_queue_size` in `~/.spec-kitty/config.toml`).
pub const DEFAULT_MAX_QUEUE_SIZE: u64 = 100_000;
/// Our table of events rejected for good (the Python CLI ignores tables it does not know).
pub const FAILED_TABLE: &str = "spec_kitty_rs_failed";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT UNIQUE NOT NULL,
    event_type TEXT NOT NULL,
    data TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    retry_count INTEGER DEFAULT 0,
    coalesce_key TEXT
);
CREATE INDEX IF NOT EXISTS idx_timestamp ON queue(timestamp);
CREATE INDEX IF NOT EXISTS idx_retry ON queue(retry_count);
CREATE TABLE IF NOT EXISTS spec_kitty_rs_failed (
    event_id TEXT PRIMARY KEY,
    event_type TEXT NOT NULL,
    data TEXT NOT NULL,
    queued_at INTEGER NOT NULL,
    failed_at TEXT NOT NULL,
    category TEXT NOT NULL,
    reason TEXT NOT NULL
);
";

/// The queue files of a home: the unscoped `queue.db`, and the login's scoped one when the
/// credentials hold a SaaS login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueFiles {
    /// `~/.spec-kitty/queue.db`.
    pub unscoped: PathBuf,
    /// `~/.spec-kitty/queues/queue-<hash>.db`, when logged in.
    pub scoped: Option<PathBuf>,
}

impl QueueFiles {
    /// Resolves the files as the Python CLI does.
    ///
    /// # Errors
    ///
    /// The credentials file cannot be read.
    pub fn resolve(home: &SpecKittyHome) -> Result<Self, Error> {
        let login = CredentialStore::new(home).saas_login()?;
        let scoped = login.queue_scope().map(|s| Self::scoped_path(home, &s));
        Ok(QueueFiles {
            unscoped: home.dir().join("queue.db"),
            scoped,
        })
    }

    /// The queue file of a login's scope: `queues/queue-<sha256(scope)[..16]>.db`.
    #[must_use]
    pub fn scoped_path(home: &SpecKittyHome, scope: &str) -> PathBuf {
        let digest = Sha256::digest(scope.as_bytes());
        let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        home.dir().join("queues").join(format!("queue-{hex}.db"))
    }

    /// Where new events go: the scoped queue when logged in, else `queue.db`.
    #[must_use]
    pub fn active(&self) -> &Path {
        self.scoped.as_deref().unwrap_or(&self.unscoped)
    }

    /// The scoped queues of other logins (another server, user or team) in
    /// `~/.spec-kitty/queues/`: this login never sends them, since their events belong to
    /// another account, but they are worth showing so they are not forgotten. Sorted.
    #[must_use]
    pub fn others(&self) -> Vec<PathBuf> {
        let Some(dir) = self.unscoped.parent().map(|h| h.join("queues")) else {
            return Vec::new();
        };
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        let mut out: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_file()
                    && p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("queue-") && n.ends_with(".db"))
                    && Some(p.as_path()) != self.scoped.as_deref()
            })
            .collect();
        out.sort();
        out
    }

    /// Every queue to drain, oldest first: `queue.db` (events from before a login are
    /// never stranded), then the scoped one. Every path that exists, file or not: one that
    /// is not a file is the caller's to report, never silently skipped.
    #[must_use]
    pub fn to_drain(&self) -> Vec<PathBuf> {
        std::iter::once(self.unscoped.clone())
            .chain(self.scoped.clone())
            .filter(|p| p.symlink_metadata().is_ok())
            .collect()
    }
}

/// `[sync] max_queue_size` of `~/.spec-kitty/config.toml`, else the default.
///
/// # Errors
///
/// The file exists but is not TOML, or the value is not a positive integer.
pub fn max_queue_size(home: &SpecKittyHome) -> Result<u64, Error> {
    let path = home.dir().join("config.toml");
    let Some(text) = spec_kitty_home::read_user_file(&path)? else {
        return Ok(DEFAULT_MAX_QUEUE_SIZE);
    };
    let doc: toml_edit::DocumentMut = text.parse().map_err(|_| Error::BadFile {
        path: path.clone(),
        problem: "it is not valid TOML".into(),
    })?;
    match doc.get("sync").and_then(|s| s.get("max_queue_size")) {
        None => Ok(DEFAULT_MAX_QUEUE_SIZE),
        Some(v) => v
            .as_integer()
            .and_then(|i| u64::try_from(i).ok())
            .filter(|i| *i > 0)
            .ok_or(Error::BadFile {
                path,
                problem: "[sync] max_queue_size is not a positive integer".into(),
            }),
    }
}

/// One queued event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedEvent {
    /// The row id.
    pub id: i64,
    /// The event id.
    pub event_id: String,
    /// The event type.
    pub event_type: String,
    /// The envelope JSON, as stored (by either CLI).
    pub data: String,
    /// Enqueue time, Unix seconds.
    pub timestamp: i64,
}

/// A place in queue order: enqueue time, then row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct QueuePosition {
    /// Enqueue time, Unix seconds.
    pub timestamp: i64,
    /// The row id.
    pub id: i64,
}

impl QueuedEvent {
    /// Where this event stands in queue order.
    #[must_use]
    pub fn position(&self) -> QueuePosition {
        QueuePosition {
            timestamp: self.timestamp,
            id: self.id,
        }
    }
}

/// An event the server rejected for good, kept out of the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedEvent {
    /// The event id.
    pub event_id: String,
    /// The event type.
    pub event_type: String,
    /// When it was first queued, Unix seconds.
    pub queued_at: i64,
    /// When it failed (ISO 8601).
    pub failed_at: String,
    /// The server's error category.
    pub category: String,
    /// The server's reason.
    pub reason: String,
}

/// Whether an enqueue added a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    /// A new row.
    Added,
    /// The event id is already queued (or failed): nothing changed.
    AlreadyQueued,
}

/// The budget of one batch: at most `max_events` events and `max_bytes` of JSON (each
/// event's length plus a separator), but always the first event, however large: one
/// event larger than the budget goes alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchBudget {
    max_events: usize,
    max_bytes: usize,
    events: usize,
    bytes: usize,
}

impl BatchBudget {
    /// An empty batch with these limits.
    #[must_use]
    pub fn new(max_events: usize, max_bytes: usize) -> Self {
        BatchBudget {
            max_events,
            max_bytes,
            events: 0,
            bytes: 0,
        }
    }

    /// Counts `event` in when it fits; false, counting nothing, when it does not.
    pub fn admit(&mut self, event: &QueuedEvent) -> bool {
        let size = event.data.len() + 1;
        if self.events == self.max_events || (self.events > 0 && self.bytes + size > self.max_bytes)
        {
            return false;
        }
        self.events += 1;
        self.bytes += size;
        true
    }

    /// Whether another event could still fit.
    #[must_use]
    pub fn has_room(&self) -> bool {
        self.events < self.max_events && self.bytes < self.max_bytes
    }

    /// How many more events the count allows.
    #[must_use]
    pub fn events_left(&self) -> usize {
        self.max_events.saturating_sub(self.events)
    }
}

/// Rows read so far for one batch, within its budget.
struct Batch {
    out: Vec<QueuedEvent>,
    budget: BatchBudget,
}

/// An open queue file.
#[derive(Debug)]
pub struct EventQueue {
    conn: Connection,
    path: PathBuf,
    max: u64,
}

fn now_secs() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Inserts `rows` (`INSERT OR IGNORE`: an id another writer queued meanwhile stays as it
/// is) when they fit under `max` rows; `None` when they would not (nothing inserted).
fn insert_within_cap(
    tx: &rusqlite::Transaction<'_>,
    rows: &[(&str, &str, &str)],
    max: u64,
    now: i64,
) -> rusqlite::Result<Option<u64>> {
    let count: i64 = tx.query_row("SELECT COUNT(*) FROM queue", [], |r| r.get(0))?;
    let after = u64::try_from(count)
        .unwrap_or(u64::MAX)
        .saturating_add(rows.len() as u64);
    if !rows.is_empty() && after > max {
        return Ok(None);
    }
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO queue(event_id, event_type, data, timestamp, coalesce_key) VALUES(?1, ?2, ?3, ?4, NULL)",
    )?;
    let mut n = 0u64;
    for (event_id, event_type, data) in rows {
        n += insert.execute(params![event_id, event_type, data, now])? as u64;
    }
    Ok(Some(n))
}

impl EventQueue {
    /// Opens (creating it and its directory when missing) the queue at `path`, refusing
    /// new events beyond `max` queued ones.
    ///
    /// # Errors
    ///
    /// The file cannot be opened or is not a queue database (left untouched).
    pub fn open(path: &Path, max: u64) -> Result<Self, Error> {
        not_a_file(path)?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io("creating", dir))?;
        }
        let conn = Connection::open(path).map_err(|e| Error::Queue {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let q = EventQueue {
            conn,
            path: path.to_path_buf(),
            max,
        };
        q.conn
            .busy_timeout(Duration::from_secs(10))
            .map_err(|e| q.err(&e))?;
        q.conn.execute_batch(SCHEMA).map_err(|e| q.err(&e))?;
        // Queues from old Python versions lack coalesce_key.
        let has_coalesce: bool = q
            .conn
            .prepare("SELECT 1 FROM pragma_table_info('queue') WHERE name = 'coalesce_key'")
            .and_then(|mut s| s.exists([]))
            .map_err(|e| q.err(&e))?;
        if !has_coalesce {
            q.conn
                .execute_batch("ALTER TABLE queue ADD COLUMN coalesce_key TEXT")
                .map_err(|e| q.err(&e))?;
        }
        // The Python CLI's third index, made once the column exists (as it does).
        q.conn
            .execute_batch("CREATE INDEX IF NOT EXISTS idx_coalesce_key ON queue(coalesce_key)")
            .map_err(|e| q.err(&e))?;
        Ok(q)
    }

    /// Opens an existing queue file read-only: no schema or index is added, as
    /// [`EventQueue::open`] would, and nothing can be written through it (reads:
    /// [`pending`](Self::pending), [`next_batch_after`](Self::next_batch_after) and the
    /// like).
    ///
    /// # Errors
    ///
    /// The file cannot be opened read-only.
    pub fn open_read_only(path: &Path) -> Result<Self, Error> {
        not_a_file(path)?;
        let err = |e: rusqlite::Error| Error::Queue {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        // A connection is used by one thread at a time (the type is `Send`, not `Sync`):
        // SQLite's per-call mutex is not needed.
        let conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(err)?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(err)?;
        Ok(EventQueue {
            conn,
            path: path.to_path_buf(),
            max: 0,
        })
    }

    fn err(&self, e: &rusqlite::Error) -> Error {
        Error::Queue {
            path: self.path.clone(),
            message: e.to_string(),
        }
    }

    /// For an uploader: deleting a delivered row need not wait for the disk (`synchronous =
    /// NORMAL` in WAL mode). A crash can at worst bring back rows already delivered, which
    /// the server then answers `duplicate`; it can never lose one. Emitters keep the full
    /// sync, so an event they queued survives a power loss.
    ///
    /// # Errors
    ///
    /// A database error.
    pub fn relax_durability_for_deletes(&self) -> Result<(), Error> {
        self.conn
            .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
            .map_err(|e| self.err(&e))
    }

    /// Puts the file back in the rollback-journal mode the Python CLI leaves it in, once an
    /// upload is done with WAL: a file at rest in WAL mode makes every later reader create
    /// `-wal`/`-shm` files beside it, which a read-only home refuses. Best effort: another
    /// connection still open keeps WAL, and nothing is lost either way.
    pub fn restore_rollback_journal(&self) {
        let _ = self
            .conn
            .query_row("PRAGMA journal_mode = DELETE", [], |r| {
                r.get::<_, String>(0)
            });
    }

    /// Runs `f` in one IMMEDIATE transaction, committed only when `f` returns `Ok`.
    fn write<T>(
        &mut self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, Error> {
        let path = self.path.clone();
        let qerr = |e: rusqlite::Error| Error::Queue {
            path: path.clone(),
            message: e.to_string(),
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(qerr)?;
        let out = f(&tx).map_err(qerr)?;
        tx.commit().map_err(qerr)?;
        Ok(out)
    }

    /// The queue file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Queues an event's JSON. An `event_id` already queued or failed is a no-op (never a
    /// reorder); a full queue refuses the event.
    ///
    /// # Errors
    ///
    /// [`Error::QueueFull`], or a database error.
    pub fn enqueue(
        &mut self,
        event_id: &str,
        event_type: &str,
        data: &str,
    ) -> Result<Enqueued, Error> {
        Ok(match self.enqueue_many([(event_id, event_type, data)])? {
            0 => Enqueued::AlreadyQueued,
            _ => Enqueued::Added,
        })
    }

    /// Queues many events' JSON in one transaction: all of them or, when they would take
    /// the queue past its cap, none (an error). An `event_id` already queued or failed,
    /// or repeated in `events`, is skipped. Returns how many rows were added.
    ///
    /// # Errors
    ///
    /// [`Error::QueueFull`], or a database error (nothing is queued).
    pub fn enqueue_many<'a>(
        &mut self,
        events: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
    ) -> Result<u64, Error> {
        let max = self.max;
        let now = now_secs();
        let events: Vec<(&str, &str, &str)> = events.into_iter().collect();
        let added = self.write(|tx| {
            let mut known = tx.prepare_cached(
                "SELECT 1 FROM queue WHERE event_id = ?1 UNION ALL SELECT 1 FROM spec_kitty_rs_failed WHERE event_id = ?1",
            )?;
            let mut seen = std::collections::HashSet::new();
            let mut new = Vec::new();
            for e in &events {
                if seen.insert(e.0) && !known.exists([e.0])? {
                    new.push(*e);
                }
            }
            insert_within_cap(tx, &new, max, now)
        });
        self.capped(added)
    }

    /// Queues events the caller has just checked are new ([`EventQueue::known_ids`]), in
    /// one transaction, all or none at the cap: an id that arrived in between (another
    /// writer) is left as it is (`INSERT OR IGNORE`). Returns how many rows were added.
    ///
    /// # Errors
    ///
    /// [`Error::QueueFull`] (nothing is queued), or a database error.
    pub fn enqueue_checked_many<'a>(
        &mut self,
        events: &[(&'a str, &'a str, &'a str)],
    ) -> Result<u64, Error> {
        let max = self.max;
        let now = now_secs();
        let added = self.write(|tx| insert_within_cap(tx, events, max, now));
        self.capped(added)
    }

    /// What an insert under the cap gives: the rows added, or [`Error::QueueFull`].
    fn capped(&self, added: Result<Option<u64>, Error>) -> Result<u64, Error> {
        match added {
            Ok(Some(n)) => Ok(n),
            Ok(None) => Err(Error::QueueFull {
                path: self.path.clone(),
                max: self.max,
            }),
            Err(e) => Err(e),
        }
    }

    /// Which of `ids` this queue already holds, waiting or failed.
    ///
    /// # Errors
    ///
    /// A database error.
    pub fn known_ids<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a str>,
    ) -> Result<std::collections::HashSet<String>, Error> {
        // One read transaction for every look-up: no file lock taken and dropped per id.
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(|e| self.err(&e))?;
        // A queue opened read-only may predate our failed table.
        let has_failed: bool = tx
            .query_row(
                "SELECT EXISTS(SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'spec_kitty_rs_failed')",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(&e))?;
        let mut known = std::collections::HashSet::new();
        {
            let mut stmt = tx
                .prepare_cached(if has_failed {
                    "SELECT 1 FROM queue WHERE event_id = ?1 UNION ALL SELECT 1 FROM spec_kitty_rs_failed WHERE event_id = ?1"
                } else {
                    "SELECT 1 FROM queue WHERE event_id = ?1"
                })
                .map_err(|e| self.err(&e))?;
            for id in ids {
                if stmt.exists([id]).map_err(|e| self.err(&e))? {
                    known.insert(id.to_owned());
                }
            }
        }
        tx.finish().map_err(|e| self.err(&e))?;
        Ok(known)
    }

    /// Events waiting.
    ///
    /// # Errors
    ///
    /// A database error.
    pub fn pending(&self) -> Result<u64, Error> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM queue", [], |r| r.get(0))
            .map_err(|e| self.err(&e))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The enqueue time of the oldest waiting event (a REAL or TEXT time another writer
    /// left is read as its integer value).
    ///
    /// # Errors
    ///
    /// A database error.
    pub fn oldest(&self) -> Result<Option<i64>, Error> {
        self.conn
            .query_row(
                "SELECT MIN(CAST(timestamp AS INTEGER)) FROM queue",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(&e))
    }

    /// Gives every row whose enqueue time is not an integer (REAL or TEXT, as another writer
    /// could leave it) its integer value, the form the Python CLI writes: queue order reads
    /// positions as integers, and a REAL time would be read again and again. The events
    /// themselves are not touched. Returns how many rows changed.
    ///
    /// # Errors
    ///
    /// A database error (nothing changes).
    pub fn normalize_times(&mut self) -> Result<u64, Error> {
        // Almost always there is none: ask the (small, covering) time index first rather
        // than reading every row of the table.
        let any = self
            .conn
            .query_row(
                "SELECT EXISTS(SELECT 1 FROM queue INDEXED BY idx_timestamp WHERE typeof(timestamp) != 'integer')",
                [],
                |r| r.get::<_, bool>(0),
            )
            .map_err(|e| self.err(&e))?;
        if !any {
            return Ok(0);
        }
        self.write(|tx| {
            Ok(tx.execute(
                "UPDATE queue SET timestamp = CAST(timestamp AS INTEGER) WHERE typeof(timestamp) != 'integer'",
                [],
            )? as u64)
        })
    }

    /// The next events in queue order (enqueue time, then row id), at most `max_events`
    /// and at most `max_bytes` of JSON, but always at least one when any is waiting.
    ///
    /// # Errors
    ///
    /// A database error.
    pub fn next_batch(
        &self,
        max_events: usize,
        max_bytes: usize,
    ) -> Result<Vec<QueuedEvent>, Error> {
        self.next_batch_after(None, max_events, max_bytes)
    }

    /// Like [`next_batch`](Self::next_batch), but only events after `after` in queue order
    /// (the [`QueuedEvent::position`] of the last event a pass read). An uploader that
    /// removes delivered rows later than it reads them walks the queue this way.
    ///
    /// # Errors
    ///
    /// A database error.
    pub fn next_batch_after(
        &self,
        after: Option<QueuePosition>,
        max_events: usize,
        max_bytes: usize,
    ) -> Result<Vec<QueuedEvent>, Error> {
        let limit = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        let mut batch = Batch {
            out: Vec::new(),
            budget: BatchBudget::new(max_events, max_bytes),
        };
        let Some(after) = after else {
            self.fill(
                &mut batch,
                "SELECT id, event_id, event_type, data, timestamp FROM queue
                 ORDER BY timestamp ASC, id ASC LIMIT ?1",
                params![limit(max_events)],
            )?;
            return Ok(batch.out);
        };
        // Two index range scans rather than `(timestamp, id) > (?, ?)`, which SQLite runs
        // as `timestamp >= ?` and then skips every row of that second already read: many
        // events share an enqueue second, and a drain became quadratic in them.
        let full = self.fill(
            &mut batch,
            "SELECT id, event_id, event_type, data, timestamp FROM queue
             WHERE timestamp = ?1 AND id > ?2 ORDER BY id ASC LIMIT ?3",
            params![after.timestamp, after.id, limit(max_events)],
        )?;
        if !full && batch.budget.events_left() > 0 {
            let left = batch.budget.events_left();
            self.fill(
                &mut batch,
                "SELECT id, event_id, event_type, data, timestamp FROM queue
                 WHERE timestamp > ?1 ORDER BY timestamp ASC, id ASC LIMIT ?2",
                params![after.timestamp, limit(left)],
            )?;
        }
        Ok(batch.out)
    }

    /// Adds the rows of `sql` to `batch` until its budget is reached; true when it was.
    fn fill(
        &self,
        batch: &mut Batch,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<bool, Error> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| self.err(&e))?;
        // Read leniently: a row another writer left with a BLOB, a number or invalid UTF-8
        // where text belongs comes back with empty `data`, so the uploader fails it with a
        // reason instead of one unreadable row stopping every event behind it.
        let rows = stmt
            .query_map(params, |r| {
                Ok(QueuedEvent {
                    id: r.get(0)?,
                    event_id: lenient_text(r.get_ref(1)?).unwrap_or_default(),
                    event_type: lenient_text(r.get_ref(2)?).unwrap_or_default(),
                    data: lenient_text(r.get_ref(3)?).unwrap_or_default(),
                    timestamp: lenient_int(r.get_ref(4)?),
                })
            })
            .map_err(|e| self.err(&e))?;
        for row in rows {
            let row = row.map_err(|e| self.err(&e))?;
            if !batch.budget.admit(&row) {
                return Ok(true);
            }
            batch.out.push(row);
        }
        Ok(false)
    }

    /// Removes delivered events (success or duplicate) by row id, in one transaction.
    /// When they are every row the queue holds (the usual end of a drain), the table is
    /// emptied in one step, which costs a few milliseconds where deleting 100,000 rows one
    /// by one through the table and its four indexes costs a third of a second.
    ///
    /// # Errors
    ///
    /// A database error (nothing is removed).
    pub fn remove(&mut self, ids: &[i64]) -> Result<u64, Error> {
        if ids.is_empty() {
            return Ok(0);
        }
        // One statement for the whole list (a JSON array of row ids): far cheaper than a
        // statement per row.
        let list = serde_json::to_string(ids).map_err(|e| Error::Queue {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        let mut listed = ids.to_vec();
        listed.sort_unstable();
        self.write(|tx| {
            // Is every row listed? Row ids come from the smallest index, not the table, and
            // the scan stops at the first row that is not listed. Inside this IMMEDIATE
            // transaction no other writer can add a row before the delete.
            let mut every = true;
            {
                let mut stmt = tx.prepare_cached("SELECT id FROM queue")?;
                let mut rows = stmt.query([])?;
                while let Some(row) = rows.next()? {
                    if listed.binary_search(&row.get::<_, i64>(0)?).is_err() {
                        every = false;
                        break;
                    }
                }
            }
            let n = if every {
                tx.execute("DELETE FROM queue", [])?
            } else {
                tx.prepare_cached(
                    "DELETE FROM queue WHERE id IN (SELECT value FROM json_each(?1))",
                )?
                .execute([&list])?
            };
            Ok(n as u64)
        })
    }

    /// Moves events the server rejected for good out of the queue, with the reason and
    /// the server's category.
    ///
    /// # Errors
    ///
    /// A database error (nothing is moved).
    pub fn fail(&mut self, failures: &[(i64, String, String)]) -> Result<u64, Error> {
        let failed_at = spec_kitty_home::now_isoformat();
        self.write(|tx| {
            let mut copy = tx.prepare_cached(
                "INSERT OR REPLACE INTO spec_kitty_rs_failed(event_id, event_type, data, queued_at, failed_at, category, reason)
                 SELECT event_id, event_type, data, timestamp, ?2, ?3, ?4 FROM queue WHERE id = ?1",
            )?;
            let mut del = tx.prepare_cached("DELETE FROM queue WHERE id = ?1")?;
            let mut n = 0;
            for (id, category, reason) in failures {
                copy.execute(params![id, failed_at, category, reason])?;
                n += del.execute([id])? as u64;
            }
            Ok(n)
        })
    }

    /// The failed events, oldest failure first.
    ///
    /// # Errors
    ///
    /// A database error.
    pub fn failed(&self) -> Result<Vec<FailedEvent>, Error> {
        // A queue only the Python CLI has written has no such table (and a read-only
        // connection does not add it).
        let has_table = self
            .conn
            .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'spec_kitty_rs_failed'")
            .and_then(|mut s| s.exists([]))
            .map_err(|e| self.err(&e))?;
        if !has_table {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare(
                "SELECT event_id, event_type, queued_at, failed_at, category, reason FROM spec_kitty_rs_failed ORDER BY failed_at, event_id",
            )
            .map_err(|e| self.err(&e))?;
        let rows = stmt
            .query_map([], |r| {
                let text = |i: usize| -> rusqlite::Result<String> {
                    Ok(lenient_text(r.get_ref(i)?).unwrap_or_else(|| "<unreadable>".to_owned()))
                };
                Ok(FailedEvent {
                    event_id: text(0)?,
                    event_type: text(1)?,
                    queued_at: lenient_int(r.get_ref(2)?),
                    failed_at: text(3)?,
                    category: text(4)?,
                    reason: text(5)?,
                })
            })
            .map_err(|e| self.err(&e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(&e))
    }

    /// Puts failed events back in the queue at their original place (`None`: all).
    ///
    /// # Errors
    ///
    /// A database error (nothing moves).
    pub fn requeue(&mut self, event_ids: Option<&[String]>) -> Result<u64, Error> {
        self.move_failed(event_ids, true)
    }

    /// Deletes failed events for good (`None`: all).
    ///
    /// # Errors
    ///
    /// A database error (nothing is deleted).
    pub fn drop_failed(&mut self, event_ids: Option<&[String]>) -> Result<u64, Error> {
        self.move_failed(event_ids, false)
    }

    fn move_failed(&mut self, event_ids: Option<&[String]>, back: bool) -> Result<u64, Error> {
        let (max, path) = (self.max, self.path.clone());
        let full = std::cell::Cell::new(false);
        let moved = self.write(|tx| {
            let ids: Vec<String> = match event_ids {
                Some(ids) => ids.to_vec(),
                None => tx
                    .prepare("SELECT event_id FROM spec_kitty_rs_failed")?
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?,
            };
            let mut n = 0;
            for id in &ids {
                if back {
                    let row: Option<(rusqlite::types::Value, rusqlite::types::Value, i64)> = tx
                        .query_row(
                            "SELECT event_type, data, CAST(queued_at AS INTEGER) FROM spec_kitty_rs_failed WHERE event_id = ?1",
                            [id],
                            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                        )
                        .optional()?;
                    if let Some((t, data, at)) = row {
                        tx.execute(
                            "INSERT OR IGNORE INTO queue(event_id, event_type, data, timestamp, coalesce_key) VALUES(?1, ?2, ?3, ?4, NULL)",
                            params![id, t, data, at],
                        )?;
                    }
                }
                n += tx.execute("DELETE FROM spec_kitty_rs_failed WHERE event_id = ?1", [id])? as u64;
            }
            // Requeued events count against the cap like new ones: past it, nothing moves.
            let pending: i64 = tx.query_row("SELECT COUNT(*) FROM queue", [], |r| r.get(0))?;
            if back && u64::try_from(pending).unwrap_or(0) > max {
                full.set(true);
                return Err(rusqlite::Error::QueryReturnedNoRows);
            }
            Ok(n)
        });
        if full.get() {
            return Err(Error::QueueFull { path, max });
        }
        moved
    }
}
