//! `tracker map add` and `tracker map list`.

use anyhow::Result;
use serde_json::json;
use spec_kitty_home::now_isoformat;
use tracker_store::{IssueCache, IssueRef};

use super::Context;
use crate::error::usage;
use crate::output::{json as to_json, out};

pub(crate) fn add(
    ctx: &Context,
    wp_id: &str,
    id: &str,
    key: Option<&str>,
    url: Option<&str>,
) -> Result<()> {
    let wp = routing_core::trim(wp_id);
    let id = routing_core::trim(id);
    if wp.is_empty() || id.is_empty() {
        return Err(usage("--wp-id and --external-id must not be blank"));
    }
    let b = ctx.require_binding()?;
    let clean = |v: Option<&str>| {
        v.map(routing_core::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let reference = IssueRef {
        system: b.provider.clone(),
        workspace: b.workspace.clone(),
        id: id.to_owned(),
        key: clean(key),
        url: clean(url),
    };
    let mut cache = IssueCache::open(&ctx.cache_path(&b))?;
    cache.upsert_mapping(wp, &reference, &now_isoformat())?;
    let shown = reference
        .key
        .as_deref()
        .map_or_else(|| id.to_owned(), |k| format!("{k} ({id})"));
    Ok(out(&format!(
        "Mapped {wp} to {} issue {}\n",
        b.provider,
        crate::output::safe(&shown)
    ))?)
}

pub(crate) fn list(ctx: &Context, as_json: bool) -> Result<()> {
    let b = ctx.require_binding()?;
    let path = ctx.cache_path(&b);
    let mappings = if path.exists() {
        IssueCache::open_read_only(&path)?.list_mappings()?
    } else {
        Vec::new()
    };
    if as_json {
        return Ok(out(&to_json(&json!({"mappings": mappings})))?);
    }
    if mappings.is_empty() {
        return Ok(out(
            "No mappings yet. Add one with: spec-kitty tracker map add --wp-id WP01 --external-id <id>\n",
        )?);
    }
    let rows: Vec<[String; 5]> =
        std::iter::once(["WP", "SYSTEM", "EXTERNAL ID", "KEY", "URL"].map(str::to_owned))
            .chain(mappings.iter().map(|m| {
                [
                    m.wp_id.clone(),
                    m.system.clone(),
                    m.external_id.clone(),
                    m.external_key.clone().unwrap_or_else(|| "-".into()),
                    m.external_url.clone().unwrap_or_else(|| "-".into()),
                ]
            }))
            .collect();
    // Cells are cut to a display width, so no stored value (whoever wrote it) can make a
    // column wider than the formatter allows or than a terminal shows.
    let rows: Vec<[String; 5]> = rows.into_iter().map(|r| r.map(|c| cell(&c))).collect();
    let widths: Vec<usize> = (0..5)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let text: String = rows
        .iter()
        .map(|r| {
            let line: Vec<String> = r
                .iter()
                .zip(&widths)
                .map(|(v, w)| format!("{v:<w$}"))
                .collect();
            format!("{}\n", line.join("  ").trim_end())
        })
        .collect();
    Ok(out(&text)?)
}

/// The longest cell `map list` shows.
const MAX_CELL: usize = 120;

/// A table cell: one safe line, cut to [`MAX_CELL`] characters.
fn cell(v: &str) -> String {
    let line = http_transport::one_line(v);
    if line.chars().count() <= MAX_CELL {
        return line;
    }
    let mut cut: String = line.chars().take(MAX_CELL - 1).collect();
    cut.push('…');
    cut
}
