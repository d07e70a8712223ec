//! The tracker snapshot's wire constants, shared by the sender and every receiver.

/// The path of the snapshot endpoint, below the SaaS base URL.
pub const SNAPSHOT_PATH: &str = "/api/v1/connectors/trackers/snapshots/";

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
