//! The spec-kitty Git event envelope and the batch-events API: a frozen cross-team contract.
//!
//! # What this crate owns
//!
//! - [`Envelope`]: the 15-field envelope, in wire order, nullable fields always present.
//!   Parsing ([`Envelope::from_value`]) is strict about shape and names the offending key.
//! - The contract's rules ([`Envelope::validate`]): ULIDs, aggregate types, ISO 8601
//!   timestamps, UUID v4, commit SHAs, repo slugs, and the payload rules of the 12 event
//!   types ([`EventType`], [`PAYLOAD_RULES`]). Every failure is a [`ValidationError`] naming
//!   field and rule.
//! - The batch API types ([`BatchRequest`], [`BatchResponse`], [`Http400Body`]) and error
//!   categorization ([`categorize`]).
//! - [`EnvelopeBuilder`]: emitters build envelopes from resolved context with injectable
//!   ids and clock, and can only get a valid envelope out.
//!
//! # What it must never do
//!
//! No IO, no network, no clock or randomness of its own. It must never add, remove, rename,
//! reorder or retype an envelope field (spec FR-009, C-002): the golden schema test in
//! `tests/golden/` fails on any such change, and the batch fixtures in `fixtures/batch/` must
//! keep passing unmodified (FR-010).
//!
//! ```
//! use event_envelope::{Envelope, EventType};
//!
//! let doc = serde_json::json!({
//!     "event_id": "01JMBY7K8N3QRVX2DPFG5HWT4E", "event_type": "WPStatusChanged",
//!     "aggregate_id": "WP01", "aggregate_type": "WorkPackage",
//!     "payload": {"wp_id": "WP01", "from_lane": "planned", "to_lane": "in_progress"},
//!     "timestamp": "2026-02-12T10:00:00+00:00", "node_id": "a1b2c3d4e5f6",
//!     "lamport_clock": 1, "causation_id": null, "team_slug": "acme",
//!     "project_uuid": null, "project_slug": null, "git_branch": null,
//!     "head_commit_sha": null, "repo_slug": null
//! });
//! let envelope = Envelope::from_value(&doc)?;
//! envelope.validate()?;
//! assert_eq!(envelope.known_event_type(), Some(EventType::WPStatusChanged));
//! assert_eq!(envelope.to_value(), doc);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod batch;
mod builder;
mod envelope;
pub mod formats;
#[cfg(feature = "gzip")]
mod gzip;
mod receive;
mod rules;
mod sets;
mod stream;

pub use batch::{
    BATCH_PATH, BatchRequest, BatchRequestError, BatchResponse, DetailEntry, Details,
    ErrorCategory, EventResult, EventStatus, Failure, Http400Body, MAX_BATCH_EVENTS, categorize,
};
pub use builder::{
    Clock, EmitterContext, EnvelopeBuilder, GitMetadata, IdSource, aggregate_type_for,
    aggregate_type_of,
};
pub use envelope::{Envelope, FIELDS, FieldSpec, JsonType, ParseError};
#[cfg(feature = "gzip")]
#[cfg_attr(docsrs, doc(cfg(feature = "gzip")))]
pub use gzip::{GzipError, gunzip, is_gzip};
pub use receive::{EventError, EventOutcome, EventRejection, ReceivedBatch};
pub use rules::{
    AGGREGATE_TYPES, EventType, LANES, PAYLOAD_RULES, PayloadRules, Rule, UnknownEventType,
    ValidationError, ValidationErrors, validate_payload,
};
pub use sets::{
    AggregateType, ErrorType, HistoryEntryType, Lane, Phase, ResolutionType, UnknownWireValue,
};
pub use stream::BatchBodyError;

/// The README's examples, compiled and run as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
