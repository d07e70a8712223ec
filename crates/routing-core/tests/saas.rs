//! The SaaS side (User Story 4): validating received routing fields and resolving the key.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use routing_core::{
    Resolution, ResourceType, RoutingError, RoutingKey, RoutingTable, SnapshotRouting,
};

#[test]
fn us4_s1_four_fields_form_a_unique_routing_key() {
    let a = RoutingKey::new("jira", "acme", Some(("jira_project", "ACME"))).unwrap();
    let b = RoutingKey::new("jira", "acme", Some(("jira_project", "OTHER"))).unwrap();
    let c = RoutingKey::new("jira", "other-ws", Some(("jira_project", "ACME"))).unwrap();
    let d = RoutingKey::new("linear", "acme", Some(("linear_team", "ACME"))).unwrap();
    let keys = [&a, &b, &c, &d];
    for (i, x) in keys.iter().enumerate() {
        for (j, y) in keys.iter().enumerate() {
            assert_eq!(i == j, x == y);
        }
    }
    assert_eq!(a.to_string(), "(jira, acme, jira_project, ACME)");
    assert_eq!(a.workspace_key().to_string(), "(jira, acme, null, null)");
}

#[test]
fn both_null_is_valid_and_unrouted() {
    let r = SnapshotRouting::from_fields(None, None).unwrap();
    assert_eq!(r, SnapshotRouting::UNROUTED);
    assert!(r.routing().is_none());
}

#[test]
fn one_field_without_the_other_is_rejected() {
    assert_eq!(
        SnapshotRouting::from_fields(Some("jira_project"), None),
        Err(RoutingError::Partial {
            present: "external_resource_type",
            missing: "external_resource_id"
        })
    );
    let err = SnapshotRouting::from_fields(None, Some("ACME")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "external_resource_id is set but external_resource_type is null; the routing fields must be both set or both null"
    );
}

#[test]
fn unknown_wire_value_is_rejected() {
    let err = SnapshotRouting::from_fields(Some("jira_board"), Some("ACME")).unwrap_err();
    assert!(matches!(err, RoutingError::UnknownResourceType(ref e) if e.value == "jira_board"));
    assert!(err.to_string().contains("\"jira_board\""));
}

#[test]
fn blank_and_untrimmed_ids_are_rejected() {
    for blank in ["", "  ", "\u{3000}"] {
        assert_eq!(
            SnapshotRouting::from_fields(Some("linear_team"), Some(blank)),
            Err(RoutingError::BlankResourceId)
        );
    }
    assert_eq!(
        SnapshotRouting::from_fields(Some("linear_team"), Some(" T1")),
        Err(RoutingError::UntrimmedResourceId)
    );
}

#[test]
fn key_rejects_blank_provider_and_workspace_and_mismatched_types() {
    assert_eq!(
        RoutingKey::new(" ", "acme", None),
        Err(RoutingError::BlankProvider)
    );
    assert_eq!(
        RoutingKey::new("jira", "", None),
        Err(RoutingError::BlankWorkspace)
    );
    let err = RoutingKey::new("linear", "acme", Some(("jira_project", "ACME"))).unwrap_err();
    assert_eq!(
        err,
        RoutingError::ProviderMismatch {
            provider: "linear".into(),
            resource_type: ResourceType::JiraProject
        }
    );
    // An unsupported provider may still be resolved at workspace level.
    assert!(RoutingKey::new("github", "acme/repo", None).is_ok());
    assert!(RoutingKey::new("github", "acme/repo", Some(("jira_project", "A"))).is_err());
}

#[test]
fn key_normalizes_provider_and_trims_workspace() {
    let k = RoutingKey::new(" JIRA ", " acme ", Some(("jira_project", "ACME"))).unwrap();
    assert_eq!(k.provider(), "jira");
    assert_eq!(k.workspace(), "acme");
    assert_eq!(
        k,
        RoutingKey::new("jira", "acme", Some(("jira_project", "ACME"))).unwrap()
    );
}

#[test]
fn lookup_order_is_exact_then_workspace() {
    let k = RoutingKey::new("jira", "acme", Some(("jira_project", "ACME"))).unwrap();
    assert_eq!(k.lookup_order(), vec![k.clone(), k.workspace_key()]);
    let w = k.workspace_key();
    assert_eq!(w.lookup_order(), vec![w.clone()]);
}

#[test]
fn resolve_prefers_exact_then_falls_back_then_misses() {
    let mut t = RoutingTable::new();
    let exact = RoutingKey::new("jira", "acme", Some(("jira_project", "ACME"))).unwrap();
    t.insert(exact.clone(), "mapping");
    t.insert(exact.workspace_key(), "installation");
    assert_eq!(t.len(), 2);
    assert_eq!(t.resolve(&exact), Some(Resolution::Exact(&"mapping")));
    let other = RoutingKey::new("jira", "acme", Some(("jira_project", "OTHER"))).unwrap();
    assert_eq!(
        t.resolve(&other),
        Some(Resolution::WorkspaceFallback(&"installation"))
    );
    assert_eq!(
        t.resolve(&exact.workspace_key()),
        Some(Resolution::WorkspaceFallback(&"installation"))
    );
    let elsewhere = RoutingKey::new("jira", "globex", Some(("jira_project", "ACME"))).unwrap();
    assert_eq!(t.resolve(&elsewhere), None);
    let r = t.resolve(&exact).unwrap();
    assert!(r.is_exact());
    assert_eq!(*r.value(), "mapping");
}

#[test]
fn exact_mapping_without_installation_does_not_match_other_resources() {
    let mut t = RoutingTable::new();
    t.insert(
        RoutingKey::new("linear", "acme", Some(("linear_team", "T1"))).unwrap(),
        1,
    );
    let k = RoutingKey::new("linear", "acme", Some(("linear_team", "T2"))).unwrap();
    assert_eq!(t.resolve(&k), None);
    assert!(t.resolve(&k.workspace_key()).is_none());
}

#[cfg(feature = "serde")]
mod json {
    use super::*;
    use serde_json::json;

    #[test]
    fn snapshot_routing_parses_from_payload_fields() {
        let r: SnapshotRouting = serde_json::from_value(
            json!({"external_resource_type": "jira_project", "external_resource_id": "ACME"}),
        )
        .unwrap();
        assert_eq!(r.routing().unwrap().resource_id(), "ACME");
        let r: SnapshotRouting = serde_json::from_value(
            json!({"external_resource_type": null, "external_resource_id": null}),
        )
        .unwrap();
        assert_eq!(r, SnapshotRouting::UNROUTED);
        let err = serde_json::from_value::<SnapshotRouting>(
            json!({"external_resource_type": "jira_project", "external_resource_id": null}),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("must be both set or both null"),
            "{err}"
        );
    }

    #[test]
    fn routing_key_round_trips_as_json() {
        let k = RoutingKey::new("jira", "acme", Some(("jira_project", "ACME"))).unwrap();
        let v = serde_json::to_value(&k).unwrap();
        assert_eq!(
            v,
            json!({"provider": "jira", "workspace": "acme",
                   "external_resource_type": "jira_project", "external_resource_id": "ACME"})
        );
        assert_eq!(serde_json::from_value::<RoutingKey>(v).unwrap(), k);
        let w = serde_json::to_value(k.workspace_key()).unwrap();
        assert_eq!(w["external_resource_type"], serde_json::Value::Null);
        let bad = json!({"provider": "linear", "workspace": "acme",
                         "external_resource_type": "jira_project", "external_resource_id": "A"});
        assert!(serde_json::from_value::<RoutingKey>(bad).is_err());
    }

    #[test]
    fn resource_type_serializes_as_its_wire_value() {
        assert_eq!(
            serde_json::to_value(ResourceType::LinearTeam).unwrap(),
            json!("linear_team")
        );
        assert!(serde_json::from_value::<ResourceType>(json!("Linear_Team")).is_err());
    }
}
