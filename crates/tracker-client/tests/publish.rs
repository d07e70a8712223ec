//! Publishing over real HTTP against the reference receiver on 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{creds, env, issue, source};
use contract_server::{ContractServer, Fault, ServerConfig, parse_mappings};
use serde_json::{Value, json};
use tracker_client::{PublishError, PublishOptions, ResponseBody, Secret, SnapshotSource, publish};

fn server() -> ContractServer {
    let mappings = parse_mappings(
        &json!([
            {"provider": "jira", "workspace": "acme.atlassian.net", "external_resource_type": "jira_project",
             "external_resource_id": "ACME", "target": "mapping-acme"},
            {"provider": "jira", "workspace": "acme.atlassian.net", "external_resource_type": null,
             "external_resource_id": null, "target": "installation-jira"},
            {"provider": "linear", "workspace": "acme", "external_resource_type": "linear_team",
             "external_resource_id": "abc-123-def", "target": "mapping-team"},
        ])
        .to_string(),
    )
    .unwrap();
    ContractServer::start(ServerConfig {
        mappings,
        ..ServerConfig::default()
    })
    .unwrap()
}

/// Options that record waits instead of sleeping.
fn opts(s: &ContractServer) -> (PublishOptions, Arc<Mutex<Vec<Duration>>>) {
    let waits = Arc::new(Mutex::new(Vec::new()));
    let w = Arc::clone(&waits);
    let mut o = PublishOptions::new(s.url());
    o.settings.sleep = std::sync::Arc::new(move |d| w.lock().unwrap().push(d));
    o.settings.policy.backoff_base = Duration::from_millis(10);
    (o, waits)
}

fn routing_of(v: &Value) -> (Value, Value) {
    (
        v["external_resource_type"].clone(),
        v["external_resource_id"].clone(),
    )
}

fn publish_with(
    provider: &str,
    workspace: &str,
    c: &[(&str, &str)],
) -> (ContractServer, Value, Value) {
    let s = server();
    let mut e = env();
    e.cache
        .upsert_issue(
            &issue(
                &routing_core::normalize_provider(provider),
                workspace,
                "1",
                "t",
            ),
            "n",
        )
        .unwrap();
    let src = source(provider, workspace, &creds(c));
    let (o, _) = opts(&s);
    let out = publish(&e.cache, &src, &o).unwrap();
    let got = s.received().pop().unwrap();
    let body = got.json().unwrap();
    let answer = match out.body {
        ResponseBody::Json(v) => v,
        ResponseBody::Text(t) => panic!("{t}"),
    };
    (s, body, answer)
}

#[test]
fn jira_routed_sends_jira_project_and_resolves_exactly() {
    let (s, body, answer) = publish_with(
        "jira",
        "acme.atlassian.net",
        &[("project_key", "ACME"), ("api_token", "x")],
    );
    assert_eq!(routing_of(&body), (json!("jira_project"), json!("ACME")));
    assert_eq!(answer["resolution"], "exact");
    assert_eq!(answer["target"], "mapping-acme");
    let r = &s.received()[0];
    assert_eq!(r.path, "/api/v1/connectors/trackers/snapshots/");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.header("content-length").unwrap().parse::<u64>().unwrap(),
        r.body_len
    );
    assert!(r.header("transfer-encoding").is_none(), "never chunked");
    assert!(
        r.header("user-agent")
            .unwrap()
            .starts_with("spec-kitty-rs/")
    );
    assert_eq!(
        r.header("idempotency-key").unwrap(),
        tracker_client::idempotency_key(&r.body)
    );
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, tracker_client::SNAPSHOT_FIELDS);
}

#[test]
fn jira_missing_or_blank_key_sends_nulls_and_falls_back() {
    for c in [
        &[("api_token", "x")][..],
        &[("project_key", "  ")][..],
        &[("project_key", "")][..],
    ] {
        let (_s, body, answer) = publish_with("jira", "acme.atlassian.net", c);
        assert_eq!(routing_of(&body), (Value::Null, Value::Null), "{c:?}");
        assert_eq!(answer["resolution"], "workspace_fallback");
        assert_eq!(answer["target"], "installation-jira");
    }
}

#[test]
fn linear_routed_and_missing() {
    let (_s, body, answer) = publish_with("linear", "acme", &[("team_id", "abc-123-def")]);
    assert_eq!(
        routing_of(&body),
        (json!("linear_team"), json!("abc-123-def"))
    );
    assert_eq!(answer["resolution"], "exact");
    let (_s, body, answer) = publish_with("linear", "acme", &[("api_key", "k")]);
    assert_eq!(routing_of(&body), (Value::Null, Value::Null));
    assert_eq!(answer["resolution"], "unresolved");
}

#[test]
fn unsupported_provider_sends_nulls() {
    let (_s, body, _) = publish_with(
        "github",
        "acme/widgets",
        &[("project_key", "ACME"), ("team_id", "T")],
    );
    assert_eq!(body["provider"], "github");
    assert_eq!(routing_of(&body), (Value::Null, Value::Null));
}

#[test]
fn provider_case_and_whitespace_are_normalized() {
    let (_s, body, answer) =
        publish_with(" JIRA ", "acme.atlassian.net", &[("project_key", " ACME ")]);
    assert_eq!(body["provider"], "jira");
    assert_eq!(routing_of(&body), (json!("jira_project"), json!("ACME")));
    assert_eq!(
        body["issues"].as_array().unwrap().len(),
        1,
        "issues of the normalized system"
    );
    assert_eq!(answer["resolution"], "exact");
}

#[test]
fn the_authorization_header_is_exactly_the_token_or_absent() {
    // Over the wire: the header is exactly the resolved token, or absent.
    let s = server();
    let e = env();
    let src = source("jira", "acme.atlassian.net", &creds(&[]));
    let (mut o, _) = opts(&s);
    o.token = Some(Secret::new("abc"));
    publish(&e.cache, &src, &o).unwrap();
    o.token = None;
    publish(&e.cache, &src, &o).unwrap();
    let r = s.received();
    assert_eq!(r[0].header("authorization"), Some("Bearer abc"));
    assert_eq!(r[1].header("authorization"), None);
}

#[test]
fn idempotency_key_follows_content() {
    let s = server();
    let mut e = env();
    e.cache
        .upsert_issue(
            &issue("jira", "acme.atlassian.net", "1", "first title"),
            "n",
        )
        .unwrap();
    let (o, _) = opts(&s);
    let src = source(
        "jira",
        "acme.atlassian.net",
        &creds(&[("project_key", "ACME")]),
    );
    let k1 = publish(&e.cache, &src, &o).unwrap().idempotency_key;
    let again = publish(&e.cache, &src, &o).unwrap();
    assert_eq!(again.idempotency_key, k1, "same state, same key");
    assert_eq!(s.received()[1].header("idempotency-key"), Some(k1.as_str()));
    // A title edit with the same counts: new key (the Python CLI's key would not change).
    e.cache
        .upsert_issue(
            &issue("jira", "acme.atlassian.net", "1", "edited title"),
            "n",
        )
        .unwrap();
    let k2 = publish(&e.cache, &src, &o).unwrap().idempotency_key;
    assert_ne!(k2, k1);
    // A rebind to another project_key (FR-012): new key.
    let rebound = source(
        "jira",
        "acme.atlassian.net",
        &creds(&[("project_key", "OTHER")]),
    );
    let k3 = publish(&e.cache, &rebound, &o).unwrap().idempotency_key;
    assert_ne!(k3, k2);
    assert_eq!(s.received().len(), 4);
}

#[test]
fn the_receiver_replays_a_repeated_key_and_refuses_a_reused_one() {
    let s = server();
    let e = env();
    let (o, _) = opts(&s);
    let src = source(
        "jira",
        "acme.atlassian.net",
        &creds(&[("project_key", "ACME")]),
    );
    let first = publish(&e.cache, &src, &o).unwrap();
    let second = publish(&e.cache, &src, &o).unwrap();
    let r = s.received();
    assert_eq!(r[1].status, 202);
    // The repeat is a replay: the same answer, byte for byte, marked as a replay.
    assert_eq!(second.body, first.body);
    let agent = ureq::Agent::new_with_defaults();
    let url = format!("{}/api/v1/connectors/trackers/snapshots/", s.url());
    let mut replay = agent
        .post(&url)
        .header("Idempotency-Key", r[0].header("idempotency-key").unwrap())
        .send(r[0].body.as_slice())
        .unwrap();
    assert_eq!(replay.status().as_u16(), 202);
    assert_eq!(
        replay.headers().get("idempotent-replay").unwrap(),
        "true",
        "a replayed answer carries the replay marker"
    );
    let replayed: Value = serde_json::from_reader(replay.body_mut().as_reader()).unwrap();
    assert_eq!(ResponseBody::Json(replayed), first.body);
    // A first answer is not marked as a replay.
    let fresh = agent
        .post(&url)
        .header("Idempotency-Key", "a-fresh-key")
        .send(r[0].body.as_slice())
        .unwrap();
    assert!(fresh.headers().get("idempotent-replay").is_none());
    // A client that reuses a key for different content is refused.
    let resp = agent
        .post(format!("{}/api/v1/connectors/trackers/snapshots/", s.url()))
        .header("Idempotency-Key", r[0].header("idempotency-key").unwrap())
        .config()
        .http_status_as_error(false)
        .build()
        .send(
            r[0].body
                .iter()
                .map(|b| if *b == b'A' { b'B' } else { *b })
                .collect::<Vec<u8>>(),
        )
        .unwrap();
    assert_eq!(resp.status().as_u16(), 422);
}

#[test]
fn retries_503_then_succeeds_with_the_same_body_and_key() {
    let s = server();
    let e = env();
    s.push_faults([Fault::Status(503, None), Fault::Status(502, None)]);
    let (o, waits) = opts(&s);
    let src = source("linear", "acme", &creds(&[("team_id", "abc-123-def")]));
    let out = publish(&e.cache, &src, &o).unwrap();
    assert_eq!(out.attempts, 3);
    assert_eq!(out.status, 202);
    let r = s.received();
    assert_eq!(r.len(), 3);
    assert!(r.windows(2).all(|w| w[0].body == w[1].body
        && w[0].header("idempotency-key") == w[1].header("idempotency-key")));
    let w = waits.lock().unwrap().clone();
    assert_eq!(w.len(), 2);
    // Exponential backoff with jitter: wait n is base * 2^(n-1) * [0.5, 1.5).
    for (n, wait) in w.iter().enumerate() {
        let nominal = Duration::from_millis(10) * 2u32.pow(u32::try_from(n).unwrap());
        assert!(
            *wait >= nominal / 2 && *wait < nominal * 3 / 2,
            "wait {n}: {wait:?} outside the band of {nominal:?}"
        );
    }
}

#[test]
fn honours_retry_after_seconds_and_caps_it() {
    let s = server();
    let e = env();
    s.push_faults([
        Fault::Status(429, Some("2".into())),
        Fault::Status(503, Some("3600".into())),
    ]);
    let (o, waits) = opts(&s);
    let src = source("jira", "acme.atlassian.net", &creds(&[]));
    let out = publish(&e.cache, &src, &o).unwrap();
    assert_eq!(out.attempts, 3);
    assert_eq!(
        *waits.lock().unwrap(),
        [Duration::from_secs(2), Duration::from_secs(30)]
    );
}

#[test]
fn a_400_is_not_retried_and_is_an_error() {
    let s = server();
    let e = env();
    s.push_faults([Fault::Status(400, None)]);
    let (o, waits) = opts(&s);
    let src = source("jira", "acme.atlassian.net", &creds(&[]));
    let err = publish(&e.cache, &src, &o).unwrap_err();
    let PublishError::Rejected(out) = &err else {
        panic!("{err}")
    };
    assert_eq!((out.status, out.attempts, out.ok), (400, 1, false));
    assert!(
        err.to_string().starts_with("the server answered HTTP 400"),
        "{err}"
    );
    assert!(err.to_string().contains("injected failure"), "{err}");
    assert!(waits.lock().unwrap().is_empty());
    assert_eq!(s.received().len(), 1);
}

#[test]
fn a_500_is_retried_like_every_5xx_then_reported_as_transient() {
    // One transient-status rule for every client (the upload and the pull retry 5xx too);
    // the idempotency key makes a repeated snapshot safe.
    let s = server();
    let e = env();
    s.push_faults(vec![Fault::Status(500, None); 3]);
    let (o, waits) = opts(&s);
    let err = publish(&e.cache, &source("jira", "w", &creds(&[])), &o).unwrap_err();
    assert!(
        matches!(&err, PublishError::Rejected(o) if o.status == 500 && o.attempts == 3),
        "{err}"
    );
    assert!(err.is_transient());
    assert_eq!(waits.lock().unwrap().len(), 2);
    assert_eq!(s.received().len(), 3);
    let keys: std::collections::BTreeSet<_> = s
        .received()
        .iter()
        .map(|r| r.header("idempotency-key").unwrap_or("").to_owned())
        .collect();
    assert_eq!(keys.len(), 1, "every attempt sends the same key");
}

#[test]
fn a_server_that_never_answers_times_out() {
    let s = server();
    let e = env();
    s.push_faults([Fault::Hang, Fault::Hang]);
    let (mut o, _) = opts(&s);
    o.settings.timeout = Duration::from_secs(1);
    o.settings.policy.attempts = 2;
    let started = std::time::Instant::now();
    let err = publish(&e.cache, &source("jira", "w", &creds(&[])), &o).unwrap_err();
    assert!(
        matches!(
            &err,
            PublishError::Transport(http_transport::TransportError::Unreachable {
                attempts: 2,
                ..
            })
        ),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(err.to_string().contains("after 2 attempt(s)"), "{err}");
}

#[test]
fn dropped_connections_are_retried_then_reported() {
    let s = server();
    let e = env();
    s.push_faults([Fault::Drop]);
    let (o, _) = opts(&s);
    assert_eq!(
        publish(&e.cache, &source("jira", "w", &creds(&[])), &o)
            .unwrap()
            .attempts,
        2
    );
    s.push_faults([Fault::Drop, Fault::Drop, Fault::Drop]);
    let err = publish(&e.cache, &source("jira", "w", &creds(&[])), &o).unwrap_err();
    assert!(
        matches!(
            err,
            PublishError::Transport(http_transport::TransportError::Unreachable {
                attempts: 3,
                ..
            })
        ),
        "{err}"
    );
}

#[test]
fn non_json_truncated_and_redirect_replies_do_not_panic() {
    let s = server();
    let e = env();
    let (o, _) = opts(&s);
    let src = source("jira", "w", &creds(&[]));
    s.push_faults([Fault::NonJson]);
    let out = publish(&e.cache, &src, &o).unwrap();
    assert_eq!(
        out.body,
        ResponseBody::Text("<html><body>OK</body></html>".into())
    );
    s.push_faults([Fault::BadJson]);
    let out = publish(&e.cache, &src, &o).unwrap();
    assert_eq!(out.body, ResponseBody::Text("{not json".into()));
    // An answer cut short is not the server's answer: the same snapshot (same key) is
    // sent again.
    s.push_faults([Fault::Truncate]);
    let out = publish(&e.cache, &src, &o).unwrap();
    assert!(!out.body_incomplete);
    assert_eq!(out.attempts, 2);
    s.push_faults([Fault::Redirect("http://127.0.0.1:1/elsewhere".into())]);
    let err = publish(&e.cache, &src, &o).unwrap_err();
    assert!(
        matches!(&err, PublishError::Rejected(o) if o.status == 307),
        "redirects are not followed: {err}"
    );
}

#[test]
fn unreachable_server_is_an_error_not_a_panic() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let e = env();
    let mut o = PublishOptions::new(format!("http://127.0.0.1:{port}"));
    o.settings.sleep = std::sync::Arc::new(|_| {});
    let err = publish(&e.cache, &source("jira", "w", &creds(&[])), &o).unwrap_err();
    assert!(
        matches!(
            err,
            PublishError::Transport(http_transport::TransportError::Unreachable {
                attempts: 3,
                ..
            })
        ),
        "{err}"
    );
}

#[test]
fn rows_the_python_cli_refuses_stop_the_publish_before_sending() {
    let s = server();
    let mut e = env();
    e.cache
        .upsert_issue(&issue("jira", "w", "1", "fine"), "n")
        .unwrap();
    e.cache
        .upsert_issue(&issue("jira", "w", "2", "   "), "n")
        .unwrap();
    let mut bad = issue("jira", "w", "3", "ok");
    bad.priority = Some(9);
    e.cache.upsert_issue(&bad, "n").unwrap();
    let (o, _) = opts(&s);
    let err = publish(&e.cache, &source("jira", "w", &creds(&[])), &o).unwrap_err();
    assert_eq!(
        err.to_string(),
        "2 cached issue(s) cannot be published (nothing was sent): jira:w:2 (blank title), jira:w:3 (priority 9 outside 0..4); fix or re-sync them"
    );
    assert!(s.received().is_empty());
}

#[test]
fn a_token_is_never_sent_over_plain_http_to_a_remote_host() {
    let e = env();
    let mut o = PublishOptions::new("http://saas.example.invalid");
    o.token = Some(Secret::new("s3cret"));
    let err = publish(&e.cache, &source("jira", "w", &creds(&[])), &o).unwrap_err();
    assert!(matches!(
        err,
        PublishError::Transport(http_transport::TransportError::InsecureToken { .. })
    ));
    assert!(!err.to_string().contains("s3cret"));
}

#[test]
fn issues_stream_in_identity_order_across_pages() {
    let s = server();
    let mut e = env();
    for i in 0..700 {
        e.cache
            .upsert_issue(&issue("jira", "w", &format!("{i:04}"), "t"), "n")
            .unwrap();
    }
    e.cache
        .upsert_issue(&issue("linear", "w", "x", "other system"), "n")
        .unwrap();
    let (o, _) = opts(&s);
    let src: SnapshotSource = source("jira", "w", &creds(&[]));
    let out = publish(&e.cache, &src, &o).unwrap();
    assert_eq!(out.issues, 700);
    let body = s.received()[0].json().unwrap();
    let ids: Vec<&str> = body["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["ref"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 700);
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn the_pipelined_publish_sends_exactly_the_streamed_body_across_many_pages() {
    use std::io::Read;
    let s = server();
    let mut e = env();
    let issues: Vec<_> = (0..1500)
        .map(|i| {
            issue(
                "jira",
                "acme.atlassian.net",
                &format!("{i:05}"),
                &format!("Issue {i} ☃"),
            )
        })
        .collect();
    e.cache
        .upsert_issues(&issues, "2026-02-12T10:00:00+00:00")
        .unwrap();
    let src = source(
        "jira",
        "acme.atlassian.net",
        &creds(&[("project_key", "ACME")]),
    );
    let (o, _) = opts(&s);
    let out = publish(&e.cache, &src, &o).unwrap();
    assert_eq!(out.issues, 1500);
    let mut streamed = Vec::new();
    tracker_client::SnapshotBody::new(&e.cache, &src)
        .unwrap()
        .read_to_end(&mut streamed)
        .unwrap();
    let sent = &s.received()[0].body;
    assert_eq!(sent.len(), streamed.len());
    assert!(*sent == streamed, "byte for byte, in identity order");
    assert_eq!(
        out.idempotency_key,
        tracker_client::idempotency_key(&streamed)
    );
}
