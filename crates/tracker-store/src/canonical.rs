//! The canonical issue vocabulary: the statuses and issue types a snapshot carries.
//!
//! A connector writes [`IssueStatus`] / [`IssueType`] values, never free strings, so it
//! cannot store a value the snapshot would silently read as `todo` or `task`. A value this
//! crate does not know (written by another tool) is kept as [`IssueStatus::Unknown`] so a
//! row round-trips byte for byte.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! vocabulary {
    (
        $(#[$meta:meta])* $name:ident, default $default:ident,
        { $($(#[$vmeta:meta])* $variant:ident => $wire:literal),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this version does not know, kept as stored (a snapshot reads it as
            #[doc = concat!("the default, `", stringify!($default), "`).")]
            Unknown(String),
        }

        impl $name {
            /// Every known value, in the contract's order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];

            /// The wire string.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)+
                    $name::Unknown(s) => s,
                }
            }

            /// The exact wire string (case-sensitive, as the Python CLI compares), else
            /// [`Self::Unknown`].
            #[must_use]
            pub fn parse(s: &str) -> Self {
                match s {
                    $($wire => $name::$variant,)+
                    other => $name::Unknown(other.to_owned()),
                }
            }

            /// The value a snapshot carries: a known one as is, an unknown one as the default.
            #[must_use]
            pub fn published(&self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)+
                    $name::Unknown(_) => $name::$default.published(),
                }
            }

            /// Whether this is a known value.
            #[must_use]
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Unknown(_))
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d).map(|s| $name::parse(&s))
            }
        }
    };
}

vocabulary!(
    /// A canonical issue status.
    IssueStatus, default Todo,
    {
        /// `todo`.
        Todo => "todo",
        /// `in_progress`.
        InProgress => "in_progress",
        /// `in_review`.
        InReview => "in_review",
        /// `blocked`.
        Blocked => "blocked",
        /// `done`.
        Done => "done",
        /// `canceled`.
        Canceled => "canceled",
    }
);

vocabulary!(
    /// A canonical issue type.
    IssueType, default Task,
    {
        /// `epic`.
        Epic => "epic",
        /// `story`.
        Story => "story",
        /// `task`.
        Task => "task",
        /// `bug`.
        Bug => "bug",
        /// `chore`.
        Chore => "chore",
        /// `subtask`.
        Subtask => "subtask",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vocabulary_is_the_contracts() {
        let statuses: Vec<&str> = IssueStatus::KNOWN.iter().map(IssueStatus::as_str).collect();
        assert_eq!(
            statuses,
            [
                "todo",
                "in_progress",
                "in_review",
                "blocked",
                "done",
                "canceled"
            ]
        );
        let types: Vec<&str> = IssueType::KNOWN.iter().map(IssueType::as_str).collect();
        assert_eq!(types, ["epic", "story", "task", "bug", "chore", "subtask"]);
    }

    #[test]
    fn unknown_values_round_trip_and_publish_as_the_default() {
        let s = IssueStatus::parse("DONE");
        assert_eq!(s, IssueStatus::Unknown("DONE".into()));
        assert_eq!(s.as_str(), "DONE");
        assert_eq!(s.published(), "todo");
        assert_eq!(IssueType::parse("initiative").published(), "task");
        assert_eq!(IssueStatus::parse("in_review").published(), "in_review");
        let json = serde_json::to_string(&IssueStatus::Unknown("Weird".into())).unwrap();
        assert_eq!(json, "\"Weird\"");
        let back: IssueStatus = serde_json::from_str(&json).unwrap();
        assert_eq!(back.as_str(), "Weird");
    }
}
