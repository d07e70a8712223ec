//! Building envelopes for emitters from already-resolved context.

use serde_json::{Map, Value};

use crate::envelope::Envelope;
use crate::rules::{EventType, ValidationErrors};

/// A source of event ids (ULIDs). Inject a deterministic one in tests.
pub trait IdSource {
    /// The next id.
    fn next_id(&mut self) -> String;
}

impl<F: FnMut() -> String> IdSource for F {
    fn next_id(&mut self) -> String {
        self()
    }
}

/// A source of timestamps (ISO 8601 with an offset). Inject a fixed one in tests.
pub trait Clock {
    /// The current time.
    fn now(&mut self) -> String;
}

impl Clock for String {
    fn now(&mut self) -> String {
        self.clone()
    }
}

/// Git metadata of the working copy an event is emitted from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitMetadata {
    /// Current branch.
    pub branch: Option<String>,
    /// HEAD commit, 40 lowercase hex.
    pub head_commit_sha: Option<String>,
    /// `owner/repo`.
    pub repo_slug: Option<String>,
}

/// The resolved identity and environment an emitter stamps on every envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmitterContext {
    /// This node.
    pub node_id: String,
    /// The team.
    pub team_slug: String,
    /// The project UUID (v4), if known.
    pub project_uuid: Option<String>,
    /// The project slug, if known.
    pub project_slug: Option<String>,
    /// Git metadata.
    pub git: GitMetadata,
}

/// The aggregate type an event type is about.
#[must_use]
pub fn aggregate_type_of(event_type: EventType) -> &'static str {
    match event_type {
        EventType::FeatureCreated | EventType::FeatureCompleted | EventType::ErrorLogged => {
            "Feature"
        }
        EventType::WPStatusChanged
        | EventType::WPCreated
        | EventType::WPAssigned
        | EventType::HistoryAdded
        | EventType::DependencyResolved => "WorkPackage",
        EventType::MissionDossierArtifactIndexed
        | EventType::MissionDossierArtifactMissing
        | EventType::MissionDossierSnapshotComputed
        | EventType::MissionDossierParityDriftDetected => "MissionDossier",
    }
}

/// The aggregate type of one event: as [`aggregate_type_of`], except that an
/// `ErrorLogged` whose payload names a `wp_id` is about that `WorkPackage` (as the Python
/// CLI's emitter decides).
#[must_use]
pub fn aggregate_type_for(event_type: EventType, payload: &Map<String, Value>) -> &'static str {
    if event_type == EventType::ErrorLogged && payload.get("wp_id").is_some_and(|v| !v.is_null()) {
        return "WorkPackage";
    }
    aggregate_type_of(event_type)
}

/// Builds envelopes; the only output is a valid envelope or the list of rule violations.
pub struct EnvelopeBuilder<I, C> {
    context: EmitterContext,
    ids: I,
    clock: C,
}

impl<I: IdSource, C: Clock> EnvelopeBuilder<I, C> {
    /// A builder stamping `context`, taking ids from `ids` and time from `clock`.
    pub fn new(context: EmitterContext, ids: I, clock: C) -> Self {
        EnvelopeBuilder {
            context,
            ids,
            clock,
        }
    }

    /// Builds and validates one envelope.
    ///
    /// # Errors
    ///
    /// [`ValidationErrors`] if any rule fails (bad context, bad payload, bad generated id).
    pub fn build(
        &mut self,
        event_type: EventType,
        aggregate_id: &str,
        payload: Map<String, Value>,
        lamport_clock: u64,
        causation_id: Option<&str>,
    ) -> Result<Envelope, ValidationErrors> {
        let c = &self.context;
        let envelope = Envelope {
            event_id: self.ids.next_id(),
            event_type: event_type.as_str().to_owned(),
            aggregate_id: aggregate_id.to_owned(),
            aggregate_type: aggregate_type_for(event_type, &payload).to_owned(),
            payload,
            timestamp: self.clock.now(),
            node_id: c.node_id.clone(),
            // Values beyond i64::MAX are clamped to -1 so validation rejects them.
            lamport_clock: i64::try_from(lamport_clock).unwrap_or(-1),
            causation_id: causation_id.map(str::to_owned),
            team_slug: c.team_slug.clone(),
            project_uuid: c.project_uuid.clone(),
            project_slug: c.project_slug.clone(),
            git_branch: c.git.branch.clone(),
            head_commit_sha: c.git.head_commit_sha.clone(),
            repo_slug: c.git.repo_slug.clone(),
        };
        envelope.validate()?;
        Ok(envelope)
    }
}
