//! No input makes parsing, validation or categorization panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use event_envelope::{BatchRequest, Details, Envelope, Failure, Http400Body, categorize, formats};
use proptest::prelude::*;
use serde_json::{Value, json};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,30}".prop_map(Value::String),
        "(WP[0-9]{2}|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}[+-Z0-9:]{0,6}|01[0-9A-Z]{24})"
            .prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                "(wp_id|from_lane|to_lane|event_id|payload|x)",
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn arbitrary_field_values_never_panic(field in 0usize..15, value in json_value(), payload in json_value()) {
        let mut v = json!({
            "event_id": "01JMBY7K8N3QRVX2DPFG5HWT4E", "event_type": "WPStatusChanged",
            "aggregate_id": "WP01", "aggregate_type": "WorkPackage", "payload": {},
            "timestamp": "2026-02-12T10:00:00+00:00", "node_id": "n", "lamport_clock": 1,
            "causation_id": null, "team_slug": "t", "project_uuid": null, "project_slug": null,
            "git_branch": null, "head_commit_sha": null, "repo_slug": null
        });
        let name = event_envelope::FIELDS[field].name;
        v[name] = value;
        if payload.is_object() && name != "payload" {
            v["payload"] = payload.clone();
        }
        if let Ok(e) = Envelope::from_value(&v) {
            let _ = e.validate();
            let again = Envelope::from_value(&e.to_value());
            prop_assert_eq!(again, Ok(e));
        }
        let _ = BatchRequest::from_value(&json!({"events": [v]}));
        let _ = Details::from_value(&payload);
        let _ = Http400Body::from_value(&payload);
    }

    #[test]
    fn format_checks_and_categorize_never_panic(s in ".{0,40}", status in any::<u16>()) {
        let _ = formats::parse_iso8601(&s);
        let _ = formats::is_uuid_v4(&s) || formats::is_repo_slug(&s) || formats::is_ulid(&s);
        let _ = categorize(Failure::Http { status, message: &s });
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// A batch answer from any server: parsed or refused, never a panic; a parsed one maps
    /// results by id, and a 400 body's details name only ids that are strings.
    #[test]
    fn any_batch_answer_is_parsed_or_refused(v in json_value(), text in ".{0,60}") {
        let _ = serde_json::from_value::<event_envelope::BatchResponse>(v.clone()).map(|r| r.by_event_id().len());
        let _ = serde_json::from_str::<event_envelope::BatchResponse>(&text);
        if let Some(body) = event_envelope::Http400Body::from_value(&v) {
            let _ = body.details.reasons_by_event_id();
        }
        let d = event_envelope::Details::from_value(&v);
        let _ = (d.entries().len(), d.reasons_by_event_id(), d.to_value());
        let _ = event_envelope::Details::from_value(&Value::String(text));
    }
}
