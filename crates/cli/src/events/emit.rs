//! `events emit`: the plumbing command for hooks and scripts.

use std::io::Read;

use anyhow::{Context as _, Result};
use event_store::{ContextSources, EventEmitter, resolve_context};
use serde_json::{Map, Value};

use super::EventContext;
use crate::args::EmitArgs;
use crate::error::usage;
use crate::output::{diag, json as to_json, out};

/// The host and user an emitter's node id is made of, from the environment as the Python
/// CLI reads it.
pub(crate) fn context_sources() -> ContextSources {
    let env = |k: &str| std::env::var(k).ok();
    ContextSources {
        hostname: event_store::hostname(),
        username: event_store::username(&[
            env("LOGNAME"),
            env("USER"),
            env("LNAME"),
            env("USERNAME"),
        ]),
    }
}

fn read_payload(spec: &str) -> Result<String> {
    if spec == "-" {
        const MAX: u64 = 16 * 1024 * 1024;
        let mut bytes = Vec::new();
        std::io::stdin()
            .take(MAX + 1)
            .read_to_end(&mut bytes)
            .context("reading the payload from standard input")?;
        if bytes.len() as u64 > MAX {
            return Err(usage(
                "--payload -: standard input holds more than 16 MiB; a payload is at most 16 MiB",
            ));
        }
        return String::from_utf8(bytes)
            .map_err(|_| usage("--payload -: standard input is not UTF-8 text"));
    }
    if let Some(path) = spec.strip_prefix('@') {
        let meta =
            std::fs::metadata(path).with_context(|| format!("reading the payload file {path}"))?;
        if !meta.is_file() || meta.len() > 16 * 1024 * 1024 {
            return Err(usage(format!(
                "--payload @{path}: not a regular file of at most 16 MiB"
            )));
        }
        return std::fs::read_to_string(path)
            .with_context(|| format!("reading the payload file {path}"));
    }
    Ok(spec.to_owned())
}

pub(crate) fn emit(ctx: &EventContext, args: &EmitArgs) -> Result<()> {
    let text = read_payload(&args.payload)?;
    let payload: Map<String, Value> = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(m)) => m,
        Ok(_) => {
            return Err(usage(
                "--payload must be a JSON object, e.g. '{\"wp_id\": \"WP01\"}'",
            ));
        }
        Err(e) => {
            return Err(usage(format!(
                "--payload is not valid JSON ({e}); pass a JSON object, @FILE or -"
            )));
        }
    };
    let resolved = resolve_context(&ctx.cwd, &ctx.home, &context_sources())?;
    if !resolved.project.found {
        diag(
            "note",
            "not inside a spec-kitty project: project_uuid and project_slug are null",
        );
    }
    let mut emitter = EventEmitter::open(&ctx.home, resolved.emitter)?;
    let envelope = emitter.emit(
        args.event_type,
        &args.aggregate_id,
        payload,
        args.causation_id.as_deref(),
    )?;
    if args.json {
        let v = serde_json::to_value(&envelope).context("serializing the envelope")?;
        return Ok(out(&to_json(&v))?);
    }
    Ok(out(&format!("{}\n", envelope.event_id))?)
}
