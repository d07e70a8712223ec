//! Every envelope and payload rule, accepted and rejected.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use event_envelope::{Envelope, EventType, PAYLOAD_RULES, Rule, validate_payload};
use serde_json::{Map, Value, json};

fn envelope(event_type: &str, payload: Value) -> Envelope {
    let aggregate = if event_type.starts_with("Feature") || event_type == "ErrorLogged" {
        "Feature"
    } else {
        "WorkPackage"
    };
    Envelope::from_value(&json!({
        "event_id": "01JMBY7K8N3QRVX2DPFG5HWT4E", "event_type": event_type,
        "aggregate_id": "WP01", "aggregate_type": aggregate, "payload": payload,
        "timestamp": "2026-02-12T10:00:00+00:00", "node_id": "a1b2c3d4e5f6",
        "lamport_clock": 0, "causation_id": "01JMBY7K8N3QRVX2DPFG5HWT4F", "team_slug": "acme",
        "project_uuid": "550e8400-e29b-41d4-a716-446655440000", "project_slug": "spec-kitty",
        "git_branch": "main", "head_commit_sha": "0cf3f906f4f979a000cf04c78688a397d69b6a37",
        "repo_slug": "group/sub/repo"
    }))
    .unwrap()
}

fn valid_payload(t: EventType) -> Value {
    match t {
        EventType::WPStatusChanged => {
            json!({"wp_id": "WP01", "from_lane": "planned", "to_lane": "claimed",
            "actor": "agent", "feature_slug": null})
        }
        EventType::WPCreated => json!({"wp_id": "WP01", "title": "T", "feature_slug": "048-x",
            "dependencies": ["WP02"]}),
        EventType::WPAssigned => {
            json!({"wp_id": "WP01", "agent_id": "a", "phase": "review", "retry_count": 0})
        }
        EventType::FeatureCreated => {
            json!({"feature_slug": "048-tracker-routing", "feature_number": "048",
            "target_branch": "main", "wp_count": 3, "created_at": "2026-02-12"})
        }
        EventType::FeatureCompleted => json!({"feature_slug": "048-x", "total_wps": 0,
            "completed_at": "2026-02-12T10:00:00Z", "total_duration": null}),
        EventType::HistoryAdded => {
            json!({"wp_id": "WP01", "entry_type": "comment", "entry_content": "x",
            "author": null})
        }
        EventType::ErrorLogged => {
            json!({"error_type": "network", "error_message": "m", "wp_id": null,
            "stack_trace": "s", "agent_id": null})
        }
        EventType::DependencyResolved => json!({"wp_id": "WP01", "dependency_wp_id": "WP02",
            "resolution_type": "merged"}),
        EventType::MissionDossierArtifactIndexed => json!({"feature_slug": "048-x",
            "artifact_key": "spec", "artifact_class": "input", "relative_path": "spec.md",
            "content_hash_sha256": SHA, "size_bytes": 12, "wp_id": null, "step_id": null,
            "required_status": "required"}),
        EventType::MissionDossierArtifactMissing => json!({"feature_slug": "048-x",
            "artifact_key": "plan", "artifact_class": "workflow",
            "expected_path_pattern": "plan.md", "reason_code": "not_found",
            "reason_detail": null, "blocking": true}),
        EventType::MissionDossierSnapshotComputed => json!({"feature_slug": "048-x",
            "parity_hash_sha256": SHA, "artifact_counts": {"total": 3},
            "completeness_status": "incomplete", "snapshot_id": "snap-1"}),
        EventType::MissionDossierParityDriftDetected => json!({"feature_slug": "048-x",
            "local_parity_hash": SHA, "baseline_parity_hash": SHA, "missing_in_local": [],
            "missing_in_baseline": ["plan"], "severity": "warning"}),
        // EventType is #[non_exhaustive]: every test below runs over EventType::ALL, so a
        // new type lands here at once.
        _ => panic!("a new event type needs a valid payload in this test: {t}"),
    }
}

const SHA: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A value that breaks `rule`.
fn bad_value(rule: &Rule) -> Value {
    match rule {
        Rule::NullableString => json!(5),
        Rule::NonNegativeInteger => json!(-1),
        Rule::WpIdList => json!(["WP1"]),
        Rule::NonEmptyString => json!(""),
        _ => json!("not valid\n"),
    }
}

#[test]
fn every_event_type_accepts_its_valid_payload_with_extra_keys() {
    for t in EventType::ALL {
        let mut p = valid_payload(t);
        p["some_future_key"] = json!({"anything": true});
        envelope(t.as_str(), p)
            .validate()
            .unwrap_or_else(|e| panic!("{t}: {e}"));
    }
}

#[test]
fn every_required_key_is_enforced() {
    for rules in PAYLOAD_RULES {
        for key in rules.required {
            let mut p = valid_payload(rules.event_type);
            p.as_object_mut().unwrap().remove(*key);
            let errs = envelope(rules.event_type.as_str(), p)
                .validate()
                .unwrap_err();
            let e = errs.first().unwrap();
            assert_eq!(e.field, format!("payload.{key}"));
            assert_eq!(e.rule, Rule::Required);
            assert_eq!(
                e.rejection_message(),
                format!(
                    "Invalid payload for {}: missing required field '{key}'",
                    rules.event_type
                )
            );
        }
    }
}

#[test]
fn every_validator_rejects_a_bad_value_and_names_the_key() {
    for rules in PAYLOAD_RULES {
        for (key, rule) in rules.validators {
            let mut p = valid_payload(rules.event_type);
            p[*key] = bad_value(rule);
            let errs = envelope(rules.event_type.as_str(), p)
                .validate()
                .unwrap_err();
            assert_eq!(errs.0.len(), 1, "{} {key}: {errs}", rules.event_type);
            assert_eq!(errs.0[0].field, format!("payload.{key}"));
            assert_eq!(&errs.0[0].rule, rule);
            assert_eq!(errs.0[0].event_type, Some(rules.event_type));
        }
    }
}

#[test]
fn nullable_payload_strings_accept_null_and_strings() {
    for rules in PAYLOAD_RULES {
        for (key, rule) in rules.validators {
            if *rule == Rule::NullableString {
                for ok in [Value::Null, json!("text")] {
                    let mut p = valid_payload(rules.event_type);
                    p[*key] = ok;
                    envelope(rules.event_type.as_str(), p).validate().unwrap();
                }
            }
        }
    }
}

#[test]
fn lanes_are_the_eight_lanes_of_the_python_emitter() {
    for lane in [
        "planned",
        "claimed",
        "in_progress",
        "for_review",
        "approved",
        "done",
        "blocked",
        "canceled",
    ] {
        let mut p = valid_payload(EventType::WPStatusChanged);
        p["to_lane"] = json!(lane);
        envelope("WPStatusChanged", p).validate().unwrap();
    }
    for lane in ["archived", "Done", "in-progress", "APPROVED", ""] {
        let mut p = valid_payload(EventType::WPStatusChanged);
        p["from_lane"] = json!(lane);
        assert!(envelope("WPStatusChanged", p).validate().is_err(), "{lane}");
    }
}

#[test]
fn booleans_are_not_integers() {
    let mut p = valid_payload(EventType::WPAssigned);
    p["retry_count"] = json!(true);
    assert!(envelope("WPAssigned", p).validate().is_err());
}

#[test]
fn missing_required_keys_are_reported_before_values() {
    let mut p = Map::new();
    p.insert("wp_id".into(), json!("bad"));
    let mut out = Vec::new();
    validate_payload(EventType::WPStatusChanged, &p, &mut out);
    let fields: Vec<&str> = out.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["payload.from_lane", "payload.to_lane"]);
}

fn with(field: &str, value: Value) -> Result<(), String> {
    let mut v = envelope("WPStatusChanged", valid_payload(EventType::WPStatusChanged)).to_value();
    v[field] = value;
    Envelope::from_value(&v)
        .unwrap()
        .validate()
        .map_err(|e| e.to_string())
}

#[test]
fn envelope_field_rules_accept_and_reject() {
    let cases: &[(&str, Value, bool)] = &[
        ("event_id", json!("01JMBY7K8N3QRVX2DPFG5HWT4E"), true),
        ("event_id", json!("01JMBY7K8N3QRVX2DPFG5HWT4"), false),
        (
            "event_id",
            json!("550e8400-e29b-41d4-a716-446655440000"),
            false,
        ),
        ("causation_id", Value::Null, true),
        ("causation_id", json!("01JMBY7K8N3QRVX2DPFG5HWT4I"), false),
        ("aggregate_type", json!("Feature"), true),
        ("aggregate_type", json!("MissionDossier"), true),
        ("aggregate_type", json!("workpackage"), false),
        ("timestamp", json!("2026-02-12T10:00:00.5-08:00"), true),
        ("timestamp", json!("2026-02-12T10:00:00Z"), true),
        ("timestamp", json!("2026-02-12"), false),
        ("timestamp", json!("yesterday"), false),
        ("node_id", json!(""), false),
        ("lamport_clock", json!(0), true),
        ("lamport_clock", json!(-5), false),
        ("team_slug", json!(""), false),
        ("project_uuid", Value::Null, true),
        ("project_uuid", json!("not-a-uuid"), false),
        ("head_commit_sha", Value::Null, true),
        ("head_commit_sha", json!("abc"), false),
        ("repo_slug", Value::Null, true),
        ("repo_slug", json!("owner/repo"), true),
        ("repo_slug", json!("owner/"), false),
        ("event_type", json!("WPDeleted"), false),
        ("aggregate_id", json!(""), false),
    ];
    for (field, value, ok) in cases {
        let r = with(field, value.clone());
        assert_eq!(r.is_ok(), *ok, "{field} = {value}: {r:?}");
        if let Err(msg) = r {
            assert!(msg.starts_with(field), "{msg}");
        }
    }
}

#[test]
fn all_violations_are_listed_in_wire_order() {
    let mut v = envelope("WPStatusChanged", valid_payload(EventType::WPStatusChanged)).to_value();
    v["event_id"] = json!("x");
    v["repo_slug"] = json!("x");
    v["payload"]["to_lane"] = json!("nowhere");
    let errs = Envelope::from_value(&v).unwrap().validate().unwrap_err();
    let fields: Vec<&str> = errs.0.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["event_id", "repo_slug", "payload.to_lane"]);
}

/// The contract's payload rules (contracts/event-envelope.md), written out by hand: for each
/// event type, its required keys and, per key, a value the contract refuses and one it
/// accepts. Independent of `PAYLOAD_RULES`, so deleting or loosening a rule in the code
/// fails here.
#[allow(clippy::type_complexity)]
const CONTRACT: &[(&str, &[&str], &[(&str, &str, &str)])] = &[
    (
        "WPStatusChanged",
        &["wp_id", "from_lane", "to_lane"],
        &[
            ("wp_id", r#""WP1""#, r#""WP07""#),
            ("from_lane", r#""doing""#, r#""for_review""#),
            ("to_lane", r#""Done""#, r#""approved""#),
            ("actor", "3", "null"),
            ("feature_slug", "false", r#""x""#),
            ("policy_metadata", r#""strict""#, r#"{"mode": "x"}"#),
        ],
    ),
    (
        "WPCreated",
        &["wp_id", "title", "feature_slug"],
        &[
            ("wp_id", r#""wp01""#, r#""WP01""#),
            ("title", r#""""#, r#""T""#),
            ("feature_slug", r#""""#, r#""048-x""#),
            ("dependencies", r#"["WP1"]"#, r#"["WP02", "WP03"]"#),
        ],
    ),
    (
        "WPAssigned",
        &["wp_id", "agent_id", "phase"],
        &[
            ("agent_id", r#""""#, r#""claude""#),
            ("phase", r#""planning""#, r#""implementation""#),
            ("retry_count", "-1", "3"),
        ],
    ),
    (
        "FeatureCreated",
        &[
            "feature_slug",
            "feature_number",
            "target_branch",
            "wp_count",
        ],
        &[
            ("feature_slug", r#""48-X""#, r#""048-tracker-routing""#),
            ("feature_number", r#""48""#, r#""048""#),
            ("target_branch", r#""""#, r#""main""#),
            ("wp_count", "true", "0"),
            (
                "created_at",
                r#""yesterday""#,
                r#""2026-02-12T10:00:00+00:00""#,
            ),
        ],
    ),
    (
        "FeatureCompleted",
        &["feature_slug", "total_wps"],
        &[
            ("total_wps", "1.5", "7"),
            ("completed_at", r#""2026-02-30""#, r#""2026-02-28""#),
            ("total_duration", "12", r#""3h""#),
        ],
    ),
    (
        "HistoryAdded",
        &["wp_id", "entry_type", "entry_content"],
        &[
            ("entry_type", r#""chat""#, r#""review""#),
            ("entry_content", r#""""#, r#""looks good""#),
            ("author", "[]", "null"),
        ],
    ),
    (
        "ErrorLogged",
        &["error_type", "error_message"],
        &[
            ("error_type", r#""fatal""#, r#""auth""#),
            ("error_message", r#""""#, r#""m""#),
            ("wp_id", "1", "null"),
            ("stack_trace", "{}", r#""s""#),
            ("agent_id", "true", r#""a""#),
        ],
    ),
    (
        "DependencyResolved",
        &["wp_id", "dependency_wp_id", "resolution_type"],
        &[
            ("wp_id", r#""WP100""#, r#""WP10""#),
            ("dependency_wp_id", r#""WPxx""#, r#""WP02""#),
            ("resolution_type", r#""abandoned""#, r#""skipped""#),
        ],
    ),
    (
        "MissionDossierArtifactIndexed",
        &[
            "feature_slug",
            "artifact_key",
            "artifact_class",
            "relative_path",
            "content_hash_sha256",
            "size_bytes",
            "required_status",
        ],
        &[
            ("feature_slug", r#""""#, r#""048-x""#),
            ("artifact_key", r#""""#, r#""spec""#),
            ("artifact_class", r#""code""#, r#""evidence""#),
            ("relative_path", r#""""#, r#""a/b.md""#),
            (
                "content_hash_sha256",
                r#""ABC""#,
                r#""0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef""#,
            ),
            ("size_bytes", "-1", "0"),
            ("wp_id", "1", r#""WP01""#),
            ("step_id", "[]", "null"),
            ("required_status", r#""maybe""#, r#""optional""#),
        ],
    ),
    (
        "MissionDossierArtifactMissing",
        &[
            "feature_slug",
            "artifact_key",
            "artifact_class",
            "expected_path_pattern",
            "reason_code",
            "blocking",
        ],
        &[
            ("feature_slug", "null", r#""048-x""#),
            ("artifact_key", r#""""#, r#""plan""#),
            ("artifact_class", r#""Input""#, r#""policy""#),
            ("expected_path_pattern", r#""""#, r#""*.md""#),
            ("reason_code", r#""gone""#, r#""deleted_after_scan""#),
            ("reason_detail", "{}", r#""moved""#),
            ("blocking", r#""yes""#, "false"),
        ],
    ),
    (
        "MissionDossierSnapshotComputed",
        &[
            "feature_slug",
            "parity_hash_sha256",
            "artifact_counts",
            "completeness_status",
            "snapshot_id",
        ],
        &[
            ("feature_slug", r#""""#, r#""048-x""#),
            (
                "parity_hash_sha256",
                r#""00""#,
                r#""ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff""#,
            ),
            ("artifact_counts", "[]", "{}"),
            ("completeness_status", r#""done""#, r#""complete""#),
            ("snapshot_id", r#""""#, r#""s""#),
        ],
    ),
    (
        "MissionDossierParityDriftDetected",
        &[
            "feature_slug",
            "local_parity_hash",
            "baseline_parity_hash",
            "severity",
        ],
        &[
            ("feature_slug", r#""""#, r#""048-x""#),
            (
                "local_parity_hash",
                "null",
                r#""1111111111111111111111111111111111111111111111111111111111111111""#,
            ),
            (
                "baseline_parity_hash",
                r#""xyz""#,
                r#""2222222222222222222222222222222222222222222222222222222222222222""#,
            ),
            ("missing_in_local", r#""plan""#, r#"["plan"]"#),
            ("missing_in_baseline", "{}", "[]"),
            ("severity", r#""fatal""#, r#""error""#),
        ],
    ),
];

#[test]
fn every_validator_rejects_a_bad_value() {
    assert_eq!(CONTRACT.len(), EventType::ALL.len());
    for (event_type, required, rules) in CONTRACT {
        let t: EventType = event_type.parse().unwrap();
        for (key, bad, good) in *rules {
            let mut p = valid_payload(t);
            p[*key] = serde_json::from_str(good).unwrap();
            envelope(event_type, p)
                .validate()
                .unwrap_or_else(|e| panic!("{event_type}.{key} = {good} must pass: {e}"));
            let mut p = valid_payload(t);
            p[*key] = serde_json::from_str(bad).unwrap();
            let errs = envelope(event_type, p)
                .validate()
                .err()
                .unwrap_or_else(|| panic!("{event_type}.{key} = {bad} must be refused"));
            assert_eq!(errs.0.len(), 1, "{event_type}.{key}: {errs}");
            assert_eq!(errs.0[0].field, format!("payload.{key}"));
            assert!(
                errs.0[0]
                    .rejection_message()
                    .starts_with(&format!("Invalid payload for {event_type}: field '{key}'")),
                "{}",
                errs.0[0].rejection_message()
            );
        }
        for key in *required {
            let mut p = valid_payload(t);
            p.as_object_mut().unwrap().remove(*key);
            assert!(
                envelope(event_type, p).validate().is_err(),
                "{event_type}: {key} is required"
            );
        }
        // The code has no rule the contract does not list.
        let code = PAYLOAD_RULES.iter().find(|r| r.event_type == t).unwrap();
        let mut code_required: Vec<&str> = code.required.to_vec();
        code_required.sort_unstable();
        let mut contract_required = required.to_vec();
        contract_required.sort_unstable();
        assert_eq!(code_required, contract_required, "{event_type}");
        for (key, _) in code.validators {
            assert!(
                rules.iter().any(|(k, _, _)| k == key) || required.contains(key),
                "{event_type}.{key}: a rule the contract table does not list"
            );
        }
    }
}
