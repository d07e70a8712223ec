//! `cargo xtask bench-publish [N] [--python PATH]`: times a whole `spec-kitty tracker sync
//! publish` of N cached issues (default 100,000) to a local receiver, median of 3 runs,
//! with our release binary and, when given (or found as `spec-kitty` of a Python venv via
//! `SPEC_KITTY_PYTHON_CLI`), the Python CLI on the same files and receiver; prints both
//! times, peak RSS and the ratio. The receiver is a loopback sink in this process that
//! reads each body and answers 202, so both CLIs pay the same for it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::bench::{command, median_cpu, mib, release_cli, timed_cpu};
use spec_kitty_home::{CredentialStore, SpecKittyHome};
use tracker_store::{CanonicalIssue, IssueCache, binding_scope, cache_path};

fn sink() -> Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}", listener.local_addr()?);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let Ok(clone) = stream.try_clone() else {
                    return;
                };
                let mut reader = BufReader::new(clone);
                let (mut len, mut line) = (0u64, String::new());
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    if line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                }
                let _ = std::io::copy(&mut reader.take(len), &mut std::io::sink());
                let body = br#"{"status":"accepted"}"#;
                let head = format!(
                    "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let mut s = &stream;
                let _ = s.write_all(head.as_bytes());
                let _ = s.write_all(body);
            });
        }
    });
    Ok(url)
}

fn run3(
    bin: &Path,
    home: &Path,
    project: &Path,
    url: &str,
) -> Result<(f64, Option<u64>, Option<f64>)> {
    let mut runs = Vec::new();
    for _ in 0..5 {
        let mut cmd = command(bin);
        cmd.args(["tracker", "sync", "publish", "--server-url", url])
            .env_clear()
            .env("HOME", home)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("SPEC_KITTY_ENABLE_SAAS_SYNC", "1")
            .env("NO_COLOR", "1")
            .current_dir(project);
        runs.push(timed_cpu(&mut cmd)?);
    }
    Ok(median_cpu(runs))
}

pub(crate) fn run(args: &[String]) -> Result<()> {
    let mut n = 100_000usize;
    let mut python: Option<PathBuf> = std::env::var_os("SPEC_KITTY_PYTHON_CLI").map(PathBuf::from);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--python" => python = it.next().map(PathBuf::from),
            other => n = other.parse().context("N must be a number of issues")?,
        }
    }
    let ours = release_cli()?;
    let (_tmp, home, project) = crate::scratch::scratch_project(
        "project:\n  uuid: 550e8400-e29b-41d4-a716-446655440000\n  slug: bench\ntracker:\n  provider: jira\n  workspace: acme.atlassian.net\n",
    )?;
    let spec_home = SpecKittyHome::at(home.join(".spec-kitty"));
    let store = CredentialStore::new(&spec_home);
    let creds: spec_kitty_home::Credentials = [
        ("project_key", "ACME"),
        ("base_url", "https://acme.atlassian.net"),
    ]
    .iter()
    .map(|(k, v)| {
        (
            (*k).to_owned(),
            routing_core::CredentialValue::String((*v).to_owned()),
        )
    })
    .collect();
    store.set_provider("jira", &creds)?;
    let mut cache = IssueCache::open(&cache_path(
        &spec_home,
        &binding_scope("jira", "acme.atlassian.net", &creds),
    ))?;
    let issues: Vec<CanonicalIssue> = (0..n).map(tracker_store::sample_issue).collect();
    cache.upsert_issues(&issues, &spec_kitty_home::now_isoformat())?;
    drop(cache);
    let url = sink()?;
    if std::env::var_os("SPEC_KITTY_BENCH_KEEP").is_some() {
        // For profiling a run by hand: the scratch home and project stay.
        println!(
            "kept: HOME={} project={}",
            home.display(),
            project.display()
        );
        std::mem::forget(_tmp);
    }
    println!("publish of {n} cached issues to a loopback sink, median of 5 whole-CLI runs");
    let cpu = |c: Option<f64>| c.map_or_else(|| "?".to_owned(), |c| format!("{c:.2} s"));
    let (rs, rs_rss, rs_cpu) = run3(&ours, &home, &project, &url)?;
    println!(
        "  spec-kitty-rs:  {rs:.2} s wall, {} CPU, peak RSS {}",
        cpu(rs_cpu),
        mib(rs_rss)
    );
    match python {
        Some(py) if py.exists() => {
            let (p, p_rss, p_cpu) = run3(&py, &home, &project, &url)?;
            println!(
                "  Python CLI:     {p:.2} s wall, {} CPU, peak RSS {}",
                cpu(p_cpu),
                mib(p_rss)
            );
            println!("  ratio:          {:.1}x faster (wall)", p / rs);
            if let (Some(a), Some(b)) = (rs_cpu, p_cpu) {
                println!("                  {:.1}x less CPU", b / a);
            }
        }
        _ => println!("  (Python CLI not given: pass --python PATH or set SPEC_KITTY_PYTHON_CLI)"),
    }
    Ok(())
}
