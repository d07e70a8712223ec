//! The snapshot request body, built from the cache a page at a time without a JSON tree.
//!
//! [`project_page`] is the one place a cached row becomes snapshot bytes (the projection
//! reads only the fields it needs; `raw` is skipped unbuilt). [`SnapshotBody`] streams the
//! body as a [`Read`] (dry run, tests, `prepare`); publish runs the same projection on
//! two threads and spools the bytes once (see `publish.rs`).

use std::io::{self, Read, Write};

pub use routing_core::SNAPSHOT_FIELDS;
use routing_core::{Routing, derive_routing, normalize_provider, wire_fields};
use serde_json::{Value, json};
use spec_kitty_home::{Credentials, ProjectIdentity, TrackerConfig};
use tracker_store::{Checkpoint, IssueCache, Mapping};

use crate::project::project_issue_into;
use spec_kitty_home::python_isoformat;

/// The blake3 key-derivation context of the `Idempotency-Key`.
pub const IDEMPOTENCY_CONTEXT: &str =
    "spec-kitty-rs 2026-11-24 tracker snapshot publish Idempotency-Key v1";

/// The `Idempotency-Key` of a request body: blake3 (derive-key mode, [`IDEMPOTENCY_CONTEXT`])
/// over its exact bytes, 64 lowercase hex characters.
#[must_use]
pub fn idempotency_key(body: &[u8]) -> String {
    let mut h = blake3::Hasher::new_derive_key(IDEMPOTENCY_CONTEXT);
    h.update(body);
    h.finalize().to_hex().to_string()
}

/// Everything a snapshot is made of, apart from the cached issues.
#[derive(Debug, Clone)]
pub struct SnapshotSource {
    /// The provider, normalized.
    pub provider: String,
    /// The workspace.
    pub workspace: String,
    /// The routing derived from the binding's credentials.
    pub routing: Option<Routing>,
    /// `doctrine.mode`.
    pub doctrine_mode: String,
    /// `doctrine.field_owners`, in file order.
    pub field_owners: Vec<(String, String)>,
    /// `project.uuid` / `project.slug`.
    pub identity: ProjectIdentity,
}

impl SnapshotSource {
    /// Builds the source of a binding: the provider is normalized, and the routing is
    /// derived from the credentials stored for the normalized provider.
    #[must_use]
    pub fn new(
        config: &TrackerConfig,
        identity: ProjectIdentity,
        credentials: &Credentials,
    ) -> Option<SnapshotSource> {
        let (provider, workspace) = config.binding()?;
        let provider = normalize_provider(provider);
        let routing = derive_routing(&provider, credentials);
        Some(SnapshotSource {
            provider,
            workspace: workspace.to_owned(),
            routing,
            doctrine_mode: config.doctrine_mode.clone(),
            field_owners: config.field_owners.clone(),
            identity,
        })
    }

    /// `<provider>:<workspace>`, the key of this binding's checkpoint.
    #[must_use]
    pub fn checkpoint_key(&self) -> String {
        tracker_store::checkpoint_key(&self.provider, &self.workspace)
    }

    /// The two routing wire fields.
    #[must_use]
    pub fn wire_routing(&self) -> (Option<&'static str>, Option<&str>) {
        wire_fields(self.routing.as_ref())
    }

    pub(crate) fn header(&self) -> Vec<u8> {
        let (ty, id) = self.wire_routing();
        let fields: [(&str, Value); 8] = [
            ("provider", json!(self.provider)),
            ("workspace", json!(self.workspace)),
            ("external_resource_type", json!(ty)),
            ("external_resource_id", json!(id)),
            ("doctrine_mode", json!(self.doctrine_mode)),
            (
                "doctrine_field_owners",
                Value::Object(
                    self.field_owners
                        .iter()
                        .map(|(k, v)| (k.clone(), json!(v)))
                        .collect(),
                ),
            ),
            ("project_uuid", json!(self.identity.uuid)),
            ("project_slug", json!(self.identity.slug)),
        ];
        let mut out = b"{".to_vec();
        for (key, value) in fields {
            out.extend_from_slice(json!(key).to_string().as_bytes());
            out.push(b':');
            out.extend_from_slice(value.to_string().as_bytes());
            out.push(b',');
        }
        out.extend_from_slice(b"\"issues\":[");
        out
    }
}

pub(crate) fn trailer(mappings: &[Mapping], checkpoint: Option<&Checkpoint>) -> Vec<u8> {
    let cursor = checkpoint.and_then(|c| c.cursor.clone());
    let updated_since = checkpoint
        .and_then(|c| c.updated_since.as_deref())
        .and_then(python_isoformat);
    let tail = json!({"cursor": cursor, "updated_since": updated_since});
    let mut out = b"],\"mappings\":".to_vec();
    out.extend_from_slice(json!(mappings).to_string().as_bytes());
    out.extend_from_slice(b",\"checkpoint\":");
    out.extend_from_slice(tail.to_string().as_bytes());
    out.push(b'}');
    out
}

/// A cached row the Python CLI would refuse, by identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    /// The row's identity.
    pub identity: String,
    /// Why.
    pub reason: crate::project::RowError,
}

pub(crate) const PAGE: usize = 256;

/// A streaming reader of one snapshot body.
pub struct SnapshotBody<'c> {
    cache: &'c IssueCache,
    system: String,
    header: Vec<u8>,
    trailer: Vec<u8>,
    stage: Stage,
    buf: Vec<u8>,
    pos: usize,
    after: Option<String>,
    first: bool,
    issues: u64,
    bad_rows: Vec<BadRow>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Header,
    Issues,
    Trailer,
    Done,
}

impl<'c> SnapshotBody<'c> {
    /// A reader of the snapshot of `source` from `cache` (mappings and checkpoint are read
    /// now; issues as the body is read).
    ///
    /// # Errors
    ///
    /// A store error reading mappings or the checkpoint.
    pub fn new(cache: &'c IssueCache, source: &SnapshotSource) -> tracker_store::Result<Self> {
        let mappings = cache.list_mappings()?;
        let checkpoint = cache.get_checkpoint(&source.checkpoint_key())?;
        Ok(SnapshotBody {
            cache,
            system: source.provider.clone(),
            header: source.header(),
            trailer: trailer(&mappings, checkpoint.as_ref()),
            stage: Stage::Header,
            buf: Vec::new(),
            pos: 0,
            after: None,
            first: true,
            issues: 0,
            bad_rows: Vec::new(),
        })
    }

    /// Issues written so far.
    #[must_use]
    pub fn issues(&self) -> u64 {
        self.issues
    }

    /// Rows skipped because the Python CLI would refuse them (a body with any is not sent).
    #[must_use]
    pub fn bad_rows(&self) -> &[BadRow] {
        &self.bad_rows
    }

    fn refill(&mut self) -> io::Result<()> {
        self.buf.clear();
        self.pos = 0;
        match self.stage {
            Stage::Header => {
                self.buf = std::mem::take(&mut self.header);
                self.stage = Stage::Issues;
            }
            Stage::Issues => {
                let rows = self
                    .cache
                    .issues_page_text(&self.system, self.after.as_deref(), PAGE)
                    .map_err(io::Error::other)?;
                if rows.len() < PAGE {
                    self.stage = Stage::Trailer;
                }
                if let Some((last, _)) = rows.last() {
                    self.after = Some(last.clone());
                }
                let page = project_page(rows, self.first)?;
                self.first &= page.issues == 0;
                self.buf = page.bytes;
                self.issues += page.issues;
                self.bad_rows.extend(page.bad_rows);
            }
            Stage::Trailer => {
                self.buf = std::mem::take(&mut self.trailer);
                self.stage = Stage::Done;
            }
            Stage::Done => {}
        }
        Ok(())
    }
}

impl Read for SnapshotBody<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.buf.len() {
            if self.stage == Stage::Done {
                return Ok(0);
            }
            self.refill()?;
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// One page of rows, projected: the issue objects, comma-separated (with a leading comma
/// unless `first`), and the rows the Python CLI would refuse.
pub(crate) struct ProjectedPage {
    pub(crate) bytes: Vec<u8>,
    pub(crate) issues: u64,
    pub(crate) bad_rows: Vec<BadRow>,
}

/// Projects a page of `(identity, payload text)` rows; the only place a row becomes
/// snapshot bytes, so every path gives the same body.
pub(crate) fn project_page(rows: Vec<(String, String)>, first: bool) -> io::Result<ProjectedPage> {
    let mut page = ProjectedPage {
        bytes: Vec::with_capacity(rows.iter().map(|(_, p)| p.len()).sum()),
        issues: 0,
        bad_rows: Vec::new(),
    };
    for (identity, payload) in rows {
        let start = page.bytes.len();
        if !(first && page.issues == 0) {
            page.bytes.push(b',');
        }
        match project_issue_into(&payload, &mut page.bytes) {
            Ok(()) => page.issues += 1,
            Err(reason) => {
                page.bytes.truncate(start);
                page.bad_rows.push(BadRow { identity, reason });
            }
        }
    }
    Ok(page)
}

/// A sink that counts and hashes what is written to it.
pub struct KeyedCounter {
    hasher: blake3::Hasher,
    len: u64,
}

impl Default for KeyedCounter {
    fn default() -> Self {
        KeyedCounter {
            hasher: blake3::Hasher::new_derive_key(IDEMPOTENCY_CONTEXT),
            len: 0,
        }
    }
}

impl KeyedCounter {
    /// `(length, idempotency key)` of everything written.
    #[must_use]
    pub fn finish(&self) -> (u64, String) {
        (self.len, self.hasher.finalize().to_hex().to_string())
    }
}

impl Write for KeyedCounter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.hasher.update(buf);
        self.len += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What the first pass over a snapshot learned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// Body length in bytes.
    pub content_length: u64,
    /// The `Idempotency-Key`.
    pub idempotency_key: String,
    /// Issues in the body.
    pub issues: u64,
    /// Rows the Python CLI would refuse (the body must not be sent when non-empty).
    pub bad_rows: Vec<BadRow>,
}

/// Streams the body once into a counting hasher.
///
/// # Errors
///
/// A store error while reading rows.
pub fn prepare(cache: &IssueCache, source: &SnapshotSource) -> tracker_store::Result<Prepared> {
    prepare_with(cache, source, |_| {})
}

/// As [`prepare`], calling `progress(issues so far)` after each page.
///
/// # Errors
///
/// A store error while reading rows.
pub fn prepare_with(
    cache: &IssueCache,
    source: &SnapshotSource,
    mut progress: impl FnMut(u64),
) -> tracker_store::Result<Prepared> {
    let mut body = SnapshotBody::new(cache, source)?;
    let mut sink = KeyedCounter::default();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = body
            .read(&mut chunk)
            .map_err(|e| tracker_store::StoreError::Io {
                action: "reading",
                path: cache.path().to_path_buf(),
                source: e,
            })?;
        if n == 0 {
            break;
        }
        sink.write_all(&chunk[..n])
            .map_err(|e| tracker_store::StoreError::Io {
                action: "hashing a snapshot of",
                path: cache.path().to_path_buf(),
                source: e,
            })?;
        progress(body.issues());
    }
    let (content_length, idempotency_key) = sink.finish();
    Ok(Prepared {
        content_length,
        idempotency_key,
        issues: body.issues(),
        bad_rows: body.bad_rows().to_vec(),
    })
}
