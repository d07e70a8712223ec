//! A local reference receiver of the spec-kitty wire contracts, bound to loopback.
//!
//! # What this crate owns
//!
//! - Re-exports [`validate_snapshot`] (`routing-core`'s, feature `json`): the snapshot
//!   payload contract as a receiver checks it.
//! - [`ContractServer`]: `POST /api/v1/connectors/trackers/snapshots/` (validates, resolves
//!   the routing key against the mappings given at start-up, remembers idempotency keys:
//!   same key and body replay the answer, same key with another body is 422) and
//!   `POST /api/v1/events/batch/` (validates events with `event-envelope`, answers
//!   per-event results, duplicates by `event_id`). Tests queue [`Fault`]s to make it fail.
//!
//!
//! Test and benchmark support, off by default so that a service built on this crate gets
//! the receiver alone (dev-dependencies turn them on):
//!
//! - feature `fakes`: a fake Jira Cloud and a fake Linear (`FakeJira`, `FakeLinear`) with
//!   their quirks, served beside the contract endpoints, for the connectors' tests and the
//!   demo;
//! - feature `bench`: `BatchSink`, a minimal batch receiver that answers `success` and
//!   checks nothing (timing an uploader alone), `sample_event`, the event the benchmarks
//!   queue, and `peak_rss_mib`, what they report;
//! - feature `mimalloc`: the `spec-kitty-contract-server` binary's allocator (a library
//!   never chooses one).
//!
//! # What it must never do
//!
//! Listen beyond loopback unless asked; reach out to any network; keep running after
//! [`ContractServer::shutdown`] or drop. It is a reference and test double, not the SaaS.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod auth;
#[cfg(feature = "fakes")]
mod fakes;
mod handlers;
mod server;
#[cfg(feature = "bench")]
mod sink;

pub use auth::{AuthConfig, REFRESH_PATH, TOKEN_PATH};
#[cfg(feature = "fakes")]
pub use fakes::{FakeJira, FakeLinear, JIRA_WORKFLOW, LINEAR_STATES};
pub use routing_core::{SNAPSHOT_FIELDS, SnapshotError, validate_snapshot};
pub use server::{BATCH_PATH, ContractServer, Fault, Received, SNAPSHOT_PATH, ServerConfig};
#[cfg(feature = "bench")]
pub use sink::{BatchSink, peak_rss_mib, sample_event};

/// Why a mappings file is refused.
#[derive(Debug, thiserror::Error)]
pub enum MappingsError {
    /// The text is not a JSON list.
    #[error("mappings are not a JSON list: {0}")]
    NotAList(serde_json::Error),
    /// One entry is not a routing key with a target.
    #[error("mapping {index}: {source}")]
    BadEntry {
        /// The entry's position in the list (0-based).
        index: usize,
        /// What is wrong with it.
        source: serde_json::Error,
    },
}

/// Parses a mappings file: a JSON list of routing keys with a `target` each, e.g.
/// `[{"provider": "jira", "workspace": "acme", "external_resource_type": "jira_project",
/// "external_resource_id": "ACME", "target": "mapping-42"}]`.
///
/// # Errors
///
/// [`MappingsError`], naming the entry that is not a valid routing key.
pub fn parse_mappings(text: &str) -> Result<routing_core::RoutingTable<String>, MappingsError> {
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(flatten)]
        key: routing_core::RoutingKey,
        target: String,
    }
    let entries: Vec<serde_json::Value> =
        serde_json::from_str(text).map_err(MappingsError::NotAList)?;
    let mut table = routing_core::RoutingTable::new();
    for (index, v) in entries.into_iter().enumerate() {
        let e: Entry = serde_json::from_value(v)
            .map_err(|source| MappingsError::BadEntry { index, source })?;
        table.insert(e.key, e.target);
    }
    Ok(table)
}
