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

mod pagination {
    //! The pull's paging state machine against any sequence of pages a service could send
    //! (cursors repeating, empty pages, pages that end): it always ends, within a bound,
    //! and never panics.

    use proptest::prelude::*;
    use tracker_connectors::{
        Connector, ConnectorError, MAX_EMPTY_PAGES, Order, Page, PullOptions, pull,
    };
    use tracker_store::IssueCache;

    /// Pages scripted by the test: `(issues on the page, next cursor)`; after the script, a
    /// last empty page.
    struct Script {
        pages: Vec<(usize, Option<String>)>,
        at: usize,
        order: Order,
    }

    impl Connector for Script {
        fn provider(&self) -> &'static str {
            "jira"
        }
        fn service(&self) -> &'static str {
            "Jira"
        }
        fn endpoint(&self) -> String {
            "https://script.invalid/".into()
        }
        fn order(&self) -> Order {
            self.order
        }
        fn whoami(&mut self) -> Result<String, ConnectorError> {
            Ok("script".into())
        }
        fn fetch_page(
            &mut self,
            _since: Option<jiff::Timestamp>,
            _cursor: Option<&str>,
            _size: u32,
        ) -> Result<Page, ConnectorError> {
            let (n, next) = self.pages.get(self.at).cloned().unwrap_or((0, None));
            let base = self.at * 10;
            self.at += 1;
            Ok(Page {
                issues: (0..n)
                    .map(|i| tracker_store::sample_issue(base + i))
                    .collect(),
                next_cursor: next,
                trimmed: false,
            })
        }
    }

    #[test]
    fn regression_22_17_a_page_the_cache_refuses_keeps_the_pages_before_and_says_so() {
        struct Pages(usize);
        impl Connector for Pages {
            fn provider(&self) -> &'static str {
                "jira"
            }
            fn service(&self) -> &'static str {
                "Jira"
            }
            fn endpoint(&self) -> String {
                "https://script.invalid/".into()
            }
            fn order(&self) -> Order {
                Order::Ascending
            }
            fn whoami(&mut self) -> Result<String, ConnectorError> {
                Ok("script".into())
            }
            fn fetch_page(
                &mut self,
                _: Option<jiff::Timestamp>,
                _: Option<&str>,
                _: u32,
            ) -> Result<Page, ConnectorError> {
                self.0 += 1;
                let mut issue = tracker_store::sample_issue(self.0);
                if self.0 == 2 {
                    // A row the cache refuses to write, as a full disk would.
                    issue.reference.id = " ".into();
                }
                Ok(Page {
                    issues: vec![issue],
                    next_cursor: Some(format!("c{}", self.0)),
                    trimmed: false,
                })
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let mut cache = IssueCache::open(&dir.path().join("c.db")).unwrap();
        let opts = PullOptions {
            full: false,
            page_size: 1,
        };
        let err = pull(&mut cache, &mut Pages(0), "jira:acme", &opts, |_| {}).unwrap_err();
        assert!(
            matches!(err, tracker_connectors::PullError::Cache { .. }),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains("keeps the 1 page(s) committed before"),
            "{err}"
        );
        assert_eq!(cache.count_issues("jira").unwrap(), 1);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        #[test]
        fn every_pull_ends(
            pages in proptest::collection::vec((0usize..3, proptest::option::of("[ab]{1,2}")), 0..40),
            descending in any::<bool>(),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let mut cache = IssueCache::open(&dir.path().join("c.db")).unwrap();
            let order = if descending { Order::Descending } else { Order::Ascending };
            let mut script = Script { pages: pages.clone(), at: 0, order };
            let opts = PullOptions { full: false, page_size: 10 };
            let _ = pull(&mut cache, &mut script, "jira:acme", &opts, |_| {});
            // Each page read hands out a cursor never seen before (6 can be drawn), or ends
            // the pull, or stops it: at most 7 reads, and never past the script's end.
            prop_assert!(script.at <= 7.min(pages.len() + 1), "{} pages read of {:?}", script.at, pages);
            // And never more than MAX_EMPTY_PAGES empty pages in a row.
            let mut run = 0;
            for (n, next) in pages.iter().take(script.at) {
                run = if *n == 0 && next.is_some() { run + 1 } else { 0 };
                prop_assert!(run <= MAX_EMPTY_PAGES + 1);
            }
        }
    }
}
