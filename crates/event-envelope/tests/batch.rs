//! Batch API types and error categorization.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use event_envelope::{
    BatchRequest, BatchRequestError, BatchResponse, Details, ErrorCategory, Failure, Http400Body,
    MAX_BATCH_EVENTS, categorize,
};
use serde_json::{Value, json};

fn event(id: &str) -> Value {
    json!({
        "event_id": id, "event_type": "WPStatusChanged", "aggregate_id": "WP01",
        "aggregate_type": "WorkPackage",
        "payload": {"wp_id": "WP01", "from_lane": "planned", "to_lane": "done"},
        "timestamp": "2026-02-12T10:00:00+00:00", "node_id": "n", "lamport_clock": 1,
        "causation_id": null, "team_slug": "t", "project_uuid": null, "project_slug": null,
        "git_branch": null, "head_commit_sha": null, "repo_slug": null
    })
}

#[test]
fn batch_size_limits() {
    let one = json!({"events": [event("01JMBY7K8N3QRVX2DPFG5HWT4E")]});
    assert_eq!(BatchRequest::from_value(&one).unwrap().events.len(), 1);
    let max = json!({"events": vec![event("01JMBY7K8N3QRVX2DPFG5HWT4E"); MAX_BATCH_EVENTS]});
    assert!(BatchRequest::from_value(&max).is_ok());
    let over = json!({"events": vec![event("01JMBY7K8N3QRVX2DPFG5HWT4E"); MAX_BATCH_EVENTS + 1]});
    assert_eq!(
        BatchRequest::from_value(&over),
        Err(BatchRequestError::TooMany(1001))
    );
    assert_eq!(
        BatchRequest::from_value(&json!({"events": []})),
        Err(BatchRequestError::Empty)
    );
    assert_eq!(
        BatchRequest::from_value(&json!([])),
        Err(BatchRequestError::Shape)
    );
    let mut bad = event("01JMBY7K8N3QRVX2DPFG5HWT4E");
    bad["sixteenth"] = json!(1);
    let err =
        BatchRequest::from_value(&json!({"events": [event("01JMBY7K8N3QRVX2DPFG5HWT4E"), bad]}))
            .unwrap_err();
    assert_eq!(
        err.to_string(),
        "events[1]: unknown envelope field `sixteenth`: the envelope has exactly 15 fields"
    );
}

#[test]
fn results_map_by_event_id_and_accept_both_reason_keys() {
    let body = json!({"results": [
        {"event_id": "B", "status": "rejected", "error_message": "missing field"},
        {"event_id": "A", "status": "duplicate"},
        {"event_id": "C", "status": "rejected", "error": "Invalid payload"},
    ]});
    let resp: BatchResponse = serde_json::from_value(body.clone()).unwrap();
    assert_eq!(serde_json::to_value(&resp).unwrap(), body);
    let by_id = resp.by_event_id();
    assert!(by_id["A"].is_delivered());
    assert_eq!(by_id["B"].reason(), Some("missing field"));
    assert_eq!(by_id["C"].reason(), Some("Invalid payload"));
    assert!(!by_id["C"].is_delivered());
    assert!(
        serde_json::from_value::<BatchResponse>(
            json!({"results": [{"event_id": "A", "status": "ok"}]})
        )
        .is_err()
    );
}

#[test]
fn details_in_all_three_shapes() {
    let list =
        json!([{"event_id": "B", "error": "bad b"}, {"event_id": "A", "error_message": "bad a"}]);
    let d = Details::from_value(&list);
    assert!(matches!(d, Details::List(_)));
    let reasons = d.reasons_by_event_id();
    assert_eq!(reasons["A"], "bad a");
    assert_eq!(reasons["B"], "bad b");
    assert_eq!(d.to_value(), list);

    let encoded = Value::String(list.to_string());
    let d = Details::from_value(&encoded);
    assert!(matches!(d, Details::EncodedList { .. }));
    assert_eq!(d.reasons_by_event_id()["A"], "bad a");
    assert_eq!(d.to_value(), encoded, "the original string is kept");

    let text = json!("project_uuid authorization check failed");
    let d = Details::from_value(&text);
    assert_eq!(
        d,
        Details::Text("project_uuid authorization check failed".into())
    );
    assert!(d.entries().is_empty());

    let body = json!({"error": "Batch validation failed", "details": "plain"});
    let parsed = Http400Body::from_value(&body).unwrap();
    assert_eq!(parsed.to_value(), body);
    assert!(Http400Body::from_value(&json!({"error": "x"})).is_none());
}

#[test]
fn categorization_uses_status_first_then_keywords() {
    use ErrorCategory::*;
    let cases: &[(Failure<'_>, ErrorCategory)] = &[
        (
            Failure::Http {
                status: 401,
                message: "Invalid schema",
            },
            AuthExpired,
        ),
        (
            Failure::Http {
                status: 403,
                message: "",
            },
            AuthExpired,
        ),
        (
            Failure::Http {
                status: 500,
                message: "missing field",
            },
            ServerError,
        ),
        (
            Failure::Http {
                status: 503,
                message: "",
            },
            ServerError,
        ),
        (
            Failure::Http {
                status: 408,
                message: "",
            },
            ServerError,
        ),
        (Failure::Timeout, ServerError),
        (Failure::Message("Token expired or invalid"), AuthExpired),
        (Failure::Message("Unauthorized"), AuthExpired),
        (
            Failure::Message(
                "Invalid payload for ErrorLogged: missing required field 'error_type'",
            ),
            SchemaMismatch,
        ),
        (
            Failure::Http {
                status: 400,
                message: "Invalid schema: project_uuid authorization check failed for team 'priivacy'",
            },
            SchemaMismatch,
        ),
        (Failure::Message("Internal error"), ServerError),
        (Failure::Message("service unavailable"), ServerError),
        (Failure::Message("something odd"), Unknown),
        (Failure::Message(""), Unknown),
    ];
    for (f, want) in cases {
        assert_eq!(categorize(*f), *want, "{f:?}");
    }
    assert_eq!(ErrorCategory::AuthExpired.to_string(), "auth_expired");
    assert_eq!(
        serde_json::to_value(ErrorCategory::SchemaMismatch).unwrap(),
        json!("schema_mismatch")
    );
}

#[test]
fn responses_with_fields_this_version_does_not_know_still_parse() {
    let body = serde_json::json!({
        "results": [
            {"event_id": "01HX0000000000000000000000", "status": "success", "server_seq": 17},
            {"event_id": "01HX0000000000000000000001", "status": "rejected",
             "error": "bad", "retryable": false}
        ],
        "processed_at": "2026-11-25T10:00:00Z"
    });
    let r: event_envelope::BatchResponse = serde_json::from_value(body).unwrap();
    assert_eq!(r.results.len(), 2);
    assert_eq!(r.results[1].reason(), Some("bad"));
    // The request side stays strict.
    let req = serde_json::json!({"events": [], "extra": 1});
    assert!(event_envelope::BatchRequest::from_value(&req).is_err());
}

#[test]
fn an_unknown_event_type_error_carries_the_value() {
    let err = "WPDeleted"
        .parse::<event_envelope::EventType>()
        .unwrap_err();
    assert_eq!(err.0, "WPDeleted");
    assert!(err.to_string().contains("\"WPDeleted\""), "{err}");
    assert!(err.to_string().contains("WPStatusChanged"), "{err}");
}

/// What parsing the text into a JSON tree and calling `from_value` gives, in
/// `from_slice`'s terms: `Err(None)` for text that is not JSON.
fn via_tree(text: &[u8]) -> Result<BatchRequest, Option<BatchRequestError>> {
    let v: Value = serde_json::from_slice(text).map_err(|_| None)?;
    BatchRequest::from_value(&v).map_err(Some)
}

fn via_stream(text: &[u8]) -> Result<BatchRequest, Option<BatchRequestError>> {
    BatchRequest::from_slice(text).map_err(|e| match e {
        event_envelope::BatchBodyError::NotJson(_) => None,
        event_envelope::BatchBodyError::Request(r) => Some(r),
        other => panic!("a kind of error this test does not know: {other}"),
    })
}

fn agree(text: &str) {
    assert_eq!(
        via_stream(text.as_bytes()),
        via_tree(text.as_bytes()),
        "from_slice and from_value disagree on {text}"
    );
}

#[test]
fn from_slice_gives_what_from_value_gives_for_every_shape_of_body() {
    let good = json!({"events": [event("01JMBY7K8N3QRVX2DPFG5HWT4E"), event("01JMBY7K8N3QRVX2DPFG5HWT4F")]});
    let good_text = good.to_string();
    assert!(via_stream(good_text.as_bytes()).is_ok());
    agree(&good_text);
    let fixed = [
        "",
        "{",
        "[]",
        "null",
        "1",
        "\"events\"",
        "{}",
        r#"{"events": null}"#,
        r#"{"events": {}}"#,
        r#"{"events": "x"}"#,
        r#"{"events": 3}"#,
        r#"{"events": true}"#,
        r#"{"events": []}"#,
        r#"{"events": [], "more": 1}"#,
        r#"{"more": 1, "events": [1]}"#,
        r#"{"events": [1]}"#,
        r#"{"events": ["x"]}"#,
        r#"{"events": [null]}"#,
        r#"{"events": [[1, 2]]}"#,
        r#"{"events": [{}]}"#,
        r#"{"events": [{"x": 1, "y": 2}]}"#,
        r#"{"events": [1] } trailing"#,
        r#"{"x": 1, "events": [1"#,
        r#"{"events": [{"lamport_clock": 1e400}]}"#,
    ];
    for text in fixed {
        agree(text);
    }
    // Every field: absent, and each JSON type in its place; duplicate keys; the second
    // event broken instead of the first.
    let odd = [
        json!(null),
        json!(1),
        json!(-1),
        json!(1.5),
        json!(1.0),
        json!("s"),
        json!(true),
        json!([]),
        json!({}),
        json!({"k": [1, {"n": null}]}),
        json!(u64::MAX),
        json!(i64::MIN),
    ];
    for f in event_envelope::FIELDS {
        for which in 0..2 {
            let mut b = good.clone();
            b["events"][which].as_object_mut().unwrap().remove(f.name);
            agree(&b.to_string());
            for v in &odd {
                let mut b = good.clone();
                b["events"][which][f.name] = v.clone();
                agree(&b.to_string());
            }
        }
        let dup = good_text.replacen("\"event_id\"", &format!("\"{}\":7,\"event_id\"", f.name), 1);
        agree(&dup);
    }
    let mut unknown = good.clone();
    unknown["events"][1]["zeta"] = json!(1);
    unknown["events"][1]["alpha"] = json!(2);
    agree(&unknown.to_string());
    agree(&good_text.replacen("{\"events\"", "{\"events\":[1],\"events\"", 1));
    let many = json!({"events": vec![event("01JMBY7K8N3QRVX2DPFG5HWT4E"); MAX_BATCH_EVENTS + 1]});
    agree(&many.to_string());
    let many_broken = format!("{}]", &many.to_string()[..many.to_string().len() - 2]);
    agree(&many_broken);
    // Cut anywhere, the text is not JSON for both; every byte replaced by a quote, both
    // agree on what it is.
    for cut in 0..good_text.len() {
        agree(&good_text[..cut]);
        let mut bytes = good_text.clone().into_bytes();
        bytes[cut] = b'"';
        assert_eq!(via_stream(&bytes), via_tree(&bytes));
    }
}
