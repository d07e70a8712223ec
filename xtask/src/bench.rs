//! What the whole-CLI benchmarks share: the release binary, timing a run with its peak
//! RSS, the median of runs.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

/// Builds release binaries (`(package, binary)` pairs) and returns their paths.
pub(crate) fn release_bins(bins: &[(&str, &str)]) -> Result<Vec<PathBuf>> {
    let root = crate::repo_root();
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args(["build", "--release", "--quiet"]);
    for (package, bin) in bins {
        cmd.args(["-p", package, "--bin", bin]);
    }
    if bins.iter().any(|(p, _)| *p == "contract-server") {
        // The receiver binary as benchmarked: its allocator, and the minimal sink.
        cmd.args([
            "--features",
            "contract-server/bench contract-server/mimalloc",
        ]);
    }
    if !cmd.current_dir(&root).status()?.success() {
        bail!("building the release binaries failed");
    }
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    Ok(bins
        .iter()
        .map(|(_, bin)| target.join("release").join(bin))
        .collect())
}

/// Builds the release `spec-kitty` and returns its path.
pub(crate) fn release_cli() -> Result<PathBuf> {
    release_bins(&[("spec-kitty-cli", "spec-kitty")])?
        .pop()
        .context("no binary built")
}

/// A command for `bin`, under `/usr/bin/time` (for the peak RSS) when it is there.
pub(crate) fn command(bin: &std::path::Path) -> Command {
    let time = std::path::Path::new("/usr/bin/time");
    if time.exists() {
        let mut c = Command::new(time);
        c.args(["-f", "maxrss_kib=%M\ncpu_s=%U %S"]).arg(bin);
        c
    } else {
        Command::new(bin)
    }
}

/// One run: wall seconds and peak RSS (KiB, when `/usr/bin/time` measured it). A run
/// that fails is an error naming its last line of stderr.
pub(crate) fn timed(cmd: &mut Command) -> Result<(f64, Option<u64>)> {
    let t = Instant::now();
    let out = cmd.output().context("running the CLI")?;
    let secs = t.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        bail!(
            "the run failed: {}",
            stderr
                .lines()
                .rfind(|l| {
                    !l.starts_with("maxrss_kib=")
                        && !l.starts_with("cpu_s=")
                        && !l.contains("exit status")
                        && !l.starts_with("Command exited with")
                })
                .unwrap_or("")
        );
    }
    let rss = stderr
        .lines()
        .find_map(|l| l.strip_prefix("maxrss_kib="))
        .and_then(|v| v.trim().parse().ok());
    Ok((secs, rss))
}

/// The run with the median time.
pub(crate) fn median(mut v: Vec<(f64, Option<u64>)>) -> (f64, Option<u64>) {
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    v[v.len() / 2]
}

/// `12 MiB`, or `?` when not measured.
pub(crate) fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(
        || "?".to_owned(),
        |k| format!("{:.0} MiB", k as f64 / 1024.0),
    )
}

/// One run as [`timed`], with the CPU seconds (user + system) `/usr/bin/time` measured.
pub(crate) fn timed_cpu(cmd: &mut Command) -> Result<(f64, Option<u64>, Option<f64>)> {
    let t = Instant::now();
    let out = cmd.output().context("running the CLI")?;
    let secs = t.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        bail!("the run failed: {}", stderr.lines().last().unwrap_or(""));
    }
    let rss = stderr
        .lines()
        .find_map(|l| l.strip_prefix("maxrss_kib="))
        .and_then(|v| v.trim().parse().ok());
    let cpu = stderr
        .lines()
        .find_map(|l| l.strip_prefix("cpu_s="))
        .and_then(|v| {
            let mut parts = v.split_whitespace().map(str::parse::<f64>);
            Some(parts.next()?.ok()? + parts.next()?.ok()?)
        });
    Ok((secs, rss, cpu))
}

/// The medians of runs of [`timed_cpu`]: wall, peak RSS, CPU.
pub(crate) fn median_cpu(
    runs: Vec<(f64, Option<u64>, Option<f64>)>,
) -> (f64, Option<u64>, Option<f64>) {
    let mid = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied()
    };
    let wall = mid(runs.iter().map(|r| r.0).collect()).unwrap_or(0.0);
    let rss = {
        let mut v: Vec<u64> = runs.iter().filter_map(|r| r.1).collect();
        v.sort_unstable();
        v.get(v.len() / 2).copied()
    };
    let cpu = mid(runs.iter().filter_map(|r| r.2).collect());
    (wall, rss, cpu)
}
