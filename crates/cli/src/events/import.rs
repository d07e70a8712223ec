//! `sync import-history`: the project's lane history into the queue, exactly once.

use anyhow::Result;
use event_store::{
    ImportOptions, ImportReport, LamportClock, QueueFiles, import_history as run_import,
    max_queue_size, resolve_context,
};
use serde_json::{Value, json};
use spec_kitty_home::find_project_root;

use super::EventContext;
use crate::args::ImportHistoryArgs;
use crate::output::{diag, json as to_json, out, safe};

fn report_json(
    root: &std::path::Path,
    r: &ImportReport,
    dry_run: bool,
    with_envelopes: bool,
) -> Value {
    let mut queued = serde_json::Map::new();
    for ((feature, kind), n) in &r.queued {
        let entry = queued.entry(feature.clone()).or_insert_with(|| json!({}));
        entry[kind] = json!(n);
    }
    let mut v = json!({
        "project": root.display().to_string(),
        "dry_run": dry_run,
        "queued": queued,
        "total": r.total(),
        "already_queued": r.already_queued,
        "before_since": r.before_since,
        "bad_lines": r.bad_lines.iter().map(|(p, b)| json!({
            "path": p.display().to_string(), "line": b.line, "message": b.message})).collect::<Vec<_>>(),
        "refused": r.refused.iter().map(|x| json!({
            "path": x.path.display().to_string(), "line": x.line, "reason": x.reason})).collect::<Vec<_>>(),
        "notes": r.notes,
    });
    if with_envelopes {
        v["envelopes"] = serde_json::to_value(&r.envelopes).unwrap_or(Value::Null);
    }
    v
}

fn report_text(root: &std::path::Path, r: &ImportReport, dry_run: bool) -> String {
    let mut text = format!(
        "{} history of {}\n",
        if dry_run {
            "Would import the"
        } else {
            "Imported the"
        },
        root.display()
    );
    let mut features: Vec<&String> = r.queued.keys().map(|(f, _)| f).collect();
    features.dedup();
    for f in features {
        let parts: Vec<String> = r
            .queued
            .iter()
            .filter(|((g, _), _)| g == f)
            .map(|((_, kind), n)| format!("{kind} {n}"))
            .collect();
        text += &format!("  {}  {}\n", safe(f), parts.join(", "));
    }
    text += &format!(
        "  {} {}, already queued {}, before --since {}\n",
        if dry_run { "would queue" } else { "queued" },
        r.total(),
        r.already_queued,
        r.before_since
    );
    text
}

pub(crate) fn import_history(ctx: &EventContext, args: &ImportHistoryArgs) -> Result<()> {
    let root = find_project_root(&ctx.cwd)?;
    let resolved = resolve_context(&root, &ctx.home, &super::emit::context_sources())?;
    let files = QueueFiles::resolve(&ctx.home)?;
    // A dry run writes nothing: the queue is read only, or absent.
    let mut queue = if !args.dry_run {
        Some(event_store::EventQueue::open(
            files.active(),
            max_queue_size(&ctx.home)?,
        )?)
    } else if files.active().is_file() {
        Some(event_store::EventQueue::open_read_only(files.active())?)
    } else {
        None
    };
    let clock = LamportClock::new(&ctx.home);
    let opts = ImportOptions {
        features: args.features.clone(),
        since: args.since,
        dry_run: args.dry_run,
        keep_envelopes: args.dry_run && args.json,
    };
    let (report, error) = match run_import(&root, &resolved.emitter, queue.as_mut(), &clock, &opts)
    {
        Ok(r) => (r, None),
        Err(stopped) => {
            let stopped = *stopped;
            (stopped.report, Some(stopped.error))
        }
    };
    if args.json {
        out(&to_json(&report_json(
            &root,
            &report,
            args.dry_run,
            opts.keep_envelopes,
        )))?;
    } else {
        out(&report_text(&root, &report, args.dry_run))?;
        for note in &report.notes {
            diag("note", note);
        }
        for (path, bad) in &report.bad_lines {
            diag(
                "warning",
                &format!(
                    "{}:{}: {}; line skipped",
                    path.display(),
                    bad.line,
                    bad.message
                ),
            );
        }
        for x in &report.refused {
            let at = x.line.map(|l| format!(":{l}")).unwrap_or_default();
            diag(
                "warning",
                &format!(
                    "{}{at}: not queued, it breaks the event rules: {}",
                    x.path.display(),
                    x.reason
                ),
            );
        }
    }
    if let Some(e) = error {
        return Err(anyhow::Error::new(e).context(format!(
            "the import stopped after queuing {} event(s); run it again to queue the rest",
            report.total()
        )));
    }
    let skipped = report.bad_lines.len() + report.refused.len();
    if skipped > 0 {
        anyhow::bail!(
            "{skipped} line(s) or event(s) were not imported (listed above); fix them and run the import again, nothing is queued twice"
        );
    }
    Ok(())
}
