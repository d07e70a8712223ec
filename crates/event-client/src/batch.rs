//! Batches ready to send: queued rows checked, joined into one body and compressed, and a
//! reader thread that prepares the next batch while the current one is on the wire.

use std::collections::VecDeque;
use std::io::Write;
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender};

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

/// Joins and compresses batches with one deflate state and one body buffer for all of
/// them: zlib's state (a few hundred KiB, zeroed) is set up once per reader, not once per
/// batch.
pub(crate) struct Packer {
    deflate: flate2::Compress,
    body: Vec<u8>,
}

impl Default for Packer {
    fn default() -> Self {
        Packer {
            // Raw deflate: the gzip frame around it is written here.
            deflate: flate2::Compress::new(flate2::Compression::fast(), false),
            body: Vec::new(),
        }
    }
}

/// The gzip header `flate2::write::GzEncoder` writes at its fastest level: no name, no
/// time, `XFL` 4 (fastest), OS 255 (unknown).
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 255];

impl Packer {
    /// Checks, joins and compresses `events`. The stored envelopes go out verbatim; a row
    /// that is not one JSON object is set aside (checked without building a tree: this
    /// runs for every event).
    pub(crate) fn prepare(&mut self, events: Vec<QueuedEvent>) -> Prepared {
        let is_object = |e: &QueuedEvent| {
            e.data.trim_start().starts_with('{')
                && serde_json::from_str::<serde::de::IgnoredAny>(&e.data).is_ok()
        };
        // Almost always every row is good: the batch is kept as it came, not copied.
        let (events, broken): (Vec<QueuedEvent>, Vec<QueuedEvent>) =
            match events.iter().position(|e| !is_object(e)) {
                None => (events, Vec::new()),
                Some(first_bad) => {
                    let mut rest = events;
                    let tail = rest.split_off(first_bad);
                    let (good, bad): (Vec<_>, Vec<_>) = tail.into_iter().partition(is_object);
                    rest.extend(good);
                    (rest, bad)
                }
            };
        let gzip = if events.is_empty() {
            Vec::new()
        } else {
            self.body.clear();
            self.body.extend_from_slice(b"{\"events\":[");
            for (i, e) in events.iter().enumerate() {
                if i > 0 {
                    self.body.push(b',');
                }
                self.body.extend_from_slice(e.data.as_bytes());
            }
            self.body.extend_from_slice(b"]}");
            self.gzip()
        };
        Prepared {
            events,
            broken,
            gzip,
        }
    }

    /// `self.body` as one gzip member.
    fn gzip(&mut self) -> Vec<u8> {
        self.deflate.reset();
        let input = &self.body[..];
        let mut out = Vec::with_capacity(input.len() / 4 + 1024);
        out.extend_from_slice(&GZIP_HEADER);
        loop {
            let read = usize::try_from(self.deflate.total_in()).unwrap_or(input.len());
            let rest = input.get(read..).unwrap_or_default();
            match self
                .deflate
                .compress_vec(rest, &mut out, flate2::FlushCompress::Finish)
            {
                Ok(flate2::Status::StreamEnd) => break,
                // Out of room: more, then go on.
                Ok(_) => out.reserve(out.capacity().max(4096)),
                // Deflating bytes in memory does not fail; were it to, a fresh encoder
                // does the batch on its own.
                Err(_) => return gzip_once(input),
            }
        }
        let mut crc = flate2::Crc::new();
        crc.update(input);
        out.extend_from_slice(&crc.sum().to_le_bytes());
        // ISIZE: the length modulo 2^32, as gzip defines it.
        out.extend_from_slice(&(input.len() as u32).to_le_bytes());
        out
    }
}

/// `bytes` as one gzip member, by an encoder of its own.
fn gzip_once(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 4),
        flate2::Compression::fast(),
    );
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

/// [`Packer::prepare`] with a packer of its own (a batch split or carried over).
pub(crate) fn prepare(events: Vec<QueuedEvent>) -> Prepared {
    Packer::default().prepare(events)
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
    spent: &Receiver<Prepared>,
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
    let mut packer = Packer::default();
    loop {
        // Batches the sender is done with are freed here, where they were allocated.
        while spent.try_recv().is_ok() {}
        match queue.next_batch_after(cursor, max_events, max_bytes) {
            Ok(batch) if batch.is_empty() => return,
            Ok(batch) => {
                cursor = batch.last().map(QueuedEvent::position);
                if to.send(Ok(packer.prepare(batch))).is_err() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn event(i: i64, data: &str) -> QueuedEvent {
        QueuedEvent {
            id: i,
            event_id: format!("e{i}"),
            event_type: "WPStatusChanged".to_owned(),
            data: data.to_owned(),
            timestamp: i,
        }
    }

    #[test]
    fn a_reused_packer_compresses_each_batch_on_its_own() {
        let mut packer = Packer::default();
        let big: String = (0..5000).map(|i| format!("{i:x}")).collect();
        for batch in [
            vec![event(1, r#"{"a":1}"#), event(2, r#"{"b":"two"}"#)],
            vec![event(3, &format!(r#"{{"big":"{big}"}}"#))],
            vec![event(4, "not json"), event(5, r#"{"c":[1,2,3]}"#)],
            vec![
                event(7, r#"{"d":1}"#),
                event(8, "[1]"),
                event(9, r#"{"e":2}"#),
                event(10, r#"{"f":"#),
                event(11, r#"{"g":3}"#),
            ],
        ] {
            let expected: Vec<String> = batch
                .iter()
                .filter(|e| {
                    serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&e.data)
                        .is_ok()
                })
                .map(|e| e.data.clone())
                .collect();
            let body = format!(r#"{{"events":[{}]}}"#, expected.join(","));
            let total = batch.len();
            let prepared = packer.prepare(batch);
            assert_eq!(prepared.broken.len(), total - expected.len());
            // One gzip member, nothing after it, that gives the body back.
            let mut decoder = flate2::read::GzDecoder::new(&prepared.gzip[..]);
            let mut plain = String::new();
            decoder.read_to_string(&mut plain).unwrap();
            assert!(plain == body, "the batch did not come back as it went in");
            assert!(
                decoder.into_inner().is_empty(),
                "bytes after the gzip member"
            );
            assert_eq!(prepared.gzip[..10], GZIP_HEADER);
            let kept: Vec<&str> = prepared.events.iter().map(|e| e.data.as_str()).collect();
            assert_eq!(kept, expected, "good events kept in queue order");
        }
        assert!(packer.prepare(vec![event(6, "[1]")]).gzip.is_empty());
    }
}
