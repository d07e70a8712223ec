//! A spec-kitty project's work-package history, read from the files the Python CLI 2.1.0
//! writes: `kitty-specs/<feature>/status.events.jsonl` (the lane log: one JSON object per
//! line, one lane transition each), `meta.json` and the `tasks/WP*.md` front matter.
//!
//! # What this crate owns
//!
//! - [`LaneRow`] and [`LogReader`]: the lane log, streamed line by line; a malformed line
//!   becomes a [`BadLine`] with its number and the rest reads on.
//! - [`reduce`]: each work package's current lane, as the Python CLI's status reducer
//!   computes it (duplicates dropped by `event_id`, ordered by `(at, event_id)`, the last
//!   transition wins, a reviewer's rollback beats a concurrent forward move).
//! - [`Feature`] and [`scan_features`]: the features of a project with their metadata,
//!   work packages and lane-log path; [`Feature::current_lanes`] falls back to the `lane:`
//!   front matter when a feature has no lane log.
//!
//! Used by the history import (events from the lane log) and the tracker push (each work
//! package's lane).
//!
//! # What it must never do
//!
//! Write any file; touch the network; print; read a whole lane log into memory when a
//! caller streams it; stop at one bad line.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod feature;
mod log;
mod reduce;

pub use feature::{
    FEATURES_DIR, Feature, FeatureMeta, LANE_LOG, LaneLogError, MAX_FILE, WorkPackage,
    scan_features,
};
pub use log::{BadLine, LaneRow, LogReader, MAX_LINE};
pub use reduce::{WpState, reduce};
