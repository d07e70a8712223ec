//! The SQLite issue cache: round-trips, ordering, streaming, corrupt and foreign files.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers
#![allow(clippy::disallowed_methods)] // tests lay out fixture files directly

use std::fs;

use serde_json::json;
use spec_kitty_home::SpecKittyHome;
use tracker_store::{
    CanonicalIssue, Checkpoint, IssueCache, IssueRef, StoreError, binding_scope, cache_path,
    cache_scope,
};

fn issue(system: &str, id: &str, title: &str) -> CanonicalIssue {
    CanonicalIssue {
        reference: IssueRef {
            system: system.into(),
            workspace: "acme".into(),
            id: id.into(),
            key: Some(format!("K-{id}")),
            url: None,
        },
        title: title.into(),
        body: None,
        status: "todo".into(),
        issue_type: "task".into(),
        priority: Some(2),
        assignees: vec![],
        labels: vec!["x".into()],
        parent: None,
        links: vec![],
        custom_fields: Default::default(),
        created_at: None,
        updated_at: Some("2026-02-12T10:00:00+00:00".into()),
        raw: None,
    }
}

fn cache() -> (tempfile::TempDir, IssueCache) {
    let dir = tempfile::tempdir().unwrap();
    let c = IssueCache::open(&dir.path().join("trackers/x.db")).unwrap();
    (dir, c)
}

#[test]
fn scope_matches_the_python_cli() {
    // Values computed with the Python CLI's build_tracker_scope.
    assert_eq!(
        cache_scope(
            "jira",
            "acme.atlassian.net",
            Some("https://acme.atlassian.net"),
            Some("dev@example.com"),
            None
        ),
        "7198e1419cc5e561"
    );
    let creds = [
        (
            "base_url".to_owned(),
            routing_core::CredentialValue::String("https://acme.atlassian.net".into()),
        ),
        (
            "email".to_owned(),
            routing_core::CredentialValue::String("dev@example.com".into()),
        ),
    ]
    .into();
    assert_eq!(
        binding_scope("jira", "acme.atlassian.net", &creds),
        "7198e1419cc5e561"
    );
    // Fallbacks, trimming and case.
    assert_eq!(
        cache_scope(" JIRA ", "Acme.Atlassian.Net", Some(""), None, Some("")),
        cache_scope(
            "jira",
            "acme.atlassian.net",
            Some("local"),
            Some("anonymous"),
            Some("no-team")
        )
    );
    let home = SpecKittyHome::at("/h/.spec-kitty");
    assert_eq!(
        cache_path(&home, "abc"),
        std::path::Path::new("/h/.spec-kitty/trackers/abc.db")
    );
}

#[test]
fn issues_round_trip_in_identity_order_per_system() {
    let (_d, mut c) = cache();
    for (sys, id) in [
        ("jira", "2"),
        ("jira", "10"),
        ("linear", "1"),
        ("jira", "1"),
    ] {
        c.upsert_issue(&issue(sys, id, "t"), "2026-02-12T10:00:00+00:00")
            .unwrap();
    }
    let ids: Vec<String> = c
        .list_issues("jira")
        .unwrap()
        .into_iter()
        .map(|r| r.identity)
        .collect();
    assert_eq!(
        ids,
        ["jira:acme:1", "jira:acme:10", "jira:acme:2"],
        "string order, as Python"
    );
    assert_eq!(c.count_issues("jira").unwrap(), 3);
    let row = c.get_issue("jira:acme:10").unwrap().unwrap();
    let back: CanonicalIssue = serde_json::from_value(row.payload.clone()).unwrap();
    assert_eq!(back, issue("jira", "10", "t"));
    let keys: Vec<&str> = row
        .payload
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys[..3], ["ref", "title", "body"]);
    c.upsert_issue(&issue("jira", "10", "renamed"), "2026-02-13T00:00:00+00:00")
        .unwrap();
    let row = c.get_issue("jira:acme:10").unwrap().unwrap();
    assert_eq!(row.payload["title"], "renamed");
    assert_eq!(row.updated_at.as_deref(), Some("2026-02-13T00:00:00+00:00"));
    assert!(c.delete_issue("jira:acme:10").unwrap());
    assert!(!c.delete_issue("jira:acme:10").unwrap());
    assert!(c.get_issue("jira:acme:10").unwrap().is_none());
}

#[test]
fn streaming_stops_at_the_callers_error() {
    let (_d, mut c) = cache();
    for i in 0..5 {
        c.upsert_issue(&issue("jira", &i.to_string(), "t"), "n")
            .unwrap();
    }
    let mut seen = 0;
    let r = c.for_each_issue("jira", |_| {
        seen += 1;
        if seen == 3 {
            Err(StoreError::InvalidRef("stop".into()))
        } else {
            Ok(())
        }
    });
    assert!(r.is_err());
    assert_eq!(seen, 3);
}

#[test]
fn blank_references_are_refused() {
    let (_d, mut c) = cache();
    let mut i = issue("jira", "1", "t");
    i.reference.workspace = " ".into();
    assert!(matches!(
        c.upsert_issue(&i, "n"),
        Err(StoreError::InvalidRef(_))
    ));
}

#[test]
fn checkpoints_round_trip() {
    let (_d, mut c) = cache();
    assert_eq!(c.get_checkpoint("jira:acme").unwrap(), None);
    let cp = Checkpoint {
        cursor: Some("c1".into()),
        updated_since: Some("2026-02-12T10:00:00+00:00".into()),
    };
    c.set_checkpoint("jira:acme", &cp).unwrap();
    c.set_checkpoint("linear:acme", &Checkpoint::default())
        .unwrap();
    assert_eq!(c.get_checkpoint("jira:acme").unwrap(), Some(cp));
    assert_eq!(
        c.get_checkpoint("linear:acme").unwrap(),
        Some(Checkpoint::default())
    );
}

#[test]
fn mappings_are_one_per_wp_and_system_and_one_per_external_issue() {
    let (_d, mut c) = cache();
    let r = |id: &str| IssueRef {
        system: "jira".into(),
        workspace: "acme".into(),
        id: id.into(),
        key: None,
        url: None,
    };
    c.upsert_mapping("WP02", &r("20"), "t1").unwrap();
    c.upsert_mapping("WP01", &r("10"), "t1").unwrap();
    c.upsert_mapping(
        "WP01",
        &IssueRef {
            system: "linear".into(),
            ..r("L1")
        },
        "t1",
    )
    .unwrap();
    c.upsert_mapping("WP01", &r("11"), "t2").unwrap(); // remap WP01/jira
    let m = c.list_mappings().unwrap();
    let rows: Vec<(&str, &str, &str, &str, &str)> = m
        .iter()
        .map(|m| {
            (
                m.wp_id.as_str(),
                m.system.as_str(),
                m.external_id.as_str(),
                m.created_at.as_str(),
                m.updated_at.as_str(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("WP01", "jira", "11", "t1", "t2"),
            ("WP01", "linear", "L1", "t1", "t1"),
            ("WP02", "jira", "20", "t1", "t1")
        ]
    );
    let err = c.upsert_mapping("WP03", &r("20"), "t3").unwrap_err();
    assert_eq!(
        err.to_string(),
        "jira issue 20 in acme is already mapped to WP02; remove that mapping first"
    );
    assert_eq!(c.list_mappings().unwrap().len(), 3);
}

#[test]
fn a_corrupt_file_is_an_error_and_is_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.db");
    let junk = b"this is not sqlite, it is a text file the user cares about\n".repeat(100);
    fs::write(&path, &junk).unwrap();
    let err = IssueCache::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("x.db is not a readable SQLite database"),
        "{err}"
    );
    assert_eq!(fs::read(&path).unwrap(), junk);
}

#[test]
fn a_foreign_database_is_an_error_and_is_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    for (name, sql) in [
        (
            "other.db",
            "CREATE TABLE songs(id INTEGER PRIMARY KEY, title TEXT);",
        ),
        (
            "layout.db",
            "CREATE TABLE tracker_issues(identity TEXT PRIMARY KEY, body TEXT);",
        ),
    ] {
        let path = dir.path().join(name);
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute_batch(sql)
            .unwrap();
        let before = fs::read(&path).unwrap();
        let err = IssueCache::open(&path).unwrap_err();
        assert!(matches!(err, StoreError::ForeignDatabase { .. }), "{err}");
        assert!(
            err.to_string()
                .contains("is not a spec-kitty tracker cache"),
            "{err}"
        );
        assert_eq!(fs::read(&path).unwrap(), before, "{name}");
    }
}

#[test]
fn rows_with_invalid_json_are_reported_by_identity() {
    let (_d, c) = cache();
    rusqlite::Connection::open(c.path())
        .unwrap()
        .execute(
            "INSERT INTO tracker_issues VALUES('jira:acme:9','jira','acme','9','{not json',NULL)",
            [],
        )
        .unwrap();
    let err = c.list_issues("jira").unwrap_err();
    assert!(
        err.to_string()
            .contains("row jira:acme:9 holds invalid JSON"),
        "{err}"
    );
    let _ = json!(null);
}

#[test]
fn regression_13_14_parallel_map_adds_of_one_issue_give_already_mapped_to_the_loser() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    drop(tracker_store::IssueCache::open(&path).unwrap());
    let r = tracker_store::IssueRef {
        system: "jira".into(),
        workspace: "w".into(),
        id: "1".into(),
        key: None,
        url: None,
    };
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let (path, r) = (path.clone(), r.clone());
            std::thread::spawn(move || {
                let mut c = tracker_store::IssueCache::open(&path).unwrap();
                c.upsert_mapping(&format!("WP{i:02}"), &r, "2026-01-01T00:00:00+00:00")
                    .map_err(|e| e.to_string())
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    for e in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(e.contains("already mapped"), "{e}");
        assert!(!e.contains("UNIQUE"), "{e}");
    }
}
