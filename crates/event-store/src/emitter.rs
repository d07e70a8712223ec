//! `EventEmitter`: context from the real world, one valid envelope, one queue row.

use std::path::Path;

use event_envelope::{EmitterContext, Envelope, EnvelopeBuilder, EventType, GitMetadata};
use serde_json::{Map, Value};
use spec_kitty_home::{CredentialStore, SpecKittyHome};

use crate::clock::LamportClock;
use crate::error::Error;
use crate::git::{git_context, is_repo_slug};
use crate::identity::{ProjectContext, node_id, project_context};
use crate::queue::{Enqueued, EventQueue, QueueFiles, max_queue_size};

/// Everything an emitter stamps on its events, resolved once per process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedContext {
    /// The envelope context (node, team, project, git).
    pub emitter: EmitterContext,
    /// The project found, if any.
    pub project: ProjectContext,
}

/// Where the context comes from; each piece can be given for tests.
#[derive(Debug, Clone, Default)]
pub struct ContextSources {
    /// The host name (`None`: unknown).
    pub hostname: Option<String>,
    /// The user name (`None`: unknown).
    pub username: Option<String>,
}

/// Resolves the emitter context of a working directory: node id from host and user,
/// `team_slug` from `[user].team_slug` of the credentials (else `local`), project identity
/// from `.kittify/config.yaml`, branch and HEAD from the repository (a detached HEAD gives
/// no branch), `repo_slug` from `project.repo_slug` when it is `owner/name` shaped, else
/// from the `origin` remote.
///
/// # Errors
///
/// The credentials file cannot be read, or the project's `.kittify/config.yaml` exists but
/// cannot be read (nothing is stamped from a config whose identity would be lost).
pub fn resolve_context(
    cwd: &Path,
    home: &SpecKittyHome,
    sources: &ContextSources,
) -> Result<ResolvedContext, Error> {
    let login = CredentialStore::new(home).saas_login()?;
    let project = project_context(cwd)?;
    let git = git_context(cwd);
    let repo_slug = project
        .repo_slug
        .clone()
        .filter(|s| is_repo_slug(s))
        // A remote whose path is no `owner/name` the envelope accepts (an Azure project
        // with a space, a `~user` path, a `+` in a name) gives no slug, never a failure.
        .or(git.origin_slug.filter(|s| is_repo_slug(s)));
    let node = node_id(
        sources.hostname.as_deref().unwrap_or("localhost"),
        sources.username.as_deref().unwrap_or("unknown"),
    );
    Ok(ResolvedContext {
        emitter: EmitterContext {
            node_id: node,
            team_slug: login
                .team_slug
                .filter(|t| !routing_core::is_blank(t))
                .unwrap_or_else(|| "local".to_owned()),
            project_uuid: project.uuid.clone(),
            project_slug: project.slug.clone(),
            git: GitMetadata {
                branch: git.branch,
                head_commit_sha: git.head_commit_sha,
                repo_slug,
            },
        },
        project,
    })
}

type IdFn = Box<dyn FnMut() -> String + Send>;
type NowFn = Box<dyn FnMut() -> String + Send>;

/// A fresh ULID.
#[must_use]
pub fn new_event_id() -> String {
    ulid::Ulid::generate().to_string()
}

/// UTC now with microseconds and `+00:00`.
#[must_use]
pub fn now_timestamp() -> String {
    let ts = jiff::Timestamp::now();
    let dt = jiff::tz::TimeZone::UTC.to_datetime(ts);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}+00:00",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.subsec_nanosecond() / 1000
    )
}

/// Builds, validates and queues events.
pub struct EventEmitter {
    clock: LamportClock,
    queue: EventQueue,
    builder: EnvelopeBuilder<IdFn, FnClock>,
    node_fallback: String,
}

/// A [`event_envelope::Clock`] from a closure.
pub struct FnClock(NowFn);

impl event_envelope::Clock for FnClock {
    fn now(&mut self) -> String {
        (self.0)()
    }
}

impl EventEmitter {
    /// An emitter for `home` stamping `context`, with ULID ids and the system clock; it
    /// writes to the active queue ([`QueueFiles::active`]) with the configured cap.
    ///
    /// # Errors
    ///
    /// The credentials or `config.toml` cannot be read, or the queue cannot be opened.
    pub fn open(home: &SpecKittyHome, context: EmitterContext) -> Result<Self, Error> {
        let files = QueueFiles::resolve(home)?;
        let queue = EventQueue::open(files.active(), max_queue_size(home)?)?;
        Ok(Self::with_parts(
            LamportClock::new(home),
            queue,
            context,
            Box::new(new_event_id),
            Box::new(now_timestamp),
        ))
    }

    /// An emitter from its parts (tests inject ids and time).
    #[must_use]
    pub fn with_parts(
        clock: LamportClock,
        queue: EventQueue,
        context: EmitterContext,
        ids: IdFn,
        now: NowFn,
    ) -> Self {
        let node_fallback = context.node_id.clone();
        EventEmitter {
            clock,
            queue,
            builder: EnvelopeBuilder::new(context, ids, FnClock(now)),
            node_fallback,
        }
    }

    /// The queue this emitter writes to.
    #[must_use]
    pub fn queue(&self) -> &EventQueue {
        &self.queue
    }

    /// Builds an envelope, validates it (nothing is ticked or queued when a rule fails),
    /// takes the next Lamport value under the clock's lock, and queues it.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming the field, [`Error::QueueFull`], or a file error.
    pub fn emit(
        &mut self,
        event_type: EventType,
        aggregate_id: &str,
        payload: Map<String, Value>,
        causation_id: Option<&str>,
    ) -> Result<Envelope, Error> {
        let mut envelope =
            self.builder
                .build(event_type, aggregate_id, payload, 0, causation_id)?;
        let tick = self.clock.tick(&self.node_fallback)?;
        envelope.lamport_clock = i64::try_from(tick.value).unwrap_or(-1);
        envelope.node_id = tick.node_id;
        envelope.validate()?;
        let data = serde_json::to_string(&envelope).map_err(|e| Error::BadFile {
            path: self.queue.path().to_path_buf(),
            problem: e.to_string(),
        })?;
        match self
            .queue
            .enqueue(&envelope.event_id, &envelope.event_type, &data)?
        {
            Enqueued::Added | Enqueued::AlreadyQueued => Ok(envelope),
        }
    }
}
