//! The SaaS side: validating the routing fields of a received snapshot and resolving the
//! routing key `(provider, workspace, external_resource_type, external_resource_id)`.

use std::collections::BTreeMap;
use std::fmt;

use crate::derive::{ROUTING_TABLE, Routing};
use crate::provider::normalize_provider;
use crate::text::{is_blank, trim};
use crate::wire::{ResourceType, UnknownResourceType};

/// Why the routing fields of a received snapshot (or a routing key) are invalid.
///
/// Each variant has a stable [`RoutingError::code`], the wire [`RoutingError::field`] it is
/// about and, where there is one, the offending [`RoutingError::value`]: enough to build an
/// HTTP error body without a table of one's own. New variants may be added in a minor
/// release (the enum is `#[non_exhaustive]`); a code never changes meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RoutingError {
    /// A routing field is absent: both must be present, `null` when unrouted (an omitted
    /// pair is not the same as an explicit `null` pair).
    MissingField(&'static str),
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
    /// `provider` is not in its normalized form (lower case, trimmed, `-` as `_`):
    /// [`RoutingKey::from_wire_parts`] refuses what [`RoutingKey::from_loose_parts`] would
    /// normalize.
    UnnormalizedProvider(String),
    /// `workspace` has leading or trailing whitespace.
    UntrimmedWorkspace(String),
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
            RoutingError::MissingField(field) => write!(
                f,
                "{field} is missing; send both routing fields, null when there is no routing"
            ),
            RoutingError::UnnormalizedProvider(p) => write!(
                f,
                "provider {p:?} is not normalized; send it as {:?}",
                normalize_provider(p)
            ),
            RoutingError::UntrimmedWorkspace(_) => f.write_str(
                "workspace has leading or trailing whitespace; send it trimmed",
            ),
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

impl RoutingError {
    /// A stable machine-readable code, e.g. `routing_partial` (see the table in the crate
    /// docs). Codes are never reused for another meaning.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            RoutingError::MissingField(_) => "routing_field_missing",
            RoutingError::Partial { .. } => "routing_partial",
            RoutingError::UnknownResourceType(_) => "unknown_resource_type",
            RoutingError::BlankResourceId => "blank_resource_id",
            RoutingError::UntrimmedResourceId => "untrimmed_resource_id",
            RoutingError::BlankProvider => "blank_provider",
            RoutingError::BlankWorkspace => "blank_workspace",
            RoutingError::UnnormalizedProvider(_) => "unnormalized_provider",
            RoutingError::UntrimmedWorkspace(_) => "untrimmed_workspace",
            RoutingError::ProviderMismatch { .. } => "resource_type_of_other_provider",
        }
    }

    /// The wire field the error is about.
    #[must_use]
    pub fn field(&self) -> &'static str {
        match self {
            RoutingError::MissingField(f) => f,
            RoutingError::Partial { missing, .. } => missing,
            RoutingError::UnknownResourceType(_) | RoutingError::ProviderMismatch { .. } => {
                "external_resource_type"
            }
            RoutingError::BlankResourceId | RoutingError::UntrimmedResourceId => {
                "external_resource_id"
            }
            RoutingError::BlankProvider | RoutingError::UnnormalizedProvider(_) => "provider",
            RoutingError::BlankWorkspace | RoutingError::UntrimmedWorkspace(_) => "workspace",
        }
    }

    /// The offending value as received, where the error has one.
    #[must_use]
    pub fn value(&self) -> Option<&str> {
        match self {
            RoutingError::UnknownResourceType(e) => Some(&e.value),
            RoutingError::UnnormalizedProvider(v) | RoutingError::UntrimmedWorkspace(v) => Some(v),
            RoutingError::ProviderMismatch { resource_type, .. } => Some(resource_type.as_str()),
            _ => None,
        }
    }
}

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
    /// Any [`RoutingError`] of [`SnapshotRouting::from_fields`] or
    /// [`RoutingKey::from_loose_parts`].
    pub fn new(
        provider: &str,
        workspace: &str,
        routing: Option<(&str, &str)>,
    ) -> Result<RoutingKey, RoutingError> {
        let routing = match routing {
            Some((ty, id)) => SnapshotRouting::from_fields(Some(ty), Some(id))?,
            None => SnapshotRouting::UNROUTED,
        };
        RoutingKey::from_loose_parts(provider, workspace, routing)
    }

    /// Builds a key from parts exactly as they travel on the wire: the provider must already
    /// be normalized (`"jira"`, not `" JIRA "`) and the workspace trimmed. This is what a
    /// receiver applies to a snapshot ([`crate::validate_snapshot`] does).
    ///
    /// # Errors
    ///
    /// [`RoutingError::UnnormalizedProvider`], [`RoutingError::UntrimmedWorkspace`], and
    /// every error of [`RoutingKey::from_loose_parts`].
    pub fn from_wire_parts(
        provider: &str,
        workspace: &str,
        routing: SnapshotRouting,
    ) -> Result<RoutingKey, RoutingError> {
        if !is_blank(provider) && normalize_provider(provider) != provider {
            return Err(RoutingError::UnnormalizedProvider(provider.to_owned()));
        }
        if !is_blank(workspace) && trim(workspace) != workspace {
            return Err(RoutingError::UntrimmedWorkspace(workspace.to_owned()));
        }
        RoutingKey::from_loose_parts(provider, workspace, routing)
    }

    /// Builds a key from loose parts, **normalizing** them: the provider is normalized
    /// (`" JIRA "` becomes `"jira"`) and the workspace trimmed. For keys a service writes
    /// itself (its own mappings, a configuration file); a received snapshot goes through
    /// [`RoutingKey::from_wire_parts`].
    ///
    /// # Errors
    ///
    /// [`RoutingError::BlankProvider`], [`RoutingError::BlankWorkspace`], or
    /// [`RoutingError::ProviderMismatch`] when the resource type belongs to another provider.
    pub fn from_loose_parts(
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

impl<V> FromIterator<(RoutingKey, V)> for RoutingTable<V> {
    fn from_iter<I: IntoIterator<Item = (RoutingKey, V)>>(iter: I) -> Self {
        RoutingTable {
            entries: iter.into_iter().collect(),
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
    use serde::Deserialize;

    use super::{RoutingError, RoutingKey, SnapshotRouting};

    /// A routing key as JSON: the four fields, routing both null or both set, in wire form
    /// (a provider that is not normalized is refused, as a received snapshot's is).
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
            RoutingKey::from_wire_parts(&raw.provider, &raw.workspace, routing)
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

    /// Present (`Some`, possibly `Some(None)` for `null`) or absent (`None`).
    fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(d).map(Some)
    }

    fn inner<S: serde::Serializer>(v: &Option<Option<String>>, s: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(&v.as_ref().and_then(Option::as_ref), s)
    }

    /// The two routing fields as they appear in a snapshot payload: both must be present,
    /// `null` or not (an omitted field is refused, as the contract's fixture
    /// `snapshot_routing_field_omitted` requires).
    #[derive(serde::Serialize, serde::Deserialize)]
    pub(super) struct RawRouting {
        #[serde(default, deserialize_with = "present", serialize_with = "inner")]
        external_resource_type: Option<Option<String>>,
        #[serde(default, deserialize_with = "present", serialize_with = "inner")]
        external_resource_id: Option<Option<String>>,
    }

    impl TryFrom<RawRouting> for SnapshotRouting {
        type Error = RoutingError;
        fn try_from(raw: RawRouting) -> Result<Self, Self::Error> {
            let ty = raw
                .external_resource_type
                .ok_or(RoutingError::MissingField("external_resource_type"))?;
            let id = raw
                .external_resource_id
                .ok_or(RoutingError::MissingField("external_resource_id"))?;
            SnapshotRouting::from_fields(ty.as_deref(), id.as_deref())
        }
    }

    impl From<SnapshotRouting> for RawRouting {
        fn from(r: SnapshotRouting) -> Self {
            match r.into_routing() {
                Some(r) => {
                    let (ty, id) = r.into_parts();
                    RawRouting {
                        external_resource_type: Some(Some(ty.as_str().to_owned())),
                        external_resource_id: Some(Some(id)),
                    }
                }
                None => RawRouting {
                    external_resource_type: Some(None),
                    external_resource_id: Some(None),
                },
            }
        }
    }

    /// `{code, field, message}` (and `value` when the error has one): an HTTP error body.
    impl serde::Serialize for RoutingError {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            crate::error_body::serialize(s, self.code(), Some(self.field()), self.value(), self)
        }
    }
}
