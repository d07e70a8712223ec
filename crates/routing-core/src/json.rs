//! Whole-snapshot validation for a receiver (feature `json`): the payload's 11 keys, their
//! JSON types, the provider pattern and the routing pair, as
//! `contracts/tracker-snapshot-publish.md` states them, returning the routing key to
//! resolve or a structured error.

use std::fmt;

use serde_json::{Map, Value};

use crate::saas::{RoutingError, RoutingKey, SnapshotRouting};
use crate::snapshot::SNAPSHOT_FIELDS;

/// The longest received value an error carries (longer ones are cut, marked with `…`).
const MAX_VALUE: usize = 200;

/// Why a received snapshot payload is refused.
///
/// [`SnapshotError::code`] is stable, [`SnapshotError::field`] names the payload key and
/// [`SnapshotError::value`] holds the offending value (as received; JSON text for a
/// non-string, cut at 200 characters). With the `serde` feature it serializes as
/// `{"code", "field", "message", "value"?}`. New variants may come in a minor release.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SnapshotError {
    /// The body is not JSON.
    NotJson(String),
    /// The payload is not a JSON object.
    NotAnObject,
    /// A required key is absent.
    MissingField(&'static str),
    /// A key the contract does not have.
    UnknownField(String),
    /// `provider` or `workspace` is not a string.
    NotAString {
        /// The key.
        field: &'static str,
        /// The value received, as JSON text.
        value: String,
    },
    /// `provider` does not match `^[a-z0-9_-]+$`.
    BadProvider(String),
    /// A routing field is neither a string nor null.
    NotAStringOrNull {
        /// The key.
        field: &'static str,
        /// The value received, as JSON text.
        value: String,
    },
    /// `issues`, `mappings` (lists), `checkpoint` or `doctrine_field_owners` (objects) has
    /// another type.
    WrongType {
        /// The key.
        field: &'static str,
        /// What it must be: `a list` or `an object`.
        expected: &'static str,
    },
    /// The routing fields or the routing key are invalid.
    Routing(RoutingError),
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotError::NotJson(e) => write!(f, "the body is not JSON: {e}"),
            SnapshotError::NotAnObject => f.write_str("a snapshot payload must be a JSON object"),
            SnapshotError::MissingField(k) => write!(f, "missing snapshot field `{k}`"),
            SnapshotError::UnknownField(k) => write!(f, "unknown snapshot field `{k}`"),
            SnapshotError::NotAString { field, .. } => {
                write!(f, "snapshot field `{field}` must be a string")
            }
            SnapshotError::BadProvider(p) => write!(
                f,
                "snapshot field `provider` must match ^[a-z0-9_-]+$, got {p:?}"
            ),
            SnapshotError::NotAStringOrNull { field, .. } => {
                write!(f, "snapshot field `{field}` must be a string or null")
            }
            SnapshotError::WrongType { field, expected } => {
                write!(f, "snapshot field `{field}` must be {expected}")
            }
            SnapshotError::Routing(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for SnapshotError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SnapshotError::Routing(e) => Some(e),
            _ => None,
        }
    }
}

impl From<RoutingError> for SnapshotError {
    fn from(e: RoutingError) -> Self {
        SnapshotError::Routing(e)
    }
}

impl SnapshotError {
    /// A stable machine-readable code (the routing errors keep [`RoutingError::code`]).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            SnapshotError::NotJson(_) => "not_json",
            SnapshotError::NotAnObject => "not_an_object",
            SnapshotError::MissingField(_) => "missing_field",
            SnapshotError::UnknownField(_) => "unknown_field",
            SnapshotError::NotAString { .. } => "not_a_string",
            SnapshotError::BadProvider(_) => "bad_provider",
            SnapshotError::NotAStringOrNull { .. } => "not_a_string_or_null",
            SnapshotError::WrongType { .. } => "wrong_type",
            SnapshotError::Routing(e) => e.code(),
        }
    }

    /// The payload key the error is about, if any.
    #[must_use]
    pub fn field(&self) -> Option<&str> {
        match self {
            SnapshotError::NotJson(_) | SnapshotError::NotAnObject => None,
            SnapshotError::MissingField(k) => Some(k),
            SnapshotError::UnknownField(k) => Some(k),
            SnapshotError::NotAString { field, .. }
            | SnapshotError::NotAStringOrNull { field, .. }
            | SnapshotError::WrongType { field, .. } => Some(field),
            SnapshotError::BadProvider(_) => Some("provider"),
            SnapshotError::Routing(e) => Some(e.field()),
        }
    }

    /// The offending value as received, where there is one.
    #[must_use]
    pub fn value(&self) -> Option<&str> {
        match self {
            SnapshotError::UnknownField(v)
            | SnapshotError::BadProvider(v)
            | SnapshotError::NotAString { value: v, .. }
            | SnapshotError::NotAStringOrNull { value: v, .. } => Some(v),
            SnapshotError::Routing(e) => e.value(),
            _ => None,
        }
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for SnapshotError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        crate::error_body::serialize(s, self.code(), self.field(), self.value(), self)
    }
}

/// A received value as short JSON text.
fn shown(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(MAX_VALUE) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

fn nullable_str<'a>(
    obj: &'a Map<String, Value>,
    field: &'static str,
) -> Result<Option<&'a str>, SnapshotError> {
    match obj.get(field) {
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Null) => Ok(None),
        None => Err(SnapshotError::MissingField(field)),
        Some(v) => Err(SnapshotError::NotAStringOrNull {
            field,
            value: shown(v),
        }),
    }
}

/// Checks a received snapshot payload and returns its routing key: every one of the 11
/// keys present and no other ([`SNAPSHOT_FIELDS`]), `provider` and `workspace` strings,
/// the provider matching `^[a-z0-9_-]+$`, `issues` and `mappings` lists, `checkpoint` and
/// `doctrine_field_owners` objects, the routing pair both null or a canonical wire value of
/// the provider with a trimmed, non-blank id, and the key in wire form
/// ([`RoutingKey::from_wire_parts`]).
///
/// ```
/// let payload = serde_json::json!({
///     "provider": "jira", "workspace": "acme.atlassian.net",
///     "external_resource_type": "jira_project", "external_resource_id": "ACME",
///     "doctrine_mode": "external_authoritative", "doctrine_field_owners": {},
///     "project_uuid": null, "project_slug": null,
///     "issues": [], "mappings": [], "checkpoint": {}
/// });
/// let key = routing_core::validate_snapshot(&payload)?;
/// assert_eq!(key.routing().map(|r| r.resource_id()), Some("ACME"));
///
/// let mut omitted = payload.clone();
/// omitted.as_object_mut().unwrap().remove("external_resource_id");
/// let err = routing_core::validate_snapshot(&omitted).unwrap_err();
/// assert_eq!((err.code(), err.field()), ("missing_field", Some("external_resource_id")));
/// # Ok::<(), routing_core::SnapshotError>(())
/// ```
///
/// # Errors
///
/// The first problem found, in the order above.
pub fn validate_snapshot(payload: &Value) -> Result<RoutingKey, SnapshotError> {
    let obj = payload.as_object().ok_or(SnapshotError::NotAnObject)?;
    if let Some(missing) = SNAPSHOT_FIELDS.iter().find(|f| !obj.contains_key(**f)) {
        return Err(SnapshotError::MissingField(missing));
    }
    if let Some(unknown) = obj.keys().find(|k| !SNAPSHOT_FIELDS.contains(&k.as_str())) {
        return Err(SnapshotError::UnknownField(unknown.clone()));
    }
    let string = |field: &'static str| {
        obj[field]
            .as_str()
            .ok_or_else(|| SnapshotError::NotAString {
                field,
                value: shown(&obj[field]),
            })
    };
    let (provider, workspace) = (string("provider")?, string("workspace")?);
    if !crate::is_valid_provider_name(provider) {
        return Err(SnapshotError::BadProvider(provider.to_owned()));
    }
    for (field, ok, expected) in [
        ("issues", obj["issues"].is_array(), "a list"),
        ("mappings", obj["mappings"].is_array(), "a list"),
        ("checkpoint", obj["checkpoint"].is_object(), "an object"),
        (
            "doctrine_field_owners",
            obj["doctrine_field_owners"].is_object(),
            "an object",
        ),
    ] {
        if !ok {
            return Err(SnapshotError::WrongType { field, expected });
        }
    }
    let routing = SnapshotRouting::from_fields(
        nullable_str(obj, "external_resource_type")?,
        nullable_str(obj, "external_resource_id")?,
    )?;
    Ok(RoutingKey::from_wire_parts(provider, workspace, routing)?)
}

/// [`validate_snapshot`] of a request body.
///
/// # Errors
///
/// [`SnapshotError::NotJson`], or any error of [`validate_snapshot`].
pub fn validate_snapshot_slice(body: &[u8]) -> Result<RoutingKey, SnapshotError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| SnapshotError::NotJson(e.to_string()))?;
    validate_snapshot(&value)
}
