//! `cargo xtask demo`: the README's "run the main job". Builds the CLI, starts the reference
//! receiver on a free loopback port, and in throwaway projects and homes binds Jira (with a
//! project key), Linear, and Jira without a key, pulls their issues from a fake Jira and a
//! fake Linear (on the same loopback server), publishes, and shows what the server
//! received and how it resolved the routing key. Nothing outside the repo, no network, and
//! the temp directories are removed at the end.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use contract_server::{ContractServer, ServerConfig, parse_mappings};
use contract_server::{FakeJira, FakeLinear};
use serde_json::json;

fn cli_binary(root: &Path) -> Result<PathBuf> {
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "build",
            "--quiet",
            "-p",
            "spec-kitty-cli",
            "--bin",
            "spec-kitty",
        ])
        .current_dir(root)
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("building the spec-kitty CLI failed");
    }
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    Ok(target
        .join("debug")
        .join(format!("spec-kitty{}", std::env::consts::EXE_SUFFIX)))
}

struct Scenario<'a> {
    title: &'a str,
    provider: &'a str,
    workspace: &'a str,
    credentials: Vec<String>,
    /// Whether the binding can pull (Jira without project_key cannot).
    pulls: bool,
}

fn jira_issue(n: u32, title: &str, status: (&str, &str), minute: u32) -> serde_json::Value {
    json!({"id": format!("{}", 10_000 + n), "key": format!("ACME-{n}"), "fields": {
        "summary": title,
        "description": {"type": "doc", "version": 1, "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": format!("{title}.")}]}]},
        "status": {"name": status.0, "statusCategory": {"key": status.1}},
        "priority": {"name": "Medium"}, "labels": ["demo"], "issuetype": {"name": "Story"},
        "updated": format!("2026-02-12T10:{minute:02}:00.000+0000"),
        "created": "2026-02-01T09:00:00.000+0000"}})
}

fn linear_node(n: u32, title: &str, state: (&str, &str), minute: u32) -> serde_json::Value {
    json!({"id": format!("lin-{n}"), "identifier": format!("ENG-{n}"), "title": title,
        "description": null, "priority": 2, "url": format!("https://linear.app/acme/issue/ENG-{n}"),
        "createdAt": "2026-02-01T09:00:00.000Z", "updatedAt": format!("2026-02-12T10:{minute:02}:00.000Z"),
        "state": {"id": "s", "name": state.0, "type": state.1}, "labels": {"nodes": [{"name": "demo"}]},
        "assignee": null, "parent": null, "team": {"id": "abc-123-def"}})
}

fn run_cli(bin: &Path, home: &Path, project: &Path, args: &[&str]) -> Result<()> {
    if run_shown(bin, home, project, args)? {
        Ok(())
    } else {
        bail!("spec-kitty {} failed", args.join(" "))
    }
}

fn run_cli_expecting_failure(bin: &Path, home: &Path, project: &Path, args: &[&str]) -> Result<()> {
    if run_shown(bin, home, project, args)? {
        bail!("spec-kitty {} should have failed", args.join(" "))
    }
    Ok(())
}

/// Emits a few Git events into the offline queue and uploads them to the receiver.
fn events(bin: &Path, url: &str, server: &ContractServer) -> Result<()> {
    println!("== 4. Git events: emit into the offline queue, then upload in a batch");
    let (_tmp, home, project) = crate::scratch::scratch_project(
        "project:\n  uuid: 550e8400-e29b-41d4-a716-446655440000\n  slug: demo\n  repo_slug: acme/demo\n",
    )?;
    for (kind, id, payload) in [
        (
            "FeatureCreated",
            "048-tracker-routing",
            r#"{"feature_slug": "048-tracker-routing", "feature_number": "048", "target_branch": "main", "wp_count": 2}"#,
        ),
        (
            "WPStatusChanged",
            "WP01",
            r#"{"wp_id": "WP01", "from_lane": "planned", "to_lane": "in_progress", "actor": "demo"}"#,
        ),
        (
            "WPStatusChanged",
            "WP01",
            r#"{"wp_id": "WP01", "from_lane": "in_progress", "to_lane": "for_review", "actor": "demo"}"#,
        ),
    ] {
        run_cli(
            bin,
            &home,
            &project,
            &[
                "events",
                "emit",
                "--type",
                kind,
                "--aggregate-id",
                id,
                "--payload",
                payload,
            ],
        )?;
    }
    println!("  (the receiver checks bearer tokens: log in through its token endpoint)");
    login(bin, &home, &project, url)?;
    run_cli(bin, &home, &project, &["auth", "status"])?;
    run_cli(bin, &home, &project, &["sync", "status"])?;
    let before = server.received().len();
    run_cli(bin, &home, &project, &["sync", "now"])?;
    let batch = server
        .received()
        .get(before)
        .and_then(contract_server::Received::json)
        .context("the server received no batch")?;
    let clocks: Vec<String> = batch["events"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["lamport_clock"].to_string())
        .collect();
    println!(
        "  the server received one gzip batch of {} events, Lamport clocks {}\n",
        clocks.len(),
        clocks.join(", ")
    );
    Ok(())
}

/// Imports the lane history of a project the Python CLI 2.1.0 produced (three work packages
/// moved through every lane, `approved` included) and uploads it.
fn history(bin: &Path, url: &str, server: &ContractServer) -> Result<()> {
    println!("== 5. History import: a project's lane log as events, exactly once");
    let (_tmp, home, project) = crate::scratch::scratch_project("")?;
    let fixture = crate::repo_root().join("crates/lane-log/tests/data/python-2.1.0");
    copy_dir(&fixture, &project)?;
    run_cli(
        bin,
        &home,
        &project,
        &["sync", "import-history", "--dry-run"],
    )?;
    run_cli(bin, &home, &project, &["sync", "import-history"])?;
    run_cli(bin, &home, &project, &["sync", "import-history"])?;
    login(bin, &home, &project, url)?;
    let before = server.accepted_event_ids().len();
    run_cli(bin, &home, &project, &["sync", "now"])?;
    println!(
        "  the server accepted {} imported events\n",
        server.accepted_event_ids().len() - before
    );
    Ok(())
}

/// A lane log: WP01 moved to review, WP02 all the way to done.
const PUSH_LANE_LOG: &str = r#"{"event_id": "01JMBY7K8N3QRVX2DPFG5HWT01", "feature_slug": "001-demo", "wp_id": "WP01", "from_lane": "planned", "to_lane": "claimed", "at": "2026-02-12T10:00:00+00:00", "actor": "claude", "force": false}
{"event_id": "01JMBY7K8N3QRVX2DPFG5HWT02", "feature_slug": "001-demo", "wp_id": "WP01", "from_lane": "claimed", "to_lane": "in_progress", "at": "2026-02-12T10:05:00+00:00", "actor": "claude", "force": false}
{"event_id": "01JMBY7K8N3QRVX2DPFG5HWT03", "feature_slug": "001-demo", "wp_id": "WP01", "from_lane": "in_progress", "to_lane": "for_review", "at": "2026-02-12T11:00:00+00:00", "actor": "claude", "force": false}
{"event_id": "01JMBY7K8N3QRVX2DPFG5HWT04", "feature_slug": "001-demo", "wp_id": "WP02", "from_lane": "planned", "to_lane": "done", "at": "2026-02-12T12:00:00+00:00", "actor": "reviewer", "force": true}
"#;

/// Maps two work packages, moves them in a lane log, and pushes the lanes to the fake
/// Jira and the fake Linear: the plan, the result, and a second push with nothing to do.
fn push(bin: &Path, url: &str) -> Result<()> {
    println!("== 6. Push: work-package lanes to Jira and Linear, status only, under the doctrine");
    for (provider, workspace, creds, issues) in [
        (
            "jira",
            "acme.atlassian.net",
            vec![
                "project_key=ACME".to_owned(),
                format!("base_url={url}"),
                "email=dev@example.com".to_owned(),
                "api_token=demo-secret".to_owned(),
            ],
            [("10001", "ACME-1"), ("10003", "ACME-3")],
        ),
        (
            "linear",
            "acme",
            vec![
                "team_id=abc-123-def".to_owned(),
                "api_key=demo-secret".to_owned(),
                format!("graphql_url={url}/graphql"),
            ],
            [("lin-1", "ENG-1"), ("lin-2", "ENG-2")],
        ),
    ] {
        let (_tmp, home, project) = crate::scratch::scratch_project(
            "project:\n  uuid: 550e8400-e29b-41d4-a716-446655440000\n  slug: demo\n",
        )?;
        let feature = project.join("kitty-specs/001-demo");
        std::fs::create_dir_all(&feature)?;
        std::fs::write(feature.join("status.events.jsonl"), PUSH_LANE_LOG)?;
        let mut bind = vec![
            "tracker",
            "bind",
            "--provider",
            provider,
            "--workspace",
            workspace,
        ];
        for c in &creds {
            bind.extend(["--credential", c.as_str()]);
        }
        bind.extend([
            "--doctrine-mode",
            "split_ownership",
            "--field-owner",
            "status=local",
        ]);
        run_cli(bin, &home, &project, &bind)?;
        run_cli(bin, &home, &project, &["tracker", "sync", "pull"])?;
        for (wp, (id, key)) in ["WP01", "WP02"].iter().zip(issues) {
            run_cli(
                bin,
                &home,
                &project,
                &[
                    "tracker",
                    "map",
                    "add",
                    "--wp-id",
                    wp,
                    "--external-id",
                    id,
                    "--external-key",
                    key,
                ],
            )?;
        }
        run_cli(
            bin,
            &home,
            &project,
            &["tracker", "sync", "push", "--dry-run"],
        )?;
        run_cli(bin, &home, &project, &["tracker", "sync", "push"])?;
        run_cli(bin, &home, &project, &["tracker", "sync", "push"])?;
    }
    println!();
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target)?;
        } else {
            std::fs::copy(e.path(), target)?;
        }
    }
    Ok(())
}

/// Runs the CLI, prints the command (secrets hidden) and its output; whether it succeeded.
fn run_shown(bin: &Path, home: &Path, project: &Path, args: &[&str]) -> Result<bool> {
    run_shown_with(bin, home, project, args, None)
}

/// The demo user of the reference receiver's token endpoints.
const DEMO_USER: (&str, &str) = ("demo", "demo-password");

/// `auth login` at the receiver, the password piped on standard input.
fn login(bin: &Path, home: &Path, project: &Path, url: &str) -> Result<()> {
    let args = [
        "auth",
        "login",
        "--server-url",
        url,
        "--username",
        DEMO_USER.0,
        "--password-stdin",
    ];
    if run_shown_with(bin, home, project, &args, Some(DEMO_USER.1))? {
        Ok(())
    } else {
        bail!("spec-kitty auth login failed")
    }
}

fn run_shown_with(
    bin: &Path,
    home: &Path,
    project: &Path,
    args: &[&str],
    stdin: Option<&str>,
) -> Result<bool> {
    let shown: Vec<String> = args
        .iter()
        .map(|a| {
            if let Some((k @ ("api_token" | "api_key"), _)) = a.split_once('=') {
                format!("{k}=<hidden>")
            } else {
                (*a).to_owned()
            }
        })
        .collect();
    let piped = if stdin.is_some() {
        "echo '<password>' | "
    } else {
        ""
    };
    println!("$ {piped}spec-kitty {}", shown.join(" "));
    let mut child = Command::new(bin)
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("SPEC_KITTY_ENABLE_SAAS_SYNC", "1")
        .env("NO_COLOR", "1")
        .current_dir(project)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .context("running spec-kitty")?;
    if let Some(mut pipe) = child.stdin.take() {
        use std::io::Write as _;
        pipe.write_all(stdin.unwrap_or("").as_bytes())
            .context("writing to spec-kitty's standard input")?;
    }
    let out = child.wait_with_output().context("running spec-kitty")?;
    for line in String::from_utf8_lossy(&out.stdout)
        .lines()
        .chain(String::from_utf8_lossy(&out.stderr).lines())
    {
        println!("    {line}");
    }
    Ok(out.status.success())
}

pub(crate) fn run() -> Result<()> {
    let root = crate::repo_root();
    let bin = cli_binary(&root)?;
    let mappings = parse_mappings(
        &json!([
            {"provider": "jira", "workspace": "acme.atlassian.net", "external_resource_type": "jira_project",
             "external_resource_id": "ACME", "target": "resource mapping: Jira project ACME"},
            {"provider": "jira", "workspace": "acme.atlassian.net", "external_resource_type": null,
             "external_resource_id": null, "target": "installation: Jira site acme.atlassian.net"},
            {"provider": "linear", "workspace": "acme", "external_resource_type": "linear_team",
             "external_resource_id": "abc-123-def", "target": "resource mapping: Linear team abc-123-def"},
        ])
        .to_string(),
    )
    .map_err(anyhow::Error::msg)?;
    let server = ContractServer::start(ServerConfig {
        mappings,
        jira: Some(FakeJira {
            email: "dev@example.com".into(),
            api_token: "demo-secret".into(),
            project_key: "ACME".into(),
            time_zone: "Europe/Berlin".into(),
            issues: vec![
                jira_issue(
                    1,
                    "Publish snapshots with resource routing",
                    ("In Progress", "indeterminate"),
                    1,
                ),
                jira_issue(2, "Keep the event envelope unchanged", ("Done", "done"), 2),
                jira_issue(3, "Document the routing contract", ("To Do", "new"), 3),
            ],
        }),
        linear: Some(FakeLinear {
            api_key: "demo-secret".into(),
            oauth_token: "demo-oauth".into(),
            team_id: "abc-123-def".into(),
            issues: vec![
                linear_node(
                    1,
                    "Route Linear snapshots to their team",
                    ("In Progress", "started"),
                    4,
                ),
                linear_node(
                    2,
                    "Show routing readiness in status",
                    ("Done", "completed"),
                    5,
                ),
            ],
        }),
        auth: Some(contract_server::AuthConfig {
            users: [(DEMO_USER.0.to_owned(), DEMO_USER.1.to_owned())].into(),
            team_slug: Some("acme".to_owned()),
            require_token: true,
            ..contract_server::AuthConfig::default()
        }),
        ..ServerConfig::default()
    })?;
    let url = server.url();
    println!("spec-kitty tracker pull + publish demo");
    println!(
        "a fake Jira Cloud and a fake Linear, and the reference receiver (the SaaS side), on {url}"
    );
    println!("the receiver knows three routing keys:");
    println!("  (jira, acme.atlassian.net, jira_project, ACME)       -> Jira project ACME");
    println!("  (jira, acme.atlassian.net, null, null)               -> Jira site installation");
    println!("  (linear, acme, linear_team, abc-123-def)             -> Linear team abc-123-def\n");

    let scenarios = [
        Scenario {
            title: "Jira binding with project_key = ACME",
            provider: "jira",
            workspace: "acme.atlassian.net",
            credentials: vec![
                "project_key=ACME".into(),
                format!("base_url={url}"),
                "email=dev@example.com".into(),
                "api_token=demo-secret".into(),
            ],
            pulls: true,
        },
        Scenario {
            title: "Linear binding with team_id = abc-123-def",
            provider: "linear",
            workspace: "acme",
            credentials: vec![
                "team_id=abc-123-def".into(),
                "api_key=demo-secret".into(),
                format!("graphql_url={url}/graphql"),
            ],
            pulls: true,
        },
        Scenario {
            title: "Jira binding without project_key (legacy credentials)",
            provider: "jira",
            workspace: "acme.atlassian.net",
            credentials: vec![
                format!("base_url={url}"),
                "email=dev@example.com".into(),
                "api_token=demo-secret".into(),
            ],
            pulls: false,
        },
    ];
    for (n, sc) in scenarios.iter().enumerate() {
        let (_tmp, home, project) = crate::scratch::scratch_project(
            "# demo project\nproject:\n  uuid: 550e8400-e29b-41d4-a716-446655440000\n  slug: demo\n",
        )?;
        println!("== {}. {}", n + 1, sc.title);
        let mut bind = vec![
            "tracker",
            "bind",
            "--provider",
            sc.provider,
            "--workspace",
            sc.workspace,
        ];
        for c in &sc.credentials {
            bind.extend(["--credential", c.as_str()]);
        }
        run_cli(&bin, &home, &project, &bind)?;
        if sc.pulls {
            run_cli(&bin, &home, &project, &["tracker", "sync", "pull"])?;
        } else {
            println!("  (no project_key: the pull is refused and the cache stays empty)");
            run_cli_expecting_failure(&bin, &home, &project, &["tracker", "sync", "pull"])?;
        }
        run_cli(
            &bin,
            &home,
            &project,
            &[
                "tracker",
                "map",
                "add",
                "--wp-id",
                "WP01",
                "--external-id",
                if sc.provider == "jira" {
                    "10001"
                } else {
                    "lin-1"
                },
                "--external-key",
                if sc.provider == "jira" {
                    "ACME-1"
                } else {
                    "ENG-1"
                },
            ],
        )?;
        run_cli(&bin, &home, &project, &["tracker", "status"])?;
        login(&bin, &home, &project, &url)?;
        run_cli(&bin, &home, &project, &["tracker", "sync", "publish"])?;
        let got = server
            .received()
            .pop()
            .context("the server received nothing")?;
        let body = got.json().context("the server received no JSON")?;
        println!("  the server received:");
        println!(
            "    provider={} workspace={} external_resource_type={} external_resource_id={} issues={} mappings={}",
            body["provider"],
            body["workspace"],
            body["external_resource_type"],
            body["external_resource_id"],
            body["issues"].as_array().map_or(0, Vec::len),
            body["mappings"].as_array().map_or(0, Vec::len),
        );
        println!(
            "    Idempotency-Key {}  Content-Length {}",
            got.header("idempotency-key").unwrap_or("-"),
            got.header("content-length").unwrap_or("-")
        );
        println!(
            "  and resolved the routing key: {}\n",
            got.resolution.as_deref().unwrap_or("-")
        );
    }
    events(&bin, &url, &server)?;
    history(&bin, &url, &server)?;
    push(&bin, &url)?;
    server.shutdown();
    println!(
        "done: pulls, publishes, an event upload, a history import and pushes to Jira and Linear, all local; the temporary projects and homes are removed."
    );
    Ok(())
}
