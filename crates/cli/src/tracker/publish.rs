//! `tracker sync publish`, and its `--dry-run` that prints the very request publish sends.

use anyhow::{Context as _, Result, anyhow};
use serde_json::{Value, json};
use spec_kitty_home::ProjectConfig;
use tracker_client::{
    DryRun, PublishError, PublishOptions, PublishOutcome, ResponseBody, SnapshotSource,
};
use tracker_store::IssueCache;

use super::Context;
use crate::args::PublishArgs;
use crate::error::usage;
use crate::output::{ProgressLine, diag, json as to_json, out, redact_url, table};

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
    let b = ctx.require_binding()?;
    // A hand-written provider the snapshot contract refuses (`^[a-z0-9_-]+$`) is refused
    // here, before anything is read or sent.
    if !routing_core::is_valid_provider_name(&b.provider) {
        anyhow::bail!(
            "the binding's provider {:?} is not a provider name the snapshot contract accepts (lowercase letters, digits, '_' or '-'); run `spec-kitty tracker bind` again",
            b.provider
        );
    }
    let session = crate::net::session(&ctx.home, &args.saas, Some(&b))?;
    let server_url = session.server_url().map(str::to_owned).ok_or_else(|| {
        usage("missing --server-url (or SAAS_API_URL): pass the spec-kitty SaaS base URL")
    })?;
    let identity = ProjectConfig::at_root(&b.root).identity();
    let source = SnapshotSource::new(&b.config, identity, &b.credentials).ok_or_else(|| {
        anyhow!("the tracker binding is incomplete; run `spec-kitty tracker bind` again")
    })?;
    let mut opts = PublishOptions::new(server_url);
    opts.settings = crate::net::settings(&args.net, opts.settings);
    // Refuse a bad target before anything else is said, read or refreshed.
    tracker_client::check_target(
        &opts.server_url,
        session.has_token(),
        opts.settings.allow_insecure_http,
    )?;
    // A dry run prints the header redacted and must send nothing, not even a refresh.
    if args.dry_run {
        opts.token = session
            .has_token()
            .then(|| saas_session::Secret::new("dry-run"));
    }
    if let routing_core::Readiness::Unavailable(why) =
        routing_core::routing_readiness(&b.provider, &b.credentials)
        && let Some(key) = why.credential_key()
    {
        // The reason (missing, blank, not text) is `tracker status`'s to show.
        diag(
            "warning",
            &format!(
                "{} binding has no usable {key} credential; publishing with null routing ({})",
                b.provider,
                super::routing_fix(key)
            ),
        );
    }
    let cache = IssueCache::open_read_only(&ctx.cache_path(&b))?;
    if args.dry_run {
        let plan = tracker_client::dry_run(&cache, &source, &opts)?;
        return print_dry_run(&plan, args.json);
    }
    let line = std::sync::Arc::new(ProgressLine::new());
    let shown = std::sync::Arc::clone(&line);
    opts.progress = Box::new(move |n| {
        if n > 0 && n % 2048 == 0 {
            shown.show(&format!("preparing snapshot: {n} issues"));
        }
    });
    // The session's token; a stored login refused with a 401 is refreshed and the same
    // snapshot (same idempotency key) sent once more.
    let transport = opts.settings.transport();
    let result = session.auth().with_token(
        &transport,
        |token| {
            opts.token = token.cloned();
            tracker_client::publish(&cache, &source, &opts).map_err(anyhow::Error::from)
        },
        |e| matches!(e.downcast_ref::<PublishError>(), Some(PublishError::Rejected(o)) if o.status == 401),
    );
    drop(opts);
    drop(line);
    match result {
        Ok(o) => {
            if args.json {
                out(&to_json(&outcome_json(&o)))?;
            } else {
                out(&outcome_text(&o, "Published snapshot to"))?;
            }
            Ok(())
        }
        Err(e) => match e.downcast::<PublishError>() {
            Ok(PublishError::Rejected(o)) => {
                if args.json {
                    out(&to_json(&outcome_json(&o)))?;
                }
                Err(anyhow!(PublishError::Rejected(o)))
            }
            Ok(e) => Err(e.into()),
            Err(e) => Err(e),
        },
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
