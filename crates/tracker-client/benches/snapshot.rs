//! Snapshot assembly + serialization + hashing for 1k/10k/100k cached issues, and the
//! routing-field overhead per publish (spec NFR-001: < 1 ms).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use divan::{Bencher, black_box};
use routing_core::CredentialValue;
use spec_kitty_home::{Credentials, ProjectIdentity, TrackerConfig};
use tracker_client::{SnapshotSource, prepare};
use tracker_store::{CanonicalIssue, IssueCache};

fn main() {
    divan::main();
}

/// The one benchmark issue (`tracker_store::sample_issue`).
pub fn issue(i: usize) -> CanonicalIssue {
    tracker_store::sample_issue(i)
}

fn source(project_key: Option<&str>) -> SnapshotSource {
    let config = TrackerConfig {
        provider: Some("jira".into()),
        workspace: Some("acme.atlassian.net".into()),
        ..TrackerConfig::default()
    };
    let mut creds = Credentials::new();
    creds.insert(
        "base_url".into(),
        CredentialValue::String("https://acme.atlassian.net".into()),
    );
    creds.insert("api_token".into(), CredentialValue::String("secret".into()));
    if let Some(k) = project_key {
        creds.insert("project_key".into(), CredentialValue::String(k.into()));
    }
    SnapshotSource::new(&config, ProjectIdentity::default(), &creds).unwrap()
}

#[divan::bench(args = [1_000, 10_000, 100_000], sample_count = 5, sample_size = 1)]
fn assemble_serialize_hash(bencher: Bencher<'_, '_>, n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let mut cache = IssueCache::open(&dir.path().join("b.db")).unwrap();
    let issues: Vec<CanonicalIssue> = (0..n).map(issue).collect();
    cache
        .upsert_issues(&issues, "2026-02-12T10:00:00+00:00")
        .unwrap();
    drop(issues);
    let src = source(Some("ACME"));
    bencher
        .counter(divan::counter::ItemsCount::new(n))
        .bench_local(|| prepare(black_box(&cache), black_box(&src)).unwrap());
}

/// What routing adds to a publish: deriving it from the credentials (SnapshotSource::new
/// runs derive_routing) compared with a binding that has no routing key.
#[divan::bench(args = [Some("ACME"), None])]
fn routing_overhead_per_publish(bencher: Bencher<'_, '_>, project_key: Option<&str>) {
    bencher.bench_local(|| source(black_box(project_key)));
}
