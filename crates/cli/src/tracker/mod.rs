//! `spec-kitty tracker ...`: one module per command group. Each reads its typed arguments,
//! calls the libraries and prints; the rules live in the libraries.

pub(crate) mod bind;
pub(crate) mod map;
pub(crate) mod publish;
pub(crate) mod pull;
pub(crate) mod push;
pub(crate) mod status;

use std::path::PathBuf;

use anyhow::{Result, anyhow};
use routing_core::{NotReady, Readiness, routing_readiness};
use serde_json::{Value, json};
use spec_kitty_home::{Binding, CredentialStore, Credentials, SpecKittyHome, find_project_root};
use tracker_store::binding_cache_path;

/// Where the command runs.
pub(crate) struct Context {
    pub(crate) cwd: PathBuf,
    pub(crate) home: SpecKittyHome,
}

impl Context {
    pub(crate) fn root(&self) -> Result<PathBuf> {
        Ok(find_project_root(&self.cwd)?)
    }

    pub(crate) fn credentials(&self) -> CredentialStore {
        CredentialStore::new(&self.home)
    }

    /// The project's binding; warns (once, here) when credentials for its provider are in
    /// more than one table.
    pub(crate) fn binding(&self) -> Result<Option<Binding>> {
        let Some(b) = Binding::load(&self.home, &self.root()?)? else {
            return Ok(None);
        };
        if let Some(used) = &b.credentials_table
            && !b.conflicts.is_empty()
        {
            crate::output::diag(
                "warning",
                &format!(
                    "credentials for {} are in more than one table: [tracker.providers.{used}] is used, {} differ; remove the ones you do not mean in {}",
                    b.provider,
                    b.conflicts
                        .iter()
                        .map(|t| format!("[tracker.providers.{t}]"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    self.credentials().path().display()
                ),
            );
        }
        Ok(Some(b))
    }

    pub(crate) fn require_binding(&self) -> Result<Binding> {
        self.binding()?.ok_or_else(|| {
            anyhow!("this project has no tracker binding; run `spec-kitty tracker bind --provider <provider> --workspace <workspace>` first")
        })
    }

    /// The cache file of a binding.
    pub(crate) fn cache_path(&self, b: &Binding) -> PathBuf {
        binding_cache_path(&self.home, b)
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

/// Routing readiness rendered for `status` (JSON and text) and `bind`: routing-core
/// decides, this says it and adds the fix.
pub(crate) fn readiness(provider: &str, creds: &Credentials) -> (Value, String) {
    match routing_readiness(provider, creds) {
        Readiness::Ready(r) => (
            json!({"ready": true, "external_resource_type": r.resource_type().as_str(),
                   "external_resource_id": r.resource_id(), "reason": null}),
            format!("ready: {} {}", r.resource_type(), r.resource_id()),
        ),
        Readiness::Unavailable(why) => {
            let reason = match why.credential_key() {
                None => {
                    format!("{provider} has no routing rule; snapshots publish with null routing")
                }
                Some(key) => format!("{why}; {}", routing_fix(key)),
            };
            (
                json!({"ready": false, "external_resource_type": null, "external_resource_id": null,
                       "reason": reason}),
                match why {
                    NotReady::NoRule => format!("none ({reason})"),
                    _ => format!("unavailable: {reason}"),
                },
            )
        }
    }
}

/// What to run to give a binding its routing key.
pub(crate) fn routing_fix(key: &str) -> String {
    format!("add --credential {key}=... with `spec-kitty tracker bind`")
}
