//! Times the upload of N queued events to the reference receiver (a child process, so its
//! memory does not count): events per second and this process's peak RSS.
//!
//! `cargo run --release -p event-client --example upload_bench -- 100000`
//!
//! `upload_bench N --to-sink` sends to a minimal receiver instead, to measure the sender
//! alone. Whole CLIs, ours beside the Python CLI's: `cargo xtask bench-upload`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout
)]

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use contract_server::{BatchSink, ContractServer, ServerConfig, peak_rss_mib, sample_event};
use event_client::{Auth, UploadOptions, sync_now};
use http_transport::Secret;

/// N valid envelopes, queued in chunks (so that filling does not count in the peak RSS).
fn fill(path: &Path, n: u64) {
    let mut queue = event_store::EventQueue::open(path, u64::MAX).unwrap();
    for chunk in (0..n).collect::<Vec<_>>().chunks(5000) {
        fill_chunk(&mut queue, chunk);
    }
}

fn fill_chunk(queue: &mut event_store::EventQueue, ids: &[u64]) {
    let events: Vec<(String, String)> = ids.iter().map(|&i| sample_event(i)).collect();
    queue
        .enqueue_many(
            events
                .iter()
                .map(|(id, data)| (id.as_str(), "WPStatusChanged", data.as_str())),
        )
        .unwrap();
}

/// Runs a receiver in this (child) process and prints its URL, until stdin closes.
fn serve(sink: bool) {
    let (_server, _sink);
    if sink {
        let s = BatchSink::start().unwrap();
        println!("{}", s.url());
        _sink = s;
    } else {
        let s = ContractServer::start(ServerConfig {
            keep_bodies: false,
            ..ServerConfig::default()
        })
        .unwrap();
        println!("{}", s.url());
        _server = s;
    }
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--serve") => return serve(false),
        Some("--sink") => return serve(true),
        _ => {}
    }
    let n: u64 = args.first().map_or(100_000, |a| a.parse().unwrap());
    let server_mode = if args.get(1).map(String::as_str) == Some("--to-sink") {
        "--sink"
    } else {
        "--serve"
    };
    let dir = tempfile::tempdir().unwrap();
    let queue = dir.path().join("queue.db");
    fill(&queue, n);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .arg(server_mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let mut opts = UploadOptions::new(
        url.trim(),
        Auth::Given(Secret::new("bench"), saas_session::TokenSource::Given),
    );
    opts.settings.sleep = Arc::new(|_| {});
    let t = Instant::now();
    let r = sync_now(&[queue], &opts, |_| {}).unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "uploaded {} events in {} requests: {secs:.3} s, {:.0} events/s, left {}",
        r.sent + r.duplicate,
        r.requests,
        (r.sent + r.duplicate) as f64 / secs,
        r.left
    );
    println!(
        "peak RSS of the uploading process: {:.1} MiB",
        peak_rss_mib()
    );
    drop(child.stdin.take());
    let _ = child.wait();
}
