//! The lane log, line by line.

use std::io::BufRead;

use serde::Deserialize;
use serde_json::{Map, Value};

/// The longest lane-log line read (a longer one is a [`BadLine`]).
pub const MAX_LINE: usize = 1024 * 1024;

/// One lane transition, as the Python CLI writes it to `status.events.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LaneRow {
    /// The transition's id (a ULID).
    pub event_id: String,
    /// The feature.
    #[serde(default)]
    pub feature_slug: Option<String>,
    /// The work package (`WP01`).
    pub wp_id: String,
    /// The lane it left.
    pub from_lane: String,
    /// The lane it entered.
    pub to_lane: String,
    /// When (ISO 8601, as written).
    pub at: String,
    /// Who moved it.
    #[serde(default)]
    pub actor: Option<String>,
    /// Whether the move bypassed the guards.
    #[serde(default)]
    pub force: bool,
    /// `worktree` or `direct_repo`.
    #[serde(default)]
    pub execution_mode: Option<String>,
    /// Why (a forced move).
    #[serde(default)]
    pub reason: Option<String>,
    /// The review reference.
    #[serde(default)]
    pub review_ref: Option<String>,
    /// Done evidence, as written.
    #[serde(default)]
    pub evidence: Option<Value>,
    /// Policy metadata, as written (an object or null).
    #[serde(default)]
    pub policy_metadata: Option<Map<String, Value>>,
}

/// A line that is not a lane transition: its 1-based number and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong, on one line.
    pub message: String,
}

/// Reads a lane log line by line: each item is a row or a bad line; blank lines are
/// skipped (as the Python CLI does). An IO error ends the iteration with that error.
pub struct LogReader<R> {
    reader: R,
    line: usize,
    buf: Vec<u8>,
}

impl<R: BufRead> LogReader<R> {
    /// A reader over `reader`.
    pub fn new(reader: R) -> Self {
        LogReader {
            reader,
            line: 0,
            buf: Vec::new(),
        }
    }

    /// The 1-based number of the line the last item came from.
    #[must_use]
    pub fn line(&self) -> usize {
        self.line
    }
}

/// Why a line's JSON is not a lane transition, on one line.
fn describe(e: &serde_json::Error) -> String {
    let text = e.to_string();
    // serde's "at line 1 column N" is about the line itself; keep it, it is short.
    text.replace('\n', " ")
}

/// Parses one line.
///
/// # Errors
///
/// Why it is not a lane transition.
pub(crate) fn parse_line(text: &[u8]) -> Result<LaneRow, String> {
    let row: LaneRow = serde_json::from_slice(text).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => describe(&e),
        _ => format!("not JSON ({})", describe(&e)),
    })?;
    for (name, value) in [
        ("event_id", &row.event_id),
        ("wp_id", &row.wp_id),
        ("at", &row.at),
    ] {
        if value.trim().is_empty() {
            return Err(format!("{name} is empty"));
        }
    }
    for (name, lane) in [("from_lane", &row.from_lane), ("to_lane", &row.to_lane)] {
        if !event_envelope::LANES.contains(&lane.as_str()) {
            return Err(format!(
                "{name} {lane:?} is not one of: {}",
                event_envelope::LANES.join(", ")
            ));
        }
    }
    Ok(row)
}

impl<R: BufRead> Iterator for LogReader<R> {
    type Item = std::io::Result<Result<LaneRow, BadLine>>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.buf.clear();
            let mut limited = std::io::Read::take(&mut self.reader, MAX_LINE as u64 + 1);
            match limited.read_until(b'\n', &mut self.buf) {
                Err(e) => return Some(Err(e)),
                Ok(0) => return None,
                Ok(_) => {}
            }
            self.line += 1;
            if self.buf.len() > MAX_LINE && !self.buf.ends_with(b"\n") {
                // Skip the rest of the overlong line.
                let mut rest = Vec::new();
                if let Err(e) = self.reader.read_until(b'\n', &mut rest) {
                    return Some(Err(e));
                }
                return Some(Ok(Err(BadLine {
                    line: self.line,
                    message: format!("longer than {MAX_LINE} bytes"),
                })));
            }
            let text = self.buf.trim_ascii();
            if text.is_empty() {
                continue;
            }
            return Some(Ok(parse_line(text).map_err(|message| BadLine {
                line: self.line,
                message,
            })));
        }
    }
}
