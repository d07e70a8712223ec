//! The history import: a project's lane logs (and `meta.json`, `tasks/WP*.md`) into the
//! queue as the events the Python CLI's emitter would have built, exactly once.
//!
//! Per feature, in order: `FeatureCreated` (from `meta.json`), one `WPCreated` per work
//! package (title and dependencies from its front matter), then one `WPStatusChanged` per
//! lane-log row in file order. A row's envelope carries the row's own `event_id` and its
//! `at` as `timestamp`; a derived event's id is a ULID whose time is the event's and whose
//! random part is a hash of what it describes, so every run builds the same ids and the
//! queue (or the server, after an upload) recognizes them.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use event_envelope::{EmitterContext, Envelope, EventType, aggregate_type_of};
use lane_log::{BadLine, Feature, LaneRow};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::clock::LamportClock;
use crate::error::Error;
use crate::queue::EventQueue;

/// Events built and queued together (one clock reservation, one transaction).
const CHUNK: usize = 2500;

/// What to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Only these features (directory name or `feature_slug`); empty: all.
    pub features: Vec<String>,
    /// Only events at or after this time.
    pub since: Option<jiff::Timestamp>,
    /// Build and count, queue nothing.
    pub dry_run: bool,
    /// Keep the envelopes that are (or would be) queued, for a caller to show.
    pub keep_envelopes: bool,
}

/// Something the import could not turn into an event; nothing was queued for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The file the event came from.
    pub path: PathBuf,
    /// The 1-based line of a lane-log row; `None` for a derived event.
    pub line: Option<usize>,
    /// Why.
    pub reason: String,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportReport {
    /// Events queued (or that would be), by feature and event type.
    pub queued: BTreeMap<(String, String), u64>,
    /// Events already in the queue (waiting or failed), so not queued again.
    pub already_queued: u64,
    /// Events before `since`.
    pub before_since: u64,
    /// Lines of a lane log that are not a lane transition.
    pub bad_lines: Vec<(PathBuf, BadLine)>,
    /// Events that break the rules (a lane, an id, a time), listed and never queued.
    pub refused: Vec<Refused>,
    /// What was left out and why, e.g. a feature without `meta.json`.
    pub notes: Vec<String>,
    /// The envelopes queued (or that would be), when asked for.
    pub envelopes: Vec<Envelope>,
}

impl ImportReport {
    /// Events queued (or that would be), in all.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.queued.values().sum()
    }
}

/// An import that stopped: the error, and what was queued before it.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct ImportStopped {
    /// Why it stopped.
    pub error: Error,
    /// What was done before (the events counted in `queued` are in the queue).
    pub report: ImportReport,
}

/// A ULID for a derived event: the time part from `at` (0 when unreadable), the random
/// part from a hash of `what`.
#[must_use]
pub fn derived_event_id(at: &str, what: &[&str]) -> String {
    let ms = at
        .parse::<jiff::Timestamp>()
        .ok()
        .and_then(|t| u64::try_from(t.as_millisecond()).ok())
        .unwrap_or(0)
        & ((1 << 48) - 1);
    let mut h = Sha256::new();
    h.update(b"spec-kitty-rs/history-import");
    for part in what {
        h.update([0u8]);
        h.update(part.as_bytes());
    }
    let digest = h.finalize();
    let mut random = [0u8; 16];
    random[6..].copy_from_slice(&digest[..10]);
    ulid::Ulid::from_parts(ms, u128::from_be_bytes(random)).to_string()
}

/// An event before its Lamport value.
struct Pending {
    feature: Rc<str>,
    path: Rc<Path>,
    line: Option<usize>,
    envelope: Envelope,
}

fn envelope(
    ctx: &EmitterContext,
    event_type: EventType,
    event_id: String,
    aggregate_id: &str,
    timestamp: &str,
    payload: Map<String, Value>,
) -> Envelope {
    Envelope {
        event_id,
        event_type: event_type.as_str().to_owned(),
        aggregate_id: aggregate_id.to_owned(),
        aggregate_type: aggregate_type_of(event_type).to_owned(),
        payload,
        timestamp: timestamp.to_owned(),
        node_id: ctx.node_id.clone(),
        lamport_clock: 0,
        causation_id: None,
        team_slug: ctx.team_slug.clone(),
        project_uuid: ctx.project_uuid.clone(),
        project_slug: ctx.project_slug.clone(),
        git_branch: ctx.git.branch.clone(),
        head_commit_sha: ctx.git.head_commit_sha.clone(),
        repo_slug: ctx.git.repo_slug.clone(),
    }
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// `FeatureCreated` and the `WPCreated`s of a feature, as the Python emitter's builders
/// shape their payloads.
fn derived(ctx: &EmitterContext, f: &Feature, report: &mut ImportReport) -> Vec<Pending> {
    let mut out = Vec::new();
    let slug = f.feature_slug().to_owned();
    let meta_path = f.dir.join("meta.json");
    match &f.meta {
        Some(meta) => match (
            meta.feature_number.as_deref(),
            meta.target_branch.as_deref(),
            meta.created_at.as_deref(),
        ) {
            (Some(number), Some(branch), Some(at)) => {
                let payload = json!({
                    "feature_slug": slug,
                    "feature_number": number,
                    "target_branch": branch,
                    "wp_count": f.work_packages.len(),
                    "created_at": at,
                });
                out.push(Pending {
                    feature: Rc::from(f.slug.as_str()),
                    path: Rc::from(meta_path.as_path()),
                    line: None,
                    envelope: envelope(
                        ctx,
                        EventType::FeatureCreated,
                        derived_event_id(at, &["FeatureCreated", &slug]),
                        &slug,
                        at,
                        object(payload),
                    ),
                });
            }
            _ => report.notes.push(format!(
                "{}: no FeatureCreated (meta.json lacks feature_number, target_branch or created_at)",
                meta_path.display()
            )),
        },
        None => report.notes.push(format!(
            "{}: no FeatureCreated ({})",
            meta_path.display(),
            f.meta_problem.as_deref().unwrap_or("no meta.json")
        )),
    }
    for (path, problem) in &f.wp_problems {
        report
            .notes
            .push(format!("{}: no WPCreated ({problem})", path.display()));
    }
    let fallback_at = f.meta.as_ref().and_then(|m| m.created_at.clone());
    for wp in &f.work_packages {
        let (Some(title), Some(at)) = (
            wp.title.as_deref(),
            wp.created_at.clone().or(fallback_at.clone()),
        ) else {
            report.notes.push(format!(
                "{}: no WPCreated (no title, or no time in its history or meta.json)",
                wp.path.display()
            ));
            continue;
        };
        let payload = json!({
            "wp_id": wp.wp_id,
            "title": title,
            "feature_slug": slug,
            "dependencies": wp.dependencies,
        });
        out.push(Pending {
            feature: Rc::from(f.slug.as_str()),
            path: Rc::from(wp.path.as_path()),
            line: None,
            envelope: envelope(
                ctx,
                EventType::WPCreated,
                derived_event_id(&at, &["WPCreated", &slug, &wp.wp_id]),
                &wp.wp_id,
                &at,
                object(payload),
            ),
        });
    }
    out
}

/// The `WPStatusChanged` of one lane-log row: the payload the Python emitter builds for a
/// live transition.
fn status_changed(
    ctx: &EmitterContext,
    f: &Feature,
    (feature, path): (&Rc<str>, &Rc<Path>),
    row: LaneRow,
    line: usize,
) -> Pending {
    let mut envelope = envelope(
        ctx,
        EventType::WPStatusChanged,
        row.event_id,
        &row.wp_id,
        &row.at,
        Map::new(),
    );
    let p = &mut envelope.payload;
    p.insert("wp_id".into(), Value::String(row.wp_id));
    p.insert("from_lane".into(), Value::String(row.from_lane));
    p.insert("to_lane".into(), Value::String(row.to_lane));
    p.insert("actor".into(), row.actor.map_or(Value::Null, Value::String));
    p.insert(
        "feature_slug".into(),
        Value::String(
            row.feature_slug
                .unwrap_or_else(|| f.feature_slug().to_owned()),
        ),
    );
    p.insert(
        "policy_metadata".into(),
        row.policy_metadata.map_or(Value::Null, Value::Object),
    );
    Pending {
        feature: Rc::clone(feature),
        path: Rc::clone(path),
        line: Some(line),
        envelope,
    }
}

/// A chunk ready to be written: the rows, and what they count for once written.
struct Prepared {
    rows: Vec<(String, String, String)>,
    counts: Vec<((String, String), u64)>,
    envelopes: Vec<Envelope>,
}

/// Builds chunks of events (validated, filtered, ids known to the queue left out, Lamport
/// values reserved, serialized) and hands them to the writer.
struct Sink<'a> {
    /// A read-only view of the queue, to leave out the ids it holds; `None`: no queue
    /// file yet (a dry run): nothing is known.
    known: Option<EventQueue>,
    clock: &'a LamportClock,
    opts: &'a ImportOptions,
    report: ImportReport,
    /// Ids seen in this run (as numbers: every id reaching here is a valid ULID).
    seen: HashSet<u128>,
    pending: Vec<Pending>,
    out: std::sync::mpsc::SyncSender<Prepared>,
}

/// The writer went away (it failed); its error is the one to report.
struct WriterGone;

impl From<WriterGone> for Error {
    fn from(_: WriterGone) -> Self {
        Error::BadFile {
            path: PathBuf::from("queue"),
            problem: "the queue writer stopped".to_owned(),
        }
    }
}

impl Sink<'_> {
    fn push(&mut self, p: Pending) -> Result<(), Error> {
        if let Err(e) = p.envelope.validate() {
            self.report.refused.push(Refused {
                path: p.path.to_path_buf(),
                line: p.line,
                reason: e.to_string(),
            });
            return Ok(());
        }
        if let Some(since) = self.opts.since
            && p.envelope
                .timestamp
                .parse::<jiff::Timestamp>()
                .is_ok_and(|t| t < since)
        {
            self.report.before_since += 1;
            return Ok(());
        }
        let id = ulid::Ulid::from_string(&p.envelope.event_id).map_or(0, u128::from);
        if !self.seen.insert(id) {
            return Ok(()); // the same transition twice in one log: once is enough
        }
        self.pending.push(p);
        if self.pending.len() >= CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Error> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut chunk = std::mem::take(&mut self.pending);
        let known = match &self.known {
            Some(q) => q.known_ids(chunk.iter().map(|p| p.envelope.event_id.as_str()))?,
            None => HashSet::new(),
        };
        let before = chunk.len();
        chunk.retain(|p| !known.contains(&p.envelope.event_id));
        self.report.already_queued += (before - chunk.len()) as u64;
        if chunk.is_empty() {
            return Ok(());
        }
        let mut rows = Vec::new();
        if self.opts.dry_run {
            let (value, _) = self.clock.read()?;
            for (i, p) in chunk.iter_mut().enumerate() {
                p.envelope.lamport_clock =
                    i64::try_from(value.saturating_add(1 + i as u64)).unwrap_or(i64::MAX);
            }
        } else {
            let fallback = chunk[0].envelope.node_id.clone();
            let tick = self.clock.reserve(chunk.len() as u64, &fallback)?;
            rows.reserve(chunk.len());
            for (i, p) in chunk.iter_mut().enumerate() {
                p.envelope.lamport_clock =
                    i64::try_from(tick.value.saturating_add(i as u64)).unwrap_or(i64::MAX);
                p.envelope.node_id.clone_from(&tick.node_id);
                let data = serde_json::to_string(&p.envelope).map_err(|e| Error::BadFile {
                    path: PathBuf::from("queue"),
                    problem: e.to_string(),
                })?;
                rows.push((
                    p.envelope.event_id.clone(),
                    p.envelope.event_type.clone(),
                    data,
                ));
            }
        }
        let mut counts: Vec<((String, String), u64)> = Vec::new();
        let mut envelopes = Vec::new();
        for p in chunk {
            match counts.last_mut() {
                Some(((f, t), n)) if **f == *p.feature && *t == p.envelope.event_type => *n += 1,
                _ => counts.push(((p.feature.to_string(), p.envelope.event_type.clone()), 1)),
            }
            if self.opts.keep_envelopes {
                envelopes.push(p.envelope);
            }
        }
        self.out
            .send(Prepared {
                rows,
                counts,
                envelopes,
            })
            .map_err(|_| WriterGone)?;
        Ok(())
    }
}

/// Writes prepared chunks, one transaction each, and counts them once written.
fn write_chunks(
    queue: Option<&mut EventQueue>,
    chunks: &std::sync::mpsc::Receiver<Prepared>,
    dry_run: bool,
    report: &mut ImportReport,
) -> Result<(), Error> {
    let mut queue = queue;
    for chunk in chunks {
        if !dry_run && let Some(q) = queue.as_deref_mut() {
            let rows: Vec<(&str, &str, &str)> = chunk
                .rows
                .iter()
                .map(|(id, t, d)| (id.as_str(), t.as_str(), d.as_str()))
                .collect();
            q.enqueue_checked_many(&rows)?;
        }
        for (key, n) in chunk.counts {
            *report.queued.entry(key).or_default() += n;
        }
        report.envelopes.extend(chunk.envelopes);
    }
    Ok(())
}

/// Imports the history of the project at `root` into `queue`, stamping `context` (as
/// `events emit` does) and taking Lamport values from `clock`. A dry run reads the queue
/// (to leave out what it holds) and the clock, and writes neither; `queue` may be `None`
/// there when no queue file exists yet.
///
/// Exactly once: an event whose id the queue already holds (waiting or failed) is not
/// queued again. A malformed lane-log line is reported with its file and line and
/// skipped; an event that breaks the rules is listed and never queued; the rest imports.
/// Events are queued in chunks, each chunk in one transaction: a crash leaves whole
/// chunks, and a rerun queues the rest.
///
/// # Errors
///
/// A file that cannot be read, the clock, or the queue (full: nothing of that chunk was
/// queued; what the report says was queued stays).
pub fn import_history(
    root: &Path,
    context: &EmitterContext,
    queue: Option<&mut EventQueue>,
    clock: &LamportClock,
    opts: &ImportOptions,
) -> Result<ImportReport, Box<ImportStopped>> {
    let known = match &queue {
        Some(q) => match EventQueue::open_read_only(q.path()) {
            Ok(r) => Some(r),
            Err(error) => {
                return Err(Box::new(ImportStopped {
                    error,
                    report: ImportReport::default(),
                }));
            }
        },
        None => None,
    };
    // Reading, checking and serializing on one thread, writing on this one: the two
    // halves of an import take about the same time.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Prepared>(2);
    let mut written = ImportReport::default();
    let (built, write_result) = std::thread::scope(|scope| {
        let producer = scope.spawn(move || {
            let mut sink = Sink {
                known,
                clock,
                opts,
                report: ImportReport::default(),
                seen: HashSet::new(),
                pending: Vec::new(),
                out: tx,
            };
            let result = run(root, context, &mut sink).and_then(|()| sink.flush());
            (sink.report, result)
        });
        let write_result = write_chunks(queue, &rx, opts.dry_run, &mut written);
        drop(rx);
        let built = producer.join();
        (built, write_result)
    });
    let Ok((mut report, build_result)) = built else {
        return Err(Box::new(ImportStopped {
            error: Error::BadFile {
                path: root.to_path_buf(),
                problem: "the import's reader thread failed".to_owned(),
            },
            report: written,
        }));
    };
    report.queued = written.queued;
    report.envelopes = written.envelopes;
    match (write_result, build_result) {
        (Err(error), _) | (Ok(()), Err(error)) => Err(Box::new(ImportStopped { error, report })),
        (Ok(()), Ok(())) => Ok(report),
    }
}

fn run(root: &Path, context: &EmitterContext, sink: &mut Sink<'_>) -> Result<(), Error> {
    let features = lane_log::scan_features(root).map_err(Error::from_lane_log)?;
    for wanted in &sink.opts.features {
        if !features
            .iter()
            .any(|f| &f.slug == wanted || f.feature_slug() == wanted)
        {
            sink.report.notes.push(format!(
                "no feature {wanted:?} in {}",
                root.join(lane_log::FEATURES_DIR).display()
            ));
        }
    }
    for f in features.iter().filter(|f| {
        sink.opts.features.is_empty()
            || sink
                .opts
                .features
                .iter()
                .any(|w| w == &f.slug || w == f.feature_slug())
    }) {
        for p in derived(context, f, &mut sink.report) {
            sink.push(p)?;
        }
        let Some(reader) = f.rows().map_err(Error::from_lane_log)? else {
            sink.report
                .notes
                .push(format!("{}: no lane log", f.lane_log_path().display()));
            continue;
        };
        let mut reader = reader;
        let log_path: Rc<Path> = Rc::from(f.lane_log_path().as_path());
        let feature: Rc<str> = Rc::from(f.slug.as_str());
        while let Some(item) = reader.next() {
            let item = item.map_err(|e| Error::Io {
                action: "reading",
                path: f.lane_log_path(),
                source: e,
            })?;
            match item {
                Ok(row) => sink.push(status_changed(
                    context,
                    f,
                    (&feature, &log_path),
                    row,
                    reader.line(),
                ))?,
                Err(bad) => sink.report.bad_lines.push((f.lane_log_path(), bad)),
            }
        }
    }
    Ok(())
}
