//! Times a pull of N issues from the fake Jira (a child process, so its memory does not
//! count) into a fresh cache, then a re-pull with nothing changed; prints wall times and
//! this process's peak RSS.
//!
//! `cargo run --release -p tracker-connectors --example pull_bench -- 10000`
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout
)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use contract_server::{ContractServer, FakeJira, ServerConfig, peak_rss_mib};
use routing_core::CredentialValue;
use serde_json::json;
use spec_kitty_home::Credentials;
use tracker_connectors::{PullOptions, connector_for, connector_settings, pull};
use tracker_store::IssueCache;

fn serve(n: u64) {
    let issues = (1..=n)
        .map(|i| {
            json!({"id": format!("{}", 100_000 + i), "key": format!("ACME-{i}"),
                "self": format!("https://acme.atlassian.net/rest/api/3/issue/{}", 100_000 + i),
                "fields": {
                    "summary": format!("Issue {i}: route snapshots to the right project ☃"),
                    "description": {"type": "doc", "version": 1, "content": [
                        {"type": "paragraph", "content": [{"type": "text", "text": "Add external_resource_type and external_resource_id to every snapshot."}]},
                        {"type": "paragraph", "content": [{"type": "text", "text": format!("Issue number {i}.")}]}]},
                    "status": {"name": "In Progress", "statusCategory": {"key": "indeterminate"}},
                    "priority": {"name": "Medium"}, "labels": ["tracker", "routing"],
                    "issuetype": {"name": "Story"}, "assignee": {"accountId": "5b10ac8d82e05b22cc7d4ef5"},
                    "updated": format!("2026-01-{:02}T{:02}:{:02}:00.000+0000", 1 + i / 1440 % 28, i / 60 % 24, i % 60),
                    "created": "2026-01-01T00:00:00.000+0000"}})
        })
        .collect();
    let s = ContractServer::start(ServerConfig {
        keep_bodies: false,
        jira: Some(FakeJira {
            email: "bench@example.com".into(),
            api_token: "t".into(),
            project_key: "ACME".into(),
            time_zone: "UTC".into(),
            issues,
        }),
        ..ServerConfig::default()
    })
    .unwrap();
    println!("{}", s.url());
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}

fn main() {
    let mut args = std::env::args().skip(1);
    let first = args.next().unwrap_or_else(|| "10000".into());
    if first == "--serve" {
        serve(args.next().unwrap().parse().unwrap());
        return;
    }
    let n: u64 = first.parse().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--serve", &n.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let creds: Credentials = [
        ("base_url", url.trim()),
        ("email", "bench@example.com"),
        ("api_token", "t"),
        ("project_key", "ACME"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), CredentialValue::String((*v).to_owned())))
    .collect();
    let dir = tempfile::tempdir().unwrap();
    let mut cache = IssueCache::open(&dir.path().join("t.db")).unwrap();
    let opts = http_transport::Settings {
        sleep: Arc::new(|_| {}),
        ..connector_settings()
    };
    let pull_opts = PullOptions {
        full: false,
        page_size: 100,
    };
    for label in ["first pull", "re-pull, nothing changed"] {
        let mut c = connector_for("jira", "acme", &creds, &opts).unwrap();
        let t = Instant::now();
        let s = pull(&mut cache, c.as_mut(), "jira:acme", &pull_opts, |_| {}).unwrap();
        println!(
            "{label}: {:.3} s, {} pages, created {} updated {} unchanged {}",
            t.elapsed().as_secs_f64(),
            s.pages,
            s.counts.created,
            s.counts.updated,
            s.counts.unchanged
        );
    }
    let full = Instant::now();
    let mut c = connector_for("jira", "acme", &creds, &opts).unwrap();
    let s = pull(
        &mut cache,
        c.as_mut(),
        "jira:acme",
        &PullOptions {
            full: true,
            page_size: 100,
        },
        |_| {},
    )
    .unwrap();
    println!(
        "full re-pull (--full), all unchanged: {:.3} s, {} pages, unchanged {}",
        full.elapsed().as_secs_f64(),
        s.pages,
        s.counts.unchanged
    );
    println!("peak RSS of the pulling process: {:.1} MiB", peak_rss_mib());
    drop(child.stdin.take());
    let _ = child.wait();
}
