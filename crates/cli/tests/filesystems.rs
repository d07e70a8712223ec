//! A full disk and a read-only home, for real: the home is a small tmpfs filled to its
//! last byte, or a read-only bind mount of itself, and the real binary runs on it (as root
//! permissions alone would not stop a write). Mounting needs Linux and root (or
//! CAP_SYS_ADMIN); elsewhere each test says it is skipped and passes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers
#![allow(clippy::disallowed_methods)] // tests lay out fixture files directly
#![allow(clippy::print_stderr)] // a skipped test says why

mod common;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Env, emit_one};
use serde_json::{Value, json};

/// A tmpfs mounted over a directory, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, kib: u32) -> Option<Tmpfs> {
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={kib}k,mode=0700"),
                "tmpfs",
            ])
            .arg(at)
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs(at.to_path_buf())),
            Ok(o) => {
                eprintln!(
                    "skipped: cannot mount a small tmpfs here ({})",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("skipped: no mount command ({e})");
                None
            }
        }
    }

    /// Fills the file system: a filler file grows until the disk refuses a single byte.
    fn fill(&self) {
        let mut f = fs::File::create(self.0.join("filler")).unwrap();
        let block = [0u8; 4096];
        while f.write_all(&block).is_ok() {}
        while f.write_all(&[0]).is_ok() {}
        let _ = f.sync_all();
    }

    /// Fills the file system, then gives back `bytes` of it.
    fn fill_leaving(&self, bytes: u64) {
        self.fill();
        let f = fs::OpenOptions::new()
            .write(true)
            .open(self.0.join("filler"))
            .unwrap();
        let len = f.metadata().unwrap().len();
        f.set_len(len.saturating_sub(bytes)).unwrap();
    }

    fn free(&self) {
        fs::remove_file(self.0.join("filler")).unwrap();
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// A directory made read-only by bind-mounting it over itself, made writable again (and
/// unmounted) when dropped.
struct ReadOnly(PathBuf);

impl ReadOnly {
    fn mount(dir: &Path) -> Option<ReadOnly> {
        let ok = |args: &[&str]| {
            Command::new("mount")
                .args(args)
                .arg(dir)
                .arg(dir)
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !ok(&["--bind"]) {
            eprintln!("skipped: cannot bind-mount a directory here");
            return None;
        }
        let ro = Command::new("mount")
            .args(["-o", "remount,ro,bind"])
            .arg(dir)
            .output()
            .is_ok_and(|o| o.status.success());
        let guard = ReadOnly(dir.to_path_buf());
        if !ro {
            eprintln!("skipped: cannot remount a directory read-only here");
            return None;
        }
        Some(guard)
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Every file under `dir`, for "nothing left behind" checks.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                todo.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

fn no_temp_files(dir: &Path) {
    let temps: Vec<_> = files(dir)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(temps.is_empty(), "temp files left behind: {temps:?}");
}

/// Binds `env` to a fake Jira of 40 issues whose summaries are `summary_len` long (room
/// for a few pages in a small disk), and gives the site (it stops when dropped).
fn bind_to_forty_issues(env: &Env, summary_len: usize) -> contract_server::ContractServer {
    let issue = |n: u32| {
        json!({"id": format!("{}", 10000 + n), "key": format!("ACME-{n}"), "fields": {
            "summary": format!("Issue {n} {}", "x".repeat(summary_len)), "description": "body",
            "status": {"name": "Done", "statusCategory": {"key": "done"}},
            "issuetype": {"name": "Bug"}, "labels": [],
            "updated": format!("2026-01-17T12:{n:02}:00.000+0000")}})
    };
    let jira = common::fake_jira_with((1..=40).map(issue).collect(), "UTC");
    env.bind_to_jira(&jira, &[]);
    jira
}

/// The cached issues `tracker status --json` counts.
fn issue_count(env: &Env) -> u64 {
    let r = env.run(&["tracker", "status", "--json"]);
    assert_eq!(r.code, 0, "{}", r.render());
    serde_json::from_str::<Value>(&r.stdout).unwrap()["issue_count"]
        .as_u64()
        .unwrap()
}

/// How many times `stderr` names a full or failing disk (each message should say it once).
fn disk_causes(stderr: &str) -> usize {
    ["No space left on device", "disk is full", "is it full?"]
        .iter()
        .map(|cause| stderr.matches(cause).count())
        .sum()
}

#[test]
fn regression_22_17_emit_on_a_full_disk_names_the_file_and_the_cause_once_and_queues_nothing() {
    let env = Env::new();
    let Some(disk) = Tmpfs::mount(&env.home(), 512) else {
        return;
    };
    emit_one(&env);
    let clock = env.home().join(".spec-kitty/clock.json");
    let clock_before = fs::read(&clock).unwrap();
    disk.fill();
    let r = env.emit(&[
        "--type",
        "WPStatusChanged",
        "--aggregate-id",
        "WP01",
        "--payload",
        common::WP_MOVE,
    ]);
    assert_ne!(r.code, 0, "{}", r.render());
    let first = r.stderr.lines().next().unwrap_or_default();
    assert!(
        first.contains("clock.json") || first.contains("queue"),
        "names the file: {}",
        r.render()
    );
    assert_eq!(disk_causes(&r.stderr), 1, "the cause, once: {}", r.render());
    assert!(
        !r.stderr.contains(".spec-kitty-"),
        "no temp name: {}",
        r.render()
    );
    no_temp_files(&env.home());
    // The clock never moves without an event queued for it.
    disk.free();
    let status = env.run(&["sync", "status", "--json"]);
    assert_eq!(status.code, 0, "{}", status.render());
    let v: Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(v["pending"], 1, "{}", status.render());
    assert_eq!(
        fs::read(&clock).unwrap(),
        clock_before,
        "clock.json untouched"
    );
    // With room again, the next emit works and the clock goes on from where it was.
    emit_one(&env);
    let after: Value = serde_json::from_slice(&fs::read(&clock).unwrap()).unwrap();
    let before: Value = serde_json::from_slice(&clock_before).unwrap();
    assert_eq!(
        after["value"].as_i64(),
        before["value"].as_i64().map(|v| v + 1)
    );
}

#[test]
fn regression_22_17_a_pull_on_a_full_disk_says_so_once_and_keeps_the_cache() {
    let env = Env::new();
    let Some(disk) = Tmpfs::mount(&env.home(), 1024) else {
        return;
    };
    let _jira = bind_to_forty_issues(&env, 2000);
    let first = env.run(&["tracker", "sync", "pull", "--limit", "5"]);
    assert_eq!(first.code, 0, "{}", first.render());
    assert_eq!(issue_count(&env), 40);
    disk.fill();
    let r = env.run(&["tracker", "sync", "pull", "--full", "--limit", "5"]);
    assert_ne!(r.code, 0, "{}", r.render());
    assert_eq!(disk_causes(&r.stderr), 1, "the cause, once: {}", r.render());
    assert!(
        r.stderr.contains("the cache is as it was") || r.stderr.contains("the cache keeps"),
        "says what was kept: {}",
        r.render()
    );
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.render());
    no_temp_files(&env.home());
    disk.free();
    assert_eq!(issue_count(&env), 40, "the cache is whole and readable");
    let again = env.run(&["tracker", "sync", "pull", "--full", "--limit", "5"]);
    assert_eq!(again.code, 0, "{}", again.render());
}

#[test]
fn regression_22_17_a_disk_that_fills_during_a_pull_keeps_the_pages_committed_and_the_pull_resumes()
{
    let env = Env::new();
    let Some(disk) = Tmpfs::mount(&env.home(), 2048) else {
        return;
    };
    let _jira = bind_to_forty_issues(&env, 3000);
    let trackers = env.home().join(".spec-kitty/trackers");
    // More and more room, from none, until the disk fills after the first page or more
    // were committed.
    let mut partial = None;
    for kib in (8..=1024).step_by(8) {
        let _ = fs::remove_dir_all(&trackers);
        disk.fill_leaving(kib * 1024);
        let r = env.run(&["tracker", "sync", "pull", "--limit", "5"]);
        disk.free();
        if r.code == 0 {
            break;
        }
        // Too little room to open the cache, or to write the first page: more room.
        if !r.stderr.contains("committed before") {
            continue;
        }
        partial = Some(r);
        break;
    }
    let r = partial.expect("no amount of room filled the disk in the middle of a pull");
    assert!(
        r.stderr
            .contains("page(s) committed before; run the pull again to resume"),
        "{}",
        r.render()
    );
    assert_eq!(disk_causes(&r.stderr), 1, "the cause, once: {}", r.render());
    assert!(!r.stderr.contains("Error code"), "{}", r.render());
    no_temp_files(&env.home());
    let kept = issue_count(&env);
    assert!(kept > 0 && kept < 40, "{kept} issues kept: {}", r.render());
    let again = env.run(&["tracker", "sync", "pull", "--limit", "5"]);
    assert_eq!(again.code, 0, "{}", again.render());
    assert_eq!(issue_count(&env), 40);
}

#[test]
fn regression_22_7_and_22_8_on_a_read_only_home_reading_works_and_writing_says_so_with_nothing_lost()
 {
    let env = Env::new();
    emit_one(&env);
    let s = common::server();
    let r = env.sync_now(&s.url(), &[]);
    assert_eq!(r.code, 0, "{}", r.render());
    emit_one(&env);
    emit_one(&env);
    let home = env.home();
    {
        let Some(_ro) = ReadOnly::mount(&home) else {
            return;
        };
        assert!(
            fs::write(home.join("probe"), b"x").is_err(),
            "the home must really be read-only"
        );
        for args in [
            &["sync", "status"][..],
            &["sync", "status", "--json"],
            &["sync", "failed", "list"],
        ] {
            let r = env.run(args);
            assert_eq!(r.code, 0, "{:?}: {}", args, r.render());
        }
        let st = env.run(&["sync", "status", "--json"]);
        let v: Value = serde_json::from_str(&st.stdout).unwrap();
        assert_eq!(v["pending"], 2, "{}", st.render());
        // Writing commands fail on one line, say what was not done, and lose nothing.
        let r = env.sync_now(&s.url(), &[]);
        assert_ne!(r.code, 0, "{}", r.render());
        assert!(r.stdout.starts_with("Nothing uploaded"), "{}", r.render());
        assert!(
            r.render().contains("Read-only file system"),
            "{}",
            r.render()
        );
        assert!(r.stdout.contains("left       2"), "{}", r.render());
        let r = env.emit(&[
            "--type",
            "WPStatusChanged",
            "--aggregate-id",
            "WP01",
            "--payload",
            common::WP_MOVE,
        ]);
        assert_ne!(r.code, 0, "{}", r.render());
        assert!(r.stderr.contains("Read-only file system"), "{}", r.render());
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.render());
    }
    // Writable again: the two events are still there and go out.
    let r = env.sync_now(&s.url(), &["--json"]);
    assert_eq!(r.code, 0, "{}", r.render());
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!((v["sent"].as_u64(), v["left"].as_u64()), (Some(2), Some(0)));
}
