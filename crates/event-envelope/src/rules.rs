//! The contract's rules: envelope field rules, the 12 event types and their payload rules,
//! as the Python CLI 2.1.0 emitter (`specify_cli/sync/emitter.py`, `_PAYLOAD_RULES` and
//! `VALID_AGGREGATE_TYPES`) checks them before it queues an event.

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};

use crate::envelope::Envelope;
use crate::formats;
use crate::sets::{ErrorType, HistoryEntryType, Phase, ResolutionType};

/// The lanes a work package moves through: the 8 lanes of the Python CLI's emitter
/// (`approved` included, between review and done).
pub const LANES: [&str; 8] = [
    "planned",
    "claimed",
    "in_progress",
    "for_review",
    "approved",
    "done",
    "blocked",
    "canceled",
];

/// The aggregate types (`MissionDossier` for the dossier events).
pub const AGGREGATE_TYPES: [&str; 3] = ["WorkPackage", "Feature", "MissionDossier"];

macro_rules! event_types {
    ($($variant:ident),* $(,)?) => {
        /// The 12 event types the Python CLI's emitter accepts (`#[non_exhaustive]`: a type
        /// added in a minor release is a compatible change).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum EventType {
            $(
                #[doc = concat!("`", stringify!($variant), "`")]
                $variant,
            )*
        }

        impl EventType {
            /// Every event type.
            pub const ALL: [EventType; 12] = [$(EventType::$variant),*];

            /// The wire name.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(EventType::$variant => stringify!($variant),)*
                }
            }
        }
    };
}

event_types!(
    WPStatusChanged,
    WPCreated,
    WPAssigned,
    FeatureCreated,
    FeatureCompleted,
    HistoryAdded,
    ErrorLogged,
    DependencyResolved,
    MissionDossierArtifactIndexed,
    MissionDossierArtifactMissing,
    MissionDossierSnapshotComputed,
    MissionDossierParityDriftDetected,
);

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not one of the 12 event types; it carries the string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownEventType(pub String);

impl fmt::Display for UnknownEventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown event type {:?}; use one of: {}",
            self.0,
            EventType::ALL.map(EventType::as_str).join(", ")
        )
    }
}

impl std::error::Error for UnknownEventType {}

impl FromStr for EventType {
    type Err = UnknownEventType;
    fn from_str(s: &str) -> Result<Self, UnknownEventType> {
        EventType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownEventType(s.to_owned()))
    }
}

/// A rule a value must satisfy. Its `Display` says what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule {
    /// `^[0-9A-HJKMNP-TV-Z]{26}$`.
    Ulid,
    /// One of a fixed set of strings.
    OneOf(&'static [&'static str]),
    /// One of the 12 event types.
    KnownEventType,
    /// ISO 8601 date-time with an explicit offset.
    Iso8601WithOffset,
    /// ISO 8601 date or date-time.
    Iso8601,
    /// A non-empty string.
    NonEmptyString,
    /// A string (any).
    String,
    /// A string or null.
    NullableString,
    /// An integer >= 0 (JSON booleans are not integers).
    NonNegativeInteger,
    /// A UUID version 4.
    UuidV4,
    /// 40 lowercase hex characters.
    CommitSha,
    /// `owner/repo`, subgroups allowed.
    RepoSlug,
    /// `^WP\d{2}$`.
    WpId,
    /// A list of WP ids.
    WpIdList,
    /// `^\d{3}-[a-z0-9-]+$`.
    FeatureSlug,
    /// `^\d{3}$`.
    FeatureNumber,
    /// 64 lowercase hex characters (a SHA-256).
    Sha256Hex,
    /// A JSON object.
    Object,
    /// A JSON object or null.
    NullableObject,
    /// A JSON list (any items).
    List,
    /// `true` or `false`.
    Bool,
    /// A required payload key is absent.
    Required,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Ulid => f.write_str("must be a ULID (26 characters of ^[0-9A-HJKMNP-TV-Z]{26}$)"),
            Rule::OneOf(set) => write!(f, "must be one of: {}", set.join(", ")),
            Rule::KnownEventType => write!(
                f,
                "must be one of the event types: {}",
                EventType::ALL.map(EventType::as_str).join(", ")
            ),
            Rule::Iso8601WithOffset => f.write_str(
                "must be an ISO 8601 date-time with an offset (e.g. 2026-02-12T10:00:00+00:00)",
            ),
            Rule::Iso8601 => f.write_str("must be an ISO 8601 date or date-time"),
            Rule::NonEmptyString => f.write_str("must be a non-empty string"),
            Rule::String => f.write_str("must be a string"),
            Rule::NullableString => f.write_str("must be a string or null"),
            Rule::NonNegativeInteger => f.write_str("must be an integer >= 0"),
            Rule::UuidV4 => f.write_str("must be a UUID v4 or null"),
            Rule::CommitSha => f.write_str("must be 40 lowercase hex characters or null"),
            Rule::RepoSlug => f.write_str("must be owner/repo (subgroups allowed) or null"),
            Rule::WpId => f.write_str("must be a WP id (^WP\\d{2}$)"),
            Rule::WpIdList => f.write_str("must be a list of WP ids (^WP\\d{2}$)"),
            Rule::FeatureSlug => f.write_str("must be a feature slug (^\\d{3}-[a-z0-9-]+$)"),
            Rule::FeatureNumber => f.write_str("must be a feature number (^\\d{3}$)"),
            Rule::Sha256Hex => f.write_str("must be 64 lowercase hex characters (a SHA-256)"),
            Rule::Object => f.write_str("must be an object"),
            Rule::NullableObject => f.write_str("must be an object or null"),
            Rule::List => f.write_str("must be a list"),
            Rule::Bool => f.write_str("must be true or false"),
            Rule::Required => f.write_str("missing required field"),
        }
    }
}

impl Rule {
    /// A stable machine-readable code of the rule a value broke.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Rule::Ulid => "invalid_ulid",
            Rule::OneOf(_) => "invalid_one_of",
            Rule::KnownEventType => "unknown_event_type",
            Rule::Iso8601WithOffset => "invalid_iso8601_with_offset",
            Rule::Iso8601 => "invalid_iso8601",
            Rule::NonEmptyString => "invalid_non_empty_string",
            Rule::String => "invalid_string",
            Rule::NullableString => "invalid_nullable_string",
            Rule::NonNegativeInteger => "invalid_non_negative_integer",
            Rule::UuidV4 => "invalid_uuid_v4",
            Rule::CommitSha => "invalid_commit_sha",
            Rule::RepoSlug => "invalid_repo_slug",
            Rule::WpId => "invalid_wp_id",
            Rule::WpIdList => "invalid_wp_id_list",
            Rule::FeatureSlug => "invalid_feature_slug",
            Rule::FeatureNumber => "invalid_feature_number",
            Rule::Sha256Hex => "invalid_sha256_hex",
            Rule::Object => "invalid_object",
            Rule::NullableObject => "invalid_nullable_object",
            Rule::List => "invalid_list",
            Rule::Bool => "invalid_bool",
            Rule::Required => "missing_field",
        }
    }

    /// Whether `value` satisfies this rule (for value rules; `Required` is about presence).
    #[must_use]
    pub fn check(&self, value: &Value) -> bool {
        let s = value.as_str();
        match self {
            Rule::Ulid => s.is_some_and(formats::is_ulid),
            Rule::OneOf(set) => s.is_some_and(|s| set.contains(&s)),
            Rule::KnownEventType => s.is_some_and(|s| s.parse::<EventType>().is_ok()),
            Rule::Iso8601WithOffset => s.is_some_and(formats::is_iso8601_with_offset),
            Rule::Iso8601 => s.is_some_and(formats::is_iso8601),
            Rule::NonEmptyString => s.is_some_and(|s| !s.is_empty()),
            Rule::String => s.is_some(),
            Rule::NullableString => value.is_null() || s.is_some(),
            Rule::NonNegativeInteger => value.as_u64().is_some(),
            Rule::UuidV4 => value.is_null() || s.is_some_and(formats::is_uuid_v4),
            Rule::CommitSha => value.is_null() || s.is_some_and(formats::is_commit_sha),
            Rule::RepoSlug => value.is_null() || s.is_some_and(formats::is_repo_slug),
            Rule::WpId => s.is_some_and(formats::is_wp_id),
            Rule::WpIdList => value.as_array().is_some_and(|items| {
                items
                    .iter()
                    .all(|i| i.as_str().is_some_and(formats::is_wp_id))
            }),
            Rule::FeatureSlug => s.is_some_and(formats::is_feature_slug),
            Rule::FeatureNumber => s.is_some_and(formats::is_feature_number),
            Rule::Sha256Hex => s.is_some_and(|s| {
                s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            }),
            Rule::Object => value.is_object(),
            Rule::NullableObject => value.is_null() || value.is_object(),
            Rule::List => value.is_array(),
            Rule::Bool => value.is_boolean(),
            Rule::Required => true,
        }
    }
}

/// The payload rules of one event type: required keys, then a rule per key that is checked
/// when the key is present. Keys not listed are allowed.
#[derive(Debug, Clone, Copy)]
pub struct PayloadRules {
    /// The event type.
    pub event_type: EventType,
    /// Keys that must be present.
    pub required: &'static [&'static str],
    /// `(key, rule)` checked for each present key.
    pub validators: &'static [(&'static str, Rule)],
}

const ERROR_TYPES: &[&str] = ErrorType::NAMES;
const ARTIFACT_CLASSES: &[&str] = &[
    "input", "workflow", "output", "evidence", "policy", "runtime", "other",
];

/// The payload rules of the 12 event types, in [`EventType::ALL`] order.
pub const PAYLOAD_RULES: [PayloadRules; 12] = [
    PayloadRules {
        event_type: EventType::WPStatusChanged,
        required: &["wp_id", "from_lane", "to_lane"],
        validators: &[
            ("wp_id", Rule::WpId),
            ("from_lane", Rule::OneOf(&LANES)),
            ("to_lane", Rule::OneOf(&LANES)),
            ("actor", Rule::NullableString),
            ("feature_slug", Rule::NullableString),
            ("policy_metadata", Rule::NullableObject),
        ],
    },
    PayloadRules {
        event_type: EventType::WPCreated,
        required: &["wp_id", "title", "feature_slug"],
        validators: &[
            ("wp_id", Rule::WpId),
            ("title", Rule::NonEmptyString),
            ("feature_slug", Rule::NonEmptyString),
            ("dependencies", Rule::WpIdList),
        ],
    },
    PayloadRules {
        event_type: EventType::WPAssigned,
        required: &["wp_id", "agent_id", "phase"],
        validators: &[
            ("wp_id", Rule::WpId),
            ("agent_id", Rule::NonEmptyString),
            ("phase", Rule::OneOf(Phase::NAMES)),
            ("retry_count", Rule::NonNegativeInteger),
        ],
    },
    PayloadRules {
        event_type: EventType::FeatureCreated,
        required: &[
            "feature_slug",
            "feature_number",
            "target_branch",
            "wp_count",
        ],
        validators: &[
            ("feature_slug", Rule::FeatureSlug),
            ("feature_number", Rule::FeatureNumber),
            ("target_branch", Rule::NonEmptyString),
            ("wp_count", Rule::NonNegativeInteger),
            ("created_at", Rule::Iso8601),
        ],
    },
    PayloadRules {
        event_type: EventType::FeatureCompleted,
        required: &["feature_slug", "total_wps"],
        validators: &[
            ("feature_slug", Rule::NonEmptyString),
            ("total_wps", Rule::NonNegativeInteger),
            ("completed_at", Rule::Iso8601),
            ("total_duration", Rule::NullableString),
        ],
    },
    PayloadRules {
        event_type: EventType::HistoryAdded,
        required: &["wp_id", "entry_type", "entry_content"],
        validators: &[
            ("wp_id", Rule::WpId),
            ("entry_type", Rule::OneOf(HistoryEntryType::NAMES)),
            ("entry_content", Rule::NonEmptyString),
            ("author", Rule::NullableString),
        ],
    },
    PayloadRules {
        event_type: EventType::ErrorLogged,
        required: &["error_type", "error_message"],
        validators: &[
            ("error_type", Rule::OneOf(ERROR_TYPES)),
            ("error_message", Rule::NonEmptyString),
            ("wp_id", Rule::NullableString),
            ("stack_trace", Rule::NullableString),
            ("agent_id", Rule::NullableString),
        ],
    },
    PayloadRules {
        event_type: EventType::DependencyResolved,
        required: &["wp_id", "dependency_wp_id", "resolution_type"],
        validators: &[
            ("wp_id", Rule::WpId),
            ("dependency_wp_id", Rule::WpId),
            ("resolution_type", Rule::OneOf(ResolutionType::NAMES)),
        ],
    },
    PayloadRules {
        event_type: EventType::MissionDossierArtifactIndexed,
        required: &[
            "feature_slug",
            "artifact_key",
            "artifact_class",
            "relative_path",
            "content_hash_sha256",
            "size_bytes",
            "required_status",
        ],
        validators: &[
            ("feature_slug", Rule::NonEmptyString),
            ("artifact_key", Rule::NonEmptyString),
            ("artifact_class", Rule::OneOf(ARTIFACT_CLASSES)),
            ("relative_path", Rule::NonEmptyString),
            ("content_hash_sha256", Rule::Sha256Hex),
            ("size_bytes", Rule::NonNegativeInteger),
            ("wp_id", Rule::NullableString),
            ("step_id", Rule::NullableString),
            ("required_status", Rule::OneOf(&["required", "optional"])),
        ],
    },
    PayloadRules {
        event_type: EventType::MissionDossierArtifactMissing,
        required: &[
            "feature_slug",
            "artifact_key",
            "artifact_class",
            "expected_path_pattern",
            "reason_code",
            "blocking",
        ],
        validators: &[
            ("feature_slug", Rule::NonEmptyString),
            ("artifact_key", Rule::NonEmptyString),
            ("artifact_class", Rule::OneOf(ARTIFACT_CLASSES)),
            ("expected_path_pattern", Rule::NonEmptyString),
            (
                "reason_code",
                Rule::OneOf(&[
                    "not_found",
                    "unreadable",
                    "invalid_format",
                    "deleted_after_scan",
                ]),
            ),
            ("reason_detail", Rule::NullableString),
            ("blocking", Rule::Bool),
        ],
    },
    PayloadRules {
        event_type: EventType::MissionDossierSnapshotComputed,
        required: &[
            "feature_slug",
            "parity_hash_sha256",
            "artifact_counts",
            "completeness_status",
            "snapshot_id",
        ],
        validators: &[
            ("feature_slug", Rule::NonEmptyString),
            ("parity_hash_sha256", Rule::Sha256Hex),
            ("artifact_counts", Rule::Object),
            (
                "completeness_status",
                Rule::OneOf(&["complete", "incomplete", "unknown"]),
            ),
            ("snapshot_id", Rule::NonEmptyString),
        ],
    },
    PayloadRules {
        event_type: EventType::MissionDossierParityDriftDetected,
        required: &[
            "feature_slug",
            "local_parity_hash",
            "baseline_parity_hash",
            "severity",
        ],
        validators: &[
            ("feature_slug", Rule::NonEmptyString),
            ("local_parity_hash", Rule::Sha256Hex),
            ("baseline_parity_hash", Rule::Sha256Hex),
            ("missing_in_local", Rule::List),
            ("missing_in_baseline", Rule::List),
            ("severity", Rule::OneOf(&["info", "warning", "error"])),
        ],
    },
];

impl EventType {
    /// The payload rules of this event type.
    #[must_use]
    pub fn payload_rules(self) -> &'static PayloadRules {
        // PAYLOAD_RULES has one entry per variant, in ALL order.
        &PAYLOAD_RULES[self as usize]
    }
}

/// A rule violation: which field (`event_id`, `payload.wp_id`...) broke which rule, with
/// the value received.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidationError {
    /// The field: an envelope field, or `payload.<key>` for a payload key.
    pub field: String,
    /// The rule it broke.
    pub rule: Rule,
    /// The event type, for payload errors.
    pub event_type: Option<EventType>,
    /// The value received (`None` for a missing key).
    pub value: Option<Value>,
}

impl ValidationError {
    fn envelope(field: &str, rule: Rule, value: Value) -> Self {
        ValidationError {
            field: field.to_owned(),
            rule,
            event_type: None,
            value: Some(value),
        }
    }

    /// A stable machine-readable code: `missing_field` for a required payload key, else
    /// the broken rule's [`Rule::code`] (`invalid_ulid`, `invalid_one_of`...).
    #[must_use]
    pub fn code(&self) -> &'static str {
        self.rule.code()
    }

    /// The field (an envelope field, or `payload.<key>`).
    #[must_use]
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The value received, if the field was there.
    #[must_use]
    pub fn value(&self) -> Option<&Value> {
        self.value.as_ref()
    }

    /// The payload key, for payload errors.
    #[must_use]
    pub fn payload_key(&self) -> Option<&str> {
        self.field.strip_prefix("payload.")
    }

    /// The message a batch endpoint puts in a rejected result, e.g.
    /// `Invalid payload for ErrorLogged: missing required field 'error_type'`.
    #[must_use]
    pub fn rejection_message(&self) -> String {
        match (self.event_type, self.payload_key()) {
            (Some(t), Some(key)) if self.rule == Rule::Required => {
                format!("Invalid payload for {t}: missing required field '{key}'")
            }
            (Some(t), Some(key)) => format!("Invalid payload for {t}: field '{key}' {}", self.rule),
            _ => format!("Invalid envelope: field '{}' {}", self.field, self.rule),
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.field, self.rule)
    }
}

impl std::error::Error for ValidationError {}

/// Every rule violation of one envelope (never empty when returned as an error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationErrors(pub Vec<ValidationError>);

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            e.fmt(f)?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

impl ValidationErrors {
    /// The first violation.
    #[must_use]
    pub fn first(&self) -> Option<&ValidationError> {
        self.0.first()
    }
}

/// Checks a payload against the rules of `event_type`, appending violations to `out`:
/// required keys first (in the rule's order), then validators on present keys.
pub fn validate_payload(
    event_type: EventType,
    payload: &Map<String, Value>,
    out: &mut Vec<ValidationError>,
) {
    let rules = event_type.payload_rules();
    let start = out.len();
    for key in rules.required {
        if !payload.contains_key(*key) {
            out.push(ValidationError {
                field: format!("payload.{key}"),
                rule: Rule::Required,
                event_type: Some(event_type),
                value: None,
            });
        }
    }
    if out.len() > start {
        return;
    }
    for (key, rule) in rules.validators {
        if let Some(v) = payload.get(*key)
            && !rule.check(v)
        {
            out.push(ValidationError {
                field: format!("payload.{key}"),
                rule: rule.clone(),
                event_type: Some(event_type),
                value: Some(v.clone()),
            });
        }
    }
}

impl Envelope {
    /// The event type, if it is one of the 12.
    #[must_use]
    pub fn known_event_type(&self) -> Option<EventType> {
        self.event_type.parse().ok()
    }

    /// Checks every rule of the contract: envelope fields, then the payload rules of the
    /// event type.
    ///
    /// # Errors
    ///
    /// [`ValidationErrors`] listing every violation, envelope fields in wire order first.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut out = Vec::new();
        let mut check = |field: &str, rule: Rule, value: Value| {
            if !rule.check(&value) {
                out.push(ValidationError::envelope(field, rule, value));
            }
        };
        check("event_id", Rule::Ulid, self.event_id.as_str().into());
        check(
            "event_type",
            Rule::KnownEventType,
            self.event_type.as_str().into(),
        );
        check(
            "aggregate_id",
            Rule::NonEmptyString,
            self.aggregate_id.as_str().into(),
        );
        check(
            "aggregate_type",
            Rule::OneOf(&AGGREGATE_TYPES),
            self.aggregate_type.as_str().into(),
        );
        check(
            "timestamp",
            Rule::Iso8601WithOffset,
            self.timestamp.as_str().into(),
        );
        check(
            "node_id",
            Rule::NonEmptyString,
            self.node_id.as_str().into(),
        );
        check(
            "lamport_clock",
            Rule::NonNegativeInteger,
            self.lamport_clock.into(),
        );
        if let Some(c) = &self.causation_id {
            check("causation_id", Rule::Ulid, c.as_str().into());
        }
        check(
            "team_slug",
            Rule::NonEmptyString,
            self.team_slug.as_str().into(),
        );
        check(
            "project_uuid",
            Rule::UuidV4,
            self.project_uuid.as_deref().into(),
        );
        check(
            "head_commit_sha",
            Rule::CommitSha,
            self.head_commit_sha.as_deref().into(),
        );
        check(
            "repo_slug",
            Rule::RepoSlug,
            self.repo_slug.as_deref().into(),
        );
        if let Some(t) = self.known_event_type() {
            validate_payload(t, &self.payload, &mut out);
        }
        if out.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(out))
        }
    }
}
