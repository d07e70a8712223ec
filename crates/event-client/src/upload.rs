//! `sync now`: the queue, in batches, to `POST {server}/api/v1/events/batch/`.

use std::collections::{HashMap, VecDeque};
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use event_envelope::{
    BATCH_PATH, BatchResponse, ErrorCategory, EventResult, EventStatus, Failure, Http400Body,
    categorize,
};
use event_store::{BatchBudget, EventQueue, QueuedEvent};

use crate::batch::{Prepared, prepare, read_ahead, take_within};
use http_transport::{
    Answer, RequestPlan, ResponseBody, Secret, Settings, Transport, TransportError, join_url,
};

use serde::Deserialize;

use saas_session::{Auth, SessionError};

use crate::error::{Stopped, SyncError};

/// The most events one batch carries (the contract's limit).
pub const MAX_BATCH_EVENTS: usize = event_envelope::MAX_BATCH_EVENTS;
/// The default budget of one batch: 1 MiB of uncompressed body.
pub const DEFAULT_BATCH_BYTES: usize = 1024 * 1024;
/// The default of [`UploadOptions::delete_every`].
pub const DELETE_EVERY: Duration = Duration::from_secs(1);

/// How to upload.
#[derive(Clone)]
pub struct UploadOptions {
    /// The SaaS base URL.
    pub server_url: String,
    /// The bearer token's source.
    pub auth: Auth,
    /// How to send: timeout, retries of connect errors, timeouts, 408, 429 and 5xx, the
    /// plain-http rule, waits, tracing.
    pub settings: Settings,
    /// Events per batch (1..=1000).
    pub batch_events: usize,
    /// Uncompressed body budget per batch; one larger event is sent alone.
    pub batch_bytes: usize,
    /// How long delivered rows may wait before they are deleted (default 1 s). Deleting
    /// them in one step when a queue is drained is far cheaper than batch by batch; a
    /// crash in between only makes the next run send them again, and the server answers
    /// `duplicate`. `Duration::ZERO` deletes after every answer.
    pub delete_every: Duration,
}

impl UploadOptions {
    /// Defaults for `server_url`: [`Settings::default`] (30 s timeout, 3 attempts), 1000
    /// events / 1 MiB batches.
    #[must_use]
    pub fn new(server_url: impl Into<String>, auth: Auth) -> Self {
        UploadOptions {
            server_url: server_url.into(),
            auth,
            settings: Settings::default(),
            batch_events: MAX_BATCH_EVENTS,
            batch_bytes: DEFAULT_BATCH_BYTES,
            delete_every: DELETE_EVERY,
        }
    }
}

/// What an upload did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Accepted as new.
    pub sent: u64,
    /// Already known to the server (removed from the queue all the same).
    pub duplicate: u64,
    /// Rejected for good: moved to the failed table.
    pub rejected: u64,
    /// Requests made.
    pub requests: u64,
    /// Events still queued when it ended.
    pub left: u64,
    /// The queue files drained.
    pub queues: Vec<PathBuf>,
    /// Queue files that could not be drained (locked by another upload, not a queue
    /// database, not a file...), each with why; the others were drained all the same.
    pub skipped: Vec<(PathBuf, String)>,
    /// Events waiting in the skipped queues, as far as they could be counted.
    pub left_in_skipped: u64,
}

/// Progress after each answered request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Events answered for so far.
    pub done: u64,
    /// Events waiting when the run started.
    pub total: u64,
}

struct Run<'a> {
    opts: &'a UploadOptions,
    transport: Transport,
    /// Attempts the last request took.
    attempts: u32,
    url: String,
    token: Option<Secret>,
    refreshed: bool,
    report: SyncReport,
    total: u64,
    /// Delivered rows of the current queue, not yet deleted.
    delivered: Vec<i64>,
    last_delete: Instant,
    /// Sent events the answer did not settle (not mentioned, or the rest of a 400 that
    /// named others): they lead the next batch.
    carry: VecDeque<QueuedEvent>,
}

/// Holds `<queue>.sync.lock` so that two uploads never send the same event at once.
struct SyncLock(#[allow(dead_code)] File);

fn lock(queue: &Path) -> Result<SyncLock, SyncError> {
    let path = queue.with_extension("db.sync.lock");
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(spec_kitty_home::io("opening", &path))?;
    match spec_kitty_home::try_lock(&f, &path) {
        Ok(()) => Ok(SyncLock(f)),
        Err(spec_kitty_home::HomeError::Busy { .. }) => Err(SyncError::Busy {
            path: queue.display().to_string(),
        }),
        Err(e) => Err(e.into()),
    }
}

use http_transport::one_line as line;

fn answer_text(a: &Answer) -> String {
    match &a.body {
        ResponseBody::Json(v) => line(&v.to_string()),
        ResponseBody::Text(t) => line(t),
    }
}

impl Run<'_> {
    /// Notes delivered rows; deletes the ones noted so far once `delete_every` passed.
    fn deliver(&mut self, queue: &mut EventQueue, ids: &[i64]) -> Result<(), SyncError> {
        self.delivered.extend_from_slice(ids);
        if self.last_delete.elapsed() >= self.opts.delete_every {
            self.delete_delivered(queue)?;
        }
        Ok(())
    }

    fn delete_delivered(&mut self, queue: &mut EventQueue) -> Result<(), SyncError> {
        if !self.delivered.is_empty() {
            queue.remove(&self.delivered)?;
            self.delivered.clear();
        }
        self.last_delete = Instant::now();
        Ok(())
    }

    /// Keeps events to send again. The carry stays in queue order whatever order they
    /// come back in (the halves of a split batch, new events after older ones).
    fn carry_over(&mut self, events: impl IntoIterator<Item = QueuedEvent>) {
        self.carry.extend(events);
        self.carry
            .make_contiguous()
            .sort_unstable_by_key(QueuedEvent::position);
    }

    /// Rows that are not one JSON object cannot be sent: they fail here, locally.
    fn fail_broken(
        &mut self,
        queue: &mut EventQueue,
        broken: &[QueuedEvent],
    ) -> Result<(), SyncError> {
        if !broken.is_empty() {
            let f: Vec<(i64, String, String)> = broken
                .iter()
                .map(|e| {
                    (
                        e.id,
                        "local".into(),
                        "the queued event is not a JSON object".into(),
                    )
                })
                .collect();
            self.report.rejected += queue.fail(&f)?;
        }
        Ok(())
    }

    /// Drains one queue: a reader thread prepares batches in queue order on its own
    /// connection while this thread sends them and applies the answers. Events an answer
    /// did not settle lead the next batch.
    fn drain_queue(
        &mut self,
        path: &Path,
        queue: &mut EventQueue,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(), SyncError> {
        let max_events = self.opts.batch_events.clamp(1, MAX_BATCH_EVENTS);
        let max_bytes = self.opts.batch_bytes.max(1);
        self.carry.clear();
        std::thread::scope(|scope| {
            let (to, from) = std::sync::mpsc::sync_channel(1);
            // Sent batches go back to the reader to be freed by the thread that allocated
            // them, so the allocator reuses that memory instead of taking fresh pages.
            let (spent, spent_rx) = std::sync::mpsc::channel();
            scope.spawn(move || read_ahead(path, max_events, max_bytes, &to, &spent_rx));
            let result = (|| loop {
                let batch = if self.carry.is_empty() {
                    match from.recv() {
                        Ok(next) => next?,
                        Err(_) => return Ok(()), // read to the end
                    }
                } else {
                    // Carried events first; new ones fill what the budget leaves.
                    let mut budget = BatchBudget::new(max_events, max_bytes);
                    let all_fit = self.carry.iter().all(|e| budget.admit(e));
                    if all_fit
                        && budget.has_room()
                        && let Ok(next) = from.recv()
                    {
                        let next = next?;
                        self.fail_broken(queue, &next.broken)?;
                        self.carry_over(next.events);
                    }
                    prepare(take_within(&mut self.carry, max_events, max_bytes))
                };
                self.send(queue, &batch, progress)?;
                let _ = spent.send(batch);
            })();
            // Hanging up stops the reader.
            drop(from);
            result
        })
    }

    fn progress(&self, f: &mut dyn FnMut(Progress)) {
        f(Progress {
            done: self.report.sent + self.report.duplicate + self.report.rejected,
            total: self.total,
        });
    }

    fn post(&mut self, compressed: &[u8]) -> Result<Answer, SyncError> {
        loop {
            let mut plan = RequestPlan::post(&self.url)
                .header("Content-Type", "application/json")
                .header("Content-Encoding", "gzip")
                .content_length_header(compressed.len() as u64)
                .user_agent_header()
                // A 2xx answer is read straight into `BatchResponse` (see `send`).
                .raw_answer();
            if let Some(t) = &self.token {
                plan = plan.secret_header("Authorization", "Bearer ", t);
            }
            let exchange = self
                .transport
                .execute(&plan, || Ok::<_, TransportError>(compressed))?;
            self.attempts = exchange.attempts;
            let answer = if exchange.answer.is_success() {
                exchange.answer
            } else {
                exchange.answer.parsed()
            };
            self.report.requests += 1;
            if matches!(answer.status, 401 | 403) {
                if !self.refreshed && self.opts.auth.can_refresh() {
                    self.refreshed = true;
                    self.token = Some(
                        self.opts
                            .auth
                            .refresh(&self.transport, self.token.as_ref())?,
                    );
                    continue;
                }
                return Err(SyncError::Session(SessionError::Refused {
                    status: answer.status,
                    detail: answer.summary(),
                }));
            }
            return Ok(answer);
        }
    }

    /// Sends a prepared batch and applies the answer; splits the group on a 413 or a 400
    /// that names no event. Every call either removes/fails at least one event or returns
    /// an error: no loop, whatever the server answers.
    fn send(
        &mut self,
        queue: &mut EventQueue,
        batch: &Prepared,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(), SyncError> {
        self.fail_broken(queue, &batch.broken)?;
        if batch.events.is_empty() {
            return Ok(());
        }
        let good = &batch.events;
        let answer = self.post(&batch.gzip)?;
        let split = |run: &mut Self, queue: &mut EventQueue, progress: &mut dyn FnMut(Progress)| {
            let mut a = good.clone();
            let b = a.split_off(a.len() / 2);
            run.send(queue, &prepare(a), progress)?;
            run.send(queue, &prepare(b), progress)
        };
        match answer.status {
            200..=299 => {
                // Read without a JSON tree: this is every answer of an upload.
                let results: Option<BatchResponse> = match &answer.body {
                    ResponseBody::Text(t) if !answer.incomplete => serde_json::from_str(t).ok(),
                    ResponseBody::Text(_) => None,
                    ResponseBody::Json(v) => BatchResponse::deserialize(v).ok(),
                };
                let Some(results) = results else {
                    let answer = answer.parsed();
                    return Err(SyncError::NoProgress {
                        reason: format!(
                            "the server answered HTTP {} without per-event results ({})",
                            answer.status,
                            answer_text(&answer)
                        ),
                    });
                };
                let by_id: HashMap<&str, &EventResult> = results
                    .results
                    .iter()
                    .map(|r| (r.event_id.as_str(), r))
                    .collect();
                let (mut delivered, mut failed, mut unsettled) =
                    (Vec::new(), Vec::new(), Vec::new());
                for e in good {
                    match by_id.get(e.event_id.as_str()) {
                        Some(r) if r.status == EventStatus::Success => {
                            self.report.sent += 1;
                            delivered.push(e.id);
                        }
                        Some(r) if r.status == EventStatus::Duplicate => {
                            self.report.duplicate += 1;
                            delivered.push(e.id);
                        }
                        Some(r) => {
                            let reason = line(r.reason().unwrap_or("rejected without a reason"));
                            let category = categorize(Failure::Message(&reason));
                            failed.push((e.id, category.as_str().to_owned(), reason));
                        }
                        None => unsettled.push(e.clone()),
                    }
                }
                self.carry_over(unsettled);
                if delivered.is_empty() && failed.is_empty() {
                    return Err(SyncError::NoProgress {
                        reason: format!(
                            "the server answered HTTP {} with no result for any of the {} events sent",
                            answer.status,
                            good.len()
                        ),
                    });
                }
                self.deliver(queue, &delivered)?;
                self.report.rejected += queue.fail(&failed)?;
                self.progress(progress);
                Ok(())
            }
            400 => {
                let body400 = answer.json().and_then(Http400Body::from_value);
                let named = body400
                    .as_ref()
                    .map(|b| b.details.reasons_by_event_id())
                    .unwrap_or_default();
                let failed: Vec<(i64, String, String)> = good
                    .iter()
                    .filter_map(|e| {
                        named.get(e.event_id.as_str()).map(|reason| {
                            let reason = line(reason);
                            let category = categorize(Failure::Http {
                                status: 400,
                                message: &reason,
                            });
                            (e.id, category.as_str().to_owned(), reason)
                        })
                    })
                    .collect();
                if !failed.is_empty() {
                    // Only the named events fail; the others go again in the next batch.
                    self.carry_over(
                        good.iter()
                            .filter(|e| !named.contains_key(e.event_id.as_str()))
                            .cloned(),
                    );
                    self.report.rejected += queue.fail(&failed)?;
                    self.progress(progress);
                    return Ok(());
                }
                if good.len() == 1 {
                    let reason = answer_text(&answer);
                    let category = categorize(Failure::Http {
                        status: 400,
                        message: &reason,
                    });
                    self.report.rejected +=
                        queue.fail(&[(good[0].id, category.as_str().to_owned(), reason)])?;
                    self.progress(progress);
                    return Ok(());
                }
                // A 400 that names no event: halve until each bad event is alone.
                split(self, queue, progress)
            }
            413 => {
                if good.len() == 1 {
                    let reason = format!(
                        "the event ({} bytes) is larger than the server accepts (HTTP 413)",
                        good[0].data.len()
                    );
                    self.report.rejected += queue.fail(&[(
                        good[0].id,
                        ErrorCategory::Unknown.as_str().to_owned(),
                        reason,
                    )])?;
                    self.progress(progress);
                    return Ok(());
                }
                split(self, queue, progress)
            }
            s if http_transport::is_transient_status(s) => Err(SyncError::ServerFailed {
                status: s,
                url: http_transport::redact_url(&self.url),
                attempts: self.attempts,
            }),
            s => Err(SyncError::NoProgress {
                reason: format!(
                    "the server answered HTTP {s} at {}: {}",
                    http_transport::redact_url(&self.url),
                    answer_text(&answer)
                ),
            }),
        }
    }
}

/// Uploads every queued event of `queues` (oldest queue first), batch by batch.
///
/// Rows leave a queue only after the server's answer for them was read: `success` and
/// `duplicate` remove them, `rejected` (per event, or named in a 400's `details`) moves
/// them to the failed table. A 413 or a 400 that names no event halves the batch until the
/// bad event is alone. Transient failures are retried (`RetryPolicy`), then the run stops
/// with the events intact. Each queue is locked for the run, so two uploads never send the
/// same event at once.
///
/// # Errors
///
/// [`Stopped`] (boxed) with the error and what was done before it.
pub fn sync_now(
    queues: &[PathBuf],
    opts: &UploadOptions,
    mut progress: impl FnMut(Progress),
) -> Result<SyncReport, Box<Stopped>> {
    let mut run = Run {
        opts,
        transport: opts.settings.transport(),
        attempts: 0,
        url: join_url(&opts.server_url, BATCH_PATH),
        token: None,
        refreshed: false,
        report: SyncReport::default(),
        total: 0,
        delivered: Vec::new(),
        last_delete: Instant::now(),
        carry: VecDeque::new(),
    };
    let result = drain(&mut run, queues, &mut progress);
    let report = run.report;
    match result {
        Ok(()) => Ok(report),
        Err(error) => Err(Box::new(Stopped { error, report })),
    }
}

fn drain(
    run: &mut Run<'_>,
    queues: &[PathBuf],
    progress: &mut dyn FnMut(Progress),
) -> Result<(), SyncError> {
    // A bad target is refused before any queue is opened or any event read.
    http_transport::check_base_url(run.opts.server_url.trim())?;
    http_transport::check_target(
        &run.url,
        !matches!(run.opts.auth, Auth::None),
        run.opts.settings.allow_insecure_http,
    )?;
    // Each queue on its own: one that cannot be opened (locked, corrupt, not a file) is
    // reported and skipped; the others are drained.
    let mut open = Vec::new();
    let mut first_problem: Option<SyncError> = None;
    for path in queues {
        let opened = (|| -> Result<_, SyncError> {
            let lock = lock(path)?;
            let mut q = EventQueue::open(path, u64::MAX)?;
            q.relax_durability_for_deletes()?;
            q.normalize_times()?;
            let pending = q.pending()?;
            Ok((q, lock, pending))
        })();
        match opened {
            Ok((q, lock, pending)) => {
                run.total += pending;
                open.push((path.clone(), q, lock));
            }
            Err(e) => {
                run.report.left_in_skipped += EventQueue::open_read_only(path)
                    .and_then(|q| q.pending())
                    .unwrap_or(0);
                run.report.skipped.push((path.clone(), e.to_string()));
                first_problem.get_or_insert(e);
            }
        }
    }
    let result = (|| -> Result<(), SyncError> {
        if run.total > 0 {
            run.token = run.opts.auth.current(&run.transport)?;
        }
        for (path, queue, _) in &mut open {
            run.report.queues.push(path.clone());
            let sent = run.drain_queue(path, queue, progress);
            // Delivered rows are deleted whatever stopped the run; if even that fails,
            // they stay queued and come back `duplicate` next time: nothing is lost.
            let deleted = run.delete_delivered(queue);
            sent.and(deleted)?;
        }
        Ok(())
    })();
    run.report.left = open
        .iter()
        .map(|(_, q, _)| q.pending().unwrap_or(0))
        .sum::<u64>()
        + run.report.left_in_skipped;
    for (_, q, _) in &open {
        q.restore_rollback_journal();
    }
    // The drained queues' outcome first; then the first queue that could not be opened.
    result?;
    first_problem.map_or(Ok(()), Err)
}
