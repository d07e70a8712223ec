//! `tracker_issues`: the cached issues, their upserts and the pulled-page write.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Checkpoint, IssueCache, classify};
use crate::canonical::{IssueStatus, IssueType};
use crate::error::{Result, StoreError};

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

/// Inserts an issue row or replaces every column of the one with its identity.
const UPSERT_ISSUE: &str =
    "INSERT INTO tracker_issues(identity, system, workspace, issue_id, payload, updated_at)
     VALUES(?1, ?2, ?3, ?4, ?5, ?6)
     ON CONFLICT(identity) DO UPDATE SET
        system = excluded.system, workspace = excluded.workspace,
        issue_id = excluded.issue_id, payload = excluded.payload,
        updated_at = excluded.updated_at";

/// Each issue with its identity and stored payload, checked before anything is written.
fn payload_rows<'i, I>(issues: I) -> Result<Vec<(String, &'i CanonicalIssue, String)>>
where
    I: IntoIterator<Item = &'i CanonicalIssue>,
{
    issues
        .into_iter()
        .map(|issue| {
            let identity = issue.reference.identity()?;
            let payload =
                serde_json::to_string(issue).map_err(|e| StoreError::InvalidRef(e.to_string()))?;
            Ok((identity, issue, payload))
        })
        .collect()
}

impl IssueCache {
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
        let rows = payload_rows(issues)?;
        self.write(|tx| {
            let mut stmt = tx.prepare_cached(UPSERT_ISSUE)?;
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
        self.apply_pulled_page_in_scope(issues, now, checkpoint_key, checkpoint, None)
    }

    /// [`IssueCache::apply_pulled_page`], recording in the same transaction what the
    /// checkpoint was reached for ([`IssueCache::checkpoint_scope`]).
    ///
    /// # Errors
    ///
    /// As [`IssueCache::apply_pulled_page`].
    pub fn apply_pulled_page_in_scope(
        &mut self,
        issues: &[CanonicalIssue],
        now: &str,
        checkpoint_key: &str,
        checkpoint: &Checkpoint,
        scope: Option<&str>,
    ) -> Result<PageCounts> {
        let rows = payload_rows(issues)?;
        self.write(|tx| {
            let mut counts = PageCounts::default();
            let mut existing = tx.prepare_cached(
                "SELECT payload FROM tracker_issues WHERE identity = ?1",
            )?;
            let mut upsert = tx.prepare_cached(
                UPSERT_ISSUE,
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
            if let Some(scope) = scope {
                tx.execute(
                    "INSERT INTO spec_kitty_rs_checkpoint_scopes(checkpoint_key, scope) VALUES(?1, ?2)
                     ON CONFLICT(checkpoint_key) DO UPDATE SET scope = excluded.scope",
                    params![checkpoint_key, scope],
                )?;
            }
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

    /// When an issue of `system` was last written to the cache (`updated_at`, the local
    /// time a pull or a push stored it); `None` when none is cached.
    ///
    /// # Errors
    ///
    /// A SQLite error.
    pub fn last_written(&self, system: &str) -> Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT MAX(updated_at) FROM tracker_issues WHERE system = ?1",
                [system],
                |r| r.get(0),
            )
            .map_err(self.err())
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
}

impl IssueCache {
    /// The cached issue of `system` with the provider's id `issue_id`, whatever workspace
    /// its reference names (a Jira issue's is the site URL, a mapping's the binding's
    /// workspace).
    ///
    /// # Errors
    ///
    /// A SQLite error, or a stored payload that is not JSON.
    pub fn find_issue(&self, system: &str, issue_id: &str) -> Result<Option<IssueRow>> {
        let identity: Option<String> = self
            .conn
            .query_row(
                "SELECT identity FROM tracker_issues WHERE system = ?1 AND issue_id = ?2 ORDER BY identity LIMIT 1",
                params![system, issue_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.err())?;
        match identity {
            Some(id) => self.get_issue(&id),
            None => Ok(None),
        }
    }

    /// Records a status a push just wrote: the cached issue's `status` and `updated_at`
    /// in its payload, in one transaction (the next push sees `unchanged`, the next
    /// publish carries the new status). Whether the row exists.
    ///
    /// # Errors
    ///
    /// A SQLite error, or a stored payload that is not a JSON object.
    pub fn set_issue_status(
        &mut self,
        identity: &str,
        status: &IssueStatus,
        updated_at: &str,
        now: &str,
    ) -> Result<bool> {
        let path = self.path.clone();
        let status =
            serde_json::to_value(status).map_err(|e| StoreError::InvalidRef(e.to_string()))?;
        self.write(|tx| {
            let payload: Option<String> = tx
                .query_row(
                    "SELECT payload FROM tracker_issues WHERE identity = ?1",
                    [identity],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(payload) = payload else {
                return Ok(false);
            };
            let Ok(Value::Object(mut issue)) = serde_json::from_str::<Value>(&payload) else {
                return Err(rusqlite::Error::InvalidColumnType(
                    0,
                    format!("{} payload of {identity}", path.display()),
                    rusqlite::types::Type::Text,
                ));
            };
            issue.insert("status".into(), status.clone());
            issue.insert("updated_at".into(), Value::String(updated_at.to_owned()));
            let text = Value::Object(issue).to_string();
            tx.execute(
                "UPDATE tracker_issues SET payload = ?1, updated_at = ?2 WHERE identity = ?3",
                params![text, now, identity],
            )?;
            Ok(true)
        })
    }
}
