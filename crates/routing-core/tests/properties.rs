//! Property tests: derivation is total, deterministic, and atomic (both fields or neither).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use std::collections::BTreeMap;

use proptest::prelude::*;
use routing_core::{CredentialValue, derive_routing, wire_fields};

/// The characters Python 3.11's `str.strip()` removes (`str.isspace()`), spelled out: the
/// independent oracle for `routing_core::trim`, which the Python CLI's routing depends on.
const PYTHON_WHITESPACE: &[char] = &[
    '\u{9}', '\u{a}', '\u{b}', '\u{c}', '\u{d}', '\u{1c}', '\u{1d}', '\u{1e}', '\u{1f}', ' ',
    '\u{85}', '\u{a0}', '\u{1680}', '\u{2000}', '\u{2001}', '\u{2002}', '\u{2003}', '\u{2004}',
    '\u{2005}', '\u{2006}', '\u{2007}', '\u{2008}', '\u{2009}', '\u{200a}', '\u{2028}', '\u{2029}',
    '\u{202f}', '\u{205f}', '\u{3000}',
];

fn python_strip(s: &str) -> &str {
    s.trim_matches(PYTHON_WHITESPACE)
}

/// Strings made mostly of whitespace and near-whitespace (U+180E, U+200B, U+FEFF are not
/// whitespace to Python 3.11).
fn spacey() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            proptest::sample::select(PYTHON_WHITESPACE.to_vec()),
            proptest::sample::select(vec!['\u{180e}', '\u{200b}', '\u{feff}', 'a', 'Z', '-']),
        ],
        0..8,
    )
    .prop_map(|v| v.into_iter().collect())
}

fn value() -> impl Strategy<Value = CredentialValue> {
    prop_oneof![
        any::<String>().prop_map(CredentialValue::String),
        "[ \t\u{a0}\u{3000}]{0,3}[A-Za-z0-9-]{0,8}[ \t\u{2003}]{0,3}"
            .prop_map(CredentialValue::String),
        any::<i64>().prop_map(CredentialValue::Integer),
        Just(CredentialValue::Other),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("project_key".to_owned()),
        Just("team_id".to_owned()),
        Just("api_token".to_owned()),
        any::<String>(),
    ]
}

fn provider() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ \t]{0,2}(jira|JIRA|Jira|linear|LINEAR|github|azure|fp|beads)[ \t]{0,2}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn total_deterministic_and_atomic(
        p in provider(),
        creds in proptest::collection::btree_map(key(), value(), 0..6),
    ) {
        let first = derive_routing(&p, &creds);
        let second = derive_routing(&p, &creds);
        prop_assert_eq!(&first, &second);
        let (t, i) = wire_fields(first.as_ref());
        prop_assert_eq!(t.is_some(), i.is_some());
        if let Some(r) = &first {
            prop_assert!(!r.resource_id().is_empty());
            prop_assert_eq!(python_strip(r.resource_id()), r.resource_id());
        }
    }

    #[test]
    fn routed_iff_supported_and_non_blank(
        p in "(jira|linear)",
        v in prop_oneof![spacey(), any::<String>()],
    ) {
        let k = if p == "jira" { "project_key" } else { "team_id" };
        let creds: BTreeMap<String, String> = [(k.to_owned(), v.clone())].into();
        let r = derive_routing(&p, &creds);
        prop_assert_eq!(r.is_some(), !python_strip(&v).is_empty());
        if let Some(r) = r {
            prop_assert_eq!(r.resource_id(), python_strip(&v));
        }
    }

    #[test]
    fn trim_is_python_strip(s in prop_oneof![spacey(), any::<String>()]) {
        prop_assert_eq!(routing_core::trim(&s), python_strip(&s));
        prop_assert_eq!(routing_core::is_blank(&s), python_strip(&s).is_empty());
    }

    #[test]
    fn unsupported_providers_never_route(
        p in "[a-z_]{0,12}",
        v in "[A-Z]{1,5}",
    ) {
        prop_assume!(p != "jira" && p != "linear");
        let creds: BTreeMap<String, String> =
            [("project_key".to_owned(), v.clone()), ("team_id".to_owned(), v)].into();
        prop_assert!(derive_routing(&p, &creds).is_none());
    }
}
