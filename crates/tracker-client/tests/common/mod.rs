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
use tracker_store::{CanonicalIssue, IssueCache, IssueRef};

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
/// A binding's credentials as a fixture's JSON object lists them.
pub(crate) fn creds_from_json(v: &Value) -> Credentials {
    v.as_object()
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
        .collect()
}
