//! `cargo xtask bench-upload [N] [--python PATH] [--runs K]`: times whole `spec-kitty sync
//! now` runs uploading N queued events (default 100,000), median of K runs (default 3),
//! with our release binary and, when given (or found via `SPEC_KITTY_PYTHON_CLI`), the
//! Python CLI on copies of the same queue file, first to the reference receiver
//! (`contract-server`, which validates every event) and then to a minimal sink (which
//! checks nothing, so the time is the uploader's own). Prints times, events per second,
//! peak RSS and the ratio, and checks every run left the queue empty.
//!
//! Receivers run as release child processes (`spec-kitty-contract-server [--sink]`), fresh
//! for every run. Both CLIs run logged in (a stored SaaS login with a server URL), so both use the
//! Python CLI's scoped queue file `~/.spec-kitty/queues/queue-<scope>.db`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, Result, bail};
use contract_server::sample_event;
use event_store::{EventQueue, QueueFiles};
use spec_kitty_home::SpecKittyHome;

use crate::bench::{command, median_cpu, mib, release_bins, timed_cpu};

/// A queue file of `n` events, made once and copied for every run.
fn template(dir: &Path, n: u64) -> Result<PathBuf> {
    let path = dir.join("template.db");
    let mut q = EventQueue::open(&path, u64::MAX)?;
    let events: Vec<(String, String)> = (0..n).map(sample_event).collect();
    q.enqueue_many(
        events
            .iter()
            .map(|(id, data)| (id.as_str(), "WPStatusChanged", data.as_str())),
    )?;
    Ok(path)
}

/// A home logged in to `url`, holding a copy of the template as its active queue.
fn home_for(root: &Path, url: &str, template: &Path) -> Result<(PathBuf, PathBuf)> {
    let _ = std::fs::remove_dir_all(root);
    let dir = root.join(".spec-kitty");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(
        dir.join("credentials"),
        format!(
            "[tokens]\naccess = \"bench-access\"\nrefresh = \"bench-refresh\"\n\
             access_expires_at = \"2099-01-01T00:00:00+00:00\"\n\
             refresh_expires_at = \"2099-01-01T00:00:00+00:00\"\n\n\
             [user]\nusername = \"bench@example.com\"\n\n[server]\nurl = \"{url}\"\n"
        ),
    )?;
    std::fs::write(
        dir.join("config.toml"),
        format!("[sync]\nserver_url = \"{url}\"\n"),
    )?;
    let queue = QueueFiles::resolve(&SpecKittyHome::at(&dir))?
        .scoped
        .context("the bench login has no scoped queue")?;
    std::fs::create_dir_all(queue.parent().unwrap_or(&dir))?;
    std::fs::copy(template, &queue)?;
    // The copy is flushed before the run: otherwise the first fsync of whichever CLI runs
    // (a journal-mode switch, a commit) writes back the harness's own 70 MB copy.
    std::fs::File::open(&queue)?.sync_all()?;
    Ok((root.to_path_buf(), queue))
}

/// A receiver child process: the reference receiver, or the minimal sink.
struct Receiver {
    child: Child,
    url: String,
}

impl Receiver {
    fn start(server: &Path, sink: bool) -> Result<Receiver> {
        let mut cmd = Command::new(server);
        if sink {
            cmd.arg("--sink");
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting the receiver")?;
        let mut first = String::new();
        BufReader::new(child.stdout.as_mut().context("no receiver stdout")?)
            .read_line(&mut first)?;
        let url = first
            .trim()
            .strip_prefix("listening on ")
            .context("the receiver did not say where it listens")?
            .to_owned();
        Ok(Receiver { child, url })
    }

    /// Stops it; returns how many events it accepted.
    fn stop(mut self) -> Result<u64> {
        drop(self.child.stdin.take());
        let out = self.child.wait_with_output()?;
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| {
                l.strip_prefix("accepted ")?
                    .strip_suffix(" events")?
                    .parse()
                    .ok()
            })
            .context("the receiver did not say how many events it accepted")
    }
}

/// One `sync now` with a fresh receiver and a fresh copy of the queue; checks it drained.
fn one_run(
    bin: &Path,
    server: &Path,
    sink: bool,
    work: &Path,
    template: &Path,
    n: u64,
) -> Result<(f64, Option<u64>, Option<f64>)> {
    let receiver = Receiver::start(server, sink)?;
    let (home, queue) = home_for(&work.join("home"), &receiver.url, template)?;
    let mut cmd = command(bin);
    cmd.args(["sync", "now"])
        .env_clear()
        .env("HOME", &home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("SPEC_KITTY_ENABLE_SAAS_SYNC", "1")
        .env("NO_COLOR", "1")
        .current_dir(&home);
    let run = timed_cpu(&mut cmd);
    let received = receiver.stop()?;
    let run = run?;
    let q = EventQueue::open(&queue, u64::MAX)?;
    let (left, failed) = (q.pending()?, q.failed()?.len());
    if left != 0 || failed != 0 || received != n {
        bail!(
            "{} left {left} events queued and {failed} failed; the receiver accepted {received} of {n}",
            bin.display()
        );
    }
    Ok(run)
}

pub(crate) fn run(args: &[String]) -> Result<()> {
    let mut n = 100_000u64;
    let mut runs = 3usize;
    let mut python: Option<PathBuf> = std::env::var_os("SPEC_KITTY_PYTHON_CLI").map(PathBuf::from);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--python" => python = it.next().map(PathBuf::from),
            "--runs" => {
                runs = it
                    .next()
                    .and_then(|r| r.parse().ok())
                    .filter(|r| *r > 0)
                    .context("--runs takes a positive number")?;
            }
            other => n = other.parse().context("N must be a number of events")?,
        }
    }
    let [ours, server] = <[PathBuf; 2]>::try_from(release_bins(&[
        ("spec-kitty-cli", "spec-kitty"),
        ("contract-server", "spec-kitty-contract-server"),
    ])?)
    .map_err(|_| anyhow::anyhow!("the build gave no binaries"))?;
    let tmp = tempfile::tempdir()?;
    let template = template(tmp.path(), n)?;
    if std::env::var_os("SPEC_KITTY_BENCH_KEEP").is_some() {
        // For profiling a run by hand: the queue template stays.
        println!("kept: {}", template.display());
        std::mem::forget(tmp);
        return Ok(());
    }
    let mut clis = vec![("spec-kitty-rs", ours)];
    match python {
        Some(py) if py.exists() => clis.push(("Python CLI", py)),
        _ => println!("(Python CLI not given: pass --python PATH or set SPEC_KITTY_PYTHON_CLI)"),
    }
    println!("upload of {n} queued events, whole `spec-kitty sync now` runs, median of {runs}");
    for (sink, name) in [
        (false, "reference receiver (validates every event)"),
        (true, "minimal sink (checks nothing)"),
    ] {
        println!("  {name}:");
        let mut times = Vec::new();
        for (label, bin) in &clis {
            let all = (0..runs)
                .map(|_| one_run(bin, &server, sink, tmp.path(), &template, n))
                .collect::<Result<Vec<_>>>()?;
            let (secs, rss, cpu) = median_cpu(all);
            println!(
                "    {label:<14} {secs:>6.2} s  {:>9.0} events/s  {} CPU  peak RSS {}",
                n as f64 / secs,
                cpu.map_or_else(|| "?".to_owned(), |c| format!("{c:.2} s")),
                mib(rss)
            );
            times.push((secs, cpu));
        }
        if let [(ours, our_cpu), (py, py_cpu)] = times[..] {
            println!("    ratio          {:.1}x the Python CLI's rate", py / ours);
            if let (Some(a), Some(b)) = (our_cpu, py_cpu) {
                println!("                   {:.1}x less client CPU", b / a);
            }
        }
    }
    Ok(())
}
