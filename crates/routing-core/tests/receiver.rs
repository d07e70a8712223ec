//! The receiver's API (features `json` and `serde`): whole-snapshot validation with
//! structured errors, the strict and the normalizing key constructors, and the serde path
//! as strict as the contract. The contract's snapshot fixtures are read from the
//! workspace's `fixtures/` when they are there; from a published crate (no workspace)
//! those tests say so and pass.

#![cfg(all(feature = "json", feature = "serde"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers
#![allow(clippy::print_stderr)] // a skipped fixture test says why

use std::path::PathBuf;

use routing_core::{RoutingError, RoutingKey, SnapshotError, SnapshotRouting, validate_snapshot};
use serde_json::{Value, json};

fn payload() -> Value {
    json!({
        "provider": "jira", "workspace": "acme.atlassian.net",
        "external_resource_type": "jira_project", "external_resource_id": "ACME",
        "doctrine_mode": "external_authoritative", "doctrine_field_owners": {},
        "project_uuid": null, "project_slug": null,
        "issues": [], "mappings": [], "checkpoint": {}
    })
}

fn with(f: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    let mut p = payload();
    f(p.as_object_mut().unwrap());
    p
}

fn fixtures() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: no workspace fixtures/ beside this crate");
        None
    }
}

#[test]
fn every_error_has_a_code_a_field_and_the_value_received() {
    let cases: Vec<(Value, &str, Option<&str>, Option<&str>)> = vec![
        (json!([]), "not_an_object", None, None),
        (
            with(|o| {
                o.remove("checkpoint");
            }),
            "missing_field",
            Some("checkpoint"),
            None,
        ),
        (
            with(|o| {
                o.insert("extra".into(), json!(1));
            }),
            "unknown_field",
            Some("extra"),
            Some("extra"),
        ),
        (
            with(|o| {
                o.insert("provider".into(), json!(7));
            }),
            "not_a_string",
            Some("provider"),
            Some("7"),
        ),
        (
            with(|o| {
                o.insert("provider".into(), json!("Jira"));
            }),
            "bad_provider",
            Some("provider"),
            Some("Jira"),
        ),
        (
            with(|o| {
                o.insert("issues".into(), json!({}));
            }),
            "wrong_type",
            Some("issues"),
            None,
        ),
        (
            with(|o| {
                o.insert("external_resource_id".into(), json!(42));
            }),
            "not_a_string_or_null",
            Some("external_resource_id"),
            Some("42"),
        ),
        (
            with(|o| {
                o.remove("external_resource_id");
            }),
            "missing_field",
            Some("external_resource_id"),
            None,
        ),
        (
            with(|o| {
                o.insert("external_resource_id".into(), Value::Null);
            }),
            "routing_partial",
            Some("external_resource_id"),
            None,
        ),
        (
            with(|o| {
                o.insert("external_resource_type".into(), json!("jira_board"));
            }),
            "unknown_resource_type",
            Some("external_resource_type"),
            Some("jira_board"),
        ),
        (
            with(|o| {
                o.insert("external_resource_type".into(), json!("linear_team"));
            }),
            "resource_type_of_other_provider",
            Some("external_resource_type"),
            Some("linear_team"),
        ),
        (
            with(|o| {
                o.insert("external_resource_id".into(), json!("  "));
            }),
            "blank_resource_id",
            Some("external_resource_id"),
            None,
        ),
        (
            with(|o| {
                o.insert("external_resource_id".into(), json!(" ACME"));
            }),
            "untrimmed_resource_id",
            Some("external_resource_id"),
            None,
        ),
        (
            with(|o| {
                o.insert("workspace".into(), json!(" acme "));
            }),
            "untrimmed_workspace",
            Some("workspace"),
            Some(" acme "),
        ),
        (
            with(|o| {
                o.insert("workspace".into(), json!(""));
            }),
            "blank_workspace",
            Some("workspace"),
            None,
        ),
    ];
    for (doc, code, field, value) in cases {
        let e = validate_snapshot(&doc).unwrap_err();
        assert_eq!(
            (e.code(), e.field(), e.value()),
            (code, field, value),
            "{e}"
        );
        let body = serde_json::to_value(&e).unwrap();
        assert_eq!(body["code"], code);
        assert_eq!(body["message"], e.to_string());
        assert_eq!(body["field"], json!(field));
        assert_eq!(body.get("value").and_then(Value::as_str), value);
    }
    let long = "x".repeat(1000);
    let e = validate_snapshot(&with(|o| {
        o.insert("workspace".into(), json!([long]));
    }))
    .unwrap_err();
    assert!(e.value().unwrap().chars().count() <= 201, "values are cut");
    assert!(matches!(
        routing_core::validate_snapshot_slice(b"{not json").unwrap_err(),
        SnapshotError::NotJson(_)
    ));
}

#[test]
fn the_wire_constructor_refuses_what_the_loose_one_normalizes() {
    let routing = || SnapshotRouting::from_fields(Some("jira_project"), Some("ACME")).unwrap();
    let loose = RoutingKey::from_loose_parts(" JIRA ", " acme ", routing()).unwrap();
    assert_eq!((loose.provider(), loose.workspace()), ("jira", "acme"));
    assert_eq!(
        RoutingKey::from_wire_parts(" JIRA ", "acme", routing()),
        Err(RoutingError::UnnormalizedProvider(" JIRA ".into()))
    );
    assert_eq!(
        RoutingKey::from_wire_parts("jira", " acme", routing()),
        Err(RoutingError::UntrimmedWorkspace(" acme".into()))
    );
    assert_eq!(
        RoutingKey::from_wire_parts("jira", "acme", routing()).unwrap(),
        loose
    );
    // A received snapshot with " JIRA " never gets a key: the provider pattern refuses it.
    let e = validate_snapshot(&with(|o| {
        o.insert("provider".into(), json!(" JIRA "));
    }))
    .unwrap_err();
    assert_eq!(e.code(), "bad_provider");
}

#[test]
fn the_serde_path_is_as_strict_as_the_contract() {
    let omitted = json!({"external_resource_type": null});
    let err = serde_json::from_value::<SnapshotRouting>(omitted).unwrap_err();
    assert!(
        err.to_string().contains("external_resource_id is missing"),
        "{err}"
    );
    assert!(serde_json::from_value::<SnapshotRouting>(json!({})).is_err());
    let unrouted: SnapshotRouting = serde_json::from_value(
        json!({"external_resource_type": null, "external_resource_id": null}),
    )
    .unwrap();
    assert_eq!(unrouted, SnapshotRouting::UNROUTED);
    assert_eq!(
        serde_json::to_value(&unrouted).unwrap(),
        json!({"external_resource_type": null, "external_resource_id": null})
    );
    let key = json!({"provider": " JIRA ", "workspace": "acme", "external_resource_type": null, "external_resource_id": null});
    assert!(
        serde_json::from_value::<RoutingKey>(key).is_err(),
        "wire form only"
    );
    let key: RoutingKey = serde_json::from_value(json!({"provider": "jira", "workspace": "acme",
        "external_resource_type": "jira_project", "external_resource_id": "ACME"}))
    .unwrap();
    assert_eq!(key.routing().unwrap().resource_id(), "ACME");
}

#[test]
fn the_contract_fixtures_pass_and_fail_as_the_contract_says() {
    let Some(dir) = fixtures() else { return };
    let mut invalid = 0;
    for entry in std::fs::read_dir(dir.join("invalid")).unwrap() {
        let path = entry.unwrap().path();
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        if doc["kind"] != "snapshot" {
            continue;
        }
        invalid += 1;
        let e = validate_snapshot(&doc["document"]);
        assert!(e.is_err(), "{} must be refused", path.display());
        let serde_says = serde_json::from_value::<RoutingKey>(doc["document"].clone());
        let e = e.unwrap_err();
        if matches!(
            e,
            SnapshotError::Routing(_)
                | SnapshotError::MissingField("external_resource_type" | "external_resource_id")
        ) {
            assert!(
                serde_says.is_err(),
                "{}: the serde path refuses it too",
                path.display()
            );
        }
    }
    assert_eq!(invalid, 6);
    let mut valid = 0;
    for entry in std::fs::read_dir(dir.join("snapshot")).unwrap() {
        let path = entry.unwrap().path();
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        if let Some(p) = doc.get("payload") {
            valid += 1;
            validate_snapshot(p).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            serde_json::from_value::<RoutingKey>(p.clone()).unwrap();
        }
    }
    assert!(valid >= 6, "{valid}");
}
