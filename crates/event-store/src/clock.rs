//! The per-user Lamport clock in `~/.spec-kitty/clock.json` (the Python CLI's file and
//! format), incremented under an exclusive lock and written atomically, so concurrent
//! emitters in any mix of processes and threads never share a value.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use spec_kitty_home::SpecKittyHome;

use crate::error::{Error, io};

/// The clock file and its lock.
#[derive(Debug, Clone)]
pub struct LamportClock {
    path: PathBuf,
    lock_path: PathBuf,
}

/// What one tick read and wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tick {
    /// The new value (the previous one plus one).
    pub value: u64,
    /// The node id stored in the file (written there when it had none).
    pub node_id: String,
}

fn is_node_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl LamportClock {
    /// The clock of a spec-kitty home (`clock.json`, locked through `clock.json.lock`).
    #[must_use]
    pub fn new(home: &SpecKittyHome) -> Self {
        LamportClock {
            path: home.dir().join("clock.json"),
            lock_path: home.dir().join("clock.json.lock"),
        }
    }

    /// The clock file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> Result<File, Error> {
        if let Some(dir) = self.lock_path.parent() {
            std::fs::create_dir_all(dir).map_err(io("creating", dir))?;
        }
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.lock_path)
            .map_err(io("opening", &self.lock_path))?;
        spec_kitty_home::lock_within(&f, &self.lock_path, spec_kitty_home::LOCK_TIMEOUT)?;
        Ok(f)
    }

    /// The stored value and node id (0 and `None` when there is no file).
    ///
    /// # Errors
    ///
    /// An unreadable file, or one that is not the clock's JSON (it is left untouched).
    pub fn read(&self) -> Result<(u64, Option<String>), Error> {
        let Some(text) = spec_kitty_home::read_user_file(&self.path)? else {
            return Ok((0, None));
        };
        let bad = |what: &str| Error::BadFile {
            path: self.path.clone(),
            problem: what.to_owned(),
        };
        let v: Value = serde_json::from_str(&text).map_err(|_| bad("it is not JSON"))?;
        // Only the clock's own shape is read: anything else (null, a number, a list, a
        // misspelt key, a null value) would silently restart the clock at 1.
        let Value::Object(fields) = &v else {
            return Err(bad("it is not a JSON object with a `value`"));
        };
        let value = fields
            .get("value")
            .ok_or_else(|| bad("it has no `value`"))?
            .as_u64()
            .ok_or_else(|| bad("`value` is not a non-negative integer"))?;
        let node = v
            .get("node_id")
            .and_then(Value::as_str)
            .filter(|s| is_node_id(s))
            .map(str::to_owned);
        Ok((value, node))
    }

    /// Increments the clock under the lock and writes it atomically; `fallback_node_id`
    /// is stored when the file has no node id yet.
    ///
    /// # Errors
    ///
    /// A lock, read or write error, or a malformed clock file (left untouched).
    pub fn tick(&self, fallback_node_id: &str) -> Result<Tick, Error> {
        self.reserve(1, fallback_node_id)
    }

    /// Takes `n` consecutive values under one lock and one write (for many events queued
    /// at once); the returned tick holds the first of them. `n` of 0 takes 1.
    ///
    /// # Errors
    ///
    /// As [`LamportClock::tick`]; a clock that would pass its maximum is refused, file
    /// untouched.
    pub fn reserve(&self, n: u64, fallback_node_id: &str) -> Result<Tick, Error> {
        let _lock = self.lock()?;
        let (value, node) = self.read()?;
        let at_max = || Error::BadFile {
            path: self.path.clone(),
            problem: "the clock is at its maximum".to_owned(),
        };
        // The envelope's `lamport_clock` is a signed 64-bit integer: a clock at or past
        // i64::MAX has no next value, and nothing is written.
        let first = value.checked_add(1).ok_or_else(at_max)?;
        let last = value
            .checked_add(n.max(1))
            .filter(|l| i64::try_from(*l).is_ok())
            .ok_or_else(at_max)?;
        let node_id = node.unwrap_or_else(|| fallback_node_id.to_owned());
        // Python's json.dumps(indent=2) layout.
        let text = serde_json::to_string_pretty(&json!({
            "value": last,
            "node_id": node_id,
            "updated_at": spec_kitty_home::now_isoformat(),
        }))
        .map_err(|e| Error::BadFile {
            path: self.path.clone(),
            problem: e.to_string(),
        })?;
        // Under the clock's lock: leftovers of killed writes go first.
        spec_kitty_home::write_atomic_locked(&self.path, text.as_bytes(), 0o644)?;
        Ok(Tick {
            value: first,
            node_id,
        })
    }
}
