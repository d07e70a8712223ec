//! `tracker_mappings`: work package <-> external issue.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::{IssueCache, IssueRef};
use crate::error::{Result, StoreError};

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

impl IssueCache {
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
