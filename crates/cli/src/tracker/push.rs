//! `tracker sync push`: each mapped issue to the status of its work package's lane.

use std::collections::BTreeMap;

use anyhow::Result;
use serde_json::{Value, json};
use spec_kitty_home::now_isoformat;
use tracker_connectors::{Outcome, PushRequest, Pusher, connector_settings, status_target};
use tracker_store::IssueCache;

use super::Context;
use crate::args::PushArgs;
use crate::error::{EXIT_FAILURE, EXIT_UNAVAILABLE};
use crate::output::{json as to_json, out, safe};

/// One line of the report.
struct Item {
    wp_id: String,
    feature: Option<String>,
    lane: Option<String>,
    issue: String,
    outcome: &'static str,
    detail: String,
    from: Option<String>,
    to: Option<String>,
}

/// The exit code a set of outcomes earns: 0 all changed or unchanged, 3 the service or
/// the network failed, 1 anything else needs the user.
fn exit_of(items: &[Item], transient: bool) -> u8 {
    if transient {
        EXIT_UNAVAILABLE
    } else if items
        .iter()
        .all(|i| matches!(i.outcome, "changed" | "unchanged"))
    {
        0
    } else {
        EXIT_FAILURE
    }
}

/// A work package's `(feature, lane)`, or the features it is in when it is in several.
type Placed = Result<(String, String), Vec<String>>;

/// Each work package's lane in the selected features.
fn lanes(root: &std::path::Path, features: &[String]) -> Result<BTreeMap<String, Placed>> {
    let mut out: BTreeMap<String, Placed> = BTreeMap::new();
    for f in lane_log::scan_features(root)? {
        if !features.is_empty()
            && !features
                .iter()
                .any(|w| *w == f.slug || w == f.feature_slug())
        {
            continue;
        }
        for (wp, lane) in f.current_lanes()? {
            match out.get_mut(&wp) {
                None => {
                    out.insert(wp, Ok((f.slug.clone(), lane)));
                }
                Some(Ok((other, _))) => {
                    let both = vec![other.clone(), f.slug.clone()];
                    out.insert(wp, Err(both));
                }
                Some(Err(list)) => list.push(f.slug.clone()),
            }
        }
    }
    Ok(out)
}

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
    let writable = b.config.may_write("status");
    let refusal = format!(
        "the doctrine ({}, status owned {}) does not let spec-kitty write the status; allow it with `spec-kitty tracker bind --provider {} --workspace {} --doctrine-mode split_ownership --field-owner status=local`",
        b.config.doctrine_mode,
        b.config.field_owner("status"),
        b.provider,
        b.workspace
    );
    let mut items = Vec::new();
    let mut transient = false;
    let mappings = cache.list_mappings()?;
    for m in mappings
        .iter()
        .filter(|m| m.system == b.provider && m.workspace == b.workspace)
        .filter(|m| args.wps.is_empty() || args.wps.contains(&m.wp_id))
    {
        let issue = m
            .external_key
            .clone()
            .unwrap_or_else(|| m.external_id.clone());
        let mut item = Item {
            wp_id: m.wp_id.clone(),
            feature: None,
            lane: None,
            issue,
            outcome: "refused",
            detail: String::new(),
            from: None,
            to: None,
        };
        match lanes.get(&m.wp_id) {
            None => {
                if !args.features.is_empty() {
                    continue; // another feature's work package
                }
                item.detail = "no lane: the work package is in no lane log or WP file".into();
            }
            Some(Err(features)) => {
                item.detail = format!(
                    "the work package is in several features ({}); pass --feature",
                    features.join(", ")
                );
            }
            Some(Ok((feature, lane))) => {
                item.feature = Some(feature.clone());
                item.lane = Some(lane.clone());
                if !writable {
                    item.detail.clone_from(&refusal);
                } else if transient {
                    item.outcome = "failed";
                    item.detail = "not tried: the service failed".into();
                } else if let Some(target) = status_target(&b.provider, lane, &b.config.status_map)
                {
                    let cached = cache.find_issue(&m.system, &m.external_id)?;
                    let identity = cached.as_ref().map(|c| c.identity.clone());
                    let req = PushRequest {
                        wp_id: m.wp_id.clone(),
                        lane: lane.clone(),
                        issue_id: m.external_id.clone(),
                        issue_key: m.external_key.clone(),
                        cached_status: cached
                            .as_ref()
                            .and_then(|c| c.payload["status"].as_str().map(str::to_owned)),
                        cached_updated: cached
                            .as_ref()
                            .and_then(|c| c.payload["updated_at"].as_str().map(str::to_owned)),
                    };
                    match pusher.push(&req, &target, args.force, args.dry_run) {
                        Ok((outcome, new)) => {
                            item.outcome = outcome.word();
                            match outcome {
                                Outcome::Changed { from, to } => {
                                    item.from = Some(from);
                                    item.to = Some(to);
                                }
                                Outcome::Unchanged { status } => item.to = Some(status),
                                Outcome::Conflict { cached, remote } => {
                                    item.detail = format!(
                                        "changed remotely since the last pull: cached {cached}, remote {remote}; pull, or pass --force"
                                    );
                                }
                                Outcome::NoTransition {
                                    current,
                                    target,
                                    available,
                                } => {
                                    item.from = Some(current);
                                    item.detail = format!(
                                        "no transition reaches {target}; the workflow offers: {}",
                                        available.join(", ")
                                    );
                                }
                                Outcome::NotFound => {
                                    item.detail = "the issue does not exist remotely (deleted?); its mapping is kept, nothing was created".into();
                                }
                                _ => {}
                            }
                            if let (Some(new), Some(identity)) = (new, &identity) {
                                cache.set_issue_status(
                                    identity,
                                    &new.status,
                                    &new.updated,
                                    &now_isoformat(),
                                )?;
                            }
                        }
                        Err(e) => {
                            item.outcome = "failed";
                            transient |= e.is_transient();
                            item.detail = crate::output::safe(&e.to_string());
                        }
                    }
                } else {
                    item.detail = format!("no status for lane {lane}");
                }
            }
        }
        items.push(item);
    }
    let mut summary: BTreeMap<&str, u64> = [
        "changed",
        "unchanged",
        "conflict",
        "no_transition",
        "not_found",
        "refused",
        "failed",
    ]
    .into_iter()
    .map(|w| (w, 0))
    .collect();
    for i in &items {
        *summary.entry(i.outcome).or_default() += 1;
    }
    if args.json {
        out(&to_json(&json!({
            "provider": b.provider, "workspace": b.workspace, "dry_run": args.dry_run,
            "items": items.iter().map(|i| json!({
                "wp_id": i.wp_id, "feature": i.feature, "lane": i.lane, "issue": i.issue,
                "outcome": i.outcome, "from": i.from, "to": i.to,
                "detail": if i.detail.is_empty() { Value::Null } else { json!(i.detail) },
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
        for i in &items {
            let status = match (&i.from, &i.to) {
                (Some(f), Some(t)) => format!("{f} -> {t}"),
                (None, Some(t)) => t.clone(),
                (Some(f), None) => f.clone(),
                (None, None) => String::new(),
            };
            text += &format!(
                "  {}  {}  {}  {}  {}{}\n",
                i.wp_id,
                safe(&i.issue),
                i.lane.as_deref().unwrap_or("-"),
                safe(&status),
                i.outcome,
                if i.detail.is_empty() {
                    String::new()
                } else {
                    format!(": {}", i.detail)
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
    match exit_of(&items, transient) {
        0 => Ok(()),
        code => {
            let needs: Vec<String> = summary
                .iter()
                .filter(|(k, v)| **v > 0 && !matches!(**k, "changed" | "unchanged"))
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            Err(crate::error::Exit {
                code,
                message: format!(
                    "{} of {} work package(s) not pushed ({}); see the lines above",
                    items
                        .iter()
                        .filter(|i| !matches!(i.outcome, "changed" | "unchanged"))
                        .count(),
                    items.len(),
                    needs.join(", ")
                ),
            }
            .into())
        }
    }
}
