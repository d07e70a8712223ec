//! `tracker providers` and `tracker status`.

use anyhow::Result;
use routing_core::{ROUTING_TABLE, SUPPORTED_PROVIDERS};
use serde_json::{Value, json};
use tracker_store::IssueCache;

use super::{Context, key_list, owners_text, readiness};
use crate::output::{diag, json as to_json, out, table};

pub(crate) fn providers(as_json: bool) -> Result<()> {
    let routing = |p: &str| ROUTING_TABLE.iter().find(|r| r.provider.as_str() == p);
    if as_json {
        let routes: serde_json::Map<String, Value> = ROUTING_TABLE
            .iter()
            .map(|r| {
                (
                    r.provider.as_str().to_owned(),
                    json!({"external_resource_type": r.resource_type.as_str(), "credential_key": r.credential_key}),
                )
            })
            .collect();
        return Ok(out(&to_json(
            &json!({"providers": SUPPORTED_PROVIDERS, "routing": routes}),
        ))?);
    }
    let width = SUPPORTED_PROVIDERS
        .iter()
        .map(|p| p.len())
        .max()
        .unwrap_or(0);
    let mut text = format!("{:<width$}  routing\n", "provider");
    for p in SUPPORTED_PROVIDERS {
        let how = routing(p).map_or_else(
            || "none (publishes with null routing)".to_owned(),
            |r| format!("{} from credential {}", r.resource_type, r.credential_key),
        );
        text += &format!("{p:<width$}  {how}\n");
    }
    Ok(out(&text)?)
}

pub(crate) fn status(ctx: &Context, as_json: bool) -> Result<()> {
    let Some(b) = ctx.binding()? else {
        if as_json {
            return Ok(out(&to_json(&json!({"configured": false})))?);
        }
        return Ok(out(
            "No tracker binding in this project.\nBind one with: spec-kitty tracker bind --provider <provider> --workspace <workspace>\n",
        )?);
    };
    let path = ctx.cache_path(&b);
    let (issues, mappings) = if path.exists() {
        let cache = IssueCache::open_read_only(&path)?;
        (
            cache.count_issues(&b.provider)?,
            cache.list_mappings()?.len() as u64,
        )
    } else {
        (0, 0)
    };
    let (routing_json, routing_text) = readiness(&b.provider, &b.credentials);
    let status_map = tracker_connectors::effective_status_map(&b.provider, &b.config.status_map);
    let pushes = status_map.iter().any(|(_, t)| t.is_some());
    let push_text = if !pushes {
        format!("none ({} has no push)", b.provider)
    } else if b.config.may_write("status") {
        "allowed (spec-kitty may write the status)".to_owned()
    } else {
        format!(
            "refused by the doctrine ({}, status owned {}): allow it with `spec-kitty tracker bind ... --doctrine-mode split_ownership --field-owner status=local`",
            b.config.doctrine_mode,
            b.config.field_owner("status")
        )
    };
    let unknown = tracker_connectors::unknown_lanes(&b.config.status_map);
    if as_json {
        let owners: serde_json::Map<String, Value> = b
            .config
            .field_owners
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        return Ok(out(&to_json(&json!({
            "configured": true,
            "provider": b.provider,
            "workspace": b.workspace,
            "doctrine_mode": b.config.doctrine_mode,
            "field_owners": owners,
            "credentials_present": !b.credentials.is_empty(),
            "credentials_table": b.credentials_table.as_ref().map(|t| format!("tracker.providers.{t}")),
            "provider_known": routing_core::Provider::parse(&b.provider).is_some(),
            "credential_keys": b.credentials.keys().collect::<Vec<_>>(),
            "db_path": path,
            "issue_count": issues,
            "mapping_count": mappings,
            "routing": routing_json,
            "push": {
                "status_writable": pushes && b.config.may_write("status"),
                "status_owner": b.config.field_owner("status"),
                "status_map": status_map.iter().map(|(lane, t)| (
                    (*lane).to_owned(),
                    t.as_ref().map_or(Value::Null, |t| json!(t.to_string())),
                )).collect::<serde_json::Map<String, Value>>(),
                "unknown_lanes": unknown,
            },
        })))?);
    }
    let text = "Tracker binding\n".to_owned()
        + &table(&[
            (
                "provider",
                if routing_core::Provider::parse(&b.provider).is_some() {
                    b.provider.clone()
                } else {
                    format!("{} (unknown to this version)", b.provider)
                },
            ),
            ("workspace", b.workspace.clone()),
            ("doctrine mode", b.config.doctrine_mode.clone()),
            ("field owners", owners_text(&b.config.field_owners)),
            ("credentials", key_list(&b.credentials)),
            (
                "credentials table",
                b.credentials_table
                    .as_ref()
                    .map_or_else(|| "none".to_owned(), |t| format!("[tracker.providers.{t}]")),
            ),
            ("routing", routing_text),
            ("cache", path.display().to_string()),
            ("issues", issues.to_string()),
            ("mappings", mappings.to_string()),
            ("push", push_text),
        ]);
    let mut text = text;
    if pushes {
        text += "Lane -> tracker status
";
        text += &table(
            &status_map
                .iter()
                .map(|(lane, t)| {
                    (
                        *lane,
                        t.as_ref().map_or_else(String::new, ToString::to_string),
                    )
                })
                .collect::<Vec<_>>(),
        );
    }
    for lane in unknown {
        diag(
            "warning",
            &format!("tracker.status_map names {lane:?}, which is not a lane; it is ignored"),
        );
    }
    Ok(out(&text)?)
}
