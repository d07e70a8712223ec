//! `tracker bind` and `tracker unbind`.

use anyhow::{Result, bail};
use routing_core::{
    CredentialValue, Provider, SUPPORTED_PROVIDERS, is_valid_provider_name, normalize_provider,
    suggest_provider,
};
use tracker_store::{Credentials, ProjectConfig, TrackerConfig, set_owner};

use super::{Context, key_list, owners_text, readiness};
use crate::args::BindArgs;
use crate::error::usage;
use crate::output::{diag, out, table};

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
    let mode = args
        .doctrine_mode
        .clone()
        .unwrap_or_else(|| tracker_store::DEFAULT_DOCTRINE_MODE.to_owned());
    let mut owners = Vec::new();
    for kv in &args.field_owners {
        set_owner(&mut owners, kv.key.clone(), kv.value.clone());
    }
    let mut creds = Credentials::new();
    for kv in &args.credentials {
        creds.insert(kv.key.clone(), CredentialValue::String(kv.value.clone()));
    }
    // Read both files first: a malformed one stops the bind before anything is written.
    let project = ProjectConfig::at_root(&root);
    project.tracker()?;
    let store = ctx.credentials();
    let existing = store.find_provider(&provider)?.credentials;
    let config = TrackerConfig {
        provider: Some(provider.clone()),
        workspace: Some(workspace.to_owned()),
        doctrine_mode: mode,
        field_owners: owners,
    };
    if !creds.is_empty() {
        store.set_provider(&provider, &creds)?;
    }
    project.set_tracker(&config)?;
    let stored = if creds.is_empty() { existing } else { creds };
    let (_, routing) = readiness(&provider, &stored);
    let text = format!("Bound {} workspace {workspace}\n", provider)
        + &table(&[
            ("doctrine mode", config.doctrine_mode.clone()),
            ("field owners", owners_text(&config.field_owners)),
            ("credentials", key_list(&stored)),
            ("routing", routing),
        ]);
    Ok(out(&text)?)
}

pub(crate) fn unbind(ctx: &Context) -> Result<()> {
    let Some(b) = ctx.binding()? else {
        bail!("this project has no tracker binding; nothing to unbind");
    };
    ProjectConfig::at_root(&b.root).clear_tracker()?;
    let removed = match &b.credentials_table {
        Some(table) => ctx.credentials().clear_provider(table)?,
        None => false,
    };
    let creds = if removed {
        "credentials removed"
    } else {
        "no credentials were stored"
    };
    Ok(out(&format!(
        "Unbound {} workspace {} ({creds})\n",
        b.provider, b.workspace
    ))?)
}
