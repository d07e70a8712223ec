//! `tracker_checkpoints`: where the last pull got to.

use rusqlite::{OptionalExtension, params};

use super::IssueCache;
use crate::error::Result;

/// A sync checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Checkpoint {
    /// The provider's cursor.
    pub cursor: Option<String>,
    /// ISO 8601 as stored.
    pub updated_since: Option<String>,
}

/// The key of a binding's row in `tracker_checkpoints`: `<provider>:<workspace>` (the
/// provider normalized, as the Python CLI writes it).
#[must_use]
pub fn checkpoint_key(provider: &str, workspace: &str) -> String {
    format!("{provider}:{workspace}")
}

impl IssueCache {
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

    /// What a checkpoint was reached for (`ours`: the routing key and the service URL of
    /// the binding that pulled it, see `tracker_connectors::checkpoint_scope`); `None` when
    /// unknown (written by the Python CLI or an older version). A table of our own, which
    /// the Python CLI ignores.
    ///
    /// # Errors
    ///
    /// A SQLite error.
    pub fn checkpoint_scope(&self, key: &str) -> Result<Option<String>> {
        let table_exists: bool = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'spec_kitty_rs_checkpoint_scopes'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(self.err())?;
        if !table_exists {
            return Ok(None);
        }
        self.conn
            .query_row(
                "SELECT scope FROM spec_kitty_rs_checkpoint_scopes WHERE checkpoint_key = ?1",
                [key],
                |r| r.get(0),
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
}
