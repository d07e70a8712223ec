//! The snapshot payload contract as the receiving side checks it (see
//! `contracts/tracker-snapshot-publish.md`).

use routing_core::{RoutingKey, SnapshotRouting};
use serde_json::{Map, Value};

/// The snapshot payload's top-level keys, in wire order.
pub const SNAPSHOT_FIELDS: [&str; 11] = [
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

fn nullable_str<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, String> {
    match obj.get(key) {
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Null) | None => Ok(None),
        Some(_) => Err(format!("snapshot field `{key}` must be a string or null")),
    }
}

/// Checks a snapshot payload's keys and routing and returns its routing key.
///
/// # Errors
///
/// The message of the first problem: a missing or unknown key, a wrong type, or a routing
/// error of `routing-core` (one routing field without the other, an unknown wire value, a
/// blank id, a wire value of another provider).
pub fn validate_snapshot(payload: &Value) -> Result<RoutingKey, String> {
    let obj = payload
        .as_object()
        .ok_or_else(|| "a snapshot payload must be a JSON object".to_owned())?;
    if let Some(missing) = SNAPSHOT_FIELDS.iter().find(|f| !obj.contains_key(**f)) {
        return Err(format!("missing snapshot field `{missing}`"));
    }
    if let Some(unknown) = obj.keys().find(|k| !SNAPSHOT_FIELDS.contains(&k.as_str())) {
        return Err(format!("unknown snapshot field `{unknown}`"));
    }
    let string = |k: &str| {
        obj[k]
            .as_str()
            .ok_or_else(|| format!("snapshot field `{k}` must be a string"))
    };
    let (provider, workspace) = (string("provider")?, string("workspace")?);
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
            return Err(format!("snapshot field `{k}` has the wrong type"));
        }
    }
    let routing = SnapshotRouting::from_fields(
        nullable_str(obj, "external_resource_type")?,
        nullable_str(obj, "external_resource_id")?,
    )
    .map_err(|e| e.to_string())?;
    RoutingKey::from_snapshot(provider, workspace, routing).map_err(|e| e.to_string())
}
