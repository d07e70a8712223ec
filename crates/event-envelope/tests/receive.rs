//! The receiver's API: a batch event by event (good events accepted, bad ones rejected by
//! their id), the error codes and bodies, the typed wire sets, and gzip with a cap.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use event_envelope::{
    AGGREGATE_TYPES, AggregateType, BatchBodyError, BatchRequestError, EventError, EventResult,
    EventStatus, LANES, Lane, Phase, ReceivedBatch, ResolutionType,
};
use serde_json::{Value, json};

fn event(id: &str, to_lane: &str) -> Value {
    json!({
        "event_id": id, "event_type": "WPStatusChanged",
        "aggregate_id": "WP01", "aggregate_type": "WorkPackage",
        "payload": {"wp_id": "WP01", "from_lane": "planned", "to_lane": to_lane},
        "timestamp": "2026-02-12T10:00:00+00:00", "node_id": "a1b2c3d4e5f6",
        "lamport_clock": 1, "causation_id": null, "team_slug": "acme",
        "project_uuid": null, "project_slug": null, "git_branch": null,
        "head_commit_sha": null, "repo_slug": null
    })
}

const GOOD: &str = "01JMBY7K8N3QRVX2DPFG5HWT4E";
const BAD_LANE: &str = "01JMBY7K8N3QRVX2DPFG5HWT4F";
const NO_NODE: &str = "01JMBY7K8N3QRVX2DPFG5HWT4G";

fn body(events: &[Value]) -> Vec<u8> {
    json!({"events": events}).to_string().into_bytes()
}

#[test]
fn a_mixed_batch_accepts_the_good_events_and_rejects_the_bad_ones_by_id() {
    let mut unparsable = event(NO_NODE, "done");
    unparsable.as_object_mut().unwrap().remove("node_id");
    let b = ReceivedBatch::from_slice(&body(&[
        event(GOOD, "in_progress"),
        event(BAD_LANE, "nowhere"),
        unparsable,
    ]))
    .unwrap();
    assert_eq!(
        b.accepted()
            .map(|e| e.event_id.as_str())
            .collect::<Vec<_>>(),
        [GOOD]
    );
    let rejected: Vec<_> = b.rejected().collect();
    assert_eq!(rejected.len(), 2);
    assert_eq!(
        (rejected[0].index, rejected[0].event_id.as_deref()),
        (1, Some(BAD_LANE))
    );
    assert_eq!(rejected[0].error.code(), "invalid_one_of");
    assert_eq!(rejected[0].error.field(), Some("payload.to_lane"));
    assert!(matches!(rejected[0].error, EventError::Invalid(_)));
    assert_eq!(
        (rejected[1].event_id.as_deref(), rejected[1].error.code()),
        (Some(NO_NODE), "missing_field")
    );
    assert_eq!(rejected[1].error.field(), Some("node_id"));
    let body = serde_json::to_value(&rejected[0].error).unwrap();
    assert_eq!(body["code"], "invalid_one_of");
    assert_eq!(body["field"], "payload.to_lane");
    assert!(body["message"].as_str().unwrap().contains("must be one of"));

    let answer = b
        .response(|e| EventResult::success(e.event_id.clone()))
        .unwrap();
    let statuses: Vec<(&str, EventStatus)> = answer
        .results
        .iter()
        .map(|r| (r.event_id.as_str(), r.status))
        .collect();
    assert_eq!(
        statuses,
        [
            (GOOD, EventStatus::Success),
            (BAD_LANE, EventStatus::Rejected),
            (NO_NODE, EventStatus::Rejected)
        ]
    );
    assert!(
        answer.results[1]
            .reason()
            .unwrap()
            .starts_with("Invalid payload for WPStatusChanged")
    );
    assert!(
        answer.results[2]
            .reason()
            .unwrap()
            .contains("missing envelope field `node_id`")
    );
    // The strict view refuses the batch at the first bad event.
    assert_eq!(b.clone().into_request().unwrap_err().index, 1);
}

#[test]
fn an_event_without_a_readable_id_can_only_be_answered_with_the_preferred_400() {
    let b = ReceivedBatch::from_slice(&body(&[
        event(GOOD, "done"),
        json!("not an event"),
        json!({"event_id": 7}),
    ]))
    .unwrap();
    assert!(
        b.response(|e| EventResult::success(e.event_id.clone()))
            .is_none()
    );
    let v = b.http_400().to_value();
    assert_eq!(v["error"], "Batch validation failed");
    let details = v["details"].as_array().unwrap();
    assert_eq!(details.len(), 2);
    assert_eq!(
        details[0]["error"],
        "Invalid envelope: an envelope must be a JSON object"
    );
    assert!(details[0].get("event_id").is_none());
}

#[test]
fn a_body_that_is_not_a_batch_is_refused_as_a_whole_with_a_code() {
    for (text, code) in [
        (&b"{nope"[..], "not_json"),
        (br#"[]"#, "not_a_batch"),
        (br#"{"events": [], "x": 1}"#, "not_a_batch"),
        (br#"{"events": []}"#, "empty_batch"),
    ] {
        let e = ReceivedBatch::from_slice(text).unwrap_err();
        assert_eq!(e.code(), code, "{e}");
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["code"], code);
    }
    let many: Vec<Value> = (0..1001).map(|_| event(GOOD, "done")).collect();
    let e = ReceivedBatch::from_slice(&body(&many)).unwrap_err();
    assert!(matches!(
        e,
        BatchBodyError::Request(BatchRequestError::TooMany(1001))
    ));
}

#[test]
fn the_wire_sets_round_trip_and_back_the_rules() {
    assert_eq!(Lane::NAMES, LANES);
    assert_eq!(AggregateType::NAMES, AGGREGATE_TYPES);
    for l in Lane::ALL {
        assert_eq!(l.as_str().parse::<Lane>().unwrap(), *l);
        assert_eq!(serde_json::to_value(l).unwrap(), json!(l.as_str()));
    }
    assert_eq!("approved".parse::<Lane>().unwrap(), Lane::Approved);
    let e = " done".parse::<Lane>().unwrap_err();
    assert!(e.to_string().contains("unknown lane \" done\""), "{e}");
    assert_eq!("review".parse::<Phase>().unwrap().to_string(), "review");
    assert_eq!(
        serde_json::from_value::<ResolutionType>(json!("merged")).unwrap(),
        ResolutionType::Merged
    );
    assert!(serde_json::from_value::<ResolutionType>(json!("Merged")).is_err());
}

#[test]
fn results_are_built_with_constructors() {
    let r = EventResult::rejected(GOOD, "why");
    assert_eq!((r.status, r.reason()), (EventStatus::Rejected, Some("why")));
    assert_eq!(EventResult::duplicate(GOOD).status, EventStatus::Duplicate);
    assert!(EventResult::success(GOOD).is_delivered());
}

#[cfg(feature = "gzip")]
#[test]
fn gzip_bodies_are_decoded_up_to_the_cap_and_a_bomb_is_refused() {
    use std::io::Write;
    let gz = |bytes: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    };
    let plain = body(&[event(GOOD, "done")]);
    assert_eq!(event_envelope::gunzip(&gz(&plain), 1 << 20).unwrap(), plain);
    let bomb = gz(&vec![b' '; 8 << 20]);
    assert!(bomb.len() < 32 << 10, "a small body");
    let e = event_envelope::gunzip(&bomb, 1 << 20).unwrap_err();
    assert!(matches!(e, event_envelope::GzipError::TooLarge { cap } if cap == 1 << 20));
    assert_eq!(e.code(), "body_too_large");
    let e = event_envelope::gunzip(b"plain text", 1 << 20).unwrap_err();
    assert_eq!(e.code(), "not_gzip");
    let cut = gz(&plain);
    assert!(event_envelope::gunzip(&cut[..cut.len() / 2], 1 << 20).is_err());
    assert!(event_envelope::is_gzip(Some(" GZIP ")) && !event_envelope::is_gzip(None));
}
