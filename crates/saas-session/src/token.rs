//! Which given or binding token a session sends.

use http_transport::Secret;
use routing_core::{credential_schema, credential_text, trim};
use spec_kitty_home::Credentials;

/// Where the token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// Given by the caller (a flag or the environment).
    Given,
    /// The binding's `access_token` credential.
    BindingAccessToken,
    /// The binding's `token` credential.
    BindingToken,
}

/// The given or binding token: the explicit token, else the binding's `access_token`,
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
        return Some((t, TokenSource::Given));
    }
    let keys: &[&str] =
        credential_schema(provider).map_or(&["access_token", "token"], |s| s.saas_token_keys());
    keys.iter().find_map(|k| {
        let secret = Secret::new(credential_text(credentials, k)?);
        Some((
            secret,
            if *k == "access_token" {
                TokenSource::BindingAccessToken
            } else {
                TokenSource::BindingToken
            },
        ))
    })
}
