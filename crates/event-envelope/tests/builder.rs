//! The envelope builder produces only valid envelopes, deterministically under test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use event_envelope::{EmitterContext, EnvelopeBuilder, EventType, GitMetadata, Rule};
use serde_json::{Map, Value, json};

fn context() -> EmitterContext {
    EmitterContext {
        node_id: "a1b2c3d4e5f6".into(),
        team_slug: "priivacy".into(),
        project_uuid: Some("550e8400-e29b-41d4-a716-446655440000".into()),
        project_slug: Some("spec-kitty".into()),
        git: GitMetadata {
            branch: Some("main".into()),
            head_commit_sha: Some("0cf3f906f4f979a000cf04c78688a397d69b6a37".into()),
            repo_slug: Some("priivacy/spec-kitty".into()),
        },
    }
}

fn payload(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

#[test]
fn builds_deterministic_valid_envelopes() {
    let ids = ["01JMBY7K8N3QRVX2DPFG5HWT4E", "01JMBY7K8N3QRVX2DPFG5HWT4F"];
    let mut next = ids.iter();
    let source = move || next.next().map(|s| (*s).to_owned()).unwrap_or_default();
    let mut b = EnvelopeBuilder::new(context(), source, "2026-02-12T10:00:00+00:00".to_owned());
    let first = b
        .build(
            EventType::WPStatusChanged,
            "WP01",
            payload(json!({"wp_id": "WP01", "from_lane": "planned", "to_lane": "in_progress"})),
            1,
            None,
        )
        .unwrap();
    assert_eq!(first.event_id, ids[0]);
    assert_eq!(first.aggregate_type, "WorkPackage");
    assert_eq!(first.timestamp, "2026-02-12T10:00:00+00:00");
    let second = b
        .build(
            EventType::FeatureCompleted,
            "048-x",
            payload(json!({"feature_slug": "048-x", "total_wps": 2})),
            2,
            Some(ids[0]),
        )
        .unwrap();
    assert_eq!(second.event_id, ids[1]);
    assert_eq!(second.aggregate_type, "Feature");
    assert_eq!(second.causation_id.as_deref(), Some(ids[0]));
    assert_eq!(second.to_value().as_object().unwrap().len(), 15);
}

#[test]
fn refuses_to_build_an_invalid_envelope() {
    let mut ctx = context();
    ctx.git.head_commit_sha = Some("HEAD".into());
    let mut b = EnvelopeBuilder::new(
        ctx,
        || "01JMBY7K8N3QRVX2DPFG5HWT4E".to_owned(),
        "2026-02-12T10:00:00Z".to_owned(),
    );
    let errs = b
        .build(
            EventType::WPAssigned,
            "WP01",
            payload(json!({"wp_id": "WP01"})),
            u64::MAX,
            None,
        )
        .unwrap_err();
    let fields: Vec<&str> = errs.0.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "lamport_clock",
            "head_commit_sha",
            "payload.agent_id",
            "payload.phase"
        ]
    );
    assert_eq!(errs.0[2].rule, Rule::Required);

    let mut bad_ids = EnvelopeBuilder::new(
        context(),
        || "not-a-ulid".to_owned(),
        "2026-02-12T10:00:00Z".to_owned(),
    );
    let errs = bad_ids
        .build(
            EventType::ErrorLogged,
            "error",
            payload(json!({"error_type": "auth", "error_message": "m"})),
            0,
            None,
        )
        .unwrap_err();
    assert_eq!(errs.0[0].field, "event_id");
}
