//! `cargo xtask bench-import [N] [--runs K]`: a whole `spec-kitty sync import-history` of a
//! lane log of N rows (default 100,000) into a fresh queue, median of K runs (3): events
//! per second and peak RSS. Target (issue 18): under 2 s and 64 MiB on this machine kind.
//! The Python CLI has no import to compare with.

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context as _, Result};

use crate::bench::{command, median, mib, release_cli, timed};

/// Lanes a work package cycles through, as an agent and a reviewer move it.
const CYCLE: [(&str, &str); 5] = [
    ("planned", "claimed"),
    ("claimed", "in_progress"),
    ("in_progress", "for_review"),
    ("for_review", "in_progress"),
    ("in_progress", "planned"),
];

/// Work packages of the benchmark feature (WP01 to WP99: a WP id has two digits).
const WPS: u64 = 99;

/// A project with one feature, 99 work packages and a lane log of `n` rows.
fn project(root: &Path, n: u64) -> Result<()> {
    let feature = root.join("kitty-specs/001-bench");
    std::fs::create_dir_all(feature.join("tasks"))?;
    std::fs::write(
        feature.join("meta.json"),
        r#"{"created_at": "2026-01-01T00:00:00+00:00", "feature_number": "001", "feature_slug": "001-bench", "target_branch": "main"}"#,
    )?;
    for wp in 1..=WPS {
        std::fs::write(
            feature.join(format!("tasks/WP{wp:02}-bench.md")),
            format!(
                "---\nwork_package_id: WP{wp:02}\ntitle: Bench work package {wp}\nlane: planned\ndependencies: []\nhistory:\n- timestamp: '2026-01-01T00:00:00Z'\n---\n\nBody.\n"
            ),
        )?;
    }
    let mut log =
        std::io::BufWriter::new(std::fs::File::create(feature.join("status.events.jsonl"))?);
    let start = 1_767_225_600_000u64; // 2026-01-01T00:00:00Z in ms
    for i in 0..n {
        let wp = i % WPS + 1;
        let (from, to) = CYCLE[usize::try_from((i / WPS) % 5).unwrap_or(0)];
        let ms = start + i * 10;
        let ts = jiff::Timestamp::from_millisecond(i64::try_from(ms)?)?;
        let id = ulid::Ulid::from_parts(ms, u128::from(i) + 1).to_string();
        writeln!(
            log,
            r#"{{"actor": "agent-{wp}", "at": "{}", "event_id": "{id}", "evidence": null, "execution_mode": "worktree", "feature_slug": "001-bench", "force": false, "from_lane": "{from}", "policy_metadata": null, "reason": null, "review_ref": null, "to_lane": "{to}", "wp_id": "WP{wp:02}"}}"#,
            ts.strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00")
        )?;
    }
    log.flush()?;
    std::fs::write(
        root.join(".kittify/config.yaml"),
        "project:\n  uuid: 550e8400-e29b-41d4-a716-446655440000\n  slug: bench\n",
    )?;
    Ok(())
}

pub(crate) fn run(args: &[String]) -> Result<()> {
    let mut n: u64 = 100_000;
    let mut runs: usize = 3;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--runs" => {
                runs = it
                    .next()
                    .and_then(|r| r.parse().ok())
                    .filter(|r| *r > 0)
                    .context("--runs takes a positive number")?;
            }
            other => n = other.parse().context("N must be a number of rows")?,
        }
    }
    let bin = release_cli()?;
    let (_tmp, home, root) = crate::scratch::scratch_project("")?;
    project(&root, n)?;
    let spec = home.join(".spec-kitty");
    println!(
        "import of a lane log of {n} rows (+1 FeatureCreated, 99 WPCreated), whole `spec-kitty sync import-history` runs into a fresh queue, median of {runs}"
    );
    let mut samples = Vec::new();
    for _ in 0..runs {
        let _ = std::fs::remove_dir_all(&spec);
        std::fs::create_dir_all(&spec)?;
        std::fs::write(
            spec.join("config.toml"),
            format!("[sync]\nmax_queue_size = {}\n", n + 1000),
        )?;
        let mut cmd = command(&bin);
        cmd.args(["sync", "import-history"])
            .env_clear()
            .env("HOME", &home)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("SPEC_KITTY_ENABLE_SAAS_SYNC", "1")
            .current_dir(&root);
        samples.push(timed(&mut cmd)?);
    }
    let (secs, rss) = median(samples);
    let events = n + 1 + WPS;
    println!(
        "  spec-kitty-rs: {secs:.2} s, {:.0} events/s, peak RSS {}",
        events as f64 / secs,
        mib(rss)
    );
    println!("  target: under 2 s and 64 MiB");
    Ok(())
}
