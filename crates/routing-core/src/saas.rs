//! The SaaS side: validating the routing fields of a received snapshot and resolving the
//! routing key `(provider, workspace, external_resource_type, external_resource_id)`.

use std::collections::BTreeMap;
use std::fmt;

use crate::derive::{ROUTING_TABLE, Routing};
use crate::provider::normalize_provider;
use crate::text::{is_blank, trim};
use crate::wire::{ResourceType, UnknownResourceType};

/// Why the routing fields of a received snapshot (or a routing key) are invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoutingError {
    /// One routing field is set and the other is null: they are atomic, both or neither.
    Partial {
        /// The field that is set.
        present: &'static str,
        /// The field that is null.
        missing: &'static str,
    },
    /// `external_resource_type` is not a canonical wire value.
    UnknownResourceType(UnknownResourceType),
    /// `external_resource_id` is empty or whitespace only.
    BlankResourceId,
    /// `external_resource_id` has leading or trailing whitespace (producers send it trimmed).
    UntrimmedResourceId,
    /// `provider` is empty or whitespace only.
    BlankProvider,
    /// `workspace` is empty or whitespace only.
    BlankWorkspace,
    /// The resource type does not belong to the provider (e.g. `linear` with `jira_project`).
    ProviderMismatch {
        /// The normalized provider.
        provider: String,
        /// The resource type received.
        resource_type: ResourceType,
    },
}

impl fmt::Display for RoutingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoutingError::Partial { present, missing } => write!(
                f,
                "{present} is set but {missing} is null; the routing fields must be both set or both null"
            ),
            RoutingError::UnknownResourceType(e) => e.fmt(f),
            RoutingError::BlankResourceId => {
                f.write_str("external_resource_id is blank; send a non-blank id or null for both routing fields")
            }
            RoutingError::UntrimmedResourceId => f.write_str(
                "external_resource_id has leading or trailing whitespace; send it trimmed",
            ),
            RoutingError::BlankProvider => f.write_str("provider is blank; send the provider name"),
            RoutingError::BlankWorkspace => {
                f.write_str("workspace is blank; send the bound workspace")
            }
            RoutingError::ProviderMismatch {
                provider,
                resource_type,
            } => write!(
                f,
                "external_resource_type {resource_type} does not belong to provider {provider:?}"
            ),
        }
    }
}

impl std::error::Error for RoutingError {}

impl From<UnknownResourceType> for RoutingError {
    fn from(e: UnknownResourceType) -> Self {
        RoutingError::UnknownResourceType(e)
    }
}

/// The validated routing fields of a received snapshot: routed, or explicitly unrouted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(try_from = "serde_impl::RawRouting", into = "serde_impl::RawRouting")
)]
pub struct SnapshotRouting(Option<Routing>);

impl SnapshotRouting {
    /// No routing: both fields null. The SaaS resolves by `(provider, workspace)` only.
    pub const UNROUTED: SnapshotRouting = SnapshotRouting(None);

    /// Validates the two wire fields as received: both null, or a canonical wire value and a
    /// non-blank, trimmed id.
    ///
    /// # Errors
    ///
    /// [`RoutingError::Partial`] when exactly one is null, [`RoutingError::UnknownResourceType`],
    /// [`RoutingError::BlankResourceId`] or [`RoutingError::UntrimmedResourceId`].
    pub fn from_fields(
        resource_type: Option<&str>,
        resource_id: Option<&str>,
    ) -> Result<SnapshotRouting, RoutingError> {
        match (resource_type, resource_id) {
            (None, None) => Ok(SnapshotRouting(None)),
            (Some(_), None) => Err(RoutingError::Partial {
                present: "external_resource_type",
                missing: "external_resource_id",
            }),
            (None, Some(_)) => Err(RoutingError::Partial {
                present: "external_resource_id",
                missing: "external_resource_type",
            }),
            (Some(ty), Some(id)) => {
                let ty: ResourceType = ty.parse()?;
                if is_blank(id) {
                    return Err(RoutingError::BlankResourceId);
                }
                if trim(id) != id {
                    return Err(RoutingError::UntrimmedResourceId);
                }
                Ok(SnapshotRouting(Routing::new(ty, id)))
            }
        }
    }

    /// The routing, if any.
    #[must_use]
    pub fn routing(&self) -> Option<&Routing> {
        self.0.as_ref()
    }

    /// Unwraps into the optional routing.
    #[must_use]
    pub fn into_routing(self) -> Option<Routing> {
        self.0
    }
}

impl From<Option<Routing>> for SnapshotRouting {
    fn from(routing: Option<Routing>) -> Self {
        SnapshotRouting(routing)
    }
}

/// The resource routing key the SaaS resolves:
/// `(provider, workspace, external_resource_type, external_resource_id)`.
///
/// The provider is normalized and the workspace trimmed; the routing part is optional as a
/// whole. Ordering and equality are on all four parts, so the key can index a map.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(try_from = "serde_impl::RawKey", into = "serde_impl::RawKey")
)]
pub struct RoutingKey {
    provider: String,
    workspace: String,
    routing: Option<Routing>,
}

impl RoutingKey {
    /// Builds a key from loose parts: `routing` is `(external_resource_type, external_resource_id)`
    /// or `None` for a workspace-level key.
    ///
    /// # Errors
    ///
    /// Any [`RoutingError`] of [`SnapshotRouting::from_fields`] or [`RoutingKey::from_snapshot`].
    pub fn new(
        provider: &str,
        workspace: &str,
        routing: Option<(&str, &str)>,
    ) -> Result<RoutingKey, RoutingError> {
        let routing = match routing {
            Some((ty, id)) => SnapshotRouting::from_fields(Some(ty), Some(id))?,
            None => SnapshotRouting::UNROUTED,
        };
        RoutingKey::from_snapshot(provider, workspace, routing)
    }

    /// Builds the key of a received snapshot from its `provider`, `workspace` and validated
    /// routing fields.
    ///
    /// # Errors
    ///
    /// [`RoutingError::BlankProvider`], [`RoutingError::BlankWorkspace`], or
    /// [`RoutingError::ProviderMismatch`] when the resource type belongs to another provider.
    pub fn from_snapshot(
        provider: &str,
        workspace: &str,
        routing: SnapshotRouting,
    ) -> Result<RoutingKey, RoutingError> {
        let provider = normalize_provider(provider);
        if provider.is_empty() {
            return Err(RoutingError::BlankProvider);
        }
        let workspace = trim(workspace);
        if workspace.is_empty() {
            return Err(RoutingError::BlankWorkspace);
        }
        if let Some(r) = routing.routing() {
            let belongs = ROUTING_TABLE.iter().any(|rule| {
                rule.resource_type == r.resource_type() && rule.provider.as_str() == provider
            });
            if !belongs {
                return Err(RoutingError::ProviderMismatch {
                    provider,
                    resource_type: r.resource_type(),
                });
            }
        }
        Ok(RoutingKey {
            provider,
            workspace: workspace.to_owned(),
            routing: routing.into_routing(),
        })
    }

    /// The normalized provider.
    #[must_use]
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// The trimmed workspace.
    #[must_use]
    pub fn workspace(&self) -> &str {
        &self.workspace
    }

    /// The routing part, if any.
    #[must_use]
    pub fn routing(&self) -> Option<&Routing> {
        self.routing.as_ref()
    }

    /// The same `(provider, workspace)` with no routing part: the fallback key.
    #[must_use]
    pub fn workspace_key(&self) -> RoutingKey {
        RoutingKey {
            provider: self.provider.clone(),
            workspace: self.workspace.clone(),
            routing: None,
        }
    }

    /// The keys to try, in the documented lookup order: the exact 4-tuple first, then the
    /// `(provider, workspace)` fallback. An unrouted key has only the fallback.
    ///
    /// A SaaS that keeps its mappings in a database queries these in order and takes the
    /// first hit; [`RoutingTable::resolve`] does the same in memory.
    #[must_use]
    pub fn lookup_order(&self) -> Vec<RoutingKey> {
        if self.routing.is_some() {
            vec![self.clone(), self.workspace_key()]
        } else {
            vec![self.clone()]
        }
    }
}

impl fmt::Display for RoutingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.routing {
            Some(r) => write!(
                f,
                "({}, {}, {}, {})",
                self.provider,
                self.workspace,
                r.resource_type(),
                r.resource_id()
            ),
            None => write!(f, "({}, {}, null, null)", self.provider, self.workspace),
        }
    }
}

/// How a key was resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution<'a, V> {
    /// The exact 4-tuple matched a resource mapping.
    Exact(&'a V),
    /// No exact mapping; the `(provider, workspace)` entry matched.
    WorkspaceFallback(&'a V),
}

impl<'a, V> Resolution<'a, V> {
    /// The resolved value, however it was found.
    #[must_use]
    pub fn value(&self) -> &'a V {
        match *self {
            Resolution::Exact(v) | Resolution::WorkspaceFallback(v) => v,
        }
    }

    /// Whether the exact 4-tuple matched.
    #[must_use]
    pub fn is_exact(&self) -> bool {
        matches!(self, Resolution::Exact(_))
    }
}

/// An in-memory table of routing keys, resolved in the documented lookup order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingTable<V> {
    entries: BTreeMap<RoutingKey, V>,
}

impl<V> Default for RoutingTable<V> {
    fn default() -> Self {
        RoutingTable {
            entries: BTreeMap::new(),
        }
    }
}

impl<V> RoutingTable<V> {
    /// An empty table.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Inserts or replaces the value of a key; returns the previous value.
    pub fn insert(&mut self, key: RoutingKey, value: V) -> Option<V> {
        self.entries.insert(key, value)
    }

    /// Number of entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Resolves a key: the exact 4-tuple, else the `(provider, workspace)` entry, else `None`.
    #[must_use]
    pub fn resolve(&self, key: &RoutingKey) -> Option<Resolution<'_, V>> {
        if key.routing.is_some() {
            if let Some(v) = self.entries.get(key) {
                return Some(Resolution::Exact(v));
            }
            return self
                .entries
                .get(&key.workspace_key())
                .map(Resolution::WorkspaceFallback);
        }
        // An unrouted key is itself the workspace-level key.
        self.entries.get(key).map(Resolution::WorkspaceFallback)
    }
}

#[cfg(feature = "serde")]
mod serde_impl {
    use super::{RoutingError, RoutingKey, SnapshotRouting};

    /// A routing key as JSON: the four fields, routing both null or both set.
    #[derive(serde::Serialize, serde::Deserialize)]
    pub(super) struct RawKey {
        provider: String,
        workspace: String,
        #[serde(flatten)]
        routing: RawRouting,
    }

    impl TryFrom<RawKey> for RoutingKey {
        type Error = RoutingError;
        fn try_from(raw: RawKey) -> Result<Self, Self::Error> {
            let routing = SnapshotRouting::try_from(raw.routing)?;
            RoutingKey::from_snapshot(&raw.provider, &raw.workspace, routing)
        }
    }

    impl From<RoutingKey> for RawKey {
        fn from(k: RoutingKey) -> Self {
            RawKey {
                provider: k.provider,
                workspace: k.workspace,
                routing: SnapshotRouting::from(k.routing).into(),
            }
        }
    }

    /// The two routing fields as they appear in a snapshot payload.
    #[derive(serde::Serialize, serde::Deserialize)]
    pub(super) struct RawRouting {
        external_resource_type: Option<String>,
        external_resource_id: Option<String>,
    }

    impl TryFrom<RawRouting> for SnapshotRouting {
        type Error = RoutingError;
        fn try_from(raw: RawRouting) -> Result<Self, Self::Error> {
            SnapshotRouting::from_fields(
                raw.external_resource_type.as_deref(),
                raw.external_resource_id.as_deref(),
            )
        }
    }

    impl From<SnapshotRouting> for RawRouting {
        fn from(r: SnapshotRouting) -> Self {
            match r.into_routing() {
                Some(r) => {
                    let (ty, id) = r.into_parts();
                    RawRouting {
                        external_resource_type: Some(ty.as_str().to_owned()),
                        external_resource_id: Some(id),
                    }
                }
                None => RawRouting {
                    external_resource_type: None,
                    external_resource_id: None,
                },
            }
        }
    }
}
