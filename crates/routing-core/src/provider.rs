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

/// Whether a normalized provider name fits the snapshot contract's pattern
/// `^[a-z0-9_-]+$` (a provider this version does not know may still be bound).
#[must_use]
pub fn is_valid_provider_name(normalized: &str) -> bool {
    !normalized.is_empty()
        && normalized
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// The supported provider a name probably meant (edit distance at most 2, and less than
/// half the name), for "did you mean" hints: `jria` -> `jira`, `linaer` -> `linear`.
#[must_use]
pub fn suggest_provider(name: &str) -> Option<&'static str> {
    let name = normalize_provider(name);
    if Provider::parse(&name).is_some() {
        return None;
    }
    SUPPORTED_PROVIDERS
        .iter()
        .map(|p| (edit_distance(&name, p), *p))
        .filter(|(d, p)| *d <= 2 && *d * 2 < p.len().max(name.chars().count()))
        .min_by_key(|(d, _)| *d)
        .map(|(_, p)| p)
}

/// Damerau-Levenshtein (optimal string alignment) distance, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod suggestion_tests {
    use super::*;

    #[test]
    fn near_typos_get_a_suggestion_and_other_names_do_not() {
        assert_eq!(suggest_provider("jria"), Some("jira"));
        assert_eq!(suggest_provider("Linaer"), Some("linear"));
        assert_eq!(suggest_provider("gitlba"), Some("gitlab"));
        assert_eq!(suggest_provider("githb"), Some("github"));
        assert_eq!(suggest_provider("trello"), None);
        assert_eq!(suggest_provider("fooBar"), None);
        assert_eq!(suggest_provider("jira"), None);
        assert_eq!(suggest_provider("fq"), None, "too short to guess");
        assert!(is_valid_provider_name("shortcut"));
        assert!(is_valid_provider_name("my-tracker_2"));
        assert!(!is_valid_provider_name("my tracker"));
        assert!(!is_valid_provider_name(""));
    }
}
