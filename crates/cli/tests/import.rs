//! `sync import-history` end to end, over a project the Python CLI 2.1.0 produced itself
//! (`crates/lane-log/tests/data/python-2.1.0`): imported, drained into the reference
//! receiver, every event accepted; a second import queues nothing; the payloads are the
//! ones the Python emitter built for the same transitions live; malformed lines, a feature
//! without meta.json, `--since` and `--dry-run`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers
#![allow(clippy::disallowed_methods)] // tests lay out fixture files directly

mod common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

fn python_project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../lane-log/tests/data/python-2.1.0")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// An env whose project is a copy of the Python CLI's project.
fn env_with_project() -> Env {
    let env = Env::new();
    copy_dir(&python_project(), &env.project());
    env
}

fn import(env: &Env, extra: &[&str]) -> Run {
    let mut c = env.cmd(&[&["sync", "import-history"][..], extra].concat());
    c.env("USER", "dev");
    run(c)
}

fn json_of(r: &Run) -> Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}\n{}", r.render()))
}

#[test]
fn the_python_project_history_imports_uploads_and_is_accepted_exactly_once() {
    let env = env_with_project();
    let r = import(&env, &["--json"]);
    assert_eq!(r.code, 0, "{}", r.render());
    let v = json_of(&r);
    assert_eq!(v["total"], 16);
    assert_eq!(v["queued"]["001-history-import"]["FeatureCreated"], 1);
    assert_eq!(v["queued"]["001-history-import"]["WPCreated"], 3);
    assert_eq!(v["queued"]["001-history-import"]["WPStatusChanged"], 12);
    let events = env.queued();
    let types: Vec<&str> = events
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(types[0], "FeatureCreated");
    assert_eq!(&types[1..4], ["WPCreated"; 3]);
    assert!(types[4..].iter().all(|t| *t == "WPStatusChanged"));
    // Lamport values increase in queue order.
    let clocks: Vec<i64> = events
        .iter()
        .map(|e| e["lamport_clock"].as_i64().unwrap())
        .collect();
    assert!(clocks.windows(2).all(|w| w[0] < w[1]), "{clocks:?}");
    // A row's envelope carries the row's own id and time.
    let log = std::fs::read_to_string(
        env.project()
            .join("kitty-specs/001-history-import/status.events.jsonl"),
    )
    .unwrap();
    for (line, e) in log.lines().zip(&events[4..]) {
        let row: Value = serde_json::from_str(line).unwrap();
        assert_eq!(e["event_id"], row["event_id"]);
        assert_eq!(e["timestamp"], row["at"]);
        assert_eq!(e["aggregate_id"], row["wp_id"]);
    }
    // A second import queues nothing.
    let again = json_of(&import(&env, &["--json"]));
    assert_eq!(
        (again["total"].as_u64(), again["already_queued"].as_u64()),
        (Some(0), Some(16))
    );
    // Uploaded: every event accepted.
    let s = server();
    let r = env.sync_now(&s.url(), &["--json"]);
    assert_eq!(r.code, 0, "{}", r.render());
    assert_eq!(json_of(&r)["sent"], 16, "{}", r.render());
    assert_eq!(s.accepted_event_ids().len(), 16);
    // After the upload, a re-import sends nothing the server has not answered duplicate for.
    assert_eq!(json_of(&import(&env, &["--json"]))["total"], 16);
    let r = env.sync_now(&s.url(), &["--json"]);
    let v = json_of(&r);
    assert_eq!(
        (v["sent"].as_u64(), v["duplicate"].as_u64()),
        (Some(0), Some(16)),
        "{}",
        r.render()
    );
}

#[test]
fn imported_payloads_are_the_ones_the_python_emitter_built_live() {
    let env = env_with_project();
    assert_eq!(import(&env, &[]).code, 0);
    let ours: Vec<Value> = env
        .queued()
        .into_iter()
        .filter(|e| e["event_type"] == "WPStatusChanged")
        .collect();
    let live: Vec<Value> = serde_json::from_str::<Vec<Value>>(
        &std::fs::read_to_string(python_project().join("live-queue-events.json")).unwrap(),
    )
    .unwrap()
    .into_iter()
    .filter(|e| e["event_type"] == "WPStatusChanged")
    .collect();
    assert_eq!(ours.len(), live.len());
    for (o, l) in ours.iter().zip(&live) {
        assert_eq!(
            o["payload"], l["payload"],
            "the payload of {}",
            l["event_id"]
        );
        // Key order too: the payload bytes the Python CLI sends.
        assert_eq!(o["payload"].to_string(), l["payload"].to_string());
        assert_eq!(o["aggregate_type"], l["aggregate_type"]);
        assert_eq!(o["aggregate_id"], l["aggregate_id"]);
    }
}

#[test]
fn malformed_lines_are_reported_and_skipped_and_the_rest_imports() {
    let env = env_with_project();
    let log = env
        .project()
        .join("kitty-specs/001-history-import/status.events.jsonl");
    let mut lines: Vec<String> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    lines.insert(1, "{oops".into());
    // A row whose id breaks the rules: listed, never queued.
    lines.insert(
        3,
        lines[2].replacen("\"event_id\": \"", "\"event_id\": \"lower-", 1),
    );
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let r = import(&env, &[]);
    assert_eq!(r.code, 1, "{}", r.render());
    assert!(
        r.stderr.contains("status.events.jsonl:2: not JSON"),
        "{}",
        r.render()
    );
    assert!(
        r.stderr.contains("status.events.jsonl:4: not queued"),
        "{}",
        r.render()
    );
    assert!(r.stdout.contains("queued 16"), "{}", r.render());
    assert_eq!(env.queued().len(), 16);
}

#[test]
fn a_feature_without_meta_json_imports_without_feature_created() {
    let env = env_with_project();
    std::fs::remove_file(
        env.project()
            .join("kitty-specs/001-history-import/meta.json"),
    )
    .unwrap();
    let r = import(&env, &["--json"]);
    assert_eq!(r.code, 0, "{}", r.render());
    let v = json_of(&r);
    assert!(
        v["queued"]["001-history-import"]
            .get("FeatureCreated")
            .is_none()
    );
    assert_eq!(v["queued"]["001-history-import"]["WPCreated"], 3);
    assert_eq!(v["total"], 15);
    assert!(
        v["notes"][0]
            .as_str()
            .unwrap()
            .contains("no FeatureCreated (no meta.json)"),
        "{v}"
    );
}

#[test]
fn since_leaves_out_what_came_before_and_dry_run_writes_nothing() {
    let env = env_with_project();
    let r = import(
        &env,
        &[
            "--dry-run",
            "--json",
            "--since",
            "2026-11-29T21:36:06+00:00",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.render());
    let v = json_of(&r);
    assert!(
        !env.home().join(".spec-kitty/queue.db").exists(),
        "a dry run writes no queue"
    );
    assert!(
        !env.home().join(".spec-kitty/clock.json").exists(),
        "nor the clock"
    );
    let envelopes = v["envelopes"].as_array().unwrap();
    assert_eq!(envelopes.len() as u64, v["total"].as_u64().unwrap());
    assert!(
        envelopes
            .iter()
            .all(|e| e["timestamp"].as_str().unwrap() >= "2026-11-29T21:36:06")
    );
    assert_eq!(
        v["total"].as_u64().unwrap() + v["before_since"].as_u64().unwrap(),
        16
    );
    assert_eq!(
        v["queued"]["001-history-import"]["WPStatusChanged"], 8,
        "{v}"
    );
    let r = import(&env, &["--since", "yesterday"]);
    assert_eq!(r.code, 2, "{}", r.render());
    let r = import(&env, &["--feature", "999-nope", "--json"]);
    assert_eq!(json_of(&r)["total"], 0);
    assert!(
        r.stdout.contains("no feature \\\"999-nope\\\""),
        "{}",
        r.render()
    );
}
