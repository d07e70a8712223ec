//! Any issue JSON a tracker sends maps to a canonical issue or is refused, never a panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use proptest::prelude::*;
use serde_json::Value;
use tracker_connectors::{adf_to_text, jira_issue, linear_issue};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,10}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::vec(
                (
                    proptest::sample::select(vec![
                        "id",
                        "key",
                        "identifier",
                        "fields",
                        "summary",
                        "description",
                        "status",
                        "statusCategory",
                        "name",
                        "type",
                        "priority",
                        "assignee",
                        "accountId",
                        "labels",
                        "nodes",
                        "issuetype",
                        "subtask",
                        "parent",
                        "updated",
                        "created",
                        "updatedAt",
                        "createdAt",
                        "state",
                        "content",
                        "text",
                        "attrs",
                        "title",
                        "url",
                    ]),
                    inner
                ),
                0..8
            )
            .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn any_remote_issue_maps_or_is_refused(v in json_value()) {
        if let Some(i) = jira_issue("https://acme.atlassian.net", &v) {
            prop_assert!(!i.title.trim().is_empty());
            prop_assert!(i.priority.is_none_or(|p| (0..=4).contains(&p)));
        }
        if let Some(i) = linear_issue("acme", &v) {
            prop_assert!(!i.title.trim().is_empty());
            prop_assert!(i.priority.is_none_or(|p| (0..=4).contains(&p)));
        }
        let _ = adf_to_text(&v);
    }
}
