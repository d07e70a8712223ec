//! The Python CLI 2.1.0 emitter and ours on one queue and one receiver: every event the
//! Python emitter produces (one of each of its 12 types, captured in
//! `tests/data/python-2.1.0-emitter-events.json`) is accepted by our `events emit`, drained
//! by our `sync now` and accepted by the reference receiver; every envelope our `events
//! emit` builds passes the Python emitter's own validation. The parts that run the Python
//! CLI need `SPEC_KITTY_PYTHON_CLI` (its `spec-kitty` in a venv) and are skipped with a
//! message without it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers
#![allow(clippy::disallowed_methods)] // tests lay out fixture files directly
#![allow(clippy::print_stderr)] // a skipped comparison says why

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use common::*;
use serde_json::Value;

/// The captured envelopes of the Python emitter.
fn captured() -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/python-2.1.0-emitter-events.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The venv's python, when `SPEC_KITTY_PYTHON_CLI` names a Python CLI beside it.
fn python() -> Option<PathBuf> {
    let cli = PathBuf::from(std::env::var_os("SPEC_KITTY_PYTHON_CLI")?);
    let py = cli.parent()?.join("python");
    if py.exists() {
        Some(py)
    } else {
        eprintln!("skipped: no python beside {}", cli.display());
        None
    }
}

fn driver() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/emitter.py")
}

/// Writes `events` into the home's queue exactly as the Python CLI's queue holds them.
fn queue_events(env: &Env, events: &[Value]) {
    let home = spec_kitty_home::SpecKittyHome::at(env.home().join(".spec-kitty"));
    let files = event_store::QueueFiles::resolve(&home).unwrap();
    let mut q = event_store::EventQueue::open(files.active(), u64::MAX).unwrap();
    for e in events {
        q.enqueue(
            e["event_id"].as_str().unwrap(),
            e["event_type"].as_str().unwrap(),
            &e.to_string(),
        )
        .unwrap();
    }
}

fn ids(events: &[Value]) -> BTreeSet<String> {
    events
        .iter()
        .map(|e| e["event_id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_captured_python_events_cover_every_type_and_are_accepted_end_to_end() {
    let events = captured();
    let types: BTreeSet<&str> = events
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(types.len(), 12, "{types:?}");
    assert!(
        events
            .iter()
            .any(|e| e["payload"]["to_lane"] == "approved"
                || e["payload"]["from_lane"] == "approved")
    );
    assert!(
        events
            .iter()
            .any(|e| e["aggregate_type"] == "MissionDossier")
    );
    let env = Env::new();
    queue_events(&env, &events);
    let s = server();
    let r = env.sync_now(&s.url(), &["--json"]);
    assert_eq!(r.code, 0, "{}", r.render());
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["sent"], events.len(), "{}", r.render());
    assert_eq!(v["rejected"], 0, "{}", r.render());
    assert_eq!(s.accepted_event_ids(), ids(&events));
}

#[test]
fn our_events_emit_accepts_every_payload_the_python_emitter_produced() {
    let env = Env::new();
    let mut ours = Vec::new();
    for e in captured() {
        let payload = e["payload"].to_string();
        let mut c = env.cmd(&[
            "events",
            "emit",
            "--type",
            e["event_type"].as_str().unwrap(),
            "--aggregate-id",
            e["aggregate_id"].as_str().unwrap(),
            "--payload",
            &payload,
            "--json",
        ]);
        c.env("USER", "dev");
        let r = run(c);
        assert_eq!(r.code, 0, "{}: {}", e["event_type"], r.render());
        let built: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(
            built["aggregate_type"], e["aggregate_type"],
            "{}",
            e["event_type"]
        );
        assert_eq!(built["payload"], e["payload"]);
        ours.push(built);
    }
    let Some(py) = python() else {
        eprintln!(
            "skipped the Python validation: set SPEC_KITTY_PYTHON_CLI to a spec-kitty 2.1.0 in a venv"
        );
        return;
    };
    let mut child = Command::new(py)
        .arg(driver())
        .arg("validate")
        .env("HOME", env.home())
        .current_dir(env.project())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(serde_json::to_string(&ours).unwrap().as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verdicts: Vec<bool> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(verdicts.len(), ours.len());
    for (v, e) in verdicts.iter().zip(&ours) {
        assert!(v, "the Python emitter refuses our envelope {e}");
    }
}

#[test]
fn the_python_emitter_queue_drains_through_our_sync_now() {
    let Some(py) = python() else {
        eprintln!("skipped: set SPEC_KITTY_PYTHON_CLI to a spec-kitty 2.1.0 in a venv");
        return;
    };
    let env = Env::new();
    let out = Command::new(py)
        .arg(driver())
        .arg("emit")
        .env_clear()
        .env("HOME", env.home())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("SPEC_KITTY_ENABLE_SAAS_SYNC", "1")
        .current_dir(env.project())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let emitted: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(emitted.len(), 15, "the driver emits 15 events");
    assert!(
        emitted.iter().all(Value::is_object),
        "the emitter refused one: {emitted:?}"
    );
    let s = server();
    let r = env.sync_now(&s.url(), &["--json"]);
    assert_eq!(r.code, 0, "{}", r.render());
    assert_eq!(s.accepted_event_ids(), ids(&emitted), "{}", r.render());
}
