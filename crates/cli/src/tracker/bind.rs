//! `tracker bind` and `tracker unbind`.

use anyhow::{Result, bail};
use routing_core::{CredentialValue, Provider, SUPPORTED_PROVIDERS};
use tracker_store::{Credentials, ProjectConfig, TrackerConfig, set_owner};

use super::{Context, key_list, owners_text, readiness};
use crate::args::BindArgs;
use crate::error::usage;
use crate::output::{out, table};

pub(crate) fn bind(ctx: &Context, args: &BindArgs) -> Result<()> {
    let root = ctx.root()?;
    let provider = Provider::parse(&args.provider).ok_or_else(|| {
        usage(format!(
            "unsupported provider {:?}; use one of: {}",
            args.provider,
            SUPPORTED_PROVIDERS.join(", ")
        ))
    })?;
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
    let existing = store.get_provider(provider.as_str())?;
    let config = TrackerConfig {
        provider: Some(provider.as_str().to_owned()),
        workspace: Some(workspace.to_owned()),
        doctrine_mode: mode,
        field_owners: owners,
    };
    if !creds.is_empty() {
        store.set_provider(provider.as_str(), &creds)?;
    }
    project.set_tracker(&config)?;
    let stored = if creds.is_empty() { existing } else { creds };
    let (_, routing) = readiness(provider.as_str(), &stored);
    let text = format!("Bound {} workspace {workspace}\n", provider.as_str())
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
    let removed = ctx.credentials().clear_provider(&b.provider)?;
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
