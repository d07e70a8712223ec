//! Tracker connectors for spec-kitty: Jira Cloud (`/rest/api/3/search/jql`) and Linear
//! (GraphQL), and the pull that fills the issue cache from them, incrementally and
//! resumably.
//!
//! # What this crate owns
//!
//! - [`Connector`]: one page of remote issues at a time, already mapped to the cache's
//!   [`tracker_store::CanonicalIssue`] the way `spec-kitty-tracker` maps them (differences
//!   on purpose are listed in `contracts/tracker-pull.md`).
//! - [`JiraConnector`], [`LinearConnector`], and [`connector_for`], which builds the right
//!   one from a binding's credentials (their keys come from `routing_core`'s credential
//!   schema), sending with [`connector_settings`] unless the caller gives others.
//! - [`pull`]: pages upserted in one transaction each, with the checkpoint they reached,
//!   so an interrupted pull resumes and a finished one fetches only what changed.
//! - [`status_target`]: which tracker status a work-package lane maps to (the provider's
//!   default, or the binding's `status_map`), and [`Pusher`]: the tracker push, which
//!   moves a mapped issue to that status and writes nothing else
//!   (`contracts/tracker-push.md`).
//!
//! All HTTP goes through `http-transport` (retries with backoff and `Retry-After`, bounded
//! answers, credentials only over https except to loopback).
//!
//! # What it must never do
//!
//! Print; put a token, an API key or a password in an error or a `Debug` output; delete a
//! cached issue; touch mappings, the binding or the credentials; create, delete, reassign,
//! retitle or comment on a remote issue (the push changes its status only).

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod adf;
mod error;
mod jira;
mod linear;
mod pull;
mod push;
mod status_map;

use std::time::Duration;

use http_transport::{RetryPolicy, Settings};
use jiff::Timestamp;
use routing_core::{credential_schema, normalize_provider};
use spec_kitty_home::Credentials;
use tracker_store::CanonicalIssue;

pub use adf::adf_to_text;
pub use error::ConnectorError;
pub use jira::{JIRA_FIELDS, JiraConnector, jira_issue};
pub use linear::{DEFAULT_GRAPHQL_URL, LINEAR_ISSUES_QUERY, LinearConnector, linear_issue};
pub use pull::{
    MAX_EMPTY_PAGES, PullError, PullOptions, PullProgress, PullSummary, RESUME_PREFIX,
    checkpoint_scope, pull, pull_in_scope,
};
pub use push::{
    ItemResult, JiraPusher, LinearPusher, NewStatus, Outcome, Placement, PushItem, PushOptions,
    PushRequest, Pusher, Refusal, push_mapped,
};
pub use status_map::{
    JiraStatus, LANE_ORDER, LinearState, StatusTarget, effective_status_map, status_target,
    unknown_lanes,
};

/// The order a connector's pages come in, by `updated`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Oldest first (Jira: `ORDER BY updated ASC, key ASC`): the checkpoint can advance
    /// with every page.
    Ascending,
    /// Newest first (Linear's `orderBy: updatedAt`): the checkpoint advances when the run
    /// ends; an interrupted run resumes from its page cursor.
    Descending,
}

/// One page of remote issues.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The issues, mapped.
    pub issues: Vec<CanonicalIssue>,
    /// The cursor of the next page; `None` on the last page.
    pub next_cursor: Option<String>,
    /// Whether parts of the answer nested deeper than the parser reads (127 levels) were
    /// left out (replaced by `null`) so that the page could be read at all.
    pub trimmed: bool,
}

/// A source of remote issues.
pub trait Connector {
    /// `jira` or `linear`.
    fn provider(&self) -> &'static str;

    /// The service's name for messages: `Jira` or `Linear`.
    fn service(&self) -> &'static str;

    /// The URL pages come from (no password, no query), for messages.
    fn endpoint(&self) -> String;

    /// The order pages come in.
    fn order(&self) -> Order;

    /// Called once before the first page of a pull (Jira asks for the user's time zone).
    ///
    /// # Errors
    ///
    /// A request failed.
    fn begin(&mut self) -> Result<(), ConnectorError> {
        Ok(())
    }

    /// Who the credentials authenticate as (Jira `GET /myself`, Linear `viewer`): the
    /// account's display name, email or id. A cheap request that proves the service is
    /// reachable and accepts the credentials.
    ///
    /// # Errors
    ///
    /// The request failed, was refused (401/403), or the answer is unreadable.
    fn whoami(&mut self) -> Result<String, ConnectorError>;

    /// One page of issues updated at or after `since`, after `cursor`, of at most
    /// `page_size` issues (the service may send fewer).
    ///
    /// # Errors
    ///
    /// A request failed or the answer is unreadable.
    fn fetch_page(
        &mut self,
        since: Option<Timestamp>,
        cursor: Option<&str>,
        page_size: u32,
    ) -> Result<Page, ConnectorError>;
}

/// How connectors talk to their service by default: 30 s timeout, 5 attempts, 1 s
/// backoff, 60 s longest wait (rate limits ask for long ones), 64 MiB answers (a Jira page
/// of 100 issues with their descriptions).
#[must_use]
pub fn connector_settings() -> Settings {
    Settings {
        policy: RetryPolicy {
            attempts: 5,
            backoff_base: Duration::from_secs(1),
            max_wait: Duration::from_secs(60),
        },
        max_answer: 64 * 1024 * 1024,
        ..Settings::default()
    }
}

/// Why a 2xx answer gave no JSON, in words: larger than the connector reads, nested deeper
/// than the parser allows (an issue's rich-text description can be), or not JSON at all.
pub(crate) fn why_not_json(answer: &http_transport::Answer) -> String {
    if answer.incomplete {
        return "an answer larger than the connector reads (64 MiB): ask for smaller pages"
            .to_owned();
    }
    let text = match &answer.body {
        http_transport::ResponseBody::Text(t) => t.as_str(),
        http_transport::ResponseBody::Json(_) => return "not a JSON object".to_owned(),
    };
    match serde_json::from_str::<serde_json::Value>(text) {
        Err(e) if e.to_string().contains("recursion limit") => {
            "JSON nested deeper than the parser allows (128 levels; an issue's rich-text description?)".to_owned()
        }
        Err(e) => format!("not JSON ({})", crate::error::one_line(&e.to_string())),
        Ok(_) => "not JSON".to_owned(),
    }
}

/// Containers opened deeper than this are left out of a page the parser refused for its
/// depth: the parser reads 128 levels.
pub(crate) const KEEP_DEPTH: usize = 127;

/// A 2xx answer's JSON, and whether parts nested deeper than [`KEEP_DEPTH`] had to be left
/// out (each such object or list replaced by `null`) because the parser refuses deeper
/// ones: one issue's deeply nested rich-text description must not stop a pull. Otherwise
/// why there is no JSON, in words ([`why_not_json`]).
pub(crate) fn page_json(
    answer: &http_transport::Answer,
) -> Result<(serde_json::Value, bool), String> {
    if let Some(v) = answer.json() {
        return Ok((v.clone(), false));
    }
    if let http_transport::ResponseBody::Text(text) = &answer.body
        && !answer.incomplete
        && let Some(kept) = prune_deep_json(text, KEEP_DEPTH)
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(&kept)
    {
        return Ok((v, true));
    }
    Err(why_not_json(answer))
}

/// `text` with every object or list that opens deeper than `max_depth` levels replaced by
/// `null`, in one pass without recursion (strings are copied as they are, brackets inside
/// them ignored); `None` when nothing was that deep (the text's trouble is elsewhere).
pub(crate) fn prune_deep_json(text: &str, max_depth: usize) -> Option<String> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let (mut depth, mut i, mut pruned) = (0usize, 0usize, false);
    // The index just past the string that starts at `i` (an opening quote).
    let string_end = |mut i: usize| {
        i += 1;
        while i < b.len() {
            match b[i] {
                b'\\' => i += 2,
                b'"' => return i + 1,
                _ => i += 1,
            }
        }
        b.len()
    };
    while i < b.len() {
        match b[i] {
            b'"' => {
                let end = string_end(i);
                out.extend_from_slice(&b[i..end]);
                i = end;
                continue;
            }
            b'{' | b'[' if depth >= max_depth => {
                // Skip the whole container, strings and all.
                let mut inner = 0usize;
                while i < b.len() {
                    match b[i] {
                        b'"' => {
                            i = string_end(i);
                            continue;
                        }
                        b'{' | b'[' => inner += 1,
                        b'}' | b']' => {
                            inner = inner.saturating_sub(1);
                            if inner == 0 {
                                i += 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                out.extend_from_slice(b"null");
                pruned = true;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        out.push(b[i]);
        i += 1;
    }
    // Only whole containers (which start and end at ASCII brackets) were taken out.
    pruned.then(|| String::from_utf8(out).ok()).flatten()
}

/// A [`ConnectorError::BadAnswer`] maker for one answer of `service` at `url`.
pub(crate) fn bad_answer(service: &'static str, url: String) -> impl Fn(&str) -> ConnectorError {
    move |what| ConnectorError::BadAnswer {
        service,
        what: what.to_owned(),
        url: url.clone(),
    }
}

/// A page's items mapped to issues; an item without an id makes the whole answer bad.
pub(crate) fn map_items(
    items: &[serde_json::Value],
    bad: &impl Fn(&str) -> ConnectorError,
    map: impl Fn(&serde_json::Value) -> Option<CanonicalIssue>,
) -> Result<Vec<CanonicalIssue>, ConnectorError> {
    items
        .iter()
        .map(|item| map(item).ok_or_else(|| bad("an issue without an id")))
        .collect()
}

/// A credential as trimmed text (`routing_core::credential_text`).
pub(crate) fn text(credentials: &Credentials, key: &str) -> Option<String> {
    routing_core::credential_text(credentials, key)
}

/// The connector of a binding: the provider's credentials are checked against its schema
/// (every missing key is named at once).
///
/// # Errors
///
/// [`ConnectorError::Unsupported`] for a provider without a connector,
/// [`ConnectorError::MissingCredentials`], or [`ConnectorError::InvalidCredential`].
pub fn connector_for(
    provider: &str,
    workspace: &str,
    credentials: &Credentials,
    settings: &Settings,
) -> Result<Box<dyn Connector>, ConnectorError> {
    let provider = normalize_provider(provider);
    let schema = match provider.as_str() {
        "jira" | "linear" => credential_schema(&provider),
        _ => None,
    }
    .ok_or_else(|| ConnectorError::Unsupported {
        provider: provider.clone(),
    })?;
    let missing = schema.missing(credentials);
    if !missing.is_empty() {
        return Err(ConnectorError::MissingCredentials {
            provider,
            workspace: workspace.to_owned(),
            keys: missing.iter().map(|alts| alts.join("|")).collect(),
        });
    }
    if provider == "jira" {
        Ok(Box::new(JiraConnector::new(credentials, settings)?))
    } else {
        Ok(Box::new(LinearConnector::new(
            workspace,
            credentials,
            settings,
        )?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(levels: usize, leaf: &str) -> String {
        "[".repeat(levels) + leaf + &"]".repeat(levels)
    }

    #[test]
    fn only_containers_past_the_depth_become_null() {
        assert_eq!(prune_deep_json(r#"{"a":[1,{"b":2}]}"#, 3), None);
        assert_eq!(
            prune_deep_json(r#"{"a":[1,{"b":[2]}],"c":"[{\"]}"}"#, 2).as_deref(),
            Some(r#"{"a":[1,null],"c":"[{\"]}"}"#)
        );
        let deep = format!(
            r#"{{"keep":"é ✓","deep":{},"after":[1]}}"#,
            nested(300, r#""]\"[""#)
        );
        let kept = prune_deep_json(&deep, 127).unwrap();
        let v: serde_json::Value = serde_json::from_str(&kept).unwrap();
        assert_eq!(v["keep"], "é ✓");
        assert_eq!(v["after"], serde_json::json!([1]));
        let mut at = &v["deep"];
        let mut depth = 1;
        while let Some(inner) = at.get(0) {
            at = inner;
            depth += 1;
        }
        assert!(at.is_null() && depth == 127, "{depth} {at}");
        // Not JSON to begin with: still not JSON (no panic, no endless loop).
        for junk in ["[[[", "]]]", "\"[[[", "[\"", &nested(200, "")[..150]] {
            if let Some(k) = prune_deep_json(junk, 2) {
                assert!(
                    serde_json::from_str::<serde_json::Value>(&k).is_err(),
                    "{junk}"
                );
            }
        }
    }

    proptest::proptest! {
        /// Any text: no panic, and what comes back (when anything was pruned) is the text
        /// with whole containers replaced, so a JSON document stays one, of bounded depth.
        #[test]
        fn pruning_any_text_is_safe_and_keeps_json_json(
            text in "[\\[\\]{}\"\\\\a:,1 ]{0,80}",
            levels in 0usize..300,
            depth in 1usize..20,
        ) {
            let _ = prune_deep_json(&text, depth);
            let doc = format!(r#"{{"a":{},"b":"{{[\"","c":[{}]}}"#, nested(levels, "1"), nested(levels / 2, "{}"));
            let deepest = (levels + 1).max(levels / 2 + 3);
            let pruned = prune_deep_json(&doc, depth);
            proptest::prop_assert_eq!(pruned.is_none(), deepest <= depth);
            match pruned {
                None => {}
                Some(kept) => {
                    let v: serde_json::Value = serde_json::from_str(&kept).unwrap();
                    proptest::prop_assert_eq!(&v["b"], "{[\"");
                }
            }
        }
    }
}
