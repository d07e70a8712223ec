//! Which bearer token a publish sends, and keeping it out of every output.

use routing_core::{CredentialValue, credential_schema, trim};
use tracker_store::Credentials;

pub use http_transport::Secret;

/// Where the token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// `--auth-token` or `SAAS_AUTH_TOKEN`.
    Explicit,
    /// The binding's `access_token` credential.
    AccessToken,
    /// The binding's `token` credential.
    Token,
}

/// Resolves the SaaS bearer token: the explicit token, else the binding's `access_token`,
/// else its `token` (not for github/gitlab, where `token` is the provider PAT: see
/// `routing_core::CredentialSchema::saas_token_keys`). Each is trimmed; a blank one counts
/// as absent. `None`: send no `Authorization` header.
#[must_use]
pub fn resolve_token(
    explicit: Option<&str>,
    provider: &str,
    credentials: &Credentials,
) -> Option<(Secret, TokenSource)> {
    let non_blank = |s: &str| {
        let t = trim(s);
        (!t.is_empty()).then(|| Secret::new(t))
    };
    if let Some(t) = explicit.and_then(non_blank) {
        return Some((t, TokenSource::Explicit));
    }
    let keys: &[&str] =
        credential_schema(provider).map_or(&["access_token", "token"], |s| s.saas_token_keys());
    keys.iter().find_map(|k| {
        let secret = match credentials.get(*k) {
            Some(CredentialValue::String(s)) => non_blank(s),
            Some(CredentialValue::Integer(i)) => Some(Secret::new(i.to_string())),
            _ => None,
        }?;
        Some((
            secret,
            if *k == "access_token" {
                TokenSource::AccessToken
            } else {
                TokenSource::Token
            },
        ))
    })
}
