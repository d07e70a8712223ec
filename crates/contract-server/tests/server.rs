//! The reference receiver over real HTTP on 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;

use contract_server::{ContractServer, ServerConfig, parse_mappings};
use serde_json::{Value, json};

fn fixture(dir: &str, name: &str) -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(dir)
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// A raw HTTP exchange, so tests control every byte sent.
fn raw(s: &ContractServer, request: &[u8]) -> (u16, String) {
    let mut c = TcpStream::connect(s.addr()).unwrap();
    c.write_all(request).unwrap();
    let mut out = String::new();
    c.read_to_string(&mut out).unwrap();
    let status = out.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = out.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (status, body)
}

fn post(s: &ContractServer, path: &str, body: &Value) -> (u16, Value) {
    let text = body.to_string();
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{text}",
        text.len()
    );
    let (status, body) = raw(s, req.as_bytes());
    (status, serde_json::from_str(&body).unwrap())
}

#[test]
fn batch_fixtures_01_to_04_get_their_expected_responses_in_order() {
    let s = ContractServer::start(ServerConfig::default()).unwrap();
    for name in [
        "fixture_01_single_wp_status_changed.json",
        "fixture_02_mixed_batch.json",
        "fixture_03_duplicate_event.json",
        "fixture_04_rejected_event.json",
    ] {
        let f = fixture("batch", name);
        let (status, body) = post(&s, "/api/v1/events/batch/", &f["request"]);
        assert_eq!(
            u64::from(status),
            f["expected_response"]["status_code"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(body, f["expected_response"]["body"], "{name}");
    }
    // Fixture 05's 400 comes from a SaaS-side authorization check this receiver does not
    // model; a batch that is not well formed gets the same 400 shape.
    let (status, body) = post(&s, "/api/v1/events/batch/", &json!({"events": []}));
    assert_eq!(status, 400);
    assert_eq!(body["error"], "Batch validation failed");
    assert!(body["details"].is_string());
}

#[test]
fn invalid_snapshot_fixtures_are_refused_with_their_error() {
    let s = ContractServer::start(ServerConfig::default()).unwrap();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/invalid");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        let f = fixture("invalid", &name);
        if f["kind"] != "snapshot" {
            continue;
        }
        let (status, body) = post(&s, "/api/v1/connectors/trackers/snapshots/", &f["document"]);
        assert_eq!(status, 422, "{name}");
        assert_eq!(body["detail"], f["expected_error"], "{name}");
        n += 1;
    }
    assert!(n >= 6);
}

#[test]
fn valid_snapshots_resolve_against_the_mappings() {
    let mappings = parse_mappings(
        r#"[{"provider": "jira", "workspace": "acme.atlassian.net", "external_resource_type": "jira_project",
             "external_resource_id": "ACME", "target": "m-1"}]"#,
    )
    .unwrap();
    let s = ContractServer::start(ServerConfig {
        mappings,
        ..ServerConfig::default()
    })
    .unwrap();
    let (status, body) = post(
        &s,
        "/api/v1/connectors/trackers/snapshots/",
        &fixture("snapshot", "jira_routed.json")["payload"],
    );
    assert_eq!(status, 202);
    assert_eq!(body["resolution"], "exact");
    assert_eq!(body["target"], "m-1");
    assert_eq!(body["issues"], 2);
    let (_, body) = post(
        &s,
        "/api/v1/connectors/trackers/snapshots/",
        &fixture("snapshot", "linear_routed.json")["payload"],
    );
    assert_eq!(body["resolution"], "unresolved");
    assert_eq!(s.received().len(), 2);
    assert_eq!(s.received()[0].resolution.as_deref(), Some("exact"));
}

#[test]
fn chunked_bodies_wrong_methods_and_paths_are_refused() {
    let s = ContractServer::start(ServerConfig::default()).unwrap();
    let (status, body) = raw(
        &s,
        b"POST /api/v1/connectors/trackers/snapshots/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    );
    assert_eq!(status, 411, "{body}");
    let (status, _) = raw(&s, b"GET /api/v1/events/batch/ HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(status, 405);
    let (status, _) = raw(
        &s,
        b"POST /elsewhere HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(status, 404);
    let (status, _) = raw(
        &s,
        b"POST /api/v1/events/batch/ HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n{x}",
    );
    assert_eq!(status, 400);
}

#[test]
fn listens_on_loopback_only_unless_asked_and_shuts_down_cleanly() {
    let config = ServerConfig {
        addr: "0.0.0.0:0".parse().unwrap(),
        ..ServerConfig::default()
    };
    let err = ContractServer::start(config).err().unwrap();
    assert!(err.to_string().contains("not loopback"), "{err}");
    let s = ContractServer::start(ServerConfig::default()).unwrap();
    let addr = s.addr();
    assert!(addr.ip().is_loopback());
    s.push_faults([contract_server::Fault::Hang]);
    let hung = std::thread::spawn(move || {
        TcpStream::connect(addr).and_then(|mut c| {
            c.write_all(b"POST /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n")?;
            let mut v = Vec::new();
            c.read_to_end(&mut v).map(|_| v)
        })
    });
    std::thread::sleep(std::time::Duration::from_millis(100));
    s.shutdown();
    hung.join().unwrap().unwrap();
    assert!(
        TcpStream::connect(addr).is_err(),
        "nothing listens after shutdown"
    );
}

#[test]
fn bad_mappings_name_the_entry() {
    let err = parse_mappings(r#"[{"provider": "linear", "workspace": "w", "external_resource_type": "jira_project", "external_resource_id": "A", "target": "t"}]"#)
        .unwrap_err();
    assert!(err.to_string().starts_with("mapping 0:"), "{err}");
    assert!(parse_mappings("{}").is_err());
}

#[test]
fn regression_13_18_the_receiver_refuses_a_provider_outside_the_wire_pattern() {
    let s = ContractServer::start(ServerConfig::default()).unwrap();
    let mut payload = fixture("snapshot", "jira_routed.json")["payload"].clone();
    payload["provider"] = json!("my tracker");
    payload["external_resource_type"] = json!(null);
    payload["external_resource_id"] = json!(null);
    let (status, body) = post(&s, "/api/v1/connectors/trackers/snapshots/", &payload);
    assert_eq!(status, 422, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("^[a-z0-9_-]+$"),
        "{body}"
    );
}
