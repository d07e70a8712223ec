//! Fake Jira Cloud and fake Linear on loopback, quirks included, so connectors are tested
//! over real HTTP: Jira's `fields` defaulting to `id`, the 100-issue page cap when fields
//! are asked, no `nextPageToken` on the last page, 400 on unbounded JQL, 410 on the removed
//! `/rest/api/3/search`, 401 without auth, JQL dates read in the user's time zone; Linear's
//! newest-first `orderBy: updatedAt`, the refusal of a personal key sent as `Bearer`, and
//! (with [`crate::Fault::Answer`]) its 400 `RATELIMITED` and errors inside a 200.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use jiff::civil::DateTime;
use serde_json::{Value, json};

use crate::server::Shared;

/// The fake Jira's account and project.
#[derive(Debug, Clone)]
pub struct FakeJira {
    /// The account's email.
    pub email: String,
    /// Its API token.
    pub api_token: String,
    /// The one project.
    pub project_key: String,
    /// The account's time zone (IANA), in which JQL dates are read.
    pub time_zone: String,
    /// Issues as Jira returns them (`id`, `key`, `fields` with `updated`...).
    pub issues: Vec<Value>,
}

/// The fake Linear's credentials and team.
#[derive(Debug, Clone)]
pub struct FakeLinear {
    /// A personal API key (sent as is).
    pub api_key: String,
    /// An OAuth token (sent as `Bearer`).
    pub oauth_token: String,
    /// The team.
    pub team_id: String,
    /// Issue nodes as the GraphQL API returns them (`team` is read for the filter).
    pub issues: Vec<Value>,
}

fn jira_error(status: StatusCode, messages: &[&str]) -> Response {
    (
        status,
        Json(json!({"errorMessages": messages, "errors": {}})),
    )
        .into_response()
}

fn basic(email: &str, token: &str) -> String {
    // Base64 of `email:token`, written out here so the fake needs no codec crate.
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let input = format!("{email}:{token}").into_bytes();
    let mut out = String::from("Basic ");
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn jira_authorized(shared: &Shared, headers: &HeaderMap) -> Result<FakeJira, Box<Response>> {
    // The account only: the issues stay under the lock (cloning them per request would
    // make the fake, not the client, the bottleneck of a 10,000-issue pull).
    let account = shared.state().jira.as_ref().map(|j| FakeJira {
        email: j.email.clone(),
        api_token: j.api_token.clone(),
        project_key: j.project_key.clone(),
        time_zone: j.time_zone.clone(),
        issues: Vec::new(),
    });
    let Some(jira) = account else {
        return Err(Box::new(jira_error(
            StatusCode::NOT_FOUND,
            &["no Jira here"],
        )));
    };
    let sent = headers.get("authorization").and_then(|v| v.to_str().ok());
    if sent != Some(basic(&jira.email, &jira.api_token).as_str()) {
        return Err(Box::new(jira_error(
            StatusCode::UNAUTHORIZED,
            &["Client must be authenticated to access this resource."],
        )));
    }
    Ok(jira)
}

/// `GET /rest/api/3/myself`.
pub(crate) async fn jira_myself(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    match jira_authorized(&shared, &headers) {
        Ok(j) => Json(json!({"accountId": "fake-account", "emailAddress": j.email,
                              "displayName": "Fake User", "timeZone": j.time_zone}))
        .into_response(),
        Err(r) => *r,
    }
}

/// `GET /rest/api/3/search`: removed by Atlassian in 2025.
pub(crate) async fn jira_old_search() -> Response {
    jira_error(
        StatusCode::GONE,
        &[
            "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046",
        ],
    )
}

/// One fake Jira issue's sort key.
#[derive(Debug, Clone)]
pub(crate) struct JiraKey {
    updated: Option<Timestamp>,
    key: (String, u64),
    at: usize,
}

/// What the fake understands of a JQL query.
struct Jql {
    project: String,
    updated_from: Option<String>,
    ordered: bool,
}

fn parse_jql(jql: &str) -> Option<Jql> {
    let rest = jql.trim().strip_prefix("project = ")?;
    let (project, rest) = if let Some(r) = rest.strip_prefix('"') {
        let end = r.find('"')?;
        (r[..end].to_owned(), &r[end + 1..])
    } else {
        let end = rest.find(' ').unwrap_or(rest.len());
        (rest[..end].to_owned(), &rest[end..])
    };
    let mut rest = rest.trim();
    let mut updated_from = None;
    if let Some(r) = rest.strip_prefix("AND updated >= \"") {
        let end = r.find('"')?;
        updated_from = Some(r[..end].to_owned());
        rest = r[end + 1..].trim();
    }
    let ordered = match rest {
        "" => false,
        "ORDER BY updated ASC, key ASC" => true,
        _ => return None,
    };
    Some(Jql {
        project,
        updated_from,
        ordered,
    })
}

fn updated_of(issue: &Value) -> Option<Timestamp> {
    let s = issue.pointer("/fields/updated")?.as_str()?;
    // `2026-01-17T12:34:00.000+0000`: give the offset its colon for the parser.
    let b = s.as_bytes();
    let n = b.len();
    let basic_offset =
        n > 5 && matches!(b[n - 5], b'+' | b'-') && b[n - 4..].iter().all(u8::is_ascii_digit);
    let fixed = if basic_offset {
        format!("{}:{}", &s[..n - 2], &s[n - 2..])
    } else {
        s.to_owned()
    };
    fixed.parse().ok()
}

fn key_number(issue: &Value) -> (String, u64) {
    let key = issue["key"].as_str().unwrap_or("");
    let (p, n) = key.rsplit_once('-').unwrap_or((key, "0"));
    (p.to_owned(), n.parse().unwrap_or(0))
}

/// `GET /rest/api/3/search/jql`.
pub(crate) async fn jira_search(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let jira = match jira_authorized(&shared, &headers) {
        Ok(j) => j,
        Err(r) => return *r,
    };
    let jql = q.get("jql").map_or("", String::as_str);
    if jql.trim().is_empty() || !jql.contains("project") {
        return jira_error(
            StatusCode::BAD_REQUEST,
            &[
                "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.",
            ],
        );
    }
    let Some(parsed) = parse_jql(jql) else {
        return jira_error(
            StatusCode::BAD_REQUEST,
            &["Error in the JQL Query: the fake cannot read it."],
        );
    };
    if parsed.project != jira.project_key {
        return jira_error(
            StatusCode::BAD_REQUEST,
            &[&format!(
                "The value '{}' does not exist for the field 'project'.",
                parsed.project
            )],
        );
    }
    let from = match parsed.updated_from {
        None => None,
        Some(text) => {
            let Ok(dt) = DateTime::strptime("%Y/%m/%d %H:%M", &text) else {
                return jira_error(StatusCode::BAD_REQUEST, &["Date value is invalid."]);
            };
            // JQL dates are read in the user's time zone.
            match dt.in_tz(&jira.time_zone) {
                Ok(z) => Some(z.timestamp()),
                Err(_) => return jira_error(StatusCode::BAD_REQUEST, &["bad time zone"]),
            }
        }
    };
    let fields = q.get("fields").map_or("id", String::as_str);
    let only_id = fields.split(',').all(|f| f.trim() == "id");
    let cap = if only_id { 5000 } else { 100 };
    let asked: usize = q
        .get("maxResults")
        .and_then(|m| m.parse().ok())
        .unwrap_or(50);
    let size = asked.clamp(1, cap);
    let mut books = shared.state();
    if books.jira_index.is_none() {
        let all = books.jira.as_ref().map_or(&[][..], |j| j.issues.as_slice());
        let mut index: Vec<JiraKey> = all
            .iter()
            .enumerate()
            .map(|(at, i)| JiraKey {
                updated: updated_of(i),
                key: key_number(i),
                at,
            })
            .collect();
        index.sort_by(|a, b| (a.updated, &a.key).cmp(&(b.updated, &b.key)));
        books.jira_index = Some(index);
    }
    let all = books.jira.as_ref().map_or(&[][..], |j| j.issues.as_slice());
    let index = books.jira_index.as_deref().unwrap_or_default();
    let mut hits: Vec<&Value> = index
        .iter()
        .filter(|k| from.is_none_or(|f| k.updated.is_some_and(|u| u >= f)))
        .map(|k| &all[k.at])
        .collect();
    if !parsed.ordered {
        hits.sort_by_cached_key(|i| std::cmp::Reverse(key_number(i)));
    }
    let start = match q.get("nextPageToken") {
        None => 0,
        Some(t) => match t
            .strip_prefix("fake-token-")
            .and_then(|n| n.parse::<usize>().ok())
        {
            Some(n) => n,
            None => {
                return jira_error(
                    StatusCode::BAD_REQUEST,
                    &["The provided next page token is invalid or expired."],
                );
            }
        },
    };
    let page: Vec<Value> = hits
        .iter()
        .skip(start)
        .take(size)
        .map(|i| {
            if only_id {
                json!({"id": i["id"]})
            } else {
                let wanted: Vec<&str> = fields.split(',').map(str::trim).collect();
                let mut out = (*i).clone();
                if let Some(f) = out.get_mut("fields").and_then(Value::as_object_mut) {
                    f.retain(|k, _| wanted.contains(&k.as_str()));
                }
                out
            }
        })
        .collect();
    let end = start + page.len();
    let mut body = json!({"issues": page, "isLast": end >= hits.len()});
    if end < hits.len() {
        body["nextPageToken"] = json!(format!("fake-token-{end}"));
    }
    Json(body).into_response()
}

fn graphql_error(status: StatusCode, message: &str, code: &str) -> Response {
    (
        status,
        Json(json!({"errors": [{"message": message, "extensions": {"code": code}}]})),
    )
        .into_response()
}

/// `POST /graphql`: the `issues` connection of one team, newest update first.
pub(crate) async fn linear_graphql(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut books = shared.state();
    let Some(linear) = books.linear.as_mut() else {
        return graphql_error(StatusCode::NOT_FOUND, "no Linear here", "NOT_FOUND");
    };
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let ok = auth == linear.api_key || auth == format!("Bearer {}", linear.oauth_token);
    if !ok {
        if auth == format!("Bearer {}", linear.api_key) {
            return graphql_error(
                StatusCode::BAD_REQUEST,
                "It looks like you're trying to use an API key as a Bearer token. Remove the Bearer prefix from the Authorization header.",
                "AUTHENTICATION_ERROR",
            );
        }
        return graphql_error(
            StatusCode::UNAUTHORIZED,
            "Authentication required, not authenticated",
            "AUTHENTICATION_ERROR",
        );
    }
    let query = body["query"].as_str().unwrap_or("");
    if let Some(answer) = linear_push(linear, query, &body["variables"]) {
        return answer;
    }
    let linear = &*linear;
    if query.contains("viewer") {
        return Json(json!({"data": {"viewer": {"id": "user-1", "name": "Fake Linear User", "email": "fake@linear.example"}}})).into_response();
    }
    if !query.contains("issues(") || !query.contains("pageInfo") {
        return graphql_error(
            StatusCode::BAD_REQUEST,
            "the fake only answers issue queries",
            "GRAPHQL_VALIDATION_FAILED",
        );
    }
    let vars = &body["variables"];
    let first = vars["first"].as_u64().unwrap_or(50);
    if first > 250 {
        return graphql_error(
            StatusCode::BAD_REQUEST,
            "first must be at most 250",
            "INVALID_INPUT",
        );
    }
    let filter = &vars["filter"];
    let team = filter.pointer("/team/id/eq").and_then(Value::as_str);
    let bound = |op: &str| {
        filter
            .pointer(&format!("/updatedAt/{op}"))
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<Timestamp>().ok())
    };
    let (gt, gte) = (bound("gt"), bound("gte"));
    let at = |n: &Value| {
        n["updatedAt"]
            .as_str()
            .and_then(|s| s.parse::<Timestamp>().ok())
    };
    let mut hits: Vec<&Value> = linear
        .issues
        .iter()
        .filter(|n| team.is_none_or(|t| n.pointer("/team/id").and_then(Value::as_str) == Some(t)))
        .filter(|n| gt.is_none_or(|g| at(n).is_some_and(|u| u > g)))
        .filter(|n| gte.is_none_or(|g| at(n).is_some_and(|u| u >= g)))
        .collect();
    // `orderBy: updatedAt` is newest first.
    hits.sort_by_key(|n| {
        (
            std::cmp::Reverse(at(n)),
            n["id"].as_str().unwrap_or("").to_owned(),
        )
    });
    let start = match vars["after"].as_str() {
        None => 0,
        Some(c) => match c
            .strip_prefix("fake-cursor-")
            .and_then(|n| n.parse::<usize>().ok())
        {
            Some(n) => n,
            None => {
                return graphql_error(StatusCode::BAD_REQUEST, "invalid cursor", "INVALID_INPUT");
            }
        },
    };
    let page: Vec<Value> = hits
        .iter()
        .skip(start)
        .take(usize::try_from(first).unwrap_or(50))
        .map(|n| {
            let mut n = (*n).clone();
            if let Some(o) = n.as_object_mut() {
                o.remove("team");
            }
            n
        })
        .collect();
    let end = start + page.len();
    Json(json!({"data": {"issues": {
        "nodes": page,
        "pageInfo": {"hasNextPage": end < hits.len(), "endCursor": format!("fake-cursor-{end}")}
    }}}))
    .into_response()
}

/// The fake Linear team's workflow states: `(id, name, type)`.
pub const LINEAR_STATES: [(&str, &str, &str); 6] = [
    ("state-backlog", "Backlog", "backlog"),
    ("state-todo", "Todo", "unstarted"),
    ("state-progress", "In Progress", "started"),
    ("state-review", "In Review", "started"),
    ("state-done", "Done", "completed"),
    ("state-canceled", "Canceled", "canceled"),
];

fn linear_state_json(id: &str) -> Option<Value> {
    LINEAR_STATES
        .iter()
        .find(|(i, _, _)| *i == id)
        .map(|(i, n, t)| json!({"id": i, "name": n, "type": t}))
}

/// The push's GraphQL: the team's workflow states, one issue's state, `issueUpdate`.
fn linear_push(linear: &mut FakeLinear, query: &str, vars: &Value) -> Option<Response> {
    let not_found = || {
        Json(json!({"data": {"issue": null}, "errors": [{"message": "Entity not found: Issue",
            "extensions": {"code": "INVALID_INPUT", "userPresentableMessage": "Could not find referenced Issue."}}]}))
        .into_response()
    };
    if query.contains("states(") {
        if vars["team"].as_str() != Some(linear.team_id.as_str()) {
            return Some(Json(json!({"data": {"team": null}, "errors": [{"message": "Entity not found: Team"}]})).into_response());
        }
        let nodes: Vec<Value> = LINEAR_STATES
            .iter()
            .map(|(i, n, t)| json!({"id": i, "name": n, "type": t}))
            .collect();
        return Some(Json(json!({"data": {"team": {"states": {"nodes": nodes}}}})).into_response());
    }
    let id = vars["id"].as_str().unwrap_or("");
    if query.contains("issueUpdate(") {
        let Some(issue) = linear.issues.iter_mut().find(|n| n["id"] == id) else {
            return Some(not_found());
        };
        let Some(state) = vars["stateId"].as_str().and_then(linear_state_json) else {
            return Some(
                Json(json!({"data": {"issueUpdate": {"success": false, "issue": null}}}))
                    .into_response(),
            );
        };
        issue["state"] = state;
        issue["updatedAt"] = json!(Timestamp::now().to_string());
        let i =
            json!({"id": issue["id"], "updatedAt": issue["updatedAt"], "state": issue["state"]});
        return Some(
            Json(json!({"data": {"issueUpdate": {"success": true, "issue": i}}})).into_response(),
        );
    }
    if query.contains("issue(") {
        let Some(issue) = linear.issues.iter().find(|n| n["id"] == id) else {
            return Some(not_found());
        };
        let i =
            json!({"id": issue["id"], "updatedAt": issue["updatedAt"], "state": issue["state"]});
        return Some(Json(json!({"data": {"issue": i}})).into_response());
    }
    None
}

/// The fake Jira project's workflow: every status, with its category.
pub const JIRA_WORKFLOW: [(&str, &str); 6] = [
    ("To Do", "new"),
    ("In Progress", "indeterminate"),
    ("In Review", "indeterminate"),
    ("Blocked", "indeterminate"),
    ("Done", "done"),
    ("Won't Do", "done"),
];

fn jira_find<'a>(issues: &'a mut [Value], key_or_id: &str) -> Option<&'a mut Value> {
    issues
        .iter_mut()
        .find(|i| i["key"] == key_or_id || i["id"] == key_or_id)
}

/// `updated` as Jira writes it, for now.
fn jira_now() -> String {
    jiff::tz::TimeZone::UTC
        .to_datetime(Timestamp::now())
        .strftime("%Y-%m-%dT%H:%M:%S%.3f+0000")
        .to_string()
}

/// The moves the workflow offers from `current` (every other status, less the forbidden).
fn jira_transitions_from(current: &str, forbidden: &[(String, String)]) -> Vec<Value> {
    JIRA_WORKFLOW
        .iter()
        .enumerate()
        .filter(|(_, (name, _))| *name != current)
        .filter(|(_, (name, _))| !forbidden.iter().any(|(f, t)| f == current && t == name))
        .map(|(i, (name, cat))| {
            json!({"id": format!("{}", 11 + i), "name": format!("Move to {name}"),
                   "to": {"name": name, "statusCategory": {"key": cat}}})
        })
        .collect()
}

/// Runs `f` on the fake Jira's issue `key` (with the forbidden moves) after the
/// authorization check; 404 when there is no such issue.
fn with_jira_issue(
    shared: &Shared,
    headers: &HeaderMap,
    key: &str,
    f: impl FnOnce(&mut Value, &[(String, String)]) -> (Response, bool),
) -> Response {
    if let Err(r) = jira_authorized(shared, headers) {
        return *r;
    }
    let mut state = shared.state();
    let forbidden = state.jira_forbidden.clone();
    let Some(issue) = state
        .jira
        .as_mut()
        .and_then(|j| jira_find(&mut j.issues, key))
    else {
        return jira_error(
            StatusCode::NOT_FOUND,
            &["Issue does not exist or you do not have permission to see it."],
        );
    };
    let (response, changed) = f(issue, &forbidden);
    if changed {
        state.jira_index = None;
    }
    response
}

/// `GET /rest/api/3/issue/{key}` (`fields=status,updated` or all).
pub(crate) async fn jira_issue_get(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    axum::extract::Path(key): axum::extract::Path<String>,
) -> Response {
    with_jira_issue(&shared, &headers, &key, |issue, _| {
        (Json(issue.clone()).into_response(), false)
    })
}

/// `GET /rest/api/3/issue/{key}/transitions`.
pub(crate) async fn jira_transitions_get(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    axum::extract::Path(key): axum::extract::Path<String>,
) -> Response {
    with_jira_issue(&shared, &headers, &key, |issue, forbidden| {
        let current = issue["fields"]["status"]["name"].as_str().unwrap_or("");
        let transitions = jira_transitions_from(current, forbidden);
        (
            Json(json!({"transitions": transitions})).into_response(),
            false,
        )
    })
}

/// `POST /rest/api/3/issue/{key}/transitions` with `{"transition": {"id": ...}}`: moves
/// the issue and stamps `updated`; 204.
pub(crate) async fn jira_transitions_post(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    axum::extract::Path(key): axum::extract::Path<String>,
    Json(body): Json<Value>,
) -> Response {
    with_jira_issue(&shared, &headers, &key, |issue, forbidden| {
        let current = issue["fields"]["status"]["name"].as_str().unwrap_or("");
        let wanted = body["transition"]["id"].as_str().unwrap_or("");
        let Some(to) = jira_transitions_from(current, forbidden)
            .into_iter()
            .find(|t| t["id"] == wanted)
        else {
            return (
                jira_error(
                    StatusCode::BAD_REQUEST,
                    &[&format!(
                        "Transition id '{wanted}' is not valid for this issue."
                    )],
                ),
                false,
            );
        };
        issue["fields"]["status"] = to["to"].clone();
        issue["fields"]["updated"] = json!(jira_now());
        (StatusCode::NO_CONTENT.into_response(), true)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_is_base64_of_email_colon_token() {
        assert_eq!(basic("a@b.c", "tok"), "Basic YUBiLmM6dG9r");
        assert_eq!(basic("ab", "c"), "Basic YWI6Yw==");
        assert_eq!(basic("a", "bc"), "Basic YTpiYw==");
    }

    #[test]
    fn jql_the_client_sends_is_understood() {
        let j = parse_jql(
            "project = \"ACME\" AND updated >= \"2026/01/17 12:34\" ORDER BY updated ASC, key ASC",
        )
        .unwrap();
        assert_eq!(
            (j.project.as_str(), j.updated_from.as_deref(), j.ordered),
            ("ACME", Some("2026/01/17 12:34"), true)
        );
        assert!(parse_jql("updated >= -1d").is_none());
    }
}
