//! `tracker bind` and `tracker unbind`.

use anyhow::{Result, bail};
use routing_core::{
    CredentialValue, Provider, SUPPORTED_PROVIDERS, is_valid_provider_name, normalize_provider,
    suggest_provider,
};
use spec_kitty_home::{Credentials, FIELD_OWNERS, ProjectConfig, TrackerConfig, set_owner};

use super::{Context, key_list, owners_text, readiness};
use crate::args::BindArgs;
use crate::error::usage;
use crate::output::{diag, out, safe, table};

pub(crate) fn bind(ctx: &Context, args: &BindArgs) -> Result<()> {
    let root = ctx.root()?;
    let provider = normalize_provider(&args.provider);
    if !is_valid_provider_name(&provider) {
        return Err(usage(format!(
            "invalid --provider {:?}: use lowercase letters, digits, '_' or '-' (e.g. jira, linear, {})",
            args.provider,
            SUPPORTED_PROVIDERS[2..].join(", ")
        )));
    }
    if Provider::parse(&provider).is_none() {
        let hint = suggest_provider(&provider)
            .map(|p| format!("did you mean {p}? "))
            .unwrap_or_default();
        diag(
            "warning",
            &format!(
                "{provider} is not a provider this version knows ({}); {hint}binding it anyway: its snapshots will carry null routing",
                SUPPORTED_PROVIDERS.join(", ")
            ),
        );
    }
    let workspace = routing_core::trim(&args.workspace);
    if workspace.is_empty() {
        return Err(usage(
            "--workspace is blank; pass the tracker workspace, e.g. --workspace acme.atlassian.net",
        ));
    }
    // A service URL with a query or fragment is refused by every pull: refuse it now.
    for kv in &args.credentials {
        if matches!(kv.key.as_str(), "base_url" | "graphql_url")
            && let Err(e) = http_transport::check_base_url(routing_core::trim(&kv.value))
        {
            return Err(usage(format!(
                "invalid --credential {}: {e}; give the base URL only, e.g. {}=https://acme.atlassian.net",
                kv.key, kv.key
            )));
        }
    }
    let mode = args
        .doctrine_mode
        .clone()
        .unwrap_or_else(|| spec_kitty_home::DEFAULT_DOCTRINE_MODE.to_owned());
    let mut owners = Vec::new();
    for kv in &args.field_owners {
        // The Python CLI and spec-kitty-tracker ignore any other owner: refuse it here
        // rather than store a line that silently means `shared`.
        if !FIELD_OWNERS.contains(&kv.value.as_str()) {
            return Err(usage(format!(
                "invalid --field-owner {}={:?}: the owner must be one of {}",
                kv.key,
                kv.value,
                FIELD_OWNERS.join(", ")
            )));
        }
        set_owner(&mut owners, kv.key.clone(), kv.value.clone());
    }
    let mut creds = Credentials::new();
    for kv in &args.credentials {
        creds.insert(kv.key.clone(), CredentialValue::String(kv.value.clone()));
    }
    let store = ctx.credentials();
    let existing = store.find_provider(&provider)?.credentials;
    // A re-bind keeps the user's lane -> status map.
    let status_map = ProjectConfig::at_root(&root).tracker()?.status_map;
    let config = TrackerConfig {
        provider: Some(provider.clone()),
        workspace: Some(workspace.to_owned()),
        doctrine_mode: mode,
        field_owners: owners,
        status_map,
    };
    // One operation across both files: both prepared and verified first, then written
    // under one lock with an intent journal (spec_kitty_home::bind).
    spec_kitty_home::bind(
        &ctx.home,
        &root,
        &config,
        (!creds.is_empty()).then_some((provider.as_str(), &creds)),
    )?;
    let stored = if creds.is_empty() { existing } else { creds };
    let (_, routing) = readiness(&provider, &stored);
    let text = format!("Bound {} workspace {}\n", provider, safe(workspace))
        + &table(&[
            ("doctrine mode", config.doctrine_mode.clone()),
            ("field owners", owners_text(&config.field_owners)),
            ("credentials", key_list(&stored)),
            ("routing", routing),
        ]);
    Ok(out(&text)?)
}

pub(crate) fn unbind(ctx: &Context, provider: Option<&str>) -> Result<()> {
    let Some(provider) = provider else {
        let Some(b) = ctx.binding()? else {
            bail!(
                "this project has no tracker binding; nothing to unbind (to remove a provider's stored credentials anyway, pass --provider)"
            );
        };
        let removed =
            spec_kitty_home::unbind(&ctx.home, Some(&b.root), b.credentials_table.as_deref())?;
        return Ok(out(&format!(
            "Unbound {} workspace {} ({})\n",
            b.provider,
            safe(&b.workspace),
            if removed {
                "credentials removed"
            } else {
                "no credentials were stored"
            }
        ))?);
    };
    let provider = normalize_provider(provider);
    // Outside a project, or beside a config that cannot be read, the credentials can
    // still be removed: a secret is never stranded.
    let binding = ctx.binding().ok().flatten();
    let table = ctx.credentials().find_provider(&provider)?.table;
    let bound_here = binding.filter(|b| b.provider == provider);
    let removed = spec_kitty_home::unbind(
        &ctx.home,
        bound_here.as_ref().map(|b| b.root.as_path()),
        table.as_deref(),
    )?;
    let what = match (&bound_here, removed) {
        (Some(b), true) => format!(
            "Unbound {provider} workspace {} (credentials removed)",
            b.workspace
        ),
        (Some(b), false) => format!(
            "Unbound {provider} workspace {} (no credentials were stored)",
            b.workspace
        ),
        (None, true) => format!("Removed the stored {provider} credentials"),
        (None, false) => bail!(
            "no {provider} binding here and no {provider} credentials stored; nothing to remove"
        ),
    };
    Ok(out(&format!("{what}\n"))?)
}
