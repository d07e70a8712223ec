//! Strict parsing: every shape error names its key.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use event_envelope::{Envelope, FIELDS, ParseError};
use serde_json::{Value, json};

fn base() -> Value {
    json!({
        "event_id": "01JMBY7K8N3QRVX2DPFG5HWT4E", "event_type": "WPStatusChanged",
        "aggregate_id": "WP01", "aggregate_type": "WorkPackage",
        "payload": {"wp_id": "WP01", "from_lane": "planned", "to_lane": "in_progress"},
        "timestamp": "2026-02-12T10:00:00+00:00", "node_id": "n1", "lamport_clock": 1,
        "causation_id": null, "team_slug": "t", "project_uuid": null, "project_slug": null,
        "git_branch": null, "head_commit_sha": null, "repo_slug": null
    })
}

#[test]
fn a_sixteenth_key_is_named() {
    let mut v = base();
    v["extra"] = json!(1);
    let err = Envelope::from_value(&v).unwrap_err();
    assert_eq!(err, ParseError::UnknownField("extra".into()));
    assert_eq!(err.field(), Some("extra"));
    assert!(err.to_string().contains("`extra`"));
}

#[test]
fn every_missing_key_is_named() {
    for f in FIELDS {
        let mut v = base();
        v.as_object_mut().unwrap().remove(f.name);
        assert_eq!(
            Envelope::from_value(&v).unwrap_err(),
            ParseError::MissingField(f.name)
        );
    }
}

#[test]
fn every_wrong_type_is_named() {
    for f in FIELDS {
        for bad in [json!(true), json!([1]), json!(1.5)] {
            let mut v = base();
            v[f.name] = bad.clone();
            let err = Envelope::from_value(&v).unwrap_err();
            assert_eq!(err.field(), Some(f.name), "{} = {bad}", f.name);
            assert!(matches!(err, ParseError::WrongType { .. }));
        }
        let mut v = base();
        v[f.name] = Value::Null;
        let r = Envelope::from_value(&v);
        assert_eq!(r.is_ok(), f.nullable, "{} = null", f.name);
    }
}

#[test]
fn huge_and_fractional_clocks_are_wrong_types() {
    for bad in [json!(1.0), json!(u64::MAX), json!("1")] {
        let mut v = base();
        v["lamport_clock"] = bad;
        assert!(matches!(
            Envelope::from_value(&v),
            Err(ParseError::WrongType {
                field: "lamport_clock",
                ..
            })
        ));
    }
}

#[test]
fn non_objects_and_bad_json_are_errors() {
    assert_eq!(
        Envelope::from_value(&json!([])).unwrap_err(),
        ParseError::NotAnObject
    );
    assert!(matches!(Envelope::from_json("{"), Err(ParseError::Json(_))));
    let err = serde_json::from_value::<Envelope>(json!({"event_id": 1})).unwrap_err();
    assert!(err.to_string().contains("event_id"), "{err}");
}
