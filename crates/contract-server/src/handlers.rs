//! The two contract endpoints as ordinary axum handlers: the shape a SaaS service copies.
//!
//! A handler parses the body, validates it with the contract's own types (`routing-core`
//! for snapshots, `event-envelope` for batches) and answers JSON. Faults, recording and
//! socket tricks live in `server.rs`, not here.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use event_envelope::{BatchBodyError, EventResult, ReceivedBatch};
use routing_core::{Resolution, RoutingKey, RoutingTable};
use serde_json::{Value, json};

use crate::server::Shared;
use routing_core::validate_snapshot;

/// The routing-key resolution a snapshot answer carries, kept for [`crate::Received`].
#[derive(Debug, Clone)]
pub(crate) struct ResolutionTag(pub(crate) String);

fn error(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

fn not_json(e: &serde_json::Error) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        json!({"error": "body is not JSON", "detail": e.to_string()}),
    )
}

/// `POST /api/v1/connectors/trackers/snapshots/`: validate, resolve the routing key,
/// replay a repeated `Idempotency-Key`, refuse a reused key with another body (422).
pub(crate) async fn receive_snapshot(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let value: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return not_json(&e),
    };
    let key = match validate_snapshot(&value) {
        Ok(k) => k,
        Err(e) => {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"error": "invalid snapshot", "detail": e.to_string(),
                       "code": e.code(), "field": e.field()}),
            );
        }
    };
    let idem = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let hash = blake3::hash(&body);
    if let Some(k) = &idem
        && let Some((h, status, answer)) = shared.state().idempotency.get(k).cloned()
    {
        if h != hash {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"error": "Idempotency-Key reused with a different body", "detail": "send a new key for new content"}),
            );
        }
        let mut r = (
            StatusCode::from_u16(status).unwrap_or(StatusCode::ACCEPTED),
            [("Idempotent-Replay", "true")],
            Json(answer.clone()),
        )
            .into_response();
        if let Some(res) = answer["resolution"].as_str() {
            r.extensions_mut().insert(ResolutionTag(res.to_owned()));
        }
        return r;
    }
    let (resolution, target) = resolve(&shared.mappings, &key);
    let answer = json!({
        "status": "accepted",
        "routing_key": {
            "provider": key.provider(),
            "workspace": key.workspace(),
            "external_resource_type": key.routing().map(|r| r.resource_type().as_str()),
            "external_resource_id": key.routing().map(|r| r.resource_id()),
        },
        "resolution": resolution,
        "target": target,
        "issues": value["issues"].as_array().map_or(0, Vec::len),
        "mappings": value["mappings"].as_array().map_or(0, Vec::len),
        "idempotency_key": idem,
    });
    if let Some(k) = idem {
        shared
            .state()
            .idempotency
            .insert(k, (hash, 202, answer.clone()));
    }
    let mut r = (StatusCode::ACCEPTED, Json(answer)).into_response();
    r.extensions_mut()
        .insert(ResolutionTag(resolution.to_owned()));
    r
}

fn resolve(table: &RoutingTable<String>, key: &RoutingKey) -> (&'static str, Option<String>) {
    match table.resolve(key) {
        Some(Resolution::Exact(t)) => ("exact", Some(t.clone())),
        Some(Resolution::WorkspaceFallback(t)) => ("workspace_fallback", Some(t.clone())),
        None => ("unresolved", None),
    }
}

/// Answer only the first N results of a batch (a fault for tests).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ResultLimit(pub(crate) usize);

/// `POST /api/v1/events/batch/`: a JSON or gzip body (`Content-Encoding: gzip`), capped
/// in decompressed bytes (413 beyond the cap); per-event results, duplicates by
/// `event_id`.
pub(crate) async fn receive_batch(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    limit: Option<axum::Extension<ResultLimit>>,
    body: Bytes,
) -> Response {
    let cap = shared.state().batch_cap;
    let gzipped = event_envelope::is_gzip(
        headers
            .get("content-encoding")
            .and_then(|v| v.to_str().ok()),
    );
    let too_large = |cap: usize| {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            json!({"error": "Request body too large", "detail": format!("at most {cap} bytes")}),
        )
    };
    let plain = if gzipped {
        match event_envelope::gunzip(&body, cap.unwrap_or(usize::MAX)) {
            Ok(b) => b,
            Err(event_envelope::GzipError::TooLarge { cap }) => return too_large(cap),
            Err(e) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    json!({"error": "body is not gzip", "detail": e.to_string()}),
                );
            }
        }
    } else {
        body.to_vec()
    };
    if let Some(c) = cap.filter(|c| plain.len() > *c) {
        return too_large(c);
    }
    // Event by event: a malformed or invalid event is rejected by its id, the others are
    // stored; only a body that is not a batch at all is a 400.
    let batch = match ReceivedBatch::from_slice(&plain) {
        Ok(b) => b,
        Err(BatchBodyError::NotJson(e)) => return not_json(&e),
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                json!({"error": "Batch validation failed", "details": e.to_string(), "code": e.code()}),
            );
        }
    };
    let mut state = shared.state();
    if batch
        .accepted()
        .any(|e| state.poison_ids.contains(&e.event_id))
    {
        return error(
            StatusCode::BAD_REQUEST,
            json!({"error": "Batch validation failed", "details": "one or more events are invalid"}),
        );
    }
    // A `ResultLimit` fault answers (and stores) only the first events.
    let take = limit.map_or(usize::MAX, |l| l.0.0);
    let mut results = Vec::new();
    for outcome in batch.events.iter().take(take) {
        results.push(match outcome {
            Ok(e) if state.reject_ids.contains(&e.event_id) => EventResult::rejected(
                e.event_id.clone(),
                "Invalid payload: rejected by the test server",
            ),
            Ok(e) if state.event_ids.insert(e.event_id.clone()) => {
                EventResult::success(e.event_id.clone())
            }
            Ok(e) => EventResult::duplicate(e.event_id.clone()),
            // A refused event without a readable id: only a 400 names it.
            Err(r) => match r.to_result() {
                Some(result) => result,
                None => return error(StatusCode::BAD_REQUEST, batch.http_400().to_value()),
            },
        });
    }
    let answer = event_envelope::BatchResponse::new(results);
    (StatusCode::OK, Json(answer)).into_response()
}
