//! A project, credentials file and cache laid out exactly as the Python `spec-kitty-cli`
//! 2.1.0 writes them (text captured from that CLI) read back with the same bindings, issues,
//! mappings and checkpoint.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers
#![allow(clippy::disallowed_methods)] // tests lay out fixture files directly

use std::fs;

use routing_core::CredentialValue;
use spec_kitty_home::{CredentialStore, ProjectConfig, SpecKittyHome, find_project_root};
use tracker_store::{IssueCache, binding_scope, cache_path};

/// `.kittify/config.yaml` after `spec-kitty tracker bind --provider Jira ...` (ruamel.yaml).
const PY_CONFIG: &str = "\
# project settings
project:
  uuid: 550e8400-e29b-41d4-a716-446655440000  # identity
  slug: spec-kitty

agents:
- claude
tracker:
  provider: jira
  workspace: acme.atlassian.net
  doctrine:
    mode: external_authoritative
    field_owners: {}
";

/// `~/.spec-kitty/credentials` as the Python CLI writes it (`toml.dumps`).
const PY_CREDENTIALS: &str = "\
[tracker.providers.jira]
project_key = \"ACME\"
base_url = \"https://acme.atlassian.net\"
email = \"dev@example.com\"
api_token = \"sekrit\"
";

/// The Python CLI's DDL, verbatim (including its indentation).
const PY_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tracker_issues (
                    identity TEXT PRIMARY KEY,
                    system TEXT NOT NULL,
                    workspace TEXT NOT NULL,
                    issue_id TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    updated_at TEXT
                );
CREATE TABLE IF NOT EXISTS tracker_checkpoints (
                    checkpoint_key TEXT PRIMARY KEY,
                    cursor TEXT,
                    updated_since TEXT
                );
CREATE TABLE IF NOT EXISTS tracker_mappings (
                    wp_id TEXT NOT NULL,
                    system TEXT NOT NULL,
                    workspace TEXT NOT NULL,
                    external_id TEXT NOT NULL,
                    external_key TEXT,
                    external_url TEXT,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL,
                    PRIMARY KEY (wp_id, system),
                    UNIQUE (system, workspace, external_id)
                );
";

/// Issue payloads as Python's `json.dumps(..., separators=(",", ":"))` writes them
/// (ASCII-escaped), one with an unknown status and type and missing optional keys.
const PY_ISSUE_1: &str = r#"{"ref":{"system":"jira","workspace":"acme.atlassian.net","id":"10001","key":"ACME-1","url":"https://acme.atlassian.net/browse/ACME-1"},"title":"R\u00e9sum\u00e9 export","body":null,"status":"in_progress","issue_type":"story","priority":2,"assignees":["dev@example.com"],"labels":["tracker"],"parent":null,"links":[],"custom_fields":{},"created_at":"2026-02-11T09:00:00+00:00","updated_at":"2026-02-12T10:00:00+00:00","raw":null}"#;
const PY_ISSUE_2: &str = r#"{"ref":{"system":"jira","workspace":"acme.atlassian.net","id":"10002"},"title":"Legacy row","status":"WONT_FIX","issue_type":"initiative"}"#;

#[test]
fn a_python_bound_project_reads_back_the_same() {
    let root = tempfile::tempdir().unwrap();
    let project = root.path().join("proj");
    fs::create_dir_all(project.join(".kittify")).unwrap();
    fs::create_dir_all(project.join("src")).unwrap();
    fs::write(project.join(".kittify/config.yaml"), PY_CONFIG).unwrap();
    let home =
        SpecKittyHome::resolve(None, Some(root.path().join("home").to_str().unwrap())).unwrap();
    fs::create_dir_all(home.dir()).unwrap();
    fs::write(home.credentials_path(), PY_CREDENTIALS).unwrap();

    // The binding.
    let found = find_project_root(&project.join("src")).unwrap();
    let config = ProjectConfig::at_root(&found);
    let tracker = config.tracker().unwrap();
    assert_eq!(tracker.binding(), Some(("jira", "acme.atlassian.net")));
    assert_eq!(tracker.doctrine_mode, "external_authoritative");
    assert!(tracker.field_owners.is_empty());
    let identity = config.identity();
    assert_eq!(
        identity.uuid.as_deref(),
        Some("550e8400-e29b-41d4-a716-446655440000")
    );
    assert_eq!(identity.slug.as_deref(), Some("spec-kitty"));
    let creds = CredentialStore::new(&home).get_provider("jira").unwrap();
    assert_eq!(creds["project_key"], CredentialValue::String("ACME".into()));
    assert_eq!(
        routing_core::derive_routing("jira", &creds)
            .unwrap()
            .resource_id(),
        "ACME"
    );

    // The cache, at the path the Python CLI uses.
    let scope = binding_scope("jira", "acme.atlassian.net", &creds);
    assert_eq!(scope, "7198e1419cc5e561");
    let path = cache_path(&home, &scope);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(PY_SCHEMA).unwrap();
        for (id, payload) in [("10001", PY_ISSUE_1), ("10002", PY_ISSUE_2)] {
            conn.execute(
                "INSERT INTO tracker_issues VALUES(?1, 'jira', 'acme.atlassian.net', ?2, ?3, '2026-11-24T02:02:20.247388+00:00')",
                rusqlite::params![format!("jira:acme.atlassian.net:{id}"), id, payload],
            )
            .unwrap();
        }
        conn.execute(
            "INSERT INTO tracker_mappings VALUES('WP01','jira','acme.atlassian.net','10001','ACME-1',NULL,'2026-11-24T02:02:20.247388+00:00','2026-11-24T02:02:20.247388+00:00')",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO tracker_checkpoints VALUES('jira:acme.atlassian.net','cursor-9','2026-02-12T11:30:15+00:00')",
            [],
        )
        .unwrap();
    }
    let cache = IssueCache::open(&path).unwrap();
    let issues = cache.list_issues("jira").unwrap();
    assert_eq!(issues.len(), 2);
    assert_eq!(issues[0].payload["title"], "Résumé export");
    assert_eq!(
        issues[1].payload["status"], "WONT_FIX",
        "unknown values are read as they are"
    );
    assert!(issues[1].payload.get("priority").is_none());
    let maps = cache.list_mappings().unwrap();
    assert_eq!(maps.len(), 1);
    assert_eq!(maps[0].external_key.as_deref(), Some("ACME-1"));
    assert_eq!(maps[0].external_url, None);
    let cp = cache
        .get_checkpoint("jira:acme.atlassian.net")
        .unwrap()
        .unwrap();
    assert_eq!(cp.cursor.as_deref(), Some("cursor-9"));
}
