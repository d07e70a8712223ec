//! The queue file's reads and deletes over real SQLite files.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use std::path::Path;

use event_store::{EventQueue, QueuePosition};

fn queue(dir: &Path, n: usize) -> EventQueue {
    let mut q = EventQueue::open(&dir.join("queue.db"), u64::MAX).unwrap();
    for i in 0..n {
        q.enqueue(
            &format!("ev-{i}"),
            "WPStatusChanged",
            &format!("{{\"n\":{i}}}"),
        )
        .unwrap();
    }
    q
}

fn ids(q: &EventQueue) -> Vec<String> {
    q.next_batch(usize::MAX >> 1, usize::MAX)
        .unwrap()
        .into_iter()
        .map(|e| e.event_id)
        .collect()
}

#[test]
fn remove_deletes_only_listed_rows_and_empties_the_table_only_when_all_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let mut q = queue(dir.path(), 5);
    let rows: Vec<i64> = q
        .next_batch(10, usize::MAX)
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    // As many ids as rows, but one of them is not a row: the unlisted row stays.
    let mut listed = rows[..4].to_vec();
    listed.push(9_999);
    assert_eq!(q.remove(&listed).unwrap(), 4);
    assert_eq!(ids(&q), ["ev-4"]);
    // Every row listed (the fast path): the table is emptied.
    assert_eq!(q.remove(&rows[4..]).unwrap(), 1);
    assert_eq!(q.pending().unwrap(), 0);
    // Row ids are never reused after the table was emptied (AUTOINCREMENT kept).
    q.enqueue("ev-new", "WPStatusChanged", "{}").unwrap();
    let new = q.next_batch(1, usize::MAX).unwrap();
    assert!(new[0].id > rows[4], "{} reused", new[0].id);
    // Duplicates in the list are not mistaken for distinct rows.
    let mut q2 = queue(&dir.path().join("b"), 2);
    let r2: Vec<i64> = q2
        .next_batch(10, usize::MAX)
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(q2.remove(&[r2[0], r2[0]]).unwrap(), 1);
    assert_eq!(ids(&q2), ["ev-1"]);
}

#[test]
fn a_pass_walks_the_queue_in_order_from_a_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("queue.db");
    let q = queue(dir.path(), 4);
    // ev-1 was queued later than the others (as a requeued or clock-skewed row can be).
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE queue SET timestamp = timestamp + 100 WHERE event_id = 'ev-1'",
        [],
    )
    .unwrap();
    conn.execute(
        "UPDATE queue SET timestamp = 1000 WHERE event_id != 'ev-1'",
        [],
    )
    .unwrap();
    // By count, and by a byte budget of two rows (each row is `{"n":i}`, 7 bytes + 1).
    for (max_events, max_bytes) in [(2, usize::MAX), (10, 16), (3, usize::MAX)] {
        let mut seen = Vec::new();
        let mut at: Option<QueuePosition> = None;
        loop {
            let batch = q.next_batch_after(at, max_events, max_bytes).unwrap();
            let Some(last) = batch.last() else { break };
            assert!(batch.len() <= 2 || max_events == 3);
            at = Some(last.position());
            seen.extend(batch.into_iter().map(|e| e.event_id));
        }
        assert_eq!(seen, ["ev-0", "ev-2", "ev-3", "ev-1"]);
    }
    // A byte budget still yields at least one event.
    assert_eq!(q.next_batch_after(None, 10, 1).unwrap().len(), 1);
}

#[test]
fn a_new_queue_has_the_python_cli_schema() {
    let dir = tempfile::tempdir().unwrap();
    drop(queue(dir.path(), 0));
    let conn = rusqlite::Connection::open(dir.path().join("queue.db")).unwrap();
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'queue' AND sql IS NOT NULL ORDER BY name")
        .unwrap();
    let names: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(names, ["idx_coalesce_key", "idx_retry", "idx_timestamp"]);
}

#[test]
fn enqueue_many_adds_all_or_nothing_and_skips_known_ids() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("queue.db");
    let mut q = EventQueue::open(&path, 4).unwrap();
    q.enqueue("a", "WPStatusChanged", "{\"n\":0}").unwrap();
    let added = q
        .enqueue_many([
            ("a", "WPStatusChanged", "{\"replaced\":true}"),
            ("b", "WPStatusChanged", "{}"),
            ("b", "WPStatusChanged", "{\"again\":true}"),
            ("c", "WPStatusChanged", "{}"),
        ])
        .unwrap();
    assert_eq!(added, 2);
    assert_eq!(ids(&q), ["a", "b", "c"]);
    assert_eq!(q.next_batch(1, usize::MAX).unwrap()[0].data, "{\"n\":0}");
    // Two more would make 5 of at most 4: refused whole, nothing added.
    let err = q
        .enqueue_many([
            ("d", "WPStatusChanged", "{}"),
            ("e", "WPStatusChanged", "{}"),
        ])
        .unwrap_err();
    assert!(
        matches!(err, event_store::Error::QueueFull { max: 4, .. }),
        "{err}"
    );
    assert_eq!(ids(&q), ["a", "b", "c"]);
    assert_eq!(q.enqueue_many([("d", "WPStatusChanged", "{}")]).unwrap(), 1);
}
