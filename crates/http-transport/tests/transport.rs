//! The transport over real HTTP against the reference receiver on 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use std::sync::{Arc, Mutex};
use std::time::Duration;

use contract_server::{ContractServer, Fault, ServerConfig};
use http_transport::{
    ErrorKind, RequestPlan, RetryPolicy, Secret, Settings, Trace, Transport, TransportError,
    USER_AGENT, Verdict,
};

fn settings(attempts: u32) -> (Settings, Arc<Mutex<Vec<Duration>>>) {
    let waits = Arc::new(Mutex::new(Vec::new()));
    let w = Arc::clone(&waits);
    let settings = Settings {
        timeout: Duration::from_secs(2),
        policy: RetryPolicy {
            attempts,
            backoff_base: Duration::from_millis(5),
            max_wait: Duration::from_secs(30),
        },
        sleep: Arc::new(move |d| w.lock().unwrap().push(d)),
        ..Settings::default()
    };
    (settings, waits)
}

fn transport(attempts: u32) -> (Transport, Arc<Mutex<Vec<Duration>>>) {
    let (s, waits) = settings(attempts);
    (s.transport(), waits)
}

fn no_body() -> Result<&'static [u8], TransportError> {
    Ok(&[])
}

#[test]
fn a_plan_is_sent_exactly_as_planned_with_one_user_agent() {
    let s = ContractServer::start(ServerConfig::default()).unwrap();
    let (t, _) = transport(1);
    let body = br#"{"events": []}"#;
    let plan = RequestPlan::post(format!("{}/api/v1/events/batch/", s.url()))
        .header("Content-Type", "application/json")
        .content_length_header(body.len() as u64)
        .user_agent_header()
        .secret_header("Authorization", "Bearer ", &Secret::new("tok"));
    let ex = t
        .execute(&plan, || Ok::<_, TransportError>(&body[..]))
        .unwrap();
    assert_eq!(ex.answer.status, 400, "an empty batch is refused");
    let r = &s.received()[0];
    assert_eq!(r.body, body);
    assert_eq!(r.header("authorization"), Some("Bearer tok"));
    assert_eq!(r.header("content-length"), Some("14"));
    let agents: Vec<_> = r
        .headers
        .iter()
        .filter(|(k, _)| k == "user-agent")
        .collect();
    assert_eq!(agents.len(), 1, "{:?}", r.headers);
    assert_eq!(agents[0].1, USER_AGENT);
}

#[test]
fn retryable_statuses_are_retried_with_retry_after_and_others_are_final() {
    let s = ContractServer::start(ServerConfig::default()).unwrap();
    let (t, waits) = transport(3);
    s.push_faults([
        Fault::Status(503, Some("2".into())),
        Fault::Status(429, None),
        Fault::Status(404, None),
    ]);
    let plan = RequestPlan::get(format!("{}/anything", s.url()));
    let ex = t.execute(&plan, no_body).unwrap();
    assert_eq!(ex.attempts, 3);
    assert_eq!(ex.answer.status, 404);
    let w = waits.lock().unwrap().clone();
    assert_eq!(w.len(), 2);
    assert_eq!(w[0], Duration::from_secs(2), "Retry-After is honoured");
    assert!(w[1] < Duration::from_millis(20), "{w:?}");
    // A final status is not retried.
    s.push_faults([Fault::Status(400, None)]);
    let ex = t.execute(&plan, no_body).unwrap();
    assert_eq!((ex.answer.status, ex.attempts), (400, 1));
}

#[test]
fn a_caller_can_classify_answers_itself() {
    let s = ContractServer::start(ServerConfig::default()).unwrap();
    let (t, waits) = transport(3);
    s.push_faults([Fault::Status(400, None), Fault::Status(400, None)]);
    let plan = RequestPlan::get(format!("{}/x", s.url()));
    let ex = t
        .execute_with(&plan, no_body, |a, _| {
            if a.status == 400 {
                Verdict::Retry(Some(Duration::from_millis(7)))
            } else {
                Verdict::Final
            }
        })
        .unwrap();
    assert_eq!((ex.answer.status, ex.attempts), (404, 3));
    assert_eq!(
        *waits.lock().unwrap(),
        [Duration::from_millis(7), Duration::from_millis(7)]
    );
}

#[test]
fn dropped_connections_become_unreachable_without_secrets() {
    let s = ContractServer::start(ServerConfig::default()).unwrap();
    let (t, _) = transport(2);
    s.push_faults([Fault::Drop, Fault::Drop]);
    let url = format!("http://user:hunter2@{}/x", s.addr());
    let plan =
        RequestPlan::get(url).secret_header("Authorization", "Bearer ", &Secret::new("tok-9"));
    let err = t.execute(&plan, no_body).unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, TransportError::Unreachable { attempts: 2, .. }),
        "{text}"
    );
    assert!(
        !text.contains("hunter2") && !text.contains("tok-9"),
        "{text}"
    );
}

#[test]
fn answers_are_bounded() {
    let s = ContractServer::start(ServerConfig::default()).unwrap();
    let (settings, _) = settings(1);
    let t = settings.with_max_answer(10).transport();
    let plan = RequestPlan::get(format!("{}/a-long-path-for-a-long-404-answer", s.url()));
    let ex = t.execute(&plan, no_body).unwrap();
    assert!(ex.answer.incomplete);
    assert!(matches!(&ex.answer.body, http_transport::ResponseBody::Text(t) if t.len() == 10));
}

#[test]
fn regression_22_6_an_answer_cut_short_is_a_network_failure_retried_then_unreachable() {
    let s = ContractServer::start(ServerConfig::default()).unwrap();
    let plan = RequestPlan::get(format!("{}/a-long-path-for-a-long-404-answer", s.url()));
    // Cut on the first attempt, whole on the second: the second answer is the one.
    s.push_faults([Fault::Truncate]);
    let (t, waits) = transport(2);
    let ex = t.execute(&plan, no_body).unwrap();
    assert_eq!(
        (ex.attempts, ex.answer.status, ex.answer.incomplete),
        (2, 404, false)
    );
    assert_eq!(waits.lock().unwrap().len(), 1);
    // Cut every time: no answer, a transient failure that says why.
    s.push_faults([Fault::Truncate, Fault::Truncate, Fault::Truncate]);
    let (t, _) = transport(3);
    let err = t.execute(&plan, no_body).unwrap_err();
    assert!(
        matches!(&err, TransportError::Unreachable { attempts: 3, reason, .. } if reason.contains("cut short")),
        "{err}"
    );
    assert_eq!(err.kind(), http_transport::ErrorKind::Transient);
}

#[test]
fn the_transport_itself_refuses_a_secret_over_plain_http_before_sending() {
    let s = ContractServer::start(ServerConfig::default()).unwrap();
    let (t, _) = transport(3);
    // 127.0.0.2 is loopback, so use a name that is not: nothing may be sent to it.
    let plan = RequestPlan::get("http://saas.invalid/api/v1/x/").secret_header(
        "Authorization",
        "Bearer ",
        &Secret::new("tok-123"),
    );
    let err = t.execute(&plan, no_body).unwrap_err();
    assert!(
        matches!(err, TransportError::InsecureToken { ref host } if host == "saas.invalid"),
        "{err}"
    );
    assert_eq!(err.kind(), ErrorKind::Usage);
    assert!(!err.to_string().contains("tok-123"));
    // Loopback is allowed, and the same plan without a secret may go anywhere.
    let plan = RequestPlan::get(format!("{}/api/v1/x/", s.url())).secret_header(
        "Authorization",
        "Bearer ",
        &Secret::new("tok-123"),
    );
    assert!(t.execute(&plan, no_body).is_ok());
    // A caller that allows insecure http gets past the rule (and then fails to connect).
    let (mut settings, _) = settings(1);
    settings.allow_insecure_http = true;
    let plan = RequestPlan::get("http://saas.invalid/x").secret_header(
        "Authorization",
        "Bearer ",
        &Secret::new("tok-123"),
    );
    let err = settings.transport().execute(&plan, no_body).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transient, "{err}");
}

#[test]
fn every_request_and_answer_is_traced_once_without_secrets() {
    let s = ContractServer::start(ServerConfig::default()).unwrap();
    s.push_faults([Fault::Status(503, None)]);
    let lines = Arc::new(Mutex::new(Vec::new()));
    let l = Arc::clone(&lines);
    let (mut settings, _) = settings(3);
    settings.trace = Some(Arc::new(move |t: &Trace| {
        l.lock().unwrap().push(t.to_string())
    }));
    let url = format!("{}/api/v1/events/batch/?token=hunter2&x=1", s.url())
        .replace("http://", "http://user:pw@");
    let plan =
        RequestPlan::get(url).secret_header("Authorization", "Bearer ", &Secret::new("tok-123"));
    let ex = settings.transport().execute(&plan, no_body).unwrap();
    assert_eq!(ex.attempts, 2);
    let lines = lines.lock().unwrap().clone();
    assert_eq!(lines.len(), 4, "{lines:#?}");
    assert!(
        lines[0].starts_with("> GET http://127.0.0.1:"),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].ends_with("/api/v1/events/batch/?token=…&x=… (0 bytes, attempt 1)"),
        "{}",
        lines[0]
    );
    assert!(lines[1].starts_with("< 503 GET "), "{}", lines[1]);
    assert!(
        lines[3].starts_with("< 405 GET ") || lines[3].starts_with("< 4"),
        "{}",
        lines[3]
    );
    assert!(lines[3].contains("attempt 2"), "{}", lines[3]);
    for line in &lines {
        for secret in ["hunter2", "tok-123", "pw@", "user:"] {
            assert!(!line.contains(secret), "{line}");
        }
    }
}

#[test]
fn one_transient_rule_and_one_summary() {
    for status in [408, 429, 500, 501, 502, 503, 504, 599] {
        assert!(http_transport::is_transient_status(status), "{status}");
        assert_eq!(http_transport::status_kind(status), ErrorKind::Transient);
    }
    for status in [200, 400, 401, 403, 404, 409, 413, 422] {
        assert!(!http_transport::is_transient_status(status), "{status}");
    }
    assert_eq!(http_transport::status_kind(422), ErrorKind::Refused);
    let answer = |body| http_transport::Answer {
        status: 422,
        headers: vec![],
        body,
        incomplete: false,
    };
    use http_transport::ResponseBody::{Json, Text};
    assert_eq!(
        answer(Json(serde_json::json!({"detail": "bad\nthing"})))
            .summary()
            .as_deref(),
        Some("bad thing")
    );
    assert_eq!(
        answer(Json(serde_json::json!({"error": "nope"})))
            .summary()
            .as_deref(),
        Some("nope")
    );
    assert_eq!(
        answer(Json(serde_json::json!({"x": 1})))
            .summary()
            .as_deref(),
        Some("{\"x\":1}")
    );
    assert_eq!(
        answer(Text("\n  first \x1b[2J\nsecond".into()))
            .summary()
            .as_deref(),
        Some("first \\u{1b}[2J")
    );
    assert_eq!(answer(Text(String::new())).summary(), None);
}

#[test]
fn a_raw_answer_keeps_the_json_text_until_the_caller_parses_it() {
    let s = ContractServer::start(ServerConfig::default()).unwrap();
    let (t, _) = transport(1);
    let body = br#"{"events": []}"#;
    let post = || {
        RequestPlan::post(format!("{}/api/v1/events/batch/", s.url()))
            .header("Content-Type", "application/json")
            .content_length_header(body.len() as u64)
    };
    let tree = t
        .execute(&post(), || Ok::<_, TransportError>(&body[..]))
        .unwrap()
        .answer;
    let raw = t
        .execute(&post().raw_answer(), || Ok::<_, TransportError>(&body[..]))
        .unwrap()
        .answer;
    assert!(post().raw_answer().wants_raw_answer() && !post().wants_raw_answer());
    let http_transport::ResponseBody::Text(text) = &raw.body else {
        panic!("a raw answer came back parsed: {:?}", raw.body);
    };
    let json = tree.json().expect("the refusal is JSON");
    assert_eq!(
        &serde_json::from_str::<serde_json::Value>(text).unwrap(),
        json
    );
    assert_eq!(
        raw.summary(),
        Some(text.clone()).map(|t| http_transport::one_line(&t))
    );
    let parsed = raw.parsed();
    // Parsed later, the body is the one the transport would give (headers may differ by
    // the `date` of the second request).
    assert_eq!((parsed.status, &parsed.body), (tree.status, &tree.body));
    // An answer that is not JSON, or was cut short, stays text.
    let (settings, _) = settings(1);
    let short = settings
        .with_max_answer(10)
        .transport()
        .execute(&post().raw_answer(), || Ok::<_, TransportError>(&body[..]))
        .unwrap()
        .answer;
    assert!(short.incomplete);
    assert!(matches!(
        short.parsed().body,
        http_transport::ResponseBody::Text(_)
    ));
}

#[test]
fn a_host_name_is_resolved_and_an_address_is_used_as_it_is() {
    let s = ContractServer::start(ServerConfig::default()).unwrap();
    let (t, _) = transport(1);
    let by_address = format!("{}/a-path", s.url());
    let by_name = by_address.replace("127.0.0.1", "localhost");
    assert_ne!(by_address, by_name);
    for url in [by_address, by_name] {
        let ex = t.execute(&RequestPlan::get(&url), no_body).unwrap();
        assert_eq!(ex.answer.status, 404, "{url}");
    }
    assert_eq!(s.received().len(), 2);
}
