//! `events emit` and `sync now|status|failed` end to end, success and error paths, with
//! exit code, stdout and stderr snapshotted (ids, ports, ages and paths filtered).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers
#![allow(clippy::disallowed_methods)] // tests lay out fixture files directly

mod common;

use common::*;
use contract_server::Fault;

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
