//! Scaffolding shared by the CLI's end-to-end tests: a throwaway HOME and project, the
//! real binary with a cleared environment, the acme receiver preset, snapshots with temp
//! paths, ports, keys, ids and times filtered.

#![allow(dead_code, unreachable_pub)] // each test file uses part of it
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers
#![allow(clippy::disallowed_methods)] // tests lay out fixture files directly

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use contract_server::{ContractServer, ServerConfig, parse_mappings};
use serde_json::json;

pub const SECRET: &str = "s3cret-value-never-printed";

pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("home")).unwrap();
        fs::create_dir_all(dir.path().join("proj/.kittify")).unwrap();
        fs::write(
            dir.path().join("proj/.kittify/config.yaml"),
            "# project settings\nproject:\n  uuid: 550e8400-e29b-41d4-a716-446655440000\n  slug: spec-kitty\n",
        )
        .unwrap();
        Env { dir }
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub fn project(&self) -> PathBuf {
        self.dir.path().join("proj")
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_spec-kitty"));
        c.env_clear()
            .env("HOME", self.home())
            .env("SPEC_KITTY_ENABLE_SAAS_SYNC", "1")
            .env("NO_COLOR", "1")
            .current_dir(self.project())
            .args(args);
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        run(self.cmd(args))
    }

    /// `tracker bind` to the fake Jira `jira` ([`fake_jira_with`]) with every credential a
    /// pull needs, then `extra`.
    pub fn bind_to_jira(&self, jira: &ContractServer, extra: &[&str]) {
        let (base, token) = (
            format!("base_url={}", jira.url()),
            format!("api_token={SECRET}"),
        );
        let mut args = vec![
            "--credential",
            "project_key=ACME",
            "--credential",
            &base,
            "--credential",
            "email=dev@example.com",
            "--credential",
            &token,
        ];
        args.extend_from_slice(extra);
        self.bind_jira(&args);
    }

    pub fn bind_jira(&self, extra: &[&str]) {
        let mut args = vec![
            "tracker",
            "bind",
            "--provider",
            "jira",
            "--workspace",
            "acme.atlassian.net",
        ];
        args.extend_from_slice(extra);
        let r = self.run(&args);
        assert_eq!(r.code, 0, "{}", r.render());
    }
}

/// A fake Jira Cloud site on 127.0.0.1 with project ACME, user `dev@example.com`, API
/// token [`SECRET`], the given issues and the user's time zone.
pub fn fake_jira_with(issues: Vec<serde_json::Value>, time_zone: &str) -> ContractServer {
    ContractServer::start(ServerConfig {
        jira: Some(contract_server::FakeJira {
            email: "dev@example.com".into(),
            api_token: SECRET.into(),
            project_key: "ACME".into(),
            time_zone: time_zone.into(),
            issues,
        }),
        ..ServerConfig::default()
    })
    .unwrap()
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn render(&self) -> String {
        format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

pub fn run(mut c: Command) -> Run {
    let o = c.output().unwrap();
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// Runs `c` with `input` on its standard input (a write the child cut short by exiting is
/// not an error: its exit says what happened).
pub fn run_with_stdin(mut c: Command, input: &[u8]) -> Run {
    use std::io::Write;
    use std::process::Stdio;
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input);
    }
    let o = child.wait_with_output().unwrap();
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

pub fn snapshot(name: &str, env: &Env, r: &Run) {
    assert!(
        !r.stdout.contains(SECRET) && !r.stderr.contains(SECRET),
        "a secret leaked:\n{}",
        r.render()
    );
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(
        &regex_escape(&env.dir.path().display().to_string()),
        "[TMP]",
    );
    settings.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]");
    settings.add_filter(r"[0-9a-f]{64}", "[KEY]");
    settings.add_filter(r"trackers/[0-9a-f]{16}\.db", "trackers/[SCOPE].db");
    settings.add_filter(
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+00:00",
        "[TIME]",
    );
    settings.add_filter(r"Content-Length: \d+", "Content-Length: [LEN]");
    settings.add_filter(r#""content_length": \d+"#, r#""content_length": [LEN]"#);
    settings.add_filter(r"spec-kitty-rs/\d+\.\d+\.\d+", "spec-kitty-rs/[VERSION]");
    settings.add_filter(r"\b[0-9A-HJKMNP-TV-Z]{26}\b", "[ULID]");
    settings.add_filter(r#""node_id": "[0-9a-f]{12}""#, r#""node_id": "[NODE]""#);
    settings.add_filter(r"\d+ s ago", "[AGE] s ago");
    settings.add_filter(
        r#""oldest_pending_age_seconds": \d+"#,
        r#""oldest_pending_age_seconds": [AGE]"#,
    );
    settings.add_filter(r"\d+ ms, attempt", "[MS] ms, attempt");
    settings.add_filter(r#""queued_at": \d+"#, r#""queued_at": [UNIX]"#);
    // Stored beside the other CLI snapshots as `<test file>__<name>.snap`, whichever test
    // file calls this helper.
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    let file = module_path!().split("::").next().unwrap_or("cli");
    let name = format!("{file}__{name}");
    settings.bind(|| insta::assert_snapshot!(name, r.render()));
}

pub fn regex_escape(s: &str) -> String {
    s.chars()
        .map(|c| {
            if "\\.+*?()|[]{}^$".contains(c) {
                format!("\\{c}")
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The acme receiver preset: Jira acme.atlassian.net with an exact mapping for ACME and a
/// workspace-level installation.
pub fn server() -> ContractServer {
    let mappings = parse_mappings(
        &json!([
            {"provider": "jira", "workspace": "acme.atlassian.net", "external_resource_type": "jira_project",
             "external_resource_id": "ACME", "target": "mapping-acme"},
            {"provider": "jira", "workspace": "acme.atlassian.net", "external_resource_type": null,
             "external_resource_id": null, "target": "installation-jira"},
        ])
        .to_string(),
    )
    .unwrap();
    ContractServer::start(ServerConfig {
        mappings,
        ..ServerConfig::default()
    })
    .unwrap()
}

/// A `WPStatusChanged` payload that passes the rules.
pub const WP_MOVE: &str =
    r#"{"wp_id": "WP01", "from_lane": "planned", "to_lane": "claimed", "actor": "cli"}"#;

impl Env {
    /// `events emit ARGS`, with the sync flag unset (emitting is not gated).
    pub fn emit(&self, args: &[&str]) -> Run {
        let mut c = self.cmd(&[&["events", "emit"][..], args].concat());
        c.env_remove("SPEC_KITTY_ENABLE_SAAS_SYNC");
        c.env("USER", "dev");
        run(c)
    }

    /// `sync now --server-url URL --auth-token SECRET EXTRA`.
    pub fn sync_now(&self, url: &str, extra: &[&str]) -> Run {
        self.run(
            &[
                &["sync", "now", "--server-url", url, "--auth-token", SECRET][..],
                extra,
            ]
            .concat(),
        )
    }

    /// The events waiting in the home's unscoped queue, in queue order.
    pub fn queued(&self) -> Vec<serde_json::Value> {
        let conn = rusqlite::Connection::open(self.home().join(".spec-kitty/queue.db")).unwrap();
        let mut stmt = conn.prepare("SELECT data FROM queue ORDER BY id").unwrap();
        stmt.query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(|d| serde_json::from_str(&d.unwrap()).unwrap())
            .collect()
    }
}

/// Queues one event in `env`'s home.
pub fn emit_one(env: &Env) {
    let r = env.emit(&[
        "--type",
        "WPStatusChanged",
        "--aggregate-id",
        "WP01",
        "--payload",
        WP_MOVE,
    ]);
    assert_eq!(r.code, 0, "{}", r.render());
}

/// A port on 127.0.0.1 that nothing listens on.
pub fn dead_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", l.local_addr().unwrap())
}
