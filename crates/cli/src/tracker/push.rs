//! `tracker sync push`: gathers the lanes, calls `tracker_connectors::push_mapped`, prints
//! the plan or the result, and says what fixes what needs the user.

use std::collections::BTreeMap;

use anyhow::Result;
use serde_json::{Value, json};
use tracker_connectors::{
    ItemResult, Outcome, Placement, PushItem, PushOptions, Pusher, Refusal, connector_settings,
    push_mapped,
};
use tracker_store::IssueCache;

use super::Context;
use crate::args::PushArgs;
use crate::error::{EXIT_FAILURE, EXIT_UNAVAILABLE};
use crate::output::{json as to_json, out, safe};

/// Each work package's lane in the selected features (a WP id in several is ambiguous).
fn lanes(root: &std::path::Path, features: &[String]) -> Result<BTreeMap<String, Placement>> {
    let mut out: BTreeMap<String, Placement> = BTreeMap::new();
    for f in lane_log::scan_features(root)? {
        if !features.is_empty()
            && !features
                .iter()
                .any(|w| *w == f.slug || w == f.feature_slug())
        {
            continue;
        }
        for (wp, lane) in f.current_lanes()? {
            let next = match out.remove(&wp) {
                None => Placement::In {
                    feature: f.slug.clone(),
                    lane,
                },
                Some(Placement::In { feature, .. }) => {
                    Placement::Several(vec![feature, f.slug.clone()])
                }
                Some(Placement::Several(mut list)) => {
                    list.push(f.slug.clone());
                    Placement::Several(list)
                }
            };
            out.insert(wp, next);
        }
    }
    Ok(out)
}

/// An item's status before and after, and what needs saying.
type Described = (Option<String>, Option<String>, String);

/// `(from, to, detail)` of an item, in words that say what to do.
fn describe(item: &PushItem, provider: &str, workspace: &str) -> Described {
    match &item.result {
        ItemResult::Pushed(Outcome::Changed { from, to }) => (Some(from.clone()), Some(to.clone()), String::new()),
        ItemResult::Pushed(Outcome::Unchanged { status }) => (None, Some(status.clone()), String::new()),
        ItemResult::Pushed(Outcome::Conflict { cached, remote }) => (
            None,
            None,
            format!("changed remotely since the last pull: cached {cached}, remote {remote}; run `spec-kitty tracker sync pull`, or pass --force"),
        ),
        ItemResult::Pushed(Outcome::NoTransition { current, target, available }) => (
            Some(current.clone()),
            None,
            format!("no transition reaches {target}; the workflow offers: {}", available.join(", ")),
        ),
        ItemResult::Pushed(Outcome::NotFound) => (
            None,
            None,
            "the issue does not exist remotely (deleted?); its mapping is kept, nothing was created".into(),
        ),
        ItemResult::Pushed(_) => (None, None, String::new()),
        ItemResult::Refused(Refusal::Doctrine { mode, owner }) => (
            None,
            None,
            format!("the doctrine ({mode}, status owned {owner}) does not let spec-kitty write the status; allow it with `spec-kitty tracker bind --provider {provider} --workspace {workspace} --doctrine-mode split_ownership --field-owner status=local`"),
        ),
        ItemResult::Refused(Refusal::SeveralFeatures(features)) => (
            None,
            None,
            format!("the work package is in several features ({}); pass --feature", features.join(", ")),
        ),
        ItemResult::Refused(Refusal::NoLane) => (
            None,
            None,
            "no lane: the work package is in no lane log or WP file".into(),
        ),
        ItemResult::Refused(Refusal::NoStatus(lane)) => (None, None, format!("no status for lane {lane}")),
        ItemResult::Refused(_) => (None, None, String::new()),
        ItemResult::Failed { error, .. } => (None, None, safe(error)),
    }
}

const WORDS: [&str; 7] = [
    "changed",
    "unchanged",
    "conflict",
    "no_transition",
    "not_found",
    "refused",
    "failed",
];

pub(crate) fn push(ctx: &Context, args: &PushArgs) -> Result<()> {
    let b = ctx.require_binding()?;
    let settings = crate::net::settings(&args.net, connector_settings());
    let Some(pusher) = Pusher::for_binding(&b.provider, &b.workspace, &b.credentials, &settings)?
    else {
        anyhow::bail!(
            "tracker push supports jira and linear; {} has no push",
            b.provider
        );
    };
    let path = ctx.cache_path(&b);
    let mut cache = if args.dry_run {
        IssueCache::open_read_only(&path)?
    } else {
        IssueCache::open(&path)?
    };
    let lanes = lanes(&b.root, &args.features)?;
    let items = push_mapped(
        &pusher,
        &mut cache,
        (&b.provider, &b.workspace),
        &b.config,
        &lanes,
        &PushOptions {
            wps: &args.wps,
            placed_only: !args.features.is_empty(),
            force: args.force,
            dry_run: args.dry_run,
        },
    )?;
    let mut summary: BTreeMap<&str, u64> = WORDS.into_iter().map(|w| (w, 0)).collect();
    for i in &items {
        *summary.entry(i.result.word()).or_default() += 1;
    }
    let rows: Vec<(&PushItem, Described)> = items
        .iter()
        .map(|i| (i, describe(i, &b.provider, &b.workspace)))
        .collect();
    if args.json {
        out(&to_json(&json!({
            "provider": b.provider, "workspace": b.workspace, "dry_run": args.dry_run,
            "items": rows.iter().map(|(i, (from, to, detail))| json!({
                "wp_id": i.wp_id, "feature": i.placement.as_ref().map(|p| &p.0),
                "lane": i.placement.as_ref().map(|p| &p.1), "issue": i.issue,
                "outcome": i.result.word(), "from": from, "to": to,
                "detail": if detail.is_empty() { Value::Null } else { json!(detail) },
            })).collect::<Vec<_>>(),
            "summary": summary,
        })))?;
    } else {
        let mut text = format!(
            "{} {} {}\n",
            if args.dry_run {
                "Push plan (nothing is sent) for"
            } else {
                "Pushed lanes to"
            },
            b.provider,
            safe(&b.workspace)
        );
        for (i, (from, to, detail)) in &rows {
            let status = match (from, to) {
                (Some(f), Some(t)) => format!("{f} -> {t}"),
                (Some(s), None) | (None, Some(s)) => s.clone(),
                (None, None) => String::new(),
            };
            text += &format!(
                "  {}  {}  {}  {}  {}{}\n",
                i.wp_id,
                safe(&i.issue),
                i.placement.as_ref().map_or("-", |p| p.1.as_str()),
                safe(&status),
                i.result.word(),
                if detail.is_empty() {
                    String::new()
                } else {
                    format!(": {detail}")
                }
            );
        }
        text += &format!(
            "  {}\n",
            summary
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        out(&text)?;
    }
    let needs = items
        .iter()
        .filter(|i| !matches!(i.result.word(), "changed" | "unchanged"))
        .count();
    if needs == 0 {
        return Ok(());
    }
    let transient = items.iter().any(|i| {
        matches!(
            i.result,
            ItemResult::Failed {
                transient: true,
                ..
            }
        )
    });
    Err(crate::error::Exit {
        code: if transient {
            EXIT_UNAVAILABLE
        } else {
            EXIT_FAILURE
        },
        message: format!(
            "{needs} of {} work package(s) not pushed ({}); see the lines above",
            items.len(),
            summary
                .iter()
                .filter(|(k, v)| **v > 0 && !matches!(**k, "changed" | "unchanged"))
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
    .into())
}
