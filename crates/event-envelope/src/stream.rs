//! Parsing batch requests straight from JSON text, without building a JSON tree of every
//! envelope first: the receiver's hot path. The outcome is exactly that of parsing the
//! text into a [`Value`] and calling [`BatchRequest::from_value`] (a test compares the
//! two on every shape of bad input), only cheaper.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::batch::{BatchRequest, BatchRequestError, MAX_BATCH_EVENTS};
use crate::envelope::{Envelope, FIELDS, JsonType, ParseError};

/// A field's value as read, before its JSON type is checked against the field's.
enum Slot {
    Str(String),
    Null,
    Int(i64),
    Obj(Map<String, Value>),
    Other,
}

impl<'de> Deserialize<'de> for Slot {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Slot;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E>(self, v: &str) -> Result<Slot, E> {
                Ok(Slot::Str(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Slot, E> {
                Ok(Slot::Str(v))
            }
            fn visit_unit<E>(self) -> Result<Slot, E> {
                Ok(Slot::Null)
            }
            fn visit_none<E>(self) -> Result<Slot, E> {
                Ok(Slot::Null)
            }
            fn visit_i64<E>(self, v: i64) -> Result<Slot, E> {
                Ok(Slot::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Slot, E> {
                Ok(i64::try_from(v).map_or(Slot::Other, Slot::Int))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Slot, E> {
                Ok(Slot::Other)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Slot, E> {
                Ok(Slot::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Slot, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Slot::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Slot, A::Error> {
                let v = Map::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Slot::Obj(v))
            }
        }
        d.deserialize_any(V)
    }
}

fn expected(spec: &crate::envelope::FieldSpec) -> &'static str {
    match (spec.json_type, spec.nullable) {
        (JsonType::String, false) => "a string",
        (JsonType::String, true) => "a string or null",
        (JsonType::Integer, _) => "an integer",
        (JsonType::Object, _) => "an object",
    }
}

/// One element of `events`: an envelope, or why it is not one. Always reads the whole
/// element, so that a syntax error later in the text is still found.
struct MaybeEnvelope(Result<Envelope, ParseError>);

impl<'de> Deserialize<'de> for MaybeEnvelope {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        fn not_object<E>() -> Result<MaybeEnvelope, E> {
            Ok(MaybeEnvelope(Err(ParseError::NotAnObject)))
        }
        impl<'de> Visitor<'de> for V {
            type Value = MaybeEnvelope;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an envelope")
            }
            fn visit_str<E>(self, _: &str) -> Result<MaybeEnvelope, E> {
                not_object()
            }
            fn visit_unit<E>(self) -> Result<MaybeEnvelope, E> {
                not_object()
            }
            fn visit_none<E>(self) -> Result<MaybeEnvelope, E> {
                not_object()
            }
            fn visit_i64<E>(self, _: i64) -> Result<MaybeEnvelope, E> {
                not_object()
            }
            fn visit_u64<E>(self, _: u64) -> Result<MaybeEnvelope, E> {
                not_object()
            }
            fn visit_f64<E>(self, _: f64) -> Result<MaybeEnvelope, E> {
                not_object()
            }
            fn visit_bool<E>(self, _: bool) -> Result<MaybeEnvelope, E> {
                not_object()
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<MaybeEnvelope, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                not_object()
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MaybeEnvelope, A::Error> {
                let mut slots: [Option<Slot>; 15] = Default::default();
                let mut unknown: Option<String> = None;
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match FIELDS.iter().position(|f| f.name == key) {
                        Some(i) => slots[i] = Some(map.next_value()?),
                        None => {
                            unknown.get_or_insert_with(|| key.into_owned());
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(MaybeEnvelope(envelope(slots, unknown)))
            }
        }
        d.deserialize_any(V)
    }
}

/// The envelope from its slots, with [`Envelope::from_value`]'s checks in its order.
fn envelope(
    mut slots: [Option<Slot>; 15],
    unknown: Option<String>,
) -> Result<Envelope, ParseError> {
    if let Some(u) = unknown {
        return Err(ParseError::UnknownField(u));
    }
    let mut take = |i: usize| {
        slots[i]
            .take()
            .ok_or(ParseError::MissingField(FIELDS[i].name))
    };
    let wrong = |i: usize| ParseError::WrongType {
        field: FIELDS[i].name,
        expected: expected(&FIELDS[i]),
    };
    let string = |s: Slot, i: usize| match s {
        Slot::Str(v) => Ok(v),
        _ => Err(wrong(i)),
    };
    let nullable = |s: Slot, i: usize| match s {
        Slot::Str(v) => Ok(Some(v)),
        Slot::Null => Ok(None),
        _ => Err(wrong(i)),
    };
    Ok(Envelope {
        event_id: string(take(0)?, 0)?,
        event_type: string(take(1)?, 1)?,
        aggregate_id: string(take(2)?, 2)?,
        aggregate_type: string(take(3)?, 3)?,
        payload: match take(4)? {
            Slot::Obj(m) => m,
            _ => return Err(wrong(4)),
        },
        timestamp: string(take(5)?, 5)?,
        node_id: string(take(6)?, 6)?,
        lamport_clock: match take(7)? {
            Slot::Int(n) => n,
            _ => return Err(wrong(7)),
        },
        causation_id: nullable(take(8)?, 8)?,
        team_slug: string(take(9)?, 9)?,
        project_uuid: nullable(take(10)?, 10)?,
        project_slug: nullable(take(11)?, 11)?,
        git_branch: nullable(take(12)?, 12)?,
        head_commit_sha: nullable(take(13)?, 13)?,
        repo_slug: nullable(take(14)?, 14)?,
    })
}

/// The value of `events`: when it is a list, its envelopes up to the limit and how many
/// elements it has; `None` when it is not a list.
struct Events(Option<(Vec<MaybeEnvelope>, usize)>);

impl<'de> Deserialize<'de> for Events {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        fn not_list<E>() -> Result<Events, E> {
            Ok(Events(None))
        }
        impl<'de> Visitor<'de> for V {
            type Value = Events;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of events")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Events, A::Error> {
                let mut parsed =
                    Vec::with_capacity(seq.size_hint().unwrap_or(0).min(MAX_BATCH_EVENTS));
                let mut count = 0usize;
                loop {
                    // Past the limit the elements are only counted (the answer is TooMany).
                    let more = if count < MAX_BATCH_EVENTS {
                        seq.next_element::<MaybeEnvelope>()?.map(|e| parsed.push(e))
                    } else {
                        seq.next_element::<IgnoredAny>()?.map(|_| ())
                    };
                    if more.is_none() {
                        break;
                    }
                    count += 1;
                }
                Ok(Events(Some((parsed, count))))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Events, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                not_list()
            }
            fn visit_str<E>(self, _: &str) -> Result<Events, E> {
                not_list()
            }
            fn visit_unit<E>(self) -> Result<Events, E> {
                not_list()
            }
            fn visit_i64<E>(self, _: i64) -> Result<Events, E> {
                not_list()
            }
            fn visit_u64<E>(self, _: u64) -> Result<Events, E> {
                not_list()
            }
            fn visit_f64<E>(self, _: f64) -> Result<Events, E> {
                not_list()
            }
            fn visit_bool<E>(self, _: bool) -> Result<Events, E> {
                not_list()
            }
        }
        d.deserialize_any(V)
    }
}

/// The whole body: `{"events": [...]}` and nothing else, or the shape error.
struct Body(Result<BatchRequest, BatchRequestError>);

impl<'de> Deserialize<'de> for Body {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        fn shape<E>() -> Result<Body, E> {
            Ok(Body(Err(BatchRequestError::Shape)))
        }
        impl<'de> Visitor<'de> for V {
            type Value = Body;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a batch request")
            }
            fn visit_str<E>(self, _: &str) -> Result<Body, E> {
                shape()
            }
            fn visit_unit<E>(self) -> Result<Body, E> {
                shape()
            }
            fn visit_i64<E>(self, _: i64) -> Result<Body, E> {
                shape()
            }
            fn visit_u64<E>(self, _: u64) -> Result<Body, E> {
                shape()
            }
            fn visit_f64<E>(self, _: f64) -> Result<Body, E> {
                shape()
            }
            fn visit_bool<E>(self, _: bool) -> Result<Body, E> {
                shape()
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Body, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                shape()
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Body, A::Error> {
                let (mut events, mut keys) = (None, 0usize);
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if key == "events" {
                        // A repeated key: the last one counts, as in a JSON tree.
                        events = Some(map.next_value::<Events>()?);
                    } else {
                        keys += 1;
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                let Some(Events(Some((parsed, count)))) = events.filter(|_| keys == 0) else {
                    return shape();
                };
                if count == 0 {
                    return Ok(Body(Err(BatchRequestError::Empty)));
                }
                if count > MAX_BATCH_EVENTS {
                    return Ok(Body(Err(BatchRequestError::TooMany(count))));
                }
                let parsed: Result<Vec<Envelope>, _> = parsed
                    .into_iter()
                    .enumerate()
                    .map(|(index, e)| {
                        e.0.map_err(|error| BatchRequestError::Event { index, error })
                    })
                    .collect();
                Ok(Body(parsed.map(|events| BatchRequest { events })))
            }
        }
        d.deserialize_any(V)
    }
}

/// Why [`BatchRequest::from_slice`] found no batch.
#[derive(Debug)]
#[non_exhaustive]
pub enum BatchBodyError {
    /// The text is not JSON.
    NotJson(serde_json::Error),
    /// JSON, but not a batch request.
    Request(BatchRequestError),
}

impl std::fmt::Display for BatchBodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BatchBodyError::NotJson(e) => write!(f, "body is not JSON: {e}"),
            BatchBodyError::Request(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for BatchBodyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BatchBodyError::NotJson(e) => Some(e),
            BatchBodyError::Request(e) => e.source(),
        }
    }
}

impl From<serde_json::Error> for BatchBodyError {
    fn from(e: serde_json::Error) -> Self {
        BatchBodyError::NotJson(e)
    }
}

impl From<BatchRequestError> for BatchBodyError {
    fn from(e: BatchRequestError) -> Self {
        BatchBodyError::Request(e)
    }
}

impl BatchBodyError {
    /// A stable machine-readable code: `not_json`, or [`BatchRequestError::code`].
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            BatchBodyError::NotJson(_) => "not_json",
            BatchBodyError::Request(e) => e.code(),
        }
    }
}

impl BatchRequest {
    /// Parses a batch request from JSON text, with [`BatchRequest::from_value`]'s checks
    /// and outcome, but without first building a JSON tree of the whole body.
    ///
    /// # Errors
    ///
    /// [`BatchBodyError::NotJson`] when the text is not JSON (anywhere in it), else
    /// [`BatchBodyError::Request`] with the [`BatchRequestError`] `from_value` gives.
    pub fn from_slice(body: &[u8]) -> Result<BatchRequest, BatchBodyError> {
        let parsed: Body = serde_json::from_slice(body)?;
        Ok(parsed.0?)
    }
}
