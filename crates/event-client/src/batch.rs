//! Batches ready to send: queued rows checked, joined into one body and compressed, and a
//! reader thread that prepares the next batch while the current one is on the wire.

use std::collections::VecDeque;
use std::io::Write;
use std::path::Path;
use std::sync::mpsc::SyncSender;

use event_store::{BatchBudget, EventQueue, QueuedEvent};

use crate::error::SyncError;

/// A batch ready to send.
pub(crate) struct Prepared {
    /// The events the body carries, in queue order.
    pub(crate) events: Vec<QueuedEvent>,
    /// Rows that are not one JSON object: they cannot be sent and fail locally.
    pub(crate) broken: Vec<QueuedEvent>,
    /// `{"events": [...]}` of `events`, gzip-compressed.
    pub(crate) gzip: Vec<u8>,
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 4),
        flate2::Compression::fast(),
    );
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

/// Checks, joins and compresses `events`. The stored envelopes go out verbatim; a row
/// that is not one JSON object is set aside (checked without building a tree: this runs
/// for every event).
pub(crate) fn prepare(events: Vec<QueuedEvent>) -> Prepared {
    let (events, broken): (Vec<QueuedEvent>, Vec<QueuedEvent>) =
        events.into_iter().partition(|e| {
            e.data.trim_start().starts_with('{')
                && serde_json::from_str::<serde::de::IgnoredAny>(&e.data).is_ok()
        });
    let mut body = Vec::with_capacity(events.iter().map(|e| e.data.len() + 1).sum::<usize>() + 16);
    body.extend_from_slice(b"{\"events\":[");
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(e.data.as_bytes());
    }
    body.extend_from_slice(b"]}");
    let gzip = if events.is_empty() {
        Vec::new()
    } else {
        gzip(&body)
    };
    Prepared {
        events,
        broken,
        gzip,
    }
}

/// Takes events from the front of `from` within one batch's budget (one larger event
/// goes alone).
pub(crate) fn take_within(
    from: &mut VecDeque<QueuedEvent>,
    max_events: usize,
    max_bytes: usize,
) -> Vec<QueuedEvent> {
    let mut budget = BatchBudget::new(max_events, max_bytes);
    let mut out = Vec::new();
    while from.front().is_some_and(|e| budget.admit(e)) {
        out.extend(from.pop_front());
    }
    out
}

/// The reader: walks the queue at `path` in order on its own connection, preparing one
/// batch after another into `to` (which holds one, so it runs at most one batch ahead of
/// the sender), until the queue is read to its end or the sender hangs up.
pub(crate) fn read_ahead(
    path: &Path,
    max_events: usize,
    max_bytes: usize,
    to: &SyncSender<Result<Prepared, SyncError>>,
) {
    // Read-only: the sender's connection already set the file up; this one only reads.
    let queue = match EventQueue::open_read_only(path) {
        Ok(q) => q,
        Err(e) => {
            let _ = to.send(Err(e.into()));
            return;
        }
    };
    let mut cursor = None;
    loop {
        match queue.next_batch_after(cursor, max_events, max_bytes) {
            Ok(batch) if batch.is_empty() => return,
            Ok(batch) => {
                cursor = batch.last().map(QueuedEvent::position);
                if to.send(Ok(prepare(batch))).is_err() {
                    return;
                }
            }
            Err(e) => {
                let _ = to.send(Err(e.into()));
                return;
            }
        }
    }
}
