//! Times the upload of N queued events to the reference receiver (a child process, so its
//! memory does not count): events per second and this process's peak RSS.
//!
//! `cargo run --release -p event-client --example upload_bench -- 100000`
//!
//! `upload_bench N --to-sink` sends to a minimal receiver instead, to measure the sender
//! alone. Helpers for comparing whole CLIs: `upload_bench --serve` (or `--sink`) runs the
//! receiver and prints its URL (until stdin closes); `upload_bench --fill QUEUE_DB N`
//! fills a queue file.
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

use contract_server::{ContractServer, ServerConfig};
use event_client::{Auth, UploadOptions, sync_now};
use http_transport::Secret;
use serde_json::json;

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// N valid envelopes in one transaction (the Python CLI's table, as `EventQueue` makes it).
fn fill(path: &Path, n: u64) {
    drop(event_store::EventQueue::open(path, u64::MAX).unwrap());
    let mut conn = rusqlite::Connection::open(path).unwrap();
    let tx = conn.transaction().unwrap();
    {
        let mut stmt = tx
            .prepare("INSERT INTO queue(event_id, event_type, data, timestamp) VALUES(?1, 'WPStatusChanged', ?2, ?3)")
            .unwrap();
        for i in 0..n {
            let id = format!("01KQ{i:022}");
            let env = json!({"event_id": id, "event_type": "WPStatusChanged", "aggregate_id": "WP01",
                "aggregate_type": "WorkPackage",
                "payload": {"wp_id": "WP01", "from_lane": "planned", "to_lane": "in_progress",
                            "actor": "bench-agent", "feature_slug": "048-tracker-routing"},
                "timestamp": "2026-11-25T10:00:00.123456+00:00", "node_id": "a1b2c3d4e5f6",
                "lamport_clock": i + 1, "causation_id": null, "team_slug": "acme",
                "project_uuid": "550e8400-e29b-41d4-a716-446655440000", "project_slug": "spec-kitty",
                "git_branch": "main", "head_commit_sha": "0cf3f906f4f979a000cf04c78688a397d69b6a37",
                "repo_slug": "acme/spec-kitty"});
            stmt.execute(rusqlite::params![
                id,
                env.to_string(),
                1_795_600_000 + i64::try_from(i).unwrap()
            ])
            .unwrap();
        }
    }
    tx.commit().unwrap();
}

fn serve() {
    let s = ContractServer::start(ServerConfig {
        keep_bodies: false,
        ..ServerConfig::default()
    })
    .unwrap();
    println!("{}", s.url());
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}

/// A minimal receiver: reads each batch, answers `success` for every event id, checks
/// nothing else. It isolates the sender's own cost from the reference receiver's.
fn sink() {
    #[derive(serde::Deserialize)]
    struct Ev {
        event_id: String,
    }
    #[derive(serde::Deserialize)]
    struct Batch {
        events: Vec<Ev>,
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    println!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(|| {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        std::process::exit(0);
    });
    for stream in listener.incoming().flatten() {
        let _ = stream.set_nodelay(true);
        std::thread::spawn(move || {
            use std::io::Write;
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            loop {
                let (mut len, mut line) = (0usize, String::new());
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    if line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; len];
                reader.read_exact(&mut body).unwrap();
                let mut plain = Vec::new();
                flate2::read::GzDecoder::new(&body[..])
                    .read_to_end(&mut plain)
                    .unwrap();
                let batch: Batch = serde_json::from_slice(&plain).unwrap();
                let results: Vec<serde_json::Value> = batch
                    .events
                    .iter()
                    .map(|e| json!({"event_id": e.event_id, "status": "success"}))
                    .collect();
                let out = json!({"results": results}).to_string();
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{out}",
                    out.len()
                );
                (&stream).write_all(answer.as_bytes()).unwrap();
            }
        });
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--serve") => return serve(),
        Some("--sink") => return sink(),
        Some("--fill") => return fill(Path::new(&args[1]), args[2].parse().unwrap()),
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
    let mut opts = UploadOptions::new(url.trim(), Auth::Explicit(Secret::new("bench")));
    opts.sleep = Arc::new(|_| {});
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
