//! `tracker sync publish`, and its `--dry-run` that prints the very request publish sends.

use std::time::Duration;

use anyhow::{Context as _, Result, anyhow};
use routing_core::routing_rule;
use serde_json::{Value, json};
use tracker_client::{
    DryRun, PublishError, PublishOptions, PublishOutcome, ResponseBody, SnapshotSource,
    resolve_token,
};
use tracker_store::{IssueCache, ProjectConfig};

use super::Context;
use crate::args::PublishArgs;
use crate::error::usage;
use crate::output::{diag, json as to_json, out, redact_url, table};

fn routing_pair(o: Option<&routing_core::Routing>) -> Value {
    let (t, i) = routing_core::wire_fields(o);
    json!({"external_resource_type": t, "external_resource_id": i})
}

fn outcome_json(o: &PublishOutcome) -> Value {
    json!({
        "endpoint": redact_url(&o.endpoint),
        "status_code": o.status,
        "ok": o.ok,
        "body": match &o.body { ResponseBody::Json(v) => v.clone(), ResponseBody::Text(t) => json!(t) },
        "body_incomplete": o.body_incomplete,
        "idempotency_key": o.idempotency_key,
        "attempts": o.attempts,
        "routing": routing_pair(o.routing.as_ref()),
        "issues": o.issues,
        "content_length": o.content_length,
    })
}

fn outcome_text(o: &PublishOutcome, title: &str) -> String {
    let routing = o.routing.as_ref().map_or_else(
        || "null (no routing fields)".to_owned(),
        |r| format!("{} {}", r.resource_type(), r.resource_id()),
    );
    format!("{title} {}\n", redact_url(&o.endpoint))
        + &table(&[
            ("status", o.status.to_string()),
            ("issues", o.issues.to_string()),
            ("routing", routing),
            ("idempotency key", o.idempotency_key.clone()),
            ("attempts", o.attempts.to_string()),
        ])
}

pub(crate) fn publish(ctx: &Context, args: &PublishArgs) -> Result<()> {
    let server_url = args.server_url.clone().ok_or_else(|| {
        usage("missing --server-url (or SAAS_API_URL): pass the spec-kitty SaaS base URL")
    })?;
    let b = ctx.require_binding()?;
    let identity = ProjectConfig::at_root(&b.root).identity();
    let source = SnapshotSource::new(&b.config, identity, &b.credentials).ok_or_else(|| {
        anyhow!("the tracker binding is incomplete; run `spec-kitty tracker bind` again")
    })?;
    let mut opts = PublishOptions::new(server_url);
    opts.token =
        resolve_token(args.auth_token.as_deref(), &b.provider, &b.credentials).map(|(t, _)| t);
    opts.timeout = Duration::from_secs(args.timeout_seconds);
    opts.attempts = args.attempts;
    opts.allow_insecure_http = args.allow_insecure_http;
    // Refuse a bad target before anything else is said or read.
    tracker_client::check_target(
        &opts.server_url,
        opts.token.is_some(),
        opts.allow_insecure_http,
    )?;
    if let Some(rule) = routing_rule(&b.provider)
        && source.routing.is_none()
    {
        diag(
            "warning",
            &format!(
                "{} binding has no usable {} credential; publishing with null routing (add --credential {}=... with `spec-kitty tracker bind`)",
                b.provider, rule.credential_key, rule.credential_key
            ),
        );
    }
    let cache = IssueCache::open_read_only(&b.cache_path(&ctx.home))?;
    if args.dry_run {
        let plan = tracker_client::dry_run(&cache, &source, &opts)?;
        return print_dry_run(&plan, args.json);
    }
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    if terminal {
        opts.progress = Box::new(|n| {
            if n > 0 && n % 2048 == 0 {
                eprint!("\rpreparing snapshot: {n} issues");
            }
        });
    }
    let result = tracker_client::publish(&cache, &source, &opts);
    if terminal {
        eprint!("\r\x1b[K");
    }
    match result {
        Ok(o) => {
            if args.json {
                out(&to_json(&outcome_json(&o)))?;
            } else {
                out(&outcome_text(&o, "Published snapshot to"))?;
            }
            Ok(())
        }
        Err(PublishError::Rejected(o)) => {
            if args.json {
                out(&to_json(&outcome_json(&o)))?;
            }
            Err(anyhow!(PublishError::Rejected(o)))
        }
        Err(e) => Err(e.into()),
    }
}

fn print_dry_run(dry: &DryRun, as_json: bool) -> Result<()> {
    if as_json {
        let headers: serde_json::Map<String, Value> = dry
            .plan
            .headers()
            .iter()
            .map(|h| (h.name().to_owned(), json!(h.shown())))
            .collect();
        let body: Value =
            serde_json::from_slice(&dry.body).context("the snapshot body is not JSON")?;
        return Ok(out(&to_json(&json!({
            "dry_run": true,
            "method": dry.plan.method().as_str(),
            "endpoint": dry.plan.shown_url(),
            "headers": headers,
            "body": body,
        })))?);
    }
    let mut text = dry.plan.render_head();
    text.push('\n');
    text += &String::from_utf8_lossy(&dry.body);
    text.push('\n');
    Ok(out(&text)?)
}
