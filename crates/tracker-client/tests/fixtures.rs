//! Every snapshot fixture is exactly what the assembler produces for the same store.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

mod common;

use std::io::Read;
use std::path::PathBuf;

use tracker_client::{SnapshotBody, idempotency_key, prepare};

#[test]
fn every_snapshot_fixture_matches_the_assembler_byte_for_byte() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/snapshot");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let mut e = common::env();
        let source = common::seed_from_fixture(&mut e.cache, &doc);
        let mut body = Vec::new();
        SnapshotBody::new(&e.cache, &source)
            .unwrap()
            .read_to_end(&mut body)
            .unwrap();
        let expected = serde_json::to_vec(&doc["payload"]).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&body),
            String::from_utf8_lossy(&expected),
            "{}",
            path.display()
        );
        let prepared = prepare(&e.cache, &source).unwrap();
        assert_eq!(
            prepared.idempotency_key,
            doc["idempotency_key"].as_str().unwrap(),
            "{}",
            path.display()
        );
        assert_eq!(prepared.idempotency_key, idempotency_key(&body));
        assert_eq!(prepared.content_length, body.len() as u64);
        n += 1;
    }
    assert_eq!(n, 8);
}

#[test]
fn idempotency_key_golden_vectors() {
    // Computed independently (Python `blake3`, derive_key_context). Changing the context
    // string or the hash changes every key the SaaS has seen: that needs a versioned change.
    let vectors: [(&[u8], &str); 3] = [
        (b"", "5515ea00197edaf5769775df996f6c053b6b22d20c1d5cbdfe1804a72d0dc5f7"),
        (b"{}", "1d6c3d56d5b748862002d60ce3df7b7da1ee50263f362fa82251c94ee519f00a"),
        (
            br#"{"provider":"jira","workspace":"acme","external_resource_type":"jira_project","external_resource_id":"ACME"}"#,
            "174c768cef6508fad4aaaa7fbf3a39b8be8b716b517cfe7a7ce7a2d1c1435a07",
        ),
    ];
    for (body, key) in vectors {
        assert_eq!(idempotency_key(body), key);
    }
}

#[test]
fn the_sender_and_the_receiver_agree_on_the_payload_keys() {
    // Two copies on purpose (the receiver must not depend on the HTTP client); this pins them.
    assert_eq!(
        tracker_client::SNAPSHOT_FIELDS,
        contract_server::SNAPSHOT_FIELDS
    );
}
