//! The batch-events API (`POST /api/v1/events/batch/`): request, per-event results, the
//! HTTP 400 body, and error categorization.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::envelope::{Envelope, ParseError};

/// The path of the batch endpoint, below the SaaS base URL.
pub const BATCH_PATH: &str = "/api/v1/events/batch/";

/// The most events one batch request may carry.
pub const MAX_BATCH_EVENTS: usize = 1000;

/// A batch request: `{"events": [...]}` with 1 to [`MAX_BATCH_EVENTS`] envelopes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchRequest {
    /// The envelopes, in send order.
    pub events: Vec<Envelope>,
}

/// Why a document is not a batch request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BatchRequestError {
    /// Not an object with exactly the key `events` holding a list.
    Shape,
    /// No events.
    Empty,
    /// Over the limit.
    TooMany(usize),
    /// An event is not an envelope.
    Event {
        /// Position in `events`.
        index: usize,
        /// The envelope error.
        error: ParseError,
    },
}

impl fmt::Display for BatchRequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BatchRequestError::Shape => f.write_str(
                "a batch request must be an object {\"events\": [...]} and nothing else",
            ),
            BatchRequestError::Empty => f.write_str("a batch request needs at least one event"),
            BatchRequestError::TooMany(n) => write!(
                f,
                "a batch request carries at most {MAX_BATCH_EVENTS} events, got {n}"
            ),
            BatchRequestError::Event { index, error } => write!(f, "events[{index}]: {error}"),
        }
    }
}

impl std::error::Error for BatchRequestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BatchRequestError::Event { error, .. } => Some(error),
            _ => None,
        }
    }
}

impl BatchRequestError {
    /// A stable machine-readable code: `not_a_batch`, `empty_batch`, `too_many_events`, or
    /// the envelope's [`ParseError::code`].
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            BatchRequestError::Shape => "not_a_batch",
            BatchRequestError::Empty => "empty_batch",
            BatchRequestError::TooMany(_) => "too_many_events",
            BatchRequestError::Event { error, .. } => error.code(),
        }
    }
}

impl BatchRequest {
    /// Parses a batch request, checking its shape, its size and every envelope's shape.
    /// Rules are not checked here: a server rejects rule violations per event.
    ///
    /// # Errors
    ///
    /// A [`BatchRequestError`].
    pub fn from_value(value: &Value) -> Result<BatchRequest, BatchRequestError> {
        BatchRequest::from_owned_value(value.clone())
    }

    /// [`BatchRequest::from_value`], taking the value: the events' strings and payloads
    /// move instead of being copied (what a receiver wants).
    ///
    /// # Errors
    ///
    /// As [`BatchRequest::from_value`].
    pub fn from_owned_value(value: Value) -> Result<BatchRequest, BatchRequestError> {
        let events = batch_items(value)?
            .into_iter()
            .enumerate()
            .map(|(index, v)| {
                Envelope::from_owned_value(v)
                    .map_err(|error| BatchRequestError::Event { index, error })
            })
            .collect::<Result<_, _>>()?;
        Ok(BatchRequest { events })
    }
}

/// The items of a batch document: an object whose only key is `events`, a list of 1 to
/// [`MAX_BATCH_EVENTS`] items (what each item is, is the caller's to check).
pub(crate) fn batch_items(value: Value) -> Result<Vec<Value>, BatchRequestError> {
    let Value::Object(mut obj) = value else {
        return Err(BatchRequestError::Shape);
    };
    let (Some(Value::Array(items)), 0) = (obj.remove("events"), obj.len()) else {
        return Err(BatchRequestError::Shape);
    };
    if items.is_empty() {
        return Err(BatchRequestError::Empty);
    }
    if items.len() > MAX_BATCH_EVENTS {
        return Err(BatchRequestError::TooMany(items.len()));
    }
    Ok(items)
}

/// The outcome of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventStatus {
    /// Stored.
    Success,
    /// Already stored (same `event_id`); the sender treats it as success.
    Duplicate,
    /// Refused; the result carries a reason.
    Rejected,
}

/// One per-event result of a 200 answer. Keys this version does not know are ignored: a
/// SaaS that adds a field must not break the sender. Build one with
/// [`EventResult::success`], [`EventResult::duplicate`] or [`EventResult::rejected`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EventResult {
    /// The event this result is for.
    pub event_id: String,
    /// The outcome.
    pub status: EventStatus,
    /// Reason of a rejection (servers use `error` or `error_message`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Reason of a rejection, older spelling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

impl EventResult {
    /// A stored event.
    #[must_use]
    pub fn success(event_id: impl Into<String>) -> Self {
        EventResult {
            event_id: event_id.into(),
            status: EventStatus::Success,
            error: None,
            error_message: None,
        }
    }

    /// An event stored before (same `event_id`).
    #[must_use]
    pub fn duplicate(event_id: impl Into<String>) -> Self {
        EventResult {
            status: EventStatus::Duplicate,
            ..EventResult::success(event_id)
        }
    }

    /// A refused event, with its reason in `error`.
    #[must_use]
    pub fn rejected(event_id: impl Into<String>, error: impl Into<String>) -> Self {
        EventResult {
            status: EventStatus::Rejected,
            error: Some(error.into()),
            ..EventResult::success(event_id)
        }
    }

    /// The rejection reason, whichever key carried it.
    #[must_use]
    pub fn reason(&self) -> Option<&str> {
        self.error.as_deref().or(self.error_message.as_deref())
    }

    /// Whether the sender may drop the event from its queue (success or duplicate).
    #[must_use]
    pub fn is_delivered(&self) -> bool {
        matches!(self.status, EventStatus::Success | EventStatus::Duplicate)
    }
}

/// The body of a 200 answer. Keys this version does not know are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BatchResponse {
    /// One result per event.
    pub results: Vec<EventResult>,
}

impl BatchResponse {
    /// An answer with these results.
    #[must_use]
    pub fn new(results: Vec<EventResult>) -> Self {
        BatchResponse { results }
    }

    /// Results keyed by `event_id` (results map to events by id, never by position).
    #[must_use]
    pub fn by_event_id(&self) -> BTreeMap<&str, &EventResult> {
        self.results
            .iter()
            .map(|r| (r.event_id.as_str(), r))
            .collect()
    }
}

/// One per-event entry of a 400 body's `details` (build one with [`DetailEntry::new`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DetailEntry {
    /// The event it is about, when the server says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// The reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The reason, older spelling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

impl DetailEntry {
    /// The preferred entry: `{"event_id", "error"}` (`event_id` when the event had a
    /// readable one).
    #[must_use]
    pub fn new(event_id: Option<String>, error: impl Into<String>) -> Self {
        DetailEntry {
            event_id,
            error: Some(error.into()),
            error_message: None,
        }
    }

    /// The reason, whichever key carried it.
    #[must_use]
    pub fn reason(&self) -> Option<&str> {
        self.error.as_deref().or(self.error_message.as_deref())
    }
}

/// The `details` of a 400 body, in the three shapes servers send.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Details {
    /// A JSON list of per-event entries (preferred).
    List(Vec<DetailEntry>),
    /// A string whose text is a JSON list of entries; the original text is kept.
    EncodedList {
        /// The string as received.
        text: String,
        /// Its parsed entries.
        entries: Vec<DetailEntry>,
    },
    /// A plain message.
    Text(String),
}

impl Details {
    /// Interprets a `details` value.
    #[must_use]
    pub fn from_value(value: &Value) -> Details {
        match value {
            Value::Array(_) => match serde_json::from_value::<Vec<DetailEntry>>(value.clone()) {
                Ok(entries) => Details::List(entries),
                Err(_) => Details::Text(value.to_string()),
            },
            Value::String(text) => match serde_json::from_str::<Vec<DetailEntry>>(text) {
                Ok(entries) => Details::EncodedList {
                    text: text.clone(),
                    entries,
                },
                Err(_) => Details::Text(text.clone()),
            },
            Value::Null => Details::Text(String::new()),
            other => Details::Text(other.to_string()),
        }
    }

    /// The per-event entries (empty for a plain message).
    #[must_use]
    pub fn entries(&self) -> &[DetailEntry] {
        match self {
            Details::List(e) | Details::EncodedList { entries: e, .. } => e,
            Details::Text(_) => &[],
        }
    }

    /// The reason for each event, by `event_id` (never by position).
    #[must_use]
    pub fn reasons_by_event_id(&self) -> BTreeMap<&str, &str> {
        self.entries()
            .iter()
            .filter_map(|e| Some((e.event_id.as_deref()?, e.reason().unwrap_or(""))))
            .collect()
    }

    /// The value as it travels.
    #[must_use]
    pub fn to_value(&self) -> Value {
        match self {
            Details::List(e) => serde_json::to_value(e).unwrap_or(Value::Null),
            Details::EncodedList { text, .. } | Details::Text(text) => Value::String(text.clone()),
        }
    }
}

/// The body of an HTTP 400 answer: `{"error": ..., "details": ...}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Http400Body {
    /// The top-level message.
    pub error: String,
    /// The details.
    pub details: Details,
}

impl Http400Body {
    /// The preferred body: a message and a list of `{"event_id", "error"}` entries.
    #[must_use]
    pub fn new(error: impl Into<String>, entries: Vec<DetailEntry>) -> Self {
        Http400Body {
            error: error.into(),
            details: Details::List(entries),
        }
    }

    /// Parses a 400 body; `None` if it is not an object with a string `error` and a
    /// `details` key.
    #[must_use]
    pub fn from_value(value: &Value) -> Option<Http400Body> {
        let obj = value.as_object()?;
        Some(Http400Body {
            error: obj.get("error")?.as_str()?.to_owned(),
            details: Details::from_value(obj.get("details")?),
        })
    }

    /// The body as it travels.
    #[must_use]
    pub fn to_value(&self) -> Value {
        serde_json::json!({"error": self.error, "details": self.details.to_value()})
    }
}

/// Why an event was not delivered, for reporting and the hint shown to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCategory {
    /// The event does not match the schema.
    SchemaMismatch,
    /// Credentials are missing, expired or refused.
    AuthExpired,
    /// The server failed or did not answer.
    ServerError,
    /// Anything else.
    Unknown,
}

impl ErrorCategory {
    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCategory::SchemaMismatch => "schema_mismatch",
            ErrorCategory::AuthExpired => "auth_expired",
            ErrorCategory::ServerError => "server_error",
            ErrorCategory::Unknown => "unknown",
        }
    }
}

impl fmt::Display for ErrorCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a failure is known by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure<'a> {
    /// An HTTP answer with this status and message text.
    Http {
        /// The status code.
        status: u16,
        /// The message (error text of the body or of a detail entry).
        message: &'a str,
    },
    /// No answer in time.
    Timeout,
    /// Only a message (e.g. a per-event rejection in a 200 answer).
    Message(&'a str),
}

const AUTH_WORDS: &[&str] = &[
    "expired",
    "unauthorized",
    "unauthenticated",
    "not authenticated",
    "forbidden",
    "invalid token",
    "token invalid",
    "401",
    "403",
];
const SERVER_WORDS: &[&str] = &[
    "internal",
    "server error",
    "timeout",
    "timed out",
    "unavailable",
    "500",
    "502",
    "503",
    "504",
];
const SCHEMA_WORDS: &[&str] = &["invalid", "schema", "field", "missing", "type"];

/// Categorizes a failure: by HTTP status first where there is one (401/403 -> auth_expired,
/// 5xx -> server_error; a timeout is server_error), then by keywords of the message, auth
/// words before server words before schema words, so "Token expired or invalid" is
/// auth_expired, not schema_mismatch.
#[must_use]
pub fn categorize(failure: Failure<'_>) -> ErrorCategory {
    let message = match failure {
        Failure::Timeout => return ErrorCategory::ServerError,
        Failure::Http {
            status: 401 | 403, ..
        } => return ErrorCategory::AuthExpired,
        Failure::Http { status, .. } if (500..=599).contains(&status) => {
            return ErrorCategory::ServerError;
        }
        Failure::Http { status: 408, .. } => return ErrorCategory::ServerError,
        Failure::Http { message, .. } | Failure::Message(message) => message,
    };
    let lower = message.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    if has(AUTH_WORDS) {
        ErrorCategory::AuthExpired
    } else if has(SERVER_WORDS) {
        ErrorCategory::ServerError
    } else if has(SCHEMA_WORDS) {
        ErrorCategory::SchemaMismatch
    } else {
        ErrorCategory::Unknown
    }
}
