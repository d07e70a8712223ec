//! The one sample issue the publish benchmarks cache (feature `bench`): the divan
//! benchmark, the peak-RSS example and `cargo xtask bench-publish` measure the same
//! snapshot.

use crate::{CanonicalIssue, IssueRef};

/// Issue number `i` of a benchmark cache: a Jira story of `acme.atlassian.net` with a
/// realistic title, body, labels and the provider's raw issue, as a pull stores it.
#[must_use]
pub fn sample_issue(i: usize) -> CanonicalIssue {
    CanonicalIssue {
        reference: IssueRef {
            system: "jira".into(),
            workspace: "acme.atlassian.net".into(),
            id: format!("{}", 100_000 + i),
            key: Some(format!("ACME-{i}")),
            url: Some(format!("https://acme.atlassian.net/browse/ACME-{i}")),
        },
        title: format!("Issue number {i}: make the tracker snapshot publish route by resource"),
        body: Some("A realistic body of a few sentences. ".repeat(8)),
        status: ["todo", "in_progress", "done"][i % 3].into(),
        issue_type: "story".into(),
        priority: Some(i64::try_from(i % 5).unwrap_or(0)),
        assignees: vec!["5b10ac8d82e05b22cc7d4ef5".into()],
        labels: vec!["tracker".into(), "routing".into()],
        parent: None,
        links: vec![],
        custom_fields: serde_json::Map::new(),
        created_at: Some("2026-02-11T09:00:00+00:00".into()),
        updated_at: Some("2026-02-12T10:00:00.123456+00:00".into()),
        raw: Some(
            serde_json::json!({"id": format!("{}", 100_000 + i), "key": format!("ACME-{i}"),
            "fields": {"summary": "the provider's whole issue, which the snapshot never reads",
                       "status": {"name": "In Progress", "statusCategory": {"key": "indeterminate"}}}}),
        ),
    }
}
