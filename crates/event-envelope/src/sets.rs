//! The closed sets of wire strings the payload rules check, as enums: each has `as_str`
//! (the wire value), [`FromStr`] (exact: no trimming, no case folding), `ALL`, `NAMES` (the
//! wire values, in the order the contract lists them), `Display` and serde as the wire
//! string. The enums are `#[non_exhaustive]`: a value added to a set in a minor release is
//! a compatible change; renaming or removing one is not.

use std::fmt;
use std::str::FromStr;

/// A string that is not one of a set's wire values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownWireValue {
    /// The set, e.g. `lane`.
    pub set: &'static str,
    /// The value received.
    pub value: String,
    /// The values the set has.
    pub expected: &'static [&'static str],
}

impl fmt::Display for UnknownWireValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} {:?}; expected one of: {}",
            self.set,
            self.value,
            self.expected.join(", ")
        )
    }
}

impl std::error::Error for UnknownWireValue {}

macro_rules! wire_set {
    ($(#[$doc:meta])* $name:ident, $set:literal, [$($variant:ident = $wire:literal),* $(,)?]) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $(
                #[doc = concat!("`", $wire, "`")]
                $variant,
            )*
        }

        impl $name {
            /// Every value, in the contract's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            /// The wire values, in the contract's order.
            pub const NAMES: &'static [&'static str] = &[$($wire),*];

            /// The wire value.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)*
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownWireValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| UnknownWireValue {
                        set: $set,
                        value: s.to_owned(),
                        expected: $name::NAMES,
                    })
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

wire_set!(
    /// A work package lane (`from_lane`/`to_lane` of `WPStatusChanged`): the Python CLI
    /// 2.1.0 emitter's 8 lanes.
    Lane, "lane", [
        Planned = "planned",
        Claimed = "claimed",
        InProgress = "in_progress",
        ForReview = "for_review",
        Approved = "approved",
        Done = "done",
        Blocked = "blocked",
        Canceled = "canceled",
    ]
);

wire_set!(
    /// The envelope's `aggregate_type`.
    AggregateType, "aggregate type", [
        WorkPackage = "WorkPackage",
        Feature = "Feature",
        MissionDossier = "MissionDossier",
    ]
);

wire_set!(
    /// `phase` of `WPAssigned`.
    Phase, "phase", [
        Implementation = "implementation",
        Review = "review",
    ]
);

wire_set!(
    /// `entry_type` of `HistoryAdded`.
    HistoryEntryType, "history entry type", [
        Note = "note",
        Review = "review",
        Error = "error",
        Comment = "comment",
    ]
);

wire_set!(
    /// `error_type` of `ErrorLogged`.
    ErrorType, "error type", [
        Validation = "validation",
        Runtime = "runtime",
        Network = "network",
        Auth = "auth",
        Unknown = "unknown",
    ]
);

wire_set!(
    /// `resolution_type` of `DependencyResolved`.
    ResolutionType, "resolution type", [
        Completed = "completed",
        Skipped = "skipped",
        Merged = "merged",
    ]
);
