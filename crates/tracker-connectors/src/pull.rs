//! The pull: pages from a connector into the cache, one transaction per page, with the
//! checkpoint each page reached.

use jiff::Timestamp;
use spec_kitty_home::{Credentials, now_isoformat};
use tracker_store::{Checkpoint, IssueCache, PageCounts, StoreError};

use crate::error::ConnectorError;
use crate::{Connector, Order};

/// Marks a checkpoint cursor this crate wrote and can resume from: the prefix, then a JSON
/// object with the next page's cursor (`after`) and the newest `updated_at` seen so far in
/// the interrupted run (`newest`). A cursor without it (the Python CLI's) is never used to
/// skip pages.
pub const RESUME_PREFIX: &str = "spec-kitty-rs:resume:";

/// Empty pages in a row, each with a next-page cursor, after which a pull stops as stuck.
pub const MAX_EMPTY_PAGES: u32 = 3;

fn resume_cursor(after: &str, newest: Option<&str>) -> String {
    format!(
        "{RESUME_PREFIX}{}",
        serde_json::json!({"after": after, "newest": newest})
    )
}

/// `(after, newest)` of a cursor written by [`resume_cursor`].
fn parse_resume(cursor: &str) -> Option<(String, Option<String>)> {
    let v: serde_json::Value = serde_json::from_str(cursor.strip_prefix(RESUME_PREFIX)?).ok()?;
    let after = v.get("after")?.as_str()?.to_owned();
    let newest = v
        .get("newest")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned);
    Some((after, newest))
}

/// How to pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PullOptions {
    /// Ignore the checkpoint: fetch every issue.
    pub full: bool,
    /// Issues asked for per page (the service may send fewer).
    pub page_size: u32,
}

impl Default for PullOptions {
    /// Incremental, 100 issues a page.
    fn default() -> Self {
        PullOptions {
            full: false,
            page_size: 100,
        }
    }
}

/// What a binding's checkpoint is valid for: the provider, the workspace, the routing key
/// (Jira `project_key`, Linear `team_id`) and the service URL (`base_url`, `graphql_url`).
/// A pull whose scope differs from the one its checkpoint was reached for starts over
/// (a re-bind to another project of the same workspace must not skip its older issues).
#[must_use]
pub fn checkpoint_scope(provider: &str, workspace: &str, credentials: &Credentials) -> String {
    let provider = routing_core::normalize_provider(provider);
    let text = |k: &str| routing_core::credential_text(credentials, k).unwrap_or_default();
    let routing = routing_core::derive_routing(&provider, credentials)
        .map(|r| format!("{}={}", r.resource_type(), r.resource_id()))
        .unwrap_or_default();
    let url = match provider.as_str() {
        "jira" => text("base_url"),
        "linear" => text("graphql_url"),
        _ => String::new(),
    };
    serde_json::json!([provider, routing_core::trim(workspace), routing, url]).to_string()
}

/// Where a pull is, after each committed page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PullProgress {
    /// Pages committed.
    pub pages: u64,
    /// Issues in them.
    pub issues: u64,
}

/// What a pull did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PullSummary {
    /// Created, updated and unchanged issues.
    pub counts: PageCounts,
    /// Pages committed.
    pub pages: u64,
    /// The checkpoint stored after the last committed page.
    pub checkpoint: Checkpoint,
    /// Whether the run continued an interrupted one from its page cursor.
    pub resumed: bool,
    /// Whether the checkpoint was left aside because it was reached for another scope (a
    /// re-bind to another project, team or URL): the pull started over.
    pub rescoped: bool,
    /// Whether the checkpoint was ignored (`--full`).
    pub full: bool,
    /// Pages read only after leaving out parts nested deeper than the parser reads
    /// ([`crate::Page::trimmed`]); their issues are cached without those parts.
    pub trimmed_pages: u64,
}

/// Why a pull stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PullError {
    /// The service or the network failed; every page committed before stays in the cache.
    #[error("{error}{}", kept(.done))]
    Connector {
        /// What failed (not a `source`: the message already says it).
        error: ConnectorError,
        /// What was committed before the failure.
        done: Box<PullSummary>,
    },
    /// A page could not be written to the cache (a full disk...); the pages committed
    /// before stay.
    #[error("{error}{}", kept(.done))]
    Cache {
        /// What failed.
        error: StoreError,
        /// What was committed before the failure.
        done: Box<PullSummary>,
    },
    /// The cache could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn kept(done: &PullSummary) -> String {
    if done.pages == 0 {
        " (nothing of this pull was written: the cache is as it was)".to_owned()
    } else {
        format!(
            " (the cache keeps the {} page(s) committed before; run the pull again to resume)",
            done.pages
        )
    }
}

impl PullError {
    /// What kind of failure this is (the connector's; a cache error is
    /// [`http_transport::ErrorKind::Refused`]).
    #[must_use]
    pub fn kind(&self) -> http_transport::ErrorKind {
        match self {
            PullError::Connector { error, .. } => error.kind(),
            PullError::Store(_) | PullError::Cache { .. } => http_transport::ErrorKind::Refused,
        }
    }

    /// Whether the service or the network failed (a later run may succeed).
    #[must_use]
    pub fn is_transient(&self) -> bool {
        self.kind() == http_transport::ErrorKind::Transient
    }
}

fn parse(ts: &str) -> Option<Timestamp> {
    ts.parse().ok()
}

/// The later of two `(instant, as stored)` pairs.
fn later(
    a: Option<(Timestamp, String)>,
    b: Option<(Timestamp, String)>,
) -> Option<(Timestamp, String)> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b.0 > a.0 { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// Pulls every issue updated since the checkpoint under `checkpoint_key` (all of them with
/// `full`) into `cache`.
///
/// Each page is written with the checkpoint it reached in one transaction. Pages in
/// ascending `updated` order (Jira) advance `updated_since` page by page, and an
/// interrupted pull starts again from there. Pages newest first (Linear) keep
/// `updated_since` until the run ends and store the next page's cursor instead, so an
/// interrupted pull continues from that cursor with the same filter. Either way a
/// finished pull leaves `updated_since` at the newest `updated_at` seen, the boundary is
/// fetched again next time (counted unchanged), and nothing is ever deleted.
///
/// # Errors
///
/// [`PullError::Connector`] or [`PullError::Cache`] (with what was committed), or [`PullError::Store`].
pub fn pull(
    cache: &mut IssueCache,
    connector: &mut dyn Connector,
    checkpoint_key: &str,
    options: &PullOptions,
    progress: impl FnMut(&PullProgress),
) -> Result<PullSummary, PullError> {
    pull_in_scope(cache, connector, checkpoint_key, None, options, progress)
}

/// [`pull`] for a binding of `scope` ([`checkpoint_scope`]): a checkpoint reached for
/// another scope is not used (the pull starts over, [`PullSummary::rescoped`]), and every
/// committed page records the scope with its checkpoint.
///
/// # Errors
///
/// As [`pull`].
pub fn pull_in_scope(
    cache: &mut IssueCache,
    connector: &mut dyn Connector,
    checkpoint_key: &str,
    scope: Option<&str>,
    options: &PullOptions,
    mut progress: impl FnMut(&PullProgress),
) -> Result<PullSummary, PullError> {
    let rescoped = match (scope, cache.checkpoint_scope(checkpoint_key)?) {
        (Some(now), Some(was)) => now != was,
        _ => false,
    };
    let stored = if options.full || rescoped {
        None
    } else {
        cache.get_checkpoint(checkpoint_key)?
    };
    let stored_since = stored
        .as_ref()
        .and_then(|c| c.updated_since.clone())
        .and_then(|s| parse(&s).map(|t| (t, s)));
    let order = connector.order();
    let resume = match order {
        Order::Descending => stored
            .as_ref()
            .and_then(|c| c.cursor.as_deref())
            .and_then(parse_resume),
        Order::Ascending => None,
    };
    let resumed_newest = resume
        .as_ref()
        .and_then(|(_, n)| n.clone())
        .and_then(|s| parse(&s).map(|t| (t, s)));
    let mut cursor: Option<String> = resume.map(|(after, _)| after);
    let mut summary = PullSummary {
        rescoped,
        resumed: cursor.is_some(),
        full: options.full,
        checkpoint: stored.clone().unwrap_or_default(),
        ..PullSummary::default()
    };
    let fail = |error: ConnectorError, done: &PullSummary| PullError::Connector {
        error,
        done: Box::new(done.clone()),
    };
    connector.begin().map_err(|e| fail(e, &summary))?;
    let since = stored_since.as_ref().map(|(t, _)| *t);
    let mut newest = later(stored_since.clone(), resumed_newest);
    let mut issues_seen = 0u64;
    // Every cursor handed out so far, and the empty pages in a row that still had a next
    // one: a service that repeats a cursor (even every other page) or hands out fresh ones
    // with nothing in them would keep the pull going forever.
    let mut seen_cursors = std::collections::HashSet::new();
    let mut empty_in_a_row = 0u32;
    loop {
        let page = connector
            .fetch_page(since, cursor.as_deref(), options.page_size.max(1))
            .map_err(|e| fail(e, &summary))?;
        let stuck = |what: String| ConnectorError::BadAnswer {
            service: connector.service(),
            what,
            url: connector.endpoint(),
        };
        if let Some(next) = &page.next_cursor {
            if !seen_cursors.insert(next.clone()) || cursor.as_deref() == Some(next.as_str()) {
                return Err(fail(
                    stuck("a next-page cursor came back a second time (the pages would repeat forever)".into()),
                    &summary,
                ));
            }
            empty_in_a_row = if page.issues.is_empty() {
                empty_in_a_row + 1
            } else {
                0
            };
            if empty_in_a_row > MAX_EMPTY_PAGES {
                return Err(fail(
                    stuck(format!(
                        "{empty_in_a_row} empty pages in a row, each with a next-page cursor"
                    )),
                    &summary,
                ));
            }
        }
        let page_newest = page
            .issues
            .iter()
            .filter_map(|i| i.updated_at.as_deref())
            .filter_map(|s| parse(s).map(|t| (t, s.to_owned())))
            .max_by_key(|(t, _)| *t);
        newest = later(newest, page_newest);
        let last = page.next_cursor.is_none();
        let checkpoint = match (order, last) {
            (Order::Ascending, _) | (Order::Descending, true) => Checkpoint {
                cursor: None,
                updated_since: newest.as_ref().map(|(_, s)| s.clone()),
            },
            (Order::Descending, false) => Checkpoint {
                cursor: page
                    .next_cursor
                    .as_deref()
                    .map(|c| resume_cursor(c, newest.as_ref().map(|(_, s)| s.as_str()))),
                updated_since: stored_since.as_ref().map(|(_, s)| s.clone()),
            },
        };
        let counts = cache
            .apply_pulled_page_in_scope(
                &page.issues,
                &now_isoformat(),
                checkpoint_key,
                &checkpoint,
                scope,
            )
            .map_err(|error| PullError::Cache {
                error,
                done: Box::new(summary.clone()),
            })?;
        summary.counts += counts;
        summary.pages += 1;
        summary.trimmed_pages += u64::from(page.trimmed);
        summary.checkpoint = checkpoint;
        issues_seen += page.issues.len() as u64;
        progress(&PullProgress {
            pages: summary.pages,
            issues: issues_seen,
        });
        if last {
            return Ok(summary);
        }
        cursor = page.next_cursor;
    }
}
