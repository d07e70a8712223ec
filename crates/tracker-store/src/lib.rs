//! The SQLite issue cache of spec-kitty's tracker integration, in the Python
//! `spec-kitty-cli` 2.1.x schema so either CLI reads the other's cache.
//!
//! # What this crate owns
//!
//! - [`IssueCache`]: `~/.spec-kitty/trackers/<scope>.db` ([`cache_scope`],
//!   [`binding_cache_path`]), one module per table: the issues and the per-page pull
//!   write, the checkpoints, the work-package mappings.
//! - The issue vocabulary: [`CanonicalIssue`], [`IssueStatus`], [`IssueType`].
//! - Feature `bench`: `sample_issue`, the one issue every publish benchmark caches.
//!
//! Everything else spec-kitty keeps on disk (config, credentials, the binding, locks,
//! atomic writes, times) is `spec-kitty-home`'s.
//!
//! # What it must never do
//!
//! Lose or silently rewrite a cached row; reset a cache it cannot read; print; read the
//! environment; name a command or a flag in an error.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod cache;
mod canonical;
mod error;
#[cfg(feature = "bench")]
mod sample;

pub use cache::{
    BUSY_TIMEOUT, CanonicalIssue, Checkpoint, IssueCache, IssueRef, IssueRow, Mapping, PageCounts,
    cache_path, cache_scope, checkpoint_key,
};
pub use canonical::{IssueStatus, IssueType};
pub use error::{HomeError, Result, StoreError};
#[cfg(feature = "bench")]
pub use sample::sample_issue;

use routing_core::CredentialValue;
use spec_kitty_home::{Binding, Credentials, SpecKittyHome};

/// The cache scope of a binding from its provider, workspace and credentials, with the
/// Python CLI's credential fallbacks (`routing_core::SCOPE_*_KEYS`, see [`cache_scope`]).
#[must_use]
pub fn binding_scope(provider: &str, workspace: &str, credentials: &Credentials) -> String {
    let text = |keys: &[&str]| -> Option<String> {
        keys.iter().find_map(|k| match credentials.get(*k) {
            Some(CredentialValue::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(CredentialValue::Integer(i)) => Some(i.to_string()),
            _ => None,
        })
    };
    cache_scope(
        provider,
        workspace,
        text(&routing_core::SCOPE_SERVER_KEYS).as_deref(),
        text(&routing_core::SCOPE_USER_KEYS).as_deref(),
        text(&routing_core::SCOPE_TEAM_KEYS).as_deref(),
    )
}

/// The cache file of a binding: scoped by the provider as stored in the config (the
/// Python CLI keys its cache by the stored spelling), the workspace and the credentials.
#[must_use]
pub fn binding_cache_path(home: &SpecKittyHome, binding: &Binding) -> std::path::PathBuf {
    cache_path(
        home,
        &binding_scope(
            binding.stored_provider(),
            &binding.workspace,
            &binding.credentials,
        ),
    )
}
