//! `spec-kitty tracker ...`: one module per command group. Each reads its typed arguments,
//! calls the libraries and prints; the rules live in the libraries.

pub(crate) mod bind;
pub(crate) mod map;
pub(crate) mod publish;
pub(crate) mod pull;
pub(crate) mod status;

use std::path::PathBuf;

use anyhow::{Result, anyhow};
use routing_core::{CredentialValue, normalize_provider, routing_rule};
use serde_json::{Value, json};
use tracker_store::{
    CredentialStore, Credentials, ProjectConfig, SpecKittyHome, TrackerConfig, binding_scope,
    cache_path, find_project_root,
};

/// Where the command runs.
pub(crate) struct Context {
    pub(crate) cwd: PathBuf,
    pub(crate) home: SpecKittyHome,
}

/// A binding read from disk.
pub(crate) struct Binding {
    pub(crate) root: PathBuf,
    pub(crate) config: TrackerConfig,
    pub(crate) provider: String,
    pub(crate) workspace: String,
    pub(crate) credentials: Credentials,
    /// The `[tracker.providers.<table>]` the credentials came from.
    pub(crate) credentials_table: Option<String>,
}

impl Context {
    pub(crate) fn root(&self) -> Result<PathBuf> {
        Ok(find_project_root(&self.cwd)?)
    }

    pub(crate) fn credentials(&self) -> CredentialStore {
        CredentialStore::new(&self.home)
    }

    pub(crate) fn binding(&self) -> Result<Option<Binding>> {
        let root = self.root()?;
        let config = ProjectConfig::at_root(&root).tracker()?;
        let Some((provider, workspace)) = config.binding() else {
            return Ok(None);
        };
        let found = self.credentials().find_provider(provider)?;
        let (provider, workspace) = (normalize_provider(provider), workspace.to_owned());
        if let Some(used) = &found.table
            && !found.conflicts.is_empty()
        {
            crate::output::diag(
                "warning",
                &format!(
                    "credentials for {provider} are in more than one table: [tracker.providers.{used}] is used, {} differ; remove the ones you do not mean in {}",
                    found
                        .conflicts
                        .iter()
                        .map(|t| format!("[tracker.providers.{t}]"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    self.credentials().path().display()
                ),
            );
        }
        Ok(Some(Binding {
            root,
            config,
            provider,
            workspace,
            credentials: found.credentials,
            credentials_table: found.table,
        }))
    }

    pub(crate) fn require_binding(&self) -> Result<Binding> {
        self.binding()?.ok_or_else(|| {
            anyhow!("this project has no tracker binding; run `spec-kitty tracker bind --provider <provider> --workspace <workspace>` first")
        })
    }
}

impl Binding {
    pub(crate) fn cache_path(&self, home: &SpecKittyHome) -> PathBuf {
        let stored = self.config.provider.as_deref().unwrap_or(&self.provider);
        cache_path(
            home,
            &binding_scope(stored, &self.workspace, &self.credentials),
        )
    }
}

/// The stored credential key names, never their values.
pub(crate) fn key_list(creds: &Credentials) -> String {
    if creds.is_empty() {
        "none stored".to_owned()
    } else {
        format!(
            "{} (values hidden)",
            creds.keys().cloned().collect::<Vec<_>>().join(", ")
        )
    }
}

/// `k=v, k=v`, or `none`.
pub(crate) fn owners_text(owners: &[(String, String)]) -> String {
    if owners.is_empty() {
        "none".to_owned()
    } else {
        owners
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Whether publish would send routing for this binding, and if not, why.
pub(crate) fn readiness(provider: &str, creds: &Credentials) -> (Value, String) {
    let Some(rule) = routing_rule(provider) else {
        return (
            json!({"ready": false, "external_resource_type": null, "external_resource_id": null,
                   "reason": format!("{provider} has no routing rule; snapshots publish with null routing")}),
            format!("none ({provider} has no routing rule; snapshots publish with null routing)"),
        );
    };
    let key = rule.credential_key;
    if let Some(r) = routing_core::derive_routing(provider, creds) {
        return (
            json!({"ready": true, "external_resource_type": r.resource_type().as_str(),
                   "external_resource_id": r.resource_id(), "reason": null}),
            format!("ready: {} {}", r.resource_type(), r.resource_id()),
        );
    }
    let why = match creds.get(key) {
        None => format!("credential {key} missing"),
        Some(CredentialValue::Other) => format!("credential {key} is neither text nor a number"),
        Some(_) => format!("credential {key} is blank"),
    };
    let fix = format!("add --credential {key}=... with `spec-kitty tracker bind`");
    (
        json!({"ready": false, "external_resource_type": null, "external_resource_id": null,
               "reason": format!("{why}; {fix}")}),
        format!("unavailable: {why}; {fix}"),
    )
}
