//! Provider names: normalization and the supported set.

use std::fmt;
use std::str::FromStr;

use crate::text::trim;

/// A tracker provider spec-kitty can bind to.
///
/// Only [`Provider::Jira`] and [`Provider::Linear`] carry resource routing today (see
/// [`crate::ROUTING_TABLE`]); the others are supported bindings that publish with null routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Provider {
    /// Atlassian Jira (`jira`).
    Jira,
    /// Linear (`linear`).
    Linear,
    /// Azure DevOps (`azure_devops`; aliases `azure`, `azure-devops`).
    AzureDevops,
    /// GitHub Issues (`github`).
    Github,
    /// GitLab Issues (`gitlab`).
    Gitlab,
    /// Beads (`beads`).
    Beads,
    /// fp (`fp`).
    Fp,
}

/// The supported provider names, in the order the CLI lists them.
pub const SUPPORTED_PROVIDERS: [&str; 7] = [
    "jira",
    "linear",
    "azure_devops",
    "github",
    "gitlab",
    "beads",
    "fp",
];

impl Provider {
    /// Every provider, in the order of [`SUPPORTED_PROVIDERS`].
    pub const ALL: [Provider; 7] = [
        Provider::Jira,
        Provider::Linear,
        Provider::AzureDevops,
        Provider::Github,
        Provider::Gitlab,
        Provider::Beads,
        Provider::Fp,
    ];

    /// The canonical (normalized) name, as stored in config files and sent on the wire.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Provider::Jira => "jira",
            Provider::Linear => "linear",
            Provider::AzureDevops => "azure_devops",
            Provider::Github => "github",
            Provider::Gitlab => "gitlab",
            Provider::Beads => "beads",
            Provider::Fp => "fp",
        }
    }

    /// Parses a provider name as a user may type it (`" Jira "`, `"azure-devops"`), or `None`
    /// when it is not a supported provider.
    #[must_use]
    pub fn parse(raw: &str) -> Option<Provider> {
        let normalized = normalize_provider(raw);
        Provider::ALL.into_iter().find(|p| p.as_str() == normalized)
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing a provider name that is not supported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedProvider {
    /// The name as given (not normalized), for the error message.
    pub name: String,
}

impl fmt::Display for UnsupportedProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unsupported provider {:?}; use one of: {}",
            self.name,
            SUPPORTED_PROVIDERS.join(", ")
        )
    }
}

impl std::error::Error for UnsupportedProvider {}

impl FromStr for Provider {
    type Err = UnsupportedProvider;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Provider::parse(s).ok_or_else(|| UnsupportedProvider { name: s.to_owned() })
    }
}

/// Normalizes a provider name: trims whitespace, lowercases, and maps the aliases `azure` and
/// `azure-devops` to `azure_devops`. Unknown names are returned normalized, not rejected, so a
/// caller can still report them (use [`Provider::parse`] to check support).
///
/// ```
/// use routing_core::normalize_provider;
/// assert_eq!(normalize_provider(" JIRA "), "jira");
/// assert_eq!(normalize_provider("Azure-DevOps"), "azure_devops");
/// assert_eq!(normalize_provider("Trello"), "trello");
/// ```
#[must_use]
pub fn normalize_provider(raw: &str) -> String {
    let key = trim(raw).to_lowercase();
    match key.as_str() {
        "azure" | "azure-devops" => "azure_devops".to_owned(),
        _ => key,
    }
}
