//! The Rust-side check of a tracker snapshot payload's shape and routing, and the
//! idempotency key definition, as the contract states them.

use routing_core::{RoutingKey, SnapshotRouting};
use serde_json::Value;

/// The snapshot payload's top-level keys, in wire order.
pub(crate) const SNAPSHOT_FIELDS: [&str; 11] = [
    "provider",
    "workspace",
    "external_resource_type",
    "external_resource_id",
    "doctrine_mode",
    "doctrine_field_owners",
    "project_uuid",
    "project_slug",
    "issues",
    "mappings",
    "checkpoint",
];

/// The blake3 key-derivation context of the Idempotency-Key (contracts/tracker-snapshot-publish.md).
pub(crate) const IDEMPOTENCY_CONTEXT: &str =
    "spec-kitty-rs 2026-11-24 tracker snapshot publish Idempotency-Key v1";

/// The Idempotency-Key of a request body: blake3 derive-key over the exact bytes, hex.
pub(crate) fn idempotency_key(body: &[u8]) -> String {
    blake3::derive_key(IDEMPOTENCY_CONTEXT, body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn nullable_str<'a>(
    obj: &'a serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<&'a str>, String> {
    match obj.get(key) {
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Null) | None => Ok(None),
        Some(_) => Err(format!("snapshot field `{key}` must be a string or null")),
    }
}

/// Checks the keys and the routing of a snapshot payload; the message of the first problem.
pub(crate) fn validate(payload: &Value) -> Result<(), String> {
    let obj = payload
        .as_object()
        .ok_or_else(|| "a snapshot payload must be a JSON object".to_owned())?;
    if let Some(missing) = SNAPSHOT_FIELDS.iter().find(|f| !obj.contains_key(**f)) {
        return Err(format!("missing snapshot field `{missing}`"));
    }
    if let Some(unknown) = obj.keys().find(|k| !SNAPSHOT_FIELDS.contains(&k.as_str())) {
        return Err(format!("unknown snapshot field `{unknown}`"));
    }
    let provider = obj["provider"]
        .as_str()
        .ok_or_else(|| "snapshot field `provider` must be a string".to_owned())?;
    let workspace = obj["workspace"]
        .as_str()
        .ok_or_else(|| "snapshot field `workspace` must be a string".to_owned())?;
    let routing = SnapshotRouting::from_fields(
        nullable_str(obj, "external_resource_type")?,
        nullable_str(obj, "external_resource_id")?,
    )
    .map_err(|e| e.to_string())?;
    RoutingKey::from_snapshot(provider, workspace, routing).map_err(|e| e.to_string())?;
    Ok(())
}
