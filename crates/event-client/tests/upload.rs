//! Uploading a real SQLite queue to the reference receiver over real HTTP on 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers
#![allow(clippy::disallowed_methods)] // tests lay out fixture files directly

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use contract_server::{ContractServer, Fault, ServerConfig};
use event_client::{Auth, SyncError, UploadOptions, sync_now};
use event_store::EventQueue;
use http_transport::Secret;
use serde_json::{Value, json};

const TOKEN: &str = "saas-token-never-printed";

fn envelope(id: &str, n: i64) -> Value {
    json!({"event_id": id, "event_type": "WPStatusChanged", "aggregate_id": "WP01",
           "aggregate_type": "WorkPackage",
           "payload": {"wp_id": "WP01", "from_lane": "planned", "to_lane": "claimed", "actor": "t"},
           "timestamp": "2026-11-25T10:00:00.000000+00:00", "node_id": "a1b2c3d4e5f6",
           "lamport_clock": n, "causation_id": null, "team_slug": "acme",
           "project_uuid": "550e8400-e29b-41d4-a716-446655440000", "project_slug": "spec-kitty",
           "git_branch": "main", "head_commit_sha": null, "repo_slug": "acme/spec-kitty"})
}

fn id(n: usize) -> String {
    format!("01KQ{n:022}")
}

fn queue_with(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join("queue.db");
    let mut q = EventQueue::open(&path, u64::MAX).unwrap();
    for i in 0..n {
        q.enqueue(
            &id(i),
            "WPStatusChanged",
            &envelope(&id(i), i as i64 + 1).to_string(),
        )
        .unwrap();
    }
    path
}

fn pending(path: &Path) -> u64 {
    EventQueue::open(path, u64::MAX).unwrap().pending().unwrap()
}

fn opts(s: &ContractServer) -> (UploadOptions, Arc<Mutex<Vec<Duration>>>) {
    let waits = Arc::new(Mutex::new(Vec::new()));
    let w = Arc::clone(&waits);
    let mut o = UploadOptions::new(
        s.url(),
        Auth::Given(Secret::new(TOKEN), saas_session::TokenSource::Given),
    );
    o.settings.sleep = Arc::new(move |d| w.lock().unwrap().push(d));
    o.settings.policy.backoff_base = Duration::from_millis(1);
    o.settings.timeout = Duration::from_secs(2);
    (o, waits)
}

#[test]
fn a_queue_drains_in_gzip_batches_of_at_most_1000_in_queue_order() {
    let dir = tempfile::tempdir().unwrap();
    let q = queue_with(dir.path(), 2500);
    let s = ContractServer::start(ServerConfig {
        keep_bodies: true,
        ..ServerConfig::default()
    })
    .unwrap();
    let (o, _) = opts(&s);
    let r = sync_now(std::slice::from_ref(&q), &o, |_| {}).unwrap();
    assert_eq!(
        (r.sent, r.duplicate, r.rejected, r.left, r.requests),
        (2500, 0, 0, 0, 3)
    );
    assert_eq!(pending(&q), 0);
    let got = s.received();
    assert_eq!(got[0].header("content-encoding"), Some("gzip"));
    assert_eq!(got[0].header("content-type"), Some("application/json"));
    assert_eq!(
        got[0].header("authorization"),
        Some(&*format!("Bearer {TOKEN}"))
    );
    let first = got[0].json().unwrap();
    assert_eq!(first["events"].as_array().unwrap().len(), 1000);
    assert_eq!(first["events"][0]["event_id"], id(0));
    assert_eq!(
        got[2].json().unwrap()["events"].as_array().unwrap().len(),
        500
    );
    // Sending again is harmless: the server says duplicate, and an empty queue sends nothing.
    let r = sync_now(&[q], &o, |_| {}).unwrap();
    assert_eq!(r.requests, 0);
}

/// The event ids of every request the server received, request by request.
fn sent_ids(s: &ContractServer) -> Vec<Vec<String>> {
    s.received()
        .iter()
        .map(|r| {
            r.json().unwrap()["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["event_id"].as_str().unwrap().to_owned())
                .collect()
        })
        .collect()
}

#[test]
fn partial_answers_across_batches_keep_queue_order_and_carried_events_lead() {
    let dir = tempfile::tempdir().unwrap();
    let q = queue_with(dir.path(), 2500);
    let s = ContractServer::start(ServerConfig {
        keep_bodies: true,
        ..ServerConfig::default()
    })
    .unwrap();
    let (o, _) = opts(&s);
    s.push_faults([
        Fault::PartialResults(400),
        Fault::Delay(Duration::ZERO),
        Fault::PartialResults(10),
    ]);
    let r = sync_now(std::slice::from_ref(&q), &o, |_| {}).unwrap();
    assert_eq!((r.sent, r.left), (2500, 0));
    let batches = sent_ids(&s);
    assert!(batches.iter().all(|b| !b.is_empty() && b.len() <= 1000));
    // The 600 events the first answer left out lead the second batch.
    assert_eq!(batches[1][0], id(400));
    assert_eq!(batches[1].len(), 1000);
    // Each batch is in queue order, and the first sends of all events are too.
    let mut seen = std::collections::BTreeSet::new();
    let mut firsts = Vec::new();
    for b in &batches {
        assert!(
            b.windows(2).all(|w| w[0] < w[1]),
            "a batch out of order: {:?}",
            b.iter()
                .map(|e| e[4..].trim_start_matches('0').to_owned())
                .collect::<Vec<_>>()
        );
        firsts.extend(b.iter().filter(|e| seen.insert((*e).clone())).cloned());
    }
    assert_eq!(firsts, (0..2500).map(id).collect::<Vec<_>>());
}

#[test]
fn a_row_that_is_not_one_json_object_fails_locally_and_the_rest_are_sent() {
    let dir = tempfile::tempdir().unwrap();
    let q = queue_with(dir.path(), 6);
    let conn = rusqlite::Connection::open(&q).unwrap();
    conn.execute(
        "UPDATE queue SET data = 'not json' WHERE event_id = ?1",
        [id(1)],
    )
    .unwrap();
    conn.execute(
        "UPDATE queue SET data = '[1, 2]' WHERE event_id = ?1",
        [id(4)],
    )
    .unwrap();
    let s = ContractServer::start(ServerConfig {
        keep_bodies: true,
        ..ServerConfig::default()
    })
    .unwrap();
    let (mut o, _) = opts(&s);
    o.batch_events = 3;
    let r = sync_now(std::slice::from_ref(&q), &o, |_| {}).unwrap();
    assert_eq!((r.sent, r.rejected, r.left), (4, 2, 0));
    assert_eq!(
        sent_ids(&s),
        [vec![id(0), id(2)], vec![id(3), id(5)]],
        "the broken rows were never sent"
    );
    let failed = EventQueue::open(&q, u64::MAX).unwrap().failed().unwrap();
    let mut ids: Vec<&str> = failed.iter().map(|f| f.event_id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, [id(1), id(4)]);
    assert!(
        failed
            .iter()
            .all(|f| f.reason.contains("not a JSON object") && f.category == "local")
    );
}

#[test]
fn a_byte_budget_and_a_413_split_batches_and_a_too_large_event_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let q = queue_with(dir.path(), 40);
    let mut big = envelope(&id(99), 99);
    big["payload"]["actor"] = json!("x".repeat(5000));
    EventQueue::open(&q, u64::MAX)
        .unwrap()
        .enqueue(&id(99), "WPStatusChanged", &big.to_string())
        .unwrap();
    let s = ContractServer::start(ServerConfig::default()).unwrap();
    s.set_batch_cap(Some(4000));
    let (mut o, _) = opts(&s);
    let r = sync_now(std::slice::from_ref(&q), &o, |_| {}).unwrap();
    assert_eq!((r.sent, r.rejected, r.left), (40, 1, 0));
    assert!(
        s.received().iter().any(|x| x.status == 413),
        "the cap was hit and split"
    );
    let failed = EventQueue::open(&q, u64::MAX).unwrap().failed().unwrap();
    assert_eq!(failed[0].event_id, id(99));
    assert!(
        failed[0].reason.contains("larger than the server accepts"),
        "{}",
        failed[0].reason
    );
    // A byte budget keeps batches under the cap without any 413.
    let q2 = queue_with(&dir.path().join("b"), 40);
    let s2 = ContractServer::start(ServerConfig::default()).unwrap();
    s2.set_batch_cap(Some(4000));
    o.server_url = s2.url();
    o.batch_bytes = 3500;
    let r = sync_now(&[q2], &o, |_| {}).unwrap();
    assert_eq!(r.sent, 40);
    assert!(s2.received().iter().all(|x| x.status == 200));
}

#[test]
fn a_poison_event_moves_aside_and_never_blocks_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let q = queue_with(dir.path(), 30);
    let s = ContractServer::start(ServerConfig::default()).unwrap();
    s.reject_event_ids([id(0), id(17)]);
    let (o, _) = opts(&s);
    let r = sync_now(std::slice::from_ref(&q), &o, |_| {}).unwrap();
    assert_eq!((r.sent, r.rejected, r.left), (28, 2, 0));
    let queue = EventQueue::open(&q, u64::MAX).unwrap();
    let failed: Vec<String> = queue
        .failed()
        .unwrap()
        .into_iter()
        .map(|f| f.event_id)
        .collect();
    assert_eq!(failed, [id(0), id(17)]);
    let f = &queue.failed().unwrap()[0];
    assert_eq!(f.category, "schema_mismatch");
    // Requeued, they go again; dropped, they are gone.
    let mut queue = queue;
    assert_eq!(queue.requeue(Some(&[id(0)])).unwrap(), 1);
    assert_eq!(queue.pending().unwrap(), 1);
    assert_eq!(queue.drop_failed(None).unwrap(), 1);
    assert!(queue.failed().unwrap().is_empty());
}

#[test]
fn a_400_names_events_by_id_or_is_bisected_down_to_the_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let q = queue_with(dir.path(), 16);
    let s = ContractServer::start(ServerConfig::default()).unwrap();
    // Details naming one event, out of position order: only that one fails.
    s.push_faults([Fault::Answer(
        400,
        vec![],
        json!({"error": "Batch validation failed", "details": [{"event_id": id(9), "error": "Invalid payload for WPStatusChanged: field 'wp_id' bad"}]}),
    )]);
    let (o, _) = opts(&s);
    let r = sync_now(std::slice::from_ref(&q), &o, |_| {}).unwrap();
    assert_eq!((r.sent, r.rejected), (15, 1));
    let failed = EventQueue::open(&q, u64::MAX).unwrap().failed().unwrap();
    assert_eq!(failed[0].event_id, id(9));
    // A 400 that names nothing: bisected until the bad event is alone.
    let q2 = queue_with(&dir.path().join("b"), 16);
    let s2 = ContractServer::start(ServerConfig::default()).unwrap();
    s2.poison_batches_with([id(5)]);
    let (mut o2, _) = opts(&s2);
    o2.server_url = s2.url();
    let r = sync_now(std::slice::from_ref(&q2), &o2, |_| {}).unwrap();
    assert_eq!((r.sent, r.rejected, r.left), (15, 1, 0));
    assert!(r.requests <= 2 * 4 + 2, "log2(16) levels: {}", r.requests);
    let failed = EventQueue::open(&q2, u64::MAX).unwrap().failed().unwrap();
    assert_eq!(failed[0].event_id, id(5));
    assert!(
        failed[0].reason.contains("Batch validation failed"),
        "{}",
        failed[0].reason
    );
}

#[test]
fn empty_or_partial_results_never_loop_and_unmentioned_events_stay() {
    let dir = tempfile::tempdir().unwrap();
    let q = queue_with(dir.path(), 10);
    let s = ContractServer::start(ServerConfig::default()).unwrap();
    s.push_faults([Fault::Answer(200, vec![], json!({"results": []}))]);
    let (o, _) = opts(&s);
    let err = sync_now(std::slice::from_ref(&q), &o, |_| {}).unwrap_err();
    assert!(
        matches!(err.error, SyncError::NoProgress { .. }),
        "{}",
        err.error
    );
    assert!(
        err.to_string()
            .contains("no result for any of the 10 events"),
        "{err}"
    );
    assert_eq!((pending(&q), err.report.requests), (10, 1));
    // Partial results: the answered ones leave, the others go in the next batch.
    s.push_faults([Fault::PartialResults(4)]);
    let r = sync_now(std::slice::from_ref(&q), &o, |_| {}).unwrap();
    assert_eq!((r.sent, r.requests, r.left), (10, 2, 0));
}

#[test]
fn transient_failures_are_retried_then_stop_with_the_events_intact() {
    let dir = tempfile::tempdir().unwrap();
    let q = queue_with(dir.path(), 5);
    let s = ContractServer::start(ServerConfig::default()).unwrap();
    s.push_faults([Fault::Status(503, Some("1".into()))]);
    let (o, waits) = opts(&s);
    let r = sync_now(std::slice::from_ref(&q), &o, |_| {}).unwrap();
    assert_eq!(r.sent, 5);
    assert_eq!(*waits.lock().unwrap(), [Duration::from_secs(1)]);
    let q = queue_with(&dir.path().join("b"), 5);
    s.push_faults([
        Fault::Status(502, None),
        Fault::Status(503, None),
        Fault::Status(504, None),
    ]);
    let err = sync_now(std::slice::from_ref(&q), &o, |_| {}).unwrap_err();
    assert!(err.error.is_transient());
    assert!(err.to_string().contains("stay queued"), "{err}");
    assert_eq!(pending(&q), 5);
    let conn = rusqlite::Connection::open(&q).unwrap();
    let bumped: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM queue WHERE retry_count != 0",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(bumped, 0, "a transient failure touches no retry_count");
    // A server that hangs: the timeout, then the same.
    let (mut o, _) = opts(&s);
    o.settings.policy.attempts = 1;
    o.settings.timeout = Duration::from_millis(300);
    s.push_faults([Fault::Hang]);
    let err = sync_now(std::slice::from_ref(&q), &o, |_| {}).unwrap_err();
    assert!(err.to_string().contains("timed out"), "{err}");
    assert_eq!(pending(&q), 5);
    assert!(!format!("{err} {err:?}").contains(TOKEN));
}

#[test]
fn a_run_that_stops_still_deletes_what_was_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let q = queue_with(dir.path(), 250);
    let s = ContractServer::start(ServerConfig::default()).unwrap();
    let (mut o, _) = opts(&s);
    o.batch_events = 100;
    o.delete_every = Duration::from_secs(3600);
    // Two batches are answered, then the server fails for good.
    s.push_faults([
        Fault::Delay(Duration::ZERO),
        Fault::Delay(Duration::ZERO),
        Fault::Status(503, None),
        Fault::Status(503, None),
        Fault::Status(503, None),
    ]);
    let err = sync_now(std::slice::from_ref(&q), &o, |_| {}).unwrap_err();
    assert!(err.error.is_transient(), "{err}");
    assert_eq!((err.report.sent, err.report.left), (200, 50));
    assert_eq!(
        pending(&q),
        50,
        "the 200 delivered rows were deleted on the way out"
    );
    let r = sync_now(std::slice::from_ref(&q), &o, |_| {}).unwrap();
    assert_eq!((r.sent, r.duplicate, r.left), (50, 0, 0));
}

#[test]
fn a_queue_the_python_cli_wrote_is_drained() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("queue.db");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/python-2.1.0-queue.db"),
        &q,
    )
    .unwrap();
    let s = ContractServer::start(ServerConfig::default()).unwrap();
    let (o, _) = opts(&s);
    let r = sync_now(std::slice::from_ref(&q), &o, |_| {}).unwrap();
    assert_eq!((r.sent, r.left), (5, 0));
    let sent = s.received()[0].json().unwrap();
    assert_eq!(sent["events"][0]["payload"]["actor"], "python");
    // The Python CLI's other table is left alone.
    let conn = rusqlite::Connection::open(&q).unwrap();
    let n: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'body_upload_queue'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn a_401_refreshes_the_stored_login_once_and_stores_the_new_pair() {
    let dir = tempfile::tempdir().unwrap();
    let q = queue_with(dir.path(), 3);
    let s = ContractServer::start(ServerConfig::default()).unwrap();
    let home = spec_kitty_home::SpecKittyHome::at(dir.path().join("home"));
    std::fs::create_dir_all(home.dir()).unwrap();
    // The refresh goes to the server that issued the login, `[server] url`.
    std::fs::write(
        home.credentials_path(),
        format!("[tokens]\naccess = \"old-access\"\nrefresh = \"the-refresh\"\naccess_expires_at = \"2999-01-01T00:00:00+00:00\"\nrefresh_expires_at = \"2999-01-01T00:00:00+00:00\"\n\n[server]\nurl = \"{}\"\n\n[tracker.providers.jira]\nproject_key = \"ACME\"\n", s.url()),
    )
    .unwrap();
    let store = spec_kitty_home::CredentialStore::new(&home);
    s.push_faults([
        Fault::Status(401, None),
        Fault::Answer(
            200,
            vec![],
            json!({"access": "new-access", "refresh": "new-refresh"}),
        ),
    ]);
    let (mut o, _) = opts(&s);
    o.auth = Auth::Stored(store.clone());
    let r = sync_now(&[q], &o, |_| {}).unwrap();
    assert_eq!(r.sent, 3);
    let got = s.received();
    assert_eq!(got[0].header("authorization"), Some("Bearer old-access"));
    assert_eq!(got[1].path, "/api/v1/token/refresh/");
    assert_eq!(got[1].json().unwrap(), json!({"refresh": "the-refresh"}));
    assert_eq!(got[2].header("authorization"), Some("Bearer new-access"));
    let login = store.saas_login().unwrap();
    assert_eq!(
        (login.access.as_deref(), login.refresh.as_deref()),
        (Some("new-access"), Some("new-refresh"))
    );
    assert!(
        std::fs::read_to_string(home.credentials_path())
            .unwrap()
            .contains("[tracker.providers.jira]"),
        "other tables kept"
    );
    // Refused again after a refresh: stop, say how to fix the login.
    let q = queue_with(&dir.path().join("b"), 1);
    s.push_faults([
        Fault::Status(403, None),
        Fault::Answer(200, vec![], json!({"access": "a", "refresh": "r"})),
        Fault::Status(403, None),
    ]);
    let err = sync_now(std::slice::from_ref(&q), &o, |_| {}).unwrap_err();
    assert!(
        matches!(
            err.error,
            SyncError::Session(saas_session::SessionError::Refused { status: 403, .. })
        ),
        "{}",
        err.error
    );
    assert!(
        err.error.needs_login(),
        "the caller is told the login must be renewed"
    );
    assert_eq!(pending(&q), 1);
}

#[test]
fn two_uploads_never_send_the_same_queue_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let q = queue_with(dir.path(), 3);
    let s = ContractServer::start(ServerConfig::default()).unwrap();
    s.push_faults([Fault::Delay(Duration::from_millis(500))]);
    let (o, _) = opts(&s);
    let (q1, o1) = (q.clone(), o.clone());
    let first = std::thread::spawn(move || sync_now(&[q1], &o1, |_| {}));
    std::thread::sleep(Duration::from_millis(150));
    let err = sync_now(std::slice::from_ref(&q), &o, |_| {}).unwrap_err();
    assert!(matches!(err.error, SyncError::Busy { .. }), "{}", err.error);
    assert_eq!(first.join().unwrap().unwrap().sent, 3);
}

const CHILD_ENV: &str = "EVENT_CLIENT_TEST_CHILD";

#[test]
#[ignore = "helper: run as a child process by the kill_9 tests"]
fn child_uploader() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut parts = spec.split('|');
    let (queue, url, delete_every_ms) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap().parse().unwrap(),
    );
    let mut o = UploadOptions::new(
        url,
        Auth::Given(Secret::new(TOKEN), saas_session::TokenSource::Given),
    );
    o.batch_events = 100;
    o.delete_every = Duration::from_millis(delete_every_ms);
    let _ = sync_now(&[PathBuf::from(queue)], &o, |_| {});
}

/// Starts an upload of 1000 events in batches of 100 in a child process, answers slowly,
/// kills it with SIGKILL mid-upload, then uploads again in this process. Returns what was
/// queued after the kill, what the server had accepted by then, and the second report.
fn kill_9_mid_upload(
    delete_every: Duration,
    ready: impl Fn(&ContractServer, &Path) -> bool,
) -> (u64, usize, event_client::SyncReport) {
    let dir = tempfile::tempdir().unwrap();
    let q = queue_with(dir.path(), 1000);
    let s = ContractServer::start(ServerConfig::default()).unwrap();
    // Answers come slowly, so the kill lands with batches in flight and unanswered.
    s.push_faults((0..10).map(|_| Fault::Delay(Duration::from_millis(80))));
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_uploader", "--ignored", "--test-threads=1"])
        .stdout(std::process::Stdio::null())
        .env(
            CHILD_ENV,
            format!("{}|{}|{}", q.display(), s.url(), delete_every.as_millis()),
        )
        .spawn()
        .unwrap();
    // Kill once the upload is under way (polled, not timed: a loaded machine starts the
    // child late), while later batches are still unanswered.
    let start = std::time::Instant::now();
    while !ready(&s, &q) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the upload never got going"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // A request the child sent before it died may still be answered: let it finish.
    std::thread::sleep(Duration::from_millis(300));
    let left_after_kill = pending(&q);
    let accepted_before = s.accepted_event_ids().len();
    let (o, _) = opts(&s);
    let r = sync_now(std::slice::from_ref(&q), &o, |_| {}).unwrap();
    assert_eq!(pending(&q), 0);
    assert_eq!(
        r.sent + r.duplicate,
        left_after_kill,
        "every event still queued was answered for"
    );
    let accepted = s.accepted_event_ids();
    assert_eq!(accepted.len(), 1000, "nothing was lost");
    assert!((0..1000).all(|i| accepted.contains(&id(i))));
    (left_after_kill, accepted_before, r)
}

#[test]
fn kill_9_during_an_upload_that_deletes_after_every_answer_loses_nothing() {
    // Ready once some delivered rows were deleted.
    let (left, accepted_before, r) = kill_9_mid_upload(Duration::ZERO, |_, q| {
        EventQueue::open_read_only(q)
            .and_then(|q| q.pending())
            .is_ok_and(|n| n < 1000)
    });
    assert!(
        left > 0 && left < 1000,
        "killed mid-upload with some batches deleted: {left} left"
    );
    // A request the child sent may still complete after `accepted_before` was read, so
    // the second run's new events are at most the rest.
    assert!(r.sent as usize <= 1000 - accepted_before);
}

#[test]
fn kill_9_before_delivered_rows_were_deleted_loses_nothing_and_resends_them_as_duplicates() {
    // Ready once two batches were answered (nothing is deleted before the run ends).
    let (left, accepted_before, r) = kill_9_mid_upload(Duration::from_secs(60), |s, _| {
        s.accepted_event_ids().len() >= 200
    });
    assert!(
        accepted_before > 0,
        "the kill came after some batches were answered"
    );
    assert_eq!(left, 1000, "delivered rows were not deleted yet");
    // Every event answered before the kill comes back duplicate (and any request still
    // completing as the child died, too).
    assert!(r.duplicate >= 200 && r.duplicate as usize >= accepted_before);
    assert_eq!(r.sent + r.duplicate, 1000);
}
