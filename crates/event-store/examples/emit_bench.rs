//! Times N emits from one process into a fresh home (each one ticks the locked clock and
//! commits one queue row): events per second and peak RSS.
//!
//! `cargo run --release -p event-store --example emit_bench -- 2000`
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout
)]

use std::time::Instant;

use event_envelope::{EmitterContext, EventType, GitMetadata};
use event_store::EventEmitter;
use serde_json::json;
use spec_kitty_home::SpecKittyHome;

fn main() {
    let n: u32 = std::env::args().nth(1).map_or(2000, |a| a.parse().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let context = EmitterContext {
        node_id: "a1b2c3d4e5f6".into(),
        team_slug: "acme".into(),
        project_uuid: Some("550e8400-e29b-41d4-a716-446655440000".into()),
        project_slug: Some("spec-kitty".into()),
        git: GitMetadata {
            branch: Some("main".into()),
            head_commit_sha: Some("0cf3f906f4f979a000cf04c78688a397d69b6a37".into()),
            repo_slug: Some("acme/spec-kitty".into()),
        },
    };
    let mut e = EventEmitter::open(&SpecKittyHome::at(dir.path()), context).unwrap();
    let payload = json!({"wp_id": "WP01", "from_lane": "planned", "to_lane": "in_progress", "actor": "bench"});
    let t = Instant::now();
    for _ in 0..n {
        e.emit(
            EventType::WPStatusChanged,
            "WP01",
            payload.as_object().unwrap().clone(),
            None,
        )
        .unwrap();
    }
    let secs = t.elapsed().as_secs_f64();
    let rss = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:").map(|v| v.trim().to_owned()))
        .unwrap_or_default();
    println!(
        "{n} emits: {secs:.3} s, {:.0} events/s ({:.2} ms each, durable: clock and queue fsynced); peak RSS {rss}",
        f64::from(n) / secs,
        secs * 1000.0 / f64::from(n)
    );
}
