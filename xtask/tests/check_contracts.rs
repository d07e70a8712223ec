//! `cargo xtask check-contracts` passes on the repository and fails, with a clear line, when
//! a fixture byte, an envelope field or a doc example changes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers
#![allow(clippy::disallowed_methods)] // tests lay out fixture files directly

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A throwaway copy of `contracts/` and `fixtures/`.
fn checkout() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["contracts", "fixtures"] {
        copy_dir(&repo().join(sub), &dir.path().join(sub));
    }
    dir
}

fn run(root: &Path, task: &str) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args([task, "--root"])
        .arg(root)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

fn check(root: &Path) -> (bool, String) {
    run(root, "check-contracts")
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(path).unwrap();
    assert!(
        text.contains(from),
        "{} does not contain {from:?}",
        path.display()
    );
    fs::write(path, text.replacen(from, to, 1)).unwrap();
}

fn fail_lines(out: &str) -> Vec<&str> {
    out.lines().filter(|l| l.starts_with("FAIL")).collect()
}

#[test]
fn passes_on_the_repository() {
    let (ok, out) = check(&repo());
    assert!(ok, "{out}");
    assert!(out.contains("0 failed"), "{out}");
    let (ok, out) = check(checkout().path());
    assert!(ok, "{out}");
}

#[test]
fn a_changed_fixture_byte_fails_the_manifest() {
    let dir = checkout();
    edit(
        &dir.path()
            .join("fixtures/batch/fixture_01_single_wp_status_changed.json"),
        "\"lamport_clock\": 1",
        "\"lamport_clock\": 2",
    );
    let (ok, out) = check(dir.path());
    assert!(!ok);
    let fails = fail_lines(&out);
    assert_eq!(fails.len(), 1, "{out}");
    assert!(fails[0].starts_with("FAIL  fixtures/MANIFEST.blake3 matches every fixture: batch/fixture_01_single_wp_status_changed.json changed (frozen fixture)"), "{out}");
}

#[test]
fn an_added_or_removed_fixture_fails_the_manifest() {
    let dir = checkout();
    fs::write(dir.path().join("fixtures/invalid/new.json"), "{}").unwrap();
    fs::remove_file(dir.path().join("fixtures/snapshot/jira_routed.json")).unwrap();
    let (ok, out) = check(dir.path());
    assert!(!ok);
    assert!(
        out.contains("invalid/new.json is not in the manifest"),
        "{out}"
    );
    assert!(
        out.contains("snapshot/jira_routed.json is listed but missing"),
        "{out}"
    );
}

#[test]
fn a_refrozen_but_wrong_fixture_still_fails_its_own_check() {
    let dir = checkout();
    edit(
        &dir.path().join("fixtures/snapshot/linear_routed.json"),
        "\"external_resource_id\": \"abc-123-def\"",
        "\"external_resource_id\": \"abc-999\"",
    );
    let (ok, out) = run(dir.path(), "freeze-fixtures");
    assert!(ok, "{out}");
    let (ok, out) = check(dir.path());
    assert!(!ok);
    let fails = fail_lines(&out);
    assert_eq!(fails.len(), 1, "{out}");
    assert!(
        fails[0].contains(
            "fixtures/snapshot/linear_routed.json: routing fields differ from derive_routing"
        ),
        "{out}"
    );
}

#[test]
fn an_added_envelope_field_fails() {
    let dir = checkout();
    edit(
        &dir.path()
            .join("contracts/schemas/event-envelope.schema.json"),
        "\"repo_slug\": {\n          \"type\": [",
        "\"correlation_id\": {\"type\": \"string\"},\n        \"repo_slug\": {\n          \"type\": [",
    );
    let (ok, out) = check(dir.path());
    assert!(!ok);
    assert!(
        out.contains("FAIL  event-envelope schema agrees with event_envelope::FIELDS"),
        "{out}"
    );
}

#[test]
fn a_drifted_doc_example_fails_with_its_file_and_line() {
    let dir = checkout();
    edit(
        &dir.path().join("contracts/tracker-snapshot-publish.md"),
        "\"external_resource_type\": \"jira_project\", \"external_resource_id\": \"ACME\"",
        "\"external_resource_type\": \"jira_project\", \"external_resource_id\": null",
    );
    let (ok, out) = check(dir.path());
    assert!(!ok);
    let fails = fail_lines(&out);
    assert_eq!(fails.len(), 1, "{out}");
    assert!(
        fails[0].starts_with("FAIL  contracts/tracker-snapshot-publish.md:"),
        "{out}"
    );
    assert!(fails[0].contains("```json snapshot"), "{out}");
}

#[test]
fn an_example_that_is_not_json_fails() {
    let dir = checkout();
    edit(
        &dir.path().join("contracts/event-envelope.md"),
        "\"lamport_clock\": 1,",
        "\"lamport_clock\": 1,,",
    );
    let (ok, out) = check(dir.path());
    assert!(!ok);
    assert!(
        out.contains("contracts/event-envelope.md:") && out.contains("not valid JSON"),
        "{out}"
    );
}
