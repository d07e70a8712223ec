//! The routing table and the derivation of a binding's routing.

use crate::credentials::{CredentialLookup, CredentialRef};
use crate::provider::{Provider, normalize_provider};
use crate::text::trim;
use crate::wire::ResourceType;

/// One row of the routing table: which credential of which provider names which resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoutingRule {
    /// The provider this row applies to.
    pub provider: Provider,
    /// The `external_resource_type` it produces.
    pub resource_type: ResourceType,
    /// The credential whose value becomes `external_resource_id`.
    pub credential_key: &'static str,
}

/// The routing table. A provider not listed here publishes with null routing.
///
/// Adding a provider is one row here plus one [`ResourceType`] variant.
pub const ROUTING_TABLE: &[RoutingRule] = &[
    RoutingRule {
        provider: Provider::Jira,
        resource_type: ResourceType::JiraProject,
        credential_key: "project_key",
    },
    RoutingRule {
        provider: Provider::Linear,
        resource_type: ResourceType::LinearTeam,
        credential_key: "team_id",
    },
];

/// The routing rule for a provider name (normalized first), if it routes at all.
///
/// ```
/// let rule = routing_core::routing_rule("Linear").unwrap();
/// assert_eq!(rule.credential_key, "team_id");
/// assert!(routing_core::routing_rule("gitlab").is_none());
/// ```
#[must_use]
pub fn routing_rule(provider: &str) -> Option<&'static RoutingRule> {
    let provider = Provider::parse(&normalize_provider(provider))?;
    ROUTING_TABLE.iter().find(|rule| rule.provider == provider)
}

/// A derived routing: the resource type and a non-blank, trimmed resource id.
///
/// Holding both in one value is what makes "both fields or neither" a type-level fact: the
/// absence of routing is `Option::<Routing>::None`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Routing {
    #[cfg_attr(feature = "serde", serde(rename = "external_resource_type"))]
    resource_type: ResourceType,
    #[cfg_attr(feature = "serde", serde(rename = "external_resource_id"))]
    resource_id: String,
}

impl Routing {
    /// Builds a routing from a resource type and an id, trimming the id. `None` if the id is
    /// blank (empty or whitespace only).
    #[must_use]
    pub fn new(resource_type: ResourceType, resource_id: &str) -> Option<Routing> {
        let id = trim(resource_id);
        (!id.is_empty()).then(|| Routing {
            resource_type,
            resource_id: id.to_owned(),
        })
    }

    /// The resource type (`external_resource_type`).
    #[must_use]
    pub fn resource_type(&self) -> ResourceType {
        self.resource_type
    }

    /// The resource id (`external_resource_id`): trimmed, never empty.
    #[must_use]
    pub fn resource_id(&self) -> &str {
        &self.resource_id
    }

    /// Splits into the resource type and the owned id.
    #[must_use]
    pub fn into_parts(self) -> (ResourceType, String) {
        (self.resource_type, self.resource_id)
    }
}

/// Derives the routing of a binding from its provider and credentials.
///
/// Pure and total: it normalizes `provider` (so `"Jira"` and `" JIRA "` route like `"jira"`),
/// finds its [`RoutingRule`], reads that credential, and trims it. It returns `None` (both
/// wire fields null) when the provider is unsupported or has no rule, the key is missing, the
/// value is blank, or the value is neither a string nor an integer. It never panics.
#[must_use]
pub fn derive_routing<C: CredentialLookup + ?Sized>(
    provider: &str,
    credentials: &C,
) -> Option<Routing> {
    let rule = routing_rule(provider)?;
    match credentials.credential(rule.credential_key)? {
        CredentialRef::Str(s) => Routing::new(rule.resource_type, s),
        CredentialRef::Int(i) => Routing::new(rule.resource_type, &i.to_string()),
        CredentialRef::Other => None,
    }
}

/// The two wire fields `(external_resource_type, external_resource_id)` of an optional
/// routing: both `Some` or both `None`, never one without the other.
#[must_use]
pub fn wire_fields(routing: Option<&Routing>) -> (Option<&'static str>, Option<&str>) {
    match routing {
        Some(r) => (Some(r.resource_type.as_str()), Some(r.resource_id())),
        None => (None, None),
    }
}

/// Why a binding does not route ([`Readiness::Unavailable`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotReady {
    /// The provider has no routing rule: its snapshots always carry null routing.
    NoRule,
    /// The rule's credential is absent.
    MissingKey(&'static str),
    /// The rule's credential is empty or whitespace only.
    BlankKey(&'static str),
    /// The rule's credential is neither text nor an integer.
    NotText(&'static str),
}

impl NotReady {
    /// The credential the fix is about (`None` for [`NotReady::NoRule`]).
    #[must_use]
    pub fn credential_key(&self) -> Option<&'static str> {
        match self {
            NotReady::NoRule => None,
            NotReady::MissingKey(k) | NotReady::BlankKey(k) | NotReady::NotText(k) => Some(k),
        }
    }
}

impl std::fmt::Display for NotReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotReady::NoRule => f.write_str("the provider has no routing rule"),
            NotReady::MissingKey(k) => write!(f, "credential {k} missing"),
            NotReady::BlankKey(k) => write!(f, "credential {k} is blank"),
            NotReady::NotText(k) => write!(f, "credential {k} is neither text nor a number"),
        }
    }
}

/// Whether a binding's snapshots would carry routing, and if not, why: the one answer
/// that status, bind and publish render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// Snapshots carry this routing.
    Ready(Routing),
    /// Snapshots carry null routing, for this reason.
    Unavailable(NotReady),
}

/// The routing readiness of `(provider, credentials)`: [`derive_routing`] with the reason
/// when it gives `None`.
///
/// ```
/// use std::collections::BTreeMap;
/// use routing_core::{NotReady, Readiness, routing_readiness};
/// let empty: BTreeMap<String, String> = BTreeMap::new();
/// assert_eq!(routing_readiness("jira", &empty), Readiness::Unavailable(NotReady::MissingKey("project_key")));
/// assert_eq!(routing_readiness("github", &empty), Readiness::Unavailable(NotReady::NoRule));
/// ```
#[must_use]
pub fn routing_readiness<C: CredentialLookup + ?Sized>(
    provider: &str,
    credentials: &C,
) -> Readiness {
    let Some(rule) = routing_rule(provider) else {
        return Readiness::Unavailable(NotReady::NoRule);
    };
    let key = rule.credential_key;
    match credentials.credential(key) {
        None => Readiness::Unavailable(NotReady::MissingKey(key)),
        Some(CredentialRef::Other) => Readiness::Unavailable(NotReady::NotText(key)),
        Some(CredentialRef::Str(s)) => Routing::new(rule.resource_type, s).map_or(
            Readiness::Unavailable(NotReady::BlankKey(key)),
            Readiness::Ready,
        ),
        Some(CredentialRef::Int(i)) => Routing::new(rule.resource_type, &i.to_string()).map_or(
            Readiness::Unavailable(NotReady::BlankKey(key)),
            Readiness::Ready,
        ),
    }
}
