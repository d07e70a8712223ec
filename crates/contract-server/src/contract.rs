//! The snapshot payload contract as the receiving side checks it (see
//! `contracts/tracker-snapshot-publish.md`).
//!
//! This is the shape a SaaS handler copies: parse the JSON, call [`validate_snapshot`], then
//! resolve the returned [`RoutingKey`] with a `routing_core::RoutingTable`.

use routing_core::{RoutingError, RoutingKey, SnapshotRouting};
use serde_json::{Map, Value};

pub use routing_core::SNAPSHOT_FIELDS;

/// Why a received snapshot payload is refused. Each variant carries the offending key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    /// The payload is not a JSON object.
    #[error("a snapshot payload must be a JSON object")]
    NotAnObject,
    /// A required key is absent.
    #[error("missing snapshot field `{0}`")]
    MissingField(&'static str),
    /// A key the contract does not have.
    #[error("unknown snapshot field `{0}`")]
    UnknownField(String),
    /// `provider` or `workspace` is not a string.
    #[error("snapshot field `{0}` must be a string")]
    NotAString(&'static str),
    /// `provider` is not a normalized provider name (`^[a-z0-9_-]+$`).
    #[error("snapshot field `provider` must match ^[a-z0-9_-]+$, got {0:?}")]
    BadProvider(String),
    /// A routing field is neither a string nor null.
    #[error("snapshot field `{0}` must be a string or null")]
    NotAStringOrNull(&'static str),
    /// `issues`, `mappings`, `checkpoint` or `doctrine_field_owners` has the wrong type.
    #[error("snapshot field `{0}` has the wrong type")]
    WrongType(&'static str),
    /// The routing fields or the routing key are invalid (`routing-core`'s reason).
    #[error(transparent)]
    Routing(#[from] RoutingError),
}

fn nullable_str<'a>(
    obj: &'a Map<String, Value>,
    key: &'static str,
) -> Result<Option<&'a str>, SnapshotError> {
    match obj.get(key) {
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Null) | None => Ok(None),
        Some(_) => Err(SnapshotError::NotAStringOrNull(key)),
    }
}

/// Checks a snapshot payload's keys and routing and returns its routing key.
///
/// # Errors
///
/// The first problem: a missing or unknown key, a wrong type, or a routing error of
/// `routing-core` (one routing field without the other, an unknown wire value, a blank id,
/// a wire value of another provider).
pub fn validate_snapshot(payload: &Value) -> Result<RoutingKey, SnapshotError> {
    let obj = payload.as_object().ok_or(SnapshotError::NotAnObject)?;
    if let Some(missing) = SNAPSHOT_FIELDS.iter().find(|f| !obj.contains_key(**f)) {
        return Err(SnapshotError::MissingField(missing));
    }
    if let Some(unknown) = obj.keys().find(|k| !SNAPSHOT_FIELDS.contains(&k.as_str())) {
        return Err(SnapshotError::UnknownField(unknown.clone()));
    }
    let string = |k: &'static str| obj[k].as_str().ok_or(SnapshotError::NotAString(k));
    let (provider, workspace) = (string("provider")?, string("workspace")?);
    if !routing_core::is_valid_provider_name(provider) {
        return Err(SnapshotError::BadProvider(provider.to_owned()));
    }
    for (k, ok) in [
        ("issues", obj["issues"].is_array()),
        ("mappings", obj["mappings"].is_array()),
        ("checkpoint", obj["checkpoint"].is_object()),
        (
            "doctrine_field_owners",
            obj["doctrine_field_owners"].is_object(),
        ),
    ] {
        if !ok {
            return Err(SnapshotError::WrongType(k));
        }
    }
    let routing = SnapshotRouting::from_fields(
        nullable_str(obj, "external_resource_type")?,
        nullable_str(obj, "external_resource_id")?,
    )?;
    Ok(RoutingKey::from_snapshot(provider, workspace, routing)?)
}
