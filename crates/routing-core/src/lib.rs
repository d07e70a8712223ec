//! Pure tracker resource routing for spec-kitty: the one place that decides which provider
//! resource a tracker snapshot belongs to.
//!
//! # What this crate owns
//!
//! - **Provider names**: [`normalize_provider`] and the supported set ([`Provider`],
//!   [`SUPPORTED_PROVIDERS`]).
//! - **Canonical wire values**: [`ResourceType`] (`"jira_project"`, `"linear_team"`).
//! - **Credential schemas** ([`credential_schema`]): per provider, the keys a pull needs,
//!   which keys are secret, where the SaaS token may be, and the cache-scope keys.
//! - **The routing table** ([`ROUTING_TABLE`]): provider -> (resource type, credential key).
//! - **Derivation** ([`derive_routing`]): the pure, total function of `(provider, credentials)`
//!   that the CLI uses to fill `external_resource_type` / `external_resource_id` in a snapshot.
//! - **The snapshot's wire constants** ([`SNAPSHOT_PATH`], [`SNAPSHOT_FIELDS`]), defined once
//!   for the sender and every receiver.
//! - **The SaaS side** ([`RoutingKey`], [`SnapshotRouting`], [`RoutingTable`]): validating the
//!   routing fields of a received snapshot and resolving them in the documented lookup order.
//!
//! # What it must never do
//!
//! No IO, no network, no clock, no global state, no panics. Every function here is a pure
//! function of its arguments. The default build depends on nothing but `std`; JSON support is
//! behind the optional `serde` feature.
//!
//! # Locked contract
//!
//! The strings `"jira_project"` and `"linear_team"` are locked canonical wire values (spec C-001,
//! NFR-002), not display labels. The SaaS stores them in its resource mappings. **Changing or
//! removing one needs a versioned migration agreed with the SaaS team**; adding a new variant
//! for a new provider is a compatible change. A test pins them.
//!
//! # CLI side: deriving the routing of a binding
//!
//! ```
//! use std::collections::BTreeMap;
//! use routing_core::{derive_routing, ResourceType};
//!
//! let mut credentials = BTreeMap::new();
//! credentials.insert("project_key".to_string(), " ACME ".to_string());
//! credentials.insert("api_token".to_string(), "secret".to_string());
//!
//! // The provider is normalized first, the value trimmed.
//! let routing = derive_routing(" Jira ", &credentials).expect("jira with a project_key routes");
//! assert_eq!(routing.resource_type(), ResourceType::JiraProject);
//! assert_eq!(routing.resource_id(), "ACME");
//! assert_eq!(routing.resource_type().as_str(), "jira_project");
//!
//! // Missing key, blank value or unsupported provider: no routing at all (both fields null).
//! assert!(derive_routing("linear", &credentials).is_none());
//! assert!(derive_routing("github", &credentials).is_none());
//!
//! // The two wire fields, both or neither:
//! let (ty, id) = routing_core::wire_fields(Some(&routing));
//! assert_eq!((ty, id), (Some("jira_project"), Some("ACME")));
//! assert_eq!(routing_core::wire_fields(None), (None, None));
//! ```
//!
//! # SaaS side: validating and resolving a received snapshot
//!
//! ```
//! use routing_core::{RoutingKey, RoutingTable, Resolution, SnapshotRouting};
//!
//! // Mappings the SaaS knows: one exact resource mapping, one workspace-level installation.
//! let mut table = RoutingTable::new();
//! table.insert(RoutingKey::new("jira", "acme.atlassian.net", Some(("jira_project", "ACME")))?, "mapping-42");
//! table.insert(RoutingKey::new("linear", "acme", None)?, "installation-7");
//!
//! // The routing fields of a received payload: both null or both valid.
//! let routing = SnapshotRouting::from_fields(Some("jira_project"), Some("ACME"))?;
//! let key = RoutingKey::from_wire_parts("jira", "acme.atlassian.net", routing)?;
//! assert_eq!(table.resolve(&key), Some(Resolution::Exact(&"mapping-42")));
//!
//! // A linear team with no exact mapping falls back to the (provider, workspace) entry.
//! let key = RoutingKey::new("linear", "acme", Some(("linear_team", "team-1")))?;
//! assert_eq!(table.resolve(&key), Some(Resolution::WorkspaceFallback(&"installation-7")));
//!
//! // One field without the other is refused with a typed error.
//! assert!(SnapshotRouting::from_fields(Some("jira_project"), None).is_err());
//! # Ok::<(), routing_core::RoutingError>(())
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod credentials;
mod derive;
mod error_body;
#[cfg(feature = "json")]
mod json;
mod provider;
mod saas;
mod schema;
mod snapshot;
mod text;
mod wire;

pub use credentials::{
    CredentialLookup, CredentialRef, CredentialValue, IntoCredentialRef, credential_text,
};
pub use derive::{
    NotReady, ROUTING_TABLE, Readiness, Routing, RoutingRule, derive_routing, routing_readiness,
    routing_rule, wire_fields,
};
#[cfg(feature = "json")]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
pub use json::{SnapshotError, validate_snapshot, validate_snapshot_slice};
pub use provider::{
    Provider, SUPPORTED_PROVIDERS, UnsupportedProvider, is_valid_provider_name, normalize_provider,
    suggest_provider,
};
pub use saas::{Resolution, RoutingError, RoutingKey, RoutingTable, SnapshotRouting};
pub use schema::{
    CREDENTIAL_SCHEMAS, CredentialSchema, SCOPE_SERVER_KEYS, SCOPE_TEAM_KEYS, SCOPE_USER_KEYS,
    credential_schema, is_secret_key,
};
pub use snapshot::{SNAPSHOT_FIELDS, SNAPSHOT_PATH};
pub use text::{is_blank, trim};
pub use wire::{ResourceType, UnknownResourceType};

/// The README's examples, compiled and run as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
