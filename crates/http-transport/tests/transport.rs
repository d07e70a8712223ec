//! The transport over real HTTP against the reference receiver on 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use std::sync::{Arc, Mutex};
use std::time::Duration;

use contract_server::{ContractServer, Fault, ServerConfig};
use http_transport::{
    RequestPlan, RetryPolicy, Secret, Transport, TransportError, USER_AGENT, Verdict,
};

fn transport(attempts: u32) -> (Transport<'static>, Arc<Mutex<Vec<Duration>>>) {
    let waits = Arc::new(Mutex::new(Vec::new()));
    let w = Arc::clone(&waits);
    let t = Transport::new(
        Duration::from_secs(2),
        RetryPolicy {
            attempts,
            backoff_base: Duration::from_millis(5),
            max_wait: Duration::from_secs(30),
        },
    )
    .with_sleep(move |d| w.lock().unwrap().push(d));
    (t, waits)
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
    let (t, _) = transport(1);
    let t = t.with_max_body(10);
    let plan = RequestPlan::get(format!("{}/a-long-path-for-a-long-404-answer", s.url()));
    let ex = t.execute(&plan, no_body).unwrap();
    assert!(ex.answer.incomplete);
    assert!(matches!(&ex.answer.body, http_transport::ResponseBody::Text(t) if t.len() == 10));
    s.push_faults([Fault::Truncate]);
    let (t, _) = transport(1);
    let ex = t.execute(&plan, no_body).unwrap();
    assert!(ex.answer.incomplete, "a cut answer is marked incomplete");
}
