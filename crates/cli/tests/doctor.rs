//! `spec-kitty doctor` on a healthy project (a Jira binding pulled from the fake Jira, a
//! login at the reference receiver), then with each check broken in turn: the right line
//! fails, the exit code is 1, a warning never hides a failure, and no secret is printed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers
#![allow(clippy::disallowed_methods)] // tests lay out fixture files directly

mod common;

use common::*;
use contract_server::{AuthConfig, ContractServer, ServerConfig};
use serde_json::{Value, json};

const PASSWORD: &str = "doctor's password";

struct Scene {
    env: Env,
    saas: Option<ContractServer>,
    jira: Option<ContractServer>,
}

fn jira_issue() -> Value {
    json!({"id": "10001", "key": "ACME-1", "fields": {
        "summary": "One", "description": null,
        "status": {"name": "To Do", "statusCategory": {"key": "new"}},
        "priority": {"name": "Medium"}, "labels": [], "issuetype": {"name": "Story"},
        "updated": "2026-01-17T12:00:00.000+0000", "created": "2026-01-17T12:00:00.000+0000"}})
}

/// Bound to the fake Jira, pulled, logged in at the SaaS (which checks tokens).
fn healthy() -> Scene {
    let jira = common::fake_jira_with(vec![jira_issue()], "UTC");
    let saas = ContractServer::start(ServerConfig {
        auth: Some(AuthConfig {
            users: [("alice".to_owned(), PASSWORD.to_owned())].into(),
            require_token: true,
            ..AuthConfig::default()
        }),
        ..ServerConfig::default()
    })
    .unwrap();
    let env = Env::new();
    env.bind_to_jira(&jira, &[]);
    let r = env.run(&["tracker", "sync", "pull"]);
    assert_eq!(r.code, 0, "{}", r.render());
    let c = env.cmd(&[
        "auth",
        "login",
        "--server-url",
        &saas.url(),
        "-u",
        "alice",
        "--password-stdin",
    ]);
    let r = run_with_stdin(c, PASSWORD.as_bytes());
    assert_eq!(r.code, 0, "{}", r.render());
    Scene {
        env,
        saas: Some(saas),
        jira: Some(jira),
    }
}

fn dot(env: &Env) -> std::path::PathBuf {
    env.home().join(".spec-kitty")
}

/// Every token in the credentials file, the password and the Jira token.
fn secrets(env: &Env) -> Vec<String> {
    let text = std::fs::read_to_string(dot(env).join("credentials")).unwrap_or_default();
    let mut out = vec![PASSWORD.to_owned(), SECRET.to_owned()];
    if let Ok(doc) = text.parse::<toml_edit::DocumentMut>() {
        for k in ["access", "refresh"] {
            if let Some(v) = doc
                .get("tokens")
                .and_then(|t| t.get(k))
                .and_then(|v| v.as_str())
            {
                out.push(v.to_owned());
            }
        }
    }
    out
}

/// `doctor --json` and `doctor`, both checked for secrets; the JSON's checks by name.
fn doctor(env: &Env, extra: &[&str]) -> (i32, Vec<(String, String, String)>, Run) {
    let known = secrets(env);
    let j = env.run(&[&["doctor", "--json"][..], extra].concat());
    let t = env.run(&[&["doctor"][..], extra].concat());
    for r in [&j, &t] {
        for s in &known {
            assert!(
                !r.stdout.contains(s.as_str()) && !r.stderr.contains(s.as_str()),
                "a secret leaked:\n{}",
                r.render()
            );
        }
    }
    assert_eq!(j.code, t.code, "{}\n{}", j.render(), t.render());
    let v: Value = serde_json::from_str(&j.stdout).unwrap_or_else(|_| panic!("{}", j.render()));
    let checks = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
                c["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(v["ok"], j.code == 0);
    (j.code, checks, t)
}

fn status_of<'a>(checks: &'a [(String, String, String)], name: &str) -> &'a str {
    checks
        .iter()
        .find(|c| c.0 == name)
        .map_or("missing", |c| c.1.as_str())
}

#[test]
fn a_healthy_project_passes_every_check() {
    let s = healthy();
    let (code, checks, text) = doctor(&s.env, &[]);
    assert_eq!(code, 0, "{}", text.render());
    let names: Vec<&str> = checks.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "project",
            "config",
            "binding",
            "credentials",
            "config.toml",
            "tracker cache",
            "queue",
            "login",
            "server",
            "tracker"
        ]
    );
    for c in &checks {
        assert_eq!(c.1, "ok", "{c:?}");
    }
    assert!(
        text.stdout.contains("No problems found."),
        "{}",
        text.render()
    );
    assert!(
        text.stdout.contains("the token is accepted"),
        "{}",
        text.render()
    );
    assert!(
        text.stdout
            .contains("jira accepts the credentials (Fake User)"),
        "{}",
        text.render()
    );
    assert!(
        text.stdout.contains("1 issue(s), 0 mapping(s)"),
        "{}",
        text.render()
    );
}

type Break = fn(&mut Scene);

fn write_creds(s: &Scene, f: impl Fn(&mut toml_edit::DocumentMut)) {
    let path = dot(&s.env).join("credentials");
    let mut doc: toml_edit::DocumentMut = std::fs::read_to_string(&path).unwrap().parse().unwrap();
    f(&mut doc);
    std::fs::write(path, doc.to_string()).unwrap();
}

#[test]
fn each_check_fails_in_turn_with_its_line_and_exit_1() {
    #[cfg(unix)]
    fn open_mode(s: &mut Scene) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            dot(&s.env).join("credentials"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
    }
    let cases: Vec<(&str, Break, &str)> = vec![
        #[cfg(unix)]
        ("credentials readable by others", open_mode, "credentials"),
        (
            "credentials not TOML",
            |s| {
                let path = dot(&s.env).join("credentials");
                let text = std::fs::read_to_string(&path).unwrap();
                std::fs::write(path, text + "\n[broken\n").unwrap();
            },
            "credentials",
        ),
        (
            "config.toml not TOML",
            |s| {
                std::fs::write(dot(&s.env).join("config.toml"), "[sync\nserver_url = 1").unwrap();
            },
            "config.toml",
        ),
        (
            "project config not YAML",
            |s| {
                std::fs::write(
                    s.env.project().join(".kittify/config.yaml"),
                    "tracker: [unclosed\n",
                )
                .unwrap();
            },
            "config",
        ),
        (
            "cache not SQLite",
            |s| {
                let dir = dot(&s.env).join("trackers");
                let db = std::fs::read_dir(&dir)
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .find(|p| p.extension().is_some_and(|e| e == "db"))
                    .unwrap();
                for side in ["db-wal", "db-shm"] {
                    let _ = std::fs::remove_file(db.with_extension(side));
                }
                std::fs::write(db, vec![b'x'; 8192]).unwrap();
            },
            "tracker cache",
        ),
        (
            "queue not SQLite",
            |s| {
                let r = s.env.run(&["auth", "status", "--json"]);
                let v: Value = serde_json::from_str(&r.stdout).unwrap();
                let q = std::path::PathBuf::from(v["queue"].as_str().unwrap());
                std::fs::create_dir_all(q.parent().unwrap()).unwrap();
                std::fs::write(q, vec![b'x'; 8192]).unwrap();
            },
            "queue",
        ),
        (
            "login expired",
            |s| {
                write_creds(s, |d| {
                    d["tokens"]["access_expires_at"] =
                        toml_edit::value("2000-01-01T00:00:00+00:00");
                    d["tokens"]["refresh_expires_at"] =
                        toml_edit::value("2000-01-01T00:00:00+00:00");
                })
            },
            "login",
        ),
        (
            "token refused by the server",
            |s| s.saas.as_ref().unwrap().revoke_access_tokens(),
            "server",
        ),
        ("server down", |s| drop(s.saas.take()), "server"),
        (
            "tracker credentials refused",
            |s| {
                write_creds(s, |d| {
                    d["tracker"]["providers"]["jira"]["api_token"] =
                        toml_edit::value("wrong-token");
                })
            },
            "tracker",
        ),
        ("tracker down", |s| drop(s.jira.take()), "tracker"),
        (
            "binding without credentials",
            |s| {
                write_creds(s, |d| {
                    d.remove("tracker");
                })
            },
            "binding",
        ),
    ];
    for (what, break_it, check) in cases {
        let mut s = healthy();
        break_it(&mut s);
        let (code, checks, text) = doctor(&s.env, &[]);
        assert_eq!(code, 1, "{what}: {}", text.render());
        assert_eq!(status_of(&checks, check), "fail", "{what}: {checks:?}");
        let line = text
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("fail  {check} ")))
            .unwrap_or_else(|| panic!("{what}: {}", text.render()));
        assert!(
            line.contains(" -> "),
            "{what}: every failure says its fix: {line}"
        );
        assert!(
            text.stdout.contains("failure(s)"),
            "{what}: {}",
            text.render()
        );
    }
}

#[test]
fn a_warning_never_hides_a_failure_and_offline_skips_the_network() {
    let mut s = healthy();
    // A warning (no checkpoint) and a failure (the SaaS is down).
    drop(s.saas.take());
    let (code, checks, _) = doctor(&s.env, &[]);
    assert_eq!(code, 1);
    assert_eq!(status_of(&checks, "server"), "fail");
    // Offline: the network checks are skipped, nothing fails.
    let (code, checks, text) = doctor(&s.env, &["--offline"]);
    assert_eq!(code, 0, "{}", text.render());
    assert!(checks.iter().all(|c| c.1 == "ok"), "{checks:?}");
    assert!(text.stdout.contains("skipped (--offline)"));
    // Not bound, not logged in: warnings only, exit 0.
    let env = Env::new();
    let (code, checks, text) = doctor(&env, &["--offline"]);
    assert_eq!(code, 0, "{}", text.render());
    assert_eq!(status_of(&checks, "binding"), "warn");
    assert_eq!(status_of(&checks, "login"), "warn");
    assert!(text.stdout.contains("warning(s)"));
    // A warning beside a failure: still exit 1, both shown.
    std::fs::write(env.project().join(".kittify/config.yaml"), "- a list\n").unwrap();
    let (code, checks, _) = doctor(&env, &["--offline"]);
    assert_eq!(code, 1);
    assert_eq!(status_of(&checks, "config"), "fail");
    assert_eq!(status_of(&checks, "login"), "warn");
}
