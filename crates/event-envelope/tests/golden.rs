//! Golden tests: the envelope schema is pinned, and every batch fixture round-trips.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use std::fs;
use std::path::PathBuf;

use event_envelope::{BatchRequest, Envelope, FIELDS};
use serde_json::{Value, json};

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

fn sample() -> Envelope {
    let doc = read(repo().join("fixtures/batch/fixture_05_http_400_error.json"));
    Envelope::from_value(&doc["request"]["events"][0]).unwrap()
}

#[test]
fn serialization_has_the_golden_keys_order_types_and_nulls() {
    let v = sample().to_value();
    let obj = v.as_object().unwrap();
    let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    let names: Vec<&str> = FIELDS.iter().map(|f| f.name).collect();
    assert_eq!(keys, names, "wire order");
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
    for entry in fs::read_dir(repo().join("fixtures/batch")).unwrap() {
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
    for entry in fs::read_dir(repo().join("fixtures/batch")).unwrap() {
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
