//! The receiving side of a batch, event by event: a body that is JSON with an `events`
//! list yields one outcome per event (a valid envelope, or a rejection carrying the
//! `event_id` when it was readable), so a receiver stores the good events and answers the
//! bad ones by id, as `contracts/batch-api-contract.md` prefers. [`BatchRequest::from_slice`]
//! stays the strict whole-batch parser for a sender's own checks.

use std::fmt;

use serde::Serialize;
use serde::ser::SerializeStruct;
use serde_json::Value;

use crate::batch::{
    BatchRequest, BatchRequestError, BatchResponse, DetailEntry, EventResult, Http400Body,
    batch_items,
};
use crate::envelope::{Envelope, ParseError};
use crate::rules::{ValidationError, ValidationErrors};
use crate::stream::BatchBodyError;

/// Why one event of a batch is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventError {
    /// Not an envelope (a missing, unknown or mistyped field).
    Parse(ParseError),
    /// An envelope that breaks the contract's rules (every violation, the first one
    /// reported).
    Invalid(ValidationErrors),
}

impl EventError {
    /// A stable machine-readable code: [`ParseError::code`], or the first violation's
    /// [`ValidationError::code`].
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            EventError::Parse(e) => e.code(),
            EventError::Invalid(e) => e.first().map_or("invalid", ValidationError::code),
        }
    }

    /// The field the (first) problem is about, if any.
    #[must_use]
    pub fn field(&self) -> Option<&str> {
        match self {
            EventError::Parse(e) => e.field(),
            EventError::Invalid(e) => e.first().map(ValidationError::field),
        }
    }

    /// The reason a batch endpoint puts in a rejected result, e.g. `Invalid payload for
    /// WPStatusChanged: field 'to_lane' must be one of: ...`.
    #[must_use]
    pub fn rejection_message(&self) -> String {
        match self {
            EventError::Parse(e) => format!("Invalid envelope: {e}"),
            EventError::Invalid(e) => e.first().map_or_else(
                || "Invalid envelope".to_owned(),
                ValidationError::rejection_message,
            ),
        }
    }
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventError::Parse(e) => e.fmt(f),
            EventError::Invalid(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for EventError {}

/// `{"code", "field", "message"}`.
impl Serialize for EventError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        error_body(s, self.code(), self.field(), &self.to_string())
    }
}

pub(crate) fn error_body<S: serde::Serializer>(
    s: S,
    code: &str,
    field: Option<&str>,
    message: &str,
) -> Result<S::Ok, S::Error> {
    let mut st = s.serialize_struct("ErrorBody", 3)?;
    st.serialize_field("code", code)?;
    st.serialize_field("field", &field)?;
    st.serialize_field("message", message)?;
    st.end()
}

/// A refused event of a received batch.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventRejection {
    /// Its position in `events`.
    pub index: usize,
    /// Its `event_id`, when the event had a string there (valid ULID or not).
    pub event_id: Option<String>,
    /// Why it is refused.
    pub error: EventError,
}

impl EventRejection {
    /// The per-event result of a 200 answer, when the event has an id to answer by.
    #[must_use]
    pub fn to_result(&self) -> Option<EventResult> {
        self.event_id
            .as_ref()
            .map(|id| EventResult::rejected(id.clone(), self.error.rejection_message()))
    }

    /// The entry of a 400 body's `details`: `{"event_id", "error"}`.
    #[must_use]
    pub fn to_detail(&self) -> DetailEntry {
        DetailEntry::new(self.event_id.clone(), self.error.rejection_message())
    }
}

/// One event of a received batch: a valid envelope, or why it is refused.
pub type EventOutcome = Result<Envelope, EventRejection>;

/// A received batch, event by event.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ReceivedBatch {
    /// One outcome per event, in request order.
    pub events: Vec<EventOutcome>,
}

impl ReceivedBatch {
    /// Reads a batch body: JSON, an object whose only key is `events`, a list of 1 to
    /// [`MAX_BATCH_EVENTS`](crate::MAX_BATCH_EVENTS) items; each item is parsed and validated on its own.
    ///
    /// ```
    /// use event_envelope::ReceivedBatch;
    ///
    /// let good = serde_json::json!({
    ///     "event_id": "01JMBY7K8N3QRVX2DPFG5HWT4E", "event_type": "WPStatusChanged",
    ///     "aggregate_id": "WP01", "aggregate_type": "WorkPackage",
    ///     "payload": {"wp_id": "WP01", "from_lane": "planned", "to_lane": "in_progress"},
    ///     "timestamp": "2026-02-12T10:00:00+00:00", "node_id": "a1b2c3d4e5f6",
    ///     "lamport_clock": 1, "causation_id": null, "team_slug": "acme",
    ///     "project_uuid": null, "project_slug": null, "git_branch": null,
    ///     "head_commit_sha": null, "repo_slug": null
    /// });
    /// let mut bad = good.clone();
    /// bad["event_id"] = "01JMBY7K8N3QRVX2DPFG5HWT4F".into();
    /// bad["payload"]["to_lane"] = "nowhere".into();
    /// let body = serde_json::json!({"events": [good, bad]}).to_string();
    ///
    /// let batch = ReceivedBatch::from_slice(body.as_bytes())?;
    /// assert_eq!(batch.accepted().count(), 1);
    /// let refused = batch.rejected().next().unwrap();
    /// assert_eq!(refused.event_id.as_deref(), Some("01JMBY7K8N3QRVX2DPFG5HWT4F"));
    /// assert_eq!(refused.error.code(), "invalid_one_of");
    ///
    /// // The 200 answer: the good event stored, the bad one rejected by its id.
    /// let answer = batch
    ///     .response(|e| event_envelope::EventResult::success(e.event_id.clone()))
    ///     .unwrap();
    /// assert_eq!(answer.results.len(), 2);
    /// # Ok::<(), event_envelope::BatchBodyError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`BatchBodyError::NotJson`], or [`BatchBodyError::Request`] with
    /// [`BatchRequestError::Shape`], [`BatchRequestError::Empty`] or
    /// [`BatchRequestError::TooMany`]: the batch as a whole is refused (HTTP 400).
    pub fn from_slice(body: &[u8]) -> Result<ReceivedBatch, BatchBodyError> {
        let value: Value = serde_json::from_slice(body)?;
        Ok(ReceivedBatch::from_value(value)?)
    }

    /// [`ReceivedBatch::from_slice`] of a parsed document.
    ///
    /// # Errors
    ///
    /// The whole-batch [`BatchRequestError`]s (never [`BatchRequestError::Event`]).
    pub fn from_value(value: Value) -> Result<ReceivedBatch, BatchRequestError> {
        let events = batch_items(value)?
            .into_iter()
            .enumerate()
            .map(|(index, item)| {
                let event_id = item
                    .get("event_id")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                let reject = |error| EventRejection {
                    index,
                    event_id: event_id.clone(),
                    error,
                };
                let envelope =
                    Envelope::from_owned_value(item).map_err(|e| reject(EventError::Parse(e)))?;
                envelope
                    .validate()
                    .map_err(|e| reject(EventError::Invalid(e)))?;
                Ok(envelope)
            })
            .collect();
        Ok(ReceivedBatch { events })
    }

    /// The valid envelopes, in request order.
    pub fn accepted(&self) -> impl Iterator<Item = &Envelope> {
        self.events.iter().filter_map(|e| e.as_ref().ok())
    }

    /// The refused events, in request order.
    pub fn rejected(&self) -> impl Iterator<Item = &EventRejection> {
        self.events.iter().filter_map(|e| e.as_ref().err())
    }

    /// The 200 answer: `store` decides each valid envelope's result (success or
    /// duplicate), each refused event is answered `rejected` by its id. `None` when a
    /// refused event has no readable `event_id`: then only a 400 can answer, see
    /// [`ReceivedBatch::http_400`].
    #[must_use]
    pub fn response(
        &self,
        mut store: impl FnMut(&Envelope) -> EventResult,
    ) -> Option<BatchResponse> {
        let mut results = Vec::with_capacity(self.events.len());
        for e in &self.events {
            results.push(match e {
                Ok(envelope) => store(envelope),
                Err(r) => r.to_result()?,
            });
        }
        Some(BatchResponse::new(results))
    }

    /// The preferred 400 body: `{"error": "Batch validation failed", "details": [{"event_id",
    /// "error"}, ...]}` listing the refused events.
    #[must_use]
    pub fn http_400(&self) -> Http400Body {
        Http400Body::new(
            "Batch validation failed",
            self.rejected().map(EventRejection::to_detail).collect(),
        )
    }

    /// The strict view: every event valid, as a [`BatchRequest`]; else the first refusal.
    ///
    /// # Errors
    ///
    /// The first refused event.
    pub fn into_request(self) -> Result<BatchRequest, EventRejection> {
        let events = self.events.into_iter().collect::<Result<Vec<_>, _>>()?;
        Ok(BatchRequest { events })
    }
}

/// `{"code", "field", "message"}`.
impl Serialize for ValidationError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        error_body(
            s,
            self.code(),
            Some(self.field()),
            &self.rejection_message(),
        )
    }
}

/// `{"code", "field", "message"}`.
impl Serialize for ParseError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        error_body(s, self.code(), self.field(), &self.to_string())
    }
}

/// `{"code", "field", "message"}` (`field` is `events`, or the event's field).
impl Serialize for BatchRequestError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let field = match self {
            BatchRequestError::Event { error, .. } => error.field(),
            _ => Some("events"),
        };
        error_body(s, self.code(), field, &self.to_string())
    }
}

/// `{"code", "field", "message"}`.
impl Serialize for BatchBodyError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            BatchBodyError::Request(e) => e.serialize(s),
            _ => error_body(s, self.code(), None, &self.to_string()),
        }
    }
}
