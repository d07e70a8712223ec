//! What each provider's credentials hold: the one table that routing, the cache scope,
//! token resolution, `status` and the connectors all read.

use crate::credentials::{CredentialLookup, CredentialRef};
use crate::derive::{RoutingRule, routing_rule};
use crate::provider::{Provider, normalize_provider};
use crate::text::is_blank;

/// The credential keys of one provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CredentialSchema {
    /// The provider.
    pub provider: Provider,
    /// What a pull needs: each entry lists alternatives, any one of which suffices
    /// (Linear takes `api_key` or `access_token`).
    pub required: &'static [&'static [&'static str]],
    /// Keys whose values are secrets (never shown), beside the generic ones
    /// ([`is_secret_key`]).
    pub secret_keys: &'static [&'static str],
    /// Whether `token` is the provider's own secret (a GitHub or GitLab personal access
    /// token), never a SaaS token.
    pub token_is_provider_secret: bool,
}

/// Every supported provider's credentials.
pub const CREDENTIAL_SCHEMAS: &[CredentialSchema] = &[
    CredentialSchema {
        provider: Provider::Jira,
        required: &[&["base_url"], &["email"], &["api_token"], &["project_key"]],
        secret_keys: &["api_token"],
        token_is_provider_secret: false,
    },
    CredentialSchema {
        provider: Provider::Linear,
        required: &[&["api_key", "access_token"], &["team_id"]],
        secret_keys: &["api_key", "access_token"],
        token_is_provider_secret: false,
    },
    CredentialSchema {
        provider: Provider::AzureDevops,
        required: &[],
        secret_keys: &["token", "pat", "personal_access_token"],
        token_is_provider_secret: false,
    },
    CredentialSchema {
        provider: Provider::Github,
        required: &[],
        secret_keys: &["token"],
        token_is_provider_secret: true,
    },
    CredentialSchema {
        provider: Provider::Gitlab,
        required: &[],
        secret_keys: &["token"],
        token_is_provider_secret: true,
    },
    CredentialSchema {
        provider: Provider::Beads,
        required: &[],
        secret_keys: &[],
        token_is_provider_secret: false,
    },
    CredentialSchema {
        provider: Provider::Fp,
        required: &[],
        secret_keys: &[],
        token_is_provider_secret: false,
    },
];

/// The credential keys that name a binding's server, user and team in its cache scope, in
/// the Python CLI's fallback order (the first non-empty one counts).
pub const SCOPE_SERVER_KEYS: [&str; 2] = ["server_url", "base_url"];
/// See [`SCOPE_SERVER_KEYS`].
pub const SCOPE_USER_KEYS: [&str; 2] = ["username", "email"];
/// See [`SCOPE_SERVER_KEYS`].
pub const SCOPE_TEAM_KEYS: [&str; 1] = ["team_slug"];

/// The schema of a provider name (normalized first); `None` for a provider this version
/// does not know.
#[must_use]
pub fn credential_schema(provider: &str) -> Option<&'static CredentialSchema> {
    let provider = Provider::parse(&normalize_provider(provider))?;
    CREDENTIAL_SCHEMAS.iter().find(|s| s.provider == provider)
}

impl CredentialSchema {
    /// The routing rule, when this provider routes.
    #[must_use]
    pub fn routing(&self) -> Option<&'static RoutingRule> {
        routing_rule(self.provider.as_str())
    }

    /// The credential keys that may hold the SaaS bearer token, in order: `access_token`,
    /// then `token` unless `token` is the provider's own secret.
    #[must_use]
    pub fn saas_token_keys(&self) -> &'static [&'static str] {
        if self.token_is_provider_secret {
            &["access_token"]
        } else {
            &["access_token", "token"]
        }
    }

    /// The required entries that `credentials` does not satisfy (no alternative present
    /// as a non-blank string or an integer), in schema order.
    #[must_use]
    pub fn missing<C: CredentialLookup + ?Sized>(
        &self,
        credentials: &C,
    ) -> Vec<&'static [&'static str]> {
        self.required
            .iter()
            .copied()
            .filter(|alternatives| {
                !alternatives
                    .iter()
                    .any(|k| match credentials.credential(k) {
                        Some(CredentialRef::Str(s)) => !is_blank(s),
                        Some(CredentialRef::Int(_)) => true,
                        _ => false,
                    })
            })
            .collect()
    }
}

/// Whether a credential key of `provider` names a secret: the provider's own secret keys,
/// and for any provider a key containing `token`, `secret`, `password`, `passwd`,
/// `api_key`, `apikey`, `private`, `credential` or `auth` (any case).
#[must_use]
pub fn is_secret_key(provider: &str, key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    credential_schema(provider).is_some_and(|s| s.secret_keys.contains(&k.as_str()))
        || [
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn every_supported_provider_has_one_schema() {
        for p in Provider::ALL {
            let n = CREDENTIAL_SCHEMAS
                .iter()
                .filter(|s| s.provider == p)
                .count();
            assert_eq!(n, 1, "{p:?}");
        }
    }

    #[test]
    fn missing_names_each_unsatisfied_entry() {
        let jira = credential_schema(" JIRA ").unwrap();
        let c = BTreeMap::from([
            ("base_url".to_owned(), "https://x".to_owned()),
            ("email".to_owned(), "  ".to_owned()),
        ]);
        assert_eq!(
            jira.missing(&c),
            [&["email"][..], &["api_token"][..], &["project_key"][..]]
        );
        let linear = credential_schema("linear").unwrap();
        let c = BTreeMap::from([
            ("access_token".to_owned(), "t".to_owned()),
            ("team_id".to_owned(), "x".to_owned()),
        ]);
        assert!(linear.missing(&c).is_empty());
        assert_eq!(linear.routing().unwrap().credential_key, "team_id");
        assert!(credential_schema("github").unwrap().routing().is_none());
        assert!(credential_schema("foobar").is_none());
    }

    #[test]
    fn secrets_are_recognized_per_provider_and_generically() {
        assert!(is_secret_key("azure_devops", "PAT"));
        assert!(!is_secret_key("jira", "pat"));
        assert!(is_secret_key("jira", "api_token"));
        assert!(is_secret_key("anything", "X_Auth_Header"));
        assert!(!is_secret_key("jira", "project_key"));
        assert_eq!(
            credential_schema("github").unwrap().saas_token_keys(),
            ["access_token"]
        );
        assert_eq!(
            credential_schema("jira").unwrap().saas_token_keys(),
            ["access_token", "token"]
        );
    }
}
