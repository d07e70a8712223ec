//! The lane log, metadata and WP files of a project the Python CLI 2.1.0 produced itself
//! (`spec-kitty init`, `agent feature create-feature`, `agent status emit` through every
//! lane, `approved` included), read back: our reducer gives the Python CLI's `status.json`
//! and its `agent tasks status`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers
#![allow(clippy::disallowed_methods)] // tests lay out fixture files directly

use std::path::{Path, PathBuf};

use lane_log::{Feature, LaneRow, LogReader, reduce, scan_features};
use serde_json::Value;

fn project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/python-2.1.0")
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_reducer_gives_the_python_cli_status_json() {
    let features = scan_features(&project()).unwrap();
    assert_eq!(features.len(), 1);
    let f = &features[0];
    let (rows, bad) = f.read_log().unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(rows.len(), 12);
    let ours = reduce(&rows);
    let python = json(&f.dir.join("status.json"));
    let wps = python["work_packages"].as_object().unwrap();
    assert_eq!(ours.len(), wps.len());
    for (wp, state) in wps {
        let s = &ours[wp];
        assert_eq!(s.lane, state["lane"].as_str().unwrap(), "{wp}");
        assert_eq!(s.actor.as_deref(), state["actor"].as_str(), "{wp}");
        assert_eq!(
            s.last_event_id,
            state["last_event_id"].as_str().unwrap(),
            "{wp}"
        );
        assert_eq!(s.at, state["last_transition_at"].as_str().unwrap(), "{wp}");
        assert_eq!(
            s.force_count,
            state["force_count"].as_u64().unwrap(),
            "{wp}"
        );
    }
}

#[test]
fn current_lanes_match_the_python_cli_tasks_status_and_the_front_matter() {
    let f = &scan_features(&project()).unwrap()[0];
    let lanes = f.current_lanes().unwrap();
    let status = json(&project().join("tasks-status.json"));
    for wp in status["work_packages"].as_array().unwrap() {
        let id = wp["id"].as_str().unwrap();
        assert_eq!(lanes[id], wp["lane"].as_str().unwrap(), "{id}");
        let front = f.work_packages.iter().find(|w| w.wp_id == id).unwrap();
        assert_eq!(front.lane.as_deref(), Some(lanes[id].as_str()), "{id}");
    }
    assert!(lanes.values().any(|l| l == "approved"));
}

#[test]
fn metadata_and_work_packages_are_read_from_the_python_files() {
    let f = &scan_features(&project()).unwrap()[0];
    let meta = f.meta.as_ref().unwrap();
    assert_eq!(meta.feature_slug.as_deref(), Some("001-history-import"));
    assert_eq!(meta.feature_number.as_deref(), Some("001"));
    assert_eq!(meta.target_branch.as_deref(), Some("master"));
    assert!(meta.created_at.is_some());
    let ids: Vec<&str> = f.work_packages.iter().map(|w| w.wp_id.as_str()).collect();
    assert_eq!(ids, ["WP01", "WP02", "WP03"]);
    let wp2 = &f.work_packages[1];
    assert_eq!(wp2.title.as_deref(), Some("Part 2 of the history import"));
    assert_eq!(wp2.dependencies, ["WP01"]);
    assert_eq!(wp2.created_at.as_deref(), Some("2026-11-29T21:00:00Z"));
    assert!(f.wp_problems.is_empty(), "{:?}", f.wp_problems);
}

/// A copy of the Python project in a temp dir, to damage.
fn copy_project() -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            let target = to.join(e.file_name());
            if e.path().is_dir() {
                copy(&e.path(), &target);
            } else {
                std::fs::copy(e.path(), target).unwrap();
            }
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    copy(&project(), tmp.path());
    tmp
}

#[test]
fn a_malformed_line_is_reported_with_its_number_and_the_rest_reads() {
    let tmp = copy_project();
    let log = tmp
        .path()
        .join("kitty-specs/001-history-import/status.events.jsonl");
    let text = std::fs::read_to_string(&log).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines.insert(2, "{not json".into());
    lines.insert(4, String::new());
    lines.insert(5, r#"{"event_id": "X", "wp_id": "WP01", "from_lane": "planned", "to_lane": "archived", "at": "2026-01-01T00:00:00+00:00"}"#.into());
    lines.insert(6, r#"{"wp_id": "WP01"}"#.into());
    lines.insert(7, "[1, 2]".into());
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let f = Feature::load(&tmp.path().join("kitty-specs/001-history-import")).unwrap();
    let (rows, bad) = f.read_log().unwrap();
    assert_eq!(rows.len(), 12, "every good row still reads");
    let numbers: Vec<usize> = bad.iter().map(|b| b.line).collect();
    assert_eq!(numbers, [3, 6, 7, 8], "{bad:?}");
    assert!(bad[0].message.starts_with("not JSON"), "{}", bad[0].message);
    assert!(
        bad[1].message.contains("to_lane \"archived\""),
        "{}",
        bad[1].message
    );
    assert!(bad[2].message.contains("event_id"), "{}", bad[2].message);
    assert!(!bad.iter().any(|b| b.message.contains('\n')));
}

#[test]
fn a_feature_without_meta_or_lane_log_falls_back_to_the_front_matter() {
    let tmp = copy_project();
    let dir = tmp.path().join("kitty-specs/001-history-import");
    std::fs::remove_file(dir.join("meta.json")).unwrap();
    std::fs::remove_file(dir.join("status.events.jsonl")).unwrap();
    let f = Feature::load(&dir).unwrap();
    assert!(f.meta.is_none() && f.meta_problem.is_none());
    assert_eq!(f.feature_slug(), "001-history-import", "the directory name");
    assert!(f.rows().unwrap().is_none());
    let lanes = f.current_lanes().unwrap();
    assert_eq!(lanes["WP01"], "done");
    assert_eq!(lanes["WP02"], "approved");
    assert_eq!(lanes["WP03"], "canceled");
    std::fs::write(dir.join("meta.json"), "[]").unwrap();
    std::fs::write(dir.join("tasks/WP09-broken.md"), "no front matter").unwrap();
    let f = Feature::load(&dir).unwrap();
    assert_eq!(f.meta_problem.as_deref(), Some("not a JSON object"));
    assert_eq!(f.wp_problems.len(), 1);
    assert_eq!(f.work_packages.len(), 3);
}

fn row(id: &str, wp: &str, from: &str, to: &str, at: &str, review: Option<&str>) -> LaneRow {
    let v = serde_json::json!({"event_id": id, "wp_id": wp, "from_lane": from, "to_lane": to,
        "at": at, "review_ref": review, "actor": "a", "force": false});
    LogReader::new(v.to_string().as_bytes())
        .next()
        .unwrap()
        .unwrap()
        .unwrap()
}

#[test]
fn the_reducer_drops_duplicates_orders_by_time_and_lets_a_rollback_win_a_tie() {
    let t1 = "2026-01-01T00:00:01+00:00";
    let t2 = "2026-01-01T00:00:02+00:00";
    let rows = vec![
        row("01B", "WP01", "in_progress", "for_review", t1, None),
        row(
            "01A",
            "WP01",
            "planned",
            "in_progress",
            "2026-01-01T00:00:00+00:00",
            None,
        ),
        // The same id again (a merge of two worktrees' logs): the first is kept.
        row("01B", "WP01", "in_progress", "done", t1, None),
        // At t2, a rollback and a forward move: the rollback wins whichever sorts last.
        row("01C", "WP01", "for_review", "in_progress", t2, Some("PR#7")),
        row("01D", "WP01", "for_review", "approved", t2, None),
        row("01E", "WP02", "planned", "claimed", t1, None),
    ];
    let s = reduce(&rows);
    assert_eq!(s["WP01"].lane, "in_progress");
    assert_eq!(s["WP01"].last_event_id, "01C");
    assert_eq!(s["WP02"].lane, "claimed");
    let mut flipped = rows.clone();
    flipped[3].event_id = "01F".into(); // the rollback now sorts after the forward move
    assert_eq!(reduce(&flipped)["WP01"].last_event_id, "01F");
}
