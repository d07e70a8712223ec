//! The canonical wire values of `external_resource_type`.

use std::fmt;
use std::str::FromStr;

/// The kind of provider resource a snapshot routes to: the value of `external_resource_type`.
///
/// The wire strings are a **locked contract** (spec C-001, NFR-002): `"jira_project"` and
/// `"linear_team"` are stored by the SaaS in its resource mappings. Renaming or removing a
/// variant's string needs a versioned migration agreed with the SaaS team; adding a variant
/// for a new provider is compatible. [`ResourceType::as_str`] and [`FromStr`] round-trip
/// exactly and reject everything else (no trimming, no case folding: a wire value is exact).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ResourceType {
    /// A Jira project, identified by its project key (`"ACME"`).
    #[cfg_attr(feature = "serde", serde(rename = "jira_project"))]
    JiraProject,
    /// A Linear team, identified by its team id.
    #[cfg_attr(feature = "serde", serde(rename = "linear_team"))]
    LinearTeam,
}

impl ResourceType {
    /// Every resource type.
    pub const ALL: [ResourceType; 2] = [ResourceType::JiraProject, ResourceType::LinearTeam];

    /// The canonical wire value.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ResourceType::JiraProject => "jira_project",
            ResourceType::LinearTeam => "linear_team",
        }
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing a string that is not a canonical wire value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownResourceType {
    /// The rejected value.
    pub value: String,
}

impl fmt::Display for UnknownResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown external_resource_type {:?}; expected one of: jira_project, linear_team",
            self.value
        )
    }
}

impl std::error::Error for UnknownResourceType {}

impl FromStr for ResourceType {
    type Err = UnknownResourceType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ResourceType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownResourceType {
                value: s.to_owned(),
            })
    }
}
