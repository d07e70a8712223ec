//! Golden tests: the envelope schema is pinned, and every batch fixture round-trips.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers
#![allow(clippy::print_stderr)] // a skipped fixture test says why

use std::fs;
use std::path::PathBuf;

use event_envelope::{BatchRequest, Envelope, FIELDS};
use serde_json::{Value, json};

/// The workspace's `fixtures/`, when this crate is built inside the workspace; from a
/// published crate the fixture tests say they are skipped and pass.
fn fixtures() -> Option<PathBuf> {
    let dir = repo().join("fixtures");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: no workspace fixtures/ beside this crate");
        None
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: PathBuf) -> Value {
    serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap()
}

#[test]
fn field_table_matches_the_golden_schema() {
    let golden =
        read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/envelope-schema.json"));
    let ours: Vec<Value> = FIELDS
        .iter()
        .map(|f| json!({"name": f.name, "type": f.json_type.as_str(), "nullable": f.nullable}))
        .collect();
    assert_eq!(
        Value::Array(ours),
        golden["fields"],
        "the envelope changed: FR-009 forbids it"
    );
    assert_eq!(FIELDS.len(), 15);
}

/// The event of `fixtures/batch/fixture_05_http_400_error.json` (null git metadata).
fn sample() -> Envelope {
    Envelope::from_value(&json!({
        "event_id": "01JMBYC4D5E6F7G8H9J0K1WABN", "event_type": "WPStatusChanged",
        "aggregate_id": "WP01", "aggregate_type": "WorkPackage",
        "payload": {"wp_id": "WP01", "from_lane": "planned", "to_lane": "in_progress",
                    "actor": "agent", "feature_slug": null},
        "timestamp": "2026-02-12T13:00:00+00:00", "node_id": "a1b2c3d4e5f6",
        "lamport_clock": 30, "causation_id": null, "team_slug": "priivacy",
        "project_uuid": "550e8400-e29b-41d4-a716-446655440000", "project_slug": "spec-kitty",
        "git_branch": null, "head_commit_sha": null, "repo_slug": null
    }))
    .unwrap()
}

#[test]
fn the_inline_sample_is_fixture_05s_event() {
    let Some(dir) = fixtures() else { return };
    let doc = read(dir.join("batch/fixture_05_http_400_error.json"));
    assert_eq!(sample().to_value(), doc["request"]["events"][0]);
}

#[test]
fn serialization_has_the_golden_keys_order_types_and_nulls() {
    let v = sample().to_value();
    let obj = v.as_object().unwrap();
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    let names: Vec<&str> = FIELDS.iter().map(|f| f.name).collect();
    // The wire order is the serialized text's (the struct's field order), whatever the
    // consumer's serde_json features make of a `Value` map's order.
    let wire = serde_json::to_string(&sample()).unwrap();
    let at: Vec<usize> = names
        .iter()
        .map(|n| wire.find(&format!("\"{n}\":")).unwrap())
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "wire order: {wire}");
    assert_eq!(obj.len(), 15);
    keys.sort_unstable();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(keys, sorted, "the same 15 keys");
    for f in FIELDS {
        let value = &obj[f.name];
        let type_ok = match f.json_type.as_str() {
            "string" => value.is_string(),
            "integer" => value.is_i64(),
            "object" => value.is_object(),
            other => panic!("unexpected type {other}"),
        };
        assert!(
            type_ok || (f.nullable && value.is_null()),
            "{}: {value}",
            f.name
        );
    }
    // Fixture 05 has null git metadata: present as null, never omitted.
    assert_eq!(obj["git_branch"], Value::Null);
    assert_eq!(obj["repo_slug"], Value::Null);
    let text = serde_json::to_string(&sample()).unwrap();
    assert!(text.contains("\"head_commit_sha\":null"));
}

#[test]
fn every_batch_fixture_event_round_trips_to_the_same_json() {
    let mut count = 0;
    let Some(dir) = fixtures() else { return };
    for entry in fs::read_dir(dir.join("batch")).unwrap() {
        let doc = read(entry.unwrap().path());
        let request = &doc["request"];
        let parsed = BatchRequest::from_value(request).unwrap();
        assert_eq!(serde_json::to_value(&parsed).unwrap(), *request);
        for (i, e) in request["events"].as_array().unwrap().iter().enumerate() {
            let typed: Envelope = serde_json::from_value(e.clone()).unwrap();
            assert_eq!(typed, parsed.events[i]);
            assert_eq!(typed.to_value(), *e);
            count += 1;
        }
    }
    assert_eq!(count, 7, "the five fixtures carry seven events");
}

#[test]
fn fixture_events_pass_validation_except_the_rejected_one() {
    let Some(dir) = fixtures() else { return };
    for entry in fs::read_dir(dir.join("batch")).unwrap() {
        let path = entry.unwrap().path();
        let doc = read(path.clone());
        for e in BatchRequest::from_value(&doc["request"]).unwrap().events {
            let verdict = e.validate();
            if path.ends_with("fixture_04_rejected_event.json") {
                let errors = verdict.unwrap_err();
                assert_eq!(
                    errors.first().unwrap().rejection_message(),
                    doc["expected_response"]["body"]["results"][0]["error"]
                        .as_str()
                        .unwrap()
                );
            } else {
                verdict.unwrap();
            }
        }
    }
}
