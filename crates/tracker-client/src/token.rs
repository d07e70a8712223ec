//! Which bearer token a publish sends, and keeping it out of every output.

use routing_core::{CredentialValue, normalize_provider, trim};
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

/// Providers whose `token` credential is the provider's own API secret (a personal access
/// token), never a SaaS token.
pub const PROVIDER_TOKEN_PROVIDERS: [&str; 2] = ["github", "gitlab"];

/// Resolves the SaaS bearer token: the explicit token, else the binding's `access_token`,
/// else its `token` (not for github/gitlab, where `token` is the provider PAT). Each is
/// trimmed; a blank one counts as absent. `None`: send no `Authorization` header.
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
    let cred = |k: &str| match credentials.get(k) {
        Some(CredentialValue::String(s)) => non_blank(s),
        Some(CredentialValue::Integer(i)) => Some(Secret::new(i.to_string())),
        _ => None,
    };
    if let Some(t) = cred("access_token") {
        return Some((t, TokenSource::AccessToken));
    }
    if PROVIDER_TOKEN_PROVIDERS.contains(&normalize_provider(provider).as_str()) {
        return None;
    }
    cred("token").map(|t| (t, TokenSource::Token))
}

/// Whether a credential key names a secret (its value is never shown).
#[must_use]
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "token",
        "secret",
        "password",
        "passwd",
        "api_key",
        "apikey",
        "private",
        "credential",
        "auth",
    ]
    .iter()
    .any(|w| k.contains(w))
}
