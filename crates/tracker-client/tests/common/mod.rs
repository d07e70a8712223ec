//! Shared set-up: a temp home with a real SQLite cache, and a binding.

#![allow(
    dead_code,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)] // test helpers

use routing_core::CredentialValue;
use serde_json::Value;
use spec_kitty_home::{Credentials, ProjectIdentity, TrackerConfig};
use tracker_client::SnapshotSource;
use tracker_store::{CanonicalIssue, Checkpoint, IssueCache, IssueRef};

pub(crate) struct Env {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) cache: IssueCache,
}

pub(crate) fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let cache = IssueCache::open(&dir.path().join("home/.spec-kitty/trackers/t.db")).unwrap();
    Env { dir, cache }
}

pub(crate) fn creds(pairs: &[(&str, &str)]) -> Credentials {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), CredentialValue::String((*v).to_owned())))
        .collect()
}

pub(crate) fn source(provider: &str, workspace: &str, credentials: &Credentials) -> SnapshotSource {
    let config = TrackerConfig {
        provider: Some(provider.into()),
        workspace: Some(workspace.into()),
        ..TrackerConfig::default()
    };
    let identity = ProjectIdentity {
        uuid: Some("550e8400-e29b-41d4-a716-446655440000".into()),
        slug: Some("spec-kitty".into()),
    };
    SnapshotSource::new(&config, identity, credentials).unwrap()
}

pub(crate) fn issue(system: &str, workspace: &str, id: &str, title: &str) -> CanonicalIssue {
    CanonicalIssue {
        reference: IssueRef {
            system: system.into(),
            workspace: workspace.into(),
            id: id.into(),
            key: Some(format!("K-{id}")),
            url: None,
        },
        title: title.into(),
        body: Some("body".into()),
        status: "todo".into(),
        issue_type: "task".into(),
        priority: Some(1),
        assignees: vec!["dev@example.com".into()],
        labels: vec![],
        parent: None,
        links: vec![],
        custom_fields: Default::default(),
        created_at: None,
        updated_at: Some("2026-02-12T10:00:00Z".into()),
        raw: None,
    }
}

/// Seeds a cache from a snapshot fixture's payload; returns the source of its binding.
pub(crate) fn seed_from_fixture(cache: &mut IssueCache, doc: &Value) -> SnapshotSource {
    let p = &doc["payload"];
    for i in p["issues"].as_array().unwrap() {
        let mut full = i.clone();
        let obj = full.as_object_mut().unwrap();
        for (k, v) in [
            ("parent", Value::Null),
            ("links", Value::Array(vec![])),
            ("custom_fields", Value::Object(Default::default())),
            ("created_at", Value::Null),
            ("raw", Value::Null),
        ] {
            obj.insert(k.into(), v);
        }
        let issue: CanonicalIssue = serde_json::from_value(full).unwrap();
        cache
            .upsert_issue(&issue, "2026-02-12T00:00:00+00:00")
            .unwrap();
    }
    for m in p["mappings"].as_array().unwrap() {
        let r = IssueRef {
            system: m["system"].as_str().unwrap().into(),
            workspace: m["workspace"].as_str().unwrap().into(),
            id: m["external_id"].as_str().unwrap().into(),
            key: m["external_key"].as_str().map(Into::into),
            url: m["external_url"].as_str().map(Into::into),
        };
        let wp = m["wp_id"].as_str().unwrap();
        cache
            .upsert_mapping(wp, &r, m["created_at"].as_str().unwrap())
            .unwrap();
        cache
            .upsert_mapping(wp, &r, m["updated_at"].as_str().unwrap())
            .unwrap();
    }
    let b = &doc["binding"];
    let provider = b["provider"].as_str().unwrap();
    let workspace = b["workspace"].as_str().unwrap();
    let credentials: Credentials = b["credentials"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => CredentialValue::String(s.clone()),
                Value::Number(n) => CredentialValue::Integer(n.as_i64().unwrap()),
                _ => CredentialValue::Other,
            };
            (k.clone(), v)
        })
        .collect();
    let cp = &p["checkpoint"];
    if !cp["cursor"].is_null() || !cp["updated_since"].is_null() {
        let key = format!(
            "{}:{}",
            routing_core::normalize_provider(provider),
            workspace
        );
        cache
            .set_checkpoint(
                &key,
                &Checkpoint {
                    cursor: cp["cursor"].as_str().map(Into::into),
                    updated_since: cp["updated_since"].as_str().map(Into::into),
                },
            )
            .unwrap();
    }
    let config = TrackerConfig {
        provider: Some(provider.into()),
        workspace: Some(workspace.into()),
        doctrine_mode: p["doctrine_mode"].as_str().unwrap().into(),
        field_owners: p["doctrine_field_owners"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect(),
    };
    let identity = ProjectIdentity {
        uuid: p["project_uuid"].as_str().map(Into::into),
        slug: p["project_slug"].as_str().map(Into::into),
    };
    SnapshotSource::new(&config, identity, &credentials).unwrap()
}
