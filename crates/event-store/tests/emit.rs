//! The emitter, clock, queue and git context over real files, real SQLite, real `git`
//! repositories and real child processes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers
#![allow(clippy::disallowed_methods)] // tests lay out fixture files directly

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use event_envelope::{EmitterContext, EventType, GitMetadata};
use event_store::{
    ContextSources, Enqueued, EventEmitter, EventQueue, LamportClock, QueueFiles, git_context,
    resolve_context,
};
use serde_json::{Map, Value, json};
use spec_kitty_home::SpecKittyHome;

const CHILD_ENV: &str = "EVENT_STORE_TEST_CHILD_HOME";

fn context() -> EmitterContext {
    EmitterContext {
        node_id: "a1b2c3d4e5f6".into(),
        team_slug: "acme".into(),
        project_uuid: Some("550e8400-e29b-41d4-a716-446655440000".into()),
        project_slug: Some("spec-kitty".into()),
        git: GitMetadata::default(),
    }
}

fn payload(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

fn wp_status() -> Map<String, Value> {
    payload(json!({"wp_id": "WP01", "from_lane": "planned", "to_lane": "claimed", "actor": "t"}))
}

fn emitter(home: &Path) -> EventEmitter {
    EventEmitter::open(&SpecKittyHome::at(home), context()).unwrap()
}

fn queued(home: &Path) -> Vec<Value> {
    let files = QueueFiles::resolve(&SpecKittyHome::at(home)).unwrap();
    let q = EventQueue::open(files.active(), u64::MAX).unwrap();
    q.next_batch(100_000, usize::MAX)
        .unwrap()
        .into_iter()
        .map(|e| serde_json::from_str(&e.data).unwrap())
        .collect()
}

#[test]
#[ignore = "helper: run as a child process by concurrent_emitters_never_share_a_lamport_value"]
fn child_emitter() {
    let Ok(home) = std::env::var(CHILD_ENV) else {
        return;
    };
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let home = home.clone();
            std::thread::spawn(move || {
                let mut e = emitter(Path::new(&home));
                let mut last = 0;
                for _ in 0..10 {
                    let env = e
                        .emit(EventType::WPStatusChanged, "WP01", wp_status(), None)
                        .unwrap();
                    assert!(
                        env.lamport_clock > last,
                        "values from one emitter strictly increase"
                    );
                    last = env.lamport_clock;
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn concurrent_emitters_never_share_a_lamport_value_and_lose_no_event() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join(".spec-kitty");
    let children: Vec<_> = (0..4)
        .map(|_| {
            Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "child_emitter", "--ignored", "--test-threads=1"])
                .stdout(std::process::Stdio::null())
                .env(CHILD_ENV, &home)
                .spawn()
                .unwrap()
        })
        .collect();
    // And threads of this process at the same time.
    let mut e = emitter(&home);
    for _ in 0..20 {
        e.emit(EventType::WPStatusChanged, "WP01", wp_status(), None)
            .unwrap();
    }
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let events = queued(&home);
    assert_eq!(events.len(), 4 * 3 * 10 + 20, "no event lost");
    let clocks: BTreeSet<i64> = events
        .iter()
        .map(|e| e["lamport_clock"].as_i64().unwrap())
        .collect();
    assert_eq!(clocks.len(), events.len(), "no Lamport value shared");
    assert_eq!(*clocks.last().unwrap(), 140);
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(home.join("clock.json")).unwrap()).unwrap();
    assert_eq!(file["value"], 140);
}

#[test]
fn an_invalid_event_names_the_field_and_queues_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut e = emitter(dir.path());
    let err = e
        .emit(
            EventType::WPStatusChanged,
            "WP01",
            payload(json!({"wp_id": "WP1", "from_lane": "planned", "to_lane": "x"})),
            None,
        )
        .unwrap_err();
    assert!(err.to_string().contains("payload.wp_id"), "{err}");
    assert!(err.to_string().contains("nothing was queued"), "{err}");
    assert!(queued(dir.path()).is_empty());
    assert!(
        !dir.path().join("clock.json").exists(),
        "no Lamport value was taken"
    );
    let err = e
        .emit(
            EventType::WPStatusChanged,
            "WP01",
            wp_status(),
            Some("not-a-ulid"),
        )
        .unwrap_err();
    assert!(err.to_string().contains("causation_id"), "{err}");
}

#[test]
fn envelopes_carry_the_context_and_error_logged_follows_its_wp_id() {
    let dir = tempfile::tempdir().unwrap();
    let mut e = emitter(dir.path());
    let a = e
        .emit(
            EventType::ErrorLogged,
            "048-x",
            payload(json!({"error_type": "network", "error_message": "m", "wp_id": "WP03"})),
            None,
        )
        .unwrap();
    assert_eq!(a.aggregate_type, "WorkPackage");
    let b = e
        .emit(
            EventType::ErrorLogged,
            "048-x",
            payload(json!({"error_type": "network", "error_message": "m", "wp_id": null})),
            Some(&a.event_id),
        )
        .unwrap();
    assert_eq!(b.aggregate_type, "Feature");
    assert_eq!(b.causation_id.as_deref(), Some(a.event_id.as_str()));
    assert_eq!((a.lamport_clock, b.lamport_clock), (1, 2));
    assert_eq!(a.event_id.len(), 26);
    assert!(
        a.timestamp.ends_with("+00:00") && a.timestamp.len() == 32,
        "{}",
        a.timestamp
    );
    assert_eq!(a.team_slug, "acme");
    let stored = queued(dir.path());
    assert_eq!(stored[0]["event_id"], a.event_id);
    assert_eq!(stored.len(), 2);
}

#[test]
fn the_queue_refuses_when_full_and_ignores_a_repeated_event_id() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "[sync]\nmax_queue_size = 3\n",
    )
    .unwrap();
    let mut e = emitter(dir.path());
    for _ in 0..3 {
        e.emit(EventType::WPStatusChanged, "WP01", wp_status(), None)
            .unwrap();
    }
    let err = e
        .emit(EventType::WPStatusChanged, "WP01", wp_status(), None)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("is full (3 events); nothing was queued"),
        "{err}"
    );
    let before = queued(dir.path());
    assert_eq!(before.len(), 3, "nothing was evicted");
    let mut q = EventQueue::open(&dir.path().join("queue.db"), 10).unwrap();
    let first = before[0]["event_id"].as_str().unwrap();
    assert_eq!(
        q.enqueue(first, "WPStatusChanged", "{}").unwrap(),
        Enqueued::AlreadyQueued
    );
    let after = queued(dir.path());
    assert_eq!(
        after, before,
        "a repeated event id is a no-op, never a reorder"
    );
}

#[test]
fn a_malformed_clock_file_is_an_error_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("clock.json"), "{not json").unwrap();
    let clock = LamportClock::new(&SpecKittyHome::at(dir.path()));
    let err = clock.tick("a1b2c3d4e5f6").unwrap_err();
    assert!(
        err.to_string().contains("clock.json cannot be used"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("clock.json")).unwrap(),
        "{not json"
    );
    // The Python CLI's file: its value and node id are continued.
    std::fs::write(
        dir.path().join("clock.json"),
        "{\n  \"value\": 41,\n  \"node_id\": \"0123456789ab\",\n  \"updated_at\": \"2026-01-01T00:00:00+00:00\"\n}",
    )
    .unwrap();
    let t = clock.tick("a1b2c3d4e5f6").unwrap();
    assert_eq!((t.value, t.node_id.as_str()), (42, "0123456789ab"));
}

#[test]
fn a_login_uses_the_scoped_queue_as_the_python_cli_names_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("credentials"),
        "[user]\nusername = \"Dev@Example.com\"\nteam_slug = \"acme\"\n[server]\nurl = \"https://spec-kitty.example/\"\n",
    )
    .unwrap();
    let files = QueueFiles::resolve(&SpecKittyHome::at(dir.path())).unwrap();
    // python: hashlib.sha256(b"https://spec-kitty.example|dev@example.com|acme").hexdigest()[:16]
    assert_eq!(
        files.active(),
        dir.path().join("queues/queue-c60e7e36462d8e80.db")
    );
    assert_eq!(files.unscoped, dir.path().join("queue.db"));
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn git_context_on_a_branch_detached_without_commits_and_in_a_worktree() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join("sub/dir")).unwrap();
    git(&repo, &["init", "-q", "-b", "feature/x"]);
    let none = git_context(&repo.join("sub/dir"));
    assert_eq!(
        (none.branch.as_deref(), none.head_commit_sha),
        (Some("feature/x"), None),
        "no commit yet"
    );
    git(
        &repo,
        &[
            "remote",
            "add",
            "origin",
            "https://user:hunter2@github.com/Owner/Repo.git",
        ],
    );
    git(&repo, &["commit", "-q", "--allow-empty", "-m", "one"]);
    let head = git(&repo, &["rev-parse", "HEAD"]);
    let c = git_context(&repo.join("sub/dir"));
    assert_eq!(c.branch.as_deref(), Some("feature/x"));
    assert_eq!(c.head_commit_sha.as_deref(), Some(head.as_str()));
    assert_eq!(c.origin_slug.as_deref(), Some("Owner/Repo"));
    assert!(!format!("{c:?}").contains("hunter2"));
    // Packed refs.
    git(&repo, &["pack-refs", "--all"]);
    assert_eq!(
        git_context(&repo).head_commit_sha.as_deref(),
        Some(head.as_str())
    );
    // A linked worktree on its own branch.
    git(&repo, &["commit", "-q", "--allow-empty", "-m", "two"]);
    let wt = dir.path().join("wt");
    git(
        &repo,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "wp01",
            wt.to_str().unwrap(),
            "HEAD~1",
        ],
    );
    let w = git_context(&wt);
    assert_eq!(w.branch.as_deref(), Some("wp01"));
    assert_eq!(w.head_commit_sha.as_deref(), Some(head.as_str()));
    assert_eq!(w.origin_slug.as_deref(), Some("Owner/Repo"));
    // Detached HEAD: no branch (the Python CLI would send "HEAD").
    git(&repo, &["checkout", "-q", "--detach", "HEAD"]);
    let d = git_context(&repo);
    assert_eq!(d.branch, None);
    assert_eq!(
        d.head_commit_sha.as_deref(),
        Some(git(&repo, &["rev-parse", "HEAD"]).as_str())
    );
    // Outside any repository.
    let outside = tempfile::tempdir().unwrap();
    assert_eq!(
        git_context(outside.path()),
        event_store::GitContext::default()
    );
}

#[test]
fn git_context_in_a_submodule() {
    let dir = tempfile::tempdir().unwrap();
    let (lib, app) = (dir.path().join("lib"), dir.path().join("app"));
    std::fs::create_dir_all(&lib).unwrap();
    std::fs::create_dir_all(&app).unwrap();
    git(&lib, &["init", "-q", "-b", "main"]);
    git(&lib, &["commit", "-q", "--allow-empty", "-m", "lib"]);
    git(&app, &["init", "-q", "-b", "main"]);
    git(
        &app,
        &[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            lib.to_str().unwrap(),
            "vendor/lib",
        ],
    );
    let c = git_context(&app.join("vendor/lib"));
    assert_eq!(
        c.head_commit_sha.as_deref(),
        Some(git(&lib, &["rev-parse", "HEAD"]).as_str())
    );
    assert!(c.git_dir.unwrap().ends_with("modules/vendor/lib"));
}

#[test]
fn context_comes_from_the_project_the_login_and_the_repository() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("proj");
    std::fs::create_dir_all(project.join(".kittify")).unwrap();
    std::fs::write(
        project.join(".kittify/config.yaml"),
        "project:\n  uuid: 550e8400-e29b-41d4-a716-446655440000\n  slug: spec-kitty\n  repo_slug: not a slug\n",
    )
    .unwrap();
    git(&project, &["init", "-q", "-b", "main"]);
    git(
        &project,
        &[
            "remote",
            "add",
            "origin",
            "git@gitlab.example:group/sub/proj.git",
        ],
    );
    let home = SpecKittyHome::at(dir.path().join("home"));
    let sources = ContextSources {
        hostname: Some("build-host".into()),
        username: Some("dev".into()),
    };
    let r = resolve_context(&project, &home, &sources).unwrap();
    assert!(r.project.found);
    assert_eq!(r.emitter.node_id, "309267824543");
    assert_eq!(r.emitter.team_slug, "local");
    assert_eq!(r.emitter.project_slug.as_deref(), Some("spec-kitty"));
    assert_eq!(
        r.emitter.git.repo_slug.as_deref(),
        Some("group/sub/proj"),
        "a bad config slug falls back to origin"
    );
    std::fs::create_dir_all(home.dir()).unwrap();
    std::fs::write(
        home.dir().join("credentials"),
        "[user]\nteam_slug = \"acme\"\n",
    )
    .unwrap();
    std::fs::write(
        project.join(".kittify/config.yaml"),
        "project:\n  slug: spec-kitty\n  repo_slug: Priivacy-ai/spec-kitty\n",
    )
    .unwrap();
    let r = resolve_context(&project, &home, &sources).unwrap();
    assert_eq!(r.emitter.team_slug, "acme");
    assert_eq!(
        r.emitter.git.repo_slug.as_deref(),
        Some("Priivacy-ai/spec-kitty")
    );
    let outside = resolve_context(dir.path(), &home, &sources).unwrap();
    assert!(!outside.project.found);
    assert_eq!(outside.emitter.project_uuid, None);
}

#[test]
fn regression_22_3_a_clock_file_of_another_shape_is_refused_and_never_reset() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clock.json");
    let clock = LamportClock::new(&SpecKittyHome::at(dir.path()));
    for text in [
        "{}",
        "null",
        "42",
        "\"str\"",
        "[{\"value\": 42}]",
        "{\"Value\": 42}",
        "{\"value\": null}",
        "{\"value\": -1}",
        "{\"value\": 1.5}",
    ] {
        std::fs::write(&path, text).unwrap();
        let err = clock.tick("a1b2c3d4e5f6").unwrap_err();
        assert!(
            err.to_string().contains("clock.json cannot be used"),
            "{text}: {err}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "untouched");
    }
    // At (or past) the largest value an envelope can carry: no next value, file untouched.
    for value in ["9223372036854775807", "18446744073709551615"] {
        let text = format!("{{\"value\": {value}, \"node_id\": \"0123456789ab\"}}");
        std::fs::write(&path, &text).unwrap();
        let err = clock.tick("a1b2c3d4e5f6").unwrap_err();
        assert!(err.to_string().contains("at its maximum"), "{value}: {err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }
    // One below: the last value is handed out once.
    std::fs::write(&path, "{\"value\": 9223372036854775806}").unwrap();
    assert_eq!(
        clock.tick("a1b2c3d4e5f6").unwrap().value,
        9_223_372_036_854_775_807
    );
    assert!(clock.tick("a1b2c3d4e5f6").is_err());
}

#[test]
fn regression_22_13_an_origin_that_is_no_repo_slug_gives_a_null_slug_and_the_emit_succeeds() {
    for origin in [
        "https://dev.azure.com/org/My%20Project/_git/repo",
        "git@bitbucket.example:~alice/repo.git",
        "https://gitlab.example.com/g/my+repo.git",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join(".kittify")).unwrap();
        std::fs::write(
            repo.join(".kittify/config.yaml"),
            "project:\n  uuid: 550e8400-e29b-41d4-a716-446655440000\n  slug: p\n",
        )
        .unwrap();
        git(&repo, &["init", "-q", "-b", "main"]);
        git(&repo, &["remote", "add", "origin", origin]);
        let home = SpecKittyHome::at(dir.path().join("home"));
        let resolved =
            event_store::resolve_context(&repo, &home, &event_store::ContextSources::default())
                .unwrap();
        assert_eq!(resolved.emitter.git.repo_slug, None, "{origin}");
        let mut e = EventEmitter::open(&home, resolved.emitter).unwrap();
        let env = e
            .emit(EventType::WPStatusChanged, "WP01", wp_status(), None)
            .unwrap_or_else(|err| panic!("{origin}: {err}"));
        assert_eq!(env.repo_slug, None);
    }
    // A usable remote still gives its slug.
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(
        &repo,
        &[
            "remote",
            "add",
            "origin",
            "git@github.com:acme/spec-kitty.git",
        ],
    );
    let resolved = event_store::resolve_context(
        &repo,
        &SpecKittyHome::at(dir.path().join("home")),
        &event_store::ContextSources::default(),
    )
    .unwrap();
    assert_eq!(
        resolved.emitter.git.repo_slug.as_deref(),
        Some("acme/spec-kitty")
    );
}
