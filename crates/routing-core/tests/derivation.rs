//! Every acceptance scenario and edge case of spec 048 for routing derivation, as named tests.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use std::collections::{BTreeMap, HashMap};

use routing_core::{
    CredentialValue, Provider, ROUTING_TABLE, ResourceType, SUPPORTED_PROVIDERS, derive_routing,
    normalize_provider, routing_rule, wire_fields,
};

fn creds(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn fields(provider: &str, c: &BTreeMap<String, String>) -> (Option<String>, Option<String>) {
    let r = derive_routing(provider, c);
    let (t, i) = wire_fields(r.as_ref());
    (t.map(str::to_owned), i.map(str::to_owned))
}

fn routed(ty: &str, id: &str) -> (Option<String>, Option<String>) {
    (Some(ty.to_owned()), Some(id.to_owned()))
}

const UNROUTED: (Option<String>, Option<String>) = (None, None);

// User Story 1
#[test]
fn us1_s1_jira_with_project_key_routes_to_jira_project() {
    let c = creds(&[("project_key", "ACME"), ("api_token", "t"), ("email", "e")]);
    assert_eq!(fields("jira", &c), routed("jira_project", "ACME"));
}

#[test]
fn us1_s2_jira_without_project_key_is_unrouted() {
    let c = creds(&[
        ("api_token", "t"),
        ("base_url", "https://acme.atlassian.net"),
    ]);
    assert_eq!(fields("jira", &c), UNROUTED);
}

// User Story 2
#[test]
fn us2_s1_linear_with_team_id_routes_to_linear_team() {
    let c = creds(&[("team_id", "abc-123-def"), ("api_key", "k")]);
    assert_eq!(fields("linear", &c), routed("linear_team", "abc-123-def"));
}

#[test]
fn us2_s2_linear_without_team_id_is_unrouted() {
    let c = creds(&[("api_key", "k")]);
    assert_eq!(fields("linear", &c), UNROUTED);
}

// Edge cases
#[test]
fn edge_unsupported_providers_are_unrouted_even_with_routing_keys() {
    let c = creds(&[("project_key", "ACME"), ("team_id", "T1")]);
    for p in [
        "azure_devops",
        "github",
        "gitlab",
        "beads",
        "fp",
        "trello",
        "",
        "   ",
    ] {
        assert_eq!(fields(p, &c), UNROUTED, "provider {p:?}");
    }
}

#[test]
fn edge_empty_credentials_are_unrouted() {
    assert_eq!(fields("jira", &creds(&[])), UNROUTED);
    assert_eq!(fields("linear", &creds(&[])), UNROUTED);
}

#[test]
fn edge_jira_empty_project_key_is_treated_as_missing() {
    assert_eq!(fields("jira", &creds(&[("project_key", "")])), UNROUTED);
}

#[test]
fn edge_whitespace_only_values_are_treated_as_missing() {
    for blank in [
        " ",
        "\t\n",
        "\u{a0}",
        "\u{3000}\u{2003}",
        "\u{1f}\u{1c}",
        "\u{85}",
    ] {
        assert_eq!(
            fields("jira", &creds(&[("project_key", blank)])),
            UNROUTED,
            "{blank:?}"
        );
        assert_eq!(
            fields("linear", &creds(&[("team_id", blank)])),
            UNROUTED,
            "{blank:?}"
        );
    }
}

#[test]
fn values_are_trimmed_unicode_whitespace_included() {
    let c = creds(&[("project_key", "\u{3000} ACME\t\n")]);
    assert_eq!(fields("jira", &c), routed("jira_project", "ACME"));
}

#[test]
fn inner_whitespace_is_kept() {
    let c = creds(&[("team_id", " team one ")]);
    assert_eq!(fields("linear", &c), routed("linear_team", "team one"));
}

#[test]
fn provider_case_and_whitespace_route_like_the_canonical_name() {
    let c = creds(&[("project_key", "ACME"), ("team_id", "T1")]);
    for p in ["Jira", " JIRA ", "\tjira\n", "jIrA"] {
        assert_eq!(fields(p, &c), routed("jira_project", "ACME"), "{p:?}");
    }
    for p in ["Linear", " LINEAR "] {
        assert_eq!(fields(p, &c), routed("linear_team", "T1"), "{p:?}");
    }
}

#[test]
fn the_other_providers_key_does_not_route() {
    // jira reads project_key only, linear reads team_id only.
    assert_eq!(fields("jira", &creds(&[("team_id", "T1")])), UNROUTED);
    assert_eq!(
        fields("linear", &creds(&[("project_key", "ACME")])),
        UNROUTED
    );
}

#[test]
fn credential_keys_are_case_sensitive() {
    assert_eq!(fields("jira", &creds(&[("Project_Key", "ACME")])), UNROUTED);
}

#[test]
fn integer_credential_routes_as_decimal_text() {
    let c: BTreeMap<String, CredentialValue> =
        [("team_id".to_owned(), CredentialValue::Integer(123))].into();
    let r = derive_routing("linear", &c).unwrap();
    assert_eq!(r.resource_id(), "123");
    let c: BTreeMap<String, CredentialValue> =
        [("project_key".to_owned(), CredentialValue::Integer(-7))].into();
    assert_eq!(derive_routing("jira", &c).unwrap().resource_id(), "-7");
}

#[test]
fn other_credential_types_count_as_missing() {
    let c: BTreeMap<String, CredentialValue> =
        [("team_id".to_owned(), CredentialValue::Other)].into();
    assert!(derive_routing("linear", &c).is_none());
}

#[test]
fn all_credential_containers_agree() {
    let hash: HashMap<String, &str> = [("project_key".to_owned(), "ACME")].into();
    let slice: &[(&str, &str)] = &[("project_key", "ACME")];
    let array = [("project_key", 42_i64)];
    let vec = vec![("project_key".to_owned(), Some("ACME".to_owned()))];
    assert_eq!(derive_routing("jira", &hash).unwrap().resource_id(), "ACME");
    assert_eq!(derive_routing("jira", slice).unwrap().resource_id(), "ACME");
    assert_eq!(derive_routing("jira", &array).unwrap().resource_id(), "42");
    assert_eq!(derive_routing("jira", &vec).unwrap().resource_id(), "ACME");
    let none: Vec<(String, Option<String>)> = vec![("project_key".to_owned(), None)];
    assert!(derive_routing("jira", &none).is_none());
}

#[test]
fn wire_values_are_locked() {
    // C-001 / NFR-002: these strings are a cross-team contract. Changing them needs a
    // versioned migration with the SaaS team; do not edit this test to make a change pass.
    assert_eq!(ResourceType::JiraProject.as_str(), "jira_project");
    assert_eq!(ResourceType::LinearTeam.as_str(), "linear_team");
    assert_eq!(ResourceType::ALL.len(), 2);
    let table: Vec<(&str, &str, &str)> = ROUTING_TABLE
        .iter()
        .map(|r| {
            (
                r.provider.as_str(),
                r.resource_type.as_str(),
                r.credential_key,
            )
        })
        .collect();
    assert_eq!(
        table,
        [
            ("jira", "jira_project", "project_key"),
            ("linear", "linear_team", "team_id")
        ]
    );
}

#[test]
fn wire_values_round_trip_and_reject_everything_else() {
    for t in ResourceType::ALL {
        assert_eq!(t.as_str().parse::<ResourceType>(), Ok(t));
        assert_eq!(t.to_string(), t.as_str());
    }
    for bad in [
        "",
        "Jira_Project",
        " jira_project",
        "jira_project ",
        "jira",
        "linear-team",
        "JIRA_PROJECT",
    ] {
        let err = bad.parse::<ResourceType>().unwrap_err();
        assert_eq!(err.value, bad);
        assert!(err.to_string().contains("jira_project, linear_team"));
    }
}

#[test]
fn normalize_provider_trims_lowercases_and_maps_aliases() {
    assert_eq!(normalize_provider(" JIRA "), "jira");
    assert_eq!(normalize_provider("azure"), "azure_devops");
    assert_eq!(normalize_provider("Azure-DevOps"), "azure_devops");
    assert_eq!(normalize_provider("azure_devops"), "azure_devops");
    assert_eq!(normalize_provider(" Trello "), "trello");
    assert_eq!(normalize_provider(""), "");
}

#[test]
fn supported_set_is_exactly_the_seven_providers() {
    assert_eq!(
        SUPPORTED_PROVIDERS,
        [
            "jira",
            "linear",
            "azure_devops",
            "github",
            "gitlab",
            "beads",
            "fp"
        ]
    );
    for (p, name) in Provider::ALL.iter().zip(SUPPORTED_PROVIDERS) {
        assert_eq!(p.as_str(), name);
        assert_eq!(name.parse::<Provider>(), Ok(*p));
    }
    assert_eq!("AZURE".parse::<Provider>(), Ok(Provider::AzureDevops));
    let err = "trello".parse::<Provider>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "unsupported provider \"trello\"; use one of: jira, linear, azure_devops, github, gitlab, beads, fp"
    );
}

#[test]
fn routing_rule_normalizes_and_covers_only_jira_and_linear() {
    assert_eq!(
        routing_rule(" JIRA ").unwrap().credential_key,
        "project_key"
    );
    assert_eq!(
        routing_rule("linear").unwrap().resource_type,
        ResourceType::LinearTeam
    );
    for p in ["azure", "github", "gitlab", "beads", "fp", "x"] {
        assert!(routing_rule(p).is_none(), "{p}");
    }
}

#[test]
fn readiness_names_each_reason_and_agrees_with_derive_routing() {
    use routing_core::{CredentialValue, NotReady, Readiness, routing_readiness};
    let with = |v: Option<CredentialValue>| {
        let mut m = BTreeMap::new();
        if let Some(v) = v {
            m.insert("project_key".to_owned(), v);
        }
        m
    };
    let cases = [
        (
            None,
            Readiness::Unavailable(NotReady::MissingKey("project_key")),
        ),
        (
            Some(CredentialValue::String("  ".into())),
            Readiness::Unavailable(NotReady::BlankKey("project_key")),
        ),
        (
            Some(CredentialValue::Other),
            Readiness::Unavailable(NotReady::NotText("project_key")),
        ),
    ];
    for (value, expected) in cases {
        let creds = with(value);
        assert_eq!(routing_readiness("jira", &creds), expected);
        assert!(routing_core::derive_routing("jira", &creds).is_none());
    }
    let creds = with(Some(CredentialValue::Integer(7)));
    let Readiness::Ready(r) = routing_readiness(" JIRA ", &creds) else {
        panic!("an integer key routes");
    };
    assert_eq!(Some(r), routing_core::derive_routing("jira", &creds));
    assert_eq!(
        routing_readiness("gitlab", &creds),
        Readiness::Unavailable(NotReady::NoRule)
    );
}
