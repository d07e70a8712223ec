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
