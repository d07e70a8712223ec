//! An example SaaS receiver of both spec-kitty contracts on the public API of `routing-core`
//! and `event-envelope` only. `saas-receiver [ADDR] [MAPPINGS.json]` (a list of routing keys,
//! each with a `target`) prints `listening on http://ADDR`.

#![allow(clippy::print_stdout)] // the binary says where it listens

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, routing::post};
use event_envelope::{BATCH_PATH, EventResult, GzipError, ReceivedBatch, gunzip, is_gzip};
use routing_core::{Resolution, RoutingKey, RoutingTable, SNAPSHOT_PATH, validate_snapshot_slice};
use serde_json::{Value, json};

const MAX_BATCH: usize = 1 << 20; // the largest batch, decoded (the SaaS's limit)

/// The mappings the SaaS knows, and the event ids it has stored.
struct App(RoutingTable<String>, Mutex<BTreeSet<String>>);

fn answer(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

/// Validates a snapshot and resolves its routing key: exact, else the workspace's entry.
async fn snapshot(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let key = match validate_snapshot_slice(&body) {
        Ok(key) => key,
        Err(e) => return answer(StatusCode::UNPROCESSABLE_ENTITY, json!({"error": e})),
    };
    let (resolution, target) = match app.0.resolve(&key) {
        Some(Resolution::Exact(t)) => ("exact", Some(t)),
        Some(Resolution::WorkspaceFallback(t)) => ("workspace_fallback", Some(t)),
        None => ("unresolved", None),
    };
    let body = json!({"routing_key": key, "resolution": resolution, "target": target});
    answer(StatusCode::ACCEPTED, body)
}

/// The body, gunzipped when it says so, at most [`MAX_BATCH`] bytes either way.
fn decode(headers: &HeaderMap, body: &[u8]) -> Result<Vec<u8>, GzipError> {
    let encoding = headers.get(header::CONTENT_ENCODING);
    match (is_gzip(encoding.and_then(|v| v.to_str().ok())), body.len()) {
        (true, _) => gunzip(body, MAX_BATCH),
        (false, n) if n > MAX_BATCH => Err(GzipError::TooLarge { cap: MAX_BATCH }),
        (false, _) => Ok(body.to_vec()),
    }
}

/// Answers a batch event by event: stored, duplicate, or rejected by its `event_id`.
async fn batch(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    let body = match decode(&headers, &body) {
        Ok(body) => body,
        Err(e) => {
            let status = match e {
                GzipError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                _ => StatusCode::BAD_REQUEST,
            };
            return answer(status, json!({"error": e.to_string(), "code": e.code()}));
        }
    };
    let batch = match ReceivedBatch::from_slice(&body) {
        Ok(batch) => batch,
        Err(e) => {
            let body = json!({"error": "Batch validation failed", "details": [e]});
            return answer(StatusCode::BAD_REQUEST, body);
        }
    };
    let mut stored = app.1.lock().unwrap_or_else(PoisonError::into_inner);
    let results = batch.response(|e| {
        if stored.insert(e.event_id.clone()) {
            EventResult::success(e.event_id.clone())
        } else {
            EventResult::duplicate(e.event_id.clone())
        }
    });
    match results {
        Some(results) => answer(StatusCode::OK, json!(results)),
        None => answer(StatusCode::BAD_REQUEST, batch.http_400().to_value()),
    }
}

#[derive(serde::Deserialize)]
struct Mapping {
    #[serde(flatten)]
    key: RoutingKey,
    target: String,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let text = match args.next() {
        Some(path) => std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?,
        None => "[]".to_owned(),
    };
    let list: Vec<Mapping> = serde_json::from_str(&text).map_err(|e| format!("mappings: {e}"))?;
    let mappings = list.into_iter().map(|m| (m.key, m.target)).collect();
    let app = Arc::new(App(mappings, Mutex::default()));
    let routes = axum::Router::new()
        .route(SNAPSHOT_PATH, post(snapshot))
        .route(BATCH_PATH, post(batch))
        .layer(DefaultBodyLimit::max(8 << 20))
        .with_state(app);
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| e.to_string())?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    println!("listening on http://{local}");
    axum::serve(listener, routes)
        .await
        .map_err(|e| e.to_string())
}
