//! Linear: the GraphQL `issues` connection, newest first.

use http_transport::{Answer, RequestPlan, Secret, Transport, TransportError, Verdict, redact_url};
use jiff::Timestamp;
use serde_json::{Map, Value, json};
use spec_kitty_home::{Credentials, python_isoformat};
use tracker_store::{CanonicalIssue, IssueRef, IssueStatus, IssueType};

use crate::error::{ConnectorError, one_line};
use crate::{Connector, Order, Page, text};

/// The default GraphQL endpoint (credential `graphql_url` overrides it).
pub const DEFAULT_GRAPHQL_URL: &str = "https://api.linear.app/graphql";

/// The query of one page: a team's issues, newest update first, updated at or after
/// `$since` when given.
pub const LINEAR_ISSUES_QUERY: &str =
    "query ListIssues($first: Int!, $after: String, $filter: IssueFilter) {
  issues(first: $first, after: $after, filter: $filter, orderBy: updatedAt) {
    nodes {
      id identifier title description priority createdAt updatedAt url
      state { id name type }
      labels { nodes { name } }
      assignee { id }
      parent { id identifier url }
    }
    pageInfo { hasNextPage endCursor }
  }
}";

/// A Linear team.
pub struct LinearConnector {
    transport: Transport,
    url: String,
    /// `Authorization` value: a personal API key as is, an OAuth token as `Bearer`.
    auth: Secret,
    team_id: String,
    workspace: String,
    /// Whether an answer since the last page had too-deep parts left out.
    trimmed: std::cell::Cell<bool>,
}

impl LinearConnector {
    /// Sends one GraphQL request (rate limits and transient failures retried through the
    /// transport) and gives the whole answer; errors inside a 200 are failures.
    ///
    /// # Errors
    ///
    /// [`ConnectorError::GraphQl`], [`ConnectorError::Http`], or a transport error.
    pub(crate) fn query(&self, query: &str, variables: Value) -> Result<Value, ConnectorError> {
        let body =
            serde_json::to_vec(&json!({"query": query, "variables": variables})).map_err(|e| {
                ConnectorError::BadAnswer {
                    service: "Linear",
                    what: e.to_string(),
                    url: redact_url(&self.url),
                }
            })?;
        let plan = RequestPlan::post(&self.url)
            .header("Content-Type", "application/json")
            .content_length_header(body.len() as u64)
            .user_agent_header()
            .secret_header("Authorization", "", &self.auth);
        let exchange = self.transport.execute_with(
            &plan,
            || Ok::<_, TransportError>(body.as_slice()),
            classify,
        )?;
        let answer = exchange.answer;
        let url = redact_url(&self.url);
        if let Some(v) = answer.json()
            && let Some(detail) = graphql_errors(v)
        {
            return Err(if answer.is_success() {
                ConnectorError::GraphQl { detail }
            } else {
                ConnectorError::Http {
                    service: "Linear",
                    status: answer.status,
                    url,
                    detail: Some(detail),
                }
            });
        }
        if !answer.is_success() {
            let detail = match &answer.body {
                http_transport::ResponseBody::Text(t) if !t.trim().is_empty() => Some(one_line(t)),
                _ => None,
            };
            return Err(ConnectorError::Http {
                service: "Linear",
                status: answer.status,
                url,
                detail,
            });
        }
        let (v, trimmed) = crate::page_json(&answer).map_err(|what| ConnectorError::BadAnswer {
            service: "Linear",
            what,
            url,
        })?;
        self.trimmed.set(self.trimmed.get() || trimmed);
        Ok(v)
    }

    /// The team this connector reads.
    pub(crate) fn team_id(&self) -> &str {
        &self.team_id
    }

    /// A connector from `api_key` (or an OAuth `access_token`), `team_id`, and an optional
    /// `graphql_url`; `workspace` is the binding's.
    ///
    /// # Errors
    ///
    /// [`ConnectorError::MissingCredentials`] or [`ConnectorError::InvalidCredential`].
    pub fn new(
        workspace: &str,
        credentials: &Credentials,
        settings: &http_transport::Settings,
    ) -> Result<Self, ConnectorError> {
        let auth = match (
            text(credentials, "api_key"),
            text(credentials, "access_token"),
        ) {
            (Some(key), _) => Secret::new(key),
            (None, Some(token)) => Secret::new(format!("Bearer {token}")),
            (None, None) => {
                return Err(ConnectorError::MissingCredentials {
                    provider: "linear".into(),
                    workspace: workspace.to_owned(),
                    keys: vec!["api_key|access_token".into()],
                });
            }
        };
        let team_id =
            text(credentials, "team_id").ok_or_else(|| ConnectorError::MissingCredentials {
                provider: "linear".into(),
                workspace: workspace.to_owned(),
                keys: vec!["team_id".into()],
            })?;
        let url = text(credentials, "graphql_url").unwrap_or_else(|| DEFAULT_GRAPHQL_URL.into());
        http_transport::check_base_url(&url).map_err(|_| ConnectorError::InvalidCredential {
            key: "graphql_url",
            reason: "is not an http(s) URL with a host and no query".into(),
        })?;
        Ok(LinearConnector {
            transport: settings.transport(),
            url,
            auth,
            team_id,
            workspace: workspace.to_owned(),
            trimmed: std::cell::Cell::new(false),
        })
    }
}

fn is_rate_limited(v: &Value) -> bool {
    v.get("errors")
        .and_then(Value::as_array)
        .is_some_and(|errors| {
            errors.iter().any(|e| {
                e.pointer("/extensions/code").and_then(Value::as_str) == Some("RATELIMITED")
            })
        })
}

/// Retry 5xx, 408, 429 and a `RATELIMITED` error (Linear sends it as a 400, sometimes a
/// 200), waiting what `Retry-After` or `X-RateLimit-Requests-Reset` (epoch ms) says.
fn classify(answer: &Answer, now: u64) -> Verdict {
    let limited = answer.json().is_some_and(is_rate_limited);
    if !(http_transport::is_transient_status(answer.status) || limited) {
        return Verdict::Final;
    }
    let retry_after = answer
        .header("retry-after")
        .and_then(|v| http_transport::parse_retry_after(v, now));
    let now_ms =
        u64::try_from(Timestamp::now().as_millisecond()).unwrap_or(now.saturating_mul(1000));
    let reset = answer
        .header("x-ratelimit-requests-reset")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|ms| std::time::Duration::from_millis(ms.saturating_sub(now_ms)));
    Verdict::Retry(retry_after.or(reset))
}

fn graphql_errors(v: &Value) -> Option<String> {
    let errors = v.get("errors").and_then(Value::as_array)?;
    if errors.is_empty() {
        return None;
    }
    let parts: Vec<String> = errors
        .iter()
        .map(|e| {
            let msg = e.get("message").and_then(Value::as_str).unwrap_or("error");
            match e.pointer("/extensions/code").and_then(Value::as_str) {
                Some(code) => format!("{msg} ({code})"),
                None => msg.to_owned(),
            }
        })
        .collect();
    Some(one_line(&parts.join("; ")))
}

impl Connector for LinearConnector {
    fn provider(&self) -> &'static str {
        "linear"
    }

    fn service(&self) -> &'static str {
        "Linear"
    }

    fn endpoint(&self) -> String {
        redact_url(&self.url)
    }

    fn order(&self) -> Order {
        Order::Descending
    }

    fn whoami(&mut self) -> Result<String, ConnectorError> {
        let v = self.query("query Viewer { viewer { id name email } }", json!({}))?;
        ["name", "email", "id"]
            .iter()
            .find_map(|k| {
                v.pointer(&format!("/data/viewer/{k}"))
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
            })
            .map(one_line)
            .ok_or_else(|| ConnectorError::BadAnswer {
                service: "Linear",
                what: "a viewer answer without a name, email or id".to_owned(),
                url: redact_url(&self.url),
            })
    }

    fn fetch_page(
        &mut self,
        since: Option<Timestamp>,
        cursor: Option<&str>,
        page_size: u32,
    ) -> Result<Page, ConnectorError> {
        let mut filter = json!({"team": {"id": {"eq": self.team_id}}});
        if let Some(since) = since {
            // At or after: a tie at the boundary is fetched again (harmless), never lost.
            filter["updatedAt"] = json!({"gte": since.to_string()});
        }
        let v = self.query(
            LINEAR_ISSUES_QUERY,
            json!({"first": page_size, "after": cursor, "filter": filter}),
        )?;
        let url = redact_url(&self.url);
        let bad = crate::bad_answer("Linear", url.clone());
        let issues = v
            .pointer("/data/issues")
            .ok_or_else(|| bad("no data.issues"))?;
        let nodes = issues
            .get("nodes")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("no issues.nodes list"))?;
        let out = crate::map_items(nodes, &bad, |node| linear_issue(&self.workspace, node))?;
        // Linear pages come newest first: taking a malformed page for the last one would
        // move the checkpoint past the issues not read yet, so it is a bad answer.
        let info = issues
            .get("pageInfo")
            .ok_or_else(|| bad("no issues.pageInfo"))?;
        let has_next = info
            .get("hasNextPage")
            .and_then(Value::as_bool)
            .ok_or_else(|| bad("pageInfo.hasNextPage is not true or false"))?;
        let next_cursor = if has_next {
            let end = info
                .get("endCursor")
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
                .ok_or_else(|| bad("pageInfo.hasNextPage is true but endCursor is missing"))?;
            Some(end.to_owned())
        } else {
            None
        };
        Ok(Page {
            issues: out,
            next_cursor,
            trimmed: self.trimmed.take(),
        })
    }
}

pub(crate) fn linear_status(state: Option<&Value>) -> IssueStatus {
    let field = |k: &str| {
        state
            .and_then(|s| s.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_lowercase()
    };
    let (kind, name) = (field("type"), field("name"));
    let by_name = || {
        if name.contains("review") {
            Some(IssueStatus::InReview)
        } else if name.contains("block") || name.contains("hold") {
            Some(IssueStatus::Blocked)
        } else {
            None
        }
    };
    match kind.as_str() {
        "completed" => IssueStatus::Done,
        "canceled" => IssueStatus::Canceled,
        "started" => by_name().unwrap_or(IssueStatus::InProgress),
        "backlog" | "unstarted" | "triage" => IssueStatus::Todo,
        _ => by_name().unwrap_or(IssueStatus::Todo),
    }
}

/// Linear's 0 none, 1 urgent, 2 high, 3 medium, 4 low as canonical 0 (highest)..4: urgent
/// 0, high 1, medium 2, low 3; "no priority" is no priority (`spec-kitty-tracker` says 4).
fn linear_priority(p: Option<&Value>) -> Option<i64> {
    let x = p?.as_f64()?;
    (x.fract() == 0.0 && (1.0..=4.0).contains(&x)).then(|| {
        // 1..=4 exactly, so the cast is lossless.
        #[allow(clippy::cast_possible_truncation)]
        let n = x as i64;
        n - 1
    })
}

fn opt_text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A Linear issue node as the cache's canonical issue (`None` without an id).
#[must_use]
pub fn linear_issue(workspace: &str, node: &Value) -> Option<CanonicalIssue> {
    let id = opt_text(node.get("id"))?;
    let reference = IssueRef {
        system: "linear".into(),
        workspace: workspace.to_owned(),
        id,
        key: opt_text(node.get("identifier")),
        url: opt_text(node.get("url")),
    };
    let parent = node.get("parent").and_then(|p| {
        Some(IssueRef {
            system: "linear".into(),
            workspace: workspace.to_owned(),
            id: opt_text(p.get("id"))?,
            key: opt_text(p.get("identifier")),
            url: opt_text(p.get("url")),
        })
    });
    let title = node
        .get("title")
        .and_then(Value::as_str)
        .filter(|s| !routing_core::is_blank(s))
        .unwrap_or("Untitled")
        .to_owned();
    let labels = node
        .pointer("/labels/nodes")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|l| l.get("name").and_then(Value::as_str))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let assignees = opt_text(node.pointer("/assignee/id")).into_iter().collect();
    let time = |k: &str| {
        node.get(k)
            .and_then(Value::as_str)
            .and_then(python_isoformat)
    };
    Some(CanonicalIssue {
        reference,
        title,
        body: node
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned),
        status: linear_status(node.get("state")),
        issue_type: IssueType::Task,
        priority: linear_priority(node.get("priority")),
        assignees,
        labels,
        parent,
        links: Vec::new(),
        custom_fields: Map::new(),
        created_at: time("createdAt"),
        updated_at: time("updatedAt"),
        raw: Some(node.clone()),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn states_and_priorities() {
        let s = |t: &str, n: &str| linear_status(Some(&json!({"type": t, "name": n})));
        assert_eq!(s("completed", "Done"), IssueStatus::Done);
        assert_eq!(s("canceled", "Duplicate"), IssueStatus::Canceled);
        assert_eq!(s("started", "In Review"), IssueStatus::InReview);
        assert_eq!(s("started", "Blocked"), IssueStatus::Blocked);
        assert_eq!(s("started", "Doing"), IssueStatus::InProgress);
        assert_eq!(s("triage", "Triage"), IssueStatus::Todo);
        assert_eq!(s("backlog", "Backlog"), IssueStatus::Todo);
        let p = |v: Value| linear_priority(Some(&v));
        assert_eq!(
            [
                p(json!(0)),
                p(json!(1)),
                p(json!(2)),
                p(json!(3)),
                p(json!(4)),
                p(json!(9))
            ],
            [None, Some(0), Some(1), Some(2), Some(3), None]
        );
        assert_eq!(p(json!(2.0)), Some(1));
    }

    #[test]
    fn a_node_maps_like_spec_kitty_tracker() {
        let node = json!({"id": "u-1", "identifier": "ENG-1", "title": "Titel ☃",
            "description": "d", "priority": 0, "url": "https://linear.app/acme/issue/ENG-1",
            "createdAt": "2026-01-17T12:00:00.000Z", "updatedAt": "2026-01-17T12:34:56.789Z",
            "state": {"id": "s", "name": "In Progress", "type": "started"},
            "labels": {"nodes": [{"name": "bug"}]}, "assignee": {"id": "user-9"},
            "parent": {"id": "u-0", "identifier": "ENG-0", "url": null}});
        let c = linear_issue("acme", &node).unwrap();
        assert_eq!(c.reference.key.as_deref(), Some("ENG-1"));
        assert_eq!(c.reference.workspace, "acme");
        assert_eq!(c.priority, None);
        assert_eq!(c.status, IssueStatus::InProgress);
        assert_eq!(c.labels, ["bug"]);
        assert_eq!(c.assignees, ["user-9"]);
        assert_eq!(
            c.updated_at.as_deref(),
            Some("2026-01-17T12:34:56.789000+00:00")
        );
        assert_eq!(c.parent.unwrap().url, None);
        assert!(linear_issue("acme", &json!({"title": "x"})).is_none());
    }
}
