//! Benchmarks of routing derivation (spec NFR-001: < 1 ms added per publish; we aim < 1 µs).
#![allow(missing_docs)]

use std::collections::BTreeMap;

use divan::black_box;
use routing_core::{CredentialValue, RoutingKey, RoutingTable, derive_routing};

fn main() {
    divan::main();
}

fn credentials(project_key: &str) -> BTreeMap<String, CredentialValue> {
    let mut c = BTreeMap::new();
    for (k, v) in [
        ("base_url", "https://acme.atlassian.net"),
        ("email", "dev@example.com"),
        ("api_token", "secret-token-value"),
        ("project_key", project_key),
    ] {
        c.insert(k.to_owned(), CredentialValue::String(v.to_owned()));
    }
    c
}

#[divan::bench]
fn jira_routed(bencher: divan::Bencher<'_, '_>) {
    let creds = credentials(" ACME ");
    bencher.bench(|| derive_routing(black_box(" Jira "), black_box(&creds)));
}

#[divan::bench]
fn jira_blank_key(bencher: divan::Bencher<'_, '_>) {
    let creds = credentials("   ");
    bencher.bench(|| derive_routing(black_box("jira"), black_box(&creds)));
}

#[divan::bench]
fn unsupported_provider(bencher: divan::Bencher<'_, '_>) {
    let creds = credentials("ACME");
    bencher.bench(|| derive_routing(black_box("github"), black_box(&creds)));
}

#[divan::bench]
fn saas_resolve_fallback(bencher: divan::Bencher<'_, '_>) {
    let mut table = RoutingTable::new();
    for i in 0..1000 {
        let id = format!("P{i}");
        if let Ok(k) = RoutingKey::new("jira", "acme", Some(("jira_project", id.as_str()))) {
            table.insert(k, i);
        }
    }
    if let Ok(k) = RoutingKey::new("jira", "acme", None) {
        table.insert(k, -1);
    }
    let key = RoutingKey::new("jira", "acme", Some(("jira_project", "UNMAPPED")));
    bencher.bench(|| {
        key.as_ref()
            .ok()
            .and_then(|k| table.resolve(black_box(k)).map(|r| *r.value()))
    });
}
