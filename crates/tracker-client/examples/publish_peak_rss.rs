//! Measures one publish of N cached issues: wall time and peak RSS of this process.
//!
//! `cargo run --release -p tracker-client --example publish_peak_rss -- 100000`
//!
//! The receiving end is a tiny loopback sink in this process that reads and discards the
//! body (so its memory does not count), answering 202.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::time::Instant;

#[path = "../benches/snapshot.rs"]
#[allow(dead_code, unreachable_pub)]
mod bench_data;

use contract_server::peak_rss_mib;
use spec_kitty_home::{ProjectIdentity, TrackerConfig};
use tracker_client::{PublishOptions, SnapshotSource, publish};
use tracker_store::IssueCache;

fn sink() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut len = 0u64;
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 2 {
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                line.clear();
            }
            std::io::copy(&mut reader.take(len), &mut std::io::sink()).unwrap();
            let mut s = stream;
            let _ = s.write_all(b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
        }
    });
    url
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.db");
    {
        let mut cache = IssueCache::open(&path).unwrap();
        for chunk in (0..n).collect::<Vec<_>>().chunks(5_000) {
            let issues: Vec<_> = chunk.iter().map(|i| bench_data::issue(*i)).collect();
            cache
                .upsert_issues(&issues, "2026-02-12T10:00:00+00:00")
                .unwrap();
        }
    }
    let before = peak_rss_mib();
    let cache = IssueCache::open(&path).unwrap();
    let config = TrackerConfig {
        provider: Some("jira".into()),
        workspace: Some("acme.atlassian.net".into()),
        ..TrackerConfig::default()
    };
    let creds = [(
        "project_key".to_owned(),
        routing_core::CredentialValue::String("ACME".into()),
    )]
    .into();
    let src = SnapshotSource::new(&config, ProjectIdentity::default(), &creds).unwrap();
    let url = sink();
    if std::env::var_os("PHASES").is_some() {
        let t = Instant::now();
        let p = tracker_client::prepare(&cache, &src).unwrap();
        println!(
            "one single-threaded pass (read + project + hash): {:.2}s for {} bytes",
            t.elapsed().as_secs_f64(),
            p.content_length
        );
        let t = Instant::now();
        let mut n = 0usize;
        let mut after: Option<String> = None;
        loop {
            let rows = cache
                .issues_page_text("jira", after.as_deref(), 256)
                .unwrap();
            n += rows.iter().map(|(_, p)| p.len()).sum::<usize>();
            let full = rows.len() == 256;
            after = rows.last().map(|(i, _)| i.clone());
            if !full {
                break;
            }
        }
        println!(
            "reading the rows only: {:.2}s ({n} bytes of payload)",
            t.elapsed().as_secs_f64()
        );
    }
    let started = Instant::now();
    let out = publish(&cache, &src, &PublishOptions::new(url)).unwrap();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "issues={} body={:.1} MB status={} publish={secs:.2}s peak_rss_before_publish={before:.1} MiB peak_rss={:.1} MiB",
        out.issues,
        out.content_length as f64 / 1e6,
        out.status,
        peak_rss_mib()
    );
}
