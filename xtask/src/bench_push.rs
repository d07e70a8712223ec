//! `cargo xtask bench-push [N]`: a plan (`--dry-run`) and a push of N mapped issues (default
//! 1,000) to the local fake Jira, then a second push with nothing to do: wall time and
//! requests per issue (targets: at most 3 per change, 1 per unchanged issue). The fake
//! runs in this process; the CLI is the release binary.

use std::fmt::Write as _;
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use contract_server::{ContractServer, FakeJira, ServerConfig};
use serde_json::json;
use spec_kitty_home::{Binding, SpecKittyHome};
use tracker_store::{IssueCache, IssueRef};

use crate::bench::release_cli;

pub(crate) fn run(args: &[String]) -> Result<()> {
    let n: u32 = match args.first() {
        Some(a) => a.parse().context("N must be a number of issues")?,
        None => 1000,
    };
    let bin = release_cli()?;
    let issues = (1..=n)
        .map(|i| {
            json!({"id": format!("{}", 100_000 + i), "key": format!("ACME-{i}"), "fields": {
                "summary": format!("Issue {i}"), "description": null,
                "status": {"name": "To Do", "statusCategory": {"key": "new"}},
                "priority": {"name": "Medium"}, "labels": [], "issuetype": {"name": "Story"},
                "updated": "2026-01-17T12:00:00.000+0000", "created": "2026-01-17T12:00:00.000+0000"}})
        })
        .collect();
    let server = ContractServer::start(ServerConfig {
        keep_bodies: false,
        jira: Some(FakeJira {
            email: "dev@example.com".into(),
            api_token: "bench-secret".into(),
            project_key: "ACME".into(),
            time_zone: "UTC".into(),
            issues,
        }),
        ..ServerConfig::default()
    })?;
    let (_tmp, home, project) = crate::scratch::scratch_project(
        "project:\n  uuid: 550e8400-e29b-41d4-a716-446655440000\n  slug: bench\n",
    )?;
    let cli = |args: &[&str]| -> Result<f64> {
        let t = Instant::now();
        let out = std::process::Command::new(&bin)
            .args(args)
            .env_clear()
            .env("HOME", &home)
            .env("SPEC_KITTY_ENABLE_SAAS_SYNC", "1")
            .current_dir(&project)
            .output()?;
        if !out.status.success() {
            bail!(
                "spec-kitty {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(t.elapsed().as_secs_f64())
    };
    let base = format!("base_url={}", server.url());
    cli(&[
        "tracker",
        "bind",
        "--provider",
        "jira",
        "--workspace",
        "acme.atlassian.net",
        "--credential",
        "project_key=ACME",
        "--credential",
        &base,
        "--credential",
        "email=dev@example.com",
        "--credential",
        "api_token=bench-secret",
        "--doctrine-mode",
        "split_ownership",
        "--field-owner",
        "status=local",
    ])?;
    cli(&["tracker", "sync", "pull"])?;
    // N mappings and a lane log moving every work package to done.
    let spec_home = SpecKittyHome::at(home.join(".spec-kitty"));
    let binding = Binding::load(&spec_home, &project)?.context("not bound")?;
    let mut cache = IssueCache::open(&tracker_store::binding_cache_path(&spec_home, &binding))?;
    let feature = project.join("kitty-specs/001-bench");
    std::fs::create_dir_all(&feature)?;
    let mut log = String::new();
    for i in 1..=n {
        let wp = format!("WP{i:04}");
        cache.upsert_mapping(
            &wp,
            &IssueRef {
                system: "jira".into(),
                workspace: "acme.atlassian.net".into(),
                id: format!("{}", 100_000 + i),
                key: Some(format!("ACME-{i}")),
                url: None,
            },
            "2026-01-18T00:00:00+00:00",
        )?;
        let ms = 1_768_694_400_000u64 + u64::from(i);
        writeln!(
            log,
            r#"{{"event_id": "{}", "feature_slug": "001-bench", "wp_id": "{wp}", "from_lane": "planned", "to_lane": "done", "at": "2026-01-18T00:00:00+00:00", "actor": "bench", "force": true}}"#,
            ulid::Ulid::from_parts(ms, u128::from(i))
        )?;
    }
    drop(cache);
    std::fs::write(feature.join("status.events.jsonl"), log)?;
    println!(
        "push of {n} mapped Jira issues (To Do -> Done) to the local fake, whole `spec-kitty tracker sync push` runs"
    );
    for (label, args) in [
        (
            "plan (--dry-run)",
            &["tracker", "sync", "push", "--dry-run"][..],
        ),
        (
            "push (every issue changes)",
            &["tracker", "sync", "push"][..],
        ),
        (
            "push again (nothing to do)",
            &["tracker", "sync", "push"][..],
        ),
    ] {
        let before = server.received().len();
        let secs = cli(args)?;
        let requests = server.received().len() - before;
        println!(
            "  {label:<28} {secs:>6.2} s  {:>6.0} issues/s  {:.2} requests per issue",
            f64::from(n) / secs,
            requests as f64 / f64::from(n)
        );
    }
    println!("  targets: at most 3 requests per change, 1 per unchanged issue");
    server.shutdown();
    Ok(())
}
