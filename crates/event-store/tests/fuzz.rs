//! Whatever another writer leaves in a queue row or in `clock.json`, reading never panics:
//! a queue row of any SQLite type in any column is read (or comes back with empty data,
//! to be failed with a reason) and the queue order never repeats a row; `clock.json` of
//! any bytes either ticks or is refused with the file untouched.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers
#![allow(clippy::disallowed_methods)] // tests lay out fixture files directly

use event_store::{EventQueue, LamportClock};
use proptest::prelude::*;
use rusqlite::types::Value as Sql;

fn sql_value() -> impl Strategy<Value = Sql> {
    prop_oneof![
        Just(Sql::Null),
        any::<i64>().prop_map(Sql::Integer),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Sql::Real),
        ".{0,12}".prop_map(Sql::Text),
        proptest::collection::vec(any::<u8>(), 0..12).prop_map(Sql::Blob),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_queue_row_is_read_in_order_without_repeats(
        rows in proptest::collection::vec((sql_value(), sql_value(), sql_value()), 1..12),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queue.db");
        let mut q = EventQueue::open(&path, u64::MAX).unwrap();
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            for (i, (event_id, data, timestamp)) in rows.iter().enumerate() {
                // event_id stays unique; the other columns are anything.
                let id = match event_id {
                    Sql::Text(t) => Sql::Text(format!("{t}-{i}")),
                    other => other.clone(),
                };
                let _ = conn.execute(
                    "INSERT INTO queue(event_id, event_type, data, timestamp) VALUES(?1, 'T', ?2, ?3)",
                    rusqlite::params![id, data, timestamp],
                );
            }
        }
        let stored = q.pending().unwrap();
        let _ = q.oldest().unwrap();
        q.normalize_times().unwrap();
        let mut seen = std::collections::BTreeSet::new();
        let mut after = None;
        loop {
            let batch = q.next_batch_after(after, 2, 1 << 20).unwrap();
            if batch.is_empty() {
                break;
            }
            for e in &batch {
                prop_assert!(seen.insert(e.id), "row {} read twice", e.id);
            }
            after = batch.last().map(event_store::QueuedEvent::position);
        }
        prop_assert_eq!(seen.len() as u64, stored);
        let _ = q.failed().unwrap();
    }

    #[test]
    fn any_clock_file_ticks_or_is_refused_untouched(bytes in proptest::collection::vec(any::<u8>(), 0..64), json in "[{}\\[\\]\"a-z0-9:, .-]{0,40}") {
        for content in [bytes, json.into_bytes()] {
            let dir = tempfile::tempdir().unwrap();
            let home = spec_kitty_home::SpecKittyHome::at(dir.path());
            let clock = LamportClock::new(&home);
            std::fs::write(clock.path(), &content).unwrap();
            if clock.tick("node").is_err() {
                prop_assert_eq!(std::fs::read(clock.path()).unwrap(), content);
            }
        }
    }
}
