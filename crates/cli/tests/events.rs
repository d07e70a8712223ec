//! `events emit` and `sync now|status|failed` end to end, success and error paths, with
//! exit code, stdout and stderr snapshotted (ids, ports, ages and paths filtered).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers
#![allow(clippy::disallowed_methods)] // tests lay out fixture files directly

mod common;

use common::*;
use contract_server::Fault;
use serde_json::Value;

fn emit_wp(env: &Env, extra: &[&str]) -> Run {
    env.emit(
        &[
            &[
                "--type",
                "WPStatusChanged",
                "--aggregate-id",
                "WP01",
                "--payload",
                WP_MOVE,
            ][..],
            extra,
        ]
        .concat(),
    )
}

#[test]
fn emit_prints_the_id() {
    let env = Env::new();
    snapshot("emit_id", &env, &emit_wp(&env, &[]));
}

#[test]
fn emit_json_prints_the_envelope() {
    let env = Env::new();
    snapshot("emit_json", &env, &emit_wp(&env, &["--json"]));
}

#[test]
fn emit_refuses_a_payload_that_is_not_json() {
    let env = Env::new();
    let r = env.emit(&[
        "--type",
        "WPStatusChanged",
        "--aggregate-id",
        "WP01",
        "--payload",
        "{nope",
    ]);
    snapshot("emit_err_not_json", &env, &r);
    assert!(
        !env.home().join(".spec-kitty/queue.db").exists(),
        "nothing queued"
    );
}

#[test]
fn emit_refuses_a_payload_that_breaks_the_rules() {
    let env = Env::new();
    let r = env.emit(&[
        "--type",
        "WPStatusChanged",
        "--aggregate-id",
        "WP01",
        "--payload",
        r#"{"wp_id": "WP01", "from_lane": "planned", "to_lane": "nowhere"}"#,
    ]);
    snapshot("emit_err_rules", &env, &r);
}

#[test]
fn emit_refuses_when_the_queue_is_full_and_says_how_to_make_room() {
    let env = Env::new();
    std::fs::create_dir_all(env.home().join(".spec-kitty")).unwrap();
    std::fs::write(
        env.home().join(".spec-kitty/config.toml"),
        "[sync]\nmax_queue_size = 1\n",
    )
    .unwrap();
    assert_eq!(emit_wp(&env, &[]).code, 0);
    snapshot("emit_err_queue_full", &env, &emit_wp(&env, &[]));
}

#[test]
fn sync_now_uploads_and_reports() {
    let env = Env::new();
    let s = server();
    emit_one(&env);
    emit_one(&env);
    snapshot("sync_now_ok", &env, &env.sync_now(&s.url(), &[]));
    emit_one(&env);
    snapshot(
        "sync_now_ok_json",
        &env,
        &env.sync_now(&s.url(), &["--json"]),
    );
    assert_eq!(s.accepted_event_ids().len(), 3);
}

#[test]
fn sync_now_without_a_server_is_a_usage_error() {
    let env = Env::new();
    snapshot("sync_now_err_no_server", &env, &env.run(&["sync", "now"]));
}

#[test]
fn sync_now_unreachable_keeps_the_events_and_says_when_to_retry() {
    let env = Env::new();
    emit_one(&env);
    let r = env.sync_now(&dead_url(), &["--attempts", "1"]);
    snapshot("sync_now_err_unreachable", &env, &r);
}

#[test]
fn sync_now_refused_login_says_how_to_log_in() {
    let env = Env::new();
    let s = server();
    emit_one(&env);
    s.push_faults([Fault::Status(401, None)]);
    let r = env.sync_now(&s.url(), &[]);
    snapshot("sync_now_err_refused", &env, &r);
}

#[test]
fn sync_now_rejected_events_exit_1_and_point_to_failed_list() {
    let env = Env::new();
    let s = server();
    emit_one(&env);
    let id = {
        let r = env.run(&["sync", "status", "--json"]);
        assert_eq!(r.code, 0, "{}", r.render());
        // The queued id, from the queue file itself.
        env.queued()[0]["event_id"].as_str().unwrap().to_owned()
    };
    s.reject_event_ids([id]);
    let r = env.sync_now(&s.url(), &[]);
    snapshot("sync_now_rejected", &env, &r);
    snapshot(
        "sync_failed_list",
        &env,
        &env.run(&["sync", "failed", "list"]),
    );
    snapshot(
        "sync_failed_list_json",
        &env,
        &env.run(&["sync", "failed", "list", "--json"]),
    );
    snapshot(
        "sync_status_with_failed",
        &env,
        &env.run(&["sync", "status"]),
    );
    snapshot(
        "sync_failed_requeue_unknown",
        &env,
        &env.run(&["sync", "failed", "requeue", "01ARZ3NDEKTSV4RRFFQ69G5FAV"]),
    );
    snapshot(
        "sync_failed_requeue_all",
        &env,
        &env.run(&["sync", "failed", "requeue", "--all"]),
    );
    snapshot(
        "sync_failed_drop_all_none",
        &env,
        &env.run(&["sync", "failed", "drop", "--all"]),
    );
}

#[test]
fn sync_status_human_and_json() {
    let env = Env::new();
    emit_one(&env);
    snapshot("sync_status", &env, &env.run(&["sync", "status"]));
    let mut c = env.cmd(&["sync", "status", "--json"]);
    c.env("SAAS_API_URL", "https://saas.example")
        .env("SAAS_AUTH_TOKEN", SECRET);
    snapshot("sync_status_json_env", &env, &run(c));
}

#[test]
fn sync_commands_are_gated_by_the_flag() {
    let env = Env::new();
    let mut c = env.cmd(&["sync", "status"]);
    c.env_remove("SPEC_KITTY_ENABLE_SAAS_SYNC");
    snapshot("sync_err_flag_off", &env, &run(c));
}

#[test]
fn regression_22_9_outside_text_with_escapes_or_bidi_characters_is_escaped() {
    let env = Env::new();
    let s = server();
    emit_one(&env);
    // A stored login whose server URL carries an escape sequence and a bidi override.
    std::fs::create_dir_all(env.home().join(".spec-kitty")).unwrap();
    std::fs::write(
        env.home().join(".spec-kitty/credentials"),
        format!("[server]\nurl = \"{}/x\\u001b[2J\\u202e\"\n", s.url()),
    )
    .unwrap();
    let r = env.run(&["sync", "status"]);
    assert_eq!(r.code, 0, "{}", r.render());
    for raw in ['\u{1b}', '\u{202e}'] {
        assert!(
            !r.stdout.contains(raw) && !r.stderr.contains(raw),
            "{:?}\n{}",
            raw,
            r.render()
        );
    }
    assert!(r.stdout.contains("\\u{1b}[2J\\u{202e}"), "{}", r.render());
    // A rejection reason from the server with a bidi override and a zero-width space.
    let id = { env.queued()[0]["event_id"].as_str().unwrap().to_owned() };
    s.push_faults([Fault::Answer(
        200,
        vec![],
        serde_json::json!({"results": [{"event_id": id, "status": "rejected",
            "error": "bad \u{202e}txt.exe\u{200b}", "error_category": "schema_mismatch"}]}),
    )]);
    let r = env.sync_now(&s.url(), &[]);
    assert_eq!(r.code, 1, "{}", r.render());
    for args in [&["sync", "status"][..], &["sync", "failed", "list"][..]] {
        let r = env.run(args);
        assert!(
            !r.stdout.contains('\u{202e}') && !r.stdout.contains('\u{200b}'),
            "{}",
            r.render()
        );
        assert!(
            r.stdout.contains("\\u{202e}txt.exe\\u{200b}"),
            "{args:?}\n{}",
            r.render()
        );
    }
}

#[test]
fn regression_22_14_an_unreadable_project_config_is_an_error_and_nothing_is_queued() {
    for (name, content) in [
        (
            "yaml error",
            Some("project:\n  uuid: [unclosed\n".to_owned()),
        ),
        (
            "too big",
            Some(format!("# {}\n", "x".repeat(2 * 1024 * 1024))),
        ),
        ("a list", Some("- a\n- b\n".to_owned())),
    ] {
        let env = Env::new();
        let path = env.project().join(".kittify/config.yaml");
        if let Some(c) = &content {
            std::fs::write(&path, c).unwrap();
        }
        let r = emit_wp(&env, &[]);
        assert_eq!(r.code, 1, "{name}: {}", r.render());
        assert!(r.stderr.contains("config.yaml"), "{name}: {}", r.render());
        assert_eq!(r.stderr.lines().count(), 1, "{name}: {}", r.render());
        assert!(
            !env.home().join(".spec-kitty/queue.db").exists(),
            "{name}: nothing queued"
        );
        assert!(
            !env.home().join(".spec-kitty/clock.json").exists(),
            "{name}: nothing ticked"
        );
    }
    // A FIFO is refused without being opened (it would hang a reader).
    let env = Env::new();
    let path = env.project().join(".kittify/config.yaml");
    std::fs::remove_file(&path).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .unwrap();
    assert!(made.success());
    let r = emit_wp(&env, &[]);
    assert_eq!(r.code, 1, "{}", r.render());
    assert!(!env.home().join(".spec-kitty/queue.db").exists());
}

fn queue_db(env: &Env) -> std::path::PathBuf {
    env.home().join(".spec-kitty/queue.db")
}

#[test]
fn regression_22_2_an_unreadable_queue_row_fails_alone_and_the_rest_is_sent() {
    let env = Env::new();
    for _ in 0..5 {
        emit_one(&env);
    }
    let conn = rusqlite::Connection::open(queue_db(&env)).unwrap();
    let ids: Vec<i64> = conn
        .prepare("SELECT id FROM queue ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    // Rows another writer could leave: invalid UTF-8 data, a BLOB event id with valid
    // text, a REAL and a TEXT enqueue time.
    conn.execute(
        "UPDATE queue SET data = CAST(x'fffe7b7d' AS TEXT) WHERE id = ?1",
        [ids[0]],
    )
    .unwrap();
    conn.execute(
        "UPDATE queue SET timestamp = timestamp + 0.5 WHERE id = ?1",
        [ids[1]],
    )
    .unwrap();
    conn.execute(
        "UPDATE queue SET timestamp = CAST(timestamp AS TEXT) WHERE id = ?1",
        [ids[2]],
    )
    .unwrap();
    drop(conn);
    let st = env.run(&["sync", "status", "--json"]);
    assert_eq!(st.code, 0, "{}", st.render());
    assert_eq!(
        serde_json::from_str::<Value>(&st.stdout).unwrap()["pending"],
        5
    );
    let s = server();
    let r = env.sync_now(&s.url(), &["--json"]);
    assert_eq!(r.code, 1, "{}", r.render());
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        (
            v["sent"].as_u64(),
            v["rejected"].as_u64(),
            v["left"].as_u64()
        ),
        (Some(4), Some(1), Some(0)),
        "{v}"
    );
    assert_eq!(s.accepted_event_ids().len(), 4);
    let failed = env.run(&["sync", "failed", "list", "--json"]);
    assert_eq!(failed.code, 0, "{}", failed.render());
    let f: Value = serde_json::from_str(&failed.stdout).unwrap();
    assert_eq!(f["failed"].as_array().unwrap().len(), 1, "{f}");
    assert!(
        f["failed"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("not a JSON object"),
        "{f}"
    );
}

#[test]
fn regression_22_16_one_broken_queue_file_does_not_stop_the_others() {
    let env = Env::new();
    let s = server();
    // A login's scoped queue with two events, and a corrupt legacy queue.db.
    let dot = env.home().join(".spec-kitty");
    std::fs::create_dir_all(&dot).unwrap();
    std::fs::write(
        dot.join("credentials"),
        format!(
            "[user]\nusername = \"dev\"\n\n[server]\nurl = \"{}\"\n",
            s.url()
        ),
    )
    .unwrap();
    emit_one(&env);
    emit_one(&env);
    std::fs::write(queue_db(&env), vec![b'x'; 4096]).unwrap();
    let st = env.run(&["sync", "status", "--json"]);
    assert_eq!(st.code, 1, "{}", st.render());
    let v: Value = serde_json::from_str(&st.stdout).unwrap();
    assert_eq!(v["pending"], 2, "the healthy queue still counts: {v}");
    assert!(st.stderr.contains("move the file aside"), "{}", st.render());
    let r = env.sync_now(&s.url(), &[]);
    assert_eq!(s.accepted_event_ids().len(), 2, "{}", r.render());
    assert_ne!(r.code, 0, "{}", r.render());
    assert!(
        r.stdout.contains("not uploaded:") && r.stdout.contains("queue.db"),
        "{}",
        r.render()
    );
    assert!(r.stdout.contains("Uploaded events to"), "{}", r.render());
}

#[test]
fn regression_22_7_a_run_that_could_open_no_queue_says_nothing_was_uploaded() {
    let env = Env::new();
    emit_one(&env);
    emit_one(&env);
    // Another upload holds the queue's lock.
    let lock_path = queue_db(&env).with_extension("db.sync.lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .unwrap();
    lock.lock().unwrap();
    let s = server();
    let r = env.sync_now(&s.url(), &["--json"]);
    assert_eq!(r.code, 3, "{}", r.render());
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        (v["sent"].as_u64(), v["left"].as_u64()),
        (Some(0), Some(2)),
        "left counts the queued events: {v}"
    );
    assert_eq!(v["ok"], false);
    let r = env.sync_now(&s.url(), &[]);
    assert!(r.stdout.starts_with("Nothing uploaded"), "{}", r.render());
    assert!(!r.stdout.contains("Uploaded events"), "{}", r.render());
    drop(lock);
    // A queue path that is a directory is reported, not skipped as empty.
    let env = Env::new();
    std::fs::create_dir_all(queue_db(&env)).unwrap();
    let r = env.sync_now(&s.url(), &[]);
    assert_eq!(r.code, 1, "{}", r.render());
    assert!(
        r.stdout.contains("not a regular file") || r.stderr.contains("not a regular file"),
        "{}",
        r.render()
    );
    let st = env.run(&["sync", "status"]);
    assert_eq!(st.code, 1, "{}", st.render());
    assert!(st.stdout.contains("unreadable queue"), "{}", st.render());
}

#[test]
fn regression_22_8_read_only_commands_never_write_the_queue() {
    let env = Env::new();
    emit_one(&env);
    let s = server();
    s.reject_event_ids([]);
    let r = env.sync_now(&s.url(), &[]);
    assert_eq!(r.code, 0, "{}", r.render());
    emit_one(&env);
    let dir = env.home().join(".spec-kitty");
    let snapshot = || {
        let mut files: Vec<(String, u64)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .map(|p| {
                use std::hash::{Hash, Hasher};
                let mut h = std::collections::hash_map::DefaultHasher::new();
                std::fs::read(&p).unwrap().hash(&mut h);
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    h.finish(),
                )
            })
            .collect();
        files.sort();
        files
    };
    let before = snapshot();
    for args in [
        &["sync", "status"][..],
        &["sync", "status", "--json"],
        &["sync", "failed", "list"],
    ] {
        let r = env.run(args);
        assert_eq!(r.code, 0, "{}", r.render());
    }
    assert_eq!(
        snapshot(),
        before,
        "no file of the home changed or appeared"
    );
}

#[test]
fn regression_22_6_a_batch_answer_cut_short_is_retried_then_exit_3_with_the_events_kept() {
    let env = Env::new();
    emit_one(&env);
    let s = server();
    s.push_faults([Fault::Truncate]);
    let r = env.sync_now(&s.url(), &["--json"]);
    assert_eq!(r.code, 0, "retried, then answered: {}", r.render());
    emit_one(&env);
    s.push_faults([Fault::Truncate, Fault::Truncate, Fault::Truncate]);
    let r = env.sync_now(&s.url(), &["--attempts", "3"]);
    assert_eq!(r.code, 3, "{}", r.render());
    assert!(
        r.stderr.contains("cut short") && r.stderr.contains("3 attempt(s)"),
        "{}",
        r.render()
    );
    assert_eq!(env.queued().len(), 1, "the event stays queued");
}
