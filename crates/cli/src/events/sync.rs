//! `sync now`, `sync status`, `sync failed ...`.

use anyhow::{Result, anyhow};
use event_client::{SyncReport, UploadOptions, sync_now};
use event_store::{EventQueue, QueueFiles};
use http_transport::{one_line, redact_url};
use saas_session::{LoginState, TokenSource};
use serde_json::{Value, json};

use super::EventContext;
use crate::args::{FailedCmd, FailedSelect, SyncNowArgs, SyncStatusArgs};
use crate::error::usage;
use crate::output::{ProgressLine, json as to_json, out, safe, table};

/// How the login stands, in words (never a token).
fn describe_login(state: LoginState) -> String {
    match state {
        LoginState::Given(TokenSource::Given) => "from --auth-token or SAAS_AUTH_TOKEN".into(),
        LoginState::Given(_) => "from the binding's credentials".into(),
        LoginState::Valid => "the stored login (valid)".into(),
        LoginState::NeedsRefresh => "the stored login (access expired; will refresh)".into(),
        LoginState::Expired => {
            "the stored login (expired; log in again: spec-kitty auth login)"
                .into()
        }
        LoginState::Unusable => {
            "the stored login (unusable: its access token has a space or a control character; log in again)"
                .into()
        }
        LoginState::None => "none (pass --auth-token, set SAAS_AUTH_TOKEN, or log in)".into(),
    }
}

fn report_json(r: &SyncReport) -> Value {
    json!({
        "sent": r.sent, "duplicate": r.duplicate, "rejected": r.rejected, "left": r.left,
        "requests": r.requests,
        "queues": r.queues.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "skipped": r.skipped.iter().map(|(p, why)| json!({"path": p.display().to_string(), "error": why})).collect::<Vec<_>>(),
    })
}

fn report_text(r: &SyncReport) -> String {
    table(&[
        ("sent", r.sent.to_string()),
        ("duplicate", r.duplicate.to_string()),
        ("rejected", r.rejected.to_string()),
        ("left", r.left.to_string()),
    ])
}

pub(crate) fn now(ctx: &EventContext, args: &SyncNowArgs) -> Result<()> {
    let session = crate::net::session(&ctx.home, &args.saas, None)?;
    let Some(server_url) = session.server_url().map(str::to_owned) else {
        return Err(usage(
            "no server: pass --server-url, set SAAS_API_URL, or log in with `spec-kitty auth login`",
        ));
    };
    let files = QueueFiles::resolve(&ctx.home)?;
    let mut opts = UploadOptions::new(server_url, session.auth().clone());
    opts.settings = crate::net::settings(&args.net, opts.settings);
    opts.batch_bytes = usize::try_from(args.batch_bytes).unwrap_or(usize::MAX);
    let line = ProgressLine::new();
    let result = sync_now(&files.to_drain(), &opts, |p| {
        line.show(&format!("uploading: {}/{} events", p.done, p.total));
    });
    drop(line);
    let (report, error) = match result {
        Ok(r) => (r, None),
        Err(stopped) => (stopped.report, Some(stopped.error)),
    };
    if args.json {
        let mut v = report_json(&report);
        v["ok"] = json!(error.is_none() && report.rejected == 0 && report.left == 0);
        out(&to_json(&v))?;
    } else {
        let head = if report.queues.is_empty() && !report.skipped.is_empty() {
            format!(
                "Nothing uploaded to {}: no queue could be opened\n",
                safe(&redact_url(&opts.server_url))
            )
        } else {
            format!(
                "Uploaded events to {}\n",
                safe(&redact_url(&opts.server_url))
            )
        };
        let mut text = head + &report_text(&report);
        for (path, why) in &report.skipped {
            text += &format!(
                "  not uploaded: {}: {}\n",
                safe(&path.display().to_string()),
                safe(why)
            );
        }
        out(&text)?;
    }
    if let Some(e) = error {
        return Err(anyhow::Error::new(e));
    }
    if report.rejected > 0 {
        return Err(anyhow!(
            "{} event(s) were rejected and moved aside; see `spec-kitty sync failed list`",
            report.rejected
        ));
    }
    Ok(())
}

fn age(ts: Option<i64>) -> Value {
    ts.map_or(Value::Null, |t| {
        json!(jiff::Timestamp::now().as_second().saturating_sub(t))
    })
}

pub(crate) fn status(ctx: &EventContext, args: &SyncStatusArgs) -> Result<()> {
    let as_json = args.json;
    let files = QueueFiles::resolve(&ctx.home)?;
    let mut queues = Vec::new();
    let mut failed = Vec::new();
    let mut broken = Vec::new();
    // Read-only, and each queue on its own: a broken one is shown, the others still are.
    for path in files.to_drain() {
        let read = EventQueue::open_read_only(&path)
            .and_then(|q| Ok((q.pending()?, q.oldest()?, q.failed()?)));
        match read {
            Ok((pending, oldest, failures)) => {
                queues.push(
                    json!({"path": path.display().to_string(), "pending": pending,
                                   "oldest_pending_age_seconds": age(oldest)}),
                );
                for f in failures {
                    failed.push(json!({"event_id": f.event_id, "event_type": f.event_type,
                                       "failed_at": f.failed_at, "category": f.category, "reason": f.reason}));
                }
            }
            Err(e) => {
                let why = one_line(&e.to_string());
                queues.push(json!({"path": path.display().to_string(), "pending": null,
                                   "oldest_pending_age_seconds": null, "error": why}));
                broken.push((path.display().to_string(), why));
            }
        }
    }
    // Other logins' queues are never sent by this one; shown so they are not forgotten.
    let others: Vec<(String, Result<u64, String>)> = files
        .others()
        .into_iter()
        .map(|p| {
            let n = EventQueue::open_read_only(&p)
                .and_then(|q| q.pending())
                .map_err(|e| one_line(&e.to_string()));
            (p.display().to_string(), n)
        })
        .collect();
    let session = crate::net::session(&ctx.home, &args.saas, None)?;
    let server = session.server_url().map(str::to_owned);
    let token = describe_login(session.auth().state()?);
    let pending: u64 = queues.iter().filter_map(|q| q["pending"].as_u64()).sum();
    if as_json {
        let other_queues: Vec<Value> = others
            .iter()
            .map(|(path, n)| match n {
                Ok(n) => json!({"path": path, "pending": n}),
                Err(e) => json!({"path": path, "pending": null, "error": e}),
            })
            .collect();
        out(&to_json(&json!({
            "active_queue": files.active().display().to_string(),
            "queues": queues, "pending": pending, "failed": failed,
            "other_queues": other_queues,
            "server": server.as_deref().map(redact_url), "token": token,
        })))?;
        return broken_queues(&broken);
    }
    let oldest = queues
        .iter()
        .filter_map(|q| q["oldest_pending_age_seconds"].as_i64())
        .max()
        .map_or_else(|| "-".to_owned(), |s| format!("{s} s ago"));
    let mut text = "Event queue\n".to_owned()
        + &table(&[
            ("queue", files.active().display().to_string()),
            ("pending", pending.to_string()),
            ("oldest pending", oldest),
            ("failed", failed.len().to_string()),
            (
                "server",
                server.as_deref().map_or_else(
                    || "none (pass --server-url or set SAAS_API_URL)".into(),
                    redact_url,
                ),
            ),
            ("token", token),
        ]);
    for (path, n) in &others {
        match n {
            Ok(0) => {}
            Ok(n) => {
                text += &format!(
                    "  another login's queue (not sent by this login): {}: {n} pending\n",
                    safe(path)
                );
            }
            Err(e) => text += &format!("  another login's queue is unreadable: {}\n", safe(e)),
        }
    }
    for f in &failed {
        let field = |k: &str| safe(f[k].as_str().unwrap_or(""));
        text += &format!(
            "  failed {} {}: {} ({})\n",
            field("event_id"),
            field("event_type"),
            field("reason"),
            field("category")
        );
    }
    for (path, why) in &broken {
        text += &format!("  unreadable queue {}: {}\n", safe(path), safe(why));
    }
    out(&text)?;
    broken_queues(&broken)
}

/// Exit 1 naming the queue files that could not be read (after the report was printed).
fn broken_queues(broken: &[(String, String)]) -> Result<()> {
    match broken {
        [] => Ok(()),
        [(path, why), ..] => Err(crate::error::Exit {
            code: crate::error::EXIT_FAILURE,
            message: format!(
                "{} queue file(s) cannot be read ({}: {}); move the file aside (its events stay in it) and emit again",
                broken.len(),
                safe(path),
                safe(why)
            ),
        }
        .into()),
    }
}

pub(crate) fn failed(ctx: &EventContext, cmd: &FailedCmd) -> Result<()> {
    let files = QueueFiles::resolve(&ctx.home)?;
    match cmd {
        FailedCmd::List { json: as_json } => {
            let mut all = Vec::new();
            for path in files.to_drain() {
                for f in EventQueue::open_read_only(&path)?.failed()? {
                    all.push(json!({"event_id": f.event_id, "event_type": f.event_type,
                        "queued_at": f.queued_at, "failed_at": f.failed_at,
                        "category": f.category, "reason": f.reason}));
                }
            }
            if *as_json {
                return Ok(out(&to_json(&json!({"failed": all})))?);
            }
            if all.is_empty() {
                return Ok(out("No failed events.\n")?);
            }
            let text: String = all
                .iter()
                .map(|f| {
                    let field = |k: &str| safe(f[k].as_str().unwrap_or(""));
                    format!(
                        "{}  {}  {}  {}\n",
                        field("event_id"),
                        field("event_type"),
                        field("category"),
                        field("reason")
                    )
                })
                .collect();
            Ok(out(&text)?)
        }
        FailedCmd::Requeue(sel) => move_failed(&ctx.home, &files, sel, true),
        FailedCmd::Drop(sel) => move_failed(&ctx.home, &files, sel, false),
    }
}

fn move_failed(
    home: &spec_kitty_home::SpecKittyHome,
    files: &QueueFiles,
    sel: &FailedSelect,
    back: bool,
) -> Result<()> {
    let ids = (!sel.all).then_some(sel.ids.as_slice());
    let mut n = 0;
    let max = event_store::max_queue_size(home)?;
    for path in files.to_drain() {
        let mut q = EventQueue::open(&path, max)?;
        n += if back {
            q.requeue(ids)?
        } else {
            q.drop_failed(ids)?
        };
    }
    let verb = if back { "Requeued" } else { "Dropped" };
    if n == 0 && !sel.all {
        return Err(anyhow!(
            "no failed event has those ids; see `spec-kitty sync failed list`"
        ));
    }
    Ok(out(&format!("{verb} {n} failed event(s)\n"))?)
}
