//! The 15-field envelope: the typed struct, its field table, and strict JSON parsing.

use serde::Serialize;
use serde_json::{Map, Value};

/// The JSON type of an envelope field, as pinned by the golden schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    /// A JSON string.
    String,
    /// A JSON integer (no fraction, no exponent).
    Integer,
    /// A JSON object.
    Object,
}

impl JsonType {
    /// The JSON Schema name of the type.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            JsonType::String => "string",
            JsonType::Integer => "integer",
            JsonType::Object => "object",
        }
    }
}

/// One envelope field: its wire name, JSON type, and whether it may be `null`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// The wire name.
    pub name: &'static str,
    /// The JSON type of a non-null value.
    pub json_type: JsonType,
    /// Whether `null` is allowed. A nullable field is still always present.
    pub nullable: bool,
}

const fn field(name: &'static str, json_type: JsonType, nullable: bool) -> FieldSpec {
    FieldSpec {
        name,
        json_type,
        nullable,
    }
}

/// The envelope's fields in wire order. This table, the [`Envelope`] struct and the golden
/// schema file in `tests/golden/` must agree; a test fails on any difference (FR-009).
pub const FIELDS: [FieldSpec; 15] = [
    field("event_id", JsonType::String, false),
    field("event_type", JsonType::String, false),
    field("aggregate_id", JsonType::String, false),
    field("aggregate_type", JsonType::String, false),
    field("payload", JsonType::Object, false),
    field("timestamp", JsonType::String, false),
    field("node_id", JsonType::String, false),
    field("lamport_clock", JsonType::Integer, false),
    field("causation_id", JsonType::String, true),
    field("team_slug", JsonType::String, false),
    field("project_uuid", JsonType::String, true),
    field("project_slug", JsonType::String, true),
    field("git_branch", JsonType::String, true),
    field("head_commit_sha", JsonType::String, true),
    field("repo_slug", JsonType::String, true),
];

/// A Git event envelope, exactly as it travels in a batch request.
///
/// Values are kept as received (strings stay strings) so that parsing and serializing a
/// valid document reproduces the same JSON value. Parsing checks shape (keys and JSON
/// types); [`Envelope::validate`](crate::Envelope::validate) checks the contract's rules.
/// Serialization writes the 15 fields in wire order and writes `null` for absent nullable
/// values, never omitting a key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Envelope {
    /// ULID of this event.
    pub event_id: String,
    /// One of the 12 event types.
    pub event_type: String,
    /// The WP id, feature slug or other aggregate this event is about.
    pub aggregate_id: String,
    /// `WorkPackage` or `Feature`.
    pub aggregate_type: String,
    /// The event-type specific payload.
    pub payload: Map<String, Value>,
    /// ISO 8601 with an explicit offset.
    pub timestamp: String,
    /// The emitting node.
    pub node_id: String,
    /// Lamport clock value, >= 0.
    pub lamport_clock: i64,
    /// ULID of the event that caused this one.
    pub causation_id: Option<String>,
    /// The team.
    pub team_slug: String,
    /// The project's UUID (v4).
    pub project_uuid: Option<String>,
    /// The project's slug.
    pub project_slug: Option<String>,
    /// The Git branch the event was emitted on.
    pub git_branch: Option<String>,
    /// The 40-hex HEAD commit.
    pub head_commit_sha: Option<String>,
    /// `owner/repo` (subgroups allowed).
    pub repo_slug: Option<String>,
}

/// Why a JSON document is not an envelope (shape errors, before any rule is checked).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// The text is not JSON.
    Json(String),
    /// The document is not a JSON object.
    NotAnObject,
    /// A key that is not one of the 15 envelope fields.
    UnknownField(String),
    /// One of the 15 fields is absent (nullable fields must be present as `null`).
    MissingField(&'static str),
    /// A field has the wrong JSON type.
    WrongType {
        /// The field.
        field: &'static str,
        /// What it must be, e.g. `a string or null`.
        expected: &'static str,
    },
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParseError::Json(e) => write!(f, "not valid JSON: {e}"),
            ParseError::NotAnObject => f.write_str("an envelope must be a JSON object"),
            ParseError::UnknownField(k) => write!(
                f,
                "unknown envelope field `{k}`: the envelope has exactly 15 fields"
            ),
            ParseError::MissingField(k) => write!(f, "missing envelope field `{k}`"),
            ParseError::WrongType { field, expected } => {
                write!(f, "envelope field `{field}` must be {expected}")
            }
        }
    }
}

impl std::error::Error for ParseError {}

impl ParseError {
    /// A stable machine-readable code: `not_json`, `not_an_object`, `unknown_field`,
    /// `missing_field` or `wrong_type`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            ParseError::Json(_) => "not_json",
            ParseError::NotAnObject => "not_an_object",
            ParseError::UnknownField(_) => "unknown_field",
            ParseError::MissingField(_) => "missing_field",
            ParseError::WrongType { .. } => "wrong_type",
        }
    }

    /// The envelope field the error is about, if any.
    #[must_use]
    pub fn field(&self) -> Option<&str> {
        match self {
            ParseError::UnknownField(f) => Some(f),
            ParseError::MissingField(f) | ParseError::WrongType { field: f, .. } => Some(f),
            ParseError::Json(_) | ParseError::NotAnObject => None,
        }
    }
}

/// Takes the envelope's fields out of its JSON object (moving, never copying, the
/// strings and the payload).
struct Fields(Map<String, Value>);

impl Fields {
    fn take(&mut self, name: &'static str) -> Result<Value, ParseError> {
        self.0.remove(name).ok_or(ParseError::MissingField(name))
    }

    fn string(&mut self, name: &'static str) -> Result<String, ParseError> {
        match self.take(name)? {
            Value::String(s) => Ok(s),
            _ => Err(ParseError::WrongType {
                field: name,
                expected: "a string",
            }),
        }
    }

    fn nullable_string(&mut self, name: &'static str) -> Result<Option<String>, ParseError> {
        match self.take(name)? {
            Value::String(s) => Ok(Some(s)),
            Value::Null => Ok(None),
            _ => Err(ParseError::WrongType {
                field: name,
                expected: "a string or null",
            }),
        }
    }

    fn integer(&mut self, name: &'static str) -> Result<i64, ParseError> {
        match self.take(name)? {
            Value::Number(n) if n.is_i64() => n.as_i64().ok_or(ParseError::WrongType {
                field: name,
                expected: "an integer",
            }),
            _ => Err(ParseError::WrongType {
                field: name,
                expected: "an integer",
            }),
        }
    }

    fn object(&mut self, name: &'static str) -> Result<Map<String, Value>, ParseError> {
        match self.take(name)? {
            Value::Object(m) => Ok(m),
            _ => Err(ParseError::WrongType {
                field: name,
                expected: "an object",
            }),
        }
    }
}

impl Envelope {
    /// Parses an envelope from JSON text. See [`Envelope::from_value`].
    ///
    /// # Errors
    ///
    /// [`ParseError::Json`] for text that is not JSON, else as [`Envelope::from_value`].
    pub fn from_json(text: &str) -> Result<Envelope, ParseError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| ParseError::Json(e.to_string()))?;
        Envelope::from_value(&value)
    }

    /// Parses an envelope from a JSON value: exactly the 15 keys, each with its JSON type.
    ///
    /// # Errors
    ///
    /// A [`ParseError`] naming the first offending key: an unknown (16th) key, a missing
    /// key, or a value of the wrong JSON type.
    pub fn from_value(value: &Value) -> Result<Envelope, ParseError> {
        if !value.is_object() {
            return Err(ParseError::NotAnObject);
        }
        Envelope::from_owned_value(value.clone())
    }

    /// [`Envelope::from_value`], taking the value: its strings and payload move into the
    /// envelope instead of being copied (what a receiver parsing many events wants).
    ///
    /// # Errors
    ///
    /// As [`Envelope::from_value`].
    pub fn from_owned_value(value: Value) -> Result<Envelope, ParseError> {
        let Value::Object(map) = value else {
            return Err(ParseError::NotAnObject);
        };
        if let Some(unknown) = map.keys().find(|k| !FIELDS.iter().any(|f| f.name == *k)) {
            return Err(ParseError::UnknownField(unknown.clone()));
        }
        let mut f = Fields(map);
        Ok(Envelope {
            event_id: f.string("event_id")?,
            event_type: f.string("event_type")?,
            aggregate_id: f.string("aggregate_id")?,
            aggregate_type: f.string("aggregate_type")?,
            payload: f.object("payload")?,
            timestamp: f.string("timestamp")?,
            node_id: f.string("node_id")?,
            lamport_clock: f.integer("lamport_clock")?,
            causation_id: f.nullable_string("causation_id")?,
            team_slug: f.string("team_slug")?,
            project_uuid: f.nullable_string("project_uuid")?,
            project_slug: f.nullable_string("project_slug")?,
            git_branch: f.nullable_string("git_branch")?,
            head_commit_sha: f.nullable_string("head_commit_sha")?,
            repo_slug: f.nullable_string("repo_slug")?,
        })
    }

    /// The envelope as a JSON value (15 keys, wire order).
    #[must_use]
    pub fn to_value(&self) -> Value {
        // Serializing a struct of strings, integers and a JSON map cannot fail.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

impl<'de> serde::Deserialize<'de> for Envelope {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Envelope::from_owned_value(value).map_err(serde::de::Error::custom)
    }
}
