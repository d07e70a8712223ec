//! `tracker sync pull`: Jira or Linear into the local cache.

use anyhow::Result;
use serde_json::json;
use tracker_connectors::{PullOptions, PullSummary, connector_for, connector_settings};
use tracker_store::{IssueCache, checkpoint_key};

use super::Context;
use crate::args::PullArgs;
use crate::output::{ProgressLine, json as to_json, out, safe, table};

pub(crate) fn pull(ctx: &Context, args: &PullArgs) -> Result<()> {
    let b = ctx.require_binding()?;
    let settings = crate::net::settings(&args.net, connector_settings());
    let mut connector = connector_for(&b.provider, &b.workspace, &b.credentials, &settings)?;
    let mut cache = IssueCache::open(&ctx.cache_path(&b))?;
    let key = checkpoint_key(&b.provider, &b.workspace);
    let scope = tracker_connectors::checkpoint_scope(&b.provider, &b.workspace, &b.credentials);
    let line = ProgressLine::new();
    let result = tracker_connectors::pull_in_scope(
        &mut cache,
        connector.as_mut(),
        &key,
        Some(&scope),
        &PullOptions {
            full: args.full,
            page_size: args.limit,
        },
        |p| {
            line.show(&format!(
                "pulling: {} page(s), {} issue(s)",
                p.pages, p.issues
            ))
        },
    );
    drop(line);
    let summary = result?;
    if args.json {
        return Ok(out(&to_json(&summary_json(
            &b.provider,
            &b.workspace,
            &summary,
        )))?);
    }
    let checkpoint = summary
        .checkpoint
        .updated_since
        .clone()
        .unwrap_or_else(|| "none".to_owned());
    let text = format!("Pulled {} workspace {}\n", b.provider, safe(&b.workspace))
        + &table(&[
            ("created", summary.counts.created.to_string()),
            ("updated", summary.counts.updated.to_string()),
            ("unchanged", summary.counts.unchanged.to_string()),
            ("pages", summary.pages.to_string()),
            ("checkpoint", checkpoint),
            (
                "mode",
                if summary.full {
                    "full".to_owned()
                } else if summary.rescoped {
                    "full (the binding's project, team or URL changed since the last pull)"
                        .to_owned()
                } else if summary.resumed {
                    "resumed an interrupted pull".to_owned()
                } else {
                    "incremental".to_owned()
                },
            ),
        ]);
    let text = if summary.trimmed_pages > 0 {
        text + &format!(
            "note: {} page(s) held values nested deeper than the parser reads (127 levels; a rich-text description?); those parts are cached as null\n",
            summary.trimmed_pages
        )
    } else {
        text
    };
    Ok(out(&text)?)
}

fn summary_json(provider: &str, workspace: &str, s: &PullSummary) -> serde_json::Value {
    json!({
        "provider": provider,
        "workspace": workspace,
        "created": s.counts.created,
        "updated": s.counts.updated,
        "unchanged": s.counts.unchanged,
        "pages": s.pages,
        "full": s.full,
        "resumed": s.resumed,
        "rescoped": s.rescoped,
        "trimmed_pages": s.trimmed_pages,
        "checkpoint": {"cursor": s.checkpoint.cursor, "updated_since": s.checkpoint.updated_since},
    })
}
