//! Pulling from the fake Jira and fake Linear over real HTTP on 127.0.0.1 into a real
//! SQLite cache.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use std::sync::{Arc, Mutex};
use std::time::Duration;

use contract_server::{ContractServer, FakeJira, FakeLinear, Fault, ServerConfig};
use routing_core::CredentialValue;
use serde_json::{Value, json};
use spec_kitty_home::Credentials;
use tracker_connectors::{
    ConnectorError, PullError, PullOptions, RESUME_PREFIX, connector_for, pull,
};
use tracker_store::{IssueCache, IssueRef};

const TOKEN: &str = "jira-token-never-printed";
const KEY: &str = "lin_api_never_printed";

fn creds(pairs: &[(&str, &str)]) -> Credentials {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), CredentialValue::String((*v).to_owned())))
        .collect()
}

/// `2026-01-17T12:00:00.000+0000` plus `minutes`.
fn jira_time(minutes: i64) -> String {
    let t: jiff::Timestamp = "2026-01-17T12:00:00Z".parse().unwrap();
    let t = t
        .checked_add(jiff::SignedDuration::from_mins(minutes))
        .unwrap();
    t.strftime("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

fn jira_issue(n: u64, minutes: i64, title: &str) -> Value {
    json!({"id": format!("{}", 10000 + n), "key": format!("ACME-{n}"),
           "self": format!("https://acme.atlassian.net/rest/api/3/issue/{}", 10000 + n),
           "fields": {
               "summary": title,
               "description": {"type": "doc", "version": 1, "content": [
                   {"type": "paragraph", "content": [{"type": "text", "text": format!("Body of {n}")}]}]},
               "status": {"name": "In Progress", "statusCategory": {"key": "indeterminate"}},
               "priority": {"name": "High"}, "labels": ["pull"],
               "issuetype": {"name": "Story"}, "assignee": null,
               "updated": jira_time(minutes), "created": jira_time(0)}})
}

fn jira_server(issues: Vec<Value>, time_zone: &str) -> ContractServer {
    ContractServer::start(ServerConfig {
        jira: Some(FakeJira {
            email: "dev@example.com".into(),
            api_token: TOKEN.into(),
            project_key: "ACME".into(),
            time_zone: time_zone.into(),
            issues,
        }),
        ..ServerConfig::default()
    })
    .unwrap()
}

fn jira_creds(s: &ContractServer) -> Credentials {
    creds(&[
        ("base_url", &s.url()),
        ("email", "dev@example.com"),
        ("api_token", TOKEN),
        ("project_key", "ACME"),
    ])
}

fn options(attempts: u32) -> (http_transport::Settings, Arc<Mutex<Vec<Duration>>>) {
    let waits = Arc::new(Mutex::new(Vec::new()));
    let w = Arc::clone(&waits);
    let mut o = tracker_connectors::connector_settings();
    o.policy.attempts = attempts;
    o.policy.backoff_base = Duration::from_millis(1);
    o.timeout = Duration::from_secs(5);
    o.sleep = Arc::new(move |d| w.lock().unwrap().push(d));
    (o, waits)
}

struct Cache {
    _dir: tempfile::TempDir,
    cache: IssueCache,
}

fn cache() -> Cache {
    let dir = tempfile::tempdir().unwrap();
    let cache = IssueCache::open(&dir.path().join("trackers/t.db")).unwrap();
    Cache { _dir: dir, cache }
}

fn run(
    c: &mut IssueCache,
    provider: &str,
    credentials: &Credentials,
    opts: &http_transport::Settings,
    pull_opts: PullOptions,
) -> Result<tracker_connectors::PullSummary, PullError> {
    let mut conn = connector_for(provider, "acme", credentials, opts).unwrap();
    pull(
        c,
        conn.as_mut(),
        &format!("{provider}:acme"),
        &pull_opts,
        |_| {},
    )
}

fn page(size: u32) -> PullOptions {
    PullOptions {
        full: false,
        page_size: size,
    }
}

#[test]
fn a_jira_pull_fills_the_cache_through_capped_pages() {
    let issues: Vec<Value> = (1..=250)
        .map(|n| jira_issue(n, n as i64, &format!("Issue {n} ☃ Ünïcödé")))
        .collect();
    let s = jira_server(issues, "UTC");
    let mut c = cache();
    let (o, _) = options(1);
    let sum = run(&mut c.cache, "jira", &jira_creds(&s), &o, page(500)).unwrap();
    assert_eq!(
        sum.pages, 3,
        "the fake caps pages at 100 when fields are asked"
    );
    assert_eq!(
        (sum.counts.created, sum.counts.updated, sum.counts.unchanged),
        (250, 0, 0)
    );
    assert_eq!(c.cache.count_issues("jira").unwrap(), 250);
    assert_eq!(
        sum.checkpoint.updated_since.as_deref(),
        Some("2026-01-17T16:10:00+00:00")
    );
    assert_eq!(sum.checkpoint.cursor, None);
    let row = c
        .cache
        .get_issue(&format!("jira:{}:10007", s.url()))
        .unwrap()
        .unwrap();
    assert_eq!(row.payload["title"], "Issue 7 ☃ Ünïcödé");
    assert_eq!(row.payload["body"], "Body of 7");
    assert_eq!(row.payload["status"], "in_progress");
    assert_eq!(row.payload["priority"], 1);
    assert_eq!(row.payload["raw"]["key"], "ACME-7");
    // Every search was bounded, ordered, asked for the fields, and authenticated.
    for r in s
        .received()
        .iter()
        .filter(|r| r.path.starts_with("/rest/api/3/search/jql"))
    {
        assert!(
            r.path.contains("jql=project%20%3D%20%22ACME%22"),
            "{}",
            r.path
        );
        assert!(
            r.path.contains("ORDER%20BY%20updated%20ASC%2C%20key%20ASC"),
            "{}",
            r.path
        );
        assert!(
            r.path.contains("fields=summary%2Cdescription"),
            "{}",
            r.path
        );
        assert!(r.header("authorization").unwrap().starts_with("Basic "));
    }
    // A second pull fetches only the boundary minute again.
    let again = run(&mut c.cache, "jira", &jira_creds(&s), &o, page(100)).unwrap();
    assert_eq!(
        (
            again.counts.created,
            again.counts.updated,
            again.counts.unchanged
        ),
        (0, 0, 1)
    );
}

#[test]
fn an_incremental_jira_pull_picks_up_only_the_edited_issue() {
    let s = jira_server(
        (1..=30).map(|n| jira_issue(n, n as i64, "x")).collect(),
        "UTC",
    );
    let mut c = cache();
    let (o, _) = options(1);
    run(&mut c.cache, "jira", &jira_creds(&s), &o, page(10)).unwrap();
    s.jira_put(jira_issue(5, 90, "edited title"));
    let sum = run(&mut c.cache, "jira", &jira_creds(&s), &o, page(10)).unwrap();
    assert_eq!((sum.counts.created, sum.counts.updated), (0, 1));
    assert!(
        sum.counts.unchanged <= 1,
        "only the boundary minute is fetched again: {sum:?}"
    );
    let row = c
        .cache
        .get_issue(&format!("jira:{}:10005", s.url()))
        .unwrap()
        .unwrap();
    assert_eq!(row.payload["title"], "edited title");
    assert_eq!(
        sum.checkpoint.updated_since.as_deref(),
        Some("2026-01-17T13:30:00+00:00")
    );
}

#[test]
fn jql_times_are_written_in_the_users_time_zone_and_the_boundary_minute_is_kept() {
    // The checkpoint is 12:34:30Z; an edit at 12:34:50Z (same minute) and one at 13:00Z
    // must both come back, though JQL is read in Los Angeles time.
    let mut first = jira_issue(1, 34, "a");
    first["fields"]["updated"] = json!("2026-01-17T12:34:30.000+0000");
    let s = jira_server(vec![first], "America/Los_Angeles");
    let mut c = cache();
    let (o, _) = options(1);
    run(&mut c.cache, "jira", &jira_creds(&s), &o, page(10)).unwrap();
    let mut same_minute = jira_issue(2, 0, "b");
    same_minute["fields"]["updated"] = json!("2026-01-17T12:34:50.000+0000");
    s.jira_put(same_minute);
    s.jira_put(jira_issue(3, 60, "c"));
    let sum = run(&mut c.cache, "jira", &jira_creds(&s), &o, page(10)).unwrap();
    assert_eq!(sum.counts.created, 2, "{sum:?}");
    let last = s
        .received()
        .into_iter()
        .rev()
        .find(|r| r.path.contains("search/jql"))
        .unwrap();
    assert!(
        last.path.contains("2026%2F01%2F17%2004%3A34"),
        "LA is UTC-8 in January: {}",
        last.path
    );
}

#[test]
fn an_interrupted_jira_pull_resumes_and_loses_nothing() {
    let s = jira_server(
        (1..=50).map(|n| jira_issue(n, n as i64, "x")).collect(),
        "UTC",
    );
    let mut c = cache();
    let (o, _) = options(1);
    // myself, page 1, page 2 succeed; page 3 is dropped.
    s.push_faults([
        Fault::Delay(Duration::ZERO),
        Fault::Delay(Duration::ZERO),
        Fault::Delay(Duration::ZERO),
        Fault::Drop,
    ]);
    let err = run(&mut c.cache, "jira", &jira_creds(&s), &o, page(10)).unwrap_err();
    let PullError::Connector { done, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(done.pages, 2);
    assert!(err.to_string().contains("keeps the 2 page(s)"), "{err}");
    assert!(err.is_transient());
    assert_eq!(c.cache.count_issues("jira").unwrap(), 20);
    let cp = c.cache.get_checkpoint("jira:acme").unwrap().unwrap();
    assert_eq!(
        cp.updated_since.as_deref(),
        Some("2026-01-17T12:20:00+00:00")
    );
    let sum = run(&mut c.cache, "jira", &jira_creds(&s), &o, page(10)).unwrap();
    assert_eq!(sum.counts.created, 30);
    assert_eq!(c.cache.count_issues("jira").unwrap(), 50);
}

fn linear_node(n: u64, minutes: i64, team: &str) -> Value {
    let t: jiff::Timestamp = "2026-01-17T12:00:00Z".parse().unwrap();
    let at = t
        .checked_add(jiff::SignedDuration::from_mins(minutes))
        .unwrap();
    json!({"id": format!("lin-{n:04}"), "identifier": format!("ENG-{n}"), "title": format!("Linear {n} ✓"),
           "description": "d", "priority": n % 5, "url": format!("https://linear.app/acme/issue/ENG-{n}"),
           "createdAt": "2026-01-01T00:00:00.000Z",
           "updatedAt": at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
           "state": {"id": "s", "name": "Todo", "type": "unstarted"},
           "labels": {"nodes": []}, "assignee": null, "parent": null, "team": {"id": team}})
}

fn linear_server(nodes: Vec<Value>) -> ContractServer {
    ContractServer::start(ServerConfig {
        linear: Some(FakeLinear {
            api_key: KEY.into(),
            oauth_token: "oauth-never-printed".into(),
            team_id: "team-1".into(),
            issues: nodes,
        }),
        ..ServerConfig::default()
    })
    .unwrap()
}

fn linear_creds(s: &ContractServer, auth: (&str, &str)) -> Credentials {
    creds(&[
        auth,
        ("team_id", "team-1"),
        ("graphql_url", &format!("{}/graphql", s.url())),
    ])
}

#[test]
fn a_linear_pull_is_newest_first_and_an_interrupted_one_resumes_from_its_cursor() {
    let mut nodes: Vec<Value> = (1..=45)
        .map(|n| linear_node(n, n as i64, "team-1"))
        .collect();
    nodes.push(linear_node(99, 500, "other-team"));
    let s = linear_server(nodes);
    let mut c = cache();
    let (o, _) = options(1);
    s.push_faults([Fault::Delay(Duration::ZERO), Fault::Drop]);
    let err = run(
        &mut c.cache,
        "linear",
        &linear_creds(&s, ("api_key", KEY)),
        &o,
        page(20),
    )
    .unwrap_err();
    assert!(!format!("{err} {err:?}").contains(KEY));
    let cp = c.cache.get_checkpoint("linear:acme").unwrap().unwrap();
    assert_eq!(
        cp.cursor.as_deref(),
        Some(&*format!(
            r#"{RESUME_PREFIX}{{"after":"fake-cursor-20","newest":"2026-01-17T12:45:00+00:00"}}"#
        ))
    );
    assert_eq!(
        cp.updated_since, None,
        "newest-first pages do not advance the checkpoint"
    );
    let sum = run(
        &mut c.cache,
        "linear",
        &linear_creds(&s, ("api_key", KEY)),
        &o,
        page(20),
    )
    .unwrap();
    assert!(sum.resumed);
    assert_eq!(sum.counts.created, 25);
    assert_eq!(
        c.cache.count_issues("linear").unwrap(),
        45,
        "other teams are not pulled"
    );
    assert_eq!(sum.checkpoint.cursor, None);
    assert_eq!(
        sum.checkpoint.updated_since.as_deref(),
        Some("2026-01-17T12:45:00+00:00")
    );
    let row = c.cache.get_issue("linear:acme:lin-0005").unwrap().unwrap();
    assert_eq!(
        row.payload["priority"],
        Value::Null,
        "Linear's 0 is no priority"
    );
    let row = c.cache.get_issue("linear:acme:lin-0001").unwrap().unwrap();
    assert_eq!(
        row.payload["priority"], 0,
        "Linear's 1 (urgent) is the highest"
    );
    // Sent as a personal key, without Bearer; an OAuth token goes as Bearer.
    assert_eq!(s.received()[0].header("authorization"), Some(KEY));
    s.linear_put(linear_node(7, 120, "team-1"));
    let sum = run(
        &mut c.cache,
        "linear",
        &linear_creds(&s, ("access_token", "oauth-never-printed")),
        &o,
        page(20),
    )
    .unwrap();
    assert_eq!((sum.counts.updated, sum.counts.created), (1, 0));
    let last = s.received().pop().unwrap();
    assert_eq!(
        last.header("authorization"),
        Some("Bearer oauth-never-printed")
    );
    assert_eq!(
        last.json().unwrap()["variables"]["filter"]["updatedAt"]["gte"],
        "2026-01-17T12:45:00Z"
    );
}

#[test]
fn linear_rate_limits_are_waited_out_and_errors_inside_a_200_are_errors() {
    let s = linear_server(
        (1..=3)
            .map(|n| linear_node(n, n as i64, "team-1"))
            .collect(),
    );
    let mut c = cache();
    let (o, waits) = options(3);
    let reset = jiff::Timestamp::now().as_millisecond() + 2_000;
    let limited = json!({"errors": [{"message": "Rate limit exceeded", "extensions": {"code": "RATELIMITED"}}]});
    s.push_faults([
        Fault::Answer(
            400,
            vec![("X-RateLimit-Requests-Reset".into(), reset.to_string())],
            limited,
        ),
        Fault::Answer(429, vec![("Retry-After".into(), "3".into())], json!({})),
    ]);
    let sum = run(
        &mut c.cache,
        "linear",
        &linear_creds(&s, ("api_key", KEY)),
        &o,
        page(20),
    )
    .unwrap();
    assert_eq!(sum.counts.created, 3);
    let w = waits.lock().unwrap().clone();
    assert_eq!(w.len(), 2);
    assert!(
        w[0] > Duration::from_millis(500) && w[0] <= Duration::from_secs(2),
        "{w:?}"
    );
    assert_eq!(w[1], Duration::from_secs(3));
    s.push_faults([Fault::Answer(200, vec![], json!({"data": null, "errors": [{"message": "Something broke", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]}))]);
    let err = run(
        &mut c.cache,
        "linear",
        &linear_creds(&s, ("api_key", KEY)),
        &o,
        PullOptions {
            full: true,
            page_size: 20,
        },
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("Linear answered with errors: Something broke"),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("nothing of this pull was written: the cache is as it was"),
        "{err}"
    );
}

#[test]
fn a_personal_key_sent_as_bearer_is_refused_by_the_fake_like_linear() {
    let s = linear_server(vec![]);
    let resp = ureq_post(&s, &format!("Bearer {KEY}"));
    assert_eq!(resp.0, 400);
    assert!(resp.1.contains("Bearer prefix"), "{}", resp.1);
    assert_eq!(ureq_post(&s, "nothing").0, 401);
}

fn ureq_post(s: &ContractServer, auth: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let body = r#"{"query": "query { issues(first: 1) { nodes { id } pageInfo { hasNextPage } } }", "variables": {}}"#;
    let mut c = std::net::TcpStream::connect(s.addr()).unwrap();
    write!(c, "POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    let mut out = String::new();
    c.read_to_string(&mut out).unwrap();
    let status = out.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, out)
}

#[test]
fn jira_errors_are_one_line_and_name_what_the_server_said() {
    let s = jira_server(vec![], "UTC");
    let mut c = cache();
    let (o, _) = options(1);
    let mut bad = jira_creds(&s);
    bad.insert("api_token".into(), CredentialValue::String("wrong".into()));
    let err = run(&mut c.cache, "jira", &bad, &o, page(10)).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("Jira answered HTTP 401"), "{text}");
    assert!(text.contains("Client must be authenticated"), "{text}");
    assert!(!err.is_transient());
    let gone = json!({"errorMessages": ["The requested API has been removed. See CHANGE-2046"], "errors": {}});
    s.push_faults([
        Fault::Delay(Duration::ZERO),
        Fault::Answer(410, vec![], gone),
    ]);
    let err = run(&mut c.cache, "jira", &jira_creds(&s), &o, page(10)).unwrap_err();
    assert!(
        err.to_string().contains("HTTP 410") && err.to_string().contains("CHANGE-2046"),
        "{err}"
    );
    assert!(!err.to_string().contains(TOKEN) && !format!("{err:?}").contains(TOKEN));
    // Server text cannot break the line or drive the terminal.
    let nasty = json!({"errorMessages": ["line one\n\x1b[2Jline two"]});
    s.push_faults([
        Fault::Delay(Duration::ZERO),
        Fault::Answer(400, vec![], nasty),
    ]);
    let text = run(&mut c.cache, "jira", &jira_creds(&s), &o, page(10))
        .unwrap_err()
        .to_string();
    assert!(!text.contains('\n') && !text.contains('\x1b'), "{text:?}");
    // 5xx and 429 are retried.
    let (o3, waits) = options(3);
    s.push_faults([
        Fault::Delay(Duration::ZERO),
        Fault::Status(503, None),
        Fault::Status(429, Some("2".into())),
    ]);
    run(&mut c.cache, "jira", &jira_creds(&s), &o3, page(10)).unwrap();
    assert_eq!(waits.lock().unwrap().len(), 2);
}

#[test]
fn the_fake_jira_has_the_real_ones_quirks() {
    let s = jira_server(
        (1..=3).map(|n| jira_issue(n, n as i64, "x")).collect(),
        "UTC",
    );
    let get = |path: &str, auth: bool| {
        use std::io::{Read, Write};
        let mut c = std::net::TcpStream::connect(s.addr()).unwrap();
        let a = if auth {
            "Authorization: Basic ZGV2QGV4YW1wbGUuY29tOmppcmEtdG9rZW4tbmV2ZXItcHJpbnRlZA==\r\n"
        } else {
            ""
        };
        write!(c, "GET {path} HTTP/1.1\r\nHost: x\r\n{a}\r\n").unwrap();
        let mut out = String::new();
        c.read_to_string(&mut out).unwrap();
        let status: u16 = out.split_whitespace().nth(1).unwrap().parse().unwrap();
        let body: Value = serde_json::from_str(out.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        (status, body)
    };
    assert_eq!(get("/rest/api/3/search?jql=project%3DACME", true).0, 410);
    assert_eq!(
        get("/rest/api/3/search/jql?jql=project%20%3D%20ACME", false).0,
        401
    );
    assert_eq!(
        get("/rest/api/3/search/jql?jql=", true).0,
        400,
        "unbounded JQL"
    );
    let (status, body) = get(
        "/rest/api/3/search/jql?jql=project%20%3D%20ACME&maxResults=2",
        true,
    );
    assert_eq!(status, 200);
    assert_eq!(
        body["issues"][0],
        json!({"id": "10003"}),
        "fields default to id"
    );
    assert_eq!(body["isLast"], false);
    let token = body["nextPageToken"].as_str().unwrap();
    let (_, last) = get(
        &format!(
            "/rest/api/3/search/jql?jql=project%20%3D%20ACME&maxResults=2&nextPageToken={token}"
        ),
        true,
    );
    assert_eq!(last["isLast"], true);
    assert!(
        last.get("nextPageToken").is_none(),
        "no token on the last page"
    );
}

#[test]
fn pull_keeps_mappings_and_rows_it_did_not_fetch() {
    let s = jira_server(vec![jira_issue(1, 1, "x")], "UTC");
    let mut c = cache();
    let r = IssueRef {
        system: "jira".into(),
        workspace: "acme".into(),
        id: "42".into(),
        key: None,
        url: None,
    };
    c.cache
        .upsert_mapping("WP01", &r, "2026-01-01T00:00:00+00:00")
        .unwrap();
    let mut other = tracker_store::CanonicalIssue {
        reference: r,
        title: "kept".into(),
        body: None,
        status: "todo".into(),
        issue_type: "task".into(),
        priority: None,
        assignees: vec![],
        labels: vec![],
        parent: None,
        links: vec![],
        custom_fields: Default::default(),
        created_at: None,
        updated_at: None,
        raw: None,
    };
    c.cache
        .upsert_issue(&other, "2026-01-01T00:00:00+00:00")
        .unwrap();
    let (o, _) = options(1);
    run(
        &mut c.cache,
        "jira",
        &jira_creds(&s),
        &o,
        PullOptions {
            full: true,
            page_size: 10,
        },
    )
    .unwrap();
    assert_eq!(c.cache.list_mappings().unwrap().len(), 1);
    assert_eq!(c.cache.count_issues("jira").unwrap(), 2);
    other.title = String::new();
    assert!(c.cache.get_issue("jira:acme:42").unwrap().is_some());
}

#[test]
fn missing_credentials_and_unsupported_providers_say_how_to_fix_them() {
    let (o, _) = options(1);
    let err = connector_for(
        "jira",
        "w",
        &creds(&[("base_url", "https://x.example"), ("api_token", "  ")]),
        &o,
    )
    .err()
    .unwrap();
    let text = err.to_string();
    assert!(
        matches!(&err, ConnectorError::MissingCredentials { keys, .. } if keys == &["email", "api_token", "project_key"]),
        "the keys come as data, for the caller's hint"
    );
    assert!(text.contains("email, api_token, project_key"), "{text}");
    assert!(
        !text.contains("spec-kitty") && !text.contains("--"),
        "a library error names no command or flag: {text}"
    );
    let err = connector_for("linear", "w", &creds(&[("team_id", "t")]), &o)
        .err()
        .unwrap();
    assert!(err.to_string().contains("api_key|access_token"), "{err}");
    for p in ["github", "gitlab", "azure_devops", "beads", "fp", "trello"] {
        let err = connector_for(p, "w", &creds(&[]), &o).err().unwrap();
        assert!(
            err.to_string().starts_with("pull supports jira and linear"),
            "{err}"
        );
    }
    let err = connector_for(
        "jira",
        "w",
        &creds(&[
            ("base_url", "ftp://x"),
            ("email", "e"),
            ("api_token", "t"),
            ("project_key", "K"),
        ]),
        &o,
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("base_url"), "{err}");
    // Credentials never cross plain http to a remote host.
    let mut conn = connector_for(
        "jira",
        "w",
        &creds(&[
            ("base_url", "http://jira.example"),
            ("email", "e"),
            ("api_token", "t"),
            ("project_key", "K"),
        ]),
        &o,
    )
    .unwrap();
    let err = conn.begin().err().unwrap();
    assert!(err.to_string().contains("plain http"), "{err}");
}

fn jira_page(issues: Vec<Value>, token: Option<&str>) -> Fault {
    let mut body = json!({"issues": issues, "isLast": token.is_none()});
    if let Some(t) = token {
        body["nextPageToken"] = json!(t);
    }
    Fault::Answer(200, vec![], body)
}

#[test]
fn regression_22_4_pulls_that_would_never_end_stop_keeping_the_committed_pages() {
    // A Jira whose tokens alternate between two values.
    let s = jira_server(vec![], "UTC");
    let myself = Fault::Answer(200, vec![], json!({"accountId": "a", "timeZone": "UTC"}));
    s.push_faults([
        myself.clone(),
        jira_page(vec![jira_issue(1, 1, "one")], Some("A")),
        jira_page(vec![jira_issue(2, 2, "two")], Some("B")),
        jira_page(vec![jira_issue(3, 3, "three")], Some("A")),
    ]);
    let mut c = cache();
    let (o, _) = options(1);
    let err = run(&mut c.cache, "jira", &jira_creds(&s), &o, page(1)).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("came back a second time"), "{text}");
    assert!(
        text.contains("Jira") && text.contains("/rest/api/3/search/jql"),
        "{text}"
    );
    assert_eq!(s.received().len(), 4, "stopped at the repeat");
    assert_eq!(
        c.cache.count_issues("jira").unwrap(),
        2,
        "the pages before the repeat are kept; the page that repeats is not committed"
    );
    // Fresh tokens with empty pages forever.
    let s = jira_server(vec![], "UTC");
    s.push_faults([myself]);
    s.push_faults((0..10).map(|i| jira_page(vec![], Some(&format!("t{i}")))));
    let mut c = cache();
    let err = run(&mut c.cache, "jira", &jira_creds(&s), &o, page(1)).unwrap_err();
    assert!(err.to_string().contains("empty pages in a row"), "{err}");
    assert_eq!(
        s.received().len(),
        2 + tracker_connectors::MAX_EMPTY_PAGES as usize,
        "myself, then the empty pages up to the limit"
    );
    // Linear cursors: the same rule.
    let s = linear_server(vec![]);
    let lpage = |cursor: &str| {
        Fault::Answer(
            200,
            vec![],
            json!({"data": {"issues": {"nodes": [linear_node(1, 1, "team-1")],
            "pageInfo": {"hasNextPage": true, "endCursor": cursor}}}}),
        )
    };
    s.push_faults([lpage("x"), lpage("y"), lpage("x")]);
    let mut c = cache();
    let err = run(
        &mut c.cache,
        "linear",
        &linear_creds(&s, ("api_key", KEY)),
        &o,
        page(1),
    )
    .unwrap_err();
    assert!(err.to_string().contains("came back a second time"), "{err}");
    assert!(err.to_string().contains("Linear"), "{err}");
}

#[test]
fn regression_22_5_a_malformed_linear_page_fails_without_moving_the_checkpoint() {
    for info in [
        json!({"hasNextPage": true, "endCursor": null}),
        json!({"endCursor": "c"}),
        json!({"hasNextPage": "yes", "endCursor": "c"}),
        Value::Null,
    ] {
        let nodes: Vec<Value> = (1..=3)
            .map(|n| linear_node(n, n as i64, "team-1"))
            .collect();
        let s = linear_server(nodes.clone());
        let mut c = cache();
        let (o, _) = options(1);
        // A first, complete pull sets the checkpoint.
        run(
            &mut c.cache,
            "linear",
            &linear_creds(&s, ("api_key", KEY)),
            &o,
            page(50),
        )
        .unwrap();
        let before = c.cache.get_checkpoint("linear:acme").unwrap();
        let mut page_body = json!({"data": {"issues": {"nodes": [linear_node(9, 90, "team-1")]}}});
        if !info.is_null() {
            page_body["data"]["issues"]["pageInfo"] = info.clone();
        }
        s.push_faults([Fault::Answer(200, vec![], page_body)]);
        let err = run(
            &mut c.cache,
            "linear",
            &linear_creds(&s, ("api_key", KEY)),
            &o,
            page(1),
        )
        .unwrap_err();
        assert!(err.to_string().contains("pageInfo"), "{info}: {err}");
        assert_eq!(
            c.cache.get_checkpoint("linear:acme").unwrap(),
            before,
            "{info}"
        );
        assert_eq!(
            c.cache.count_issues("linear").unwrap(),
            3,
            "{info}: nothing of the bad page"
        );
    }
}

#[test]
fn regression_22_17_one_deeply_nested_issue_does_not_stop_a_pull_and_a_too_large_page_says_so() {
    // An issue whose rich-text description nests past the parser's limit (400 levels),
    // between two ordinary ones on the same page.
    let mut deep = json!({"type": "text", "text": "lost at the bottom"});
    for _ in 0..200 {
        deep = json!({"type": "paragraph", "content": [deep]});
    }
    let mut issue = jira_issue(2, 2, "deep [brackets] in \"quotes\" {");
    issue["fields"]["description"] = json!({"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "kept near the top ]}"}]},
        deep]});
    let s = jira_server(
        vec![jira_issue(1, 1, "first"), issue, jira_issue(3, 3, "third")],
        "UTC",
    );
    let mut c = cache();
    let (o, _) = options(1);
    let summary = run(&mut c.cache, "jira", &jira_creds(&s), &o, page(10)).unwrap();
    assert_eq!(summary.counts.created, 3, "{summary:?}");
    assert_eq!(summary.trimmed_pages, 1);
    let rows = c.cache.list_issues("jira").unwrap();
    let titles: Vec<&str> = rows
        .iter()
        .filter_map(|r| r.payload["title"].as_str())
        .collect();
    assert_eq!(
        titles,
        ["first", "deep [brackets] in \"quotes\" {", "third"]
    );
    // The description keeps what the parser could read; the too-deep part is gone.
    assert_eq!(rows[1].payload["body"], "kept near the top ]}");
    assert_eq!(rows[0].payload["body"], "Body of 1");
    // A page larger than the connector reads.
    let s = jira_server(
        (1..=20).map(|n| jira_issue(n, n as i64, "big")).collect(),
        "UTC",
    );
    let small = http_transport::Settings {
        max_answer: 2048,
        ..o.clone()
    };
    let err = run(&mut c.cache, "jira", &jira_creds(&s), &small, page(10)).unwrap_err();
    assert!(err.to_string().contains("ask for smaller pages"), "{err}");
    assert!(!err.to_string().contains("not JSON"), "{err}");
}
