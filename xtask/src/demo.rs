//! `cargo xtask demo`: the README's "run the main job". Builds the CLI, starts the reference
//! receiver on a free loopback port, and in throwaway projects and homes binds Jira (with a
//! project key), Linear, and Jira without a key, seeds cached issues, publishes, and shows
//! what the server received and how it resolved the routing key. Nothing outside the repo,
//! no network, and the temp directories are removed at the end.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use contract_server::{ContractServer, ServerConfig, parse_mappings};
use serde_json::json;
use tracker_store::{
    CanonicalIssue, CredentialStore, IssueCache, IssueRef, SpecKittyHome, binding_scope, cache_path,
};

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
    credentials: &'a [&'a str],
}

fn issue(provider: &str, workspace: &str, n: u32, title: &str, status: &str) -> CanonicalIssue {
    CanonicalIssue {
        reference: IssueRef {
            system: provider.into(),
            workspace: workspace.into(),
            id: format!("{}", 10_000 + n),
            key: Some(format!("ACME-{n}")),
            url: None,
        },
        title: title.into(),
        body: None,
        status: status.into(),
        issue_type: "story".into(),
        priority: Some(2),
        assignees: vec![],
        labels: vec!["demo".into()],
        parent: None,
        links: vec![],
        custom_fields: Default::default(),
        created_at: None,
        updated_at: Some("2026-02-12T10:00:00Z".into()),
        raw: None,
    }
}

fn run_cli(bin: &Path, home: &Path, project: &Path, args: &[&str]) -> Result<()> {
    let shown: Vec<String> = args
        .iter()
        .map(|a| {
            if a.starts_with("api_token=") || a.starts_with("api_key=") {
                "api_token=<hidden>".into()
            } else {
                (*a).to_owned()
            }
        })
        .collect();
    println!("$ spec-kitty {}", shown.join(" "));
    let out = Command::new(bin)
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("SPEC_KITTY_ENABLE_SAAS_SYNC", "1")
        .env("NO_COLOR", "1")
        .current_dir(project)
        .output()
        .context("running spec-kitty")?;
    for line in String::from_utf8_lossy(&out.stdout)
        .lines()
        .chain(String::from_utf8_lossy(&out.stderr).lines())
    {
        println!("    {line}");
    }
    if !out.status.success() {
        bail!("spec-kitty {} failed", args.join(" "));
    }
    Ok(())
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
        ..ServerConfig::default()
    })?;
    let url = server.url();
    println!("spec-kitty tracker publish demo");
    println!("reference receiver (the SaaS side) on {url}, with three known routing keys:");
    println!("  (jira, acme.atlassian.net, jira_project, ACME)       -> Jira project ACME");
    println!("  (jira, acme.atlassian.net, null, null)               -> Jira site installation");
    println!("  (linear, acme, linear_team, abc-123-def)             -> Linear team abc-123-def\n");

    let scenarios = [
        Scenario {
            title: "Jira binding with project_key = ACME",
            provider: "jira",
            workspace: "acme.atlassian.net",
            credentials: &[
                "project_key=ACME",
                "base_url=https://acme.atlassian.net",
                "api_token=demo-secret",
            ],
        },
        Scenario {
            title: "Linear binding with team_id = abc-123-def",
            provider: "linear",
            workspace: "acme",
            credentials: &["team_id=abc-123-def", "api_key=demo-secret"],
        },
        Scenario {
            title: "Jira binding without project_key (legacy credentials)",
            provider: "jira",
            workspace: "acme.atlassian.net",
            credentials: &[
                "base_url=https://acme.atlassian.net",
                "api_token=demo-secret",
            ],
        },
    ];
    for (n, sc) in scenarios.iter().enumerate() {
        let tmp = tempfile::tempdir()?;
        let (home, project) = (tmp.path().join("home"), tmp.path().join("project"));
        std::fs::create_dir_all(project.join(".kittify"))?;
        std::fs::create_dir_all(&home)?;
        std::fs::write(
            project.join(".kittify/config.yaml"),
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
        for c in sc.credentials {
            bind.extend(["--credential", c]);
        }
        run_cli(&bin, &home, &project, &bind)?;
        // Seed the cache as a `tracker sync pull` would.
        let spec_home = SpecKittyHome::at(home.join(".spec-kitty"));
        let creds = CredentialStore::new(&spec_home).get_provider(sc.provider)?;
        let mut cache = IssueCache::open(&cache_path(
            &spec_home,
            &binding_scope(sc.provider, sc.workspace, &creds),
        ))?;
        let issues = [
            issue(
                sc.provider,
                sc.workspace,
                1,
                "Publish snapshots with resource routing",
                "in_progress",
            ),
            issue(
                sc.provider,
                sc.workspace,
                2,
                "Keep the event envelope unchanged",
                "done",
            ),
            issue(
                sc.provider,
                sc.workspace,
                3,
                "Document the routing contract",
                "todo",
            ),
        ];
        cache.upsert_issues(&issues, &tracker_store::now_isoformat())?;
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
                "10001",
                "--external-key",
                "ACME-1",
            ],
        )?;
        run_cli(&bin, &home, &project, &["tracker", "status"])?;
        run_cli(
            &bin,
            &home,
            &project,
            &["tracker", "sync", "publish", "--server-url", &url],
        )?;
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
    server.shutdown();
    println!("done: three publishes, all local; the temporary projects and homes are removed.");
    Ok(())
}
