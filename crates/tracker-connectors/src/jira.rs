//! Jira Cloud: `GET /rest/api/3/search/jql` with token pagination.

use base64::Engine as _;
use http_transport::{
    Answer, Exchange, RequestPlan, Secret, Transport, TransportError, join_url, query_string,
    redact_url,
};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::{Map, Value};
use spec_kitty_home::{Credentials, python_isoformat};
use tracker_store::{CanonicalIssue, IssueRef, IssueStatus, IssueType};

use crate::adf::adf_to_text;
use crate::error::{ConnectorError, one_line};
use crate::{Connector, Order, Page, text};

/// The fields a search asks for (the endpoint's default is `id` only).
pub const JIRA_FIELDS: &str =
    "summary,description,status,priority,assignee,labels,issuetype,parent,updated,created";

/// How far back a query reaches when the user's time zone is unknown: JQL times are read
/// in that zone, and no zone is more than 14 hours from UTC.
const UNKNOWN_ZONE_OVERLAP: jiff::SignedDuration = jiff::SignedDuration::from_hours(14);

/// A Jira Cloud project.
pub struct JiraConnector {
    transport: Transport,
    base_url: String,
    auth: Secret,
    project_key: String,
    /// The API user's time zone, in which JQL reads dates (`None`: not known).
    zone: Option<TimeZone>,
    /// Whether an answer since the last page had too-deep parts left out.
    trimmed: std::cell::Cell<bool>,
}

/// A Jira site's base URL and its `Basic` authorization, from the binding's `base_url`,
/// `email` and `api_token` (every missing key named at once).
///
/// # Errors
///
/// [`ConnectorError::MissingCredentials`] or [`ConnectorError::InvalidCredential`].
pub(crate) fn site_and_auth(credentials: &Credentials) -> Result<(String, Secret), ConnectorError> {
    let get = |k: &str| text(credentials, k);
    let (Some(base_url), Some(email), Some(token)) =
        (get("base_url"), get("email"), get("api_token"))
    else {
        let keys = routing_core::credential_schema("jira")
            .map(|s| s.missing(credentials))
            .unwrap_or_default()
            .iter()
            .map(|alternatives| alternatives.join("|"))
            .collect();
        return Err(ConnectorError::MissingCredentials {
            provider: "jira".into(),
            workspace: "<workspace>".into(),
            keys,
        });
    };
    http_transport::check_base_url(&base_url).map_err(|_| ConnectorError::InvalidCredential {
        key: "base_url",
        reason: "is not an http(s) URL with a host and no query (e.g. https://acme.atlassian.net)"
            .into(),
    })?;
    let auth = Secret::new(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{email}:{token}"))
    ));
    Ok((base_url, auth))
}

impl JiraConnector {
    /// A connector from `base_url`, `email`, `api_token` and `project_key`.
    ///
    /// # Errors
    ///
    /// [`ConnectorError::MissingCredentials`] or [`ConnectorError::InvalidCredential`].
    pub fn new(
        credentials: &Credentials,
        settings: &http_transport::Settings,
    ) -> Result<Self, ConnectorError> {
        let (base_url, auth) = site_and_auth(credentials)?;
        let project_key =
            text(credentials, "project_key").ok_or_else(|| ConnectorError::MissingCredentials {
                provider: "jira".into(),
                workspace: "<workspace>".into(),
                keys: vec!["project_key".into()],
            })?;
        Ok(JiraConnector {
            transport: settings.transport(),
            base_url,
            auth,
            project_key,
            zone: None,
            trimmed: std::cell::Cell::new(false),
        })
    }

    fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, ConnectorError> {
        let mut url = join_url(&self.base_url, path);
        if !query.is_empty() {
            url = format!("{url}?{}", query_string(query));
        }
        let plan = RequestPlan::get(&url)
            .header("Accept", "application/json")
            .user_agent_header()
            .secret_header("Authorization", "", &self.auth);
        let Exchange { answer, .. } = self.transport.execute_with(
            &plan,
            || Ok::<_, TransportError>(std::io::empty()),
            http_transport::RetryPolicy::classify,
        )?;
        if !answer.is_success() {
            return Err(ConnectorError::Http {
                service: "Jira",
                status: answer.status,
                url: redact_url(&url),
                detail: jira_error_detail(&answer),
            });
        }
        let (v, trimmed) = crate::page_json(&answer).map_err(|what| ConnectorError::BadAnswer {
            service: "Jira",
            what,
            url: redact_url(&url),
        })?;
        self.trimmed.set(self.trimmed.get() || trimmed);
        Ok(v)
    }

    /// `updated >= "yyyy/MM/dd HH:mm"` in the user's zone, floored to the minute (JQL's
    /// granularity: the boundary minute is fetched again, which is harmless).
    fn jql_time(&self, since: Timestamp) -> String {
        let (zone, at) = match &self.zone {
            Some(z) => (z.clone(), since),
            None => (
                TimeZone::UTC,
                since.checked_sub(UNKNOWN_ZONE_OVERLAP).unwrap_or(since),
            ),
        };
        zone.to_datetime(at).strftime("%Y/%m/%d %H:%M").to_string()
    }

    /// The bounded, ordered JQL of a pull.
    #[must_use]
    pub fn jql(&self, since: Option<Timestamp>) -> String {
        let key = self.project_key.replace('\\', "\\\\").replace('"', "\\\"");
        let mut jql = format!("project = \"{key}\"");
        if let Some(since) = since {
            jql += &format!(" AND updated >= \"{}\"", self.jql_time(since));
        }
        jql + " ORDER BY updated ASC, key ASC"
    }
}

/// `errorMessages` and `errors` of a Jira error body, on one line.
fn jira_error_detail(answer: &Answer) -> Option<String> {
    let v = match answer.json() {
        Some(v) => v,
        None => {
            let t = match &answer.body {
                http_transport::ResponseBody::Text(t) => t.as_str(),
                http_transport::ResponseBody::Json(_) => "",
            };
            return (!t.trim().is_empty()).then(|| one_line(t));
        }
    };
    let mut parts: Vec<String> = v
        .get("errorMessages")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if let Some(errors) = v.get("errors").and_then(Value::as_object) {
        for (k, msg) in errors {
            parts.push(format!("{k}: {}", msg.as_str().unwrap_or_default()));
        }
    }
    (!parts.is_empty()).then(|| one_line(&parts.join("; ")))
}

impl Connector for JiraConnector {
    fn provider(&self) -> &'static str {
        "jira"
    }

    fn service(&self) -> &'static str {
        "Jira"
    }

    fn endpoint(&self) -> String {
        redact_url(&join_url(&self.base_url, "/rest/api/3/search/jql"))
    }

    fn order(&self) -> Order {
        Order::Ascending
    }

    fn whoami(&mut self) -> Result<String, ConnectorError> {
        let me = self.get("/rest/api/3/myself", &[])?;
        ["displayName", "emailAddress", "accountId"]
            .iter()
            .find_map(|k| me.get(*k).and_then(Value::as_str).filter(|s| !s.is_empty()))
            .map(one_line)
            .ok_or_else(|| ConnectorError::BadAnswer {
                service: "Jira",
                what: "a /myself answer without displayName, emailAddress or accountId".to_owned(),
                url: redact_url(&join_url(&self.base_url, "/rest/api/3/myself")),
            })
    }

    fn begin(&mut self) -> Result<(), ConnectorError> {
        let me = self.get("/rest/api/3/myself", &[])?;
        self.zone = me
            .get("timeZone")
            .and_then(Value::as_str)
            .and_then(|name| jiff::tz::db().get(name).ok());
        Ok(())
    }

    fn fetch_page(
        &mut self,
        since: Option<Timestamp>,
        cursor: Option<&str>,
        page_size: u32,
    ) -> Result<Page, ConnectorError> {
        let jql = self.jql(since);
        let max = page_size.to_string();
        let mut query = vec![
            ("jql", jql.as_str()),
            ("fields", JIRA_FIELDS),
            ("maxResults", max.as_str()),
        ];
        if let Some(token) = cursor {
            query.push(("nextPageToken", token));
        }
        let url = join_url(&self.base_url, "/rest/api/3/search/jql");
        let v = self.get("/rest/api/3/search/jql", &query)?;
        let bad = crate::bad_answer("Jira", redact_url(&url));
        let items = v
            .get("issues")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("no `issues` list"))?;
        let issues = crate::map_items(items, &bad, |item| jira_issue(&self.base_url, item))?;
        let is_last = v.get("isLast").and_then(Value::as_bool).unwrap_or(false);
        let token = v
            .get("nextPageToken")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty());
        let next_cursor = if is_last {
            None
        } else {
            token.map(str::to_owned)
        };
        Ok(Page {
            issues,
            next_cursor,
            trimmed: self.trimmed.take(),
        })
    }
}

fn name_of(v: Option<&Value>) -> String {
    v.and_then(|x| x.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_lowercase()
}

/// The canonical status of a Jira `status` object (name first, then its category).
pub(crate) fn status_of(status: &Value) -> IssueStatus {
    jira_status(Some(status))
}

fn jira_status(status: Option<&Value>) -> IssueStatus {
    match name_of(status).as_str() {
        "done" | "closed" | "resolved" => IssueStatus::Done,
        "in progress" | "doing" | "started" => IssueStatus::InProgress,
        "in review" | "review" => IssueStatus::InReview,
        "blocked" | "on hold" => IssueStatus::Blocked,
        "canceled" | "cancelled" => IssueStatus::Canceled,
        _ => {
            // A name we do not know: the status category says where it belongs.
            let category = status
                .and_then(|s| s.get("statusCategory"))
                .and_then(|c| c.get("key"))
                .and_then(Value::as_str);
            match category {
                Some("done") => IssueStatus::Done,
                Some("indeterminate") => IssueStatus::InProgress,
                _ => IssueStatus::Todo,
            }
        }
    }
}

fn jira_type(issuetype: Option<&Value>) -> IssueType {
    match name_of(issuetype).as_str() {
        "epic" | "initiative" => IssueType::Epic,
        "story" => IssueType::Story,
        "bug" | "defect" => IssueType::Bug,
        "sub-task" | "subtask" => IssueType::Subtask,
        "chore" | "maintenance" => IssueType::Chore,
        _ if issuetype
            .and_then(|t| t.get("subtask"))
            .and_then(Value::as_bool)
            == Some(true) =>
        {
            IssueType::Subtask
        }
        _ => IssueType::Task,
    }
}

fn jira_priority(priority: Option<&Value>) -> Option<i64> {
    match name_of(priority).as_str() {
        "highest" => Some(0),
        "high" => Some(1),
        "medium" => Some(2),
        "low" => Some(3),
        "lowest" => Some(4),
        _ => None,
    }
}

fn scalar_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn jira_ref(base_url: &str, v: &Value) -> Option<IssueRef> {
    let id = scalar_text(v.get("id"))?;
    let key = scalar_text(v.get("key"));
    let url = key
        .as_deref()
        .map(|k| format!("{}/browse/{k}", base_url.trim_end_matches('/')));
    Some(IssueRef {
        system: "jira".into(),
        workspace: base_url.to_owned(),
        id,
        key,
        url,
    })
}

/// A Jira search result issue as the cache's canonical issue (`None` without an id). The
/// reference's workspace is the `base_url` credential, as `spec-kitty-tracker` writes it.
#[must_use]
pub fn jira_issue(base_url: &str, issue: &Value) -> Option<CanonicalIssue> {
    let reference = jira_ref(base_url, issue)?;
    let empty = Map::new();
    let fields = issue
        .get("fields")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let title = fields
        .get("summary")
        .and_then(Value::as_str)
        .filter(|s| !routing_core::is_blank(s))
        .unwrap_or("Untitled")
        .to_owned();
    let body = match fields.get("description") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(doc @ Value::Object(_)) => adf_to_text(doc),
        _ => None,
    };
    let assignees = fields
        .get("assignee")
        .and_then(|a| a.get("accountId"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(|s| vec![s.to_owned()])
        .unwrap_or_default();
    let labels = fields
        .get("labels")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|l| l.as_str().map_or_else(|| l.to_string(), str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let time = |k: &str| {
        fields
            .get(k)
            .and_then(Value::as_str)
            .and_then(python_isoformat)
    };
    Some(CanonicalIssue {
        reference,
        title,
        body,
        status: jira_status(fields.get("status")),
        issue_type: jira_type(fields.get("issuetype")),
        priority: jira_priority(fields.get("priority")),
        assignees,
        labels,
        parent: fields.get("parent").and_then(|p| jira_ref(base_url, p)),
        links: Vec::new(),
        custom_fields: Map::new(),
        created_at: time("created"),
        updated_at: time("updated"),
        raw: Some(issue.clone()),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn statuses_fall_back_to_their_category() {
        let s = |name: &str, cat: &str| {
            jira_status(Some(&json!({"name": name, "statusCategory": {"key": cat}})))
        };
        assert_eq!(s("Done", "done"), IssueStatus::Done);
        assert_eq!(s("Shipped", "done"), IssueStatus::Done);
        assert_eq!(s("QA", "indeterminate"), IssueStatus::InProgress);
        assert_eq!(s("Backlog", "new"), IssueStatus::Todo);
        assert_eq!(s("On Hold", "indeterminate"), IssueStatus::Blocked);
        assert_eq!(jira_status(None), IssueStatus::Todo);
    }

    #[test]
    fn priorities_and_types() {
        let p = |n: &str| jira_priority(Some(&json!({"name": n})));
        assert_eq!(
            ["Highest", "High", "Medium", "Low", "Lowest", "P1"].map(p),
            [Some(0), Some(1), Some(2), Some(3), Some(4), None]
        );
        assert_eq!(
            jira_type(Some(&json!({"name": "Sub-task"}))),
            IssueType::Subtask
        );
        assert_eq!(
            jira_type(Some(&json!({"name": "Teilaufgabe", "subtask": true}))),
            IssueType::Subtask
        );
        assert_eq!(
            jira_type(Some(&json!({"name": "Initiative"}))),
            IssueType::Epic
        );
        assert_eq!(jira_type(None), IssueType::Task);
    }

    #[test]
    fn an_issue_maps_like_spec_kitty_tracker() {
        let issue = json!({"id": "10001", "key": "ACME-1", "fields": {
            "summary": "Ünïcödé ☃", "description": {"type": "doc", "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": "a"}]},
                {"type": "paragraph", "content": [{"type": "text", "text": "b"}]}]},
            "status": {"name": "In Progress", "statusCategory": {"key": "indeterminate"}},
            "priority": {"name": "High"}, "assignee": {"accountId": "5b10a"},
            "labels": ["x"], "issuetype": {"name": "Story"},
            "parent": {"id": "10000", "key": "ACME-0"},
            "updated": "2026-01-17T12:34:00.000+0000", "created": "2026-01-17T12:00:00.123+0100"}});
        let c = jira_issue("https://acme.atlassian.net", &issue).unwrap();
        assert_eq!(c.reference.workspace, "https://acme.atlassian.net");
        assert_eq!(
            c.reference.url.as_deref(),
            Some("https://acme.atlassian.net/browse/ACME-1")
        );
        assert_eq!(c.title, "Ünïcödé ☃");
        assert_eq!(c.body.as_deref(), Some("a\nb"));
        assert_eq!(c.status, IssueStatus::InProgress);
        assert_eq!(c.priority, Some(1));
        assert_eq!(c.assignees, ["5b10a"]);
        assert_eq!(c.parent.unwrap().key.as_deref(), Some("ACME-0"));
        assert_eq!(c.updated_at.as_deref(), Some("2026-01-17T12:34:00+00:00"));
        assert_eq!(
            c.created_at.as_deref(),
            Some("2026-01-17T12:00:00.123000+01:00")
        );
        assert!(jira_issue("https://x", &json!({"key": "A-1"})).is_none());
        let blank =
            jira_issue("https://x", &json!({"id": 7, "fields": {"summary": "  "}})).unwrap();
        assert_eq!(
            (blank.title.as_str(), blank.reference.id.as_str()),
            ("Untitled", "7")
        );
    }
}
