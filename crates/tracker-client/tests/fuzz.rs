//! Fuzz-style property tests of what the publish reads from outside: cached rows any
//! writer left, and any answer a server sends. No panic, bounded time, one-line errors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use std::time::{Duration, Instant};

use proptest::prelude::*;
use serde_json::Value;
use tracker_client::{
    PublishError, PublishOutcome, ResponseBody, project_issue, project_issue_text,
};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        proptest::sample::select(vec![
            "todo",
            "DONE",
            "2026-02-12T10:00:00Z",
            "20260212T1",
            "4",
            "jira",
            ""
        ])
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::vec(
                (
                    proptest::sample::select(vec![
                        "ref",
                        "system",
                        "workspace",
                        "id",
                        "key",
                        "url",
                        "title",
                        "body",
                        "status",
                        "issue_type",
                        "priority",
                        "assignees",
                        "labels",
                        "updated_at",
                        "raw",
                        "x",
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
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn any_stored_row_projects_or_is_refused_on_one_line(v in json_value(), junk in ".{0,40}") {
        let start = Instant::now();
        let text = v.to_string();
        let by_text = project_issue_text(&text);
        prop_assert_eq!(&by_text, &project_issue(&v), "{}", text);
        if let Err(e) = by_text {
            prop_assert!(!e.to_string().contains('\n'), "{e}");
        }
        if let Err(e) = project_issue_text(&junk) {
            prop_assert!(!e.to_string().contains('\n'), "{e}");
        }
        prop_assert!(start.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn any_server_answer_makes_a_one_line_error_without_control_characters(
        status in 300u16..600,
        text in "(?s).{0,400}",
        v in json_value(),
    ) {
        for body in [ResponseBody::Text(text.clone()), ResponseBody::Json(v.clone())] {
            let e = PublishError::Rejected(Box::new(PublishOutcome {
                endpoint: "https://user:pw@x.example/api/v1/connectors/trackers/snapshots/".into(),
                status,
                ok: false,
                body,
                body_incomplete: false,
                idempotency_key: String::new(),
                attempts: 1,
                routing: None,
                issues: 0,
                content_length: 0,
                waits: vec![],
            }))
            .to_string();
            prop_assert!(!e.chars().any(char::is_control), "{e:?}");
            prop_assert!(!e.contains("pw@"), "{e}");
            prop_assert!(e.chars().count() < 700, "{}", e.len());
        }
    }
}
