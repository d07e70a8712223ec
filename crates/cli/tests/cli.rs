//! End-to-end: the real `spec-kitty` binary with a cleared environment, a temp HOME and
//! project, against the reference receiver on 127.0.0.1. Exit code, stdout and stderr are
//! snapshotted (temp paths, ports, keys and timestamps filtered).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers
#![allow(clippy::disallowed_methods)] // tests lay out fixture files directly

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use contract_server::{ContractServer, Fault};
use serde_json::{Value, json};

mod common;

use common::*;

fn seed_issue(env: &Env, scope_db: &Path) {
    let conn = rusqlite::Connection::open(scope_db).unwrap();
    conn.execute(
        "INSERT INTO tracker_issues VALUES('jira:acme.atlassian.net:10001','jira','acme.atlassian.net','10001',?1,NULL)",
        [r#"{"ref":{"system":"jira","workspace":"acme.atlassian.net","id":"10001","key":"ACME-1","url":null},"title":"Route snapshots","status":"in_progress","issue_type":"story","priority":2,"assignees":[],"labels":[],"updated_at":"2026-02-12T10:00:00Z"}"#],
    )
    .unwrap();
    let _ = env;
}

fn cache_db(env: &Env) -> PathBuf {
    let dir = env.home().join(".spec-kitty/trackers");
    fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "db"))
        .unwrap()
}

#[test]
fn providers_human_and_json() {
    let env = Env::new();
    snapshot("providers", &env, &env.run(&["tracker", "providers"]));
    let r = env.run(&["tracker", "providers", "--json"]);
    snapshot("providers_json", &env, &r);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["routing"]["linear"]["credential_key"], "team_id");
}

#[test]
fn bind_status_map_publish_unbind_jira_routed() {
    let env = Env::new();
    let s = server();
    let bind = env.run(&[
        "tracker",
        "bind",
        "--provider",
        " Jira ",
        "--workspace",
        "acme.atlassian.net",
        "--credential",
        "project_key=ACME",
        "--credential",
        &format!("api_token={SECRET}"),
        "--credential",
        "base_url=https://acme.atlassian.net",
        "--field-owner",
        "title = local",
    ]);
    snapshot("bind_jira", &env, &bind);
    let config = fs::read_to_string(env.project().join(".kittify/config.yaml")).unwrap();
    assert!(
        config.starts_with("# project settings\nproject:\n"),
        "{config}"
    );
    assert!(config.contains("tracker:\n  provider: jira\n"), "{config}");
    snapshot("status", &env, &env.run(&["tracker", "status"]));
    snapshot(
        "status_json",
        &env,
        &env.run(&["tracker", "status", "--json"]),
    );
    snapshot(
        "map_add",
        &env,
        &env.run(&[
            "tracker",
            "map",
            "add",
            "--wp-id",
            "WP01",
            "--external-id",
            "10001",
            "--external-key",
            "ACME-1",
        ]),
    );
    snapshot("map_list", &env, &env.run(&["tracker", "map", "list"]));
    snapshot(
        "map_list_json",
        &env,
        &env.run(&["tracker", "map", "list", "--json"]),
    );
    seed_issue(&env, &cache_db(&env));
    let url = s.url();
    let publish = env.run(&["tracker", "sync", "publish", "--server-url", &url]);
    snapshot("publish_jira_routed", &env, &publish);
    let got = s.received();
    assert_eq!(got.len(), 1);
    let body = got[0].json().unwrap();
    assert_eq!(
        (
            body["external_resource_type"].as_str(),
            body["external_resource_id"].as_str()
        ),
        (Some("jira_project"), Some("ACME"))
    );
    assert_eq!(body["issues"][0]["updated_at"], "2026-02-12T10:00:00+00:00");
    assert_eq!(body["doctrine_field_owners"], json!({"title": "local"}));
    assert_eq!(got[0].resolution.as_deref(), Some("exact"));
    assert!(
        got[0].header("authorization").is_none(),
        "api_token is the provider's secret, not a SaaS token"
    );
    let publish_json = env.run(&["tracker", "sync", "publish", "--server-url", &url, "--json"]);
    snapshot("publish_jira_json", &env, &publish_json);
    let v: Value = serde_json::from_str(&publish_json.stdout).unwrap();
    assert_eq!(v["routing"]["external_resource_id"], "ACME");
    assert_eq!(v["body"]["target"], "mapping-acme");
    snapshot("unbind", &env, &env.run(&["tracker", "unbind"]));
    assert_eq!(
        fs::read_to_string(env.project().join(".kittify/config.yaml")).unwrap(),
        "# project settings\nproject:\n  uuid: 550e8400-e29b-41d4-a716-446655440000\n  slug: spec-kitty\n"
    );
    snapshot("status_unbound", &env, &env.run(&["tracker", "status"]));
}

#[test]
fn dry_run_prints_the_request_with_the_token_redacted_and_sends_nothing() {
    let env = Env::new();
    let s = server();
    env.bind_jira(&["--credential", "project_key=ACME"]);
    let mut c = env.cmd(&[
        "tracker",
        "sync",
        "publish",
        "--dry-run",
        "--server-url",
        &s.url(),
    ]);
    c.env("SAAS_AUTH_TOKEN", SECRET);
    let r = run(c);
    snapshot("publish_dry_run", &env, &r);
    assert!(r.stdout.contains("Authorization: Bearer <redacted>"));
    assert!(s.received().is_empty());
    let r = env.run(&[
        "tracker",
        "sync",
        "publish",
        "--dry-run",
        "--json",
        "--server-url",
        &s.url(),
    ]);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["body"]["external_resource_id"], "ACME");
    assert!(s.received().is_empty());
}

#[test]
fn dry_run_prints_exactly_the_request_that_publish_sends() {
    let env = Env::new();
    let s = server();
    env.bind_jira(&["--credential", "project_key=ACME"]);
    let r = env.run(&[
        "tracker",
        "map",
        "add",
        "--wp-id",
        "WP01",
        "--external-id",
        "10001",
    ]);
    assert_eq!(r.code, 0, "{}", r.render());
    seed_issue(&env, &cache_db(&env));
    let args = ["tracker", "sync", "publish", "--server-url", &s.url()];
    let mut c = env.cmd(&[&args[..], &["--dry-run"]].concat());
    c.env("SAAS_AUTH_TOKEN", SECRET);
    let dry = run(c);
    assert_eq!(dry.code, 0, "{}", dry.render());
    let mut c = env.cmd(&args);
    c.env("SAAS_AUTH_TOKEN", SECRET);
    let sent = run(c);
    assert_eq!(sent.code, 0, "{}", sent.render());
    let got = &s.received()[0];
    let (head, body) = dry.stdout.split_once("\n\n").unwrap();
    let mut lines = head.lines();
    assert_eq!(
        lines.next().unwrap(),
        format!("POST {}/api/v1/connectors/trackers/snapshots/", s.url())
    );
    let mut planned = 0;
    for line in lines {
        let (name, value) = line.split_once(": ").unwrap();
        let expected = if name == "Authorization" {
            format!("Bearer {SECRET}")
        } else {
            value.to_owned()
        };
        assert_eq!(got.header(name), Some(expected.as_str()), "{name}");
        planned += 1;
    }
    assert_eq!(planned, 5, "{head}");
    assert_eq!(body.trim_end().as_bytes(), got.body.as_slice());
}

#[test]
fn token_from_the_environment_is_sent_but_never_printed() {
    let env = Env::new();
    let s = server();
    env.bind_jira(&["--credential", "project_key=ACME"]);
    let mut c = env.cmd(&["tracker", "sync", "publish", "--server-url", &s.url()]);
    c.env("SAAS_AUTH_TOKEN", format!("  {SECRET}  "));
    let r = run(c);
    assert_eq!(r.code, 0, "{}", r.render());
    assert!(!r.stdout.contains(SECRET) && !r.stderr.contains(SECRET));
    assert_eq!(
        s.received()[0].header("authorization"),
        Some(format!("Bearer {SECRET}").as_str())
    );
}

#[test]
fn jira_without_project_key_warns_and_publishes_null_routing() {
    let env = Env::new();
    let s = server();
    env.bind_jira(&[]);
    let r = env.run(&["tracker", "status"]);
    assert!(r.stdout.contains("routing            unavailable: credential project_key missing; add --credential project_key=..."), "{}", r.render());
    let r = env.run(&["tracker", "sync", "publish", "--server-url", &s.url()]);
    snapshot("publish_jira_null_routing", &env, &r);
    let body = s.received()[0].json().unwrap();
    assert_eq!(
        (
            body["external_resource_type"].clone(),
            body["external_resource_id"].clone()
        ),
        (Value::Null, Value::Null)
    );
    assert_eq!(
        s.received()[0].resolution.as_deref(),
        Some("workspace_fallback")
    );
}

/// A fresh project and the acme receiver; bound to Jira (project key ACME) when `bound`.
fn fresh(bound: bool) -> (Env, ContractServer) {
    let env = Env::new();
    if bound {
        env.bind_jira(&["--credential", "project_key=ACME"]);
    }
    (env, server())
}

/// An unbound project's refusal: snapshotted, and nothing written to disk.
fn refused_unbound(name: &str, args: &[&str]) {
    let (env, _s) = fresh(false);
    let config = fs::read_to_string(env.project().join(".kittify/config.yaml")).unwrap();
    snapshot(name, &env, &env.run(args));
    assert_eq!(
        fs::read_to_string(env.project().join(".kittify/config.yaml")).unwrap(),
        config,
        "errors change nothing on disk"
    );
    assert!(!env.home().join(".spec-kitty/credentials").exists());
}

#[test]
fn err_flag_off() {
    let (env, _s) = fresh(false);
    let mut c = env.cmd(&["tracker", "status"]);
    c.env("SPEC_KITTY_ENABLE_SAAS_SYNC", "0");
    snapshot("err_flag_off", &env, &run(c));
}

#[test]
fn err_not_in_project() {
    let (env, _s) = fresh(false);
    let outside = tempfile::tempdir().unwrap();
    let mut c = env.cmd(&["tracker", "status"]);
    c.current_dir(outside.path());
    let r = run(c);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with("error: not inside a spec-kitty project: no .kittify/ directory in "),
        "{}",
        r.render()
    );
    assert!(
        r.stderr.contains("run this from a project directory"),
        "{}",
        r.render()
    );
}

#[test]
fn err_not_bound_publish() {
    let s = server();
    refused_unbound(
        "err_not_bound_publish",
        &["tracker", "sync", "publish", "--server-url", &s.url()],
    );
}

#[test]
fn err_not_bound_map_add() {
    refused_unbound(
        "err_not_bound_map_add",
        &[
            "tracker",
            "map",
            "add",
            "--wp-id",
            "WP01",
            "--external-id",
            "1",
        ],
    );
}

#[test]
fn err_not_bound_unbind() {
    refused_unbound("err_not_bound_unbind", &["tracker", "unbind"]);
}

const BIND_W: [&str; 6] = ["tracker", "bind", "--provider", "jira", "--workspace", "w"];

#[test]
fn err_kv_missing_equals() {
    refused_unbound(
        "err_kv_missing_equals",
        &[&BIND_W[..], &["--credential", "api_token"]].concat(),
    );
}

#[test]
fn err_kv_blank_key() {
    let blank = format!(" ={SECRET}");
    refused_unbound(
        "err_kv_blank_key",
        &[&BIND_W[..], &["--credential", &blank]].concat(),
    );
}

#[test]
fn err_kv_blank_value() {
    refused_unbound(
        "err_kv_blank_value",
        &[&BIND_W[..], &["--field-owner", "title= "]].concat(),
    );
}

#[test]
fn err_doctrine_mode() {
    refused_unbound(
        "err_doctrine_mode",
        &[&BIND_W[..], &["--doctrine-mode", "anarchy"]].concat(),
    );
}

#[test]
fn err_invalid_provider() {
    refused_unbound(
        "err_invalid_provider",
        &[
            "tracker",
            "bind",
            "--provider",
            "My Tracker",
            "--workspace",
            "w",
        ],
    );
}

#[test]
fn err_missing_server_url() {
    let (env, _s) = fresh(true);
    snapshot(
        "err_missing_server_url",
        &env,
        &env.run(&["tracker", "sync", "publish"]),
    );
}

#[test]
fn err_timeout_out_of_range() {
    let (env, s) = fresh(true);
    snapshot(
        "err_timeout_out_of_range",
        &env,
        &env.run(&[
            "tracker",
            "sync",
            "publish",
            "--server-url",
            &s.url(),
            "--timeout-seconds",
            "500",
        ]),
    );
}

#[test]
fn err_unreachable() {
    let (env, _s) = fresh(true);
    snapshot(
        "err_unreachable",
        &env,
        &env.run(&[
            "tracker",
            "sync",
            "publish",
            "--server-url",
            &dead_url(),
            "--attempts",
            "2",
        ]),
    );
}

#[test]
fn err_http_500() {
    // A 500 is retried like every 5xx: it fails when every attempt gets one.
    let (env, s) = fresh(true);
    s.push_faults(vec![Fault::Status(500, None); 3]);
    snapshot(
        "err_http_500",
        &env,
        &env.run(&["tracker", "sync", "publish", "--server-url", &s.url()]),
    );
    assert_eq!(s.received().len(), 3);
}

#[test]
fn err_http_502_json() {
    let (env, s) = fresh(true);
    s.push_faults([Fault::Status(502, None), Fault::Status(502, None)]);
    let r = env.run(&[
        "tracker",
        "sync",
        "publish",
        "--server-url",
        &s.url(),
        "--attempts",
        "2",
        "--json",
    ]);
    snapshot("err_http_502_json", &env, &r);
}

#[test]
fn non_json_answer() {
    let (env, s) = fresh(true);
    s.push_faults([Fault::NonJson]);
    snapshot(
        "non_json_answer",
        &env,
        &env.run(&["tracker", "sync", "publish", "--server-url", &s.url()]),
    );
}

#[test]
fn err_timeout() {
    let (env, s) = fresh(true);
    s.push_faults([Fault::Hang]);
    snapshot(
        "err_timeout",
        &env,
        &env.run(&[
            "tracker",
            "sync",
            "publish",
            "--server-url",
            &s.url(),
            "--timeout-seconds",
            "1",
            "--attempts",
            "1",
        ]),
    );
}

#[test]
fn err_plain_http_token() {
    let (env, s) = fresh(true);
    let mut c = env.cmd(&[
        "tracker",
        "sync",
        "publish",
        "--server-url",
        "http://saas.example.invalid",
    ]);
    c.env("SAAS_AUTH_TOKEN", SECRET);
    snapshot("err_plain_http_token", &env, &run(c));
    assert!(s.received().is_empty());
}

#[test]
fn malformed_config_is_reported_with_its_line_and_left_alone() {
    let env = Env::new();
    let bad = "project:\n  slug: [x\n";
    fs::write(env.project().join(".kittify/config.yaml"), bad).unwrap();
    let r = env.run(&["tracker", "bind", "--provider", "jira", "--workspace", "w"]);
    snapshot("err_malformed_yaml", &env, &r);
    assert_eq!(
        fs::read_to_string(env.project().join(".kittify/config.yaml")).unwrap(),
        bad
    );
}

#[test]
fn a_project_bound_by_the_python_cli_publishes_without_rebinding() {
    let env = Env::new();
    let s = server();
    fs::write(
        env.project().join(".kittify/config.yaml"),
        "# project settings\nproject:\n  uuid: 550e8400-e29b-41d4-a716-446655440000  # identity\n  slug: spec-kitty\n\nagents:\n- claude\ntracker:\n  provider: jira\n  workspace: acme.atlassian.net\n  doctrine:\n    mode: external_authoritative\n    field_owners: {}\n",
    )
    .unwrap();
    fs::create_dir_all(env.home().join(".spec-kitty/trackers")).unwrap();
    fs::write(
        env.home().join(".spec-kitty/credentials"),
        format!("[tracker.providers.jira]\nproject_key = \"ACME\"\nbase_url = \"https://acme.atlassian.net\"\nemail = \"dev@example.com\"\napi_token = \"{SECRET}\"\n"),
    )
    .unwrap();
    // The Python CLI's cache file for this binding (scope from its build_tracker_scope).
    let db = env.home().join(".spec-kitty/trackers/7198e1419cc5e561.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "CREATE TABLE tracker_issues (identity TEXT PRIMARY KEY, system TEXT NOT NULL, workspace TEXT NOT NULL, issue_id TEXT NOT NULL, payload TEXT NOT NULL, updated_at TEXT);
         CREATE TABLE tracker_checkpoints (checkpoint_key TEXT PRIMARY KEY, cursor TEXT, updated_since TEXT);
         CREATE TABLE tracker_mappings (wp_id TEXT NOT NULL, system TEXT NOT NULL, workspace TEXT NOT NULL, external_id TEXT NOT NULL, external_key TEXT, external_url TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (wp_id, system), UNIQUE (system, workspace, external_id));
         INSERT INTO tracker_mappings VALUES('WP01','jira','acme.atlassian.net','10001','ACME-1',NULL,'2026-11-24T02:02:20.247388+00:00','2026-11-24T02:02:20.247388+00:00');
         INSERT INTO tracker_checkpoints VALUES('jira:acme.atlassian.net','c-9','2026-02-12T11:30:15Z');",
    )
    .unwrap();
    drop(conn);
    seed_issue(&env, &db);
    let r = env.run(&["tracker", "sync", "publish", "--server-url", &s.url()]);
    assert_eq!(r.code, 0, "{}", r.render());
    let body = s.received()[0].json().unwrap();
    assert_eq!(body["external_resource_id"], "ACME");
    assert_eq!(body["issues"].as_array().unwrap().len(), 1);
    assert_eq!(
        body["mappings"][0]["created_at"],
        "2026-11-24T02:02:20.247388+00:00"
    );
    assert_eq!(
        body["checkpoint"],
        json!({"cursor": "c-9", "updated_since": "2026-02-12T11:30:15+00:00"})
    );
    let entries: Vec<_> = fs::read_dir(env.home().join(".spec-kitty/trackers"))
        .unwrap()
        .collect();
    assert!(
        entries.iter().all(|e| e
            .as_ref()
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with("7198e1419cc5e561")),
        "same cache file, no new one"
    );
}

#[test]
fn completions_are_generated() {
    let env = Env::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let mut c = env.cmd(&["completions", shell]);
        c.env_remove("SPEC_KITTY_ENABLE_SAAS_SYNC");
        let r = run(c);
        assert_eq!(r.code, 0);
        assert!(r.stdout.contains("spec-kitty"), "{shell}: binary name");
        assert!(r.stdout.contains("tracker"), "{shell}: a command group");
        assert!(r.stdout.contains("publish"), "{shell}: a nested subcommand");
        assert!(
            r.stdout.contains("directory"),
            "{shell}: the global -C/--directory flag"
        );
    }
}

fn fake_jira() -> ContractServer {
    let issue = |n: u32, title: &str| {
        json!({"id": format!("{}", 10000 + n), "key": format!("ACME-{n}"), "fields": {
            "summary": title, "description": "plain text body",
            "status": {"name": "Done", "statusCategory": {"key": "done"}},
            "priority": {"name": "Lowest"}, "labels": ["l"], "issuetype": {"name": "Bug"},
            "updated": format!("2026-01-17T12:{n:02}:00.000+0000"), "created": "2026-01-17T12:00:00.000+0000"}})
    };
    common::fake_jira_with(
        vec![issue(1, "First ☃"), issue(2, "Second")],
        "Europe/Berlin",
    )
}

#[test]
fn pull_fills_the_cache_and_publish_sends_what_was_pulled() {
    let env = Env::new();
    let jira = fake_jira();
    let saas = server();
    env.bind_to_jira(&jira, &[]);
    let r = env.run(&["tracker", "sync", "pull"]);
    assert_eq!(r.code, 0, "{}", r.render());
    assert!(r.stdout.contains("created     2"), "{}", r.render());
    assert!(!r.stdout.contains(SECRET) && !r.stderr.contains(SECRET));
    let r = env.run(&["tracker", "sync", "pull", "--json"]);
    assert_eq!(r.code, 0, "{}", r.render());
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        (v["created"].as_u64(), v["unchanged"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(v["trimmed_pages"], 0);
    assert_eq!(
        v["checkpoint"]["updated_since"],
        "2026-01-17T12:02:00+00:00"
    );
    let r = env.run(&["tracker", "status", "--json"]);
    assert_eq!(
        serde_json::from_str::<Value>(&r.stdout).unwrap()["issue_count"],
        2
    );
    let r = env.run(&["tracker", "sync", "publish", "--server-url", &saas.url()]);
    assert_eq!(r.code, 0, "{}", r.render());
    let body = saas.received()[0].json().unwrap();
    let issues = body["issues"].as_array().unwrap();
    assert_eq!(issues.len(), 2);
    assert_eq!(issues[0]["title"], "First ☃");
    assert_eq!(issues[0]["status"], "done");
    assert_eq!(issues[0]["issue_type"], "bug");
    assert_eq!(issues[0]["priority"], 4);
    assert_eq!(issues[0]["updated_at"], "2026-01-17T12:01:00+00:00");
    assert_eq!(
        body["checkpoint"]["updated_since"],
        "2026-01-17T12:02:00+00:00"
    );
}

#[test]
fn regression_22_17_a_pull_with_one_too_deep_issue_caches_every_issue_and_says_what_it_left_out() {
    let env = Env::new();
    let mut deep = json!({"type": "text", "text": "x"});
    for _ in 0..200 {
        deep = json!({"type": "paragraph", "content": [deep]});
    }
    let issue = |n: u32, description: Value| {
        json!({"id": format!("{}", 10000 + n), "key": format!("ACME-{n}"), "fields": {
            "summary": format!("Issue {n}"), "description": description,
            "status": {"name": "Done", "statusCategory": {"key": "done"}},
            "issuetype": {"name": "Bug"}, "labels": [],
            "updated": format!("2026-01-17T12:{n:02}:00.000+0000")}})
    };
    let jira = common::fake_jira_with(
        vec![
            issue(1, json!("plain")),
            issue(2, deep),
            issue(3, json!("plain")),
        ],
        "UTC",
    );
    env.bind_to_jira(&jira, &[]);
    let r = env.run(&["tracker", "sync", "pull"]);
    assert_eq!(r.code, 0, "{}", r.render());
    assert!(r.stdout.contains("created     3"), "{}", r.render());
    assert!(
        r.stdout
            .contains("note: 1 page(s) held values nested deeper than the parser reads"),
        "{}",
        r.render()
    );
    let r = env.run(&["tracker", "sync", "pull", "--json", "--full"]);
    assert_eq!(r.code, 0, "{}", r.render());
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        (v["unchanged"].as_u64(), v["trimmed_pages"].as_u64()),
        (Some(3), Some(1))
    );
}

#[test]
fn pull_errors_name_the_fix_and_use_the_exit_code_map() {
    let env = Env::new();
    let jira = fake_jira();
    env.bind_jira(&[
        "--credential",
        "project_key=ACME",
        "--credential",
        &format!("base_url={}", jira.url()),
    ]);
    let r = env.run(&["tracker", "sync", "pull"]);
    assert_eq!(r.code, 1, "{}", r.render());
    assert!(
        r.stderr
            .contains("lacks the credential(s) email, api_token"),
        "{}",
        r.render()
    );
    assert!(
        r.stderr.contains("spec-kitty tracker bind --provider jira"),
        "{}",
        r.render()
    );
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.render());
    env.bind_jira(&[
        "--credential",
        "project_key=ACME",
        "--credential",
        &format!("base_url={}", jira.url()),
        "--credential",
        "email=dev@example.com",
        "--credential",
        "api_token=wrong-token",
    ]);
    let r = env.run(&["tracker", "sync", "pull", "--json"]);
    assert_eq!(r.code, 1, "{}", r.render());
    assert!(
        r.stderr.contains("Jira answered HTTP 401"),
        "{}",
        r.render()
    );
    assert!(
        r.stdout.is_empty(),
        "no traceback, no partial JSON: {}",
        r.render()
    );
    jira.push_faults((0..5).map(|_| Fault::Status(503, Some("0".into()))));
    env.bind_to_jira(&jira, &[]);
    let r = env.run(&["tracker", "sync", "pull"]);
    assert_eq!(
        r.code,
        3,
        "the service failed: scripts may retry: {}",
        r.render()
    );
    let r = env.run(&["tracker", "sync", "pull", "--limit", "0"]);
    assert_eq!(r.code, 2, "{}", r.render());
    let env = Env::new();
    let r = env.run(&[
        "tracker",
        "bind",
        "--provider",
        "github",
        "--workspace",
        "o/r",
    ]);
    assert_eq!(r.code, 0, "{}", r.render());
    let r = env.run(&["tracker", "sync", "pull"]);
    assert_eq!(r.code, 1, "{}", r.render());
    assert!(
        r.stderr.contains("pull supports jira and linear"),
        "{}",
        r.render()
    );
}

#[test]
fn events_emit_then_sync_now_uploads_them() {
    let env = Env::new();
    let saas = server();
    let emit = |args: &[&str]| env.emit(args);
    let r = emit(&[
        "--type",
        "WPStatusChanged",
        "--aggregate-id",
        "WP01",
        "--payload",
        r#"{"wp_id": "WP01", "from_lane": "planned", "to_lane": "claimed", "actor": "cli"}"#,
    ]);
    assert_eq!(r.code, 0, "{}", r.render());
    let first_id = r.stdout.trim().to_owned();
    assert_eq!(first_id.len(), 26, "{}", r.render());
    std::fs::write(
        env.dir.path().join("p.json"),
        r#"{"error_type": "network", "error_message": "m", "wp_id": "WP02"}"#,
    )
    .unwrap();
    let payload_arg = format!("@{}", env.dir.path().join("p.json").display());
    let r = emit(&[
        "--type",
        "ErrorLogged",
        "--aggregate-id",
        "048-x",
        "--payload",
        &payload_arg,
        "--causation-id",
        &first_id,
        "--json",
    ]);
    assert_eq!(r.code, 0, "{}", r.render());
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        (v["lamport_clock"].as_i64(), v["aggregate_type"].as_str()),
        (Some(2), Some("WorkPackage"))
    );
    assert_eq!(v["project_slug"], "spec-kitty");
    assert_eq!(v["causation_id"], first_id.as_str());
    // Bad input: one line, exit 2 for a bad flag value, exit 1 for a rule, nothing queued.
    let r = emit(&[
        "--type",
        "WPDeleted",
        "--aggregate-id",
        "WP01",
        "--payload",
        "{}",
    ]);
    assert_eq!(r.code, 2, "{}", r.render());
    assert!(
        r.stderr.contains("unknown event type \"WPDeleted\""),
        "{}",
        r.render()
    );
    let r = emit(&[
        "--type",
        "WPCreated",
        "--aggregate-id",
        "WP01",
        "--payload",
        "{not json",
    ]);
    assert_eq!(r.code, 2, "{}", r.render());
    assert!(
        r.stderr.contains("--payload is not valid JSON"),
        "{}",
        r.render()
    );
    let r = emit(&[
        "--type",
        "WPCreated",
        "--aggregate-id",
        "WP01",
        "--payload",
        r#"{"wp_id": "WP01", "title": "", "feature_slug": "048-x"}"#,
    ]);
    assert_eq!(r.code, 1, "{}", r.render());
    assert!(
        r.stderr.contains("nothing was queued") && r.stderr.contains("title"),
        "{}",
        r.render()
    );
    assert_eq!(
        r.stderr.matches("payload.title").count(),
        1,
        "said once: {}",
        r.render()
    );
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.render());
    // Upload: gated, then everything sent.
    let mut c = env.cmd(&["sync", "now", "--server-url", &saas.url()]);
    c.env_remove("SPEC_KITTY_ENABLE_SAAS_SYNC");
    assert_eq!(run(c).code, 1);
    let r = env.run(&["sync", "status", "--json"]);
    assert_eq!(
        serde_json::from_str::<Value>(&r.stdout).unwrap()["pending"],
        2,
        "{}",
        r.render()
    );
    let r = env.run(&["sync", "now", "--server-url", &saas.url(), "--json"]);
    assert_eq!(r.code, 0, "{}", r.render());
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        (v["sent"].as_u64(), v["left"].as_u64(), v["ok"].as_bool()),
        (Some(2), Some(0), Some(true))
    );
    let body = saas.received()[0].json().unwrap();
    assert_eq!(body["events"][0]["event_id"], first_id.as_str());
}

#[test]
fn sync_status_shows_other_logins_queues_and_leaves_them_untouched() {
    let env = Env::new();
    let spec = env.home().join(".spec-kitty");
    fs::create_dir_all(spec.join("queues")).unwrap();
    fs::write(
        spec.join("credentials"),
        "[user]\nusername = \"dev@example.com\"\n\n[server]\nurl = \"https://saas.example.com\"\n",
    )
    .unwrap();
    // A queue of an earlier login (another server): two events waiting there.
    let other = spec.join("queues/queue-0000000000000000.db");
    let mut q = event_store::EventQueue::open(&other, u64::MAX).unwrap();
    q.enqueue("01KQ0000000000000000000001", "WPStatusChanged", "{}")
        .unwrap();
    q.enqueue("01KQ0000000000000000000002", "WPStatusChanged", "{}")
        .unwrap();
    drop(q);
    // Without the Python CLI's third index: a status must not add it.
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("DROP INDEX idx_coalesce_key; PRAGMA journal_mode = WAL;")
        .unwrap();
    let before = fs::read(&other).unwrap();
    fs::write(spec.join("queues/queue-1111111111111111.db"), "not sqlite").unwrap();
    let r = env.run(&["sync", "status", "--json"]);
    assert_eq!(r.code, 0, "{}", r.render());
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let others = v["other_queues"].as_array().unwrap();
    assert_eq!(others.len(), 2, "{}", r.render());
    assert_eq!(others[0]["path"], other.display().to_string());
    assert_eq!(others[0]["pending"], 2);
    assert!(others[1]["pending"].is_null() && others[1]["error"].is_string());
    assert_eq!(v["pending"], 0, "other logins' events are not this login's");
    let r = env.run(&["sync", "status"]);
    assert!(
        r.stdout.contains(&format!(
            "another login's queue (not sent by this login): {}: 2 pending",
            other.display()
        )),
        "{}",
        r.render()
    );
    assert!(
        r.stdout.contains("another login's queue is unreadable"),
        "{}",
        r.render()
    );
    assert_eq!(
        fs::read(&other).unwrap(),
        before,
        "the other queue was changed"
    );
}

#[test]
fn sync_now_reports_rejections_and_server_failures_with_their_exit_codes() {
    let env = Env::new();
    let saas = server();
    for n in 0..3 {
        let r = env.run(&[
            "events",
            "emit",
            "--type",
            "HistoryAdded",
            "--aggregate-id",
            "WP01",
            "--payload",
            &format!(r#"{{"wp_id": "WP01", "entry_type": "note", "entry_content": "n{n}"}}"#),
            "--json",
        ]);
        assert_eq!(r.code, 0, "{}", r.render());
        if n == 1 {
            let v: Value = serde_json::from_str(&r.stdout).unwrap();
            saas.reject_event_ids([v["event_id"].as_str().unwrap().to_owned()]);
        }
    }
    let r = env.run(&["sync", "now", "--server-url", &saas.url()]);
    assert_eq!(r.code, 1, "{}", r.render());
    assert!(r.stdout.contains("rejected   1"), "{}", r.render());
    assert!(r.stderr.contains("sync failed list"), "{}", r.render());
    let r = env.run(&["sync", "status"]);
    assert!(
        r.stdout.contains("failed          1") && r.stdout.contains("rejected by the test server"),
        "{}",
        r.render()
    );
    let r = env.run(&["sync", "failed", "requeue", "--all"]);
    assert_eq!(r.code, 0, "{}", r.render());
    saas.push_faults((0..3).map(|_| Fault::Status(503, Some("0".into()))));
    let r = env.run(&["sync", "now", "--server-url", &saas.url()]);
    assert_eq!(r.code, 3, "the server failed: retry later: {}", r.render());
    assert!(r.stdout.contains("left       1"), "{}", r.render());
    let r = env.run(&["sync", "failed", "drop", "01KQ0000000000000000000000"]);
    assert_eq!(r.code, 1, "{}", r.render());
    let r = env.run(&["sync", "now"]);
    assert_eq!(r.code, 2, "no server: {}", r.render());
}

#[test]
fn unknown_providers_bind_with_a_warning_and_publish_null_routing() {
    let env = Env::new();
    let saas = server();
    let r = env.run(&[
        "tracker",
        "bind",
        "--provider",
        "FooBar",
        "--workspace",
        "acme",
        "--credential",
        "team_id=T1",
    ]);
    assert_eq!(r.code, 0, "{}", r.render());
    assert!(r.stderr.contains("foobar is not a provider this version knows (jira, linear, azure_devops, github, gitlab, beads, fp)"), "{}", r.render());
    assert!(
        r.stderr.contains("null routing") && !r.stderr.contains("did you mean"),
        "{}",
        r.render()
    );
    let r = env.run(&["tracker", "status"]);
    assert!(
        r.stdout.contains("foobar (unknown to this version)"),
        "{}",
        r.render()
    );
    let r = env.run(&["tracker", "sync", "publish", "--server-url", &saas.url()]);
    assert_eq!(r.code, 0, "{}", r.render());
    let body = saas.received()[0].json().unwrap();
    assert_eq!(
        (body["provider"].as_str(), &body["external_resource_type"]),
        (Some("foobar"), &Value::Null)
    );
    let r = env.run(&[
        "tracker",
        "bind",
        "--provider",
        "jria",
        "--workspace",
        "acme",
    ]);
    assert_eq!(r.code, 0, "{}", r.render());
    assert!(r.stderr.contains("did you mean jira?"), "{}", r.render());
}

#[test]
fn credentials_are_found_however_the_provider_table_is_spelled() {
    let cases = [
        // (config provider, credentials table, routes)
        ("Jira", "Jira"),
        ("'  JIRA  '", "JIRA"),
        ("Jira", "jira"), // the Python CLI's own bug case
    ];
    for (configured, table) in cases {
        let env = Env::new();
        let saas = server();
        fs::write(
            env.project().join(".kittify/config.yaml"),
            format!("project:\n  slug: spec-kitty\ntracker:\n  provider: {configured}\n  workspace: acme.atlassian.net\n"),
        )
        .unwrap();
        fs::create_dir_all(env.home().join(".spec-kitty")).unwrap();
        fs::write(
            env.home().join(".spec-kitty/credentials"),
            format!("[tracker.providers.{table}]\nproject_key = \"ACME\"\n"),
        )
        .unwrap();
        let r = env.run(&["tracker", "status"]);
        assert!(
            r.stdout.contains(&format!("[tracker.providers.{table}]")),
            "{configured}: {}",
            r.render()
        );
        assert!(
            r.stdout.contains("ready: jira_project ACME"),
            "{configured}: {}",
            r.render()
        );
        let r = env.run(&["tracker", "sync", "publish", "--server-url", &saas.url()]);
        assert_eq!(r.code, 0, "{}", r.render());
        let body = saas.received()[0].json().unwrap();
        assert_eq!(
            body["external_resource_id"], "ACME",
            "{configured} / {table}"
        );
        let r = env.run(&["tracker", "unbind"]);
        assert!(r.stdout.contains("credentials removed"), "{}", r.render());
        assert!(
            !fs::read_to_string(env.home().join(".spec-kitty/credentials"))
                .unwrap()
                .contains("ACME"),
            "the table used is removed"
        );
    }
    // Two tables that both match and differ: the normalized one wins, with a warning.
    let env = Env::new();
    fs::write(
        env.project().join(".kittify/config.yaml"),
        "tracker:\n  provider: Jira\n  workspace: acme.atlassian.net\n",
    )
    .unwrap();
    fs::create_dir_all(env.home().join(".spec-kitty")).unwrap();
    fs::write(
        env.home().join(".spec-kitty/credentials"),
        "[tracker.providers.Jira]\nproject_key = \"OLD\"\n[tracker.providers.jira]\nproject_key = \"ACME\"\n",
    )
    .unwrap();
    let r = env.run(&["tracker", "status"]);
    assert!(
        r.stdout.contains("ready: jira_project ACME"),
        "{}",
        r.render()
    );
    assert!(
        r.stderr
            .contains("[tracker.providers.jira] is used, [tracker.providers.Jira] differ"),
        "{}",
        r.render()
    );
}

#[test]
fn regression_13_2_a_password_in_the_server_url_is_never_printed() {
    let env = Env::new();
    env.bind_jira(&["--credential", "project_key=ACME"]);
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    for url in [
        format!("http://user:{SECRET}@127.0.0.1:{dead}"),
        format!("ftp://user:{SECRET}@x.example"),
    ] {
        let r = env.run(&[
            "tracker",
            "sync",
            "publish",
            "--server-url",
            &url,
            "--attempts",
            "1",
        ]);
        assert_ne!(r.code, 0, "{}", r.render());
        assert!(
            !r.stderr.contains(SECRET) && !r.stdout.contains(SECRET),
            "{}",
            r.render()
        );
    }
    let s = server();
    s.push_faults(vec![Fault::Status(500, None); 3]);
    let url = s
        .url()
        .replace("http://", &format!("http://user:{SECRET}@"));
    let r = env.run(&["tracker", "sync", "publish", "--server-url", &url]);
    assert_eq!(r.code, 3, "{}", r.render());
    assert!(
        r.stderr.contains("HTTP 500") && !r.stderr.contains(SECRET),
        "{}",
        r.render()
    );
    let mut c = env.cmd(&["tracker", "sync", "publish", "--help"]);
    c.env("SAAS_API_URL", format!("https://user:{SECRET}@x.example"));
    let r = run(c);
    assert!(
        !r.stdout.contains(SECRET),
        "--help hides the value: {}",
        r.render()
    );
}

#[test]
fn regression_13_3_map_list_never_panics_on_a_long_field_and_map_add_bounds_input() {
    let env = Env::new();
    env.bind_jira(&[]);
    let long = "x".repeat(70_000);
    let r = env.run(&[
        "tracker",
        "map",
        "add",
        "--wp-id",
        "WP01",
        "--external-id",
        &long,
    ]);
    assert_eq!(r.code, 2, "{}", r.render());
    assert!(
        r.stderr.contains("at most 2048 characters"),
        "{}",
        r.render()
    );
    // A field that long written by another tool still lists.
    let r = env.run(&[
        "tracker",
        "map",
        "add",
        "--wp-id",
        "WP01",
        "--external-id",
        "1",
    ]);
    assert_eq!(r.code, 0, "{}", r.render());
    let conn = rusqlite::Connection::open(cache_db(&env)).unwrap();
    conn.execute("UPDATE tracker_mappings SET external_url = ?1", [&long])
        .unwrap();
    drop(conn);
    let r = env.run(&["tracker", "map", "list"]);
    assert_eq!(r.code, 0, "{}", r.render());
    assert!(
        r.stdout.lines().all(|l| l.chars().count() < 400),
        "{}",
        r.render()
    );
}

#[test]
fn regression_13_6_a_server_url_with_a_query_is_refused_not_joined() {
    let env = Env::new();
    let s = server();
    env.bind_jira(&[]);
    let r = env.run(&[
        "tracker",
        "sync",
        "publish",
        "--server-url",
        &format!("{}/base?x=1", s.url()),
    ]);
    assert_eq!(r.code, 2, "{}", r.render());
    assert!(r.stderr.contains("query or fragment"), "{}", r.render());
    assert!(s.received().is_empty());
}

#[test]
fn regression_13_9_dash_c_to_a_missing_directory_or_a_file_is_an_error() {
    let env = Env::new();
    env.bind_jira(&[]);
    let r = env.run(&["-C", "does/not/exist", "tracker", "status"]);
    assert_eq!(r.code, 2, "{}", r.render());
    assert!(r.stderr.contains("no such directory"), "{}", r.render());
    fs::write(env.project().join("a-file"), "x").unwrap();
    let r = env.run(&["-C", "a-file", "tracker", "status"]);
    assert_eq!(r.code, 2, "{}", r.render());
    assert!(r.stderr.contains("not a directory"), "{}", r.render());
}

#[test]
fn regression_13_17_a_token_with_a_newline_is_refused_up_front_without_retries() {
    let env = Env::new();
    let s = server();
    env.bind_jira(&[]);
    let mut c = env.cmd(&["tracker", "sync", "publish", "--server-url", &s.url()]);
    c.env("SAAS_AUTH_TOKEN", format!("{SECRET}\nX-Injected: 1"));
    let r = run(c);
    assert_eq!(r.code, 2, "{}", r.render());
    assert!(r.stderr.contains("control character"), "{}", r.render());
    assert!(!r.stderr.contains(SECRET));
    let r = env.run(&[
        "tracker",
        "sync",
        "publish",
        "--server-url",
        &s.url(),
        "--auth-token",
        "tökén",
    ]);
    assert_eq!(r.code, 2, "{}", r.render());
    assert!(s.received().is_empty(), "nothing was sent");
}

#[test]
fn regression_13_4_server_text_cannot_drive_the_terminal_or_break_the_line() {
    let env = Env::new();
    let s = server();
    env.bind_jira(&["--credential", "project_key=ACME"]);
    s.push_faults([Fault::Answer(
        400,
        vec![],
        json!({"detail": "bad\n\u{1b}]0;pwned\u{7}\u{1b}[2J request"}),
    )]);
    let r = env.run(&["tracker", "sync", "publish", "--server-url", &s.url()]);
    assert_eq!(r.code, 1, "{}", r.render());
    assert!(
        !r.stderr.contains('\u{1b}') && !r.stderr.contains('\u{7}'),
        "{:?}",
        r.stderr
    );
    assert_eq!(r.stderr.lines().count(), 1, "{:?}", r.stderr);
}

#[test]
fn regression_13_16_the_first_bind_respects_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    fs::remove_file(env.project().join(".kittify/config.yaml")).unwrap();
    let bin = env!("CARGO_BIN_EXE_spec-kitty");
    let mut c = Command::new("sh");
    c.args([
        "-c",
        &format!("umask 077; exec '{bin}' tracker bind --provider jira --workspace w"),
    ])
    .env_clear()
    .env("HOME", env.home())
    .env("SPEC_KITTY_ENABLE_SAAS_SYNC", "1")
    .current_dir(env.project());
    let r = run(c);
    assert_eq!(r.code, 0, "{}", r.render());
    let mode = fs::metadata(env.project().join(".kittify/config.yaml"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "umask 077 gives 0600, not 0644");
    let leftovers: Vec<_> = fs::read_dir(env.project().join(".kittify"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers,
        ["config.yaml"],
        "no probe or temp file left behind"
    );
}

fn pair(env: &Env) -> (Option<String>, Option<String>) {
    let config = fs::read_to_string(env.project().join(".kittify/config.yaml")).unwrap_or_default();
    let workspace = config
        .lines()
        .find_map(|l| l.trim().strip_prefix("workspace: "))
        .map(|w| w.trim_matches(['"', '\'']).to_owned());
    let creds = fs::read_to_string(env.home().join(".spec-kitty/credentials")).unwrap_or_default();
    let key = creds
        .lines()
        .find_map(|l| l.strip_prefix("project_key = "))
        .map(|k| k.trim_matches('"').to_owned());
    (workspace, key)
}

#[test]
fn regression_13_1_bind_is_all_or_nothing_across_both_files() {
    let env = Env::new();
    env.bind_jira(&[
        "--credential",
        "project_key=OLD",
        "--credential",
        "api_token=old-token",
    ]);
    let creds_before = fs::read_to_string(env.home().join(".spec-kitty/credentials")).unwrap();
    let config_path = env.project().join(".kittify/config.yaml");
    let config_before = fs::read_to_string(&config_path).unwrap();
    // The config cannot be written (a symlink into a directory that does not exist): the
    // old token is not replaced.
    fs::remove_file(&config_path).unwrap();
    std::os::unix::fs::symlink(env.dir.path().join("gone/config.yaml"), &config_path).unwrap();
    let r = env.run(&[
        "tracker",
        "bind",
        "--provider",
        "jira",
        "--workspace",
        "new",
        "--credential",
        "project_key=NEW",
    ]);
    assert_eq!(r.code, 1, "{}", r.render());
    assert_eq!(
        fs::read_to_string(env.home().join(".spec-kitty/credentials")).unwrap(),
        creds_before
    );
    assert!(!env.home().join(".spec-kitty/binding.journal").exists());
    // The credentials cannot be written after the config was: the config is restored.
    fs::remove_file(&config_path).unwrap();
    fs::write(&config_path, &config_before).unwrap();
    let creds_path = env.home().join(".spec-kitty/credentials");
    fs::remove_file(&creds_path).unwrap();
    std::os::unix::fs::symlink(env.dir.path().join("gone/credentials"), &creds_path).unwrap();
    let r = env.run(&[
        "tracker",
        "bind",
        "--provider",
        "jira",
        "--workspace",
        "new",
        "--credential",
        "project_key=NEW",
    ]);
    assert_eq!(r.code, 1, "{}", r.render());
    assert_eq!(
        fs::read_to_string(&config_path).unwrap(),
        config_before,
        "config rolled back"
    );
}

#[test]
fn regression_13_1_unbind_provider_removes_credentials_bound_or_not() {
    let env = Env::new();
    env.bind_jira(&["--credential", &format!("api_token={SECRET}")]);
    let r = env.run(&[
        "tracker",
        "bind",
        "--provider",
        "linear",
        "--workspace",
        "acme",
        "--credential",
        "api_key=k",
    ]);
    assert_eq!(r.code, 0, "{}", r.render());
    // Jira is no longer bound, but its secret is still stored: it can be removed.
    let r = env.run(&["tracker", "unbind", "--provider", "jira"]);
    assert_eq!(r.code, 0, "{}", r.render());
    assert!(
        r.stdout.contains("Removed the stored jira credentials"),
        "{}",
        r.render()
    );
    assert!(
        !fs::read_to_string(env.home().join(".spec-kitty/credentials"))
            .unwrap()
            .contains(SECRET)
    );
    // From outside any project too.
    let outside = tempfile::tempdir().unwrap();
    let mut c = env.cmd(&["tracker", "unbind", "--provider", "linear"]);
    c.current_dir(outside.path());
    let r = run(c);
    assert_eq!(r.code, 0, "{}", r.render());
    // Inside the project the linear binding is still there: that is what goes now.
    let r = env.run(&["tracker", "unbind", "--provider", "linear"]);
    assert_eq!(r.code, 0, "{}", r.render());
    assert!(
        r.stdout
            .contains("Unbound linear workspace acme (no credentials were stored)"),
        "{}",
        r.render()
    );
    let r = env.run(&["tracker", "unbind", "--provider", "linear"]);
    assert_eq!(r.code, 1, "nothing left to remove: {}", r.render());
}

#[test]
fn regression_13_1_kill_9_during_binds_and_unbinds_never_leaves_a_mixed_pair() {
    use std::time::Duration;
    let env = Env::new();
    // A large config, so a write takes a while.
    let big: String = (0..3000).map(|i| format!("# padding line {i}\n")).collect();
    fs::write(
        env.project().join(".kittify/config.yaml"),
        format!("project:\n  slug: spec-kitty\n{big}"),
    )
    .unwrap();
    let bin = env!("CARGO_BIN_EXE_spec-kitty");
    let script = format!(
        "while true; do for p in A B; do '{bin}' tracker bind --provider jira --workspace ws-$p --credential project_key=$p >/dev/null 2>&1; '{bin}' tracker unbind >/dev/null 2>&1; '{bin}' tracker bind --provider jira --workspace ws-$p --credential project_key=$p >/dev/null 2>&1; done; done"
    );
    let mut seen_both = [false, false];
    for round in 0..50u64 {
        let mut c = Command::new("sh");
        c.args(["-c", &script])
            .env_clear()
            .env("HOME", env.home())
            .env("SPEC_KITTY_ENABLE_SAAS_SYNC", "1")
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .current_dir(env.project());
        // Its own process group, so one signal kills the loop and the bind it is running.
        std::os::unix::process::CommandExt::process_group(&mut c, 0);
        let mut child = c.spawn().unwrap();
        std::thread::sleep(Duration::from_millis(20 + (round * 37) % 90));
        let group = format!("-{}", child.id());
        let _ = Command::new("kill").args(["-9", "--", &group]).status();
        child.wait().unwrap();
        // A killed bind's lock is released with its descriptors, so the next command can go.
        // The next command finishes or rolls back whatever was interrupted.
        let r = env.run(&["tracker", "status"]);
        assert_eq!(r.code, 0, "{}", r.render());
        let (ws, key) = pair(&env);
        match (ws.as_deref(), key.as_deref()) {
            (Some("ws-A"), Some("A")) => seen_both[0] = true,
            (Some("ws-B"), Some("B")) => seen_both[1] = true,
            (None, None) => {}
            other => panic!("round {round}: a mixed pair {other:?}"),
        }
        assert!(!env.home().join(".spec-kitty/binding.journal").exists());
    }
    assert!(seen_both[0] || seen_both[1], "the binds ran");
}

#[test]
fn regression_13_1_parallel_binds_end_as_one_whole_pair() {
    let env = Env::new();
    let big: String = (0..3000).map(|i| format!("# padding line {i}\n")).collect();
    fs::write(
        env.project().join(".kittify/config.yaml"),
        format!("project:\n  slug: spec-kitty\n{big}"),
    )
    .unwrap();
    for round in 0..3 {
        let children: Vec<_> = (0..10)
            .map(|i| {
                env.cmd(&[
                    "tracker",
                    "bind",
                    "--provider",
                    "jira",
                    "--workspace",
                    &format!("ws-{i}"),
                    "--credential",
                    &format!("project_key={i}"),
                ])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
            })
            .collect();
        for mut c in children {
            assert!(c.wait().unwrap().success(), "round {round}");
        }
        let (ws, key) = pair(&env);
        assert_eq!(
            ws.as_deref().and_then(|w| w.strip_prefix("ws-")),
            key.as_deref(),
            "round {round}"
        );
    }
}

#[test]
fn regression_13_10_read_only_commands_leave_the_cache_as_they_found_it() {
    let env = Env::new();
    let s = server();
    env.bind_jira(&["--credential", "project_key=ACME"]);
    let trackers = env.home().join(".spec-kitty/trackers");
    for args in [
        &["tracker", "status"][..],
        &["tracker", "map", "list"],
        &[
            "tracker",
            "sync",
            "publish",
            "--dry-run",
            "--server-url",
            &s.url(),
        ],
    ] {
        let r = env.run(args);
        assert_eq!(r.code, 0, "{}", r.render());
    }
    assert!(
        !trackers.exists() || fs::read_dir(&trackers).unwrap().next().is_none(),
        "no cache was created"
    );
    // A cache the Python CLI made (rollback journal): not switched to WAL, not changed.
    let r = env.run(&[
        "tracker",
        "map",
        "add",
        "--wp-id",
        "WP01",
        "--external-id",
        "1",
    ]);
    assert_eq!(r.code, 0, "{}", r.render());
    let db = cache_db(&env);
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.query_row("PRAGMA journal_mode=DELETE", [], |r| r.get::<_, String>(0))
        .unwrap();
    drop(conn);
    let before = fs::read(&db).unwrap();
    for args in [
        &["tracker", "status"][..],
        &["tracker", "map", "list"],
        &[
            "tracker",
            "sync",
            "publish",
            "--dry-run",
            "--server-url",
            &s.url(),
        ],
    ] {
        let r = env.run(args);
        assert_eq!(r.code, 0, "{}", r.render());
    }
    assert_eq!(fs::read(&db).unwrap(), before, "byte for byte");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "delete");
}

#[test]
fn regression_13_4_local_names_cannot_drive_the_terminal_either() {
    let env = Env::new();
    fs::write(
        env.project().join(".kittify/config.yaml"),
        "tracker:\n  provider: jira\n  workspace: \"acme\\e]0;pwned\\a\\e[2J\"\n",
    )
    .unwrap();
    let r = env.run(&["tracker", "status"]);
    assert_eq!(r.code, 0, "{}", r.render());
    assert!(
        !r.stdout.contains('\u{1b}') && !r.stdout.contains('\u{7}'),
        "{:?}",
        r.stdout
    );
    assert!(
        r.stdout.contains("acme\\u{1b}]0;pwned"),
        "shown escaped: {:?}",
        r.stdout
    );
}

#[test]
fn regression_13_12_a_block_scalar_mentioning_tracker_does_not_confuse_bind() {
    let env = Env::new();
    let text = "notes: |\n  tracker:\n    provider: not a binding\nproject:\n  slug: spec-kitty\n";
    fs::write(env.project().join(".kittify/config.yaml"), text).unwrap();
    env.bind_jira(&[]);
    let now = fs::read_to_string(env.project().join(".kittify/config.yaml")).unwrap();
    assert!(now.starts_with(text), "{now}");
    let r = env.run(&["tracker", "status", "--json"]);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        (v["provider"].as_str(), v["workspace"].as_str()),
        (Some("jira"), Some("acme.atlassian.net"))
    );
}

/// One cause, three commands (publish, pull, sync now), one exit code: the libraries say
/// what kind of failure it is, the CLI maps kinds to codes once.
#[test]
fn the_same_cause_gives_the_same_exit_code_for_publish_pull_and_sync_now() {
    let env = Env::new();
    emit_one(&env);
    let jira_creds = |base: &str, token: &str| {
        env.bind_jira(&[
            "--credential",
            "project_key=ACME",
            "--credential",
            &format!("base_url={base}"),
            "--credential",
            "email=dev@example.com",
            "--credential",
            &format!("api_token={token}"),
        ]);
    };
    let publish = |url: &str| {
        env.run(&[
            "tracker",
            "sync",
            "publish",
            "--server-url",
            url,
            "--auth-token",
            SECRET,
            "--attempts",
            "2",
        ])
    };
    let sync_now = |url: &str| env.sync_now(url, &["--attempts", "2"]);
    let pull = || env.run(&["tracker", "sync", "pull", "--attempts", "2"]);
    let check = |cause: &str, expected: i32, runs: [(&str, Run); 3]| {
        for (command, r) in runs {
            assert_eq!(r.code, expected, "{cause}: {command}\n{}", r.render());
            assert_eq!(
                r.stderr.lines().count(),
                1,
                "{cause}: {command}\n{}",
                r.render()
            );
            assert!(
                !r.stderr.contains(SECRET) && !r.stdout.contains(SECRET),
                "{}",
                r.render()
            );
        }
    };

    // A secret over plain http to a host that is not loopback: usage (2), nothing sent.
    jira_creds("http://tracker.example.invalid", SECRET);
    check(
        "plain http",
        2,
        [
            ("publish", publish("http://saas.example.invalid")),
            ("pull", pull()),
            ("sync now", sync_now("http://saas.example.invalid")),
        ],
    );

    // Nobody answers: the network failed (3), after the retries.
    let dead = dead_url();
    jira_creds(&dead, SECRET);
    check(
        "unreachable",
        3,
        [
            ("publish", publish(&dead)),
            ("pull", pull()),
            ("sync now", sync_now(&dead)),
        ],
    );

    // The server refuses the credentials (401): a user error (1), not retried.
    let saas = server();
    let jira = fake_jira();
    jira_creds(&jira.url(), "wrong-token");
    saas.push_faults([Fault::Status(401, None)]);
    let published = publish(&saas.url());
    saas.push_faults([Fault::Status(401, None)]);
    check(
        "refused",
        1,
        [
            ("publish", published),
            ("pull", pull()),
            ("sync now", sync_now(&saas.url())),
        ],
    );

    // The server keeps failing (503): the server failed (3).
    jira.push_faults(vec![Fault::Status(503, Some("0".into())); 2]);
    jira_creds(&jira.url(), SECRET);
    saas.push_faults(vec![Fault::Status(503, Some("0".into())); 2]);
    let published = publish(&saas.url());
    saas.push_faults(vec![Fault::Status(503, Some("0".into())); 2]);
    check(
        "server failing",
        3,
        [
            ("publish", published),
            ("pull", pull()),
            ("sync now", sync_now(&saas.url())),
        ],
    );

    // The event is still queued after every failure.
    let r = env.run(&["sync", "status", "--json"]);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["pending"], 1, "{}", r.render());
}

#[test]
fn verbose_traces_each_exchange_on_stderr_without_secrets() {
    let env = Env::new();
    emit_one(&env);
    let saas = server();
    saas.push_faults([Fault::Status(503, Some("0".into()))]);
    let url = saas
        .url()
        .replace("http://", &format!("http://user:{SECRET}@"));
    let r = env.run(&[
        "-v",
        "sync",
        "now",
        "--server-url",
        &url,
        "--auth-token",
        SECRET,
    ]);
    assert_eq!(r.code, 0, "{}", r.render());
    let http: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("http: "))
        .collect();
    assert_eq!(
        http.len(),
        4,
        "two attempts, a request and an answer each:\n{}",
        r.render()
    );
    assert!(
        http[0].starts_with("http: > POST http://127.0.0.1:"),
        "{}",
        http[0]
    );
    assert!(http[0].contains("/api/v1/events/batch/ ("), "{}", http[0]);
    assert!(http[1].starts_with("http: < 503 POST "), "{}", http[1]);
    assert!(
        http[3].starts_with("http: < 200 POST ") && http[3].contains("attempt 2"),
        "{}",
        http[3]
    );
    assert!(
        !r.stderr.contains(SECRET) && !r.stdout.contains(SECRET),
        "{}",
        r.render()
    );
    // Without -v, no trace.
    emit_one(&env);
    let r = env.sync_now(&saas.url(), &[]);
    assert_eq!(r.code, 0, "{}", r.render());
    assert!(!r.stderr.contains("http: "), "{}", r.render());
}

#[test]
fn bind_refuses_a_field_owner_the_python_cli_would_ignore() {
    refused_unbound(
        "err_field_owner_unknown",
        &[&BIND_W[..], &["--field-owner", "title=spec_kitty"]].concat(),
    );
}

#[test]
fn a_rebind_keeps_the_status_map_and_status_shows_the_effective_map_and_the_doctrine() {
    let env = Env::new();
    env.bind_jira(&["--credential", "project_key=ACME"]);
    let path = env.project().join(".kittify/config.yaml");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(
        &path,
        text.replace(
            "tracker:\n",
            "tracker:\n  status_map:\n    done: Shipped\n    dnoe: Typo\n",
        ),
    )
    .unwrap();
    let r = env.run(&["tracker", "status"]);
    assert!(
        r.stdout
            .contains("refused by the doctrine (external_authoritative, status owned shared)"),
        "{}",
        r.render()
    );
    assert!(
        r.stdout
            .contains("  done         \"Shipped\" (status_map)\n"),
        "{}",
        r.render()
    );
    assert!(
        r.stderr.contains("\"dnoe\", which is not a lane"),
        "{}",
        r.render()
    );
    // Re-bind with status owned locally: the map survives, push is allowed.
    env.bind_jira(&[
        "--credential",
        "project_key=ACME",
        "--doctrine-mode",
        "split_ownership",
        "--field-owner",
        "status=local",
    ]);
    let text = fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("  status_map:\n    done: Shipped\n"),
        "{text}"
    );
    let r = env.run(&["tracker", "status", "--json"]);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["push"]["status_writable"], true, "{}", r.render());
    assert_eq!(v["push"]["status_map"]["done"], "\"Shipped\" (status_map)");
    assert_eq!(v["push"]["status_map"]["approved"], "Approved | In Review");
    assert_eq!(v["push"]["unknown_lanes"], json!(["dnoe"]));
}

#[test]
fn regression_22_11_a_provider_the_contract_forbids_is_refused_before_sending() {
    let env = Env::new();
    let s = server();
    let path = env.project().join(".kittify/config.yaml");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(
        &path,
        format!("{text}tracker:\n  provider: 'Acme Tracker'\n  workspace: acme\n"),
    )
    .unwrap();
    let r = env.run(&["tracker", "sync", "publish", "--server-url", &s.url()]);
    assert_eq!(r.code, 1, "{}", r.render());
    assert!(
        r.stderr.contains("\"acme tracker\" is not a provider name"),
        "{}",
        r.render()
    );
    assert!(
        r.stderr.contains("run `spec-kitty tracker bind` again"),
        "{}",
        r.render()
    );
    assert!(s.received().is_empty(), "nothing sent");
}

#[test]
fn regression_22_10_temp_copies_a_killed_bind_left_are_removed_under_the_lock_at_once() {
    let env = Env::new();
    let dot = env.home().join(".spec-kitty");
    let kittify = env.project().join(".kittify");
    fs::create_dir_all(&dot).unwrap();
    let plant = || {
        let creds = dot.join(".spec-kitty-credentials-AbC123.tmp");
        let config = kittify.join(".spec-kitty-config.yaml-XyZ789.tmp");
        fs::write(
            &creds,
            format!("[tracker.providers.jira]\napi_token = \"{SECRET}\"\n"),
        )
        .unwrap();
        fs::write(&config, "tracker: {}\n").unwrap();
        (creds, config)
    };
    // Another file's write may be in progress: its fresh temp file is left alone.
    let other = dot.join(".spec-kitty-clock.json-Q1w2E3.tmp");
    fs::write(&other, "{}").unwrap();
    let (creds, config) = plant();
    env.bind_jira(&["--credential", "project_key=ACME"]);
    assert!(
        !creds.exists() && !config.exists(),
        "fresh leftovers of the same files are gone"
    );
    assert!(
        other.exists(),
        "another file's temp is not this lock's to remove"
    );
    // A crash left a journal too: the next tracker command recovers and cleans up.
    let (creds, config) = plant();
    fs::write(
        dot.join("binding.journal"),
        serde_json::json!({"config_path": kittify.join("config.yaml"), "config_old": null,
                           "config_new": null, "credentials_old": null, "credentials_new": null})
        .to_string(),
    )
    .unwrap();
    let r = env.run(&["tracker", "status"]);
    assert_eq!(r.code, 0, "{}", r.render());
    assert!(!creds.exists() && !config.exists(), "{}", r.render());
}

#[test]
fn regression_22_17_the_smaller_ones() {
    let env = Env::new();
    // clap never echoes a URL's query or a 64 KiB value.
    let long = "x".repeat(65_536);
    for bad in [format!("https://h.example/p?token={SECRET}"), long] {
        let r = env.run(&["sync", "now", "--server-url", &bad]);
        assert_eq!(r.code, 2, "{}", r.render());
        assert!(
            !r.stderr.contains(SECRET) && r.stderr.len() < 2000,
            "{}",
            r.stderr.len()
        );
    }
    // bind refuses a base_url a pull would refuse, and writes nothing.
    let r = env.run(&[
        "tracker",
        "bind",
        "--provider",
        "jira",
        "--workspace",
        "acme.atlassian.net",
        "--credential",
        "base_url=https://acme.atlassian.net/?x=1",
    ]);
    assert_eq!(r.code, 2, "{}", r.render());
    assert!(r.stderr.contains("base URL only"), "{}", r.render());
    assert!(!env.home().join(".spec-kitty/credentials").exists());
    // emit says a payload on stdin is too large instead of calling it invalid JSON.
    let c = env.cmd(&[
        "events",
        "emit",
        "--type",
        "WPStatusChanged",
        "--aggregate-id",
        "WP01",
        "--payload",
        "-",
    ]);
    let r = run_with_stdin(c, &vec![b' '; 17 * 1024 * 1024]);
    let err = &r.stderr;
    assert_eq!(r.code, 2, "{err}");
    assert!(err.contains("more than 16 MiB"), "{err}");
}

#[test]
fn regression_22_17_requeue_respects_max_queue_size() {
    let env = Env::new();
    for _ in 0..3 {
        emit_one(&env);
    }
    let s = server();
    let ids: Vec<String> = env
        .queued()
        .iter()
        .map(|e| e["event_id"].as_str().unwrap().to_owned())
        .collect();
    s.reject_event_ids(ids);
    let r = env.sync_now(&s.url(), &[]);
    assert_eq!(r.code, 1, "{}", r.render());
    emit_one(&env);
    fs::write(
        env.home().join(".spec-kitty/config.toml"),
        "[sync]\nmax_queue_size = 2\n",
    )
    .unwrap();
    let r = env.run(&["sync", "failed", "requeue", "--all"]);
    assert_eq!(r.code, 1, "{}", r.render());
    assert!(r.stderr.contains("is full"), "{}", r.render());
    let list = env.run(&["sync", "failed", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    assert_eq!(v["failed"].as_array().unwrap().len(), 3, "nothing moved");
    assert_eq!(env.queued().len(), 1);
}
